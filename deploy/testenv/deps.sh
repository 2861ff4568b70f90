#!/usr/bin/env bash
# deps.sh: install the Debian packages patrol needs (OpenCV 4.6, FFmpeg's
# libavcodec/libswscale with libx264/libx265, pkg-config), only when
# missing. `deps.sh test` (test.sh) adds what only the tests need: Debian's
# chromium with a CJK font (the console's browser test,
# testkit/e2e/console_*_test.go). `deps.sh image` (image.sh) adds what
# building and running the container image needs: podman with runc (crun,
# podman's first choice, fails on hybrid cgroup hosts), uidmap and
# debootstrap for the base images.
set -euo pipefail
pkgs=()
if ! pkg-config --exists opencv4 libavcodec libavformat libavutil libswscale 2>/dev/null; then
  pkgs+=(libopencv-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev pkg-config)
fi
if [ "${1:-}" = test ]; then
  if [ ! -x /usr/bin/chromium ]; then
    pkgs+=(chromium)
  fi
  # A CJK font, so that the console's screenshots show the Chinese names
  # (7.5 MB).
  if ! dpkg -s fonts-wqy-zenhei >/dev/null 2>&1; then
    pkgs+=(fonts-wqy-zenhei)
  fi
fi
if [ "${1:-}" = image ]; then
  for p in podman runc uidmap debootstrap; do
    if ! dpkg -s "$p" >/dev/null 2>&1; then pkgs+=("$p"); fi
  done
fi
if [ "${#pkgs[@]}" = 0 ]; then
  exit 0
fi
echo "deps: installing ${pkgs[*]}" >&2
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null

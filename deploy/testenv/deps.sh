#!/usr/bin/env bash
# deps.sh: install the Debian packages patrol needs (OpenCV 4.6, FFmpeg's
# libavcodec/libswscale with libx264/libx265, pkg-config) and Debian's
# chromium (the console's browser test, testkit/e2e/console_*_test.go),
# only when missing.
set -euo pipefail
pkgs=()
if ! pkg-config --exists opencv4 libavcodec libavutil libswscale 2>/dev/null; then
  pkgs+=(libopencv-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev pkg-config)
fi
if [ ! -x /usr/bin/chromium ]; then
  pkgs+=(chromium)
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

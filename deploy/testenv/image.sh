#!/usr/bin/env bash
# image.sh: build the container image of deploy/Dockerfile with podman on a
# machine that reaches no image registry, only the Debian archive and the Go
# module proxy (CI, these development machines).
#
#   image.sh build   install what is missing (podman, runc, debootstrap,
#                    uidmap), make the two base images the Dockerfile names
#                    from the Debian archive, then build the image from the
#                    repository root; prints its size and the build time
#   image.sh env     print the variables TestImage (deploy/image_test.go) and
#                    podman read: PATROL_TEST_IMAGE, CONTAINERS_CONF
#   image.sh clean   remove the image, the base images and their cached
#                    archives (the next build is a cold one)
#
# The base images, tagged with the names the Dockerfile's FROM lines resolve
# to, so that `podman build --pull=never` finds them locally:
#   docker.io/library/debian:bookworm-slim    `debootstrap --variant=minbase
#       bookworm` from the host's Debian mirror, trimmed like Debian's slim
#       images (no documentation, man pages or locales), with the host's apt
#       sources (/etc/apt/sources.list.d/debian.sources) so that apt-get in
#       the Dockerfile uses the same mirror
#   docker.io/library/golang:<GO_VERSION>-bookworm    that image plus the C
#       toolchain, git and ca-certificates (as the official golang image)
#       and the Go toolchain golang.org/toolchain@v0.0.1-go<GO_VERSION>
#       from the Go module proxy (checked against sum.golang.org by `go mod
#       download`), laid out like the official image (/usr/local/go,
#       GOPATH=/go, GOTOOLCHAIN=local), with the host's GOPROXY
# Each carries the label org.patrol.stand-in (its cache key); a stand-in
# whose key differs from the current one is rebuilt.
#
# Cache: $PATROL_CACHE/image (default ~/.cache/patrol/image): the
# debootstrap root as a tar archive and the golang stand-in as an OCI
# archive, loaded again when podman's storage lacks the images. State:
# $PATROL_IMAGE_DIR (default /tmp/patrol-image): containers.conf, logs.
#
# podman is configured through a containers.conf written here and named by
# CONTAINERS_CONF (not /etc/containers/containers.conf, so that the host's
# own podman configuration stays as it is and the same works without root):
# runtime runc (Debian's crun fails on these hosts' hybrid cgroups) and no
# default ulimits.
#
# The image is built with PULL_ASSETS=0: models, imagery and videos are never
# baked into it here; TestImage mounts the asset mirror read-only and the
# worker fetches the ONNX Runtime wheel from PyPI at start (docs/deploy.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${PATROL_CACHE:-$HOME/.cache/patrol}/image
state=${PATROL_IMAGE_DIR:-/tmp/patrol-image}
image=${PATROL_IMAGE:-localhost/patrol:test}
suite=bookworm
# Bump when the way the base images are made changes.
recipe=1
debian_ref=docker.io/library/debian:$suite-slim
label=org.patrol.stand-in

log() { printf 'image: %s\n' "$*" >&2; }

sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi

conf() {
  mkdir -p "$state"
  cat >"$state/containers.conf.tmp" <<'CONF'
# Written by deploy/testenv/image.sh; podman reads it through CONTAINERS_CONF.
[containers]
# The host's hard nofile limit can be lower than podman's default.
default_ulimits = []

[engine]
# crun fails on hybrid (v1 + v2) cgroup hosts; runc works.
runtime = "runc"
CONF
  mv "$state/containers.conf.tmp" "$state/containers.conf"
  export CONTAINERS_CONF=$state/containers.conf
}

go_version() { # the Go of the Dockerfile's build stage
  sed -n 's/^ARG GO_VERSION=//p' "$root/deploy/Dockerfile" | head -1
}

# mirror prints the host's Debian archive address (debian.sources, else
# sources.list), the mirror debootstrap and the images' apt use.
mirror() {
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $3 ~ /^[a-z]+$/ {print $2; exit}' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

# sources prints the apt sources of the base image: the host's when it is
# a bookworm host, else the same mirror with Debian's default suites.
sources() {
  local m; m=$(mirror)
  if [ -f /etc/apt/sources.list.d/debian.sources ] && grep -q "^Suites:.*\b$suite\b" /etc/apt/sources.list.d/debian.sources; then
    cat /etc/apt/sources.list.d/debian.sources
  else
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n' "$m" "$suite" "$suite"
    printf 'Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$suite"
  fi
}

# host_cas writes to DIR, one .crt file each, the CA certificates the host
# trusts (/etc/ssl/certs/ca-certificates.crt) that Debian's ca-certificates
# does not ship: here the CA of the sandbox's TLS-intercepting egress
# proxy (and an Artifactory CA), without which HTTPS to the Go module proxy
# or PyPI fails in a container. Nothing on a host that trusts only Debian's
# set.
host_cas() { # dir
  local bundle=/etc/ssl/certs/ca-certificates.crt split f fp known n=0 sum
  [ -f "$bundle" ] && command -v openssl >/dev/null || { rm -rf "$1"; mkdir -p "$1"; return 0; }
  # Done once per bundle (a few hundred openssl runs).
  sum=$( { cat "$bundle"; ls /usr/share/ca-certificates/mozilla 2>/dev/null; } | sha256sum | cut -c1-16)
  if [ "$(cat "$1/.bundle" 2>/dev/null)" = "$sum" ]; then return 0; fi
  rm -rf "$1"; mkdir -p "$1"
  split=$(mktemp -d "$state/cas.XXXXXX")
  awk -v d="$split" '/-----BEGIN CERTIFICATE-----/ {n++} n {f = d "/" n ".pem"; print > f} /-----END CERTIFICATE-----/ {close(f)}' "$bundle"
  known=$(for f in /usr/share/ca-certificates/mozilla/*.crt; do
    [ -f "$f" ] && openssl x509 -in "$f" -noout -fingerprint -sha256; done | sort -u)
  for f in "$split"/*.pem; do
    [ -f "$f" ] || continue
    fp=$(openssl x509 -in "$f" -noout -fingerprint -sha256 2>/dev/null) || continue
    if ! grep -qxF "$fp" <<<"$known"; then
      n=$((n + 1)); cp "$f" "$1/host-ca-$n.crt"
    fi
  done
  rm -rf "$split"
  echo "$sum" >"$1/.bundle"
}

label_of() { # image: its stand-in key, or nothing
  podman image inspect --format "{{ index .Labels \"$label\" }}" "$1" 2>/dev/null || true
}

debian_key() {
  { echo "recipe $recipe $suite $(mirror)"; sources; } | sha256sum | cut -c1-16
}

# debian_root makes the trimmed debootstrap root and archives it.
debian_root() { # tarball
  local dir; dir=$(mktemp -d "$state/rootfs.XXXXXX")
  log "debootstrap --variant=minbase $suite from $(mirror)"
  $sudo debootstrap --variant=minbase "$suite" "$dir" "$(mirror)" >"$state/debootstrap.log" 2>&1 ||
    { tail -30 "$state/debootstrap.log" >&2; $sudo rm -rf "$dir"; return 1; }
  # Trimmed like Debian's slim images: dpkg leaves documentation, man pages
  # and translations out, now and in every later apt-get install.
  sources | $sudo tee "$dir/etc/apt/sources.list.d/debian.sources" >/dev/null
  $sudo rm -f "$dir/etc/apt/sources.list"
  $sudo tee "$dir/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
  $sudo tee "$dir/etc/apt/apt.conf.d/docker-clean" >/dev/null <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
CFG
  $sudo find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  $sudo find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete
  $sudo rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/lintian/*
  $sudo find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  $sudo rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/var/log/*.log "$dir"/var/log/apt/* "$dir/etc/resolv.conf" "$dir/etc/hostname"
  $sudo tar --numeric-owner -C "$dir" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -cf "$1.tmp" . && $sudo mv "$1.tmp" "$1"
  $sudo rm -rf "$dir"
}

debian_image() {
  local key tar t=$SECONDS; key=$(debian_key); tar=$cache/debian-$suite-minbase-$key.tar
  if [ "$(label_of "$debian_ref")" = "$key" ]; then log "$debian_ref is up to date"; return 0; fi
  if [ ! -f "$tar" ]; then
    rm -f "$cache"/debian-$suite-minbase-*.tar
    debian_root "$tar"
  fi
  log "podman import $tar as $debian_ref"
  $sudo cat "$tar" | podman import -q --change 'CMD ["bash"]' --change "LABEL $label=$key" \
    --message "debootstrap --variant=minbase $suite $(mirror) (deploy/testenv/image.sh)" - "$debian_ref" >/dev/null
  log "$debian_ref made in $((SECONDS - t)) s"
}

golang_image() {
  local gv ref key arch oci t=$SECONDS
  gv=$(go_version)
  ref=docker.io/library/golang:$gv-$suite
  arch=$(go env GOARCH)
  local goproxy; goproxy=$(go env GOPROXY)
  host_cas "$state/host-ca"
  key=$( { debian_key; echo "go $gv $arch $goproxy"; cat "$state"/host-ca/*.crt 2>/dev/null; } | sha256sum | cut -c1-16)
  oci=$cache/golang-$gv-$suite-$key.tar
  if [ "$(label_of "$ref")" = "$key" ]; then log "$ref is up to date"; return 0; fi
  if [ -f "$oci" ]; then
    log "podman load $oci"
    podman load -q -i "$oci" >/dev/null
    if [ "$(label_of "$ref")" = "$key" ]; then log "$ref loaded in $((SECONDS - t)) s"; return 0; fi
  fi
  rm -f "$cache"/golang-*-$suite-*.tar
  # The toolchain module, checked against sum.golang.org, then given the
  # fixes the go command applies when it switches to a downloaded
  # toolchain: execute bits, and go.mod files stored as _go.mod.
  local mod=golang.org/toolchain@v0.0.1-go$gv.linux-$arch dir ctx
  log "go mod download $mod"
  dir=$(cd "$state" && GOFLAGS= go mod download -json "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || { log "go mod download $mod: no directory"; return 1; }
  ctx=$(mktemp -d "$state/golang.XXXXXX")
  cp -r "$dir" "$ctx/go"
  chmod -R u+w "$ctx/go"
  find "$ctx/go/pkg/tool" "$ctx/go/bin" -type f -exec chmod a+x {} +
  find "$ctx/go/lib" -type f -name 'go_?*_?*_exec' -exec chmod a+x {} +
  find "$ctx/go" -name _go.mod -execdir mv _go.mod go.mod \;
  cp -r "$state/host-ca" "$ctx/host-ca"
  cat >"$ctx/Containerfile" <<FILE
FROM $debian_ref
# The host's extra CA certificates (none on most hosts), in the bundle
# update-ca-certificates writes when ca-certificates is installed.
COPY host-ca/ /usr/local/share/ca-certificates/
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      ca-certificates curl git netbase g++ gcc libc6-dev make pkg-config \\
 && rm -rf /var/lib/apt/lists/*
COPY go /usr/local/go
ENV GOLANG_VERSION=$gv GOTOOLCHAIN=local GOPATH=/go GOPROXY=$goproxy
ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /go/src /go/bin && chmod -R 1777 /go && go version
WORKDIR /go
LABEL $label=$key
FILE
  log "building $ref"
  podman build --pull=never --network=host -t "$ref" -f "$ctx/Containerfile" "$ctx" >"$state/golang.log" 2>&1 ||
    { tail -30 "$state/golang.log" >&2; log "building $ref failed (log $state/golang.log)"; return 1; }
  rm -rf "$ctx"
  podman save -q --format oci-archive -o "$oci.tmp" "$ref" && mv "$oci.tmp" "$oci"
  log "$ref made in $((SECONDS - t)) s"
}

build() {
  local t0=$SECONDS t
  "$here/deps.sh" image
  conf
  mkdir -p "$cache"
  debian_image
  golang_image
  t=$SECONDS
  log "podman build -f deploy/Dockerfile -t $image (PULL_ASSETS=0)"
  # --network=host: the RUN steps reach the Debian mirror and the Go module
  # proxy without a CNI bridge. --pull=never: the base images are local.
  if ! podman build --pull=never --network=host --build-arg PULL_ASSETS=0 \
      -f "$root/deploy/Dockerfile" -t "$image" "$root" >"$state/build.log" 2>&1; then
    tail -40 "$state/build.log" >&2; log "build failed (full log: $state/build.log)"; return 1
  fi
  local size; size=$(podman image inspect --format '{{.Size}}' "$image")
  log "built $image: $((size / 1000000)) MB, Dockerfile build $((SECONDS - t)) s, in all $((SECONDS - t0)) s (log $state/build.log)"
}

clean() {
  conf
  local gv; gv=$(go_version)
  podman rmi -f "$image" "docker.io/library/golang:$gv-$suite" "$debian_ref" >/dev/null 2>&1 || true
  # The layers podman build kept for its cache (untagged once the images
  # are gone), and the directories of the Dockerfile's RUN
  # --mount=type=cache (Go modules and build cache; shared by every podman
  # build on the machine).
  local i
  for i in 1 2 3; do podman image prune -f >/dev/null 2>&1 || true; done
  $sudo rm -rf /var/tmp/buildah-cache "${TMPDIR:-/var/tmp}/buildah-cache-$(id -u)"
  rm -rf "$cache"
  log "removed $image, the base images, the build cache and $cache"
}

env_out() {
  echo "PATROL_TEST_IMAGE=$image"
  echo "CONTAINERS_CONF=$state/containers.conf"
  # The image trusts Debian's CA set only; where the host trusts more (an
  # intercepting proxy), TestImage mounts the host's bundle read-only over
  # the image's, so that the worker reaches PyPI.
  if compgen -G "$state/host-ca/*.crt" >/dev/null; then
    echo "PATROL_TEST_IMAGE_CA_FILE=/etc/ssl/certs/ca-certificates.crt"
  fi
}

case "${1:-build}" in
  build) build ;;
  env) env_out ;;
  clean) clean ;;
  *) echo "usage: $0 build|env|clean" >&2; exit 2 ;;
esac

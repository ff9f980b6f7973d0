#!/bin/bash
# Builds deploy/Dockerfile with a daemonless builder (buildah, from Debian)
# and drives the image over stdio as a desktop MCP client does (podman). No registry
# is needed: the Debian 12 base is made with debootstrap from Debian's
# archive and imported, and the Dockerfile's ARG DEBIAN points at it
# (published builds keep debian:12-slim). The base and podman's layer cache
# persist between runs on one machine.
# Usage: deploy/container-test.sh   (as root; scripts/test-all.sh runs it)
set -eu
cd "$(dirname "$0")/.."
cache=${PCFMCP_CI_CACHE:-/var/cache/pcf-mcp-ci}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
base=localhost/pcf-mcp-debian:12
image=localhost/pcf-mcp:ci
t0=$(date +%s)
# The CI machine lacks CAP_SYS_RESOURCE (podman's default rlimits cannot be
# set) and mounts a cgroup v1/v2 hybrid that crun refuses. The build runs
# its steps with buildah's chroot isolation, which sets no limits; the
# image runs under runc with the cgroupfs manager, within our hard limits.
global="--runtime=runc --cgroup-manager=cgroupfs"
hn=$(ulimit -Hn)
limits="--ulimit nofile=1024:$hn --ulimit nproc=1024:1024"

# shellcheck disable=SC2086
if ! podman $global image exists "$base"; then
    mkdir -p "$cache"
    if [ ! -s "$cache/debian12-minbase.tar" ]; then
        rm -rf "$cache/rootfs"
        debootstrap --variant=minbase bookworm "$cache/rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
            { tail -20 "$cache/debootstrap.log"; exit 1; }
        tar -C "$cache/rootfs" -cf "$cache/debian12-minbase.tar.tmp" .
        mv "$cache/debian12-minbase.tar.tmp" "$cache/debian12-minbase.tar"
        rm -rf "$cache/rootfs"
    fi
    # shellcheck disable=SC2086
    podman $global import "$cache/debian12-minbase.tar" "$base" >/dev/null
fi
t1=$(date +%s)
buildah bud --isolation=chroot --layers -f deploy/Dockerfile \
    --build-arg "DEBIAN=$base" -t "$image" . >"$cache/build.log" 2>&1 ||
    { tail -40 "$cache/build.log"; exit 1; }
t2=$(date +%s)
PCFMCP_CONTAINER_RUN_OPTS="$limits"
export PCFMCP_CONTAINER_RUN_OPTS
# shellcheck disable=SC2086
PYTHONDONTWRITEBYTECODE=1 python3 deploy/container-stdio.py "$image" podman $global
t3=$(date +%s)
echo "container: base $((t1 - t0)) s, build $((t2 - t1)) s, stdio run $((t3 - t2)) s"

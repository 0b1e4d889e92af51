#!/usr/bin/env bash
# Build and install real VPP (FD.io) at the pinned tag with the pinned plugin list.
# Called by `make vpp`; see docs/operations.md, "Real VPP in the lab".
#
# Variables (all optional except VPP_SRC when no matching build is installed):
#   VPP_SRC        a git checkout of FD.io VPP at tag $VPP_TAG (commit $VPP_COMMIT).
#                  Unset: the script clones https://github.com/FDio/vpp at the tag into
#                  $VPP_WORK/src (needs network access; not possible on the lab machines).
#   VPP_PREFIX     install prefix (default /opt/bng-vpp/26.06)
#   VPP_WORK       scratch directory for the build tree (default /var/tmp/bng-vpp)
#   VPP_BUILD_DIR  cmake/ninja build tree (default $VPP_WORK/build-26.06)
#   VPP_DPDK=1     also build the dpdk plugin (downloads and builds DPDK: needs network)
#   VPP_JOBS       ninja -j (default: number of CPUs)
#   VPP_FORCE=1    rebuild even when the installed stamp matches
# `vpp-build.sh clean` removes the build tree and the installed prefix (not VPP_SRC).
set -euo pipefail

VPP_TAG=v26.06
VPP_COMMIT=c3200b88dc46bd380f00a49ca3392a102cc1980b
VPP_GIT_URL=https://github.com/FDio/vpp.git

# Names given to add_vpp_plugin() in src/plugins/*/CMakeLists.txt (not folder names).
# Whole folders are listed: add_vpp_plugin() is a macro, so when it filters a plugin out
# its return() leaves the folder's CMakeLists.txt and every later plugin there is skipped
# (det44 is declared after dslite and nat66 in src/plugins/nat/CMakeLists.txt).
#   nat/      nat nat44_ei dslite nat66 det44 nat64 pnat
#   linux-cp/ linux_cp linux_cp_unittest linux_nl
#   tap/      tap (tap_create_v3 etc. in tapv2.api)
VPP_PLUGIN_LIST="nat,nat44_ei,dslite,nat66,det44,nat64,pnat,acl,abf,policer,dhcp,vrrp,lacp,flowprobe,pppoe,ping,linux_cp,linux_cp_unittest,linux_nl,af_packet,tap,memif"

VPP_PREFIX=${VPP_PREFIX:-/opt/bng-vpp/26.06}
VPP_WORK=${VPP_WORK:-/var/tmp/bng-vpp}
VPP_BUILD_DIR=${VPP_BUILD_DIR:-$VPP_WORK/build-26.06}
VPP_DPDK=${VPP_DPDK:-0}
VPP_JOBS=${VPP_JOBS:-$(nproc)}
VPP_FORCE=${VPP_FORCE:-0}

# Debian 12 packages the build needs (checked by building v26.06 here).
DEB_PKGS=(clang-14 ninja-build cmake make pkg-config git python3 python3-ply
          libnuma-dev libssl-dev libmnl-dev libnl-3-dev libnl-route-3-dev
          libelf-dev libunwind-dev)
# Only for VPP_DPDK=1 (DPDK is built with meson from VPP's build/external).
DEB_PKGS_DPDK=(meson nasm python3-pyelftools curl)

plugins=$VPP_PLUGIN_LIST
if [ "$VPP_DPDK" = 1 ]; then
    plugins="$plugins,dpdk"
fi
stamp="$VPP_PREFIX/.bng-vpp-build"

die() { echo "vpp-build: error: $*" >&2; exit 1; }
log() { echo "vpp-build: $*"; }

if [ "${1:-}" = clean ]; then
    # Only remove a prefix this script installed (it holds the stamp).
    if [ -f "$stamp" ]; then
        log "removing $VPP_PREFIX"
        rm -rf "$VPP_PREFIX"
    elif [ -e "$VPP_PREFIX" ]; then
        log "leaving $VPP_PREFIX alone: no $stamp, not installed by make vpp"
    fi
    log "removing $VPP_BUILD_DIR $VPP_WORK/external-26.06 $VPP_WORK/external-build"
    rm -rf "$VPP_BUILD_DIR" "$VPP_WORK/external-26.06" "$VPP_WORK/external-build"
    exit 0
fi

expected_stamp() {
    printf 'tag=%s\ncommit=%s\nplugins=%s\ndpdk=%s\n' "$VPP_TAG" "$VPP_COMMIT" "$plugins" "$VPP_DPDK"
}

# Nothing to do when the installed build matches the pinned tag, commit, plugins and DPDK flag.
if [ "$VPP_FORCE" != 1 ] && [ -x "$VPP_PREFIX/bin/vpp" ] && [ -f "$stamp" ] &&
   [ "$(grep -v '^built=' "$stamp")" = "$(expected_stamp)" ]; then
    log "VPP $VPP_TAG ($VPP_COMMIT) already installed in $VPP_PREFIX, nothing to do (VPP_FORCE=1 rebuilds)"
    exit 0
fi

install_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        die "missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}"
    fi
    log "installing Debian packages: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_packages "${DEB_PKGS[@]}"
if [ "$VPP_DPDK" = 1 ]; then
    install_packages "${DEB_PKGS_DPDK[@]}"
fi

# The source: given, or cloned at the tag when network access allows it.
if [ -z "${VPP_SRC:-}" ]; then
    VPP_SRC=$VPP_WORK/src
    if [ ! -d "$VPP_SRC/.git" ]; then
        log "VPP_SRC not set: cloning $VPP_GIT_URL at $VPP_TAG into $VPP_SRC"
        mkdir -p "$VPP_WORK"
        git clone --branch "$VPP_TAG" --depth 1 "$VPP_GIT_URL" "$VPP_SRC" ||
            die "cannot clone $VPP_GIT_URL (no network?). Set VPP_SRC to a checkout of $VPP_TAG"
    fi
fi
[ -f "$VPP_SRC/src/CMakeLists.txt" ] ||
    die "VPP_SRC=$VPP_SRC is not a VPP source tree (no src/CMakeLists.txt)"
head=$(git -C "$VPP_SRC" rev-parse HEAD 2>/dev/null) ||
    die "VPP_SRC=$VPP_SRC is not a git checkout (VPP's build takes its version from git describe)"
[ "$head" = "$VPP_COMMIT" ] ||
    die "VPP_SRC=$VPP_SRC is at $head, not $VPP_TAG ($VPP_COMMIT); run: git -C $VPP_SRC checkout $VPP_TAG"
version=$("$VPP_SRC/src/scripts/version") ||
    die "$VPP_SRC/src/scripts/version failed: the checkout needs the $VPP_TAG tag (git fetch --tags)"
log "source $VPP_SRC at $VPP_TAG ($VPP_COMMIT), version $version"

# Debian's python3 (python3-ply is installed for it): a python3 earlier in PATH (pyenv,
# a venv) has no ply, and vppapigen runs as `#!/usr/bin/env python3`.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
cmake_extra=()
if [ "$VPP_DPDK" = 1 ]; then
    ext=$VPP_WORK/external-26.06
    log "building DPDK from $VPP_SRC/build/external into $ext (downloads the DPDK source)"
    make -C "$VPP_SRC/build/external" dpdk-install \
        BUILD_DIR="$VPP_WORK/external-build" INSTALL_DIR="$ext" DOWNLOAD_DIR="$VPP_WORK/downloads"
    cmake_extra+=("-DCMAKE_PREFIX_PATH=$ext")
fi

start=$(date +%s)
mkdir -p "$VPP_BUILD_DIR"
log "configuring in $VPP_BUILD_DIR, plugins: $plugins"
cmake -S "$VPP_SRC/src" -B "$VPP_BUILD_DIR" -G Ninja \
    -DCMAKE_C_COMPILER=clang-14 \
    -DCMAKE_BUILD_TYPE=release \
    -DCMAKE_INSTALL_PREFIX="$VPP_PREFIX" \
    -DVPP_BUILD_NATIVE_ONLY=ON \
    -DVPP_USE_LTO=OFF \
    -DVPP_PLUGINS="$plugins" \
    -DVPP_TESTS=none \
    -DPython3_EXECUTABLE=/usr/bin/python3 \
    "${cmake_extra[@]}"

# Every requested plugin must be configured (cmake drops some silently, e.g. linux_cp without libmnl).
missing_plugins=()
IFS=, read -r -a wanted <<<"$plugins"
for p in "${wanted[@]}"; do
    grep -q "^build ${p}_plugin\.so\b\|/${p}_plugin\.so:" "$VPP_BUILD_DIR/build.ninja" ||
        missing_plugins+=("$p")
done
[ ${#missing_plugins[@]} -eq 0 ] ||
    die "cmake did not configure plugins: ${missing_plugins[*]} (missing build dependency? see the cmake output above)"

# One ninja invocation that builds and installs: a second one (`ninja` then `ninja install`) rebuilds
# about 350 objects, because some generated API headers (nat_types.api.h, policer_types.api.h) have
# no depfile and count as dirty on every run.
log "building and installing with ninja -j $VPP_JOBS"
mkdir -p "$VPP_PREFIX"
ninja -C "$VPP_BUILD_DIR" -j "$VPP_JOBS" install | grep -v '^-- \(Installing\|Up-to-date\|Set runtime path\)'
end=$(date +%s)

{ expected_stamp; echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) seconds=$((end - start)) src=$VPP_SRC"; } >"$stamp"
log "installed VPP $version in $VPP_PREFIX in $((end - start)) s"

#!/usr/bin/env bash
# The Debian side of bng-agent's pinning (docs/operations.md, "Supported distributions").
#
#   scripts/sysdeps.sh install [--runtime]  install this distribution's packages (as root) or say what to
#                                         run; then check the installed versions against
#                                         sysdeps/<id>-<version>.txt (--runtime: only what the agent itself
#                                         needs on a node, not the test tools)
#   scripts/sysdeps.sh check [--runtime]  the version check alone (no installation)
#   scripts/sysdeps.sh constraints OUT    write the Python constraints for this machine to OUT:
#                                         constraints.txt with the distribution's overlay applied
#
# Why not exact Debian pins: a stable release's archive replaces a package version with its point release
# or security update, and the old version can no longer be installed, so `apt-get install pkg=version`
# would break a fresh machine within months. What must not move is what the Python side is built
# against: the libyang binding pinned in the constraints compiles against the system libyang, and the
# agent declares some libyang C functions itself (agent/datastore/_ly.py). So sysdeps/<distribution>.txt
# records every package with the version tested, and marks those whose major.minor must match
# (match=X.Y); a move there stops `make` with what to do, any other move is only reported.
#
# Environment: BNG_SYSDEPS_UNTESTED=1 accepts a libyang minor other than the tested one, and lets a
# distribution without a sysdeps file through (its libyang major then selects the constraints overlay).
# BNG_OS_RELEASE and BNG_SYSDEPS_DIR replace /etc/os-release and sysdeps/ (tests).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'sysdeps: %s\n' "$*" >&2; }
die() { say "$@"; exit 1; }

distribution() {
  local ID="" VERSION_ID=""
  # shellcheck disable=SC1090,SC1091
  [ -r "${BNG_OS_RELEASE:-/etc/os-release}" ] && . "${BNG_OS_RELEASE:-/etc/os-release}"
  printf '%s-%s\n' "${ID:-unknown}" "${VERSION_ID:-unknown}"
}

DIST="$(distribution)"
TABLES="${BNG_SYSDEPS_DIR:-sysdeps}"
TABLE="${TABLES}/${DIST}.txt"

RUNTIME_ONLY=0

# "package version rule" lines of the table (comments, blank lines and directives left out); rule is the
# match=X.Y flag or "-"; with --runtime only the packages flagged "runtime"
packages() {
  awk -v runtime_only="$RUNTIME_ONLY" '
    /^[[:space:]]*(#|$)/ || $1 == "python-constraints" { next }
    { rule = "-"; runtime = 0
      for (i = 3; i <= NF; i++) { if ($i ~ /^match=/) rule = $i; else if ($i == "runtime") runtime = 1 }
      if (runtime_only == 1 && !runtime) next
      print $1, $2, rule }' "$TABLE"
}

installed_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

# upstream part of a Debian version: drop the epoch and the Debian revision (2:4.0.2-3 -> 4.0.2)
upstream() { local v="${1#*:}"; printf '%s\n' "${v%-*}"; }

# the libyang development files' version (from pkg-config, or its libyang.pc where pkg-config is absent)
libyang_found() {
  pkg-config --modversion libyang 2>/dev/null && return 0
  local pc
  for pc in /usr/lib/*/pkgconfig/libyang.pc /usr/lib/pkgconfig/libyang.pc /usr/local/lib/pkgconfig/libyang.pc; do
    [ -f "$pc" ] && sed -n 's/^Version: *//p' "$pc" && return 0
  done
  return 0
}

untested_distribution() {
  local t tested=""
  for t in "$TABLES"/*.txt; do t="${t##*/}"; tested="${tested} ${t%.txt}"; done
  say "no package table for ${DIST} (tested:${tested})"
  if [ "${BNG_SYSDEPS_UNTESTED:-}" != 1 ]; then
    die "install the equivalents of ${TABLES}/debian-13.txt (libyang 2.1 or 3.12 with headers, python3-dev," \
      "python3-venv, gcc, ...) and run again with BNG_SYSDEPS_UNTESTED=1, or add ${TABLE}"
  fi
  local ly
  ly="$(libyang_found)"
  [ -n "$ly" ] || die "no libyang development files found (pkg-config libyang)"
  say "untested distribution accepted (BNG_SYSDEPS_UNTESTED=1); libyang ${ly} found"
}

cmd_install() {
  if [ ! -f "$TABLE" ]; then untested_distribution; return 0; fi
  local missing=() pkg _v _r
  while read -r pkg _v _r; do
    [ -n "$(installed_version "$pkg")" ] || missing+=("$pkg")
  done < <(packages)
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      say "installing Debian packages: ${missing[*]}"
      apt-get update -q
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
      say "missing Debian packages: ${missing[*]}"
      die "run: sudo apt-get install -y --no-install-recommends ${missing[*]}"
    fi
  fi
  cmd_check
}

cmd_check() {
  if [ ! -f "$TABLE" ]; then untested_distribution; return 0; fi
  local pkg tested rule have failed=0
  while read -r pkg tested rule; do
    have="$(installed_version "$pkg")"
    if [ -z "$have" ]; then
      say "${pkg} is not installed (run: make sysdeps as root)"; failed=1; continue
    fi
    [ "$have" = "$tested" ] && continue
    case "$rule" in
      match=*)
        local want="${rule#match=}" up
        up="$(upstream "$have")"
        if [ "${up#"$want".}" != "$up" ] || [ "$up" = "$want" ]; then
          say "note: ${pkg} ${have} installed, tested with ${tested} (same ${want}.x: accepted)"
        elif [ "${BNG_SYSDEPS_UNTESTED:-}" = 1 ]; then
          say "WARNING: ${pkg} ${have} installed, tested with ${tested}; accepted (BNG_SYSDEPS_UNTESTED=1)"
        else
          say "${pkg} ${have} is installed but bng-agent was tested on ${DIST} with ${want}.x (${tested})."
          say "The libyang binding in the Python constraints is built against libyang ${want}; another"
          say "libyang minor may change behaviour the agent relies on. To move: run the test suite with"
          say "BNG_SYSDEPS_UNTESTED=1, then record the new version in ${TABLE} (and a binding that"
          say "builds against it in the constraints) -- docs/operations.md, \"Supported distributions\"."
          failed=1
        fi
        ;;
      *) say "note: ${pkg} ${have} installed, tested with ${tested}" ;;
    esac
  done < <(packages)
  [ "$failed" = 0 ] || exit 1
}

# the constraints overlay for this machine: named by the distribution's table, or (untested
# distributions) chosen by the installed libyang major
overlay() {
  if [ -f "$TABLE" ]; then
    awk '$1 == "python-constraints" {print $2}' "$TABLE"
    return 0
  fi
  case "$(libyang_found)" in
    3.*) echo constraints-libyang3.txt ;;
    *) ;;
  esac
}

cmd_constraints() {
  local out="$1" extra tmp
  extra="$(overlay)"
  tmp="$(mktemp)"
  {
    echo "# Written by scripts/sysdeps.sh for ${DIST}: constraints.txt${extra:+ with ${extra} applied}."
    if [ -n "$extra" ]; then
      [ -f "$extra" ] || die "${TABLE} names ${extra}, which does not exist"
      # names pinned by the overlay (pip compares them case-insensitively, - and _ alike)
      local names
      names="$(sed -n 's/^\([A-Za-z0-9._-]*\)==.*/\1/p' "$extra" | tr 'A-Z_' 'a-z-' | paste -sd'|')"
      awk -v names="|${names}|" '
        /^[A-Za-z0-9._-]+==/ { n = tolower($0); sub(/==.*/, "", n); gsub(/_/, "-", n)
                               if (index(names, "|" n "|")) next }
        { print }' constraints.txt
      grep -E '^[A-Za-z0-9._-]+==' "$extra"
    else
      cat constraints.txt
    fi
  } > "$tmp"
  chmod 0644 "$tmp"
  if cmp -s "$tmp" "$out"; then rm -f "$tmp"; else mv "$tmp" "$out"; fi
}

[ "${2:-}" = "--runtime" ] && RUNTIME_ONLY=1
case "${1:-install}" in
  install) cmd_install ;;
  check) cmd_check ;;
  constraints) [ $# -eq 2 ] || die "usage: $0 constraints OUT"; cmd_constraints "$2" ;;
  *) die "usage: $0 install|check [--runtime] | constraints OUT" ;;
esac

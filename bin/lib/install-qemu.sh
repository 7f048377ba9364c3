#!/usr/bin/env bash
# Installs QEMU 10 from bookworm-backports plus the tools the test guest build needs; a quick no-op when done.
set -euo pipefail

MIN_MAJOR=10
# Guest build and QEMU tooling: qemu-img, a static busybox for the initramfs, cpio, python3 (vmlinux
# extraction) and a static C toolchain for the guest workload programs.
TOOLS=(qemu-utils busybox-static cpio python3 gcc libc6-dev xz-utils openssh-client)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
log() { printf '[install-qemu] %s\n' "$*" >&2; }

qemu_major() {
  command -v qemu-system-x86_64 >/dev/null 2>&1 || { echo 0; return; }
  qemu-system-x86_64 --version | awk '/version/{split($4, v, "."); print v[1]; exit}'
}

tools_missing() {
  local p
  for p in "${TOOLS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 0
  done
  return 1
}

if [ "$(qemu_major)" -ge "$MIN_MAJOR" ] && ! tools_missing; then
  exit 0
fi

# The backports suite uses the same mirror as the machine's existing Debian source (no host name here).
SRC=/etc/apt/sources.list.d/backports.sources
if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
  M=""
  [ -f /etc/apt/sources.list.d/debian.sources ] && M=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  [ -z "$M" ] && [ -f /etc/apt/sources.list ] && M=$(awk '$1=="deb" && $3 ~ /^bookworm$/ {print $2; exit}' /etc/apt/sources.list)
  [ -n "$M" ] || { log "no Debian mirror found in the apt sources"; exit 1; }
  log "adding bookworm-backports from $M"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$M" \
    | as_root tee "$SRC" >/dev/null
fi

# Another dpkg user may hold the lock for a while: retry instead of failing.
apt_retry() {
  local i
  for i in 1 2 3 4 5 6; do
    as_root env DEBIAN_FRONTEND=noninteractive "$@" && return 0
    log "apt failed (attempt $i), retrying in 10 s"; sleep 10
  done
  return 1
}

apt_retry apt-get update -qq
apt_retry apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-system-x86 qemu-utils >/dev/null
apt_retry apt-get install -y -qq --no-install-recommends "${TOOLS[@]}" >/dev/null
log "$(qemu-system-x86_64 --version | head -1)"
[ "$(qemu_major)" -ge "$MIN_MAJOR" ] || { log "QEMU $MIN_MAJOR or newer was not installed"; exit 1; }

#!/usr/bin/env bash
# Builds the cached boot image of a nested Xen 4.17 host for vnsnap's Xen tests: the hypervisor (xen-4.17, an ELF
# QEMU's multiboot loader can load), the dom0 kernel (vmlinuz) and an uncompressed dom0 root (dom0.cpio) holding
# Debian's Xen tools, the kernel modules Xen and QEMU's e1000 need, a jlinked JRE for vnsnap-hostd, socat for the
# test command channel, a tiny PVH test domU initramfs and the dom0 /init. The hostd jars, its configuration and
# identity are NOT in this image: the test harness appends them at boot as a second cpio (see docs/xen-testing.md).
#
# usage: build-dom0.sh [--classpath CP] [OUTBASE]
#   CP       hostd's runtime class path (colon-separated jars/directories); jdeps picks the JRE modules from it
#   OUTBASE  default <checkout>/.vnsnap/xen; the image goes to OUTBASE/<key>/ and its path is printed on stdout
# The key hashes the deb versions, this script, dom0-init and the JRE module list: the image is rebuilt only
# when one of them changes. Needs root (debootstrap, chroot) and only the Debian mirrors in the apt sources.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CLASSPATH_ARG=""
OUTBASE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --classpath) CLASSPATH_ARG="${2:?--classpath needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "build-dom0.sh: unknown option $1" >&2; exit 2 ;;
    *) OUTBASE="$1"; shift ;;
  esac
done
OUTBASE="${OUTBASE:-$ROOT/.vnsnap/xen}"
STEP_TIMEOUT="${STEP_TIMEOUT:-900}"
JDK="${VNSNAP_JLINK_JDK:-/usr/lib/jvm/java-17-openjdk-amd64}"
# Modules every hostd needs even when jdeps cannot see them (TLS with EC keys, JNDI names in TLS, reflection).
BASE_MODULES="java.base,java.logging,java.xml,java.naming,java.management,jdk.crypto.ec,jdk.unsupported,jdk.zipfs"
# Kernel module directories (relative to kernel/) copied into dom0: Xen backends, bridge, QEMU's default e1000 NIC,
# tun/veth for VM networking experiments, loop for disk images.
MODDIRS="drivers/xen drivers/block/xen-blkback drivers/net/xen-netback net/bridge net/802 net/llc
  drivers/net/ethernet/intel/e1000 drivers/net/tun.ko drivers/net/veth.ko drivers/block/loop.ko net/packet"
DOM0_PKGS="xen-utils-4.17 xenstore-utils kmod iproute2 procps busybox socat"

log() { printf '[build-dom0 %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
step() { local t="$1"; shift; timeout --kill-after=30 "$t" "$@"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- host tools ---------------------------------------------------------------------------------------------------
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v cpio >/dev/null || need+=(cpio)
[ -x /bin/busybox ] && /bin/busybox --list | grep -qx ash || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  log "installing on the host: ${need[*]}"
  for i in 1 2 3; do
    as_root env DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null && break
    [ $i = 3 ] && die "apt-get install ${need[*]} failed"
    log "apt-get failed (attempt $i; another dpkg user?), retrying in 10 s"; sleep 10
  done
fi
[ -x "$JDK/bin/jlink" ] || die "no jlink in $JDK (install openjdk-17-jdk-headless or set VNSNAP_JLINK_JDK)"

# --- versions and key ---------------------------------------------------------------------------------------------
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/{print $2; exit}'; }
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
if [ -z "$KPKG" ] || [ -z "$(candidate xen-utils-4.17)" ] || [ "$(candidate xen-utils-4.17)" = "(none)" ]; then
  log "no package lists for Xen or the kernel yet: apt-get update"
  as_root timeout 600 apt-get update -qq >/dev/null
  KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
fi
[ -n "$KPKG" ] || die "no Debian kernel package (apt-cache depends linux-image-amd64)"
XV=$(candidate xen-hypervisor-4.17-amd64)
UV=$(candidate xen-utils-4.17)
DV=$(candidate libxen-dev)
KV=$(candidate "$KPKG")
for v in "$XV" "$UV" "$DV" "$KV"; do [ -n "$v" ] && [ "$v" != "(none)" ] || die "a Xen or kernel package has no candidate version"; done

MODULES="$BASE_MODULES"
if [ -n "$CLASSPATH_ARG" ]; then
  entries=()
  IFS=: read -ra cp <<< "$CLASSPATH_ARG"
  for e in "${cp[@]}"; do [ -e "$e" ] && entries+=("$e"); done
  if [ ${#entries[@]} -gt 0 ]; then
    found=$(step 300 "$JDK/bin/jdeps" -q --ignore-missing-deps --multi-release 17 --print-module-deps "${entries[@]}" 2>/dev/null | tail -1 || true)
    [ -n "$found" ] && MODULES="$MODULES,$found"
  fi
fi
MODULES=$(echo "$MODULES" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)
KEY=$( { echo "xen-hypervisor=$XV xen-utils=$UV libxen-dev=$DV $KPKG=$KV jre=$MODULES"; cat "$0" "$HERE/dom0-init" "$HERE/domu-init"; } \
       | sha256sum | cut -c1-16)
OUT="$OUTBASE/$KEY"
if [ -f "$OUT/ready" ] && [ -f "$OUT/dom0.cpio" ] && [ -f "$OUT/xen-4.17" ] && [ -f "$OUT/vmlinuz" ]; then
  echo "$OUT"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "building the dom0 image needs root (debootstrap and chroot)"
log "building image $KEY: xen $XV, tools $UV, $KPKG $KV, JRE modules $MODULES"
T0=$(date +%s)

mkdir -p "$OUTBASE"
WORK=$(mktemp -d "$OUTBASE/.build-$KEY.XXXXXX")
R="$WORK/root"
cleanup() {
  # Unmount anything left mounted in the chroot before deleting it.
  for m in proc sys dev/pts dev; do mountpoint -q "$R/$m" 2>/dev/null && umount -l "$R/$m" || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- debs (download only; kept between builds) --------------------------------------------------------------------
DEBS="$OUTBASE/debs"
mkdir -p "$DEBS"
fetch() { # package version
  local f; f=$(ls "$DEBS/${1}_"*.deb 2>/dev/null | grep -F "_$(echo "$2" | sed 's/^[0-9]*://')_" | head -1 || true)
  if [ -z "$f" ]; then
    log "downloading $1 $2"
    (cd "$DEBS" && step 600 apt-get download -q -o APT::Sandbox::User=root "$1=$2" >/dev/null) || die "apt-get download $1=$2 failed"
    f=$(ls -t "$DEBS/${1}_"*.deb | head -1)
  fi
  echo "$f"
}
HYP_DEB=$(fetch xen-hypervisor-4.17-amd64 "$XV")
DEV_DEB=$(fetch libxen-dev "$DV")
KDEB=$(fetch "$KPKG" "$KV")
fetch xen-utils-4.17 "$UV" >/dev/null   # so a build needs the mirror for it only once; debootstrap installs it

# --- dom0 root ------------------------------------------------------------------------------------------------------
mirror() { # suite -> the URI apt uses for it
  local m=""
  [ -f /etc/apt/sources.list.d/debian.sources ] && m=$(awk -v s="$1" '/^URIs:/{u=$2} /^Suites:/{for(i=2;i<=NF;i++) if($i==s){print u; exit}}' /etc/apt/sources.list.d/debian.sources)
  [ -z "$m" ] && m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk -v s="$1" '$3==s{print $2; exit}')
  echo "$m"
}
MAIN=$(mirror bookworm)
SEC=$(mirror bookworm-security)
[ -n "$MAIN" ] || die "no bookworm mirror in the apt sources"
log "debootstrap minbase from $MAIN"
step "$STEP_TIMEOUT" debootstrap --variant=minbase bookworm "$R" "$MAIN" > "$WORK/debootstrap.log" 2>&1 \
  || { tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
{
  echo "deb $MAIN bookworm main"
  echo "deb $MAIN bookworm-updates main"
  [ -n "$SEC" ] && echo "deb $SEC bookworm-security main"
} > "$R/etc/apt/sources.list"
mount -t proc proc "$R/proc"
log "installing $DOM0_PKGS in dom0"
step "$STEP_TIMEOUT" chroot "$R" apt-get update -qq >/dev/null || die "apt-get update in the chroot failed"
step "$STEP_TIMEOUT" chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  $DOM0_PKGS "xen-utils-4.17=$UV" > "$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log" >&2; die "installing the dom0 packages failed"; }
chroot "$R" apt-get clean
umount "$R/proc"
rm -rf "$R"/usr/share/{doc,man,locale,info} "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin
# JNA's Native.load("xenlight") needs the unversioned names, which only the -dev package has.
dpkg-deb -x "$DEV_DEB" "$WORK/dev"
for so in "$WORK"/dev/usr/lib/x86_64-linux-gnu/*.so; do
  [ -L "$so" ] && cp -P "$so" "$R/usr/lib/x86_64-linux-gnu/"
done

# --- hypervisor, kernel, modules -------------------------------------------------------------------------------------
log "unpacking the hypervisor and the kernel"
dpkg-deb -x "$HYP_DEB" "$WORK/hyp"
XGZ=$(ls "$WORK"/hyp/boot/xen-4.17*-amd64.gz | head -1)
zcat "$XGZ" > "$WORK/xen-4.17"   # QEMU's multiboot loader needs the ELF, not the gzip
cp "$(ls "$WORK"/hyp/boot/xen-4.17*-amd64.config | head -1)" "$WORK/xen.config"
step 600 dpkg-deb -x "$KDEB" "$WORK/k"
KREL=$(ls "$WORK/k/lib/modules" | head -1)
cp "$WORK/k/boot/vmlinuz-$KREL" "$WORK/vmlinuz"
M="$R/lib/modules/$KREL"
mkdir -p "$M/kernel"
for d in $MODDIRS; do
  [ -e "$WORK/k/lib/modules/$KREL/kernel/$d" ] || { log "note: $d is not a module in $KREL (built in?)"; continue; }
  mkdir -p "$M/kernel/$(dirname "$d")"
  cp -a "$WORK/k/lib/modules/$KREL/kernel/$d" "$M/kernel/$(dirname "$d")/"
done
cp "$WORK/k/lib/modules/$KREL"/modules.{order,builtin,builtin.modinfo} "$M/"
chroot "$R" /sbin/depmod "$KREL"
# The domU kernel: the same Debian bzImage (libxl unpacks it for PVH).
cp "$WORK/vmlinuz" "$R/boot/vmlinuz-domu"

# --- JRE ---------------------------------------------------------------------------------------------------------------
log "jlink JRE ($MODULES)"
step 600 "$JDK/bin/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files --compress=2 \
  --output "$R/opt/vnsnap/jre" || die "jlink failed"

# --- tiny test domU initramfs (static busybox) -------------------------------------------------------------------------
D="$WORK/domu"
mkdir -p "$D"/{bin,proc,sys,dev,tmp}
cp /bin/busybox "$D/bin/busybox"
ln -s busybox "$D/bin/sh"
install -m 0755 "$HERE/domu-init" "$D/init"
(cd "$D" && find . | cpio -o -H newc --quiet | gzip -9) > "$R/boot/domu.cpio.gz"

# --- dom0 init, pack -----------------------------------------------------------------------------------------------------
install -m 0755 "$HERE/dom0-init" "$R/init"
mkdir -p "$R/opt/vnsnap/run" "$R/var/log/xen/console" "$R/var/lib/xen" "$R/var/lib/xenstored"
echo "$KREL" > "$R/etc/vnsnap-kernel-release"
log "packing dom0.cpio"
(cd "$R" && find . -xdev | step 600 cpio -o -H newc --quiet) > "$WORK/dom0.cpio"

mkdir -p "$OUT"
mv -f "$WORK/dom0.cpio" "$WORK/xen-4.17" "$WORK/vmlinuz" "$WORK/xen.config" "$OUT/"
cp "$R/boot/domu.cpio.gz" "$OUT/domu.cpio.gz"
{
  echo "key=$KEY"
  echo "xen-hypervisor-4.17-amd64=$XV"
  echo "xen-utils-4.17=$UV"
  echo "libxen-dev=$DV"
  echo "$KPKG=$KV"
  echo "kernel-release=$KREL"
  echo "jre-modules=$MODULES"
  echo "shadow-paging=$(grep -q '^CONFIG_SHADOW_PAGING=y' "$OUT/xen.config" && echo yes || echo no)"
  echo "build-seconds=$(( $(date +%s) - T0 ))"
} > "$OUT/versions"
touch "$OUT/ready"
# Images under older keys are superseded (their debs stay in debs/ for reuse).
for d in "$OUTBASE"/*/; do
  d="${d%/}"
  [ "$d" != "$OUT" ] && [ -f "$d/ready" ] && rm -rf "$d"
done
log "image ready in $OUT ($(( $(date +%s) - T0 )) s, dom0.cpio $(du -m "$OUT/dom0.cpio" | cut -f1) MB)"
echo "$OUT"

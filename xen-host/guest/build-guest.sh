#!/usr/bin/env bash
# Builds the vnsnap test guest into OUTDIR: a PVH-bootable Debian kernel (vmlinux), and a busybox
# initramfs with the virtio modules, our /init, the C workload tools and dropbear for SSH access. Skipped when OUTDIR's stamp
# matches the kernel package version and the hash of the guest sources.
#
# usage: build-guest.sh [OUTDIR]     (default: <checkout>/.vnsnap/guest)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/.vnsnap/guest}"
MODORDER="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net virtio_blk virtio_console qemu_fw_cfg e1000"
# The SSH server and the Debian libraries it needs that the host may lack (the rest comes from the host via ldd).
SSH_PKGS="dropbear-bin libtomcrypt1 libtommath1"
TOOLS="memdirty diskrec udpseq tcpstream"

log() { printf '[build-guest] %s\n' "$*" >&2; }

kernel_package() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'; }
KPKG=$(kernel_package)
if [ -z "$KPKG" ]; then
  # A fresh machine may have no package lists yet.
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null; else sudo apt-get update -qq >/dev/null; fi
  KPKG=$(kernel_package)
fi
[ -n "$KPKG" ] || { log "no Debian kernel package found (apt-cache depends linux-image-amd64)"; exit 1; }
KVERSION=$(apt-cache policy "$KPKG" | awk '/Candidate:/{print $2; exit}')
SSHVERSION=$(apt-cache policy dropbear-bin | awk '/Candidate:/{print $2; exit}')
SRCHASH=$( (cd "$HERE" && cat build-guest.sh init access udhcpc.script src/*.c) | sha256sum | cut -c1-16)
STAMP="$KPKG $KVERSION dropbear-$SSHVERSION $SRCHASH"

if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$STAMP" ] && [ -f "$OUT/vmlinux" ] && [ -f "$OUT/initramfs.cpio.gz" ]; then
  exit 0
fi
command -v busybox >/dev/null && [ -x /bin/busybox ] || { log "busybox-static is missing (bin/lib/install-qemu.sh installs it)"; exit 1; }

mkdir -p "$OUT"
WORK="$(mktemp -d "$OUT/.build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# The kernel .deb is cached in OUTDIR so a source change does not download it again.
mkdir -p "$OUT/cache"
DEB=$(ls "$OUT/cache/${KPKG}_"*.deb 2>/dev/null | head -1 || true)
if [ -z "$DEB" ]; then
  log "downloading $KPKG $KVERSION"
  (cd "$OUT/cache" && apt-get download -q "$KPKG" >/dev/null)
  DEB=$(ls "$OUT/cache/${KPKG}_"*.deb | head -1)
fi
for p in $SSH_PKGS; do
  if ! ls "$OUT/cache/${p}_"*.deb >/dev/null 2>&1; then
    log "downloading $p"
    (cd "$OUT/cache" && apt-get download -q "$p" >/dev/null 2>&1)
  fi
done
log "unpacking $(basename "$DEB")"
dpkg-deb -x "$DEB" "$WORK/kroot"
KVER=$(ls "$WORK/kroot/lib/modules" | head -1)
VMLINUZ="$WORK/kroot/boot/vmlinuz-$KVER"

# PVH boot needs the ELF inside the compressed image: it starts at the xz magic FD 37 7A 58 5A 00.
python3 - "$VMLINUZ" "$WORK/vmlinux" <<'PY'
import lzma, sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit("no xz stream in " + sys.argv[1])
elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[start:])
if elf[:4] != b"\x7fELF":
    sys.exit("decompressed kernel is not an ELF file")
open(sys.argv[2], "wb").write(elf)
PY

R="$WORK/root"
mkdir -p "$R"/{bin,sbin,etc,proc,sys,dev,tmp,lib/modules}
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do
  [ "$a" = busybox ] || ln -sf /bin/busybox "$R/bin/$a"
done
for m in $MODORDER; do
  f=$(find "$WORK/kroot/lib/modules/$KVER/kernel" -name "$m.ko*" | head -1)
  [ -n "$f" ] || { log "module $m not found in $KPKG"; exit 1; }
  case "$f" in
    *.ko.xz) xz -dc "$f" > "$R/lib/modules/$m.ko" ;;
    *) cp "$f" "$R/lib/modules/$m.ko" ;;
  esac
done
echo "$MODORDER" | tr ' ' '\n' > "$R/etc/modorder"
for t in $TOOLS; do
  gcc -static -O2 -Wall -Wextra -Werror -o "$R/bin/$t" "$HERE/src/$t.c"
done
install -m 0755 "$HERE/init" "$R/init"
install -m 0755 "$HERE/access" "$R/bin/vnsnap-access"
install -m 0755 "$HERE/udhcpc.script" "$R/etc/udhcpc.script"

# dropbear (dynamically linked) with every library ldd resolves, at the same paths as on the host.
mkdir -p "$WORK/ssh"
for p in $SSH_PKGS; do dpkg-deb -x "$(ls "$OUT/cache/${p}_"*.deb | head -1)" "$WORK/ssh"; done
cp "$WORK/ssh/usr/sbin/dropbear" "$WORK/ssh/usr/bin/dropbearkey" "$R/bin/"
for lib in $(LD_LIBRARY_PATH="$WORK/ssh/usr/lib/x86_64-linux-gnu" ldd "$WORK/ssh/usr/sbin/dropbear" "$WORK/ssh/usr/bin/dropbearkey" \
             | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u); do
  case "$lib" in
    "$WORK/ssh"/*) dest="/lib/x86_64-linux-gnu/$(basename "$lib")" ;;
    *) dest="$lib" ;;
  esac
  mkdir -p "$R$(dirname "$dest")"
  cp -L "$lib" "$R$dest"
done
[ -e "$R/lib64/ld-linux-x86-64.so.2" ] || { log "the dynamic loader was not copied for dropbear"; exit 1; }
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\n' > "$R/etc/group"
printf '/bin/sh\n' > "$R/etc/shells"
mkdir -p "$R/root" "$R/home"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initramfs.cpio.gz"

# The tools also run on the host (static x86-64), e.g. to test memdirty's torn-image detector.
mkdir -p "$OUT/tools"
for t in $TOOLS; do cp "$R/bin/$t" "$OUT/tools/$t"; done
mv -f "$WORK/vmlinux" "$OUT/vmlinux"
mv -f "$WORK/initramfs.cpio.gz" "$OUT/initramfs.cpio.gz"
echo "$KVER" > "$OUT/kernel-release"
echo "$STAMP" > "$OUT/stamp.tmp" && mv -f "$OUT/stamp.tmp" "$OUT/stamp"
log "guest ready in $OUT (kernel $KVER)"

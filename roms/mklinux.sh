#!/bin/bash
# Build the shade86 Linux guest images from Debian (bookworm) i386 packages.
#
#   roms/mklinux.sh [OUTDIR]      (default: build/linux)
#   roms/mklinux.sh --print-deps  (host packages needed, one line)
#
# Outputs in OUTDIR: vmlinuz (bzImage), initrd.img (gzip newc cpio: busybox +
# roms/linux-init.sh as /init), disk.img (MBR + FAT16 + syslinux, boots the
# same kernel/initrd), memtest.bin (memtest86+ ia32).  The .deb files are kept
# in OUTDIR/debs, so a rerun needs no network; nothing here needs root.
set -euo pipefail

HOST_DEPS="syslinux syslinux-common mtools dosfstools gcc"

die() { echo "mklinux: error: $*" >&2; exit 1; }
log() { echo "mklinux: $*" >&2; }

case "${1:-}" in
--print-deps) echo "$HOST_DEPS"; exit 0 ;;
-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
-*) die "unknown option $1 (usage: $0 [--print-deps] [OUTDIR])" ;;
esac

ROMS=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-build/linux}
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
DEBS=$OUT/debs
WORK=$OUT/work
mkdir -p "$DEBS"

# ---------------------------------------------------------------- host tools
missing=
for t in dpkg-deb tar gzip cc mformat mcopy mdir mkfs.fat syslinux; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
MBR_BIN=
for f in /usr/lib/syslinux/mbr/mbr.bin /usr/lib/SYSLINUX/mbr.bin /usr/share/syslinux/mbr.bin; do
    [ -f "$f" ] && { MBR_BIN=$f; break; }
done
[ -n "$MBR_BIN" ] || missing="$missing mbr.bin"
[ -z "$missing" ] || die "missing host tools:$missing (apt-get install $HOST_DEPS)"

# ------------------------------------------------------------- fetch the debs
MANIFEST=$DEBS/MANIFEST      # the three .deb file names, one per line
have_debs() {
    [ -s "$MANIFEST" ] || return 1
    local n=0 f
    while read -r f; do [ -f "$DEBS/$f" ] || return 1; n=$((n + 1)); done < "$MANIFEST"
    [ "$n" -eq 3 ]
}

fetch_debs() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: cannot download Debian packages"
    local A=$OUT/apt
    mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
    # A private apt state for i386: reads the host's sources.list(.d) mirrors,
    # changes nothing on the system, needs no root.
    APT_OPTS=(-o "Dir::State=$A" -o "Dir::State::status=/dev/null"
              -o "Dir::Cache=$A/cache" -o "APT::Architecture=i386"
              -o "APT::Architectures::=i386" -o "Debug::NoLocking=1"
              -o "APT::Sandbox::User=$(id -un)" -o "Acquire::Retries=3")
    local SUF=
    log "apt-get update (private i386 state in $A)"
    local urc=0
    apt-get -q "${APT_OPTS[@]}" update > "$A/update.log" 2>&1 || urc=$?
    if ls "$A"/lists/*_binary-i386_Packages* >/dev/null 2>&1; then
        # a single failing index (e.g. a security mirror mid-sync) is not fatal
        # as long as the main archive's i386 index arrived
        [ "$urc" = 0 ] || log "warning: apt-get update reported errors (see $A/update.log), continuing"
    elif grep -q 'Failed to fetch' "$A/update.log"; then
        die "download of the i386 package lists failed: $(grep -m1 'Failed to fetch' "$A/update.log" | sed 's/^[EW]: //')"
    elif [ "$(id -u)" = 0 ]; then
        # apt refused the private i386 state: use the system's, with i386 added
        log "private apt state failed (see $A/update.log); falling back to: dpkg --add-architecture i386 && apt-get update"
        APT_OPTS=(-o "Acquire::Retries=3")
        SUF=:i386
        dpkg --add-architecture i386 || die "dpkg --add-architecture i386 failed"
        apt-get -q update > "$A/update.log" 2>&1 || log "warning: apt-get update reported errors (see $A/update.log)"
    else
        die "apt-get update with a private i386 state failed (see $A/update.log); as root run: dpkg --add-architecture i386 && apt-get update"
    fi
    # follow the metapackage to the versioned kernel package
    local kpkg
    kpkg=$(apt-cache "${APT_OPTS[@]}" depends "linux-image-686$SUF" 2>/dev/null |
           sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*-686\).*/\1/p' | head -n 1) || kpkg=
    [ -n "$kpkg" ] || die "cannot resolve linux-image-686 to a linux-image-*-686 package"
    log "downloading $kpkg busybox-static memtest86+ (i386)"
    local tmp=$DEBS/.dl
    rm -rf "$tmp"; mkdir -p "$tmp"
    (cd "$tmp" && apt-get -q "${APT_OPTS[@]}" download "$kpkg$SUF" "busybox-static$SUF" "memtest86+$SUF") \
        > "$tmp.log" 2>&1 || die "apt-get download failed: $(grep -m1 '^E:' "$tmp.log" || tail -n 1 "$tmp.log")"
    local k b m
    k=$(cd "$tmp" && ls linux-image-*.deb 2>/dev/null | head -n 1)
    b=$(cd "$tmp" && ls busybox-static_*.deb 2>/dev/null | head -n 1)
    m=$(cd "$tmp" && ls memtest86+_*.deb 2>/dev/null | head -n 1)
    [ -n "$k" ] && [ -n "$b" ] && [ -n "$m" ] || die "apt-get download did not produce all three .deb files"
    mv "$tmp"/*.deb "$DEBS/" && rmdir "$tmp" && rm -f "$tmp.log"
    printf '%s\n' "$k" "$b" "$m" > "$MANIFEST"
}

have_debs || fetch_debs
KDEB=$DEBS/$(sed -n 1p "$MANIFEST")
BDEB=$DEBS/$(sed -n 2p "$MANIFEST")
MDEB=$DEBS/$(sed -n 3p "$MANIFEST")

# ------------------------------------------------------------- up to date?
stamp_key() {
    cat "$MANIFEST" "$0" "$ROMS/mkcpio.c" "$ROMS/linux-init.sh"
    syslinux --version 2>&1 | head -n 1
} 
KEY=$(stamp_key | sha256sum | cut -d' ' -f1)
STAMP=$OUT/.stamp
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$KEY" ] &&
   [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ] && [ -f "$OUT/disk.img" ] && [ -f "$OUT/memtest.bin" ]; then
    log "up to date: $OUT"
    exit 0
fi
rm -f "$STAMP"

# ------------------------------------------------------------- extract
rm -rf "$WORK"; mkdir -p "$WORK/kernel" "$WORK/busybox" "$WORK/memtest"
# only /boot and apm.ko of the kernel package (the modules are ~300 MB)
dpkg-deb --fsys-tarfile "$KDEB" | tar -x -C "$WORK/kernel" --wildcards \
    './boot/*' './lib/modules/*/kernel/arch/x86/kernel/apm.ko' ||
    die "cannot extract $KDEB"
dpkg-deb -x "$BDEB" "$WORK/busybox" || die "cannot extract $BDEB"
dpkg-deb -x "$MDEB" "$WORK/memtest" || die "cannot extract $MDEB"
VMLINUZ=$(ls "$WORK"/kernel/boot/vmlinuz-* 2>/dev/null | head -n 1)
APM_KO=$(ls "$WORK"/kernel/lib/modules/*/kernel/arch/x86/kernel/apm.ko 2>/dev/null | head -n 1)
[ -f "$VMLINUZ" ] || die "no /boot/vmlinuz-* in $KDEB"
[ -f "$APM_KO" ] || die "no apm.ko in $KDEB"
[ -x "$WORK/busybox/bin/busybox" ] || die "no /bin/busybox in $BDEB"
[ -f "$WORK/memtest/boot/memtest86+ia32.bin" ] || die "no /boot/memtest86+ia32.bin in $MDEB"
cp "$VMLINUZ" "$OUT/vmlinuz.tmp" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
cp "$(ls "$WORK"/kernel/boot/config-* | head -n 1)" "$OUT/kernel.config"
cp "$WORK/memtest/boot/memtest86+ia32.bin" "$OUT/memtest.bin"

# ------------------------------------------------------------- initramfs
cc -std=c11 -O2 -o "$WORK/mkcpio" "$ROMS/mkcpio.c" || die "cannot build mkcpio"
{
    for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /proc /sys /tmp /run /root /etc /lib /lib/modules; do
        echo "dir $d 0755 0 0"
    done
    echo "nod /dev/console 0600 0 0 c 5 1"
    echo "nod /dev/null 0666 0 0 c 1 3"
    echo "file /bin/busybox $WORK/busybox/bin/busybox 0755 0 0"
    echo "slink /bin/sh busybox 0777 0 0"
    echo "file /lib/modules/apm.ko $APM_KO 0644 0 0"
    echo "file /init $ROMS/linux-init.sh 0755 0 0"
} > "$WORK/initrd.spec"
"$WORK/mkcpio" "$WORK/initrd.spec" | gzip -9n > "$OUT/initrd.img.tmp" || die "cannot build initrd"
mv "$OUT/initrd.img.tmp" "$OUT/initrd.img"

# ------------------------------------------------------------- disk image
# 32 MiB disk, geometry 16 heads x 63 sectors; one FAT16 partition from LBA
# 2048 to the end, made in a separate file and copied in at its offset.
# fixed timestamps (mtools and dosfstools honour SOURCE_DATE_EPOCH) for a reproducible image
export MTOOLS_SKIP_CHECK=1 SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}
DISK=$WORK/disk.img
SECTORS=65536; START=2048; PSECT=$((SECTORS - START)); OFFSET=$((START * 512))
chs() { # LBA -> 3 CHS bytes (octal escapes for printf)
    local lba=$1 c h s
    c=$((lba / (16 * 63))); h=$(((lba / 63) % 16)); s=$((lba % 63 + 1))
    [ $c -gt 1023 ] && { c=1023; h=15; s=63; }
    printf '\\%03o\\%03o\\%03o' $h $(( s | ((c >> 2) & 0xc0) )) $((c & 0xff))
}
le32() { printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
rm -f "$DISK" "$WORK/part.img"
truncate -s $((SECTORS * 512)) "$DISK"
dd if="$MBR_BIN" of="$DISK" bs=440 count=1 conv=notrunc status=none
# disk signature, then partition 1: active, type 0x0e (FAT16 LBA)
printf "$(le32 0x5ade8600)\\000\\000\\200$(chs $START)\\016$(chs $((SECTORS - 1)))$(le32 $START)$(le32 $PSECT)" |
    dd of="$DISK" bs=1 seek=440 conv=notrunc status=none
printf '\125\252' | dd of="$DISK" bs=1 seek=510 conv=notrunc status=none
mkfs.fat -F 16 -n SHADE86 -i 5ade8600 -h $START -S 512 -C "$WORK/part.img" $((PSECT / 2)) > /dev/null ||
    die "mkfs.fat failed"
dd if="$WORK/part.img" of="$DISK" bs=512 seek=$START conv=notrunc status=none
rm -f "$WORK/part.img"
syslinux --install --offset $OFFSET "$DISK" || die "syslinux --install failed"
# cryptomgr.notests: the kernel's crypto self-tests take over a minute on
# shade86's interpreter; the -kernel boot of the tests runs them
cat > "$WORK/syslinux.cfg" <<'EOF'
SERIAL 0 115200
PROMPT 0
TIMEOUT 1
DEFAULT linux

LABEL linux
  LINUX vmlinuz
  INITRD initrd.img
  APPEND console=ttyS0,115200 cryptomgr.notests

LABEL shell
  LINUX vmlinuz
  INITRD initrd.img
  APPEND console=ttyS0,115200 cryptomgr.notests shade86.shell

LABEL memtest
  LINUX memtest.bin
  APPEND console=ttyS0,115200
EOF
mcopy -o -i "$DISK@@$OFFSET" "$OUT/vmlinuz" "$OUT/initrd.img" "$WORK/syslinux.cfg" ::/ ||
    die "mcopy to disk image failed"
mcopy -o -i "$DISK@@$OFFSET" "$OUT/memtest.bin" ::/memtest.bin || die "mcopy to disk image failed"
mv "$DISK" "$OUT/disk.img"

echo "$KEY" > "$STAMP"
log "done: $OUT/{vmlinuz,initrd.img,disk.img,memtest.bin} ($(basename "$KDEB" .deb))"

#!/bin/bash
# Build the guest-benchmark image of `make bench-guest` (tests/bench/guest.sh).
#
#   roms/mkbench.sh [OUTDIR [LINUXDIR]]   (default: build/bench build/linux)
#   roms/mkbench.sh --print-deps          (host packages needed, one line)
#
# LINUXDIR is roms/mklinux.sh's output: its kernel and busybox-static .deb are
# used, so the benchmarks run on the same Debian i386 kernel as the tests.
# Debian's i386 gzip, bzip2, xz-utils, coreutils and glibc (and, to build our
# programs, libc6-dev, linux-libc-dev and libgcc-N-dev) come from
# `apt-get download` with a private i386 apt state, like mklinux.sh; the .debs
# are kept in OUTDIR/debs.  Outputs in OUTDIR:
#   root/        the i386 files, also /bench in the guest: bin/ gzip bzip2 xz
#                sha256sum (Debian's) and benchrun mkcorpus intmark kbench
#                (tests/bench/*.c, -m32 -O2 -static against the same glibc);
#                lib/ ld-linux.so.2 and the libraries they need; bench-init.sh.
#                They run on an x86-64 host that has IA32 emulation as
#                  root/lib/ld-linux.so.2 --library-path root/lib root/bin/gzip
#   host/        benchrun mkcorpus intmark kbench built for the host (x86-64),
#                for hosts that cannot run i386 code
#   vmlinuz      LINUXDIR/vmlinuz
#   initrd.img   gzip newc cpio: busybox, root/ as /bench, roms/bench-init.sh as /init
# Nothing here needs root; gcc-multilib is not needed either: the host gcc
# compiles with -m32 against the i386 glibc in OUTDIR/sysroot.
set -euo pipefail

HOST_DEPS="gcc binutils"

die() { echo "mkbench: error: $*" >&2; exit 1; }
log() { echo "mkbench: $*" >&2; }

case "${1:-}" in
--print-deps) echo "$HOST_DEPS"; exit 0 ;;
-h|--help) sed -n '2,25p' "$0"; exit 0 ;;
-*) die "unknown option $1 (usage: $0 [--print-deps] [OUTDIR [LINUXDIR]])" ;;
esac

ROMS=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$ROMS/../tests/bench" && pwd)
OUT=${1:-build/bench}
LINUX=${2:-build/linux}
[ -f "$LINUX/vmlinuz" ] && [ -s "$LINUX/debs/MANIFEST" ] ||
    die "no Linux test image in $LINUX (make linux-image, or roms/mklinux.sh $LINUX)"
LINUX=$(cd "$LINUX" && pwd)
BUSYBOX_DEB=$LINUX/debs/$(sed -n 2p "$LINUX/debs/MANIFEST")
[ -f "$BUSYBOX_DEB" ] || die "$BUSYBOX_DEB is missing (rerun roms/mklinux.sh $LINUX)"
mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
DEBS=$OUT/debs
WORK=$OUT/work
mkdir -p "$DEBS"

missing=
for t in dpkg-deb tar gzip gcc readelf; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ -z "$missing" ] || die "missing host tools:$missing (apt-get install $HOST_DEPS)"
# libgcc for -m32 must match the host compiler's major version
GCCV=$(gcc -dumpversion | cut -d. -f1)

# ------------------------------------------------------------- fetch the debs
PKGS="gzip bzip2 libbz2-1.0 xz-utils liblzma5 coreutils libc6 libc6-dev linux-libc-dev libgcc-$GCCV-dev"
MANIFEST=$DEBS/MANIFEST      # "package file.deb" per line
have_debs() {
    [ -s "$MANIFEST" ] || return 1
    local p f
    for p in $PKGS; do
        f=$(awk -v p="$p" '$1 == p { print $2 }' "$MANIFEST")
        [ -n "$f" ] && [ -f "$DEBS/$f" ] || return 1
    done
}

fetch_debs() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: cannot download Debian packages"
    local A=$OUT/apt
    mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
    # the same private i386 apt state as roms/mklinux.sh: the host's
    # sources.list(.d) mirrors, nothing on the system changes, no root
    local APT_OPTS=(-o "Dir::State=$A" -o "Dir::State::status=/dev/null"
              -o "Dir::Cache=$A/cache" -o "APT::Architecture=i386"
              -o "APT::Architectures::=i386" -o "Debug::NoLocking=1"
              -o "APT::Sandbox::User=$(id -un)" -o "Acquire::Retries=3")
    log "apt-get update (private i386 state in $A)"
    local urc=0
    apt-get -q "${APT_OPTS[@]}" update > "$A/update.log" 2>&1 || urc=$?
    ls "$A"/lists/*_binary-i386_Packages* >/dev/null 2>&1 ||
        die "apt-get update with a private i386 state failed (see $A/update.log)"
    [ "$urc" = 0 ] || log "warning: apt-get update reported errors (see $A/update.log), continuing"
    log "downloading (i386): $PKGS"
    local tmp=$DEBS/.dl p f
    rm -rf "$tmp"; mkdir -p "$tmp"
    # shellcheck disable=SC2086
    (cd "$tmp" && apt-get -q "${APT_OPTS[@]}" download $PKGS) > "$tmp.log" 2>&1 ||
        die "apt-get download failed: $(grep -m1 '^E:' "$tmp.log" || tail -n 1 "$tmp.log")"
    : > "$MANIFEST.tmp"
    for p in $PKGS; do
        f=$(cd "$tmp" && ls "${p}_"*.deb 2>/dev/null | head -n 1)
        [ -n "$f" ] || die "apt-get download did not produce ${p}_*.deb"
        echo "$p $f" >> "$MANIFEST.tmp"
    done
    mv "$tmp"/*.deb "$DEBS/" && rmdir "$tmp" && rm -f "$tmp.log"
    mv "$MANIFEST.tmp" "$MANIFEST"
}

have_debs || fetch_debs
deb() { echo "$DEBS/$(awk -v p="$1" '$1 == p { print $2 }' "$MANIFEST")"; }

# ------------------------------------------------------------- up to date?
stamp_key() {
    cat "$MANIFEST" "$0" "$ROMS/bench-init.sh" "$ROMS/mkcpio.c"
    cat "$SRC/benchrun.c" "$SRC/mkcorpus.c" "$SRC/intmark.c" "$SRC/kbench.c"
    basename "$BUSYBOX_DEB"
    sha256sum < "$LINUX/vmlinuz"
    gcc --version | head -n 1
}
KEY=$(stamp_key | sha256sum | cut -d' ' -f1)
STAMP=$OUT/.stamp
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$KEY" ] &&
   [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ] && [ -x "$OUT/host/intmark" ]; then
    log "up to date: $OUT"
    touch "$STAMP"      # newer than its inputs again, for make
    exit 0
fi
rm -f "$STAMP"

# ------------------------------------------------------------- extract
rm -rf "$WORK" "$OUT/root" "$OUT/host" "$OUT/sysroot"
mkdir -p "$WORK/pkg" "$WORK/busybox" "$OUT/sysroot" "$OUT/root/bin" "$OUT/root/lib" "$OUT/host"
for p in gzip bzip2 libbz2-1.0 xz-utils liblzma5 coreutils libc6; do
    dpkg-deb -x "$(deb "$p")" "$WORK/pkg" || die "cannot extract $(deb "$p")"
done
for p in libc6 libc6-dev linux-libc-dev "libgcc-$GCCV-dev"; do
    dpkg-deb -x "$(deb "$p")" "$OUT/sysroot" || die "cannot extract $(deb "$p")"
done
dpkg-deb -x "$BUSYBOX_DEB" "$WORK/busybox" || die "cannot extract $BUSYBOX_DEB"
[ -x "$WORK/busybox/bin/busybox" ] || die "no /bin/busybox in $BUSYBOX_DEB"

R=$OUT/root
cp "$WORK/pkg/bin/gzip" "$WORK/pkg/bin/bzip2" "$WORK/pkg/usr/bin/xz" "$WORK/pkg/usr/bin/sha256sum" "$R/bin/" ||
    die "a program is missing from the packages"
# the loader, then every library a program or library asks for (DT_NEEDED),
# from the packages' multiarch directories (their symlinks are relative)
cp -L "$WORK/pkg/lib/i386-linux-gnu/ld-linux.so.2" "$R/lib/" || die "no ld-linux.so.2 in libc6"
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
changed=1
while [ $changed = 1 ]; do
    changed=0
    for f in "$R"/bin/* "$R"/lib/*; do
        for lib in $(needed "$f"); do
            [ -f "$R/lib/$lib" ] && continue
            src=
            for d in lib/i386-linux-gnu usr/lib/i386-linux-gnu; do
                [ -e "$WORK/pkg/$d/$lib" ] && { src=$WORK/pkg/$d/$lib; break; }
            done
            [ -n "$src" ] || die "$(basename "$f") needs $lib, which none of the packages has"
            cp -L "$src" "$R/lib/$lib"
            changed=1
        done
    done
done

# ------------------------------------------------------------- our programs
# -m32 against the i386 glibc just extracted: its crt files, libc.a and
# headers from the sysroot, libgcc from libgcc-N-dev (i686-linux-gnu)
S=$OUT/sysroot
G=$S/usr/lib/gcc/i686-linux-gnu/$GCCV
[ -f "$G/libgcc.a" ] || die "no $G/libgcc.a in libgcc-$GCCV-dev"
for p in benchrun mkcorpus intmark kbench; do
    gcc -m32 -O2 -static -std=c11 -Wall --sysroot="$S" -B"$G" -L"$G" -o "$R/bin/$p" "$SRC/$p.c" ||
        die "cannot build $p -m32"
    gcc -O2 -std=c11 -Wall -o "$OUT/host/$p" "$SRC/$p.c" || die "cannot build $p for the host"
done
cp "$ROMS/bench-init.sh" "$R/bench-init.sh"

# ------------------------------------------------------------- initramfs
cp "$LINUX/vmlinuz" "$OUT/vmlinuz.tmp" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
gcc -std=c11 -O2 -o "$WORK/mkcpio" "$ROMS/mkcpio.c" || die "cannot build mkcpio"
{
    for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /proc /sys /tmp /run /root /etc /lib \
             /bench /bench/bin /bench/lib; do
        echo "dir $d 0755 0 0"
    done
    echo "nod /dev/console 0600 0 0 c 5 1"
    echo "nod /dev/null 0666 0 0 c 1 3"
    echo "file /bin/busybox $WORK/busybox/bin/busybox 0755 0 0"
    echo "slink /bin/sh busybox 0777 0 0"
    for f in "$R"/bin/* "$R"/lib/*; do
        echo "file /bench/${f#"$R"/} $f 0755 0 0"
    done
    echo "file /bench/bench-init.sh $ROMS/bench-init.sh 0755 0 0"
    echo "file /init $ROMS/bench-init.sh 0755 0 0"
} > "$WORK/initrd.spec"
"$WORK/mkcpio" "$WORK/initrd.spec" | gzip -9n > "$OUT/initrd.img.tmp" || die "cannot build initrd"
mv "$OUT/initrd.img.tmp" "$OUT/initrd.img"
rm -rf "$WORK"

echo "$KEY" > "$STAMP"
log "done: $OUT/{vmlinuz,initrd.img,root,host} ($(awk '{ printf " %s", $2 }' "$MANIFEST" | sed 's/\.deb//g; s/_i386//g'))"

#!/bin/sh
# The workloads of `make bench-guest`, one list for every place they run:
#   - as /init of the benchmark initramfs (roms/mkbench.sh) in shade86 or
#     QEMU: the files are in /bench, the work in /tmp (tmpfs); options come
#     from the kernel command line (bench.mib=20 bench.xzmib=20
#     bench.iter=20000 bench.kscale=1 bench.only=NAME,NAME); powers off at
#     the end;
#   - on the host, by tests/bench/guest.sh, with the SAME i386 files:
#       bench-init.sh --i386 ROOT WORKDIR
#     or, where the host kernel cannot run i386 code, with the host's own
#     x86-64 gzip, bzip2, xz and sha256sum and our programs built for it:
#       bench-init.sh --x86-64 HOSTBINDIR WORKDIR
#     (options from BENCH_MIB, BENCH_XZMIB, BENCH_ITER, BENCH_KSCALE,
#     BENCH_ONLY in the environment).
# Output, machine-readable (tests/bench/guest.sh reads it):
#   BENCH-INFO key=value ...
#   BENCH-BEGIN NAME / BENCH-END NAME status=S ns=N   (benchrun, around each run)
#   BENCH-RESULT NAME TEXT     what must be the same everywhere (hash, checksum)
#   BENCH-DONE
# POSIX sh: busybox ash in the guest, dash or bash on the host.
MIB=${BENCH_MIB:-20}
XZMIB=${BENCH_XZMIB:-$MIB}
ITER=${BENCH_ITER:-20000}
KSCALE=${BENCH_KSCALE:-1}
ONLY=${BENCH_ONLY:-all}

case "$1" in
--i386|--x86-64)
    MODE=$1
    R=$2
    W=$3
    [ -d "$R" ] && [ -d "$W" ] || { echo "usage: $0 --i386 ROOT WORKDIR | --x86-64 HOSTBINDIR WORKDIR" >&2; exit 2; }
    R=$(cd "$R" && pwd)
    ;;
*)
    MODE=--i386
    R=/bench
    W=/tmp
    export PATH=/bin:/sbin:/usr/bin:/usr/sbin
    /bin/busybox --install -s /bin
    mkdir -p /proc /sys /dev /tmp
    mount -t proc proc /proc
    mount -t sysfs sysfs /sys
    mount -t devtmpfs devtmpfs /dev 2>/dev/null
    mount -t tmpfs -o size=90% tmpfs /tmp
    read -r CMDLINE < /proc/cmdline
    for w in $CMDLINE; do
        case "$w" in
        bench.mib=*) MIB=${w#*=} ;;
        bench.xzmib=*) XZMIB=${w#*=} ;;
        bench.iter=*) ITER=${w#*=} ;;
        bench.kscale=*) KSCALE=${w#*=} ;;
        bench.only=*) ONLY=${w#*=} ;;
        esac
    done
    case " $CMDLINE " in *" bench.xzmib="*) ;; *) XZMIB=$MIB ;; esac
    ;;
esac

if [ "$MODE" = --i386 ]; then
    # the i386 programs through their own loader and libraries: no
    # multiarch install on the host, the same command line in the guest
    LD="$R/lib/ld-linux.so.2 --library-path $R/lib"
    GZIP="$LD $R/bin/gzip"
    BZIP2="$LD $R/bin/bzip2"
    XZ="$LD $R/bin/xz"
    SHA256SUM="$LD $R/bin/sha256sum"
    P=$R/bin
else
    GZIP=gzip
    BZIP2=bzip2
    XZ=xz
    SHA256SUM=sha256sum
    P=$R
fi

want() {
    case ",$ONLY," in ,all,|*",$1,"*) return 0 ;; esac
    return 1
}
run() { # NAME [-i IN] [-o OUT] -- COMMAND...
    "$P/benchrun" "$@"
}
result() { echo "BENCH-RESULT $1 $2"; }
sum_of() { $SHA256SUM < "$1" | cut -c1-64; }
CORPUS_SUM=

echo "BENCH-INFO mode=${MODE#--} kernel=$(uname -r) machine=$(uname -m) mib=$MIB xzmib=$XZMIB iter=$ITER kscale=$KSCALE only=$ONLY"
cd "$W" || exit 1

# the corpus: made here, the same bytes everywhere (its hash is a result)
if want sha256sum || want gzip || want gunzip || want bzip2 || want bunzip2 || want xz || want unxz; then
    run mkcorpus -o corpus -- "$P/mkcorpus" "$MIB"
    result mkcorpus "$(wc -c < corpus | tr -d ' ') bytes"
fi

if want sha256sum; then
    # four passes over the corpus: long enough to time on the host
    # shellcheck disable=SC2086
    run sha256sum -o sums -- $SHA256SUM corpus corpus corpus corpus
    result sha256sum "$(cut -c1-64 sums | sort -u | tr '\n' ' ')"
    CORPUS_SUM=$(head -n 1 sums | cut -c1-64)
    rm -f sums
fi

# compress (timed), note the compressed file's size and hash, decompress
# (timed), compare its hash with the input's (a hash is three times cheaper
# than cmp in an emulator); the input of xz can be a prefix
pair() { # NAME UNNAME EXT INPUT COMPRESS... -- DECOMPRESS...
    name=$1 unname=$2 ext=$3 input=$4
    shift 4
    comp=
    while [ "$1" != -- ]; do comp="$comp $1"; shift; done
    shift
    want "$name" || want "$unname" || return 0
    if [ "$input" = corpus ]; then
        [ -n "$CORPUS_SUM" ] || CORPUS_SUM=$(sum_of corpus)
        insum=$CORPUS_SUM
    else
        insum=$(sum_of "$input")
    fi
    # shellcheck disable=SC2086
    run "$name" -i "$input" -o "c.$ext" -- $comp
    result "$name" "$(wc -c < "c.$ext" | tr -d ' ') bytes sha256 $(sum_of "c.$ext" | cut -c1-16)"
    run "$unname" -i "c.$ext" -o out -- "$@"
    if [ "$(sum_of out)" = "$insum" ]; then result "$unname" identical; else result "$unname" DIFFERENT; fi
    rm -f "c.$ext" out
}

# shellcheck disable=SC2086
pair gzip gunzip gz corpus $GZIP -6 -n -c -- $GZIP -d -c
# shellcheck disable=SC2086
pair bzip2 bunzip2 bz2 corpus $BZIP2 -c -- $BZIP2 -d -c
if want xz || want unxz; then
    if [ "$XZMIB" -lt "$MIB" ]; then
        head -c $((XZMIB * 1048576)) corpus > xzin
    else
        ln -s corpus xzin
    fi
    # shellcheck disable=SC2086
    pair xz unxz xz xzin $XZ -6 -T1 -c -- $XZ -d -c
    rm -f xzin
fi
rm -f corpus

if want intmark; then
    run intmark -o out -- "$P/intmark" "$ITER"
    cat out
    result intmark "checksum $(sed -n 's/.*checksum=//p' out)"
    rm -f out
fi

# kernel paths: counts chosen for about a second each on shade86
for t in getpid:200000 fork:1000 fault:65536 signal:100000; do
    name=${t%%:*}
    n=$((${t#*:} * KSCALE))
    want "kbench-$name" || continue
    run "kbench-$name" -o out -- "$P/kbench" "$name" "$n"
    cat out
    result "kbench-$name" "ops=$n"
    rm -f out
done

echo BENCH-DONE
[ "$MODE" = --i386 ] && [ "$R" = /bench ] && [ $$ = 1 ] || exit 0
sync
poweroff -f
sleep 5
echo "bench-init: power-off did not happen"
while :; do sleep 3600; done

#!/bin/sh
# /init of the shade86 Linux test initramfs (busybox-static; built by
# roms/mklinux.sh).  Runs self-checks, prints one "shade86-check: NAME ok" or
# "shade86-check: NAME FAIL (details)" line per check, then exactly one of
# SHADE86-LINUX-PASS / SHADE86-LINUX-FAIL, and powers the machine off.
# With "shade86.shell" on the kernel command line it gives a shell instead.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mount -t tmpfs tmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /tmp
read -r CMDLINE < /proc/cmdline

# Power off.  With ACPI (or APM) the kernel can switch the machine off.  With
# acpi=off, try the APM BIOS (SeaBIOS has one) via apm.ko; if neither exists
# the kernel could only halt, so reboot instead (QEMU -no-reboot then exits).
# SeaBIOS's APM "off" writes SLP_EN to the ACPI PM1a control port it found in
# the FADT, and otherwise halts with interrupts off for ever: "shade86.reboot"
# on the command line skips APM/ACPI and ends with "reboot -f".
shade86_off() {
    sync
    case " $CMDLINE " in
    *" shade86.reboot "*) echo "shade86: rebooting (shade86.reboot)"; reboot -f ;;
    esac
    if [ ! -d /sys/firmware/acpi ] && [ -f /lib/modules/apm.ko ] && [ ! -e /proc/apm ]; then
        insmod /lib/modules/apm.ko power_off=1 2>/dev/null
    fi
    if [ -d /sys/firmware/acpi ] || [ -e /proc/apm ]; then
        poweroff -f
    else
        echo "shade86: no ACPI/APM power-off available, rebooting instead"
        reboot -f
    fi
    sleep 5
    echo "shade86: power-off did not happen"
    while :; do sleep 3600; done
}

case " $CMDLINE " in
*" shade86.shell "*)
    echo "shade86: interactive shell (exit to power off)"
    setsid cttyhack sh -l
    shade86_off
    ;;
esac

FAILS=0
CHECKS=0
ok()   { CHECKS=$((CHECKS + 1)); echo "shade86-check: $1 ok"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "shade86-check: $1 FAIL ($2)"; }
check_eq() { # NAME GOT WANT
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

echo "shade86: kernel $(uname -r) $(uname -m), cmdline: $CMDLINE"

# --- devtmpfs: the kernel made the device nodes
if [ -c /dev/null ] && [ -c /dev/ttyS0 ] && grep -q ' /dev devtmpfs ' /proc/mounts; then
    ok devtmpfs
else
    fail devtmpfs "no devtmpfs with /dev/null and /dev/ttyS0"
fi

# --- CPU identification
vendor=$(sed -n 's/^vendor_id[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)
check_eq cpu-vendor "$vendor" GenuineIntel
flags=" $(sed -n 's/^flags[[:space:]]*: *//p' /proc/cpuinfo | head -n 1) "
missing=
for f in fpu tsc cx8 cmov mmx fxsr sse sse2; do
    case "$flags" in *" $f "*) ;; *) missing="$missing $f" ;; esac
done
if [ -z "$missing" ]; then ok cpu-flags; else fail cpu-flags "missing:$missing"; fi

# --- memory: MemTotal vs. the "System RAM" ranges of the firmware (e820) memory map
memtotal_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
ram_kb=0
for d in /sys/firmware/memmap/*; do
    [ -f "$d/type" ] || continue
    [ "$(cat "$d/type")" = "System RAM" ] || continue
    s=$(cat "$d/start"); e=$(cat "$d/end")
    ram_kb=$(( ram_kb + ((e - s + 1) >> 10) ))
done
if [ "$ram_kb" -lt 100000 ]; then
    fail memory "firmware memmap shows only ${ram_kb} KiB of System RAM (boot with -m 128 or more)"
elif [ "$memtotal_kb" -lt $(( ram_kb - 40960 )) ] || [ "$memtotal_kb" -gt "$ram_kb" ]; then
    # the kernel keeps ~17-28 MiB (image, mem_map, ...) for 128 MiB-1 GiB
    fail memory "MemTotal ${memtotal_kb} KiB not within 40 MiB below e820 RAM ${ram_kb} KiB"
else
    ok memory
    echo "shade86: MemTotal ${memtotal_kb} KiB of ${ram_kb} KiB e820 RAM"
fi

# --- integer arithmetic of the shell (64-bit arith_t on a 32-bit CPU)
sum=0; i=1
while [ $i -le 1000 ]; do sum=$((sum + i * i)); i=$((i + 1)); done
check_eq shell-arith "$((6 * 7)) $((0x7fffffff * 3)) $((-7 / 2)) $((-7 % 2)) $((1 << 40)) $sum" \
    "42 6442450941 -3 -1 1099511627776 333833500"

# --- floating point (busybox awk: double precision, x87 code on i386; this
# busybox has no awk math library, so only + - * / and printf conversions)
check_eq awk-float "$(awk 'BEGIN { x = 1; for (i = 1; i <= 20; i++) x *= 1.5
    s = 0; for (i = 1; i <= 10000; i++) s += 1 / (i * i)
    printf "%.6f %.6f %.3e %.6f %.9f", 2 / 3, 1e6 / 7, 1 / 3e10, x, s }')" \
    "0.666667 142857.142857 3.333e-11 3325.256730 1.644834072"

# --- arbitrary precision (bc -l): pi, sqrt(2), e and sin(1), known digits
bcout=$(printf 'scale=30\n4*a(1)\nsqrt(2)\ne(1)\ns(1)\n' | bc -l 2>&1 | tr -d '\\' | tr '\n' ' ')
case "$bcout" in
"3.14159265358979323846264338"*" 1.41421356237309504880168872"*" 2.71828182845904523536028747"*" .84147098480789650665250232"*)
    ok bc-math ;;
*) fail bc-math "got '$bcout'" ;;
esac

# --- hashes: standard test vectors (FIPS 180-2 / RFC 1321)
check_eq sha256-abc "$(printf abc | sha256sum | cut -d' ' -f1)" \
    ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
check_eq sha1-abc "$(printf abc | sha1sum | cut -d' ' -f1)" \
    a9993e364706816aba3e25717850c26c9cd0d89d
check_eq md5-abc "$(printf abc | md5sum | cut -d' ' -f1)" \
    900150983cd24fb0d6963f7d28e17f72
head -c 1000000 /dev/zero | tr '\0' a > /tmp/a1m
check_eq sha256-million-a "$(sha256sum < /tmp/a1m | cut -d' ' -f1)" \
    cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0
# gzip round trip of less regular data
seq 1 20000 > /tmp/seq
want=$(sha256sum < /tmp/seq | cut -d' ' -f1)
check_eq gzip-roundtrip "$(gzip -9 -c /tmp/seq | gunzip -c | sha256sum | cut -d' ' -f1)" "$want"
rm -f /tmp/a1m /tmp/seq

# --- RTC: the CMOS clock set the system time at boot
year=$(date +%Y)
if [ "$year" -ge 2024 ] 2>/dev/null; then ok rtc-year; else fail rtc-year "date says year '$year'"; fi

# --- timers: sleep vs. /proc/uptime, the RTC ticking, timer interrupts counting
irqsum() { # timer interrupts so far: IRQ 0 plus local APIC timer, all CPUs
    awk '$1 == "0:" || $1 == "LOC:" { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; else break }
         END { print s + 0 }' /proc/interrupts
}
rtc=/sys/class/rtc/rtc0/since_epoch
i0=$(irqsum)
r0=$(cat $rtc 2>/dev/null || echo x)
read -r u0 rest < /proc/uptime
sleep 2
read -r u1 rest < /proc/uptime
r1=$(cat $rtc 2>/dev/null || echo x)
i1=$(irqsum)
du=$(awk -v a="$u0" -v b="$u1" 'BEGIN { printf "%.2f", b - a }')
if awk -v d="$du" 'BEGIN { exit !(d >= 1.95 && d <= 3.0) }'; then
    ok timer-sleep
else
    fail timer-sleep "sleep 2 took ${du} s of /proc/uptime"
fi
if [ "$r0" = x ] || [ "$r1" = x ]; then
    fail rtc-ticks "no $rtc"
elif [ $((r1 - r0)) -ge 1 ] && [ $((r1 - r0)) -le 4 ]; then
    ok rtc-ticks
else
    fail rtc-ticks "RTC advanced $((r1 - r0)) s during sleep 2"
fi
if [ "$i0" -gt 0 ] && [ "$i1" -gt "$i0" ]; then
    ok timer-irq
    echo "shade86: timer interrupts $i0 -> $i1"
else
    fail timer-irq "timer interrupt count $i0 -> $i1"
fi

echo "shade86: $CHECKS checks, $FAILS failed, uptime $(cut -d' ' -f1 /proc/uptime) s"
if [ "$FAILS" -eq 0 ] && [ "$CHECKS" -gt 0 ]; then
    echo SHADE86-LINUX-PASS
else
    echo SHADE86-LINUX-FAIL
fi
shade86_off

#!/bin/sh
# Linux and memtest86+ on the PC (the images come from roms/mklinux.sh):
#   1. -kernel/-initrd: the initramfs's checks pass (SHADE86-LINUX-PASS) and
#      the guest powers off through ACPI (exit status 0);
#   2. the same with "acpi=off nolapic noapic": power-off through the APM BIOS;
#   3. the same kernel from a disk image via SeaBIOS and syslinux (-snapshot);
#   4. the interactive shell answers a command typed on COM1 (stdin);
#   5. memtest86+ (ia32) starts its first test.
# Each run has a --timeout; the serial output of a failed run is shown.
# Only the first boot runs the kernel's crypto self-tests (over a minute on
# the interpreter); the others pass cryptomgr.notests.
# Usage: tests/run-linux-tests.sh [SHADE86] [IMAGE_DIR] [SHADE86 OPTIONS...]
#   (for example --engine interp or --check-lockstep); LINUX_TESTS=one boots
#   the -kernel image once instead of running them all
SHADE86=${1:-./shade86}
D=${2:-build/linux}
shift 2 2>/dev/null
EXTRA="$*"
T=${LINUX_TIMEOUT:-900}
# no window pops up during the tests, even on a desktop
unset DISPLAY WAYLAND_DISPLAY
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

for f in vmlinuz initrd.img disk.img memtest.bin; do
	if [ ! -f "$D/$f" ]; then
		echo "run-linux-tests: $D/$f is missing (make linux-image)" >&2
		exit 1
	fi
done

# run NAME WANT_STATUS PATTERN shade86-args...: passes when the status is
# WANT_STATUS and the serial output has a line matching PATTERN
run() {
	name=$1 want=$2 pat=$3
	shift 3
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$SHADE86" $EXTRA -m 128 -serial "file:$tmp/serial.txt" --timeout "$T" "$@" 2> "$tmp/err"
	st=$?
	secs=$(( $(date +%s) - start ))
	if [ $st = "$want" ] && grep -Eq "$pat" "$tmp/serial.txt"; then
		pass=$((pass + 1))
		echo "pass  $name ($secs s)"
	else
		fail=$((fail + 1))
		echo "FAIL  $name (exit status $st, expected $want; $secs s)"
		tail -n 25 "$tmp/serial.txt" "$tmp/err"
	fi
}

if [ "${LINUX_TESTS:-all}" = one ]; then
	run "Linux -kernel $EXTRA" 0 '^SHADE86-LINUX-PASS' \
		-kernel "$D/vmlinuz" -initrd "$D/initrd.img" -append "console=ttyS0 cryptomgr.notests"
	echo "linux tests${EXTRA:+ ($EXTRA)}: $pass passed, $fail failed"
	[ $fail = 0 ]
	exit
fi
run "Linux -kernel, ACPI power-off" 0 '^SHADE86-LINUX-PASS' \
	-kernel "$D/vmlinuz" -initrd "$D/initrd.img" -append "console=ttyS0"
run "Linux -kernel acpi=off nolapic noapic, APM power-off" 0 '^SHADE86-LINUX-PASS' \
	-kernel "$D/vmlinuz" -initrd "$D/initrd.img" -append "console=ttyS0 acpi=off nolapic noapic cryptomgr.notests"
run "Linux from a syslinux disk" 0 '^SHADE86-LINUX-PASS' \
	-hda "$D/disk.img" -snapshot
# the interactive shell (what make run gives): once the shell is up, type a
# command on COM1 through shade86's stdin and leave the shell
shell_test() {
	mkfifo "$tmp/in"
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$SHADE86" $EXTRA -m 128 -kernel "$D/vmlinuz" -initrd "$D/initrd.img" \
		-append "console=ttyS0 cryptomgr.notests shade86.shell" -serial stdio \
		--timeout "$T" < "$tmp/in" > "$tmp/shell.txt" 2> "$tmp/err" &
	pid=$!
	exec 3> "$tmp/in"
	n=0
	while [ $n -lt "$T" ] && kill -0 $pid 2> /dev/null &&
	      ! grep -q "interactive shell" "$tmp/shell.txt"; do
		sleep 1
		n=$((n + 1))
	done
	sleep 3
	printf 'echo SHELL-$((6*7))-OK\nexit\n' >&3
	wait $pid
	st=$?
	exec 3>&-
	secs=$(( $(date +%s) - start ))
	if [ $st = 0 ] && grep -q "^SHELL-42-OK" "$tmp/shell.txt"; then
		pass=$((pass + 1))
		echo "pass  interactive shell over COM1 ($secs s)"
	else
		fail=$((fail + 1))
		echo "FAIL  interactive shell over COM1 (exit status $st; $secs s)"
		tail -n 25 "$tmp/shell.txt" "$tmp/err"
	fi
}
shell_test

# memtest86+ never ends by itself: the run ends when its first test shows up
# on the serial copy of its screen ("#0  [Address test, walking ones, no cache]")
MEMTEST_PATTERN='#0 +\[Address test, walking ones'
run "memtest86+ starts its first test" 0 "$MEMTEST_PATTERN" \
	-kernel "$D/memtest.bin" -append "console=ttyS0,115200" --exit-on-serial "$MEMTEST_PATTERN"

echo "linux tests${EXTRA:+ ($EXTRA)}: $pass passed, $fail failed"
[ $fail = 0 ]

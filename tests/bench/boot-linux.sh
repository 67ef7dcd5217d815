#!/bin/sh
# Linux boot time: shade86 next to qemu-system-i386 (TCG) on the same image,
# measured in the same run: wall time from start to the initramfs's pass line
# (the run ends there: --exit-on-serial for shade86; QEMU's output is
# watched and QEMU killed at the line).  qemu-system-i386 is only a reference
# (apt-get install qemu-system-x86); without it only shade86 is timed.
# Usage: tests/bench/boot-linux.sh [SHADE86] [IMAGE_DIR] [RUNS]
SHADE86=${1:-./shade86}
D=${2:-build/linux}
RUNS=${3:-1}
APPEND="console=ttyS0"
# no window pops up during the tests, even on a desktop
unset DISPLAY WAYLAND_DISPLAY
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }

qemu_boot() {
	rm -f "$tmp/q.txt"
	start=$(now)
	qemu-system-i386 -accel tcg -m 128 -kernel "$D/vmlinuz" -initrd "$D/initrd.img" \
		-append "$APPEND" -display none -serial "file:$tmp/q.txt" -no-reboot -monitor none &
	pid=$!
	while kill -0 $pid 2> /dev/null && ! grep -q "^SHADE86-LINUX-" "$tmp/q.txt" 2> /dev/null; do
		sleep 0.05
	done
	end=$(now)
	kill $pid 2> /dev/null
	wait $pid 2> /dev/null
	grep -q "^SHADE86-LINUX-PASS" "$tmp/q.txt" || echo "boot-linux: QEMU did not print the pass line" >&2
	awk "BEGIN { printf \"%.1f\", $end - $start }"
}

shade_boot() {
	rm -f "$tmp/s.txt"
	start=$(now)
	"$SHADE86" -m 128 -kernel "$D/vmlinuz" -initrd "$D/initrd.img" -append "$APPEND" \
		-serial "file:$tmp/s.txt" --exit-on-serial '^SHADE86-LINUX-(PASS|FAIL)' --timeout 1800 2> /dev/null
	end=$(now)
	grep -q "^SHADE86-LINUX-PASS" "$tmp/s.txt" || echo "boot-linux: shade86 did not print the pass line" >&2
	awk "BEGIN { printf \"%.1f\", $end - $start }"
}

i=1
while [ $i -le "$RUNS" ]; do
	q=
	if command -v qemu-system-i386 > /dev/null; then
		q=$(qemu_boot)
		echo "run $i: qemu-system-i386 (TCG): $q s"
	fi
	s=$(shade_boot)
	echo "run $i: shade86 (translator):    $s s"
	[ -n "$q" ] && echo "run $i: shade86 / QEMU = $(awk "BEGIN { printf \"%.1f\", $s / $q }")"
	i=$((i + 1))
done

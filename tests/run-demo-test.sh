#!/bin/sh
# The demo guest (roms/demo/, build/demo.img) on the PC:
#   - it boots from the disk, prints its banner and, once a CPL 3 task has
#     made a system call with paging on, the user-mode line; the three tasks
#     start and no exception is reported;
#   - uptime lines 1, 2, 3 arrive in order, their tick counts are 100 per
#     second and the task switch counter grows; the run ends with status 0;
#   - bytes typed on COM1 (the same path as the keyboard's) come back as
#     "demo: key" lines and a "demo: line" and are counted;
#   - screenshots at uptime 2 s and 4 s are 320x200 mode 13h pictures that
#     are not blank (the grey separator line and thousands of coloured
#     pixels, by build/png-test --check) and differ (the scene moves);
#   - two -icount runs are identical (serial, instruction count, picture).
# Usage: tests/run-demo-test.sh [SHADE86] [IMG]
SHADE86=${1:-./shade86}
IMG=${2:-build/demo.img}
B=$(dirname "$IMG")
# no window pops up during the tests, even on a desktop
unset DISPLAY WAYLAND_DISPLAY
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "pass  $1"; }
bad() { fail=$((fail + 1)); echo "FAIL  $1"; }

if [ ! -f "$IMG" ]; then
	echo "run-demo-test: $IMG missing (make demo-image)"
	echo "demo tests: 0 passed, 1 failed"
	exit 1
fi

# 1: boot to the third uptime line (matched as it arrives: up to its last
#    character, "keys 0", so that the line is complete)
"$SHADE86" -hda "$IMG" -snapshot -serial "file:$tmp/serial.txt" --timeout 120 \
	--exit-on-serial 'uptime 3 s, ticks [0-9]+, switches [0-9]+, keys 0' 2> "$tmp/err"
st=$?
if [ $st = 0 ]; then ok "boot to 'uptime 3 s': exit status 0"
else bad "boot to 'uptime 3 s': exit status $st"; tail -n 3 "$tmp/err"; fi
tr -d '\r' < "$tmp/serial.txt" > "$tmp/s.txt"

if grep -q '^demo: shade86 demo guest booted$' "$tmp/s.txt"; then ok "banner"
else bad "banner"; fi
if grep -q '^demo: paging on, user mode on' "$tmp/s.txt"; then ok "paging and user mode line"
else bad "paging and user mode line"; fi
if grep -q '^demo: task plasma running' "$tmp/s.txt" &&
   grep -q '^demo: task cube running' "$tmp/s.txt" &&
   grep -q '^demo: task mandelbrot running' "$tmp/s.txt"; then ok "the three user tasks run"
else bad "the three user tasks run"; fi
if grep -q 'exception' "$tmp/s.txt"; then bad "no exception"; grep exception "$tmp/s.txt"
else ok "no exception"; fi

# uptime N s, ticks T, switches S: N = 1, 2, 3 in order, T = 100 N, S growing
grep '^demo: uptime' "$tmp/s.txt" |
	sed -n 's/^demo: uptime \([0-9]*\) s, ticks \([0-9]*\), switches \([0-9]*\), keys \([0-9]*\)$/\1 \2 \3 \4/p' \
	> "$tmp/up.txt"
if [ "$(cut -d' ' -f1 "$tmp/up.txt" | tr '\n' ' ')" = "1 2 3 " ]; then ok "uptime lines 1, 2, 3 in order"
else bad "uptime lines 1, 2, 3 in order"; cat "$tmp/up.txt"; fi
if awk '$2 != $1 * 100 { exit 1 }' "$tmp/up.txt" && [ -s "$tmp/up.txt" ]; then ok "100 ticks per second"
else bad "100 ticks per second"; cat "$tmp/up.txt"; fi
if awk 'BEGIN { last = 0 } $3 <= last { exit 1 } { last = $3 }' "$tmp/up.txt" && [ -s "$tmp/up.txt" ]; then
	ok "the switch counter grows ($(cut -d' ' -f3 "$tmp/up.txt" | tr '\n' ' '))"
else bad "the switch counter grows"; cat "$tmp/up.txt"; fi

# 2: typed bytes on COM1 (stdin) once the guest runs: they are written only
#    after its user-mode line has appeared (bytes that come before it sets up COM1
#    are lost, as on hardware, and how long that takes depends on the host
#    and the build); the run ends at the first uptime line that counts them
mkfifo "$tmp/in"
"$SHADE86" -hda "$IMG" -snapshot -serial stdio --timeout 120 \
	--exit-on-serial 'uptime [0-9]+ s, ticks [0-9]+, switches [0-9]+, keys 11' \
	< "$tmp/in" > "$tmp/keys.raw" 2> "$tmp/err" &
pid=$!
exec 3> "$tmp/in"
n=0
while [ $n -lt 600 ] && kill -0 $pid 2> /dev/null && ! grep -q "user mode on" "$tmp/keys.raw"; do
	sleep 0.2
	n=$((n + 1))
done
printf 'shade86 ok\r' >&3
wait $pid
st=$?
exec 3>&-
tr -d '\r' < "$tmp/keys.raw" > "$tmp/keys.txt"
if [ $st = 0 ] && grep -q "^demo: key 's'$" "$tmp/keys.txt" &&
   grep -q "^demo: line 'shade86 ok'$" "$tmp/keys.txt" &&
   grep -q '^demo: uptime [0-9]* s, .*, keys 11$' "$tmp/keys.txt"; then ok "typed text echoed and counted"
else bad "typed text echoed and counted (status $st)"; grep 'key\|line\|uptime' "$tmp/keys.txt"; fi

# 3: two screenshots, two seconds apart
for n in 2 4; do
	"$SHADE86" -hda "$IMG" -snapshot -serial none --timeout 120 \
		--exit-on-serial "uptime $n s" --screenshot "$tmp/shot$n.png" 2> "$tmp/err"
	st=$?
	if [ $st = 0 ] && [ -s "$tmp/shot$n.png" ]; then ok "screenshot at uptime $n s"
	else bad "screenshot at uptime $n s (status $st)"; tail -n 3 "$tmp/err"; fi
	if [ -x "$B/png-test" ]; then
		out=$("$B/png-test" --check "$tmp/shot$n.png" 320 200 2>&1)
		st=$?
		colour=$(echo "$out" | sed -n 's/.* \([0-9]*\) other non-black pixels.*/\1/p')
		if [ $st = 0 ] && [ "${colour:-0}" -gt 20000 ]; then ok "screenshot $n: 320x200, not blank ($colour coloured pixels)"
		else bad "screenshot $n: $out"; fi
	fi
done
if [ -s "$tmp/shot2.png" ] && [ -s "$tmp/shot4.png" ] && ! cmp -s "$tmp/shot2.png" "$tmp/shot4.png"; then
	ok "the two screenshots differ"
else bad "the two screenshots differ"; fi

# 4: -icount with a fixed RTC start repeats exactly (the same instructions,
#    interrupts at the same places): serial output and picture identical
for i in 1 2; do
	"$SHADE86" -hda "$IMG" -snapshot -serial "file:$tmp/ic$i.txt" -icount 5 \
		-rtc base=2024-01-01T00:00:00 --timeout 120 --exit-on-serial 'uptime 2 s' \
		--screenshot "$tmp/ic$i.png" -v 2> "$tmp/ic$i.err"
	echo "status $?" > "$tmp/ic$i.sum"
	sed -n 's/.*s, \([0-9]* instructions\).*/\1/p' "$tmp/ic$i.err" | tail -1 >> "$tmp/ic$i.sum"
done
if grep -q '^status 0$' "$tmp/ic1.sum" && grep -q instructions "$tmp/ic1.sum" &&
   cmp -s "$tmp/ic1.sum" "$tmp/ic2.sum" && cmp -s "$tmp/ic1.txt" "$tmp/ic2.txt" &&
   cmp -s "$tmp/ic1.png" "$tmp/ic2.png"; then
	ok "-icount: two runs are identical ($(tail -n 1 "$tmp/ic1.sum"))"
else bad "-icount: two runs differ"; cat "$tmp/ic1.sum" "$tmp/ic2.sum"; fi

echo "demo tests: $pass passed, $fail failed"
[ $fail = 0 ]

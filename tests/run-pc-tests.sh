#!/bin/sh
# PC machine tests: SeaBIOS boots tests/pc/bootsector.asm from a disk image.
#   - the boot sector's line reaches COM1 (-serial file:) and the VGA text
#     screen (--screen-text), and a PNG screenshot is written (checked by
#     build/png-test --check);
#   - power-off through port 0x8900 ends the run with status 0;
#   - its INT 13h write persists across two runs without -snapshot, not with it;
#   - the CD-ROM: El Torito boot of tests/pc/cdboot.asm, -boot c/d order;
#   - -icount with a fixed RTC start repeats exactly;
#   - the reset paths (0xCF9, 8042, port 0x92, triple fault) and -no-reboot;
#   - bad input: a missing image (status 4), a missing BIOS (4), an unknown
#     option (2), a --timeout (124), --exit-on-serial (0).
# Usage: tests/run-pc-tests.sh [SHADE86] [BUILD_DIR]
SHADE86=${1:-./shade86}
B=${2:-build}
# no window pops up during the tests, even on a desktop
unset DISPLAY WAYLAND_DISPLAY
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "pass  $1"; }
bad() { fail=$((fail + 1)); echo "FAIL  $1"; [ -f "$tmp/err" ] && tail -n 5 "$tmp/err"; }
expect_status() { # name want got
	if [ "$3" = "$2" ]; then ok "$1"; else bad "$1 (exit status $3, expected $2)"; fi
}

img=$tmp/disk.img
cp "$B/pc/bootsector.bin" "$img"

# 1: boot, serial, screen, screenshot, power-off
"$SHADE86" -hda "$img" -serial "file:$tmp/serial.txt" --screen-text "$tmp/screen.txt" \
	--screenshot "$tmp/shot.png" --timeout 60 2> "$tmp/err"
expect_status "boot sector: power-off ends the run with 0" 0 $?
if grep -q "^shade86 boot sector: hello from the hard disk" "$tmp/serial.txt" &&
   grep -q "^boot count: 1" "$tmp/serial.txt"; then ok "boot sector: serial output"
else bad "boot sector: serial output"; cat "$tmp/serial.txt"; fi
if grep -q "^SeaBIOS (version" "$tmp/screen.txt" &&
   grep -q "^shade86 boot sector: hello from the hard disk" "$tmp/screen.txt"; then
	ok "boot sector: VGA text screen"
else bad "boot sector: VGA text screen"; cat "$tmp/screen.txt"; fi
if [ -x "$B/png-test" ]; then
	if "$B/png-test" --check "$tmp/shot.png" 720 400 > "$tmp/err" 2>&1; then ok "boot sector: PNG screenshot (720x400 text mode)"
	else bad "boot sector: PNG screenshot"; fi
fi

# 2: persistence: the second run sees the first run's write, -snapshot runs do not write
"$SHADE86" -hda "$img" -serial "file:$tmp/s2.txt" --timeout 60 2> "$tmp/err"
grep -q "^boot count: 2" "$tmp/s2.txt"; expect_status "disk write persists across runs" 0 $?
cp "$img" "$tmp/before.img"
"$SHADE86" -hda "$img" -snapshot -serial "file:$tmp/s3.txt" --timeout 60 2> "$tmp/err"
grep -q "^boot count: 3" "$tmp/s3.txt" && cmp -s "$img" "$tmp/before.img"
expect_status "-snapshot: the guest sees its write, the image is unchanged" 0 $?
"$SHADE86" -hda "$img" -snapshot -serial "file:$tmp/s4.txt" --timeout 60 2> "$tmp/err"
grep -q "^boot count: 3" "$tmp/s4.txt"; expect_status "-snapshot: the next run starts from the image" 0 $?

# 3: the ATAPI CD-ROM: SeaBIOS boots our El Torito image (-boot d) and the
#    boot code reads a 2048-byte sector back through INT 13h AH=42h; -boot
#    decides between the disk and the CD
"$SHADE86" -cdrom "$B/pc/cdboot.bin" -boot d -serial "file:$tmp/cd.txt" --timeout 60 2> "$tmp/err"
st=$?
if [ $st = 0 ] && grep -q "^shade86 CD: sector 22 read back" "$tmp/cd.txt"; then ok "CD-ROM: El Torito boot and a sector read back"
else bad "CD-ROM boot (status $st)"; cat "$tmp/cd.txt"; fi
"$SHADE86" -hda "$img" -snapshot -cdrom "$B/pc/cdboot.bin" -boot d -serial "file:$tmp/cd2.txt" --timeout 60 2> "$tmp/err"
grep -q "^shade86 CD: hello" "$tmp/cd2.txt" && ! grep -q "hard disk" "$tmp/cd2.txt"
expect_status "-boot d with a disk and a CD boots the CD" 0 $?
"$SHADE86" -hda "$img" -snapshot -cdrom "$B/pc/cdboot.bin" -boot c -serial "file:$tmp/cd3.txt" --timeout 60 2> "$tmp/err"
grep -q "hello from the hard disk" "$tmp/cd3.txt" && ! grep -q "CD-ROM" "$tmp/cd3.txt"
expect_status "-boot c with a disk and a CD boots the disk" 0 $?

# 4: -icount with a fixed RTC start repeats exactly: same instruction count,
#    virtual time and screen in two runs
for i in 1 2; do
	"$SHADE86" -hda "$img" -snapshot -serial none -icount 4 -rtc base=2024-01-01T00:00:00 -v \
		--screen-text "$tmp/icount$i.txt" --timeout 60 2> "$tmp/icount$i.err"
	sed -n 's/.*s, \([0-9]* instructions\).*\(virtual time [0-9.]* s\).*/\1 \2/p' "$tmp/icount$i.err" | tail -1 > "$tmp/icount$i.sum"
done
if [ -s "$tmp/icount1.sum" ] && cmp -s "$tmp/icount1.sum" "$tmp/icount2.sum" &&
   cmp -s "$tmp/icount1.txt" "$tmp/icount2.txt"; then ok "-icount: two runs are identical ($(cat "$tmp/icount1.sum"))"
else bad "-icount: runs differ"; cat "$tmp/icount1.sum" "$tmp/icount2.sum"; fi

# 5: resets: 0xCF9, the 8042, port 0x92 and a triple fault each restart the
#    machine (the boot sector counts them in CMOS), then it powers off; with
#    -no-reboot the first reset (12) or triple fault (6) ends the run
cp "$B/pc/reset.bin" "$tmp/reset.img"
"$SHADE86" -hda "$tmp/reset.img" -snapshot -serial "file:$tmp/reset.txt" --timeout 60 2> "$tmp/err"
st=$?
if [ $st = 0 ] && grep -q "^reset test: all resets came back" "$tmp/reset.txt"; then
	ok "resets through 0xCF9, 8042, port 0x92 and a triple fault restart the PC"
else bad "reset paths (status $st)"; cat "$tmp/reset.txt"; fi
"$SHADE86" -hda "$tmp/reset.img" -snapshot -serial none -no-reboot --timeout 60 2> "$tmp/err"
expect_status "-no-reboot: a reset request ends the run with 12" 12 $?
cp "$B/pc/triple.bin" "$tmp/triple.img"
"$SHADE86" -hda "$tmp/triple.img" -snapshot -serial none -no-reboot --timeout 60 2> "$tmp/err"
expect_status "-no-reboot: a triple fault ends the run with 6" 6 $?

# 6: exits and errors
"$SHADE86" -hda "$img" -snapshot -serial none --exit-on-serial 'hello from the h[a-z]+ disk' --timeout 60 2> "$tmp/err"
expect_status "--exit-on-serial (serial none still matches)" 0 $?
"$SHADE86" -serial none --timeout 1 2> "$tmp/err"
expect_status "--timeout: 124" 124 $?
# without any disk the PC boots the built-in demo guest (from shade86 itself)
"$SHADE86" -serial "file:$tmp/demo.txt" --exit-on-serial 'uptime 1 s' --timeout 60 2> "$tmp/err"
st=$?
[ $st = 0 ] && grep -q "^demo: paging on, user mode on" "$tmp/demo.txt" && grep -q "no window" "$tmp/err"
expect_status "no disk: the built-in demo boots, headless with a note why" 0 $?
"$SHADE86" -hda "$tmp/missing.img" 2> "$tmp/err"
st=$?; [ $st = 4 ] && [ "$(wc -l < "$tmp/err")" = 1 ]; expect_status "missing disk image: one line, status 4" 0 $?
"$SHADE86" -bios "$tmp/missing.bin" 2> "$tmp/err"
expect_status "missing BIOS: status 4" 4 $?
"$SHADE86" -hda "$img" --no-such-option 2> "$tmp/err"
expect_status "unknown option: status 2" 2 $?
# SIGTERM: the run ends cleanly (disks flushed) with 128 + 15
"$SHADE86" -serial none --timeout 60 2> "$tmp/err" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
st=$?
[ $st = 143 ] && grep -q "stopped by signal 15" "$tmp/err"
expect_status "SIGTERM ends the run with 143" 0 $?
chmod a-w "$img"
if [ "$(id -u)" != 0 ]; then
	"$SHADE86" -hda "$img" 2> "$tmp/err"
	expect_status "read-only image without -snapshot: status 4" 4 $?
fi
"$SHADE86" -hda "$img" -snapshot -serial none --timeout 60 2> "$tmp/err"
expect_status "read-only image with -snapshot boots" 0 $?
chmod u+w "$img"
: > "$tmp/empty.img"
"$SHADE86" -hda "$tmp/empty.img" 2> "$tmp/err"
expect_status "empty disk image: status 4" 4 $?

echo "pc tests: $pass passed, $fail failed"
[ $fail = 0 ]

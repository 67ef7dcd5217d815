#!/bin/sh
# Runs every guest test program (tests/guest/*.asm, assembled to DIR/*.bin) on
# the test machine.  A program passes when it ends by writing 0 to the exit port
# (exit status 1, or the status in tests/guest/NAME.status) and, if
# tests/guest/NAME.expected exists, its console output (port 0xE9, with
# shade86's own messages on stderr) equals that file.  Ends with "N passed, N failed".
SHADE86=${1:-./shade86}
DIR=${2:-build/guest}
shift 2 2>/dev/null
EXTRA="$*"          # more shade86 options, e.g. --check-mmu
pass=0
fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.err"' EXIT
for bin in "$DIR"/*.bin; do
	[ -e "$bin" ] || continue
	name=$(basename "$bin" .bin)
	# shellcheck disable=SC2086
	timeout 120 "$SHADE86" -machine test -bios "$bin" --max-insns 200000000 $EXTRA > "$tmp" 2> "$tmp.err"
	status=$?
	want=1
	[ -f "tests/guest/$name.status" ] && want=$(cat "tests/guest/$name.status")
	ok=yes
	[ $status = "$want" ] || ok=no
	exp="tests/guest/$name.expected"
	if [ $ok = yes ] && [ -f "$exp" ] && ! cmp -s "$tmp" "$exp"; then
		ok=no
		echo "$name: output differs from $exp:"
		diff "$exp" "$tmp" | head -20
	fi
	if [ $ok = yes ]; then
		pass=$((pass + 1))
		echo "pass  $name"
	else
		fail=$((fail + 1))
		echo "FAIL  $name (exit status $status, expected $want)"
		tail -n 5 "$tmp" "$tmp.err"
	fi
done
echo "guest programs${EXTRA:+ ($EXTRA)}: $pass passed, $fail failed"
[ $fail = 0 ]

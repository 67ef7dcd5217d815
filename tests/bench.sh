#!/bin/sh
# make bench: speed in millions of guest instructions per second on a
# compute-bound guest (roms/bench.asm), translated (--engine bt) and
# interpreted (--engine interp), next to the same loop run natively on the
# host in the same run (tests/bench/native-loop.c).  Numbers, never pass/fail.
set -e
SHADE86=${1:-./shade86}
B=${2:-build}
runs=3

# best of $runs runs of the bench ROM with the given engine
best_mips() {
	best=0
	i=0
	while [ $i -lt $runs ]; do
		line=$($SHADE86 -v -machine test --engine "$1" -bios "$B/roms/bench.bin" 2>&1 >/dev/null | grep MIPS)
		mips=$(echo "$line" | sed 's/.*s, \([0-9.]*\) MIPS.*/\1/')
		best=$(awk -v a="$best" -v b="$mips" 'BEGIN { print (b > a) ? b : a }')
		i=$((i + 1))
	done
	echo "$best"
}

bt=$(best_mips bt)
interp=$(best_mips interp)
native=$("$B/native-loop")
echo "translated:  $bt MIPS (best of $runs runs of roms/bench.asm, 40 M instructions)"
echo "interpreter: $interp MIPS (same)"
echo "native host: $native MIPS (same loop, tests/bench/native-loop.c)"
awk -v t="$bt" -v i="$interp" -v n="$native" 'BEGIN {
	printf "ratio: translated code runs at 1/%.1f of native speed, %.1fx the interpreter;", n / t, t / i
	printf " the interpreter at 1/%.0f\n", n / i }'

#!/bin/sh
# make bench: interpreter speed in millions of guest instructions per second on a
# compute-bound guest (roms/bench.asm), next to the same loop run natively on the
# host in the same run (tests/bench/native-loop.c).  Numbers, never pass/fail.
set -e
SHADE86=${1:-./shade86}
B=${2:-build}
runs=3
best=0
i=0
while [ $i -lt $runs ]; do
	line=$($SHADE86 -v -bios "$B/roms/bench.bin" 2>&1 >/dev/null | grep MIPS)
	mips=$(echo "$line" | sed 's/.*s, \([0-9.]*\) MIPS.*/\1/')
	best=$(awk -v a="$best" -v b="$mips" 'BEGIN { print (b > a) ? b : a }')
	i=$((i + 1))
done
native=$("$B/native-loop")
echo "interpreter: $best MIPS (best of $runs runs of roms/bench.asm, 40 M instructions)"
echo "native host: $native MIPS (same loop, tests/bench/native-loop.c)"
awk -v a="$best" -v b="$native" 'BEGIN { printf "ratio: interpreter runs at 1/%.0f of native speed\n", b / a }'

#!/bin/sh
# make bench, tracing: traced instructions per second on the compute-bound
# guest (roms/bench.asm, 40 M instructions) with --trace-what insn and with
# insn,regs,mem, next to the same program untraced in the same run, and the
# bytes on disk per instruction.  Numbers, never pass/fail.
set -e
SHADE86=${1:-./shade86}
B=${2:-build}
runs=3
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# best MIPS of $runs runs; extra options in "$@"; sets mips and bpi
measure() {
	mips=0
	bpi=-
	i=0
	while [ $i -lt $runs ]; do
		log=$($SHADE86 -v -bios "$B/roms/bench.bin" "$@" 2>&1 >/dev/null)
		m=$(echo "$log" | grep 'MIPS on average' | sed 's/.*instructions, \([0-9.]*\) MIPS.*/\1/')
		mips=$(awk -v a="$mips" -v b="$m" 'BEGIN { print (b > a) ? b : a }')
		t=$(echo "$log" | grep '^shade86: trace:' | sed 's/.*(\([0-9.]*\) bytes\/instruction).*/\1/')
		[ -n "$t" ] && bpi=$t
		i=$((i + 1))
	done
}

measure
base=$mips
echo "untraced:             $base MIPS"
for what in insn insn,regs,mem; do
	measure --trace "$out/t.trc" --trace-what $what
	size=$(wc -c < "$out/t.trc")
	awk -v w="$what" -v m="$mips" -v b="$base" -v p="$bpi" -v s="$size" 'BEGIN {
		printf "traced %-14s %s MIPS (%.2f of untraced), %s bytes/instruction, %.1f MB\n",
		       w ":", m, m / b, p, s / 1e6 }'
done
echo "(best of $runs runs each; roms/bench.asm; compression on a second thread)"

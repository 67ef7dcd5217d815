#!/bin/sh
# Tracing tests (docs/trace-format.md):
#   - tests/guest/trace.asm traced between its magic instructions: the dump
#     lists exactly the instructions the program executes there
#     (tests/trace/magic.expected, from the source), with its memory accesses,
#     port write, software interrupt and #DE as records;
#   - the start/stop triggers (instruction count, magic instruction, port) and
#     the filters (--trace-cpl, --trace-range, --trace-cr3);
#   - a traced run takes exactly the steps of an untraced one;
#   - the C reader (shade86-trace dump --records) and the Python module print
#     the same canonical listing of the same files, byte for byte;
#   - truncated and corrupt files: a one-line error and a distinct status
#     from both readers, and every record before the damaged chunk;
#   - a write error in the middle of a run (a file size limit standing in for
#     a full disk): status 18, and the file written so far is a whole trace;
#   - slice, stats; writer -> reader round trips of every record kind
#     (build/trace-roundtrip) and the Python reader's own tests.
# Usage: tests/run-trace-tests.sh [SHADE86] [BUILD_DIR]
SHADE86=${1:-./shade86}
B=${2:-build}
TOOL=${TOOL:-./shade86-trace}
PY="python3 frontends/trace/shade86trace.py"
unset DISPLAY WAYLAND_DISPLAY
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "pass  $1"; }
bad() { fail=$((fail + 1)); echo "FAIL  $1"; [ -f "$tmp/err" ] && tail -n 5 "$tmp/err"; }
check() { # name command...: passes when the command succeeds
	name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
expect_status() { # name want got
	if [ "$3" = "$2" ]; then ok "$1"; else bad "$1 (exit status $3, expected $2)"; fi
}
have() { grep -qxF -- "$1" "$2"; }
guest() { # name.bin trace-file options...
	g=$1
	f=$2
	shift 2
	"$SHADE86" -machine test -bios "$B/guest/$g" --trace "$f" "$@" > /dev/null 2> "$tmp/err"
}

# ---- 1: the magic pair in trace.bin ----
guest trace.bin "$tmp/magic.trc" --trace-start magic --trace-what all
expect_status "trace.bin runs traced (passes)" 1 $?
"$TOOL" dump "$tmp/magic.trc" > "$tmp/magic.dump" 2> "$tmp/err"
expect_status "dump of the magic trace" 0 $?
"$TOOL" dump --records "$tmp/magic.trc" > "$tmp/magic.rec" 2> "$tmp/err"
grep '^INSN' "$tmp/magic.rec" | awk '{ sub("lin=", "", $3); print $3 }' > "$tmp/magic.lins"
if sed 's/ .*//' tests/trace/magic.expected | cmp -s - "$tmp/magic.lins"; then
	ok "magic trace: the executed addresses are the program's"
else
	bad "magic trace: the executed addresses are the program's"
	sed 's/ .*//' tests/trace/magic.expected | diff - "$tmp/magic.lins" | head
fi
# the disassembly column of the dump equals the expected instructions
if sed 's/^[0-9a-f]* //' tests/trace/magic.expected > "$tmp/want.asm" &&
   sed 's/^ *[0-9]* *[0-9] *[0-9a-f]*: *\([0-9a-f][0-9a-f] \)* *//' "$tmp/magic.dump" |
	sed 's/  */ /g; s/ $//' > "$tmp/got.asm" && cmp -s "$tmp/want.asm" "$tmp/got.asm"; then
	ok "magic trace: dump disassembly matches the source"
else
	bad "magic trace: dump disassembly matches the source"
	diff "$tmp/want.asm" "$tmp/got.asm" | head -20
fi
check "magic trace: EVENT start/stop by the magic instruction" \
	sh -c "grep -qx 'EVENT start reason=magic' '$tmp/magic.rec' && grep -qx 'EVENT stop reason=magic' '$tmp/magic.rec'"
check "magic trace: the 4-byte write of 12345678 at 0x600" \
	have "MEM W lin=00000600 phys=00000600 size=4 value=12345678" "$tmp/magic.rec"
check "magic trace: its read" \
	have "MEM R lin=00000600 phys=00000600 size=4 value=12345678" "$tmp/magic.rec"
check "magic trace: OUT 0xE9 of 'A'" have "IO OUT port=00e9 size=1 value=41" "$tmp/magic.rec"
check "magic trace: INT 0x80 returns to the next instruction" \
	have "INTR soft vector=80 error=none cs=f000 eip=00000041" "$tmp/magic.rec"
check "magic trace: #DE saves the DIV's address" \
	have "INTR exception vector=00 error=none cs=f000 eip=00000046" "$tmp/magic.rec"
check "magic trace: the interrupt pushes FLAGS, CS, IP (0x6ffe, 0x6ffc, 0x6ffa)" \
	sh -c "grep -q '^MEM W lin=00006ffe phys=00006ffe size=2 ' '$tmp/magic.rec' &&
	       grep -qx 'MEM W lin=00006ffc phys=00006ffc size=2 value=f000' '$tmp/magic.rec' &&
	       grep -qx 'MEM W lin=00006ffa phys=00006ffa size=2 value=0041' '$tmp/magic.rec'"
check "magic trace: LOOP leaves CX 2, 1, 0 (REGS)" \
	sh -c "grep '^REGS' '$tmp/magic.rec' | grep -o 'ecx=[0-9a-f]*' | grep -q 'ecx=00000002' &&
	       grep '^REGS' '$tmp/magic.rec' | grep -o 'ecx=[0-9a-f]*' | grep -q 'ecx=00000001'"
# the faulting DIV did not retire: the handler's first instruction has its icount
div=$(grep '^INSN' "$tmp/magic.rec" | grep 'bytes=f6f1' | awk '{ print $2 }')
push=$(grep '^INSN' "$tmp/magic.rec" | grep 'lin=000f0068' | awk '{ print $2 }')
if [ -n "$div" ] && [ "$div" = "$push" ]; then ok "magic trace: #DE: the DIV does not retire"
else bad "magic trace: #DE: the DIV does not retire (div $div, handler $push)"; fi

# ---- 2: the port trigger ----
guest trace.bin "$tmp/port.trc" --trace-start port:0x99 --trace-what all
"$TOOL" dump --records "$tmp/port.trc" > "$tmp/port.rec" 2> "$tmp/err"
if [ "$(grep -c '^INSN' "$tmp/port.rec")" = 3 ] &&
   grep '^INSN' "$tmp/port.rec" | head -1 | grep -q 'lin=000f0058 .*bytes=90$' &&
   grep '^INSN' "$tmp/port.rec" | tail -1 | grep -q 'lin=000f005b .*bytes=e699$' &&
   have "EVENT start reason=port" "$tmp/port.rec" && have "EVENT stop reason=port" "$tmp/port.rec"; then
	ok "port trigger: from the NOP after OUT 0x99,1 to OUT 0x99,0"
else
	bad "port trigger: from the NOP after OUT 0x99,1 to OUT 0x99,0"
	grep -E '^(INSN|EVENT)' "$tmp/port.rec"
fi

# ---- 3: start/stop at instruction counts; filters ----
guest pm-task.bin "$tmp/all.trc" --trace-what all
"$TOOL" dump --records "$tmp/all.trc" > "$tmp/all.rec" 2> "$tmp/err"
total=$(grep -c '^INSN' "$tmp/all.rec")
guest pm-task.bin "$tmp/ss.trc" --trace-start 100 --trace-stop 350
"$TOOL" dump --records "$tmp/ss.trc" > "$tmp/ss.rec" 2> "$tmp/err"
first=$(grep '^INSN' "$tmp/ss.rec" | head -1 | awk '{ print $2 }')
last=$(grep '^INSN' "$tmp/ss.rec" | tail -1 | awk '{ print $2 }')
n=$(grep -c '^INSN' "$tmp/ss.rec")
if [ "$first" = 100 ] && [ "$last" = 349 ] && [ "$n" = 250 ]; then ok "--trace-start 100 --trace-stop 350: instructions 100..349"
else bad "--trace-start 100 --trace-stop 350: instructions 100..349 (got $first..$last, $n)"; fi
# the same instructions as the full trace's (without regs, the lines are equal)
grep '^INSN' "$tmp/all.rec" | awk '$2 >= 100 && $2 < 350' > "$tmp/a"
grep '^INSN' "$tmp/ss.rec" > "$tmp/b"
check "--trace-start/stop: the same instructions as the full trace" cmp -s "$tmp/a" "$tmp/b"

guest pm-priv.bin "$tmp/cpl.trc" --trace-cpl 3
"$TOOL" dump --records "$tmp/cpl.trc" > "$tmp/cpl.rec" 2> "$tmp/err"
guest pm-priv.bin "$tmp/cplall.trc"
"$TOOL" dump --records "$tmp/cplall.trc" > "$tmp/cplall.rec" 2> "$tmp/err"
n3=$(grep '^INSN' "$tmp/cpl.rec" | grep -c ' cpl=3 ')
nall=$(grep -c '^INSN' "$tmp/cpl.rec")
want=$(grep '^INSN' "$tmp/cplall.rec" | grep -c ' cpl=3 ')
if [ "$n3" -gt 0 ] && [ "$n3" = "$nall" ] && [ "$n3" = "$want" ]; then ok "--trace-cpl 3: all $want CPL 3 instructions, nothing else"
else bad "--trace-cpl 3 (got $n3 of $nall, want $want)"; fi

guest trace.bin "$tmp/range.trc" --trace-range 0xf0038-0xf003a
"$TOOL" dump --records "$tmp/range.trc" > "$tmp/range.rec" 2> "$tmp/err"
if [ "$(grep -c '^INSN' "$tmp/range.rec")" = 6 ] &&
   [ "$(grep '^INSN' "$tmp/range.rec" | grep -vc 'lin=000f003[89]')" = 0 ]; then
	ok "--trace-range: the loop body only (3 x INC, LOOP)"
else bad "--trace-range: the loop body only"; grep '^INSN' "$tmp/range.rec" | head; fi

# --trace-cr3: mmu-spaces switches between address spaces; the filtered
# trace holds exactly the full trace's instructions run under that CR3
guest mmu-spaces.bin "$tmp/cr3all.trc"
cr3=$(python3 tests/trace/cr3-instructions.py "$tmp/cr3all.trc" --pick)
python3 tests/trace/cr3-instructions.py "$tmp/cr3all.trc" "$cr3" > "$tmp/cr3want"
guest mmu-spaces.bin "$tmp/cr3.trc" --trace-cr3 "$cr3"
"$TOOL" dump --records "$tmp/cr3.trc" | grep '^INSN' | awk '{ print $2, $3 }' > "$tmp/cr3got"
if [ -s "$tmp/cr3want" ] && cmp -s "$tmp/cr3want" "$tmp/cr3got"; then
	ok "--trace-cr3 $cr3: the $(wc -l < "$tmp/cr3want") instructions run in that address space"
else bad "--trace-cr3 $cr3"; diff "$tmp/cr3want" "$tmp/cr3got" | head; fi

# ---- 4: tracing does not change the run ----
"$SHADE86" -display none -serial none -icount 0 --max-insns 3000000 2> "$tmp/plain.err"
"$SHADE86" -display none -serial none -icount 0 --max-insns 3000000 \
	--trace "$tmp/demo.trc" --trace-what all 2> "$tmp/traced.err"
if grep 'instruction limit' "$tmp/plain.err" > "$tmp/a" && grep 'instruction limit' "$tmp/traced.err" > "$tmp/b" &&
   cmp -s "$tmp/a" "$tmp/b"; then ok "a traced run ends where the untraced one does ($(cat "$tmp/a" | sed 's/.*at //'))"
else bad "a traced run ends where the untraced one does"; cat "$tmp/a" "$tmp/b"; fi

# ---- 5: C and Python readers agree ----
for f in magic port all cpl demo; do
	"$TOOL" dump --records "$tmp/$f.trc" > "$tmp/c.txt" 2> "$tmp/err"
	s1=$?
	$PY records "$tmp/$f.trc" > "$tmp/p.txt" 2>> "$tmp/err"
	s2=$?
	if [ $s1 = 0 ] && [ $s2 = 0 ] && cmp -s "$tmp/c.txt" "$tmp/p.txt"; then
		ok "C and Python listings agree: $f ($(wc -l < "$tmp/c.txt") records)"
	else
		bad "C and Python listings agree: $f (status $s1/$s2)"
		diff "$tmp/c.txt" "$tmp/p.txt" | head -5
	fi
done
nchunks=$(grep -c '^CHUNK' "$tmp/c.txt")
check "the demo trace spans several chunks ($nchunks)" test "$nchunks" -ge 3

# ---- 6: truncated and corrupt files ----
cp "$tmp/c.txt" "$tmp/full.txt"
off2=$(grep '^CHUNK index=2 ' "$tmp/full.txt" | sed 's/.*offset=\([0-9]*\).*/\1/')
sed -n '/^CHUNK index=2 /q;p' "$tmp/full.txt" > "$tmp/prefix.txt"
head -c $((off2 + 100)) "$tmp/demo.trc" > "$tmp/trunc.trc"
for r in C Python; do
	if [ $r = C ]; then "$TOOL" dump --records "$tmp/trunc.trc" > "$tmp/out" 2> "$tmp/err"
	else $PY records "$tmp/trunc.trc" > "$tmp/out" 2> "$tmp/err"; fi
	st=$?
	if [ $st = 4 ] && cmp -s "$tmp/out" "$tmp/prefix.txt" && [ "$(wc -l < "$tmp/err")" = 1 ] &&
	   grep -q "truncated" "$tmp/err"; then ok "$r reader: a truncated file gives status 4, one line, the whole chunks before"
	else bad "$r reader: truncated file (status $st)"; cat "$tmp/err"; fi
done
cp "$tmp/demo.trc" "$tmp/corrupt.trc"
printf '\377' | dd of="$tmp/corrupt.trc" bs=1 seek=$((off2 + 200)) conv=notrunc 2> /dev/null
for r in C Python; do
	if [ $r = C ]; then "$TOOL" dump --records "$tmp/corrupt.trc" > "$tmp/out" 2> "$tmp/err"
	else $PY records "$tmp/corrupt.trc" > "$tmp/out" 2> "$tmp/err"; fi
	st=$?
	if [ $st = 5 ] && cmp -s "$tmp/out" "$tmp/prefix.txt" && [ "$(wc -l < "$tmp/err")" = 1 ]; then
		ok "$r reader: a corrupt chunk gives status 5, one line, the chunks before"
	else bad "$r reader: corrupt file (status $st)"; cat "$tmp/err"; fi
done
printf 'NOTATRACE' > "$tmp/bad.trc"
"$TOOL" dump "$tmp/bad.trc" > /dev/null 2> "$tmp/err"
expect_status "C reader: not a trace file" 3 $?
$PY records "$tmp/bad.trc" > /dev/null 2> "$tmp/err"
expect_status "Python reader: not a trace file" 3 $?
"$TOOL" dump "$tmp/missing.trc" > /dev/null 2> "$tmp/err"
expect_status "C reader: a missing file" 3 $?
"$TOOL" frobnicate "$tmp/demo.trc" > /dev/null 2> "$tmp/err"
expect_status "C reader: an unknown command" 2 $?

# ---- 7: a write error in the middle of the run ----
(
	trap '' XFSZ
	ulimit -f 1500
	"$SHADE86" -display none -serial none -icount 0 --max-insns 20000000 \
		--trace "$tmp/full.trc" --trace-what all 2> "$tmp/err"
	echo $? > "$tmp/status"
)
st=$(cat "$tmp/status")
if [ "$st" = 18 ] && grep -q "the trace written before the error is valid" "$tmp/err"; then
	ok "a write error (file size limit) ends the run with status 18 and says so"
else bad "write error: status $st"; cat "$tmp/err"; fi
"$TOOL" dump --records "$tmp/full.trc" > "$tmp/out" 2> "$tmp/err"
st=$?
n=$(grep -c '^INSN' "$tmp/out")
if [ $st = 0 ] && [ "$n" -gt 0 ]; then ok "the trace cut by the write error is whole ($n instructions)"
else bad "the trace cut by the write error is whole (status $st, $n instructions)"; fi

# ---- 8: slice and stats ----
"$TOOL" slice "$tmp/demo.trc" "$tmp/slice.trc" 1000000 1200000 2> "$tmp/err"
expect_status "slice 1000000..1200000" 0 $?
"$TOOL" dump --records "$tmp/slice.trc" | grep '^INSN' > "$tmp/a"
grep '^INSN' "$tmp/full.txt" | awk '$2 >= 1000000 && $2 < 1200000' > "$tmp/b"
if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then ok "slice: the same $(wc -l < "$tmp/a") instructions as the original"
else bad "slice: the same instructions as the original"; fi
"$TOOL" stats "$tmp/demo.trc" > "$tmp/stats" 2> "$tmp/err"
expect_status "stats" 0 $?
n=$(grep -c '^INSN' "$tmp/full.txt")
check "stats counts the $n instructions" grep -q "$n" "$tmp/stats"

# ---- 9: round trips and the Python reader's own tests ----
"$B/trace-roundtrip" > "$tmp/out" 2> "$tmp/err"
st=$?
if [ $st = 0 ]; then ok "writer -> reader round trips: $(tail -1 "$tmp/out")"
else bad "writer -> reader round trips"; tail "$tmp/out"; fi
python3 tests/trace-python-test.py > "$tmp/out" 2> "$tmp/err"
st=$?
if [ $st = 0 ]; then ok "Python reader tests: $(tail -1 "$tmp/out")"
else bad "Python reader tests"; tail "$tmp/out" "$tmp/err"; fi

echo "trace tests: $pass passed, $fail failed"
[ $fail = 0 ]

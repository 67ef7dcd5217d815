#!/bin/bash
# make bench-guest: the same Debian i386 programs timed natively on the host,
# inside shade86 (--engine bt) and inside qemu-system-i386 (TCG), in one run;
# numbers and ratios, never pass/fail.  The workloads and their command lines
# are in roms/bench-init.sh (the image's /init); the image comes from
# roms/mkbench.sh.  Inside a guest each workload is timed on the host: the
# guest prints BENCH-BEGIN/BENCH-END on its serial port and this script notes
# when each line arrives (the guest's own clock is printed beside, as a check).
# Natively, benchrun's clock is the host's.  Where the host kernel cannot run
# i386 programs (no IA32 emulation), the native column is the host's x86-64
# gzip, bzip2, xz and sha256sum (same Debian versions) and our programs built
# for x86-64, and says so.
#
# Usage: tests/bench/guest.sh [SHADE86] [BENCHDIR]     (default ./shade86 build/bench)
#        tests/bench/guest.sh --report LOGDIR [BENCHDIR]
#              the tables again, from the logs that BENCH_KEEP_LOGS=LOGDIR kept
# Environment (defaults):
#   BENCH_MIB=20        corpus size in MiB for sha256sum, gzip, bzip2 (and xz)
#   BENCH_XZMIB=MIB     xz -6 and unxz work on the first XZMIB MiB only
#   BENCH_ITER=20000    intmark iterations
#   BENCH_KSCALE=1      multiplies the kbench operation counts
#   BENCH_ONLY=all      comma-separated workload names (as in the table)
#   BENCH_INTERP=intmark,kbench-getpid   also run these under --engine interp
#                       (intmark with a tenth of the iterations; "none" skips)
#   BENCH_TIMEOUT=1200  seconds for one emulator run (the interpreter: 400)
set -u
REPORT=
[ "${1:-}" = --report ] && { REPORT=${2:?--report needs a directory}; shift 2; set -- "" "$@"; }
SHADE86=${1:-./shade86}
D=${2:-build/bench}
MIB=${BENCH_MIB:-20}
XZMIB=${BENCH_XZMIB:-$MIB}
ITER=${BENCH_ITER:-20000}
KSCALE=${BENCH_KSCALE:-1}
ONLY=${BENCH_ONLY:-all}
INTERP=${BENCH_INTERP:-intmark,kbench-getpid}
TIMEOUT=${BENCH_TIMEOUT:-1200}
INTERP_TIMEOUT=${BENCH_INTERP_TIMEOUT:-400}
export BENCH_MIB=$MIB BENCH_XZMIB=$XZMIB BENCH_ITER=$ITER BENCH_KSCALE=$KSCALE BENCH_ONLY=$ONLY

say() { echo "bench-guest: $*" >&2; }
[ -n "${EPOCHREALTIME:-}" ] || { say "needs bash 5 (EPOCHREALTIME)"; exit 1; }
[ -f "$D/vmlinuz" ] && [ -f "$D/initrd.img" ] && [ -x "$D/root/bin/benchrun" ] ||
	{ say "no benchmark image in $D (make bench-image)"; exit 1; }
D=$(cd "$D" && pwd)
# no window pops up, even on a desktop
unset DISPLAY WAYLAND_DISPLAY
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
L=$tmp          # the logs: *.log as read, *.sum as summarized

APPEND="console=ttyS0 quiet cryptomgr.notests bench.mib=$MIB bench.xzmib=$XZMIB bench.iter=$ITER bench.kscale=$KSCALE"

# Each line read, prefixed with the host time it arrived (the guest's serial
# output ends lines with \r\n).  The first line is the start time.
stamp() {
	local l
	printf '%s HOST-START\n' "$1"
	while IFS= read -r l; do
		printf '%s %s\n' "$EPOCHREALTIME" "${l%$'\r'}"
	done
}

# One line per timed run, tab-separated: name, seconds, guest-clock seconds,
# status, result; then "boot" with the seconds to the first BENCH-INFO line.
# HOSTCLOCK=1 (native runs) takes benchrun's own clock as the time.
summarize() { # LOG HOSTCLOCK
	awk -v hostclock="$2" '
	{ ts = $1; line = $0; sub(/^[^ ]+ /, "", line); split(line, f, " ") }
	f[1] == "HOST-START" { start = ts }
	f[1] == "BENCH-INFO" && boot == "" { boot = ts - start }
	f[1] == "BENCH-BEGIN" { b[f[2]] = ts; order[n++] = f[2] }
	f[1] == "BENCH-END" {
		e[f[2]] = ts; st[f[2]] = substr(f[3], 8); g[f[2]] = substr(f[4], 4) / 1e9
	}
	f[1] == "BENCH-RESULT" { r = line; sub(/^BENCH-RESULT [^ ]+ ?/, "", r); res[f[2]] = r }
	END {
		for (i = 0; i < n; i++) {
			k = order[i]
			if (!(k in e))
				printf "%s\t-\t-\tunfinished\t%s\n", k, res[k]
			else
				printf "%s\t%.4f\t%.4f\t%s\t%s\n", k, hostclock ? g[k] : e[k] - b[k], g[k], st[k], res[k]
		}
		if (boot != "")
			printf "boot\t%.2f\n", boot
	}' "$1"
}

if [ -n "$REPORT" ]; then
	L=$REPORT
	info() { sed -n "s/.* BENCH-INFO .*$2=\([^ ]*\).*/\1/p" "$L/$1.log" 2> /dev/null | head -n 1; }
	native=$(info native mode)
	MIB=$(info shade86 mib) XZMIB=$(info shade86 xzmib) ITER=$(info shade86 iter)
	IITER=$(info interp iter)
	INTERP=$(info interp only)
	have_qemu=0
	[ -s "$L/qemu.sum" ] && have_qemu=1
else
# ------------------------------------------------------------------ native
native=x86-64
if err=$("$D/root/bin/benchrun" probe true 2>&1 > /dev/null); then
	native=i386
	say "native: the i386 programs of $D/root run on this host (IA32 emulation)"
else
	why=$(dmesg 2> /dev/null | grep -i -m1 -E 'ia-?32 emulation|32-bit emulation' | sed 's/^\[[^]]*\] //')
	say "native: this host kernel does not run i386 programs ($(echo "$err" | tail -n 1 | sed 's/.*: //')${why:+; dmesg: $why})"
	say "native: the native column is x86-64 instead: the host's gzip, bzip2, xz, sha256sum and our programs built for the host"
	for t in gzip bzip2 xz sha256sum; do
		command -v $t > /dev/null || say "native: no $t on this host: its rows stay empty"
	done
fi
mkdir "$L/native"
say "native ($native): running"
if [ $native = i386 ]; then
	sh "$D/root/bench-init.sh" --i386 "$D/root" "$L/native" 2>&1 | stamp "$EPOCHREALTIME" > "$L/native.log"
else
	sh "$D/root/bench-init.sh" --x86-64 "$D/host" "$L/native" 2>&1 | stamp "$EPOCHREALTIME" > "$L/native.log"
fi
rm -rf "$L/native"
summarize "$L/native.log" 1 > "$L/native.sum"

# ------------------------------------------------------------------ guests
run_shade86() { # NAME TIMEOUT ENGINE ONLY ITER
	local t0=$EPOCHREALTIME
	"$SHADE86" --engine "$3" -m 512 -kernel "$D/vmlinuz" -initrd "$D/initrd.img" \
		-append "$APPEND bench.only=$4 bench.iter=$5" -display none -serial stdio \
		--exit-on-serial '^BENCH-DONE' --timeout "$2" < /dev/null 2> "$L/$1.err" |
		stamp "$t0" > "$L/$1.log"
	local rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ]; then
		say "$1: shade86 exited with status $rc$([ "$rc" = 124 ] && echo " (timeout, $2 s)")$(tail -n 3 "$L/$1.err" | sed 's/^/; /' | tr -d '\n')"
		say "$1: its last serial lines:"
		tail -n 5 "$L/$1.log" | cut -d' ' -f2- | sed 's/^/    /' >&2
	fi
	summarize "$L/$1.log" 0 > "$L/$1.sum"
}

say "shade86 (--engine bt): running"
run_shade86 shade86 "$TIMEOUT" bt "$ONLY" "$ITER"

have_qemu=0
if command -v qemu-system-i386 > /dev/null; then
	have_qemu=1
	say "qemu-system-i386 (TCG): running"
	t0=$EPOCHREALTIME
	timeout "$TIMEOUT" qemu-system-i386 -accel tcg -m 512 -kernel "$D/vmlinuz" -initrd "$D/initrd.img" \
		-append "$APPEND bench.only=$ONLY bench.iter=$ITER" -display none -serial stdio -monitor none \
		-no-reboot < /dev/null 2> "$L/qemu.err" | stamp "$t0" > "$L/qemu.log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ]; then
		say "qemu: exited with status $rc$(tail -n 3 "$L/qemu.err" | sed 's/^/; /' | tr -d '\n')"
		tail -n 5 "$L/qemu.log" | cut -d' ' -f2- | sed 's/^/    /' >&2
	fi
	summarize "$L/qemu.log" 0 > "$L/qemu.sum"
else
	say "qemu-system-i386 not installed (apt-get install qemu-system-x86): no QEMU column"
	: > "$L/qemu.sum"
fi

IITER=$(( ITER / 10 > 0 ? ITER / 10 : 1 ))
if [ "$INTERP" != none ]; then
	say "shade86 (--engine interp): running $INTERP (at most $INTERP_TIMEOUT s)"
	run_shade86 interp "$INTERP_TIMEOUT" interp "$INTERP" "$IITER"
fi
fi

# ------------------------------------------------------------------ report
echo
echo "== make bench-guest: $(awk '/BENCH-INFO/ { sub(/^[^ ]+ BENCH-INFO /, ""); print; exit }' "$L/shade86.log")"
echo "corpus $MIB MiB (tests/bench/mkcorpus.c; xz: first $XZMIB MiB); gzip -6, bzip2 -9, xz -6 -T1,"
echo "sha256sum: 4 passes; intmark: $ITER iterations; kbench: ops below; seconds of host wall time;"
echo "shade86/native: times slower than native; qemu/shade86: above 1, shade86 is that much faster than QEMU."
echo "native = $native$([ "$native" = x86-64 ] && echo " (host kernel runs no i386 code: the host's own x86-64 builds, NOT the same binaries)")"
awk -F '\t' -v haveq=$have_qemu -v d="$D" '
# rows: every workload any run started, in the order they ran
$1 != "boot" && !($1 in seen) { seen[$1] = 1; order[n++] = $1 }
FILENAME ~ /native.sum$/ { nt[$1] = $2; ns[$1] = $4; nr[$1] = $5; next }
FILENAME ~ /shade86.sum$/ { st[$1] = $2; ss[$1] = $4; sr[$1] = $5; next }
FILENAME ~ /qemu.sum$/ { qt[$1] = $2; qs[$1] = $4; qr[$1] = $5; next }
function num(x) { return x != "" && x != "-" }
function cell(x, fmt) { return num(x) ? sprintf(fmt, x) : "-" }
END {
	printf "%-15s %10s %10s %10s %15s %13s  %s\n", "workload", "native s", "shade86 s", "qemu s",
		"shade86/native", "qemu/shade86", "check"
	# qemu/shade86 above 1: shade86 is that much faster than QEMU
	for (i = 0; i < n; i++) {
		k = order[i]
		ratio_n = num(nt[k]) && num(st[k]) && nt[k] > 0 ? sprintf("%.1fx", st[k] / nt[k]) : "-"
		ratio_q = num(qt[k]) && num(st[k]) && st[k] > 0 ? sprintf("%.2fx", qt[k] / st[k]) : "-"
		# every run must end with status 0 and the same result (hash, checksum)
		check = ""
		if (!(k in ss)) check = check " shade86-did-not-run-it"
		else if (ss[k] != "0") check = check " shade86-status=" ss[k]
		if (haveq && qs[k] != "0") check = check " qemu-status=" qs[k]
		if ((k in ns) && ns[k] != "0") check = check " native-status=" ns[k]
		if (haveq && qs[k] == "0" && ss[k] == "0" && qr[k] != sr[k]) check = check " shade86!=qemu"
		if (ns[k] == "0" && ss[k] == "0" && nr[k] != sr[k]) check = check " shade86!=native"
		sub(/^ /, "", check)
		if (check == "")
			check = "ok"
		else
			bad[++nbad] = sprintf("%s: %s\n  native: %s\n  shade86: %s\n  qemu: %s", k, check, nr[k], sr[k], qr[k])
		printf "%-15s %10s %10s %10s %15s %13s  %s\n", k, cell(nt[k], "%.3f"), cell(st[k], "%.3f"),
			cell(qt[k], "%.3f"), ratio_n, ratio_q, check
	}
	printf "%-15s %10s %10s %10s\n", "boot to /init", "-", cell(st["boot"], "%.1f"), cell(qt["boot"], "%.1f")
	for (i = 1; i <= nbad; i++)
		print bad[i]
	if (nbad)
		print "to narrow one down: ./shade86 [--engine interp | --check-lockstep] -m 512 -kernel " d "/vmlinuz -initrd " \
			d "/initrd.img -append \"console=ttyS0 quiet bench.only=NAME\" -serial stdio -display none"
}' "$L/native.sum" "$L/shade86.sum" "$L/qemu.sum"

# rates: intmark iterations per second, kbench nanoseconds per operation
echo
echo "rates (from host time):"
for f in native shade86 qemu interp; do
	[ -s "$L/$f.log" ] && grep -h '^[^ ]* BENCH-RESULT ' "$L/$f.log" | sed "s/^[^ ]* BENCH-RESULT /$f /"
done > "$L/results"
sums=("$L/native.sum" "$L/shade86.sum" "$L/qemu.sum")
[ -s "$L/interp.sum" ] && sums+=("$L/interp.sum")
awk -F '\t' -v iter="$ITER" -v iiter="$IITER" '
FNR == 1 { run = FILENAME; sub(/.*\//, "", run); sub(/\.sum$/, "", run) }
FILENAME ~ /\.sum$/ { t[run, $1] = $2; if (run == "shade86") order[++nk] = $1; next }
{ split($0, w, " "); if (w[3] ~ /^ops=/) ops[w[2]] = substr(w[3], 5) }
function rate(r, k) {
	if (!((r, k) in t) || t[r, k] == "-" || t[r, k] <= 0) return ""
	if (k == "intmark") return (r == "interp" ? iiter : iter) / t[r, k]
	return t[r, k] * 1e9 / ops[k]
}
END {
	printf "%-15s %12s %12s %12s %12s  %s\n", "", "native", "shade86 bt", "qemu", "interp", "unit"
	for (i = 1; i <= nk; i++) {
		k = order[i]
		if (k != "intmark" && !(k in ops)) continue
		line = sprintf("%-15s", k)
		for (j = 1; j <= 4; j++) {
			r = j == 1 ? "native" : j == 2 ? "shade86" : j == 3 ? "qemu" : "interp"
			v = rate(r, k)
			line = line sprintf(" %12s", v == "" ? "-" : sprintf(v >= 100 ? "%.0f" : "%.1f", v))
		}
		print line "  " (k == "intmark" ? "iterations/s" : "ns/op (" ops[k] " ops)")
	}
}' "${sums[@]}" "$L/results"

# the guest clock against the host's, over the timed runs (1.00: it keeps time)
echo
for f in shade86 qemu interp; do
	[ -s "$L/$f.sum" ] || continue
	awk -F '\t' -v f=$f '$1 != "boot" && $2 != "-" { h += $2; g += $3 }
		END { if (h > 0) printf "%s: guest clock %.1f s over %.1f s of host time (%.3f)\n", f, g, h, g / h }' "$L/$f.sum"
done
if [ -s "$L/interp.sum" ]; then
	grep -q unfinished "$L/interp.sum" && echo "interp: did not finish $INTERP within $INTERP_TIMEOUT s"
	awk -F '\t' '$1 != "boot" && $4 != "0" { print "interp: " $1 " ended with status " $4 }' "$L/interp.sum"
	if grep -q '^intmark	' "$L/interp.sum"; then
		P=$D/host
		[ "$native" = i386 ] && P=$D/root/bin
		echo "interp: intmark $(grep '^intmark	' "$L/interp.sum" | cut -f5) ($IITER iterations;" \
			"native: $("$P/intmark" "$IITER" | sed 's/.*checksum=/checksum /'))"
	fi
fi
if [ -n "${BENCH_KEEP_LOGS:-}" ] && [ -z "$REPORT" ]; then
	mkdir -p "$BENCH_KEEP_LOGS" && cp "$L"/*.log "$L"/*.sum "$BENCH_KEEP_LOGS/"
fi
exit 0

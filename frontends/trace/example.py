#!/usr/bin/env python3
"""An example of reading a shade86 trace with shade86trace.py -- copy and adapt.

    python3 frontends/trace/example.py FILE [--from N] [--to N] [--show N]

prints the trace's header, the instructions per CPL, the 10 hottest
instruction addresses and the first N interrupts and exceptions, for the
instructions FROM <= icount < TO (default: all of them).

Make a trace with e.g.
    ./shade86 -machine test -bios build/guest/pm-exc.bin --trace /tmp/x.trc --trace-what all
"""

import argparse
import collections
import os
import sys

# shade86trace.py lives next to this script; copy it anywhere on sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shade86trace  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("file")
ap.add_argument("--from", dest="start", type=lambda s: int(s, 0), default=None,
                help="first instruction count")
ap.add_argument("--to", dest="end", type=lambda s: int(s, 0), default=None,
                help="stop before this instruction count")
ap.add_argument("--show", type=int, default=20, help="interrupts to list (20)")
args = ap.parse_args()

try:
    trace = shade86trace.Trace(args.file)
except (OSError, shade86trace.TraceError) as e:
    sys.exit("example: %s: %s" % (args.file, e))

# 1. The file header: what was recorded, and the CPU state when tracing began.
print("%s: %s machine, %d MiB, %s %s" % (args.file, trace.machine, trace.ram_size >> 20,
                                          trace.vendor, trace.model))
print("recorded: %s" % ", ".join(trace.what_names))
s = trace.state
print("initial state: icount %d, CS:EIP %04x:%08x, CR0 %08x, CPL %d"
      % (s.icount, s.segs["cs"].selector, s.eip, s.cr0, s.cpl))

# 2. One pass over the records.  records() skips whole chunks before --from
#    by their headers, so a window deep into a long trace is quick to reach.
per_cpl = collections.Counter()      # CPL -> instructions
hot = collections.Counter()          # linear address -> times executed
interrupts = []                      # (icount of the instruction before, INTR record)
last_icount = None
status = 0
try:
    for rec in trace.records(args.start, args.end):
        if rec.kind == "INSN":
            per_cpl[rec.cpl] += 1
            hot[rec.lin] += 1
            last_icount = rec.icount
        elif rec.kind == "INTR" and len(interrupts) < args.show:
            interrupts.append((last_icount, rec))
except shade86trace.TraceError as e:
    # A truncated or corrupt file: everything before the damaged chunk was
    # read; report what we have and say so.
    print("warning: %s (results cover the trace up to icount %s)" % (e, e.last_icount))
    status = 1

total = sum(per_cpl.values())
print("\n%d instructions" % total)
for cpl in sorted(per_cpl):
    print("  CPL %d: %10d  %5.1f%%" % (cpl, per_cpl[cpl], 100.0 * per_cpl[cpl] / total))

print("\nhottest instruction addresses:")
for lin, count in hot.most_common(10):
    print("  %08x  %d" % (lin, count))

print("\nfirst %d interrupts and exceptions:" % len(interrupts))
for icount, r in interrupts:
    err = "" if r.error_code is None else " error %08x" % r.error_code
    print("  after insn %-10s %-9s vector %02x  return to %04x:%08x%s"
          % (icount, r.type_name, r.vector, r.cs, r.eip, err))

trace.close()
sys.exit(status)

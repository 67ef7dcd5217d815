#!/usr/bin/env python3
"""For tests/run-trace-tests.sh: which instructions of a full trace ran in the
address space with a given CR3 (bits 31:12), through the Python reader.

    cr3-instructions.py FILE VALUE   prints "ICOUNT lin=XXXXXXXX" for each
    cr3-instructions.py FILE --pick  prints a CR3 worth filtering on: the
                                     second one the trace switches to
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "frontends", "trace"))
import shade86trace  # noqa: E402


def main():
    path, arg = sys.argv[1], sys.argv[2]
    with shade86trace.Trace(path) as t:
        cr3 = t.state.cr3
        seen = []
        for r in t.records():
            if r.kind == "STATE":
                cr3 = r.cr3
            elif r.kind == "CR" and r.n == 3:
                cr3 = r.value
                if cr3 & 0xfffff000 not in seen:
                    seen.append(cr3 & 0xfffff000)
            elif r.kind == "INSN" and arg != "--pick":
                if (cr3 ^ int(arg, 0)) & 0xfffff000 == 0:
                    print("%d lin=%08x" % (r.icount, r.lin))
        if arg == "--pick":
            if len(seen) < 2:
                sys.exit("cr3-instructions: fewer than two address spaces in %s" % path)
            print("0x%08x" % seen[1])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Tests of frontends/trace/shade86trace.py against docs/trace-format.md.

Builds trace files by hand with its own small encoder (written from the
format document, not from the C writer), reads them back and checks every
decoded field; then damages them (cut at many offsets, flipped bytes, bad
CRCs, bad magic, another major version, records that do not parse, random
garbage behind valid CRCs) and checks the exceptions, the records yielded
before the damage and the command line's output and exit status.

With --c-reader PATH (e.g. ./shade86-trace) it also checks that the C
reader's `dump --records` prints the same listing and exit status as the
Python module for every file given to the command line here.

Prints one summary line; exit status 1 if anything failed.
Usage: python3 tests/trace-python-test.py [-v] [--c-reader PATH]
"""

import os
import random
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MODDIR = os.path.join(HERE, "..", "frontends", "trace")
sys.path.insert(0, MODDIR)
sys.dont_write_bytecode = True      # no __pycache__ in the source tree
import shade86trace as st  # noqa: E402

VERBOSE = "-v" in sys.argv
C_READER = sys.argv[sys.argv.index("--c-reader") + 1] if "--c-reader" in sys.argv else None
passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        if VERBOSE:
            print("pass  " + what)
    else:
        failed += 1
        print("FAIL  " + what)
    return cond


# ------------------------------------------------------------------ a tiny encoder

M32 = 0xFFFFFFFF
SSIZE = 552


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(d):
    d &= M32
    if d & 0x80000000:
        d -= 1 << 32
    return varint(((d << 1) ^ (d >> 31)) & M32)


def seg16(sel, valid, base, limit, attr):
    return struct.pack("<HHIII", sel, valid, base, limit, attr)


def make_state(icount, cpl=0, mode=0, seed=1):
    """A state block with a distinct value in every field (checked later)."""
    r = random.Random(seed)
    f = {}
    f["gpr"] = tuple(r.getrandbits(32) for _ in range(8))
    f["eip"] = r.getrandbits(32)
    f["eflags"] = r.getrandbits(32)
    f["segs"] = [(r.getrandbits(16), 1, r.getrandbits(32), r.getrandbits(32), r.getrandbits(16))
                 for _ in range(8)]
    f["gdtr"] = (r.getrandbits(32), r.getrandbits(16))
    f["idtr"] = (r.getrandbits(32), r.getrandbits(16))
    f["cr"] = tuple(r.getrandbits(32) for _ in range(4))
    f["dr"] = tuple(r.getrandbits(32) for _ in range(8))
    f["cpl"], f["mode"], f["a20"], f["halted"] = cpl, mode, 1, 0
    f["icount"] = icount
    f["tsc"] = r.getrandbits(64)
    f["fpr"] = [(r.getrandbits(64), r.getrandbits(16)) for _ in range(8)]
    f["x87"] = (r.getrandbits(16), r.getrandbits(16), r.getrandbits(16), r.getrandbits(11),
                r.getrandbits(32), r.getrandbits(32), r.getrandbits(16), r.getrandbits(16))
    f["mxcsr"] = r.getrandbits(32)
    f["xmm"] = [r.getrandbits(128) for _ in range(8)]
    f["sysenter"] = (r.getrandbits(16), r.getrandbits(32), r.getrandbits(32))
    b = bytearray()
    b += struct.pack("<8I", *f["gpr"])
    b += struct.pack("<II", f["eip"], f["eflags"])
    for s in f["segs"]:
        b += seg16(*s)
    b += struct.pack("<II", *f["gdtr"]) + struct.pack("<II", *f["idtr"])
    b += struct.pack("<4I", *f["cr"]) + struct.pack("<8I", *f["dr"])
    b += struct.pack("<4B", cpl, mode, 1, 0) + bytes(4)
    b += struct.pack("<QQ", icount, f["tsc"])
    for sig, se in f["fpr"]:
        b += struct.pack("<QH", sig, se) + bytes(6)
    b += struct.pack("<HHHHIIHHI", *(f["x87"] + (f["mxcsr"],)))
    for x in f["xmm"]:
        b += x.to_bytes(16, "little")
    b += struct.pack("<3I", *f["sysenter"]) + bytes(4)
    assert len(b) == SSIZE
    return bytes(b), f


def file_header(state, major=1, what=0x1F, ssize=SSIZE):
    h = bytearray(b"SHADE86T")
    h += struct.pack("<HHII", major, 0, 128 + ssize, ssize)
    h += struct.pack("<IQI", what, 128 << 20, 0x6D6)
    h += b"GenuineIntel"
    h += b"Test CPU model".ljust(48, b"\0")
    h += b"test".ljust(16, b"\0")
    h += bytes(16)
    assert len(h) == 128
    return bytes(h) + state


class Chunk(object):
    """Builds one chunk's payload and the records a reader should decode."""

    def __init__(self, icount, cpl=0, mode=0, seed=1):
        self.p = bytearray()
        self.expect = []        # (kind, fields...) per record
        self.table = []         # (phys, bytes)
        self.prev_id = None
        self.prev_lin = None
        self.prev_len = 0
        self.mem_lin = 0
        self.mem_map = None
        self.first_icount = icount
        self.ninsn = 0
        self.state(icount, cpl, mode, seed)

    def state(self, icount, cpl=0, mode=0, seed=1):
        raw, f = make_state(icount, cpl, mode, seed)
        self.p += b"\x07" + raw
        self.counter, self.cpl, self.mode = icount, cpl, mode
        self.expect.append(("STATE", f))

    def insn(self, lin, phys, code, new=None, jump=None, zig=False):
        """new: define (True), refer back (False), or choose (None); zig: use
        the d = 31 form even for a small delta."""
        code = bytes(code)
        if new is None:
            new = (phys, code) not in self.table
        if jump is None:
            jump = self.prev_lin is None or lin != (self.prev_lin + self.prev_len) & M32
        tag = 0x80 | (0x20 if jump else 0)
        body = bytearray()
        if jump:
            body += struct.pack("<I", lin)
        if new:
            tag |= 0x40
            body += struct.pack("<IB", phys, len(code)) + code
            iid = len(self.table)
            self.table.append((phys, code))
        else:
            # the latest definition of these bytes
            iid = max(i for i, e in enumerate(self.table) if e == (phys, code))
            delta = iid - self.prev_id
            if -15 <= delta <= 15 and not zig:
                tag |= delta + 15
            else:
                tag |= 31
                body += zigzag(delta)
        self.p += bytes([tag]) + body
        self.expect.append(("INSN", self.counter, lin, phys, self.cpl, self.mode, code, iid))
        self.counter += 1
        self.ninsn += 1
        self.prev_id, self.prev_lin, self.prev_len = iid, lin, len(code)

    def mem(self, write, lin, phys, size, value, same=None):
        if same is None:
            same = self.mem_map is not None and (phys - lin) & M32 == self.mem_map
        tag = 0x40 | (0x20 if write else 0) | (0x10 if same else 0) | (size - 1)
        self.p += bytes([tag]) + zigzag((lin - self.mem_lin) & M32)
        if not same:
            self.p += struct.pack("<I", phys)
        self.p += value.to_bytes(size, "little")
        self.mem_lin = lin
        self.mem_map = (phys - lin) & M32
        self.expect.append(("MEM", bool(write), lin, phys, size, value))

    def sync(self, icount):
        self.p += b"\x01" + varint(icount)
        self.counter = icount
        self.expect.append(("SYNC", icount))

    def modechg(self, cpl, mode):
        self.p += struct.pack("<BBB", 2, cpl, mode)
        self.cpl, self.mode = cpl, mode
        self.expect.append(("MODE", cpl, mode))

    def cr(self, n, value):
        self.p += struct.pack("<BBI", 3, n, value)
        self.expect.append(("CR", n, value))

    def regs(self, changes):
        """changes: {bit: u32 or (sel, base, limit, attr)}"""
        mask = 0
        body = bytearray()
        vals = []
        for bit in sorted(changes):
            mask |= 1 << bit
            v = changes[bit]
            if bit < 9:
                body += struct.pack("<I", v)
            else:
                body += struct.pack("<HIII", *v)
            vals.append(v)
        self.p += struct.pack("<BH", 4, mask) + body
        self.expect.append(("REGS", mask, tuple(vals)))

    def intr(self, kind, vector, error, cs, eip):
        self.p += struct.pack("<BBBIHI", 5, kind, vector, error, cs, eip)
        self.expect.append(("INTR", kind, vector, error, cs, eip))

    def io(self, out, port, size, value):
        self.p += struct.pack("<BBH", 6, (0x80 if out else 0) | size, port) + value.to_bytes(size, "little")
        self.expect.append(("IO", bool(out), port, size, value))

    def event(self, kind, reason):
        self.p += struct.pack("<BBB", 8, kind, reason)
        self.expect.append(("EVENT", kind, reason))

    def raw(self, b):
        self.p += b

    def encode(self, payload=None, insns=None, icount=None, crc=None):
        p = bytes(self.p if payload is None else payload)
        z = zlib.compress(p, 6)
        h = b"CHNK" + struct.pack("<IIIQI", len(z), len(p),
                                  zlib.crc32(p) if crc is None else crc,
                                  self.first_icount if icount is None else icount,
                                  self.ninsn if insns is None else insns)
        h += struct.pack("<I", zlib.crc32(h))
        return h + z


# ------------------------------------------------------------------ the test trace

def build_chunks():
    chunks = []
    # chunk 0: real mode, every record kind, the INSN and MEM paths
    c = Chunk(100, 0, 0, seed=1)
    c.event(1, 0)
    c.insn(0xFFFFFFF0, 0xFFFFFFF0, b"\xea\x00\x00\x00\xf0")         # JUMP NEW
    c.regs({10: (0xF000, 0xF0000, 0xFFFF, 0x9B)})
    c.insn(0xF0000, 0xF0000, b"\xfa")                               # JUMP NEW
    c.insn(0xF0001, 0xF0001, b"\x31\xc0")                           # sequential NEW
    c.regs({0: 0, 8: 0x46})
    c.insn(0xF0003, 0xF0003, b"\xa3\x00\x06")
    c.mem(1, 0x600, 0x600, 2, 0x1234)                               # first MEM: full phys
    c.insn(0xF0006, 0xF0006, b"\xa1\x00\x06")
    c.mem(0, 0x600, 0x600, 2, 0x1234)                               # SAMEMAP, delta 0
    c.mem(0, 0x5F0, 0x5F0, 1, 0xAB)                                 # negative delta
    c.mem(1, 0x100000, 0xFFFFFFFF, 4, 0xDEADBEEF)                   # unknown phys, big delta
    c.mem(1, 0x7FF0, 0x107FF0, 3, 0xABCDEF)                         # size 3, new map
    c.mem(1, 0x8000, 0x108000, 3, 0x123456, same=True)              # SAMEMAP with a map
    c.insn(0xF0001, 0xF0001, b"\x31\xc0")                           # back: delta -3 (JUMP)
    c.insn(0xF0003, 0xF0003, b"\xa3\x00\x06")                       # +1 sequential
    c.insn(0xF0006, 0xF0006, b"\xa1\x00\x06", zig=True)             # zigzag small delta
    c.insn(0xF0000, 0xF0000, b"\xfa", zig=True)                     # zigzag negative
    c.insn(0xF0001, 0xF0001, b"\x31\xc0", new=True)                 # redefinition
    c.insn(0xF0003, 0xF0003, b"\xa3\x00\x06")                       # refers to old entry: -4
    c.io(1, 0xE9, 1, 0x41)
    c.io(0, 0x60, 1, 0x1C)
    c.io(1, 0xCF8, 4, 0x80000000)
    c.io(0, 0xCFC, 2, 0x8086)
    c.insn(0xF0009, 0xF0009, b"\xcd\x80")
    c.intr(3, 0x80, M32, 0xF000, 0xB)
    c.mem(1, 0x6FFE, 0x6FFE, 2, 0x0202)
    c.mem(1, 0x6FFC, 0x6FFC, 2, 0xF000)
    c.mem(1, 0x6FFA, 0x6FFA, 2, 0x000B)
    c.mem(0, 0x200, 0x200, 4, 0xF0000067)
    c.regs({4: 0x6FFA, 8: 0x2, 10: (0xF000, 0xF0000, 0xFFFF, 0x9B)})
    c.insn(0xF0067, 0xF0067, b"\xf6\xf1")                           # faulting DIV
    c.intr(2, 0, M32, 0xF000, 0x67)
    c.sync(c.counter - 1)
    c.insn(0xF0068, 0xF0068, b"\x50")
    c.intr(0, 0x08, M32, 0xF000, 0x69)
    c.intr(1, 0x02, M32, 0xF000, 0x69)
    c.sync(4000)                                                    # two-byte varint
    c.insn(0xF0069, 0xF0069, b"\x0f\x01\xe0")
    c.cr(0, 0x60000011)
    c.modechg(0, 0x01)
    c.insn(0xF006C, 0xF006C, b"\x66\xea\x00\x00\x10\x00\x08\x00")
    c.regs({i: 0x1000 * i + 7 for i in range(9)})
    c.regs({9 + i: (8 * i, 0x1000 * i, 0xFFFFF, 0xC093) for i in range(6)})
    c.regs({3: 1, 5: 2, 11: (0x10, 0, 0xFFFFFFFF, 0xC093), 14: (0, 0, 0, 0)})
    c.modechg(3, 0x0F)
    c.cr(3, 0x1000)
    c.cr(4, 0x10)
    c.insn(0xFFFFFFFE, 0x1FFE, b"\x90\x90\x90")                     # wraps
    c.insn(0x00000001, 0x2001, b"\xc3")                             # sequential across 2^32
    c.mem(0, 0xFFFFFFF0, 0x3FF0, 4, 0x11223344)
    c.mem(0, 0x00000010, 0x4010, 4, 0x55667788)                     # delta wraps mod 2^32
    c.intr(2, 0x0E, 0x6, 0x1B, 0x1)
    c.event(2, 1)
    c.event(3, 3)
    c.event(1, 2)
    c.state(5000, 0, 0x0D, seed=7)                                  # a restart mid-chunk
    c.insn(0xC0001000, 0x1000, b"\x90")                             # table kept: new bytes
    c.insn(0xC0001001, 0x1001, b"\xfa")                             # new (other phys)
    c.insn(0xF0000, 0xF0000, b"\xfa")                               # old entry, zigzag
    chunks.append(c)
    # chunk 1: table and addresses start afresh; many instructions, zigzag deltas
    c = Chunk(6000, 3, 0x0F, seed=2)
    base = 0x08048000
    codes = [bytes([0x40 + (i % 8)]) * (1 + i % 15) for i in range(40)]
    off = 0
    for i, code in enumerate(codes):
        c.insn(base + off, 0x200000 + off, code)
        off += len(code)
    r = random.Random(5)
    for k in range(300):
        i = r.randrange(40)
        o = sum(len(x) for x in codes[:i])
        c.insn(base + o, 0x200000 + o, codes[i])
        if k % 3 == 0:
            c.mem(r.random() < 0.5, 0xBFFF0000 + r.randrange(1 << 16) * 4,
                  0x300000 + r.randrange(1 << 16) * 4, r.choice((1, 2, 3, 4)), r.getrandbits(8))
        if k % 7 == 0:
            c.regs({r.randrange(9): r.getrandbits(32)})
    chunks.append(c)
    # chunk 2: a small one; chunk 3 likewise (to seek over)
    for n, ic in ((2, 7000), (3, 8000)):
        c = Chunk(ic, 0, 0x0D, seed=n + 10)
        c.insn(0x100000, 0x100000, b"\x90")
        for i in range(20):
            c.insn(0x100001 + i, 0x100001 + i, b"\x40")
            c.regs({0: ic + i})
        if n == 3:
            c.sync((1 << 40) + 3)                                   # many-byte varint
            c.insn(0x100000, 0x100000, b"\x90")
            c.sync((1 << 64) - 1)                                   # the largest
            c.insn(0x100001, 0x100001, b"\x40")
        c.event(2, 0)
        chunks.append(c)
    return chunks


def build_file(chunks, major=1):
    state, _ = make_state(100, seed=1)
    data = bytearray(file_header(state, major))
    offsets = []
    for c in chunks:
        offsets.append(len(data))
        data += c.encode()
    return bytes(data), offsets


# ------------------------------------------------------------------ comparing

def state_ok(s, f):
    segs = [s.segs[n] for n in st.SEG_NAMES] + [s.ldtr, s.tr]
    return (s.gpr == f["gpr"] and s.eip == f["eip"] and s.eflags == f["eflags"]
            and [(g.selector, g.valid, g.base, g.limit, g.attr) for g in segs] == f["segs"]
            and tuple(s.gdtr) == f["gdtr"] and tuple(s.idtr) == f["idtr"]
            and (s.cr0, s.cr2, s.cr3, s.cr4) == f["cr"] and tuple(s.dr) == f["dr"]
            and (s.cpl, s.mode, s.a20, s.halted) == (f["cpl"], f["mode"], f["a20"], f["halted"])
            and s.icount == f["icount"] and s.tsc == f["tsc"]
            and [tuple(x) for x in s.fpr] == f["fpr"]
            and (s.fcw, s.fsw, s.ftw, s.fop, s.fip, s.fdp, s.fcs, s.fds) == f["x87"]
            and s.mxcsr == f["mxcsr"] and list(s.xmm) == f["xmm"]
            and (s.sysenter_cs, s.sysenter_esp, s.sysenter_eip) == f["sysenter"]
            and s.eax == f["gpr"][0] and s.edi == f["gpr"][7])


def rec_ok(r, e):
    k = e[0]
    if r.kind != k:
        return False
    if k == "STATE":
        return state_ok(r, e[1])
    if k == "INSN":
        return (r.icount, r.lin, r.phys, r.cpl, r.mode, r.bytes, r.id) == e[1:] and \
            r.code32 == bool(e[5] & 4) and r.length == len(e[6])
    if k == "MEM":
        return (r.write, r.lin, r.phys, r.size, r.value) == e[1:]
    if k == "IO":
        return (r.out, r.port, r.size, r.value) == e[1:]
    if k == "INTR":
        return (r.type, r.vector, r.error, r.cs, r.eip) == e[1:] and \
            r.error_code == (None if e[3] == M32 else e[3])
    if k == "CR":
        return (r.n, r.value) == e[1:]
    if k == "REGS":
        if r.mask != e[1] or len(r.values) != len(e[2]):
            return False
        for v, w in zip(r.values, e[2]):
            if isinstance(w, tuple):
                if (v.selector, v.base, v.limit, v.attr) != w:
                    return False
            elif v != w:
                return False
        names = [st.REG_NAMES[i] for i in range(15) if e[1] >> i & 1]
        return list(r.regs) == names
    if k == "SYNC":
        return r.icount == e[1]
    if k == "MODE":
        return (r.cpl, r.mode) == e[1:]
    if k == "EVENT":
        return (r.type, r.reason) == e[1:]
    return False


def compare(recs, expect, what):
    if len(recs) != len(expect):
        return check(False, "%s: %d records, expected %d" % (what, len(recs), len(expect)))
    for i, (r, e) in enumerate(zip(recs, expect)):
        if not rec_ok(r, e):
            return check(False, "%s: record %d is %r, expected %r" % (what, i, r, e))
    return check(True, "%s: %d records" % (what, len(recs)))


# ------------------------------------------------------------------ the canonical listing (from the spec)

def listing_line(e):
    k = e[0]
    if k == "STATE":
        f = e[1]
        g = f["gpr"]
        return ("STATE icount=%d cpl=%d mode=%02x eip=%08x eflags=%08x eax=%08x ecx=%08x edx=%08x "
                "ebx=%08x esp=%08x ebp=%08x esi=%08x edi=%08x cr0=%08x cr3=%08x"
                % ((f["icount"], f["cpl"], f["mode"], f["eip"], f["eflags"]) + g + (f["cr"][0], f["cr"][2])))
    if k == "INSN":
        return "INSN %d lin=%08x phys=%08x cpl=%d mode=%02x bytes=%s" % (
            e[1], e[2], e[3], e[4], e[5], "".join("%02x" % b for b in e[6]))
    if k == "MEM":
        return "MEM %s lin=%08x phys=%08x size=%d value=%s" % (
            "W" if e[1] else "R", e[2], e[3], e[4], ("%x" % e[5]).rjust(2 * e[4], "0"))
    if k == "IO":
        return "IO %s port=%04x size=%d value=%s" % (
            "OUT" if e[1] else "IN", e[2], e[3], ("%x" % e[4]).rjust(2 * e[3], "0"))
    if k == "INTR":
        return "INTR %s vector=%02x error=%s cs=%04x eip=%08x" % (
            ["irq", "nmi", "exception", "soft"][e[1]], e[2],
            "none" if e[3] == M32 else "%08x" % e[3], e[4], e[5])
    if k == "CR":
        return "CR cr%d=%08x" % (e[1], e[2])
    if k == "REGS":
        names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eflags",
                 "es", "cs", "ss", "ds", "fs", "gs"]
        parts = ["REGS"]
        vals = iter(e[2])
        for i in range(15):
            if e[1] >> i & 1:
                v = next(vals)
                if i < 9:
                    parts.append("%s=%08x" % (names[i], v))
                else:
                    parts.append("%s=%04x:%08x:%08x:%04x" % ((names[i],) + v))
        return " ".join(parts)
    if k == "SYNC":
        return "SYNC %d" % e[1]
    if k == "MODE":
        return "MODE cpl=%d mode=%02x" % (e[1], e[2])
    if k == "EVENT":
        return "EVENT %s reason=%s" % ({1: "start", 2: "stop", 3: "reset"}[e[1]],
                                        ["cmdline", "magic", "port", "reset"][e[2]])
    raise ValueError(e)


def expected_listing(chunks, offsets, upto=None):
    out = []
    for i, (c, off) in enumerate(zip(chunks, offsets)):
        if upto is not None and i >= upto:
            break
        out.append("CHUNK index=%d offset=%d icount=%d insns=%d" % (i, off, c.first_icount, c.ninsn))
        out.extend(listing_line(e) for e in c.expect)
    return "".join(x + "\n" for x in out)


def run_cli(*args):
    p = subprocess.run([sys.executable, os.path.join(MODDIR, "shade86trace.py")] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if C_READER and args[0] == "records" and len(args) == 2:
        c = subprocess.run([C_READER, "dump", "--records", args[1]],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check(c.returncode == p.returncode and c.stdout == p.stdout,
              "C reader agrees on %s (status %d/%d%s)" % (
                  os.path.basename(args[1]), c.returncode, p.returncode,
                  "" if c.stdout == p.stdout else ", listings differ"))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


# ------------------------------------------------------------------ reading damaged files

def read_all(path):
    """(records, exception or None) from records()."""
    recs = []
    try:
        t = st.Trace(path)
    except st.TraceError as e:
        return recs, e
    try:
        for r in t.records():
            recs.append(r)
    except st.TraceError as e:
        return recs, e
    except Exception as e:       # anything else is a bug
        return recs, e
    finally:
        t.close()
    return recs, None


def main():
    tmp = tempfile.mkdtemp(prefix="shade86trace-test-")
    path = os.path.join(tmp, "t.trc")
    chunks = build_chunks()
    data, offsets = build_file(chunks)
    with open(path, "wb") as f:
        f.write(data)
    expect_all = [e for c in chunks for e in c.expect]

    # ---- the header
    t = st.Trace(path)
    check((t.major, t.minor, t.version) == (1, 0, (1, 0)), "header: version")
    check((t.header_size, t.state_size) == (680, 552), "header: sizes")
    check(t.what == 0x1F and t.what_names == ["insn", "regs", "mem", "io", "irq"], "header: what")
    check(t.ram_size == 128 << 20 and t.cpuid == 0x6D6, "header: RAM size, CPUID")
    check((t.family, t.model_id, t.stepping) == (6, 13, 6), "header: family/model/stepping")
    check((t.vendor, t.model, t.machine) == ("GenuineIntel", "Test CPU model", "test"),
          "header: vendor, model, machine")
    check(state_ok(t.state, make_state(100, seed=1)[1]), "header: the initial state block")
    check(t.state.as_dict()["eip"] == t.state.eip and t.state.as_dict()["ebx"] == t.state.ebx,
          "header: State.as_dict")

    # ---- chunks
    cs = list(t.chunks())
    check([(c.index, c.offset, c.icount, c.insns) for c in cs] ==
          [(i, offsets[i], ch.first_icount, ch.ninsn) for i, ch in enumerate(chunks)],
          "chunks(): index, offset, icount, insns")
    check(all(c.usize == len(ch.p) for c, ch in zip(cs, chunks)), "chunks(): uncompressed sizes")

    # ---- every record of every chunk
    compare(list(t.records()), expect_all, "records()")
    for c, ch in zip(cs, chunks):
        compare(t.decode_chunk(c), ch.expect, "decode_chunk(%d)" % c.index)
    ins = list(t.instructions())
    compare(ins, [e for e in expect_all if e[0] == "INSN"], "instructions()")
    check(all(i.accesses == () for i in ins), "instructions(): no accesses unless asked")

    # with_accesses: the records after each INSN up to the next one
    want = []
    cur = None
    for e in expect_all:
        if e[0] == "INSN":
            cur = []
            want.append((e, cur))
        elif e[0] in ("MEM", "IO", "CR", "REGS", "INTR") and cur is not None:
            cur.append(e)
    got = list(t.instructions(with_accesses=True))
    ok = len(got) == len(want)
    for g, (e, acc) in zip(got, want):
        ok = ok and rec_ok(g, e) and len(g.accesses) == len(acc) and \
            all(rec_ok(a, b) for a, b in zip(g.accesses, acc))
    check(ok, "instructions(with_accesses=True): %d instructions with their records" % len(want))

    # ---- ranges: chunks 0 and 1 are skipped by their headers for start 7005
    insn_icounts = [e[1] for e in expect_all if e[0] == "INSN"]
    for lo, hi in ((7005, 7010), (0, 105), (102, 5001), (6000, 6001), (7020, None), (None, 6003),
                   (8020, 9000), (9000, None), (103, 104), (1 << 40, None), ((1 << 64) - 1, 1 << 64)):
        got = [r.icount for r in t.instructions(lo, hi)]
        want = [i for i in insn_icounts if (lo is None or i >= lo) and (hi is None or i < hi)]
        check(got == want, "instructions(%s, %s): %d" % (lo, hi, len(want)))
        got = [r.icount for r in t.records(lo, hi) if r.kind == "INSN"]
        check(got == want, "records(%s, %s): the instructions" % (lo, hi))
    # records(): MEM after an INSN comes with it
    rr = list(t.records(103, 104))
    check([r.kind for r in rr] == ["INSN", "MEM"] and rr[0].icount == 103, "records(103, 104): INSN and its MEM")
    seen = []
    orig = t.read_payload
    t.read_payload = lambda c: (seen.append(c.index), orig(c))[1]
    list(t.records(7005, 7010))
    t.read_payload = orig
    check(seen == [2], "records(7005, 7010) inflates chunk 2 only (%s)" % seen)
    t.close()

    # ---- str() and the command line's canonical listing
    want_text = expected_listing(chunks, offsets)
    with st.Trace(path) as t:
        lines = []
        for c in t.chunks():
            lines.append(st.format_chunk(c))
            lines.extend(str(r) for r in t.decode_chunk(c))
    check("".join(x + "\n" for x in lines) == want_text, "str(record): the canonical lines")
    rc, out, err = run_cli("records", path)
    if not check(rc == 0 and out == want_text and err == "", "CLI records: the canonical listing"):
        for a, b in zip(out.splitlines(), want_text.splitlines()):
            if a != b:
                print("   got  %s\n   want %s" % (a, b))
                break
    rc, out, err = run_cli("info", path)
    check(rc == 0 and "chunks:      4, %d instructions" % sum(c.ninsn for c in chunks) in out, "CLI info")
    rc, out, err = run_cli("stats", path)
    check(rc == 0 and ("instructions: %d" % len(insn_icounts)) in out, "CLI stats")
    rc, out, err = run_cli("records")
    check(rc == 2, "CLI: usage error gives 2")
    rc, out, err = run_cli("frobnicate", path)
    check(rc == 2, "CLI: unknown command gives 2")
    rc, out, err = run_cli("records", os.path.join(tmp, "missing.trc"))
    check(rc == 3 and err.count("\n") == 1, "CLI: a missing file gives 3")

    # ---- truncated files: cut at many offsets
    bounds = offsets + [len(data)]
    cuts = sorted(set([0, 5, 8, 20, 127, 128, 500, 679] +
                      [o + d for o in offsets for d in (1, 20, 31, 32, 33, 60)] +
                      [offsets[i + 1] - 1 for i in range(len(offsets) - 1)] + [len(data) - 1]))
    trunc_ok = True
    for cut in cuts:
        if cut >= len(data):
            continue
        p = os.path.join(tmp, "cut.trc")
        with open(p, "wb") as f:
            f.write(data[:cut])
        recs, exc = read_all(p)
        if cut < 8:
            good = isinstance(exc, st.TraceNotATrace) and not recs
            status = 3
        elif cut < 680:
            good = isinstance(exc, st.TraceTruncated) and not recs
            status = 4
        elif cut in offsets:     # ends exactly between chunks: a whole trace
            k = offsets.index(cut)
            good = exc is None and len(recs) == sum(len(c.expect) for c in chunks[:k])
            status = 0
        else:
            k = max(i for i in range(len(offsets)) if offsets[i] < cut)
            n = sum(len(c.expect) for c in chunks[:k])
            last = [e[1] for c in chunks[:k] for e in c.expect if e[0] == "INSN"]
            good = (isinstance(exc, st.TraceTruncated) and exc.offset == offsets[k] and
                    len(recs) == n and exc.last_icount == (last[-1] if last else None))
            if good:
                compare(recs, expect_all[:n], "cut at %d: the records before" % cut)
            status = 4
        trunc_ok = check(good, "cut at %d: %r, %d records" % (cut, exc, len(recs))) and trunc_ok
        if cut in (20, offsets[2] + 1, offsets[2] + 33, offsets[3] - 1):
            rc, out, err = run_cli("records", p)
            want_out = expected_listing(chunks, offsets, upto=2) if cut > 680 else ""
            check(rc == status and out == want_out and err.count("\n") == 1 and
                  err.startswith("shade86trace: %s: " % p) and
                  ("truncated" in err or status != 4),
                  "CLI records of the file cut at %d: status %d, the prefix, one line (%s)"
                  % (cut, rc, err.strip()))

    # ---- corrupt files
    def damaged(name, blob, k, exc_type=st.TraceCorrupt, status=5):
        p = os.path.join(tmp, name + ".trc")
        with open(p, "wb") as f:
            f.write(blob)
        recs, exc = read_all(p)
        n = sum(len(c.expect) for c in chunks[:k])
        good = isinstance(exc, exc_type) and len(recs) == n
        if exc_type is not st.TraceNotATrace:
            good = good and exc.offset == (offsets + [len(data)])[k]
        check(good, "%s: %r after %d records" % (name, exc, len(recs)))
        rc, out, err = run_cli("records", p)
        check(rc == status and out == expected_listing(chunks, offsets, upto=k) and
              err.count("\n") == 1, "CLI records, %s: status %d (%s)" % (name, rc, err.strip()))

    b = bytearray(data)
    b[offsets[2] + 40] ^= 0xFF
    damaged("flipped-payload-byte", bytes(b), 2)
    b = bytearray(data)
    b[offsets[1] + 16] ^= 1                       # the icount: header CRC fails
    damaged("bad-header-crc", bytes(b), 1)
    b = bytearray(data)
    b[offsets[3] + 28] ^= 0x80
    damaged("bad-header-crc-field", bytes(b), 3)
    b = bytearray(data)
    b[offsets[1]:offsets[1] + 4] = b"CHNX"
    damaged("bad-chunk-magic", bytes(b), 1)
    damaged("bad-magic", b"SHADE86X" + data[8:], 0, st.TraceNotATrace, 3)
    damaged("major-version-2", data[:8] + struct.pack("<H", 2) + data[10:], 0, st.TraceNotATrace, 3)
    damaged("not-a-trace", b"NOTATRACE", 0, st.TraceNotATrace, 3)
    damaged("empty-file", b"", 0, st.TraceNotATrace, 3)
    damaged("state-size-small", data[:16] + struct.pack("<I", 100) + data[20:], 0, st.TraceNotATrace, 3)

    def with_chunk(k, blob):
        return data[:offsets[k]] + blob + (data[offsets[k + 1]:] if k + 1 < len(offsets) else b"")

    c2 = chunks[2]
    damaged("payload-crc-mismatch", with_chunk(2, c2.encode(crc=zlib.crc32(bytes(c2.p)) ^ 1)), 2)
    damaged("wrong-insn-count", with_chunk(2, c2.encode(insns=c2.ninsn + 1)), 2)
    damaged("wrong-chunk-icount", with_chunk(2, c2.encode(icount=c2.first_icount + 1)), 2)
    damaged("reserved-tag", with_chunk(2, c2.encode(payload=bytes(c2.p) + b"\x09")), 2)
    damaged("reserved-tag-0", with_chunk(2, c2.encode(payload=bytes(c2.p) + b"\x00")), 2)
    damaged("record-past-the-end", with_chunk(2, c2.encode(payload=bytes(c2.p) + b"\x05\x00\x01")), 2)
    damaged("undefined-insn", with_chunk(2, c2.encode(payload=bytes(c2.p) + b"\x90", insns=c2.ninsn + 1)), 2)
    damaged("insn-zigzag-out-of-range", with_chunk(2, c2.encode(
        payload=bytes(c2.p) + b"\x9f" + varint(200), insns=c2.ninsn + 1)), 2)
    damaged("no-state-first", with_chunk(2, c2.encode(payload=bytes(c2.p)[553:])), 2)
    damaged("insn-length-0", with_chunk(2, c2.encode(
        payload=bytes(c2.p) + b"\xe0" + struct.pack("<IIB", 1, 1, 0), insns=c2.ninsn + 1)), 2)
    damaged("insn-length-16", with_chunk(2, c2.encode(
        payload=bytes(c2.p) + b"\xe0" + struct.pack("<IIB", 1, 1, 16) + bytes(16), insns=c2.ninsn + 1)), 2)
    cfirst = Chunk(9000, seed=3)
    damaged("first-insn-without-jump", with_chunk(3, cfirst.encode(
        payload=bytes(cfirst.p) + b"\xc0" + struct.pack("<IB", 1, 1) + b"\x90", insns=1, icount=9000)), 3)
    damaged("first-mem-samemap", with_chunk(3, cfirst.encode(
        payload=bytes(cfirst.p) + b"\x50\x00\x00", icount=9000)), 3)
    damaged("varint-too-long", with_chunk(3, cfirst.encode(
        payload=bytes(cfirst.p) + b"\x01" + b"\xff" * 10 + b"\x01", icount=9000)), 3)
    damaged("io-size-3", with_chunk(3, cfirst.encode(
        payload=bytes(cfirst.p) + b"\x06\x03\x60\x00\x00\x00\x00", icount=9000)), 3)
    damaged("regs-bit-15", with_chunk(3, cfirst.encode(
        payload=bytes(cfirst.p) + b"\x04\x00\x80", icount=9000)), 3)
    damaged("new-with-delta-code", with_chunk(2, c2.encode(
        payload=bytes(c2.p) + b"\xe1" + struct.pack("<IIB", 1, 1, 1) + b"\x90", insns=c2.ninsn + 1)), 2)
    damaged("mem-reserved-bits", with_chunk(2, c2.encode(
        payload=bytes(c2.p) + b"\x44\x00" + struct.pack("<I", 0) + b"\x00")), 2)
    damaged("mode-cpl-4", with_chunk(2, c2.encode(payload=bytes(c2.p) + b"\x02\x04\x00")), 2)
    damaged("cr2", with_chunk(2, c2.encode(payload=bytes(c2.p) + b"\x03\x02" + bytes(4))), 2)
    damaged("intr-kind-4", with_chunk(2, c2.encode(payload=bytes(c2.p) + b"\x05\x04" + bytes(10))), 2)
    damaged("event-kind-0", with_chunk(2, c2.encode(payload=bytes(c2.p) + b"\x08\x00\x00")), 2)
    damaged("event-reason-4", with_chunk(2, c2.encode(payload=bytes(c2.p) + b"\x08\x01\x04")), 2)
    sbad = bytearray(c2.p)
    sbad[1 + 232] = 4
    damaged("state-cpl-4", with_chunk(2, c2.encode(payload=sbad)), 2)
    damaged("garbage-after-the-last-chunk", data + b"JUNK", 4)
    damaged("short-garbage-after-the-last-chunk", data + b"CX", 4)
    damaged("header-size-not-128-plus-state", data[:12] + struct.pack("<I", 700) + data[16:], 0,
            st.TraceNotATrace, 3)
    damaged("chunk-header-cut-after-its-magic", data + b"CHN", 4, st.TraceTruncated, 4)
    z = zlib.compress(bytes(c2.p))
    for name, zz, usize in (("stream-too-short", z, len(c2.p) + 5), ("stream-too-long", z, len(c2.p) - 5),
                            ("trailing-garbage", z + b"xyz", len(c2.p)), ("not-zlib", b"\x00" * 50, 10),
                            ("huge-usize", z, 0xFFFFFFF0)):
        h = b"CHNK" + struct.pack("<IIIQI", len(zz), usize, zlib.crc32(bytes(c2.p)), c2.first_icount, c2.ninsn)
        h += struct.pack("<I", zlib.crc32(h))
        damaged(name, with_chunk(2, h + zz), 2)

    # ---- garbage behind valid CRCs: only TraceError, never anything else
    r = random.Random(1234)
    bad = 0
    trials = 400
    for i in range(trials):
        k = r.randrange(len(chunks))
        p = bytearray(chunks[k].p)
        for _ in range(r.choice((1, 1, 2, 5))):
            j = r.randrange(553 if r.random() < 0.9 else 0, len(p))
            p[j] = r.getrandbits(8)
        if r.random() < 0.2:
            j = r.randrange(553, len(p))
            p = p[:j] if r.random() < 0.5 else p[:j] + bytes(r.getrandbits(8) for _ in range(8)) + p[j:]
        blob = with_chunk(k, chunks[k].encode(payload=p))
        fp = os.path.join(tmp, "fuzz.trc")
        with open(fp, "wb") as f:
            f.write(blob)
        recs, exc = read_all(fp)
        if exc is not None and not isinstance(exc, st.TraceError):
            bad += 1
            if bad < 3:
                print("   fuzz %d: %r" % (i, exc))
        # every record must format
        try:
            for x in recs:
                str(x)
        except Exception as e:
            bad += 1
            if bad < 3:
                print("   fuzz %d: str: %r" % (i, e))
    # random bytes anywhere in the file (CRCs not fixed up)
    for i in range(200):
        b = bytearray(data)
        for _ in range(r.randrange(1, 4)):
            b[r.randrange(len(b))] = r.getrandbits(8)
        if r.random() < 0.3:
            b = b[:r.randrange(len(b))]
        fp = os.path.join(tmp, "fuzz.trc")
        with open(fp, "wb") as f:
            f.write(b)
        recs, exc = read_all(fp)
        if exc is not None and not isinstance(exc, st.TraceError):
            bad += 1
            if bad < 3:
                print("   fuzz2 %d: %r" % (i, exc))
    check(bad == 0, "fuzzing: %d damaged files raise only TraceError" % (trials + 200))

    for fn in os.listdir(tmp):
        os.unlink(os.path.join(tmp, fn))
    os.rmdir(tmp)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

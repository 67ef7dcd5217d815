#!/usr/bin/env python3
"""Read shade86 instruction traces (docs/trace-format.md, version 1.x).

Only the Python standard library is needed.  As a module::

    import shade86trace
    with shade86trace.Trace("boot.trc") as t:
        print(t.vendor, t.model, t.machine, t.ram_size, t.state.eip)
        for c in t.chunks():                  # chunk headers only, no inflating
            print(c.index, c.offset, c.icount, c.insns)
        for r in t.records(start_icount=10**6, end_icount=10**6 + 1000):
            if r.kind == "INSN":
                print(r.icount, hex(r.lin), r.bytes.hex())
            elif r.kind == "MEM":
                print("  ", "W" if r.write else "R", hex(r.lin), r.size, r.value)
        for i in t.instructions(with_accesses=True):
            for a in i.accesses:              # MEM/IO/CR/REGS/INTR after it
                ...

Records are light tuples (namedtuple subclasses) with a ``kind`` class
attribute: "INSN", "MEM", "IO", "INTR", "CR", "REGS", "SYNC", "MODE", "EVENT"
or "STATE"; ``str(record)`` is its line in the canonical record listing.

Every chunk decodes on its own, so ``Trace.decode_chunk(chunk)`` can be used
from several processes for big traces (see ``chunks()``).

Errors are TraceError subclasses: TraceNotATrace (bad magic, unsupported
major version, unusable header), TraceTruncated and TraceCorrupt (these two
carry the file offset of the damaged chunk and the icount of the last good
instruction).  Iterators yield every record of the chunks before the damaged
one and then raise.  Opening a missing file raises the usual OSError.

As a command::

    shade86trace.py records FILE [--from N] [--to N]   canonical record listing
    shade86trace.py info FILE                          header and chunk summary
    shade86trace.py stats FILE [--from N] [--to N]     counts, hot addresses, vectors

Exit status: 0 fine, 2 usage, 3 not a trace / cannot open, 4 truncated,
5 corrupt.
"""

import collections
import os
import struct
import sys
import zlib

__all__ = [
    "Trace", "TraceError", "TraceNotATrace", "TraceTruncated", "TraceCorrupt",
    "ChunkInfo", "Insn", "Mem", "Io", "Intr", "Cr", "Regs", "Sync", "Mode",
    "Event", "State", "Segment", "format_record",
    "WHAT_INSN", "WHAT_REGS", "WHAT_MEM", "WHAT_IO", "WHAT_IRQ",
    "MODE_PE", "MODE_VM", "MODE_CODE32", "MODE_PG",
    "INTR_IRQ", "INTR_NMI", "INTR_EXCEPTION", "INTR_SOFT",
]

MAGIC = b"SHADE86T"
CHUNK_MAGIC = b"CHNK"
MAJOR = 1
HEADER_FIXED = 128
CHUNK_HDR = 32
STATE_SIZE_1_0 = 552

WHAT_INSN, WHAT_REGS, WHAT_MEM, WHAT_IO, WHAT_IRQ = 0x01, 0x02, 0x04, 0x08, 0x10
WHAT_NAMES = ((WHAT_INSN, "insn"), (WHAT_REGS, "regs"), (WHAT_MEM, "mem"),
              (WHAT_IO, "io"), (WHAT_IRQ, "irq"))
MODE_PE, MODE_VM, MODE_CODE32, MODE_PG = 0x01, 0x02, 0x04, 0x08
INTR_IRQ, INTR_NMI, INTR_EXCEPTION, INTR_SOFT = 0, 1, 2, 3
INTR_NAMES = ("irq", "nmi", "exception", "soft")
EVENT_NAMES = {1: "start", 2: "stop", 3: "reset"}
REASON_NAMES = ("cmdline", "magic", "port", "reset")
REG_NAMES = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eflags",
             "es", "cs", "ss", "ds", "fs", "gs")
SEG_NAMES = ("es", "cs", "ss", "ds", "fs", "gs")

# Chunks that claim to inflate to more than this are treated as corrupt
# (the writer hands a chunk on at about 1 MiB), and so are chunks that claim
# more than zlib can expand their compressed bytes to.
MAX_CHUNK_PAYLOAD = 1 << 30
# A file header with a bigger state block is refused.
MAX_STATE_SIZE = 1 << 20

M32 = 0xFFFFFFFF


# ------------------------------------------------------------------ errors

class TraceError(Exception):
    """Base class of everything this module raises for a bad trace file.

    Attributes: path, offset (file offset of the damaged chunk or None),
    last_icount (icount of the last instruction before the damage, or None
    when no instruction was decoded before it), reason (text)."""

    status = 1

    def __init__(self, reason, path=None, offset=None, last_icount=None):
        Exception.__init__(self, reason)
        self.reason = reason
        self.path = path
        self.offset = offset
        self.last_icount = last_icount

    def __str__(self):
        s = self.reason
        if self.offset is not None:
            s += " (chunk at offset %d" % self.offset
            if self.last_icount is not None:
                s += ", last good icount %d" % self.last_icount
            s += ")"
        return s


class TraceNotATrace(TraceError):
    """Not a shade86 trace, an unsupported major version, or a bad header."""
    status = 3


class TraceTruncated(TraceError):
    """The file ends inside a chunk (or inside the file header)."""
    status = 4


class TraceCorrupt(TraceError):
    """A chunk fails its CRCs, does not inflate, or holds a bad record."""
    status = 5


class _Bad(Exception):
    """Internal: a record that does not parse (becomes TraceCorrupt)."""


# ------------------------------------------------------------------ records

def _rec(name, fields, kind, doc):
    base = collections.namedtuple("_" + name, fields)
    cls = type(name, (base,), {"__slots__": (), "kind": kind, "__doc__": doc,
                               "__str__": lambda self: format_record(self)})
    return cls


ChunkInfo = collections.namedtuple(
    "ChunkInfo", "index offset icount insns csize usize crc")
ChunkInfo.__doc__ = """A chunk header: index (from 0), offset (of the header in the
file), icount (of its first STATE), insns (INSN records), csize (compressed
payload bytes), usize (uncompressed), crc (CRC-32 of the payload)."""

Segment = collections.namedtuple("Segment", "selector base limit attr valid")
Segment.__doc__ = """A segment register.  attr: descriptor bits 40-47, 52-55
moved down by 40.  valid: from a state block (0: null/unusable), None in REGS."""

Insn = _rec("Insn", "icount lin phys cpl mode bytes id accesses", "INSN",
            """An executed instruction.  id: its number in the chunk's
instruction table; accesses: the records after it (with_accesses), else ().""")
Insn.code32 = property(lambda self: (self.mode & MODE_CODE32) != 0,
                       doc="True when the code segment is 32-bit")
Insn.length = property(lambda self: len(self.bytes))

Mem = _rec("Mem", "write lin phys size value", "MEM",
           "A data memory access (phys 0xffffffff: unknown).")
Io = _rec("Io", "out port size value", "IO", "A port access.")
Intr = _rec("Intr", "type vector error cs eip", "INTR",
            """An interrupt or exception delivered.  type: INTR_IRQ, INTR_NMI,
INTR_EXCEPTION or INTR_SOFT; error: the error code, 0xffffffff for none.""")
Intr.type_name = property(lambda self: INTR_NAMES[self.type])
Intr.error_code = property(lambda self: None if self.error == M32 else self.error,
                           doc="the error code pushed, or None")
Cr = _rec("Cr", "n value", "CR", "CRn was written.")
Regs = _rec("Regs", "mask values", "REGS",
            """Registers after the preceding instruction.  values: one per set
mask bit (bit 0 up); u32 for eax..edi/eflags, Segment for es..gs.  See .regs.""")
Regs.regs = property(lambda self: dict(zip(
    [REG_NAMES[i] for i in range(15) if self.mask >> i & 1], self.values)),
    doc="the changed registers as a dict name -> value")
Sync = _rec("Sync", "icount", "SYNC", "Sets the instruction counter.")
Mode = _rec("Mode", "cpl mode", "MODE", "CPL and mode changed.")
Event = _rec("Event", "type reason", "EVENT",
             "Tracing started (1), stopped (2), CPU reset (3); reason 0-3.")
Event.type_name = property(lambda self: EVENT_NAMES.get(self.type, str(self.type)))
Event.reason_name = property(lambda self: REASON_NAMES[self.reason]
                             if self.reason < 4 else str(self.reason))


class State(object):
    """A CPU state block (the file header's initial state, or a STATE record).

    Attributes: icount, tsc, eip, eflags, eax ecx edx ebx esp ebp esi edi,
    gpr (tuple of the eight), segs (dict name -> Segment for es cs ss ds fs
    gs), ldtr, tr (Segment), gdtr, idtr ((base, limit)), cr0 cr2 cr3 cr4, dr
    (tuple of 8), cpl, mode, a20, halted, fpr (8 (significand, sign_exp)),
    fcw fsw ftw fop fip fdp fcs fds, mxcsr, xmm (8 ints), sysenter_cs
    sysenter_esp sysenter_eip, raw (the bytes).  as_dict() gives them all."""

    kind = "STATE"
    __slots__ = ("raw", "gpr", "eip", "eflags", "segs", "ldtr", "tr", "gdtr",
                 "idtr", "cr0", "cr2", "cr3", "cr4", "dr", "cpl", "mode", "a20",
                 "halted", "icount", "tsc", "fpr", "fcw", "fsw", "ftw", "fop",
                 "fip", "fdp", "fcs", "fds", "mxcsr", "xmm", "sysenter_cs",
                 "sysenter_esp", "sysenter_eip")
    _FIELDS = __slots__[1:]

    def __init__(self, raw):
        raw = bytes(raw)
        if len(raw) < STATE_SIZE_1_0:
            raise _Bad("state block too short")
        self.raw = raw
        u = struct.unpack_from
        self.gpr = u("<8I", raw, 0)
        self.eip, self.eflags = u("<II", raw, 32)

        def seg(off):
            sel, valid, base, limit, attr = u("<HHIII", raw, off)
            return Segment(sel, base, limit, attr, valid)
        self.segs = dict((n, seg(40 + 16 * i)) for i, n in enumerate(SEG_NAMES))
        self.ldtr = seg(136)
        self.tr = seg(152)
        self.gdtr = u("<II", raw, 168)
        self.idtr = u("<II", raw, 176)
        self.cr0, self.cr2, self.cr3, self.cr4 = u("<4I", raw, 184)
        self.dr = u("<8I", raw, 200)
        self.cpl, self.mode, self.a20, self.halted = u("<4B", raw, 232)
        self.icount, self.tsc = u("<QQ", raw, 240)
        self.fpr = tuple(u("<QH", raw, 256 + 16 * i) for i in range(8))
        (self.fcw, self.fsw, self.ftw, self.fop, self.fip, self.fdp, self.fcs,
         self.fds, self.mxcsr) = u("<HHHHIIHHI", raw, 384)
        self.xmm = tuple(int.from_bytes(raw[408 + 16 * i:424 + 16 * i], "little")
                         for i in range(8))
        self.sysenter_cs, self.sysenter_esp, self.sysenter_eip = u("<3I", raw, 536)

    eax = property(lambda self: self.gpr[0])
    ecx = property(lambda self: self.gpr[1])
    edx = property(lambda self: self.gpr[2])
    ebx = property(lambda self: self.gpr[3])
    esp = property(lambda self: self.gpr[4])
    ebp = property(lambda self: self.gpr[5])
    esi = property(lambda self: self.gpr[6])
    edi = property(lambda self: self.gpr[7])
    code32 = property(lambda self: (self.mode & MODE_CODE32) != 0)

    def as_dict(self):
        d = dict((f, getattr(self, f)) for f in self._FIELDS)
        for i, n in enumerate(REG_NAMES[:8]):
            d[n] = self.gpr[i]
        return d

    def __str__(self):
        return format_record(self)

    def __repr__(self):
        return "<State icount=%d cpl=%d mode=%02x cs:eip=%04x:%08x>" % (
            self.icount, self.cpl, self.mode, self.segs["cs"].selector, self.eip)


# ------------------------------------------------------------------ canonical listing

def _fmt_regs(r):
    out = ["REGS"]
    m = r.mask
    vals = r.values
    j = 0
    for i in range(15):
        if m >> i & 1:
            v = vals[j]
            j += 1
            if i < 9:
                out.append("%s=%08x" % (REG_NAMES[i], v))
            else:
                out.append("%s=%04x:%08x:%08x:%04x" % (REG_NAMES[i], v[0], v[1], v[2], v[3]))
    return " ".join(out)


def format_record(r):
    """The record's line in the canonical record listing (no newline)."""
    k = r.kind
    if k == "INSN":
        return "INSN %d lin=%08x phys=%08x cpl=%d mode=%02x bytes=%s" % (
            r[0], r[1], r[2], r[3], r[4], r[5].hex())
    if k == "MEM":
        return "MEM %s lin=%08x phys=%08x size=%d value=%0*x" % (
            "W" if r[0] else "R", r[1], r[2], r[3], r[3] * 2, r[4])
    if k == "REGS":
        return _fmt_regs(r)
    if k == "IO":
        return "IO %s port=%04x size=%d value=%0*x" % (
            "OUT" if r[0] else "IN", r[1], r[2], r[2] * 2, r[3])
    if k == "INTR":
        return "INTR %s vector=%02x error=%s cs=%04x eip=%08x" % (
            INTR_NAMES[r[0]], r[1], "none" if r[2] == M32 else "%08x" % r[2], r[3], r[4])
    if k == "CR":
        return "CR cr%d=%08x" % (r[0], r[1])
    if k == "SYNC":
        return "SYNC %d" % r[0]
    if k == "MODE":
        return "MODE cpl=%d mode=%02x" % (r[0], r[1])
    if k == "EVENT":
        return "EVENT %s reason=%s" % (r.type_name, r.reason_name)
    if k == "STATE":
        g = r.gpr
        return ("STATE icount=%d cpl=%d mode=%02x eip=%08x eflags=%08x eax=%08x ecx=%08x "
                "edx=%08x ebx=%08x esp=%08x ebp=%08x esi=%08x edi=%08x cr0=%08x cr3=%08x") % (
            r.icount, r.cpl, r.mode, r.eip, r.eflags, g[0], g[1], g[2], g[3], g[4],
            g[5], g[6], g[7], r.cr0, r.cr3)
    raise ValueError("not a trace record: %r" % (r,))


def format_chunk(c):
    return "CHUNK index=%d offset=%d icount=%d insns=%d" % (c.index, c.offset, c.icount, c.insns)


# ------------------------------------------------------------------ the chunk decoder

_S_U32 = struct.Struct("<I")
_S_U32B = struct.Struct("<IB")
_S_INTR = struct.Struct("<BBIHI")
_S_IO = struct.Struct("<BH")
_S_CR = struct.Struct("<BI")
_S_BB = struct.Struct("<BB")
_S_SEG = struct.Struct("<HIII")
_VAL = (struct.Struct("<B").unpack_from, struct.Struct("<H").unpack_from, None,
        struct.Struct("<I").unpack_from)
# MEM without SAMEMAP: phys and value in one unpack (size 3: two steps)
_PHYS_VAL = (struct.Struct("<IB").unpack_from, struct.Struct("<IH").unpack_from, None,
             struct.Struct("<II").unpack_from)

_regs_plans = {}


def _regs_plan(mask):
    """(Struct, byte size, segment positions) for a REGS mask, cached."""
    p = _regs_plans.get(mask)
    if p is None:
        fmt = "<"
        segs = []
        n = 0
        for i in range(15):
            if mask >> i & 1:
                if i < 9:
                    fmt += "I"
                    n += 1
                else:
                    fmt += "HIII"
                    segs.append(n)
                    n += 4
        s = struct.Struct(fmt)
        p = (s.unpack_from, s.size, segs[0] if segs else None)
        _regs_plans[mask] = p
    return p


def _varint(buf, pos, b):
    """The rest of a varint whose first byte b (>= 0x80) was before pos."""
    v = b & 0x7F
    shift = 7
    while True:
        b = buf[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            return v, pos
        shift += 7
        if shift >= 70:
            raise _Bad("varint longer than 10 bytes")


def _decode_payload(buf, ssize, how=0):
    """Decode one inflated chunk payload into a list of records.

    how: 0 every record into the result; 1 (attach) INSN records get a fresh
    list in .accesses and the MEM, IO, CR, REGS and INTR records after them go
    there instead of into the result (the ones before the chunk's first INSN
    are returned as the second value); 2 INSN records only.
    Returns (records, lead, INSN count, icount of the first STATE).
    Raises _Bad for a record that does not parse."""
    n = len(buf)
    out = []
    app = out.append
    table = []
    tapp = table.append
    tnew = tuple.__new__
    u32 = _S_U32.unpack_from
    u32b = _S_U32B.unpack_from
    vals = _VAL
    physvals = _PHYS_VAL
    varint = _varint
    _Insn, _Mem = Insn, Mem
    lead = []
    junk = []
    attach = how == 1
    # sink: where MEM, IO, CR, REGS, INTR go; ctl: SYNC, MODE, EVENT, STATE
    sink = app if how == 0 else lead.append if attach else junk.append
    ctl = app if how == 0 else junk.append
    ntab = 0
    prev_id = 0
    prev_lin = -1
    prev_len = 0
    mem_lin = 0
    mem_map = -1
    cpl = mode = 0
    counter = 0
    ninsn = 0
    first_icount = None
    if n == 0 or buf[0] != 0x07:
        raise _Bad("the payload does not start with a STATE record")
    pos = 0
    try:
        while pos < n:
            tag = buf[pos]
            pos += 1
            if tag >= 0x80:                                    # INSN
                if tag < 0x9F:
                    # the common case: the next address, a table entry
                    # within +-15 of the previous one (a defined entry
                    # implies a previous INSN, so prev_lin is valid)
                    iid = prev_id + tag - 0x8F
                    if iid < 0 or iid >= ntab:
                        raise _Bad("instruction %d not defined (%d in the table)" % (iid, ntab))
                    phys, ib, ln = table[iid]
                    lin = (prev_lin + prev_len) & M32
                    if attach:
                        acc = []
                        sink = acc.append
                        app(tnew(_Insn, (counter, lin, phys, cpl, mode, ib, iid, acc)))
                    else:
                        app(tnew(_Insn, (counter, lin, phys, cpl, mode, ib, iid, ())))
                    counter += 1
                    ninsn += 1
                    prev_id = iid
                    prev_lin = lin
                    prev_len = ln
                    continue
                if tag & 0x20:
                    lin = u32(buf, pos)[0]
                    pos += 4
                elif prev_lin < 0:
                    raise _Bad("first INSN of the chunk without JUMP")
                else:
                    lin = (prev_lin + prev_len) & M32
                if tag & 0x40:
                    if tag & 0x1F:
                        raise _Bad("INSN with NEW and a delta code")
                    phys, ln = u32b(buf, pos)
                    pos += 5
                    end = pos + ln
                    if ln == 0 or ln > 15:
                        raise _Bad("instruction length %d" % ln)
                    if end > n:
                        raise IndexError
                    ib = buf[pos:end]
                    pos = end
                    iid = ntab
                    tapp((phys, ib, ln))
                    ntab += 1
                else:
                    d = tag & 0x1F
                    if d != 31:
                        iid = prev_id + d - 15
                    else:
                        z = buf[pos]
                        pos += 1
                        if z >= 0x80:
                            z, pos = varint(buf, pos, z)
                            if z > M32:
                                raise _Bad("instruction delta out of range")
                        iid = prev_id + ((z >> 1) ^ -(z & 1))
                    if iid < 0 or iid >= ntab:
                        raise _Bad("instruction %d not defined (%d in the table)" % (iid, ntab))
                    phys, ib, ln = table[iid]
                if attach:
                    acc = []
                    sink = acc.append
                    app(tnew(_Insn, (counter, lin, phys, cpl, mode, ib, iid, acc)))
                else:
                    app(tnew(_Insn, (counter, lin, phys, cpl, mode, ib, iid, ())))
                counter += 1
                ninsn += 1
                prev_id = iid
                prev_lin = lin
                prev_len = ln
            elif tag >= 0x40:                                  # MEM
                z = buf[pos]
                if z < 0x80:
                    pos += 1
                else:
                    z, pos = varint(buf, pos + 1, z)
                    if z > M32:
                        raise _Bad("memory address delta out of range")
                lin = (mem_lin + ((z >> 1) ^ -(z & 1))) & M32
                mem_lin = lin
                sz = tag & 3
                t = tag & 0x1C
                if t == 0x10:                                  # SAMEMAP
                    if mem_map < 0:
                        raise _Bad("first MEM of the chunk with SAMEMAP")
                    phys = (lin + mem_map) & M32
                    if sz != 2:
                        val = vals[sz](buf, pos)[0]
                    else:
                        val = int.from_bytes(buf[pos:pos + 3], "little")
                        if pos + 3 > n:
                            raise IndexError
                elif t:
                    raise _Bad("MEM with reserved bits set")
                else:
                    if sz != 2:
                        phys, val = physvals[sz](buf, pos)
                    else:
                        phys = u32(buf, pos)[0]
                        val = int.from_bytes(buf[pos + 4:pos + 7], "little")
                        if pos + 7 > n:
                            raise IndexError
                    pos += 4
                    mem_map = (phys - lin) & M32
                pos += sz + 1
                sink(tnew(_Mem, (tag >= 0x60, lin, phys, sz + 1, val)))
            elif tag == 0x04:                                  # REGS
                mask = buf[pos] | buf[pos + 1] << 8
                pos += 2
                if mask & 0x8000:
                    raise _Bad("REGS mask bit 15 set")
                unpack, size, s0 = _regs_plan(mask)
                v = unpack(buf, pos)
                pos += size
                if s0 is not None:
                    # segments (bits 9-14) come after the u32 registers
                    lst = list(v[:s0])
                    for i in range(s0, len(v), 4):
                        lst.append(Segment(v[i], v[i + 1], v[i + 2], v[i + 3], None))
                    v = tuple(lst)
                r = tnew(Regs, (mask, v))
                sink(r)
            elif tag == 0x05:                                  # INTR
                k, vec, err, cs, eip = _S_INTR.unpack_from(buf, pos)
                pos += 12
                if k > 3:
                    raise _Bad("INTR kind %d" % k)
                r = tnew(Intr, (k, vec, err, cs, eip))
                sink(r)
            elif tag == 0x06:                                  # IO
                fl, port = _S_IO.unpack_from(buf, pos)
                pos += 3
                sz = fl & 7
                if sz == 1 or sz == 2 or sz == 4:
                    val = vals[sz - 1](buf, pos)[0]
                else:
                    raise _Bad("IO size %d" % sz)
                pos += sz
                r = tnew(Io, ((fl & 0x80) != 0, port, sz, val))
                sink(r)
            elif tag == 0x01:                                  # SYNC
                z = buf[pos]
                pos += 1
                if z >= 0x80:
                    z, pos = varint(buf, pos, z)
                    if z >> 64:
                        raise _Bad("SYNC icount out of range")
                counter = z
                ctl(tnew(Sync, (z,)))
            elif tag == 0x02:                                  # MODE
                cpl, mode = _S_BB.unpack_from(buf, pos)
                pos += 2
                if cpl > 3:
                    raise _Bad("MODE with CPL above 3")
                ctl(tnew(Mode, (cpl, mode)))
            elif tag == 0x03:                                  # CR
                cn, val = _S_CR.unpack_from(buf, pos)
                pos += 5
                if cn != 0 and cn != 3 and cn != 4:
                    raise _Bad("CR of a register other than CR0, CR3, CR4")
                r = tnew(Cr, (cn, val))
                sink(r)
            elif tag == 0x07:                                  # STATE
                end = pos + ssize
                if end > n:
                    raise IndexError
                st = State(buf[pos:end])
                pos = end
                if st.cpl > 3:
                    raise _Bad("STATE with CPL above 3")
                if first_icount is None:
                    first_icount = st.icount
                counter = st.icount
                cpl = st.cpl
                mode = st.mode
                ctl(st)
            elif tag == 0x08:                                  # EVENT
                k, reason = _S_BB.unpack_from(buf, pos)
                pos += 2
                if k < 1 or k > 3 or reason > 3:
                    raise _Bad("EVENT %d reason %d" % (k, reason))
                ctl(tnew(Event, (k, reason)))
            else:
                raise _Bad("reserved record tag 0x%02x" % tag)
    except (IndexError, struct.error):
        raise _Bad("a record at payload offset %d runs past the end of the payload"
                   % (pos - 1 if pos else 0))
    return out, lead, ninsn, first_icount


# ------------------------------------------------------------------ the file

class Trace(object):
    """An open trace file.

    Header attributes: path, major, minor, version ((major, minor)),
    header_size, state_size, what (bit mask, WHAT_*), what_names (list),
    ram_size, cpuid (CPUID leaf 1 EAX), family, model_id, stepping, vendor,
    model (CPU model name), machine, state (initial State), file_size."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self._f = open(self.path, "rb")
        try:
            self._read_header()
        except BaseException:
            self._f.close()
            raise

    # -- header
    def _read_header(self):
        f = self._f
        h = f.read(HEADER_FIXED)
        if len(h) < len(MAGIC) or h[:8] != MAGIC:
            raise TraceNotATrace("not a shade86 trace file", self.path)
        if len(h) < 12:
            raise TraceTruncated("truncated: the file ends inside its header", self.path, 0)
        self.major, self.minor = struct.unpack_from("<HH", h, 8)
        if self.major != MAJOR:
            raise TraceNotATrace("trace format version %d.%d is not supported (major %d only)"
                                 % (self.major, self.minor, MAJOR), self.path)
        if len(h) < HEADER_FIXED:
            raise TraceTruncated("truncated: the file ends inside its header", self.path, 0)
        self.major, self.minor, self.header_size, self.state_size = struct.unpack_from("<HHII", h, 8)
        self.version = (self.major, self.minor)
        if (self.state_size < STATE_SIZE_1_0 or self.state_size > MAX_STATE_SIZE
                or self.header_size != HEADER_FIXED + self.state_size):
            raise TraceNotATrace("bad header: header size %d, state size %d"
                                 % (self.header_size, self.state_size), self.path)
        self.what, self.ram_size, self.cpuid = struct.unpack_from("<IQI", h, 20)
        self.what_names = [n for b, n in WHAT_NAMES if self.what & b]
        self.family = (self.cpuid >> 8) & 0xF
        if self.family == 0xF:
            self.family += (self.cpuid >> 20) & 0xFF
        self.model_id = (self.cpuid >> 4) & 0xF
        if self.family >= 6:
            self.model_id |= (self.cpuid >> 12) & 0xF0
        self.stepping = self.cpuid & 0xF

        def text(b):
            return b.split(b"\0", 1)[0].decode("latin-1")
        self.vendor = text(h[36:48])
        self.model = text(h[48:96])
        self.machine = text(h[96:112])
        rest = f.read(self.header_size - HEADER_FIXED)
        if len(rest) < self.header_size - HEADER_FIXED:
            raise TraceTruncated("truncated: the file ends inside its header", self.path, 0)
        self.state = State(rest[:self.state_size])

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def file_size(self):
        return os.fstat(self._f.fileno()).st_size

    def __repr__(self):
        return "<Trace %r %d.%d %s, %s %s, %d MiB>" % (
            self.path, self.major, self.minor, ",".join(self.what_names),
            self.machine, self.model, self.ram_size >> 20)

    # -- chunks
    def chunks(self):
        """Yield a ChunkInfo per chunk by hopping over chunk headers (nothing is
        inflated).  Raises TraceTruncated / TraceCorrupt at a damaged header
        (payload CRCs are checked by decode_chunk)."""
        f = self._f
        size = self.file_size
        off = self.header_size
        index = 0
        unpack = struct.unpack_from
        crc32 = zlib.crc32
        while True:
            f.seek(off)
            h = f.read(CHUNK_HDR)
            if not h:
                return
            if h[:4] != CHUNK_MAGIC[:len(h)]:
                raise TraceCorrupt("corrupt: chunk %d has no chunk magic" % index, self.path, off)
            if len(h) < CHUNK_HDR:
                raise TraceTruncated("truncated: chunk %d's header is cut off (%d of %d bytes)"
                                     % (index, len(h), CHUNK_HDR), self.path, off)
            magic, csize, usize, crc, icount, insns, hcrc = unpack("<4sIIIQII", h, 0)
            if crc32(h[:28]) != hcrc:
                raise TraceCorrupt("corrupt: chunk %d's header CRC does not match" % index,
                                   self.path, off)
            # a STATE record at least, no more than zlib can expand to
            if (usize < 1 + self.state_size or usize > MAX_CHUNK_PAYLOAD
                    or usize > csize * 1100 + 1024 or csize < 8):
                raise TraceCorrupt("corrupt: chunk %d has bad sizes (compressed %d, uncompressed %d)"
                                   % (index, csize, usize), self.path, off)
            if off + CHUNK_HDR + csize > size:
                raise TraceTruncated("truncated: chunk %d's payload is cut off (%d of %d bytes)"
                                     % (index, max(0, size - off - CHUNK_HDR), csize),
                                     self.path, off)
            yield ChunkInfo(index, off, icount, insns, csize, usize, crc)
            off += CHUNK_HDR + csize
            index += 1

    def read_payload(self, chunk):
        """The chunk's inflated payload (bytes), checked against its header."""
        f = self._f
        f.seek(chunk.offset + CHUNK_HDR)
        data = f.read(chunk.csize)
        where = (self.path, chunk.offset)
        if len(data) < chunk.csize:
            raise TraceTruncated("truncated: chunk %d's payload is cut off" % chunk.index, *where)
        if (chunk.usize < 1 + self.state_size or chunk.usize > MAX_CHUNK_PAYLOAD
                or chunk.usize > chunk.csize * 1100 + 1024):
            raise TraceCorrupt("corrupt: chunk %d has bad sizes (compressed %d, uncompressed %d)"
                               % (chunk.index, chunk.csize, chunk.usize), *where)
        d = zlib.decompressobj()
        try:
            buf = d.decompress(data, chunk.usize + 1)
        except zlib.error as e:
            raise TraceCorrupt("corrupt: chunk %d does not inflate (%s)" % (chunk.index, e), *where)
        if len(buf) != chunk.usize or not d.eof or d.unused_data or d.unconsumed_tail:
            raise TraceCorrupt("corrupt: chunk %d does not inflate to its stated size" % chunk.index,
                               *where)
        if zlib.crc32(buf) != chunk.crc:
            raise TraceCorrupt("corrupt: chunk %d's payload CRC does not match" % chunk.index, *where)
        return buf

    def _decode(self, chunk, how):
        buf = self.read_payload(chunk)
        try:
            recs, lead, ninsn, first = _decode_payload(buf, self.state_size, how)
            if first != chunk.icount:
                raise _Bad("its STATE icount %d is not the header's %d" % (first, chunk.icount))
            if ninsn != chunk.insns:
                raise _Bad("it holds %d INSN records, its header says %d" % (ninsn, chunk.insns))
        except _Bad as e:
            raise TraceCorrupt("corrupt: chunk %d: %s" % (chunk.index, e), self.path, chunk.offset)
        return recs, lead

    def decode_chunk(self, chunk):
        """All records of one chunk (a list, its STATE first).  Raises
        TraceTruncated / TraceCorrupt (last_icount None) for a damaged chunk."""
        return self._decode(chunk, 0)[0]

    # -- records
    def _walk(self, start, end):
        """Yield (chunk, icount of the next chunk or None) for the chunks that
        can hold instructions start <= icount < end, looking one chunk ahead
        to skip the chunks before start; an error from the look-ahead comes
        after the chunk before it.  (Chunk icounts never decrease in a trace.)"""
        it = self.chunks()
        prev = None
        pending = None
        while True:
            try:
                c = next(it)
            except StopIteration:
                c = None
            except TraceError as e:
                c = None
                pending = e
            # chunk i holds icounts up to chunk i+1's (a fault's INSN shares
            # its icount with the handler's first instruction)
            if prev is not None and not (start is not None and c is not None and c.icount < start):
                yield prev, (c.icount if c is not None else None)
            if c is None or (end is not None and c.icount >= end):
                break
            prev = c
        if pending is not None:
            raise pending

    @staticmethod
    def _in_range(recs, start, end, counter):
        """Filter one chunk's records by the icount they belong to: INSN its own;
        MEM/IO/CR/REGS/INTR the INSN's before them; STATE/SYNC theirs;
        MODE/EVENT the next instruction's."""
        if start is None:
            start = 0
        if end is None:
            end = 1 << 64
        last = counter
        for r in recs:
            k = r.kind
            if k == "INSN":
                o = last = r[0]
                counter = o + 1
            elif k == "STATE" or k == "SYNC":
                o = last = counter = r.icount
            elif k == "MODE" or k == "EVENT":
                o = counter
            else:
                o = last
            if start <= o < end:
                yield r

    def records(self, start_icount=None, end_icount=None):
        """Yield every record, in file order; with start_icount/end_icount only
        those of instructions start_icount <= icount < end_icount (chunks
        before are skipped by their headers, without inflating them).  A
        MEM, IO, CR, REGS or INTR record belongs to the INSN before it, a
        MODE or EVENT to the INSN after it, STATE and SYNC to their icount."""
        last = None
        ranged = start_icount is not None or end_icount is not None
        lo = 0 if start_icount is None else start_icount
        hi = (1 << 64) if end_icount is None else end_icount
        try:
            for c, nxt in self._walk(start_icount, end_icount):
                recs = self._decode(c, 0)[0]
                if not ranged or (c.icount >= lo and nxt is not None and nxt + 1 < hi):
                    yield from recs
                else:
                    yield from self._in_range(recs, lo, hi, c.icount)
                li = _last_icount(recs, None)
                if li is not None:
                    last = li
        except TraceError as e:
            if e.last_icount is None:
                e.last_icount = last
            raise

    __iter__ = records

    def instructions(self, start_icount=None, end_icount=None, with_accesses=False):
        """Yield the INSN records only.  with_accesses: each one's .accesses is
        the list of MEM, IO, CR, REGS and INTR records that follow it up to the
        next instruction (INTR and the delivery's MEM records included)."""
        last = None
        ranged = start_icount is not None or end_icount is not None
        lo = 0 if start_icount is None else start_icount
        hi = (1 << 64) if end_icount is None else end_icount
        pending = None
        try:
            for c, _ in self._walk(start_icount, end_icount):
                recs, lead = self._decode(c, 1 if with_accesses else 2)
                if recs:
                    last = recs[-1][0]
                if ranged:
                    recs = [r for r in recs if lo <= r[0] < hi]
                if with_accesses:
                    # hold each one back until the records after it are known
                    if pending is not None:
                        pending[7].extend(lead)
                        yield pending
                        pending = None
                    if recs:
                        pending = recs.pop()
                yield from recs
            if pending is not None:
                yield pending
        except TraceError as e:
            if e.last_icount is None:
                e.last_icount = last
            raise

    def states(self):
        """Yield the STATE of every chunk (and the ones written on restarts)."""
        for c in self.chunks():
            for r in self.decode_chunk(c):
                if r.kind == "STATE":
                    yield r


def _last_icount(recs, default):
    for r in reversed(recs):
        if r.kind == "INSN":
            return r[0]
    return default


# ------------------------------------------------------------------ command line

def _out_lines(lines):
    if lines:
        sys.stdout.write("\n".join(lines))
        sys.stdout.write("\n")


def cmd_records(t, args):
    start, end = args.start, args.end
    last = None
    try:
        if start is None and end is None:
            # the fast path: whole chunks
            for c in t.chunks():
                recs = t.decode_chunk(c)
                lines = [format_chunk(c)]
                lines.extend(_format_fast(recs))
                _out_lines(lines)
                last = _last_icount(recs, last)
        else:
            # CHUNK lines for the chunks visited, records in the range
            for c, _ in t._walk(start, end):
                recs = t.decode_chunk(c)
                lines = [format_chunk(c)]
                lines.extend(format_record(r) for r in Trace._in_range(recs, start, end, c.icount))
                _out_lines(lines)
                last = _last_icount(recs, last)
    except TraceError as e:
        if e.last_icount is None:
            e.last_icount = last
        raise


def _format_fast(recs):
    """format_record over a list, with the two common kinds inline."""
    out = []
    app = out.append
    fmt = format_record
    for r in recs:
        k = r.kind
        if k == "INSN":
            app("INSN %d lin=%08x phys=%08x cpl=%d mode=%02x bytes=%s"
                % (r[0], r[1], r[2], r[3], r[4], r[5].hex()))
        elif k == "MEM":
            app("MEM %s lin=%08x phys=%08x size=%d value=%0*x"
                % ("W" if r[0] else "R", r[1], r[2], r[3], r[3] * 2, r[4]))
        else:
            app(fmt(r))
    return out


def cmd_info(t, args):
    s = t.state
    print("file:        %s (%d bytes)" % (t.path, t.file_size))
    print("format:      %d.%d, header %d bytes, state block %d bytes"
          % (t.major, t.minor, t.header_size, t.state_size))
    print("recorded:    %s" % ",".join(t.what_names))
    print("machine:     %s, %d MiB RAM" % (t.machine, t.ram_size >> 20))
    print("cpu:         %s %s (cpuid %08x: family %d model %d stepping %d)"
          % (t.vendor, t.model, t.cpuid, t.family, t.model_id, t.stepping))
    print("start state: icount %d cpl %d mode %02x cs:eip %04x:%08x cr0 %08x cr3 %08x"
          % (s.icount, s.cpl, s.mode, s.segs["cs"].selector, s.eip, s.cr0, s.cr3))
    n = insns = csize = usize = 0
    first = last = None
    try:
        for c in t.chunks():
            if first is None:
                first = c
            last = c
            n += 1
            insns += c.insns
            csize += c.csize
            usize += c.usize
    finally:
        print("chunks:      %d, %d instructions" % (n, insns))
        if n:
            print("icounts:     %d (first chunk) .. %d (last chunk start)" % (first.icount, last.icount))
            print("payload:     %d bytes compressed, %d uncompressed (%.1f%%), %.2f bytes/insn"
                  % (csize, usize, 100.0 * csize / max(usize, 1), csize / max(insns, 1)))
        sys.stdout.flush()


def cmd_stats(t, args):
    insns = 0
    per_cpl = collections.Counter()
    per_addr = collections.Counter()
    vectors = collections.Counter()
    kinds = collections.Counter()
    try:
        for c, _ in t._walk(args.start, args.end):
            recs = t.decode_chunk(c)
            if args.start is not None or args.end is not None:
                recs = list(Trace._in_range(recs, args.start, args.end, c.icount))
            kinds.update(r.kind for r in recs)
            ins = [r for r in recs if r.kind == "INSN"]
            insns += len(ins)
            per_cpl.update(r[3] for r in ins)
            per_addr.update(r[1] for r in ins)
            vectors.update((r[0], r[1]) for r in recs if r.kind == "INTR")
    finally:
        print("instructions: %d" % insns)
        for cpl in sorted(per_cpl):
            print("  cpl %d: %d (%.1f%%)" % (cpl, per_cpl[cpl], 100.0 * per_cpl[cpl] / insns))
        print("records: %s" % " ".join("%s=%d" % kv for kv in sorted(kinds.items())))
        print("top addresses:")
        for lin, cnt in per_addr.most_common(10):
            print("  %08x %d" % (lin, cnt))
        print("interrupts and exceptions:")
        for (k, v), cnt in sorted(vectors.items()):
            print("  %-9s %02x %d" % (INTR_NAMES[k], v, cnt))
        sys.stdout.flush()


def main(argv=None):
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            self.print_usage(sys.stderr)
            sys.stderr.write("shade86trace: %s\n" % message)
            sys.exit(2)

    p = Parser(prog="shade86trace.py",
               description="Read a shade86 trace file (docs/trace-format.md).")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    sub.required = True
    for name, hlp in (("records", "print the canonical record listing"),
                      ("info", "print the header and a chunk summary"),
                      ("stats", "instruction counts, hot addresses, interrupt vectors")):
        sp = sub.add_parser(name, help=hlp)
        sp.add_argument("file", metavar="FILE")
        if name != "info":
            sp.add_argument("--from", dest="start", type=_number, metavar="N",
                            help="from instruction count N")
            sp.add_argument("--to", dest="end", type=_number, metavar="N",
                            help="up to (not including) instruction count N")
    args = p.parse_args(argv)
    fn = {"records": cmd_records, "info": cmd_info, "stats": cmd_stats}[args.cmd]
    try:
        try:
            t = Trace(args.file)
        except OSError as e:
            sys.stderr.write("shade86trace: %s: %s\n" % (args.file, e.strerror or e))
            return 3
        with t:
            fn(t, args)
        sys.stdout.flush()
    except TraceError as e:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            pass
        sys.stderr.write("shade86trace: %s: %s\n" % (args.file, e))
        return e.status
    except BrokenPipeError:
        # the reader of our output went away (| head): not an error
        try:
            sys.stdout = None
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        except OSError:
            pass
        return 0
    except OSError as e:
        sys.stderr.write("shade86trace: %s: %s\n" % (args.file, e))
        return 3
    return 0


def _number(s):
    try:
        return int(s, 0)
    except ValueError:
        import argparse
        raise argparse.ArgumentTypeError("not a number: %r" % s)


if __name__ == "__main__":
    sys.exit(main())

/*
 * Trace writer -> reader round trips (docs/trace-format.md).
 *
 * A file with every record kind is written through the encoder (struct tenc)
 * and the file writer (frontends/tracefile.c), read back with
 * frontends/trace/traceread.c, and every decoded field compared with what was
 * written.  The expected records are built next to the tenc_* calls, with the
 * SYNC and MODE records the spec says the encoder must add.  Then damaged
 * copies: cut at many offsets (truncated: the whole chunks before the cut,
 * exactly), bytes flipped in a payload and a chunk header (corrupt, the prefix
 * intact), chunks with valid CRCs but bad records (corrupt), bad magic and
 * major version 2 (refused).
 *
 * Prints one line per failure and "trace-roundtrip: N checks, M failed".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../frontends/trace/traceread.h"
#include "../frontends/tracefile.h"

static unsigned nchecks, nfailed;

static void check(bool ok, const char *fmt, ...)
{
	nchecks++;
	if (ok)
		return;
	nfailed++;
	va_list ap;
	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

/* ------------------------------------------------------- expected records */

#define MAXEXP 16384
#define CHUNK_MARK 0xff       /* kind of an expected chunk boundary */

struct exp {
	uint8_t kind;
	struct tr_rec r;      /* the fields that matter for kind */
	uint8_t bytes[16];
	uint64_t chunk_icount;
	uint32_t chunk_ninsn;
};

static struct exp ex[MAXEXP];
static unsigned nex;

/* What the reader's decoder must hold, mirrored while writing */
static uint64_t w_counter;
static uint8_t w_cpl, w_mode;
static uint32_t w_ninsn;
static unsigned w_chunk_mark;     /* index in ex of the current chunk's mark */

static struct exp *add(uint8_t kind)
{
	if (nex >= MAXEXP) {
		fprintf(stderr, "trace-roundtrip: too many expected records\n");
		exit(1);
	}
	struct exp *e = &ex[nex++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->r.kind = kind;
	return e;
}

/* ------------------------------------------------------------- the writer */

static struct tracefile *tf;
static struct trace_sink sink;
static struct tenc enc;
static char tmpdir[256];
static uint32_t table_phys[8192];
static uint8_t table_len[8192], table_bytes[8192][16];

static void make_state(uint8_t *st, uint64_t icount, uint8_t cpl, uint8_t mode, uint32_t seed)
{
	memset(st, 0, TRACE_STATE_SIZE);
	for (int i = 0; i < 8; i++)
		tput32(st + TST_GPR + 4 * i, seed * 0x01010101u + (uint32_t)i);
	tput32(st + TST_EIP, 0xfff0 + seed);
	tput32(st + TST_EFLAGS, 0x00000202);
	for (int i = 0; i < 6; i++) {
		uint8_t *s = st + TST_SEG + 16 * i;
		tput16(s, (uint16_t)(0x10 + 8 * i));
		tput16(s + 2, 1);
		tput32(s + 4, 0x1000u * (uint32_t)i);
		tput32(s + 8, 0xffff);
		tput32(s + 12, 0x93);
	}
	tput32(st + TST_CR, 0x60000011);
	tput32(st + TST_CR + 8, 0x00123000 + seed);
	tput32(st + TST_CR + 12, 0x10);
	st[TST_CPL] = cpl;
	st[TST_MODE] = mode;
	st[TST_A20] = 1;
	tput64(st + TST_ICOUNT, icount);
	tput64(st + TST_TSC, icount * 3);
	tput32(st + TST_MXCSR, 0x1f80);
}

static void exp_state(const uint8_t *st)
{
	struct exp *e = add(TREC_STATE);
	e->r.u.state.icount = tr_get64(st + TST_ICOUNT);
	memcpy(e->bytes, st + TST_GPR, 16);       /* a sample of the block */
	w_counter = e->r.u.state.icount;
	w_cpl = st[TST_CPL];
	w_mode = st[TST_MODE];
}

static void begin(const uint8_t *st, uint8_t *buf, size_t cap)
{
	tenc_begin(&enc, buf, cap, st);
	w_chunk_mark = nex;
	struct exp *m = add(CHUNK_MARK);
	m->chunk_icount = tr_get64(st + TST_ICOUNT);
	w_ninsn = 0;
	exp_state(st);
}

static void end_chunk(bool another, const uint8_t *next_state)
{
	size_t newcap = 0;
	ex[w_chunk_mark].chunk_ninsn = w_ninsn;
	uint8_t *nb = sink.chunk(sink.opaque, enc.buf, enc.len, enc.cap, enc.first_icount, enc.ninsn, &newcap);
	check(nb != NULL, "the sink takes a chunk");
	if (!nb)
		exit(1);
	if (another)
		begin(next_state, nb, newcap);
	else
		free(nb);
}

/* An instruction; id < 0 defines it.  Returns the id. */
static uint32_t insn(uint64_t icount, uint32_t lin, uint8_t cpl, uint8_t mode, int64_t id,
		     uint32_t phys, unsigned len, const uint8_t *bytes)
{
	if (icount != w_counter)
		add(TREC_SYNC)->r.u.sync.icount = icount;
	if (cpl != w_cpl || mode != w_mode) {
		struct exp *e = add(TREC_MODE);
		e->r.u.mode.cpl = cpl;
		e->r.u.mode.mode = mode;
		w_cpl = cpl;
		w_mode = mode;
	}
	/* the encoder needs the length of a known instruction too (prev_len) */
	if (id >= 0)
		len = table_len[id];
	uint32_t nid = tenc_insn(&enc, icount, lin, cpl, mode, id, phys, len, bytes);
	if (id < 0) {
		check(nid < 8192, "id in range");
		table_phys[nid] = phys;
		table_len[nid] = (uint8_t)len;
		memcpy(table_bytes[nid], bytes, len);
	} else {
		check(nid == (uint32_t)id, "tenc_insn returns the id it was given");
	}
	struct exp *e = add(TREC_INSN);
	e->r.u.insn.icount = icount;
	e->r.u.insn.lin = lin;
	e->r.u.insn.phys = table_phys[nid];
	e->r.u.insn.id = nid;
	e->r.u.insn.cpl = cpl;
	e->r.u.insn.mode = mode;
	e->r.u.insn.len = table_len[nid];
	e->r.u.insn.new_ = id < 0;
	memcpy(e->bytes, table_bytes[nid], table_len[nid]);
	w_counter = icount + 1;
	w_ninsn++;
	return nid;
}

static void mem(uint32_t lin, uint32_t phys, unsigned size, uint32_t value, bool write)
{
	tenc_mem(&enc, lin, phys, size, value, write);
	struct exp *e = add(TREC_MEM);
	e->r.u.mem.lin = lin;
	e->r.u.mem.phys = phys;
	e->r.u.mem.size = (uint8_t)size;
	e->r.u.mem.value = size == 4 ? value : value & ((1u << (8 * size)) - 1);
	e->r.u.mem.write = write;
}

static void io(uint16_t port, unsigned size, uint32_t value, bool out)
{
	tenc_io(&enc, port, size, value, out);
	struct exp *e = add(TREC_IO);
	e->r.u.io.port = port;
	e->r.u.io.size = (uint8_t)size;
	e->r.u.io.value = size == 4 ? value : value & ((1u << (8 * size)) - 1);
	e->r.u.io.out = out;
}

static void intr(unsigned kind, unsigned vector, uint32_t error, uint16_t cs, uint32_t eip)
{
	tenc_intr(&enc, kind, vector, error, cs, eip);
	struct exp *e = add(TREC_INTR);
	e->r.u.intr.kind = (uint8_t)kind;
	e->r.u.intr.vector = (uint8_t)vector;
	e->r.u.intr.error = error;
	e->r.u.intr.cs = cs;
	e->r.u.intr.eip = eip;
}

static void cr(unsigned n, uint32_t value)
{
	tenc_cr(&enc, n, value);
	struct exp *e = add(TREC_CR);
	e->r.u.cr.n = (uint8_t)n;
	e->r.u.cr.value = value;
}

/* REGS: r holds the new values; mask the ones expected to differ */
static void regs(const struct tregs *r, uint16_t mask)
{
	tenc_regs(&enc, r);
	struct exp *e = add(TREC_REGS);
	e->r.u.regs.mask = mask;
	memcpy(e->r.u.regs.v.r, r->r, sizeof(r->r));
	for (int i = 0; i < 6; i++) {
		e->r.u.regs.v.seg[i].sel = r->seg[i].sel;
		e->r.u.regs.v.seg[i].base = r->seg[i].base;
		e->r.u.regs.v.seg[i].limit = r->seg[i].limit;
		e->r.u.regs.v.seg[i].attr = r->seg[i].attr;
	}
}

static void event(unsigned kind, unsigned reason)
{
	tenc_event(&enc, kind, reason);
	struct exp *e = add(TREC_EVENT);
	e->r.u.event.kind = (uint8_t)kind;
	e->r.u.event.reason = (uint8_t)reason;
}

static void mid_state(const uint8_t *st)
{
	tenc_state(&enc, st);
	exp_state(st);
}

static void regs_from_state(struct tregs *r, const uint8_t *st)
{
	for (int i = 0; i < 8; i++)
		r->r[i] = tr_get32(st + TST_GPR + 4 * i);
	r->r[8] = tr_get32(st + TST_EFLAGS);
	for (int i = 0; i < 6; i++) {
		const uint8_t *s = st + TST_SEG + 16 * i;
		r->seg[i].sel = tr_get16(s);
		r->seg[i].valid = tr_get16(s + 2);
		r->seg[i].base = tr_get32(s + 4);
		r->seg[i].limit = tr_get32(s + 8);
		r->seg[i].attr = tr_get32(s + 12);
	}
}

static const struct tracefile_info info = {
	.what = TRACE_W_INSN | TRACE_W_REGS | TRACE_W_MEM | TRACE_W_IO | TRACE_W_IRQ,
	.ram_size = 64u << 20, .cpuid_sig = 0x0633, .vendor = "GenuineIntel",
	.model = "shade86 test CPU", .machine = "test",
};

/* The file with every record kind: 3 chunks */
static void write_main(const char *path)
{
	char err[256];
	uint8_t st[TRACE_STATE_SIZE];
	make_state(st, 100, 0, 0, 1);
	tf = tracefile_open(path, &info, st, err, sizeof(err));
	if (!tf) {
		printf("FAIL: tracefile_open: %s\n", err);
		exit(1);
	}
	sink = tracefile_sink(tf);
	size_t cap;
	uint8_t *buf = tracefile_buffer(tf, &cap);
	begin(st, buf, cap);

	static const uint8_t nop[1] = { 0x90 }, movw[3] = { 0xb8, 0x34, 0x12 },
		long15[15] = { 0x66, 0x67, 0x2e, 0x26, 0x3e, 0x36, 0x64, 0x65, 0xf0, 0x81, 0x84, 0x88,
			       0x44, 0x33, 0x22 };
	event(TEV_START, TEVR_CMDLINE);
	uint64_t ic = 100;
	/* 0: defined, JUMP (first of the chunk) */
	uint32_t a = insn(ic++, 0xf0000, 0, 0, -1, 0xf0000, 3, movw);
	mem(0x600, 0x600, 1, 0xab, false);                 /* first MEM: no SAMEMAP */
	mem(0x602, 0x602, 2, 0xbeef, true);                /* SAMEMAP */
	mem(0x610, 0x12345610, 3, 0xc0ffee, false);        /* another map */
	mem(0xfffffff0, 0x00fffff0, 4, 0xdeadbeef, true);
	mem(0x10, 0x10, 4, 0x01020304, true);              /* large negative difference */
	mem(0x7ffffff0, 0x10, 4, 0xfeedface, false);       /* large positive difference */
	mem(0x20, 0xffffffff, 2, 0x5555, false);           /* unknown physical address */
	/* 1..40: sequential definitions */
	uint32_t lin = 0xf0003;
	for (int i = 0; i < 40; i++) {
		insn(ic++, lin, 0, 0, -1, lin, 1, nop);
		lin += 1;
	}
	insn(ic++, lin, 0, 0, -1, lin, 15, long15);       /* 41: 15 bytes */
	/* references: small deltas, zigzag both ways, the same id twice */
	insn(ic++, 0xf0000, 0, 0, a, 0, 0, NULL);         /* 41 -> 0: -41, JUMP */
	insn(ic++, 0xf0003 + 4, 0, 0, 5, 0, 0, NULL);     /* +5 */
	insn(ic++, 0xf0003 + 4, 0, 0, 5, 0, 0, NULL);     /* 0 */
	insn(ic++, 0xf0003 + 4 + 1, 0, 0, 6, 0, 0, NULL); /* +1, sequential */
	insn(ic++, 0xf0003 + 19, 0, 0, 20, 0, 0, NULL);   /* +14 */
	insn(ic++, 0xf0003 + 34, 0, 0, 35, 0, 0, NULL);   /* +15 */
	insn(ic++, 0xf0003 + 18, 0, 0, 19, 0, 0, NULL);   /* -16: zigzag */
	insn(ic++, 0xf0003 + 3, 0, 0, 4, 0, 0, NULL);     /* -15 */
	insn(ic++, 0xf0003 + 39, 0, 0, 40, 0, 0, NULL);   /* +36: zigzag */
	/* the same bytes defined again: a new id */
	uint32_t a2 = insn(ic++, 0xf0000, 0, 0, -1, 0xf0000, 3, movw);
	check(a2 == 42, "redefinition gets the next id (%u)", a2);
	insn(ic++, 0xf0000, 0, 0, a, 0, 0, NULL);
	insn(ic++, 0xf0000, 0, 0, a2, 0, 0, NULL);
	/* port I/O */
	io(0x60, 1, 0x1234561c, false);
	io(0x1f0, 2, 0xabcd, false);
	io(0xcfc, 4, 0x80000000, false);
	io(0xe9, 1, 0x41, true);
	io(0x3f8, 2, 0xffff, true);
	io(0xcf8, 4, 0x8000f800, true);
	/* interrupts of every kind */
	intr(TINTR_IRQ, 0x20, 0xffffffff, 0xf000, 0x0003);
	intr(TINTR_NMI, 0x02, 0xffffffff, 0x0008, 0x12345678);
	intr(TINTR_EXC, 0x0e, 0x00000006, 0x001b, 0x0804a000);
	intr(TINTR_EXC, 0x00, 0xffffffff, 0xf000, 0x46);
	intr(TINTR_SOFT, 0x80, 0xffffffff, 0x0023, 0xb7f00002);
	intr(TINTR_EXC, 0x0d, 0, 0x0010, 0xc0100000);
	/* control registers */
	cr(0, 0x80000011);
	cr(3, 0x00456000);
	cr(4, 0x00000690);
	/* registers: a GPR, EFLAGS, then segments */
	struct tregs r;
	regs_from_state(&r, st);
	r.r[0] = 0x11111111;
	r.r[8] = 0x00000246;
	regs(&r, 1u << 0 | 1u << TREGS_EFLAGS);
	r.r[4] = 0x7000;
	r.r[7] = 0xffffffff;
	r.seg[1].sel = 0x08;
	r.seg[1].base = 0;
	r.seg[1].limit = 0xffffffff;
	r.seg[1].attr = 0xc09b;
	r.seg[5].attr = 0x4093;
	regs(&r, 1u << 4 | 1u << 7 | 1u << (TREGS_SEG0 + 1) | 1u << (TREGS_SEG0 + 5));
	/* SYNC: an exception repeats the icount; a gap */
	insn(ic - 1, 0xf0000, 0, 0, a, 0, 0, NULL);
	ic += 1000;
	insn(ic++, 0xf0003, 0, 0, 1, 0, 0, NULL);
	/* MODE: CPL and mode change, then back */
	insn(ic++, 0xc0001000, 3, TMODE_PE | TMODE_CODE32 | TMODE_PG, -1, 0x1000, 1, nop);
	insn(ic++, 0xc0001001, 3, TMODE_PE | TMODE_VM, -1, 0x1001, 1, nop);
	insn(ic++, 0xc0001002, 0, TMODE_PE | TMODE_VM, -1, 0x1002, 1, nop);
	event(TEV_STOP, TEVR_MAGIC);
	event(TEV_RESET, TEVR_RESET);
	/* tracing restarts: a STATE in the middle of the chunk */
	uint8_t st2[TRACE_STATE_SIZE];
	ic += 500;
	make_state(st2, ic, 0, TMODE_PE, 2);
	event(TEV_START, TEVR_PORT);
	mid_state(st2);
	insn(ic++, 0xf0100, 0, TMODE_PE, -1, 0xf0100, 1, nop);
	insn(ic++, 0xf0101, 0, TMODE_PE, 1, 0, 0, NULL);     /* ids survive a STATE */
	/* MEM after the STATE: the previous map carries on */
	mem(0x700, 0x12345700, 1, 0x12, true);
	regs_from_state(&r, st2);
	r.r[3] = 0x33;
	regs(&r, 1u << 3);
	event(TEV_STOP, TEVR_PORT);

	/* chunk 2: starts afresh */
	uint8_t st3[TRACE_STATE_SIZE];
	make_state(st3, ic, 3, TMODE_PE | TMODE_CODE32 | TMODE_PG, 3);
	end_chunk(true, st3);
	insn(ic++, 0x08048000, 3, TMODE_PE | TMODE_CODE32 | TMODE_PG, -1, 0x00400000, 1, nop);
	mem(0xbffff000, 0x00500000, 4, 0x1, true);             /* first MEM again: no SAMEMAP */
	for (int i = 0; i < 2000; i++) {
		insn(ic++, 0x08048000, 3, TMODE_PE | TMODE_CODE32 | TMODE_PG, 0, 0, 0, NULL);
		mem(0xbffff000 - 4u * (uint32_t)i, 0x00500000 - 4u * (uint32_t)i, 4, (uint32_t)i, i & 1);
	}
	/* chunk 3: many definitions, so ids need long varints */
	uint8_t st4[TRACE_STATE_SIZE];
	make_state(st4, ic, 0, 0, 4);
	end_chunk(true, st4);
	for (int i = 0; i < 3000; i++) {
		uint8_t b[2] = { 0x40 + (uint8_t)(i & 7), (uint8_t)i };
		insn(ic++, 0x10000 + 2u * (uint32_t)i, 0, 0, -1, 0x10000 + 2u * (uint32_t)i,
		     i & 1 ? 2 : 1, b);
	}
	insn(ic++, 0x10000, 0, 0, 0, 0, 0, NULL);            /* -2999 */
	insn(ic++, 0x10000 + 2u * 2999, 0, 0, 2999, 0, 0, NULL);   /* +2999 */
	insn(ic++, 0x10000 + 2u * 1500, 0, 0, 1500, 0, 0, NULL);
	end_chunk(false, NULL);
	if (tracefile_close(tf, err, sizeof(err)) < 0) {
		printf("FAIL: tracefile_close: %s\n", err);
		nfailed++;
	}
}

/* ------------------------------------------------------------ the reader */

static bool same_rec(const struct exp *e, const struct tr_rec *r, const struct tr_chunk *c, char *why)
{
	if (e->kind != r->kind) {
		sprintf(why, "kind %02x, expected %02x", r->kind, e->kind);
		return false;
	}
	const struct tr_rec *x = &e->r;
	switch (e->kind) {
	case TREC_INSN:
		if (r->u.insn.icount != x->u.insn.icount || r->u.insn.lin != x->u.insn.lin ||
		    r->u.insn.phys != x->u.insn.phys || r->u.insn.id != x->u.insn.id ||
		    r->u.insn.cpl != x->u.insn.cpl || r->u.insn.mode != x->u.insn.mode ||
		    r->u.insn.len != x->u.insn.len || r->u.insn.new_ != x->u.insn.new_ ||
		    memcmp(r->u.insn.bytes, e->bytes, x->u.insn.len)) {
			sprintf(why, "INSN %llu lin %08x phys %08x id %u cpl %u mode %02x len %u, expected "
				"%llu %08x %08x %u %u %02x %u", (unsigned long long)r->u.insn.icount,
				r->u.insn.lin, r->u.insn.phys, r->u.insn.id, r->u.insn.cpl, r->u.insn.mode,
				r->u.insn.len, (unsigned long long)x->u.insn.icount, x->u.insn.lin,
				x->u.insn.phys, x->u.insn.id, x->u.insn.cpl, x->u.insn.mode, x->u.insn.len);
			return false;
		}
		return true;
	case TREC_MEM:
		if (r->u.mem.lin != x->u.mem.lin || r->u.mem.phys != x->u.mem.phys ||
		    r->u.mem.size != x->u.mem.size || r->u.mem.value != x->u.mem.value ||
		    r->u.mem.write != x->u.mem.write) {
			sprintf(why, "MEM %08x %08x %u %08x %d, expected %08x %08x %u %08x %d", r->u.mem.lin,
				r->u.mem.phys, r->u.mem.size, r->u.mem.value, r->u.mem.write, x->u.mem.lin,
				x->u.mem.phys, x->u.mem.size, x->u.mem.value, x->u.mem.write);
			return false;
		}
		return true;
	case TREC_IO:
		if (r->u.io.port != x->u.io.port || r->u.io.size != x->u.io.size ||
		    r->u.io.value != x->u.io.value || r->u.io.out != x->u.io.out) {
			sprintf(why, "IO %04x %u %08x %d", r->u.io.port, r->u.io.size, r->u.io.value, r->u.io.out);
			return false;
		}
		return true;
	case TREC_INTR:
		if (memcmp(&r->u.intr, &x->u.intr, sizeof(r->u.intr)) &&
		    (r->u.intr.kind != x->u.intr.kind || r->u.intr.vector != x->u.intr.vector ||
		     r->u.intr.error != x->u.intr.error || r->u.intr.cs != x->u.intr.cs ||
		     r->u.intr.eip != x->u.intr.eip)) {
			sprintf(why, "INTR %u %02x %08x %04x:%08x", r->u.intr.kind, r->u.intr.vector,
				r->u.intr.error, r->u.intr.cs, r->u.intr.eip);
			return false;
		}
		return true;
	case TREC_CR:
		if (r->u.cr.n != x->u.cr.n || r->u.cr.value != x->u.cr.value || c->cr[x->u.cr.n] != x->u.cr.value) {
			sprintf(why, "CR%u %08x", r->u.cr.n, r->u.cr.value);
			return false;
		}
		return true;
	case TREC_REGS:
		if (r->u.regs.mask != x->u.regs.mask) {
			sprintf(why, "REGS mask %04x, expected %04x", r->u.regs.mask, x->u.regs.mask);
			return false;
		}
		for (int i = 0; i < 9; i++)
			if (c->regs.r[i] != x->u.regs.v.r[i] ||
			    ((r->u.regs.mask & (1u << i)) && r->u.regs.v.r[i] != x->u.regs.v.r[i])) {
				sprintf(why, "REGS register %d %08x", i, c->regs.r[i]);
				return false;
			}
		for (int i = 0; i < 6; i++) {
			const struct tr_seg *a = &c->regs.seg[i], *b = &x->u.regs.v.seg[i];
			if (a->sel != b->sel || a->base != b->base || a->limit != b->limit || a->attr != b->attr) {
				sprintf(why, "REGS segment %d %04x %08x %08x %04x", i, a->sel, a->base, a->limit,
					a->attr);
				return false;
			}
		}
		return true;
	case TREC_SYNC:
		if (r->u.sync.icount != x->u.sync.icount) {
			sprintf(why, "SYNC %llu", (unsigned long long)r->u.sync.icount);
			return false;
		}
		return true;
	case TREC_MODE:
		if (r->u.mode.cpl != x->u.mode.cpl || r->u.mode.mode != x->u.mode.mode) {
			sprintf(why, "MODE %u %02x", r->u.mode.cpl, r->u.mode.mode);
			return false;
		}
		return true;
	case TREC_EVENT:
		if (r->u.event.kind != x->u.event.kind || r->u.event.reason != x->u.event.reason) {
			sprintf(why, "EVENT %u %u", r->u.event.kind, r->u.event.reason);
			return false;
		}
		return true;
	case TREC_STATE:
		if (r->u.state.icount != x->u.state.icount || memcmp(r->u.state.block + TST_GPR, e->bytes, 16)) {
			sprintf(why, "STATE icount %llu", (unsigned long long)r->u.state.icount);
			return false;
		}
		return true;
	}
	sprintf(why, "unknown kind");
	return false;
}

/*
 * Read path; compare with the expected records.  Returns the status that
 * ended the read (TR_END for a whole file) and sets *chunks to the number of
 * chunks read whole; every record of those must match.
 */
static int read_back(const char *path, const char *label, unsigned *chunks, bool verbose)
{
	struct tr_file f;
	struct tr_chunk c;
	struct tr_chunk_info ci;
	struct tr_rec r;
	char why[256];
	*chunks = 0;
	int st = tr_open(&f, path);
	if (st != TR_OK)
		return st;
	tr_chunk_init(&c);
	unsigned k = 0;
	bool good = true;
	while ((st = tr_chunk_next(&f, &ci)) == TR_OK) {
		if ((st = tr_chunk_load(&f, &ci, &c)) != TR_OK)
			break;
		if (k >= nex || ex[k].kind != CHUNK_MARK || ex[k].chunk_icount != ci.icount ||
		    ex[k].chunk_ninsn != ci.ninsn) {
			check(false, "%s: chunk %u header (icount %llu, %u insns)", label, ci.index,
			      (unsigned long long)ci.icount, ci.ninsn);
			good = false;
			break;
		}
		k++;
		while (tr_next(&c, &r) == TR_OK) {
			if (k >= nex || !same_rec(&ex[k], &r, &c, k >= nex ? strcpy(why, "extra record") : why)) {
				if (good)
					check(false, "%s: record %u (chunk %u, payload offset %u): %s", label, k,
					      ci.index, r.off, k >= nex ? "extra record" : why);
				good = false;
				break;
			}
			k++;
		}
		if (!good)
			break;
		(*chunks)++;
	}
	if (st == TR_END && good && verbose)
		check(k == nex, "%s: all %u records read back (%u)", label, nex, k);
	if (st != TR_END && verbose)
		printf("%s: %s\n", label, f.err);
	tr_chunk_free(&c);
	tr_close(&f);
	return st;
}

/* ------------------------------------------------------------ damage */

static uint8_t *file_data(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	uint8_t *d = malloc((size_t)n + 1);
	if (d && fread(d, 1, (size_t)n, fp) != (size_t)n) {
		free(d);
		d = NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return d;
}

static void put_file(const char *path, const uint8_t *d, size_t len)
{
	FILE *fp = fopen(path, "wb");
	if (!fp || fwrite(d, 1, len, fp) != len) {
		printf("FAIL: cannot write %s\n", path);
		exit(1);
	}
	fclose(fp);
}

/* A file with one good chunk then one whose payload has raw bytes appended
 * (valid CRCs: the reader must find the bad record itself) */
static void write_bad_record(const char *path, const uint8_t *raw, size_t n, const char *label)
{
	char err[256];
	uint8_t st[TRACE_STATE_SIZE];
	static const uint8_t nop[1] = { 0x90 };
	/* the expected records: only chunk 0 */
	nex = 0;
	make_state(st, 0, 0, 0, 7);
	tf = tracefile_open(path, &info, st, err, sizeof(err));
	if (!tf) {
		printf("FAIL: tracefile_open: %s\n", err);
		exit(1);
	}
	sink = tracefile_sink(tf);
	size_t cap;
	uint8_t *buf = tracefile_buffer(tf, &cap);
	begin(st, buf, cap);
	insn(0, 0x1000, 0, 0, -1, 0x1000, 1, nop);
	insn(1, 0x1001, 0, 0, -1, 0x1001, 1, nop);
	uint8_t st2[TRACE_STATE_SIZE];
	make_state(st2, 2, 0, 0, 8);
	unsigned keep = nex;
	end_chunk(true, st2);
	insn(2, 0x1000, 0, 0, -1, 0x1000, 1, nop);
	/* the damage: bytes the encoder would never write */
	if (enc.len + n > enc.cap) {
		printf("FAIL: buffer too small\n");
		exit(1);
	}
	memcpy(enc.buf + enc.len, raw, n);
	enc.len += n;
	end_chunk(false, NULL);
	nex = keep;
	if (tracefile_close(tf, err, sizeof(err)) < 0)
		printf("FAIL: tracefile_close: %s\n", err);
	unsigned chunks;
	int st_ = read_back(path, label, &chunks, false);
	check(st_ == TR_CORRUPT && chunks == 1, "%s: corrupt after 1 whole chunk (status %d, %u chunks)",
	      label, st_, chunks);
}

int main(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/trace-roundtrip.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("trace-roundtrip: mkdtemp");
		return 1;
	}
	char path[300], cut[300];
	snprintf(path, sizeof(path), "%s/main.trc", tmpdir);
	snprintf(cut, sizeof(cut), "%s/cut.trc", tmpdir);

	/* ---- every record kind ---- */
	write_main(path);
	unsigned chunks;
	int st = read_back(path, "round trip", &chunks, true);
	check(st == TR_END && chunks == 3, "round trip: a whole file of 3 chunks (status %d, %u chunks)", st, chunks);

	/* the header */
	struct tr_file f;
	st = tr_open(&f, path);
	check(st == TR_OK, "open: %s", f.err);
	if (st == TR_OK) {
		check(f.major == 1 && f.minor == 0 && f.state_size == TRACE_STATE_SIZE &&
		      f.header_size == TRACE_HEADER_FIXED + TRACE_STATE_SIZE, "header: version and sizes");
		check(f.what == info.what && f.ram_size == info.ram_size && f.cpuid_sig == 0x0633,
		      "header: what, RAM size, CPUID");
		check(!strcmp(f.vendor, "GenuineIntel") && !strcmp(f.model, "shade86 test CPU") &&
		      !strcmp(f.machine, "test"), "header: vendor, model, machine");
		check(tr_get64(f.state0 + TST_ICOUNT) == 100 && tr_get32(f.state0 + TST_CR + 8) == 0x00123001,
		      "header: the initial state block");
		tr_close(&f);
	}

	/* chunk offsets, for the cuts */
	struct tr_chunk_info ci[8];
	unsigned nci = 0;
	size_t flen;
	uint8_t *data = file_data(path, &flen);
	if (!data) {
		printf("FAIL: cannot read %s back\n", path);
		return 1;
	}
	if (tr_open(&f, path) == TR_OK) {
		while (nci < 8 && tr_chunk_next(&f, &ci[nci]) == TR_OK)
			nci++;
		tr_close(&f);
	}
	check(nci == 3, "3 chunk headers (%u)", nci);

	/* ---- truncation at many offsets ---- */
	size_t hdr = TRACE_HEADER_FIXED + TRACE_STATE_SIZE;
	size_t offs[64];
	unsigned noff = 0;
	offs[noff++] = 0;
	offs[noff++] = 5;
	offs[noff++] = 10;
	offs[noff++] = 100;
	offs[noff++] = TRACE_HEADER_FIXED;
	offs[noff++] = hdr - 1;
	for (unsigned i = 0; i < nci; i++) {
		size_t o = ci[i].offset;
		offs[noff++] = o;                     /* exactly between chunks: whole */
		offs[noff++] = o + 2;
		offs[noff++] = o + 20;
		offs[noff++] = o + TRACE_CHUNK_HDR - 1;
		offs[noff++] = o + TRACE_CHUNK_HDR;
		offs[noff++] = o + TRACE_CHUNK_HDR + 1;
		offs[noff++] = o + TRACE_CHUNK_HDR + ci[i].csize / 2;
		offs[noff++] = o + TRACE_CHUNK_HDR + ci[i].csize - 1;
	}
	for (unsigned i = 0; i < noff; i++) {
		size_t o = offs[i];
		char label[64];
		snprintf(label, sizeof(label), "cut at %zu", o);
		put_file(cut, data, o);
		unsigned whole = 0;
		bool boundary = o == hdr;
		for (unsigned j = 0; j < nci; j++) {
			if (ci[j].next <= o)
				whole = j + 1;
			if (ci[j].next == o)
				boundary = true;
		}
		unsigned got;
		int s = read_back(cut, label, &got, false);
		if (o < 8)
			check(s == TR_BADFILE, "%s: not a trace (status %d)", label, s);
		else if (o < hdr)
			check(s == TR_TRUNC, "%s: truncated header (status %d)", label, s);
		else if (boundary)
			check(s == TR_END && got == whole, "%s: a whole file of %u chunks (status %d, %u chunks)",
			      label, whole, s, got);
		else
			check(s == TR_TRUNC && got == whole, "%s: truncated after %u chunks (status %d, %u chunks)",
			      label, whole, s, got);
	}

	/* ---- flipped bytes ---- */
	struct { size_t off; const char *what; unsigned whole; } flips[] = {
		{ ci[1].offset + TRACE_CHUNK_HDR + ci[1].csize / 2, "payload of chunk 1", 1 },
		{ ci[1].offset + TRACE_CHUNK_HDR + 2, "zlib header of chunk 1", 1 },
		{ ci[1].offset + TRACE_CHUNK_HDR + ci[1].csize - 1, "adler32 of chunk 1", 1 },
		{ ci[2].offset + 17, "icount in chunk 2's header", 2 },
		{ ci[2].offset + 4, "compressed size in chunk 2's header", 2 },
		{ ci[2].offset + 29, "CRC of chunk 2's header", 2 },
		{ ci[0].offset + 1, "magic of chunk 0", 0 },
		{ ci[0].offset + 12, "payload CRC of chunk 0", 0 },
	};
	for (unsigned i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		data[flips[i].off] ^= 0x5a;
		put_file(cut, data, flen);
		data[flips[i].off] ^= 0x5a;
		unsigned got;
		int s = read_back(cut, flips[i].what, &got, false);
		check(s == TR_CORRUPT && got == flips[i].whole, "flipped %s: corrupt after %u chunks "
		      "(status %d, %u chunks)", flips[i].what, flips[i].whole, s, got);
	}

	/* ---- refused files ---- */
	memcpy(data, "SHADE86X", 8);
	put_file(cut, data, flen);
	st = tr_open(&f, cut);
	check(st == TR_BADFILE, "bad magic refused (status %d)", st);
	memcpy(data, TRACE_MAGIC, 8);
	data[8] = 2;
	put_file(cut, data, flen);
	st = tr_open(&f, cut);
	check(st == TR_BADFILE && strstr(f.err, "version"), "major version 2 refused (status %d: %s)", st, f.err);
	data[8] = 1;
	data[10] = 7;       /* a later minor is read */
	put_file(cut, data, flen);
	st = tr_open(&f, cut);
	check(st == TR_OK, "minor version 7 accepted (status %d)", st);
	if (st == TR_OK)
		tr_close(&f);
	snprintf(cut, sizeof(cut), "%s/missing.trc", tmpdir);
	st = tr_open(&f, cut);
	check(st == TR_BADFILE, "a missing file (status %d)", st);
	snprintf(cut, sizeof(cut), "%s/cut.trc", tmpdir);
	free(data);

	/* ---- valid CRCs, bad records ---- */
	static const uint8_t reserved[] = { 0x09 };
	static const uint8_t zero[] = { 0x00 };
	static const uint8_t undefined_id[] = { 0x80 | 20 };          /* id 0 + 5: not defined */
	static const uint8_t zigzag_far[] = { 0x9f, 0x80, 0x80, 0x80, 0x80, 0x10 };  /* > 32 bits */
	static const uint8_t io_size3[] = { 0x06, 0x03, 0x60, 0x00, 1, 2, 3 };
	static const uint8_t io_cut[] = { 0x06, 0x04, 0x60, 0x00, 1, 2 };
	static const uint8_t cut_insn[] = { 0xa0, 0x00, 0x10 };       /* JUMP, lin cut short */
	static const uint8_t len0[] = { 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }; /* NEW, len 0 */
	static const uint8_t len16[] = { 0xc0, 0, 0, 0, 0, 16 };
	static const uint8_t mem_rsv[] = { 0x44, 0x00, 0, 0, 0, 0, 1 };
	static const uint8_t cr2[] = { 0x03, 0x02, 0, 0, 0, 0 };
	static const uint8_t intr_kind[] = { 0x05, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t regs15[] = { 0x04, 0x00, 0x80 };
	static const uint8_t regs_cut[] = { 0x04, 0xff, 0x01, 1, 2, 3 };
	static const uint8_t sync_long[] = { 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t event_bad[] = { 0x08, 0x09, 0x00 };
	static const uint8_t state_cut[] = { 0x07, 1, 2, 3 };
	static const uint8_t mode_cpl[] = { 0x02, 0x04, 0x00 };
	struct { const uint8_t *b; size_t n; const char *what; } bad[] = {
		{ reserved, sizeof(reserved), "reserved tag 0x09" },
		{ zero, sizeof(zero), "reserved tag 0x00" },
		{ undefined_id, sizeof(undefined_id), "undefined instruction id" },
		{ zigzag_far, sizeof(zigzag_far), "zigzag delta over 32 bits" },
		{ io_size3, sizeof(io_size3), "IO size 3" },
		{ io_cut, sizeof(io_cut), "IO cut short" },
		{ cut_insn, sizeof(cut_insn), "INSN cut short" },
		{ len0, sizeof(len0), "INSN length 0" },
		{ len16, sizeof(len16), "INSN length 16" },
		{ mem_rsv, sizeof(mem_rsv), "MEM reserved bits" },
		{ cr2, sizeof(cr2), "CR2" },
		{ intr_kind, sizeof(intr_kind), "INTR kind 4" },
		{ regs15, sizeof(regs15), "REGS bit 15" },
		{ regs_cut, sizeof(regs_cut), "REGS cut short" },
		{ sync_long, sizeof(sync_long), "SYNC varint of 11 bytes" },
		{ event_bad, sizeof(event_bad), "EVENT kind 9" },
		{ state_cut, sizeof(state_cut), "STATE cut short" },
		{ mode_cpl, sizeof(mode_cpl), "MODE CPL 4" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		write_bad_record(cut, bad[i].b, bad[i].n, bad[i].what);

	unlink(path);
	unlink(cut);
	rmdir(tmpdir);
	printf("trace-roundtrip: %u checks, %u failed\n", nchecks, nfailed);
	return nfailed ? 1 : 0;
}

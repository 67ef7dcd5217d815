/*
 * Instruction tracing: the record encoder and the recorder (see trace.h and
 * docs/trace-format.md).
 */
#include <stdlib.h>
#include <string.h>

#include "interp.h"

/* ---------------------------------------------------------------- encoder */

/* Room for n more bytes.  A chunk is handed on between instructions once it
 * passes TRACE_CHUNK_TARGET; one instruction can add more than the slack (a
 * REP batch with its memory records, FXSAVE), so the buffer may grow. */
static bool grow(struct tenc *e, size_t n)
{
	size_t nc = e->cap ? e->cap : 4096;
	while (nc < e->len + n)
		nc *= 2;
	uint8_t *p = realloc(e->buf, nc);
	if (!p) {
		e->failed = true;
		return false;
	}
	e->buf = p;
	e->cap = nc;
	return true;
}

static inline uint8_t *room(struct tenc *e, size_t n)
{
	if (__builtin_expect(e->len + n > e->cap, 0) && !grow(e, n))
		return NULL;
	return e->buf + e->len;
}

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static inline uint32_t zigzag(uint32_t d)
{
	return (d << 1) ^ (uint32_t)((int32_t)d >> 31);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The decoder state a STATE record sets */
static void take_state(struct tenc *e, const uint8_t *st)
{
	for (int i = 0; i < 8; i++)
		e->regs[i] = get32(st + TST_GPR + 4 * i);
	e->regs[8] = get32(st + TST_EFLAGS);
	for (int i = 0; i < 6; i++) {
		const uint8_t *s = st + TST_SEG + 16 * i;
		e->segs[i].sel = (uint16_t)(s[0] | s[1] << 8);
		e->segs[i].valid = (uint16_t)(s[2] | s[3] << 8);
		e->segs[i].base = get32(s + 4);
		e->segs[i].limit = get32(s + 8);
		e->segs[i].attr = get32(s + 12);
	}
	e->counter = get64(st + TST_ICOUNT);
	e->cpl = st[TST_CPL];
	e->mode = st[TST_MODE];
}

void tenc_state(struct tenc *e, const uint8_t *st)
{
	uint8_t *p = room(e, 1 + TRACE_STATE_SIZE);
	if (!p)
		return;
	p[0] = TREC_STATE;
	memcpy(p + 1, st, TRACE_STATE_SIZE);
	e->len += 1 + TRACE_STATE_SIZE;
	take_state(e, st);
}

void tenc_begin(struct tenc *e, uint8_t *buf, size_t cap, const uint8_t *st)
{
	memset(e, 0, sizeof(*e));
	e->buf = buf;
	e->cap = cap;
	tenc_state(e, st);
	e->first_icount = e->counter;
}

uint32_t tenc_insn(struct tenc *e, uint64_t icount, uint32_t lin, uint8_t cpl, uint8_t mode,
		   int64_t id, uint32_t phys, unsigned len, const uint8_t *bytes)
{
	uint8_t *p = room(e, 64);
	if (!p)
		return 0;
	if (icount != e->counter) {
		*p++ = TREC_SYNC;
		p = put_varint(p, icount);
	}
	if (cpl != e->cpl || mode != e->mode) {
		*p++ = TREC_MODE;
		*p++ = cpl;
		*p++ = mode;
		e->cpl = cpl;
		e->mode = mode;
	}
	uint8_t *tag = p++;
	*tag = TREC_INSN;
	if (!e->have_prev || lin != e->prev_lin + e->prev_len) {
		*tag |= TREC_INSN_JUMP;
		tput32(p, lin);
		p += 4;
	}
	uint32_t nid;
	if (id < 0) {
		*tag |= TREC_INSN_NEW;
		nid = e->next_id++;
		tput32(p, phys);
		p[4] = (uint8_t)len;
		memcpy(p + 5, bytes, len);
		p += 5 + len;
	} else {
		nid = (uint32_t)id;
		int32_t d = (int32_t)(nid - e->prev_id);
		if (d >= -15 && d <= 15) {
			*tag |= (uint8_t)(d + 15);
		} else {
			*tag |= 31;
			p = put_varint(p, zigzag((uint32_t)d));
		}
	}
	e->len = (size_t)(p - e->buf);
	e->prev_id = nid;
	e->prev_lin = lin;
	e->prev_len = len;
	e->have_prev = true;
	e->counter = icount + 1;
	e->ninsn++;
	return nid;
}

void tenc_mem(struct tenc *e, uint32_t lin, uint32_t phys, unsigned size, uint32_t value, bool write)
{
	uint8_t *p = room(e, 16);
	if (!p)
		return;
	uint8_t *tag = p++;
	*tag = (uint8_t)(TREC_MEM | (write ? TREC_MEM_W : 0) | ((size - 1) & 3));
	p = put_varint(p, zigzag(lin - e->mem_lin));
	uint32_t map = phys - lin;
	if (e->have_map && map == e->mem_map) {
		*tag |= TREC_MEM_SAME;
	} else {
		tput32(p, phys);
		p += 4;
	}
	for (unsigned i = 0; i < size; i++)
		*p++ = (uint8_t)(value >> (8 * i));
	e->len = (size_t)(p - e->buf);
	e->mem_lin = lin;
	e->mem_map = map;
	e->have_map = true;
}

void tenc_io(struct tenc *e, uint16_t port, unsigned size, uint32_t value, bool out)
{
	uint8_t *p = room(e, 8);
	if (!p)
		return;
	p[0] = TREC_IO;
	p[1] = (uint8_t)((out ? 0x80 : 0) | size);
	tput16(p + 2, port);
	for (unsigned i = 0; i < size; i++)
		p[4 + i] = (uint8_t)(value >> (8 * i));
	e->len += 4 + size;
}

void tenc_intr(struct tenc *e, unsigned kind, unsigned vector, uint32_t error, uint16_t cs, uint32_t eip)
{
	uint8_t *p = room(e, 13);
	if (!p)
		return;
	p[0] = TREC_INTR;
	p[1] = (uint8_t)kind;
	p[2] = (uint8_t)vector;
	tput32(p + 3, error);
	tput16(p + 7, cs);
	tput32(p + 9, eip);
	e->len += 13;
}

void tenc_cr(struct tenc *e, unsigned n, uint32_t value)
{
	uint8_t *p = room(e, 6);
	if (!p)
		return;
	p[0] = TREC_CR;
	p[1] = (uint8_t)n;
	tput32(p + 2, value);
	e->len += 6;
}

_Static_assert(sizeof(struct tseg) == sizeof(struct seg), "struct tseg mirrors struct seg");

void tenc_regs(struct tenc *e, const struct tregs *r)
{
	tenc_regs_raw(e, r->r, r->r[8], r->seg);
}

void tenc_regs_raw(struct tenc *e, const uint32_t *gpr, uint32_t eflags, const struct tseg *segs)
{
	unsigned mask = 0;
	for (int i = 0; i < 8; i++)
		if (gpr[i] != e->regs[i])
			mask |= 1u << i;
	if (eflags != e->regs[8])
		mask |= 1u << TREGS_EFLAGS;
	/* segment registers rarely change: one bulk compare first */
	if (__builtin_expect(memcmp(segs, e->segs, sizeof(e->segs)) != 0, 0))
		for (int i = 0; i < 6; i++) {
			const struct tseg *a = &segs[i], *b = &e->segs[i];
			if (a->sel != b->sel || a->base != b->base || a->limit != b->limit || a->attr != b->attr)
				mask |= 1u << (TREGS_SEG0 + i);
			else
				e->segs[i].valid = a->valid;
		}
	if (!mask)
		return;
	uint8_t *p = room(e, 3 + 9 * 4 + 6 * 14);
	if (!p)
		return;
	uint8_t *start = p;
	*p++ = TREC_REGS;
	tput16(p, (uint16_t)mask);
	p += 2;
	for (int i = 0; i < 8; i++)
		if (mask & (1u << i)) {
			tput32(p, gpr[i]);
			p += 4;
			e->regs[i] = gpr[i];
		}
	if (mask & (1u << TREGS_EFLAGS)) {
		tput32(p, eflags);
		p += 4;
		e->regs[8] = eflags;
	}
	for (int i = 0; i < 6; i++)
		if (mask & (1u << (TREGS_SEG0 + i))) {
			const struct tseg *s = &segs[i];
			tput16(p, s->sel);
			tput32(p + 2, s->base);
			tput32(p + 6, s->limit);
			tput32(p + 10, s->attr);
			p += 14;
			e->segs[i] = *s;
		}
	e->len += (size_t)(p - start);
}

void tenc_event(struct tenc *e, unsigned kind, unsigned reason)
{
	uint8_t *p = room(e, 3);
	if (!p)
		return;
	p[0] = TREC_EVENT;
	p[1] = (uint8_t)kind;
	p[2] = (uint8_t)reason;
	e->len += 3;
}

/* ------------------------------------------------------------ state block */

static void put_seg(uint8_t *p, const struct seg *s)
{
	tput16(p, s->sel);
	tput16(p + 2, s->valid ? 1 : 0);
	tput32(p + 4, s->base);
	tput32(p + 8, s->limit);
	tput32(p + 12, s->attr);
}

void trace_state_from_cpu(const struct cpu *cpu, uint8_t st[TRACE_STATE_SIZE])
{
	memset(st, 0, TRACE_STATE_SIZE);
	for (int i = 0; i < 8; i++)
		tput32(st + TST_GPR + 4 * i, cpu->r[i]);
	tput32(st + TST_EIP, cpu->eip);
	tput32(st + TST_EFLAGS, cpu_get_eflags(cpu));
	for (int i = 0; i < 6; i++)
		put_seg(st + TST_SEG + 16 * i, &cpu->seg[i]);
	put_seg(st + TST_LDTR, &cpu->ldtr);
	put_seg(st + TST_TR, &cpu->tr);
	tput32(st + TST_GDTR, cpu->gdtr.base);
	tput32(st + TST_GDTR + 4, cpu->gdtr.limit);
	tput32(st + TST_IDTR, cpu->idtr.base);
	tput32(st + TST_IDTR + 4, cpu->idtr.limit);
	tput32(st + TST_CR, cpu->cr0);
	tput32(st + TST_CR + 4, cpu->cr2);
	tput32(st + TST_CR + 8, cpu->cr3);
	tput32(st + TST_CR + 12, cpu->cr4);
	for (int i = 0; i < 8; i++)
		tput32(st + TST_DR + 4 * i, cpu->dr[i]);
	st[TST_CPL] = (uint8_t)cpu->cpl;
	st[TST_MODE] = trace_mode_of(cpu);
	st[TST_A20] = cpu->a20_mask == 0xffffffffu;
	st[TST_HALTED] = cpu->halted;
	tput64(st + TST_ICOUNT, cpu->icount);
	tput64(st + TST_TSC, cpu_read_tsc((struct cpu *)cpu));
	for (int i = 0; i < 8; i++) {
		tput64(st + TST_FPR + 16 * i, cpu->fpu.st[i].mant);
		tput16(st + TST_FPR + 16 * i + 8, cpu->fpu.st[i].se);
	}
	tput16(st + TST_FCW, cpu->fpu.fcw);
	tput16(st + TST_FSW, cpu->fpu.fsw);
	tput16(st + TST_FTW, cpu->fpu.ftw);
	tput16(st + TST_FOP, cpu->fpu.fop);
	tput32(st + TST_FIP, cpu->fpu.fip);
	tput32(st + TST_FDP, cpu->fpu.fdp);
	tput16(st + TST_FCS, cpu->fpu.fcs);
	tput16(st + TST_FDS, cpu->fpu.fds);
	tput32(st + TST_MXCSR, cpu->fpu.mxcsr);
	memcpy(st + TST_XMM, cpu->fpu.xmm, 128);
	tput32(st + TST_SYSENTER, cpu->sysenter_cs);
	tput32(st + TST_SYSENTER + 4, cpu->sysenter_esp);
	tput32(st + TST_SYSENTER + 8, cpu->sysenter_eip);
}

/* --------------------------------------------------------------- recorder */

static bool is_magic(const uint8_t *b, unsigned len)
{
	/* xchg bx,bx (87 DB), also with an operand-size prefix: Bochs' magic breakpoint */
	return (len == 2 && b[0] == 0x87 && b[1] == 0xdb) ||
	       (len == 3 && b[0] == 0x66 && b[1] == 0x87 && b[2] == 0xdb);
}

/* The physical address behind a host pointer the shadow tables gave, or
 * pa (the slow path's physical address) when host is NULL. */
static uint32_t host_phys(const struct cpu *cpu, const uint8_t *host, uint32_t pa)
{
	const struct mem *m = cpu->mem;
	if (!host)
		return pa;
	if (host >= m->ram && host < m->ram + m->ram_size)
		return (uint32_t)(host - m->ram);
	if (m->pam_rom && host >= m->pam_rom && host < m->pam_rom + PAM_SIZE)
		return PAM_BASE + (uint32_t)(host - m->pam_rom);
	for (unsigned i = 0; i < m->nregions; i++) {
		const struct region *r = &m->regions[i];
		if (r->kind == REGION_ROM && r->len && host >= r->rom && host < r->rom + r->len)
			return r->base + (uint32_t)(host - r->rom);
	}
	return 0xffffffffu;
}

/* Can trace_begin be skipped (trace.h, steady)? */
static void update_steady(struct trace *t)
{
	bool simple = t->on && !t->failed && !t->cfg.stop_icount &&
		      t->cfg.range_lo > t->cfg.range_hi && t->cfg.cpl < 0 && t->cfg.cr3 < 0;
	t->steady = simple ? t->cfg.what | TRACE_W_INSN : 0;
}

static void fail(struct cpu *cpu)
{
	struct trace *t = cpu->trace;
	t->failed = true;
	t->on = false;
	t->steady = 0;
	cpu->trace_rec = 0;
	cpu->trace_failed = true;
	cpu_request(cpu, CPU_REQ_STOP);   /* the frontend reports the sink's error */
}

static void begin_chunk(struct cpu *cpu, uint8_t *buf, size_t cap)
{
	struct trace *t = cpu->trace;
	uint8_t st[TRACE_STATE_SIZE];
	/* the inline path in exec.c writes a byte without asking for room
	 * while len < TRACE_CHUNK_TARGET */
	if (cap < TRACE_CHUNK_TARGET + 65536) {
		uint8_t *nb = realloc(buf, TRACE_CHUNK_TARGET + 65536);
		if (!nb) {
			free(buf);
			memset(&t->enc, 0, sizeof(t->enc));
			fail(cpu);
			return;
		}
		buf = nb;
		cap = TRACE_CHUNK_TARGET + 65536;
	}
	trace_state_from_cpu(cpu, st);
	tenc_begin(&t->enc, buf, cap, st);
	t->chunk_gen++;
	if (t->chunk_gen == 0)      /* 0 marks decode-cache slots with no id */
		t->chunk_gen = 1;
}

/* Hand the chunk on; with next, start another. */
static void flush_chunk(struct cpu *cpu, bool next)
{
	struct trace *t = cpu->trace;
	struct tenc *e = &t->enc;
	if (e->failed) {
		fail(cpu);
		return;
	}
	size_t newcap = 0;
	uint8_t *nb = t->sink.chunk(t->sink.opaque, e->buf, e->len, e->cap,
				    e->first_icount, e->ninsn, &newcap);
	e->buf = NULL;
	e->len = e->cap = 0;
	if (!nb) {
		fail(cpu);
		return;
	}
	if (next)
		begin_chunk(cpu, nb, newcap);
	else
		free(nb);
}

/* The filters for the instruction (or interrupt) at CS:EIP now */
static unsigned filter(const struct cpu *cpu, const struct trace *t)
{
	if (t->cfg.range_lo <= t->cfg.range_hi) {
		uint32_t lin = cpu->seg[S_CS].base + cpu->eip;
		if (lin < t->cfg.range_lo || lin > t->cfg.range_hi)
			return 0;
	}
	if (t->cfg.cpl >= 0 && cpu->cpl != t->cfg.cpl)
		return 0;
	if (t->cfg.cr3 >= 0 && ((cpu->cr3 ^ (uint32_t)t->cfg.cr3) & 0xfffff000u))
		return 0;
	return t->cfg.what | TRACE_W_INSN;
}

static void start(struct cpu *cpu, unsigned reason)
{
	struct trace *t = cpu->trace;
	uint8_t st[TRACE_STATE_SIZE];
	t->on = true;
	t->start_pending = 0;
	update_steady(t);
	tenc_event(&t->enc, TEV_START, reason);
	trace_state_from_cpu(cpu, st);
	tenc_state(&t->enc, st);
}

static void stop(struct cpu *cpu, unsigned reason)
{
	struct trace *t = cpu->trace;
	t->on = false;
	t->stop_after = 0;
	t->steady = 0;
	cpu->trace_rec = 0;
	tenc_event(&t->enc, TEV_STOP, reason);
}

int trace_attach(struct cpu *cpu, struct trace *t, const struct trace_config *cfg,
		 const struct trace_sink *sink, uint8_t *buf, size_t cap)
{
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	t->cfg.what |= TRACE_W_INSN;
	t->sink = *sink;
	cpu->trace = t;
	cpu->trace_rec = 0;
	cpu->trace_failed = false;
	begin_chunk(cpu, buf, cap);
	bool waiting = cfg->start_magic || cfg->port >= 0 || cfg->start_icount > cpu->icount;
	if (!waiting) {
		t->on = true;
		tenc_event(&t->enc, TEV_START, TEVR_CMDLINE);
	}
	update_steady(t);
	return t->enc.failed || t->failed ? -1 : 0;
}

int trace_finish(struct cpu *cpu)
{
	struct trace *t = cpu->trace;
	if (!t)
		return 0;
	if (!t->failed) {
		if (t->on)
			tenc_event(&t->enc, TEV_STOP, TEVR_CMDLINE);
		flush_chunk(cpu, false);
	}
	free(t->enc.buf);
	t->enc.buf = NULL;
	cpu->trace = NULL;
	cpu->trace_rec = 0;
	return t->failed ? -1 : 0;
}

void trace_begin(struct cpu *cpu)
{
	struct trace *t = cpu->trace;
	cpu->trace_rec = 0;
	if (t->failed)
		return;
	if (!t->on) {
		if (t->start_pending)
			start(cpu, t->start_pending);
		else if (t->cfg.start_icount && cpu->icount >= t->cfg.start_icount &&
			 !t->started_once && !t->cfg.start_magic && t->cfg.port < 0)
			start(cpu, TEVR_CMDLINE);
		else
			return;
		t->started_once = true;
	}
	if (t->cfg.stop_icount && cpu->icount >= t->cfg.stop_icount) {
		stop(cpu, TEVR_CMDLINE);
		t->cfg.stop_icount = 0;
		t->cfg.start_icount = 0;
		t->cfg.start_magic = false;
		t->cfg.port = -1;
		return;
	}
	cpu->trace_rec = filter(cpu, t);
}

void trace_insn(struct cpu *cpu, const struct insn *in, uint32_t *cached_id, uint32_t *cached_gen,
		const uint8_t *win, unsigned winlen)
{
	struct trace *t = cpu->trace;
	const uint8_t *bytes = win;
	uint8_t tmp[16];
	unsigned len = in->len;
	if (!win || len > winlen) {
		for (unsigned i = 0; i < len && i < 16; i++)
			tmp[i] = i < winlen && win ? win[i] : cpu->trace_fetch[i];
		bytes = tmp;
		cached_gen = NULL;
	}
	if (t->cfg.start_magic && is_magic(bytes, len) && !t->failed) {
		if (!t->on) {
			start(cpu, TEVR_MAGIC);
			t->started_once = true;
			cpu->trace_rec = filter(cpu, t);
		} else {
			t->stop_after = TEVR_MAGIC;
		}
	}
	if (!(cpu->trace_rec & TRACE_W_INSN))
		return;
	if (t->enc.len >= TRACE_CHUNK_TARGET) {
		flush_chunk(cpu, true);
		if (t->failed)
			return;
	}
	uint32_t lin = cpu->seg[S_CS].base + cpu->eip;
	int64_t id = -1;
	uint32_t phys = 0;
	if (cached_gen && *cached_gen == t->chunk_gen)
		id = *cached_id;
	else
		phys = lin_to_phys(cpu, lin, ACC_EXEC);  /* cannot fault: the bytes were just fetched */
	uint32_t nid = tenc_insn(&t->enc, cpu->icount, lin, (uint8_t)cpu->cpl, trace_mode_of(cpu),
				 id, phys, len, bytes);
	if (cached_gen) {
		*cached_gen = t->chunk_gen;
		*cached_id = nid;
	}
	t->insns++;
}

void trace_after(struct cpu *cpu)
{
	struct trace *t = cpu->trace;
	if (cpu->trace_rec & TRACE_W_REGS) {
		struct tseg segs[6];
		memcpy(segs, cpu->seg, sizeof(segs));    /* same layout (asserted above) */
		tenc_regs_raw(&t->enc, cpu->r, cpu_get_eflags(cpu), segs);
	}
	if (t->stop_after)
		stop(cpu, t->stop_after);
}

void trace_mem(struct cpu *cpu, uint32_t lin, const uint8_t *host, uint32_t pa, unsigned size,
	       uint32_t value, bool write)
{
	tenc_mem(&cpu->trace->enc, lin, host_phys(cpu, host, pa), size, value, write);
}

void trace_io(struct cpu *cpu, uint16_t port, unsigned size, uint32_t value, bool out)
{
	struct trace *t = cpu->trace;
	if (cpu->trace_rec & TRACE_W_IO)
		tenc_io(&t->enc, port, size, value, out);
	if (out && (int)port == t->cfg.port && !t->failed) {
		if (value && !t->on)
			t->start_pending = TEVR_PORT;      /* from the next instruction */
		else if (!value && t->on)
			t->stop_after = TEVR_PORT;         /* after this one */
	}
}

void trace_intr(struct cpu *cpu, unsigned kind, int vector, int error, uint32_t eip)
{
	tenc_intr(&cpu->trace->enc, kind, (unsigned)vector & 0xff, error < 0 ? 0xffffffffu : (uint32_t)error,
		  cpu->seg[S_CS].sel, eip);
}

void trace_cr(struct cpu *cpu, unsigned n, uint32_t value)
{
	tenc_cr(&cpu->trace->enc, n, value);
}

void trace_reset(struct cpu *cpu)
{
	struct trace *t = cpu->trace;
	if (!t->on || t->failed)
		return;
	uint8_t st[TRACE_STATE_SIZE];
	tenc_event(&t->enc, TEV_RESET, TEVR_RESET);
	trace_state_from_cpu(cpu, st);
	tenc_state(&t->enc, st);
}

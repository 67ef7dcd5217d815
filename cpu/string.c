/*
 * String instructions MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE and
 * both address sizes (SDM Vol. 2 "REP/REPE/REPZ/REPNE/REPNZ").
 *
 * A REP instruction runs a bounded number of iterations per step and then
 * re-executes itself (next_eip = eip), so interrupts are taken between
 * iterations as on hardware.  A fault in iteration k leaves ECX/ESI/EDI as
 * updated by the k-1 completed ones, with EIP at the instruction and EFLAGS as
 * before it (the run loop restores them; SDM Vol. 2 REP: for REPE/REPNE CMPS
 * and SCAS "the EFLAGS value is restored to the state prior to the execution
 * of the instruction").
 */
#include <string.h>

#include "interp.h"

#define REP_BATCH 1024

static inline uint32_t amask(const struct insn *in)
{
	return in->asize == 2 ? 0xffffu : 0xffffffffu;
}

static inline uint32_t areg(const struct cpu *cpu, const struct insn *in, int r)
{
	return cpu->r[r] & amask(in);
}

static inline void astep(struct cpu *cpu, const struct insn *in, int r, unsigned size)
{
	uint32_t m = amask(in);
	uint32_t d = (cpu->eflags & F_DF) ? (uint32_t)-(int32_t)size : size;
	cpu->r[r] = (cpu->r[r] & ~m) | ((cpu->r[r] + d) & m);
}

static unsigned opsize(const struct insn *in)
{
	return (in->opc & 1) ? in->osize : 1;
}

/* Runs body up to REP_BATCH times.  cmp: REPE/REPNE termination on ZF. */
#define REP_LOOP(cpu, in, cmp, body)                                                    \
	do {                                                                           \
		if (!(in)->rep) {                                                      \
			body;                                                          \
			break;                                                         \
		}                                                                      \
		for (unsigned n_ = 0;; n_++) {                                         \
			if (!areg(cpu, in, R_ECX))                                     \
				break;                                                 \
			if (n_ == REP_BATCH) {                                         \
				(cpu)->next_eip = (cpu)->eip;                          \
				break;                                                 \
			}                                                              \
			body;                                                          \
			uint32_t m_ = amask(in);                                       \
			(cpu)->r[R_ECX] = ((cpu)->r[R_ECX] & ~m_) | (((cpu)->r[R_ECX] - 1) & m_); \
			if (cmp) {                                                     \
				bool zf_ = (cpu)->eflags & F_ZF;                       \
				if (((in)->rep == 0xf3) != zf_)                        \
					break;                                         \
			}                                                              \
		}                                                                      \
	} while (0)

/*
 * Fast path for REP MOVS/STOS going forward (DF = 0) in RAM: the elements up
 * to the nearer page end are done with one translation per page and a host
 * copy, then the instruction re-executes for the rest (so interrupts are
 * still taken between chunks).  It applies only when the whole chunk passes
 * the segment checks and both pages have direct host mappings (shadow.h: no
 * write mapping exists for ROM, MMIO, page-table or translated-code pages);
 * otherwise, and for an element straddling a page, the ordinary loop runs and
 * faults where the hardware would.  Returns false when it did nothing.
 */
static uint32_t chunk_elems(const struct cpu *cpu, const struct insn *in, int r, uint32_t lin, unsigned s)
{
	uint32_t k = (0x1000 - (lin & 0xfff)) / s;
	/* 16-bit addressing: no wrap of the offset inside the chunk */
	uint32_t off = areg(cpu, in, r);
	uint32_t room = (amask(in) - off) / s + 1;
	return k < room ? k : room;
}

/* An element's value from its little-endian bytes (for the trace) */
static uint32_t elem(const uint8_t *p, unsigned s)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < s; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static bool rep_fast(struct cpu *cpu, const struct insn *in, bool movs, unsigned s)
{
	if (!in->rep || (cpu->eflags & F_DF))
		return false;
	uint32_t n = areg(cpu, in, R_ECX);
	if (n < 2)
		return false;
	uint32_t doff = areg(cpu, in, R_EDI), soff = movs ? areg(cpu, in, R_ESI) : 0;
	const struct seg *ds = &cpu->seg[S_ES];
	uint32_t dlin = ds->base + doff;
	uint32_t k = chunk_elems(cpu, in, R_EDI, dlin, s);
	uint32_t slin = 0;
	if (movs) {
		slin = cpu->seg[in->seg].base + soff;
		uint32_t ks = chunk_elems(cpu, in, R_ESI, slin, s);
		if (ks < k)
			k = ks;
	}
	if (k > n)
		k = n;
	if (k < 2)
		return false;
	uint32_t bytes = k * s;
	/* the segment checks of the whole chunk (they raise nothing here: a chunk
	 * that would fault is left to the ordinary loop) */
	const struct seg *sd = ds;
	if (cpu_protected(cpu) && !cpu_v86(cpu)) {
		if (!sd->valid || (sd->attr & 8) || !(sd->attr & 2) || (sd->attr & 4))
			return false;
		if (movs) {
			const struct seg *ss = &cpu->seg[in->seg];
			if (!ss->valid || ((ss->attr & 8) && !(ss->attr & 2)) || (!(ss->attr & 8) && (ss->attr & 4)))
				return false;
		}
	}
	if (doff + bytes - 1 > sd->limit || doff + bytes - 1 < doff)
		return false;
	if (movs && (soff + bytes - 1 > cpu->seg[in->seg].limit || soff + bytes - 1 < soff))
		return false;
	const uint8_t *src = NULL;
	if (movs) {
		src = lin_host_ptr(cpu, slin, ACC_READ);
		if (!src)
			return false;
	}
	uint8_t *dst = lin_host_ptr(cpu, dlin, ACC_WRITE);
	if (!dst)
		return false;
	/* a traced run records every element, but takes the same steps as an
	 * untraced one: tracing must not change the instruction count */
	bool rec = cpu->trace_rec & TRACE_W_MEM;
	if (movs) {
		if (dst > src && dst < src + bytes) {
			/* overlapping forward copy: element by element, as the hardware */
			for (uint32_t i = 0; i < k; i++) {
				uint8_t e[4];
				memcpy(e, src + i * s, s);
				memcpy(dst + i * s, e, s);
				if (rec) {
					trace_mem(cpu, slin + i * s, src + i * s, 0, s, elem(e, s), false);
					trace_mem(cpu, dlin + i * s, dst + i * s, 0, s, elem(e, s), true);
				}
			}
		} else {
			/* no element reads what an earlier one wrote: the values
			 * before the copy are the ones read */
			for (uint32_t i = 0; rec && i < k; i++) {
				uint32_t v = elem(src + i * s, s);
				trace_mem(cpu, slin + i * s, src + i * s, 0, s, v, false);
				trace_mem(cpu, dlin + i * s, dst + i * s, 0, s, v, true);
			}
			memmove(dst, src, bytes);
		}
		cpu->r[R_ESI] = (cpu->r[R_ESI] & ~amask(in)) | ((cpu->r[R_ESI] + bytes) & amask(in));
	} else {
		for (uint32_t i = 0; rec && i < k; i++)
			trace_mem(cpu, dlin + i * s, dst + i * s, 0, s, cpu->r[R_EAX] & size_mask(s), true);
		if (s == 1) {
			memset(dst, (int)(cpu->r[R_EAX] & 0xff), bytes);
		} else {
			uint8_t e[4];
			for (unsigned b = 0; b < s; b++)
				e[b] = (uint8_t)(cpu->r[R_EAX] >> (8 * b));
			for (uint32_t i = 0; i < k; i++)
				memcpy(dst + i * s, e, s);
		}
	}
	cpu->r[R_EDI] = (cpu->r[R_EDI] & ~amask(in)) | ((cpu->r[R_EDI] + bytes) & amask(in));
	cpu->r[R_ECX] = (cpu->r[R_ECX] & ~amask(in)) | ((cpu->r[R_ECX] - k) & amask(in));
	if (areg(cpu, in, R_ECX))
		cpu->next_eip = cpu->eip;   /* the rest in the next step */
	return true;
}

void h_movs(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	if (rep_fast(cpu, in, true, s))
		return;
	REP_LOOP(cpu, in, false, {
		uint32_t v = vread(cpu, in->seg, areg(cpu, in, R_ESI), s);
		vwrite(cpu, S_ES, areg(cpu, in, R_EDI), s, v);
		astep(cpu, in, R_ESI, s);
		astep(cpu, in, R_EDI, s);
	});
}

void h_stos(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	if (rep_fast(cpu, in, false, s))
		return;
	REP_LOOP(cpu, in, false, {
		vwrite(cpu, S_ES, areg(cpu, in, R_EDI), s, cpu->r[R_EAX]);
		astep(cpu, in, R_EDI, s);
	});
}

void h_lods(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	REP_LOOP(cpu, in, false, {
		uint32_t v = vread(cpu, in->seg, areg(cpu, in, R_ESI), s);
		reg_write(cpu, R_EAX, s, v);
		astep(cpu, in, R_ESI, s);
	});
}

void h_cmps(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	REP_LOOP(cpu, in, true, {
		uint32_t a = vread(cpu, in->seg, areg(cpu, in, R_ESI), s);
		uint32_t b = vread(cpu, S_ES, areg(cpu, in, R_EDI), s);
		alu_op(cpu, 7, a, b, s);
		astep(cpu, in, R_ESI, s);
		astep(cpu, in, R_EDI, s);
	});
}

void h_scas(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	REP_LOOP(cpu, in, true, {
		uint32_t b = vread(cpu, S_ES, areg(cpu, in, R_EDI), s);
		alu_op(cpu, 7, cpu->r[R_EAX], b, s);
		astep(cpu, in, R_EDI, s);
	});
}

void h_ins(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	uint16_t port = (uint16_t)cpu->r[R_EDX];
	io_check(cpu, port, s);
	REP_LOOP(cpu, in, false, {
		uint32_t lin = seg_check(cpu, S_ES, areg(cpu, in, R_EDI), s, ACC_WRITE);
		lin_probe_write(cpu, lin, s, ACC_WRITE);
		uint32_t v = cpu_io_in(cpu, port, s);
		lin_write(cpu, lin, s, v, ACC_WRITE);
		astep(cpu, in, R_EDI, s);
	});
}

void h_outs(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	uint16_t port = (uint16_t)cpu->r[R_EDX];
	io_check(cpu, port, s);
	REP_LOOP(cpu, in, false, {
		uint32_t v = vread(cpu, in->seg, areg(cpu, in, R_ESI), s);
		cpu_io_out(cpu, port, v, s);
		astep(cpu, in, R_ESI, s);
	});
}

/*
 * MMX, SSE and SSE2, part 1: availability checks, memory operands, data
 * movement between registers and memory, MXCSR, FXSAVE/FXRSTOR, EMMS, the
 * cache-control and ordering instructions.  Arithmetic lives in simd_int.c
 * (integer, shuffles, bitwise) and simd_fp.c (floating point, conversions).
 */
#include "simd.h"
#include "x87.h"

/* ---- availability (SDM Vol. 3 2.5 "CR0.EM, CR0.TS, CR4.OSFXSR"; Vol. 3
 * 22.25.3 tables 22-5 to 22-8; Vol. 2 "Exceptions" of each instruction) ---- */

void simd_check_mmx(struct cpu *cpu)
{
	if (cpu->cr0 & CPU_CR0_EM)
		cpu_raise(cpu, EX_UD, -1);
	if (cpu->cr0 & CPU_CR0_TS)
		cpu_raise(cpu, EX_NM, -1);
	x87_check_pending(cpu);
}

void simd_check_sse(struct cpu *cpu)
{
	if ((cpu->cr0 & CPU_CR0_EM) || !(cpu->cr4 & CPU_CR4_OSFXSR))
		cpu_raise(cpu, EX_UD, -1);
	if (cpu->cr0 & CPU_CR0_TS)
		cpu_raise(cpu, EX_NM, -1);
}

void simd_check_sse_mmx(struct cpu *cpu)
{
	simd_check_sse(cpu);
	x87_check_pending(cpu);
}

_Noreturn void simd_fp_exception(struct cpu *cpu)
{
	cpu_raise(cpu, (cpu->cr4 & CPU_CR4_OSXMMEXCPT) ? EX_XM : EX_UD, -1);
}

/* ---- memory operands ---- */

static uint32_t check_lin(struct cpu *cpu, int sreg, uint32_t off, unsigned n, int acc, bool align16)
{
	uint32_t lin = seg_check(cpu, sreg, off, n, acc);
	/* 128-bit operands of the legacy SSE forms: #GP(0) if the address is
	 * not a multiple of 16, whatever the segment (SDM Vol. 1 11.6.8) */
	if (align16 && (lin & 15))
		cpu_raise(cpu, EX_GP, 0);
	return lin;
}

void simd_read_at(struct cpu *cpu, int sreg, uint32_t off, void *buf, unsigned n, bool align16)
{
	uint32_t lin = check_lin(cpu, sreg, off, n, ACC_READ, align16);
	uint8_t *p = buf;
	for (unsigned i = 0; i < n; i += 4) {
		unsigned k = n - i < 4 ? n - i : 4;
		uint32_t v = lin_read(cpu, lin + i, k, ACC_READ);
		for (unsigned j = 0; j < k; j++)
			p[i + j] = (uint8_t)(v >> (8 * j));
	}
}

uint32_t simd_probe_at(struct cpu *cpu, int sreg, uint32_t off, unsigned n, bool align16)
{
	uint32_t lin = check_lin(cpu, sreg, off, n, ACC_WRITE, align16);
	lin_probe_write(cpu, lin, n, 0);
	return lin;
}

void simd_mem_commit(struct cpu *cpu, uint32_t lin, const void *buf, unsigned n)
{
	const uint8_t *p = buf;
	for (unsigned i = 0; i < n; i += 4) {
		unsigned k = n - i < 4 ? n - i : 4;
		uint32_t v = 0;
		for (unsigned j = 0; j < k; j++)
			v |= (uint32_t)p[i + j] << (8 * j);
		lin_write(cpu, lin + i, k, v, 0);
	}
}

void simd_mem_read(struct cpu *cpu, const struct insn *in, void *buf, unsigned n, bool align16)
{
	simd_read_at(cpu, in->seg, ea_offset(cpu, in), buf, n, align16);
}

uint32_t simd_mem_probe(struct cpu *cpu, const struct insn *in, unsigned n, bool align16)
{
	return simd_probe_at(cpu, in->seg, ea_offset(cpu, in), n, align16);
}

void simd_src_xmm(struct cpu *cpu, const struct insn *in, union vec *v, unsigned n, bool align16)
{
	if (!INSN_MEMOP(in)) {
		xmm_get(cpu, INSN_RM(in), v);
		return;
	}
	memset(v, 0, sizeof(*v));
	simd_mem_read(cpu, in, v->b, n, align16 && n == 16);
}

uint64_t simd_src_mmx(struct cpu *cpu, const struct insn *in, unsigned n)
{
	if (!INSN_MEMOP(in))
		return mmx_get(cpu, INSN_RM(in));
	union vec v;
	memset(&v, 0, sizeof(v));
	simd_mem_read(cpu, in, v.b, n, false);
	return v.q[0];
}

/* store n bytes of v to the ModRM memory operand: every check first */
static void store_mem(struct cpu *cpu, const struct insn *in, const union vec *v, unsigned n, bool align16)
{
	uint32_t lin = simd_mem_probe(cpu, in, n, align16);
	simd_mem_commit(cpu, lin, v->b, n);
}

/* ---- XMM loads and stores (SDM Vol. 2 MOVUPS, MOVAPS, MOVDQA, MOVDQU,
 * MOVSS, MOVSD, MOVLPS, MOVHPS, MOVLPD, MOVHPD, MOVHLPS, MOVLHPS, MOVQ) ---- */

/* 128-bit load: xmm(reg) <- xmm(rm)/m128 */
static void load128(struct cpu *cpu, const struct insn *in, bool align16)
{
	union vec v;
	simd_check_sse(cpu);
	simd_src_xmm(cpu, in, &v, 16, align16);
	xmm_set(cpu, INSN_REG(in), &v);
}

/* 128-bit store: xmm(rm)/m128 <- xmm(reg) */
static void store128(struct cpu *cpu, const struct insn *in, bool align16)
{
	union vec v;
	simd_check_sse(cpu);
	xmm_get(cpu, INSN_REG(in), &v);
	if (INSN_MEMOP(in))
		store_mem(cpu, in, &v, 16, align16);
	else
		xmm_set(cpu, INSN_RM(in), &v);
}

void h_movups_VpsWps(struct cpu *cpu, const struct insn *in) { load128(cpu, in, false); }
void h_movupd_VpdWpd(struct cpu *cpu, const struct insn *in) { load128(cpu, in, false); }
void h_movdqu_VdqWdq(struct cpu *cpu, const struct insn *in) { load128(cpu, in, false); }
void h_movaps_VpsWps(struct cpu *cpu, const struct insn *in) { load128(cpu, in, true); }
void h_movapd_VpdWpd(struct cpu *cpu, const struct insn *in) { load128(cpu, in, true); }
void h_movdqa_VdqWdq(struct cpu *cpu, const struct insn *in) { load128(cpu, in, true); }
void h_movups_WpsVps(struct cpu *cpu, const struct insn *in) { store128(cpu, in, false); }
void h_movupd_WpdVpd(struct cpu *cpu, const struct insn *in) { store128(cpu, in, false); }
void h_movdqu_WdqVdq(struct cpu *cpu, const struct insn *in) { store128(cpu, in, false); }
void h_movaps_WpsVps(struct cpu *cpu, const struct insn *in) { store128(cpu, in, true); }
void h_movapd_WpdVpd(struct cpu *cpu, const struct insn *in) { store128(cpu, in, true); }
void h_movdqa_WdqVdq(struct cpu *cpu, const struct insn *in) { store128(cpu, in, true); }
/* non-temporal stores: memory only, aligned (the hint has no effect here) */
void h_movntps_MpsVps(struct cpu *cpu, const struct insn *in) { store128(cpu, in, true); }
void h_movntpd_MpdVpd(struct cpu *cpu, const struct insn *in) { store128(cpu, in, true); }
void h_movntdq_MdqVdq(struct cpu *cpu, const struct insn *in) { store128(cpu, in, true); }

/* MOVSS/MOVSD load: register source moves the low element only; a memory
 * source is zero-extended to 128 bits */
static void load_scalar(struct cpu *cpu, const struct insn *in, unsigned n)
{
	union vec d, s;
	simd_check_sse(cpu);
	if (INSN_MEMOP(in)) {
		simd_src_xmm(cpu, in, &d, n, false);
	} else {
		xmm_get(cpu, INSN_RM(in), &s);
		xmm_get(cpu, INSN_REG(in), &d);
		memcpy(d.b, s.b, n);
	}
	xmm_set(cpu, INSN_REG(in), &d);
}

/* MOVSS/MOVSD store; a register destination keeps its upper elements */
static void store_scalar(struct cpu *cpu, const struct insn *in, unsigned n)
{
	union vec d, s;
	simd_check_sse(cpu);
	xmm_get(cpu, INSN_REG(in), &s);
	if (INSN_MEMOP(in)) {
		store_mem(cpu, in, &s, n, false);
	} else {
		xmm_get(cpu, INSN_RM(in), &d);
		memcpy(d.b, s.b, n);
		xmm_set(cpu, INSN_RM(in), &d);
	}
}

void h_movss_VssWss(struct cpu *cpu, const struct insn *in) { load_scalar(cpu, in, 4); }
void h_movsd_VsdWsd(struct cpu *cpu, const struct insn *in) { load_scalar(cpu, in, 8); }
void h_movss_WssVss(struct cpu *cpu, const struct insn *in) { store_scalar(cpu, in, 4); }
void h_movsd_WsdVsd(struct cpu *cpu, const struct insn *in) { store_scalar(cpu, in, 8); }

/* one 64-bit half of xmm(reg) <- m64, or <- a half of xmm(rm) */
static void load_half(struct cpu *cpu, const struct insn *in, unsigned dhalf, unsigned shalf)
{
	union vec d, s;
	simd_check_sse(cpu);
	if (INSN_MEMOP(in)) {
		simd_src_xmm(cpu, in, &s, 8, false);
		shalf = 0;
	} else {
		xmm_get(cpu, INSN_RM(in), &s);
	}
	xmm_get(cpu, INSN_REG(in), &d);
	d.q[dhalf] = s.q[shalf];
	xmm_set(cpu, INSN_REG(in), &d);
}

/* m64 <- a half of xmm(reg) (memory forms only) */
static void store_half(struct cpu *cpu, const struct insn *in, unsigned half)
{
	union vec s, t;
	simd_check_sse(cpu);
	xmm_get(cpu, INSN_REG(in), &s);
	memset(&t, 0, sizeof(t));
	t.q[0] = s.q[half];
	store_mem(cpu, in, &t, 8, false);
}

void h_movlps_VqMq(struct cpu *cpu, const struct insn *in) { load_half(cpu, in, 0, 0); }
void h_movlpd_VqMq(struct cpu *cpu, const struct insn *in) { load_half(cpu, in, 0, 0); }
void h_movhlps_VqUq(struct cpu *cpu, const struct insn *in) { load_half(cpu, in, 0, 1); }
void h_movhps_VdqMq(struct cpu *cpu, const struct insn *in) { load_half(cpu, in, 1, 0); }
void h_movhpd_VdqMq(struct cpu *cpu, const struct insn *in) { load_half(cpu, in, 1, 0); }
void h_movlhps_VdqUq(struct cpu *cpu, const struct insn *in) { load_half(cpu, in, 1, 0); }
void h_movlps_MqVq(struct cpu *cpu, const struct insn *in) { store_half(cpu, in, 0); }
void h_movlpd_MqVq(struct cpu *cpu, const struct insn *in) { store_half(cpu, in, 0); }
void h_movhps_MqVq(struct cpu *cpu, const struct insn *in) { store_half(cpu, in, 1); }
void h_movhpd_MqVq(struct cpu *cpu, const struct insn *in) { store_half(cpu, in, 1); }

/* MOVQ xmm, xmm/m64 (F3 0F 7E): the upper half is zeroed */
void h_movq_VqWq(struct cpu *cpu, const struct insn *in)
{
	union vec s;
	simd_check_sse(cpu);
	simd_src_xmm(cpu, in, &s, 8, false);
	s.q[1] = 0;
	xmm_set(cpu, INSN_REG(in), &s);
}

/* MOVQ xmm/m64, xmm (66 0F D6): a register destination gets its upper half zeroed */
void h_movq_WqVq(struct cpu *cpu, const struct insn *in)
{
	union vec s;
	simd_check_sse(cpu);
	xmm_get(cpu, INSN_REG(in), &s);
	s.q[1] = 0;
	if (INSN_MEMOP(in))
		store_mem(cpu, in, &s, 8, false);
	else
		xmm_set(cpu, INSN_RM(in), &s);
}

/* ---- MOVD / MOVQ with MMX registers and GPRs ---- */

/* MOVD mm, r/m32: zero-extended */
void h_movd_PqEd(struct cpu *cpu, const struct insn *in)
{
	simd_check_mmx(cpu);
	uint32_t v = rm_read(cpu, in, 4);
	x87_mmx_enter(cpu);
	mmx_set(cpu, INSN_REG(in), v);
}

/* MOVD xmm, r/m32: zero-extended to 128 bits */
void h_movd_VdqEd(struct cpu *cpu, const struct insn *in)
{
	union vec v;
	simd_check_sse(cpu);
	memset(&v, 0, sizeof(v));
	v.d[0] = rm_read(cpu, in, 4);
	xmm_set(cpu, INSN_REG(in), &v);
}

/* MOVD r/m32, mm */
void h_movd_EdPq(struct cpu *cpu, const struct insn *in)
{
	simd_check_mmx(cpu);
	uint32_t v = (uint32_t)mmx_get(cpu, INSN_REG(in));
	if (INSN_MEMOP(in)) {
		uint32_t lin = simd_mem_probe(cpu, in, 4, false);
		x87_mmx_enter(cpu);
		lin_write(cpu, lin, 4, v, 0);
	} else {
		x87_mmx_enter(cpu);
		cpu->r[INSN_RM(in)] = v;
	}
}

/* MOVD r/m32, xmm */
void h_movd_EdVdq(struct cpu *cpu, const struct insn *in)
{
	union vec v;
	simd_check_sse(cpu);
	xmm_get(cpu, INSN_REG(in), &v);
	rm_write(cpu, in, 4, v.d[0]);
}

/* MOVQ mm, mm/m64 */
void h_movq_PqQq(struct cpu *cpu, const struct insn *in)
{
	simd_check_mmx(cpu);
	uint64_t v = simd_src_mmx(cpu, in, 8);
	x87_mmx_enter(cpu);
	mmx_set(cpu, INSN_REG(in), v);
}

/* MOVQ mm/m64, mm and MOVNTQ m64, mm */
static void store_mmx(struct cpu *cpu, const struct insn *in)
{
	simd_check_mmx(cpu);
	uint64_t v = mmx_get(cpu, INSN_REG(in));
	if (INSN_MEMOP(in)) {
		uint32_t lin = simd_mem_probe(cpu, in, 8, false);
		x87_mmx_enter(cpu);
		simd_mem_commit(cpu, lin, &v, 8);
	} else {
		x87_mmx_enter(cpu);
		mmx_set(cpu, INSN_RM(in), v);
	}
}

void h_movq_QqPq(struct cpu *cpu, const struct insn *in) { store_mmx(cpu, in); }
void h_movntq_MqPq(struct cpu *cpu, const struct insn *in) { store_mmx(cpu, in); }

/* MOVQ2DQ xmm, mm: zero-extended; MOVDQ2Q mm, xmm: the low half.  Both are
 * x87-to-MMX transitions (SDM Vol. 2 MOVQ2DQ, MOVDQ2Q). */
void h_movq2dq_VdqNq(struct cpu *cpu, const struct insn *in)
{
	union vec v;
	simd_check_sse_mmx(cpu);
	memset(&v, 0, sizeof(v));
	v.q[0] = mmx_get(cpu, INSN_RM(in));
	x87_mmx_enter(cpu);
	xmm_set(cpu, INSN_REG(in), &v);
}

void h_movdq2q_PqUq(struct cpu *cpu, const struct insn *in)
{
	union vec v;
	simd_check_sse_mmx(cpu);
	xmm_get(cpu, INSN_RM(in), &v);
	x87_mmx_enter(cpu);
	mmx_set(cpu, INSN_REG(in), v.q[0]);
}

/* MOVNTI m32, r32: no FPU/SSE state involved, no CR0/CR4 checks */
void h_movnti_MdGd(struct cpu *cpu, const struct insn *in)
{
	rm_write(cpu, in, 4, cpu->r[INSN_REG(in)]);
}

/* ---- sign masks ---- */

void h_movmskps_GdUps(struct cpu *cpu, const struct insn *in)
{
	union vec v;
	simd_check_sse(cpu);
	xmm_get(cpu, INSN_RM(in), &v);
	uint32_t m = 0;
	for (unsigned i = 0; i < 4; i++)
		m |= (v.d[i] >> 31) << i;
	cpu->r[INSN_REG(in)] = m;
}

void h_movmskpd_GdUpd(struct cpu *cpu, const struct insn *in)
{
	union vec v;
	simd_check_sse(cpu);
	xmm_get(cpu, INSN_RM(in), &v);
	cpu->r[INSN_REG(in)] = (uint32_t)((v.q[0] >> 63) | ((v.q[1] >> 63) << 1));
}

void h_pmovmskb_GdNq(struct cpu *cpu, const struct insn *in)
{
	simd_check_mmx(cpu);
	uint64_t v = mmx_get(cpu, INSN_RM(in));
	uint32_t m = 0;
	for (unsigned i = 0; i < 8; i++)
		m |= (uint32_t)((v >> (8 * i + 7)) & 1) << i;
	x87_mmx_enter(cpu);
	cpu->r[INSN_REG(in)] = m;
}

void h_pmovmskb_GdUdq(struct cpu *cpu, const struct insn *in)
{
	union vec v;
	simd_check_sse(cpu);
	xmm_get(cpu, INSN_RM(in), &v);
	uint32_t m = 0;
	for (unsigned i = 0; i < 16; i++)
		m |= (uint32_t)(v.b[i] >> 7) << i;
	cpu->r[INSN_REG(in)] = m;
}

/* ---- MASKMOVQ / MASKMOVDQU: byte-masked store to DS:(E)DI (segment
 * override allowed).  The SDM leaves it implementation dependent whether
 * the bytes that are not written (or an all-zero mask) can fault; here, as
 * on the host processors this was checked against, the whole 8- or 16-byte
 * region is checked like a store (segment limit, paging) and only the
 * selected bytes are written, after all checks. ---- */
static void maskmov(struct cpu *cpu, const struct insn *in, const uint8_t *data, const uint8_t *mask, unsigned n)
{
	uint32_t off = cpu->r[R_EDI];
	if (in->asize == 2)
		off &= 0xffff;
	/* MASKMOVQ enters MMX mode even when the store then faults (seen on
	 * the host), unlike the other MMX instructions with memory operands */
	if (n == 8)
		x87_mmx_enter(cpu);
	uint32_t lin = simd_probe_at(cpu, in->seg, off, n, false);
	for (unsigned i = 0; i < n; i++)
		if (mask[i] & 0x80)
			lin_write(cpu, lin + i, 1, data[i], 0);
}

void h_maskmovq_PqNq(struct cpu *cpu, const struct insn *in)
{
	simd_check_mmx(cpu);
	uint64_t d = mmx_get(cpu, INSN_REG(in)), m = mmx_get(cpu, INSN_RM(in));
	uint8_t db[8], mb[8];
	memcpy(db, &d, 8);
	memcpy(mb, &m, 8);
	maskmov(cpu, in, db, mb, 8);
}

void h_maskmovdqu_VdqUdq(struct cpu *cpu, const struct insn *in)
{
	union vec d, m;
	simd_check_sse(cpu);
	xmm_get(cpu, INSN_REG(in), &d);
	xmm_get(cpu, INSN_RM(in), &m);
	maskmov(cpu, in, d.b, m.b, 16);
}

/* ---- EMMS, MXCSR ---- */

/* EMMS: every tag empty, and TOP = 0 like any MMX instruction (checked
 * against the host; SDM Vol. 1 9.5.1 table 9-3) */
void h_emms(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	simd_check_mmx(cpu);
	cpu->fpu.fsw &= (uint16_t)~FSW_TOP;
	x87_emms(cpu);
}

void h_ldmxcsr_Md(struct cpu *cpu, const struct insn *in)
{
	simd_check_sse(cpu);
	uint32_t v = vread(cpu, in->seg, ea_offset(cpu, in), 4);
	if (v & ~MXCSR_MASK_VALUE)
		cpu_raise(cpu, EX_GP, 0);
	/* flags and masks are loaded as they are: a flag whose exception is
	 * unmasked raises nothing until an instruction detects one */
	cpu->fpu.mxcsr = v;
}

void h_stmxcsr_Md(struct cpu *cpu, const struct insn *in)
{
	simd_check_sse(cpu);
	vwrite(cpu, in->seg, ea_offset(cpu, in), 4, cpu->fpu.mxcsr);
}

/* ---- FXSAVE / FXRSTOR (SDM Vol. 2 FXSAVE, table "Non-64-bit-Mode Layout of
 * FXSAVE and FXRSTOR Memory Region"; Vol. 1 10.5.1) ----
 *    0 FCW   2 FSW   4 abridged FTW   5 reserved   6 FOP   8 FPU IP
 *   12 CS   14 reserved   16 FPU DP   20 DS   22 reserved
 *   24 MXCSR   28 MXCSR_MASK   32 + 16 i: ST(i) / MM   160 + 16 i: XMMi
 *  288-463 reserved (written as zero), 464-511 available to software (never
 *  written by FXSAVE).
 * The x87 registers are stored in stack order, ST(0) first.  The image is
 * the same in real, protected and v86 mode and for both operand sizes.
 * With CR4.OSFXSR = 0 the SDM leaves it implementation dependent whether the
 * XMM registers and MXCSR are saved and restored.  This CPU does what Intel
 * processors are reported to do (observed by the Linux KVM developers when
 * they wrote their FXSAVE emulation): MXCSR is always saved and restored
 * (and checked), XMM0-7 are neither saved (their 128 bytes of the image are
 * not written) nor restored.
 * The memory operand must be 16-byte aligned: #GP(0) otherwise. */

#define FXSAVE_WRITTEN 464u

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

static void fx_avail(struct cpu *cpu)
{
	/* SDM Vol. 2 FXSAVE/FXRSTOR: CR0.TS or CR0.EM set -> #NM */
	if (cpu->cr0 & (CPU_CR0_EM | CPU_CR0_TS))
		cpu_raise(cpu, EX_NM, -1);
}

void h_fxsave_M(struct cpu *cpu, const struct insn *in)
{
	const struct fpu *f = &cpu->fpu;
	uint8_t img[512];
	fx_avail(cpu);
	uint32_t lin = simd_mem_probe(cpu, in, 512, true);
	memset(img, 0, sizeof(img));
	put16(img + 0, f->fcw);
	put16(img + 2, f->fsw);
	img[4] = x87_abridged_tags(cpu);
	put16(img + 6, f->fop & 0x7ff);
	put32(img + 8, f->fip);
	put16(img + 12, f->fcs);
	put32(img + 16, f->fdp);
	put16(img + 20, f->fds);
	put32(img + 24, f->mxcsr);
	put32(img + 28, MXCSR_MASK_VALUE);
	unsigned top = (f->fsw & FSW_TOP) >> FSW_TOP_SHIFT;
	for (unsigned i = 0; i < 8; i++) {
		const struct x87reg *r = &f->st[(top + i) & 7];
		memcpy(img + 32 + 16 * i, &r->mant, 8);
		put16(img + 40 + 16 * i, r->se);
	}
	if (cpu->cr4 & CPU_CR4_OSFXSR) {
		memcpy(img + 160, f->xmm, 128);
		simd_mem_commit(cpu, lin, img, FXSAVE_WRITTEN);
	} else {
		simd_mem_commit(cpu, lin, img, 160);
		simd_mem_commit(cpu, lin + 288, img + 288, FXSAVE_WRITTEN - 288);
	}
}

void h_fxrstor_M(struct cpu *cpu, const struct insn *in)
{
	struct fpu *f = &cpu->fpu;
	uint8_t img[512];
	fx_avail(cpu);
	simd_mem_read(cpu, in, img, 512, true);
	uint32_t mxcsr = get32(img + 24);
	if (mxcsr & ~MXCSR_MASK_VALUE)
		cpu_raise(cpu, EX_GP, 0);
	x87_set_fcw(cpu, get16(img + 0));
	uint16_t fsw = get16(img + 2);
	unsigned top = (fsw & FSW_TOP) >> FSW_TOP_SHIFT;
	for (unsigned i = 0; i < 8; i++) {
		struct x87reg *r = &f->st[(top + i) & 7];
		memcpy(&r->mant, img + 32 + 16 * i, 8);
		r->se = get16(img + 40 + 16 * i);
	}
	/* the tags follow the restored register contents, so after them */
	x87_set_abridged_tags(cpu, img[4]);
	x87_set_fsw(cpu, fsw);
	f->fop = get16(img + 6) & 0x7ff;
	f->fip = get32(img + 8);
	f->fcs = get16(img + 12);
	f->fdp = get32(img + 16);
	f->fds = get16(img + 20);
	f->mxcsr = mxcsr;
	if (cpu->cr4 & CPU_CR4_OSFXSR)
		memcpy(f->xmm, img + 160, 128);
}

/* ---- cache control and ordering ---- */

/* CLFLUSH m8: no cache to flush; the checks are those of a byte load, except
 * that an execute-only code segment is allowed (SDM Vol. 2 CLFLUSH).  The
 * page is translated (#PF) but not read, so devices see no access. */
void h_clflush_Mb(struct cpu *cpu, const struct insn *in)
{
	uint32_t lin = seg_check(cpu, in->seg, ea_offset(cpu, in), 1, ACC_EXEC);
	lin_to_phys(cpu, lin, ACC_READ);
}

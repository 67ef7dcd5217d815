/*
 * MMX, SSE and SSE2: what the handlers in cpu/simd*.c share.
 *
 * State (cpu.h, struct fpu): MMX register i is the significand of physical
 * x87 register i (st[i].mant); writing it also sets st[i].se to 0xFFFF
 * (SDM Vol. 1 9.5.1).  XMM registers are fpu.xmm[i], 16 bytes little-endian;
 * MXCSR is fpu.mxcsr.  Handlers copy registers into a local `union vec`,
 * compute, and copy back, so that the byte arrays are never accessed
 * through another type.
 *
 * Every handler does all of its checks and memory reads (and probes its
 * memory writes) before it changes any state, so a fault leaves the
 * instruction without effect (SDM Vol. 3 6.5: faults are restartable).
 *
 * Availability (SDM Vol. 3 2.5, 13.1; Vol. 3 22.25.3 tables "Exception
 * Conditions for ... SIMD/MMX Instructions"), checked in this order:
 *   MMX registers only:  CR0.EM -> #UD, CR0.TS -> #NM, pending x87 -> #MF
 *   SSE/SSE2 (XMM):      CR0.EM -> #UD, CR4.OSFXSR = 0 -> #UD, CR0.TS -> #NM
 *   XMM and MMX both:    the SSE checks, then a pending x87 exception -> #MF
 *   FXSAVE/FXRSTOR:      CR0.EM or CR0.TS -> #NM
 */
#ifndef SHADE86_SIMD_H
#define SHADE86_SIMD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "interp.h"

/* MXCSR (SDM Vol. 1 10.2.3) */
#define MXCSR_IE   0x0001u
#define MXCSR_DE   0x0002u
#define MXCSR_ZE   0x0004u
#define MXCSR_OE   0x0008u
#define MXCSR_UE   0x0010u
#define MXCSR_PE   0x0020u
#define MXCSR_FLAGS 0x003fu
#define MXCSR_DAZ  0x0040u
#define MXCSR_IM   0x0080u
#define MXCSR_DM   0x0100u
#define MXCSR_ZM   0x0200u
#define MXCSR_OM   0x0400u
#define MXCSR_UM   0x0800u
#define MXCSR_PM   0x1000u
#define MXCSR_MASKS 0x1f80u
#define MXCSR_RC   0x6000u
#define MXCSR_FZ   0x8000u
/* The writable MXCSR bits, as FXSAVE reports them in MXCSR_MASK (SDM Vol. 1
 * 11.6.6): every bit of the low word, DAZ included (a Pentium 4 / Pentium M
 * class part; the Pentium III's mask is 0xFFBF).  Setting any other bit with
 * LDMXCSR or FXRSTOR is #GP(0). */
#define MXCSR_MASK_VALUE 0x0000ffffu

/* 128 bits seen as lanes of every width (the host is little-endian, as the
 * guest).  Scalar forms use lane 0. */
union vec {
	uint8_t b[16];
	int8_t sb[16];
	uint16_t w[8];
	int16_t sw[8];
	uint32_t d[4];
	int32_t sd[4];
	uint64_t q[2];
	int64_t sq[2];
	float f[4];
	double df[2];
};

/* ---- availability checks (see above) ---- */
void simd_check_mmx(struct cpu *cpu);
void simd_check_sse(struct cpu *cpu);
void simd_check_sse_mmx(struct cpu *cpu);

/* Is this row the XMM (66-prefixed) form of an MMX/SSE2 integer pair? */
static inline bool simd_is_xmm_form(const struct insn *in)
{
	return opinfo[in->op].match & M_P66;
}

/* ---- registers ---- */
static inline void xmm_get(const struct cpu *cpu, unsigned i, union vec *v)
{
	memcpy(v, cpu->fpu.xmm[i], 16);
}

static inline void xmm_set(struct cpu *cpu, unsigned i, const union vec *v)
{
	memcpy(cpu->fpu.xmm[i], v, 16);
}

static inline uint64_t mmx_get(const struct cpu *cpu, unsigned i)
{
	return cpu->fpu.st[i].mant;
}

/* Writes MMX register i (SDM Vol. 1 9.5.1: the exponent/sign field becomes
 * all ones).  The x87 transition (x87_mmx_enter) is the caller's. */
static inline void mmx_set(struct cpu *cpu, unsigned i, uint64_t v)
{
	cpu->fpu.st[i].mant = v;
	cpu->fpu.st[i].se = 0xffff;
}

/* ---- memory operands ----
 * simd_mem_read: n bytes at the ModRM memory operand into buf; align16
 * checks the 16-byte alignment of legacy SSE 128-bit operands (#GP(0),
 * SDM Vol. 1 11.4.1 / 11.6.8).  Segment and page checks as a load of n bytes.
 * simd_mem_probe: every check of a store of n bytes (segment, alignment,
 * page), raising what the store would; returns the linear address that
 * simd_mem_commit then writes without faulting. */
void simd_mem_read(struct cpu *cpu, const struct insn *in, void *buf, unsigned n, bool align16);
uint32_t simd_mem_probe(struct cpu *cpu, const struct insn *in, unsigned n, bool align16);
void simd_mem_commit(struct cpu *cpu, uint32_t lin, const void *buf, unsigned n);

/* Read-then-check helpers for arbitrary (segment, offset) operands (FXSAVE,
 * MASKMOVQ): as above with an explicit address. */
void simd_read_at(struct cpu *cpu, int sreg, uint32_t off, void *buf, unsigned n, bool align16);
uint32_t simd_probe_at(struct cpu *cpu, int sreg, uint32_t off, unsigned n, bool align16);

/* The source operand of an xmm form: register rm, or n bytes of memory
 * (zero-extended into v).  align16 applies to memory only. */
void simd_src_xmm(struct cpu *cpu, const struct insn *in, union vec *v, unsigned n, bool align16);
/* The source of an MMX form: register rm, or n (4 or 8) bytes of memory. */
uint64_t simd_src_mmx(struct cpu *cpu, const struct insn *in, unsigned n);

/* An unmasked SIMD floating-point exception: #XM with CR4.OSXMMEXCPT = 1,
 * else #UD (SDM Vol. 1 11.5.1, Vol. 3 2.5). */
_Noreturn void simd_fp_exception(struct cpu *cpu);

#endif

/*
 * MMX, SSE and SSE2, part 3: floating-point arithmetic, comparisons and
 * conversions, executed on the host.
 *
 * The host is x86-64 and has SSE2, so every SSE/SSE2 floating-point
 * instruction is run as the same host instruction, with the guest's MXCSR
 * rounding control, DAZ and FTZ loaded into the host MXCSR: results, NaN
 * propagation, MIN/MAX operand order, integer-indefinite values and the
 * exception flags of the masked responses are the hardware's own.  The host
 * always runs with every exception masked, so it never takes SIGFPE; the
 * guest's masks are applied here (SDM Vol. 1 11.5):
 *
 *  - the host's flags show no exception that the guest has unmasked:
 *    the result is written and the flags are ORed into the guest MXCSR;
 *  - otherwise nothing is written, flags are set and #XM is raised (#UD
 *    when CR4.OSXMMEXCPT = 0, SDM Vol. 3 2.5).  Which flags: each lane is
 *    re-run alone (the other lanes set to 1.0, which raises nothing) to get
 *    its own flags.  Pre-computation exceptions (#I, #D, #Z) are detected in
 *    all lanes before any computation (SDM Vol. 1 11.5.3.2, "Handling
 *    Unmasked Exceptions"): if one of them is unmasked, the #I/#D/#Z flags
 *    of all lanes are set and nothing else.  Otherwise the post-computation
 *    flags (#O, #U, #P) of all lanes are added.  For a lane whose overflow or
 *    underflow is unmasked: #U is reported for every tiny result, exact or
 *    not (SDM Vol. 1 4.9.1.5: "reported when the result is non-zero tiny,
 *    regardless of inexactness"; FTZ is ignored when #U is unmasked, 10.2.3.3),
 *    and #P is reported when the result rounded to the destination precision
 *    with an unbounded exponent is inexact (4.9.1.6, the inexact condition
 *    that accompanies an unmasked overflow or underflow).  That rounding is
 *    checked with the host's x87 in extended precision, which holds every
 *    such result of single- and double-precision operands without overflow
 *    or underflow.
 *  Every rule of this list is checked against the host processor itself by
 *  tests/simd-diff.c, which runs the same cases natively with the guest's
 *  masks and catches the host's #XM as a signal.
 *
 * Known deviation: RCPPS/RCPSS/RSQRTPS/RSQRTSS return approximations whose
 * exact bits differ between processor generations (SDM: relative error at
 * most 1.5 * 2^-12); the values are those of the host processor.
 */
#include "simd.h"
#include "x87.h"

/* element kinds */
enum { K_F32, K_F64, K_I32 };
/* operations for the unbounded-exponent inexactness check */
enum { W_NONE, W_ADD, W_SUB, W_MUL, W_DIV, W_CVT };

enum fop {
	ADDPS, ADDSS, ADDPD, ADDSD, SUBPS, SUBSS, SUBPD, SUBSD,
	MULPS, MULSS, MULPD, MULSD, DIVPS, DIVSS, DIVPD, DIVSD,
	MINPS, MINSS, MINPD, MINSD, MAXPS, MAXSS, MAXPD, MAXSD,
	SQRTPS, SQRTSS, SQRTPD, SQRTSD, RCPPS, RCPSS, RSQRTPS, RSQRTSS,
	CMPPS, CMPSS, CMPPD, CMPSD,
	CVTDQ2PS, CVTPS2DQ, CVTTPS2DQ, CVTPS2PD, CVTPD2PS, CVTDQ2PD, CVTPD2DQ, CVTTPD2DQ,
	CVTSS2SD, CVTSD2SS, CVTSI2SS, CVTSI2SD, CVTSS2SI, CVTTSS2SI, CVTSD2SI, CVTTSD2SI,
	CVTPI2PS, CVTPS2PI, CVTTPS2PI, CVTPI2PD, CVTPD2PI, CVTTPD2PI,
	FOP_COUNT
};

struct fpdesc {
	uint8_t lanes;   /* operations performed: result lanes 0 .. lanes-1 */
	uint8_t in;      /* kind of the input elements (K_*) */
	uint8_t out;     /* kind of the result elements */
	uint8_t wide;    /* W_*: can overflow/underflow; how to redo it exactly */
};

#define ARITH(P, w) \
	[P##PS] = { 4, K_F32, K_F32, w }, [P##SS] = { 1, K_F32, K_F32, w }, \
	[P##PD] = { 2, K_F64, K_F64, w }, [P##SD] = { 1, K_F64, K_F64, w }

static const struct fpdesc desc[FOP_COUNT] = {
	ARITH(ADD, W_ADD), ARITH(SUB, W_SUB), ARITH(MUL, W_MUL), ARITH(DIV, W_DIV),
	ARITH(MIN, W_NONE), ARITH(MAX, W_NONE), ARITH(SQRT, W_NONE),
	[RCPPS] = { 4, K_F32, K_F32, W_NONE }, [RCPSS] = { 1, K_F32, K_F32, W_NONE },
	[RSQRTPS] = { 4, K_F32, K_F32, W_NONE }, [RSQRTSS] = { 1, K_F32, K_F32, W_NONE },
	[CMPPS] = { 4, K_F32, K_I32, W_NONE }, [CMPSS] = { 1, K_F32, K_I32, W_NONE },
	[CMPPD] = { 2, K_F64, K_I32, W_NONE }, [CMPSD] = { 1, K_F64, K_I32, W_NONE },
	[CVTDQ2PS] = { 4, K_I32, K_F32, W_NONE },
	[CVTPS2DQ] = { 4, K_F32, K_I32, W_NONE }, [CVTTPS2DQ] = { 4, K_F32, K_I32, W_NONE },
	[CVTPS2PD] = { 2, K_F32, K_F64, W_NONE }, [CVTPD2PS] = { 2, K_F64, K_F32, W_CVT },
	[CVTDQ2PD] = { 2, K_I32, K_F64, W_NONE },
	[CVTPD2DQ] = { 2, K_F64, K_I32, W_NONE }, [CVTTPD2DQ] = { 2, K_F64, K_I32, W_NONE },
	[CVTSS2SD] = { 1, K_F32, K_F64, W_NONE }, [CVTSD2SS] = { 1, K_F64, K_F32, W_CVT },
	[CVTSI2SS] = { 1, K_I32, K_F32, W_NONE }, [CVTSI2SD] = { 1, K_I32, K_F64, W_NONE },
	[CVTSS2SI] = { 1, K_F32, K_I32, W_NONE }, [CVTTSS2SI] = { 1, K_F32, K_I32, W_NONE },
	[CVTSD2SI] = { 1, K_F64, K_I32, W_NONE }, [CVTTSD2SI] = { 1, K_F64, K_I32, W_NONE },
	[CVTPI2PS] = { 2, K_I32, K_F32, W_NONE },
	[CVTPS2PI] = { 2, K_F32, K_I32, W_NONE }, [CVTTPS2PI] = { 2, K_F32, K_I32, W_NONE },
	[CVTPI2PD] = { 2, K_I32, K_F64, W_NONE },
	[CVTPD2PI] = { 2, K_F64, K_I32, W_NONE }, [CVTTPD2PI] = { 2, K_F64, K_I32, W_NONE },
};

/* ---- the host instruction ----
 * xmm0 = *d (destination, also the first source), xmm1 = *s; the guest
 * instruction's register-register form runs between LDMXCSR and STMXCSR of
 * the given control value; the host's own MXCSR is saved and restored in
 * the same asm statement, so no compiler-generated floating point can run
 * under the guest's settings.  Returns the MXCSR after the instruction. */
#define HOST(text) \
	__asm__ volatile("stmxcsr %[sv]\n\t" \
			 "ldmxcsr %[cs]\n\t" \
			 "movdqu %[d], %%xmm0\n\t" \
			 "movdqu %[s], %%xmm1\n\t" \
			 text "\n\t" \
			 "movdqu %%xmm0, %[d]\n\t" \
			 "stmxcsr %[out]\n\t" \
			 "ldmxcsr %[sv]" \
			 : [d] "+m"(*d), [sv] "=m"(saved), [out] "=m"(out) \
			 : [s] "m"(*s), [cs] "m"(csr) \
			 : "xmm0", "xmm1", "eax", "cc")

#define CASE(op, text) case op: HOST(text); break;
#define CMP8(insn) \
	switch (imm & 7) { \
	case 0: HOST(insn " $0, %%xmm1, %%xmm0"); break; \
	case 1: HOST(insn " $1, %%xmm1, %%xmm0"); break; \
	case 2: HOST(insn " $2, %%xmm1, %%xmm0"); break; \
	case 3: HOST(insn " $3, %%xmm1, %%xmm0"); break; \
	case 4: HOST(insn " $4, %%xmm1, %%xmm0"); break; \
	case 5: HOST(insn " $5, %%xmm1, %%xmm0"); break; \
	case 6: HOST(insn " $6, %%xmm1, %%xmm0"); break; \
	default: HOST(insn " $7, %%xmm1, %%xmm0"); break; \
	}

static uint32_t host_exec(enum fop op, union vec *d, const union vec *s, uint32_t csr, unsigned imm)
{
	uint32_t saved, out = 0;
	switch (op) {
	CASE(ADDPS, "addps %%xmm1, %%xmm0") CASE(ADDSS, "addss %%xmm1, %%xmm0")
	CASE(ADDPD, "addpd %%xmm1, %%xmm0") CASE(ADDSD, "addsd %%xmm1, %%xmm0")
	CASE(SUBPS, "subps %%xmm1, %%xmm0") CASE(SUBSS, "subss %%xmm1, %%xmm0")
	CASE(SUBPD, "subpd %%xmm1, %%xmm0") CASE(SUBSD, "subsd %%xmm1, %%xmm0")
	CASE(MULPS, "mulps %%xmm1, %%xmm0") CASE(MULSS, "mulss %%xmm1, %%xmm0")
	CASE(MULPD, "mulpd %%xmm1, %%xmm0") CASE(MULSD, "mulsd %%xmm1, %%xmm0")
	CASE(DIVPS, "divps %%xmm1, %%xmm0") CASE(DIVSS, "divss %%xmm1, %%xmm0")
	CASE(DIVPD, "divpd %%xmm1, %%xmm0") CASE(DIVSD, "divsd %%xmm1, %%xmm0")
	CASE(MINPS, "minps %%xmm1, %%xmm0") CASE(MINSS, "minss %%xmm1, %%xmm0")
	CASE(MINPD, "minpd %%xmm1, %%xmm0") CASE(MINSD, "minsd %%xmm1, %%xmm0")
	CASE(MAXPS, "maxps %%xmm1, %%xmm0") CASE(MAXSS, "maxss %%xmm1, %%xmm0")
	CASE(MAXPD, "maxpd %%xmm1, %%xmm0") CASE(MAXSD, "maxsd %%xmm1, %%xmm0")
	CASE(SQRTPS, "sqrtps %%xmm1, %%xmm0") CASE(SQRTSS, "sqrtss %%xmm1, %%xmm0")
	CASE(SQRTPD, "sqrtpd %%xmm1, %%xmm0") CASE(SQRTSD, "sqrtsd %%xmm1, %%xmm0")
	CASE(RCPPS, "rcpps %%xmm1, %%xmm0") CASE(RCPSS, "rcpss %%xmm1, %%xmm0")
	CASE(RSQRTPS, "rsqrtps %%xmm1, %%xmm0") CASE(RSQRTSS, "rsqrtss %%xmm1, %%xmm0")
	case CMPPS: CMP8("cmpps") break;
	case CMPSS: CMP8("cmpss") break;
	case CMPPD: CMP8("cmppd") break;
	case CMPSD: CMP8("cmpsd") break;
	CASE(CVTDQ2PS, "cvtdq2ps %%xmm1, %%xmm0")
	CASE(CVTPS2DQ, "cvtps2dq %%xmm1, %%xmm0")
	CASE(CVTTPS2DQ, "cvttps2dq %%xmm1, %%xmm0")
	CASE(CVTPS2PD, "cvtps2pd %%xmm1, %%xmm0")
	CASE(CVTPD2PS, "cvtpd2ps %%xmm1, %%xmm0")
	CASE(CVTDQ2PD, "cvtdq2pd %%xmm1, %%xmm0")
	CASE(CVTPD2DQ, "cvtpd2dq %%xmm1, %%xmm0")
	CASE(CVTTPD2DQ, "cvttpd2dq %%xmm1, %%xmm0")
	CASE(CVTSS2SD, "cvtss2sd %%xmm1, %%xmm0")
	CASE(CVTSD2SS, "cvtsd2ss %%xmm1, %%xmm0")
	/* integer in or out through EAX: the integer is lane 0 of *s or *d */
	CASE(CVTSI2SS, "movd %%xmm1, %%eax\n\tcvtsi2ss %%eax, %%xmm0")
	CASE(CVTSI2SD, "movd %%xmm1, %%eax\n\tcvtsi2sd %%eax, %%xmm0")
	CASE(CVTSS2SI, "cvtss2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0")
	CASE(CVTTSS2SI, "cvttss2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0")
	CASE(CVTSD2SI, "cvtsd2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0")
	CASE(CVTTSD2SI, "cvttsd2si %%xmm1, %%eax\n\tmovd %%eax, %%xmm0")
	/* the MMX forms through their XMM equivalents; the caller zeroes the
	 * unused upper half of *s, which converts without any flag: CVTPI2PS
	 * writes the low two lanes only, CVTPS2PI and friends return the low
	 * quadword */
	CASE(CVTPI2PS, "cvtdq2ps %%xmm1, %%xmm1\n\tmovsd %%xmm1, %%xmm0")
	CASE(CVTPS2PI, "cvtps2dq %%xmm1, %%xmm0")
	CASE(CVTTPS2PI, "cvttps2dq %%xmm1, %%xmm0")
	CASE(CVTPI2PD, "cvtdq2pd %%xmm1, %%xmm0")
	CASE(CVTPD2PI, "cvtpd2dq %%xmm1, %%xmm0")
	CASE(CVTTPD2PI, "cvttpd2dq %%xmm1, %%xmm0")
	case FOP_COUNT:
		break;
	}
	(void)saved;
	return out;
}

/* COMISS/UCOMISS/COMISD/UCOMISD on the host: returns MXCSR, *zpc = ZF PF CF */
static uint32_t host_comi(enum op which, const union vec *a, const union vec *b, uint32_t csr, uint32_t *zpc)
{
	uint32_t saved, out;
	uint8_t z, p, c;
#define COMI(insn) \
	__asm__ volatile("stmxcsr %[sv]\n\t" \
			 "ldmxcsr %[cs]\n\t" \
			 "movdqu %[a], %%xmm0\n\t" \
			 "movdqu %[b], %%xmm1\n\t" \
			 insn " %%xmm1, %%xmm0\n\t" \
			 "setz %[z]\n\t" \
			 "setp %[p]\n\t" \
			 "setc %[c]\n\t" \
			 "stmxcsr %[out]\n\t" \
			 "ldmxcsr %[sv]" \
			 : [sv] "=m"(saved), [out] "=m"(out), [z] "=&q"(z), [p] "=&q"(p), [c] "=&q"(c) \
			 : [a] "m"(*a), [b] "m"(*b), [cs] "m"(csr) \
			 : "xmm0", "xmm1", "cc")
	switch (which) {
	case op_COMISS_VssWss: COMI("comiss"); break;
	case op_UCOMISS_VssWss: COMI("ucomiss"); break;
	case op_COMISD_VsdWsd: COMI("comisd"); break;
	default: COMI("ucomisd"); break;
	}
#undef COMI
	(void)saved;
	*zpc = (z ? F_ZF : 0) | (p ? F_PF : 0) | (c ? F_CF : 0);
	return out;
}

/* ---- the exact check of unmasked overflow/underflow lanes ---- */

static bool is_denormal32(uint32_t v) { return !(v & 0x7f800000u) && (v & 0x007fffffu); }
static bool is_denormal64(uint64_t v) { return !(v & 0x7ff0000000000000ull) && (v & 0x000fffffffffffffull); }

/* Does the significand m need more than prec bits? */
static bool needs_more_bits(uint64_t m, unsigned prec)
{
	if (!m)
		return false;
	return (unsigned)(64 - __builtin_clzll(m) - __builtin_ctzll(m)) > prec;
}

/* Is the operation on (a, b), rounded to prec bits of significand with an
 * unbounded exponent, inexact?  a and b are float or double bit patterns
 * (already flushed by DAZ; finite, since the lane overflowed or underflowed).
 * The host x87 computes in 64-bit precision: if that is inexact, so is any
 * narrower rounding; if it is exact, the value is the true result and its
 * significand tells. */
static bool wide_inexact(unsigned wop, bool dbl, uint64_t a, uint64_t b, unsigned prec)
{
	uint16_t cw_saved, sw = 0;
	const uint16_t cw = 0x037f;   /* all masked, 64-bit precision, to nearest */
	uint8_t r[10];
	if (wop == W_CVT) {
		/* double to single: the double itself is the exact value */
		uint64_t m = a & 0x000fffffffffffffull;
		if (a & 0x7ff0000000000000ull)
			m |= 1ull << 52;
		return needs_more_bits(m, prec);
	}
	uint32_t a32 = (uint32_t)a, b32 = (uint32_t)b;
#define X87(ld, opx, A, B) \
	__asm__ volatile("fnstcw %[sv]\n\t" \
			 "fldcw %[cw]\n\t" \
			 "fnclex\n\t" \
			 ld " %[a]\n\t" \
			 opx " %[b]\n\t" \
			 "fstpt %[r]\n\t" \
			 "fnstsw %[sw]\n\t" \
			 "fnclex\n\t" \
			 "fldcw %[sv]" \
			 : [sv] "=m"(cw_saved), [r] "=m"(r), [sw] "=m"(sw) \
			 : [cw] "m"(cw), [a] "m"(A), [b] "m"(B) \
			 : "st", "cc")
	if (dbl) {
		switch (wop) {
		case W_ADD: X87("fldl", "faddl", a, b); break;
		case W_SUB: X87("fldl", "fsubl", a, b); break;
		case W_MUL: X87("fldl", "fmull", a, b); break;
		default: X87("fldl", "fdivl", a, b); break;
		}
	} else {
		switch (wop) {
		case W_ADD: X87("flds", "fadds", a32, b32); break;
		case W_SUB: X87("flds", "fsubs", a32, b32); break;
		case W_MUL: X87("flds", "fmuls", a32, b32); break;
		default: X87("flds", "fdivs", a32, b32); break;
		}
	}
#undef X87
	(void)cw_saved;
	if (sw & FSW_PE)
		return true;
	uint64_t mant;
	memcpy(&mant, r, 8);
	return needs_more_bits(mant, prec);
}

/* ---- lanes ---- */

static unsigned kind_size(unsigned k) { return k == K_F64 ? 8 : 4; }

static uint64_t lane_get(const union vec *v, unsigned kind, unsigned i)
{
	return kind == K_F64 ? v->q[i] : v->d[i];
}

static void lane_set(union vec *v, unsigned kind, unsigned i, uint64_t x)
{
	if (kind == K_F64)
		v->q[i] = x;
	else
		v->d[i] = (uint32_t)x;
}

static uint64_t kind_one(unsigned kind)
{
	return kind == K_F64 ? 0x3ff0000000000000ull : kind == K_F32 ? 0x3f800000u : 1;
}

static bool lane_denormal(const union vec *v, unsigned kind, unsigned i)
{
	if (kind == K_F64)
		return is_denormal64(v->q[i]);
	return kind == K_F32 && is_denormal32(v->d[i]);
}

static uint64_t daz(uint64_t x, unsigned kind, uint32_t mx)
{
	if (!(mx & MXCSR_DAZ))
		return x;
	if (kind == K_F64 && is_denormal64(x))
		return x & 0x8000000000000000ull;
	if (kind == K_F32 && is_denormal32((uint32_t)x))
		return x & 0x80000000u;
	return x;
}

/* The control value for the host: the guest's RC, DAZ and FTZ, every
 * exception masked, no flags.  FTZ has no effect while #U is unmasked
 * (SDM Vol. 1 10.2.3.3), and must not hide the tiny results we look for. */
static uint32_t host_csr(uint32_t mx)
{
	uint32_t csr = (mx & (MXCSR_RC | MXCSR_DAZ | MXCSR_FZ)) | MXCSR_MASKS;
	if (!(mx & MXCSR_UM))
		csr &= ~MXCSR_FZ;
	return csr;
}

/* The exception path: per-lane flags, the SDM's order of pre- and
 * post-computation exceptions.  Returns the flags to set; *fault tells
 * whether an unmasked exception remains. */
static uint32_t lanes_slow(enum fop op, const union vec *d, const union vec *s, uint32_t mx,
			   unsigned imm, bool *fault)
{
	const struct fpdesc *ds = &desc[op];
	uint32_t csr = host_csr(mx), pre = 0, post = 0;
	unsigned nin = 16 / kind_size(ds->in);
	for (unsigned i = 0; i < ds->lanes; i++) {
		union vec dd = *d, ss = *s;
		for (unsigned j = 0; j < nin; j++) {
			if (j == i)
				continue;
			lane_set(&dd, ds->in, j, kind_one(ds->in));
			lane_set(&ss, ds->in, j, kind_one(ds->in));
		}
		uint32_t f = host_exec(op, &dd, &ss, csr, imm) & MXCSR_FLAGS;
		uint32_t p = f & (MXCSR_OE | MXCSR_UE | MXCSR_PE);
		pre |= f & (MXCSR_IE | MXCSR_DE | MXCSR_ZE);
		if (ds->wide != W_NONE && !(mx & MXCSR_UM) && lane_denormal(&dd, ds->out, i))
			p |= MXCSR_UE;   /* tiny, exact or not */
		if (ds->wide != W_NONE &&
		    (((p & MXCSR_OE) && !(mx & MXCSR_OM)) || ((p & MXCSR_UE) && !(mx & MXCSR_UM)))) {
			bool dbl = ds->in == K_F64;
			uint64_t a = daz(lane_get(d, ds->in, i), ds->in, mx);
			uint64_t b = daz(lane_get(s, ds->in, i), ds->in, mx);
			if (ds->wide == W_CVT)
				a = b;
			p &= ~MXCSR_PE;
			if (wide_inexact(ds->wide, dbl, a, b, ds->out == K_F64 ? 53 : 24))
				p |= MXCSR_PE;
		}
		post |= p;
	}
	uint32_t unmasked = ~(mx >> 7) & MXCSR_FLAGS;
	if (pre & unmasked) {
		*fault = true;
		return pre;
	}
	*fault = (post & unmasked) != 0;
	return pre | post;
}

/* Runs op on *d (destination and first source) and *s.  Returns with *d
 * holding the result and the MXCSR flags updated, or raises #XM/#UD with
 * the flags set and nothing else changed. */
static void fp_run(struct cpu *cpu, enum fop op, union vec *d, const union vec *s, unsigned imm)
{
	const struct fpdesc *ds = &desc[op];
	uint32_t mx = cpu->fpu.mxcsr;
	union vec r = *d;
	uint32_t f = host_exec(op, &r, s, host_csr(mx), imm) & MXCSR_FLAGS;
	uint32_t unmasked = ~(mx >> 7) & MXCSR_FLAGS;
	bool slow = (f & unmasked) != 0;
	if (!slow && ds->wide != W_NONE && !(mx & MXCSR_UM))
		for (unsigned i = 0; i < ds->lanes; i++)
			slow |= lane_denormal(&r, ds->out, i);   /* an exact tiny result */
	if (slow) {
		bool fault;
		f = lanes_slow(op, d, s, mx, imm, &fault);
		if (fault) {
			cpu->fpu.mxcsr |= f;
			simd_fp_exception(cpu);
		}
	}
	cpu->fpu.mxcsr |= f;
	*d = r;
}

/* ================= handler forms ================= */

/* xmm(reg) = op(xmm(reg), xmm(rm) / n bytes of memory) */
static void fp_VW(struct cpu *cpu, const struct insn *in, enum fop op, unsigned n, unsigned imm)
{
	union vec d, s;
	simd_check_sse(cpu);
	simd_src_xmm(cpu, in, &s, n, true);
	xmm_get(cpu, INSN_REG(in), &d);
	fp_run(cpu, op, &d, &s, imm);
	xmm_set(cpu, INSN_REG(in), &d);
}

/* r32(reg) = op(xmm(rm) / n bytes of memory) */
static void fp_GdW(struct cpu *cpu, const struct insn *in, enum fop op, unsigned n)
{
	union vec d, s;
	simd_check_sse(cpu);
	simd_src_xmm(cpu, in, &s, n, false);
	memset(&d, 0, sizeof(d));
	fp_run(cpu, op, &d, &s, 0);
	cpu->r[INSN_REG(in)] = d.d[0];
}

/* xmm(reg) = op(xmm(reg), r/m32) */
static void fp_VEd(struct cpu *cpu, const struct insn *in, enum fop op)
{
	union vec d, s;
	simd_check_sse(cpu);
	memset(&s, 0, sizeof(s));
	s.d[0] = rm_read(cpu, in, 4);
	xmm_get(cpu, INSN_REG(in), &d);
	fp_run(cpu, op, &d, &s, 0);
	xmm_set(cpu, INSN_REG(in), &d);
}

/* mm(reg) = op(xmm(rm) / memory): CVTPS2PI (m64), CVTPD2PI (m128, aligned).
 * The destination is an MMX register: an x87-to-MMX transition, after the
 * pending-x87 check (SDM Vol. 2 CVTPS2PI). */
static void fp_PW(struct cpu *cpu, const struct insn *in, enum fop op, unsigned n)
{
	union vec d, s;
	simd_check_sse_mmx(cpu);
	simd_src_xmm(cpu, in, &s, n, true);
	if (n == 8)
		s.q[1] = 0;
	memset(&d, 0, sizeof(d));
	x87_mmx_enter(cpu);   /* before a SIMD exception too (see fp_VQ) */
	fp_run(cpu, op, &d, &s, 0);
	mmx_set(cpu, INSN_REG(in), d.q[0]);
}

/* xmm(reg) = op(xmm(reg), mm / m64): CVTPI2PS, CVTPI2PD.  Only the MMX
 * register form is an x87 transition and checks for a pending x87
 * exception (SDM Vol. 2 CVTPI2PS: "for operands xmm, m64 ... does not cause
 * a transition to MMX technology and does not take x87 FPU exceptions"). */
static void fp_VQ(struct cpu *cpu, const struct insn *in, enum fop op)
{
	union vec d, s;
	bool mmreg = !INSN_MEMOP(in);
	if (mmreg)
		simd_check_sse_mmx(cpu);
	else
		simd_check_sse(cpu);
	memset(&s, 0, sizeof(s));
	s.q[0] = simd_src_mmx(cpu, in, 8);
	xmm_get(cpu, INSN_REG(in), &d);
	/* the transition happens even when the conversion then raises an
	 * unmasked SIMD exception (observed on the host: TOP = 0 and all tags
	 * valid in the #XM handler's state); a memory fault comes first */
	if (mmreg)
		x87_mmx_enter(cpu);
	fp_run(cpu, op, &d, &s, 0);
	xmm_set(cpu, INSN_REG(in), &d);
}

/* COMISS & co: ZF PF CF from the comparison, OF SF AF cleared (SDM Vol. 2
 * COMISS); an unmasked #I or #D leaves EFLAGS unchanged */
static void fp_comi(struct cpu *cpu, const struct insn *in, unsigned n)
{
	union vec a, b;
	uint32_t zpc;
	simd_check_sse(cpu);
	simd_src_xmm(cpu, in, &b, n, false);
	xmm_get(cpu, INSN_REG(in), &a);
	uint32_t mx = cpu->fpu.mxcsr;
	uint32_t f = host_comi(in->op, &a, &b, host_csr(mx), &zpc) & MXCSR_FLAGS;
	cpu->fpu.mxcsr |= f;
	if (f & ~(mx >> 7) & MXCSR_FLAGS)
		simd_fp_exception(cpu);
	cpu->eflags = (cpu->eflags & ~F_OSZAPC) | zpc;
}

#define VW(name, op, n) void h_##name(struct cpu *cpu, const struct insn *in) { fp_VW(cpu, in, op, n, 0); }
#define VWI(name, op, n) void h_##name(struct cpu *cpu, const struct insn *in) { fp_VW(cpu, in, op, n, in->imm); }
#define ARITH_H(mn, MN) \
	VW(mn##ps_VpsWps, MN##PS, 16) VW(mn##ss_VssWss, MN##SS, 4) \
	VW(mn##pd_VpdWpd, MN##PD, 16) VW(mn##sd_VsdWsd, MN##SD, 8)

ARITH_H(add, ADD)
ARITH_H(sub, SUB)
ARITH_H(mul, MUL)
ARITH_H(div, DIV)
ARITH_H(min, MIN)
ARITH_H(max, MAX)
ARITH_H(sqrt, SQRT)
VW(rcpps_VpsWps, RCPPS, 16)
VW(rcpss_VssWss, RCPSS, 4)
VW(rsqrtps_VpsWps, RSQRTPS, 16)
VW(rsqrtss_VssWss, RSQRTSS, 4)
VWI(cmpps_VpsWpsIb, CMPPS, 16)
VWI(cmpss_VssWssIb, CMPSS, 4)
VWI(cmppd_VpdWpdIb, CMPPD, 16)
VWI(cmpsd_VsdWsdIb, CMPSD, 8)

VW(cvtdq2ps_VpsWdq, CVTDQ2PS, 16)
VW(cvtps2dq_VdqWps, CVTPS2DQ, 16)
VW(cvttps2dq_VdqWps, CVTTPS2DQ, 16)
VW(cvtps2pd_VpdWq, CVTPS2PD, 8)
VW(cvtpd2ps_VpsWpd, CVTPD2PS, 16)
VW(cvtdq2pd_VpdWq, CVTDQ2PD, 8)
VW(cvtpd2dq_VdqWpd, CVTPD2DQ, 16)
VW(cvttpd2dq_VdqWpd, CVTTPD2DQ, 16)
VW(cvtss2sd_VsdWss, CVTSS2SD, 4)
VW(cvtsd2ss_VssWsd, CVTSD2SS, 8)

void h_cvtsi2ss_VssEd(struct cpu *cpu, const struct insn *in) { fp_VEd(cpu, in, CVTSI2SS); }
void h_cvtsi2sd_VsdEd(struct cpu *cpu, const struct insn *in) { fp_VEd(cpu, in, CVTSI2SD); }
void h_cvtss2si_GdWss(struct cpu *cpu, const struct insn *in) { fp_GdW(cpu, in, CVTSS2SI, 4); }
void h_cvttss2si_GdWss(struct cpu *cpu, const struct insn *in) { fp_GdW(cpu, in, CVTTSS2SI, 4); }
void h_cvtsd2si_GdWsd(struct cpu *cpu, const struct insn *in) { fp_GdW(cpu, in, CVTSD2SI, 8); }
void h_cvttsd2si_GdWsd(struct cpu *cpu, const struct insn *in) { fp_GdW(cpu, in, CVTTSD2SI, 8); }
void h_cvtpi2ps_VpsQq(struct cpu *cpu, const struct insn *in) { fp_VQ(cpu, in, CVTPI2PS); }
void h_cvtpi2pd_VpdQq(struct cpu *cpu, const struct insn *in) { fp_VQ(cpu, in, CVTPI2PD); }
void h_cvtps2pi_PqWq(struct cpu *cpu, const struct insn *in) { fp_PW(cpu, in, CVTPS2PI, 8); }
void h_cvttps2pi_PqWq(struct cpu *cpu, const struct insn *in) { fp_PW(cpu, in, CVTTPS2PI, 8); }
void h_cvtpd2pi_PqWpd(struct cpu *cpu, const struct insn *in) { fp_PW(cpu, in, CVTPD2PI, 16); }
void h_cvttpd2pi_PqWpd(struct cpu *cpu, const struct insn *in) { fp_PW(cpu, in, CVTTPD2PI, 16); }

void h_comiss_VssWss(struct cpu *cpu, const struct insn *in) { fp_comi(cpu, in, 4); }
void h_ucomiss_VssWss(struct cpu *cpu, const struct insn *in) { fp_comi(cpu, in, 4); }
void h_comisd_VsdWsd(struct cpu *cpu, const struct insn *in) { fp_comi(cpu, in, 8); }
void h_ucomisd_VsdWsd(struct cpu *cpu, const struct insn *in) { fp_comi(cpu, in, 8); }

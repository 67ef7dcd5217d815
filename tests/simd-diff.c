/*
 * simd-diff: differential test of shade86's MMX, SSE and SSE2 against the
 * host CPU.
 *
 *   simd-diff [--seed S] [--count N] [--show N] [--op NAME] [--verbose]
 *
 * Every MMX/SSE/SSE2 form of the opcode table (cpu/opcodes_simd.def) except
 * FXSAVE/FXRSTOR (tested by tests/guest/sse-fxsave.asm) gets N random cases
 * in all, round robin.  A case is a random encoding of the form (register
 * numbers, register or memory operand, aligned or not, immediate) and a
 * random machine state: XMM and MMX registers and the memory operand biased
 * towards special values (signed zeros, infinities, quiet and signalling
 * NaNs with payloads, denormals, values at the normal and integer limits,
 * halves for rounding, boundary integers and shift counts), MXCSR with every
 * rounding mode, DAZ, FTZ, sticky flags and, in some cases, unmasked
 * exceptions, the x87 status (TOP, tags, sometimes a pending unmasked x87
 * exception), GPRs and EFLAGS.  It is executed
 *   - by shade86: a small machine (RAM, a CPU in flat 32-bit protected mode
 *     with CR0.NE, CR4.OSFXSR and CR4.OSXMMEXCPT set), the instruction in
 *     guest RAM, one cpu_step;
 *   - natively: FXRSTOR of the same state, the same instruction bytes (the
 *     memory operand is [EBX] or [EBX+disp8], MASKMOV* use [EDI]; in 64-bit
 *     mode these are [RBX]/[RDI], pointing at a copy of the guest memory),
 *     FXSAVE.  Faults are caught as signals: the hardware vector (#XM 19,
 *     #MF 16, #GP 13) and the registers at the fault come from the signal
 *     context, so unmasked SIMD exceptions are checked against the
 *     processor itself.
 * In a quarter of the cases the memory operand (or the MASKMOV* target) ends
 * within 16 bytes of the end of the data window, which on the host is
 * followed by an unmapped page and in the guest by the DS limit: an access
 * of more bytes than the instruction's operand has faults (#PF on the host,
 * #GP(0) in the guest), so the operand sizes and the "all checks before any
 * write" rule are compared too.
 * The results are compared bit for bit: the delivered vector, XMM0-7, MMX/x87
 * registers (significand and sign/exponent), FCW, FSW, abridged tags,
 * MXCSR, the GPRs, the arithmetic flags and the memory window.
 *
 * Prints "simd-diff: N cases, N mismatched" (per form with --verbose) and
 * exits 1 on any mismatch.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "cpu/interp.h"
#include "cpu/x87.h"
#include "cpu/simd.h"

#define RAM_SIZE   (1u << 20)
#define STUB_BASE  0x0400u
#define GDT_ADDR   0x0500u
#define IDT_ADDR   0x0600u
#define CODE_ADDR  0x1000u
#define DATA_ADDR  0x2000u
#define DATA_WIN   64u
#define STACK_TOP  0x8000u
#define SEL_CODE   0x08
#define SEL_DATA   0x10
#define ARITH_FLAGS (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* ------------------------------------------------------------ state */

struct tstate {
	uint8_t xmm[8][16];
	uint64_t mm[8];         /* physical x87 registers: significand ... */
	uint16_t se[8];         /* ... and sign/exponent */
	uint16_t fcw, fsw;
	uint8_t ftag;           /* abridged tag word */
	uint32_t mxcsr;
	uint32_t gpr[8];
	uint32_t eflags;
	uint8_t mem[DATA_WIN];
};

/* what the host stub reads and writes (offsets are wired into the stub) */
struct hstate {
	uint8_t fxin[512];      /* 0 */
	uint8_t fxout[512];     /* 512 */
	uint64_t gpr[8];        /* 1024 */
	uint64_t fl_in;         /* 1088 */
	uint64_t fl_out;        /* 1096 */
	uint32_t defcsr;        /* 1104 */
} __attribute__((aligned(64)));

_Static_assert(__builtin_offsetof(struct hstate, fxout) == 512, "stub offsets");
_Static_assert(__builtin_offsetof(struct hstate, gpr) == 1024, "stub offsets");
_Static_assert(__builtin_offsetof(struct hstate, fl_in) == 1088, "stub offsets");
_Static_assert(__builtin_offsetof(struct hstate, fl_out) == 1096, "stub offsets");
_Static_assert(__builtin_offsetof(struct hstate, defcsr) == 1104, "stub offsets");

struct ctx {
	uint64_t rng;
	struct mem mem;
	struct cpu cpu;
	uint8_t *jit;
	uint8_t *hostbuf;           /* the host's copy of the data window, just before
				     * an unmapped page */
	struct hstate hs;
	bool daz_ok;
	/* the signal path */
	sigjmp_buf jb;
	struct tstate sig_state;
	int sig_vector;
};

static struct ctx *the_ctx;     /* for the signal handler only */

/* ------------------------------------------------------------ random values */

static uint64_t rnd(struct ctx *c)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ull);   /* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rn(struct ctx *c, unsigned n)
{
	return (unsigned)(rnd(c) % n);
}

static uint32_t rand_f32(struct ctx *c)
{
	uint32_t s = (uint32_t)(rnd(c) & 1) << 31;
	uint32_t m = (uint32_t)rnd(c) & 0x7fffffu;
	float f;
	switch (rn(c, 22)) {
	case 0: return s;
	case 1: return s | 0x7f800000u;
	case 2: return s | 0x7fc00000u | (m & 0x3fffffu);                    /* QNaN */
	case 3: return s | 0x7f800000u | ((m & 0x3fffffu) ? (m & 0x3fffffu) : 1);   /* SNaN */
	case 4: return s | (m ? m : 1);                                       /* denormal */
	case 5: case 6: return s | ((1 + rn(c, 3)) << 23) | m;                /* just above MIN_NORMAL */
	case 7: return s | ((251 + rn(c, 4)) << 23) | m;                      /* near MAX */
	case 8: return s | ((127 + 29 + rn(c, 4)) << 23) | (m & ~0xffu);      /* near 2^31 */
	case 9: return s | (127u << 23) | (m & 0x700000u);                    /* 1.x, few bits */
	case 10: f = (float)((int)rn(c, 200) - 100); memcpy(&s, &f, 4); return s;
	case 11: f = (float)((int)rn(c, 200) - 100) + 0.5f; memcpy(&s, &f, 4); return s;
	case 12: return s | ((1 + rn(c, 254)) << 23);                         /* powers of two */
	case 13: { static const uint32_t k[] = { 0x3f800000u, 0x4f000000u, 0xcf000000u, 0xcf000001u,
			0x4effffffu, 0x7f7fffffu, 0x00800000u, 0x80800000u, 0xffc00000u };
		return k[rn(c, 9)]; }
	default: return s | ((1 + rn(c, 254)) << 23) | m;
	}
}

static uint64_t rand_f64(struct ctx *c)
{
	uint64_t s = (rnd(c) & 1) << 63;
	uint64_t m = rnd(c) & 0x000fffffffffffffull;
	double f;
	switch (rn(c, 22)) {
	case 0: return s;
	case 1: return s | 0x7ff0000000000000ull;
	case 2: return s | 0x7ff8000000000000ull | (m & 0x7ffffffffffffull);
	case 3: return s | 0x7ff0000000000000ull | ((m & 0x7ffffffffffffull) ? (m & 0x7ffffffffffffull) : 1);
	case 4: return s | (m ? m : 1);
	case 5: case 6: return s | ((uint64_t)(1 + rn(c, 3)) << 52) | m;
	case 7: return s | ((uint64_t)(2043 + rn(c, 4)) << 52) | m;
	case 8: return s | ((uint64_t)(1023 + 29 + rn(c, 4)) << 52) | (m & ~0xfffffull);
	case 9: /* around the float range limits: CVTPD2PS overflow/underflow */
		return s | ((uint64_t)(1023 + 125 + rn(c, 6)) << 52) | m;
	case 10: return s | ((uint64_t)(1023 - 152 + rn(c, 30)) << 52) | m;
	case 11: f = (double)((int)rn(c, 200) - 100) + 0.5; memcpy(&s, &f, 8); return s;
	case 12: return s | ((uint64_t)(1 + rn(c, 2046)) << 52);
	case 13: { static const uint64_t k[] = { 0x3ff0000000000000ull, 0x41e0000000000000ull,
			0xc1e0000000000000ull, 0xc1e0000000200000ull, 0x41dfffffffc00000ull,
			0x7fefffffffffffffull, 0x0010000000000000ull, 0xfff8000000000000ull,
			0x47efffffe0000000ull, 0x3810000000000000ull };
		return k[rn(c, 10)]; }
	case 14: /* exactly representable in float */
		return s | ((uint64_t)(1023 - 100 + rn(c, 200)) << 52) | (m & ~0x1fffffffull);
	default: return s | ((uint64_t)(1 + rn(c, 2046)) << 52) | m;
	}
}

static uint32_t rand_i32(struct ctx *c)
{
	static const uint32_t k[] = { 0, 1, 0xffffffffu, 0x80000000u, 0x7fffffffu, 0x8000u, 0x7fffu,
				      0xffff8000u, 0x80u, 0x7fu, 0xff80u, 0x00ff00ffu, 16777217u };
	switch (rn(c, 5)) {
	case 0: return k[rn(c, 13)];
	case 1: return rn(c, 80);                 /* shift counts */
	case 2: { uint32_t v = 0;                 /* byte-wise boundaries */
		static const uint8_t b[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x81 };
		for (int i = 0; i < 4; i++)
			v |= (uint32_t)b[rn(c, 7)] << (8 * i);
		return v; }
	default: return (uint32_t)rnd(c);
	}
}

static void rand_vec(struct ctx *c, uint8_t v[16])
{
	switch (rn(c, 5)) {
	case 0: case 1:
		for (int i = 0; i < 4; i++) {
			uint32_t x = rand_f32(c);
			memcpy(v + 4 * i, &x, 4);
		}
		break;
	case 2: case 3:
		for (int i = 0; i < 2; i++) {
			uint64_t x = rand_f64(c);
			memcpy(v + 8 * i, &x, 8);
		}
		break;
	default:
		for (int i = 0; i < 4; i++) {
			uint32_t x = rand_i32(c);
			memcpy(v + 4 * i, &x, 4);
		}
	}
}

static uint64_t rand_mm(struct ctx *c)
{
	if (rn(c, 4) == 0) {
		uint32_t lo = rand_f32(c), hi = rand_f32(c);
		return lo | (uint64_t)hi << 32;
	}
	if (rn(c, 3) == 0)
		return rn(c, 80);                          /* shift counts */
	return rand_i32(c) | (uint64_t)rand_i32(c) << 32;
}

static void rand_state(struct ctx *c, struct tstate *s)
{
	for (int i = 0; i < 8; i++) {
		rand_vec(c, s->xmm[i]);
		s->mm[i] = rand_mm(c);
		s->se[i] = rn(c, 2) ? 0xffff : (uint16_t)rnd(c);
	}
	for (unsigned i = 0; i < DATA_WIN; i += 16)
		rand_vec(c, s->mem + i);
	s->fcw = 0x037f;
	s->fsw = (uint16_t)(rn(c, 8) << 11);
	s->ftag = rn(c, 3) == 0 ? (uint8_t)rnd(c) : rn(c, 2) ? 0xff : 0x00;
	if (rn(c, 40) == 0) {
		/* a pending unmasked x87 exception: MMX forms must raise #MF */
		s->fcw = 0x037e;
		s->fsw |= FSW_IE | FSW_ES | FSW_B;
	}
	uint32_t mx = (rn(c, 4) << 13) | MXCSR_MASKS;
	if (rn(c, 4) == 0 && c->daz_ok)
		mx |= MXCSR_DAZ;
	if (rn(c, 4) == 0)
		mx |= MXCSR_FZ;
	if (rn(c, 2))
		mx |= (uint32_t)rnd(c) & MXCSR_FLAGS;
	if (rn(c, 4) == 0)
		mx &= ~((uint32_t)rnd(c) & MXCSR_MASKS);     /* some exceptions unmasked */
	s->mxcsr = mx;
	for (int i = 0; i < 8; i++)
		s->gpr[i] = rand_i32(c);
	s->eflags = (uint32_t)rnd(c) & ARITH_FLAGS;
}

/* ------------------------------------------------------------ forms */

struct form {
	unsigned op;
	bool gpr_reg;       /* ModRM.reg names a GPR (G operand) */
	bool gpr_rm;        /* ModRM.rm names a GPR when mod = 3 (E operand) */
	bool imm;           /* an Ib follows */
	bool align16;       /* 16-byte memory operand that must be aligned */
};

static bool has_token(const char *ops, char letter)
{
	for (const char *p = ops; *p; p++)
		if (*p == letter && (p == ops || p[-1] == ','))
			return true;
	return false;
}

static unsigned collect_forms(struct form *f)
{
	unsigned n = 0;
	for (unsigned i = 0; i < OP_COUNT; i++) {
		const struct opinfo *oi = &opinfo[i];
		if (oi->map != 1)
			continue;
		if (oi->feat != FEAT_MMX && oi->feat != FEAT_SSE && oi->feat != FEAT_SSE2 &&
		    oi->feat != FEAT_CLFSH && oi->feat != FEAT_FXSR)
			continue;
		if (i == op_FXSAVE_M || i == op_FXRSTOR_M)
			continue;
		f[n].op = i;
		f[n].gpr_reg = has_token(oi->operands, 'G');
		f[n].gpr_rm = has_token(oi->operands, 'E');
		f[n].imm = strstr(oi->operands, "Ib") != NULL;
		/* aligned 128-bit memory operands: every W/M operand of a packed
		 * form except the unaligned moves */
		const char *nm = oi->name;
		bool m128 = strstr(oi->operands, "Wps") || strstr(oi->operands, "Wpd") ||
			    strstr(oi->operands, "Wdq") || strstr(oi->operands, "Mps") ||
			    strstr(oi->operands, "Mpd") || strstr(oi->operands, "Mdq");
		f[n].align16 = m128 && strncmp(nm, "MOVUP", 5) && strncmp(nm, "MOVDQU", 6);
		n++;
	}
	return n;
}

static const unsigned safe_gpr[] = { R_EAX, R_ECX, R_EDX, R_EBP, R_ESI };

/* Builds the instruction bytes; sets *memoff to the operand's offset in the
 * data window (via EBX). */
static unsigned encode(struct ctx *c, const struct form *f, uint8_t *b, uint32_t *memoff, uint32_t *base,
		       bool *is_mem)
{
	const struct opinfo *oi = &opinfo[f->op];
	unsigned n = 0;
	if (oi->match & M_P66)
		b[n++] = 0x66;
	if (oi->match & M_PF3)
		b[n++] = 0xf3;
	if (oi->match & M_PF2)
		b[n++] = 0xf2;
	b[n++] = 0x0f;
	b[n++] = oi->opc;
	unsigned reg = f->gpr_reg ? safe_gpr[rn(c, 5)] : rn(c, 8);
	if (oi->match & 0x10)
		reg = oi->match & 7;
	bool mem;
	if (oi->match & M_MEM)
		mem = true;
	else if (oi->match & M_RM3)
		mem = false;
	else
		mem = rn(c, 2);
	if (!strcmp(oi->operands, "") && !(oi->match & (M_MEM | M_RM3 | 0x10))) {
		*is_mem = false;   /* EMMS: no ModRM */
		*base = 0;
		return n;
	}
	*is_mem = mem;
	uint32_t off = rn(c, 3) ? 16 * rn(c, 3) : rn(c, 33);
	if (mem) {
		if (rn(c, 3) == 0) {
			unsigned disp = rn(c, 16);
			if (off > 32 - disp)
				off = 32 - disp;
			b[n++] = (uint8_t)(0x40 | reg << 3 | R_EBX);
			b[n++] = (uint8_t)disp;
			*memoff = off + disp;
		} else {
			b[n++] = (uint8_t)(reg << 3 | R_EBX);
			*memoff = off;
		}
		*base = off;
	} else {
		unsigned rm = f->gpr_rm ? safe_gpr[rn(c, 5)] : rn(c, 8);
		b[n++] = (uint8_t)(0xc0 | reg << 3 | rm);
		*memoff = off;
		*base = off;
	}
	if (f->imm)
		b[n++] = (uint8_t)rnd(c);
	return n;
}

/* ------------------------------------------------------------ the host side */

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static void host_fpu_reset(void)
{
	const uint32_t csr = 0x1f80;
	__asm__ volatile("ldmxcsr %0\n\tfninit" : : "m"(csr));
}

static void on_signal(int sig, siginfo_t *si, void *uctx)
{
	struct ctx *c = the_ctx;
	ucontext_t *uc = uctx;
	const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
	struct tstate *s = &c->sig_state;
	(void)sig;
	(void)si;
	c->sig_vector = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
	s->mxcsr = fp->mxcsr;
	s->fcw = fp->cwd;
	s->fsw = fp->swd;
	s->ftag = (uint8_t)fp->ftw;
	unsigned top = (fp->swd >> 11) & 7;
	for (unsigned i = 0; i < 8; i++) {
		unsigned p = (top + i) & 7;
		memcpy(&s->mm[p], fp->_st[i].significand, 8);
		s->se[p] = fp->_st[i].exponent;
		memcpy(s->xmm[i], fp->_xmm[i].element, 16);
	}
	static const int greg[8] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI };
	for (unsigned i = 0; i < 8; i++)
		s->gpr[i] = (uint32_t)uc->uc_mcontext.gregs[greg[i]];
	s->eflags = (uint32_t)uc->uc_mcontext.gregs[REG_EFL] & ARITH_FLAGS;
	siglongjmp(c->jb, 1);
}

/* emits prefix/opcode bytes then ModRM "reg, [r15 + disp32]" */
static unsigned emit_mem(uint8_t *p, const char *ops, unsigned nops, unsigned reg, uint32_t disp)
{
	memcpy(p, ops, nops);
	p[nops] = (uint8_t)(0x87 | reg << 3);   /* mod 10, rm 111 (REX.B: r15) */
	memcpy(p + nops + 1, &disp, 4);
	return nops + 5;
}

/* Runs the instruction on the host.  Returns the vector of a fault, or -1. */
static int host_run(struct ctx *c, const uint8_t *insn, unsigned len, const struct tstate *in,
		    struct tstate *out, uint32_t ebx_off, uint32_t edi_off)
{
	struct hstate *h = &c->hs;
	uint8_t *p = c->jit;
	unsigned n = 0;
	static const uint8_t prologue[] = {
		0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57,   /* push rbx rbp r12-r15 */
		0x49, 0x89, 0xff,                                             /* mov r15, rdi */
		0x41, 0x0f, 0xae, 0x0f,                                       /* fxrstor [r15] */
	};
	memcpy(p, prologue, sizeof(prologue));
	n = sizeof(prologue);
	for (unsigned r = 0; r < 8; r++)
		if (r != R_ESP)
			n += emit_mem(p + n, "\x49\x8b", 2, r, 1024 + 8 * r);      /* mov r64, [r15+..] */
	n += emit_mem(p + n, "\x41\xff", 2, 6, 1088);                       /* push [r15+fl_in] */
	p[n++] = 0x9d;                                                          /* popfq */
	memcpy(p + n, insn, len);
	n += len;
	p[n++] = 0x9c;                                                          /* pushfq */
	n += emit_mem(p + n, "\x41\x8f", 2, 0, 1096);                       /* pop [r15+fl_out] */
	for (unsigned r = 0; r < 8; r++)
		if (r != R_ESP)
			n += emit_mem(p + n, "\x49\x89", 2, r, 1024 + 8 * r);      /* mov [r15+..], r64 */
	n += emit_mem(p + n, "\x41\x0f\xae", 3, 0, 512);                     /* fxsave [r15+512] */
	n += emit_mem(p + n, "\x41\x0f\xae", 3, 2, 1104);                    /* ldmxcsr [r15+1104] */
	static const uint8_t epilogue[] = {
		0xdb, 0xe3,                                                   /* fninit */
		0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b,   /* pop r15-r12 rbp rbx */
		0xc3,
	};
	memcpy(p + n, epilogue, sizeof(epilogue));

	memset(h->fxin, 0, 512);
	put16(h->fxin + 0, in->fcw);
	put16(h->fxin + 2, in->fsw);
	h->fxin[4] = in->ftag;
	put32(h->fxin + 24, in->mxcsr);
	unsigned top = (in->fsw >> 11) & 7;
	for (unsigned i = 0; i < 8; i++) {
		unsigned ph = (top + i) & 7;
		memcpy(h->fxin + 32 + 16 * i, &in->mm[ph], 8);
		put16(h->fxin + 40 + 16 * i, in->se[ph]);
		memcpy(h->fxin + 160 + 16 * i, in->xmm[i], 16);
	}
	for (unsigned r = 0; r < 8; r++)
		h->gpr[r] = in->gpr[r];
	h->gpr[R_EBX] = (uint64_t)(uintptr_t)(c->hostbuf + ebx_off);
	h->gpr[R_EDI] = (uint64_t)(uintptr_t)(c->hostbuf + edi_off);
	h->fl_in = in->eflags | 0x202;
	h->defcsr = 0x1f80;
	memcpy(c->hostbuf, in->mem, DATA_WIN);

	if (sigsetjmp(c->jb, 1)) {
		host_fpu_reset();
		*out = c->sig_state;
		out->gpr[R_EBX] = in->gpr[R_EBX];
		out->gpr[R_EDI] = in->gpr[R_EDI];
		out->gpr[R_ESP] = in->gpr[R_ESP];
		memcpy(out->mem, c->hostbuf, DATA_WIN);
		return c->sig_vector;
	}
	((void (*)(struct hstate *))(void *)c->jit)(h);

	out->fcw = get16(h->fxout + 0);
	out->fsw = get16(h->fxout + 2);
	out->ftag = h->fxout[4];
	out->mxcsr = get32(h->fxout + 24);
	top = (out->fsw >> 11) & 7;
	for (unsigned i = 0; i < 8; i++) {
		unsigned ph = (top + i) & 7;
		memcpy(&out->mm[ph], h->fxout + 32 + 16 * i, 8);
		out->se[ph] = get16(h->fxout + 40 + 16 * i);
		memcpy(out->xmm[i], h->fxout + 160 + 16 * i, 16);
	}
	for (unsigned r = 0; r < 8; r++)
		out->gpr[r] = (uint32_t)h->gpr[r];
	out->gpr[R_EBX] = in->gpr[R_EBX];
	out->gpr[R_EDI] = in->gpr[R_EDI];
	out->gpr[R_ESP] = in->gpr[R_ESP];
	out->eflags = (uint32_t)h->fl_out & ARITH_FLAGS;
	memcpy(out->mem, c->hostbuf, DATA_WIN);
	return -1;
}

/* ------------------------------------------------------------ the guest side */

static void seg_flat(struct seg *s, uint16_t sel, bool code)
{
	s->sel = sel;
	s->valid = 1;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->attr = SA_P | SA_S | SA_DB | SA_G | (code ? 0xbu : 0x3u);
}

static void poke32(struct ctx *c, uint32_t pa, uint32_t v)
{
	memcpy(c->mem.ram + pa, &v, 4);
}

static int machine_init(struct ctx *c)
{
	if (mem_init(&c->mem, RAM_SIZE) || cpu_init(&c->cpu, &c->mem))
		return -1;
	for (unsigned v = 0; v < 32; v++) {
		c->mem.ram[STUB_BASE + v] = 0xf4;   /* HLT */
		uint32_t off = STUB_BASE + v;
		poke32(c, IDT_ADDR + v * 8, ((uint32_t)SEL_CODE << 16) | (off & 0xffff));
		poke32(c, IDT_ADDR + v * 8 + 4, (off & 0xffff0000u) | 0x8e00u);
	}
	poke32(c, GDT_ADDR + 0x08, 0x0000ffffu);
	poke32(c, GDT_ADDR + 0x0c, 0x00cf9b00u);
	poke32(c, GDT_ADDR + 0x10, 0x0000ffffu);
	poke32(c, GDT_ADDR + 0x14, 0x00cf9300u);
	return 0;
}

static void guest_load(struct ctx *c, const struct tstate *in, uint32_t ebx, uint32_t edi, bool edge)
{
	struct cpu *cpu = &c->cpu;
	cpu_set_cr0(cpu, CPU_CR0_PE | CPU_CR0_NE | CPU_CR0_MP);
	cpu_set_cr4(cpu, CPU_CR4_OSFXSR | CPU_CR4_OSXMMEXCPT);
	cpu->cpl = 0;
	for (int i = 0; i < 6; i++)
		seg_flat(&cpu->seg[i], i == S_CS ? SEL_CODE : SEL_DATA, i == S_CS);
	if (edge)
		cpu->seg[S_DS].limit = DATA_ADDR + DATA_WIN - 1;
	cpu->gdtr.base = GDT_ADDR;
	cpu->gdtr.limit = 0x17;
	cpu->idtr.base = IDT_ADDR;
	cpu->idtr.limit = 32 * 8 - 1;
	cpu->halted = false;
	cpu->inhibit = 0;
	memcpy(cpu->r, in->gpr, sizeof(cpu->r));
	cpu->r[R_EBX] = ebx;
	cpu->r[R_EDI] = edi;
	cpu->r[R_ESP] = STACK_TOP;
	cpu->eflags = in->eflags | 0x2;
	cpu->eip = CODE_ADDR;
	struct fpu *f = &cpu->fpu;
	for (int i = 0; i < 8; i++) {
		f->st[i].mant = in->mm[i];
		f->st[i].se = in->se[i];
		memcpy(f->xmm[i], in->xmm[i], 16);
	}
	x87_set_fcw(cpu, in->fcw);
	x87_set_abridged_tags(cpu, in->ftag);
	x87_set_fsw(cpu, in->fsw);
	f->mxcsr = in->mxcsr;
	memcpy(c->mem.ram + DATA_ADDR, in->mem, DATA_WIN);
}

static int guest_run(struct ctx *c, const uint8_t *insn, unsigned len, const struct tstate *in,
		     struct tstate *out, uint32_t ebx_off, uint32_t edi_off, bool edge)
{
	struct cpu *cpu = &c->cpu;
	guest_load(c, in, DATA_ADDR + ebx_off, DATA_ADDR + edi_off, edge);
	memcpy(c->mem.ram + CODE_ADDR, insn, len);
	memset(c->mem.ram + CODE_ADDR + len, 0x90, 16);
	cpu_step(cpu);
	int vec = -1;
	if (cpu->seg[S_CS].sel == SEL_CODE && cpu->eip >= STUB_BASE && cpu->eip < STUB_BASE + 32)
		vec = (int)(cpu->eip - STUB_BASE);
	const struct fpu *f = &cpu->fpu;
	for (int i = 0; i < 8; i++) {
		out->mm[i] = f->st[i].mant;
		out->se[i] = f->st[i].se;
		memcpy(out->xmm[i], f->xmm[i], 16);
	}
	out->fcw = f->fcw;
	out->fsw = f->fsw;
	out->ftag = x87_abridged_tags(cpu);
	out->mxcsr = f->mxcsr;
	memcpy(out->gpr, cpu->r, sizeof(out->gpr));
	out->gpr[R_EBX] = in->gpr[R_EBX];
	out->gpr[R_EDI] = in->gpr[R_EDI];
	out->gpr[R_ESP] = in->gpr[R_ESP];
	out->eflags = cpu->eflags & ARITH_FLAGS;
	memcpy(out->mem, c->mem.ram + DATA_ADDR, DATA_WIN);
	return vec;
}

/* ------------------------------------------------------------ comparison */

static void hexdump(const char *tag, const uint8_t *p, unsigned n)
{
	printf("%s", tag);
	for (unsigned i = n; i-- > 0;)
		printf("%02x", p[i]);
}

static void show_state(const char *tag, const struct tstate *s)
{
	printf("  %s: mxcsr %08x fcw %04x fsw %04x ftag %02x eflags %03x\n", tag, s->mxcsr, s->fcw, s->fsw,
	       s->ftag, s->eflags);
	for (int i = 0; i < 8; i++) {
		printf("    xmm%d ", i);
		hexdump("", s->xmm[i], 16);
		printf("  mm%d %04x:%016llx  %s %08x\n", i, s->se[i], (unsigned long long)s->mm[i],
		       (const char *[]){ "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" }[i], s->gpr[i]);
	}
	printf("    mem ");
	hexdump("", s->mem, 32);
	printf(" ");
	hexdump("", s->mem + 32, 32);
	printf("\n");
}

static bool same(const struct tstate *a, const struct tstate *b, char *why, size_t whylen)
{
	why[0] = 0;
#define DIFF(cond, ...) do { if (cond) { snprintf(why, whylen, __VA_ARGS__); return false; } } while (0)
	for (int i = 0; i < 8; i++)
		DIFF(memcmp(a->xmm[i], b->xmm[i], 16), "xmm%d", i);
	for (int i = 0; i < 8; i++)
		DIFF(a->mm[i] != b->mm[i] || a->se[i] != b->se[i], "x87/mmx register %d", i);
	DIFF(a->mxcsr != b->mxcsr, "mxcsr");
	DIFF(a->fcw != b->fcw, "fcw");
	DIFF(a->fsw != b->fsw, "fsw");
	DIFF(a->ftag != b->ftag, "abridged tags");
	for (int i = 0; i < 8; i++)
		DIFF(a->gpr[i] != b->gpr[i], "gpr %d", i);
	DIFF(a->eflags != b->eflags, "eflags");
	DIFF(memcmp(a->mem, b->mem, DATA_WIN), "memory");
#undef DIFF
	return true;
}

/* ------------------------------------------------------------ main */

static bool host_has_daz(void)
{
	uint8_t img[512] __attribute__((aligned(16)));
	memset(img, 0, sizeof(img));
	__asm__ volatile("fxsave %0" : "=m"(img));
	uint32_t mask = get32(img + 28);
	return mask == 0 || (mask & MXCSR_DAZ);
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, count = 200000;
	unsigned show = 5;
	const char *only = NULL;
	bool verbose = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--show") && i + 1 < argc)
			show = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--op") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--verbose"))
			verbose = true;
		else {
			fprintf(stderr, "usage: %s [--seed S] [--count N] [--show N] [--op NAME] [--verbose]\n", argv[0]);
			return 2;
		}
	}

	struct ctx *c = aligned_alloc(64, sizeof(*c));
	if (!c)
		return 2;
	memset(c, 0, sizeof(*c));
	the_ctx = c;
	c->rng = seed;
	c->daz_ok = host_has_daz();
	if (machine_init(c)) {
		fprintf(stderr, "simd-diff: machine setup failed\n");
		return 2;
	}
	c->jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->jit == MAP_FAILED || pages == MAP_FAILED || mprotect(pages + 4096, 4096, PROT_NONE)) {
		perror("simd-diff: mmap");
		return 2;
	}
	c->hostbuf = pages + 4096 - DATA_WIN;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	static struct form forms[OP_COUNT];
	unsigned nforms = collect_forms(forms);
	if (only) {
		unsigned k = 0;
		for (unsigned i = 0; i < nforms; i++)
			if (!strcmp(opinfo[forms[i].op].name, only))
				forms[k++] = forms[i];
		nforms = k;
		if (!nforms) {
			fprintf(stderr, "simd-diff: no form %s\n", only);
			return 2;
		}
	}
	static uint64_t per_cases[OP_COUNT], per_bad[OP_COUNT];
	uint64_t bad = 0, faults[32] = { 0 };
	for (uint64_t k = 0; k < count; k++) {
		const struct form *f = &forms[k % nforms];
		struct tstate in, hout, gout;
		uint8_t insn[16];
		uint32_t memoff = 0;
		bool is_mem = false;
		rand_state(c, &in);
		uint32_t ebx_off = 0;
		unsigned len = encode(c, f, insn, &memoff, &ebx_off, &is_mem);
		uint32_t edi_off = rn(c, DATA_WIN - 16);
		bool edge = rn(c, 4) == 0;
		if (edge) {
			/* the operand ends 0-15 bytes before the end of the window */
			uint32_t end = DATA_WIN - rn(c, 16);
			uint32_t disp = memoff - ebx_off;
			memoff = end - 1 - rn(c, 16);
			if (memoff < disp)
				memoff = disp;
			ebx_off = memoff - disp;
			edi_off = end - 1 - rn(c, 16);
		}
		if (f->op == op_LDMXCSR_Md) {
			uint32_t v = (uint32_t)rnd(c) & (rn(c, 8) ? 0xffffu : 0xffffffffu);
			if (!c->daz_ok)
				v &= ~MXCSR_DAZ;
			memcpy(in.mem + memoff, &v, 4);
		}
		int hv = host_run(c, insn, len, &in, &hout, ebx_off, edi_off);
		int gv = guest_run(c, insn, len, &in, &gout, ebx_off, edi_off, edge);
		if (edge && hv == EX_PF)
			hv = EX_GP;   /* the guest's limit is the host's unmapped page */
		char why[64];
		bool ok = hv == gv;
		if (ok)
			ok = same(&hout, &gout, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "vector: host %d, shade86 %d", hv, gv);
		per_cases[f->op]++;
		if (hv >= 0 && hv < 32)
			faults[hv]++;
		if (!ok) {
			per_bad[f->op]++;
			if (bad++ < show) {
				printf("MISMATCH %s (%s):", opinfo[f->op].name, why);
				for (unsigned i = 0; i < len; i++)
					printf(" %02x", insn[i]);
				printf("  %s operand at +%u\n", is_mem ? "memory" : "register", memoff);
				show_state("before", &in);
				show_state("host", &hout);
				show_state("shade86", &gout);
			}
		}
	}
	if (verbose)
		for (unsigned i = 0; i < OP_COUNT; i++)
			if (per_cases[i])
				printf("%-20s %8llu cases %6llu mismatched\n", opinfo[i].name,
				       (unsigned long long)per_cases[i], (unsigned long long)per_bad[i]);
	printf("simd-diff: faults seen on the host: #GP %llu, #MF %llu, #XM %llu\n",
	       (unsigned long long)faults[EX_GP], (unsigned long long)faults[EX_MF],
	       (unsigned long long)faults[EX_XM]);
	printf("simd-diff: %llu cases, %llu mismatched\n", (unsigned long long)count, (unsigned long long)bad);
	return bad ? 1 : 0;
}

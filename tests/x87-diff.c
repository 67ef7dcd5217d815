/*
 * x87-diff: differential test of shade86's x87 FPU against the host CPU.
 *
 *   x87-diff [--seed S] [--count N] [--show N] [--op NAME] [--verbose]
 *
 * For every x87 form of the opcode table (D8-DF), N random cases in all: a
 * random FPU state (register values biased towards the special classes:
 * signed zeros, infinities, quiet and signalling NaNs with payloads,
 * denormals, pseudo-denormals, unnormals, pseudo-NaNs, boundary integers,
 * values at the float/double/int/BCD limits, huge and tiny exponents; empty
 * and full stacks), a random control word (every rounding and precision
 * control, masked and unmasked exceptions), random sticky flags, EFLAGS and
 * memory operand.  Each case is executed
 *   - by shade86: a small machine (RAM, a CPU in flat 32-bit protected
 *     mode), the instruction bytes in guest RAM, one cpu_step;
 *   - natively on the host: FRSTOR of the same state, the same instruction
 *     (its memory operand pointing at a copy of the guest's), FNSAVE;
 * and the full result is compared bit for bit: the eight physical
 * registers, FCW, FSW, the full tag word, EFLAGS (FCOMI/FUCOMI change
 * ZF PF CF and clear OF SF AF; nothing else may change EFLAGS) and the
 * memory the instruction wrote.  The last instruction/operand pointers
 * cannot be compared with a 64-bit host: they are checked against their
 * definition (SDM Vol. 1 8.1.8: updated by every non-control instruction),
 * and the pointer fields of FNSTENV/FNSAVE images are left out of the
 * memory comparison.  A waiting instruction started with an unmasked
 * exception pending must raise #MF (CR0.NE = 1) and change nothing.
 *
 * Prints "x87-diff: N cases, N mismatched" (per form with --verbose) and
 * exits 1 on any mismatch.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/interp.h"
#include "cpu/x87.h"

#define RAM_SIZE   (1u << 20)
#define STUB_BASE  0x0400u
#define GDT_ADDR   0x0500u
#define IDT_ADDR   0x0600u
#define CODE_ADDR  0x1000u
#define DATA_BASE  0x2000u     /* operands in 0x2000-0x3fff, some across the 0x3000 page line */
#define DATA_LEN   0x2000u
#define STACK_TOP  0x8000u
#define SEL_CODE   0x08
#define SEL_DATA   0x10

/* ------------------------------------------------------------ random numbers */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* a mantissa with runs of ones and zeros now and then (carries in rounding) */
static uint64_t rnd_bits(void)
{
	switch (rn(6)) {
	case 0: return ~0ull << rn(64);
	case 1: return ~0ull >> rn(64);
	case 2: return rnd() & (~0ull << rn(64));
	default: return rnd();
	}
}

/* ------------------------------------------------------------ operand values */

struct ext {
	uint64_t m;
	uint16_t se;
};

static struct ext ld2ext(long double v)
{
	struct ext e;
	memcpy(&e.m, &v, 8);
	memcpy(&e.se, (char *)&v + 8, 2);
	return e;
}

static long double pow2l(int n)
{
	long double v = 1.0L;
	while (n > 0) { v *= 2.0L; n--; }
	while (n < 0) { v /= 2.0L; n++; }
	return v;
}

static const long double boundaries[] = {
	0.5L, 1.5L, 2.5L, 0.49999999999999999995L, 1.0L, 2.0L, 3.0L, 10.0L,
	32767.0L, 32767.5L, 32768.0L, 32768.5L, 32769.0L, 65535.0L, 65536.0L,
	2147483647.0L, 2147483647.5L, 2147483648.0L, 2147483648.5L, 2147483649.0L,
	4294967296.0L, 9223372036854775807.0L, 9223372036854775808.0L,
	9223372036854775806.5L, 18446744073709551615.0L,
	999999999999999999.0L, 999999999999999999.5L, 1000000000000000000.0L,
	1e18L - 0.25L, 3.14159265358979323846L, 1.57079632679489661923L,
	0.69314718055994530942L, 1.41421356237309504880L, 0.30102999566398119521L,
	9.2233720368547758e18L, 1e-5L, 1e5L,
};

/* an 80-bit value, biased towards the cases that matter */
static struct ext rand_ext(void)
{
	struct ext e;
	uint16_t sign = rn(2) ? 0x8000 : 0;
	uint64_t j = 1ull << 63;
	switch (rn(18)) {
	case 0: e.m = 0; e.se = 0; break;                                    /* zero */
	case 1: e.m = j; e.se = 0x7fff; break;                               /* infinity */
	case 2: e.m = j | (1ull << 62) | (rn(3) ? rnd_bits() : 0); e.se = 0x7fff; break;  /* QNaN */
	case 3: e.m = j | ((rnd_bits() & ((1ull << 62) - 1)) | (rn(2) ? 1 : 0)); /* SNaN */
		if (!(e.m & ((1ull << 62) - 1)))
			e.m |= 1;
		e.se = 0x7fff; break;
	case 4: e.m = (rnd_bits() >> rn(64)) & ~j; if (!e.m) e.m = 1; e.se = 0; break;   /* denormal */
	case 5: e.m = j | (rn(2) ? rnd_bits() : 0); e.se = 0; break;      /* pseudo-denormal */
	case 6: e.m = rnd_bits() & ~j; e.se = (uint16_t)(1 + rn(0x7ffe)); break;  /* unnormal */
	case 7: e.m = rnd_bits() & ~j; e.se = 0x7fff; break;                /* pseudo-NaN/inf */
	case 8: case 9: case 10:                                             /* near 1 */
		e.m = j | rnd_bits(); e.se = (uint16_t)(0x3fff - 70 + rn(141)); break;
	case 11: e.m = j | rnd_bits(); e.se = (uint16_t)(1 + rn(0x7ffe)); break;  /* anything */
	case 12: {                                                           /* integers */
		long double v;
		switch (rn(4)) {
		case 0: v = (long double)(int)rn(2001) - 1000; break;
		case 1: v = (long double)(int64_t)rnd() / pow2l((int)rn(64)); break;
		case 2: v = pow2l((int)rn(70)) + (long double)((int)rn(5) - 2); break;
		default: v = (long double)(int)rn(64) / 4.0L; break;
		}
		e = ld2ext(v);
		break;
	}
	case 13: {                                                           /* boundaries */
		long double v = boundaries[rn(sizeof boundaries / sizeof boundaries[0])];
		e = ld2ext(v);
		if (rn(3) == 0) {
			if (rn(2))
				e.m++;
			else
				e.m--;
			if (!(e.m & j))
				e.m |= j;
		}
		break;
	}
	case 14: {                                                           /* float/double limits */
		static const int x[] = { 127, 128, -126, -127, -149, -150, -151, 1023, 1024,
					 -1022, -1023, -1074, -1075, -1076, 0, -16382, -16383 };
		e.m = j | (rn(2) ? rnd_bits() : (rn(2) ? ~0ull : 0));
		e.se = (uint16_t)(0x3fff + x[rn(sizeof x / sizeof x[0])] + (int)rn(3) - 1);
		break;
	}
	case 15: {                                                           /* near multiples of pi/2 */
		long double v = 1.57079632679489661923L * (long double)((int)rn(40) - 20);
		e = ld2ext(v);
		e.m += rn(8) - 4;
		if (!(e.m & j))
			e.m = j;
		if (rn(4) == 0) {
			e.se = (uint16_t)(0x3fff + 60 + rn(8));   /* around 2^63: FSIN's range */
			sign = 0;
		}
		break;
	}
	case 16: e.m = j | rnd_bits(); e.se = (uint16_t)(rn(2) ? 0x7ffe - rn(4) : 1 + rn(4)); break;
	default: e.m = j | rnd_bits(); e.se = (uint16_t)(0x3fff - 4 + rn(9)); break;
	}
	e.se = (uint16_t)((e.se & 0x7fff) | (e.se & 0x8000) | sign);
	return e;
}

/* IEEE single/double bit patterns */
static uint64_t rand_fp(unsigned ebits, unsigned mbits)
{
	uint64_t emax = (1ull << ebits) - 1, mmask = (1ull << mbits) - 1, bias = emax >> 1;
	uint64_t s = (uint64_t)rn(2) << (ebits + mbits), exp, man;
	switch (rn(10)) {
	case 0: exp = 0; man = 0; break;
	case 1: exp = emax; man = 0; break;
	case 2: exp = emax; man = (1ull << (mbits - 1)) | (rnd_bits() & (mmask >> 1)); break;
	case 3: exp = emax; man = rnd_bits() & (mmask >> 1); if (!man) man = 1; break;
	case 4: exp = 0; man = rnd_bits() & mmask; if (!man) man = 1; break;
	case 5: exp = 1 + rn(2); man = rnd_bits() & mmask; break;
	case 6: exp = emax - 1 - rn(2); man = rnd_bits() & mmask; break;
	case 7: exp = bias - 10 + rn(21); man = rnd_bits() & mmask; break;
	default: exp = 1 + rnd() % (emax - 1); man = rnd() & mmask; break;
	}
	return s | exp << mbits | man;
}

static uint64_t rand_int(unsigned bits)
{
	uint64_t top = 1ull << (bits - 1);
	uint64_t v;
	switch (rn(8)) {
	case 0: v = 0; break;
	case 1: v = rn(2) ? 1 : (uint64_t)-1; break;
	case 2: v = top; break;                /* the most negative: also the indefinite */
	case 3: v = top - 1; break;
	case 4: v = top + 1; break;
	case 5: v = (uint64_t)((int64_t)rn(2001) - 1000); break;
	default: v = rnd(); break;
	}
	return bits == 64 ? v : v & ((1ull << bits) - 1);
}

static void rand_bcd(uint8_t *b)
{
	unsigned ndig = rn(4) == 0 ? 18 : 1 + rn(18);
	memset(b, 0, 10);
	for (unsigned d = 0; d < ndig; d++) {
		unsigned v = rn(20) == 0 ? 10 + rn(6) : rn(10);   /* invalid digits now and then */
		b[d / 2] |= (uint8_t)(v << (4 * (d & 1)));
	}
	b[9] = rn(8) == 0 ? (uint8_t)rnd() : rn(2) ? 0x80 : 0;
}

/* ------------------------------------------------------------ the forms */

enum kind { K_REG, K_LOAD, K_STORE, K_FLDENV, K_FRSTOR, K_FNSTENV, K_FNSAVE, K_CW_LOAD,
	    K_CW_STORE, K_SW_STORE, K_SW_AX, K_CTRL };

struct form {
	unsigned op;
	uint8_t opc, reg, rm;   /* rm = 0xff: any ST(i) */
	bool mem;
	enum kind kind;
	unsigned size;          /* memory operand size */
	unsigned long cases, bad;
};

static struct form forms[256];
static unsigned nforms;

static unsigned mem_size_of(const char *operands, unsigned opc, unsigned reg)
{
	if (strstr(operands, "Mw")) return 2;
	if (strstr(operands, "Md")) return 4;
	if (strstr(operands, "Mq")) return 8;
	if (strstr(operands, "Mt")) return 10;
	(void)opc;
	(void)reg;
	return 0;
}

static void build_forms(void)
{
	for (unsigned op = 0; op < OP_COUNT; op++) {
		const struct opinfo *oi = &opinfo[op];
		if (!(oi->attr & A_FPU) || oi->map != 0 || oi->opc < 0xd8 || oi->opc > 0xdf)
			continue;
		struct form *f = &forms[nforms++];
		memset(f, 0, sizeof(*f));
		f->op = op;
		f->opc = oi->opc;
		f->reg = oi->match & 0x10 ? oi->match & 7 : 0;
		f->rm = (oi->match >> 5) & 0x10 ? (oi->match >> 5) & 7 : 0xff;
		f->mem = oi->match & M_MEM;
		f->size = mem_size_of(oi->operands, oi->opc, f->reg);
		const char *n = oi->name;
		if (!strcmp(n, "FLDENV_M")) f->kind = K_FLDENV;
		else if (!strcmp(n, "FRSTOR_M")) f->kind = K_FRSTOR;
		else if (!strcmp(n, "FNSTENV_M")) f->kind = K_FNSTENV;
		else if (!strcmp(n, "FNSAVE_M")) f->kind = K_FNSAVE;
		else if (!strcmp(n, "FLDCW_Mw")) f->kind = K_CW_LOAD;
		else if (!strcmp(n, "FNSTCW_Mw")) f->kind = K_CW_STORE;
		else if (!strcmp(n, "FNSTSW_Mw")) f->kind = K_SW_STORE;
		else if (!strcmp(n, "FNSTSW_AX")) f->kind = K_SW_AX;
		else if (!strcmp(n, "FNINIT") || !strcmp(n, "FNCLEX") || !strcmp(n, "FENI") ||
			 !strcmp(n, "FDISI") || !strcmp(n, "FSETPM")) f->kind = K_CTRL;
		else if (!f->mem) f->kind = K_REG;
		else if (!strncmp(n, "FST", 3) || !strncmp(n, "FIST", 4) || !strncmp(n, "FBSTP", 5))
			f->kind = K_STORE;
		else f->kind = K_LOAD;
	}
}

static bool is_control(const struct form *f)
{
	return f->kind >= K_FLDENV;
}

/* ------------------------------------------------------------ the host side */

/* push rdx; popfq; frstor [rsi]; <66/90> opc modrm; fnsave [rsi]; pushfq; pop rax; ret */
static uint8_t *jit;
typedef uint64_t native_fn(void *mem, void *img, uint64_t flags);

static void native_init(void)
{
	jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (jit == MAP_FAILED) {
		perror("x87-diff: mmap");
		exit(2);
	}
	static const uint8_t code[] = { 0x52, 0x9d, 0xdd, 0x26, 0x90, 0x90, 0x90, 0xdd, 0x36,
					0x9c, 0x58, 0xc3 };
	memcpy(jit, code, sizeof code);
}

static uint64_t native_run(bool o16, uint8_t opc, uint8_t modrm, void *mem, uint8_t img[108],
			   uint64_t flags)
{
	uint16_t cw;
	jit[4] = o16 ? 0x66 : 0x90;
	jit[5] = opc;
	jit[6] = modrm;
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	native_fn *fn;
	void *p = jit;
	memcpy(&fn, &p, sizeof fn);
	uint64_t r = fn(mem, img, flags);
	__asm__ volatile("fldcw %0" : : "m"(cw));
	return r;
}

/* ------------------------------------------------------------ the machine */

struct machine {
	struct mem mem;
	struct cpu cpu;
};

static void poke32(struct machine *m, uint32_t pa, uint32_t v)
{
	memcpy(m->mem.ram + pa, &v, 4);
}

static void machine_init(struct machine *m)
{
	if (mem_init(&m->mem, RAM_SIZE) || cpu_init(&m->cpu, &m->mem)) {
		fprintf(stderr, "x87-diff: cannot create the machine\n");
		exit(2);
	}
	struct cpu *c = &m->cpu;
	for (unsigned v = 0; v < 32; v++) {
		m->mem.ram[STUB_BASE + v] = 0xf4;
		uint32_t off = STUB_BASE + v;
		poke32(m, IDT_ADDR + v * 8, ((uint32_t)SEL_CODE << 16) | (off & 0xffff));
		poke32(m, IDT_ADDR + v * 8 + 4, (off & 0xffff0000u) | 0x8e00u);
	}
	poke32(m, GDT_ADDR + 0x08, 0x0000ffffu);
	poke32(m, GDT_ADDR + 0x0c, 0x00cf9b00u);
	poke32(m, GDT_ADDR + 0x10, 0x0000ffffu);
	poke32(m, GDT_ADDR + 0x14, 0x00cf9300u);
	cpu_set_cr0(c, c->cr0 | CPU_CR0_PE | CPU_CR0_NE | CPU_CR0_MP);
	c->cpl = 0;
	for (int i = 0; i < 6; i++) {
		struct seg *s = &c->seg[i];
		s->sel = i == S_CS ? SEL_CODE : SEL_DATA;
		s->valid = 1;
		s->base = 0;
		s->limit = 0xffffffffu;
		s->attr = SA_P | SA_S | SA_DB | SA_G | (i == S_CS ? 0xbu : 0x3u);
	}
	c->gdtr.base = GDT_ADDR;
	c->gdtr.limit = 0x17;
	c->idtr.base = IDT_ADDR;
	c->idtr.limit = 32 * 8 - 1;
}

/* ------------------------------------------------------------ state */

static unsigned tag_of(struct ext e)
{
	unsigned exp = e.se & 0x7fff;
	if (exp == 0x7fff)
		return 2;
	if (exp == 0)
		return e.m ? 2 : 1;
	return e.m >> 63 ? 0 : 2;
}

struct state {
	struct ext st[8];       /* physical registers */
	uint16_t fcw, fsw, ftw;
	uint32_t eflags;
};

static void rand_state(struct state *s, bool waiting)
{
	for (unsigned i = 0; i < 8; i++)
		s->st[i] = rand_ext();
	/* control word: PC (00 single, 01 reserved, 10 double, 11 extended), RC, X, masks */
	uint16_t masks = rn(10) < 7 ? 0x3f : (uint16_t)(rnd() & 0x3f);
	s->fcw = (uint16_t)(masks | 0x40 | (rnd() & 0x1f00));
	if (rn(3) == 0)
		s->fcw |= 0x300;      /* extended precision: the usual */
	/* tags */
	unsigned mode = rn(10);
	uint16_t ftw = 0;
	for (unsigned i = 0; i < 8; i++) {
		bool empty = mode == 0 ? true : mode == 1 ? false : rn(10) < 3;
		ftw |= (uint16_t)((empty ? 3u : tag_of(s->st[i])) << (2 * i));
	}
	s->ftw = ftw;
	/* status word: C0-C3 and TOP random, sticky flags; ES and B consistent */
	uint16_t flags = (uint16_t)(rnd() & 0x7f);
	if (waiting)
		flags &= (uint16_t)(s->fcw & 0x3f) | 0x40;
	if ((flags & 0x40) && !(flags & 1))
		flags &= (uint16_t)~0x40;
	s->fsw = (uint16_t)((rnd() & 0x7f00) | flags);
	if (flags & ~s->fcw & 0x3f)
		s->fsw |= 0x8080;
	s->eflags = 0x2 | (uint32_t)(rnd() & F_OSZAPC);
}

static void state_to_img(const struct state *s, uint8_t img[108])
{
	memset(img, 0, 108);
	memcpy(img + 0, &s->fcw, 2);
	memcpy(img + 4, &s->fsw, 2);
	memcpy(img + 8, &s->ftw, 2);
	unsigned top = (s->fsw >> 11) & 7;
	for (unsigned i = 0; i < 8; i++) {
		memcpy(img + 28 + 10 * i, &s->st[(top + i) & 7].m, 8);
		memcpy(img + 36 + 10 * i, &s->st[(top + i) & 7].se, 2);
	}
}

static void state_to_cpu(const struct state *s, struct cpu *c)
{
	struct fpu *f = &c->fpu;
	for (unsigned i = 0; i < 8; i++) {
		f->st[i].mant = s->st[i].m;
		f->st[i].se = s->st[i].se;
	}
	f->fcw = s->fcw;
	f->fsw = s->fsw;
	f->ftw = s->ftw;
	f->fip = 0x11111111u;
	f->fdp = 0x22222222u;
	f->fcs = 0x3333;
	f->fds = 0x4444;
	f->fop = 0x555;
	c->eflags = s->eflags;
}

/* ------------------------------------------------------------ one case */

static unsigned long total, mismatched, show = 20;
static bool verbose;

static void report(const struct form *f, const uint8_t *code, unsigned len, const char *what,
		   const struct state *s, const uint8_t *opnd, unsigned opnd_len)
{
	mismatched++;
	if (mismatched > show)
		return;
	printf("MISMATCH %s (", opinfo[f->op].name);
	for (unsigned i = 0; i < len; i++)
		printf("%s%02x", i ? " " : "", code[i]);
	printf("): %s\n  before: fcw %04x fsw %04x ftw %04x eflags %03x\n", what, s->fcw, s->fsw,
	       s->ftw, s->eflags);
	for (unsigned i = 0; i < 8; i++)
		printf("    R%u %04x %016" PRIx64 "\n", i, s->st[i].se, s->st[i].m);
	if (opnd_len) {
		printf("  operand:");
		for (unsigned i = 0; i < opnd_len; i++)
			printf(" %02x", opnd[i]);
		printf("\n");
	}
}

static void fill_operand(const struct form *f, uint8_t *b, bool o16)
{
	for (unsigned i = 0; i < 128; i++)
		b[i] = (uint8_t)rnd();
	switch (f->kind) {
	case K_LOAD:
		if (f->size == 10 && f->op == op_FBLD_Mt) {
			rand_bcd(b);
		} else if (f->size == 10) {
			struct ext e = rand_ext();
			memcpy(b, &e.m, 8);
			memcpy(b + 8, &e.se, 2);
		} else {
			bool integer = f->opc == 0xda || f->opc == 0xde || f->opc == 0xdf ||
				       (f->opc == 0xdb && f->reg == 0);
			uint64_t v = integer ? rand_int(f->size * 8)
				     : f->size == 4 ? rand_fp(8, 23) : rand_fp(11, 52);
			memcpy(b, &v, f->size);
		}
		break;
	case K_CW_LOAD:
		if (rn(2)) {
			uint16_t cw = (uint16_t)(0x40 | (rnd() & 0x1f00) | (rn(2) ? 0x3f : rnd() & 0x3f));
			memcpy(b, &cw, 2);
		}
		break;
	case K_FLDENV: case K_FRSTOR: {
		/* a plausible environment now and then, garbage otherwise */
		unsigned n = o16 ? 14 : 28;
		if (rn(2)) {
			uint16_t cw = (uint16_t)(0x40 | (rnd() & 0x1f00) | (rn(2) ? 0x3f : rnd() & 0x3f));
			uint16_t sw = (uint16_t)(rnd() & (rn(2) ? 0x7f40 : 0xffff));
			memcpy(b, &cw, 2);
			memcpy(b + (o16 ? 2 : 4), &sw, 2);
		}
		for (unsigned i = 0; f->kind == K_FRSTOR && i < 8; i++) {
			struct ext e = rand_ext();
			memcpy(b + n + 10 * i, &e.m, 8);
			memcpy(b + n + 10 * i + 8, &e.se, 2);
		}
		break;
	}
	default:
		break;
	}
}

static void run_case(struct machine *m, struct form *f)
{
	struct cpu *c = &m->cpu;
	struct state s;
	uint8_t code[16], opnd[128], nbuf[128 + 16];
	unsigned len = 0;
	bool o16 = (f->kind == K_FLDENV || f->kind == K_FRSTOR || f->kind == K_FNSTENV ||
		    f->kind == K_FNSAVE) && rn(3) == 0;
	bool waiting = x87_waiting(f->op);
	bool pending = waiting && rn(50) == 0;   /* must raise #MF */

	rand_state(&s, waiting && !pending);
	if (pending && !(s.fsw & 0x80)) {
		s.fcw &= (uint16_t)~FSW_ZE;
		s.fsw |= FSW_ZE | 0x8080;
	}
	uint8_t modrm;
	if (o16)
		code[len++] = 0x66;
	code[len++] = f->opc;
	uint32_t ea = 0;
	if (f->mem) {
		/* [ebx + disp32], the operand anywhere in the data area, across pages too */
		unsigned span = f->kind == K_FNSAVE || f->kind == K_FRSTOR ? 108 : 28;
		ea = DATA_BASE + (rn(4) == 0 ? 0x1000 - rn(span) : rn(DATA_LEN - 128));
		uint32_t ebx = (uint32_t)rnd();
		c->r[R_EBX] = ebx;
		modrm = (uint8_t)(0x80 | f->reg << 3 | 3);
		code[len++] = modrm;
		uint32_t disp = ea - ebx;
		memcpy(code + len, &disp, 4);
		len += 4;
		modrm = (uint8_t)(f->reg << 3 | 7);   /* the host's: [rdi] */
	} else {
		modrm = (uint8_t)(0xc0 | f->reg << 3 | (f->rm == 0xff ? rn(8) : f->rm));
		code[len++] = modrm;
	}
	fill_operand(f, opnd, o16);

	/* ---- shade86 ---- */
	memcpy(m->mem.ram + CODE_ADDR, code, len);
	memset(m->mem.ram + DATA_BASE, 0xa5, DATA_LEN);
	if (f->mem)
		memcpy(m->mem.ram + ea, opnd, 128);
	state_to_cpu(&s, c);
	uint32_t eax = (uint32_t)rnd();
	c->r[R_EAX] = eax;
	c->eip = CODE_ADDR;
	c->r[R_ESP] = STACK_TOP;
	c->halted = false;
	cpu_step(c);
	total++;
	f->cases++;
	unsigned long bad0 = mismatched;

	bool stub = c->eip >= STUB_BASE && c->eip < STUB_BASE + 32;
	int vector = stub ? (int)(c->eip - STUB_BASE) : -1;
	if (pending) {
		struct state t = s;
		bool same = vector == EX_MF && c->fpu.fcw == t.fcw && c->fpu.fsw == t.fsw &&
			    c->fpu.ftw == t.ftw && c->fpu.fip == 0x11111111u && c->fpu.fop == 0x555;
		for (unsigned i = 0; i < 8; i++)
			same = same && c->fpu.st[i].mant == t.st[i].m && c->fpu.st[i].se == t.st[i].se;
		if (f->mem)
			same = same && !memcmp(m->mem.ram + ea, opnd, 128);
		if (!same)
			report(f, code, len, "pending exception: expected #MF and no change", &s, opnd, 0);
		if (mismatched != bad0)
			f->bad++;
		return;
	}
	if (vector >= 0 || c->eip != CODE_ADDR + len) {
		char msg[64];
		snprintf(msg, sizeof msg, "exception %d (EIP %x)", vector, c->eip);
		report(f, code, len, msg, &s, opnd, f->size);
		f->bad++;
		return;
	}

	/* ---- the host ---- */
	uint8_t img[108];
	state_to_img(&s, img);
	memcpy(nbuf, opnd, 128);
	uint64_t fl_in = 0x202 | (s.eflags & (F_CF | F_PF | F_ZF));
	uint64_t fl = native_run(o16, f->opc, modrm, f->mem ? nbuf : NULL, img, fl_in);

	/* ---- compare ---- */
	uint16_t fcw, fsw, ftw;
	memcpy(&fcw, img + 0, 2);
	memcpy(&fsw, img + 4, 2);
	memcpy(&ftw, img + 8, 2);
	char msg[256];
	if (c->fpu.fcw != fcw || c->fpu.fsw != fsw || c->fpu.ftw != ftw) {
		snprintf(msg, sizeof msg, "fcw/fsw/ftw %04x %04x %04x, host %04x %04x %04x",
			 c->fpu.fcw, c->fpu.fsw, c->fpu.ftw, fcw, fsw, ftw);
		report(f, code, len, msg, &s, opnd, f->size);
	}
	unsigned top = (fsw >> 11) & 7;
	for (unsigned i = 0; i < 8; i++) {
		uint64_t mant;
		uint16_t se;
		memcpy(&mant, img + 28 + 10 * i, 8);
		memcpy(&se, img + 36 + 10 * i, 2);
		const struct x87reg *r = &c->fpu.st[(top + i) & 7];
		if (r->mant != mant || r->se != se) {
			snprintf(msg, sizeof msg, "ST(%u) = R%u %04x %016" PRIx64 ", host %04x %016" PRIx64,
				 i, (top + i) & 7, r->se, r->mant, se, mant);
			report(f, code, len, msg, &s, opnd, f->size);
			break;
		}
	}
	bool fcomi = f->op == op_FCOMI_ST0_STi || f->op == op_FCOMIP_ST0_STi ||
		     f->op == op_FUCOMI_ST0_STi || f->op == op_FUCOMIP_ST0_STi;
	uint32_t want_fl = fcomi ? (s.eflags & ~F_OSZAPC) | ((uint32_t)fl & F_OSZAPC) : s.eflags;
	if ((c->eflags & ~(uint32_t)F_RF) != want_fl) {
		snprintf(msg, sizeof msg, "EFLAGS %x, expected %x", c->eflags, want_fl);
		report(f, code, len, msg, &s, opnd, f->size);
	}
	if (f->kind == K_SW_AX && c->r[R_EAX] != ((eax & 0xffff0000u) | s.fsw)) {
		snprintf(msg, sizeof msg, "EAX %08x, expected %08x", c->r[R_EAX], (eax & 0xffff0000u) | s.fsw);
		report(f, code, len, msg, &s, opnd, 0);
	}
	if (f->mem) {
		/* the pointer fields of an environment are not comparable */
		if (f->kind == K_FNSTENV || f->kind == K_FNSAVE) {
			unsigned from = o16 ? 6 : 12, to = o16 ? 14 : 26;   /* FDS's upper half is reserved: FFFF */
			memcpy(nbuf + from, m->mem.ram + ea + from, to - from);
		}
		if (memcmp(m->mem.ram + ea, nbuf, 128)) {
			unsigned i = 0;
			while (m->mem.ram[ea + i] == nbuf[i])
				i++;
			snprintf(msg, sizeof msg, "memory differs at +%u: %02x, host %02x", i,
				 m->mem.ram[ea + i], nbuf[i]);
			report(f, code, len, msg, &s, opnd, f->size ? f->size : 28);
		}
		for (unsigned i = 0; i < DATA_LEN; i++) {
			uint32_t a = DATA_BASE + i;
			if ((a < ea || a >= ea + 128) && m->mem.ram[a] != 0xa5) {
				report(f, code, len, "memory written outside the operand", &s, opnd, 0);
				break;
			}
		}
	}
	/* pointers (SDM Vol. 1 8.1.8) */
	const struct fpu *p = &c->fpu;
	if (f->kind == K_FLDENV || f->kind == K_FRSTOR) {
		/* loaded from the image: checked by the unit tests */
	} else if (f->kind == K_FNSAVE || (f->kind == K_CTRL && f->op == op_FNINIT)) {
		if (p->fip || p->fdp || p->fcs || p->fds || p->fop)
			report(f, code, len, "pointers not cleared", &s, opnd, 0);
	} else if (is_control(f)) {
		if (p->fip != 0x11111111u || p->fdp != 0x22222222u || p->fcs != 0x3333 ||
		    p->fds != 0x4444 || p->fop != 0x555)
			report(f, code, len, "control instruction changed the pointers", &s, opnd, 0);
	} else {
		uint16_t fop = (uint16_t)((f->opc & 7) << 8 | code[o16 ? 2 : 1]);
		bool ok = p->fip == CODE_ADDR && p->fcs == SEL_CODE && p->fop == fop;
		if (f->mem)
			ok = ok && p->fdp == ea && p->fds == SEL_DATA;
		else
			ok = ok && p->fdp == 0x22222222u && p->fds == 0x4444;
		if (!ok) {
			snprintf(msg, sizeof msg, "pointers fip %x fcs %x fop %x fdp %x fds %x",
				 p->fip, p->fcs, p->fop, p->fdp, p->fds);
			report(f, code, len, msg, &s, opnd, 0);
		}
	}
	if (mismatched != bad0)
		f->bad++;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1;
	unsigned long count = 1000000;
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--show") && i + 1 < argc)
			show = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--op") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--verbose"))
			verbose = true;
		else {
			fprintf(stderr, "usage: x87-diff [--seed S] [--count N] [--show N] [--op NAME] [--verbose]\n");
			return 2;
		}
	}
	rng_state = seed;
	build_forms();
	native_init();
	static struct machine m;
	machine_init(&m);

	unsigned sel[256], nsel = 0;
	for (unsigned i = 0; i < nforms; i++)
		if (!only || !strcmp(opinfo[forms[i].op].name, only))
			sel[nsel++] = i;
	if (!nsel) {
		fprintf(stderr, "x87-diff: no form %s\n", only);
		return 2;
	}
	for (unsigned long n = 0; n < count; n++)
		run_case(&m, &forms[sel[n % nsel]]);
	if (verbose || mismatched)
		for (unsigned i = 0; i < nsel; i++) {
			const struct form *f = &forms[sel[i]];
			if (verbose || f->bad)
				printf("  %-18s %8lu cases %8lu mismatched\n", opinfo[f->op].name, f->cases, f->bad);
		}
	printf("x87-diff: seed %" PRIu64 ": %lu cases, %lu mismatched\n", seed, total, mismatched);
	return mismatched ? 1 : 0;
}

/* bt-fuzz: building a case (see bt-fuzz.h): the world, the initial state,
 * the instruction sequence drawn from the opcode table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/interp.h"
#include "bt-fuzz.h"

/* ------------------------------------------------------------ the data window */

/* what each linear page of the window is, and the physical page behind it */
enum wkind { W_RW, W_RO, W_SRW, W_SRO, W_NP, W_PT, W_ALIAS, W_MMIO, W_NONE, W_ROM };
static const struct {
	enum wkind kind;
	uint32_t pa;
} window[WIN_PAGES] = {
	{ W_RW, 0x10000 }, { W_RW, 0x11000 }, { W_RO, 0x12000 }, { W_SRW, 0x13000 },
	{ W_SRO, 0x14000 }, { W_NP, 0 }, { W_PT, PT_ADDR }, { W_ALIAS, 0x11000 },
	{ W_MMIO, DEV_MMIO }, { W_NONE, UNASSIGNED }, { W_ROM, ROM_PHYS }, { W_RW, 0x1b000 },
	{ W_NP, 0 },
};

/* ------------------------------------------------------------ random numbers */

uint64_t rnd64(struct rng *g)
{
	/* splitmix64 */
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rn(struct rng *g, uint32_t n)
{
	return (uint32_t)(rnd64(g) % n);
}

static bool one_in(struct rng *g, uint32_t n)
{
	return rn(g, n) == 0;
}

/* a value with the boundaries arithmetic cares about */
static uint32_t interesting(struct rng *g)
{
	static const uint32_t v[] = { 0, 1, 2, 0xffffffffu, 0x80000000u, 0x7fffffffu, 0xffffu, 0x8000u,
				      0x7fffu, 0xffu, 0x80u, 0x7fu, 31, 32, 33, 16, 8 };
	switch (rn(g, 4)) {
	case 0: return v[rn(g, sizeof v / sizeof v[0])];
	case 1: return rn(g, 64);
	case 2: return (uint32_t)-(int32_t)rn(g, 64);
	default: return (uint32_t)rnd64(g);
	}
}

/* ------------------------------------------------------------ the opcode table */

/* what the operand string says about the encoding (as cpu/decode.c reads it) */
struct shape {
	bool modrm;
	bool reg_only;        /* an R operand: ModRM names a register whatever mod says */
	char regkind;         /* what ModRM.reg names: 'G', 'S', 'C', 'D', 'P', 'V' ...; 0 an extension */
	unsigned nimm;
	char imm[3][4];       /* immediate tokens in order: Ib Ibs Iw Id Iz Iv Jb Jz Ap Ob Ov */
};

static bool lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static void shape_of(unsigned row, struct shape *s)
{
	const struct opinfo *oi = &opinfo[row];
	memset(s, 0, sizeof(*s));
	for (const char *p = oi->operands; *p;) {
		char tok[8] = { 0 };
		unsigned n = 0;
		while (*p && *p != ',') {
			if (n < sizeof(tok) - 1)
				tok[n++] = *p;
			p++;
		}
		if (*p == ',')
			p++;
		if (strchr("EGMRCDTSPQNVWU", tok[0]) && (tok[1] == 0 || lower(tok[1]))) {
			s->modrm = true;
			if (tok[0] == 'R')
				s->reg_only = true;
			if (strchr("GSCDPVT", tok[0]))
				s->regkind = tok[0];
		}
		if (n >= 2 && lower(tok[1]) && strchr("IJAO", tok[0]) && s->nimm < 3)
			memcpy(s->imm[s->nimm++], tok, 4);
	}
	if ((oi->match & 0x1f) || (oi->match & (M_MEM | M_RM3 | (0x1fu << 5))))
		s->modrm = true;
	if (oi->map == 0 && oi->opc >= 0xd8 && oi->opc <= 0xdf)
		s->modrm = true;
}

enum cls { C_ALU, C_BRANCH, C_STRING, C_SYS, C_RARE, C_FPU, C_SIMD, C_COUNT };
static const unsigned cls_weight[C_COUNT] = { 58, 12, 6, 7, 1, 8, 8 };
static uint16_t cls_rows[C_COUNT][OP_COUNT];
static unsigned cls_n[C_COUNT];

static bool is_rare(unsigned op)
{
	return op == op_LLDT_Ew || op == op_LTR_Ew || op == op_LMSW_Ew || op == op_WRMSR ||
	       op == op_SYSENTER || op == op_SYSEXIT || op == op_MOV_DdRd;
}

void build_classes(void)
{
	for (unsigned i = 0; i < OP_COUNT; i++) {
		uint32_t a = opinfo[i].attr;
		if (a & (A_UD | A_NOEXEC | A_PREFIX))
			continue;
		enum cls c = (a & A_FPU) ? C_FPU : (a & A_SIMD) ? C_SIMD : is_rare(i) ? C_RARE :
			     (a & A_STRING) ? C_STRING : (a & A_BRANCH) ? C_BRANCH :
			     (a & (A_PRIV | A_SENS | A_IOPL | A_ENDBLK)) ? C_SYS : C_ALU;
		cls_rows[c][cls_n[c]++] = (uint16_t)i;
	}
}

/* The arithmetic flags an instruction consumes: FR.  That includes the forms
 * that save EFLAGS in memory (PUSHF, INT n in its frame, a task switch in
 * the TSS): translated, they save the host's undefined flags, and lockstep
 * compares memory exactly. */
uint32_t flags_read(unsigned op)
{
	return op < OP_COUNT ? opinfo[op].fr & F_OSZAPC : 0;
}

/* The flags possibly undefined after the instruction, given u before it: an
 * instruction defines the flags it writes without reading them or leaving
 * them undefined (INT n, far transfers and IRET read F_ALL: they pass the
 * arithmetic flags through, or load them in a task switch; a shift by 0
 * passes its flags through) and adds its FU flags. */
uint32_t flags_after(unsigned op, uint32_t u)
{
	if (op >= OP_COUNT)
		return u;
	const struct opinfo *oi = &opinfo[op];
	return ((u & ~(oi->fw & ~oi->fu & ~oi->fr)) | oi->fu) & F_OSZAPC;
}

/* ------------------------------------------------------------ building the world */

void put32(uint8_t *img, uint32_t a, uint32_t v)
{
	memcpy(img + a, &v, 4);
}

uint32_t get32(const uint8_t *img, uint32_t a)
{
	uint32_t v;
	memcpy(&v, img + a, 4);
	return v;
}

static void put_desc(uint8_t *img, unsigned sel, uint32_t base, uint32_t limit, unsigned type,
		     unsigned dpl, bool s, bool gran, bool db)
{
	uint32_t lo = (base << 16) | (limit & 0xffff);
	uint32_t hi = ((base >> 16) & 0xff) | (type << 8) | (s ? 0x1000u : 0) | (dpl << 13) | 0x8000u |
		      (limit & 0xf0000u) | (gran ? 0x800000u : 0) | (db ? 0x400000u : 0) | (base & 0xff000000u);
	put32(img, GDT_ADDR + sel, lo);
	put32(img, GDT_ADDR + sel + 4, hi);
}

static void put_pte(struct rng *g, uint8_t *img, uint32_t lin, uint32_t pa, uint32_t flags)
{
	/* Accessed and Dirty already set now and then */
	if (flags & PTE_P)
		flags |= (one_in(g, 4) ? PTE_A : 0) | (one_in(g, 4) ? PTE_D : 0);
	put32(img, PT_ADDR + (lin >> 12) * 4, pa | flags);
}

/* an address in the data window, or elsewhere worth touching: mostly where
 * the access succeeds, so that sequences run on */
static uint32_t pick_target(struct rng *g, const struct tcase *tc)
{
	uint32_t page, k = rn(g, 40);
	if (k < 21)
		page = (uint32_t[]){ 0, 1, 11 }[k % 3];            /* user read/write */
	else if (k < 23)
		page = 7;                                          /* the alias of page 1 */
	else if (k < 26)
		page = 8;                                          /* MMIO */
	else if (k < 28)
		page = 9 + (k & 1);                                /* unassigned, ROM */
	else if (k < 32)
		return tc->r[R_ESP] + rn(g, 64) - 32;              /* the stack */
	else if (k < 33)
		page = 6;                                          /* the page table */
	else if (k < 35)
		page = 2 + rn(g, 3);                               /* read-only, supervisor */
	else if (k < 36)
		page = rn(g, 2) ? 5 : 12;                          /* not present */
	else if (k < 37)
		return tc->code_at + rn(g, 128);                   /* the code: self-modifying */
	else if (k < 38)
		return one_in(g, 4) ? 0x400000u + rn(g, RAM_SIZE) : (uint32_t)rnd64(g);
	else
		page = rn(g, WIN_PAGES);
	uint32_t off = one_in(g, 10) ? 0x1000 - 1 - rn(g, 16) : rn(g, 0x1000);
	return WIN + page * 0x1000 + off;
}

static uint32_t rand_value(struct rng *g, const struct tcase *tc)
{
	static const uint16_t sels[] = { SEL_CODE0, SEL_DATA0, SEL_CODE3 | 3, SEL_DATA3 | 3, SEL_TSS,
					 SEL_BASED | 3, SEL_SMALL | 3, SEL_RDONLY | 3, SEL_CODE16 | 3,
					 SEL_EXPDOWN | 3, SEL_GATE | 3, 0 };
	switch (rn(g, 4)) {
	case 0: return pick_target(g, tc);
	case 1: return sels[rn(g, sizeof sels / sizeof sels[0])];
	default: return interesting(g);
	}
}

static void add_slot(struct tcase *tc, int reg, uint32_t pa, unsigned insn)
{
	if (tc->nslots < MAX_SLOTS)
		tc->slots[tc->nslots++] = (struct slot){ reg, pa, insn };
}

void build_world(struct rng *g, struct tcase *tc)
{
	uint8_t *img = tc->img;
	memset(img, 0, RAM_SIZE);
	/* paging: PDE 0 to the page table, PDE 1 a 4 MiB page over RAM (CR4.PSE) */
	put32(img, PD_ADDR, PT_ADDR | PTE_P | PTE_RW | PTE_US);
	put32(img, PD_ADDR + 4, PTE_PS | PTE_P | PTE_RW | PTE_US);
	put_pte(g, img, PD_ADDR, PD_ADDR, PTE_P | PTE_RW);
	put_pte(g, img, PT_ADDR, PT_ADDR, PTE_P | PTE_RW);
	put_pte(g, img, GDT_ADDR, GDT_ADDR, PTE_P | PTE_RW);
	put_pte(g, img, STUB_BASE, STUB_BASE, PTE_P);
	put_pte(g, img, 0x5000, 0x5000, PTE_P | PTE_RW | PTE_US);
	put_pte(g, img, 0x6000, 0x6000, PTE_P | PTE_RW | PTE_US);
	put_pte(g, img, 0x7000, 0x7000, PTE_P | PTE_RW);
	put_pte(g, img, 0x8000, 0x8000, PTE_P | PTE_RW | PTE_US);
	for (unsigned i = 0; i < WIN_PAGES; i++) {
		static const uint32_t fl[] = {
			[W_RW] = PTE_P | PTE_RW | PTE_US, [W_RO] = PTE_P | PTE_US, [W_SRW] = PTE_P | PTE_RW,
			[W_SRO] = PTE_P, [W_NP] = 0, [W_PT] = PTE_P | PTE_RW | PTE_US,
			[W_ALIAS] = PTE_P | PTE_RW | PTE_US, [W_MMIO] = PTE_P | PTE_RW | PTE_US,
			[W_NONE] = PTE_P | PTE_RW | PTE_US, [W_ROM] = PTE_P | PTE_RW | PTE_US,
		};
		put_pte(g, img, WIN + i * 0x1000, window[i].pa, fl[window[i].kind]);
	}
	/* descriptors (accessed bits set: loading one writes nothing) */
	put_desc(img, SEL_CODE0, 0, 0xfffff, 0xb, 0, true, true, true);
	put_desc(img, SEL_DATA0, 0, 0xfffff, 0x3, 0, true, true, true);
	put_desc(img, SEL_CODE3, 0, 0xfffff, 0xb, 3, true, true, true);
	put_desc(img, SEL_DATA3, 0, 0xfffff, 0x3, 3, true, true, true);
	put_desc(img, SEL_TSS, TSS_ADDR, 0x67, 0xb, 0, false, false, false);
	put_desc(img, SEL_BASED, WIN, 0xfffff, 0x3, 3, true, true, true);
	put_desc(img, SEL_SMALL, 0, 0x1b, 0x3, 3, true, true, true);
	put_desc(img, SEL_RDONLY, 0, 0xfffff, 0x1, 3, true, true, true);
	put_desc(img, SEL_CODE16, 0, 0xfffff, 0xb, 3, true, true, false);
	put_desc(img, SEL_EXPDOWN, 0, 0xf, 0x7, 3, true, true, true);
	put32(img, GDT_ADDR + SEL_GATE, ((uint32_t)SEL_CODE0 << 16) | (GATE_STUB & 0xffff));
	put32(img, GDT_ADDR + SEL_GATE + 4, (GATE_STUB & 0xffff0000u) | 0x8000u | (3u << 13) | (0xcu << 8));
	/* TSS: ring-0 stack; the I/O map base past the limit (no bitmap) */
	put32(img, TSS_ADDR + 4, STACK0_TOP);
	put32(img, TSS_ADDR + 8, SEL_DATA0);
	put32(img, TSS_ADDR + 0x64, 0x68u << 16);
	/* IDT: interrupt gates to the stubs */
	for (unsigned v = 0; v < 256; v++) {
		uint32_t off = STUB_BASE + v;
		bool open = v == 3 || v == 4 || v == 0x80 || (v >= 0x30 && v <= 0x3f);
		uint32_t p = v == 0x3f ? 0 : 0x8000u;
		put32(img, IDT_ADDR + v * 8, ((uint32_t)SEL_CODE0 << 16) | (off & 0xffff));
		put32(img, IDT_ADDR + v * 8 + 4, (off & 0xffff0000u) | p | 0xe00u | (open ? 3u << 13 : 0));
	}
	memset(img + STUB_BASE, 0xf4, 0x101);
	/* code pages: INT3 landing pads, or random bytes */
	bool pads = rn(g, 10) < 7;
	for (unsigned i = 0; i < sizeof tc->code_fill; i++)
		tc->code_fill[i] = pads ? 0xcc : (uint8_t)rnd64(g);
	/* data and stacks: random bytes with values sprinkled */
	for (unsigned i = 0; i < WIN_PAGES; i++) {
		uint32_t pa = window[i].pa;
		if ((window[i].kind != W_RW && window[i].kind != W_RO && window[i].kind != W_SRW &&
		     window[i].kind != W_SRO))
			continue;
		for (unsigned k = 0; k < 0x1000; k += 8) {
			uint64_t v = rnd64(g);
			memcpy(img + pa + k, &v, 8);
		}
		for (unsigned k = 0; k < 64; k++)
			put32(img, pa + rn(g, 0x1000 / 4) * 4, rand_value(g, tc));
		for (unsigned k = 0; k < 2; k++)
			add_slot(tc, -1, pa + rn(g, 0x1000 / 4) * 4, rn(g, 40));
	}
	for (uint32_t a = 0x7000; a < 0x9000; a += 4)
		put32(img, a, rn(g, 2) ? rand_value(g, tc) : (uint32_t)rnd64(g));
}

/* the initial state (registers first: the memory operands are aimed with them) */
static void init_state(struct rng *g, struct tcase *tc)
{
	tc->cr0 = CPU_CR0_PE | CPU_CR0_PG | CPU_CR0_ET | (rn(g, 5) ? CPU_CR0_NE : 0) |
		  (rn(g, 2) ? CPU_CR0_MP : 0) | (rn(g, 2) ? CPU_CR0_WP : 0) | (one_in(g, 5) ? CPU_CR0_AM : 0) |
		  (one_in(g, 20) ? CPU_CR0_TS : 0) | (one_in(g, 30) ? CPU_CR0_EM : 0);
	tc->cr4 = (rn(g, 10) ? CPU_CR4_OSFXSR : 0) | (rn(g, 2) ? CPU_CR4_OSXMMEXCPT : 0) |
		  (one_in(g, 10) ? CPU_CR4_TSD : 0) | (one_in(g, 3) ? CPU_CR4_PSE : 0) |
		  (one_in(g, 3) ? CPU_CR4_DE : 0) | (one_in(g, 5) ? CPU_CR4_PCE : 0);
	tc->eflags = 0x2 | ((uint32_t)rnd64(g) & F_OSZAPC) | (one_in(g, 4) ? F_DF : 0) |
		     (one_in(g, 3) ? F_IF : 0) | (one_in(g, 3) ? F_IOPL : 0) | (one_in(g, 10) ? F_AC : 0) |
		     (one_in(g, 60) ? F_TF : 0);
	bool u = tc->cpl == 3;
	tc->sel[S_CS] = u ? SEL_CODE3 | 3 : SEL_CODE0;
	tc->sel[S_SS] = u ? SEL_DATA3 | 3 : SEL_DATA0;
	static const uint16_t odd[] = { SEL_BASED | 3, SEL_SMALL | 3, SEL_RDONLY | 3, SEL_EXPDOWN | 3, 0 };
	for (int s = 0; s < 6; s++) {
		if (s == S_CS || s == S_SS)
			continue;
		unsigned pct = (s == S_FS || s == S_GS) ? 40 : 10;
		if (rn(g, 100) < pct)
			tc->sel[s] = odd[rn(g, sizeof odd / sizeof odd[0])];
		else
			tc->sel[s] = (u || rn(g, 2)) ? SEL_DATA3 | 3 : SEL_DATA0;
	}
	/* EAX ECX EDX: values; EBX EBP ESI EDI: mostly pointers; ESP: the stack */
	for (int i = 0; i < 8; i++) {
		tc->r_known[i] = true;
		if (i == R_ESP) {
			uint32_t top = u ? STACK3_TOP : STACK0_TOP;
			tc->r[i] = one_in(g, 20) ? pick_target(g, tc) : top - 4 * rn(g, 48) - (one_in(g, 10) ? rn(g, 4) : 0);
		} else if (i == R_EAX || i == R_ECX || i == R_EDX) {
			tc->r[i] = i == R_ECX && rn(g, 5) < 3 ? rn(g, 20) : rand_value(g, tc);
		} else {
			tc->r[i] = rn(g, 12) ? pick_target(g, tc) : rand_value(g, tc);
		}
	}
	for (int i = 0; i < 8; i++) {
		if (i != R_ESP && one_in(g, 12)) {
			tc->r_known[i] = false;   /* a code address (indirect jumps) */
			add_slot(tc, i, 0, rn(g, 40));
		}
	}
	/* return addresses on the stack */
	uint32_t esp = tc->r[R_ESP];
	for (unsigned k = 0; k < 8; k++)
		if (esp >= 0x7000 && esp <= 0x9000 - 4 * k - 4 && one_in(g, 3))
			add_slot(tc, -1, esp + 4 * k, rn(g, 40));
	for (unsigned i = 0; i < 16; i++)
		tc->dev[i] = (uint8_t)rnd64(g);
	/* x87 and SSE: the reset state, or a random one */
	memset(&tc->fpu, 0, sizeof(tc->fpu));
	tc->fpu.fcw = 0x0040;
	tc->fpu.ftw = 0x5555;
	tc->fpu.mxcsr = 0x1f80;
	if (rn(g, 2)) {
		struct fpu *f = &tc->fpu;
		f->fcw = (uint16_t)(0x0040 | (rn(g, 4) << 10) | (rn(g, 4) << 8) | (one_in(g, 8) ? rn(g, 64) : 0x3f));
		unsigned top = rn(g, 8);
		f->fsw = (uint16_t)(top << 11 | (one_in(g, 4) ? rn(g, 0x80) & 0x7f & (f->fcw | 0x40) : 0));
		f->ftw = 0;
		for (unsigned i = 0; i < 8; i++) {
			unsigned tag = 3;
			if (rn(g, 2)) {
				static const uint16_t exps[] = { 0, 0x7fff, 0x3fff, 0x3ffe, 0x4010, 0x401e, 0x403e, 0x0001 };
				f->st[i].mant = rnd64(g) | (rn(g, 8) ? 1ull << 63 : 0);
				f->st[i].se = (uint16_t)(exps[rn(g, 8)] + (one_in(g, 3) ? rn(g, 8) : 0)) | (rn(g, 2) ? 0x8000 : 0);
				if (one_in(g, 6)) {
					f->st[i].mant = 0;
					f->st[i].se &= 0x8000;
				}
				unsigned e = f->st[i].se & 0x7fff;
				tag = e == 0x7fff ? 2 : e == 0 ? (f->st[i].mant ? 2 : 1) : (f->st[i].mant >> 63) ? 0 : 2;
			}
			f->ftw |= (uint16_t)(tag << (2 * i));
		}
		f->mxcsr = 0x1f80u | (rn(g, 4) << 13) | (one_in(g, 8) ? 0x8040u : 0);
		if (one_in(g, 16))
			f->mxcsr &= ~(rn(g, 64) << 7);
		if (rn(g, 2))
			for (unsigned i = 0; i < 8; i++)
				for (unsigned k = 0; k < 16; k++)
					f->xmm[i][k] = (uint8_t)rnd64(g);
	}
}

/* ------------------------------------------------------------ instructions */

struct gen {
	struct rng *g;
	struct tcase *tc;
	bool live[8];         /* the register still holds its initial value, as far as can be told */
};

/* a general register for a ModRM or opcode register field: the value
 * registers more often than the pointers (string and XLAT operands stay
 * where they point), ESP rarely */
static unsigned pick_reg(struct rng *g)
{
	unsigned k = rn(g, 20);
	return k < 14 ? (unsigned[]){ R_EAX, R_ECX, R_EDX }[k % 3] : k < 19 ? (unsigned[]){ R_EBX, R_EBP, R_ESI, R_EDI }[k % 4] : R_ESP;
}

static void put_le(uint8_t *b, unsigned *n, uint32_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		b[(*n)++] = (uint8_t)(v >> (8 * i));
}

/* a register whose initial value is known (for aiming), or -1 */
static int known_reg(struct gen *x, bool allow_esp)
{
	for (unsigned tries = 0; tries < 8; tries++) {
		unsigned r = one_in(x->g, 3) ? rn(x->g, 8) : (unsigned[]){ R_EBX, R_EBP, R_ESI, R_EDI }[rn(x->g, 4)];
		if (r == R_ESP && !allow_esp)
			continue;
		if (x->live[r])
			return (int)r;
	}
	return -1;
}

/* ModRM (reg given), SIB and displacement of a 32-bit memory operand aimed
 * at a target through the registers' initial values */
static void put_ea32(struct gen *x, uint8_t *b, unsigned *n, unsigned reg, uint32_t align)
{
	struct rng *g = x->g;
	uint32_t t = pick_target(g, x->tc);
	if (!one_in(g, 8))
		t &= ~(align - 1);
	unsigned form = rn(g, 100);
	int base = form < 30 ? -1 : known_reg(x, form >= 90);
	if (base < 0) {
		b[(*n)++] = (uint8_t)(reg << 3 | 5);      /* [disp32] */
		put_le(b, n, t, 4);
		return;
	}
	if (form < 75) {                                  /* [base + disp] */
		uint32_t d = t - x->tc->r[base];
		unsigned mod = (int32_t)d == (int8_t)d ? (d == 0 && base != R_EBP && rn(g, 2) ? 0 : 1) : 2;
		b[(*n)++] = (uint8_t)(mod << 6 | reg << 3 | (base == R_ESP ? 4u : (unsigned)base));
		if (base == R_ESP)
			b[(*n)++] = 0x24;
		if (mod)
			put_le(b, n, d, mod == 1 ? 1 : 4);
		return;
	}
	/* SIB with an index */
	int index = known_reg(x, false);
	unsigned scale = rn(g, 4);
	if (index < 0)
		index = R_ECX;
	bool nobase = one_in(g, 4);
	uint32_t sum = (nobase ? 0 : x->tc->r[base]) + (x->tc->r[index] << scale);
	uint32_t d = t - sum;
	if (!x->live[index])
		d = (uint32_t)rnd64(g);
	unsigned mod = nobase ? 0 : (int32_t)d == (int8_t)d ? 1 : 2;
	b[(*n)++] = (uint8_t)(mod << 6 | reg << 3 | 4);
	b[(*n)++] = (uint8_t)(scale << 6 | (unsigned)index << 3 | (nobase ? 5u : (unsigned)base));
	if (nobase || mod == 2)
		put_le(b, n, d, 4);
	else
		put_le(b, n, d, 1);
}

static void put_ea16(struct gen *x, uint8_t *b, unsigned *n, unsigned reg)
{
	unsigned mod = rn(x->g, 3), rm = rn(x->g, 8);
	b[(*n)++] = (uint8_t)(mod << 6 | reg << 3 | rm);
	if (mod == 1)
		put_le(b, n, rn(x->g, 256), 1);
	else if (mod == 2 || (mod == 0 && rm == 6))
		put_le(b, n, (uint32_t)rnd64(x->g), 2);
}

/* an immediate of size bytes for the row: biased where the row cares */
static uint32_t imm_value(struct gen *x, unsigned op, unsigned size, unsigned k)
{
	struct rng *g = x->g;
	static const uint8_t ports[] = { DEV_PORT, DEV_PORT + 1, DEV_PORT + 2, DEV_PORT + 3, 0xf4, 0x80 };
	static const uint8_t vecs[] = { 0x30, 0x31, 0x3e, 0x3f, 3, 4, 0x80, 0x0e, 0x0d, 0x08 };
	if (op == op_IN_ALIb || op == op_IN_eAXIb || op == op_OUT_IbAL || op == op_OUT_IbeAX)
		return rn(g, 3) ? ports[rn(g, sizeof ports)] : rn(g, 256);
	if (op == op_INT_Ib)
		return rn(g, 3) ? vecs[rn(g, sizeof vecs)] : rn(g, 256);
	if (op == op_ENTER_IwIb)
		return k == 0 ? rn(g, 64) : rn(g, 4) ? rn(g, 3) : rn(g, 256);
	if (op == op_RET_Iw || op == op_RETF_Iw)
		return rn(g, 4) ? 4 * rn(g, 8) : rn(g, 65536);
	if (op == op_SHLD_EvGvIb || op == op_SHRD_EvGvIb)
		return rn(g, 4) ? rn(g, 17) : rn(g, 256);   /* r/m16 by more than 16: undefined */
	if (size == 1 && rn(g, 2))
		return (uint32_t[]){ 0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 0x7f, 0x80, 0xff }[rn(g, 13)];
	uint32_t v = interesting(g);
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

/* Decode what was built; returns false to try again */
static bool settle(struct gen *x, struct ginsn *gi, unsigned row, const uint8_t *b, unsigned n, unsigned attempt)
{
	struct insn in;
	enum decode_status st = decode_buf(&in, true, b, n);
	if (st == DEC_OK && in.len == n && (in.op == row || attempt >= 4)) {
		gi->op = in.op;
	} else if (st == DEC_UD && in.len <= n && one_in(x->g, 20)) {
		gi->op = OP_COUNT;   /* an invalid encoding now and then: #UD */
	} else {
		return false;
	}
	memcpy(gi->b, b, n);
	gi->len = (uint8_t)n;
	return true;
}

/* One instruction of the given row: prefixes, opcode, ModRM, immediates */
static bool encode_row(struct gen *x, unsigned row, struct ginsn *gi)
{
	struct rng *g = x->g;
	const struct opinfo *oi = &opinfo[row];
	uint32_t m = oi->match;
	struct shape sh;
	shape_of(row, &sh);
	for (unsigned attempt = 0; attempt < 8; attempt++) {
		uint8_t b[40];
		unsigned n = 0;
		bool mand = m & M_PFX_ANY;
		bool o16 = (m & M_O16) ? true : (m & M_O32) ? false : (!mand && one_in(g, 8));
		bool a16 = (m & M_A16) ? true : (m & M_A32) ? false : one_in(g, 40);
		unsigned reg = 0, rm = 0;
		bool mem = false;
		if (sh.modrm) {
			if (m & 0x10)
				reg = m & 7;
			else if (sh.regkind == 'S')
				reg = rn(g, 6);
			else if (sh.regkind == 'C')
				reg = rn(g, 8) ? (unsigned[]){ 0, 2, 3, 4 }[rn(g, 4)] : rn(g, 8);
			else if (sh.regkind == 'G')
				reg = pick_reg(g);
			else
				reg = rn(g, 8);
			if (m & (0x10u << 5))
				rm = (m >> 5) & 7;
			else if (m & M_MEM)
				mem = true;
			else if (!(m & M_RM3) && !sh.reg_only)
				mem = rn(g, 100) < 55;
			if (!mem && !(m & (0x10u << 5)))
				rm = pick_reg(g);
		}
		/* legacy prefixes in random order, the mandatory one last */
		uint8_t pf[6];
		unsigned np = 0;
		if (o16)
			pf[np++] = 0x66;
		if (a16)
			pf[np++] = 0x67;
		if (one_in(g, 10))
			pf[np++] = (uint8_t[]){ 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 }[rn(g, 6)];
		if (((oi->attr & A_LOCK) && mem && one_in(g, 4)) || one_in(g, 150))
			pf[np++] = 0xf0;
		if ((oi->attr & A_STRING) && rn(g, 2))
			pf[np++] = rn(g, 4) ? 0xf3 : 0xf2;
		else if (!mand && one_in(g, 60))
			pf[np++] = rn(g, 2) ? 0xf3 : 0xf2;
		for (unsigned i = np; i > 1; i--) {
			unsigned j = rn(g, i);
			uint8_t t = pf[i - 1];
			pf[i - 1] = pf[j];
			pf[j] = t;
		}
		memcpy(b, pf, np);
		n = np;
		if (m & M_P66)
			b[n++] = 0x66;
		else if (m & M_PF3)
			b[n++] = 0xf3;
		else if (m & M_PF2)
			b[n++] = 0xf2;
		if (oi->map)
			b[n++] = 0x0f;
		b[n++] = (uint8_t)(oi->opc | ((m & M_OPR8) ? rn(g, 8) : 0));
		if (sh.modrm) {
			if (!mem)
				b[n++] = (uint8_t)(0xc0 | reg << 3 | rm);
			else if (a16)
				put_ea16(x, b, &n, reg);
			else
				put_ea32(x, b, &n, reg, oi->attr & (A_SIMD | A_FPU) ? 16 : 1);
		}
		unsigned osize = o16 && !(m & M_P66) ? 2 : 4, asize = a16 ? 2 : 4;
		gi->target = -1;
		gi->rel_size = 0;
		for (unsigned k = 0; k < sh.nimm; k++) {
			const char *t = sh.imm[k];
			unsigned size = t[0] == 'O' ? asize : (t[1] == 'b') ? 1 : t[1] == 'w' ? 2 : t[1] == 'd' ? 4 : osize;
			if (t[0] == 'J') {
				gi->target = -2;                     /* aimed once the sequence exists */
				gi->rel_at = (uint8_t)n;
				gi->rel_size = (uint8_t)size;
				put_le(b, &n, (uint32_t)rnd64(g), size);
			} else if (t[0] == 'A') {                    /* far pointer: offset, selector */
				static const uint16_t sels[] = { SEL_CODE0, SEL_CODE3 | 3, SEL_CODE16 | 3, SEL_GATE | 3,
								 SEL_TSS, SEL_DATA3 | 3 };
				put_le(b, &n, rn(g, 3) ? x->tc->code_at + rn(g, 64) : (uint32_t)rnd64(g), osize);
				put_le(b, &n, rn(g, 5) ? sels[rn(g, sizeof sels / sizeof sels[0])] : rn(g, 0x10000), 2);
			} else if (t[0] == 'O') {
				put_le(b, &n, pick_target(g, x->tc), size);
			} else {
				put_le(b, &n, imm_value(x, row, size, k), size);
			}
		}
		if (n <= 15 && settle(x, gi, row, b, n, attempt))
			return true;
	}
	return false;
}

static bool encode_bytes(struct ginsn *gi, const uint8_t *b, unsigned n)
{
	struct insn in;
	if (decode_buf(&in, true, b, n) != DEC_OK || in.len != n)
		return false;
	memcpy(gi->b, b, n);
	gi->len = (uint8_t)n;
	gi->op = in.op;
	gi->target = -1;
	gi->rel_size = 0;
	return true;
}

/* CMP r32, r32: defines every arithmetic flag, changes nothing else */
static void definer(struct rng *g, struct ginsn *gi)
{
	uint8_t b[2] = { 0x39, (uint8_t)(0xc0 | rn(g, 8) << 3 | rn(g, 8)) };
	encode_bytes(gi, b, 2);
}

/* MOV r32, CRn; maybe flip a bit; MOV CRn, r32 */
static unsigned idiom_mov_cr(struct gen *x, struct ginsn *out)
{
	struct rng *g = x->g;
	static const unsigned crs[] = { 0, 0, 3, 4, 4, 2 };
	unsigned cr = crs[rn(g, 6)], r = rn(g, 4) == 0 ? R_EBX : rn(g, 3);
	unsigned k = 0;
	uint8_t rd[3] = { 0x0f, 0x20, (uint8_t)(0xc0 | cr << 3 | r) };
	if (!encode_bytes(&out[k++], rd, 3))
		return 0;
	uint32_t flip = 0;
	if (cr == 0) {
		static const uint32_t bits[] = { CPU_CR0_WP, CPU_CR0_AM, CPU_CR0_TS, CPU_CR0_MP, CPU_CR0_NE,
						 CPU_CR0_EM, CPU_CR0_CD | CPU_CR0_NW, CPU_CR0_PG, CPU_CR0_PE, 0 };
		flip = bits[rn(g, sizeof bits / sizeof bits[0])];
	} else if (cr == 3) {
		flip = rn(g, 3) ? 0 : 0x18;
	} else if (cr == 4) {
		static const uint32_t bits[] = { CPU_CR4_TSD, CPU_CR4_DE, CPU_CR4_PSE, CPU_CR4_PGE, CPU_CR4_PCE,
						 CPU_CR4_OSFXSR, CPU_CR4_OSXMMEXCPT, CPU_CR4_VME, CPU_CR4_PVI, 0 };
		flip = bits[rn(g, sizeof bits / sizeof bits[0])];
	} else {
		flip = (uint32_t)rnd64(g);
	}
	if (flip) {
		uint8_t xr[6] = { 0x81, (uint8_t)(0xf0 | r) };
		memcpy(xr + 2, &flip, 4);
		encode_bytes(&out[k++], xr, 6);
	}
	uint8_t wr[3] = { 0x0f, 0x22, (uint8_t)(0xc0 | cr << 3 | r) };
	encode_bytes(&out[k++], wr, 3);
	return k;
}

/* SGDT/SIDT m; LGDT/LIDT m (the same operand) */
static unsigned idiom_lxdt(struct gen *x, unsigned row, struct ginsn *out)
{
	unsigned store = row == op_LGDT_Ms ? op_SGDT_Ms : op_SIDT_Ms;
	if (!encode_row(x, store, &out[0]) || out[0].op != store)
		return 0;
	out[1] = out[0];
	struct insn in;
	decode_buf(&in, true, out[0].b, out[0].len);
	out[1].b[in.npfx + (in.map ? 2u : 1u)] |= 2 << 3;   /* ModRM /0 -> /2, /1 -> /3 */
	return encode_bytes(&out[1], out[1].b, out[1].len) ? 2 : 1;
}

/* ------------------------------------------------------------ sequences */

/* Offsets, branch displacements, the code bytes into the image, the code
 * address slots.  Returns false if a short branch could not reach its target
 * and was aimed at the next instruction instead. */
bool layout(struct tcase *tc)
{
	uint32_t at[MAX_INSNS + 1];
	bool stable = true;
	memcpy(tc->img + CODE_PAGE, tc->code_fill, sizeof tc->code_fill);
	if (tc->raw) {
		memcpy(tc->img + tc->code_at, tc->rawb, tc->nraw);
		for (unsigned i = 0; i < tc->nraw; i++)
			at[i] = tc->code_at + i;
	} else {
		uint32_t a = tc->code_at;
		for (unsigned i = 0; i < tc->nins; i++) {
			at[i] = a;
			a += tc->ins[i].len;
		}
		for (unsigned i = 0; i < tc->nins; i++) {
			struct ginsn *gi = &tc->ins[i];
			if (gi->target < 0 || !gi->rel_size)
				continue;
			int32_t d = (int32_t)(at[gi->target] - (at[i] + gi->len));
			if (gi->rel_size == 1 && (d < -128 || d > 127)) {
				gi->target = (int16_t)(i + 1 < tc->nins ? i + 1 : i);
				d = (int32_t)(at[gi->target] - (at[i] + gi->len));
				stable = false;
			}
			for (unsigned k = 0; k < gi->rel_size; k++)
				gi->b[gi->rel_at + k] = (uint8_t)((uint32_t)d >> (8 * k));
			memcpy(tc->img + at[i], gi->b, gi->len);
		}
		for (unsigned i = 0; i < tc->nins; i++)
			memcpy(tc->img + at[i], tc->ins[i].b, tc->ins[i].len);
	}
	unsigned n = tc->raw ? tc->nraw : tc->nins;
	for (unsigned k = 0; k < tc->nslots; k++) {
		const struct slot *s = &tc->slots[k];
		uint32_t a = at[s->insn < n ? s->insn : n - 1];
		if (s->reg >= 0)
			tc->r[s->reg] = a;
		else
			put32(tc->img, s->pa, a);
	}
	return stable;
}

/* The first instruction that reads an arithmetic flag some path to it may
 * have left undefined, or -1.  Every instruction may fall through and a
 * relative branch may go to its target (an over-approximation: only more
 * CMPs get inserted). */
static int first_conflict(const struct tcase *tc)
{
	uint32_t uin[MAX_INSNS] = { 0 };
	for (bool changed = true; changed;) {
		changed = false;
		for (unsigned i = 0; i < tc->nins; i++) {
			uint32_t out = flags_after(tc->ins[i].op, uin[i]);
			int succ[2] = { i + 1 < tc->nins ? (int)i + 1 : -1, tc->ins[i].target };
			for (unsigned k = 0; k < 2; k++) {
				if (succ[k] >= 0 && (uin[succ[k]] | out) != uin[succ[k]]) {
					uin[succ[k]] |= out;
					changed = true;
				}
			}
		}
	}
	for (unsigned i = 0; i < tc->nins; i++)
		if (flags_read(tc->ins[i].op) & uin[i])
			return (int)i;
	return -1;
}

/* insert gi before instruction i: branches to i now reach gi first */
static bool insert_at(struct tcase *tc, unsigned i, const struct ginsn *gi)
{
	if (tc->nins >= MAX_INSNS)
		return false;
	memmove(&tc->ins[i + 1], &tc->ins[i], (tc->nins - i) * sizeof(tc->ins[0]));
	tc->ins[i] = *gi;
	tc->nins++;
	for (unsigned j = 0; j < tc->nins; j++)
		if (tc->ins[j].target > (int)i)
			tc->ins[j].target++;
	for (unsigned k = 0; k < tc->nslots; k++)
		if (tc->slots[k].insn > i)
			tc->slots[k].insn++;
	return true;
}

void remove_at(struct tcase *tc, unsigned i)
{
	if (tc->raw) {
		memmove(&tc->rawb[i], &tc->rawb[i + 1], tc->nraw - i - 1);
		tc->nraw--;
		return;
	}
	memmove(&tc->ins[i], &tc->ins[i + 1], (tc->nins - i - 1) * sizeof(tc->ins[0]));
	tc->nins--;
	for (unsigned j = 0; j < tc->nins; j++)
		if (tc->ins[j].target > (int)i)
			tc->ins[j].target--;
	for (unsigned k = 0; k < tc->nslots; k++)
		if (tc->slots[k].insn > i)
			tc->slots[k].insn--;
}

/* relative branches: to an instruction of the sequence, forward mostly,
 * conditional ones backward sometimes; one in twenty keeps its random
 * displacement */
static void aim(struct rng *g, struct tcase *tc)
{
	for (unsigned i = 0; i < tc->nins; i++) {
		struct ginsn *gi = &tc->ins[i];
		if (gi->target != -2)
			continue;
		unsigned k = rn(g, 20);
		bool cond = gi->op < OP_COUNT && (opinfo[gi->op].attr & A_JCC);
		if (k == 0)
			gi->target = -1;
		else if (cond && k <= 4)
			gi->target = (int16_t)rn(g, i + 1);
		else
			gi->target = (int16_t)(i + 1 + rn(g, tc->nins - i - 1));
	}
}

static void terminate(struct tcase *tc, uint8_t *b, unsigned *n)
{
	if (tc->cpl == 0) {
		b[(*n)++] = 0xf4;   /* HLT */
	} else {
		b[(*n)++] = 0xcd;   /* INT 0x30 */
		b[(*n)++] = 0x30;
	}
}

/* The registers an instruction may write stop being used to aim memory
 * operands: its destination (a G, Z or register E first operand), both of
 * XCHG XADD CMPXCHG, the string registers, EBP of ENTER/LEAVE, all of POPA,
 * and EAX ECX EDX EBX after any form without an explicit destination (MUL,
 * CDQ, CPUID, LOOP ...). */
static void clobber(struct gen *x, const struct ginsn *gi)
{
	struct insn in;
	if (decode_buf(&in, true, gi->b, gi->len) != DEC_OK)
		return;
	const struct opinfo *oi = &opinfo[in.op];
	const char *ops = oi->operands;
	unsigned byte = ops[0] && ops[1] == 'b' ? 3 : 7;
	unsigned reg = INSN_REG(&in), rm = INSN_RM(&in);
	bool regform = in.has_modrm && INSN_MOD(&in) == 3;
	if (ops[0] == 'G' || !strncmp(oi->mnem, "xchg", 4) || !strncmp(oi->mnem, "xadd", 4) ||
	    !strncmp(oi->mnem, "cmpxchg", 7))
		x->live[reg & byte] = false;
	if (ops[0] == 'Z' || oi->match & M_OPR8)
		x->live[in.opc & 7 & byte] = false;
	if ((ops[0] == 'E' && regform) || ops[0] == 'R' || (regform && !strncmp(oi->mnem, "xchg", 4)))
		x->live[rm & byte] = false;
	if (oi->attr & A_STRING)
		x->live[R_ESI] = x->live[R_EDI] = x->live[R_ECX] = false;
	if (!strcmp(oi->mnem, "enter") || !strcmp(oi->mnem, "leave"))
		x->live[R_EBP] = false;
	if (!strncmp(oi->mnem, "popa", 4))
		memset(x->live, 0, sizeof(x->live));
	if (!strchr("GEZRMSCDPQVWNU", ops[0]) || !strncmp(oi->mnem, "cmpxchg", 7))
		x->live[R_EAX] = x->live[R_ECX] = x->live[R_EDX] = x->live[R_EBX] = false;
}

static bool rep_prefixed(const struct ginsn *gi)
{
	struct insn in;
	return decode_buf(&in, true, gi->b, gi->len) == DEC_OK && in.rep;
}

static void gen_insns(struct rng *g, struct tcase *tc)
{
	struct gen x = { g, tc, { 0 } };
	memcpy(x.live, tc->r_known, sizeof(x.live));
	unsigned want = 1 + rn(g, 30), total = 0;
	for (unsigned c = 0; c < C_COUNT; c++)
		total += cls_weight[c];
	tc->nins = 0;
	for (unsigned k = 0, tries = 0; k < want && tc->nins + 4 < MAX_INSNS && tries < 1000; tries++) {
		unsigned w = rn(g, total), c = 0;
		while (w >= cls_weight[c])
			w -= cls_weight[c++];
		if (!cls_n[c])
			continue;
		unsigned row = cls_rows[c][rn(g, cls_n[c])], got;
		/* near relative branches rather than far ones and IRET; at CPL 3
		 * privileged forms now and then (they only raise #GP there) */
		if (c == C_BRANCH && rn(g, 10) < 7 && !strchr(opinfo[row].operands, 'J'))
			continue;
		if (tc->cpl == 3 && (opinfo[row].attr & A_PRIV) && rn(g, 5))
			continue;
		if (row == op_MOV_CdRd)
			got = idiom_mov_cr(&x, &tc->ins[tc->nins]);
		else if (row == op_LGDT_Ms || row == op_LIDT_Ms)
			got = idiom_lxdt(&x, row, &tc->ins[tc->nins]);
		else
			got = encode_row(&x, row, &tc->ins[tc->nins]) ? 1 : 0;
		if (got && (opinfo[row].attr & A_STRING) && rep_prefixed(&tc->ins[tc->nins]) && rn(g, 4)) {
			/* MOV ECX, n before most REP forms: a count that ends before
			 * the pages do */
			tc->ins[tc->nins + 1] = tc->ins[tc->nins];
			uint8_t mov[5] = { 0xb9, (uint8_t)rn(g, 40) };
			encode_bytes(&tc->ins[tc->nins], mov, 5);
			got = 2;
		}
		for (unsigned i = 0; i < got; i++)
			clobber(&x, &tc->ins[tc->nins + i]);
		tc->nins += got;
		k += got != 0;
	}
	uint8_t t[2];
	unsigned n = 0;
	terminate(tc, t, &n);
	encode_bytes(&tc->ins[tc->nins++], t, n);
	aim(g, tc);
	/* a CMP before every reader of a possibly undefined flag, until the
	 * layout (which may re-aim short branches) settles */
	for (unsigned round = 0; round < 4 * MAX_INSNS; round++) {
		bool stable = layout(tc);
		int i = first_conflict(tc);
		if (i < 0 && stable)
			break;
		if (i >= 0) {
			struct ginsn d;
			definer(g, &d);
			if (!insert_at(tc, (unsigned)i, &d))
				break;   /* full: the run's tracking catches what is left */
		}
	}
	layout(tc);
}

static void gen_raw(struct rng *g, struct tcase *tc)
{
	static const uint8_t common[] = { 0x0f, 0x0f, 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64,
					  0x65, 0x8b, 0x89, 0x01, 0x03, 0x81, 0x83, 0xc1, 0xd3, 0xf7, 0xff, 0xc7,
					  0xe8, 0xeb, 0x74, 0xcd, 0x9c, 0x9d, 0xa4, 0xab, 0xd9, 0xdd, 0xdf, 0x8e };
	tc->raw = true;
	tc->nraw = 1 + rn(g, MAX_RAW);
	for (unsigned i = 0; i < tc->nraw; i++)
		tc->rawb[i] = rn(g, 10) < 4 ? common[rn(g, sizeof common)] : (uint8_t)rnd64(g);
	terminate(tc, tc->rawb, &tc->nraw);
	layout(tc);
}

void gen_case(struct tcase *tc, uint64_t seed, uint64_t n)
{
	struct rng g = { seed * 0x9e3779b97f4a7c15ull ^ (n + 1) * 0xd1b54a32d192ed03ull };
	memset(tc, 0, offsetof(struct tcase, img));
	tc->seed = seed;
	tc->n = n;
	tc->cpl = rn(&g, 2) ? 3 : 0;
	tc->code_at = CODE_PAGE + (one_in(&g, 7) ? 0x1000 - 1 - rn(&g, 48) : rn(&g, 0x400));
	build_world(&g, tc);
	init_state(&g, tc);
	if (one_in(&g, 10))
		gen_raw(&g, tc);
	else
		gen_insns(&g, tc);
}

static int parse_hex(const char *s, uint8_t *b, unsigned max)
{
	unsigned n = 0;
	while (*s) {
		if (*s == ' ' || *s == ',') {
			s++;
			continue;
		}
		unsigned v;
		if (n >= max || sscanf(s, "%2x", &v) != 1)
			return -1;
		b[n++] = (uint8_t)v;
		s += (s[1] && s[1] != ' ') ? 2 : 1;
	}
	return (int)n;
}

/* The case's code replaced by bytes (and the terminator) */
void set_bytes(struct tcase *tc, const char *hex)
{
	int k = parse_hex(hex, tc->rawb, MAX_RAW);
	if (k < 0)
		die("code bytes", "not hex, or too long");
	tc->raw = true;
	tc->nraw = (unsigned)k;
	tc->nslots = 0;
	terminate(tc, tc->rawb, &tc->nraw);
	layout(tc);
}


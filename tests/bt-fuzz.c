/*
 * bt-fuzz: differential fuzz test of the binary translator (bt/) against the
 * interpreter (cpu/), which is the reference.
 *
 *   bt-fuzz [--seed S] [--count N] [--first N] [--case N] [--reduce]
 *           [--bytes HEX] [--show N] [--verbose]
 *
 * A case is a random instruction sequence run from a random state, three ways:
 *
 *   lockstep     the translator with bt_options.lockstep: every block runs
 *                translated, is undone, runs interpreted and the two results
 *                are compared (bt/lockstep.c); bt_lockstep_failure() is the
 *                oracle at block granularity;
 *   translated   the translator as it normally runs: chained blocks, flags
 *                kept in host registers across instructions, no undo;
 *   interpreted  cpu->engine = NULL, one instruction at a time.
 *
 * and the final states of the whole runs are compared: translated against
 * interpreted (catches chaining, flags carried across blocks, invalidation:
 * what lockstep's block-at-a-time view cannot see) and lockstep against
 * interpreted (lockstep continues from the interpreter's result, so the two
 * must be identical).  Compared: EAX..EDI, EIP, EFLAGS, the six segment
 * caches, LDTR/TR/GDTR/IDTR, CR0 CR2 CR3 CR4, CPL, halted and the interrupt
 * shadow, DR0-7, the SYSENTER MSRs, the x87/SSE state, the instruction count,
 * why the run stopped, all of RAM, and the devices' state.  A host crash or
 * hang is a failure by itself (the case is named before the process dies).
 *
 * The world (physical = linear except where noted; paging is on):
 *
 *   0x1000 page directory (supervisor)    0x2000 page table (supervisor)
 *   0x3000 GDT, TSS, IDT (supervisor)     0x4000 a HLT per vector (supervisor, read-only)
 *   0x5000-0x6fff code (user, writable: self-modifying code happens)
 *   0x7000 ring-0 stack (TSS ESP0 0x8000) 0x8000 ring-3 stack
 *   0x10000 the data window, 13 pages: user read/write, user read-only,
 *          supervisor read/write, supervisor read-only, not present, the page
 *          table itself (user writable: the guest rewrites its own mappings),
 *          an alias of another data page, an MMIO page of a small device
 *          below, an unassigned physical page, the ROM, read/write, not present
 *   PDE 1: a 4 MiB page over all of RAM, which only CR4.PSE makes one
 *
 * The GDT holds flat code and data for CPL 0 and 3, a busy TSS, a data
 * segment with a non-zero base, one with a small limit, a read-only one, an
 * expand-down one, 16-bit code and a call gate to ring 0.  Every IDT gate
 * leads to a HLT with interrupts off (an interrupt gate), so an exception or
 * INT n ends the case with the vector readable from EIP; INT 0x30, 3, 4 and
 * 0x80 are open to CPL 3, 0x3f is not present.  The device has a page of MMIO
 * (reads without side effects: page walks may read it) and four ports whose
 * reads count; the test machine adds its exit port (0xF4), POST ports and
 * Bochs' shutdown port.
 *
 * Generation.  The rows of the opcode table (cpu/opcodes*.def via opinfo[];
 * not A_UD, A_NOEXEC or A_PREFIX) are drawn by class: plain integer forms
 * most often, branches, string forms, system and sensitive forms, x87, MMX
 * and SSE less often, and the ones that mostly wreck the sandbox (LLDT, LTR,
 * LMSW, WRMSR, SYSENTER/SYSEXIT, MOV DRn) rarely.  MOV CRn is generated as
 * "read CRn, flip a bit, write it back" and LGDT/LIDT as "store the table
 * register, load it again", so that they change something real without
 * leaving the world.  Each row's MATCH is satisfied (ModRM reg and mod,
 * mandatory prefix, operand and address size); ModRM memory operands point
 * mostly into the data window (absolute, base + displacement from registers
 * preloaded with window addresses, SIB), sometimes at the stack, the code
 * itself or near page ends; prefixes are added at random (66, 67, segment
 * overrides, LOCK on lockable memory forms and sometimes elsewhere, REP on
 * string forms); immediates are random with bias (ports of the devices, open
 * vectors, shift counts, selectors of the GDT); relative branches go to an
 * instruction of the sequence, mostly forward, conditional ones sometimes
 * backward (loops), some nowhere in particular.  Each instruction is decoded
 * by decode_buf; a few invalid encodings are kept; most REP forms get a
 * MOV ECX, n before them.  One case in ten is random bytes instead.  The sequence (1 to 30 rows) ends with HLT at CPL 0
 * and INT 0x30 at CPL 3.  The initial state is random: CPL 0 or 3, GPRs
 * (pointers into the window, small counts, boundary values, code addresses),
 * OSZAPC, DF, IF, IOPL, AC, CR0 (WP, NE, MP, AM, sometimes TS or EM), CR4
 * (PSE, OSFXSR, TSD ...), segment registers among the GDT's, the x87 stack,
 * control and status words, MXCSR and XMM registers, and the data.
 *
 * What is not judged, and why.  The interpreted run watches for each; such
 * a case is counted under its reason (--verbose), and its lockstep and
 * translated-vs-interpreted results are not judged:
 *   - Flags an instruction leaves undefined (opinfo FU): the translator runs
 *     native forms on the host, whose undefined flags need not be the
 *     interpreter's.  The generator inserts a CMP before any instruction that
 *     reads a flag some path may have left undefined (FR, which includes
 *     saving EFLAGS: PUSHF, INT n); the interpreted run tracks the undefined
 *     flags as it goes and leaves them out of the EFLAGS comparison and out
 *     of the EFLAGS image an exception pushes; a case that still reads one
 *     (random bytes, indirect jumps) is not judged.
 *   - Results the SDM leaves undefined: SHLD/SHRD r/m16 by more than 16.
 *   - Code whose linear page changed its mapping while it ran: translated
 *     code goes on with the mapping its block (and the blocks chained to it)
 *     was entered with, like a TLB nobody invalidated (SDM Vol. 3 4.10.4.3
 *     allows that), where the interpreter walks again.
 *   - REP MOVS/STOS/INS into a page that holds code: translated, that page
 *     has no fast write mapping (a code page), so the REP runs in batches of
 *     1024 elements rather than page chunks: it retires another number of
 *     times and sees its own rewritten bytes at other points.
 *   - Lockstep failures that are lockstep's A/D artefact (ad_artefact()).
 * Also: the budget is counted in retired instructions (2000), as the
 * translator counts, and the interpreted run is stepped to the same count;
 * the lockstep run is compared with the interpreted one only when no REP
 * string instruction ran (while lockstep logs memory, REP MOVS/STOS take the
 * element loop instead of the page-chunk fast path, cpu/memlog.h, so the
 * same REP retires another number of batches).
 *
 * The three machines (devices/testmachine.h) are built once and reset for
 * each case: RAM rewritten, translations flushed, shadow page tables and
 * page-table tracing dropped, cpu_reset, so that a case runs the same
 * whatever ran before it.
 *
 * Each case is reproducible from (seed, case number) alone: --case N runs
 * one, --reduce shrinks a mismatching case to the fewest instructions (or
 * bytes) that still mismatch, --bytes replaces a case's code with the given
 * bytes.  Prints "bt-fuzz: seed S: N cases, K instructions run, M
 * mismatched" and exits 1 on any mismatch.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bt/bt.h"
#include "cpu/interp.h"
#include "devices/testmachine.h"

/* ------------------------------------------------------------ the world */

#define RAM_SIZE    (1u << 20)
#define PD_ADDR     0x1000u
#define PT_ADDR     0x2000u
#define GDT_ADDR    0x3000u
#define TSS_ADDR    0x3200u
#define IDT_ADDR    0x3800u
#define STUB_BASE   0x4000u    /* HLT for vector v at STUB_BASE + v */
#define GATE_STUB   0x4100u    /* the call gate's target: HLT */
#define CODE_PAGE   0x5000u    /* two pages of code */
#define CODE_END    0x7000u
#define STACK0_TOP  0x8000u    /* ring 0: 0x7000-0x7fff (TSS ESP0) */
#define STACK3_TOP  0x9000u    /* ring 3: 0x8000-0x8fff */
#define WIN         0x10000u   /* the data window (linear) */
#define WIN_PAGES   13u
#define DEV_MMIO    0xfeb00000u
#define UNASSIGNED  0x40000000u
#define ROM_PHYS    0x000f0000u
#define DEV_PORT    0xe0u      /* four ports */
#define BUDGET      2000u      /* retired instructions per run */

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

enum {
	SEL_CODE0 = 0x08, SEL_DATA0 = 0x10, SEL_CODE3 = 0x18, SEL_DATA3 = 0x20, SEL_TSS = 0x28,
	SEL_BASED = 0x30, SEL_SMALL = 0x38, SEL_RDONLY = 0x40, SEL_CODE16 = 0x48, SEL_EXPDOWN = 0x50,
	SEL_GATE = 0x58, GDT_LIMIT = 0x5f,
};

/* ------------------------------------------------------------ random numbers */

struct rng {
	uint64_t s;
};

static uint64_t rnd64(struct rng *g)
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

/* ------------------------------------------------------------ a case */

#define MAX_INSNS 100
#define MAX_RAW   64
#define MAX_SLOTS 32

/* one instruction of the sequence */
struct ginsn {
	uint8_t b[15];
	uint8_t len;
	uint16_t op;          /* the row it decodes as, OP_COUNT: an invalid encoding (kept) */
	int16_t target;       /* relative branch to this instruction; -1: none or fixed */
	uint8_t rel_at, rel_size;
};

/* a value filled in once the code is laid out: the address of an instruction */
struct slot {
	int reg;              /* a register (>= 0), or memory at pa */
	uint32_t pa;
	unsigned insn;
};

struct tcase {
	uint64_t seed, n;
	int cpl;
	bool raw;             /* random bytes rather than instructions */
	uint32_t code_at;
	struct ginsn ins[MAX_INSNS];
	unsigned nins;        /* the terminator included */
	uint8_t rawb[MAX_RAW + 2];
	unsigned nraw;        /* the terminator included */
	struct slot slots[MAX_SLOTS];
	unsigned nslots;
	/* initial state */
	uint32_t r[8], eflags, cr0, cr4;
	bool r_known[8];      /* the value is known while generating (else a code slot) */
	uint16_t sel[6];
	struct fpu fpu;
	uint8_t dev[16];
	uint8_t code_fill[CODE_END - CODE_PAGE];
	uint8_t img[RAM_SIZE];
};

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

static void build_classes(void)
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
static uint32_t flags_read(unsigned op)
{
	return op < OP_COUNT ? opinfo[op].fr & F_OSZAPC : 0;
}

/* The flags possibly undefined after the instruction, given u before it: an
 * instruction defines the flags it writes without reading them or leaving
 * them undefined (INT n, far transfers and IRET read F_ALL: they pass the
 * arithmetic flags through, or load them in a task switch; a shift by 0
 * passes its flags through) and adds its FU flags. */
static uint32_t flags_after(unsigned op, uint32_t u)
{
	if (op >= OP_COUNT)
		return u;
	const struct opinfo *oi = &opinfo[op];
	return ((u & ~(oi->fw & ~oi->fu & ~oi->fr)) | oi->fu) & F_OSZAPC;
}

/* ------------------------------------------------------------ building the world */

static void put32(uint8_t *img, uint32_t a, uint32_t v)
{
	memcpy(img + a, &v, 4);
}

static uint32_t get32(const uint8_t *img, uint32_t a)
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

static void build_world(struct rng *g, struct tcase *tc)
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
static bool layout(struct tcase *tc)
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

static void remove_at(struct tcase *tc, unsigned i)
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

static void gen_case(struct tcase *tc, uint64_t seed, uint64_t n)
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

/* ------------------------------------------------------------ machines */

/* The fuzz device: sixteen byte registers behind an MMIO page (reads have no
 * side effects: a page walk may read them) and four ports (reads count). */
struct fuzzdev {
	uint8_t reg[16];
	uint32_t reads, writes;
};

static uint32_t dev_mmio_read(void *opaque, uint32_t addr, unsigned size)
{
	const struct fuzzdev *d = opaque;
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)d->reg[(addr + i) & 15] << (8 * i);
	return v;
}

static void dev_mmio_write(void *opaque, uint32_t addr, uint32_t v, unsigned size)
{
	struct fuzzdev *d = opaque;
	for (unsigned i = 0; i < size; i++)
		d->reg[(addr + i) & 15] = (uint8_t)(v >> (8 * i));
	d->writes++;
}

static uint32_t dev_port_read(void *opaque, uint32_t port, unsigned size)
{
	struct fuzzdev *d = opaque;
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)(uint8_t)(d->reg[(port + i) & 15] ^ d->reads) << (8 * i);
	d->reads++;
	return v;
}

static void dev_port_write(void *opaque, uint32_t port, uint32_t v, unsigned size)
{
	struct fuzzdev *d = opaque;
	for (unsigned i = 0; i < size; i++)
		d->reg[(port + i) & 15] ^= (uint8_t)(v >> (8 * i));
	d->writes++;
}

enum engine { E_LOCKSTEP, E_BT, E_INTERP, E_COUNT };

struct fmachine {
	struct testmachine tm;
	struct fuzzdev dev;
	enum engine eng;
};

static struct fmachine mach[E_COUNT];

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bt-fuzz: %s: %s\n", what, why);
	exit(2);
}

static void attach(struct fmachine *m)
{
	if (m->eng == E_INTERP)
		return;
	struct bt_options o = { .code_size = 4u << 20, .lockstep = m->eng == E_LOCKSTEP };
	char err[200];
	if (bt_attach(&m->tm.cpu, &o, err, sizeof(err)))
		die("the translator cannot start", err);
}

static void machine_init(struct fmachine *m, enum engine eng, const uint8_t *rom, uint32_t rom_len)
{
	m->eng = eng;
	if (testmachine_init(&m->tm, RAM_SIZE, rom, rom_len, NULL, 0, NULL))
		die("test machine", m->tm.error);
	if (mem_map_mmio(&m->tm.mem, DEV_MMIO, 0x1000, dev_mmio_read, dev_mmio_write, &m->dev, "fuzz device",
			 MEM_WALL) ||
	    io_register(&m->tm.mem, DEV_PORT, 4, dev_port_read, dev_port_write, &m->dev, "fuzz device", MEM_WALL))
		die("fuzz device", m->tm.mem.error);
	attach(m);
}

/* Put the machine in the case's initial state.  Translations, shadow page
 * tables and page-table tracing are all dropped, so that nothing the last
 * case left behind changes how this one runs. */
static void machine_reset(struct fmachine *m, const struct tcase *tc)
{
	struct cpu *c = &m->tm.cpu;
	if (c->bt && bt_lockstep_failure(c)) {
		bt_detach(c);   /* the failure is sticky: a fresh translator */
		attach(m);
	} else if (c->bt) {
		bt_flush(c);
	}
	memcpy(m->tm.mem.ram, tc->img, RAM_SIZE);
	memset(m->tm.mem.page_flags, 0, RAM_SIZE >> 12);
	cpu_reset(c);
	cpu_set_cr4(c, tc->cr4);
	cpu_set_cr3(c, PD_ADDR);
	cpu_set_cr0(c, tc->cr0);
	c->gdtr = (struct dtr){ GDT_ADDR, GDT_LIMIT };
	c->idtr = (struct dtr){ IDT_ADDR, 256 * 8 - 1 };
	for (int s = 0; s < 6; s++) {
		uint16_t sel = tc->sel[s];
		if (sel & ~3u) {
			seg_from_descriptor(&c->seg[s], sel, get32(tc->img, GDT_ADDR + (sel & ~7u)),
					    get32(tc->img, GDT_ADDR + (sel & ~7u) + 4));
		} else {
			memset(&c->seg[s], 0, sizeof(c->seg[s]));
			c->seg[s].sel = sel;
		}
	}
	seg_from_descriptor(&c->tr, SEL_TSS, get32(tc->img, GDT_ADDR + SEL_TSS), get32(tc->img, GDT_ADDR + SEL_TSS + 4));
	c->ldtr.sel = 0;
	c->ldtr.valid = 0;
	c->cpl = tc->cpl;
	c->eflags = tc->eflags;
	memcpy(c->r, tc->r, sizeof(c->r));
	c->eip = tc->code_at;
	memcpy(&c->fpu, &tc->fpu, sizeof(c->fpu));
	memcpy(m->dev.reg, tc->dev, sizeof(m->dev.reg));
	m->dev.reads = m->dev.writes = 0;
	m->tm.exit.written = false;
	m->tm.exit.status = 0;
	m->tm.shutdown.matched = 0;
	m->tm.shutdown.off = false;
	m->tm.post80.last = m->tm.post190.last = 0;
}

/* ------------------------------------------------------------ running */

/* Why a case cannot be judged (the first reason seen), from the interpreted run */
enum taint {
	T_NONE,
	T_FLAGS,      /* an instruction read a flag left undefined (FU) */
	T_RESULT,     /* a result the SDM leaves undefined: SHLD/SHRD r/m16 by more than 16 */
	T_STALE,      /* code ran from a linear page whose mapping changed under it: the
	               * translator, like a TLB, may go on with the old one (SDM Vol. 3
	               * 4.10.4.3) where the interpreter walks again */
	T_REPCODE,    /* REP MOVS/STOS/INS into a page that holds code: translated, it has
	               * no fast write mapping, so the REP runs in other batches (it sees
	               * its own rewritten bytes, and retires, at other points) */
	T_UNSEEN,     /* an instruction that could not be read without side effects ran */
	T_COUNT
};
static const char *const taint_names[T_COUNT] = {
	"", "undefined flag read", "undefined result", "stale code mapping", "REP into code", "code unseen",
};

#define CODE_MAPS 16

/* what the interpreted run saw on the way */
struct track {
	uint32_t undef;                 /* arithmetic flags possibly undefined now */
	enum taint taint;
	bool rep;                       /* a REP string instruction ran */
	uint32_t lpage[CODE_MAPS], ppage[CODE_MAPS];   /* code pages run from, their mapping */
	unsigned nmaps;
	uint8_t exec[RAM_SIZE >> 15];   /* physical pages run from (bits) */
	unsigned fault_op;              /* the row that raised the first exception, OP_COUNT none */
	bool ended;                     /* the terminator ran */
};

static void taint(struct track *t, enum taint why)
{
	if (!t->taint)
		t->taint = why;
}

/* The instruction at CS:EIP, read without side effects (a probing walk, RAM
 * and ROM only); false if it cannot be known that way.  *pa0: the physical
 * address of its first byte, or ~0. */
static bool peek(struct cpu *c, struct insn *in, uint32_t *pa0)
{
	const struct seg *cs = &c->seg[S_CS];
	uint8_t buf[15];
	unsigned n = 0;
	uint32_t page = 1, pa = 0;
	*pa0 = 0xffffffffu;
	for (; n < 15; n++) {
		uint32_t off = c->eip + n;
		if (!(cs->attr & SA_DB))
			off &= 0xffff;
		if (off > cs->limit)
			break;
		uint32_t lin = cs->base + off;
		if ((lin & ~0xfffu) != page) {
			page = lin & ~0xfffu;
			pa = lin_to_phys(c, page, ACC_EXEC | ACC_NOFAULT);
			if (pa == 0xffffffffu)
				break;
		}
		if (n == 0)
			*pa0 = pa + (lin & 0xfff);
		const uint8_t *p = mem_read_ptr(c->mem, pa + (lin & 0xfff));
		if (!p)
			break;
		buf[n] = *p;
	}
	return decode_buf(in, (cs->attr & SA_DB) != 0, buf, n) == DEC_OK;
}

static bool exec_page(const struct track *t, uint32_t pa)
{
	return pa < RAM_SIZE && (t->exec[pa >> 15] >> ((pa >> 12) & 7) & 1);
}

/* Instruction fetch from linear page lin maps to pa (~0: faults): a code
 * page whose mapping is not what it was when code last ran from it */
static void check_mapping(struct track *t, uint32_t lin, uint32_t pa)
{
	uint32_t lp = lin & ~0xfffu, pp = pa & ~0xfffu;
	for (unsigned i = 0; i < t->nmaps; i++) {
		if (t->lpage[i] == lp) {
			if (pa == 0xffffffffu || t->ppage[i] != pp)
				taint(t, T_STALE);
			t->ppage[i] = pp;
			return;
		}
	}
	if (pa == 0xffffffffu)
		return;
	unsigned i = t->nmaps < CODE_MAPS ? t->nmaps++ : CODE_MAPS - 1;
	t->lpage[i] = lp;
	t->ppage[i] = pp;
	if (pa < RAM_SIZE)
		t->exec[pa >> 15] |= (uint8_t)(1u << ((pa >> 12) & 7));
}

/* What an instruction about to run makes of the comparison */
static void check_insn(struct cpu *c, struct track *t, const struct insn *in)
{
	unsigned op = in->op;
	if (flags_read(op) & t->undef)
		taint(t, T_FLAGS);
	if ((op == op_SHLD_EvGvIb || op == op_SHRD_EvGvIb || op == op_SHLD_EvGvCL || op == op_SHRD_EvGvCL) &&
	    in->osize == 2) {
		unsigned count = (op == op_SHLD_EvGvIb || op == op_SHRD_EvGvIb ? in->imm : c->r[R_ECX]) & 31;
		if (count > 16)
			taint(t, T_RESULT);
	}
	bool writes = op == op_MOVSB || op == op_MOVSW || op == op_MOVSD || op == op_STOSB || op == op_STOSW ||
		      op == op_STOSD || op == op_INSB || op == op_INSW || op == op_INSD;
	if (in->rep && writes) {
		uint32_t off = in->asize == 2 ? c->r[R_EDI] & 0xffff : c->r[R_EDI];
		uint32_t pa = lin_to_phys(c, c->seg[S_ES].base + off, ACC_WRITE | ACC_NOFAULT);
		if (pa != 0xffffffffu && exec_page(t, pa))
			taint(t, T_REPCODE);
	}
}

/* The interpreter, one instruction at a time up to BUDGET retired, keeping
 * track of what makes the comparison unfair (struct track) */
static enum cpu_exit run_interp(struct cpu *c, struct track *t, uint32_t end_eip)
{
	enum cpu_exit ex = CPU_EXIT_COUNT;
	memset(t, 0, sizeof(*t));
	t->fault_op = OP_COUNT + 1;
	for (unsigned steps = 0; c->icount < BUDGET && steps < 4 * BUDGET; steps++) {
		struct insn in;
		uint32_t pa0 = 0xffffffffu;
		bool was_halted = c->halted;
		bool known = !was_halted && peek(c, &in, &pa0);
		if (!was_halted)
			check_mapping(t, c->seg[S_CS].base + c->eip, pa0);
		if (known)
			check_insn(c, t, &in);
		uint64_t before = c->icount;
		uint32_t eip = c->eip;
		ex = cpu_run_interp(c, 1);
		if (c->icount == before && !was_halted && t->fault_op > OP_COUNT)
			t->fault_op = known ? in.op : OP_COUNT;
		if (c->icount != before && eip == end_eip && t->fault_op > OP_COUNT)
			t->ended = true;
		if (c->icount != before) {
			if (!known) {
				taint(t, T_UNSEEN);   /* code in MMIO */
			} else {
				t->undef = flags_after(in.op, t->undef);
				if (in.rep && (opinfo[in.op].attr & A_STRING))
					t->rep = true;
			}
		}
		if (ex != CPU_EXIT_COUNT)
			break;
	}
	return ex;
}

/* A translator run to BUDGET retired instructions (faults are not counted) */
static enum cpu_exit run_engine(struct cpu *c)
{
	enum cpu_exit ex = CPU_EXIT_COUNT;
	for (unsigned k = 0; k < 4 * BUDGET && c->icount < BUDGET; k++) {
		ex = cpu_run(c, BUDGET - c->icount);
		if (ex != CPU_EXIT_COUNT)
			break;
	}
	return ex;
}

/* ------------------------------------------------------------ comparing */

/* the bytes of an EFLAGS image in memory (RAM or the device's registers)
 * whose undefined flags are not compared */
struct frame {
	unsigned n;
	uint32_t pa[4];
	uint8_t mask[4];
	uint8_t devmask[16];
};

static bool has_error_code(unsigned v)
{
	return v == EX_DF || (v >= EX_TS && v <= EX_PF) || v == EX_AC;
}

/* The interpreted run halted in a handler: where the frame's EFLAGS is.
 * (INT n reads the flags it saves: with undefined ones the case is tainted,
 * so a frame that matters here is an exception's.) */
static void frame_of(struct cpu *c, const struct track *t, struct frame *f)
{
	memset(f, 0, sizeof(*f));
	if (!t->undef || !c->halted || c->cpl != 0 || c->eip < STUB_BASE + 1 || c->eip > STUB_BASE + 256)
		return;
	unsigned v = c->eip - 1 - STUB_BASE;
	uint32_t lin = c->seg[S_SS].base + c->r[R_ESP] + (has_error_code(v) ? 4 : 0) + 8;
	for (unsigned k = 0; k < 4; k++) {
		uint32_t pa = lin_to_phys(c, lin + k, ACC_READ | ACC_NOFAULT);
		uint8_t mask = (uint8_t)(t->undef >> (8 * k));
		if (pa >= DEV_MMIO && pa < DEV_MMIO + 0x1000) {
			f->devmask[(pa - DEV_MMIO) & 15] |= mask;
		} else if (pa != 0xffffffffu) {
			f->pa[f->n] = pa;
			f->mask[f->n++] = mask;
		}
	}
}

static const char *const reg_names[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };
static const char *const seg_names[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };

static const char *exit_name(enum cpu_exit ex)
{
	static const char *const n[] = { "running", "halted", "triple fault", "reset", "stopped", "budget" };
	return (unsigned)ex < sizeof n / sizeof n[0] ? n[ex] : "?";
}

/* a run that used up its budget on a HLT has halted all the same */
static enum cpu_exit normal_exit(enum cpu_exit ex, const struct cpu *c)
{
	return ex == CPU_EXIT_COUNT && c->halted ? CPU_EXIT_HLT : ex;
}

#define DIFF(cond, ...) do { if (cond) { snprintf(out, outlen, __VA_ARGS__); return true; } } while (0)

static bool seg_differs(char *out, size_t outlen, const char *name, const struct seg *a, const struct seg *b)
{
	DIFF(a->sel != b->sel || a->valid != b->valid || a->base != b->base || a->limit != b->limit || a->attr != b->attr,
	     "%s: %04x base %08x limit %08x attr %04x%s, %04x base %08x limit %08x attr %04x%s", name, a->sel,
	     a->base, a->limit, a->attr, a->valid ? "" : " (null)", b->sel, b->base, b->limit, b->attr,
	     b->valid ? "" : " (null)");
	return false;
}

/* The first difference between two machines' final states (the flags in
 * undef and the frame's image of them excepted), or false */
static bool diff_machines(char *out, size_t outlen, const struct fmachine *ma, enum cpu_exit exa,
			  const struct fmachine *mb, enum cpu_exit exb, uint32_t undef, const struct frame *fr)
{
	const struct cpu *a = &ma->tm.cpu, *b = &mb->tm.cpu;
	exa = normal_exit(exa, a);
	exb = normal_exit(exb, b);
	DIFF(exa != exb, "run ended: %s, %s", exit_name(exa), exit_name(exb));
	DIFF(a->icount != b->icount, "instructions retired: %" PRIu64 ", %" PRIu64, a->icount, b->icount);
	for (int i = 0; i < 8; i++)
		DIFF(a->r[i] != b->r[i], "%s: %08x, %08x", reg_names[i], a->r[i], b->r[i]);
	DIFF(a->eip != b->eip, "EIP: %08x, %08x", a->eip, b->eip);
	DIFF((a->eflags ^ b->eflags) & ~undef, "EFLAGS: %08x, %08x (undefined: %03x)", a->eflags, b->eflags, undef);
	for (int i = 0; i < 6; i++)
		if (seg_differs(out, outlen, seg_names[i], &a->seg[i], &b->seg[i]))
			return true;
	if (seg_differs(out, outlen, "LDTR", &a->ldtr, &b->ldtr) || seg_differs(out, outlen, "TR", &a->tr, &b->tr))
		return true;
	DIFF(a->gdtr.base != b->gdtr.base || a->gdtr.limit != b->gdtr.limit || a->idtr.base != b->idtr.base ||
	     a->idtr.limit != b->idtr.limit, "GDTR/IDTR: %08x/%x %08x/%x, %08x/%x %08x/%x", a->gdtr.base,
	     a->gdtr.limit, a->idtr.base, a->idtr.limit, b->gdtr.base, b->gdtr.limit, b->idtr.base, b->idtr.limit);
	DIFF(a->cr0 != b->cr0 || a->cr2 != b->cr2 || a->cr3 != b->cr3 || a->cr4 != b->cr4,
	     "CR0 CR2 CR3 CR4: %08x %08x %08x %08x, %08x %08x %08x %08x", a->cr0, a->cr2, a->cr3, a->cr4,
	     b->cr0, b->cr2, b->cr3, b->cr4);
	DIFF(a->cpl != b->cpl || a->halted != b->halted || a->inhibit != b->inhibit,
	     "CPL/halted/interrupt shadow: %d/%d/%d, %d/%d/%d", a->cpl, a->halted, a->inhibit, b->cpl, b->halted,
	     b->inhibit);
	for (int i = 0; i < 8; i++)
		DIFF(a->dr[i] != b->dr[i], "DR%d: %08x, %08x", i, a->dr[i], b->dr[i]);
	DIFF(a->sysenter_cs != b->sysenter_cs || a->sysenter_esp != b->sysenter_esp || a->sysenter_eip != b->sysenter_eip,
	     "SYSENTER MSRs differ");
	const struct fpu *p = &a->fpu, *q = &b->fpu;
	for (int i = 0; i < 8; i++)
		DIFF(p->st[i].mant != q->st[i].mant || p->st[i].se != q->st[i].se, "x87 R%d: %04x %016" PRIx64 ", %04x %016" PRIx64,
		     i, p->st[i].se, p->st[i].mant, q->st[i].se, q->st[i].mant);
	DIFF(p->fcw != q->fcw || p->fsw != q->fsw || p->ftw != q->ftw || p->fop != q->fop,
	     "FCW FSW FTW FOP: %04x %04x %04x %03x, %04x %04x %04x %03x", p->fcw, p->fsw, p->ftw, p->fop, q->fcw,
	     q->fsw, q->ftw, q->fop);
	DIFF(p->fip != q->fip || p->fdp != q->fdp || p->fcs != q->fcs || p->fds != q->fds,
	     "x87 pointers: %04x:%08x %04x:%08x, %04x:%08x %04x:%08x", p->fcs, p->fip, p->fds, p->fdp, q->fcs, q->fip,
	     q->fds, q->fdp);
	DIFF(p->mxcsr != q->mxcsr, "MXCSR: %08x, %08x", p->mxcsr, q->mxcsr);
	for (int i = 0; i < 8; i++)
		DIFF(memcmp(p->xmm[i], q->xmm[i], 16), "XMM%d differs", i);
	const uint8_t *ra = ma->tm.mem.ram, *rb = mb->tm.mem.ram;
	for (uint32_t page = 0; page < RAM_SIZE; page += 0x1000) {
		if (!memcmp(ra + page, rb + page, 0x1000))
			continue;
		for (uint32_t pa = page; pa < page + 0x1000; pa++) {
			uint8_t mask = 0;
			for (unsigned k = 0; fr && k < fr->n; k++)
				if (fr->pa[k] == pa)
					mask = fr->mask[k];
			DIFF((ra[pa] ^ rb[pa]) & ~mask, "memory at physical %05x: %02x, %02x", pa, ra[pa], rb[pa]);
		}
	}
	for (int i = 0; i < 16; i++)
		DIFF((ma->dev.reg[i] ^ mb->dev.reg[i]) & ~(fr ? fr->devmask[i] : 0), "fuzz device register %d: %02x, %02x",
		     i, ma->dev.reg[i], mb->dev.reg[i]);
	DIFF(ma->dev.reads != mb->dev.reads || ma->dev.writes != mb->dev.writes,
	     "fuzz device: %u reads %u writes, %u reads %u writes", ma->dev.reads, ma->dev.writes, mb->dev.reads,
	     mb->dev.writes);
	DIFF(ma->tm.exit.written != mb->tm.exit.written || ma->tm.exit.status != mb->tm.exit.status,
	     "exit port: %d/%d, %d/%d", ma->tm.exit.written, ma->tm.exit.status, mb->tm.exit.written, mb->tm.exit.status);
	DIFF(ma->tm.post80.last != mb->tm.post80.last || ma->tm.post190.last != mb->tm.post190.last ||
	     ma->tm.shutdown.matched != mb->tm.shutdown.matched || ma->tm.shutdown.off != mb->tm.shutdown.off,
	     "POST or shutdown ports differ");
	return false;
}

/* which comparisons failed (bits) */
enum fail { F_LOCKSTEP = 1, F_TRANSLATED = 2, F_LOCKSTEP_RUN = 4 };

struct verdict {
	unsigned fail;        /* F_* */
	enum taint taint;     /* not judged: why */
	bool ad_artefact;     /* lockstep's failure went away with every A and D bit set (see below) */
	char what[1200];
	uint64_t insns;       /* retired by the interpreted run */
	enum cpu_exit ex;
	int vector;           /* the interpreted run halted in this vector's handler, else -1 */
	uint32_t undef;
	unsigned fault_op;    /* the row that raised the first exception (OP_COUNT: unknown, more: none) */
	bool ended;           /* the sequence ran to its end without an exception */
};

/* what a crash or hang prints: the case it happened in */
static char crash_note[160];
static size_t crash_len;

static void note_case(uint64_t seed, uint64_t n)
{
	crash_len = (size_t)snprintf(crash_note, sizeof crash_note,
				     "\nbt-fuzz: seed %" PRIu64 " case %" PRIu64 ": the host crashed or hung "
				     "(bt-fuzz --seed %" PRIu64 " --case %" PRIu64 " --verbose)\n", seed, n, seed, n);
	if (crash_len >= sizeof crash_note)
		crash_len = sizeof crash_note - 1;
}

static void append(struct verdict *v, const char *fmt, const char *what)
{
	size_t n = strlen(v->what);
	if (n < sizeof v->what - 1)
		snprintf(v->what + n, sizeof v->what - n, fmt, n ? "\n  " : "", what);
}

/* the terminator's address */
static uint32_t end_of(const struct tcase *tc)
{
	if (tc->raw)
		return tc->code_at + tc->nraw - (tc->cpl ? 2 : 1);
	uint32_t a = tc->code_at;
	for (unsigned i = 0; i + 1 < tc->nins; i++)
		a += tc->ins[i].len;
	return a;
}

static void run_once(const struct tcase *tc, struct verdict *v)
{
	alarm(20);
	for (int e = 0; e < E_COUNT; e++)
		machine_reset(&mach[e], tc);
	struct cpu *ci = &mach[E_INTERP].tm.cpu, *cb = &mach[E_BT].tm.cpu, *cl = &mach[E_LOCKSTEP].tm.cpu;
	struct track t;
	enum cpu_exit ex[E_COUNT];
	uint64_t skipped = bt_get_stats(cl)->lockstep_skipped;
	ex[E_INTERP] = run_interp(ci, &t, end_of(tc));
	ex[E_BT] = run_engine(cb);
	ex[E_LOCKSTEP] = run_engine(cl);
	alarm(0);

	memset(v, 0, sizeof(*v));
	v->insns = ci->icount;
	v->ex = normal_exit(ex[E_INTERP], ci);
	v->vector = ci->halted && ci->cpl == 0 && ci->eip > STUB_BASE && ci->eip <= STUB_BASE + 256 ?
		    (int)(ci->eip - 1 - STUB_BASE) : -1;
	v->undef = t.undef;
	v->taint = t.taint;
	v->fault_op = t.fault_op;
	v->ended = t.ended;
	struct frame fr;
	frame_of(ci, &t, &fr);
	char d[600];
	const char *ls = bt_lockstep_failure(cl);
	if (ls && !t.taint) {
		v->fail |= F_LOCKSTEP;
		append(v, "%slockstep: %s", ls);
	}
	if (!t.taint && diff_machines(d, sizeof d, &mach[E_BT], ex[E_BT], &mach[E_INTERP], ex[E_INTERP], t.undef, &fr)) {
		v->fail |= F_TRANSLATED;
		append(v, "%stranslated vs interpreted: %s", d);
	}
	if (!ls && !t.rep && bt_get_stats(cl)->lockstep_skipped == skipped &&
	    diff_machines(d, sizeof d, &mach[E_LOCKSTEP], ex[E_LOCKSTEP], &mach[E_INTERP], ex[E_INTERP], 0, NULL)) {
		v->fail |= F_LOCKSTEP_RUN;
		append(v, "%slockstep run vs interpreted: %s", d);
	}
}

/* Lockstep undoes the translated run's memory writes but not the Accessed
 * and Dirty bits its page walks set (mmu/walk.c writes them directly), and
 * the shadow entries those walks filled stay: a block that reads a paging
 * entry before the walk that sets its A or D bit reads it without the bit
 * translated and with it interpreted.  A lockstep failure that the same
 * case does not have with every A and D bit set from the start is that, and
 * is counted as such rather than as a mismatch. */
static bool ad_artefact(const struct tcase *tc)
{
	static struct tcase trial;
	struct verdict v;
	memcpy(&trial, tc, sizeof(trial));
	for (uint32_t a = PD_ADDR; a < PT_ADDR + 0x1000; a += 4)
		if (get32(trial.img, a) & PTE_P)
			put32(trial.img, a, get32(trial.img, a) | PTE_A | PTE_D);
	run_once(&trial, &v);
	return !(v.fail & F_LOCKSTEP) && !v.taint;
}

static void run_case(const struct tcase *tc, struct verdict *v)
{
	note_case(tc->seed, tc->n);
	run_once(tc, v);
	if (v->fail == F_LOCKSTEP && ad_artefact(tc)) {
		v->fail = 0;
		v->ad_artefact = true;
	}
}

/* ------------------------------------------------------------ reporting */

static void print_code(const struct tcase *tc)
{
	if (tc->raw) {
		printf("  code at %08x (random bytes):", tc->code_at);
		for (unsigned i = 0; i < tc->nraw; i++)
			printf(" %02x", tc->rawb[i]);
		printf("\n");
		return;
	}
	printf("  code at %08x:", tc->code_at);
	for (unsigned i = 0; i < tc->nins; i++)
		for (unsigned k = 0; k < tc->ins[i].len; k++)
			printf(" %02x", tc->ins[i].b[k]);
	printf("\n");
	uint32_t a = tc->code_at;
	for (unsigned i = 0; i < tc->nins; i++) {
		const struct ginsn *gi = &tc->ins[i];
		char hex[48] = "";
		for (unsigned k = 0; k < gi->len; k++)
			snprintf(hex + 3 * k, sizeof hex - 3 * k, "%02x ", gi->b[k]);
		printf("    %08x  %-36s %s", a, hex, gi->op < OP_COUNT ? opinfo[gi->op].name : "(invalid)");
		if (gi->target >= 0)
			printf(" -> #%d", gi->target);
		printf("\n");
		a += gi->len;
	}
}

static void print_state(const struct tcase *tc)
{
	printf("  CPL %d  EFLAGS %08x  CR0 %08x  CR4 %08x  ES %04x CS %04x SS %04x DS %04x FS %04x GS %04x\n",
	       tc->cpl, tc->eflags, tc->cr0, tc->cr4, tc->sel[0], tc->sel[1], tc->sel[2], tc->sel[3], tc->sel[4],
	       tc->sel[5]);
	printf("  EAX %08x ECX %08x EDX %08x EBX %08x ESP %08x EBP %08x ESI %08x EDI %08x\n", tc->r[0], tc->r[1],
	       tc->r[2], tc->r[3], tc->r[4], tc->r[5], tc->r[6], tc->r[7]);
	printf("  FCW %04x FSW %04x FTW %04x MXCSR %08x\n", tc->fpu.fcw, tc->fpu.fsw, tc->fpu.ftw, tc->fpu.mxcsr);
}

static void print_outcome(const struct verdict *v)
{
	printf("  interpreted: %s after %" PRIu64 " instructions", exit_name(v->ex), v->insns);
	if (v->vector >= 0)
		printf(" in the handler of vector %d", v->vector);
	printf(", undefined flags at the end %03x", v->undef);
	if (v->taint)
		printf("; not judged: %s", taint_names[v->taint]);
	if (v->ad_artefact)
		printf("; lockstep's A/D artefact");
	printf("\n");
}

/* Shrink a mismatching case: drop instructions (or bytes) while the same
 * comparisons still fail */
static void reduce(struct tcase *tc, unsigned fail)
{
	static struct tcase trial;
	struct verdict v;
	for (bool progress = true; progress;) {
		progress = false;
		unsigned n = tc->raw ? tc->nraw : tc->nins;
		for (int i = (int)n - 2 - (tc->raw && tc->cpl == 3); i >= 0; i--) {   /* never the terminator */
			memcpy(&trial, tc, sizeof(trial));
			remove_at(&trial, (unsigned)i);
			layout(&trial);
			run_case(&trial, &v);
			if (v.fail & fail) {
				memcpy(tc, &trial, sizeof(*tc));
				progress = true;
			}
		}
	}
}

/* ------------------------------------------------------------ regressions */

/* Reduced cases of bugs this program found, run before the random ones: the
 * world of the random cases, the state given here, the rest as after reset
 * (flat segments for the CPL, CR0 PE PG NE MP, CR4 OSFXSR OSXMMEXCPT, the
 * stack at its top when ESP is 0). */
static const struct regression {
	const char *what;
	int cpl;
	uint32_t eflags;
	uint32_t r[8];
	const char *code;
} regressions[] = {
	/* lockstep compared EFLAGS at a fault with the block end's mask: IMUL
	 * leaves SF ZF AF PF undefined (the host's differ from the P6's the
	 * interpreter gives), DIV's #DE leaves them so */
	{ "fault after a native form's undefined flags", 0, 0,
	  { 0x80000001, 0, 0, 1, 0, 0, 0, 0 }, "0f af c3 f7 f1" },
	/* a handler that leaves its undefined flags as they were (BT m32, r32
	 * keeps OF SF AF PF) passes the host's undefined AF and OF from SHL on */
	{ "undefined flags through a handler's FU flags", 0, 0,
	  { 0x0f, 3, 0, 0, 0, 0, 0, 0 }, "c0 e0 04 0f a3 0d 00 00 01 00" },
	/* the exit port asks for a stop: translated code ran the rest of its
	 * block (here a store) where the interpreter stops after the OUT */
	{ "stop request in the middle of a block", 0, 0,
	  { 0x12345678, 0, 0, 0, 0, 0, 0, 0 }, "e6 f4 a3 00 00 01 00" },
	{ NULL, 0, 0, { 0 }, NULL },
};

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
static void set_bytes(struct tcase *tc, const char *hex)
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

static void regression_case(struct tcase *tc, const struct regression *rg)
{
	struct rng g = { 0x7e57 };
	memset(tc, 0, offsetof(struct tcase, img));
	tc->n = (uint64_t)(rg - regressions);
	tc->cpl = rg->cpl;
	tc->code_at = CODE_PAGE;
	build_world(&g, tc);
	tc->nslots = 0;
	tc->cr0 = CPU_CR0_PE | CPU_CR0_PG | CPU_CR0_ET | CPU_CR0_NE | CPU_CR0_MP;
	tc->cr4 = CPU_CR4_OSFXSR | CPU_CR4_OSXMMEXCPT;
	tc->eflags = rg->eflags | 2;
	bool u = rg->cpl == 3;
	for (int s = 0; s < 6; s++)
		tc->sel[s] = s == S_CS ? (u ? SEL_CODE3 | 3 : SEL_CODE0) : (u ? SEL_DATA3 | 3 : SEL_DATA0);
	memcpy(tc->r, rg->r, sizeof(tc->r));
	if (!tc->r[R_ESP])
		tc->r[R_ESP] = u ? STACK3_TOP : STACK0_TOP;
	tc->fpu.fcw = 0x0040;
	tc->fpu.ftw = 0x5555;
	tc->fpu.mxcsr = 0x1f80;
	set_bytes(tc, rg->code);
}

/* ------------------------------------------------------------ the host dying */

static struct sigaction old_action[32];

static void on_fatal(int sig, siginfo_t *si, void *ctx)
{
	ssize_t w = write(2, crash_note, crash_len);
	(void)w;
	if (sig != SIGALRM && (old_action[sig].sa_flags & SA_SIGINFO) && old_action[sig].sa_sigaction) {
		old_action[sig].sa_sigaction(sig, si, ctx);
		return;
	}
	if (sig == SIGALRM)
		_exit(1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_fatal(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGALRM };
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_fatal;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, &old_action[sigs[i]]);
	}
}

/* ------------------------------------------------------------ main */

static struct tcase tc;
static bool verbose;
static unsigned long show = 10;

static void report(const char *label, const struct verdict *v, bool reproduce)
{
	printf("bt-fuzz: %s: MISMATCH (CPL %d)\n  %s\n", label, tc.cpl, v->what);
	print_code(&tc);
	print_outcome(v);
	if (reproduce)
		printf("  reproduce: bt-fuzz --seed %" PRIu64 " --case %" PRIu64 " --verbose --reduce\n", tc.seed, tc.n);
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, first = 0, count = 1000;
	bool do_reduce = false, one = false;
	const char *bytes = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--first") && i + 1 < argc)
			first = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--case") && i + 1 < argc) {
			first = strtoull(argv[++i], NULL, 0);
			count = 1;
			one = true;
		} else if (!strcmp(argv[i], "--show") && i + 1 < argc)
			show = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
			bytes = argv[++i];
		else if (!strcmp(argv[i], "--reduce"))
			do_reduce = true;
		else if (!strcmp(argv[i], "--verbose"))
			verbose = true;
		else {
			fprintf(stderr, "usage: bt-fuzz [--seed S] [--count N] [--first N] [--case N] [--reduce]\n"
					"               [--bytes HEX] [--show N] [--verbose]\n");
			return 2;
		}
	}
	build_classes();
	static uint8_t rom[0x10000];
	struct rng rg = { 0x5eed };
	for (unsigned i = 0; i < sizeof rom; i++)
		rom[i] = (uint8_t)rnd64(&rg);
	for (int e = 0; e < E_COUNT; e++)
		machine_init(&mach[e], (enum engine)e, rom, sizeof rom);
	catch_fatal();

	uint64_t mismatched = 0;
	struct verdict v;
	if (!one) {
		for (const struct regression *r = regressions; r->code; r++) {
			note_case(0, (uint64_t)(r - regressions));
			regression_case(&tc, r);
			run_case(&tc, &v);
			if (v.fail) {
				mismatched++;
				char label[200];
				snprintf(label, sizeof label, "regression \"%s\"", r->what);
				report(label, &v, false);
				print_state(&tc);
			}
		}
	}

	uint64_t insns = 0, ends[6] = { 0 }, vectors[257] = { 0 }, taints[T_COUNT] = { 0 }, artefacts = 0;
	uint64_t ended = 0;
	static uint64_t faults[OP_COUNT + 2];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t n = first; n < first + count; n++) {
		note_case(seed, n);
		gen_case(&tc, seed, n);
		if (bytes)
			set_bytes(&tc, bytes);
		run_case(&tc, &v);
		insns += v.insns;
		ends[v.ex < 6 ? v.ex : 0]++;
		vectors[v.vector >= 0 ? v.vector : 256]++;
		taints[v.taint]++;
		artefacts += v.ad_artefact;
		ended += v.ended;
		faults[v.fault_op]++;
		if (v.fail) {
			mismatched++;
			char label[80];
			snprintf(label, sizeof label, "seed %" PRIu64 " case %" PRIu64, seed, n);
			if (mismatched <= show || one)
				report(label, &v, true);
			if (do_reduce) {
				reduce(&tc, v.fail);
				run_case(&tc, &v);
				printf("  reduced:\n  %s\n", v.what);
				print_code(&tc);
				print_state(&tc);
				print_outcome(&v);
			}
		} else if (one && verbose) {
			printf("bt-fuzz: seed %" PRIu64 " case %" PRIu64 ": agree\n", seed, n);
			print_code(&tc);
			print_state(&tc);
			print_outcome(&v);
		}
		fflush(stdout);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (verbose) {
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("bt-fuzz: %.2f s; runs ended: %" PRIu64 " halted, %" PRIu64 " budget, %" PRIu64
		       " triple fault, %" PRIu64 " stopped\n", s, ends[CPU_EXIT_HLT], ends[CPU_EXIT_COUNT],
		       ends[CPU_EXIT_TRIPLE_FAULT], ends[CPU_EXIT_STOP]);
		printf("bt-fuzz: not judged:");
		for (unsigned i = 1; i < T_COUNT; i++)
			printf(" %s %" PRIu64 ",", taint_names[i], taints[i]);
		printf(" lockstep's A/D artefact %" PRIu64 "\n", artefacts);
		printf("bt-fuzz: %" PRIu64 " cases ran to their end without an exception; the first exception came from:",
		       ended);
		for (unsigned k = 0; k < 25; k++) {
			unsigned best = 0;
			for (unsigned i = 1; i <= OP_COUNT; i++)
				if (faults[i] > faults[best])
					best = i;
			if (!faults[best])
				break;
			printf("%s %s %" PRIu64, k ? "," : "", best < OP_COUNT ? opinfo[best].name : "(unknown)", faults[best]);
			faults[best] = 0;
		}
		printf("\n");
		printf("bt-fuzz: halted in a handler:");
		for (unsigned i = 0; i < 256; i++)
			if (vectors[i])
				printf(" %u:%" PRIu64, i, vectors[i]);
		printf("\n");
		const struct bt_stats *st = bt_get_stats(&mach[E_BT].tm.cpu);
		printf("bt-fuzz: translated run: %" PRIu64 " blocks, %" PRIu64 " native and %" PRIu64
		       " handler instructions translated, %" PRIu64 " chained, %" PRIu64 " interpreted\n",
		       st->blocks, st->native_insns, st->helper_insns, st->chained, st->insns_interp);
	}
	printf("bt-fuzz: seed %" PRIu64 ": %" PRIu64 " cases, %" PRIu64 " instructions run, %" PRIu64 " mismatched\n",
	       seed, count, insns, mismatched);
	return mismatched ? 1 : 0;
}

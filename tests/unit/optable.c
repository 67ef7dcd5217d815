/*
 * The opcode table's translator columns, row by row, against the interpreter.
 *
 * The binary translator will trust cpu/opcodes*.def without running the
 * interpreter: FR/FW/FU for flag liveness, A_BRANCH/A_JCC/A_ENDBLK to cut
 * blocks, A_MEMOP, A_STRING, A_PRIV/A_IOPL/A_SENS for what needs a run-time
 * check.  Nothing in the interpreter reads most of those columns, so this
 * suite is what keeps them true.  For every executable row (not A_UD,
 * A_NOEXEC, A_PREFIX) it builds encodings of the form (map, opcode, mandatory
 * prefix, a ModRM that satisfies MATCH with register and memory operands,
 * random immediates), runs each from random states and checks:
 *
 *   WRITTEN  EFLAGS bits outside FW never change.
 *   READ     nothing depends on an arithmetic flag or DF outside FR: every
 *            state runs twice, the second time with those flags inverted.
 *            Whether and how it faults, registers, EIP, segments, control,
 *            debug, x87 and SSE state and all of memory must come out equal,
 *            and EFLAGS too except (a) the FU bits: undefined, so their
 *            value is excluded (the translator may compute anything there)
 *            and (b) inverted bits that FW does not cover, which pass
 *            through.  A flag an instruction may leave unchanged (shift count
 *            0, REP with ECX = 0) is therefore read as well as written.
 *   BRANCH   a row without A_BRANCH leaves EIP after itself (an A_STRING row
 *            with REP may also leave it on itself, to run the next batch);
 *            a row with A_BRANCH is seen to branch; an A_JCC row both ways.
 *   ENDBLK   a row with neither A_ENDBLK nor A_BRANCH changes none of what
 *            opcode.h says ends a block (CR0 CR3 CR4, CS, SS, CPL, EFLAGS TF
 *            VM IOPL NT AC, IF from 0 to 1, halt, interrupt shadow, DR7).
 *   MEMOP    with paging on, the data and stack pages not present and a
 *            register (or no) ModRM operand, a row without A_MEMOP never
 *            page-faults (CPL 3; and at CPL 0 with the stack present, never
 *            writes the stack); a row with A_MEMOP is seen to touch memory.
 *   PRIV     at CPL 3 an A_PRIV row always raises #GP(0); another row runs
 *            at CPL 3 in some state.  step() raises that #GP from A_PRIV
 *            itself, so a row missing A_PRIV is found only where its handler
 *            also refuses CPL 3 (the same holds for A_PMONLY's #UD).
 *   IOPL     at CPL 3 (protected or v86 mode) an A_IOPL row raises #GP(0)
 *            in every state with IOPL 0 and not always with IOPL 3; for
 *            other rows IOPL 0 and 3 give the same exception.
 *   STRING   REP changes what an A_STRING row does; on any other row an
 *            ignored REP prefix changes nothing.
 *   PMONLY   an A_PMONLY row raises #UD in real mode.
 *   SOFTINT, FWAIT, NOWAIT: the step() rules that read them (single-step
 *            trap, #NM, pending x87 exceptions) hold row by row.
 *   SENS and the other hand lists: see the tables at the end.
 *
 * A trial runs in flat 32-bit protected mode (CPL 0) and in real mode, the
 * privilege checks at CPL 3 and in v86 mode.  A trial whose run faults is
 * skipped by the checks that need a result, but most trials of every row
 * must run (EXEC).  A check that cannot judge a row is listed in
 * exclusions[] with the reason; an exclusion nothing needs is a failure too.
 *
 * The machine has 64 KiB of RAM (the whole "world" a trial can reach: every
 * address beyond reads as all ones and ignores writes), restored before each
 * run, so an instruction that writes anywhere cannot leak into the next run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/x87.h"
#include "harness.h"
#include "suites.h"

/* ---- the world ---- */
#define WORLD     0x10000u   /* guest RAM */
#define DATA_LO   0x2000u    /* memory operands: DATA_LO .. DATA_LO + 0x1000, and pointers */
#define DATA_HI   0x4000u
#define STK_LO    0x6000u    /* the stack: ESP in 0x7000 .. 0x7400, EBP in the window */
#define STK_HI    0x8000u
#define TSS_B     0x0e00u    /* an available TSS: far JMP/CALL to SEL_TSSB, INT n through a
                                task gate switch to it */
#define TSS_C     0x0e80u    /* a busy TSS: the back link IRET with NT returns to */
#define LDT_ADDR  0x0f00u
#define PD_USER   0xb000u    /* paging for the A_MEMOP check: CPL 3 ... */
#define PT_USER   0xc000u
#define PD_SUPER  0xd000u    /* ... and CPL 0 */
#define PT_SUPER  0xe000u
#define SEL_TSSB  0x30
#define SEL_LDT   0x38
#define SEL_TSSC  0x40
#define GDT_LIMIT 0x47
#define IDT_LIMIT 0x7ffu   /* the harness's 32 gates, then task gates to TSS B */

/* trials per row */
#define N_FLAGS   64         /* per mode (protected, real) */
#define N_PRIV    24
#define N_MEMOP   16
#define N_WIRING  6

enum mode {
	MD_PM32,   /* flat 32-bit protected mode, CPL 0 */
	MD_RM16,   /* real mode */
	MD_PM3,    /* flat 32-bit protected mode, CPL 3 */
	MD_V86,    /* virtual-8086 mode */
	MD_PG3,    /* MD_PM3 with paging: only the code page is user-accessible */
	MD_PG0,    /* MD_PM32 with paging: data pages not present, stack present */
};
static const char *const mode_names[] = { "PM32", "RM16", "PM32/CPL3", "V86", "PG/CPL3", "PG/CPL0" };

static bool mode_code32(enum mode md)
{
	return md != MD_RM16 && md != MD_V86;
}

/* ---- checks, failures and exclusions ---- */
enum check {
	CK_ENCODE, CK_EXEC, CK_WRITTEN, CK_READ, CK_BRANCH, CK_BRANCH_SEEN, CK_JCC, CK_ENDBLK,
	CK_MEMOP, CK_MEMOP_SEEN, CK_PRIV, CK_IOPL, CK_STRING, CK_PMONLY,
	CK_SOFTINT, CK_FWAIT, CK_NOWAIT, CK_SENS, CK_LIST, CK_COUNT
};
static const char *const check_names[CK_COUNT] = {
	"ENCODE", "EXEC", "WRITTEN", "READ", "BRANCH", "BRANCH?", "JCC", "ENDBLK",
	"MEMOP", "MEMOP?", "PRIV", "IOPL", "STRING", "PMONLY",
	"SOFTINT", "FWAIT", "NOWAIT", "SENS", "LIST",
};

/*
 * Rows a check cannot judge, and why.  Each entry must be needed: one that
 * no failure matches is reported as stale.
 */
static struct exclusion {
	const char *row;
	enum check check;
	const char *reason;
	unsigned hits;
} exclusions[] = {
	/* EXEC: fewer than half of the trials run (more than none must) */
	{ "BOUND_GvMa", CK_EXEC, "#BR unless the index lies within the two random bounds", 0 },
	{ "DIV_Eb", CK_EXEC, "#DE for most random dividends: the quotient does not fit", 0 },
	{ "IDIV_Eb", CK_EXEC, "#DE for most random dividends", 0 },
	{ "DIV_Ev", CK_EXEC, "#DE for most random dividends", 0 },
	{ "IDIV_Ev", CK_EXEC, "#DE for most random dividends", 0 },
	{ "CALLF_Ap", CK_EXEC, "protected mode: #GP unless the selector is a code segment the "
	  "CPL may call or a TSS; the real-mode trials all run", 0 },
	{ "CALLF_Mp", CK_EXEC, "as CALLF_Ap", 0 },
	{ "JMPF_Ap", CK_EXEC, "as CALLF_Ap", 0 },
	{ "JMPF_Mp", CK_EXEC, "as CALLF_Ap", 0 },
	{ "RETF", CK_EXEC, "protected mode: #GP unless the popped CS (and SS) are usable", 0 },
	{ "RETF_Iw", CK_EXEC, "as RETF", 0 },
	{ "IRET_O32", CK_EXEC, "protected mode as RETF; real mode: #GP for a popped EIP above 0xFFFF", 0 },
	{ "LLDT_Ew", CK_EXEC, "#GP unless the selector is null or the LDT's (protected mode only)", 0 },
	{ "LTR_Ew", CK_EXEC, "#GP unless the selector is the one available TSS (protected mode only)", 0 },
	{ "MOV_RdCd", CK_EXEC, "#UD for CR1 and CR5-CR7: half the ModRM.reg values", 0 },
	{ "MOV_CdRd", CK_EXEC, "#UD for CR1, CR5-CR7; #GP for reserved CR4 bits, PG without PE ...", 0 },
	{ "RDMSR", CK_EXEC, "#GP unless ECX names an MSR of this CPU", 0 },
	{ "WRMSR", CK_EXEC, "#GP unless ECX names an MSR and EDX:EAX is valid for it", 0 },
	{ "RDPMC", CK_EXEC, "#GP unless ECX <= 1", 0 },
	{ "FXRSTOR_M", CK_EXEC, "#GP for a random MXCSR image with reserved bits set", 0 },
	{ "LDMXCSR_Md", CK_EXEC, "#GP for a random MXCSR with reserved bits set", 0 },
	/* LIST */
	{ "LOOP_Jb", CK_LIST, "A_JCC on eCX, not on a flag", 0 },
	{ "JCXZ_Jb", CK_LIST, "A_JCC on CX, not on a flag", 0 },
	{ "JECXZ_Jb", CK_LIST, "A_JCC on ECX, not on a flag", 0 },
	{ NULL, CK_COUNT, NULL, 0 },
};

struct rng {
	uint64_t s;
};

static uint64_t rnd64(struct rng *g)
{
	/* xorshift64* */
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return g->s * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd(struct rng *g)
{
	return (uint32_t)(rnd64(g) >> 32);
}

static uint32_t rnd_below(struct rng *g, uint32_t n)
{
	return (uint32_t)(((uint64_t)rnd(g) * n) >> 32);
}

static bool chance(struct rng *g, unsigned num, unsigned den)
{
	return rnd_below(g, den) < num;
}

/* The state a trial starts from (the mode, IOPL and the code come with the run). */
struct state {
	uint32_t r[8];
	uint32_t eflags;
	uint32_t cr0_set, cr4;   /* CR0 bits to set on top of the mode's; CR4 */
	struct fpu fpu;
	uint8_t mem[WORLD];
};

/* What a run can change, for comparison */
struct arch {
	uint32_t r[8], eip, eflags;
	struct seg seg[6], ldtr, tr;
	struct dtr gdtr, idtr;
	uint32_t cr0, cr2, cr3, cr4, dr[8];
	int cpl;
	bool halted, nmi_blocked;
	uint32_t exit_req;
	uint8_t inhibit;
	uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t tsc_offset, apic_base, misc_enable;
	struct fpu fpu;
};

struct outcome {
	int vector, error;      /* the exception raised (-1: none) */
	struct arch before, after;
	uint8_t mem[WORLD];     /* RAM after the run */
};

/* An encoding of one row */
struct enc {
	uint8_t b[16];
	unsigned len;
	struct insn in;
	bool mem;               /* a ModRM memory operand (at the target encode was given) */
};

struct ctx {
	struct rng g;
	unsigned failures;
	unsigned checks[CK_COUNT];
	uint8_t printed[OP_COUNT][CK_COUNT];
	uint8_t modrm_kind[OP_COUNT];   /* 0 unknown, 1 no ModRM, 2 ModRM, 3 register-only ModRM */
	struct state st;
	struct outcome o[3];
};

/* What one row showed over its trials */
struct rowrec {
	unsigned trials, executed;
	bool branched, fell_through, rep_differs, touched, user_ran;
	bool gp_all[2], ran3[2];    /* IOPL: [0] protected mode, [1] v86 */
};

static bool excluded(unsigned row, enum check ck)
{
	for (struct exclusion *x = exclusions; x->row; x++) {
		if (x->check == ck && !strcmp(x->row, opinfo[row].name)) {
			x->hits++;
			return true;
		}
	}
	return false;
}

static void row_fail(struct ctx *x, unsigned row, enum check ck, const char *fmt, ...)
{
	if (excluded(row, ck))
		return;
	x->failures++;
	if (x->printed[row][ck] >= 3)
		return;
	x->printed[row][ck]++;
	va_list ap;
	va_start(ap, fmt);
	printf("optable: %-18s %-8s ", opinfo[row].name, check_names[ck]);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

/* Names of EFLAGS bits, for messages */
struct text {
	char s[160];
};

static struct text fnames(uint32_t f)
{
	static const struct { uint32_t bit; const char *name; } n[] = {
		{ F_CF, "CF" }, { F_PF, "PF" }, { F_AF, "AF" }, { F_ZF, "ZF" }, { F_SF, "SF" },
		{ F_TF, "TF" }, { F_IF, "IF" }, { F_DF, "DF" }, { F_OF, "OF" }, { F_IOPL, "IOPL" },
		{ F_NT, "NT" }, { F_RF, "RF" }, { F_VM, "VM" }, { F_AC, "AC" }, { F_VIF, "VIF" },
		{ F_VIP, "VIP" }, { F_ID, "ID" },
	};
	struct text t = { "" };
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
		if (!(f & n[i].bit))
			continue;
		if (t.s[0])
			strcat(t.s, " ");
		strcat(t.s, n[i].name);
	}
	if (!t.s[0])
		strcpy(t.s, "none");
	return t;
}

/* "PM32: 66 0f a4 c1 05" */
static struct text tdesc(enum mode md, const struct enc *e)
{
	struct text t;
	int n = snprintf(t.s, sizeof t.s, "%s:", mode_names[md]);
	for (unsigned i = 0; i < e->len && n < (int)sizeof t.s - 4; i++)
		n += snprintf(t.s + n, sizeof t.s - (size_t)n, " %02x", e->b[i]);
	return t;
}

/* ---- the machine ---- */

static void tss_task(uint32_t a)
{
	h_poke(a + 0x04, 4, STACK0_TOP);          /* ESP0 */
	h_poke(a + 0x08, 4, SEL_DATA0);           /* SS0 */
	h_poke(a + 0x1c, 4, PD_SUPER);            /* CR3: also valid in the paging checks */
	h_poke(a + 0x20, 4, CODE_ADDR + 0x100);   /* EIP */
	h_poke(a + 0x24, 4, 0x2);                 /* EFLAGS */
	h_poke(a + 0x38, 4, 0x7800);              /* ESP */
	h_poke(a + 0x48, 4, SEL_DATA0);           /* ES */
	h_poke(a + 0x4c, 4, SEL_CODE0);           /* CS */
	h_poke(a + 0x50, 4, SEL_DATA0);           /* SS */
	h_poke(a + 0x54, 4, SEL_DATA0);           /* DS */
	h_poke(a + 0x58, 4, SEL_DATA0);           /* FS */
	h_poke(a + 0x5c, 4, SEL_DATA0);           /* GS */
	h_poke(a + 0x66, 2, 0x68);                /* I/O map base past the limit: no bitmap */
}

/* The harness machine with WORLD bytes of RAM, a GDT with two more TSSs and an
 * LDT, task gates in the IDT, page tables for the A_MEMOP checks; the RAM
 * image every run starts from goes to image. */
static void world_init(uint8_t *image)
{
	h_setup_ram(WORLD);
	/* the harness TSS: no I/O bitmap (IN/OUT at CPL > IOPL always #GP), back link to TSS C */
	h_poke(TSS_ADDR + 0x66, 2, 0x68);
	h_poke(TSS_ADDR, 2, SEL_TSSC);
	tss_task(TSS_B);
	tss_task(TSS_C);
	h_poke(GDT_ADDR + SEL_TSSB, 4, (TSS_B << 16) | 0x67);
	h_poke(GDT_ADDR + SEL_TSSB + 4, 4, 0x00008900u);   /* P, 32-bit TSS, available */
	h_poke(GDT_ADDR + SEL_LDT, 4, (LDT_ADDR << 16) | 0x17);
	h_poke(GDT_ADDR + SEL_LDT + 4, 4, 0x00008200u);    /* P, LDT */
	h_poke(GDT_ADDR + SEL_TSSC, 4, (TSS_C << 16) | 0x67);
	h_poke(GDT_ADDR + SEL_TSSC + 4, 4, 0x00008b00u);   /* P, 32-bit TSS, busy */
	for (unsigned v = 32; v < 256; v++) {
		h_poke(IDT_ADDR + v * 8, 4, (uint32_t)SEL_TSSB << 16);
		h_poke(IDT_ADDR + v * 8 + 4, 4, 0x0000e500u);   /* P, DPL 3, task gate */
	}
	/* LDT: flat data DPL 3, flat code DPL 0, flat data DPL 0 */
	h_poke(LDT_ADDR + 0x00, 4, 0x0000ffffu);
	h_poke(LDT_ADDR + 0x04, 4, 0x00cff300u);
	h_poke(LDT_ADDR + 0x08, 4, 0x0000ffffu);
	h_poke(LDT_ADDR + 0x0c, 4, 0x00cf9b00u);
	h_poke(LDT_ADDR + 0x10, 4, 0x0000ffffu);
	h_poke(LDT_ADDR + 0x14, 4, 0x00cf9300u);
	/* Page tables (accessed and dirty preset: the walker never writes them).
	 * CPL 3: page 0 (tables, stubs) and the ring-0 stack supervisor, the
	 * code page user read-only, nothing else present.  CPL 0: the same with
	 * the stack window present. */
	const uint32_t P = 1, RW = 2, US = 4, AD = 0x60;
	h_poke(PD_USER, 4, PT_USER | P | RW | US | AD);
	h_poke(PD_SUPER, 4, PT_SUPER | P | RW | US | AD);
	h_poke(PT_USER + 0 * 4, 4, 0x0000 | P | RW | AD);
	h_poke(PT_USER + 1 * 4, 4, 0x1000 | P | US | AD);
	h_poke(PT_USER + 9 * 4, 4, 0x9000 | P | RW | AD);
	h_poke(PT_SUPER + 0 * 4, 4, 0x0000 | P | RW | AD);
	h_poke(PT_SUPER + 1 * 4, 4, 0x1000 | P | AD);
	h_poke(PT_SUPER + 6 * 4, 4, 0x6000 | P | RW | AD);
	h_poke(PT_SUPER + 7 * 4, 4, 0x7000 | P | RW | AD);
	h_poke(PT_SUPER + 9 * 4, 4, 0x9000 | P | RW | AD);
	memcpy(image, M->mem.ram, WORLD);
}

static void arch_of(const struct cpu *c, struct arch *a)
{
	memcpy(a->r, c->r, sizeof a->r);
	a->eip = c->eip;
	a->eflags = c->eflags;
	memcpy(a->seg, c->seg, sizeof a->seg);
	a->ldtr = c->ldtr;
	a->tr = c->tr;
	a->gdtr = c->gdtr;
	a->idtr = c->idtr;
	a->cr0 = c->cr0;
	a->cr2 = c->cr2;
	a->cr3 = c->cr3;
	a->cr4 = c->cr4;
	memcpy(a->dr, c->dr, sizeof a->dr);
	a->cpl = c->cpl;
	a->halted = c->halted;
	a->nmi_blocked = c->nmi_blocked;
	a->exit_req = c->exit_req;
	a->inhibit = c->inhibit;
	a->sysenter_cs = c->sysenter_cs;
	a->sysenter_esp = c->sysenter_esp;
	a->sysenter_eip = c->sysenter_eip;
	a->tsc_offset = c->tsc_offset;
	a->apic_base = c->apic_base;
	a->misc_enable = c->misc_enable;
	a->fpu = c->fpu;
}

static bool seg_same(const struct seg *a, const struct seg *b)
{
	return a->sel == b->sel && a->valid == b->valid && a->base == b->base &&
	       a->limit == b->limit && a->attr == b->attr;
}

/* The first difference outside EFLAGS, or NULL */
static const char *arch_diff(const struct arch *a, const struct arch *b)
{
	static const char *const rn[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };
	static const char *const sn[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };
	for (int i = 0; i < 8; i++)
		if (a->r[i] != b->r[i])
			return rn[i];
	if (a->eip != b->eip)
		return "EIP";
	for (int i = 0; i < 6; i++)
		if (!seg_same(&a->seg[i], &b->seg[i]))
			return sn[i];
	if (!seg_same(&a->ldtr, &b->ldtr) || !seg_same(&a->tr, &b->tr))
		return "LDTR/TR";
	if (a->gdtr.base != b->gdtr.base || a->gdtr.limit != b->gdtr.limit ||
	    a->idtr.base != b->idtr.base || a->idtr.limit != b->idtr.limit)
		return "GDTR/IDTR";
	if (a->cr0 != b->cr0 || a->cr2 != b->cr2 || a->cr3 != b->cr3 || a->cr4 != b->cr4)
		return "CRn";
	if (memcmp(a->dr, b->dr, sizeof a->dr))
		return "DRn";
	if (a->cpl != b->cpl || a->halted != b->halted || a->nmi_blocked != b->nmi_blocked ||
	    a->exit_req != b->exit_req || a->inhibit != b->inhibit)
		return "CPL/halt/inhibit";
	if (a->sysenter_cs != b->sysenter_cs || a->sysenter_esp != b->sysenter_esp ||
	    a->sysenter_eip != b->sysenter_eip || a->tsc_offset != b->tsc_offset || a->apic_base != b->apic_base ||
	    a->misc_enable != b->misc_enable)
		return "MSRs";
	const struct fpu *f = &a->fpu, *g = &b->fpu;
	for (int i = 0; i < 8; i++)
		if (f->st[i].mant != g->st[i].mant || f->st[i].se != g->st[i].se)
			return "x87/MMX registers";
	if (f->fcw != g->fcw || f->fsw != g->fsw || f->ftw != g->ftw)
		return "FCW/FSW/FTW";
	if (f->fop != g->fop || f->fip != g->fip || f->fdp != g->fdp || f->fcs != g->fcs || f->fds != g->fds)
		return "x87 last instruction";
	if (f->mxcsr != g->mxcsr)
		return "MXCSR";
	if (memcmp(f->xmm, g->xmm, sizeof f->xmm))
		return "XMM registers";
	return NULL;
}

/* What changed that only A_ENDBLK or A_BRANCH rows may change (opcode.h);
 * empty text: nothing. */
static struct text endblk_changes(const struct arch *b, const struct arch *a)
{
	struct text t = { "" };
	const uint32_t watched = F_TF | F_VM | F_IOPL | F_NT | F_AC;
	if (a->cr0 != b->cr0)
		strcat(t.s, " CR0");
	if (a->cr3 != b->cr3)
		strcat(t.s, " CR3");
	if (a->cr4 != b->cr4)
		strcat(t.s, " CR4");
	if (!seg_same(&a->seg[S_CS], &b->seg[S_CS]))
		strcat(t.s, " CS");
	if (!seg_same(&a->seg[S_SS], &b->seg[S_SS]))
		strcat(t.s, " SS");
	if (a->cpl != b->cpl)
		strcat(t.s, " CPL");
	if ((a->eflags ^ b->eflags) & watched) {
		strcat(t.s, " ");
		strcat(t.s, fnames((a->eflags ^ b->eflags) & watched).s);
	}
	if ((a->eflags & ~b->eflags) & F_IF)
		strcat(t.s, " IF(0->1)");
	if (a->halted && !b->halted)
		strcat(t.s, " halted");
	if (a->inhibit && !b->inhibit)
		strcat(t.s, " interrupt-shadow");
	if (a->dr[7] != b->dr[7])
		strcat(t.s, " DR7");
	return t;
}

/* ---- random states ---- */

static const uint16_t selectors[] = {
	0, SEL_CODE0, SEL_DATA0, SEL_CODE3 | 3, SEL_DATA3 | 3, SEL_TSSB, SEL_LDT, SEL_TSSC,
	0x04 | 3,   /* LDT entry 0: data, DPL 3 */
};

static uint16_t rnd_selector(struct rng *g)
{
	return selectors[rnd_below(g, sizeof selectors / sizeof selectors[0])];
}

/* A register value: mostly uniform, sometimes one that matters to some row
 * (0 and 1 for divisors, edge values, MSR numbers, selectors). */
static uint32_t rnd_value(struct rng *g)
{
	static const uint32_t special[] = {
		0, 1, 2, 0xffffffffu, 0x80000000u, 0x7fffffffu, 0xffffu, 0x8000u,
		0x10, 0x174, 0x175, 0x176,
	};
	if (chance(g, 1, 8))
		return special[rnd_below(g, sizeof special / sizeof special[0])];
	if (chance(g, 1, 8))
		return rnd_selector(g);
	return rnd(g);
}

/* with probability 1/2 per word, a selector at a .. a + n */
static void sprinkle(struct rng *g, uint8_t *mem, uint32_t a, unsigned n)
{
	for (unsigned i = 0; i < n; i += 2) {
		if (!chance(g, 1, 2) || a + i + 2 > WORLD)
			continue;
		uint16_t s = rnd_selector(g);
		memcpy(mem + a + i, &s, 2);
	}
}

/* A random state.  ptrs: ESI, EDI, EBX, EBP point into the data and stack
 * windows (rows whose implicit operands are in memory). */
static void gen_state(struct rng *g, const uint8_t *image, unsigned row, bool ptrs, struct state *st)
{
	const struct opinfo *oi = &opinfo[row];
	memcpy(st->mem, image, WORLD);
	/* sometimes the vectors of INT1, INT3 and INTO are task gates too */
	if (chance(g, 1, 4)) {
		static const unsigned v[] = { EX_DB, EX_BP, EX_OF };
		for (int i = 0; i < 3; i++) {
			uint32_t gate[2] = { (uint32_t)SEL_TSSB << 16, 0x0000e500u };
			memcpy(st->mem + IDT_ADDR + v[i] * 8, gate, 8);
		}
	}
	/* data and stack windows: random bytes, 16-bit values, or zeros */
	unsigned kind = rnd_below(g, 5);
	for (uint32_t a = DATA_LO; a < STK_HI; a += 8) {
		if (a == DATA_HI)
			a = STK_LO;
		uint64_t v = kind < 3 ? rnd64(g) : kind == 3 ? rnd64(g) & 0x0000ffff0000ffffull : 0;
		memcpy(st->mem + a, &v, 8);
	}
	for (int i = 0; i < 8; i++)
		st->r[i] = rnd_value(g);
	st->r[R_ESP] = 0x7000 + (rnd_below(g, 0x400) & (chance(g, 1, 4) ? ~0u : ~3u));
	sprinkle(g, st->mem, st->r[R_ESP], 16);
	if (ptrs) {
		st->r[R_ESI] = DATA_LO + 0x800 + rnd_below(g, 0x800);
		st->r[R_EDI] = DATA_LO + 0x800 + rnd_below(g, 0x800);
		st->r[R_EBX] = DATA_LO + rnd_below(g, 0x1000);
		st->r[R_EBP] = STK_LO + 0x800 + rnd_below(g, 0x1000);
	}
	if ((oi->attr & A_STRING) && chance(g, 7, 8))
		st->r[R_ECX] = rnd_below(g, 33);
	else if (chance(g, 1, 8))
		st->r[R_ECX] = rnd_below(g, 3);   /* LOOP, JCXZ; RDPMC's counter */
	st->eflags = 2 | (rnd(g) & (F_OSZAPC | F_DF | F_IF | F_AC | F_ID)) |
		     (chance(g, 1, 8) ? F_NT : 0) | (rnd(g) & F_IOPL);
	st->cr0_set = 0;
	st->cr4 = CPU_CR4_OSFXSR | CPU_CR4_OSXMMEXCPT | (chance(g, 1, 2) ? CPU_CR4_TSD : 0) |
		  (chance(g, 1, 2) ? CPU_CR4_PCE : 0);
	/* x87: every exception masked, normal numbers in the valid registers */
	struct fpu *f = &st->fpu;
	memset(f, 0, sizeof *f);
	unsigned top = rnd_below(g, 8);
	for (int i = 0; i < 8; i++) {
		f->st[i].mant = rnd64(g) | (1ull << 63);
		f->st[i].se = (uint16_t)((rnd(g) & 0x8000) | (0x3fff - 32 + rnd_below(g, 64)));
		if (chance(g, 1, 4))
			f->ftw |= (uint16_t)(TAG_EMPTY << (2 * i));
	}
	f->fcw = (uint16_t)(0x037f | (rnd(g) & FCW_RC));
	f->fsw = (uint16_t)(top << FSW_TOP_SHIFT);
	f->mxcsr = 0x1f80 | (rnd(g) & 0x6000);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 16; j += 8) {
			uint64_t v = rnd64(g);
			memcpy(&f->xmm[i][j], &v, 8);
		}
}

/* ---- encodings ---- */

/* Does the operand string have an operand of kind c ("Ob", "Ov": c = 'O')? */
static bool operand_kind(const char *ops, char c)
{
	for (const char *p = ops; *p; ) {
		if (p[0] == c && p[1] >= 'a' && p[1] <= 'z')
			return true;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return false;
}

static unsigned put_le(uint8_t *b, unsigned n, uint32_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		b[n++] = (uint8_t)(v >> (8 * i));
	return n;
}

/* ModRM (with reg), SIB and displacement naming offset target given the
 * registers r (SDM Vol. 2 tables 2-1, 2-2, 2-3). */
static unsigned put_ea(struct rng *g, uint8_t *b, unsigned n, unsigned reg, bool a16,
		       const uint32_t r[8], uint32_t target)
{
	if (a16) {
		static const int8_t base16[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX };
		static const int8_t index16[8] = { R_ESI, R_EDI, R_ESI, R_EDI, -1, -1, -1, -1 };
		if (chance(g, 1, 3)) {
			b[n++] = (uint8_t)(reg << 3 | 6);           /* [disp16] */
			return put_le(b, n, target, 2);
		}
		unsigned rm = rnd_below(g, 8);
		uint32_t off = r[base16[rm]] + (index16[rm] >= 0 ? r[index16[rm]] : 0);
		b[n++] = (uint8_t)(0x80 | reg << 3 | rm);           /* [base + index + disp16] */
		return put_le(b, n, target - off, 2);
	}
	switch (rnd_below(g, 3)) {
	case 0:
		b[n++] = (uint8_t)(reg << 3 | 5);                   /* [disp32] */
		return put_le(b, n, target, 4);
	case 1: {
		unsigned rm = rnd_below(g, 7);
		rm += rm >= 4;                                      /* [reg + disp32] */
		b[n++] = (uint8_t)(0x80 | reg << 3 | rm);
		return put_le(b, n, target - r[rm], 4);
	}
	default: {
		unsigned base = rnd_below(g, 8), index = rnd_below(g, 8), scale = rnd_below(g, 4);
		uint32_t off = r[base] + (index != 4 ? r[index] << scale : 0);
		b[n++] = (uint8_t)(0x80 | reg << 3 | 4);            /* [base + index * scale + disp32] */
		b[n++] = (uint8_t)(scale << 6 | index << 3 | base);
		return put_le(b, n, target - off, 4);
	}
	}
}

static uint32_t ea_of(const struct insn *in, const uint32_t r[8])
{
	uint32_t off = in->disp;
	if (in->ea_base >= 0)
		off += r[in->ea_base];
	if (in->ea_index >= 0)
		off += r[in->ea_index] << in->ea_scale;
	return in->asize == 2 ? off & 0xffff : off;
}

/*
 * An encoding of row for code of the default size code32 and registers r:
 * the row's mandatory prefix, 66/67 where MATCH asks for an operand or
 * address size (else at random), the opcode (+ a random register for
 * M_OPR8), a ModRM with MATCH's reg/rm/mod (a memory operand, at target,
 * when MATCH requires one or want_mem), moffs = target, then random bytes
 * for immediates (a quarter of them below 32: shift counts, vectors).
 * Returns false when no attempt decoded as the row.
 */
static bool encode(struct ctx *x, unsigned row, bool code32, const uint32_t r[8], bool want_mem,
		   uint32_t target, struct enc *e)
{
	struct rng *g = &x->g;
	const struct opinfo *oi = &opinfo[row];
	uint32_t m = oi->match;
	bool moffs = operand_kind(oi->operands, 'O');
	bool farptr = operand_kind(oi->operands, 'A');
	for (int attempt = 0; attempt < 64; attempt++) {
		uint8_t b[32];
		unsigned n = 0;
		bool p66, p67;
		if (m & M_P66)
			p66 = false;                 /* added below as the mandatory prefix */
		else if (m & M_O16)
			p66 = code32;
		else if (m & M_O32)
			p66 = !code32;
		else
			p66 = !(m & M_PFX_ANY) && chance(g, 1, 3);
		if (m & M_A16)
			p67 = code32;
		else if (m & M_A32)
			p67 = !code32;
		else
			p67 = chance(g, 1, 3);
		bool a16 = code32 == p67;
		if (p66)
			b[n++] = 0x66;
		if (p67)
			b[n++] = 0x67;
		if (m & M_P66)
			b[n++] = 0x66;
		if (m & M_PF3)
			b[n++] = 0xf3;
		if (m & M_PF2)
			b[n++] = 0xf2;
		if (oi->map)
			b[n++] = 0x0f;
		b[n++] = (uint8_t)(oi->opc | ((m & M_OPR8) ? rnd_below(g, 8) : 0));
		bool mem = false;
		if (x->modrm_kind[row] != 1) {
			unsigned reg = (m & 0x10) ? (m & 7) : rnd_below(g, 8);
			if (m & (0x10u << 5)) {
				b[n++] = (uint8_t)(0xc0 | reg << 3 | ((m >> 5) & 7));
			} else {
				mem = (m & M_MEM) || (!(m & M_RM3) && x->modrm_kind[row] != 3 && want_mem);
				if (mem)
					n = put_ea(g, b, n, reg, a16, r, target);
				else
					b[n++] = (uint8_t)(0xc0 | reg << 3 | rnd_below(g, 8));
			}
		}
		if (moffs)
			n = put_le(b, n, target, a16 ? 2 : 4);
		if (farptr) {
			/* offset, then a selector: often one of the GDT's */
			n = put_le(b, n, rnd(g), code32 != p66 ? 4 : 2);
			n = put_le(b, n, chance(g, 1, 2) ? rnd_selector(g) : rnd(g), 2);
		}
		for (int i = 0; i < 8; i++)
			b[n++] = (uint8_t)(chance(g, 1, 4) ? rnd_below(g, 32) : rnd(g));
		if (decode_buf(&e->in, code32, b, n) != DEC_OK || e->in.op != row)
			continue;
		if (x->modrm_kind[row] == 0) {
			x->modrm_kind[row] = !e->in.has_modrm ? 1 : e->in.has_modrm == 2 ? 3 : 2;
			continue;                    /* now encode knowing it */
		}
		e->mem = INSN_MEMOP(&e->in);
		if (mem != e->mem || (mem && ea_of(&e->in, r) != target))
			continue;
		if (moffs && (e->in.disp & (a16 ? 0xffff : ~0u)) != target)
			continue;
		e->len = e->in.len;
		memset(e->b, 0, sizeof e->b);
		memcpy(e->b, b, e->len);
		return true;
	}
	return false;
}

/* e with prefix p in front; false if that is not the same row or too long */
static bool with_prefix(const struct enc *e, uint8_t p, bool code32, struct enc *out)
{
	if (e->len >= 15)
		return false;
	*out = *e;
	out->b[0] = p;
	memcpy(out->b + 1, e->b, e->len);
	if (decode_buf(&out->in, code32, out->b, e->len + 1) != DEC_OK || out->in.op != e->in.op)
		return false;
	out->len = out->in.len;
	return true;
}

/* A random state and an encoding of row for mode md (the code is not in
 * st->mem: each run places its own).  False: the row cannot be encoded. */
static bool gen_trial(struct ctx *x, const uint8_t *image, unsigned row, enum mode md, bool want_mem,
		      bool ptrs, struct enc *e)
{
	struct state *st = &x->st;
	gen_state(&x->g, image, row, ptrs || (opinfo[row].attr & A_MEMOP), st);
	uint32_t target = DATA_LO + (rnd_below(&x->g, 0x1000) & (chance(&x->g, 3, 4) ? ~15u : ~0u));
	sprinkle(&x->g, st->mem, target, 12);
	return encode(x, row, mode_code32(md), st->r, want_mem, target, e);
}

/* ---- runs ---- */

/* Run the code of e from st in mode md with IOPL iopl, the EFLAGS bits flip inverted. */
static void run(const struct state *st, const struct enc *e, enum mode md, unsigned iopl, uint32_t flip,
		struct outcome *o)
{
	struct cpu *c = CPU;
	memcpy(M->mem.ram, st->mem, WORLD);
	memcpy(M->mem.ram + CODE_ADDR, e->b, sizeof e->b);
	cpu_reset(c);
	switch (md) {
	case MD_RM16:
		h_real_mode();
		break;
	case MD_PM32:
	case MD_PG0:
	case MD_V86:
		h_flat32();
		break;
	case MD_PM3:
	case MD_PG3:
		h_flat32_user();
		break;
	}
	if (md != MD_RM16) {
		c->gdtr.limit = GDT_LIMIT;
		c->idtr.limit = IDT_LIMIT;
		/* LDTR: the world's LDT, as if loaded with LLDT (instead of the
		 * power-on LDTR at base 0 that h_flat32 leaves) */
		c->ldtr.sel = SEL_LDT;
		c->ldtr.valid = 1;
		c->ldtr.base = LDT_ADDR;
		c->ldtr.limit = 0x17;
		c->ldtr.attr = SA_P | 0x2;
	}
	memcpy(c->r, st->r, sizeof c->r);
	c->eflags = ((st->eflags ^ flip) & ~(F_IOPL | F_VM)) | (iopl << 12) | 2;
	if (md == MD_V86) {
		for (int i = 0; i < 6; i++) {
			struct seg *s = &c->seg[i];
			s->sel = 0;
			s->valid = 1;
			s->base = 0;
			s->limit = 0xffff;
			s->attr = SA_P | SA_S | (3u << SA_DPL_SHIFT) | (i == S_CS ? 0xbu : 0x3u);
		}
		c->cpl = 3;
		c->eflags |= F_VM;
	}
	cpu_set_cr0(c, c->cr0 | CPU_CR0_NE | st->cr0_set);
	cpu_set_cr4(c, st->cr4);
	c->fpu = st->fpu;
	c->sysenter_cs = SEL_CODE0;
	c->sysenter_esp = 0x7800;
	c->sysenter_eip = CODE_ADDR + 0x200;
	c->eip = CODE_ADDR;
	if (md == MD_PG3 || md == MD_PG0) {
		cpu_set_cr3(c, md == MD_PG3 ? PD_USER : PD_SUPER);
		cpu_set_cr0(c, c->cr0 | CPU_CR0_PG);
	}
	arch_of(c, &o->before);
	c->ex_vector = -1;
	c->ex_error = -1;
	cpu_step(c);
	o->vector = c->ex_vector;
	o->error = c->ex_error;
	arch_of(c, &o->after);
	memcpy(o->mem, M->mem.ram, WORLD);
}

static bool gp0(const struct outcome *o)
{
	return o->vector == EX_GP && o->error == 0;
}

/* WRITTEN, BRANCH and ENDBLK on a run that did not fault */
static void check_run(struct ctx *x, unsigned row, enum mode md, const struct enc *e,
		      const struct outcome *o, struct rowrec *rr)
{
	const struct opinfo *oi = &opinfo[row];
	uint32_t changed = (o->after.eflags ^ o->before.eflags) & ~oi->fw;
	x->checks[CK_WRITTEN]++;
	if (changed)
		row_fail(x, row, CK_WRITTEN, "EFLAGS bits outside FW changed: %s (%s)", fnames(changed).s,
		     tdesc(md, e).s);
	uint32_t next = o->before.eip + e->len;
	if (!mode_code32(md))
		next &= 0xffff;
	x->checks[CK_BRANCH]++;
	if (o->after.eip == next) {
		rr->fell_through = true;
	} else if ((oi->attr & A_STRING) && e->in.rep && o->after.eip == o->before.eip) {
		/* REP: the next batch re-executes the instruction */
	} else {
		rr->branched = true;
		if (!(oi->attr & A_BRANCH))
			row_fail(x, row, CK_BRANCH, "EIP 0x%x after it, not 0x%x (%s)", o->after.eip, next,
			     tdesc(md, e).s);
	}
	x->checks[CK_ENDBLK]++;
	if (!(oi->attr & (A_ENDBLK | A_BRANCH))) {
		struct text t = endblk_changes(&o->before, &o->after);
		if (t.s[0])
			row_fail(x, row, CK_ENDBLK, "changed%s (%s)", t.s, tdesc(md, e).s);
	}
}

/* Where two outcomes differ, beyond EFLAGS: a register or "memory at ..." */
static struct text outcome_diff(const struct outcome *a, const struct outcome *b)
{
	struct text t = { "" };
	const char *d = arch_diff(&a->after, &b->after);
	if (d) {
		snprintf(t.s, sizeof t.s, "%s", d);
		return t;
	}
	for (uint32_t i = 0; i < WORLD; i++) {
		if (a->mem[i] != b->mem[i]) {
			snprintf(t.s, sizeof t.s, "memory at 0x%x", i);
			break;
		}
	}
	return t;
}

static bool row_checked(unsigned row)
{
	return !(opinfo[row].attr & (A_UD | A_NOEXEC | A_PREFIX));
}

static struct ctx *ctx_new(uint64_t seed)
{
	struct ctx *x = calloc(1, sizeof *x);
	ck_assert_ptr_nonnull(x);
	x->g.s = seed;
	return x;
}

/* End of a test: stale exclusions of its checks, the summary, the verdict. */
static void ctx_finish(struct ctx *x, const char *test, const enum check *cks, unsigned ncks)
{
	unsigned total = 0;
	for (unsigned i = 0; i < ncks; i++) {
		for (struct exclusion *e = exclusions; e->row; e++) {
			if (e->check == cks[i] && e->hits == 0) {
				x->failures++;
				printf("optable: exclusion %s %s is not needed any more (\"%s\")\n",
				       e->row, check_names[e->check], e->reason);
			}
		}
	}
	printf("optable: %s:", test);
	for (int i = 0; i < CK_COUNT; i++) {
		if (x->checks[i]) {
			printf(" %s %u", check_names[i], x->checks[i]);
			total += x->checks[i];
		}
	}
	printf(" (%u checks, %u failures)\n", total, x->failures);
	unsigned failures = x->failures;
	free(x);
	ck_assert_msg(failures == 0, "%s: %u failures (listed above)", test, failures);
}

static void reset_hits(const enum check *cks, unsigned ncks)
{
	for (struct exclusion *e = exclusions; e->row; e++)
		for (unsigned i = 0; i < ncks; i++)
			if (e->check == cks[i])
				e->hits = 0;
}

/* ---- flags, branches, blocks: protected mode CPL 0 and real mode ---- */

static void flags_row(struct ctx *x, const uint8_t *image, unsigned row)
{
	const struct opinfo *oi = &opinfo[row];
	struct state *st = &x->st;
	struct outcome *a = &x->o[0], *b = &x->o[1], *c = &x->o[2];
	struct rowrec rr = { 0 };
	uint32_t flip = (F_OSZAPC | F_DF) & ~oi->fr;
	for (int pass = 0; pass < 2; pass++) {
		enum mode md = pass ? MD_RM16 : MD_PM32;
		bool code32 = mode_code32(md);
		for (unsigned t = 0; t < N_FLAGS; t++) {
			struct enc e0, e1, *e = &e0, *other = NULL;
			if (!gen_trial(x, image, row, md, chance(&x->g, 1, 2), false, &e0)) {
				row_fail(x, row, CK_ENCODE, "no encoding decodes as this row (%s)", mode_names[md]);
				return;
			}
			if (oi->attr & A_STRING) {
				/* with and without REP (F3 or F2: REPE/REPNE for CMPS and SCAS) */
				if (with_prefix(&e0, chance(&x->g, 1, 2) ? 0xf3 : 0xf2, code32, &e1)) {
					bool rep = chance(&x->g, 1, 2);
					e = rep ? &e1 : &e0;
					other = rep ? &e0 : &e1;
				}
			} else if (md == MD_PM32 && !(oi->attr & A_BRANCH) && !(oi->match & M_PFX_ANY) &&
				   t % 4 == 0 && with_prefix(&e0, 0xf3, code32, &e1)) {
				other = &e1;   /* an ignored REP prefix */
			}
			run(st, e, md, (st->eflags & F_IOPL) >> 12, 0, a);
			if ((oi->attr & A_PMONLY) && md == MD_RM16) {
				x->checks[CK_PMONLY]++;
				if (a->vector != EX_UD)
					row_fail(x, row, CK_PMONLY, "real mode: vector %d, not #UD (%s)", a->vector,
					     tdesc(md, e).s);
				continue;
			}
			rr.trials++;
			if (flip) {
				run(st, e, md, (st->eflags & F_IOPL) >> 12, flip, b);
				x->checks[CK_READ]++;
				if (a->vector != b->vector) {
					row_fail(x, row, CK_READ, "vector %d, %d with %s inverted (%s)", a->vector,
					     b->vector, fnames(flip).s, tdesc(md, e).s);
				} else if (a->vector < 0) {
					struct text d = outcome_diff(a, b);
					uint32_t fd = ((a->after.eflags ^ b->after.eflags) & ~oi->fu) ^ (flip & ~oi->fw);
					if (d.s[0] || fd)
						row_fail(x, row, CK_READ, "%s%s%s differs with %s inverted (%s)", d.s,
						     d.s[0] && fd ? ", " : "", fd ? fnames(fd).s : "",
						     fnames(flip).s, tdesc(md, e).s);
				}
			}
			if (a->vector >= 0)
				continue;
			rr.executed++;
			check_run(x, row, md, e, a, &rr);
			if (!other)
				continue;
			run(st, other, md, (st->eflags & F_IOPL) >> 12, 0, c);
			/* the code differs by the prefix: compare the rest */
			memcpy(c->mem + CODE_ADDR, a->mem + CODE_ADDR, sizeof e->b);
			if (oi->attr & A_STRING) {
				if (c->vector < 0 && (outcome_diff(a, c).s[0] || a->after.eflags != c->after.eflags))
					rr.rep_differs = true;
				continue;
			}
			x->checks[CK_STRING]++;
			c->after.eip -= 1;
			struct text d = outcome_diff(a, c);
			if (c->vector != a->vector || d.s[0] || a->after.eflags != c->after.eflags)
				row_fail(x, row, CK_STRING, "an ignored REP prefix changes %s (%s)",
				     c->vector >= 0 ? "whether it faults" : d.s[0] ? d.s : "EFLAGS",
				     tdesc(md, other).s);
		}
	}
	x->checks[CK_EXEC]++;
	if (rr.executed == 0) {
		x->failures++;   /* no exclusion: every check would be vacuous */
		printf("optable: %-18s EXEC     none of %u trials ran without an exception\n", oi->name,
		       rr.trials);
		return;
	}
	if (rr.executed * 2 < rr.trials)
		row_fail(x, row, CK_EXEC, "only %u of %u trials ran without an exception", rr.executed, rr.trials);
	if (oi->attr & A_BRANCH) {
		x->checks[CK_BRANCH_SEEN]++;
		if (!rr.branched)
			row_fail(x, row, CK_BRANCH_SEEN, "A_BRANCH, but EIP always after it in %u runs", rr.executed);
	}
	if (oi->attr & A_JCC) {
		x->checks[CK_JCC]++;
		if (!rr.branched || !rr.fell_through)
			row_fail(x, row, CK_JCC, "A_JCC, but only %s seen in %u runs",
			     rr.branched ? "taken" : "not taken", rr.executed);
	}
	if (oi->attr & A_STRING) {
		x->checks[CK_STRING]++;
		if (!rr.rep_differs)
			row_fail(x, row, CK_STRING, "A_STRING, but REP never changed the result");
	}
}

static const enum check flags_checks[] = {
	CK_ENCODE, CK_EXEC, CK_WRITTEN, CK_READ, CK_BRANCH, CK_BRANCH_SEEN, CK_JCC, CK_ENDBLK,
	CK_STRING, CK_PMONLY,
};

START_TEST(flags_branches_blocks)
{
	static uint8_t image[WORLD];
	world_init(image);
	struct ctx *x = ctx_new(0x6f70746162c3e5ull);
	reset_hits(flags_checks, sizeof flags_checks / sizeof flags_checks[0]);
	for (unsigned row = 0; row < OP_COUNT; row++)
		if (row_checked(row))
			flags_row(x, image, row);
	ctx_finish(x, "flags, branches, blocks", flags_checks, sizeof flags_checks / sizeof flags_checks[0]);
}
END_TEST

/* ---- privilege: CPL 3 in protected mode, v86 mode; IOPL 0 and 3 ---- */

static void priv_row(struct ctx *x, const uint8_t *image, unsigned row)
{
	const struct opinfo *oi = &opinfo[row];
	struct state *st = &x->st;
	struct outcome *o3 = &x->o[0], *o0 = &x->o[1];
	struct rowrec rr = { .gp_all = { true, true } };
	/* more trials for a row not yet seen to run at CPL 3 (RDPMC needs
	 * CR4.PCE and ECX <= 1) */
	unsigned n = 0;
	for (unsigned t = 0; t < N_PRIV || (!rr.user_ran && !(oi->attr & A_PRIV) && t < 8 * N_PRIV); t++) {
		n++;
		for (int v = 0; v < 2; v++) {
			enum mode md = v ? MD_V86 : MD_PM3;
			struct enc e;
			if (!gen_trial(x, image, row, md, chance(&x->g, 1, 2), false, &e)) {
				row_fail(x, row, CK_ENCODE, "no encoding decodes as this row (%s)", mode_names[md]);
				return;
			}
			run(st, &e, md, 3, 0, o3);
			run(st, &e, md, 0, 0, o0);
			if (md == MD_PM3) {
				x->checks[CK_PRIV]++;
				if ((oi->attr & A_PRIV) && !gp0(o3))
					row_fail(x, row, CK_PRIV, "CPL 3: vector %d error %d, not #GP(0) (%s)",
						 o3->vector, o3->error, tdesc(md, &e).s);
				if (!gp0(o3))
					rr.user_ran = true;
			}
			if (oi->attr & A_IOPL) {
				rr.gp_all[v] &= gp0(o0);
				rr.ran3[v] |= !gp0(o3);
			} else {
				x->checks[CK_IOPL]++;
				if (o3->vector != o0->vector || (o3->vector >= 0 && o3->error != o0->error))
					row_fail(x, row, CK_IOPL, "vector %d error %d with IOPL 3, %d error %d with "
						 "IOPL 0 (%s)", o3->vector, o3->error, o0->vector, o0->error,
						 tdesc(md, &e).s);
			}
			if (o3->vector < 0)
				check_run(x, row, md, &e, o3, &rr);
			if (o0->vector < 0)
				check_run(x, row, md, &e, o0, &rr);
		}
	}
	if (!(oi->attr & A_PRIV)) {
		x->checks[CK_PRIV]++;
		if (!rr.user_ran)
			row_fail(x, row, CK_PRIV, "#GP(0) at CPL 3 in all %u trials, but no A_PRIV", n);
	}
	if (oi->attr & A_IOPL) {
		x->checks[CK_IOPL]++;
		if (!(rr.gp_all[0] && rr.ran3[0]) && !(rr.gp_all[1] && rr.ran3[1]))
			row_fail(x, row, CK_IOPL, "A_IOPL, but in neither protected nor v86 mode does IOPL 0 "
				 "always raise #GP(0) where IOPL 3 does not (PM %d/%d, v86 %d/%d)",
				 rr.gp_all[0], rr.ran3[0], rr.gp_all[1], rr.ran3[1]);
	}
}

static const enum check priv_checks[] = { CK_PRIV, CK_IOPL };

START_TEST(privilege)
{
	static uint8_t image[WORLD];
	world_init(image);
	struct ctx *x = ctx_new(0x7072697669ull);
	reset_hits(priv_checks, sizeof priv_checks / sizeof priv_checks[0]);
	for (unsigned row = 0; row < OP_COUNT; row++)
		if (row_checked(row))
			priv_row(x, image, row);
	ctx_finish(x, "privilege", priv_checks, sizeof priv_checks / sizeof priv_checks[0]);
}
END_TEST

/* ---- memory: paging with the data and stack pages not present ---- */

static void memop_row(struct ctx *x, const uint8_t *image, unsigned row)
{
	const struct opinfo *oi = &opinfo[row];
	struct state *st = &x->st;
	struct outcome *a = &x->o[0], *b = &x->o[1];
	struct rowrec rr = { 0 };
	/* rows whose only form has a memory ModRM operand: the rule is about
	 * memory besides that operand, and there is no form without it */
	if (oi->match & M_MEM)
		return;
	for (unsigned t = 0; t < N_MEMOP; t++) {
		struct enc e;
		if (!gen_trial(x, image, row, MD_PG3, false, true, &e)) {
			row_fail(x, row, CK_ENCODE, "no register form decodes as this row");
			return;
		}
		ck_assert(!e.mem);
		const char *how = NULL;
		uint32_t cr2 = 0;
		run(st, &e, MD_PG3, 3, 0, a);
		if (a->vector == EX_PF) {
			how = "page fault at CPL 3";
			cr2 = a->after.cr2;
		}
		run(st, &e, MD_PG0, (st->eflags & F_IOPL) >> 12, 0, b);
		if (!how && b->vector == EX_PF) {
			how = "page fault at CPL 0";
			cr2 = b->after.cr2;
		} else if (!how && b->vector < 0 && memcmp(b->mem + STK_LO, st->mem + STK_LO, STK_HI - STK_LO)) {
			how = "stack written at CPL 0";
		}
		x->checks[CK_MEMOP]++;
		if (how) {
			rr.touched = true;
			if (!(oi->attr & A_MEMOP))
				row_fail(x, row, CK_MEMOP, "%s, CR2 0x%x, without A_MEMOP (%s)", how, cr2,
					 tdesc(MD_PG3, &e).s);
		}
		if (a->vector < 0)
			check_run(x, row, MD_PG3, &e, a, &rr);
		if (b->vector < 0)
			check_run(x, row, MD_PG0, &e, b, &rr);
	}
	if (oi->attr & A_MEMOP) {
		x->checks[CK_MEMOP_SEEN]++;
		if (!rr.touched)
			row_fail(x, row, CK_MEMOP_SEEN, "A_MEMOP, but no memory touched in %u trials", N_MEMOP);
	}
}

static const enum check memop_checks[] = { CK_MEMOP, CK_MEMOP_SEEN };

START_TEST(memory)
{
	static uint8_t image[WORLD];
	world_init(image);
	struct ctx *x = ctx_new(0x6d656d6f7270ull);
	reset_hits(memop_checks, sizeof memop_checks / sizeof memop_checks[0]);
	for (unsigned row = 0; row < OP_COUNT; row++)
		if (row_checked(row))
			memop_row(x, image, row);
	ctx_finish(x, "memory", memop_checks, sizeof memop_checks / sizeof memop_checks[0]);
}
END_TEST

/* ---- what step() does with A_SOFTINT, A_FWAIT, A_NOWAIT ---- */

static void wiring_row(struct ctx *x, const uint8_t *image, unsigned row)
{
	const struct opinfo *oi = &opinfo[row];
	struct state *st = &x->st;
	struct outcome *a = &x->o[0];
	for (unsigned t = 0; t < N_WIRING; t++) {
		struct enc e;
		if (!gen_trial(x, image, row, MD_PM32, chance(&x->g, 1, 2), false, &e)) {
			row_fail(x, row, CK_ENCODE, "no encoding decodes as this row");
			return;
		}
		/* single step: a trap after every instruction except in an
		 * interrupt shadow and after a software interrupt, whose delivery
		 * cleared TF (SDM Vol. 3 17.3.1.4).  INTO with OF clear delivers
		 * nothing and leaves TF set: not judged here. */
		st->eflags |= F_TF;
		run(st, &e, MD_PM32, 0, 0, a);
		if (a->vector < 0) {
			bool trapped = a->after.dr[6] & 0x4000;
			x->checks[CK_SOFTINT]++;
			if (oi->attr & A_SOFTINT) {
				if (!(a->after.eflags & F_TF) && trapped)
					row_fail(x, row, CK_SOFTINT, "single-step trap after the interrupt (%s)",
						 tdesc(MD_PM32, &e).s);
			} else if (!a->after.inhibit && !trapped) {
				row_fail(x, row, CK_SOFTINT, "no single-step trap after it (%s)", tdesc(MD_PM32, &e).s);
			}
		}
		st->eflags &= ~F_TF;
		if (!(oi->attr & A_FPU))
			continue;
		/* #NM (SDM Vol. 3 table 2-2): WAIT/FWAIT only with MP and TS,
		 * every other x87 form with EM or TS */
		static const uint32_t cr0s[] = { CPU_CR0_TS, CPU_CR0_TS | CPU_CR0_MP, CPU_CR0_EM };
		for (int i = 0; i < 3; i++) {
			st->cr0_set = cr0s[i];
			run(st, &e, MD_PM32, 0, 0, a);
			bool expect = !(oi->attr & A_FWAIT) || cr0s[i] == (CPU_CR0_TS | CPU_CR0_MP);
			x->checks[CK_FWAIT]++;
			if ((a->vector == EX_NM) != expect)
				row_fail(x, row, CK_FWAIT, "CR0 %s%s%s: vector %d (%s)",
					 cr0s[i] & CPU_CR0_EM ? "EM " : "", cr0s[i] & CPU_CR0_MP ? "MP " : "",
					 cr0s[i] & CPU_CR0_TS ? "TS" : "", a->vector, tdesc(MD_PM32, &e).s);
		}
		st->cr0_set = 0;
		/* a pending unmasked invalid-operation exception: #MF before
		 * every waiting form (CR0.NE = 1), none before A_NOWAIT forms */
		st->fpu.fcw &= (uint16_t)~0x0001u;   /* IM clear */
		st->fpu.fsw |= FSW_IE | FSW_ES | FSW_B;
		run(st, &e, MD_PM32, 0, 0, a);
		x->checks[CK_NOWAIT]++;
		if ((a->vector == EX_MF) != !(oi->attr & A_NOWAIT))
			row_fail(x, row, CK_NOWAIT, "pending x87 exception: vector %d (%s)", a->vector,
				 tdesc(MD_PM32, &e).s);
	}
}

static const enum check wiring_checks[] = { CK_SOFTINT, CK_FWAIT, CK_NOWAIT };

START_TEST(step_attributes)
{
	static uint8_t image[WORLD];
	world_init(image);
	struct ctx *x = ctx_new(0x77697265ull);
	reset_hits(wiring_checks, sizeof wiring_checks / sizeof wiring_checks[0]);
	for (unsigned row = 0; row < OP_COUNT; row++)
		if (row_checked(row))
			wiring_row(x, image, row);
	ctx_finish(x, "step() attributes", wiring_checks, sizeof wiring_checks / sizeof wiring_checks[0]);
}
END_TEST

/* ---- hand lists ---- */

struct listed {
	const char *row;
	const char *why;
};

/*
 * A_SENS, by hand: by necessity, since "sensitive" is about what the
 * instruction reveals or silently does differently, which no run of one
 * state can tell from an ordinary data dependence.  The rule (opcode.h):
 * the effect depends on CPL, IOPL or VM in some way other than the #GP
 * that A_PRIV and A_IOPL stand for.  Not here, with the reason: ARPL
 * (compares two RPL fields, whatever the CPL); IN, OUT, INS, OUTS, CLI,
 * STI (CPL > IOPL, or the I/O bitmap, is a #GP: A_IOPL; no VME/PVI on this
 * CPU); CPUID (same result at every CPL, no CPUID faulting on P6); MOV,
 * POP, LDS ... to a segment register (a privilege violation is a #GP);
 * SYSENTER (the same at every CPL); everything A_PRIV.
 */
static const struct listed sens_rows[] = {
	{ "PUSH_CS", "pushes CS, whose RPL is the CPL (SDM Vol. 3 5.5)" },
	{ "PUSH_SS", "pushes SS, whose RPL is the CPL" },
	{ "MOV_EvSw", "stores CS or SS, whose RPL is the CPL" },
	{ "PUSHF_O16", "pushes IOPL and IF at CPL 3 without a trap in protected mode" },
	{ "PUSHF_O32", "as PUSHF_O16" },
	{ "POPF_O16", "IF unchanged if CPL > IOPL, IOPL unchanged if CPL > 0, silently (Vol. 2 POPF)" },
	{ "POPF_O32", "as POPF_O16" },
	{ "IRET_O16", "like POPF for IF and IOPL; to an outer level it nulls data segment registers" },
	{ "IRET_O32", "as IRET_O16" },
	{ "RETF_Iw", "to an outer level: stack switch, data segment registers nulled (Vol. 2 RET)" },
	{ "RETF", "as RETF_Iw" },
	{ "CALLF_Ap", "a call gate to an inner level switches stacks; the new CS gets RPL = CPL" },
	{ "CALLF_Mp", "as CALLF_Ap" },
	{ "JMPF_Ap", "the new CS gets RPL = CPL (Vol. 2 JMP: conforming and gate targets)" },
	{ "JMPF_Mp", "as JMPF_Ap" },
	{ "INT_Ib", "to a handler at an inner level: stack switch from the TSS (Vol. 3 6.12.1)" },
	{ "INT3", "as INT_Ib" },
	{ "INTO", "as INT_Ib" },
	{ "INT1", "as INT_Ib" },
	{ "SGDT_Ms", "reveals GDTR at CPL 3 (no UMIP on this CPU)" },
	{ "SIDT_Ms", "reveals IDTR at CPL 3" },
	{ "SLDT_Ew", "reveals LDTR at CPL 3" },
	{ "STR_Ew", "reveals TR at CPL 3" },
	{ "SMSW_Ew", "reveals CR0 bits 0-15 at CPL 3" },
	{ "LAR_GvEw", "ZF and the result depend on CPL and RPL against the descriptor's DPL" },
	{ "LSL_GvEw", "as LAR_GvEw" },
	{ "VERR_Ew", "as LAR_GvEw" },
	{ "VERW_Ew", "as LAR_GvEw" },
	{ "RDTSC", "#GP at CPL > 0 only with CR4.TSD: whether it traps is run-time state" },
	{ "RDPMC", "#GP at CPL > 0 only without CR4.PCE" },
};

/* A_SOFTINT: the software interrupts (SDM Vol. 2 "INT n/INTO/INT3/INT1") */
static const struct listed softint_rows[] = {
	{ "INT_Ib", "INT n" }, { "INT3", "INT3" }, { "INTO", "INTO" }, { "INT1", "INT1 (ICEBP)" },
};

/* A_FWAIT */
static const struct listed fwait_rows[] = {
	{ "FWAIT", "WAIT/FWAIT (SDM Vol. 3 table 2-2)" },
};

/* A_NOWAIT: the FN forms of SDM Vol. 1 8.3.11 and the 8087/287 control
 * forms, whose no-wait encodings these are */
static const struct listed nowait_rows[] = {
	{ "FNINIT", "" }, { "FNCLEX", "" }, { "FNSTSW_Mw", "" }, { "FNSTSW_AX", "" },
	{ "FNSTCW_Mw", "" }, { "FNSTENV_M", "" }, { "FNSAVE_M", "" },
	{ "FENI", "8087 FNENI, a no-op here" }, { "FDISI", "8087 FNDISI, a no-op here" },
	{ "FSETPM", "287 FNSETPM, a no-op here" },
};

static void check_list(struct ctx *x, uint32_t attr, const char *aname, const struct listed *l, size_t n,
		       enum check ck)
{
	for (size_t i = 0; i < n; i++) {
		unsigned row = 0;
		while (row < OP_COUNT && strcmp(opinfo[row].name, l[i].row))
			row++;
		if (row == OP_COUNT) {
			x->failures++;
			printf("optable: %s list names %s, which is no row\n", aname, l[i].row);
		}
	}
	for (unsigned row = 0; row < OP_COUNT; row++) {
		if (!row_checked(row))
			continue;
		bool listed = false;
		for (size_t i = 0; i < n && !listed; i++)
			listed = !strcmp(opinfo[row].name, l[i].row);
		x->checks[ck]++;
		if (listed != !!(opinfo[row].attr & attr))
			row_fail(x, row, ck, listed ? "in the %s list, but without the attribute" :
				 "has %s, but is not in the list", aname);
	}
}

static const enum check list_checks[] = { CK_SENS, CK_SOFTINT, CK_FWAIT, CK_NOWAIT, CK_LIST };

START_TEST(hand_lists)
{
	struct ctx *x = ctx_new(1);
	reset_hits(list_checks, sizeof list_checks / sizeof list_checks[0]);
	check_list(x, A_SENS, "A_SENS", sens_rows, sizeof sens_rows / sizeof sens_rows[0], CK_SENS);
	check_list(x, A_SOFTINT, "A_SOFTINT", softint_rows, sizeof softint_rows / sizeof softint_rows[0],
		   CK_SOFTINT);
	check_list(x, A_FWAIT, "A_FWAIT", fwait_rows, sizeof fwait_rows / sizeof fwait_rows[0], CK_FWAIT);
	check_list(x, A_NOWAIT, "A_NOWAIT", nowait_rows, sizeof nowait_rows / sizeof nowait_rows[0], CK_NOWAIT);
	/* how the attributes imply one another */
	for (unsigned row = 0; row < OP_COUNT; row++) {
		const struct opinfo *oi = &opinfo[row];
		uint32_t a = oi->attr;
		if (!row_checked(row))
			continue;
		x->checks[CK_LIST] += 6;
		if ((a & A_JCC) && !(a & A_BRANCH))
			row_fail(x, row, CK_LIST, "A_JCC without A_BRANCH");
		if ((a & A_JCC) && !oi->fr)
			row_fail(x, row, CK_LIST, "A_JCC, but reads no flag");
		if ((a & A_STRING) && (!(oi->fr & F_DF) || !(a & A_MEMOP)))
			row_fail(x, row, CK_LIST, "A_STRING needs DF in FR and A_MEMOP");
		if ((a & A_SOFTINT) && (a & (A_BRANCH | A_ENDBLK)) != (A_BRANCH | A_ENDBLK))
			row_fail(x, row, CK_LIST, "A_SOFTINT needs A_BRANCH and A_ENDBLK");
		if ((a & (A_FWAIT | A_NOWAIT)) && !(a & A_FPU))
			row_fail(x, row, CK_LIST, "A_FWAIT and A_NOWAIT are for A_FPU rows");
		if ((oi->fr | oi->fw) & ~(uint32_t)F_ALL)
			row_fail(x, row, CK_LIST, "FR/FW name bits that are not EFLAGS flags");
	}
	ctx_finish(x, "hand lists", list_checks, sizeof list_checks / sizeof list_checks[0]);
}
END_TEST

Suite *optable_suite(void)
{
	Suite *s = suite_create("optable");
	TCase *tc = h_tcase("columns");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, flags_branches_blocks);
	tcase_add_test(tc, privilege);
	tcase_add_test(tc, memory);
	tcase_add_test(tc, step_attributes);
	tcase_add_test(tc, hand_lists);
	suite_add_tcase(s, tc);
	return s;
}

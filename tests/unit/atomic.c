/*
 * Fault atomicity, table-driven: every form in the opcode table that writes a
 * memory operand is run against a read-only page and must raise #PF leaving
 * the machine exactly as it was before the instruction (SDM Vol. 3 6.5: a
 * fault is reported with the state before the faulting instruction, so that
 * the handler can fix the cause and restart it; 4.7 for the error code:
 * P = 1 for a protection violation, W/R = 1 for a write, U/S = 1 at CPL 3,
 * CR2 = the linear address).  A copy-on-write kernel depends on it: the
 * instruction runs again after the page is made writable, and an ADC that
 * left its new CF behind would compute with the wrong carry.
 *
 * The forms come from the table, so a new row is covered without a new test:
 *   pass 1, the memory operand: every row whose first operand can be in
 *     memory (E, M, W, Q, moffs O, the string destination Y, the string
 *     source X of CMPS) is a writer unless listed below as a reader.  The
 *     operand is at DST_ADDR on a read-only page, at CPL 3 (user page without
 *     R/W) and at CPL 0 (supervisor write with CR0.WP = 1).
 *   pass 2, the stack: PUSH, CALL and ENTER forms at CPL 3 with ESP on the
 *     read-only page (the fault is delivered on the ring-0 stack).
 * Each form runs with several random states (general registers, OSZAPC and
 * DF with CF both clear and set, x87/SSE registers, memory), in every operand
 * size and with LOCK where the form allows it.  After the fault these must be
 * bit-identical: the general registers, the EFLAGS image in the exception
 * frame (plus RF, SDM Vol. 3 17.3.1.1), the saved CS:EIP and SS:ESP, the x87,
 * MMX and SSE state, the read-only page and the source page.  Then the same
 * state runs with the page writable: no exception, EIP past the instruction,
 * and over the trials the page changed, so the test cannot pass vacuously.
 * Readers must not fault on the read-only page and must leave it alone.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "suites.h"

/* paging: PDE 0 -> PT0 identity-maps the RAM (user, writable);
 * PDE 1 -> PT1: page 0 the destination (read-only or writable), page 1 a
 * source page (always writable) */
#define PD        0x100000u
#define PT0       0x101000u
#define PT1       0x102000u
#define PG_P      0x001u
#define PG_RW     0x002u
#define PG_US     0x004u
#define DST_LIN   0x400000u
#define DST_FRAME 0x180000u
#define SRC_LIN   0x401000u
#define SRC_FRAME 0x181000u
/* mid-page, 16-byte aligned: room for FXSAVE (512 bytes) and for the bit
 * offsets of BTS/BTR/BTC Ev,Gv either way */
#define DST_ADDR  (DST_LIN + 0x800u)
#define SRC_ADDR  (SRC_LIN + 0x800u)

#define TRIALS 8

enum kind {
	NONE,           /* not a form this suite runs */
	WRITES,         /* writes its memory operand: #PF on a read-only page */
	READS,          /* only reads it: no exception at all, EIP past it */
	READS_LOOSE,    /* only reads it, but random operands may raise or branch */
	WRITES_MAYBE,   /* writes only in some cases */
};

/* Forms whose first operand is in memory but is only read.  Matched by
 * mnemonic, so every row of these instructions is covered. */
static const char *const readers[] = {
	"cmp", "test", "bt", "mul", "imul", "nop", "verr", "verw", "push",
	"cmpsb", "cmpsw", "cmpsd", "clflush",
	"prefetchnta", "prefetcht0", "prefetcht1", "prefetcht2",
	"fld", "fild", "fbld", "fcom", "fcomp", "ficom", "ficomp", "fldcw",
};

/* Readers that random operands make raise other exceptions or branch: they
 * are checked only for not raising #PF and not touching the page. */
static const char *const loose_readers[] = {
	"div", "idiv",                  /* #DE */
	"call", "jmp",                  /* a near branch to a random target */
	"lcall", "ljmp",                /* random selectors: #GP */
	"lldt", "ltr", "lgdt", "lidt", "lmsw", "invlpg",   /* system loads (CPL 0) */
	"fldenv", "frstor", "fxrstor", "ldmxcsr",   /* reserved MXCSR bits: #GP */
};

/* ARPL writes the destination only when it raises its RPL (SDM Vol. 2 ARPL) */
static const char *const maybe_writers[] = { "arpl" };

/* Pass 2: forms that push on the stack (far CALL is left out: a random
 * selector raises #GP before anything is pushed; INT n delivers on the ring-0
 * stack) */
static const char *const stack_writers[] = {
	"push", "pushaw", "pushal", "pushf", "pushfd", "call", "enter",
};

static bool listed(const char *mnem, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(mnem, list[i]))
			return true;
	return false;
}
#define LISTED(mnem, list) listed((mnem), (list), sizeof(list) / sizeof((list)[0]))

/* Where the first operand lives: 'E' ModRM memory (E, M, W, Q), 'O' moffs,
 * 'Y' ES:EDI, 'X' DS:ESI, or 0 (a register, an immediate, nothing).  A capital
 * letter followed by a size (or nothing) is an operand form; "ES", "EAX" are
 * registers. */
static char mem_kind(const struct opinfo *oi)
{
	const char *o = oi->operands;
	bool form = o[0] && (o[1] == 0 || o[1] == ',' || islower((unsigned char)o[1]));
	if (!form)
		return 0;
	switch (o[0]) {
	case 'E': case 'M': case 'W': case 'Q':
		return 'E';
	case 'O': case 'Y': case 'X':
		return o[0];
	}
	return 0;
}

static bool runnable(const struct opinfo *oi)
{
	/* invalid, prefix and register-only rows have no memory form to run */
	return !(oi->attr & (A_UD | A_PREFIX | A_NOEXEC)) && !(oi->match & (M_RM3 | M_RM(0)));
}

/* pass 1: what the form does with its memory operand */
static enum kind classify(const struct opinfo *oi)
{
	char k = mem_kind(oi);
	if (!runnable(oi) || !k)
		return NONE;
	if (k == 'X')
		return LISTED(oi->mnem, readers) ? READS : NONE;
	if (LISTED(oi->mnem, readers))
		return READS;
	if (LISTED(oi->mnem, loose_readers))
		return READS_LOOSE;
	if (LISTED(oi->mnem, maybe_writers))
		return WRITES_MAYBE;
	return WRITES;
}

static bool stack_form(const struct opinfo *oi)
{
	return runnable(oi) && LISTED(oi->mnem, stack_writers);
}

/* ---- deterministic random numbers (xorshift32) ---- */
static uint32_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void put32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* The bytes of form op with its ModRM or moffs memory operand (if any) at addr:
 * prefixes, opcode, ModRM (mod 00, rm 101: disp32), then four immediate
 * bytes of which the decoder takes what the form needs.  Returns the length
 * the decoder found, or 0 if the bytes do not decode to this row. */
static unsigned encode(uint8_t *b, unsigned op, bool o16, bool lock, unsigned reg,
		       uint32_t addr, const uint8_t imm[4])
{
	const struct opinfo *oi = &opinfo[op];
	unsigned n = 0;
	if (lock)
		b[n++] = 0xf0;
	if (oi->match & M_P66)
		b[n++] = 0x66;
	else if (oi->match & M_PF3)
		b[n++] = 0xf3;
	else if (oi->match & M_PF2)
		b[n++] = 0xf2;
	if (o16)
		b[n++] = 0x66;
	if (oi->map == 1)
		b[n++] = 0x0f;
	b[n++] = (uint8_t)((oi->match & M_OPR8) ? oi->opc | reg : oi->opc);
	if (mem_kind(oi) == 'E') {
		unsigned r = (oi->match & M_REG(0)) ? oi->match & 7 : reg;
		b[n++] = (uint8_t)(r << 3 | 5);
		put32(b + n, addr);
		n += 4;
	} else if (mem_kind(oi) == 'O') {
		put32(b + n, addr);
		n += 4;
	}
	memcpy(b + n, imm, 4);
	n += 4;
	struct insn in;
	if (decode_buf(&in, true, b, n) != DEC_OK || in.op != op)
		return 0;
	return in.len;
}

/* ---- the machine state a trial starts from ---- */
struct state {
	uint32_t r[8];
	uint32_t eflags;
	struct fpu fpu;
	uint8_t dst[4096], src[4096];
};

static bool fpu_equal(const struct fpu *a, const struct fpu *b)
{
	for (int i = 0; i < 8; i++)
		if (a->st[i].mant != b->st[i].mant || a->st[i].se != b->st[i].se)
			return false;
	return a->fcw == b->fcw && a->fsw == b->fsw && a->ftw == b->ftw && a->fop == b->fop &&
	       a->fip == b->fip && a->fdp == b->fdp && a->fcs == b->fcs && a->fds == b->fds &&
	       a->mxcsr == b->mxcsr && !memcmp(a->xmm, b->xmm, sizeof a->xmm);
}

static void paging_build(void)
{
	static uint32_t pt[1024];
	memset(pt, 0, sizeof pt);
	pt[0] = PT0 | PG_P | PG_RW | PG_US;
	pt[1] = PT1 | PG_P | PG_RW | PG_US;
	h_poke_bytes(PD, (const uint8_t *)pt, sizeof pt);   /* little-endian host */
	for (uint32_t i = 0; i < 1024; i++)
		pt[i] = i < RAM_SIZE / 0x1000 ? (i << 12) | PG_P | PG_RW | PG_US : 0;
	h_poke_bytes(PT0, (const uint8_t *)pt, sizeof pt);
	memset(pt, 0, sizeof pt);
	pt[0] = DST_FRAME | PG_P | PG_US;
	pt[1] = SRC_FRAME | PG_P | PG_RW | PG_US;
	h_poke_bytes(PT1, (const uint8_t *)pt, sizeof pt);
	cpu_set_cr3(CPU, PD);
}

/* flat protected mode at cpl with paging, CR0.WP, SSE enabled; the
 * destination page read-only or writable (through the physical dispatch, so
 * the shadow MMU sees the page-table write) */
static void enter_mode(int cpl, bool writable)
{
	if (cpl == 3)
		h_flat32_user();
	else
		h_flat32();
	CPU->inhibit = 0;
	CPU->halted = false;
	CPU->cr2 = 0;
	h_poke(PT1, 4, DST_FRAME | PG_P | PG_US | (writable ? PG_RW : 0));
	cpu_set_cr0(CPU, CPU->cr0 | CPU_CR0_PG | CPU_CR0_WP);
	cpu_set_cr4(CPU, CPU->cr4 | CPU_CR4_OSFXSR | CPU_CR4_OSXMMEXCPT);
}

static void load_state(const struct state *s)
{
	memcpy(CPU->r, s->r, sizeof s->r);
	CPU->eflags = s->eflags;
	CPU->fpu = s->fpu;
	h_poke_bytes(DST_FRAME, s->dst, sizeof s->dst);
	h_poke_bytes(SRC_FRAME, s->src, sizeof s->src);
}

static bool is_shift(const char *m)
{
	static const char *const s[] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar", "shld", "shrd" };
	return LISTED(m, s);
}

/* BT/BTS/BTR/BTC Ev,Gv on memory address the bit at a signed offset from the
 * operand (SDM Vol. 2 BT): the G register holds a small offset either way */
static bool bit_offset_form(const struct opinfo *oi)
{
	return !strcmp(oi->operands, "Ev,Gv") && oi->mnem[0] == 'b' && oi->mnem[1] == 't';
}

/* one trial's random state; for pass 2 (stack) ESP is on the destination page */
static void random_state(struct state *s, const struct opinfo *oi, unsigned osize, unsigned reg,
			 unsigned trial, bool stack, uint8_t imm[4])
{
	for (int i = 0; i < 8; i++)
		s->r[i] = rnd();
	s->r[R_ESP] = stack ? DST_ADDR : STACK_TOP - 0x100 - 4 * (rnd() & 0x1f);
	char k = mem_kind(oi);
	if (!stack && (k == 'X' || k == 'Y')) {
		s->r[R_ESI] = SRC_ADDR;
		s->r[R_EDI] = DST_ADDR;
	}
	/* OSZAPC and DF random, CF clear and set in turn; IOPL 3 so that INS at
	 * CPL 3 passes the I/O check */
	uint32_t f = rnd() & (F_OSZAPC | F_DF);
	f = (f & ~F_CF) | ((trial & 1) ? F_CF : 0);
	s->eflags = f | F_IOPL | 2;
	for (int i = 0; i < 4; i++)
		imm[i] = (uint8_t)rnd();
	if (!stack && is_shift(oi->mnem)) {
		/* a masked count of 0 changes nothing; SHLD/SHRD then do not even
		 * write (shift.c), which would make the writable run vacuous */
		s->r[R_ECX] = (s->r[R_ECX] & ~0xffu) | (1 + rnd() % 31);
		imm[0] = (uint8_t)(1 + rnd() % 31);
	}
	if (!strcmp(oi->mnem, "enter")) {
		/* a frame under 256 bytes, whose end ENTER probes, on the same page;
		 * nesting level 0 or 1: no reads through a random EBP */
		imm[1] = 0;
		imm[2] &= 1;
	}
	if (bit_offset_form(oi)) {   /* reg is not ESP: see run_form */
		uint32_t off = (uint32_t)((int32_t)(rnd() % 512) - 256);
		s->r[reg] = osize == 2 ? (s->r[reg] & 0xffff0000u) | (off & 0xffff) : off;
	}
	for (size_t i = 0; i < sizeof s->dst; i++) {
		s->dst[i] = (uint8_t)rnd();
		s->src[i] = (uint8_t)rnd();
	}
	if (trial & 2) {
		/* the operand equal to EDX:EAX: CMPXCHG and CMPXCHG8B store the new value */
		uint32_t at = (stack ? SRC_ADDR : DST_ADDR) & 0xfff;
		uint8_t *page = stack ? s->src : s->dst;
		put32(page + at, s->r[R_EAX]);
		put32(page + at + 4, s->r[R_EDX]);
	}
	/* x87: every exception masked, the stack empty; MMX/SSE registers random */
	memset(&s->fpu, 0, sizeof s->fpu);
	s->fpu.fcw = 0x037f;
	s->fpu.ftw = 0xffff;
	s->fpu.mxcsr = 0x1f80;
	for (int i = 0; i < 8; i++) {
		s->fpu.st[i].mant = (uint64_t)rnd() << 32 | rnd();
		s->fpu.st[i].se = (uint16_t)rnd();
		for (int j = 0; j < 16; j++)
			s->fpu.xmm[i][j] = (uint8_t)rnd();
	}
}

/* the address the first faulting write goes to */
static uint32_t fault_addr(const struct opinfo *oi, const struct state *s, unsigned osize, unsigned reg)
{
	if (!bit_offset_form(oi))
		return DST_ADDR;
	int32_t off = osize == 2 ? (int16_t)s->r[reg] : (int32_t)s->r[reg];
	int32_t unit = off >> (osize == 2 ? 4 : 5);
	return DST_ADDR + (uint32_t)(unit * (int32_t)osize);
}

static char ctx[96];    /* the form, operand size, CPL and trial, for messages */

#define CHK(cond, ...) ck_assert_msg((cond), __VA_ARGS__)
#define CHK_EQ(what, got, exp) do { uint32_t g_ = (uint32_t)(got), e_ = (uint32_t)(exp); \
		CHK(g_ == e_, "%s: %s = 0x%x, expected 0x%x", ctx, (what), g_, e_); } while (0)

static void check_pages(const struct state *s)
{
	CHK(!memcmp(M->mem.ram + DST_FRAME, s->dst, sizeof s->dst), "%s: the read-only page changed", ctx);
	CHK(!memcmp(M->mem.ram + SRC_FRAME, s->src, sizeof s->src), "%s: the source page changed", ctx);
}

/* After a fault on the read-only page: #PF with P W (U), CR2, and nothing changed. */
static void check_fault(const struct state *s, int cpl, uint32_t cr2)
{
	int v = h_vector();
	CHK(v == EX_PF, "%s: vector %d, expected #PF (a write to a read-only page)", ctx, v);
	CHK_EQ("#PF error code", h_error_code(), PG_P | PG_RW | (cpl == 3 ? PG_US : 0));
	CHK_EQ("CR2", CPU->cr2, cr2);
	uint32_t frame = CPU->r[R_ESP];
	CHK_EQ("saved EIP", h_peek(frame + 4, 4), CODE_ADDR);
	CHK_EQ("saved EFLAGS", h_peek(frame + 12, 4), s->eflags | F_RF);
	if (cpl == 3) {
		CHK_EQ("saved CS", h_peek(frame + 8, 4) & 0xffff, SEL_CODE3 | 3);
		CHK_EQ("saved ESP", h_peek(frame + 16, 4), s->r[R_ESP]);
		CHK_EQ("saved SS", h_peek(frame + 20, 4) & 0xffff, SEL_DATA3 | 3);
	} else {
		CHK_EQ("saved CS", h_peek(frame + 8, 4) & 0xffff, SEL_CODE0);
		CHK_EQ("ESP below the frame", CPU->r[R_ESP], s->r[R_ESP] - 16);
	}
	static const char *const names[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };
	for (int i = 0; i < 8; i++)
		if (i != R_ESP)
			CHK_EQ(names[i], CPU->r[i], s->r[i]);
	/* delivery clears TF IF NT RF VM only: the arithmetic flags and DF stay */
	CHK_EQ("EFLAGS OSZAPC DF", CPU->eflags & (F_OSZAPC | F_DF), s->eflags & (F_OSZAPC | F_DF));
	CHK(fpu_equal(&CPU->fpu, &s->fpu), "%s: the x87/MMX/SSE state changed", ctx);
	check_pages(s);
}

/* All trials of one encoding variant at one CPL.  stack: pass 2. */
static void run_variant(unsigned op, enum kind kind, bool stack, int cpl, bool o16, bool lock,
			const bool *regs_ok)
{
	const struct opinfo *oi = &opinfo[op];
	unsigned osize = o16 ? 2 : 4;
	bool changed = false;
	for (unsigned t = 0; t < TRIALS; t++) {
		unsigned reg;
		do
			reg = rnd() & 7;
		while (!regs_ok[reg]);
		struct state s;
		uint8_t imm[4], code[16];
		random_state(&s, oi, osize, reg, t, stack, imm);
		unsigned len = encode(code, op, o16, lock, reg, stack ? SRC_ADDR : DST_ADDR, imm);
		snprintf(ctx, sizeof ctx, "%s%s%s cpl %d trial %u%s", lock ? "lock " : "", oi->name,
			 o16 ? " o16" : "", cpl, t, stack ? " (stack on the page)" : "");
		CHK(len != 0, "%s: the encoding does not decode to this row", ctx);

		enter_mode(cpl, false);
		load_state(&s);
		h_code(code, len);
		h_step();
		int v = h_vector();
		if (kind == READS || kind == READS_LOOSE || (kind == WRITES_MAYBE && v != EX_PF)) {
			if (kind == READS_LOOSE) {
				CHK(v != EX_PF || (CPU->cr2 & ~0xfffu) != DST_LIN,
				    "%s: a reader faulted on the read-only page", ctx);
			} else {
				CHK(v < 0, "%s: exception %d from a form that only reads its operand "
				    "(if it writes, take it off the readers list)", ctx, v);
				CHK_EQ("EIP", CPU->eip, CODE_ADDR + len);
			}
			check_pages(&s);
			continue;
		}
		CHK(v >= 0, "%s: no fault on a read-only page; if the form only reads "
		    "its operand, list it in readers[]", ctx);
		uint32_t cr2 = stack ? CPU->cr2 : fault_addr(oi, &s, osize, reg);
		if (stack)   /* the first push: somewhere below ESP */
			CHK(cr2 < s.r[R_ESP] && cr2 >= s.r[R_ESP] - 64, "%s: CR2 = 0x%x", ctx, cr2);
		check_fault(&s, cpl, cr2);

		/* the same state with the page writable: the instruction takes effect */
		enter_mode(cpl, true);
		load_state(&s);
		h_code(code, len);
		h_step();
		v = h_vector();
		CHK(v < 0, "%s: exception %d with the page writable", ctx, v);
		if (!(oi->attr & A_BRANCH))
			CHK_EQ("EIP (writable)", CPU->eip, CODE_ADDR + len);
		if (memcmp(M->mem.ram + DST_FRAME, s.dst, sizeof s.dst))
			changed = true;
	}
	if (kind == WRITES)
		CHK(changed, "%s: the page never changed in %d trials with it writable", ctx, TRIALS);
}

/* All encodings of one row at the CPLs that apply. */
static void run_form(unsigned op, enum kind kind, bool stack)
{
	const struct opinfo *oi = &opinfo[op];
	int variants = 0;
	for (int o16 = 0; o16 < 2; o16++) {
		if (o16 && (oi->match & M_PFX_ANY))
			continue;   /* 66 is a mandatory prefix or selects another row */
		for (int lock = 0; lock < 2; lock++) {
			if (lock && (!(oi->attr & A_LOCK) || stack))
				continue;
			bool regs_ok[8];
			int nregs = 0;
			for (unsigned r = 0; r < 8; r++) {
				uint8_t b[16], imm[4] = { 1, 1, 1, 1 };
				regs_ok[r] = encode(b, op, o16, lock, r, DST_ADDR, imm) != 0;
				/* ESP as a bit offset would address far outside the page */
				if (r == R_ESP && bit_offset_form(oi))
					regs_ok[r] = false;
				nregs += regs_ok[r];
			}
			if (!nregs)
				continue;
			variants++;
			/* privileged forms run at CPL 0 only; the stack pass at CPL 3
			 * only (a fault at CPL 0 would be delivered on the same page) */
			for (int cpl = 3; cpl >= 0; cpl -= 3) {
				if ((cpl == 0 && stack) || (cpl == 3 && (oi->attr & A_PRIV)))
					continue;
				run_variant(op, kind, stack, cpl, o16, lock, regs_ok);
			}
		}
	}
	snprintf(ctx, sizeof ctx, "%s", oi->name);
	CHK(variants > 0, "%s: no encoding decodes to this row", ctx);
}

/* one loop iteration per opcode table row */
START_TEST(memory_operand_on_readonly_page)
{
	const struct opinfo *oi = &opinfo[_i];
	enum kind kind = classify(oi);
	if (kind == NONE)
		return;
	rng = 0x9e3779b9u ^ (uint32_t)_i * 0x85ebca6bu;
	paging_build();
	run_form((unsigned)_i, kind, false);
}
END_TEST

START_TEST(stack_on_readonly_page)
{
	const struct opinfo *oi = &opinfo[_i];
	if (!stack_form(oi))
		return;
	rng = 0x7f4a7c15u ^ (uint32_t)_i * 0xc2b2ae35u;
	paging_build();
	run_form((unsigned)_i, WRITES, true);
}
END_TEST

/* The table-derived lists hold what the issue names: every ALU, unary,
 * shift, bit-test, exchange, SETcc, MOV and string store form writes; CMP and
 * TEST only read.  Fails if a row drops out of the run by its operand string. */
START_TEST(table_coverage)
{
	static const char *const must_write[] = {
		"add", "or", "adc", "sbb", "and", "sub", "xor", "inc", "dec", "not", "neg",
		"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar", "shld", "shrd",
		"bts", "btr", "btc", "xchg", "xadd", "cmpxchg", "cmpxchg8b", "mov",
		"movsb", "movsw", "movsd", "stosb", "stosw", "stosd", "pop",
	};
	unsigned writers = 0, readers_n = 0, stack_n = 0;
	for (unsigned op = 0; op < OP_COUNT; op++) {
		const struct opinfo *oi = &opinfo[op];
		enum kind k = classify(oi);
		char m = mem_kind(oi);
		writers += k == WRITES;
		readers_n += k == READS || k == READS_LOOSE;
		stack_n += stack_form(oi);
		if (!runnable(oi) || !m)
			continue;
		if (LISTED(oi->mnem, must_write) && m != 'X')
			ck_assert_msg(k == WRITES, "%s is not run as a writer", oi->name);
		if (!strcmp(oi->mnem, "cmp") || !strcmp(oi->mnem, "test"))
			ck_assert_msg(k == READS, "%s is not run as a reader", oi->name);
		if (!strncmp(oi->mnem, "set", 3) && oi->mnem[3] != 0)
			ck_assert_msg(k == WRITES, "%s is not run as a writer", oi->name);
	}
	ck_assert_msg(classify(&opinfo[op_ADC_EbGb]) == WRITES, "ADC_EbGb not covered");
	ck_assert_msg(classify(&opinfo[op_POP_Ev]) == WRITES, "POP_Ev not covered");
	ck_assert_msg(classify(&opinfo[op_CMPXCHG8B_Mq]) == WRITES, "CMPXCHG8B_Mq not covered");
	ck_assert_msg(writers >= 150, "only %u writer forms", writers);
	ck_assert_msg(readers_n >= 40, "only %u reader forms", readers_n);
	ck_assert_msg(stack_n >= 10, "only %u stack forms", stack_n);
}
END_TEST

/* A fault while the single-step trap after an instruction is delivered is
 * taken after the instruction: the frame holds the state it left, not the
 * state before it.  Here the #DB gate is not present, so delivering the trap
 * raises #NP(vector 1, IDT, EXT) (SDM Vol. 3 6.13). */
START_TEST(single_step_trap_delivery_fault)
{
	static const uint8_t code[] = { 0x83, 0xec, 0x04 };   /* sub esp, 4 */
	h_flat32();
	h_set_flags(F_CF | F_ZF | F_OF);
	h_exec(code, sizeof code, __FILE__, __LINE__);
	uint32_t after_flags = CPU->eflags, after_esp = ESP;

	h_flat32();
	h_set_flags(F_CF | F_ZF | F_OF);
	CPU->eflags |= F_TF;
	h_poke(IDT_ADDR + EX_DB * 8 + 4, 4, h_peek(IDT_ADDR + EX_DB * 8 + 4, 4) & ~0x8000u);
	h_code(code, sizeof code);
	h_step();
	EQ(h_vector(), EX_NP);
	EQ(h_error_code(), EX_DB * 8 + 2 + 1);
	EQ(h_peek(ESP + 4, 4), CODE_ADDR + sizeof code);   /* EIP past the instruction */
	EQ(h_peek(ESP + 12, 4) & ~F_RF, after_flags | F_TF);
	EQ(ESP, after_esp - 16);
}
END_TEST

/* REPE CMPS faulting in a later iteration: ECX, ESI and EDI say how far it
 * got, EFLAGS are those from before the instruction (SDM Vol. 2 REP: "the
 * EFLAGS value is restored to the state prior to the execution of the
 * instruction"); CMPS does not read them, so the restarted instruction
 * computes the same. */
START_TEST(rep_cmps_fault_restores_flags)
{
	static const uint8_t code[] = { 0xf3, 0xa6 };   /* repe cmpsb */
	paging_build();
	enter_mode(0, false);   /* PT1 page 2 (0x402000) not present */
	h_poke(SRC_FRAME + 0xffe, 2, 0x5a5a);
	h_poke(DST_FRAME + 0x10, 4, 0x775a5a);
	ESI = DST_LIN + 0x10;
	EDI = SRC_LIN + 0xffe;  /* two equal bytes, then the third is not mapped */
	ECX = 8;
	h_set_flags(F_CF | F_SF | F_OF);   /* two equal compares would give ZF PF */
	uint32_t before = CPU->eflags;
	h_code(code, sizeof code);
	for (int i = 0; i < 4 && h_vector() < 0; i++)
		h_step();
	EQ(h_vector(), EX_PF);
	EQ(h_error_code(), 0);
	EQ(CPU->cr2, SRC_LIN + 0x1000);
	EQ(h_peek(ESP + 4, 4), CODE_ADDR);
	EQ(h_peek(ESP + 12, 4), before | F_RF);
	EQ(ECX, 6);
	EQ(ESI, DST_LIN + 0x12);
	EQ(EDI, SRC_LIN + 0x1000);
}
END_TEST

/* A fault after the commit point of a task switch is taken in the new task
 * (SDM Vol. 3 7.3), with its EFLAGS: the run loop's restore must not bring
 * back the flags of the instruction that started the switch.  JMP to a TSS
 * whose DS selector is outside the GDT: #TS(DS) in the new task. */
START_TEST(task_switch_fault_has_new_flags)
{
	static const uint8_t code[] = { 0xea, 0, 0, 0, 0, 0x30, 0 };   /* jmp 0x30:0 */
	const uint32_t tss = 0x3000, new_eip = CODE_ADDR + 0x100, new_esp = 0x7000;
	const uint32_t new_flags = 0x2 | F_CF | F_ZF | F_SF;
	h_flat32();
	h_poke(GDT_ADDR + 0x30, 4, tss << 16 | 0x67);
	h_poke(GDT_ADDR + 0x34, 4, 0x00008900u);   /* P, available 32-bit TSS */
	CPU->gdtr.limit = 0x37;
	for (uint32_t off = 0; off < 0x68; off += 4)
		h_poke(tss + off, 4, 0);
	h_poke(tss + 0x20, 4, new_eip);
	h_poke(tss + 0x24, 4, new_flags);
	h_poke(tss + 0x38, 4, new_esp);
	h_poke(tss + 0x48, 4, SEL_DATA0);          /* ES */
	h_poke(tss + 0x4c, 4, SEL_CODE0);          /* CS */
	h_poke(tss + 0x50, 4, SEL_DATA0);          /* SS */
	h_poke(tss + 0x54, 4, 0x1f8);              /* DS: outside the GDT */
	h_set_flags(F_OF | F_PF);
	uint32_t old_flags = CPU->eflags;
	h_code(code, sizeof code);
	h_step();
	EQ(h_vector(), EX_TS);
	EQ(h_error_code(), 0x1f8);
	EQ(CPU->tr.sel, 0x30);
	EQ(h_peek(ESP + 4, 4), new_eip);
	EQ(h_peek(ESP + 12, 4) & ~F_RF, new_flags);
	EQ(ESP, new_esp - 16);
	EQ(h_peek(TSS_ADDR + 0x24, 4), old_flags);   /* the old task's flags, saved */
}
END_TEST

Suite *atomic_suite(void)
{
	Suite *s = suite_create("atomic");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, table_coverage);
	suite_add_tcase(s, tc);

	tc = h_tcase("run_loop");
	tcase_add_test(tc, single_step_trap_delivery_fault);
	tcase_add_test(tc, rep_cmps_fault_restores_flags);
	tcase_add_test(tc, task_switch_fault_has_new_flags);
	suite_add_tcase(s, tc);

	tc = h_tcase("readonly_page");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, memory_operand_on_readonly_page, 0, OP_COUNT);
	tcase_add_loop_test(tc, stack_on_readonly_page, 0, OP_COUNT);
	suite_add_tcase(s, tc);
	return s;
}

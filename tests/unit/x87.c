/*
 * x87 FPU: what the differential test against the host (tests/x87-diff.c)
 * cannot see.  SDM Vol. 3 table 2-2 (CR0.EM/MP/TS and #NM), Vol. 1 8.6-8.7
 * (pending exceptions, #MF with CR0.NE = 1, FERR# with CR0.NE = 0), 8.1.8-8.1.10
 * (last instruction/operand pointers; the four FNSTENV/FNSAVE formats, figures
 * 8-9 to 8-12), 8.1.7 (tag word), 9.5 (MMX and the x87 state), and that a
 * faulting x87 instruction leaves the FPU as it was.
 */
#include <string.h>

#include "harness.h"
#include "suites.h"
#include "cpu/x87.h"

static uint32_t st_top(void)
{
	return (CPU->fpu.fsw >> 11) & 7;
}

static const struct x87reg *st(unsigned i)
{
	return &CPU->fpu.st[(st_top() + i) & 7];
}

/* ---- RESET and FNINIT ---- */
START_TEST(reset_and_fninit)
{
	/* SDM Vol. 3 table 9-1: FCW 0040, FSW 0, FTW 5555 (registers +0.0) */
	EQ(CPU->fpu.fcw, 0x0040);
	EQ(CPU->fpu.fsw, 0);
	EQ(CPU->fpu.ftw, 0x5555);
	CPU->fpu.fip = 1;
	CPU->fpu.fop = 2;
	EXEC(0xdb, 0xe3);                       /* fninit */
	EQ(CPU->fpu.fcw, 0x037f);
	EQ(CPU->fpu.fsw, 0);
	EQ(CPU->fpu.ftw, 0xffff);
	EQ(CPU->fpu.fip, 0);
	EQ(CPU->fpu.fop, 0);
}
END_TEST

/* ---- #NM: SDM Vol. 3 table 2-2 ---- */
START_TEST(nm_rules)
{
	for (unsigned bits = 0; bits < 8; bits++) {
		bool em = bits & 1, mp = bits & 2, ts = bits & 4;
		h_setup();
		EXEC(0xdb, 0xe3);                        /* fninit */
		uint32_t cr0 = CPU->cr0 & ~(CPU_CR0_EM | CPU_CR0_MP | CPU_CR0_TS);
		cr0 |= (em ? CPU_CR0_EM : 0) | (mp ? CPU_CR0_MP : 0) | (ts ? CPU_CR0_TS : 0);
		cpu_set_cr0(CPU, cr0);
		static const uint8_t fld1[] = { 0xd9, 0xe8 };
		int v = h_exec_fault(fld1, sizeof fld1);
		ck_assert_msg(v == ((em || ts) ? EX_NM : -1), "EM %d MP %d TS %d: FLD1 vector %d", em, mp, ts, v);
		h_real_mode();
		static const uint8_t fwait[] = { 0x9b };
		v = h_exec_fault(fwait, sizeof fwait);
		ck_assert_msg(v == ((mp && ts) ? EX_NM : -1), "EM %d MP %d TS %d: WAIT vector %d", em, mp, ts, v);
		/* the non-waiting control instructions are x87 instructions too */
		h_real_mode();
		static const uint8_t fnstsw[] = { 0xdf, 0xe0 };
		v = h_exec_fault(fnstsw, sizeof fnstsw);
		ck_assert_msg(v == ((em || ts) ? EX_NM : -1), "EM %d MP %d TS %d: FNSTSW vector %d", em, mp, ts, v);
	}
}
END_TEST

/* ---- pending exceptions, CR0.NE = 1: #MF on the next waiting instruction ---- */
START_TEST(mf_pending)
{
	h_flat32();
	cpu_set_cr0(CPU, CPU->cr0 | CPU_CR0_NE);
	h_poke(DATA_ADDR, 2, 0x037b);             /* ZM clear: divide-by-zero unmasked */
	EXEC(0xdb, 0xe3);                         /* fninit */
	EXEC(0xd9, 0x2d, 0x00, 0x20, 0x00, 0x00); /* fldcw [0x2000] */
	EXEC(0xd9, 0xee);                         /* fldz */
	EXEC(0xd9, 0xe8);                         /* fld1 */
	EXEC(0xd8, 0xf1);                         /* fdiv st0, st1: 1/0, no fault yet */
	EQ(CPU->fpu.fsw & 0x80ff, FSW_ZE | FSW_ES | FSW_B);
	EQ(st(0)->se, 0x3fff);                    /* unmasked #Z: destination unchanged */
	EQ64(st(0)->mant, 0x8000000000000000ull);
	EQ(CPU->fpu.fip, CODE_ADDR);               /* the pointers name the faulting FDIV */
	EQ(CPU->fpu.fcs, SEL_CODE0);
	EQ(CPU->fpu.fop, 0x0f1);
	/* non-waiting: no fault */
	EXEC(0xdf, 0xe0);                          /* fnstsw ax */
	EQ(EAX & 0xffff, CPU->fpu.fsw);
	EXPECT_FAULT(EX_MF, 0x9b);                 /* fwait */
	h_flat32();
	EXPECT_FAULT(EX_MF, 0xd9, 0xe8);           /* fld1 */
	h_flat32();
	EQ(st_top(), 6);                           /* the FLD1 did nothing */
	EXPECT_FAULT(EX_MF, 0xd9, 0xd0);           /* fnop is a waiting instruction */
	h_flat32();
	EXPECT_FAULT(EX_MF, 0xd9, 0x2d, 0x00, 0x20, 0x00, 0x00);   /* fldcw too */
	h_flat32();
	EXEC(0xdb, 0xe4);                          /* fnsetpm: a no-op that does not wait */
	EXEC(0xdb, 0xe2);                          /* fnclex */
	EQ(CPU->fpu.fsw & 0x80ff, 0);
	EXEC(0x9b);                                /* fwait */
	EXEC(0xd9, 0xe8);                          /* fld1 */
}
END_TEST

/* FLDCW/FLDENV recompute ES: unmasking a flag that is set makes it pending */
START_TEST(es_follows_masks)
{
	h_flat32();
	cpu_set_cr0(CPU, CPU->cr0 | CPU_CR0_NE);
	EXEC(0xdb, 0xe3);                          /* fninit */
	EXEC(0xd9, 0xe8);                          /* fld1 */
	EXEC(0xd9, 0xee);                          /* fldz */
	EXEC(0xde, 0xf9);                          /* fdivp: 1/0 masked: +inf, ZE */
	EQ(CPU->fpu.fsw & 0x80ff, FSW_ZE);
	h_poke(DATA_ADDR, 2, 0x037b);
	EXEC(0xd9, 0x2d, 0x00, 0x20, 0x00, 0x00);  /* fldcw [0x2000]: unmask ZE */
	EQ(CPU->fpu.fsw & 0x80ff, FSW_ZE | FSW_ES | FSW_B);
	EXPECT_FAULT(EX_MF, 0x9b);
	h_flat32();
	/* FNSTENV stores the status word, then masks everything: ES clears */
	EXEC(0xd9, 0x35, 0x00, 0x21, 0x00, 0x00);  /* fnstenv [0x2100] */
	EQ(h_peek(0x2104, 2), FSW_ZE | FSW_ES | FSW_B | (CPU->fpu.fsw & 0x3800));
	EQ(CPU->fpu.fcw, 0x037f);
	EQ(CPU->fpu.fsw & 0x80ff, FSW_ZE);
	EXEC(0x9b);
	/* FLDENV with the old environment: pending again */
	EXEC(0xd9, 0x25, 0x00, 0x21, 0x00, 0x00);  /* fldenv [0x2100] */
	EQ(CPU->fpu.fcw, 0x037b);
	EQ(CPU->fpu.fsw & 0x80ff, FSW_ZE | FSW_ES | FSW_B);
	/* reserved control-word bits: 7 and 13-15 read 0, bit 6 reads 1 */
	EXEC(0xdb, 0xe3);
	h_poke(DATA_ADDR, 2, 0xe080);
	EXEC(0xd9, 0x2d, 0x00, 0x20, 0x00, 0x00);
	EQ(CPU->fpu.fcw, 0x0040);
	EXEC(0xd9, 0x3d, 0x02, 0x20, 0x00, 0x00);  /* fnstcw [0x2002] */
	EQ(h_peek(DATA_ADDR + 2, 2), 0x0040);
}
END_TEST

/* ---- CR0.NE = 0: FERR# (IRQ13 on a PC), the instruction goes on ---- */
struct ferr_log {
	int asserts, deasserts;
	bool level;
};

static void ferr_cb(void *opaque, bool asserted)
{
	struct ferr_log *l = opaque;
	if (asserted)
		l->asserts++;
	else
		l->deasserts++;
	l->level = asserted;
}

START_TEST(ferr_ne0)
{
	struct ferr_log log = { 0, 0, false };
	CPU->ferr = ferr_cb;
	CPU->ferr_opaque = &log;
	h_flat32();
	cpu_set_cr0(CPU, CPU->cr0 & ~CPU_CR0_NE);
	h_poke(DATA_ADDR, 2, 0x037b);
	EXEC(0xdb, 0xe3);                          /* fninit */
	EXEC(0xd9, 0x2d, 0x00, 0x20, 0x00, 0x00);  /* fldcw [0x2000] */
	EXEC(0xd9, 0xee);                          /* fldz */
	EXEC(0xd9, 0xe8);                          /* fld1 */
	EXEC(0xd8, 0xf1);                          /* fdiv st0, st1 */
	ck_assert(!log.level);
	EXEC(0x9b);                                /* fwait: FERR#, no #MF */
	ck_assert(log.level);
	EQ(log.asserts, 1);
	EXEC(0xd9, 0xe8);                          /* fld1 executes */
	EQ(st_top(), 5);
	x87_ignne(CPU);                            /* port F0 */
	ck_assert(!log.level);
	EXEC(0xdb, 0xe2);                          /* fnclex lowers FERR# */
	ck_assert(!log.level);
	EXEC(0x9b);
	EQ(log.asserts, 2);                        /* once more for the FLD1 above */
}
END_TEST

/* ---- FNSTENV/FLDENV formats (SDM Vol. 1 figures 8-9 to 8-12) ---- */

/* real mode: CS = 1F00, IP = 1000 (linear 20000); DS = 2100 */
static void real_at_20000(const uint8_t *code, size_t n)
{
	h_real_mode();
	seg_load_real(CPU, S_CS, 0x1f00);
	seg_load_real(CPU, S_DS, 0x2100);
	h_poke_bytes(0x20000, code, n);
	CPU->eip = 0x1000;
	h_step();
	EQ(h_vector(), -1);
}

START_TEST(env_real16)
{
	static const uint8_t init[] = { 0xdb, 0xe3 };            /* fninit */
	static const uint8_t fld[] = { 0xd9, 0x06, 0x10, 0x00 }; /* fld dword [0x10]: linear 21010 */
	static const uint8_t stenv[] = { 0xd9, 0x36, 0x00, 0x01 };   /* fnstenv [0x100] */
	h_poke(0x21010, 4, 0x3f800000);           /* 1.0f */
	real_at_20000(init, sizeof init);
	real_at_20000(fld, sizeof fld);
	EQ(CPU->fpu.fcs, 0x1f00);
	EQ(CPU->fpu.fip, 0x1000);
	EQ(CPU->fpu.fds, 0x2100);
	EQ(CPU->fpu.fdp, 0x10);
	EQ(CPU->fpu.fop, 0x106);
	real_at_20000(stenv, sizeof stenv);
	uint32_t b = 0x21100;
	EQ(h_peek(b + 0, 2), 0x037f);
	EQ(h_peek(b + 2, 2), 0x3800);             /* TOP = 7 */
	EQ(h_peek(b + 4, 2), 0x3fff);             /* R7 valid, the rest empty */
	EQ(h_peek(b + 6, 2), 0x0000);             /* IP 15..0 of linear 20000 */
	EQ(h_peek(b + 8, 2), 0x2000 | 0x106);     /* IP 19..16, 0, opcode */
	EQ(h_peek(b + 10, 2), 0x1010);            /* operand 15..0 */
	EQ(h_peek(b + 12, 2), 0x2000);            /* operand 19..16 */
	/* FLDENV of a modified image, FNSTENV again */
	h_poke(b + 0, 2, 0x0c7f);
	h_poke(b + 8, 2, 0x5000 | 0x7ff);
	static const uint8_t ldenv[] = { 0xd9, 0x26, 0x00, 0x01 };   /* fldenv [0x100] */
	static const uint8_t stenv2[] = { 0xd9, 0x36, 0x20, 0x01 };  /* fnstenv [0x120] */
	real_at_20000(ldenv, sizeof ldenv);
	EQ(CPU->fpu.fcw, 0x0c7f);
	EQ(CPU->fpu.fop, 0x7ff);
	EQ(CPU->fpu.fip, 0x50000);
	real_at_20000(stenv2, sizeof stenv2);
	for (unsigned i = 0; i < 14; i += 2)
		EQ(h_peek(0x21120 + i, 2), h_peek(b + i, 2));
}
END_TEST

START_TEST(env_real32)
{
	static const uint8_t init[] = { 0xdb, 0xe3 };
	static const uint8_t fld[] = { 0xd9, 0x06, 0x10, 0x00 };
	static const uint8_t stenv[] = { 0x66, 0xd9, 0x36, 0x00, 0x01 };   /* o32 fnstenv [0x100] */
	h_poke(0x21010, 4, 0x3f800000);
	real_at_20000(init, sizeof init);
	real_at_20000(fld, sizeof fld);
	real_at_20000(stenv, sizeof stenv);
	uint32_t b = 0x21100;
	EQ(h_peek(b + 0, 4), 0xffff037f);
	EQ(h_peek(b + 4, 4), 0xffff3800);
	EQ(h_peek(b + 8, 4), 0xffff3fff);
	EQ(h_peek(b + 12, 4), 0xffff0000);        /* IP 15..0 */
	EQ(h_peek(b + 16, 4), 0x00002106);        /* IP 31..16 in bits 27..12, opcode */
	EQ(h_peek(b + 20, 4), 0xffff1010);
	EQ(h_peek(b + 24, 4), 0x00002000);
	static const uint8_t ldenv[] = { 0x66, 0xd9, 0x26, 0x00, 0x01 };
	h_poke(b + 16, 4, 0x1234u << 12 | 0x155);    /* IP 31..16 = 1234 */
	real_at_20000(ldenv, sizeof ldenv);
	EQ(CPU->fpu.fip, 0x12340000);
	EQ(CPU->fpu.fop, 0x155);
	EQ(CPU->fpu.fdp, 0x21010);
}
END_TEST

START_TEST(env_prot16_and_32)
{
	h_flat32();
	h_poke(DATA_ADDR, 4, 0x3f800000);
	EXEC(0xdb, 0xe3);                              /* fninit */
	EXEC(0x3e, 0xd9, 0x05, 0x00, 0x20, 0x00, 0x00);    /* fld dword [ds:0x2000] */
	EXEC(0x66, 0xd9, 0x35, 0x00, 0x21, 0x00, 0x00);    /* o16 fnstenv [0x2100] */
	EQ(h_peek(0x2100, 2), 0x037f);
	EQ(h_peek(0x2102, 2), 0x3800);
	EQ(h_peek(0x2104, 2), 0x3fff);
	EQ(h_peek(0x2106, 2), CODE_ADDR);              /* IP offset: at the prefix */
	EQ(h_peek(0x2108, 2), SEL_CODE0);
	EQ(h_peek(0x210a, 2), DATA_ADDR);
	EQ(h_peek(0x210c, 2), SEL_DATA0);
	EXEC(0xd9, 0x35, 0x00, 0x22, 0x00, 0x00);          /* fnstenv [0x2200] */
	EQ(h_peek(0x2200, 4), 0xffff037f);
	EQ(h_peek(0x220c, 4), CODE_ADDR);
	EQ(h_peek(0x2210, 4), SEL_CODE0 | 0x105u << 16);   /* selector, opcode D9 05 */
	EQ(h_peek(0x2214, 4), DATA_ADDR);
	EQ(h_peek(0x2218, 4), 0xffff0000u | SEL_DATA0);
	/* a register instruction keeps the operand pointer */
	EXEC(0xd9, 0xe1);                                  /* fabs */
	EQ(CPU->fpu.fdp, DATA_ADDR);
	EQ(CPU->fpu.fop, 0x1e1);
	/* control instructions keep the instruction pointer */
	EXEC(0xd9, 0x3d, 0x00, 0x23, 0x00, 0x00);          /* fnstcw */
	EXEC(0xdf, 0xe0);                                  /* fnstsw ax */
	EQ(CPU->fpu.fop, 0x1e1);
	EQ(CPU->fpu.fip, CODE_ADDR);
}
END_TEST

/* ---- FNSAVE/FRSTOR: registers in stack order, full tags, FNINIT after ---- */
START_TEST(fsave_frstor)
{
	h_flat32();
	EXEC(0xdb, 0xe3);                             /* fninit */
	EXEC(0xd9, 0xe8);                             /* fld1     -> R7 valid */
	EXEC(0xd9, 0xee);                             /* fldz     -> R6 zero */
	h_poke(DATA_ADDR, 4, 0x7fc00001);             /* QNaN */
	EXEC(0xd9, 0x05, 0x00, 0x20, 0x00, 0x00);     /* fld [0x2000] -> R5 special */
	h_poke(DATA_ADDR, 4, 0x00000001);             /* float denormal: normal in 80 bits */
	EXEC(0xd9, 0x05, 0x00, 0x20, 0x00, 0x00);     /* -> R4 valid */
	EXEC(0xdd, 0x35, 0x00, 0x21, 0x00, 0x00);     /* fnsave [0x2100] */
	EQ(h_peek(0x2100, 4), 0xffff037f);
	EQ(h_peek(0x2104, 4), 0xffff2002);            /* TOP = 4; DE from the float denormal */
	/* R0-R3 empty, R4 valid, R5 special, R6 zero, R7 valid */
	EQ(h_peek(0x2108, 4), 0xffff18ff);
	/* ST(3) = R7 = 1.0 at 28 + 30 */
	EQ(h_peek(0x2100 + 28 + 30 + 4, 4), 0x80000000);
	EQ(h_peek(0x2100 + 28 + 30 + 8, 2), 0x3fff);
	/* ST(2) = R6 = +0 */
	EQ(h_peek(0x2100 + 28 + 20 + 8, 2), 0);
	/* FNSAVE initialized the FPU */
	EQ(CPU->fpu.fcw, 0x037f);
	EQ(CPU->fpu.ftw, 0xffff);
	EQ(CPU->fpu.fsw, 0);
	/* FRSTOR brings it all back */
	EXEC(0xdd, 0x25, 0x00, 0x21, 0x00, 0x00);     /* frstor [0x2100] */
	EQ(st_top(), 4);
	EQ(CPU->fpu.ftw, h_peek(0x2108, 2));
	EQ(st(3)->se, 0x3fff);
	EQ(CPU->fpu.fop, 0x105);
	/* FRSTOR takes only "empty" from the tag word: a zero tagged valid is a zero */
	h_poke(0x2108, 2, 0x0000);
	EXEC(0xdd, 0x25, 0x00, 0x21, 0x00, 0x00);
	EQ(CPU->fpu.ftw & 0x3000, 0x1000);            /* R6 */
	EQ(CPU->fpu.ftw & 0x0003, 0x0001);            /* R0 holds +0 (RESET value) */
}
END_TEST

/* ---- faults leave the FPU unchanged ---- */
START_TEST(fault_no_change)
{
	h_flat32();
	EXEC(0xdb, 0xe3);                             /* fninit */
	EXEC(0xd9, 0xeb);                             /* fldpi */
	EXEC(0xd9, 0xe8);                             /* fld1 */
	struct fpu before = CPU->fpu;
	CPU->seg[S_DS].limit = 0x2fff;                /* byte-granular limit */
	EXPECT_FAULT(EX_GP, 0xdb, 0x3d, 0xfc, 0x2f, 0x00, 0x00);   /* fstp tbyte [0x2ffc] */
	ck_assert(!memcmp(&CPU->fpu, &before, sizeof before));
	h_flat32();
	CPU->seg[S_DS].limit = 0x2fff;
	EXPECT_FAULT(EX_GP, 0xdd, 0x05, 0xfc, 0x2f, 0x00, 0x00);   /* fld qword [0x2ffc] */
	ck_assert(!memcmp(&CPU->fpu, &before, sizeof before));
	h_flat32();
	CPU->seg[S_DS].limit = 0x2fff;
	EXPECT_FAULT(EX_GP, 0xdd, 0x35, 0xa0, 0x2f, 0x00, 0x00);   /* fnsave [0x2fa0]: 108 bytes */
	ck_assert(!memcmp(&CPU->fpu, &before, sizeof before));
	h_flat32();
	CPU->seg[S_DS].limit = 0x2fff;
	EXPECT_FAULT(EX_GP, 0xdd, 0x25, 0xa0, 0x2f, 0x00, 0x00);   /* frstor [0x2fa0] */
	ck_assert(!memcmp(&CPU->fpu, &before, sizeof before));
	h_flat32();
	CPU->seg[S_DS].limit = 0x2fff;
	EXPECT_FAULT(EX_GP, 0xdf, 0x35, 0xf8, 0x2f, 0x00, 0x00);   /* fbstp [0x2ff8] */
	ck_assert(!memcmp(&CPU->fpu, &before, sizeof before));
	/* a read-only data segment: FST faults, FLD works */
	h_flat32();
	CPU->seg[S_DS].attr &= ~2u;
	EXPECT_FAULT(EX_GP, 0xd9, 0x15, 0x00, 0x20, 0x00, 0x00);   /* fst dword [0x2000] */
	ck_assert(!memcmp(&CPU->fpu, &before, sizeof before));
	h_flat32();
	CPU->seg[S_DS].attr &= ~2u;
	EXEC(0xd9, 0x05, 0x00, 0x20, 0x00, 0x00);                  /* fld dword [0x2000] */
}
END_TEST

/* unmasked exceptions on stores: nothing is written (SDM Vol. 1 8.5) */
START_TEST(unmasked_store)
{
	h_flat32();
	EXEC(0xdb, 0xe3);                             /* fninit */
	h_poke(DATA_ADDR, 2, 0x0376);                 /* IM and OM unmasked */
	EXEC(0xd9, 0x2d, 0x00, 0x20, 0x00, 0x00);     /* fldcw */
	h_poke(0x2100, 4, 0);                         /* 2^16383: too big for a float */
	h_poke(0x2104, 4, 0x80000000);
	h_poke(0x2108, 2, 0x7ffe);
	EXEC(0xdb, 0x2d, 0x00, 0x21, 0x00, 0x00);     /* fld tbyte [0x2100] */
	h_poke(0x2200, 4, 0x12345678);
	EXEC(0xd9, 0x1d, 0x00, 0x22, 0x00, 0x00);     /* fstp dword [0x2200]: #O unmasked */
	EQ(h_peek(0x2200, 4), 0x12345678);            /* not stored */
	EQ(st_top(), 7);                              /* not popped */
	EQ(CPU->fpu.fsw & (FSW_OE | FSW_ES | FSW_B), FSW_OE | FSW_ES | FSW_B);
}
END_TEST

/* ---- MMX helpers (SDM Vol. 1 9.5) ---- */
START_TEST(mmx_helpers)
{
	EXEC(0xdb, 0xe3);                             /* fninit */
	EXEC(0xd9, 0xe8);                             /* fld1 */
	x87_mmx_enter(CPU);
	EQ(st_top(), 0);
	EQ(CPU->fpu.ftw, 0);
	EQ(x87_abridged_tags(CPU), 0xff);
	x87_emms(CPU);
	EQ(CPU->fpu.ftw, 0xffff);
	EQ(x87_abridged_tags(CPU), 0);
	CPU->fpu.st[3].se = 0xffff;
	CPU->fpu.st[3].mant = 0x1234;
	x87_set_abridged_tags(CPU, 0x09);
	EQ(CPU->fpu.ftw, 0xff00 | 2u << 6 | 0x3c | (unsigned)x87_tag(&CPU->fpu.st[0]));
	/* pending check: nothing pending, nothing happens */
	x87_check_pending(CPU);
}
END_TEST

Suite *x87_suite(void)
{
	Suite *s = suite_create("x87");
	TCase *tc = h_tcase("x87");
	tcase_add_test(tc, reset_and_fninit);
	tcase_add_test(tc, nm_rules);
	tcase_add_test(tc, mf_pending);
	tcase_add_test(tc, es_follows_masks);
	tcase_add_test(tc, ferr_ne0);
	tcase_add_test(tc, env_real16);
	tcase_add_test(tc, env_real32);
	tcase_add_test(tc, env_prot16_and_32);
	tcase_add_test(tc, fsave_frstor);
	tcase_add_test(tc, fault_no_change);
	tcase_add_test(tc, unmasked_store);
	tcase_add_test(tc, mmx_helpers);
	suite_add_tcase(s, tc);
	return s;
}

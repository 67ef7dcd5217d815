/*
 * ALU: ADD ADC SUB SBB CMP AND OR XOR INC DEC NEG NOT TEST.
 * Flag definitions: SDM Vol. 1 3.4.3.1 and appendix A (CF carry/borrow out of the
 * MSB, OF signed overflow, AF carry/borrow out of bit 3, PF even parity of the
 * low byte, ZF, SF), and the Flags Affected section of each instruction in Vol. 2.
 */
#include "harness.h"
#include "suites.h"

#define ARITH F_OSZAPC
/* SDM "AND"/"OR"/"XOR"/"TEST": OF, CF cleared; SF ZF PF by result; AF undefined */
#define LOGIC (F_OF | F_SF | F_ZF | F_PF | F_CF)

/* ---- ADD / ADC ---- */
START_TEST(add8_7f_plus_1)
{
	h_flat32();
	EAX = 0x1234567f;
	EXEC(0x04, 0x01);                       /* add al, 1 */
	EQ(EAX, 0x12345680);
	/* 127 + 1 overflows (OF); carry out of bit 3 (AF); 0x80 has one bit (PF=0) */
	FLAGS(ARITH, F_OF | F_SF | F_AF);
}
END_TEST

START_TEST(add8_ff_plus_1)
{
	h_flat32();
	EAX = 0xff;
	EXEC(0x04, 0x01);                       /* add al, 1 */
	EQ(EAX, 0);
	/* carry out of bit 7 (CF) and bit 3 (AF); -1 + 1 no signed overflow */
	FLAGS(ARITH, F_CF | F_ZF | F_AF | F_PF);
}
END_TEST

START_TEST(add8_80_plus_80)
{
	h_flat32();
	EAX = 0x80;
	EXEC(0x04, 0x80);                       /* add al, 0x80 */
	EQ(EAX, 0);
	/* -128 + -128: OF and CF, no carry from bit 3 */
	FLAGS(ARITH, F_OF | F_CF | F_ZF | F_PF);
}
END_TEST

START_TEST(add8_high_byte_reg)
{
	h_flat32();
	EAX = 0x00000305;
	EXEC(0x00, 0xe0);                       /* add al, ah */
	EQ(EAX, 0x00000308);
	FLAGS(ARITH, 0);                        /* 8: one bit set -> PF = 0 */
}
END_TEST

START_TEST(add8_mem)
{
	h_flat32();
	EBX = DATA_ADDR;
	EAX = 1;
	h_poke(DATA_ADDR, 1, 0x7f);
	h_poke(DATA_ADDR + 1, 1, 0x55);
	EXEC(0x00, 0x03);                       /* add [ebx], al */
	EQ(h_peek(DATA_ADDR, 1), 0x80);
	EQ(h_peek(DATA_ADDR + 1, 1), 0x55);    /* byte operand only */
	FLAGS(ARITH, F_OF | F_SF | F_AF);
}
END_TEST

START_TEST(adc8_ff_carry_in)
{
	h_flat32();
	EAX = 0xff;
	h_set_flags(F_CF);
	EXEC(0x14, 0x00);                       /* adc al, 0 */
	EQ(EAX, 0);
	/* 0xff + 0 + CF = 0x100: CF, and the carry-in propagates out of bit 3 (AF) */
	FLAGS(ARITH, F_CF | F_ZF | F_AF | F_PF);
}
END_TEST

START_TEST(adc8_7f_carry_in_overflow)
{
	h_flat32();
	EAX = 0x00;
	h_set_flags(F_CF);
	EXEC(0x14, 0x7f);                       /* adc al, 0x7f */
	EQ(EAX, 0x80);
	/* 0 + 127 + 1 = 128: signed overflow; 0xf + 1 carries out of bit 3 */
	FLAGS(ARITH, F_OF | F_SF | F_AF);
}
END_TEST

START_TEST(adc32_all_ones)
{
	h_flat32();
	EAX = 0xffffffff;
	EBX = 0xffffffff;
	h_set_flags(F_CF);
	EXEC(0x11, 0xd8);                       /* adc eax, ebx */
	EQ(EAX, 0xffffffff);
	/* 2^33 - 1: CF; -1 + -1 + 1 = -1 no overflow; 0xf + 0xf + 1 carries from bit 3 */
	FLAGS(ARITH, F_CF | F_SF | F_AF | F_PF);
}
END_TEST

START_TEST(adc32_no_carry_in)
{
	h_flat32();
	EAX = 0x7fffffff;
	h_set_flags(0);
	EXEC(0x15, 0x00, 0x00, 0x00, 0x00);     /* adc eax, 0 */
	EQ(EAX, 0x7fffffff);
	FLAGS(ARITH, F_PF);                     /* low byte 0xff: even parity */
}
END_TEST

START_TEST(add32_overflow)
{
	h_flat32();
	EAX = 0x7fffffff;
	EXEC(0x05, 0x01, 0x00, 0x00, 0x00);     /* add eax, 1 */
	EQ(EAX, 0x80000000);
	FLAGS(ARITH, F_OF | F_SF | F_AF | F_PF);
}
END_TEST

START_TEST(add32_imm8_sign_extended)
{
	h_flat32();
	EAX = 1;
	EXEC(0x83, 0xc0, 0xff);                 /* add eax, -1 (imm8 sign-extended) */
	EQ(EAX, 0);
	FLAGS(ARITH, F_CF | F_ZF | F_AF | F_PF);
}
END_TEST

START_TEST(add16_keeps_upper_half)
{
	h_flat32();
	EAX = 0xabcdffff;
	EXEC(0x66, 0x05, 0x01, 0x00);           /* add ax, 1 */
	EQ(EAX, 0xabcd0000);
	FLAGS(ARITH, F_CF | F_ZF | F_AF | F_PF);
}
END_TEST

START_TEST(add16_real_mode_default)
{
	/* real mode: operand size 16 without prefix, 32 with 0x66 */
	EAX = 0x00017fff;
	EBX = 0x00010001;
	EXEC(0x01, 0xd8);                       /* add ax, bx */
	EQ(EAX, 0x00018000);
	FLAGS(ARITH, F_OF | F_SF | F_AF | F_PF);
	EAX = 0xffffffff;
	EXEC(0x66, 0x01, 0xd8);                 /* add eax, ebx */
	EQ(EAX, 0x00010000);
	FLAGS(ARITH, F_CF | F_AF | F_PF);
}
END_TEST

/* ---- SUB / SBB / CMP ---- */
START_TEST(sub8_80_minus_1)
{
	h_flat32();
	EAX = 0x80;
	EXEC(0x2c, 0x01);                       /* sub al, 1 */
	EQ(EAX, 0x7f);
	/* -128 - 1 overflows; borrow into bit 3 (AF); 0x7f has 7 bits (PF = 0) */
	FLAGS(ARITH, F_OF | F_AF);
}
END_TEST

START_TEST(sub8_0_minus_1)
{
	h_flat32();
	EAX = 0;
	EXEC(0x2c, 0x01);                       /* sub al, 1 */
	EQ(EAX, 0xff);
	FLAGS(ARITH, F_CF | F_SF | F_AF | F_PF);
}
END_TEST

START_TEST(sub32_regs)
{
	h_flat32();
	EAX = 0x80000000;
	EBX = 1;
	EXEC(0x29, 0xd8);                       /* sub eax, ebx */
	EQ(EAX, 0x7fffffff);
	FLAGS(ARITH, F_OF | F_AF | F_PF);
	EBX = 0x7fffffff;
	EXEC(0x2b, 0xc3);                       /* sub eax, ebx (Gv,Ev form) */
	EQ(EAX, 0);
	FLAGS(ARITH, F_ZF | F_PF);
}
END_TEST

START_TEST(sbb8_borrow_in)
{
	h_flat32();
	EAX = 0;
	h_set_flags(F_CF);
	EXEC(0x1c, 0x00);                       /* sbb al, 0 */
	EQ(EAX, 0xff);
	FLAGS(ARITH, F_CF | F_SF | F_AF | F_PF);
}
END_TEST

START_TEST(sbb8_ff_minus_ff_borrow)
{
	h_flat32();
	EAX = 0xff;
	h_set_flags(F_CF);
	EXEC(0x1c, 0xff);                       /* sbb al, 0xff */
	EQ(EAX, 0xff);
	/* 255 - (255 + 1) borrows (CF); -1 - (-1) - 1 = -1 no overflow; low nibble borrows */
	FLAGS(ARITH, F_CF | F_SF | F_AF | F_PF);
}
END_TEST

START_TEST(sbb16_overflow)
{
	h_flat32();
	EAX = 0x55558000;
	EBX = 0;
	h_set_flags(F_CF);
	EXEC(0x66, 0x19, 0xd8);                 /* sbb ax, bx */
	EQ(EAX, 0x55557fff);
	FLAGS(ARITH, F_OF | F_AF | F_PF);
}
END_TEST

START_TEST(cmp32_less)
{
	h_flat32();
	EAX = 1;
	EBX = 2;
	EXEC(0x39, 0xd8);                       /* cmp eax, ebx */
	EQ(EAX, 1);                             /* CMP does not write */
	FLAGS(ARITH, F_CF | F_SF | F_AF | F_PF);
}
END_TEST

START_TEST(cmp32_equal)
{
	h_flat32();
	EAX = 0xdeadbeef;
	h_set_flags(F_CF | F_OF | F_SF);
	EXEC(0x3d, 0xef, 0xbe, 0xad, 0xde);     /* cmp eax, 0xdeadbeef */
	FLAGS(ARITH, F_ZF | F_PF);
}
END_TEST

START_TEST(cmp8_signed_overflow)
{
	h_flat32();
	EAX = 0x80;
	EXEC(0x3c, 0x01);                       /* cmp al, 1 */
	EQ(EAX, 0x80);
	FLAGS(ARITH, F_OF | F_AF);              /* -128 < 1: SF != OF */
}
END_TEST

START_TEST(cmp8_mem_imm)
{
	h_flat32();
	h_poke(DATA_ADDR, 1, 0x10);
	EXEC(0x80, 0x3d, 0x00, 0x20, 0x00, 0x00, 0x11); /* cmp byte [0x2000], 0x11 */
	EQ(h_peek(DATA_ADDR, 1), 0x10);
	FLAGS(ARITH, F_CF | F_SF | F_AF | F_PF);  /* 0x10 - 0x11 = 0xff */
}
END_TEST

/* ---- AND / OR / XOR / TEST ---- */
START_TEST(and32)
{
	h_flat32();
	EAX = 0xf0f0f0f0;
	EBX = 0x0ff00ff0;
	h_set_flags(F_CF | F_OF | F_ZF);
	EXEC(0x21, 0xd8);                       /* and eax, ebx */
	EQ(EAX, 0x00f000f0);
	/* AF undefined after AND (SDM): not compared */
	FLAGS(LOGIC, F_PF);
}
END_TEST

START_TEST(and16_imm)
{
	h_flat32();
	EAX = 0x1234ffff;
	EXEC(0x66, 0x25, 0x00, 0x80);           /* and ax, 0x8000 */
	EQ(EAX, 0x12348000);
	FLAGS(LOGIC, F_SF | F_PF);              /* AF undefined (SDM): not compared */
}
END_TEST

START_TEST(or8)
{
	h_flat32();
	EAX = 0x01;
	h_set_flags(F_CF | F_OF);
	EXEC(0x0c, 0x80);                       /* or al, 0x80 */
	EQ(EAX, 0x81);
	FLAGS(LOGIC, F_SF | F_PF);              /* AF undefined (SDM): not compared */
}
END_TEST

START_TEST(xor32_self)
{
	h_flat32();
	EAX = 0x12345678;
	h_set_flags(F_CF | F_OF | F_SF);
	EXEC(0x31, 0xc0);                       /* xor eax, eax */
	EQ(EAX, 0);
	FLAGS(LOGIC, F_ZF | F_PF);              /* AF undefined (SDM): not compared */
}
END_TEST

START_TEST(xor8_mem)
{
	h_flat32();
	h_poke(DATA_ADDR, 4, 0xaaaaaa0f);
	EBX = DATA_ADDR;
	EXEC(0x80, 0x33, 0xff);                 /* xor byte [ebx], 0xff */
	EQ(h_peek(DATA_ADDR, 4), 0xaaaaaaf0);
	FLAGS(LOGIC, F_SF | F_PF);
}
END_TEST

START_TEST(test8)
{
	h_flat32();
	EAX = 0x80;
	h_set_flags(F_CF | F_OF);
	EXEC(0xa8, 0x80);                       /* test al, 0x80 */
	EQ(EAX, 0x80);
	FLAGS(LOGIC, F_SF);                     /* AF undefined (SDM): not compared */
}
END_TEST

START_TEST(test32_zero)
{
	h_flat32();
	EAX = 0xf0;
	EBX = 0x0f;
	EXEC(0x85, 0xd8);                       /* test eax, ebx */
	EQ(EAX, 0xf0);
	EQ(EBX, 0x0f);
	FLAGS(LOGIC, F_ZF | F_PF);
}
END_TEST

/* ---- INC / DEC: CF not affected (SDM "INC", "DEC") ---- */
START_TEST(inc32_overflow_keeps_cf)
{
	h_flat32();
	EAX = 0x7fffffff;
	h_set_flags(F_CF);
	EXEC(0x40);                             /* inc eax */
	EQ(EAX, 0x80000000);
	FLAGS(ARITH, F_OF | F_SF | F_AF | F_PF | F_CF);
}
END_TEST

START_TEST(inc16_wraps_keeps_cf_clear)
{
	h_flat32();
	EAX = 0xabcdffff;
	h_set_flags(0);
	EXEC(0x66, 0x40);                       /* inc ax */
	EQ(EAX, 0xabcd0000);
	/* 0xffff + 1 wraps to 0 but INC leaves CF alone */
	FLAGS(ARITH, F_ZF | F_AF | F_PF);
}
END_TEST

START_TEST(dec8_80)
{
	h_flat32();
	EAX = 0x80;
	h_set_flags(0);
	EXEC(0xfe, 0xc8);                       /* dec al */
	EQ(EAX, 0x7f);
	FLAGS(ARITH, F_OF | F_AF);
}
END_TEST

START_TEST(dec32_mem_keeps_cf)
{
	h_flat32();
	h_poke(DATA_ADDR, 4, 0);
	h_set_flags(F_CF);
	EXEC(0xff, 0x0d, 0x00, 0x20, 0x00, 0x00); /* dec dword [0x2000] */
	EQ(h_peek(DATA_ADDR, 4), 0xffffffff);
	FLAGS(ARITH, F_SF | F_AF | F_PF | F_CF);
}
END_TEST

START_TEST(dec16_real_mode)
{
	EAX = 0x00010001;
	h_set_flags(F_CF);
	EXEC(0x48);                             /* dec ax */
	EQ(EAX, 0x00010000);
	FLAGS(ARITH, F_ZF | F_PF | F_CF);
}
END_TEST

/* ---- NEG: CF = (source != 0); other flags as 0 - source (SDM "NEG") ---- */
START_TEST(neg8_80)
{
	h_flat32();
	EAX = 0x80;
	EXEC(0xf6, 0xd8);                       /* neg al */
	EQ(EAX, 0x80);
	FLAGS(ARITH, F_OF | F_SF | F_CF);
}
END_TEST

START_TEST(neg32_zero)
{
	h_flat32();
	EAX = 0;
	h_set_flags(F_CF | F_OF);
	EXEC(0xf7, 0xd8);                       /* neg eax */
	EQ(EAX, 0);
	FLAGS(ARITH, F_ZF | F_PF);
}
END_TEST

START_TEST(neg16_one)
{
	h_flat32();
	EAX = 0x55550001;
	EXEC(0x66, 0xf7, 0xd8);                 /* neg ax */
	EQ(EAX, 0x5555ffff);
	FLAGS(ARITH, F_CF | F_SF | F_AF | F_PF);
}
END_TEST

START_TEST(neg32_min)
{
	h_flat32();
	EAX = 0x80000000;
	EXEC(0xf7, 0xd8);                       /* neg eax */
	EQ(EAX, 0x80000000);
	FLAGS(ARITH, F_OF | F_SF | F_CF | F_PF);
}
END_TEST

/* ---- NOT: no flags affected (SDM "NOT") ---- */
START_TEST(not32_flags_unchanged)
{
	h_flat32();
	EAX = 0x0f0f0f0f;
	h_set_flags(F_OSZAPC);
	EXEC(0xf7, 0xd0);                       /* not eax */
	EQ(EAX, 0xf0f0f0f0);
	FLAGS(ARITH, F_OSZAPC);
	h_set_flags(0);
	EXEC(0xf6, 0xd4);                       /* not ah */
	EQ(EAX, 0xf0f00ff0);
	FLAGS(ARITH, 0);
}
END_TEST

Suite *alu_suite(void)
{
	Suite *s = suite_create("alu");
	TCase *tc = h_tcase("add_adc");
	tcase_add_test(tc, add8_7f_plus_1);
	tcase_add_test(tc, add8_ff_plus_1);
	tcase_add_test(tc, add8_80_plus_80);
	tcase_add_test(tc, add8_high_byte_reg);
	tcase_add_test(tc, add8_mem);
	tcase_add_test(tc, adc8_ff_carry_in);
	tcase_add_test(tc, adc8_7f_carry_in_overflow);
	tcase_add_test(tc, adc32_all_ones);
	tcase_add_test(tc, adc32_no_carry_in);
	tcase_add_test(tc, add32_overflow);
	tcase_add_test(tc, add32_imm8_sign_extended);
	tcase_add_test(tc, add16_keeps_upper_half);
	tcase_add_test(tc, add16_real_mode_default);
	suite_add_tcase(s, tc);

	tc = h_tcase("sub_sbb_cmp");
	tcase_add_test(tc, sub8_80_minus_1);
	tcase_add_test(tc, sub8_0_minus_1);
	tcase_add_test(tc, sub32_regs);
	tcase_add_test(tc, sbb8_borrow_in);
	tcase_add_test(tc, sbb8_ff_minus_ff_borrow);
	tcase_add_test(tc, sbb16_overflow);
	tcase_add_test(tc, cmp32_less);
	tcase_add_test(tc, cmp32_equal);
	tcase_add_test(tc, cmp8_signed_overflow);
	tcase_add_test(tc, cmp8_mem_imm);
	suite_add_tcase(s, tc);

	tc = h_tcase("logic");
	tcase_add_test(tc, and32);
	tcase_add_test(tc, and16_imm);
	tcase_add_test(tc, or8);
	tcase_add_test(tc, xor32_self);
	tcase_add_test(tc, xor8_mem);
	tcase_add_test(tc, test8);
	tcase_add_test(tc, test32_zero);
	suite_add_tcase(s, tc);

	tc = h_tcase("inc_dec_neg_not");
	tcase_add_test(tc, inc32_overflow_keeps_cf);
	tcase_add_test(tc, inc16_wraps_keeps_cf_clear);
	tcase_add_test(tc, dec8_80);
	tcase_add_test(tc, dec32_mem_keeps_cf);
	tcase_add_test(tc, dec16_real_mode);
	tcase_add_test(tc, neg8_80);
	tcase_add_test(tc, neg32_zero);
	tcase_add_test(tc, neg16_one);
	tcase_add_test(tc, neg32_min);
	tcase_add_test(tc, not32_flags_unchanged);
	suite_add_tcase(s, tc);
	return s;
}

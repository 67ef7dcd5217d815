/*
 * MUL, IMUL (one, two and three operands), DIV, IDIV: SDM Vol. 2 "MUL", "IMUL",
 * "DIV", "IDIV".
 *  - MUL: CF = OF = 0 iff the upper half of the product is 0;
 *  - IMUL: CF = OF = 1 iff the product does not fit (sign-extended) in the
 *    destination size (the low half for the one-operand form);
 *  - MUL/IMUL: SF ZF AF PF undefined; DIV/IDIV: all six flags undefined;
 *  - DIV/IDIV: #DE on a zero divisor or a quotient too large for the
 *    destination (signed for IDIV: -128 fits a byte, +128 does not); the
 *    quotient is truncated toward zero and the remainder has the dividend's sign.
 * #DE is a fault: the saved CS:IP points at the dividing instruction.
 */
#include "harness.h"
#include "suites.h"

#define CFOF (F_CF | F_OF)

/* real mode: vector 0 delivered, IP pushed = the DIV itself */
static void check_de_real(void)
{
	EQ(ESP, STACK_TOP - 6);
	EQ(h_peek(STACK_TOP - 6, 2), CODE_ADDR);   /* IP of the faulting instruction */
	EQ(h_peek(STACK_TOP - 4, 2), 0);           /* CS */
}

/* ---- MUL ---- */
START_TEST(mul8)
{
	EAX = 0x12345680;
	EBX = 0x02;
	EXEC(0xf6, 0xe3);                       /* mul bl */
	EQ(EAX, 0x12340100);
	FLAGS(CFOF, CFOF);                      /* AH != 0 */
	EAX = 0x10;
	EBX = 0x0f;
	EXEC(0xf6, 0xe3);                       /* mul bl */
	EQ(EAX, 0x00f0);
	FLAGS(CFOF, 0);
}
END_TEST

START_TEST(mul16)
{
	h_flat32();
	EAX = 0xaaaa1234;
	EBX = 0x0100;
	EDX = 0xbbbb0000;
	EXEC(0x66, 0xf7, 0xe3);                 /* mul bx */
	EQ(EAX, 0xaaaa3400);
	EQ(EDX, 0xbbbb0012);
	FLAGS(CFOF, CFOF);
}
END_TEST

START_TEST(mul32)
{
	h_flat32();
	EAX = 0xffffffff;
	EBX = 0xffffffff;
	EXEC(0xf7, 0xe3);                       /* mul ebx */
	EQ(EAX, 0x00000001);
	EQ(EDX, 0xfffffffe);
	FLAGS(CFOF, CFOF);
	EAX = 0x10000;
	EBX = 0x100;
	EXEC(0xf7, 0xe3);                       /* mul ebx */
	EQ(EAX, 0x01000000);
	EQ(EDX, 0);
	FLAGS(CFOF, 0);
}
END_TEST

/* ---- IMUL, one operand ---- */
START_TEST(imul8)
{
	h_flat32();
	EAX = 0xff;                             /* -1 */
	EBX = 0x80;                             /* -128 */
	EXEC(0xf6, 0xeb);                       /* imul bl */
	EQ(EAX, 0x0080);                        /* +128 does not fit AL */
	FLAGS(CFOF, CFOF);
	EAX = 0xfe;                             /* -2 */
	EBX = 0x03;
	EXEC(0xf6, 0xeb);                       /* imul bl */
	EQ(EAX, 0xfffa);                        /* -6 = sign extension of AL */
	FLAGS(CFOF, 0);
}
END_TEST

START_TEST(imul16_one_operand)
{
	h_flat32();
	EAX = 0x4000;
	ECX = 2;
	EDX = 0x12345678;
	EXEC(0x66, 0xf7, 0xe9);                 /* imul cx */
	EQ(EAX, 0x8000);
	EQ(EDX, 0x12340000);                    /* +32768 does not fit AX */
	FLAGS(CFOF, CFOF);
}
END_TEST

START_TEST(imul32_one_operand)
{
	h_flat32();
	EAX = 0x80000000;
	ECX = 0xffffffff;
	EXEC(0xf7, 0xe9);                       /* imul ecx */
	EQ(EAX, 0x80000000);
	EQ(EDX, 0x00000000);                    /* +2^31 */
	FLAGS(CFOF, CFOF);
	EAX = 0xfffffffd;                       /* -3 */
	ECX = 5;
	EXEC(0xf7, 0xe9);                       /* imul ecx */
	EQ(EAX, 0xfffffff1);
	EQ(EDX, 0xffffffff);
	FLAGS(CFOF, 0);
}
END_TEST

/* ---- IMUL, two and three operands: the product truncated to the destination ---- */
START_TEST(imul_two_operand)
{
	h_flat32();
	EAX = 0xfffffffd;
	EBX = 5;
	EXEC(0x0f, 0xaf, 0xc3);                 /* imul eax, ebx */
	EQ(EAX, 0xfffffff1);
	FLAGS(CFOF, 0);
	EAX = 0x10000;
	EBX = 0x10000;
	EXEC(0x0f, 0xaf, 0xc3);                 /* imul eax, ebx */
	EQ(EAX, 0);
	FLAGS(CFOF, CFOF);
	EAX = 0x99990100;
	EBX = 0x0100;
	EXEC(0x66, 0x0f, 0xaf, 0xc3);           /* imul ax, bx */
	EQ(EAX, 0x99990000);
	FLAGS(CFOF, CFOF);
}
END_TEST

START_TEST(imul_three_operand)
{
	h_flat32();
	EBX = 0x40000000;
	EXEC(0x6b, 0xc3, 0xfe);                 /* imul eax, ebx, -2 */
	EQ(EAX, 0x80000000);                    /* -2^31 fits */
	FLAGS(CFOF, 0);
	EBX = 0x10;
	EXEC(0x69, 0xc3, 0x78, 0x56, 0x34, 0x12); /* imul eax, ebx, 0x12345678 */
	EQ(EAX, 0x23456780);
	FLAGS(CFOF, CFOF);
	EAX = 0x77770000;
	EBX = 2;
	EXEC(0x66, 0x69, 0xc3, 0xff, 0x7f);     /* imul ax, bx, 0x7fff */
	EQ(EAX, 0x7777fffe);                    /* 65534 does not fit */
	FLAGS(CFOF, CFOF);
	h_poke(DATA_ADDR, 4, 0xfffffff0);
	EBX = DATA_ADDR;
	EXEC(0x6b, 0x0b, 0x03);                 /* imul ecx, [ebx], 3 */
	EQ(ECX, 0xffffffd0);
	FLAGS(CFOF, 0);
}
END_TEST

/* ---- DIV ---- */
START_TEST(div8)
{
	EAX = 0x0107;                           /* 263 */
	EBX = 0x10;
	EXEC(0xf6, 0xf3);                       /* div bl */
	EQ(EAX, 0x0710);                        /* AL = 16, AH = 7 */
}
END_TEST

START_TEST(div16)
{
	h_flat32();
	EDX = 0xdddd0001;
	EAX = 0xaaaa0005;
	ECX = 0x10;
	EXEC(0x66, 0xf7, 0xf1);                 /* div cx */
	EQ(EAX, 0xaaaa1000);
	EQ(EDX, 0xdddd0005);
}
END_TEST

START_TEST(div32)
{
	h_flat32();
	EDX = 1;
	EAX = 0;
	EBX = 2;
	EXEC(0xf7, 0xf3);                       /* div ebx */
	EQ(EAX, 0x80000000);
	EQ(EDX, 0);
	EDX = 0;
	EAX = 0xffffffff;
	EBX = 0x10;
	EXEC(0xf7, 0xf3);                       /* div ebx */
	EQ(EAX, 0x0fffffff);
	EQ(EDX, 0xf);
}
END_TEST

START_TEST(div_by_zero)
{
	EAX = 0x1234;
	EBX = 0;
	EXPECT_FAULT(EX_DE, 0xf6, 0xf3);        /* div bl */
	EQ(EAX, 0x1234);
	check_de_real();
}
END_TEST

START_TEST(div8_overflow)
{
	EAX = 0x1000;
	EBX = 0x10;                             /* quotient 0x100 > 0xff */
	EXPECT_FAULT(EX_DE, 0xf6, 0xf3);        /* div bl */
	EQ(EAX, 0x1000);
	check_de_real();
}
END_TEST

START_TEST(div32_overflow)
{
	h_flat32();
	EDX = 1;
	EAX = 0;
	EBX = 1;
	EXPECT_FAULT(EX_DE, 0xf7, 0xf3);        /* div ebx */
	EQ(EDX, 1);
	EQ(EAX, 0);
	/* protected mode: EIP pushed is the DIV, no error code (SDM Vol. 3 6.15) */
	EQ(h_peek(ESP, 4), CODE_ADDR);
	EQ(h_peek(ESP + 4, 4), SEL_CODE0);
	EQ(ESP, STACK_TOP - 12);
}
END_TEST

/* ---- IDIV ---- */
START_TEST(idiv8_minus128_ok)
{
	EAX = 0xff00;                           /* -256 */
	EBX = 2;
	EXEC(0xf6, 0xfb);                       /* idiv bl */
	EQ(EAX, 0x0080);                        /* AL = -128, AH = 0 */
}
END_TEST

START_TEST(idiv8_plus128_faults)
{
	EAX = 0x0100;                           /* 256 */
	EBX = 2;
	EXPECT_FAULT(EX_DE, 0xf6, 0xfb);        /* idiv bl */
	EQ(EAX, 0x0100);
	check_de_real();
}
END_TEST

START_TEST(idiv8_truncates_toward_zero)
{
	EAX = 0xfff9;                           /* -7 */
	EBX = 2;
	EXEC(0xf6, 0xfb);                       /* idiv bl */
	EQ(EAX, 0xfffd);                        /* AL = -3, AH = -1 */
}
END_TEST

START_TEST(idiv16)
{
	h_flat32();
	EDX = 0x1111ffff;
	EAX = 0x2222fff9;                       /* DX:AX = -7 */
	ECX = 2;
	EXEC(0x66, 0xf7, 0xf9);                 /* idiv cx */
	EQ(EAX, 0x2222fffd);
	EQ(EDX, 0x1111ffff);
	EDX = 0;
	EAX = 0x8000;                           /* +32768 / 1 does not fit */
	ECX = 1;
	EXPECT_FAULT(EX_DE, 0x66, 0xf7, 0xf9);  /* idiv cx */
}
END_TEST

START_TEST(idiv32)
{
	h_flat32();
	EDX = 0xffffffff;
	EAX = 0x80000000;                       /* -2^31 */
	ECX = 1;
	EXEC(0xf7, 0xf9);                       /* idiv ecx */
	EQ(EAX, 0x80000000);
	EQ(EDX, 0);
	EDX = 0;
	EAX = 100;
	ECX = 0xfffffff9;                       /* -7 */
	EXEC(0xf7, 0xf9);                       /* idiv ecx */
	EQ(EAX, 0xfffffff2);                    /* -14 */
	EQ(EDX, 2);                             /* remainder has the dividend's sign */
}
END_TEST

START_TEST(idiv32_int_min_by_minus1)
{
	h_flat32();
	EDX = 0x80000000;
	EAX = 0;
	ECX = 0xffffffff;
	EXPECT_FAULT(EX_DE, 0xf7, 0xf9);        /* idiv ecx */
	EQ(EDX, 0x80000000);
	EQ(EAX, 0);
	EDX = 0;
	EAX = 0x80000000;                       /* +2^31 / 1 does not fit */
	ECX = 1;
	EXPECT_FAULT(EX_DE, 0xf7, 0xf9);        /* idiv ecx */
}
END_TEST

START_TEST(idiv_by_zero)
{
	h_flat32();
	EAX = 5;
	EDX = 0;
	ECX = 0;
	EXPECT_FAULT(EX_DE, 0xf7, 0xf9);        /* idiv ecx */
	EQ(EAX, 5);
}
END_TEST

Suite *muldiv_suite(void)
{
	Suite *s = suite_create("muldiv");
	TCase *tc = h_tcase("mul");
	tcase_add_test(tc, mul8);
	tcase_add_test(tc, mul16);
	tcase_add_test(tc, mul32);
	tcase_add_test(tc, imul8);
	tcase_add_test(tc, imul16_one_operand);
	tcase_add_test(tc, imul32_one_operand);
	tcase_add_test(tc, imul_two_operand);
	tcase_add_test(tc, imul_three_operand);
	suite_add_tcase(s, tc);

	tc = h_tcase("div");
	tcase_add_test(tc, div8);
	tcase_add_test(tc, div16);
	tcase_add_test(tc, div32);
	tcase_add_test(tc, div_by_zero);
	tcase_add_test(tc, div8_overflow);
	tcase_add_test(tc, div32_overflow);
	tcase_add_test(tc, idiv8_minus128_ok);
	tcase_add_test(tc, idiv8_plus128_faults);
	tcase_add_test(tc, idiv8_truncates_toward_zero);
	tcase_add_test(tc, idiv16);
	tcase_add_test(tc, idiv32);
	tcase_add_test(tc, idiv32_int_min_by_minus1);
	tcase_add_test(tc, idiv_by_zero);
	suite_add_tcase(s, tc);
	return s;
}

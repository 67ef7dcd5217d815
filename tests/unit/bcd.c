/*
 * Decimal adjustments: SDM Vol. 2 "DAA", "DAS", "AAA", "AAS", "AAM", "AAD";
 * the expected values follow each page's Operation pseudocode.
 *  - DAA/DAS: CF AF per the pseudocode, SF ZF PF by the result, OF undefined;
 *  - AAA/AAS: AF = CF = adjustment made; OF SF ZF PF undefined;
 *    AX := AX + 106H (AAA), AX := AX - 6 and AH := AH - 1 (AAS), AL AND 0FH;
 *  - AAM: AH := AL / imm8, AL := AL MOD imm8, imm8 = 0: #DE;
 *    AAD: AL := (AL + AH * imm8) AND FFH, AH := 0;
 *    both: SF ZF PF by AL, OF AF CF undefined.
 */
#include "harness.h"
#include "suites.h"

#define SZP (F_SF | F_ZF | F_PF)

START_TEST(daa_sdm_example)
{
	EAX = 0xae;                             /* 0x79 + 0x35 */
	h_set_flags(0);
	EXEC(0x27);                             /* daa */
	EQ(EAX, 0x14);
	/* OF undefined after DAA (SDM): not compared */
	FLAGS(SZP | F_AF | F_CF, F_CF | F_AF | F_PF);
}
END_TEST

START_TEST(daa_af_only)
{
	EAX = 0x12;                             /* 0x09 + 0x09 */
	h_set_flags(F_AF);
	EXEC(0x27);                             /* daa */
	EQ(EAX, 0x18);
	FLAGS(SZP | F_AF | F_CF, F_AF | F_PF);
}
END_TEST

START_TEST(daa_both_adjust_to_zero)
{
	EAX = 0x9a;
	h_set_flags(0);
	EXEC(0x27);                             /* daa */
	EQ(EAX, 0x00);
	FLAGS(SZP | F_AF | F_CF, F_ZF | F_PF | F_AF | F_CF);
}
END_TEST

START_TEST(daa_carry_from_plus6)
{
	EAX = 0x12fa;
	h_set_flags(0);
	EXEC(0x27);                             /* daa: 0xfa + 6 carries; + 0x60 */
	EQ(EAX, 0x1260);                        /* AH untouched */
	FLAGS(SZP | F_AF | F_CF, F_AF | F_CF | F_PF);
}
END_TEST

START_TEST(daa_no_adjust)
{
	EAX = 0x45;
	h_set_flags(0);
	EXEC(0x27);                             /* daa */
	EQ(EAX, 0x45);
	FLAGS(SZP | F_AF | F_CF, 0);            /* 0x45: 3 bits -> PF = 0 */
}
END_TEST

START_TEST(das_sdm_example)
{
	EAX = 0xee;                             /* 0x35 - 0x47 */
	h_set_flags(F_AF | F_CF);
	EXEC(0x2f);                             /* das */
	EQ(EAX, 0x88);
	FLAGS(SZP | F_AF | F_CF, F_SF | F_PF | F_AF | F_CF);
}
END_TEST

START_TEST(das_borrow_from_minus6)
{
	EAX = 0x03;
	h_set_flags(F_AF);
	EXEC(0x2f);                             /* das */
	EQ(EAX, 0xfd);
	/* CF := old_CF or borrow from AL - 6 = 1; the second step is not taken and
	 * has no ELSE clause in the SDM pseudocode, so CF stays 1 */
	FLAGS(SZP | F_AF | F_CF, F_SF | F_AF | F_CF);
}
END_TEST

START_TEST(das_high_only)
{
	EAX = 0xa5;
	h_set_flags(0);
	EXEC(0x2f);                             /* das */
	EQ(EAX, 0x45);
	FLAGS(SZP | F_AF | F_CF, F_CF);
}
END_TEST

START_TEST(aaa_adjust)
{
	EAX = 0x000b;
	h_set_flags(0);
	EXEC(0x37);                             /* aaa */
	EQ(EAX, 0x0101);
	/* OF SF ZF PF undefined after AAA (SDM): not compared */
	FLAGS(F_AF | F_CF, F_AF | F_CF);
	EAX = 0x0012;                           /* 9 + 9 */
	h_set_flags(F_AF);
	EXEC(0x37);                             /* aaa */
	EQ(EAX, 0x0108);
	FLAGS(F_AF | F_CF, F_AF | F_CF);
}
END_TEST

START_TEST(aaa_no_adjust_masks_al)
{
	EAX = 0x0135;
	h_set_flags(0);
	EXEC(0x37);                             /* aaa */
	EQ(EAX, 0x0105);
	FLAGS(F_AF | F_CF, 0);
}
END_TEST

START_TEST(aaa_ax_plus_106)
{
	EAX = 0x00fa;
	h_set_flags(0);
	EXEC(0x37);                             /* aaa: AX := 0xfa + 0x106 = 0x200 */
	EQ(EAX, 0x0200);
	FLAGS(F_AF | F_CF, F_AF | F_CF);
}
END_TEST

START_TEST(aas_adjust)
{
	EAX = 0x02ff;                           /* 5 - 6 */
	h_set_flags(F_AF | F_CF);
	EXEC(0x3f);                             /* aas */
	EQ(EAX, 0x0109);
	FLAGS(F_AF | F_CF, F_AF | F_CF);
	EAX = 0x0503;
	h_set_flags(F_AF);
	EXEC(0x3f);                             /* aas: AX - 6 = 0x04fd, AH - 1 */
	EQ(EAX, 0x030d);
	FLAGS(F_AF | F_CF, F_AF | F_CF);
}
END_TEST

START_TEST(aas_no_adjust)
{
	EAX = 0x0237;
	h_set_flags(F_CF);
	EXEC(0x3f);                             /* aas */
	EQ(EAX, 0x0207);
	FLAGS(F_AF | F_CF, 0);
}
END_TEST

START_TEST(aam_base10)
{
	EAX = 0x003f;                           /* 63 */
	EXEC(0xd4, 0x0a);                       /* aam */
	EQ(EAX, 0x0603);
	/* OF AF CF undefined after AAM (SDM): not compared */
	FLAGS(SZP, F_PF);
	EAX = 0x000a;
	EXEC(0xd4, 0x0a);                       /* aam */
	EQ(EAX, 0x0100);
	FLAGS(SZP, F_ZF | F_PF);
}
END_TEST

START_TEST(aam_base16)
{
	EAX = 0x00ff;
	EXEC(0xd4, 0x10);                       /* aam 16 */
	EQ(EAX, 0x0f0f);
	FLAGS(SZP, F_PF);
}
END_TEST

START_TEST(aam_zero_de)
{
	EAX = 0x1234;
	EXPECT_FAULT(EX_DE, 0xd4, 0x00);        /* aam 0 */
	EQ(EAX, 0x1234);
	EQ(h_peek(STACK_TOP - 6, 2), CODE_ADDR); /* fault: IP of the AAM */
}
END_TEST

START_TEST(aad_base10)
{
	EAX = 0x0603;
	EXEC(0xd5, 0x0a);                       /* aad */
	EQ(EAX, 0x003f);
	/* OF AF CF undefined after AAD (SDM): not compared */
	FLAGS(SZP, F_PF);
	EAX = 0x1a05;                           /* 26 * 10 + 5 = 265 */
	EXEC(0xd5, 0x0a);                       /* aad */
	EQ(EAX, 0x0009);
	FLAGS(SZP, F_PF);
}
END_TEST

START_TEST(aad_base16)
{
	EAX = 0x12340f0f;
	EXEC(0xd5, 0x10);                       /* aad 16 */
	EQ(EAX, 0x123400ff);
	FLAGS(SZP, F_SF | F_PF);
}
END_TEST

Suite *bcd_suite(void)
{
	Suite *s = suite_create("bcd");
	TCase *tc = h_tcase("daa_das");
	tcase_add_test(tc, daa_sdm_example);
	tcase_add_test(tc, daa_af_only);
	tcase_add_test(tc, daa_both_adjust_to_zero);
	tcase_add_test(tc, daa_carry_from_plus6);
	tcase_add_test(tc, daa_no_adjust);
	tcase_add_test(tc, das_sdm_example);
	tcase_add_test(tc, das_borrow_from_minus6);
	tcase_add_test(tc, das_high_only);
	suite_add_tcase(s, tc);

	tc = h_tcase("ascii");
	tcase_add_test(tc, aaa_adjust);
	tcase_add_test(tc, aaa_no_adjust_masks_al);
	tcase_add_test(tc, aaa_ax_plus_106);
	tcase_add_test(tc, aas_adjust);
	tcase_add_test(tc, aas_no_adjust);
	tcase_add_test(tc, aam_base10);
	tcase_add_test(tc, aam_base16);
	tcase_add_test(tc, aam_zero_de);
	tcase_add_test(tc, aad_base10);
	tcase_add_test(tc, aad_base16);
	suite_add_tcase(s, tc);
	return s;
}

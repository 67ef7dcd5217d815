/*
 * BT BTS BTR BTC, BSF BSR: SDM Vol. 2 "BT", "BTS", "BTR", "BTC", "BSF", "BSR".
 *  - register bit base: the offset is taken modulo the operand size;
 *  - immediate offset: taken modulo the operand size, also with a memory base;
 *  - memory base with a register offset: the offset is a signed number that
 *    may select any bit of the bit string around the address (SDM Vol. 2
 *    "BT" Description: the memory operand addresses the byte holding bit 0 of
 *    the string): bit n is bit (n AND 7) of the byte at BitBase + (n SAR 3);
 *  - CF = the selected bit (before the change); ZF unaffected;
 *    OF SF AF PF undefined: not compared;
 *  - BSF/BSR: ZF = 1 and the destination undefined if the source is 0,
 *    otherwise ZF = 0 and the index of the lowest/highest set bit;
 *    CF OF SF AF PF undefined.
 */
#include "harness.h"
#include "suites.h"

START_TEST(bt_reg_modulo)
{
	h_flat32();
	EAX = 0x80000000;
	ECX = 31;
	h_set_flags(F_ZF);
	EXEC(0x0f, 0xa3, 0xc8);                 /* bt eax, ecx */
	FLAGS(F_CF | F_ZF, F_CF | F_ZF);        /* ZF unaffected */
	ECX = 63;                               /* 63 MOD 32 = 31 */
	h_set_flags(0);
	EXEC(0x0f, 0xa3, 0xc8);                 /* bt eax, ecx */
	FLAGS(F_CF | F_ZF, F_CF);
	ECX = 30;
	EXEC(0x0f, 0xa3, 0xc8);                 /* bt eax, ecx */
	FLAGS(F_CF, 0);
	EQ(EAX, 0x80000000);
}
END_TEST

START_TEST(bt_reg16_modulo)
{
	h_flat32();
	EAX = 0x00018000;
	ECX = 0x1f;                             /* 31 MOD 16 = 15 */
	EXEC(0x66, 0x0f, 0xa3, 0xc8);           /* bt ax, cx */
	FLAGS(F_CF, F_CF);
	ECX = 0x10;                             /* 16 MOD 16 = 0, not bit 16 */
	EXEC(0x66, 0x0f, 0xa3, 0xc8);           /* bt ax, cx */
	FLAGS(F_CF, 0);
}
END_TEST

START_TEST(bt_imm_modulo)
{
	h_flat32();
	EAX = 0x00000002;
	EXEC(0x0f, 0xba, 0xe0, 0x21);           /* bt eax, 33 -> bit 1 */
	FLAGS(F_CF, F_CF);
}
END_TEST

START_TEST(bts_btr_btc_reg)
{
	h_flat32();
	EAX = 0x0000000f;
	ECX = 4;
	EXEC(0x0f, 0xab, 0xc8);                 /* bts eax, ecx */
	EQ(EAX, 0x1f);
	FLAGS(F_CF, 0);
	ECX = 0x20 + 1;                         /* bit 1 */
	EXEC(0x0f, 0xb3, 0xc8);                 /* btr eax, ecx */
	EQ(EAX, 0x1d);
	FLAGS(F_CF, F_CF);
	ECX = 31;
	EXEC(0x0f, 0xbb, 0xc8);                 /* btc eax, ecx */
	EQ(EAX, 0x8000001d);
	FLAGS(F_CF, 0);
	EXEC(0x0f, 0xba, 0xf8, 0x1f);           /* btc eax, 31 */
	EQ(EAX, 0x1d);
	FLAGS(F_CF, F_CF);
	EXEC(0x0f, 0xba, 0xe8, 0x05);           /* bts eax, 5 */
	EQ(EAX, 0x3d);
	FLAGS(F_CF, 0);
	EXEC(0x0f, 0xba, 0xf0, 0x00);           /* btr eax, 0 */
	EQ(EAX, 0x3c);
	FLAGS(F_CF, F_CF);
}
END_TEST

START_TEST(bt_mem_offset_beyond_operand)
{
	h_flat32();
	EBX = DATA_ADDR + 0x10;
	h_poke(DATA_ADDR + 0x10, 4, 0);
	h_poke(DATA_ADDR + 0x14, 4, 0x00000008);  /* bit 35 of the string */
	ECX = 35;
	EXEC(0x0f, 0xa3, 0x0b);                 /* bt [ebx], ecx */
	FLAGS(F_CF, F_CF);
	ECX = 0x100;                            /* byte EBX + 32, bit 0 */
	h_poke(DATA_ADDR + 0x30, 1, 0x01);
	EXEC(0x0f, 0xbb, 0x0b);                 /* btc [ebx], ecx */
	FLAGS(F_CF, F_CF);
	EQ(h_peek(DATA_ADDR + 0x30, 1), 0x00);
}
END_TEST

START_TEST(bt_mem_negative_offset)
{
	h_flat32();
	EBX = DATA_ADDR + 0x10;
	h_poke(DATA_ADDR + 0x0c, 4, 0x80000000);  /* bit 7 of byte EBX - 1 */
	h_poke(DATA_ADDR + 0x10, 4, 0);
	ECX = 0xffffffff;                       /* -1 */
	EXEC(0x0f, 0xa3, 0x0b);                 /* bt [ebx], ecx */
	FLAGS(F_CF, F_CF);
	ECX = (uint32_t)-9;                     /* bit 7 of byte EBX - 2 */
	EXEC(0x0f, 0xab, 0x0b);                 /* bts [ebx], ecx */
	FLAGS(F_CF, 0);
	EQ(h_peek(DATA_ADDR + 0x0c, 4), 0x80800000);
	EQ(h_peek(DATA_ADDR + 0x10, 4), 0);
	ECX = (uint32_t)-32;                    /* bit 0 of byte EBX - 4 */
	h_poke(DATA_ADDR + 0x0c, 1, 0xff);
	EXEC(0x0f, 0xb3, 0x0b);                 /* btr [ebx], ecx */
	FLAGS(F_CF, F_CF);
	EQ(h_peek(DATA_ADDR + 0x0c, 4), 0x808000fe);
}
END_TEST

START_TEST(bt_mem16_negative_offset)
{
	h_flat32();
	EBX = DATA_ADDR + 0x10;
	h_poke(DATA_ADDR + 0x0e, 4, 0);
	ECX = 0x1234ffff;                       /* CX = -1: bit 7 of byte EBX - 1 */
	EXEC(0x66, 0x0f, 0xab, 0x0b);           /* bts word [ebx], cx */
	FLAGS(F_CF, 0);
	EQ(h_peek(DATA_ADDR + 0x0f, 1), 0x80);
	EQ(h_peek(DATA_ADDR + 0x10, 2), 0);
}
END_TEST

START_TEST(bt_mem_imm_modulo)
{
	h_flat32();
	EBX = DATA_ADDR;
	h_poke(DATA_ADDR, 4, 0x00000008);
	h_poke(DATA_ADDR + 4, 4, 0);
	EXEC(0x0f, 0xba, 0x23, 0x23);           /* bt dword [ebx], 35 -> bit 3 of [ebx] */
	FLAGS(F_CF, F_CF);
	EXEC(0x0f, 0xba, 0x2b, 0x24);           /* bts dword [ebx], 36 -> bit 4 */
	EQ(h_peek(DATA_ADDR, 4), 0x18);
	EQ(h_peek(DATA_ADDR + 4, 4), 0);
}
END_TEST

START_TEST(bsf_bsr)
{
	h_flat32();
	EBX = 0x00018000;
	h_set_flags(F_ZF);
	EXEC(0x0f, 0xbc, 0xc3);                 /* bsf eax, ebx */
	EQ(EAX, 15);
	FLAGS(F_ZF, 0);
	h_set_flags(F_ZF);
	EXEC(0x0f, 0xbd, 0xc3);                 /* bsr eax, ebx */
	EQ(EAX, 16);
	FLAGS(F_ZF, 0);
	EBX = 0x80000001;
	EXEC(0x0f, 0xbd, 0xc3);                 /* bsr eax, ebx */
	EQ(EAX, 31);
	EXEC(0x0f, 0xbc, 0xc3);                 /* bsf eax, ebx */
	EQ(EAX, 0);
}
END_TEST

START_TEST(bsf_bsr_zero_source)
{
	h_flat32();
	EBX = 0;
	h_set_flags(0);
	EXEC(0x0f, 0xbc, 0xc3);                 /* bsf eax, ebx */
	/* destination undefined when the source is 0 (SDM): not compared */
	FLAGS(F_ZF, F_ZF);
	h_set_flags(0);
	EXEC(0x0f, 0xbd, 0xc3);                 /* bsr eax, ebx */
	FLAGS(F_ZF, F_ZF);
}
END_TEST

START_TEST(bsr16_and_mem)
{
	h_flat32();
	EAX = 0xabcd1234;
	EBX = 0xffff0001;
	EXEC(0x66, 0x0f, 0xbd, 0xc3);           /* bsr ax, bx */
	EQ(EAX, 0xabcd0000);
	FLAGS(F_ZF, 0);
	h_poke(DATA_ADDR, 4, 0x00100000);
	EXEC(0x0f, 0xbc, 0x0d, 0x00, 0x20, 0x00, 0x00); /* bsf ecx, [0x2000] */
	EQ(ECX, 20);
	FLAGS(F_ZF, 0);
}
END_TEST

Suite *bitops_suite(void)
{
	Suite *s = suite_create("bitops");
	TCase *tc = h_tcase("bt");
	tcase_add_test(tc, bt_reg_modulo);
	tcase_add_test(tc, bt_reg16_modulo);
	tcase_add_test(tc, bt_imm_modulo);
	tcase_add_test(tc, bts_btr_btc_reg);
	tcase_add_test(tc, bt_mem_offset_beyond_operand);
	tcase_add_test(tc, bt_mem_negative_offset);
	tcase_add_test(tc, bt_mem16_negative_offset);
	tcase_add_test(tc, bt_mem_imm_modulo);
	suite_add_tcase(s, tc);

	tc = h_tcase("bsf_bsr");
	tcase_add_test(tc, bsf_bsr);
	tcase_add_test(tc, bsf_bsr_zero_source);
	tcase_add_test(tc, bsr16_and_mem);
	suite_add_tcase(s, tc);
	return s;
}

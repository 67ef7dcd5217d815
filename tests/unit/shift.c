/*
 * Shifts and rotates: SDM Vol. 2 "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD",
 * "SHRD".  Rules used:
 *  - the count is masked to 5 bits; a masked count of 0 affects no flag;
 *  - shifts: CF = last bit shifted out; SF ZF PF by the result; AF undefined;
 *    OF defined only for a count of 1 (SHL: MSB(result) XOR CF, SHR: MSB of the
 *    original operand, SAR: 0); CF undefined for SHL/SHR when count >= size;
 *  - rotates: SF ZF AF PF never affected; CF affected when the masked count is
 *    nonzero (ROL: LSB of the result, ROR: MSB of the result); OF only for a
 *    masked count of 1 (ROL/RCL: MSB(result) XOR CF; ROR: XOR of the two top
 *    bits of the result; RCR: MSB(dest) XOR CF before the rotation);
 *    RCL/RCR rotate (count & 1fh) MOD 9 for bytes and MOD 17 for words;
 *  - SHLD/SHRD: CF = last bit shifted out of the destination, OF only for
 *    count 1 (sign change), AF undefined, count 0: no flag affected.
 */
#include "harness.h"
#include "suites.h"

#define SZP (F_SF | F_ZF | F_PF)
/* SF ZF AF PF: never affected by rotates */
#define ROTKEEP (F_SF | F_ZF | F_AF | F_PF)

START_TEST(shl8_by1_cf_of)
{
	h_flat32();
	EAX = 0xc0;
	EXEC(0xd0, 0xe0);                       /* shl al, 1 */
	EQ(EAX, 0x80);
	/* CF = old bit 7 = 1; OF = MSB(result) ^ CF = 0; AF undefined: not compared */
	FLAGS(SZP | F_CF | F_OF, F_SF | F_CF);
	EAX = 0x40;
	EXEC(0xd0, 0xe0);                       /* shl al, 1 */
	EQ(EAX, 0x80);
	FLAGS(SZP | F_CF | F_OF, F_SF | F_OF);
}
END_TEST

START_TEST(shl32_count_masked)
{
	h_flat32();
	EAX = 0x80000001;
	ECX = 0x21;                             /* 33 & 0x1f = 1 */
	EXEC(0xd3, 0xe0);                       /* shl eax, cl */
	EQ(EAX, 0x00000002);
	FLAGS(SZP | F_CF | F_OF, F_CF | F_OF); /* OF = 0 ^ 1 */
}
END_TEST

START_TEST(shl_count0_keeps_flags)
{
	h_flat32();
	EAX = 0x12345678;
	ECX = 0x20;                             /* 32 & 0x1f = 0 */
	h_set_flags(F_OF | F_AF | F_CF | F_ZF);
	EXEC(0xd3, 0xe0);                       /* shl eax, cl */
	EQ(EAX, 0x12345678);
	FLAGS(F_OSZAPC, F_OF | F_AF | F_CF | F_ZF);
	h_set_flags(F_SF | F_PF);
	EXEC(0xc1, 0xf8, 0x00);                 /* sar eax, 0 */
	EQ(EAX, 0x12345678);
	FLAGS(F_OSZAPC, F_SF | F_PF);
	h_set_flags(F_CF | F_OF);
	EXEC(0xc0, 0xc8, 0x40);                 /* ror al, 0x40 (masked: 0) */
	EQ(EAX, 0x12345678);
	FLAGS(F_OSZAPC, F_CF | F_OF);
}
END_TEST

START_TEST(shl8_by7_and_beyond)
{
	h_flat32();
	EAX = 0x02;
	EXEC(0xc0, 0xe0, 0x07);                 /* shl al, 7 */
	EQ(EAX, 0x00);
	/* last bit out is old bit 1; OF undefined (count > 1): not compared */
	FLAGS(SZP | F_CF, F_ZF | F_PF | F_CF);
	EAX = 0x12345601;
	EXEC(0xc0, 0xe0, 0x14);                 /* shl al, 20 */
	EQ(EAX, 0x12345600);
	/* CF undefined for SHL with count >= 8 (SDM): not compared */
	FLAGS(SZP, F_ZF | F_PF);
}
END_TEST

START_TEST(shr8_by1)
{
	h_flat32();
	EAX = 0x81;
	EXEC(0xd0, 0xe8);                       /* shr al, 1 */
	EQ(EAX, 0x40);
	/* CF = old bit 0; OF = MSB of the original operand */
	FLAGS(SZP | F_CF | F_OF, F_CF | F_OF);
}
END_TEST

START_TEST(shr32_by4)
{
	h_flat32();
	EAX = 0x8000001f;
	EXEC(0xc1, 0xe8, 0x04);                 /* shr eax, 4 */
	EQ(EAX, 0x08000001);
	FLAGS(SZP | F_CF, F_CF);                /* old bit 3 = 1; OF undefined */
}
END_TEST

START_TEST(sar8_by1)
{
	h_flat32();
	EAX = 0x81;
	h_set_flags(F_OF);
	EXEC(0xd0, 0xf8);                       /* sar al, 1 */
	EQ(EAX, 0xc0);
	FLAGS(SZP | F_CF | F_OF, F_SF | F_PF | F_CF);   /* OF = 0 for SAR by 1 */
}
END_TEST

START_TEST(sar32_by31)
{
	h_flat32();
	EAX = 0x80000000;
	EXEC(0xc1, 0xf8, 0x1f);                 /* sar eax, 31 */
	EQ(EAX, 0xffffffff);
	FLAGS(SZP | F_CF, F_SF | F_PF);          /* last bit out: old bit 30 = 0 */
}
END_TEST

START_TEST(sar_count_at_least_size)
{
	h_flat32();
	EAX = 0x77778000;
	ECX = 16;
	EXEC(0x66, 0xd3, 0xf8);                 /* sar ax, cl */
	EQ(EAX, 0x7777ffff);
	/* each step shifts a copy of the sign bit into CF (SAR pseudocode) */
	FLAGS(SZP | F_CF, F_SF | F_PF | F_CF);
	EAX = 0x80;
	EXEC(0xc0, 0xf8, 0x14);                 /* sar al, 20 */
	EQ(EAX, 0xff);
	FLAGS(SZP | F_CF, F_SF | F_PF | F_CF);
}
END_TEST

START_TEST(rol8_by1)
{
	h_flat32();
	EAX = 0x81;
	h_set_flags(F_ZF | F_PF);
	EXEC(0xd0, 0xc0);                       /* rol al, 1 */
	EQ(EAX, 0x03);
	FLAGS(F_CF | F_OF, F_CF | F_OF);        /* CF = LSB = 1; OF = 0 ^ 1 */
	FLAGS(ROTKEEP, F_ZF | F_PF);
}
END_TEST

START_TEST(rol8_masked_count_1)
{
	h_flat32();
	EAX = 0x40;
	ECX = 0x21;                             /* masked count 1: OF defined */
	EXEC(0xd2, 0xc0);                       /* rol al, cl */
	EQ(EAX, 0x80);
	FLAGS(F_CF | F_OF, F_OF);
}
END_TEST

START_TEST(rol32_by4)
{
	h_flat32();
	EAX = 0x12345678;
	h_set_flags(F_SF | F_AF);
	EXEC(0xc1, 0xc0, 0x04);                 /* rol eax, 4 */
	EQ(EAX, 0x23456781);
	FLAGS(F_CF, F_CF);                      /* OF undefined (count > 1) */
	FLAGS(ROTKEEP, F_SF | F_AF);
}
END_TEST

START_TEST(rol8_by8_sets_cf)
{
	h_flat32();
	EAX = 0x81;
	h_set_flags(0);
	EXEC(0xc0, 0xc0, 0x08);                 /* rol al, 8 */
	EQ(EAX, 0x81);
	/* (COUNT & 1fh) != 0: CF := LSB(DEST) even though MOD 8 rotates nothing */
	FLAGS(F_CF, F_CF);
}
END_TEST

START_TEST(ror8_by1)
{
	h_flat32();
	EAX = 0x01;
	EXEC(0xd0, 0xc8);                       /* ror al, 1 */
	EQ(EAX, 0x80);
	FLAGS(F_CF | F_OF, F_CF | F_OF);        /* CF = MSB; OF = 1 ^ 0 */
}
END_TEST

START_TEST(ror16_by4)
{
	h_flat32();
	EAX = 0xaaaa1234;
	h_set_flags(F_CF | F_PF);
	EXEC(0x66, 0xc1, 0xc8, 0x04);           /* ror ax, 4 */
	EQ(EAX, 0xaaaa4123);
	FLAGS(F_CF, 0);                         /* MSB of 0x4123 */
	FLAGS(ROTKEEP, F_PF);
}
END_TEST

START_TEST(rcl8_by1)
{
	h_flat32();
	EAX = 0x80;
	h_set_flags(0);
	EXEC(0xd0, 0xd0);                       /* rcl al, 1 */
	EQ(EAX, 0x00);
	FLAGS(F_CF | F_OF, F_CF | F_OF);        /* OF = MSB(0) ^ CF(1) */
	FLAGS(ROTKEEP, 0);                      /* ZF not set although AL = 0 */
}
END_TEST

START_TEST(rcl8_mod9)
{
	h_flat32();
	EAX = 0x55;
	ECX = 9;
	h_set_flags(F_CF);
	EXEC(0xd2, 0xd0);                       /* rcl al, cl: 9 MOD 9 = 0 */
	EQ(EAX, 0x55);
	FLAGS(F_CF, F_CF);
	EAX = 0x80;
	ECX = 10;
	h_set_flags(0);
	EXEC(0xd2, 0xd0);                       /* rcl al, cl: 10 MOD 9 = 1 */
	EQ(EAX, 0x00);
	FLAGS(F_CF, F_CF);                      /* OF undefined (masked count 10) */
}
END_TEST

START_TEST(rcl16_mod17)
{
	h_flat32();
	EAX = 0x00008001;
	ECX = 17;
	h_set_flags(0);
	EXEC(0x66, 0xd3, 0xd0);                 /* rcl ax, cl: 17 MOD 17 = 0 */
	EQ(EAX, 0x8001);
	FLAGS(F_CF, 0);
	ECX = 18;
	EXEC(0x66, 0xd3, 0xd0);                 /* rcl ax, cl: 18 MOD 17 = 1 */
	EQ(EAX, 0x0002);
	FLAGS(F_CF, F_CF);
}
END_TEST

START_TEST(rcl32_by1)
{
	h_flat32();
	EAX = 0x80000000;
	h_set_flags(F_CF);
	EXEC(0xd1, 0xd0);                       /* rcl eax, 1 */
	EQ(EAX, 0x00000001);
	FLAGS(F_CF | F_OF, F_CF | F_OF);
}
END_TEST

START_TEST(rcr8_by1)
{
	h_flat32();
	EAX = 0x01;
	h_set_flags(F_CF);
	EXEC(0xd0, 0xd8);                       /* rcr al, 1 */
	EQ(EAX, 0x80);
	FLAGS(F_CF | F_OF, F_CF | F_OF);        /* OF = MSB(old 0x01) ^ old CF(1) */
	EAX = 0x81;
	h_set_flags(F_CF);
	EXEC(0xd0, 0xd8);                       /* rcr al, 1 */
	EQ(EAX, 0xc0);
	FLAGS(F_CF | F_OF, F_CF);               /* OF = 1 ^ 1 = 0 */
}
END_TEST

START_TEST(rcr8_mod9)
{
	h_flat32();
	EAX = 0x55;
	ECX = 9;
	h_set_flags(0);
	EXEC(0xd2, 0xd8);                       /* rcr al, cl: 9 MOD 9 = 0 */
	EQ(EAX, 0x55);
	FLAGS(F_CF, 0);
	ECX = 2;
	h_set_flags(F_CF);
	EXEC(0xd2, 0xd8);                       /* rcr al, cl: CF:AL = 1:01010101 */
	EQ(EAX, 0xd5);                          /* 1 rotation: 0xaa, CF 1; 2: 0xd5, CF 0 */
	FLAGS(F_CF, 0);
}
END_TEST

START_TEST(rcr16_mod17)
{
	h_flat32();
	EAX = 0x00000001;
	ECX = 17 + 2;                           /* 19 MOD 17 = 2 */
	h_set_flags(0);
	EXEC(0x66, 0xd3, 0xd8);                 /* rcr ax, cl */
	/* 0:0x0001 -> 1:0x0000 -> 0:0x8000 */
	EQ(EAX, 0x8000);
	FLAGS(F_CF, 0);
}
END_TEST

START_TEST(shld32)
{
	h_flat32();
	EAX = 0x12345678;
	EBX = 0x9abcdef0;
	EXEC(0x0f, 0xa4, 0xd8, 0x04);           /* shld eax, ebx, 4 */
	EQ(EAX, 0x23456789);
	EQ(EBX, 0x9abcdef0);
	/* CF = last bit out = old bit 28; OF, AF undefined: not compared */
	FLAGS(SZP | F_CF, F_CF);
	EAX = 0x40000000;
	EBX = 0x80000000;
	EXEC(0x0f, 0xa4, 0xd8, 0x01);           /* shld eax, ebx, 1 */
	EQ(EAX, 0x80000001);
	FLAGS(SZP | F_CF | F_OF, F_SF | F_OF);  /* sign changed: OF */
}
END_TEST

START_TEST(shld32_mem)
{
	h_flat32();
	h_poke(DATA_ADDR, 4, 0x11223344);
	EBX = DATA_ADDR;
	EAX = 0xaabbccdd;
	ECX = 8;
	EXEC(0x0f, 0xa5, 0x03);                 /* shld [ebx], eax, cl */
	EQ(h_peek(DATA_ADDR, 4), 0x223344aa);
	FLAGS(SZP | F_CF, F_CF | F_PF);         /* old bit 24 = 1; 0xaa: 4 bits */
}
END_TEST

START_TEST(shrd32)
{
	h_flat32();
	EAX = 0x12345678;
	EBX = 0x000000ab;
	ECX = 8;
	EXEC(0x0f, 0xad, 0xd8);                 /* shrd eax, ebx, cl */
	EQ(EAX, 0xab123456);
	FLAGS(SZP | F_CF, F_SF | F_PF);         /* old bit 7 = 0 */
	EAX = 0x00000001;
	EBX = 0;
	EXEC(0x0f, 0xac, 0xd8, 0x01);           /* shrd eax, ebx, 1 */
	EQ(EAX, 0);
	FLAGS(SZP | F_CF | F_OF, F_ZF | F_PF | F_CF);
}
END_TEST

START_TEST(shrd_count0_keeps_flags)
{
	h_flat32();
	EAX = 0x12345678;
	EBX = 0xffffffff;
	ECX = 0x40;                             /* masked: 0 */
	h_set_flags(F_OF | F_CF | F_AF);
	EXEC(0x0f, 0xad, 0xd8);                 /* shrd eax, ebx, cl */
	EQ(EAX, 0x12345678);
	FLAGS(F_OSZAPC, F_OF | F_CF | F_AF);
}
END_TEST

START_TEST(shrd16)
{
	h_flat32();
	EAX = 0xeeee1234;
	EBX = 0x00005678;
	EXEC(0x66, 0x0f, 0xac, 0xd8, 0x04);     /* shrd ax, bx, 4 */
	EQ(EAX, 0xeeee8123);
	FLAGS(SZP | F_CF, F_SF);                /* old bit 3 = 0; 0x23 has 3 bits */
}
END_TEST

START_TEST(shld16)
{
	h_flat32();
	EAX = 0x00001234;
	EBX = 0x0000abcd;
	EXEC(0x66, 0x0f, 0xa4, 0xd8, 0x04);     /* shld ax, bx, 4 */
	EQ(EAX, 0x234a);
	FLAGS(SZP | F_CF, F_CF);                /* CF = old bit 12 = 1; 0x4a: 3 bits */
}
END_TEST

Suite *shift_suite(void)
{
	Suite *s = suite_create("shift");
	TCase *tc = h_tcase("shifts");
	tcase_add_test(tc, shl8_by1_cf_of);
	tcase_add_test(tc, shl32_count_masked);
	tcase_add_test(tc, shl_count0_keeps_flags);
	tcase_add_test(tc, shl8_by7_and_beyond);
	tcase_add_test(tc, shr8_by1);
	tcase_add_test(tc, shr32_by4);
	tcase_add_test(tc, sar8_by1);
	tcase_add_test(tc, sar32_by31);
	tcase_add_test(tc, sar_count_at_least_size);
	suite_add_tcase(s, tc);

	tc = h_tcase("rotates");
	tcase_add_test(tc, rol8_by1);
	tcase_add_test(tc, rol8_masked_count_1);
	tcase_add_test(tc, rol32_by4);
	tcase_add_test(tc, rol8_by8_sets_cf);
	tcase_add_test(tc, ror8_by1);
	tcase_add_test(tc, ror16_by4);
	tcase_add_test(tc, rcl8_by1);
	tcase_add_test(tc, rcl8_mod9);
	tcase_add_test(tc, rcl16_mod17);
	tcase_add_test(tc, rcl32_by1);
	tcase_add_test(tc, rcr8_by1);
	tcase_add_test(tc, rcr8_mod9);
	tcase_add_test(tc, rcr16_mod17);
	suite_add_tcase(s, tc);

	tc = h_tcase("double");
	tcase_add_test(tc, shld32);
	tcase_add_test(tc, shld32_mem);
	tcase_add_test(tc, shrd32);
	tcase_add_test(tc, shrd_count0_keeps_flags);
	tcase_add_test(tc, shrd16);
	tcase_add_test(tc, shld16);
	suite_add_tcase(s, tc);
	return s;
}

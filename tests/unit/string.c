/*
 * String instructions: SDM Vol. 2 "MOVS", "STOS", "LODS", "CMPS", "SCAS",
 * "REP/REPE/REPZ/REPNE/REPNZ".
 *  - the source is DS:(E)SI (segment overridable), the destination ES:(E)DI;
 *  - (E)SI/(E)DI step by the operand size, up if DF = 0, down if DF = 1;
 *  - the address size selects SI/DI/CX (16) or ESI/EDI/ECX (32); with 16-bit
 *    addresses the registers wrap at 64 KiB and their upper halves stay;
 *  - REP: nothing happens if the count register is 0; the count is
 *    decremented after each iteration; REPE/REPNE also stop when ZF is 0/1
 *    after an iteration;
 *  - CMPS compares [SI] - [DI], SCAS compares AL/AX/EAX - [DI]: flags as CMP.
 */
#include <string.h>

#include "harness.h"
#include "suites.h"

static void poke_str(uint32_t pa, const char *s)
{
	h_poke_bytes(pa, (const uint8_t *)s, strlen(s) + 1);
}

START_TEST(movsb_single)
{
	h_flat32();
	ESI = DATA_ADDR;
	EDI = DATA_ADDR + 0x100;
	ECX = 5;
	h_poke(DATA_ADDR, 1, 0x42);
	EXEC(0xa4);                             /* movsb */
	EQ(h_peek(DATA_ADDR + 0x100, 1), 0x42);
	EQ(ESI, DATA_ADDR + 1);
	EQ(EDI, DATA_ADDR + 0x101);
	EQ(ECX, 5);                             /* no REP: ECX not used */
}
END_TEST

START_TEST(rep_movsd)
{
	h_flat32();
	ESI = DATA_ADDR;
	EDI = DATA_ADDR + 0x100;
	ECX = 3;
	h_poke(DATA_ADDR, 4, 0x11111111);
	h_poke(DATA_ADDR + 4, 4, 0x22222222);
	h_poke(DATA_ADDR + 8, 4, 0x33333333);
	h_poke(DATA_ADDR + 12, 4, 0x44444444);
	EXEC(0xf3, 0xa5);                       /* rep movsd */
	EQ(ECX, 0);
	EQ(ESI, DATA_ADDR + 12);
	EQ(EDI, DATA_ADDR + 0x10c);
	EQ(h_peek(DATA_ADDR + 0x100, 4), 0x11111111);
	EQ(h_peek(DATA_ADDR + 0x108, 4), 0x33333333);
	EQ(h_peek(DATA_ADDR + 0x10c, 4), 0);    /* only ECX elements */
}
END_TEST

START_TEST(rep_movsb_df1)
{
	h_flat32();
	CPU->eflags |= F_DF;
	poke_str(DATA_ADDR, "abc");
	ESI = DATA_ADDR + 2;
	EDI = DATA_ADDR + 0x102;
	ECX = 3;
	EXEC(0xf3, 0xa4);                       /* rep movsb (backwards) */
	EQ(ECX, 0);
	EQ(ESI, DATA_ADDR - 1);
	EQ(EDI, DATA_ADDR + 0xff);
	EQ(h_peek(DATA_ADDR + 0x100, 4) & 0xffffff, 0x636261);
	ESI = DATA_ADDR + 2;
	EDI = DATA_ADDR + 0x200;
	EXEC(0x66, 0xa5);                       /* movsw, DF = 1 */
	EQ(ESI, DATA_ADDR);
	EQ(EDI, DATA_ADDR + 0x1fe);
}
END_TEST

START_TEST(rep_ecx_zero)
{
	h_flat32();
	ESI = DATA_ADDR;
	EDI = DATA_ADDR + 0x100;
	ECX = 0;
	EAX = 0xffffffff;
	h_poke(DATA_ADDR, 4, 0x12345678);
	h_set_flags(F_ZF | F_CF);
	EXEC(0xf3, 0xa5);                       /* rep movsd */
	EXEC(0xf3, 0xab);                       /* rep stosd */
	EXEC(0xf3, 0xa7);                       /* repe cmpsd */
	EXEC(0xf2, 0xaf);                       /* repne scasd */
	EQ(ESI, DATA_ADDR);
	EQ(EDI, DATA_ADDR + 0x100);
	EQ(ECX, 0);
	EQ(h_peek(DATA_ADDR + 0x100, 4), 0);
	FLAGS(F_OSZAPC, F_ZF | F_CF);           /* no iteration, no comparison */
}
END_TEST

START_TEST(stos_lods)
{
	h_flat32();
	EDI = DATA_ADDR;
	ECX = 4;
	EAX = 0xdeadbeef;
	EXEC(0xf3, 0xab);                       /* rep stosd */
	EQ(h_peek(DATA_ADDR, 4), 0xdeadbeef);
	EQ(h_peek(DATA_ADDR + 12, 4), 0xdeadbeef);
	EQ(EDI, DATA_ADDR + 16);
	EXEC(0xaa);                             /* stosb */
	EQ(h_peek(DATA_ADDR + 16, 1), 0xef);
	EQ(EDI, DATA_ADDR + 17);
	ESI = DATA_ADDR + 12;
	EAX = 0;
	EXEC(0xac);                             /* lodsb */
	EQ(EAX, 0xef);
	EQ(ESI, DATA_ADDR + 13);
	ESI = DATA_ADDR;
	EXEC(0xad);                             /* lodsd */
	EQ(EAX, 0xdeadbeef);
	EQ(ESI, DATA_ADDR + 4);
	EXEC(0x66, 0xad);                       /* lodsw */
	EQ(EAX, 0xdeadbeef);
	EQ(ESI, DATA_ADDR + 6);
}
END_TEST

START_TEST(repe_cmpsb_mismatch)
{
	h_flat32();
	poke_str(DATA_ADDR, "abcXef");
	poke_str(DATA_ADDR + 0x100, "abcYef");
	ESI = DATA_ADDR;
	EDI = DATA_ADDR + 0x100;
	ECX = 10;
	EXEC(0xf3, 0xa6);                       /* repe cmpsb */
	EQ(ECX, 6);                             /* 4 iterations, the 4th differs */
	EQ(ESI, DATA_ADDR + 4);
	EQ(EDI, DATA_ADDR + 0x104);
	/* last comparison 'X' - 'Y' = 0xff */
	FLAGS(F_OSZAPC, F_CF | F_SF | F_AF | F_PF);
}
END_TEST

START_TEST(repe_cmpsb_all_equal)
{
	h_flat32();
	poke_str(DATA_ADDR, "abc");
	poke_str(DATA_ADDR + 0x100, "abc");
	ESI = DATA_ADDR;
	EDI = DATA_ADDR + 0x100;
	ECX = 3;
	EXEC(0xf3, 0xa6);                       /* repe cmpsb */
	EQ(ECX, 0);
	EQ(ESI, DATA_ADDR + 3);
	FLAGS(F_ZF, F_ZF);
}
END_TEST

START_TEST(repne_cmpsw_stops_on_equal)
{
	h_flat32();
	h_poke(DATA_ADDR, 4, 0x00020001);
	h_poke(DATA_ADDR + 4, 2, 0x0003);
	h_poke(DATA_ADDR + 0x100, 4, 0x00050004);
	h_poke(DATA_ADDR + 0x104, 2, 0x0003);
	ESI = DATA_ADDR;
	EDI = DATA_ADDR + 0x100;
	ECX = 8;
	EXEC(0xf2, 0x66, 0xa7);                 /* repne cmpsw */
	EQ(ECX, 5);
	EQ(ESI, DATA_ADDR + 6);
	EQ(EDI, DATA_ADDR + 0x106);
	FLAGS(F_ZF, F_ZF);
}
END_TEST

START_TEST(cmpsb_flags_order)
{
	h_flat32();
	h_poke(DATA_ADDR, 1, 0x01);             /* [ESI] */
	h_poke(DATA_ADDR + 0x100, 1, 0x02);     /* [EDI] */
	ESI = DATA_ADDR;
	EDI = DATA_ADDR + 0x100;
	EXEC(0xa6);                             /* cmpsb: [ESI] - [EDI] = 1 - 2 */
	FLAGS(F_CF | F_SF | F_ZF, F_CF | F_SF);
}
END_TEST

START_TEST(repne_scasb_strlen)
{
	h_flat32();
	poke_str(DATA_ADDR, "hello");
	EDI = DATA_ADDR;
	ECX = 0xffffffff;
	EAX = 0x12345600;                       /* AL = 0 */
	EXEC(0xf2, 0xae);                       /* repne scasb */
	EQ(ECX, 0xffffffff - 6);
	EQ(EDI, DATA_ADDR + 6);
	FLAGS(F_ZF, F_ZF);
}
END_TEST

START_TEST(repe_scasd)
{
	h_flat32();
	h_poke(DATA_ADDR, 4, 7);
	h_poke(DATA_ADDR + 4, 4, 7);
	h_poke(DATA_ADDR + 8, 4, 8);
	EDI = DATA_ADDR;
	ECX = 5;
	EAX = 7;
	EXEC(0xf3, 0xaf);                       /* repe scasd */
	EQ(ECX, 2);
	EQ(EDI, DATA_ADDR + 12);
	FLAGS(F_OSZAPC, F_CF | F_SF | F_AF | F_PF);   /* 7 - 8 */
}
END_TEST

static void real_seg(int sreg, uint16_t sel)
{
	CPU->seg[sreg].sel = sel;
	CPU->seg[sreg].base = (uint32_t)sel << 4;
}

START_TEST(addr16_wrap_real_mode)
{
	real_seg(S_DS, 0x3000);                 /* source at 0x30000 + SI */
	real_seg(S_ES, 0x1000);                 /* destination at 0x10000 + DI */
	ESI = 0x0001ffff;                       /* SI = 0xffff */
	EDI = 0x0002ffff;
	h_poke(0x3ffff, 1, 0x77);
	EXEC(0xa4);                             /* movsb */
	EQ(h_peek(0x1ffff, 1), 0x77);
	EQ(ESI, 0x00010000);                    /* SI wrapped, upper half kept */
	EQ(EDI, 0x00020000);
	ECX = 0x00010002;                       /* CX = 2 */
	h_poke(0x30000, 2, 0x9988);
	EXEC(0xf3, 0xa4);                       /* rep movsb */
	EQ(ECX, 0x00010000);
	EQ(h_peek(0x10000, 2), 0x9988);
	EQ(ESI, 0x00010002);
	EQ(EDI, 0x00020002);
}
END_TEST

START_TEST(addr16_df1_wrap)
{
	real_seg(S_ES, 0x1000);
	CPU->eflags |= F_DF;
	EDI = 0;
	EAX = 0xabcd;
	EXEC(0xab);                             /* stosw, DF = 1: DI 0 -> 0xfffe */
	EQ(h_peek(0x10000, 2), 0xabcd);
	EQ(EDI, 0xfffe);
}
END_TEST

START_TEST(addr16_prefix_in_32bit_code)
{
	h_flat32();
	ESI = 0xffff0000 | DATA_ADDR;
	EDI = 0xffff0000 | (DATA_ADDR + 0x100);
	ECX = 0xffff0002;
	h_poke(DATA_ADDR, 2, 0x4241);
	EXEC(0x67, 0xf3, 0xa4);                 /* rep movsb with SI DI CX */
	EQ(h_peek(DATA_ADDR + 0x100, 2), 0x4241);
	EQ(ECX, 0xffff0000);
	EQ(ESI, 0xffff0000 | (DATA_ADDR + 2));
	EQ(EDI, 0xffff0000 | (DATA_ADDR + 0x102));
}
END_TEST

START_TEST(source_segment_override)
{
	real_seg(S_ES, 0x1000);
	ESI = 0x3010;
	EDI = 0x3020;
	h_poke(0x13010, 1, 0x5e);               /* ES:SI */
	h_poke(0x03010, 1, 0xd5);               /* DS:SI */
	EXEC(0x26, 0xa4);                       /* movsb es:[si] -> es:[di] */
	EQ(h_peek(0x13020, 1), 0x5e);
	h_poke(0x03011, 1, 0xa1);
	h_poke(0x13012, 1, 0xb2);
	EXEC(0xac);                             /* lodsb from DS:SI */
	EQ(EAX & 0xff, 0xa1);
	EXEC(0x26, 0xac);                       /* lodsb from ES:SI */
	EQ(EAX & 0xff, 0xb2);
	EQ(ESI, 0x3013);
}
END_TEST

/* A long REP may be split over several steps (it is interruptible, Vol. 2
 * "REP"); run it until EIP moves past it and check the final state. */
/* REP MOVS copies element by element (SDM Vol. 2 "MOVS": each iteration
 * moves one element then updates ESI/EDI), so a destination one byte above
 * the source replicates the first byte, unlike memmove; and a dword copy with
 * the destination two bytes up repeats a 2-byte pattern. */
START_TEST(rep_movs_overlap_forward)
{
	h_flat32();
	static const uint8_t code[] = { 0xf3, 0xa4 };   /* rep movsb */
	h_code(code, sizeof code);
	poke_str(DATA_ADDR, "abcdefghij");
	ESI = DATA_ADDR;
	EDI = DATA_ADDR + 1;
	ECX = 9;
	for (int i = 0; i < 10 && EIP == CODE_ADDR; i++)
		h_step();
	EQ(ECX, 0);
	for (unsigned i = 0; i < 10; i++)
		EQ(h_peek(DATA_ADDR + i, 1), 'a');
	static const uint8_t code2[] = { 0xf3, 0xa5 };  /* rep movsd */
	h_code(code2, sizeof code2);
	poke_str(DATA_ADDR, "ABCDEFGHIJKLMNOP");
	ESI = DATA_ADDR;
	EDI = DATA_ADDR + 2;
	ECX = 3;
	for (int i = 0; i < 10 && EIP == CODE_ADDR; i++)
		h_step();
	/* element 1 reads "ABCD" and writes it at 2..5 (ABABCDGH...), element 2
	 * reads 4..7 = "CDGH" and writes it at 6..9 (ABABCDCDGH..), element 3
	 * reads 8..11 = "GHKL" and writes it at 10..13 (ABABCDCDGHGHKLOP) */
	EQ(h_peek(DATA_ADDR, 4), 0x42414241);        /* "ABAB" */
	EQ(h_peek(DATA_ADDR + 4, 4), 0x44434443);    /* "CDCD" */
	EQ(h_peek(DATA_ADDR + 8, 4), 0x48474847);    /* "GHGH" */
	EQ(h_peek(DATA_ADDR + 12, 4), 0x504f4c4b);   /* "KLOP" */
}
END_TEST

/* A long REP STOSD/MOVSD across several pages, unaligned: every byte and the
 * final registers as the element-by-element definition gives them. */
START_TEST(rep_stosd_movsd_across_pages)
{
	h_flat32();
	static const uint8_t stos[] = { 0xf3, 0xab };   /* rep stosd */
	h_code(stos, sizeof stos);
	EDI = 0x10ffe;
	ECX = 3000;
	EAX = 0x11223344;
	for (int i = 0; i < 100 && EIP == CODE_ADDR; i++)
		h_step();
	EQ(ECX, 0);
	EQ(EDI, 0x10ffe + 12000);
	for (uint32_t a = 0x10ffe; a < 0x10ffe + 12000; a += 4)
		if (h_peek(a, 4) != 0x11223344)
			ck_abort_msg("stosd: dword at 0x%x is 0x%x", a, h_peek(a, 4));
	EQ(h_peek(0x10ffe + 12000, 4), 0);
	static const uint8_t movs[] = { 0xf3, 0xa5 };   /* rep movsd */
	h_code(movs, sizeof movs);
	ESI = 0x10ffe;
	EDI = 0x18001;
	ECX = 2999;
	for (int i = 0; i < 100 && EIP == CODE_ADDR; i++)
		h_step();
	EQ(ECX, 0);
	EQ(ESI, 0x10ffe + 11996);
	EQ(EDI, 0x18001 + 11996);
	for (uint32_t a = 0x18001; a < 0x18001 + 11996; a += 4)
		if (h_peek(a, 4) != 0x11223344)
			ck_abort_msg("movsd: dword at 0x%x is 0x%x", a, h_peek(a, 4));
	EQ(h_peek(0x18001 + 11996, 4), 0);
}
END_TEST

START_TEST(rep_stosb_long)
{
	h_flat32();
	static const uint8_t code[] = { 0xf3, 0xaa };   /* rep stosb */
	h_code(code, sizeof code);
	EDI = 0x10000;
	ECX = 5000;
	EAX = 0x5a;
	for (int i = 0; i < 100 && EIP == CODE_ADDR; i++) {
		h_step();
		EQ(h_vector(), -1);
	}
	EQ(EIP, CODE_ADDR + 2);
	EQ(ECX, 0);
	EQ(EDI, 0x10000 + 5000);
	EQ(h_peek(0x10000, 1), 0x5a);
	EQ(h_peek(0x10000 + 4999, 1), 0x5a);
	EQ(h_peek(0x10000 + 5000, 1), 0);
}
END_TEST

Suite *string_suite(void)
{
	Suite *s = suite_create("string");
	TCase *tc = h_tcase("movs_stos_lods");
	tcase_add_test(tc, movsb_single);
	tcase_add_test(tc, rep_movsd);
	tcase_add_test(tc, rep_movsb_df1);
	tcase_add_test(tc, rep_ecx_zero);
	tcase_add_test(tc, stos_lods);
	tcase_add_test(tc, rep_stosb_long);
	tcase_add_test(tc, rep_movs_overlap_forward);
	tcase_add_test(tc, rep_stosd_movsd_across_pages);
	suite_add_tcase(s, tc);

	tc = h_tcase("cmps_scas");
	tcase_add_test(tc, repe_cmpsb_mismatch);
	tcase_add_test(tc, repe_cmpsb_all_equal);
	tcase_add_test(tc, repne_cmpsw_stops_on_equal);
	tcase_add_test(tc, cmpsb_flags_order);
	tcase_add_test(tc, repne_scasb_strlen);
	tcase_add_test(tc, repe_scasd);
	suite_add_tcase(s, tc);

	tc = h_tcase("address_size");
	tcase_add_test(tc, addr16_wrap_real_mode);
	tcase_add_test(tc, addr16_df1_wrap);
	tcase_add_test(tc, addr16_prefix_in_32bit_code);
	tcase_add_test(tc, source_segment_override);
	suite_add_tcase(s, tc);
	return s;
}

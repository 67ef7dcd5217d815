/*
 * Near control transfers: SDM Vol. 2 "Jcc", "JMP", "CALL", "RET", "LOOP/LOOPcc",
 * "JCXZ/JECXZ".
 *  - the displacement is added to the address of the next instruction;
 *  - with a 16-bit operand size the new EIP is truncated to 16 bits
 *    ("IF OperandSize = 16 THEN EIP := EIP AND 0000FFFFH");
 *  - a target outside the CS limit raises #GP(0) (also in real mode);
 *  - CALL pushes the address of the next instruction (operand size);
 *    RET imm16 pops the return address, then adds imm16 to (E)SP;
 *  - LOOP decrements the count register (CX or ECX by the address size) without
 *    touching the flags and jumps if it is not 0 (LOOPE: and ZF = 1,
 *    LOOPNE: and ZF = 0); JCXZ/JECXZ test CX/ECX by the address size.
 */
#include "harness.h"
#include "suites.h"

START_TEST(jcc_short_all)
{
	h_flat32();
	for (unsigned cc = 0; cc < 16; cc++) {
		for (unsigned i = 0; i < 32; i++) {
			uint8_t code[] = { (uint8_t)(0x70 + cc), 0x10 };   /* jcc +0x10 */
			h_set_flags(flag_combo(i));
			h_exec_branch(code, sizeof code, __FILE__, __LINE__);
			uint32_t want = CODE_ADDR + 2 + (sdm_cond(cc, flag_combo(i)) ? 0x10 : 0);
			ck_assert_msg(EIP == want, "j%x flags %x: EIP %x, expected %x",
				      cc, flag_combo(i), EIP, want);
			FLAGS(F_OSZAPC, flag_combo(i));
		}
	}
}
END_TEST

START_TEST(jcc_near_all)
{
	h_flat32();
	for (unsigned cc = 0; cc < 16; cc++) {
		for (unsigned i = 0; i < 32; i++) {
			/* jcc -0x100 (rel32) */
			uint8_t code[] = { 0x0f, (uint8_t)(0x80 + cc), 0x00, 0xff, 0xff, 0xff };
			h_set_flags(flag_combo(i));
			h_exec_branch(code, sizeof code, __FILE__, __LINE__);
			uint32_t want = CODE_ADDR + 6 - (sdm_cond(cc, flag_combo(i)) ? 0x100 : 0);
			ck_assert_msg(EIP == want, "j%x flags %x: EIP %x, expected %x",
				      cc, flag_combo(i), EIP, want);
		}
	}
}
END_TEST

START_TEST(jcc_backward_short)
{
	h_flat32();
	h_set_flags(F_ZF);
	EXEC_BR(0x74, 0xf0);                    /* jz -16 */
	EQ(EIP, CODE_ADDR + 2 - 16);
}
END_TEST

START_TEST(jcc_osize16_truncates)
{
	h_flat32();
	static const uint8_t code[] = { 0x66, 0x0f, 0x84, 0x10, 0x00 };   /* jz rel16 +0x10 */
	h_poke_bytes(0x1fff0, code, sizeof code);
	EIP = 0x1fff0;
	h_set_flags(F_ZF);
	h_step();
	EQ(h_vector(), -1);
	EQ(EIP, (0x1fff5 + 0x10) & 0xffff);
}
END_TEST

START_TEST(jmp_forms)
{
	h_flat32();
	EXEC_BR(0xe9, 0x00, 0x01, 0x00, 0x00);  /* jmp rel32 +0x100 */
	EQ(EIP, CODE_ADDR + 5 + 0x100);
	EXEC_BR(0xeb, 0x80);                    /* jmp short -128 */
	EQ(EIP, CODE_ADDR + 2 - 128);
	EAX = 0x4321;
	EXEC_BR(0xff, 0xe0);                    /* jmp eax */
	EQ(EIP, 0x4321);
	h_poke(DATA_ADDR, 4, 0x5678);
	EXEC_BR(0xff, 0x25, 0x00, 0x20, 0x00, 0x00); /* jmp [0x2000] */
	EQ(EIP, 0x5678);
	EQ(ESP, STACK_TOP);
}
END_TEST

START_TEST(jmp_osize16_truncates)
{
	h_flat32();
	static const uint8_t code[] = { 0x66, 0xe9, 0x10, 0x00 };   /* jmp rel16 +0x10 */
	h_poke_bytes(0x1fff0, code, sizeof code);
	EIP = 0x1fff0;
	h_step();
	EQ(h_vector(), -1);
	EQ(EIP, (0x1fff4 + 0x10) & 0xffff);
	EAX = 0x12345678;
	EXEC_BR(0x66, 0xff, 0xe0);              /* jmp ax */
	EQ(EIP, 0x5678);
}
END_TEST

START_TEST(jmp_real_mode_ip_wraps)
{
	static const uint8_t code[] = { 0xeb, 0x10 };   /* jmp short +0x10 */
	h_poke_bytes(0xfff0, code, sizeof code);
	EIP = 0xfff0;
	h_step();
	EQ(h_vector(), -1);
	EQ(EIP, 0x0002);                        /* (0xfff2 + 0x10) AND 0xffff */
}
END_TEST

START_TEST(jmp_beyond_cs_limit_gp)
{
	/* real mode, 32-bit operand: target 0x11006 > CS limit 0xffff: #GP */
	EXPECT_FAULT(EX_GP, 0x66, 0xe9, 0x00, 0x00, 0x01, 0x00);
	EQ(h_peek(STACK_TOP - 6, 2), CODE_ADDR);  /* fault: IP of the JMP */
}
END_TEST

START_TEST(call_beyond_cs_limit_gp)
{
	/* the limit check comes before the push (SDM "CALL" Operation) */
	EXPECT_FAULT(EX_GP, 0x66, 0xe8, 0x00, 0x00, 0x01, 0x00); /* call rel32 -> 0x11006 */
	EQ(ESP, STACK_TOP - 6);                 /* only the exception frame */
	EQ(h_peek(STACK_TOP - 6, 2), CODE_ADDR);
}
END_TEST

START_TEST(call_ret_near32)
{
	h_flat32();
	EXEC_BR(0xe8, 0x00, 0x02, 0x00, 0x00);  /* call rel32 +0x200 */
	EQ(EIP, CODE_ADDR + 5 + 0x200);
	EQ(ESP, STACK_TOP - 4);
	EQ(h_peek(STACK_TOP - 4, 4), CODE_ADDR + 5);
	h_poke(STACK_TOP - 4, 4, 0x3456);
	EXEC_BR(0xc3);                          /* ret */
	EQ(EIP, 0x3456);
	EQ(ESP, STACK_TOP);
	EAX = 0x2345;
	EXEC_BR(0xff, 0xd0);                    /* call eax */
	EQ(EIP, 0x2345);
	EQ(h_peek(STACK_TOP - 4, 4), CODE_ADDR + 2);
	h_poke(DATA_ADDR, 4, 0x6789);
	EXEC_BR(0xff, 0x15, 0x00, 0x20, 0x00, 0x00); /* call [0x2000] */
	EQ(EIP, 0x6789);
	EQ(h_peek(STACK_TOP - 8, 4), CODE_ADDR + 6);
	EQ(ESP, STACK_TOP - 8);
}
END_TEST

START_TEST(ret_imm16)
{
	h_flat32();
	ESP = 0x7ff0;
	h_poke(0x7ff0, 4, 0x4444);
	EXEC_BR(0xc2, 0x08, 0x00);              /* ret 8 */
	EQ(EIP, 0x4444);
	EQ(ESP, 0x7ff0 + 4 + 8);
}
END_TEST

START_TEST(call_ret_real_mode)
{
	EXEC_BR(0xe8, 0x00, 0x01);              /* call rel16 +0x100 */
	EQ(EIP, CODE_ADDR + 3 + 0x100);
	EQ(ESP, STACK_TOP - 2);
	EQ(h_peek(STACK_TOP - 2, 2), CODE_ADDR + 3);
	EXEC_BR(0xc2, 0x04, 0x00);              /* ret 4 */
	EQ(EIP, CODE_ADDR + 3);
	EQ(ESP, STACK_TOP + 4);
}
END_TEST

START_TEST(call_osize16_in_32bit_code)
{
	h_flat32();
	EXEC_BR(0x66, 0xe8, 0x00, 0x01);        /* call rel16 +0x100 */
	EQ(ESP, STACK_TOP - 2);                 /* a 16-bit return address */
	EQ(h_peek(STACK_TOP - 2, 2), CODE_ADDR + 4);
	EQ(EIP, CODE_ADDR + 4 + 0x100);
	h_poke(STACK_TOP - 2, 2, 0x1234);
	EXEC_BR(0x66, 0xc3);                    /* ret (16-bit) */
	EQ(EIP, 0x1234);
	EQ(ESP, STACK_TOP);
}
END_TEST

START_TEST(loop_forms)
{
	h_flat32();
	ECX = 2;
	h_set_flags(F_ZF);
	EXEC_BR(0xe2, 0x10);                    /* loop +0x10 */
	EQ(ECX, 1);
	EQ(EIP, CODE_ADDR + 2 + 0x10);
	FLAGS(F_OSZAPC, F_ZF);                  /* flags untouched */
	EXEC_BR(0xe2, 0x10);                    /* loop: ECX 1 -> 0, falls through */
	EQ(ECX, 0);
	EQ(EIP, CODE_ADDR + 2);
	EXEC_BR(0xe2, 0x10);                    /* loop: ECX 0 -> 0xffffffff, taken */
	EQ(ECX, 0xffffffff);
	EQ(EIP, CODE_ADDR + 2 + 0x10);
	FLAGS(F_OSZAPC, F_ZF);
}
END_TEST

START_TEST(loop_osize16_truncates)
{
	h_flat32();
	static const uint8_t code[] = { 0x66, 0xe2, 0x10 };   /* loop +0x10 (operand size 16) */
	h_poke_bytes(0x1fff0, code, sizeof code);
	EIP = 0x1fff0;
	ECX = 2;
	h_step();
	EQ(h_vector(), -1);
	EQ(ECX, 1);                             /* the count is ECX: address size 32 */
	EQ(EIP, (0x1fff3 + 0x10) & 0xffff);
}
END_TEST

START_TEST(loope_loopne)
{
	h_flat32();
	ECX = 5;
	h_set_flags(F_ZF);
	EXEC_BR(0xe1, 0x10);                    /* loope: ECX 4, ZF 1: taken */
	EQ(EIP, CODE_ADDR + 0x12);
	EXEC_BR(0xe0, 0x10);                    /* loopne: ZF 1: not taken */
	EQ(EIP, CODE_ADDR + 2);
	EQ(ECX, 3);
	h_set_flags(0);
	EXEC_BR(0xe1, 0x10);                    /* loope: ZF 0: not taken */
	EQ(EIP, CODE_ADDR + 2);
	EXEC_BR(0xe0, 0x10);                    /* loopne: ZF 0: taken */
	EQ(EIP, CODE_ADDR + 0x12);
	EQ(ECX, 1);
	EXEC_BR(0xe0, 0x10);                    /* loopne: ECX becomes 0: not taken */
	EQ(EIP, CODE_ADDR + 2);
	EQ(ECX, 0);
}
END_TEST

START_TEST(loop_address_size16)
{
	h_flat32();
	ECX = 0x00010000;                       /* CX = 0 */
	EXEC_BR(0x67, 0xe2, 0x10);              /* loop (CX) */
	EQ(ECX, 0x0001ffff);
	EQ(EIP, CODE_ADDR + 3 + 0x10);
	h_real_mode();
	ECX = 0xffff0001;                       /* real mode: CX = 1 */
	EXEC_BR(0xe2, 0x10);                    /* loop */
	EQ(ECX, 0xffff0000);
	EQ(EIP, CODE_ADDR + 2);
}
END_TEST

START_TEST(jecxz_jcxz)
{
	h_flat32();
	ECX = 0;
	EXEC_BR(0xe3, 0x20);                    /* jecxz +0x20 */
	EQ(EIP, CODE_ADDR + 2 + 0x20);
	ECX = 0x00010000;
	EXEC_BR(0xe3, 0x20);                    /* jecxz: ECX != 0 */
	EQ(EIP, CODE_ADDR + 2);
	EXEC_BR(0x67, 0xe3, 0x20);              /* jcxz: CX = 0 */
	EQ(EIP, CODE_ADDR + 3 + 0x20);
	EQ(ECX, 0x00010000);                    /* not decremented */
	h_real_mode();
	ECX = 0x00010000;
	EXEC_BR(0xe3, 0x20);                    /* jcxz in real mode */
	EQ(EIP, CODE_ADDR + 2 + 0x20);
}
END_TEST

Suite *branch_suite(void)
{
	Suite *s = suite_create("branch");
	TCase *tc = h_tcase("jcc");
	tcase_add_test(tc, jcc_short_all);
	tcase_add_test(tc, jcc_near_all);
	tcase_add_test(tc, jcc_backward_short);
	tcase_add_test(tc, jcc_osize16_truncates);
	suite_add_tcase(s, tc);

	tc = h_tcase("jmp_call_ret");
	tcase_add_test(tc, jmp_forms);
	tcase_add_test(tc, jmp_osize16_truncates);
	tcase_add_test(tc, jmp_real_mode_ip_wraps);
	tcase_add_test(tc, jmp_beyond_cs_limit_gp);
	tcase_add_test(tc, call_beyond_cs_limit_gp);
	tcase_add_test(tc, call_ret_near32);
	tcase_add_test(tc, ret_imm16);
	tcase_add_test(tc, call_ret_real_mode);
	tcase_add_test(tc, call_osize16_in_32bit_code);
	suite_add_tcase(s, tc);

	tc = h_tcase("loop");
	tcase_add_test(tc, loop_forms);
	tcase_add_test(tc, loop_osize16_truncates);
	tcase_add_test(tc, loope_loopne);
	tcase_add_test(tc, loop_address_size16);
	tcase_add_test(tc, jecxz_jcxz);
	suite_add_tcase(s, tc);
	return s;
}

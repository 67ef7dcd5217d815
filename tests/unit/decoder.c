/*
 * The decoder on hand-picked encodings (decode_buf).  Expected values from the
 * SDM Vol. 2 chapter 2 (instruction format: prefixes, ModR/M and SIB tables
 * 2-1/2-2/2-3, displacement and immediate sizes, the 15-byte limit of 2.3.11),
 * the opcode maps of appendix A (immediate sizes, mandatory prefixes of the SSE
 * forms), the LOCK page of Vol. 2 (lockable instructions, memory destination
 * only, #UD otherwise) and Vol. 3 3.7.4 / Vol. 1 3.7.4 (default segment: SS for
 * a BP/EBP/ESP base, DS otherwise, unless overridden).
 */
#include <string.h>

#include "harness.h"
#include "suites.h"

/* each test declares its own struct insn in; the decoder must fill every field */
static enum decode_status dec(struct insn *in, bool code32, const uint8_t *b, unsigned n)
{
	memset(in, 0xaa, sizeof *in);
	return decode_buf(in, code32, b, n);
}

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define DEC32(...) dec(&in, true, BYTES(__VA_ARGS__))
#define DEC16(...) dec(&in, false, BYTES(__VA_ARGS__))
/* decode OK with the given total length */
#define OK32(n_, ...) do { ck_assert_int_eq(DEC32(__VA_ARGS__), DEC_OK); EQ(in.len, n_); } while (0)
#define OK16(n_, ...) do { ck_assert_int_eq(DEC16(__VA_ARGS__), DEC_OK); EQ(in.len, n_); } while (0)

START_TEST(lengths_with_prefixes)
{
	struct insn in;
	OK32(1, 0x90);                          /* nop */
	EQ(in.npfx, 0);
	OK32(2, 0x66, 0x90);                    /* xchg ax, ax */
	EQ(in.npfx, 1);
	EQ(in.osize, 2);
	OK32(2, 0xf3, 0xa4);                    /* rep movsb */
	EQ(in.rep, 0xf3);
	OK32(4, 0x2e, 0x66, 0x8b, 0x00);        /* mov ax, cs:[eax] */
	EQ(in.npfx, 2);
	EQ(in.osize, 2);
	OK32(6, 0x26, 0x66, 0x67, 0x0f, 0xb6, 0x00); /* movzx ax, byte es:[bx+si] */
	EQ(in.npfx, 3);
	EQ(in.osize, 2);
	EQ(in.asize, 2);
	EQ(in.seg, S_ES);
	EQ(in.map, 1);
	EQ(in.opc, 0xb6);
}
END_TEST

START_TEST(truncated_input_fetch_fails)
{
	struct insn in;
	/* the buffer ends before the ModRM byte / the immediate */
	ck_assert_int_eq(DEC32(0x0f, 0xb6), DEC_FETCH);
	ck_assert_int_eq(DEC32(0xb8, 0x01, 0x02), DEC_FETCH);
}
END_TEST

START_TEST(modrm16)
{
	struct insn in;
	OK16(2, 0x8b, 0x00);                    /* mov ax, [bx+si] */
	EQ(in.ea_base, R_EBX);
	EQ(in.ea_index, R_ESI);
	EQ(in.seg, S_DS);
	OK16(4, 0x8b, 0x06, 0x34, 0x12);        /* mov ax, [0x1234] */
	EQ(in.ea_base, -1);
	EQ(in.disp, 0x1234);
	OK16(3, 0x8b, 0x46, 0xfe);              /* mov ax, [bp-2] */
	EQ(in.ea_base, R_EBP);
	EQ(in.disp, 0xfffffffe);                /* disp8 sign-extended */
	EQ(in.seg, S_SS);
	OK16(4, 0x8b, 0x86, 0x00, 0x80);        /* mov ax, [bp-0x8000] */
	EQ(in.disp, 0xffff8000);
	OK16(2, 0x8b, 0xc0);                    /* mov ax, ax */
	OK16(3, 0x67, 0x8b, 0x00);              /* mov ax, [eax] (32-bit address) */
	EQ(in.asize, 4);
	OK16(4, 0x67, 0x8b, 0x04, 0x24);        /* mov ax, [esp] */
	OK16(7, 0x67, 0x8b, 0x05, 0x00, 0x00, 0x01, 0x00); /* mov ax, [0x10000] */
}
END_TEST

START_TEST(modrm32_sib)
{
	struct insn in;
	OK32(2, 0x8b, 0x00);                    /* mov eax, [eax] */
	OK32(6, 0x8b, 0x05, 0x78, 0x56, 0x34, 0x12); /* mov eax, [0x12345678] */
	EQ(in.ea_base, -1);
	EQ(in.disp, 0x12345678);
	OK32(3, 0x8b, 0x04, 0x24);              /* mov eax, [esp] */
	EQ(in.ea_base, R_ESP);
	EQ(in.ea_index, -1);
	OK32(4, 0x8b, 0x44, 0x24, 0x08);        /* mov eax, [esp+8] */
	EQ(in.disp, 8);
	OK32(7, 0x8b, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00); /* mov eax, [esp+0x100] */
	OK32(7, 0x8b, 0x04, 0x8d, 0x00, 0x10, 0x00, 0x00); /* mov eax, [ecx*4+0x1000] */
	EQ(in.ea_base, -1);
	EQ(in.ea_index, R_ECX);
	EQ(in.ea_scale, 2);
	OK32(7, 0x8b, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12); /* mov eax, [0x12345678] via SIB */
	EQ(in.ea_base, -1);
	EQ(in.ea_index, -1);
	OK32(3, 0x8b, 0x45, 0x00);              /* mov eax, [ebp+0] */
	EQ(in.ea_base, R_EBP);
	OK32(4, 0x8b, 0x44, 0x65, 0x10);        /* mov eax, [ebp+0x10] (SIB, no index) */
	EQ(in.ea_base, R_EBP);
	EQ(in.ea_index, -1);
	OK32(3, 0x8b, 0x04, 0xf3);              /* mov eax, [ebx+esi*8] */
	EQ(in.ea_base, R_EBX);
	EQ(in.ea_index, R_ESI);
	EQ(in.ea_scale, 3);
	OK32(3, 0x66, 0x8b, 0x00);              /* mov ax, [eax] */
	OK32(4, 0x67, 0x8b, 0x46, 0x02);        /* mov eax, [bp+2] (16-bit address) */
	EQ(in.asize, 2);
	EQ(in.ea_base, R_EBP);
}
END_TEST

START_TEST(immediate_sizes)
{
	struct insn in;
	OK32(5, 0xb8, 0x01, 0x02, 0x03, 0x04);  /* mov eax, imm32 */
	EQ(in.imm, 0x04030201);
	OK32(4, 0x66, 0xb8, 0x01, 0x02);        /* mov ax, imm16 */
	EQ(in.imm & 0xffff, 0x0201);
	OK32(6, 0x67, 0xb8, 0x01, 0x02, 0x03, 0x04); /* 0x67 does not change the immediate */
	OK16(3, 0xb8, 0x01, 0x02);              /* mov ax, imm16 */
	OK16(6, 0x66, 0xb8, 0x01, 0x02, 0x03, 0x04); /* mov eax, imm32 */
	OK32(5, 0x05, 0x01, 0x00, 0x00, 0x00);  /* add eax, imm32 */
	OK32(4, 0x66, 0x05, 0x01, 0x00);        /* add ax, imm16 */
	OK32(3, 0x83, 0xc0, 0xff);              /* add eax, imm8 (sign-extended) */
	OK32(5, 0x68, 0x01, 0x00, 0x00, 0x00);  /* push imm32 */
	OK32(4, 0x66, 0x68, 0x01, 0x00);        /* push imm16 */
	OK32(2, 0x6a, 0x80);                    /* push imm8 */
	OK32(5, 0xe8, 0x00, 0x00, 0x00, 0x00);  /* call rel32 */
	OK32(4, 0x66, 0xe8, 0x00, 0x00);        /* call rel16 */
	OK32(3, 0xc2, 0x08, 0x00);              /* ret imm16 */
	OK32(4, 0x66, 0xc2, 0x08, 0x00);        /* ret imm16 (always 16 bits) */
	OK32(4, 0xc8, 0x10, 0x00, 0x01);        /* enter imm16, imm8 */
	EQ(in.imm, 0x10);
	EQ(in.imm2, 0x01);
	OK32(5, 0x66, 0xc8, 0x10, 0x00, 0x01);
	OK32(6, 0x69, 0xc3, 0x01, 0x00, 0x00, 0x00); /* imul eax, ebx, imm32 */
	OK32(5, 0x66, 0x69, 0xc3, 0x01, 0x00);  /* imul ax, bx, imm16 */
	OK32(3, 0x6b, 0xc3, 0x01);              /* imul eax, ebx, imm8 */
	OK32(3, 0xf6, 0xc0, 0x01);              /* test al, imm8 (F6 /0 has an immediate) */
	OK32(2, 0xf6, 0xd0);                    /* not al (F6 /2 has none) */
	OK32(6, 0xf7, 0xc0, 0x01, 0x00, 0x00, 0x00); /* test eax, imm32 */
	OK32(7, 0xea, 0x00, 0x10, 0x00, 0x00, 0x08, 0x00); /* jmp far ptr16:32 */
	EQ(in.imm, 0x1000);
	EQ(in.imm2, 0x0008);
	OK32(6, 0x66, 0xea, 0x00, 0x10, 0x08, 0x00); /* jmp far ptr16:16 */
	OK16(5, 0xea, 0x00, 0x10, 0x00, 0xf0);  /* jmp far ptr16:16 */
	OK32(7, 0xc7, 0x40, 0x04, 0x01, 0x00, 0x00, 0x00); /* mov dword [eax+4], imm32 */
	OK32(11, 0xc7, 0x84, 0x24, 0, 0, 0, 0, 1, 2, 3, 4); /* mov dword [esp+disp32], imm32 */
}
END_TEST

START_TEST(moffs_address_size)
{
	struct insn in;
	OK32(5, 0xa1, 0x00, 0x20, 0x00, 0x00);  /* mov eax, [moffs32] */
	EQ(in.disp, 0x2000);
	OK32(4, 0x67, 0xa1, 0x00, 0x20);        /* mov eax, [moffs16] */
	EQ(in.disp, 0x2000);
	OK32(6, 0x66, 0xa1, 0x00, 0x20, 0x00, 0x00); /* mov ax, [moffs32] */
	OK16(3, 0xa2, 0x00, 0x20);              /* mov [moffs16], al */
	OK16(6, 0x67, 0xa2, 0x00, 0x20, 0x00, 0x00); /* mov [moffs32], al */
}
END_TEST

START_TEST(fifteen_byte_limit)
{
	struct insn in;
	uint8_t b[20];
	memset(b, 0x66, sizeof b);
	b[14] = 0x90;                           /* 14 prefixes + NOP = 15 bytes */
	ck_assert_int_eq(dec(&in, true, b, 15), DEC_OK);
	EQ(in.len, 15);
	memset(b, 0x66, sizeof b);
	b[15] = 0x90;                           /* 15 prefixes + NOP = 16 bytes */
	ck_assert_int_eq(dec(&in, true, b, 16), DEC_TOOLONG);
	/* 4 prefixes + an 11-byte instruction = 15: valid; 5 prefixes: too long */
	static const uint8_t mov11[] = { 0xc7, 0x84, 0x24, 0, 0, 0, 0, 1, 2, 3, 4 };
	memset(b, 0x26, 5);
	memcpy(b + 4, mov11, sizeof mov11);
	ck_assert_int_eq(dec(&in, true, b, 15), DEC_OK);
	EQ(in.len, 15);
	memcpy(b + 5, mov11, sizeof mov11);
	b[4] = 0x26;
	ck_assert_int_eq(dec(&in, true, b, 16), DEC_TOOLONG);
}
END_TEST

START_TEST(lock_rules)
{
	struct insn in;
	ck_assert_int_eq(DEC32(0xf0, 0x01, 0x00), DEC_OK);   /* lock add [eax], eax */
	EQ(in.pfx & PFX_LOCK, PFX_LOCK);
	ck_assert_int_eq(DEC32(0xf0, 0x01, 0xc0), DEC_UD);   /* lock add eax, eax */
	ck_assert_int_eq(DEC32(0xf0, 0x90), DEC_UD);         /* lock nop */
	ck_assert_int_eq(DEC32(0xf0, 0x8b, 0x00), DEC_UD);   /* lock mov eax, [eax] */
	ck_assert_int_eq(DEC32(0xf0, 0x39, 0x00), DEC_UD);   /* lock cmp [eax], eax */
	ck_assert_int_eq(DEC32(0xf0, 0x80, 0x38, 0x01), DEC_UD); /* lock cmp byte [eax], 1 */
	ck_assert_int_eq(DEC32(0xf0, 0x0f, 0xa3, 0x00), DEC_UD); /* lock bt [eax], eax */
	ck_assert_int_eq(DEC32(0xf0, 0x0f, 0xab, 0x00), DEC_OK); /* lock bts [eax], eax */
	ck_assert_int_eq(DEC32(0xf0, 0x0f, 0xba, 0x38, 0x01), DEC_OK); /* lock btc [eax], 1 */
	ck_assert_int_eq(DEC32(0xf0, 0x87, 0x00), DEC_OK);   /* lock xchg [eax], eax */
	ck_assert_int_eq(DEC32(0xf0, 0xff, 0x00), DEC_OK);   /* lock inc dword [eax] */
	ck_assert_int_eq(DEC32(0xf0, 0xff, 0x20), DEC_UD);   /* lock jmp [eax] */
	ck_assert_int_eq(DEC32(0xf0, 0xf7, 0x18), DEC_OK);   /* lock neg dword [eax] */
	ck_assert_int_eq(DEC32(0xf0, 0xf7, 0x00, 1, 0, 0, 0), DEC_UD); /* lock test [eax], 1 */
	ck_assert_int_eq(DEC32(0xf0, 0x0f, 0xc7, 0x0f), DEC_OK); /* lock cmpxchg8b [edi] */
	ck_assert_int_eq(DEC32(0xf0, 0x0f, 0xb1, 0x08), DEC_OK); /* lock cmpxchg [eax], ecx */
	ck_assert_int_eq(DEC32(0xf0, 0x0f, 0xc1, 0xc8), DEC_UD); /* lock xadd eax, ecx */
	ck_assert_int_eq(DEC32(0x66, 0xf0, 0x83, 0x00, 0x01), DEC_OK); /* lock add word [eax], 1 */
}
END_TEST

START_TEST(lock_executes_ud)
{
	h_flat32();
	EXPECT_FAULT(EX_UD, 0xf0, 0x01, 0xc0);  /* lock add eax, eax: #UD */
	h_flat32();
	EAX = DATA_ADDR;
	h_poke(DATA_ADDR, 4, 1);
	EXEC(0xf0, 0x01, 0x00);                 /* lock add [eax], eax */
	EQ(h_peek(DATA_ADDR, 4), DATA_ADDR + 1);
}
END_TEST

START_TEST(invalid_opcodes)
{
	struct insn in;
	ck_assert_int_eq(DEC32(0x0f, 0x0b), DEC_UD);         /* ud2 */
	EQ(in.op, op_UD2);
	EQ(in.len, 2);
	ck_assert_int_eq(DEC32(0x0f, 0xff, 0xc0), DEC_UD);   /* ud0 */
	ck_assert_int_eq(DEC32(0x0f, 0x04), DEC_UD);         /* no such opcode on a P6 */
	ck_assert_int_eq(DEC32(0x8d, 0xc0), DEC_UD);         /* lea eax, eax: source must be memory */
	ck_assert_int_eq(DEC32(0xff, 0xff), DEC_UD);         /* FF /7 */
	ck_assert_int_eq(DEC32(0x0f, 0xc7, 0xc8), DEC_UD);   /* cmpxchg8b with a register */
	ck_assert_int_eq(DEC16(0x0f, 0x0b), DEC_UD);
}
END_TEST

START_TEST(too_long_executes_gp)
{
	/* 15 prefixes + NOP: 16 bytes, #GP (real mode: no error code) */
	uint8_t b[16];
	memset(b, 0x66, 15);
	b[15] = 0x90;
	h_code(b, sizeof b);
	h_step();
	EQ(h_vector(), EX_GP);
	EQ(h_peek(STACK_TOP - 6, 2), CODE_ADDR);
}
END_TEST

START_TEST(ud2_executes_ud)
{
	EXPECT_FAULT(EX_UD, 0x0f, 0x0b);        /* ud2 (real mode) */
	EQ(h_peek(STACK_TOP - 6, 2), CODE_ADDR); /* fault: IP of the UD2 */
}
END_TEST

START_TEST(segment_selection)
{
	struct insn in;
	DEC32(0x26, 0x8b, 0x00);                /* mov eax, es:[eax] */
	EQ(in.seg, S_ES);
	EQ(in.segovr, S_ES);
	DEC32(0x8b, 0x00);                      /* mov eax, [eax] */
	EQ(in.seg, S_DS);
	EQ(in.segovr, S_NONE);
	DEC32(0x8b, 0x45, 0x00);                /* mov eax, [ebp] */
	EQ(in.seg, S_SS);
	DEC32(0x3e, 0x8b, 0x45, 0x00);          /* mov eax, ds:[ebp] */
	EQ(in.seg, S_DS);
	DEC32(0x64, 0x8b, 0x04, 0x24);          /* mov eax, fs:[esp] */
	EQ(in.seg, S_FS);
	DEC32(0x8b, 0x04, 0x24);                /* mov eax, [esp] */
	EQ(in.seg, S_SS);
	DEC32(0x8b, 0x04, 0x68);                /* mov eax, [eax+ebp*2]: base EAX */
	EQ(in.seg, S_DS);
	DEC32(0x8b, 0x04, 0x2c);                /* mov eax, [esp+ebp]: base ESP */
	EQ(in.seg, S_SS);
	DEC32(0x8b, 0x04, 0x2d, 0, 0, 0, 0);    /* mov eax, [ebp*1+disp32]: no base */
	EQ(in.seg, S_DS);
	DEC32(0x8b, 0x05, 0, 0, 0, 0);          /* mov eax, [disp32] */
	EQ(in.seg, S_DS);
	DEC32(0x65, 0x8b, 0x05, 0, 0, 0, 0);    /* mov eax, gs:[disp32] */
	EQ(in.seg, S_GS);
	DEC16(0x8b, 0x02);                      /* mov ax, [bp+si] */
	EQ(in.seg, S_SS);
	DEC16(0x8b, 0x03);                      /* mov ax, [bp+di] */
	EQ(in.seg, S_SS);
	DEC16(0x8b, 0x46, 0x00);                /* mov ax, [bp] */
	EQ(in.seg, S_SS);
	DEC16(0x8b, 0x06, 0, 0);                /* mov ax, [disp16] */
	EQ(in.seg, S_DS);
	DEC16(0x8b, 0x00);                      /* mov ax, [bx+si] */
	EQ(in.seg, S_DS);
	DEC16(0x2e, 0x8b, 0x02);                /* mov ax, cs:[bp+si] */
	EQ(in.seg, S_CS);
	DEC16(0x36, 0xa4);                      /* movsb with SS source */
	EQ(in.seg, S_SS);
	DEC16(0xa4);                            /* movsb */
	EQ(in.seg, S_DS);
}
END_TEST

START_TEST(mandatory_prefix_sse)
{
	struct insn in;
	DEC32(0x0f, 0x58, 0xc1);
	ck_assert_str_eq(opinfo[in.op].mnem, "addps");
	DEC32(0x66, 0x0f, 0x58, 0xc1);
	ck_assert_str_eq(opinfo[in.op].mnem, "addpd");
	DEC32(0xf3, 0x0f, 0x58, 0xc1);
	ck_assert_str_eq(opinfo[in.op].mnem, "addss");
	DEC32(0xf2, 0x0f, 0x58, 0xc1);
	ck_assert_str_eq(opinfo[in.op].mnem, "addsd");
	DEC32(0x0f, 0x10, 0x00);
	ck_assert_str_eq(opinfo[in.op].mnem, "movups");
	DEC32(0x66, 0x0f, 0x10, 0x00);
	ck_assert_str_eq(opinfo[in.op].mnem, "movupd");
	DEC32(0xf3, 0x0f, 0x10, 0x00);
	ck_assert_str_eq(opinfo[in.op].mnem, "movss");
	DEC32(0xf2, 0x0f, 0x10, 0x00);
	ck_assert_str_eq(opinfo[in.op].mnem, "movsd");
	DEC32(0x0f, 0x6f, 0xc1);
	ck_assert_str_eq(opinfo[in.op].mnem, "movq");
	DEC32(0x66, 0x0f, 0x6f, 0xc1);
	ck_assert_str_eq(opinfo[in.op].mnem, "movdqa");
	DEC32(0xf3, 0x0f, 0x6f, 0xc1);
	ck_assert_str_eq(opinfo[in.op].mnem, "movdqu");
	/* a mandatory 66 does not change the size of the ModRM displacement */
	OK32(8, 0x66, 0x0f, 0x58, 0x80, 0x00, 0x01, 0x00, 0x00); /* addpd xmm0, [eax+0x100] */
}
END_TEST

Suite *decoder_suite(void)
{
	Suite *s = suite_create("decoder");
	TCase *tc = h_tcase("decoder");
	tcase_add_test(tc, lengths_with_prefixes);
	tcase_add_test(tc, truncated_input_fetch_fails);
	tcase_add_test(tc, modrm16);
	tcase_add_test(tc, modrm32_sib);
	tcase_add_test(tc, immediate_sizes);
	tcase_add_test(tc, moffs_address_size);
	tcase_add_test(tc, fifteen_byte_limit);
	tcase_add_test(tc, lock_rules);
	tcase_add_test(tc, lock_executes_ud);
	tcase_add_test(tc, invalid_opcodes);
	tcase_add_test(tc, ud2_executes_ud);
	tcase_add_test(tc, too_long_executes_gp);
	tcase_add_test(tc, segment_selection);
	tcase_add_test(tc, mandatory_prefix_sse);
	suite_add_tcase(s, tc);
	return s;
}

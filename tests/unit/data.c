/*
 * Data movement: SDM Vol. 2 "MOV", "MOVZX", "MOVSX", "XCHG", "XADD", "CMPXCHG",
 * "CMPXCHG8B", "BSWAP", "LEA", "CBW/CWDE", "CWD/CDQ", "PUSH", "POP",
 * "PUSHA/PUSHAD", "POPA/POPAD", "ENTER", "LEAVE", "XLAT", "LAHF", "SAHF",
 * "SETcc", "CMOVcc"; the condition codes from Vol. 1 appendix B (table B-1).
 */
#include "harness.h"
#include "suites.h"

/* ---- MOV ---- */
START_TEST(mov_forms)
{
	h_flat32();
	h_set_flags(F_OSZAPC);
	EBX = 0x12345678;
	EXEC(0x88, 0xd8);                       /* mov al, bl */
	EQ(EAX, 0x78);
	EXEC(0xb4, 0x5a);                       /* mov ah, 0x5a */
	EQ(EAX, 0x5a78);
	EXEC(0x66, 0xb9, 0x34, 0x12);           /* mov cx, 0x1234 */
	EQ(ECX, 0x1234);
	EXEC(0xbf, 0x44, 0x33, 0x22, 0x11);     /* mov edi, 0x11223344 */
	EQ(EDI, 0x11223344);
	EBX = DATA_ADDR;
	ECX = 2;
	EAX = 0xcafef00d;
	EXEC(0x89, 0x44, 0x8b, 0x08);           /* mov [ebx+ecx*4+8], eax */
	EQ(h_peek(DATA_ADDR + 16, 4), 0xcafef00d);
	EXEC(0x8b, 0x53, 0x10);                 /* mov edx, [ebx+0x10] */
	EQ(EDX, 0xcafef00d);
	EXEC(0xa1, 0x10, 0x20, 0x00, 0x00);     /* mov eax, [0x2010] */
	EQ(EAX, 0xcafef00d);
	EXEC(0xa2, 0x00, 0x20, 0x00, 0x00);     /* mov [0x2000], al */
	EQ(h_peek(DATA_ADDR, 1), 0x0d);
	EXEC(0xc7, 0x05, 0x08, 0x20, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12); /* mov dword [0x2008], 0x12345678 */
	EQ(h_peek(DATA_ADDR + 8, 4), 0x12345678);
	FLAGS(F_OSZAPC, F_OSZAPC);              /* MOV affects no flag */
}
END_TEST

START_TEST(mov_real_mode)
{
	EXEC(0xc6, 0x06, 0x10, 0x20, 0xab);     /* mov byte [0x2010], 0xab */
	EQ(h_peek(0x2010, 1), 0xab);
	EAX = 0xffff0000;
	EXEC(0xa1, 0x10, 0x20);                 /* mov ax, [0x2010] */
	EQ(EAX, 0xffff00ab);
}
END_TEST

START_TEST(movzx_movsx)
{
	h_flat32();
	EBX = 0x8080;
	EXEC(0x0f, 0xb6, 0xc3);                 /* movzx eax, bl */
	EQ(EAX, 0x80);
	EXEC(0x0f, 0xbe, 0xc3);                 /* movsx eax, bl */
	EQ(EAX, 0xffffff80);
	EBX = 0x8000;
	EXEC(0x0f, 0xb7, 0xc3);                 /* movzx eax, bx */
	EQ(EAX, 0x8000);
	EXEC(0x0f, 0xbf, 0xc3);                 /* movsx eax, bx */
	EQ(EAX, 0xffff8000);
	EAX = 0x12340000;
	EBX = 0x80;
	EXEC(0x66, 0x0f, 0xbe, 0xc3);           /* movsx ax, bl */
	EQ(EAX, 0x1234ff80);
	h_poke(DATA_ADDR, 2, 0xfffe);
	EXEC(0x0f, 0xbf, 0x0d, 0x00, 0x20, 0x00, 0x00); /* movsx ecx, word [0x2000] */
	EQ(ECX, 0xfffffffe);
}
END_TEST

START_TEST(xchg_forms)
{
	h_flat32();
	EAX = 1;
	EBX = 2;
	EXEC(0x93);                             /* xchg eax, ebx */
	EQ(EAX, 2);
	EQ(EBX, 1);
	EXEC(0x87, 0xd8);                       /* xchg eax, ebx */
	EQ(EAX, 1);
	EQ(EBX, 2);
	h_poke(DATA_ADDR, 4, 0x11223344);
	EBX = DATA_ADDR;
	EAX = 0xaabbccdd;
	EXEC(0x86, 0x03);                       /* xchg [ebx], al */
	EQ(EAX, 0xaabbcc44);
	EQ(h_peek(DATA_ADDR, 4), 0x112233dd);
}
END_TEST

START_TEST(xadd)
{
	h_flat32();
	EAX = 0xffffffff;
	EBX = 1;
	EXEC(0x0f, 0xc1, 0xd8);                 /* xadd eax, ebx */
	EQ(EAX, 0);                             /* TEMP := SRC + DEST; SRC := DEST; DEST := TEMP */
	EQ(EBX, 0xffffffff);
	FLAGS(F_OSZAPC, F_CF | F_ZF | F_AF | F_PF);
	h_poke(DATA_ADDR, 1, 0x7f);
	EBX = DATA_ADDR;
	EAX = 1;
	EXEC(0x0f, 0xc0, 0x03);                 /* xadd [ebx], al */
	EQ(h_peek(DATA_ADDR, 1), 0x80);
	EQ(EAX, 0x7f);
	FLAGS(F_OSZAPC, F_OF | F_SF | F_AF);
}
END_TEST

START_TEST(cmpxchg_equal)
{
	h_flat32();
	EAX = 5;
	EBX = 5;
	ECX = 9;
	EXEC(0x0f, 0xb1, 0xcb);                 /* cmpxchg ebx, ecx */
	EQ(EBX, 9);
	EQ(EAX, 5);
	FLAGS(F_OSZAPC, F_ZF | F_PF);           /* flags as CMP EAX, dest */
	h_poke(DATA_ADDR, 4, 0x1234);
	EAX = 0x1234;
	EBX = DATA_ADDR;
	EXEC(0x0f, 0xb1, 0x0b);                 /* cmpxchg [ebx], ecx */
	EQ(h_peek(DATA_ADDR, 4), 9);
	FLAGS(F_ZF, F_ZF);
}
END_TEST

START_TEST(cmpxchg_not_equal)
{
	h_flat32();
	EAX = 5;
	EBX = 7;
	ECX = 9;
	EXEC(0x0f, 0xb1, 0xcb);                 /* cmpxchg ebx, ecx */
	EQ(EBX, 7);
	EQ(EAX, 7);                             /* dest loaded into the accumulator */
	FLAGS(F_OSZAPC, F_CF | F_SF | F_AF);    /* 5 - 7 = 0xfffffffe */
	EAX = 0x11;
	EBX = 0x22;
	EXEC(0x0f, 0xb0, 0xcb);                 /* cmpxchg bl, cl */
	EQ(EAX, 0x22);
	EQ(EBX, 0x22);
	FLAGS(F_ZF | F_CF, F_CF);
}
END_TEST

START_TEST(cmpxchg8b_equal)
{
	h_flat32();
	h_poke(DATA_ADDR, 4, 0x22222222);
	h_poke(DATA_ADDR + 4, 4, 0x11111111);
	EDI = DATA_ADDR;
	EDX = 0x11111111;
	EAX = 0x22222222;
	ECX = 0xcccccccc;
	EBX = 0xbbbbbbbb;
	EXEC(0x0f, 0xc7, 0x0f);                 /* cmpxchg8b [edi] */
	EQ(h_peek(DATA_ADDR, 4), 0xbbbbbbbb);
	EQ(h_peek(DATA_ADDR + 4, 4), 0xcccccccc);
	EQ(EDX, 0x11111111);
	EQ(EAX, 0x22222222);
	FLAGS(F_ZF, F_ZF);
}
END_TEST

START_TEST(cmpxchg8b_not_equal)
{
	h_flat32();
	h_poke(DATA_ADDR, 4, 0x22222222);
	h_poke(DATA_ADDR + 4, 4, 0x11111111);
	EDI = DATA_ADDR;
	EDX = 0x11111111;
	EAX = 0x22222223;
	ECX = 0xcccccccc;
	EBX = 0xbbbbbbbb;
	h_set_flags(F_ZF);
	EXEC(0x0f, 0xc7, 0x0f);                 /* cmpxchg8b [edi] */
	EQ(h_peek(DATA_ADDR, 4), 0x22222222);
	EQ(h_peek(DATA_ADDR + 4, 4), 0x11111111);
	EQ(EDX, 0x11111111);
	EQ(EAX, 0x22222222);
	FLAGS(F_ZF, 0);
	/* only ZF is affected: CF PF AF SF OF keep their values */
	h_set_flags(F_CF | F_PF | F_AF | F_SF | F_OF);
	EXEC(0x0f, 0xc7, 0x0f);                 /* cmpxchg8b [edi]: now equal */
	FLAGS(F_OSZAPC, F_OSZAPC);
	EQ(h_peek(DATA_ADDR, 4), 0xbbbbbbbb);
}
END_TEST

START_TEST(cmpxchg8b_register_ud)
{
	h_flat32();
	/* "If the destination operand is not a memory location": #UD */
	EXPECT_FAULT(EX_UD, 0x0f, 0xc7, 0xc8);  /* cmpxchg8b eax (invalid) */
}
END_TEST

START_TEST(bswap)
{
	h_flat32();
	EAX = 0x12345678;
	EXEC(0x0f, 0xc8);                       /* bswap eax */
	EQ(EAX, 0x78563412);
	EBP = 0xaabbccdd;
	EXEC(0x0f, 0xcd);                       /* bswap ebp */
	EQ(EBP, 0xddccbbaa);
}
END_TEST

/* ---- LEA (SDM "LEA" table 3-54 for the operand/address size combinations) ---- */
START_TEST(lea32)
{
	h_flat32();
	h_set_flags(F_CF | F_ZF);
	EBX = 0x1000;
	ECX = 0x10;
	EXEC(0x8d, 0x44, 0x8b, 0x08);           /* lea eax, [ebx+ecx*4+8] */
	EQ(EAX, 0x1048);
	EXEC(0x8d, 0x04, 0x0d, 0x00, 0x10, 0x00, 0x00); /* lea eax, [ecx*1+0x1000] */
	EQ(EAX, 0x1010);
	EXEC(0x8d, 0x04, 0x63);                 /* lea eax, [ebx] (SIB index 100: none) */
	EQ(EAX, 0x1000);
	EXEC(0x8d, 0x05, 0x78, 0x56, 0x34, 0x12); /* lea eax, [0x12345678] */
	EQ(EAX, 0x12345678);
	ESP = 0x7ff0;
	EXEC(0x8d, 0x4c, 0x24, 0xfc);           /* lea ecx, [esp-4] */
	EQ(ECX, 0x7fec);
	EBX = 0xffffffff;
	EXEC(0x8d, 0x43, 0x02);                 /* lea eax, [ebx+2]: wraps at 2^32 */
	EQ(EAX, 1);
	EBP = 0x100;
	ESI = 0x3;
	EXEC(0x8d, 0x84, 0xf5, 0x00, 0x01, 0x00, 0x00); /* lea eax, [ebp+esi*8+0x100] */
	EQ(EAX, 0x218);
	FLAGS(F_OSZAPC, F_CF | F_ZF);           /* LEA affects no flag */
}
END_TEST

START_TEST(lea16_real_mode)
{
	EBX = 0;
	ESI = 0;
	EAX = 0xabcd0000;
	EXEC(0x8d, 0x40, 0xff);                 /* lea ax, [bx+si-1]: 16-bit wrap */
	EQ(EAX, 0xabcdffff);
	EBP = 0x1000;
	ESI = 0x0234;
	EXEC(0x8d, 0x42, 0x10);                 /* lea ax, [bp+si+0x10] */
	EQ(EAX, 0xabcd1244);
	EXEC(0x8d, 0x06, 0x34, 0x12);           /* lea ax, [0x1234] */
	EQ(EAX, 0xabcd1234);
	EDI = 0xfff0;
	EXEC(0x8d, 0x85, 0x20, 0x00);           /* lea ax, [di+0x20] */
	EQ(EAX, 0xabcd0010);
}
END_TEST

START_TEST(lea_size_prefixes)
{
	h_flat32();
	EBX = 0x1fff0;
	ESI = 0x20;
	EAX = 0xffffffff;
	/* 32-bit operand, 16-bit address: the 16-bit address zero-extended */
	EXEC(0x67, 0x8d, 0x00);                 /* lea eax, [bx+si] */
	EQ(EAX, 0x00000010);
	/* 16-bit operand, 32-bit address: the low 16 bits of the address */
	EBX = 0x12345678;
	ECX = 1;
	EAX = 0xaaaaaaaa;
	EXEC(0x66, 0x8d, 0x04, 0x8b);           /* lea ax, [ebx+ecx*4] */
	EQ(EAX, 0xaaaa567c);
}
END_TEST

/* ---- CBW CWDE CWD CDQ ---- */
START_TEST(cbw_cwde_cwd_cdq)
{
	EAX = 0x12345680;
	EXEC(0x98);                             /* cbw (real mode) */
	EQ(EAX, 0x1234ff80);
	EAX = 0x8000;
	EDX = 0x12345678;
	EXEC(0x99);                             /* cwd */
	EQ(EDX, 0x1234ffff);
	EQ(EAX, 0x8000);
	h_flat32();
	EAX = 0x00008000;
	EXEC(0x98);                             /* cwde */
	EQ(EAX, 0xffff8000);
	EAX = 0x0000007f;
	EXEC(0x66, 0x98);                       /* cbw */
	EQ(EAX, 0x0000007f);
	EDX = 0x5555;
	EAX = 0x80000000;
	EXEC(0x99);                             /* cdq */
	EQ(EDX, 0xffffffff);
	EAX = 0x7fffffff;
	EXEC(0x99);                             /* cdq */
	EQ(EDX, 0);
}
END_TEST

/* ---- PUSH / POP ---- */
START_TEST(push_pop_basic)
{
	h_flat32();
	EAX = 0x11223344;
	EXEC(0x50);                             /* push eax */
	EQ(ESP, STACK_TOP - 4);
	EQ(h_peek(STACK_TOP - 4, 4), 0x11223344);
	EXEC(0x66, 0x53);                       /* push bx */
	EQ(ESP, STACK_TOP - 6);
	EXEC(0x6a, 0xff);                       /* push -1 (imm8 sign-extended) */
	EQ(ESP, STACK_TOP - 10);
	EQ(h_peek(STACK_TOP - 10, 4), 0xffffffff);
	EXEC(0x59);                             /* pop ecx */
	EQ(ECX, 0xffffffff);
	EXEC(0x66, 0x5a);                       /* pop dx */
	EXEC(0x5d);                             /* pop ebp */
	EQ(EBP, 0x11223344);
	EQ(ESP, STACK_TOP);
	h_poke(DATA_ADDR, 4, 0xfeedface);
	EXEC(0xff, 0x35, 0x00, 0x20, 0x00, 0x00); /* push dword [0x2000] */
	EQ(h_peek(STACK_TOP - 4, 4), 0xfeedface);
	EXEC(0x8f, 0x05, 0x04, 0x20, 0x00, 0x00); /* pop dword [0x2004] */
	EQ(h_peek(DATA_ADDR + 4, 4), 0xfeedface);
	EQ(ESP, STACK_TOP);
}
END_TEST

START_TEST(push_esp_pop_esp)
{
	h_flat32();
	EXEC(0x54);                             /* push esp: the value before the push */
	EQ(h_peek(STACK_TOP - 4, 4), STACK_TOP);
	EQ(ESP, STACK_TOP - 4);
	h_poke(STACK_TOP - 4, 4, 0x00006000);
	EXEC(0x5c);                             /* pop esp: ESP := the popped value */
	EQ(ESP, 0x6000);
}
END_TEST

START_TEST(pop_mem_esp_base)
{
	h_flat32();
	ESP = 0x7ff0;
	h_poke(0x7ff0, 4, 0xabcdef01);
	h_poke(0x7ff4, 4, 0);
	/* SDM "POP": with ESP as the base, the address is computed after ESP is incremented */
	EXEC(0x8f, 0x04, 0x24);                 /* pop dword [esp] */
	EQ(ESP, 0x7ff4);
	EQ(h_peek(0x7ff4, 4), 0xabcdef01);
}
END_TEST

START_TEST(push_real_mode_sp_wrap)
{
	ESP = 0x00000000;
	EAX = 0xbeef;
	EXEC(0x50);                             /* push ax: SP 0 -> 0xfffe */
	EQ(ESP, 0x0000fffe);
	EQ(h_peek(0xfffe, 2), 0xbeef);
	EXEC(0x5b);                             /* pop bx */
	EQ(EBX, 0xbeef);
	EQ(ESP, 0);
}
END_TEST

START_TEST(pusha_popa32)
{
	h_flat32();
	EAX = 0xa; ECX = 0xc; EDX = 0xd; EBX = 0xb; EBP = 0xbb; ESI = 0x51; EDI = 0xd1;
	EXEC(0x60);                             /* pushad */
	EQ(ESP, STACK_TOP - 32);
	EQ(h_peek(STACK_TOP - 4, 4), 0xa);      /* EAX */
	EQ(h_peek(STACK_TOP - 8, 4), 0xc);      /* ECX */
	EQ(h_peek(STACK_TOP - 12, 4), 0xd);     /* EDX */
	EQ(h_peek(STACK_TOP - 16, 4), 0xb);     /* EBX */
	EQ(h_peek(STACK_TOP - 20, 4), STACK_TOP); /* original ESP */
	EQ(h_peek(STACK_TOP - 24, 4), 0xbb);    /* EBP */
	EQ(h_peek(STACK_TOP - 28, 4), 0x51);    /* ESI */
	EQ(h_peek(STACK_TOP - 32, 4), 0xd1);    /* EDI */
	EAX = ECX = EDX = EBX = EBP = ESI = EDI = 0;
	h_poke(STACK_TOP - 20, 4, 0x12345678);  /* the ESP slot is discarded */
	EXEC(0x61);                             /* popad */
	EQ(ESP, STACK_TOP);
	EQ(EAX, 0xa); EQ(ECX, 0xc); EQ(EDX, 0xd); EQ(EBX, 0xb);
	EQ(EBP, 0xbb); EQ(ESI, 0x51); EQ(EDI, 0xd1);
}
END_TEST

START_TEST(pusha_popa16)
{
	EAX = 0x1111000a; ECX = 0x2222000c; EBP = 0x33330bb0;
	EXEC(0x60);                             /* pusha (real mode) */
	EQ(ESP, STACK_TOP - 16);
	EQ(h_peek(STACK_TOP - 2, 2), 0x000a);
	EQ(h_peek(STACK_TOP - 4, 2), 0x000c);
	EQ(h_peek(STACK_TOP - 10, 2), STACK_TOP);
	EQ(h_peek(STACK_TOP - 12, 2), 0x0bb0);
	h_poke(STACK_TOP - 2, 2, 0x5555);
	EXEC(0x61);                             /* popa */
	EQ(EAX, 0x11115555);                    /* upper halves untouched */
	EQ(EBP, 0x33330bb0);
	EQ(ESP, STACK_TOP);
}
END_TEST

/* ---- ENTER / LEAVE (SDM "ENTER" Operation) ---- */
START_TEST(enter_level0_leave)
{
	h_flat32();
	EBP = 0x7100;
	EXEC(0xc8, 0x10, 0x00, 0x00);           /* enter 0x10, 0 */
	EQ(h_peek(0x7ffc, 4), 0x7100);
	EQ(EBP, 0x7ffc);
	EQ(ESP, 0x7ffc - 0x10);
	EXEC(0xc9);                             /* leave */
	EQ(ESP, STACK_TOP);
	EQ(EBP, 0x7100);
}
END_TEST

START_TEST(enter_level1)
{
	h_flat32();
	EBP = 0x7100;
	EXEC(0xc8, 0x08, 0x00, 0x01);           /* enter 8, 1 */
	EQ(h_peek(0x7ffc, 4), 0x7100);          /* Push(EBP) */
	EQ(h_peek(0x7ff8, 4), 0x7ffc);          /* Push(FrameTemp) */
	EQ(EBP, 0x7ffc);
	EQ(ESP, 0x7ff8 - 8);
}
END_TEST

START_TEST(enter_level3)
{
	h_flat32();
	EBP = 0x7100;
	h_poke(0x70fc, 4, 0xaaaa1111);
	h_poke(0x70f8, 4, 0xbbbb2222);
	EXEC(0xc8, 0x04, 0x00, 0x03);           /* enter 4, 3 */
	EQ(h_peek(0x7ffc, 4), 0x7100);          /* old EBP */
	EQ(h_peek(0x7ff8, 4), 0xaaaa1111);      /* [EBP - 4] */
	EQ(h_peek(0x7ff4, 4), 0xbbbb2222);      /* [EBP - 8] */
	EQ(h_peek(0x7ff0, 4), 0x7ffc);          /* FrameTemp */
	EQ(EBP, 0x7ffc);
	EQ(ESP, 0x7ff0 - 4);
	EXEC(0xc9);                             /* leave */
	EQ(ESP, STACK_TOP);
	EQ(EBP, 0x7100);
}
END_TEST

START_TEST(enter_level2_real_mode)
{
	EBP = 0x7100;
	h_poke(0x70fe, 2, 0x1111);
	EXEC(0xc8, 0x04, 0x00, 0x02);           /* enter 4, 2 (16-bit) */
	EQ(h_peek(0x7ffe, 2), 0x7100);
	EQ(h_peek(0x7ffc, 2), 0x1111);          /* [BP - 2] */
	EQ(h_peek(0x7ffa, 2), 0x7ffe);          /* FrameTemp */
	EQ(EBP, 0x7ffe);
	EQ(ESP, 0x7ffa - 4);
}
END_TEST

/* ---- XLAT, LAHF, SAHF ---- */
START_TEST(xlat)
{
	h_flat32();
	EBX = DATA_ADDR;
	h_poke(DATA_ADDR + 0xf0, 1, 0x5a);
	EAX = 0x123456f0;
	EXEC(0xd7);                             /* xlatb: AL := [EBX + AL] */
	EQ(EAX, 0x1234565a);
	EBX = 0x10000000 | DATA_ADDR;           /* 16-bit address: BX only */
	EAX = 0xf0;
	EXEC(0x67, 0xd7);                       /* xlatb (address size 16) */
	EQ(EAX, 0x5a);
}
END_TEST

START_TEST(lahf_sahf)
{
	h_set_flags(F_SF | F_PF | F_CF | F_OF);
	EAX = 0;
	EXEC(0x9f);                             /* lahf: AH := SF:ZF:0:AF:0:PF:1:CF */
	EQ(EAX, 0x8700);
	EAX = 0xff00;
	h_set_flags(0);
	EXEC(0x9e);                             /* sahf */
	FLAGS(F_OSZAPC, F_SF | F_ZF | F_AF | F_PF | F_CF);   /* OF not affected */
	EQ(CPU->eflags & 0x2a, 0x02);           /* bits 1, 3, 5 keep their fixed values */
	EAX = 0x0000;
	h_set_flags(F_OSZAPC);
	EXEC(0x9e);                             /* sahf */
	FLAGS(F_OSZAPC, F_OF);
}
END_TEST

/* ---- SETcc / CMOVcc: every condition against every OF CF ZF SF PF combination ---- */
START_TEST(setcc_all)
{
	h_flat32();
	for (unsigned cc = 0; cc < 16; cc++) {
		for (unsigned i = 0; i < 32; i++) {
			uint8_t code[] = { 0x0f, (uint8_t)(0x90 + cc), 0xc0 };  /* setcc al */
			EAX = 0xffffff55;
			h_set_flags(flag_combo(i));
			h_exec(code, sizeof code, __FILE__, __LINE__);
			ck_assert_msg(EAX == (0xffffff00u | sdm_cond(cc, flag_combo(i))),
				      "setcc %x flags %x: EAX %x", cc, flag_combo(i), EAX);
			FLAGS(F_OSZAPC, flag_combo(i));
		}
	}
}
END_TEST

START_TEST(setcc_mem)
{
	h_flat32();
	h_poke(DATA_ADDR, 4, 0xffffffff);
	h_set_flags(F_ZF);
	EXEC(0x0f, 0x94, 0x05, 0x00, 0x20, 0x00, 0x00); /* sete byte [0x2000] */
	EQ(h_peek(DATA_ADDR, 4), 0xffffff01);
}
END_TEST

START_TEST(cmovcc_all)
{
	h_flat32();
	for (unsigned cc = 0; cc < 16; cc++) {
		for (unsigned i = 0; i < 32; i++) {
			uint8_t code[] = { 0x0f, (uint8_t)(0x40 + cc), 0xc3 };  /* cmovcc eax, ebx */
			EAX = 0x11111111;
			EBX = 0x22222222;
			h_set_flags(flag_combo(i));
			h_exec(code, sizeof code, __FILE__, __LINE__);
			ck_assert_msg(EAX == (sdm_cond(cc, flag_combo(i)) ? 0x22222222u : 0x11111111u),
				      "cmov %x flags %x: EAX %x", cc, flag_combo(i), EAX);
			FLAGS(F_OSZAPC, flag_combo(i));
		}
	}
}
END_TEST

START_TEST(cmov16_mem)
{
	h_flat32();
	h_poke(DATA_ADDR, 2, 0xbeef);
	EAX = 0x12345678;
	h_set_flags(F_CF);
	EXEC(0x66, 0x0f, 0x42, 0x05, 0x00, 0x20, 0x00, 0x00); /* cmovb ax, [0x2000] */
	EQ(EAX, 0x1234beef);
}
END_TEST

Suite *data_suite(void)
{
	Suite *s = suite_create("data");
	TCase *tc = h_tcase("mov");
	tcase_add_test(tc, mov_forms);
	tcase_add_test(tc, mov_real_mode);
	tcase_add_test(tc, movzx_movsx);
	tcase_add_test(tc, xchg_forms);
	tcase_add_test(tc, xadd);
	tcase_add_test(tc, cmpxchg_equal);
	tcase_add_test(tc, cmpxchg_not_equal);
	tcase_add_test(tc, cmpxchg8b_equal);
	tcase_add_test(tc, cmpxchg8b_not_equal);
	tcase_add_test(tc, cmpxchg8b_register_ud);
	tcase_add_test(tc, bswap);
	tcase_add_test(tc, lea32);
	tcase_add_test(tc, lea16_real_mode);
	tcase_add_test(tc, lea_size_prefixes);
	tcase_add_test(tc, cbw_cwde_cwd_cdq);
	tcase_add_test(tc, xlat);
	tcase_add_test(tc, lahf_sahf);
	suite_add_tcase(s, tc);

	tc = h_tcase("stack");
	tcase_add_test(tc, push_pop_basic);
	tcase_add_test(tc, push_esp_pop_esp);
	tcase_add_test(tc, pop_mem_esp_base);
	tcase_add_test(tc, push_real_mode_sp_wrap);
	tcase_add_test(tc, pusha_popa32);
	tcase_add_test(tc, pusha_popa16);
	tcase_add_test(tc, enter_level0_leave);
	tcase_add_test(tc, enter_level1);
	tcase_add_test(tc, enter_level3);
	tcase_add_test(tc, enter_level2_real_mode);
	suite_add_tcase(s, tc);

	tc = h_tcase("conditions");
	tcase_add_test(tc, setcc_all);
	tcase_add_test(tc, setcc_mem);
	tcase_add_test(tc, cmovcc_all);
	tcase_add_test(tc, cmov16_mem);
	suite_add_tcase(s, tc);
	return s;
}

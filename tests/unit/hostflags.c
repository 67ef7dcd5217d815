/*
 * The host CPU against the interpreter, for the forms the translator runs as
 * themselves.  The translator (bt/translate.c) lets a native instruction
 * leave a flag in host RFLAGS as the host computed it unless
 * bt_insn_flags() calls that flag undefined, and it forces the flags in its
 * fix0 set to 0 (the interpreter's value) where the host may set them.  The
 * SDM leaves several of these flags undefined (AF after shifts, OF after
 * multi-bit shifts and rotates, SF ZF AF PF after IMUL, ...), so the two
 * implementations may legitimately differ there: this suite checks, on the
 * machine that runs it, that they do not differ where the translator relies
 * on them agreeing.  Each form runs on random operands and flags, once on
 * the host (through a small stub in an executable page) and once in the
 * interpreter; then
 *   - the result register is the same;
 *   - every arithmetic flag outside bt_insn_flags().fu and .fix0 is the same
 *     (written ones computed alike, the others passed through);
 *   - the interpreter's value of each flag in .fix0 is 0.
 * On a host that disagrees, this fails and names the form and flag: the
 * translator's claim (translate.c) must then be narrowed for that host.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "suites.h"
#include "bt/bt_int.h"

#define TRIALS 400

/* stub(uint64_t regs[3]): rax = regs[0], rcx = regs[1], RFLAGS = regs[2];
 * the instruction; back into regs */
static const uint8_t stub_head[] = {
	0x48, 0x8b, 0x07,               /* mov rax, [rdi] */
	0x48, 0x8b, 0x4f, 0x08,         /* mov rcx, [rdi+8] */
	0xff, 0x77, 0x10,               /* push qword [rdi+16] */
	0x9d,                           /* popfq */
};
static const uint8_t stub_tail[] = {
	0x9c,                           /* pushfq */
	0x8f, 0x47, 0x10,               /* pop qword [rdi+16] */
	0x48, 0x89, 0x07,               /* mov [rdi], rax */
	0x48, 0x89, 0x4f, 0x08,         /* mov [rdi+8], rcx */
	0xc3,                           /* ret */
};

static void host_run(const uint8_t *insn, size_t n, uint64_t regs[3])
{
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(page != MAP_FAILED);
	size_t p = 0;
	memcpy(page + p, stub_head, sizeof stub_head);
	p += sizeof stub_head;
	memcpy(page + p, insn, n);
	p += n;
	memcpy(page + p, stub_tail, sizeof stub_tail);
	ck_assert(mprotect(page, 4096, PROT_READ | PROT_EXEC) == 0);
	void (*fn)(uint64_t *);
	*(void **)&fn = page;
	fn(regs);
	munmap(page, 4096);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static const char *flag_name(uint32_t f)
{
	switch (f) {
	case F_CF: return "CF";
	case F_PF: return "PF";
	case F_AF: return "AF";
	case F_ZF: return "ZF";
	case F_SF: return "SF";
	default: return "OF";
	}
}

/* one form, over TRIALS random states; count: the immediate (or -1) */
static void check_form(const uint8_t *b, size_t n)
{
	struct insn in;
	ck_assert(decode_buf(&in, true, b, n) == DEC_OK && in.len == n);
	struct bt_flag_eff fe = bt_insn_flags(&in);
	uint32_t exact = F_OSZAPC & ~fe.fu & ~fe.fix0;
	char text[64];
	int tl = 0;
	for (size_t i = 0; i < n; i++)
		tl += snprintf(text + tl, sizeof text - (size_t)tl, "%02x ", b[i]);
	for (int t = 0; t < TRIALS; t++) {
		uint32_t a = rnd(), c = rnd() & (t & 1 ? 0xffffffffu : 0x1f);
		if (t % 7 == 0)
			a &= 0xff;
		uint32_t f = rnd() & F_OSZAPC;
		uint64_t regs[3] = { a, c, f | 2 };
		host_run(b, n, regs);

		h_flat32();
		EAX = a;
		ECX = c;
		h_set_flags(f);
		h_exec(b, n, __FILE__, __LINE__);

		ck_assert_msg(EAX == (uint32_t)regs[0] && ECX == (uint32_t)regs[1],
			      "%s(eax %08x ecx %08x): host %08x %08x, interpreter %08x %08x",
			      text, a, c, (uint32_t)regs[0], (uint32_t)regs[1], EAX, ECX);
		uint32_t diff = (CPU->eflags ^ (uint32_t)regs[2]) & exact;
		for (uint32_t bit = 1; bit <= F_OF; bit <<= 1)
			ck_assert_msg(!(diff & bit),
				      "%s(eax %08x ecx %08x flags %03x): %s host %d, interpreter %d "
				      "(bt_insn_flags calls it exact)", text, a, c, f, flag_name(bit),
				      !!(regs[2] & bit), !!(CPU->eflags & bit));
		ck_assert_msg(!(CPU->eflags & fe.fix0), "%s: the interpreter's fix0 flags %03x are not 0",
			      text, CPU->eflags & fe.fix0);
	}
}

/* shifts and rotates by an immediate (every count class) and by 1, in the
 * three operand sizes */
START_TEST(shifts_and_rotates)
{
	for (unsigned k = 0; k < 8; k++) {
		static const uint8_t counts[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 200 };
		for (size_t ci = 0; ci < sizeof counts; ci++) {
			uint8_t modrm = (uint8_t)(0xc0 | k << 3);
			uint8_t b8[] = { 0xc0, modrm, counts[ci] };
			uint8_t b32[] = { 0xc1, modrm, counts[ci] };
			uint8_t b16[] = { 0x66, 0xc1, modrm, counts[ci] };
			check_form(b8, sizeof b8);
			check_form(b32, sizeof b32);
			check_form(b16, sizeof b16);
		}
		uint8_t modrm = (uint8_t)(0xc0 | k << 3);
		uint8_t o8[] = { 0xd0, modrm }, o32[] = { 0xd1, modrm }, o16[] = { 0x66, 0xd1, modrm };
		check_form(o8, sizeof o8);
		check_form(o32, sizeof o32);
		check_form(o16, sizeof o16);
	}
}
END_TEST

/* the ALU, logic, multiply and bit forms the translator runs natively */
START_TEST(alu_logic_mul_bt)
{
	static const uint8_t forms[][5] = {
		{ 2, 0x01, 0xc8 }, { 2, 0x29, 0xc8 }, { 2, 0x11, 0xc8 }, { 2, 0x19, 0xc8 },   /* add sub adc sbb eax, ecx */
		{ 2, 0x39, 0xc8 }, { 2, 0x21, 0xc8 }, { 2, 0x09, 0xc8 }, { 2, 0x31, 0xc8 },   /* cmp and or xor */
		{ 2, 0x85, 0xc8 }, { 2, 0x20, 0xc8 }, { 2, 0x84, 0xc8 }, { 3, 0x66, 0x31, 0xc8 }, /* test, 8 and 16 bits */
		{ 2, 0xff, 0xc0 }, { 2, 0xff, 0xc8 }, { 2, 0xf7, 0xd8 }, { 2, 0xf6, 0xd8 },   /* inc dec neg */
		{ 3, 0x0f, 0xaf, 0xc1 }, { 3, 0x6b, 0xc1, 0x7f },                              /* imul */
		{ 3, 0x0f, 0xa3, 0xc8 }, { 3, 0x0f, 0xbc, 0xc1 },                              /* bt bsf */
		{ 3, 0x0f, 0xab, 0xc8 }, { 3, 0x0f, 0xb3, 0xc8 }, { 3, 0x0f, 0xbb, 0xc8 },     /* bts btr btc */
		{ 4, 0x0f, 0xba, 0xe0, 0x05 }, { 4, 0x0f, 0xba, 0xe8, 0x1f }, { 4, 0x0f, 0xba, 0xf0, 0x00 }, /* by imm */
		{ 4, 0x0f, 0xba, 0xf8, 0x11 }, { 4, 0x66, 0x0f, 0xa3, 0xc8 },
		{ 2, 0xd3, 0xe0 }, { 2, 0xd3, 0xc0 }, { 3, 0x0f, 0xa5, 0xc8 },                 /* shl rol shld by cl */
		{ 2, 0xd3, 0xe8 }, { 2, 0xd3, 0xf8 }, { 2, 0xd3, 0xc8 },                       /* shr sar ror by cl */
		{ 2, 0xd2, 0xc0 }, { 2, 0xd2, 0xc8 }, { 3, 0x66, 0xd3, 0xc0 }, { 3, 0x66, 0xd3, 0xc8 }, /* 8, 16 bits */
		{ 2, 0xd2, 0xe0 }, { 3, 0x66, 0xd3, 0xe8 },
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
		check_form(forms[i] + 1, forms[i][0]);
}
END_TEST

Suite *hostflags_suite(void)
{
	Suite *s = suite_create("hostflags");
	TCase *tc = h_tcase("host");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, shifts_and_rotates);
	tcase_add_test(tc, alu_logic_mul_bt);
	suite_add_tcase(s, tc);
	return s;
}

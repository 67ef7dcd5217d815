/*
 * The interrupt-request input and the CPU's acceptance rules (SDM Vol. 3 6.8
 * "Enabling and disabling interrupts", 6.8.3 MOV SS / STI shadows, 6.3
 * "Sources of interrupts"), HLT wake-up, NMI, the TF single-step trap
 * (17.3.1.4), and real-mode addressing: the A20 line as an input and 16-bit
 * offset wrap (Vol. 3 20.1.1).
 */
#include "harness.h"
#include "suites.h"

#define IRQ_VEC 0x1f   /* routed to a HLT stub by the harness like every vector < 32 */

static int ack_count;

static int ack(void *opaque)
{
	(void)opaque;
	ack_count++;
	cpu_set_intr(CPU, false);   /* the controller drops INTR once acknowledged */
	return IRQ_VEC;
}

static void raise_irq(void)
{
	ack_count = 0;
	CPU->irq_ack = ack;
	CPU->irq_opaque = NULL;
	cpu_set_intr(CPU, true);
}

/* real mode: the return IP pushed by an interrupt is the word at SS:SP */
static uint32_t pushed_ip(void)
{
	return h_peek(CPU->seg[S_SS].base + (CPU->r[R_ESP] & 0xffff), 2);
}

START_TEST(irq_taken_between_instructions)
{
	static const uint8_t nop[] = { 0x90, 0x90 };
	h_code(nop, sizeof nop);
	CPU->eflags = 0x2 | F_IF;
	raise_irq();
	h_step();
	/* delivered before the first NOP: the pushed IP is that NOP's address */
	EQ(h_vector(), IRQ_VEC);
	EQ(ack_count, 1);
	EQ(pushed_ip(), CODE_ADDR);
	/* IF is cleared on entry through the IVT */
	EQ(CPU->eflags & F_IF, 0);
}
END_TEST

START_TEST(irq_masked_by_if)
{
	static const uint8_t nop[] = { 0x90, 0x90 };
	h_code(nop, sizeof nop);
	CPU->eflags = 0x2;
	raise_irq();
	h_step();
	EQ(h_vector(), -1);
	EQ(ack_count, 0);
	EQ(EIP, CODE_ADDR + 1);
}
END_TEST

START_TEST(sti_shadow)
{
	static const uint8_t code[] = { 0xfb, 0x90, 0x90 };   /* sti; nop; nop */
	h_code(code, sizeof code);
	CPU->eflags = 0x2;
	raise_irq();
	h_step();                         /* STI */
	EQ(EIP, CODE_ADDR + 1);
	h_step();                         /* the instruction after STI still runs */
	EQ(h_vector(), -1);
	EQ(EIP, CODE_ADDR + 2);
	h_step();                         /* now the interrupt is taken */
	EQ(h_vector(), IRQ_VEC);
	EQ(pushed_ip(), CODE_ADDR + 2);
}
END_TEST

START_TEST(mov_ss_shadow)
{
	static const uint8_t code[] = { 0x8e, 0xd0, 0x90, 0x90 };   /* mov ss, ax; nop; nop */
	h_code(code, sizeof code);
	EAX = 0;
	CPU->eflags = 0x2 | F_IF;
	h_step();                         /* MOV SS */
	raise_irq();
	h_step();                         /* shadowed: the NOP runs */
	EQ(h_vector(), -1);
	EQ(EIP, CODE_ADDR + 3);
	h_step();
	EQ(h_vector(), IRQ_VEC);
}
END_TEST

START_TEST(hlt_wakes_on_irq)
{
	static const uint8_t code[] = { 0xf4, 0x90 };   /* hlt; nop */
	h_code(code, sizeof code);
	CPU->eflags = 0x2 | F_IF;
	EQ(h_step(), CPU_EXIT_HLT);
	EQ(EIP, CODE_ADDR + 1);
	EQ(h_step(), CPU_EXIT_HLT);       /* stays halted with nothing pending */
	EQ(EIP, CODE_ADDR + 1);
	raise_irq();
	h_step();
	EQ(h_vector(), IRQ_VEC);
	EQ(pushed_ip(), CODE_ADDR + 1);   /* returns after the HLT */
	ck_assert(!CPU->halted);
}
END_TEST

START_TEST(nmi_ignores_if)
{
	static const uint8_t nop[] = { 0x90 };
	h_code(nop, sizeof nop);
	CPU->eflags = 0x2;
	cpu_request(CPU, CPU_REQ_NMI);
	h_step();
	EQ(h_vector(), EX_NMI);
	EQ(pushed_ip(), CODE_ADDR);
}
END_TEST

START_TEST(nmi_blocked_until_iret)
{
	/* the NMI handler stub at STUB_BASE + 2 is a HLT; put IRET after it */
	static const uint8_t nop[] = { 0x90, 0x90 };
	h_code(nop, sizeof nop);
	h_poke(STUB_BASE + 2, 1, 0xcf);   /* iret */
	CPU->eflags = 0x2;
	cpu_request(CPU, CPU_REQ_NMI);
	h_step();
	EQ(h_vector(), EX_NMI);
	cpu_request(CPU, CPU_REQ_NMI);           /* a second NMI while the handler runs */
	h_step();                          /* executes the IRET: not interrupted */
	EQ(EIP, CODE_ADDR);
	h_step();                          /* after IRET the second NMI is taken */
	EQ(h_vector(), EX_NMI);
}
END_TEST

START_TEST(single_step_trap)
{
	static const uint8_t code[] = { 0x40, 0x90 };   /* inc ax; nop */
	h_code(code, sizeof code);
	CPU->eflags = 0x2 | F_TF;
	h_step();
	/* #DB is a trap: delivered after INC, pushed IP = the next instruction */
	EQ(h_vector(), EX_DB);
	EQ(EAX & 0xffff, 1);
	EQ(pushed_ip(), CODE_ADDR + 1);
	EQ(CPU->dr[6] & 0x4000, 0x4000);   /* DR6.BS */
	EQ(CPU->eflags & F_TF, 0);         /* TF cleared in the handler */
}
END_TEST

START_TEST(a20_input)
{
	/* mov byte [es:0x10], 0x5a with ES = 0xffff: linear 0x100000 */
	static const uint8_t code[] = { 0x26, 0xc6, 0x06, 0x10, 0x00, 0x5a };
	CPU->seg[S_ES].sel = 0xffff;
	CPU->seg[S_ES].base = 0xffff0;
	h_poke(0, 1, 0);
	cpu_set_a20(CPU, false);           /* A20 gate closed: bit 20 forced to 0 */
	h_exec(code, sizeof code, __FILE__, __LINE__);
	EQ(h_peek(0x000000, 1), 0x5a);
	EQ(h_peek(0x100000, 1), 0);
	cpu_set_a20(CPU, true);            /* open: the HMA is reached */
	h_poke(0, 1, 0);
	h_exec(code, sizeof code, __FILE__, __LINE__);
	EQ(h_peek(0x100000, 1), 0x5a);
	EQ(h_peek(0x000000, 1), 0);
}
END_TEST

START_TEST(offset_wrap_16bit)
{
	/* mov al, [bx+si] with BX = 0xffff, SI = 2: the 16-bit effective address
	 * wraps to 0x0001 (SDM Vol. 1 3.7.5: the sum is truncated to 16 bits) */
	static const uint8_t code[] = { 0x8a, 0x00 };
	h_poke(DATA_ADDR + 1, 1, 0x77);
	CPU->seg[S_DS].sel = DATA_ADDR >> 4;
	CPU->seg[S_DS].base = DATA_ADDR;
	EBX = 0xffff;
	ESI = 2;
	h_exec(code, sizeof code, __FILE__, __LINE__);
	EQ(EAX & 0xff, 0x77);
}
END_TEST

Suite *interrupts_suite(void)
{
	Suite *s = suite_create("interrupts");
	TCase *tc = h_tcase("interrupts");
	tcase_add_test(tc, irq_taken_between_instructions);
	tcase_add_test(tc, irq_masked_by_if);
	tcase_add_test(tc, sti_shadow);
	tcase_add_test(tc, mov_ss_shadow);
	tcase_add_test(tc, hlt_wakes_on_irq);
	tcase_add_test(tc, nmi_ignores_if);
	tcase_add_test(tc, nmi_blocked_until_iret);
	tcase_add_test(tc, single_step_trap);
	tcase_add_test(tc, a20_input);
	tcase_add_test(tc, offset_wrap_16bit);
	suite_add_tcase(s, tc);
	return s;
}

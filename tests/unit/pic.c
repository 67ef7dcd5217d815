/*
 * 8259A PICs and the ELCR (devices/pic.h), driven through their ports.
 *
 * Expected values come from the Intel 8259A datasheet (231468): the
 * initialisation sequence (ICW1-ICW4), OCW1 masks, the fully nested mode,
 * the EOI commands and rotations of OCW2, OCW3 (read IRR/ISR, poll, special
 * mask mode), AEOI, edge and level triggering (a request must stay until the
 * INTA, otherwise the default IR7 is given), special fully nested mode, and
 * the PC/AT wiring (slave on master IR2, vectors 0x08 and 0x70 as the PC BIOS
 * programs them); the ELCR from the PIIX3 datasheet (IRQ0-2, 8 and 13 are
 * always edge-triggered).
 */
#include <stdlib.h>

#include "harness.h"
#include "suites.h"
#include "devices/pic.h"
#include "devices/state.h"
#include "mmu/mem.h"

static struct mem *mm;
static struct pic *pic;
static int intr_changes;    /* calls of the INTR callback */
static bool intr_level;

static void on_intr(void *opaque, bool level)
{
	(void)opaque;
	intr_changes++;
	intr_level = level;
}

static void pic_setup(void)
{
	mm = calloc(1, sizeof(*mm));
	pic = calloc(1, sizeof(*pic));
	ck_assert_ptr_nonnull(mm);
	ck_assert_ptr_nonnull(pic);
	ck_assert_int_eq(mem_init(mm, 64u << 10), 0);
	intr_changes = 0;
	intr_level = false;
	ck_assert_int_eq(pic_init(pic, mm, on_intr, NULL), 0);
}

static void pic_teardown(void)
{
	mem_free(mm);
	free(mm);
	free(pic);
	mm = NULL;
	pic = NULL;
}

static void out8(uint16_t port, uint8_t v)
{
	io_out(mm, port, v, 1);
}

static uint8_t in8(uint16_t port)
{
	return (uint8_t)io_in(mm, port, 1);
}

/* The PC BIOS sequence: edge-triggered, cascade, ICW4 needed; vectors 0x08
 * and 0x70; master ICW3 = slave on IR2, slave ICW3 = ID 2; 8086 mode. */
static void init_pc(uint8_t master_icw4, uint8_t slave_icw4)
{
	out8(0x20, 0x11);
	out8(0x21, 0x08);
	out8(0x21, 0x04);
	out8(0x21, master_icw4);
	out8(0xa0, 0x11);
	out8(0xa1, 0x70);
	out8(0xa1, 0x02);
	out8(0xa1, slave_icw4);
}

static uint8_t read_isr(uint16_t base)
{
	out8(base, 0x0b);   /* OCW3: read ISR */
	return in8(base);
}

static uint8_t read_irr(uint16_t base)
{
	out8(base, 0x0a);   /* OCW3: read IRR */
	return in8(base);
}

#define EOI_M() out8(0x20, 0x20)
#define EOI_S() out8(0xa0, 0x20)

START_TEST(test_init_and_vector)
{
	init_pc(0x01, 0x01);
	EQ(in8(0x21), 0x00);         /* ICW1 cleared IMR */
	ck_assert(!pic_intr(pic));
	pic_set_irq(pic, 0, true);
	ck_assert(pic_intr(pic));
	ck_assert(intr_level);
	EQ(read_irr(0x20), 0x01);
	EQ(pic_ack(pic), 0x08);
	EQ(read_isr(0x20), 0x01);
	EQ(read_irr(0x20), 0x00);    /* edge: IRR reset by the INTA */
	ck_assert(!pic_intr(pic));
	EOI_M();
	EQ(read_isr(0x20), 0x00);
	ck_assert(!pic_intr(pic));   /* edge held high: no new request */
	pic_set_irq(pic, 0, false);
	pic_set_irq(pic, 7, true);
	EQ(pic_cpu_ack(pic), 0x0f);
}
END_TEST

START_TEST(test_irq_line)
{
	init_pc(0x01, 0x01);
	struct irq_line l = pic_irq_line(pic, 4);
	irq_set(&l, true);
	ck_assert(pic_intr(pic));
	EQ(pic_ack(pic), 0x0c);
}
END_TEST

START_TEST(test_mask)
{
	init_pc(0x01, 0x01);
	out8(0x21, 0x08);
	EQ(in8(0x21), 0x08);
	pic_set_irq(pic, 3, true);
	ck_assert(!pic_intr(pic));
	EQ(read_irr(0x20), 0x08);    /* the mask does not stop IRR */
	out8(0x21, 0x00);
	ck_assert(pic_intr(pic));
	out8(0x21, 0x08);
	ck_assert(!pic_intr(pic));
	ck_assert(!intr_level);
	out8(0x21, 0x00);
	EQ(pic_ack(pic), 0x0b);
}
END_TEST

START_TEST(test_fully_nested_priority)
{
	init_pc(0x01, 0x01);
	pic_set_irq(pic, 3, true);
	pic_set_irq(pic, 1, true);
	EQ(pic_ack(pic), 0x09);      /* IR1 before IR3 */
	ck_assert(!pic_intr(pic));   /* IR3 is below IR1 in service */
	pic_set_irq(pic, 0, true);
	ck_assert(pic_intr(pic));    /* IR0 is above it: nests */
	EQ(pic_ack(pic), 0x08);
	EQ(read_isr(0x20), 0x03);
	EOI_M();                     /* non-specific: the highest, IR0 */
	EQ(read_isr(0x20), 0x02);
	ck_assert(!pic_intr(pic));
	EOI_M();
	EQ(read_isr(0x20), 0x00);
	ck_assert(pic_intr(pic));
	EQ(pic_ack(pic), 0x0b);
}
END_TEST

START_TEST(test_specific_eoi)
{
	init_pc(0x01, 0x01);
	pic_set_irq(pic, 3, true);
	EQ(pic_ack(pic), 0x0b);
	pic_set_irq(pic, 1, true);
	EQ(pic_ack(pic), 0x09);
	EQ(read_isr(0x20), 0x0a);
	out8(0x20, 0x63);            /* specific EOI, level 3 */
	EQ(read_isr(0x20), 0x02);
	out8(0x20, 0x40);            /* OCW2 no-op */
	EQ(read_isr(0x20), 0x02);
	out8(0x20, 0x61);
	EQ(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_aeoi)
{
	init_pc(0x03, 0x01);         /* master: AEOI */
	pic_set_irq(pic, 1, true);
	pic_set_irq(pic, 4, true);
	EQ(pic_ack(pic), 0x09);
	EQ(read_isr(0x20), 0x00);    /* ISR reset at the end of the INTA */
	ck_assert(pic_intr(pic));    /* so IR4 is not blocked */
	EQ(pic_ack(pic), 0x0c);
	ck_assert(!pic_intr(pic));
}
END_TEST

START_TEST(test_rotate_on_nonspecific_eoi)
{
	init_pc(0x01, 0x01);
	pic_set_irq(pic, 0, true);
	EQ(pic_ack(pic), 0x08);
	out8(0x20, 0xa0);            /* rotate on non-specific EOI: IR0 becomes lowest */
	EQ(read_isr(0x20), 0x00);
	pic_set_irq(pic, 0, false);
	pic_set_irq(pic, 0, true);
	pic_set_irq(pic, 7, true);
	EQ(pic_ack(pic), 0x0f);      /* IR7 is now above IR0 */
	out8(0x20, 0xa0);            /* now IR7 is lowest: IR0 highest again */
	pic_set_irq(pic, 7, false);
	pic_set_irq(pic, 7, true);
	EQ(pic_ack(pic), 0x08);
}
END_TEST

START_TEST(test_set_priority_and_specific_rotate)
{
	init_pc(0x01, 0x01);
	out8(0x20, 0xc3);            /* set priority: IR3 lowest, IR4 highest */
	pic_set_irq(pic, 1, true);
	pic_set_irq(pic, 5, true);
	EQ(pic_ack(pic), 0x0d);      /* IR5 before IR1 */
	ck_assert(!pic_intr(pic));   /* IR1 is below IR5 now */
	out8(0x20, 0xe5);            /* rotate on specific EOI 5: IR5 lowest, IR6 highest */
	EQ(read_isr(0x20), 0x00);
	pic_set_irq(pic, 6, true);
	EQ(pic_ack(pic), 0x0e);      /* IR6 before IR1 */
	out8(0x20, 0x66);
	EQ(pic_ack(pic), 0x09);
}
END_TEST

START_TEST(test_rotate_in_aeoi)
{
	init_pc(0x03, 0x01);
	out8(0x20, 0x80);            /* set rotate in AEOI */
	pic_set_irq(pic, 1, true);
	pic_set_irq(pic, 3, true);
	EQ(pic_ack(pic), 0x09);      /* IR1 becomes lowest */
	EQ(pic_ack(pic), 0x0b);      /* IR3 becomes lowest: order 4 5 6 7 0 1 2 3 */
	pic_set_irq(pic, 1, false);
	pic_set_irq(pic, 1, true);
	pic_set_irq(pic, 4, true);
	EQ(pic_ack(pic), 0x0c);
	EQ(pic_ack(pic), 0x09);
	out8(0x20, 0x00);            /* clear rotate in AEOI: IR1 stays lowest */
	pic_set_irq(pic, 0, true);
	EQ(pic_ack(pic), 0x08);      /* would make IR0 lowest if rotating */
	pic_set_irq(pic, 0, false);
	pic_set_irq(pic, 0, true);
	pic_set_irq(pic, 1, false);
	pic_set_irq(pic, 1, true);
	EQ(pic_ack(pic), 0x08);      /* order still 2 .. 7 0 1 */
	EQ(pic_ack(pic), 0x09);
}
END_TEST

START_TEST(test_level_vs_edge)
{
	init_pc(0x01, 0x01);
	out8(0x4d0, 0x20);           /* IRQ5 level-triggered */
	pic_set_irq(pic, 5, true);
	pic_set_irq(pic, 4, true);
	EQ(pic_ack(pic), 0x0c);
	EOI_M();
	ck_assert(pic_intr(pic));
	EQ(pic_ack(pic), 0x0d);
	EOI_M();
	/* IRQ5 still high: requests again; IRQ4 (edge) does not */
	ck_assert(pic_intr(pic));
	EQ(pic_ack(pic), 0x0d);
	EOI_M();
	pic_set_irq(pic, 5, false);
	ck_assert(!pic_intr(pic));
	EQ(read_irr(0x20), 0x00);
}
END_TEST

START_TEST(test_ltim_level)
{
	/* ICW1 with LTIM: all inputs level-triggered */
	out8(0x20, 0x19);
	out8(0x21, 0x08);
	out8(0x21, 0x04);
	out8(0x21, 0x01);
	pic_set_irq(pic, 3, true);
	EQ(pic_ack(pic), 0x0b);
	EOI_M();
	ck_assert(pic_intr(pic));
	pic_set_irq(pic, 3, false);
	ck_assert(!pic_intr(pic));
}
END_TEST

START_TEST(test_spurious_ir7)
{
	init_pc(0x01, 0x01);
	out8(0x4d0, 0x20);
	pic_set_irq(pic, 5, true);
	ck_assert(pic_intr(pic));
	pic_set_irq(pic, 5, false);  /* the request goes away before the INTA */
	ck_assert(!pic_intr(pic));
	EQ(pic_ack(pic), 0x0f);
	EQ(read_isr(0x20), 0x00);    /* no ISR bit for the default IR7 */
	/* with nothing requested at all, the same */
	EQ(pic_ack(pic), 0x0f);
	EQ(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_spurious_irq15)
{
	init_pc(0x01, 0x01);
	out8(0x4d1, 0x04);           /* IRQ10 level-triggered */
	pic_set_irq(pic, 10, true);
	ck_assert(pic_intr(pic));
	pic_set_irq(pic, 10, false);
	/* the master latched IR2 (edge): it acknowledges it, the slave has
	 * nothing and answers with its IR7 */
	EQ(pic_ack(pic), 0x77);
	EQ(read_isr(0x20), 0x04);
	EQ(read_isr(0xa0), 0x00);
	EOI_M();
	EQ(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_cascade)
{
	init_pc(0x01, 0x01);
	for (int irq = 8; irq < 16; irq++) {
		pic_set_irq(pic, irq, true);
		ck_assert(pic_intr(pic));
		EQ(pic_ack(pic), 0x70 + (irq - 8));
		EQ(read_isr(0x20), 0x04);
		EQ(read_isr(0xa0), 1u << (irq - 8));
		EOI_S();
		EOI_M();
		pic_set_irq(pic, irq, false);
	}
	/* master IR1 is above the cascade input, IR3 below it */
	pic_set_irq(pic, 3, true);
	pic_set_irq(pic, 12, true);
	pic_set_irq(pic, 1, true);
	EQ(pic_ack(pic), 0x09);
	EOI_M();
	EQ(pic_ack(pic), 0x74);
	EOI_S();
	EOI_M();
	EQ(pic_ack(pic), 0x0b);
	/* slave mask */
	EOI_M();
	out8(0xa1, 0x10);
	pic_set_irq(pic, 12, false);
	pic_set_irq(pic, 12, true);
	ck_assert(!pic_intr(pic));
	out8(0xa1, 0x00);
	ck_assert(pic_intr(pic));
	EQ(pic_ack(pic), 0x74);
}
END_TEST

START_TEST(test_two_slave_requests)
{
	init_pc(0x01, 0x01);
	pic_set_irq(pic, 9, true);
	pic_set_irq(pic, 14, true);
	EQ(pic_ack(pic), 0x71);
	EOI_S();
	EOI_M();
	ck_assert(pic_intr(pic));    /* the slave's next request reaches the CPU */
	EQ(pic_ack(pic), 0x76);
}
END_TEST

START_TEST(test_nested_vs_sfnm)
{
	/* normal nested: a slave level in service blocks the whole slave */
	init_pc(0x01, 0x01);
	pic_set_irq(pic, 12, true);
	EQ(pic_ack(pic), 0x74);
	pic_set_irq(pic, 9, true);   /* above IRQ12 within the slave */
	ck_assert(!pic_intr(pic));
	EOI_S();
	EOI_M();
	EQ(pic_ack(pic), 0x71);
	EOI_S();
	EOI_M();
	pic_set_irq(pic, 9, false);
	pic_set_irq(pic, 12, false);

	/* special fully nested mode on the master: it gets through */
	init_pc(0x11, 0x01);
	pic_set_irq(pic, 12, true);
	EQ(pic_ack(pic), 0x74);
	pic_set_irq(pic, 9, true);
	ck_assert(pic_intr(pic));
	EQ(pic_ack(pic), 0x71);
	EQ(read_isr(0xa0), 0x12);
	/* a lower slave request does not */
	pic_set_irq(pic, 13, true);
	ck_assert(!pic_intr(pic));
	/* the handler's check: EOI to the slave, ISR not yet empty, no EOI
	 * to the master */
	EOI_S();
	ck_assert(read_isr(0xa0) != 0);
	EOI_S();
	EQ(read_isr(0xa0), 0x00);
	EOI_M();
	EOI_M();
	ck_assert(pic_intr(pic));
	EQ(pic_ack(pic), 0x75);
}
END_TEST

START_TEST(test_poll)
{
	init_pc(0x01, 0x01);
	out8(0x20, 0x0c);            /* OCW3: poll */
	EQ(in8(0x20), 0x00);         /* nothing: I = 0 */
	pic_set_irq(pic, 6, true);
	pic_set_irq(pic, 5, true);
	out8(0x20, 0x0c);
	EQ(in8(0x20), 0x85);         /* I = 1, W = 5 */
	EQ(read_isr(0x20), 0x20);    /* the poll read acknowledged it */
	out8(0x20, 0x0c);
	EQ(in8(0x20), 0x00);         /* IR6 is below IR5 in service */
	EOI_M();
	out8(0x20, 0x0f);            /* poll has priority over read register */
	EQ(in8(0x20), 0x86);
	EQ(in8(0x20), 0x40);         /* ... then the ISR read selected with it */
	EOI_M();
	/* slave poll: the master shows IR2, the slave the level */
	pic_set_irq(pic, 11, true);
	out8(0x20, 0x0c);
	EQ(in8(0x20), 0x82);
	out8(0xa0, 0x0c);
	EQ(in8(0xa0), 0x83);
	EQ(read_isr(0xa0), 0x08);
}
END_TEST

START_TEST(test_special_mask_mode)
{
	init_pc(0x01, 0x01);
	pic_set_irq(pic, 3, true);
	EQ(pic_ack(pic), 0x0b);
	pic_set_irq(pic, 5, true);
	ck_assert(!pic_intr(pic));   /* below IR3 in service */
	out8(0x20, 0x68);            /* OCW3: set special mask mode */
	out8(0x21, 0x08);            /* mask the level in service */
	ck_assert(pic_intr(pic));    /* lower levels are enabled */
	EQ(pic_ack(pic), 0x0d);
	EQ(read_isr(0x20), 0x28);
	/* non-specific EOI does not clear the masked ISR bit in SMM */
	EOI_M();
	EQ(read_isr(0x20), 0x08);
	EOI_M();
	EQ(read_isr(0x20), 0x08);
	out8(0x20, 0x48);            /* reset special mask mode */
	out8(0x21, 0x00);
	pic_set_irq(pic, 5, false);
	pic_set_irq(pic, 5, true);
	ck_assert(!pic_intr(pic));   /* normal nesting again */
	out8(0x20, 0x63);
	EQ(pic_ack(pic), 0x0d);
}
END_TEST

START_TEST(test_read_registers)
{
	init_pc(0x01, 0x01);
	pic_set_irq(pic, 4, true);
	pic_set_irq(pic, 6, true);
	EQ(pic_ack(pic), 0x0c);
	out8(0x20, 0x0a);
	EQ(in8(0x20), 0x40);
	EQ(in8(0x20), 0x40);         /* the selection stays */
	out8(0x20, 0x0b);
	EQ(in8(0x20), 0x10);
	out8(0x20, 0x08);            /* RR = 0: no change */
	EQ(in8(0x20), 0x10);
	out8(0x21, 0x5a);
	EQ(in8(0x21), 0x5a);         /* A0 = 1 always reads IMR */
}
END_TEST

START_TEST(test_elcr)
{
	out8(0x4d0, 0xff);
	out8(0x4d1, 0xff);
	EQ(in8(0x4d0), 0xf8);        /* IRQ0-2 always edge */
	EQ(in8(0x4d1), 0xde);        /* IRQ8, IRQ13 always edge */
	EQ(io_in(mm, 0x4d0, 2), 0xdef8);
	pic_reset(pic);
	EQ(in8(0x4d0), 0x00);
}
END_TEST

START_TEST(test_reinit)
{
	init_pc(0x01, 0x01);
	out8(0x21, 0xf0);
	pic_set_irq(pic, 1, true);
	EQ(pic_ack(pic), 0x09);
	pic_set_irq(pic, 2 + 1, true);
	init_pc(0x01, 0x01);
	EQ(in8(0x21), 0x00);         /* IMR cleared */
	EQ(read_isr(0x20), 0x00);
	EQ(read_irr(0x20), 0x00);    /* edge sense reset */
	ck_assert(!pic_intr(pic));
	pic_set_irq(pic, 3, false);
	pic_set_irq(pic, 3, true);   /* a new rising edge is needed */
	EQ(pic_ack(pic), 0x0b);
}
END_TEST

START_TEST(test_single_mode_no_icw4)
{
	/* ICW1: single, no ICW4 -> ICW2 only, then OCW1 */
	out8(0x20, 0x12);
	out8(0x21, 0x20);
	out8(0x21, 0xfe);
	EQ(in8(0x21), 0xfe);
	out8(0x21, 0x00);
	/* no cascade: IR2 gives the master's own vector */
	pic_set_irq(pic, 2, true);
	EQ(pic_ack(pic), 0x22);
	EQ(read_isr(0x20), 0x04);
}
END_TEST

START_TEST(test_intr_callback)
{
	init_pc(0x01, 0x01);
	intr_changes = 0;
	pic_set_irq(pic, 1, true);
	EQ(intr_changes, 1);
	ck_assert(intr_level);
	pic_set_irq(pic, 0, true);   /* INTR already high */
	EQ(intr_changes, 1);
	EQ(pic_ack(pic), 0x08);
	ck_assert(!intr_level);      /* IR1 is below IR0 in service */
	EOI_M();
	ck_assert(intr_level);
	EQ(intr_changes, 3);
}
END_TEST

START_TEST(test_save_load)
{
	init_pc(0x01, 0x01);
	out8(0x4d1, 0x04);           /* IRQ10 level-triggered */
	out8(0x21, 0x80);
	pic_set_irq(pic, 3, true);
	EQ(pic_ack(pic), 0x0b);
	pic_set_irq(pic, 10, true);  /* above IR3 in service */
	ck_assert(pic_intr(pic));
	out8(0xa0, 0x0b);
	struct state_writer w;
	sw_init(&w);
	pic_save(pic, &w);
	ck_assert(!w.error);

	struct mem *m2 = calloc(1, sizeof(*m2));
	struct pic *p2 = calloc(1, sizeof(*p2));
	ck_assert_int_eq(mem_init(m2, 64u << 10), 0);
	ck_assert_int_eq(pic_init(p2, m2, NULL, NULL), 0);
	struct state_reader r;
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(pic_load(p2, &r), 0);
	ck_assert(pic_intr(p2));
	EQ(io_in(m2, 0x21, 1), 0x80);
	EQ(io_in(m2, 0x4d1, 1), 0x04);
	EQ(io_in(m2, 0xa0, 1), 0x00);  /* read-ISR selection kept */
	EQ(pic_ack(p2), 0x72);
	EQ(io_in(m2, 0xa0, 1), 0x04);
	pic_set_irq(p2, 10, false);    /* level: goes away */
	io_out(m2, 0xa0, 0x20, 1);
	io_out(m2, 0x20, 0x20, 1);     /* IR2 */
	ck_assert(!pic_intr(p2));
	io_out(m2, 0x20, 0x0b, 1);
	EQ(io_in(m2, 0x20, 1), 0x08);  /* IR3 still in service */
	io_out(m2, 0x20, 0x20, 1);
	EQ(io_in(m2, 0x20, 1), 0x00);

	/* truncated and inconsistent states are refused */
	sr_init(&r, w.buf, w.len - 1);
	ck_assert_int_eq(pic_load(p2, &r), -1);
	w.buf[10] = 9;                 /* the master's lowest-priority IR */
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(pic_load(p2, &r), -1);
	sw_free(&w);
	mem_free(m2);
	free(m2);
	free(p2);
}
END_TEST

Suite *pic_suite(void)
{
	Suite *s = suite_create("pic");
	TCase *tc = tcase_create("8259a");
	tcase_add_checked_fixture(tc, pic_setup, pic_teardown);
	tcase_add_test(tc, test_init_and_vector);
	tcase_add_test(tc, test_irq_line);
	tcase_add_test(tc, test_mask);
	tcase_add_test(tc, test_fully_nested_priority);
	tcase_add_test(tc, test_specific_eoi);
	tcase_add_test(tc, test_aeoi);
	tcase_add_test(tc, test_rotate_on_nonspecific_eoi);
	tcase_add_test(tc, test_set_priority_and_specific_rotate);
	tcase_add_test(tc, test_rotate_in_aeoi);
	tcase_add_test(tc, test_level_vs_edge);
	tcase_add_test(tc, test_ltim_level);
	tcase_add_test(tc, test_spurious_ir7);
	tcase_add_test(tc, test_spurious_irq15);
	tcase_add_test(tc, test_cascade);
	tcase_add_test(tc, test_two_slave_requests);
	tcase_add_test(tc, test_nested_vs_sfnm);
	tcase_add_test(tc, test_poll);
	tcase_add_test(tc, test_special_mask_mode);
	tcase_add_test(tc, test_read_registers);
	tcase_add_test(tc, test_elcr);
	tcase_add_test(tc, test_reinit);
	tcase_add_test(tc, test_single_mode_no_icw4);
	tcase_add_test(tc, test_intr_callback);
	tcase_add_test(tc, test_save_load);
	suite_add_tcase(s, tc);
	return s;
}

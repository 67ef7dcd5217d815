/*
 * 16550A UART (devices/uart.c), driven through its ports like a guest would.
 *
 * Expected values come from the PC16550D datasheet (National Semiconductor /
 * TI, SNLS378C): the reset table (IER 0, IIR 01, LCR 0, MCR 0, LSR 60, MSR
 * deltas 0), the IIR table (06 line status > 04 data / 0C timeout > 02 THRE
 * > 00 modem status, bits 6-7 set in FIFO mode), the RX trigger levels of
 * FCR bits 7-6 (1, 4, 8, 14), the baud rate = 1.8432 MHz / (16 x divisor)
 * (9600 baud = divisor 12, 115200 = 1), "FIFO Interrupt Mode Operation"
 * (timeout after 4 character times without a received character or a read;
 * "160 ms at 300 baud with a 12-bit receive character"), the THRE interrupt
 * being cleared by writing THR or by reading IIR when it is the source,
 * OE when the FIFO is full and a character arrives, and loopback (CTS = RTS,
 * DSR = DTR, RI = OUT1, DCD = OUT2; TERI on RI's trailing edge).  The PC's
 * IRQ gating by OUT2 is from the IBM AT Technical Reference.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "suites.h"
#include "devices/state.h"
#include "devices/uart.h"
#include "devices/vclock.h"
#include "mmu/mem.h"

#define BASE UART_COM1_BASE

/* one character time at 9600 and 115200 baud, 8N1 (10 bits), in ns */
#define CT_9600   (10.0e9 / 9600)
#define CT_115200 (10.0e9 / 115200)

struct irq_rec {
	bool level;
	unsigned rises;
};

#define MAX_TX 64
struct tx_rec {
	struct vclock *clock;
	unsigned n;
	uint8_t byte[MAX_TX];
	uint64_t when[MAX_TX];
};

static struct mem *mm;
static struct vclock clk;
static struct uart *U;
static struct irq_rec irq4;
static struct tx_rec txr;

static void rec_irq(void *opaque, int n, bool level)
{
	struct irq_rec *r = opaque;
	(void)n;
	if (level && !r->level)
		r->rises++;
	r->level = level;
}

static void rec_tx(void *opaque, uint8_t b)
{
	struct tx_rec *t = opaque;
	ck_assert_uint_lt(t->n, MAX_TX);
	t->when[t->n] = vclock_now(t->clock);
	t->byte[t->n++] = b;
}

static void uart_setup(void)
{
	mm = calloc(1, sizeof(*mm));
	ck_assert_ptr_nonnull(mm);
	ck_assert_int_eq(mem_init(mm, 64 << 10), 0);
	vclock_init(&clk);
	memset(&irq4, 0, sizeof(irq4));
	memset(&txr, 0, sizeof(txr));
	txr.clock = &clk;
	U = calloc(1, sizeof(*U));
	ck_assert_ptr_nonnull(U);
	struct irq_line line = { rec_irq, &irq4, UART_COM1_IRQ };
	struct uart_backend be = { rec_tx, &txr };
	ck_assert_int_eq(uart_init(U, mm, &clk, BASE, line, be), 0);
}

static void uart_teardown(void)
{
	free(U);
	U = NULL;
	mem_free(mm);
	free(mm);
	mm = NULL;
}

static uint8_t rd(unsigned reg)
{
	return (uint8_t)io_in(mm, (uint16_t)(BASE + reg), 1);
}

static void wr(unsigned reg, uint8_t v)
{
	io_out(mm, (uint16_t)(BASE + reg), v, 1);
}

#define EQ8(a, b) ck_assert_msg((uint8_t)(a) == (uint8_t)(b), "%s = 0x%02x, expected 0x%02x", \
				#a, (unsigned)(uint8_t)(a), (unsigned)(uint8_t)(b))

/* divisor and frame (LCR) */
static void line(unsigned divisor, uint8_t lcr)
{
	wr(UART_LCR, 0x80);
	wr(UART_RBR, (uint8_t)divisor);
	wr(UART_IER, (uint8_t)(divisor >> 8));
	wr(UART_LCR, lcr);
}

static void advance_to(uint64_t t)
{
	vclock_advance(&clk, t);
}

static void feed(const char *s)
{
	size_t n = strlen(s);
	ck_assert_uint_eq(uart_receive(U, (const uint8_t *)s, n), n);
}

/* ---- registers ---- */

START_TEST(reset_values)
{
	EQ8(rd(UART_IER), 0x00);
	EQ8(rd(UART_IIR), 0x01);
	EQ8(rd(UART_LCR), 0x00);
	EQ8(rd(UART_MCR), 0x00);
	EQ8(rd(UART_LSR), 0x60);          /* THRE | TEMT */
	EQ8(rd(UART_MSR) & 0x0f, 0x00);   /* no deltas */
	ck_assert(!irq4.level);
}
END_TEST

START_TEST(divisor_latch_and_scratch)
{
	wr(UART_LCR, 0x83);               /* DLAB, 8 bits */
	wr(UART_RBR, 0x0c);
	wr(UART_IER, 0x00);
	EQ8(rd(UART_RBR), 0x0c);          /* DLL */
	EQ8(rd(UART_IER), 0x00);          /* DLM */
	wr(UART_IER, 0x01);
	EQ8(rd(UART_IER), 0x01);
	wr(UART_LCR, 0x03);
	EQ8(rd(UART_LCR), 0x03);
	EQ8(rd(UART_IER), 0x00);          /* IER, untouched by the DLM writes */
	wr(UART_LCR, 0x83);
	EQ8(rd(UART_IER), 0x01);          /* DLM kept its value */
	wr(UART_LCR, 0x03);
	wr(UART_SCR, 0x5a);
	EQ8(rd(UART_SCR), 0x5a);
	EQ8(rd(UART_IER) & 0xf0, 0);      /* IER bits 4-7 always 0 */
	wr(UART_IER, 0xff);
	EQ8(rd(UART_IER), 0x0f);
}
END_TEST

START_TEST(character_time_from_lcr)
{
	/* 9600 baud, 8N1: 10 bits */
	line(12, 0x03);
	ck_assert_uint_eq(uart_char_time_ns(U), 1041667);
	/* 300 baud (divisor 384), 8 bits, parity, 2 stop bits: 12 bits = 40 ms */
	line(384, 0x0f);
	ck_assert_uint_eq(uart_char_time_ns(U), 40000000);
	/* 115200 baud, 5 bits, 1.5 stop bits: 7.5 bits */
	line(1, 0x04);
	ck_assert_uint_eq(uart_char_time_ns(U), 65104);
	/* 7 bits, even parity, 1 stop: 10 bits at 2400 (divisor 48) */
	line(48, 0x1a);
	ck_assert_uint_eq(uart_char_time_ns(U), 4166667);
}
END_TEST

/* ---- receiver and its interrupts ---- */

START_TEST(fifo_trigger_levels)
{
	static const struct { uint8_t fcr; unsigned level; } t[] = {
		{ 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
	};
	line(1, 0x03);
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_RDA);
	for (unsigned i = 0; i < 4; i++) {
		wr(UART_IIR, t[i].fcr | UART_FCR_RX_RESET | UART_FCR_TX_RESET);
		for (unsigned j = 0; j + 1 < t[i].level; j++) {
			ck_assert_uint_eq(uart_receive(U, (const uint8_t *)"x", 1), 1);
			EQ8(rd(UART_IIR), 0xc1);
		}
		ck_assert(!irq4.level);
		ck_assert_uint_eq(uart_receive(U, (const uint8_t *)"y", 1), 1);
		EQ8(rd(UART_IIR), 0xc4);
		ck_assert(irq4.level);
		/* below the trigger level again: the interrupt goes away */
		rd(UART_RBR);
		EQ8(rd(UART_IIR), 0xc1);
		ck_assert(!irq4.level);
	}
}
END_TEST

START_TEST(receive_respects_fifo_space)
{
	const uint8_t data[20] = "abcdefghijklmnopqrs";
	/* 16450 mode: only RBR */
	ck_assert_uint_eq(uart_rx_space(U), 1);
	ck_assert_uint_eq(uart_receive(U, data, 3), 1);
	ck_assert_uint_eq(uart_rx_space(U), 0);
	EQ8(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	EQ8(rd(UART_RBR), 'a');
	EQ8(rd(UART_LSR) & UART_LSR_DR, 0);
	/* FIFO mode: 16 bytes, in order, no overrun */
	wr(UART_IIR, 0x07);
	ck_assert_uint_eq(uart_rx_space(U), 16);
	ck_assert_uint_eq(uart_receive(U, data, 20), 16);
	ck_assert_uint_eq(uart_receive(U, data + 16, 4), 0);
	EQ8(rd(UART_RBR), 'a');
	ck_assert_uint_eq(uart_rx_space(U), 1);
	for (unsigned i = 1; i < 16; i++)
		EQ8(rd(UART_RBR), data[i]);
	EQ8(rd(UART_LSR), 0x60);          /* no OE */
}
END_TEST

START_TEST(iir_priority_order)
{
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, 0x0f);
	uart_set_modem_inputs(U, UART_MSR_DSR | UART_MSR_DCD);   /* CTS dropped: DCTS */
	ck_assert(uart_receive_break(U));                          /* BI, a 0 character */
	ck_assert(irq4.level);
	EQ8(rd(UART_IIR), 0x06);          /* line status first */
	EQ8(rd(UART_LSR), UART_LSR_BI | UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);
	EQ8(rd(UART_IIR), 0x04);          /* then received data */
	EQ8(rd(UART_RBR), 0x00);
	EQ8(rd(UART_IIR), 0x02);          /* then THRE, which this read clears */
	EQ8(rd(UART_IIR), 0x00);          /* then modem status */
	EQ8(rd(UART_MSR), UART_MSR_DCTS | UART_MSR_DSR | UART_MSR_DCD);
	EQ8(rd(UART_IIR), 0x01);
	ck_assert(!irq4.level);
}
END_TEST

START_TEST(iir_read_clears_thre_only_when_reported)
{
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_RDA | UART_IER_THRE);
	feed("z");
	EQ8(rd(UART_IIR), 0x04);          /* data outranks THRE: THRE stays */
	EQ8(rd(UART_IIR), 0x04);
	EQ8(rd(UART_RBR), 'z');
	ck_assert(irq4.level);
	EQ8(rd(UART_IIR), 0x02);
	ck_assert(!irq4.level);           /* cleared by the read that reported it */
	EQ8(rd(UART_IIR), 0x01);
	ck_assert(!irq4.level);
}
END_TEST

START_TEST(thre_on_enable_and_write)
{
	line(12, 0x03);
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_THRE);      /* THR empty: interrupt at once */
	ck_assert(irq4.level);
	EQ8(rd(UART_IIR), 0x02);
	ck_assert(!irq4.level);
	/* 16450 mode: the first byte goes to the idle shift register, so the THR
	 * is empty again at once and THRE interrupts again */
	wr(UART_RBR, 'a');
	EQ8(rd(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE);
	ck_assert(irq4.level);
	EQ8(rd(UART_IIR), 0x02);
	/* the second byte waits in the THR: writing it cleared the interrupt */
	wr(UART_RBR, 'b');
	EQ8(rd(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), 0);
	EQ8(rd(UART_IIR), 0x01);
	ck_assert(!irq4.level);
	/* one character time later 'a' is out and 'b' moves on: THRE again */
	advance_to(1041667);
	ck_assert_uint_eq(txr.n, 1);
	ck_assert(irq4.level);
	EQ8(rd(UART_IIR), 0x02);
	/* IER written with ETBEI again while THR is empty: interrupt again */
	wr(UART_IER, 0);
	wr(UART_IER, UART_IER_THRE);
	EQ8(rd(UART_IIR), 0x02);
}
END_TEST

START_TEST(fifo_thre_and_iir_bits)
{
	line(12, 0x03);
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IIR, 0x07);               /* FIFOs on and reset */
	wr(UART_IER, UART_IER_THRE);
	EQ8(rd(UART_IIR), 0xc2);
	EQ8(rd(UART_IIR), 0xc1);
	for (int i = 0; i < 4; i++)
		wr(UART_RBR, (uint8_t)('0' + i));   /* '0' -> shift register, 3 in the FIFO */
	EQ8(rd(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), 0);
	EQ8(rd(UART_IIR), 0xc1);
	advance_to(3 * 1041667);          /* '3' has just entered the shift register */
	ck_assert_uint_eq(txr.n, 3);
	EQ8(rd(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE);
	EQ8(rd(UART_IIR), 0xc2);
	advance_to(4 * 1041667);
	EQ8(rd(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
	/* FIFOs off: IIR bits 6-7 read 0 */
	wr(UART_IIR, 0x00);
	EQ8(rd(UART_IIR) & 0xc0, 0);
}
END_TEST

/* ---- character timeout ---- */

START_TEST(char_timeout_300_baud_12_bits)
{
	line(384, 0x0f);                  /* 300 baud, 8 data, parity, 2 stop = 12 bits */
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IIR, 0x47);               /* FIFOs, trigger 4 */
	wr(UART_IER, UART_IER_RDA);
	feed("a");
	advance_to(160000000 - 1);
	EQ8(rd(UART_IIR), 0xc1);
	ck_assert(!irq4.level);
	advance_to(160000000);            /* 4 character times = 160 ms */
	ck_assert(irq4.level);
	EQ8(rd(UART_IIR), 0xcc);
	/* a new character restarts the timer but does not clear the interrupt */
	feed("b");
	EQ8(rd(UART_IIR), 0xcc);
	/* a read clears it and restarts the timer */
	EQ8(rd(UART_RBR), 'a');
	EQ8(rd(UART_IIR), 0xc1);
	ck_assert(!irq4.level);
	advance_to(160000000 + 160000000 - 1);
	EQ8(rd(UART_IIR), 0xc1);
	advance_to(160000000 + 160000000);
	EQ8(rd(UART_IIR), 0xcc);
	EQ8(rd(UART_RBR), 'b');
	/* empty FIFO: no timeout */
	advance_to(1000000000);
	EQ8(rd(UART_IIR), 0xc1);
}
END_TEST

START_TEST(char_timeout_restarted_by_reads)
{
	line(12, 0x03);                   /* 9600 8N1: 4 character times = 4.1667 ms */
	wr(UART_IIR, 0x81);               /* trigger 8 */
	wr(UART_IER, UART_IER_RDA);
	feed("abc");
	advance_to(3000000);
	EQ8(rd(UART_RBR), 'a');           /* at 3 ms: the timer restarts */
	advance_to(3000000 + 4166000);
	EQ8(rd(UART_IIR), 0xc1);
	advance_to(3000000 + 4167000);
	EQ8(rd(UART_IIR), 0xcc);
	/* no timeout in 16450 mode */
	wr(UART_IIR, 0x00);
	feed("d");
	advance_to(100000000);
	EQ8(rd(UART_IIR), 0x04);
}
END_TEST

/* ---- overrun, loopback, OUT2 ---- */

START_TEST(overrun_fifo_mode)
{
	line(1, 0x03);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	wr(UART_IIR, 0xc7);
	wr(UART_IER, UART_IER_RLS);
	/* 17 bytes: one in the shift register, 16 in the FIFO */
	for (int i = 0; i < 17; i++)
		wr(UART_RBR, (uint8_t)i);
	advance_to(17 * 86806);
	ck_assert_uint_eq(txr.n, 0);      /* nothing on the line in loopback */
	ck_assert(irq4.level);
	EQ8(rd(UART_IIR), 0xc6);
	EQ8(rd(UART_LSR), UART_LSR_DR | UART_LSR_OE | UART_LSR_THRE | UART_LSR_TEMT);
	EQ8(rd(UART_LSR), UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT);   /* OE cleared by the read */
	EQ8(rd(UART_IIR), 0xc1);
	for (int i = 0; i < 16; i++)
		EQ8(rd(UART_RBR), i);         /* the 17th byte was lost */
	EQ8(rd(UART_LSR) & UART_LSR_DR, 0);
}
END_TEST

START_TEST(overrun_16450_mode)
{
	line(1, 0x03);
	wr(UART_MCR, UART_MCR_LOOP);
	wr(UART_RBR, 'p');
	wr(UART_RBR, 'q');
	advance_to(2 * 86806);
	EQ8(rd(UART_LSR), UART_LSR_DR | UART_LSR_OE | UART_LSR_THRE | UART_LSR_TEMT);
	EQ8(rd(UART_RBR), 'q');           /* the new character overwrote RBR */
}
END_TEST

START_TEST(loopback)
{
	line(1, 0x03);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);   /* Linux's probe: MSR & F0 = 90 */
	EQ8(rd(UART_MSR) & 0xf0, 0x90);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	EQ8(rd(UART_MSR) & 0xf0, UART_MSR_DSR | UART_MSR_RI);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);   /* RI on -> off: TERI */
	EQ8(rd(UART_MSR), UART_MSR_DSR | UART_MSR_TERI);
	EQ8(rd(UART_MSR), UART_MSR_DSR);
	/* the receiver is cut off from the host */
	ck_assert_uint_eq(uart_rx_space(U), 0);
	ck_assert_uint_eq(uart_receive(U, (const uint8_t *)"x", 1), 0);
	/* what is sent comes back one character time later */
	wr(UART_RBR, 'L');
	EQ8(rd(UART_LSR) & UART_LSR_DR, 0);
	advance_to(86806);
	EQ8(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	EQ8(rd(UART_RBR), 'L');
	ck_assert_uint_eq(txr.n, 0);
	/* out of loopback: the modem inputs again, the line to the host again */
	wr(UART_MCR, 0);
	EQ8(rd(UART_MSR) & 0xf0, UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
	wr(UART_RBR, 'M');
	advance_to(2 * 86806);
	ck_assert_uint_eq(txr.n, 1);
	EQ8(txr.byte[0], 'M');
}
END_TEST

START_TEST(loopback_modem_status_interrupt)
{
	wr(UART_IER, UART_IER_MS);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	rd(UART_MSR);                     /* forget the change of entering loopback */
	EQ8(rd(UART_IIR), 0x01);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);   /* CTS follows RTS */
	ck_assert(irq4.level);
	EQ8(rd(UART_IIR), 0x00);
	EQ8(rd(UART_MSR), UART_MSR_DCTS | UART_MSR_CTS | UART_MSR_DCD);
	EQ8(rd(UART_IIR), 0x01);
	ck_assert(!irq4.level);
}
END_TEST

START_TEST(out2_gates_the_irq)
{
	wr(UART_IER, UART_IER_THRE);      /* pending from now on */
	ck_assert(!irq4.level);           /* OUT2 = 0: the PC's driver is off */
	wr(UART_MCR, UART_MCR_OUT2);
	ck_assert(irq4.level);
	ck_assert_uint_eq(irq4.rises, 1);
	wr(UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
	ck_assert(!irq4.level);
	EQ8(rd(UART_IIR), 0x02);          /* the UART itself still has it pending */
}
END_TEST

/* ---- transmitter timing ---- */

/* the first byte leaves one character time after it was written at t = 0,
 * each further byte one character time after the one before (to 2 ns) */
static void check_tx_times(unsigned n, double ct)
{
	ck_assert_uint_eq(txr.n, n);
	for (unsigned i = 0; i < n; i++) {
		double got = (double)txr.when[i] - (i ? (double)txr.when[i - 1] : 0);
		ck_assert_msg(got > ct - 2 && got < ct + 2, "byte %u left %.0f ns after the one before, expected %.0f",
			      i, got, ct);
	}
}

START_TEST(tx_pacing_9600)
{
	line(12, 0x03);
	wr(UART_IIR, 0x07);
	wr(UART_RBR, 'a');
	wr(UART_RBR, 'b');
	wr(UART_RBR, 'c');
	EQ8(rd(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), 0);
	advance_to(1041000);
	ck_assert_uint_eq(txr.n, 0);      /* 10 bits at 9600 baud: 1.0417 ms */
	advance_to(1042000);
	ck_assert_uint_eq(txr.n, 1);
	advance_to(2083000);
	ck_assert_uint_eq(txr.n, 1);
	advance_to(2084000);
	ck_assert_uint_eq(txr.n, 2);
	EQ8(rd(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE);   /* 'c' in the shift register */
	advance_to(3126000);
	check_tx_times(3, CT_9600);
	ck_assert(!memcmp(txr.byte, "abc", 3));
	EQ8(rd(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
}
END_TEST

START_TEST(tx_pacing_115200)
{
	line(1, 0x03);
	wr(UART_IIR, 0x07);
	for (int i = 0; i < 17; i++)      /* shift register + 16 in the FIFO */
		wr(UART_RBR, (uint8_t)('A' + i));
	wr(UART_RBR, '!');                /* the FIFO is full: lost */
	advance_to(86000);
	ck_assert_uint_eq(txr.n, 0);      /* 10 bits at 115200 baud: 86.8 us */
	advance_to(20000000);
	check_tx_times(17, CT_115200);
	for (int i = 0; i < 17; i++)
		EQ8(txr.byte[i], 'A' + i);
}
END_TEST

START_TEST(tx_instant)
{
	U->instant = true;
	line(384, 0x03);
	wr(UART_MCR, UART_MCR_OUT2);
	wr(UART_IER, UART_IER_THRE);
	EQ8(rd(UART_IIR), 0x02);
	wr(UART_RBR, 'h');
	wr(UART_RBR, 'i');
	ck_assert_uint_eq(txr.n, 2);
	ck_assert_uint_eq(txr.when[1], 0);
	EQ8(rd(UART_LSR), 0x60);
	EQ8(rd(UART_IIR), 0x02);          /* the THR is empty again at once */
}
END_TEST

/* ---- lifecycle ---- */

START_TEST(reset_keeps_divisor)
{
	line(3, 0x1b);
	wr(UART_IIR, 0xc7);
	wr(UART_IER, 0x0f);
	wr(UART_MCR, 0x0f);
	wr(UART_SCR, 0x42);
	feed("abc");
	uart_reset(U);
	EQ8(rd(UART_IER), 0);
	EQ8(rd(UART_IIR), 0x01);
	EQ8(rd(UART_LCR), 0);
	EQ8(rd(UART_MCR), 0);
	EQ8(rd(UART_LSR), 0x60);
	wr(UART_LCR, 0x80);
	EQ8(rd(UART_RBR), 3);
	wr(UART_LCR, 0);
	ck_assert(!irq4.level);
}
END_TEST

START_TEST(save_load)
{
	line(12, 0x03);
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR);
	wr(UART_IIR, 0x47);
	wr(UART_IER, UART_IER_RDA | UART_IER_THRE);
	wr(UART_SCR, 0x77);
	feed("xy");
	wr(UART_RBR, '1');
	wr(UART_RBR, '2');
	advance_to(500000);

	struct state_writer w;
	sw_init(&w);
	uart_save(U, &w);
	ck_assert(!w.error);

	/* a truncated stream is refused and changes nothing */
	struct state_reader r;
	sr_init(&r, w.buf, w.len - 1);
	ck_assert_int_eq(uart_load(U, &r), -1);
	/* a bad FIFO count is refused */
	uint8_t *bad = malloc(w.len);
	memcpy(bad, w.buf, w.len);
	bad[4 + 1 + 12] = 17;             /* rx_count */
	sr_init(&r, bad, w.len);
	ck_assert_int_eq(uart_load(U, &r), -1);
	free(bad);

	uart_reset(U);
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(uart_load(U, &r), 0);
	ck_assert_uint_eq(r.pos, w.len);
	sw_free(&w);

	EQ8(rd(UART_SCR), 0x77);
	EQ8(rd(UART_MCR), UART_MCR_OUT2 | UART_MCR_DTR);
	EQ8(rd(UART_LCR), 0x03);
	EQ8(rd(UART_LSR) & (UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_DR);
	/* the transmission in progress goes on where it was */
	advance_to(1041000);
	ck_assert_uint_eq(txr.n, 0);
	advance_to(2084000);
	check_tx_times(2, CT_9600);
	EQ8(rd(UART_IIR), 0xc2);          /* '2' is in the shift register */
	/* and the receive FIFO and its timeout too: 4 character times after the
	 * bytes came, and it outranks THRE */
	advance_to(4166000);
	EQ8(rd(UART_IIR), 0xc1);
	advance_to(4167000);
	EQ8(rd(UART_IIR), 0xcc);
	EQ8(rd(UART_RBR), 'x');
	EQ8(rd(UART_RBR), 'y');
}
END_TEST

Suite *uart_suite(void)
{
	Suite *s = suite_create("uart");
	TCase *tc = tcase_create("16550a");
	tcase_add_checked_fixture(tc, uart_setup, uart_teardown);
	tcase_add_test(tc, reset_values);
	tcase_add_test(tc, divisor_latch_and_scratch);
	tcase_add_test(tc, character_time_from_lcr);
	tcase_add_test(tc, fifo_trigger_levels);
	tcase_add_test(tc, receive_respects_fifo_space);
	tcase_add_test(tc, iir_priority_order);
	tcase_add_test(tc, iir_read_clears_thre_only_when_reported);
	tcase_add_test(tc, thre_on_enable_and_write);
	tcase_add_test(tc, fifo_thre_and_iir_bits);
	tcase_add_test(tc, char_timeout_300_baud_12_bits);
	tcase_add_test(tc, char_timeout_restarted_by_reads);
	tcase_add_test(tc, overrun_fifo_mode);
	tcase_add_test(tc, overrun_16450_mode);
	tcase_add_test(tc, loopback);
	tcase_add_test(tc, loopback_modem_status_interrupt);
	tcase_add_test(tc, out2_gates_the_irq);
	tcase_add_test(tc, tx_pacing_9600);
	tcase_add_test(tc, tx_pacing_115200);
	tcase_add_test(tc, tx_instant);
	tcase_add_test(tc, reset_keeps_divisor);
	tcase_add_test(tc, save_load);
	suite_add_tcase(s, tc);
	return s;
}

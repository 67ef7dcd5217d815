/*
 * 16550A UART (National Semiconductor / TI PC16550D), as COM1 (0x3F8, IRQ4)
 * and COM2 (0x2F8, IRQ3) of a PC.
 *
 * The eight registers at base..base+7 (RBR/THR, IER, IIR/FCR, LCR, MCR, LSR,
 * MSR, SCR; DLL/DLM with LCR.DLAB), the 16-byte receive and transmit FIFOs,
 * the interrupt priorities of the IIR, the character timeout, loopback, and
 * the PC's use of OUT2 to gate the interrupt output.  Time comes from the
 * virtual clock: a transmitted byte leaves the shift register one character
 * time (start + data + parity + stop bits at the programmed baud rate) after
 * it entered it, unless the machine sets `instant`, in which case every byte
 * written to THR reaches the backend at once and THRE/TEMT never drop.
 *
 * The host side: bytes leave through backend.tx; host input enters with
 * uart_receive, which takes only what fits into the receive FIFO (16 bytes in
 * FIFO mode, 1 in 16450 mode) and returns how many it took, so the caller keeps
 * the rest and retries later (uart_rx_space says how much fits now).  Host
 * input never overruns; an overrun (LSR.OE) happens when loopback data finds
 * the receive FIFO full.
 */
#ifndef SHADE86_UART_H
#define SHADE86_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "irq.h"
#include "vclock.h"

struct mem;
struct state_writer;
struct state_reader;

#define UART_COM1_BASE 0x3f8
#define UART_COM2_BASE 0x2f8
#define UART_COM1_IRQ  4
#define UART_COM2_IRQ  3

#define UART_FIFO_SIZE 16
#define UART_CLOCK_HZ  1843200u   /* the PC's crystal: baud = 115200 / divisor */

/* register offsets from base */
enum {
	UART_RBR = 0,   /* read, DLAB = 0 (THR on write; DLL with DLAB = 1) */
	UART_IER = 1,   /* DLM with DLAB = 1 */
	UART_IIR = 2,   /* read (FCR on write) */
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

/* IER */
#define UART_IER_RDA  0x01   /* received data available (and character timeout) */
#define UART_IER_THRE 0x02
#define UART_IER_RLS  0x04   /* receiver line status */
#define UART_IER_MS   0x08   /* modem status */
/* IIR: bit 0 = 1 means nothing pending; bits 1-3 the source; 6-7 FIFOs enabled */
#define UART_IIR_NONE    0x01
#define UART_IIR_MS      0x00
#define UART_IIR_THRE    0x02
#define UART_IIR_RDA     0x04
#define UART_IIR_RLS     0x06
#define UART_IIR_TIMEOUT 0x0c
#define UART_IIR_FIFO    0xc0
/* FCR */
#define UART_FCR_ENABLE   0x01
#define UART_FCR_RX_RESET 0x02
#define UART_FCR_TX_RESET 0x04
#define UART_FCR_DMA      0x08
#define UART_FCR_TRIGGER  0xc0
/* LCR */
#define UART_LCR_WLS   0x03   /* word length - 5 */
#define UART_LCR_STB   0x04   /* 2 stop bits (1.5 with 5-bit words) */
#define UART_LCR_PEN   0x08
#define UART_LCR_BREAK 0x40
#define UART_LCR_DLAB  0x80
/* MCR */
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08   /* on the PC: enables the IRQ driver */
#define UART_MCR_LOOP 0x10
/* LSR */
#define UART_LSR_DR    0x01
#define UART_LSR_OE    0x02
#define UART_LSR_PE    0x04
#define UART_LSR_FE    0x08
#define UART_LSR_BI    0x10
#define UART_LSR_THRE  0x20
#define UART_LSR_TEMT  0x40
#define UART_LSR_FIFOE 0x80   /* error in RCVR FIFO */
#define UART_LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)
/* MSR */
#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS  0x10
#define UART_MSR_DSR  0x20
#define UART_MSR_RI   0x40
#define UART_MSR_DCD  0x80

struct uart_backend {
	void (*tx)(void *opaque, uint8_t byte);   /* NULL: transmitted bytes are dropped */
	void *opaque;
};

struct uart {
	/* wiring (not saved) */
	struct mem *mem;
	struct vclock *clock;
	uint16_t base;
	struct irq_line irq;
	struct uart_backend backend;
	bool instant;              /* machine option: THR bytes leave at once */

	/* registers */
	uint8_t ier, lcr, mcr, scr;
	uint8_t dll, dlm;
	uint8_t fcr;               /* FCR_ENABLE, FCR_DMA and the trigger bits as written */
	uint8_t lsr_err;           /* OE/PE/FE/BI latched until LSR is read */
	uint8_t msr;               /* lines in bits 4-7, deltas in bits 0-3 */
	uint8_t modem_in;          /* the CTS/DSR/RI/DCD inputs (MSR bit positions) */
	uint8_t rbr;               /* last byte read, returned again when DR = 0 */

	/* receive FIFO (1 deep in 16450 mode); per byte PE/FE/BI bits */
	uint8_t rx[UART_FIFO_SIZE], rx_err[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;
	/* transmit FIFO (the THR in 16450 mode) and shift register */
	uint8_t tx[UART_FIFO_SIZE];
	unsigned tx_head, tx_count;
	uint8_t tsr;
	bool tsr_busy;

	bool thre_pending;         /* THRE interrupt latched (see uart.c) */
	bool timeout_pending;      /* character timeout occurred */
	bool irq_level;            /* what the IRQ output drives now */

	struct vtimer tx_timer;    /* end of the character in the shift register */
	struct vtimer rx_timer;    /* character timeout */
};

/* base: UART_COM1_BASE or UART_COM2_BASE; irq: the line to the PIC (IRQ4/IRQ3).
 * Registers the 8 ports (byte accesses).  Returns -1 if the ports are taken. */
int uart_init(struct uart *u, struct mem *mem, struct vclock *clock, uint16_t base,
	      struct irq_line irq, struct uart_backend backend);
/* The MR (master reset) input: registers per the datasheet's reset table, FIFOs
 * and shift registers emptied, IRQ output low.  DLL/DLM and SCR are kept. */
void uart_reset(struct uart *u);

/* Host input: puts up to n bytes into the receive FIFO; returns how many were
 * taken (0 in loopback mode, where the receiver is cut off from the line). */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t n);
/* How many bytes uart_receive would take now. */
size_t uart_rx_space(const struct uart *u);
/* A break condition on the line: one zero character with BI set. Returns false
 * when the receive FIFO has no room (or in loopback mode). */
bool uart_receive_break(struct uart *u);
/* The modem inputs (UART_MSR_CTS | DSR | RI | DCD); the power-on default is
 * CTS | DSR | DCD, a connected null-modem.  Changes set the delta bits. */
void uart_set_modem_inputs(struct uart *u, uint8_t lines);

/* Snapshot.  Timers are saved as absolute virtual times: restore the clock
 * before loading devices.  uart_load returns -1 on a truncated or inconsistent
 * stream, and the device is then left as it was. */
void uart_save(const struct uart *u, struct state_writer *w);
int uart_load(struct uart *u, struct state_reader *r);

/* One character time in ns at the current divisor and LCR (for tests and the
 * machine's pacing of host input). */
uint64_t uart_char_time_ns(const struct uart *u);

#endif

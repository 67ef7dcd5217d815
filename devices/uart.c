/*
 * 16550A UART (see uart.h).
 *
 * Source of the facts: National Semiconductor / Texas Instruments PC16550D
 * datasheet ("PC16550D Universal Asynchronous Receiver/Transmitter With
 * FIFOs", SNLS378C, June 1995, revised May 2015): the register summary
 * table, the reset table, the IIR priority table, the "FIFO Interrupt Mode
 * Operation" section and the MCR description of loopback.  The PC wiring
 * (OUT2 enabling the IRQ driver, 1.8432 MHz crystal) is the IBM PC/AT
 * Technical Reference's "Serial/Parallel Adapter".
 *
 * What is modelled and how:
 * - Interrupt sources in priority order (IIR table): receiver line status
 *   (OE/PE/FE/BI, cleared by reading LSR); received data available (FIFO at
 *   or above the trigger level, cleared when it drops below) or character
 *   timeout (cleared by reading RBR); THR empty; modem status (cleared by
 *   reading MSR).  In FIFO mode IIR bits 6-7 read 1.
 * - THRE interrupt: latched when the THR (FIFO mode: the transmit FIFO)
 *   becomes empty, or when IER.ETBEI is set while it is empty (real 16550s
 *   assert it then, drivers rely on it); cleared by writing THR or by reading
 *   IIR while THRE is the source it reports.
 * - Character timeout ("FIFO Interrupt Mode Operation"): in FIFO mode, with
 *   at least one character in the receive FIFO, when neither a character was
 *   received nor the FIFO was read for 4 character times.  Once it occurred
 *   only a read of RBR clears it (a new character merely restarts the timer).
 * - A character time is 1 start bit + 5-8 data bits + parity + 1, 1.5 or 2
 *   stop bits, each bit 16 clocks of the baud generator (1.8432 MHz / divisor).
 * - Overrun: a character arriving at a full FIFO is lost (16450 mode: it
 *   overwrites RBR) and OE is set.
 * - Loopback (MCR bit 4): the transmitter's output goes to the receiver, the
 *   line and the modem inputs are cut off; CTS = RTS, DSR = DTR, RI = OUT1,
 *   DCD = OUT2.  Interrupts work as usual.
 * - The IRQ output is the chip's INTR gated by MCR.OUT2, as the PC's adapter
 *   does with the OUT2 pin.  In loopback the datasheet forces the OUT2 *pin*
 *   inactive; we gate with the OUT2 *bit* in both modes, as the UARTs built
 *   into PC chipsets do, so loopback interrupts reach the guest.
 *
 * Not modelled: parity/framing errors from the host (the line carries bytes,
 * not bits), the break bit of LCR on the transmit side, the DMA mode signals
 * (the FCR bit is kept), and the datasheet's extra delay of the first THRE
 * indication in FIFO mode ("delayed one character time minus the last stop
 * bit").
 */
#include <string.h>

#include "uart.h"
#include "state.h"
#include "../mmu/mem.h"

#define UART_STATE_MAGIC 0x55415254u   /* "UART" */
#define UART_STATE_VERSION 1

static bool fifo_mode(const struct uart *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

static unsigned fifo_depth(const struct uart *u)
{
	return fifo_mode(u) ? UART_FIFO_SIZE : 1;
}

/* FCR bits 7-6: 1, 4, 8 or 14 bytes (16450 mode: every byte) */
static unsigned rx_trigger(const struct uart *u)
{
	static const uint8_t levels[4] = { 1, 4, 8, 14 };
	return fifo_mode(u) ? levels[u->fcr >> 6] : 1;
}

uint64_t uart_char_time_ns(const struct uart *u)
{
	unsigned divisor = u->dll | (unsigned)u->dlm << 8;
	if (!divisor)
		divisor = 0x10000;   /* undefined in the datasheet: taken as 2^16 */
	unsigned data = 5 + (u->lcr & UART_LCR_WLS);
	/* counted in half bits for the 1.5 stop bits of 5-bit words */
	unsigned half_bits = 2 * (1 + data + ((u->lcr & UART_LCR_PEN) ? 1 : 0));
	if (!(u->lcr & UART_LCR_STB))
		half_bits += 2;
	else
		half_bits += data == 5 ? 3 : 4;
	uint64_t num = (uint64_t)half_bits * divisor * 16 * 1000000000ull;
	uint64_t den = 2ull * UART_CLOCK_HZ;
	return (num + den / 2) / den;
}

/* ---- interrupts ---- */

static uint8_t iir_source(const struct uart *u)
{
	if ((u->ier & UART_IER_RLS) && (u->lsr_err & UART_LSR_ERRORS))
		return UART_IIR_RLS;
	if (u->ier & UART_IER_RDA) {
		if (u->rx_count && u->rx_count >= rx_trigger(u))
			return UART_IIR_RDA;
		if (u->timeout_pending)
			return UART_IIR_TIMEOUT;
	}
	if ((u->ier & UART_IER_THRE) && u->thre_pending)
		return UART_IIR_THRE;
	if ((u->ier & UART_IER_MS) && (u->msr & 0x0f))
		return UART_IIR_MS;
	return UART_IIR_NONE;
}

static void update_irq(struct uart *u)
{
	bool level = iir_source(u) != UART_IIR_NONE && (u->mcr & UART_MCR_OUT2);
	if (level != u->irq_level) {
		u->irq_level = level;
		irq_set(&u->irq, level);
	}
}

/* ---- modem lines ---- */

static uint8_t modem_lines(const struct uart *u)
{
	if (!(u->mcr & UART_MCR_LOOP))
		return u->modem_in;
	uint8_t l = 0;
	if (u->mcr & UART_MCR_RTS)
		l |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		l |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		l |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		l |= UART_MSR_DCD;
	return l;
}

/* MSR bits 4-7 follow the lines; bits 0-3 record changes until MSR is read
 * (TERI: RI went from on to off, the trailing edge of the ring). */
static void update_msr(struct uart *u)
{
	uint8_t old = u->msr & 0xf0, now = modem_lines(u), delta = 0;
	if ((old ^ now) & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if ((old ^ now) & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
		delta |= UART_MSR_TERI;
	if ((old ^ now) & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	u->msr = (uint8_t)(now | (u->msr & 0x0f) | delta);
}

/* ---- receiver ---- */

static void rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->timeout_pending = false;
	vtimer_cancel(u->clock, &u->rx_timer);
}

/* A character reached the receiver (from the line or the loopback). */
static void rx_push(struct uart *u, uint8_t byte, uint8_t err)
{
	if (u->rx_count >= fifo_depth(u)) {
		u->lsr_err |= UART_LSR_OE;
		if (!fifo_mode(u)) {   /* 16450 mode: the new character replaces RBR */
			u->rx[u->rx_head] = byte;
			u->rx_err[u->rx_head] = err;
			u->lsr_err |= err;
		}
		return;
	}
	unsigned i = (u->rx_head + u->rx_count) % UART_FIFO_SIZE;
	u->rx[i] = byte;
	u->rx_err[i] = err;
	if (u->rx_count++ == 0)
		u->lsr_err |= err;   /* errors show when their character is at the top */
}

/* A character was received or the FIFO was read: restart the timeout timer. */
static void rx_activity(struct uart *u)
{
	if (fifo_mode(u) && u->rx_count)
		vtimer_arm(u->clock, &u->rx_timer, vclock_now(u->clock) + 4 * uart_char_time_ns(u));
	else
		vtimer_cancel(u->clock, &u->rx_timer);
}

static void rx_timeout(void *opaque)
{
	struct uart *u = opaque;
	if (fifo_mode(u) && u->rx_count) {
		u->timeout_pending = true;
		update_irq(u);
	}
}

static uint8_t read_rbr(struct uart *u)
{
	if (u->rx_count) {
		u->rbr = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
		if (--u->rx_count)
			u->lsr_err |= u->rx_err[u->rx_head];
	}
	u->timeout_pending = false;
	rx_activity(u);
	update_irq(u);
	return u->rbr;
}

size_t uart_rx_space(const struct uart *u)
{
	if (u->mcr & UART_MCR_LOOP)
		return 0;
	return fifo_depth(u) - u->rx_count;
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t n)
{
	size_t space = uart_rx_space(u), k = n < space ? n : space;
	for (size_t i = 0; i < k; i++)
		rx_push(u, buf[i], 0);
	if (k) {
		rx_activity(u);
		update_irq(u);
	}
	return k;
}

bool uart_receive_break(struct uart *u)
{
	if (!uart_rx_space(u))
		return false;
	rx_push(u, 0, UART_LSR_BI);   /* one zero character is loaded for a break */
	rx_activity(u);
	update_irq(u);
	return true;
}

void uart_set_modem_inputs(struct uart *u, uint8_t lines)
{
	u->modem_in = lines & 0xf0;
	update_msr(u);
	update_irq(u);
}

/* ---- transmitter ---- */

static void tx_out(struct uart *u, uint8_t byte)
{
	if (u->mcr & UART_MCR_LOOP) {
		rx_push(u, byte, 0);
		rx_activity(u);
	} else if (u->backend.tx) {
		u->backend.tx(u->backend.opaque, byte);
	}
}

static void tx_clear(struct uart *u)
{
	if (u->tx_count)
		u->thre_pending = true;   /* the THR became empty */
	u->tx_head = 0;
	u->tx_count = 0;
}

/* Move the next byte from the THR/FIFO into the idle shift register; it
 * leaves one character time later. */
static void tx_start(struct uart *u)
{
	if (u->tsr_busy || !u->tx_count)
		return;
	u->tsr = u->tx[u->tx_head];
	u->tx_head = (u->tx_head + 1) % UART_FIFO_SIZE;
	if (--u->tx_count == 0)
		u->thre_pending = true;
	u->tsr_busy = true;
	vtimer_arm(u->clock, &u->tx_timer, vclock_now(u->clock) + uart_char_time_ns(u));
}

static void tx_done(void *opaque)
{
	struct uart *u = opaque;
	u->tsr_busy = false;
	tx_out(u, u->tsr);
	tx_start(u);
	update_irq(u);
}

static void write_thr(struct uart *u, uint8_t v)
{
	u->thre_pending = false;
	if (u->instant) {
		tx_out(u, v);
		u->thre_pending = true;   /* empty again at once */
	} else {
		if (u->tx_count < fifo_depth(u))   /* a write to a full FIFO is lost */
			u->tx[(u->tx_head + u->tx_count++) % UART_FIFO_SIZE] = v;
		tx_start(u);
	}
	update_irq(u);
}

/* ---- registers ---- */

static void write_ier(struct uart *u, uint8_t v)
{
	uint8_t old = u->ier;
	u->ier = v & 0x0f;
	if (!(u->ier & UART_IER_THRE))
		u->thre_pending = false;
	else if (!(old & UART_IER_THRE) && !u->tx_count)
		u->thre_pending = true;
	update_irq(u);
}

/* FCR: bit 0 enables both FIFOs and must be 1 for the other bits to be
 * written; changing it empties both FIFOs.  Bits 1/2 empty the receive /
 * transmit FIFO (not the shift registers).  The first THRE interrupt after
 * FIFO mode is enabled is immediate. */
static void write_fcr(struct uart *u, uint8_t v)
{
	bool was = fifo_mode(u), now = v & UART_FCR_ENABLE;
	if (was != now) {
		rx_clear(u);
		tx_clear(u);
		u->thre_pending = true;
	}
	if (!now) {
		u->fcr = 0;
	} else {
		u->fcr = v & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER);
		if (v & UART_FCR_RX_RESET)
			rx_clear(u);
		if (v & UART_FCR_TX_RESET)
			tx_clear(u);
	}
	update_irq(u);
}

static void write_mcr(struct uart *u, uint8_t v)
{
	u->mcr = v & 0x1f;   /* bits 5-7 are always 0 */
	update_msr(u);
	update_irq(u);
}

static uint8_t lsr_value(const struct uart *u)
{
	uint8_t v = u->lsr_err;
	if (u->rx_count)
		v |= UART_LSR_DR;
	if (!u->tx_count) {
		v |= UART_LSR_THRE;
		if (!u->tsr_busy)
			v |= UART_LSR_TEMT;
	}
	if (fifo_mode(u)) {
		for (unsigned i = 0; i < u->rx_count; i++)
			if (u->rx_err[(u->rx_head + i) % UART_FIFO_SIZE])
				v |= UART_LSR_FIFOE;
	}
	return v;
}

static uint8_t read_lsr(struct uart *u)
{
	uint8_t v = lsr_value(u);
	u->lsr_err = 0;
	update_irq(u);
	return v;
}

static uint8_t read_iir(struct uart *u)
{
	uint8_t src = iir_source(u);
	if (src == UART_IIR_THRE) {
		u->thre_pending = false;
		update_irq(u);
	}
	return src | (fifo_mode(u) ? UART_IIR_FIFO : 0);
}

static uint8_t read_msr(struct uart *u)
{
	uint8_t v = u->msr;
	u->msr &= 0xf0;
	update_irq(u);
	return v;
}

static uint32_t uart_read(void *opaque, uint32_t port, unsigned size)
{
	struct uart *u = opaque;
	(void)size;
	bool dlab = u->lcr & UART_LCR_DLAB;
	switch (port - u->base) {
	case UART_RBR:
		return dlab ? u->dll : read_rbr(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return read_lsr(u);
	case UART_MSR:
		return read_msr(u);
	default:
		return u->scr;
	}
}

static void uart_write(void *opaque, uint32_t port, uint32_t value, unsigned size)
{
	struct uart *u = opaque;
	uint8_t v = (uint8_t)value;
	(void)size;
	bool dlab = u->lcr & UART_LCR_DLAB;
	switch (port - u->base) {
	case UART_RBR:
		if (dlab)
			u->dll = v;
		else
			write_thr(u, v);
		break;
	case UART_IER:
		if (dlab)
			u->dlm = v;
		else
			write_ier(u, v);
		break;
	case UART_IIR:
		write_fcr(u, v);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		write_mcr(u, v);
		break;
	case UART_LSR:
	case UART_MSR:
		break;   /* factory test access on the real chip */
	default:
		u->scr = v;
		break;
	}
}

/* ---- lifecycle ---- */

void uart_reset(struct uart *u)
{
	vtimer_cancel(u->clock, &u->tx_timer);
	vtimer_cancel(u->clock, &u->rx_timer);
	/* the datasheet's reset table: IER, FCR, LCR, MCR = 0; IIR = 01; LSR = 60;
	 * MSR bits 0-3 = 0, bits 4-7 = the inputs */
	u->ier = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->fcr = 0;
	u->lsr_err = 0;
	u->rbr = 0;
	rx_clear(u);
	u->tx_head = 0;
	u->tx_count = 0;
	u->tsr_busy = false;
	u->thre_pending = false;
	u->msr = u->modem_in;
	if (u->irq_level) {
		u->irq_level = false;
		irq_set(&u->irq, false);
	}
}

int uart_init(struct uart *u, struct mem *mem, struct vclock *clock, uint16_t base,
	      struct irq_line irq, struct uart_backend backend)
{
	memset(u, 0, sizeof(*u));
	u->mem = mem;
	u->clock = clock;
	u->base = base;
	u->irq = irq;
	u->backend = backend;
	u->modem_in = UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
	u->dll = 12;   /* the latch is undefined at power-on; 9600 baud */
	vtimer_init(&u->tx_timer, tx_done, u);
	vtimer_init(&u->rx_timer, rx_timeout, u);
	uart_reset(u);
	return io_register(mem, base, 8, uart_read, uart_write, u, "uart", MEM_W8);
}

/* ---- snapshots ---- */

static void save_timer(struct state_writer *w, const struct vtimer *t)
{
	sw_u8(w, t->armed);
	sw_u64(w, t->armed ? t->expires : 0);
}

void uart_save(const struct uart *u, struct state_writer *w)
{
	sw_u32(w, UART_STATE_MAGIC);
	sw_u8(w, UART_STATE_VERSION);
	sw_u8(w, u->ier);
	sw_u8(w, u->lcr);
	sw_u8(w, u->mcr);
	sw_u8(w, u->scr);
	sw_u8(w, u->dll);
	sw_u8(w, u->dlm);
	sw_u8(w, u->fcr);
	sw_u8(w, u->lsr_err);
	sw_u8(w, u->msr);
	sw_u8(w, u->modem_in);
	sw_u8(w, u->rbr);
	sw_u8(w, (uint8_t)u->rx_head);
	sw_u8(w, (uint8_t)u->rx_count);
	sw_bytes(w, u->rx, UART_FIFO_SIZE);
	sw_bytes(w, u->rx_err, UART_FIFO_SIZE);
	sw_u8(w, (uint8_t)u->tx_head);
	sw_u8(w, (uint8_t)u->tx_count);
	sw_bytes(w, u->tx, UART_FIFO_SIZE);
	sw_u8(w, u->tsr);
	sw_u8(w, u->tsr_busy);
	sw_u8(w, u->thre_pending);
	sw_u8(w, u->timeout_pending);
	save_timer(w, &u->tx_timer);
	save_timer(w, &u->rx_timer);
}

static bool load_bool(struct state_reader *r, bool *ok)
{
	uint8_t v = sr_u8(r);
	if (v > 1)
		*ok = false;
	return v;
}

int uart_load(struct uart *u, struct state_reader *r)
{
	struct uart n = *u;   /* decoded here, committed only when consistent */
	bool ok = sr_u32(r) == UART_STATE_MAGIC && sr_u8(r) == UART_STATE_VERSION;
	n.ier = sr_u8(r);
	n.lcr = sr_u8(r);
	n.mcr = sr_u8(r);
	n.scr = sr_u8(r);
	n.dll = sr_u8(r);
	n.dlm = sr_u8(r);
	n.fcr = sr_u8(r);
	n.lsr_err = sr_u8(r);
	n.msr = sr_u8(r);
	n.modem_in = sr_u8(r);
	n.rbr = sr_u8(r);
	n.rx_head = sr_u8(r);
	n.rx_count = sr_u8(r);
	sr_bytes(r, n.rx, UART_FIFO_SIZE);
	sr_bytes(r, n.rx_err, UART_FIFO_SIZE);
	n.tx_head = sr_u8(r);
	n.tx_count = sr_u8(r);
	sr_bytes(r, n.tx, UART_FIFO_SIZE);
	n.tsr = sr_u8(r);
	n.tsr_busy = load_bool(r, &ok);
	n.thre_pending = load_bool(r, &ok);
	n.timeout_pending = load_bool(r, &ok);
	bool tx_armed = load_bool(r, &ok);
	uint64_t tx_expires = sr_u64(r);
	bool rx_armed = load_bool(r, &ok);
	uint64_t rx_expires = sr_u64(r);

	if (r->error || !ok)
		return -1;
	if (n.ier > 0x0f || n.mcr > 0x1f || (n.fcr & ~(UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER)) ||
	    (!(n.fcr & UART_FCR_ENABLE) && n.fcr) || (n.lsr_err & ~UART_LSR_ERRORS) || (n.modem_in & 0x0f))
		return -1;
	if (n.rx_head >= UART_FIFO_SIZE || n.rx_count > fifo_depth(&n) ||
	    n.tx_head >= UART_FIFO_SIZE || n.tx_count > fifo_depth(&n))
		return -1;
	if (n.tsr_busy != tx_armed || (rx_armed && !n.rx_count) || (n.timeout_pending && !n.rx_count))
		return -1;

	vtimer_cancel(u->clock, &u->tx_timer);
	vtimer_cancel(u->clock, &u->rx_timer);
	*u = n;
	vtimer_init(&u->tx_timer, tx_done, u);
	vtimer_init(&u->rx_timer, rx_timeout, u);
	if (tx_armed)
		vtimer_arm(u->clock, &u->tx_timer, tx_expires);
	if (rx_armed)
		vtimer_arm(u->clock, &u->rx_timer, rx_expires);
	/* drive the line to what the loaded state says */
	u->irq_level = iir_source(u) != UART_IIR_NONE && (u->mcr & UART_MCR_OUT2);
	irq_set(&u->irq, u->irq_level);
	return 0;
}

/*
 * 8254 PIT and port 0x61 (see pit.h).
 *
 * References are to the Intel 82C54 datasheet (231244): "Control Word
 * Format", "Write Operations", "Read Operations" (counter latch command,
 * read-back command, status byte, null count), "Mode Definitions" (modes
 * 0-5, with their figures), "Operation Common to All Modes" (gate, counter
 * loading, the minimum and maximum counts).
 *
 * The counting element (CE) is simulated pulse by pulse in closed form: from
 * the state after CLK pulse `tick`, advance() jumps from one event (a load,
 * terminal count, OUT change, reload) to the next, and over whole periods in
 * the periodic modes, so its cost does not depend on the elapsed time.
 *
 * A write at virtual time t takes effect between pulse ticks_at(t) and the
 * next one: a count is loaded into the CE on the next CLK pulse
 * ("Operation Common to All Modes", counter loading), so with a count of N
 * mode 0's OUT goes high N + 1 pulses after the write and mode 2's OUT goes
 * low N pulses after it.
 */
#include "pit.h"
#include "state.h"
#include "../mmu/mem.h"

#define NEVER UINT64_MAX
#define NS_PER_S 1000000000ull
#define REFRESH_TICKS 18   /* the AT refresh request: every 18 PIT clocks, 15.085 us */

/* ---- time ---- */

/* CLK pulses from virtual time 0 up to and including ns */
static uint64_t ticks_at(uint64_t ns)
{
	return ns / NS_PER_S * PIT_HZ + ns % NS_PER_S * PIT_HZ / NS_PER_S;
}

/* virtual time of CLK pulse k: the first ns with ticks_at(ns) >= k */
static uint64_t tick_time(uint64_t k)
{
	uint64_t q = k / PIT_HZ, r = k % PIT_HZ;
	if (q > UINT64_MAX / NS_PER_S - 1)
		return NEVER;
	return q * NS_PER_S + (r * NS_PER_S + PIT_HZ - 1) / PIT_HZ;
}

/* ---- counts ---- */

static uint32_t modulus(const struct pit_channel *c)
{
	return c->bcd ? 10000u : 65536u;
}

static uint32_t bcd_to_bin(uint16_t v)
{
	return ((v >> 12) & 15) * 1000u + ((v >> 8) & 15) * 100u + ((v >> 4) & 15) * 10u + (v & 15);
}

/* The count register as a number of pulses: 0 is the maximum count, 2^16 in
 * binary and 10^4 in BCD ("Operation Common to All Modes"). */
static uint32_t cr_count(const struct pit_channel *c)
{
	uint32_t m = modulus(c);
	uint32_t v = (c->bcd ? bcd_to_bin(c->cr) : c->cr) % m;
	return v ? v : m;
}

static uint16_t encode(const struct pit_channel *c, uint32_t v)
{
	if (!c->bcd)
		return (uint16_t)v;
	v %= 10000;
	return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

/* Does the CE count on CLK pulses?  GATE low disables counting in modes 0, 2,
 * 3 and 4; in modes 1 and 5 the gate is only a trigger. */
static bool gate_counts(const struct pit_channel *c)
{
	return c->mode == 1 || c->mode == 5 || c->gate;
}

/* ---- the counting element ---- */

/* Mode 2 and 3 reload at the end of a period (half-cycle in mode 3): the
 * count register's current value, so a count written while counting takes
 * effect then ("Mode 2", "Mode 3").  Mode 3 loads an odd count minus one and
 * counts down by two ("Mode 3 is implemented as follows"). */
static void reload(struct pit_channel *c)
{
	uint32_t m = modulus(c);
	c->n = cr_count(c);
	c->null_count = false;
	c->ce = (c->mode == 3 && (c->n & 1)) ? c->n - 1 : c->n % m;
}

/* The CLK pulse that loads the CR into the CE after a count write or a
 * trigger. */
static void do_load(struct pit_channel *c)
{
	c->load = false;
	c->counting = true;
	reload(c);
	switch (c->mode) {
	case 1:   /* "OUT will go low on the CLK pulse following a trigger" */
		c->out = false;
		break;
	case 2:
	case 3:
		c->out = true;
		break;
	case 4:
	case 5:
		c->armed = true;
		c->out = true;
		break;
	default:  /* mode 0: OUT stays low until terminal count */
		break;
	}
}

/* Pulses until the next event of a counting CE (>= 1), or NEVER. */
static uint64_t to_event(const struct pit_channel *c)
{
	uint64_t v = c->ce ? c->ce : modulus(c);   /* pulses until the CE reaches 0 */
	switch (c->mode) {
	case 0:
	case 1:   /* OUT goes high at terminal count, once */
		return c->out ? NEVER : v;
	case 4:
	case 5:   /* OUT low for one pulse at terminal count, once */
		return c->armed ? v : (!c->out ? 1 : NEVER);
	case 2:   /* OUT low when the CE reaches 1, reload on the next pulse */
		if (!c->out || c->n == 1)
			return 1;
		return v > 1 ? v - 1 : 1;
	default:  /* 3 */
		if (c->n == 1)
			return 1;
		if (!(c->n & 1))
			return v / 2;
		/* odd: OUT goes low one pulse after the count expires, high
		 * again when it expires */
		return c->out ? c->ce / 2 + 1 : (c->ce >= 2 ? c->ce / 2 : 1);
	}
}

/* d pulses of counting, d <= to_event(c). */
static void count_down(struct pit_channel *c, uint64_t d)
{
	uint32_t m = modulus(c);
	uint64_t dec = c->mode == 3 ? 2 * d : d;
	if (c->mode == 3 && (c->n & 1) && c->out && dec > c->ce)
		c->ce = 0;   /* the extra pulse after an odd count expires */
	else
		c->ce = (uint32_t)((c->ce + m - dec % m) % m);
}

static void event(struct pit_channel *c)
{
	switch (c->mode) {
	case 0:
	case 1:
		c->out = true;
		break;
	case 4:
	case 5:
		if (c->armed) {
			c->armed = false;
			c->out = false;
		} else {
			c->out = true;
		}
		break;
	case 2:
		if (c->out && c->n != 1) {
			c->out = false;
		} else {
			reload(c);
			c->out = true;
		}
		break;
	default:  /* 3 */
		if (c->n != 1)
			c->out = !c->out;
		reload(c);
		if (c->n == 1)
			c->out = true;   /* a count of 1: no low half */
		break;
	}
}

/* Bring the channel to the state after CLK pulse `to`. */
static void advance(struct pit_channel *c, uint64_t to)
{
	while (c->tick < to) {
		if (c->load) {
			do_load(c);
			c->tick++;
			continue;
		}
		if (!c->counting || !gate_counts(c)) {
			c->tick = to;
			break;
		}
		uint64_t d = to - c->tick;
		/* modes 2 and 3 repeat every n pulses once the CE holds the CR */
		if ((c->mode == 2 || c->mode == 3) && !c->null_count && d >= c->n) {
			c->tick += d - d % c->n;
			c->rises += (uint32_t)(d / c->n);   /* one rising edge per period */
			continue;
		}
		uint64_t e = to_event(c);
		if (d < e) {
			count_down(c, d);
			c->tick = to;
			break;
		}
		count_down(c, e);
		c->tick += e;
		bool was = c->out;
		event(c);
		if (!was && c->out)
			c->rises++;
	}
}

/* Pulses from c->tick until OUT changes, or NEVER. */
static uint64_t next_out_change(const struct pit_channel *c)
{
	struct pit_channel t = *c;
	uint64_t elapsed = 0;
	for (int i = 0; i < 4; i++) {
		if (t.load) {
			do_load(&t);
			elapsed++;
		} else {
			if (!t.counting || !gate_counts(&t))
				return NEVER;
			uint64_t e = to_event(&t);
			if (e == NEVER)
				return NEVER;
			count_down(&t, e);
			elapsed += e;
			event(&t);
		}
		if (t.out != c->out)
			return elapsed;
	}
	return NEVER;
}

/* ---- the chip ---- */

static void sync(struct pit *p, struct pit_channel *c)
{
	advance(c, ticks_at(vclock_now(p->clock)));
}

/* Channel 0 was synced and maybe changed: drive IRQ0, arm the next edge. */
static void ch0_update(struct pit *p)
{
	struct pit_channel *c = &p->ch[0];
	/* OUT may have risen and fallen since IRQ0 was last driven: the clock
	 * is looked at in slices, and mode 2's low pulse lasts one CLK.  The
	 * PIC must still see a rising edge for every period (or one for several
	 * periods that passed unseen: lost ticks, as on a busy real machine). */
	uint32_t rises = c->rises;
	c->rises = 0;
	bool rise_now = !p->irq_level && c->out;
	if (rises > (rise_now ? 1u : 0u)) {
		if (p->irq_level)
			irq_set(&p->irq0, false);
		irq_set(&p->irq0, true);
		p->irq_level = true;
	}
	if (c->out != p->irq_level) {
		p->irq_level = c->out;
		irq_set(&p->irq0, c->out);
	}
	uint64_t d = next_out_change(c);
	uint64_t when = d == NEVER ? NEVER : tick_time(c->tick + d);
	if (when == NEVER)
		vtimer_cancel(p->clock, &p->timer);
	else
		vtimer_arm(p->clock, &p->timer, when);
}

static void timer_fire(void *opaque)
{
	struct pit *p = opaque;
	sync(p, &p->ch[0]);
	ch0_update(p);
}

static void changed(struct pit *p, const struct pit_channel *c)
{
	if (c == &p->ch[0])
		ch0_update(p);
}

/* A complete count was written ("Mode Definitions"). */
static void count_written(struct pit_channel *c)
{
	c->have_count = true;
	c->null_count = true;
	switch (c->mode) {
	case 0:   /* OUT low; the count is loaded on the next pulse */
		c->out = false;
		c->load = true;
		break;
	case 4:   /* loaded on the next pulse, counting starts over */
		c->load = true;
		break;
	case 2:
	case 3:   /* the first count is loaded on the next pulse; later ones at
		   * the end of the period */
		if (!c->counting && c->gate)
			c->load = true;
		break;
	default:  /* 1, 5: loaded by the next trigger */
		break;
	}
}

static void set_gate(struct pit *p, struct pit_channel *c, bool level)
{
	sync(p, c);
	if (level == c->gate)
		return;
	c->gate = level;
	if (level) {
		/* rising edge: a trigger in modes 1, 2, 3 and 5 */
		if (c->mode != 0 && c->mode != 4 && c->have_count)
			c->load = true;
	} else if (c->mode == 2 || c->mode == 3) {
		/* "GATE = 0 forces OUT high" (mode 2); "If GATE goes low while
		 * OUT is low, OUT is set high immediately" (mode 3) */
		c->out = true;
		c->load = false;
	}
	changed(p, c);
}

static uint8_t status_byte(const struct pit_channel *c)
{
	return (uint8_t)(c->out << 7 | c->null_count << 6 | c->rw << 4 | c->mode_bits << 1 | c->bcd);
}

static void latch_count(struct pit_channel *c)
{
	/* a second latch before the first is read is ignored */
	if (!c->latched) {
		c->ol = encode(c, c->ce);
		c->latched = true;
	}
}

static void control_word(struct pit *p, uint8_t v)
{
	unsigned sc = v >> 6;
	if (sc == 3) {
		/* read-back: D5 = 0 latches the counts, D4 = 0 the status of
		 * the counters selected by D3-D1 */
		for (unsigned i = 0; i < 3; i++) {
			struct pit_channel *c = &p->ch[i];
			if (!(v & (2u << i)))
				continue;
			sync(p, c);
			if (!(v & 0x20))
				latch_count(c);
			if (!(v & 0x10) && !c->status_latched) {
				c->status = status_byte(c);
				c->status_latched = true;
			}
		}
		return;
	}
	struct pit_channel *c = &p->ch[sc];
	sync(p, c);
	unsigned rw = (v >> 4) & 3;
	if (rw == 0) {
		latch_count(c);
		return;
	}
	/* "When a control word is written to a counter, all control logic is
	 * immediately reset and OUT goes to a known initial state": low in
	 * mode 0, high in the others. */
	c->mode_bits = (v >> 1) & 7;
	c->mode = (c->mode_bits & 2) ? (c->mode_bits & 3) : c->mode_bits;
	c->rw = (uint8_t)rw;
	c->bcd = v & 1;
	c->ce %= modulus(c);
	c->out = c->mode != 0;
	c->counting = c->load = c->armed = c->have_count = false;
	c->null_count = true;
	c->wr_msb = c->rd_msb = c->latched = c->status_latched = false;
	changed(p, c);
}

static void counter_write(struct pit *p, struct pit_channel *c, uint8_t v)
{
	sync(p, c);
	switch (c->rw) {
	case 1:
		c->cr = v;
		count_written(c);
		break;
	case 2:
		c->cr = (uint16_t)(v << 8);
		count_written(c);
		break;
	default:
		if (!c->wr_msb) {
			c->cr_lsb = v;
			c->wr_msb = true;
			/* mode 0: "Writing the first byte disables counting.
			 * OUT is set low immediately" */
			if (c->mode == 0) {
				c->out = false;
				c->counting = false;
				c->load = false;
			}
		} else {
			c->cr = (uint16_t)(c->cr_lsb | v << 8);
			c->wr_msb = false;
			count_written(c);
		}
		break;
	}
	changed(p, c);
}

static uint8_t counter_read(struct pit *p, struct pit_channel *c)
{
	sync(p, c);
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	uint16_t v = c->latched ? c->ol : encode(c, c->ce);
	switch (c->rw) {
	case 1:
		c->latched = false;
		return (uint8_t)v;
	case 2:
		c->latched = false;
		return (uint8_t)(v >> 8);
	default:
		if (!c->rd_msb) {
			c->rd_msb = true;
			return (uint8_t)v;
		}
		c->rd_msb = false;
		c->latched = false;
		return (uint8_t)(v >> 8);
	}
}

static uint32_t pit_read(void *opaque, uint32_t port, unsigned size)
{
	struct pit *p = opaque;
	(void)size;
	if ((port & 3) == 3)
		return 0xff;   /* the control word register cannot be read */
	return counter_read(p, &p->ch[port & 3]);
}

static void pit_write(void *opaque, uint32_t port, uint32_t value, unsigned size)
{
	struct pit *p = opaque;
	(void)size;
	if ((port & 3) == 3)
		control_word(p, (uint8_t)value);
	else
		counter_write(p, &p->ch[port & 3], (uint8_t)value);
}

/* Port 0x61, system control port B: bit 0 channel 2 gate, bit 1 speaker data
 * enable, bits 2-3 (parity/channel check enables) kept as written; reads add
 * bit 4, the refresh request toggle, and bit 5, channel 2's OUT. */
static uint32_t port61_read(void *opaque, uint32_t port, unsigned size)
{
	struct pit *p = opaque;
	(void)port;
	(void)size;
	uint64_t t = ticks_at(vclock_now(p->clock));
	bool refresh = (t / REFRESH_TICKS) & 1;
	return (uint32_t)(p->port61 | refresh << 4 | pit_out(p, 2) << 5);
}

static void port61_write(void *opaque, uint32_t port, uint32_t value, unsigned size)
{
	struct pit *p = opaque;
	(void)port;
	(void)size;
	p->port61 = (uint8_t)(value & 0x0f);
	set_gate(p, &p->ch[2], value & 1);
}

/* ---- interface ---- */

bool pit_out(struct pit *p, int ch)
{
	if (ch < 0 || ch > 2)
		return false;
	struct pit_channel *c = &p->ch[ch];
	sync(p, c);
	return c->out;
}

bool pit_speaker(struct pit *p)
{
	return (p->port61 & 2) && pit_out(p, 2);
}

void pit_reset(struct pit *p)
{
	uint64_t now = ticks_at(vclock_now(p->clock));
	for (unsigned i = 0; i < 3; i++) {
		p->ch[i] = (struct pit_channel){
			.mode = 3, .mode_bits = 3, .rw = 3, .out = true, .null_count = true,
			.gate = i != 2, .tick = now,
		};
	}
	p->port61 = 0;
	ch0_update(p);
}

int pit_init(struct pit *p, struct mem *mem, struct vclock *clock, struct irq_line irq0)
{
	*p = (struct pit){ .mem = mem, .clock = clock, .irq0 = irq0 };
	vtimer_init(&p->timer, timer_fire, p);
	pit_reset(p);
	if (io_register(mem, 0x40, 4, pit_read, pit_write, p, "pit", MEM_W8) < 0 ||
	    io_register(mem, 0x61, 1, port61_read, port61_write, p, "port61", MEM_W8) < 0)
		return -1;
	return 0;
}

void pit_save(const struct pit *p, struct state_writer *w)
{
	for (unsigned i = 0; i < 3; i++) {
		const struct pit_channel *c = &p->ch[i];
		sw_u8(w, c->mode_bits);
		sw_u8(w, c->rw);
		sw_u16(w, c->cr);
		sw_u8(w, c->cr_lsb);
		sw_u16(w, c->ol);
		sw_u8(w, c->status);
		sw_u16(w, (uint16_t)(c->bcd | c->wr_msb << 1 | c->rd_msb << 2 | c->latched << 3 |
				     c->status_latched << 4 | c->gate << 5 | c->have_count << 6 |
				     c->null_count << 7 | c->out << 8 | c->load << 9 |
				     c->counting << 10 | c->armed << 11));
		sw_u64(w, c->tick);
		sw_u32(w, c->ce);
		sw_u32(w, c->n);
	}
	sw_u8(w, p->port61);
	sw_u8(w, p->irq_level);
}

int pit_load(struct pit *p, struct state_reader *r)
{
	struct pit_channel ch[3];
	for (unsigned i = 0; i < 3; i++) {
		struct pit_channel *c = &ch[i];
		c->mode_bits = sr_u8(r);
		c->mode = (c->mode_bits & 2) ? (c->mode_bits & 3) : c->mode_bits;
		c->rw = sr_u8(r);
		c->cr = sr_u16(r);
		c->cr_lsb = sr_u8(r);
		c->ol = sr_u16(r);
		c->status = sr_u8(r);
		uint16_t f = sr_u16(r);
		c->bcd = f & 1;
		c->wr_msb = (f >> 1) & 1;
		c->rd_msb = (f >> 2) & 1;
		c->latched = (f >> 3) & 1;
		c->status_latched = (f >> 4) & 1;
		c->gate = (f >> 5) & 1;
		c->have_count = (f >> 6) & 1;
		c->null_count = (f >> 7) & 1;
		c->out = (f >> 8) & 1;
		c->load = (f >> 9) & 1;
		c->counting = (f >> 10) & 1;
		c->armed = (f >> 11) & 1;
		c->tick = sr_u64(r);
		c->ce = sr_u32(r);
		c->n = sr_u32(r);
		if (c->mode_bits > 7 || c->rw < 1 || c->rw > 3 || (f >> 12) ||
		    c->ce >= modulus(c) || c->n > modulus(c) || (c->counting && c->n == 0))
			return -1;
	}
	uint8_t port61 = sr_u8(r);
	uint8_t irq_level = sr_u8(r);
	if (r->error || port61 > 0x0f || irq_level > 1)
		return -1;
	for (unsigned i = 0; i < 3; i++)
		p->ch[i] = ch[i];
	p->port61 = port61;
	p->irq_level = irq_level;
	sync(p, &p->ch[0]);
	ch0_update(p);
	return 0;
}

/*
 * 8259A PICs, master and slave, and the PIIX3 ELCR (see pic.h).
 *
 * Datasheet references are to the Intel 8259A datasheet (231468): "Interrupt
 * sequence", "Initialization command words" (ICW1-ICW4), "Operation command
 * words" (OCW1-OCW3), "Fully nested mode", "End of interrupt", "Automatic
 * rotation", "Specific rotation", "Special mask mode", "Poll command",
 * "Special fully nested mode", "Edge and level triggered modes" and
 * "Reading the 8259A status".
 */
#include "pic.h"
#include "state.h"
#include "../mmu/mem.h"

/* ICW1 */
#define ICW1_IC4  0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define ICW1_SEL  0x10   /* with A0 = 0: this is ICW1 */
/* ICW4 */
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10
/* OCW3 (A0 = 0, D4 = 0, D3 = 1) */
#define OCW3_SEL  0x08
#define OCW3_RIS  0x01
#define OCW3_RR   0x02
#define OCW3_P    0x04
#define OCW3_SMM  0x20
#define OCW3_ESMM 0x40

#define MASTER 0
#define SLAVE  1
#define CASCADE_IR 2     /* the PC/AT wires the slave's INT to the master's IR2 */

/* ---- one chip ---- */

/* Inputs that are level-triggered: ICW1.LTIM makes all eight level-triggered
 * ("Edge and level triggered modes"), the ELCR selects per input. */
static uint8_t level_mask(const struct pic_chip *c)
{
	return (c->icw1 & ICW1_LTIM) ? 0xff : c->elcr;
}

/* Priority of IR ir: 0 is the highest.  After ICW1 IR0 is the highest and IR7
 * the lowest; rotation makes `lowest` the bottom ("Automatic rotation"). */
static unsigned prio(const struct pic_chip *c, unsigned ir)
{
	return (ir - c->lowest - 1) & 7;
}

/* The IR of the highest-priority bit of bits (nonzero). */
static unsigned highest(const struct pic_chip *c, uint8_t bits)
{
	for (unsigned i = 1; i <= 8; i++) {
		unsigned ir = (c->lowest + i) & 7;
		if (bits & (1u << ir))
			return ir;
	}
	return 0;   /* not reached for bits != 0 */
}

/* IR ir of this chip has a slave behind it (ICW3 of a master in cascade mode) */
static bool is_cascade(const struct pic_chip *c, bool master, unsigned ir)
{
	return master && !(c->icw1 & ICW1_SNGL) && (c->icw3 & (1u << ir));
}

/* ISR bits that take part in priority resolution: in special mask mode a
 * masked in-service level does not inhibit the others ("Special mask mode":
 * setting a mask bit inhibits that level and enables all other levels that
 * are not masked). */
static uint8_t isr_effective(const struct pic_chip *c)
{
	return c->smm ? (uint8_t)(c->isr & ~c->imr) : c->isr;
}

/* Priority resolver: the IR that would be acknowledged now, or -1.  A request
 * is granted when it is unmasked and of higher priority than every level in
 * service ("Fully nested mode").  In special fully nested mode a master also
 * grants a request from a slave whose level is in service, so that the
 * slave's higher requests get through ("Special fully nested mode"). */
static int resolve(const struct pic_chip *c, bool master)
{
	uint8_t req = c->irr & ~c->imr;
	if (!req)
		return -1;
	unsigned ir = highest(c, req);
	uint8_t isr = isr_effective(c);
	if (isr) {
		unsigned top = highest(c, isr);
		if (prio(c, ir) > prio(c, top))
			return -1;
		if (ir == top && !((c->icw4 & ICW4_SFNM) && is_cascade(c, master, ir)))
			return -1;
	}
	return (int)ir;
}

/* An input changes level.  IRR latches a rising edge; level-triggered IRR
 * bits follow the input ("Edge and level triggered modes"). */
static void chip_input(struct pic_chip *c, unsigned ir, bool level)
{
	uint8_t m = (uint8_t)(1u << ir);
	if (level && !(c->input & m))
		c->irr |= m;
	if (level)
		c->input |= m;
	else
		c->input &= (uint8_t)~m;
	uint8_t lv = level_mask(c);
	c->irr = (uint8_t)((c->irr & ~lv) | (c->input & lv));
}

/* The first INTA pulse (or a poll read) for ir: ISR bit set, IRR bit reset
 * ("Interrupt sequence" steps 4-5); a level input that is still high keeps
 * its IRR bit.  With aeoi the ISR bit is reset again at the end of the
 * sequence ("Automatic end of interrupt mode"), rotating if so programmed. */
static void chip_ack(struct pic_chip *c, unsigned ir, bool aeoi)
{
	uint8_t m = (uint8_t)(1u << ir);
	c->isr |= m;
	c->irr &= (uint8_t)~m;
	c->irr |= c->input & level_mask(c) & m;
	if (aeoi && (c->icw4 & ICW4_AEOI)) {
		c->isr &= (uint8_t)~m;
		if (c->rotate_aeoi)
			c->lowest = (uint8_t)ir;
	}
}

static uint8_t vector_base(const struct pic_chip *c)
{
	return c->icw2 & 0xf8;   /* ICW2 T7-T3; the IR number fills bits 2-0 */
}

/* The chip-level reset by ICW1 ("Initialization command words" a-f): edge
 * sense reset (a new rising edge is needed), IMR cleared, IR7 lowest
 * priority, special mask mode cleared, status read set to IRR, ICW4 functions
 * cleared when IC4 = 0.  We also clear ISR, the poll and the rotate-in-AEOI
 * flip-flops: the datasheet leaves them open, and a re-initialised PIC starts
 * with nothing in service. */
static void chip_icw1(struct pic_chip *c, uint8_t v)
{
	c->icw1 = v;
	c->init_step = 2;
	c->imr = 0;
	c->isr = 0;
	c->irr = c->input & level_mask(c);
	c->lowest = 7;
	c->smm = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_aeoi = false;
	if (!(v & ICW1_IC4))
		c->icw4 = 0;
}

static void chip_reset(struct pic_chip *c, bool master)
{
	uint8_t input = c->input;
	*c = (struct pic_chip){ 0 };
	c->input = input;
	c->lowest = 7;
	c->icw1 = ICW1_IC4;
	c->icw3 = master ? (1u << CASCADE_IR) : CASCADE_IR;
	c->icw4 = 0x01;   /* 8086 mode */
	c->elcr_mask = master ? 0xf8 : 0xde;   /* IRQ0-2 and IRQ8, IRQ13 always edge */
}

/* OCW2 ("Operation command words", "End of interrupt", "Automatic
 * rotation", "Specific rotation"): R SL EOI in bits 7-5, level in bits 2-0. */
static void chip_ocw2(struct pic_chip *c, uint8_t v)
{
	unsigned level = v & 7;
	switch (v >> 5) {
	case 1:   /* non-specific EOI */
	case 5: { /* rotate on non-specific EOI */
		/* "An IS bit that is masked by an OCW1 will not be cleared by a
		 * non-specific EOI if the 8259A is in the special mask mode." */
		uint8_t isr = isr_effective(c);
		if (!isr)
			break;
		unsigned ir = highest(c, isr);
		c->isr &= (uint8_t)~(1u << ir);
		if (v >> 5 == 5)
			c->lowest = (uint8_t)ir;
		break;
	}
	case 3:   /* specific EOI */
		c->isr &= (uint8_t)~(1u << level);
		break;
	case 7:   /* rotate on specific EOI */
		c->isr &= (uint8_t)~(1u << level);
		c->lowest = (uint8_t)level;
		break;
	case 4:   /* set rotate in automatic EOI mode */
		c->rotate_aeoi = true;
		break;
	case 0:   /* clear rotate in automatic EOI mode */
		c->rotate_aeoi = false;
		break;
	case 6:   /* set priority: level becomes the lowest */
		c->lowest = (uint8_t)level;
		break;
	default:  /* 2: no operation */
		break;
	}
}

/* OCW3: poll, read register, special mask mode. */
static void chip_ocw3(struct pic_chip *c, uint8_t v)
{
	if (v & OCW3_P)
		c->poll = true;
	if (v & OCW3_RR)
		c->read_isr = (v & OCW3_RIS) != 0;
	if (v & OCW3_ESMM)
		c->smm = (v & OCW3_SMM) != 0;
}

/* ---- the pair ---- */

static void update(struct pic *p)
{
	struct pic_chip *m = &p->chip[MASTER];
	bool slave_int = resolve(&p->chip[SLAVE], false) >= 0;
	bool ir2 = slave_int || p->irq2_line;
	if (ir2 != ((m->input >> CASCADE_IR) & 1))
		chip_input(m, CASCADE_IR, ir2);
	bool intr = resolve(m, true) >= 0;
	if (intr != p->intr) {
		p->intr = intr;
		if (p->intr_changed)
			p->intr_changed(p->intr_opaque, intr);
	}
}

/* After the slave has been acknowledged its INT is re-evaluated: if it still
 * has a request that passes its priority logic, the master's IR2 sees a new
 * rising edge (the slave's INT went inactive during the INTA sequence). */
static void redrive_cascade(struct pic *p)
{
	struct pic_chip *m = &p->chip[MASTER];
	if (m->input & (1u << CASCADE_IR))
		chip_input(m, CASCADE_IR, false);
	update(p);
}

void pic_set_irq(struct pic *p, int irq, bool level)
{
	if (irq < 0 || irq > 15)
		return;
	if (irq == CASCADE_IR) {
		p->irq2_line = level;
	} else {
		struct pic_chip *c = &p->chip[irq >> 3];
		if (level != (((c->input >> (irq & 7)) & 1) != 0))
			chip_input(c, (unsigned)irq & 7, level);
	}
	update(p);
}

static void irq_line_cb(void *opaque, int n, bool level)
{
	pic_set_irq(opaque, n, level);
}

struct irq_line pic_irq_line(struct pic *p, int irq)
{
	return (struct irq_line){ .set = irq_line_cb, .opaque = p, .n = irq };
}

bool pic_intr(const struct pic *p)
{
	return p->intr;
}

/* The INTA sequence ("Interrupt sequence", 8086 mode): the master resolves;
 * with nothing to grant it answers with its IR7 vector and sets no ISR bit
 * (the default IR7 of "Edge and level triggered modes").  For a slave input
 * the master sets its ISR bit and the slave whose ICW3 ID matches puts its
 * vector on the bus, or its own IR7 if its request went away. */
int pic_ack(struct pic *p)
{
	struct pic_chip *m = &p->chip[MASTER], *s = &p->chip[SLAVE];
	int ir = resolve(m, true);
	int vec;
	if (ir < 0) {
		vec = vector_base(m) | 7;
		update(p);
		return vec;
	}
	chip_ack(m, (unsigned)ir, true);
	if (is_cascade(m, true, (unsigned)ir)) {
		if ((s->icw3 & 7) != (unsigned)ir) {
			vec = 0xff;   /* no slave answers: the data bus floats */
		} else {
			int sir = resolve(s, false);
			if (sir < 0) {
				vec = vector_base(s) | 7;
			} else {
				chip_ack(s, (unsigned)sir, true);
				vec = vector_base(s) | sir;
			}
		}
		redrive_cascade(p);
		return vec;
	}
	vec = vector_base(m) | ir;
	update(p);
	return vec;
}

int pic_cpu_ack(void *opaque)
{
	return pic_ack(opaque);
}

/* ---- ports ---- */

/* Poll command: the read is an interrupt acknowledge; bit 7 says whether a
 * request was granted, bits 2-0 its level ("Poll command").  The poll is one
 * RD pulse, not the two-pulse INTA sequence whose end performs an automatic
 * EOI, so AEOI does not apply. */
static uint8_t chip_poll(struct pic *p, unsigned idx)
{
	struct pic_chip *c = &p->chip[idx];
	c->poll = false;
	int ir = resolve(c, idx == MASTER);
	if (ir < 0)
		return 0;
	chip_ack(c, (unsigned)ir, false);
	if (idx == SLAVE)
		redrive_cascade(p);
	else
		update(p);
	return (uint8_t)(0x80 | ir);
}

static uint32_t pic_read(void *opaque, uint32_t port, unsigned size)
{
	struct pic *p = opaque;
	(void)size;
	unsigned idx = (port & 0x80) ? SLAVE : MASTER;
	struct pic_chip *c = &p->chip[idx];
	if (port & 1)
		return c->imr;   /* OCW1 read-back */
	if (c->poll)
		return chip_poll(p, idx);
	return c->read_isr ? c->isr : c->irr;
}

static void pic_write(void *opaque, uint32_t port, uint32_t value, unsigned size)
{
	struct pic *p = opaque;
	(void)size;
	unsigned idx = (port & 0x80) ? SLAVE : MASTER;
	struct pic_chip *c = &p->chip[idx];
	uint8_t v = (uint8_t)value;
	if (!(port & 1)) {
		if (v & ICW1_SEL)
			chip_icw1(c, v);
		else if (v & OCW3_SEL)
			chip_ocw3(c, v);
		else
			chip_ocw2(c, v);
	} else {
		switch (c->init_step) {
		case 2:
			c->icw2 = v;
			c->init_step = !(c->icw1 & ICW1_SNGL) ? 3 : (c->icw1 & ICW1_IC4) ? 4 : 0;
			break;
		case 3:
			c->icw3 = v;
			c->init_step = (c->icw1 & ICW1_IC4) ? 4 : 0;
			break;
		case 4:
			c->icw4 = v;
			c->init_step = 0;
			break;
		default:
			c->imr = v;   /* OCW1 */
			break;
		}
	}
	update(p);
}

static uint32_t elcr_read(void *opaque, uint32_t port, unsigned size)
{
	struct pic *p = opaque;
	(void)size;
	return p->chip[port & 1].elcr;
}

static void elcr_write(void *opaque, uint32_t port, uint32_t value, unsigned size)
{
	struct pic *p = opaque;
	(void)size;
	struct pic_chip *c = &p->chip[port & 1];
	c->elcr = (uint8_t)value & c->elcr_mask;
	uint8_t lv = level_mask(c);
	c->irr = (uint8_t)((c->irr & ~lv) | (c->input & lv));
	update(p);
}

/* ---- life cycle ---- */

void pic_reset(struct pic *p)
{
	chip_reset(&p->chip[MASTER], true);
	chip_reset(&p->chip[SLAVE], false);
	update(p);
}

int pic_init(struct pic *p, struct mem *mem, void (*intr_changed)(void *opaque, bool level),
	     void *opaque)
{
	*p = (struct pic){ .intr_changed = intr_changed, .intr_opaque = opaque };
	pic_reset(p);
	if (io_register(mem, 0x20, 2, pic_read, pic_write, p, "pic-master", MEM_W8) < 0 ||
	    io_register(mem, 0xa0, 2, pic_read, pic_write, p, "pic-slave", MEM_W8) < 0 ||
	    io_register(mem, 0x4d0, 2, elcr_read, elcr_write, p, "elcr", MEM_W8) < 0)
		return -1;
	return 0;
}

void pic_save(const struct pic *p, struct state_writer *w)
{
	for (unsigned i = 0; i < 2; i++) {
		const struct pic_chip *c = &p->chip[i];
		sw_u8(w, c->irr);
		sw_u8(w, c->isr);
		sw_u8(w, c->imr);
		sw_u8(w, c->input);
		sw_u8(w, c->elcr);
		sw_u8(w, c->icw1);
		sw_u8(w, c->icw2);
		sw_u8(w, c->icw3);
		sw_u8(w, c->icw4);
		sw_u8(w, c->init_step);
		sw_u8(w, c->lowest);
		sw_u8(w, (uint8_t)(c->rotate_aeoi | c->smm << 1 | c->read_isr << 2 | c->poll << 3));
	}
	sw_u8(w, p->irq2_line);
	sw_u8(w, p->intr);
}

int pic_load(struct pic *p, struct state_reader *r)
{
	struct pic_chip chip[2];
	for (unsigned i = 0; i < 2; i++) {
		struct pic_chip *c = &chip[i];
		chip_reset(c, i == MASTER);
		c->irr = sr_u8(r);
		c->isr = sr_u8(r);
		c->imr = sr_u8(r);
		c->input = sr_u8(r);
		c->elcr = sr_u8(r);
		c->icw1 = sr_u8(r);
		c->icw2 = sr_u8(r);
		c->icw3 = sr_u8(r);
		c->icw4 = sr_u8(r);
		c->init_step = sr_u8(r);
		c->lowest = sr_u8(r);
		uint8_t f = sr_u8(r);
		c->rotate_aeoi = f & 1;
		c->smm = (f >> 1) & 1;
		c->read_isr = (f >> 2) & 1;
		c->poll = (f >> 3) & 1;
		if (c->init_step == 1 || c->init_step > 4 || c->lowest > 7 ||
		    (c->elcr & ~c->elcr_mask) || (f & ~0x0fu))
			return -1;
	}
	uint8_t irq2 = sr_u8(r);
	uint8_t intr = sr_u8(r);
	if (r->error || irq2 > 1 || intr > 1)
		return -1;
	p->chip[0] = chip[0];
	p->chip[1] = chip[1];
	p->irq2_line = irq2;
	p->intr = intr;
	update(p);
	if (p->intr_changed)
		p->intr_changed(p->intr_opaque, p->intr);
	return 0;
}

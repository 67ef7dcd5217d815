/*
 * PIIX3 PCI-to-ISA bridge, function 0 (see piix3.h).  References: Intel
 * 82371FB (PIIX) and 82371SB (PIIX3) PCI ISA IDE Xcelerator datasheet,
 * the function 0 PCI configuration register descriptions and the RC (reset
 * control) register at I/O 0CF9h:
 * - PCICMD (04h) resets to 0007h; I/O, memory and bus master are hardwired
 *   to 1, special cycle enable (bit 3) is writable.  PCISTS (06h) 0200h.
 * - IORT 4Ch (4Dh), XBCS 4Eh-4Fh (0003h), PIRQRC[A:D] 60h-63h (80h each),
 *   TOM 69h (02h), MSTAT 6Ah-6Bh, MBIRQ0-1 70h-71h (80h), MBDMA0-1 76h-77h
 *   (0Ch), PCSC 78h-79h (0002h), APICBASE 80h, DLC 82h, SMICNTL A0h (08h),
 *   SMIEN A2h, SEE A4h, FTMR A8h (0Fh), SMIREQ AAh, CTLTMR ACh, CTHTMR AEh:
 *   with their reset values, storage only except the PIRQRC.
 * - PIRQRC: bit 7 IRQROUTEN, 1 = the PIRQ is not routed to the ISA IRQs;
 *   bits 3:0 the IRQ (3-7, 9-12, 14, 15; 0-2, 8 and 13 are reserved, which
 *   we treat as not routed); bits 6:4 reserved.  A routed PIRQ is an
 *   active-low, level-sensitive, shareable input: the BIOS sets the IRQ's
 *   ELCR bit.  Here the PIC sees the IRQ high while any device on any PIRQ
 *   routed to it asserts INTx.
 * - Which PIRQ a device's INTx reaches is board wiring; we use the rotation
 *   of the PC boards QEMU models, which SeaBIOS's and Linux's PIRQ tables for
 *   this machine assume: INTA# of device 1 on PIRQA, device 2 on PIRQB, and
 *   in general PIRQ[(dev + pin - 1) & 3] with pin 0 for INTA# (config 3Dh
 *   value 1).
 * - RC (I/O 0CF9h): bit 1 SRST selects the reset type, bit 2 RCPU starts it
 *   on a 0-to-1 transition: SRST 1 a hard reset (the whole system), SRST 0 a
 *   soft reset (INIT to the CPU).  Other bits are reserved.  SRST can be
 *   written alone first and RCPU set by a second write (that write carries
 *   SRST too: the value written then decides the type).  We let RCPU read back
 *   0 after the reset has been requested, so the next sequence works again.
 */
#include <string.h>

#include "../mmu/mem.h"
#include "pic.h"
#include "piix3.h"

#define PIRQRC 0x60
#define RC_SRST 0x02
#define RC_RCPU 0x04

int piix3_pirq(unsigned dev, int pin)
{
	return (int)((dev + (unsigned)pin - 2) & 3);   /* pin 1 = INTA# */
}

static int pirq_irq(const struct piix3 *p, int pirq)
{
	uint8_t v = p->dev.config[PIRQRC + pirq];
	unsigned irq = v & 0x0f;
	if ((v & 0x80) || irq < 3 || irq == 8 || irq == 13)
		return -1;
	return (int)irq;
}

static bool pirq_level(const struct piix3 *p, int pirq)
{
	for (unsigned i = 0; i < PCI_MAX_DEVFN / 32; i++)
		if (p->pirq_src[pirq][i])
			return true;
	return false;
}

/* Drive the PIC IRQs from the PIRQ levels and routing. */
static void update_irqs(struct piix3 *p)
{
	uint16_t out = 0;
	for (int pirq = 0; pirq < 4; pirq++) {
		int irq = pirq_irq(p, pirq);
		if (irq >= 0 && pirq_level(p, pirq))
			out |= (uint16_t)(1u << irq);
	}
	uint16_t diff = out ^ p->irq_out;
	p->irq_out = out;
	for (int irq = 0; irq < 16; irq++)
		if ((diff >> irq) & 1)
			pic_set_irq(p->pic, irq, (out >> irq) & 1);
}

static void piix3_set_intx(void *opaque, struct pci_dev *d, int pin, bool level)
{
	struct piix3 *p = opaque;
	if (pin < 1 || pin > 4)
		return;
	int pirq = piix3_pirq(d->devfn >> 3, pin);
	uint32_t bit = 1u << (d->devfn & 31);
	if (level)
		p->pirq_src[pirq][d->devfn >> 5] |= bit;
	else
		p->pirq_src[pirq][d->devfn >> 5] &= ~bit;
	update_irqs(p);
}

static void piix3_cfg_write(struct pci_dev *d, unsigned off, uint32_t value, unsigned size)
{
	(void)value;
	if (off < PIRQRC + 4 && off + size > PIRQRC)
		update_irqs(d->opaque);
}

static uint8_t rc_read(void *opaque)
{
	const struct piix3 *p = opaque;
	return p->rc;
}

static void rc_write(void *opaque, uint8_t v)
{
	struct piix3 *p = opaque;
	bool start = (v & RC_RCPU) && !(p->rc & RC_RCPU);
	p->rc = v & (RC_SRST | RC_RCPU);
	if (start) {
		p->rc &= (uint8_t)~RC_RCPU;
		if (p->reset_cb)
			p->reset_cb(p->reset_opaque, v & RC_SRST);
	}
}

static void setup_config(struct piix3 *p)
{
	struct pci_dev *d = &p->dev;
	pci_dev_init(d, 0x8086, 0x7000, 0x00, 0x060100, "piix3");
	uint8_t *c = d->config, *m = d->wmask;
	c[0x0e] = 0x80;              /* multi-function */
	c[0x04] = 0x07;
	m[0x04] = 0x08;              /* SCE */
	m[0x05] = 0x00;
	m[0x0c] = 0x00;
	m[0x3c] = 0x00;              /* function 0 has no interrupt pin */
	c[0x07] = 0x02;              /* DEVSEL# medium */
	c[0x4c] = 0x4d;
	c[0x4e] = 0x03;
	memset(c + PIRQRC, 0x80, 4);
	memset(m + PIRQRC, 0x8f, 4);
	c[0x69] = 0x02;
	c[0x70] = 0x80;
	c[0x71] = 0x80;
	c[0x76] = 0x0c;
	c[0x77] = 0x0c;
	c[0x78] = 0x02;
	c[0xa0] = 0x08;
	c[0xa8] = 0x0f;
	static const uint8_t storage[][2] = {   /* first register, count */
		{ 0x4c, 4 }, { 0x69, 3 }, { 0x70, 2 }, { 0x76, 4 }, { 0x80, 1 }, { 0x82, 1 },
		{ 0xa0, 1 }, { 0xa2, 2 }, { 0xa4, 4 }, { 0xa8, 1 }, { 0xaa, 2 }, { 0xac, 1 },
		{ 0xae, 1 },
	};
	for (unsigned i = 0; i < sizeof(storage) / sizeof(storage[0]); i++)
		memset(m + storage[i][0], 0xff, storage[i][1]);
}

int piix3_init(struct piix3 *p, struct pci_bus *bus, struct pic *pic,
	       void (*reset_cb)(void *opaque, bool hard), void *opaque)
{
	memset(p, 0, sizeof(*p));
	p->pic = pic;
	p->reset_cb = reset_cb;
	p->reset_opaque = opaque;
	p->dev.opaque = p;
	p->dev.cfg_write = piix3_cfg_write;
	setup_config(p);
	if (pci_register(bus, &p->dev, PCI_DEVFN(1, 0)))
		return -1;
	bus->set_intx = piix3_set_intx;
	bus->intx_opaque = p;
	bus->cf9_read = rc_read;
	bus->cf9_write = rc_write;
	bus->cf9_opaque = p;
	return 0;
}

void piix3_reset(struct piix3 *p)
{
	setup_config(p);
	p->rc = 0;
	update_irqs(p);
}

void piix3_save(const struct piix3 *p, struct state_writer *w)
{
	pci_dev_save(&p->dev, w);
	for (int i = 0; i < 4; i++)
		for (unsigned j = 0; j < PCI_MAX_DEVFN / 32; j++)
			sw_u32(w, p->pirq_src[i][j]);
	sw_u16(w, p->irq_out);
	sw_u8(w, p->rc);
}

int piix3_load(struct piix3 *p, struct state_reader *r)
{
	if (pci_dev_load(&p->dev, r))
		return -1;
	for (int i = 0; i < 4; i++)
		for (unsigned j = 0; j < PCI_MAX_DEVFN / 32; j++)
			p->pirq_src[i][j] = sr_u32(r);
	p->irq_out = sr_u16(r);
	p->rc = sr_u8(r);
	if (r->error || (p->rc & ~RC_SRST))
		return -1;
	update_irqs(p);   /* drives only what differs from the saved outputs */
	return 0;
}

/* PIIX3 IDE function (see piix_ide.h).  Reference: Intel 82371FB/SB
 * datasheet, function 1 configuration registers: PCICMD 04h resets to 0
 * (bits 0 and 2 writable), PCISTS 06h 0280h, MLT 0Dh, BMIBA 20h-23h,
 * IDETIM 40h-43h (primary/secondary, bit 15 IDE decode enable), SIDETIM 44h. */
#include <string.h>

#include "../mmu/mem.h"
#include "piix_ide.h"

#define IDETIM 0x40
#define SIDETIM 0x44

static void set_defaults(struct piix_ide *p)
{
	struct pci_dev *d = &p->dev;
	pci_dev_init(d, 0x8086, 0x7010, 0x00, 0x010180, "piix3-ide");
	d->config[0x06] = 0x80;
	d->config[0x07] = 0x02;
	d->wmask[0x0d] = 0xff;                 /* MLT */
	for (unsigned i = IDETIM; i <= SIDETIM; i++)
		d->wmask[i] = 0xff;
	/* decode enabled on both channels, as after the BIOS's setup */
	d->config[IDETIM + 1] = 0x80;
	d->config[IDETIM + 3] = 0x80;
}

int piix_ide_init(struct piix_ide *p, struct pci_bus *bus, struct mem *mem,
		  struct irq_line irq14, struct irq_line irq15)
{
	set_defaults(p);
	ata_init(&p->ch[0], irq14);
	ata_init(&p->ch[1], irq15);
	if (pci_register(bus, &p->dev, PCI_DEVFN(1, 1)))
		return -1;
	if (ata_register_ports(&p->ch[0], mem, ATA_PRIMARY_CMD, ATA_PRIMARY_CTL) ||
	    ata_register_ports(&p->ch[1], mem, ATA_SECONDARY_CMD, ATA_SECONDARY_CTL))
		return -1;
	return 0;
}

void piix_ide_reset(struct piix_ide *p)
{
	pci_dev_reset(&p->dev);
	p->dev.config[IDETIM + 1] = 0x80;
	p->dev.config[IDETIM + 3] = 0x80;
	ata_reset(&p->ch[0]);
	ata_reset(&p->ch[1]);
}

void piix_ide_save(const struct piix_ide *p, struct state_writer *w)
{
	pci_dev_save(&p->dev, w);
	ata_save(&p->ch[0], w);
	ata_save(&p->ch[1], w);
}

int piix_ide_load(struct piix_ide *p, struct state_reader *r)
{
	if (pci_dev_load(&p->dev, r) || ata_load(&p->ch[0], r) || ata_load(&p->ch[1], r))
		return -1;
	return 0;
}

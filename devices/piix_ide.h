/*
 * The PIIX3 IDE controller, function 1 of the PIIX3 (00:01.1, 8086:7010,
 * class 01 01 80: IDE, both channels in ISA compatibility mode, bus-master
 * capable).  In compatibility mode the channels sit at the legacy ports
 * (0x1F0/0x3F6 IRQ14, 0x170/0x376 IRQ15) whatever the BARs say, which is how
 * SeaBIOS and Linux's ata_piix use it.  The bus-master (DMA) BAR4 is not
 * offered: SeaBIOS then uses PIO, and Linux's ata_piix falls back to PIO.
 * IDETIM (40h-43h) and SIDETIM (44h) are storage with the IDE decode enable
 * bits set at reset, as the BIOS would expect them.
 */
#ifndef SHADE86_PIIX_IDE_H
#define SHADE86_PIIX_IDE_H
#include "ata.h"
#include "pci.h"

struct piix_ide {
	struct pci_dev dev;
	struct ata_channel ch[2];     /* primary, secondary */
};

/* Registers function 1 at devfn 9 and the legacy ports of both channels.
 * irq14/irq15: the lines to the PIC.  Returns -1 on a clash (mem->error). */
int piix_ide_init(struct piix_ide *p, struct pci_bus *bus, struct mem *mem,
		  struct irq_line irq14, struct irq_line irq15);
void piix_ide_reset(struct piix_ide *p);
void piix_ide_save(const struct piix_ide *p, struct state_writer *w);
int piix_ide_load(struct piix_ide *p, struct state_reader *r);
#endif

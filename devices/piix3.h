/*
 * The Intel 82371SB PIIX3 PCI-to-ISA bridge, function 0 at 00:01.0 (8086:7000,
 * class 06 01 00, header type 80h: multi-function, the IDE controller is
 * function 1).
 *
 * What it does here:
 * - PIRQ routing (config 60h-63h, PIRQRC[A:D]): the PCI INTx lines of every
 *   device on the bus are wired to the four PIRQ inputs with the usual slot
 *   rotation, and each routed PIRQ drives a PIC IRQ (level-triggered,
 *   active while any device on it asserts).  It installs itself as the bus's
 *   set_intx.  The ELCR (4D0h/4D1h) is part of the PIC model (pic.h).
 * - The reset control register at port 0CF9h (through the bus's cf9 hooks):
 *   the reset callback is called with hard = true for a hard reset, false for
 *   a soft one (INIT).
 * - The other function-0 registers are storage with their reset values.
 */
#ifndef SHADE86_PIIX3_H
#define SHADE86_PIIX3_H

#include <stdbool.h>
#include <stdint.h>

#include "pci.h"

struct pic;

struct piix3 {
	struct pci_dev dev;
	struct pic *pic;
	uint32_t pirq_src[4][PCI_MAX_DEVFN / 32];   /* devfns asserting PIRQA-D */
	uint16_t irq_out;     /* PIC IRQs this bridge drives high now */
	uint8_t rc;           /* reset control (0CF9h): SRST, bit 1 */
	void (*reset_cb)(void *opaque, bool hard);
	void *reset_opaque;
};

/* Registers function 0 at devfn 8 (00:01.0), becomes the bus's set_intx and
 * 0CF9h handler.  reset_cb may be NULL.  Returns -1 if devfn 8 is taken. */
int piix3_init(struct piix3 *p, struct pci_bus *bus, struct pic *pic,
	       void (*reset_cb)(void *opaque, bool hard), void *opaque);
/* Hardware reset: registers to their defaults (all PIRQs unrouted).  The INTx
 * levels of the devices are inputs and are kept. */
void piix3_reset(struct piix3 *p);
/* The PIRQ (0-3 for A-D) INTx pin (1 = INTA#) of device dev is wired to. */
int piix3_pirq(unsigned dev, int pin);
void piix3_save(const struct piix3 *p, struct state_writer *w);
int piix3_load(struct piix3 *p, struct state_reader *r);

#endif

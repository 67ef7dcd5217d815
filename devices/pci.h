/*
 * PCI: configuration mechanism #1 (ports 0xCF8 address, 0xCFC-0xCFF data) and
 * the devices on bus 0.  A PCI function is a struct pci_dev that a device model
 * embeds; it owns its 256-byte configuration space.  The bus handles the
 * standard header: vendor/device/class are read-only bytes the device filled
 * in, the command register's I/O and memory enables, and the BARs (sizing by
 * writing all-ones, the read-only low bits, and calling bar_moved when the
 * guest moves or enables/disables a BAR so the device can re-register its
 * ports or MMIO there).  Anything device-specific goes through the optional
 * cfg_write hook after the bus has applied the standard rules.
 */
#ifndef SHADE86_PCI_H
#define SHADE86_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "state.h"

struct mem;
struct pci_dev;

#define PCI_MAX_DEVFN 256
#define PCI_DEVFN(dev, fn) (((dev) << 3) | (fn))

struct pci_bar {
	uint32_t size;        /* power of two; 0 = no BAR */
	bool io;              /* I/O space (else 32-bit memory) */
	bool prefetch;
	uint32_t addr;        /* current base as the guest programmed it */
	bool mapped;          /* decoding enabled at addr */
};

struct pci_dev {
	uint8_t config[256];
	uint8_t wmask[256];   /* writable bits per config byte (set by the device) */
	struct pci_bar bar[6];
	uint8_t devfn;
	const char *name;
	void *opaque;
	/* called after a guest config write has been applied (off, size as written) */
	void (*cfg_write)(struct pci_dev *d, unsigned off, uint32_t value, unsigned size);
	/* the guest moved, enabled or disabled BAR n: addr valid when mapped.  During
	 * the call d->bar[n] still holds the previous state (the old addr, and mapped
	 * if the BAR was decoding there), so the device can remove the old mapping;
	 * the bus updates d->bar[n] after the call. */
	void (*bar_moved)(struct pci_dev *d, int n, bool mapped, uint32_t addr);
	/* INTx pin (config 0x3D) is asserted/deasserted through the bus */
	struct pci_bus *bus;
};

struct pci_bus {
	struct pci_dev *dev[PCI_MAX_DEVFN];
	uint32_t addr;        /* CONFIG_ADDRESS (0xCF8) */
	/* INTx routing to the interrupt controller (set by the machine: PIIX3 PIRQ) */
	void (*set_intx)(void *opaque, struct pci_dev *d, int pin, bool level);
	void *intx_opaque;
	/* Accesses to 0xCF8-0xCFB other than a dword at 0xCF8 are ordinary I/O
	 * (PCI 2.1 section 3.7.4.1); the byte at 0xCF9 goes here (the PIIX3's reset
	 * control register), the others read all-ones.  Set by the machine. */
	uint8_t (*cf9_read)(void *opaque);
	void (*cf9_write)(void *opaque, uint8_t value);
	void *cf9_opaque;
};

int pci_bus_init(struct pci_bus *b, struct mem *mem);
/* Fill the header basics; then the device sets wmask bits and BARs.  Clears
 * config, wmask and bar[] (callbacks, opaque, devfn and bus are kept); makes
 * the command bits 0-2 and 10, cache line size and interrupt line writable.
 * Header type 0 (a multi-function device sets config[0x0E] bit 7 itself). */
void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device, uint8_t rev,
		  uint32_t class_code /* class << 16 | subclass << 8 | prog-if */, const char *name);
/* size is rounded up to a power of two, at least 16 (memory) or 4 (I/O); 0
 * removes the BAR.  A BAR decodes when its command enable is set, its address
 * is not 0 and its range fits (I/O below 0x10000, memory below 4 GiB). */
void pci_dev_set_bar(struct pci_dev *d, int n, uint32_t size, bool io, bool prefetch);
int pci_register(struct pci_bus *b, struct pci_dev *d, unsigned devfn);
/* The standard header part of a device's hardware reset (PCI 2.1 6.2: RST#
 * clears the command register and the BARs): the writable bits of command,
 * cache line size, latency timer, BIST, BARs and interrupt line are cleared,
 * so are the status error bits; BARs that were decoding are reported through
 * bar_moved.  Device-specific registers are the device's job. */
void pci_dev_reset(struct pci_dev *d);
/* INTx per config 0x3D: the bus calls set_intx with pin = config 0x3D (1 = INTA#)
 * when the effective level (level and not command bit 10) changes; the level is
 * also status bit 3 (Interrupt Status). */
void pci_set_irq(struct pci_dev *d, bool level);

/* config access as the guest sees it (used by the port handlers, and tests) */
uint32_t pci_cfg_read(struct pci_bus *b, unsigned devfn, unsigned off, unsigned size);
void pci_cfg_write(struct pci_bus *b, unsigned devfn, unsigned off, uint32_t v, unsigned size);

void pci_dev_save(const struct pci_dev *d, struct state_writer *w);
/* Restores config[] (refused with -1 if truncated or the IDs, class or header
 * type differ), then calls bar_moved for every BAR whose decoding differs from
 * d->bar[] and set_intx if the INTx output changed.  Device-specific effects
 * of the registers (PAM, PIRQ) are the device's load function's job. */
int pci_dev_load(struct pci_dev *d, struct state_reader *r);

#endif

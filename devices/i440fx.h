/*
 * The Intel 82441FX PCI and Memory Controller (PMC) of the 440FX PCIset: the
 * host bridge at 00:00.0 (8086:1237, revision 02, class 06 00 00).
 *
 * What it does here: the PAM registers 0x59-0x5F decide, per segment of
 * 0xC0000-0xFFFFF, whether reads and writes go to DRAM or to PCI (the BIOS and
 * option ROMs); they drive mem_set_pam.  The SMRAM register 0x72 is kept (with
 * D_LCK) but SMM is not emulated.  The DRAM and timing registers are storage.
 * Initialisation creates the PAM window (mem_set_pam), so the BIOS images go
 * in with mem_map_pam_rom.
 */
#ifndef SHADE86_I440FX_H
#define SHADE86_I440FX_H

#include "pci.h"

struct mem;

struct i440fx {
	struct pci_dev dev;
	struct mem *mem;
};

/* Registers the host bridge at devfn 0 and applies the reset PAM state.
 * Returns -1 (with mem->error set where the PAM window is the reason) if
 * devfn 0 is taken or the PAM window cannot be created. */
int i440fx_init(struct i440fx *h, struct pci_bus *bus, struct mem *mem);
void i440fx_reset(struct i440fx *h);
void i440fx_save(const struct i440fx *h, struct state_writer *w);
int i440fx_load(struct i440fx *h, struct state_reader *r);

#endif

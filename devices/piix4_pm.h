/*
 * The power-management function of the PIIX4 (82371AB function 3, 8086:7113,
 * class 06 80 00) at 00:01.3, as QEMU's "pc" machine has it next to the
 * PIIX3: SeaBIOS finds the ACPI registers through it (it programs PMBA and
 * the enable bit, then uses the PM timer for its delays and the PM1a control
 * register for APM power-off), and Linux's ACPI and APM code reach the same
 * block (devices/acpi.h).
 *
 * Configuration registers (PIIX4 datasheet, function 3): PMBA 40h-43h (the
 * I/O base of the 64-byte PM block, bit 0 reads 1), PMREGMISC 80h bit 0 (PM
 * I/O space enable), DEVACTB 58h-5Bh (APMC_EN, bit 25, reads 1: there is no
 * SMM on this CPU, and SeaBIOS then skips its SMM set-up), SMBBA 90h-93h and
 * SMBHSTCFG D2h (storage: no SMBus controller behind them).  SCI is IRQ 9
 * (interrupt line 09h); none is ever raised.
 */
#ifndef SHADE86_PIIX4_PM_H
#define SHADE86_PIIX4_PM_H
#include "acpi.h"
#include "pci.h"

struct piix4_pm {
	struct pci_dev dev;
	struct acpi_pm *acpi;
};

/* Registers function 3 at devfn 11 (00:01.3); the block is not decoded
 * until the guest sets PMBA and PMREGMISC bit 0.  -1 if the devfn is taken. */
int piix4_pm_init(struct piix4_pm *p, struct pci_bus *bus, struct acpi_pm *acpi);
void piix4_pm_reset(struct piix4_pm *p);
void piix4_pm_save(const struct piix4_pm *p, struct state_writer *w);
int piix4_pm_load(struct piix4_pm *p, struct state_reader *r);
#endif

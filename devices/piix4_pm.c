/* PIIX4 power-management function (see piix4_pm.h). */
#include <string.h>

#include "piix4_pm.h"

#define PMBA      0x40
#define DEVACTB   0x58
#define PMREGMISC 0x80
#define SMBBA     0x90
#define SMBHSTCFG 0xd2
#define APMC_EN   (1u << 25)

static uint32_t cfg32(const struct pci_dev *d, unsigned off)
{
	return d->config[off] | d->config[off + 1] << 8 | d->config[off + 2] << 16 |
	       (uint32_t)d->config[off + 3] << 24;
}

/* Decode the PM block where PMBA says, while PMREGMISC enables it. */
static void update_map(struct piix4_pm *p)
{
	uint32_t base = cfg32(&p->dev, PMBA) & 0xffc0;
	if ((p->dev.config[PMREGMISC] & 1) && base) {
		if (acpi_pm_map(p->acpi, base))
			acpi_pm_unmap(p->acpi);   /* a clash: the guest picked a taken range */
	} else {
		acpi_pm_unmap(p->acpi);
	}
}

static void cfg_write(struct pci_dev *d, unsigned off, uint32_t value, unsigned size)
{
	(void)value;
	if ((off < PMBA + 4 && off + size > PMBA) || (off <= PMREGMISC && off + size > PMREGMISC))
		update_map(d->opaque);
}

static void set_defaults(struct piix4_pm *p)
{
	struct pci_dev *d = &p->dev;
	pci_dev_init(d, 0x8086, 0x7113, 0x03, 0x068000, "piix4-pm");
	d->config[0x06] = 0x80;                 /* PCISTS: fast back-to-back */
	d->config[0x07] = 0x02;                 /* DEVSEL medium */
	d->config[0x3d] = 1;                    /* INTA# (the SCI is IRQ 9 by board wiring) */
	d->config[PMBA] = 0x01;                 /* I/O space indicator */
	d->wmask[PMBA] = 0xc0;
	d->wmask[PMBA + 1] = 0xff;
	uint32_t dev = APMC_EN;
	for (int i = 0; i < 4; i++)
		d->config[DEVACTB + i] = (uint8_t)(dev >> (8 * i));
	d->wmask[PMREGMISC] = 0x01;
	d->config[SMBBA] = 0x01;
	d->wmask[SMBBA] = 0xf0;
	d->wmask[SMBBA + 1] = 0xff;
	d->wmask[SMBHSTCFG] = 0x0f;
}

int piix4_pm_init(struct piix4_pm *p, struct pci_bus *bus, struct acpi_pm *acpi)
{
	p->acpi = acpi;
	p->dev.opaque = p;
	p->dev.cfg_write = cfg_write;
	set_defaults(p);
	return pci_register(bus, &p->dev, PCI_DEVFN(1, 3));
}

void piix4_pm_reset(struct piix4_pm *p)
{
	set_defaults(p);
	update_map(p);
}

void piix4_pm_save(const struct piix4_pm *p, struct state_writer *w)
{
	pci_dev_save(&p->dev, w);
	acpi_pm_save(p->acpi, w);
}

int piix4_pm_load(struct piix4_pm *p, struct state_reader *r)
{
	if (pci_dev_load(&p->dev, r) || acpi_pm_load(p->acpi, r))
		return -1;
	update_map(p);
	return 0;
}

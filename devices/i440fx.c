/*
 * i440FX host bridge (see i440fx.h).  Register numbers, reset values and bit
 * meanings are from the Intel 440FX PCIset datasheet (82441FX PMC, 82442FX
 * DBX), the PMC's PCI configuration register descriptions:
 * - PCICMD (04h) reads 0006h: memory access and bus master are always on
 *   (hardwired), I/O access is not supported; only SERR# enable (bit 8) is
 *   writable.  PCISTS (06h) resets to 0280h (fast back-to-back capable,
 *   DEVSEL# medium).  MLT (0Dh) bits 7:3 are writable.
 * - PMCCFG 50-51h, DETURBO 52h, DBC 53h, AXC 54h, DRAMR 55-56h, DRAMC 57h,
 *   DRAMT 58h, DRB0-7 60-67h, FDHC 68h, MTT 70h, CLT 71h: read/write storage
 *   here (no DRAM timing is modelled).
 * - PAM0-PAM6 (59h-5Fh), "Programmable Attribute Map": each nibble controls
 *   one segment with bit 0 RE (reads go to DRAM) and bit 1 WE (writes go to
 *   DRAM); with the bit clear the access goes to PCI.  PAM0 bits 5:4 control
 *   0F0000h-0FFFFFh (its low nibble is reserved); PAM1-PAM6 control
 *   0C0000h-0EFFFFh in 16 KiB segments, low nibble first (PAM1 bits 1:0
 *   0C0000h-0C3FFFh, bits 5:4 0C4000h-0C7FFFh, ..., PAM6 bits 5:4
 *   0EC000h-0EFFFFh).  Bits 3:2 and 7:6 are reserved (read 0).  Reset: 00h.
 * - SMRAM (72h): bit 6 D_OPEN, 5 D_CLS, 4 D_LCK, 3 G_SMRAME, 2:0 C_BASE_SEG
 *   (hardwired 010b: the A0000h segment).  Reset 02h.  Setting D_LCK clears
 *   D_OPEN and makes D_OPEN, D_LCK and G_SMRAME read-only until reset.
 */
#include <string.h>

#include "../mmu/mem.h"
#include "i440fx.h"

#define PAM0 0x59
#define SMRAM 0x72
#define SMRAM_D_OPEN 0x40
#define SMRAM_D_CLS  0x20
#define SMRAM_D_LCK  0x10
#define SMRAM_G_SMRAME 0x08

static void apply_pam(struct i440fx *h)
{
	const uint8_t *c = h->dev.config;
	mem_set_pam(h->mem, 0xf0000, 0x10000, c[PAM0] & 0x10, c[PAM0] & 0x20);
	for (unsigned r = 1; r <= 6; r++) {
		uint8_t v = c[PAM0 + r];
		uint32_t base = 0xc0000 + (r - 1) * 0x8000;
		mem_set_pam(h->mem, base, 0x4000, v & 0x01, v & 0x02);
		mem_set_pam(h->mem, base + 0x4000, 0x4000, v & 0x10, v & 0x20);
	}
}

static void smram_lock(struct i440fx *h)
{
	uint8_t *c = h->dev.config;
	if (c[SMRAM] & SMRAM_D_LCK) {
		c[SMRAM] &= (uint8_t)~SMRAM_D_OPEN;
		h->dev.wmask[SMRAM] = SMRAM_D_CLS;
	}
}

static void i440fx_cfg_write(struct pci_dev *d, unsigned off, uint32_t value, unsigned size)
{
	struct i440fx *h = d->opaque;
	(void)value;
	if (off < PAM0 + 7 && off + size > PAM0)
		apply_pam(h);
	if (off <= SMRAM && off + size > SMRAM)
		smram_lock(h);
}

static void setup_config(struct i440fx *h)
{
	struct pci_dev *d = &h->dev;
	pci_dev_init(d, 0x8086, 0x1237, 0x02, 0x060000, "i440fx");
	d->config[0x04] = 0x06;
	d->config[0x06] = 0x80;
	d->config[0x07] = 0x02;
	d->wmask[0x04] = 0x00;
	d->wmask[0x05] = 0x01;   /* SERRE */
	d->wmask[0x0c] = 0x00;
	d->wmask[0x0d] = 0xf8;   /* MLT */
	d->wmask[0x3c] = 0x00;   /* no interrupt */
	memset(d->wmask + 0x50, 0xff, 9);    /* PMCCFG .. DRAMT */
	d->wmask[PAM0] = 0x30;
	memset(d->wmask + PAM0 + 1, 0x33, 6);
	memset(d->wmask + 0x60, 0xff, 9);    /* DRB0-7, FDHC */
	d->wmask[0x70] = 0xff;               /* MTT */
	d->wmask[0x71] = 0xff;               /* CLT */
	d->config[SMRAM] = 0x02;
	d->wmask[SMRAM] = SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME;
}

int i440fx_init(struct i440fx *h, struct pci_bus *bus, struct mem *mem)
{
	memset(h, 0, sizeof(*h));
	h->mem = mem;
	h->dev.opaque = h;
	h->dev.cfg_write = i440fx_cfg_write;
	setup_config(h);
	if (pci_register(bus, &h->dev, PCI_DEVFN(0, 0)))
		return -1;
	apply_pam(h);
	return mem->pam_region ? 0 : -1;
}

void i440fx_reset(struct i440fx *h)
{
	setup_config(h);
	apply_pam(h);
}

void i440fx_save(const struct i440fx *h, struct state_writer *w)
{
	pci_dev_save(&h->dev, w);
}

int i440fx_load(struct i440fx *h, struct state_reader *r)
{
	if (pci_dev_load(&h->dev, r))
		return -1;
	h->dev.wmask[SMRAM] = SMRAM_D_OPEN | SMRAM_D_CLS | SMRAM_D_LCK | SMRAM_G_SMRAME;
	smram_lock(h);
	apply_pam(h);
	return 0;
}

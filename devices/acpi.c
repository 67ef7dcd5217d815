/* Minimal ACPI: PM1a block and tables through SeaBIOS's table loader (see
 * acpi.h).  Table layouts: ACPI 1.0b section 5.2; loader script: the
 * commands QEMU's BIOS linker/loader defines and SeaBIOS's
 * src/fw/romfile_loader.c executes (128-byte entries). */
#include <string.h>

#include "../mmu/mem.h"
#include "acpi.h"
#include "fwcfg.h"
#include "state.h"
#include "vclock.h"

/* PM1 registers (ACPI 1.0b 4.7.3.1, 4.7.3.2) */
#define PM1_STS   0
#define PM1_EN    2
#define PM1_CNT   4
#define PM_TMR    8
#define CNT_SCI_EN   0x0001
#define CNT_SLP_TYP  0x1c00
#define CNT_SLP_EN   0x2000
#define STS_WRITE_CLEAR 0x8d31   /* WAK, PWRBTN, GBL, BM, TMR status bits */

uint32_t acpi_pm_timer(struct acpi_pm *pm)
{
	uint64_t ns = vclock_now(pm->clock);
	uint64_t ticks = ns / 1000000000u * ACPI_PM_TIMER_HZ + ns % 1000000000u * ACPI_PM_TIMER_HZ / 1000000000u;
	return (uint32_t)ticks & 0xffffff;
}

static uint32_t pm_read(void *opaque, uint32_t port, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint32_t off = port - pm->base;
	uint32_t t = off + size > PM_TMR ? acpi_pm_timer(pm) : 0;
	uint8_t bytes[ACPI_PM_LEN] = {
		(uint8_t)pm->sts, (uint8_t)(pm->sts >> 8), (uint8_t)pm->en, (uint8_t)(pm->en >> 8),
		(uint8_t)(pm->cnt | CNT_SCI_EN), (uint8_t)(pm->cnt >> 8), 0, 0,
		(uint8_t)t, (uint8_t)(t >> 8), (uint8_t)(t >> 16), 0,
	};
	uint32_t v = 0;
	for (unsigned i = 0; i < size && off + i < ACPI_PM_LEN; i++)
		v |= (uint32_t)bytes[off + i] << (8 * i);
	return v;
}

static void pm_write(void *opaque, uint32_t port, uint32_t v, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint32_t off = port - pm->base;
	/* byte-wise: a 16-bit register may be written as two bytes */
	for (unsigned i = 0; i < size; i++, off++) {
		uint8_t b = (uint8_t)(v >> (8 * i));
		switch (off) {
		case PM1_STS: case PM1_STS + 1:
			/* status bits are cleared by writing 1 */
			pm->sts &= (uint16_t)~((b << (8 * (off - PM1_STS))) & STS_WRITE_CLEAR);
			break;
		case PM1_EN: case PM1_EN + 1: {
			unsigned sh = 8 * (off - PM1_EN);
			pm->en = (uint16_t)((pm->en & ~(0xffu << sh)) | (unsigned)b << sh);
			break;
		}
		case PM1_CNT: case PM1_CNT + 1: {
			unsigned sh = 8 * (off - PM1_CNT);
			uint16_t c = (uint16_t)((pm->cnt & ~(0xffu << sh)) | (unsigned)b << sh);
			/* SLP_EN is write-only: it starts the transition and reads 0 */
			pm->cnt = c & (uint16_t)~CNT_SLP_EN;
			if ((c & CNT_SLP_EN) && ((c & CNT_SLP_TYP) >> 10) == ACPI_S5_TYP && pm->poweroff)
				pm->poweroff(pm->opaque);
			break;
		}
		}
	}
}

void acpi_pm_init(struct acpi_pm *pm, struct mem *mem, struct vclock *clock,
		  void (*poweroff)(void *opaque), void *opaque)
{
	memset(pm, 0, sizeof(*pm));
	pm->mem = mem;
	pm->clock = clock;
	pm->poweroff = poweroff;
	pm->opaque = opaque;
}

int acpi_pm_map(struct acpi_pm *pm, uint32_t base)
{
	if (pm->mapped && pm->base == base)
		return 0;
	acpi_pm_unmap(pm);
	if (io_register(pm->mem, base, ACPI_PM_LEN, pm_read, pm_write, pm, "acpi-pm", MEM_WALL))
		return -1;
	pm->base = base;
	pm->mapped = true;
	return 0;
}

void acpi_pm_unmap(struct acpi_pm *pm)
{
	if (pm->mapped)
		io_unregister(pm->mem, pm->base);
	pm->mapped = false;
}

void acpi_pm_reset(struct acpi_pm *pm)
{
	pm->sts = pm->en = pm->cnt = 0;
}

#define ACPI_PM_STATE_MAGIC 0x41435049u   /* "ACPI" */

void acpi_pm_save(const struct acpi_pm *pm, struct state_writer *w)
{
	sw_u32(w, ACPI_PM_STATE_MAGIC);
	sw_u16(w, pm->sts);
	sw_u16(w, pm->en);
	sw_u16(w, pm->cnt);
}

int acpi_pm_load(struct acpi_pm *pm, struct state_reader *r)
{
	bool ok = sr_u32(r) == ACPI_PM_STATE_MAGIC;
	uint16_t sts = sr_u16(r), en = sr_u16(r), cnt = sr_u16(r);
	if (r->error || !ok)
		return -1;
	pm->sts = sts;
	pm->en = en;
	pm->cnt = cnt & (uint16_t)~CNT_SLP_EN;
	return 0;
}

/* ---- tables ---- */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* The 36-byte header every table but the RSDP and FACS starts with; the
 * checksum (byte 9) is left 0 for the loader's ADD_CHECKSUM. */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "SHADE8", 6);          /* OEM ID */
	memcpy(t + 16, "SHADE86 ", 8);        /* OEM table ID */
	put32(t + 24, 1);                     /* OEM revision */
	memcpy(t + 28, "SH86", 4);            /* creator ID */
	put32(t + 32, 1);
}

/* \_S5: Name (_S5_, Package (4) { S5, S5, 0, 0 }) -- AML (ACPI 1.0b 16.2):
 * NameOp '_S5_' PackageOp PkgLength(8) NumElements(4)
 * BytePrefix S5, BytePrefix S5, ZeroOp, ZeroOp */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, ACPI_S5_TYP, 0x0a, ACPI_S5_TYP, 0x00, 0x00,
};

enum {
	FACS_OFF = 0, FACS_LEN = 64,
	DSDT_OFF = 64, DSDT_LEN = 36 + sizeof(dsdt_aml),
	FADT_OFF = 128, FADT_LEN = 116,
	RSDT_OFF = FADT_OFF + FADT_LEN, RSDT_LEN = 36 + 4,
	TABLES_LEN = RSDT_OFF + RSDT_LEN,
	RSDP_LEN = 20,
};

/* loader script commands (128 bytes each) */
#define LOADER_ENTRY 128
#define CMD_ALLOCATE 1
#define CMD_ADD_POINTER 2
#define CMD_ADD_CHECKSUM 3
#define ZONE_HIGH 1
#define ZONE_FSEG 2
#define LOADER_NAME 56

static uint8_t *loader_entry(uint8_t *script, unsigned *n, uint32_t cmd)
{
	uint8_t *e = script + (*n)++ * LOADER_ENTRY;
	memset(e, 0, LOADER_ENTRY);
	put32(e, cmd);
	return e;
}

static void cmd_allocate(uint8_t *s, unsigned *n, const char *file, uint32_t align, uint8_t zone)
{
	uint8_t *e = loader_entry(s, n, CMD_ALLOCATE);
	strncpy((char *)e + 4, file, LOADER_NAME - 1);
	put32(e + 4 + LOADER_NAME, align);
	e[8 + LOADER_NAME] = zone;
}

/* add src's address to the size-byte value at dest + offset */
static void cmd_pointer(uint8_t *s, unsigned *n, const char *dest, const char *src, uint32_t offset, uint8_t size)
{
	uint8_t *e = loader_entry(s, n, CMD_ADD_POINTER);
	strncpy((char *)e + 4, dest, LOADER_NAME - 1);
	strncpy((char *)e + 4 + LOADER_NAME, src, LOADER_NAME - 1);
	put32(e + 4 + 2 * LOADER_NAME, offset);
	e[8 + 2 * LOADER_NAME] = size;
}

static void cmd_checksum(uint8_t *s, unsigned *n, const char *file, uint32_t offset, uint32_t start, uint32_t len)
{
	uint8_t *e = loader_entry(s, n, CMD_ADD_CHECKSUM);
	strncpy((char *)e + 4, file, LOADER_NAME - 1);
	put32(e + 4 + LOADER_NAME, offset);
	put32(e + 8 + LOADER_NAME, start);
	put32(e + 12 + LOADER_NAME, len);
}

int acpi_add_tables(struct fwcfg *f)
{
	static const char tables[] = "etc/acpi/tables", rsdp_name[] = "etc/acpi/rsdp";
	uint8_t t[TABLES_LEN], rsdp[RSDP_LEN], script[16 * LOADER_ENTRY];
	unsigned n = 0;
	memset(t, 0, sizeof(t));
	memset(rsdp, 0, sizeof(rsdp));

	/* FACS: no checksum; the global lock and waking vector unused */
	memcpy(t + FACS_OFF, "FACS", 4);
	put32(t + FACS_OFF + 4, FACS_LEN);

	header(t + DSDT_OFF, "DSDT", DSDT_LEN, 1);
	memcpy(t + DSDT_OFF + 36, dsdt_aml, sizeof(dsdt_aml));

	uint8_t *fadt = t + FADT_OFF;
	header(fadt, "FACP", FADT_LEN, 1);
	put32(fadt + 36, FACS_OFF);               /* FIRMWARE_CTRL (patched) */
	put32(fadt + 40, DSDT_OFF);               /* DSDT (patched) */
	put16(fadt + 46, ACPI_SCI_IRQ);           /* SCI_INT */
	put32(fadt + 48, 0);                      /* SMI_CMD: no mode switch, always ACPI */
	put32(fadt + 56, ACPI_PM_BASE + PM1_STS); /* PM1a_EVT_BLK */
	put32(fadt + 64, ACPI_PM_BASE + PM1_CNT); /* PM1a_CNT_BLK */
	put32(fadt + 76, ACPI_PM_BASE + PM_TMR);  /* PM_TMR_BLK */
	fadt[88] = 4;                             /* PM1_EVT_LEN */
	fadt[89] = 2;                             /* PM1_CNT_LEN */
	fadt[91] = 4;                             /* PM_TMR_LEN */
	put16(fadt + 96, 101);                    /* P_LVL2_LAT > 100: no C2 */
	put16(fadt + 98, 1001);                   /* P_LVL3_LAT > 1000: no C3 */
	fadt[108] = 0x32;                         /* CENTURY: the RTC's century byte */
	/* flags: WBINVD works, C1 (HLT) supported, power and sleep buttons are
	 * not fixed-feature buttons */
	put32(fadt + 112, 0x1u | 0x4u | 0x10u | 0x20u);

	header(t + RSDT_OFF, "RSDT", RSDT_LEN, 1);
	put32(t + RSDT_OFF + 36, FADT_OFF);       /* (patched) */

	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "SHADE8", 6);
	rsdp[15] = 0;                             /* ACPI 1.0 */
	put32(rsdp + 16, RSDT_OFF);               /* (patched) */

	cmd_allocate(script, &n, tables, 64, ZONE_HIGH);
	cmd_pointer(script, &n, tables, tables, FADT_OFF + 36, 4);
	cmd_pointer(script, &n, tables, tables, FADT_OFF + 40, 4);
	cmd_checksum(script, &n, tables, DSDT_OFF + 9, DSDT_OFF, DSDT_LEN);
	cmd_checksum(script, &n, tables, FADT_OFF + 9, FADT_OFF, FADT_LEN);
	cmd_pointer(script, &n, tables, tables, RSDT_OFF + 36, 4);
	cmd_checksum(script, &n, tables, RSDT_OFF + 9, RSDT_OFF, RSDT_LEN);
	cmd_allocate(script, &n, rsdp_name, 16, ZONE_FSEG);
	cmd_pointer(script, &n, rsdp_name, tables, 16, 4);
	cmd_checksum(script, &n, rsdp_name, 8, 0, RSDP_LEN);

	if (fwcfg_add_file(f, tables, t, sizeof(t)) ||
	    fwcfg_add_file(f, rsdp_name, rsdp, sizeof(rsdp)) ||
	    fwcfg_add_file(f, "etc/table-loader", script, n * LOADER_ENTRY))
		return -1;
	return 0;
}

/*
 * The minimal ACPI platform (devices/acpi.h).  The loader script is executed
 * here the way a firmware does (allocate each file, add file addresses to the
 * pointer fields, fix checksums), then the tables are checked against ACPI
 * 1.0b section 5.2: every table's bytes sum to 0 (the RSDP over its first 20
 * bytes), the RSDP -> RSDT -> FADT -> DSDT/FACS chain points at the right
 * signatures, the FADT's PM1 blocks are the registered ports, the DSDT
 * declares \_S5, and writing SLP_TYP = S5 with SLP_EN to PM1a_CNT powers off.
 */
#include <string.h>

#include "harness.h"
#include "suites.h"
#include "devices/acpi.h"
#include "devices/fwcfg.h"
#include "devices/vclock.h"

static struct fwcfg F;
static uint8_t mem4g[0x100000];     /* the "physical memory" the loader fills */
static int poweroffs;

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static const struct fwcfg_item *file(const char *name)
{
	for (unsigned i = 0; i < F.nfiles; i++)
		if (!strcmp(F.file_name[i], name))
			return &F.file[i];
	return NULL;
}

/* Places of the loaded files in mem4g (a fake address space: an offset). */
static struct {
	char name[56];
	uint32_t addr;
} placed[4];
static unsigned nplaced;

static uint32_t place_of(const char *name)
{
	for (unsigned i = 0; i < nplaced; i++)
		if (!strncmp(placed[i].name, name, 56))
			return placed[i].addr;
	ck_abort_msg("the script uses '%s' before allocating it", name);
	return 0;
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static void run_loader(void)
{
	const struct fwcfg_item *script = file("etc/table-loader");
	ck_assert_ptr_nonnull(script);
	ck_assert_int_eq(script->len % 128, 0);
	uint32_t next_high = 0x40000, next_fseg = 0x10000;   /* fake places inside mem4g */
	nplaced = 0;
	for (uint32_t off = 0; off < script->len; off += 128) {
		const uint8_t *e = script->data + off;
		uint32_t cmd = le32(e);
		if (cmd == 1) {                       /* ALLOCATE */
			const char *name = (const char *)e + 4;
			uint32_t align = le32(e + 60);
			uint8_t zone = e[64];
			ck_assert(zone == 1 || zone == 2);
			ck_assert(align && !(align & (align - 1)));
			const struct fwcfg_item *f = file(name);
			ck_assert_msg(f != NULL, "loader allocates missing file %s", name);
			uint32_t *next = zone == 1 ? &next_high : &next_fseg;
			*next = (*next + align - 1) & ~(align - 1);
			ck_assert_uint_lt(nplaced, 4);
			strncpy(placed[nplaced].name, name, 56);
			placed[nplaced++].addr = *next;
			memcpy(mem4g + *next, f->data, f->len);
			*next += f->len;
		} else if (cmd == 2) {                /* ADD_POINTER */
			uint32_t dest = place_of((const char *)e + 4);
			uint32_t src = place_of((const char *)e + 60);
			uint32_t at = le32(e + 116);
			uint8_t size = e[120];
			ck_assert_int_eq(size, 4);
			uint32_t v = le32(mem4g + dest + at) + src;
			memcpy(mem4g + dest + at, &v, 4);
		} else if (cmd == 3) {                /* ADD_CHECKSUM */
			uint32_t base = place_of((const char *)e + 4);
			uint32_t at = le32(e + 60), start = le32(e + 64), len = le32(e + 68);
			mem4g[base + at] = (uint8_t)(mem4g[base + at] - sum(mem4g + base + start, len));
		} else {
			ck_abort_msg("unknown loader command %u", cmd);
		}
	}
}

static void on_poweroff(void *opaque)
{
	(void)opaque;
	poweroffs++;
}

START_TEST(tables_chain_and_checksums)
{
	memset(mem4g, 0, sizeof(mem4g));
	ck_assert_int_eq(fwcfg_init(&F, &M->mem), 0);
	ck_assert_int_eq(acpi_add_tables(&F), 0);
	run_loader();

	/* RSDP: 16-byte aligned in the F segment, "RSD PTR ", revision 0 */
	uint32_t rsdp = place_of("etc/acpi/rsdp");
	ck_assert_int_eq(rsdp % 16, 0);
	ck_assert_uint_lt(rsdp, 0x40000);   /* the FSEG zone */
	ck_assert_int_eq(memcmp(mem4g + rsdp, "RSD PTR ", 8), 0);
	ck_assert_int_eq(sum(mem4g + rsdp, 20), 0);
	ck_assert_int_eq(mem4g[rsdp + 15], 0);

	uint32_t rsdt = le32(mem4g + rsdp + 16);
	ck_assert_int_eq(memcmp(mem4g + rsdt, "RSDT", 4), 0);
	uint32_t rsdt_len = le32(mem4g + rsdt + 4);
	ck_assert_int_eq(rsdt_len, 36 + 4);       /* one entry: the FADT */
	ck_assert_int_eq(sum(mem4g + rsdt, rsdt_len), 0);

	uint32_t fadt = le32(mem4g + rsdt + 36);
	ck_assert_int_eq(memcmp(mem4g + fadt, "FACP", 4), 0);
	ck_assert_int_eq(le32(mem4g + fadt + 4), 116);   /* ACPI 1.0 FADT */
	ck_assert_int_eq(sum(mem4g + fadt, 116), 0);
	ck_assert_int_eq(le32(mem4g + fadt + 56), ACPI_PM_BASE);       /* PM1a_EVT_BLK */
	ck_assert_int_eq(le32(mem4g + fadt + 64), ACPI_PM_BASE + 4);   /* PM1a_CNT_BLK */
	ck_assert_int_eq(le32(mem4g + fadt + 76), ACPI_PM_BASE + 8);   /* PM_TMR_BLK */
	ck_assert_int_eq(mem4g[fadt + 91], 4);                         /* PM_TMR_LEN */
	ck_assert_int_eq(mem4g[fadt + 88], 4);                         /* PM1_EVT_LEN */
	ck_assert_int_eq(mem4g[fadt + 89], 2);                         /* PM1_CNT_LEN */
	ck_assert_int_eq(le32(mem4g + fadt + 48), 0);                  /* no SMI_CMD */

	uint32_t facs = le32(mem4g + fadt + 36);
	ck_assert_int_eq(facs % 64, 0);           /* FACS: 64-byte aligned */
	ck_assert_int_eq(memcmp(mem4g + facs, "FACS", 4), 0);
	ck_assert_int_eq(le32(mem4g + facs + 4), 64);

	uint32_t dsdt = le32(mem4g + fadt + 40);
	ck_assert_int_eq(memcmp(mem4g + dsdt, "DSDT", 4), 0);
	uint32_t dsdt_len = le32(mem4g + dsdt + 4);
	ck_assert_int_eq(sum(mem4g + dsdt, dsdt_len), 0);
	/* Name (_S5_, Package (4) { 5, ... }): NameOp, name, PackageOp, then
	 * PkgLength must cover exactly the rest of the package */
	const uint8_t *aml = mem4g + dsdt + 36;
	ck_assert_int_eq(aml[0], 0x08);
	ck_assert_int_eq(memcmp(aml + 1, "_S5_", 4), 0);
	ck_assert_int_eq(aml[5], 0x12);
	ck_assert_int_eq(36 + 6 + aml[6], dsdt_len);
	ck_assert_int_eq(aml[7], 4);
	ck_assert_int_eq(aml[8], 0x0a);
	ck_assert_int_eq(aml[9], ACPI_S5_TYP);
	fwcfg_free(&F);
}
END_TEST

START_TEST(pm1_cnt_powers_off_on_s5_only)
{
	struct acpi_pm pm;
	struct vclock clk;
	vclock_init(&clk);
	poweroffs = 0;
	acpi_pm_init(&pm, &M->mem, &clk, on_poweroff, NULL);
	/* not decoded until mapped */
	ck_assert_int_eq(io_in(&M->mem, ACPI_PM_BASE + 4, 2), 0xffff);
	ck_assert_int_eq(acpi_pm_map(&pm, ACPI_PM_BASE), 0);
	/* SCI_EN reads 1: the platform is always in ACPI mode (no SMI_CMD) */
	ck_assert_int_eq(io_in(&M->mem, ACPI_PM_BASE + 4, 2) & 1, 1);
	/* SLP_TYP = S5 without SLP_EN: nothing */
	io_out(&M->mem, ACPI_PM_BASE + 4, ACPI_S5_TYP << 10, 2);
	ck_assert_int_eq(poweroffs, 0);
	/* another sleep type with SLP_EN: not S5, nothing (no S1-S4 here) */
	io_out(&M->mem, ACPI_PM_BASE + 4, (ACPI_S5_TYP ^ 1) << 10 | 1 << 13, 2);
	ck_assert_int_eq(poweroffs, 0);
	/* S5 with SLP_EN: off; SLP_EN reads back 0 (write-only) */
	io_out(&M->mem, ACPI_PM_BASE + 4, ACPI_S5_TYP << 10 | 1 << 13, 2);
	ck_assert_int_eq(poweroffs, 1);
	ck_assert_int_eq(io_in(&M->mem, ACPI_PM_BASE + 4, 2) & (1 << 13), 0);
	/* PM1_EN is read/write; PM1_STS bits are cleared by writing 1 */
	io_out(&M->mem, ACPI_PM_BASE + 2, 0x0121, 2);
	ck_assert_int_eq(io_in(&M->mem, ACPI_PM_BASE + 2, 2), 0x0121);
	pm.sts = 0x8001;
	io_out(&M->mem, ACPI_PM_BASE, 0x8000, 2);
	ck_assert_int_eq(io_in(&M->mem, ACPI_PM_BASE, 2), 0x0001);
	/* PM_TMR at +8: 3.579545 MHz, 24 bits (ACPI 1.0b 4.7.2.1): one second
	 * of virtual time is 3579545 ticks; it wraps at 2^24 */
	vclock_advance(&clk, 1000000000ull);
	ck_assert_int_eq(io_in(&M->mem, ACPI_PM_BASE + 8, 4), 3579545);
	vclock_advance(&clk, 5000000000ull);   /* 17897725 ticks: wrapped once */
	ck_assert_int_eq(io_in(&M->mem, ACPI_PM_BASE + 8, 4), 17897725 - (1 << 24));
	/* moved: the old ports no longer decode */
	ck_assert_int_eq(acpi_pm_map(&pm, 0xb000), 0);
	ck_assert_int_eq(io_in(&M->mem, ACPI_PM_BASE + 4, 2), 0xffff);
	ck_assert_int_eq(io_in(&M->mem, 0xb000 + 4, 2) & 1, 1);
	acpi_pm_unmap(&pm);
}
END_TEST

Suite *acpi_suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tc = h_tcase("acpi");
	tcase_add_test(tc, tables_chain_and_checksums);
	tcase_add_test(tc, pm1_cnt_powers_off_on_s5_only);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * A minimal ACPI platform: enough for an ACPI operating system (Linux) to
 * find the machine's power-off method, and nothing it could misuse.
 *
 * Hardware: the PM1a register block of the PIIX4's power-management function
 * (ACPI 1.0b, 4.7.3; PIIX4 datasheet, "Power Management Registers"), at an
 * I/O base the PCI function (piix4_pm.c) maps: PM1a_STS (+0) and PM1a_EN
 * (+2), the event block; PM1a_CNT (+4), the control block; PM_TMR (+8), the
 * 24-bit power-management timer at 3.579545 MHz counted on the virtual
 * clock.  Writing SLP_EN with SLP_TYP = ACPI_S5_TYP to PM1a_CNT enters S5
 * (soft off): the machine's power-off callback runs.  SCI_EN reads 1 (the
 * machine is always in ACPI mode, so the FADT has no SMI command port).  No
 * GPEs; no SCI is ever raised (TMR_STS is not set either).
 *
 * Tables: RSDP, RSDT, FADT (revision 1), FACS and a DSDT holding only the
 * \_S5 sleep-type package, built here and handed to SeaBIOS the way QEMU
 * does: fw_cfg files "etc/acpi/rsdp" and "etc/acpi/tables" plus
 * "etc/table-loader", the BIOS linker/loader script (ALLOCATE each file in
 * the F segment or high memory, ADD_POINTER to patch the table addresses,
 * ADD_CHECKSUM to fix the checksums once they are known).  No MADT: the CPU
 * has no local APIC, and the interrupt model stays the 8259A pair.
 */
#ifndef SHADE86_ACPI_H
#define SHADE86_ACPI_H
#include <stdbool.h>
#include <stdint.h>

struct mem;
struct fwcfg;
struct state_writer;
struct state_reader;

#define ACPI_PM_BASE 0x600   /* where SeaBIOS maps it when it loads our tables */
#define ACPI_PM_LEN  12
#define ACPI_PM_TIMER_HZ 3579545u
#define ACPI_SCI_IRQ 9
/* The SLP_TYP value \_S5 declares.  0, as on QEMU's PIIX4: SeaBIOS's APM
 * "off" (what Linux with acpi=off uses) writes SLP_EN with SLP_TYP 0 to the
 * PM1a_CNT port it found in the FADT. */
#define ACPI_S5_TYP 0

struct vclock;

struct acpi_pm {
	uint16_t sts, en, cnt;
	void (*poweroff)(void *opaque);
	void *opaque;
	struct mem *mem;
	struct vclock *clock;
	uint32_t base;        /* the I/O base while mapped */
	bool mapped;
};

/* Set up (not mapped: acpi_pm_map places the block). */
void acpi_pm_init(struct acpi_pm *pm, struct mem *mem, struct vclock *clock,
		  void (*poweroff)(void *opaque), void *opaque);
/* Decode the block at base (or stop decoding).  -1 if the ports are taken. */
int acpi_pm_map(struct acpi_pm *pm, uint32_t base);
void acpi_pm_unmap(struct acpi_pm *pm);
/* The PM timer's 24-bit count now. */
uint32_t acpi_pm_timer(struct acpi_pm *pm);
void acpi_pm_reset(struct acpi_pm *pm);
/* Adds the tables and the loader script to fw_cfg.  -1 when out of memory. */
int acpi_add_tables(struct fwcfg *f);
void acpi_pm_save(const struct acpi_pm *pm, struct state_writer *w);
int acpi_pm_load(struct acpi_pm *pm, struct state_reader *r);
#endif

/*
 * The PC machine: an i440FX/PIIX3 board as QEMU's "pc" machine presents it to
 * SeaBIOS, with one P6-class CPU.
 *
 *   00:00.0 i440FX host bridge (PAM: the BIOS shadowing of 0xC0000-0xFFFFF)
 *   00:01.0 PIIX3 ISA bridge (PIRQ routing, reset control 0xCF9)
 *   00:01.1 PIIX3 IDE (legacy ports, IRQ14/15: ATA disks, ATAPI CD-ROM)
 *   00:01.3 PIIX4 power management (the ACPI PM block and timer)
 *   00:02.0 VGA (stdvga, Bochs VBE, the VGA BIOS handed over via fw_cfg)
 *   ISA: 8259A pair + ELCR, 8254 PIT (IRQ0) + port 0x61, MC146818 RTC (IRQ8),
 *        8042 (IRQ1/IRQ12), port 0x92, COM1 (IRQ4), COM2 (IRQ3), fw_cfg
 *        (0x510), FPU error (FERR# -> IRQ13, port 0xF0 clears it), debug
 *        ports: 0x80 POST, 0xE9 and 0x402 consoles, 0xF4 exit, 0x8900 shutdown
 *   ACPI: the PM block's control register powers the machine off; tables
 *        SeaBIOS installs from fw_cfg describe it (acpi.h).
 *   Firmware: SeaBIOS in the PAM window (its last 128 KiB below 1 MiB) and at
 *        the top of 4 GiB, where the CPU starts.
 *
 * The machine owns a virtual clock (devices/vclock.h) that pc_run advances:
 * in realtime mode it follows the host's monotonic clock, in icount mode each
 * instruction is 2^shift virtual nanoseconds, so a run repeats exactly.
 */
#ifndef SHADE86_PC_H
#define SHADE86_PC_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../cpu/cpu.h"
#include "../mmu/mem.h"
#include "acpi.h"
#include "debugport.h"
#include "disk.h"
#include "fwcfg.h"
#include "i440fx.h"
#include "kbc.h"
#include "pci.h"
#include "pic.h"
#include "piix3.h"
#include "piix_ide.h"
#include "piix4_pm.h"
#include "pit.h"
#include "port92.h"
#include "rtc.h"
#include "uart.h"
#include "vclock.h"
#include "vga.h"

#define PC_DEFAULT_BIOS    "/usr/share/seabios/bios.bin"
#define PC_DEFAULT_VGABIOS "/usr/share/seabios/vgabios-stdvga.bin"

enum pc_drive { PC_HDA, PC_HDB, PC_CDROM, PC_NDRIVES };

struct pc_config {
	uint32_t ram_size;
	const char *bios;                 /* NULL: PC_DEFAULT_BIOS */
	const char *vgabios;              /* NULL: PC_DEFAULT_VGABIOS; "" none */
	const char *drive[PC_NDRIVES];    /* image paths or NULL */
	bool snapshot;                    /* writes to hard disks go to an overlay */
	const char *boot;                 /* "c", "d", "cd", "dc" ...: SeaBIOS's order */
	const char *kernel, *initrd, *append;
	const uint8_t *linuxboot_rom;     /* our option ROM (roms/linuxboot.asm) */
	uint32_t linuxboot_rom_len;
	struct uart_backend serial[2];    /* COM1, COM2 output */
	FILE *debugcon;                   /* port 0xE9 output, or NULL */
	FILE *firmware_log;               /* port 0x402 (SeaBIOS's debug output), or NULL */
	FILE *postlog;                    /* POST codes, or NULL */
	int icount_shift;                 /* -1: realtime; else 2^shift ns per instruction */
	time_t rtc_start;                 /* the RTC's start time (UTC) */
};

/* Why pc_run returned */
enum pc_event {
	PC_RUNNING,       /* the instruction budget is used up */
	PC_IDLE,          /* halted, waiting for an interrupt: the caller may sleep
	                   * until pc_next_deadline (realtime mode) */
	PC_HALTED,        /* halted with interrupts off: only a reset would help */
	PC_POWEROFF,      /* the guest powered the machine off (ACPI, port 0x8900) */
	PC_EXIT_PORT,     /* the guest wrote to port 0xF4: status in pc->exit.status */
	PC_RESET,         /* reset requested (0xCF9, 8042, port 0x92): pc_reset or stop */
	PC_TRIPLE_FAULT,  /* shutdown cycle: on a PC the board resets; pc_reset or stop */
	PC_STOPPED,       /* CPU_REQ_STOP set by the host */
	PC_MMU_CHECK,     /* --check-mmu found a mismatch (cpu.shadow.check_report) */
};

struct pc {
	struct pc_config cfg;
	struct mem mem;
	struct cpu cpu;
	struct vclock clock;
	uint64_t host_t0;        /* realtime: host ns at virtual time 0 */
	uint64_t slice_time, slice_icount;   /* icount: where the current slice began */
	uint64_t idle_ns;        /* virtual time spent halted */

	struct pic pic;
	struct pit pit;
	struct rtc rtc;
	struct kbc kbc;
	struct port92 port92;
	struct uart uart[2];
	struct fwcfg fwcfg;
	struct pci_bus pci;
	struct i440fx i440fx;
	struct piix3 piix3;
	struct piix_ide ide;
	struct piix4_pm pm;
	struct vga vga;
	struct disk disk[PC_NDRIVES];
	bool disk_open[PC_NDRIVES];
	struct debugcon con_e9, con_402;
	struct postport post80;
	struct exitport exit;
	struct shutdownport shutdown;

	struct acpi_pm acpi;
	bool poweroff;           /* the guest entered ACPI S5 */

	bool a20_kbc, a20_port92;     /* the two A20 gate outputs, ORed */
	uint8_t *bios;
	uint32_t bios_len;
	char error[512];
};

/* Builds the machine and powers it on (CPU at the reset vector).  Returns -1
 * with pc->error set to one line (a missing BIOS names its Debian package, a
 * bad disk image says what is wrong with it); pc_free is then not needed. */
int pc_init(struct pc *pc, const struct pc_config *cfg);
void pc_free(struct pc *pc);
/* Board reset (RESET# to the CPU and the devices).  RAM and disks are kept. */
void pc_reset(struct pc *pc);
/* Runs up to max instructions with the virtual clock advancing. */
enum pc_event pc_run(struct pc *pc, uint64_t max);
/* realtime mode: the host monotonic time (ns) at which the next device timer
 * is due, or UINT64_MAX.  The caller of an idle machine sleeps until then. */
uint64_t pc_next_deadline(const struct pc *pc);
/* Flushes the disk images (fsync; a no-op with -snapshot).  0, or -1 with
 * pc->error saying which image failed. */
int pc_flush_disks(struct pc *pc);
/* The host's monotonic clock in ns (realtime mode's time base). */
uint64_t pc_host_ns(void);
#endif

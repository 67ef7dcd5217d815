/* The PC machine (see pc.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cpu/x87.h"
#include "hostfile.h"
#include "pc.h"

static uint64_t realtime_source(void *opaque);
static uint64_t icount_source(void *opaque);
static uint64_t tsc_clock(void *opaque);

/* ---- wiring callbacks ---- */

static void intr_changed(void *opaque, bool level)
{
	struct pc *pc = opaque;
	cpu_set_intr(&pc->cpu, level);
}

/* The CPU's A20M# input: the gate is open while either the 8042's output port
 * or port 0x92 opens it (the chipset ORs them). */
static void update_a20(struct pc *pc)
{
	cpu_set_a20(&pc->cpu, pc->a20_kbc || pc->a20_port92);
}

static void kbc_a20(void *opaque, bool enabled)
{
	struct pc *pc = opaque;
	pc->a20_kbc = enabled;
	update_a20(pc);
}

static void port92_a20(void *opaque, bool enabled)
{
	struct pc *pc = opaque;
	pc->a20_port92 = enabled;
	update_a20(pc);
}

/* 8042 pulse on the reset line, port 0x92 bit 0, 0xCF9: the CPU stops at the
 * end of the current instruction and pc_run reports PC_RESET. */
static void sys_reset_request(void *opaque)
{
	struct pc *pc = opaque;
	cpu_request(&pc->cpu, CPU_REQ_RESET);
}

static void cf9_reset(void *opaque, bool hard)
{
	(void)hard;   /* a soft reset (INIT) also restarts at the reset vector here */
	sys_reset_request(opaque);
}

static void acpi_poweroff(void *opaque)
{
	struct pc *pc = opaque;
	pc->poweroff = true;
	cpu_request(&pc->cpu, CPU_REQ_STOP);
}

/* FERR# -> IRQ13 (the PC/AT's DOS-compatible FPU error reporting) */
static void ferr_changed(void *opaque, bool asserted)
{
	struct pc *pc = opaque;
	pic_set_irq(&pc->pic, 13, asserted);
}

/* Port 0xF0: any write clears the FPU error latch (IGNNE#, FERR# low). */
static void port_f0_write(void *opaque, uint32_t port, uint32_t v, unsigned size)
{
	struct pc *pc = opaque;
	(void)port;
	(void)v;
	(void)size;
	x87_ignne(&pc->cpu);
	pic_set_irq(&pc->pic, 13, false);
}

static uint32_t port_f0_read(void *opaque, uint32_t port, unsigned size)
{
	(void)opaque;
	(void)port;
	(void)size;
	return 0xff;
}

/* ---- firmware and fw_cfg ---- */

/* SeaBIOS: 64 KiB to 256 KiB, a multiple of 64 KiB (the layout QEMU expects).
 * Its last 128 KiB (or all of it) appear below 1 MiB, all of it below 4 GiB. */
static int load_bios(struct pc *pc)
{
	const char *path = pc->cfg.bios ? pc->cfg.bios : PC_DEFAULT_BIOS;
	char err[400];
	if (hostfile_read(path, "BIOS image", 256u << 10, &pc->bios, &pc->bios_len, err, sizeof(err))) {
		if (!pc->cfg.bios)
			snprintf(pc->error, sizeof(pc->error), "%s (install the Debian package 'seabios', or give -bios FILE)", err);
		else
			snprintf(pc->error, sizeof(pc->error), "%s", err);
		return -1;
	}
	if (pc->bios_len == 0 || pc->bios_len % 0x10000) {
		snprintf(pc->error, sizeof(pc->error), "'%s': a BIOS image must be a multiple of 64 KiB (it is %u bytes)",
			 path, pc->bios_len);
		return -1;
	}
	uint32_t low = pc->bios_len < 0x20000 ? pc->bios_len : 0x20000;
	if (mem_map_pam_rom(&pc->mem, 0x100000 - low, pc->bios + pc->bios_len - low, low, "bios") ||
	    mem_map_rom(&pc->mem, (uint32_t)(0x100000000ull - pc->bios_len), pc->bios, pc->bios_len, "bios (high)")) {
		snprintf(pc->error, sizeof(pc->error), "%s", pc->mem.error);
		return -1;
	}
	return 0;
}

/* QEMU's "etc/e820" file: packed { u64 address, u64 length, u32 type } */
static int add_e820(struct pc *pc)
{
	uint8_t e[20];
	uint64_t base = 0, len = pc->cfg.ram_size;
	uint32_t type = 1;   /* usable RAM; SeaBIOS reserves its own areas */
	for (int i = 0; i < 8; i++) {
		e[i] = (uint8_t)(base >> (8 * i));
		e[8 + i] = (uint8_t)(len >> (8 * i));
	}
	for (int i = 0; i < 4; i++)
		e[16 + i] = (uint8_t)(type >> (8 * i));
	return fwcfg_add_file(&pc->fwcfg, "etc/e820", e, sizeof(e));
}

/* SeaBIOS on QEMU reads its boot order from CMOS 0x3D (first device in bits
 * 0-3, second in 4-7) and 0x38 bits 4-7 (third): 1 floppy, 2 hard disk,
 * 3 CD-ROM, 4 network/BEV.  0x38 bit 0 set skips the floppy signature check. */
static int set_boot_order(struct pc *pc)
{
	const char *b = pc->cfg.boot ? pc->cfg.boot : "cd";
	unsigned code[3] = { 0, 0, 0 };
	size_t n = strlen(b);
	if (n == 0 || n > 3) {
		snprintf(pc->error, sizeof(pc->error), "boot order '%s': give 1 to 3 of the letters a, c, d, n", b);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		switch (b[i]) {
		case 'a': code[i] = 1; break;
		case 'c': code[i] = 2; break;
		case 'd': code[i] = 3; break;
		case 'n': code[i] = 4; break;
		default:
			snprintf(pc->error, sizeof(pc->error), "boot order '%s': unknown device '%c' (a, c, d or n)", b, b[i]);
			return -1;
		}
	}
	rtc_cmos_set(&pc->rtc, 0x3d, (uint8_t)(code[0] | code[1] << 4));
	rtc_cmos_set(&pc->rtc, 0x38, (uint8_t)(code[2] << 4 | 1));
	return 0;
}

static int setup_fwcfg(struct pc *pc)
{
	struct fwcfg *f = &pc->fwcfg;
	if (fwcfg_set_u64(f, FW_CFG_RAM_SIZE, pc->cfg.ram_size) ||
	    fwcfg_set_u16(f, FW_CFG_NB_CPUS, 1) ||
	    fwcfg_set_u16(f, FW_CFG_MAX_CPUS, 1) ||
	    fwcfg_set_u16(f, FW_CFG_NOGRAPHIC, 0) ||
	    add_e820(pc) || acpi_add_tables(f))
		goto oom;
	if (pc->vga.rom && fwcfg_add_file(f, VGA_ROM_FWCFG_NAME, pc->vga.rom, pc->vga.rom_len))
		goto oom;
	return 0;
oom:
	snprintf(pc->error, sizeof(pc->error), "out of memory for the fw_cfg items");
	return -1;
}

/* ---- disks ---- */

static int open_drives(struct pc *pc)
{
	static const char *const what[PC_NDRIVES] = { "-hda", "-hdb", "-cdrom" };
	for (int i = 0; i < PC_NDRIVES; i++) {
		const char *path = pc->cfg.drive[i];
		if (!path)
			continue;
		enum disk_mode mode = i == PC_CDROM ? DISK_RO : pc->cfg.snapshot ? DISK_SNAPSHOT : DISK_RW;
		if (disk_open(&pc->disk[i], path, mode)) {
			snprintf(pc->error, sizeof(pc->error), "%s: %s", what[i], pc->disk[i].error);
			return -1;
		}
		pc->disk_open[i] = true;
	}
	/* hda: primary master, hdb: primary slave, CD-ROM: secondary master
	 * (the QEMU layout, which SeaBIOS's boot order names follow) */
	if (pc->disk_open[PC_HDA])
		ata_attach(&pc->ide.ch[0], 0, ATA_DISK, &pc->disk[PC_HDA]);
	if (pc->disk_open[PC_HDB])
		ata_attach(&pc->ide.ch[0], 1, ATA_DISK, &pc->disk[PC_HDB]);
	if (pc->cfg.drive[PC_CDROM])
		ata_attach(&pc->ide.ch[1], 0, ATA_CDROM, &pc->disk[PC_CDROM]);
	return 0;
}

int pc_flush_disks(struct pc *pc)
{
	int rc = 0;
	for (int i = 0; i < PC_NDRIVES; i++)
		if (pc->disk_open[i] && disk_flush(&pc->disk[i])) {
			snprintf(pc->error, sizeof(pc->error), "%s", pc->disk[i].error);
			rc = -1;
		}
	return rc;
}

/* ---- the machine ---- */

uint64_t pc_host_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int fail_mem(struct pc *pc)
{
	if (!pc->error[0])
		snprintf(pc->error, sizeof(pc->error), "%s", pc->mem.error);
	return -1;
}

int pc_init(struct pc *pc, const struct pc_config *cfg)
{
	memset(pc, 0, sizeof(*pc));
	pc->cfg = *cfg;
	if (mem_init(&pc->mem, cfg->ram_size)) {
		snprintf(pc->error, sizeof(pc->error), "%s", pc->mem.error);
		return -1;
	}
	if (cpu_init(&pc->cpu, &pc->mem)) {
		snprintf(pc->error, sizeof(pc->error), "cannot reserve memory for the shadow page tables");
		mem_free(&pc->mem);
		return -1;
	}
	vclock_init(&pc->clock);
	pc->clock.source = cfg->icount_shift >= 0 ? icount_source : realtime_source;
	pc->clock.source_opaque = pc;
	pc->host_t0 = pc_host_ns();
	pc->cpu.tsc_clock = tsc_clock;
	pc->cpu.tsc_opaque = pc;
	pc->cpu.ferr = ferr_changed;
	pc->cpu.ferr_opaque = pc;

	/* the 8042's output port comes up with the A20 gate open (kbc.h) */
	pc->a20_kbc = true;
	struct sys_lines kbc_lines = { kbc_a20, sys_reset_request, pc };
	struct sys_lines p92_lines = { port92_a20, sys_reset_request, pc };
	acpi_pm_init(&pc->acpi, &pc->mem, &pc->clock, acpi_poweroff, pc);
	/* the PIC first: the PIT drives IRQ0 as soon as it exists */
	if (pic_init(&pc->pic, &pc->mem, intr_changed, pc))
		goto fail;
	pc->cpu.irq_ack = pic_cpu_ack;
	pc->cpu.irq_opaque = &pc->pic;
	if (pit_init(&pc->pit, &pc->mem, &pc->clock, pic_irq_line(&pc->pic, 0)) ||
	    rtc_init(&pc->rtc, &pc->mem, &pc->clock, pic_irq_line(&pc->pic, 8), cfg->rtc_start) ||
	    kbc_init(&pc->kbc, &pc->mem, &pc->clock, pic_irq_line(&pc->pic, KBC_IRQ_KBD),
		     pic_irq_line(&pc->pic, KBC_IRQ_MOUSE), kbc_lines) ||
	    port92_init(&pc->port92, &pc->mem, p92_lines) ||
	    uart_init(&pc->uart[0], &pc->mem, &pc->clock, UART_COM1_BASE,
		      pic_irq_line(&pc->pic, UART_COM1_IRQ), cfg->serial[0]) ||
	    uart_init(&pc->uart[1], &pc->mem, &pc->clock, UART_COM2_BASE,
		      pic_irq_line(&pc->pic, UART_COM2_IRQ), cfg->serial[1]) ||
	    fwcfg_init(&pc->fwcfg, &pc->mem) ||
	    io_register(&pc->mem, 0xf0, 1, port_f0_read, port_f0_write, pc, "fpu-error", MEM_W8) ||
	    debugcon_init(&pc->con_e9, &pc->mem, 0xe9, cfg->debugcon) ||
	    debugcon_init(&pc->con_402, &pc->mem, 0x402, cfg->firmware_log) ||
	    postport_init(&pc->post80, &pc->mem, 0x80, cfg->postlog) ||
	    exitport_init(&pc->exit, &pc->mem, 0xf4, &pc->cpu) ||
	    shutdownport_init(&pc->shutdown, &pc->mem, 0x8900, &pc->cpu) ||
	    pci_bus_init(&pc->pci, &pc->mem) ||
	    i440fx_init(&pc->i440fx, &pc->pci, &pc->mem) ||
	    piix3_init(&pc->piix3, &pc->pci, &pc->pic, cf9_reset, pc) ||
	    piix_ide_init(&pc->ide, &pc->pci, &pc->mem, pic_irq_line(&pc->pic, ATA_PRIMARY_IRQ),
			  pic_irq_line(&pc->pic, ATA_SECONDARY_IRQ)) ||
	    piix4_pm_init(&pc->pm, &pc->pci, &pc->acpi) ||
	    vga_init(&pc->vga, &pc->mem) ||
	    pci_register(&pc->pci, &pc->vga.pci, PCI_DEVFN(2, 0)))
		goto fail;
	/* the UARTs hand bytes over at once: nothing waits on a real line */
	pc->uart[0].instant = pc->uart[1].instant = true;

	const char *vgabios = cfg->vgabios ? cfg->vgabios : PC_DEFAULT_VGABIOS;
	if (*vgabios && vga_load_rom(&pc->vga, vgabios)) {
		snprintf(pc->error, sizeof(pc->error), "cannot read the VGA BIOS '%s': %s%s", vgabios, strerror(errno),
			 cfg->vgabios ? "" : " (install the Debian package 'seabios')");
		goto fail;
	}
	if (load_bios(pc) || open_drives(pc))
		goto fail;
	rtc_set_memory_sizes(&pc->rtc, cfg->ram_size);
	rtc_cmos_set(&pc->rtc, 0x5f, 0);   /* SeaBIOS/QEMU: number of CPUs - 1 */
	if (set_boot_order(pc) || setup_fwcfg(pc))
		goto fail;
	pc_reset(pc);
	return 0;
fail:
	fail_mem(pc);
	pc_free(pc);
	return -1;
}

void pc_free(struct pc *pc)
{
	for (int i = 0; i < PC_NDRIVES; i++)
		if (pc->disk_open[i]) {
			disk_close(&pc->disk[i]);
			pc->disk_open[i] = false;
		}
	vga_free(&pc->vga);
	fwcfg_free(&pc->fwcfg);
	cpu_free(&pc->cpu);
	mem_free(&pc->mem);
	free(pc->bios);
	pc->bios = NULL;
}

void pc_reset(struct pc *pc)
{
	cpu_reset(&pc->cpu);
	pic_reset(&pc->pic);
	pit_reset(&pc->pit);
	rtc_reset(&pc->rtc);
	/* The 8042 is not reset: on an AT, the controller that pulsed the reset
	 * line keeps running (its system flag tells the BIOS it was warm). */
	port92_reset(&pc->port92);
	pc->a20_port92 = false;
	uart_reset(&pc->uart[0]);
	uart_reset(&pc->uart[1]);
	fwcfg_reset(&pc->fwcfg);
	i440fx_reset(&pc->i440fx);
	piix3_reset(&pc->piix3);
	piix_ide_reset(&pc->ide);
	pci_dev_reset(&pc->vga.pci);
	vga_reset(&pc->vga);
	acpi_pm_reset(&pc->acpi);
	piix4_pm_reset(&pc->pm);
	cpu_clear_request(&pc->cpu, CPU_REQ_RESET);
	cpu_set_intr(&pc->cpu, pic_intr(&pc->pic));
	update_a20(pc);
}

/* ---- running ---- */

/* Instructions between looks at the clock in realtime mode: about 50-100 us
 * of guest time at interpreter speed, and about as long translated (each
 * slice also costs the translator a lookup in its dispatcher). */
#define SLICE 2048
#define SLICE_TRANSLATED 32768

static void advance_clock(struct pc *pc, uint64_t to)
{
	vclock_advance(&pc->clock, to);
}

/* The clock's source between advances (vclock.h): realtime, the host clock;
 * icount, the instructions retired since the slice began. */
static uint64_t realtime_source(void *opaque)
{
	struct pc *pc = opaque;
	return pc_host_ns() - pc->host_t0;
}

static uint64_t icount_source(void *opaque)
{
	struct pc *pc = opaque;
	return pc->slice_time + ((pc->cpu.icount - pc->slice_icount) << pc->cfg.icount_shift);
}

/* The TSC counts virtual nanoseconds (a 1 GHz TSC), so that it agrees with
 * the PIT over any interval, as Linux's calibration expects. */
static uint64_t tsc_clock(void *opaque)
{
	struct pc *pc = opaque;
	return vclock_now(&pc->clock);
}

uint64_t pc_next_deadline(const struct pc *pc)
{
	uint64_t next = vclock_next(&pc->clock);
	if (next == UINT64_MAX || pc->cfg.icount_shift >= 0)
		return next;
	return pc->host_t0 + next;
}

static enum pc_event exit_event(struct pc *pc, enum cpu_exit ex)
{
	switch (ex) {
	case CPU_EXIT_RESET:
		return PC_RESET;
	case CPU_EXIT_TRIPLE_FAULT:
		return PC_TRIPLE_FAULT;
	case CPU_EXIT_STOP:
		if (pc->cpu.shadow.check_failed)
			return PC_MMU_CHECK;
		if (pc->exit.written)
			return PC_EXIT_PORT;
		if (pc->shutdown.off || pc->poweroff)
			return PC_POWEROFF;
		return PC_STOPPED;
	default:
		return PC_RUNNING;
	}
}

enum pc_event pc_run(struct pc *pc, uint64_t max)
{
	struct cpu *cpu = &pc->cpu;
	bool icount = pc->cfg.icount_shift >= 0;
	int shift = pc->cfg.icount_shift;

	while (max) {
		uint64_t now = vclock_now(&pc->clock);
		pc->slice_time = now;
		pc->slice_icount = cpu->icount;
		uint64_t slice_max = cpu->engine ? SLICE_TRANSLATED : SLICE;
		uint64_t slice = max < slice_max ? max : slice_max;
		if (icount) {
			/* stop exactly at the next timer */
			uint64_t next = vclock_next(&pc->clock);
			if (next != UINT64_MAX) {
				uint64_t n = next > now ? (next - now + (1u << shift) - 1) >> shift : 1;
				if (n < slice)
					slice = n;
			}
		}
		uint64_t before = cpu->icount;
		/* a slice of host time may end a block late; -icount and the
		 * caller's own limit stay exact */
		cpu->soft_limit = !icount && slice < max;
		enum cpu_exit ex = cpu_run(cpu, slice);
		cpu->soft_limit = false;
		uint64_t done = cpu->icount - before;
		max -= done < max ? done : max;
		if (icount)
			advance_clock(pc, now + (done << shift));
		else
			advance_clock(pc, pc_host_ns() - pc->host_t0);

		if (ex == CPU_EXIT_HLT) {
			/* still halted after the clock moved: wait for an interrupt */
			if (!cpu->halted || ((cpu->exit_req & CPU_REQ_INTR) && (cpu->eflags & F_IF)))
				continue;
			if (!(cpu->eflags & F_IF) && !(cpu->exit_req & CPU_REQ_NMI))
				return PC_HALTED;
			uint64_t next = vclock_next(&pc->clock);
			if (next == UINT64_MAX)
				return PC_HALTED;   /* no timer armed: nothing can wake it */
			if (icount) {
				/* skip the idle time at once: the run stays exact */
				pc->idle_ns += next - vclock_now(&pc->clock);
				advance_clock(pc, next);
				continue;
			}
			return PC_IDLE;
		}
		if (ex != CPU_EXIT_COUNT && ex != CPU_EXIT_NONE)
			return exit_event(pc, ex);
	}
	return PC_RUNNING;
}

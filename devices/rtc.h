/*
 * The MC146818A real-time clock and CMOS RAM of the PC (Motorola MC146818A
 * datasheet) at ports 0x70 (index, bit 7 masks NMI) and 0x71 (data).
 *
 * 128 bytes: the time, alarm and calendar registers 0x00-0x09, registers A-D
 * at 0x0A-0x0D and NVRAM 0x0E-0x7F.  The clock runs on the virtual clock: the
 * 32.768 kHz divider chain is counted from virtual time, the time of day
 * advances once per virtual second, and vtimers are armed only while IRQ8 is
 * low and an enabled interrupt (periodic, alarm, update-ended) can raise it.
 * IRQ8 is the IRQF bit of register C, driven through an irq_line.
 *
 * Modelling choices: the update cycle is instantaneous at the second
 * boundary, with UIP set during the 244 us before it (the datasheet's
 * t_BUC); only the 32.768 kHz time base is modelled (DV = 010 runs, 11x holds
 * the divider in reset, other values stop it).
 */
#ifndef SHADE86_RTC_H
#define SHADE86_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "irq.h"
#include "vclock.h"

struct mem;
struct state_writer;
struct state_reader;

/* CMOS locations used by PC firmware (IBM AT layout, SeaBIOS/QEMU extras) */
#define CMOS_BASEMEM_LO   0x15   /* base memory in KiB */
#define CMOS_BASEMEM_HI   0x16
#define CMOS_EXTMEM_LO    0x17   /* memory above 1 MiB in KiB, at most 0xFFFF */
#define CMOS_EXTMEM_HI    0x18
#define CMOS_CHECKSUM_HI  0x2e   /* sum of 0x10-0x2D, big-endian */
#define CMOS_CHECKSUM_LO  0x2f
#define CMOS_EXTMEM2_LO   0x30   /* copy of 0x17/0x18 */
#define CMOS_EXTMEM2_HI   0x31
#define CMOS_CENTURY      0x32   /* BCD century (IBM) */
#define CMOS_HIGHMEM_LO   0x34   /* memory above 16 MiB in 64 KiB units, at most 0xFFFF */
#define CMOS_HIGHMEM_HI   0x35
#define CMOS_MEM4G_LO     0x5b   /* memory above 4 GiB in 64 KiB units (3 bytes) */
#define CMOS_MEM4G_MID    0x5c
#define CMOS_MEM4G_HI     0x5d

struct rtc {
	uint8_t ram[128];      /* 0x00-0x0B and 0x0E-0x7F as stored; 0x0C, 0x0D unused */
	uint8_t index;         /* port 0x70 bits 0-6 */
	bool nmi_masked;       /* port 0x70 bit 7 */
	uint8_t flags;         /* register C: PF, AF, UF (IRQF is computed) */
	bool irq_level;        /* IRQF, as driven on IRQ8 */
	bool running;          /* the divider chain counts (DV = 010) */
	uint64_t t0, c0;       /* the chain was at count c0 at virtual time t0 */
	uint64_t c_done;       /* chain count up to which updates and PF are done */
	bool dse_repeat;       /* DSE: October's repeated hour has been done today */
	uint8_t century;       /* century of the start time (binary), for CMOS 0x32 */
	struct mem *mem;
	struct vclock *clock;
	struct irq_line irq8;
	struct vtimer update_timer, periodic_timer;
};

/* Registers ports 0x70-0x71.  The time registers start at `start` (UTC,
 * broken down with gmtime; pass the host time or a fixed one), in BCD 24-hour
 * mode, register A = 0x26 (32.768 kHz, 1024 Hz), B = 0x02; the first update
 * is one virtual second after the call.  NVRAM is zero but the century byte.
 * Returns -1 (with mem->error set) if the ports are taken. */
int rtc_init(struct rtc *r, struct mem *mem, struct vclock *clock, struct irq_line irq8, time_t start);
/* The RESET pin: clears PIE, AIE, UIE, SQWE and the flags of register C
 * (IRQ8 low); the time, register A and the rest of B are kept. */
void rtc_reset(struct rtc *r);

/* NVRAM access for the machine.  get has no side effects (register C is
 * returned without clearing it); set of 0x00-0x0D acts as a guest write. */
void rtc_cmos_set(struct rtc *r, int index, uint8_t value);
uint8_t rtc_cmos_get(struct rtc *r, int index);
/* The standard memory-size fields for ram_bytes of RAM (below 4 GiB up to
 * MEM_MAX_RAM, the rest above 4 GiB), the century byte, and the checksum. */
void rtc_set_memory_sizes(struct rtc *r, uint64_t ram_bytes);
/* Sum of 0x10-0x2D into 0x2E (high byte) and 0x2F (low byte). */
void rtc_cmos_checksum(struct rtc *r);
/* Port 0x70 bit 7 as last written. */
bool rtc_nmi_masked(const struct rtc *r);

void rtc_save(const struct rtc *r, struct state_writer *w);
int rtc_load(struct rtc *r, struct state_reader *rd);

#endif

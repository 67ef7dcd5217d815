/*
 * MC146818A RTC and CMOS RAM (see rtc.h).
 *
 * References are to the Motorola MC146818A datasheet: "Address Map",
 * "Time, Calendar and Alarm Locations" (table 3, the binary and BCD formats,
 * the alarm "don't care" codes 0xC0-0xFF), "Registers" (A: UIP, DV2-0 with
 * table 4, RS3-0 with table 5; B: SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE;
 * C: IRQF, PF, AF, UF; D: VRT), "Update Cycle" (table 6: t_BUC = 244 us),
 * "Interrupts" and "Divider Stages" (the first update half a second after
 * the divider reset is removed).
 *
 * The divider chain is a count of 32.768 kHz ticks: the time of day is
 * updated when the count crosses a multiple of 32768 and the periodic flag
 * is set when it crosses a multiple of the selected tap's period.
 */
#include <string.h>

#include "rtc.h"
#include "state.h"
#include "../mmu/mem.h"

#define NS_PER_S   1000000000ull
#define CHAIN_HZ   32768u
#define UIP_TICKS  8u         /* t_BUC = 244.140625 us = 8 ticks of 32.768 kHz */

#define REG_SEC     0x00
#define REG_SEC_AL  0x01
#define REG_MIN     0x02
#define REG_MIN_AL  0x03
#define REG_HOUR    0x04
#define REG_HOUR_AL 0x05
#define REG_DOW     0x06
#define REG_DATE    0x07
#define REG_MONTH   0x08
#define REG_YEAR    0x09
#define REG_A       0x0a
#define REG_B       0x0b
#define REG_C       0x0c
#define REG_D       0x0d

#define A_UIP   0x80
#define B_SET   0x80
#define B_PIE   0x40
#define B_AIE   0x20
#define B_UIE   0x10
#define B_SQWE  0x08
#define B_DM    0x04   /* 1: binary, 0: BCD */
#define B_24H   0x02
#define B_DSE   0x01
#define C_IRQF  0x80
#define C_PF    0x40
#define C_AF    0x20
#define C_UF    0x10
#define D_VRT   0x80

/* ---- the divider chain ---- */

/* 32.768 kHz ticks in ns nanoseconds */
static uint64_t chain_ticks(uint64_t ns)
{
	return ns / NS_PER_S * CHAIN_HZ + ns % NS_PER_S * CHAIN_HZ / NS_PER_S;
}

/* the first ns with chain_ticks(ns) >= c */
static uint64_t chain_ns(uint64_t c)
{
	return c / CHAIN_HZ * NS_PER_S + (c % CHAIN_HZ * NS_PER_S + CHAIN_HZ - 1) / CHAIN_HZ;
}

static uint64_t chain_now(const struct rtc *r)
{
	if (!r->running)
		return r->c0;
	return r->c0 + chain_ticks(vclock_now(r->clock) - r->t0);
}

/* virtual time at which the running chain reaches count c (c >= c0) */
static uint64_t chain_time(const struct rtc *r, uint64_t c)
{
	return r->t0 + chain_ns(c - r->c0);
}

/* Period of the periodic interrupt in chain ticks, table 5 for the 32.768 kHz
 * time base: RS = 1 and 2 give 256 and 128 Hz, RS = 3-15 give 8192 Hz down
 * to 2 Hz (period 2^(RS-1) ticks); RS = 0: none. */
static unsigned periodic_ticks(uint8_t a)
{
	unsigned rs = a & 15;
	if (!rs)
		return 0;
	return rs <= 2 ? 1u << (rs + 6) : 1u << (rs - 1);
}

/* ---- calendar ---- */

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 15);
}

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)((v / 10 % 10) << 4 | v % 10);
}

/* a time or calendar byte in the data mode of register B */
static unsigned get(const struct rtc *r, unsigned i)
{
	return (r->ram[REG_B] & B_DM) ? r->ram[i] : from_bcd(r->ram[i]);
}

static void put(struct rtc *r, unsigned i, unsigned v)
{
	r->ram[i] = (r->ram[REG_B] & B_DM) ? (uint8_t)v : to_bcd(v);
}

/* hours 0-23; in 12-hour mode the register holds 1-12 with bit 7 = PM */
static unsigned get_hour(const struct rtc *r)
{
	if (r->ram[REG_B] & B_24H)
		return get(r, REG_HOUR);
	uint8_t raw = r->ram[REG_HOUR];
	unsigned h = (r->ram[REG_B] & B_DM) ? (raw & 0x7fu) : from_bcd(raw & 0x7f);
	return h % 12 + ((raw & 0x80) ? 12 : 0);
}

static void put_hour(struct rtc *r, unsigned h)
{
	if (r->ram[REG_B] & B_24H) {
		put(r, REG_HOUR, h);
		return;
	}
	unsigned h12 = h % 12 ? h % 12 : 12;
	put(r, REG_HOUR, h12);
	if (h >= 12)
		r->ram[REG_HOUR] |= 0x80;
}

/* The year register counts 00-99 and every year divisible by 4 is a leap
 * year ("automatic leap year compensation"). */
static unsigned days_in_month(unsigned month, unsigned year)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (month < 1 || month > 12)
		return 31;
	if (month == 2 && year % 4 == 0)
		return 29;
	return days[month - 1];
}

/* An alarm byte matches the time byte, or is a "don't care" code 0xC0-0xFF. */
static bool alarm_match(uint8_t alarm, uint8_t now)
{
	return (alarm & 0xc0) == 0xc0 || alarm == now;
}

/* One update cycle: advance the time by one second, set UF, and AF when the
 * alarm matches.  With DSE set the MC146818A's daylight saving rule applies:
 * on the last Sunday in April 1:59:59 AM is followed by 3:00:00 AM, on the
 * last Sunday in October the first 1:59:59 AM is followed by 1:00:00 AM. */
static void update_cycle(struct rtc *r)
{
	unsigned s = get(r, REG_SEC), m = get(r, REG_MIN), h = get_hour(r);
	unsigned dow = get(r, REG_DOW), date = get(r, REG_DATE);
	unsigned month = get(r, REG_MONTH), year = get(r, REG_YEAR);
	bool dst_jump = false;
	if ((r->ram[REG_B] & B_DSE) && dow == 1 && h == 1 && m == 59 && s == 59) {
		if (month == 4 && date + 7 > 30) {
			h = 3;
			m = s = 0;
			dst_jump = true;
		} else if (month == 10 && date + 7 > 31 && !r->dse_repeat) {
			r->dse_repeat = true;
			m = s = 0;
			dst_jump = true;
		}
	}
	if (!dst_jump && ++s >= 60) {
		s = 0;
		if (++m >= 60) {
			m = 0;
			if (++h >= 24) {
				h = 0;
				r->dse_repeat = false;
				dow = dow >= 7 ? 1 : dow + 1;
				if (++date > days_in_month(month, year)) {
					date = 1;
					if (++month > 12) {
						month = 1;
						year = (year + 1) % 100;
					}
				}
			}
		}
	}
	put(r, REG_SEC, s);
	put(r, REG_MIN, m);
	put_hour(r, h);
	put(r, REG_DOW, dow);
	put(r, REG_DATE, date);
	put(r, REG_MONTH, month);
	put(r, REG_YEAR, year);
	r->flags |= C_UF;
	if (alarm_match(r->ram[REG_SEC_AL], r->ram[REG_SEC]) &&
	    alarm_match(r->ram[REG_MIN_AL], r->ram[REG_MIN]) &&
	    alarm_match(r->ram[REG_HOUR_AL], r->ram[REG_HOUR]))
		r->flags |= C_AF;
}

/* ---- time keeping and interrupts ---- */

/* Catch up with the virtual clock: the update cycles (unless SET inhibits
 * them) and the periodic flag for every chain tick since the last call. */
static void sync(struct rtc *r)
{
	if (!r->running)
		return;
	uint64_t c = chain_now(r);
	if (c <= r->c_done)
		return;
	if (!(r->ram[REG_B] & B_SET)) {
		for (uint64_t k = r->c_done / CHAIN_HZ + 1; k <= c / CHAIN_HZ; k++)
			update_cycle(r);
	}
	unsigned pt = periodic_ticks(r->ram[REG_A]);
	if (pt && c / pt > r->c_done / pt)
		r->flags |= C_PF;
	r->c_done = c;
}

/* IRQF = PF.PIE + AF.AIE + UF.UIE ("Register C"); IRQ8 follows it. */
static bool irqf(const struct rtc *r)
{
	uint8_t b = r->ram[REG_B];
	return ((r->flags & C_PF) && (b & B_PIE)) || ((r->flags & C_AF) && (b & B_AIE)) ||
	       ((r->flags & C_UF) && (b & B_UIE));
}

static void irq_update(struct rtc *r)
{
	bool level = irqf(r);
	if (level != r->irq_level) {
		r->irq_level = level;
		irq_set(&r->irq8, level);
	}
}

/* Arm the timers that can raise IRQ8.  While it is high nothing further can
 * be observed before register C is read (which re-arms), so none is armed. */
static void schedule(struct rtc *r)
{
	uint8_t b = r->ram[REG_B];
	bool idle = !r->running || r->irq_level;
	if (!idle && !(b & B_SET) && (b & (B_UIE | B_AIE))) {
		uint64_t c = (r->c_done / CHAIN_HZ + 1) * CHAIN_HZ;
		vtimer_arm(r->clock, &r->update_timer, chain_time(r, c));
	} else {
		vtimer_cancel(r->clock, &r->update_timer);
	}
	unsigned pt = periodic_ticks(r->ram[REG_A]);
	if (!idle && pt && (b & B_PIE)) {
		uint64_t c = (r->c_done / pt + 1) * pt;
		vtimer_arm(r->clock, &r->periodic_timer, chain_time(r, c));
	} else {
		vtimer_cancel(r->clock, &r->periodic_timer);
	}
}

static void timer_fire(void *opaque)
{
	struct rtc *r = opaque;
	sync(r);
	irq_update(r);
	schedule(r);
}

/* UIP: set from t_BUC before an update until the update (instantaneous
 * here); writing SET = 1 inhibits updates and clears it. */
static bool uip(const struct rtc *r)
{
	return r->running && !(r->ram[REG_B] & B_SET) &&
	       chain_now(r) % CHAIN_HZ >= CHAIN_HZ - UIP_TICKS;
}

/* Register A: DV2-0 = 010 runs the 32.768 kHz divider, 11x holds it in
 * reset (the first update cycle then begins half a second after the reset
 * is removed), other values stop it. */
static void write_a(struct rtc *r, uint8_t v)
{
	unsigned dv = (v >> 4) & 7;
	r->ram[REG_A] = v & (uint8_t)~A_UIP;
	if (dv == 2 && r->running)
		return;
	if (r->running) {
		r->c0 = r->c_done;   /* sync() brought c_done to now */
		r->running = false;
	}
	if (dv >= 6)
		r->c0 = r->c_done = CHAIN_HZ / 2;
	if (dv == 2) {
		r->running = true;
		r->t0 = vclock_now(r->clock);
		r->c_done = r->c0;
	}
}

static uint8_t reg_peek(struct rtc *r, unsigned i)
{
	switch (i) {
	case REG_A:
		return (uint8_t)(r->ram[REG_A] | (uip(r) ? A_UIP : 0));
	case REG_C:
		return (uint8_t)((irqf(r) ? C_IRQF : 0) | r->flags);
	case REG_D:
		return D_VRT;   /* valid RAM and time: the battery is good */
	default:
		return r->ram[i];
	}
}

static uint8_t reg_read(struct rtc *r, unsigned i)
{
	sync(r);
	irq_update(r);
	uint8_t v = reg_peek(r, i);
	if (i == REG_C) {
		/* reading C clears all its bits and removes the interrupt */
		r->flags = 0;
		irq_update(r);
		schedule(r);
	}
	return v;
}

static void reg_write(struct rtc *r, unsigned i, uint8_t v)
{
	sync(r);
	switch (i) {
	case REG_A:
		write_a(r, v);
		break;
	case REG_B:
		/* "the SET bit going high clears the UIE bit" */
		if ((v & B_SET) && !(r->ram[REG_B] & B_SET))
			v &= (uint8_t)~B_UIE;
		r->ram[REG_B] = v;
		break;
	case REG_C:
	case REG_D:
		break;   /* read-only */
	default:
		r->ram[i] = v;
		break;
	}
	irq_update(r);
	schedule(r);
}

static uint32_t rtc_read(void *opaque, uint32_t port, unsigned size)
{
	struct rtc *r = opaque;
	(void)size;
	if (!(port & 1))
		return 0xff;   /* the index register is write-only */
	return reg_read(r, r->index);
}

static void rtc_write(void *opaque, uint32_t port, uint32_t value, unsigned size)
{
	struct rtc *r = opaque;
	(void)size;
	if (!(port & 1)) {
		r->index = value & 0x7f;
		r->nmi_masked = (value & 0x80) != 0;
	} else {
		reg_write(r, r->index, (uint8_t)value);
	}
}

/* ---- interface ---- */

void rtc_cmos_set(struct rtc *r, int index, uint8_t value)
{
	unsigned i = (unsigned)index & 0x7f;
	if (i <= REG_D)
		reg_write(r, i, value);
	else
		r->ram[i] = value;
}

uint8_t rtc_cmos_get(struct rtc *r, int index)
{
	unsigned i = (unsigned)index & 0x7f;
	if (i <= REG_D) {
		sync(r);
		irq_update(r);
		schedule(r);
		return reg_peek(r, i);
	}
	return r->ram[i];
}

void rtc_cmos_checksum(struct rtc *r)
{
	unsigned sum = 0;
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += r->ram[i];
	r->ram[CMOS_CHECKSUM_HI] = (uint8_t)(sum >> 8);
	r->ram[CMOS_CHECKSUM_LO] = (uint8_t)sum;
}

void rtc_set_memory_sizes(struct rtc *r, uint64_t ram_bytes)
{
	uint64_t below = ram_bytes < MEM_MAX_RAM ? ram_bytes : MEM_MAX_RAM;
	uint64_t above = ram_bytes - below;
	uint64_t ext = below > (1u << 20) ? (below - (1u << 20)) >> 10 : 0;
	uint64_t high = below > (16u << 20) ? (below - (16u << 20)) >> 16 : 0;
	uint64_t over4g = above >> 16;
	if (ext > 0xffff)
		ext = 0xffff;
	if (high > 0xffff)
		high = 0xffff;
	if (over4g > 0xffffff)
		over4g = 0xffffff;
	r->ram[CMOS_BASEMEM_LO] = 640 & 0xff;
	r->ram[CMOS_BASEMEM_HI] = 640 >> 8;
	r->ram[CMOS_EXTMEM_LO] = r->ram[CMOS_EXTMEM2_LO] = (uint8_t)ext;
	r->ram[CMOS_EXTMEM_HI] = r->ram[CMOS_EXTMEM2_HI] = (uint8_t)(ext >> 8);
	r->ram[CMOS_HIGHMEM_LO] = (uint8_t)high;
	r->ram[CMOS_HIGHMEM_HI] = (uint8_t)(high >> 8);
	r->ram[CMOS_MEM4G_LO] = (uint8_t)over4g;
	r->ram[CMOS_MEM4G_MID] = (uint8_t)(over4g >> 8);
	r->ram[CMOS_MEM4G_HI] = (uint8_t)(over4g >> 16);
	r->ram[CMOS_CENTURY] = to_bcd(r->century);
	rtc_cmos_checksum(r);
}

bool rtc_nmi_masked(const struct rtc *r)
{
	return r->nmi_masked;
}

void rtc_reset(struct rtc *r)
{
	sync(r);
	r->ram[REG_B] &= (uint8_t)~(B_PIE | B_AIE | B_UIE | B_SQWE);
	r->flags = 0;
	irq_update(r);
	schedule(r);
}

int rtc_init(struct rtc *r, struct mem *mem, struct vclock *clock, struct irq_line irq8, time_t start)
{
	*r = (struct rtc){ .mem = mem, .clock = clock, .irq8 = irq8 };
	vtimer_init(&r->update_timer, timer_fire, r);
	vtimer_init(&r->periodic_timer, timer_fire, r);
	struct tm tm;
	if (!gmtime_r(&start, &tm))
		tm = (struct tm){ .tm_mday = 1, .tm_year = 100, .tm_wday = 6 };   /* 2000-01-01 */
	r->ram[REG_A] = 0x26;
	r->ram[REG_B] = B_24H;
	put(r, REG_SEC, (unsigned)tm.tm_sec % 60);
	put(r, REG_MIN, (unsigned)tm.tm_min);
	put(r, REG_HOUR, (unsigned)tm.tm_hour);
	put(r, REG_DOW, (unsigned)tm.tm_wday + 1);   /* 1 = Sunday */
	put(r, REG_DATE, (unsigned)tm.tm_mday);
	put(r, REG_MONTH, (unsigned)tm.tm_mon + 1);
	put(r, REG_YEAR, (unsigned)(tm.tm_year + 1900) % 100);
	r->century = (uint8_t)((tm.tm_year + 1900) / 100);
	r->ram[CMOS_CENTURY] = to_bcd(r->century);
	r->running = true;
	r->t0 = vclock_now(clock);
	r->c0 = r->c_done = 0;
	if (io_register(mem, 0x70, 2, rtc_read, rtc_write, r, "rtc", MEM_W8) < 0)
		return -1;
	return 0;
}

void rtc_save(const struct rtc *r, struct state_writer *w)
{
	sw_bytes(w, r->ram, sizeof(r->ram));
	sw_u8(w, r->index);
	sw_u8(w, r->flags);
	sw_u8(w, (uint8_t)(r->nmi_masked | r->irq_level << 1 | r->running << 2 | r->dse_repeat << 3));
	sw_u8(w, r->century);
	sw_u64(w, r->t0);
	sw_u64(w, r->c0);
	sw_u64(w, r->c_done);
}

int rtc_load(struct rtc *r, struct state_reader *rd)
{
	uint8_t ram[128];
	sr_bytes(rd, ram, sizeof(ram));
	uint8_t index = sr_u8(rd);
	uint8_t flags = sr_u8(rd);
	uint8_t f = sr_u8(rd);
	uint8_t century = sr_u8(rd);
	uint64_t t0 = sr_u64(rd), c0 = sr_u64(rd), c_done = sr_u64(rd);
	if (rd->error || index > 0x7f || (flags & ~(C_PF | C_AF | C_UF)) || (f & ~0x0fu) ||
	    c_done < c0 || (ram[REG_A] & A_UIP) || century > 99)
		return -1;
	memcpy(r->ram, ram, sizeof(ram));
	r->index = index;
	r->flags = flags;
	r->nmi_masked = f & 1;
	r->irq_level = (f >> 1) & 1;
	r->running = (f >> 2) & 1;
	r->dse_repeat = (f >> 3) & 1;
	r->century = century;
	r->t0 = t0;
	r->c0 = c0;
	r->c_done = c_done;
	irq_update(r);
	schedule(r);
	return 0;
}

/*
 * MC146818A RTC and CMOS RAM (devices/rtc.h), driven through ports 0x70 and
 * 0x71 on a virtual clock.
 *
 * Expected values come from the Motorola MC146818A datasheet: the time and
 * calendar formats (table 3: BCD or binary per DM, 12-hour mode with bit 7 =
 * PM, day of week 1-7 with Sunday = 1, year 00-99, leap years divisible by
 * 4), register A (UIP set 244 us before an update, DV2-0 = 010 for the
 * 32.768 kHz time base, 11x holds the divider in reset and the first update
 * comes half a second after it is released, the periodic rates of table 5),
 * register B (SET inhibits updates and clears UIE, the interrupt enables,
 * DSE with its April/October rule), register C (IRQF = PF.PIE + AF.AIE +
 * UF.UIE, cleared by reading it), register D (VRT = 1) and the alarm's
 * "don't care" codes 0xC0-0xFF.  The CMOS memory-size fields are the IBM AT
 * layout plus the ones SeaBIOS reads (0x34/0x35 above 16 MiB and 0x5B-0x5D
 * above 4 GiB, in 64 KiB units).
 */
#include <stdlib.h>
#include <time.h>

#include "harness.h"
#include "suites.h"
#include "devices/rtc.h"
#include "devices/state.h"
#include "mmu/mem.h"

#define SEC 1000000000ull

static struct mem *mm;
static struct rtc *rtc;
static struct vclock clk;

#define MAX_EDGES 64
static struct edge {
	uint64_t t;
	bool level;
} edges[MAX_EDGES];
static unsigned nedges;
static bool irq8;

static void on_irq(void *opaque, int n, bool level)
{
	(void)opaque;
	(void)n;
	if (nedges < MAX_EDGES)
		edges[nedges] = (struct edge){ vclock_now(&clk), level };
	nedges++;
	irq8 = level;
}

/* seconds since the epoch of a UTC date */
static time_t utc(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	return timegm(&tm);
}

static void make_rtc(time_t start)
{
	mm = calloc(1, sizeof(*mm));
	rtc = calloc(1, sizeof(*rtc));
	ck_assert_ptr_nonnull(mm);
	ck_assert_ptr_nonnull(rtc);
	ck_assert_int_eq(mem_init(mm, 64u << 10), 0);
	vclock_init(&clk);
	nedges = 0;
	irq8 = false;
	struct irq_line l = { .set = on_irq, .opaque = NULL, .n = 8 };
	ck_assert_int_eq(rtc_init(rtc, mm, &clk, l, start), 0);
}

static void rtc_setup(void)
{
	make_rtc(utc(2024, 2, 28, 23, 59, 58));
}

static void rtc_teardown(void)
{
	mem_free(mm);
	free(mm);
	free(rtc);
	mm = NULL;
	rtc = NULL;
}

static void restart(time_t start)
{
	rtc_teardown();
	make_rtc(start);
}

static uint8_t rd(uint8_t idx)
{
	io_out(mm, 0x70, idx, 1);
	return (uint8_t)io_in(mm, 0x71, 1);
}

static void wr(uint8_t idx, uint8_t v)
{
	io_out(mm, 0x70, idx, 1);
	io_out(mm, 0x71, v, 1);
}

static void at(uint64_t ns)
{
	vclock_advance(&clk, ns);
}

/* seconds, minutes, hours, day of week, date, month, year */
static void expect_time(const uint8_t e[7], int line)
{
	static const uint8_t idx[7] = { 0, 2, 4, 6, 7, 8, 9 };
	static const char *name[7] = { "sec", "min", "hour", "dow", "date", "month", "year" };
	for (int i = 0; i < 7; i++) {
		uint8_t v = rd(idx[i]);
		ck_assert_msg(v == e[i], "line %d: %s = 0x%02x, expected 0x%02x", line, name[i], v, e[i]);
	}
}
#define TIME(...) do { static const uint8_t e_[7] = { __VA_ARGS__ }; expect_time(e_, __LINE__); } while (0)

/* set the time with SET = 1, then restore register B to b */
static void set_time(uint8_t b, const uint8_t v[7])
{
	static const uint8_t idx[7] = { 0, 2, 4, 6, 7, 8, 9 };
	wr(0x0b, (uint8_t)(b | 0x80));
	for (int i = 0; i < 7; i++)
		wr(idx[i], v[i]);
	wr(0x0b, b);
}
#define SET_TIME(b, ...) do { static const uint8_t v_[7] = { __VA_ARGS__ }; set_time((b), v_); } while (0)

START_TEST(test_init_bcd)
{
	/* 2024-02-28 23:59:58 UTC, a Wednesday */
	TIME(0x58, 0x59, 0x23, 0x04, 0x28, 0x02, 0x24);
	EQ(rd(0x0a), 0x26);
	EQ(rd(0x0b), 0x02);
	EQ(rd(0x0c), 0x00);
	EQ(rd(0x0d), 0x80);
	EQ(rtc_cmos_get(rtc, 0x32), 0x20);
	EQ(rd(0x32), 0x20);
}
END_TEST

START_TEST(test_leap_year)
{
	at(SEC - 1);
	TIME(0x58, 0x59, 0x23, 0x04, 0x28, 0x02, 0x24);
	at(SEC);
	TIME(0x59, 0x59, 0x23, 0x04, 0x28, 0x02, 0x24);
	at(2 * SEC);
	TIME(0x00, 0x00, 0x00, 0x05, 0x29, 0x02, 0x24);   /* Thursday 29th */
	SET_TIME(0x02, 0x59, 0x59, 0x23, 0x05, 0x29, 0x02, 0x24);
	at(3 * SEC);
	TIME(0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24);
	/* 2000 (year 00) is a leap year too */
	SET_TIME(0x02, 0x59, 0x59, 0x23, 0x02, 0x28, 0x02, 0x00);
	at(4 * SEC);
	TIME(0x00, 0x00, 0x00, 0x03, 0x29, 0x02, 0x00);
}
END_TEST

START_TEST(test_non_leap_year)
{
	restart(utc(2023, 2, 28, 23, 59, 59));    /* a Tuesday */
	TIME(0x59, 0x59, 0x23, 0x03, 0x28, 0x02, 0x23);
	at(SEC);
	TIME(0x00, 0x00, 0x00, 0x04, 0x01, 0x03, 0x23);
}
END_TEST

START_TEST(test_month_and_year_rollover)
{
	restart(utc(1999, 12, 31, 23, 59, 59));   /* a Friday */
	EQ(rd(0x32), 0x19);
	TIME(0x59, 0x59, 0x23, 0x06, 0x31, 0x12, 0x99);
	at(SEC);
	TIME(0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00);
	EQ(rd(0x32), 0x19);          /* the century byte is plain NVRAM */
	/* 30-day month, and Saturday -> Sunday */
	SET_TIME(0x02, 0x59, 0x59, 0x23, 0x07, 0x30, 0x04, 0x24);
	at(2 * SEC);
	TIME(0x00, 0x00, 0x00, 0x01, 0x01, 0x05, 0x24);
	/* 31-day month: the 30th goes to the 31st */
	SET_TIME(0x02, 0x59, 0x59, 0x23, 0x03, 0x30, 0x05, 0x24);
	at(3 * SEC);
	TIME(0x00, 0x00, 0x00, 0x04, 0x31, 0x05, 0x24);
	/* minute and hour carries */
	SET_TIME(0x02, 0x59, 0x59, 0x09, 0x04, 0x31, 0x05, 0x24);
	at(4 * SEC);
	TIME(0x00, 0x00, 0x10, 0x04, 0x31, 0x05, 0x24);
	at(64 * SEC);
	TIME(0x00, 0x01, 0x10, 0x04, 0x31, 0x05, 0x24);
}
END_TEST

START_TEST(test_binary_mode)
{
	/* DM = 1: binary; 24-hour */
	SET_TIME(0x06, 59, 59, 23, 6, 31, 12, 99);
	EQ(rd(0x0b), 0x06);
	at(SEC);
	TIME(0, 0, 0, 7, 1, 1, 0);
	SET_TIME(0x06, 9, 59, 11, 7, 28, 2, 23);
	at(2 * SEC);
	TIME(10, 59, 11, 7, 28, 2, 23);
	at(52 * SEC);
	TIME(0, 0, 12, 7, 28, 2, 23);
}
END_TEST

START_TEST(test_12_hour_mode)
{
	/* BCD, 12-hour: 11:59:59 PM -> 12:00:00 AM next day */
	SET_TIME(0x00, 0x59, 0x59, 0x91, 0x02, 0x15, 0x01, 0x24);
	at(SEC);
	TIME(0x00, 0x00, 0x12, 0x03, 0x16, 0x01, 0x24);
	/* 11:59:59 AM -> 12:00:00 PM */
	SET_TIME(0x00, 0x59, 0x59, 0x11, 0x03, 0x16, 0x01, 0x24);
	at(2 * SEC);
	TIME(0x00, 0x00, 0x92, 0x03, 0x16, 0x01, 0x24);
	/* 12:59:59 PM -> 1:00:00 PM, 12:59:59 AM -> 1:00:00 AM */
	SET_TIME(0x00, 0x59, 0x59, 0x92, 0x03, 0x16, 0x01, 0x24);
	at(3 * SEC);
	EQ(rd(0x04), 0x81);
	SET_TIME(0x00, 0x59, 0x59, 0x12, 0x03, 0x16, 0x01, 0x24);
	at(4 * SEC);
	EQ(rd(0x04), 0x01);
	/* binary 12-hour: 11 PM is 0x8B, midnight 12 (0x0C) */
	SET_TIME(0x04, 59, 59, 0x8b, 3, 16, 1, 24);
	at(5 * SEC);
	TIME(0, 0, 0x0c, 4, 17, 1, 24);
}
END_TEST

START_TEST(test_set_inhibits_updates)
{
	at(SEC / 2);
	wr(0x0b, 0x82);
	at(3 * SEC + SEC / 2);
	TIME(0x58, 0x59, 0x23, 0x04, 0x28, 0x02, 0x24);
	at(4 * SEC - 100000);
	EQ(rd(0x0a) & 0x80, 0x00);   /* no UIP while SET */
	wr(0x0b, 0x02);
	at(4 * SEC - 1);
	EQ(rd(0x00), 0x58);
	at(4 * SEC);                 /* the divider kept running */
	EQ(rd(0x00), 0x59);
}
END_TEST

START_TEST(test_uip)
{
	at(SEC - 250000);
	EQ(rd(0x0a), 0x26);
	at(SEC - 240000);            /* within 244 us of the update */
	EQ(rd(0x0a), 0xa6);
	EQ(rd(0x00), 0x58);          /* not updated yet */
	at(SEC - 1);
	EQ(rd(0x0a), 0xa6);
	at(SEC);
	EQ(rd(0x0a), 0x26);
	EQ(rd(0x00), 0x59);
	at(2 * SEC - 240000);
	EQ(rd(0x0a) & 0x80, 0x80);
	wr(0x0a, 0xa6);              /* UIP is read-only */
	at(2 * SEC + 1000);
	EQ(rd(0x0a), 0x26);
}
END_TEST

START_TEST(test_update_ended_interrupt)
{
	wr(0x0a, 0x20);              /* no periodic flag, to see UF alone */
	wr(0x05, 0x12);              /* and no alarm at midnight (the alarm is 00:00:00) */
	wr(0x0b, 0x12);              /* UIE */
	at(SEC - 1);
	ck_assert(!irq8);
	at(SEC);
	ck_assert(irq8);
	EQ(nedges, 1);
	EQ64(edges[0].t, SEC);
	EQ(rd(0x0c), 0x90);          /* IRQF | UF */
	ck_assert(!irq8);
	EQ(rd(0x0c), 0x00);
	at(2 * SEC);
	ck_assert(irq8);
	EQ64(edges[2].t, 2 * SEC);
	/* not read: IRQ8 stays high, no new edge */
	at(5 * SEC);
	EQ(nedges, 3);
	EQ(rd(0x0c), 0x90);
	/* "the SET bit going high clears UIE" */
	wr(0x0b, 0x92);
	EQ(rd(0x0b), 0x82);
}
END_TEST

/* Count the periodic interrupts in (0, 1 s], reading C in each. */
static unsigned count_periodic(uint8_t a)
{
	wr(0x0a, a);
	wr(0x0b, 0x42);              /* PIE */
	unsigned n = 0;
	uint64_t start = vclock_now(&clk);
	uint64_t t;
	while ((t = vclock_next(&clk)) <= start + SEC) {
		at(t);
		if (irq8) {
			uint8_t c = rd(0x0c);   /* UF may come with it on the second */
			ck_assert_msg((c & 0xc0) == 0xc0, "C = 0x%02x at %llu", c, (unsigned long long)t);
			n++;
		}
	}
	wr(0x0b, 0x02);
	rd(0x0c);
	return n;
}

START_TEST(test_periodic_rates)
{
	/* table 5, 32.768 kHz time base */
	EQ(count_periodic(0x26), 1024);
	EQ(count_periodic(0x23), 8192);
	EQ(count_periodic(0x2f), 2);
	EQ(count_periodic(0x21), 256);
	EQ(count_periodic(0x22), 128);
	EQ(count_periodic(0x2a), 64);
	EQ(count_periodic(0x20), 0);   /* RS = 0: none */
}
END_TEST

START_TEST(test_periodic_first_interrupt)
{
	wr(0x0b, 0x42);
	/* 1024 Hz: period 976.5625 us from the divider's start */
	at(976000);
	ck_assert(!irq8);
	at(977000);
	ck_assert(irq8);
	EQ(rd(0x0c), 0xc0);
	at(2 * 976562);
	ck_assert(!irq8);
	at(2 * 976563);
	ck_assert(irq8);
	/* clearing PIE removes IRQF */
	wr(0x0b, 0x02);
	ck_assert(!irq8);
	EQ(rd(0x0c), 0x40);          /* PF without IRQF */
}
END_TEST

START_TEST(test_periodic_flag_polled)
{
	at(2000000);
	ck_assert(!irq8);
	EQ(rd(0x0c), 0x40);          /* PF is set whatever PIE says */
	EQ(rd(0x0c), 0x00);
	EQ(nedges, 0);
	wr(0x0a, 0x20);              /* RS = 0: no periodic flag */
	at(10000000);
	EQ(rd(0x0c), 0x00);
}
END_TEST

START_TEST(test_alarm)
{
	restart(utc(2024, 1, 1, 0, 0, 0));
	wr(0x0a, 0x20);              /* no periodic flag */
	wr(0x01, 0x05);
	wr(0x03, 0x00);
	wr(0x05, 0x00);
	wr(0x0b, 0x22);              /* AIE */
	at(5 * SEC - 1);
	ck_assert(!irq8);
	at(5 * SEC);
	ck_assert(irq8);
	EQ(rd(0x0c), 0xb0);          /* IRQF | AF | UF (UF is set by every update) */
	at(100 * SEC);
	ck_assert(!irq8);
	/* no match in the hour */
	wr(0x05, 0x01);
	at(200 * SEC);
	ck_assert(!irq8);
	EQ(rd(0x0c) & 0x20, 0x00);
}
END_TEST

START_TEST(test_alarm_dont_care)
{
	restart(utc(2024, 1, 1, 0, 0, 0));
	wr(0x01, 0x30);
	wr(0x03, 0xc0);              /* any minute */
	wr(0x05, 0xff);              /* any hour */
	wr(0x0b, 0x22);
	unsigned n = 0;
	uint64_t times[4] = { 0 };
	uint64_t t;
	while ((t = vclock_next(&clk)) <= 200 * SEC) {
		at(t);
		if (irq8) {
			EQ(rd(0x0c) & 0xa0, 0xa0);
			if (n < 4)
				times[n] = t;
			n++;
		}
	}
	EQ(n, 3);
	EQ64(times[0], 30 * SEC);
	EQ64(times[1], 90 * SEC);
	EQ64(times[2], 150 * SEC);
	/* once per second: all three don't care */
	wr(0x01, 0xc0);
	rd(0x0c);
	at(201 * SEC);
	ck_assert(irq8);
}
END_TEST

START_TEST(test_registers_c_d)
{
	at(3 * SEC);
	/* PF and UF happened, and AF: the time passed 00:00:00, the alarm
	 * registers' initial value; no enables */
	EQ(rd(0x0c), 0x70);
	EQ(rd(0x0c), 0x00);
	wr(0x0c, 0xff);
	wr(0x0d, 0x00);
	EQ(rd(0x0c), 0x00);
	EQ(rd(0x0d), 0x80);
	/* enabling UIE with UF pending raises IRQ8 at once */
	at(4 * SEC);
	ck_assert(!irq8);
	wr(0x0b, 0x12);
	ck_assert(irq8);
	EQ(rd(0x0c), 0xd0);
	ck_assert(!irq8);
}
END_TEST

START_TEST(test_nvram)
{
	for (unsigned i = 0x0e; i < 0x80; i++)
		wr((uint8_t)i, (uint8_t)(i * 7 + 3));
	for (unsigned i = 0x0e; i < 0x80; i++)
		EQ(rd((uint8_t)i), (uint8_t)(i * 7 + 3));
	for (unsigned i = 0x0e; i < 0x80; i++)
		EQ(rtc_cmos_get(rtc, (int)i), (uint8_t)(i * 7 + 3));
	rtc_cmos_set(rtc, 0x40, 0x5a);
	EQ(rd(0x40), 0x5a);
	/* bit 7 of the index masks NMI, bits 0-6 select */
	io_out(mm, 0x70, 0x8e, 1);
	ck_assert(rtc_nmi_masked(rtc));
	EQ(io_in(mm, 0x71, 1), 0x0e * 7 + 3);
	EQ(io_in(mm, 0x70, 1), 0xff);
	io_out(mm, 0x70, 0x0e, 1);
	ck_assert(!rtc_nmi_masked(rtc));
	/* the machine's get does not clear register C */
	wr(0x05, 0x12);              /* no alarm at midnight */
	at(2 * SEC);
	EQ(rtc_cmos_get(rtc, 0x0c), 0x50);
	EQ(rtc_cmos_get(rtc, 0x0c), 0x50);
	EQ(rd(0x0c), 0x50);
	EQ(rtc_cmos_get(rtc, 0x0d), 0x80);
}
END_TEST

START_TEST(test_memory_sizes)
{
	rtc_set_memory_sizes(rtc, 128ull << 20);
	EQ(rd(0x15), 0x80);          /* 640 KiB */
	EQ(rd(0x16), 0x02);
	EQ(rd(0x17), 0xff);          /* 127 MiB in KiB, capped at 0xFFFF */
	EQ(rd(0x18), 0xff);
	EQ(rd(0x30), 0xff);
	EQ(rd(0x31), 0xff);
	EQ(rd(0x34), 0x00);          /* 112 MiB / 64 KiB = 0x0700 */
	EQ(rd(0x35), 0x07);
	EQ(rd(0x5b), 0x00);
	EQ(rd(0x5c), 0x00);
	EQ(rd(0x5d), 0x00);
	EQ(rd(0x32), 0x20);
	unsigned sum = 0;
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += rd((uint8_t)i);
	EQ(rd(0x2e), sum >> 8);
	EQ(rd(0x2f), sum & 0xff);

	rtc_set_memory_sizes(rtc, 16ull << 20);
	EQ(rd(0x17), 0x00);          /* 15 MiB = 15360 KiB = 0x3C00 */
	EQ(rd(0x18), 0x3c);
	EQ(rd(0x30), 0x00);
	EQ(rd(0x31), 0x3c);
	EQ(rd(0x34), 0x00);
	EQ(rd(0x35), 0x00);

	rtc_set_memory_sizes(rtc, 32ull << 20);
	EQ(rd(0x17), 0x00);          /* 31 MiB = 0x7C00 KiB */
	EQ(rd(0x18), 0x7c);
	EQ(rd(0x34), 0x00);          /* 16 MiB = 0x100 units */
	EQ(rd(0x35), 0x01);

	/* 8 GiB: 3.5 GiB below 4 GiB, 4.5 GiB above */
	rtc_set_memory_sizes(rtc, 8ull << 30);
	EQ(rd(0x34), 0x00);          /* (3584 - 16) MiB / 64 KiB = 0xDF00 */
	EQ(rd(0x35), 0xdf);
	EQ(rd(0x5b), 0x00);          /* 4.5 GiB / 64 KiB = 0x012000 */
	EQ(rd(0x5c), 0x20);
	EQ(rd(0x5d), 0x01);

	/* the checksum helper on its own */
	for (unsigned i = 0x10; i <= 0x2d; i++)
		rtc_cmos_set(rtc, (int)i, 0xff);
	rtc_cmos_checksum(rtc);
	EQ(rd(0x2e), (30 * 0xff) >> 8);
	EQ(rd(0x2f), (30 * 0xff) & 0xff);
}
END_TEST

START_TEST(test_divider_reset)
{
	at(SEC / 5);
	wr(0x0a, 0x70);              /* DV = 111: divider in reset */
	at(5 * SEC);
	EQ(rd(0x00), 0x58);
	EQ(rd(0x0c), 0x40);          /* PF from before the reset */
	at(5 * SEC + 100);
	EQ(rd(0x0a), 0x70);
	wr(0x0a, 0x26);              /* released: first update half a second later */
	at(5 * SEC + 100 + SEC / 2 - 1000);
	EQ(rd(0x00), 0x58);
	at(5 * SEC + 100 + SEC / 2 + 1000);
	EQ(rd(0x00), 0x59);
	at(6 * SEC + 100 + SEC / 2 - 1000);
	EQ(rd(0x00), 0x59);
	at(6 * SEC + 100 + SEC / 2 + 1000);
	EQ(rd(0x00), 0x00);
	/* another time base (DV = 000, 4.194304 MHz): not our crystal, stopped */
	wr(0x0a, 0x06);
	at(20 * SEC);
	EQ(rd(0x00), 0x00);
}
END_TEST

START_TEST(test_daylight_saving)
{
	/* Sunday 2024-04-28, the last Sunday in April: 1:59:59 -> 3:00:00 */
	restart(utc(2024, 4, 28, 1, 59, 59));
	wr(0x0b, 0x03);
	EQ(rd(0x06), 0x01);
	at(SEC);
	TIME(0x00, 0x00, 0x03, 0x01, 0x28, 0x04, 0x24);
	/* Sunday 2024-10-27, the last in October: the first 1:59:59 -> 1:00:00 */
	SET_TIME(0x03, 0x59, 0x59, 0x01, 0x01, 0x27, 0x10, 0x24);
	at(2 * SEC);
	TIME(0x00, 0x00, 0x01, 0x01, 0x27, 0x10, 0x24);
	at(3601 * SEC);
	TIME(0x59, 0x59, 0x01, 0x01, 0x27, 0x10, 0x24);
	at(3602 * SEC);
	TIME(0x00, 0x00, 0x02, 0x01, 0x27, 0x10, 0x24);
	/* a Sunday that is not the last one: no change */
	SET_TIME(0x03, 0x59, 0x59, 0x01, 0x01, 0x21, 0x04, 0x24);
	at(3603 * SEC);
	EQ(rd(0x04), 0x02);
	/* without DSE: no change */
	SET_TIME(0x02, 0x59, 0x59, 0x01, 0x01, 0x28, 0x04, 0x24);
	at(3604 * SEC);
	EQ(rd(0x04), 0x02);
}
END_TEST

START_TEST(test_reset_pin)
{
	wr(0x0b, 0x7e);              /* PIE AIE UIE SQWE DM 24h */
	at(2 * SEC);
	ck_assert(irq8);
	rtc_reset(rtc);
	ck_assert(!irq8);
	EQ(rd(0x0b), 0x06);          /* SET, DM, 24/12, DSE are kept */
	EQ(rd(0x0c), 0x00);
	EQ(rd(0x0a), 0x26);
}
END_TEST

START_TEST(test_save_load)
{
	wr(0x0b, 0x12);
	wr(0x50, 0xa5);
	io_out(mm, 0x70, 0x8f, 1);
	at(SEC / 2);
	struct state_writer w;
	sw_init(&w);
	rtc_save(rtc, &w);
	ck_assert(!w.error);

	struct mem *m2 = calloc(1, sizeof(*m2));
	struct rtc *r2 = calloc(1, sizeof(*r2));
	struct vclock c2;
	ck_assert_int_eq(mem_init(m2, 64u << 10), 0);
	vclock_init(&c2);
	vclock_advance(&c2, SEC / 2);
	struct irq_line none = { 0 };
	ck_assert_int_eq(rtc_init(r2, m2, &c2, none, 0), 0);
	struct state_reader r;
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(rtc_load(r2, &r), 0);
	ck_assert(rtc_nmi_masked(r2));
	EQ(rtc_cmos_get(r2, 0x50), 0xa5);
	EQ(rtc_cmos_get(r2, 0x00), 0x58);
	EQ64(vclock_next(&c2), SEC);  /* the update interrupt is armed */
	vclock_advance(&c2, SEC);
	EQ(rtc_cmos_get(r2, 0x00), 0x59);
	EQ(rtc_cmos_get(r2, 0x0c), 0xd0);   /* IRQF, PF (1024 Hz), UF */

	sr_init(&r, w.buf, w.len - 1);
	ck_assert_int_eq(rtc_load(r2, &r), -1);
	w.buf[128] = 0x80;            /* index out of range */
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(rtc_load(r2, &r), -1);
	sw_free(&w);
	mem_free(m2);
	free(m2);
	free(r2);
}
END_TEST

Suite *rtc_suite(void)
{
	Suite *s = suite_create("rtc");
	TCase *tc = tcase_create("mc146818a");
	tcase_add_checked_fixture(tc, rtc_setup, rtc_teardown);
	tcase_add_test(tc, test_init_bcd);
	tcase_add_test(tc, test_leap_year);
	tcase_add_test(tc, test_non_leap_year);
	tcase_add_test(tc, test_month_and_year_rollover);
	tcase_add_test(tc, test_binary_mode);
	tcase_add_test(tc, test_12_hour_mode);
	tcase_add_test(tc, test_set_inhibits_updates);
	tcase_add_test(tc, test_uip);
	tcase_add_test(tc, test_update_ended_interrupt);
	tcase_add_test(tc, test_periodic_rates);
	tcase_add_test(tc, test_periodic_first_interrupt);
	tcase_add_test(tc, test_periodic_flag_polled);
	tcase_add_test(tc, test_alarm);
	tcase_add_test(tc, test_alarm_dont_care);
	tcase_add_test(tc, test_registers_c_d);
	tcase_add_test(tc, test_nvram);
	tcase_add_test(tc, test_memory_sizes);
	tcase_add_test(tc, test_divider_reset);
	tcase_add_test(tc, test_daylight_saving);
	tcase_add_test(tc, test_reset_pin);
	tcase_add_test(tc, test_save_load);
	suite_add_tcase(s, tc);
	return s;
}

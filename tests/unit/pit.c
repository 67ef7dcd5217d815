/*
 * 8254 PIT and port 0x61 (devices/pit.h), driven through their ports on a
 * virtual clock.
 *
 * Expected waveforms come from the Intel 82C54 datasheet (231244), "Mode
 * Definitions": a count is loaded into the counting element on the CLK pulse
 * after it is written (that pulse does not decrement it), so
 *   mode 0: OUT low from the write, high N + 1 pulses after it;
 *   mode 1: OUT low on the pulse after a gate trigger, for N pulses;
 *   mode 2: OUT low for one pulse when the count reaches 1, every N pulses;
 *   mode 3: OUT high for ceil(N/2) and low for floor(N/2) pulses (odd counts:
 *           N-1 loaded, decremented by two, OUT goes low one pulse after it
 *           expires and high when it expires again);
 *   mode 4: OUT strobes low for one pulse N + 1 pulses after the write;
 *   mode 5: the same N + 1 pulses after a gate trigger.
 * The CLK input is the PC's 1.193182 MHz: pulse k happens at virtual time
 * T(k) = ceil(k * 10^9 / 1193182) ns.  Status byte, counter latch and
 * read-back from "Read Operations"; port 0x61 from the PC/AT technical
 * reference (bit 0 gate 2, bit 1 speaker data, bit 4 refresh toggle every
 * 15.085 us, bit 5 OUT2).
 */
#include <stdlib.h>

#include "harness.h"
#include "suites.h"
#include "devices/pit.h"
#include "devices/state.h"
#include "mmu/mem.h"

static struct mem *mm;
static struct pit *pit;
static struct vclock clk;

#define MAX_EDGES 4096
static struct edge {
	uint64_t t;
	bool level;
} edges[MAX_EDGES];
static unsigned nedges;

static void on_irq(void *opaque, int n, bool level)
{
	(void)opaque;
	(void)n;
	if (nedges < MAX_EDGES)
		edges[nedges] = (struct edge){ vclock_now(&clk), level };
	nedges++;
}

static void pit_setup(void)
{
	mm = calloc(1, sizeof(*mm));
	pit = calloc(1, sizeof(*pit));
	ck_assert_ptr_nonnull(mm);
	ck_assert_ptr_nonnull(pit);
	ck_assert_int_eq(mem_init(mm, 64u << 10), 0);
	vclock_init(&clk);
	nedges = 0;
	struct irq_line l = { .set = on_irq, .opaque = NULL, .n = 0 };
	ck_assert_int_eq(pit_init(pit, mm, &clk, l), 0);
	nedges = 0;
}

static void pit_teardown(void)
{
	mem_free(mm);
	free(mm);
	free(pit);
	mm = NULL;
	pit = NULL;
}

/* virtual time of CLK pulse k */
static uint64_t T(uint64_t k)
{
	return (k * 1000000000ull + 1193182 - 1) / 1193182;
}

static void at(uint64_t ns)
{
	vclock_advance(&clk, ns);
}

static void out8(uint16_t port, uint8_t v)
{
	io_out(mm, port, v, 1);
}

static uint8_t in8(uint16_t port)
{
	return (uint8_t)io_in(mm, port, 1);
}

/* OUT of channel ch during pulse k (from T(k) to T(k+1)) */
static bool out_at(int ch, uint64_t k)
{
	at(T(k));
	return pit_out(pit, ch);
}

#define OUT_AT(ch, k, v) do { bool o_ = out_at((ch), (k)); \
		ck_assert_msg(o_ == (v), "channel %d pulse %llu: OUT %d, expected %d", (ch), \
			      (unsigned long long)(k), o_, (v)); } while (0)

/* latch and read a 16-bit (LSB then MSB) counter */
static uint16_t latch_read(int ch)
{
	out8(0x43, (uint8_t)(ch << 6));
	uint8_t lo = in8((uint16_t)(0x40 + ch));
	return (uint16_t)(lo | in8((uint16_t)(0x40 + ch)) << 8);
}

static void count16(int ch, uint16_t n)
{
	out8((uint16_t)(0x40 + ch), (uint8_t)n);
	out8((uint16_t)(0x40 + ch), (uint8_t)(n >> 8));
}

/* rising edges recorded on IRQ0, from index *from on */
static uint64_t next_rise(unsigned *from)
{
	for (; *from < nedges && *from < MAX_EDGES; (*from)++) {
		if (edges[*from].level)
			return edges[(*from)++].t;
	}
	return UINT64_MAX;
}

START_TEST(test_mode0)
{
	out8(0x43, 0x30);            /* channel 0, LSB then MSB, mode 0, binary */
	ck_assert(!pit_out(pit, 0)); /* OUT low after the control word */
	count16(0, 5);
	OUT_AT(0, 1, false);
	EQ(latch_read(0), 5);        /* loaded, not decremented, on pulse 1 */
	at(T(3));
	EQ(latch_read(0), 3);
	OUT_AT(0, 5, false);
	at(T(6) - 1);
	ck_assert(!pit_out(pit, 0));
	OUT_AT(0, 6, true);          /* N + 1 pulses after the write */
	EQ(latch_read(0), 0);
	at(T(7));
	EQ(latch_read(0), 0xffff);   /* it keeps counting, OUT stays high */
	OUT_AT(0, 70000, true);
	/* IRQ0 saw one rising edge, at pulse 6 */
	unsigned i = 0;
	EQ64(next_rise(&i), T(6));
	EQ64(next_rise(&i), UINT64_MAX);
	/* a new count: OUT low again, high N + 1 pulses after the write */
	at(T(70010) + 100);
	count16(0, 2);
	ck_assert(!pit_out(pit, 0));
	OUT_AT(0, 70012, false);
	OUT_AT(0, 70013, true);
	EQ64(vclock_next(&clk), UINT64_MAX);   /* no timer for a steady OUT */
}
END_TEST

START_TEST(test_mode0_two_byte_write)
{
	out8(0x43, 0x30);
	count16(0, 100);
	at(T(10));
	EQ(latch_read(0), 91);
	/* "Writing the first byte disables counting.  OUT is set low
	 * immediately"; the second byte loads on the next pulse */
	out8(0x40, 3);
	at(T(20));
	EQ(latch_read(0), 91);
	out8(0x40, 0);
	OUT_AT(0, 21, false);
	EQ(latch_read(0), 3);
	OUT_AT(0, 23, false);
	OUT_AT(0, 24, true);
}
END_TEST

START_TEST(test_mode0_gate)
{
	out8(0x43, 0xb0);            /* channel 2, mode 0; gate 2 low (port 0x61 = 0) */
	count16(2, 3);
	at(T(10));
	EQ(latch_read(2), 3);        /* loaded on pulse 1, not counting */
	ck_assert(!pit_out(pit, 2));
	at(T(10) + 1);
	out8(0x61, 0x01);            /* gate high: counts on pulses 11, 12, 13 */
	at(T(12));
	EQ(latch_read(2), 1);
	EQ(in8(0x61) & 0x20, 0x00);
	at(T(13));
	EQ(in8(0x61) & 0x20, 0x20);  /* OUT2 high at terminal count */
}
END_TEST

START_TEST(test_mode1)
{
	out8(0x43, 0xb2);            /* channel 2, mode 1 */
	ck_assert(pit_out(pit, 2));  /* OUT high after the control word */
	count16(2, 3);
	OUT_AT(2, 8, true);          /* no trigger yet */
	at(T(10) + 5);
	out8(0x61, 0x01);            /* trigger during pulse 10 */
	OUT_AT(2, 10, true);
	OUT_AT(2, 11, false);        /* low on the pulse after the trigger */
	OUT_AT(2, 13, false);
	OUT_AT(2, 14, true);         /* for N pulses */
	/* retrigger while OUT is low: low for N pulses after it */
	at(T(20) + 5);
	out8(0x61, 0x00);
	out8(0x61, 0x01);
	OUT_AT(2, 21, false);
	at(T(22) + 5);
	out8(0x61, 0x00);
	out8(0x61, 0x01);            /* retrigger at pulse 22 */
	OUT_AT(2, 24, false);
	OUT_AT(2, 25, false);
	OUT_AT(2, 26, true);
	/* a new count does not affect the current one-shot */
	at(T(30) + 5);
	out8(0x61, 0x00);
	out8(0x61, 0x01);            /* loads 3 on pulse 31 */
	at(T(32));
	count16(2, 10);
	OUT_AT(2, 33, false);
	OUT_AT(2, 34, true);
	at(T(40) + 5);
	out8(0x61, 0x00);
	out8(0x61, 0x01);            /* the next trigger uses it */
	OUT_AT(2, 50, false);
	OUT_AT(2, 51, true);
	/* gate low does not stop the count */
	at(T(60) + 5);
	out8(0x61, 0x00);
	out8(0x61, 0x01);
	at(T(62) + 5);
	out8(0x61, 0x00);
	OUT_AT(2, 70, false);
	OUT_AT(2, 71, true);
}
END_TEST

START_TEST(test_mode2)
{
	out8(0x43, 0x34);            /* channel 0, mode 2 */
	count16(0, 4);
	for (uint64_t k = 1; k <= 16; k++) {
		/* low for one pulse when the count reaches 1: pulses 4, 8, 12, 16 */
		bool low = k % 4 == 0;
		OUT_AT(0, k, !low);
		if (k <= 5) {
			static const uint16_t ce[] = { 0, 4, 3, 2, 1, 4 };
			EQ(latch_read(0), ce[k]);
		}
	}
	unsigned i = 0;
	ck_assert(!edges[0].level);
	EQ64(edges[0].t, T(4));
	EQ64(next_rise(&i), T(5));
	EQ64(next_rise(&i), T(9));
	EQ64(next_rise(&i), T(13));
	/* a new count takes effect at the end of the current period */
	at(T(18));
	count16(0, 6);
	OUT_AT(0, 20, false);
	OUT_AT(0, 21, true);         /* reload with 6 */
	OUT_AT(0, 25, true);
	OUT_AT(0, 26, false);
	OUT_AT(0, 27, true);
	OUT_AT(0, 32, false);
}
END_TEST

START_TEST(test_mode2_long_run)
{
	out8(0x43, 0x34);
	count16(0, 1193);            /* about 1 kHz */
	at(1000000000ull);
	/* rising edges at pulses 1194 + 1193 k up to pulse 1193182 */
	unsigned rises = 0, i = 0;
	uint64_t t, first = 0, second = 0;
	while ((t = next_rise(&i)) != UINT64_MAX) {
		if (rises == 0)
			first = t;
		else if (rises == 1)
			second = t;
		rises++;
	}
	EQ(rises, 1000);
	EQ(nedges, 2000);            /* one falling, one rising edge per period */
	EQ64(first, T(1194));
	EQ64(second, T(1194 + 1193));
}
END_TEST

/* The machine looks at the clock in slices: with a clock source, time moves
 * past several of mode 2's one-pulse lows before the timer callback runs
 * (vclock.h).  Every period must still reach IRQ0 as a rising edge, whether
 * the guest read the counter in between (which syncs the channel) or not. */
static uint64_t src_time;
static uint64_t src(void *opaque)
{
	(void)opaque;
	return src_time;
}

START_TEST(test_mode2_edges_survive_coarse_slices)
{
	out8(0x43, 0x34);
	count16(0, 100);             /* rising edges at pulses 101, 201, 301 ... */
	clk.source = src;
	/* slice 1: time jumps to pulse 150, the guest reads the counter there
	 * (passing the first low pulse), then the run loop advances */
	src_time = T(150);
	(void)latch_read(0);
	at(T(150));
	/* slice 2: to pulse 420 without any read: two more periods */
	src_time = T(420);
	at(T(420));
	unsigned rises = 0, i = 0;
	while (next_rise(&i) != UINT64_MAX)
		rises++;
	/* edges of periods 1 (pulse 101), 2 (201) and 3 (301) at least once
	 * each slice: one rising edge per slice that held a period, and the
	 * first slice's edge is not lost to the read */
	ck_assert_uint_ge(rises, 2);
	EQ(pit_out(pit, 0), true);
	clk.source = NULL;
}
END_TEST

START_TEST(test_mode3_even)
{
	out8(0x43, 0x36);            /* channel 0, mode 3 */
	count16(0, 4);
	/* high on pulses 1-2, low on 3-4, ... */
	for (uint64_t k = 1; k <= 12; k++)
		OUT_AT(0, k, ((k - 1) / 2) % 2 == 0);
	unsigned i = 0;
	EQ64(next_rise(&i), T(5));
	EQ64(next_rise(&i), T(9));
}
END_TEST

START_TEST(test_mode3_odd)
{
	out8(0x43, 0x36);
	count16(0, 5);
	/* high for (N+1)/2 = 3 pulses, low for (N-1)/2 = 2 */
	static const bool w[] = { 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0 };
	for (uint64_t k = 1; k <= 15; k++)
		OUT_AT(0, k, w[k - 1]);
	at(T(16));
	unsigned i = 0;
	EQ64(next_rise(&i), T(6));
	EQ64(next_rise(&i), T(11));
	EQ64(next_rise(&i), T(16));
	ck_assert(!edges[0].level);
	EQ64(edges[0].t, T(4));
}
END_TEST

START_TEST(test_mode3_max_count)
{
	out8(0x43, 0x36);
	count16(0, 0);               /* 65536: the BIOS's 18.2 Hz */
	OUT_AT(0, 32768, true);
	OUT_AT(0, 32769, false);
	OUT_AT(0, 65536, false);
	OUT_AT(0, 65537, true);
	at(T(65537 + 65536 * 18 + 1));
	unsigned i = 0;
	EQ64(next_rise(&i), T(65537));
	for (unsigned j = 1; j < 18; j++)
		next_rise(&i);
	EQ64(next_rise(&i), T(65537 + 65536 * 18));
}
END_TEST

START_TEST(test_mode3_gate)
{
	out8(0x43, 0xb6);            /* channel 2, mode 3, gate low */
	count16(2, 4);
	OUT_AT(2, 10, true);
	at(T(30) + 1);
	out8(0x61, 0x01);            /* trigger: loaded on pulse 31 */
	OUT_AT(2, 32, true);
	OUT_AT(2, 33, false);
	at(T(34) + 1);
	out8(0x61, 0x00);            /* gate low while OUT is low: high at once */
	ck_assert(pit_out(pit, 2));
	OUT_AT(2, 40, true);
}
END_TEST

START_TEST(test_mode4)
{
	out8(0x43, 0x38);            /* channel 0, mode 4 */
	ck_assert(pit_out(pit, 0));
	count16(0, 3);
	OUT_AT(0, 3, true);
	OUT_AT(0, 4, false);         /* N + 1 pulses after the write */
	OUT_AT(0, 5, true);
	OUT_AT(0, 70000, true);      /* once */
	EQ(nedges, 2);
	/* a new count restarts the sequence on the next pulse */
	at(T(70100) + 3);
	count16(0, 10);
	OUT_AT(0, 70110, true);
	OUT_AT(0, 70111, false);
	OUT_AT(0, 70112, true);
}
END_TEST

START_TEST(test_mode5)
{
	out8(0x43, 0xba);            /* channel 2, mode 5 */
	count16(2, 3);
	OUT_AT(2, 15, true);
	at(T(20) + 1);
	out8(0x61, 0x01);            /* trigger */
	OUT_AT(2, 23, true);
	OUT_AT(2, 24, false);        /* N + 1 pulses after the trigger */
	OUT_AT(2, 25, true);
	OUT_AT(2, 40, true);
	at(T(50) + 1);
	out8(0x61, 0x00);
	out8(0x61, 0x01);            /* retriggerable */
	OUT_AT(2, 54, false);
	OUT_AT(2, 55, true);
}
END_TEST

START_TEST(test_bcd)
{
	out8(0x43, 0x31);            /* channel 0, mode 0, BCD */
	count16(0, 0x0012);
	at(T(3));
	EQ(latch_read(0), 0x0010);   /* 12 - 2 = 10, in BCD */
	OUT_AT(0, 12, false);
	OUT_AT(0, 13, true);         /* N + 1 = 13 */
	at(T(14));
	EQ(latch_read(0), 0x9999);   /* wraps to 9999 */
	/* 0 is the maximum count, 10^4 */
	at(T(100));
	count16(0, 0x0000);
	at(T(102));
	EQ(latch_read(0), 0x9999);
	OUT_AT(0, 10100, false);
	OUT_AT(0, 10101, true);
}
END_TEST

START_TEST(test_access_modes)
{
	out8(0x43, 0x10);            /* channel 0, LSB only, mode 0 */
	out8(0x40, 0x05);
	OUT_AT(0, 5, false);
	OUT_AT(0, 6, true);
	at(T(7));
	out8(0x43, 0x00);            /* latch */
	EQ(in8(0x40), 0xff);         /* LSB of 0xffff */
	out8(0x43, 0x20);            /* MSB only, mode 0 */
	out8(0x40, 0x01);            /* count 0x100 */
	at(T(8));
	EQ(in8(0x40), 0x01);         /* MSB of 0x100 */
	at(T(9));
	EQ(in8(0x40), 0x00);         /* MSB of 0xff */
	OUT_AT(0, 7 + 256, false);
	OUT_AT(0, 8 + 256, true);
	/* LSB then MSB reads alternate; reads and writes are independent */
	out8(0x43, 0x34);
	count16(0, 0x1234);
	/* written during pulse 264, loaded on 265 */
	at(T(2000));
	out8(0x43, 0x00);
	uint16_t v = (uint16_t)(0x1234 - (2000 - 265));
	EQ(in8(0x40), v & 0xff);
	out8(0x40, 0x78);            /* write LSB between the reads */
	EQ(in8(0x40), v >> 8);
	out8(0x40, 0x56);
	EQ(in8(0x43), 0xff);         /* the control register is not readable */
}
END_TEST

START_TEST(test_latch)
{
	out8(0x43, 0x34);
	count16(0, 1000);
	at(T(11));
	out8(0x43, 0x00);            /* latch: 1000 - 10 */
	at(T(100));
	out8(0x43, 0x00);            /* ignored: the first one is not read yet */
	EQ(in8(0x40), 990 & 0xff);
	at(T(200));
	EQ(in8(0x40), 990 >> 8);
	/* released: the live count */
	at(T(300));
	uint8_t lo = in8(0x40);
	uint16_t live = (uint16_t)(lo | in8(0x40) << 8);
	EQ(live, 1000 - 299);
	EQ(latch_read(0), 1000 - 299);
}
END_TEST

START_TEST(test_readback)
{
	out8(0x43, 0x34);
	out8(0x43, 0xe2);            /* read-back: status of counter 0 */
	/* OUT 1, null count 1, RW 11, mode 010, binary */
	EQ(in8(0x40), 0xf4);
	count16(0, 4);
	out8(0x43, 0xe2);
	EQ(in8(0x40), 0xf4);         /* the count is not in the CE yet */
	at(T(1));
	out8(0x43, 0xe2);
	EQ(in8(0x40), 0xb4);         /* loaded: null count 0 */
	at(T(4));
	out8(0x43, 0xc2);            /* status and count */
	EQ(in8(0x40), 0x34);         /* OUT low */
	EQ(in8(0x40), 1);
	EQ(in8(0x40), 0);
	/* count only */
	at(T(5));
	out8(0x43, 0xd2);
	EQ(in8(0x40), 4);
	EQ(in8(0x40), 0);
	/* a count written while counting: null count until the reload */
	count16(0, 7);
	out8(0x43, 0xe2);
	EQ(in8(0x40) & 0x40, 0x40);
	at(T(9));
	out8(0x43, 0xe2);
	EQ(in8(0x40) & 0x40, 0x00);
	/* several counters, BCD and mode 0 */
	out8(0x43, 0x71);            /* channel 1, LSB then MSB, mode 0, BCD */
	out8(0x43, 0x90);            /* channel 2, LSB, mode 0 */
	out8(0x43, 0xec);            /* status of counters 1 and 2 */
	EQ(in8(0x41), 0x71);         /* OUT 0, null count 1, RW 11, mode 0, BCD */
	EQ(in8(0x42), 0x50);         /* OUT 0, null count 1, RW 01, mode 0 */
	/* mode bits 11x are modes 2 and 3; the status shows them as written */
	at(T(100) + 1);
	out8(0x43, 0x3c);            /* channel 0, LSB then MSB, mode "110" */
	count16(0, 3);
	out8(0x43, 0xe2);
	EQ(in8(0x40), 0xfc);
	/* and it runs as mode 2: loaded on 101, low on 103, period 3 */
	OUT_AT(0, 102, true);
	OUT_AT(0, 103, false);
	OUT_AT(0, 104, true);
	OUT_AT(0, 106, false);
}
END_TEST

START_TEST(test_port61)
{
	out8(0x61, 0x03);
	EQ(in8(0x61) & 0x0f, 0x03);
	out8(0x61, 0x0c);
	EQ(in8(0x61) & 0x0f, 0x0c);
	out8(0x61, 0x00);
	/* refresh toggle: flips every 15.085 us (18 clocks) from time 0 */
	at(1000);
	uint8_t r0 = in8(0x61) & 0x10;
	at(14000);
	EQ(in8(0x61) & 0x10, r0);
	at(16000);
	EQ(in8(0x61) & 0x10, r0 ^ 0x10);
	at(30000);
	EQ(in8(0x61) & 0x10, r0 ^ 0x10);
	at(31000);
	EQ(in8(0x61) & 0x10, r0);
	/* over 1 ms it toggles 1000 / 15.085 = 66 times */
	unsigned flips = 0;
	uint8_t last = in8(0x61) & 0x10;
	for (uint64_t t = 31000; t <= 1031000; t += 1000) {
		at(t);
		uint8_t b = in8(0x61) & 0x10;
		flips += b != last;
		last = b;
	}
	ck_assert_uint_ge(flips, 65);
	ck_assert_uint_le(flips, 67);
	/* speaker: OUT2 gated by bit 1 */
	out8(0x43, 0xb0);            /* channel 2, mode 0: OUT2 low */
	out8(0x61, 0x01);
	EQ(in8(0x61) & 0x20, 0x00);
	ck_assert(!pit_speaker(pit));
	count16(2, 1);
	at(vclock_now(&clk) + 3000); /* more than N + 1 = 2 pulses later */
	EQ(in8(0x61) & 0x20, 0x20);
	ck_assert(!pit_speaker(pit));
	out8(0x61, 0x03);
	ck_assert(pit_speaker(pit));
	EQ(in8(0x61) & 0x23, 0x23);
}
END_TEST

START_TEST(test_timers_only_for_channel0)
{
	/* channels 1 and 2 running: no timer; channel 0 idle after reset */
	out8(0x43, 0x74);
	count16(1, 18);
	out8(0x43, 0xb6);
	count16(2, 100);
	out8(0x61, 0x01);
	EQ64(vclock_next(&clk), UINT64_MAX);
	at(T(1000));
	EQ(nedges, 0);
	/* channel 0 in mode 2: one timer, at the next OUT edge */
	out8(0x43, 0x34);
	count16(0, 10);
	EQ64(vclock_next(&clk), T(1010));
}
END_TEST

START_TEST(test_save_load)
{
	out8(0x43, 0x36);
	count16(0, 5);
	out8(0x43, 0xb2);
	count16(2, 7);
	at(T(7));
	struct state_writer w;
	sw_init(&w);
	pit_save(pit, &w);
	ck_assert(!w.error);

	/* a second PIT on its own clock, at the same time */
	struct mem *m2 = calloc(1, sizeof(*m2));
	struct pit *p2 = calloc(1, sizeof(*p2));
	struct vclock c2;
	ck_assert_int_eq(mem_init(m2, 64u << 10), 0);
	vclock_init(&c2);
	vclock_advance(&c2, T(7));
	struct irq_line none = { 0 };
	ck_assert_int_eq(pit_init(p2, m2, &c2, none), 0);
	struct state_reader r;
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(pit_load(p2, &r), 0);
	/* mode 3, N = 5 from pulse 1: high 6-8, low 9-10, high 11 */
	ck_assert(pit_out(p2, 0));
	EQ64(vclock_next(&c2), T(9));
	vclock_advance(&c2, T(9));
	ck_assert(!pit_out(p2, 0));
	vclock_advance(&c2, T(11));
	ck_assert(pit_out(p2, 0));
	/* channel 2 still waits for its trigger */
	io_out(m2, 0x61, 0x01, 1);
	vclock_advance(&c2, T(12));
	ck_assert(!pit_out(p2, 2));
	vclock_advance(&c2, T(19));
	ck_assert(pit_out(p2, 2));

	sr_init(&r, w.buf, w.len - 1);
	ck_assert_int_eq(pit_load(p2, &r), -1);
	w.buf[1] = 0;                 /* channel 0's access mode */
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(pit_load(p2, &r), -1);
	sw_free(&w);
	mem_free(m2);
	free(m2);
	free(p2);
}
END_TEST

Suite *pit_suite(void)
{
	Suite *s = suite_create("pit");
	TCase *tc = tcase_create("8254");
	tcase_add_checked_fixture(tc, pit_setup, pit_teardown);
	tcase_add_test(tc, test_mode0);
	tcase_add_test(tc, test_mode0_two_byte_write);
	tcase_add_test(tc, test_mode0_gate);
	tcase_add_test(tc, test_mode1);
	tcase_add_test(tc, test_mode2);
	tcase_add_test(tc, test_mode2_long_run);
	tcase_add_test(tc, test_mode2_edges_survive_coarse_slices);
	tcase_add_test(tc, test_mode3_even);
	tcase_add_test(tc, test_mode3_odd);
	tcase_add_test(tc, test_mode3_max_count);
	tcase_add_test(tc, test_mode3_gate);
	tcase_add_test(tc, test_mode4);
	tcase_add_test(tc, test_mode5);
	tcase_add_test(tc, test_bcd);
	tcase_add_test(tc, test_access_modes);
	tcase_add_test(tc, test_latch);
	tcase_add_test(tc, test_readback);
	tcase_add_test(tc, test_port61);
	tcase_add_test(tc, test_timers_only_for_channel0);
	tcase_add_test(tc, test_save_load);
	suite_add_tcase(s, tc);
	return s;
}

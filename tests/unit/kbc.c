/*
 * 8042 keyboard controller, PS/2 keyboard and mouse (devices/kbc.c), and
 * port 0x92 (devices/port92.c), driven through their ports.
 *
 * Expected values come from the documents, not from the code:
 * - the controller (IBM AT Technical Reference, as summarised in Brouwer's
 *   "Keyboard scancodes" section 10 and OSDev "8042 PS/2 Controller"):
 *   status bits (0 OBF, 2 system flag, 3 command/data, 5 mouse data), the
 *   command byte (0 IRQ1, 1 IRQ12, 2 system flag, 4/5 port disables, 6
 *   translation, 7 always 0), self-test 0xAA -> 0x55 and sets the system
 *   flag, port tests 0xAB/0xA9 -> 0x00, output port bit 0 = 0 resets the
 *   CPU, bit 1 = A20, bits 4/5 = IRQ1/IRQ12, command 0xFE pulses the reset
 *   line, 0xD2/0xD3 fake keyboard/mouse data, 0xD4 writes to the mouse;
 * - translation (Brouwer 9.3): set 2 -> set 1 by the 8042 table, 0xF0 ORs
 *   0x80 into the next byte; set 1 make codes from the IBM scancode tables
 *   (A 1E, Esc 01, Enter 1C, Space 39, LShift 2A, F7 41, Up E0 48), Pause
 *   E1 1D 45 E1 9D C5 (Brouwer 9.2);
 * - the keyboard (IBM keyboard technical reference, OSDev "PS/2 Keyboard"):
 *   ACK FA, reset -> FA AA, ID -> FA AB 83 (AB 41 translated), echo EE,
 *   F0 00 -> FA FA and the set number (2, or 41 translated), resend FE for
 *   an invalid command, a command in place of an argument runs as a
 *   command, overrun code 00 (set 2) / FF (set 1);
 * - the mouse (Chapweske, "The PS/2 Mouse Interface"; Microsoft,
 *   "Compatibility of Type 2 Pointing Devices with MS IntelliMouse"):
 *   reset -> FA AA 00, ID 00, 03 after the sample rates 200, 100, 80, then
 *   4-byte packets; packet byte 0 = Yovf Xovf Ysign Xsign 1 M R L, 9-bit
 *   counters; status request -> FA, (remote, enable, scale, L, M, R),
 *   resolution, rate; defaults rate 100, resolution 2 (4 counts/mm).
 * - port 0x92 (PIIX3 / SMSC datasheets): bit 1 A20, bit 0 reset on 0 -> 1.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "suites.h"
#include "devices/kbc.h"
#include "devices/port92.h"
#include "devices/state.h"
#include "devices/vclock.h"
#include "mmu/mem.h"

struct irq_rec {
	bool level;
	unsigned rises;
};

struct sys_rec {
	unsigned a20_calls, resets;
	bool a20;
};

static struct mem *mm;
static struct vclock clk;
static struct kbc *K;
static struct port92 p92;
static struct irq_rec irq1, irq12;
static struct sys_rec sys;

static void rec_irq(void *opaque, int n, bool level)
{
	struct irq_rec *r = opaque;
	(void)n;
	if (level && !r->level)
		r->rises++;
	r->level = level;
}

static void rec_a20(void *opaque, bool enabled)
{
	struct sys_rec *s = opaque;
	s->a20_calls++;
	s->a20 = enabled;
}

static void rec_reset(void *opaque)
{
	struct sys_rec *s = opaque;
	s->resets++;
}

static void kbc_setup(void)
{
	mm = calloc(1, sizeof(*mm));
	ck_assert_ptr_nonnull(mm);
	ck_assert_int_eq(mem_init(mm, 64 << 10), 0);
	vclock_init(&clk);
	memset(&irq1, 0, sizeof(irq1));
	memset(&irq12, 0, sizeof(irq12));
	memset(&sys, 0, sizeof(sys));
	K = calloc(1, sizeof(*K));
	ck_assert_ptr_nonnull(K);
	struct irq_line l1 = { rec_irq, &irq1, KBC_IRQ_KBD }, l12 = { rec_irq, &irq12, KBC_IRQ_MOUSE };
	struct sys_lines lines = { rec_a20, rec_reset, &sys };
	ck_assert_int_eq(kbc_init(K, mm, &clk, l1, l12, lines), 0);
	ck_assert_int_eq(port92_init(&p92, mm, lines), 0);
}

static void kbc_teardown(void)
{
	free(K);
	K = NULL;
	mem_free(mm);
	free(mm);
	mm = NULL;
}

static uint8_t status(void)
{
	return (uint8_t)io_in(mm, KBC_CMD_PORT, 1);
}

static void cmd(uint8_t v)
{
	io_out(mm, KBC_CMD_PORT, v, 1);
}

static void dat(uint8_t v)
{
	io_out(mm, KBC_DATA_PORT, v, 1);
}

static void ccb_write(uint8_t v)
{
	cmd(0x60);
	dat(v);
}

static void mouse(uint8_t v)
{
	cmd(0xd4);
	dat(v);
}

/* the next byte in the output buffer, and whether it is mouse data */
static void expect_byte(uint8_t want, bool aux, const char *file, int line)
{
	uint8_t s = status();
	ck_assert_msg(s & KBC_STAT_OBF, "%s:%d: output buffer empty, expected 0x%02x", file, line, want);
	ck_assert_msg(!!(s & KBC_STAT_AUX) == aux, "%s:%d: AUX bit %d, expected %d for 0x%02x",
		      file, line, !!(s & KBC_STAT_AUX), aux, want);
	uint8_t got = (uint8_t)io_in(mm, KBC_DATA_PORT, 1);
	ck_assert_msg(got == want, "%s:%d: read 0x%02x, expected 0x%02x", file, line, got, want);
}

#define EXPECT_KBD(...) do { static const uint8_t e_[] = { __VA_ARGS__ }; \
		for (size_t i_ = 0; i_ < sizeof(e_); i_++) expect_byte(e_[i_], false, __FILE__, __LINE__); \
	} while (0)
#define EXPECT_AUX(...) do { static const uint8_t e_[] = { __VA_ARGS__ }; \
		for (size_t i_ = 0; i_ < sizeof(e_); i_++) expect_byte(e_[i_], true, __FILE__, __LINE__); \
	} while (0)
#define EXPECT_EMPTY() ck_assert_msg(!(status() & KBC_STAT_OBF), "output buffer not empty: 0x%02x", \
				      (unsigned)io_in(mm, KBC_DATA_PORT, 1))
#define KEY(...) do { static const uint8_t k_[] = { __VA_ARGS__ }; kbc_key(K, k_, sizeof(k_)); } while (0)

static uint8_t ccb_read(void)
{
	cmd(0x20);
	ck_assert(status() & KBC_STAT_OBF);
	return (uint8_t)io_in(mm, KBC_DATA_PORT, 1);
}

/* run the timers due now */
static void settle(void)
{
	vclock_advance(&clk, vclock_now(&clk));
}

/* ---- the controller ---- */

START_TEST(self_test)
{
	ck_assert(!(status() & KBC_STAT_SYS));   /* 0 after power-on */
	cmd(0xaa);
	ck_assert(status() & KBC_STAT_CMD);      /* the last write went to 0x64 */
	EXPECT_KBD(0x55);
	ck_assert(status() & KBC_STAT_SYS);
	ck_assert(status() & KBC_STAT_UNLOCKED);
	EXPECT_EMPTY();
	cmd(0xab);                               /* keyboard interface test */
	EXPECT_KBD(0x00);
	cmd(0xa9);                               /* mouse interface test */
	EXPECT_KBD(0x00);
}
END_TEST

START_TEST(command_byte)
{
	ccb_write(0x65);
	ck_assert(!(status() & KBC_STAT_CMD));   /* the last write was data */
	ck_assert_uint_eq(ccb_read(), 0x65);
	ck_assert(status() & KBC_STAT_SYS);      /* status bit 2 shows command byte bit 2 */
	ccb_write(0x61);
	ck_assert(!(status() & KBC_STAT_SYS));
	ccb_write(0xe1);                         /* bit 7 is always 0 */
	ck_assert_uint_eq(ccb_read(), 0x61);
	ccb_write(0x00);
	cmd(0xad);
	ck_assert_uint_eq(ccb_read(), KBC_CCB_KDIS);
	cmd(0xa7);
	ck_assert_uint_eq(ccb_read(), KBC_CCB_KDIS | KBC_CCB_MDIS);
	cmd(0xae);
	ck_assert_uint_eq(ccb_read(), KBC_CCB_MDIS);
	cmd(0xa8);
	ck_assert_uint_eq(ccb_read(), 0);
}
END_TEST

START_TEST(translation_set2_to_set1)
{
	ccb_write(KBC_CCB_XLATE);
	KEY(0x1c);                  /* A make */
	EXPECT_KBD(0x1e);
	KEY(0xf0, 0x1c);            /* A break: F0 folded into bit 7 */
	EXPECT_KBD(0x9e);
	KEY(0x76);                  /* Esc */
	EXPECT_KBD(0x01);
	KEY(0x5a);                  /* Enter */
	EXPECT_KBD(0x1c);
	KEY(0x29);                  /* Space */
	EXPECT_KBD(0x39);
	KEY(0x12);                  /* left Shift, and its break */
	KEY(0xf0, 0x12);
	EXPECT_KBD(0x2a, 0xaa);
	KEY(0x83);                  /* F7: the byte above 0x7F that is translated */
	EXPECT_KBD(0x41);
	KEY(0xe0, 0x75);            /* cursor up */
	KEY(0xe0, 0xf0, 0x75);
	EXPECT_KBD(0xe0, 0x48, 0xe0, 0xc8);
	KEY(0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77);   /* Pause */
	EXPECT_KBD(0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);
	EXPECT_EMPTY();
	/* translation off: set 2 as the keyboard sends it */
	ccb_write(0x00);
	KEY(0xf0, 0x1c);
	EXPECT_KBD(0xf0, 0x1c);
	ck_assert_uint_eq(kbc_translate(0x84), 0x54);
	ck_assert_uint_eq(kbc_translate(0xfa), 0xfa);
}
END_TEST

START_TEST(keyboard_reset_and_identify)
{
	dat(0xff);
	EXPECT_KBD(0xfa, 0xaa);
	dat(0xf2);
	EXPECT_KBD(0xfa, 0xab, 0x83);
	ccb_write(KBC_CCB_XLATE);
	dat(0xf2);
	EXPECT_KBD(0xfa, 0xab, 0x41);   /* what translated ID reads look like */
	dat(0xee);
	EXPECT_KBD(0xee);
	EXPECT_EMPTY();
}
END_TEST

START_TEST(keyboard_leds_typematic_and_errors)
{
	dat(0xed);
	EXPECT_KBD(0xfa);
	dat(0x07);
	EXPECT_KBD(0xfa);
	ck_assert_uint_eq(K->kbd.leds, 7);
	dat(0xf3);
	dat(0x20);
	EXPECT_KBD(0xfa, 0xfa);
	ck_assert_uint_eq(K->kbd.typematic, 0x20);
	/* a command where the LED byte should be: the LED command is dropped */
	dat(0xed);
	dat(0xf2);
	EXPECT_KBD(0xfa, 0xfa, 0xab, 0x83);
	ck_assert_uint_eq(K->kbd.leds, 7);
	dat(0x01);                      /* not a command */
	EXPECT_KBD(0xfe);
	dat(0xee);
	EXPECT_KBD(0xee);
	dat(0xfe);                      /* resend */
	EXPECT_KBD(0xee);
	dat(0xf6);                      /* set default: typematic back to 10.9/s, 500 ms */
	EXPECT_KBD(0xfa);
	ck_assert_uint_eq(K->kbd.typematic, 0x2b);
}
END_TEST

START_TEST(keyboard_scancode_sets)
{
	dat(0xf0);
	dat(0x00);
	EXPECT_KBD(0xfa, 0xfa, 0x02);
	ccb_write(KBC_CCB_XLATE);
	dat(0xf0);
	dat(0x00);
	EXPECT_KBD(0xfa, 0xfa, 0x41);   /* 2, translated */
	ccb_write(0x00);
	dat(0xf0);
	dat(0x01);
	EXPECT_KBD(0xfa, 0xfa);
	dat(0xf0);
	dat(0x00);
	EXPECT_KBD(0xfa, 0xfa, 0x01);
	/* set 1 straight from the keyboard */
	KEY(0x1c);
	KEY(0xf0, 0x1c);
	KEY(0xe0, 0xf0, 0x75);
	EXPECT_KBD(0x1e, 0x9e, 0xe0, 0xc8);
	dat(0xff);                      /* reset: back to set 2 */
	EXPECT_KBD(0xfa, 0xaa);
	KEY(0xf0, 0x1c);
	EXPECT_KBD(0xf0, 0x1c);
}
END_TEST

START_TEST(keyboard_scanning_on_off)
{
	dat(0xf5);
	EXPECT_KBD(0xfa);
	KEY(0x1c);
	EXPECT_EMPTY();
	dat(0xf4);
	EXPECT_KBD(0xfa);
	KEY(0x1c);
	EXPECT_KBD(0x1c);
}
END_TEST

START_TEST(keyboard_disabled_port_and_overrun)
{
	ccb_write(KBC_CCB_XLATE);
	cmd(0xad);                      /* the controller holds the keyboard's clock */
	for (int i = 0; i < 20; i++)
		KEY(0x1c);
	EXPECT_EMPTY();
	cmd(0xae);
	for (int i = 0; i < 16; i++)
		EXPECT_KBD(0x1e);
	EXPECT_KBD(0xff);               /* overrun: 00 in set 2, translated to FF */
	EXPECT_EMPTY();
	/* a byte sent to the keyboard enables its port again */
	cmd(0xad);
	dat(0xee);
	EXPECT_KBD(0xee);
	ck_assert_uint_eq(ccb_read() & KBC_CCB_KDIS, 0);
}
END_TEST

START_TEST(irq1_follows_command_byte)
{
	KEY(0x1c);
	ck_assert(status() & KBC_STAT_OBF);
	ck_assert(!irq1.level);         /* IRQ1 disabled in the command byte */
	ck_assert(!irq12.level);
	/* enabling it with the byte still waiting raises IRQ1 */
	cmd(0x60);
	ck_assert(!irq1.level);
	dat(KBC_CCB_KIE);
	ck_assert(irq1.level);
	EXPECT_KBD(0x1c);
	ck_assert(!irq1.level);
	/* each waiting byte gets its own rising edge */
	KEY(0xe0, 0x75);
	ck_assert(irq1.level);
	unsigned before = irq1.rises;
	EXPECT_KBD(0xe0);
	ck_assert(irq1.level);
	ck_assert_uint_eq(irq1.rises, before + 1);
	EXPECT_KBD(0x75);
	ck_assert(!irq1.level);
	ck_assert(!irq12.level);
}
END_TEST

START_TEST(fake_device_data)
{
	ccb_write(KBC_CCB_KIE | KBC_CCB_MIE | KBC_CCB_XLATE);
	cmd(0xd2);
	dat(0x1c);
	ck_assert(irq1.level);
	EXPECT_KBD(0x1c);               /* as keyboard data, not translated */
	cmd(0xd3);
	dat(0x43);
	ck_assert(irq12.level && !irq1.level);
	EXPECT_AUX(0x43);
	ck_assert(!irq12.level);
}
END_TEST

/* ---- the mouse ---- */

START_TEST(mouse_reset_and_id)
{
	mouse(0xff);
	EXPECT_AUX(0xfa, 0xaa, 0x00);
	mouse(0xf2);
	EXPECT_AUX(0xfa, 0x00);
	mouse(0xe9);                    /* defaults: stream, disabled, 1:1, 4 counts/mm, 100/s */
	EXPECT_AUX(0xfa, 0x00, 0x02, 0x64);
	EXPECT_EMPTY();
}
END_TEST

START_TEST(mouse_intellimouse_detection)
{
	static const uint8_t wrong[3] = { 200, 100, 100 }, knock[3] = { 200, 100, 80 };
	for (int i = 0; i < 3; i++) {
		mouse(0xf3);
		mouse(wrong[i]);
		EXPECT_AUX(0xfa, 0xfa);
	}
	mouse(0xf2);
	EXPECT_AUX(0xfa, 0x00);
	for (int i = 0; i < 3; i++) {
		mouse(0xf3);
		mouse(knock[i]);
		EXPECT_AUX(0xfa, 0xfa);
	}
	mouse(0xf2);
	EXPECT_AUX(0xfa, 0x03);
	/* 4-byte packets with the wheel */
	mouse(0xf4);
	EXPECT_AUX(0xfa);
	kbc_mouse_motion(K, 0, 0, -1, 0);
	settle();
	EXPECT_AUX(0x08, 0x00, 0x00, 0xff);
	/* reset returns to the standard mouse */
	mouse(0xff);
	EXPECT_AUX(0xfa, 0xaa, 0x00);
	mouse(0xf2);
	EXPECT_AUX(0xfa, 0x00);
}
END_TEST

START_TEST(mouse_stream_packets)
{
	ccb_write(KBC_CCB_KIE | KBC_CCB_MIE);
	kbc_mouse_motion(K, 5, 5, 0, 0);      /* reporting is off: no packet */
	settle();
	EXPECT_EMPTY();
	mouse(0xf4);
	ck_assert(irq12.level);
	EXPECT_AUX(0xfa);
	kbc_mouse_motion(K, 10, -3, 0, 0);    /* the counters restarted with F4 */
	settle();
	ck_assert(irq12.level && !irq1.level);
	EXPECT_AUX(0x28, 0x0a, 0xfd);         /* Y negative: bit 5 and 9-bit 1FD */
	vclock_advance(&clk, 10000000);
	kbc_mouse_motion(K, -5, 4, 0, KBC_BTN_LEFT);
	settle();
	EXPECT_AUX(0x19, 0xfb, 0x04);         /* X negative, left button */
	vclock_advance(&clk, 20000000);
	kbc_mouse_motion(K, 0, 0, 0, KBC_BTN_LEFT | KBC_BTN_RIGHT | KBC_BTN_MIDDLE);
	settle();
	EXPECT_AUX(0x0f, 0x00, 0x00);         /* buttons alone make a packet */
	vclock_advance(&clk, 30000000);
	kbc_mouse_motion(K, 300, -400, 0, 0); /* beyond -256..255 */
	settle();
	uint8_t s = status();
	ck_assert(s & KBC_STAT_AUX);
	uint8_t b0 = (uint8_t)io_in(mm, KBC_DATA_PORT, 1);
	ck_assert_uint_eq(b0 & 0xf8, 0x80 | 0x40 | 0x20 | 0x08);   /* both overflow bits, Y sign */
	ck_assert_uint_eq(b0 & 0x07, 0);
	io_in(mm, KBC_DATA_PORT, 1);
	io_in(mm, KBC_DATA_PORT, 1);
	EXPECT_EMPTY();
	mouse(0xf5);
	EXPECT_AUX(0xfa);
	kbc_mouse_motion(K, 1, 1, 0, 0);
	vclock_advance(&clk, 100000000);
	EXPECT_EMPTY();
}
END_TEST

START_TEST(mouse_sample_rate_pacing)
{
	mouse(0xf4);
	EXPECT_AUX(0xfa);
	kbc_mouse_motion(K, 1, 0, 0, 0);
	settle();
	EXPECT_AUX(0x08, 0x01, 0x00);
	/* 100 samples/s: the next packet 10 ms after this one */
	vclock_advance(&clk, 1000000);
	kbc_mouse_motion(K, 2, 0, 0, 0);
	kbc_mouse_motion(K, 3, 0, 0, 0);
	vclock_advance(&clk, 9999999);
	EXPECT_EMPTY();
	vclock_advance(&clk, 10000000);
	EXPECT_AUX(0x08, 0x05, 0x00);         /* motion accumulated in the counters */
	/* 40 samples/s: 25 ms */
	mouse(0xf3);
	mouse(40);
	EXPECT_AUX(0xfa, 0xfa);
	kbc_mouse_motion(K, 1, 0, 0, 0);
	vclock_advance(&clk, 34999999);
	EXPECT_EMPTY();
	vclock_advance(&clk, 35000000);
	EXPECT_AUX(0x08, 0x01, 0x00);
}
END_TEST

/* A click quicker than one sample period (press and release before the
 * next packet is due) still reaches the guest as two packets, button down
 * then up: a mouse reports every button transition. */
START_TEST(mouse_quick_click_not_lost)
{
	mouse(0xf4);
	EXPECT_AUX(0xfa);
	kbc_mouse_motion(K, 1, 0, 0, 0);
	settle();
	EXPECT_AUX(0x08, 0x01, 0x00);
	vclock_advance(&clk, 1000000);       /* 1 ms later: the next sample is 9 ms away */
	kbc_mouse_motion(K, 0, 0, 0, KBC_BTN_LEFT);
	kbc_mouse_motion(K, 0, 0, 0, 0);
	vclock_advance(&clk, 20000000);
	EXPECT_AUX(0x09, 0x00, 0x00);        /* left down */
	vclock_advance(&clk, 40000000);      /* the next sample after it was read */
	EXPECT_AUX(0x08, 0x00, 0x00);        /* and up */
	EXPECT_EMPTY();
}
END_TEST

START_TEST(mouse_status_remote_and_scaling)
{
	/* each ACK is read before the next byte, as a driver does (a command
	 * ends whatever the mouse was still sending) */
	static const uint8_t setup[] = { 0xf4, 0xe7, 0xe8, 0x03, 0xf3, 40 };
	for (size_t i = 0; i < sizeof(setup); i++) {
		mouse(setup[i]);
		EXPECT_AUX(0xfa);
	}
	kbc_mouse_motion(K, 0, 0, 0, KBC_BTN_LEFT);
	settle();
	EXPECT_AUX(0x09, 0x00, 0x00);
	mouse(0xe9);                          /* enabled, 2:1, left; 8 counts/mm; 40/s */
	EXPECT_AUX(0xfa, 0x34, 0x03, 0x28);
	/* 2:1 scaling in stream mode: 3 -> 3, 4 -> 6, 5 -> 9, 7 -> 14 */
	vclock_advance(&clk, 100000000);
	kbc_mouse_motion(K, 4, -5, 0, 0);
	settle();
	EXPECT_AUX(0x28, 0x06, 0xf7);
	vclock_advance(&clk, 200000000);
	kbc_mouse_motion(K, 7, 3, 0, 0);
	settle();
	EXPECT_AUX(0x08, 0x0e, 0x03);
	/* remote mode: nothing until Read Data, which does not scale */
	mouse(0xf0);
	EXPECT_AUX(0xfa);
	kbc_mouse_motion(K, 7, 0, 0, KBC_BTN_RIGHT);
	vclock_advance(&clk, 300000000);
	EXPECT_EMPTY();
	mouse(0xeb);
	EXPECT_AUX(0xfa, 0x0a, 0x07, 0x00);
	mouse(0xe9);
	EXPECT_AUX(0xfa, 0x71, 0x03, 0x28);   /* remote, enabled, 2:1, right */
	/* wrap mode echoes */
	mouse(0xee);
	EXPECT_AUX(0xfa);
	mouse(0x12);
	EXPECT_AUX(0x12);
	mouse(0xec);
	EXPECT_AUX(0xfa);
	mouse(0x01);                          /* not a command */
	EXPECT_AUX(0xfe);
}
END_TEST

START_TEST(mouse_port_disable_and_irq12)
{
	cmd(0xa7);
	mouse(0xf2);
	EXPECT_EMPTY();                       /* held while the port is disabled */
	cmd(0xa8);
	ck_assert(!irq12.level);              /* IRQ12 disabled */
	EXPECT_AUX(0xfa);
	ccb_write(KBC_CCB_MIE);
	ck_assert(irq12.level);
	EXPECT_AUX(0x00);
	ck_assert(!irq12.level);
	ck_assert(!irq1.level);
}
END_TEST

/* ---- A20 and reset ---- */

START_TEST(output_port_a20_and_reset)
{
	cmd(0xd0);
	uint8_t v = (uint8_t)io_in(mm, KBC_DATA_PORT, 1);
	ck_assert_uint_eq(v & (KBC_OUT_RESET | KBC_OUT_A20), KBC_OUT_RESET | KBC_OUT_A20);
	cmd(0xd1);
	dat(0xcd);                            /* A20 off, reset line inactive */
	ck_assert_uint_eq(sys.a20_calls, 1);
	ck_assert(!sys.a20);
	ck_assert_uint_eq(sys.resets, 0);
	cmd(0xd0);
	EXPECT_KBD(0xcd);
	cmd(0xd1);
	dat(0xcf);
	ck_assert_uint_eq(sys.a20_calls, 2);
	ck_assert(sys.a20);
	/* bit 4: IRQ1 active while keyboard data waits */
	ccb_write(KBC_CCB_KIE);
	cmd(0xd2);
	dat(0x55);
	cmd(0xd0);
	EXPECT_KBD(0x55);
	EXPECT_KBD(0xdf);                     /* read after the 0x55 was taken */
	cmd(0xd1);
	dat(0xce);                            /* bit 0 = 0: reset */
	ck_assert_uint_eq(sys.resets, 1);
	ck_assert_uint_eq(sys.a20_calls, 2);
	cmd(0xfe);                            /* pulse the reset line */
	ck_assert_uint_eq(sys.resets, 2);
	cmd(0xff);                            /* pulse nothing */
	ck_assert_uint_eq(sys.resets, 2);
	/* power-on: the 8042's port pins come up high (reset inactive, A20 on,
	 * clock and data lines idle); bits 4-5 are the IRQ outputs, inactive */
	kbc_reset(K);
	cmd(0xd0);
	EXPECT_KBD(0xcf);
}
END_TEST

START_TEST(output_port_irq_bits)
{
	ccb_write(KBC_CCB_KIE | KBC_CCB_MIE);
	cmd(0xd3);
	dat(0x99);                            /* mouse data waits: IRQ12 active */
	cmd(0xd0);
	EXPECT_AUX(0x99);
	uint8_t v = (uint8_t)io_in(mm, KBC_DATA_PORT, 1);
	ck_assert_uint_eq(v & (KBC_OUT_IRQ1 | KBC_OUT_IRQ12), KBC_OUT_IRQ12);
}
END_TEST

START_TEST(port92_a20_and_fast_reset)
{
	ck_assert_uint_eq(io_in(mm, PORT92_PORT, 1), 0x00);
	io_out(mm, PORT92_PORT, 0x02, 1);
	ck_assert_uint_eq(sys.a20_calls, 1);
	ck_assert(sys.a20);
	ck_assert_uint_eq(io_in(mm, PORT92_PORT, 1), 0x02);
	io_out(mm, PORT92_PORT, 0x02, 1);     /* no change, no call */
	ck_assert_uint_eq(sys.a20_calls, 1);
	io_out(mm, PORT92_PORT, 0x03, 1);     /* 0 -> 1 on bit 0: reset */
	ck_assert_uint_eq(sys.resets, 1);
	io_out(mm, PORT92_PORT, 0x03, 1);     /* no new transition */
	ck_assert_uint_eq(sys.resets, 1);
	io_out(mm, PORT92_PORT, 0x00, 1);
	ck_assert(!sys.a20);
	io_out(mm, PORT92_PORT, 0x01, 1);
	ck_assert_uint_eq(sys.resets, 2);
	port92_reset(&p92);
	ck_assert_uint_eq(io_in(mm, PORT92_PORT, 1), 0x00);

	struct state_writer w;
	sw_init(&w);
	io_out(mm, PORT92_PORT, 0x02, 1);
	port92_save(&p92, &w);
	port92_reset(&p92);
	struct state_reader r;
	sr_init(&r, w.buf, w.len - 1);
	ck_assert_int_eq(port92_load(&p92, &r), -1);
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(port92_load(&p92, &r), 0);
	ck_assert_uint_eq(io_in(mm, PORT92_PORT, 1), 0x02);
	sw_free(&w);
}
END_TEST

/* ---- snapshots ---- */

START_TEST(save_load)
{
	ccb_write(KBC_CCB_KIE | KBC_CCB_MIE | KBC_CCB_XLATE);
	dat(0xed);
	dat(0x02);
	EXPECT_KBD(0xfa, 0xfa);
	mouse(0xf4);
	EXPECT_AUX(0xfa);
	cmd(0xad);
	KEY(0xf0, 0x1c);
	kbc_mouse_motion(K, -2, 1, 0, 0);
	settle();                              /* the packet waits behind nothing: in OBF */
	kbc_mouse_motion(K, 1, 0, 0, 0);       /* the next one waits for the sample time */

	struct state_writer w;
	sw_init(&w);
	kbc_save(K, &w);
	ck_assert(!w.error);
	struct state_reader r;
	sr_init(&r, w.buf, w.len - 3);
	ck_assert_int_eq(kbc_load(K, &r), -1);
	kbc_reset(K);
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(kbc_load(K, &r), 0);
	ck_assert_uint_eq(r.pos, w.len);
	sw_free(&w);

	ck_assert(irq12.level);
	EXPECT_AUX(0x18, 0xfe, 0x01);
	cmd(0xae);
	EXPECT_KBD(0x9e);
	ck_assert_uint_eq(K->kbd.leds, 2);
	vclock_advance(&clk, 10000000);
	EXPECT_AUX(0x08, 0x01, 0x00);
	ck_assert_uint_eq(ccb_read(), KBC_CCB_KIE | KBC_CCB_MIE | KBC_CCB_XLATE);
}
END_TEST

Suite *kbc_suite(void)
{
	Suite *s = suite_create("kbc");
	TCase *tc = tcase_create("8042");
	tcase_add_checked_fixture(tc, kbc_setup, kbc_teardown);
	tcase_add_test(tc, self_test);
	tcase_add_test(tc, command_byte);
	tcase_add_test(tc, translation_set2_to_set1);
	tcase_add_test(tc, keyboard_reset_and_identify);
	tcase_add_test(tc, keyboard_leds_typematic_and_errors);
	tcase_add_test(tc, keyboard_scancode_sets);
	tcase_add_test(tc, keyboard_scanning_on_off);
	tcase_add_test(tc, keyboard_disabled_port_and_overrun);
	tcase_add_test(tc, irq1_follows_command_byte);
	tcase_add_test(tc, fake_device_data);
	tcase_add_test(tc, mouse_reset_and_id);
	tcase_add_test(tc, mouse_intellimouse_detection);
	tcase_add_test(tc, mouse_stream_packets);
	tcase_add_test(tc, mouse_sample_rate_pacing);
	tcase_add_test(tc, mouse_quick_click_not_lost);
	tcase_add_test(tc, mouse_status_remote_and_scaling);
	tcase_add_test(tc, mouse_port_disable_and_irq12);
	tcase_add_test(tc, output_port_a20_and_reset);
	tcase_add_test(tc, output_port_irq_bits);
	tcase_add_test(tc, save_load);
	suite_add_tcase(s, tc);
	TCase *tp = tcase_create("port92");
	tcase_add_checked_fixture(tp, kbc_setup, kbc_teardown);
	tcase_add_test(tp, port92_a20_and_fast_reset);
	suite_add_tcase(s, tp);
	return s;
}

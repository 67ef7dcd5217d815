/*
 * The 8042 keyboard controller at ports 0x60 (data) and 0x64 (status and
 * command), with a PS/2 keyboard on its first port (IRQ1) and a PS/2 mouse on
 * its auxiliary port (IRQ12).
 *
 * The controller hands the guest one byte at a time through its output
 * buffer: its own command responses first, then keyboard bytes (translated
 * from scancode set 2 to set 1 when the command byte's XLATE bit is set),
 * then mouse bytes.  Status bit 0 says a byte is waiting, bit 5 that it came
 * from the mouse; IRQ1 or IRQ12 is raised while it waits if the command byte
 * enables it.  Each device keeps its own queue, and a device whose port is
 * disabled in the command byte holds its bytes until it is enabled again.
 *
 * Host input:
 *   kbc_key(k, bytes, n)  one key event as raw scancode set 2 bytes, e.g.
 *                         { 0x1C } 'A' pressed, { 0xF0, 0x1C } released,
 *                         { 0xE0, 0x75 } / { 0xE0, 0xF0, 0x75 } cursor up;
 *                         the frontend composes the E0/E1 sequences of
 *                         extended keys, Pause and PrintScreen.  Dropped
 *                         while the guest has scanning disabled.
 *   kbc_mouse_motion(k, dx, dy, dz, buttons)
 *                         relative motion in mouse counts, dx to the right,
 *                         dy UP (PS/2 convention: a frontend negates screen
 *                         y), dz wheel notches toward the user (IntelliMouse
 *                         convention: positive scrolls down); buttons
 *                         KBC_BTN_* currently held.  Motion accumulates and
 *                         goes out as stream packets at the guest's sample
 *                         rate, timed by the virtual clock.
 *
 * The A20 gate (output port bit 1) and the reset line (output port bit 0,
 * command 0xFE) reach the machine through struct sys_lines.  kbc_reset is the
 * power-on reset of the controller and both devices (A20 output enabled,
 * reset line inactive, as the 8042's port pins come up high); on an AT a CPU
 * reset requested through the controller does not reset the controller
 * itself, so the machine may choose not to call it then (the system flag
 * tells a BIOS it was a warm reset).
 */
#ifndef SHADE86_KBC_H
#define SHADE86_KBC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "irq.h"
#include "syslines.h"
#include "vclock.h"

struct mem;
struct state_writer;
struct state_reader;

#define KBC_DATA_PORT 0x60
#define KBC_CMD_PORT  0x64
#define KBC_IRQ_KBD   1
#define KBC_IRQ_MOUSE 12

/* status register (port 0x64 read) */
#define KBC_STAT_OBF      0x01   /* output buffer full */
#define KBC_STAT_IBF      0x02   /* input buffer full (never: commands act at once) */
#define KBC_STAT_SYS      0x04   /* system flag (command byte bit 2) */
#define KBC_STAT_CMD      0x08   /* last write was to port 0x64 */
#define KBC_STAT_UNLOCKED 0x10   /* keyboard not inhibited by the key lock */
#define KBC_STAT_AUX      0x20   /* the output buffer holds mouse data */
#define KBC_STAT_TIMEOUT  0x40
#define KBC_STAT_PARITY   0x80

/* command byte (controller RAM byte 0) */
#define KBC_CCB_KIE   0x01   /* IRQ1 when keyboard data waits */
#define KBC_CCB_MIE   0x02   /* IRQ12 when mouse data waits */
#define KBC_CCB_SYS   0x04
#define KBC_CCB_KDIS  0x10   /* keyboard clock held low */
#define KBC_CCB_MDIS  0x20   /* mouse clock held low */
#define KBC_CCB_XLATE 0x40   /* translate set 2 to set 1 */

/* output port P2 */
#define KBC_OUT_RESET 0x01   /* 0: CPU reset asserted */
#define KBC_OUT_A20   0x02
#define KBC_OUT_IRQ1  0x10
#define KBC_OUT_IRQ12 0x20

/* mouse buttons, as in the packet's first byte */
#define KBC_BTN_LEFT   0x01
#define KBC_BTN_RIGHT  0x02
#define KBC_BTN_MIDDLE 0x04

#define KBC_QUEUE_SIZE 32
#define KBC_KEY_BUFFER 16    /* the keyboard's buffer for key codes */
#define KBC_NEVER UINT64_MAX

struct kbc_queue {
	uint8_t buf[KBC_QUEUE_SIZE];
	uint8_t head, count;
};

struct kbc_keyboard {
	struct kbc_queue q;
	bool scanning;
	uint8_t set;             /* scancode set 1, 2 or 3 */
	uint8_t leds;            /* bit 0 Scroll, 1 Num, 2 Caps Lock */
	uint8_t typematic;       /* rate/delay byte of command 0xF3 */
	uint8_t pending;         /* command waiting for its argument, or 0 */
	uint8_t last;            /* the last byte sent (Resend) */
};

struct kbc_mouse {
	struct kbc_queue q;
	bool reporting, remote, wrap, scale21;
	uint8_t resolution;      /* 0..3: 1, 2, 4, 8 counts/mm */
	uint8_t rate;            /* samples per second */
	uint8_t id;              /* 0, or 3 once the IntelliMouse wheel is on */
	uint8_t rates[3];        /* the last three sample rates set, oldest first */
	uint8_t pending;         /* command waiting for its argument, or 0 */
	uint8_t buttons;         /* held now (KBC_BTN_*) */
	uint8_t sent_buttons;    /* as in the last packet */
	int32_t dx, dy, dz;      /* movement counters */
	uint8_t last[4];         /* the last packet or response (Resend) */
	uint8_t last_len;
	uint64_t last_sample;    /* virtual time of the last stream packet, or KBC_NEVER */
	struct vtimer timer;     /* the next sample of stream mode */
};

struct kbc {
	/* wiring (not saved) */
	struct mem *mem;
	struct vclock *clock;
	struct irq_line irq_kbd, irq_mouse;
	struct sys_lines lines;

	uint8_t ram[32];         /* controller RAM; ram[0] is the command byte */
	uint8_t status;          /* OBF, AUX and CMD (the rest is derived) */
	uint8_t obuf;            /* the output buffer */
	uint8_t outport;         /* output port P2 as written (bits 4-5 derived) */
	uint8_t pending;         /* command waiting for its data byte at 0x60, or 0 */
	uint8_t cq[8];           /* controller responses waiting for the buffer */
	uint8_t cq_aux;          /* bit i: cq[i] goes out as mouse data (0xD3) */
	uint8_t cq_head, cq_count;
	bool xlate_break;        /* translation saw a 0xF0 prefix */
	bool irq1_level, irq12_level;
	struct kbc_keyboard kbd;
	struct kbc_mouse mouse;
};

/* Registers ports 0x60 and 0x64 (byte accesses).  Returns -1 if taken. */
int kbc_init(struct kbc *k, struct mem *mem, struct vclock *clock,
	     struct irq_line irq_kbd, struct irq_line irq_mouse, struct sys_lines lines);
void kbc_reset(struct kbc *k);

void kbc_key(struct kbc *k, const uint8_t *set2, size_t n);
void kbc_mouse_motion(struct kbc *k, int dx, int dy, int dz, unsigned buttons);

/* Snapshot: the mouse's sample timer is saved as an absolute virtual time
 * (restore the clock first).  kbc_load returns -1 on a truncated or
 * inconsistent stream and then leaves the device as it was. */
void kbc_save(const struct kbc *k, struct state_writer *w);
int kbc_load(struct kbc *k, struct state_reader *r);

/* The 8042's set 2 -> set 1 translation of one byte (without the 0xF0
 * handling), per the table in the IBM AT Technical Reference. */
uint8_t kbc_translate(uint8_t set2);

#endif

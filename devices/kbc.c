/*
 * 8042 keyboard controller with a PS/2 keyboard and mouse (see kbc.h).
 *
 * Sources of the facts:
 * - IBM Personal Computer AT Technical Reference, "Keyboard Controller"
 *   (status register, command byte, commands, input and output ports) and
 *   the IBM Keyboard technical reference (keyboard commands and responses);
 *   as summarised in Andries Brouwer's "Keyboard scancodes", sections 9
 *   ("Keyboard-internal scancodes": the translation table, keyboard IDs, the
 *   scancode set replies) and 10 ("The AT keyboard controller"), and in the
 *   OSDev wiki pages "8042 PS/2 Controller" and "PS/2 Keyboard".
 * - Adam Chapweske, "The PS/2 Mouse Interface" (computer-engineering.org):
 *   mouse commands, defaults, the status bytes, the movement packet, the
 *   9-bit counters with their overflow bits, 2:1 scaling; and Microsoft,
 *   "Compatibility of Type 2 Pointing Devices with MS IntelliMouse" (the
 *   200/100/80 sample-rate sequence, ID 3, the fourth packet byte with a
 *   -8..+7 wheel count).
 *
 * Choices where the documents leave room:
 * - Commands act at once (IBF never reads 1); responses of the controller
 *   queue ahead of device data instead of overwriting the output buffer.
 * - After the guest reads port 0x60 the next waiting byte is loaded at once;
 *   the IRQ line drops and rises again so an edge-triggered PIC sees it.
 * - Writing a byte to the keyboard clears the command byte's keyboard
 *   disable bit (Brouwer, command 0xAD: "any keyboard command enables the
 *   keyboard again").
 * - Keyboard: the 16-byte key buffer overflows into the overrun code (0x00
 *   in set 2, 0xFF in set 1); in scancode set 1 the keyboard itself sends
 *   translated codes; set 3 is accepted and reported but keys still come in
 *   set 2 codes (no guest we target uses it); typematic repeat is left to the
 *   host, which repeats make codes itself.
 * - Mouse: the movement counters are those of a real mouse; a packet is sent
 *   at most once per sample period and only when the previous one has been
 *   taken by the controller, so motion piles up while the guest does not
 *   read, and beyond the 9-bit range the packet carries the overflow bit
 *   with the count saturated at -256/+255 (what is left is lost, as on the
 *   hardware where the counters reset after each report).  Resolution is
 *   stored and reported but host counts are not rescaled.
 */
#include <string.h>

#include "kbc.h"
#include "state.h"
#include "../mmu/mem.h"

#define KBC_STATE_MAGIC 0x38303432u   /* "8042" */
#define KBC_STATE_VERSION 1

#define ACK 0xfa
#define RESEND 0xfe

/* Set 2 -> set 1 (Brouwer, section 9.3, after G. J. Konzak, "PC 8042
 * Controller"): bytes 0x00-0x7F through this table, 0x80-0xFF unchanged
 * except 0x83 -> 0x41 and 0x84 -> 0x54. */
static const uint8_t xlate_table[128] = {
	0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
	0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
	0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
	0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
	0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
	0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
	0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
	0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

uint8_t kbc_translate(uint8_t b)
{
	if (b < 0x80)
		return xlate_table[b];
	if (b == 0x83)
		return 0x41;
	if (b == 0x84)
		return 0x54;
	return b;
}

/* ---- queues ---- */

static void q_clear(struct kbc_queue *q)
{
	q->head = 0;
	q->count = 0;
}

static bool q_push(struct kbc_queue *q, uint8_t b)
{
	if (q->count >= KBC_QUEUE_SIZE)
		return false;
	q->buf[(q->head + q->count++) % KBC_QUEUE_SIZE] = b;
	return true;
}

static uint8_t q_pop(struct kbc_queue *q)
{
	uint8_t b = q->buf[q->head];
	q->head = (q->head + 1) % KBC_QUEUE_SIZE;
	q->count--;
	return b;
}

/* ---- the controller's output buffer and IRQs ---- */

static uint8_t ccb(const struct kbc *k)
{
	return k->ram[0];
}

static void update_irq(struct kbc *k)
{
	bool obf = k->status & KBC_STAT_OBF, aux = k->status & KBC_STAT_AUX;
	bool i1 = obf && !aux && (ccb(k) & KBC_CCB_KIE);
	bool i12 = obf && aux && (ccb(k) & KBC_CCB_MIE);
	if (i1 != k->irq1_level) {
		k->irq1_level = i1;
		irq_set(&k->irq_kbd, i1);
	}
	if (i12 != k->irq12_level) {
		k->irq12_level = i12;
		irq_set(&k->irq_mouse, i12);
	}
}

static void deliver(struct kbc *k, uint8_t b, bool aux)
{
	k->obuf = b;
	k->status |= KBC_STAT_OBF;
	if (aux)
		k->status |= KBC_STAT_AUX;
	else
		k->status &= (uint8_t)~KBC_STAT_AUX;
}

/* Keyboard bytes pass the translation: 0xF0 is held back and sets bit 7 of
 * the translation of the byte after it.  Returns false if nothing came out. */
static bool take_keyboard_byte(struct kbc *k)
{
	while (k->kbd.q.count) {
		uint8_t b = q_pop(&k->kbd.q);
		k->kbd.last = b;
		if (ccb(k) & KBC_CCB_XLATE) {
			if (b == 0xf0) {
				k->xlate_break = true;
				continue;
			}
			b = kbc_translate(b) | (k->xlate_break ? 0x80 : 0);
			k->xlate_break = false;
		}
		deliver(k, b, false);
		return true;
	}
	return false;
}

/* Fill an empty output buffer from whoever has something to say. */
static void pump(struct kbc *k)
{
	if (!(k->status & KBC_STAT_OBF)) {
		if (k->cq_count) {
			uint8_t i = k->cq_head;
			deliver(k, k->cq[i], (k->cq_aux >> i) & 1);
			k->cq_aux &= (uint8_t)~(1u << i);
			k->cq_head = (i + 1) % 8;
			k->cq_count--;
		} else if (!(ccb(k) & KBC_CCB_KDIS) && take_keyboard_byte(k)) {
			/* delivered */
		} else if (!(ccb(k) & KBC_CCB_MDIS) && k->mouse.q.count) {
			deliver(k, q_pop(&k->mouse.q), true);
		}
	}
	update_irq(k);
}

static void controller_reply(struct kbc *k, uint8_t b, bool aux)
{
	if (k->cq_count < 8) {
		uint8_t i = (k->cq_head + k->cq_count++) % 8;
		k->cq[i] = b;
		if (aux)
			k->cq_aux |= (uint8_t)(1u << i);
		else
			k->cq_aux &= (uint8_t)~(1u << i);
	}
	pump(k);
}

/* ---- the output port: A20 and reset ---- */

static uint8_t outport_value(const struct kbc *k)
{
	/* bits 4 and 5 are the IRQ1 and IRQ12 outputs */
	uint8_t v = k->outport & (uint8_t)~(KBC_OUT_IRQ1 | KBC_OUT_IRQ12);
	if (k->irq1_level)
		v |= KBC_OUT_IRQ1;
	if (k->irq12_level)
		v |= KBC_OUT_IRQ12;
	return v;
}

static void write_outport(struct kbc *k, uint8_t v)
{
	uint8_t old = k->outport;
	k->outport = v;
	if ((old ^ v) & KBC_OUT_A20)
		sys_a20(&k->lines, v & KBC_OUT_A20);
	if (!(v & KBC_OUT_RESET))
		sys_reset(&k->lines);
}

/* ---- the keyboard ---- */

static void kbd_send(struct kbc *k, uint8_t b)
{
	q_push(&k->kbd.q, b);
}

static void kbd_defaults(struct kbc_keyboard *kb)
{
	kb->typematic = 0x2b;   /* 10.9 characters/s after 500 ms */
}

/* IBM keyboard commands (PS/2 keyboard: 0xED-0xFF) */
static void kbd_command(struct kbc *k, uint8_t v)
{
	struct kbc_keyboard *kb = &k->kbd;
	kb->pending = 0;
	switch (v) {
	case 0xed:   /* set LEDs: argument follows */
	case 0xf0:   /* get/set scancode set: argument follows */
	case 0xf3:   /* typematic rate/delay: argument follows */
		kbd_send(k, ACK);
		kb->pending = v;
		break;
	case 0xee:   /* echo */
		kbd_send(k, 0xee);
		break;
	case 0xf2:   /* read ID: an MF2 keyboard */
		kbd_send(k, ACK);
		kbd_send(k, 0xab);
		kbd_send(k, 0x83);
		break;
	case 0xf4:   /* enable: clear the buffer, start scanning */
		q_clear(&kb->q);
		kbd_send(k, ACK);
		kb->scanning = true;
		break;
	case 0xf5:   /* default disable: defaults, clear the buffer, stop scanning */
		q_clear(&kb->q);
		kbd_send(k, ACK);
		kbd_defaults(kb);
		kb->scanning = false;
		break;
	case 0xf6:   /* set default: defaults, clear the buffer, keep scanning */
		q_clear(&kb->q);
		kbd_send(k, ACK);
		kbd_defaults(kb);
		kb->scanning = true;
		break;
	case 0xf7: case 0xf8: case 0xf9: case 0xfa:   /* set 3 key types: no effect here */
		kbd_send(k, ACK);
		break;
	case 0xfe:   /* resend */
		kbd_send(k, kb->last);
		break;
	case 0xff:   /* reset: ACK, basic assurance test passed */
		q_clear(&kb->q);
		kbd_defaults(kb);
		kb->set = 2;
		kb->leds = 0;
		kb->scanning = true;
		kbd_send(k, ACK);
		kbd_send(k, 0xaa);
		break;
	default:     /* invalid input */
		kbd_send(k, RESEND);
		break;
	}
}

static void kbd_write(struct kbc *k, uint8_t v)
{
	struct kbc_keyboard *kb = &k->kbd;
	/* a command in place of an expected argument abandons the first command */
	if (kb->pending && v < 0xed) {
		uint8_t cmd = kb->pending;
		kb->pending = 0;
		if (cmd == 0xed) {
			kb->leds = v & 7;
			kbd_send(k, ACK);
		} else if (cmd == 0xf3) {
			kb->typematic = v & 0x7f;
			kbd_send(k, ACK);
		} else if (v == 0) {   /* 0xF0 0x00: which set? */
			kbd_send(k, ACK);
			kbd_send(k, kb->set);
		} else if (v <= 3) {
			kb->set = v;
			kbd_send(k, ACK);
		} else {
			kbd_send(k, RESEND);
		}
		return;
	}
	kbd_command(k, v);
}

void kbc_key(struct kbc *k, const uint8_t *set2, size_t n)
{
	struct kbc_keyboard *kb = &k->kbd;
	uint8_t out[KBC_KEY_BUFFER];
	size_t len = 0;
	bool brk = false;
	if (!kb->scanning || !n)
		return;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = set2[i];
		if (kb->set == 1) {   /* set 1 is translated set 2 */
			if (b == 0xf0) {
				brk = true;
				continue;
			}
			b = kbc_translate(b) | (brk ? 0x80 : 0);
			brk = false;
		}
		if (len == sizeof(out))
			return;   /* not a key sequence */
		out[len++] = b;
	}
	if (kb->q.count + len > KBC_KEY_BUFFER) {
		/* buffer overrun: the overrun code takes the last place, once */
		uint8_t code = kb->set == 1 ? 0xff : 0x00;
		if (kb->q.count && kb->q.buf[(kb->q.head + kb->q.count - 1) % KBC_QUEUE_SIZE] == code)
			return;
		kbd_send(k, code);
	} else {
		for (size_t i = 0; i < len; i++)
			kbd_send(k, out[i]);
	}
	pump(k);
}

/* ---- the mouse ---- */

static void mouse_send(struct kbc *k, const uint8_t *b, unsigned n)
{
	struct kbc_mouse *m = &k->mouse;
	for (unsigned i = 0; i < n; i++)
		q_push(&m->q, b[i]);
	memcpy(m->last, b, n);
	m->last_len = (uint8_t)n;
}

static void mouse_send1(struct kbc *k, uint8_t b)
{
	mouse_send(k, &b, 1);
}

static void mouse_reset_counters(struct kbc_mouse *m)
{
	m->dx = m->dy = m->dz = 0;
}

static void mouse_defaults(struct kbc *k)
{
	struct kbc_mouse *m = &k->mouse;
	m->rate = 100;
	m->resolution = 2;   /* 4 counts/mm */
	m->scale21 = false;
	m->reporting = false;
	m->remote = false;
	m->wrap = false;
	m->pending = 0;
	mouse_reset_counters(m);
	vtimer_cancel(k->clock, &m->timer);
}

/* 2:1 scaling (stream mode only): 1 -> 1, 2 -> 1, 3 -> 3, 4 -> 6, 5 -> 9,
 * beyond that twice the count. */
static int32_t scale21(int32_t c)
{
	static const int8_t small[6] = { 0, 1, 1, 3, 6, 9 };
	int32_t a = c < 0 ? -c : c;
	int32_t s = a <= 5 ? small[a] : 2 * a;
	return c < 0 ? -s : s;
}

/* A movement packet from the counters, which then restart from 0 (the wheel
 * keeps what did not fit into -8..+7). */
static void mouse_packet(struct kbc *k, bool stream)
{
	struct kbc_mouse *m = &k->mouse;
	int32_t dx = m->dx, dy = m->dy, dz = m->dz;
	if (stream && m->scale21) {
		dx = scale21(dx);
		dy = scale21(dy);
	}
	uint8_t p[4];
	p[0] = 0x08 | (m->buttons & 7);
	if (dx < 0)
		p[0] |= 0x10;
	if (dy < 0)
		p[0] |= 0x20;
	if (dx < -256 || dx > 255) {
		p[0] |= 0x40;
		dx = dx < 0 ? -256 : 255;
	}
	if (dy < -256 || dy > 255) {
		p[0] |= 0x80;
		dy = dy < 0 ? -256 : 255;
	}
	p[1] = (uint8_t)dx;
	p[2] = (uint8_t)dy;
	unsigned n = 3;
	m->dz = 0;
	if (m->id == 3) {
		int32_t z = dz < -8 ? -8 : dz > 7 ? 7 : dz;
		p[3] = (uint8_t)z;
		m->dz = dz - z;
		n = 4;
	}
	m->dx = m->dy = 0;
	m->sent_buttons = m->buttons;
	mouse_send(k, p, n);
}

static uint64_t sample_period(const struct kbc_mouse *m)
{
	return 1000000000ull / (m->rate ? m->rate : 100);
}

static bool mouse_has_news(const struct kbc_mouse *m)
{
	return m->dx || m->dy || m->dz || m->buttons != m->sent_buttons;
}

static bool streaming(const struct kbc_mouse *m)
{
	return m->reporting && !m->remote && !m->wrap;
}

static void mouse_schedule(struct kbc *k)
{
	struct kbc_mouse *m = &k->mouse;
	if (!streaming(m) || !mouse_has_news(m) || m->timer.armed)
		return;
	uint64_t now = vclock_now(k->clock), t = now;
	if (m->last_sample != KBC_NEVER)
		t = m->last_sample + sample_period(m);
	vtimer_arm(k->clock, &m->timer, t > now ? t : now);
}

static void mouse_sample(void *opaque)
{
	struct kbc *k = opaque;
	struct kbc_mouse *m = &k->mouse;
	if (!streaming(m) || !mouse_has_news(m))
		return;
	uint64_t now = vclock_now(k->clock);
	if (m->q.count) {   /* the last packet is still on its way: try next period */
		vtimer_arm(k->clock, &m->timer, now + sample_period(m));
		return;
	}
	mouse_packet(k, true);
	m->last_sample = now;
	pump(k);
	mouse_schedule(k);   /* a wheel remainder */
}

void kbc_mouse_motion(struct kbc *k, int dx, int dy, int dz, unsigned buttons)
{
	struct kbc_mouse *m = &k->mouse;
	const int32_t lim = 1 << 20;   /* keep the counters far from int overflow */
	m->dx = m->dx + dx > lim ? lim : m->dx + dx < -lim ? -lim : m->dx + dx;
	m->dy = m->dy + dy > lim ? lim : m->dy + dy < -lim ? -lim : m->dy + dy;
	m->dz = m->dz + dz > lim ? lim : m->dz + dz < -lim ? -lim : m->dz + dz;
	/* A button change not yet reported would be lost to this one (a click
	 * quicker than a sample period): report it now, ahead of the pacing,
	 * if the device's buffer has room for the packet. */
	unsigned nb = buttons & 7;
	if (streaming(m) && nb != m->buttons && m->buttons != m->sent_buttons &&
	    m->q.count + 4 <= KBC_QUEUE_SIZE) {
		mouse_packet(k, true);
		m->last_sample = vclock_now(k->clock);
		pump(k);
	}
	m->buttons = nb;
	mouse_schedule(k);
}

static void mouse_status(struct kbc *k)
{
	struct kbc_mouse *m = &k->mouse;
	uint8_t b[4] = { ACK, 0, m->resolution, m->rate };
	if (m->remote)
		b[1] |= 0x40;
	if (m->reporting)
		b[1] |= 0x20;
	if (m->scale21)
		b[1] |= 0x10;
	if (m->buttons & KBC_BTN_LEFT)
		b[1] |= 0x04;
	if (m->buttons & KBC_BTN_MIDDLE)
		b[1] |= 0x02;
	if (m->buttons & KBC_BTN_RIGHT)
		b[1] |= 0x01;
	mouse_send(k, b, 4);
}

static void mouse_write(struct kbc *k, uint8_t v)
{
	struct kbc_mouse *m = &k->mouse;
	if (m->wrap && v != 0xec && v != 0xff) {   /* wrap mode echoes */
		mouse_send1(k, v);
		return;
	}
	if (m->pending) {
		if (m->pending == 0xf3) {
			m->rate = v;
			m->rates[0] = m->rates[1];
			m->rates[1] = m->rates[2];
			m->rates[2] = v;
			if (m->rates[0] == 200 && m->rates[1] == 100 && m->rates[2] == 80)
				m->id = 3;   /* the IntelliMouse knock */
		} else {
			m->resolution = v & 3;
		}
		m->pending = 0;
		mouse_send1(k, ACK);
		return;
	}
	q_clear(&m->q);   /* a command ends the transmission in progress */
	switch (v) {
	case 0xe6:
		m->scale21 = false;
		mouse_send1(k, ACK);
		break;
	case 0xe7:
		m->scale21 = true;
		mouse_send1(k, ACK);
		break;
	case 0xe8:   /* set resolution: argument follows */
	case 0xf3:   /* set sample rate: argument follows */
		m->pending = v;
		mouse_send1(k, ACK);
		break;
	case 0xe9:
		mouse_status(k);
		break;
	case 0xea:   /* stream mode */
		m->remote = false;
		mouse_reset_counters(m);
		mouse_send1(k, ACK);
		break;
	case 0xeb:   /* read data: ACK and a packet (the packet is what Resend repeats) */
		q_push(&m->q, ACK);
		mouse_packet(k, false);
		break;
	case 0xec:   /* reset wrap mode */
		m->wrap = false;
		mouse_send1(k, ACK);
		break;
	case 0xee:   /* wrap mode */
		m->wrap = true;
		mouse_reset_counters(m);
		mouse_send1(k, ACK);
		break;
	case 0xf0:   /* remote mode */
		m->remote = true;
		mouse_reset_counters(m);
		mouse_send1(k, ACK);
		break;
	case 0xf2: { /* get device ID */
		uint8_t b[2] = { ACK, m->id };
		mouse_send(k, b, 2);
		break;
	}
	case 0xf4:
		m->reporting = true;
		mouse_reset_counters(m);
		m->sent_buttons = m->buttons;
		mouse_send1(k, ACK);
		break;
	case 0xf5:
		m->reporting = false;
		mouse_reset_counters(m);
		mouse_send1(k, ACK);
		break;
	case 0xf6:
		mouse_defaults(k);
		mouse_send1(k, ACK);
		break;
	case 0xfe: { /* resend the last packet or response */
		uint8_t b[4];
		unsigned n = m->last_len;
		memcpy(b, m->last, n);
		mouse_send(k, b, n);
		break;
	}
	case 0xff: { /* reset: ACK, self-test passed, ID 0 */
		static const uint8_t b[3] = { ACK, 0xaa, 0x00 };
		mouse_defaults(k);
		m->id = 0;
		memset(m->rates, 0, sizeof(m->rates));
		mouse_send(k, b, 3);
		break;
	}
	default:
		mouse_send1(k, RESEND);
		break;
	}
}

/* ---- the controller ---- */

static void controller_command(struct kbc *k, uint8_t cmd)
{
	k->pending = 0;
	if (cmd >= 0x20 && cmd <= 0x3f) {   /* read controller RAM; 0x20: the command byte */
		controller_reply(k, k->ram[cmd & 0x1f], false);
		return;
	}
	if ((cmd >= 0x60 && cmd <= 0x7f) || cmd == 0xd1 || cmd == 0xd2 || cmd == 0xd3 || cmd == 0xd4) {
		k->pending = cmd;   /* the data byte follows at port 0x60 */
		return;
	}
	if (cmd >= 0xf0) {   /* pulse the output port bits whose mask bit is 0 */
		if (!(cmd & KBC_OUT_RESET))
			sys_reset(&k->lines);
		return;   /* a 6 us low pulse of A20 (0xFD..) is not seen by anyone */
	}
	switch (cmd) {
	case 0xa7:
		k->ram[0] |= KBC_CCB_MDIS;
		break;
	case 0xa8:
		k->ram[0] &= (uint8_t)~KBC_CCB_MDIS;
		break;
	case 0xa9:   /* mouse port test: 0 = no error */
		controller_reply(k, 0x00, false);
		break;
	case 0xaa:   /* self-test: 0x55, and the system flag is set */
		k->ram[0] |= KBC_CCB_SYS;
		controller_reply(k, 0x55, false);
		break;
	case 0xab:   /* keyboard port test: 0 = no error */
		controller_reply(k, 0x00, false);
		break;
	case 0xad:
		k->ram[0] |= KBC_CCB_KDIS;
		break;
	case 0xae:
		k->ram[0] &= (uint8_t)~KBC_CCB_KDIS;
		break;
	case 0xc0:   /* input port: keyboard not locked, no manufacturing jumper, CGA */
		controller_reply(k, 0xa0, false);
		break;
	case 0xd0:
		controller_reply(k, outport_value(k), false);
		break;
	case 0xdd:   /* HP Vectra: A20 off / on */
		write_outport(k, k->outport & (uint8_t)~KBC_OUT_A20);
		break;
	case 0xdf:
		write_outport(k, k->outport | KBC_OUT_A20);
		break;
	default:
		break;   /* unknown commands are ignored */
	}
	pump(k);
}

static void controller_data(struct kbc *k, uint8_t v)
{
	uint8_t cmd = k->pending;
	k->pending = 0;
	switch (cmd) {
	case 0:
		k->ram[0] &= (uint8_t)~KBC_CCB_KDIS;
		kbd_write(k, v);
		break;
	case 0xd1:
		write_outport(k, v);
		break;
	case 0xd2:   /* as if the keyboard had sent it (not translated) */
		controller_reply(k, v, false);
		break;
	case 0xd3:   /* as if the mouse had sent it */
		controller_reply(k, v, true);
		break;
	case 0xd4:
		mouse_write(k, v);
		break;
	default:     /* 0x60-0x7F: controller RAM; 0x60 the command byte */
		k->ram[cmd & 0x1f] = (cmd == 0x60) ? (v & 0x7f) : v;
		break;
	}
	pump(k);
	mouse_schedule(k);
}

static uint32_t kbc_read(void *opaque, uint32_t port, unsigned size)
{
	struct kbc *k = opaque;
	(void)size;
	if (port == KBC_CMD_PORT) {
		uint8_t s = (k->status & (KBC_STAT_OBF | KBC_STAT_AUX | KBC_STAT_CMD)) | KBC_STAT_UNLOCKED;
		if (ccb(k) & KBC_CCB_SYS)
			s |= KBC_STAT_SYS;
		return s;
	}
	uint8_t v = k->obuf;
	if (k->status & KBC_STAT_OBF) {
		k->status &= (uint8_t)~(KBC_STAT_OBF | KBC_STAT_AUX);
		update_irq(k);   /* the line drops ... */
		pump(k);         /* ... and rises again for the next byte */
		if (!k->mouse.q.count)
			mouse_schedule(k);
	}
	return v;
}

static void kbc_write(void *opaque, uint32_t port, uint32_t value, unsigned size)
{
	struct kbc *k = opaque;
	(void)size;
	if (port == KBC_CMD_PORT) {
		k->status |= KBC_STAT_CMD;
		controller_command(k, (uint8_t)value);
	} else {
		k->status &= (uint8_t)~KBC_STAT_CMD;
		controller_data(k, (uint8_t)value);
	}
}

/* ---- lifecycle ---- */

void kbc_reset(struct kbc *k)
{
	memset(k->ram, 0, sizeof(k->ram));
	k->status = 0;
	k->obuf = 0;
	k->outport = 0xcf;   /* port pins up high: reset inactive, A20 on, lines idle */
	k->pending = 0;
	k->cq_head = k->cq_count = k->cq_aux = 0;
	k->xlate_break = false;

	struct kbc_keyboard *kb = &k->kbd;
	q_clear(&kb->q);
	kbd_defaults(kb);
	kb->scanning = true;
	kb->set = 2;
	kb->leds = 0;
	kb->pending = 0;
	kb->last = 0;

	struct kbc_mouse *m = &k->mouse;
	q_clear(&m->q);
	mouse_defaults(k);
	m->id = 0;
	memset(m->rates, 0, sizeof(m->rates));
	m->buttons = m->sent_buttons = 0;
	m->last_len = 0;
	m->last_sample = KBC_NEVER;

	update_irq(k);
}

int kbc_init(struct kbc *k, struct mem *mem, struct vclock *clock,
	     struct irq_line irq_kbd, struct irq_line irq_mouse, struct sys_lines lines)
{
	memset(k, 0, sizeof(*k));
	k->mem = mem;
	k->clock = clock;
	k->irq_kbd = irq_kbd;
	k->irq_mouse = irq_mouse;
	k->lines = lines;
	vtimer_init(&k->mouse.timer, mouse_sample, k);
	kbc_reset(k);
	if (io_register(mem, KBC_DATA_PORT, 1, kbc_read, kbc_write, k, "kbc", MEM_W8) < 0)
		return -1;
	return io_register(mem, KBC_CMD_PORT, 1, kbc_read, kbc_write, k, "kbc", MEM_W8);
}

/* ---- snapshots ---- */

static void save_queue(struct state_writer *w, const struct kbc_queue *q)
{
	sw_bytes(w, q->buf, KBC_QUEUE_SIZE);
	sw_u8(w, q->head);
	sw_u8(w, q->count);
}

static bool load_queue(struct state_reader *r, struct kbc_queue *q)
{
	sr_bytes(r, q->buf, KBC_QUEUE_SIZE);
	q->head = sr_u8(r);
	q->count = sr_u8(r);
	return q->head < KBC_QUEUE_SIZE && q->count <= KBC_QUEUE_SIZE;
}

static bool load_bool(struct state_reader *r, bool *ok)
{
	uint8_t v = sr_u8(r);
	if (v > 1)
		*ok = false;
	return v;
}

void kbc_save(const struct kbc *k, struct state_writer *w)
{
	sw_u32(w, KBC_STATE_MAGIC);
	sw_u8(w, KBC_STATE_VERSION);
	sw_bytes(w, k->ram, sizeof(k->ram));
	sw_u8(w, k->status);
	sw_u8(w, k->obuf);
	sw_u8(w, k->outport);
	sw_u8(w, k->pending);
	sw_bytes(w, k->cq, sizeof(k->cq));
	sw_u8(w, k->cq_aux);
	sw_u8(w, k->cq_head);
	sw_u8(w, k->cq_count);
	sw_u8(w, k->xlate_break);

	const struct kbc_keyboard *kb = &k->kbd;
	save_queue(w, &kb->q);
	sw_u8(w, kb->scanning);
	sw_u8(w, kb->set);
	sw_u8(w, kb->leds);
	sw_u8(w, kb->typematic);
	sw_u8(w, kb->pending);
	sw_u8(w, kb->last);

	const struct kbc_mouse *m = &k->mouse;
	save_queue(w, &m->q);
	sw_u8(w, m->reporting);
	sw_u8(w, m->remote);
	sw_u8(w, m->wrap);
	sw_u8(w, m->scale21);
	sw_u8(w, m->resolution);
	sw_u8(w, m->rate);
	sw_u8(w, m->id);
	sw_bytes(w, m->rates, sizeof(m->rates));
	sw_u8(w, m->pending);
	sw_u8(w, m->buttons);
	sw_u8(w, m->sent_buttons);
	sw_u32(w, (uint32_t)m->dx);
	sw_u32(w, (uint32_t)m->dy);
	sw_u32(w, (uint32_t)m->dz);
	sw_bytes(w, m->last, sizeof(m->last));
	sw_u8(w, m->last_len);
	sw_u64(w, m->last_sample);
	sw_u8(w, m->timer.armed);
	sw_u64(w, m->timer.armed ? m->timer.expires : 0);
}

int kbc_load(struct kbc *k, struct state_reader *r)
{
	struct kbc n = *k;   /* decoded here, committed only when consistent */
	bool ok = sr_u32(r) == KBC_STATE_MAGIC && sr_u8(r) == KBC_STATE_VERSION;
	sr_bytes(r, n.ram, sizeof(n.ram));
	n.status = sr_u8(r);
	n.obuf = sr_u8(r);
	n.outport = sr_u8(r);
	n.pending = sr_u8(r);
	sr_bytes(r, n.cq, sizeof(n.cq));
	n.cq_aux = sr_u8(r);
	n.cq_head = sr_u8(r);
	n.cq_count = sr_u8(r);
	n.xlate_break = load_bool(r, &ok);

	struct kbc_keyboard *kb = &n.kbd;
	ok &= load_queue(r, &kb->q);
	kb->scanning = load_bool(r, &ok);
	kb->set = sr_u8(r);
	kb->leds = sr_u8(r);
	kb->typematic = sr_u8(r);
	kb->pending = sr_u8(r);
	kb->last = sr_u8(r);

	struct kbc_mouse *m = &n.mouse;
	ok &= load_queue(r, &m->q);
	m->reporting = load_bool(r, &ok);
	m->remote = load_bool(r, &ok);
	m->wrap = load_bool(r, &ok);
	m->scale21 = load_bool(r, &ok);
	m->resolution = sr_u8(r);
	m->rate = sr_u8(r);
	m->id = sr_u8(r);
	sr_bytes(r, m->rates, sizeof(m->rates));
	m->pending = sr_u8(r);
	m->buttons = sr_u8(r);
	m->sent_buttons = sr_u8(r);
	m->dx = (int32_t)sr_u32(r);
	m->dy = (int32_t)sr_u32(r);
	m->dz = (int32_t)sr_u32(r);
	sr_bytes(r, m->last, sizeof(m->last));
	m->last_len = sr_u8(r);
	m->last_sample = sr_u64(r);
	bool armed = load_bool(r, &ok);
	uint64_t expires = sr_u64(r);

	if (r->error || !ok)
		return -1;
	if ((n.status & ~(KBC_STAT_OBF | KBC_STAT_AUX | KBC_STAT_CMD)) || n.cq_head >= 8 || n.cq_count > 8)
		return -1;
	if (n.pending && !((n.pending >= 0x60 && n.pending <= 0x7f) || (n.pending >= 0xd1 && n.pending <= 0xd4)))
		return -1;
	if (kb->set < 1 || kb->set > 3 || kb->leds > 7 ||
	    (kb->pending && kb->pending != 0xed && kb->pending != 0xf0 && kb->pending != 0xf3))
		return -1;
	if (m->resolution > 3 || (m->id != 0 && m->id != 3) || m->buttons > 7 || m->sent_buttons > 7 ||
	    (m->pending && m->pending != 0xe8 && m->pending != 0xf3) || m->last_len > 4)
		return -1;

	vtimer_cancel(k->clock, &k->mouse.timer);
	*k = n;
	vtimer_init(&k->mouse.timer, mouse_sample, k);
	if (armed)
		vtimer_arm(k->clock, &k->mouse.timer, expires);
	/* drive the lines to what the loaded state says */
	update_irq(k);
	irq_set(&k->irq_kbd, k->irq1_level);
	irq_set(&k->irq_mouse, k->irq12_level);
	return 0;
}

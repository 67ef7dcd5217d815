/* USB HID keyboard usages to PS/2 scancode set 2 (see keymap.h). */
#include "keymap.h"

/* From the set 2 table of the IBM PS/2 keyboard (and Microsoft's "Keyboard
 * Scan Code Specification"): most keys are one byte, released = F0 + byte;
 * the E0 keys are E0 + byte, released E0 F0 + byte.  Indexed by the USB HID
 * usage (HID Usage Tables, page 07h).  Pause and PrintScreen are special. */
#define E0 0x100
static const uint16_t set2[KEYMAP_USAGES] = {
	[0x04] = 0x1c,        /* a */
	[0x05] = 0x32,        /* b */
	[0x06] = 0x21,        /* c */
	[0x07] = 0x23,        /* d */
	[0x08] = 0x24,        /* e */
	[0x09] = 0x2b,        /* f */
	[0x0a] = 0x34,        /* g */
	[0x0b] = 0x33,        /* h */
	[0x0c] = 0x43,        /* i */
	[0x0d] = 0x3b,        /* j */
	[0x0e] = 0x42,        /* k */
	[0x0f] = 0x4b,        /* l */
	[0x10] = 0x3a,        /* m */
	[0x11] = 0x31,        /* n */
	[0x12] = 0x44,        /* o */
	[0x13] = 0x4d,        /* p */
	[0x14] = 0x15,        /* q */
	[0x15] = 0x2d,        /* r */
	[0x16] = 0x1b,        /* s */
	[0x17] = 0x2c,        /* t */
	[0x18] = 0x3c,        /* u */
	[0x19] = 0x2a,        /* v */
	[0x1a] = 0x1d,        /* w */
	[0x1b] = 0x22,        /* x */
	[0x1c] = 0x35,        /* y */
	[0x1d] = 0x1a,        /* z */
	[0x1e] = 0x16,        /* 1 */
	[0x1f] = 0x1e,        /* 2 */
	[0x20] = 0x26,        /* 3 */
	[0x21] = 0x25,        /* 4 */
	[0x22] = 0x2e,        /* 5 */
	[0x23] = 0x36,        /* 6 */
	[0x24] = 0x3d,        /* 7 */
	[0x25] = 0x3e,        /* 8 */
	[0x26] = 0x46,        /* 9 */
	[0x27] = 0x45,        /* 0 */
	[0x28] = 0x5a,        /* return */
	[0x29] = 0x76,        /* escape */
	[0x2a] = 0x66,        /* backspace */
	[0x2b] = 0x0d,        /* tab */
	[0x2c] = 0x29,        /* space */
	[0x2d] = 0x4e,        /* minus */
	[0x2e] = 0x55,        /* equals */
	[0x2f] = 0x54,        /* leftbracket */
	[0x30] = 0x5b,        /* rightbracket */
	[0x31] = 0x5d,        /* backslash */
	[0x32] = 0x5d,        /* nonushash */
	[0x33] = 0x4c,        /* semicolon */
	[0x34] = 0x52,        /* apostrophe */
	[0x35] = 0x0e,        /* grave */
	[0x36] = 0x41,        /* comma */
	[0x37] = 0x49,        /* period */
	[0x38] = 0x4a,        /* slash */
	[0x39] = 0x58,        /* capslock */
	[0x64] = 0x61,        /* nonusbackslash */
	[0x3a] = 0x05,        /* f1 */
	[0x3b] = 0x06,        /* f2 */
	[0x3c] = 0x04,        /* f3 */
	[0x3d] = 0x0c,        /* f4 */
	[0x3e] = 0x03,        /* f5 */
	[0x3f] = 0x0b,        /* f6 */
	[0x40] = 0x83,        /* f7 */
	[0x41] = 0x0a,        /* f8 */
	[0x42] = 0x01,        /* f9 */
	[0x43] = 0x09,        /* f10 */
	[0x44] = 0x78,        /* f11 */
	[0x45] = 0x07,        /* f12 */
	[0x47] = 0x7e,        /* scrolllock */
	[0x49] = E0 | 0x70,   /* insert */
	[0x4a] = E0 | 0x6c,   /* home */
	[0x4b] = E0 | 0x7d,   /* pageup */
	[0x4c] = E0 | 0x71,   /* delete */
	[0x4d] = E0 | 0x69,   /* end */
	[0x4e] = E0 | 0x7a,   /* pagedown */
	[0x4f] = E0 | 0x74,   /* right */
	[0x50] = E0 | 0x6b,   /* left */
	[0x51] = E0 | 0x72,   /* down */
	[0x52] = E0 | 0x75,   /* up */
	[0x53] = 0x77,        /* numlockclear */
	[0x54] = E0 | 0x4a,   /* kp divide */
	[0x55] = 0x7c,        /* kp multiply */
	[0x56] = 0x7b,        /* kp minus */
	[0x57] = 0x79,        /* kp plus */
	[0x58] = E0 | 0x5a,   /* kp enter */
	[0x59] = 0x69,        /* kp 1 */
	[0x5a] = 0x72,        /* kp 2 */
	[0x5b] = 0x7a,        /* kp 3 */
	[0x5c] = 0x6b,        /* kp 4 */
	[0x5d] = 0x73,        /* kp 5 */
	[0x5e] = 0x74,        /* kp 6 */
	[0x5f] = 0x6c,        /* kp 7 */
	[0x60] = 0x75,        /* kp 8 */
	[0x61] = 0x7d,        /* kp 9 */
	[0x62] = 0x70,        /* kp 0 */
	[0x63] = 0x71,        /* kp period */
	[0x65] = E0 | 0x2f,   /* application */
	[0xe0] = 0x14,        /* lctrl */
	[0xe1] = 0x12,        /* lshift */
	[0xe2] = 0x11,        /* lalt */
	[0xe3] = E0 | 0x1f,   /* lgui */
	[0xe4] = E0 | 0x14,   /* rctrl */
	[0xe5] = 0x59,        /* rshift */
	[0xe6] = E0 | 0x11,   /* ralt */
	[0xe7] = E0 | 0x27,   /* rgui */
};

size_t keymap_set2(unsigned usage, bool down, uint8_t out[KEYMAP_MAX])
{
	if (usage == KEY_PAUSE) {
		/* Pause has no break code: the make sequence (with its own F0
		 * bytes) says it all */
		static const uint8_t pause[8] = { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 };
		if (!down)
			return 0;
		for (size_t i = 0; i < sizeof(pause); i++)
			out[i] = pause[i];
		return sizeof(pause);
	}
	if (usage == KEY_PRINTSCREEN) {
		/* E0 12 E0 7C (a fake left shift, then the key) and the reverse */
		static const uint8_t make[4] = { 0xe0, 0x12, 0xe0, 0x7c };
		static const uint8_t brk[6] = { 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12 };
		const uint8_t *p = down ? make : brk;
		size_t n = down ? sizeof(make) : sizeof(brk);
		for (size_t i = 0; i < n; i++)
			out[i] = p[i];
		return n;
	}
	if (usage >= KEYMAP_USAGES || !set2[usage])
		return 0;
	size_t n = 0;
	uint16_t k = set2[usage];
	if (k & E0)
		out[n++] = 0xe0;
	if (!down)
		out[n++] = 0xf0;
	out[n++] = (uint8_t)k;
	return n;
}

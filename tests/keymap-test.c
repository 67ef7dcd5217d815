/*
 * keymap-test: the host key table (frontends/keymap.c, USB usage -> PS/2 set
 * 2) checked against an independent table: the IBM PC/XT scancode set 1,
 * which is what the guest reads after the 8042 translates set 2
 * (kbc_translate).  Every key of a 105-key keyboard must translate to its
 * set 1 make code (with the E0 prefix where the XT table has one) and its
 * release to make | 80h; Pause and PrintScreen to their set 1 sequences.
 */
#include <stdio.h>

#include "devices/kbc.h"
#include "frontends/keymap.h"

/* USB usage -> set 1 make code (0x100: E0-prefixed), from the PC/XT table */
static const struct { unsigned usage; unsigned set1; const char *name; } xt[] = {
	{ 0x04, 0x1e, "A" }, { 0x05, 0x30, "B" }, { 0x06, 0x2e, "C" }, { 0x07, 0x20, "D" },
	{ 0x08, 0x12, "E" }, { 0x09, 0x21, "F" }, { 0x0a, 0x22, "G" }, { 0x0b, 0x23, "H" },
	{ 0x0c, 0x17, "I" }, { 0x0d, 0x24, "J" }, { 0x0e, 0x25, "K" }, { 0x0f, 0x26, "L" },
	{ 0x10, 0x32, "M" }, { 0x11, 0x31, "N" }, { 0x12, 0x18, "O" }, { 0x13, 0x19, "P" },
	{ 0x14, 0x10, "Q" }, { 0x15, 0x13, "R" }, { 0x16, 0x1f, "S" }, { 0x17, 0x14, "T" },
	{ 0x18, 0x16, "U" }, { 0x19, 0x2f, "V" }, { 0x1a, 0x11, "W" }, { 0x1b, 0x2d, "X" },
	{ 0x1c, 0x15, "Y" }, { 0x1d, 0x2c, "Z" },
	{ 0x1e, 0x02, "1" }, { 0x1f, 0x03, "2" }, { 0x20, 0x04, "3" }, { 0x21, 0x05, "4" },
	{ 0x22, 0x06, "5" }, { 0x23, 0x07, "6" }, { 0x24, 0x08, "7" }, { 0x25, 0x09, "8" },
	{ 0x26, 0x0a, "9" }, { 0x27, 0x0b, "0" },
	{ 0x28, 0x1c, "Enter" }, { 0x29, 0x01, "Esc" }, { 0x2a, 0x0e, "Backspace" },
	{ 0x2b, 0x0f, "Tab" }, { 0x2c, 0x39, "Space" }, { 0x2d, 0x0c, "-" }, { 0x2e, 0x0d, "=" },
	{ 0x2f, 0x1a, "[" }, { 0x30, 0x1b, "]" }, { 0x31, 0x2b, "\\" }, { 0x32, 0x2b, "non-US #" },
	{ 0x33, 0x27, ";" }, { 0x34, 0x28, "'" }, { 0x35, 0x29, "`" }, { 0x36, 0x33, "," },
	{ 0x37, 0x34, "." }, { 0x38, 0x35, "/" }, { 0x39, 0x3a, "Caps Lock" },
	{ 0x3a, 0x3b, "F1" }, { 0x3b, 0x3c, "F2" }, { 0x3c, 0x3d, "F3" }, { 0x3d, 0x3e, "F4" },
	{ 0x3e, 0x3f, "F5" }, { 0x3f, 0x40, "F6" }, { 0x40, 0x41, "F7" }, { 0x41, 0x42, "F8" },
	{ 0x42, 0x43, "F9" }, { 0x43, 0x44, "F10" }, { 0x44, 0x57, "F11" }, { 0x45, 0x58, "F12" },
	{ 0x47, 0x46, "Scroll Lock" },
	{ 0x49, 0x152, "Insert" }, { 0x4a, 0x147, "Home" }, { 0x4b, 0x149, "Page Up" },
	{ 0x4c, 0x153, "Delete" }, { 0x4d, 0x14f, "End" }, { 0x4e, 0x151, "Page Down" },
	{ 0x4f, 0x14d, "Right" }, { 0x50, 0x14b, "Left" }, { 0x51, 0x150, "Down" }, { 0x52, 0x148, "Up" },
	{ 0x53, 0x45, "Num Lock" }, { 0x54, 0x135, "KP /" }, { 0x55, 0x37, "KP *" },
	{ 0x56, 0x4a, "KP -" }, { 0x57, 0x4e, "KP +" }, { 0x58, 0x11c, "KP Enter" },
	{ 0x59, 0x4f, "KP 1" }, { 0x5a, 0x50, "KP 2" }, { 0x5b, 0x51, "KP 3" }, { 0x5c, 0x4b, "KP 4" },
	{ 0x5d, 0x4c, "KP 5" }, { 0x5e, 0x4d, "KP 6" }, { 0x5f, 0x47, "KP 7" }, { 0x60, 0x48, "KP 8" },
	{ 0x61, 0x49, "KP 9" }, { 0x62, 0x52, "KP 0" }, { 0x63, 0x53, "KP ." },
	{ 0x64, 0x56, "non-US \\" }, { 0x65, 0x15d, "Menu" },
	{ 0xe0, 0x1d, "Left Ctrl" }, { 0xe1, 0x2a, "Left Shift" }, { 0xe2, 0x38, "Left Alt" },
	{ 0xe3, 0x15b, "Left GUI" }, { 0xe4, 0x11d, "Right Ctrl" }, { 0xe5, 0x36, "Right Shift" },
	{ 0xe6, 0x138, "Right Alt" }, { 0xe7, 0x15c, "Right GUI" },
};

/* what the guest reads: set 2 bytes through the 8042's translation, where
 * F0 makes the next byte a release (bit 7 set) */
static size_t to_set1(const uint8_t *s2, size_t n, uint8_t *s1)
{
	size_t k = 0;
	bool brk = false;
	for (size_t i = 0; i < n; i++) {
		if (s2[i] == 0xf0) {
			brk = true;
			continue;
		}
		s1[k++] = (uint8_t)(kbc_translate(s2[i]) | (brk ? 0x80 : 0));
		brk = false;
	}
	return k;
}

static int failures;

static void expect(const char *what, const uint8_t *got, size_t n, const uint8_t *want, size_t m)
{
	bool same = n == m;
	for (size_t i = 0; same && i < n; i++)
		same = got[i] == want[i];
	if (!same) {
		failures++;
		printf("keymap-test: %s:", what);
		for (size_t i = 0; i < n; i++)
			printf(" %02X", got[i]);
		printf(", expected");
		for (size_t i = 0; i < m; i++)
			printf(" %02X", want[i]);
		printf("\n");
	}
}

int main(void)
{
	uint8_t s2[KEYMAP_MAX], s1[KEYMAP_MAX], want[4];
	size_t keys = 0;
	for (size_t i = 0; i < sizeof(xt) / sizeof(xt[0]); i++) {
		for (int down = 1; down >= 0; down--) {
			size_t n = keymap_set2(xt[i].usage, down, s2);
			size_t k = to_set1(s2, n, s1), m = 0;
			if (xt[i].set1 & 0x100)
				want[m++] = 0xe0;
			want[m++] = (uint8_t)((xt[i].set1 & 0xff) | (down ? 0 : 0x80));
			char what[64];
			snprintf(what, sizeof(what), "%s %s", xt[i].name, down ? "pressed" : "released");
			expect(what, s1, k, want, m);
		}
		keys++;
	}
	/* Pause: E1 1D 45 E1 9D C5, no release; PrintScreen: E0 2A E0 37 and E0 B7 E0 AA */
	static const uint8_t pause1[6] = { 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5 };
	static const uint8_t prt_make[4] = { 0xe0, 0x2a, 0xe0, 0x37 };
	static const uint8_t prt_brk[4] = { 0xe0, 0xb7, 0xe0, 0xaa };
	size_t n = keymap_set2(KEY_PAUSE, true, s2);
	expect("Pause pressed", s1, to_set1(s2, n, s1), pause1, sizeof(pause1));
	if (keymap_set2(KEY_PAUSE, false, s2) != 0) {
		failures++;
		printf("keymap-test: Pause has a release sequence\n");
	}
	n = keymap_set2(KEY_PRINTSCREEN, true, s2);
	expect("PrintScreen pressed", s1, to_set1(s2, n, s1), prt_make, sizeof(prt_make));
	n = keymap_set2(KEY_PRINTSCREEN, false, s2);
	expect("PrintScreen released", s1, to_set1(s2, n, s1), prt_brk, sizeof(prt_brk));
	if (failures) {
		printf("keymap-test: %d mismatches\n", failures);
		return 1;
	}
	printf("keymap-test: %zu keys (and Pause, PrintScreen) give their set 1 codes after the 8042's translation\n", keys + 2);
	return 0;
}

/*
 * Host keys to the PS/2 keyboard: a key is named by its USB HID usage
 * (HID Usage Tables, keyboard page 07h: A = 04h ... right GUI = E7h), which
 * is also what SDL's scancodes are, and becomes the scancode set 2 bytes
 * the keyboard sends (the 8042 translates them to set 1 for the guest when
 * its command byte says so).
 */
#ifndef SHADE86_KEYMAP_H
#define SHADE86_KEYMAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYMAP_USAGES 232
#define KEYMAP_MAX 8
#define KEY_PRINTSCREEN 0x46
#define KEY_PAUSE 0x48

/* The set 2 bytes for pressing (down) or releasing a key: returns how many
 * (at most KEYMAP_MAX), 0 for keys without a PS/2 code and Pause's release. */
size_t keymap_set2(unsigned usage, bool down, uint8_t out[KEYMAP_MAX]);
#endif

/*
 * Device state save/load (for snapshots): every device writes its state as a
 * sequence of little-endian fixed-size fields into a state_writer, and reads it
 * back in the same order from a state_reader.  A reader that runs out of bytes
 * sets `error` and returns zeros; the device's load function then fails.
 */
#ifndef SHADE86_STATE_H
#define SHADE86_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct state_writer {
	uint8_t *buf;
	size_t len, cap;
	bool error;            /* out of memory */
};

struct state_reader {
	const uint8_t *buf;
	size_t len, pos;
	bool error;            /* truncated */
};

void sw_init(struct state_writer *w);
void sw_free(struct state_writer *w);
void sw_bytes(struct state_writer *w, const void *p, size_t n);
void sw_u8(struct state_writer *w, uint8_t v);
void sw_u16(struct state_writer *w, uint16_t v);
void sw_u32(struct state_writer *w, uint32_t v);
void sw_u64(struct state_writer *w, uint64_t v);

void sr_init(struct state_reader *r, const void *buf, size_t len);
void sr_bytes(struct state_reader *r, void *p, size_t n);
uint8_t sr_u8(struct state_reader *r);
uint16_t sr_u16(struct state_reader *r);
uint32_t sr_u32(struct state_reader *r);
uint64_t sr_u64(struct state_reader *r);

#endif

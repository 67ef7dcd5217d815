/*
 * The 8254 programmable interval timer of the PC (Intel 82C54 datasheet,
 * order no. 231244) at ports 0x40-0x43, and system control port B (0x61):
 * channel 2's gate, the speaker data enable, the refresh toggle and
 * channel 2's OUT.
 *
 * The counters run from the PC's 1.193182 MHz clock, counted on the virtual
 * clock: CLK pulse k happens at virtual time ceil(k * 1e9 / PIT_HZ) ns.  The
 * channels are brought up to date lazily whenever they are looked at; a
 * vtimer is armed only for the next edge of channel 0's OUT, which drives
 * IRQ0 through an irq_line (the level is passed on; the PIC sees the rising
 * edges).  Channels 0 and 1 have their gates tied high, channel 2's gate is
 * port 0x61 bit 0.
 */
#ifndef SHADE86_PIT_H
#define SHADE86_PIT_H

#include <stdbool.h>
#include <stdint.h>

#include "irq.h"
#include "vclock.h"

struct mem;
struct state_writer;
struct state_reader;

#define PIT_HZ 1193182u

struct pit_channel {
	/* programming (control word, count register) */
	uint8_t mode;          /* 0-5 (mode bits 11x mean 2 and 3) */
	uint8_t mode_bits;     /* M2-M0 as written (status byte) */
	uint8_t rw;            /* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	uint16_t cr;           /* count register, as written */
	uint8_t cr_lsb;        /* rw 3: the LSB waiting for its MSB */
	bool wr_msb;           /* rw 3: the next write is the MSB */
	bool rd_msb;           /* rw 3: the next read is the MSB */
	bool latched;          /* the output latch holds a latched count */
	uint16_t ol;           /* output latch */
	bool status_latched;
	uint8_t status;
	bool gate;
	bool have_count;       /* a count was written since the control word */
	bool null_count;
	bool out;
	/* counting element, as of CLK pulse `tick` */
	uint64_t tick;
	uint32_t ce;           /* value, 0..modulus-1 (BCD: decimal value) */
	uint32_t n;            /* the count the CE was last loaded with, 1..modulus */
	bool load;             /* the CR is loaded into the CE on the next pulse */
	bool counting;         /* the CE holds a count and counts */
	bool armed;            /* modes 4, 5: the strobe is still to come */
	uint32_t rises;        /* OUT's rising edges not yet passed on (channel 0) */
};

struct pit {
	struct pit_channel ch[3];
	uint8_t port61;        /* bits 0-3 as written */
	bool irq_level;        /* the level last driven on IRQ0 */
	struct mem *mem;
	struct vclock *clock;
	struct irq_line irq0;
	struct vtimer timer;   /* next edge of channel 0's OUT */
};

/* Registers ports 0x40-0x43 and 0x61 and resets.  Channel 0's OUT is high
 * after the reset and is driven on irq0 from here on, so the receiver (the
 * PIC) must be initialised first.  Returns -1 (with mem->error set) if a port
 * is taken. */
int pit_init(struct pit *p, struct mem *mem, struct vclock *clock, struct irq_line irq0);
/* Every channel waits for a control word (mode 3, LSB then MSB, binary, no
 * count, OUT high); port 0x61 = 0 (channel 2's gate low). */
void pit_reset(struct pit *p);

/* The OUT pin of channel ch (0-2) now. */
bool pit_out(struct pit *p, int ch);
/* The speaker input: channel 2's OUT gated by port 0x61 bit 1. */
bool pit_speaker(struct pit *p);

void pit_save(const struct pit *p, struct state_writer *w);
int pit_load(struct pit *p, struct state_reader *r);

#endif

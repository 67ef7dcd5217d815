/*
 * The two cascaded 8259A programmable interrupt controllers of the PC/AT
 * (Intel 8259A datasheet, order no. 231468) and the PIIX3's edge/level
 * control registers (82371SB PIIX3 datasheet, registers ELCR1 and ELCR2).
 *
 * Ports: master 0x20-0x21, slave 0xA0-0xA1 (the slave's INT drives the
 * master's IR2), ELCR 0x4D0 (IRQ0-7) and 0x4D1 (IRQ8-15).
 *
 * Inputs: pic_set_irq(pic, irq 0-15, level) from the devices (through
 * pic_irq_line(), an irq_line whose callback is pic_set_irq).  Output: the
 * master's INT pin, read with pic_intr() and reported through the optional
 * intr_changed callback.  The CPU's interrupt acknowledge cycle is pic_ack(),
 * which returns the vector; pic_cpu_ack() has the signature of
 * cpu->irq_ack (opaque = the pic).
 *
 * Modelling choices (see pic.c for the datasheet references):
 * - Level-triggered inputs (ICW1.LTIM, or the ELCR bit) have IRR follow the
 *   input: a request that goes away before the INTA cycle gives the default
 *   IR7 vector without setting ISR.  Edge-triggered inputs latch the rising
 *   edge in IRR until the acknowledge (as chipset models do), so the master's
 *   IR2 stays latched when the slave's request goes away: the INTA then sets
 *   ISR bit 2 on the master and the slave answers with its IR7 (IRQ15).
 * - Only the 8086/8088 INTA protocol is modelled (ICW4.uPM is stored but the
 *   vector is always ICW2 base + IR).
 */
#ifndef SHADE86_PIC_H
#define SHADE86_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "irq.h"

struct mem;
struct state_writer;
struct state_reader;

/* one 8259A */
struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t input;        /* current level of IR0-IR7 */
	uint8_t elcr;         /* ELCR: 1 = level-triggered */
	uint8_t elcr_mask;    /* ELCR bits that exist (IRQ0-2, 8, 13 are always edge) */
	uint8_t icw1, icw2, icw3, icw4;
	uint8_t init_step;    /* 0: operational, 2/3/4: the next A0=1 write is ICW2/3/4 */
	uint8_t lowest;       /* the IR with the lowest priority (7 after ICW1) */
	bool rotate_aeoi;     /* OCW2 "rotate in automatic EOI mode" */
	bool smm;             /* OCW3 special mask mode */
	bool read_isr;        /* OCW3 RR/RIS: A0=0 reads ISR (else IRR) */
	bool poll;            /* OCW3 P: the next A0=0 read is the poll word */
};

struct pic {
	struct pic_chip chip[2];   /* [0] master, [1] slave */
	bool irq2_line;            /* a device driving IRQ2 directly (ORed with the slave's INT) */
	bool intr;                 /* the master's INT output */
	void (*intr_changed)(void *opaque, bool level);
	void *intr_opaque;
};

/* Registers the ports and resets.  intr_changed may be NULL.  Returns -1 (with
 * mem->error set) if a port range is taken. */
int pic_init(struct pic *p, struct mem *mem, void (*intr_changed)(void *opaque, bool level),
	     void *opaque);
/* Hardware reset: both chips cleared (IMR 0, vector base 0, no request),
 * cascade on IR2 as on the PC/AT, ELCR 0.  The input levels are kept. */
void pic_reset(struct pic *p);

/* Drive interrupt request line irq (0-15) to level. */
void pic_set_irq(struct pic *p, int irq, bool level);
/* An irq_line for a device's output wired to IRQ irq. */
struct irq_line pic_irq_line(struct pic *p, int irq);

/* The master's INT output. */
bool pic_intr(const struct pic *p);
/* The INTA cycle: returns the vector and updates ISR/IRR of both chips. */
int pic_ack(struct pic *p);
/* pic_ack with the signature of cpu->irq_ack (opaque: the struct pic). */
int pic_cpu_ack(void *opaque);

void pic_save(const struct pic *p, struct state_writer *w);
/* Returns -1 on a truncated or inconsistent state.  Reports the INT level
 * through intr_changed afterwards. */
int pic_load(struct pic *p, struct state_reader *r);

#endif

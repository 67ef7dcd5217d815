/*
 * System control port A at 0x92 ("fast A20 and reset" of PS/2 machines and
 * PC chipsets): bit 1 opens the A20 gate, a 0 -> 1 transition of bit 0 asks
 * for a reset (the bit then reads 1 until written back to 0 or reset).  The
 * other bits read 0.  Its A20 output is ORed with the 8042's by the machine.
 */
#ifndef SHADE86_PORT92_H
#define SHADE86_PORT92_H

#include <stdint.h>

#include "syslines.h"

struct mem;
struct state_writer;
struct state_reader;

#define PORT92_PORT  0x92
#define PORT92_RESET 0x01
#define PORT92_A20   0x02

struct port92 {
	struct sys_lines lines;   /* wiring (not saved) */
	uint8_t value;            /* bits 0-1 as written */
};

/* Registers port 0x92 (byte accesses).  Returns -1 if taken. */
int port92_init(struct port92 *p, struct mem *mem, struct sys_lines lines);
/* Both bits 0 (A20 gate output closed); no callback is made. */
void port92_reset(struct port92 *p);
void port92_save(const struct port92 *p, struct state_writer *w);
/* -1 on a truncated or inconsistent stream (the device is then unchanged). */
int port92_load(struct port92 *p, struct state_reader *r);

#endif

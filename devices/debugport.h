/*
 * Debug ports of the test machine and the PC: a console port (bytes written go
 * to a file), a POST code port (last value kept, optionally logged) and an exit
 * port like QEMU's isa-debug-exit (writing v stops the run with status (v<<1)|1).
 */
#ifndef SHADE86_DEBUGPORT_H
#define SHADE86_DEBUGPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct mem;
struct cpu;

struct debugcon {
	uint16_t port;
	FILE *out;
};

struct postport {
	uint16_t port;
	uint8_t last;
	FILE *log;        /* NULL: not logged */
};

struct exitport {
	uint16_t port;
	struct cpu *cpu;  /* CPU_REQ_STOP is requested here */
	bool written;
	int status;       /* (v << 1) | 1 */
};

/* Bochs' shutdown port: writing the bytes "Shutdown" powers the machine off */
struct shutdownport {
	uint16_t port;
	struct cpu *cpu;
	unsigned matched;   /* how many bytes of "Shutdown" have been seen in a row */
	bool off;
};

int shutdownport_init(struct shutdownport *s, struct mem *mem, uint16_t port, struct cpu *cpu);
int debugcon_init(struct debugcon *d, struct mem *mem, uint16_t port, FILE *out);
int postport_init(struct postport *p, struct mem *mem, uint16_t port, FILE *log);
int exitport_init(struct exitport *e, struct mem *mem, uint16_t port, struct cpu *cpu);

#endif

/*
 * The minimal test machine: RAM, one ROM mapped at the top of the first MiB and
 * at the top of the 4 GiB space (where a CPU reset fetches its first
 * instruction), a console port, POST ports, an exit port (0xF4) and Bochs'
 * shutdown port (0x8900).  Guest test
 * programs and test ROMs such as test386 run on it.
 */
#ifndef SHADE86_TESTMACHINE_H
#define SHADE86_TESTMACHINE_H

#include <stdio.h>

#include "../cpu/cpu.h"
#include "../mmu/mem.h"
#include "debugport.h"

#define TM_MAX_CONSOLES 4

struct testmachine {
	struct mem mem;
	struct cpu cpu;
	uint8_t *rom;
	uint32_t rom_size;
	struct debugcon con[TM_MAX_CONSOLES];
	unsigned ncon;
	struct postport post80, post190;
	struct exitport exit;
	struct shutdownport shutdown;
	char error[200];
};

struct tm_console_spec {
	uint16_t port;
	FILE *out;
};

/* rom: image bytes (copied; size a multiple of 4 KiB, at most 1 MiB... padded
 * below to 4 KiB).  Returns -1 with tm->error set on failure. */
int testmachine_init(struct testmachine *tm, uint32_t ram_size, const uint8_t *rom, uint32_t rom_len,
		     const struct tm_console_spec *cons, unsigned ncons, FILE *postlog);
void testmachine_free(struct testmachine *tm);

#endif

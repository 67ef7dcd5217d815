/* The minimal test machine (see testmachine.h). */
#include <stdlib.h>
#include <string.h>

#include "testmachine.h"

int testmachine_init(struct testmachine *tm, uint32_t ram_size, const uint8_t *rom, uint32_t rom_len,
		     const struct tm_console_spec *cons, unsigned ncons, FILE *postlog)
{
	memset(tm, 0, sizeof(*tm));
	if (rom_len == 0 || rom_len > 0x100000) {
		snprintf(tm->error, sizeof(tm->error), "ROM size %u is not between 1 byte and 1 MiB", rom_len);
		return -1;
	}
	/* the image ends at the top of its window: pad at the bottom to whole pages */
	tm->rom_size = (rom_len + 0xfff) & ~0xfffu;
	if (tm->rom_size < 0x10000)
		tm->rom_size = 0x10000;
	tm->rom = malloc(tm->rom_size);
	if (!tm->rom || mem_init(&tm->mem, ram_size)) {
		snprintf(tm->error, sizeof(tm->error), "%s", tm->rom ? tm->mem.error : "out of memory");
		free(tm->rom);
		return -1;
	}
	memset(tm->rom, 0xff, tm->rom_size - rom_len);
	memcpy(tm->rom + tm->rom_size - rom_len, rom, rom_len);
	if (cpu_init(&tm->cpu, &tm->mem)) {
		snprintf(tm->error, sizeof(tm->error), "cannot reserve memory for the shadow page tables");
		mem_free(&tm->mem);
		free(tm->rom);
		return -1;
	}
	if (mem_map_rom(&tm->mem, 0x100000 - tm->rom_size, tm->rom, tm->rom_size, "rom (low)") ||
	    mem_map_rom(&tm->mem, (uint32_t)(0x100000000ull - tm->rom_size), tm->rom, tm->rom_size, "rom (high)") ||
	    postport_init(&tm->post80, &tm->mem, 0x80, postlog) ||
	    postport_init(&tm->post190, &tm->mem, 0x190, postlog) ||
	    exitport_init(&tm->exit, &tm->mem, 0xf4, &tm->cpu) ||
	    shutdownport_init(&tm->shutdown, &tm->mem, 0x8900, &tm->cpu))
		goto fail;
	for (unsigned i = 0; i < ncons && i < TM_MAX_CONSOLES; i++) {
		if (debugcon_init(&tm->con[i], &tm->mem, cons[i].port, cons[i].out))
			goto fail;
		tm->ncon++;
	}
	return 0;
fail:
	snprintf(tm->error, sizeof(tm->error), "%s", tm->mem.error);
	testmachine_free(tm);
	return -1;
}

void testmachine_free(struct testmachine *tm)
{
	cpu_free(&tm->cpu);
	mem_free(&tm->mem);
	free(tm->rom);
	tm->rom = NULL;
}

/*
 * Running a ROM image on the minimal test machine (devices/testmachine.h):
 * guest test programs, test386, and the built-in demo.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bt/bt.h"
#include "../devices/hostfile.h"
#include "../devices/testmachine.h"
#include "exitcodes.h"
#include "options.h"
#include "tracing.h"

extern const unsigned char builtin_demo_rom[];
extern const unsigned int builtin_demo_rom_len;

int run_test_machine(struct options *o)
{
	uint8_t *rom;
	uint32_t rom_len;
	char err[300];
	if (o->bios) {
		if (hostfile_read(o->bios, "ROM image", 0x100000, &rom, &rom_len, err, sizeof(err))) {
			fprintf(stderr, "shade86: %s\n", err);
			return EXIT_LOAD;
		}
		if (rom_len == 0) {
			fprintf(stderr, "shade86: ROM image '%s' is empty\n", o->bios);
			free(rom);
			return EXIT_LOAD;
		}
	} else {
		rom_len = builtin_demo_rom_len;
		rom = malloc(rom_len);
		if (!rom)
			return EXIT_LOAD;
		memcpy(rom, builtin_demo_rom, rom_len);
	}
	struct tm_console_spec cons[TM_MAX_CONSOLES];
	unsigned ncons = 0;
	for (unsigned i = 0; i < o->ncons && i < TM_MAX_CONSOLES; i++)
		cons[ncons++] = (struct tm_console_spec){ o->cons[i].port, o->cons[i].out };

	static struct testmachine tm;
	if (testmachine_init(&tm, o->ram, rom, rom_len, cons, ncons, o->postlog)) {
		fprintf(stderr, "shade86: %s\n", tm.error);
		free(rom);
		return EXIT_LOAD;
	}
	free(rom);
	tm.cpu.shadow.check = o->check_mmu;
	int tstatus = engine_start(o, &tm.cpu);
	if (tstatus) {
		testmachine_free(&tm);
		return tstatus;
	}
	struct tracing *tr = tracing_start(o, &tm.cpu, "test", &tstatus);
	if (tstatus) {
		testmachine_free(&tm);
		return tstatus;
	}

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status = 0;
	uint64_t left = o->max_insns;
	for (;;) {
		uint64_t chunk = left < 1000000 ? left : 1000000;
		if (!chunk) {
			fprintf(stderr, "shade86: instruction limit reached at %04X:%08X\n",
				tm.cpu.seg[S_CS].sel, tm.cpu.eip);
			status = EXIT_INSN_LIMIT;
			break;
		}
		uint64_t before = tm.cpu.icount;
		enum cpu_exit ex = cpu_run(&tm.cpu, chunk);
		left -= tm.cpu.icount - before < left ? tm.cpu.icount - before : left;
		if (ex == CPU_EXIT_COUNT)
			continue;
		if (ex == CPU_EXIT_STOP && bt_lockstep_failure(&tm.cpu)) {
			status = EXIT_LOCKSTEP;   /* engine_end reports it */
			break;
		}
		if (ex == CPU_EXIT_STOP && tm.cpu.trace_failed) {
			status = EXIT_TRACE;     /* tracing_end says why */
		} else if (ex == CPU_EXIT_STOP && tm.cpu.shadow.check_failed) {
			fprintf(stderr, "shade86: --check-mmu: %s\n", tm.cpu.shadow.check_report);
			status = EXIT_MMU_CHECK;
		} else if (ex == CPU_EXIT_STOP && tm.exit.written) {
			status = tm.exit.status;
		} else if (ex == CPU_EXIT_HLT) {
			/* nothing on the test machine can raise an interrupt */
			fprintf(stderr, "shade86: guest halted at %04X:%08X (no interrupt source)\n",
				tm.cpu.seg[S_CS].sel, tm.cpu.eip);
			status = EXIT_HALTED;
		} else if (ex == CPU_EXIT_TRIPLE_FAULT) {
			fprintf(stderr, "shade86: triple fault at %04X:%08X\n",
				tm.cpu.seg[S_CS].sel, tm.cpu.eip);
			status = EXIT_TRIPLE_FAULT;
		} else if (ex == CPU_EXIT_RESET) {
			fprintf(stderr, "shade86: guest requested a reset\n");
			status = EXIT_RESET;
		} else if (ex == CPU_EXIT_STOP && tm.shutdown.off) {
			status = EXIT_OK;
		}
		break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if ((tstatus = tracing_end(tr, &tm.cpu)))
		status = tstatus;
	status = engine_end(o, &tm.cpu, status);
	if (o->verbose) {
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		const struct shadow_stats *st = &tm.cpu.shadow.stats;
		fprintf(stderr, "shade86: %" PRIu64 " instructions in %.3f s, %.1f MIPS, exit status %d\n",
			tm.cpu.icount, s, s > 0 ? (double)tm.cpu.icount / s / 1e6 : 0.0, status);
		fprintf(stderr, "shade86: shadow MMU: %" PRIu64 " walks, %" PRIu64 " fills, %" PRIu64
			" context switches to a cached context, %" PRIu64 " to a new one (%" PRIu64
			" evictions), %" PRIu64 " traced writes, %" PRIu64 " entries dropped, %" PRIu64
			" made slow\n", st->walks, st->fills, st->switch_hits, st->switch_misses,
			st->evictions, st->traced_writes, st->dropped, st->slowed);
	}
	fflush(stdout);
	testmachine_free(&tm);
	return status;
}

/* The execution engine of a run: the translator (bt/) or the interpreter. */
#include <stdio.h>

#include "../bt/bt.h"
#include "../cpu/cpu.h"
#include "exitcodes.h"
#include "options.h"

int engine_start(const struct options *o, struct cpu *cpu)
{
	if (o->engine == ENGINE_INTERP)
		return 0;
	struct bt_options bo = {
		.code_size = o->tc_size,
		.count_execs = o->tc_stats,
		.lockstep = o->check_lockstep,
	};
	char err[200];
	if (bt_attach(cpu, &bo, err, sizeof(err))) {
		fprintf(stderr, "shade86: the translator cannot start: %s (--engine interp runs without it)\n", err);
		return EXIT_LOAD;
	}
	return 0;
}

int engine_end(const struct options *o, struct cpu *cpu, int status)
{
	if (!cpu->bt)
		return status;
	if (o->tc_stats)
		bt_print_stats(cpu, stderr, 20);
	const char *ls = bt_lockstep_failure(cpu);
	if (ls) {
		fprintf(stderr, "shade86: --check-lockstep: %s\n", ls);
		status = EXIT_LOCKSTEP;
	}
	bt_detach(cpu);
	return status;
}

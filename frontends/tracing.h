/* --trace for both machines: open the file, attach the recorder to the CPU,
 * and at the end of the run write out the rest and report. */
#ifndef SHADE86_TRACING_H
#define SHADE86_TRACING_H

#include "options.h"

struct cpu;
struct tracing;

/* Returns NULL when there is nothing to trace (o->trace_path unset) or, with
 * *status = EXIT_LOAD and a message printed, when the file cannot be created. */
struct tracing *tracing_start(const struct options *o, struct cpu *cpu, const char *machine, int *status);
/* Detach, flush and close; prints a summary line.  Returns 0, or EXIT_TRACE
 * (message printed) if writing failed. */
int tracing_end(struct tracing *tr, struct cpu *cpu);
/* Parse --trace-* option values into o; -1 on a bad value. */
int tracing_parse_what(const char *s, unsigned *what);
int tracing_parse_range(const char *s, uint32_t *lo, uint32_t *hi);
int tracing_parse_start(const char *s, struct trace_config *c);

#endif

/*
 * --trace: glue between the command line, the recorder (cpu/trace.h) and the
 * file writer (tracefile.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../cpu/cpu.h"
#include "exitcodes.h"
#include "tracefile.h"
#include "tracing.h"

struct tracing {
	struct trace rec;
	struct tracefile *tf;
	const char *path;
};

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return -1;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

int tracing_parse_what(const char *s, unsigned *what)
{
	unsigned w = TRACE_W_INSN;
	char buf[128];
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "insn"))
			w |= TRACE_W_INSN;
		else if (!strcmp(tok, "regs"))
			w |= TRACE_W_REGS;
		else if (!strcmp(tok, "mem"))
			w |= TRACE_W_MEM;
		else if (!strcmp(tok, "io"))
			w |= TRACE_W_IO;
		else if (!strcmp(tok, "irq"))
			w |= TRACE_W_IRQ;
		else if (!strcmp(tok, "all"))
			w |= TRACE_W_REGS | TRACE_W_MEM | TRACE_W_IO | TRACE_W_IRQ;
		else
			return -1;
	}
	*what = w;
	return 0;
}

int tracing_parse_range(const char *s, uint32_t *lo, uint32_t *hi)
{
	char buf[64];
	uint64_t a, b;
	const char *dash = strchr(s, '-');
	if (!dash || (size_t)(dash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = 0;
	if (parse_u64(buf, &a) || parse_u64(dash + 1, &b) || a > b || b > 0xffffffffull)
		return -1;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return 0;
}

/* --trace-start: the last one given wins */
int tracing_parse_start(const char *s, struct trace_config *c)
{
	uint64_t v;
	c->start_magic = false;
	c->port = -1;
	c->start_icount = 0;
	if (!strcmp(s, "magic")) {
		c->start_magic = true;
		return 0;
	}
	if (!strncmp(s, "port:", 5)) {
		if (parse_u64(s + 5, &v) || v > 0xffff)
			return -1;
		c->port = (int)v;
		return 0;
	}
	if (parse_u64(s, &v))
		return -1;
	c->start_icount = v;
	return 0;
}

struct tracing *tracing_start(const struct options *o, struct cpu *cpu, const char *machine, int *status)
{
	*status = 0;
	if (!o->trace_path)
		return NULL;
	struct tracing *tr = calloc(1, sizeof(*tr));
	if (!tr) {
		fprintf(stderr, "shade86: --trace: out of memory\n");
		*status = EXIT_LOAD;
		return NULL;
	}
	uint32_t sig[4];
	char vendor[13] = { 0 };
	cpu_cpuid(cpu, 0, sig);
	memcpy(vendor, &sig[1], 4);
	memcpy(vendor + 4, &sig[3], 4);
	memcpy(vendor + 8, &sig[2], 4);
	cpu_cpuid(cpu, 1, sig);
	struct tracefile_info info = {
		.what = o->trace.what | TRACE_W_INSN,
		.ram_size = o->ram,
		.cpuid_sig = sig[0],
		.vendor = vendor,
		.model = "shade86 interpreter, P6 family 6 model 13",
		.machine = machine,
	};
	uint8_t st[TRACE_STATE_SIZE];
	char err[400];
	trace_state_from_cpu(cpu, st);
	tr->tf = tracefile_open(o->trace_path, &info, st, err, sizeof(err));
	if (!tr->tf) {
		fprintf(stderr, "shade86: --trace: %s\n", err);
		free(tr);
		*status = EXIT_LOAD;
		return NULL;
	}
	tr->path = o->trace_path;
	size_t cap;
	uint8_t *buf = tracefile_buffer(tr->tf, &cap);
	struct trace_sink sink = tracefile_sink(tr->tf);
	if (!buf || trace_attach(cpu, &tr->rec, &o->trace, &sink, buf, cap)) {
		fprintf(stderr, "shade86: --trace: out of memory\n");
		tracefile_close(tr->tf, err, sizeof(err));
		free(tr);
		*status = EXIT_LOAD;
		return NULL;
	}
	return tr;
}

int tracing_end(struct tracing *tr, struct cpu *cpu)
{
	if (!tr)
		return 0;
	char err[400];
	uint64_t insns = tr->rec.insns;
	int r1 = trace_finish(cpu);
	int r2 = tracefile_close(tr->tf, err, sizeof(err));
	int status = 0;
	if (r2 || r1) {
		/* the sink stops at the first failure: everything before is whole chunks */
		fprintf(stderr, "shade86: --trace: %s; the trace written before the error is valid\n",
			r2 ? err : "out of memory");
		status = EXIT_TRACE;
	} else {
		struct stat sb;
		double bytes = stat(tr->path, &sb) == 0 ? (double)sb.st_size : 0;
		fprintf(stderr, "shade86: trace: %llu instructions, %.1f MB in %s (%.2f bytes/instruction)\n",
			(unsigned long long)insns, bytes / 1e6, tr->path, insns ? bytes / (double)insns : 0.0);
	}
	free(tr);
	return status;
}

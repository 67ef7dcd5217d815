/* The command line of shade86, parsed (frontends/main.c), and the two ways to
 * run it: the PC (frontends/headless.c) and the minimal test machine
 * (frontends/testrun.c). */
#ifndef SHADE86_OPTIONS_H
#define SHADE86_OPTIONS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../cpu/trace.h"

#define MAX_CONSOLES 4

struct console_spec {
	uint16_t port;
	FILE *out;
};

enum serial_kind { SERIAL_STDIO, SERIAL_FILE, SERIAL_NONE };

struct options {
	bool machine_test;            /* -machine test (else pc) */
	const char *bios;
	uint32_t ram;
	struct console_spec cons[MAX_CONSOLES];
	unsigned ncons;
	FILE *postlog;
	uint64_t max_insns;
	bool verbose, check_mmu;
	/* execution engine (frontends/engine.c) */
	enum { ENGINE_BT, ENGINE_INTERP } engine;
	bool engine_given;
	bool check_lockstep;
	bool tc_stats;
	uint32_t tc_size;             /* code buffer bytes, 0: default */
	/* pc */
	const char *hda, *hdb, *cdrom;
	bool snapshot;
	const char *boot;
	const char *kernel, *initrd, *append;
	enum serial_kind serial;
	const char *serial_path;
	const char *screenshot, *screen_text;
	double timeout;               /* seconds, 0 = none */
	const char *exit_on_serial;   /* extended regex, or NULL */
	bool no_reboot;
	enum { DISPLAY_AUTO, DISPLAY_NONE, DISPLAY_SDL } display;   /* AUTO: a window if possible */
	bool builtin_demo;            /* no disk given: boot the built-in demo disk */
	int icount_shift;             /* -1 realtime */
	bool rtc_fixed;               /* -rtc base=... given */
	long long rtc_base;
	/* --trace */
	const char *trace_path;
	struct trace_config trace;
};

struct cpu;
/* Attach the chosen engine to the CPU (nothing for the interpreter); on
 * failure prints a line and returns an exit status. */
int engine_start(const struct options *o, struct cpu *cpu);
/* At the end of a run: --tc-stats; the lockstep verdict (EXIT_LOCKSTEP with
 * its report) overrides status. */
int engine_end(const struct options *o, struct cpu *cpu, int status);

int run_pc(struct options *o);
int run_test_machine(struct options *o);
#endif

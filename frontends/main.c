/*
 * shade86 command line.  Until the PC machine exists (issue 5), shade86 runs a
 * ROM image on the minimal test machine (devices/testmachine.h); with no
 * arguments it runs the built-in demo guest program.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../config.h"
#include "../devices/testmachine.h"
#include "exitcodes.h"

extern const unsigned char builtin_demo_rom[];
extern const unsigned int builtin_demo_rom_len;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: shade86 [options]\n"
		"\n"
		"Runs a guest on the minimal test machine (RAM, a ROM at the top of the first\n"
		"MiB and of 4 GiB, debug console 0xE9, POST ports 0x80/0x190, exit port 0xF4).\n"
		"With no -bios it runs the built-in demo program.\n"
		"\n"
		"  -bios FILE            ROM image to run (its last 16 bytes hold the reset vector)\n"
		"  -m SIZE               guest RAM in MiB, up to 3584 (suffix M or G; default 128)\n"
		"  -debugcon [PORT:]FILE bytes written to PORT (default 0xE9) go to FILE\n"
		"                        ('stdio' for standard output); may be repeated\n"
		"  -machine test         the machine (only 'test' so far)\n"
		"  --post-log FILE       log every POST code written to ports 0x80 and 0x190\n"
		"  --max-insns N         stop after N guest instructions\n"
		"  --check-mmu           check every shadow page table hit against a fresh page\n"
		"                        walk; stop with a report at the first mismatch\n"
		"  -v                    print a status line (instructions, MIPS) at exit\n"
		"  -h, --help            this text\n"
		"  --version             version\n"
		"\n"
		"Exit status: 0 when the guest powers off (\"Shutdown\" to port 0x8900);\n"
		"(v<<1)|1 when the guest writes v to port 0xF4; %d guest halted\n"
		"with no way to wake up; %d bad command line; %d a file could not be loaded;\n"
		"%d triple fault; %d instruction limit reached; %d machine reset requested;\n"
		"%d --check-mmu found a mismatch.\n",
		EXIT_HALTED, EXIT_USAGE, EXIT_LOAD, EXIT_TRIPLE_FAULT, EXIT_INSN_LIMIT, EXIT_RESET,
		EXIT_MMU_CHECK);
}

static int die_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "shade86: %s%s%s (see shade86 --help)\n", msg, arg ? ": " : "", arg ? arg : "");
	return EXIT_USAGE;
}

static uint8_t *read_file(const char *path, uint32_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > 0x200000) {
				snprintf(err, errlen, "'%s' is larger than 1 MiB", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				snprintf(err, errlen, "out of memory reading '%s'", path);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	if (n == 0 || n > 0x100000) {
		snprintf(err, errlen, "'%s': a ROM image must be 1 byte to 1 MiB (it is %zu bytes)", path, n);
		free(buf);
		return NULL;
	}
	*len = (uint32_t)n;
	return buf;
}

static int parse_size_mib(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end == 'G' || *end == 'g')
		v *= 1024, end++;
	else if (*end == 'M' || *end == 'm')
		end++;
	if (*end || v == 0 || v > 3584)
		return -1;
	*out = (uint32_t)(v << 20);
	return 0;
}

int main(int argc, char **argv)
{
	const char *bios = NULL, *postlog_path = NULL;
	uint32_t ram = 128u << 20;
	uint64_t max_insns = UINT64_MAX;
	bool verbose = false, check_mmu = false;
	struct tm_console_spec cons[TM_MAX_CONSOLES] = { { 0xe9, stdout } };
	unsigned ncons = 1;
	FILE *opened[TM_MAX_CONSOLES] = { 0 };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "-help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--version") || !strcmp(a, "-version")) {
			printf("shade86 0.1 (interpreter; test machine)\n");
			return 0;
		} else if (!strcmp(a, "-v")) {
			verbose = true;
		} else if (!strcmp(a, "--check-mmu")) {
			check_mmu = true;
		} else if (!strcmp(a, "-bios")) {
			if (!v)
				return die_usage("-bios needs a file name", NULL);
			bios = v;
			i++;
		} else if (!strcmp(a, "-m")) {
			if (!v || parse_size_mib(v, &ram))
				return die_usage("-m needs a size in MiB between 1 and 3584", v);
			i++;
		} else if (!strcmp(a, "-machine") || !strcmp(a, "-M")) {
			if (!v || strcmp(v, "test"))
				return die_usage("unknown machine (only 'test' exists so far)", v);
			i++;
		} else if (!strcmp(a, "-debugcon")) {
			if (!v)
				return die_usage("-debugcon needs [PORT:]FILE", NULL);
			if (ncons >= TM_MAX_CONSOLES)
				return die_usage("too many -debugcon options", v);
			unsigned long port = 0xe9;
			const char *file = v;
			const char *colon = strchr(v, ':');
			if (colon && colon != v) {
				char *end;
				port = strtoul(v, &end, 0);
				if (end != colon || port > 0xffff)
					return die_usage("bad port in -debugcon", v);
				file = colon + 1;
			}
			FILE *f = stdout;
			if (strcmp(file, "stdio")) {
				f = fopen(file, "w");
				if (!f) {
					fprintf(stderr, "shade86: cannot create '%s': %s\n", file, strerror(errno));
					return EXIT_LOAD;
				}
				opened[ncons] = f;
			}
			/* a -debugcon on the default console port replaces it */
			unsigned slot = ncons;
			for (unsigned k = 0; k < ncons; k++)
				if (cons[k].port == port)
					slot = k;
			cons[slot] = (struct tm_console_spec){ (uint16_t)port, f };
			if (slot == ncons)
				ncons++;
			i++;
		} else if (!strcmp(a, "--post-log")) {
			if (!v)
				return die_usage("--post-log needs a file name", NULL);
			postlog_path = v;
			i++;
		} else if (!strcmp(a, "--max-insns")) {
			char *end;
			if (!v || (max_insns = strtoull(v, &end, 0), *end) || !*v)
				return die_usage("--max-insns needs a number", v);
			i++;
		} else {
			return die_usage("unknown option", a);
		}
	}

	uint8_t *rom;
	uint32_t rom_len;
	char err[256];
	if (bios) {
		rom = read_file(bios, &rom_len, err, sizeof(err));
		if (!rom) {
			fprintf(stderr, "shade86: %s\n", err);
			return EXIT_LOAD;
		}
	} else {
		rom_len = builtin_demo_rom_len;
		rom = malloc(rom_len);
		if (!rom)
			return EXIT_LOAD;
		memcpy(rom, builtin_demo_rom, rom_len);
	}
	FILE *postlog = NULL;
	if (postlog_path && !(postlog = fopen(postlog_path, "w"))) {
		fprintf(stderr, "shade86: cannot create '%s': %s\n", postlog_path, strerror(errno));
		free(rom);
		return EXIT_LOAD;
	}

	static struct testmachine tm;
	if (testmachine_init(&tm, ram, rom, rom_len, cons, ncons, postlog)) {
		fprintf(stderr, "shade86: %s\n", tm.error);
		free(rom);
		return EXIT_LOAD;
	}
	free(rom);
	tm.cpu.shadow.check = check_mmu;

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status = 0;
	uint64_t left = max_insns;
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
		if (ex == CPU_EXIT_STOP && tm.cpu.shadow.check_failed) {
			fprintf(stderr, "shade86: --check-mmu: %s\n", tm.cpu.shadow.check_report);
			status = EXIT_MMU_CHECK;
			break;
		}
		if (ex == CPU_EXIT_STOP && tm.exit.written) {
			status = tm.exit.status;
			break;
		}
		if (ex == CPU_EXIT_HLT) {
			/* nothing on the test machine can raise an interrupt */
			fprintf(stderr, "shade86: guest halted at %04X:%08X (no interrupt source)\n",
				tm.cpu.seg[S_CS].sel, tm.cpu.eip);
			status = EXIT_HALTED;
			break;
		}
		if (ex == CPU_EXIT_TRIPLE_FAULT) {
			fprintf(stderr, "shade86: triple fault at %04X:%08X\n",
				tm.cpu.seg[S_CS].sel, tm.cpu.eip);
			status = EXIT_TRIPLE_FAULT;
			break;
		}
		if (ex == CPU_EXIT_RESET) {
			fprintf(stderr, "shade86: guest requested a reset\n");
			status = EXIT_RESET;
			break;
		}
		if (ex == CPU_EXIT_STOP && tm.shutdown.off) {
			status = EXIT_OK;
			break;
		}
		if (ex == CPU_EXIT_STOP)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (verbose) {
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		const struct shadow_stats *st = &tm.cpu.shadow.stats;
		fprintf(stderr, "shade86: %" PRIu64 " instructions in %.3f s, %.1f MIPS, exit status %d\n",
			tm.cpu.icount, s, s > 0 ? (double)tm.cpu.icount / s / 1e6 : 0.0, status);
		fprintf(stderr, "shade86: shadow MMU: %" PRIu64 " fills, %" PRIu64 " context switches to a "
			"cached context, %" PRIu64 " to a new one (%" PRIu64 " evictions), %" PRIu64
			" traced writes, %" PRIu64 " entries dropped\n", st->fills, st->switch_hits,
			st->switch_misses, st->evictions, st->traced_writes, st->dropped);
	}
	fflush(stdout);
	for (unsigned k = 0; k < TM_MAX_CONSOLES; k++)
		if (opened[k])
			fclose(opened[k]);
	if (postlog)
		fclose(postlog);
	testmachine_free(&tm);
	return status;
}

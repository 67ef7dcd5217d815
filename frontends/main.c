/*
 * shade86 command line: parses the options (QEMU's names where the meaning is
 * the same) and runs the PC (headless.c) or the minimal test machine
 * (testrun.c).  With no arguments at all it runs the built-in demo guest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../config.h"
#include "exitcodes.h"
#include "options.h"
#include "tracing.h"

/* the engine when --engine is not given */
#define DEFAULT_ENGINE ENGINE_BT
#define DEFAULT_ENGINE_NAME "bt"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: shade86 [options]\n"
		"\n"
		"Runs a PC (i440FX/PIIX3, SeaBIOS, VGA, IDE disks, serial ports) in a window\n"
		"or headless, or with -machine test the minimal test machine.  Without a disk,\n"
		"CD or kernel the PC boots the built-in demo guest.\n"
		"\n"
		"Machine:\n"
		"  -machine pc|test      the machine (default pc)\n"
		"  -m SIZE               guest RAM in MiB, up to 3584 (suffix M or G; default 128)\n"
		"  -bios FILE            firmware image (pc: default %s;\n"
		"                        test: a ROM whose last 16 bytes hold the reset vector;\n"
		"                        without one the test machine runs the built-in demo ROM)\n"
		"  -hda FILE, -hdb FILE  raw hard disk images (primary master / slave)\n"
		"  -cdrom FILE           ISO 9660 image in the CD-ROM drive (secondary master)\n"
		"  -snapshot             guest writes to disks go to a temporary overlay: the\n"
		"                        images are left untouched\n"
		"  -boot ORDER           boot device order: letters c (hard disk), d (CD-ROM),\n"
		"                        a (floppy), n (option ROM); default cd\n"
		"  -kernel FILE          boot this Linux bzImage directly\n"
		"  -initrd FILE          its initial ramdisk\n"
		"  -append STRING        its command line\n"
		"  -no-reboot            end the run when the guest resets or triple-faults\n"
		"  -rtc base=utc|DATE    start the RTC at the host time (default) or at DATE\n"
		"                        (YYYY-MM-DDTHH:MM:SS, UTC) for repeatable runs\n"
		"  -icount SHIFT         virtual time advances 2^SHIFT ns per instruction and\n"
		"                        idle time is skipped (default: real time)\n"
		"\n"
		"Input and output:\n"
		"  -display sdl|none     a window showing the screen, with keyboard and mouse\n"
		"                        (Ctrl+Alt + F fullscreen, P pause, S screenshot, Q quit;\n"
		"                        Ctrl+Alt alone releases the mouse), or none; default:\n"
		"                        a window when $DISPLAY or $WAYLAND_DISPLAY is set\n"
		"  -nographic            -display none with the serial port on the terminal\n"
		"  -serial stdio|file:PATH|none\n"
		"                        COM1 (default stdio); on a terminal, Ctrl-A x quits\n"
		"  -debugcon [PORT:]FILE bytes written to port 0xE9 (or PORT: 0x402 is SeaBIOS's\n"
		"                        debug log) go to FILE ('stdio' for standard output)\n"
		"  --screenshot FILE.png save the screen as PNG when the run ends\n"
		"  --screen-text FILE    save the text screen's characters when the run ends\n"
		"  --timeout SECONDS     end the run after SECONDS of host time (status 124)\n"
		"  --exit-on-serial REGEX\n"
		"                        end the run with status 0 when a line of serial\n"
		"                        output matches REGEX (POSIX extended)\n"
		"  --post-log FILE       log every POST code written to port 0x80\n"
		"\n"
		"Tracing (file format: docs/trace-format.md; read with shade86-trace):\n"
		"  --trace FILE          record the executed instructions to FILE\n"
		"  --trace-what LIST     what to record besides instructions, comma separated:\n"
		"                        regs (changed registers), mem (data accesses), io\n"
		"                        (port I/O), irq (interrupts, exceptions); or all\n"
		"  --trace-range LO-HI   only instructions at linear addresses LO..HI\n"
		"  --trace-cpl N         only instructions at CPL N (0-3)\n"
		"  --trace-cr3 VALUE     only instructions in the address space with that CR3\n"
		"  --trace-start WHEN    start at instruction count N, or 'magic': each\n"
		"                        xchg bx,bx in the guest starts/stops, or 'port:P': the\n"
		"                        guest writes non-zero to port P to start, zero to stop\n"
		"  --trace-stop N        stop at instruction count N\n"
		"\n"
		"Execution:\n"
		"  --engine bt|interp    run guest code translated (bt) or interpreted (interp;\n"
		"                        default %s)\n"
		"  --check-lockstep      (bt) run every translated block on the interpreter too\n"
		"                        and compare registers, flags, memory written and\n"
		"                        exceptions; stop with a report at the first difference\n"
		"  --tc-stats            (bt) print the translator's counters and the 20\n"
		"                        hottest blocks at exit\n"
		"  --tc-size MIB         (bt) host code buffer size (default 64)\n"
		"\n"
		"Debugging:\n"
		"  --max-insns N         stop after N guest instructions\n"
		"  --check-mmu           check every shadow page table hit against a fresh page\n"
		"                        walk; stop with a report at the first mismatch\n"
		"  -v                    status lines (instructions, MIPS) on stderr\n"
		"  -h, --help            this text\n"
		"  --version             version\n"
		"\n"
		"Exit status: 0 guest power-off (ACPI, or \"Shutdown\" to port 0x8900) or\n"
		"--exit-on-serial matched; (v<<1)|1 the guest wrote v to port 0xF4;\n"
		"%d bad command line; %d a file could not be loaded; %d triple fault\n"
		"(-no-reboot); %d instruction limit; %d guest halted with interrupts off\n"
		"(Linux's halt without a power-off method); %d reset (-no-reboot);\n"
		"%d --check-mmu mismatch; %d a disk image could not be written back;\n"
		"%d the trace could not be written (disk full); %d --check-lockstep\n"
		"found a difference; 70 an internal error (a host fault: a bug in\n"
		"shade86, reported on stderr); %d --timeout;\n"
		"128+N ended by signal N (SIGINT 130, SIGTERM 143).\n",
		"/usr/share/seabios/bios.bin", DEFAULT_ENGINE_NAME,
		EXIT_USAGE, EXIT_LOAD, EXIT_TRIPLE_FAULT, EXIT_INSN_LIMIT, EXIT_HALTED, EXIT_RESET,
		EXIT_MMU_CHECK, EXIT_DISK, EXIT_TRACE, EXIT_LOCKSTEP, EXIT_TIMEOUT);
}

static int die_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "shade86: %s%s%s (see shade86 --help)\n", msg, arg ? ": " : "", arg ? arg : "");
	return EXIT_USAGE;
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

/* -rtc base=utc | base=YYYY-MM-DDTHH:MM:SS (UTC) | base=localtime (treated as utc) */
static int parse_rtc(const char *s, struct options *o)
{
	if (strncmp(s, "base=", 5))
		return -1;
	s += 5;
	if (!strcmp(s, "utc") || !strcmp(s, "localtime")) {
		o->rtc_fixed = false;
		return 0;
	}
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0;
	if (sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) < 3 && sscanf(s, "%d-%d-%d", &y, &mo, &d) != 3)
		return -1;
	if (y < 1970 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	o->rtc_base = (long long)timegm(&tm);
	o->rtc_fixed = true;
	return 0;
}

int main(int argc, char **argv)
{
	static struct options o;
	FILE *opened[MAX_CONSOLES + 1] = { 0 };
	unsigned nopened = 0;
	bool explicit_cons = false;

	o.ram = 128u << 20;
	o.max_insns = UINT64_MAX;
	o.icount_shift = -1;
	o.serial = SERIAL_STDIO;
	o.trace.range_lo = 1;            /* lo > hi: no range filter */
	o.trace.cpl = -1;
	o.trace.cr3 = -1;
	o.trace.port = -1;
	bool trace_opts = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		/* options with a value: accept both -opt and --opt spellings */
		if (a[0] == '-' && a[1] == '-' && a[2] && strcmp(a, "--help") && strcmp(a, "--version") &&
		    strncmp(a, "--screen", 8) && strcmp(a, "--timeout") && strcmp(a, "--exit-on-serial") &&
		    strcmp(a, "--post-log") && strcmp(a, "--max-insns") && strcmp(a, "--check-mmu") &&
		    strcmp(a, "--engine") && strcmp(a, "--check-lockstep") && strcmp(a, "--tc-stats") &&
		    strcmp(a, "--tc-size"))
			a++;
#define NEED(what) do { if (!v) return die_usage(a, "needs " what); i++; } while (0)
		if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "-help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--version") || !strcmp(a, "-version")) {
			printf("shade86 0.2 (interpreter; pc and test machines)\n");
			return 0;
		} else if (!strcmp(a, "-v")) {
			o.verbose = true;
		} else if (!strcmp(a, "--check-mmu")) {
			o.check_mmu = true;
		} else if (!strcmp(a, "--engine")) {
			NEED("bt or interp");
			if (!strcmp(v, "bt"))
				o.engine = ENGINE_BT;
			else if (!strcmp(v, "interp"))
				o.engine = ENGINE_INTERP;
			else
				return die_usage("--engine takes bt or interp", v);
			o.engine_given = true;
		} else if (!strcmp(a, "--check-lockstep")) {
			o.check_lockstep = true;
		} else if (!strcmp(a, "--tc-stats")) {
			o.tc_stats = true;
		} else if (!strcmp(a, "--tc-size")) {
			char *end;
			unsigned long mib = v ? strtoul(v, &end, 10) : 0;
			if (!v || *end || !*v || mib < 1 || mib > 1024)
				return die_usage("--tc-size takes a size in MiB between 1 and 1024", v);
			o.tc_size = (uint32_t)(mib << 20);
			i++;
		} else if (!strcmp(a, "-bios")) {
			NEED("a file name");
			o.bios = v;
		} else if (!strcmp(a, "-m")) {
			if (!v || parse_size_mib(v, &o.ram))
				return die_usage("-m needs a size in MiB between 1 and 3584", v);
			i++;
		} else if (!strcmp(a, "-machine") || !strcmp(a, "-M")) {
			NEED("pc or test");
			if (!strcmp(v, "test"))
				o.machine_test = true;
			else if (!strcmp(v, "pc") || !strncmp(v, "pc,", 3) || !strcmp(v, "pc-i440fx"))
				o.machine_test = false;
			else
				return die_usage("unknown machine (pc or test)", v);
		} else if (!strcmp(a, "-hda") || !strcmp(a, "-hdb") || !strcmp(a, "-cdrom")) {
			NEED("an image file");
			*(a[1] == 'c' ? &o.cdrom : a[3] == 'a' ? &o.hda : &o.hdb) = v;
		} else if (!strcmp(a, "-snapshot")) {
			o.snapshot = true;
		} else if (!strcmp(a, "-boot")) {
			NEED("an order such as c or d");
			o.boot = !strncmp(v, "order=", 6) ? v + 6 : v;
		} else if (!strcmp(a, "-kernel")) {
			NEED("a bzImage");
			o.kernel = v;
		} else if (!strcmp(a, "-initrd")) {
			NEED("a file");
			o.initrd = v;
		} else if (!strcmp(a, "-append")) {
			NEED("a command line");
			o.append = v;
		} else if (!strcmp(a, "-no-reboot")) {
			o.no_reboot = true;
		} else if (!strcmp(a, "-rtc")) {
			if (!v || parse_rtc(v, &o))
				return die_usage("-rtc needs base=utc or base=YYYY-MM-DDTHH:MM:SS", v);
			i++;
		} else if (!strcmp(a, "-icount")) {
			char *end;
			const char *s = v && !strncmp(v, "shift=", 6) ? v + 6 : v;
			long n = s ? strtol(s, &end, 10) : -1;
			if (!s || *end || end == s || n < 0 || n > 10)
				return die_usage("-icount needs a shift between 0 and 10", v);
			o.icount_shift = (int)n;
			i++;
		} else if (!strcmp(a, "-display")) {
			NEED("sdl or none");
			if (!strcmp(v, "sdl"))
				o.display = DISPLAY_SDL;
			else if (!strcmp(v, "none"))
				o.display = DISPLAY_NONE;
			else
				return die_usage("-display takes sdl or none", v);
		} else if (!strcmp(a, "-nographic")) {
			o.serial = SERIAL_STDIO;
			o.display = DISPLAY_NONE;
		} else if (!strcmp(a, "-serial")) {
			NEED("stdio, file:PATH or none");
			if (!strcmp(v, "stdio") || !strcmp(v, "mon:stdio"))
				o.serial = SERIAL_STDIO;
			else if (!strcmp(v, "none") || !strcmp(v, "null"))
				o.serial = SERIAL_NONE;
			else if (!strncmp(v, "file:", 5) && v[5])
				o.serial = SERIAL_FILE, o.serial_path = v + 5;
			else
				return die_usage("-serial takes stdio, file:PATH or none", v);
		} else if (!strcmp(a, "--screenshot")) {
			NEED("a file name");
			o.screenshot = v;
		} else if (!strcmp(a, "--screen-text")) {
			NEED("a file name");
			o.screen_text = v;
		} else if (!strcmp(a, "--timeout")) {
			char *end;
			o.timeout = v ? strtod(v, &end) : 0;
			if (!v || *end || end == v || !(o.timeout > 0))
				return die_usage("--timeout needs a number of seconds", v);
			i++;
		} else if (!strcmp(a, "--exit-on-serial")) {
			NEED("a regular expression");
			o.exit_on_serial = v;
		} else if (!strcmp(a, "-debugcon")) {
			NEED("[PORT:]FILE");
			if (!explicit_cons)
				o.ncons = 0;   /* the first -debugcon replaces the default console */
			explicit_cons = true;
			if (o.ncons >= MAX_CONSOLES)
				return die_usage("too many -debugcon options", v);
			unsigned long port = 0xe9;
			const char *file = v;
			const char *colon = strchr(v, ':');
			if (colon && colon != v && strncmp(v, "file:", 5)) {
				char *end;
				port = strtoul(v, &end, 0);
				if (end != colon || port > 0xffff)
					return die_usage("bad port in -debugcon", v);
				file = colon + 1;
			} else if (!strncmp(v, "file:", 5)) {
				file = v + 5;
			}
			FILE *f = stdout;
			if (strcmp(file, "stdio")) {
				f = fopen(file, "w");
				if (!f) {
					fprintf(stderr, "shade86: cannot create '%s': %s\n", file, strerror(errno));
					return EXIT_LOAD;
				}
				opened[nopened++] = f;
			}
			o.cons[o.ncons++] = (struct console_spec){ (uint16_t)port, f };
		} else if (!strcmp(a, "--post-log")) {
			NEED("a file name");
			if (!(o.postlog = fopen(v, "w"))) {
				fprintf(stderr, "shade86: cannot create '%s': %s\n", v, strerror(errno));
				return EXIT_LOAD;
			}
			opened[nopened++] = o.postlog;
		} else if (!strcmp(a, "-trace")) {
			NEED("a file name");
			o.trace_path = v;
		} else if (!strncmp(a, "-trace-", 7)) {
			trace_opts = true;
			if (!v)
				return die_usage(a, "needs a value");
			i++;
			if (!strcmp(a, "-trace-what")) {
				if (tracing_parse_what(v, &o.trace.what))
					return die_usage("--trace-what takes insn,regs,mem,io,irq or all", v);
			} else if (!strcmp(a, "-trace-range")) {
				if (tracing_parse_range(v, &o.trace.range_lo, &o.trace.range_hi))
					return die_usage("--trace-range takes LO-HI (linear addresses, LO <= HI)", v);
			} else if (!strcmp(a, "-trace-cpl")) {
				if (strlen(v) != 1 || v[0] < '0' || v[0] > '3')
					return die_usage("--trace-cpl takes 0, 1, 2 or 3", v);
				o.trace.cpl = v[0] - '0';
			} else if (!strcmp(a, "-trace-cr3")) {
				char *end;
				errno = 0;
				unsigned long long c = strtoull(v, &end, 0);
				if (errno || *end || !*v || c > 0xffffffffull)
					return die_usage("--trace-cr3 takes a 32-bit value", v);
				o.trace.cr3 = (int64_t)c;
			} else if (!strcmp(a, "-trace-start")) {
				if (tracing_parse_start(v, &o.trace))
					return die_usage("--trace-start takes an instruction count, magic or port:P", v);
			} else if (!strcmp(a, "-trace-stop")) {
				char *end;
				errno = 0;
				o.trace.stop_icount = strtoull(v, &end, 0);
				if (errno || *end || !*v || o.trace.stop_icount == 0)
					return die_usage("--trace-stop takes an instruction count", v);
			} else {
				return die_usage("unknown option", argv[i - 1]);
			}
		} else if (!strcmp(a, "--max-insns")) {
			char *end;
			if (!v || (o.max_insns = strtoull(v, &end, 0), *end) || !*v)
				return die_usage("--max-insns needs a number", v);
			i++;
		} else {
			return die_usage("unknown option", argv[i]);
		}
#undef NEED
	}
	if (!o.engine_given)
		o.engine = DEFAULT_ENGINE;
	if ((o.check_lockstep || o.tc_stats) && o.engine != ENGINE_BT)
		return die_usage("--check-lockstep and --tc-stats need --engine bt", NULL);
	if (trace_opts && !o.trace_path)
		return die_usage("the --trace-* options need --trace FILE", NULL);
	/* a PC with nothing to boot boots the built-in demo disk */
	if (!o.machine_test && !o.hda && !o.hdb && !o.cdrom && !o.kernel)
		o.builtin_demo = true;
	/* the test machine's console on 0xE9 goes to stdout unless -debugcon says otherwise */
	if (o.machine_test && !explicit_cons)
		o.cons[o.ncons++] = (struct console_spec){ 0xe9, stdout };
	if (o.machine_test && (o.hda || o.hdb || o.cdrom || o.kernel))
		return die_usage("the test machine has no disks and no kernel loader (use -machine pc)", NULL);
	if ((o.initrd || o.append) && !o.kernel)
		return die_usage("-initrd and -append need -kernel", NULL);

	int status = o.machine_test ? run_test_machine(&o) : run_pc(&o);
	fflush(stdout);
	for (unsigned k = 0; k < nopened; k++)
		fclose(opened[k]);
	return status;
}

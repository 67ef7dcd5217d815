/*
 * Running the PC without a window: serial port on the terminal or a file,
 * host time pacing (sleeping while the guest idles), --timeout,
 * --exit-on-serial, a PNG screenshot at the end, disks flushed on every way
 * out (including SIGINT/SIGTERM), and the exit status that says how the run
 * ended (exitcodes.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../bt/bt.h"
#include "../devices/linuxboot.h"
#include "../devices/pc.h"
#include "display.h"
#include "exitcodes.h"
#include "options.h"
#include "tracing.h"
#include "png.h"   /* frontends/png.h (quoted: found before a system libpng png.h) */

extern const unsigned char builtin_linuxboot_rom[];
extern const unsigned int builtin_linuxboot_rom_len;
extern const unsigned char builtin_demo_disk[];
extern const unsigned int builtin_demo_disk_len;

/* The built-in demo disk as a temporary file: the guest may write to it,
 * nothing is kept (the file is unlinked once the disk is open). */
static int demo_disk_file(char *path, size_t len)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, len, "%s/shade86-demo-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < builtin_demo_disk_len) {
		ssize_t n = write(fd, builtin_demo_disk + done, builtin_demo_disk_len - done);
		if (n <= 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;
}

struct headless {
	struct pc pc;
	struct options *o;
	FILE *serial_out;
	bool serial_in;            /* stdin feeds COM1 */
	bool raw_tty;
	struct termios saved_tty;
	uint8_t inbuf[256];        /* host input not yet taken by the UART */
	size_t in_len, in_pos;
	bool ctrl_a;               /* the last terminal byte was Ctrl-A */
	bool quit;                 /* Ctrl-A x */
	bool stdin_eof;
	regex_t re;
	bool have_re, matched;
	bool serial_dirty;         /* bytes written since the last flush */
	char line[1024];           /* the serial line being received (for the regex) */
	size_t line_len;
	struct display *display;   /* -display sdl, or NULL */
};

static volatile sig_atomic_t got_signal;
static struct cpu *signal_cpu;

static void on_signal(int sig)
{
	got_signal = sig;
	if (signal_cpu)
		cpu_request(signal_cpu, CPU_REQ_STOP);
}

/* COM1 output: to the terminal or file, and through the --exit-on-serial regex
 * one line at a time (a partial line is tried too, for prompts). */
static void serial_tx(void *opaque, uint8_t byte)
{
	struct headless *h = opaque;
	if (h->serial_out) {
		fputc(byte, h->serial_out);
		h->serial_dirty = true;
	}
	if (!h->have_re || h->matched)
		return;
	if (byte == '\n' || byte == '\r') {
		h->line_len = 0;
		return;
	}
	/* a long line without an end (a full-screen program drawing with escape
	 * sequences): keep its last half, so text drawn late still matches */
	if (h->line_len + 1 >= sizeof(h->line)) {
		size_t keep = sizeof(h->line) / 2;
		memmove(h->line, h->line + h->line_len - keep, keep);
		h->line_len = keep;
	}
	h->line[h->line_len++] = (char)byte;
	h->line[h->line_len] = 0;
	if (!regexec(&h->re, h->line, 0, NULL, 0)) {
		h->matched = true;
		cpu_request(&h->pc.cpu, CPU_REQ_STOP);
	}
}

static void restore_tty(struct headless *h)
{
	if (h->raw_tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &h->saved_tty);
		h->raw_tty = false;
	}
}

/* Serial input from stdin: a terminal is put in raw mode (keys go to the
 * guest; Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A). */
static void setup_input(struct headless *h)
{
	if (h->o->serial != SERIAL_STDIO)
		return;
	h->serial_in = true;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &h->saved_tty) == 0) {
		struct termios t = h->saved_tty;
		cfmakeraw(&t);
		t.c_oflag |= OPOST | ONLCR;   /* keep our own messages readable */
		if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
			h->raw_tty = true;
	}
	int fl = fcntl(STDIN_FILENO, F_GETFL);
	if (fl >= 0)
		fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK);
}

static void pump_input(struct headless *h)
{
	if (!h->serial_in)
		return;
	if (h->in_pos == h->in_len && !h->stdin_eof) {
		ssize_t n = read(STDIN_FILENO, h->inbuf, sizeof(h->inbuf));
		h->in_pos = h->in_len = 0;
		if (n == 0)
			h->stdin_eof = true;
		if (n <= 0)
			return;
		/* Ctrl-A escapes on a terminal */
		size_t k = 0;
		for (ssize_t i = 0; i < n; i++) {
			uint8_t c = h->inbuf[i];
			if (h->raw_tty && h->ctrl_a) {
				h->ctrl_a = false;
				if (c == 'x' || c == 'X') {
					h->quit = true;
					cpu_request(&h->pc.cpu, CPU_REQ_STOP);
					break;
				}
				if (c != 1)
					continue;   /* unknown escape: dropped */
			} else if (h->raw_tty && c == 1) {
				h->ctrl_a = true;
				continue;
			}
			h->inbuf[k++] = c;
		}
		h->in_len = k;
	}
	if (h->in_pos < h->in_len)
		h->in_pos += uart_receive(&h->pc.uart[0], h->inbuf + h->in_pos, h->in_len - h->in_pos);
}

/* Sleep until host time `until` (ns), or until stdin has input. */
static void idle_wait(struct headless *h, uint64_t until)
{
	uint64_t now = pc_host_ns();
	if (until <= now)
		return;
	uint64_t ns = until - now;
	if (ns > 100000000)
		ns = 100000000;   /* look at the signals and the timeout now and then */
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
	bool poll_in = h->serial_in && !h->stdin_eof && h->in_pos == h->in_len;
	ppoll(&p, poll_in ? 1 : 0, &ts, NULL);
	h->pc.idle_ns += pc_host_ns() - now;
}

static int screenshot(struct headless *h)
{
	struct options *o = h->o;
	int rc = 0;
	if (o->screenshot) {
		enum { MAXW = 2560, MAXH = 1600 };
		uint32_t *rgb = malloc(sizeof(uint32_t) * MAXW * MAXH);
		unsigned w = 0, hh = 0;
		char err[300];
		if (!rgb) {
			fprintf(stderr, "shade86: --screenshot: out of memory\n");
			rc = -1;
		} else {
			if (vga_render(&h->pc.vga, rgb, MAXW, MAXH, &w, &hh) || !w || !hh) {
				/* the screen is off: a black VGA-sized picture says so */
				w = 640;
				hh = 480;
				memset(rgb, 0, sizeof(uint32_t) * w * hh);
			}
			if (png_write_rgb(o->screenshot, rgb, w, hh, err, sizeof(err))) {
				fprintf(stderr, "shade86: --screenshot: %s\n", err);
				rc = -1;
			}
			free(rgb);
		}
	}
	if (o->screen_text) {
		FILE *f = fopen(o->screen_text, "w");
		if (!f) {
			fprintf(stderr, "shade86: --screen-text: cannot create '%s': %s\n", o->screen_text, strerror(errno));
			return -1;
		}
		unsigned cols, rows;
		vga_text_size(&h->pc.vga, &cols, &rows);
		for (unsigned r = 0; r < rows; r++) {
			const char *s = vga_text_row(&h->pc.vga, r);
			fprintf(f, "%s\n", s ? s : "");
		}
		if (fclose(f)) {
			fprintf(stderr, "shade86: --screen-text: cannot write '%s': %s\n", o->screen_text, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

static void status_line(struct headless *h, uint64_t t0, uint64_t *last_icount, uint64_t *last_t, bool final)
{
	uint64_t now = pc_host_ns();
	struct pc *pc = &h->pc;
	double dt = (double)(now - *last_t) / 1e9;
	double total = (double)(now - t0) / 1e9;
	double mips = dt > 0 ? (double)(pc->cpu.icount - *last_icount) / dt / 1e6 : 0;
	if (final)
		mips = total > 0 ? (double)pc->cpu.icount / total / 1e6 : 0;
	fprintf(stderr, "%sshade86: %.1f s, %" PRIu64 " instructions, %.1f MIPS%s, virtual time %.3f s (%.3f s idle), at %04X:%08X%s",
		h->raw_tty ? "\r" : "", total, pc->cpu.icount, mips, final ? " on average" : "",
		(double)vclock_now(&pc->clock) / 1e9, (double)pc->idle_ns / 1e9,
		pc->cpu.seg[S_CS].sel, pc->cpu.eip, h->raw_tty ? "\r\n" : "\n");
	*last_icount = pc->cpu.icount;
	*last_t = now;
}

int run_pc(struct options *o)
{
	static struct headless h;
	memset(&h, 0, sizeof(h));
	h.o = o;
	if (o->exit_on_serial) {
		int e = regcomp(&h.re, o->exit_on_serial, REG_EXTENDED | REG_NOSUB);
		if (e) {
			char msg[200];
			regerror(e, &h.re, msg, sizeof(msg));
			fprintf(stderr, "shade86: --exit-on-serial: bad regular expression '%s': %s\n", o->exit_on_serial, msg);
			return EXIT_USAGE;
		}
		h.have_re = true;
	}
	if (o->serial == SERIAL_STDIO) {
		h.serial_out = stdout;
	} else if (o->serial == SERIAL_FILE) {
		h.serial_out = fopen(o->serial_path, "w");
		if (!h.serial_out) {
			fprintf(stderr, "shade86: -serial: cannot create '%s': %s\n", o->serial_path, strerror(errno));
			return EXIT_LOAD;
		}
	}

	char demo_path[4200] = "";
	if (o->builtin_demo && demo_disk_file(demo_path, sizeof(demo_path))) {
		fprintf(stderr, "shade86: cannot write the demo disk to a temporary file: %s\n", strerror(errno));
		return EXIT_LOAD;
	}
	struct pc_config cfg = { 0 };
	cfg.ram_size = o->ram;
	cfg.bios = o->bios;
	cfg.drive[PC_HDA] = o->builtin_demo ? demo_path : o->hda;
	cfg.drive[PC_HDB] = o->hdb;
	cfg.drive[PC_CDROM] = o->cdrom;
	cfg.snapshot = o->snapshot;
	cfg.boot = o->boot;
	cfg.serial[0] = (struct uart_backend){ serial_tx, &h };
	cfg.icount_shift = o->icount_shift;
	cfg.rtc_start = o->rtc_fixed ? (time_t)o->rtc_base : time(NULL);
	cfg.postlog = o->postlog;
	for (unsigned i = 0; i < o->ncons; i++) {
		if (o->cons[i].port == 0xe9)
			cfg.debugcon = o->cons[i].out;
		else if (o->cons[i].port == 0x402)
			cfg.firmware_log = o->cons[i].out;
		else {
			fprintf(stderr, "shade86: -debugcon: the PC has consoles at 0xE9 and 0x402 only\n");
			return EXIT_USAGE;
		}
	}

	struct pc *pc = &h.pc;
	int init = pc_init(pc, &cfg);
	if (demo_path[0])
		unlink(demo_path);
	if (init) {
		fprintf(stderr, "shade86: %s\n", pc->error);
		return EXIT_LOAD;
	}
	if (o->kernel) {
		char err[400];
		if (linuxboot_setup(&pc->fwcfg, o->ram, o->kernel, o->initrd, o->append,
				    builtin_linuxboot_rom, builtin_linuxboot_rom_len, err, sizeof(err))) {
			fprintf(stderr, "shade86: %s\n", err);
			pc_free(pc);
			return EXIT_LOAD;
		}
	}
	pc->cpu.shadow.check = o->check_mmu;
	int estatus = engine_start(o, &pc->cpu);
	if (estatus) {
		pc_free(pc);
		return estatus;
	}

	signal_cpu = &pc->cpu;
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	setup_input(&h);
	if (o->display != DISPLAY_NONE) {
		char err[300];
		h.display = display_open(pc, err, sizeof(err));
		if (!h.display && o->display == DISPLAY_SDL) {
			restore_tty(&h);
			fprintf(stderr, "shade86: -display sdl: %s (use -display none)\n", err);
			pc_free(pc);
			return EXIT_USAGE;
		}
		/* the first run of a new user (make run): say why there is no window */
		if (!h.display && o->builtin_demo)
			fprintf(stderr, "shade86: no window: %s; running the demo headless "
				"(its serial output below%s)\n", err, h.raw_tty ? "; Ctrl-A x quits" : "");
	}

	int tstatus;
	struct tracing *tr = tracing_start(o, &pc->cpu, "pc", &tstatus);
	if (tstatus) {
		restore_tty(&h);
		signal_cpu = NULL;
		if (h.display)
			display_close(h.display);
		pc_free(pc);
		return tstatus;
	}

	uint64_t t0 = pc_host_ns(), last_t = t0, last_icount = 0, last_status = t0;
	uint64_t deadline = o->timeout > 0 ? t0 + (uint64_t)(o->timeout * 1e9) : UINT64_MAX;
	int status = -1;
	while (status < 0) {
		/* with a window, slices of a few milliseconds keep it responsive */
		uint64_t budget = h.display ? 100000 : 1000000;
		uint64_t used = pc->cpu.icount;
		if (used >= o->max_insns) {
			fprintf(stderr, "shade86: instruction limit reached at %04X:%08X\n",
				pc->cpu.seg[S_CS].sel, pc->cpu.eip);
			status = EXIT_INSN_LIMIT;
			break;
		}
		if (o->max_insns - used < budget)
			budget = o->max_insns - used;
		pump_input(&h);
		enum pc_event ev = PC_IDLE;
		if (!h.display || !display_paused(h.display))
			ev = pc_run(pc, budget);
		uint64_t now = pc_host_ns();
		if (pc->cpu.trace_failed) {
			status = EXIT_TRACE;     /* tracing_end says why */
			break;
		}
		if (bt_lockstep_failure(&pc->cpu)) {
			status = EXIT_LOCKSTEP;  /* engine_end reports it */
			break;
		}
		if (h.display) {
			double mips = now > last_t ? (double)(pc->cpu.icount - last_icount) * 1e3 / (double)(now - last_t) : 0;
			if (now - last_t > 1000000000u) {
				last_icount = pc->cpu.icount;
				last_t = now;
			}
			if (display_poll(h.display, mips) == DISPLAY_QUIT) {
				status = EXIT_OK;
				break;
			}
		}
		if (h.serial_dirty) {
			/* a million instructions at most between flushes: output shows up
			 * promptly even without newlines (full-screen programs) */
			fflush(h.serial_out);
			h.serial_dirty = false;
		}
		if (o->verbose && now - last_status >= 2000000000u) {
			status_line(&h, t0, &last_icount, &last_t, false);
			last_status = now;
		}
		if (got_signal) {
			fprintf(stderr, "%sshade86: stopped by signal %d\n", h.raw_tty ? "\r\n" : "", (int)got_signal);
			status = EXIT_SIGNAL + got_signal;
			break;
		}
		if (h.matched) {
			status = EXIT_OK;
			break;
		}
		if (h.quit) {
			status = EXIT_OK;
			break;
		}
		if (now >= deadline) {
			fprintf(stderr, "%sshade86: timeout after %g s\n", h.raw_tty ? "\r\n" : "", o->timeout);
			status = EXIT_TIMEOUT;
			break;
		}
		switch (ev) {
		case PC_RUNNING:
			break;
		case PC_IDLE: {
			uint64_t until = h.display && display_paused(h.display) ? UINT64_MAX : pc_next_deadline(pc);
			if (until > deadline)
				until = deadline;
			if (h.display && display_next_frame(h.display) < until)
				until = display_next_frame(h.display);
			idle_wait(&h, until);
			break;
		}
		case PC_HALTED:
			fprintf(stderr, "shade86: guest halted with interrupts disabled at %04X:%08X\n",
				pc->cpu.seg[S_CS].sel, pc->cpu.eip);
			status = EXIT_HALTED;
			break;
		case PC_POWEROFF:
			status = EXIT_OK;
			break;
		case PC_EXIT_PORT:
			status = pc->exit.status;
			break;
		case PC_RESET:
		case PC_TRIPLE_FAULT:
			if (o->no_reboot) {
				if (ev == PC_TRIPLE_FAULT)
					fprintf(stderr, "shade86: triple fault at %04X:%08X\n",
						pc->cpu.seg[S_CS].sel, pc->cpu.eip);
				else
					fprintf(stderr, "shade86: guest requested a reset\n");
				status = ev == PC_TRIPLE_FAULT ? EXIT_TRIPLE_FAULT : EXIT_RESET;
			} else {
				if (o->verbose)
					fprintf(stderr, "shade86: %s: resetting the machine\n",
						ev == PC_TRIPLE_FAULT ? "triple fault" : "reset requested");
				pc_reset(pc);
			}
			break;
		case PC_STOPPED:
			cpu_clear_request(&pc->cpu, CPU_REQ_STOP);
			break;
		case PC_MMU_CHECK:
			fprintf(stderr, "shade86: --check-mmu: %s\n", pc->cpu.shadow.check_report);
			status = EXIT_MMU_CHECK;
			break;
		}
	}
	restore_tty(&h);
	signal_cpu = NULL;
	if ((tstatus = tracing_end(tr, &pc->cpu)))
		status = tstatus;
	status = engine_end(o, &pc->cpu, status);
	if (h.display)
		display_close(h.display);
	if (h.serial_out)
		fflush(h.serial_out);
	if (o->verbose)
		status_line(&h, t0, &last_icount, &last_t, true);
	if (screenshot(&h) && status == EXIT_OK)
		status = EXIT_LOAD;
	if (pc_flush_disks(pc)) {
		fprintf(stderr, "shade86: %s\n", pc->error);
		status = EXIT_DISK;
	}
	pc_free(pc);
	if (h.serial_out && h.serial_out != stdout)
		fclose(h.serial_out);
	if (h.have_re)
		regfree(&h.re);
	return status;
}

/*
 * benchrun - run one benchmark command between two marker lines.
 *
 *   benchrun NAME [-i INFILE] [-o OUTFILE] [--] PROGRAM [ARGS...]
 *
 * Prints "BENCH-BEGIN NAME", runs PROGRAM (stdin from INFILE, stdout to
 * OUTFILE when given), then "BENCH-END NAME status=S ns=N": S is the exit
 * status (128 + signal number if it was killed), N the nanoseconds of
 * CLOCK_MONOTONIC between fork and the end of the wait.  In a guest that
 * clock is the guest's; tests/bench/guest.sh timestamps the two lines on the
 * host as they arrive on the serial port, which does not trust the guest
 * clock.  The lines go out with write(2), one call each, so they are not
 * held in a stdio buffer while the command runs.
 *
 * Built -m32 -static into the benchmark image (roms/mkbench.sh) and for the
 * host; the exit status is PROGRAM's.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void say(const char *line)
{
	size_t n = strlen(line), done = 0;
	while (done < n) {
		ssize_t w = write(STDOUT_FILENO, line + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		done += (size_t)w;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Put FILE on descriptor FD (in the child); exits 127 if it cannot. */
static void redirect(const char *file, int fd, int flags)
{
	int f = open(file, flags, 0644);
	if (f < 0 || dup2(f, fd) < 0) {
		fprintf(stderr, "benchrun: %s: %s\n", file, strerror(errno));
		_exit(127);
	}
	close(f);
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	int i = 2;
	if (argc < 3) {
		fprintf(stderr, "usage: benchrun NAME [-i INFILE] [-o OUTFILE] [--] PROGRAM [ARGS...]\n");
		return 2;
	}
	const char *name = argv[1];
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "-i") && i + 1 < argc) {
			in = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[i + 1];
			i += 2;
		} else {
			fprintf(stderr, "benchrun: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "benchrun: no program to run\n");
		return 2;
	}

	char line[256];
	snprintf(line, sizeof line, "BENCH-BEGIN %s\n", name);
	say(line);
	uint64_t t0 = now_ns();
	pid_t pid = fork();
	if (pid == 0) {
		if (in)
			redirect(in, STDIN_FILENO, O_RDONLY);
		if (out)
			redirect(out, STDOUT_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
		execvp(argv[i], argv + i);
		fprintf(stderr, "benchrun: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	int st = 0, status;
	if (pid < 0) {
		fprintf(stderr, "benchrun: fork: %s\n", strerror(errno));
		status = 127;
	} else {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	}
	uint64_t t1 = now_ns();
	snprintf(line, sizeof line, "BENCH-END %s status=%d ns=%llu\n", name, status,
		 (unsigned long long)(t1 - t0));
	say(line);
	return status;
}

/*
 * kbench - kernel micro-benchmarks: what a guest kernel's common paths cost.
 *
 *   kbench getpid N    N getpid system calls (syscall(2), never a cached pid)
 *   kbench fork N      N times fork, the child _exits at once, the parent waits
 *   kbench fault N     N page faults: touch every 4 KiB page of fresh anonymous
 *                      mappings (16 MiB each, unmapped after; no huge pages)
 *   kbench signal N    N signals to ourselves (kill) caught by a handler
 *
 * Prints "kbench: TEST N ops S s NS ns/op" timed with CLOCK_MONOTONIC, and
 * exits 1 if the work was not all done (a child failed, a signal was lost).
 * tests/bench/guest.sh times the whole run from the host as well.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define REGION (16 << 20)

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int t_getpid(long n)
{
	long pid = syscall(SYS_getpid), bad = 0;
	for (long i = 0; i < n; i++)
		bad += syscall(SYS_getpid) != pid;
	return bad ? 1 : 0;
}

static int t_fork(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit(7);
		int st;
		if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 7) {
			fprintf(stderr, "kbench: fork %ld failed\n", i);
			return 1;
		}
	}
	return 0;
}

static int t_fault(long n)
{
	long per = REGION / PAGE;
	for (long done = 0; done < n; done += per) {
		long pages = n - done < per ? n - done : per;
		volatile unsigned char *m = mmap(NULL, (size_t)pages * PAGE, PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			perror("kbench: mmap");
			return 1;
		}
#ifdef MADV_NOHUGEPAGE
		/* one fault per 4 KiB page on a host with transparent huge pages too */
		madvise((void *)m, (size_t)pages * PAGE, MADV_NOHUGEPAGE);
#endif
		for (long p = 0; p < pages; p++)
			m[p * PAGE] = (unsigned char)p;
		unsigned sum = 0;
		for (long p = 0; p < pages; p++)
			sum += m[p * PAGE] == (unsigned char)p;
		munmap((void *)m, (size_t)pages * PAGE);
		if (sum != (unsigned)pages)
			return 1;
	}
	return 0;
}

static volatile sig_atomic_t caught;

static void on_usr1(int sig)
{
	(void)sig;
	caught++;
}

static int t_signal(long n)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return 1;
	pid_t self = getpid();
	for (long i = 0; i < n; i++)
		kill(self, SIGUSR1);
	return caught == n ? 0 : 1;
}

static const struct {
	const char *name;
	int (*run)(long n);
} tests[] = {
	{ "getpid", t_getpid },
	{ "fork", t_fork },
	{ "fault", t_fault },
	{ "signal", t_signal },
};

int main(int argc, char **argv)
{
	long n = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
	for (size_t i = 0; n > 0 && i < sizeof tests / sizeof tests[0]; i++) {
		if (strcmp(argv[1], tests[i].name))
			continue;
		uint64_t t0 = now_ns();
		int bad = tests[i].run(n);
		uint64_t t = now_ns() - t0;
		printf("kbench: %s %ld ops %.3f s %.1f ns/op%s\n", tests[i].name, n, (double)t * 1e-9,
		       (double)t / (double)n, bad ? " (FAILED)" : "");
		return bad;
	}
	fprintf(stderr, "usage: kbench getpid|fork|fault|signal N\n");
	return 2;
}

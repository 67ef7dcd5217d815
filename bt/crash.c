/*
 * A host fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE) is a bug in shade86, in its
 * translated code or in its C code alike: guest accesses never fault on the
 * host (the shadow tables send every miss to a handler, DIV is checked before
 * it runs).  It must not pass silently or turn into a guest exception: the
 * handler reports where (host PC, whether in the code buffer, the guest's
 * CS:EIP) on stderr with async-signal-safe writes and exits with status 70
 * (EX_SOFTWARE).  Sanitizer builds keep the sanitizer's own reports.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "bt_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define BT_CRASH_HANDLER 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BT_CRASH_HANDLER 0
#endif
#endif
#ifndef BT_CRASH_HANDLER
#define BT_CRASH_HANDLER 1
#endif

/* The one translator the report describes (a signal handler has no other way
 * to find it); set by bt_crash_watch. */
static struct bt *watched;
static char altstack[16384];

static void put(const char *s)
{
	ssize_t r = write(2, s, strlen(s));
	(void)r;
}

static void put_hex(uint64_t v, int digits)
{
	char b[17];
	for (int i = digits - 1; i >= 0; i--) {
		b[i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	}
	b[digits] = 0;
	put(b);
}

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	put("shade86: internal error: host signal ");
	put(sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGILL ? "SIGILL" : "SIGFPE");
	put(" at host PC ");
	put_hex(pc, 16);
	put(" (address ");
	put_hex((uint64_t)(uintptr_t)si->si_addr, 16);
	put(")");
	struct bt *bt = watched;
	if (bt) {
		const struct cpu *cpu = bt->cpu;
		bool in_tc = pc >= (uint64_t)(uintptr_t)bt->xbase && pc < (uint64_t)(uintptr_t)(bt->xbase + bt->size);
		put(in_tc ? ", in translated code at offset " : ", in shade86 itself");
		if (in_tc)
			put_hex(pc - (uint64_t)(uintptr_t)bt->xbase, 8);
		put("; guest at ");
		put_hex(cpu->seg[S_CS].sel, 4);
		put(":");
		put_hex(cpu->eip, 8);
		put(" (EIP of the last instruction stored), CR3 ");
		put_hex(cpu->cr3, 8);
	}
	put("\n");
	_exit(70);
}

void bt_crash_watch(struct bt *bt)
{
	watched = bt;
	if (!BT_CRASH_HANDLER || !bt)
		return;
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
}

/*
 * A host fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE) is a bug in shade86, in its
 * translated code or in its C code alike: guest accesses never fault on the
 * host (the shadow tables send every miss to a handler, DIV is checked before
 * it runs).  It must not pass silently or turn into a guest exception: the
 * handler reports where (host PC, whether in the code buffer, the guest's
 * CS:EIP) on stderr with async-signal-safe writes and exits with status 70
 * (EX_SOFTWARE).  Sanitizer builds keep the sanitizer's own reports.
 *
 * The one host fault that is not a bug: translated user code reaching a page
 * its window (mmu/window.h) does not map.  Such an access is a registered
 * site (bt_site_find) faulting inside the current window; the handler
 * resumes at the site's slow path, which runs the instruction from the state
 * before it and then maps the page.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "../cpu/memlog.h"
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

/* The translators attached in this process (a signal handler has no other
 * way to find them; tests attach several); set by bt_crash_watch. */
#define MAX_WATCHED 8
static struct bt *watched[MAX_WATCHED];

/* The translator whose code buffer holds pc, else the first one */
static struct bt *watched_at(uintptr_t pc, bool exact)
{
	struct bt *first = NULL;
	for (int i = 0; i < MAX_WATCHED; i++) {
		struct bt *bt = watched[i];
		if (!bt)
			continue;
		if (pc >= (uintptr_t)bt->xbase && pc - (uintptr_t)bt->xbase < bt->size)
			return bt;
		if (!first)
			first = bt;
	}
	return exact ? NULL : first;
}

static char altstack[16384];
static struct sigaction prev_segv;   /* what SIGSEGV did before (sanitizer builds chain to it) */

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

/* A fault of a window access: on to its slow path */
static bool window_fault(struct bt *bt, siginfo_t *si, ucontext_t *uc)
{
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	const struct bt_site *s = bt_site_find(bt, pc);
	uint64_t lin;
	if (!s || !win_lookup(&bt->cpu->shadow, (uintptr_t)si->si_addr, &lin))
		return false;
	bt->win_fault = lin < WIN_SPAN;
	bt->win_fault_lin = (uint32_t)lin;
	bt->cpu->shadow.win_stats.faults++;
	/* lockstep logged a store that did not happen */
	struct memlog *ml = bt->cpu->memlog;
	if ((s->stub & BT_SITE_LOGGED) && ml && ml->nw >= bt->win_logged)
		ml->nw -= bt->win_logged;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)(bt->xbase + (s->stub & ~BT_SITE_LOGGED));
	return true;
}

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	struct bt *in = watched_at((uintptr_t)pc, true);
	if (sig == SIGSEGV && in && window_fault(in, si, uc))
		return;
	if (!BT_CRASH_HANDLER) {
		/* the sanitizer's report: fault again under its handler */
		sigaction(SIGSEGV, &prev_segv, NULL);
		return;
	}
	put("shade86: internal error: host signal ");
	put(sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : sig == SIGILL ? "SIGILL" : "SIGFPE");
	put(" at host PC ");
	put_hex(pc, 16);
	put(" (address ");
	put_hex((uint64_t)(uintptr_t)si->si_addr, 16);
	put(")");
	struct bt *bt = watched_at((uintptr_t)pc, false);
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

bool bt_fault_expected(int sig, const siginfo_t *si, const void *uc_)
{
	const ucontext_t *uc = uc_;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	struct bt *bt = watched_at(pc, true);
	uint64_t lin;
	return sig == SIGSEGV && bt && bt_site_find(bt, pc) &&
	       win_lookup(&bt->cpu->shadow, (uintptr_t)si->si_addr, &lin);
}

void bt_crash_unwatch(struct bt *bt)
{
	for (int i = 0; i < MAX_WATCHED; i++)
		if (watched[i] == bt)
			watched[i] = NULL;
}

void bt_crash_watch(struct bt *bt)
{
	int i = 0;
	while (i < MAX_WATCHED && watched[i])
		i++;
	if (i == MAX_WATCHED) {
		/* (more translators than any test attaches: no window faults for
		 * this one, so no windows) */
		bt->cpu->shadow.win_on = false;
		return;
	}
	watched[i] = bt;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (!BT_CRASH_HANDLER) {
		/* window faults only; the rest stays the sanitizer's */
		static bool installed;
		if (!installed) {
			sigaction(SIGSEGV, &sa, &prev_segv);
			installed = true;
		}
		return;
	}
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	sigaltstack(&ss, NULL);
	sa.sa_flags |= SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
}

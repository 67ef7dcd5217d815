/*
 * bt-memcost: what it costs translated guest code to reach guest RAM, measured
 * for the two designs the translator can use, on the machine it runs on.
 *
 * shade86 translates 32-bit x86 guest code into x86-64 host code.  Every guest
 * memory operand must become a host address, and there are two ways to do it:
 *
 *  A  Host-mapped windows.  Each guest address space gets a 4 GiB range of host
 *     virtual memory (a "window"), reserved PROT_NONE; guest RAM is a memfd and a
 *     SIGSEGV handler maps guest pages into the window at their guest linear
 *     address, lazily, with the guest's permissions.  The window base is the host
 *     GS base, so the access is the guest instruction itself with a GS override
 *     and the 0x67 address-size prefix: mov eax, gs:[ebx] = 65 67 8b 03.  Hits
 *     cost nothing extra; misses, writes to guest page tables (which are mapped
 *     read-only and trapped) and invalidations cost signals and system calls.
 *
 *  B  Inline soft-TLB lookup, as in QEMU's softmmu.  A flat table holds, per
 *     guest page and access class (user/supervisor x read/write), the host
 *     address minus the guest address (an "addend"; 0 = miss).  Translated code
 *     computes the linear address, indexes the table, tests for a miss or a
 *     page-crossing access, adds and accesses.  Hits cost about ten instructions;
 *     misses and page-table writes are a call into C.  B1 may clobber the host
 *     flags; B2 keeps them (for when guest flags live in host RFLAGS) by using
 *     only LEA/MOV/SHRX/SHLX and JRCXZ, with a table of twice as many rows so
 *     that one JRCXZ catches both a miss and a page-crossing access.
 *
 * The program emits the machine code a translator would emit for each design
 * into an executable buffer, runs it over a fake guest (a 64 MiB memfd with an
 * i386 two-level page table in it) and prints one line per figure, in ns per
 * operation, the median of RUNS runs (min and max in brackets):
 *
 *   A1  hits through gs (independent loads, dependent loads, stores), next to a
 *       plain native loop over the same 256 KiB working set and a variant with a
 *       base register instead of GS (A-reg: lea r8d,[ebx+d]; mov eax,[r15+r8]);
 *   A2  lazy fill: fault, walk the guest page table, mmap the page, retry; one
 *       page per fault or a 16-page group per fault, with and without
 *       MAP_POPULATE;
 *   A3  a store to a write-protected guest page-table page: fault, emulate the
 *       store through the RW view of guest RAM, skip the instruction;
 *   A4  window switch: WRGSBASE, RDGSBASE and arch_prctl(ARCH_SET_GS); and
 *       whether this kernel keeps a WRGSBASE value across a context switch;
 *   A5  invalidation: mprotect, munmap, or mapping PROT_NONE over one page; and
 *       resetting a whole window that holds 1000 pages;
 *   A6  VMA growth: single pages mapped into a window until mmap fails at
 *       vm.max_map_count, and the cost per mmap as the count grows;
 *   B1, B2  hits (same loops as A1), a miss (call into C: walk the guest page
 *       table, install the entry, retry), and a guest page-table write (the write
 *       entry is never installed for page-table pages: the C slow path writes
 *       and drops the shadow entries the PTE affects);
 *   R   references: the native loops, pushfq/popfq, seto+lahf/add+sahf (ways
 *       to keep host flags around a flag-clobbering lookup), and getpid (the
 *       cost of entering the kernel during the run, which A's slow paths scale
 *       with).
 *
 * It ends with a summary table, ratios, and the break-even number of hits per
 * miss above which design A is cheaper.
 *
 * Build: gcc -O2 -std=c11 -D_GNU_SOURCE -o bt-memcost bt-memcost.c
 * Run:   ./bt-memcost [-d] [-g]
 *        -d also prints the emitted sequences as hex (for objdump -D -b binary
 *           -m i386:x86-64);
 *        -g behaves as if WRGSBASE faulted (tests the arch_prctl fallback).
 * It uses one CPU: it pins itself to the CPU it starts on, and the only other
 * process it starts (the GS-base probe) is pinned there too.  A run takes a
 * few seconds.  Without WRGSBASE in user mode it prints "skipped: ..." for
 * the WRGSBASE figures and sets the GS base with arch_prctl; without BMI2 it
 * skips B2; it exits 0 either way.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define RUNS 5

#define PAGE 4096u
#define RAM_SIZE (64u << 20)
#define NFRAMES (RAM_SIZE / PAGE)
#define WINDOW_SIZE (1ull << 32)

/*
 * The fake guest.  Guest-physical frame 1 is the page directory, frames 2-17
 * the page tables of the user region, frames 18-33 those of the linear map.
 * The user region (linear USER_LIN..) maps its pages to the frames from
 * DATA_FRAME on, scattered (page v -> frame DATA_FRAME + v * 4099 mod
 * USER_PAGES, a bijection), as a real guest's user pages are.  The linear map
 * (KMAP_LIN + x -> physical x, supervisor only) maps all of RAM contiguously,
 * as a kernel's direct map does; the page tables are reached through it.
 */
#define PD_FRAME 1u
#define USER_PT_FRAME 2u
#define KMAP_PT_FRAME 18u
#define NPT 16u
#define DATA_FRAME 256u
#define USER_PAGES (NFRAMES - DATA_FRAME)
#define USER_LIN 0x40000000u
#define KMAP_LIN 0xC0000000u

#define PTE_P 0x01u
#define PTE_RW 0x02u
#define PTE_US 0x04u
#define PTE_A 0x20u
#define PTE_D 0x40u

/* Access classes, interleaved in the soft-TLB: entry = table[page * 4 + class]. */
enum { CLS_UR, CLS_UW, CLS_SR, CLS_SW, NCLASS };
#define CLS_WRITE(c) ((c) & 1u)
#define CLS_USER(c) ((c) < CLS_SR)

/* Which guest pages each test uses (user-region page indices unless noted). */
#define HIT_PAGES 64u                  /* the 256 KiB working set of the hit loops */
#define HIT_BYTES (HIT_PAGES * PAGE)
#define HIT_SLOTS (HIT_BYTES / 64)     /* dependent-load chain: one slot per cache line */
#define A2_FIRST 1024u                 /* lazy fill, one page per fault */
#define A2_PAGES 1024u
#define A2B_PHYS (4u << 20)            /* lazy fill by 16-page groups: linear map of 4..12 MiB */
#define A2B_PAGES 2048u
#define BMISS_FIRST 2048u              /* design B misses */
#define BMISS_PAGES 4096u
#define PTW_USER_PAGE 1000u            /* the PTE the page-table-write tests rewrite maps this page */
#define A5_PAGES 1000u                 /* pages mapped for the invalidation tests */
#define A6_MAX 40000u                  /* pages A6 tries to map */
#define A6_BUCKET 2000u

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bt-memcost: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* State */

enum fault_mode { FAULT_NONE, FAULT_FILL, FAULT_EMULATE_STORE };

static struct {
	int memfd;
	uint8_t *ram;                  /* read-write view of all guest RAM */
	uint8_t traced[NFRAMES];       /* frames holding the guest's page directory/tables */
	uint32_t pt_lin[NFRAMES];      /* for a page-table frame: first linear address it maps */
	uint8_t *win0;                 /* window of A1-A3, the GS base while measuring */
	uint8_t *win1;                 /* second window, only a GS value for A4 */
	uint8_t *win2;                 /* window of A5 and A6 */
	uint64_t *native;              /* native working set (A1 reference) */

	/* SIGSEGV handler configuration and counters */
	uint8_t *volatile fault_win;
	volatile int fault_mode;
	volatile unsigned fill_batch;
	volatile int fill_populate;
	volatile unsigned long faults;
	unsigned long slow_calls;

	int have_wrgsbase;             /* WRGSBASE/RDGSBASE execute in user mode */
	int hwcap_fsgsbase;            /* the kernel advertises it (AT_HWCAP2) */
	int gs_lost, gs_tries;         /* context-switch probe: WRGSBASE values lost */
	int have_bmi2;
	int dump;
} g;

static uint32_t *ram32(uint32_t gpa)
{
	return (uint32_t *)(void *)(g.ram + gpa);
}

static uint32_t user_frame(uint32_t v)
{
	return (DATA_FRAME + v * 4099u % USER_PAGES) * PAGE;
}

static uint32_t user_lin(uint32_t v)
{
	return USER_LIN + v * PAGE;
}

/*
 * The guest page walk both designs use on a miss: i386, 4 KiB pages, CR0.WP=1.
 * Sets Accessed (and Dirty for writes) as the hardware does.  Returns 0 and
 * the PTE, or -1 for what would be a guest #PF.
 */
static int guest_walk(uint32_t lin, unsigned cls, uint32_t *pte_out)
{
	uint32_t need = PTE_P | (CLS_WRITE(cls) ? PTE_RW : 0) | (CLS_USER(cls) ? PTE_US : 0);
	uint32_t *pde = ram32(PD_FRAME * PAGE + (lin >> 22) * 4);
	if ((*pde & need) != need || (*pde & ~0xfffu) >= RAM_SIZE)
		return -1;
	uint32_t *pte = ram32((*pde & ~0xfffu) + ((lin >> 12) & 0x3ffu) * 4);
	if ((*pte & need) != need || (*pte & ~0xfffu) >= RAM_SIZE)
		return -1;
	if (!(*pde & PTE_A))
		*pde |= PTE_A;
	uint32_t ad = PTE_A | (CLS_WRITE(cls) ? PTE_D : 0);
	if ((*pte & ad) != ad)
		*pte |= ad;
	*pte_out = *pte;
	return 0;
}

static void guest_init(void)
{
	uint32_t *pd = ram32(PD_FRAME * PAGE);
	g.traced[PD_FRAME] = 1;
	for (uint32_t t = 0; t < NPT; t++) {
		uint32_t upt = (USER_PT_FRAME + t) * PAGE, kpt = (KMAP_PT_FRAME + t) * PAGE;
		pd[(USER_LIN >> 22) + t] = upt | PTE_P | PTE_RW | PTE_US | PTE_A;
		pd[(KMAP_LIN >> 22) + t] = kpt | PTE_P | PTE_RW | PTE_A;
		g.traced[USER_PT_FRAME + t] = g.traced[KMAP_PT_FRAME + t] = 1;
		g.pt_lin[USER_PT_FRAME + t] = USER_LIN + (t << 22);
		g.pt_lin[KMAP_PT_FRAME + t] = KMAP_LIN + (t << 22);
		for (uint32_t i = 0; i < 1024; i++) {
			uint32_t v = t * 1024 + i;
			if (v < USER_PAGES)
				ram32(upt)[i] = user_frame(v) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
			ram32(kpt)[i] = v * PAGE | PTE_P | PTE_RW | PTE_A | PTE_D;
		}
	}
}

/* Guest RAM through the page tables (setup only). */
static uint32_t *guest_ptr(uint32_t lin)
{
	uint32_t pte;
	if (guest_walk(lin, CLS_SR, &pte) && guest_walk(lin, CLS_UR, &pte))
		die("setup: %08x not mapped", lin);
	return ram32((pte & ~0xfffu) + (lin & 0xfffu));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/*
 * The dependent-load chain: one random cycle through the HIT_SLOTS cache lines
 * of the working set (Sattolo's algorithm), written as guest linear addresses
 * into guest RAM and as host pointers into the native working set.
 */
static void chain_init(void)
{
	static uint32_t next[HIT_SLOTS];
	rng_state = 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < HIT_SLOTS; i++)
		next[i] = i;
	for (uint32_t i = HIT_SLOTS - 1; i > 0; i--) {
		uint32_t j = rng() % i, t = next[i];
		next[i] = next[j];
		next[j] = t;
	}
	for (uint32_t i = 0; i < HIT_SLOTS; i++) {
		*guest_ptr(USER_LIN + i * 64) = USER_LIN + next[i] * 64;
		g.native[i * 8] = (uint64_t)(uintptr_t)&g.native[next[i] * 8];
	}
}

/* ------------------------------------------------------------------------ */
/* Design B: the soft-TLB */

/*
 * row_shift 0 is the plain layout of B1: row = page.  B2 uses row_shift 1: it
 * indexes with page(lin) + page(lin + size - 1), which is 2 * page for an access
 * within one page and odd for one that crosses; odd rows stay 0, so one test
 * catches both a miss and a crossing without flags.
 */
struct stlb {
	intptr_t *table;
	unsigned row_shift;
};

static intptr_t *stlb_slot(struct stlb *t, uint32_t page, unsigned cls)
{
	return &t->table[((size_t)page << t->row_shift) * NCLASS + cls];
}

static void stlb_init(struct stlb *t, unsigned row_shift)
{
	size_t size = ((size_t)1 << (20 + row_shift)) * NCLASS * sizeof(intptr_t);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		die("soft-TLB: %s", strerror(errno));
	t->table = p;
	t->row_shift = row_shift;
}

static void stlb_drop_page(struct stlb *t, uint32_t page)
{
	for (unsigned c = 0; c < NCLASS; c++)
		*stlb_slot(t, page, c) = 0;
}

/* A guest write changed the page-directory or page-table entry at gpa. */
static void stlb_pt_written(struct stlb *t, uint32_t gpa)
{
	uint32_t frame = gpa / PAGE, index = (gpa & 0xfffu) / 4;
	if (frame == PD_FRAME) {
		for (uint32_t i = 0; i < 1024; i++)
			stlb_drop_page(t, (index << 10) + i);
	} else {
		stlb_drop_page(t, (g.pt_lin[frame] >> 12) + index);
	}
}

/*
 * The slow path of design B, called from the emitted miss stubs with the
 * System V ABI: walk the guest page table and install the entry (then the stub
 * retries the access), or, for a write to a guest page table, do the write
 * and drop the shadow entries it affects (then the stub skips the access).
 * Returns where the stub continues.
 */
static const void *b_slow_path(struct stlb *t, uint32_t lin, uint32_t cls, uint32_t value,
			       const void *retry, const void *done)
{
	uint32_t pte;
	g.slow_calls++;
	if ((lin & 0xfffu) > PAGE - 4)
		die("B slow path: page-crossing access at %08x (a translator does it here in C; "
		    "this benchmark emits none)", lin);
	if (guest_walk(lin, cls, &pte))
		die("B slow path: guest page fault at %08x (not modelled)", lin);
	uint32_t frame = pte & ~0xfffu;
	if (CLS_WRITE(cls) && g.traced[frame / PAGE]) {
		*ram32(frame + (lin & 0xfffu)) = value;
		stlb_pt_written(t, frame + (lin & 0xfffu));
		return done;
	}
	*stlb_slot(t, lin >> 12, cls) = (intptr_t)(g.ram + frame) - (intptr_t)(lin & ~0xfffu);
	return retry;
}

/* ------------------------------------------------------------------------ */
/* Design A: windows and the SIGSEGV handler */

/*
 * A window is 4 GiB reserved PROT_NONE, with a one-page hole on each side so
 * that it never merges with a neighbouring reservation: resetting it then
 * never splits a VMA, which matters at vm.max_map_count.
 */
static uint8_t *window_reserve(void)
{
	uint8_t *p = mmap(NULL, WINDOW_SIZE + 2 * PAGE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED || munmap(p, PAGE) || munmap(p + PAGE + WINDOW_SIZE, PAGE))
		die("window: %s", strerror(errno));
	return p + PAGE;
}

/* Take pages out of a window (the right way: the range stays reserved). */
static void window_drop(uint8_t *win, uint32_t lin, size_t len)
{
	if (mmap(win + lin, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		die("window drop: %s", strerror(errno));
}

/* Empty a whole window: munmap, then reserve the same range again. */
static void window_reset(uint8_t *win)
{
	if (munmap(win, WINDOW_SIZE) ||
	    mmap(win, WINDOW_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		die("window reset: %s", strerror(errno));
}

static int window_map(uint8_t *win, uint32_t lin, size_t len, uint32_t gpa, int prot, int populate)
{
	void *p = mmap(win + lin, len, prot, MAP_SHARED | MAP_FIXED | (populate ? MAP_POPULATE : 0),
		       g.memfd, gpa);
	return p == MAP_FAILED ? -1 : 0;
}

/* Map the guest page at lin as the handler would (setup only). */
static void window_map_guest(uint8_t *win, uint32_t lin, int touch)
{
	uint32_t pte;
	if (guest_walk(lin, lin >= KMAP_LIN ? CLS_SR : CLS_UR, &pte))
		die("setup: %08x not mapped", lin);
	int prot = (pte & PTE_RW) && !g.traced[pte / PAGE] ? PROT_READ | PROT_WRITE : PROT_READ;
	if (window_map(win, lin & ~0xfffu, PAGE, pte & ~0xfffu, prot, 0))
		die("setup: mmap: %s", strerror(errno));
	if (touch)
		(void)*(volatile uint8_t *)(win + lin);
}

static void handler_die(const char *msg, uintptr_t addr)
{
	char buf[160];
	int n = snprintf(buf, sizeof buf, "bt-memcost: %s (address %#lx)\n", msg, (unsigned long)addr);
	if (write(2, buf, (size_t)n) < 0)
		_exit(3);
	_exit(2);
}

/*
 * A lazy fill: walk the guest page table for the faulting page, or for the
 * aligned group of fill_batch pages around it, and map each run of pages that
 * is contiguous in guest RAM with one mmap.  Page-table pages are mapped read
 * only so that writes to them trap.
 */
static void fill(uint8_t *win, uint32_t lin, int write)
{
	unsigned n = g.fill_batch;
	uint32_t first = lin & ~(n * PAGE - 1), run_lin = 0, run_gpa = 0, run_len = 0;
	int run_prot = 0;
	unsigned cls = (lin >= KMAP_LIN ? CLS_SR : CLS_UR) | (write ? 1u : 0u);
	for (unsigned i = 0; i <= n; i++) {
		uint32_t l = first + i * PAGE, pte = 0;
		int ok = i < n && !guest_walk(l, l == (lin & ~0xfffu) ? cls : cls & ~1u, &pte);
		int prot = (pte & PTE_RW) && !g.traced[pte / PAGE] ? PROT_READ | PROT_WRITE : PROT_READ;
		if (ok && run_len && prot == run_prot && (pte & ~0xfffu) == run_gpa + run_len) {
			run_len += PAGE;
			continue;
		}
		if (run_len && window_map(win, run_lin, run_len, run_gpa, run_prot, g.fill_populate))
			handler_die("fill: mmap failed", (uintptr_t)(win + run_lin));
		run_len = 0;
		if (ok) {
			run_lin = l;
			run_gpa = pte & ~0xfffu;
			run_len = PAGE;
			run_prot = prot;
		} else if (l == (lin & ~0xfffu)) {
			handler_die("fill: guest page fault (not modelled)", (uintptr_t)(win + lin));
		}
	}
}

/*
 * A store to a write-protected guest page table: the translator emitted the
 * store (65 67 89 03, mov gs:[ebx], eax), so decoding is a comparison.  Do the
 * write through the RW view of guest RAM and continue after the instruction.
 * A translator would also drop the window mapping of the page the PTE maps
 * (A5) and its translations; that is not done here.
 */
static void emulate_store(ucontext_t *uc, uint32_t lin)
{
	static const uint8_t insn[4] = { 0x65, 0x67, 0x89, 0x03 };
	greg_t *r = uc->uc_mcontext.gregs;
	uint32_t pte;
	if (memcmp((const void *)(uintptr_t)r[REG_RIP], insn, sizeof insn) || (uint32_t)r[REG_RBX] != lin)
		handler_die("write fault on an unexpected instruction", (uintptr_t)r[REG_RIP]);
	if (guest_walk(lin, CLS_SW, &pte) || !g.traced[pte / PAGE])
		handler_die("write fault on a page that is not a page table", lin);
	*ram32((pte & ~0xfffu) + (lin & 0xfffu)) = (uint32_t)r[REG_RAX];
	r[REG_RIP] += sizeof insn;
}

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uintptr_t addr = (uintptr_t)si->si_addr, win = (uintptr_t)g.fault_win;
	(void)sig;
	if (!win || addr < win || addr - win >= WINDOW_SIZE)
		handler_die("SIGSEGV outside the window", addr);
	g.faults++;
	uint32_t lin = (uint32_t)(addr - win);
	int write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
	switch (g.fault_mode) {
	case FAULT_FILL:
		fill(g.fault_win, lin, write);
		break;
	case FAULT_EMULATE_STORE:
		emulate_store(uc, lin);
		break;
	default:
		handler_die("unexpected SIGSEGV in the window", addr);
	}
}

/* ------------------------------------------------------------------------ */
/* GS base */

static sigjmp_buf probe_jmp;

static void on_sigill(int sig)
{
	(void)sig;
	siglongjmp(probe_jmp, 1);
}

static uint64_t rdgsbase(void)
{
	uint64_t v;
	__asm__ volatile("rdgsbase %0" : "=r"(v));
	return v;
}

static void wrgsbase(uint64_t v)
{
	__asm__ volatile("wrgsbase %0" : : "r"(v) : "memory");
}

static int set_gs(uint64_t base)
{
	return (int)syscall(SYS_arch_prctl, ARCH_SET_GS, base);
}

static int probe_wrgsbase(void)
{
	struct sigaction sa, old;
	volatile int ok = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigill;
	sigaction(SIGILL, &sa, &old);
	if (!sigsetjmp(probe_jmp, 1)) {
		wrgsbase(rdgsbase());
		ok = 1;
	}
	sigaction(SIGILL, &old, NULL);
	return ok;
}

/*
 * Does the kernel keep a value written with WRGSBASE across a context switch?
 * It does when it supports FSGSBASE (it then saves the base on every switch).
 * A kernel that does not, but runs with CR4.FSGSBASE set anyway (as under some
 * hypervisors), neither saves nor restores it: after a switch the task runs
 * with the base the kernel has on record from arch_prctl (0 by default), or
 * with the previous task's base when the kernel skips the reload.  A helper
 * process with its own base (set by arch_prctl), pinned to our CPU, alternates
 * with us.
 */
static void probe_gs_kept(void)
{
	enum { SWITCHES = 2000 };
	const uint64_t mine = 0x5a5a5000;
	pid_t child = fork();
	if (child < 0)
		die("fork: %s", strerror(errno));
	if (child == 0) {
		set_gs(0x10000);
		for (int i = 0; i < SWITCHES; i++)
			sched_yield();
		_exit(0);
	}
	wrgsbase(mine);
	for (int i = 0; i < SWITCHES; i++) {
		sched_yield();
		if (rdgsbase() != mine) {
			g.gs_lost++;
			wrgsbase(mine);
		}
	}
	g.gs_tries = SWITCHES;
	waitpid(child, NULL, 0);
	wrgsbase(0);
}

/* ------------------------------------------------------------------------ */
/* x86-64 emitter */

enum reg { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15, NOREG = -1 };

struct asm_buf {
	uint8_t *base, *p, *end;
};

static void emit1(struct asm_buf *a, unsigned v)
{
	if (a->p >= a->end)
		die("code buffer full");
	*a->p++ = (uint8_t)v;
}

static void emit4(struct asm_buf *a, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		emit1(a, (v >> (8 * i)) & 0xffu);
}

static void rex(struct asm_buf *a, int w, int r, int x, int b)
{
	unsigned v = 0x40u | (w ? 8u : 0u) | (r >= 8 ? 4u : 0u) | (x >= 8 ? 2u : 0u) | (b >= 8 ? 1u : 0u);
	if (v != 0x40u)
		emit1(a, v);
}

struct mem {
	int base, index;
	int32_t disp;       /* scale is always 1 */
};

#define PFX_GS 1u
#define PFX_A32 2u

/* [prefixes] [REX] opcode (0x0fxx for two bytes) modrm [sib] [disp] */
static void op_mem(struct asm_buf *a, unsigned pfx, int w, unsigned opc, int reg, struct mem m)
{
	if (pfx & PFX_GS)
		emit1(a, 0x65);
	if (pfx & PFX_A32)
		emit1(a, 0x67);
	rex(a, w, reg, m.index == NOREG ? 0 : m.index, m.base);
	if (opc > 0xff)
		emit1(a, opc >> 8);
	emit1(a, opc & 0xffu);
	int mod = m.disp == 0 && (m.base & 7) != RBP ? 0 : m.disp >= -128 && m.disp <= 127 ? 1 : 2;
	if (m.index != NOREG || (m.base & 7) == RSP) {
		emit1(a, (unsigned)(mod << 6 | (reg & 7) << 3 | 4));
		emit1(a, (unsigned)((m.index == NOREG ? 4 : m.index & 7) << 3 | (m.base & 7)));
	} else {
		emit1(a, (unsigned)(mod << 6 | (reg & 7) << 3 | (m.base & 7)));
	}
	if (mod == 1)
		emit1(a, (uint8_t)m.disp);
	else if (mod == 2)
		emit4(a, (uint32_t)m.disp);
}

static struct mem M(int base, int index, int32_t disp)
{
	struct mem m = { base, index, disp };
	return m;
}

/* opcode modrm(11, reg, rm) */
static void op_rr(struct asm_buf *a, int w, unsigned opc, int reg, int rm)
{
	rex(a, w, reg, 0, rm);
	if (opc > 0xff)
		emit1(a, opc >> 8);
	emit1(a, opc & 0xffu);
	emit1(a, (unsigned)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

static void mov_rr(struct asm_buf *a, int w, int dst, int src)
{
	op_rr(a, w, 0x89, src, dst);
}

static void shift_ri(struct asm_buf *a, int ext, int r, unsigned imm)    /* ext 4 shl, 5 shr; 32-bit */
{
	op_rr(a, 0, 0xc1, ext, r);
	emit1(a, imm);
}

static void alu_ri(struct asm_buf *a, int w, int ext, int r, int32_t imm) /* ext 0 add, 4 and */
{
	if (imm >= -128 && imm <= 127) {
		op_rr(a, w, 0x83, ext, r);
		emit1(a, (uint8_t)imm);
	} else {
		op_rr(a, w, 0x81, ext, r);
		emit4(a, (uint32_t)imm);
	}
}

static void test_ri(struct asm_buf *a, int r, uint32_t imm)              /* 32-bit */
{
	op_rr(a, 0, 0xf7, 0, r);
	emit4(a, imm);
}

static void mov_ri32(struct asm_buf *a, int r, uint32_t imm)
{
	rex(a, 0, 0, 0, r);
	emit1(a, 0xb8u + (r & 7));
	emit4(a, imm);
}

/* SHRX (pp = 3, F2) or SHLX (pp = 1, 66), 32-bit: dst = src shifted by cnt; no flags */
static void bmi2_shift(struct asm_buf *a, unsigned pp, int dst, int src, int cnt)
{
	emit1(a, 0xc4);
	emit1(a, (dst >= 8 ? 0u : 0x80u) | 0x40u | (src >= 8 ? 0u : 0x20u) | 0x02u);
	emit1(a, (unsigned)(~cnt & 15) << 3 | pp);
	emit1(a, 0xf7);
	emit1(a, (unsigned)(0xc0 | (dst & 7) << 3 | (src & 7)));
}

static void push_r(struct asm_buf *a, int r)
{
	rex(a, 0, 0, 0, r);
	emit1(a, 0x50u + (r & 7));
}

static void pop_r(struct asm_buf *a, int r)
{
	rex(a, 0, 0, 0, r);
	emit1(a, 0x58u + (r & 7));
}

static void dec_r(struct asm_buf *a, int w, int r)
{
	op_rr(a, w, 0xff, 1, r);
}

/* Jumps: return the address of the displacement, patched later. */
static uint8_t *jcc32(struct asm_buf *a, unsigned cc)                  /* 0x4 z, 0x5 nz */
{
	emit1(a, 0x0f);
	emit1(a, 0x80u + cc);
	emit4(a, 0);
	return a->p - 4;
}

static uint8_t *jmp32(struct asm_buf *a)
{
	emit1(a, 0xe9);
	emit4(a, 0);
	return a->p - 4;
}

static uint8_t *jmp8(struct asm_buf *a, unsigned opc)                  /* 0xeb jmp, 0xe3 jrcxz */
{
	emit1(a, opc);
	emit1(a, 0);
	return a->p - 1;
}

static void patch32(uint8_t *at, const uint8_t *target)
{
	int32_t rel = (int32_t)(target - (at + 4));
	memcpy(at, &rel, 4);
}

static void patch8(uint8_t *at, const uint8_t *target)
{
	ptrdiff_t rel = target - (at + 1);
	if (rel < -128 || rel > 127)
		die("emitter: rel8 out of range (%td)", rel);
	*at = (uint8_t)(int8_t)rel;
}

static void lea_rip(struct asm_buf *a, int r, const uint8_t *target)
{
	rex(a, 1, r, 0, 0);
	emit1(a, 0x8d);
	emit1(a, (unsigned)(0x05 | (r & 7) << 3));
	emit4(a, 0);
	patch32(a->p - 4, target);
}

/* ------------------------------------------------------------------------ */
/* Generated measurement loops */

/*
 * The generated functions take a struct gen_args * and keep it in r12.  Inside
 * them: rbx is the guest address register (or, natively, a host pointer),
 * eax the guest data register, r8-r11 the translator's scratch registers,
 * r15 the window base (A-reg) or the soft-TLB (B), r14d = 12 and r13d = 5
 * (shift counts for SHRX/SHLX), edx the inner and rbp the outer loop counter.
 */
struct gen_args {
	uint64_t count;         /* outer iterations */
	uint64_t inner;         /* inner iterations (each does `unroll` accesses) */
	uint64_t rbx0;          /* initial rbx, reloaded for each outer iteration except for chains */
	uint64_t r15;
	struct stlb *tlb;
	const void *slow;       /* b_slow_path */
	uint64_t rax0;          /* value stores store */
	uint64_t aux0, aux1;    /* rsi, rdi (window bases for the WRGSBASE loop) */
};

typedef void (*gen_fn)(struct gen_args *);

enum variant { V_NATIVE, V_AGS, V_AREG, V_B1, V_B2, V_SPECIAL };
enum kind { K_LOAD, K_STORE, K_CHAIN };
enum special { S_WRGSBASE, S_RDGSBASE, S_PUSHF, S_LAHF };

struct loop_spec {
	enum variant v;
	enum kind k;
	enum special sp;
	unsigned unroll;
	int32_t disp0, dstride;     /* access j uses [rbx + disp0 + j * dstride] */
	int32_t step;               /* added to rbx after each inner iteration */
	unsigned cls;               /* design B access class */
};

/* A design-B access site and what its out-of-line miss stub must know. */
struct b_site {
	uint8_t *retry, *done;      /* start of the lookup; after the access */
	uint8_t *to_stub[2];        /* rel32 fields to point at the stub */
	int nto_stub;
	uint8_t *jrcxz;             /* B2: rel8 field to point at the island trampoline */
	unsigned cls;
};

static struct asm_buf code;

static void prologue(struct asm_buf *a)
{
	static const int saved[] = { RBX, RBP, R12, R13, R14, R15 };
	for (unsigned i = 0; i < 6; i++)
		push_r(a, saved[i]);
	mov_rr(a, 1, R12, RDI);
	op_mem(a, 0, 1, 0x8b, R15, M(R12, NOREG, offsetof(struct gen_args, r15)));
	mov_ri32(a, R14, 12);
	mov_ri32(a, R13, 5);
	op_mem(a, 0, 0, 0x8b, RAX, M(R12, NOREG, offsetof(struct gen_args, rax0)));
	op_mem(a, 0, 1, 0x8b, RSI, M(R12, NOREG, offsetof(struct gen_args, aux0)));
	op_mem(a, 0, 1, 0x8b, RDI, M(R12, NOREG, offsetof(struct gen_args, aux1)));
	op_mem(a, 0, 1, 0x8b, RBP, M(R12, NOREG, offsetof(struct gen_args, count)));
	op_mem(a, 0, 1, 0x8b, RBX, M(R12, NOREG, offsetof(struct gen_args, rbx0)));
}

static void epilogue(struct asm_buf *a)
{
	static const int saved[] = { R15, R14, R13, R12, RBP, RBX };
	for (unsigned i = 0; i < 6; i++)
		pop_r(a, saved[i]);
	emit1(a, 0xc3);
}

/*
 * B1, flag-clobbering:
 *	lea r8d, [rbx+disp]          guest linear address (wraps at 4 GiB)
 *	mov r9d, r8d
 *	shr r9d, 7
 *	and r9d, 0x1ffffe0           (lin >> 12) * 32: the row of 4 classes
 *	mov r9, [r15+r9+8*cls]       addend
 *	test r9, r9
 *	jz stub                      miss
 *	lea r10d, [r8+3]
 *	xor r10d, r8d
 *	test r10d, 0x1000
 *	jnz stub                     page-crossing
 *	mov eax, [r9+r8]             the access
 */
static void gen_b1(struct asm_buf *a, enum kind k, int32_t disp, struct b_site *s)
{
	s->retry = a->p;
	op_mem(a, 0, 0, 0x8d, R8, M(RBX, NOREG, disp));
	mov_rr(a, 0, R9, R8);
	shift_ri(a, 5, R9, 7);
	alu_ri(a, 0, 4, R9, 0x1ffffe0);
	op_mem(a, 0, 1, 0x8b, R9, M(R15, R9, (int32_t)(8 * s->cls)));
	op_rr(a, 1, 0x85, R9, R9);
	s->to_stub[s->nto_stub++] = jcc32(a, 0x4);
	op_mem(a, 0, 0, 0x8d, R10, M(R8, NOREG, 3));
	op_rr(a, 0, 0x31, R8, R10);
	test_ri(a, R10, 0x1000);
	s->to_stub[s->nto_stub++] = jcc32(a, 0x5);
	op_mem(a, 0, 0, k == K_STORE ? 0x89 : 0x8b, RAX, M(R9, R8, 0));
	s->done = a->p;
}

/*
 * B2, flag-preserving (LEA, MOV, SHRX, SHLX, JRCXZ only); guest ECX lives in
 * rcx, so it is parked in r11 around the JRCXZ test:
 *	lea r8d, [rbx+disp]          lin
 *	lea r10d, [r8+3]             last byte
 *	shrx r9d, r8d, r14d          page(lin)
 *	shrx r10d, r10d, r14d        page(last)
 *	lea r9d, [r9+r10]            2*page, or odd if the access crosses
 *	shlx r9d, r9d, r13d          * 32
 *	mov r11, rcx
 *	mov rcx, [r15+r9+8*cls]      addend, 0 for a miss or a crossing
 *	jrcxz island                 -> jmp stub (JRCXZ reaches only 127 bytes)
 *	mov eax, [rcx+r8]            the access
 *	mov rcx, r11
 */
static void gen_b2(struct asm_buf *a, enum kind k, int32_t disp, struct b_site *s)
{
	s->retry = a->p;
	op_mem(a, 0, 0, 0x8d, R8, M(RBX, NOREG, disp));
	op_mem(a, 0, 0, 0x8d, R10, M(R8, NOREG, 3));
	bmi2_shift(a, 3, R9, R8, R14);
	bmi2_shift(a, 3, R10, R10, R14);
	op_mem(a, 0, 0, 0x8d, R9, M(R9, R10, 0));
	bmi2_shift(a, 1, R9, R9, R13);
	mov_rr(a, 1, R11, RCX);
	op_mem(a, 0, 1, 0x8b, RCX, M(R15, R9, (int32_t)(8 * s->cls)));
	s->jrcxz = jmp8(a, 0xe3);
	op_mem(a, 0, 0, k == K_STORE ? 0x89 : 0x8b, RAX, M(RCX, R8, 0));
	mov_rr(a, 1, RCX, R11);
	s->done = a->p;
}

/*
 * The out-of-line miss stub of one design-B site: save the guest registers the
 * C ABI clobbers (and, for B2, the flags), call b_slow_path(tlb, lin, cls,
 * eax, retry, done), restore, and continue where it says.
 */
static void gen_stub(struct asm_buf *a, enum variant v, struct b_site *s)
{
	static const int saved[] = { RAX, RCX, RDX, RSI, RDI };
	uint8_t *stub = a->p;
	int flags = v == V_B2;
	unsigned pushes = 5 + (flags ? 1u : 0u);
	int pad = pushes % 2 == 0;      /* rsp is 8 mod 16 in the loop body */
	if (flags) {
		mov_rr(a, 1, RCX, R11);
		emit1(a, 0x9c);                         /* pushfq */
	}
	for (unsigned i = 0; i < 5; i++)
		push_r(a, saved[i]);
	if (pad)
		op_mem(a, 0, 1, 0x8d, RSP, M(RSP, NOREG, -8));
	op_mem(a, 0, 1, 0x8b, RDI, M(R12, NOREG, offsetof(struct gen_args, tlb)));
	mov_rr(a, 0, RSI, R8);
	mov_ri32(a, RDX, s->cls);
	mov_rr(a, 0, RCX, RAX);
	lea_rip(a, R8, s->retry);
	lea_rip(a, R9, s->done);
	op_mem(a, 0, 0, 0xff, 2, M(R12, NOREG, offsetof(struct gen_args, slow)));   /* call */
	mov_rr(a, 1, R11, RAX);
	if (pad)
		op_mem(a, 0, 1, 0x8d, RSP, M(RSP, NOREG, 8));
	for (int i = 4; i >= 0; i--)
		pop_r(a, saved[i]);
	if (flags)
		emit1(a, 0x9d);                         /* popfq */
	op_rr(a, 0, 0xff, 4, R11);                      /* jmp r11 */
	for (int i = 0; i < s->nto_stub; i++)
		patch32(s->to_stub[i], stub);
}

/* B2: trampolines for the JRCXZ of the sites since the last island. */
static void gen_island(struct asm_buf *a, struct b_site *sites, unsigned from, unsigned to)
{
	uint8_t *over = jmp8(a, 0xeb);
	for (unsigned i = from; i < to; i++) {
		patch8(sites[i].jrcxz, a->p);
		sites[i].to_stub[sites[i].nto_stub++] = jmp32(a);
	}
	patch8(over, a->p);
}

static void gen_special(struct asm_buf *a, enum special sp, unsigned j)
{
	static const uint8_t wrgs_rdi[] = { 0xf3, 0x48, 0x0f, 0xae, 0xdf };  /* wrgsbase rdi */
	static const uint8_t wrgs_rsi[] = { 0xf3, 0x48, 0x0f, 0xae, 0xde };  /* wrgsbase rsi */
	static const uint8_t rdgs_r8[] = { 0xf3, 0x49, 0x0f, 0xae, 0xc8 };   /* rdgsbase r8 */
	static const uint8_t pushf[] = { 0x9c, 0x9d };                        /* pushfq; popfq */
	static const uint8_t lahf[] = { 0x0f, 0x90, 0xc0, 0x9f, 0x04, 0x7f, 0x9e };
	/* seto al; lahf; add al, 0x7f; sahf */
	const uint8_t *p;
	size_t n;
	switch (sp) {
	case S_WRGSBASE: p = j & 1 ? wrgs_rsi : wrgs_rdi; n = 5; break;
	case S_RDGSBASE: p = rdgs_r8; n = 5; break;
	case S_PUSHF: p = pushf; n = sizeof pushf; break;
	default: p = lahf; n = sizeof lahf; break;
	}
	for (size_t i = 0; i < n; i++)
		emit1(a, p[i]);
}

/* The code buffer is writable while a loop is emitted, executable otherwise (W^X). */
static void code_writable(int w)
{
	if (mprotect(code.base, (size_t)(code.end - code.base), w ? PROT_READ | PROT_WRITE : PROT_READ | PROT_EXEC))
		die("mprotect code: %s", strerror(errno));
}

static gen_fn gen_loop(const struct loop_spec *s)
{
	struct asm_buf *a = &code;
	struct b_site sites[16];
	unsigned island_from = 0;
	if (s->unroll > 16)
		die("emitter: unroll > 16");
	code_writable(1);
	uint8_t *entry = a->p;
	prologue(a);
	uint8_t *outer = a->p;
	if (s->k != K_CHAIN)
		op_mem(a, 0, 1, 0x8b, RBX, M(R12, NOREG, offsetof(struct gen_args, rbx0)));
	op_mem(a, 0, 0, 0x8b, RDX, M(R12, NOREG, offsetof(struct gen_args, inner)));
	uint8_t *inner = a->p;
	for (unsigned j = 0; j < s->unroll; j++) {
		int32_t disp = s->disp0 + (int32_t)j * s->dstride;
		int load = s->k != K_STORE;
		memset(&sites[j], 0, sizeof sites[j]);
		sites[j].cls = s->cls;
		switch (s->v) {
		case V_NATIVE:
			if (s->k == K_CHAIN) {
				op_mem(a, 0, 1, 0x8b, RAX, M(RBX, NOREG, 0));
				mov_rr(a, 1, RBX, RAX);
			} else {
				op_mem(a, 0, 0, load ? 0x8b : 0x89, RAX, M(RBX, NOREG, disp));
			}
			break;
		case V_AGS:
			op_mem(a, PFX_GS | PFX_A32, 0, load ? 0x8b : 0x89, RAX, M(RBX, NOREG, disp));
			break;
		case V_AREG:
			if (disp) {
				op_mem(a, 0, 0, 0x8d, R8, M(RBX, NOREG, disp));
				op_mem(a, 0, 0, load ? 0x8b : 0x89, RAX, M(R15, R8, 0));
			} else {
				op_mem(a, 0, 0, load ? 0x8b : 0x89, RAX, M(R15, RBX, 0));
			}
			break;
		case V_B1:
			gen_b1(a, s->k, disp, &sites[j]);
			break;
		case V_B2:
			gen_b2(a, s->k, disp, &sites[j]);
			break;
		case V_SPECIAL:
			gen_special(a, s->sp, j);
			break;
		}
		if (s->k == K_CHAIN && s->v != V_NATIVE)
			mov_rr(a, 0, RBX, RAX);
		if (s->v == V_B2 && (j % 2 == 1 || j + 1 == s->unroll)) {
			gen_island(a, sites, island_from, j + 1);
			island_from = j + 1;
		}
	}
	if (s->step)
		alu_ri(a, s->v == V_NATIVE, 0, RBX, s->step);
	dec_r(a, 0, RDX);
	patch32(jcc32(a, 0x5), inner);
	dec_r(a, 1, RBP);
	patch32(jcc32(a, 0x5), outer);
	epilogue(a);
	if (s->v == V_B1 || s->v == V_B2)
		for (unsigned j = 0; j < s->unroll; j++)
			gen_stub(a, s->v, &sites[j]);
	while ((uintptr_t)a->p % 64)
		emit1(a, 0xcc);
	code_writable(0);
	return (gen_fn)(void *)entry;
}

static void dump_hex(const char *name, const uint8_t *p, size_t n)
{
	printf("code %-34s", name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

/* Byte lengths of one access site of each variant (and -d: their bytes). */
static void describe_sequences(size_t len[5])
{
	uint8_t buf[256];
	struct asm_buf a = { buf, buf, buf + sizeof buf };
	struct b_site s;
	const char *names[5] = { "native mov eax,[rbx+d32]", "A gs mov eax,gs:[ebx+d32]",
				 "A-reg lea+mov [r15+r8]", "B1 lookup+load", "B2 lookup+load" };
	for (int v = 0; v < 5; v++) {
		a.p = buf;
		memset(&s, 0, sizeof s);
		switch (v) {
		case 0: op_mem(&a, 0, 0, 0x8b, RAX, M(RBX, NOREG, 0x4000)); break;
		case 1: op_mem(&a, PFX_GS | PFX_A32, 0, 0x8b, RAX, M(RBX, NOREG, 0x4000)); break;
		case 2:
			op_mem(&a, 0, 0, 0x8d, R8, M(RBX, NOREG, 0x4000));
			op_mem(&a, 0, 0, 0x8b, RAX, M(R15, R8, 0));
			break;
		case 3: gen_b1(&a, K_LOAD, 0x4000, &s); break;
		case 4: gen_b2(&a, K_LOAD, 0x4000, &s); break;
		}
		len[v] = (size_t)(a.p - buf);
		if (g.dump)
			dump_hex(names[v], buf, len[v]);
	}
	if (g.dump) {
		a.p = buf;
		op_mem(&a, PFX_GS | PFX_A32, 0, 0x8b, RAX, M(RBX, NOREG, 0));
		dump_hex("A gs mov eax,gs:[ebx]", buf, (size_t)(a.p - buf));
		a.p = buf;
		memset(&s, 0, sizeof s);
		s.retry = s.done = buf;
		gen_stub(&a, V_B2, &s);
		dump_hex("B2 miss stub", buf, (size_t)(a.p - buf));
	}
}

/* ------------------------------------------------------------------------ */
/* Measurement */

struct result {
	double med, lo, hi;
	int ok;
};

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static struct result summarize(const double *v, int n)
{
	double s[64];
	struct result r = { 0, 0, 0, 1 };
	memcpy(s, v, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof s[0], cmp_double);
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	r.lo = s[0];
	r.hi = s[n - 1];
	return r;
}

static void print_result(const char *id, const char *what, struct result r, const char *unit)
{
	if (r.med >= 100)
		printf("%-4s %-56s %9.0f %-9s [%.0f .. %.0f]\n", id, what, r.med, unit, r.lo, r.hi);
	else
		printf("%-4s %-56s %9.2f %-9s [%.2f .. %.2f]\n", id, what, r.med, unit, r.lo, r.hi);
	fflush(stdout);
}

static void print_skipped(const char *id, const char *what, const char *why)
{
	printf("%-4s %-56s skipped: %s\n", id, what, why);
	fflush(stdout);
}

/* Time f one warm-up and RUNS times; ns per operation. */
static struct result time_fn(gen_fn f, struct gen_args *ga, double ops)
{
	double v[RUNS];
	f(ga);
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_ns();
		f(ga);
		v[i] = (now_ns() - t0) / ops;
	}
	return summarize(v, RUNS);
}

static struct stlb tlb1, tlb2;

/* The figures the summary uses. */
static struct {
	struct result hit[V_SPECIAL][3];       /* [variant][K_LOAD, K_STORE, K_CHAIN] */
	struct result a2_single, a2_single_pop, a2_batch, a2_batch_pop, a2_pop16, a2_first;
	struct result bmiss[2], a3, bptw[2];
	struct result wrgs, rdgs, archprctl, arch_get;
	struct result mprot, drop, unmap, reset_unmap, reset_over;
	struct result pushf, lahf, getpid;
	unsigned a6_fail;
	size_t seq_len[5];
} R;

static const char *variant_name[V_SPECIAL] = { "native", "A gs", "A-reg", "B1", "B2" };

/*
 * The hit loops.  For each kind of access the variants run in turn within each
 * of the RUNS rounds, so that a change in machine load affects all of them.
 */
static void measure_hits(void)
{
	static const char *kind_name[3] = { "load, independent", "store, independent", "load, dependent (chain)" };
	static const char *id[V_SPECIAL] = { "R", "A1", "A1'", "B1", "B2" };
	for (int k = K_LOAD; k <= K_CHAIN; k++) {
		gen_fn f[V_SPECIAL] = { 0 };
		struct gen_args ga[V_SPECIAL];
		double ops[V_SPECIAL], t[V_SPECIAL][RUNS];
		for (int v = V_NATIVE; v < V_SPECIAL; v++) {
			if (v == V_B2 && !g.have_bmi2)
				continue;
			struct loop_spec s = { (enum variant)v, (enum kind)k, S_PUSHF, 16, 0, 0, 0,
					       k == K_STORE ? CLS_UW : CLS_UR };
			memset(&ga[v], 0, sizeof ga[v]);
			ga[v].tlb = v == V_B2 ? &tlb2 : &tlb1;
			ga[v].r15 = v == V_AREG ? (uint64_t)(uintptr_t)g.win0 : (uint64_t)(uintptr_t)ga[v].tlb->table;
			ga[v].slow = (const void *)b_slow_path;
			ga[v].rax0 = 0x12345678;
			if (k == K_CHAIN) {
				/* 16 loads per iteration around the 4096-slot cycle */
				ga[v].inner = HIT_SLOTS / 16;
				ga[v].count = 256;
				ga[v].rbx0 = v == V_NATIVE ? (uint64_t)(uintptr_t)g.native : USER_LIN;
			} else {
				/*
				 * access j of 16 walks 12 KiB from 16K*j + 256*j: 16
				 * streams over the 256 KiB, offset so that they do not
				 * all fall into the same L1 set
				 */
				s.disp0 = v == V_NATIVE ? 0 : (int32_t)USER_LIN;
				s.dstride = HIT_BYTES / 16 + 256;
				s.step = 4;
				ga[v].inner = (12u << 10) / 4;
				ga[v].count = 64;
				ga[v].rbx0 = v == V_NATIVE ? (uint64_t)(uintptr_t)g.native : 0;
			}
			f[v] = gen_loop(&s);
			ops[v] = (double)ga[v].count * (double)ga[v].inner * s.unroll;
		}
		if (k == K_CHAIN)
			chain_init();   /* the store loops overwrote it */
		unsigned long slow = g.slow_calls;
		g.fault_win = g.win0;
		g.fault_mode = FAULT_NONE;
		for (int r = -1; r < RUNS; r++)
			for (int v = V_NATIVE; v < V_SPECIAL; v++) {
				if (!f[v])
					continue;
				double t0 = now_ns();
				f[v](&ga[v]);
				if (r >= 0)
					t[v][r] = (now_ns() - t0) / ops[v];
			}
		g.fault_win = NULL;
		if (g.slow_calls != slow)
			die("hit loops took %lu misses", g.slow_calls - slow);
		for (int v = V_NATIVE; v < V_SPECIAL; v++) {
			char what[96];
			snprintf(what, sizeof what, "hit, %s: %s", variant_name[v], kind_name[k]);
			if (!f[v]) {
				print_skipped(id[v], what, "no BMI2 (SHRX/SHLX)");
				continue;
			}
			R.hit[v][k] = summarize(t[v], RUNS);
			print_result(id[v], what, R.hit[v][k], "ns/acc");
		}
	}
}

static gen_fn touch_loop(enum variant v, enum kind k, unsigned cls, int32_t step)
{
	struct loop_spec s = { v, k, S_PUSHF, 1, 0, 0, step, cls };
	return gen_loop(&s);
}

/*
 * Where a batched fill's time goes, without signals: mmap 16 pages with
 * MAP_POPULATE, then read each page once, then once more.  Under a hypervisor
 * that shadows the guest's page tables the first read can still trap.
 */
static void measure_a2_parts(gen_fn touch)
{
	double vm[RUNS], v1[RUNS], v2[RUNS];
	uint32_t lin = KMAP_LIN + A2B_PHYS;
	struct gen_args ga = { 0 };
	ga.count = 1;
	ga.inner = A2B_PAGES;
	ga.rbx0 = lin;
	g.fault_win = g.win0;
	g.fault_mode = FAULT_NONE;
	for (int i = -1; i < RUNS; i++) {
		double t0 = now_ns();
		for (uint32_t p = 0; p < A2B_PAGES; p += 16)
			if (window_map(g.win0, lin + p * PAGE, 16 * PAGE, A2B_PHYS + p * PAGE,
				       PROT_READ | PROT_WRITE, 1))
				die("A2: mmap: %s", strerror(errno));
		double t1 = now_ns();
		touch(&ga);
		double t2 = now_ns();
		touch(&ga);
		double t3 = now_ns();
		window_drop(g.win0, lin, (size_t)A2B_PAGES * PAGE);
		if (i >= 0) {
			vm[i] = (t1 - t0) / A2B_PAGES;
			v1[i] = (t2 - t1) / A2B_PAGES;
			v2[i] = (t3 - t2) / A2B_PAGES;
		}
	}
	g.fault_win = NULL;
	R.a2_pop16 = summarize(vm, RUNS);
	R.a2_first = summarize(v1, RUNS);
	print_result("A2", "  part: mmap of 16 pages, MAP_POPULATE, no fault, per page", R.a2_pop16, "ns/page");
	print_result("A2", "  part: first read of each of those pages", R.a2_first, "ns/page");
	print_result("A2", "  part: second read of each page", summarize(v2, RUNS), "ns/page");
}

static void measure_a2(void)
{
	gen_fn f = touch_loop(V_AGS, K_LOAD, CLS_UR, PAGE);
	struct result *out[4] = { &R.a2_single, &R.a2_single_pop, &R.a2_batch, &R.a2_batch_pop };
	static const char *what[4] = {
		"lazy fill, 1 page per fault (fault+walk+mmap+retry)",
		"lazy fill, 1 page per fault, MAP_POPULATE",
		"lazy fill, 16-page group per fault, per page",
		"lazy fill, 16-page group per fault, MAP_POPULATE, per page",
	};
	for (int m = 0; m < 4; m++) {
		int batch = m >= 2;
		uint32_t lin = batch ? KMAP_LIN + A2B_PHYS : user_lin(A2_FIRST);
		uint32_t pages = batch ? A2B_PAGES : A2_PAGES;
		struct gen_args ga = { 0 };
		double v[RUNS];
		ga.count = 1;
		ga.inner = pages;
		ga.rbx0 = lin;
		g.fault_win = g.win0;
		g.fault_mode = FAULT_FILL;
		g.fill_batch = batch ? 16 : 1;
		g.fill_populate = m & 1;
		for (int i = -1; i < RUNS; i++) {
			unsigned long faults = g.faults;
			double t0 = now_ns();
			f(&ga);
			double t = now_ns() - t0;
			if (g.faults - faults != (batch ? pages / 16 : pages))
				die("A2: %lu faults for %u pages", g.faults - faults, pages);
			window_drop(g.win0, lin, (size_t)pages * PAGE);
			if (i >= 0)
				v[i] = t / pages;
		}
		g.fault_mode = FAULT_NONE;
		g.fault_win = NULL;
		*out[m] = summarize(v, RUNS);
		print_result("A2", what[m], *out[m], m < 2 ? "ns/fill" : "ns/page");
	}
	measure_a2_parts(f);
}

static uint32_t ptw_lin(void)
{
	return KMAP_LIN + (USER_PT_FRAME + PTW_USER_PAGE / 1024) * PAGE + PTW_USER_PAGE % 1024 * 4;
}

static void measure_ptwrite(void)
{
	uint32_t lin = ptw_lin(), pte = *guest_ptr(lin);
	struct gen_args ga = { 0 };
	ga.count = 1;
	ga.inner = 2000;
	ga.rbx0 = lin;
	ga.rax0 = pte;
	ga.slow = (const void *)b_slow_path;

	/* A3: the page-table page is mapped read-only in the window */
	window_map_guest(g.win0, lin, 1);
	gen_fn f = touch_loop(V_AGS, K_STORE, CLS_SW, 0);
	g.fault_win = g.win0;
	g.fault_mode = FAULT_EMULATE_STORE;
	unsigned long faults = g.faults;
	R.a3 = time_fn(f, &ga, (double)ga.inner);
	g.fault_mode = FAULT_NONE;
	g.fault_win = NULL;
	if (g.faults - faults != (RUNS + 1) * ga.inner || *guest_ptr(lin) != pte)
		die("A3: %lu faults", g.faults - faults);
	print_result("A3", "page-table write: fault, emulate, skip", R.a3, "ns/write");

	/* B3: no write entry for page-table pages: slow path writes + drops */
	for (int v = 0; v < 2; v++) {
		const char *what = v ? "B2 page-table write: miss stub + C write + drop" :
				       "B1 page-table write: miss stub + C write + drop";
		if (v && !g.have_bmi2) {
			print_skipped("B3", what, "no BMI2");
			continue;
		}
		ga.tlb = v ? &tlb2 : &tlb1;
		ga.r15 = (uint64_t)(uintptr_t)ga.tlb->table;
		*stlb_slot(ga.tlb, PTW_USER_PAGE + (USER_LIN >> 12), CLS_UR) = 1;    /* must be dropped */
		f = touch_loop(v ? V_B2 : V_B1, K_STORE, CLS_SW, 0);
		unsigned long slow = g.slow_calls;
		R.bptw[v] = time_fn(f, &ga, (double)ga.inner);
		if (g.slow_calls - slow != (RUNS + 1) * ga.inner || *guest_ptr(lin) != pte ||
		    *stlb_slot(ga.tlb, PTW_USER_PAGE + (USER_LIN >> 12), CLS_UR))
			die("B3: wrong slow-path count or no invalidation");
		print_result("B3", what, R.bptw[v], "ns/write");
	}
}

static void measure_bmiss(void)
{
	for (int v = 0; v < 2; v++) {
		const char *what = v ? "B2 miss: stub + walk + install + retry (pushfq)" :
				       "B1 miss: stub + walk + install + retry";
		if (v && !g.have_bmi2) {
			print_skipped("B2", what, "no BMI2");
			continue;
		}
		struct stlb *t = v ? &tlb2 : &tlb1;
		gen_fn f = touch_loop(v ? V_B2 : V_B1, K_LOAD, CLS_UR, PAGE);
		struct gen_args ga = { 0 };
		double r[RUNS];
		ga.count = 1;
		ga.inner = BMISS_PAGES;
		ga.rbx0 = user_lin(BMISS_FIRST);
		ga.tlb = t;
		ga.r15 = (uint64_t)(uintptr_t)t->table;
		ga.slow = (const void *)b_slow_path;
		for (int i = -1; i < RUNS; i++) {
			unsigned long slow = g.slow_calls;
			double t0 = now_ns();
			f(&ga);
			double dt = now_ns() - t0;
			if (g.slow_calls - slow != BMISS_PAGES)
				die("B miss: %lu slow calls", g.slow_calls - slow);
			for (uint32_t p = 0; p < BMISS_PAGES; p++)
				stlb_drop_page(t, (user_lin(BMISS_FIRST) >> 12) + p);
			if (i >= 0)
				r[i] = dt / BMISS_PAGES;
		}
		R.bmiss[v] = summarize(r, RUNS);
		print_result(v ? "B2" : "B1", what, R.bmiss[v], "ns/miss");
	}
}

static void measure_switch(void)
{
	struct gen_args ga = { 0 };
	ga.aux0 = (uint64_t)(uintptr_t)g.win0;
	ga.aux1 = (uint64_t)(uintptr_t)g.win1;
	ga.count = 20;
	ga.inner = 1000;
	if (g.have_wrgsbase) {
		struct loop_spec s = { V_SPECIAL, K_LOAD, S_WRGSBASE, 16, 0, 0, 0, 0 };
		R.wrgs = time_fn(gen_loop(&s), &ga, 20.0 * 1000 * 16);
		print_result("A4", "window switch: WRGSBASE", R.wrgs, "ns");
		s.sp = S_RDGSBASE;
		R.rdgs = time_fn(gen_loop(&s), &ga, 20.0 * 1000 * 16);
		print_result("A4", "RDGSBASE", R.rdgs, "ns");
		if (rdgsbase() != (uint64_t)(uintptr_t)g.win0)
			die("A4: GS base not restored");
	} else {
		print_skipped("A4", "window switch: WRGSBASE", "WRGSBASE faults in user mode "
			      "(no FSGSBASE); the window base is set with arch_prctl(ARCH_SET_GS)");
	}
	double v[RUNS], w[RUNS];
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_ns();
		for (int j = 0; j < 100; j++)
			if (set_gs((uint64_t)(uintptr_t)g.win1) || set_gs((uint64_t)(uintptr_t)g.win0))
				die("arch_prctl(ARCH_SET_GS): %s", strerror(errno));
		v[i] = (now_ns() - t0) / 200;
		unsigned long base;
		t0 = now_ns();
		for (int j = 0; j < 200; j++)
			syscall(SYS_arch_prctl, ARCH_GET_GS, &base);
		w[i] = (now_ns() - t0) / 200;
	}
	R.archprctl = summarize(v, RUNS);
	R.arch_get = summarize(w, RUNS);
	print_result("A4", "window switch: arch_prctl(ARCH_SET_GS)", R.archprctl, "ns");
	print_result("A4", "arch_prctl(ARCH_GET_GS) (reads the MSR)", R.arch_get, "ns");
}

/* Map A5_PAGES scattered user pages into win2 and touch them. */
static void a5_populate(void)
{
	for (uint32_t i = 0; i < A5_PAGES; i++)
		window_map_guest(g.win2, user_lin(i), 1);
}

static void measure_invalidation(void)
{
	double v[RUNS];
	uint32_t base = user_lin(0);
	for (int i = 0; i < RUNS; i++) {
		a5_populate();
		double t0 = now_ns();
		for (uint32_t p = 0; p < A5_PAGES; p++)
			if (mprotect(g.win2 + user_lin(p), PAGE, PROT_NONE))
				die("mprotect: %s", strerror(errno));
		for (uint32_t p = 0; p < A5_PAGES; p++)
			if (mprotect(g.win2 + user_lin(p), PAGE, PROT_READ | PROT_WRITE))
				die("mprotect: %s", strerror(errno));
		v[i] = (now_ns() - t0) / (2 * A5_PAGES);
		window_drop(g.win2, base, A5_PAGES * PAGE);
	}
	R.mprot = summarize(v, RUNS);
	print_result("A5", "mprotect of one mapped page (NONE, then RW)", R.mprot, "ns");

	for (int i = 0; i < RUNS; i++) {
		a5_populate();
		double t0 = now_ns();
		for (uint32_t p = 0; p < A5_PAGES; p++)
			window_drop(g.win2, user_lin(p), PAGE);
		v[i] = (now_ns() - t0) / A5_PAGES;
	}
	R.drop = summarize(v, RUNS);
	print_result("A5", "drop one page: mmap PROT_NONE MAP_FIXED over it", R.drop, "ns");

	for (int i = 0; i < RUNS; i++) {
		a5_populate();
		double t0 = now_ns();
		for (uint32_t p = 0; p < A5_PAGES; p++)
			if (munmap(g.win2 + user_lin(p), PAGE))
				die("munmap: %s", strerror(errno));
		v[i] = (now_ns() - t0) / A5_PAGES;
		window_drop(g.win2, base, A5_PAGES * PAGE);
	}
	R.unmap = summarize(v, RUNS);
	print_result("A5", "munmap of one page (leaves a hole in the window)", R.unmap, "ns");

	for (int i = 0; i < RUNS; i++) {
		a5_populate();
		double t0 = now_ns();
		window_reset(g.win2);
		v[i] = (now_ns() - t0) / 1000;
	}
	R.reset_unmap = summarize(v, RUNS);
	print_result("A5", "window reset, 1000 pages mapped: munmap + mmap 4 GiB", R.reset_unmap, "us");

	for (int i = 0; i < RUNS; i++) {
		a5_populate();
		double t0 = now_ns();
		window_drop(g.win2, 0, WINDOW_SIZE);
		v[i] = (now_ns() - t0) / 1000;
	}
	R.reset_over = summarize(v, RUNS);
	print_result("A5", "window reset, 1000 pages mapped: one mmap over 4 GiB", R.reset_over, "us");
}

static unsigned count_vmas(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned n = 0;
	int c;
	if (!f)
		return 0;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * A6: map single pages (every other linear page, so none merge) into an empty
 * window until mmap fails; time each bucket of A6_BUCKET maps.
 */
static void measure_vma_growth(void)
{
	enum { NB = A6_MAX / A6_BUCKET };
	double t[RUNS][NB], reset[RUNS];
	unsigned fail[RUNS], vmas_at_fail = 0, vmas_before = count_vmas();
	int errno_at_fail = 0;
	for (int r = 0; r < RUNS; r++) {
		unsigned i;
		double t0 = now_ns();
		fail[r] = 0;
		for (i = 0; i < A6_MAX; i++) {
			if (window_map(g.win2, i * 2 * PAGE, PAGE, user_frame(i % USER_PAGES),
				       PROT_READ | PROT_WRITE, 0)) {
				errno_at_fail = errno;
				fail[r] = i;
				if (r == 0)
					vmas_at_fail = count_vmas();
				break;
			}
			if ((i + 1) % A6_BUCKET == 0) {
				double t1 = now_ns();
				t[r][i / A6_BUCKET] = (t1 - t0) / A6_BUCKET;
				t0 = t1;
			}
		}
		unsigned mapped = fail[r] ? fail[r] : A6_MAX;
		for (unsigned b = mapped / A6_BUCKET; b < NB; b++)
			t[r][b] = -1;
		/*
		 * At the limit even an mmap over the whole window fails: a failed
		 * split leaves map_count just above the limit, and mmap refuses
		 * to start then.  munmap does not.
		 */
		t0 = now_ns();
		window_reset(g.win2);
		reset[r] = (now_ns() - t0) / 1000;
	}
	printf("A6   vm.max_map_count %ld; %u VMAs in the process before\n",
	       read_long("/proc/sys/vm/max_map_count"), vmas_before);
	for (unsigned b = 0; b < NB; b++) {
		double v[RUNS];
		int n = 0;
		for (int r = 0; r < RUNS; r++)
			if (t[r][b] >= 0)
				v[n++] = t[r][b];
		if (n < RUNS)
			break;
		char what[80];
		snprintf(what, sizeof what, "mmap of one page, pages %u-%u already mapped",
			 b * A6_BUCKET, (b + 1) * A6_BUCKET - 1);
		print_result("A6", what, summarize(v, n), "ns/map");
	}
	R.a6_fail = fail[0];
	for (int r = 0; r < RUNS; r++)
		if (fail[r] != fail[0])
			printf("A6   (run %d failed at %u)\n", r, fail[r]);
	if (fail[0])
		printf("A6   mmap failed (%s) at page %u of %u: %u VMAs at that point\n",
		       strerror(errno_at_fail), fail[0], A6_MAX, vmas_at_fail);
	else
		printf("A6   all %u single-page mappings succeeded\n", A6_MAX);
	char what[80];
	snprintf(what, sizeof what, "window reset holding %u single-page mappings",
		 fail[0] ? fail[0] : A6_MAX);
	print_result("A6", what, summarize(reset, RUNS), "us");
}

static void measure_references(void)
{
	double v[RUNS];
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_ns();
		for (int j = 0; j < 1000; j++)
			syscall(SYS_getpid);
		v[i] = (now_ns() - t0) / 1000;
	}
	R.getpid = summarize(v, RUNS);
	print_result("R", "getpid system call (the kernel-entry floor)", R.getpid, "ns");
}

static void measure_flags(void)
{
	struct gen_args ga = { 0 };
	struct loop_spec s = { V_SPECIAL, K_LOAD, S_PUSHF, 16, 0, 0, 0, 0 };
	ga.count = 20;
	ga.inner = 1000;
	R.pushf = time_fn(gen_loop(&s), &ga, 20.0 * 1000 * 16);
	print_result("R", "pushfq + popfq", R.pushf, "ns/pair");
	s.sp = S_LAHF;
	R.lahf = time_fn(gen_loop(&s), &ga, 20.0 * 1000 * 16);
	print_result("R", "seto al + lahf, add al,0x7f + sahf", R.lahf, "ns/pair");
}

/* ------------------------------------------------------------------------ */
/* Summary */

static double breakeven(double a_miss, double b_miss, double a_hit, double b_hit)
{
	return b_hit > a_hit ? (a_miss - b_miss) / (b_hit - a_hit) : -1;
}

static void fmt_breakeven(char *buf, size_t n, double v)
{
	if (v < 0)
		snprintf(buf, n, "never");
	else
		snprintf(buf, n, "%.0f", v);
}

static void print_breakeven(const char *what, double n)
{
	if (n < 0)
		printf("  %-52s A never cheaper (B hit not dearer than A hit)\n", what);
	else
		printf("  %-52s %8.0f hits per miss\n", what, n);
}

static void summary(void)
{
	const double a_ind = R.hit[V_AGS][K_LOAD].med, a_dep = R.hit[V_AGS][K_CHAIN].med;
	const double b1_ind = R.hit[V_B1][K_LOAD].med, b1_dep = R.hit[V_B1][K_CHAIN].med;
	const double b2_ind = R.hit[V_B2][K_LOAD].med, b2_dep = R.hit[V_B2][K_CHAIN].med;
	const double a_miss = R.a2_single.med, a_bmiss = R.a2_batch.med;
	const double b1_miss = R.bmiss[0].med, b2_miss = R.bmiss[1].med;
	const int b2 = g.have_bmi2;

	printf("\n=== summary (medians; ns unless noted) ===\n");
	printf("%-30s %9s %9s %9s %9s %9s\n", "hit", "native", "A gs", "A-reg", "B1", "B2");
	static const char *kn[3] = { "  load, independent", "  store, independent", "  load, dependent" };
	for (int k = K_LOAD; k <= K_CHAIN; k++) {
		printf("%-30s", kn[k]);
		for (int v = V_NATIVE; v < V_SPECIAL; v++)
			if (R.hit[v][k].ok)
				printf(" %9.2f", R.hit[v][k].med);
			else
				printf(" %9s", "-");
		printf("\n");
	}
	printf("%-30s %9zu %9zu %9zu %9zu %9zu\n", "  bytes per load site", R.seq_len[0], R.seq_len[1],
	       R.seq_len[2], R.seq_len[3], R.seq_len[4]);
	/* as emitted by gen_access/gen_b1/gen_b2, counting the linear-address LEA and the access */
	printf("%-30s %9s %9s %9s %9s %9s\n", "  instructions per load site", "1", "1", "2", "12", "11+");
	printf("  (B2 also jumps over a JRCXZ trampoline island once per 2 sites)\n");
	printf("miss (per page)\n");
	printf("  A fault+mmap, 1 page          %9.0f   (MAP_POPULATE %.0f)\n", a_miss, R.a2_single_pop.med);
	printf("  A fault+mmap, 16-page group   %9.0f   (MAP_POPULATE %.0f)\n", a_bmiss, R.a2_batch_pop.med);
	printf("    of which, without a fault:  %9.0f   mmap+MAP_POPULATE, %.0f first read of the page\n",
	       R.a2_pop16.med, R.a2_first.med);
	printf("  B1 call+walk+install          %9.1f\n", b1_miss);
	if (b2)
		printf("  B2 call+walk+install          %9.1f\n", b2_miss);
	printf("guest page-table write\n");
	printf("  A trap+emulate                %9.0f   (+ %.0f to drop the page the PTE maps)\n",
	       R.a3.med, R.drop.med);
	printf("  B1 call+write+drop            %9.1f\n", R.bptw[0].med);
	if (b2)
		printf("  B2 call+write+drop            %9.1f\n", R.bptw[1].med);
	printf("address-space switch\n");
	if (g.have_wrgsbase)
		printf("  A WRGSBASE                    %9.1f   (%s)\n", R.wrgs.med,
		       g.gs_lost ? "NOT kept across context switches by this kernel" : "kept by the kernel");
	printf("  A arch_prctl(ARCH_SET_GS)     %9.0f\n", R.archprctl.med);
	printf("  B change the table register   %9s   (one mov)\n", "~0");
	printf("invalidate one page: A mmap over %.0f, mprotect %.0f, munmap %.0f; B store 0 to 4 entries ~1\n",
	       R.drop.med, R.mprot.med, R.unmap.med);
	printf("window reset with 1000 pages: %.0f us (munmap+mmap), %.0f us (mmap over)\n",
	       R.reset_unmap.med, R.reset_over.med);
	printf("flags save/restore around a lookup: pushfq/popfq %.2f, seto+lahf/add+sahf %.2f\n",
	       R.pushf.med, R.lahf.med);

	printf("\nratios\n");
	printf("  hit, independent loads: A/native %.2f, B1/A %.2f%s", a_ind / R.hit[V_NATIVE][K_LOAD].med,
	       b1_ind / a_ind, b2 ? "" : "\n");
	if (b2)
		printf(", B2/A %.2f, B2/B1 %.2f\n", b2_ind / a_ind, b2_ind / b1_ind);
	printf("  hit, dependent loads:   A/native %.2f, B1/A %.2f%s", a_dep / R.hit[V_NATIVE][K_CHAIN].med,
	       b1_dep / a_dep, b2 ? "" : "\n");
	if (b2)
		printf(", B2/A %.2f, B2/B1 %.2f\n", b2_dep / a_dep, b2_dep / b1_dep);
	printf("  miss: A single/B1 %.0f, A batched/B1 %.0f per page\n", a_miss / b1_miss, a_bmiss / b1_miss);
	printf("  page-table write: A/B1 %.0f\n", R.a3.med / R.bptw[0].med);

	printf("\nbreak-even: A is cheaper when hits per miss exceed (A_miss - B_miss) / (B_hit - A_hit)\n");
	print_breakeven("B1, independent loads, A 1 page per fault:", breakeven(a_miss, b1_miss, a_ind, b1_ind));
	print_breakeven("B1, independent loads, A 16-page groups:", breakeven(a_bmiss, b1_miss, a_ind, b1_ind));
	print_breakeven("B1, dependent loads,   A 1 page per fault:", breakeven(a_miss, b1_miss, a_dep, b1_dep));
	print_breakeven("B1, dependent loads,   A 16-page groups:", breakeven(a_bmiss, b1_miss, a_dep, b1_dep));
	if (b2) {
		print_breakeven("B2, independent loads, A 1 page per fault:", breakeven(a_miss, b2_miss, a_ind, b2_ind));
		print_breakeven("B2, independent loads, A 16-page groups:", breakeven(a_bmiss, b2_miss, a_ind, b2_ind));
		print_breakeven("B2, dependent loads,   A 1 page per fault:", breakeven(a_miss, b2_miss, a_dep, b2_dep));
		print_breakeven("B2, dependent loads,   A 16-page groups:", breakeven(a_bmiss, b2_miss, a_dep, b2_dep));
	}
	double ptw_extra = R.a3.med + R.drop.med - R.bptw[0].med;
	printf("  each guest PTE write costs A %.0f ns more than B1 (with the drop), = %.0f independent B1-A hit savings\n",
	       ptw_extra, ptw_extra / (b1_ind - a_ind));

	char be1[32], be16[32], bed[32], b2hit[64] = "";
	fmt_breakeven(be1, sizeof be1, breakeven(a_miss, b1_miss, a_ind, b1_ind));
	fmt_breakeven(be16, sizeof be16, breakeven(a_bmiss, b1_miss, a_ind, b1_ind));
	fmt_breakeven(bed, sizeof bed, breakeven(a_miss, b1_miss, a_dep, b1_dep));
	if (b2)
		snprintf(b2hit, sizeof b2hit, " and %.2f ns (B2, %.1fx)", b2_ind, b2_ind / a_ind);
	int wrgs_ok = g.have_wrgsbase && !g.gs_lost;
	printf("\nconclusion: a hit through the window costs what a native access costs (%.2f vs %.2f ns "
	       "per independent load, %.2f vs %.2f ns on a dependent chain), while the inline lookup costs "
	       "%.2f ns (B1, %.1fx A)%s per independent load and changes a dependent load by %+.2f ns (B1). "
	       "Misses are where A pays: fault, walk and mmap of one page cost %.1f us against %.0f ns for "
	       "B1's call into C (%.0fx), and still %.1f us per page when the handler maps a 16-page group "
	       "(the first read of a newly mapped page costs %.1f us here even after MAP_POPULATE); "
	       "a guest page-table write costs %.1f us trapped, plus %.1f us to drop the mapping it "
	       "changes, against %.0f ns in B; an address-space switch costs A %s (%.0f ns) and B one "
	       "register move. A saves %.2f ns per independent hit and loses %.1f us per single-page miss, "
	       "so it is cheaper only when a page mapping serves more than about %s hits before it is "
	       "filled again (%s with 16-page fills, %s if the hits are dependent loads), and each guest "
	       "PTE write adds %.0f hits to that. Kernel entries cost %.0f ns (getpid) during this run; "
	       "A's slow paths scale with that figure, B's do not.\n",
	       a_ind, R.hit[V_NATIVE][K_LOAD].med, a_dep, R.hit[V_NATIVE][K_CHAIN].med,
	       b1_ind, b1_ind / a_ind, b2hit, b1_dep - a_dep,
	       a_miss / 1000, b1_miss, a_miss / b1_miss, a_bmiss / 1000, R.a2_first.med / 1000,
	       R.a3.med / 1000, R.drop.med / 1000, R.bptw[0].med,
	       wrgs_ok ? "a WRGSBASE" : "an arch_prctl system call", wrgs_ok ? R.wrgs.med : R.archprctl.med,
	       b1_ind - a_ind, (a_miss - b1_miss) / 1000, be1, be16, bed,
	       ptw_extra / (b1_ind - a_ind), R.getpid.med);
	if (g.have_wrgsbase && g.gs_lost)
		printf("\nwarning: WRGSBASE works in user mode here but the kernel does not advertise FSGSBASE "
		       "(AT_HWCAP2 bit %s) and lost the value in %d of %d context switches against a task "
		       "with its own GS base: design A cannot switch windows with WRGSBASE alone on this "
		       "kernel; it needs arch_prctl (%.0f ns) or a base register (A-reg).\n",
		       g.hwcap_fsgsbase ? "set" : "clear", g.gs_lost, g.gs_tries, R.archprctl.med);
}

/* ------------------------------------------------------------------------ */

static void pin_to_current_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;
	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set))
		fprintf(stderr, "bt-memcost: sched_setaffinity: %s\n", strerror(errno));
}

static void print_header(void)
{
	struct utsname u;
	char model[128] = "?";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[256];
		while (fgets(line, sizeof line, f))
			if (!strncmp(line, "model name", 10)) {
				char *p = strchr(line, ':');
				if (p) {
					snprintf(model, sizeof model, "%s", p + 2);
					model[strcspn(model, "\n")] = 0;
				}
				break;
			}
		fclose(f);
	}
	char load[64] = "?";
	f = fopen("/proc/loadavg", "r");
	if (f) {
		if (!fgets(load, sizeof load, f))
			load[0] = 0;
		load[strcspn(load, "\n")] = 0;
		fclose(f);
	}
	uname(&u);
	printf("bt-memcost: %s %s, %s, %ld CPUs, running on CPU %d, loadavg %s\n",
	       u.sysname, u.release, model, sysconf(_SC_NPROCESSORS_ONLN), sched_getcpu(), load);
	printf("%d runs per figure after one warm-up: median [min .. max]\n", RUNS);
	printf("features: WRGSBASE in user mode %s; AT_HWCAP2 FSGSBASE %s; BMI2 %s\n",
	       g.have_wrgsbase ? "works" : "faults", g.hwcap_fsgsbase ? "set" : "clear",
	       g.have_bmi2 ? "yes" : "no");
	if (g.have_wrgsbase)
		printf("GS base written with WRGSBASE lost in %d of %d context switches against a task with "
		       "its own base (%s); windows are set with arch_prctl below\n",
		       g.gs_lost, g.gs_tries, g.gs_lost ? "NOT preserved by this kernel" : "preserved");
	else
		printf("skipped: WRGSBASE unavailable in user mode; the window base is set with "
		       "arch_prctl(ARCH_SET_GS) instead\n");
}

static void setup(void)
{
	g.memfd = memfd_create("bt-memcost-ram", 0);
	if (g.memfd < 0 || ftruncate(g.memfd, RAM_SIZE))
		die("memfd: %s", strerror(errno));
	if (fallocate(g.memfd, 0, 0, RAM_SIZE))
		die("fallocate: %s", strerror(errno));
	g.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, g.memfd, 0);
	if (g.ram == MAP_FAILED)
		die("mmap ram: %s", strerror(errno));
	memset(g.ram, 0, RAM_SIZE);
	guest_init();

	g.native = mmap(NULL, HIT_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (g.native == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(g.native, 0, HIT_BYTES);

	g.win0 = window_reserve();
	g.win1 = window_reserve();
	g.win2 = window_reserve();
	for (uint32_t p = 0; p < HIT_PAGES; p++)
		window_map_guest(g.win0, user_lin(p), 1);

	stlb_init(&tlb1, 0);
	stlb_init(&tlb2, 1);
	for (uint32_t p = 0; p < HIT_PAGES; p++)
		for (unsigned c = CLS_UR; c <= CLS_UW; c++) {
			b_slow_path(&tlb1, user_lin(p), c, 0, NULL, NULL);
			b_slow_path(&tlb2, user_lin(p), c, 0, NULL, NULL);
		}

	void *p = mmap(NULL, 4u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap code: %s", strerror(errno));
	code.base = code.p = p;
	code.end = code.base + (4u << 20);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
}

int main(int argc, char **argv)
{
	unsigned a, b, c, d;
	int no_wrgsbase = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-d"))
			g.dump = 1;
		else if (!strcmp(argv[i], "-g"))
			no_wrgsbase = 1;
		else
			die("usage: %s [-d] [-g]", argv[0]);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pin_to_current_cpu();
	g.have_bmi2 = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 8 & 1);
	g.hwcap_fsgsbase = (getauxval(AT_HWCAP2) & 2) != 0;
	g.have_wrgsbase = !no_wrgsbase && probe_wrgsbase();
	if (g.have_wrgsbase)
		probe_gs_kept();
	print_header();
	setup();
	describe_sequences(R.seq_len);
	if (set_gs((uint64_t)(uintptr_t)g.win0))
		die("arch_prctl(ARCH_SET_GS): %s", strerror(errno));

	printf("\n--- hits (256 KiB working set, %u pages) ---\n", HIT_PAGES);
	measure_hits();
	printf("\n--- misses ---\n");
	measure_a2();
	measure_bmiss();
	printf("\n--- guest page-table writes ---\n");
	measure_ptwrite();
	printf("\n--- window switch ---\n");
	measure_switch();
	printf("\n--- invalidation ---\n");
	measure_invalidation();
	printf("\n--- VMA growth ---\n");
	measure_vma_growth();
	printf("\n--- references ---\n");
	measure_flags();
	measure_references();
	summary();
	return 0;
}

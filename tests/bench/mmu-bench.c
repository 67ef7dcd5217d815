/*
 * make bench: the shadow MMU's costs, measured on the interpreter's C paths.
 *  - a guest memory access that hits the shadow table (lin_read), next to the
 *    same access through the plain page walker (page_walk + mem_read_phys), the
 *    reference measured in the same run;
 *  - MOV CR3 to a cached context vs to a new one (which evicts and flushes the
 *    least recently used context: each context had 64 pages filled);
 *  - one fill (a miss: walk, install, reverse maps).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpu/interp.h"
#include "mmu/walk.h"

#define RAM (64u << 20)
#define NSPACES 32
#define PD_BASE 0x100000u      /* page directories: PD_BASE + i * 0x2000, table follows */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void put32(struct mem *m, uint32_t pa, uint32_t v)
{
	mem_write_phys(m, pa, v, 4);
}

/* address space i: linear 0x400000-0x7fffff -> physical 0x1000000 + i * 0x40000 ... */
static void build_spaces(struct mem *m)
{
	for (uint32_t i = 0; i < NSPACES; i++) {
		uint32_t pd = PD_BASE + i * 0x2000, pt = pd + 0x1000;
		for (uint32_t j = 0; j < 1024; j++) {
			put32(m, pd + 4 * j, 0);
			put32(m, pt + 4 * j, (0x1000000u + i * 0x40000u + j * 0x1000u) | 7);
		}
		put32(m, pd + 4, pt | 7);                     /* 0x400000: the test pages */
		put32(m, pd, 0x00000087u);                    /* 0-4 MiB: a 4 MiB page */
	}
}

int main(void)
{
	static struct mem mem;
	static struct cpu cpu;
	jmp_buf jb;
	if (mem_init(&mem, RAM) || cpu_init(&cpu, &mem)) {
		fprintf(stderr, "mmu-bench: setup failed\n");
		return 1;
	}
	cpu.unwind = &jb;
	if (setjmp(jb)) {
		fprintf(stderr, "mmu-bench: unexpected exception %d\n", cpu.ex_vector);
		return 1;
	}
	build_spaces(&mem);
	cpu_set_cr4(&cpu, CPU_CR4_PSE);
	cpu_set_cr3(&cpu, PD_BASE);
	cpu_set_cr0(&cpu, CPU_CR0_PE | CPU_CR0_PG | CPU_CR0_ET);

	/* 1. hits: 64 pages, read round-robin */
	const unsigned N = 20000000;
	volatile uint32_t sink = 0;
	for (uint32_t p = 0; p < 64; p++)
		sink += lin_read(&cpu, 0x400000 + p * 0x1000, 4, ACC_READ);
	double t0 = now();
	for (unsigned i = 0; i < N; i++)
		sink += lin_read(&cpu, 0x400000 + ((i & 63) << 12) + (i & 0xffc), 4, ACC_READ);
	double hit = (now() - t0) / N * 1e9;
	t0 = now();
	struct paging pg = cpu_paging(&cpu);
	for (unsigned i = 0; i < N / 4; i++) {
		struct walk w;
		page_walk(&pg, 0x400000 + ((i & 63) << 12) + (i & 0xffc), 0, &w);
		sink += mem_read_phys(&mem, w.pa, 4);
	}
	double walk = (now() - t0) / (N / 4) * 1e9;

	/* 2. MOV CR3 to a cached context (8 spaces, within the cache) */
	for (uint32_t i = 0; i < 8; i++) {
		cpu_set_cr3(&cpu, PD_BASE + i * 0x2000);
		for (uint32_t p = 0; p < 64; p++)
			sink += lin_read(&cpu, 0x400000 + p * 0x1000, 4, ACC_READ);
	}
	const unsigned S = 2000000;
	t0 = now();
	for (unsigned i = 0; i < S; i++)
		cpu_set_cr3(&cpu, PD_BASE + (i & 7) * 0x2000);
	double cached = (now() - t0) / S * 1e9;

	/* ... and to a new one: 32 spaces cycled, each refilled with 64 pages */
	const unsigned R = 20000;
	double fill_total = 0, switch_new = 0;
	for (unsigned i = 0; i < R; i++) {
		double a = now();
		cpu_set_cr3(&cpu, PD_BASE + (i % NSPACES) * 0x2000);
		double b = now();
		for (uint32_t p = 0; p < 64; p++)
			sink += lin_read(&cpu, 0x400000 + p * 0x1000, 4, ACC_READ);
		double c = now();
		switch_new += b - a;
		fill_total += c - b;
	}
	double newctx = switch_new / R * 1e9;
	double fill = fill_total / (R * 64.0) * 1e9;

	printf("shadow hit (lin_read, 4 bytes): %.1f ns per access\n", hit);
	printf("plain walk + physical read:     %.1f ns per access (reference)\n", walk);
	printf("ratio: a shadow hit costs 1/%.1f of a page walk\n", walk / hit);
	printf("MOV CR3 to a cached context:    %.1f ns\n", cached);
	printf("MOV CR3 to a new context:       %.1f ns (evicts and flushes 64 filled pages)\n", newctx);
	printf("fill (miss, walk, install):     %.1f ns per page, %.1f x a hit\n", fill, fill / hit);
	printf("stats: %" PRIu64 " fills, %" PRIu64 " evictions\n", cpu.shadow.stats.fills,
	       cpu.shadow.stats.evictions);
	cpu_free(&cpu);
	mem_free(&mem);
	return sink == 0xdeadbeef;
}

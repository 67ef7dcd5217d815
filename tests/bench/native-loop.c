/*
 * The loop of roms/bench.asm executed natively on the host (x86-64), as the
 * reference for the interpreter benchmark: prints native millions of
 * instructions per second for the same 8-instruction loop.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	unsigned long iter = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000000ul;
	static uint32_t buf[4] = { 12345 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint32_t ebx = 0, edx = 0;
	unsigned long ecx = iter;
	__asm__ volatile(
		"1:\n\t"
		"movl (%[p]), %%eax\n\t"
		"addl %[b], %%eax\n\t"
		"xorl %%eax, %[b]\n\t"
		"shll $3, %%eax\n\t"
		"movl %%eax, 4(%[p])\n\t"
		"incl %[d]\n\t"
		"sub $1, %[c]\n\t"
		"jnz 1b\n\t"
		: [b] "+r"(ebx), [d] "+r"(edx), [c] "+r"(ecx)
		: [p] "r"(buf)
		: "eax", "memory", "cc");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.1f\n", 8.0 * (double)iter / s / 1e6);
	return ebx == 0xdeadbeef;   /* keep the result alive */
}

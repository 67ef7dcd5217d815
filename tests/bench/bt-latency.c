/*
 * How long a request takes to reach translated code: the test machine runs
 * the tight loop of roms/bench.asm translated (its loop block chains to
 * itself, so only the block-entry check of cpu->exit_req sees a request),
 * while a second thread, every millisecond or so, notes the time and sets
 * CPU_REQ_KICK; cpu_run returns when the translator has seen it.  Prints the
 * median, 99th percentile and worst latency in microseconds.  A benchmark:
 * numbers, never pass/fail.
 *
 * Usage: bt-latency BENCH_ROM [SAMPLES]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../bt/bt.h"
#include "../../devices/testmachine.h"

static struct testmachine tm;
static _Atomic uint64_t kicked_at;
static atomic_bool done;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *kicker(void *arg)
{
	(void)arg;
	while (!atomic_load(&done)) {
		struct timespec d = { 0, 500000 + rand() % 1000000 };
		nanosleep(&d, NULL);
		if (atomic_load(&kicked_at))
			continue;   /* the last one not seen yet */
		atomic_store(&kicked_at, now_ns());
		cpu_request(&tm.cpu, CPU_REQ_KICK);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bt-latency BENCH_ROM [SAMPLES]\n");
		return 2;
	}
	unsigned samples = argc > 2 ? (unsigned)atoi(argv[2]) : 1000;
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	static uint8_t rom[1 << 20];
	size_t n = fread(rom, 1, sizeof(rom), f);
	fclose(f);
	if (testmachine_init(&tm, 16u << 20, rom, (uint32_t)n, NULL, 0, NULL)) {
		fprintf(stderr, "bt-latency: %s\n", tm.error);
		return 1;
	}
	char err[200];
	if (bt_attach(&tm.cpu, NULL, err, sizeof(err))) {
		fprintf(stderr, "bt-latency: %s\n", err);
		return 1;
	}
	uint64_t *lat = calloc(samples, sizeof(*lat));
	pthread_t th;
	pthread_create(&th, NULL, kicker, NULL);
	unsigned got = 0;
	while (got < samples) {
		enum cpu_exit ex = cpu_run(&tm.cpu, UINT64_MAX / 2);
		uint64_t t = atomic_load(&kicked_at);
		if (ex == CPU_EXIT_NONE && t) {
			lat[got++] = now_ns() - t;
			atomic_store(&kicked_at, 0);
		} else if (ex != CPU_EXIT_NONE) {
			/* the loop ended (40 M instructions): start it again */
			cpu_reset(&tm.cpu);
		}
	}
	atomic_store(&done, true);
	pthread_join(th, NULL);
	qsort(lat, samples, sizeof(*lat), cmp_u64);
	printf("request latency in translated code (tight chained loop, %u samples): "
	       "median %.1f us, 99%% %.1f us, worst %.1f us\n", samples, lat[samples / 2] / 1e3,
	       lat[samples * 99 / 100] / 1e3, lat[samples - 1] / 1e3);
	bt_detach(&tm.cpu);
	testmachine_free(&tm);
	free(lat);
	return 0;
}

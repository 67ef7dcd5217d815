/*
 * mkcorpus - the compression benchmarks' input, made up on the spot.
 *
 *   mkcorpus MIB > corpus
 *
 * Writes MIB MiB that are the same on every host and word size (a fixed
 * seed, integer arithmetic only): 64 KiB blocks, each one of
 *   - prose: words from a made-up vocabulary of 4096 words, a few very
 *     common and a long tail (the square of a uniform number picks the
 *     rank), in sentences and paragraphs;
 *   - log lines: timestamps that count up, host and service names, numbers;
 *   - records: 32-byte binary rows with counters, slowly drifting values and
 *     small enumerations, like a table or an object file's symbols;
 *   - noise: bytes that do not compress.
 * Prose is 45% of the blocks, logs 25%, records 20%, noise 10%: gzip -6
 * makes 46% of it, bzip2 37%, xz -6 34%, so the compressors spend their time
 * on both matches and literals.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 65536
#define NWORDS 4096

static uint64_t rng_state = 0x5ade86b0a7c4e11dull;

/* splitmix64: small, and the same numbers everywhere */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)((rnd() >> 32) % n);
}

static char words[NWORDS][16];

static void make_vocabulary(void)
{
	static const char *const on[] = { "", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p",
		"r", "s", "t", "v", "w", "st", "tr", "pl", "ch", "sh", "gr", "br" };
	static const char *const nuc[] = { "a", "e", "i", "o", "u", "ai", "ea", "ou", "ie" };
	static const char *const coda[] = { "", "", "n", "r", "s", "t", "l", "nd", "st", "ng" };
	for (int w = 0; w < NWORDS; w++) {
		/* common words are short: rank 0-63 one syllable, then up to four */
		int syl = w < 64 ? 1 : 1 + (int)below(w < 1024 ? 2 : 4);
		char *p = words[w];
		p[0] = 0;
		for (int s = 0; s < syl; s++) {
			/* one call per statement: C leaves the order of
			 * evaluation inside an initializer unspecified */
			const char *parts[3];
			parts[0] = on[below(24)];
			parts[1] = nuc[below(9)];
			parts[2] = coda[below(10)];
			for (int k = 0; k < 3; k++)
				if (strlen(p) + strlen(parts[k]) < 15)
					strcat(p, parts[k]);
		}
	}
}

static const char *word(void)
{
	uint64_t u = below(65536);
	return words[(u * u) >> 20];        /* rank 0..4095, skewed to the front */
}

struct out {
	unsigned char buf[BLOCK + 512];
	size_t n;
};

static void put(struct out *o, const char *s)
{
	size_t l = strlen(s);
	memcpy(o->buf + o->n, s, l);
	o->n += l;
}

static void prose(struct out *o)
{
	while (o->n < BLOCK) {
		int sentence = 4 + (int)below(14);
		for (int i = 0; i < sentence && o->n < BLOCK; i++) {
			const char *w = word();
			if (i == 0) {
				char cap[16];
				strcpy(cap, w);
				cap[0] = (char)(cap[0] - 'a' + 'A');
				put(o, cap);
			} else {
				put(o, w);
			}
			put(o, i + 1 == sentence ? (below(8) ? ". " : "? ") : below(10) ? " " : ", ");
		}
		if (below(6) == 0)
			put(o, "\n\n");
	}
}

static uint32_t log_clock = 1700000000;

static void logs(struct out *o)
{
	static const char *const svc[] = { "kernel", "sshd", "cron", "nginx", "postfix", "systemd", "dbus" };
	static const char *const lvl[] = { "info", "info", "info", "notice", "warning", "error" };
	char line[200];
	while (o->n < BLOCK) {
		log_clock += below(3);
		uint32_t t = log_clock;
		/* the random fields first, in a fixed order (argument order is unspecified) */
		uint32_t host = below(12), s = below(7), pid = 100 + below(900), l = below(6);
		const char *w1 = word(), *w2 = word();
		uint32_t id = below(100000), len = below(1500);
		snprintf(line, sizeof line, "%u-%02u-%02uT%02u:%02u:%02u host%02u %s[%u]: %s %s %s id=%u len=%u\n",
			 2023 + t / 31536000 % 3, 1 + t / 2592000 % 12, 1 + t / 86400 % 28, t / 3600 % 24,
			 t / 60 % 60, t % 60, host, svc[s], pid, lvl[l], w1, w2, id, len);
		put(o, line);
	}
}

static void records(struct out *o)
{
	static uint32_t serial = 0, drift = 5000000;
	while (o->n < BLOCK) {
		unsigned char r[32];
		uint32_t f[8];
		f[0] = serial++;
		drift += below(64) - 31;
		f[1] = drift;
		f[2] = below(8);
		f[2] |= below(4) << 8;
		f[3] = 0x08048000u + below(1 << 20) * 16;
		f[4] = below(256) < 200 ? 0 : (uint32_t)rnd();  /* ?: is sequenced */
		f[5] = serial * 3 / 7;
		f[6] = 0xffffffffu;
		f[7] = below(100);
		for (int i = 0; i < 8; i++)
			for (int b = 0; b < 4; b++)
				r[i * 4 + b] = (unsigned char)(f[i] >> (8 * b));
		memcpy(o->buf + o->n, r, 32);
		o->n += 32;
	}
}

static void noise(struct out *o)
{
	while (o->n < BLOCK) {
		uint64_t v = rnd();
		for (int b = 0; b < 8; b++)
			o->buf[o->n++] = (unsigned char)(v >> (8 * b));
	}
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 20;
	if (argc > 2 || mib < 1 || mib > 4096) {
		fprintf(stderr, "usage: mkcorpus [MIB (1-4096, default 20)] > corpus\n");
		return 2;
	}
	make_vocabulary();
	static struct out o;
	for (long blk = 0; blk < mib * (1 << 20) / BLOCK; blk++) {
		uint32_t kind = below(20);
		o.n = 0;
		if (kind < 9)
			prose(&o);
		else if (kind < 14)
			logs(&o);
		else if (kind < 18)
			records(&o);
		else
			noise(&o);
		if (fwrite(o.buf, 1, BLOCK, stdout) != BLOCK) {
			perror("mkcorpus: write");
			return 1;
		}
	}
	return fflush(stdout) ? 1 : 0;
}

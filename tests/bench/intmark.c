/*
 * intmark - an integer CPU benchmark with CoreMark's kind of work mix,
 * written for shade86 (no CoreMark code): every iteration
 *   - builds a linked list of 256 nodes in a shuffled order, searches it
 *     (moving what it finds to the front), reverses it and merge-sorts it
 *     twice (by value, then by key);
 *   - multiplies two 24x24 matrices of 16-bit numbers, adds a constant,
 *     multiplies by a vector and sums bit fields of the products;
 *   - runs a character-class state machine over 640 bytes of number-like
 *     text ("-12", "3.5e+7", "0x1f", junk), counting the accepting states;
 *   - folds the results into a CRC-16 (CCITT polynomial, bit by bit).
 * The inputs of each iteration depend on its number, so no work can be
 * hoisted out of the loop, and the final CRC is the same on every x86 host
 * and word size: a wrong instruction anywhere shows up as a wrong checksum.
 *
 *   intmark [ITERATIONS]     (default 4000)
 *
 * Prints "intmark: iterations=N seconds=S iter_per_s=R checksum=0xXXXX".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LIST_N 256
#define MAT_N 24
#define TEXT_N 640

/* ------------------------------------------------------------------ CRC-16 */
static uint16_t crc16_byte(uint16_t crc, uint8_t b)
{
	crc ^= (uint16_t)(b << 8);
	for (int i = 0; i < 8; i++)
		crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	return crc;
}

static uint16_t crc16_u32(uint16_t crc, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		crc = crc16_byte(crc, (uint8_t)(v >> (8 * i)));
	return crc;
}

/* a small LCG for the inputs: the same numbers everywhere */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* ------------------------------------------------------------------ lists */
struct node {
	struct node *next;
	int16_t key;
	uint16_t val;
};

static struct node pool[LIST_N];

static struct node *list_build(uint32_t seed)
{
	uint16_t order[LIST_N];
	for (int i = 0; i < LIST_N; i++)
		order[i] = (uint16_t)i;
	for (int i = LIST_N - 1; i > 0; i--) {           /* Fisher-Yates */
		int j = (int)(lcg(&seed) % (uint32_t)(i + 1));
		uint16_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	struct node *head = NULL;
	for (int i = 0; i < LIST_N; i++) {
		struct node *n = &pool[order[i]];
		n->key = (int16_t)(order[i] * 3 - 200);
		n->val = (uint16_t)lcg(&seed);
		n->next = head;
		head = n;
	}
	return head;
}

/* Finds KEY, moves its node to the front; returns the steps taken (or the
 * list length plus one when the key is absent). */
static uint32_t list_find(struct node **head, int16_t key)
{
	struct node *prev = NULL, *n = *head;
	uint32_t steps = 0;
	while (n && n->key != key) {
		prev = n;
		n = n->next;
		steps++;
	}
	if (!n)
		return steps + 1;
	if (prev) {
		prev->next = n->next;
		n->next = *head;
		*head = n;
	}
	return steps;
}

static struct node *list_reverse(struct node *n)
{
	struct node *r = NULL;
	while (n) {
		struct node *next = n->next;
		n->next = r;
		r = n;
		n = next;
	}
	return r;
}

static int by_val(const struct node *a, const struct node *b)
{
	return a->val != b->val ? (a->val < b->val ? -1 : 1) : a->key - b->key;
}

static int by_key(const struct node *a, const struct node *b)
{
	return a->key - b->key;
}

/* bottom-up merge sort of a singly linked list: runs of 1, 2, 4, ... */
static struct node *list_sort(struct node *list, int (*cmp)(const struct node *, const struct node *))
{
	for (int width = 1;; width *= 2) {
		struct node *p = list, *tail = NULL, *out = NULL;
		int merges = 0;
		while (p) {
			merges++;
			struct node *q = p;
			int psize = 0, qsize = width;
			while (psize < width && q) {
				psize++;
				q = q->next;
			}
			while (psize > 0 || (qsize > 0 && q)) {
				struct node *e;
				if (psize == 0) {
					e = q; q = q->next; qsize--;
				} else if (qsize == 0 || !q || cmp(p, q) <= 0) {
					e = p; p = p->next; psize--;
				} else {
					e = q; q = q->next; qsize--;
				}
				if (tail)
					tail->next = e;
				else
					out = e;
				tail = e;
			}
			p = q;
		}
		tail->next = NULL;
		list = out;
		if (merges <= 1)
			return list;
	}
}

static uint16_t bench_list(uint32_t iter, uint16_t crc)
{
	struct node *head = list_build(iter * 2654435761u);
	uint32_t steps = 0;
	for (int k = 0; k < 24; k++) {
		/* keys idx*3 - 200 exist (idx 0..255): one search in three hits */
		int16_t key = (int16_t)((int)((iter * 7 + (uint32_t)k * 37) % 384) * 2 - 200);
		steps += list_find(&head, key);
	}
	crc = crc16_u32(crc, steps);
	head = list_reverse(head);
	crc = crc16_u32(crc, (uint16_t)head->key);
	head = list_sort(head, by_val);
	uint32_t inversions = 0, sum = 0;
	int pos = 0;
	for (struct node *n = head; n; n = n->next, pos++) {
		if (n->next && by_val(n, n->next) > 0)
			inversions++;
		if (pos < 16)
			crc = crc16_u32(crc, n->val);
		sum += n->val;
	}
	head = list_sort(head, by_key);
	for (struct node *n = head; n && n->next; n = n->next)
		if (n->key > n->next->key)
			inversions++;
	crc = crc16_u32(crc, sum);
	crc = crc16_u32(crc, inversions);            /* 0 when the sorts work */
	return crc16_u32(crc, (uint16_t)head->key);
}

/* ------------------------------------------------------------------ matrices */
static int16_t ma[MAT_N][MAT_N], mb[MAT_N][MAT_N];
static int32_t mc[MAT_N][MAT_N];

static uint16_t bench_matrix(uint32_t iter, uint16_t crc)
{
	uint32_t seed = iter ^ 0x9e3779b9u;
	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++) {
			ma[i][j] = (int16_t)((lcg(&seed) & 0x1ff) - 256);
			mb[i][j] = (int16_t)((lcg(&seed) & 0x1ff) - 256);
		}
	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++) {
			int32_t s = 0;
			for (int k = 0; k < MAT_N; k++)
				s += ma[i][k] * mb[k][j];
			mc[i][j] = s;
		}
	int16_t add = (int16_t)(iter & 0x3f);
	for (int i = 0; i < MAT_N; i++)
		for (int j = 0; j < MAT_N; j++)
			ma[i][j] = (int16_t)(ma[i][j] + add);
	uint32_t vsum = 0, bits = 0;
	for (int i = 0; i < MAT_N; i++) {
		int32_t s = 0;
		for (int k = 0; k < MAT_N; k++)
			s += ma[i][k] * (int32_t)mb[k][i % 7];
		vsum ^= (uint32_t)s + (uint32_t)i;
		for (int j = 0; j < MAT_N; j++) {
			uint32_t c = (uint32_t)mc[i][j];
			bits += ((c >> 3) & 0xf) * ((c >> 11) & 0x7f);
			if (mc[i][j] < 0)
				bits ^= (uint32_t)j << (i & 15);
		}
	}
	crc = crc16_u32(crc, vsum);
	crc = crc16_u32(crc, bits);
	return crc16_u32(crc, (uint32_t)mc[(iter * 5) % MAT_N][(iter * 11) % MAT_N]);
}

/* ------------------------------------------------------------------ state machine */
enum state { S_START, S_SIGN, S_INT, S_ZERO, S_HEX, S_DOT, S_FRAC, S_E, S_ESIGN, S_EXP, S_BAD, S_COUNT };

static char text[TEXT_N];

static void text_make(void)
{
	static const char *const tok[] = { "42", "-17", "+3", "0", "0x1f", "0XdeadBEEF", "3.25",
		"-0.5", "6.02e23", "1e-9", "2.5E+7", ".5", "7.", "--1", "1e", "0x", "abc", "12a4",
		"+.e1", "99999" };
	int n = 0;
	uint32_t seed = 12345;
	while (n < TEXT_N - 16) {
		const char *t = tok[lcg(&seed) % 20];
		while (*t)
			text[n++] = *t++;
		text[n++] = (lcg(&seed) & 3) ? ',' : ' ';
	}
	while (n < TEXT_N)
		text[n++] = ' ';
}

static enum state step(enum state s, char c)
{
	int digit = c >= '0' && c <= '9';
	int hex = digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	switch (s) {
	case S_START:
		return c == '+' || c == '-' ? S_SIGN : c == '0' ? S_ZERO : digit ? S_INT : c == '.' ? S_DOT : S_BAD;
	case S_SIGN:
		return c == '0' ? S_ZERO : digit ? S_INT : c == '.' ? S_DOT : S_BAD;
	case S_ZERO:
		return c == 'x' || c == 'X' ? S_HEX : digit ? S_INT : c == '.' ? S_FRAC : c == 'e' || c == 'E' ? S_E : S_BAD;
	case S_INT:
		return digit ? S_INT : c == '.' ? S_FRAC : c == 'e' || c == 'E' ? S_E : S_BAD;
	case S_HEX:
		return hex ? S_HEX : S_BAD;
	case S_DOT:
		return digit ? S_FRAC : S_BAD;
	case S_FRAC:
		return digit ? S_FRAC : c == 'e' || c == 'E' ? S_E : S_BAD;
	case S_E:
		return c == '+' || c == '-' ? S_ESIGN : digit ? S_EXP : S_BAD;
	case S_ESIGN:
	case S_EXP:
		return digit ? S_EXP : S_BAD;
	default:
		return S_BAD;
	}
}

static uint16_t bench_state(uint32_t iter, uint16_t crc)
{
	/* damage a few bytes the way the iteration number says, undo it after */
	int pos[4];
	char saved[4];
	for (int i = 0; i < 4; i++) {
		pos[i] = (int)((iter * 131 + (uint32_t)i * 157) % TEXT_N);
		saved[i] = text[pos[i]];
		text[pos[i]] = "9.e-x,+ "[(iter + (uint32_t)i) & 7];
	}
	uint32_t final[S_COUNT] = { 0 }, transitions = 0;
	enum state s = S_START;
	for (int i = 0; i < TEXT_N; i++) {
		char c = text[i];
		if (c == ',' || c == ' ') {
			final[s]++;
			s = S_START;
			continue;
		}
		enum state t = step(s, c);
		transitions += t != s;
		s = t;
	}
	for (int i = 3; i >= 0; i--)
		text[pos[i]] = saved[i];
	for (int i = 0; i < S_COUNT; i++)
		crc = crc16_u32(crc, final[i]);
	return crc16_u32(crc, transitions);
}

/* ------------------------------------------------------------------ main */
int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 4000;
	if (argc > 2 || n < 1) {
		fprintf(stderr, "usage: intmark [ITERATIONS]\n");
		return 2;
	}
	text_make();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint16_t crc = 0xffff;
	for (uint32_t it = 0; it < (uint32_t)n; it++) {
		uint16_t c = bench_list(it, 0);
		c = bench_matrix(it, c);
		c = bench_state(it, c);
		crc = crc16_u32(crc, c);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	printf("intmark: iterations=%ld seconds=%.3f iter_per_s=%.1f checksum=0x%04x\n", n, s,
	       s > 0 ? (double)n / s : 0.0, crc);
	return 0;
}

/*
 * run-sst DIR: run single-instruction test vectors in the sst286 format (see
 * tests/sst286/README.md) through the interpreter in real mode.
 *
 * Every *.txt.gz file in DIR is read; each test loads registers and RAM, runs
 * until the HLT that ends it, and compares registers, flags (under the K mask),
 * RAM and, when an interrupt was delivered, the pushed FLAGS.  Tests whose
 * caveat tags (C lines) are listed in the skip file are counted as skipped.
 * Ends with the line "N passed, N failed, N skipped"; exit status 1 on failure.
 *
 * Options: -v (print each failure), -f FILE (only files whose name starts with
 * FILE), -s SKIPFILE (default: DIR/skip.txt if it exists).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cpu/interp.h"

#define RAM_SIZE 0x120000u
#define MAX_BYTES 512

struct sst_test {
	char name[96];
	uint16_t init[14], fin[14];
	uint32_t maddr[MAX_BYTES];
	uint8_t mval[MAX_BYTES];
	unsigned nm;
	uint32_t waddr[MAX_BYTES];
	uint8_t wval[MAX_BYTES];
	unsigned nw;
	int xvec;
	uint32_t xaddr;
	uint16_t kmask;
	char tags[64];
};

enum { I_AX, I_BX, I_CX, I_DX, I_CS, I_SS, I_DS, I_ES, I_SP, I_BP, I_SI, I_DI, I_IP, I_FLAGS };

struct skip {
	char what[32];     /* a caveat tag, or "file:NN" */
	unsigned count;
};

static struct skip skips[64];
static unsigned nskips;
static int verbose;

static void load_skips(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f) && nskips < 64) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char w[32];
		if (sscanf(line, "%31s", w) == 1) {
			/* the rest of the line is the reason; run-sst prints the tag only */
			snprintf(skips[nskips].what, sizeof(skips[nskips].what), "%s", w);
			skips[nskips++].count = 0;
		}
	}
	fclose(f);
}

static struct skip *skipped_by(const struct sst_test *t, const char *file)
{
	for (unsigned i = 0; i < nskips; i++) {
		const char *w = skips[i].what;
		if (!strncmp(w, "file:", 5)) {
			if (!strncmp(file, w + 5, strlen(w + 5)) && file[strlen(w + 5)] == '.')
				return &skips[i];
			continue;
		}
		char tags[64];
		snprintf(tags, sizeof(tags), "%s", t->tags);
		for (char *tok = strtok(tags, " "); tok; tok = strtok(NULL, " "))
			if (!strcmp(tok, w))
				return &skips[i];
	}
	return NULL;
}

static void set_seg(struct cpu *cpu, int s, uint16_t sel)
{
	cpu->seg[s].sel = sel;
	cpu->seg[s].base = (uint32_t)sel << 4;
	cpu->seg[s].limit = 0xffff;
	cpu->seg[s].valid = 1;
	cpu->seg[s].attr = SA_P | SA_S | (s == S_CS ? 0xb : 0x3);
}

static const char *regname[14] = { "ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp",
				   "si", "di", "ip", "flags" };

/* Returns 1 pass, 0 fail. */
static int run_test(struct cpu *cpu, struct mem *mem, const struct sst_test *t)
{
	memset(mem->ram, 0, RAM_SIZE);
	for (unsigned i = 0; i < t->nm; i++)
		mem->ram[t->maddr[i]] = t->mval[i];
	cpu_reset(cpu);
	static const int gpr[8] = { I_AX, I_CX, I_DX, I_BX, I_SP, I_BP, I_SI, I_DI };
	for (int r = 0; r < 8; r++)
		cpu->r[r] = t->init[gpr[r]];
	set_seg(cpu, S_CS, t->init[I_CS]);
	set_seg(cpu, S_SS, t->init[I_SS]);
	set_seg(cpu, S_DS, t->init[I_DS]);
	set_seg(cpu, S_ES, t->init[I_ES]);
	set_seg(cpu, S_FS, 0);
	set_seg(cpu, S_GS, 0);
	cpu->eip = t->init[I_IP];
	cpu->eflags = t->init[I_FLAGS] | 2;

	for (int n = 0; n < 1000 && !cpu->halted; n++) {
		enum cpu_exit ex = cpu_step(cpu);
		if (ex == CPU_EXIT_TRIPLE_FAULT)
			break;
	}
	uint16_t got[14];
	for (int r = 0; r < 8; r++)
		got[gpr[r]] = (uint16_t)cpu->r[r];
	got[I_CS] = cpu->seg[S_CS].sel;
	got[I_SS] = cpu->seg[S_SS].sel;
	got[I_DS] = cpu->seg[S_DS].sel;
	got[I_ES] = cpu->seg[S_ES].sel;
	got[I_IP] = (uint16_t)cpu->eip;
	got[I_FLAGS] = (uint16_t)cpu->eflags;

	int ok = cpu->halted;
	char why[256] = "";
	if (!cpu->halted)
		snprintf(why, sizeof(why), "did not reach HLT");
	for (int r = 0; r < 13 && ok; r++)
		if (got[r] != t->fin[r]) {
			ok = 0;
			snprintf(why, sizeof(why), "%s = %04x, expected %04x", regname[r], got[r], t->fin[r]);
		}
	if (ok && ((got[I_FLAGS] ^ t->fin[I_FLAGS]) & t->kmask)) {
		ok = 0;
		snprintf(why, sizeof(why), "flags = %04x, expected %04x (mask %04x)", got[I_FLAGS],
			 t->fin[I_FLAGS], t->kmask);
	}
	for (unsigned i = 0; i < t->nw && ok; i++) {
		/* the pushed FLAGS of a delivered interrupt is checked under K below */
		if (t->xvec >= 0 && (t->waddr[i] == t->xaddr || t->waddr[i] == t->xaddr + 1))
			continue;
		if (mem->ram[t->waddr[i]] != t->wval[i]) {
			ok = 0;
			snprintf(why, sizeof(why), "[%05x] = %02x, expected %02x", t->waddr[i],
				 mem->ram[t->waddr[i]], t->wval[i]);
		}
	}
	for (unsigned i = 0; i < t->nm && ok; i++) {
		bool written = false;
		for (unsigned j = 0; j < t->nw; j++)
			if (t->waddr[j] == t->maddr[i])
				written = true;
		if (!written && mem->ram[t->maddr[i]] != t->mval[i]) {
			/* the pushed FLAGS of a delivered interrupt is checked under K below */
			if (t->xvec >= 0 && (t->maddr[i] == t->xaddr || t->maddr[i] == t->xaddr + 1))
				continue;
			ok = 0;
			snprintf(why, sizeof(why), "[%05x] = %02x, expected unchanged %02x", t->maddr[i],
				 mem->ram[t->maddr[i]], t->mval[i]);
		}
	}
	if (ok && t->xvec >= 0) {
		uint16_t pushed = (uint16_t)(mem->ram[t->xaddr] | mem->ram[t->xaddr + 1] << 8);
		/* expected: from W if written there, else from M */
		uint8_t lo = 0, hi = 0;
		for (unsigned i = 0; i < t->nm; i++) {
			if (t->maddr[i] == t->xaddr) lo = t->mval[i];
			if (t->maddr[i] == t->xaddr + 1) hi = t->mval[i];
		}
		for (unsigned i = 0; i < t->nw; i++) {
			if (t->waddr[i] == t->xaddr) lo = t->wval[i];
			if (t->waddr[i] == t->xaddr + 1) hi = t->wval[i];
		}
		uint16_t exp = (uint16_t)(lo | hi << 8);
		if ((pushed ^ exp) & t->kmask) {
			ok = 0;
			snprintf(why, sizeof(why), "pushed flags %04x, expected %04x (mask %04x)", pushed, exp,
				 t->kmask);
		}
	}
	if (!ok && verbose)
		printf("FAIL %s: %s\n", t->name, why);
	return ok;
}

static int parse_pairs(const char *s, uint32_t *addr, uint8_t *val, unsigned *n)
{
	int used;
	unsigned a, v;
	while (sscanf(s, " %x:%x%n", &a, &v, &used) == 2) {
		if (*n >= MAX_BYTES || a >= RAM_SIZE)
			return -1;
		addr[*n] = a;
		val[*n] = (uint8_t)v;
		(*n)++;
		s += used;
	}
	return 0;
}

static int parse_regs(const char *s, uint16_t *r)
{
	unsigned v[14];
	if (sscanf(s, "%x %x %x %x %x %x %x %x %x %x %x %x %x %x", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13]) != 14)
		return -1;
	for (int i = 0; i < 14; i++)
		r[i] = (uint16_t)v[i];
	return 0;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *only = NULL, *skipfile = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "-f") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			skipfile = argv[++i];
		else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: run-sst [-v] [-f FILEPREFIX] [-s SKIPFILE] DIR\n");
			return 2;
		} else
			dir = argv[i];
	}
	if (!dir) {
		fprintf(stderr, "usage: run-sst [-v] [-f FILEPREFIX] [-s SKIPFILE] DIR\n");
		return 2;
	}
	char path[1024];
	if (skipfile) {
		load_skips(skipfile);
	} else {
		snprintf(path, sizeof(path), "%s/skip.txt", dir);
		load_skips(path);
	}

	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "run-sst: cannot open directory '%s'\n", dir);
		return 2;
	}
	char *names[4096];
	unsigned nn = 0;
	struct dirent *e;
	while ((e = readdir(d)) && nn < 4096) {
		size_t l = strlen(e->d_name);
		if (l > 7 && !strcmp(e->d_name + l - 7, ".txt.gz") && (!only || !strncmp(e->d_name, only, strlen(only))))
			names[nn++] = strdup(e->d_name);
	}
	closedir(d);
	if (!nn) {
		fprintf(stderr, "run-sst: no *.txt.gz vector files in '%s'\n", dir);
		return 2;
	}
	qsort(names, nn, sizeof(names[0]), cmpstr);

	static struct mem mem;
	static struct cpu cpu;
	if (mem_init(&mem, RAM_SIZE)) {
		fprintf(stderr, "run-sst: %s\n", mem.error);
		return 2;
	}
	if (cpu_init(&cpu, &mem)) {
		fprintf(stderr, "run-sst: cannot set up the shadow page tables\n");
		return 2;
	}

	static struct sst_test t;
	unsigned long pass = 0, fail = 0, skip = 0;
	for (unsigned fi = 0; fi < nn; fi++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[fi]);
		gzFile gz = gzopen(path, "rb");
		if (!gz) {
			fprintf(stderr, "run-sst: cannot open '%s'\n", path);
			return 2;
		}
		char line[1024];
		unsigned long fp = 0, ff = 0, fs = 0;
		int in_test = 0;
		while (gzgets(gz, line, sizeof(line))) {
			line[strcspn(line, "\n")] = 0;
			if (line[0] && line[1] != ' ' && line[1] != 0)
				continue;
			switch (line[0]) {
			case 'T':
				memset(&t, 0, sizeof(t));
				t.xvec = -1;
				t.kmask = 0xffff;
				snprintf(t.name, sizeof(t.name), "%.90s", line + 2);
				in_test = 1;
				break;
			case 'I':
				if (parse_regs(line + 2, t.init)) goto bad;
				break;
			case 'F':
				if (parse_regs(line + 2, t.fin)) goto bad;
				break;
			case 'M':
				if (parse_pairs(line + 2, t.maddr, t.mval, &t.nm)) goto bad;
				break;
			case 'W':
				if (parse_pairs(line + 2, t.waddr, t.wval, &t.nw)) goto bad;
				break;
			case 'X': {
				unsigned a;
				if (sscanf(line, "X %d %x", &t.xvec, &a) != 2) goto bad;
				t.xaddr = a;
				break;
			}
			case 'C':
				snprintf(t.tags, sizeof(t.tags), "%.60s", line + 2);
				break;
			case 'K': {
				unsigned k;
				if (sscanf(line, "K %x", &k) != 1) goto bad;
				t.kmask = (uint16_t)k;
				break;
			}
			case 'E': {
				if (!in_test) goto bad;
				in_test = 0;
				struct skip *s = skipped_by(&t, names[fi]);
				if (s) {
					s->count++;
					fs++;
				} else if (run_test(&cpu, &mem, &t)) {
					fp++;
				} else {
					ff++;
				}
				break;
			}
			}
			continue;
bad:
			fprintf(stderr, "run-sst: %s: malformed line: %.60s\n", names[fi], line);
			gzclose(gz);
			return 2;
		}
		gzclose(gz);
		if (ff || verbose)
			printf("%-12s %5lu passed, %5lu failed, %5lu skipped\n", names[fi], fp, ff, fs);
		pass += fp;
		fail += ff;
		skip += fs;
		free(names[fi]);
	}
	for (unsigned i = 0; i < nskips; i++)
		if (skips[i].count)
			printf("skipped %5u tests: %s\n", skips[i].count, skips[i].what);
	cpu_free(&cpu);
	mem_free(&mem);
	printf("%lu passed, %lu failed, %lu skipped\n", pass, fail, skip);
	return fail ? 1 : 0;
}

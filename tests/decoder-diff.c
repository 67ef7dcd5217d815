/*
 * decoder-diff: differential test of shade86's instruction decoder against
 * capstone (4.x).
 *
 *   decoder-diff [--mode 16|32|both] [--seed S] [--count N]
 *                [--exceptions PATH] [--show N] [--show-excepted N] [--examples N]
 *                [--classes] [--list]
 *       Mode A: N random 16-byte sequences (biased towards prefixes, the 0F map,
 *       x87 escapes and SSE mandatory prefixes), each decoded once by our
 *       decoder (through its fetch callback) and once by capstone.
 *   decoder-diff --file PATH [--mode 16|32|both] [--offset O] [--length L] ...
 *       Mode B: linear sweep of a binary.  An ELF file is swept over its .text
 *       section; anything else from --offset (default 0) for --length bytes
 *       (default: to the end).  At each boundary both decoders look at the
 *       same bytes; when they agree the sweep advances by the instruction's
 *       length, otherwise by one byte.
 *
 * Compared: validity (our DEC_UD / DEC_TOOLONG / DEC_FETCH against capstone
 * failing), instruction length, and the mnemonic.  Capstone's mnemonic is
 * normalised first: "lock"/"rep"/"repe"/"repne"/"repz"/"repnz"/"bnd"/"notrack"
 * and the HLE hints "xacquire"/"xrelease" (F2/F3, REP prefixes to a P6) are
 * stripped (our decoder reports prefixes separately), the SSE
 * compare pseudo-ops (cmpeqps ... cmpordsd) become cmpps/cmppd/cmpss/cmpsd,
 * and the "spell" lines of the exceptions file map pure spelling differences.
 *
 * A disagreement is accepted only if an "exception" line of the exceptions file
 * (default tests/decoder-exceptions.txt) matches it; each such line documents
 * one class of known capstone 4 error or deliberate model choice, with its SDM
 * reason.  Any other disagreement is printed (the first --show, default 50, in
 * detail) and the exit status is 1.  --classes prints how often each exception
 * class matched, --examples N the first N matches of every class (to audit the
 * classes), --list one tab-separated line per mismatch (for sorting).  One summary line per mode and input:
 *   decoder-diff: mode32: N sequences, N agree, N excepted, N mismatched
 *
 * Build: make build/decoder-diff (run from the top directory: the exceptions
 * file's default path is relative), or by hand
 *   cc -O2 -I. tests/decoder-diff.c build/libshade86.a $(pkg-config --cflags --libs capstone) -lpthread
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capstone.h>

#include "cpu/decode.h"
#include "cpu/opcode.h"

#define SEQ_LEN 16

/* ------------------------------------------------------------------ utilities */

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("decoder-diff: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* xorshift64*: small, fast, the same sequence on every host */
static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static unsigned rnd(unsigned n)
{
	return (unsigned)((rng() >> 32) % n);
}

/* ------------------------------------------------------------------ a record */

enum side { S_OK, S_UD, S_TOOLONG, S_FETCH, S_INVALID /* capstone: failed */ };

struct rec {
	int mode;                   /* 16 or 32 */
	const uint8_t *bytes;
	unsigned avail;             /* bytes available at this position */
	/* skeleton, computed from the bytes alone */
	unsigned pfx;               /* PFX_* bits seen */
	uint8_t rep;                /* last of F2/F3, or 0 */
	unsigned npfx;
	int last;                   /* the prefix byte right before the opcode, -1 none */
	bool p66rep;                /* a 66 comes before an F2/F3 */
	int map;                    /* 0, 1, or -1 when the bytes ran out */
	int opc;                    /* -1 when the bytes ran out */
	int modrm;                  /* byte after the opcode, -1 if none */
	/* ours */
	enum side ours;
	unsigned our_len;
	const char *our_mnem;
	const char *our_name;
	/* capstone */
	bool cs_ok;
	unsigned cs_len;
	char cs_mnem[64];           /* normalised */
	char cs_raw[192];           /* as capstone printed it, with operands */
	/* what differs */
	enum { D_NONE, D_VALID, D_MNEM, D_LEN } diff;
};

static void skeleton(struct rec *r)
{
	unsigned i = 0;
	r->pfx = 0;
	r->rep = 0;
	r->p66rep = false;
	r->map = -1;
	r->opc = -1;
	r->modrm = -1;
	while (i < r->avail) {
		uint8_t b = r->bytes[i];
		if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65)
			r->pfx |= PFX_SEG;
		else if (b == 0x66)
			r->pfx |= PFX_66;
		else if (b == 0x67)
			r->pfx |= PFX_67;
		else if (b == 0xf0)
			r->pfx |= PFX_LOCK;
		else if (b == 0xf2 || b == 0xf3) {
			if (r->pfx & PFX_66)
				r->p66rep = true;
			r->pfx |= b == 0xf2 ? PFX_F2 : PFX_F3;
			r->rep = b;
		} else
			break;
		i++;
	}
	r->npfx = i;
	r->last = i ? r->bytes[i - 1] : -1;
	if (i >= r->avail)
		return;
	if (r->bytes[i] == 0x0f) {
		if (++i >= r->avail)
			return;
		r->map = 1;
	} else {
		r->map = 0;
	}
	r->opc = r->bytes[i++];
	if (i < r->avail)
		r->modrm = r->bytes[i];
}

/* ------------------------------------------------------------------ exceptions */

enum ckey { K_OURS, K_CS, K_DIFF, K_PFX, K_MAND, K_CSMAND, K_LAST, K_P66REP, K_OP, K_MOD, K_REG, K_RM, K_MODE };

struct cond {
	enum ckey key;
	bool neg;
	int nvals;
	char vals[24][24];
};

struct exc {
	char name[64];
	int nconds;
	struct cond conds[12];
	char reason[600];
	unsigned long hits;
	int line;
};

struct spell {
	char from[32], to[32];
};

static struct exc excs[128];
static int nexcs;
static struct spell spells[64];
static int nspells;

static bool list_has(const struct cond *c, const char *v)
{
	for (int i = 0; i < c->nvals; i++)
		if (!strcmp(c->vals[i], v) || !strcmp(c->vals[i], "*"))
			return true;
	return false;
}

static int parse_hex(const char *s, int *map, int *opc)
{
	char *end;
	*map = 0;
	if (s[0] == '0' && (s[1] == 'F' || s[1] == 'f') && isxdigit((unsigned char)s[2]) &&
	    isxdigit((unsigned char)s[3]) && (s[4] == 0 || s[4] == '-')) {
		*map = 1;
		s += 2;
	}
	long v = strtol(s, &end, 16);
	if (end == s || end - s > 2 || (*end && *end != '-') || v < 0 || v > 255)
		return -1;
	*opc = (int)v;
	return (int)(end - s) + (*map ? 2 : 0);
}

/* "0F10-0F17", "D8", "D8-DF" */
static bool op_in(const char *v, int map, int opc)
{
	int m1, o1, m2, o2;
	const char *dash = strchr(v, '-');
	if (parse_hex(v, &m1, &o1) < 0)
		return false;
	if (!dash)
		return m1 == map && o1 == opc;
	if (parse_hex(dash + 1, &m2, &o2) < 0)
		return false;
	return m1 == map && m2 == map && opc >= o1 && opc <= o2;
}

static bool num_in(const struct cond *c, int v)
{
	for (int i = 0; i < c->nvals; i++) {
		const char *s = c->vals[i];
		if (!strcmp(s, "*"))
			return true;
		if (!strcmp(s, "mem")) {
			if (v != 3)
				return true;
			continue;
		}
		const char *dash = strchr(s, '-');
		int lo = atoi(s), hi = dash ? atoi(dash + 1) : lo;
		if (v >= lo && v <= hi)
			return true;
	}
	return false;
}

static unsigned pfx_bit(const char *v)
{
	return !strcmp(v, "66") ? PFX_66 : !strcmp(v, "67") ? PFX_67 : !strcmp(v, "F2") ? PFX_F2 :
	       !strcmp(v, "F3") ? PFX_F3 : !strcmp(v, "LOCK") ? PFX_LOCK : !strcmp(v, "SEG") ? PFX_SEG : 0;
}

static unsigned pfx_bits(const struct cond *c)
{
	unsigned bits = 0;
	for (int i = 0; i < c->nvals; i++)
		bits |= pfx_bit(c->vals[i]);
	return bits;
}

static bool cond_holds(const struct cond *c, const struct rec *r)
{
	bool ok = false;
	switch (c->key) {
	case K_OURS:
		if (r->ours == S_OK)
			ok = list_has(c, r->our_mnem) || list_has(c, "valid");
		else
			ok = list_has(c, "invalid") ||
			     list_has(c, r->ours == S_UD ? "ud" : r->ours == S_TOOLONG ? "toolong" : "fetch");
		break;
	case K_CS:
		ok = r->cs_ok ? (list_has(c, r->cs_mnem) || list_has(c, "valid")) : list_has(c, "invalid");
		break;
	case K_DIFF:
		ok = list_has(c, r->diff == D_VALID ? "valid" : r->diff == D_MNEM ? "mnem" : "len");
		break;
	case K_PFX: { /* pfx=: all listed prefixes present; !pfx=: none of them present */
		unsigned want = pfx_bits(c), have = r->pfx & want;
		return c->neg ? have == 0 : have == want;
	}
	case K_MAND: { /* SSE mandatory-prefix class: last of F2/F3, else 66, else NP */
		const char *m = r->rep == 0xf3 ? "F3" : r->rep == 0xf2 ? "F2" : (r->pfx & PFX_66) ? "66" : "NP";
		ok = list_has(c, m);
		break;
	}
	case K_CSMAND: { /* capstone 4's view: only a 66/F2/F3 right before the opcode counts */
		const char *m = r->last == 0xf3 ? "F3" : r->last == 0xf2 ? "F2" : r->last == 0x66 ? "66" : "NP";
		ok = list_has(c, m);
		break;
	}
	case K_LAST: { /* the last prefix byte, in hex, or "none" */
		char hx[12];
		if (r->last < 0)
			snprintf(hx, sizeof hx, "none");
		else
			snprintf(hx, sizeof hx, "%02X", r->last);
		ok = list_has(c, hx);
		break;
	}
	case K_P66REP:
		ok = list_has(c, r->p66rep ? "yes" : "no");
		break;
	case K_OP:
		if (r->opc < 0)
			break;
		for (int i = 0; i < c->nvals && !ok; i++)
			ok = !strcmp(c->vals[i], "*") || op_in(c->vals[i], r->map, r->opc);
		break;
	case K_MOD:
		ok = r->modrm >= 0 && num_in(c, r->modrm >> 6);
		break;
	case K_REG:
		ok = r->modrm >= 0 && num_in(c, (r->modrm >> 3) & 7);
		break;
	case K_RM:
		ok = r->modrm >= 0 && num_in(c, r->modrm & 7);
		break;
	case K_MODE:
		ok = num_in(c, r->mode);
		break;
	}
	return c->neg ? !ok : ok;
}

static struct exc *find_exception(const struct rec *r)
{
	for (int i = 0; i < nexcs; i++) {
		bool all = true;
		for (int j = 0; j < excs[i].nconds && all; j++)
			all = cond_holds(&excs[i].conds[j], r);
		if (all)
			return &excs[i];
	}
	return NULL;
}

static void load_exceptions(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open exceptions file %s: %s", path, strerror(errno));
	char line[2048];
	int ln = 0;
	while (fgets(line, sizeof line, f)) {
		ln++;
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		p[strcspn(p, "\n")] = 0;
		char *reason = strstr(p, "::");
		if (!reason)
			die("%s:%d: missing ':: reason'", path, ln);
		*reason = 0;
		reason += 2;
		while (isspace((unsigned char)*reason))
			reason++;
		if (!strstr(reason, "SDM"))
			die("%s:%d: the reason must cite the SDM rule", path, ln);
		char *save = NULL;
		char *kw = strtok_r(p, " \t", &save);
		if (!strcmp(kw, "spell")) {
			char *a = strtok_r(NULL, " \t", &save), *b = strtok_r(NULL, " \t", &save);
			if (!a || !b || nspells == (int)(sizeof spells / sizeof spells[0]))
				die("%s:%d: spell CAPSTONE OURS :: reason", path, ln);
			snprintf(spells[nspells].from, sizeof spells[0].from, "%s", a);
			snprintf(spells[nspells].to, sizeof spells[0].to, "%s", b);
			nspells++;
			continue;
		}
		if (strcmp(kw, "exception"))
			die("%s:%d: unknown keyword '%s'", path, ln, kw);
		if (nexcs == (int)(sizeof excs / sizeof excs[0]))
			die("%s:%d: too many exceptions", path, ln);
		struct exc *e = &excs[nexcs++];
		memset(e, 0, sizeof *e);
		e->line = ln;
		snprintf(e->reason, sizeof e->reason, "%s", reason);
		char *name = strtok_r(NULL, " \t", &save);
		if (!name)
			die("%s:%d: exception without a name", path, ln);
		snprintf(e->name, sizeof e->name, "%s", name);
		char *tok;
		while ((tok = strtok_r(NULL, " \t", &save))) {
			if (e->nconds == (int)(sizeof e->conds / sizeof e->conds[0]))
				die("%s:%d: too many conditions", path, ln);
			struct cond *c = &e->conds[e->nconds++];
			c->neg = tok[0] == '!';
			if (c->neg)
				tok++;
			char *eq = strchr(tok, '=');
			if (!eq)
				die("%s:%d: condition '%s' is not key=value", path, ln, tok);
			*eq = 0;
			static const char *const keys[] = { "ours", "cs", "diff", "pfx", "mand", "csmand",
							    "last", "p66rep", "op", "mod", "reg", "rm", "mode" };
			int k = -1;
			for (int i = 0; i < (int)(sizeof keys / sizeof keys[0]); i++)
				if (!strcmp(keys[i], tok))
					k = i;
			if (k < 0)
				die("%s:%d: unknown condition key '%s'", path, ln, tok);
			c->key = (enum ckey)k;
			char *vs = eq + 1, *s2 = NULL, *v;
			for (v = strtok_r(vs, ",", &s2); v; v = strtok_r(NULL, ",", &s2)) {
				if (c->nvals == (int)(sizeof c->vals / sizeof c->vals[0]) ||
				    strlen(v) >= sizeof c->vals[0])
					die("%s:%d: condition list too long", path, ln);
				snprintf(c->vals[c->nvals++], sizeof c->vals[0], "%s", v);
				int m_, o_;
				if (c->key == K_OP && strcmp(v, "*") && parse_hex(v, &m_, &o_) < 0)
					die("%s:%d: bad opcode '%s'", path, ln, v);
				if (c->key == K_PFX && !pfx_bit(v))
					die("%s:%d: bad prefix '%s'", path, ln, v);
			}
			if (!c->nvals)
				die("%s:%d: empty condition", path, ln);
		}
	}
	fclose(f);
}

/* ------------------------------------------------------------------ normalising */

static void normalise(const char *in, char *out, size_t outsz)
{
	static const char *const strip[] = { "lock ", "rep ", "repe ", "repne ", "repz ", "repnz ",
					     "bnd ", "notrack ", "xacquire ", "xrelease " };
	bool again = true;
	while (again) {
		again = false;
		for (size_t i = 0; i < sizeof strip / sizeof strip[0]; i++) {
			size_t n = strlen(strip[i]);
			if (!strncmp(in, strip[i], n)) {
				in += n;
				again = true;
			}
		}
	}
	snprintf(out, outsz, "%s", in);
	/* SDM CMPPS/CMPPD/CMPSS/CMPSD: cmpeqps ... cmpordps are assembler pseudo-ops
	 * for the imm8 predicate 0..7; capstone prints them, we print the base form. */
	static const char *const preds[] = { "eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord" };
	if (!strncmp(out, "cmp", 3)) {
		for (size_t i = 0; i < 8; i++) {
			size_t n = strlen(preds[i]);
			const char *sfx = out + 3 + n;
			if (!strncmp(out + 3, preds[i], n) &&
			    (!strcmp(sfx, "ps") || !strcmp(sfx, "pd") || !strcmp(sfx, "ss") || !strcmp(sfx, "sd"))) {
				char tmp[8];
				snprintf(tmp, sizeof tmp, "cmp%s", sfx);
				snprintf(out, outsz, "%s", tmp);
				break;
			}
		}
	}
	for (int i = 0; i < nspells; i++)
		if (!strcmp(out, spells[i].from)) {
			snprintf(out, outsz, "%s", spells[i].to);
			break;
		}
}

/* ------------------------------------------------------------------ comparing */

struct fetchctx {
	const uint8_t *buf;
	unsigned len;
};

static int fetch_cb(void *ctx, unsigned idx, uint8_t *byte)
{
	const struct fetchctx *f = ctx;
	if (idx >= f->len)
		return -1;
	*byte = f->buf[idx];
	return 0;
}

struct stats {
	unsigned long seqs, agree, excepted, mismatched;
};

static csh cs16, cs32;
static cs_insn *csi;
static int show_max = 50, show_exc_max;
static int shown, shown_exc;
static unsigned long examples;   /* --examples N: the first N matches of every exception class */
static bool list_mode;     /* --list: one tab-separated line per mismatch */

static void print_rec(const char *tag, const struct rec *r, const struct exc *e, unsigned long pos, bool file)
{
	unsigned n = r->our_len > r->cs_len ? r->our_len : r->cs_len;
	if (n < r->npfx + 2)
		n = r->npfx + 2;
	if (n > r->avail)
		n = r->avail;
	if (file)
		printf("%s mode%d @0x%lx:", tag, r->mode, pos);
	else
		printf("%s mode%d #%lu:", tag, r->mode, pos);
	for (unsigned i = 0; i < n; i++)
		printf(" %02x", r->bytes[i]);
	printf("\n    ours: ");
	if (r->ours == S_OK)
		printf("%s (%s) len %u\n", r->our_mnem, r->our_name, r->our_len);
	else
		printf("%s (%u bytes examined)\n", r->ours == S_UD ? "#UD" : r->ours == S_TOOLONG ? "too long" :
		       "ran out of bytes", r->our_len);
	printf("    caps: ");
	if (r->cs_ok)
		printf("%s len %u\n", r->cs_raw, r->cs_len);
	else
		printf("invalid\n");
	if (e)
		printf("    excepted by '%s' (line %d)\n", e->name, e->line);
}

/* Compare at one position; returns the length to advance by (linear sweep). */
static unsigned compare_one(int mode, const uint8_t *bytes, unsigned avail, struct stats *st,
			    unsigned long pos, bool file)
{
	struct rec r;
	memset(&r, 0, sizeof r);
	r.mode = mode;
	r.bytes = bytes;
	r.avail = avail;
	skeleton(&r);

	struct insn in;
	struct fetchctx fc = { bytes, avail };
	enum decode_status ds = decode(&in, mode == 32, fetch_cb, &fc);
	r.ours = ds == DEC_OK ? S_OK : ds == DEC_UD ? S_UD : ds == DEC_TOOLONG ? S_TOOLONG : S_FETCH;
	r.our_len = in.len;
	if (ds == DEC_OK) {
		r.our_mnem = opinfo[in.op].mnem;
		r.our_name = opinfo[in.op].name;
	} else {
		r.our_mnem = "";
		r.our_name = "";
	}

	const uint8_t *code = bytes;
	size_t size = avail;
	uint64_t addr = 0x1000;
	r.cs_ok = cs_disasm_iter(mode == 32 ? cs32 : cs16, &code, &size, &addr, csi);
	if (r.cs_ok) {
		r.cs_len = csi->size;
		normalise(csi->mnemonic, r.cs_mnem, sizeof r.cs_mnem);
		snprintf(r.cs_raw, sizeof r.cs_raw, "%s%s%s", csi->mnemonic, csi->op_str[0] ? " " : "",
			 csi->op_str);
	}

	st->seqs++;
	if (r.ours != S_OK && !r.cs_ok)
		r.diff = D_NONE;
	else if ((r.ours == S_OK) != r.cs_ok)
		r.diff = D_VALID;
	else if (strcmp(r.our_mnem, r.cs_mnem))
		r.diff = D_MNEM;
	else if (r.our_len != r.cs_len)
		r.diff = D_LEN;
	else
		r.diff = D_NONE;

	if (r.diff == D_NONE) {
		st->agree++;
		return r.cs_ok ? r.cs_len : 1;
	}
	struct exc *e = find_exception(&r);
	if (e) {
		e->hits++;
		st->excepted++;
		if (shown_exc < show_exc_max || e->hits <= examples) {
			shown_exc++;
			print_rec("excepted", &r, e, pos, file);
		}
	} else {
		st->mismatched++;
		if (list_mode) {
			char sk[32];
			if (r.opc < 0)
				snprintf(sk, sizeof sk, "-");
			else
				snprintf(sk, sizeof sk, "%s%s%s%s%s%s%02X/%d%s", r.rep == 0xf3 ? "F3." : r.rep == 0xf2 ? "F2." : "",
					 (r.pfx & PFX_66) ? "66." : "", (r.pfx & PFX_67) ? "67." : "",
					 (r.pfx & PFX_LOCK) ? "LK." : "", r.map ? "0F" : "", "", r.opc,
					 r.modrm >= 0 ? (r.modrm >> 3) & 7 : 9, r.modrm >= 0 && r.modrm >> 6 == 3 ? "r" : "m");
			printf("L\t%d\t%s\t%s\t%s\t%s\t%u\t%u\t", r.mode,
			       r.diff == D_VALID ? "valid" : r.diff == D_MNEM ? "mnem" : "len", sk,
			       r.ours == S_OK ? r.our_mnem : r.ours == S_UD ? "#UD" : r.ours == S_TOOLONG ? "#toolong" : "#fetch",
			       r.cs_ok ? r.cs_mnem : "#invalid", r.our_len, r.cs_len);
			for (unsigned i = 0; i < avail; i++)
				printf("%02x", bytes[i]);
			printf("\n");
		}
		if (shown < show_max) {
			shown++;
			print_rec("MISMATCH", &r, NULL, pos, file);
		}
	}
	return 1;
}

/* ------------------------------------------------------------------ mode A */

static const uint8_t prefixes[] = { 0x66, 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

static void gen_sequence(uint8_t *b)
{
	for (unsigned i = 0; i < SEQ_LEN; i++)
		b[i] = (uint8_t)rng();
	unsigned kind = rnd(10), i = 0;
	if (kind == 0 || kind == 1)
		return;                                 /* plain random bytes */
	unsigned np = rnd(4);
	if (kind == 5) {                                /* SSE: one mandatory prefix, sometimes two */
		static const uint8_t mp[] = { 0, 0x66, 0xf3, 0xf2 };
		np = 0;
		if (rnd(4) == 0)
			b[i++] = prefixes[rnd(sizeof prefixes)];
		uint8_t p = mp[rnd(4)];
		if (p)
			b[i++] = p;
	}
	for (unsigned k = 0; k < np; k++)
		b[i++] = prefixes[rnd(sizeof prefixes)];
	switch (kind) {
	case 2: case 3:                                 /* 0F map, any opcode */
		b[i++] = 0x0f;
		break;
	case 4:                                         /* x87 escape */
		b[i++] = (uint8_t)(0xd8 + rnd(8));
		if (rnd(2))
			b[i] |= 0xc0;                   /* register form */
		break;
	case 5: {                                       /* SSE/MMX opcode ranges */
		static const uint8_t lo[] = { 0x10, 0x28, 0x50, 0x70, 0xc2, 0xd0, 0xe0, 0xf0, 0xae, 0x18 };
		static const uint8_t hi[] = { 0x17, 0x2f, 0x6f, 0x7f, 0xc6, 0xdf, 0xef, 0xff, 0xae, 0x18 };
		unsigned k = rnd(sizeof lo);
		b[i++] = 0x0f;
		b[i++] = (uint8_t)(lo[k] + rnd(hi[k] - lo[k] + 1u));
		if (rnd(2))
			b[i] |= 0xc0;
		break;
	}
	case 6: case 7:                                 /* one-byte map */
		b[i] = (uint8_t)rng();
		break;
	default:                                        /* 0F map, register-form ModRM */
		b[i++] = 0x0f;
		i++;
		b[i] |= 0xc0;
		break;
	}
}

static void run_random(int mode, uint64_t seed, unsigned long count, struct stats *st)
{
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL + (uint64_t)mode;
	if (!rng_state)
		rng_state = 1;
	uint8_t b[SEQ_LEN];
	for (unsigned long n = 0; n < count; n++) {
		gen_sequence(b);
		compare_one(mode, b, SEQ_LEN, st, n, false);
	}
}

/* ------------------------------------------------------------------ mode B */

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		if (!buf)
			die("out of memory");
		size_t k = fread(buf + n, 1, cap - n, f);
		if (!k)
			break;
		n += k;
	}
	fclose(f);
	*len = n;
	return buf;
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* ELF32 little-endian: find the .text section. */
static bool elf_text(const uint8_t *buf, size_t len, size_t *off, size_t *size)
{
	if (len < 52 || memcmp(buf, "\177ELF", 4) || buf[4] != 1 || buf[5] != 1)
		return false;
	uint32_t shoff = rd32(buf + 32);
	unsigned shentsize = rd16(buf + 46), shnum = rd16(buf + 48), shstrndx = rd16(buf + 50);
	if (!shoff || shentsize < 40 || shstrndx >= shnum || shoff + (uint64_t)shnum * shentsize > len)
		return false;
	const uint8_t *strsh = buf + shoff + (size_t)shstrndx * shentsize;
	uint32_t stroff = rd32(strsh + 16), strsize = rd32(strsh + 20);
	if ((uint64_t)stroff + strsize > len)
		return false;
	for (unsigned i = 0; i < shnum; i++) {
		const uint8_t *sh = buf + shoff + (size_t)i * shentsize;
		uint32_t name = rd32(sh);
		if (name >= strsize || strcmp((const char *)buf + stroff + name, ".text"))
			continue;
		uint32_t o = rd32(sh + 16), s = rd32(sh + 20);
		if ((uint64_t)o + s > len)
			return false;
		*off = o;
		*size = s;
		return true;
	}
	return false;
}

static void run_sweep(int mode, const uint8_t *buf, size_t off, size_t size, struct stats *st)
{
	size_t end = off + size, pos = off;
	while (pos < end) {
		unsigned avail = end - pos < SEQ_LEN ? (unsigned)(end - pos) : SEQ_LEN;
		pos += compare_one(mode, buf + pos, avail, st, (unsigned long)pos, true);
	}
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
	fputs("usage: decoder-diff [--mode 16|32|both] [--seed S] [--count N] [--exceptions PATH]\n"
	      "                    [--show N] [--show-excepted N] [--examples N] [--classes] [--list]\n"
	      "       decoder-diff --file PATH [--offset O] [--length L] [--mode 16|32|both] ...\n", stderr);
	exit(2);
}

static unsigned long parse_num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (errno || *end || end == s)
		die("bad number '%s'", s);
	return v;
}

int main(int argc, char **argv)
{
	const char *mode_s = "32", *file = NULL, *exc_path = "tests/decoder-exceptions.txt";
	uint64_t seed = 1;
	unsigned long count = 200000, offset = 0, length = 0;
	bool have_len = false, classes = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--classes")) { classes = true; continue; }
		if (!strcmp(a, "--list")) { list_mode = true; continue; }
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--mode")) mode_s = v;
		else if (!strcmp(a, "--seed")) seed = parse_num(v);
		else if (!strcmp(a, "--count")) count = parse_num(v);
		else if (!strcmp(a, "--file")) file = v;
		else if (!strcmp(a, "--offset")) offset = parse_num(v);
		else if (!strcmp(a, "--length")) { length = parse_num(v); have_len = true; }
		else if (!strcmp(a, "--exceptions")) exc_path = v;
		else if (!strcmp(a, "--show")) show_max = (int)parse_num(v);
		else if (!strcmp(a, "--show-excepted")) show_exc_max = (int)parse_num(v);
		else if (!strcmp(a, "--examples")) examples = parse_num(v);
		else usage();
	}
	int modes[2], nmodes = 0;
	if (!strcmp(mode_s, "16")) modes[nmodes++] = 16;
	else if (!strcmp(mode_s, "32")) modes[nmodes++] = 32;
	else if (!strcmp(mode_s, "both")) { modes[nmodes++] = 16; modes[nmodes++] = 32; }
	else usage();

	load_exceptions(exc_path);
	if (cs_open(CS_ARCH_X86, CS_MODE_16, &cs16) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_32, &cs32) != CS_ERR_OK)
		die("cs_open failed");
	csi = cs_malloc(cs32);

	uint8_t *buf = NULL;
	size_t blen = 0, soff = 0, ssize = 0;
	char what[512] = "";
	if (file) {
		buf = read_file(file, &blen);
		if (elf_text(buf, blen, &soff, &ssize)) {
			snprintf(what, sizeof what, " (%s .text, %zu bytes)", file, ssize);
		} else {
			if (offset > blen)
				die("--offset past the end of %s", file);
			soff = offset;
			ssize = have_len && length < blen - offset ? length : blen - offset;
			snprintf(what, sizeof what, " (%s @0x%zx, %zu bytes)", file, soff, ssize);
		}
	}

	unsigned long bad = 0;
	for (int m = 0; m < nmodes; m++) {
		struct stats st = { 0 };
		if (file)
			run_sweep(modes[m], buf, soff, ssize, &st);
		else
			run_random(modes[m], seed, count, &st);
		printf("decoder-diff: mode%d: %lu sequences, %lu agree, %lu excepted, %lu mismatched%s\n",
		       modes[m], st.seqs, st.agree, st.excepted, st.mismatched, what);
		bad += st.mismatched;
	}
	if (classes)
		for (int i = 0; i < nexcs; i++)
			printf("  %8lu  %s\n", excs[i].hits, excs[i].name);
	if (bad > (unsigned long)show_max)
		printf("decoder-diff: %lu mismatches, first %d shown\n", bad, show_max);
	cs_free(csi, 1);
	cs_close(&cs16);
	cs_close(&cs32);
	free(buf);
	return bad ? 1 : 0;
}

/*
 * shade86-trace: read shade86 trace files (docs/trace-format.md).
 *
 *   dump    instructions with their disassembly, or the canonical record
 *           listing (--records) that the Python reader prints too
 *   stats   totals, instruction mix, hot addresses and blocks, interrupts,
 *           memory, port I/O, control registers
 *   slice   a range of instructions to a new trace file
 *   info    the header and the chunks
 *
 * Exit statuses: 0 ok, 2 usage, 3 cannot open / not a trace, 4 truncated,
 * 5 corrupt.  On a damaged file everything before the damaged chunk is
 * printed, then one line on stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>

#include "traceread.h"
#include "../tracefile.h"

#define VERSION "1.0"

static const char *prog = "shade86-trace";

/* ------------------------------------------------------------------ output */

/* A big output buffer: dump prints billions of lines, printf per field
 * would dominate. */
static char obuf[1 << 16];
static size_t olen;

static void oflush(void)
{
	if (olen && fwrite(obuf, 1, olen, stdout) != olen) {
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
		exit(1);
	}
	olen = 0;
}

static inline void oroom(size_t n)
{
	if (olen + n > sizeof(obuf))
		oflush();
}

static inline void ostr(const char *s)
{
	size_t n = strlen(s);
	oroom(n);
	memcpy(obuf + olen, s, n);
	olen += n;
}

static inline void ochar(char ch)
{
	oroom(1);
	obuf[olen++] = ch;
}

static const char hexd[] = "0123456789abcdef";

static inline void ohex(uint64_t v, int digits)
{
	oroom((size_t)digits);
	for (int i = digits - 1; i >= 0; i--)
		obuf[olen + (size_t)(digits - 1 - i)] = hexd[(v >> (4 * i)) & 15];
	olen += (size_t)digits;
}

static inline void odec(uint64_t v)
{
	char t[24];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	oroom((size_t)n);
	while (n)
		obuf[olen++] = t[--n];
}

/* Right-aligned in width */
static inline void odecw(uint64_t v, int width)
{
	char t[24];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = n; i < width; i++)
		ochar(' ');
	oroom((size_t)n);
	while (n)
		obuf[olen++] = t[--n];
}

static void oprintf(const char *fmt, ...)
{
	va_list ap;
	char t[512];
	va_start(ap, fmt);
	int n = vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	if (n > 0)
		ostr(t);
}

/* ------------------------------------------------------------------ errors */

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try --help)\n");
	return 2;
}

/* The one line for a damaged or unreadable file; st is the exit status */
static int file_error(struct tr_file *f, const char *path, int st)
{
	oflush();
	fflush(stdout);
	if ((st == TR_TRUNC || st == TR_CORRUPT) && f->have_good)
		fprintf(stderr, "%s: %s: %s: %s; the chunks before it are good, the last instruction "
			"count %" PRIu64 "\n", prog, path, st == TR_TRUNC ? "truncated" : "corrupt", f->err,
			f->good_last);
	else if (st == TR_TRUNC || st == TR_CORRUPT)
		fprintf(stderr, "%s: %s: %s: %s; no good instructions before it\n", prog, path,
			st == TR_TRUNC ? "truncated" : "corrupt", f->err);
	else
		fprintf(stderr, "%s: %s: %s\n", prog, path, f->err);
	return st;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *e;
	if (!*s || *s == '-')
		return false;
	errno = 0;
	unsigned long long x = strtoull(s, &e, 0);
	if (*e || errno)
		return false;
	*v = x;
	return true;
}

/* -------------------------------------------------------- canonical listing */

static const char *const gpr_names[9] = {
	"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eflags"
};
static const char *const seg_names[6] = { "es", "cs", "ss", "ds", "fs", "gs" };
static const char *const intr_names[4] = { "irq", "nmi", "exception", "soft" };
static const char *const event_names[4] = { "?", "start", "stop", "reset" };
static const char *const reason_names[4] = { "cmdline", "magic", "port", "reset" };

static void print_state(const uint8_t *st)
{
	ostr("STATE icount=");
	odec(tr_get64(st + TST_ICOUNT));
	ostr(" cpl=");
	odec(st[TST_CPL]);
	ostr(" mode=");
	ohex(st[TST_MODE], 2);
	ostr(" eip=");
	ohex(tr_get32(st + TST_EIP), 8);
	ostr(" eflags=");
	ohex(tr_get32(st + TST_EFLAGS), 8);
	for (int i = 0; i < 8; i++) {
		ochar(' ');
		ostr(gpr_names[i]);
		ochar('=');
		ohex(tr_get32(st + TST_GPR + 4 * i), 8);
	}
	ostr(" cr0=");
	ohex(tr_get32(st + TST_CR), 8);
	ostr(" cr3=");
	ohex(tr_get32(st + TST_CR + 8), 8);
	ochar('\n');
}

/* One record in the canonical form (without its newline for INSN, which
 * dump may follow with more) */
static void print_record(const struct tr_rec *r)
{
	switch (r->kind) {
	case TREC_INSN:
		ostr("INSN ");
		odec(r->u.insn.icount);
		ostr(" lin=");
		ohex(r->u.insn.lin, 8);
		ostr(" phys=");
		ohex(r->u.insn.phys, 8);
		ostr(" cpl=");
		odec(r->u.insn.cpl);
		ostr(" mode=");
		ohex(r->u.insn.mode, 2);
		ostr(" bytes=");
		for (unsigned i = 0; i < r->u.insn.len; i++)
			ohex(r->u.insn.bytes[i], 2);
		break;
	case TREC_MEM:
		ostr(r->u.mem.write ? "MEM W lin=" : "MEM R lin=");
		ohex(r->u.mem.lin, 8);
		ostr(" phys=");
		ohex(r->u.mem.phys, 8);
		ostr(" size=");
		odec(r->u.mem.size);
		ostr(" value=");
		ohex(r->u.mem.value, 2 * r->u.mem.size);
		break;
	case TREC_IO:
		ostr(r->u.io.out ? "IO OUT port=" : "IO IN port=");
		ohex(r->u.io.port, 4);
		ostr(" size=");
		odec(r->u.io.size);
		ostr(" value=");
		ohex(r->u.io.value, 2 * r->u.io.size);
		break;
	case TREC_INTR:
		ostr("INTR ");
		ostr(intr_names[r->u.intr.kind & 3]);
		ostr(" vector=");
		ohex(r->u.intr.vector, 2);
		ostr(" error=");
		if (r->u.intr.error == 0xffffffffu)
			ostr("none");
		else
			ohex(r->u.intr.error, 8);
		ostr(" cs=");
		ohex(r->u.intr.cs, 4);
		ostr(" eip=");
		ohex(r->u.intr.eip, 8);
		break;
	case TREC_CR:
		ostr("CR cr");
		odec(r->u.cr.n);
		ochar('=');
		ohex(r->u.cr.value, 8);
		break;
	case TREC_REGS:
		ostr("REGS");
		for (int i = 0; i < 9; i++)
			if (r->u.regs.mask & (1u << i)) {
				ochar(' ');
				ostr(gpr_names[i]);
				ochar('=');
				ohex(r->u.regs.v.r[i], 8);
			}
		for (int i = 0; i < 6; i++)
			if (r->u.regs.mask & (1u << (TREGS_SEG0 + i))) {
				const struct tr_seg *s = &r->u.regs.v.seg[i];
				ochar(' ');
				ostr(seg_names[i]);
				ochar('=');
				ohex(s->sel, 4);
				ochar(':');
				ohex(s->base, 8);
				ochar(':');
				ohex(s->limit, 8);
				ochar(':');
				/* attributes use bits 0-15; wider values show whole,
				 * as printf's %04x (the Python reader's) would */
				int dig = 4;
				while (dig < 8 && (s->attr >> (4 * dig)))
					dig++;
				ohex(s->attr, dig);
			}
		break;
	case TREC_SYNC:
		ostr("SYNC ");
		odec(r->u.sync.icount);
		break;
	case TREC_MODE:
		ostr("MODE cpl=");
		odec(r->u.mode.cpl);
		ostr(" mode=");
		ohex(r->u.mode.mode, 2);
		break;
	case TREC_EVENT:
		ostr("EVENT ");
		ostr(event_names[r->u.event.kind & 3]);
		ostr(" reason=");
		ostr(reason_names[r->u.event.reason & 3]);
		break;
	case TREC_STATE:
		print_state(r->u.state.block);
		return;
	}
	ochar('\n');
}

static void print_chunk_line(const struct tr_chunk_info *ci)
{
	ostr("CHUNK index=");
	odec(ci->index);
	ostr(" offset=");
	odec(ci->offset);
	ostr(" icount=");
	odec(ci->icount);
	ostr(" insns=");
	odec(ci->ninsn);
	ochar('\n');
}

/* ------------------------------------------------------------- disassembly */

static csh cs16, cs32;
static cs_insn *csi16, *csi32;
static bool cs_ready;

static bool disasm_init(void)
{
	if (cs_ready)
		return true;
	if (cs_open(CS_ARCH_X86, CS_MODE_16, &cs16) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_32, &cs32) != CS_ERR_OK) {
		fprintf(stderr, "%s: capstone cannot be initialised\n", prog);
		return false;
	}
	csi16 = cs_malloc(cs16);
	csi32 = cs_malloc(cs32);
	cs_ready = true;
	return true;
}

static void disasm_done(void)
{
	if (!cs_ready)
		return;
	cs_free(csi16, 1);
	cs_free(csi32, 1);
	cs_close(&cs16);
	cs_close(&cs32);
	cs_ready = false;
}

/* Disassemble one instruction into out; returns the capstone id (0: invalid) */
static unsigned disasm(const uint8_t *bytes, unsigned len, uint32_t eip, bool code32,
		       char *out, size_t outlen)
{
	csh h = code32 ? cs32 : cs16;
	cs_insn *in = code32 ? csi32 : csi16;
	const uint8_t *p = bytes;
	size_t n = len;
	uint64_t addr = code32 ? eip : (eip & 0xffff);
	if (!cs_disasm_iter(h, &p, &n, &addr, in)) {
		if (out)
			snprintf(out, outlen, "(bad)");
		return 0;
	}
	if (out) {
		if (in->op_str[0])
			snprintf(out, outlen, "%.31s %.120s", in->mnemonic, in->op_str);
		else
			snprintf(out, outlen, "%s", in->mnemonic);
	}
	return in->id;
}

/* The disassembly of a chunk's table entries, made once per entry (and again
 * only if the same bytes run at another EIP or mode) */
struct dcache {
	uint32_t *gen;        /* chunk generation the entry is for */
	uint32_t *eip;
	uint8_t *code32;
	char (*text)[160];
	uint32_t cap, curgen;
};

static const char *dcache_get(struct dcache *d, const struct tr_rec *r, uint32_t eip)
{
	uint32_t id = r->u.insn.id;
	bool c32 = r->u.insn.mode & TMODE_CODE32;
	if (id >= d->cap) {
		uint32_t nc = d->cap ? d->cap : 4096;
		while (nc <= id)
			nc *= 2;
		d->gen = realloc(d->gen, nc * sizeof(*d->gen));
		d->eip = realloc(d->eip, nc * sizeof(*d->eip));
		d->code32 = realloc(d->code32, nc);
		d->text = realloc(d->text, nc * sizeof(*d->text));
		if (!d->gen || !d->eip || !d->code32 || !d->text) {
			fprintf(stderr, "%s: out of memory\n", prog);
			exit(1);
		}
		memset(d->gen + d->cap, 0, (nc - d->cap) * sizeof(*d->gen));
		d->cap = nc;
	}
	if (d->gen[id] != d->curgen || d->eip[id] != eip || d->code32[id] != c32) {
		disasm(r->u.insn.bytes, r->u.insn.len, eip, c32, d->text[id], sizeof(d->text[id]));
		d->gen[id] = d->curgen;
		d->eip[id] = eip;
		d->code32[id] = c32;
	}
	return d->text[id];
}

static void dcache_free(struct dcache *d)
{
	free(d->gen);
	free(d->eip);
	free(d->code32);
	free(d->text);
}

/* ------------------------------------------------------- chunk range walk */

/* Group filter for --from/--to and slice: a record belongs to the INSN (or
 * STATE) before it; EVENT start and reset go with the STATE after them. */
static inline bool in_range(uint64_t v, uint64_t from, uint64_t to)
{
	return v >= from && v < to;
}

/*
 * Walk the chunks that may hold instructions in [from, to): a chunk whose
 * successor starts below from holds nothing at or after from (its
 * instructions are all at or below its successor's icount), so it is skipped
 * without being inflated; the walk ends at the first chunk starting at or
 * after to.  fn is called for each loaded chunk; its non-zero return stops.
 */
typedef int (*chunk_fn)(struct tr_chunk *c, void *arg);

static int walk(struct tr_file *f, uint64_t from, uint64_t to, chunk_fn fn, void *arg)
{
	struct tr_chunk_info ci, nx;
	struct tr_chunk c;
	int st;
	bool have_nx = false;
	tr_chunk_init(&c);
	st = tr_chunk_next(f, &ci);
	while (st == TR_OK) {
		if (ci.icount >= to && to != UINT64_MAX)
			break;
		if (from) {
			st = tr_chunk_next(f, &nx);
			have_nx = st == TR_OK;
			if (have_nx && nx.icount < from) {
				/* skipped: what is known of it is its header */
				if (ci.ninsn) {
					f->good_last = nx.icount ? nx.icount - 1 : 0;
					f->have_good = true;
				}
				ci = nx;
				continue;
			}
		}
		st = tr_chunk_load(f, &ci, &c);
		if (st != TR_OK)
			break;
		if (fn(&c, arg)) {
			st = TR_END;
			goto out;
		}
		if (from) {
			if (!have_nx)
				break;      /* st from the look-ahead: END or an error */
			ci = nx;
			st = TR_OK;
		} else {
			st = tr_chunk_next(f, &ci);
		}
	}
	if (st == TR_OK)
		st = TR_END;
out:
	tr_chunk_free(&c);
	return st;
}

/* The look-ahead above reports an error in chunk n+1 only after chunk n was
 * processed, which keeps "everything before the bad chunk" true. */

/* -------------------------------------------------------------------- dump */

struct dump_opts {
	bool regs, mem, io, irq, records;
	uint64_t from, to;
	struct dcache dc;
	bool kept;            /* the current group is in range */
	bool pending_event;   /* an EVENT start/reset waiting for its STATE */
	struct tr_rec event;
};

static void print_indented(const struct tr_rec *r)
{
	ostr("           ");
	print_record(r);
}

static int dump_chunk(struct tr_chunk *c, void *arg)
{
	struct dump_opts *o = arg;
	struct tr_rec r;
	bool all = o->from == 0 && o->to == UINT64_MAX;
	o->dc.curgen++;
	if (o->dc.curgen == 0)
		o->dc.curgen = 1;
	o->kept = false;
	if (o->records)
		print_chunk_line(&c->info);
	bool first = true;
	while (tr_next(c, &r) == TR_OK) {
		if (r.kind == TREC_INSN || r.kind == TREC_STATE) {
			uint64_t ic = r.kind == TREC_INSN ? r.u.insn.icount : r.u.state.icount;
			o->kept = all || in_range(ic, o->from, o->to);
			if (o->pending_event && o->kept) {
				if (o->records)
					print_record(&o->event);
				else
					print_indented(&o->event);
			}
			o->pending_event = false;
		} else if (r.kind == TREC_EVENT && r.u.event.kind != TEV_STOP && !all) {
			/* goes with the STATE after it */
			o->pending_event = true;
			o->event = r;
			continue;
		}
		if (o->records) {
			/* the chunk's own STATE is always shown: it is the base of what follows */
			if (o->kept || first)
				print_record(&r);
			first = false;
			continue;
		}
		first = false;
		if (!o->kept)
			continue;
		switch (r.kind) {
		case TREC_INSN: {
			uint32_t cs_base = c->regs.seg[1].base;
			uint32_t eip = r.u.insn.lin - cs_base;
			const char *text = dcache_get(&o->dc, &r, eip);
			odecw(r.u.insn.icount, 10);
			ochar(' ');
			odec(r.u.insn.cpl);
			ochar(' ');
			ohex(r.u.insn.lin, 8);
			ostr(": ");
			for (unsigned i = 0; i < r.u.insn.len; i++) {
				ohex(r.u.insn.bytes[i], 2);
				ochar(' ');
			}
			for (unsigned i = r.u.insn.len; i < 8; i++)
				ostr("   ");
			ochar(' ');
			ostr(text);
			ochar('\n');
			break;
		}
		case TREC_MEM:
			if (o->mem)
				print_indented(&r);
			break;
		case TREC_IO:
			if (o->io)
				print_indented(&r);
			break;
		case TREC_REGS:
		case TREC_CR:
			if (o->regs)
				print_indented(&r);
			break;
		case TREC_STATE:
			if (o->regs) {
				ostr("           ");
				print_state(r.u.state.block);
			}
			break;
		case TREC_INTR:
		case TREC_EVENT:
			if (o->irq)
				print_indented(&r);
			break;
		default:      /* SYNC, MODE: visible in the icount and CPL columns */
			break;
		}
	}
	return 0;
}

static int cmd_dump(int argc, char **argv)
{
	struct dump_opts o;
	const char *path = NULL;
	memset(&o, 0, sizeof(o));
	o.to = UINT64_MAX;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--regs"))
			o.regs = true;
		else if (!strcmp(a, "--mem"))
			o.mem = true;
		else if (!strcmp(a, "--io"))
			o.io = true;
		else if (!strcmp(a, "--irq"))
			o.irq = true;
		else if (!strcmp(a, "--all"))
			o.regs = o.mem = o.io = o.irq = true;
		else if (!strcmp(a, "--records"))
			o.records = true;
		else if (!strcmp(a, "--from") || !strcmp(a, "--to")) {
			uint64_t v;
			if (i + 1 >= argc)
				return usage_error("%s needs a number", a);
			if (!parse_u64(argv[++i], &v))
				return usage_error("bad number for %s: %s", a, argv[i]);
			if (a[2] == 'f')
				o.from = v;
			else
				o.to = v;
		} else if (a[0] == '-' && a[1])
			return usage_error("dump: unknown option %s", a);
		else if (path)
			return usage_error("dump: one file only");
		else
			path = a;
	}
	if (!path)
		return usage_error("dump: no file");
	struct tr_file f;
	int st = tr_open(&f, path);
	if (st != TR_OK)
		return file_error(&f, path, st);
	if (!o.records && !disasm_init()) {
		tr_close(&f);
		return 1;
	}
	st = walk(&f, o.from, o.to, dump_chunk, &o);
	oflush();
	dcache_free(&o.dc);
	disasm_done();
	if (st != TR_END)
		st = file_error(&f, path, st);
	else
		st = 0;
	tr_close(&f);
	return st;
}

/* -------------------------------------------------------------------- info */

static int cmd_info(int argc, char **argv)
{
	if (argc != 1 || argv[0][0] == '-')
		return usage_error("usage: info FILE");
	const char *path = argv[0];
	struct tr_file f;
	int st = tr_open(&f, path);
	if (st != TR_OK)
		return file_error(&f, path, st);
	static const char *const wn[] = { "insn", "regs", "mem", "io", "irq" };
	oprintf("file:          %s (%" PRIu64 " bytes)\n", path, f.size);
	oprintf("format:        %u.%u\n", f.major, f.minor);
	oprintf("recorded:     ");
	for (int i = 0; i < 5; i++)
		if (f.what & (1u << i))
			oprintf(" %s", wn[i]);
	oprintf("\n");
	oprintf("machine:       %s, %" PRIu64 " MiB RAM\n", f.machine, f.ram_size >> 20);
	oprintf("cpu:           %s, %s, cpuid 1 eax %08" PRIx32 "\n", f.vendor, f.model, f.cpuid_sig);
	oprintf("state size:    %" PRIu32 "\n", f.state_size);
	const uint8_t *s0 = f.state0;
	oprintf("initial state: icount %" PRIu64 ", cs:eip %04x:%08" PRIx32 ", cpl %u, mode %02x\n",
		tr_get64(s0 + TST_ICOUNT), tr_get16(s0 + TST_SEG + 16), tr_get32(s0 + TST_EIP),
		s0[TST_CPL], s0[TST_MODE]);
	struct tr_chunk_info ci, last;
	uint64_t insns = 0, first_ic = 0, usize = 0;
	unsigned n = 0;
	while ((st = tr_chunk_next(&f, &ci)) == TR_OK) {
		if (!n)
			first_ic = ci.icount;
		insns += ci.ninsn;
		usize += ci.usize;
		last = ci;
		n++;
		if (ci.ninsn) {
			f.good_last = ci.icount + ci.ninsn - 1;   /* without SYNC gaps */
			f.have_good = true;
		}
	}
	oprintf("chunks:        %u (%" PRIu64 " bytes uncompressed)\n", n, usize);
	oprintf("instructions:  %" PRIu64 "\n", insns);
	if (n) {
		/* the exact last icount needs the last chunk's records */
		struct tr_chunk c;
		tr_chunk_init(&c);
		/* keep the error of the walk for the message below */
		char save[sizeof(f.err)];
		uint64_t good = f.good_last;
		memcpy(save, f.err, sizeof(save));
		int lst = tr_chunk_load(&f, &last, &c);
		memcpy(f.err, save, sizeof(save));
		f.good_last = good;
		if (lst == TR_OK && last.ninsn)
			oprintf("icount range:  %" PRIu64 " - %" PRIu64 "\n", first_ic, c.last_icount);
		else
			oprintf("icount range:  from %" PRIu64 "\n", first_ic);
		tr_chunk_free(&c);
	}
	oflush();
	st = st == TR_END ? 0 : file_error(&f, path, st);
	tr_close(&f);
	return st;
}

/* ------------------------------------------------------------------- stats */

/* Open addressing, linear probing: key -> two counters.  A Linux boot runs
 * a few million distinct addresses. */
struct ht {
	uint64_t *key;        /* key + 1; 0: empty */
	uint64_t *a, *b;
	size_t cap, n;
};

static void ht_init(struct ht *h, size_t cap)
{
	h->cap = cap;
	h->n = 0;
	h->key = calloc(cap, sizeof(*h->key));
	h->a = calloc(cap, sizeof(*h->a));
	h->b = calloc(cap, sizeof(*h->b));
	if (!h->key || !h->a || !h->b) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
}

static void ht_free(struct ht *h)
{
	free(h->key);
	free(h->a);
	free(h->b);
}

static inline size_t ht_hash(uint64_t k, size_t cap)
{
	k *= 0x9e3779b97f4a7c15ull;
	return (size_t)(k >> 20) & (cap - 1);
}

static void ht_add(struct ht *h, uint64_t key, uint64_t a, uint64_t b);

static void ht_grow(struct ht *h)
{
	struct ht o = *h;
	ht_init(h, o.cap * 2);
	for (size_t i = 0; i < o.cap; i++)
		if (o.key[i])
			ht_add(h, o.key[i] - 1, o.a[i], o.b[i]);
	ht_free(&o);
}

static void ht_add(struct ht *h, uint64_t key, uint64_t a, uint64_t b)
{
	size_t i = ht_hash(key, h->cap);
	for (;;) {
		if (h->key[i] == key + 1)
			break;
		if (!h->key[i]) {
			if ((h->n + 1) * 4 > h->cap * 3) {
				ht_grow(h);
				ht_add(h, key, a, b);
				return;
			}
			h->key[i] = key + 1;
			h->n++;
			break;
		}
		i = (i + 1) & (h->cap - 1);
	}
	h->a[i] += a;
	h->b[i] += b;
}

/* The top n entries by a (indices into h) */
static size_t ht_top(const struct ht *h, size_t n, size_t *out)
{
	size_t k = 0;
	for (size_t i = 0; i < h->cap; i++) {
		if (!h->key[i])
			continue;
		if (k == n && h->a[i] <= h->a[out[k - 1]])
			continue;
		size_t j = k < n ? k++ : k - 1;
		while (j > 0 && h->a[out[j - 1]] < h->a[i]) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = i;
	}
	return k;
}

/* Mnemonic cache: instruction bytes and mode -> capstone id, across chunks */
struct mcache {
	uint8_t (*key)[16];   /* 15 bytes, then len | code32 << 4 (0: empty) */
	uint16_t *id;
	size_t cap, n;
};

static unsigned mnemonic_of(struct mcache *m, const uint8_t *bytes, unsigned len, bool c32)
{
	uint8_t k[16] = { 0 };
	memcpy(k, bytes, len);
	k[15] = (uint8_t)(len | (c32 ? 0x10 : 0));
	if ((m->n + 1) * 2 > m->cap) {
		struct mcache o = *m;
		m->cap = o.cap ? o.cap * 2 : 1 << 16;
		m->n = 0;
		m->key = calloc(m->cap, 16);
		m->id = calloc(m->cap, sizeof(*m->id));
		if (!m->key || !m->id) {
			fprintf(stderr, "%s: out of memory\n", prog);
			exit(1);
		}
		for (size_t i = 0; i < o.cap; i++)
			if (o.key[i][15]) {
				uint64_t h = 0;
				for (int j = 0; j < 16; j++)
					h = (h ^ o.key[i][j]) * 0x100000001b3ull;
				size_t s = (size_t)(h >> 17) & (m->cap - 1);
				while (m->key[s][15])
					s = (s + 1) & (m->cap - 1);
				memcpy(m->key[s], o.key[i], 16);
				m->id[s] = o.id[i];
				m->n++;
			}
		free(o.key);
		free(o.id);
	}
	uint64_t h = 0;
	for (int j = 0; j < 16; j++)
		h = (h ^ k[j]) * 0x100000001b3ull;
	size_t s = (size_t)(h >> 17) & (m->cap - 1);
	while (m->key[s][15]) {
		if (!memcmp(m->key[s], k, 16))
			return m->id[s];
		s = (s + 1) & (m->cap - 1);
	}
	/* the address does not change the mnemonic */
	unsigned id = disasm(bytes, len, 0, c32, NULL, 0);
	memcpy(m->key[s], k, 16);
	m->id[s] = (uint16_t)id;
	m->n++;
	return id;
}

struct stats {
	uint64_t insns, chunks, records, usize;
	uint64_t per_cpl[4], per_mode[16];
	/* per table id of the current chunk: executions by mode, lin, block starts */
	uint64_t *cnt16, *cnt32, *blk_exec, *blk_insns;
	uint32_t *lin_of;
	uint32_t idcap;
	uint64_t *mnem;       /* by capstone id */
	unsigned mnem_cap;
	struct mcache mc;
	struct ht hot, blocks;
	/* the block being executed */
	bool in_block, block_in_chunk;
	uint32_t block_id, block_lin;
	uint64_t block_len;
	bool after_intr;
	uint32_t last_next_lin;   /* lin + len of the previous instruction */
	bool have_last;
	uint64_t intr[4][256];
	uint64_t mem_n[2], mem_bytes[2];
	uint64_t io_n[2][65536];
	uint64_t cr_n[5];
	uint64_t events[4], syncs, states, modes, regs;
};

static void stats_idroom(struct stats *s, uint32_t n)
{
	if (n <= s->idcap)
		return;
	uint32_t nc = s->idcap ? s->idcap : 4096;
	while (nc < n)
		nc *= 2;
	s->cnt16 = realloc(s->cnt16, nc * sizeof(uint64_t));
	s->cnt32 = realloc(s->cnt32, nc * sizeof(uint64_t));
	s->blk_exec = realloc(s->blk_exec, nc * sizeof(uint64_t));
	s->blk_insns = realloc(s->blk_insns, nc * sizeof(uint64_t));
	s->lin_of = realloc(s->lin_of, nc * sizeof(uint32_t));
	if (!s->cnt16 || !s->cnt32 || !s->blk_exec || !s->blk_insns || !s->lin_of) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	memset(s->cnt16 + s->idcap, 0, (nc - s->idcap) * sizeof(uint64_t));
	memset(s->cnt32 + s->idcap, 0, (nc - s->idcap) * sizeof(uint64_t));
	memset(s->blk_exec + s->idcap, 0, (nc - s->idcap) * sizeof(uint64_t));
	memset(s->blk_insns + s->idcap, 0, (nc - s->idcap) * sizeof(uint64_t));
	s->idcap = nc;
}

/* Fold table entry id's counts into the global tables */
static void stats_flush_id(struct stats *s, const struct tr_chunk *c, uint32_t id)
{
	uint64_t n = s->cnt16[id] + s->cnt32[id];
	if (n)
		ht_add(&s->hot, s->lin_of[id], n, 0);
	if (s->blk_exec[id])
		ht_add(&s->blocks, s->lin_of[id], s->blk_exec[id], s->blk_insns[id]);
	const struct tr_ent *e = &c->tab[id];
	for (int m = 0; m < 2; m++) {
		uint64_t k = m ? s->cnt32[id] : s->cnt16[id];
		if (!k)
			continue;
		unsigned mid = mnemonic_of(&s->mc, c->buf + e->off, e->len, m);
		if (mid >= s->mnem_cap) {
			unsigned nc = mid + 1024;
			s->mnem = realloc(s->mnem, nc * sizeof(*s->mnem));
			if (!s->mnem)
				exit(1);
			memset(s->mnem + s->mnem_cap, 0, (nc - s->mnem_cap) * sizeof(*s->mnem));
			s->mnem_cap = nc;
		}
		s->mnem[mid] += k;
	}
	s->cnt16[id] = s->cnt32[id] = s->blk_exec[id] = s->blk_insns[id] = 0;
}

/* The block being executed ends */
static void stats_end_block(struct stats *s)
{
	if (!s->in_block)
		return;
	if (s->block_in_chunk) {
		s->blk_exec[s->block_id]++;
		s->blk_insns[s->block_id] += s->block_len;
	} else {
		ht_add(&s->blocks, s->block_lin, 1, s->block_len);
	}
	s->in_block = false;
}

static int stats_chunk(struct tr_chunk *c, void *arg)
{
	struct stats *s = arg;
	struct tr_rec r;
	stats_idroom(s, c->info.ninsn + 1);
	s->chunks++;
	s->usize += c->len;
	/* blocks open at the end of the previous chunk continue by lin only */
	s->block_in_chunk = false;
	while (tr_next(c, &r) == TR_OK) {
		s->records++;
		switch (r.kind) {
		case TREC_INSN: {
			uint32_t id = r.u.insn.id, lin = r.u.insn.lin;
			stats_idroom(s, c->ntab);
			s->insns++;
			s->per_cpl[r.u.insn.cpl & 3]++;
			s->per_mode[r.u.insn.mode & 15]++;
			if ((s->cnt16[id] || s->cnt32[id]) && s->lin_of[id] != lin)
				stats_flush_id(s, c, id);    /* the same bytes at another address */
			s->lin_of[id] = lin;
			if (r.u.insn.mode & TMODE_CODE32)
				s->cnt32[id]++;
			else
				s->cnt16[id]++;
			/* JUMP marks exactly this, but the first INSN of a chunk has
			 * JUMP whether or not it follows on: compare addresses */
			bool start = s->after_intr || !s->have_last || lin != s->last_next_lin;
			if (start) {
				stats_end_block(s);
				s->in_block = true;
				s->block_in_chunk = true;
				s->block_id = id;
				s->block_lin = lin;
				s->block_len = 0;
			}
			s->block_len++;
			s->after_intr = false;
			s->last_next_lin = lin + r.u.insn.len;
			s->have_last = true;
			break;
		}
		case TREC_MEM:
			s->mem_n[r.u.mem.write]++;
			s->mem_bytes[r.u.mem.write] += r.u.mem.size;
			break;
		case TREC_IO:
			s->io_n[r.u.io.out][r.u.io.port]++;
			break;
		case TREC_INTR:
			s->intr[r.u.intr.kind & 3][r.u.intr.vector]++;
			s->after_intr = true;
			break;
		case TREC_CR:
			s->cr_n[r.u.cr.n]++;
			break;
		case TREC_EVENT:
			s->events[r.u.event.kind & 3]++;
			break;
		case TREC_STATE:
			s->states++;
			break;
		case TREC_SYNC:
			s->syncs++;
			/* instructions were left out: what follows is not sequential */
			s->have_last = false;
			break;
		case TREC_MODE:
			s->modes++;
			break;
		case TREC_REGS:
			s->regs++;
			break;
		}
	}
	/* a block still running goes on by address into the next chunk */
	s->block_in_chunk = false;
	for (uint32_t id = 0; id < c->ntab; id++)
		stats_flush_id(s, c, id);
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	const char *path = NULL;
	uint64_t top = 20;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--top")) {
			if (i + 1 >= argc || !parse_u64(argv[i + 1], &top) || top > 1000000)
				return usage_error("--top needs a number");
			i++;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("stats: unknown option %s", argv[i]);
		} else if (path) {
			return usage_error("stats: one file only");
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return usage_error("stats: no file");
	struct tr_file f;
	int st = tr_open(&f, path);
	if (st != TR_OK)
		return file_error(&f, path, st);
	if (!disasm_init()) {
		tr_close(&f);
		return 1;
	}
	struct stats *s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	ht_init(&s->hot, 1 << 16);
	ht_init(&s->blocks, 1 << 16);
	st = walk(&f, 0, UINT64_MAX, stats_chunk, s);
	stats_end_block(s);

	oprintf("file:            %s, %" PRIu64 " bytes, %" PRIu64 " chunks\n", path, f.size, s->chunks);
	oprintf("instructions:    %" PRIu64 "\n", s->insns);
	oprintf("records:         %" PRIu64 " (%" PRIu64 " bytes uncompressed)\n", s->records, s->usize);
	if (s->insns)
		oprintf("bytes/insn:      %.3f in the file, %.3f uncompressed\n",
			(double)f.size / (double)s->insns, (double)s->usize / (double)s->insns);
	oprintf("\nby CPL:\n");
	for (int i = 0; i < 4; i++)
		if (s->per_cpl[i])
			oprintf("  %d %16" PRIu64 "  %5.1f%%\n", i, s->per_cpl[i],
				100.0 * (double)s->per_cpl[i] / (double)s->insns);
	oprintf("\nby mode:\n");
	for (int m = 0; m < 16; m++)
		if (s->per_mode[m])
			oprintf("  %02x %-24s %16" PRIu64 "  %5.1f%%\n", m,
				(m & TMODE_VM) ? "virtual-8086" :
				(m & TMODE_PE) ? ((m & TMODE_CODE32) ?
						  ((m & TMODE_PG) ? "protected 32-bit paged" : "protected 32-bit") :
						  ((m & TMODE_PG) ? "protected 16-bit paged" : "protected 16-bit")) :
				"real", s->per_mode[m], 100.0 * (double)s->per_mode[m] / (double)s->insns);

	/* mnemonics, most executed first */
	oprintf("\ninstruction mix (top %" PRIu64 "):\n", top);
	{
		unsigned nm = 0;
		for (unsigned i = 0; i < s->mnem_cap; i++)
			if (s->mnem[i])
				nm++;
		unsigned *ord = malloc((nm + 1) * sizeof(*ord));
		unsigned k = 0;
		for (unsigned i = 0; i < s->mnem_cap; i++)
			if (s->mnem[i])
				ord[k++] = i;
		/* a few hundred mnemonics: insertion sort */
		for (unsigned i = 1; i < k; i++)
			for (unsigned j = i; j > 0 && s->mnem[ord[j - 1]] < s->mnem[ord[j]]; j--) {
				unsigned t = ord[j];
				ord[j] = ord[j - 1];
				ord[j - 1] = t;
			}
		for (unsigned i = 0; i < k && i < top; i++) {
			const char *name = ord[i] ? cs_insn_name(cs32, ord[i]) : "(bad)";
			oprintf("  %-12s %16" PRIu64 "  %5.1f%%\n", name ? name : "?", s->mnem[ord[i]],
				100.0 * (double)s->mnem[ord[i]] / (double)s->insns);
		}
		free(ord);
	}
	size_t *idx = malloc((top + 1) * sizeof(*idx));
	size_t k = ht_top(&s->hot, top, idx);
	oprintf("\nhottest addresses (%zu distinct, top %zu):\n", s->hot.n, k);
	for (size_t i = 0; i < k; i++)
		oprintf("  %08" PRIx64 " %16" PRIu64 "\n", s->hot.key[idx[i]] - 1, s->hot.a[idx[i]]);
	k = ht_top(&s->blocks, top, idx);
	oprintf("\nhottest blocks (%zu distinct, top %zu): start, executions, instructions, average length\n",
		s->blocks.n, k);
	for (size_t i = 0; i < k; i++)
		oprintf("  %08" PRIx64 " %16" PRIu64 " %16" PRIu64 " %8.1f\n", s->blocks.key[idx[i]] - 1,
			s->blocks.a[idx[i]], s->blocks.b[idx[i]],
			(double)s->blocks.b[idx[i]] / (double)s->blocks.a[idx[i]]);
	free(idx);

	oprintf("\ninterrupts and exceptions:\n");
	for (int kd = 0; kd < 4; kd++)
		for (int v = 0; v < 256; v++)
			if (s->intr[kd][v])
				oprintf("  %-9s %02x %16" PRIu64 "\n", intr_names[kd], v, s->intr[kd][v]);
	oprintf("\nmemory:\n  reads  %16" PRIu64 " (%" PRIu64 " bytes)\n  writes %16" PRIu64 " (%" PRIu64 " bytes)\n",
		s->mem_n[0], s->mem_bytes[0], s->mem_n[1], s->mem_bytes[1]);
	oprintf("\nport I/O:\n");
	for (int p = 0; p < 65536; p++)
		if (s->io_n[0][p] || s->io_n[1][p])
			oprintf("  %04x in %12" PRIu64 "  out %12" PRIu64 "\n", p, s->io_n[0][p], s->io_n[1][p]);
	oprintf("\ncontrol register writes:\n");
	for (int n = 0; n < 5; n++)
		if (s->cr_n[n])
			oprintf("  cr%d %16" PRIu64 "\n", n, s->cr_n[n]);
	oprintf("\nother records: %" PRIu64 " STATE, %" PRIu64 " SYNC, %" PRIu64 " MODE, %" PRIu64
		" REGS, events: %" PRIu64 " start, %" PRIu64 " stop, %" PRIu64 " reset\n",
		s->states, s->syncs, s->modes, s->regs, s->events[1], s->events[2], s->events[3]);
	oflush();

	ht_free(&s->hot);
	ht_free(&s->blocks);
	free(s->cnt16);
	free(s->cnt32);
	free(s->blk_exec);
	free(s->blk_insns);
	free(s->lin_of);
	free(s->mnem);
	free(s->mc.key);
	free(s->mc.id);
	free(s);
	disasm_done();
	st = st == TR_END ? 0 : file_error(&f, path, st);
	tr_close(&f);
	return st;
}

/* ------------------------------------------------------------------- slice */

/*
 * The slice's chunks mirror the input's: each input chunk with something in
 * [FROM, TO) becomes one output chunk that starts with the input chunk's own
 * STATE record, unchanged.  That state is exact at its own icount, which may
 * lie before FROM; the encoder then writes a SYNC before the first kept
 * instruction, as for a trace whose tracing was filtered.  We do not move the
 * STATE's icount to FROM: between the chunk start and FROM only the recorded
 * registers are known (and the EIP, CPL and mode of the next instruction),
 * never the x87/SSE state, CR2, the descriptor tables...  Instead, when the
 * input recorded registers, the first kept instruction is followed by a REGS
 * record bringing every register that changed since the STATE up to date, so
 * from there on the register values are exact.  CR writes before FROM are
 * not repeated.
 */
struct slice {
	struct tr_file *f;
	uint64_t from, to;
	struct tracefile *out;
	struct trace_sink sink;
	struct tenc e;
	uint8_t *buf;
	size_t cap;
	int64_t *map;         /* input table id -> output id (-1: not defined) */
	uint32_t mapcap;
	bool started;         /* the output file exists */
	bool failed;
	uint64_t kept_insns;
	const char *outpath;
	char err[256];
};

static int slice_chunk(struct tr_chunk *c, void *arg)
{
	struct slice *s = arg;
	struct tr_rec r;
	bool began = false, kept = false, regs_synced = false;
	bool regs = s->f->what & TRACE_W_REGS;
	bool pending_event = false;
	struct tr_rec event = { 0 };
	const uint8_t *chunk_state = c->buf + 1;
	if (s->mapcap < c->info.ninsn + 1) {
		free(s->map);
		s->mapcap = c->info.ninsn + 1;
		s->map = malloc(s->mapcap * sizeof(*s->map));
		if (!s->map) {
			s->failed = true;
			snprintf(s->err, sizeof(s->err), "out of memory");
			return 1;
		}
	}
	for (uint32_t i = 0; i < s->mapcap; i++)
		s->map[i] = -1;
	while (tr_next(c, &r) == TR_OK) {
		bool first = r.off == 0;
		if (r.kind == TREC_INSN || r.kind == TREC_STATE) {
			/* the records of the previous instruction are over */
			if (kept && regs && !regs_synced && began) {
				tenc_regs(&s->e, (const struct tregs *)&c->regs);
				regs_synced = true;
			}
			uint64_t ic = r.kind == TREC_INSN ? r.u.insn.icount : r.u.state.icount;
			kept = in_range(ic, s->from, s->to);
			if (first)
				kept = false;       /* begins the output chunk when needed */
		} else if (r.kind == TREC_EVENT && r.u.event.kind != TEV_STOP) {
			pending_event = true;
			event = r;
			continue;
		}
		if (!kept) {
			if (r.kind != TREC_EVENT)
				pending_event = false;
			continue;
		}
		if (!began) {
			if (!s->started) {
				struct tracefile_info info = {
					.what = s->f->what, .ram_size = s->f->ram_size,
					.cpuid_sig = s->f->cpuid_sig, .vendor = s->f->vendor,
					.model = s->f->model, .machine = s->f->machine,
				};
				s->out = tracefile_open(s->outpath, &info, chunk_state, s->err, sizeof(s->err));
				if (!s->out) {
					s->failed = true;
					return 1;
				}
				s->sink = tracefile_sink(s->out);
				s->buf = tracefile_buffer(s->out, &s->cap);
				if (!s->buf) {
					s->failed = true;
					snprintf(s->err, sizeof(s->err), "out of memory");
					return 1;
				}
				s->started = true;
			}
			tenc_begin(&s->e, s->buf, s->cap, chunk_state);
			began = true;
		}
		switch (r.kind) {
		case TREC_INSN: {
			if (pending_event)
				tenc_event(&s->e, event.u.event.kind, event.u.event.reason);
			uint32_t id = r.u.insn.id;
			int64_t oid = s->map[id];
			uint32_t nid = tenc_insn(&s->e, r.u.insn.icount, r.u.insn.lin, r.u.insn.cpl,
						 r.u.insn.mode, oid, r.u.insn.phys, r.u.insn.len,
						 r.u.insn.bytes);
			s->map[id] = nid;
			s->kept_insns++;
			break;
		}
		case TREC_MEM:
			tenc_mem(&s->e, r.u.mem.lin, r.u.mem.phys, r.u.mem.size, r.u.mem.value, r.u.mem.write);
			break;
		case TREC_IO:
			tenc_io(&s->e, r.u.io.port, r.u.io.size, r.u.io.value, r.u.io.out);
			break;
		case TREC_INTR:
			tenc_intr(&s->e, r.u.intr.kind, r.u.intr.vector, r.u.intr.error, r.u.intr.cs,
				  r.u.intr.eip);
			break;
		case TREC_CR:
			tenc_cr(&s->e, r.u.cr.n, r.u.cr.value);
			break;
		case TREC_REGS:
			/* the full current values: the encoder writes what differs from its own */
			tenc_regs(&s->e, (const struct tregs *)&c->regs);
			regs_synced = true;
			break;
		case TREC_STATE:
			if (pending_event)
				tenc_event(&s->e, event.u.event.kind, event.u.event.reason);
			tenc_state(&s->e, r.u.state.block);
			regs_synced = true;
			break;
		case TREC_EVENT:
			tenc_event(&s->e, r.u.event.kind, r.u.event.reason);
			break;
		default:      /* SYNC, MODE: the encoder writes its own */
			break;
		}
		if (r.kind != TREC_EVENT)
			pending_event = false;
	}
	if (began) {
		if (kept && regs && !regs_synced)
			tenc_regs(&s->e, (const struct tregs *)&c->regs);
		if (s->e.failed) {
			s->failed = true;
			snprintf(s->err, sizeof(s->err), "out of memory");
			return 1;
		}
		size_t newcap = 0;
		s->buf = s->sink.chunk(s->sink.opaque, s->e.buf, s->e.len, s->e.cap,
				       s->e.first_icount, s->e.ninsn, &newcap);
		s->cap = newcap;
		if (!s->buf) {
			s->failed = true;
			snprintf(s->err, sizeof(s->err), "the writer failed");
			return 1;
		}
	}
	return c->end_counter >= s->to ? 1 : 0;
}

_Static_assert(sizeof(struct tr_seg) == sizeof(struct tseg), "tr_seg mirrors tseg");
_Static_assert(sizeof(struct tr_regs) == sizeof(struct tregs), "tr_regs mirrors tregs");

static int cmd_slice(int argc, char **argv)
{
	struct slice s;
	memset(&s, 0, sizeof(s));
	if (argc != 4)
		return usage_error("usage: slice IN OUT FROM TO");
	if (!parse_u64(argv[2], &s.from) || !parse_u64(argv[3], &s.to))
		return usage_error("slice: bad instruction count");
	const char *path = argv[0];
	s.outpath = argv[1];
	struct tr_file f;
	int st = tr_open(&f, path);
	if (st != TR_OK)
		return file_error(&f, path, st);
	s.f = &f;
	st = walk(&f, s.from, s.to, slice_chunk, &s);
	int rc = 0;
	if (!s.failed && !s.started) {
		/* nothing in range: an empty trace with the file's initial state */
		struct tracefile_info info = {
			.what = f.what, .ram_size = f.ram_size, .cpuid_sig = f.cpuid_sig,
			.vendor = f.vendor, .model = f.model, .machine = f.machine,
		};
		s.out = tracefile_open(s.outpath, &info, f.state0, s.err, sizeof(s.err));
		if (!s.out)
			s.failed = true;
		else {
			s.buf = tracefile_buffer(s.out, &s.cap);
			s.started = true;
		}
	}
	if (s.started) {
		free(s.buf);
		if (tracefile_close(s.out, s.err, sizeof(s.err)) < 0)
			s.failed = true;
	}
	if (s.failed) {
		fprintf(stderr, "%s: %s: %s\n", prog, s.outpath, s.err);
		rc = 1;
	}
	if (st != TR_END)
		rc = file_error(&f, path, st);
	else if (!rc)
		fprintf(stderr, "%s: %s: %" PRIu64 " instructions\n", prog, s.outpath, s.kept_insns);
	free(s.map);
	tr_close(&f);
	return rc;
}

/* -------------------------------------------------------------------- main */

static void help(void)
{
	printf("usage: shade86-trace COMMAND [OPTIONS] FILE...\n"
	       "Read shade86 instruction traces (docs/trace-format.md).\n"
	       "\n"
	       "  dump [--regs] [--mem] [--io] [--irq] [--all] [--from N] [--to N] [--records] FILE\n"
	       "        one line per instruction: icount, CPL, linear address, bytes,\n"
	       "        disassembly; below it, with --irq its interrupts and exceptions\n"
	       "        (and trace events), --mem its memory accesses, --io its port I/O,\n"
	       "        --regs its register and CR changes (and STATEs); --all: all of them.\n"
	       "        --from/--to: instruction counts [N, M); chunks wholly before N are\n"
	       "        skipped without being decompressed.  --records: the canonical\n"
	       "        listing of every record (the Python reader prints the same);\n"
	       "        with --from/--to each chunk read is listed with its STATE.\n"
	       "  stats [--top N] FILE\n"
	       "        totals, CPL and mode, instruction mix, hottest addresses and\n"
	       "        blocks, interrupts, memory, port I/O, control registers.\n"
	       "  slice IN OUT FROM TO\n"
	       "        the instructions with icount in [FROM, TO) and their records to a\n"
	       "        new trace.  Each output chunk begins with its input chunk's own\n"
	       "        STATE, unchanged (exact at its icount, which may be before FROM),\n"
	       "        then a SYNC to the first kept instruction; if registers were\n"
	       "        recorded, a REGS after that instruction brings them all up to date.\n"
	       "  info FILE\n"
	       "        the header, the chunks, the instruction range.\n"
	       "\n"
	       "Exit status: 0 ok, 2 usage, 3 cannot open or not a trace, 4 truncated,\n"
	       "5 corrupt (what comes before the damaged chunk is printed first).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("no command");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		help();
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		int maj, min;
		cs_version(&maj, &min);
		printf("shade86-trace %s (trace format %d.%d, capstone %d.%d)\n", VERSION, TRACE_MAJOR,
		       TRACE_MINOR, maj, min);
		return 0;
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help")) {
			help();
			return 0;
		}
	if (!strcmp(cmd, "dump"))
		return cmd_dump(argc - 2, argv + 2);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc - 2, argv + 2);
	if (!strcmp(cmd, "slice"))
		return cmd_slice(argc - 2, argv + 2);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc - 2, argv + 2);
	return usage_error("unknown command %s", cmd);
}

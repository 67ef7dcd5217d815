/*
 * The trace file reader: see traceread.h and docs/trace-format.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "traceread.h"

/* Chunks the writer makes are about a megabyte; these bounds only keep a
 * hostile header from making us allocate without limit.  zlib cannot expand
 * more than about 1032:1. */
#define MAX_USIZE (1u << 30)
#define MAX_STATE (1u << 20)

static int fail(struct tr_file *f, int st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->err, sizeof(f->err), fmt, ap);
	va_end(ap);
	return st;
}

/* Read exactly n bytes at off; returns the bytes read (short at EOF), -1 on error */
static ssize_t read_at(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static void copy_str(char *dst, const uint8_t *src, size_t n)
{
	/* printable characters only: the header is untrusted and ends up on a terminal */
	size_t i;
	for (i = 0; i < n && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[i] = 0;
}

int tr_open(struct tr_file *f, const char *path)
{
	uint8_t h[TRACE_HEADER_FIXED];
	struct stat sb;
	int st;
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->fd = open(path, O_RDONLY);
	if (f->fd < 0)
		return fail(f, TR_BADFILE, "cannot open: %s", strerror(errno));
	if (fstat(f->fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		st = fail(f, TR_BADFILE, "not a regular file");
		goto bad;
	}
	f->size = (uint64_t)sb.st_size;
	ssize_t n = read_at(f->fd, h, sizeof(h), 0);
	if (n < 0) {
		st = fail(f, TR_BADFILE, "cannot read: %s", strerror(errno));
		goto bad;
	}
	if (n < 8 || memcmp(h, TRACE_MAGIC, 8) != 0) {
		st = fail(f, TR_BADFILE, "not a shade86 trace file (bad magic)");
		goto bad;
	}
	if (n < 12) {
		st = fail(f, TR_TRUNC, "truncated file header (%zd of %u bytes)", n, TRACE_HEADER_FIXED);
		goto bad;
	}
	f->major = tr_get16(h + 8);
	f->minor = tr_get16(h + 10);
	if (f->major != TRACE_MAJOR) {
		st = fail(f, TR_BADFILE, "unsupported trace format version %u.%u (this reader knows %u.x)",
		     f->major, f->minor, TRACE_MAJOR);
		goto bad;
	}
	if ((size_t)n < sizeof(h)) {
		st = fail(f, TR_TRUNC, "truncated file header (%zd of %u bytes)", n, TRACE_HEADER_FIXED);
		goto bad;
	}
	f->header_size = tr_get32(h + 12);
	f->state_size = tr_get32(h + 16);
	f->what = tr_get32(h + 20);
	f->ram_size = tr_get64(h + 24);
	f->cpuid_sig = tr_get32(h + 32);
	copy_str(f->vendor, h + 36, 12);
	copy_str(f->model, h + 48, 48);
	copy_str(f->machine, h + 96, 16);
	/* the fields this reader uses must be there; a later minor may add more */
	if (f->state_size < TRACE_STATE_SIZE || f->state_size > MAX_STATE ||
	    f->header_size != TRACE_HEADER_FIXED + f->state_size) {
		st = fail(f, TR_BADFILE, "bad header: state size %" PRIu32 ", header size %" PRIu32,
		     f->state_size, f->header_size);
		goto bad;
	}
	f->state0 = malloc(f->state_size);
	if (!f->state0) {
		st = fail(f, TR_BADFILE, "out of memory");
		goto bad;
	}
	n = read_at(f->fd, f->state0, f->state_size, TRACE_HEADER_FIXED);
	if (n < 0 || (size_t)n < f->state_size) {
		st = fail(f, TR_TRUNC, "truncated file header (initial state block cut short)");
		goto bad;
	}
	f->next_off = f->header_size;
	z_stream *zs = calloc(1, sizeof(*zs));
	if (!zs || inflateInit(zs) != Z_OK) {
		free(zs);
		st = fail(f, TR_BADFILE, "out of memory");
		goto bad;
	}
	f->zs = zs;
	return TR_OK;
bad:
	tr_close(f);
	return st;
}

void tr_close(struct tr_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->state0);
	f->state0 = NULL;
	free(f->zbuf);
	f->zbuf = NULL;
	f->zcap = 0;
	if (f->zs) {
		inflateEnd(f->zs);
		free(f->zs);
		f->zs = NULL;
	}
}

int tr_chunk_at(struct tr_file *f, uint64_t off, unsigned index, struct tr_chunk_info *ci)
{
	uint8_t h[TRACE_CHUNK_HDR];
	memset(ci, 0, sizeof(*ci));
	ci->index = index;
	ci->offset = off;
	if (off >= f->size)
		return TR_END;
	ssize_t n = read_at(f->fd, h, sizeof(h), off);
	if (n < 0)
		return fail(f, TR_TRUNC, "chunk %u at offset %" PRIu64 ": read error: %s",
			    index, off, strerror(errno));
	size_t cmp = (size_t)n < 4 ? (size_t)n : 4;
	if (memcmp(h, TRACE_CHUNK_MAGIC, cmp) != 0)
		return fail(f, TR_CORRUPT, "chunk %u at offset %" PRIu64 ": bad chunk magic",
			    index, off);
	if ((size_t)n < sizeof(h))
		return fail(f, TR_TRUNC, "chunk %u at offset %" PRIu64 ": truncated chunk header "
			    "(%zd of %u bytes)", index, off, n, TRACE_CHUNK_HDR);
	if ((uint32_t)crc32(0, h, 28) != tr_get32(h + 28))
		return fail(f, TR_CORRUPT, "chunk %u at offset %" PRIu64 ": bad chunk header CRC",
			    index, off);
	ci->csize = tr_get32(h + 4);
	ci->usize = tr_get32(h + 8);
	ci->crc = tr_get32(h + 12);
	ci->icount = tr_get64(h + 16);
	ci->ninsn = tr_get32(h + 24);
	ci->next = off + TRACE_CHUNK_HDR + ci->csize;
	/* a STATE record at least; no more than zlib can expand to */
	if (ci->usize < 1 + f->state_size || ci->usize > MAX_USIZE ||
	    (uint64_t)ci->usize > (uint64_t)ci->csize * 1100 + 1024 || ci->csize < 8)
		return fail(f, TR_CORRUPT, "chunk %u at offset %" PRIu64 ": bad sizes "
			    "(compressed %" PRIu32 ", uncompressed %" PRIu32 ")",
			    index, off, ci->csize, ci->usize);
	if (ci->next > f->size)
		return fail(f, TR_TRUNC, "chunk %u at offset %" PRIu64 ": truncated payload "
			    "(%" PRIu32 " bytes, %" PRIu64 " in the file)", index, off, ci->csize,
			    f->size - off - TRACE_CHUNK_HDR);
	return TR_OK;
}

int tr_chunk_next(struct tr_file *f, struct tr_chunk_info *ci)
{
	int st = tr_chunk_at(f, f->next_off, f->next_index, ci);
	if (st == TR_OK) {
		f->next_off = ci->next;
		f->next_index++;
	}
	return st;
}

void tr_chunk_init(struct tr_chunk *c)
{
	memset(c, 0, sizeof(*c));
}

void tr_chunk_free(struct tr_chunk *c)
{
	free(c->buf);
	free(c->tab);
	memset(c, 0, sizeof(*c));
}

void tr_chunk_rewind(struct tr_chunk *c)
{
	c->pos = 0;
	c->counter = 0;
	c->cpl = c->mode = 0;
	c->ntab = 0;
	c->prev_id = c->prev_lin = c->prev_len = 0;
	c->have_prev = false;
	c->mem_lin = c->mem_map = 0;
	c->have_map = false;
	memset(&c->regs, 0, sizeof(c->regs));
	memset(c->cr, 0, sizeof(c->cr));
	c->state = NULL;
}

static int bad_rec(struct tr_chunk *c, size_t off, const char *what)
{
	return fail(c->f, TR_CORRUPT, "chunk %u at offset %" PRIu64 ": %s at payload offset %zu",
		    c->info.index, c->info.offset, what, off);
}

int tr_chunk_load(struct tr_file *f, const struct tr_chunk_info *ci, struct tr_chunk *c)
{
	c->f = f;
	c->info = *ci;
	c->len = 0;
	tr_chunk_rewind(c);
	if (f->zcap < ci->csize) {
		uint8_t *p = realloc(f->zbuf, ci->csize);
		if (!p)
			return fail(f, TR_CORRUPT, "chunk %u at offset %" PRIu64 ": out of memory",
				    ci->index, ci->offset);
		f->zbuf = p;
		f->zcap = ci->csize;
	}
	/* one spare byte: a stream that inflates to more than usize shows */
	if (c->cap < (size_t)ci->usize + 1) {
		uint8_t *p = realloc(c->buf, (size_t)ci->usize + 1);
		if (!p)
			return fail(f, TR_CORRUPT, "chunk %u at offset %" PRIu64 ": out of memory",
				    ci->index, ci->offset);
		c->buf = p;
		c->cap = (size_t)ci->usize + 1;
	}
	ssize_t n = read_at(f->fd, f->zbuf, ci->csize, ci->offset + TRACE_CHUNK_HDR);
	if (n < 0 || (size_t)n < ci->csize)
		return fail(f, TR_TRUNC, "chunk %u at offset %" PRIu64 ": truncated payload",
			    ci->index, ci->offset);
	z_stream *zs = f->zs;
	inflateReset(zs);
	zs->next_in = f->zbuf;
	zs->avail_in = ci->csize;
	zs->next_out = c->buf;
	zs->avail_out = ci->usize + 1;
	int zr = inflate(zs, Z_FINISH);
	if (zr != Z_STREAM_END || zs->total_out != ci->usize || zs->avail_in != 0)
		return fail(f, TR_CORRUPT, "chunk %u at offset %" PRIu64 ": the payload does not "
			    "inflate to its %" PRIu32 " bytes (%s)", ci->index, ci->offset, ci->usize,
			    zr == Z_STREAM_END ? (zs->avail_in ? "data after the stream" : "size mismatch")
			    : zr == Z_DATA_ERROR ? "bad zlib data" : "stream cut short or too long");
	c->len = ci->usize;
	if ((uint32_t)crc32(0, c->buf, ci->usize) != ci->crc)
		return fail(f, TR_CORRUPT, "chunk %u at offset %" PRIu64 ": bad payload CRC",
			    ci->index, ci->offset);
	if (c->buf[0] != TREC_STATE)
		return bad_rec(c, 0, "the first record is not STATE");
	/* decode it all once, so no damaged record ever reaches the caller */
	struct tr_rec r;
	uint32_t ninsn = 0;
	int st;
	bool first = true;
	c->last_icount = 0;
	while ((st = tr_next(c, &r)) == TR_OK) {
		if (first && r.u.state.icount != ci->icount)
			return fail(f, TR_CORRUPT, "chunk %u at offset %" PRIu64 ": its STATE icount %"
				    PRIu64 " differs from its header's %" PRIu64, ci->index, ci->offset,
				    r.u.state.icount, ci->icount);
		first = false;
		if (r.kind == TREC_INSN) {
			ninsn++;
			c->last_icount = r.u.insn.icount;
		}
	}
	if (st != TR_END)
		return st;
	if (ninsn != ci->ninsn)
		return fail(f, TR_CORRUPT, "chunk %u at offset %" PRIu64 ": %" PRIu32 " instructions, "
			    "its header says %" PRIu32, ci->index, ci->offset, ninsn, ci->ninsn);
	c->end_counter = c->counter;
	if (ninsn) {
		f->good_last = c->last_icount;
		f->have_good = true;
	}
	tr_chunk_rewind(c);
	return TR_OK;
}

static void take_seg(struct tr_seg *s, const uint8_t *p)
{
	s->sel = tr_get16(p);
	s->valid = tr_get16(p + 2);
	s->base = tr_get32(p + 4);
	s->limit = tr_get32(p + 8);
	s->attr = tr_get32(p + 12);
}

/* Varint of at most 10 bytes; false if it runs past end or is too long */
static inline bool get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t x = 0;
	for (unsigned sh = 0; sh < 70; sh += 7) {
		if (p >= end)
			return false;
		uint8_t b = *p++;
		if (sh == 63 && b > 1)
			return false;
		x |= (uint64_t)(b & 0x7f) << sh;
		if (!(b & 0x80)) {
			*pp = p;
			*v = x;
			return true;
		}
	}
	return false;
}

/* A zigzag number: a 32-bit difference */
static inline bool get_zigzag(const uint8_t **pp, const uint8_t *end, uint32_t *d)
{
	uint64_t v;
	if (__builtin_expect(*pp < end && !(**pp & 0x80), 1)) {
		v = *(*pp)++;
	} else if (!get_varint(pp, end, &v) || v > 0xffffffffu) {
		return false;
	}
	uint32_t z = (uint32_t)v;
	*d = (z >> 1) ^ (uint32_t)-(z & 1);
	return true;
}

int tr_next(struct tr_chunk *c, struct tr_rec *r)
{
	const uint8_t *base = c->buf, *end = c->buf + c->len;
	const uint8_t *p = base + c->pos;
	if (p >= end)
		return TR_END;
	size_t off = c->pos;
	uint8_t tag = *p++;
	r->off = (uint32_t)off;
	if (tag & TREC_INSN) {
		uint32_t lin, id;
		r->kind = TREC_INSN;
		r->u.insn.jump = tag & TREC_INSN_JUMP;
		r->u.insn.new_ = tag & TREC_INSN_NEW;
		if (tag & TREC_INSN_JUMP) {
			if (end - p < 4)
				return bad_rec(c, off, "INSN cut short");
			lin = tr_get32(p);
			p += 4;
		} else {
			if (!c->have_prev)
				return bad_rec(c, off, "INSN without JUMP and no previous instruction");
			lin = c->prev_lin + c->prev_len;
		}
		if (tag & TREC_INSN_NEW) {
			if (tag & TREC_INSN_D)
				return bad_rec(c, off, "INSN with NEW and a delta code");
			if (end - p < 5)
				return bad_rec(c, off, "INSN cut short");
			unsigned len = p[4];
			if (len < 1 || len > 15)
				return bad_rec(c, off, "INSN length not 1-15");
			if ((size_t)(end - p) < 5 + len)
				return bad_rec(c, off, "INSN cut short");
			if (c->ntab == c->tabcap) {
				uint32_t nc = c->tabcap ? c->tabcap * 2 : 4096;
				struct tr_ent *t = realloc(c->tab, nc * sizeof(*t));
				if (!t)
					return bad_rec(c, off, "out of memory for the instruction table");
				c->tab = t;
				c->tabcap = nc;
			}
			id = c->ntab++;
			c->tab[id].phys = tr_get32(p);
			c->tab[id].len = (uint8_t)len;
			c->tab[id].off = (uint32_t)(p + 5 - base);
			p += 5 + len;
		} else {
			unsigned d = tag & TREC_INSN_D;
			uint32_t delta;
			if (d < 31) {
				delta = (uint32_t)((int)d - 15);
			} else if (!get_zigzag(&p, end, &delta)) {
				return bad_rec(c, off, "INSN with a bad delta");
			}
			id = c->prev_id + delta;
			if (id >= c->ntab)
				return bad_rec(c, off, "INSN with an undefined instruction number");
		}
		const struct tr_ent *e = &c->tab[id];
		r->u.insn.icount = c->counter;
		r->u.insn.lin = lin;
		r->u.insn.phys = e->phys;
		r->u.insn.id = id;
		r->u.insn.cpl = c->cpl;
		r->u.insn.mode = c->mode;
		r->u.insn.len = e->len;
		r->u.insn.bytes = base + e->off;
		c->counter++;
		c->prev_id = id;
		c->prev_lin = lin;
		c->prev_len = e->len;
		c->have_prev = true;
		c->pos = (size_t)(p - base);
		return TR_OK;
	}
	if (tag & TREC_MEM) {
		uint32_t d;
		r->kind = TREC_MEM;
		if (tag & 0x0c)
			return bad_rec(c, off, "MEM with reserved bits set");
		unsigned size = (tag & 3) + 1;
		if (!get_zigzag(&p, end, &d))
			return bad_rec(c, off, "MEM with a bad address difference");
		uint32_t lin = c->mem_lin + d;
		uint32_t phys;
		if (tag & TREC_MEM_SAME) {
			if (!c->have_map)
				return bad_rec(c, off, "SAMEMAP in the first MEM of the chunk");
			phys = lin + c->mem_map;
		} else {
			if (end - p < 4)
				return bad_rec(c, off, "MEM cut short");
			phys = tr_get32(p);
			p += 4;
		}
		if ((size_t)(end - p) < size)
			return bad_rec(c, off, "MEM cut short");
		uint32_t v = 0;
		for (unsigned i = 0; i < size; i++)
			v |= (uint32_t)p[i] << (8 * i);
		p += size;
		r->u.mem.lin = lin;
		r->u.mem.phys = phys;
		r->u.mem.value = v;
		r->u.mem.size = (uint8_t)size;
		r->u.mem.write = tag & TREC_MEM_W;
		r->u.mem.samemap = tag & TREC_MEM_SAME;
		c->mem_lin = lin;
		c->mem_map = phys - lin;
		c->have_map = true;
		c->pos = (size_t)(p - base);
		return TR_OK;
	}
	r->kind = tag;
	switch (tag) {
	case TREC_SYNC: {
		uint64_t v;
		if (!get_varint(&p, end, &v))
			return bad_rec(c, off, "bad SYNC");
		r->u.sync.icount = v;
		c->counter = v;
		break;
	}
	case TREC_MODE:
		if (end - p < 2)
			return bad_rec(c, off, "MODE cut short");
		if (p[0] > 3)
			return bad_rec(c, off, "MODE with CPL above 3");
		r->u.mode.cpl = c->cpl = p[0];
		r->u.mode.mode = c->mode = p[1];
		p += 2;
		break;
	case TREC_CR:
		if (end - p < 5)
			return bad_rec(c, off, "CR cut short");
		if (p[0] != 0 && p[0] != 3 && p[0] != 4)
			return bad_rec(c, off, "CR of a register other than CR0, CR3, CR4");
		r->u.cr.n = p[0];
		r->u.cr.value = c->cr[p[0]] = tr_get32(p + 1);
		p += 5;
		break;
	case TREC_REGS: {
		if (end - p < 2)
			return bad_rec(c, off, "REGS cut short");
		unsigned mask = tr_get16(p);
		p += 2;
		if (mask & 0x8000)
			return bad_rec(c, off, "REGS with mask bit 15 set");
		size_t need = 4 * (size_t)__builtin_popcount(mask & 0x1ff) +
			      14 * (size_t)__builtin_popcount(mask & 0x7e00);
		if ((size_t)(end - p) < need)
			return bad_rec(c, off, "REGS cut short");
		r->u.regs.mask = (uint16_t)mask;
		for (int i = 0; i < 9; i++)
			if (mask & (1u << i)) {
				r->u.regs.v.r[i] = c->regs.r[i] = tr_get32(p);
				p += 4;
			}
		for (int i = 0; i < 6; i++)
			if (mask & (1u << (TREGS_SEG0 + i))) {
				struct tr_seg *s = &c->regs.seg[i];
				s->sel = tr_get16(p);
				s->base = tr_get32(p + 2);
				s->limit = tr_get32(p + 6);
				s->attr = tr_get32(p + 10);
				r->u.regs.v.seg[i] = *s;
				p += 14;
			}
		break;
	}
	case TREC_INTR:
		if (end - p < 12)
			return bad_rec(c, off, "INTR cut short");
		if (p[0] > TINTR_SOFT)
			return bad_rec(c, off, "INTR of an unknown kind");
		r->u.intr.kind = p[0];
		r->u.intr.vector = p[1];
		r->u.intr.error = tr_get32(p + 2);
		r->u.intr.cs = tr_get16(p + 6);
		r->u.intr.eip = tr_get32(p + 8);
		p += 12;
		break;
	case TREC_IO: {
		if (end - p < 3)
			return bad_rec(c, off, "IO cut short");
		unsigned size = p[0] & 7;
		if (size != 1 && size != 2 && size != 4)
			return bad_rec(c, off, "IO with a bad size");
		if ((size_t)(end - p) < 3 + size)
			return bad_rec(c, off, "IO cut short");
		r->u.io.out = p[0] & 0x80;
		r->u.io.size = (uint8_t)size;
		r->u.io.port = tr_get16(p + 1);
		uint32_t v = 0;
		for (unsigned i = 0; i < size; i++)
			v |= (uint32_t)p[3 + i] << (8 * i);
		r->u.io.value = v;
		p += 3 + size;
		break;
	}
	case TREC_STATE: {
		const struct tr_file *f = c->f;
		if ((size_t)(end - p) < f->state_size)
			return bad_rec(c, off, "STATE cut short");
		if (p[TST_CPL] > 3)
			return bad_rec(c, off, "STATE with CPL above 3");
		r->u.state.block = p;
		r->u.state.icount = c->counter = tr_get64(p + TST_ICOUNT);
		c->cpl = p[TST_CPL];
		c->mode = p[TST_MODE];
		for (int i = 0; i < 8; i++)
			c->regs.r[i] = tr_get32(p + TST_GPR + 4 * i);
		c->regs.r[8] = tr_get32(p + TST_EFLAGS);
		for (int i = 0; i < 6; i++)
			take_seg(&c->regs.seg[i], p + TST_SEG + 16 * i);
		c->cr[0] = tr_get32(p + TST_CR);
		c->cr[2] = tr_get32(p + TST_CR + 4);
		c->cr[3] = tr_get32(p + TST_CR + 8);
		c->cr[4] = tr_get32(p + TST_CR + 12);
		c->state = p;
		p += f->state_size;
		break;
	}
	case TREC_EVENT:
		if (end - p < 2)
			return bad_rec(c, off, "EVENT cut short");
		if (p[0] < TEV_START || p[0] > TEV_RESET || p[1] > TEVR_RESET)
			return bad_rec(c, off, "EVENT of an unknown kind or reason");
		r->u.event.kind = p[0];
		r->u.event.reason = p[1];
		p += 2;
		break;
	default: {
		char m[40];
		snprintf(m, sizeof(m), "reserved record tag 0x%02x", tag);
		return bad_rec(c, off, m);
	}
	}
	c->pos = (size_t)(p - base);
	return TR_OK;
}

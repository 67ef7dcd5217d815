/*
 * The trace file reader (docs/trace-format.md): the file header, chunks found
 * by hopping over their headers, and the records of one inflated chunk.
 *
 * Usage:
 *	struct tr_file f;
 *	struct tr_chunk c;
 *	struct tr_chunk_info ci;
 *	struct tr_rec r;
 *	if (tr_open(&f, path) != TR_OK) ... f.err
 *	tr_chunk_init(&c);
 *	while ((st = tr_chunk_next(&f, &ci)) == TR_OK) {
 *		if ((st = tr_chunk_load(&f, &ci, &c)) != TR_OK) break;
 *		while (tr_next(&c, &r) == TR_OK) ... r.kind
 *	}
 *	st is TR_END at the end of a whole file, else TR_TRUNC or TR_CORRUPT
 *	with f.err saying where.
 *
 * A loaded chunk has been decoded once already (every record checked, the INSN
 * count and first icount compared with its header), so tr_next cannot fail on
 * it: a damaged chunk is refused before any of its records reach the caller,
 * as the spec asks ("return everything before it").  Nothing is allocated per
 * record: buffers grow and are reused from chunk to chunk.  The file is
 * untrusted: every size, length and table id is checked.
 */
#ifndef SHADE86_TRACEREAD_H
#define SHADE86_TRACEREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../cpu/trace_format.h"

/* Status codes; the non-zero errors are shade86-trace's exit statuses */
enum {
	TR_OK = 0,
	TR_END = 1,          /* no more chunks / records */
	TR_BADFILE = 3,      /* cannot open, not a trace, unsupported major */
	TR_TRUNC = 4,        /* a chunk header or payload extends past EOF */
	TR_CORRUPT = 5,      /* bad CRC, inflate failure, unparseable record */
};

struct tr_file {
	int fd;
	const char *path;
	uint64_t size;               /* file bytes */
	/* header */
	unsigned major, minor;
	uint32_t header_size, state_size, what;
	uint64_t ram_size;
	uint32_t cpuid_sig;
	char vendor[13], model[49], machine[17];
	uint8_t *state0;             /* the initial CPU state block */
	/* chunk iteration */
	uint64_t next_off;           /* offset of the next chunk header */
	unsigned next_index;
	uint64_t good_last;          /* icount of the last instruction of the
				      * whole chunks seen (exact for loaded
				      * chunks; from the headers for skipped ones) */
	bool have_good;
	/* buffers and the inflater */
	uint8_t *zbuf;
	size_t zcap;
	void *zs;                    /* z_stream */
	char err[320];               /* a one-line message (no file name) */
};

struct tr_chunk_info {
	unsigned index;
	uint64_t offset;             /* of its header */
	uint32_t csize, usize, crc;
	uint64_t icount;
	uint32_t ninsn;
	uint64_t next;               /* offset of the following chunk */
};

struct tr_seg { uint16_t sel, valid; uint32_t base, limit, attr; };

struct tr_regs {
	uint32_t r[9];               /* EAX..EDI, EFLAGS */
	struct tr_seg seg[6];        /* ES CS SS DS FS GS */
};

/* An instruction table entry: the bytes stay in the payload */
struct tr_ent {
	uint32_t phys;
	uint32_t off;                /* of the bytes in the payload */
	uint8_t len;
};

struct tr_rec {
	uint8_t kind;                /* TREC_INSN, TREC_MEM or the tag of the others */
	uint32_t off;                /* the record's offset in the payload */
	union {
		struct {
			uint64_t icount;
			uint32_t lin, phys, id;
			uint8_t cpl, mode, len;
			bool jump, new_;
			const uint8_t *bytes;
		} insn;
		struct {
			uint32_t lin, phys, value;
			uint8_t size;
			bool write, samemap;
		} mem;
		struct { uint16_t port; uint8_t size; bool out; uint32_t value; } io;
		struct { uint8_t kind, vector; uint32_t error; uint16_t cs; uint32_t eip; } intr;
		struct { uint8_t n; uint32_t value; } cr;
		struct { uint16_t mask; struct tr_regs v; } regs;   /* v: only the masked ones */
		struct { uint64_t icount; } sync;
		struct { uint8_t cpl, mode; } mode;
		struct { uint8_t kind, reason; } event;
		struct { const uint8_t *block; uint64_t icount; } state;
	} u;
};

struct tr_chunk {
	struct tr_file *f;
	struct tr_chunk_info info;
	uint8_t *buf;                /* the inflated payload */
	size_t len, cap;
	size_t pos;
	/* decoder state (spec: "The decoder keeps this state per chunk") */
	uint64_t counter;
	uint8_t cpl, mode;
	struct tr_ent *tab;
	uint32_t ntab, tabcap;
	uint32_t prev_id, prev_lin, prev_len;
	bool have_prev;
	uint32_t mem_lin, mem_map;
	bool have_map;
	struct tr_regs regs;         /* STATE, then REGS */
	uint32_t cr[5];              /* CR0-CR4 from STATE, then CR records */
	const uint8_t *state;        /* the last STATE block */
	uint64_t end_counter;        /* counter at the chunk's end (after load) */
	uint64_t last_icount;        /* icount of its last INSN (valid if ninsn) */
};

int tr_open(struct tr_file *f, const char *path);
void tr_close(struct tr_file *f);

/* The chunk header at off (index: its number, for messages).  TR_END when off
 * is the end of the file. */
int tr_chunk_at(struct tr_file *f, uint64_t off, unsigned index, struct tr_chunk_info *ci);
/* The next chunk after the one the previous call returned (the first at first) */
int tr_chunk_next(struct tr_file *f, struct tr_chunk_info *ci);

void tr_chunk_init(struct tr_chunk *c);
void tr_chunk_free(struct tr_chunk *c);
/* Read, check and inflate a chunk, decode it once to check every record,
 * then rewind it for tr_next. */
int tr_chunk_load(struct tr_file *f, const struct tr_chunk_info *ci, struct tr_chunk *c);
/* Start the chunk's records again */
void tr_chunk_rewind(struct tr_chunk *c);
/* The next record: TR_OK, TR_END, or TR_CORRUPT (only on a chunk that was
 * not checked by tr_chunk_load). */
int tr_next(struct tr_chunk *c, struct tr_rec *r);

/* Little-endian helpers for state blocks */
static inline uint16_t tr_get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t tr_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t tr_get64(const uint8_t *p) { return tr_get32(p) | (uint64_t)tr_get32(p + 4) << 32; }

#endif

/*
 * Instruction tracing: the record encoder (docs/trace-format.md) and the
 * recorder the interpreter calls while it runs.
 *
 * Two layers:
 *  - struct tenc builds one chunk's uncompressed payload from plain events
 *    (an instruction at lin/phys with its bytes, a memory access, ...).  It
 *    knows nothing of struct cpu, so readers can re-encode (shade86-trace
 *    slice) and tests can produce every record kind directly.
 *  - struct trace is the recorder: --trace-what, filters and start/stop
 *    triggers, fed by hooks in cpu/exec.c (instructions, interrupts), cpu/access.c
 *    (memory), the IN/OUT handlers and the control-register writes.  When a
 *    chunk is full it goes to a sink (frontends/tracefile.c compresses and
 *    writes it on another thread) and the sink hands back an empty buffer.
 *
 * Cost when tracing is off: cpu->trace is NULL and every hook is one
 * predictable branch.  The translator will call the same hooks (or emit the
 * same records) from generated code.
 */
#ifndef SHADE86_TRACE_H
#define SHADE86_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_format.h"

struct cpu;
struct insn;

/* ---------------------------------------------------------------- encoder */

#define TRACE_CHUNK_TARGET (1u << 20)    /* a chunk is handed on when it reaches this */

struct tenc {
	uint8_t *buf;
	size_t len, cap;          /* grows (realloc) if one instruction overflows it */
	uint32_t ninsn;           /* INSN records in this chunk */
	uint64_t first_icount;
	uint32_t next_id;         /* instruction table entries defined so far */
	uint32_t prev_id, prev_lin, prev_len;
	bool have_prev;
	uint32_t mem_lin, mem_map;
	bool have_map;
	uint64_t counter;         /* the reader's instruction counter */
	uint8_t cpl, mode;        /* the reader's current CPL and mode */
	uint32_t regs[9];         /* the reader's registers: GPRs, EFLAGS */
	/* laid out as struct seg (cpu.h), so the recorder compares them in bulk */
	struct tseg { uint16_t sel, valid; uint32_t base, limit, attr; } segs[6];
	bool failed;              /* out of memory */
};

/* The register values REGS records describe */
struct tregs {
	uint32_t r[9];            /* EAX..EDI, EFLAGS */
	struct tseg seg[6];       /* ES CS SS DS FS GS */
};

/* Start a chunk in buf (cap bytes, malloc'd; tenc may realloc it) with the
 * STATE record st (TRACE_STATE_SIZE bytes). */
void tenc_begin(struct tenc *e, uint8_t *buf, size_t cap, const uint8_t *st);
/* An instruction.  id >= 0: an entry this chunk defined before; id < 0: define
 * it (phys, len, bytes).  len is needed either way: the next instruction's
 * sequential address is lin + len.  Returns its id.  Emits SYNC/MODE first
 * as needed. */
uint32_t tenc_insn(struct tenc *e, uint64_t icount, uint32_t lin, uint8_t cpl, uint8_t mode,
		   int64_t id, uint32_t phys, unsigned len, const uint8_t *bytes);
void tenc_mem(struct tenc *e, uint32_t lin, uint32_t phys, unsigned size, uint32_t value, bool write);
void tenc_io(struct tenc *e, uint16_t port, unsigned size, uint32_t value, bool out);
void tenc_intr(struct tenc *e, unsigned kind, unsigned vector, uint32_t error, uint16_t cs, uint32_t eip);
void tenc_cr(struct tenc *e, unsigned n, uint32_t value);
/* REGS with the registers of r that differ from the encoder's (if any) */
void tenc_regs(struct tenc *e, const struct tregs *r);
/* The same from the CPU's own arrays (gpr[8], segs[6] as struct seg) */
void tenc_regs_raw(struct tenc *e, const uint32_t *gpr, uint32_t eflags, const struct tseg *segs);
/* A STATE record in the middle of a chunk (tracing restarted) */
void tenc_state(struct tenc *e, const uint8_t *st);
void tenc_event(struct tenc *e, unsigned kind, unsigned reason);

/* State block helpers */
void trace_state_from_cpu(const struct cpu *cpu, uint8_t st[TRACE_STATE_SIZE]);
/* (trace_mode_of, the MODE bits of a CPU, is in interp.h) */

/* Encoding primitives, also used by the file writer for headers */
static inline void tput16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void tput32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void tput64(uint8_t *p, uint64_t v) { tput32(p, (uint32_t)v); tput32(p + 4, (uint32_t)(v >> 32)); }

/* --------------------------------------------------------------- recorder */

/* Where full chunks go.  chunk() takes buf (len bytes used, cap allocated;
 * the sink frees it) and returns an empty buffer of at least
 * TRACE_CHUNK_TARGET + 64 KiB, or NULL on failure (the recorder stops and
 * cpu->trace_failed is set; the sink says why). */
struct trace_sink {
	uint8_t *(*chunk)(void *opaque, uint8_t *buf, size_t len, size_t cap,
			  uint64_t first_icount, uint32_t ninsn, size_t *newcap);
	void *opaque;
};

struct trace_config {
	unsigned what;            /* TRACE_W_* (INSN implied) */
	uint32_t range_lo, range_hi;   /* linear EIP filter, inclusive; lo > hi: none */
	int cpl;                  /* -1: any */
	int64_t cr3;              /* -1: any; else compared on bits 31:12 */
	uint64_t start_icount;    /* start when icount reaches it (0: at once) */
	uint64_t stop_icount;     /* stop when icount reaches it (0: never) */
	bool start_magic;         /* off until xchg bx,bx; each one toggles */
	int port;                 /* -1: none; OUT to it: non-zero value starts, 0 stops */
};

struct trace {
	struct trace_config cfg;
	struct trace_sink sink;
	struct tenc enc;
	bool on;                  /* triggered on */
	bool started_once;        /* the --trace-start count has fired */
	bool failed;              /* the sink failed: nothing more is recorded */
	uint8_t start_pending;    /* a port write asked to start: the EVENT reason */
	uint8_t stop_after;       /* stop after this instruction: the EVENT reason */
	unsigned steady;          /* on with no filter or trigger to check: what every
				   * instruction records (else 0: trace_begin decides) */
	uint32_t chunk_gen;       /* code ids cached in the decode cache are for this chunk */
	uint64_t insns;           /* INSN records written */
};

/* What the current instruction records (cpu->trace_rec): TRACE_W_* bits,
 * 0 while tracing is off or the instruction is filtered out. */

/* Attach a recorder to cpu (cpu->trace); buf/cap: the first chunk buffer
 * (malloc'd; the recorder hands it to the sink or frees it).  Returns 0, or
 * -1 if memory is short. */
int trace_attach(struct cpu *cpu, struct trace *t, const struct trace_config *cfg,
		 const struct trace_sink *sink, uint8_t *buf, size_t cap);
/* Hand the last chunk to the sink and detach.  Returns -1 if the sink failed. */
int trace_finish(struct cpu *cpu);

/* ---- hooks (called only when cpu->trace is set) ---- */
/* Before an instruction or interrupt: triggers and filters; sets cpu->trace_rec. */
void trace_begin(struct cpu *cpu);
/* The instruction about to run.  cached_id/gen: the decode cache's slot
 * (NULL if the instruction was not cached); win/winlen: the bytes at EIP
 * that were readable directly; fetched: the bytes the decoder read past them. */
void trace_insn(struct cpu *cpu, const struct insn *in, uint32_t *cached_id, uint32_t *cached_gen,
		const uint8_t *win, unsigned winlen);
/* After an instruction completed (registers). */
void trace_after(struct cpu *cpu);
void trace_mem(struct cpu *cpu, uint32_t lin, const uint8_t *host, uint32_t pa, unsigned size,
	       uint32_t value, bool write);
void trace_io(struct cpu *cpu, uint16_t port, unsigned size, uint32_t value, bool out);
void trace_intr(struct cpu *cpu, unsigned kind, int vector, int error, uint32_t eip);
void trace_cr(struct cpu *cpu, unsigned n, uint32_t value);
void trace_reset(struct cpu *cpu);

#endif

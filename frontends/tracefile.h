/*
 * The trace file writer: the file header, then chunks handed over by the
 * recorder (cpu/trace.h), compressed with zlib and written by a thread of
 * its own so the emulation thread only fills buffers.  Format:
 * docs/trace-format.md.
 */
#ifndef SHADE86_TRACEFILE_H
#define SHADE86_TRACEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "../cpu/trace.h"

struct tracefile_info {
	unsigned what;            /* TRACE_W_* */
	uint64_t ram_size;
	uint32_t cpuid_sig;
	const char *vendor;       /* 12 characters */
	const char *model;
	const char *machine;      /* "pc", "test" */
};

struct tracefile;

/* Create path (replacing it), write the header with the CPU state block st,
 * start the compressor thread.  NULL with a one-line reason in err on failure. */
struct tracefile *tracefile_open(const char *path, const struct tracefile_info *info,
				 const uint8_t *st, char *err, size_t errlen);
/* The sink to give trace_attach (cpu/trace.h). */
struct trace_sink tracefile_sink(struct tracefile *tf);
/* The first empty chunk buffer (for users of struct tenc without a recorder). */
uint8_t *tracefile_buffer(struct tracefile *tf, size_t *cap);
/* Write out everything handed over, stop the thread, close.  Returns 0, or -1
 * with the first error (a full disk: what was written before stays a valid
 * trace) in err.  Frees tf either way. */
int tracefile_close(struct tracefile *tf, char *err, size_t errlen);
/* Bytes of whole chunks (and the header) written so far */
uint64_t tracefile_bytes(struct tracefile *tf);

#endif

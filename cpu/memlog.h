/*
 * The memory and device log that --check-lockstep runs a block under twice
 * (bt/lockstep.c): first translated, recording; then, after the recorded RAM
 * writes are undone and the CPU state is put back, interpreted, replaying.
 *
 *   RECORD  RAM writes are done and logged with the old bytes (to undo them,
 *           and to compare what was written); device accesses (port I/O,
 *           MMIO, ROM) and clock reads (RDTSC) are done and logged with
 *           their values
 *   REPLAY  RAM writes are done and logged (to compare); device reads return
 *           the recorded values and device writes are compared with the
 *           recorded ones instead of being done, so a device sees each
 *           access once
 *
 * Every CPU write to guest memory goes through lin_write (cpu/access.c); while
 * a log is active lin_host_ptr returns NULL, so the REP MOVS/STOS fast path
 * takes the element path in both runs.
 */
#ifndef SHADE86_MEMLOG_H
#define SHADE86_MEMLOG_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

enum memlog_mode { ML_RECORD, ML_REPLAY };
enum { MLIO_IN, MLIO_OUT, MLIO_MMIO_READ, MLIO_MMIO_WRITE, MLIO_CLOCK };

struct ml_write {
	uint32_t pa;
	uint8_t size;
	bool val_later;           /* logged before the store: val is read back after the run */
	uint32_t old, val;
};

struct ml_io {
	uint8_t kind, size;
	uint32_t addr, val;
};

struct memlog {
	enum memlog_mode mode;
	struct ml_write *w;
	unsigned nw, capw;
	struct ml_io *io;
	unsigned nio, capio, pos;
	bool overflow;            /* more entries than the log holds: not comparable */
	bool diverged;            /* replay saw a device access the record run did not */
	char why[200];
};

#define MEMLOG_MAX 65536

void memlog_reset(struct memlog *ml, enum memlog_mode mode);
/* A RAM write of size bytes at pa (host pointer p) is about to be made;
 * val_later: the value is not known yet (translated code's inline stores). */
void memlog_ram_write(struct memlog *ml, uint32_t pa, const uint8_t *p, unsigned size, uint32_t val,
		      bool val_later);
/* Device accesses: in RECORD mode the caller does them and logs the value;
 * in REPLAY mode memlog_dev_read returns the recorded value and
 * memlog_dev_write only compares.  Returns true when the caller must do the
 * access itself (RECORD). */
bool memlog_dev_read(struct memlog *ml, int kind, uint32_t addr, unsigned size, uint32_t *val);
void memlog_dev_record_read(struct memlog *ml, int kind, uint32_t addr, unsigned size, uint32_t val);
bool memlog_dev_write(struct memlog *ml, int kind, uint32_t addr, unsigned size, uint32_t val);
/* Undo logged RAM writes (newest first). */
struct mem;
void memlog_undo(const struct ml_write *w, unsigned n, struct mem *mem);

#endif

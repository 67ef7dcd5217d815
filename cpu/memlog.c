/* The lockstep memory and device log (memlog.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memlog.h"
#include "../mmu/mem.h"

void memlog_reset(struct memlog *ml, enum memlog_mode mode)
{
	ml->mode = mode;
	ml->nw = 0;
	if (mode == ML_RECORD)
		ml->nio = 0;
	ml->pos = 0;
	ml->overflow = false;
	ml->diverged = false;
	ml->why[0] = 0;
}

static bool grow(void **v, unsigned *cap, unsigned need, size_t elem)
{
	if (need <= *cap)
		return true;
	if (need > MEMLOG_MAX)
		return false;
	unsigned c = *cap ? *cap * 2 : 256;
	void *n = realloc(*v, (size_t)c * elem);
	if (!n)
		return false;
	*v = n;
	*cap = c;
	return true;
}

void memlog_ram_write(struct memlog *ml, uint32_t pa, const uint8_t *p, unsigned size, uint32_t val,
		      bool val_later)
{
	if (!grow((void **)&ml->w, &ml->capw, ml->nw + 1, sizeof(*ml->w))) {
		ml->overflow = true;
		return;
	}
	uint32_t old = 0;
	for (unsigned i = 0; i < size; i++)
		old |= (uint32_t)p[i] << (8 * i);
	ml->w[ml->nw++] = (struct ml_write){ pa, (uint8_t)size, val_later, old, val };
}

static const char *kind_name(int k)
{
	static const char *const names[] = { "IN", "OUT", "MMIO read", "MMIO write", "clock read" };
	return k >= 0 && k <= MLIO_CLOCK ? names[k] : "?";
}

static struct ml_io *replay_next(struct memlog *ml, int kind, uint32_t addr, unsigned size)
{
	if (ml->pos >= ml->nio) {
		if (!ml->diverged)
			snprintf(ml->why, sizeof(ml->why), "the interpreter made a device access the translated code did not: %s %#x size %u",
				 kind_name(kind), addr, size);
		ml->diverged = true;
		return NULL;
	}
	struct ml_io *r = &ml->io[ml->pos++];
	if (r->kind != kind || r->addr != addr || r->size != size) {
		if (!ml->diverged)
			snprintf(ml->why, sizeof(ml->why), "device access %u: translated %s %#x size %u, interpreted %s %#x size %u",
				 ml->pos - 1, kind_name(r->kind), r->addr, r->size, kind_name(kind), addr, size);
		ml->diverged = true;
		return NULL;
	}
	return r;
}

bool memlog_dev_read(struct memlog *ml, int kind, uint32_t addr, unsigned size, uint32_t *val)
{
	if (ml->mode == ML_RECORD)
		return true;
	struct ml_io *r = replay_next(ml, kind, addr, size);
	*val = r ? r->val : 0xffffffffu;
	return false;
}

void memlog_dev_record_read(struct memlog *ml, int kind, uint32_t addr, unsigned size, uint32_t val)
{
	if (!grow((void **)&ml->io, &ml->capio, ml->nio + 1, sizeof(*ml->io))) {
		ml->overflow = true;
		return;
	}
	ml->io[ml->nio++] = (struct ml_io){ (uint8_t)kind, (uint8_t)size, addr, val };
}

bool memlog_dev_write(struct memlog *ml, int kind, uint32_t addr, unsigned size, uint32_t val)
{
	if (ml->mode == ML_RECORD) {
		memlog_dev_record_read(ml, kind, addr, size, val);
		return true;
	}
	struct ml_io *r = replay_next(ml, kind, addr, size);
	uint32_t m = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	if (r && (r->val & m) != (val & m) && !ml->diverged) {
		snprintf(ml->why, sizeof(ml->why), "%s %#x: translated wrote %#x, interpreted %#x",
			 kind_name(kind), addr, r->val & m, val & m);
		ml->diverged = true;
	}
	return false;
}

void memlog_undo(const struct ml_write *w, unsigned n, struct mem *mem)
{
	/* through the physical dispatch: page-table and code pages hear of it */
	for (unsigned i = n; i-- > 0;)
		mem_write_phys(mem, w[i].pa, w[i].old, w[i].size);
}

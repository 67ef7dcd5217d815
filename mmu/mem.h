/*
 * Guest physical memory and I/O dispatch.
 *
 * Guest RAM is one host allocation.  A byte map with one entry per 4 KiB physical
 * page says whether the page is plain RAM/unassigned (0) or belongs to a registered
 * region (ROM or MMIO, index + 1).  Port I/O goes through one registry of
 * (base, length, read, write, opaque) ranges; unclaimed ports read as all-ones.
 * Overlapping registrations are refused.
 */
#ifndef SHADE86_MEM_H
#define SHADE86_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t (*io_read_fn)(void *opaque, uint32_t addr, unsigned size);
typedef void (*io_write_fn)(void *opaque, uint32_t addr, uint32_t value, unsigned size);

enum region_kind { REGION_ROM = 1, REGION_MMIO };

struct region {
	enum region_kind kind;
	uint32_t base, len;
	const uint8_t *rom;          /* REGION_ROM: the bytes (not owned) */
	io_read_fn read;             /* REGION_MMIO */
	io_write_fn write;
	void *opaque;
	const char *name;
};

#define MEM_MAX_REGIONS 64
#define MEM_MAX_PORTS   128

struct mem {
	uint8_t *ram;
	uint32_t ram_size;
	uint8_t *page_region;        /* 1 << 20 entries: 0 or region index + 1 */
	struct region regions[MEM_MAX_REGIONS];
	unsigned nregions;
	struct region ports[MEM_MAX_PORTS];
	unsigned nports;
	uint16_t port_index[65536];  /* 0 or ports index + 1 */
	char error[160];             /* the last registration error */
};

/* ram_size in bytes (multiple of 4 KiB).  Returns -1 with mem->error set on failure. */
int mem_init(struct mem *mem, uint32_t ram_size);
void mem_free(struct mem *mem);

/* Regions: base and len multiples of 4 KiB.  Return -1 (and set mem->error naming
 * both regions) if the range overlaps an existing region. */
int mem_map_rom(struct mem *mem, uint32_t base, const uint8_t *data, uint32_t len, const char *name);
int mem_map_mmio(struct mem *mem, uint32_t base, uint32_t len, io_read_fn rd, io_write_fn wr,
		 void *opaque, const char *name);
int io_register(struct mem *mem, uint32_t base, uint32_t len, io_read_fn rd, io_write_fn wr,
		void *opaque, const char *name);

/* Host pointer to RAM at pa, or NULL if pa is not plain RAM. */
static inline uint8_t *mem_ram_ptr(struct mem *mem, uint32_t pa)
{
	if (pa < mem->ram_size && !mem->page_region[pa >> 12])
		return mem->ram + pa;
	return NULL;
}

/* Host pointer for reading the page at pa (RAM or ROM), or NULL (MMIO, unassigned). */
static inline const uint8_t *mem_read_ptr(struct mem *mem, uint32_t pa)
{
	unsigned ri = mem->page_region[pa >> 12];
	if (!ri)
		return pa < mem->ram_size ? mem->ram + pa : NULL;
	const struct region *r = &mem->regions[ri - 1];
	return r->kind == REGION_ROM ? r->rom + (pa - r->base) : NULL;
}

/* Physical accesses of 1, 2 or 4 bytes (within one page). */
uint32_t mem_read_phys(struct mem *mem, uint32_t pa, unsigned size);
void mem_write_phys(struct mem *mem, uint32_t pa, uint32_t value, unsigned size);

uint32_t io_in(struct mem *mem, uint16_t port, unsigned size);
void io_out(struct mem *mem, uint16_t port, uint32_t value, unsigned size);

#endif

/* Guest physical memory map and I/O port dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

int mem_init(struct mem *mem, uint32_t ram_size)
{
	memset(mem, 0, sizeof(*mem));
	ram_size = (ram_size + 0xfff) & ~0xfffu;
	mem->ram = calloc(1, ram_size ? ram_size : 4096);
	mem->page_region = calloc(1u << 20, 1);
	if (!mem->ram || !mem->page_region) {
		snprintf(mem->error, sizeof(mem->error), "cannot allocate %u MiB of guest RAM",
			 ram_size >> 20);
		mem_free(mem);
		return -1;
	}
	mem->ram_size = ram_size;
	return 0;
}

void mem_free(struct mem *mem)
{
	free(mem->ram);
	free(mem->page_region);
	mem->ram = NULL;
	mem->page_region = NULL;
}

static int add_region(struct mem *mem, const struct region *r)
{
	if ((r->base & 0xfff) || (r->len & 0xfff) || !r->len ||
	    (uint64_t)r->base + r->len > 0x100000000ull) {
		snprintf(mem->error, sizeof(mem->error), "%s: bad range %#x+%#x", r->name, r->base, r->len);
		return -1;
	}
	for (uint32_t p = r->base >> 12; p < (r->base >> 12) + (r->len >> 12); p++) {
		if (mem->page_region[p]) {
			const struct region *o = &mem->regions[mem->page_region[p] - 1];
			snprintf(mem->error, sizeof(mem->error), "%s at %#x overlaps %s at %#x",
				 r->name, r->base, o->name, o->base);
			return -1;
		}
	}
	if (mem->nregions >= MEM_MAX_REGIONS) {
		snprintf(mem->error, sizeof(mem->error), "%s: too many memory regions", r->name);
		return -1;
	}
	mem->regions[mem->nregions++] = *r;
	for (uint32_t p = r->base >> 12; p < (r->base >> 12) + (r->len >> 12); p++)
		mem->page_region[p] = (uint8_t)mem->nregions;
	return 0;
}

int mem_map_rom(struct mem *mem, uint32_t base, const uint8_t *data, uint32_t len, const char *name)
{
	struct region r = { .kind = REGION_ROM, .base = base, .len = len, .rom = data, .name = name };
	return add_region(mem, &r);
}

int mem_map_mmio(struct mem *mem, uint32_t base, uint32_t len, io_read_fn rd, io_write_fn wr,
		 void *opaque, const char *name)
{
	struct region r = { .kind = REGION_MMIO, .base = base, .len = len, .read = rd,
			    .write = wr, .opaque = opaque, .name = name };
	return add_region(mem, &r);
}

int io_register(struct mem *mem, uint32_t base, uint32_t len, io_read_fn rd, io_write_fn wr,
		void *opaque, const char *name)
{
	if (!len || base + len > 0x10000) {
		snprintf(mem->error, sizeof(mem->error), "%s: bad port range %#x+%#x", name, base, len);
		return -1;
	}
	for (uint32_t p = base; p < base + len; p++) {
		if (mem->port_index[p]) {
			const struct region *o = &mem->ports[mem->port_index[p] - 1];
			snprintf(mem->error, sizeof(mem->error), "%s at port %#x overlaps %s at port %#x",
				 name, base, o->name, o->base);
			return -1;
		}
	}
	if (mem->nports >= MEM_MAX_PORTS) {
		snprintf(mem->error, sizeof(mem->error), "%s: too many port ranges", name);
		return -1;
	}
	struct region *r = &mem->ports[mem->nports++];
	*r = (struct region){ .kind = REGION_MMIO, .base = base, .len = len, .read = rd,
			      .write = wr, .opaque = opaque, .name = name };
	for (uint32_t p = base; p < base + len; p++)
		mem->port_index[p] = (uint16_t)mem->nports;
	return 0;
}

static uint32_t ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

uint32_t mem_read_phys(struct mem *mem, uint32_t pa, unsigned size)
{
	unsigned ri = mem->page_region[pa >> 12];
	uint32_t v = 0;
	if (!ri) {
		if (pa < mem->ram_size) {
			for (unsigned i = 0; i < size; i++)
				v |= (uint32_t)mem->ram[pa + i] << (8 * i);
			return v;
		}
		return ones(size);
	}
	const struct region *r = &mem->regions[ri - 1];
	if (r->kind == REGION_ROM) {
		for (unsigned i = 0; i < size; i++)
			v |= (uint32_t)r->rom[pa - r->base + i] << (8 * i);
		return v;
	}
	return r->read ? r->read(r->opaque, pa - r->base, size) & ones(size) : ones(size);
}

void mem_write_phys(struct mem *mem, uint32_t pa, uint32_t value, unsigned size)
{
	unsigned ri = mem->page_region[pa >> 12];
	if (!ri) {
		if (pa < mem->ram_size)
			for (unsigned i = 0; i < size; i++)
				mem->ram[pa + i] = (uint8_t)(value >> (8 * i));
		return;
	}
	const struct region *r = &mem->regions[ri - 1];
	if (r->kind == REGION_MMIO && r->write)
		r->write(r->opaque, pa - r->base, value, size);
	/* writes to ROM are dropped */
}

uint32_t io_in(struct mem *mem, uint16_t port, unsigned size)
{
	unsigned pi = mem->port_index[port];
	if (!pi)
		return ones(size);
	const struct region *r = &mem->ports[pi - 1];
	return r->read ? r->read(r->opaque, port, size) & ones(size) : ones(size);
}

void io_out(struct mem *mem, uint16_t port, uint32_t value, unsigned size)
{
	unsigned pi = mem->port_index[port];
	if (!pi)
		return;
	const struct region *r = &mem->ports[pi - 1];
	if (r->write)
		r->write(r->opaque, port, value & ones(size), size);
}

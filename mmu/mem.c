/* Guest physical memory map, the i440FX PAM window and I/O port dispatch (see mem.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mem.h"

#define HOST_PAGE 4096u

/* RAM is mapped, not allocated: page aligned (see mem.h) and zero */
static size_t ram_bytes(uint32_t ram_size)
{
	return ram_size ? ram_size : HOST_PAGE;
}

int mem_init(struct mem *mem, uint32_t ram_size)
{
	memset(mem, 0, sizeof(*mem));
	mem->ram_fd = -1;
	if (ram_size > MEM_MAX_RAM) {
		snprintf(mem->error, sizeof(mem->error),
			 "guest RAM of %u MiB is more than the %u MiB maximum (the top 512 MiB "
			 "of the 4 GiB physical space hold MMIO and the BIOS)",
			 (ram_size + 0xfffffu) >> 20, MEM_MAX_RAM >> 20);
		return -1;
	}
	ram_size = (ram_size + 0xfff) & ~0xfffu;
	/* a memfd, so that the translator can map guest pages a second time
	 * (mmu/window.h); plain anonymous memory where there is none */
	mem->ram_fd = memfd_create("shade86-ram", MFD_CLOEXEC);
	if (mem->ram_fd >= 0 && ftruncate(mem->ram_fd, (off_t)ram_bytes(ram_size))) {
		close(mem->ram_fd);
		mem->ram_fd = -1;
	}
	void *ram = mem->ram_fd >= 0 ?
		mmap(NULL, ram_bytes(ram_size), PROT_READ | PROT_WRITE, MAP_SHARED, mem->ram_fd, 0) :
		mmap(NULL, ram_bytes(ram_size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mem->ram = ram == MAP_FAILED ? NULL : ram;
	mem->ram_size = ram_size;
	mem->page_region = calloc(1u << 20, 1);
	mem->page_flags = calloc((ram_size >> 12) + 1, 1);
	mem->pam_rom = aligned_alloc(HOST_PAGE, PAM_SIZE);
	if (!mem->ram || !mem->page_region || !mem->page_flags || !mem->pam_rom) {
		snprintf(mem->error, sizeof(mem->error), "cannot allocate %u MiB of guest RAM",
			 ram_size >> 20);
		mem_free(mem);
		return -1;
	}
	memset(mem->pam_rom, 0xff, PAM_SIZE);
	return 0;
}

void mem_free(struct mem *mem)
{
	if (mem->ram)
		munmap(mem->ram, ram_bytes(mem->ram_size));
	if (mem->ram_fd >= 0)
		close(mem->ram_fd);
	mem->ram_fd = -1;
	for (unsigned i = 0; i < mem->nregions; i++) {
		if (mem->regions[i].kind == REGION_ROM) {
			free((void *)mem->regions[i].rom);
			mem->regions[i].rom = NULL;
		}
	}
	free(mem->page_region);
	free(mem->page_flags);
	free(mem->pam_rom);
	mem->ram = NULL;
	mem->page_region = NULL;
	mem->page_flags = NULL;
	mem->pam_rom = NULL;
}

static void map_changed(struct mem *mem)
{
	if (mem->map_changed)
		mem->map_changed(mem->map_opaque);
}

static bool overlaps(uint32_t b1, uint32_t l1, uint32_t b2, uint32_t l2)
{
	return (uint64_t)b1 < (uint64_t)b2 + l2 && (uint64_t)b2 < (uint64_t)b1 + l1;
}

static int add_region(struct mem *mem, const struct region *r)
{
	if ((r->base & 0xfff) || (r->len & 0xfff) || !r->len ||
	    (uint64_t)r->base + r->len > 0x100000000ull) {
		snprintf(mem->error, sizeof(mem->error), "%s: bad range %#x+%#x", r->name, r->base, r->len);
		return -1;
	}
	if (r->kind == REGION_MMIO && (!r->widths || (r->widths & ~MEM_WALL))) {
		snprintf(mem->error, sizeof(mem->error), "%s: bad access widths %#x", r->name, r->widths);
		return -1;
	}
	unsigned slot = mem->nregions;   /* the first free slot (mem_unmap leaves holes) */
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct region *o = &mem->regions[i];
		if (!o->len) {
			if (slot == mem->nregions)
				slot = i;
			continue;
		}
		if (overlaps(r->base, r->len, o->base, o->len)) {
			snprintf(mem->error, sizeof(mem->error), "%s at %#x overlaps %s at %#x",
				 r->name, r->base, o->name, o->base);
			return -1;
		}
	}
	if (slot >= MEM_MAX_REGIONS) {
		snprintf(mem->error, sizeof(mem->error), "%s: too many memory regions", r->name);
		return -1;
	}
	mem->regions[slot] = *r;
	if (slot == mem->nregions)
		mem->nregions++;
	for (uint32_t p = r->base >> 12; p < (r->base >> 12) + (r->len >> 12); p++)
		mem->page_region[p] = (uint8_t)(slot + 1);
	map_changed(mem);
	return 0;
}

int mem_unmap(struct mem *mem, uint32_t base)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		struct region *r = &mem->regions[i];
		if (!r->len || r->base != base || r->kind == REGION_PAM)
			continue;
		for (uint32_t p = r->base >> 12; p < (r->base >> 12) + (r->len >> 12); p++)
			mem->page_region[p] = 0;
		if (r->kind == REGION_ROM)
			free((void *)r->rom);
		memset(r, 0, sizeof(*r));   /* a free slot: len 0 */
		while (mem->nregions && !mem->regions[mem->nregions - 1].len)
			mem->nregions--;
		map_changed(mem);
		return 0;
	}
	snprintf(mem->error, sizeof(mem->error), "no ROM or MMIO region starts at %#x", base);
	return -1;
}

int mem_map_rom(struct mem *mem, uint32_t base, const uint8_t *data, uint32_t len, const char *name)
{
	/* a page-aligned copy (mem.h); a bad length is refused by add_region */
	uint8_t *copy = NULL;
	if (len && !(len & 0xfff)) {
		copy = aligned_alloc(HOST_PAGE, len);
		if (!copy) {
			snprintf(mem->error, sizeof(mem->error), "%s: out of memory for the ROM image", name);
			return -1;
		}
		memcpy(copy, data, len);
	}
	struct region r = { .kind = REGION_ROM, .base = base, .len = len, .rom = copy, .name = name };
	if (add_region(mem, &r)) {
		free(copy);
		return -1;
	}
	return 0;
}

int mem_map_mmio(struct mem *mem, uint32_t base, uint32_t len, io_read_fn rd, io_write_fn wr,
		 void *opaque, const char *name, unsigned widths)
{
	struct region r = { .kind = REGION_MMIO, .base = base, .len = len, .read = rd,
			    .write = wr, .opaque = opaque, .name = name, .widths = widths };
	return add_region(mem, &r);
}

int io_register(struct mem *mem, uint32_t base, uint32_t len, io_read_fn rd, io_write_fn wr,
		void *opaque, const char *name, unsigned widths)
{
	if (!len || (uint64_t)base + len > 0x10000) {
		snprintf(mem->error, sizeof(mem->error), "%s: bad port range %#x+%#x", name, base, len);
		return -1;
	}
	if (!widths || (widths & ~MEM_WALL)) {
		snprintf(mem->error, sizeof(mem->error), "%s: bad access widths %#x", name, widths);
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
	unsigned slot = mem->nports;   /* the first free slot (io_unregister leaves holes) */
	for (unsigned i = 0; i < mem->nports; i++) {
		if (!mem->ports[i].len) {
			slot = i;
			break;
		}
	}
	if (slot >= MEM_MAX_PORTS) {
		snprintf(mem->error, sizeof(mem->error), "%s: too many port ranges", name);
		return -1;
	}
	mem->ports[slot] = (struct region){ .kind = REGION_MMIO, .base = base, .len = len, .read = rd,
					    .write = wr, .opaque = opaque, .name = name, .widths = widths };
	if (slot == mem->nports)
		mem->nports++;
	for (uint32_t p = base; p < base + len; p++)
		mem->port_index[p] = (uint16_t)(slot + 1);
	return 0;
}

int io_unregister(struct mem *mem, uint32_t base)
{
	for (unsigned i = 0; i < mem->nports; i++) {
		struct region *r = &mem->ports[i];
		if (!r->len || r->base != base)
			continue;
		for (uint32_t p = r->base; p < r->base + r->len; p++)
			mem->port_index[p] = 0;
		memset(r, 0, sizeof(*r));
		while (mem->nports && !mem->ports[mem->nports - 1].len)
			mem->nports--;
		return 0;
	}
	snprintf(mem->error, sizeof(mem->error), "no port range starts at %#x", base);
	return -1;
}

/* ---- the PAM window ---- */

/* page_region of the window's pages: plain RAM (0) for chunks with RE and WE */
static void pam_update_pages(struct mem *mem)
{
	for (unsigned c = 0; c < PAM_CHUNKS; c++) {
		uint8_t v = (mem->pam[c] & (PAM_RE | PAM_WE)) == (PAM_RE | PAM_WE) ? 0 :
			    (uint8_t)mem->pam_region;
		for (unsigned p = 0; p < PAM_CHUNK >> 12; p++)
			mem->page_region[((PAM_BASE + c * PAM_CHUNK) >> 12) + p] = v;
	}
}

static int pam_enable(struct mem *mem)
{
	if (mem->pam_region)
		return 0;
	struct region r = { .kind = REGION_PAM, .base = PAM_BASE, .len = PAM_SIZE,
			    .name = "the PAM window" };
	if (add_region(mem, &r))
		return -1;
	mem->pam_region = mem->nregions;
	memset(mem->pam, 0, sizeof(mem->pam));   /* reset: reads from ROM, writes dropped */
	pam_update_pages(mem);
	return 0;
}

int mem_map_pam_rom(struct mem *mem, uint32_t base, const uint8_t *rom, uint32_t len, const char *name)
{
	if (!len || base < PAM_BASE || (uint64_t)base + len > PAM_BASE + PAM_SIZE) {
		snprintf(mem->error, sizeof(mem->error), "%s: %#x+%#x is not inside the PAM window "
			 "%#x-%#x", name, base, len, PAM_BASE, PAM_BASE + PAM_SIZE - 1);
		return -1;
	}
	for (unsigned i = 0; i < mem->npam_roms; i++) {
		const struct region *o = &mem->pam_roms[i];
		if (overlaps(base, len, o->base, o->len)) {
			snprintf(mem->error, sizeof(mem->error), "%s at %#x overlaps %s at %#x",
				 name, base, o->name, o->base);
			return -1;
		}
	}
	if (mem->npam_roms >= PAM_MAX_ROMS) {
		snprintf(mem->error, sizeof(mem->error), "%s: too many ROMs in the PAM window", name);
		return -1;
	}
	if (pam_enable(mem))
		return -1;
	mem->pam_roms[mem->npam_roms++] = (struct region){ .kind = REGION_ROM, .base = base,
							   .len = len, .name = name };
	memcpy(mem->pam_rom + (base - PAM_BASE), rom, len);
	map_changed(mem);
	return 0;
}

void mem_set_pam(struct mem *mem, uint32_t base, uint32_t len, bool read_ram, bool write_ram)
{
	if (pam_enable(mem))
		return;
	uint8_t v = (uint8_t)((read_ram ? PAM_RE : 0) | (write_ram ? PAM_WE : 0));
	bool changed = false;
	for (unsigned c = 0; c < PAM_CHUNKS; c++) {
		if (overlaps(base, len, PAM_BASE + c * PAM_CHUNK, PAM_CHUNK) && mem->pam[c] != v) {
			mem->pam[c] = v;
			changed = true;
		}
	}
	if (changed) {
		pam_update_pages(mem);
		map_changed(mem);
	}
}

/* ---- physical accesses ---- */

static uint32_t ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* The size of the pieces an access of size bytes is split into for a device
 * handling widths, or 0 when the device gets it whole (it handles size, or no
 * smaller size: see mem.h). */
static unsigned split_width(unsigned widths, unsigned size)
{
	if (widths & size)
		return 0;
	for (unsigned w = size >> 1; w; w >>= 1)
		if (widths & w)
			return w;
	return 0;
}

static uint32_t load(const uint8_t *p, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void ram_write(struct mem *mem, uint32_t pa, uint32_t value, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		mem->ram[pa + i] = (uint8_t)(value >> (8 * i));
	uint8_t f = mem->page_flags[pa >> 12];
	if ((f & PGF_TRACED) && mem->flagged_write)
		mem->flagged_write(mem->flagged_opaque, pa, size, f);
	if ((f & PGF_CODE) && mem->code_write)
		mem->code_write(mem->code_opaque, pa, size);
}

/* A device access (addr: MMIO offset or port number), split per r->widths. */
static uint32_t dev_read(const struct region *r, uint32_t addr, unsigned size)
{
	if (!r->read)
		return ones(size);
	unsigned w = split_width(r->widths, size);
	if (!w)
		return r->read(r->opaque, addr, size) & ones(size);
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i += w)
		v |= (r->read(r->opaque, addr + i, w) & ones(w)) << (8 * i);
	return v;
}

static void dev_write(const struct region *r, uint32_t addr, uint32_t value, unsigned size)
{
	if (!r->write)
		return;
	unsigned w = split_width(r->widths, size);
	if (!w) {
		r->write(r->opaque, addr, value & ones(size), size);
		return;
	}
	for (unsigned i = 0; i < size; i += w)
		r->write(r->opaque, addr + i, (value >> (8 * i)) & ones(w), w);
}

uint32_t mem_read_phys(struct mem *mem, uint32_t pa, unsigned size)
{
	unsigned ri = mem->page_region[pa >> 12];
	if (!ri)
		return pa < mem->ram_size ? load(mem->ram + pa, size) : ones(size);
	const struct region *r = &mem->regions[ri - 1];
	switch (r->kind) {
	case REGION_ROM:
		return load(r->rom + (pa - r->base), size);
	case REGION_PAM:
		if (!(mem->pam[pam_chunk(pa)] & PAM_RE))
			return load(mem->pam_rom + (pa - PAM_BASE), size);
		return pa < mem->ram_size ? load(mem->ram + pa, size) : ones(size);
	case REGION_MMIO:
		break;
	}
	return dev_read(r, pa - r->base, size);
}

void mem_write_phys(struct mem *mem, uint32_t pa, uint32_t value, unsigned size)
{
	unsigned ri = mem->page_region[pa >> 12];
	if (!ri) {
		if (pa < mem->ram_size)
			ram_write(mem, pa, value, size);
		return;
	}
	const struct region *r = &mem->regions[ri - 1];
	switch (r->kind) {
	case REGION_ROM:
		return;   /* writes to ROM are dropped */
	case REGION_PAM:
		if ((mem->pam[pam_chunk(pa)] & PAM_WE) && pa < mem->ram_size)
			ram_write(mem, pa, value, size);
		return;
	case REGION_MMIO:
		break;
	}
	dev_write(r, pa - r->base, value, size);
}

/* ---- port I/O ---- */

/* The registration (index + 1) all bytes of the access belong to, 0 if all
 * are unclaimed, -1 if they are not all the same (or run past port 0xFFFF). */
static int port_owner(const struct mem *mem, uint16_t port, unsigned size)
{
	if ((uint32_t)port + size > 0x10000)
		return -1;
	unsigned pi = mem->port_index[port];
	for (unsigned i = 1; i < size; i++)
		if (mem->port_index[port + i] != pi)
			return -1;
	return (int)pi;
}

uint32_t io_in(struct mem *mem, uint16_t port, unsigned size)
{
	int owner = port_owner(mem, port, size);
	if (owner < 0) {
		/* split in halves; bytes past port 0xFFFF read as all-ones */
		unsigned h = size / 2;
		uint32_t lo = io_in(mem, port, h);
		uint32_t hi = (uint32_t)port + h > 0xffff ? ones(h) : io_in(mem, (uint16_t)(port + h), h);
		return lo | hi << (8 * h);
	}
	return owner ? dev_read(&mem->ports[owner - 1], port, size) : ones(size);
}

void io_out(struct mem *mem, uint16_t port, uint32_t value, unsigned size)
{
	int owner = port_owner(mem, port, size);
	if (owner < 0) {
		unsigned h = size / 2;
		io_out(mem, port, value & ones(h), h);
		if ((uint32_t)port + h <= 0xffff)
			io_out(mem, (uint16_t)(port + h), (value >> (8 * h)) & ones(h), h);
		return;
	}
	if (owner)
		dev_write(&mem->ports[owner - 1], port, value, size);
}

/*
 * Guest physical memory and I/O dispatch.
 *
 * Guest RAM is one host allocation covering physical 0 .. ram_size.  A byte map
 * with one entry per 4 KiB physical page says whether the page is plain RAM or
 * unassigned (0) or belongs to a registered region (ROM, MMIO or the PAM window:
 * index + 1).  Port I/O goes through one registry of (base, length, read, write,
 * opaque, widths) ranges; unclaimed ports read as all-ones and ignore writes.
 * Overlapping registrations are refused with a message naming both.
 *
 * Access widths.  A device registers the access sizes it handles itself as a bit
 * mask (MEM_W8 | MEM_W16 | MEM_W32 = 1 | 2 | 4).  Like ISA and PCI buses, the
 * dispatch splits an access of a size the device does not handle into accesses of
 * the largest smaller size it does handle, at ascending addresses (or ports),
 * each dispatched on its own; the results are assembled little-endian.  A dword
 * to a byte-only device is four byte accesses at addr, addr+1, addr+2, addr+3.
 * An access narrower than every size the device handles (a byte to a dword-only
 * device) is delivered unchanged: the device sees size 1 and must cope.  A port
 * access whose bytes do not all belong to one registration (or are not all
 * unclaimed) is split in halves, each dispatched on its own, so every byte
 * reaches the device (or nothing) that owns its port.  Read results are masked
 * to the access size.  Callbacks get, for MMIO, the offset from the region base
 * and, for ports, the port number itself.
 *
 * PAM (i440FX datasheet, PAM0-PAM6, config registers 0x59-0x5F).  The window
 * 0xC0000-0xFFFFF is controlled in 16 KiB chunks (the chipset programs
 * 0xC0000-0xEFFFF in 16 KiB pieces and 0xF0000-0xFFFFF as one 64 KiB piece):
 * with RE clear reads come from the ROM images placed in the window (0xFF where
 * none is), with RE set from the RAM underneath; with WE set writes go to that
 * RAM (honouring page_flags/flagged_write), with WE clear they are dropped.  The
 * reset state is RE = WE = 0.  The window exists from the first
 * mem_map_pam_rom/mem_set_pam call on; until then 0xC0000-0xFFFFF is ordinary
 * RAM and may hold ordinary regions (the test machine's ROM).  Chunks with RE
 * and WE both set are plain RAM (page_region 0, mem_ram_ptr works).
 *
 * Host pages are page aligned: RAM is mapped with mmap, the PAM ROM image and
 * the copies mem_map_rom makes of ROM images are allocated page aligned, so a
 * host pointer mem_ram_ptr or mem_read_ptr returns for a page-aligned pa is
 * page aligned.  The shadow MMU keeps tag bits in the low bits of its entries
 * (mmu/shadow.h) and relies on this.
 */
#ifndef SHADE86_MEM_H
#define SHADE86_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t (*io_read_fn)(void *opaque, uint32_t addr, unsigned size);
typedef void (*io_write_fn)(void *opaque, uint32_t addr, uint32_t value, unsigned size);

/* access widths a device handles (the widths argument of the registrations) */
#define MEM_W8  1u
#define MEM_W16 2u
#define MEM_W32 4u
#define MEM_WALL (MEM_W8 | MEM_W16 | MEM_W32)

enum region_kind { REGION_ROM = 1, REGION_MMIO, REGION_PAM };

struct region {
	enum region_kind kind;
	uint32_t base, len;
	const uint8_t *rom;          /* REGION_ROM: a page-aligned copy of the image (owned) */
	io_read_fn read;             /* REGION_MMIO and ports */
	io_write_fn write;
	void *opaque;
	const char *name;
	unsigned widths;             /* MEM_W* the device handles itself */
};

#define MEM_MAX_REGIONS 64
#define MEM_MAX_PORTS   128
#define MEM_MAX_RAM     (3584u << 20)   /* 3.5 GiB: the top 512 MiB are for MMIO and the BIOS */

#define PAM_BASE     0xc0000u
#define PAM_SIZE     0x40000u
#define PAM_CHUNK    0x4000u
#define PAM_CHUNKS   (PAM_SIZE / PAM_CHUNK)
#define PAM_RE       0x01u           /* reads from RAM */
#define PAM_WE       0x02u           /* writes to RAM */
#define PAM_MAX_ROMS 16

/* Per RAM page flags (mem->page_flags).  A write that reaches a flagged page
 * through mem_write_phys is reported after it is done: PGF_TRACED pages to
 * mem->flagged_write (the shadow MMU), PGF_CODE pages to mem->code_write (the
 * owner of translated code).  Neither kind of page ever gets a fast shadow
 * write entry (only slow ones, which lead here), so every guest write to them
 * comes this way. */
#define PGF_TRACED 0x01u   /* holds a guest page directory or page table (shadow MMU) */
#define PGF_CODE   0x02u   /* holds translated code (translator) */

struct mem {
	uint8_t *ram;
	uint32_t ram_size;
	int ram_fd;                  /* the memfd behind ram, or -1 (anonymous memory) */
	uint8_t *page_region;        /* 1 << 20 entries: 0 or region index + 1 */
	struct region regions[MEM_MAX_REGIONS];
	unsigned nregions;           /* slots used; a removed region leaves a slot with len 0 */
	struct region ports[MEM_MAX_PORTS];
	unsigned nports;             /* likewise */
	uint16_t port_index[65536];  /* 0 or ports index + 1 */
	uint8_t *page_flags;         /* ram_size >> 12 entries of PGF_* */
	void (*flagged_write)(void *opaque, uint32_t pa, unsigned len, uint8_t flags);
	void (*code_write)(void *opaque, uint32_t pa, unsigned len);
	void *code_opaque;
	void *flagged_opaque;
	void (*map_changed)(void *opaque);   /* the physical map changed (PAM, regions) */
	void *map_opaque;
	/* PAM */
	unsigned pam_region;         /* 0 or the window's regions index + 1 */
	uint8_t pam[PAM_CHUNKS];     /* PAM_RE | PAM_WE per 16 KiB chunk */
	uint8_t *pam_rom;            /* PAM_SIZE bytes: the ROM images, 0xFF elsewhere */
	struct region pam_roms[PAM_MAX_ROMS];   /* placed images (for overlap messages) */
	unsigned npam_roms;
	char error[160];             /* the last registration error */
};

/* ram_size in bytes (rounded up to 4 KiB, at most MEM_MAX_RAM).  Returns -1 with
 * mem->error set on failure. */
int mem_init(struct mem *mem, uint32_t ram_size);
void mem_free(struct mem *mem);

/* Regions: base and len multiples of 4 KiB.  Return -1 (and set mem->error naming
 * both regions) if the range overlaps an existing region or the PAM window.
 * A ROM image is copied (freed by mem_unmap or mem_free).  widths: MEM_W*
 * bits, see above. */
int mem_map_rom(struct mem *mem, uint32_t base, const uint8_t *data, uint32_t len, const char *name);
int mem_map_mmio(struct mem *mem, uint32_t base, uint32_t len, io_read_fn rd, io_write_fn wr,
		 void *opaque, const char *name, unsigned widths);
int io_register(struct mem *mem, uint32_t base, uint32_t len, io_read_fn rd, io_write_fn wr,
		void *opaque, const char *name, unsigned widths);

/* Remove the ROM or MMIO region (mem_unmap; calls mem->map_changed) or the port
 * range (io_unregister) registered at exactly base, so a device can move (PCI
 * BARs).  The pages or ports become unassigned again: RAM below ram_size, else
 * all-ones.  The PAM window cannot be removed.  Return -1 (mem->error set) if
 * nothing was registered at base. */
int mem_unmap(struct mem *mem, uint32_t base);
int io_unregister(struct mem *mem, uint32_t base);

/* Place a ROM image (copied) at base inside the PAM window (any base and length
 * within 0xC0000-0xFFFFF): the BIOS at 0xE0000/0xF0000, option ROMs from 0xC0000.
 * Creates the window if needed.  Returns -1 with mem->error set if the image
 * leaves the window, overlaps another image placed there, or the window cannot
 * be created (an ordinary region is in the way). */
int mem_map_pam_rom(struct mem *mem, uint32_t base, const uint8_t *rom, uint32_t len, const char *name);
/* Set RE (read_ram) and WE (write_ram) of every 16 KiB chunk of the window that
 * [base, base + len) touches.  Creates the window if needed (if it cannot be
 * created, nothing happens and mem->error says why).  Calls mem->map_changed
 * when a chunk's setting actually changes. */
void mem_set_pam(struct mem *mem, uint32_t base, uint32_t len, bool read_ram, bool write_ram);

/* The PAM chunk holding pa (pa inside the window; the mask keeps the index in
 * bounds where the compiler cannot see that) */
static inline unsigned pam_chunk(uint32_t pa)
{
	return ((pa - PAM_BASE) / PAM_CHUNK) & (PAM_CHUNKS - 1);
}

/* Host pointer to RAM at pa, or NULL if pa is not plain RAM (reads and writes
 * both go to RAM; PAM chunks only with RE and WE set). */
static inline uint8_t *mem_ram_ptr(struct mem *mem, uint32_t pa)
{
	if (pa < mem->ram_size && !mem->page_region[pa >> 12])
		return mem->ram + pa;
	return NULL;
}

/* Flags of the RAM page holding pa (0 outside RAM). */
static inline uint8_t mem_page_flags(const struct mem *mem, uint32_t pa)
{
	return pa < mem->ram_size ? mem->page_flags[pa >> 12] : 0;
}

/* Host pointer valid for reading the rest of the page at pa, as the guest sees
 * it now (RAM, ROM, or the PAM window per its RE bit), or NULL (MMIO, unassigned). */
static inline const uint8_t *mem_read_ptr(struct mem *mem, uint32_t pa)
{
	unsigned ri = mem->page_region[pa >> 12];
	if (!ri)
		return pa < mem->ram_size ? mem->ram + pa : NULL;
	const struct region *r = &mem->regions[ri - 1];
	if (r->kind == REGION_ROM)
		return r->rom + (pa - r->base);
	if (r->kind == REGION_PAM) {
		if (!(mem->pam[pam_chunk(pa)] & PAM_RE))
			return mem->pam_rom + (pa - PAM_BASE);
		return pa < mem->ram_size ? mem->ram + pa : NULL;
	}
	return NULL;
}

/* Physical accesses of 1, 2 or 4 bytes (within one page). */
uint32_t mem_read_phys(struct mem *mem, uint32_t pa, unsigned size);
void mem_write_phys(struct mem *mem, uint32_t pa, uint32_t value, unsigned size);

uint32_t io_in(struct mem *mem, uint16_t port, unsigned size);
void io_out(struct mem *mem, uint16_t port, uint32_t value, unsigned size);

#endif

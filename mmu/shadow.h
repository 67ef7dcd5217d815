/*
 * Shadow page tables (see ARCHITECTURE.md, "Memory").
 *
 * For each guest address space (the key: CR3's page directory base plus the
 * paging-mode bits CR0.PG, CR0.WP and CR4.PSE) a context holds one flat table
 * with an entry per 4 KiB guest linear page and access class:
 *
 *     entry = table[(lin >> 12) * SC_COUNT + class]
 *     entry == 0   miss: take the slow path (fill, MMIO, traced page, fault)
 *     entry != 0   host address of the byte at lin = lin + entry
 *
 * 0 can never be a valid addend: guest RAM and ROM live in host memory above
 * 4 GiB, so host - lin is never 0 (checked at init).  The table is reserved
 * with mmap and only the parts a guest touches get host pages.  Translated
 * code will do the same lookup inline: cpu->stab points at the current table.
 *
 * Entries are filled lazily by walking the guest page tables (mmu/walk.c):
 * the walk sets Accessed, and Dirty only when a write entry is installed.
 * Coherence is kept by tracing: every physical page the walks read a page
 * directory or page table from is flagged PGF_TRACED; no write entry ever
 * points at a traced page (nor at ROM, MMIO or PGF_CODE pages), so guest writes
 * to page tables take the slow path, which writes memory and then drops
 * exactly the shadow entries derived from the entries written (reverse maps
 * from each page-table page to the (context, directory index) pairs that use
 * it, and from each physical page to the write entries that point at it).
 *
 * MOV CR3 and changes of PG/WP/PSE switch to the context with the new key,
 * evicting the least recently used one when all SHADOW_CONTEXTS are in use;
 * INVLPG drops one page of the current context.
 */
#ifndef SHADE86_SHADOW_H
#define SHADE86_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "walk.h"

struct mem;

/* Access classes, numbered so that the class of an access is its PF_W and
 * PF_U bits (walk.h) shifted down by one. */
enum shadow_class { SC_SR, SC_SW, SC_UR, SC_UW, SC_COUNT };

#define SHADOW_CONTEXTS 8
#define SHADOW_PAGES (1u << 20)

/* the class of an access: user when CPL 3 and not an implicit supervisor access */
#define SHADOW_CLASS(user, write) (((user) ? 2u : 0u) | ((write) ? 1u : 0u))

_Static_assert(PF_W == 2 && PF_U == 4, "shadow_class() relies on the error code bits");

/* The class of an access given as PF_W | PF_U bits */
static inline unsigned shadow_class(unsigned acc)
{
	return (acc >> 1) & 3;
}

/* the paging-mode part of a context's key */
#define SHADOW_MODE_PG  1u
#define SHADOW_MODE_WP  2u
#define SHADOW_MODE_PSE 4u

struct shadow_ref;

struct shadow_ctx {
	intptr_t *table;          /* SHADOW_PAGES * SC_COUNT entries */
	uint32_t pdbr;            /* key: CR3 & 0xfffff000 (0 without paging) */
	uint32_t mode;            /* key: SHADOW_MODE_* bits (0 without paging) */
	bool used;
	uint32_t gen;             /* bumped on every flush: older references are stale */
	uint64_t last_use;
	uint32_t *filled;         /* linear page numbers with a filled entry (may repeat) */
	uint32_t nfilled, capfilled;
};

struct shadow_stats {
	uint64_t fills, switch_hits, switch_misses, evictions, traced_writes, dropped;
};

struct shadow {
	struct mem *mem;
	struct shadow_ctx ctx[SHADOW_CONTEXTS];
	struct shadow_ctx *cur;
	uint64_t clock;
	uint32_t npages;          /* RAM pages covered by the reverse maps */
	struct shadow_ref **pt_refs;   /* per RAM page used as a page table: (ctx, gen, pd index) */
	struct shadow_ref **wr_refs;   /* per RAM page: write entries pointing at it (ctx, gen, lin page) */
	bool check;               /* --check-mmu: validate every hit against a fresh walk */
	bool check_failed;
	char check_report[256];
	struct shadow_stats stats;
};

int shadow_init(struct shadow *sh, struct mem *mem);
void shadow_free(struct shadow *sh);

/* Select the context for the paging state pg (after any change of CR0, CR3 or
 * CR4) and return its table (the CPU keeps it in cpu->stab). */
intptr_t *shadow_switch(struct shadow *sh, const struct paging *pg);
/* Drop every entry of every context (A20 gate or memory map changes). */
void shadow_flush_all(struct shadow *sh);
/* INVLPG: drop the entries of one linear page in the current context. */
void shadow_invlpg(struct shadow *sh, uint32_t lin);

/* Slow path: walk for an access (PF_W | PF_U bits) in the current context and
 * install its entry.  On success (vector 0) *host is the host pointer of the
 * byte at lin, or NULL when the access must go through
 * mem_read_phys/mem_write_phys (MMIO, unassigned, or a write to a traced, ROM
 * or code page) at *pa.  On a page fault returns it and installs nothing; the
 * caller raises it. */
struct mmu_fault shadow_fill(struct shadow *sh, const struct paging *pg, uint32_t lin, unsigned acc,
			     uint8_t **host, uint32_t *pa);

/* A guest write reached a physical RAM page flagged PGF_TRACED (after the
 * memory itself was updated): drop the entries derived from it. */
void shadow_traced_write(struct shadow *sh, uint32_t pa, unsigned len);

/* Drop every write entry pointing at the physical page (it became traced or
 * holds translated code). */
void shadow_drop_writers(struct shadow *sh, uint32_t pa);

/* The translator marks a RAM page as holding code it translated (or not any
 * more): while marked, guest writes to it take the slow path and reach
 * mem->code_write. */
void shadow_set_code_page(struct shadow *sh, uint32_t pa, bool code);

/* --check-mmu: compare a hit (the host pointer it gave) with a fresh walk (no
 * A/D updates).  Returns true when they agree; on the first mismatch records
 * the report and sets check_failed, and returns false (the caller stops). */
bool shadow_check_hit(struct shadow *sh, const struct paging *pg, uint32_t lin, unsigned acc,
		      const uint8_t *host);

#endif

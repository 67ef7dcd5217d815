/*
 * Shadow page tables (see ARCHITECTURE.md, "Memory").
 *
 * For each guest address space (the key: CR3's page directory base plus the
 * paging-mode bits CR0.PG, CR0.WP and CR4.PSE) a context holds one flat table
 * with an entry per 4 KiB guest linear page and access class:
 *
 *     entry = table[(lin >> 12) * SC_COUNT + class]
 *
 * An entry is a page-aligned difference "page - linear page" with tag bits in
 * its low byte:
 *
 *      63                                12 11    8 7      2   1   0
 *     +------------------------------------+-------+--------+---+---+
 *     | (host or physical page) - lin page |  0000 | 000000 | S | M |
 *     +------------------------------------+-------+--------+---+---+
 *
 *     0            miss: nothing known, walk (SE_MISS)
 *     M            fast: host address of the byte at lin = lin + entry - 1
 *     M | S        slow: physical address = lin + (entry & ~SE_TAGS); the
 *                  access goes through mem_read_phys/mem_write_phys
 *
 * The fast-path test is one compare of the low byte with SE_MAPPED
 * (shadow_entry_fast; x86: cmp al, 1; jne slow) and the -1 folds into the
 * displacement of the load or store (mov ecx, [rax + rdx - 1]).  A miss has
 * to be 0 and carry no tag: the tables are reserved with mmap, only the parts
 * a guest touches get (zeroed) host pages, and a flush writes zeros; so it is
 * the valid fast entry that carries a bit, M, and "fast" is "low byte == M"
 * rather than "no tag bit set".  Bits 8-11 are always 0 (the page part is
 * page aligned), so the low byte decides.  Bits 2-7 are free for more tags.
 * Since M is set in every valid entry, any difference is representable, 0
 * included (host - lin could be 0 for a host page below 4 GiB).
 *
 * Slow entries are what makes special pages cheap: an MMIO page, a write to
 * ROM, to a traced page (one holding page tables) or to a code page (PGF_CODE)
 * must take the physical dispatch on every access, but it need not walk the
 * guest page tables again: the entry holds the physical page.  For the fast
 * part to be page aligned, every host page the memory map hands out (RAM, ROM
 * copies, the PAM ROM image) is page aligned (mem.h); a host pointer that is
 * not would get a slow entry.  Translated code will do the same lookup
 * inline: cpu->stab points at the current table.
 *
 * Entries are filled lazily by walking the guest page tables (mmu/walk.c):
 * the walk sets Accessed, and Dirty on a write (so a write entry, fast or
 * slow, exists only while D is set).  Coherence is kept by tracing: every
 * physical page the walks read a page directory or page table from is flagged
 * PGF_TRACED; no fast write entry ever points at a traced page (nor at ROM,
 * MMIO or PGF_CODE pages), so guest writes to page tables take the slow path,
 * which writes memory and then drops exactly the shadow entries derived from
 * the entries written (reverse maps from each page-table page to the (context,
 * directory index) pairs that use it, and from each physical RAM page to the
 * write entries, fast or slow, that point at it).  When a page becomes traced
 * or code, its fast write entries become slow ones; when it stops being
 * either, its slow write entries are dropped, to be filled fast again.  Slow
 * and fast entries are dropped alike by INVLPG, context flushes and memory
 * map changes (PAM, regions, the A20 gate).
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
#include "window.h"

struct mem;

/* Access classes, numbered so that the class of an access is its PF_W and
 * PF_U bits (walk.h) shifted down by one. */
enum shadow_class { SC_SR, SC_SW, SC_UR, SC_UW, SC_COUNT };

#define SHADOW_CONTEXTS 8
#define SHADOW_PAGES (1u << 20)

/* the class of an access: user when CPL 3 and not an implicit supervisor access */
#define SHADOW_CLASS(user, write) (((user) ? 2u : 0u) | ((write) ? 1u : 0u))

_Static_assert(PF_W == 2 && PF_U == 4, "shadow_class() relies on the error code bits");

/* Entry encoding (see above) */
#define SE_MISS   0
#define SE_MAPPED 0x01   /* M: the entry holds a translation */
#define SE_SLOW   0x02   /* S: through the physical dispatch, the page part is physical */
#define SE_TAGS   0xff   /* the tag byte */

/* Can the access use the host pointer (shadow_entry_host)?  False for a miss
 * and for a slow entry. */
static inline bool shadow_entry_fast(intptr_t e)
{
	return (uint8_t)e == SE_MAPPED;
}

static inline bool shadow_entry_slow(intptr_t e)
{
	return (e & (SE_MAPPED | SE_SLOW)) == (SE_MAPPED | SE_SLOW);
}

/* A fast entry: the host address of the byte at lin */
static inline uint8_t *shadow_entry_host(intptr_t e, uint32_t lin)
{
	return (uint8_t *)((uintptr_t)lin + (uintptr_t)e - SE_MAPPED);
}

/* A slow entry: the physical address of the byte at lin */
static inline uint32_t shadow_entry_phys(intptr_t e, uint32_t lin)
{
	return (uint32_t)((uintptr_t)lin + ((uintptr_t)e & ~(uintptr_t)SE_TAGS));
}

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
	uint32_t slots[32];       /* bit i: directory slot i (4 MiB) may have filled entries */
	struct win win;           /* its host-mapped window (window.h) */
};

struct shadow_stats {
	uint64_t walks;           /* page walks by shadow_fill (every miss) */
	uint64_t fills;           /* entries installed (fast or slow) */
	uint64_t slowed;          /* fast write entries turned slow (page became traced or code) */
	uint64_t switch_hits, switch_misses, evictions, traced_writes, dropped;
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
	/* windows (window.h) */
	bool win_on;
	int win_fd;
	uint32_t win_hot;
	uint32_t win_total;       /* pages mapped in all windows */
	uint32_t win_budget;      /* at most (window.h) */
	uintptr_t gs_base;        /* the base of the window it last put in GS (lockstep's logs read it) */
	struct win_stats win_stats;
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

/* A miss: walk for an access (PF_W | PF_U bits) in the current context.  On
 * success (vector 0) *entry is the entry for lin and the access's class, fast
 * or slow (slow for MMIO, unassigned addresses, and writes to ROM, traced or
 * code pages); it is installed in the table unless it could not be kept
 * coherent (paging structures outside RAM), so the caller decodes *entry, not
 * the table.  On a page fault returns it and installs nothing; the caller
 * raises it. */
struct mmu_fault shadow_fill(struct shadow *sh, const struct paging *pg, uint32_t lin, unsigned acc,
			     intptr_t *entry);

/* A guest write reached a physical RAM page flagged PGF_TRACED (after the
 * memory itself was updated): drop the entries derived from it. */
void shadow_traced_write(struct shadow *sh, uint32_t pa, unsigned len);

/* The translator marks a RAM page as holding code it translated (or not any
 * more): while marked, guest writes to it take the slow path and reach
 * mem->code_write (its fast write entries become slow; when unmarked, the
 * slow ones are dropped and refill fast). */
void shadow_set_code_page(struct shadow *sh, uint32_t pa, bool code);

/* --check-mmu: compare a table hit (fast or slow entry e) with what a fresh
 * walk (no A/D updates) would fill in now.  Returns true when they agree; on
 * the first mismatch records the report and sets check_failed, and returns
 * false (the caller stops). */
bool shadow_check_hit(struct shadow *sh, const struct paging *pg, uint32_t lin, unsigned acc, intptr_t e);

#endif

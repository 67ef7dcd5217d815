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

struct cpu;
struct mem;

enum shadow_class { SC_UR, SC_UW, SC_SR, SC_SW, SC_COUNT };

#define SHADOW_CONTEXTS 8
#define SHADOW_PAGES (1u << 20)

/* the class of an access: user when CPL 3 and not an implicit supervisor access */
#define SHADOW_CLASS(user, write) ((user) ? ((write) ? SC_UW : SC_UR) : ((write) ? SC_SW : SC_SR))

struct shadow_ref;

struct shadow_ctx {
	intptr_t *table;          /* SHADOW_PAGES * SC_COUNT entries */
	uint32_t pdbr;            /* key: CR3 & 0xfffff000 (0 without paging) */
	uint32_t mode;            /* key: CR0.PG | CR0.WP | CR4.PSE bits */
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

/* Select the context for the CPU's current CR3/CR0/CR4 (after any change to
 * them), and point cpu->stab at its table. */
void shadow_switch(struct cpu *cpu);
/* Drop every entry of every context (A20 gate or memory map changes). */
void shadow_flush_all(struct shadow *sh);
/* INVLPG: drop the entries of one linear page in the current context. */
void shadow_invlpg(struct shadow *sh, uint32_t lin);

/* Slow path: find or fill the entry for lin and class.  Returns the host
 * pointer of the byte at lin, or NULL when the access must go through
 * mem_read_phys/mem_write_phys (MMIO, unassigned, or a write to a traced, ROM
 * or code page; *pa is then set).  Raises #PF like the walker. */
uint8_t *shadow_fill(struct cpu *cpu, uint32_t lin, int acc, uint32_t *pa);

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

/* --check-mmu: compare a hit with a fresh walk (no A/D updates); on a
 * mismatch record the report, set check_failed and stop the CPU. */
void shadow_check_hit(struct cpu *cpu, uint32_t lin, int acc, const uint8_t *host);

#endif

/*
 * Shadow page tables: see shadow.h for the design.  This file holds the
 * context cache, the fill from a guest walk, the reverse maps and the
 * invalidation they drive, and the --check-mmu validation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mem.h"
#include "shadow.h"
#include "walk.h"

/* A reference kept in a reverse map: entry idx of context ctx, valid while the
 * context's generation is still gen. */
struct ref {
	uint32_t idx;     /* pt_refs: page-directory index; wr_refs: linear page number */
	uint32_t gen;
	uint8_t ctx;
};

struct shadow_ref {
	uint32_t n, cap;
	struct ref v[];
};

#define TABLE_BYTES ((size_t)SHADOW_PAGES * SC_COUNT * sizeof(intptr_t))

static void on_flagged_write(void *opaque, uint32_t pa, unsigned len, uint8_t flags)
{
	if (flags & PGF_TRACED)
		shadow_traced_write(opaque, pa, len);
}

static void on_map_changed(void *opaque)
{
	shadow_flush_all(opaque);
}

int shadow_init(struct shadow *sh, struct mem *mem)
{
	memset(sh, 0, sizeof(*sh));
	sh->mem = mem;
	sh->npages = mem->ram_size >> 12;
	sh->pt_refs = calloc(sh->npages + 1, sizeof(*sh->pt_refs));
	sh->wr_refs = calloc(sh->npages + 1, sizeof(*sh->wr_refs));
	if (!sh->pt_refs || !sh->wr_refs)
		goto fail;
	for (int i = 0; i < SHADOW_CONTEXTS; i++) {
		void *p = mmap(NULL, TABLE_BYTES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			goto fail;
		sh->ctx[i].table = p;
	}
	mem->flagged_write = on_flagged_write;
	mem->flagged_opaque = sh;
	mem->map_changed = on_map_changed;
	mem->map_opaque = sh;
	return 0;
fail:
	shadow_free(sh);
	return -1;
}

void shadow_free(struct shadow *sh)
{
	win_free(sh);
	for (int i = 0; i < SHADOW_CONTEXTS; i++) {
		if (sh->ctx[i].table)
			munmap(sh->ctx[i].table, TABLE_BYTES);
		free(sh->ctx[i].filled);
		sh->ctx[i].table = NULL;
		sh->ctx[i].filled = NULL;
	}
	if (sh->pt_refs)
		for (uint32_t i = 0; i < sh->npages; i++)
			free(sh->pt_refs[i]);
	if (sh->wr_refs)
		for (uint32_t i = 0; i < sh->npages; i++)
			free(sh->wr_refs[i]);
	free(sh->pt_refs);
	free(sh->wr_refs);
	sh->pt_refs = sh->wr_refs = NULL;
	if (sh->mem && sh->mem->flagged_opaque == sh) {
		sh->mem->flagged_write = NULL;
		sh->mem->map_changed = NULL;
	}
}

/* ---- reverse maps ---- */

static bool ref_live(const struct shadow *sh, const struct ref *r)
{
	const struct shadow_ctx *c = &sh->ctx[r->ctx];
	return c->used && c->gen == r->gen;
}

/* Add (ctx, idx) to a list unless present; stale references are pruned on the way. */
static void ref_add(struct shadow *sh, struct shadow_ref **list, uint8_t ctx, uint32_t idx)
{
	struct shadow_ref *l = *list;
	uint32_t gen = sh->ctx[ctx].gen;
	if (l) {
		uint32_t k = 0;
		for (uint32_t i = 0; i < l->n; i++) {
			struct ref *r = &l->v[i];
			if (r->ctx == ctx && r->gen == gen && r->idx == idx)
				return;
			if (ref_live(sh, r))
				l->v[k++] = *r;
		}
		l->n = k;
	}
	if (!l || l->n == l->cap) {
		uint32_t cap = l ? l->cap * 2 : 4;
		struct shadow_ref *nl = realloc(l, sizeof(*nl) + cap * sizeof(struct ref));
		if (!nl) {
			fprintf(stderr, "shade86: out of memory in the shadow MMU\n");
			abort();
		}
		if (!l)
			nl->n = 0;
		nl->cap = cap;
		*list = l = nl;
	}
	l->v[l->n++] = (struct ref){ idx, gen, ctx };
}

/* ---- contexts ---- */

static void drop_entries(struct shadow *sh, struct shadow_ctx *c, uint32_t page)
{
	intptr_t *e = &c->table[(size_t)page * SC_COUNT];
	e[0] = e[1] = e[2] = e[3] = 0;
	if (c->win.nmapped)
		win_drop_page(sh, c, page);
}

static void ctx_flush(struct shadow *sh, struct shadow_ctx *c)
{
	win_reset(sh, c, false);
	for (uint32_t i = 0; i < c->nfilled; i++)
		drop_entries(sh, c, c->filled[i]);
	c->nfilled = 0;
	memset(c->slots, 0, sizeof(c->slots));
	c->gen++;
}

static void note_filled(struct shadow *sh, struct shadow_ctx *c, uint32_t page)
{
	if (c->nfilled == c->capfilled) {
		if (c->capfilled >= (1u << 22)) {
			/* refilled over and over: start the context afresh */
			ctx_flush(sh, c);
		} else {
			uint32_t cap = c->capfilled ? c->capfilled * 2 : 1024;
			uint32_t *nf = realloc(c->filled, cap * sizeof(*nf));
			if (!nf) {
				ctx_flush(sh, c);
			} else {
				c->filled = nf;
				c->capfilled = cap;
			}
		}
	}
	if (c->nfilled < c->capfilled)
		c->filled[c->nfilled++] = page;
	c->slots[page >> 15] |= 1u << ((page >> 10) & 31);
}

void shadow_flush_all(struct shadow *sh)
{
	for (int i = 0; i < SHADOW_CONTEXTS; i++)
		if (sh->ctx[i].used)
			ctx_flush(sh, &sh->ctx[i]);
}

void shadow_invlpg(struct shadow *sh, uint32_t lin)
{
	if (sh->cur)
		drop_entries(sh, sh->cur, lin >> 12);
}

/* ---- entries ---- */

/* The entry for an access to physical pa at lin, fast when a host pointer may
 * serve it (page aligned, see shadow.h), else slow. */
static intptr_t make_entry(struct shadow *sh, uint32_t pa, uint32_t lin, bool write)
{
	uint32_t page = pa & ~0xfffu, lpage = lin & ~0xfffu;
	const uint8_t *host;
	if (write)
		host = (mem_page_flags(sh->mem, page) & (PGF_TRACED | PGF_CODE)) ? NULL : mem_ram_ptr(sh->mem, page);
	else
		host = mem_read_ptr(sh->mem, page);
	if (host && !((uintptr_t)host & 0xfff))
		return (intptr_t)(((uintptr_t)host - lpage) | SE_MAPPED);
	return (intptr_t)(((uintptr_t)page - lpage) | SE_MAPPED | SE_SLOW);
}

/* Does entry e (for linear page lpage) lead to the physical RAM page at page? */
static bool entry_points_at(const struct shadow *sh, intptr_t e, uint32_t lpage, uint32_t page)
{
	if (shadow_entry_fast(e))
		return shadow_entry_host(e, lpage) == sh->mem->ram + page;
	return shadow_entry_slow(e) && shadow_entry_phys(e, lpage) == page;
}

/* The write entries of every context that lead to the RAM page at pa: with
 * drop, remove them (the page may be written through a host pointer again);
 * else make them slow (it became traced or code).  References to entries that
 * lead elsewhere by now (dropped and refilled) are pruned on the way. */
static void update_writers(struct shadow *sh, uint32_t pa, bool drop)
{
	uint32_t pg = pa >> 12, page = pa & ~0xfffu;
	if (pg >= sh->npages || !sh->wr_refs[pg])
		return;
	struct shadow_ref *l = sh->wr_refs[pg];
	uint32_t k = 0;
	for (uint32_t i = 0; i < l->n; i++) {
		struct ref *r = &l->v[i];
		if (!ref_live(sh, r))
			continue;
		intptr_t *e = &sh->ctx[r->ctx].table[(size_t)r->idx * SC_COUNT];
		uint32_t lpage = r->idx << 12;
		static const unsigned write_classes[] = { SC_SW, SC_UW };
		bool kept = false;
		for (unsigned j = 0; j < 2; j++) {
			unsigned cls = write_classes[j];
			if (!entry_points_at(sh, e[cls], lpage, page))
				continue;
			if (drop) {
				e[cls] = SE_MISS;
				sh->stats.dropped++;
			} else {
				if (shadow_entry_fast(e[cls]))
					sh->stats.slowed++;
				e[cls] = (intptr_t)(((uintptr_t)page - lpage) | SE_MAPPED | SE_SLOW);
				kept = true;
			}
			if (cls == SC_UW)
				win_revoke_write(sh, &sh->ctx[r->ctx], r->idx);
		}
		if (kept)
			l->v[k++] = *r;
	}
	l->n = k;
}

/* Mark a RAM page as holding paging structures: from now on no fast write
 * entry may point at it. */
static void trace_page(struct shadow *sh, uint32_t pa)
{
	uint32_t pg = pa >> 12;
	if (pg >= sh->npages || (sh->mem->page_flags[pg] & PGF_TRACED))
		return;
	sh->mem->page_flags[pg] |= PGF_TRACED;
	update_writers(sh, pa, false);
}

/* The context for a key, or NULL */
static struct shadow_ctx *ctx_find(struct shadow *sh, uint32_t pdbr, uint32_t mode)
{
	for (int i = 0; i < SHADOW_CONTEXTS; i++) {
		struct shadow_ctx *x = &sh->ctx[i];
		if (x->used && x->pdbr == pdbr && x->mode == mode)
			return x;
	}
	return NULL;
}

/* A free context, else the least recently used one (flushed) */
static struct shadow_ctx *ctx_victim(struct shadow *sh)
{
	struct shadow_ctx *lru = NULL;
	for (int i = 0; i < SHADOW_CONTEXTS; i++) {
		struct shadow_ctx *x = &sh->ctx[i];
		if (!x->used)
			return x;
		if (!lru || x->last_use < lru->last_use)
			lru = x;
	}
	sh->stats.evictions++;
	ctx_flush(sh, lru);
	win_reset(sh, lru, true);
	return lru;
}

intptr_t *shadow_switch(struct shadow *sh, const struct paging *pg)
{
	/* without paging WP and PSE do not matter */
	uint32_t mode = pg->pg ? SHADOW_MODE_PG | (pg->wp ? SHADOW_MODE_WP : 0) |
				 (pg->pse ? SHADOW_MODE_PSE : 0) : 0;
	uint32_t pdbr = mode ? pg->cr3 & 0xfffff000u : 0;
	struct shadow_ctx *c = sh->cur;

	if (c && c->pdbr == pdbr && c->mode == mode) {
		sh->stats.switch_hits++;
	} else if ((c = ctx_find(sh, pdbr, mode))) {
		sh->stats.switch_hits++;
	} else {
		sh->stats.switch_misses++;
		c = ctx_victim(sh);
		c->used = true;
		c->pdbr = pdbr;
		c->mode = mode;
	}
	c->last_use = ++sh->clock;
	sh->cur = c;
	win_switched(sh);
	if (mode)
		trace_page(sh, pdbr & pg->a20_mask);
	return c->table;
}

/* ---- invalidation driven by writes ---- */

void shadow_set_code_page(struct shadow *sh, uint32_t pa, bool code)
{
	uint32_t pg = pa >> 12;
	if (pg >= sh->npages)
		return;
	uint8_t *f = &sh->mem->page_flags[pg];
	if (code) {
		if (!(*f & PGF_CODE)) {
			*f |= PGF_CODE;
			update_writers(sh, pa, false);
		}
	} else if (*f & PGF_CODE) {
		*f &= (uint8_t)~PGF_CODE;
		if (!(*f & PGF_TRACED))
			update_writers(sh, pa, true);
	}
}

/* Drop the entries of directory slots [i0, i1] of every context whose page
 * directory is the page at pd. */
static void pd_written(struct shadow *sh, uint32_t pd, uint32_t i0, uint32_t i1)
{
	for (int k = 0; k < SHADOW_CONTEXTS; k++) {
		struct shadow_ctx *c = &sh->ctx[k];
		if (!c->used || !(c->mode & SHADOW_MODE_PG) || c->pdbr != pd)
			continue;
		for (uint32_t i = i0; i <= i1; i++) {
			/* a slot nothing was filled in since its last drop: nothing
			 * to do (clearing 32 KiB of untouched table would only make
			 * the host allocate it) */
			if (!(c->slots[i >> 5] & (1u << (i & 31))))
				continue;
			c->slots[i >> 5] &= ~(1u << (i & 31));
			for (uint32_t p = i << 10; p < (i + 1) << 10; p++)
				drop_entries(sh, c, p);
			sh->stats.dropped += 1u << 10;
		}
	}
}

static bool pd_in_use(const struct shadow *sh, uint32_t pd)
{
	for (int k = 0; k < SHADOW_CONTEXTS; k++) {
		const struct shadow_ctx *c = &sh->ctx[k];
		if (c->used && (c->mode & SHADOW_MODE_PG) && c->pdbr == pd)
			return true;
	}
	return false;
}

void shadow_traced_write(struct shadow *sh, uint32_t pa, unsigned len)
{
	uint32_t pg = pa >> 12;
	if (pg >= sh->npages)
		return;
	sh->stats.traced_writes++;
	uint32_t page = pa & ~0xfffu;
	uint32_t j0 = (pa & 0xfff) >> 2, j1 = ((pa & 0xfff) + len - 1) >> 2;
	if (j1 > 1023)
		j1 = 1023;

	/* as a page directory */
	bool used_as_pd = pd_in_use(sh, page);
	if (used_as_pd)
		pd_written(sh, page, j0, j1);

	/* as a page table: every live (context, directory slot) that points here */
	struct shadow_ref *l = sh->pt_refs[pg];
	uint32_t live = 0;
	if (l) {
		uint32_t k = 0;
		for (uint32_t i = 0; i < l->n; i++) {
			struct ref r = l->v[i];
			struct shadow_ctx *c = &sh->ctx[r.ctx];
			if (!ref_live(sh, &r))
				continue;
			/* still the directory's page table for this slot? */
			uint32_t pde = mem_read_phys(sh->mem, c->pdbr + r.idx * 4, 4);
			if (!(pde & PTE_P) || (pde & 0xfffff000u) != page ||
			    ((pde & PTE_PS) && (c->mode & SHADOW_MODE_PSE)))
				continue;
			for (uint32_t j = j0; j <= j1; j++)
				drop_entries(sh, c, (r.idx << 10) | j);
			sh->stats.dropped += j1 - j0 + 1;
			l->v[k++] = r;
		}
		l->n = k;
		live = k;
	}
	/* a page that no longer holds paging structures goes back to the fast path */
	if (!live && !used_as_pd) {
		sh->mem->page_flags[pg] &= (uint8_t)~PGF_TRACED;
		if (!(sh->mem->page_flags[pg] & PGF_CODE))
			update_writers(sh, pa, true);
	}
}

/* ---- fill ---- */

struct mmu_fault shadow_fill(struct shadow *sh, const struct paging *pg, uint32_t lin, unsigned acc,
			     intptr_t *entry)
{
	struct shadow_ctx *c = sh->cur;
	struct walk w;
	bool write = acc & PF_W;

	sh->stats.walks++;
	struct mmu_fault f = page_walk(pg, lin, acc & (PF_W | PF_U), &w);
	if (f.vector)
		return f;
	uint32_t page_pa = w.pa & ~0xfffu;

	/* entries derived from paging structures outside RAM cannot be traced:
	 * such a translation is used once and not installed */
	if (w.paging && (w.pde_pa >= sh->mem->ram_size || sh->mem->page_region[w.pde_pa >> 12] ||
			 (!w.large && (w.pte_pa >= sh->mem->ram_size || sh->mem->page_region[w.pte_pa >> 12])))) {
		*entry = make_entry(sh, w.pa, lin, write);
		return f;
	}
	uint8_t ci = (uint8_t)(c - sh->ctx);
	uint32_t lpage = lin >> 12;
	if (w.paging) {
		trace_page(sh, w.pde_pa);
		if (!w.large) {
			trace_page(sh, w.pte_pa);
			ref_add(sh, &sh->pt_refs[w.pte_pa >> 12], ci, lin >> 22);
		}
	}
	/* after the tracing: the page written may just have become a page table */
	intptr_t e = make_entry(sh, w.pa, lin, write);
	if (write && (page_pa >> 12) < sh->npages)
		ref_add(sh, &sh->wr_refs[page_pa >> 12], ci, lpage);
	c->table[(size_t)lpage * SC_COUNT + shadow_class(acc)] = e;
	note_filled(sh, c, lpage);
	sh->stats.fills++;
	*entry = e;
	return f;
}

/* ---- --check-mmu ---- */

bool shadow_check_hit(struct shadow *sh, const struct paging *pg, uint32_t lin, unsigned acc, intptr_t e)
{
	struct walk w = { 0 };
	const char *why = NULL;
	if (page_walk(pg, lin, (acc & (PF_W | PF_U)) | WALK_PROBE, &w).vector) {
		why = "the guest page tables do not allow this access";
	} else {
		intptr_t want = make_entry(sh, w.pa, lin, acc & PF_W);
		if (shadow_entry_fast(e) && !shadow_entry_fast(want))
			why = "a fast entry for an access that must take the physical dispatch";
		else if (shadow_entry_slow(e) && !shadow_entry_slow(want))
			why = "a slow entry for an access the host pointer could serve";
		else if (!shadow_entry_fast(e) && !shadow_entry_slow(e))
			why = "an entry with unknown tags";
		else if (e != want)
			why = "the entry maps a different physical page";
		else if (w.paging && (acc & PF_W) &&
			 !(mem_read_phys(sh->mem, w.large ? w.pde_pa : w.pte_pa, 4) & PTE_D))
			why = "a write entry for a page whose Dirty bit is clear";
	}
	if (!why)
		return true;
	if (sh->check_failed)
		return false;
	sh->check_failed = true;
	snprintf(sh->check_report, sizeof(sh->check_report),
		 "shadow MMU mismatch at linear %08x (%s %s access, CR3 %08x): %s; walk gives physical %08x",
		 lin, (acc & PF_U) ? "user" : "supervisor", (acc & PF_W) ? "write" : "read",
		 pg->cr3, why, w.pa);
	return false;
}

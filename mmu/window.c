/* Host-mapped windows of the shadow contexts (see window.h). */
#include <asm/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mem.h"
#include "shadow.h"
#include "window.h"

#define PAGE 4096u
#define PROT_BYTES (1u << 20)        /* one per linear page */

/* The window in this thread's GS base: a host register, so one per thread
 * whatever the number of machines (tests run several in one process) */
static _Thread_local const struct win *gs_loaded;

/* Is w one of sh's windows? */
static bool owns(const struct shadow *sh, const struct win *w)
{
	for (int i = 0; i < SHADOW_CONTEXTS; i++)
		if (w == &sh->ctx[i].win)
			return true;
	return false;
}

static int set_gs(uintptr_t base)
{
	return (int)syscall(SYS_arch_prctl, ARCH_SET_GS, base);
}

bool win_enable(struct shadow *sh, int ram_fd, uint32_t hot)
{
	unsigned long gs;
	if (ram_fd < 0 || syscall(SYS_arch_prctl, ARCH_GET_GS, &gs) != 0)
		return false;
	sh->win_fd = ram_fd;
	sh->win_hot = hot;
	sh->win_on = true;
	unsigned long max_maps = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	if (f) {
		if (fscanf(f, "%lu", &max_maps) != 1)
			max_maps = 65530;
		fclose(f);
	}
	sh->win_budget = max_maps > 2 * WIN_VMA_MARGIN ? (uint32_t)((max_maps - WIN_VMA_MARGIN) / 2) : 0;
	if (!sh->win_budget)
		sh->win_on = false;
	return sh->win_on;
}

void win_free(struct shadow *sh)
{
	if (gs_loaded && owns(sh, gs_loaded)) {
		set_gs(0);
		gs_loaded = NULL;
	}
	sh->gs_base = 0;
	for (int i = 0; i < SHADOW_CONTEXTS; i++) {
		struct win *w = &sh->ctx[i].win;
		if (w->base)
			munmap(w->base, WIN_SPAN + WIN_GUARD);
		if (w->prot)
			munmap(w->prot, PROT_BYTES);
		free(w->pages);
		memset(w, 0, sizeof(*w));
	}
	sh->win_on = false;
	sh->win_total = 0;
}

static void load_gs(struct shadow *sh, struct win *w)
{
	if (set_gs((uintptr_t)w->base) != 0) {
		/* cannot happen after win_enable's probe; be safe: no windows */
		w->active = false;
		sh->win_on = false;
		return;
	}
	gs_loaded = w;
	sh->gs_base = (uintptr_t)w->base;
	sh->win_stats.gs_loads++;
}

static bool reserve(struct win *w)
{
	if (!w->base) {
		void *p = mmap(NULL, WIN_SPAN + WIN_GUARD, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return false;
		w->base = p;
	}
	if (!w->prot) {
		void *p = mmap(NULL, PROT_BYTES, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return false;
		w->prot = p;
	}
	return true;
}

bool win_tick(struct shadow *sh)
{
	struct shadow_ctx *c = sh->cur;
	if (!sh->win_on || !c || c->win.active)
		return false;
	uint32_t shift = c->win.strikes < 8 ? 2 * c->win.strikes : 16;
	if (c->win.ticks < (sh->win_hot << shift)) {
		c->win.ticks++;
		return false;
	}
	if (!reserve(&c->win)) {
		sh->win_on = false;
		return false;
	}
	c->win.active = true;
	sh->win_stats.activations++;
	load_gs(sh, &c->win);
	return c->win.active;
}

bool win_current(const struct shadow *sh)
{
	return sh->cur && sh->cur->win.active && gs_loaded == &sh->cur->win;
}

void win_switched(struct shadow *sh)
{
	struct win *w = &sh->cur->win;
	if (w->active && gs_loaded != w)
		load_gs(sh, w);
}

bool win_lookup(const struct shadow *sh, uintptr_t addr, uint64_t *lin)
{
	const struct win *w = gs_loaded;
	if (!w || !owns(sh, w) || !w->base || addr < (uintptr_t)w->base ||
	    addr - (uintptr_t)w->base >= WIN_SPAN + WIN_GUARD)
		return false;
	*lin = addr - (uintptr_t)w->base;
	return true;
}

/* PROT_NONE over pages [page, page + n) of the reservation */
static void unmap_range(struct win *w, uint32_t page, uint64_t n)
{
	mmap(w->base + (uint64_t)page * PAGE, n * PAGE, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

void win_reset(struct shadow *sh, struct shadow_ctx *c, bool deactivate)
{
	struct win *w = &c->win;
	if (w->nmapped) {
		unmap_range(w, 0, (WIN_SPAN + WIN_GUARD) / PAGE);
		sh->win_stats.resets++;
	}
	for (uint32_t i = 0; i < w->npages; i++)
		w->prot[w->pages[i]] = WIN_NONE;
	sh->win_total -= w->nmapped;
	w->nmapped = w->npages = 0;
	if (deactivate) {
		w->active = false;
		w->ticks = 0;
	}
}

void win_drop_page(struct shadow *sh, struct shadow_ctx *c, uint32_t page)
{
	struct win *w = &c->win;
	if (!w->nmapped || !w->prot[page])
		return;
	unmap_range(w, page, 1);
	w->prot[page] = WIN_NONE;
	w->nmapped--;
	sh->win_total--;
	sh->win_stats.unmaps++;
}

void win_revoke_write(struct shadow *sh, struct shadow_ctx *c, uint32_t page)
{
	struct win *w = &c->win;
	if (!w->nmapped || w->prot[page] != WIN_RW)
		return;
	if (shadow_entry_fast(c->table[(size_t)page * SC_COUNT + SC_UR])) {
		mprotect(w->base + (uint64_t)page * PAGE, PAGE, PROT_READ);
		w->prot[page] = WIN_R;
		sh->win_stats.downgrades++;
	} else {
		win_drop_page(sh, c, page);
	}
}

/* Remember a newly mapped page (for win_reset); the list keeps pages that
 * were unmapped since, so it is compacted when it grows past what is mapped */
static bool note_page(struct win *w, uint32_t page)
{
	if (w->npages == w->cap) {
		uint32_t k = 0;
		for (uint32_t i = 0; i < w->npages; i++) {
			uint32_t p = w->pages[i];
			if (w->prot[p] && !(w->prot[p] & 0x80)) {
				w->prot[p] |= 0x80;
				w->pages[k++] = p;
			}
		}
		for (uint32_t i = 0; i < k; i++)
			w->prot[w->pages[i]] &= 0x7f;
		w->npages = k;
		if (k >= w->cap / 2) {
			uint32_t cap = w->cap ? w->cap * 2 : 1024;
			uint32_t *np = realloc(w->pages, cap * sizeof(*np));
			if (!np)
				return false;
			w->pages = np;
			w->cap = cap;
		}
	}
	w->pages[w->npages++] = page;
	return true;
}

/* The windows hold more than the budget: start them all afresh, and take
 * the window of c, which asked for one more page, away for a while */
static void over_budget(struct shadow *sh, struct shadow_ctx *c)
{
	for (int i = 0; i < SHADOW_CONTEXTS; i++)
		win_reset(sh, &sh->ctx[i], false);
	win_reset(sh, c, true);
	c->win.strikes++;
	sh->win_stats.over_budget++;
}

void win_map_page(struct shadow *sh, uint32_t lin)
{
	struct shadow_ctx *c = sh->cur;
	if (!win_current(sh))
		return;
	struct win *w = &c->win;
	uint32_t page = lin >> 12;
	intptr_t er = c->table[(size_t)page * SC_COUNT + SC_UR];
	intptr_t ew = c->table[(size_t)page * SC_COUNT + SC_UW];
	uint8_t want = shadow_entry_fast(ew) ? WIN_RW : shadow_entry_fast(er) ? WIN_R : WIN_NONE;
	if (want <= w->prot[page])
		return;
	const uint8_t *host = shadow_entry_host(want == WIN_RW ? ew : er, page << 12);
	const struct mem *mem = sh->mem;
	if (host < mem->ram || host >= mem->ram + mem->ram_size)
		return;   /* a ROM copy: not in the memfd, stays on the slow path */
	if (!w->prot[page] && sh->win_total >= sh->win_budget) {
		over_budget(sh, c);
		return;
	}
	int prot = want == WIN_RW ? PROT_READ | PROT_WRITE : PROT_READ;
	void *at = w->base + (uint64_t)page * PAGE;
	if (mmap(at, PAGE, prot, MAP_SHARED | MAP_FIXED, sh->win_fd, host - mem->ram) == MAP_FAILED) {
		/* out of host mappings after all */
		over_budget(sh, c);
		return;
	}
	if (!w->prot[page]) {
		if (!note_page(w, page)) {
			unmap_range(w, page, 1);
			return;
		}
		w->nmapped++;
		sh->win_total++;
	}
	w->prot[page] = want;
	sh->win_stats.maps++;
}

/*
 * Host-mapped windows: guest user memory as host memory (ARCHITECTURE.md,
 * "Memory").
 *
 * A shadow context (shadow.h) may have a window: 4 GiB of host address space
 * (plus a guard past the end for accesses that wrap), reserved PROT_NONE, in
 * which guest RAM pages (the memfd behind mem->ram) are mapped at their guest
 * linear address.  The host GS base holds the window of the current context,
 * so translated user code reaches guest memory as gs:[linear address], one
 * host instruction, with no lookup.
 *
 * A window only ever shows what the context's user-class shadow entries
 * allow: a page is mapped read-only while its user read entry (or its user
 * write entry) is fast, read-write while its user write entry is fast, and
 * nothing otherwise.  It is filled lazily: an access to a page not mapped
 * faults on the host, translated code takes the instruction's slow path
 * (which fills the shadow entries, or raises the guest's fault) and then
 * win_map_page maps the page for the next access.  Coherence follows the
 * shadow entries: every drop of an entry (INVLPG, a traced page-table write,
 * a flush) unmaps the page, every write entry that turns slow (the page
 * became a page table or holds translated code) makes it read-only.
 *
 * Filling costs a host signal and an mmap (about 10 us here), so a context
 * gets its window only once it is hot: when the translator's dispatcher,
 * entered once per time slice, found it running user code in WIN_HOT_DEFAULT
 * slices.  The windows together keep at most half of what vm.max_map_count
 * allows (65530 by default) less a margin mapped: each page can cost two host
 * VMAs.  A context whose pages do not fit starts every window afresh and
 * loses its own for a while (four times longer each time), so a guest that
 * touches more memory than that runs on the inline lookups instead of
 * refilling its window over and over.
 */
#ifndef SHADE86_WINDOW_H
#define SHADE86_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#define WIN_SPAN  (1ull << 32)
#define WIN_GUARD (1ull << 16)           /* an access that wraps past 4 GiB faults here */
#define WIN_HOT_DEFAULT 64u
#define WIN_VMA_MARGIN 6000u             /* host VMAs left to the rest of shade86 */

enum { WIN_NONE = 0, WIN_R = 1, WIN_RW = 3 };

struct win {
	uint8_t *base;            /* the reservation (NULL until the context gets hot) */
	uint8_t *prot;            /* per linear page: WIN_NONE, WIN_R or WIN_RW */
	uint32_t *pages;          /* pages mapped since the last reset (some unmapped since) */
	uint32_t npages, cap;
	uint32_t nmapped;         /* pages mapped now */
	uint32_t ticks;           /* slices that found the context in user code */
	uint32_t strikes;         /* times it did not fit in the budget */
	bool active;
};

struct win_stats {
	uint64_t activations, maps, unmaps, downgrades, resets, faults, gs_loads, over_budget;
};

struct shadow;
struct shadow_ctx;

/* Give the contexts of sh windows (translated code calls this; without it
 * no context ever has one): guest RAM is the memfd ram_fd; a context becomes
 * hot after hot dispatcher entries in user code (0: at the first).  Returns
 * false (and windows stay off) when the host cannot: no memfd, no
 * arch_prctl(ARCH_SET_GS). */
bool win_enable(struct shadow *sh, int ram_fd, uint32_t hot);
void win_free(struct shadow *sh);

/* The dispatcher found the current context running user code: count it, and
 * give the context its window once it is hot.  Returns true when the window
 * became active now. */
bool win_tick(struct shadow *sh);
/* Is the current context's window active and in the host GS base? */
bool win_current(const struct shadow *sh);
/* Another context became current (shadow_switch), or translated code is
 * about to run (another machine in this thread may have used GS): the
 * current context's window into GS. */
void win_switched(struct shadow *sh);

/* After a slow path in user code: map the page at lin into the current
 * window as far as its user shadow entries allow. */
void win_map_page(struct shadow *sh, uint32_t lin);
/* Is addr inside the window in GS (guard included)?  Sets *lin to the
 * linear address (may be 4 GiB or more, in the guard). */
bool win_lookup(const struct shadow *sh, uintptr_t addr, uint64_t *lin);

/* shadow.c: entries of a context changed */
void win_drop_page(struct shadow *sh, struct shadow_ctx *c, uint32_t page);
void win_revoke_write(struct shadow *sh, struct shadow_ctx *c, uint32_t page);
void win_reset(struct shadow *sh, struct shadow_ctx *c, bool deactivate);

#endif

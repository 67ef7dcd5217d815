/*
 * The plain page walker: two-level 32-bit paging with 4 KiB pages and, with
 * CR4.PSE, 4 MiB pages (SDM Vol. 3 4.3).  It sets Accessed on every entry it
 * uses and Dirty on a write, checks U/S and R/W (CR0.WP for supervisor writes),
 * and on failure returns the #PF error code (4.7) and the address for CR2.  It
 * is the reference the shadow page tables are filled from and checked against.
 */
#include "mem.h"
#include "walk.h"

static uint32_t pt_read(const struct paging *pg, uint32_t pa)
{
	return mem_read_phys(pg->mem, pa & pg->a20_mask, 4);
}

/* A/D updates by the walker itself.  They never take a permission away, so the
 * shadow entries derived from the entry stay valid: RAM is written directly,
 * without the traced-page notification a guest write would cause. */
static void pt_set_bits(const struct paging *pg, uint32_t pa, uint32_t old, uint32_t bits)
{
	struct mem *m = pg->mem;
	pa &= pg->a20_mask;
	uint8_t *p = pa + 4 <= m->ram_size && !m->page_region[pa >> 12] ? m->ram + pa : NULL;
	uint32_t v = old | bits;
	if (p) {
		for (int i = 0; i < 4; i++)
			p[i] = (uint8_t)(v >> (8 * i));
		/* a page table that also holds translated code: its A/D bits are
		 * code bytes changing (mem_write_phys would say so itself) */
		if ((m->page_flags[pa >> 12] & PGF_CODE) && m->code_write)
			m->code_write(m->code_opaque, pa, 4);
	} else {
		mem_write_phys(m, pa, v, 4);
	}
}

static struct mmu_fault pf(uint32_t lin, uint32_t err)
{
	return (struct mmu_fault){ MMU_VECTOR_PF, err, lin };
}

struct mmu_fault page_walk(const struct paging *pg, uint32_t lin, unsigned acc, struct walk *w)
{
	const struct mmu_fault ok = { 0, 0, 0 };
	w->large = false;
	w->pde_pa = w->pte_pa = 0;
	if (!pg->pg) {
		w->paging = false;
		w->pa = lin & pg->a20_mask;
		return ok;
	}
	w->paging = true;

	bool write = acc & PF_W;
	bool user = acc & PF_U;
	bool probe = acc & WALK_PROBE;
	uint32_t pde_addr = (pg->cr3 & 0xfffff000u) | ((lin >> 20) & 0xffc);
	uint32_t pde = pt_read(pg, pde_addr);
	uint32_t err = acc & (PF_W | PF_U);
	uint32_t perm;

	w->pde_pa = pde_addr & pg->a20_mask;
	if (!(pde & PTE_P))
		return pf(lin, err);
	if ((pde & PTE_PS) && pg->pse) {
		perm = pde;
		err |= PF_P;
		/* bits 21:13 are reserved with a 32-bit physical address (Vol. 3
		 * table 4-4): #PF with RSVD, Vol. 3 4.7 */
		if (pde & 0x003fe000u)
			return pf(lin, err | PF_RSVD);
		if (user && !(perm & PTE_US))
			return pf(lin, err);
		if (write && !(perm & PTE_RW) && (user || pg->wp))
			return pf(lin, err);
		w->large = true;
		w->perm = perm;
		w->pa = ((pde & 0xffc00000u) | (lin & 0x3fffff)) & pg->a20_mask;
		if (probe)
			return ok;
		uint32_t bits = PTE_A | (write ? PTE_D : 0);
		if ((pde & bits) != bits)
			pt_set_bits(pg, pde_addr, pde, bits);
		return ok;
	}
	uint32_t pte_addr = (pde & 0xfffff000u) | ((lin >> 10) & 0xffc);
	uint32_t pte = pt_read(pg, pte_addr);
	w->pte_pa = pte_addr & pg->a20_mask;
	if (!(pte & PTE_P))
		return pf(lin, err);
	err |= PF_P;
	perm = pde & pte;   /* U/S and R/W: the most restrictive of both levels */
	if (user && !(perm & PTE_US))
		return pf(lin, err);
	if (write && !(perm & PTE_RW) && (user || pg->wp))
		return pf(lin, err);
	w->perm = perm;
	w->pa = ((pte & 0xfffff000u) | (lin & 0xfff)) & pg->a20_mask;
	if (probe)
		return ok;
	if (!(pde & PTE_A))
		pt_set_bits(pg, pde_addr, pde, PTE_A);
	uint32_t bits = PTE_A | (write ? PTE_D : 0);
	if ((pte & bits) != bits)
		pt_set_bits(pg, pte_addr, pte, bits);
	return ok;
}

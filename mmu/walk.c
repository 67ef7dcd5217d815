/*
 * The plain page walker: two-level 32-bit paging with 4 KiB pages and, with
 * CR4.PSE, 4 MiB pages (SDM Vol. 3 4.3).  It sets Accessed on every entry it
 * uses and Dirty on a write, checks U/S and R/W (CR0.WP for supervisor writes),
 * and on failure sets CR2 and raises #PF with the SDM error code (4.7).  It is
 * the reference the shadow page tables are filled from and checked against.
 */
#include "../cpu/interp.h"
#include "walk.h"

static uint32_t pt_read(struct cpu *cpu, uint32_t pa)
{
	return mem_read_phys(cpu->mem, pa & cpu->a20_mask, 4);
}

/* A/D updates by the walker itself.  They never take a permission away, so the
 * shadow entries derived from the entry stay valid: RAM is written directly,
 * without the traced-page notification a guest write would cause. */
static void pt_set_bits(struct cpu *cpu, uint32_t pa, uint32_t old, uint32_t bits)
{
	pa &= cpu->a20_mask;
	uint8_t *p = pa + 4 <= cpu->mem->ram_size && !cpu->mem->page_region[pa >> 12] ?
		     cpu->mem->ram + pa : NULL;
	uint32_t v = old | bits;
	if (p) {
		for (int i = 0; i < 4; i++)
			p[i] = (uint8_t)(v >> (8 * i));
	} else {
		mem_write_phys(cpu->mem, pa, v, 4);
	}
}

bool page_walk(struct cpu *cpu, uint32_t lin, int acc, struct walk *w)
{
	w->large = false;
	w->pde_pa = w->pte_pa = 0;
	if (!(cpu->cr0 & CPU_CR0_PG)) {
		w->paging = false;
		w->pa = lin & cpu->a20_mask;
		return true;
	}
	w->paging = true;

	bool write = acc & ACC_WRITE;
	bool user = !(acc & ACC_SUPER) && cpu->cpl == 3;
	uint32_t pde_addr = (cpu->cr3 & 0xfffff000u) | ((lin >> 20) & 0xffc);
	uint32_t pde = pt_read(cpu, pde_addr);
	uint32_t err = (write ? 2u : 0u) | (user ? 4u : 0u);
	uint32_t perm;

	w->pde_pa = pde_addr & cpu->a20_mask;
	if (!(pde & PTE_P))
		goto fault;
	if ((pde & PTE_PS) && (cpu->cr4 & CPU_CR4_PSE)) {
		perm = pde;
		err |= 1;
		/* bits 21:13 are reserved with a 32-bit physical address (Vol. 3
		 * table 4-4): #PF with RSVD (error code bit 3), Vol. 3 4.7 */
		if (pde & 0x003fe000u) {
			err |= 8;
			goto fault;
		}
		if (user && !(perm & PTE_US))
			goto fault;
		if (write && !(perm & PTE_RW) && (user || (cpu->cr0 & CPU_CR0_WP)))
			goto fault;
		w->large = true;
		w->perm = perm;
		w->pa = ((pde & 0xffc00000u) | (lin & 0x3fffff)) & cpu->a20_mask;
		if (acc & ACC_NOFAULT)
			return true;
		uint32_t bits = PTE_A | (write ? PTE_D : 0);
		if ((pde & bits) != bits)
			pt_set_bits(cpu, pde_addr, pde, bits);
		return true;
	}
	uint32_t pte_addr = (pde & 0xfffff000u) | ((lin >> 10) & 0xffc);
	uint32_t pte = pt_read(cpu, pte_addr);
	w->pte_pa = pte_addr & cpu->a20_mask;
	if (!(pte & PTE_P))
		goto fault;
	err |= 1;
	perm = pde & pte;   /* U/S and R/W: the most restrictive of both levels */
	if (user && !(perm & PTE_US))
		goto fault;
	if (write && !(perm & PTE_RW) && (user || (cpu->cr0 & CPU_CR0_WP)))
		goto fault;
	w->perm = perm;
	w->pa = ((pte & 0xfffff000u) | (lin & 0xfff)) & cpu->a20_mask;
	if (acc & ACC_NOFAULT)
		return true;
	if (!(pde & PTE_A))
		pt_set_bits(cpu, pde_addr, pde, PTE_A);
	uint32_t bits = PTE_A | (write ? PTE_D : 0);
	if ((pte & bits) != bits)
		pt_set_bits(cpu, pte_addr, pte, bits);
	return true;
fault:
	if (acc & ACC_NOFAULT)
		return false;
	cpu->cr2 = lin;
	cpu_raise(cpu, EX_PF, (int)err);
}

uint32_t lin_to_phys(struct cpu *cpu, uint32_t lin, int acc)
{
	struct walk w;
	if (!page_walk(cpu, lin, acc, &w))
		return 0xffffffffu;
	return w.pa;
}

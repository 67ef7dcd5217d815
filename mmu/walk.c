/*
 * The plain page walker: two-level 32-bit paging with 4 KiB pages and, with
 * CR4.PSE, 4 MiB pages (SDM Vol. 3 4.3).  It sets Accessed on every entry it
 * uses and Dirty on a write, checks U/S and R/W (CR0.WP for supervisor writes),
 * and on failure sets CR2 and raises #PF with the SDM error code.  It is the
 * reference that the shadow page tables (MMU issue) are checked against.
 */
#include "../cpu/interp.h"

#define PTE_P   0x001u
#define PTE_RW  0x002u
#define PTE_US  0x004u
#define PTE_A   0x020u
#define PTE_D   0x040u
#define PTE_PS  0x080u

static uint32_t pt_read(struct cpu *cpu, uint32_t pa)
{
	return mem_read_phys(cpu->mem, pa & cpu->a20_mask, 4);
}

static void pt_write(struct cpu *cpu, uint32_t pa, uint32_t v)
{
	mem_write_phys(cpu->mem, pa & cpu->a20_mask, v, 4);
}

/* Returns the physical address, or raises #PF; with ACC_NOFAULT returns
 * 0xffffffff instead of raising (no A/D update then either). */
uint32_t lin_to_phys(struct cpu *cpu, uint32_t lin, int acc)
{
	if (!(cpu->cr0 & CPU_CR0_PG))
		return lin & cpu->a20_mask;

	bool write = acc & ACC_WRITE;
	bool user = !(acc & ACC_SUPER) && cpu->cpl == 3;
	uint32_t pde_addr = (cpu->cr3 & 0xfffff000u) | ((lin >> 20) & 0xffc);
	uint32_t pde = pt_read(cpu, pde_addr);
	uint32_t err = (write ? 2u : 0u) | (user ? 4u : 0u);
	uint32_t pa, perm;

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
		if (acc & ACC_NOFAULT)
			return (pde & 0xffc00000u) | (lin & 0x3fffff);
		uint32_t npde = pde | PTE_A | (write ? PTE_D : 0);
		if (npde != pde)
			pt_write(cpu, pde_addr, npde);
		pa = (pde & 0xffc00000u) | (lin & 0x3fffff);
		return pa & cpu->a20_mask;
	}
	uint32_t pte_addr = (pde & 0xfffff000u) | ((lin >> 10) & 0xffc);
	uint32_t pte = pt_read(cpu, pte_addr);
	if (!(pte & PTE_P))
		goto fault;
	err |= 1;
	perm = pde & pte;   /* U/S and R/W: the most restrictive of both levels */
	if (user && !(perm & PTE_US))
		goto fault;
	if (write && !(perm & PTE_RW) && (user || (cpu->cr0 & CPU_CR0_WP)))
		goto fault;
	if (acc & ACC_NOFAULT)
		return (pte & 0xfffff000u) | (lin & 0xfff);
	if (!(pde & PTE_A))
		pt_write(cpu, pde_addr, pde | PTE_A);
	uint32_t npte = pte | PTE_A | (write ? PTE_D : 0);
	if (npte != pte)
		pt_write(cpu, pte_addr, npte);
	pa = (pte & 0xfffff000u) | (lin & 0xfff);
	return pa & cpu->a20_mask;
fault:
	if (acc & ACC_NOFAULT)
		return 0xffffffffu;
	cpu->cr2 = lin;
	cpu_raise(cpu, EX_PF, (int)err);
}

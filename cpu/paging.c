/*
 * The CPU's side of the MMU (mmu/walk.h, mmu/shadow.h).  The MMU depends on
 * nothing above it: it is handed the paging state (cpu_paging) and returns
 * page faults as values.  Here they become architectural: CR2 and #PF
 * (SDM Vol. 3 4.7).  Also the shadow context switch after a change of the
 * paging registers, the slow path of a shadow-table lookup and --check-mmu.
 */
#include "interp.h"

/* #PF from a walk's result: CR2 is written only when the fault is raised */
static _Noreturn void raise_mmu_fault(struct cpu *cpu, struct mmu_fault f)
{
	cpu->cr2 = f.addr;
	cpu_raise(cpu, (int)f.vector, (int)f.error);
}

void cpu_paging_changed(struct cpu *cpu)
{
	struct paging pg = cpu_paging(cpu);
	cpu->stab = shadow_switch(&cpu->shadow, &pg);
}

uint8_t *lin_translate_slow(struct cpu *cpu, uint32_t lin, int acc, uint32_t *pa)
{
	unsigned macc = mmu_access(cpu, acc);
	intptr_t e = cpu->stab[(size_t)(lin >> 12) * SC_COUNT + shadow_class(macc)];
	struct paging pg = cpu_paging(cpu);
	if (e == SE_MISS) {
		struct mmu_fault f = shadow_fill(&cpu->shadow, &pg, lin, macc, &e);
		if (f.vector)
			raise_mmu_fault(cpu, f);
	} else if (cpu->shadow.check && !shadow_check_hit(&cpu->shadow, &pg, lin, macc, e)) {
		cpu_request(cpu, CPU_REQ_STOP);
	}
	if (shadow_entry_fast(e))
		return shadow_entry_host(e, lin);
	*pa = shadow_entry_phys(e, lin);
	return NULL;
}

uint32_t lin_to_phys(struct cpu *cpu, uint32_t lin, int acc)
{
	struct paging pg = cpu_paging(cpu);
	struct walk w;
	unsigned macc = mmu_access(cpu, acc) | ((acc & ACC_NOFAULT) ? WALK_PROBE : 0);
	struct mmu_fault f = page_walk(&pg, lin, macc, &w);
	if (!f.vector)
		return w.pa;
	if (acc & ACC_NOFAULT)
		return 0xffffffffu;
	raise_mmu_fault(cpu, f);
}

/* The plain page walker (walk.c): the reference translation of linear addresses. */
#ifndef SHADE86_WALK_H
#define SHADE86_WALK_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

#define PTE_P   0x001u
#define PTE_RW  0x002u
#define PTE_US  0x004u
#define PTE_A   0x020u
#define PTE_D   0x040u
#define PTE_PS  0x080u

struct walk {
	uint32_t pa;       /* physical address of the byte */
	uint32_t pde_pa;   /* physical address of the directory entry used */
	uint32_t pte_pa;   /* of the table entry (not for 4 MiB pages) */
	uint32_t perm;     /* effective R/W and U/S bits (PDE & PTE) */
	bool paging;       /* CR0.PG was set */
	bool large;        /* a 4 MiB page */
};

/* Walk for an access (ACC_* bits).  Sets A/D and returns true, or raises #PF;
 * with ACC_NOFAULT it changes nothing and returns false instead of raising. */
bool page_walk(struct cpu *cpu, uint32_t lin, int acc, struct walk *w);

#endif

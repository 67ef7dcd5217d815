/*
 * The plain page walker (walk.c): the reference translation of linear addresses.
 *
 * The walker depends on nothing above the MMU.  It reads the paging state it
 * needs from a struct paging the caller fills in (the CPU builds one from its
 * control registers, cpu_paging() in cpu/interp.h; a test can build one by
 * hand), and it never raises: a page fault comes back as a struct mmu_fault,
 * and the caller (cpu/paging.c) sets CR2 and raises #PF.
 *
 * An access is described by the bits it would set in a #PF error code (SDM
 * Vol. 3 4.7): PF_W for a write, PF_U for a user-mode access (CPL 3 and not an
 * implicit supervisor access such as a descriptor-table read).  So a fault's
 * error code is the access bits plus PF_P (a protection violation rather than
 * a not-present entry) and PF_RSVD.
 */
#ifndef SHADE86_WALK_H
#define SHADE86_WALK_H

#include <stdbool.h>
#include <stdint.h>

struct mem;

#define PTE_P   0x001u
#define PTE_RW  0x002u
#define PTE_US  0x004u
#define PTE_A   0x020u
#define PTE_D   0x040u
#define PTE_PS  0x080u

/* #PF error code bits (SDM Vol. 3 4.7); PF_W and PF_U also describe an access */
#define PF_P    0x01u   /* 0: a not-present entry; 1: a protection violation */
#define PF_W    0x02u   /* the access was a write */
#define PF_U    0x04u   /* the access was made in user mode */
#define PF_RSVD 0x08u   /* a reserved bit was set in a paging entry */

/* A further access bit for page_walk: check only, set no Accessed/Dirty bits */
#define WALK_PROBE 0x100u

#define MMU_VECTOR_PF 14   /* #PF */

/* The paging state a walk depends on: the CPU's control registers, the A20
 * gate and the memory the paging structures are read from. */
struct paging {
	struct mem *mem;
	uint32_t cr3;        /* bits 31:12 locate the page directory */
	uint32_t a20_mask;   /* 0xffffffff, or 0xffefffff with the A20 gate closed */
	bool pg;             /* CR0.PG */
	bool wp;             /* CR0.WP: supervisor writes honour R/W */
	bool pse;            /* CR4.PSE: 4 MiB pages */
};

/* The outcome of a translation: vector 0 for success, else the exception the
 * caller is to raise with the error code, and the linear address for CR2. */
struct mmu_fault {
	uint32_t vector;   /* 0, or MMU_VECTOR_PF */
	uint32_t error;    /* PF_* bits */
	uint32_t addr;     /* the faulting linear address (CR2) */
};

struct walk {
	uint32_t pa;       /* physical address of the byte */
	uint32_t pde_pa;   /* physical address of the directory entry used */
	uint32_t pte_pa;   /* of the table entry (not for 4 MiB pages) */
	uint32_t perm;     /* effective R/W and U/S bits (PDE & PTE) */
	bool paging;       /* CR0.PG was set */
	bool large;        /* a 4 MiB page */
};

/* Walk for an access (PF_W, PF_U and WALK_PROBE bits).  On success fills *w,
 * sets Accessed on the entries used and Dirty on a write (not with
 * WALK_PROBE), and returns vector 0.  Otherwise returns the #PF to raise and
 * changes nothing; *w holds pde_pa and pte_pa as far as the walk got. */
struct mmu_fault page_walk(const struct paging *pg, uint32_t lin, unsigned acc, struct walk *w);

#endif

/*
 * 32-bit paging: SDM Vol. 3 4.3 (two-level paging, 4 MiB pages with CR4.PSE),
 * 4.6 (access rights: U/S and R/W of both levels, CR0.WP for supervisor
 * writes), 4.8 (accessed and dirty flags), 4.7 (#PF error code: bit 0 P = 1 for
 * a protection violation and 0 for a not-present page, bit 1 W/R, bit 2 U/S =
 * the access was made in user mode; CR2 = the faulting linear address).
 * #PF is a fault: EIP points at the instruction, which has no effect.
 *
 * Layout: page directory at PD, PDE 0 -> PT0 identity-mapping the 2 MiB of RAM
 * (user, writable), PDE 1 -> PT1 covering linear 0x400000..0x7fffff whose
 * entries each test sets, PDE 2.. for 4 MiB pages.
 */
#include "harness.h"
#include "suites.h"

#define PD   0x100000u
#define PT0  0x101000u
#define PT1  0x102000u
#define P    0x001u
#define RW   0x002u
#define US   0x004u
#define A    0x020u
#define D    0x040u
#define PS   0x080u

#define LIN(i)   (0x400000u + (uint32_t)(i) * 0x1000u)   /* page i of PT1 */
#define FRAME(i) (0x180000u + (uint32_t)(i) * 0x1000u)   /* its physical frame */
#define PTE1(i)  (PT1 + 4u * (uint32_t)(i))

static void paging_on(bool user)
{
	if (user)
		h_flat32_user();
	else
		h_flat32();
	for (uint32_t i = 0; i < 1024; i++)
		h_poke(PD + 4 * i, 4, 0);
	h_poke(PD + 0, 4, PT0 | P | RW | US);
	h_poke(PD + 4, 4, PT1 | P | RW | US);
	for (uint32_t i = 0; i < 1024; i++) {
		h_poke(PT0 + 4 * i, 4, i < RAM_SIZE / 0x1000 ? (i << 12) | P | RW | US : 0);
		h_poke(PT1 + 4 * i, 4, 0);
	}
	cpu_set_cr3(CPU, PD);
	cpu_set_cr0(CPU, CPU->cr0 | CPU_CR0_PG);
}

/* #PF delivered with this error code and CR2; the faulting EIP was pushed */
static void check_pf(uint32_t err, uint32_t cr2)
{
	EQ(h_vector(), EX_PF);
	EQ(h_error_code(), err);
	EQ(CPU->cr2, cr2);
	EQ(h_peek(ESP + 4, 4), CODE_ADDR);      /* EIP of the faulting instruction */
}

START_TEST(accessed_on_read)
{
	paging_on(false);
	h_poke(PTE1(0), 4, FRAME(0) | P | RW);
	h_poke(FRAME(0) + 0x10, 4, 0x13572468);
	EXEC(0x8b, 0x05, 0x10, 0x00, 0x40, 0x00); /* mov eax, [0x400010] */
	EQ(EAX, 0x13572468);
	EQ(h_peek(PTE1(0), 4), FRAME(0) | P | RW | A);   /* A set, D not */
	EQ(h_peek(PD + 4, 4) & A, A);           /* the PDE's A too */
}
END_TEST

START_TEST(dirty_on_write)
{
	paging_on(false);
	h_poke(PTE1(1), 4, FRAME(1) | P | RW);
	EXEC(0xc7, 0x05, 0x20, 0x10, 0x40, 0x00, 0x78, 0x56, 0x34, 0x12); /* mov dword [0x401020], 0x12345678 */
	EQ(h_peek(FRAME(1) + 0x20, 4), 0x12345678);
	EQ(h_peek(PTE1(1), 4), FRAME(1) | P | RW | A | D);
	EQ(h_peek(PD + 4, 4) & (A | D), A);     /* D is defined only in the PTE of a 4 KiB page */
}
END_TEST

START_TEST(not_present_read_write)
{
	paging_on(false);
	EAX = 0x55;
	EXPECT_FAULT(EX_PF, 0x8b, 0x05, 0xbc, 0x2a, 0x40, 0x00); /* mov eax, [0x402abc] */
	check_pf(0, 0x402abc);
	EQ(EAX, 0x55);
	paging_on(false);
	EXPECT_FAULT(EX_PF, 0x89, 0x05, 0xbc, 0x2a, 0x40, 0x00); /* mov [0x402abc], eax */
	check_pf(2, 0x402abc);
	paging_on(false);                       /* PDE not present */
	EXPECT_FAULT(EX_PF, 0x8b, 0x05, 0x04, 0x00, 0xc0, 0x00); /* mov eax, [0xc00004] */
	check_pf(0, 0xc00004);
}
END_TEST

START_TEST(fetch_not_present)
{
	paging_on(false);
	EIP = LIN(2);                           /* not mapped */
	h_step();
	EQ(h_vector(), EX_PF);
	EQ(h_error_code(), 0);
	EQ(CPU->cr2, LIN(2));
	EQ(h_peek(ESP + 4, 4), LIN(2));
}
END_TEST

START_TEST(write_readonly_wp1)
{
	paging_on(false);
	cpu_set_cr0(CPU, CPU->cr0 | CPU_CR0_WP);
	h_poke(PTE1(3), 4, FRAME(3) | P);       /* read-only */
	h_poke(FRAME(3), 4, 0xaaaaaaaa);
	EAX = 0x11111111;
	EXPECT_FAULT(EX_PF, 0x89, 0x05, 0x00, 0x30, 0x40, 0x00); /* mov [0x403000], eax */
	check_pf(P | RW, LIN(3));               /* protection violation on a supervisor write */
	EQ(h_peek(FRAME(3), 4), 0xaaaaaaaa);
}
END_TEST

START_TEST(write_readonly_wp0)
{
	paging_on(false);
	cpu_set_cr0(CPU, CPU->cr0 & ~CPU_CR0_WP);                /* supervisor writes ignore R/W */
	h_poke(PTE1(3), 4, FRAME(3) | P);
	EAX = 0x11111111;
	EXEC(0x89, 0x05, 0x00, 0x30, 0x40, 0x00); /* mov [0x403000], eax */
	EQ(h_peek(FRAME(3), 4), 0x11111111);
	EQ(h_peek(PTE1(3), 4), FRAME(3) | P | A | D);
}
END_TEST

START_TEST(readonly_pde_wp1)
{
	paging_on(false);
	cpu_set_cr0(CPU, CPU->cr0 | CPU_CR0_WP);
	h_poke(PD + 4, 4, PT1 | P | US);        /* R/W = 0 at the directory level */
	h_poke(PTE1(3), 4, FRAME(3) | P | RW);
	EXPECT_FAULT(EX_PF, 0x89, 0x05, 0x00, 0x30, 0x40, 0x00); /* mov [0x403000], eax */
	check_pf(P | RW, LIN(3));
}
END_TEST

START_TEST(user_reads_supervisor_page)
{
	paging_on(true);
	h_poke(PTE1(4), 4, FRAME(4) | P | RW);  /* U/S = 0 */
	EXPECT_FAULT(EX_PF, 0x8b, 0x05, 0x08, 0x40, 0x40, 0x00); /* mov eax, [0x404008] */
	EQ(h_error_code(), P | US);
	EQ(CPU->cr2, LIN(4) + 8);
	EQ(CPU->cpl, 0);                        /* delivered to ring 0 */
	EQ(h_peek(ESP + 4, 4), CODE_ADDR);
}
END_TEST

START_TEST(user_writes_readonly_page)
{
	paging_on(true);
	cpu_set_cr0(CPU, CPU->cr0 & ~CPU_CR0_WP);                /* WP does not matter for user accesses */
	h_poke(PTE1(5), 4, FRAME(5) | P | US);
	EXPECT_FAULT(EX_PF, 0x89, 0x05, 0x00, 0x50, 0x40, 0x00); /* mov [0x405000], eax */
	EQ(h_error_code(), P | RW | US);
	EQ(CPU->cr2, LIN(5));
}
END_TEST

START_TEST(user_supervisor_pde)
{
	paging_on(true);
	h_poke(PD + 4, 4, PT1 | P | RW);        /* U/S = 0 at the directory level */
	h_poke(PTE1(6), 4, FRAME(6) | P | RW | US);
	EXPECT_FAULT(EX_PF, 0x8b, 0x05, 0x00, 0x60, 0x40, 0x00); /* mov eax, [0x406000] */
	EQ(h_error_code(), P | US);
}
END_TEST

START_TEST(user_access_allowed)
{
	paging_on(true);
	h_poke(PTE1(7), 4, FRAME(7) | P | RW | US);
	EAX = 0x600df00d;
	EXEC(0x89, 0x05, 0x00, 0x70, 0x40, 0x00); /* mov [0x407000], eax */
	EQ(h_peek(FRAME(7), 4), 0x600df00d);
	EQ(h_peek(PTE1(7), 4), FRAME(7) | P | RW | US | A | D);
}
END_TEST

START_TEST(pse_4mib_page)
{
	paging_on(false);
	cpu_set_cr4(CPU, CPU->cr4 | CPU_CR4_PSE);
	h_poke(PD + 8, 4, 0x00000000 | P | RW | PS);   /* linear 0x800000 -> physical 0 */
	h_poke(DATA_ADDR, 4, 0xfeedbeef);
	EXEC(0x8b, 0x05, 0x00, 0x20, 0x80, 0x00); /* mov eax, [0x802000] */
	EQ(EAX, 0xfeedbeef);
	EQ(h_peek(PD + 8, 4), P | RW | PS | A);
	EXEC(0xc7, 0x05, 0x04, 0x20, 0x80, 0x00, 0x44, 0x33, 0x22, 0x11); /* mov dword [0x802004], 0x11223344 */
	EQ(h_peek(DATA_ADDR + 4, 4), 0x11223344);
	EQ(h_peek(PD + 8, 4), P | RW | PS | A | D); /* D in the PDE of a 4 MiB page */
}
END_TEST

START_TEST(pse_4mib_readonly_wp1)
{
	paging_on(false);
	cpu_set_cr4(CPU, CPU->cr4 | CPU_CR4_PSE);
	cpu_set_cr0(CPU, CPU->cr0 | CPU_CR0_WP);
	h_poke(PD + 8, 4, 0x00000000 | P | PS);
	EXPECT_FAULT(EX_PF, 0x89, 0x05, 0x00, 0x20, 0x9f, 0x00); /* mov [0x9f2000], eax */
	check_pf(P | RW, 0x9f2000);
}
END_TEST

START_TEST(pse_4mib_reserved_bit)
{
	/* Bit 21 of a PDE mapping a 4 MiB page is reserved whatever MAXPHYADDR
	 * (bits 21:(M-19), Vol. 3 4.3 table 4-4): #PF with RSVD (error bit 3) and P */
	paging_on(false);
	cpu_set_cr4(CPU, CPU->cr4 | CPU_CR4_PSE);
	h_poke(PD + 8, 4, 0x00200000u | P | RW | PS);
	EXPECT_FAULT(EX_PF, 0x8b, 0x05, 0x00, 0x00, 0x80, 0x00); /* mov eax, [0x800000] */
	check_pf(0x8 | P, 0x800000);
}
END_TEST

/* A fault in the middle of a REP string instruction leaves the registers at the
 * element that faulted, so that the instruction can be resumed (Vol. 2 "REP"). */
START_TEST(rep_movs_faults_midway)
{
	paging_on(false);
	h_poke(PTE1(0), 4, FRAME(0) | P | RW);  /* page 1 (LIN(1)) not present */
	ESI = DATA_ADDR;
	EDI = LIN(1) - 8;                       /* two dwords fit, the third faults */
	ECX = 4;
	h_poke(DATA_ADDR, 4, 0x11111111);
	h_poke(DATA_ADDR + 4, 4, 0x22222222);
	/* a REP instruction may take several steps (the interpreter does a page
	 * per step and re-executes): step until the fault is delivered */
	static const uint8_t code[] = { 0xf3, 0xa5 };   /* rep movsd */
	h_code(code, sizeof code);
	for (int i = 0; i < 4 && h_vector() < 0; i++)
		h_step();
	ck_assert_int_eq(h_vector(), EX_PF);
	ck_assert_int_eq(CPU->eip, STUB_BASE + EX_PF);
	check_pf(2, LIN(1));
	EQ(ECX, 2);
	EQ(ESI, DATA_ADDR + 8);
	EQ(EDI, LIN(1));
	EQ(h_peek(FRAME(0) + 0xff8, 4), 0x11111111);
	EQ(h_peek(FRAME(0) + 0xffc, 4), 0x22222222);
}
END_TEST

/* ---- the walker on its own (mmu/walk.h) ----
 * page_walk reads the paging state it is given and returns a fault as a
 * value: the same error code bits and address the CPU puts in the error code
 * and CR2 (SDM Vol. 3 4.7), without touching the CPU. */

static struct paging walk_state(bool wp)
{
	return (struct paging){ .mem = &M->mem, .cr3 = PD, .a20_mask = 0xffffffffu,
				.pg = true, .wp = wp, .pse = true };
}

#define EQ_FAULT(f, err, lin) do { struct mmu_fault f_ = (f); EQ(f_.vector, EX_PF); \
		EQ(f_.error, err); EQ(f_.addr, lin); } while (0)

START_TEST(walk_not_present)
{
	paging_on(false);
	CPU->cr2 = 0xcafe0000u;
	struct paging pg = walk_state(false);
	struct walk w;
	/* a not-present PTE: P = 0, W/R and U/S say what the access was */
	EQ_FAULT(page_walk(&pg, LIN(3) + 0x123, 0, &w), 0, LIN(3) + 0x123);
	EQ_FAULT(page_walk(&pg, LIN(3) + 0x123, PF_W, &w), PF_W, LIN(3) + 0x123);
	EQ_FAULT(page_walk(&pg, LIN(3) + 0x123, PF_W | PF_U, &w), PF_W | PF_U, LIN(3) + 0x123);
	/* a not-present PDE (PDE 2 covers 0x800000) */
	EQ_FAULT(page_walk(&pg, 0x800ffe, PF_U, &w), PF_U, 0x800ffe);
	/* the walk raised nothing and set no Accessed bit on the way */
	EQ(CPU->cr2, 0xcafe0000u);
	EQ(h_peek(PD + 4, 4) & A, 0);
	/* a 4 MiB page with a reserved bit (21:13) set: P | RSVD */
	h_poke(PD + 8, 4, 0x00002000u | P | RW | US | PS);
	EQ_FAULT(page_walk(&pg, 0x800000, 0, &w), PF_P | PF_RSVD, 0x800000);
}
END_TEST

START_TEST(walk_write_to_read_only)
{
	paging_on(false);
	h_poke(PTE1(4), 4, FRAME(4) | P | US);   /* read-only user page */
	struct paging pg = walk_state(false);
	struct walk w;
	/* CR0.WP = 0: a supervisor write to a read-only page is allowed (4.6) and sets D */
	EQ(page_walk(&pg, LIN(4) + 8, PF_W, &w).vector, 0);
	EQ(w.pa, FRAME(4) + 8);
	EQ(h_peek(PTE1(4), 4) & (A | D), A | D);
	/* CR0.WP = 1: P | W */
	pg.wp = true;
	EQ_FAULT(page_walk(&pg, LIN(4) + 8, PF_W, &w), PF_P | PF_W, LIN(4) + 8);
	/* a user write faults whatever WP says: P | W | U; user reads are fine */
	for (int wp = 0; wp < 2; wp++) {
		pg.wp = wp;
		EQ_FAULT(page_walk(&pg, LIN(4), PF_W | PF_U, &w), PF_P | PF_W | PF_U, LIN(4));
		EQ(page_walk(&pg, LIN(4), PF_U, &w).vector, 0);
	}
	/* a read-only PDE makes the whole 4 MiB read-only (the stricter level wins) */
	h_poke(PTE1(5), 4, FRAME(5) | P | RW | US);
	h_poke(PD + 4, 4, PT1 | P | US);
	EQ_FAULT(page_walk(&pg, LIN(5), PF_W, &w), PF_P | PF_W, LIN(5));
}
END_TEST

START_TEST(walk_user_access_to_supervisor_page)
{
	paging_on(false);
	h_poke(PTE1(6), 4, FRAME(6) | P | RW);   /* supervisor page */
	struct paging pg = walk_state(true);
	struct walk w;
	EQ_FAULT(page_walk(&pg, LIN(6) + 4, PF_U, &w), PF_P | PF_U, LIN(6) + 4);
	EQ_FAULT(page_walk(&pg, LIN(6) + 4, PF_U | PF_W, &w), PF_P | PF_W | PF_U, LIN(6) + 4);
	/* supervisor accesses (CPL < 3, or implicit ones at CPL 3) are allowed */
	EQ(page_walk(&pg, LIN(6) + 4, PF_W, &w).vector, 0);
	EQ(w.pa, FRAME(6) + 4);
	/* a supervisor PDE: every page under it is supervisor */
	h_poke(PTE1(7), 4, FRAME(7) | P | RW | US);
	h_poke(PD + 4, 4, PT1 | P | RW);
	EQ_FAULT(page_walk(&pg, LIN(7), PF_U, &w), PF_P | PF_U, LIN(7));
}
END_TEST

START_TEST(walk_probe_sets_no_ad_bits)
{
	paging_on(false);
	h_poke(PTE1(8), 4, FRAME(8) | P | RW | US);
	struct paging pg = walk_state(false);
	struct walk w;
	EQ(page_walk(&pg, LIN(8), PF_W | PF_U | WALK_PROBE, &w).vector, 0);
	EQ(w.pa, FRAME(8));
	EQ(w.pte_pa, PTE1(8));
	EQ(w.pde_pa, PD + 4);
	EQ(h_peek(PTE1(8), 4), FRAME(8) | P | RW | US);
	EQ(h_peek(PD + 4, 4) & A, 0);
}
END_TEST

START_TEST(walk_without_paging)
{
	struct paging pg = { .mem = &M->mem, .a20_mask = 0xffffffffu };
	struct walk w;
	EQ(page_walk(&pg, 0x123456, PF_W | PF_U, &w).vector, 0);
	EQ(w.pa, 0x123456);
	ck_assert(!w.paging);
	/* the A20 gate closed: physical bit 20 is 0 */
	pg.a20_mask = 0xffefffffu;
	EQ(page_walk(&pg, 0x123456, 0, &w).vector, 0);
	EQ(w.pa, 0x023456);
}
END_TEST

/* Through the CPU: the fault a walk returns becomes CR2 and #PF */
START_TEST(walk_fault_raised_by_the_cpu)
{
	paging_on(false);
	h_poke(PTE1(9), 4, FRAME(9) | P | US);   /* read-only */
	cpu_set_cr0(CPU, CPU->cr0 | CPU_CR0_WP);
	CPU->cr2 = 0;
	EXPECT_FAULT(EX_PF, 0xc7, 0x05, 0x10, 0x90, 0x40, 0x00, 0x01, 0x00, 0x00, 0x00); /* mov dword [0x409010], 1 */
	check_pf(PF_P | PF_W, LIN(9) + 0x10);
	EQ(h_peek(FRAME(9) + 0x10, 4), 0);
}
END_TEST

Suite *paging_suite(void)
{
	Suite *s = suite_create("paging");
	TCase *tc = h_tcase("ad_bits");
	tcase_add_test(tc, accessed_on_read);
	tcase_add_test(tc, dirty_on_write);
	suite_add_tcase(s, tc);

	tc = h_tcase("page_faults");
	tcase_add_test(tc, not_present_read_write);
	tcase_add_test(tc, fetch_not_present);
	tcase_add_test(tc, write_readonly_wp1);
	tcase_add_test(tc, write_readonly_wp0);
	tcase_add_test(tc, readonly_pde_wp1);
	tcase_add_test(tc, user_reads_supervisor_page);
	tcase_add_test(tc, user_writes_readonly_page);
	tcase_add_test(tc, user_supervisor_pde);
	tcase_add_test(tc, user_access_allowed);
	suite_add_tcase(s, tc);

	tc = h_tcase("pse");
	tcase_add_test(tc, pse_4mib_page);
	tcase_add_test(tc, pse_4mib_readonly_wp1);
	tcase_add_test(tc, pse_4mib_reserved_bit);
	tcase_add_test(tc, rep_movs_faults_midway);
	suite_add_tcase(s, tc);

	tc = h_tcase("walk");
	tcase_add_test(tc, walk_not_present);
	tcase_add_test(tc, walk_write_to_read_only);
	tcase_add_test(tc, walk_user_access_to_supervisor_page);
	tcase_add_test(tc, walk_probe_sets_no_ad_bits);
	tcase_add_test(tc, walk_without_paging);
	tcase_add_test(tc, walk_fault_raised_by_the_cpu);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * Shadow page tables (mmu/shadow.h): fill, tracing and exact invalidation,
 * A/D bits, CR0.WP and U/S per access class, 4 MiB pages, INVLPG, the context
 * cache with LRU eviction.  Expected values follow the SDM's paging rules
 * (Vol. 3 4.3, 4.6, 4.7, 4.8): the shadow tables must make every access behave
 * exactly as the page walk defines, whatever they cache.
 *
 * The tests call the interpreter's linear-access functions directly; a fault
 * unwinds to the jmp_buf that TRY installs.  Tests that count walks turn
 * --check-mmu (on in every unit test) off, so that hits take the
 * interpreter's own path.
 */
#include <setjmp.h>
#include <string.h>

#include "harness.h"
#include "suites.h"
#include "mmu/shadow.h"

#define PD   0x100000u
#define PT   0x101000u
#define P    0x001u
#define RW   0x002u
#define US   0x004u
#define A    0x020u
#define D    0x040u
#define PS   0x080u
#define LIN(i)   (0x400000u + (uint32_t)(i) * 0x1000u)
#define FRAME(i) (0x180000u + (uint32_t)(i) * 0x1000u)
#define PTE(i)   (PT + 4u * (uint32_t)(i))

static jmp_buf jb;

/* run an access; returns the exception vector, or -1 when none */
#define TRY(stmt) ({ int v_ = -1; CPU->unwind = &jb; \
	if (setjmp(jb)) v_ = CPU->ex_vector; else { stmt; } v_; })

static intptr_t entry(uint32_t lin, unsigned cls)
{
	return CPU->stab[(size_t)(lin >> 12) * SC_COUNT + cls];
}

/* the host page a fast entry leads to, NULL for a miss or a slow entry */
static const uint8_t *fast_page(uint32_t lin, unsigned cls)
{
	intptr_t e = entry(lin, cls);
	return shadow_entry_fast(e) ? shadow_entry_host(e, lin & ~0xfffu) : NULL;
}

/* the physical page a slow entry leads to, or ~0 */
static uint32_t slow_page(uint32_t lin, unsigned cls)
{
	intptr_t e = entry(lin, cls);
	return shadow_entry_slow(e) ? shadow_entry_phys(e, lin & ~0xfffu) : ~0u;
}

static void setup(void)
{
	h_flat32();
	for (uint32_t i = 0; i < 1024; i++) {
		h_poke(PD + 4 * i, 4, 0);
		h_poke(PT + 4 * i, 4, 0);
	}
	h_poke(PD, 4, 0x00000000u | P | RW | PS);     /* 0-4 MiB: a 4 MiB page (PSE below) */
	h_poke(PD + 4, 4, PT | P | RW | US);          /* 4-8 MiB: PT */
	for (uint32_t i = 0; i < 16; i++) {
		h_poke(PTE(i), 4, FRAME(i) | P | RW | US);
		h_poke(FRAME(i), 4, 0x1000 + i);      /* each frame holds its number */
	}
	cpu_set_cr4(CPU, CPU_CR4_PSE);
	cpu_set_cr3(CPU, PD);
	cpu_set_cr0(CPU, CPU->cr0 | CPU_CR0_PG);
}

START_TEST(fill_installs_one_class)
{
	setup();
	EQ(entry(LIN(0), SC_SR), 0);
	EQ(lin_read(CPU, LIN(0), 4, ACC_READ), 0x1000);
	/* a fast entry: the host address of the frame minus the linear address, tag M */
	EQ(entry(LIN(0), SC_SR) & SE_TAGS, SE_MAPPED);
	ck_assert_ptr_eq(fast_page(LIN(0), SC_SR), M->mem.ram + FRAME(0));
	EQ(entry(LIN(0), SC_SW), 0);
	EQ(entry(LIN(0), SC_UR), 0);
	EQ(entry(LIN(0), SC_UW), 0);
}
END_TEST

START_TEST(accessed_on_read_dirty_on_write_entry)
{
	setup();
	lin_read(CPU, LIN(1), 4, ACC_READ);
	/* SDM 4.8: A set on any access, D only on a write */
	EQ(h_peek(PTE(1), 4) & (A | D), A);
	EQ(h_peek(PD + 4, 4) & A, A);
	lin_write(CPU, LIN(1), 4, 0x55, ACC_WRITE);
	EQ(h_peek(PTE(1), 4) & (A | D), A | D);
	ck_assert(entry(LIN(1), SC_SW) != 0);
	EQ(h_peek(FRAME(1), 4), 0x55);
}
END_TEST

START_TEST(cleared_dirty_bit_is_set_again)
{
	setup();
	lin_write(CPU, LIN(2), 4, 1, ACC_WRITE);
	EQ(h_peek(PTE(2), 4) & D, D);
	/* the guest clears D (a write to a traced page table): the write entry goes */
	h_poke(PTE(2), 4, h_peek(PTE(2), 4) & ~D);
	EQ(entry(LIN(2), SC_SW), 0);
	lin_write(CPU, LIN(2), 4, 2, ACC_WRITE);
	EQ(h_peek(PTE(2), 4) & D, D);
}
END_TEST

START_TEST(page_tables_are_traced)
{
	setup();
	lin_read(CPU, LIN(3), 4, ACC_READ);
	EQ(mem_page_flags(&M->mem, PT) & PGF_TRACED, PGF_TRACED);
	EQ(mem_page_flags(&M->mem, PD) & PGF_TRACED, PGF_TRACED);
	/* the page table mapped as data (LIN(15) -> PT): a write is never a fast-path
	 * hit; its entry is slow, leading to the page table's physical page */
	h_poke(PTE(15), 4, PT | P | RW | US);
	lin_write(CPU, LIN(15) + 4 * 3, 4, FRAME(7) | P | RW | US, ACC_WRITE);
	EQ(slow_page(LIN(15), SC_SW), PT);
	/* and it took effect at once: LIN(3) now reads frame 7 */
	EQ(lin_read(CPU, LIN(3), 4, ACC_READ), 0x1007);
}
END_TEST

START_TEST(pte_write_drops_exactly_its_page)
{
	setup();
	lin_read(CPU, LIN(4), 4, ACC_READ);
	lin_read(CPU, LIN(5), 4, ACC_READ);
	ck_assert(entry(LIN(4), SC_SR) && entry(LIN(5), SC_SR));
	h_poke(PTE(4), 4, FRAME(9) | P | RW | US);
	EQ(entry(LIN(4), SC_SR), 0);
	ck_assert(entry(LIN(5), SC_SR) != 0);
	EQ(lin_read(CPU, LIN(4), 4, ACC_READ), 0x1009);
}
END_TEST

START_TEST(pde_write_drops_its_4mib)
{
	setup();
	lin_read(CPU, LIN(6), 4, ACC_READ);
	lin_read(CPU, 0x1000, 4, ACC_READ);          /* in the 4 MiB page of PDE 0 */
	h_poke(PD + 4, 4, 0);                        /* PDE 1 not present */
	EQ(entry(LIN(6), SC_SR), 0);
	ck_assert(entry(0x1000, SC_SR) != 0);
	EQ(TRY(lin_read(CPU, LIN(6), 4, ACC_READ)), EX_PF);
	EQ(CPU->ex_error, 0);                        /* not present, read, supervisor */
}
END_TEST

START_TEST(large_page)
{
	setup();
	EQ(lin_read(CPU, FRAME(3), 4, ACC_READ), 0x1003);   /* identity through PDE 0 */
	EQ(h_peek(PD, 4) & (A | D), A);
	lin_write(CPU, FRAME(3), 4, 0x77, ACC_WRITE);
	EQ(h_peek(PD, 4) & (A | D), A | D);
	ck_assert(entry(FRAME(3), SC_SW) != 0);
}
END_TEST

START_TEST(wp_selects_the_context)
{
	setup();
	h_poke(PTE(8), 4, FRAME(8) | P | US);         /* read-only */
	/* WP = 0: a supervisor write to a read-only page is allowed (SDM 4.6) */
	lin_write(CPU, LIN(8), 4, 0xaa, ACC_WRITE);
	ck_assert(entry(LIN(8), SC_SW) != 0);
	/* WP = 1: a different context; the same write faults (P | W) */
	cpu_set_cr0(CPU, CPU->cr0 | CPU_CR0_WP);
	EQ(entry(LIN(8), SC_SW), 0);
	EQ(TRY(lin_write(CPU, LIN(8), 4, 0xbb, ACC_WRITE)), EX_PF);
	EQ(CPU->ex_error, 3);
	EQ(h_peek(FRAME(8), 4), 0xaa);
	/* and back: the cached WP = 0 context still allows it */
	cpu_set_cr0(CPU, CPU->cr0 & ~CPU_CR0_WP);
	lin_write(CPU, LIN(8), 4, 0xcc, ACC_WRITE);
	EQ(h_peek(FRAME(8), 4), 0xcc);
}
END_TEST

START_TEST(user_supervisor_classes)
{
	setup();
	h_poke(PTE(9), 4, FRAME(9) | P | RW);          /* supervisor page */
	lin_read(CPU, LIN(9), 4, ACC_READ);
	CPU->cpl = 3;
	/* user read of a supervisor page: #PF with P | U (SDM 4.7) */
	EQ(TRY(lin_read(CPU, LIN(9), 4, ACC_READ)), EX_PF);
	EQ(CPU->ex_error, 5);
	EQ(entry(LIN(9), SC_UR), 0);
	/* an implicit supervisor access at CPL 3 (descriptor tables) is allowed */
	EQ(lin_read(CPU, LIN(9), 4, ACC_READ | ACC_SUPER), 0x1009);
	/* a user page: user read entry */
	EQ(lin_read(CPU, LIN(10), 4, ACC_READ), 0x100a);
	ck_assert(entry(LIN(10), SC_UR) != 0);
	CPU->cpl = 0;
}
END_TEST

START_TEST(invlpg_drops_one_page)
{
	setup();
	lin_read(CPU, LIN(11), 4, ACC_READ);
	lin_read(CPU, LIN(12), 4, ACC_READ);
	shadow_invlpg(&CPU->shadow, LIN(11));
	EQ(entry(LIN(11), SC_SR), 0);
	ck_assert(entry(LIN(12), SC_SR) != 0);
}
END_TEST

START_TEST(context_lru)
{
	setup();
	/* 9 address spaces: PD copies at 0x110000 + i * 0x1000 */
	for (uint32_t i = 0; i < 9; i++) {
		uint32_t pd = 0x110000 + i * 0x1000;
		for (uint32_t j = 0; j < 1024; j++)
			h_poke(pd + 4 * j, 4, h_peek(PD + 4 * j, 4));
	}
	struct shadow_stats s0 = CPU->shadow.stats;
	for (uint32_t i = 0; i < 9; i++) {
		cpu_set_cr3(CPU, 0x110000 + i * 0x1000);
		lin_read(CPU, LIN(0), 4, ACC_READ);
	}
	/* 9 new keys: 9 misses; with 8 contexts (PD's own among them) at least 2 evictions */
	EQ(CPU->shadow.stats.switch_misses - s0.switch_misses, 9);
	ck_assert(CPU->shadow.stats.evictions - s0.evictions >= 2);
	/* the 8 most recent are cached: switching back hits, and their entries survive */
	struct shadow_stats s1 = CPU->shadow.stats;
	for (uint32_t i = 1; i < 9; i++) {
		cpu_set_cr3(CPU, 0x110000 + i * 0x1000);
		ck_assert(entry(LIN(0), SC_SR) != 0);
	}
	EQ(CPU->shadow.stats.switch_misses - s1.switch_misses, 0);
	/* the least recently used one (space 0) was evicted: a miss, no entries */
	cpu_set_cr3(CPU, 0x110000);
	EQ(CPU->shadow.stats.switch_misses - s1.switch_misses, 1);
	EQ(entry(LIN(0), SC_SR), 0);
}
END_TEST

START_TEST(shared_page_table_across_contexts)
{
	setup();
	uint32_t pd2 = 0x120000;
	for (uint32_t j = 0; j < 1024; j++)
		h_poke(pd2 + 4 * j, 4, h_peek(PD + 4 * j, 4));
	lin_read(CPU, LIN(13), 4, ACC_READ);
	cpu_set_cr3(CPU, pd2);
	lin_read(CPU, LIN(13), 4, ACC_READ);
	/* a PTE write while pd2 is current drops the entry in both contexts */
	h_poke(PTE(13), 4, FRAME(14) | P | RW | US);
	EQ(lin_read(CPU, LIN(13), 4, ACC_READ), 0x100e);
	cpu_set_cr3(CPU, PD);
	EQ(lin_read(CPU, LIN(13), 4, ACC_READ), 0x100e);
}
END_TEST

START_TEST(page_becoming_a_page_table_loses_write_entries)
{
	setup();
	/* LIN(14) -> FRAME(14), written: a write entry to FRAME(14) */
	lin_write(CPU, LIN(14), 4, 0, ACC_WRITE);
	ck_assert(entry(LIN(14), SC_SW) != 0);
	/* FRAME(14) becomes the page table for 8-12 MiB */
	for (uint32_t j = 0; j < 1024; j++)
		h_poke(FRAME(14) + 4 * j, 4, 0);
	h_poke(FRAME(14), 4, FRAME(1) | P | RW);
	h_poke(PD + 8, 4, FRAME(14) | P | RW);
	EQ(lin_read(CPU, 0x800000, 4, ACC_READ), 0x1001);
	EQ(mem_page_flags(&M->mem, FRAME(14)) & PGF_TRACED, PGF_TRACED);
	EQ(slow_page(LIN(14), SC_SW), FRAME(14));   /* the fast write entry became slow */
	/* a write through the old data mapping now changes the mapping of 0x800000 */
	lin_write(CPU, LIN(14), 4, FRAME(2) | P | RW, ACC_WRITE);
	EQ(lin_read(CPU, 0x800000, 4, ACC_READ), 0x1002);
}
END_TEST

static uint32_t code_writes, code_write_pa;

static void on_code_write(void *opaque, uint32_t pa, unsigned len)
{
	(void)opaque;
	(void)len;
	code_writes++;
	code_write_pa = pa;
}

START_TEST(code_pages_get_no_write_entries)
{
	setup();
	M->mem.code_write = on_code_write;
	code_writes = 0;
	lin_write(CPU, LIN(7), 4, 1, ACC_WRITE);
	ck_assert(entry(LIN(7), SC_SW) != 0);
	/* the translator marks FRAME(7) as code: the write entry becomes slow, and
	 * every write from now on reaches the owner */
	shadow_set_code_page(&CPU->shadow, FRAME(7), true);
	EQ(slow_page(LIN(7), SC_SW), FRAME(7));
	lin_write(CPU, LIN(7) + 8, 4, 2, ACC_WRITE);
	EQ(slow_page(LIN(7), SC_SW), FRAME(7));
	EQ(code_writes, 1);
	EQ(code_write_pa, FRAME(7) + 8);
	EQ(h_peek(FRAME(7) + 8, 4), 2);
	/* reads are unaffected */
	EQ(lin_read(CPU, LIN(7) + 8, 4, ACC_READ), 2);
	/* unmarked: the slow entry goes and the next write fills a fast one */
	shadow_set_code_page(&CPU->shadow, FRAME(7), false);
	EQ(entry(LIN(7), SC_SW), SE_MISS);
	lin_write(CPU, LIN(7) + 8, 4, 3, ACC_WRITE);
	ck_assert_ptr_eq(fast_page(LIN(7), SC_SW), M->mem.ram + FRAME(7));
	EQ(code_writes, 1);
}
END_TEST

/* ---- slow entries: special pages are walked once ---- */

#define MMIO_BASE 0xfeb00000u
#define ROM_BASE  0xfec00000u

static unsigned dev_reads, dev_writes;
static uint32_t dev_addr, dev_value;
static unsigned dev_size;

static uint32_t dev_rd(void *opaque, uint32_t addr, unsigned size)
{
	(void)opaque;
	dev_reads++;
	dev_addr = addr;
	dev_size = size;
	return 0xab000000u | addr;
}

static void dev_wr(void *opaque, uint32_t addr, uint32_t v, unsigned size)
{
	(void)opaque;
	dev_writes++;
	dev_addr = addr;
	dev_value = v;
	dev_size = size;
}

static uint64_t walks(void)
{
	return CPU->shadow.stats.walks;
}

START_TEST(mmio_page_walks_once)
{
	setup();
	CPU->shadow.check = false;
	ck_assert_int_eq(mem_map_mmio(&M->mem, MMIO_BASE, 0x1000, dev_rd, dev_wr, NULL, "dev", MEM_WALL), 0);
	h_poke(PTE(16), 4, MMIO_BASE | P | RW | US);
	dev_reads = dev_writes = 0;
	uint64_t w0 = walks();
	/* the first read walks and installs a slow entry holding the physical page */
	EQ(lin_read(CPU, LIN(16) + 0x10, 4, ACC_READ), 0xab000010u);
	EQ(walks() - w0, 1);
	EQ(slow_page(LIN(16), SC_SR), MMIO_BASE);
	/* the second reaches the device without a walk */
	EQ(lin_read(CPU, LIN(16) + 0x20, 2, ACC_READ), 0x0020);
	EQ(dev_reads, 2);
	EQ(dev_addr, 0x20);
	EQ(dev_size, 2);
	EQ(walks() - w0, 1);
	/* writes: one walk for the write class, then none */
	lin_write(CPU, LIN(16) + 0x30, 4, 0x12345678, ACC_WRITE);
	lin_write(CPU, LIN(16) + 0x34, 2, 0x5678, ACC_WRITE);
	EQ(dev_writes, 2);
	EQ(dev_addr, 0x34);
	EQ(dev_value, 0x5678);
	EQ(walks() - w0, 2);
	EQ(slow_page(LIN(16), SC_SW), MMIO_BASE);
	/* a fetch uses the read entry: no host pointer, no walk */
	ck_assert_ptr_null(lin_fetch_ptr(CPU, LIN(16)));
	EQ(walks() - w0, 2);
	/* slow entries go exactly when fast ones would: INVLPG ... */
	shadow_invlpg(&CPU->shadow, LIN(16));
	EQ(entry(LIN(16), SC_SR), SE_MISS);
	EQ(entry(LIN(16), SC_SW), SE_MISS);
	EQ(lin_read(CPU, LIN(16), 4, ACC_READ), 0xab000000u);
	EQ(walks() - w0, 3);
	/* ... a PTE write ... */
	h_poke(PTE(16), 4, FRAME(2) | P | RW | US);
	EQ(entry(LIN(16), SC_SR), SE_MISS);
	EQ(lin_read(CPU, LIN(16), 4, ACC_READ), 0x1002);
	EQ(dev_reads, 3);
	/* ... and a change of the memory map */
	h_poke(PTE(16), 4, MMIO_BASE | P | RW | US);
	EQ(lin_read(CPU, LIN(16), 4, ACC_READ), 0xab000000u);
	ck_assert_int_eq(mem_unmap(&M->mem, MMIO_BASE), 0);
	EQ(entry(LIN(16), SC_SR), SE_MISS);
	EQ(lin_read(CPU, LIN(16), 4, ACC_READ), 0xffffffffu);   /* unassigned now */
	EQ(dev_reads, 4);
}
END_TEST

START_TEST(rom_and_unassigned_pages)
{
	setup();
	CPU->shadow.check = false;
	static uint8_t rom[0x1000];
	rom[0x10] = 0x5a;
	ck_assert_int_eq(mem_map_rom(&M->mem, ROM_BASE, rom, sizeof rom, "rom"), 0);
	h_poke(PTE(18), 4, ROM_BASE | P | RW | US);
	h_poke(PTE(19), 4, 0x40000000u | P | RW | US);   /* past RAM, nothing there */
	uint64_t w0 = walks();
	/* ROM reads are fast (the page-aligned copy), writes slow and dropped */
	EQ(lin_read(CPU, LIN(18) + 0x10, 1, ACC_READ), 0x5a);
	ck_assert(shadow_entry_fast(entry(LIN(18), SC_SR)));
	EQ((uintptr_t)fast_page(LIN(18), SC_SR) & 0xfff, 0);
	lin_write(CPU, LIN(18) + 0x10, 1, 0x11, ACC_WRITE);
	lin_write(CPU, LIN(18) + 0x10, 1, 0x22, ACC_WRITE);
	EQ(slow_page(LIN(18), SC_SW), ROM_BASE);
	EQ(lin_read(CPU, LIN(18) + 0x10, 1, ACC_READ), 0x5a);
	EQ(walks() - w0, 2);
	/* an unassigned page reads as all-ones, through a slow entry */
	EQ(lin_read(CPU, LIN(19) + 8, 4, ACC_READ), 0xffffffffu);
	EQ(lin_read(CPU, LIN(19) + 12, 4, ACC_READ), 0xffffffffu);
	EQ(slow_page(LIN(19), SC_SR), 0x40000000u);
	EQ(walks() - w0, 3);
}
END_TEST

START_TEST(traced_page_writes_walk_once)
{
	setup();
	CPU->shadow.check = false;
	h_poke(PTE(15), 4, PT | P | RW | US);          /* LIN(15): the page table as data */
	lin_read(CPU, LIN(3), 4, ACC_READ);
	lin_read(CPU, LIN(4), 4, ACC_READ);
	uint64_t w0 = walks();
	/* the first write walks; its entry is slow, leading to the page table */
	lin_write(CPU, LIN(15) + 4 * 3, 4, FRAME(8) | P | RW | US, ACC_WRITE);
	EQ(walks() - w0, 1);
	EQ(slow_page(LIN(15), SC_SW), PT);
	EQ(entry(LIN(3), SC_SR), SE_MISS);             /* the entry of the PTE written went */
	ck_assert_ptr_eq(fast_page(LIN(4), SC_SR), M->mem.ram + FRAME(4));   /* its neighbour stayed */
	/* the second does not walk, and drops exactly the entry of its PTE */
	lin_write(CPU, LIN(15) + 4 * 4, 4, FRAME(9) | P | RW | US, ACC_WRITE);
	EQ(walks() - w0, 1);
	EQ(entry(LIN(4), SC_SR), SE_MISS);
	EQ(slow_page(LIN(15), SC_SW), PT);
	EQ(lin_read(CPU, LIN(3), 4, ACC_READ), 0x1008);
	EQ(lin_read(CPU, LIN(4), 4, ACC_READ), 0x1009);
	EQ(CPU->shadow.stats.traced_writes >= 2, 1);
}
END_TEST

START_TEST(page_leaving_tracing_gets_fast_writes_again)
{
	setup();
	CPU->shadow.check = false;
	/* PT is seen as data at linear PT (the 4 MiB identity page of PDE 0) */
	lin_read(CPU, LIN(3), 4, ACC_READ);
	lin_write(CPU, PT + 4 * 100, 4, 0, ACC_WRITE);
	EQ(slow_page(PT, SC_SW), PT);
	/* the directory stops using PT; PT stays traced until it is written */
	h_poke(PD + 4, 4, 0);
	EQ(mem_page_flags(&M->mem, PT) & PGF_TRACED, PGF_TRACED);
	/* that write finds it no page table any more: the flag and the slow entry go */
	lin_write(CPU, PT + 4 * 101, 4, 0, ACC_WRITE);
	EQ(mem_page_flags(&M->mem, PT) & PGF_TRACED, 0);
	EQ(entry(PT, SC_SW), SE_MISS);
	/* and the next write fills a fast entry */
	lin_write(CPU, PT + 4 * 102, 4, 0x77, ACC_WRITE);
	ck_assert_ptr_eq(fast_page(PT, SC_SW), M->mem.ram + PT);
	EQ(h_peek(PT + 4 * 102, 4), 0x77);
}
END_TEST

START_TEST(code_page_writes_reach_the_owner_every_time)
{
	setup();
	CPU->shadow.check = false;
	M->mem.code_write = on_code_write;
	code_writes = 0;
	lin_write(CPU, LIN(6), 4, 1, ACC_WRITE);
	ck_assert_ptr_eq(fast_page(LIN(6), SC_SW), M->mem.ram + FRAME(6));
	shadow_set_code_page(&CPU->shadow, FRAME(6), true);
	EQ(CPU->shadow.stats.slowed >= 1, 1);
	/* the fast write entry became slow: every write reaches the owner, none walks */
	uint64_t w0 = walks();
	for (uint32_t i = 0; i < 5; i++)
		lin_write(CPU, LIN(6) + 4 * i, 4, 0x100 + i, ACC_WRITE);
	EQ(code_writes, 5);
	EQ(code_write_pa, FRAME(6) + 16);
	EQ(h_peek(FRAME(6) + 16, 4), 0x104);
	EQ(walks() - w0, 0);
	/* a mapping first written after the page became code: slow too */
	h_poke(PTE(17), 4, FRAME(6) | P | RW | US);
	lin_write(CPU, LIN(17) + 0x40, 4, 7, ACC_WRITE);
	EQ(slow_page(LIN(17), SC_SW), FRAME(6));
	EQ(code_writes, 6);
	/* the user write class as well */
	CPU->cpl = 3;
	lin_write(CPU, LIN(6) + 0x44, 4, 8, ACC_WRITE);
	lin_write(CPU, LIN(6) + 0x48, 4, 9, ACC_WRITE);
	CPU->cpl = 0;
	EQ(slow_page(LIN(6), SC_UW), FRAME(6));
	EQ(code_writes, 8);
	/* REP STOSD into the page: the string fast path declines, each element
	 * reaches the owner */
	EDI = LIN(6) + 0x100;
	ECX = 4;
	EAX = 0xdeadbeef;
	CPU->eflags &= ~F_DF;
	EXEC(0xf3, 0xab);   /* rep stosd */
	EQ(ECX, 0);
	EQ(code_writes, 12);
	EQ(h_peek(FRAME(6) + 0x10c, 4), 0xdeadbeef);
	/* reads stay fast */
	ck_assert(shadow_entry_fast(entry(LIN(6), SC_SR)) || entry(LIN(6), SC_SR) == SE_MISS);
	EQ(lin_read(CPU, LIN(6) + 0x48, 4, ACC_READ), 9);
	ck_assert(shadow_entry_fast(entry(LIN(6), SC_SR)));
}
END_TEST

START_TEST(check_mmu_reports_a_wrong_entry)
{
	setup();
	/* --check-mmu is on: forge a fast write entry for the (traced) page table */
	h_poke(PTE(15), 4, PT | P | RW | US | A | D);
	lin_read(CPU, LIN(15), 4, ACC_READ);
	intptr_t *e = &CPU->stab[(size_t)(LIN(15) >> 12) * SC_COUNT];
	e[SC_SW] = e[SC_SR];
	lin_write(CPU, LIN(15) + 4 * 3, 4, h_peek(PTE(3), 4), ACC_WRITE);
	ck_assert(CPU->shadow.check_failed);
	ck_assert(CPU->exit_req & CPU_REQ_STOP);
	ck_assert_msg(strstr(CPU->shadow.check_report, "fast entry"), "%s", CPU->shadow.check_report);
	/* and a slow entry where the host pointer could serve */
	CPU->shadow.check_failed = false;
	cpu_clear_request(CPU, CPU_REQ_STOP);
	lin_read(CPU, LIN(5), 4, ACC_READ);
	e = &CPU->stab[(size_t)(LIN(5) >> 12) * SC_COUNT];
	e[SC_SR] = (intptr_t)((uintptr_t)FRAME(5) - LIN(5)) | SE_MAPPED | SE_SLOW;
	EQ(lin_read(CPU, LIN(5), 4, ACC_READ), 0x1005);   /* still right, through the dispatch */
	ck_assert(CPU->shadow.check_failed);
	ck_assert_msg(strstr(CPU->shadow.check_report, "slow entry"), "%s", CPU->shadow.check_report);
	CPU->shadow.check_failed = false;   /* for the fixture's own check */
	cpu_clear_request(CPU, CPU_REQ_STOP);
}
END_TEST

START_TEST(no_paging_context)
{
	h_flat32();
	EQ(lin_read(CPU, FRAME(0), 4, ACC_READ), 0);
	ck_assert_ptr_eq(fast_page(FRAME(0), SC_SR), M->mem.ram + FRAME(0));
	/* the A20 gate: closed maps 1 MiB + x to x; the entries are flushed */
	h_poke(0x100010, 4, 0x11);
	h_poke(0x000010, 4, 0x22);
	EQ(lin_read(CPU, 0x100010, 4, ACC_READ), 0x11);
	cpu_set_a20(CPU, false);
	EQ(lin_read(CPU, 0x100010, 4, ACC_READ), 0x22);
}
END_TEST

Suite *shadow_suite(void)
{
	Suite *s = suite_create("shadow");
	TCase *tc = h_tcase("shadow");
	tcase_add_test(tc, fill_installs_one_class);
	tcase_add_test(tc, accessed_on_read_dirty_on_write_entry);
	tcase_add_test(tc, cleared_dirty_bit_is_set_again);
	tcase_add_test(tc, page_tables_are_traced);
	tcase_add_test(tc, pte_write_drops_exactly_its_page);
	tcase_add_test(tc, pde_write_drops_its_4mib);
	tcase_add_test(tc, large_page);
	tcase_add_test(tc, wp_selects_the_context);
	tcase_add_test(tc, user_supervisor_classes);
	tcase_add_test(tc, invlpg_drops_one_page);
	tcase_add_test(tc, context_lru);
	tcase_add_test(tc, shared_page_table_across_contexts);
	tcase_add_test(tc, page_becoming_a_page_table_loses_write_entries);
	tcase_add_test(tc, code_pages_get_no_write_entries);
	tcase_add_test(tc, no_paging_context);
	suite_add_tcase(s, tc);

	tc = h_tcase("slow_entries");
	tcase_add_test(tc, mmio_page_walks_once);
	tcase_add_test(tc, rom_and_unassigned_pages);
	tcase_add_test(tc, traced_page_writes_walk_once);
	tcase_add_test(tc, page_leaving_tracing_gets_fast_writes_again);
	tcase_add_test(tc, code_page_writes_reach_the_owner_every_time);
	tcase_add_test(tc, check_mmu_reports_a_wrong_entry);
	suite_add_tcase(s, tc);
	return s;
}

/* Unit-test harness: see harness.h. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

struct machine *M;

/* descriptor dwords (SDM Vol. 3 3.4.5): flat, limit 0xfffff, G = 1, D/B = 1 */
#define DESC_HI_FLAT(dpl, type) (0x00cf9000u | ((uint32_t)(dpl) << 13) | ((uint32_t)(type) << 8))

static void seg_flat(struct seg *s, uint16_t sel, unsigned dpl, bool code)
{
	s->sel = sel;
	s->valid = 1;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->attr = SA_P | SA_S | SA_DB | SA_G | (dpl << SA_DPL_SHIFT) | (code ? 0xbu : 0x3u);
}

static void seg_real(struct seg *s, bool code)
{
	s->sel = 0;
	s->valid = 1;
	s->base = 0;
	s->limit = 0xffff;
	s->attr = SA_P | SA_S | (code ? 0xbu : 0x3u);
}

void h_setup(void)
{
	h_setup_ram(RAM_SIZE);
}

void h_setup_ram(uint32_t ram_size)
{
	if (M)
		h_teardown();
	M = calloc(1, sizeof(*M));
	ck_assert_ptr_nonnull(M);
	ck_assert_int_eq(mem_init(&M->mem, ram_size), 0);
	ck_assert_msg(cpu_init(&M->cpu, &M->mem) == 0, "cpu_init failed");
	/* every test runs with --check-mmu: each shadow hit is compared with a walk */
	M->cpu.shadow.check = true;

	/* fault stubs and the real-mode IVT: vector v -> 0000:(STUB_BASE + v) */
	for (unsigned v = 0; v < 32; v++) {
		h_poke(STUB_BASE + v, 1, 0xf4);   /* HLT */
		h_poke(v * 4, 4, STUB_BASE + v);
	}
	/* GDT: null, code0, data0, code3, data3, TSS */
	h_poke(GDT_ADDR + 0x08, 4, 0x0000ffffu);
	h_poke(GDT_ADDR + 0x0c, 4, DESC_HI_FLAT(0, 0xb));
	h_poke(GDT_ADDR + 0x10, 4, 0x0000ffffu);
	h_poke(GDT_ADDR + 0x14, 4, DESC_HI_FLAT(0, 0x3));
	h_poke(GDT_ADDR + 0x18, 4, 0x0000ffffu);
	h_poke(GDT_ADDR + 0x1c, 4, DESC_HI_FLAT(3, 0xb));
	h_poke(GDT_ADDR + 0x20, 4, 0x0000ffffu);
	h_poke(GDT_ADDR + 0x24, 4, DESC_HI_FLAT(3, 0x3));
	h_poke(GDT_ADDR + 0x28, 4, (TSS_ADDR << 16) | 0x67);
	h_poke(GDT_ADDR + 0x2c, 4, 0x00008b00u);   /* P, 32-bit TSS (busy) */
	/* TSS: ESP0, SS0 */
	h_poke(TSS_ADDR + 4, 4, STACK0_TOP);
	h_poke(TSS_ADDR + 8, 4, SEL_DATA0);
	/* IDT: 32-bit interrupt gates, DPL 3, to SEL_CODE0:STUB_BASE + v */
	for (unsigned v = 0; v < 32; v++) {
		uint32_t off = STUB_BASE + v;
		h_poke(IDT_ADDR + v * 8, 4, ((uint32_t)SEL_CODE0 << 16) | (off & 0xffff));
		h_poke(IDT_ADDR + v * 8 + 4, 4, (off & 0xffff0000u) | 0xee00u);
	}
	h_real_mode();
}

void h_teardown(void)
{
	if (!M)
		return;
	ck_assert_msg(!M->cpu.shadow.check_failed, "%s", M->cpu.shadow.check_report);
	cpu_free(&M->cpu);
	mem_free(&M->mem);
	free(M);
	M = NULL;
}

TCase *h_tcase(const char *name)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, h_setup, h_teardown);
	return tc;
}

void h_real_mode(void)
{
	struct cpu *c = CPU;
	cpu_set_cr0(c, c->cr0 & ~(CPU_CR0_PE | CPU_CR0_PG));
	c->cpl = 0;
	for (int i = 0; i < 6; i++)
		seg_real(&c->seg[i], i == S_CS);
	c->idtr.base = 0;
	c->idtr.limit = 0x3ff;
	c->eflags = 0x2;
	c->eip = CODE_ADDR;
	c->r[R_ESP] = STACK_TOP;
}

void h_flat32(void)
{
	struct cpu *c = CPU;
	cpu_set_cr0(c, c->cr0 | CPU_CR0_PE);
	c->cpl = 0;
	for (int i = 0; i < 6; i++)
		seg_flat(&c->seg[i], i == S_CS ? SEL_CODE0 : SEL_DATA0, 0, i == S_CS);
	c->gdtr.base = GDT_ADDR;
	c->gdtr.limit = 0x2f;
	c->idtr.base = IDT_ADDR;
	c->idtr.limit = 32 * 8 - 1;
	c->tr.sel = SEL_TSS;
	c->tr.valid = 1;
	c->tr.base = TSS_ADDR;
	c->tr.limit = 0x67;
	c->tr.attr = SA_P | 0xb;
	c->ldtr.sel = 0;
	c->ldtr.valid = 0;
	c->eflags = 0x2;
	c->eip = CODE_ADDR;
	c->r[R_ESP] = STACK_TOP;
}

void h_flat32_user(void)
{
	struct cpu *c = CPU;
	h_flat32();
	for (int i = 0; i < 6; i++)
		seg_flat(&c->seg[i], (i == S_CS ? SEL_CODE3 : SEL_DATA3) | 3, 3, i == S_CS);
	c->cpl = 3;
}

void h_poke(uint32_t pa, unsigned size, uint32_t v)
{
	ck_assert_uint_le(pa + size, M->mem.ram_size);
	/* through the physical dispatch, as a device would write: a write to a
	 * page holding page tables is seen by the shadow MMU */
	for (unsigned i = 0; i < size; i++)
		mem_write_phys(&M->mem, pa + i, (v >> (8 * i)) & 0xff, 1);
}

uint32_t h_peek(uint32_t pa, unsigned size)
{
	uint32_t v = 0;
	ck_assert_uint_le(pa + size, M->mem.ram_size);
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)M->mem.ram[pa + i] << (8 * i);
	return v;
}

void h_poke_bytes(uint32_t pa, const uint8_t *b, size_t n)
{
	ck_assert_uint_le(pa + n, M->mem.ram_size);
	memcpy(M->mem.ram + pa, b, n);
}

void h_code(const uint8_t *b, size_t n)
{
	h_poke_bytes(CODE_ADDR, b, n);
	CPU->eip = CODE_ADDR;
}

enum cpu_exit h_step(void)
{
	return cpu_step(CPU);
}

int h_vector(void)
{
	const struct cpu *c = CPU;
	uint16_t cs = cpu_protected(c) ? SEL_CODE0 : 0;
	if (c->seg[S_CS].sel != cs || c->eip < STUB_BASE || c->eip >= STUB_BASE + 32)
		return -1;
	return (int)(c->eip - STUB_BASE);
}

uint32_t h_error_code(void)
{
	return h_peek(CPU->seg[S_SS].base + CPU->r[R_ESP], 4);
}

void h_exec(const uint8_t *b, size_t n, const char *file, int line)
{
	h_code(b, n);
	uint32_t start = CPU->eip;
	h_step();
	int v = h_vector();
	ck_assert_msg(v < 0, "%s:%d: unexpected exception %d", file, line, v);
	ck_assert_msg(CPU->eip == start + n, "%s:%d: EIP = 0x%x, expected 0x%x (length %u)",
		      file, line, CPU->eip, (unsigned)(start + n), (unsigned)n);
}

void h_exec_branch(const uint8_t *b, size_t n, const char *file, int line)
{
	h_code(b, n);
	h_step();
	int v = h_vector();
	ck_assert_msg(v < 0, "%s:%d: unexpected exception %d", file, line, v);
}

int h_exec_fault(const uint8_t *b, size_t n)
{
	h_code(b, n);
	h_step();
	return h_vector();
}

void h_set_flags(uint32_t f)
{
	CPU->eflags = (CPU->eflags & ~(uint32_t)F_OSZAPC) | (f & F_OSZAPC) | 2;
}

static void flag_names(char *buf, uint32_t f, uint32_t mask)
{
	static const struct { uint32_t bit; const char *name; } n[] = {
		{ F_OF, "OF" }, { F_DF, "DF" }, { F_IF, "IF" }, { F_TF, "TF" }, { F_SF, "SF" },
		{ F_ZF, "ZF" }, { F_AF, "AF" }, { F_PF, "PF" }, { F_CF, "CF" },
	};
	buf[0] = 0;
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
		if (!(mask & n[i].bit))
			continue;
		strcat(buf, (f & n[i].bit) ? n[i].name : "--");
		strcat(buf, " ");
	}
}

void h_check_flags(uint32_t mask, uint32_t expected, const char *file, int line)
{
	uint32_t got = CPU->eflags & mask;
	char g[64], e[64];
	flag_names(g, got, mask);
	flag_names(e, expected & mask, mask);
	ck_assert_msg(got == (expected & mask), "%s:%d: flags [%s], expected [%s]", file, line, g, e);
}

bool sdm_cond(unsigned cc, uint32_t f)
{
	bool of = f & F_OF, cf = f & F_CF, zf = f & F_ZF, sf = f & F_SF, pf = f & F_PF;
	bool r;
	switch (cc >> 1) {
	case 0: r = of; break;                  /* O */
	case 1: r = cf; break;                  /* B/C/NAE */
	case 2: r = zf; break;                  /* E/Z */
	case 3: r = cf || zf; break;            /* BE/NA */
	case 4: r = sf; break;                  /* S */
	case 5: r = pf; break;                  /* P/PE */
	case 6: r = sf != of; break;            /* L/NGE */
	default: r = zf || sf != of; break;     /* LE/NG */
	}
	return (cc & 1) ? !r : r;               /* odd codes: the negation */
}

uint32_t flag_combo(unsigned i)
{
	return ((i & 1) ? F_OF : 0) | ((i & 2) ? F_CF : 0) | ((i & 4) ? F_ZF : 0) |
	       ((i & 8) ? F_SF : 0) | ((i & 16) ? F_PF : 0);
}

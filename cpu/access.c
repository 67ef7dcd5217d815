/*
 * Guest memory accesses from the interpreter: segmentation checks (SDM Vol. 3
 * 5.3-5.6), linear accesses through the page walker, ModRM operands and the stack.
 */
#include "interp.h"
#include "memlog.h"

/* ---- linear accesses through the shadow page tables (mmu/shadow.h) ----
 * Fast path: one table load and one compare give the host address.  A miss,
 * a slow entry (and every hit under --check-mmu) go to lin_translate_slow
 * (paging.c), which fills a missing entry from a walk of the guest page tables
 * (raising #PF) and returns the host pointer, or NULL with the physical
 * address for accesses that must go through the physical dispatch (MMIO,
 * unassigned, writes to ROM or to pages holding page tables or translated
 * code); a slow entry gives that address without a walk. */

/* Host pointer for the byte at lin, or NULL with *pa set for the slow path. */
static inline uint8_t *translate(struct cpu *cpu, uint32_t lin, int acc, uint32_t *pa)
{
	intptr_t e = cpu->stab[(size_t)(lin >> 12) * SC_COUNT + shadow_class(mmu_access(cpu, acc))];
	if (__builtin_expect(shadow_entry_fast(e) && !cpu->shadow.check, 1))
		return shadow_entry_host(e, lin);
	return lin_translate_slow(cpu, lin, acc, pa);
}

static inline uint32_t load(const uint8_t *p, unsigned size)
{
	if (size == 1)
		return *p;
	if (size == 2)
		return (uint32_t)p[0] | (uint32_t)p[1] << 8;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void store(uint8_t *p, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- the slow path's physical accesses, through the lockstep log when one
 * is active (memlog.h) ---- */
static uint32_t phys_read(struct cpu *cpu, uint32_t pa, unsigned size)
{
	struct memlog *ml = cpu->memlog;
	if (__builtin_expect(ml == NULL, 1))
		return mem_read_phys(cpu->mem, pa, size);
	uint32_t v;
	if (memlog_dev_read(ml, MLIO_MMIO_READ, pa, size, &v)) {
		v = mem_read_phys(cpu->mem, pa, size);
		memlog_dev_record_read(ml, MLIO_MMIO_READ, pa, size, v);
	}
	return v;
}

static void phys_write(struct cpu *cpu, uint32_t pa, uint32_t v, unsigned size)
{
	struct memlog *ml = cpu->memlog;
	if (__builtin_expect(ml != NULL, 0)) {
		uint8_t *ram = mem_ram_ptr(cpu->mem, pa);
		if (ram)
			memlog_ram_write(ml, pa, ram, size, v, false);
		else if (!memlog_dev_write(ml, MLIO_MMIO_WRITE, pa, size, v))
			return;
	}
	mem_write_phys(cpu->mem, pa, v, size);
}

/* port I/O under the lockstep log (interp.h's cpu_io_in/cpu_io_out) */
uint32_t cpu_io_in_logged(struct cpu *cpu, uint16_t port, unsigned size)
{
	uint32_t v;
	if (memlog_dev_read(cpu->memlog, MLIO_IN, port, size, &v)) {
		v = io_in(cpu->mem, port, size);
		memlog_dev_record_read(cpu->memlog, MLIO_IN, port, size, v);
	}
	return v;
}

void cpu_io_out_logged(struct cpu *cpu, uint16_t port, uint32_t v, unsigned size)
{
	if (memlog_dev_write(cpu->memlog, MLIO_OUT, port, size, v))
		io_out(cpu->mem, port, v, size);
}

static inline void ram_store(struct cpu *cpu, uint8_t *p, unsigned size, uint32_t v)
{
	if (__builtin_expect(cpu->memlog != NULL, 0))
		memlog_ram_write(cpu->memlog, (uint32_t)(p - cpu->mem->ram), p, size, v, false);
	store(p, size, v);
}

/* A traced access that crosses a page: one record per page */
static void trace_split(struct cpu *cpu, uint32_t lin, unsigned size, uint32_t v, bool write,
			const uint8_t *p0, uint32_t pa0, const uint8_t *p1, uint32_t pa1)
{
	unsigned n0 = 0x1000 - (lin & 0xfff);
	trace_mem(cpu, lin, p0, pa0, n0, v & ((1u << (8 * n0)) - 1), write);
	trace_mem(cpu, lin + n0, p1, pa1, size - n0, v >> (8 * n0), write);
}

uint32_t lin_read(struct cpu *cpu, uint32_t lin, unsigned size, int acc)
{
	uint32_t pa;
	if ((lin & 0xfff) + size <= 0x1000) {
		const uint8_t *p = translate(cpu, lin, acc, &pa);
		uint32_t v = p ? load(p, size) : phys_read(cpu, pa, size);
		if (__builtin_expect(cpu->trace_rec & TRACE_W_MEM, 0) && !(acc & ACC_EXEC))
			trace_mem(cpu, lin, p, pa, size, v, false);
		return v;
	}
	/* crosses a page: both pages are translated (and may fault) before any byte is read */
	uint32_t lin1 = (lin | 0xfff) + 1, pa0, pa1;
	const uint8_t *p0 = translate(cpu, lin, acc, &pa0);
	const uint8_t *p1 = translate(cpu, lin1, acc, &pa1);
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint32_t l = lin + i;
		uint32_t b;
		if (l < lin1)
			b = p0 ? p0[i] : phys_read(cpu, pa0 + i, 1);
		else
			b = p1 ? p1[l - lin1] : phys_read(cpu, pa1 + (l - lin1), 1);
		v |= b << (8 * i);
	}
	if (__builtin_expect(cpu->trace_rec & TRACE_W_MEM, 0) && !(acc & ACC_EXEC))
		trace_split(cpu, lin, size, v, false, p0, pa0, p1, pa1);
	return v;
}

void lin_probe_write(struct cpu *cpu, uint32_t lin, unsigned size, int acc)
{
	uint32_t pa;
	translate(cpu, lin, acc | ACC_WRITE, &pa);
	/* the part in the next page starts at its first byte: that is CR2 on a fault */
	if ((lin & 0xfff) + size > 0x1000)
		translate(cpu, (lin | 0xfff) + 1, acc | ACC_WRITE, &pa);
}

void lin_write(struct cpu *cpu, uint32_t lin, unsigned size, uint32_t v, int acc)
{
	uint32_t pa;
	acc |= ACC_WRITE;
	if ((lin & 0xfff) + size <= 0x1000) {
		uint8_t *p = translate(cpu, lin, acc, &pa);
		if (p)
			ram_store(cpu, p, size, v);
		else
			phys_write(cpu, pa, v, size);
		if (__builtin_expect(cpu->trace_rec & TRACE_W_MEM, 0))
			trace_mem(cpu, lin, p, pa, size, v & (size == 4 ? ~0u : (1u << (8 * size)) - 1), true);
		return;
	}
	uint32_t lin1 = (lin | 0xfff) + 1, pa0, pa1;
	uint8_t *p0 = translate(cpu, lin, acc, &pa0);
	uint8_t *p1 = translate(cpu, lin1, acc, &pa1);
	for (unsigned i = 0; i < size; i++) {
		uint32_t l = lin + i;
		uint32_t b = (v >> (8 * i)) & 0xff;
		if (l < lin1) {
			if (p0)
				ram_store(cpu, p0 + i, 1, b);
			else
				phys_write(cpu, pa0 + i, b, 1);
		} else {
			if (p1)
				ram_store(cpu, p1 + (l - lin1), 1, b);
			else
				phys_write(cpu, pa1 + (l - lin1), b, 1);
		}
	}
	if (__builtin_expect(cpu->trace_rec & TRACE_W_MEM, 0))
		trace_split(cpu, lin, size, v, true, p0, pa0, p1, pa1);
}

/* lin_fetch_ptr's slow path (interp.h) */
const uint8_t *lin_fetch_slow(struct cpu *cpu, uint32_t lin)
{
	uint32_t pa;
	return translate(cpu, lin, ACC_EXEC, &pa);
}

uint8_t *lin_host_ptr(struct cpu *cpu, uint32_t lin, int acc)
{
	uint32_t pa;
	if (cpu->memlog)
		return NULL;   /* every access through lin_read/lin_write, logged */
	return translate(cpu, lin, acc, &pa);
}

static _Noreturn void seg_fault(struct cpu *cpu, int sreg)
{
	cpu_raise(cpu, sreg == S_SS ? EX_SS : EX_GP, 0);
}

/* Limit and type checks for an access of size bytes at offset off. */
uint32_t seg_check(struct cpu *cpu, int sreg, uint32_t off, unsigned size, int acc)
{
	const struct seg *s = &cpu->seg[sreg];
	uint32_t last = off + size - 1;
	if (cpu_protected(cpu) && !cpu_v86(cpu)) {
		if (!s->valid)
			seg_fault(cpu, sreg);
		uint32_t type = s->attr & SA_TYPE;
		if (acc & ACC_WRITE) {
			/* only writable data segments */
			if ((type & 8) || !(type & 2))
				seg_fault(cpu, sreg);
		} else if (!(acc & ACC_EXEC)) {
			/* execute-only code cannot be read */
			if ((type & 8) && !(type & 2))
				seg_fault(cpu, sreg);
		}
		if (!(type & 8) && (type & 4)) {
			/* expand-down: valid offsets are limit+1 .. 0xffff or 0xffffffff */
			uint32_t upper = (s->attr & SA_DB) ? 0xffffffffu : 0xffffu;
			if (off <= s->limit || last > upper || last < off)
				seg_fault(cpu, sreg);
			return s->base + off;
		}
	}
	if (last > s->limit || last < off)
		seg_fault(cpu, sreg);
	return s->base + off;
}

uint32_t vread(struct cpu *cpu, int sreg, uint32_t off, unsigned size)
{
	return lin_read(cpu, seg_check(cpu, sreg, off, size, ACC_READ), size, ACC_READ);
}

void vwrite(struct cpu *cpu, int sreg, uint32_t off, unsigned size, uint32_t v)
{
	lin_write(cpu, seg_check(cpu, sreg, off, size, ACC_WRITE), size, v, ACC_WRITE);
}

uint64_t vread64(struct cpu *cpu, int sreg, uint32_t off)
{
	uint32_t lin = seg_check(cpu, sreg, off, 8, ACC_READ);
	uint64_t lo = lin_read(cpu, lin, 4, ACC_READ);
	return lo | (uint64_t)lin_read(cpu, lin + 4, 4, ACC_READ) << 32;
}

uint32_t ea_offset(const struct cpu *cpu, const struct insn *in)
{
	uint32_t a = in->disp;
	if (in->ea_base >= 0)
		a += cpu->r[in->ea_base];
	if (in->ea_index >= 0)
		a += cpu->r[in->ea_index] << in->ea_scale;
	return in->asize == 2 ? (a & 0xffff) : a;
}

uint32_t rm_read(struct cpu *cpu, const struct insn *in, unsigned size)
{
	if (!INSN_MEMOP(in))
		return reg_read(cpu, INSN_RM(in), size);
	return vread(cpu, in->seg, ea_offset(cpu, in), size);
}

void rm_write(struct cpu *cpu, const struct insn *in, unsigned size, uint32_t v)
{
	if (!INSN_MEMOP(in)) {
		reg_write(cpu, INSN_RM(in), size, v);
		return;
	}
	vwrite(cpu, in->seg, ea_offset(cpu, in), size, v);
}

void push(struct cpu *cpu, unsigned size, uint32_t v)
{
	if (stack32(cpu)) {
		uint32_t esp = cpu->r[R_ESP] - size;
		vwrite(cpu, S_SS, esp, size, v);
		cpu->r[R_ESP] = esp;
	} else {
		uint16_t sp = (uint16_t)(cpu->r[R_ESP] - size);
		vwrite(cpu, S_SS, sp, size, v);
		cpu->r[R_ESP] = (cpu->r[R_ESP] & 0xffff0000u) | sp;
	}
}

uint32_t pop(struct cpu *cpu, unsigned size)
{
	uint32_t v;
	if (stack32(cpu)) {
		v = vread(cpu, S_SS, cpu->r[R_ESP], size);
		cpu->r[R_ESP] += size;
	} else {
		uint16_t sp = (uint16_t)cpu->r[R_ESP];
		v = vread(cpu, S_SS, sp, size);
		cpu->r[R_ESP] = (cpu->r[R_ESP] & 0xffff0000u) | (uint16_t)(sp + size);
	}
	return v;
}

uint32_t stack_peek(struct cpu *cpu, uint32_t off, unsigned size)
{
	uint32_t a = cpu->r[R_ESP] + off;
	if (!stack32(cpu))
		a &= 0xffff;
	return vread(cpu, S_SS, a, size);
}

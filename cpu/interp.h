/*
 * Internal interface of the interpreter: what instruction handlers use.
 *
 * Every handler has the signature  void h_NAME(struct cpu *cpu, const struct insn *in)
 * and is named in the HANDLER column of cpu/opcodes.def.  On entry cpu->eip is the
 * address of the instruction (its first prefix) and cpu->next_eip the address after
 * it; a handler that branches writes cpu->next_eip.  A fault must leave the
 * instruction without effect.  The run loop restores ESP and EFLAGS on a fault,
 * so a handler may compute flags (and move ESP) before its last access that can
 * fault; every other register, segment register and system state must not change
 * before it.  Helpers that the translator will call live here too.
 */
#ifndef SHADE86_INTERP_H
#define SHADE86_INTERP_H

#include "cpu.h"
#include "decode.h"
#include "../mmu/mem.h"
#include "trace.h"

#include "exec.h"

#define OP(nm, map, opc, match, mnem, operands, fr, fw, fu, attr, feat, handler) \
	handler_fn h_##handler;
#include "opcodes.def"
#undef OP

/* ---- access kinds ---- */
enum {
	ACC_READ = 0,
	ACC_WRITE = 1,
	ACC_EXEC = 2,
	ACC_SUPER = 4,   /* implicit supervisor access (descriptor tables, TSS): ignores CPL */
	ACC_NOFAULT = 8, /* probe only: return with failure instead of raising */
};

/* ---- registers ---- */
static inline uint32_t size_mask(unsigned size)
{
	return size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
}

/* size 1 uses the AL CL DL BL AH CH DH BH numbering */
static inline uint32_t reg_read(const struct cpu *cpu, unsigned r, unsigned size)
{
	if (size == 1)
		return r < 4 ? cpu->r[r] & 0xff : (cpu->r[r - 4] >> 8) & 0xff;
	return cpu->r[r] & size_mask(size);
}

static inline void reg_write(struct cpu *cpu, unsigned r, unsigned size, uint32_t v)
{
	if (size == 4)
		cpu->r[r] = v;
	else if (size == 2)
		cpu->r[r] = (cpu->r[r] & 0xffff0000u) | (v & 0xffff);
	else if (r < 4)
		cpu->r[r] = (cpu->r[r] & 0xffffff00u) | (v & 0xff);
	else
		cpu->r[r - 4] = (cpu->r[r - 4] & 0xffff00ffu) | ((v & 0xff) << 8);
}

/* ---- memory: linear (paging) and segmented ---- */
/* Translate a linear address with a page walk (raises #PF; with ACC_NOFAULT
 * returns 0xffffffff instead and sets no A/D bits).  acc: ACC_* bits. */
uint32_t lin_to_phys(struct cpu *cpu, uint32_t lin, int acc);
/* The slow path of a shadow-table lookup (paging.c): fills a missing entry
 * (raises #PF), checks a hit under --check-mmu.  Returns the host pointer of
 * the byte at lin, or NULL with *pa set when the access must go through
 * mem_read_phys/mem_write_phys. */
uint8_t *lin_translate_slow(struct cpu *cpu, uint32_t lin, int acc, uint32_t *pa);
/* Select the shadow context for the paging registers now (paging.c): after
 * every change of CR0, CR3, CR4 and at reset. */
void cpu_paging_changed(struct cpu *cpu);
uint32_t lin_read(struct cpu *cpu, uint32_t lin, unsigned size, int acc);
void lin_write(struct cpu *cpu, uint32_t lin, unsigned size, uint32_t v, int acc);
/* Host pointer for code bytes at lin (to the end of its page), or NULL. */
const uint8_t *lin_fetch_slow(struct cpu *cpu, uint32_t lin);
/* Host pointer for reading code at lin (a fast shadow read entry), or NULL when
 * the code is not in RAM/ROM (a slow entry); raises #PF like any fetch.
 * Inline: it runs for every instruction (the table hit; misses, slow entries
 * and --check-mmu go out of line). */
static inline const uint8_t *lin_fetch_ptr(struct cpu *cpu, uint32_t lin)
{
	intptr_t e = cpu->stab[(size_t)(lin >> 12) * SC_COUNT + SHADOW_CLASS(cpu->cpl == 3, 0)];
	if (__builtin_expect(shadow_entry_fast(e) && !cpu->shadow.check, 1))
		return shadow_entry_host(e, lin);
	return lin_fetch_slow(cpu, lin);
}
/* Host pointer for the page holding lin (acc: ACC_READ or ACC_WRITE), or NULL
 * when the access must take the slow path (MMIO, ROM writes, traced pages);
 * raises #PF like an access. */
uint8_t *lin_host_ptr(struct cpu *cpu, uint32_t lin, int acc);
/* Check that a write of size bytes at lin would succeed (raises #PF otherwise). */
void lin_probe_write(struct cpu *cpu, uint32_t lin, unsigned size, int acc);

/* Port I/O from instructions (IN, OUT, INS, OUTS): the tracer sees each one,
 * also while it is off (a write to its control port starts it). */
uint32_t cpu_io_in_logged(struct cpu *cpu, uint16_t port, unsigned size);
void cpu_io_out_logged(struct cpu *cpu, uint16_t port, uint32_t v, unsigned size);

static inline uint32_t cpu_io_in(struct cpu *cpu, uint16_t port, unsigned size)
{
	if (__builtin_expect(cpu->memlog != NULL, 0))
		return cpu_io_in_logged(cpu, port, size);
	uint32_t v = io_in(cpu->mem, port, size);
	if (__builtin_expect(cpu->trace != NULL, 0))
		trace_io(cpu, port, size, v, false);
	return v;
}

static inline void cpu_io_out(struct cpu *cpu, uint16_t port, uint32_t v, unsigned size)
{
	if (__builtin_expect(cpu->memlog != NULL, 0)) {
		cpu_io_out_logged(cpu, port, v, size);
		return;
	}
	io_out(cpu->mem, port, v, size);
	if (__builtin_expect(cpu->trace != NULL, 0))
		trace_io(cpu, port, size, v, true);
}

/* Segment checks: limit, type, presence; raises #GP(0) or #SS(0).  Returns linear. */
uint32_t seg_check(struct cpu *cpu, int sreg, uint32_t off, unsigned size, int acc);
uint32_t vread(struct cpu *cpu, int sreg, uint32_t off, unsigned size);
void vwrite(struct cpu *cpu, int sreg, uint32_t off, unsigned size, uint32_t v);
uint64_t vread64(struct cpu *cpu, int sreg, uint32_t off);

/* ---- operands ---- */
uint32_t ea_offset(const struct cpu *cpu, const struct insn *in);
uint32_t rm_read(struct cpu *cpu, const struct insn *in, unsigned size);
void rm_write(struct cpu *cpu, const struct insn *in, unsigned size, uint32_t v);

/* ---- stack ---- */
static inline bool stack32(const struct cpu *cpu)
{
	return cpu->seg[S_SS].attr & SA_DB;
}
void push(struct cpu *cpu, unsigned size, uint32_t v);
uint32_t pop(struct cpu *cpu, unsigned size);
/* read the stack at ESP + off (in the stack's address size) without popping */
uint32_t stack_peek(struct cpu *cpu, uint32_t off, unsigned size);

/* ---- flags (alu.c) ---- */
bool cond_true(const struct cpu *cpu, unsigned cc);
uint32_t alu_op(struct cpu *cpu, unsigned op, uint32_t a, uint32_t b, unsigned size);
void set_flags_logic(struct cpu *cpu, uint32_t r, unsigned size);
void set_szp(struct cpu *cpu, uint32_t r, unsigned size);
static inline void set_flag(struct cpu *cpu, uint32_t f, bool on)
{
	cpu->eflags = on ? (cpu->eflags | f) : (cpu->eflags & ~f);
}

/* ---- control transfer (branch.c / protected-mode helpers) ---- */
void branch_near(struct cpu *cpu, const struct insn *in, uint32_t target);
void far_jump(struct cpu *cpu, uint16_t sel, uint32_t off, const struct insn *in);
void far_call(struct cpu *cpu, uint16_t sel, uint32_t off, const struct insn *in);
void far_return(struct cpu *cpu, unsigned osize, uint16_t extra);
void do_iret(struct cpu *cpu, unsigned osize);
void task_switch(struct cpu *cpu, uint16_t sel, int reason, uint32_t return_eip);
enum { TS_JMP, TS_CALL, TS_IRET, TS_INT };

/* ---- descriptors (seg.c) ---- */
/* Read the 8-byte descriptor for a selector from the GDT/LDT.  Returns false if
 * the selector is outside the table (the caller raises the right exception). */
bool read_descriptor(struct cpu *cpu, uint16_t sel, uint32_t *lo, uint32_t *hi);
void write_descriptor_hi(struct cpu *cpu, uint16_t sel, uint32_t hi);
void seg_from_descriptor(struct seg *s, uint16_t sel, uint32_t lo, uint32_t hi);

/* ---- I/O ---- */
/* #GP(0) unless CPL <= IOPL (not in v86) or the TSS I/O bitmap allows the port */
void io_check(struct cpu *cpu, uint16_t port, unsigned size);

#define CPU_CR0_PE 0x00000001u
#define CPU_CR0_MP 0x00000002u
#define CPU_CR0_EM 0x00000004u
#define CPU_CR0_TS 0x00000008u
#define CPU_CR0_ET 0x00000010u
#define CPU_CR0_NE 0x00000020u
#define CPU_CR0_WP 0x00010000u
#define CPU_CR0_AM 0x00040000u
#define CPU_CR0_NW 0x20000000u
#define CPU_CR0_CD 0x40000000u
#define CPU_CR0_PG 0x80000000u
#define CPU_CR4_VME 0x001u
#define CPU_CR4_PVI 0x002u
#define CPU_CR4_TSD 0x004u
#define CPU_CR4_DE  0x008u
#define CPU_CR4_PSE 0x010u
#define CPU_CR4_PGE 0x080u
#define CPU_CR4_PCE 0x100u
#define CPU_CR4_OSFXSR 0x200u
#define CPU_CR4_OSXMMEXCPT 0x400u

/* The paging state the MMU works from (mmu/walk.h) */
static inline struct paging cpu_paging(const struct cpu *cpu)
{
	return (struct paging){
		.mem = cpu->mem,
		.cr3 = cpu->cr3,
		.a20_mask = cpu->a20_mask,
		.pg = (cpu->cr0 & CPU_CR0_PG) != 0,
		.wp = (cpu->cr0 & CPU_CR0_WP) != 0,
		.pse = (cpu->cr4 & CPU_CR4_PSE) != 0,
	};
}

/* An access (ACC_* bits) as the MMU sees it: PF_W, and PF_U when it is made
 * in user mode (CPL 3 and not an implicit supervisor access) */
static inline unsigned mmu_access(const struct cpu *cpu, int acc)
{
	return ((acc & ACC_WRITE) ? PF_W : 0u) | ((cpu->cpl == 3 && !(acc & ACC_SUPER)) ? PF_U : 0u);
}

/* The trace's MODE bits (trace_format.h) of the CPU now */
static inline uint8_t trace_mode_of(const struct cpu *cpu)
{
	return (uint8_t)(((cpu->cr0 & CPU_CR0_PE) ? TMODE_PE : 0) | ((cpu->eflags & F_VM) ? TMODE_VM : 0) |
			 ((cpu->seg[S_CS].attr & SA_DB) ? TMODE_CODE32 : 0) |
			 ((cpu->cr0 & CPU_CR0_PG) ? TMODE_PG : 0));
}

#endif

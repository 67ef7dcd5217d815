/*
 * Data movement: MOV forms, XCHG, MOVZX/MOVSX, LEA, PUSH/POP of registers and
 * memory, PUSHA/POPA, ENTER/LEAVE, CBW/CWD families, XLAT, BSWAP, XADD,
 * CMPXCHG, CMPXCHG8B, BOUND, NOP.
 */
#include "interp.h"

void h_nop(struct cpu *cpu, const struct insn *in)
{
	(void)cpu;
	(void)in;
}

void h_mov_EbGb(struct cpu *cpu, const struct insn *in) { rm_write(cpu, in, 1, reg_read(cpu, INSN_REG(in), 1)); }
void h_mov_EvGv(struct cpu *cpu, const struct insn *in) { rm_write(cpu, in, in->osize, reg_read(cpu, INSN_REG(in), in->osize)); }
void h_mov_GbEb(struct cpu *cpu, const struct insn *in) { reg_write(cpu, INSN_REG(in), 1, rm_read(cpu, in, 1)); }
void h_mov_GvEv(struct cpu *cpu, const struct insn *in) { reg_write(cpu, INSN_REG(in), in->osize, rm_read(cpu, in, in->osize)); }
void h_mov_EbIb(struct cpu *cpu, const struct insn *in) { rm_write(cpu, in, 1, in->imm); }
void h_mov_EvIz(struct cpu *cpu, const struct insn *in) { rm_write(cpu, in, in->osize, in->imm); }
void h_mov_ZbIb(struct cpu *cpu, const struct insn *in) { reg_write(cpu, in->opc & 7, 1, in->imm); }
void h_mov_ZvIv(struct cpu *cpu, const struct insn *in) { reg_write(cpu, in->opc & 7, in->osize, in->imm); }
void h_mov_ALOb(struct cpu *cpu, const struct insn *in) { reg_write(cpu, R_EAX, 1, vread(cpu, in->seg, in->disp, 1)); }
void h_mov_eAXOv(struct cpu *cpu, const struct insn *in) { reg_write(cpu, R_EAX, in->osize, vread(cpu, in->seg, in->disp, in->osize)); }
void h_mov_ObAL(struct cpu *cpu, const struct insn *in) { vwrite(cpu, in->seg, in->disp, 1, cpu->r[R_EAX]); }
void h_mov_OveAX(struct cpu *cpu, const struct insn *in) { vwrite(cpu, in->seg, in->disp, in->osize, cpu->r[R_EAX]); }

void h_movzx_GvEb(struct cpu *cpu, const struct insn *in) { reg_write(cpu, INSN_REG(in), in->osize, rm_read(cpu, in, 1)); }
void h_movzx_GvEw(struct cpu *cpu, const struct insn *in) { reg_write(cpu, INSN_REG(in), in->osize, rm_read(cpu, in, 2)); }
void h_movsx_GvEb(struct cpu *cpu, const struct insn *in) { reg_write(cpu, INSN_REG(in), in->osize, (uint32_t)(int32_t)(int8_t)rm_read(cpu, in, 1)); }
void h_movsx_GvEw(struct cpu *cpu, const struct insn *in) { reg_write(cpu, INSN_REG(in), in->osize, (uint32_t)(int32_t)(int16_t)rm_read(cpu, in, 2)); }

void h_lea(struct cpu *cpu, const struct insn *in)
{
	reg_write(cpu, INSN_REG(in), in->osize, ea_offset(cpu, in));
}

void h_xchg_EbGb(struct cpu *cpu, const struct insn *in)
{
	uint32_t a = rm_read(cpu, in, 1), b = reg_read(cpu, INSN_REG(in), 1);
	rm_write(cpu, in, 1, b);
	reg_write(cpu, INSN_REG(in), 1, a);
}

void h_xchg_EvGv(struct cpu *cpu, const struct insn *in)
{
	uint32_t a = rm_read(cpu, in, in->osize), b = reg_read(cpu, INSN_REG(in), in->osize);
	rm_write(cpu, in, in->osize, b);
	reg_write(cpu, INSN_REG(in), in->osize, a);
}

void h_xchg_ZveAX(struct cpu *cpu, const struct insn *in)
{
	unsigned r = in->opc & 7;
	uint32_t a = reg_read(cpu, r, in->osize);
	reg_write(cpu, r, in->osize, reg_read(cpu, R_EAX, in->osize));
	reg_write(cpu, R_EAX, in->osize, a);
}

void h_push_Zv(struct cpu *cpu, const struct insn *in)
{
	push(cpu, in->osize, cpu->r[in->opc & 7]);   /* PUSH ESP pushes the old value */
}

void h_pop_Zv(struct cpu *cpu, const struct insn *in)
{
	uint32_t v = pop(cpu, in->osize);
	reg_write(cpu, in->opc & 7, in->osize, v);
}

void h_push_Iz(struct cpu *cpu, const struct insn *in)
{
	push(cpu, in->osize, in->imm);
}

void h_push_Ev(struct cpu *cpu, const struct insn *in)
{
	push(cpu, in->osize, rm_read(cpu, in, in->osize));
}

/* POP r/m: ESP is incremented before the destination address is computed
 * (SDM "POP": "If the ESP register is used as a base register ..."). */
void h_pop_Ev(struct cpu *cpu, const struct insn *in)
{
	uint32_t v = pop(cpu, in->osize);
	if (INSN_MEMOP(in)) {
		vwrite(cpu, in->seg, ea_offset(cpu, in), in->osize, v);
	} else {
		reg_write(cpu, INSN_RM(in), in->osize, v);
	}
}

void h_pusha(struct cpu *cpu, const struct insn *in)
{
	unsigned s = in->osize;
	uint32_t sp = cpu->r[R_ESP];
	uint32_t mask = stack32(cpu) ? 0xffffffffu : 0xffffu;
	/* each push wraps within a 16-bit stack on its own, as on hardware */
	for (int i = 0; i < 8; i++) {
		uint32_t v = i == R_ESP ? sp : cpu->r[i];
		uint32_t a = (sp - (uint32_t)(i + 1) * s) & mask;
		vwrite(cpu, S_SS, a, s, v);
	}
	cpu->r[R_ESP] = (sp & ~mask) | ((sp - 8 * s) & mask);
}

void h_popa(struct cpu *cpu, const struct insn *in)
{
	unsigned s = in->osize;
	uint32_t v[8];
	for (int i = 0; i < 8; i++)
		v[7 - i] = stack_peek(cpu, (uint32_t)i * s, s);
	for (int i = 0; i < 8; i++)
		if (i != R_ESP)
			reg_write(cpu, i, s, v[i]);
	uint32_t mask = stack32(cpu) ? 0xffffffffu : 0xffffu;
	cpu->r[R_ESP] = (cpu->r[R_ESP] & ~mask) | ((cpu->r[R_ESP] + 8 * s) & mask);
}

/* ENTER Iw, Ib (SDM "ENTER"): nesting level taken mod 32.  The frame pointer is
 * the whole ESP after pushing EBP, even on a 16-bit stack (only SP moves); the
 * final stack pointer is checked for a write (segment and page) as on hardware,
 * though nothing is written there. */
void h_enter(struct cpu *cpu, const struct insn *in)
{
	unsigned s = in->osize;
	uint32_t size = in->imm & 0xffff;
	unsigned level = in->imm2 & 31;
	bool s32 = stack32(cpu);
	uint32_t mask = s32 ? 0xffffffffu : 0xffffu;
	uint32_t sp = cpu->r[R_ESP];
	uint32_t bp = cpu->r[R_EBP];

	sp = (sp & ~mask) | ((sp - s) & mask);
	vwrite(cpu, S_SS, sp & mask, s, bp);
	uint32_t frame = sp;
	for (unsigned i = 1; i < level; i++) {
		bp = (bp & ~mask) | ((bp - s) & mask);
		uint32_t v = vread(cpu, S_SS, bp & mask, s);
		sp = (sp & ~mask) | ((sp - s) & mask);
		vwrite(cpu, S_SS, sp & mask, s, v);
	}
	if (level) {
		sp = (sp & ~mask) | ((sp - s) & mask);
		vwrite(cpu, S_SS, sp & mask, s, frame);
	}
	sp = (sp & ~mask) | ((sp - size) & mask);
	uint32_t lin = seg_check(cpu, S_SS, sp & mask, s, ACC_WRITE);
	lin_probe_write(cpu, lin, s, ACC_WRITE);
	reg_write(cpu, R_EBP, s, frame);
	cpu->r[R_ESP] = sp;
}

void h_leave(struct cpu *cpu, const struct insn *in)
{
	unsigned s = in->osize;
	uint32_t bp = stack32(cpu) ? cpu->r[R_EBP] : (cpu->r[R_EBP] & 0xffff);
	uint32_t v = vread(cpu, S_SS, bp, s);
	if (stack32(cpu))
		cpu->r[R_ESP] = bp + s;
	else
		cpu->r[R_ESP] = (cpu->r[R_ESP] & 0xffff0000u) | ((bp + s) & 0xffff);
	reg_write(cpu, R_EBP, s, v);
}

void h_cbw(struct cpu *cpu, const struct insn *in)
{
	if (in->osize == 2)
		reg_write(cpu, R_EAX, 2, (uint32_t)(int32_t)(int8_t)cpu->r[R_EAX]);
	else
		cpu->r[R_EAX] = (uint32_t)(int32_t)(int16_t)cpu->r[R_EAX];
}

void h_cwd(struct cpu *cpu, const struct insn *in)
{
	if (in->osize == 2)
		reg_write(cpu, R_EDX, 2, (cpu->r[R_EAX] & 0x8000) ? 0xffff : 0);
	else
		cpu->r[R_EDX] = (cpu->r[R_EAX] & 0x80000000u) ? 0xffffffffu : 0;
}

void h_xlat(struct cpu *cpu, const struct insn *in)
{
	uint32_t off = cpu->r[R_EBX] + (cpu->r[R_EAX] & 0xff);
	if (in->asize == 2)
		off &= 0xffff;
	reg_write(cpu, R_EAX, 1, vread(cpu, in->seg, off, 1));
}

void h_bswap(struct cpu *cpu, const struct insn *in)
{
	uint32_t v = cpu->r[in->opc & 7];
	/* BSWAP of a 16-bit register is undefined; the P6 writes zero to it */
	if (in->osize == 2)
		reg_write(cpu, in->opc & 7, 2, 0);
	else
		cpu->r[in->opc & 7] = __builtin_bswap32(v);
}

static void xadd(struct cpu *cpu, const struct insn *in, unsigned size)
{
	uint32_t d = rm_read(cpu, in, size), s = reg_read(cpu, INSN_REG(in), size);
	uint32_t r = alu_op(cpu, 0, d, s, size);
	rm_write(cpu, in, size, r);
	reg_write(cpu, INSN_REG(in), size, d);
	if (!INSN_MEMOP(in) && INSN_RM(in) == INSN_REG(in))
		reg_write(cpu, INSN_RM(in), size, r);   /* XADD r, r: the sum wins */
}

void h_xadd_EbGb(struct cpu *cpu, const struct insn *in) { xadd(cpu, in, 1); }
void h_xadd_EvGv(struct cpu *cpu, const struct insn *in) { xadd(cpu, in, in->osize); }

/* CMPXCHG: the destination is written in both cases (SDM: "the processor never
 * produces a locked read without also producing a locked write"). */
static void cmpxchg(struct cpu *cpu, const struct insn *in, unsigned size)
{
	uint32_t d = rm_read(cpu, in, size);
	uint32_t a = reg_read(cpu, R_EAX, size);
	alu_op(cpu, 7, a, d, size);
	if (a == d) {
		rm_write(cpu, in, size, reg_read(cpu, INSN_REG(in), size));
	} else {
		rm_write(cpu, in, size, d);
		reg_write(cpu, R_EAX, size, d);
	}
}

void h_cmpxchg_EbGb(struct cpu *cpu, const struct insn *in) { cmpxchg(cpu, in, 1); }
void h_cmpxchg_EvGv(struct cpu *cpu, const struct insn *in) { cmpxchg(cpu, in, in->osize); }

void h_cmpxchg8b(struct cpu *cpu, const struct insn *in)
{
	uint32_t off = ea_offset(cpu, in);
	uint32_t lin = seg_check(cpu, in->seg, off, 8, ACC_WRITE);
	uint64_t m = vread64(cpu, in->seg, off);
	lin_probe_write(cpu, lin, 8, ACC_WRITE);
	uint64_t edxeax = (uint64_t)cpu->r[R_EDX] << 32 | cpu->r[R_EAX];
	if (m == edxeax) {
		lin_write(cpu, lin, 4, cpu->r[R_EBX], ACC_WRITE);
		lin_write(cpu, lin + 4, 4, cpu->r[R_ECX], ACC_WRITE);
		cpu->eflags |= F_ZF;
	} else {
		lin_write(cpu, lin, 4, (uint32_t)m, ACC_WRITE);
		lin_write(cpu, lin + 4, 4, (uint32_t)(m >> 32), ACC_WRITE);
		cpu->r[R_EAX] = (uint32_t)m;
		cpu->r[R_EDX] = (uint32_t)(m >> 32);
		cpu->eflags &= ~F_ZF;
	}
}

/* BOUND: #BR when the index is outside [lower, upper] (signed) */
void h_bound(struct cpu *cpu, const struct insn *in)
{
	unsigned s = in->osize;
	uint32_t off = ea_offset(cpu, in);
	uint32_t lo = vread(cpu, in->seg, off, s);
	uint32_t hi = vread(cpu, in->seg, (off + s) & (in->asize == 2 ? 0xffff : 0xffffffffu), s);
	int32_t idx = (int32_t)reg_read(cpu, INSN_REG(in), s);
	int32_t l = (int32_t)lo, h = (int32_t)hi;
	if (s == 2) {
		idx = (int16_t)idx;
		l = (int16_t)l;
		h = (int16_t)h;
	}
	if (idx < l || idx > h)
		cpu_raise(cpu, EX_BR, -1);
}

void h_fwait(struct cpu *cpu, const struct insn *in)
{
	(void)cpu;
	(void)in;   /* #NM and a pending x87 exception are checked in step() before any waiting instruction */
}

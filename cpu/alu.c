/*
 * Arithmetic and logic: the eight ALU operations, INC/DEC, NEG/NOT, TEST, the
 * condition codes, and the flag computations they share (SDM Vol. 1 3.4.3,
 * Vol. 2 instruction pages).  Flags are computed eagerly into cpu->eflags.
 */
#include "interp.h"

static const uint8_t parity_table[256] = {
#define P2(n) n, n ^ 1, n ^ 1, n
#define P4(n) P2(n), P2(n ^ 1), P2(n ^ 1), P2(n)
#define P6(n) P4(n), P4(n ^ 1), P4(n ^ 1), P4(n)
	P6(1), P6(0), P6(0), P6(1)
#undef P2
#undef P4
#undef P6
};

static inline uint32_t sign_bit(unsigned size)
{
	return 1u << (8 * size - 1);
}

void set_szp(struct cpu *cpu, uint32_t r, unsigned size)
{
	uint32_t f = cpu->eflags & ~(F_SF | F_ZF | F_PF);
	r &= size_mask(size);
	if (!r)
		f |= F_ZF;
	if (r & sign_bit(size))
		f |= F_SF;
	if (parity_table[r & 0xff])
		f |= F_PF;
	cpu->eflags = f;
}

/* AND/OR/XOR/TEST: OF = CF = 0, AF cleared (undefined by the SDM; P6 clears it) */
void set_flags_logic(struct cpu *cpu, uint32_t r, unsigned size)
{
	cpu->eflags &= ~(F_OF | F_CF | F_AF);
	set_szp(cpu, r, size);
}

static void set_flags_add(struct cpu *cpu, uint32_t a, uint32_t b, uint32_t r, bool cf, unsigned size)
{
	uint32_t sb = sign_bit(size);
	set_szp(cpu, r, size);
	set_flag(cpu, F_CF, cf);
	set_flag(cpu, F_OF, ((a ^ r) & (b ^ r) & sb) != 0);
	set_flag(cpu, F_AF, ((a ^ b ^ r) & 0x10) != 0);
}

static void set_flags_sub(struct cpu *cpu, uint32_t a, uint32_t b, uint32_t r, bool cf, unsigned size)
{
	uint32_t sb = sign_bit(size);
	set_szp(cpu, r, size);
	set_flag(cpu, F_CF, cf);
	set_flag(cpu, F_OF, ((a ^ b) & (a ^ r) & sb) != 0);
	set_flag(cpu, F_AF, ((a ^ b ^ r) & 0x10) != 0);
}

/* op: 0 ADD 1 OR 2 ADC 3 SBB 4 AND 5 SUB 6 XOR 7 CMP.  Sets flags, returns result. */
uint32_t alu_op(struct cpu *cpu, unsigned op, uint32_t a, uint32_t b, unsigned size)
{
	uint32_t m = size_mask(size);
	uint64_t c = (cpu->eflags & F_CF) ? 1 : 0;
	uint32_t r;
	a &= m;
	b &= m;
	switch (op) {
	case 0:
		r = (a + b) & m;
		set_flags_add(cpu, a, b, r, r < a, size);
		return r;
	case 2: {
		uint64_t s = (uint64_t)a + b + c;
		r = (uint32_t)s & m;
		set_flags_add(cpu, a, b, r, (s >> (8 * size)) != 0, size);
		return r;
	}
	case 3: {
		r = (uint32_t)((uint64_t)a - b - c) & m;
		set_flags_sub(cpu, a, b, r, (uint64_t)a < (uint64_t)b + c, size);
		return r;
	}
	case 5:
	case 7:
		r = (a - b) & m;
		set_flags_sub(cpu, a, b, r, a < b, size);
		return r;
	case 1:
		r = a | b;
		break;
	case 4:
		r = a & b;
		break;
	default:
		r = a ^ b;
		break;
	}
	set_flags_logic(cpu, r, size);
	return r;
}

bool cond_true(const struct cpu *cpu, unsigned cc)
{
	uint32_t f = cpu->eflags;
	bool r;
	switch (cc >> 1) {
	case 0: r = f & F_OF; break;
	case 1: r = f & F_CF; break;
	case 2: r = f & F_ZF; break;
	case 3: r = f & (F_CF | F_ZF); break;
	case 4: r = f & F_SF; break;
	case 5: r = f & F_PF; break;
	case 6: r = !(f & F_SF) != !(f & F_OF); break;
	default: r = (f & F_ZF) || (!(f & F_SF) != !(f & F_OF)); break;
	}
	return (cc & 1) ? !r : r;
}

/* ---- ALU handlers: the operation comes from opcode bits 5:3 or ModRM.reg ---- */
void h_alu_EbGb(struct cpu *cpu, const struct insn *in)
{
	unsigned op = (in->opc >> 3) & 7;
	uint32_t r = alu_op(cpu, op, rm_read(cpu, in, 1), reg_read(cpu, INSN_REG(in), 1), 1);
	if (op != 7)
		rm_write(cpu, in, 1, r);
}

void h_alu_EvGv(struct cpu *cpu, const struct insn *in)
{
	unsigned op = (in->opc >> 3) & 7, s = in->osize;
	uint32_t r = alu_op(cpu, op, rm_read(cpu, in, s), reg_read(cpu, INSN_REG(in), s), s);
	if (op != 7)
		rm_write(cpu, in, s, r);
}

void h_alu_GbEb(struct cpu *cpu, const struct insn *in)
{
	unsigned op = (in->opc >> 3) & 7;
	uint32_t r = alu_op(cpu, op, reg_read(cpu, INSN_REG(in), 1), rm_read(cpu, in, 1), 1);
	if (op != 7)
		reg_write(cpu, INSN_REG(in), 1, r);
}

void h_alu_GvEv(struct cpu *cpu, const struct insn *in)
{
	unsigned op = (in->opc >> 3) & 7, s = in->osize;
	uint32_t r = alu_op(cpu, op, reg_read(cpu, INSN_REG(in), s), rm_read(cpu, in, s), s);
	if (op != 7)
		reg_write(cpu, INSN_REG(in), s, r);
}

void h_alu_ALIb(struct cpu *cpu, const struct insn *in)
{
	unsigned op = (in->opc >> 3) & 7;
	uint32_t r = alu_op(cpu, op, cpu->r[R_EAX], in->imm, 1);
	if (op != 7)
		reg_write(cpu, R_EAX, 1, r);
}

void h_alu_eAXIz(struct cpu *cpu, const struct insn *in)
{
	unsigned op = (in->opc >> 3) & 7, s = in->osize;
	uint32_t r = alu_op(cpu, op, cpu->r[R_EAX], in->imm, s);
	if (op != 7)
		reg_write(cpu, R_EAX, s, r);
}

/* read-modify-write of the r/m operand with an immediate */
static void rmw(struct cpu *cpu, const struct insn *in, unsigned size, unsigned op, uint32_t b)
{
	uint32_t r = alu_op(cpu, op, rm_read(cpu, in, size), b, size);
	if (op != 7)
		rm_write(cpu, in, size, r);
}

void h_alu_EbIb(struct cpu *cpu, const struct insn *in)
{
	rmw(cpu, in, 1, INSN_REG(in), in->imm);
}

void h_alu_EvIz(struct cpu *cpu, const struct insn *in)
{
	rmw(cpu, in, in->osize, INSN_REG(in), in->imm);
}

void h_test_EbGb(struct cpu *cpu, const struct insn *in)
{
	set_flags_logic(cpu, rm_read(cpu, in, 1) & reg_read(cpu, INSN_REG(in), 1), 1);
}

void h_test_EvGv(struct cpu *cpu, const struct insn *in)
{
	set_flags_logic(cpu, rm_read(cpu, in, in->osize) & reg_read(cpu, INSN_REG(in), in->osize), in->osize);
}

void h_test_ALIb(struct cpu *cpu, const struct insn *in)
{
	set_flags_logic(cpu, cpu->r[R_EAX] & in->imm, 1);
}

void h_test_eAXIz(struct cpu *cpu, const struct insn *in)
{
	set_flags_logic(cpu, cpu->r[R_EAX] & in->imm, in->osize);
}

void h_test_EbI(struct cpu *cpu, const struct insn *in)
{
	set_flags_logic(cpu, rm_read(cpu, in, 1) & in->imm, 1);
}

void h_test_EvI(struct cpu *cpu, const struct insn *in)
{
	set_flags_logic(cpu, rm_read(cpu, in, in->osize) & in->imm, in->osize);
}

/* INC/DEC: like ADD/SUB 1 but CF is preserved */
static uint32_t incdec(struct cpu *cpu, uint32_t a, bool dec, unsigned size)
{
	uint32_t cf = cpu->eflags & F_CF;
	uint32_t r = alu_op(cpu, dec ? 5 : 0, a, 1, size);
	cpu->eflags = (cpu->eflags & ~F_CF) | cf;
	return r;
}

void h_inc_Zv(struct cpu *cpu, const struct insn *in)
{
	unsigned r = in->opc & 7;
	reg_write(cpu, r, in->osize, incdec(cpu, cpu->r[r], false, in->osize));
}

void h_dec_Zv(struct cpu *cpu, const struct insn *in)
{
	unsigned r = in->opc & 7;
	reg_write(cpu, r, in->osize, incdec(cpu, cpu->r[r], true, in->osize));
}

static void incdec_rm(struct cpu *cpu, const struct insn *in, unsigned size)
{
	rm_write(cpu, in, size, incdec(cpu, rm_read(cpu, in, size), INSN_REG(in) == 1, size));
}

void h_incdec_Eb(struct cpu *cpu, const struct insn *in)
{
	incdec_rm(cpu, in, 1);
}

void h_incdec_Ev(struct cpu *cpu, const struct insn *in)
{
	incdec_rm(cpu, in, in->osize);
}

static void not_rm(struct cpu *cpu, const struct insn *in, unsigned size)
{
	rm_write(cpu, in, size, ~rm_read(cpu, in, size));
}

void h_not_Eb(struct cpu *cpu, const struct insn *in)
{
	not_rm(cpu, in, 1);
}

void h_not_Ev(struct cpu *cpu, const struct insn *in)
{
	not_rm(cpu, in, in->osize);
}

/* NEG is 0 - a: CF = (a != 0) */
static void neg_rm(struct cpu *cpu, const struct insn *in, unsigned size)
{
	rm_write(cpu, in, size, alu_op(cpu, 5, 0, rm_read(cpu, in, size), size));
}

void h_neg_Eb(struct cpu *cpu, const struct insn *in)
{
	neg_rm(cpu, in, 1);
}

void h_neg_Ev(struct cpu *cpu, const struct insn *in)
{
	neg_rm(cpu, in, in->osize);
}

/* ---- flag instructions ---- */
void h_flagop(struct cpu *cpu, const struct insn *in)
{
	switch (in->opc) {
	case 0xf8: cpu->eflags &= ~F_CF; break;
	case 0xf9: cpu->eflags |= F_CF; break;
	case 0xfc: cpu->eflags &= ~F_DF; break;
	case 0xfd: cpu->eflags |= F_DF; break;
	}
}

void h_cmc(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu->eflags ^= F_CF;
}

void h_sahf(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	uint32_t ah = (cpu->r[R_EAX] >> 8) & (F_SF | F_ZF | F_AF | F_PF | F_CF);
	cpu->eflags = (cpu->eflags & ~(uint32_t)(F_SF | F_ZF | F_AF | F_PF | F_CF)) | ah | 2;
}

void h_lahf(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	uint32_t ah = (cpu->eflags & (F_SF | F_ZF | F_AF | F_PF | F_CF)) | 2;
	reg_write(cpu, 4, 1, ah);
}

void h_salc(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	reg_write(cpu, R_EAX, 1, (cpu->eflags & F_CF) ? 0xff : 0);
}

void h_setcc(struct cpu *cpu, const struct insn *in)
{
	rm_write(cpu, in, 1, cond_true(cpu, in->opc & 15));
}

void h_cmov(struct cpu *cpu, const struct insn *in)
{
	/* the source is read (and may fault) even when the condition is false */
	uint32_t v = rm_read(cpu, in, in->osize);
	if (cond_true(cpu, in->opc & 15))
		reg_write(cpu, INSN_REG(in), in->osize, v);
}

/* MUL, IMUL (all forms), DIV, IDIV with #DE (SDM Vol. 2 instruction pages). */
#include "interp.h"

static int32_t sext(uint32_t v, unsigned size)
{
	return size == 1 ? (int8_t)v : size == 2 ? (int16_t)v : (int32_t)v;
}

/* MUL/IMUL leave SF ZF AF PF undefined; the P6 sets SF ZF PF from the low half. */
static void mul_flags(struct cpu *cpu, bool ovf, uint32_t low, unsigned size)
{
	set_szp(cpu, low, size);
	set_flag(cpu, F_CF | F_OF, ovf);
	cpu->eflags &= ~F_AF;
}

static void mul(struct cpu *cpu, const struct insn *in, unsigned size)
{
	uint64_t a = reg_read(cpu, R_EAX, size), b = rm_read(cpu, in, size);
	uint64_t r = a * b;
	if (size == 1) {
		reg_write(cpu, R_EAX, 2, (uint32_t)r);
		mul_flags(cpu, (r >> 8) != 0, (uint32_t)r, 1);
	} else {
		reg_write(cpu, R_EAX, size, (uint32_t)r);
		reg_write(cpu, R_EDX, size, (uint32_t)(r >> (8 * size)));
		mul_flags(cpu, (r >> (8 * size)) != 0, (uint32_t)r, size);
	}
}

static void imul1(struct cpu *cpu, const struct insn *in, unsigned size)
{
	int64_t a = sext(reg_read(cpu, R_EAX, size), size), b = sext(rm_read(cpu, in, size), size);
	int64_t r = a * b;
	bool ovf = r != sext((uint32_t)r, size);
	if (size == 1) {
		reg_write(cpu, R_EAX, 2, (uint32_t)r);
	} else {
		reg_write(cpu, R_EAX, size, (uint32_t)r);
		reg_write(cpu, R_EDX, size, (uint32_t)((uint64_t)r >> (8 * size)));
	}
	mul_flags(cpu, ovf, (uint32_t)r, size);
}

void h_mul_Eb(struct cpu *cpu, const struct insn *in) { mul(cpu, in, 1); }
void h_mul_Ev(struct cpu *cpu, const struct insn *in) { mul(cpu, in, in->osize); }
void h_imul_Eb(struct cpu *cpu, const struct insn *in) { imul1(cpu, in, 1); }
void h_imul_Ev(struct cpu *cpu, const struct insn *in) { imul1(cpu, in, in->osize); }

static void imul2(struct cpu *cpu, const struct insn *in, uint32_t a, uint32_t b)
{
	unsigned size = in->osize;
	int64_t r = (int64_t)sext(a, size) * sext(b, size);
	reg_write(cpu, INSN_REG(in), size, (uint32_t)r);
	mul_flags(cpu, r != sext((uint32_t)r, size), (uint32_t)r, size);
}

void h_imul_GvEv(struct cpu *cpu, const struct insn *in)
{
	imul2(cpu, in, reg_read(cpu, INSN_REG(in), in->osize), rm_read(cpu, in, in->osize));
}

void h_imul_GvEvI(struct cpu *cpu, const struct insn *in)
{
	imul2(cpu, in, rm_read(cpu, in, in->osize), in->imm);
}

/* DIV/IDIV: flags are undefined; they are left unchanged. */
static void div(struct cpu *cpu, const struct insn *in, unsigned size)
{
	uint64_t d = rm_read(cpu, in, size);
	uint64_t n;
	if (size == 1)
		n = cpu->r[R_EAX] & 0xffff;
	else
		n = (uint64_t)reg_read(cpu, R_EDX, size) << (8 * size) | reg_read(cpu, R_EAX, size);
	if (d == 0)
		cpu_raise(cpu, EX_DE, -1);
	uint64_t q = n / d, r = n % d;
	if (q > size_mask(size))
		cpu_raise(cpu, EX_DE, -1);
	if (size == 1) {
		reg_write(cpu, R_EAX, 2, (uint32_t)(q | r << 8));
	} else {
		reg_write(cpu, R_EAX, size, (uint32_t)q);
		reg_write(cpu, R_EDX, size, (uint32_t)r);
	}
}

static void idiv(struct cpu *cpu, const struct insn *in, unsigned size)
{
	int64_t d = sext(rm_read(cpu, in, size), size);
	int64_t n;
	if (size == 1)
		n = (int16_t)cpu->r[R_EAX];
	else if (size == 2)
		n = (int32_t)((reg_read(cpu, R_EDX, 2) << 16) | reg_read(cpu, R_EAX, 2));
	else
		n = (int64_t)(((uint64_t)cpu->r[R_EDX] << 32) | cpu->r[R_EAX]);
	if (d == 0)
		cpu_raise(cpu, EX_DE, -1);
	/* -2^63 / -1 cannot be computed in int64_t, and it overflows anyway */
	if (n == INT64_MIN && d == -1)
		cpu_raise(cpu, EX_DE, -1);
	int64_t q = n / d, r = n % d;
	if (q != sext((uint32_t)q, size))
		cpu_raise(cpu, EX_DE, -1);
	if (size == 1) {
		reg_write(cpu, R_EAX, 2, (uint32_t)((q & 0xff) | (r & 0xff) << 8));
	} else {
		reg_write(cpu, R_EAX, size, (uint32_t)q);
		reg_write(cpu, R_EDX, size, (uint32_t)r);
	}
}

void h_div_Eb(struct cpu *cpu, const struct insn *in) { div(cpu, in, 1); }
void h_div_Ev(struct cpu *cpu, const struct insn *in) { div(cpu, in, in->osize); }
void h_idiv_Eb(struct cpu *cpu, const struct insn *in) { idiv(cpu, in, 1); }
void h_idiv_Ev(struct cpu *cpu, const struct insn *in) { idiv(cpu, in, in->osize); }

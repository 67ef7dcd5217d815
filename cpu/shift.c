/*
 * Shifts and rotates (ROL ROR RCL RCR SHL SHR SAL SAR), SHLD and SHRD.
 * The count is masked to 5 bits; a masked count of 0 changes no flag.  OF is
 * defined only for a count of 1 and CF not for shifts by the operand size or
 * more (SDM Vol. 2 "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD"); where
 * undefined, this follows what the same formula gives, as P6 hardware does for OF.
 */
#include "interp.h"

static uint32_t shift(struct cpu *cpu, unsigned op, uint32_t a, unsigned count, unsigned size)
{
	unsigned bits = 8 * size;
	uint32_t m = size_mask(size), sb = 1u << (bits - 1);
	uint32_t r;
	bool cf;
	count &= 0x1f;
	a &= m;
	if (!count)
		return a;
	switch (op) {
	case 0: { /* ROL */
		unsigned c = count % bits;
		r = c ? ((a << c) | (a >> (bits - c))) & m : a;
		cf = r & 1;
		set_flag(cpu, F_CF, cf);
		set_flag(cpu, F_OF, !!(r & sb) != cf);
		return r;
	}
	case 1: { /* ROR */
		unsigned c = count % bits;
		r = c ? ((a >> c) | (a << (bits - c))) & m : a;
		set_flag(cpu, F_CF, r & sb);
		set_flag(cpu, F_OF, !!(r & sb) != !!(r & (sb >> 1)));
		return r;
	}
	case 2: { /* RCL: rotate through CF, period bits + 1 */
		unsigned c = size == 4 ? count : count % (bits + 1);
		uint64_t v = a | (uint64_t)((cpu->eflags & F_CF) ? 1 : 0) << bits;
		for (unsigned i = 0; i < c; i++)
			v = ((v << 1) | (v >> bits)) & ((2ull << bits) - 1);
		r = (uint32_t)v & m;
		cf = (v >> bits) & 1;
		set_flag(cpu, F_CF, cf);
		set_flag(cpu, F_OF, !!(r & sb) != cf);
		return r;
	}
	case 3: { /* RCR: OF from the operand before the rotation */
		unsigned c = size == 4 ? count : count % (bits + 1);
		uint64_t v = a | (uint64_t)((cpu->eflags & F_CF) ? 1 : 0) << bits;
		set_flag(cpu, F_OF, !!(a & sb) != !!(cpu->eflags & F_CF));
		for (unsigned i = 0; i < c; i++)
			v = ((v >> 1) | ((v & 1) << bits)) & ((2ull << bits) - 1);
		r = (uint32_t)v & m;
		set_flag(cpu, F_CF, (v >> bits) & 1);
		if (c)  /* OF after the rotation: the two top bits of the result */
			set_flag(cpu, F_OF, !!(r & sb) != !!(r & (sb >> 1)));
		return r;
	}
	case 4:
	case 6: /* SHL/SAL */
		r = count < 32 ? (uint32_t)(((uint64_t)a << count) & m) : 0;
		cf = count <= bits ? (((uint64_t)a << count) >> bits) & 1 : 0;
		set_szp(cpu, r, size);
		set_flag(cpu, F_CF, cf);
		set_flag(cpu, F_OF, !!(r & sb) != cf);
		cpu->eflags &= ~F_AF;
		return r;
	case 5: /* SHR */
		r = (uint32_t)((uint64_t)a >> count);
		cf = count <= bits ? ((uint64_t)a >> (count - 1)) & 1 : 0;
		set_szp(cpu, r, size);
		set_flag(cpu, F_CF, cf);
		set_flag(cpu, F_OF, count == 1 ? !!(a & sb) : 0);
		cpu->eflags &= ~F_AF;
		return r;
	default: { /* SAR */
		int64_t s = a & sb ? (int64_t)a - ((int64_t)m + 1) : (int64_t)a;
		unsigned c = count < 63 ? count : 63;
		r = (uint32_t)(s >> c) & m;
		cf = (s >> (c - 1)) & 1;
		set_szp(cpu, r, size);
		set_flag(cpu, F_CF, cf);
		cpu->eflags &= ~(F_OF | F_AF);
		return r;
	}
	}
}

static void shift_rm(struct cpu *cpu, const struct insn *in, unsigned size, unsigned count)
{
	rm_write(cpu, in, size, shift(cpu, INSN_REG(in), rm_read(cpu, in, size), count, size));
}

void h_shift_EbIb(struct cpu *cpu, const struct insn *in) { shift_rm(cpu, in, 1, in->imm); }
void h_shift_EvIb(struct cpu *cpu, const struct insn *in) { shift_rm(cpu, in, in->osize, in->imm); }
void h_shift_Eb1(struct cpu *cpu, const struct insn *in) { shift_rm(cpu, in, 1, 1); }
void h_shift_Ev1(struct cpu *cpu, const struct insn *in) { shift_rm(cpu, in, in->osize, 1); }
void h_shift_EbCL(struct cpu *cpu, const struct insn *in) { shift_rm(cpu, in, 1, cpu->r[R_ECX] & 0xff); }
void h_shift_EvCL(struct cpu *cpu, const struct insn *in) { shift_rm(cpu, in, in->osize, cpu->r[R_ECX] & 0xff); }

/* SHLD/SHRD: a count above the operand size (16-bit) gives an undefined result;
 * this takes bits from the 32-bit concatenation as the P6 does. */
static void shxd(struct cpu *cpu, const struct insn *in, bool left)
{
	unsigned size = in->osize, bits = 8 * size;
	unsigned count = ((in->opc & 1) ? cpu->r[R_ECX] : in->imm) & 0x1f;
	uint32_t a = rm_read(cpu, in, size);
	uint32_t b = reg_read(cpu, INSN_REG(in), size);
	if (!count)
		return;
	uint32_t sb = 1u << (bits - 1), m = size_mask(size);
	uint32_t r;
	bool cf;
	if (size == 4) {
		uint64_t v = left ? ((uint64_t)a << 32 | b) : ((uint64_t)b << 32 | a);
		if (left) {
			r = (uint32_t)((v << count) >> 32);
			cf = (a >> (32 - count)) & 1;
		} else {
			r = (uint32_t)(v >> count);
			cf = (a >> (count - 1)) & 1;
		}
	} else {
		/* 16-bit: the 48-bit pattern a:b:a (left) or b:a... replicated as on P6 */
		uint64_t v;
		if (left) {
			v = ((uint64_t)a << 32) | ((uint64_t)b << 16) | a;
			r = (uint32_t)((v << count) >> 32) & m;
			cf = ((v << (count - 1)) >> 47) & 1;
		} else {
			v = ((uint64_t)a << 32) | ((uint64_t)b << 16) | a;
			r = (uint32_t)(v >> count) & m;
			cf = (v >> (count - 1)) & 1;
		}
	}
	set_szp(cpu, r, size);
	set_flag(cpu, F_CF, cf);
	set_flag(cpu, F_OF, ((a ^ r) & sb) != 0);
	cpu->eflags &= ~F_AF;
	rm_write(cpu, in, size, r);
}

void h_shld(struct cpu *cpu, const struct insn *in) { shxd(cpu, in, true); }
void h_shrd(struct cpu *cpu, const struct insn *in) { shxd(cpu, in, false); }

/* BT/BTS/BTR/BTC, BSF/BSR and the BCD adjustments (SDM Vol. 2). */
#include "interp.h"

/* bit operation: 0 BT, 1 BTS, 2 BTR, 3 BTC (from opcode or ModRM.reg) */
static uint32_t bitop(struct cpu *cpu, unsigned op, uint32_t v, unsigned bit)
{
	uint32_t m = 1u << bit;
	set_flag(cpu, F_CF, v & m);
	switch (op) {
	case 1: return v | m;
	case 2: return v & ~m;
	case 3: return v ^ m;
	}
	return v;
}

static unsigned bt_kind(const struct insn *in)
{
	if (in->opc == 0xba)
		return INSN_REG(in) - 4;
	return in->opc == 0xa3 ? 0 : in->opc == 0xab ? 1 : in->opc == 0xb3 ? 2 : 3;
}

/* BT Ev,Gv with a memory operand: the bit offset is signed and may address
 * memory outside the operand (SDM "BT": bit base + (offset SAR 3)). */
void h_bt_EvGv(struct cpu *cpu, const struct insn *in)
{
	unsigned s = in->osize, op = bt_kind(in);
	uint32_t off = reg_read(cpu, INSN_REG(in), s);
	if (!INSN_MEMOP(in)) {
		uint32_t v = reg_read(cpu, INSN_RM(in), s);
		uint32_t r = bitop(cpu, op, v, off & (8 * s - 1));
		if (op)
			reg_write(cpu, INSN_RM(in), s, r);
		return;
	}
	int32_t soff = s == 2 ? (int16_t)off : (int32_t)off;
	int32_t unit = soff >> (s == 2 ? 4 : 5);   /* floor division by the operand bits */
	uint32_t addr = ea_offset(cpu, in) + (uint32_t)(unit * (int32_t)s);
	if (in->asize == 2)
		addr &= 0xffff;
	uint32_t r = bitop(cpu, op, vread(cpu, in->seg, addr, s), (uint32_t)soff & (8 * s - 1));
	if (op)
		vwrite(cpu, in->seg, addr, s, r);
}

void h_bt_EvIb(struct cpu *cpu, const struct insn *in)
{
	unsigned s = in->osize, op = bt_kind(in);
	uint32_t r = bitop(cpu, op, rm_read(cpu, in, s), in->imm & (8 * s - 1));
	if (op)
		rm_write(cpu, in, s, r);
}

/* BSF/BSR: ZF = 1 and the destination unchanged when the source is 0
 * (undefined by the SDM; every P6 leaves it unchanged). */
static void bsx(struct cpu *cpu, const struct insn *in, bool rev)
{
	unsigned s = in->osize;
	uint32_t v = rm_read(cpu, in, s);
	if (!v) {
		cpu->eflags |= F_ZF;
		return;
	}
	unsigned b = rev ? 31 - (unsigned)__builtin_clz(v) : (unsigned)__builtin_ctz(v);
	cpu->eflags &= ~F_ZF;
	reg_write(cpu, INSN_REG(in), s, b);
}

void h_bsf(struct cpu *cpu, const struct insn *in) { bsx(cpu, in, false); }
void h_bsr(struct cpu *cpu, const struct insn *in) { bsx(cpu, in, true); }

/* ---- BCD (SDM "DAA", "DAS", "AAA", "AAS", "AAM", "AAD") ---- */
void h_daa(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	uint32_t al = cpu->r[R_EAX] & 0xff, old_al = al;
	bool old_cf = cpu->eflags & F_CF, cf = false, af = false;
	if ((al & 0xf) > 9 || (cpu->eflags & F_AF)) {
		cf = old_cf || al + 6 > 0xff;
		al = (al + 6) & 0xff;
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al = (al + 0x60) & 0xff;
		cf = true;
	}
	reg_write(cpu, R_EAX, 1, al);
	set_szp(cpu, al, 1);
	set_flag(cpu, F_CF, cf);
	set_flag(cpu, F_AF, af);
	/* OF undefined: the P6 computes it as for the ADD of the adjustment */
	set_flag(cpu, F_OF, !(old_al & 0x80) && (al & 0x80));
}

void h_das(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	uint32_t al = cpu->r[R_EAX] & 0xff, old_al = al;
	bool old_cf = cpu->eflags & F_CF, cf = false, af = false;
	if ((al & 0xf) > 9 || (cpu->eflags & F_AF)) {
		cf = old_cf || al < 6;
		al = (al - 6) & 0xff;
		af = true;
	}
	if (old_al > 0x99 || old_cf) {
		al = (al - 0x60) & 0xff;
		cf = true;
	}
	reg_write(cpu, R_EAX, 1, al);
	set_szp(cpu, al, 1);
	set_flag(cpu, F_CF, cf);
	set_flag(cpu, F_AF, af);
	set_flag(cpu, F_OF, (old_al & 0x80) && !(al & 0x80));
}

void h_aaa(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	uint32_t ax = cpu->r[R_EAX] & 0xffff;
	bool adj = (ax & 0xf) > 9 || (cpu->eflags & F_AF);
	if (adj)
		ax += 0x106;
	reg_write(cpu, R_EAX, 2, ax & 0xff0f);
	set_flag(cpu, F_AF | F_CF, adj);
}

void h_aas(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	uint32_t ax = cpu->r[R_EAX] & 0xffff;
	bool adj = (ax & 0xf) > 9 || (cpu->eflags & F_AF);
	if (adj)
		ax -= 0x106;
	reg_write(cpu, R_EAX, 2, ax & 0xff0f);
	set_flag(cpu, F_AF | F_CF, adj);
}

void h_aam(struct cpu *cpu, const struct insn *in)
{
	uint32_t base = in->imm & 0xff, al = cpu->r[R_EAX] & 0xff;
	if (!base)
		cpu_raise(cpu, EX_DE, -1);
	uint32_t r = (al / base) << 8 | (al % base);
	reg_write(cpu, R_EAX, 2, r);
	set_szp(cpu, r & 0xff, 1);
	cpu->eflags &= ~(F_OF | F_AF | F_CF);
}

void h_aad(struct cpu *cpu, const struct insn *in)
{
	uint32_t base = in->imm & 0xff;
	uint32_t al = cpu->r[R_EAX] & 0xff, ah = (cpu->r[R_EAX] >> 8) & 0xff;
	/* flags as for the byte ADD of AL and AH * base (OF AF CF undefined) */
	uint32_t r = alu_op(cpu, 0, al, (ah * base) & 0xff, 1);
	reg_write(cpu, R_EAX, 2, r);
}

/* Near control transfers: Jcc, JMP, CALL, RET, LOOP/LOOPcc, JCXZ/JECXZ. */
#include "interp.h"

/* Target is checked against the CS limit (#GP(0)); 16-bit operand size
 * truncates EIP to 16 bits (SDM "JMP", "Jcc"). */
void branch_near(struct cpu *cpu, const struct insn *in, uint32_t target)
{
	if (in->osize == 2)
		target &= 0xffff;
	if (target > cpu->seg[S_CS].limit)
		cpu_raise(cpu, EX_GP, 0);
	cpu->next_eip = target;
}

void h_jcc(struct cpu *cpu, const struct insn *in)
{
	if (cond_true(cpu, in->opc & 15))
		branch_near(cpu, in, cpu->next_eip + in->imm);
}

void h_jmp_J(struct cpu *cpu, const struct insn *in)
{
	branch_near(cpu, in, cpu->next_eip + in->imm);
}

void h_jmp_Ev(struct cpu *cpu, const struct insn *in)
{
	branch_near(cpu, in, rm_read(cpu, in, in->osize));
}

/* CALL near: the target is checked before the return address is pushed, so a
 * #GP leaves the stack untouched (SDM "CALL") */
static void call_near(struct cpu *cpu, const struct insn *in, uint32_t target)
{
	uint32_t ret = cpu->next_eip;
	if (in->osize == 2)
		target &= 0xffff;
	if (target > cpu->seg[S_CS].limit)
		cpu_raise(cpu, EX_GP, 0);
	push(cpu, in->osize, ret);
	cpu->next_eip = target;
}

void h_call_Jz(struct cpu *cpu, const struct insn *in)
{
	call_near(cpu, in, cpu->next_eip + in->imm);
}

void h_call_Ev(struct cpu *cpu, const struct insn *in)
{
	call_near(cpu, in, rm_read(cpu, in, in->osize));
}

void h_ret_near(struct cpu *cpu, const struct insn *in)
{
	uint32_t target = stack_peek(cpu, 0, in->osize);
	if (in->osize == 2)
		target &= 0xffff;
	if (target > cpu->seg[S_CS].limit)
		cpu_raise(cpu, EX_GP, 0);
	pop(cpu, in->osize);
	if (in->opc == 0xc2) {
		if (stack32(cpu))
			cpu->r[R_ESP] += in->imm & 0xffff;
		else
			cpu->r[R_ESP] = (cpu->r[R_ESP] & 0xffff0000u) |
					((cpu->r[R_ESP] + in->imm) & 0xffff);
	}
	cpu->next_eip = target;
}

/* LOOP/LOOPE/LOOPNE: the counter is CX or ECX by address size */
void h_loop(struct cpu *cpu, const struct insn *in)
{
	uint32_t m = in->asize == 2 ? 0xffffu : 0xffffffffu;
	uint32_t c = (cpu->r[R_ECX] - 1) & m;
	bool take = c != 0;
	if (in->opc == 0xe0)
		take = take && !(cpu->eflags & F_ZF);
	else if (in->opc == 0xe1)
		take = take && (cpu->eflags & F_ZF);
	if (take)
		branch_near(cpu, in, cpu->next_eip + in->imm);
	cpu->r[R_ECX] = (cpu->r[R_ECX] & ~m) | c;
}

void h_jcxz(struct cpu *cpu, const struct insn *in)
{
	uint32_t m = in->asize == 2 ? 0xffffu : 0xffffffffu;
	if (!(cpu->r[R_ECX] & m))
		branch_near(cpu, in, cpu->next_eip + in->imm);
}

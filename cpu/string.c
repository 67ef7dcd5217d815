/*
 * String instructions MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE and
 * both address sizes (SDM Vol. 2 "REP/REPE/REPZ/REPNE/REPNZ").
 *
 * A REP instruction runs a bounded number of iterations per step and then
 * re-executes itself (next_eip = eip), so interrupts are taken between
 * iterations as on hardware.  A fault in iteration k leaves ECX/ESI/EDI as
 * updated by the k-1 completed ones, with EIP at the instruction.
 */
#include "interp.h"

#define REP_BATCH 1024

static inline uint32_t amask(const struct insn *in)
{
	return in->asize == 2 ? 0xffffu : 0xffffffffu;
}

static inline uint32_t areg(const struct cpu *cpu, const struct insn *in, int r)
{
	return cpu->r[r] & amask(in);
}

static inline void astep(struct cpu *cpu, const struct insn *in, int r, unsigned size)
{
	uint32_t m = amask(in);
	uint32_t d = (cpu->eflags & F_DF) ? (uint32_t)-(int32_t)size : size;
	cpu->r[r] = (cpu->r[r] & ~m) | ((cpu->r[r] + d) & m);
}

static unsigned opsize(const struct insn *in)
{
	return (in->opc & 1) ? in->osize : 1;
}

/* Runs body up to REP_BATCH times.  cmp: REPE/REPNE termination on ZF. */
#define REP_LOOP(cpu, in, cmp, body)                                                    \
	do {                                                                           \
		if (!(in)->rep) {                                                      \
			body;                                                          \
			break;                                                         \
		}                                                                      \
		for (unsigned n_ = 0;; n_++) {                                         \
			if (!areg(cpu, in, R_ECX))                                     \
				break;                                                 \
			if (n_ == REP_BATCH) {                                         \
				(cpu)->next_eip = (cpu)->eip;                          \
				break;                                                 \
			}                                                              \
			body;                                                          \
			uint32_t m_ = amask(in);                                       \
			(cpu)->r[R_ECX] = ((cpu)->r[R_ECX] & ~m_) | (((cpu)->r[R_ECX] - 1) & m_); \
			if (cmp) {                                                     \
				bool zf_ = (cpu)->eflags & F_ZF;                       \
				if (((in)->rep == 0xf3) != zf_)                        \
					break;                                         \
			}                                                              \
		}                                                                      \
	} while (0)

void h_movs(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	REP_LOOP(cpu, in, false, {
		uint32_t v = vread(cpu, in->seg, areg(cpu, in, R_ESI), s);
		vwrite(cpu, S_ES, areg(cpu, in, R_EDI), s, v);
		astep(cpu, in, R_ESI, s);
		astep(cpu, in, R_EDI, s);
	});
}

void h_stos(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	REP_LOOP(cpu, in, false, {
		vwrite(cpu, S_ES, areg(cpu, in, R_EDI), s, cpu->r[R_EAX]);
		astep(cpu, in, R_EDI, s);
	});
}

void h_lods(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	REP_LOOP(cpu, in, false, {
		uint32_t v = vread(cpu, in->seg, areg(cpu, in, R_ESI), s);
		reg_write(cpu, R_EAX, s, v);
		astep(cpu, in, R_ESI, s);
	});
}

void h_cmps(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	REP_LOOP(cpu, in, true, {
		uint32_t a = vread(cpu, in->seg, areg(cpu, in, R_ESI), s);
		uint32_t b = vread(cpu, S_ES, areg(cpu, in, R_EDI), s);
		alu_op(cpu, 7, a, b, s);
		astep(cpu, in, R_ESI, s);
		astep(cpu, in, R_EDI, s);
	});
}

void h_scas(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	REP_LOOP(cpu, in, true, {
		uint32_t b = vread(cpu, S_ES, areg(cpu, in, R_EDI), s);
		alu_op(cpu, 7, cpu->r[R_EAX], b, s);
		astep(cpu, in, R_EDI, s);
	});
}

void h_ins(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	uint16_t port = (uint16_t)cpu->r[R_EDX];
	io_check(cpu, port, s);
	REP_LOOP(cpu, in, false, {
		uint32_t lin = seg_check(cpu, S_ES, areg(cpu, in, R_EDI), s, ACC_WRITE);
		lin_probe_write(cpu, lin, s, ACC_WRITE);
		uint32_t v = io_in(cpu->mem, port, s);
		lin_write(cpu, lin, s, v, ACC_WRITE);
		astep(cpu, in, R_EDI, s);
	});
}

void h_outs(struct cpu *cpu, const struct insn *in)
{
	unsigned s = opsize(in);
	uint16_t port = (uint16_t)cpu->r[R_EDX];
	io_check(cpu, port, s);
	REP_LOOP(cpu, in, false, {
		uint32_t v = vread(cpu, in->seg, areg(cpu, in, R_ESI), s);
		io_out(cpu->mem, port, v, s);
		astep(cpu, in, R_ESI, s);
	});
}

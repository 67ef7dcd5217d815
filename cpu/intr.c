/*
 * Interrupts, exceptions and far control transfers (SDM Vol. 3 chapters 5, 6
 * and 20; Vol. 2 "INT n/INTO/INT3/INT1", "IRET", "JMP", "CALL", "RET"):
 *   cpu_interrupt  delivery through the real-mode IVT or the protected-mode IDT
 *                  (interrupt, trap and task gates; stack switches; v86 mode)
 *   do_iret        real, v86, same/outer privilege, return to v86, nested task
 *   far_jump, far_call, far_return  code segments, call gates, TSS and task gates
 *   io_check       I/O permission: IOPL and the TSS I/O bitmap
 * and the instruction handlers that use them.
 *
 * Everything that can fault is done before the first architectural change;
 * stack frames are built with pm_frame_* and ESP is written last.  The new EIP
 * is written to both cpu->eip and cpu->next_eip, so the result is the same
 * whether the caller is an instruction handler or the run loop.
 */
#include "pm.h"

static void set_eip(struct cpu *cpu, uint32_t eip)
{
	cpu->eip = eip;
	cpu->next_eip = eip;
}

/* ESP += n in the current stack's address size */
static void sp_add(struct cpu *cpu, uint32_t n)
{
	pm_set_esp(cpu, stack32(cpu), cpu->r[R_ESP] + n);
}

/* Stack for privilege level dpl in the current TSS (SDM Vol. 3 6.12.1, 7.2.1:
 * 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n; 16-bit TSS: SPn at 2 + 4n, SSn
 * at 4 + 4n).  Outside the TSS limit: #TS(TSS selector). */
void pm_tss_stack(struct cpu *cpu, int dpl, uint16_t *ss, uint32_t *esp, int ext)
{
	const struct seg *tr = &cpu->tr;
	if (tr->attr & 8) {
		uint32_t a = (uint32_t)dpl * 8 + 4;
		if (a + 5 > tr->limit)
			cpu_raise(cpu, EX_TS, (tr->sel & 0xfffc) | ext);
		*esp = lin_read(cpu, tr->base + a, 4, ACC_SUPER);
		*ss = (uint16_t)lin_read(cpu, tr->base + a + 4, 2, ACC_SUPER);
	} else {
		uint32_t a = (uint32_t)dpl * 4 + 2;
		if (a + 3 > tr->limit)
			cpu_raise(cpu, EX_TS, (tr->sel & 0xfffc) | ext);
		*esp = lin_read(cpu, tr->base + a, 2, ACC_SUPER);
		*ss = (uint16_t)lin_read(cpu, tr->base + a + 2, 2, ACC_SUPER);
	}
}

/* The inner stack segment of a privilege change (SDM Vol. 2 "INT n" and
 * "CALL": INTER-PRIVILEGE-LEVEL-INTERRUPT / CALL-GATE-TO-MORE-PRIVILEGE):
 * null: #TS(EXT); outside its table, RPL or DPL != new CPL, not a writable
 * data segment: #TS(SS | EXT); not present: #SS(SS | EXT). */
static void inner_stack(struct cpu *cpu, int newcpl, int ext, uint16_t *ss,
			uint32_t *esp, uint32_t *slo, uint32_t *shi)
{
	pm_tss_stack(cpu, newcpl, ss, esp, ext);
	int err = (*ss & 0xfffc) | ext;
	if ((*ss & 0xfffc) == 0)
		cpu_raise(cpu, EX_TS, ext);
	pm_fetch_desc(cpu, *ss, slo, shi, EX_TS, ext);
	if ((*ss & 3) != newcpl || DESC_DPL(*shi) != newcpl || !desc_writable_data(*shi))
		cpu_raise(cpu, EX_TS, err);
	if (!DESC_P(*shi))
		cpu_raise(cpu, EX_SS, err);
}

/* ------------------------------------------------------------------------ */
/* interrupt and exception delivery                                          */
/* ------------------------------------------------------------------------ */

/* Real-address mode (SDM Vol. 3 20.1.4, Vol. 2 "INT n" REAL-ADDRESS-MODE):
 * the vector's IVT entry must be within the IDTR limit (#GP otherwise);
 * push FLAGS, CS, IP; clear IF, TF, AC. */
static void intr_real(struct cpu *cpu, int vector, uint32_t return_eip)
{
	uint32_t off = (uint32_t)vector * 4;
	if (off + 3 > cpu->idtr.limit)
		cpu_raise(cpu, EX_GP, 0);
	uint32_t ent = lin_read(cpu, cpu->idtr.base + off, 4, ACC_SUPER);
	struct pm_frame f;
	pm_frame_init(&f, &cpu->seg[S_SS], cpu->r[R_ESP], 0, EX_SS, 0);
	pm_frame_push(cpu, &f, 2, cpu->eflags & 0xffff);
	pm_frame_push(cpu, &f, 2, cpu->seg[S_CS].sel);
	pm_frame_push(cpu, &f, 2, return_eip & 0xffff);
	pm_frame_write(cpu, &f);
	/* commit */
	cpu->r[R_ESP] = pm_frame_esp(&f);
	cpu->eflags &= ~(F_IF | F_TF | F_AC);
	seg_load_real(cpu, S_CS, (uint16_t)(ent >> 16));
	set_eip(cpu, ent & 0xffff);
}

/* Interrupt or exception through a task gate (SDM Vol. 2 "INT n" TASK-GATE,
 * Vol. 3 6.12.2): switch tasks with nesting, then push the error code on the
 * new task's stack and check EIP against the new CS limit. */
static void intr_task_gate(struct cpu *cpu, uint32_t lo, int error, int ext, uint32_t return_eip)
{
	uint16_t tss = (uint16_t)(lo >> 16);
	task_switch_ext(cpu, tss, TS_INT, return_eip, ext);
	if (error >= 0) {
		struct pm_frame f;
		unsigned sz = (cpu->tr.attr & 8) ? 4 : 2;
		pm_frame_init(&f, &cpu->seg[S_SS], cpu->r[R_ESP], 0, EX_SS, ext);
		pm_frame_push(cpu, &f, sz, (uint32_t)error);
		pm_frame_write(cpu, &f);
		cpu->r[R_ESP] = pm_frame_esp(&f);
		cpu->ex_esp = cpu->r[R_ESP];
	}
	if (cpu->eip > cpu->seg[S_CS].limit)
		cpu_raise(cpu, EX_GP, ext);
}

/* Protected mode and v86 mode (SDM Vol. 3 6.10-6.12, 20.3; Vol. 2 "INT n"). */
static void intr_prot(struct cpu *cpu, int vector, int error, bool soft, uint32_t return_eip)
{
	int ext = soft ? 0 : 1;
	int idt_err = vector * 8 + 2 + ext;
	uint32_t lo, hi;

	if ((uint32_t)vector * 8 + 7 > cpu->idtr.limit)
		cpu_raise(cpu, EX_GP, idt_err);
	lo = lin_read(cpu, cpu->idtr.base + (uint32_t)vector * 8, 4, ACC_SUPER);
	hi = lin_read(cpu, cpu->idtr.base + (uint32_t)vector * 8 + 4, 4, ACC_SUPER);
	unsigned type = DESC_STYPE(hi);
	switch (type) {
	case SYS_TASKGATE: case SYS_INTGATE16: case SYS_TRAPGATE16:
	case SYS_INTGATE32: case SYS_TRAPGATE32:
		break;
	default:
		cpu_raise(cpu, EX_GP, idt_err);
	}
	/* the gate DPL is checked only for INT n, INT3 and INTO (6.12.1.1) */
	if (soft && DESC_DPL(hi) < cpu->cpl)
		cpu_raise(cpu, EX_GP, idt_err);
	if (!DESC_P(hi))
		cpu_raise(cpu, EX_NP, idt_err);
	if (type == SYS_TASKGATE) {
		intr_task_gate(cpu, lo, error, ext, return_eip);
		return;
	}

	bool gate32 = type & 8;
	bool trap = type & 1;
	unsigned sz = gate32 ? 4 : 2;
	uint16_t csel = (uint16_t)(lo >> 16);
	uint32_t eip = gate32 ? (lo & 0xffff) | (hi & 0xffff0000u) : lo & 0xffff;
	int cerr = (csel & 0xfffc) | ext;
	uint32_t clo, chi;

	if ((csel & 0xfffc) == 0)
		cpu_raise(cpu, EX_GP, ext);
	pm_fetch_desc(cpu, csel, &clo, &chi, EX_GP, ext);
	int dpl = DESC_DPL(chi);
	if (!desc_code(chi) || dpl > cpu->cpl)
		cpu_raise(cpu, EX_GP, cerr);
	if (!DESC_P(chi))
		cpu_raise(cpu, EX_NP, cerr);
	bool conforming = desc_conforming(chi);
	bool v86 = cpu_v86(cpu);
	/* from v86 mode only to a non-conforming DPL 0 segment (20.3.1.1) */
	if (v86 && (conforming || dpl != 0))
		cpu_raise(cpu, EX_GP, cerr);
	uint32_t climit = desc_limit(clo, chi);
	uint32_t oldflags = cpu_get_eflags(cpu);
	struct pm_frame f;

	if (!conforming && dpl < cpu->cpl) {
		/* INTER-PRIVILEGE-LEVEL-INTERRUPT (6.12.1): stack from the TSS */
		uint16_t nss;
		uint32_t nesp, slo, shi;
		struct seg ssc;
		inner_stack(cpu, dpl, ext, &nss, &nesp, &slo, &shi);
		seg_from_descriptor(&ssc, nss, slo, shi);
		pm_frame_init(&f, &ssc, nesp, ACC_SUPER, EX_SS, (nss & 0xfffc) | ext);
		if (v86) {
			pm_frame_push(cpu, &f, sz, cpu->seg[S_GS].sel);
			pm_frame_push(cpu, &f, sz, cpu->seg[S_FS].sel);
			pm_frame_push(cpu, &f, sz, cpu->seg[S_DS].sel);
			pm_frame_push(cpu, &f, sz, cpu->seg[S_ES].sel);
		}
		pm_frame_push(cpu, &f, sz, cpu->seg[S_SS].sel);
		pm_frame_push(cpu, &f, sz, cpu->r[R_ESP]);
		pm_frame_push(cpu, &f, sz, oldflags);
		pm_frame_push(cpu, &f, sz, cpu->seg[S_CS].sel);
		pm_frame_push(cpu, &f, sz, return_eip);
		if (error >= 0)
			pm_frame_push(cpu, &f, sz, (uint32_t)error);
		if (eip > climit)
			cpu_raise(cpu, EX_GP, ext);
		pm_touch(cpu, nss, &shi);
		pm_touch(cpu, csel, &chi);
		pm_frame_write(cpu, &f);
		/* commit */
		if (v86) {
			pm_null_seg(cpu, S_GS, 0);
			pm_null_seg(cpu, S_FS, 0);
			pm_null_seg(cpu, S_DS, 0);
			pm_null_seg(cpu, S_ES, 0);
		}
		pm_set_seg(cpu, S_SS, nss, slo, shi);
		pm_set_esp(cpu, f.big, pm_frame_esp(&f));
		pm_set_cs(cpu, csel, clo, chi, dpl);
	} else {
		/* INTRA-PRIVILEGE-LEVEL-INTERRUPT: same stack, CPL unchanged */
		pm_frame_init(&f, &cpu->seg[S_SS], cpu->r[R_ESP], 0, EX_SS, ext);
		pm_frame_push(cpu, &f, sz, oldflags);
		pm_frame_push(cpu, &f, sz, cpu->seg[S_CS].sel);
		pm_frame_push(cpu, &f, sz, return_eip);
		if (error >= 0)
			pm_frame_push(cpu, &f, sz, (uint32_t)error);
		if (eip > climit)
			cpu_raise(cpu, EX_GP, ext);
		pm_touch(cpu, csel, &chi);
		pm_frame_write(cpu, &f);
		cpu->r[R_ESP] = pm_frame_esp(&f);
		pm_set_cs(cpu, csel, clo, chi, cpu->cpl);
	}
	/* TF, VM, RF and NT are cleared; an interrupt gate also clears IF */
	cpu->eflags &= ~(F_TF | F_VM | F_RF | F_NT);
	if (!trap)
		cpu->eflags &= ~F_IF;
	set_eip(cpu, eip);
}

/* Deliver an interrupt or exception (SDM Vol. 3 6.12; 20.1.4 in real mode).
 * error < 0: no error code.  soft: INT n, INT3 or INTO (gate DPL check, no
 * EXT bit).  return_eip: the EIP saved in the frame. */
void cpu_interrupt(struct cpu *cpu, int vector, int error, bool soft, uint32_t return_eip)
{
	cpu->halted = false;
	if (!cpu_protected(cpu))
		intr_real(cpu, vector, return_eip);
	else
		intr_prot(cpu, vector, error, soft, return_eip);
}

/* ------------------------------------------------------------------------ */
/* IRET (SDM Vol. 2 "IRET/IRETD")                                            */
/* ------------------------------------------------------------------------ */

/* EFLAGS from an IRET within protected mode: the arithmetic flags, TF, DF
 * and NT always; RF, AC and ID with a 32-bit operand; IF if CPL <= IOPL;
 * IOPL, and VIF/VIP (32-bit), only at CPL 0.  cpl is the CPL before the return. */
static void iret_flags(struct cpu *cpu, uint32_t v, unsigned osize, int cpl)
{
	uint32_t mask = F_OSZAPC | F_TF | F_DF | F_NT;
	if (osize == 4)
		mask |= F_RF | F_AC | F_ID;
	if (cpl <= cpu_iopl(cpu))
		mask |= F_IF;
	if (cpl == 0) {
		mask |= F_IOPL;
		if (osize == 4)
			mask |= F_VIF | F_VIP;
	}
	pm_write_eflags(cpu, v, mask);
}

/* The return code segment of IRET and RETF to protected mode (SDM Vol. 2
 * "IRET" PROTECTED-MODE-RETURN, "RET" far return): not null, a code segment,
 * RPL >= CPL, DPL == RPL (non-conforming) or <= RPL (conforming), present. */
static void check_return_cs(struct cpu *cpu, uint16_t cs, uint32_t *lo, uint32_t *hi)
{
	int rpl = cs & 3;
	uint16_t cerr = cs & 0xfffc;
	if (cerr == 0)
		cpu_raise(cpu, EX_GP, 0);
	pm_fetch_desc(cpu, cs, lo, hi, EX_GP, 0);
	if (!desc_code(*hi) || rpl < cpu->cpl)
		cpu_raise(cpu, EX_GP, cerr);
	if (desc_conforming(*hi) ? DESC_DPL(*hi) > rpl : DESC_DPL(*hi) != rpl)
		cpu_raise(cpu, EX_GP, cerr);
	if (!DESC_P(*hi))
		cpu_raise(cpu, EX_NP, cerr);
}

/* RETURN-TO-VIRTUAL-8086-MODE: a 32-bit IRET at CPL 0 with VM set in the
 * popped EFLAGS; the frame holds EIP CS EFLAGS ESP SS ES DS FS GS. */
static void iret_to_v86(struct cpu *cpu, uint32_t eip, uint16_t cs, uint32_t flags)
{
	uint32_t esp = stack_peek(cpu, 12, 4);
	uint16_t ss = (uint16_t)stack_peek(cpu, 16, 4);
	uint16_t es = (uint16_t)stack_peek(cpu, 20, 4);
	uint16_t ds = (uint16_t)stack_peek(cpu, 24, 4);
	uint16_t fs = (uint16_t)stack_peek(cpu, 28, 4);
	uint16_t gs = (uint16_t)stack_peek(cpu, 32, 4);
	if (eip > 0xffff)
		cpu_raise(cpu, EX_GP, 0);
	/* commit: EFLAGS first, so that the segment loads use v86 semantics */
	pm_write_eflags(cpu, flags, F_ALL);
	cpu->cpl = 3;
	seg_load_real(cpu, S_CS, cs);
	seg_load_real(cpu, S_SS, ss);
	seg_load_real(cpu, S_ES, es);
	seg_load_real(cpu, S_DS, ds);
	seg_load_real(cpu, S_FS, fs);
	seg_load_real(cpu, S_GS, gs);
	cpu->r[R_ESP] = esp;
	set_eip(cpu, eip);
}

void do_iret(struct cpu *cpu, unsigned osize)
{
	uint32_t emask = osize == 4 ? 0xffffffffu : 0xffffu;

	cpu->nmi_blocked = false;   /* IRET ends NMI blocking, even if it then faults */

	if (!cpu_protected(cpu)) {
		/* REAL-ADDRESS-MODE */
		uint32_t eip = stack_peek(cpu, 0, osize);
		uint16_t cs = (uint16_t)stack_peek(cpu, osize, osize);
		uint32_t fl = stack_peek(cpu, 2 * osize, osize);
		if (eip > cpu->seg[S_CS].limit)
			cpu_raise(cpu, EX_GP, 0);
		sp_add(cpu, 3 * osize);
		seg_load_real(cpu, S_CS, cs);
		pm_write_eflags(cpu, fl, osize == 4 ? 0x257fd5u : 0x7fd5u);
		set_eip(cpu, eip);
		return;
	}
	if (cpu_v86(cpu)) {
		/* virtual-8086 mode: like real mode if IOPL = 3, #GP(0) otherwise
		 * (no CR4.VME); IOPL, VM, VIF and VIP are not changed */
		if (cpu_iopl(cpu) < 3)
			cpu_raise(cpu, EX_GP, 0);
		uint32_t eip = stack_peek(cpu, 0, osize);
		uint16_t cs = (uint16_t)stack_peek(cpu, osize, osize);
		uint32_t fl = stack_peek(cpu, 2 * osize, osize);
		if (eip > cpu->seg[S_CS].limit)
			cpu_raise(cpu, EX_GP, 0);
		sp_add(cpu, 3 * osize);
		seg_load_real(cpu, S_CS, cs);
		pm_write_eflags(cpu, fl, (osize == 4 ? 0x257fd5u : 0x7fd5u) & ~F_IOPL);
		set_eip(cpu, eip);
		return;
	}
	if (cpu->eflags & F_NT) {
		/* TASK-RETURN: back to the task named by the back link of the current TSS */
		uint16_t link = (uint16_t)lin_read(cpu, cpu->tr.base, 2, ACC_SUPER);
		task_switch(cpu, link, TS_IRET, cpu->next_eip);
		return;
	}

	int cpl = cpu->cpl;
	uint32_t eip = stack_peek(cpu, 0, osize) & emask;
	uint16_t cs = (uint16_t)stack_peek(cpu, osize, osize);
	uint32_t fl = stack_peek(cpu, 2 * osize, osize);
	if (osize == 4 && (fl & F_VM) && cpl == 0) {
		iret_to_v86(cpu, eip, cs, fl);
		return;
	}

	/* PROTECTED-MODE-RETURN: checks on the return code segment */
	uint32_t clo, chi;
	int rpl = cs & 3;
	check_return_cs(cpu, cs, &clo, &chi);
	uint32_t climit = desc_limit(clo, chi);

	if (rpl == cpl) {
		/* RETURN-TO-SAME-PRIVILEGE-LEVEL */
		if (eip > climit)
			cpu_raise(cpu, EX_GP, 0);
		pm_touch(cpu, cs, &chi);
		sp_add(cpu, 3 * osize);
		pm_set_cs(cpu, cs, clo, chi, cpl);
		iret_flags(cpu, fl, osize, cpl);
		set_eip(cpu, eip);
		return;
	}

	/* RETURN-TO-OUTER-PRIVILEGE-LEVEL: ESP and SS follow on the stack */
	uint32_t esp = stack_peek(cpu, 3 * osize, osize);
	uint16_t ss = (uint16_t)stack_peek(cpu, 4 * osize, osize);
	uint16_t serr = ss & 0xfffc;
	uint32_t slo, shi;
	if (serr == 0)
		cpu_raise(cpu, EX_GP, 0);
	pm_fetch_desc(cpu, ss, &slo, &shi, EX_GP, 0);
	if ((ss & 3) != rpl || !desc_writable_data(shi) || DESC_DPL(shi) != rpl)
		cpu_raise(cpu, EX_GP, serr);
	if (!DESC_P(shi))
		cpu_raise(cpu, EX_SS, serr);
	if (eip > climit)
		cpu_raise(cpu, EX_GP, 0);
	pm_touch(cpu, cs, &chi);
	pm_touch(cpu, ss, &shi);
	/* commit; the flags use the CPL before the return */
	iret_flags(cpu, fl, osize, cpl);
	pm_set_cs(cpu, cs, clo, chi, rpl);
	pm_set_seg(cpu, S_SS, ss, slo, shi);
	pm_set_esp(cpu, (shi & 0x00400000u) != 0, esp);
	pm_validate_data_segs(cpu);
	set_eip(cpu, eip);
}

/* ------------------------------------------------------------------------ */
/* far JMP and CALL (SDM Vol. 2 "JMP", "CALL"; Vol. 3 5.8)                   */
/* ------------------------------------------------------------------------ */

/* Checks on a code segment reached directly (not through a gate):
 * conforming: DPL <= CPL; non-conforming: RPL <= CPL and DPL = CPL. */
static void check_direct_code(struct cpu *cpu, uint16_t sel, uint32_t hi)
{
	int dpl = DESC_DPL(hi);
	uint16_t err = sel & 0xfffc;
	if (desc_conforming(hi) ? dpl > cpu->cpl : ((sel & 3) > cpu->cpl || dpl != cpu->cpl))
		cpu_raise(cpu, EX_GP, err);
	if (!DESC_P(hi))
		cpu_raise(cpu, EX_NP, err);
}

/* A call gate's (or task gate's / TSS's) own DPL and presence: the gate DPL
 * must be >= CPL and >= RPL. */
static void check_gate(struct cpu *cpu, uint16_t sel, uint32_t hi)
{
	int dpl = DESC_DPL(hi);
	if (dpl < cpu->cpl || dpl < (sel & 3))
		cpu_raise(cpu, EX_GP, sel & 0xfffc);
	if (!DESC_P(hi))
		cpu_raise(cpu, EX_NP, sel & 0xfffc);
}

/* The code segment named by a call gate: null #GP(0); outside the table, not
 * code, or DPL > CPL: #GP(sel); not present: #NP(sel). */
static void gate_target(struct cpu *cpu, uint16_t csel, uint32_t *clo, uint32_t *chi)
{
	if ((csel & 0xfffc) == 0)
		cpu_raise(cpu, EX_GP, 0);
	pm_fetch_desc(cpu, csel, clo, chi, EX_GP, 0);
	if (!desc_code(*chi) || DESC_DPL(*chi) > cpu->cpl)
		cpu_raise(cpu, EX_GP, csel & 0xfffc);
	if (!DESC_P(*chi))
		cpu_raise(cpu, EX_NP, csel & 0xfffc);
}

static uint32_t gate_offset(uint32_t lo, uint32_t hi)
{
	return DESC_TYPE(hi) & 8 ? (lo & 0xffff) | (hi & 0xffff0000u) : lo & 0xffff;
}

/* JMP ptr16:16/32 and JMP m16:16/32 */
void far_jump(struct cpu *cpu, uint16_t sel, uint32_t off, const struct insn *in)
{
	if (in->osize == 2)
		off &= 0xffff;
	if (!cpu_pmode(cpu)) {
		/* real-address and v86 mode: the limit stays (0xffff in v86 mode) */
		if (off > cpu->seg[S_CS].limit)
			cpu_raise(cpu, EX_GP, 0);
		seg_load_real(cpu, S_CS, sel);
		set_eip(cpu, off);
		return;
	}
	uint32_t lo, hi;
	uint16_t err = sel & 0xfffc;
	if (err == 0)
		cpu_raise(cpu, EX_GP, 0);
	pm_fetch_desc(cpu, sel, &lo, &hi, EX_GP, 0);
	if (desc_code(hi)) {
		check_direct_code(cpu, sel, hi);
		if (off > desc_limit(lo, hi))
			cpu_raise(cpu, EX_GP, 0);
		pm_touch(cpu, sel, &hi);
		pm_set_cs(cpu, sel, lo, hi, cpu->cpl);
		set_eip(cpu, off);
		return;
	}
	if (DESC_S(hi))
		cpu_raise(cpu, EX_GP, err);
	switch (DESC_TYPE(hi)) {
	case SYS_CALLGATE16:
	case SYS_CALLGATE32: {
		/* through a call gate: to a conforming segment or one with DPL = CPL */
		check_gate(cpu, sel, hi);
		uint16_t csel = (uint16_t)(lo >> 16);
		uint32_t clo, chi;
		gate_target(cpu, csel, &clo, &chi);
		if (!desc_conforming(chi) && DESC_DPL(chi) != cpu->cpl)
			cpu_raise(cpu, EX_GP, csel & 0xfffc);
		uint32_t eip = gate_offset(lo, hi);
		if (eip > desc_limit(clo, chi))
			cpu_raise(cpu, EX_GP, 0);
		pm_touch(cpu, csel, &chi);
		pm_set_cs(cpu, csel, clo, chi, cpu->cpl);
		set_eip(cpu, eip);
		return;
	}
	case SYS_TASKGATE:
		check_gate(cpu, sel, hi);
		task_switch(cpu, (uint16_t)(lo >> 16), TS_JMP, cpu->next_eip);
		return;
	case SYS_TSS16:
	case SYS_TSS32:
		check_gate(cpu, sel, hi);
		task_switch(cpu, sel, TS_JMP, cpu->next_eip);
		return;
	default:
		cpu_raise(cpu, EX_GP, err);
	}
}

/* CALL-GATE-TO-MORE-PRIVILEGE (SDM Vol. 2 "CALL", Vol. 3 5.8.5): stack from
 * the TSS; push the caller's SS and ESP, copy the gate's parameter count of
 * words/dwords from the caller's stack, then push CS and EIP. */
static void call_gate_inner(struct cpu *cpu, uint32_t lo, uint32_t hi, uint16_t csel,
			    uint32_t clo, uint32_t chi)
{
	int newcpl = DESC_DPL(chi);
	unsigned sz = DESC_TYPE(hi) & 8 ? 4 : 2;
	unsigned count = hi & 0x1f;
	uint32_t eip = gate_offset(lo, hi);
	uint16_t nss;
	uint32_t nesp, slo, shi, params[32];
	struct seg ssc;
	struct pm_frame f;

	inner_stack(cpu, newcpl, 0, &nss, &nesp, &slo, &shi);
	seg_from_descriptor(&ssc, nss, slo, shi);
	pm_frame_init(&f, &ssc, nesp, ACC_SUPER, EX_SS, nss & 0xfffc);
	/* the parameters are read from the caller's stack (#SS(0) if outside it) */
	for (unsigned i = 0; i < count; i++)
		params[i] = stack_peek(cpu, i * sz, sz);
	pm_frame_push(cpu, &f, sz, cpu->seg[S_SS].sel);
	pm_frame_push(cpu, &f, sz, cpu->r[R_ESP]);
	for (unsigned i = count; i-- > 0;)
		pm_frame_push(cpu, &f, sz, params[i]);
	pm_frame_push(cpu, &f, sz, cpu->seg[S_CS].sel);
	pm_frame_push(cpu, &f, sz, sz == 4 ? cpu->next_eip : cpu->next_eip & 0xffff);
	if (eip > desc_limit(clo, chi))
		cpu_raise(cpu, EX_GP, 0);
	pm_touch(cpu, nss, &shi);
	pm_touch(cpu, csel, &chi);
	pm_frame_write(cpu, &f);
	/* commit */
	pm_set_seg(cpu, S_SS, nss, slo, shi);
	pm_set_esp(cpu, f.big, pm_frame_esp(&f));
	pm_set_cs(cpu, csel, clo, chi, newcpl);
	set_eip(cpu, eip);
}

/* CALL ptr16:16/32 and CALL m16:16/32; the return address is cpu->next_eip. */
void far_call(struct cpu *cpu, uint16_t sel, uint32_t off, const struct insn *in)
{
	unsigned osize = in->osize;
	uint32_t ret = cpu->next_eip;
	struct pm_frame f;
	if (osize == 2)
		off &= 0xffff;
	if (!cpu_pmode(cpu)) {
		pm_frame_init(&f, &cpu->seg[S_SS], cpu->r[R_ESP], 0, EX_SS, 0);
		pm_frame_push(cpu, &f, osize, cpu->seg[S_CS].sel);
		pm_frame_push(cpu, &f, osize, ret);
		if (off > cpu->seg[S_CS].limit)
			cpu_raise(cpu, EX_GP, 0);
		pm_frame_write(cpu, &f);
		cpu->r[R_ESP] = pm_frame_esp(&f);
		seg_load_real(cpu, S_CS, sel);
		set_eip(cpu, off);
		return;
	}
	uint32_t lo, hi;
	uint16_t err = sel & 0xfffc;
	if (err == 0)
		cpu_raise(cpu, EX_GP, 0);
	pm_fetch_desc(cpu, sel, &lo, &hi, EX_GP, 0);
	if (desc_code(hi)) {
		check_direct_code(cpu, sel, hi);
		pm_frame_init(&f, &cpu->seg[S_SS], cpu->r[R_ESP], 0, EX_SS, 0);
		pm_frame_push(cpu, &f, osize, cpu->seg[S_CS].sel);
		pm_frame_push(cpu, &f, osize, ret);
		if (off > desc_limit(lo, hi))
			cpu_raise(cpu, EX_GP, 0);
		pm_touch(cpu, sel, &hi);
		pm_frame_write(cpu, &f);
		cpu->r[R_ESP] = pm_frame_esp(&f);
		pm_set_cs(cpu, sel, lo, hi, cpu->cpl);
		set_eip(cpu, off);
		return;
	}
	if (DESC_S(hi))
		cpu_raise(cpu, EX_GP, err);
	switch (DESC_TYPE(hi)) {
	case SYS_CALLGATE16:
	case SYS_CALLGATE32: {
		check_gate(cpu, sel, hi);
		uint16_t csel = (uint16_t)(lo >> 16);
		uint32_t clo, chi;
		gate_target(cpu, csel, &clo, &chi);
		if (!desc_conforming(chi) && DESC_DPL(chi) < cpu->cpl) {
			call_gate_inner(cpu, lo, hi, csel, clo, chi);
			return;
		}
		/* CALL-GATE-TO-SAME-PRIVILEGE: push CS:EIP in the gate's size */
		unsigned sz = DESC_TYPE(hi) & 8 ? 4 : 2;
		uint32_t eip = gate_offset(lo, hi);
		pm_frame_init(&f, &cpu->seg[S_SS], cpu->r[R_ESP], 0, EX_SS, 0);
		pm_frame_push(cpu, &f, sz, cpu->seg[S_CS].sel);
		pm_frame_push(cpu, &f, sz, sz == 4 ? ret : ret & 0xffff);
		if (eip > desc_limit(clo, chi))
			cpu_raise(cpu, EX_GP, 0);
		pm_touch(cpu, csel, &chi);
		pm_frame_write(cpu, &f);
		cpu->r[R_ESP] = pm_frame_esp(&f);
		pm_set_cs(cpu, csel, clo, chi, cpu->cpl);
		set_eip(cpu, eip);
		return;
	}
	case SYS_TASKGATE:
		check_gate(cpu, sel, hi);
		task_switch(cpu, (uint16_t)(lo >> 16), TS_CALL, ret);
		return;
	case SYS_TSS16:
	case SYS_TSS32:
		check_gate(cpu, sel, hi);
		task_switch(cpu, sel, TS_CALL, ret);
		return;
	default:
		cpu_raise(cpu, EX_GP, err);
	}
}

/* RETF / RETF imm16 (SDM Vol. 2 "RET"): extra bytes are released from the
 * stack after CS:EIP, and from the outer stack on a privilege change. */
void far_return(struct cpu *cpu, unsigned osize, uint16_t extra)
{
	uint32_t emask = osize == 4 ? 0xffffffffu : 0xffffu;
	uint32_t eip = stack_peek(cpu, 0, osize) & emask;
	uint16_t cs = (uint16_t)stack_peek(cpu, osize, osize);

	if (!cpu_pmode(cpu)) {
		if (eip > cpu->seg[S_CS].limit)
			cpu_raise(cpu, EX_GP, 0);
		sp_add(cpu, 2 * osize + extra);
		seg_load_real(cpu, S_CS, cs);
		set_eip(cpu, eip);
		return;
	}
	int cpl = cpu->cpl, rpl = cs & 3;
	uint32_t clo, chi;
	check_return_cs(cpu, cs, &clo, &chi);
	uint32_t climit = desc_limit(clo, chi);

	if (rpl == cpl) {
		/* RETURN-TO-SAME-PRIVILEGE-LEVEL */
		if (eip > climit)
			cpu_raise(cpu, EX_GP, 0);
		pm_touch(cpu, cs, &chi);
		sp_add(cpu, 2 * osize + extra);
		pm_set_cs(cpu, cs, clo, chi, cpl);
		set_eip(cpu, eip);
		return;
	}
	/* RETURN-TO-OUTER-PRIVILEGE-LEVEL */
	uint32_t esp = stack_peek(cpu, 2 * osize + extra, osize);
	uint16_t ss = (uint16_t)stack_peek(cpu, 3 * osize + extra, osize);
	uint16_t serr = ss & 0xfffc;
	uint32_t slo, shi;
	if (serr == 0)
		cpu_raise(cpu, EX_GP, 0);
	pm_fetch_desc(cpu, ss, &slo, &shi, EX_GP, 0);
	if ((ss & 3) != rpl || !desc_writable_data(shi) || DESC_DPL(shi) != rpl)
		cpu_raise(cpu, EX_GP, serr);
	if (!DESC_P(shi))
		cpu_raise(cpu, EX_SS, serr);
	if (eip > climit)
		cpu_raise(cpu, EX_GP, 0);
	pm_touch(cpu, cs, &chi);
	pm_touch(cpu, ss, &shi);
	/* commit */
	pm_set_cs(cpu, cs, clo, chi, rpl);
	pm_set_seg(cpu, S_SS, ss, slo, shi);
	pm_set_esp(cpu, (shi & 0x00400000u) != 0, esp + extra);
	pm_validate_data_segs(cpu);
	set_eip(cpu, eip);
}

/* ------------------------------------------------------------------------ */
/* I/O permission (SDM Vol. 1 18.5)                                          */
/* ------------------------------------------------------------------------ */

/* In protected mode with CPL > IOPL, and always in v86 mode, every bit for
 * the accessed ports must be clear in the I/O permission bitmap of a 32-bit
 * TSS (base at offset 0x66).  Two bytes are read; any part outside the TSS
 * limit, or a 16-bit TSS, means #GP(0). */
void io_check(struct cpu *cpu, uint16_t port, unsigned size)
{
	if (!cpu_protected(cpu))
		return;
	if (!cpu_v86(cpu) && cpu->cpl <= cpu_iopl(cpu))
		return;
	const struct seg *tr = &cpu->tr;
	unsigned t = tr->attr & 0xf;
	if ((t != SYS_TSS32 && t != SYS_TSS32_BUSY) || tr->limit < 0x67)
		cpu_raise(cpu, EX_GP, 0);
	uint32_t base = lin_read(cpu, tr->base + 0x66, 2, ACC_SUPER);
	uint32_t off = base + port / 8u;
	if (off + 1 > tr->limit)
		cpu_raise(cpu, EX_GP, 0);
	uint32_t bits = lin_read(cpu, tr->base + off, 2, ACC_SUPER);
	uint32_t mask = ((1u << size) - 1) << (port & 7);
	if (bits & mask)
		cpu_raise(cpu, EX_GP, 0);
}

/* ------------------------------------------------------------------------ */
/* handlers                                                                  */
/* ------------------------------------------------------------------------ */

void h_jmpf_Ap(struct cpu *cpu, const struct insn *in)
{
	far_jump(cpu, (uint16_t)in->imm2, in->imm, in);
}

/* m16:16 / m16:32: offset first (operand size), then the selector */
static void read_far_ptr(struct cpu *cpu, const struct insn *in, uint16_t *sel, uint32_t *off)
{
	uint32_t ea = ea_offset(cpu, in);
	uint32_t sea = ea + in->osize;
	if (in->asize == 2)
		sea &= 0xffff;
	*off = vread(cpu, in->seg, ea, in->osize);
	*sel = (uint16_t)vread(cpu, in->seg, sea, 2);
}

void h_jmpf_Mp(struct cpu *cpu, const struct insn *in)
{
	uint16_t sel;
	uint32_t off;
	read_far_ptr(cpu, in, &sel, &off);
	far_jump(cpu, sel, off, in);
}

void h_callf_Ap(struct cpu *cpu, const struct insn *in)
{
	far_call(cpu, (uint16_t)in->imm2, in->imm, in);
}

void h_callf_Mp(struct cpu *cpu, const struct insn *in)
{
	uint16_t sel;
	uint32_t off;
	read_far_ptr(cpu, in, &sel, &off);
	far_call(cpu, sel, off, in);
}

void h_retf(struct cpu *cpu, const struct insn *in)
{
	far_return(cpu, in->osize, in->opc == 0xca ? (uint16_t)in->imm : 0);
}

void h_iret(struct cpu *cpu, const struct insn *in)
{
	do_iret(cpu, in->osize);
}

/* INT n (SDM Vol. 2 "INT n"): in v86 mode with IOPL < 3, #GP(0) (no CR4.VME). */
void h_int_Ib(struct cpu *cpu, const struct insn *in)
{
	if (cpu_v86(cpu) && cpu_iopl(cpu) < 3)
		cpu_raise(cpu, EX_GP, 0);
	if (cpu->trace_rec & TRACE_W_IRQ)
		trace_intr(cpu, TINTR_SOFT, in->imm & 0xff, -1, cpu->next_eip);
	cpu_interrupt(cpu, in->imm & 0xff, -1, true, cpu->next_eip);
}

/* INT3: a software interrupt (gate DPL checked), not IOPL-sensitive in v86 mode. */
void h_int3(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	if (cpu->trace_rec & TRACE_W_IRQ)
		trace_intr(cpu, TINTR_SOFT, EX_BP, -1, cpu->next_eip);
	cpu_interrupt(cpu, EX_BP, -1, true, cpu->next_eip);
}

void h_into(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	if (cpu->eflags & F_OF) {
		if (cpu->trace_rec & TRACE_W_IRQ)
			trace_intr(cpu, TINTR_SOFT, EX_OF, -1, cpu->next_eip);
		cpu_interrupt(cpu, EX_OF, -1, true, cpu->next_eip);
	}
}

/* INT1 (ICEBP): delivered like a hardware #DB trap: no gate DPL check, EXT set. */
void h_int1(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	if (cpu->trace_rec & TRACE_W_IRQ)
		trace_intr(cpu, TINTR_EXC, EX_DB, -1, cpu->next_eip);
	cpu_interrupt(cpu, EX_DB, -1, false, cpu->next_eip);
}

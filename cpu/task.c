/*
 * Hardware task switching (SDM Vol. 3 chapter 7), for 16-bit (286) and 32-bit
 * TSSs, started by JMP/CALL to a TSS or task gate, by an interrupt or exception
 * through a task gate, or by IRET with EFLAGS.NT set.
 *
 * The sequence follows SDM Vol. 3 7.3 and table 7-1:
 *   1-4  checks on the new TSS descriptor (type, busy bit by reason, present,
 *        limit) and on the old TSS limit; every page the switch will touch is
 *        checked before anything is written;
 *   5-9  old TSS: busy bit cleared (JMP, IRET), dynamic state saved (EIP is
 *        return_eip; NT cleared in the saved image for IRET); new TSS: back
 *        link written (CALL, INT) and busy bit set (all but IRET);
 *   ---- commit point: from here on, faults are taken in the new task ----
 *   10-11 TR, CR0.TS, CR3 (32-bit TSS with paging), EFLAGS (NT set for CALL
 *        and INT), EIP, general registers, selectors;
 *   12   LDT, SS, CS, DS, ES, FS, GS descriptors are loaded and qualified
 *        (#TS/#SS/#NP with the new task's selectors);
 *   and for JMP, CALL, IRET: #GP(0) if EIP is outside the new CS limit (for
 *   interrupts the caller pushes the error code first and then checks).
 *
 * After the commit point cpu->eip is the new task's EIP and cpu->ex_esp and
 * cpu->ex_eflags its ESP and EFLAGS, so a fault in step 12 is reported in the
 * new task's context (SDM Vol. 3 7.3: faults after the commit point are
 * handled in the new task) and the run loop's restore keeps the new flags.
 */
#include "pm.h"

/* The dynamic fields of a TSS (SDM Vol. 3 7.2.1 figure 7-2; 7.6 figure 7-11) */
struct tss_image {
	uint32_t cr3, eip, eflags;
	uint32_t r[8];
	uint16_t sreg[6];       /* ES CS SS DS FS GS */
	uint16_t ldt;
	uint16_t trap;          /* T bit (32-bit TSS, offset 0x64) */
};

static uint32_t rd(struct cpu *cpu, uint32_t lin, unsigned size)
{
	return lin_read(cpu, lin, size, ACC_SUPER);
}

static void wr(struct cpu *cpu, uint32_t lin, unsigned size, uint32_t v)
{
	lin_write(cpu, lin, size, v, ACC_SUPER);
}

/* 32-bit TSS: CR3 0x1c, EIP 0x20, EFLAGS 0x24, EAX..EDI 0x28..0x44,
 * ES CS SS DS FS GS 0x48..0x5c, LDT 0x60, T 0x64 */
static void tss32_read(struct cpu *cpu, uint32_t b, struct tss_image *t)
{
	t->cr3 = rd(cpu, b + 0x1c, 4);
	t->eip = rd(cpu, b + 0x20, 4);
	t->eflags = rd(cpu, b + 0x24, 4);
	for (int i = 0; i < 8; i++)
		t->r[i] = rd(cpu, b + 0x28 + 4 * (uint32_t)i, 4);
	for (int i = 0; i < 6; i++)
		t->sreg[i] = (uint16_t)rd(cpu, b + 0x48 + 4 * (uint32_t)i, 2);
	t->ldt = (uint16_t)rd(cpu, b + 0x60, 2);
	t->trap = (uint16_t)rd(cpu, b + 0x64, 2);
}

/* 16-bit TSS: IP 14, FLAGS 16, AX..DI 18..32, ES CS SS DS 34..40, LDT 42.
 * There are no FS/GS fields (null selectors are loaded) and no CR3; the upper
 * halves of the general registers read as ones (as in Bochs and QEMU). */
static void tss16_read(struct cpu *cpu, uint32_t b, struct tss_image *t)
{
	t->cr3 = 0;
	t->eip = rd(cpu, b + 14, 2);
	t->eflags = rd(cpu, b + 16, 2);
	for (int i = 0; i < 8; i++)
		t->r[i] = 0xffff0000u | rd(cpu, b + 18 + 2 * (uint32_t)i, 2);
	for (int i = 0; i < 4; i++)
		t->sreg[i] = (uint16_t)rd(cpu, b + 34 + 2 * (uint32_t)i, 2);
	t->sreg[S_FS] = 0;
	t->sreg[S_GS] = 0;
	t->ldt = (uint16_t)rd(cpu, b + 42, 2);
	t->trap = 0;
}

/* Save the current task's dynamic state (SDM Vol. 3 7.3 step 7). */
static void tss_save(struct cpu *cpu, uint32_t b, bool is32, uint32_t eip, uint32_t eflags)
{
	if (is32) {
		wr(cpu, b + 0x20, 4, eip);
		wr(cpu, b + 0x24, 4, eflags);
		for (int i = 0; i < 8; i++)
			wr(cpu, b + 0x28 + 4 * (uint32_t)i, 4, cpu->r[i]);
		for (int i = 0; i < 6; i++)
			wr(cpu, b + 0x48 + 4 * (uint32_t)i, 2, cpu->seg[i].sel);
	} else {
		wr(cpu, b + 14, 2, eip & 0xffff);
		wr(cpu, b + 16, 2, eflags & 0xffff);
		for (int i = 0; i < 8; i++)
			wr(cpu, b + 18 + 2 * (uint32_t)i, 2, cpu->r[i] & 0xffff);
		for (int i = 0; i < 4; i++)
			wr(cpu, b + 34 + 2 * (uint32_t)i, 2, cpu->seg[i].sel);
	}
}

/* Check that a range of a page-mapped structure is present (and writable)
 * before the switch writes anything (SDM Vol. 3 7.3 step 4). */
static void probe_read(struct cpu *cpu, uint32_t lin, uint32_t len)
{
	lin_to_phys(cpu, lin, ACC_SUPER);
	lin_to_phys(cpu, lin + len - 1, ACC_SUPER);
}

/* ---- step 12: segment registers of the new task ---- */

/* LDTR: a selector with TI = 1, outside the GDT, not an LDT descriptor, or
 * not present: #TS(LDT selector).  Null leaves the LDT unusable. */
static void ts_load_ldt(struct cpu *cpu, uint16_t sel, int ext)
{
	int err = (sel & 0xfffc) | ext;
	uint32_t lo, hi;
	if (sel & 4)
		cpu_raise(cpu, EX_TS, err);
	if ((sel & 0xfffc) == 0)
		return;
	pm_fetch_desc(cpu, sel, &lo, &hi, EX_TS, ext);
	if (DESC_STYPE(hi) != SYS_LDT || !DESC_P(hi))
		cpu_raise(cpu, EX_TS, err);
	seg_from_descriptor(&cpu->ldtr, sel, lo, hi);
}

/* SS: writable data, present (#SS), DPL = CPL = RPL (#TS). */
static void ts_load_ss(struct cpu *cpu, uint16_t sel, int cpl, int ext)
{
	int err = (sel & 0xfffc) | ext;
	uint32_t lo, hi;
	if ((sel & 0xfffc) == 0)
		cpu_raise(cpu, EX_TS, err);
	pm_fetch_desc(cpu, sel, &lo, &hi, EX_TS, ext);
	if (!desc_writable_data(hi))
		cpu_raise(cpu, EX_TS, err);
	if (!DESC_P(hi))
		cpu_raise(cpu, EX_SS, err);
	if (DESC_DPL(hi) != cpl || (sel & 3) != cpl)
		cpu_raise(cpu, EX_TS, err);
	pm_touch(cpu, sel, &hi);
	pm_set_seg(cpu, S_SS, sel, lo, hi);
}

/* CS: code; non-conforming DPL = RPL, conforming DPL <= RPL (#TS); present (#NP). */
static void ts_load_cs(struct cpu *cpu, uint16_t sel, int ext)
{
	int err = (sel & 0xfffc) | ext;
	uint32_t lo, hi;
	int rpl = sel & 3;
	if ((sel & 0xfffc) == 0)
		cpu_raise(cpu, EX_TS, err);
	pm_fetch_desc(cpu, sel, &lo, &hi, EX_TS, ext);
	if (!desc_code(hi))
		cpu_raise(cpu, EX_TS, err);
	if (desc_conforming(hi) ? DESC_DPL(hi) > rpl : DESC_DPL(hi) != rpl)
		cpu_raise(cpu, EX_TS, err);
	if (!DESC_P(hi))
		cpu_raise(cpu, EX_NP, err);
	pm_touch(cpu, sel, &hi);
	pm_set_cs(cpu, sel, lo, hi, rpl);
}

/* DS/ES/FS/GS: null is allowed; data or readable code; data and
 * non-conforming code need DPL >= CPL and DPL >= RPL (#TS); present (#NP). */
static void ts_load_data(struct cpu *cpu, int sreg, uint16_t sel, int ext)
{
	int err = (sel & 0xfffc) | ext;
	uint32_t lo, hi;
	if ((sel & 0xfffc) == 0) {
		pm_null_seg(cpu, sreg, sel);
		return;
	}
	pm_fetch_desc(cpu, sel, &lo, &hi, EX_TS, ext);
	if (!desc_readable(hi))
		cpu_raise(cpu, EX_TS, err);
	int dpl = DESC_DPL(hi);
	if (!desc_conforming(hi) && (dpl < cpu->cpl || dpl < (sel & 3)))
		cpu_raise(cpu, EX_TS, err);
	if (!DESC_P(hi))
		cpu_raise(cpu, EX_NP, err);
	pm_touch(cpu, sel, &hi);
	pm_set_seg(cpu, sreg, sel, lo, hi);
}

void task_switch(struct cpu *cpu, uint16_t sel, int reason, uint32_t return_eip)
{
	task_switch_ext(cpu, sel, reason, return_eip, 0);
}

void task_switch_ext(struct cpu *cpu, uint16_t sel, int reason, uint32_t return_eip, int ext)
{
	/* ---- checks on the new TSS descriptor (steps 1-3) ----
	 * JMP/CALL/INT: in the GDT, an available TSS, else #GP(sel);
	 * IRET (back link): in the GDT, a busy TSS, else #TS(sel);
	 * not present: #NP(sel); limit below 0x67 (0x2b for 16-bit): #TS(sel). */
	int selvec = reason == TS_IRET ? EX_TS : EX_GP;
	int err = (sel & 0xfffc) | ext;
	uint32_t lo, hi;
	if ((sel & 4) || !read_descriptor(cpu, sel, &lo, &hi))
		cpu_raise(cpu, selvec, err);
	unsigned type = DESC_STYPE(hi);
	if (type != SYS_TSS16 && type != SYS_TSS16_BUSY && type != SYS_TSS32 && type != SYS_TSS32_BUSY)
		cpu_raise(cpu, selvec, err);
	bool busy = (type & 2) != 0;
	if (busy != (reason == TS_IRET))
		cpu_raise(cpu, selvec, err);
	if (!DESC_P(hi))
		cpu_raise(cpu, EX_NP, err);
	bool new32 = (type & 8) != 0;
	uint32_t nbase = desc_base(lo, hi);
	if (desc_limit(lo, hi) < (new32 ? 0x67u : 0x2bu))
		cpu_raise(cpu, EX_TS, err);

	/* the old TSS must hold the fields that are saved */
	bool old32 = (cpu->tr.attr & 8) != 0;
	uint32_t obase = cpu->tr.base;
	if (cpu->tr.limit < (old32 ? 0x5fu : 0x29u))
		cpu_raise(cpu, EX_TS, (cpu->tr.sel & 0xfffc) | ext);

	/* ---- step 4: every page touched below must be present ---- */
	uint32_t old_desc = cpu->gdtr.base + (cpu->tr.sel & ~7u) + 4;
	uint32_t new_desc = cpu->gdtr.base + (sel & ~7u) + 4;
	probe_read(cpu, nbase, new32 ? 0x68 : 0x2c);
	if (old32)
		lin_probe_write(cpu, obase + 0x20, 0x40, ACC_SUPER);
	else
		lin_probe_write(cpu, obase + 14, 28, ACC_SUPER);
	if (reason == TS_JMP || reason == TS_IRET)
		lin_probe_write(cpu, old_desc, 4, ACC_SUPER);
	if (reason == TS_CALL || reason == TS_INT)
		lin_probe_write(cpu, nbase, 2, ACC_SUPER);
	if (reason != TS_IRET)
		lin_probe_write(cpu, new_desc, 4, ACC_SUPER);

	/* ---- steps 5-9: old task out, busy bits and back link ---- */
	if (reason == TS_JMP || reason == TS_IRET)
		wr(cpu, old_desc, 4, rd(cpu, old_desc, 4) & ~DESC_BUSY);
	uint32_t oflags = cpu_get_eflags(cpu);
	if (reason == TS_IRET)
		oflags &= ~F_NT;
	tss_save(cpu, obase, old32, return_eip, oflags);

	struct tss_image n;
	if (new32)
		tss32_read(cpu, nbase, &n);
	else
		tss16_read(cpu, nbase, &n);

	if (reason == TS_CALL || reason == TS_INT)
		wr(cpu, nbase, 2, cpu->tr.sel);
	if (reason != TS_IRET) {
		hi |= DESC_BUSY;
		wr(cpu, new_desc, 4, hi);
	}

	/* ---- commit point: steps 10-11 ---- */
	seg_from_descriptor(&cpu->tr, sel, lo, hi | DESC_BUSY);
	cpu_set_cr0(cpu, cpu->cr0 | CPU_CR0_TS);
	cpu->dr[7] &= ~0x155u;          /* local breakpoint enables L0-L3, LE */
	if (reason == TS_CALL || reason == TS_INT)
		n.eflags |= F_NT;
	if (new32 && (cpu->cr0 & CPU_CR0_PG))
		cpu_set_cr3(cpu, n.cr3);
	pm_write_eflags(cpu, n.eflags, F_ALL);
	for (int i = 0; i < 8; i++)
		cpu->r[i] = n.r[i];
	cpu->eip = cpu->next_eip = n.eip;
	cpu->ex_esp = cpu->r[R_ESP];
	cpu->ex_eflags = cpu->eflags;
	for (int i = 0; i < 6; i++) {
		pm_null_seg(cpu, i, n.sreg[i]);   /* selectors loaded, caches not yet valid */
	}
	cpu->ldtr.sel = n.ldt;
	cpu->ldtr.valid = 0;
	cpu->ldtr.base = 0;
	cpu->ldtr.limit = 0;
	cpu->ldtr.attr = 0;
	bool v86 = cpu_v86(cpu);
	cpu->cpl = v86 ? 3 : (n.sreg[S_CS] & 3);

	/* ---- step 12: load and qualify the descriptors ---- */
	ts_load_ldt(cpu, n.ldt, ext);
	if (v86) {
		for (int i = 0; i < 6; i++)
			seg_load_real(cpu, i, n.sreg[i]);
	} else {
		ts_load_ss(cpu, n.sreg[S_SS], n.sreg[S_CS] & 3, ext);
		ts_load_cs(cpu, n.sreg[S_CS], ext);
		ts_load_data(cpu, S_DS, n.sreg[S_DS], ext);
		ts_load_data(cpu, S_ES, n.sreg[S_ES], ext);
		ts_load_data(cpu, S_FS, n.sreg[S_FS], ext);
		ts_load_data(cpu, S_GS, n.sreg[S_GS], ext);
	}
	/* The T bit (debug trap on entry, 7.2.1) is not implemented yet. */
	(void)n.trap;

	if (reason != TS_INT && cpu->eip > cpu->seg[S_CS].limit)
		cpu_raise(cpu, EX_GP, 0);
}

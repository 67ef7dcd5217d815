/*
 * Segmentation (SDM Vol. 3 chapter 3 and 5): descriptor tables, segment-register
 * loads with every protection check, EFLAGS write rules, and the instructions
 * that manage segments and descriptor tables: MOV/PUSH/POP Sreg, LDS/LES/LSS/
 * LFS/LGS, LLDT/SLDT, LTR/STR, VERR/VERW, LAR/LSL, ARPL, LGDT/LIDT/SGDT/SIDT,
 * SMSW/LMSW, CLTS.  Also the shared helpers declared in pm.h.
 */
#include "pm.h"

/* ------------------------------------------------------------------------ */
/* descriptor tables (SDM Vol. 3 3.5.1)                                      */
/* ------------------------------------------------------------------------ */

/* The LDT can be used unless LLDT loaded a null selector.  After reset the
 * LDTR cache holds base 0, limit 0xffff, present (SDM Vol. 3 table 9-1). */
static bool ldt_usable(const struct cpu *cpu)
{
	return cpu->ldtr.valid || (cpu->ldtr.attr & SA_P);
}

/* Linear address of the descriptor for sel, or false if it is outside the
 * table (SDM Vol. 3 3.4.2: the index * 8 + 7 must be within the limit). */
static bool desc_addr(const struct cpu *cpu, uint16_t sel, uint32_t *lin)
{
	uint32_t base, limit;
	if (sel & 4) {
		if (!ldt_usable(cpu))
			return false;
		base = cpu->ldtr.base;
		limit = cpu->ldtr.limit;
	} else {
		base = cpu->gdtr.base;
		limit = cpu->gdtr.limit;
	}
	uint32_t idx = sel & ~7u;
	if (idx + 7 > limit)
		return false;
	*lin = base + idx;
	return true;
}

/* SDM Vol. 3 3.4.5: descriptors are read with supervisor privilege. */
bool read_descriptor(struct cpu *cpu, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
	uint32_t lin;
	if (!desc_addr(cpu, sel, &lin))
		return false;
	*lo = lin_read(cpu, lin, 4, ACC_SUPER);
	*hi = lin_read(cpu, lin + 4, 4, ACC_SUPER);
	return true;
}

/* Accessed and busy bits are written back to the descriptor (SDM Vol. 3 3.4.5.1, 7.2.2). */
void write_descriptor_hi(struct cpu *cpu, uint16_t sel, uint32_t hi)
{
	uint32_t lin;
	if (desc_addr(cpu, sel, &lin))
		lin_write(cpu, lin + 4, 4, hi, ACC_SUPER);
}

/* Segment cache from a descriptor (SDM Vol. 3 3.4.3, 3.4.5): the G bit scales
 * the limit to 4 KiB units; attr keeps high-dword bits 8..23 without limit 19:16. */
void seg_from_descriptor(struct seg *s, uint16_t sel, uint32_t lo, uint32_t hi)
{
	s->sel = sel;
	s->valid = 1;
	s->base = desc_base(lo, hi);
	s->limit = desc_limit(lo, hi);
	s->attr = (hi >> 8) & 0xf0ffu;
}

void pm_fetch_desc(struct cpu *cpu, uint16_t sel, uint32_t *lo, uint32_t *hi, int vector, int ext)
{
	if (!read_descriptor(cpu, sel, lo, hi))
		cpu_raise(cpu, vector, (sel & 0xfffc) | ext);
}

/* SDM Vol. 3 3.4.5.1: the processor sets the accessed bit when it loads a
 * segment register; it writes only when the bit is clear. */
void pm_touch(struct cpu *cpu, uint16_t sel, uint32_t *hi)
{
	if (DESC_S(*hi) && !(*hi & DESC_ACCESSED)) {
		*hi |= DESC_ACCESSED;
		write_descriptor_hi(cpu, sel, *hi);
	}
}

void pm_set_seg(struct cpu *cpu, int sreg, uint16_t sel, uint32_t lo, uint32_t hi)
{
	seg_from_descriptor(&cpu->seg[sreg], sel, lo, hi);
}

/* SDM Vol. 3 5.4.1: a null selector can be loaded into DS/ES/FS/GS; the
 * register is then unusable (any access through it raises #GP(0)). */
void pm_null_seg(struct cpu *cpu, int sreg, uint16_t sel)
{
	struct seg *s = &cpu->seg[sreg];
	s->sel = sel;
	s->valid = 0;
	s->base = 0;
	s->limit = 0;
	s->attr = 0;
}

/* CS always carries the CPL in its RPL field (SDM Vol. 3 5.5). */
void pm_set_cs(struct cpu *cpu, uint16_t sel, uint32_t lo, uint32_t hi, int cpl)
{
	seg_from_descriptor(&cpu->seg[S_CS], (uint16_t)((sel & ~3u) | (unsigned)cpl), lo, hi);
	cpu->cpl = cpl;
}

/* Limit check (SDM Vol. 3 5.3): expand-down data segments accept offsets
 * above the limit up to 0xffff or 0xffffffff (B bit). */
bool pm_seg_ok(const struct seg *s, uint32_t off, unsigned size)
{
	uint32_t last = off + size - 1;
	if (last < off)
		return false;
	if ((s->attr & (SA_S | 0xc)) == (SA_S | 0x4)) {
		uint32_t upper = (s->attr & SA_DB) ? 0xffffffffu : 0xffffu;
		return off > s->limit && last <= upper;
	}
	return last <= s->limit;
}

void pm_set_esp(struct cpu *cpu, bool big, uint32_t v)
{
	if (big)
		cpu->r[R_ESP] = v;
	else
		cpu->r[R_ESP] = (cpu->r[R_ESP] & 0xffff0000u) | (v & 0xffff);
}

/* SDM Vol. 2 "RET" / "IRET" (RETURN-TO-OUTER-PRIVILEGE-LEVEL): after the CPL
 * changes, DS/ES/FS/GS that hold data or non-conforming code segments with
 * DPL < CPL (or that are unusable) are loaded with the null selector. */
void pm_validate_data_segs(struct cpu *cpu)
{
	static const int regs[4] = { S_ES, S_DS, S_FS, S_GS };
	for (int i = 0; i < 4; i++) {
		struct seg *s = &cpu->seg[regs[i]];
		bool conforming_code = seg_is_code(s) && (s->attr & 4);
		if (!s->valid || (seg_dpl(s) < cpu->cpl && !conforming_code))
			pm_null_seg(cpu, regs[i], 0);
	}
}

/* ---- stack frames ---- */
void pm_frame_init(struct pm_frame *f, const struct seg *ss, uint32_t esp, int acc, int vec, int err)
{
	f->ss = *ss;
	f->esp0 = esp;
	f->big = (ss->attr & SA_DB) != 0;
	f->sp = f->big ? esp : (esp & 0xffff);
	f->acc = acc;
	f->vec = vec;
	f->err = err;
	f->n = 0;
}

void pm_frame_push(struct cpu *cpu, struct pm_frame *f, unsigned size, uint32_t v)
{
	uint32_t sp = f->sp - size;
	if (!f->big)
		sp &= 0xffff;
	if (!pm_seg_ok(&f->ss, sp, size))
		cpu_raise(cpu, f->vec, f->err);
	f->lin[f->n] = f->ss.base + sp;
	f->val[f->n] = v;
	f->size[f->n] = (uint8_t)size;
	f->n++;
	f->sp = sp;
}

void pm_frame_write(struct cpu *cpu, struct pm_frame *f)
{
	/* check every page first, so that a #PF leaves memory as it was */
	for (unsigned i = 0; i < f->n; i++)
		lin_probe_write(cpu, f->lin[i], f->size[i], f->acc);
	for (unsigned i = 0; i < f->n; i++)
		lin_write(cpu, f->lin[i], f->size[i], f->val[i], f->acc);
}

uint32_t pm_frame_esp(const struct pm_frame *f)
{
	return f->big ? f->sp : ((f->esp0 & 0xffff0000u) | f->sp);
}

/* ------------------------------------------------------------------------ */
/* segment register loads                                                    */
/* ------------------------------------------------------------------------ */

/* Real-address mode (SDM Vol. 3 20.1.1): only the selector and the base
 * (selector << 4) change; limit and attributes stay (big real mode).
 * Virtual-8086 mode (SDM Vol. 3 20.2.1): base selector << 4, limit 0xffff,
 * a present read/write (code: execute/read) DPL 3 16-bit segment. */
void seg_load_real(struct cpu *cpu, int sreg, uint16_t sel)
{
	struct seg *s = &cpu->seg[sreg];
	uint32_t type = sreg == S_CS ? 0xb : 0x3;
	s->sel = sel;
	s->base = (uint32_t)sel << 4;
	s->valid = 1;
	if (cpu_v86(cpu)) {
		s->limit = 0xffff;
		s->attr = SA_P | SA_S | (3u << SA_DPL_SHIFT) | type;
	} else {
		s->attr = (s->attr & (SA_DPL | SA_DB | SA_G | SA_AVL)) | SA_P | SA_S | type;
	}
}

/* MOV Sreg / POP Sreg / LxS (SDM Vol. 2 "MOV", "POP", "LDS/LES/LFS/LGS/LSS";
 * Vol. 3 5.5-5.7).  CS cannot be loaded this way. */
void seg_load(struct cpu *cpu, int sreg, uint16_t sel)
{
	if (!cpu_pmode(cpu)) {
		seg_load_real(cpu, sreg, sel);
		return;
	}
	if (sreg == S_CS)
		cpu_raise(cpu, EX_UD, -1);
	int rpl = sel & 3, cpl = cpu->cpl;
	uint16_t err = sel & 0xfffc;
	uint32_t lo, hi;

	if (err == 0) {
		/* null selector: #GP(0) for SS, an unusable register otherwise */
		if (sreg == S_SS)
			cpu_raise(cpu, EX_GP, 0);
		pm_null_seg(cpu, sreg, sel);
		return;
	}
	pm_fetch_desc(cpu, sel, &lo, &hi, EX_GP, 0);
	int dpl = DESC_DPL(hi);
	if (sreg == S_SS) {
		if (rpl != cpl || !desc_writable_data(hi) || dpl != cpl)
			cpu_raise(cpu, EX_GP, err);
		if (!DESC_P(hi))
			cpu_raise(cpu, EX_SS, err);
	} else {
		if (!desc_readable(hi))
			cpu_raise(cpu, EX_GP, err);
		if (!desc_conforming(hi) && (rpl > dpl || cpl > dpl))
			cpu_raise(cpu, EX_GP, err);
		if (!DESC_P(hi))
			cpu_raise(cpu, EX_NP, err);
	}
	pm_touch(cpu, sel, &hi);
	pm_set_seg(cpu, sreg, sel, lo, hi);
}

/* ------------------------------------------------------------------------ */
/* EFLAGS (SDM Vol. 1 3.4.3, Vol. 2 "POPF")                                  */
/* ------------------------------------------------------------------------ */

/* mask: the bits the caller wants to write.  VM, RF, VIF and VIP never change
 * here (IRET and task switches write them directly); IOPL only at CPL 0; IF
 * only when CPL <= IOPL (protected and v86 mode).  Bit 1 reads as 1, bits 3,
 * 5, 15 and 22-31 as 0. */
void cpu_set_eflags(struct cpu *cpu, uint32_t value, uint32_t mask)
{
	mask &= F_ALL & ~(F_VM | F_RF | F_VIF | F_VIP);
	if (cpu_protected(cpu)) {
		if (cpu->cpl > 0)
			mask &= ~F_IOPL;
		if (cpu->cpl > cpu_iopl(cpu))
			mask &= ~F_IF;
	}
	pm_write_eflags(cpu, value, mask);
}

uint32_t cpu_get_eflags(const struct cpu *cpu)
{
	return (cpu->eflags & F_ALL) | 2;
}

/* ------------------------------------------------------------------------ */
/* handlers                                                                  */
/* ------------------------------------------------------------------------ */

/* MOV Sreg, r/m16 (SDM Vol. 2 "MOV"): CS is #UD, as are encodings 6 and 7.
 * Loading SS inhibits interrupts and debug traps until after the next instruction. */
void h_mov_SwEw(struct cpu *cpu, const struct insn *in)
{
	int sreg = INSN_REG(in);
	if (sreg == S_CS || sreg > S_GS)
		cpu_raise(cpu, EX_UD, -1);
	uint16_t sel = (uint16_t)rm_read(cpu, in, 2);
	seg_load(cpu, sreg, sel);
	if (sreg == S_SS)
		cpu->inhibit = 1;
}

/* MOV r/m, Sreg: a memory destination is always 16 bits; a 32-bit register
 * receives the selector zero-extended (P6 family, SDM Vol. 2 "MOV"). */
void h_mov_EvSw(struct cpu *cpu, const struct insn *in)
{
	int sreg = INSN_REG(in);
	if (sreg > S_GS)
		cpu_raise(cpu, EX_UD, -1);
	uint16_t sel = cpu->seg[sreg].sel;
	if (INSN_MEMOP(in))
		rm_write(cpu, in, 2, sel);
	else
		reg_write(cpu, INSN_RM(in), in->osize, sel);
}

static int sreg_of_push_pop(const struct insn *in)
{
	if (in->map == 1)
		return (in->opc & 8) ? S_GS : S_FS;   /* 0F A0/A1 FS, 0F A8/A9 GS */
	return (in->opc >> 3) & 3;                 /* 06 ES, 0E CS, 16 SS, 1E DS */
}

/* PUSH Sreg (SDM Vol. 2 "PUSH"): with a 32-bit operand size the selector is
 * pushed zero-extended into a doubleword slot. */
void h_push_sreg(struct cpu *cpu, const struct insn *in)
{
	push(cpu, in->osize, cpu->seg[sreg_of_push_pop(in)].sel);
}

/* POP Sreg (SDM Vol. 2 "POP"): the load is done with the value on the stack
 * before ESP changes; ESP moves by the old stack's address size.  POP SS
 * inhibits interrupts for one instruction. */
void h_pop_sreg(struct cpu *cpu, const struct insn *in)
{
	int sreg = sreg_of_push_pop(in);
	bool big = stack32(cpu);
	uint16_t sel = (uint16_t)stack_peek(cpu, 0, in->osize);
	uint32_t esp = cpu->r[R_ESP] + in->osize;
	seg_load(cpu, sreg, sel);
	pm_set_esp(cpu, big, esp);
	if (sreg == S_SS)
		cpu->inhibit = 1;
}

/* LDS/LES/LSS/LFS/LGS r, m16:16/m16:32 (SDM Vol. 2 "LDS/LES/LFS/LGS/LSS"):
 * offset first, then the selector; the segment register is loaded before the
 * general register is written. */
void h_lxs(struct cpu *cpu, const struct insn *in)
{
	int sreg;
	if (in->map == 0)
		sreg = in->opc == 0xc4 ? S_ES : S_DS;
	else
		sreg = in->opc == 0xb2 ? S_SS : in->opc == 0xb4 ? S_FS : S_GS;
	if (!INSN_MEMOP(in))
		cpu_raise(cpu, EX_UD, -1);
	uint32_t ea = ea_offset(cpu, in);
	uint32_t off = vread(cpu, in->seg, ea, in->osize);
	uint32_t sea = ea + in->osize;
	if (in->asize == 2)
		sea &= 0xffff;
	uint16_t sel = (uint16_t)vread(cpu, in->seg, sea, 2);
	seg_load(cpu, sreg, sel);
	reg_write(cpu, INSN_REG(in), in->osize, off);
}

/* LLDT r/m16 (SDM Vol. 2 "LLDT"): #UD outside protected mode; CPL 0 is
 * checked by the dispatcher (A_PRIV).  A null selector makes the LDT unusable. */
void h_lldt(struct cpu *cpu, const struct insn *in)
{
	if (!cpu_pmode(cpu))
		cpu_raise(cpu, EX_UD, -1);
	uint16_t sel = (uint16_t)rm_read(cpu, in, 2);
	uint16_t err = sel & 0xfffc;
	uint32_t lo, hi;
	if (err == 0) {
		cpu->ldtr.sel = sel;
		cpu->ldtr.valid = 0;
		cpu->ldtr.base = 0;
		cpu->ldtr.limit = 0;
		cpu->ldtr.attr = 0;
		return;
	}
	if (sel & 4)
		cpu_raise(cpu, EX_GP, err);
	pm_fetch_desc(cpu, sel, &lo, &hi, EX_GP, 0);
	if (DESC_STYPE(hi) != SYS_LDT)
		cpu_raise(cpu, EX_GP, err);
	if (!DESC_P(hi))
		cpu_raise(cpu, EX_NP, err);
	seg_from_descriptor(&cpu->ldtr, sel, lo, hi);
}

/* LTR r/m16 (SDM Vol. 2 "LTR"): the selector must name an available TSS in
 * the GDT; the descriptor is marked busy. */
void h_ltr(struct cpu *cpu, const struct insn *in)
{
	if (!cpu_pmode(cpu))
		cpu_raise(cpu, EX_UD, -1);
	uint16_t sel = (uint16_t)rm_read(cpu, in, 2);
	uint16_t err = sel & 0xfffc;
	uint32_t lo, hi;
	if (err == 0)
		cpu_raise(cpu, EX_GP, 0);
	if (sel & 4)
		cpu_raise(cpu, EX_GP, err);
	pm_fetch_desc(cpu, sel, &lo, &hi, EX_GP, 0);
	unsigned t = DESC_STYPE(hi);
	if (t != SYS_TSS16 && t != SYS_TSS32)
		cpu_raise(cpu, EX_GP, err);
	if (!DESC_P(hi))
		cpu_raise(cpu, EX_NP, err);
	hi |= DESC_BUSY;
	write_descriptor_hi(cpu, sel, hi);
	seg_from_descriptor(&cpu->tr, sel, lo, hi);
}

/* SLDT/STR r/m16 (SDM Vol. 2 "SLDT", "STR"): #UD in real and v86 mode; a
 * 32-bit register destination is zero-extended (P6), memory is 16 bits. */
void h_sldt_str(struct cpu *cpu, const struct insn *in)
{
	if (!cpu_pmode(cpu))
		cpu_raise(cpu, EX_UD, -1);
	uint16_t sel = INSN_REG(in) == 0 ? cpu->ldtr.sel : cpu->tr.sel;
	if (INSN_MEMOP(in))
		rm_write(cpu, in, 2, sel);
	else
		reg_write(cpu, INSN_RM(in), in->osize, sel);
}

/* The part common to VERR/VERW/LAR/LSL: the descriptor for sel, if the
 * selector is not null, inside its table, and the privilege rule holds for
 * code/data segments (non-conforming: DPL >= CPL and DPL >= RPL).  System
 * descriptors are returned for the caller to filter by type. */
static bool probe_descriptor(struct cpu *cpu, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
	if ((sel & 0xfffc) == 0 || !read_descriptor(cpu, sel, lo, hi))
		return false;
	int dpl = DESC_DPL(*hi);
	if (!desc_conforming(*hi) && (dpl < cpu->cpl || dpl < (sel & 3)))
		return false;
	return true;
}

/* VERR/VERW r/m16 (SDM Vol. 2 "VERR/VERW"): ZF = 1 if the segment is readable
 * (VERR) or writable (VERW) at the current privilege; conforming code skips
 * the privilege check for VERR.  Presence is not checked. */
void h_verrw(struct cpu *cpu, const struct insn *in)
{
	if (!cpu_pmode(cpu))
		cpu_raise(cpu, EX_UD, -1);
	uint16_t sel = (uint16_t)rm_read(cpu, in, 2);
	uint32_t lo, hi;
	bool ok = probe_descriptor(cpu, sel, &lo, &hi) && DESC_S(hi);
	if (ok)
		ok = INSN_REG(in) == 4 ? desc_readable(hi) : desc_writable_data(hi);
	set_flag(cpu, F_ZF, ok);
}

/* LAR/LSL r, r/m16 (SDM Vol. 2 "LAR", "LSL"): ZF = 1 and the access rights
 * (high dword & 0x00ffff00, or & 0xff00 for 16-bit operands) or the scaled
 * limit are loaded if the descriptor is visible at this privilege and of a
 * type the instruction accepts; otherwise ZF = 0 and the destination is kept. */
void h_lar_lsl(struct cpu *cpu, const struct insn *in)
{
	if (!cpu_pmode(cpu))
		cpu_raise(cpu, EX_UD, -1);
	bool lar = in->opc == 0x02;
	uint16_t sel = (uint16_t)rm_read(cpu, in, 2);
	uint32_t lo, hi;
	bool ok = probe_descriptor(cpu, sel, &lo, &hi);
	if (ok && !DESC_S(hi)) {
		switch (DESC_TYPE(hi)) {
		case SYS_TSS16: case SYS_LDT: case SYS_TSS16_BUSY:
		case SYS_TSS32: case SYS_TSS32_BUSY:
			break;
		case SYS_CALLGATE16: case SYS_TASKGATE: case SYS_CALLGATE32:
			ok = lar;
			break;
		default:
			ok = false;
		}
	}
	if (ok) {
		uint32_t v = lar ? hi & (in->osize == 4 ? 0x00ffff00u : 0xff00u) : desc_limit(lo, hi);
		reg_write(cpu, INSN_REG(in), in->osize, v);
	}
	set_flag(cpu, F_ZF, ok);
}

/* ARPL r/m16, r16 (SDM Vol. 2 "ARPL"): #UD in real and v86 mode. */
void h_arpl(struct cpu *cpu, const struct insn *in)
{
	if (!cpu_pmode(cpu))
		cpu_raise(cpu, EX_UD, -1);
	uint16_t dst = (uint16_t)rm_read(cpu, in, 2);
	uint16_t src = (uint16_t)reg_read(cpu, INSN_REG(in), 2);
	if ((dst & 3) < (src & 3)) {
		rm_write(cpu, in, 2, (dst & ~3u) | (src & 3u));
		set_flag(cpu, F_ZF, true);
	} else {
		set_flag(cpu, F_ZF, false);
	}
}

/* LGDT/LIDT m16&32 (SDM Vol. 2 "LGDT/LIDT"): with a 16-bit operand size only
 * 24 bits of the base are loaded. */
void h_lgdt_lidt(struct cpu *cpu, const struct insn *in)
{
	uint32_t ea = ea_offset(cpu, in);
	uint32_t ea2 = ea + 2;
	if (in->asize == 2)
		ea2 &= 0xffff;
	uint32_t limit = vread(cpu, in->seg, ea, 2);
	uint32_t base = vread(cpu, in->seg, ea2, 4);
	if (in->osize == 2)
		base &= 0x00ffffffu;
	struct dtr *d = INSN_REG(in) == 2 ? &cpu->gdtr : &cpu->idtr;
	d->base = base;
	d->limit = limit;
}

/* SGDT/SIDT m (SDM Vol. 2 "SGDT", "SIDT"): the limit, then the full 32-bit
 * base for both operand sizes (current SDM; test386's dtr test checks this). */
void h_sgdt_sidt(struct cpu *cpu, const struct insn *in)
{
	const struct dtr *d = INSN_REG(in) == 0 ? &cpu->gdtr : &cpu->idtr;
	uint32_t ea = ea_offset(cpu, in);
	uint32_t ea2 = ea + 2;
	if (in->asize == 2)
		ea2 &= 0xffff;
	/* check both parts before writing either */
	uint32_t l1 = seg_check(cpu, in->seg, ea, 2, ACC_WRITE);
	uint32_t l2 = seg_check(cpu, in->seg, ea2, 4, ACC_WRITE);
	lin_probe_write(cpu, l1, 2, ACC_WRITE);
	lin_probe_write(cpu, l2, 4, ACC_WRITE);
	lin_write(cpu, l1, 2, d->limit & 0xffff, ACC_WRITE);
	lin_write(cpu, l2, 4, d->base, ACC_WRITE);
}

/* SMSW r/m (SDM Vol. 2 "SMSW"): memory gets 16 bits; a 32-bit register gets
 * all of CR0 (P6 behaviour; the SDM leaves the upper half undefined). */
void h_smsw(struct cpu *cpu, const struct insn *in)
{
	if (INSN_MEMOP(in))
		rm_write(cpu, in, 2, cpu->cr0 & 0xffff);
	else
		reg_write(cpu, INSN_RM(in), in->osize, cpu->cr0);
}

/* LMSW r/m16 (SDM Vol. 2 "LMSW"): loads PE, MP, EM, TS; PE cannot be cleared. */
void h_lmsw(struct cpu *cpu, const struct insn *in)
{
	uint32_t v = rm_read(cpu, in, 2);
	uint32_t cr0 = (cpu->cr0 & ~0xeu) | (v & 0xf);
	cpu_set_cr0(cpu, cr0);
}

/* CLTS (SDM Vol. 2 "CLTS"): CPL 0 is checked by the dispatcher. */
void h_clts(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu_set_cr0(cpu, cpu->cr0 & ~CPU_CR0_TS);
}

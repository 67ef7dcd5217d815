/*
 * The x87 FPU (SDM Vol. 1 chapter 8, instruction pages in Vol. 2).
 *
 * Every non-control instruction is executed on the host's x87: the host is
 * x86-64 and its FPU implements the same architecture, so running the same
 * instruction on the same state gives the results of a real CPU bit for bit:
 * NaN payloads, denormals, pseudo-denormals and unsupported formats, rounding
 * and precision control, C0-C3, the transcendental results, the stack fault
 * rules (#IS, C1) and the response to unmasked exceptions (SDM Vol. 1 8.5:
 * destination and TOP unchanged for #I/#D/#Z, bias-adjusted result for
 * #O/#U to a register, nothing stored to memory).
 *
 * How (x87_host.c): FRSTOR loads the guest's whole state into the host FPU
 * with the exception flags cleared (so nothing is pending on the host), the
 * instruction runs with its memory operand redirected to a host buffer,
 * FNSAVE (non-waiting) takes the new state back and reinitializes the host
 * FPU, and the host control word is restored.  Nothing executed on the host
 * after the guest instruction checks for pending exceptions, so the host
 * never takes SIGFPE.
 *
 * x87_fast.c handles the common case first (every exception masked, no
 * stack fault possible) with only the operands on the host FPU, or in C for
 * plain data movement; everything else takes the full-state path here.
 *
 * What this file does in C: operands in guest memory (read before, written
 * after, every fault taken before any state changes), the status-word merge
 * (sticky flags, ES/B), the last instruction/operand pointers (SDM Vol. 1
 * 8.1.8, 8.1.9), and the control instructions (FNINIT, FNCLEX, FLDCW,
 * FNSTCW, FNSTSW, FLDENV, FNSTENV, FRSTOR, FNSAVE) with the four environment
 * formats (SDM Vol. 1 8.1.10, figures 8-9 to 8-12).
 */
#include <string.h>

#include "interp.h"
#include "x87.h"
#include "x87_host.h"

#define SUB_MASK 0x3fu    /* IE DE ZE OE UE PE */

/* ---- invariants: ES/B, control word bits, tags ---- */

/* ES and B follow the unmasked exception flags (SDM Vol. 1 8.1.3.6; the
 * host recomputes them on FLDCW and FLDENV in the same way) */
static uint16_t fsw_with_es(uint16_t fsw, uint16_t fcw)
{
	fsw &= 0x7f7fu;
	if (fsw & ~fcw & SUB_MASK)
		fsw |= FSW_ES | FSW_B;
	return fsw;
}

static void ferr_lower(struct cpu *cpu)
{
	if (cpu->ferr)
		cpu->ferr(cpu->ferr_opaque, false);
}

/* after a control instruction changed FCW/FSW: recompute ES, lower FERR#
 * when the pending exception went away */
static void es_update(struct cpu *cpu)
{
	bool was = cpu->fpu.fsw & FSW_ES;
	cpu->fpu.fsw = fsw_with_es(cpu->fpu.fsw, cpu->fpu.fcw);
	if (was && !(cpu->fpu.fsw & FSW_ES))
		ferr_lower(cpu);
}

void x87_set_fcw(struct cpu *cpu, uint16_t fcw)
{
	/* bits 7 and 13-15 are reserved and read as 0, bit 6 reads as 1 (the
	 * value FNINIT loads, 037F, has it set) */
	cpu->fpu.fcw = (fcw & 0x1f3fu) | 0x0040u;
	es_update(cpu);
}

void x87_set_fsw(struct cpu *cpu, uint16_t fsw)
{
	cpu->fpu.fsw = fsw;
	es_update(cpu);
}

unsigned x87_tag(const struct x87reg *r)
{
	unsigned exp = r->se & 0x7fffu;
	if (exp == 0x7fff)
		return TAG_SPECIAL;                       /* infinities, NaNs, pseudo-NaN/inf */
	if (exp == 0)
		return r->mant ? TAG_SPECIAL : TAG_ZERO; /* denormals, pseudo-denormals */
	return (r->mant >> 63) ? TAG_VALID : TAG_SPECIAL;   /* unnormals are special */
}

/* full tag word from the register contents, keeping the empty ones (what
 * FNSTENV/FNSAVE store, SDM Vol. 1 8.1.7) */
static uint16_t full_tags(const struct fpu *f)
{
	uint16_t t = 0;
	for (unsigned i = 0; i < 8; i++) {
		unsigned tag = ((f->ftw >> (2 * i)) & 3) == TAG_EMPTY ? TAG_EMPTY : x87_tag(&f->st[i]);
		t |= (uint16_t)(tag << (2 * i));
	}
	return t;
}

/* FLDENV/FRSTOR: only "empty" is taken from the loaded tag word, the other
 * tags follow the register contents */
static void load_tags(struct cpu *cpu, uint16_t ftw)
{
	cpu->fpu.ftw = ftw | 0x5555u;   /* empty stays 11, others become 01 for now */
	for (unsigned i = 0; i < 8; i++)
		if (((ftw >> (2 * i)) & 3) != TAG_EMPTY)
			cpu->fpu.ftw &= (uint16_t)~(3u << (2 * i));
	cpu->fpu.ftw = full_tags(&cpu->fpu);
}

uint8_t x87_abridged_tags(const struct cpu *cpu)
{
	uint8_t t = 0;
	for (unsigned i = 0; i < 8; i++)
		if (((cpu->fpu.ftw >> (2 * i)) & 3) != TAG_EMPTY)
			t |= (uint8_t)(1u << i);
	return t;
}

void x87_set_abridged_tags(struct cpu *cpu, uint8_t tags)
{
	uint16_t ftw = 0;
	for (unsigned i = 0; i < 8; i++)
		if (!(tags & (1u << i)))
			ftw |= (uint16_t)(TAG_EMPTY << (2 * i));
	load_tags(cpu, ftw);
}

void x87_mmx_enter(struct cpu *cpu)
{
	/* SDM Vol. 1 9.5.1: TOP = 0, every tag valid (00B) */
	cpu->fpu.fsw &= (uint16_t)~FSW_TOP;
	cpu->fpu.ftw = 0;
}

void x87_emms(struct cpu *cpu)
{
	cpu->fpu.ftw = 0xffff;
}

void x87_init(struct cpu *cpu)
{
	/* FNINIT (SDM Vol. 2 FINIT/FNINIT): registers keep their contents */
	struct fpu *f = &cpu->fpu;
	f->fcw = 0x037f;
	f->fsw = 0;
	f->ftw = 0xffff;
	f->fip = f->fdp = 0;
	f->fcs = f->fds = 0;
	f->fop = 0;
	ferr_lower(cpu);
}

/* ---- pending exceptions (SDM Vol. 1 8.6, 8.7; Vol. 3 2.5 CR0.NE) ---- */

void x87_check_pending(struct cpu *cpu)
{
	if (!(cpu->fpu.fsw & FSW_ES))
		return;
	if (cpu->cr0 & CPU_CR0_NE)
		cpu_raise(cpu, EX_MF, -1);
	/* MS-DOS compatibility mode: FERR# to the interrupt controller (IRQ13
	 * on a PC); the instruction goes on as with IGNNE# asserted */
	if (cpu->ferr)
		cpu->ferr(cpu->ferr_opaque, true);
}

void x87_ignne(struct cpu *cpu)
{
	ferr_lower(cpu);
}

bool x87_waiting(unsigned op)
{
	return !(opinfo[op].attr & A_NOWAIT);
}

/* ---- guest memory ---- */

/* read n bytes (n <= 108) of a memory operand: every check before any use */
static void mem_read(struct cpu *cpu, int sreg, uint32_t off, unsigned n, uint8_t *buf)
{
	uint32_t lin = seg_check(cpu, sreg, off, n, ACC_READ);
	for (unsigned i = 0; i < n; i += 4) {
		unsigned k = n - i < 4 ? n - i : 4;
		uint32_t v = lin_read(cpu, lin + i, k, ACC_READ);
		for (unsigned j = 0; j < k; j++)
			buf[i + j] = (uint8_t)(v >> (8 * j));
	}
}

/* segment and page checks of a write of n bytes: returns the linear address */
static uint32_t mem_probe(struct cpu *cpu, int sreg, uint32_t off, unsigned n)
{
	uint32_t lin = seg_check(cpu, sreg, off, n, ACC_WRITE);
	lin_probe_write(cpu, lin, n, ACC_WRITE);
	return lin;
}

static void mem_write(struct cpu *cpu, uint32_t lin, unsigned n, const uint8_t *buf)
{
	for (unsigned i = 0; i < n; i += 4) {
		unsigned k = n - i < 4 ? n - i : 4;
		uint32_t v = 0;
		for (unsigned j = 0; j < k; j++)
			v |= (uint32_t)buf[i + j] << (8 * j);
		lin_write(cpu, lin + i, k, v, ACC_WRITE);
	}
}

/* ---- pointers (SDM Vol. 1 8.1.8, 8.1.9) ---- */

/* a non-control instruction executed: instruction pointer (the address of
 * its first prefix), opcode (low 3 bits of the first byte, then ModRM), and
 * for a memory operand its offset and selector */
static void set_pointers(struct cpu *cpu, const struct insn *in)
{
	struct fpu *f = &cpu->fpu;
	f->fip = cpu->eip;
	f->fcs = cpu->seg[S_CS].sel;
	f->fop = (uint16_t)(((in->opc & 7u) << 8) | in->modrm);
	if (INSN_MEMOP(in)) {
		f->fdp = ea_offset(cpu, in);
		f->fds = cpu->seg[in->seg].sel;
	}
}

/* ---- executing on the host ---- */

/* the operand size of a memory form (mod != 3) that reads or writes a value */
static unsigned mem_size(const struct insn *in)
{
	unsigned reg = INSN_REG(in);
	switch (in->opc) {
	case 0xd8: case 0xd9: case 0xda: return 4;
	case 0xdb: return reg == 5 || reg == 7 ? 10 : 4;
	case 0xdc: case 0xdd: return 8;
	case 0xde: return 2;
	default:   return reg == 4 || reg == 6 ? 10 : reg == 5 || reg == 7 ? 8 : 2;
	}
}

/* the guest state into the host image: the host must not see a pending
 * exception, so the flags, ES and B are cleared there and merged back after */
static void state_to_host(const struct fpu *f, struct x87_host_img *img)
{
	memset(img, 0, sizeof(*img));
	img->fcw = f->fcw;
	img->fsw = f->fsw & 0x7f00u;
	img->ftw = f->ftw;
	unsigned top = (f->fsw >> FSW_TOP_SHIFT) & 7;
	for (unsigned i = 0; i < 8; i++) {
		const struct x87reg *r = &f->st[(top + i) & 7];
		memcpy(img->st[i], &r->mant, 8);
		memcpy(img->st[i] + 8, &r->se, 2);
	}
}

static void state_from_host(struct fpu *f, const struct x87_host_img *img)
{
	uint16_t fsw = (uint16_t)((img->fsw & 0x7f7fu) | (f->fsw & 0x7fu));
	f->fsw = fsw_with_es(fsw, f->fcw);
	f->ftw = img->ftw;
	unsigned top = (img->fsw >> FSW_TOP_SHIFT) & 7;
	for (unsigned i = 0; i < 8; i++) {
		struct x87reg *r = &f->st[(top + i) & 7];
		memcpy(&r->mant, img->st[i], 8);
		memcpy(&r->se, img->st[i] + 8, 2);
	}
}

/* Run the instruction on the host with buf as its memory operand (or none).
 * Returns the exception flags the instruction raised; *eflags: in, the
 * guest's CF ZF PF (FCMOVcc); out, the flags after it (FCOMI). */
static unsigned run(struct cpu *cpu, const struct insn *in, uint8_t *buf, uint32_t *eflags)
{
	struct x87_host_img img;
	state_to_host(&cpu->fpu, &img);
	uint32_t fl = x87_host_exec(&img, in->opc, in->modrm, buf, eflags ? *eflags : 0);
	if (eflags)
		*eflags = fl;
	state_from_host(&cpu->fpu, &img);
	return img.fsw & SUB_MASK;
}

/* register forms: arithmetic, compares, loads/stores between registers,
 * constants, transcendentals, FXCH, FFREE, FINCSTP ... */
void h_x87_reg(struct cpu *cpu, const struct insn *in)
{
	if (!x87_fast(cpu, in, NULL))
		run(cpu, in, NULL, NULL);
	set_pointers(cpu, in);
}

/* FCMOVcc: the host executes it on the guest's CF, ZF and PF */
void h_x87_fcmov(struct cpu *cpu, const struct insn *in)
{
	uint32_t fl = cpu->eflags & (F_CF | F_PF | F_ZF);
	if (!x87_fast(cpu, in, NULL))
		run(cpu, in, NULL, &fl);
	set_pointers(cpu, in);
}

/* FCOMI, FCOMIP, FUCOMI, FUCOMIP: ZF PF CF from the compare, OF SF AF cleared */
void h_x87_fcomi(struct cpu *cpu, const struct insn *in)
{
	uint32_t fl = 0;
	if (x87_fast(cpu, in, NULL)) {
		set_pointers(cpu, in);
		return;
	}
	run(cpu, in, NULL, &fl);
	cpu->eflags = (cpu->eflags & ~F_OSZAPC) | (fl & F_OSZAPC);
	set_pointers(cpu, in);
}

/* memory source: FLD m32/m64/m80, FILD, FBLD, arithmetic and compares with
 * a memory operand */
void h_x87_load(struct cpu *cpu, const struct insn *in)
{
	uint8_t buf[16];
	mem_read(cpu, in->seg, ea_offset(cpu, in), mem_size(in), buf);
	if (!x87_fast(cpu, in, buf))
		run(cpu, in, buf, NULL);
	set_pointers(cpu, in);
}

/* memory destination: FST/FSTP m32/m64/m80, FIST/FISTP, FBSTP.  Nothing is
 * stored when an unmasked exception other than #P occurs (SDM Vol. 1
 * 8.5.1.2, 8.5.4, 8.5.5); the host leaves its buffer alone then too. */
void h_x87_store(struct cpu *cpu, const struct insn *in)
{
	uint8_t buf[16];
	unsigned n = mem_size(in);
	uint32_t lin = mem_probe(cpu, in->seg, ea_offset(cpu, in), n);
	uint16_t fcw = cpu->fpu.fcw;
	memset(buf, 0, sizeof(buf));
	if (x87_fast(cpu, in, buf)) {
		mem_write(cpu, lin, n, buf);   /* every exception masked: always stored */
	} else {
		unsigned raised = run(cpu, in, buf, NULL);
		if (!(raised & ~fcw & (SUB_MASK & ~FSW_PE)))
			mem_write(cpu, lin, n, buf);
	}
	set_pointers(cpu, in);
}

/* ---- control instructions: no pointer update (SDM Vol. 1 8.1.8) ---- */

void h_x87_fninit(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	x87_init(cpu);
}

void h_x87_fnclex(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	/* PE UE OE ZE DE IE, SF, ES and B (SDM Vol. 2 FCLEX/FNCLEX) */
	cpu->fpu.fsw &= (uint16_t)~0x80ffu;
	ferr_lower(cpu);
}

/* FENI, FDISI (8087) and FSETPM (287): no operation on the 387 and later;
 * like the control instructions they neither wait nor change the pointers */
void h_x87_legacy(struct cpu *cpu, const struct insn *in)
{
	(void)cpu;
	(void)in;
}

void h_x87_fnstsw(struct cpu *cpu, const struct insn *in)
{
	vwrite(cpu, in->seg, ea_offset(cpu, in), 2, cpu->fpu.fsw);
}

void h_x87_fnstsw_ax(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	reg_write(cpu, R_EAX, 2, cpu->fpu.fsw);
}

void h_x87_fnstcw(struct cpu *cpu, const struct insn *in)
{
	vwrite(cpu, in->seg, ea_offset(cpu, in), 2, cpu->fpu.fcw);
}

void h_x87_fldcw(struct cpu *cpu, const struct insn *in)
{
	x87_set_fcw(cpu, (uint16_t)vread(cpu, in->seg, ea_offset(cpu, in), 2));
}

/* ---- FNSTENV/FLDENV/FNSAVE/FRSTOR: the four environment formats ----
 * 32-bit operand size: 28 bytes, 16-bit: 14 bytes (SDM Vol. 1 figures 8-9
 * to 8-12).  In real-address and virtual-8086 mode the pointers are stored
 * as 20-bit (32-bit format: 32-bit) linear addresses and the opcode is kept;
 * in protected mode as offset and selector.  Reserved halves of the 32-bit
 * formats are stored as FFFFh, as the processor does. */

static void put16(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, v);
	put16(b + 2, v >> 16);
}

static uint32_t get16(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8;
}

static uint32_t get32(const uint8_t *b)
{
	return get16(b) | get16(b + 2) << 16;
}

static bool real_format(const struct cpu *cpu)
{
	return !cpu_protected(cpu) || cpu_v86(cpu);
}

static unsigned env_size(const struct insn *in)
{
	return in->osize == 4 ? 28 : 14;
}

static void env_encode(const struct cpu *cpu, const struct insn *in, uint8_t *b)
{
	const struct fpu *f = &cpu->fpu;
	uint32_t ftw = full_tags(f);
	uint32_t ip = f->fip, dp = f->fdp;
	bool real = real_format(cpu);
	if (real) {
		ip = ((uint32_t)f->fcs << 4) + f->fip;
		dp = ((uint32_t)f->fds << 4) + f->fdp;
	}
	if (in->osize == 4) {
		put32(b + 0, 0xffff0000u | f->fcw);
		put32(b + 4, 0xffff0000u | f->fsw);
		put32(b + 8, 0xffff0000u | ftw);
		if (real) {
			put32(b + 12, 0xffff0000u | (ip & 0xffff));
			put32(b + 16, ((ip & 0xffff0000u) >> 4) | (f->fop & 0x7ffu));
			put32(b + 20, 0xffff0000u | (dp & 0xffff));
			put32(b + 24, (dp & 0xffff0000u) >> 4);
		} else {
			put32(b + 12, ip);
			put32(b + 16, f->fcs | (uint32_t)(f->fop & 0x7ffu) << 16);
			put32(b + 20, dp);
			put32(b + 24, 0xffff0000u | f->fds);
		}
	} else {
		put16(b + 0, f->fcw);
		put16(b + 2, f->fsw);
		put16(b + 4, ftw);
		put16(b + 6, ip);
		put16(b + 10, dp);
		if (real) {
			put16(b + 8, ((ip >> 16) & 0xf) << 12 | (f->fop & 0x7ffu));
			put16(b + 12, ((dp >> 16) & 0xf) << 12);
		} else {
			put16(b + 8, f->fcs);
			put16(b + 12, f->fds);
		}
	}
}

/* the environment part of FLDENV/FRSTOR; the caller loads the tags once the
 * registers are in place.  Returns the tag word as loaded. */
static uint16_t env_decode(struct cpu *cpu, const struct insn *in, const uint8_t *b)
{
	struct fpu *f = &cpu->fpu;
	uint16_t ftw;
	bool real = real_format(cpu);
	if (in->osize == 4) {
		f->fcw = (uint16_t)get32(b + 0);
		f->fsw = (uint16_t)get32(b + 4);
		ftw = (uint16_t)get32(b + 8);
		if (real) {
			f->fip = get16(b + 12) | ((get32(b + 16) >> 12) & 0xffff) << 16;
			f->fop = (uint16_t)(get32(b + 16) & 0x7ff);
			f->fdp = get16(b + 20) | ((get32(b + 24) >> 12) & 0xffff) << 16;
			f->fcs = f->fds = 0;
		} else {
			f->fip = get32(b + 12);
			f->fcs = (uint16_t)get16(b + 16);
			f->fop = (uint16_t)(get16(b + 18) & 0x7ff);
			f->fdp = get32(b + 20);
			f->fds = (uint16_t)get16(b + 24);
		}
	} else {
		f->fcw = (uint16_t)get16(b + 0);
		f->fsw = (uint16_t)get16(b + 2);
		ftw = (uint16_t)get16(b + 4);
		if (real) {
			f->fip = get16(b + 6) | (get16(b + 8) >> 12) << 16;
			f->fop = (uint16_t)(get16(b + 8) & 0x7ff);
			f->fdp = get16(b + 10) | (get16(b + 12) >> 12) << 16;
			f->fcs = f->fds = 0;
		} else {
			/* no opcode in this format: FOP keeps its value */
			f->fip = get16(b + 6);
			f->fcs = (uint16_t)get16(b + 8);
			f->fdp = get16(b + 10);
			f->fds = (uint16_t)get16(b + 12);
		}
	}
	x87_set_fcw(cpu, f->fcw);
	return ftw;
}

void h_x87_fnstenv(struct cpu *cpu, const struct insn *in)
{
	uint8_t b[28];
	unsigned n = env_size(in);
	uint32_t lin = mem_probe(cpu, in->seg, ea_offset(cpu, in), n);
	env_encode(cpu, in, b);
	mem_write(cpu, lin, n, b);
	/* then every exception is masked (SDM Vol. 2 FSTENV/FNSTENV) */
	x87_set_fcw(cpu, cpu->fpu.fcw | FCW_MASKS);
}

void h_x87_fldenv(struct cpu *cpu, const struct insn *in)
{
	uint8_t b[28];
	mem_read(cpu, in->seg, ea_offset(cpu, in), env_size(in), b);
	load_tags(cpu, env_decode(cpu, in, b));
}

void h_x87_fnsave(struct cpu *cpu, const struct insn *in)
{
	uint8_t b[108];
	unsigned n = env_size(in);
	uint32_t lin = mem_probe(cpu, in->seg, ea_offset(cpu, in), n + 80);
	env_encode(cpu, in, b);
	unsigned top = (cpu->fpu.fsw >> FSW_TOP_SHIFT) & 7;
	for (unsigned i = 0; i < 8; i++) {
		const struct x87reg *r = &cpu->fpu.st[(top + i) & 7];
		memcpy(b + n + 10 * i, &r->mant, 8);
		put16(b + n + 10 * i + 8, r->se);
	}
	mem_write(cpu, lin, n + 80, b);
	/* then the FPU is initialized as by FNINIT (SDM Vol. 2 FSAVE/FNSAVE) */
	x87_init(cpu);
}

void h_x87_frstor(struct cpu *cpu, const struct insn *in)
{
	uint8_t b[108];
	unsigned n = env_size(in);
	mem_read(cpu, in->seg, ea_offset(cpu, in), n + 80, b);
	uint16_t ftw = env_decode(cpu, in, b);
	unsigned top = (cpu->fpu.fsw >> FSW_TOP_SHIFT) & 7;
	for (unsigned i = 0; i < 8; i++) {
		struct x87reg *r = &cpu->fpu.st[(top + i) & 7];
		memcpy(&r->mant, b + n + 10 * i, 8);
		r->se = (uint16_t)get16(b + n + 10 * i + 8);
	}
	load_tags(cpu, ftw);
}

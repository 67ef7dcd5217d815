/*
 * The x87 fast path: the common case of the common instructions without
 * moving the whole FPU state through FRSTOR/FNSAVE (x87.c).
 *
 * It applies only when nothing unusual can happen: every exception masked
 * in FCW (then the masked responses are the whole story: the result is
 * always delivered, stack pops always happen), every register the
 * instruction reads is non-empty and a push finds ST(7) empty (no stack
 * fault).  Otherwise x87.c runs the instruction on the full state.
 *
 *  - data movement with no arithmetic (FLD ST(i), FST/FSTP ST(i), FXCH,
 *    FCHS, FABS, FLD1, FLDZ, FINCSTP, FDECSTP, FFREE, FNOP) is done in C:
 *    these raise nothing but stack faults, copy values bit for bit and
 *    clear C1 (SDM Vol. 2 instruction pages);
 *  - arithmetic, conversions, compares and transcendentals of a fixed
 *    stack shape run on the host FPU with only their operands loaded
 *    (x87_host_fast): the guest's ST(0) and ST(i) as the host's ST(0) and
 *    ST(1), the ModRM's ST(i) field rewritten to ST(1).  The host's result
 *    goes back to the guest registers the instruction writes; the C0-C3
 *    bits the instruction defines come from the host, the others keep their
 *    value (the host leaves "undefined" bits unchanged).
 * tests/x87-diff.c checks every case against the host running the
 * instruction on the full state.
 */
#include "interp.h"
#include "x87.h"
#include "x87_host.h"

enum {
	K_NONE,      /* not here: the full-state path */
	K_HOST,      /* operands to the host FPU */
	K_FLD_STI, K_FST_STI, K_FSTP_STI, K_FXCH, K_FCHS, K_FABS, K_FLD1, K_FLDZ,
	K_FINCSTP, K_FDECSTP, K_FFREE, K_FNOP,
};

/* operands of K_HOST forms */
enum {
	IN_NONE,     /* pushes a value (loads, constants) */
	IN_ST0,      /* ST(0) */
	IN_STI,      /* ST(0) and ST(i), i from ModRM.rm */
	IN_ST1,      /* ST(0) and ST(1), implicit (FSCALE, FPATAN, FCOMPP ...) */
};

enum { EF_NONE, EF_IN, EF_OUT };   /* EFLAGS: FCMOVcc reads, FCOMI writes */

struct fast_desc {
	uint8_t kind;
	uint8_t in;
	int8_t push;         /* +1 push, -1 pop, -2 pop twice */
	uint8_t eflags;
	uint16_t cbits;      /* C0-C3 bits that come from the host */
};

#define C1   FSW_C1
#define CALL (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)
#define H(i, p, c)  { K_HOST, i, p, EF_NONE, c }
#define HF(i, p, c, e) { K_HOST, i, p, e, c }
#define C(k) { k, 0, 0, EF_NONE, 0 }

/* arithmetic with a memory operand, and its compares */
#define ARITH_M(sfx) \
	[op_FADD_ST0_##sfx] = H(IN_ST0, 0, C1), [op_FMUL_ST0_##sfx] = H(IN_ST0, 0, C1), \
	[op_FSUB_ST0_##sfx] = H(IN_ST0, 0, C1), [op_FSUBR_ST0_##sfx] = H(IN_ST0, 0, C1), \
	[op_FDIV_ST0_##sfx] = H(IN_ST0, 0, C1), [op_FDIVR_ST0_##sfx] = H(IN_ST0, 0, C1), \
	[op_FCOM_##sfx] = H(IN_ST0, 0, CALL), [op_FCOMP_##sfx] = H(IN_ST0, -1, CALL)
#define IARITH_M(sfx) \
	[op_FIADD_ST0_##sfx] = H(IN_ST0, 0, C1), [op_FIMUL_ST0_##sfx] = H(IN_ST0, 0, C1), \
	[op_FISUB_ST0_##sfx] = H(IN_ST0, 0, C1), [op_FISUBR_ST0_##sfx] = H(IN_ST0, 0, C1), \
	[op_FIDIV_ST0_##sfx] = H(IN_ST0, 0, C1), [op_FIDIVR_ST0_##sfx] = H(IN_ST0, 0, C1), \
	[op_FICOM_##sfx] = H(IN_ST0, 0, CALL), [op_FICOMP_##sfx] = H(IN_ST0, -1, CALL)

static const struct fast_desc fast[OP_COUNT] = {
	ARITH_M(Md), ARITH_M(Mq), IARITH_M(Md), IARITH_M(Mw),
	/* D8 register forms: ST(0) op ST(i) */
	[op_FADD_ST0_STi] = H(IN_STI, 0, C1), [op_FMUL_ST0_STi] = H(IN_STI, 0, C1),
	[op_FSUB_ST0_STi] = H(IN_STI, 0, C1), [op_FSUBR_ST0_STi] = H(IN_STI, 0, C1),
	[op_FDIV_ST0_STi] = H(IN_STI, 0, C1), [op_FDIVR_ST0_STi] = H(IN_STI, 0, C1),
	[op_FCOM_STi] = H(IN_STI, 0, CALL), [op_FCOMP_STi] = H(IN_STI, -1, CALL),
	/* DC register forms: ST(i) op ST(0); DE: and pop */
	[op_FADD_STi_ST0] = H(IN_STI, 0, C1), [op_FMUL_STi_ST0] = H(IN_STI, 0, C1),
	[op_FSUB_STi_ST0] = H(IN_STI, 0, C1), [op_FSUBR_STi_ST0] = H(IN_STI, 0, C1),
	[op_FDIV_STi_ST0] = H(IN_STI, 0, C1), [op_FDIVR_STi_ST0] = H(IN_STI, 0, C1),
	[op_FADDP_STi_ST0] = H(IN_STI, -1, C1), [op_FMULP_STi_ST0] = H(IN_STI, -1, C1),
	[op_FSUBP_STi_ST0] = H(IN_STI, -1, C1), [op_FSUBRP_STi_ST0] = H(IN_STI, -1, C1),
	[op_FDIVP_STi_ST0] = H(IN_STI, -1, C1), [op_FDIVRP_STi_ST0] = H(IN_STI, -1, C1),
	[op_FUCOM_STi] = H(IN_STI, 0, CALL), [op_FUCOMP_STi] = H(IN_STI, -1, CALL),
	[op_FCOMPP] = H(IN_ST1, -2, CALL), [op_FUCOMPP] = H(IN_ST1, -2, CALL),
	[op_FCOMI_ST0_STi] = HF(IN_STI, 0, 0, EF_OUT), [op_FUCOMI_ST0_STi] = HF(IN_STI, 0, 0, EF_OUT),
	[op_FCOMIP_ST0_STi] = HF(IN_STI, -1, 0, EF_OUT), [op_FUCOMIP_ST0_STi] = HF(IN_STI, -1, 0, EF_OUT),
	[op_FCMOVB_ST0_STi] = HF(IN_STI, 0, 0, EF_IN), [op_FCMOVE_ST0_STi] = HF(IN_STI, 0, 0, EF_IN),
	[op_FCMOVBE_ST0_STi] = HF(IN_STI, 0, 0, EF_IN), [op_FCMOVU_ST0_STi] = HF(IN_STI, 0, 0, EF_IN),
	[op_FCMOVNB_ST0_STi] = HF(IN_STI, 0, 0, EF_IN), [op_FCMOVNE_ST0_STi] = HF(IN_STI, 0, 0, EF_IN),
	[op_FCMOVNBE_ST0_STi] = HF(IN_STI, 0, 0, EF_IN), [op_FCMOVNU_ST0_STi] = HF(IN_STI, 0, 0, EF_IN),
	/* loads and stores */
	[op_FLD_Md] = H(IN_NONE, 1, C1), [op_FLD_Mq] = H(IN_NONE, 1, C1), [op_FLD_Mt] = H(IN_NONE, 1, C1),
	[op_FILD_Mw] = H(IN_NONE, 1, C1), [op_FILD_Md] = H(IN_NONE, 1, C1), [op_FILD_Mq] = H(IN_NONE, 1, C1),
	[op_FBLD_Mt] = H(IN_NONE, 1, C1),
	[op_FST_Md] = H(IN_ST0, 0, C1), [op_FST_Mq] = H(IN_ST0, 0, C1),
	[op_FSTP_Md] = H(IN_ST0, -1, C1), [op_FSTP_Mq] = H(IN_ST0, -1, C1), [op_FSTP_Mt] = H(IN_ST0, -1, C1),
	[op_FIST_Mw] = H(IN_ST0, 0, C1), [op_FIST_Md] = H(IN_ST0, 0, C1),
	[op_FISTP_Mw] = H(IN_ST0, -1, C1), [op_FISTP_Md] = H(IN_ST0, -1, C1), [op_FISTP_Mq] = H(IN_ST0, -1, C1),
	[op_FBSTP_Mt] = H(IN_ST0, -1, C1),
	/* D9 one-operand and constant forms */
	[op_FTST] = H(IN_ST0, 0, CALL), [op_FXAM] = H(IN_ST0, 0, CALL),
	[op_FLDL2T] = H(IN_NONE, 1, C1), [op_FLDL2E] = H(IN_NONE, 1, C1), [op_FLDPI] = H(IN_NONE, 1, C1),
	[op_FLDLG2] = H(IN_NONE, 1, C1), [op_FLDLN2] = H(IN_NONE, 1, C1),
	[op_F2XM1] = H(IN_ST0, 0, C1), [op_FSQRT] = H(IN_ST0, 0, C1), [op_FRNDINT] = H(IN_ST0, 0, C1),
	[op_FSIN] = H(IN_ST0, 0, C1 | FSW_C2), [op_FCOS] = H(IN_ST0, 0, C1 | FSW_C2),
	[op_FYL2X] = H(IN_ST1, -1, C1), [op_FYL2XP1] = H(IN_ST1, -1, C1), [op_FPATAN] = H(IN_ST1, -1, C1),
	[op_FSCALE] = H(IN_ST1, 0, C1),
	/* in C */
	[op_FLD_STi] = C(K_FLD_STI), [op_FST_STi] = C(K_FST_STI), [op_FSTP_STi] = C(K_FSTP_STI),
	[op_FXCH_STi] = C(K_FXCH), [op_FCHS] = C(K_FCHS), [op_FABS] = C(K_FABS),
	[op_FLD1] = C(K_FLD1), [op_FLDZ] = C(K_FLDZ), [op_FINCSTP] = C(K_FINCSTP),
	[op_FDECSTP] = C(K_FDECSTP), [op_FFREE_STi] = C(K_FFREE), [op_FNOP] = C(K_FNOP),
};

static unsigned tag_get(const struct fpu *f, unsigned r)
{
	return (f->ftw >> (2 * r)) & 3;
}

static void tag_set(struct fpu *f, unsigned r, unsigned tag)
{
	f->ftw = (uint16_t)((f->ftw & ~(3u << (2 * r))) | tag << (2 * r));
}

static void reg_put(struct fpu *f, unsigned r, const struct x87reg *v)
{
	f->st[r].mant = v->mant;
	f->st[r].se = v->se;
	tag_set(f, r, x87_tag(v));
}

static void set_top_c1(struct fpu *f, unsigned top, uint16_t c1)
{
	f->fsw = (uint16_t)((f->fsw & ~(FSW_TOP | FSW_C1)) | top << FSW_TOP_SHIFT | c1);
}

/* the data-movement instructions: false if a stack fault is possible */
static bool fast_c(struct fpu *f, unsigned kind, unsigned i)
{
	unsigned top = (f->fsw >> FSW_TOP_SHIFT) & 7;
	unsigned r0 = top, ri = (top + i) & 7, below = (top - 1) & 7;
	switch (kind) {
	case K_FLD_STI:
		if (tag_get(f, ri) == TAG_EMPTY || tag_get(f, below) != TAG_EMPTY)
			return false;
		reg_put(f, below, &f->st[ri]);
		set_top_c1(f, below, 0);
		return true;
	case K_FLD1:
	case K_FLDZ: {
		if (tag_get(f, below) != TAG_EMPTY)
			return false;
		/* exact values: the rounding control does not change them */
		struct x87reg v = { kind == K_FLD1 ? 1ull << 63 : 0, kind == K_FLD1 ? 0x3fff : 0, { 0, 0, 0 } };
		reg_put(f, below, &v);
		set_top_c1(f, below, 0);
		return true;
	}
	case K_FST_STI:
	case K_FSTP_STI:
		if (tag_get(f, r0) == TAG_EMPTY)
			return false;
		reg_put(f, ri, &f->st[r0]);
		if (kind == K_FSTP_STI) {
			tag_set(f, r0, TAG_EMPTY);
			top = (top + 1) & 7;
		}
		set_top_c1(f, top, 0);
		return true;
	case K_FXCH: {
		if (tag_get(f, r0) == TAG_EMPTY || tag_get(f, ri) == TAG_EMPTY)
			return false;
		struct x87reg t = f->st[r0];
		reg_put(f, r0, &f->st[ri]);
		reg_put(f, ri, &t);
		set_top_c1(f, top, 0);
		return true;
	}
	case K_FCHS:
	case K_FABS:
		if (tag_get(f, r0) == TAG_EMPTY)
			return false;
		if (kind == K_FCHS)
			f->st[r0].se ^= 0x8000;
		else
			f->st[r0].se &= 0x7fff;
		set_top_c1(f, top, 0);
		return true;
	case K_FINCSTP:
		set_top_c1(f, (top + 1) & 7, 0);
		return true;
	case K_FDECSTP:
		set_top_c1(f, below, 0);
		return true;
	case K_FFREE:
		tag_set(f, ri, TAG_EMPTY);
		set_top_c1(f, top, 0);
		return true;
	case K_FNOP:
		return true;
	default:
		return false;
	}
}

bool x87_fast(struct cpu *cpu, const struct insn *in, uint8_t *buf)
{
	const struct fast_desc *d = &fast[in->op];
	struct fpu *f = &cpu->fpu;
	if (d->kind == K_NONE)
		return false;
	if (d->kind != K_HOST)
		return fast_c(f, d->kind, in->modrm & 7);
	if ((f->fcw & FCW_MASKS) != FCW_MASKS)
		return false;

	/* the guest registers the host's ST(0), ST(1) stand for */
	unsigned top = (f->fsw >> FSW_TOP_SHIFT) & 7;
	unsigned nin, list[3];
	uint8_t modrm = in->modrm;
	list[0] = top;
	switch (d->in) {
	case IN_NONE:
		nin = 0;
		break;
	case IN_ST0:
		nin = 1;
		break;
	case IN_STI:
		if (modrm & 7) {
			nin = 2;
			list[1] = (top + (modrm & 7)) & 7;
			modrm = (uint8_t)((modrm & ~7u) | 1);
		} else {
			/* FADDP ST(0), ST(0) ... (DE): the result lands in the
			 * register the pop frees, which keeps it: rare, not here */
			if (in->opc == 0xde)
				return false;
			nin = 1;
		}
		break;
	default:
		nin = 2;
		list[1] = (top + 1) & 7;
		break;
	}
	for (unsigned k = 0; k < nin; k++)
		if (tag_get(f, list[k]) == TAG_EMPTY)
			return false;
	if (d->push > 0 && tag_get(f, (top - 1) & 7) != TAG_EMPTY)
		return false;

	struct x87_fast_call fc;
	for (unsigned k = 0; k < nin; k++) {
		__builtin_memcpy(fc.r[k], &f->st[list[k]].mant, 8);
		__builtin_memcpy(fc.r[k] + 8, &f->st[list[k]].se, 2);
	}
	fc.gcw = f->fcw;
	fc.flags = cpu->eflags;
	unsigned nout = (unsigned)((int)nin + d->push);
	x87_host_fast(&fc, in->opc, modrm, buf, nin, nout, d->eflags != EF_NONE);

	/* the host stack after, as guest registers */
	unsigned out[3], *o = out;
	if (d->push > 0) {
		out[0] = (top - 1) & 7;
		out[1] = list[0];
		out[2] = list[1];
	} else {
		o = list + (unsigned)(-d->push);
		for (unsigned k = 0; k < (unsigned)(-d->push); k++)
			tag_set(f, list[k], TAG_EMPTY);
	}
	for (unsigned k = 0; k < nout; k++) {
		struct x87reg v = { 0, 0, { 0, 0, 0 } };
		__builtin_memcpy(&v.mant, fc.r[k], 8);
		__builtin_memcpy(&v.se, fc.r[k] + 8, 2);
		reg_put(f, o[k], &v);
	}
	top = (top - (unsigned)d->push) & 7;
	uint16_t fsw = (uint16_t)((f->fsw & ~(FSW_TOP | d->cbits)) | top << FSW_TOP_SHIFT |
				  (fc.sw & d->cbits) | (fc.sw & 0x3f));
	f->fsw = fsw;   /* every exception is masked: ES stays clear */
	if (d->eflags == EF_OUT)
		cpu->eflags = (cpu->eflags & ~F_OSZAPC) | ((uint32_t)fc.flags & F_OSZAPC);
	return true;
}

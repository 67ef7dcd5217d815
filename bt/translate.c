/*
 * Translating one block: decode guest instructions with the shared decoder,
 * classify them by the opcode table, emit host code (see bt.h for the layout
 * of a block and the register assignment).
 */
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "../cpu/interp.h"
#include "bt_int.h"

#define OFF(f) ((int32_t)offsetof(struct cpu, f))
#define OFF_R(i) ((int32_t)(offsetof(struct cpu, r) + 4 * (i)))


uint32_t bt_mode_of(const struct cpu *cpu)
{
	uint32_t m = (uint32_t)cpu->cpl | ((cpu->seg[S_CS].attr & SA_DB) ? BT_MODE_CODE32 : 0) |
		     ((cpu->seg[S_SS].attr & SA_DB) ? BT_MODE_STACK32 : 0) |
		     (cpu->seg[S_CS].limit == 0xffffffffu ? BT_MODE_CSBIG : 0);
	if (cpu->cpl == 3 && win_current(&cpu->shadow))
		m |= BT_MODE_WIN;
	for (int i = 0; i < 6; i++) {
		const struct seg *sg = &cpu->seg[i];
		/* data, writable, expand-up (type 001x), present, 4 GiB */
		if (sg->valid && (sg->attr & (SA_P | SA_S)) == (SA_P | SA_S) && (sg->attr & 0xe) == 0x2 &&
		    sg->limit == 0xffffffffu) {
			m |= BT_MODE_SEGBIG(i);
			if (sg->base == 0)
				m |= BT_MODE_SEGZERO(i);
		}
	}
	return m;
}

/* Which ModRM fields and opcode register name byte registers (AL..BH),
 * from the operand string: E/G/Z with size letter b. */
struct opnd_shape {
	bool ok;                  /* only register, immediate and fixed operands */
	bool reg_byte, rm_byte, z_byte;
	bool has_z, has_g;        /* ModRM.reg names a register (else an opcode extension) */
};

static struct opnd_shape operand_shape(const char *ops)
{
	struct opnd_shape s = { true, false, false, false, false, false };
	const char *p = ops;
	while (*p) {
		const char *q = p;
		while (*q && *q != ',')
			q++;
		size_t n = (size_t)(q - p);
		char kind = p[0];
		bool byte = n >= 2 && p[1] == 'b';
		if (kind == 'E')
			s.rm_byte = byte;
		else if (kind == 'G') {
			s.reg_byte = byte;
			s.has_g = true;
		}
		else if (kind == 'Z') {
			s.z_byte = byte;
			s.has_z = true;
		} else if (kind == 'I') {
			/* immediate */
		} else if ((n == 2 && (p[0] == 'A' || p[0] == 'C') && p[1] == 'L') ||
			   (n == 3 && p[0] == 'e' && p[1] == 'A' && p[2] == 'X') ||
			   (n == 2 && p[0] == 'A' && p[1] == 'X') || (n == 1 && p[0] == '1')) {
			/* AL CL eAX AX, shift by 1 */
		} else {
			s.ok = false;   /* memory-only, segment, control, string, moffs, x87 ... */
		}
		p = *q ? q + 1 : q;
	}
	return s;
}

bool bt_native_form(const struct insn *in)
{
	const struct opinfo *oi = &opinfo[in->op];
	if (oi->attr & (A_PRIV | A_SENS | A_IOPL | A_BRANCH | A_MEMOP | A_ENDBLK | A_UD | A_STRING |
			A_FPU | A_SIMD | A_NOEXEC | A_PREFIX | A_PMONLY))
		return false;
	if ((oi->fr | oi->fw) & ~F_OSZAPC)
		return false;
	if (INSN_MEMOP(in) || (in->pfx & (PFX_LOCK | PFX_F2 | PFX_F3)))
		return false;
	if (oi->attr & (A_NO64 | A_VIRT))
		return false;
	/* DIV and IDIV (F6/F7 /6 /7) may raise #DE: the handler checks */
	if (in->map == 0 && (in->opc == 0xf6 || in->opc == 0xf7) && INSN_REG(in) >= 6)
		return false;
	return operand_shape(oi->operands).ok;
}

/* ---- emission helpers ---- */

/* Where the guest's OSZAPC are at a point of the block being emitted */
enum flags_at {
	FL_MEM,     /* in cpu->eflags (at every block boundary and handler call) */
	FL_HOST,    /* in host RFLAGS (after a native instruction that wrote them) */
	FL_R9,      /* in r9 as a PUSHFQ image (an inline memory access needed the host flags) */
};

#define MAX_SLOW 64

/* an inline memory access's out-of-line slow path, emitted after the body */
struct slow {
	uint8_t *jumps[4];        /* rel32 fields (writable) to point at it */
	unsigned njumps;
	uint8_t *join;            /* executable address to return to */
	unsigned insn;            /* index in the block */
	unsigned pending;         /* icount owed before the instruction */
	enum flags_at before, after;
	uint32_t fix0_before;     /* tctx.fix0 before the instruction */
	bool to_r11;              /* the fast path leaves the next EIP in r11 (RET) */
	bool ends_block;          /* the block leaves right after the join */
	uint8_t *site[3];         /* window accesses (executable addresses) that fault to it */
	bool logged[3];           /* lockstep logged the store before that access */
	unsigned nsites;
};

struct tctx {
	struct bt *bt;
	struct emit e;
	struct bt_block *b;
	enum flags_at flags;
	uint32_t fix0;            /* flags the interpreter has made 0 where the host's may not be */
	unsigned pending;         /* instructions retired since icount was last updated */
	struct slow slow[MAX_SLOW];
	unsigned nslow;
	const uint32_t *eips;
};

/* OSZAPC from r11 (a PUSHFQ image) into cpu->eflags, the flags in fix0
 * cleared (clobbers r10, r11, flags) */
static void emit_merge_r11_flags(struct emit *e, uint32_t fix0)
{
	e_alu_imm32(e, 4, H_R11, F_OSZAPC & ~fix0);     /* and r11d, OSZAPC less fix0 */
	e_load32(e, H_R10, OFF(eflags));
	e_alu_imm32(e, 4, H_R10, ~(uint32_t)F_OSZAPC);
	e_or_rr32(e, H_R10, H_R11);
	e_store32(e, H_R10, OFF(eflags));
}

/* Flags to cpu->eflags from wherever they are */
static void flags_to_memory(struct tctx *t)
{
	struct emit *e = &t->e;
	if (t->flags == FL_HOST && !t->fix0) {
		e_call32(e, t->bt->merge_host);   /* the shared copy (5 bytes) */
	} else if (t->flags == FL_HOST) {
		e8(e, 0x9c);                    /* pushfq */
		e_pop(e, H_R11);
		emit_merge_r11_flags(e, t->fix0);
	} else if (t->flags == FL_R9) {
		e_mov_rr64(e, H_R11, H_R9);
		emit_merge_r11_flags(e, t->fix0);
	}
	t->flags = FL_MEM;
	t->fix0 = 0;
}

/* Flags into host RFLAGS; the host's own DF, TF and AC stay clear */
static void flags_to_host(struct tctx *t)
{
	struct emit *e = &t->e;
	if (t->flags == FL_MEM) {
		e_load32(e, H_R9, OFF(eflags));
		e_alu_imm32(e, 4, H_R9, F_OSZAPC);
	}
	if (t->flags != FL_HOST) {
		e_push(e, H_R9);
		e8(e, 0x9d);                    /* popfq */
	}
	t->flags = FL_HOST;
}

/* Keep the host flags in r9 before code that clobbers them */
static void flags_off_host(struct tctx *t)
{
	if (t->flags == FL_HOST) {
		e8(&t->e, 0x9c);                /* pushfq */
		e_pop(&t->e, H_R9);
		t->flags = FL_R9;
	}
}

/* Bring the flags from state `from` (after a handler: FL_MEM) to `to` */
static void flags_convert_from_mem(struct tctx *t, enum flags_at to)
{
	struct emit *e = &t->e;
	if (to == FL_HOST) {
		t->flags = FL_MEM;
		flags_to_host(t);
	} else if (to == FL_R9) {
		e_load32(e, H_R9, OFF(eflags));
		e_alu_imm32(e, 4, H_R9, F_OSZAPC);   /* never the guest's IF, DF, TF, AC */
	}
	t->flags = to;
}

/* icount += pending without touching the host flags (clobbers r8) */
static void flush_icount(struct tctx *t)
{
	struct emit *e = &t->e;
	if (t->pending) {
		e_load64(e, H_R8, OFF(icount));
		e8(e, 0x4d); e8(e, 0x8d); e8(e, 0x80); e32(e, t->pending);   /* lea r8, [r8 + pending] */
		e_op_mem(e, 1, 0x89, H_R8, H_R15, OFF(icount));
		t->pending = 0;
	}
}

/* The flags from AX in the SETO + LAHF layout (AL: OF as 0 or 1, AH: SF ZF
 * AF PF CF), then the guest's EAX back from r9 where it was parked */
static void emit_sahf_ax(struct emit *e)
{
	e8(e, 0x04); e8(e, 0x7f);                           /* add al, 0x7f: OF */
	e8(e, 0x9e);                                        /* sahf */
	e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc8);              /* mov rax, r9 */
}

/* After SHL/SHR/SAR r32, CL run as itself, the host flags holding its
 * result: AF to the interpreter's 0 unless the count (CL & 31, copied to
 * r8 before the shift: the shift may be of ECX itself) is 0, when the host
 * kept the old AF as the interpreter does.  Through SETO and LAHF
 * (bt_insn_flags calls the rest exact).  Clobbers r9. */
static void emit_af_fix_cl(struct emit *e)
{
	e8(e, 0x49); e8(e, 0x89); e8(e, 0xc1);              /* mov r9, rax */
	e8(e, 0x0f); e8(e, 0x90); e8(e, 0xc0);              /* seto al */
	e8(e, 0x9f);                                        /* lahf */
	e8(e, 0x41); e8(e, 0xf6); e8(e, 0xc0); e8(e, 0x1f); /* test r8b, 31 */
	e8(e, 0x74); e8(e, 3);                              /* jz: AF as it was */
	e8(e, 0x80); e8(e, 0xe4); e8(e, (uint8_t)~F_AF);    /* and ah, ~AF */
	emit_sahf_ax(e);
}

/* After IMUL r32, r/m32 (, imm) run as itself: the flags as the
 * interpreter leaves them (cpu/muldiv.c, the P6's): SF ZF PF from the
 * result, AF 0, CF = OF = the overflow the host computed.  TEST gives SZP
 * and AF 0 (tests/unit/hostflags.c checks TEST's AF), LAHF/SAHF and ADD
 * put CF and OF back.  dst: the result's host register.  Clobbers r8, r9. */
static void emit_imul_fix(struct emit *e, int dst)
{
	e8(e, 0x49); e8(e, 0x89); e8(e, 0xc1);              /* mov r9, rax */
	e8(e, 0x41); e8(e, 0x0f); e8(e, 0x92); e8(e, 0xc0); /* setc r8b: CF = OF after IMUL */
	int r = dst == H_RAX ? H_R9 : dst;                  /* the result (EAX is parked) */
	e8(e, (uint8_t)(0x40 | ((r & 8) ? REX_R | REX_B : 0)));
	e8(e, 0x85); e8(e, (uint8_t)(0xc0 | (r & 7) << 3 | (r & 7)));   /* test r, r */
	e8(e, 0x9f);                                        /* lahf */
	e8(e, 0x44); e8(e, 0x88); e8(e, 0xc0);              /* mov al, r8b */
	e8(e, 0x08); e8(e, 0xc4);                           /* or ah, al: CF */
	emit_sahf_ax(e);
}

static void emit_jc_probe_to(struct tctx *t, size_t entry);
/* The host flags into r11 as SETO and LAHF leave them: OF in bit 0, SF ZF
 * AF PF CF in bits 8-15 (LAHF's bit positions are EFLAGS' own); for the
 * targets' code_lahf, which puts them back with ADD and SAHF: about 1 ns
 * where PUSHFQ and POPFQ through memory cost 7 (bench-memcost's R lines).
 * Clobbers r9. */
static void emit_flags_to_r11(struct emit *e)
{
	e8(e, 0x49); e8(e, 0x89); e8(e, 0xc1);              /* mov r9, rax */
	e8(e, 0x0f); e8(e, 0x90); e8(e, 0xc0);              /* seto al */
	e8(e, 0x9f);                                        /* lahf */
	e8(e, 0x44); e8(e, 0x0f); e8(e, 0xb7); e8(e, 0xd8); /* movzx r11d, ax */
	e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc8);              /* mov rax, r9 */
}

/* ... and from r11 into cpu->eflags (clobbers r9, r10, r11, the flags) */
static void emit_r11_flags_to_memory(struct emit *e)
{
	e_mov_rr32(e, H_R9, H_R11);
	e8(e, 0x41); e8(e, 0xc1); e8(e, 0xe9); e8(e, 8);    /* shr r9d, 8 */
	e_alu_imm32(e, 4, H_R9, F_SF | F_ZF | F_AF | F_PF | F_CF);
	e_alu_imm32(e, 4, H_R11, 1);
	e8(e, 0x41); e8(e, 0xc1); e8(e, 0xe3); e8(e, 11);   /* shl r11d, 11: OF */
	e_or_rr32(e, H_R9, H_R11);
	e_load32(e, H_R10, OFF(eflags));
	e_alu_imm32(e, 4, H_R10, ~(uint32_t)F_OSZAPC);
	e_or_rr32(e, H_R10, H_R9);
	e_store32(e, H_R10, OFF(eflags));
}

#define emit_jc_probe(t) emit_jc_probe_to((t), offsetof(struct bt_block, code_mem))

/* A direct exit to target_eip, icount updated: a patchable jump, chained to
 * the target's entry for where the flags are (host RFLAGS, unless a handler
 * left them in memory or a fix-up is pending), else to a stub that brings
 * them to memory, stores EIP and returns to the dispatcher with the exit
 * record (or finds the target in the jump cache). */
static void emit_direct_exit(struct tctx *t, uint32_t target_eip)
{
	struct emit *e = &t->e;
	struct bt_block *b = t->b;
	struct bt_exit *x = &b->exit[b->nexit++];
	if (t->flags != FL_HOST || t->fix0)
		flags_to_memory(t);
	x->from = b;
	x->target_eip = target_eip;
	x->host_flags = t->flags == FL_HOST;
	uint8_t *field = e_jmp32(e, emit_xaddr(e, e->p + 5));   /* to the stub just below */
	x->jmp_field = emit_xaddr(e, field);
	x->stub = emit_xaddr(e, e->p);
	uint32_t lin = b->cs_base + target_eip;
	if ((lin >> 12) != ((b->cs_base + b->eip) >> 12) && !t->bt->opt.lockstep && x->host_flags &&
	    t->bt->lahf) {
		/* another page, flags in the host: to the jump cache's block with
		 * them in r11 */
		e_store_imm32(e, OFF(eip), target_eip);
		e_mov_imm32(e, H_R8, lin);
		emit_flags_to_r11(e);
		e_mov_imm64(e, H_R10, (uint64_t)(uintptr_t)&t->bt->jc[bt_jc_index(lin)]);
		emit_jc_probe_to(t, offsetof(struct bt_block, code_lahf));
		emit_r11_flags_to_memory(e);
		e_mov_imm64(e, H_R11, (uint64_t)(uintptr_t)x);
		e_jmp32(e, t->bt->exit_common);
		return;
	}
	flags_to_memory(t);
	t->flags = x->host_flags ? FL_HOST : FL_MEM;
	e_store_imm32(e, OFF(eip), target_eip);
	if ((lin >> 12) != ((b->cs_base + b->eip) >> 12) && !t->bt->opt.lockstep) {
		/* another page: never chained; the jump cache may know it */
		e_mov_imm32(e, H_R8, lin);
		e_mov_imm64(e, H_R10, (uint64_t)(uintptr_t)&t->bt->jc[bt_jc_index(lin)]);
		emit_jc_probe(t);
	}
	e_mov_imm64(e, H_R11, (uint64_t)(uintptr_t)x);
	e_jmp32(e, t->bt->exit_common);
}

/* Leave with EIP already stored; why (BT_LEAVE_*) goes back in r11 */
static void emit_dynamic_exit(struct tctx *t, unsigned why)
{
	struct emit *e = &t->e;
	e_mov_imm32(e, H_R11, why);
	e_jmp32(e, t->bt->exit_common);
}

/* The jump cache lookup (bt_int.h) for the linear target in r8 with r10 =
 * its entry: on a hit, jump to the block's checked entry at offset entry
 * (code_mem: flags in memory; code_lahf: in r11); on a miss fall through.
 * Clobbers r9, r10, the host flags. */
static void emit_jc_probe_to(struct tctx *t, size_t entry)
{
	struct emit *e = &t->e;
	const struct bt_block *b = t->b;
	unsigned cls = SHADOW_CLASS((b->mode & BT_MODE_CPL) == 3, 0);
	uint8_t *miss[3];
	e8(e, 0x45); e8(e, 0x3b); e8(e, 0x02);              /* cmp r8d, [r10] (lin) */
	e8(e, 0x0f); e8(e, 0x85); miss[0] = e->p; e32(e, 0);
	e_mov_imm64(e, H_R9, (uint64_t)b->mode | (uint64_t)b->cs_base << 32);
	e8(e, 0x4d); e8(e, 0x3b); e8(e, 0x4a); e8(e, 4);    /* cmp r9, [r10+4]: mode and CS base */
	e8(e, 0x0f); e8(e, 0x85); miss[1] = e->p; e32(e, 0);
	/* the linear page still has the shadow entry it had (so maps to the
	 * block's bytes) */
	e8(e, 0x45); e8(e, 0x89); e8(e, 0xc1);              /* mov r9d, r8d */
	e8(e, 0x41); e8(e, 0xc1); e8(e, 0xe9); e8(e, 12);   /* shr r9d, 12 */
	e8(e, 0x49); e8(e, 0xc1); e8(e, 0xe1); e8(e, 5);    /* shl r9, 5 */
	e8(e, 0x4f); e8(e, 0x8b); e8(e, 0x4c); e8(e, 0x0e); e8(e, (uint8_t)(cls * 8)); /* mov r9, [r14+r9+cls*8] */
	e8(e, 0x4d); e8(e, 0x3b); e8(e, 0x4a); e8(e, 16);   /* cmp r9, [r10+16] (entry) */
	e8(e, 0x0f); e8(e, 0x85); miss[2] = e->p; e32(e, 0);
	e8(e, 0x4d); e8(e, 0x8b); e8(e, 0x52); e8(e, 24);   /* mov r10, [r10+24] (block) */
	e8(e, 0x41); e8(e, 0x80); e8(e, 0xba); e32(e, (uint32_t)offsetof(struct bt_block, valid)); e8(e, 0); /* cmp byte [r10+valid], 0 */
	e8(e, 0x74); uint8_t *miss5 = e->p; e8(e, 0);       /* je miss */
	e8(e, 0x41); e8(e, 0xff); e8(e, 0xa2); e32(e, (uint32_t)entry);     /* jmp [r10 + entry] */
	for (int i = 0; i < 3; i++) {
		int32_t rel = (int32_t)(e->p - (miss[i] + 4));
		memcpy(miss[i], &rel, 4);
	}
	*miss5 = (uint8_t)(e->p - (miss5 + 1));
	t->bt->stats.jc_sites++;
}

/* r10 = &jc[bt_jc_index(r8d)], the jump cache entry of the linear target
 * in r8 (clobbers r9, the host flags) */
static void emit_jc_entry_of_r8(struct tctx *t)
{
	struct emit *e = &t->e;
	e8(e, 0x45); e8(e, 0x89); e8(e, 0xc2);              /* mov r10d, r8d */
	e8(e, 0x41); e8(e, 0xc1); e8(e, 0xea); e8(e, 10);   /* shr r10d, 10 */
	e8(e, 0x45); e8(e, 0x31); e8(e, 0xc2);              /* xor r10d, r8d */
	e_alu_imm32(e, 4, H_R10, BT_JC_SIZE - 1);           /* and r10d, mask */
	e8(e, 0x49); e8(e, 0xc1); e8(e, 0xe2); e8(e, 5);    /* shl r10, 5 */
	e_mov_imm64(e, H_R9, (uint64_t)(uintptr_t)t->bt->jc);
	e8(e, 0x4d); e8(e, 0x01); e8(e, 0xca);              /* add r10, r9 */
}

/* Leave for the EIP in r11 (a RET, an indirect branch): through the jump
 * cache when it knows the target, else to the dispatcher.  Flags in memory,
 * icount up to date. */
static void emit_indirect_exit(struct tctx *t)
{
	struct emit *e = &t->e;
	e_store32(e, H_R11, OFF(eip));
	/* r8 = linear target */
	e8(e, 0x67); e8(e, 0x45); e8(e, 0x8d); e8(e, 0x83); e32(e, t->b->cs_base);   /* lea r8d, [r11 + cs_base] */
	emit_jc_entry_of_r8(t);
	if (!t->bt->opt.lockstep)   /* lockstep compares one block per entry */
		emit_jc_probe(t);
	emit_dynamic_exit(t, BT_LEAVE_INDIRECT);
}


/* The same for an inline RET or JMP/CALL r/m with the flags in the host:
 * they travel in r11 (emit_flags_to_r11) to the target's code_lahf. */
static void emit_indirect_exit_lahf(struct tctx *t)
{
	struct emit *e = &t->e;
	e_store32(e, H_R11, OFF(eip));
	e8(e, 0x67); e8(e, 0x45); e8(e, 0x8d); e8(e, 0x83); e32(e, t->b->cs_base);   /* lea r8d, [r11 + cs_base] */
	emit_flags_to_r11(e);
	emit_jc_entry_of_r8(t);
	if (!t->bt->opt.lockstep)
		emit_jc_probe_to(t, offsetof(struct bt_block, code_lahf));
	emit_r11_flags_to_memory(e);   /* a miss */
	t->flags = FL_MEM;
	emit_dynamic_exit(t, BT_LEAVE_INDIRECT);
}

/* The REX bits and whether the form names AH..BH (no REX allowed then), for
 * the ModRM reg field, the r/m field when it is a register, and the opcode
 * register of a register form. */
static bool reg_rex(const struct insn *in, const struct opnd_shape *s, uint8_t *rex, bool *byte_high)
{
	*rex = 0;
	*byte_high = false;
	if (in->has_modrm) {
		unsigned reg = INSN_REG(in), rm = INSN_RM(in);
		if (s->has_g && (s->reg_byte ? reg >= 4 : reg == 4)) {
			if (s->reg_byte)
				*byte_high = true;
			else
				*rex |= REX_R;
		}
		if (INSN_MOD(in) == 3 && (s->rm_byte ? rm >= 4 : rm == 4)) {
			if (s->rm_byte)
				*byte_high = true;
			else
				*rex |= REX_B;
		}
	}
	if (s->has_z) {
		unsigned z = in->opc & 7;
		if (s->z_byte ? z >= 4 : z == 4) {
			if (s->z_byte)
				*byte_high = true;
			else
				*rex |= REX_B;
		}
	}
	return !(*rex && *byte_high);
}

/* The legacy prefixes the host instruction keeps: 66 (operand size, also as
 * a mandatory prefix) and LOCK */
static void emit_kept_prefixes(struct emit *e, const struct insn *in)
{
	const struct opinfo *oi = &opinfo[in->op];
	if (in->pfx & PFX_LOCK)
		e8(e, 0xf0);
	if (in->osize == 2 && !(oi->match & M_PFX_ANY))
		e8(e, 0x66);
	else if ((in->pfx & PFX_66) && (oi->match & M_P66))
		e8(e, 0x66);
}

/* Offset of the ModRM byte in the instruction's bytes */
static unsigned modrm_at(const struct insn *in)
{
	return in->npfx + (in->map ? 2u : 1u);
}

/* Offset of the first immediate byte (after ModRM, SIB, displacement) */
static unsigned imm_at(const struct insn *in)
{
	unsigned p = modrm_at(in) + 1;
	unsigned mod = INSN_MOD(in), rm = INSN_RM(in);
	if (mod == 3)
		return p;
	/* 32-bit addressing only here */
	bool sib = rm == 4;
	unsigned base = sib ? (in->sib & 7) : rm;
	if (sib)
		p++;
	if (mod == 1)
		p += 1;
	else if (mod == 2 || (mod == 0 && base == 5))
		p += 4;
	return p;
}

/* The guest instruction as a host instruction with register operands: the
 * same prefixes (66, LOCK), a REX where guest ESP (host r12) is named, the same
 * opcode, ModRM and immediate bytes.  Returns false (nothing emitted) when
 * it cannot be written that way. */
static bool emit_native(struct tctx *t, const struct insn *in, const uint8_t *bytes)
{
	struct emit *e = &t->e;
	struct opnd_shape s = operand_shape(opinfo[in->op].operands);
	uint8_t rex;
	bool byte_high;
	if (!reg_rex(in, &s, &rex, &byte_high))
		return false;
	emit_kept_prefixes(e, in);
	if (rex)
		e8(e, (uint8_t)(0x40 | rex));
	if (in->map == 0 && in->opc >= 0x40 && in->opc <= 0x4f) {
		/* INC/DEC r32: 40-4F are REX prefixes on the host; FF /0, FF /1 */
		e8(e, 0xff);
		e8(e, (uint8_t)(0xc0 | (in->opc & 8) | (in->opc & 7)));
		return true;
	}
	for (unsigned i = in->npfx; i < in->len; i++)
		e8(e, bytes[i]);
	return true;
}

/* The guest's memory operand [base + index * scale + disp] with its
 * registers in their host registers: the REX.X and REX.B bits it needs,
 * and the ModRM (with reg), SIB and disp32 bytes.  Always a SIB byte and a
 * 32-bit displacement (mod 00 r/m 101 would be RIP-relative on the host);
 * the instruction needs 0x67 for the guest's 32-bit wrap-around. */
static uint8_t ea_rex(const struct insn *in)
{
	int base = in->ea_base >= 0 ? bt_host_reg[in->ea_base] : -1;
	int index = in->ea_index >= 0 ? bt_host_reg[in->ea_index] : -1;
	return (uint8_t)((index >= 0 && (index & 8) ? REX_X : 0) | (base >= 0 && (base & 8) ? REX_B : 0));
}

static void emit_ea_modrm(struct emit *e, unsigned reg, const struct insn *in)
{
	int base = in->ea_base >= 0 ? bt_host_reg[in->ea_base] : -1;
	int index = in->ea_index >= 0 ? bt_host_reg[in->ea_index] : -1;
	if (base >= 0) {
		e8(e, (uint8_t)(0x84 | ((reg & 7) << 3)));     /* mod 10, r/m 100: SIB + disp32 */
		e8(e, (uint8_t)((in->ea_scale << 6) | ((index >= 0 ? index : 4) & 7) << 3 | (base & 7)));
	} else {
		e8(e, (uint8_t)(0x04 | ((reg & 7) << 3)));     /* mod 00, r/m 100, SIB base 101: disp32 */
		e8(e, (uint8_t)((in->ea_scale << 6) | ((index >= 0 ? index : 4) & 7) << 3 | 5));
	}
	e32(e, in->disp);
}

/* LEA r32, [guest address expression] with 32-bit wrap-around (0x67) */
static void emit_lea_ea(struct emit *e, int dst, const struct insn *in, bool osize16)
{
	e8(e, 0x67);
	if (osize16)
		e8(e, 0x66);
	uint8_t rex = (uint8_t)(0x40 | ((dst & 8) ? REX_R : 0) | ea_rex(in));
	if (rex != 0x40)
		e8(e, rex);
	e8(e, 0x8d);
	emit_ea_modrm(e, (unsigned)dst, in);
}

/* Size in bytes of the E operand, 0 if not a plain data size */
static unsigned e_size(const struct insn *in)
{
	const char *p = opinfo[in->op].operands;
	for (; *p; p++) {
		if (*p == 'E' && (p == opinfo[in->op].operands || p[-1] == ',')) {
			switch (p[1]) {
			case 'b': return 1;
			case 'w': return 2;
			case 'd': return 4;
			case 'v': return in->osize;
			default: return 0;
			}
		}
	}
	return 0;
}

/* A memory form the inline path can run: as bt_native_form but with its E
 * operand in memory, 32-bit addressing, through a segment the block may
 * treat as 4 GiB (BT_MODE_SEGBIG). */
static bool inline_mem_form(const struct insn *in, uint32_t mode)
{
	const struct opinfo *oi = &opinfo[in->op];
	if (!INSN_MEMOP(in) || in->asize != 4 || in->seg > S_GS || !(mode & BT_MODE_SEGBIG(in->seg)))
		return false;
	if (oi->attr & (A_PRIV | A_SENS | A_IOPL | A_BRANCH | A_MEMOP | A_ENDBLK | A_UD | A_STRING |
			A_FPU | A_SIMD | A_NOEXEC | A_PREFIX | A_PMONLY))
		return false;
	if ((oi->fr | oi->fw) & ~F_OSZAPC)
		return false;
	if (in->pfx & (PFX_F2 | PFX_F3))
		return false;
	if (oi->attr & (A_NO64 | A_VIRT))
		return false;
	if (in->map == 0 && (in->opc == 0xf6 || in->opc == 0xf7) && INSN_REG(in) >= 6)
		return false;
	/* BT/BTS/BTR/BTC with a register bit offset address memory outside the operand */
	if (in->map == 1 && (in->opc == 0xa3 || in->opc == 0xab || in->opc == 0xb3 || in->opc == 0xbb))
		return false;
	if (!e_size(in))
		return false;
	return operand_shape(oi->operands).ok;
}

/* Does the form only read its memory operand?  Forms whose destination is a
 * register (G first), CMP, TEST and one-operand MUL/IMUL (F6/F7 /4 /5) do;
 * anything else uses the write class (a write entry is also readable). */
static bool mem_form_reads_only(const struct insn *in)
{
	const struct opinfo *oi = &opinfo[in->op];
	if (oi->operands[0] == 'G')
		return true;
	if (in->map == 0 && (in->opc == 0xf6 || in->opc == 0xf7) && (INSN_REG(in) == 4 || INSN_REG(in) == 5))
		return true;
	return !strcmp(oi->mnem, "cmp") || !strcmp(oi->mnem, "test");
}

/* An instruction needs the flags in host RFLAGS when it reads some (FR:
 * shifts by a count that may be 0 list what they pass through there), or
 * writes only some (the others pass through). */
/* What a native or inline form does to the arithmetic flags, for this
 * instruction (its count known):  read, written, left undefined (the host's
 * value may differ from the interpreter's, the reference), and written as 0
 * by the interpreter where the host may leave anything (fixed to 0 when the
 * flags next go to memory).
 *
 * Measured on the AMD Zen host (and checked wherever the tests run by
 * tests/unit/hostflags.c): shifts by a non-zero count set AF where the
 * interpreter clears it, and give the interpreter's OF (the 1-bit formula)
 * for every count below the operand size; rotates give the interpreter's OF
 * for every count; AND, OR, XOR, TEST clear AF as the interpreter does.
 * MUL/IMUL leave SF ZF AF PF as they were (the interpreter computes them) and
 * BT keeps OF SF AF PF on both.  So a host instruction may leave flags
 * undefined only where nothing can see them before they are written again
 * (bt_translate's observability pass). */
struct bt_flag_eff bt_insn_flags(const struct insn *in)
{
	const struct opinfo *oi = &opinfo[in->op];
	struct bt_flag_eff f = { oi->fr & F_OSZAPC, oi->fw & F_OSZAPC, oi->fu & F_OSZAPC, 0 };
	bool logic = !strcmp(oi->mnem, "and") || !strcmp(oi->mnem, "or") ||
		     !strcmp(oi->mnem, "xor") || !strcmp(oi->mnem, "test");
	if (logic) {
		f.fu &= ~(uint32_t)F_AF;
		return f;
	}
	/* BT BTS BTR BTC: OF SF AF PF, undefined, are left as they were by the
	 * interpreter and by the host (tests/unit/hostflags.c checks that): they
	 * pass through, only CF is written */
	if (!strcmp(oi->mnem, "bt") || !strcmp(oi->mnem, "bts") || !strcmp(oi->mnem, "btr") ||
	    !strcmp(oi->mnem, "btc")) {
		f.fw = F_CF;
		f.fu = 0;
		return f;
	}
	/* shifts and rotates by CL (D2 D3): a count of 0 changes nothing on
	 * either side (the flags pass through, as fr says); other counts as by
	 * an immediate: ROL and ROR agree on OF for every count, SHL SHR SAR
	 * of 32 bits (count 1-31, below the size) on everything but AF, which
	 * the interpreter sets to 0 when the count is not 0 (emit_af_fix_cl) */
	if (in->map == 0 && (in->opc == 0xd2 || in->opc == 0xd3)) {
		unsigned kind = INSN_REG(in);
		if (kind == 0 || kind == 1)
			f.fu = 0;
		else if (kind >= 4 && in->opc == 0xd3 && in->osize == 4)
			f.fu = F_AF;
		return f;
	}
	/* shifts and rotates by an immediate or 1 (C0 C1 D0 D1) */
	if (in->map != 0 || !(in->opc == 0xc0 || in->opc == 0xc1 || in->opc == 0xd0 || in->opc == 0xd1))
		return f;
	unsigned kind = INSN_REG(in), bits = in->opc & 1 ? 8 * in->osize : 8;
	unsigned count = in->opc >= 0xd0 ? 1 : (in->imm & 0x1f);
	if (count == 0) {                       /* changes nothing, reads nothing */
		f.fr = f.fw = f.fu = 0;
		return f;
	}
	if (kind == 0 || kind == 1) {           /* ROL, ROR */
		f.fr = 0;
		f.fu = 0;
	} else if (kind >= 4) {                 /* SHL SHR SAL SAR */
		f.fr = 0;
		f.fu = count < bits ? 0 : (f.fu & (F_OF | F_CF));
		f.fix0 = F_AF;
	}
	return f;                               /* RCL, RCR: as the table says */
}

static bool needs_flags_in(const struct insn *in)
{
	struct bt_flag_eff f = bt_insn_flags(in);
	return f.fr || (f.fw && f.fw != F_OSZAPC);
}

/* ---- inline accesses ----
 * r11 = the linear address, r10 = its shadow entry (mmu/shadow.h), the access
 * is [r10 + r11 - 1]; a miss, a slow entry or a page crossing goes to an
 * out-of-line slow path that runs the handler from the state before the
 * instruction (nothing guest-visible changes before the checks). */

static struct slow *inline_begin(struct tctx *t, unsigned idx)
{
	if (t->nslow >= MAX_SLOW)
		return NULL;
	struct slow *sl = &t->slow[t->nslow];
	if (!t->bt->ff_lookup)
		flags_off_host(t);
	sl->before = t->flags;
	sl->fix0_before = t->fix0;
	sl->pending = t->pending;
	sl->insn = idx;
	sl->njumps = 0;
	sl->to_r11 = false;
	sl->ends_block = false;
	sl->nsites = 0;
	return sl;
}

/* The same without touching the host flags (BMI2; r13d = 12):
 *	shrx r10d, r11d, r13d          page
 *	lea r10, [r10*8]
 *	mov r10, [r14 + r10*4 + cls*8] the entry
 *	rorx r8d, r11d, 12             offset in bits 20-31
 *	lea r8, [r8 + (size-1) << 20]  bit 32: the access crosses the page
 *	rorx r8, r8, 32                that bit in bit 0, bits 1-31 clear
 *	mov r9, rcx                    guest ECX aside
 *	lea ecx, [r10 + r8*2 - 1]      low byte: tag - 1 + 2 * crossing,
 *	movzx ecx, cl                  0 only for SE_MAPPED within the page
 *	jrcxz hit                      (tags are 0, 1, 3: never 0 otherwise)
 *	mov rcx, r9
 *	jmp slow
 * hit:	mov rcx, r9 */
static void emit_lookup_ff(struct tctx *t, struct slow *sl, unsigned cls, unsigned size)
{
	struct emit *e = &t->e;
	static const uint8_t shrx[] = { 0xc4, 0x42, 0x13, 0xf7, 0xd3 };
	static const uint8_t lea8[] = { 0x4e, 0x8d, 0x14, 0xd5, 0, 0, 0, 0 };
	for (unsigned i = 0; i < sizeof shrx; i++)
		e8(e, shrx[i]);
	for (unsigned i = 0; i < sizeof lea8; i++)
		e8(e, lea8[i]);
	e8(e, 0x4f); e8(e, 0x8b); e8(e, 0x54); e8(e, 0x96); e8(e, (uint8_t)(cls * 8));
	if (size > 1) {
		static const uint8_t rorx1[] = { 0xc4, 0x43, 0x7b, 0xf0, 0xc3, 12 };
		static const uint8_t rorx2[] = { 0xc4, 0x43, 0xfb, 0xf0, 0xc0, 32 };
		for (unsigned i = 0; i < sizeof rorx1; i++)
			e8(e, rorx1[i]);
		e8(e, 0x4d); e8(e, 0x8d); e8(e, 0x80); e32(e, (size - 1) << 20);
		for (unsigned i = 0; i < sizeof rorx2; i++)
			e8(e, rorx2[i]);
	}
	e8(e, 0x49); e8(e, 0x89); e8(e, 0xc9);              /* mov r9, rcx */
	if (size > 1) {
		e8(e, 0x43); e8(e, 0x8d); e8(e, 0x4c); e8(e, 0x42); e8(e, 0xff);   /* lea ecx, [r10 + r8*2 - 1] */
	} else {
		e8(e, 0x41); e8(e, 0x8d); e8(e, 0x4a); e8(e, 0xff);                /* lea ecx, [r10 - 1] */
	}
	e8(e, 0x0f); e8(e, 0xb6); e8(e, 0xc9);              /* movzx ecx, cl */
	e8(e, 0xe3); e8(e, 8);                              /* jrcxz hit */
	e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc9);              /* mov rcx, r9 */
	e8(e, 0xe9);                                        /* jmp slow */
	sl->jumps[sl->njumps++] = e->p;
	e32(e, 0);
	e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc9);              /* hit: mov rcx, r9 */
}

/* r10 = the entry for r11 in class cls; to the slow path unless fast and
 * the size bytes stay in the page */
static void emit_lookup(struct tctx *t, struct slow *sl, unsigned cls, unsigned size)
{
	struct emit *e = &t->e;
	if (t->b->mode & BT_MODE_WIN)
		return;   /* the access goes through the window (emit_acc_begin) */
	if (t->bt->ff_lookup) {
		emit_lookup_ff(t, sl, cls, size);
		return;
	}
	e8(e, 0x45); e8(e, 0x89); e8(e, 0xda);              /* mov r10d, r11d */
	e8(e, 0x41); e8(e, 0xc1); e8(e, 0xea); e8(e, 12);   /* shr r10d, 12 */
	e8(e, 0x49); e8(e, 0xc1); e8(e, 0xe2); e8(e, 5);    /* shl r10, 5 */
	e8(e, 0x4f); e8(e, 0x8b); e8(e, 0x54); e8(e, 0x16); e8(e, (uint8_t)(cls * 8)); /* mov r10, [r14+r10+cls*8] */
	/* a fast entry (mmu/shadow.h): low byte SE_MAPPED, host = lin + entry - 1 */
	e8(e, 0x41); e8(e, 0x80); e8(e, 0xfa); e8(e, SE_MAPPED);   /* cmp r10b, SE_MAPPED */
	e8(e, 0x0f); e8(e, 0x85);                           /* jne slow */
	sl->jumps[sl->njumps++] = e->p;
	e32(e, 0);
	if (size > 1) {
		e8(e, 0x45); e8(e, 0x89); e8(e, 0xd8);          /* mov r8d, r11d */
		e_alu_imm32(e, 4, H_R8, 0xfff);                 /* and r8d, 0xfff */
		e_alu_imm32(e, 7, H_R8, 0x1000 - size);         /* cmp r8d, 0x1000 - size */
		e8(e, 0x0f); e8(e, 0x87);                       /* ja slow */
		sl->jumps[sl->njumps++] = e->p;
		e32(e, 0);
	}
}

/* --check-lockstep logs what a store overwrites, and then what it wrote */
static void emit_store_log(struct tctx *t, unsigned size, bool after)
{
	struct emit *e = &t->e;
	if (!t->bt->opt.lockstep)
		return;
	unsigned k = size == 1 ? 0 : size == 2 ? 1 : 2;
	/* r8 = the host address (a store may have come from r8 itself) */
	if (t->b->mode & BT_MODE_WIN) {
		e_load64(e, H_R8, OFF(shadow.gs_base));
		e8(e, 0x4f); e8(e, 0x8d); e8(e, 0x04); e8(e, 0x18);                            /* lea r8, [r8 + r11] */
	} else {
		e8(e, 0x4f); e8(e, 0x8d); e8(e, 0x44); e8(e, 0x1a); e8(e, (uint8_t)-SE_MAPPED); /* lea r8, [r10 + r11 - 1] */
	}
	e_call32(e, after ? t->bt->log_stored[k] : t->bt->log_store[k]);
}


static void inline_end(struct tctx *t, struct slow *sl)
{
	sl->after = t->flags;
	sl->join = emit_xaddr(&t->e, t->e.p);
	t->nslow++;
}

/* ModRM + SIB for [r10 + r11 - 1] with reg in the ModRM reg field */
static void emit_modrm_r10r11(struct emit *e, unsigned reg)
{
	e8(e, (uint8_t)(0x40 | ((reg & 7) << 3) | 4));     /* mod 01, r/m 100: SIB + disp8 */
	e8(e, 0x1a);                                        /* SIB: index r11, base r10 */
	e8(e, (uint8_t)-SE_MAPPED);
}

/* The accesses after emit_lookup: to [r10 + r11 - 1], or in a window block
 * to gs:[r11].  emit_acc_begin comes before the instruction's first prefix:
 * there a window access may fault, and the signal handler sends it to sl's
 * slow path; emit_acc_rex is its REX byte (rex: the bits other than X and
 * B), emit_acc_modrm its ModRM (and SIB and displacement). */
static void emit_acc_begin(struct tctx *t, struct slow *sl, bool store)
{
	if (!(t->b->mode & BT_MODE_WIN))
		return;
	if (sl->nsites < 3) {
		sl->site[sl->nsites] = emit_xaddr(&t->e, t->e.p);
		sl->logged[sl->nsites] = store && t->bt->opt.lockstep;
		sl->nsites++;
	}
	e8(&t->e, 0x65);
}

static void emit_acc_rex(struct tctx *t, uint8_t rex)
{
	bool win = t->b->mode & BT_MODE_WIN;
	e8(&t->e, (uint8_t)(0x40 | rex | REX_B | (win ? 0 : REX_X)));
}

static void emit_acc_modrm(struct tctx *t, unsigned reg)
{
	if (t->b->mode & BT_MODE_WIN)
		e8(&t->e, (uint8_t)(((reg & 7) << 3) | 3));   /* mod 00, r/m 011: [r11] */
	else
		emit_modrm_r10r11(&t->e, reg);
}

/* mov [address], r8b/r8w/r8d, then lockstep's log of it */
static void emit_store_r8(struct tctx *t, struct slow *sl, unsigned size)
{
	struct emit *e = &t->e;
	emit_acc_begin(t, sl, true);
	if (size == 2)
		e8(e, 0x66);
	emit_acc_rex(t, REX_R);
	e8(e, size == 1 ? 0x88 : 0x89);
	emit_acc_modrm(t, H_R8);
	emit_store_log(t, size, true);
}

/* r11 += the base of segment sreg, unless the block knows it is 0 (clobbers r10) */
static void emit_add_seg_base(struct tctx *t, unsigned sreg)
{
	struct emit *e = &t->e;
	if (!(t->b->mode & BT_MODE_SEGZERO(sreg))) {
		e_load32(e, H_R10, OFF(seg[0].base) + 16 * (int32_t)sreg);
		e8(e, 0x67); e8(e, 0x47); e8(e, 0x8d); e8(e, 0x1c); e8(e, 0x13);   /* lea r11d, [r11 + r10] */
	}
}

/* r11 = the linear address of an E operand in memory (clobbers r10) */
static void emit_ea_lin(struct tctx *t, const struct insn *in)
{
	emit_lea_ea(&t->e, H_R11, in, false);
	emit_add_seg_base(t, in->seg);
}

/* MOV [mem], AH/CH/DH/BH */
static bool emit_store_high_byte(struct tctx *t, const struct insn *in, unsigned idx)
{
	struct emit *e = &t->e;
	bool user = (t->b->mode & BT_MODE_CPL) == 3;
	struct slow *sl = inline_begin(t, idx);
	if (!sl)
		return false;
	emit_ea_lin(t, in);
	emit_lookup(t, sl, SHADOW_CLASS(user, 1), 1);
	emit_store_log(t, 1, false);
	e8(e, 0xc4); e8(e, 0x63); e8(e, 0x7b); e8(e, 0xf0);
	e8(e, (uint8_t)(0xc0 | (INSN_REG(in) & 3))); e8(e, 8);     /* rorx r8d, e?x, 8 */
	emit_store_r8(t, sl, 1);
	inline_end(t, sl);
	return true;
}

/* A memory form: the same instruction with its memory operand at
 * [r10 + r11 - 1].  Returns false (nothing emitted) when the form cannot be
 * written this way. */
static bool emit_inline_mem(struct tctx *t, const struct insn *in, const uint8_t *bytes, unsigned idx)
{
	struct emit *e = &t->e;
	struct opnd_shape s = operand_shape(opinfo[in->op].operands);
	uint8_t rex;
	bool byte_high;
	reg_rex(in, &s, &rex, &byte_high);
	if (byte_high) {
		/* AH..BH cannot be named with the REX that r10/r11 need; a store
		 * of one goes through r8b (RORX: no flags) */
		if (in->op == op_MOV_EbGb && t->bt->ff_lookup)
			return emit_store_high_byte(t, in, idx);
		return false;
	}
	unsigned size = e_size(in);
	bool user = (t->b->mode & BT_MODE_CPL) == 3;
	bool write = !mem_form_reads_only(in);
	unsigned cls = SHADOW_CLASS(user, write);
	struct slow *sl = inline_begin(t, idx);
	if (!sl)
		return false;
	if ((t->b->mode & BT_MODE_WIN) && (t->b->mode & BT_MODE_SEGZERO(in->seg)) && !t->bt->opt.lockstep) {
		/* the guest's own address expression: gs: with 0x67 */
		if (needs_flags_in(in))
			flags_to_host(t);
		emit_acc_begin(t, sl, write);
		emit_kept_prefixes(e, in);
		e8(e, 0x67);
		e8(e, (uint8_t)(0x40 | rex | ea_rex(in)));
		for (unsigned i = in->npfx; i < modrm_at(in); i++)
			e8(e, bytes[i]);
		emit_ea_modrm(e, INSN_REG(in), in);
		for (unsigned i = imm_at(in); i < in->len; i++)
			e8(e, bytes[i]);
		if (bt_insn_flags(in).fw)
			t->flags = FL_HOST;
		inline_end(t, sl);
		return true;
	}
	emit_ea_lin(t, in);
	emit_lookup(t, sl, cls, size);
	if (needs_flags_in(in))
		flags_to_host(t);
	if (write)
		emit_store_log(t, size, false);
	emit_acc_begin(t, sl, write);
	emit_kept_prefixes(e, in);
	emit_acc_rex(t, rex);
	for (unsigned i = in->npfx; i < modrm_at(in); i++)
		e8(e, bytes[i]);
	emit_acc_modrm(t, INSN_REG(in));
	for (unsigned i = imm_at(in); i < in->len; i++)
		e8(e, bytes[i]);
	if (write)
		emit_store_log(t, size, true);
	if (bt_insn_flags(in).fw)
		t->flags = FL_HOST;
	inline_end(t, sl);
	return true;
}

/* The stack forms run inline with a 32-bit stack through an SS of 4 GiB at
 * base 0: PUSH r32/imm, POP r32, CALL rel32 (the push; the block ends with a
 * direct exit), RET [imm16] (r11 = the return address for the exit), LEAVE. */
static bool stack_form(const struct insn *in, uint32_t mode)
{
	if (in->osize != 4 || !(mode & BT_MODE_STACK32) || (mode & BT_MODE_SSFLAT) != BT_MODE_SSFLAT)
		return false;
	switch (in->op) {
	case op_PUSH_Zv: case op_PUSH_Iz: case op_PUSH_Ibs: case op_CALL_Jz: case op_LEAVE:
		return true;
	case op_POP_Zv:
		return (in->opc & 7) != R_ESP;
	case op_RET: case op_RET_Iw:
		return (mode & BT_MODE_CSBIG) != 0;   /* no CS limit check for the target */
	case op_PUSH_Ev:
		return INSN_MOD(in) != 3 && in->asize == 4 && in->seg <= S_GS && (mode & BT_MODE_SEGBIG(in->seg));
	case op_CALL_Ev: case op_JMP_Ev:
		if (!(mode & BT_MODE_CSBIG))
			return false;
		if (INSN_MOD(in) == 3)
			return true;
		return in->asize == 4 && in->seg <= S_GS && (mode & BT_MODE_SEGBIG(in->seg));
	default:
		return false;
	}
}


static bool emit_inline_stack(struct tctx *t, const struct insn *in, unsigned idx, uint32_t next)
{
	struct emit *e = &t->e;
	bool user = (t->b->mode & BT_MODE_CPL) == 3;
	struct slow *sl = inline_begin(t, idx);
	if (!sl)
		return false;
	switch (in->op) {
	case op_PUSH_Zv: case op_PUSH_Iz: case op_PUSH_Ibs: case op_CALL_Jz: {
		e8(e, 0x67); e8(e, 0x45); e8(e, 0x8d); e8(e, 0x5c); e8(e, 0x24); e8(e, 0xfc); /* lea r11d, [r12 - 4] */
		emit_lookup(t, sl, SHADOW_CLASS(user, 1), 4);
		emit_store_log(t, 4, false);
		emit_acc_begin(t, sl, true);
		if (in->op == op_PUSH_Zv) {
			int r = bt_host_reg[in->opc & 7];
			emit_acc_rex(t, (r & 8) ? REX_R : 0);
			e8(e, 0x89);                            /* mov [address], r32 */
			emit_acc_modrm(t, (unsigned)r);
		} else {
			uint32_t v = in->op == op_CALL_Jz ? next : in->imm;
			emit_acc_rex(t, 0);
			e8(e, 0xc7);                            /* mov dword [address], imm32 */
			emit_acc_modrm(t, 0);
			e32(e, v);
		}
		emit_store_log(t, 4, true);
		e8(e, 0x45); e8(e, 0x89); e8(e, 0xdc);          /* mov r12d, r11d */
		sl->ends_block = in->op == op_CALL_Jz;
		break;
	}
	case op_POP_Zv: {
		int r = bt_host_reg[in->opc & 7];
		e8(e, 0x45); e8(e, 0x89); e8(e, 0xe3);          /* mov r11d, r12d */
		emit_lookup(t, sl, SHADOW_CLASS(user, 0), 4);
		emit_acc_begin(t, sl, false);
		emit_acc_rex(t, (r & 8) ? REX_R : 0);
		e8(e, 0x8b);                                    /* mov r32, [address] */
		emit_acc_modrm(t, (unsigned)r);
		e8(e, 0x67); e8(e, 0x45); e8(e, 0x8d); e8(e, 0x64); e8(e, 0x24); e8(e, 0x04); /* lea r12d, [r12 + 4] */
		break;
	}
	case op_LEAVE: {
		e8(e, 0x41); e8(e, 0x89); e8(e, 0xeb);          /* mov r11d, ebp */
		emit_lookup(t, sl, SHADOW_CLASS(user, 0), 4);
		/* the load first: in a window block it is where a fault
		 * leaves for the slow path, with nothing changed yet */
		emit_acc_begin(t, sl, false);
		emit_acc_rex(t, 0);
		e8(e, 0x8b);                                    /* mov ebp, [address] */
		emit_acc_modrm(t, H_RBP);
		e8(e, 0x67); e8(e, 0x45); e8(e, 0x8d); e8(e, 0x63); e8(e, 0x04); /* lea r12d, [r11 + 4] */
		break;
	}
	case op_PUSH_Ev: {
		/* the value loaded, held in bt_tmp while the push looks up the stack */
		emit_ea_lin(t, in);
		emit_lookup(t, sl, SHADOW_CLASS(user, 0), 4);
		emit_acc_begin(t, sl, false);
		emit_acc_rex(t, REX_R);
		e8(e, 0x8b);                                    /* mov r11d, [address] */
		emit_acc_modrm(t, H_R11);
		e_store32(e, H_R11, OFF(bt_tmp));
		e8(e, 0x67); e8(e, 0x45); e8(e, 0x8d); e8(e, 0x5c); e8(e, 0x24); e8(e, 0xfc); /* lea r11d, [r12 - 4] */
		emit_lookup(t, sl, SHADOW_CLASS(user, 1), 4);
		emit_store_log(t, 4, false);
		e_load32(e, H_R8, OFF(bt_tmp));
		emit_store_r8(t, sl, 4);
		e8(e, 0x45); e8(e, 0x89); e8(e, 0xdc);          /* mov r12d, r11d */
		break;
	}
	case op_CALL_Ev: case op_JMP_Ev: {
		/* the target: from its register, or loaded (kept in next_eip
		 * while the push looks up the stack) */
		bool reg = INSN_MOD(in) == 3;
		int tr = reg ? bt_host_reg[INSN_RM(in)] : -1;
		if (!reg) {
			emit_ea_lin(t, in);
			emit_lookup(t, sl, SHADOW_CLASS(user, 0), 4);
			emit_acc_begin(t, sl, false);
			emit_acc_rex(t, REX_R);
			e8(e, 0x8b);                            /* mov r11d, [address] */
			emit_acc_modrm(t, H_R11);
			if (in->op == op_CALL_Ev)
				e_store32(e, H_R11, OFF(next_eip));
		}
		if (in->op == op_CALL_Ev) {
			e8(e, 0x67); e8(e, 0x45); e8(e, 0x8d); e8(e, 0x5c); e8(e, 0x24); e8(e, 0xfc); /* lea r11d, [r12 - 4] */
			emit_lookup(t, sl, SHADOW_CLASS(user, 1), 4);
			emit_store_log(t, 4, false);
			emit_acc_begin(t, sl, true);
			emit_acc_rex(t, 0);
			e8(e, 0xc7);                            /* mov dword [address], next */
			emit_acc_modrm(t, 0);
			e32(e, next);
			emit_store_log(t, 4, true);
			e8(e, 0x45); e8(e, 0x89); e8(e, 0xdc);      /* mov r12d, r11d */
			if (reg && tr == H_R12) {
				e8(e, 0x45); e8(e, 0x8d); e8(e, 0x5b); e8(e, 0x04);   /* lea r11d, [r11 + 4]: ESP before */
			} else if (reg)
				e_mov_rr32(e, H_R11, tr);
			else if (!reg)
				e_load32(e, H_R11, OFF(next_eip));
		} else if (reg) {
			e_mov_rr32(e, H_R11, tr);
		}
		sl->to_r11 = true;
		sl->ends_block = true;
		break;
	}
	case op_RET: case op_RET_Iw: {
		uint32_t pop = 4 + (in->op == op_RET_Iw ? (in->imm & 0xffff) : 0);
		e8(e, 0x45); e8(e, 0x89); e8(e, 0xe3);          /* mov r11d, r12d */
		emit_lookup(t, sl, SHADOW_CLASS(user, 0), 4);
		emit_acc_begin(t, sl, false);
		emit_acc_rex(t, REX_R);
		e8(e, 0x8b);                                    /* mov r11d, [address] */
		emit_acc_modrm(t, H_R11);
		e8(e, 0x67); e8(e, 0x45); e8(e, 0x8d); e8(e, 0xa4); e8(e, 0x24); e32(e, pop); /* lea r12d, [r12 + pop] */
		sl->to_r11 = true;
		sl->ends_block = true;
		break;
	}
	default:
		return false;
	}
	inline_end(t, sl);
	return true;
}

/* MOV AL/AX/EAX to or from a memory offset (A0-A3) through a 4 GiB segment */
static bool emit_inline_moffs(struct tctx *t, const struct insn *in, unsigned idx)
{
	struct emit *e = &t->e;
	if (in->asize != 4 || in->seg > S_GS || !(t->b->mode & BT_MODE_SEGBIG(in->seg)))
		return false;
	bool store = in->op == op_MOV_ObAL || in->op == op_MOV_OveAX;
	bool byte = in->op == op_MOV_ALOb || in->op == op_MOV_ObAL;
	unsigned size = byte ? 1 : in->osize;
	bool user = (t->b->mode & BT_MODE_CPL) == 3;
	struct slow *sl = inline_begin(t, idx);
	if (!sl)
		return false;
	e_mov_imm32(e, H_R11, in->disp);
	emit_add_seg_base(t, in->seg);
	emit_lookup(t, sl, SHADOW_CLASS(user, store), size);
	if (store)
		emit_store_log(t, size, false);
	emit_acc_begin(t, sl, store);
	if (size == 2)
		e8(e, 0x66);
	emit_acc_rex(t, 0);
	e8(e, (uint8_t)((store ? 0x88 : 0x8a) | (byte ? 0 : 1)));
	emit_acc_modrm(t, H_RAX);
	if (store)
		emit_store_log(t, size, true);
	inline_end(t, sl);
	return true;
}

/* A load of DS, ES, FS or GS: the block goes on after it (the handler
 * checks that the segment keeps the shape the block was translated for) */
static bool data_seg_load(const struct insn *in)
{
	switch (in->op) {
	case op_POP_ES: case op_POP_DS: case op_POP_FS: case op_POP_GS:
	case op_LES_GvMp: case op_LDS_GvMp: case op_LFS_GvMp: case op_LGS_GvMp:
		return true;
	case op_MOV_SwEw:
		return INSN_REG(in) == S_ES || INSN_REG(in) == S_DS || INSN_REG(in) == S_FS ||
		       INSN_REG(in) == S_GS;
	default:
		return false;
	}
}

/* r8d = size - 2 * size * DF, the step of a string instruction's index,
 * without touching the host flags (PEXT finds DF) */
static void emit_string_step(struct emit *e, unsigned size)
{
	e_load32(e, H_R8, OFF(eflags));
	e8(e, 0xc4); e8(e, 0x42); e8(e, 0x3a); e8(e, 0xf5); e8(e, 0x87);
	e32(e, (uint32_t)OFF(bt_df_mask));                  /* pext r8d, r8d, [bt_df_mask] */
	e8(e, 0x46); e8(e, 0x8d); e8(e, 0x04);
	e8(e, (uint8_t)((size == 1 ? 0x40 : size == 2 ? 0x80 : 0xc0) | 0x05)); e32(e, 0);   /* lea r8d, [r8 * 2size] */
	e8(e, 0x41); e8(e, 0xf7); e8(e, 0xd0);              /* not r8d */
	e8(e, 0x45); e8(e, 0x8d); e8(e, 0x40); e8(e, (uint8_t)(size + 1));   /* lea r8d, [r8 + size + 1] */
}

/* MOVSB/MOVSW/MOVSD without REP, through 4 GiB segments (BMI2: PEXT finds
 * DF without touching the flags): the value held in bt_tmp between the two
 * lookups; ESI and EDI advance by size - 2 * size * DF */
static bool emit_inline_movs(struct tctx *t, const struct insn *in, unsigned idx)
{
	struct emit *e = &t->e;
	const struct bt_block *b = t->b;
	if (!t->bt->ff_lookup || in->rep || in->asize != 4 || in->seg > S_GS ||
	    !(b->mode & BT_MODE_SEGBIG(in->seg)) || !(b->mode & BT_MODE_SEGBIG(S_ES)))
		return false;
	unsigned size = in->op == op_MOVSB ? 1 : in->op == op_MOVSW ? 2 : 4;
	bool user = (b->mode & BT_MODE_CPL) == 3;
	struct slow *sl = inline_begin(t, idx);
	if (!sl)
		return false;
	e_mov_rr32(e, H_R11, H_RSI);
	emit_add_seg_base(t, in->seg);
	emit_lookup(t, sl, SHADOW_CLASS(user, 0), size);
	emit_acc_begin(t, sl, false);
	emit_acc_rex(t, REX_R);
	if (size == 4) {
		e8(e, 0x8b);                                    /* mov r8d, [r10 + r11 - 1] */
	} else {
		e8(e, 0x0f); e8(e, size == 1 ? 0xb6 : 0xb7);   /* movzx r8d, byte/word [...] */
	}
	emit_acc_modrm(t, H_R8);
	e_store32(e, H_R8, OFF(bt_tmp));
	e_mov_rr32(e, H_R11, H_RDI);
	emit_add_seg_base(t, S_ES);
	emit_lookup(t, sl, SHADOW_CLASS(user, 1), size);
	emit_store_log(t, size, false);
	e_load32(e, H_R8, OFF(bt_tmp));
	emit_store_r8(t, sl, size);
	emit_string_step(e, size);
	e8(e, 0x42); e8(e, 0x8d); e8(e, 0x34); e8(e, 0x06); /* lea esi, [rsi + r8] */
	e8(e, 0x42); e8(e, 0x8d); e8(e, 0x3c); e8(e, 0x07); /* lea edi, [rdi + r8] */
	inline_end(t, sl);
	return true;
}

/* LODSB/W/D and SCASB/W/D without REP, through 4 GiB segments (BMI2):
 * AL/AX/EAX loaded from DS:ESI, or compared (CMP) with ES:EDI; the index
 * advances by size - 2 * size * DF */
static bool emit_inline_lods_scas(struct tctx *t, const struct insn *in, unsigned idx)
{
	struct emit *e = &t->e;
	const struct bt_block *b = t->b;
	bool scas = in->op == op_SCASB || in->op == op_SCASW || in->op == op_SCASD;
	unsigned seg = scas ? S_ES : in->seg;
	if (!t->bt->ff_lookup || in->rep || in->asize != 4 || seg > S_GS || !(b->mode & BT_MODE_SEGBIG(seg)))
		return false;
	unsigned size = in->op == op_LODSB || in->op == op_SCASB ? 1 :
			in->op == op_LODSW || in->op == op_SCASW ? 2 : 4;
	bool user = (b->mode & BT_MODE_CPL) == 3;
	struct slow *sl = inline_begin(t, idx);
	if (!sl)
		return false;
	e_mov_rr32(e, H_R11, scas ? H_RDI : H_RSI);
	emit_add_seg_base(t, seg);
	emit_lookup(t, sl, SHADOW_CLASS(user, 0), size);
	emit_acc_begin(t, sl, false);
	if (size == 2)
		e8(e, 0x66);
	emit_acc_rex(t, 0);
	e8(e, (uint8_t)((scas ? 0x3a : 0x8a) | (size > 1)));   /* cmp / mov al|ax|eax, [address] */
	emit_acc_modrm(t, H_RAX);
	if (scas) {
		t->flags = FL_HOST;
		t->fix0 = 0;
	}
	emit_string_step(e, size);
	if (scas) {
		e8(e, 0x42); e8(e, 0x8d); e8(e, 0x3c); e8(e, 0x07); /* lea edi, [rdi + r8] */
	} else {
		e8(e, 0x42); e8(e, 0x8d); e8(e, 0x34); e8(e, 0x06); /* lea esi, [rsi + r8] */
	}
	inline_end(t, sl);
	return true;
}

/* DIV r/m32 (F7 /6; a memory divisor is loaded first): the host's DIV once the #DE cases are ruled
 * out without touching the flags (EDX - divisor as 64 bits is negative
 * exactly when the quotient fits, which also excludes a divisor of 0); the
 * interpreter leaves the flags as they were, so the host's are kept around
 * it.  BMI2 hosts. */
static bool div_inline_form(const struct insn *in, uint32_t mode)
{
	if (in->op != op_DIV_Ev || in->osize != 4 || (in->pfx & PFX_LOCK))
		return false;
	return INSN_MOD(in) == 3 ||
	       (in->asize == 4 && in->seg <= S_GS && (mode & BT_MODE_SEGBIG(in->seg)));
}

static bool emit_inline_div(struct tctx *t, const struct insn *in, const uint8_t *bytes, unsigned idx)
{
	struct emit *e = &t->e;
	struct slow *sl = inline_begin(t, idx);
	if (!sl)
		return false;
	bool mem = INSN_MOD(in) != 3;
	int divisor = mem ? H_R11 : bt_host_reg[INSN_RM(in)];
	if (mem) {
		/* the divisor loaded into r11 (a miss or a fault: the handler) */
		emit_ea_lin(t, in);
		emit_lookup(t, sl, SHADOW_CLASS((t->b->mode & BT_MODE_CPL) == 3, 0), 4);
		emit_acc_begin(t, sl, false);
		emit_acc_rex(t, REX_R);
		e8(e, 0x8b);                                    /* mov r11d, [address] */
		emit_acc_modrm(t, H_R11);
	}
	e_mov_rr32(e, H_R8, H_RDX);
	e_mov_rr32(e, H_R10, divisor);
	e8(e, 0x49); e8(e, 0xf7); e8(e, 0xd2);              /* not r10 */
	e8(e, 0x4f); e8(e, 0x8d); e8(e, 0x44); e8(e, 0x10); e8(e, 1);   /* lea r8, [r8 + r10 + 1]: EDX - divisor */
	e8(e, 0x49); e8(e, 0x89); e8(e, 0xc9);              /* mov r9, rcx */
	e8(e, 0xc4); e8(e, 0xc3); e8(e, 0xfb); e8(e, 0xf0); e8(e, 0xc8); e8(e, 32); /* rorx rcx, r8, 32 */
	e8(e, 0x67); e8(e, 0xe3); e8(e, 5);                 /* jecxz: #DE, the handler raises it */
	e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc9);              /* mov rcx, r9 */
	e8(e, 0xeb); e8(e, 8);
	e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc9);              /* mov rcx, r9 */
	e8(e, 0xe9);                                        /* jmp slow */
	sl->jumps[sl->njumps++] = e->p;
	e32(e, 0);
	bool keep = t->flags == FL_HOST;
	if (keep)
		e8(e, 0x9c);                                    /* pushfq */
	if (mem) {
		e8(e, 0x41); e8(e, 0xf7); e8(e, 0xf3);          /* div r11d */
	} else {
		emit_native(t, in, bytes);
	}
	if (keep)
		e8(e, 0x9d);                                    /* popfq */
	inline_end(t, sl);
	return true;
}

/* PUSHFD through a flat 32-bit stack: the image of cpu->eflags with VM and
 * RF clear, as the handler pushes it (the flags go to memory first) */
static bool emit_inline_pushfd(struct tctx *t, const struct insn *in, unsigned idx)
{
	struct emit *e = &t->e;
	uint32_t mode = t->b->mode;
	if (in->osize != 4 || !(mode & BT_MODE_STACK32) || (mode & BT_MODE_SSFLAT) != BT_MODE_SSFLAT)
		return false;
	flags_to_memory(t);
	struct slow *sl = inline_begin(t, idx);
	if (!sl)
		return false;
	e8(e, 0x67); e8(e, 0x45); e8(e, 0x8d); e8(e, 0x5c); e8(e, 0x24); e8(e, 0xfc); /* lea r11d, [r12 - 4] */
	emit_lookup(t, sl, SHADOW_CLASS((mode & BT_MODE_CPL) == 3, 1), 4);
	emit_store_log(t, 4, false);
	e_load32(e, H_R8, OFF(eflags));
	e_alu_imm32(e, 4, H_R8, F_ALL & ~(uint32_t)(F_VM | F_RF));
	e_alu_imm32(e, 1, H_R8, 2);
	emit_store_r8(t, sl, 4);
	e8(e, 0x45); e8(e, 0x89); e8(e, 0xdc);          /* mov r12d, r11d */
	inline_end(t, sl);
	return true;
}

/* Call the instruction's handler (through the fixed stub that stores and
 * reloads the guest registers).  last: the block ends with it. */
static void emit_handler_call(struct tctx *t, struct insn *in, uint32_t eip, bool last)
{
	struct emit *e = &t->e;
	flags_to_memory(t);
	flush_icount(t);
	e_store_imm32(e, OFF(eip), eip);
	e_mov_imm64(e, H_R11, (uint64_t)(uintptr_t)in);
	uint8_t *stub = last ? t->bt->call_last : t->bt->call_handler;
	if (!last && data_seg_load(in)) {
		e_store_imm32(e, OFF(bt_tmp), t->b->mode);
		stub = t->bt->call_segload;
	}
	e_call32(e, stub);
	if (!last)
		t->pending = 1;
}

/* After a handler: leave at the next instruction if translated code was
 * invalidated (the handler may have written this very block), or if a
 * device asked for a stop or a reset (the exit port, port 0xCF9): the
 * interpreter stops right after the instruction, so the rest of the block
 * must not run.  Flags are in memory.  The fall-through path still owes
 * icount `owed`. */
static void emit_request_check(struct tctx *t, uint32_t next_eip, unsigned owed)
{
	struct emit *e = &t->e;
	e_test_mem32_imm(e, OFF(exit_req), CPU_REQ_SMC | CPU_REQ_MODE | CPU_REQ_STOP | CPU_REQ_RESET);
	e8(e, 0x0f);
	e8(e, 0x84);                                 /* jz over the exit */
	uint8_t *field = e->p;
	e32(e, 0);
	uint8_t *start = e->p;
	if (owed)
		e_add_mem64_imm(e, OFF(icount), (int32_t)owed);
	e_store_imm32(e, OFF(eip), next_eip);
	e_jmp32(e, t->bt->leave_request);
	int32_t rel = (int32_t)(e->p - start);
	memcpy(field, &rel, 4);
}

/* The slow paths of the inline accesses, after the block's body: the
 * handler does the access (filling the shadow entry, or raising the guest's
 * fault), then the flags and icount are brought to what the fast path left. */
static void emit_slow_paths(struct tctx *t)
{
	struct emit *e = &t->e;
	struct bt_slow_desc *d = NULL;
	if (t->bt->ff_lookup && t->nslow)
		d = calloc(t->nslow, sizeof(*d));
	if (d) {
		/* 15 bytes each: the record, and the shared code (run.c) */
		t->b->slow = d;
		for (unsigned k = 0; k < t->nslow; k++) {
			struct slow *sl = &t->slow[k];
			uint8_t *here = emit_xaddr(e, e->p);
			for (unsigned j = 0; j < sl->njumps; j++)
				e_patch_rel32(sl->jumps[j], emit_xaddr(e, sl->jumps[j]), here);
			for (unsigned j = 0; j < sl->nsites; j++)
				bt_site_add(t->bt, sl->site[j], here, sl->logged[j]);
			struct insn *in = &t->b->insns[sl->insn];
			d[k] = (struct bt_slow_desc){
				.in = in, .join = sl->join, .eip = t->eips[sl->insn],
				.next_eip = t->eips[sl->insn] + in->len, .pending = sl->pending,
				.keep_mask = F_OSZAPC & ~sl->fix0_before, .after_host = sl->after == FL_HOST,
				.to_r11 = sl->to_r11, .ends_block = sl->ends_block,
			};
			e_mov_imm64(e, H_R11, (uint64_t)(uintptr_t)&d[k]);
			e_jmp32(e, sl->before == FL_HOST ? t->bt->slow_host : t->bt->slow_mem);
		}
		t->nslow = 0;
		return;
	}
	for (unsigned k = 0; k < t->nslow; k++) {
		struct slow *sl = &t->slow[k];
		uint8_t *here = emit_xaddr(e, e->p);
		for (unsigned j = 0; j < sl->njumps; j++)
			e_patch_rel32(sl->jumps[j], emit_xaddr(e, sl->jumps[j]), here);
		for (unsigned j = 0; j < sl->nsites; j++)
			bt_site_add(t->bt, sl->site[j], here, sl->logged[j]);
		t->flags = sl->before;
		t->fix0 = sl->fix0_before;
		t->pending = sl->pending;
		struct insn *in = &t->b->insns[sl->insn];
		uint32_t eip = t->eips[sl->insn];
		emit_handler_call(t, in, eip, false);   /* flags to memory, icount flushed */
		/* the fast path owes pending + 1 at the join: give back what was added.
		 * A block that leaves right after the join needs no check: its exit
		 * goes through the dispatcher or to a block whose entry checks */
		if (!sl->ends_block)
			emit_request_check(t, eip + in->len, 1);
		if (sl->to_r11)
			e_load32(e, H_R11, OFF(next_eip));
		if (sl->pending)
			e_add_mem64_imm(e, OFF(icount), -(int32_t)sl->pending);
		flags_convert_from_mem(t, sl->after);
		e_jmp32(e, sl->join);
	}
	t->nslow = 0;
}

/* Jcc at the end of a block: two direct exits */
static void emit_jcc_exit(struct tctx *t, unsigned cc, uint32_t next, uint32_t target)
{
	struct emit *e = &t->e;
	flags_to_host(t);
	t->pending++;
	unsigned pend = t->pending;
	uint32_t fix0 = t->fix0;
	e8(e, 0x0f);
	e8(e, (uint8_t)(0x80 | cc));
	uint8_t *field = e->p;
	e32(e, 0);
	flush_icount(t);                /* not taken */
	emit_direct_exit(t, next);
	int32_t rel = (int32_t)(e->p - (field + 4));
	memcpy(field, &rel, 4);
	t->flags = FL_HOST;             /* taken */
	t->fix0 = fix0;
	t->pending = pend;
	flush_icount(t);
	emit_direct_exit(t, target);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

intptr_t bt_fetch_entry(const struct cpu *cpu, uint32_t lin2)
{
	intptr_t e = cpu->stab[(size_t)(lin2 >> 12) * SC_COUNT + SHADOW_CLASS(cpu->cpl == 3, 0)];
	return shadow_entry_fast(e) ? e : 0;
}

/* Before an instruction that crosses into the next page: that page must
 * still map to the bytes it was translated from (the jump cache and chained
 * jumps check the first page only); else leave at the instruction. */
static void emit_page2_check(struct tctx *t, uint32_t eip)
{
	struct emit *e = &t->e;
	const struct bt_block *b = t->b;
	uint32_t lin2 = ((b->cs_base + b->eip) | 0xfff) + 1;
	unsigned cls = SHADOW_CLASS((b->mode & BT_MODE_CPL) == 3, 0);
	if (t->flags == FL_R9)
		flags_to_memory(t);   /* r9 is about to hold ECX (hosts without BMI2) */
	e8(e, 0x49); e8(e, 0x89); e8(e, 0xc9);                      /* mov r9, rcx */
	e_op_mem(e, 1, 0x8b, H_R10, H_R14, (int32_t)(((lin2 >> 12) * SC_COUNT + cls) * 8));   /* mov r10, [r14 + entry] */
	e_mov_imm64(e, H_RCX, (uint64_t)-(uint64_t)b->entry2);
	e8(e, 0x49); e8(e, 0x8d); e8(e, 0x0c); e8(e, 0x0a);         /* lea rcx, [r10 + rcx] */
	e8(e, 0xe3); e8(e, 8);                                      /* jrcxz ok */
	e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc9);                      /* mov rcx, r9 */
	e8(e, 0xe9); uint8_t *to_exit = e->p; e32(e, 0);            /* jmp exit */
	e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc9);                      /* ok: mov rcx, r9 */
	e8(e, 0xe9); uint8_t *to_cont = e->p; e32(e, 0);            /* jmp on */
	int32_t rel = (int32_t)(e->p - (to_exit + 4));
	memcpy(to_exit, &rel, 4);
	enum flags_at fl = t->flags;
	uint32_t fix0 = t->fix0;
	unsigned pending = t->pending;
	flags_to_memory(t);
	flush_icount(t);
	e_store_imm32(e, OFF(eip), eip);
	emit_dynamic_exit(t, BT_LEAVE_PAGE2);
	t->flags = fl;
	t->fix0 = fix0;
	t->pending = pending;
	rel = (int32_t)(e->p - (to_cont + 4));
	memcpy(to_cont, &rel, 4);
}

/* Translate the block at the CPU's CS:EIP, whose bytes are at host (winlen
 * readable bytes to the end of the page or the CS limit; host2: the next
 * page's, when its last instruction may cross into it, else NULL).  Returns NULL when
 * the first instruction cannot start a block (the caller interprets it), or
 * when the buffer is full (bt->used is then past the end: flush and retry). */
struct bt_block *bt_translate(struct bt *bt, const uint8_t *host, unsigned winlen, const uint8_t *host2)
{
	struct cpu *cpu = bt->cpu;
	uint64_t t0 = now_ns();
	/* the bytes: the page's, then up to 15 of the next page's */
	uint8_t bytes[4096 + 16];
	unsigned avail = winlen;
	intptr_t entry2 = 0;
	if (host2 && winlen <= 4096) {
		uint32_t lin2 = ((cpu->seg[S_CS].base + cpu->eip) | 0xfff) + 1;
		entry2 = bt_fetch_entry(cpu, lin2);
		if (entry2 && shadow_entry_host(entry2, lin2) == host2) {
			memcpy(bytes, host, winlen);
			memcpy(bytes + winlen, host2, 15);
			avail = winlen + 15;
		} else {
			host2 = NULL;
			entry2 = 0;
		}
	} else {
		host2 = NULL;
	}
	const uint8_t *code = host2 ? bytes : host;
	bool crosses = false;
	struct insn ins[BT_MAX_INSNS];
	uint32_t eips[BT_MAX_INSNS];
	unsigned offs[BT_MAX_INSNS];
	unsigned n = 0, off = 0;
	bool code32 = true;
	uint32_t eip = cpu->eip;

	/* decode first: the block's extent */
	while (n < BT_MAX_INSNS) {
		struct insn *in = &ins[n];
		if (decode_buf(in, code32, code + off, avail - off) != DEC_OK)
			break;   /* invalid, or crosses the page: ends the block before it */
		eips[n] = eip + off;
		offs[n] = off;
		off += in->len;
		n++;
		const struct opinfo *oi = &opinfo[in->op];
		if ((oi->attr & (A_BRANCH | A_ENDBLK | A_UD | A_NOEXEC)) && !data_seg_load(in))
			break;
		if (in->rep && (oi->attr & A_STRING))
			break;   /* REP runs a batch per call and repeats itself */
		if (off >= winlen) {
			crosses = off > winlen;   /* it ends in the next page */
			break;
		}
	}
	if (n == 0)
		return NULL;

	struct bt_block *b = calloc(1, sizeof(*b));
	struct insn *saved = malloc(n * sizeof(*saved));
	uint32_t *undef_at = malloc(n * sizeof(*undef_at));
	if (!b || !saved || !undef_at) {
		free(b);
		free(saved);
		free(undef_at);
		return NULL;
	}
	memcpy(saved, ins, n * sizeof(*saved));
	b->insns = saved;
	b->undef_at = undef_at;
	b->host = host;
	b->eip = cpu->eip;
	b->cs_base = cpu->seg[S_CS].base;
	b->mode = bt_mode_of(cpu);
	b->ninsn = (uint16_t)n;
	b->glen = (uint16_t)off;
	if (crosses) {
		b->host2 = host2;
		b->entry2 = entry2;
		b->first_crosses = n == 1;
	}

	struct tctx t = { .bt = bt, .b = b, .flags = FL_HOST };
	t.e.p = bt->wbase + bt->used;
	t.e.end = bt->wbase + bt->size;
	t.e.x_minus_w = bt->xbase - bt->wbase;
	if (t.e.end - t.e.p < 64 * 1024) {
		free(saved);
		free(undef_at);
		free(b);
		bt->used = bt->size;
		return NULL;
	}
	struct emit *e = &t.e;
	/* Populate the code buffer ahead, 1 MiB at a time in both mappings:
	 * one call instead of two page faults per page written and run (a
	 * tenth of the Linux boot's page faults otherwise) */
	size_t chunk = (size_t)1 << 20, want = (bt->used + (64u << 10) + chunk) & ~(chunk - 1);
	if (want > bt->size)
		want = bt->size;
	if (want > bt->populated) {
#ifdef MADV_POPULATE_WRITE
		madvise(bt->wbase + bt->populated, want - bt->populated, MADV_POPULATE_WRITE);
		madvise(bt->xbase + bt->populated, want - bt->populated, MADV_POPULATE_READ);
#endif
		bt->populated = want;
	}
	/* entered with the flags in r11 (emit_indirect_exit_lahf): OF from
	 * ADD AL, 0x7F (AL is 0 or 1), the rest from SAHF */
	b->code_lahf = emit_xaddr(e, e->p);
	e8(e, 0x49); e8(e, 0x89); e8(e, 0xc1);        /* mov r9, rax */
	e8(e, 0x44); e8(e, 0x89); e8(e, 0xd8);        /* mov eax, r11d */
	emit_sahf_ax(e);
	e8(e, 0xeb); uint8_t *to_code = e->p; e8(e, 0);   /* jmp code */
	/* entered with the flags in memory: into host RFLAGS */
	b->code_mem = emit_xaddr(e, e->p);
	e_load32(e, H_R9, OFF(eflags));
	e_alu_imm32(e, 4, H_R9, F_OSZAPC);
	e_push(e, H_R9);
	e8(e, 0x9d);                                  /* popfq */
	*to_code = (uint8_t)(e->p - (to_code + 1));
	/* entered with them in host RFLAGS: the checks (a request, the budget) */
	b->code = emit_xaddr(e, e->p);
	uint8_t *to_leave[3];
	unsigned nleave = 0;
	uint8_t *to_body;
	if (bt->ff_lookup) {
		/* without touching the flags: guest ECX parked in r9 */
		e8(e, 0x49); e8(e, 0x89); e8(e, 0xc9);              /* mov r9, rcx */
		e_load32(e, H_RCX, OFF(exit_req));
		e8(e, 0xc4); e8(e, 0xc2); e8(e, 0x72); e8(e, 0xf5); e8(e, 0x8f);
		e32(e, (uint32_t)OFF(exit_mask));                   /* pext ecx, ecx, [exit_mask] */
		e8(e, 0xe3); e8(e, 8);                              /* jrcxz over */
		e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc9);              /* mov rcx, r9 */
		e8(e, 0xe9); to_leave[nleave++] = e->p; e32(e, 0);  /* jmp leave */
		e_load64(e, H_R8, OFF(bt_left));
		e8(e, 0x4d); e8(e, 0x8d); e8(e, 0x80); e32(e, (uint32_t)-(int32_t)n);   /* lea r8, [r8 - n] */
		e8(e, 0xc4); e8(e, 0xc3); e8(e, 0xfb); e8(e, 0xf0); e8(e, 0xc8); e8(e, 32); /* rorx rcx, r8, 32 */
		e8(e, 0x67); e8(e, 0xe3); e8(e, 8);                 /* jecxz over: 0 <= left < 2^32 */
		e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc9);              /* mov rcx, r9 */
		e8(e, 0xe9); to_leave[nleave++] = e->p; e32(e, 0);  /* jmp leave */
		e_op_mem(e, 1, 0x89, H_R8, H_R15, OFF(bt_left));
		e8(e, 0x4c); e8(e, 0x89); e8(e, 0xc9);              /* mov rcx, r9 */
		e8(e, 0xe9); to_body = e->p; e32(e, 0);             /* jmp body */
	} else {
		/* the same with the flags saved around the tests */
		e8(e, 0x9c);                                        /* pushfq */
		e_load32(e, H_R11, OFF(exit_req));
		e_op_mem(e, 0, 0x85, H_R11, H_R15, OFF(exit_mask)); /* test r11d, [exit_mask] */
		e8(e, 0x0f); e8(e, 0x85); to_leave[nleave++] = e->p; e32(e, 0);   /* jne leave */
		e_load64(e, H_R11, OFF(bt_left));
		e8(e, 0x49); e8(e, 0x81); e8(e, 0xeb); e32(e, n);   /* sub r11, n */
		e8(e, 0x0f); e8(e, 0x88); to_leave[nleave++] = e->p; e32(e, 0);   /* js leave */
		e_op_mem(e, 1, 0x89, H_R11, H_R15, OFF(bt_left));
		e8(e, 0x9d);                                        /* popfq */
		e8(e, 0xe9); to_body = e->p; e32(e, 0);             /* jmp body */
		for (unsigned k = 0; k < nleave; k++) {
			int32_t rel = (int32_t)(e->p - (to_leave[k] + 4));
			memcpy(to_leave[k], &rel, 4);
		}
		e8(e, 0x9d);                                        /* popfq: then leave */
		nleave = 0;
	}
	for (unsigned k = 0; k < nleave; k++) {
		int32_t rel = (int32_t)(e->p - (to_leave[k] + 4));
		memcpy(to_leave[k], &rel, 4);
	}
	flags_to_memory(&t);                          /* leave: flags from the host */
	e_store_imm32(e, OFF(eip), b->eip);
	emit_dynamic_exit(&t, BT_LEAVE_CHECK);
	t.flags = FL_HOST;
	{
		int32_t rel = (int32_t)(e->p - (to_body + 4));
		memcpy(to_body, &rel, 4);
	}
	b->code_nocheck = emit_xaddr(e, e->p);
	if (bt->opt.count_execs) {
		e_mov_imm64(e, H_R11, (uint64_t)(uintptr_t)&b->execs);
		e8(e, 0x4d); e8(e, 0x8b); e8(e, 0x03);              /* mov r8, [r11] */
		e8(e, 0x4d); e8(e, 0x8d); e8(e, 0x40); e8(e, 0x01); /* lea r8, [r8 + 1] */
		e8(e, 0x4d); e8(e, 0x89); e8(e, 0x03);              /* mov [r11], r8 */
	}

	t.eips = eips;
	/* Which flags can be seen after each instruction before they are written
	 * again: everything at the block's end and by a handler (PUSHF, a fault's
	 * frame ...), what an instruction reads.  An instruction whose undefined
	 * flags could be seen runs through its handler. */
	uint32_t seen_after[BT_MAX_INSNS];
	uint32_t seen = F_OSZAPC;
	for (unsigned i = n; i-- > 0;) {
		const struct opinfo *oi = &opinfo[saved[i].op];
		struct bt_flag_eff f = bt_insn_flags(&saved[i]);
		seen_after[i] = seen;
		if (bt_native_form(&saved[i]) || inline_mem_form(&saved[i], b->mode) ||
		    (oi->attr & A_JCC) || stack_form(&saved[i], b->mode) || saved[i].op == op_LEA_GvM ||
		    (div_inline_form(&saved[i], b->mode) && bt->ff_lookup))
			seen = (seen & ~(f.fw & ~f.fu & ~f.fr)) | f.fr;
		else
			seen = F_OSZAPC;
	}
	for (unsigned i = 0; i < n; i++) {
		struct insn *in = &saved[i];
		const struct opinfo *oi = &opinfo[in->op];
		uint32_t next = eips[i] + in->len;
		bool last = i == n - 1;
		/* The flags left undefined (for --check-lockstep): the host's FU
		 * flags of a native form; an instruction defines only the flags it
		 * writes without reading them (a shift by 0, INT n, a handler that
		 * leaves its FU flags as they were pass them through) */
		uint32_t defined = oi->fw & ~oi->fu & ~oi->fr;
		struct bt_flag_eff fe = bt_insn_flags(in);
		b->undef_at[i] = b->undef_flags;
		if (b->host2 && offs[i] + in->len > winlen)
			emit_page2_check(&t, eips[i]);

		if (last && (oi->attr & A_JCC) && in->osize == 4 &&
		    ((in->map == 0 && in->opc >= 0x70 && in->opc <= 0x7f) ||
		     (in->map == 1 && in->opc >= 0x80 && in->opc <= 0x8f))) {
			emit_jcc_exit(&t, in->opc & 0xf, next, next + in->imm);
			break;
		}
		if (last && (in->op == op_JMP_Jb || in->op == op_JMP_Jz) && in->osize == 4) {
			t.pending++;
			flush_icount(&t);
			emit_direct_exit(&t, next + in->imm);
			break;
		}
		if (stack_form(in, b->mode)) {
			enum flags_at fl = t.flags;
			uint8_t *mark = e->p;
			if (emit_inline_stack(&t, in, i, next)) {
				bt->stats.native_insns++;
				t.pending++;
				if (in->op == op_CALL_Jz) {
					flush_icount(&t);
					emit_direct_exit(&t, next + in->imm);
					break;
				}
				if ((in->op == op_RET || in->op == op_RET_Iw || in->op == op_CALL_Ev ||
				     in->op == op_JMP_Ev) && t.flags == FL_HOST && !t.fix0 && bt->lahf) {
					flush_icount(&t);
					emit_indirect_exit_lahf(&t);
					break;
				}
				if (in->op == op_RET || in->op == op_RET_Iw || in->op == op_CALL_Ev ||
				    in->op == op_JMP_Ev) {
					e_store32(e, H_R11, OFF(eip));
					flags_to_memory(&t);
					flush_icount(&t);
					e_load32(e, H_R11, OFF(eip));
					emit_indirect_exit(&t);
					break;
				}
				goto next_insn;
			}
			e->p = mark;
			t.flags = fl;
		}
		if (in->op == op_MOV_ALOb || in->op == op_MOV_eAXOv || in->op == op_MOV_ObAL ||
		    in->op == op_MOV_OveAX) {
			enum flags_at fl = t.flags;
			if (emit_inline_moffs(&t, in, i)) {
				bt->stats.native_insns++;
				t.pending++;
				goto next_insn;
			}
			t.flags = fl;
		}
		if (in->op == op_MOVSB || in->op == op_MOVSW || in->op == op_MOVSD) {
			enum flags_at fl = t.flags;
			if (emit_inline_movs(&t, in, i)) {
				bt->stats.native_insns++;
				t.pending++;
				goto next_insn;
			}
			t.flags = fl;
		}
		if (in->op == op_LODSB || in->op == op_LODSW || in->op == op_LODSD || in->op == op_SCASB ||
		    in->op == op_SCASW || in->op == op_SCASD) {
			enum flags_at fl = t.flags;
			uint32_t fix0 = t.fix0;
			if (emit_inline_lods_scas(&t, in, i)) {
				bt->stats.native_insns++;
				t.pending++;
				goto next_insn;
			}
			t.flags = fl;
			t.fix0 = fix0;
		}
		if (div_inline_form(in, b->mode) && bt->ff_lookup) {
			enum flags_at fl = t.flags;
			if (emit_inline_div(&t, in, code + offs[i], i)) {
				bt->stats.native_insns++;
				t.pending++;
				goto next_insn;
			}
			t.flags = fl;
		}
		if (in->op == op_PUSHF_O32 && bt->ff_lookup) {
			uint8_t *mark = e->p;
			enum flags_at fl = t.flags;
			uint32_t fix0 = t.fix0;
			if (emit_inline_pushfd(&t, in, i)) {
				bt->stats.native_insns++;
				t.pending++;
				goto next_insn;
			}
			e->p = mark;
			t.flags = fl;
			t.fix0 = fix0;
		}
		if (in->op == op_CLI && (b->mode & BT_MODE_CPL) == 0 && bt->ff_lookup) {
			/* at CPL 0 it cannot fault: IF cleared as PDEP(PEXT(eflags,
			 * ~IF), ~IF), which leaves the host flags alone; a pending
			 * INTR no longer makes blocks leave */
			e_load32(e, H_R8, OFF(eflags));
			e8(e, 0xc4); e8(e, 0x42); e8(e, 0x3a); e8(e, 0xf5); e8(e, 0x87);
			e32(e, (uint32_t)OFF(bt_noif_mask));            /* pext r8d, r8d, [~IF] */
			e8(e, 0xc4); e8(e, 0x42); e8(e, 0x3b); e8(e, 0xf5); e8(e, 0x87);
			e32(e, (uint32_t)OFF(bt_noif_mask));            /* pdep r8d, r8d, [~IF] */
			e_store32(e, H_R8, OFF(eflags));
			e_store_imm32(e, OFF(exit_mask), ~(uint32_t)CPU_REQ_INTR);
			bt->stats.native_insns++;
			t.pending++;
			goto next_insn;
		}
		if (in->op == op_CLD || in->op == op_STD) {
			/* DF lives in cpu->eflags, beside the flags a handler reads */
			flags_to_memory(&t);
			e_op_mem(e, 0, 0x81, in->op == op_CLD ? 4 : 1, H_R15, OFF(eflags));
			e32(e, in->op == op_CLD ? ~(uint32_t)F_DF : F_DF);   /* and/or dword [eflags], DF */
			bt->stats.native_insns++;
			t.pending++;
			goto next_insn;
		}
		if (in->op == op_LEA_GvM && in->asize == 4) {
			/* the address, no access: LEA with 32-bit wrap-around */
			emit_lea_ea(e, bt_host_reg[INSN_REG(in)], in, in->osize == 2);
			bt->stats.native_insns++;
			t.pending++;
			goto next_insn;
		}
		/* SHL/SHR/SAR r32, CL whose AF may be seen: fixed after it */
		bool af_fix = (fe.fu & seen_after[i]) == F_AF && in->map == 0 && in->opc == 0xd3 &&
			      INSN_MOD(in) == 3 && INSN_REG(in) >= 4 && bt->lahf;
		/* IMUL r32, r/m32 (, imm) whose SF ZF AF PF may be seen: fixed after it */
		bool imul_fix = (fe.fu & seen_after[i]) && in->osize == 4 && bt->lahf &&
				(in->op == op_IMUL_GvEv || in->op == op_IMUL_GvEvIbs || in->op == op_IMUL_GvEvIz);
		if ((bt_native_form(in) || inline_mem_form(in, b->mode)) &&
		    (!(fe.fu & seen_after[i]) || af_fix || imul_fix)) {
			/* a reader of a flag pending a fix to 0 (LAHF after a shift)
			 * sees it fixed: through memory */
			if (fe.fr & t.fix0)
				flags_to_memory(&t);
			uint8_t *mark = e->p;
			enum flags_at fl = t.flags;
			uint32_t fix0 = t.fix0;
			bool ok;
			if (INSN_MEMOP(in)) {
				ok = emit_inline_mem(&t, in, code + offs[i], i);
			} else {
				if (needs_flags_in(in))
					flags_to_host(&t);
				if (af_fix)
					e_mov_rr32(e, H_R8, H_RCX);   /* the count, for emit_af_fix_cl */
				ok = emit_native(&t, in, code + offs[i]);
				if (ok && fe.fw)
					t.flags = FL_HOST;
				if (ok && af_fix) {
					emit_af_fix_cl(e);
					fe.fu &= ~(uint32_t)F_AF;
				}
			}
			if (ok && imul_fix) {
				/* (after a slow path's join too: the same flags again) */
				emit_imul_fix(e, bt_host_reg[INSN_REG(in)]);
				fe.fu = 0;
			}
			if (!ok) {
				e->p = mark;   /* not expressible: the handler after all */
				t.flags = fl;
				t.fix0 = fix0;
				goto handler;
			}
			bt->stats.native_insns++;
			t.fix0 = (t.fix0 & ~fe.fw) | fe.fix0;
			b->undef_flags = (b->undef_flags & ~(fe.fw & ~fe.fu & ~fe.fr)) | fe.fu;
			t.pending++;
			goto next_insn;
		}
	handler:
		/* everything else: the interpreter's handler */
		bt->stats.helper_insns++;
		b->undef_flags &= ~defined;
		if (last) {
			bool direct = in->op == op_CALL_Jz && in->osize == 4;
			emit_handler_call(&t, in, eips[i], true);
			/* after a mode or segment change (A_ENDBLK) the dispatcher
			 * looks again: never chained */
			if (direct && !(oi->attr & A_ENDBLK))
				emit_direct_exit(&t, next + in->imm);
			else if (!(oi->attr & (A_BRANCH | A_ENDBLK)) && !(in->rep && (oi->attr & A_STRING)))
				emit_direct_exit(&t, next);
			else if (((oi->attr & A_BRANCH) || (in->rep && (oi->attr & A_STRING))) &&
				 !(oi->attr & A_ENDBLK)) {
				/* near branches (RET, JMP/CALL r/m, LOOP ...) and REP string
				 * batches (the same EIP again, or the next): through the
				 * jump cache; the target's entry checks take requests */
				e_load32(e, H_R11, OFF(eip));
				emit_indirect_exit(&t);
			} else {
				if (!bt->opt.lockstep) {
					/* the next block without the dispatcher, if the
					 * jump cache has it for the mode now (run.c) */
					e_call32(e, bt->call_next);
					e_load64(e, H_R11, OFF(bt_desc));
					e8(e, 0x4d); e8(e, 0x85); e8(e, 0xdb);      /* test r11, r11 */
					e8(e, 0x74); e8(e, 3);                      /* jz: the dispatcher */
					e8(e, 0x41); e8(e, 0xff); e8(e, 0xe3);      /* jmp r11 */
				}
				emit_dynamic_exit(&t, BT_LEAVE_ENDBLK);
			}
			break;
		}
		emit_handler_call(&t, in, eips[i], false);
		emit_request_check(&t, next, 1);
		continue;
	next_insn:
		if (last) {
			flush_icount(&t);
			emit_direct_exit(&t, next);
		}
	}
	emit_slow_paths(&t);
	b->code_len = (uint32_t)(emit_xaddr(e, e->p) - b->code);
	if (bt->dump) {
		/* SHADE86_BT_DUMP: guest address, length, offset in the code
		 * buffer (perf names translated code by it), host code */
		uint32_t hdr[3] = { b->cs_base + b->eip, b->code_len, (uint32_t)(b->code - bt->xbase) };
		fwrite(hdr, sizeof(hdr), 1, bt->dump);
		fwrite(b->code - (bt->xbase - bt->wbase), 1, b->code_len, bt->dump);
	}
	bt->used = (size_t)(e->p - bt->wbase);
	bt->used = (bt->used + 15) & ~(size_t)15;
	bt->stats.blocks++;
	bt->stats.guest_insns += n;
	bt->stats.host_bytes += b->code_len;
	bt->stats.translate_ns += now_ns() - t0;
	return b;
}

/*
 * Translating one block: decode guest instructions with the shared decoder,
 * classify them by the opcode table, emit host code (see bt.h for the layout
 * of a block and the register assignment).
 */
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include "../cpu/interp.h"
#include "bt_int.h"

#define OFF(f) ((int32_t)offsetof(struct cpu, f))
#define OFF_R(i) ((int32_t)(offsetof(struct cpu, r) + 4 * (i)))


uint32_t bt_mode_of(const struct cpu *cpu)
{
	return (uint32_t)cpu->cpl | ((cpu->seg[S_CS].attr & SA_DB) ? BT_MODE_CODE32 : 0) |
	       ((cpu->seg[S_SS].attr & SA_DB) ? BT_MODE_STACK32 : 0);
}

/* One-byte opcodes the host does not execute in 64-bit mode (SDM Vol. 2
 * Appendix A, "i64"), or executes as something else (40-4F are REX
 * prefixes, C4/C5 VEX, 63 MOVSXD, 82 is invalid).  Forms of these that
 * would otherwise qualify call their handler.
 * TODO: an A_NO64 attribute in the opcode table once it has room. */
static bool invalid_in_64bit_mode(const struct insn *in)
{
	if (in->map != 0)
		return false;
	switch (in->opc) {
	case 0x27: case 0x2f: case 0x37: case 0x3f:   /* DAA DAS AAA AAS */
	case 0x62: case 0x63: case 0x82: case 0xc4: case 0xc5:
	case 0xd4: case 0xd5: case 0xd6:               /* AAM AAD SALC */
		return true;
	default:
		return in->opc >= 0x40 && in->opc <= 0x4f;   /* INC/DEC r: REX */
	}
}

/* Which ModRM fields and opcode register name byte registers (AL..BH),
 * from the operand string: E/G/Z with size letter b. */
struct opnd_shape {
	bool ok;                  /* only register, immediate and fixed operands */
	bool reg_byte, rm_byte, z_byte;
	bool has_z;
};

static struct opnd_shape operand_shape(const char *ops)
{
	struct opnd_shape s = { true, false, false, false, false };
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
		else if (kind == 'G')
			s.reg_byte = byte;
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
	if (invalid_in_64bit_mode(in))
		return false;
	/* DIV and IDIV (F6/F7 /6 /7) may raise #DE: the handler checks */
	if (in->map == 0 && (in->opc == 0xf6 || in->opc == 0xf7) && INSN_REG(in) >= 6)
		return false;
	return operand_shape(oi->operands).ok;
}

/* ---- emission helpers ---- */

struct tctx {
	struct bt *bt;
	struct emit e;
	struct bt_block *b;
	bool flags_in_host;       /* OSZAPC live in host RFLAGS (else in cpu->eflags) */
	unsigned pending;         /* instructions retired since icount was last updated */
	/* exits that leave to the dispatcher with EIP already in struct cpu */
	uint8_t *dyn_exit;        /* executable address of the shared dynamic exit */
};

/* OSZAPC from host RFLAGS into cpu->eflags (clobbers the host flags, r10, r11) */
static void emit_store_flags(struct tctx *t)
{
	struct emit *e = &t->e;
	e8(e, 0x9c);                            /* pushfq */
	e_pop(e, H_R11);
	e_alu_imm32(e, 4, H_R11, F_OSZAPC);     /* and r11d, OSZAPC */
	e_load32(e, H_R10, OFF(eflags));
	e_alu_imm32(e, 4, H_R10, ~(uint32_t)F_OSZAPC);
	e_or_rr32(e, H_R10, H_R11);
	e_store32(e, H_R10, OFF(eflags));
}

/* OSZAPC from cpu->eflags into host RFLAGS; the host's own DF, TF, AC stay 0 */
static void emit_load_flags(struct tctx *t)
{
	struct emit *e = &t->e;
	e_load32(e, H_R11, OFF(eflags));
	e_alu_imm32(e, 4, H_R11, F_OSZAPC);
	e_push(e, H_R11);
	e8(e, 0x9d);                            /* popfq */
}

static void flags_to_memory(struct tctx *t)
{
	if (t->flags_in_host) {
		emit_store_flags(t);
		t->flags_in_host = false;
	}
}

static void flush_icount(struct tctx *t)
{
	if (t->pending) {
		e_add_mem64_imm(&t->e, OFF(icount), (int32_t)t->pending);
		t->pending = 0;
	}
}

/* A direct exit to target_eip: flags in memory, icount updated, then a
 * patchable jump to a stub that stores EIP and returns to the dispatcher
 * with the exit record. */
static void emit_direct_exit(struct tctx *t, uint32_t target_eip)
{
	struct emit *e = &t->e;
	struct bt_block *b = t->b;
	struct bt_exit *x = &b->exit[b->nexit++];
	x->from = b;
	x->target_eip = target_eip;
	uint8_t *field = e_jmp32(e, emit_xaddr(e, e->p + 5));   /* to the stub just below */
	x->jmp_field = emit_xaddr(e, field);
	x->stub = emit_xaddr(e, e->p);
	e_store_imm32(e, OFF(eip), target_eip);
	e_mov_imm64(e, H_R11, (uint64_t)(uintptr_t)x);
	e_jmp32(e, t->bt->exit_common);
}

/* Leave with EIP already stored (or store eip first when not UINT64 ...) */
static void emit_dynamic_exit(struct tctx *t)
{
	struct emit *e = &t->e;
	e_mov_imm32(e, H_R11, 0);
	e_jmp32(e, t->bt->exit_common);
}

/* The guest instruction as a host instruction: the same prefixes (66 only),
 * a REX where guest ESP (host r12) is named, the same opcode, ModRM, SIB,
 * displacement and immediate bytes.  Returns false (nothing emitted) when
 * the form cannot be written that way. */
static bool emit_native(struct tctx *t, const struct insn *in, const uint8_t *bytes)
{
	struct emit *e = &t->e;
	const struct opinfo *oi = &opinfo[in->op];
	struct opnd_shape s = operand_shape(oi->operands);
	uint8_t rex = 0;
	bool byte_high = false;   /* names AH CH DH BH: no REX allowed */
	if (in->has_modrm) {
		unsigned reg = INSN_REG(in), rm = INSN_RM(in);
		if (s.reg_byte ? reg >= 4 : reg == 4) {
			if (s.reg_byte)
				byte_high = true;
			else
				rex |= REX_R;
		}
		if (INSN_MOD(in) == 3) {
			if (s.rm_byte ? rm >= 4 : rm == 4) {
				if (s.rm_byte)
					byte_high = true;
				else
					rex |= REX_B;
			}
		}
		/* a form whose G is not a register (MOV Sw, CRn ...) never gets
		 * here: operand_shape refused it */
	}
	if (s.has_z) {
		unsigned z = in->opc & 7;
		if (s.z_byte ? z >= 4 : z == 4) {
			if (s.z_byte)
				byte_high = true;
			else
				rex |= REX_B;
		}
	}
	if (rex && byte_high)
		return false;
	unsigned opc_at = in->npfx;
	if (in->osize == 2 && !(oi->match & M_PFX_ANY))
		e8(e, 0x66);
	else if ((in->pfx & PFX_66) && (oi->match & M_P66))
		e8(e, 0x66);
	if (rex)
		e8(e, (uint8_t)(0x40 | rex));
	for (unsigned i = opc_at; i < in->len; i++)
		e8(e, bytes[i]);
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
	e_call32(e, last ? t->bt->call_last : t->bt->call_handler);
	if (!last)
		t->pending = 1;
}

/* After a handler: leave at the next instruction if translated code was
 * invalidated (the handler may have written this very block). */
static void emit_smc_check(struct tctx *t, uint32_t next_eip)
{
	struct emit *e = &t->e;
	e_test_mem32_imm(e, OFF(exit_req), CPU_REQ_SMC);
	/* jz over the exit */
	e8(e, 0x0f);
	e8(e, 0x84);
	uint8_t *field = e->p;
	e32(e, 0);
	uint8_t *start = e->p;
	flush_icount(t);
	t->pending = 1;   /* the exit path counted it; the fall-through path still owes it */
	e_store_imm32(e, OFF(eip), next_eip);
	emit_dynamic_exit(t);
	int32_t rel = (int32_t)(e->p - start);
	memcpy(field, &rel, 4);
}

/* Jcc at the end of a block: two direct exits */
static void emit_jcc_exit(struct tctx *t, unsigned cc, uint32_t next, uint32_t target)
{
	struct emit *e = &t->e;
	if (!t->flags_in_host)
		emit_load_flags(t);
	t->pending++;
	unsigned pend = t->pending;
	e8(e, 0x0f);
	e8(e, (uint8_t)(0x80 | cc));
	uint8_t *field = e->p;
	e32(e, 0);
	emit_store_flags(t);            /* not taken */
	flush_icount(t);
	emit_direct_exit(t, next);
	int32_t rel = (int32_t)(e->p - (field + 4));
	memcpy(field, &rel, 4);
	emit_store_flags(t);            /* taken */
	t->pending = pend;
	flush_icount(t);
	emit_direct_exit(t, target);
	t->flags_in_host = false;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Translate the block at the CPU's CS:EIP, whose bytes are at host (winlen
 * readable bytes to the end of the page or the CS limit).  Returns NULL when
 * the first instruction cannot start a block (the caller interprets it), or
 * when the buffer is full (bt->used is then past the end: flush and retry). */
struct bt_block *bt_translate(struct bt *bt, const uint8_t *host, unsigned winlen)
{
	struct cpu *cpu = bt->cpu;
	uint64_t t0 = now_ns();
	struct insn ins[BT_MAX_INSNS];
	uint32_t eips[BT_MAX_INSNS];
	unsigned offs[BT_MAX_INSNS];
	unsigned n = 0, off = 0;
	bool code32 = true;
	uint32_t eip = cpu->eip;

	/* decode first: the block's extent */
	while (n < BT_MAX_INSNS) {
		struct insn *in = &ins[n];
		if (decode_buf(in, code32, host + off, winlen - off) != DEC_OK)
			break;   /* invalid, or crosses the page: ends the block before it */
		eips[n] = eip + off;
		offs[n] = off;
		off += in->len;
		n++;
		const struct opinfo *oi = &opinfo[in->op];
		if (oi->attr & (A_BRANCH | A_ENDBLK | A_UD | A_NOEXEC))
			break;
		if (in->rep && (oi->attr & A_STRING))
			break;   /* REP runs a batch per call and repeats itself */
		if (off >= winlen)
			break;
	}
	if (n == 0)
		return NULL;

	struct bt_block *b = calloc(1, sizeof(*b));
	struct insn *saved = malloc(n * sizeof(*saved));
	if (!b || !saved) {
		free(b);
		free(saved);
		return NULL;
	}
	memcpy(saved, ins, n * sizeof(*saved));
	b->insns = saved;
	b->host = host;
	b->eip = cpu->eip;
	b->cs_base = cpu->seg[S_CS].base;
	b->mode = bt_mode_of(cpu);
	b->ninsn = (uint16_t)n;
	b->glen = (uint16_t)off;

	struct tctx t = { .bt = bt, .b = b };
	t.e.p = bt->wbase + bt->used;
	t.e.end = bt->wbase + bt->size;
	t.e.x_minus_w = bt->xbase - bt->wbase;
	if (t.e.end - t.e.p < 64 * 1024) {
		free(saved);
		free(b);
		bt->used = bt->size;
		return NULL;
	}
	struct emit *e = &t.e;
	b->code = emit_xaddr(e, e->p);

	/* entry checks (chained entries): a request, or the budget */
	e_cmp_mem32_imm8(e, OFF(exit_req), 0);
	e8(e, 0x0f); e8(e, 0x85);                     /* jne leave */
	uint8_t *to_leave1 = e->p;
	e32(e, 0);
	e_load64(e, H_R11, OFF(icount));
	e8(e, 0x49); e8(e, 0x81); e8(e, 0xc3); e32(e, n);   /* add r11, n */
	e_op_mem(e, 1, 0x3b, H_R11, H_R15, OFF(icount_limit));   /* cmp r11, [limit] */
	e8(e, 0x0f); e8(e, 0x87);                     /* ja leave */
	uint8_t *to_leave2 = e->p;
	e32(e, 0);
	e8(e, 0xeb);                                  /* jmp body */
	uint8_t *to_body = e->p;
	e8(e, 0);
	int32_t rel = (int32_t)(e->p - (to_leave1 + 4));
	memcpy(to_leave1, &rel, 4);
	rel = (int32_t)(e->p - (to_leave2 + 4));
	memcpy(to_leave2, &rel, 4);
	e_store_imm32(e, OFF(eip), b->eip);
	emit_dynamic_exit(&t);
	*to_body = (uint8_t)(e->p - (to_body + 1));
	b->code_nocheck = emit_xaddr(e, e->p);
	if (bt->opt.count_execs) {
		e_mov_imm64(e, H_R11, (uint64_t)(uintptr_t)&b->execs);
		e8(e, 0x49); e8(e, 0x83); e8(e, 0x03); e8(e, 0x01);   /* add qword [r11], 1 */
	}

	for (unsigned i = 0; i < n; i++) {
		struct insn *in = &saved[i];
		const struct opinfo *oi = &opinfo[in->op];
		uint32_t next = eips[i] + in->len;
		bool last = i == n - 1;

		if (last && (oi->attr & A_JCC) && in->osize == 4 &&
		    ((in->map == 0 && in->opc >= 0x70 && in->opc <= 0x7f) ||
		     (in->map == 1 && in->opc >= 0x80 && in->opc <= 0x8f))) {
			emit_jcc_exit(&t, in->opc & 0xf, next, next + in->imm);
			break;
		}
		if (last && (in->op == op_JMP_Jb || in->op == op_JMP_Jz) && in->osize == 4) {
			t.pending++;
			flags_to_memory(&t);
			flush_icount(&t);
			emit_direct_exit(&t, next + in->imm);
			break;
		}
		if (bt_native_form(in)) {
			/* flags: loaded before any instruction that reads or writes
			 * some (one that writes only some, or none for a zero
			 * count, must find the others in place) */
			bool uses_flags = ((oi->fr | oi->fw) & F_OSZAPC) != 0;
			uint8_t *mark = e->p;
			bool was_in_host = t.flags_in_host;
			if (uses_flags && !t.flags_in_host) {
				emit_load_flags(&t);
				t.flags_in_host = true;
			}
			if (!emit_native(&t, in, host + offs[i])) {
				e->p = mark;   /* not expressible: the handler after all */
				t.flags_in_host = was_in_host;
				goto handler;
			}
			bt->stats.native_insns++;
			t.pending++;
			if (last) {
				flags_to_memory(&t);
				flush_icount(&t);
				emit_direct_exit(&t, next);
			}
			continue;
		}
	handler:
		/* everything else: the interpreter's handler */
		bt->stats.helper_insns++;
		if (last) {
			bool direct = in->op == op_CALL_Jz && in->osize == 4;
			emit_handler_call(&t, in, eips[i], true);
			if (direct && !(oi->attr & A_ENDBLK))
				emit_direct_exit(&t, next + in->imm);
			else if (!(oi->attr & (A_BRANCH | A_ENDBLK)) && !(in->rep && (oi->attr & A_STRING)))
				emit_direct_exit(&t, next);
			else
				emit_dynamic_exit(&t);
		} else {
			emit_handler_call(&t, in, eips[i], false);
			emit_smc_check(&t, next);
		}
	}
	b->code_len = (uint32_t)(emit_xaddr(e, e->p) - b->code);
	bt->used = (size_t)(e->p - bt->wbase);
	bt->used = (bt->used + 15) & ~(size_t)15;
	bt->stats.blocks++;
	bt->stats.guest_insns += n;
	bt->stats.host_bytes += b->code_len;
	bt->stats.translate_ns += now_ns() - t0;
	return b;
}

/*
 * Instruction decoder.  Everything it knows about instruction forms comes from the
 * opcode table: at first use it builds, per (map, opcode byte), the list of rows
 * that can match and, per row, the encoding implied by its operand string (does a
 * ModRM byte follow, which immediates).  Decoding then is: prefixes, opcode, ModRM
 * if the opcode has one, the first row whose MATCH constraints hold, SIB and
 * displacement, immediates.
 */
#include <pthread.h>
#include <string.h>

#include "cpu.h"
#include "decode.h"

enum imm_kind { IK_NONE, IK_B, IK_BS, IK_W, IK_D, IK_Z, IK_P, IK_O, IK_JB, IK_JZ };

struct rowenc {
	uint8_t modrm;      /* 1 a ModRM byte follows; 2 it always names a register (R) */
	uint8_t imm1, imm2; /* enum imm_kind */
};

static struct rowenc rowenc[OP_COUNT];
/* candidate rows per opcode: cand[cand_start[k] .. cand_start[k+1]) for k = map*256+opc */
static uint16_t cand_start[513];
static uint16_t cand[OP_COUNT * 2 + 512 * 8];
static uint8_t opc_modrm[512];     /* opcode has a ModRM byte */
static uint8_t opc_mandatory[512]; /* opcode has rows selected by a mandatory prefix */
static uint16_t opc_only[512];     /* the single unconstrained row of an opcode, or OP_COUNT */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static bool is_modrm_code(const char *t)
{
	return strchr("EGMRCDTSPQNVWU", t[0]) && (t[1] == 0 || (t[1] >= 'a' && t[1] <= 'z'));
}

static enum imm_kind imm_code(const char *t, size_t n)
{
	if (n < 2 || !(t[1] >= 'a' && t[1] <= 'z'))
		return IK_NONE;
	switch (t[0]) {
	case 'I':
		if (n == 3 && t[1] == 'b' && t[2] == 's') return IK_BS;
		if (t[1] == 'b') return IK_B;
		if (t[1] == 'w') return IK_W;
		if (t[1] == 'd') return IK_D;
		return IK_Z;                       /* Iz, Iv */
	case 'J':
		return t[1] == 'b' ? IK_JB : IK_JZ;
	case 'A':
		return IK_P;
	case 'O':
		return IK_O;
	}
	return IK_NONE;
}

static void parse_operands(const struct opinfo *oi, struct rowenc *re)
{
	const char *p = oi->operands;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char tok[16] = { 0 };
		memcpy(tok, p, n < 15 ? n : 15);
		if (is_modrm_code(tok))
			re->modrm = (tok[0] == 'R') ? 2 : (re->modrm ? re->modrm : 1);
		enum imm_kind k = imm_code(tok, n);
		if (k != IK_NONE) {
			if (re->imm1 == IK_NONE)
				re->imm1 = k;
			else
				re->imm2 = k;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	/* group rows and x87 escapes have a ModRM byte even without an E operand */
	if ((oi->match & 0x1f) || (oi->match & (M_MEM | M_RM3 | (0x1fu << 5))))
		if (!re->modrm)
			re->modrm = 1;
	if (oi->map == 0 && oi->opc >= 0xd8 && oi->opc <= 0xdf)
		re->modrm = 1;
}

static void build_tables(void)
{
	unsigned count[512] = { 0 };
	for (unsigned i = 0; i < OP_COUNT; i++) {
		const struct opinfo *oi = &opinfo[i];
		parse_operands(oi, &rowenc[i]);
		if (oi->attr & A_PREFIX)
			continue;
		unsigned k = oi->map * 256u + oi->opc;
		unsigned span = (oi->match & M_OPR8) ? 8 : 1;
		for (unsigned j = 0; j < span; j++)
			count[k + j]++;
	}
	cand_start[0] = 0;
	for (unsigned k = 0; k < 512; k++)
		cand_start[k + 1] = (uint16_t)(cand_start[k] + count[k]);
	unsigned fill[512];
	for (unsigned k = 0; k < 512; k++) {
		fill[k] = cand_start[k];
		opc_only[k] = OP_COUNT;
	}
	for (unsigned i = 0; i < OP_COUNT; i++) {
		const struct opinfo *oi = &opinfo[i];
		if (oi->attr & A_PREFIX)
			continue;
		unsigned k = oi->map * 256u + oi->opc;
		unsigned span = (oi->match & M_OPR8) ? 8 : 1;
		for (unsigned j = 0; j < span; j++) {
			cand[fill[k + j]++] = (uint16_t)i;
			if (rowenc[i].modrm)
				opc_modrm[k + j] = 1;
			if (oi->match & M_PFX_ANY)
				opc_mandatory[k + j] = 1;
		}
	}
	for (unsigned k = 0; k < 512; k++)
		if (count[k] == 1 && !(opinfo[cand[cand_start[k]]].match & ~M_OPR8))
			opc_only[k] = cand[cand_start[k]];
}

/* Does row i accept this encoding? pclass: the mandatory-prefix class M_P* in effect. */
static bool row_matches(unsigned i, const struct insn *in, uint32_t pclass)
{
	uint32_t m = opinfo[i].match;
	unsigned mod = in->modrm >> 6, reg = (in->modrm >> 3) & 7, rm = in->modrm & 7;
	if ((m & 0x10) && (m & 7) != reg)
		return false;
	if ((m & (0x10u << 5)) && (mod != 3 || ((m >> 5) & 7) != rm))
		return false;
	if ((m & M_MEM) && mod == 3)
		return false;
	if ((m & M_RM3) && mod != 3)
		return false;
	if ((m & M_O16) && in->osize != 2)
		return false;
	if ((m & M_O32) && in->osize != 4)
		return false;
	if ((m & M_A16) && in->asize != 2)
		return false;
	if ((m & M_A32) && in->asize != 4)
		return false;
	if ((m & M_PFX_ANY) && !(m & pclass))
		return false;
	return true;
}

struct fetcher {
	decode_fetch_fn fn;
	void *ctx;
	unsigned pos;
	enum decode_status err;
	const uint8_t *win;
	unsigned winlen;
};

static inline int next_byte(struct fetcher *f, uint8_t *b)
{
	if (f->pos < f->winlen) {
		*b = f->win[f->pos++];
		return 0;
	}
	if (f->pos >= 15) {
		f->err = DEC_TOOLONG;
		return -1;
	}
	if (!f->fn || f->fn(f->ctx, f->pos, b)) {
		f->err = DEC_FETCH;
		return -1;
	}
	f->pos++;
	return 0;
}

static int next_n(struct fetcher *f, unsigned n, uint32_t *out)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++) {
		uint8_t b;
		if (next_byte(f, &b))
			return -1;
		v |= (uint32_t)b << (8 * i);
	}
	*out = v;
	return 0;
}

/* ModRM addressing: SIB, displacement, base/index/default segment. */
static int decode_ea(struct fetcher *f, struct insn *in)
{
	unsigned mod = in->modrm >> 6, rm = in->modrm & 7;
	uint32_t d;
	in->ea_base = -1;
	in->ea_index = -1;
	in->ea_scale = 0;
	in->disp = 0;
	uint8_t defseg = S_DS;
	if (in->asize == 2) {
		static const int8_t base16[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX };
		static const int8_t index16[8] = { R_ESI, R_EDI, R_ESI, R_EDI, -1, -1, -1, -1 };
		if (mod == 0 && rm == 6) {
			if (next_n(f, 2, &d))
				return -1;
			in->disp = d;
		} else {
			in->ea_base = base16[rm];
			in->ea_index = index16[rm];
			if (in->ea_base == R_EBP)
				defseg = S_SS;
			if (mod == 1) {
				if (next_n(f, 1, &d))
					return -1;
				in->disp = (uint32_t)(int32_t)(int8_t)d;
			} else if (mod == 2) {
				if (next_n(f, 2, &d))
					return -1;
				in->disp = (uint32_t)(int32_t)(int16_t)d;
			}
		}
	} else {
		unsigned base = rm;
		if (rm == 4) {
			uint8_t sib;
			if (next_byte(f, &sib))
				return -1;
			in->sib = sib;
			base = sib & 7;
			unsigned index = (sib >> 3) & 7;
			if (index != 4) {
				in->ea_index = (int8_t)index;
				in->ea_scale = sib >> 6;
			}
		}
		if (mod == 0 && base == 5) {
			if (next_n(f, 4, &d))
				return -1;
			in->disp = d;
		} else {
			in->ea_base = (int8_t)base;
			if (base == R_ESP || base == R_EBP)
				defseg = S_SS;
			if (mod == 1) {
				if (next_n(f, 1, &d))
					return -1;
				in->disp = (uint32_t)(int32_t)(int8_t)d;
			} else if (mod == 2) {
				if (next_n(f, 4, &d))
					return -1;
				in->disp = d;
			}
		}
	}
	in->seg = in->segovr != S_NONE ? in->segovr : defseg;
	return 0;
}

static int decode_imm(struct fetcher *f, struct insn *in, enum imm_kind k, uint32_t *out)
{
	uint32_t v;
	switch (k) {
	case IK_NONE:
		return 0;
	case IK_B:
		return next_n(f, 1, out);
	case IK_BS:
	case IK_JB:
		if (next_n(f, 1, &v))
			return -1;
		*out = (uint32_t)(int32_t)(int8_t)v;
		return 0;
	case IK_W:
		return next_n(f, 2, out);
	case IK_D:
		return next_n(f, 4, out);
	case IK_Z:
	case IK_JZ:
		if (next_n(f, in->osize, &v))
			return -1;
		*out = (in->osize == 2 && k == IK_JZ) ? (uint32_t)(int32_t)(int16_t)v : v;
		return 0;
	case IK_P:   /* offset (osize) then selector (2) */
		if (next_n(f, in->osize, out) || next_n(f, 2, &in->imm2))
			return -1;
		return 0;
	case IK_O:
		if (next_n(f, in->asize, &in->disp))
			return -1;
		return 0;
	}
	return 0;
}

enum decode_status decode(struct insn *in, bool code32, decode_fetch_fn fetch, void *ctx)
{
	return decode_win(in, code32, NULL, 0, fetch, ctx);
}

enum decode_status decode_win(struct insn *in, bool code32, const uint8_t *win, unsigned winlen,
			      decode_fetch_fn fetch, void *ctx)
{
	pthread_once(&tables_once, build_tables);
	struct fetcher f = { fetch, ctx, 0, DEC_OK, win, winlen < 15 ? winlen : 15 };
	uint8_t b;
	uint8_t last_rep = 0;

	memset(in, 0, sizeof(*in));
	in->op = OP_COUNT;
	in->segovr = S_NONE;
	in->ea_base = in->ea_index = -1;
	for (;;) {
		if (next_byte(&f, &b))
			goto fail;
		switch (b) {
		case 0x26: in->segovr = S_ES; in->pfx |= PFX_SEG; continue;
		case 0x2e: in->segovr = S_CS; in->pfx |= PFX_SEG; continue;
		case 0x36: in->segovr = S_SS; in->pfx |= PFX_SEG; continue;
		case 0x3e: in->segovr = S_DS; in->pfx |= PFX_SEG; continue;
		case 0x64: in->segovr = S_FS; in->pfx |= PFX_SEG; continue;
		case 0x65: in->segovr = S_GS; in->pfx |= PFX_SEG; continue;
		case 0x66: in->pfx |= PFX_66; continue;
		case 0x67: in->pfx |= PFX_67; continue;
		case 0xf0: in->pfx |= PFX_LOCK; continue;
		case 0xf2: in->pfx |= PFX_F2; last_rep = 0xf2; continue;
		case 0xf3: in->pfx |= PFX_F3; last_rep = 0xf3; continue;
		}
		break;
	}
	in->npfx = (uint8_t)(f.pos - 1);
	in->rep = last_rep;
	in->osize = (code32 ^ !!(in->pfx & PFX_66)) ? 4 : 2;
	in->asize = (code32 ^ !!(in->pfx & PFX_67)) ? 4 : 2;
	in->seg = in->segovr != S_NONE ? in->segovr : S_DS;
	if (b == 0x0f) {
		in->map = 1;
		if (next_byte(&f, &b))
			goto fail;
	}
	in->opc = b;
	unsigned k = in->map * 256u + b;
	if (opc_modrm[k]) {
		if (next_byte(&f, &in->modrm))
			goto fail;
		in->has_modrm = 1;
	}

	uint32_t pclass = 0;
	if (opc_mandatory[k]) {
		/* SSE: the last of F2/F3 selects the form, else 66, else none */
		pclass = last_rep == 0xf3 ? M_PF3 : last_rep == 0xf2 ? M_PF2 :
			 (in->pfx & PFX_66) ? M_P66 : M_PNP;
	}
	unsigned row = opc_only[k];
	for (unsigned c = cand_start[k]; row == OP_COUNT && c < cand_start[k + 1]; c++) {
		if (row_matches(cand[c], in, pclass)) {
			row = cand[c];
			break;
		}
	}
	if (row == OP_COUNT && (pclass == M_PF3 || pclass == M_PF2)) {
		/* F2/F3 with no form of their own act as ignored REP prefixes */
		uint32_t alt = (in->pfx & PFX_66) ? M_P66 : M_PNP;
		for (unsigned c = cand_start[k]; c < cand_start[k + 1]; c++) {
			if (row_matches(cand[c], in, alt)) {
				row = cand[c];
				break;
			}
		}
	}
	if (row == OP_COUNT) {
		in->len = (uint8_t)f.pos;
		return DEC_UD;
	}
	in->op = (uint16_t)row;
	if (opinfo[row].match & M_P66)
		in->osize = code32 ? 4 : 2;   /* a mandatory 66 does not change the operand size */
	const struct rowenc *re = &rowenc[row];
	if (re->modrm == 2) {
		in->has_modrm = 2;
	} else if (in->has_modrm && (in->modrm >> 6) != 3) {
		if (decode_ea(&f, in))
			goto fail;
	}
	if (decode_imm(&f, in, (enum imm_kind)re->imm1, &in->imm))
		goto fail;
	if (re->imm2 != IK_NONE && decode_imm(&f, in, (enum imm_kind)re->imm2, &in->imm2))
		goto fail;
	in->len = (uint8_t)f.pos;

	uint32_t attr = opinfo[row].attr;
	if (attr & A_UD)
		return DEC_UD;
	if ((in->pfx & PFX_LOCK) && (!(attr & A_LOCK) || !INSN_MEMOP(in)))
		return DEC_UD;
	return DEC_OK;
fail:
	in->len = (uint8_t)f.pos;
	return f.err;
}

struct bufctx {
	const uint8_t *buf;
	unsigned len;
};

static int buf_fetch(void *ctx, unsigned idx, uint8_t *byte)
{
	struct bufctx *b = ctx;
	if (idx >= b->len)
		return -1;
	*byte = b->buf[idx];
	return 0;
}

enum decode_status decode_buf(struct insn *in, bool code32, const uint8_t *buf, unsigned len)
{
	struct bufctx b = { buf, len };
	return decode(in, code32, buf_fetch, &b);
}

/*
 * MMX, SSE and SSE2, part 2: integer arithmetic, comparisons, logic, shifts,
 * packs, unpacks and shuffles on MMX and XMM registers, and the bitwise and
 * shuffle forms of SSE/SSE2 floating point (ANDPS, SHUFPS, UNPCKLPS ...),
 * which raise no floating-point exceptions.  All of it is plain C on lanes
 * of a union vec (SDM Vol. 2, the "Operation" section of each instruction).
 *
 * Most integer instructions come in pairs: NP 0F xx on MMX registers (64
 * bits, a memory operand of 8 bytes with no alignment requirement) and
 * 66 0F xx on XMM registers (128 bits, a memory operand of 16 bytes that
 * must be 16-byte aligned).  One lane function serves both: it gets the
 * width n in bytes (8 or 16).
 */
#include "simd.h"
#include "x87.h"

typedef void lane_fn(union vec *d, const union vec *s, unsigned n, unsigned imm);

/* dest(reg) = fn(dest, src) for either register file; mmx_src: bytes read
 * from memory by the MMX form (4 for PUNPCKLxx mm, m32, else 8) */
static void binop(struct cpu *cpu, const struct insn *in, lane_fn *fn, unsigned mmx_src, unsigned imm)
{
	union vec d, s;
	if (simd_is_xmm_form(in)) {
		simd_check_sse(cpu);
		simd_src_xmm(cpu, in, &s, 16, true);
		xmm_get(cpu, INSN_REG(in), &d);
		fn(&d, &s, 16, imm);
		xmm_set(cpu, INSN_REG(in), &d);
	} else {
		simd_check_mmx(cpu);
		memset(&s, 0, sizeof(s));
		memset(&d, 0, sizeof(d));
		s.q[0] = simd_src_mmx(cpu, in, mmx_src);
		d.q[0] = mmx_get(cpu, INSN_REG(in));
		fn(&d, &s, 8, imm);
		x87_mmx_enter(cpu);
		mmx_set(cpu, INSN_REG(in), d.q[0]);
	}
}

/* XMM only (SSE/SSE2 forms without an MMX twin) */
static void xbinop(struct cpu *cpu, const struct insn *in, lane_fn *fn, unsigned imm)
{
	union vec d, s;
	simd_check_sse(cpu);
	simd_src_xmm(cpu, in, &s, 16, true);
	xmm_get(cpu, INSN_REG(in), &d);
	fn(&d, &s, 16, imm);
	xmm_set(cpu, INSN_REG(in), &d);
}

#define PAIR(name, fn) \
	void h_##name##_PqQq(struct cpu *cpu, const struct insn *in) { binop(cpu, in, fn, 8, 0); } \
	void h_##name##_VdqWdq(struct cpu *cpu, const struct insn *in) { binop(cpu, in, fn, 16, 0); }

/* ---- saturation ---- */
static inline int8_t sat_s8(int v) { return (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v); }
static inline uint8_t sat_u8(int v) { return (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v); }
static inline int16_t sat_s16(int32_t v) { return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v); }
static inline uint16_t sat_u16(int32_t v) { return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v); }

/* ---- add / subtract (wrapping and saturating) ---- */
#define LANEOP(fname, field, count, expr) \
	static void fname(union vec *d, const union vec *s, unsigned n, unsigned imm) \
	{ \
		(void)imm; \
		for (unsigned i = 0; i < n / (count); i++) { \
			__typeof__(d->field[0]) a = d->field[i], b = s->field[i]; \
			d->field[i] = (__typeof__(d->field[0]))(expr); \
		} \
	}

LANEOP(f_paddb, b, 1, a + b)
LANEOP(f_paddw, w, 2, a + b)
LANEOP(f_paddd, d, 4, a + b)
LANEOP(f_paddq, q, 8, a + b)
LANEOP(f_psubb, b, 1, a - b)
LANEOP(f_psubw, w, 2, a - b)
LANEOP(f_psubd, d, 4, a - b)
LANEOP(f_psubq, q, 8, a - b)
LANEOP(f_paddsb, sb, 1, sat_s8(a + b))
LANEOP(f_paddsw, sw, 2, sat_s16(a + b))
LANEOP(f_psubsb, sb, 1, sat_s8(a - b))
LANEOP(f_psubsw, sw, 2, sat_s16(a - b))
LANEOP(f_paddusb, b, 1, sat_u8(a + b))
LANEOP(f_paddusw, w, 2, sat_u16(a + b))
LANEOP(f_psubusb, b, 1, sat_u8(a - b))
LANEOP(f_psubusw, w, 2, sat_u16(a - b))

/* ---- multiply ---- */
LANEOP(f_pmullw, w, 2, (uint32_t)a * b)
LANEOP(f_pmulhw, sw, 2, ((int32_t)a * b) >> 16)
LANEOP(f_pmulhuw, w, 2, ((uint32_t)a * b) >> 16)
/* PMULUDQ: the low dword of each quadword, unsigned, to a 64-bit product */
LANEOP(f_pmuludq, q, 8, (uint64_t)(uint32_t)a * (uint32_t)b)

/* PMADDWD: two signed products summed per dword; 8000h*8000h*2 wraps to 80000000h */
static void f_pmaddwd(union vec *d, const union vec *s, unsigned n, unsigned imm)
{
	(void)imm;
	for (unsigned i = 0; i < n / 4; i++) {
		int64_t p = (int64_t)d->sw[2 * i] * s->sw[2 * i] + (int64_t)d->sw[2 * i + 1] * s->sw[2 * i + 1];
		d->d[i] = (uint32_t)p;
	}
}

/* ---- compare ---- */
LANEOP(f_pcmpeqb, b, 1, a == b ? 0xffu : 0)
LANEOP(f_pcmpeqw, w, 2, a == b ? 0xffffu : 0)
LANEOP(f_pcmpeqd, d, 4, a == b ? 0xffffffffu : 0)
LANEOP(f_pcmpgtb, sb, 1, a > b ? -1 : 0)
LANEOP(f_pcmpgtw, sw, 2, a > b ? -1 : 0)
LANEOP(f_pcmpgtd, sd, 4, a > b ? -1 : 0)

/* ---- logic (also ANDPS ... XORPD: the same bits) ---- */
LANEOP(f_pand, q, 8, a & b)
LANEOP(f_pandn, q, 8, ~a & b)
LANEOP(f_por, q, 8, a | b)
LANEOP(f_pxor, q, 8, a ^ b)

/* ---- average, min, max (SSE additions on MMX registers too) ---- */
LANEOP(f_pavgb, b, 1, ((unsigned)a + b + 1) >> 1)
LANEOP(f_pavgw, w, 2, ((uint32_t)a + b + 1) >> 1)
LANEOP(f_pminub, b, 1, a < b ? a : b)
LANEOP(f_pmaxub, b, 1, a > b ? a : b)
LANEOP(f_pminsw, sw, 2, a < b ? a : b)
LANEOP(f_pmaxsw, sw, 2, a > b ? a : b)

/* PSADBW: per quadword, the sum of the 8 absolute byte differences in the
 * low word; the other three words are zeroed */
static void f_psadbw(union vec *d, const union vec *s, unsigned n, unsigned imm)
{
	(void)imm;
	for (unsigned q = 0; q < n / 8; q++) {
		unsigned sum = 0;
		for (unsigned i = 0; i < 8; i++) {
			int x = d->b[8 * q + i] - s->b[8 * q + i];
			sum += (unsigned)(x < 0 ? -x : x);
		}
		d->q[q] = sum;
	}
}

/* ---- shifts by a count from a register or memory (the low quadword of the
 * source, unsigned: counts beyond the lane width give 0, or the sign for
 * arithmetic shifts) ---- */
#define SHIFTOP(fname, field, bits, expr_in, expr_over) \
	static void fname(union vec *d, const union vec *s, unsigned n, unsigned imm) \
	{ \
		(void)imm; \
		uint64_t c = s->q[0]; \
		for (unsigned i = 0; i < n / ((bits) / 8); i++) { \
			__typeof__(d->field[0]) a = d->field[i]; \
			d->field[i] = (__typeof__(d->field[0]))(c < (bits) ? (expr_in) : (expr_over)); \
		} \
	}

SHIFTOP(f_psllw, w, 16, (uint32_t)a << c, 0)
SHIFTOP(f_pslld, d, 32, a << c, 0)
SHIFTOP(f_psllq, q, 64, a << c, 0)
SHIFTOP(f_psrlw, w, 16, a >> c, 0)
SHIFTOP(f_psrld, d, 32, a >> c, 0)
SHIFTOP(f_psrlq, q, 64, a >> c, 0)
SHIFTOP(f_psraw, sw, 16, a >> c, a >> 15)
SHIFTOP(f_psrad, sd, 32, a >> c, a >> 31)

/* ---- packs: the destination's elements fill the low half, the source's
 * the high half ---- */
static void f_packsswb(union vec *d, const union vec *s, unsigned n, unsigned imm)
{
	union vec r;
	unsigned h = n / 2;
	(void)imm;
	for (unsigned i = 0; i < h; i++) {
		r.sb[i] = sat_s8(d->sw[i]);
		r.sb[h + i] = sat_s8(s->sw[i]);
	}
	memcpy(d, &r, n);
}

static void f_packuswb(union vec *d, const union vec *s, unsigned n, unsigned imm)
{
	union vec r;
	unsigned h = n / 2;
	(void)imm;
	for (unsigned i = 0; i < h; i++) {
		r.b[i] = sat_u8(d->sw[i]);
		r.b[h + i] = sat_u8(s->sw[i]);
	}
	memcpy(d, &r, n);
}

static void f_packssdw(union vec *d, const union vec *s, unsigned n, unsigned imm)
{
	union vec r;
	unsigned h = n / 4;
	(void)imm;
	for (unsigned i = 0; i < h; i++) {
		r.sw[i] = sat_s16(d->sd[i]);
		r.sw[h + i] = sat_s16(s->sd[i]);
	}
	memcpy(d, &r, n);
}

/* ---- unpacks: interleave the low (or high) halves, destination first ---- */
static void unpack(union vec *d, const union vec *s, unsigned n, unsigned size, bool high)
{
	union vec r;
	unsigned half = n / 2, cnt = half / size;
	unsigned base = high ? half : 0;
	for (unsigned i = 0; i < cnt; i++) {
		memcpy(r.b + 2 * i * size, d->b + base + i * size, size);
		memcpy(r.b + (2 * i + 1) * size, s->b + base + i * size, size);
	}
	memcpy(d, &r, n);
}

#define UNPACK(fname, size, high) \
	static void fname(union vec *d, const union vec *s, unsigned n, unsigned imm) \
	{ (void)imm; unpack(d, s, n, size, high); }
UNPACK(f_punpcklbw, 1, false)
UNPACK(f_punpcklwd, 2, false)
UNPACK(f_punpckldq, 4, false)
UNPACK(f_punpcklqdq, 8, false)
UNPACK(f_punpckhbw, 1, true)
UNPACK(f_punpckhwd, 2, true)
UNPACK(f_punpckhdq, 4, true)
UNPACK(f_punpckhqdq, 8, true)

/* ---- floating-point shuffles (SHUFPS, SHUFPD) ---- */
static void f_shufps(union vec *d, const union vec *s, unsigned n, unsigned imm)
{
	union vec r;
	(void)n;
	r.d[0] = d->d[imm & 3];
	r.d[1] = d->d[(imm >> 2) & 3];
	r.d[2] = s->d[(imm >> 4) & 3];
	r.d[3] = s->d[(imm >> 6) & 3];
	*d = r;
}

static void f_shufpd(union vec *d, const union vec *s, unsigned n, unsigned imm)
{
	union vec r;
	(void)n;
	r.q[0] = d->q[imm & 1];
	r.q[1] = s->q[(imm >> 1) & 1];
	*d = r;
}

/* ================= handlers ================= */

PAIR(paddb, f_paddb)
PAIR(paddw, f_paddw)
PAIR(paddd, f_paddd)
PAIR(paddq, f_paddq)
PAIR(psubb, f_psubb)
PAIR(psubw, f_psubw)
PAIR(psubd, f_psubd)
PAIR(psubq, f_psubq)
PAIR(paddsb, f_paddsb)
PAIR(paddsw, f_paddsw)
PAIR(psubsb, f_psubsb)
PAIR(psubsw, f_psubsw)
PAIR(paddusb, f_paddusb)
PAIR(paddusw, f_paddusw)
PAIR(psubusb, f_psubusb)
PAIR(psubusw, f_psubusw)
PAIR(pmullw, f_pmullw)
PAIR(pmulhw, f_pmulhw)
PAIR(pmulhuw, f_pmulhuw)
PAIR(pmuludq, f_pmuludq)
PAIR(pmaddwd, f_pmaddwd)
PAIR(pcmpeqb, f_pcmpeqb)
PAIR(pcmpeqw, f_pcmpeqw)
PAIR(pcmpeqd, f_pcmpeqd)
PAIR(pcmpgtb, f_pcmpgtb)
PAIR(pcmpgtw, f_pcmpgtw)
PAIR(pcmpgtd, f_pcmpgtd)
PAIR(pand, f_pand)
PAIR(pandn, f_pandn)
PAIR(por, f_por)
PAIR(pxor, f_pxor)
PAIR(pavgb, f_pavgb)
PAIR(pavgw, f_pavgw)
PAIR(pminub, f_pminub)
PAIR(pmaxub, f_pmaxub)
PAIR(pminsw, f_pminsw)
PAIR(pmaxsw, f_pmaxsw)
PAIR(psadbw, f_psadbw)
PAIR(psllw, f_psllw)
PAIR(pslld, f_pslld)
PAIR(psllq, f_psllq)
PAIR(psrlw, f_psrlw)
PAIR(psrld, f_psrld)
PAIR(psrlq, f_psrlq)
PAIR(psraw, f_psraw)
PAIR(psrad, f_psrad)
PAIR(packsswb, f_packsswb)
PAIR(packuswb, f_packuswb)
PAIR(packssdw, f_packssdw)
PAIR(punpckhbw, f_punpckhbw)
PAIR(punpckhwd, f_punpckhwd)
PAIR(punpckhdq, f_punpckhdq)

/* PUNPCKLxx mm, mm/m32 read 4 bytes of memory (SDM Vol. 2 PUNPCKLBW) */
void h_punpcklbw_PqQd(struct cpu *cpu, const struct insn *in) { binop(cpu, in, f_punpcklbw, 4, 0); }
void h_punpcklwd_PqQd(struct cpu *cpu, const struct insn *in) { binop(cpu, in, f_punpcklwd, 4, 0); }
void h_punpckldq_PqQd(struct cpu *cpu, const struct insn *in) { binop(cpu, in, f_punpckldq, 4, 0); }
void h_punpcklbw_VdqWdq(struct cpu *cpu, const struct insn *in) { binop(cpu, in, f_punpcklbw, 16, 0); }
void h_punpcklwd_VdqWdq(struct cpu *cpu, const struct insn *in) { binop(cpu, in, f_punpcklwd, 16, 0); }
void h_punpckldq_VdqWdq(struct cpu *cpu, const struct insn *in) { binop(cpu, in, f_punpckldq, 16, 0); }
void h_punpcklqdq_VdqWdq(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_punpcklqdq, 0); }
void h_punpckhqdq_VdqWdq(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_punpckhqdq, 0); }

/* SSE/SSE2 bitwise and shuffle forms on packed floating point: XMM only */
void h_andps_VpsWps(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_pand, 0); }
void h_andpd_VpdWpd(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_pand, 0); }
void h_andnps_VpsWps(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_pandn, 0); }
void h_andnpd_VpdWpd(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_pandn, 0); }
void h_orps_VpsWps(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_por, 0); }
void h_orpd_VpdWpd(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_por, 0); }
void h_xorps_VpsWps(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_pxor, 0); }
void h_xorpd_VpdWpd(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_pxor, 0); }
void h_unpcklps_VpsWps(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_punpckldq, 0); }
void h_unpckhps_VpsWps(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_punpckhdq, 0); }
void h_unpcklpd_VpdWpd(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_punpcklqdq, 0); }
void h_unpckhpd_VpdWpd(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_punpckhqdq, 0); }
void h_shufps_VpsWpsIb(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_shufps, in->imm & 0xff); }
void h_shufpd_VpdWpdIb(struct cpu *cpu, const struct insn *in) { xbinop(cpu, in, f_shufpd, in->imm & 0xff); }

/* ---- shifts by an immediate: the register is ModRM.rm ---- */
static void shift_imm(struct cpu *cpu, const struct insn *in, lane_fn *fn)
{
	union vec d, s;
	memset(&s, 0, sizeof(s));
	s.q[0] = in->imm & 0xff;
	if (simd_is_xmm_form(in)) {
		simd_check_sse(cpu);
		xmm_get(cpu, INSN_RM(in), &d);
		fn(&d, &s, 16, 0);
		xmm_set(cpu, INSN_RM(in), &d);
	} else {
		simd_check_mmx(cpu);
		memset(&d, 0, sizeof(d));
		d.q[0] = mmx_get(cpu, INSN_RM(in));
		fn(&d, &s, 8, 0);
		x87_mmx_enter(cpu);
		mmx_set(cpu, INSN_RM(in), d.q[0]);
	}
}

#define SHIFT_IMM(name, fn) \
	void h_##name##_NqIb(struct cpu *cpu, const struct insn *in) { shift_imm(cpu, in, fn); } \
	void h_##name##_UdqIb(struct cpu *cpu, const struct insn *in) { shift_imm(cpu, in, fn); }
SHIFT_IMM(psrlw, f_psrlw)
SHIFT_IMM(psraw, f_psraw)
SHIFT_IMM(psllw, f_psllw)
SHIFT_IMM(psrld, f_psrld)
SHIFT_IMM(psrad, f_psrad)
SHIFT_IMM(pslld, f_pslld)
SHIFT_IMM(psrlq, f_psrlq)
SHIFT_IMM(psllq, f_psllq)

/* PSRLDQ / PSLLDQ xmm, imm8: byte shifts of the whole register; counts
 * above 15 clear it */
static void byte_shift(struct cpu *cpu, const struct insn *in, bool left)
{
	union vec d, r;
	unsigned c = in->imm & 0xff;
	simd_check_sse(cpu);
	xmm_get(cpu, INSN_RM(in), &d);
	memset(&r, 0, sizeof(r));
	if (c < 16) {
		if (left)
			memcpy(r.b + c, d.b, 16 - c);
		else
			memcpy(r.b, d.b + c, 16 - c);
	}
	xmm_set(cpu, INSN_RM(in), &r);
}

void h_psrldq_UdqIb(struct cpu *cpu, const struct insn *in) { byte_shift(cpu, in, false); }
void h_pslldq_UdqIb(struct cpu *cpu, const struct insn *in) { byte_shift(cpu, in, true); }

/* ---- word/dword shuffles ---- */

/* PSHUFW mm, mm/m64, imm8 */
void h_pshufw_PqQqIb(struct cpu *cpu, const struct insn *in)
{
	union vec s, r;
	unsigned imm = in->imm & 0xff;
	simd_check_mmx(cpu);
	s.q[0] = simd_src_mmx(cpu, in, 8);
	r.q[0] = 0;
	for (unsigned i = 0; i < 4; i++)
		r.w[i] = s.w[(imm >> (2 * i)) & 3];
	x87_mmx_enter(cpu);
	mmx_set(cpu, INSN_REG(in), r.q[0]);
}

/* PSHUFD / PSHUFHW / PSHUFLW xmm, xmm/m128, imm8 */
static void pshuf_xmm(struct cpu *cpu, const struct insn *in, int which)
{
	union vec s, r;
	unsigned imm = in->imm & 0xff;
	simd_check_sse(cpu);
	simd_src_xmm(cpu, in, &s, 16, true);
	r = s;
	for (unsigned i = 0; i < 4; i++) {
		unsigned sel = (imm >> (2 * i)) & 3;
		if (which == 0)
			r.d[i] = s.d[sel];
		else if (which == 1)
			r.w[4 + i] = s.w[4 + sel];
		else
			r.w[i] = s.w[sel];
	}
	xmm_set(cpu, INSN_REG(in), &r);
}

void h_pshufd_VdqWdqIb(struct cpu *cpu, const struct insn *in) { pshuf_xmm(cpu, in, 0); }
void h_pshufhw_VdqWdqIb(struct cpu *cpu, const struct insn *in) { pshuf_xmm(cpu, in, 1); }
void h_pshuflw_VdqWdqIb(struct cpu *cpu, const struct insn *in) { pshuf_xmm(cpu, in, 2); }

/* ---- PINSRW / PEXTRW ---- */

/* PINSRW mm, r32/m16, imm8 (the word index is imm8 mod 4) */
void h_pinsrw_PqEwIb(struct cpu *cpu, const struct insn *in)
{
	simd_check_mmx(cpu);
	uint64_t w = rm_read(cpu, in, 2) & 0xffff;
	unsigned sh = 16 * (in->imm & 3);
	uint64_t v = (mmx_get(cpu, INSN_REG(in)) & ~(0xffffull << sh)) | (w << sh);
	x87_mmx_enter(cpu);
	mmx_set(cpu, INSN_REG(in), v);
}

/* PINSRW xmm, r32/m16, imm8 (index imm8 mod 8) */
void h_pinsrw_VdqEwIb(struct cpu *cpu, const struct insn *in)
{
	union vec d;
	simd_check_sse(cpu);
	uint16_t w = (uint16_t)rm_read(cpu, in, 2);
	xmm_get(cpu, INSN_REG(in), &d);
	d.w[in->imm & 7] = w;
	xmm_set(cpu, INSN_REG(in), &d);
}

/* PEXTRW r32, mm, imm8: zero-extended */
void h_pextrw_GdNqIb(struct cpu *cpu, const struct insn *in)
{
	simd_check_mmx(cpu);
	uint32_t w = (uint32_t)(mmx_get(cpu, INSN_RM(in)) >> (16 * (in->imm & 3))) & 0xffff;
	x87_mmx_enter(cpu);
	cpu->r[INSN_REG(in)] = w;
}

void h_pextrw_GdUdqIb(struct cpu *cpu, const struct insn *in)
{
	union vec s;
	simd_check_sse(cpu);
	xmm_get(cpu, INSN_RM(in), &s);
	cpu->r[INSN_REG(in)] = s.w[in->imm & 7];
}

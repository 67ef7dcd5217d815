/*
 * x86 instruction decoder (16- and 32-bit code, P6 + SSE2 opcode set).
 *
 * The decoder never touches guest memory: it pulls code bytes through a fetch
 * callback, so it can be fuzzed and compared with capstone.  It produces a plain
 * struct insn; which form it is comes from the opcode table (insn.op indexes
 * opinfo[]).
 */
#ifndef SHADE86_DECODE_H
#define SHADE86_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "opcode.h"

/* Prefix bits in insn.pfx */
#define PFX_66    0x01u
#define PFX_67    0x02u
#define PFX_LOCK  0x04u
#define PFX_F2    0x08u
#define PFX_F3    0x10u
#define PFX_SEG   0x20u

struct insn {
	uint16_t op;        /* enum op: the opcode table row */
	uint8_t len;        /* total length in bytes, prefixes included (1..15) */
	uint8_t npfx;       /* number of prefix bytes */
	uint8_t map;        /* 0 one-byte, 1 0F */
	uint8_t opc;        /* opcode byte */
	uint8_t pfx;        /* PFX_* */
	uint8_t rep;        /* 0, 0xF2 or 0xF3: the last of F2/F3 */
	uint8_t osize;      /* operand size in bytes: 2 or 4 */
	uint8_t asize;      /* address size in bytes: 2 or 4 */
	uint8_t seg;        /* segment of the memory operand: override or default (S_*) */
	uint8_t has_modrm;
	uint8_t modrm;      /* mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7 */
	uint8_t sib;
	int8_t ea_base;     /* base register for the memory operand, -1 none */
	int8_t ea_index;    /* index register, -1 none */
	uint8_t ea_scale;   /* shift count 0..3 */
	uint8_t segovr;     /* segment override prefix given (S_*), S_NONE if none */
	uint32_t disp;      /* displacement (sign-extended), or the moffs for Ob/Ov */
	uint32_t imm;       /* first immediate (sign-extended where the form says so) */
	uint32_t imm2;      /* second immediate: ENTER's Ib, far pointer's selector */
};

#define INSN_MOD(in) ((in)->modrm >> 6)
#define INSN_REG(in) (((in)->modrm >> 3) & 7)
#define INSN_RM(in)  ((in)->modrm & 7)
/* the operand is in memory (ModRM with mod != 3 and a form that takes E/M) */
#define INSN_MEMOP(in) ((in)->has_modrm == 1 && INSN_MOD(in) != 3)

enum decode_status {
	DEC_OK = 0,
	DEC_UD,        /* invalid opcode, or LOCK where not allowed: #UD */
	DEC_TOOLONG,   /* more than 15 bytes: #GP(0) */
	DEC_FETCH,     /* the fetch callback failed */
};

/* Fetch byte number idx (0-based from the first prefix).  Nonzero return: failed. */
typedef int (*decode_fetch_fn)(void *ctx, unsigned idx, uint8_t *byte);

/* Decode one instruction; code32 is CS.D.  On DEC_UD, in->len is the number of
 * bytes examined and in->op is the row of the invalid form if one matched
 * (an A_UD row such as UD2), otherwise OP_COUNT. */
enum decode_status decode(struct insn *in, bool code32, decode_fetch_fn fetch, void *ctx);

/* The same with a window: bytes 0..winlen-1 are read from win directly and only
 * later ones through fetch (the interpreter passes the rest of the code page). */
enum decode_status decode_win(struct insn *in, bool code32, const uint8_t *win, unsigned winlen,
			      decode_fetch_fn fetch, void *ctx);

/* Decode from a buffer (tests, disassembly): bytes past len fail the fetch. */
enum decode_status decode_buf(struct insn *in, bool code32, const uint8_t *buf, unsigned len);

#endif

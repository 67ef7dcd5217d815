/*
 * A small x86-64 emitter: only the encodings the translator writes.
 *
 * Names follow the SDM's opcode forms.  Registers are host register numbers
 * 0-15 (rax=0 ... rdi=7, r8=8 ... r15=15); every memory operand the
 * translator emits is [r15 + disp32] (struct cpu fields) or RIP-free
 * absolute through a register, so one modrm routine serves all of them.
 */
#ifndef SHADE86_BT_EMIT_H
#define SHADE86_BT_EMIT_H

#include <stdint.h>
#include <string.h>

enum { H_RAX, H_RCX, H_RDX, H_RBX, H_RSP, H_RBP, H_RSI, H_RDI,
       H_R8, H_R9, H_R10, H_R11, H_R12, H_R13, H_R14, H_R15 };

#define REX_W 0x48
#define REX_R 0x44
#define REX_X 0x42
#define REX_B 0x41

struct emit {
	uint8_t *p;         /* next byte, in the writable mapping */
	uint8_t *end;
	intptr_t x_minus_w; /* executable address - writable address */
};

static inline uint8_t *emit_xaddr(const struct emit *e, const uint8_t *w)
{
	return (uint8_t *)((intptr_t)w + e->x_minus_w);
}

static inline void e8(struct emit *e, uint8_t b) { *e->p++ = b; }
static inline void e32(struct emit *e, uint32_t v) { memcpy(e->p, &v, 4); e->p += 4; }
static inline void e64(struct emit *e, uint64_t v) { memcpy(e->p, &v, 8); e->p += 8; }

/* REX for reg (ModRM.reg) and base (ModRM.rm) host registers; w: 64-bit */
static inline void e_rex(struct emit *e, int w, int reg, int base)
{
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((base & 8) ? 1 : 0));
	if (rex != 0x40)
		e8(e, rex);
}

/* ModRM for [base + disp32] (base is never rsp/r12 here: r15 or a scratch) */
static inline void e_mem(struct emit *e, int reg, int base, int32_t disp)
{
	e8(e, (uint8_t)(0x80 | ((reg & 7) << 3) | (base & 7)));
	if ((base & 7) == H_RSP)
		e8(e, 0x24);
	e32(e, (uint32_t)disp);
}

/* op r32/64, [base+disp]  or  op [base+disp], r32/64 (opcode decides) */
static inline void e_op_mem(struct emit *e, int w, uint8_t opc, int reg, int base, int32_t disp)
{
	e_rex(e, w, reg, base);
	e8(e, opc);
	e_mem(e, reg, base, disp);
}

/* MOV r32, [r15+disp] (8B /r) and MOV [r15+disp], r32 (89 /r) */
static inline void e_load32(struct emit *e, int reg, int32_t disp) { e_op_mem(e, 0, 0x8b, reg, H_R15, disp); }
static inline void e_store32(struct emit *e, int reg, int32_t disp) { e_op_mem(e, 0, 0x89, reg, H_R15, disp); }
static inline void e_load64(struct emit *e, int reg, int32_t disp) { e_op_mem(e, 1, 0x8b, reg, H_R15, disp); }

/* MOV dword [r15+disp], imm32 (C7 /0) */
static inline void e_store_imm32(struct emit *e, int32_t disp, uint32_t imm)
{
	e_op_mem(e, 0, 0xc7, 0, H_R15, disp);
	e32(e, imm);
}

/* ADD qword [r15+disp], imm32 (REX.W 81 /0) */
static inline void e_add_mem64_imm(struct emit *e, int32_t disp, int32_t imm)
{
	e_op_mem(e, 1, 0x81, 0, H_R15, disp);
	e32(e, (uint32_t)imm);
}

/* CMP dword [r15+disp], imm8 (83 /7) */
static inline void e_cmp_mem32_imm8(struct emit *e, int32_t disp, int8_t imm)
{
	e_op_mem(e, 0, 0x83, 7, H_R15, disp);
	e8(e, (uint8_t)imm);
}

/* TEST dword [r15+disp], imm32 (F7 /0) */
static inline void e_test_mem32_imm(struct emit *e, int32_t disp, uint32_t imm)
{
	e_op_mem(e, 0, 0xf7, 0, H_R15, disp);
	e32(e, imm);
}

/* MOV r64, imm64 (REX.W B8+r) */
static inline void e_mov_imm64(struct emit *e, int reg, uint64_t imm)
{
	e8(e, (uint8_t)(REX_W | ((reg & 8) ? 1 : 0)));
	e8(e, (uint8_t)(0xb8 + (reg & 7)));
	e64(e, imm);
}

/* MOV r32, imm32 (B8+r) */
static inline void e_mov_imm32(struct emit *e, int reg, uint32_t imm)
{
	if (reg & 8)
		e8(e, REX_B);
	e8(e, (uint8_t)(0xb8 + (reg & 7)));
	e32(e, imm);
}

/* AND/OR r32, imm32 (81 /4, 81 /1) */
static inline void e_alu_imm32(struct emit *e, int ext, int reg, uint32_t imm)
{
	e_rex(e, 0, 0, reg);
	e8(e, 0x81);
	e8(e, (uint8_t)(0xc0 | (ext << 3) | (reg & 7)));
	e32(e, imm);
}

/* OR r32(dst), r32(src) (09 /r) */
static inline void e_or_rr32(struct emit *e, int dst, int src)
{
	e_rex(e, 0, src, dst);
	e8(e, 0x09);
	e8(e, (uint8_t)(0xc0 | ((src & 7) << 3) | (dst & 7)));
}

/* MOV r32(dst), r32(src) (89 /r) */
static inline void e_mov_rr32(struct emit *e, int dst, int src)
{
	e_rex(e, 0, src, dst);
	e8(e, 0x89);
	e8(e, (uint8_t)(0xc0 | ((src & 7) << 3) | (dst & 7)));
}

/* MOV r64(dst), r64(src) (REX.W 89 /r) */
static inline void e_mov_rr64(struct emit *e, int dst, int src)
{
	e8(e, (uint8_t)(REX_W | ((src & 8) ? 4 : 0) | ((dst & 8) ? 1 : 0)));
	e8(e, 0x89);
	e8(e, (uint8_t)(0xc0 | ((src & 7) << 3) | (dst & 7)));
}

static inline void e_push(struct emit *e, int reg)
{
	if (reg & 8)
		e8(e, REX_B);
	e8(e, (uint8_t)(0x50 + (reg & 7)));
}

static inline void e_pop(struct emit *e, int reg)
{
	if (reg & 8)
		e8(e, REX_B);
	e8(e, (uint8_t)(0x58 + (reg & 7)));
}

/* SUB/ADD rsp, imm8 (REX.W 83 /5, /0) */
static inline void e_rsp_adjust(struct emit *e, int8_t delta)
{
	e8(e, REX_W);
	e8(e, 0x83);
	e8(e, delta < 0 ? 0xec : 0xc4);
	e8(e, (uint8_t)(delta < 0 ? -delta : delta));
}

/* CALL r64 / JMP r64 (FF /2, FF /4) */
static inline void e_call_reg(struct emit *e, int reg)
{
	e_rex(e, 0, 0, reg);
	e8(e, 0xff);
	e8(e, (uint8_t)(0xd0 | (reg & 7)));
}

static inline void e_jmp_reg(struct emit *e, int reg)
{
	e_rex(e, 0, 0, reg);
	e8(e, 0xff);
	e8(e, (uint8_t)(0xe0 | (reg & 7)));
}

/* rel32 branches: emit with a target in executable addresses, or 0 and
 * return the writable address of the rel32 field for e_patch_rel32 */
static inline uint8_t *e_rel32_to(struct emit *e, const uint8_t *xtarget)
{
	uint8_t *field = e->p;
	int32_t rel = (int32_t)((intptr_t)xtarget - (intptr_t)emit_xaddr(e, field + 4));
	e32(e, (uint32_t)rel);
	return field;
}

static inline uint8_t *e_jmp32(struct emit *e, const uint8_t *xtarget)
{
	e8(e, 0xe9);
	return e_rel32_to(e, xtarget);
}

static inline uint8_t *e_call32(struct emit *e, const uint8_t *xtarget)
{
	e8(e, 0xe8);
	return e_rel32_to(e, xtarget);
}

/* Jcc rel32 (0F 80+cc) */
static inline uint8_t *e_jcc32(struct emit *e, unsigned cc, const uint8_t *xtarget)
{
	e8(e, 0x0f);
	e8(e, (uint8_t)(0x80 | cc));
	return e_rel32_to(e, xtarget);
}

/* Point the rel32 field (writable address) at xtarget.  field_x is the
 * field's executable address. */
static inline void e_patch_rel32(uint8_t *field_w, const uint8_t *field_x, const uint8_t *xtarget)
{
	int32_t rel = (int32_t)((intptr_t)xtarget - (intptr_t)(field_x + 4));
	memcpy(field_w, &rel, 4);
}

#endif

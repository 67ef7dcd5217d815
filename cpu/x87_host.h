/*
 * Running one x87 instruction on the host FPU (cpu/x87_host.c).
 */
#ifndef SHADE86_X87_HOST_H
#define SHADE86_X87_HOST_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct insn;

/* FSAVE image, 32-bit protected-mode format (SDM Vol. 1 figures 8-9, 8-10):
 * what the host's FNSAVE/FRSTOR use in 64-bit mode without REX.W */
struct x87_host_img {
	uint16_t fcw, res0;
	uint16_t fsw, res1;
	uint16_t ftw, res2;
	uint32_t fip;
	uint16_t fcs, fop;
	uint32_t fdp;
	uint16_t fds, res3;
	uint8_t st[8][10];      /* ST(0) .. ST(7) */
};
_Static_assert(sizeof(struct x87_host_img) == 108, "FSAVE image is 108 bytes");

/* FRSTOR img; the instruction D8+(opc&7) modrm (a memory form addresses mem
 * instead of the guest's operand); FNSAVE img.  eflags: the host's CF, PF
 * and ZF during the instruction (FCMOVcc); returns the host's EFLAGS after
 * it (FCOMI).  The host FPU is left initialized with its control word
 * restored; no exception is ever taken on the host. */
uint32_t x87_host_exec(struct x87_host_img *img, uint8_t opc, uint8_t modrm, void *mem,
		       uint32_t eflags);

/* The fast path (x87_fast.c): only the operands go to the host FPU.
 * r[1] (if nin == 2) then r[0] (nin >= 1) are loaded with FLD m80, the
 * instruction runs, FNSTSW goes to sw and the host stack, nout values deep,
 * is stored to r[0], r[1].  The host runs with the guest's control word
 * (restored after) and its exception flags cleared before the instruction.
 * use_flags: EFLAGS in and out as for x87_host_exec. */
struct x87_fast_call {
	uint8_t r[2][16];
	uint16_t gcw, hcw, sw, pad;
	uint64_t flags;
};

void x87_host_fast(struct x87_fast_call *fc, uint8_t opc, uint8_t modrm, void *mem,
		   unsigned nin, unsigned nout, int use_flags);

/* x87_fast.c: executes the instruction if its fast path applies (buf: the
 * memory operand, already read, or the buffer a store fills); false if the
 * full-state path must run it.  Pointers are the caller's. */
bool x87_fast(struct cpu *cpu, const struct insn *in, uint8_t *buf);

#endif

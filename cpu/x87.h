/*
 * The x87 FPU (SDM Vol. 1 chapter 8): what the rest of the CPU uses.
 *
 * The state lives in struct fpu (cpu.h).  Invariants kept by every function
 * here (checked against the host CPU, see tests/x87-diff.c):
 *   - fcw: reserved bits 7 and 13-15 read as 0, bit 6 as 1 (SDM Vol. 1 8.1.5);
 *   - fsw: ES (bit 7) and B (bit 15) are set exactly when an exception flag
 *     (bits 0-5) is set whose mask bit in fcw is clear (SDM Vol. 1 8.1.3.6);
 *   - ftw: the full tag of each physical register (00 valid, 01 zero,
 *     10 special, 11 empty), as FNSTENV would report it (SDM Vol. 1 8.1.7).
 *
 * Arithmetic is executed on the host's own x87 (the host is x86-64, its
 * `long double` is the same format), so results are those of a real CPU.
 */
#ifndef SHADE86_X87_H
#define SHADE86_X87_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

/* status word (SDM Vol. 1 8.1.3) */
#define FSW_IE  0x0001u
#define FSW_DE  0x0002u
#define FSW_ZE  0x0004u
#define FSW_OE  0x0008u
#define FSW_UE  0x0010u
#define FSW_PE  0x0020u
#define FSW_SF  0x0040u
#define FSW_ES  0x0080u
#define FSW_C0  0x0100u
#define FSW_C1  0x0200u
#define FSW_C2  0x0400u
#define FSW_TOP 0x3800u
#define FSW_C3  0x4000u
#define FSW_B   0x8000u
#define FSW_TOP_SHIFT 11

/* control word (SDM Vol. 1 8.1.5) */
#define FCW_MASKS 0x003fu
#define FCW_PC    0x0300u
#define FCW_RC    0x0c00u
#define FCW_X     0x1000u

/* tags (SDM Vol. 1 8.1.7) */
enum { TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3 };

/* Pending unmasked x87 exception (FSW.ES): a waiting x87 instruction, FWAIT
 * and the MMX instructions call this before they execute (SDM Vol. 1 8.6,
 * Vol. 3 table 2-2 / 12.5).  CR0.NE = 1: raises #MF.  CR0.NE = 0: asserts
 * FERR# (cpu->ferr, IRQ13 on a PC) and returns: the instruction continues
 * as if IGNNE# were asserted.  Nothing happens when ES is clear. */
void x87_check_pending(struct cpu *cpu);

/* The PC's port 0xF0 write (IGNNE# asserted, FERR# latch cleared): lowers FERR#. */
void x87_ignne(struct cpu *cpu);

/* Does the form (enum op) check for pending exceptions before it executes?
 * False for the rows with A_NOWAIT: the non-waiting control instructions
 * FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE and the 8087/287 no-ops
 * FENI, FDISI, FSETPM. */
bool x87_waiting(unsigned op);

/* MMX (SDM Vol. 1 9.5): an MMX instruction sets TOP = 0 and every tag valid;
 * EMMS sets every tag empty.  MMX register writes also set the register's
 * sign/exponent word (st[i].se) to 0xFFFF: the caller does that. */
void x87_mmx_enter(struct cpu *cpu);
void x87_emms(struct cpu *cpu);

/* Tags.  x87_tag: the full tag a non-empty register with this value has.
 * x87_abridged_tags: FXSAVE's 8-bit form (bit i = 1: physical register i
 * not empty).  x87_set_abridged_tags: FXRSTOR's load of it. */
unsigned x87_tag(const struct x87reg *r);
uint8_t x87_abridged_tags(const struct cpu *cpu);
void x87_set_abridged_tags(struct cpu *cpu, uint8_t tags);

/* Loads of the control and status words that keep the invariants above
 * (FLDCW, FLDENV, FRSTOR, FXRSTOR).  x87_set_fsw takes TOP from the value. */
void x87_set_fcw(struct cpu *cpu, uint16_t fcw);
void x87_set_fsw(struct cpu *cpu, uint16_t fsw);

/* FNINIT (also the x87 part of INIT): FCW 037F, FSW 0, all tags empty,
 * pointers and opcode 0; lowers FERR#.  Registers keep their contents. */
void x87_init(struct cpu *cpu);

#endif

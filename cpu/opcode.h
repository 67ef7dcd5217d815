/*
 * The opcode table: one row per instruction form, in cpu/opcodes.def.
 *
 * Each row is
 *   OP(NAME, MAP, OPC, MATCH, MNEM, OPERANDS, FR, FW, FU, ATTR, FEAT, HANDLER)
 *
 *   NAME      unique form name in Bochs style: mnemonic plus SDM operand forms
 *             (ADD_EbGb, MOV_GvEv, FADD_STiST0); becomes enum op_NAME.
 *   MAP       0 = one-byte opcodes, 1 = 0F xx.
 *   OPC       the opcode byte.  For register-in-opcode forms (50+r, B8+r, D8 C0+i
 *             ...) one row covers the whole range: see MATCH.
 *   MATCH     constraints that select this row among rows with the same opcode:
 *               M_REG(n)   ModRM.reg must be n (group opcodes, /n in the SDM)
 *               M_MEM      ModRM.mod != 3       M_RM3   ModRM.mod == 3
 *               M_RM(n)    mod == 3 and ModRM.rm == n (x87 D9 E0, ...)
 *               M_O16 / M_O32   operand size      M_A16 / M_A32 address size
 *               M_PNP / M_P66 / M_PF3 / M_PF2   mandatory prefix (SSE forms):
 *                          PNP = none of 66/F2/F3 present.  Rows of one opcode
 *                          that use these are matched on the mandatory prefix;
 *                          the 66 prefix then does not change the operand size.
 *               M_OPR8     opcode low 3 bits are a register (50+r, 91+r, B0+r ...)
 *             Rows of one opcode are tried in table order; the first match wins,
 *             so specific rows come before general ones.
 *   MNEM      disassembly mnemonic (capstone's spelling, lower case).
 *   OPERANDS  operands in SDM/Bochs notation, comma separated ("Eb,Gb", "Gv,Ev,Ib",
 *             "AL,Ib", "Jz", "Ap", "Ob", "ST0,STi", "Vps,Wps", "Pq,Qd").  The
 *             decoder derives from this string whether a ModRM byte follows and
 *             the immediate/displacement bytes (see decode.c: operand letters).
 *   FR FW FU  arithmetic flags read / written / left undefined (F_CF ... F_OF,
 *             F_OSZAPC), plus F_DF/F_IF/F_TF/F_AC/F_ALL for system instructions.
 *             FW includes the FU bits (an undefined flag is still written).
 *             What the translator's flag liveness may rely on:
 *               - a flag outside FW never changes;
 *               - nothing the form produces (registers, memory, EFLAGS, whether
 *                 it faults) depends on a flag outside FR;
 *               - a flag the form may leave as it was while writing it at other
 *                 times (shift count 0, REP with ECX = 0) is in FR as well, and a
 *                 form that saves EFLAGS (PUSHF, INT n, a task switch) reads F_ALL;
 *             so live-in = FR | (live-out & ~FW) holds for every execution that
 *             does not fault.  FU flags have no defined value afterwards: nothing
 *             may depend on what the interpreter leaves there.  Checked row by
 *             row by tests/unit/optable.c (WRITTEN, READ).
 *   ATTR      A_* bits below.
 *   FEAT      CPUID feature the form needs (FEAT_BASE for the 386 set).
 *   HANDLER   interpreter handler, void h_HANDLER(struct cpu *, struct insn *);
 *             several forms may share one.
 */
#ifndef SHADE86_OPCODE_H
#define SHADE86_OPCODE_H

#include <stdint.h>

/* MATCH bits */
#define M_REG(n)   (0x10u | (unsigned)(n))          /* bits 0-4 */
#define M_RM(n)    ((0x10u | (unsigned)(n)) << 5)    /* bits 5-9, implies mod == 3 */
#define M_MEM      (1u << 10)
#define M_RM3      (1u << 11)
#define M_O16      (1u << 12)
#define M_O32      (1u << 13)
#define M_A16      (1u << 14)
#define M_A32      (1u << 15)
#define M_PNP      (1u << 16)
#define M_P66      (1u << 17)
#define M_PF3      (1u << 18)
#define M_PF2      (1u << 19)
#define M_OPR8     (1u << 20)
#define M_PFX_ANY  (M_PNP | M_P66 | M_PF3 | M_PF2)

/* Flag bits (EFLAGS positions) */
#define F_CF  0x0001u
#define F_PF  0x0004u
#define F_AF  0x0010u
#define F_ZF  0x0040u
#define F_SF  0x0080u
#define F_TF  0x0100u
#define F_IF  0x0200u
#define F_DF  0x0400u
#define F_OF  0x0800u
#define F_IOPL 0x3000u
#define F_NT  0x4000u
#define F_RF  0x10000u
#define F_VM  0x20000u
#define F_AC  0x40000u
#define F_VIF 0x80000u
#define F_VIP 0x100000u
#define F_ID  0x200000u
#define F_OSZAPC (F_OF | F_SF | F_ZF | F_AF | F_PF | F_CF)
#define F_SZAPC  (F_SF | F_ZF | F_AF | F_PF | F_CF)
#define F_OSZAP  (F_OF | F_SF | F_ZF | F_AF | F_PF)
#define F_ALL    0x3f7fd5u   /* every writable EFLAGS bit */

/*
 * ATTR bits.  Those the translator trusts, with the rules tests/unit/optable.c
 * checks row by row:
 *
 * A_BRANCH  may go on anywhere but the next instruction without an exception:
 *   jumps, calls, returns, the software interrupts, SYSENTER/SYSEXIT.  A fault
 *   is not a branch (BOUND's #BR is a fault).  A_STRING forms with REP may leave
 *   EIP on themselves to run their next batch of iterations without A_BRANCH.
 * A_JCC     a conditional branch (with A_BRANCH): on the flags in FR, or on eCX
 *   (LOOP, JCXZ, JECXZ; LOOPE/LOOPNE on both).
 * A_MEMOP   touches memory other than through a ModRM operand: the stack,
 *   string operands, moffs (MOV A0-A3), XLAT, MASKMOVQ's DS:eDI.  Accesses to
 *   descriptor tables, the TSS, the IVT/IDT and page tables do not count.
 * A_STRING  REP/REPE/REPNE apply (elsewhere an F2/F3 prefix that selects no
 *   other form is ignored and changes nothing); reads DF; implies A_MEMOP.
 * A_PRIV    #GP(0) at CPL > 0, before anything else (step()).
 * A_IOPL    #GP(0) when IOPL is too low: in protected mode when CPL > IOPL (CLI,
 *   STI; IN, OUT, INS, OUTS unless the TSS I/O bitmap allows the port), in v86
 *   mode when IOPL < 3 (CLI, STI, PUSHF, POPF, INT n, IRET).  No VME/PVI.
 * A_SENS    sensitive: the effect depends on CPL, IOPL or VM in some way other
 *   than the #GP of A_PRIV and A_IOPL, so a translated block must not assume a
 *   privilege it did not check.  Rows that reveal privileged state at CPL 3
 *   (SGDT SIDT SLDT STR SMSW; the CPL as the RPL of CS and SS: MOV from Sreg,
 *   PUSH CS, PUSH SS; IOPL and IF: PUSHF), that silently do less at lower
 *   privilege (POPF, IRET: IF and IOPL), whose privilege checks against a
 *   descriptor give a result instead of a fault (LAR LSL VERR VERW), far
 *   transfers whose stack and segment effects depend on the CPL (far CALL, JMP,
 *   RET, IRET, INT n, INT3, INTO, INT1), and RDTSC/RDPMC, privileged or not by
 *   CR4.TSD/PCE at run time.  The list is by hand (tests/unit/optable.c).
 * A_ENDBLK  the translator ends the block after the form, because it may
 *   change what translated code is specialised on or what must be looked at
 *   between instructions: CR0, CR3, CR4 (PE, PG, TS/EM/MP for the x87 checks,
 *   OSFXSR ...), CS and SS (base, D/B, the CPL), EFLAGS TF, VM, IOPL, NT, AC,
 *   IF going from 0 to 1 (interrupts become deliverable; STI's shadow), the
 *   interrupt shadow of MOV SS/POP SS, HLT, DR7, MSRs (WRMSR), TLB contents
 *   (INVLPG), the descriptor tables (LGDT, LIDT, LLDT, LTR: not strictly
 *   needed), loads of DS, ES, FS, GS (blocks are keyed by which segments are
 *   4 GiB with base 0: bt/bt_int.h BT_MODE_SEG*).  A_BRANCH forms end the
 *   block anyway.  Not needed: CLI (an interrupt that arrives during the
 *   block is taken after it, as if it had arrived later).
 * A_NO64    the encoding means something else, or nothing, in the host's 64-bit
 *   mode (SDM Vol. 2 Appendix A, "i64"; C4/C5 are VEX, 63 is MOVSXD): the
 *   translator never emits it as itself.  40-4F (INC/DEC r, REX prefixes on
 *   the host) are written as FF /0 /1 instead and are not marked.
 * A_VIRT    the translator never lets the host run the form as itself, even
 *   at CPL 3 where nothing traps: its result is the virtual machine's, not the
 *   host's (CPUID: the virtual CPU's identity; RDTSC, RDPMC: its clocks and
 *   counters), or the encoding is hint space that the host CPU may give a
 *   meaning of its own (0F 19-0F 1E: MPX, CET, CLDEMOTE on later parts).
 */
#define A_PRIV    (1u << 0)   /* CPL 0 only (#GP(0) otherwise) */
#define A_SENS    (1u << 1)   /* sensitive: depends on privilege other than by #GP (above) */
#define A_IOPL    (1u << 2)   /* #GP(0) when IOPL is too low (above) */
#define A_BRANCH  (1u << 3)   /* may continue other than at the next instruction (above) */
#define A_MEMOP   (1u << 4)   /* touches memory besides a ModRM operand (above) */
#define A_LOCK    (1u << 5)   /* LOCK allowed when the destination is memory */
#define A_ENDBLK  (1u << 6)   /* ends a translation block (above) */
#define A_UD      (1u << 7)   /* invalid opcode: raises #UD */
#define A_STRING  (1u << 8)   /* string instruction: REP/REPE/REPNE apply */
#define A_FPU     (1u << 9)   /* x87 escape: #NM/#MF rules of CR0.EM/TS */
#define A_SIMD    (1u << 10)  /* MMX/SSE/SSE2: CR0.EM/TS, CR4.OSFXSR rules */
#define A_NOEXEC  (1u << 11)  /* decodes, but not executed yet (raises #UD for now) */
#define A_JCC     (1u << 12)  /* conditional branch (above) */
#define A_PREFIX  (1u << 13)  /* a prefix byte (never a complete form) */
#define A_PMONLY  (1u << 14)  /* not recognised in real and v86 mode: #UD there */
#define A_SOFTINT (1u << 15)  /* software interrupt (INT n, INT3, INTO, INT1): no single-step
                                 trap after it, its delivery clears TF (SDM Vol. 3 17.3.1.4) */
#define A_FWAIT   (1u << 16)  /* WAIT/FWAIT: #NM only when CR0.MP and CR0.TS are both set
                                 (SDM Vol. 3 table 2-2), not for CR0.EM */
#define A_NO64    (1u << 18)  /* not valid as itself in 64-bit mode (above) */
#define A_VIRT    (1u << 19)  /* never run as itself: the virtual machine's answer (above) */
#define A_NOWAIT  (1u << 17)  /* non-waiting x87 control form (FNINIT, FNSTSW ...): runs
                                 without taking a pending x87 exception (SDM Vol. 1 8.3.11) */

/* CPUID features a form needs */
enum cpu_feature {
	FEAT_BASE, FEAT_486, FEAT_P5, FEAT_FPU, FEAT_TSC, FEAT_MSR, FEAT_CX8, FEAT_SEP,
	FEAT_CMOV, FEAT_MMX, FEAT_FXSR, FEAT_SSE, FEAT_SSE2, FEAT_CLFSH, FEAT_P6,
};

enum op {
#define OP(name, map, opc, match, mnem, operands, fr, fw, fu, attr, feat, handler) op_##name,
#include "opcodes.def"
#undef OP
	OP_COUNT
};

struct opinfo {
	const char *name;
	const char *mnem;
	const char *operands;
	uint32_t match;
	uint32_t fr, fw, fu;
	uint32_t attr;
	uint8_t map, opc;
	uint8_t feat;
};

extern const struct opinfo opinfo[OP_COUNT];

#endif

/*
 * The guest CPU state, struct cpu, and the interface of the interpreter.
 *
 * The layout of struct cpu is fixed: the translator will address the general
 * registers, EIP, EFLAGS and the segment caches at constant offsets from a pinned
 * host register (see the _Static_asserts at the end).  Nothing here is global: a
 * process may hold several CPUs, and every test builds its own.
 *
 * Exceptions: cpu_raise() records the vector and error code and longjmps to the
 * run loop (cpu_step), which restores EIP, ESP and EFLAGS to the faulting
 * instruction and delivers the exception through the IVT or IDT.
 */
#ifndef SHADE86_CPU_H
#define SHADE86_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "opcode.h"
#include "../mmu/shadow.h"

struct mem;

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_NONE = 7 };

/* Exception vectors (SDM Vol. 3 6.3.1) */
enum {
	EX_DE = 0, EX_DB = 1, EX_NMI = 2, EX_BP = 3, EX_OF = 4, EX_BR = 5, EX_UD = 6,
	EX_NM = 7, EX_DF = 8, EX_TS = 10, EX_NP = 11, EX_SS = 12, EX_GP = 13,
	EX_PF = 14, EX_MF = 16, EX_AC = 17, EX_MC = 18, EX_XM = 19,
};

/* Descriptor attribute bits as kept in struct seg.attr: bits 8..23 of the
 * descriptor's high dword, shifted down by 8 (SDM Vol. 3 3.4.5). */
#define SA_TYPE   0x000fu   /* type field; bit 0 accessed, bit 1 R/W, bit 2 C/E, bit 3 code */
#define SA_S      0x0010u   /* code/data (1) or system (0) */
#define SA_DPL    0x0060u
#define SA_P      0x0080u
#define SA_AVL    0x1000u
#define SA_DB     0x4000u   /* D/B: 32-bit code/stack, big expand-down limit */
#define SA_G      0x8000u
#define SA_DPL_SHIFT 5

struct seg {
	uint16_t sel;
	uint16_t valid;     /* 0: null/unusable selector in protected mode */
	uint32_t base;
	uint32_t limit;     /* byte-granular limit after G scaling */
	uint32_t attr;      /* SA_* bits */
};

struct dtr {
	uint32_t base;
	uint32_t limit;
};

/* An x87 register: the 80-bit extended real format (SDM Vol. 1 4.2.2) as
 * it is stored in memory: 64-bit significand, then sign and 15-bit exponent.
 * MMX register i is st[i].mant (physical register i, not ST(i)). */
struct x87reg {
	uint64_t mant;
	uint16_t se;
	uint16_t pad[3];
};

/* x87, MMX and SSE state (SDM Vol. 1 8.1, 10.2, 11.6) */
struct fpu {
	struct x87reg st[8];    /* physical registers R0-R7; ST(i) is st[(TOP + i) & 7] */
	uint16_t fcw;           /* control word */
	uint16_t fsw;           /* status word, TOP in bits 13:11 */
	uint16_t ftw;           /* full tag word: 2 bits per physical register, 11b = empty */
	uint16_t fop;           /* opcode of the last non-control instruction (11 bits) */
	uint32_t fip, fdp;      /* last instruction and operand pointers (offsets) */
	uint16_t fcs, fds;      /* and their selectors */
	uint32_t mxcsr;
	uint8_t xmm[8][16] __attribute__((aligned(16)));
};

/* Why the run loop stopped (cpu_run's return) */
enum cpu_exit {
	CPU_EXIT_NONE,
	CPU_EXIT_HLT,          /* HLT with interrupts disabled and nothing pending */
	CPU_EXIT_TRIPLE_FAULT, /* a machine reset is requested */
	CPU_EXIT_RESET,        /* reset requested by a device (port 0x92, 0xCF9) */
	CPU_EXIT_STOP,         /* the host asked the loop to stop (exit port, signal) */
	CPU_EXIT_COUNT,        /* instruction budget used up */
};

struct cpu {
	/* ---- translator-visible state: keep at fixed offsets ---- */
	uint32_t r[8];          /* EAX ECX EDX EBX ESP EBP ESI EDI */
	uint32_t eip;
	uint32_t eflags;
	struct seg seg[6];      /* ES CS SS DS FS GS */
	uint32_t cr0, cr2, cr3, cr4;
	uint32_t a20_mask;      /* 0xffffffff, or 0xffefffff with the A20 gate closed */
	int cpl;
	uint32_t next_eip;      /* set by the dispatcher before a handler; branches write it */
	intptr_t *stab;         /* current shadow table: see mmu/shadow.h */

	/* ---- system state ---- */
	struct seg ldtr, tr;
	struct dtr gdtr, idtr;
	uint32_t dr[8];
	/* The machine's clock for the TSC (a PC: virtual nanoseconds, a 1 GHz
	 * TSC); NULL on the test machine, where the TSC counts instructions.
	 * RDTSC = (tsc_clock() or icount) + tsc_offset. */
	uint64_t (*tsc_clock)(void *opaque);
	void *tsc_opaque;
	uint64_t tsc_offset;
	uint64_t icount;        /* instructions retired */
	uint64_t icount_limit;  /* translated code leaves before a block would pass it */
	bool soft_limit;        /* cpu_run's limit only slices time: a translated block
				 * may end past it (never set with -icount) */
	int64_t bt_left;        /* bt/: instructions left before icount_limit, less the
				 * blocks entered since the dispatcher (at most 2^31) */
	uint32_t bt_tmp;        /* bt/: a value held between two inline accesses */
	void *bt_desc;          /* bt/: the slow path being run */
	uint32_t bt_df_mask;    /* bt/: F_DF (PEXT's mask operand) */
	uint32_t bt_noif_mask;  /* bt/: ~F_IF (PEXT/PDEP's mask operand) */
	uint32_t exit_mask;     /* the exit_req bits translated code leaves for: all but
				 * CPU_REQ_INTR while IF = 0 (set by bt/ around handlers) */
	uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t apic_base;
	uint64_t misc_enable;   /* IA32_MISC_ENABLE */

	/* Requests from outside the instruction stream, one word (CPU_REQ_*):
	 * devices and the frontend set bits with cpu_set_intr/cpu_request;
	 * the run loops look at it between instructions, and translated code
	 * tests it (nonzero: leave) at every block entry. */
	uint32_t exit_req;
	bool halted;
	bool nmi_blocked;       /* an NMI handler runs: further NMIs wait for IRET (SDM Vol. 3 6.7.1) */
	uint8_t inhibit;        /* 1: interrupts and #DB inhibited for one instruction (MOV SS, STI) */
	int (*irq_ack)(void *opaque);   /* returns the vector of the pending INTR */
	void *irq_opaque;

	/* exception unwinding */
	jmp_buf *unwind;
	int ex_vector;          /* exception being raised */
	int ex_error;           /* its error code, or -1 for none */
	int ex_depth;           /* 0 normal, 1 delivering, 2 delivering #DF */
	uint32_t ex_esp;        /* ESP at the start of the faulting instruction */
	uint32_t ex_eflags;     /* EFLAGS at the start of the faulting instruction */

	/* x87 / MMX / SSE */
	struct fpu fpu;
	void (*ferr)(void *opaque, bool asserted);   /* FERR# output (IRQ13 on a PC), CR0.NE = 0 */
	void *ferr_opaque;

	/* memory and I/O */
	struct mem *mem;
	struct shadow shadow;   /* shadow page tables (mmu/shadow.c) */

	/* The engine cpu_run uses: NULL for the interpreter; the translator
	 * (bt/bt.h, bt_attach) puts itself here.  Kept across cpu_reset. */
	enum cpu_exit (*engine)(struct cpu *cpu, uint64_t max);
	struct bt *bt;

	/* the interpreter's decoded-instruction cache (exec.c) */
	struct dcache_entry *dcache;

	/* --check-lockstep's memory and device log (memlog.h): NULL when off */
	struct memlog *memlog;

	/* tracing (trace.h): NULL when off */
	struct trace *trace;
	unsigned trace_rec;     /* TRACE_W_* the current instruction records, 0: none */
	bool trace_failed;      /* the trace sink failed (CPU_REQ_STOP is set too) */
	uint8_t trace_fetch[16];   /* instruction bytes the decoder fetched past its window */
};

/* cpu->exit_req bits */
#define CPU_REQ_INTR  0x1u   /* the INTR line is asserted (taken when IF=1, not inhibited) */
#define CPU_REQ_NMI   0x2u   /* an NMI is pending (taken unless an NMI handler runs) */
#define CPU_REQ_RESET 0x4u   /* a device asked for a reset (port 0x92, 0xCF9, 8042) */
#define CPU_REQ_STOP  0x8u   /* the host asks the run loop to stop (exit port, signal, check failure) */
#define CPU_REQ_KICK  0x10u  /* the host wants control back soon (window events); no other meaning */
#define CPU_REQ_SMC   0x20u  /* translated code was invalidated under the running block (bt/) */
#define CPU_REQ_MODE  0x40u  /* a data segment load changed what the running block was
			      * translated for (bt/) */

/* The INTR input, driven by the interrupt controller.  Single atomic
 * instructions: a signal handler (cpu_request from SIGTERM) may run between
 * the load and the store of a plain read-modify-write on this thread. */
static inline void cpu_set_intr(struct cpu *cpu, bool level)
{
	if (level)
		__atomic_fetch_or(&cpu->exit_req, CPU_REQ_INTR, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&cpu->exit_req, ~CPU_REQ_INTR, __ATOMIC_RELAXED);
}
static inline void cpu_request(struct cpu *cpu, uint32_t req)
{
	__atomic_fetch_or(&cpu->exit_req, req, __ATOMIC_RELAXED);
}
static inline void cpu_clear_request(struct cpu *cpu, uint32_t req)
{
	__atomic_fetch_and(&cpu->exit_req, ~req, __ATOMIC_RELAXED);
}

/* Guest instruction decoded into plain fields (see decode.h). */
struct insn;

/* Lifecycle.  cpu_init returns -1 if the shadow page tables cannot be set up. */
int cpu_init(struct cpu *cpu, struct mem *mem);
void cpu_free(struct cpu *cpu);
void cpu_reset(struct cpu *cpu);     /* power-on state: F000:FFF0, real mode */
/* The time stamp counter as RDTSC reads it. */
uint64_t cpu_read_tsc(struct cpu *cpu);
/* The A20 gate input: false forces physical address bit 20 to 0. */
void cpu_set_a20(struct cpu *cpu, bool enabled);

/* Run: executes up to max instructions (or until something stops it), with
 * cpu->engine (the interpreter when NULL). */
enum cpu_exit cpu_run(struct cpu *cpu, uint64_t max);
/* One instruction (or one interrupt delivery); returns CPU_EXIT_NONE normally. */
enum cpu_exit cpu_step(struct cpu *cpu);

/* Exceptions: never return. error = -1 for exceptions without an error code. */
_Noreturn void cpu_raise(struct cpu *cpu, int vector, int error);

/* Delivery of an interrupt or exception (real-mode IVT or protected-mode IDT).
 * soft: INT n / INT3 / INTO (privilege check against the gate DPL, v86 IOPL rules).
 * return_eip: the EIP pushed. */
void cpu_interrupt(struct cpu *cpu, int vector, int error, bool soft, uint32_t return_eip);

/* Segment loads (seg.c) */
void seg_load_real(struct cpu *cpu, int sreg, uint16_t sel);
void seg_load(struct cpu *cpu, int sreg, uint16_t sel);   /* MOV/POP/LxS: all checks */
bool cpu_protected(const struct cpu *cpu);
bool cpu_v86(const struct cpu *cpu);

/* Flags */
void cpu_set_eflags(struct cpu *cpu, uint32_t value, uint32_t mask);
uint32_t cpu_get_eflags(const struct cpu *cpu);

/* Control registers (system.c) */
void cpu_set_cr0(struct cpu *cpu, uint32_t v);
void cpu_set_cr3(struct cpu *cpu, uint32_t v);
void cpu_set_cr4(struct cpu *cpu, uint32_t v);

/* CPUID leaves (system.c): family 6 model 13 stepping 6, a Pentium M class P6 */
#define CPUID_SIGNATURE 0x000006d6u
void cpu_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t out[4]);

_Static_assert(__builtin_offsetof(struct cpu, r) == 0, "GPRs at offset 0");
_Static_assert(__builtin_offsetof(struct cpu, eip) == 32, "EIP at 32");
_Static_assert(__builtin_offsetof(struct cpu, eflags) == 36, "EFLAGS at 36");
_Static_assert(__builtin_offsetof(struct cpu, seg) == 40, "segments at 40");
_Static_assert(sizeof(struct seg) == 16, "struct seg is 16 bytes");

#endif

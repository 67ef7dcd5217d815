/*
 * The binary translator: guest code runs from a translation cache.
 *
 * A block is a run of guest instructions from one entry point up to a control
 * transfer (A_BRANCH), an instruction that must leave translated code
 * (A_ENDBLK), the end of the code page, or BT_MAX_INSNS.  It is keyed by the
 * host address of its first byte (so by physical page: ROM and RAM alike, and
 * a PAM or A20 switch changes the key, not the bytes behind it), its EIP and
 * CS base, and the mode bits the translation depends on (CPL, CS.D, SS.B).
 *
 * What a block looks like on the host (x86-64):
 *
 *   guest  EAX ECX EDX EBX ESP EBP ESI EDI      host register numbers equal
 *   host   rax rcx rdx rbx r12 rbp rsi rdi      except ESP (host rsp is ours)
 *   r15 = struct cpu *;  r10, r11 scratch;  rsp 16-byte aligned
 *
 *   entry:    exit_req != 0, or icount + ninsn > icount_limit: leave (the
 *             dispatcher enters past these checks: it has looked itself)
 *   body:     instructions that touch neither memory nor privileged state are
 *             the same host instruction (register numbers kept, ESP as r12
 *             with a REX bit); the others call their interpreter handler
 *             (cpu_execute) with the guest registers stored in struct cpu,
 *             so there is one implementation of each
 *   exits:    direct (JMP/Jcc/CALL rel, fall-through): a jump that the
 *             dispatcher patches to the target block once it exists
 *             (chaining, only within the same guest page); dynamic (RET,
 *             indirect, INT, far ...): back to the dispatcher with EIP in
 *             struct cpu
 *
 * Guest arithmetic flags (OSZAPC) are in host RFLAGS while native
 * instructions use them and in cpu->eflags otherwise; at every block boundary
 * and handler call they are in cpu->eflags.  The other EFLAGS bits (IF, DF,
 * TF, IOPL, VM, AC ...) never reach the host: native instructions do not
 * touch them and the handlers keep them in struct cpu.
 *
 * Memory operands: an inline lookup of the shadow tables (cpu->stab) with
 * a slow path out of line; in user code of a context with a window
 * (BT_MODE_WIN, mmu/window.h) the guest's own address expression with a GS
 * prefix, whose host fault the SIGSEGV handler (crash.c) turns into the same
 * slow path.
 *
 * Faults: only handler calls can fault (a native instruction cannot: no
 * memory, no DIV).  Before a call the block stores EIP and the instructions
 * retired so far; the handler's cpu_raise unwinds to the dispatcher, which
 * delivers the exception from exactly the interpreter's state.
 *
 * Self-modifying code: a RAM page holding translated code is a code page
 * (shadow_set_code_page), so every guest or DMA write to it reaches
 * bt_code_write, which unlinks the page's blocks and unchains jumps into them
 * and sets CPU_REQ_SMC: after every handler call the block tests it and
 * leaves at the next instruction, so a block that rewrites its own next
 * instruction runs the new one.  It leaves there too on CPU_REQ_STOP and
 * CPU_REQ_RESET, so that an instruction asking for those (the exit port,
 * a reset port) is the last one run, as in the interpreter.
 *
 * What runs in the interpreter instead: real and virtual-8086 mode, 16-bit
 * code segments, TF single-stepping, tracing, --check-mmu, an instruction that
 * crosses a page, the last instructions before an instruction budget ends.
 *
 * The code buffer is W^X: two mappings of one memfd, written through one and
 * executed through the other.  When it is full everything is flushed.
 */
#ifndef SHADE86_BT_H
#define SHADE86_BT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct cpu;

#define BT_MAX_INSNS 64

struct bt_stats {
	uint64_t blocks, guest_insns, host_bytes, translate_ns;
	uint64_t flushes, invalidated, chained, unchained;
	uint64_t enters, jc_fills;     /* dispatcher entries into translated code, jump cache fills */
	uint64_t back_direct;          /* returns to the dispatcher from a direct exit (not chained) */
	uint64_t back[6];              /* ... from other exits, by BT_LEAVE_* */
	uint64_t interp_mode, interp_nofit;   /* interpreted: untranslatable state or no block; budget */
	uint64_t next_found;           /* after a mode change, the next block found without the dispatcher */
	uint64_t insns_translated, insns_interp;
	uint64_t native_insns, helper_insns;   /* at translation time */
	uint64_t smc_exits, jc_sites;
	uint64_t lockstep_blocks, lockstep_skipped;
};

struct bt_options {
	size_t code_size;       /* bytes of host code buffer (0: default) */
	bool count_execs;       /* count block executions (for --tc-stats' hot list) */
	bool lockstep;          /* --check-lockstep */
};

/* Attach a translator to the CPU: cpu_run then runs translated code.
 * Returns -1 (with a message in err) if the host cannot run it. */
int bt_attach(struct cpu *cpu, const struct bt_options *opt, char *err, size_t errlen);
void bt_detach(struct cpu *cpu);
/* Throw away every translation (tests; memory map changes). */
void bt_flush(struct cpu *cpu);
const struct bt_stats *bt_get_stats(const struct cpu *cpu);
/* --tc-stats: counters and the hottest blocks with their disassembly */
void bt_print_stats(struct cpu *cpu, FILE *f, unsigned hottest);

/* Is this host signal one translated code expects (an access through a
 * user window, mmu/window.h), which the translator's own SIGSEGV handler
 * resolves?  For programs that put a handler of their own in front. */
bool bt_fault_expected(int sig, const siginfo_t *si, const void *ucontext);

/* --check-lockstep: the first divergence, or NULL */
const char *bt_lockstep_failure(const struct cpu *cpu);

#endif

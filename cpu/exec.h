/*
 * Executing one guest instruction, in pieces that both engines call: the
 * interpreter's step (exec.c) strings them together for every instruction;
 * the translator (bt/) calls them around the instructions it does not emit
 * itself, so there is one implementation of each.
 *
 *     cpu_accept_interrupt   between instructions: NMI, INTR (IF, the STI/MOV SS shadow)
 *     cpu_precheck           what is checked before any handler: #UD outside
 *                            protected mode, CPL for privileged forms, #NM/#MF for x87
 *     cpu_execute            precheck + the table's handler, with next_eip set
 *     cpu_retire             EIP = next_eip, counters, the TF single-step trap
 *     cpu_pending_exit       after an instruction: reset, stop or halt requested?
 *     cpu_fault              after a fault unwound (longjmp to cpu->unwind):
 *                            ESP and EFLAGS back to ex_esp/ex_eflags, delivery
 *
 * Fault protocol: whoever runs an instruction sets cpu->ex_esp and
 * cpu->ex_eflags to ESP and EFLAGS before it, and cpu->eip to its address;
 * a handler may change ESP and EFLAGS before its last faulting access (the
 * fault undoes them), but no other register.
 */
#ifndef SHADE86_EXEC_H
#define SHADE86_EXEC_H

#include "cpu.h"
#include "decode.h"

typedef void handler_fn(struct cpu *cpu, const struct insn *in);
extern handler_fn *const cpu_handlers[OP_COUNT];

/* Delivers a pending NMI or INTR if it may be taken now; true if it did.
 * Also ends the one-instruction interrupt shadow (cpu->inhibit). */
bool cpu_accept_interrupt(struct cpu *cpu);
void cpu_precheck(struct cpu *cpu, const struct insn *in);
void cpu_execute(struct cpu *cpu, const struct insn *in);
/* tf: EFLAGS.TF as it was before the instruction */
void cpu_retire(struct cpu *cpu, const struct insn *in, uint32_t tf);
enum cpu_exit cpu_pending_exit(const struct cpu *cpu);
enum cpu_exit cpu_fault(struct cpu *cpu);

/* The interpreter as the lockstep reference: instructions until icount
 * reaches icount_end (or the CPU halts), no interrupts.  A fault is not
 * delivered: returns true with ex_vector/ex_error set and ESP and EFLAGS as
 * before the faulting instruction. */
bool cpu_run_reference(struct cpu *cpu, uint64_t icount_end);

/* The interpreter as an engine: up to max instructions. */
enum cpu_exit cpu_run_interp(struct cpu *cpu, uint64_t max);

#endif

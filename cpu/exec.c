/*
 * The interpreter's run loop: fetch and decode one instruction, dispatch it to
 * its handler from the opcode table, deliver exceptions and interrupts.
 *
 * Exceptions unwind with longjmp to cpu_step, which restores EIP, ESP and EFLAGS
 * of the faulting instruction and delivers the exception, promoting to #DF and to a
 * triple fault (a reset request) by the SDM's rules (Vol. 3 6.15, table 6-5).
 */
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "interp.h"
#include "memlog.h"
#include "x87.h"

handler_fn *const cpu_handlers[OP_COUNT] = {
#define OP(nm, map, opc, match, mnem, operands, fr, fw, fu, attr, feat, handler) [op_##nm] = h_##handler,
#include "opcodes.def"
#undef OP
};

/*
 * Decoded-instruction cache.  Decoding is half of the interpreter's time, and
 * most instructions run many times.  An entry is keyed by the host address
 * of the instruction's first byte (so by physical address: paging and
 * segment changes need no flush) and the code size, and holds the bytes it
 * was decoded from: a hit compares them with the bytes there now, so
 * self-modifying code and DMA into code pages are seen without any
 * invalidation.  Only instructions whose bytes all lie in the fetch window
 * (same page, inside the CS limit) are cached.  The decoder depends on
 * nothing but the bytes and CS.D.
 */
#define DCACHE_SIZE 4096u

struct dcache_entry {
	const uint8_t *host;
	uint8_t code32;
	uint8_t bytes[15];
	uint32_t trace_id, trace_gen;   /* its number in the trace chunk trace_gen (trace.h) */
	struct insn in;
};

/* Are the n (1-15) bytes at win, of which winlen are readable, the cached
 * ones?  Word compares where the window allows (a libc memcmp call was 15 %
 * of the run time). */
static inline bool dcache_same(const struct dcache_entry *e, const uint8_t *win, unsigned winlen)
{
	unsigned n = e->in.len;
	if (winlen >= 16) {
		uint64_t a0, a1, b0, b1;
		memcpy(&a0, e->bytes, 8);
		memcpy(&b0, win, 8);
		if (n <= 8) {
			uint64_t m = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;
			return ((a0 ^ b0) & m) == 0;
		}
		memcpy(&a1, e->bytes + 7, 8);
		memcpy(&b1, win + 7, 8);
		uint64_t m = (1ull << (8 * (n - 7))) - 1;   /* bytes 7 .. n-1 */
		if (n == 15)
			m = ~0ull;
		return a0 == b0 && ((a1 ^ b1) & m) == 0;
	}
	for (unsigned i = 0; i < n; i++)
		if (e->bytes[i] != win[i])
			return false;
	return true;
}

/* The common case of trace_insn (trace.c), inline: an instruction the chunk
 * has defined, following the previous one, nothing else changed: one byte.
 * Returns false when trace_insn must do it. */
static inline bool trace_insn_quick(struct cpu *cpu, const struct dcache_entry *ce, unsigned len)
{
	struct trace *t = cpu->trace;
	struct tenc *e = &t->enc;
	if (!(cpu->trace_rec & TRACE_W_INSN) || ce->trace_gen != t->chunk_gen || t->cfg.start_magic ||
	    e->len >= TRACE_CHUNK_TARGET || cpu->icount != e->counter || (uint8_t)cpu->cpl != e->cpl)
		return false;
	uint32_t lin = cpu->seg[S_CS].base + cpu->eip;
	int32_t d = (int32_t)(ce->trace_id - e->prev_id);
	if (lin != e->prev_lin + e->prev_len || d < -15 || d > 15 || trace_mode_of(cpu) != e->mode)
		return false;
	e->buf[e->len++] = (uint8_t)(TREC_INSN | (d + 15));   /* room: len < TARGET < cap */
	e->prev_id = ce->trace_id;
	e->prev_lin = lin;
	e->prev_len = len;
	e->counter++;
	e->ninsn++;
	t->insns++;
	return true;
}

static inline struct dcache_entry *dcache_slot(struct cpu *cpu, const uint8_t *host)
{
	uintptr_t h = (uintptr_t)host;
	return &cpu->dcache[(h ^ (h >> 12)) & (DCACHE_SIZE - 1)];
}

int cpu_init(struct cpu *cpu, struct mem *mem)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->mem = mem;
	cpu->dcache = calloc(DCACHE_SIZE, sizeof(struct dcache_entry));
	if (!cpu->dcache)
		return -1;
	if (shadow_init(&cpu->shadow, mem)) {
		free(cpu->dcache);
		cpu->dcache = NULL;
		return -1;
	}
	cpu_reset(cpu);
	return 0;
}

void cpu_free(struct cpu *cpu)
{
	shadow_free(&cpu->shadow);
	free(cpu->dcache);
	cpu->dcache = NULL;
}

static uint64_t tsc_now(struct cpu *cpu)
{
	if (cpu->tsc_clock)
		return cpu->tsc_clock(cpu->tsc_opaque) + cpu->tsc_offset;
	return cpu->icount + cpu->tsc_offset;
}

uint64_t cpu_read_tsc(struct cpu *cpu)
{
	struct memlog *ml = cpu->memlog;
	if (__builtin_expect(ml == NULL, 1))
		return tsc_now(cpu);
	/* the clock is an input like a device: --check-lockstep replays it */
	uint32_t lo, hi;
	bool record = memlog_dev_read(ml, MLIO_CLOCK, 0, 4, &lo);   /* both halves, in order */
	record = memlog_dev_read(ml, MLIO_CLOCK, 1, 4, &hi) && record;
	if (record) {
		uint64_t t = tsc_now(cpu);
		lo = (uint32_t)t;
		hi = (uint32_t)(t >> 32);
		memlog_dev_record_read(ml, MLIO_CLOCK, 0, 4, lo);
		memlog_dev_record_read(ml, MLIO_CLOCK, 1, 4, hi);
	}
	return (uint64_t)hi << 32 | lo;
}

void cpu_set_a20(struct cpu *cpu, bool enabled)
{
	uint32_t m = enabled ? 0xffffffffu : 0xffefffffu;
	if (m != cpu->a20_mask) {
		cpu->a20_mask = m;
		shadow_flush_all(&cpu->shadow);
	}
}

static void seg_reset(struct seg *s, uint16_t sel, uint32_t base, uint32_t attr)
{
	s->sel = sel;
	s->base = base;
	s->limit = 0xffff;
	s->attr = attr;
	s->valid = 1;
}

void cpu_reset(struct cpu *cpu)
{
	/* a reset keeps the wiring (memory, interrupt controller, shadow tables) */
	struct mem *mem = cpu->mem;
	int (*ack)(void *) = cpu->irq_ack;
	void *ack_opaque = cpu->irq_opaque;
	void (*ferr)(void *, bool) = cpu->ferr;
	void *ferr_opaque = cpu->ferr_opaque;
	uint64_t (*tsc_clock)(void *) = cpu->tsc_clock;
	void *tsc_opaque = cpu->tsc_opaque;
	struct shadow shadow = cpu->shadow;
	struct dcache_entry *dcache = cpu->dcache;
	struct trace *trace = cpu->trace;
	enum cpu_exit (*engine)(struct cpu *, uint64_t) = cpu->engine;
	struct bt *bt = cpu->bt;
	struct memlog *memlog = cpu->memlog;
	memset(cpu, 0, sizeof(*cpu));
	cpu->memlog = memlog;
	cpu->engine = engine;
	cpu->bt = bt;
	cpu->dcache = dcache;
	cpu->trace = trace;
	cpu->mem = mem;
	cpu->irq_ack = ack;
	cpu->irq_opaque = ack_opaque;
	cpu->ferr = ferr;
	cpu->ferr_opaque = ferr_opaque;
	cpu->tsc_clock = tsc_clock;
	cpu->tsc_opaque = tsc_opaque;
	/* RESET clears the TSC (SDM Vol. 3 17.17) */
	if (tsc_clock)
		cpu->tsc_offset = (uint64_t)0 - tsc_clock(tsc_opaque);
	cpu->shadow = shadow;
	cpu->a20_mask = 0xffffffffu;
	cpu->eflags = 0x2;
	cpu->eip = 0xfff0;
	cpu->cr0 = 0x60000010u;   /* CD NW ET (SDM Vol. 3 9.1.1, table 9-1) */
	for (int i = 0; i < 6; i++)
		seg_reset(&cpu->seg[i], 0, 0, SA_P | SA_S | 0x3);   /* present, RW data, accessed */
	seg_reset(&cpu->seg[S_CS], 0xf000, 0xffff0000u, SA_P | SA_S | 0xb);
	cpu->ldtr.limit = 0xffff;
	cpu->ldtr.attr = SA_P | 0x2;
	cpu->tr.limit = 0xffff;
	cpu->tr.attr = SA_P | 0xb;
	cpu->idtr.limit = 0xffff;
	cpu->gdtr.limit = 0xffff;
	cpu->r[R_EDX] = CPUID_SIGNATURE;   /* processor signature, as CPUID leaf 1 EAX */
	cpu->dr[6] = 0xffff0ff0u;
	cpu->dr[7] = 0x00000400u;
	cpu->apic_base = 0xfee00900ull;
	cpu->misc_enable = 1;   /* fast strings enabled */
	/* x87 and SSE after RESET (SDM Vol. 3 9.1.1, table 9-1) */
	cpu->fpu.fcw = 0x0040;
	cpu->fpu.ftw = 0x5555;
	cpu->fpu.mxcsr = 0x1f80;
	shadow_flush_all(&cpu->shadow);
	cpu->shadow.cur = NULL;
	cpu_paging_changed(cpu);
	if (cpu->trace)
		trace_reset(cpu);
}

bool cpu_protected(const struct cpu *cpu)
{
	return cpu->cr0 & CPU_CR0_PE;
}

bool cpu_v86(const struct cpu *cpu)
{
	return cpu->eflags & F_VM;
}

_Noreturn void cpu_raise(struct cpu *cpu, int vector, int error)
{
	cpu->ex_vector = vector;
	cpu->ex_error = error;
	longjmp(*cpu->unwind, 1);
}

/* ---- instruction fetch through the decoder's callback ----
 * Used for the bytes past the window step() hands the decoder: an instruction
 * that crosses into the next page, or code outside RAM/ROM. */
static int fetch_byte(void *opaque, unsigned idx, uint8_t *byte)
{
	struct cpu *cpu = opaque;
	uint32_t off = cpu->eip + idx;   /* past the CS limit (0xffff in real mode): #GP */
	if (off > cpu->seg[S_CS].limit || off < cpu->eip)
		cpu_raise(cpu, EX_GP, 0);
	uint32_t lin = cpu->seg[S_CS].base + off;
	*byte = (uint8_t)lin_read(cpu, lin, 1, ACC_EXEC);
	cpu->trace_fetch[idx & 15] = *byte;
	return 0;
}

/* ---- exception delivery with #DF / triple-fault promotion ---- */
static bool contributory(int v)
{
	return v == EX_DE || v == EX_TS || v == EX_NP || v == EX_SS || v == EX_GP;
}

/* Deliver vector (an exception raised while executing at cpu->eip). */
static enum cpu_exit deliver_exception(struct cpu *cpu, int vector, int error)
{
	jmp_buf jb;
	jmp_buf *outer = cpu->unwind;
	volatile int vec = vector, err = error, depth = 0;

	cpu->unwind = &jb;
	if (setjmp(jb)) {
		int second = cpu->ex_vector;
		if (vec == EX_DF) {
			cpu->unwind = outer;
			cpu_request(cpu, CPU_REQ_RESET);
			return CPU_EXIT_TRIPLE_FAULT;
		}
		bool df = (contributory(vec) && contributory(second)) ||
			  (vec == EX_PF && (contributory(second) || second == EX_PF));
		if (df) {
			vec = EX_DF;
			err = 0;
		} else {
			vec = second;
			err = cpu->ex_error;
		}
		depth++;
		if (depth > 8) {      /* benign faults in a loop: give up like a triple fault */
			cpu->unwind = outer;
			cpu_request(cpu, CPU_REQ_RESET);
			return CPU_EXIT_TRIPLE_FAULT;
		}
	}
	if (cpu->trace_rec & TRACE_W_IRQ)
		trace_intr(cpu, TINTR_EXC, vec, err, cpu->eip);
	cpu_interrupt(cpu, vec, err, false, cpu->eip);
	cpu->unwind = outer;
	return CPU_EXIT_NONE;
}

static bool has_error_code(int v)
{
	return v == EX_DF || v == EX_TS || v == EX_NP || v == EX_SS || v == EX_GP ||
	       v == EX_PF || v == EX_AC;
}

/* ---- the pieces of executing an instruction (exec.h): both engines call them ---- */

bool cpu_accept_interrupt(struct cpu *cpu)
{
	if (cpu->inhibit) {
		cpu->inhibit = 0;
		return false;
	}
	if ((cpu->exit_req & CPU_REQ_NMI) && !cpu->nmi_blocked) {
		cpu_clear_request(cpu, CPU_REQ_NMI);
		cpu->nmi_blocked = true;
		cpu->halted = false;
		if (cpu->trace_rec & TRACE_W_IRQ)
			trace_intr(cpu, TINTR_NMI, EX_NMI, -1, cpu->eip);
		cpu_interrupt(cpu, EX_NMI, -1, false, cpu->eip);
		return true;
	}
	if ((cpu->exit_req & CPU_REQ_INTR) && (cpu->eflags & F_IF) && cpu->irq_ack) {
		int vec = cpu->irq_ack(cpu->irq_opaque);
		cpu->halted = false;
		if (vec >= 0) {
			if (cpu->trace_rec & TRACE_W_IRQ)
				trace_intr(cpu, TINTR_IRQ, vec, -1, cpu->eip);
			cpu_interrupt(cpu, vec, -1, false, cpu->eip);
			return true;
		}
	}
	return false;
}

void cpu_precheck(struct cpu *cpu, const struct insn *in)
{
	const struct opinfo *oi = &opinfo[in->op];
	if (!(oi->attr & (A_PRIV | A_FPU | A_SIMD | A_PMONLY)))
		return;
	/* LLDT, LAR ... are not recognised outside protected mode: #UD before #GP */
	if ((oi->attr & A_PMONLY) && (!cpu_protected(cpu) || cpu_v86(cpu)))
		cpu_raise(cpu, EX_UD, -1);
	if ((oi->attr & A_PRIV) && cpu->cpl != 0)
		cpu_raise(cpu, EX_GP, 0);
	if (oi->attr & A_FPU) {
		bool wait = oi->attr & A_FWAIT;
		if (!wait && (cpu->cr0 & (CPU_CR0_EM | CPU_CR0_TS)))
			cpu_raise(cpu, EX_NM, -1);
		if (wait && (cpu->cr0 & (CPU_CR0_MP | CPU_CR0_TS)) == (CPU_CR0_MP | CPU_CR0_TS))
			cpu_raise(cpu, EX_NM, -1);
		/* a pending unmasked x87 exception is taken before a waiting
		 * instruction (and FWAIT) executes (SDM Vol. 1 8.6) */
		if ((cpu->fpu.fsw & FSW_ES) && !(oi->attr & A_NOWAIT))
			x87_check_pending(cpu);
	}
}

void cpu_execute(struct cpu *cpu, const struct insn *in)
{
	cpu_precheck(cpu, in);
	cpu->next_eip = cpu->eip + in->len;
	if (!(cpu->seg[S_CS].attr & SA_DB))
		cpu->next_eip &= 0xffff;
	cpu_handlers[in->op](cpu, in);
}

void cpu_retire(struct cpu *cpu, const struct insn *in, uint32_t tf)
{
	cpu->eip = cpu->next_eip;
	cpu->icount++;
	/* single-step trap after the instruction (SDM Vol. 3 17.3.1.4); software
	 * interrupts clear TF on entry to their handler and do not trap */
	bool soft_int = opinfo[in->op].attr & A_SOFTINT;
	if (tf && !cpu->inhibit && !soft_int) {
		/* the instruction has retired: a fault delivering the trap keeps its results */
		cpu->ex_esp = cpu->r[R_ESP];
		cpu->ex_eflags = cpu->eflags;
		cpu->dr[6] |= 0x4000;
		if (cpu->trace_rec & TRACE_W_IRQ)
			trace_intr(cpu, TINTR_EXC, EX_DB, -1, cpu->eip);
		cpu_interrupt(cpu, EX_DB, -1, false, cpu->eip);
	}
}

enum cpu_exit cpu_pending_exit(const struct cpu *cpu)
{
	if (cpu->exit_req & CPU_REQ_RESET)
		return CPU_EXIT_RESET;
	if (cpu->exit_req & CPU_REQ_STOP)
		return CPU_EXIT_STOP;
	if (cpu->halted)
		return CPU_EXIT_HLT;
	return CPU_EXIT_NONE;
}

/* Fetch and decode the instruction at CS:EIP through the decoded-instruction
 * cache, and record it when tracing.  Raises #PF/#GP/#UD like a fetch. */
static void fetch_decode(struct cpu *cpu, struct insn *in)
{
	/* the bytes up to the end of the code page and the CS limit are read
	 * directly; the decoder calls fetch_byte only beyond them */
	const uint8_t *win = NULL;
	unsigned winlen = 0;
	const struct seg *cs = &cpu->seg[S_CS];
	if (cpu->eip <= cs->limit) {
		uint32_t lin = cs->base + cpu->eip;
		win = lin_fetch_ptr(cpu, lin);
		if (win) {
			uint32_t to_limit = cs->limit - cpu->eip;
			uint32_t to_page = 0xfff - (lin & 0xfff);
			winlen = 1 + (to_limit < to_page ? to_limit : to_page);
		}
	}
	uint8_t code32 = (cs->attr & SA_DB) != 0;
	struct dcache_entry *ce = win ? dcache_slot(cpu, win) : NULL;
	if (ce && ce->host == win && ce->code32 == code32 && ce->in.len <= winlen &&
	    dcache_same(ce, win, winlen)) {
		*in = ce->in;
	} else {
		enum decode_status st = decode_win(in, code32, win, winlen, fetch_byte, cpu);
		if (st == DEC_TOOLONG)
			cpu_raise(cpu, EX_GP, 0);
		if (st != DEC_OK)
			cpu_raise(cpu, EX_UD, -1);
		if (ce && in->len <= winlen) {
			ce->host = win;
			ce->code32 = code32;
			memcpy(ce->bytes, win, in->len);
			ce->trace_gen = 0;
			ce->in = *in;
		}
	}
	if (__builtin_expect(cpu->trace != NULL, 0)) {
		bool cached = ce && ce->host == win && in->len <= winlen;
		if (!cached || !trace_insn_quick(cpu, ce, in->len))
			trace_insn(cpu, in, cached ? &ce->trace_id : NULL, cached ? &ce->trace_gen : NULL,
				   win, winlen);
	}
}

/* The interpreter's step: one instruction, or one interrupt delivery.  Faults
 * longjmp to the caller's cpu->unwind (cpu_run) with cpu->ex_esp and
 * cpu->ex_eflags holding ESP and EFLAGS from the start of the instruction. */
static enum cpu_exit step(struct cpu *cpu)
{
	struct insn in;

	cpu->ex_esp = cpu->r[R_ESP];
	cpu->ex_eflags = cpu->eflags;
	if (__builtin_expect(cpu->trace != NULL, 0)) {
		if (cpu->trace->steady)
			cpu->trace_rec = cpu->trace->steady;
		else
			trace_begin(cpu);
	}
	if (cpu_accept_interrupt(cpu))
		return CPU_EXIT_NONE;
	if (cpu->halted)
		return CPU_EXIT_HLT;

	uint32_t tf = cpu->eflags & F_TF;
	fetch_decode(cpu, &in);
	cpu_execute(cpu, &in);
	if (__builtin_expect(cpu->trace != NULL, 0) &&
	    ((cpu->trace_rec & TRACE_W_REGS) || cpu->trace->stop_after))
		trace_after(cpu);
	cpu_retire(cpu, &in, tf);
	return cpu_pending_exit(cpu);
}

/* A fault unwound to the run loop: undo ESP and EFLAGS, so that handlers need
 * not order their flag updates after their last faulting access, and deliver
 * the exception.  The EFLAGS image pushed for a fault has RF set, so that IRET
 * back to the instruction does not hit an instruction breakpoint again (SDM
 * Vol. 3 17.3.1.1); the handler itself runs with RF clear. */
enum cpu_exit cpu_fault(struct cpu *cpu)
{
	cpu->r[R_ESP] = cpu->ex_esp;
	cpu->eflags = cpu->ex_eflags;
	int v = cpu->ex_vector, e = cpu->ex_error;
	if (v != EX_DB && v != EX_BP && v != EX_OF && v != EX_NMI && v != EX_DF && cpu_protected(cpu))
		cpu->eflags |= F_RF;
	if (!has_error_code(v))
		e = -1;
	else if (e < 0)
		e = 0;
	return deliver_exception(cpu, v, e);
}

bool cpu_run_reference(struct cpu *cpu, uint64_t icount_end)
{
	jmp_buf jb;
	jmp_buf *outer = cpu->unwind;
	volatile bool faulted = false;

	cpu->unwind = &jb;
	if (setjmp(jb)) {
		cpu->r[R_ESP] = cpu->ex_esp;
		cpu->eflags = cpu->ex_eflags;
		faulted = true;
		goto out;
	}
	while (cpu->icount < icount_end && !cpu->halted) {
		struct insn in;
		cpu->ex_esp = cpu->r[R_ESP];
		cpu->ex_eflags = cpu->eflags;
		uint32_t tf = cpu->eflags & F_TF;
		fetch_decode(cpu, &in);
		cpu_execute(cpu, &in);
		cpu_retire(cpu, &in, tf);
	}
out:
	cpu->unwind = outer;
	return faulted;
}

enum cpu_exit cpu_step(struct cpu *cpu)
{
	enum cpu_exit ex = cpu_run_interp(cpu, 1);
	return ex == CPU_EXIT_COUNT ? CPU_EXIT_NONE : ex;
}

enum cpu_exit cpu_run(struct cpu *cpu, uint64_t max)
{
	if (cpu->engine)
		return cpu->engine(cpu, max);
	return cpu_run_interp(cpu, max);
}

enum cpu_exit cpu_run_interp(struct cpu *cpu, uint64_t max)
{
	jmp_buf jb;
	jmp_buf *outer = cpu->unwind;
	volatile uint64_t n = 0;
	enum cpu_exit ex;

	cpu->unwind = &jb;
	if (setjmp(jb)) {
		/* the faulting instruction counts as one step */
		n++;
		ex = cpu_fault(cpu);
		/* a device asked for a stop during the faulting instruction (the
		 * exit port, then a fault): stop here, as the translator does */
		if (ex == CPU_EXIT_NONE)
			ex = cpu_pending_exit(cpu);
		if (ex != CPU_EXIT_NONE)
			goto out;
	}
	while (n < max) {
		ex = step(cpu);
		n++;
		if (ex != CPU_EXIT_NONE)
			goto out;
	}
	ex = CPU_EXIT_COUNT;
out:
	cpu->unwind = outer;
	return ex;
}

/* Handlers for forms that only raise */
void h_ud(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu_raise(cpu, EX_UD, -1);
}

void h_noexec(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu_raise(cpu, EX_UD, -1);
}

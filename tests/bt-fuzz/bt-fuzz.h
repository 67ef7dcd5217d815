/*
 * bt-fuzz: differential fuzz test of the binary translator (bt/) against the
 * interpreter (cpu/), which is the reference.
 *
 *   bt-fuzz [--seed S] [--count N] [--first N] [--case N] [--reduce]
 *           [--bytes HEX] [--show N] [--verbose]
 *
 * A case is a random instruction sequence run from a random state, three ways:
 *
 *   lockstep     the translator with bt_options.lockstep: every block runs
 *                translated, is undone, runs interpreted and the two results
 *                are compared (bt/lockstep.c); bt_lockstep_failure() is the
 *                oracle at block granularity;
 *   translated   the translator as it normally runs: chained blocks, flags
 *                kept in host registers across instructions, no undo;
 *   interpreted  cpu->engine = NULL, one instruction at a time.
 *
 * and the final states of the whole runs are compared: translated against
 * interpreted (catches chaining, flags carried across blocks, invalidation:
 * what lockstep's block-at-a-time view cannot see) and lockstep against
 * interpreted (lockstep continues from the interpreter's result, so the two
 * must be identical).  Compared: EAX..EDI, EIP, EFLAGS, the six segment
 * caches, LDTR/TR/GDTR/IDTR, CR0 CR2 CR3 CR4, CPL, halted and the interrupt
 * shadow, DR0-7, the SYSENTER MSRs, the x87/SSE state, the instruction count,
 * why the run stopped, all of RAM, and the devices' state.  A host crash or
 * hang is a failure by itself (the case is named before the process dies).
 *
 * The world (physical = linear except where noted; paging is on):
 *
 *   0x1000 page directory (supervisor)    0x2000 page table (supervisor)
 *   0x3000 GDT, TSS, IDT (supervisor)     0x4000 a HLT per vector (supervisor, read-only)
 *   0x5000-0x6fff code (user, writable: self-modifying code happens)
 *   0x7000 ring-0 stack (TSS ESP0 0x8000) 0x8000 ring-3 stack
 *   0x10000 the data window, 13 pages: user read/write, user read-only,
 *          supervisor read/write, supervisor read-only, not present, the page
 *          table itself (user writable: the guest rewrites its own mappings),
 *          an alias of another data page, an MMIO page of a small device
 *          below, an unassigned physical page, the ROM, read/write, not present
 *   PDE 1: a 4 MiB page over all of RAM, which only CR4.PSE makes one
 *
 * The GDT holds flat code and data for CPL 0 and 3, a busy TSS, a data
 * segment with a non-zero base, one with a small limit, a read-only one, an
 * expand-down one, 16-bit code and a call gate to ring 0.  Every IDT gate
 * leads to a HLT with interrupts off (an interrupt gate), so an exception or
 * INT n ends the case with the vector readable from EIP; INT 0x30, 3, 4 and
 * 0x80 are open to CPL 3, 0x3f is not present.  The device has a page of MMIO
 * (reads without side effects: page walks may read it) and four ports whose
 * reads count; the test machine adds its exit port (0xF4), POST ports and
 * Bochs' shutdown port.
 *
 * Generation.  The rows of the opcode table (cpu/opcodes*.def via opinfo[];
 * not A_UD, A_NOEXEC or A_PREFIX) are drawn by class: plain integer forms
 * most often, branches, string forms, system and sensitive forms, x87, MMX
 * and SSE less often, and the ones that mostly wreck the sandbox (LLDT, LTR,
 * LMSW, WRMSR, SYSENTER/SYSEXIT, MOV DRn) rarely.  MOV CRn is generated as
 * "read CRn, flip a bit, write it back" and LGDT/LIDT as "store the table
 * register, load it again", so that they change something real without
 * leaving the world.  Each row's MATCH is satisfied (ModRM reg and mod,
 * mandatory prefix, operand and address size); ModRM memory operands point
 * mostly into the data window (absolute, base + displacement from registers
 * preloaded with window addresses, SIB), sometimes at the stack, the code
 * itself or near page ends; prefixes are added at random (66, 67, segment
 * overrides, LOCK on lockable memory forms and sometimes elsewhere, REP on
 * string forms); immediates are random with bias (ports of the devices, open
 * vectors, shift counts, selectors of the GDT); relative branches go to an
 * instruction of the sequence, mostly forward, conditional ones sometimes
 * backward (loops), some nowhere in particular.  Each instruction is decoded
 * by decode_buf; a few invalid encodings are kept; most REP forms get a
 * MOV ECX, n before them.  One case in ten is random bytes instead.  The sequence (1 to 30 rows) ends with HLT at CPL 0
 * and INT 0x30 at CPL 3.  The initial state is random: CPL 0 or 3, GPRs
 * (pointers into the window, small counts, boundary values, code addresses),
 * OSZAPC, DF, IF, IOPL, AC, CR0 (WP, NE, MP, AM, sometimes TS or EM), CR4
 * (PSE, OSFXSR, TSD ...), segment registers among the GDT's, the x87 stack,
 * control and status words, MXCSR and XMM registers, and the data.
 *
 * What is not judged, and why.  The interpreted run watches for each; such
 * a case is counted under its reason (--verbose), and its lockstep and
 * translated-vs-interpreted results are not judged:
 *   - Flags an instruction leaves undefined (opinfo FU): the translator runs
 *     native forms on the host, whose undefined flags need not be the
 *     interpreter's.  The generator inserts a CMP before any instruction that
 *     reads a flag some path may have left undefined (FR, which includes
 *     saving EFLAGS: PUSHF, INT n); the interpreted run tracks the undefined
 *     flags as it goes and leaves them out of the EFLAGS comparison and out
 *     of the EFLAGS images the exceptions delivered pushed; a case that
 *     still reads one (random bytes, indirect jumps), or pushes a frame it
 *     cannot find, is not judged.
 *   - Results the SDM leaves undefined: SHLD/SHRD r/m16 by more than 16.
 *   - Code whose linear page changed its mapping while it ran: translated
 *     code goes on with the mapping its block (and the blocks chained to it)
 *     was entered with, like a TLB nobody invalidated (SDM Vol. 3 4.10.4.3
 *     allows that), where the interpreter walks again.
 *   - REP MOVS/STOS/INS into a page that holds code: translated, that page
 *     has no fast write mapping (a code page), so the REP runs in batches of
 *     1024 elements rather than page chunks: it retires another number of
 *     times and sees its own rewritten bytes at other points.
 *   - Lockstep failures that are lockstep's A/D artefact (ad_artefact()).
 * Also: the budget is counted in retired instructions (2000), as the
 * translator counts, and the interpreted run is stepped to the same count;
 * the lockstep run is compared with the interpreted one only when no REP
 * string instruction ran (while lockstep logs memory, REP MOVS/STOS take the
 * element loop instead of the page-chunk fast path, cpu/memlog.h, so the
 * same REP retires another number of batches).
 *
 * The three machines (devices/testmachine.h) are built once and reset for
 * each case: RAM rewritten, translations flushed, shadow page tables and
 * page-table tracing dropped, cpu_reset, so that a case runs the same
 * whatever ran before it.
 *
 * The files: gen.c builds a case (the world, the state, the sequence);
 * run.c runs it three ways and compares; main.c has the regression cases
 * (reduced cases of bugs found), reporting, reduction and the command line.
 *
 * Each case is reproducible from (seed, case number) alone: --case N runs
 * one, --reduce shrinks a mismatching case to the fewest instructions (or
 * bytes) that still mismatch, --bytes replaces a case's code with the given
 * bytes.  Prints "bt-fuzz: seed S: N cases, K instructions run, M
 * mismatched" and exits 1 on any mismatch.
 */
#ifndef SHADE86_BT_FUZZ_H
#define SHADE86_BT_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* ---- the world (physical addresses, and linear ones where they are equal) ---- */

#define RAM_SIZE    (1u << 20)
#define PD_ADDR     0x1000u
#define PT_ADDR     0x2000u
#define GDT_ADDR    0x3000u
#define TSS_ADDR    0x3200u
#define IDT_ADDR    0x3800u
#define STUB_BASE   0x4000u    /* HLT for vector v at STUB_BASE + v */
#define GATE_STUB   0x4100u    /* the call gate's target: HLT */
#define CODE_PAGE   0x5000u    /* two pages of code */
#define CODE_END    0x7000u
#define STACK0_TOP  0x8000u    /* ring 0: 0x7000-0x7fff (TSS ESP0) */
#define STACK3_TOP  0x9000u    /* ring 3: 0x8000-0x8fff */
#define WIN         0x10000u   /* the data window (linear) */
#define WIN_PAGES   13u
#define DEV_MMIO    0xfeb00000u
#define UNASSIGNED  0x40000000u
#define ROM_PHYS    0x000f0000u
#define DEV_PORT    0xe0u      /* four ports */
#define BUDGET      2000u      /* retired instructions per run */

enum {
	SEL_CODE0 = 0x08, SEL_DATA0 = 0x10, SEL_CODE3 = 0x18, SEL_DATA3 = 0x20, SEL_TSS = 0x28,
	SEL_BASED = 0x30, SEL_SMALL = 0x38, SEL_RDONLY = 0x40, SEL_CODE16 = 0x48, SEL_EXPDOWN = 0x50,
	SEL_GATE = 0x58, GDT_LIMIT = 0x5f,
};

/* ---- a case ---- */

#define MAX_INSNS 100
#define MAX_RAW   64
#define MAX_SLOTS 32

/* one instruction of the sequence */
struct ginsn {
	uint8_t b[15];
	uint8_t len;
	uint16_t op;          /* the row it decodes as, OP_COUNT: an invalid encoding (kept) */
	int16_t target;       /* relative branch to this instruction; -1: none or fixed */
	uint8_t rel_at, rel_size;
};

/* a value filled in once the code is laid out: the address of an instruction */
struct slot {
	int reg;              /* a register (>= 0), or memory at pa */
	uint32_t pa;
	unsigned insn;
};

struct tcase {
	uint64_t seed, n;
	int cpl;
	bool raw;             /* random bytes rather than instructions */
	uint32_t code_at;
	struct ginsn ins[MAX_INSNS];
	unsigned nins;        /* the terminator included */
	uint8_t rawb[MAX_RAW + 2];
	unsigned nraw;        /* the terminator included */
	struct slot slots[MAX_SLOTS];
	unsigned nslots;
	/* initial state */
	uint32_t r[8], eflags, cr0, cr4;
	bool r_known[8];      /* the value is known while generating (else a code slot) */
	uint16_t sel[6];
	struct fpu fpu;
	uint8_t dev[16];
	uint8_t code_fill[CODE_END - CODE_PAGE];
	uint8_t img[RAM_SIZE];
};

/* ---- gen.c: building a case ---- */

struct rng {
	uint64_t s;
};

uint64_t rnd64(struct rng *g);
void put32(uint8_t *img, uint32_t a, uint32_t v);
uint32_t get32(const uint8_t *img, uint32_t a);
/* once, before anything else: the opcode table's rows by class */
void build_classes(void);
/* the arithmetic flags an instruction reads (FR), and leaves undefined given
 * those undefined before it */
uint32_t flags_read(unsigned op);
uint32_t flags_after(unsigned op, uint32_t u);
/* case n of seed */
void gen_case(struct tcase *tc, uint64_t seed, uint64_t n);
/* the world of every case: tables, stubs, data; code slots registered */
void build_world(struct rng *g, struct tcase *tc);
/* the case's code replaced by the given hex bytes, then the terminator */
void set_bytes(struct tcase *tc, const char *hex);
/* drop instruction (or byte) i; lay the code out again (false: a short
 * branch was re-aimed at the next instruction) */
void remove_at(struct tcase *tc, unsigned i);
bool layout(struct tcase *tc);

/* ---- run.c: running and comparing ---- */

/* Why a case cannot be judged (the first reason seen), from the interpreted run */
enum taint {
	T_NONE,
	T_FLAGS,      /* an instruction read a flag left undefined (FU) */
	T_RESULT,     /* a result the SDM leaves undefined: SHLD/SHRD r/m16 by more than 16 */
	T_STALE,      /* code ran from a linear page whose mapping changed under it: the
	               * translator, like a TLB, may go on with the old one (SDM Vol. 3
	               * 4.10.4.3) where the interpreter walks again */
	T_REPCODE,    /* REP MOVS/STOS/INS into a page that holds code: translated, it has
	               * no fast write mapping, so the REP runs in other batches (it sees
	               * its own rewritten bytes, and retires, at other points) */
	T_UNSEEN,     /* an instruction that could not be read without side effects ran */
	T_FRAMES,     /* an exception frame with undefined flags that cannot be located (a
	               * handler the guest moved, a frame that unmapped itself) or one
	               * too many of them */
	T_COUNT
};
extern const char *const taint_names[T_COUNT];

/* which comparisons failed (bits) */
enum fail { F_LOCKSTEP = 1, F_TRANSLATED = 2, F_LOCKSTEP_RUN = 4 };

struct verdict {
	unsigned fail;        /* F_* */
	enum taint taint;     /* not judged: why */
	bool ad_artefact;     /* lockstep's failure went away with every A and D bit set (run.c) */
	char what[1200];
	uint64_t insns;       /* retired by the interpreted run */
	enum cpu_exit ex;
	int vector;           /* the interpreted run halted in this vector's handler, else -1 */
	uint32_t undef;
	unsigned fault_op;    /* the row that raised the first exception (OP_COUNT: unknown, more: none) */
	bool ended;           /* the sequence ran to its end without an exception */
};

/* the three machines, with the given ROM image */
void machines_init(const uint8_t *rom, uint32_t rom_len);
/* the case run three ways and judged */
void run_case(const struct tcase *tc, struct verdict *v);
/* the case a crash or hang will name; SIGSEGV and friends, and a watchdog */
void note_case(uint64_t seed, uint64_t n);
void catch_fatal(void);
const char *exit_name(enum cpu_exit ex);
/* the translated machine's counters */
const struct bt_stats *translated_stats(void);
/* what the translated run's user windows did (NULL: windows off) */
const struct win_stats *translated_win_stats(void);

/* ---- main.c ---- */

_Noreturn void die(const char *what, const char *why);

#endif

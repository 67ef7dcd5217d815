/* The translator's internal structures (see bt.h for the design). */
#ifndef SHADE86_BT_INT_H
#define SHADE86_BT_INT_H

#include <stddef.h>

#include "../cpu/cpu.h"
#include "../cpu/decode.h"
#include "bt.h"
#include "emit.h"

struct bt_block;

/* An inline access's slow path, shared code (bt->slow_host/slow_mem) driven
 * by this record: run the handler from the state before the instruction,
 * then continue at join as the fast path would have (or leave when the
 * handler asked to stop) */
struct bt_slow_desc {
	struct insn *in;
	const uint8_t *join;          /* executable address to go on at */
	uint32_t eip, next_eip;
	uint32_t pending;             /* icount the block owed before the instruction */
	uint32_t keep_mask;           /* OSZAPC less the flags pending a fix to 0 */
	uint8_t after_host;           /* the fast path has the flags in host RFLAGS at join */
	uint8_t to_r11;               /* ... and the next EIP in r11 */
	uint8_t ends_block;           /* the block leaves right after join */
};

/* A direct exit: a patchable JMP rel32 at the end of a block. */
struct bt_exit {
	struct bt_block *from;
	struct bt_block *to;          /* chained target, or NULL */
	struct bt_exit *next_in;      /* the next exit chained to the same target */
	uint32_t target_eip;
	uint8_t *jmp_field;           /* executable address of the rel32 field */
	uint8_t *stub;                /* what the jump points at when unchained */
	bool host_flags;              /* the guest flags are in host RFLAGS at the jump */
};

struct bt_block {
	/* key */
	const uint8_t *host;          /* host address of the first byte */
	uint32_t eip, cs_base;
	uint32_t mode;                /* BT_MODE_* of the CPU it was translated for */
	/* what it is */
	uint32_t page;                /* RAM page number, or UINT32_MAX (ROM) */
	/* a last instruction that crosses into the next page: that page's
	 * bytes, its RAM page number and the shadow entry (fetch class) the
	 * block checks before running it */
	const uint8_t *host2;
	uint32_t page2;
	intptr_t entry2;
	bool first_crosses;           /* that instruction is the block's first */
	uint16_t ninsn, glen;         /* guest instructions and bytes */
	uint8_t *code_lahf;           /* entry with them in r11 as SETO + LAHF leave them */
	uint8_t *code_mem;            /* entry with the guest flags in cpu->eflags */
	uint8_t *code;                /* entry with them in host RFLAGS, and the checks */
	uint8_t *code_nocheck;        /* entry for the dispatcher (flags in host RFLAGS) */
	uint32_t code_len;
	uint64_t execs;               /* counted at entry with bt_options.count_execs */
	uint32_t undef_flags;         /* flags its host-run instructions leave undefined at its end */
	uint32_t *undef_at;           /* and before each of its instructions (a fault there) */
	bool valid;
	struct bt_exit exit[2];
	unsigned nexit;
	struct bt_exit *in;           /* exits of other blocks chained to this one */
	struct bt_block *hnext;       /* hash chain */
	struct bt_block *pnext;       /* blocks of the same RAM page */
	struct bt_block *pnext2;      /* blocks of the same RAM page, for page2 */
	struct bt_block *all_next;    /* every block since the last flush */
	struct insn *insns;           /* decoded instructions the handler calls use */
	struct bt_slow_desc *slow;    /* its inline accesses' slow paths */
};

/* guest register i lives in host register bt_host_reg[i] (ESP in r12: rsp is the host's) */
static const int bt_host_reg[8] = { H_RAX, H_RCX, H_RDX, H_RBX, H_R12, H_RBP, H_RSI, H_RDI };

#define BT_MODE_CPL    0x03u
#define BT_MODE_CODE32 0x04u
#define BT_MODE_STACK32 0x08u
#define BT_MODE_CSBIG  0x10u          /* CS limit 0xffffffff: no limit check on near targets */
#define BT_MODE_WIN    0x20u          /* user code with the context's window in GS (mmu/window.h) */
/* segment s is 4 GiB (present, expand-up, writable data, limit 0xffffffff):
 * the block accesses memory through it inline */
#define BT_MODE_SEGBIG(s)  (0x100u << (s))
/* and its base is 0 (else the inline path adds the base at run time) */
#define BT_MODE_SEGZERO(s) (0x10000u << (s))
#define BT_MODE_SSFLAT (BT_MODE_SEGBIG(S_SS) | BT_MODE_SEGZERO(S_SS))

#define BT_HASH_SIZE (1u << 18)

/* The jump cache: translated code's own lookup for targets known only at
 * run time (RET, indirect JMP/CALL) and for direct jumps to another page
 * (never chained), keyed by linear EIP.  An entry is used only when the
 * block is still valid, was made for the same mode and CS base, and the
 * target's linear page still has the shadow entry it had when the entry
 * was made (so maps to the block's bytes): no flush on CR3 or page-table
 * changes. */
#define BT_JC_SIZE 65536u
struct bt_jc_entry {
	uint32_t lin;
	uint32_t mode;                /* mode and cs_base: one 64-bit compare */
	uint32_t cs_base;
	uint32_t pad;
	intptr_t entry;               /* lin's fast shadow entry (fetch class) then, or -1 */
	struct bt_block *block;
};
_Static_assert(sizeof(struct bt_jc_entry) == 32, "jump cache entries are 32 bytes");
_Static_assert(offsetof(struct bt_jc_entry, mode) == 4 && offsetof(struct bt_jc_entry, cs_base) == 8 &&
	       offsetof(struct bt_jc_entry, entry) == 16 && offsetof(struct bt_jc_entry, block) == 24,
	       "translated code reads jump cache entries at these offsets");

static inline unsigned bt_jc_index(uint32_t lin)
{
	return (lin ^ (lin >> 10)) & (BT_JC_SIZE - 1);
}

struct bt {
	struct cpu *cpu;
	struct bt_options opt;
	/* the code buffer: one memfd mapped twice */
	uint8_t *wbase, *xbase;
	size_t size;
	size_t used;
	size_t populated;             /* bytes of both mappings populated ahead of use */
	int memfd;
	/* fixed code at the start of the buffer */
	uint8_t *enter;               /* uint8_t *enter(struct cpu *, void *code): returns the exit */
	uint8_t *exit_common;         /* r11 = exit record (or 0): spill and return to enter's caller */
	uint8_t *call_handler;        /* r11 = struct insn *: run it through cpu_execute */
	uint8_t *call_last;           /* the same for a block's last instruction */
	uint8_t *call_segload;        /* the same for a data segment load (mode in cpu->bt_tmp) */
	/* slow paths (r11 = struct bt_slow_desc *), flags in the host or in memory */
	uint8_t *slow_host, *slow_mem;
	uint8_t *merge_host;          /* call: host OSZAPC into cpu->eflags (clobbers r10, r11) */
	uint8_t *call_next;           /* call: cpu->bt_desc = bt_next_block()'s code, or NULL */
	uint8_t *leave_request;       /* jmp: a handler asked to stop (EIP stored, flags in memory) */
	uint8_t *log_store[3];        /* --check-lockstep: r8 = host address of a 1, 2, 4-byte store */
	uint8_t *log_stored[3];       /* and after it */
	size_t fixed_len;
	/* blocks */
	struct bt_block *hash[BT_HASH_SIZE];
	struct bt_jc_entry *jc;          /* BT_JC_SIZE entries */
	struct bt_block **page_blocks;   /* per RAM page */
	uint32_t npages;
	struct bt_block *all;
	struct bt_stats stats;
	/* the host has BMI2: inline lookups keep the host flags (SHRX, RORX,
	 * JRCXZ); else they spill them (SHADE86_BT_NO_BMI2=1 forces that) */
	bool ff_lookup;
	bool lahf;                    /* the host has LAHF/SAHF in 64-bit mode */
	/* chained memory-map hook */
	void (*prev_map_changed)(void *);
	void *prev_map_opaque;
	FILE *dump;                   /* SHADE86_BT_DUMP=FILE: every block's host code */
	/* --tc-stats: handler runs per opcode row, register (0) and memory (1) forms */
	uint64_t (*handler_runs)[2];
	/* window accesses: host PC -> slow path, open addressing on code offsets */
	struct bt_site *sites;
	uint32_t nsites, capsites;
	uint32_t win_fault_lin;       /* the signal handler saw a fault at this linear address */
	bool win_fault;
	uint8_t win_logged;           /* lockstep log entries the last window store logged */
	/* lockstep */
	struct lockstep *ls;
	char ls_report[2048];
	bool ls_failed;
};

/* A window access that may fault: its offset in the code buffer and its
 * slow path's (bit 31: lockstep logged the store before it) */
struct bt_site {
	uint32_t pc, stub;
};
#define BT_SITE_LOGGED 0x80000000u

/* Why translated code went back to the dispatcher, other than a direct
 * exit (bt_stats.back) */
enum {
	BT_LEAVE_CHECK = 1,       /* a block's entry checks: a request, or the budget spent */
	BT_LEAVE_INDIRECT,        /* an indirect branch the jump cache did not know */
	BT_LEAVE_ENDBLK,          /* after an instruction that may change the mode */
	BT_LEAVE_REQUEST,         /* a handler asked to stop (code written, reset, exit port) */
	BT_LEAVE_PAGE2,           /* the next page of a crossing instruction was remapped */
};

/* translate.c */
struct bt_block *bt_translate(struct bt *bt, const uint8_t *host, unsigned winlen, const uint8_t *host2);
/* The shadow entry a block's fetch from the page at lin2 depends on, or 0 */
intptr_t bt_fetch_entry(const struct cpu *cpu, uint32_t lin2);
uint32_t bt_mode_of(const struct cpu *cpu);
/* The instruction is emitted as itself (bt_native_form), or calls its handler. */
bool bt_native_form(const struct insn *in);
/* What a native form does to OSZAPC, its count known: reads, writes, leaves
 * undefined (the host's value may differ from the interpreter's), and writes
 * as 0 in the interpreter where the host may not (translate.c says why) */
struct bt_flag_eff {
	uint32_t fr, fw, fu, fix0;
};
struct bt_flag_eff bt_insn_flags(const struct insn *in);

/* run.c: window access sites */
void bt_site_add(struct bt *bt, const uint8_t *site, const uint8_t *stub, bool logged);
const struct bt_site *bt_site_find(const struct bt *bt, uintptr_t pc);

/* crash.c: report host faults (a bug in shade86) for this translator */
void bt_crash_watch(struct bt *bt);
void bt_crash_unwatch(struct bt *bt);

/* run.c: called from translated code through the fixed stubs */
void bt_exec_insn(struct cpu *cpu, const struct insn *in);
void bt_exec_last(struct cpu *cpu, const struct insn *in);
void bt_exec_segload(struct cpu *cpu, const struct insn *in);
void bt_slow_path(struct cpu *cpu, const struct insn *desc);
void bt_next_block(struct cpu *cpu, const struct insn *unused);
void bt_next_after_request(struct cpu *cpu, const struct insn *unused);
void bt_log_store(struct cpu *cpu, uint8_t *host, unsigned size);
void bt_log_stored(struct cpu *cpu, uint8_t *host, unsigned size);

#endif

/*
 * Internal interface of the protected-mode system architecture (seg.c, intr.c,
 * task.c): descriptor decoding, segment-cache commits, stack frames built
 * before anything is committed, and the task switch with an EXT bit.
 *
 * Conventions (SDM Vol. 3 chapters 3, 5, 6, 7):
 *  - every check and every memory access that can fault comes first; the
 *    architectural state (registers, segment caches, CPL, EFLAGS) is written
 *    only after them ("commit"), so a fault leaves the instruction or the event
 *    delivery without effect;
 *  - error codes carry EXT (bit 0) when the fault happens while delivering an
 *    event that is not a software interrupt (SDM Vol. 3 6.13).
 */
#ifndef SHADE86_PM_H
#define SHADE86_PM_H

#include "interp.h"

/* Fields of a descriptor's high dword (SDM Vol. 3 3.4.5, 5.8.3, 6.11) */
#define DESC_TYPE(hi)   (((hi) >> 8) & 0xfu)
#define DESC_STYPE(hi)  (((hi) >> 8) & 0x1fu)     /* S bit and type together */
#define DESC_S(hi)      (((hi) >> 12) & 1u)
#define DESC_DPL(hi)    ((int)(((hi) >> 13) & 3u))
#define DESC_P(hi)      (((hi) >> 15) & 1u)
#define DESC_ACCESSED   0x100u
#define DESC_BUSY       0x200u

/* System descriptor types (S = 0), SDM Vol. 3 table 3-2 */
enum {
	SYS_TSS16 = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALLGATE16 = 4,
	SYS_TASKGATE = 5, SYS_INTGATE16 = 6, SYS_TRAPGATE16 = 7,
	SYS_TSS32 = 9, SYS_TSS32_BUSY = 11, SYS_CALLGATE32 = 12,
	SYS_INTGATE32 = 14, SYS_TRAPGATE32 = 15,
};

static inline bool desc_code(uint32_t hi) { return DESC_S(hi) && (hi & 0x800); }
static inline bool desc_data(uint32_t hi) { return DESC_S(hi) && !(hi & 0x800); }
static inline bool desc_conforming(uint32_t hi) { return desc_code(hi) && (hi & 0x400); }
static inline bool desc_writable_data(uint32_t hi) { return desc_data(hi) && (hi & 0x200); }
/* data segment, or code segment with the R bit */
static inline bool desc_readable(uint32_t hi) { return desc_data(hi) || (desc_code(hi) && (hi & 0x200)); }

static inline uint32_t desc_base(uint32_t lo, uint32_t hi)
{
	return (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
}

static inline uint32_t desc_limit(uint32_t lo, uint32_t hi)
{
	uint32_t l = (lo & 0xffff) | (hi & 0x000f0000u);
	return (hi & 0x00800000u) ? (l << 12) | 0xfff : l;
}

static inline bool seg_is_code(const struct seg *s) { return (s->attr & SA_S) && (s->attr & 8); }
static inline int seg_dpl(const struct seg *s) { return (int)((s->attr & SA_DPL) >> SA_DPL_SHIFT); }
static inline int cpu_iopl(const struct cpu *cpu) { return (int)((cpu->eflags & F_IOPL) >> 12); }
/* protected mode proper: PE = 1 and not virtual-8086 mode */
static inline bool cpu_pmode(const struct cpu *cpu) { return cpu_protected(cpu) && !cpu_v86(cpu); }

/* ---- seg.c ---- */
/* Read a descriptor; raise vector((sel & ~3) | ext) if it lies outside its table. */
void pm_fetch_desc(struct cpu *cpu, uint16_t sel, uint32_t *lo, uint32_t *hi, int vector, int ext);
/* Set the Accessed bit of a code/data descriptor in memory if it is clear (may #PF). */
void pm_touch(struct cpu *cpu, uint16_t sel, uint32_t *hi);
/* Commit a segment cache (protected mode), a null selector, or CS with a new CPL. */
void pm_set_seg(struct cpu *cpu, int sreg, uint16_t sel, uint32_t lo, uint32_t hi);
void pm_null_seg(struct cpu *cpu, int sreg, uint16_t sel);
void pm_set_cs(struct cpu *cpu, uint16_t sel, uint32_t lo, uint32_t hi, int cpl);
/* Offset range check against a segment cache (expand-down aware). */
bool pm_seg_ok(const struct seg *s, uint32_t off, unsigned size);
/* Write ESP for a stack of the given size: 16-bit stacks change SP only. */
void pm_set_esp(struct cpu *cpu, bool big, uint32_t v);
/* After a return to an outer privilege level: null DS/ES/FS/GS that the new
 * CPL may not use (SDM "RET", "IRET": data or non-conforming code with DPL < CPL). */
void pm_validate_data_segs(struct cpu *cpu);
/* Real-mode/v86 flag write with an explicit mask (IRET, task switch): no rules. */
static inline void pm_write_eflags(struct cpu *cpu, uint32_t v, uint32_t mask)
{
	cpu->eflags = (((cpu->eflags & ~mask) | (v & mask)) & F_ALL) | 2;
}

/* A stack frame: pushes are checked against the limit as they are recorded and
 * written to memory by pm_frame_write; nothing is committed until the caller
 * sets ESP from pm_frame_esp. */
struct pm_frame {
	struct seg ss;        /* the stack segment (a copy: it may not be loaded yet) */
	uint32_t esp0;        /* ESP before the pushes */
	uint32_t sp;          /* stack offset after the last push */
	bool big;             /* SS.B: 32-bit stack pointer */
	int acc;              /* ACC_SUPER for implicit supervisor pushes */
	int vec, err;         /* exception when the frame does not fit */
	unsigned n;           /* up to 4 + 31 call-gate parameters + 4, or 10 for v86 */
	uint32_t lin[40], val[40];
	uint8_t size[40];
};
void pm_frame_init(struct pm_frame *f, const struct seg *ss, uint32_t esp, int acc, int vec, int err);
void pm_frame_push(struct cpu *cpu, struct pm_frame *f, unsigned size, uint32_t v);
void pm_frame_write(struct cpu *cpu, struct pm_frame *f);
uint32_t pm_frame_esp(const struct pm_frame *f);

/* ---- intr.c ---- */
/* SS:ESP for privilege level dpl from the current TSS (#TS(TR) | ext if outside). */
void pm_tss_stack(struct cpu *cpu, int dpl, uint16_t *ss, uint32_t *esp, int ext);

/* ---- task.c ---- */
/* task_switch with the EXT bit for the error codes it raises.  For TS_INT the
 * caller pushes the error code and checks EIP against the CS limit. */
void task_switch_ext(struct cpu *cpu, uint16_t sel, int reason, uint32_t return_eip, int ext);

#endif

/*
 * --check-lockstep: every translated block is run twice and the two results
 * compared.
 *
 *   1. the state before the block is saved; the block runs translated, with
 *      the memory log recording (cpu/memlog.h): RAM writes with their old
 *      bytes, device accesses with their values (devices see them once)
 *   2. its RAM writes are undone and the state put back; the interpreter runs
 *      the same number of instructions (or up to the same fault), replaying
 *      the device accesses
 *   3. registers, EIP, EFLAGS (less the flags the block's own instructions
 *      leave undefined), segment registers, control and descriptor-table
 *      registers, CPL, the FPU/SSE state, the instruction count, the fault
 *      raised, the device accesses and the bytes written must be equal.
 *
 * The run continues from the interpreter's result (equal when nothing
 * differs).  Blocks are not chained in this mode, so each entry is one block.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cpu/interp.h"
#include "../cpu/memlog.h"
#include "bt_int.h"
#include "lockstep.h"

typedef struct bt_exit *enter_fn(struct cpu *cpu, const uint8_t *code);

struct lockstep {
	struct cpu s0, sbt;
	struct memlog ml;
	struct ml_write *wbt;       /* the translated run's RAM writes */
	unsigned nwbt, capwbt;
	struct bt_block *b;
	bool active;
};

int lockstep_init(struct bt *bt)
{
	bt->ls = calloc(1, sizeof(*bt->ls));
	return bt->ls ? 0 : -1;
}

void lockstep_free(struct bt *bt)
{
	if (!bt->ls)
		return;
	free(bt->ls->ml.w);
	free(bt->ls->ml.io);
	free(bt->ls->wbt);
	free(bt->ls);
	bt->ls = NULL;
}

/* Put the architectural state of from into cpu; the machinery (shadow MMU,
 * unwinding, hooks, requests from devices) stays as it is. */
static void restore(struct cpu *cpu, const struct cpu *from)
{
	struct cpu keep = *cpu;
	*cpu = *from;
	cpu->shadow = keep.shadow;
	cpu->stab = keep.stab;
	cpu->unwind = keep.unwind;
	cpu->memlog = keep.memlog;
	cpu->exit_req = keep.exit_req;
	cpu->dcache = keep.dcache;
	cpu->trace = keep.trace;
	cpu->icount_limit = keep.icount_limit;
	cpu_paging_changed(cpu);
}

struct byteval {
	uint32_t pa, seq;
	uint8_t old, v;
};

static int by_pa_seq(const void *a, const void *b)
{
	const struct byteval *x = a, *y = b;
	if (x->pa != y->pa)
		return x->pa < y->pa ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* What a run changed in memory: every byte whose last value differs from
 * the one before its first write, sorted by address.  (A read-modify-write
 * form may be logged as a store of the same value.) */
static struct byteval *final_bytes(const struct ml_write *w, unsigned n, unsigned *count)
{
	struct byteval *v = malloc((size_t)(4 * n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < w[i].size; j++) {
			v[k] = (struct byteval){ w[i].pa + j, k, (uint8_t)(w[i].old >> (8 * j)),
						 (uint8_t)(w[i].val >> (8 * j)) };
			k++;
		}
	}
	qsort(v, k, sizeof(*v), by_pa_seq);
	unsigned m = 0;
	for (unsigned i = 0; i < k; i++) {
		if (m && v[m - 1].pa == v[i].pa)
			v[m - 1].v = v[i].v;   /* keeps the first write's old byte */
		else
			v[m++] = v[i];
	}
	unsigned c = 0;
	for (unsigned i = 0; i < m; i++)
		if (v[i].v != v[i].old)
			v[c++] = v[i];
	*count = c;
	return v;
}

static int report(struct bt *bt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int report(struct bt *bt, const char *fmt, ...)
{
	struct lockstep *ls = bt->ls;
	const struct bt_block *b = ls->b;
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	int n = snprintf(bt->ls_report, sizeof(bt->ls_report), "%s; block at %04x:%08x (%u instructions:",
			 what, ls->s0.seg[S_CS].sel, b->eip, b->ninsn);
	uint32_t eip = b->eip;
	for (unsigned i = 0; i < b->ninsn && n > 0 && (size_t)n < sizeof(bt->ls_report); i++) {
		n += snprintf(bt->ls_report + n, sizeof(bt->ls_report) - (size_t)n, "%s %08x %s", i ? ";" : "",
			      eip, opinfo[b->insns[i].op].mnem);
		eip += b->insns[i].len;
	}
	if (n > 0 && (size_t)n < sizeof(bt->ls_report))
		snprintf(bt->ls_report + n, sizeof(bt->ls_report) - (size_t)n, ")");
	bt->ls_failed = true;
	return 1;
}

static const char *const reg_names[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };
static const char *const seg_names[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };

/* Compare the translated result (ls->sbt, ls->wbt) with the interpreter's
 * (cpu, ls->ml.w).  Returns 1 on a difference (report written). */
static int compare(struct bt *bt, bool fault_bt, bool fault_int)
{
	struct lockstep *ls = bt->ls;
	const struct cpu *t = &ls->sbt, *c = bt->cpu;
	if (ls->ml.diverged)
		return report(bt, "%s", ls->ml.why);
	if (ls->ml.pos != ls->ml.nio)
		return report(bt, "the translated code made %u device accesses, the interpreter %u",
			      ls->ml.nio, ls->ml.pos);
	if (fault_bt != fault_int)
		return report(bt, "translated %s, interpreted %s", fault_bt ? "faulted" : "ran through",
			      fault_int ? "faulted" : "ran through");
	if (fault_bt && (t->ex_vector != c->ex_vector || t->ex_error != c->ex_error))
		return report(bt, "exception: translated vector %d error %d, interpreted vector %d error %d",
			      t->ex_vector, t->ex_error, c->ex_vector, c->ex_error);
	if (t->icount != c->icount)
		return report(bt, "instructions retired: translated %llu, interpreted %llu",
			      (unsigned long long)(t->icount - ls->s0.icount),
			      (unsigned long long)(c->icount - ls->s0.icount));
	for (int i = 0; i < 8; i++)
		if (t->r[i] != c->r[i])
			return report(bt, "%s: translated %08x, interpreted %08x", reg_names[i], t->r[i], c->r[i]);
	if (t->eip != c->eip)
		return report(bt, "EIP: translated %08x, interpreted %08x", t->eip, c->eip);
	/* a block that stopped before its end (a fault at instruction k leaves
	 * EFLAGS as before it; an exit after a handler that wrote code) has the
	 * flags undefined there */
	uint32_t undef = ls->b->undef_flags;
	uint64_t k = t->icount - ls->s0.icount;
	if (k < ls->b->ninsn)
		undef = ls->b->undef_at[k];
	uint32_t mask = ~undef & ~F_RF;
	if ((t->eflags ^ c->eflags) & mask)
		return report(bt, "EFLAGS: translated %08x, interpreted %08x (compared bits %08x)", t->eflags,
			      c->eflags, mask);
	for (int i = 0; i < 6; i++)
		if (memcmp(&t->seg[i], &c->seg[i], sizeof(t->seg[i])))
			return report(bt, "%s: translated %04x base %08x limit %08x attr %04x, interpreted %04x base %08x limit %08x attr %04x",
				      seg_names[i], t->seg[i].sel, t->seg[i].base, t->seg[i].limit, t->seg[i].attr,
				      c->seg[i].sel, c->seg[i].base, c->seg[i].limit, c->seg[i].attr);
	if (t->cr0 != c->cr0 || t->cr2 != c->cr2 || t->cr3 != c->cr3 || t->cr4 != c->cr4)
		return report(bt, "control registers: translated CR0 %08x CR2 %08x CR3 %08x CR4 %08x, interpreted %08x %08x %08x %08x",
			      t->cr0, t->cr2, t->cr3, t->cr4, c->cr0, c->cr2, c->cr3, c->cr4);
	if (t->cpl != c->cpl || t->halted != c->halted)
		return report(bt, "CPL/halted: translated %d/%d, interpreted %d/%d", t->cpl, t->halted, c->cpl, c->halted);
	if (memcmp(&t->gdtr, &c->gdtr, sizeof(t->gdtr)) || memcmp(&t->idtr, &c->idtr, sizeof(t->idtr)) ||
	    memcmp(&t->ldtr, &c->ldtr, sizeof(t->ldtr)) || memcmp(&t->tr, &c->tr, sizeof(t->tr)))
		return report(bt, "GDTR/IDTR/LDTR/TR differ");
	if (memcmp(&t->fpu, &c->fpu, sizeof(t->fpu)))
		return report(bt, "x87/SSE state differs");
	unsigned nt, nc;
	struct byteval *bt_bytes = final_bytes(ls->wbt, ls->nwbt, &nt);
	struct byteval *int_bytes = final_bytes(ls->ml.w, ls->ml.nw, &nc);
	int r = 0;
	if (!bt_bytes || !int_bytes) {
		bt->stats.lockstep_skipped++;
	} else {
		for (unsigned i = 0; i < nt || i < nc; i++) {
			if (i >= nt || i >= nc || bt_bytes[i].pa != int_bytes[i].pa) {
				uint32_t pa = i >= nt ? int_bytes[i].pa : bt_bytes[i].pa;
				r = report(bt, "memory: only the %s changed physical %08x",
					   i >= nt || (i < nc && int_bytes[i].pa < bt_bytes[i].pa) ? "interpreter" : "translated code",
					   i < nc && i < nt && int_bytes[i].pa < bt_bytes[i].pa ? int_bytes[i].pa : pa);
				break;
			}
			if (bt_bytes[i].v != int_bytes[i].v) {
				r = report(bt, "memory at physical %08x: translated wrote %02x, interpreted %02x",
					   bt_bytes[i].pa, bt_bytes[i].v, int_bytes[i].v);
				break;
			}
		}
	}
	free(bt_bytes);
	free(int_bytes);
	return r;
}

/* The translated run has ended (fault_bt: with a fault, unwound): keep its
 * result, undo it, run the interpreter, compare. */
static bool check(struct bt *bt, bool fault_bt)
{
	struct lockstep *ls = bt->ls;
	struct cpu *cpu = bt->cpu;
	ls->active = false;
	cpu->memlog = NULL;
	ls->sbt = *cpu;
	if (fault_bt) {
		ls->sbt.r[R_ESP] = cpu->ex_esp;
		ls->sbt.eflags = cpu->ex_eflags;
	}
	if (ls->ml.overflow) {
		bt->stats.lockstep_skipped++;   /* too much to compare: keep the translated result */
		return false;
	}
	/* keep the translated run's writes aside, undo them, start again */
	struct ml_write *w = ls->wbt;
	unsigned cap = ls->capwbt;
	ls->wbt = ls->ml.w;
	ls->nwbt = ls->ml.nw;
	ls->capwbt = ls->ml.capw;
	ls->ml.w = w;
	ls->ml.capw = cap;
	memlog_undo(ls->wbt, ls->nwbt, cpu->mem);
	restore(cpu, &ls->s0);
	memlog_reset(&ls->ml, ML_REPLAY);
	cpu->memlog = &ls->ml;
	bool fault_int = cpu_run_reference(cpu, ls->sbt.icount + (fault_bt ? 1 : 0));
	cpu->memlog = NULL;
	bt->stats.lockstep_blocks++;
	if (ls->ml.overflow) {
		bt->stats.lockstep_skipped++;
		return false;
	}
	return compare(bt, fault_bt, fault_int) != 0;
}

bool lockstep_block(struct bt *bt, struct bt_block *b)
{
	struct lockstep *ls = bt->ls;
	struct cpu *cpu = bt->cpu;
	enter_fn *enter = (enter_fn *)(void *)bt->enter;
	ls->b = b;
	ls->s0 = *cpu;
	memlog_reset(&ls->ml, ML_RECORD);
	cpu->memlog = &ls->ml;
	ls->active = true;
	enter(cpu, b->code_nocheck);
	return check(bt, false);
}

bool lockstep_fault(struct bt *bt)
{
	if (!bt->ls->active) {
		bt->cpu->memlog = NULL;
		return false;   /* a fault in the dispatcher's own fetch, not in a block */
	}
	return check(bt, true);
}

/*
 * The translator's run loop (cpu->engine): find the block for CS:EIP,
 * translate it if need be, run it, chain the block we came from to the one we
 * found; interpret what cannot be translated.  Also the code buffer, the
 * fixed entry/exit stubs, and invalidation of translated code.
 */
#include <cpuid.h>
#include <errno.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../cpu/interp.h"
#include "../cpu/memlog.h"
#include "bt_int.h"
#include "lockstep.h"

#define OFF(f) ((int32_t)offsetof(struct cpu, f))
#define OFF_R(i) ((int32_t)(offsetof(struct cpu, r) + 4 * (i)))

#define BT_DEFAULT_CODE_SIZE (128u << 20)


typedef struct bt_exit *enter_fn(struct cpu *cpu, const uint8_t *code);

/* ---- called from translated code ---- */

/* An INTR that IF holds off does not make translated code leave */
static inline void update_exit_mask(struct cpu *cpu)
{
	cpu->exit_mask = (cpu->eflags & F_IF) ? ~0u : ~CPU_REQ_INTR;
}

static inline void count_handler(struct cpu *cpu, const struct insn *in)
{
	struct bt *bt = cpu->bt;
	if (__builtin_expect(bt->handler_runs != NULL, 0))
		bt->handler_runs[in->op][INSN_MEMOP(in) ? 1 : 0]++;
}

void bt_exec_insn(struct cpu *cpu, const struct insn *in)
{
	count_handler(cpu, in);
	cpu->ex_esp = cpu->r[R_ESP];
	cpu->ex_eflags = cpu->eflags;
	cpu_execute(cpu, in);
	update_exit_mask(cpu);
}

/* An inline access missed: the instruction through its handler, from the
 * state before it (flags already in memory); cpu->bt_tmp = 1 when the
 * block must leave after it */
void bt_slow_path(struct cpu *cpu, const struct insn *desc)
{
	const struct bt_slow_desc *d = (const struct bt_slow_desc *)(const void *)desc;
	struct bt *bt = cpu->bt;
	bool win_fault = bt->win_fault;
	bt->win_fault = false;
	cpu->icount += d->pending;
	cpu->eip = d->eip;
	bt_exec_insn(cpu, d->in);
	/* came from a window access: the shadow entries are filled now, the
	 * page can be mapped for the next time */
	if (win_fault) {
		win_map_page(&cpu->shadow, bt->win_fault_lin);
		/* the window was taken away (window.h): blocks for the lookups */
		if (!win_current(&cpu->shadow))
			cpu_request(cpu, CPU_REQ_MODE);
	}
	if (!d->ends_block && (cpu->exit_req & (CPU_REQ_SMC | CPU_REQ_MODE | CPU_REQ_STOP | CPU_REQ_RESET))) {
		cpu->icount += 1;
		cpu->eip = d->next_eip;
		cpu->bt_tmp = 1;
		return;
	}
	cpu->icount -= d->pending;
	cpu->bt_tmp = 0;
}

/* A load of DS, ES, FS or GS inside a block: the block goes on unless the
 * segment's shape (BT_MODE_SEGBIG/SEGZERO) changed from what it was
 * translated for (the mode in cpu->bt_tmp) */
void bt_exec_segload(struct cpu *cpu, const struct insn *in)
{
	uint32_t mode = cpu->bt_tmp;
	bt_exec_insn(cpu, in);
	if (bt_mode_of(cpu) != mode)
		cpu_request(cpu, CPU_REQ_MODE);
}

void bt_exec_last(struct cpu *cpu, const struct insn *in)
{
	count_handler(cpu, in);
	cpu->ex_esp = cpu->r[R_ESP];
	cpu->ex_eflags = cpu->eflags;
	cpu_execute(cpu, in);
	cpu->eip = cpu->next_eip;
	cpu->icount++;
	update_exit_mask(cpu);
}

/* A store through a window: host is a window address, each page part of
 * it is logged at the RAM page its user write entry gives (none: the store
 * faults and the signal handler takes back what was logged) */
static void log_window_store(struct cpu *cpu, uint64_t lin, unsigned size)
{
	struct bt *bt = cpu->bt;
	bt->win_logged = 0;
	while (size) {
		unsigned part = 0x1000 - (unsigned)(lin & 0xfff);
		if (part > size)
			part = size;
		if (lin >= (1ull << 32))
			return;
		intptr_t e = cpu->stab[(size_t)(lin >> 12) * SC_COUNT + SC_UW];
		if (!shadow_entry_fast(e))
			return;
		uint8_t *p = shadow_entry_host(e, (uint32_t)lin);
		if (p < cpu->mem->ram || p >= cpu->mem->ram + cpu->mem->ram_size)
			return;
		memlog_ram_write(cpu->memlog, (uint32_t)(p - cpu->mem->ram), p, part, 0, true);
		bt->win_logged++;
		lin += part;
		size -= part;
	}
}

void bt_log_store(struct cpu *cpu, uint8_t *host, unsigned size)
{
	uint64_t lin;
	if (!cpu->memlog)
		return;
	if (win_lookup(&cpu->shadow, (uintptr_t)host, &lin))
		log_window_store(cpu, lin, size);
	else
		memlog_ram_write(cpu->memlog, (uint32_t)(host - cpu->mem->ram), host, size, 0, true);
}

/* right after the store: its value, before anything else (a page walk
 * setting an Accessed bit) can change the bytes */
void bt_log_stored(struct cpu *cpu, uint8_t *host, unsigned size)
{
	struct memlog *ml = cpu->memlog;
	if (!ml)
		return;
	uint64_t lin;
	bool win = win_lookup(&cpu->shadow, (uintptr_t)host, &lin);
	unsigned n = win ? cpu->bt->win_logged : 1;
	if (ml->nw < n)
		return;
	for (unsigned k = ml->nw - n; k < ml->nw; k++) {
		struct ml_write *w = &ml->w[k];
		if (!w->val_later)
			continue;
		const uint8_t *p = win ? cpu->mem->ram + w->pa : host;
		w->val = 0;
		for (unsigned i = 0; i < w->size; i++)
			w->val |= (uint32_t)p[i] << (8 * i);
		w->val_later = false;
	}
	(void)size;
}

/* ---- the fixed code at the start of the buffer ---- */

static void emit_spill(struct emit *e)
{
	for (int i = 0; i < 8; i++)
		e_store32(e, bt_host_reg[i], OFF_R(i));
}

/* the guest registers, and r14 = cpu->stab (a handler may switch contexts) */
static void emit_reload(struct emit *e)
{
	for (int i = 0; i < 8; i++)
		e_load32(e, bt_host_reg[i], OFF_R(i));
	e_load64(e, H_R14, OFF(stab));
}

/* a stub that calls fn(cpu, r11) with the guest registers in struct cpu */
static uint8_t *emit_call_stub(struct emit *e, void (*fn)(struct cpu *, const struct insn *))
{
	uint8_t *x = emit_xaddr(e, e->p);
	emit_spill(e);
	e_mov_rr64(e, H_RDI, H_R15);
	e_mov_rr64(e, H_RSI, H_R11);
	e_rsp_adjust(e, -8);                 /* 16-byte alignment at the call */
	e_mov_imm64(e, H_RAX, (uint64_t)(uintptr_t)fn);
	e_call_reg(e, H_RAX);
	e_rsp_adjust(e, 8);
	emit_reload(e);
	e8(e, 0xc3);                         /* ret */
	return x;
}

/* The shared slow path (struct bt_slow_desc in r11): slow_host first
 * merges the host's flags into cpu->eflags (less the flags pending a fix to
 * 0), slow_mem finds them there; then bt_slow_path runs the handler, and the
 * flags, EIP in r11 and icount are brought to what the fast path has at
 * its join, or the block leaves (flags in memory). */
static void emit_slow_stubs(struct bt *bt, struct emit *e)
{
	const uint8_t *call = emit_call_stub(e, bt_slow_path);
	bt->slow_host = emit_xaddr(e, e->p);
	e8(e, 0x9c);                                            /* pushfq */
	e_pop(e, H_R10);
	e_op_mem(e, 0, 0x23, H_R10, H_R11, (int32_t)offsetof(struct bt_slow_desc, keep_mask)); /* and r10d, [r11 + keep] */
	e_load32(e, H_R9, OFF(eflags));
	e_alu_imm32(e, 4, H_R9, ~(uint32_t)F_OSZAPC);
	e_or_rr32(e, H_R9, H_R10);
	e_store32(e, H_R9, OFF(eflags));
	bt->slow_mem = emit_xaddr(e, e->p);
	e_op_mem(e, 1, 0x89, H_R11, H_R15, OFF(bt_desc));      /* mov [bt_desc], r11 */
	e_call32(e, call);
	e_load64(e, H_R11, OFF(bt_desc));
	e_test_mem32_imm(e, OFF(bt_tmp), 1);
	e8(e, 0x0f); e8(e, 0x85); uint8_t *to_leave = e->p; e32(e, 0);   /* jnz leave */
	e_op_mem(e, 1, 0x8b, H_R10, H_R11, (int32_t)offsetof(struct bt_slow_desc, join));   /* mov r10, [r11 + join] */
	e8(e, 0x45); e8(e, 0x0f); e8(e, 0xb6); e8(e, 0x4b);
	e8(e, (uint8_t)offsetof(struct bt_slow_desc, after_host));   /* movzx r9d, byte [r11 + after_host] */
	/* the next EIP in r11 if the join wants it there */
	e8(e, 0x41); e8(e, 0x80); e8(e, 0x7b); e8(e, (uint8_t)offsetof(struct bt_slow_desc, to_r11)); e8(e, 0);  /* cmp byte [r11 + to_r11], 0 */
	e8(e, 0x74); uint8_t *no_r11 = e->p; e8(e, 0);         /* je */
	e_load32(e, H_R11, OFF(next_eip));
	*no_r11 = (uint8_t)(e->p - (no_r11 + 1));
	/* the flags back into the host if the join has them there */
	e8(e, 0x45); e8(e, 0x85); e8(e, 0xc9);                 /* test r9d, r9d */
	e8(e, 0x74); uint8_t *no_host = e->p; e8(e, 0);        /* je */
	e_load32(e, H_R9, OFF(eflags));
	e_alu_imm32(e, 4, H_R9, F_OSZAPC);
	e_push(e, H_R9);
	e8(e, 0x9d);                                            /* popfq */
	*no_host = (uint8_t)(e->p - (no_host + 1));
	e_jmp_reg(e, H_R10);
	int32_t rel = (int32_t)(e->p - (to_leave + 4));
	memcpy(to_leave, &rel, 4);
	e_jmp32(e, bt->leave_request);
}

static void emit_fixed(struct bt *bt)
{
	struct emit e = { bt->wbase, bt->wbase + bt->size, bt->xbase - bt->wbase };
	static const int saved[6] = { H_RBX, H_RBP, H_R12, H_R13, H_R14, H_R15 };

	/* enter(cpu = rdi, code = rsi): save the host's callee-saved registers,
	 * load the guest's, jump to the block */
	bt->enter = emit_xaddr(&e, e.p);
	for (int i = 0; i < 6; i++)
		e_push(&e, saved[i]);
	e_rsp_adjust(&e, -8);
	e_mov_rr64(&e, H_R15, H_RDI);
	e_mov_rr64(&e, H_R11, H_RSI);
	emit_reload(&e);
	e_mov_imm32(&e, H_R13, 12);          /* the page shift of the flag-free lookups */
	e_store_imm32(&e, OFF(bt_df_mask), F_DF);   /* PEXT's masks (a CPU reset clears them) */
	e_store_imm32(&e, OFF(bt_noif_mask), ~(uint32_t)F_IF);
	/* blocks are entered with the guest's OSZAPC in host RFLAGS */
	e_load32(&e, H_R9, OFF(eflags));
	e_alu_imm32(&e, 4, H_R9, F_OSZAPC);
	e_push(&e, H_R9);
	e8(&e, 0x9d);                        /* popfq */
	e_jmp_reg(&e, H_R11);

	/* exit: r11 = the exit record (or 0), guest registers back to memory */
	bt->exit_common = emit_xaddr(&e, e.p);
	emit_spill(&e);
	e_mov_rr64(&e, H_RAX, H_R11);
	e_rsp_adjust(&e, 8);
	for (int i = 5; i >= 0; i--)
		e_pop(&e, saved[i]);
	e8(&e, 0xc3);

	/* lockstep's store log, before and after the store: everything
	 * preserved, the host flags too */
	for (unsigned k = 0; bt->opt.lockstep && k < 6; k++) {
		uint8_t *x = emit_xaddr(&e, e.p);
		if (k < 3)
			bt->log_store[k] = x;
		else
			bt->log_stored[k - 3] = x;
		e8(&e, 0x9c);                        /* pushfq */
		e_push(&e, H_R8);
		e_push(&e, H_R9);
		e_push(&e, H_R10);
		e_push(&e, H_R11);
		emit_spill(&e);
		e_mov_rr64(&e, H_RDI, H_R15);
		e_mov_rr64(&e, H_RSI, H_R8);
		e_mov_imm32(&e, H_RDX, 1u << (k % 3));
		e_mov_imm64(&e, H_RAX, (uint64_t)(uintptr_t)(k < 3 ? bt_log_store : bt_log_stored));
		e_call_reg(&e, H_RAX);
		emit_reload(&e);
		e_pop(&e, H_R11);
		e_pop(&e, H_R10);
		e_pop(&e, H_R9);
		e_pop(&e, H_R8);
		e8(&e, 0x9d);                        /* popfq */
		e8(&e, 0xc3);
	}
	bt->call_handler = emit_call_stub(&e, bt_exec_insn);
	bt->call_last = emit_call_stub(&e, bt_exec_last);
	bt->call_segload = emit_call_stub(&e, bt_exec_segload);
	bt->call_next = emit_call_stub(&e, bt_next_block);
	/* leave_request: on to the next block when the request was only code
	 * written or a segment's shape changed, else to the dispatcher */
	const uint8_t *next_req = emit_call_stub(&e, bt_next_after_request);
	bt->leave_request = emit_xaddr(&e, e.p);
	e_call32(&e, next_req);
	e_load64(&e, H_R11, OFF(bt_desc));
	e8(&e, 0x4d); e8(&e, 0x85); e8(&e, 0xdb);      /* test r11, r11 */
	e8(&e, 0x74); e8(&e, 3);                       /* jz: the dispatcher */
	e8(&e, 0x41); e8(&e, 0xff); e8(&e, 0xe3);      /* jmp r11 */
	e_mov_imm32(&e, H_R11, BT_LEAVE_REQUEST);
	e_jmp32(&e, bt->exit_common);
	emit_slow_stubs(bt, &e);
	/* call merge_host: the guest's OSZAPC from host RFLAGS into cpu->eflags */
	bt->merge_host = emit_xaddr(&e, e.p);
	e8(&e, 0x9c);                        /* pushfq */
	e_pop(&e, H_R11);
	e_alu_imm32(&e, 4, H_R11, F_OSZAPC);
	e_load32(&e, H_R10, OFF(eflags));
	e_alu_imm32(&e, 4, H_R10, ~(uint32_t)F_OSZAPC);
	e_or_rr32(&e, H_R10, H_R11);
	e_store32(&e, H_R10, OFF(eflags));
	e8(&e, 0xc3);                        /* ret */
	bt->fixed_len = ((size_t)(e.p - bt->wbase) + 63) & ~(size_t)63;
	bt->used = bt->fixed_len;
}

/* ---- blocks: hash, pages, chaining, invalidation ---- */

static unsigned hash_of(const uint8_t *host, uint32_t eip)
{
	uint64_t k = (uint64_t)(uintptr_t)host * 0x9e3779b97f4a7c15ull ^ (uint64_t)eip * 0xc2b2ae3d27d4eb4full;
	k ^= k >> 29;
	return (unsigned)(k >> 32) & (BT_HASH_SIZE - 1);
}

/* Does the page after a crossing instruction still hold the block's bytes?
 * Not known (no shadow entry yet, as in a new address space) counts as yes
 * unless the block starts with that instruction: the block checks again
 * when it gets there, and a block that starts with it fetches the page now,
 * as the interpreter would (a #PF is the instruction's). */
static bool page2_matches(struct bt *bt, const struct bt_block *b)
{
	uint32_t lin2 = ((b->cs_base + b->eip) | 0xfff) + 1;
	intptr_t e = bt_fetch_entry(bt->cpu, lin2);
	if (!e && b->first_crosses) {
		lin_fetch_ptr(bt->cpu, lin2);
		e = bt_fetch_entry(bt->cpu, lin2);
	}
	return e == b->entry2 || (!e && !b->first_crosses);
}

static struct bt_block *lookup(struct bt *bt, const uint8_t *host, uint32_t eip, uint32_t cs_base,
			       uint32_t mode)
{
	for (struct bt_block *b = bt->hash[hash_of(host, eip)]; b; b = b->hnext)
		if (b->host == host && b->eip == eip && b->cs_base == cs_base && b->mode == mode &&
		    (!b->host2 || page2_matches(bt, b)))
			return b;
	return NULL;
}

static uint32_t ram_page_of(const struct bt *bt, const uint8_t *host)
{
	const struct mem *m = bt->cpu->mem;
	if (host >= m->ram && host < m->ram + m->ram_size)
		return (uint32_t)((size_t)(host - m->ram) >> 12);
	return UINT32_MAX;
}

static void insert(struct bt *bt, struct bt_block *b)
{
	unsigned h = hash_of(b->host, b->eip);
	b->hnext = bt->hash[h];
	bt->hash[h] = b;
	b->valid = true;
	b->all_next = bt->all;
	bt->all = b;
	b->page = ram_page_of(bt, b->host);
	if (b->page != UINT32_MAX) {
		if (!bt->page_blocks[b->page])
			shadow_set_code_page(&bt->cpu->shadow, b->page << 12, true);
		b->pnext = bt->page_blocks[b->page];
		bt->page_blocks[b->page] = b;
	}
	b->page2 = b->host2 ? ram_page_of(bt, b->host2) : UINT32_MAX;
	if (b->page2 != UINT32_MAX && b->page2 != b->page) {
		if (!bt->page_blocks[b->page2])
			shadow_set_code_page(&bt->cpu->shadow, b->page2 << 12, true);
		b->pnext2 = bt->page_blocks[b->page2];
		bt->page_blocks[b->page2] = b;
	}
}

static void patch_jump(struct bt *bt, struct bt_exit *x, const uint8_t *xtarget)
{
	uint8_t *w = x->jmp_field - (bt->xbase - bt->wbase);
	e_patch_rel32(w, x->jmp_field, xtarget);
}

static void chain(struct bt *bt, struct bt_exit *x, struct bt_block *to)
{
	patch_jump(bt, x, x->host_flags ? to->code : to->code_mem);
	x->to = to;
	x->next_in = to->in;
	to->in = x;
	bt->stats.chained++;
}

/* Take a block out of use: no lookup finds it, no jump leads to it.  Its
 * code stays in the buffer until the next flush (it may be running). */
static void unlink_block(struct bt *bt, struct bt_block *b)
{
	if (!b->valid)
		return;
	b->valid = false;
	struct bt_block **pp = &bt->hash[hash_of(b->host, b->eip)];
	while (*pp && *pp != b)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = b->hnext;
	for (struct bt_exit *x = b->in; x; x = x->next_in) {
		patch_jump(bt, x, x->stub);
		x->to = NULL;
		bt->stats.unchained++;
	}
	b->in = NULL;
	/* its own chained exits: drop them from their targets' lists */
	for (unsigned i = 0; i < b->nexit; i++) {
		struct bt_exit *x = &b->exit[i];
		if (!x->to)
			continue;
		struct bt_exit **xp = &x->to->in;
		while (*xp && *xp != x)
			xp = &(*xp)->next_in;
		if (*xp)
			*xp = x->next_in;
		x->to = NULL;
	}
	bt->stats.invalidated++;
}

/* mem->code_write: a guest or DMA write reached a page with translations */
static void code_write(void *opaque, uint32_t pa, unsigned len)
{
	struct bt *bt = opaque;
	uint32_t first = pa >> 12, last = (pa + (len ? len - 1 : 0)) >> 12;
	for (uint32_t pg = first; pg <= last && pg < bt->npages; pg++) {
		struct bt_block *b = bt->page_blocks[pg];
		if (!b)
			continue;
		for (; b; b = b->page == pg ? b->pnext : b->pnext2)
			unlink_block(bt, b);
		bt->page_blocks[pg] = NULL;
		shadow_set_code_page(&bt->cpu->shadow, pg << 12, false);
		cpu_request(bt->cpu, CPU_REQ_SMC);
	}
}

static void free_blocks(struct bt *bt)
{
	struct bt_block *b = bt->all;
	while (b) {
		struct bt_block *next = b->all_next;
		free(b->insns);
		free(b->undef_at);
		free(b->slow);
		free(b);
		b = next;
	}
	bt->all = NULL;
	if (bt->sites)
		memset(bt->sites, 0, bt->capsites * sizeof(*bt->sites));
	bt->nsites = 0;
	memset(bt->hash, 0, sizeof(bt->hash));
	memset(bt->jc, 0, BT_JC_SIZE * sizeof(*bt->jc));
	for (uint32_t pg = 0; pg < bt->npages; pg++) {
		if (bt->page_blocks[pg]) {
			bt->page_blocks[pg] = NULL;
			shadow_set_code_page(&bt->cpu->shadow, pg << 12, false);
		}
	}
}

/* ---- window access sites ---- */

static uint32_t site_hash(uint32_t pc, uint32_t cap)
{
	return (pc * 0x9e3779b1u) & (cap - 1);
}

static void site_put(struct bt_site *t, uint32_t cap, struct bt_site s)
{
	uint32_t i = site_hash(s.pc, cap);
	while (t[i].pc && t[i].pc != s.pc)
		i = (i + 1) & (cap - 1);
	t[i] = s;
}

void bt_site_add(struct bt *bt, const uint8_t *site, const uint8_t *stub, bool logged)
{
	if (2 * (bt->nsites + 1) > bt->capsites) {
		uint32_t cap = bt->capsites ? bt->capsites * 2 : 4096;
		struct bt_site *t = calloc(cap, sizeof(*t));
		if (!t) {
			fprintf(stderr, "shade86: out of memory in the translator\n");
			abort();
		}
		for (uint32_t i = 0; i < bt->capsites; i++)
			if (bt->sites[i].pc)
				site_put(t, cap, bt->sites[i]);
		free(bt->sites);
		bt->sites = t;
		bt->capsites = cap;
	}
	struct bt_site s = { (uint32_t)(site - bt->xbase),
			     (uint32_t)(stub - bt->xbase) | (logged ? BT_SITE_LOGGED : 0) };
	site_put(bt->sites, bt->capsites, s);
	bt->nsites++;
}

/* (called from the signal handler: no allocation, no locks) */
const struct bt_site *bt_site_find(const struct bt *bt, uintptr_t pc)
{
	uintptr_t x = (uintptr_t)bt->xbase;
	if (!bt->capsites || pc <= x || pc - x >= bt->size)
		return NULL;
	uint32_t off = (uint32_t)(pc - x);
	for (uint32_t i = site_hash(off, bt->capsites); bt->sites[i].pc; i = (i + 1) & (bt->capsites - 1))
		if (bt->sites[i].pc == off)
			return &bt->sites[i];
	return NULL;
}

void bt_flush(struct cpu *cpu)
{
	struct bt *bt = cpu->bt;
	if (!bt)
		return;
	free_blocks(bt);
	bt->used = bt->fixed_len;
	bt->stats.flushes++;
}

static void map_changed(void *opaque)
{
	struct bt *bt = opaque;
	if (bt->prev_map_changed)
		bt->prev_map_changed(bt->prev_map_opaque);
	/* ROM and RAM pages may have swapped under code addresses: start over.
	 * This runs from a handler inside translated code at most (a PAM write
	 * through port I/O): blocks are unlinked now, their memory is kept. */
	for (struct bt_block *b = bt->all; b; b = b->all_next)
		unlink_block(bt, b);
	for (uint32_t pg = 0; pg < bt->npages; pg++) {
		if (bt->page_blocks[pg]) {
			bt->page_blocks[pg] = NULL;
			shadow_set_code_page(&bt->cpu->shadow, pg << 12, false);
		}
	}
	cpu_request(bt->cpu, CPU_REQ_SMC);
}

/* ---- the run loop ---- */

/* Can translated code run the CPU in its present state? */
static bool translatable(const struct cpu *cpu)
{
	return (cpu->cr0 & CPU_CR0_PE) && !(cpu->eflags & (F_VM | F_TF)) &&
	       (cpu->seg[S_CS].attr & SA_DB) && !cpu->trace && !cpu->shadow.check;
}

/* After an instruction that may have changed the mode, at the end of its
 * block (SYSENTER, IRET, INT, far transfers ...): the next block from the
 * jump cache, checked against the CPU's state now (mode, CS base, the
 * page's mapping), so that translated code goes on without the dispatcher;
 * cpu->bt_desc = its entry with the flags in memory, or NULL.  Requests,
 * interrupts and the budget are the block's entry checks'. */
void bt_next_block(struct cpu *cpu, const struct insn *unused)
{
	struct bt *bt = cpu->bt;
	const struct seg *cs = &cpu->seg[S_CS];
	(void)unused;
	cpu->bt_desc = NULL;
	if (cpu->halted || cpu->inhibit || !translatable(cpu) || cpu->eip > cs->limit)
		return;
	uint32_t lin = cs->base + cpu->eip;
	const struct bt_jc_entry *j = &bt->jc[bt_jc_index(lin)];
	if (j->lin != lin || j->cs_base != cs->base || !j->block || !j->block->valid ||
	    j->mode != bt_mode_of(cpu))
		return;
	intptr_t e = bt_fetch_entry(cpu, lin);
	if (!e || e != j->entry)
		return;
	bt->stats.next_found++;
	cpu->bt_desc = j->block->code_mem;
}

/* A handler asked translated code to stop: when it only wrote code (the
 * jump cache checks that blocks are still valid) or changed a segment's
 * shape (bt_next_block checks the mode), the next block may follow at once */
void bt_next_after_request(struct cpu *cpu, const struct insn *unused)
{
	struct bt *bt = cpu->bt;
	cpu->bt_desc = NULL;
	if (bt->opt.lockstep || (cpu->exit_req & (CPU_REQ_STOP | CPU_REQ_RESET)))
		return;
	if (cpu->exit_req & CPU_REQ_SMC) {
		bt->stats.smc_exits++;
		cpu_clear_request(cpu, CPU_REQ_SMC);
	}
	cpu_clear_request(cpu, CPU_REQ_MODE);
	bt_next_block(cpu, unused);
}

/* The block for CS:EIP, translated if need be; NULL: interpret. */
static struct bt_block *find_block(struct bt *bt)
{
	struct cpu *cpu = bt->cpu;
	const struct seg *cs = &cpu->seg[S_CS];
	if (cpu->eip > cs->limit)
		return NULL;
	uint32_t lin = cs->base + cpu->eip;
	const uint8_t *host = lin_fetch_ptr(cpu, lin);   /* may raise #PF */
	if (!host)
		return NULL;   /* code in MMIO: interpret */
	uint32_t to_limit = cs->limit - cpu->eip;
	uint32_t to_page = 0xfff - (lin & 0xfff);
	unsigned winlen = 1 + (to_limit < to_page ? to_limit : to_page);
	uint32_t mode = bt_mode_of(cpu);
	struct bt_block *b = lookup(bt, host, cpu->eip, cs->base, mode);
	if (b)
		goto found;
	/* the next page's bytes, for a last instruction that crosses into it
	 * (if the shadow maps them now: no fault before the instruction runs) */
	const uint8_t *host2 = NULL;
	uint32_t lin2 = (lin | 0xfff) + 1;
	if (to_page < to_limit && lin2) {
		intptr_t e2 = bt_fetch_entry(cpu, lin2);
		if (e2)
			host2 = shadow_entry_host(e2, lin2);
		else {
			/* the first instruction crosses: fetch the next page as the
			 * interpreter would (a #PF here is the instruction's) */
			struct insn first;
			if (decode_buf(&first, true, host, winlen) == DEC_FETCH)
				host2 = lin_fetch_ptr(cpu, lin2);
		}
	}
	b = bt_translate(bt, host, winlen, host2);
	if (!b && bt->used >= bt->size) {
		bt_flush(cpu);
		b = bt_translate(bt, host, winlen, host2);
	}
	if (b)
		insert(bt, b);
found:
	if (b) {
		struct bt_jc_entry *j = &bt->jc[bt_jc_index(lin)];
		/* the entry that maps lin to host now (a fast one: lin_fetch_ptr
		 * filled it), or one no table holds */
		intptr_t e = bt_fetch_entry(cpu, lin);
		if (!e || shadow_entry_host(e, lin) != host)
			e = -1;
		*j = (struct bt_jc_entry){ lin, mode, cs->base, 0, e, b };
		bt->stats.jc_fills++;
	}
	return b;
}

static enum cpu_exit interpret_one(struct bt *bt)
{
	bt->stats.insns_interp++;
	enum cpu_exit ex = cpu_run_interp(bt->cpu, 1);
	return ex == CPU_EXIT_COUNT ? CPU_EXIT_NONE : ex;
}

static enum cpu_exit bt_run(struct cpu *cpu, uint64_t max)
{
	struct bt *bt = cpu->bt;
	jmp_buf jb;
	jmp_buf *outer = cpu->unwind;
	enter_fn *enter = (enter_fn *)(void *)bt->enter;
	volatile uint64_t limit = cpu->icount + max;
	enum cpu_exit ex = CPU_EXIT_NONE;
	struct bt_exit *volatile from = NULL;

	/* user code: its context may have earned its window (mmu/window.h) */
	if (cpu->cpl == 3 && !bt->ls_failed)
		win_tick(&cpu->shadow);
	if (cpu->shadow.win_on && cpu->shadow.cur)
		win_switched(&cpu->shadow);
	cpu->unwind = &jb;
	if (setjmp(jb)) {
		/* a fault in a handler called from translated code (or in the
		 * lookup's fetch): the state is the interpreter's at the
		 * faulting instruction */
		from = NULL;
		if (bt->ls && lockstep_fault(bt))
			goto stop;
		ex = cpu_fault(cpu);
		if (ex != CPU_EXIT_NONE)
			goto out;
	}
	while (cpu->icount < limit) {
		if (cpu->exit_req & CPU_REQ_MODE)
			cpu_clear_request(cpu, CPU_REQ_MODE);
		if (cpu->exit_req & CPU_REQ_SMC) {
			bt->stats.smc_exits++;
			cpu_clear_request(cpu, CPU_REQ_SMC);
		}
		if (cpu->exit_req & CPU_REQ_KICK) {
			/* the host wants control back (cpu.h) */
			cpu_clear_request(cpu, CPU_REQ_KICK);
			ex = CPU_EXIT_NONE;
			goto out;
		}
		ex = cpu_pending_exit(cpu);
		if (ex == CPU_EXIT_RESET || ex == CPU_EXIT_STOP)
			goto out;
		cpu->ex_esp = cpu->r[R_ESP];
		cpu->ex_eflags = cpu->eflags;
		if (cpu_accept_interrupt(cpu)) {
			from = NULL;
			continue;
		}
		if (cpu->halted) {
			ex = CPU_EXIT_HLT;
			goto out;
		}
		/* SHADE86_BT_WINDOWS=0: every user context gets its window at once */
		if (cpu->cpl == 3 && !cpu->shadow.win_hot)
			win_tick(&cpu->shadow);
		uint64_t flushes = bt->stats.flushes;
		struct bt_block *b = translatable(cpu) ? find_block(bt) : NULL;
		if (bt->stats.flushes != flushes)
			from = NULL;   /* its block is gone */
		/* a block that would pass the limit: its instructions one by one,
		 * unless the limit only slices time (cpu->soft_limit) */
		if (!b || (limit - cpu->icount < b->ninsn && !cpu->soft_limit)) {
			if (b)
				bt->stats.interp_nofit++;
			else
				bt->stats.interp_mode++;
			from = NULL;
			ex = interpret_one(bt);
			if (ex != CPU_EXIT_NONE)
				goto out;
			continue;
		}
		/* chain only within one guest page: the mapping that led here
		 * from the dispatcher's lookup is the one the jump relies on */
		if (from && !from->to && from->from->valid && from->from->mode == b->mode &&
		    ((uintptr_t)from->from->host >> 12) == ((uintptr_t)b->host >> 12) &&
		    ((from->from->cs_base + from->from->eip) >> 12) == ((b->cs_base + b->eip) >> 12))
			chain(bt, from, b);
		cpu->icount_limit = limit;
		uint64_t left = limit - cpu->icount;
		left = left > b->ninsn ? left - b->ninsn : 0;
		cpu->bt_left = left < (1ull << 31) ? (int64_t)left : (int64_t)1 << 31;
		update_exit_mask(cpu);
		bt->stats.enters++;
		uint64_t before = cpu->icount;
		if (bt->ls) {
			if (lockstep_block(bt, b))
				goto stop;
			from = NULL;
		} else {
			from = enter(cpu, b->code_nocheck);
			if ((uintptr_t)from >= 4096) {
				bt->stats.back_direct++;
			} else {
				bt->stats.back[(uintptr_t)from % 6]++;
				from = NULL;
			}
		}
		bt->stats.insns_translated += cpu->icount - before;
		ex = cpu_pending_exit(cpu);
		if (ex == CPU_EXIT_RESET || ex == CPU_EXIT_STOP)
			goto out;
	}
	ex = CPU_EXIT_COUNT;
	goto out;
stop:
	cpu_request(cpu, CPU_REQ_STOP);
	ex = CPU_EXIT_STOP;
out:
	cpu->unwind = outer;
	return ex;
}

/* ---- attach ---- */

int bt_attach(struct cpu *cpu, const struct bt_options *opt, char *err, size_t errlen)
{
	struct bt *bt = calloc(1, sizeof(*bt));
	if (!bt) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	bt->cpu = cpu;
	if (opt)
		bt->opt = *opt;
	bt->size = bt->opt.code_size ? bt->opt.code_size : BT_DEFAULT_CODE_SIZE;
	/* W^X: one writable and one executable view of the same pages: a memfd
	 * mapped twice, or (where a file size limit refuses the memfd, as under
	 * ulimit -f) a shared anonymous mapping aliased with mremap */
	struct rlimit fsize;
	bool fits = getrlimit(RLIMIT_FSIZE, &fsize) || fsize.rlim_cur == RLIM_INFINITY || fsize.rlim_cur >= bt->size;
	bt->memfd = fits ? memfd_create("shade86-code", MFD_CLOEXEC) : -1;
	if (bt->memfd >= 0 && ftruncate(bt->memfd, (off_t)bt->size) == 0) {
		bt->wbase = mmap(NULL, bt->size, PROT_READ | PROT_WRITE, MAP_SHARED, bt->memfd, 0);
		bt->xbase = mmap(NULL, bt->size, PROT_READ | PROT_EXEC, MAP_SHARED, bt->memfd, 0);
	} else {
		if (bt->memfd >= 0)
			close(bt->memfd);
		bt->memfd = -1;
		bt->wbase = mmap(NULL, bt->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		bt->xbase = bt->wbase == MAP_FAILED ? MAP_FAILED : mremap(bt->wbase, 0, bt->size, MREMAP_MAYMOVE);
		if (bt->xbase != MAP_FAILED && mprotect(bt->xbase, bt->size, PROT_READ | PROT_EXEC)) {
			munmap(bt->xbase, bt->size);
			bt->xbase = MAP_FAILED;
		}
	}
	if (bt->wbase == MAP_FAILED || bt->xbase == MAP_FAILED) {
		snprintf(err, errlen, "code buffer: %s", strerror(errno));
		goto fail;
	}
	bt->jc = calloc(BT_JC_SIZE, sizeof(*bt->jc));
	if (!bt->jc) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	bt->npages = cpu->mem->ram_size >> 12;
	bt->page_blocks = calloc(bt->npages ? bt->npages : 1, sizeof(*bt->page_blocks));
	if (!bt->page_blocks) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (bt->opt.lockstep && lockstep_init(bt)) {
		snprintf(err, errlen, "lockstep: out of memory");
		goto fail;
	}
	bt->ff_lookup = __builtin_cpu_supports("bmi2") && !getenv("SHADE86_BT_NO_BMI2");
	unsigned ea, eb, ec, ed;
	bt->lahf = __get_cpuid(0x80000001u, &ea, &eb, &ec, &ed) && (ec & 1);   /* LAHF-SAHF in 64-bit mode */
	/* windows for hot user contexts; SHADE86_BT_WINDOWS=off, or =N: a
	 * context is hot after N slices in user code (WIN_HOT_DEFAULT) */
	const char *wenv = getenv("SHADE86_BT_WINDOWS");
	if (bt->ff_lookup && !(wenv && !strcmp(wenv, "off")))
		win_enable(&cpu->shadow, cpu->mem->ram_fd, wenv ? (uint32_t)strtoul(wenv, NULL, 10) : WIN_HOT_DEFAULT);
	if (bt->opt.count_execs)
		bt->handler_runs = calloc(OP_COUNT, sizeof(*bt->handler_runs));
	emit_fixed(bt);
	const char *dump = getenv("SHADE86_BT_DUMP");
	if (dump && !(bt->dump = fopen(dump, "wb")))
		fprintf(stderr, "shade86: SHADE86_BT_DUMP: cannot create %s\n", dump);
	cpu->mem->code_write = code_write;
	cpu->mem->code_opaque = bt;
	bt->prev_map_changed = cpu->mem->map_changed;
	bt->prev_map_opaque = cpu->mem->map_opaque;
	cpu->mem->map_changed = map_changed;
	cpu->mem->map_opaque = bt;
	cpu->bt = bt;
	cpu->engine = bt_run;
	bt_crash_watch(bt);
	return 0;
fail:
	if (bt->wbase && bt->wbase != MAP_FAILED)
		munmap(bt->wbase, bt->size);
	if (bt->xbase && bt->xbase != MAP_FAILED)
		munmap(bt->xbase, bt->size);
	if (bt->memfd >= 0)
		close(bt->memfd);
	free(bt->page_blocks);
	free(bt->jc);
	free(bt);
	return -1;
}

void bt_detach(struct cpu *cpu)
{
	struct bt *bt = cpu->bt;
	if (!bt)
		return;
	bt_crash_unwatch(bt);
	free_blocks(bt);
	win_free(&cpu->shadow);
	free(bt->sites);
	cpu->mem->code_write = NULL;
	cpu->mem->map_changed = bt->prev_map_changed;
	cpu->mem->map_opaque = bt->prev_map_opaque;
	munmap(bt->wbase, bt->size);
	munmap(bt->xbase, bt->size);
	if (bt->memfd >= 0)
		close(bt->memfd);
	lockstep_free(bt);
	free(bt->handler_runs);
	if (bt->dump)
		fclose(bt->dump);
	free(bt->page_blocks);
	free(bt->jc);
	free(bt);
	cpu->bt = NULL;
	cpu->engine = NULL;
}

const struct bt_stats *bt_get_stats(const struct cpu *cpu)
{
	return cpu->bt ? &cpu->bt->stats : NULL;
}

const char *bt_lockstep_failure(const struct cpu *cpu)
{
	return cpu->bt && cpu->bt->ls_failed ? cpu->bt->ls_report : NULL;
}

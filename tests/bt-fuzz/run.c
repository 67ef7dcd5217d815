/* bt-fuzz: the three machines, the three runs of a case, and their
 * comparison (see bt-fuzz.h). */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bt/bt.h"
#include "cpu/interp.h"
#include "devices/testmachine.h"
#include "bt-fuzz.h"

/* ------------------------------------------------------------ machines */

/* The fuzz device: sixteen byte registers behind an MMIO page (reads have no
 * side effects: a page walk may read them) and four ports (reads count). */
struct fuzzdev {
	uint8_t reg[16];
	uint32_t reads, writes;
};

static uint32_t dev_mmio_read(void *opaque, uint32_t addr, unsigned size)
{
	const struct fuzzdev *d = opaque;
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)d->reg[(addr + i) & 15] << (8 * i);
	return v;
}

static void dev_mmio_write(void *opaque, uint32_t addr, uint32_t v, unsigned size)
{
	struct fuzzdev *d = opaque;
	for (unsigned i = 0; i < size; i++)
		d->reg[(addr + i) & 15] = (uint8_t)(v >> (8 * i));
	d->writes++;
}

static uint32_t dev_port_read(void *opaque, uint32_t port, unsigned size)
{
	struct fuzzdev *d = opaque;
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)(uint8_t)(d->reg[(port + i) & 15] ^ d->reads) << (8 * i);
	d->reads++;
	return v;
}

static void dev_port_write(void *opaque, uint32_t port, uint32_t v, unsigned size)
{
	struct fuzzdev *d = opaque;
	for (unsigned i = 0; i < size; i++)
		d->reg[(port + i) & 15] ^= (uint8_t)(v >> (8 * i));
	d->writes++;
}

enum engine { E_LOCKSTEP, E_BT, E_INTERP, E_COUNT };

struct fmachine {
	struct testmachine tm;
	struct fuzzdev dev;
	enum engine eng;
};

static struct fmachine mach[E_COUNT];

static void attach(struct fmachine *m)
{
	if (m->eng == E_INTERP)
		return;
	struct bt_options o = { .code_size = 4u << 20, .lockstep = m->eng == E_LOCKSTEP };
	char err[200];
	if (bt_attach(&m->tm.cpu, &o, err, sizeof(err)))
		die("the translator cannot start", err);
}

static void machine_init(struct fmachine *m, enum engine eng, const uint8_t *rom, uint32_t rom_len)
{
	m->eng = eng;
	if (testmachine_init(&m->tm, RAM_SIZE, rom, rom_len, NULL, 0, NULL))
		die("test machine", m->tm.error);
	if (mem_map_mmio(&m->tm.mem, DEV_MMIO, 0x1000, dev_mmio_read, dev_mmio_write, &m->dev, "fuzz device",
			 MEM_WALL) ||
	    io_register(&m->tm.mem, DEV_PORT, 4, dev_port_read, dev_port_write, &m->dev, "fuzz device", MEM_WALL))
		die("fuzz device", m->tm.mem.error);
	attach(m);
}

/* Put the machine in the case's initial state.  Translations, shadow page
 * tables and page-table tracing are all dropped, so that nothing the last
 * case left behind changes how this one runs. */
static void machine_reset(struct fmachine *m, const struct tcase *tc)
{
	struct cpu *c = &m->tm.cpu;
	if (c->bt && bt_lockstep_failure(c)) {
		bt_detach(c);   /* the failure is sticky: a fresh translator */
		attach(m);
	} else if (c->bt) {
		bt_flush(c);
	}
	memcpy(m->tm.mem.ram, tc->img, RAM_SIZE);
	memset(m->tm.mem.page_flags, 0, RAM_SIZE >> 12);
	cpu_reset(c);
	cpu_set_cr4(c, tc->cr4);
	cpu_set_cr3(c, PD_ADDR);
	cpu_set_cr0(c, tc->cr0);
	c->gdtr = (struct dtr){ GDT_ADDR, GDT_LIMIT };
	c->idtr = (struct dtr){ IDT_ADDR, 256 * 8 - 1 };
	for (int s = 0; s < 6; s++) {
		uint16_t sel = tc->sel[s];
		if (sel & ~3u) {
			seg_from_descriptor(&c->seg[s], sel, get32(tc->img, GDT_ADDR + (sel & ~7u)),
					    get32(tc->img, GDT_ADDR + (sel & ~7u) + 4));
		} else {
			memset(&c->seg[s], 0, sizeof(c->seg[s]));
			c->seg[s].sel = sel;
		}
	}
	seg_from_descriptor(&c->tr, SEL_TSS, get32(tc->img, GDT_ADDR + SEL_TSS), get32(tc->img, GDT_ADDR + SEL_TSS + 4));
	memset(&c->ldtr, 0, sizeof(c->ldtr));   /* null: no LDT */
	c->cpl = tc->cpl;
	c->eflags = tc->eflags;
	memcpy(c->r, tc->r, sizeof(c->r));
	c->eip = tc->code_at;
	memcpy(&c->fpu, &tc->fpu, sizeof(c->fpu));
	memcpy(m->dev.reg, tc->dev, sizeof(m->dev.reg));
	m->dev.reads = m->dev.writes = 0;
	m->tm.exit.written = false;
	m->tm.exit.status = 0;
	m->tm.shutdown.matched = 0;
	m->tm.shutdown.off = false;
	m->tm.post80.last = m->tm.post190.last = 0;
}

/* ------------------------------------------------------------ running */

const char *const taint_names[T_COUNT] = {
	"", "undefined flag read", "undefined result", "stale code mapping", "REP into code", "code unseen",
	"frame not found",
};

#define CODE_MAPS 16
#define FRAME_BYTES 64

/* The bytes of EFLAGS images in memory (RAM, or the device's registers)
 * whose undefined flags are not compared: those the exceptions delivered
 * on the way pushed */
struct frame {
	unsigned n;
	uint32_t pa[FRAME_BYTES];
	uint8_t mask[FRAME_BYTES];
	uint8_t devmask[16];
};

/* what the interpreted run saw on the way */
struct track {
	uint32_t undef;                 /* arithmetic flags possibly undefined now */
	enum taint taint;
	bool rep;                       /* a REP string instruction ran */
	uint32_t lpage[CODE_MAPS], ppage[CODE_MAPS];   /* code pages run from, their mapping */
	unsigned nmaps;
	uint8_t exec[RAM_SIZE >> 15];   /* physical pages run from (bits) */
	unsigned fault_op;              /* the row that raised the first exception, OP_COUNT none */
	bool ended;                     /* the terminator ran */
	struct frame frame;
};

static void taint(struct track *t, enum taint why)
{
	if (!t->taint)
		t->taint = why;
}

/* The instruction at CS:EIP, read without side effects (a probing walk, RAM
 * and ROM only); false if it cannot be known that way.  *pa0: the physical
 * address of its first byte, or ~0. */
static bool peek(struct cpu *c, struct insn *in, uint32_t *pa0)
{
	const struct seg *cs = &c->seg[S_CS];
	uint8_t buf[15];
	unsigned n = 0;
	uint32_t page = 1, pa = 0;
	*pa0 = 0xffffffffu;
	for (; n < 15; n++) {
		uint32_t off = c->eip + n;
		if (!(cs->attr & SA_DB))
			off &= 0xffff;
		if (off > cs->limit)
			break;
		uint32_t lin = cs->base + off;
		if ((lin & ~0xfffu) != page) {
			page = lin & ~0xfffu;
			pa = lin_to_phys(c, page, ACC_EXEC | ACC_NOFAULT);
			if (pa == 0xffffffffu)
				break;
		}
		if (n == 0)
			*pa0 = pa + (lin & 0xfff);
		const uint8_t *p = mem_read_ptr(c->mem, pa + (lin & 0xfff));
		if (!p)
			break;
		buf[n] = *p;
	}
	return decode_buf(in, (cs->attr & SA_DB) != 0, buf, n) == DEC_OK;
}

static bool exec_page(const struct track *t, uint32_t pa)
{
	return pa < RAM_SIZE && (t->exec[pa >> 15] >> ((pa >> 12) & 7) & 1);
}

/* Instruction fetch from linear page lin maps to pa (~0: faults): a code
 * page whose mapping is not what it was when code last ran from it */
static void check_mapping(struct track *t, uint32_t lin, uint32_t pa)
{
	uint32_t lp = lin & ~0xfffu, pp = pa & ~0xfffu;
	for (unsigned i = 0; i < t->nmaps; i++) {
		if (t->lpage[i] == lp) {
			if (pa == 0xffffffffu || t->ppage[i] != pp)
				taint(t, T_STALE);
			t->ppage[i] = pp;
			return;
		}
	}
	if (pa == 0xffffffffu)
		return;
	unsigned i = t->nmaps < CODE_MAPS ? t->nmaps++ : CODE_MAPS - 1;
	t->lpage[i] = lp;
	t->ppage[i] = pp;
	if (pa < RAM_SIZE)
		t->exec[pa >> 15] |= (uint8_t)(1u << ((pa >> 12) & 7));
}

/* What an instruction about to run makes of the comparison */
static void check_insn(struct cpu *c, struct track *t, const struct insn *in)
{
	unsigned op = in->op;
	if (flags_read(op) & t->undef)
		taint(t, T_FLAGS);
	if ((op == op_SHLD_EvGvIb || op == op_SHRD_EvGvIb || op == op_SHLD_EvGvCL || op == op_SHRD_EvGvCL) &&
	    in->osize == 2) {
		unsigned count = (op == op_SHLD_EvGvIb || op == op_SHRD_EvGvIb ? in->imm : c->r[R_ECX]) & 31;
		if (count > 16)
			taint(t, T_RESULT);
	}
	bool writes = op == op_MOVSB || op == op_MOVSW || op == op_MOVSD || op == op_STOSB || op == op_STOSW ||
		      op == op_STOSD || op == op_INSB || op == op_INSW || op == op_INSD;
	if (in->rep && writes) {
		uint32_t off = in->asize == 2 ? c->r[R_EDI] & 0xffff : c->r[R_EDI];
		uint32_t pa = lin_to_phys(c, c->seg[S_ES].base + off, ACC_WRITE | ACC_NOFAULT);
		if (pa != 0xffffffffu && exec_page(t, pa))
			taint(t, T_REPCODE);
	}
}

static bool has_error_code(unsigned v)
{
	return v == EX_DF || (v >= EX_TS && v <= EX_PF) || v == EX_AC;
}

/* An exception was delivered: where its frame's EFLAGS image is (at the
 * handler's ESP, past the error code, EIP and CS; in real mode past IP and
 * CS), with the flags undefined
 * now.  A handler that is not one of the stubs (the guest rewrote a gate),
 * a frame no longer mapped, or more frames than are kept make the case
 * unjudgeable. */
static void note_frame(struct cpu *c, struct track *t)
{
	struct frame *f = &t->frame;
	uint32_t v = c->eip - STUB_BASE, lin;
	unsigned size = 4;
	if (!t->undef)
		return;
	if (!(c->cr0 & CPU_CR0_PE)) {
		/* real mode (the guest cleared PE): FLAGS, CS, IP words */
		lin = c->seg[S_SS].base + ((c->r[R_ESP] + 4) & 0xffff);
		size = 2;
	} else if (c->cpl != 0 || v >= 256) {
		taint(t, T_FRAMES);
		return;
	} else {
		lin = c->seg[S_SS].base + c->r[R_ESP] + (has_error_code(v) ? 4 : 0) + 8;
	}
	for (unsigned k = 0; k < size; k++) {
		uint32_t pa = lin_to_phys(c, lin + k, ACC_READ | ACC_NOFAULT);
		uint8_t mask = (uint8_t)(t->undef >> (8 * k));
		if (!mask)
			continue;
		if (pa == 0xffffffffu) {
			taint(t, T_FRAMES);   /* the frame unmapped itself (it overwrote a paging entry) */
		} else if (pa >= DEV_MMIO && pa < DEV_MMIO + 0x1000) {
			f->devmask[(pa - DEV_MMIO) & 15] |= mask;
		} else if (f->n < FRAME_BYTES) {
			f->pa[f->n] = pa;
			f->mask[f->n++] = mask;
		} else {
			taint(t, T_FRAMES);
		}
	}
}

/* The interpreter, one instruction at a time up to BUDGET retired, keeping
 * track of what makes the comparison unfair (struct track) */
static enum cpu_exit run_interp(struct cpu *c, struct track *t, uint32_t end_eip)
{
	enum cpu_exit ex = CPU_EXIT_COUNT;
	memset(t, 0, sizeof(*t));
	t->fault_op = OP_COUNT + 1;
	for (unsigned steps = 0; c->icount < BUDGET && steps < 4 * BUDGET; steps++) {
		struct insn in;
		uint32_t pa0 = 0xffffffffu;
		bool was_halted = c->halted;
		bool known = !was_halted && peek(c, &in, &pa0);
		if (!was_halted)
			check_mapping(t, c->seg[S_CS].base + c->eip, pa0);
		if (known)
			check_insn(c, t, &in);
		uint64_t before = c->icount;
		uint32_t eip = c->eip;
		ex = cpu_run_interp(c, 1);
		if (c->icount == before && !was_halted && t->fault_op > OP_COUNT)
			t->fault_op = known ? in.op : OP_COUNT;
		if (c->icount != before && eip == end_eip && t->fault_op > OP_COUNT)
			t->ended = true;
		if (c->icount == before && !was_halted && ex != CPU_EXIT_TRIPLE_FAULT)
			note_frame(c, t);   /* an exception was delivered */
		if (c->icount != before) {
			if (!known) {
				taint(t, T_UNSEEN);   /* code in MMIO */
			} else {
				t->undef = flags_after(in.op, t->undef);
				if (in.rep && (opinfo[in.op].attr & A_STRING))
					t->rep = true;
			}
		}
		if (ex != CPU_EXIT_COUNT)
			break;
	}
	return ex;
}

/* A translator run to BUDGET retired instructions (faults are not counted) */
static enum cpu_exit run_engine(struct cpu *c)
{
	enum cpu_exit ex = CPU_EXIT_COUNT;
	for (unsigned k = 0; k < 4 * BUDGET && c->icount < BUDGET; k++) {
		ex = cpu_run(c, BUDGET - c->icount);
		if (ex != CPU_EXIT_COUNT)
			break;
	}
	return ex;
}

/* ------------------------------------------------------------ comparing */

static const char *const reg_names[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };
static const char *const seg_names[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };

const char *exit_name(enum cpu_exit ex)
{
	static const char *const n[] = { "running", "halted", "triple fault", "reset", "stopped", "budget" };
	return (unsigned)ex < sizeof n / sizeof n[0] ? n[ex] : "?";
}

/* a run that used up its budget on a HLT has halted all the same */
static enum cpu_exit normal_exit(enum cpu_exit ex, const struct cpu *c)
{
	return ex == CPU_EXIT_COUNT && c->halted ? CPU_EXIT_HLT : ex;
}

#define DIFF(cond, ...) do { if (cond) { snprintf(out, outlen, __VA_ARGS__); return true; } } while (0)

static bool seg_differs(char *out, size_t outlen, const char *name, const struct seg *a, const struct seg *b)
{
	DIFF(a->sel != b->sel || a->valid != b->valid || a->base != b->base || a->limit != b->limit || a->attr != b->attr,
	     "%s: %04x base %08x limit %08x attr %04x%s, %04x base %08x limit %08x attr %04x%s", name, a->sel,
	     a->base, a->limit, a->attr, a->valid ? "" : " (null)", b->sel, b->base, b->limit, b->attr,
	     b->valid ? "" : " (null)");
	return false;
}

/* The first difference between two machines' final states (the flags in
 * undef and the frame's image of them excepted), or false */
static bool diff_machines(char *out, size_t outlen, const struct fmachine *ma, enum cpu_exit exa,
			  const struct fmachine *mb, enum cpu_exit exb, uint32_t undef, const struct frame *fr)
{
	const struct cpu *a = &ma->tm.cpu, *b = &mb->tm.cpu;
	exa = normal_exit(exa, a);
	exb = normal_exit(exb, b);
	DIFF(exa != exb, "run ended: %s, %s", exit_name(exa), exit_name(exb));
	DIFF(a->icount != b->icount, "instructions retired: %" PRIu64 ", %" PRIu64, a->icount, b->icount);
	for (int i = 0; i < 8; i++)
		DIFF(a->r[i] != b->r[i], "%s: %08x, %08x", reg_names[i], a->r[i], b->r[i]);
	DIFF(a->eip != b->eip, "EIP: %08x, %08x", a->eip, b->eip);
	DIFF((a->eflags ^ b->eflags) & ~undef, "EFLAGS: %08x, %08x (undefined: %03x)", a->eflags, b->eflags, undef);
	for (int i = 0; i < 6; i++)
		if (seg_differs(out, outlen, seg_names[i], &a->seg[i], &b->seg[i]))
			return true;
	if (seg_differs(out, outlen, "LDTR", &a->ldtr, &b->ldtr) || seg_differs(out, outlen, "TR", &a->tr, &b->tr))
		return true;
	DIFF(a->gdtr.base != b->gdtr.base || a->gdtr.limit != b->gdtr.limit || a->idtr.base != b->idtr.base ||
	     a->idtr.limit != b->idtr.limit, "GDTR/IDTR: %08x/%x %08x/%x, %08x/%x %08x/%x", a->gdtr.base,
	     a->gdtr.limit, a->idtr.base, a->idtr.limit, b->gdtr.base, b->gdtr.limit, b->idtr.base, b->idtr.limit);
	DIFF(a->cr0 != b->cr0 || a->cr2 != b->cr2 || a->cr3 != b->cr3 || a->cr4 != b->cr4,
	     "CR0 CR2 CR3 CR4: %08x %08x %08x %08x, %08x %08x %08x %08x", a->cr0, a->cr2, a->cr3, a->cr4,
	     b->cr0, b->cr2, b->cr3, b->cr4);
	DIFF(a->cpl != b->cpl || a->halted != b->halted || a->inhibit != b->inhibit,
	     "CPL/halted/interrupt shadow: %d/%d/%d, %d/%d/%d", a->cpl, a->halted, a->inhibit, b->cpl, b->halted,
	     b->inhibit);
	for (int i = 0; i < 8; i++)
		DIFF(a->dr[i] != b->dr[i], "DR%d: %08x, %08x", i, a->dr[i], b->dr[i]);
	DIFF(a->sysenter_cs != b->sysenter_cs || a->sysenter_esp != b->sysenter_esp || a->sysenter_eip != b->sysenter_eip,
	     "SYSENTER MSRs differ");
	const struct fpu *p = &a->fpu, *q = &b->fpu;
	for (int i = 0; i < 8; i++)
		DIFF(p->st[i].mant != q->st[i].mant || p->st[i].se != q->st[i].se, "x87 R%d: %04x %016" PRIx64 ", %04x %016" PRIx64,
		     i, p->st[i].se, p->st[i].mant, q->st[i].se, q->st[i].mant);
	DIFF(p->fcw != q->fcw || p->fsw != q->fsw || p->ftw != q->ftw || p->fop != q->fop,
	     "FCW FSW FTW FOP: %04x %04x %04x %03x, %04x %04x %04x %03x", p->fcw, p->fsw, p->ftw, p->fop, q->fcw,
	     q->fsw, q->ftw, q->fop);
	DIFF(p->fip != q->fip || p->fdp != q->fdp || p->fcs != q->fcs || p->fds != q->fds,
	     "x87 pointers: %04x:%08x %04x:%08x, %04x:%08x %04x:%08x", p->fcs, p->fip, p->fds, p->fdp, q->fcs, q->fip,
	     q->fds, q->fdp);
	DIFF(p->mxcsr != q->mxcsr, "MXCSR: %08x, %08x", p->mxcsr, q->mxcsr);
	for (int i = 0; i < 8; i++)
		DIFF(memcmp(p->xmm[i], q->xmm[i], 16), "XMM%d differs", i);
	const uint8_t *ra = ma->tm.mem.ram, *rb = mb->tm.mem.ram;
	for (uint32_t page = 0; page < RAM_SIZE; page += 0x1000) {
		if (!memcmp(ra + page, rb + page, 0x1000))
			continue;
		for (uint32_t pa = page; pa < page + 0x1000; pa++) {
			uint8_t mask = 0;
			for (unsigned k = 0; fr && k < fr->n; k++)
				if (fr->pa[k] == pa)
					mask |= fr->mask[k];
			DIFF((ra[pa] ^ rb[pa]) & ~mask, "memory at physical %05x: %02x, %02x", pa, ra[pa], rb[pa]);
		}
	}
	for (int i = 0; i < 16; i++)
		DIFF((ma->dev.reg[i] ^ mb->dev.reg[i]) & ~(fr ? fr->devmask[i] : 0), "fuzz device register %d: %02x, %02x",
		     i, ma->dev.reg[i], mb->dev.reg[i]);
	DIFF(ma->dev.reads != mb->dev.reads || ma->dev.writes != mb->dev.writes,
	     "fuzz device: %u reads %u writes, %u reads %u writes", ma->dev.reads, ma->dev.writes, mb->dev.reads,
	     mb->dev.writes);
	DIFF(ma->tm.exit.written != mb->tm.exit.written || ma->tm.exit.status != mb->tm.exit.status,
	     "exit port: %d/%d, %d/%d", ma->tm.exit.written, ma->tm.exit.status, mb->tm.exit.written, mb->tm.exit.status);
	DIFF(ma->tm.post80.last != mb->tm.post80.last || ma->tm.post190.last != mb->tm.post190.last ||
	     ma->tm.shutdown.matched != mb->tm.shutdown.matched || ma->tm.shutdown.off != mb->tm.shutdown.off,
	     "POST or shutdown ports differ");
	return false;
}

/* what a crash or hang prints: the case it happened in */
static char crash_note[160];
static size_t crash_len;

void note_case(uint64_t seed, uint64_t n)
{
	crash_len = (size_t)snprintf(crash_note, sizeof crash_note,
				     "\nbt-fuzz: seed %" PRIu64 " case %" PRIu64 ": the host crashed or hung "
				     "(bt-fuzz --seed %" PRIu64 " --case %" PRIu64 " --verbose)\n", seed, n, seed, n);
	if (crash_len >= sizeof crash_note)
		crash_len = sizeof crash_note - 1;
}

static void append(struct verdict *v, const char *fmt, const char *what)
{
	size_t n = strlen(v->what);
	if (n < sizeof v->what - 1)
		snprintf(v->what + n, sizeof v->what - n, fmt, n ? "\n  " : "", what);
}

/* the terminator's address */
static uint32_t end_of(const struct tcase *tc)
{
	if (tc->raw)
		return tc->code_at + tc->nraw - (tc->cpl ? 2 : 1);
	uint32_t a = tc->code_at;
	for (unsigned i = 0; i + 1 < tc->nins; i++)
		a += tc->ins[i].len;
	return a;
}

static void run_once(const struct tcase *tc, struct verdict *v)
{
	alarm(20);
	for (int e = 0; e < E_COUNT; e++)
		machine_reset(&mach[e], tc);
	struct cpu *ci = &mach[E_INTERP].tm.cpu, *cb = &mach[E_BT].tm.cpu, *cl = &mach[E_LOCKSTEP].tm.cpu;
	struct track t;
	enum cpu_exit ex[E_COUNT];
	uint64_t skipped = bt_get_stats(cl)->lockstep_skipped;
	ex[E_INTERP] = run_interp(ci, &t, end_of(tc));
	ex[E_BT] = run_engine(cb);
	ex[E_LOCKSTEP] = run_engine(cl);
	alarm(0);

	memset(v, 0, sizeof(*v));
	v->insns = ci->icount;
	v->ex = normal_exit(ex[E_INTERP], ci);
	v->vector = ci->halted && ci->cpl == 0 && ci->eip > STUB_BASE && ci->eip <= STUB_BASE + 256 ?
		    (int)(ci->eip - 1 - STUB_BASE) : -1;
	v->undef = t.undef;
	v->taint = t.taint;
	v->fault_op = t.fault_op;
	v->ended = t.ended;
	char d[600];
	const char *ls = bt_lockstep_failure(cl);
	if (ls && !t.taint) {
		v->fail |= F_LOCKSTEP;
		append(v, "%slockstep: %s", ls);
	}
	if (!t.taint && diff_machines(d, sizeof d, &mach[E_BT], ex[E_BT], &mach[E_INTERP], ex[E_INTERP], t.undef, &t.frame)) {
		v->fail |= F_TRANSLATED;
		append(v, "%stranslated vs interpreted: %s", d);
	}
	if (!ls && !t.rep && bt_get_stats(cl)->lockstep_skipped == skipped &&
	    diff_machines(d, sizeof d, &mach[E_LOCKSTEP], ex[E_LOCKSTEP], &mach[E_INTERP], ex[E_INTERP], 0, NULL)) {
		v->fail |= F_LOCKSTEP_RUN;
		append(v, "%slockstep run vs interpreted: %s", d);
	}
}

/* Lockstep undoes the translated run's memory writes but not the Accessed
 * and Dirty bits its page walks set (mmu/walk.c writes them directly), and
 * the shadow entries those walks filled stay: a block that reads a paging
 * entry before the walk that sets its A or D bit reads it without the bit
 * translated and with it interpreted.  A lockstep failure that the same
 * case does not have with every A and D bit set from the start is that, and
 * is counted as such rather than as a mismatch. */
static bool ad_artefact(const struct tcase *tc)
{
	static struct tcase trial;
	struct verdict v;
	memcpy(&trial, tc, sizeof(trial));
	for (uint32_t a = PD_ADDR; a < PT_ADDR + 0x1000; a += 4)
		if (get32(trial.img, a) & PTE_P)
			put32(trial.img, a, get32(trial.img, a) | PTE_A | PTE_D);
	run_once(&trial, &v);
	return !(v.fail & F_LOCKSTEP) && !v.taint;
}

void run_case(const struct tcase *tc, struct verdict *v)
{
	note_case(tc->seed, tc->n);
	run_once(tc, v);
	if (v->fail == F_LOCKSTEP && ad_artefact(tc)) {
		v->fail = 0;
		v->ad_artefact = true;
	}
}

/* ------------------------------------------------------------ the host dying */

static struct sigaction old_action[32];

static void on_fatal(int sig, siginfo_t *si, void *ctx)
{
	/* translated code reaching a page its window does not map yet: the
	 * translator's handler (the old action) resolves it */
	if (bt_fault_expected(sig, si, ctx) && (old_action[sig].sa_flags & SA_SIGINFO)) {
		old_action[sig].sa_sigaction(sig, si, ctx);
		return;
	}
	ssize_t w = write(2, crash_note, crash_len);
	(void)w;
	if (sig != SIGALRM && (old_action[sig].sa_flags & SA_SIGINFO) && old_action[sig].sa_sigaction) {
		old_action[sig].sa_sigaction(sig, si, ctx);
		return;
	}
	if (sig == SIGALRM)
		_exit(1);
	signal(sig, SIG_DFL);
	raise(sig);
}

void catch_fatal(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGALRM };
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_fatal;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, &old_action[sigs[i]]);
	}
}

void machines_init(const uint8_t *rom, uint32_t rom_len)
{
	for (int e = 0; e < E_COUNT; e++)
		machine_init(&mach[e], (enum engine)e, rom, rom_len);
}

const struct bt_stats *translated_stats(void)
{
	return bt_get_stats(&mach[E_BT].tm.cpu);
}

const struct win_stats *translated_win_stats(void)
{
	const struct shadow *sh = &mach[E_BT].tm.cpu.shadow;
	return sh->win_on ? &sh->win_stats : NULL;
}

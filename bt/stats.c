/* --tc-stats: what the translator did, and the hottest blocks. */
#include <stdlib.h>

#include "../cpu/interp.h"
#include "bt_int.h"

static int by_execs(const void *a, const void *b)
{
	const struct bt_block *x = *(struct bt_block *const *)a, *y = *(struct bt_block *const *)b;
	return x->execs < y->execs ? 1 : x->execs > y->execs ? -1 : 0;
}

void bt_print_stats(struct cpu *cpu, FILE *f, unsigned hottest)
{
	struct bt *bt = cpu->bt;
	if (!bt)
		return;
	const struct bt_stats *s = &bt->stats;
	uint64_t total = s->insns_translated + s->insns_interp;
	fprintf(f, "tc-stats: blocks translated      %llu (%llu guest instructions, %.1f per block)\n",
		(unsigned long long)s->blocks, (unsigned long long)s->guest_insns,
		s->blocks ? (double)s->guest_insns / (double)s->blocks : 0.0);
	fprintf(f, "tc-stats: host code              %llu bytes (%.1f per guest instruction), buffer %zu KiB, %llu flushes\n",
		(unsigned long long)s->host_bytes,
		s->guest_insns ? (double)s->host_bytes / (double)s->guest_insns : 0.0, bt->size >> 10,
		(unsigned long long)s->flushes);
	fprintf(f, "tc-stats: translation time       %.3f ms (%.2f us per block)\n", (double)s->translate_ns / 1e6,
		s->blocks ? (double)s->translate_ns / 1e3 / (double)s->blocks : 0.0);
	fprintf(f, "tc-stats: instructions emitted   %llu as themselves, %llu through their handler\n",
		(unsigned long long)s->native_insns, (unsigned long long)s->helper_insns);
	fprintf(f, "tc-stats: chained jumps          %llu (%llu unchained again); dispatcher entries %llu\n",
		(unsigned long long)s->chained, (unsigned long long)s->unchained, (unsigned long long)s->enters);
	fprintf(f, "tc-stats: back in the dispatcher %llu from direct exits not chained, %llu at entry checks "
		"(a request, the budget), %llu from indirect branches the jump cache missed, %llu after mode "
		"changes, %llu at handlers' requests, %llu at remapped pages\n",
		(unsigned long long)s->back_direct, (unsigned long long)s->back[BT_LEAVE_CHECK],
		(unsigned long long)s->back[BT_LEAVE_INDIRECT], (unsigned long long)s->back[BT_LEAVE_ENDBLK],
		(unsigned long long)s->back[BT_LEAVE_REQUEST], (unsigned long long)s->back[BT_LEAVE_PAGE2]);
	fprintf(f, "tc-stats: after mode changes     %llu next blocks found without the dispatcher\n",
		(unsigned long long)s->next_found);
	fprintf(f, "tc-stats: interpreted steps      %llu where no block could run, %llu at the budget's end\n",
		(unsigned long long)s->interp_mode, (unsigned long long)s->interp_nofit);
	fprintf(f, "tc-stats: invalidated blocks     %llu (self-modifying code exits %llu)\n",
		(unsigned long long)s->invalidated, (unsigned long long)s->smc_exits);
	fprintf(f, "tc-stats: instructions run       %llu translated (%.2f %%), %llu interpreted\n",
		(unsigned long long)s->insns_translated, total ? 100.0 * (double)s->insns_translated / (double)total : 0.0,
		(unsigned long long)s->insns_interp);
	const struct shadow *sh = &cpu->shadow;
	if (sh->win_on) {
		const struct win_stats *w = &sh->win_stats;
		fprintf(f, "tc-stats: user windows           %llu activations, %llu host faults, %llu pages mapped, "
			"%llu unmapped, %llu made read-only, %llu resets (%llu over the budget of %u pages), %llu GS loads; "
			"%u pages mapped now\n",
			(unsigned long long)w->activations, (unsigned long long)w->faults,
			(unsigned long long)w->maps, (unsigned long long)w->unmaps,
			(unsigned long long)w->downgrades, (unsigned long long)w->resets,
			(unsigned long long)w->over_budget, sh->win_budget,
			(unsigned long long)w->gs_loads, sh->win_total);
	} else {
		fprintf(f, "tc-stats: user windows           off\n");
	}
	if (bt->opt.lockstep)
		fprintf(f, "tc-stats: lockstep               %llu blocks compared, %llu not comparable\n",
			(unsigned long long)s->lockstep_blocks, (unsigned long long)s->lockstep_skipped);
	if (bt->handler_runs) {
		/* the instructions translated code ran through their handlers, most first */
		fprintf(f, "tc-stats: handlers run most      ");
		for (unsigned k = 0; k < 12; k++) {
			unsigned best = 0, bm = 0;
			uint64_t bn = 0;
			for (unsigned op = 0; op < OP_COUNT; op++)
				for (unsigned m = 0; m < 2; m++)
					if (bt->handler_runs[op][m] > bn) {
						bn = bt->handler_runs[op][m];
						best = op;
						bm = m;
					}
			if (!bn)
				break;
			fprintf(f, "%s%s %s%s %llu", k ? ", " : "", opinfo[best].mnem, opinfo[best].operands,
				bm ? " (memory)" : "", (unsigned long long)bn);
			bt->handler_runs[best][bm] = 0;
		}
		fprintf(f, "\n");
	}
	if (!hottest || !bt->opt.count_execs)
		return;
	size_t n = 0;
	for (struct bt_block *b = bt->all; b; b = b->all_next)
		n++;
	struct bt_block **v = malloc(n * sizeof(*v));
	if (!v)
		return;
	n = 0;
	for (struct bt_block *b = bt->all; b; b = b->all_next)
		v[n++] = b;
	qsort(v, n, sizeof(*v), by_execs);
	fprintf(f, "tc-stats: hottest blocks (since the last flush)\n");
	for (size_t i = 0; i < n && i < hottest && v[i]->execs; i++) {
		struct bt_block *b = v[i];
		fprintf(f, "  #%zu  %08x  %llu runs, %u instructions%s\n", i + 1, b->cs_base + b->eip,
			(unsigned long long)b->execs, b->ninsn, b->valid ? "" : " (invalidated)");
		uint32_t eip = b->eip;
		for (unsigned k = 0; k < b->ninsn; k++) {
			const struct insn *in = &b->insns[k];
			fprintf(f, "      %08x  %s %s\n", b->cs_base + eip, opinfo[in->op].mnem, opinfo[in->op].operands);
			eip += in->len;
		}
	}
	free(v);
}

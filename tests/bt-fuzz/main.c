/* bt-fuzz: regression cases, reporting, reduction, the command line (see
 * bt-fuzz.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bt/bt.h"
#include "cpu/interp.h"
#include "bt-fuzz.h"

_Noreturn void die(const char *what, const char *why)
{
	fprintf(stderr, "bt-fuzz: %s: %s\n", what, why);
	exit(2);
}

/* ------------------------------------------------------------ reporting */

static void print_code(const struct tcase *tc)
{
	if (tc->raw) {
		printf("  code at %08x (random bytes):", tc->code_at);
		for (unsigned i = 0; i < tc->nraw; i++)
			printf(" %02x", tc->rawb[i]);
		printf("\n");
		return;
	}
	printf("  code at %08x:", tc->code_at);
	for (unsigned i = 0; i < tc->nins; i++)
		for (unsigned k = 0; k < tc->ins[i].len; k++)
			printf(" %02x", tc->ins[i].b[k]);
	printf("\n");
	uint32_t a = tc->code_at;
	for (unsigned i = 0; i < tc->nins; i++) {
		const struct ginsn *gi = &tc->ins[i];
		char hex[48] = "";
		for (unsigned k = 0; k < gi->len; k++)
			snprintf(hex + 3 * k, sizeof hex - 3 * k, "%02x ", gi->b[k]);
		printf("    %08x  %-36s %s", a, hex, gi->op < OP_COUNT ? opinfo[gi->op].name : "(invalid)");
		if (gi->target >= 0)
			printf(" -> #%d", gi->target);
		printf("\n");
		a += gi->len;
	}
}

static void print_state(const struct tcase *tc)
{
	printf("  CPL %d  EFLAGS %08x  CR0 %08x  CR4 %08x  ES %04x CS %04x SS %04x DS %04x FS %04x GS %04x\n",
	       tc->cpl, tc->eflags, tc->cr0, tc->cr4, tc->sel[0], tc->sel[1], tc->sel[2], tc->sel[3], tc->sel[4],
	       tc->sel[5]);
	printf("  EAX %08x ECX %08x EDX %08x EBX %08x ESP %08x EBP %08x ESI %08x EDI %08x\n", tc->r[0], tc->r[1],
	       tc->r[2], tc->r[3], tc->r[4], tc->r[5], tc->r[6], tc->r[7]);
	printf("  FCW %04x FSW %04x FTW %04x MXCSR %08x\n", tc->fpu.fcw, tc->fpu.fsw, tc->fpu.ftw, tc->fpu.mxcsr);
}

static void print_outcome(const struct verdict *v)
{
	printf("  interpreted: %s after %" PRIu64 " instructions", exit_name(v->ex), v->insns);
	if (v->vector >= 0)
		printf(" in the handler of vector %d", v->vector);
	printf(", undefined flags at the end %03x", v->undef);
	if (v->taint)
		printf("; not judged: %s", taint_names[v->taint]);
	if (v->ad_artefact)
		printf("; lockstep's A/D artefact");
	printf("\n");
}

/* Shrink a mismatching case: drop instructions (or bytes) while the same
 * comparisons still fail */
static void reduce(struct tcase *tc, unsigned fail)
{
	static struct tcase trial;
	struct verdict v;
	for (bool progress = true; progress;) {
		progress = false;
		unsigned n = tc->raw ? tc->nraw : tc->nins;
		for (int i = (int)n - 2 - (tc->raw && tc->cpl == 3); i >= 0; i--) {   /* never the terminator */
			memcpy(&trial, tc, sizeof(trial));
			remove_at(&trial, (unsigned)i);
			layout(&trial);
			run_case(&trial, &v);
			if (v.fail & fail) {
				memcpy(tc, &trial, sizeof(*tc));
				progress = true;
			}
		}
	}
}

/* ------------------------------------------------------------ regressions */

/* Reduced cases of bugs this program found, run before the random ones: the
 * world of the random cases, the state given here, the rest as after reset
 * (flat segments for the CPL, CR0 PE PG NE MP, CR4 OSFXSR OSXMMEXCPT, the
 * stack at its top when ESP is 0). */
static const struct regression {
	const char *what;
	int cpl;
	uint32_t eflags;
	uint32_t r[8];
	const char *code;
} regressions[] = {
	/* lockstep compared EFLAGS at a fault with the block end's mask: IMUL
	 * leaves SF ZF AF PF undefined (the host's differ from the P6's the
	 * interpreter gives), DIV's #DE leaves them so */
	{ "fault after a native form's undefined flags", 0, 0,
	  { 0x80000001, 0, 0, 1, 0, 0, 0, 0 }, "0f af c3 f7 f1" },
	/* a handler that leaves its undefined flags as they were (BT m32, r32
	 * keeps OF SF AF PF) passes the host's undefined AF and OF from SHL on */
	{ "undefined flags through a handler's FU flags", 0, 0,
	  { 0x0f, 3, 0, 0, 0, 0, 0, 0 }, "c0 e0 04 0f a3 0d 00 00 01 00" },
	/* the exit port asks for a stop: translated code ran the rest of its
	 * block (here a store) where the interpreter stops after the OUT */
	{ "stop request in the middle of a block", 0, 0,
	  { 0x12345678, 0, 0, 0, 0, 0, 0, 0 }, "e6 f4 a3 00 00 01 00" },
	{ NULL, 0, 0, { 0 }, NULL },
};

static void regression_case(struct tcase *tc, const struct regression *rg)
{
	struct rng g = { 0x7e57 };
	memset(tc, 0, offsetof(struct tcase, img));
	tc->n = (uint64_t)(rg - regressions);
	tc->cpl = rg->cpl;
	tc->code_at = CODE_PAGE;
	build_world(&g, tc);
	tc->nslots = 0;
	tc->cr0 = CPU_CR0_PE | CPU_CR0_PG | CPU_CR0_ET | CPU_CR0_NE | CPU_CR0_MP;
	tc->cr4 = CPU_CR4_OSFXSR | CPU_CR4_OSXMMEXCPT;
	tc->eflags = rg->eflags | 2;
	bool u = rg->cpl == 3;
	for (int s = 0; s < 6; s++)
		tc->sel[s] = s == S_CS ? (u ? SEL_CODE3 | 3 : SEL_CODE0) : (u ? SEL_DATA3 | 3 : SEL_DATA0);
	memcpy(tc->r, rg->r, sizeof(tc->r));
	if (!tc->r[R_ESP])
		tc->r[R_ESP] = u ? STACK3_TOP : STACK0_TOP;
	tc->fpu.fcw = 0x0040;
	tc->fpu.ftw = 0x5555;
	tc->fpu.mxcsr = 0x1f80;
	set_bytes(tc, rg->code);
}

/* ------------------------------------------------------------ main */

static struct tcase tc;
static bool verbose;
static unsigned long show = 10;

static void report(const char *label, const struct verdict *v, bool reproduce)
{
	printf("bt-fuzz: %s: MISMATCH (CPL %d)\n  %s\n", label, tc.cpl, v->what);
	print_code(&tc);
	print_outcome(v);
	if (reproduce)
		printf("  reproduce: bt-fuzz --seed %" PRIu64 " --case %" PRIu64 " --verbose --reduce\n", tc.seed, tc.n);
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, first = 0, count = 1000;
	bool do_reduce = false, one = false;
	const char *bytes = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--first") && i + 1 < argc)
			first = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--case") && i + 1 < argc) {
			first = strtoull(argv[++i], NULL, 0);
			count = 1;
			one = true;
		} else if (!strcmp(argv[i], "--show") && i + 1 < argc)
			show = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
			bytes = argv[++i];
		else if (!strcmp(argv[i], "--reduce"))
			do_reduce = true;
		else if (!strcmp(argv[i], "--verbose"))
			verbose = true;
		else {
			fprintf(stderr, "usage: bt-fuzz [--seed S] [--count N] [--first N] [--case N] [--reduce]\n"
					"               [--bytes HEX] [--show N] [--verbose]\n");
			return 2;
		}
	}
	build_classes();
	static uint8_t rom[0x10000];
	struct rng rg = { 0x5eed };
	for (unsigned i = 0; i < sizeof rom; i++)
		rom[i] = (uint8_t)rnd64(&rg);
	machines_init(rom, sizeof rom);
	catch_fatal();

	uint64_t mismatched = 0;
	struct verdict v;
	if (!one) {
		for (const struct regression *r = regressions; r->code; r++) {
			note_case(0, (uint64_t)(r - regressions));
			regression_case(&tc, r);
			run_case(&tc, &v);
			if (v.fail) {
				mismatched++;
				char label[200];
				snprintf(label, sizeof label, "regression \"%s\"", r->what);
				report(label, &v, false);
				print_state(&tc);
			}
		}
	}

	uint64_t insns = 0, ends[6] = { 0 }, vectors[257] = { 0 }, taints[T_COUNT] = { 0 }, artefacts = 0;
	uint64_t ended = 0;
	static uint64_t faults[OP_COUNT + 2];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t n = first; n < first + count; n++) {
		note_case(seed, n);
		gen_case(&tc, seed, n);
		if (bytes)
			set_bytes(&tc, bytes);
		run_case(&tc, &v);
		insns += v.insns;
		ends[v.ex < 6 ? v.ex : 0]++;
		vectors[v.vector >= 0 ? v.vector : 256]++;
		taints[v.taint]++;
		artefacts += v.ad_artefact;
		ended += v.ended;
		faults[v.fault_op]++;
		if (v.fail) {
			mismatched++;
			char label[80];
			snprintf(label, sizeof label, "seed %" PRIu64 " case %" PRIu64, seed, n);
			if (mismatched <= show || one)
				report(label, &v, true);
			if (do_reduce) {
				reduce(&tc, v.fail);
				run_case(&tc, &v);
				printf("  reduced:\n  %s\n", v.what);
				print_code(&tc);
				print_state(&tc);
				print_outcome(&v);
			}
		} else if (one && verbose) {
			printf("bt-fuzz: seed %" PRIu64 " case %" PRIu64 ": agree\n", seed, n);
			print_code(&tc);
			print_state(&tc);
			print_outcome(&v);
		}
		fflush(stdout);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (verbose) {
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("bt-fuzz: %.2f s; runs ended: %" PRIu64 " halted, %" PRIu64 " budget, %" PRIu64
		       " triple fault, %" PRIu64 " stopped\n", s, ends[CPU_EXIT_HLT], ends[CPU_EXIT_COUNT],
		       ends[CPU_EXIT_TRIPLE_FAULT], ends[CPU_EXIT_STOP]);
		printf("bt-fuzz: not judged:");
		for (unsigned i = 1; i < T_COUNT; i++)
			printf(" %s %" PRIu64 ",", taint_names[i], taints[i]);
		printf(" lockstep's A/D artefact %" PRIu64 "\n", artefacts);
		printf("bt-fuzz: %" PRIu64 " cases ran to their end without an exception; the first exception came from:",
		       ended);
		for (unsigned k = 0; k < 25; k++) {
			unsigned best = 0;
			for (unsigned i = 1; i <= OP_COUNT; i++)
				if (faults[i] > faults[best])
					best = i;
			if (!faults[best])
				break;
			printf("%s %s %" PRIu64, k ? "," : "", best < OP_COUNT ? opinfo[best].name : "(unknown)", faults[best]);
			faults[best] = 0;
		}
		printf("\n");
		printf("bt-fuzz: halted in a handler:");
		for (unsigned i = 0; i < 256; i++)
			if (vectors[i])
				printf(" %u:%" PRIu64, i, vectors[i]);
		printf("\n");
		const struct bt_stats *st = translated_stats();
		printf("bt-fuzz: translated run: %" PRIu64 " blocks, %" PRIu64 " native and %" PRIu64
		       " handler instructions translated, %" PRIu64 " chained, %" PRIu64 " interpreted\n",
		       st->blocks, st->native_insns, st->helper_insns, st->chained, st->insns_interp);
	}
	const struct win_stats *ws = translated_win_stats();
	if (ws)
		printf("bt-fuzz: user windows: %" PRIu64 " host faults, %" PRIu64 " pages mapped, %" PRIu64
		       " unmapped\n", ws->faults, ws->maps, ws->unmaps);
	printf("bt-fuzz: seed %" PRIu64 ": %" PRIu64 " cases, %" PRIu64 " instructions run, %" PRIu64 " mismatched\n",
	       seed, count, insns, mismatched);
	return mismatched ? 1 : 0;
}

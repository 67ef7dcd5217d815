/* shade86's exit statuses.  Odd values come from the guest's exit port: (v<<1)|1. */
#ifndef SHADE86_EXITCODES_H
#define SHADE86_EXITCODES_H

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 2,          /* bad command line */
	EXIT_LOAD = 4,           /* a file (ROM, image) could not be read or created */
	EXIT_TRIPLE_FAULT = 6,
	EXIT_INSN_LIMIT = 8,     /* --max-insns reached */
	EXIT_HALTED = 10,        /* HLT with nothing that could wake the CPU */
	EXIT_RESET = 12,         /* the guest asked for a reset */
	EXIT_MMU_CHECK = 14,     /* --check-mmu found a shadow entry that disagrees with the walk */
	EXIT_DISK = 16,          /* a disk image could not be written back (flush failed) */
	EXIT_TRACE = 18,         /* the trace file could not be written (disk full) */
	EXIT_LOCKSTEP = 20,      /* --check-lockstep: translated code and the interpreter disagree */
	EXIT_INTERNAL = 70,      /* a host fault: a bug in shade86, reported by bt/crash.c (EX_SOFTWARE) */
	EXIT_TIMEOUT = 124,      /* --timeout expired (the status timeout(1) uses) */
	EXIT_SIGNAL = 128,       /* + the signal number: SIGINT 130, SIGTERM 143 */
};

#endif

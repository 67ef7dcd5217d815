/*
 * The trace file format (docs/trace-format.md): constants shared by the
 * writer (cpu/trace.c, frontends/tracefile.c) and the readers
 * (frontends/trace/).  Only plain C: readers need nothing else from cpu/.
 */
#ifndef SHADE86_TRACE_FORMAT_H
#define SHADE86_TRACE_FORMAT_H

#define TRACE_MAGIC        "SHADE86T"
#define TRACE_CHUNK_MAGIC  "CHNK"
#define TRACE_MAJOR        1
#define TRACE_MINOR        0
#define TRACE_HEADER_FIXED 128u     /* file header without the state block */
#define TRACE_CHUNK_HDR    32u
#define TRACE_STATE_SIZE   552u     /* CPU state block, version 1.0 */

/* header "what" bits (and --trace-what) */
#define TRACE_W_INSN 0x01u
#define TRACE_W_REGS 0x02u
#define TRACE_W_MEM  0x04u
#define TRACE_W_IO   0x08u
#define TRACE_W_IRQ  0x10u

/* record tags */
#define TREC_INSN      0x80u   /* 0x80-0xff */
#define TREC_INSN_NEW  0x40u
#define TREC_INSN_JUMP 0x20u
#define TREC_INSN_D    0x1fu   /* delta code: d - 15, 31 = zigzag follows */
#define TREC_MEM       0x40u   /* 0x40-0x7f */
#define TREC_MEM_W     0x20u
#define TREC_MEM_SAME  0x10u
#define TREC_SYNC      0x01u
#define TREC_MODE      0x02u
#define TREC_CR        0x03u
#define TREC_REGS      0x04u
#define TREC_INTR      0x05u
#define TREC_IO        0x06u
#define TREC_STATE     0x07u
#define TREC_EVENT     0x08u

/* MODE bits */
#define TMODE_PE    0x01u
#define TMODE_VM    0x02u
#define TMODE_CODE32 0x04u
#define TMODE_PG    0x08u

/* INTR kinds */
enum { TINTR_IRQ, TINTR_NMI, TINTR_EXC, TINTR_SOFT };
/* EVENT kinds and reasons */
enum { TEV_START = 1, TEV_STOP = 2, TEV_RESET = 3 };
enum { TEVR_CMDLINE, TEVR_MAGIC, TEVR_PORT, TEVR_RESET };

/* REGS mask bits: 0-7 GPRs, 8 EFLAGS, 9-14 ES..GS */
#define TREGS_EFLAGS 8
#define TREGS_SEG0   9

/* CPU state block offsets */
#define TST_GPR      0
#define TST_EIP      32
#define TST_EFLAGS   36
#define TST_SEG      40     /* 6 x 16 bytes */
#define TST_LDTR     136
#define TST_TR       152
#define TST_GDTR     168
#define TST_IDTR     176
#define TST_CR       184    /* CR0 CR2 CR3 CR4 */
#define TST_DR       200
#define TST_CPL      232
#define TST_MODE     233
#define TST_A20      234
#define TST_HALTED   235
#define TST_ICOUNT   240
#define TST_TSC      248
#define TST_FPR      256
#define TST_FCW      384
#define TST_FSW      386
#define TST_FTW      388
#define TST_FOP      390
#define TST_FIP      392
#define TST_FDP      396
#define TST_FCS      400
#define TST_FDS      402
#define TST_MXCSR    404
#define TST_XMM      408
#define TST_SYSENTER 536

#endif

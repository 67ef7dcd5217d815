/*
 * Unit-test harness: one fresh machine (2 MiB of RAM and a CPU) per test,
 * created by the checked fixture h_setup/h_teardown.  Tests place raw
 * instruction bytes at CODE_ADDR, set registers and flags, execute exactly one
 * instruction with cpu_step and compare with what the Intel SDM defines.
 *
 * Exceptions are observed through the real interrupt machinery: every vector
 * 0..31 is routed (real-mode IVT, or protected-mode IDT interrupt gates) to a
 * handler at STUB_BASE + vector that holds a HLT.  After a step, h_vector()
 * says which vector was delivered (or -1), and h_error_code() reads the error
 * code the protected-mode delivery pushed.
 *
 * Memory map (physical = linear without paging):
 *   0x00000  real-mode IVT           0x00400  fault stubs (HLT x 32)
 *   0x00500  GDT                     0x00580  32-bit TSS (ESP0/SS0)
 *   0x00600  IDT (32 gates)          0x01000  code under test
 *   0x02000  data area               0x08000  stack top (grows down)
 *   0x0a000  ring-0 stack top (TSS)  0x10000  free for page tables etc.
 */
#ifndef SHADE86_UNIT_HARNESS_H
#define SHADE86_UNIT_HARNESS_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/interp.h"

#define RAM_SIZE   (2u << 20)
#define STUB_BASE  0x0400u
#define GDT_ADDR   0x0500u
#define TSS_ADDR   0x0580u
#define IDT_ADDR   0x0600u
#define CODE_ADDR  0x1000u
#define DATA_ADDR  0x2000u
#define STACK_TOP  0x8000u
#define STACK0_TOP 0xa000u

/* GDT selectors: flat 4 GiB segments (SYSENTER-compatible layout) */
#define SEL_CODE0 0x08
#define SEL_DATA0 0x10
#define SEL_CODE3 0x18
#define SEL_DATA3 0x20
#define SEL_TSS   0x28

struct machine {
	struct mem mem;
	struct cpu cpu;
};

/* the current test's machine (created by the fixture) */
extern struct machine *M;
#define CPU (&M->cpu)

void h_setup(void);
/* the same machine with ram_size bytes of RAM instead of RAM_SIZE (at least
 * 64 KiB: the map above must fit); replaces the current machine */
void h_setup_ram(uint32_t ram_size);
void h_teardown(void);
/* a test case with the fixture installed */
TCase *h_tcase(const char *name);

/* modes: real mode is the default after h_setup */
void h_real_mode(void);
void h_flat32(void);          /* PE, flat CS/DS/ES/FS/GS/SS with D/B, CPL 0 */
void h_flat32_user(void);     /* as h_flat32 but CS/SS/DS/ES at DPL 3, CPL 3 */

/* physical memory (little-endian) */
void h_poke(uint32_t pa, unsigned size, uint32_t v);
uint32_t h_peek(uint32_t pa, unsigned size);
void h_poke_bytes(uint32_t pa, const uint8_t *b, size_t n);

/* code: place bytes at CODE_ADDR and point (E)IP at them */
void h_code(const uint8_t *b, size_t n);
/* execute one instruction (cpu_step) */
enum cpu_exit h_step(void);
/* vector delivered by the last step, or -1 */
int h_vector(void);
/* protected mode: the error code on top of the handler's stack */
uint32_t h_error_code(void);
/* place, execute one instruction, assert no exception and that (E)IP advanced
 * by the instruction's length (not for branches) */
void h_exec(const uint8_t *b, size_t n, const char *file, int line);
/* place, execute, assert no exception (branches: the test checks EIP) */
void h_exec_branch(const uint8_t *b, size_t n, const char *file, int line);
/* place, execute, return the delivered vector (-1 if none) */
int h_exec_fault(const uint8_t *b, size_t n);

/* instruction bytes are given as an initializer list */
#define EXEC(...) do { static const uint8_t c_[] = { __VA_ARGS__ }; \
		h_exec(c_, sizeof c_, __FILE__, __LINE__); } while (0)
#define EXEC_BR(...) do { static const uint8_t c_[] = { __VA_ARGS__ }; \
		h_exec_branch(c_, sizeof c_, __FILE__, __LINE__); } while (0)
#define EXPECT_FAULT(vec, ...) do { static const uint8_t c_[] = { __VA_ARGS__ }; \
		int v_ = h_exec_fault(c_, sizeof c_); \
		ck_assert_msg(v_ == (vec), "expected vector %d, got %d", (int)(vec), v_); \
		ck_assert_msg(CPU->eip == STUB_BASE + (unsigned)(vec), "handler not entered"); } while (0)

/* comparisons printed in hex */
#define EQ(a, b) do { uint32_t a_ = (uint32_t)(a), b_ = (uint32_t)(b); \
		ck_assert_msg(a_ == b_, "%s = 0x%x, expected 0x%x", #a, a_, b_); } while (0)
#define EQ64(a, b) do { uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
		ck_assert_msg(a_ == b_, "%s = 0x%llx, expected 0x%llx", #a, \
			      (unsigned long long)a_, (unsigned long long)b_); } while (0)

/* register shorthands */
#define EAX (CPU->r[R_EAX])
#define ECX (CPU->r[R_ECX])
#define EDX (CPU->r[R_EDX])
#define EBX (CPU->r[R_EBX])
#define ESP (CPU->r[R_ESP])
#define EBP (CPU->r[R_EBP])
#define ESI (CPU->r[R_ESI])
#define EDI (CPU->r[R_EDI])
#define EIP (CPU->eip)

/* set the arithmetic flags to exactly f (bit 1 stays set) */
void h_set_flags(uint32_t f);
/* compare the flags in mask with expected; message names the flags */
void h_check_flags(uint32_t mask, uint32_t expected, const char *file, int line);
#define FLAGS(mask, expected) h_check_flags((mask), (expected), __FILE__, __LINE__)

/* Condition code cc (the low nibble of Jcc/SETcc/CMOVcc) per SDM Vol. 1
 * appendix B, table B-1, evaluated on the flags f. */
bool sdm_cond(unsigned cc, uint32_t f);
/* combination i (0..31) of OF CF ZF SF PF */
uint32_t flag_combo(unsigned i);

#endif

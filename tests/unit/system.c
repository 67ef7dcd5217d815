/*
 * System instructions: SDM Vol. 2 "CPUID", "RDTSC", "RDMSR", "WRMSR",
 * "SYSENTER", "SYSEXIT", "MOV—Move to/from Control Registers", "CLI", "STI";
 * Vol. 3 2.5 (control registers), 2.8.7 (CR4.TSD), 5.8.7 (SYSENTER/SYSEXIT).
 * The CPU model (family 6, model 13, stepping 6; cpu/cpu.h CPUID_SIGNATURE) is
 * the project's definition; the field layout is the SDM's (table 3-8, figure 3-6).
 */
#include <string.h>

#include "harness.h"
#include "suites.h"

#define MSR_SYSENTER_CS  0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

/* ---- CPUID ---- */
START_TEST(cpuid_leaf0)
{
	h_flat32();
	EAX = 0;
	EXEC(0x0f, 0xa2);                       /* cpuid */
	ck_assert_uint_ge(EAX, 2);              /* a P6 reports leaves 1 and 2 */
	char vendor[13];
	memcpy(vendor, &EBX, 4);                /* EBX, EDX, ECX in that order */
	memcpy(vendor + 4, &EDX, 4);
	memcpy(vendor + 8, &ECX, 4);
	vendor[12] = 0;
	ck_assert_str_eq(vendor, "GenuineIntel");
}
END_TEST

START_TEST(cpuid_leaf1)
{
	h_flat32();
	EAX = 1;
	EXEC(0x0f, 0xa2);                       /* cpuid */
	EQ(EAX & 0xf, 6);                       /* stepping ID, bits 3:0 */
	EQ((EAX >> 4) & 0xf, 13);               /* model, bits 7:4 */
	EQ((EAX >> 8) & 0xf, 6);                /* family ID, bits 11:8 */
	EQ((EAX >> 12) & 0x3, 0);               /* processor type: original OEM */
	EQ((EAX >> 16) & 0xf, 0);               /* extended model: 0 for model < 16 */
	EQ((EAX >> 20) & 0xff, 0);              /* extended family: only for family 15 */
	/* EDX feature flags (table 3-11) for what this CPU executes */
	EQ(EDX & (1u << 3), 1u << 3);           /* PSE: CR4.PSE 4 MiB pages */
	EQ(EDX & (1u << 4), 1u << 4);           /* TSC: RDTSC */
	EQ(EDX & (1u << 5), 1u << 5);           /* MSR: RDMSR/WRMSR */
	EQ(EDX & (1u << 8), 1u << 8);           /* CX8: CMPXCHG8B */
	EQ(EDX & (1u << 11), 1u << 11);         /* SEP: SYSENTER/SYSEXIT */
	EQ(EDX & (1u << 13), 1u << 13);         /* PGE: CR4.PGE */
	EQ(EDX & (1u << 15), 1u << 15);         /* CMOV */
	EQ(EDX & (1u << 0), 1u << 0);           /* FPU: x87 on chip */
	EQ(EDX & (1u << 19), 1u << 19);         /* CLFSH: CLFLUSH */
	EQ((EBX >> 8) & 0xff, 8);               /* CLFLUSH line size: 8 x 8 = 64 bytes */
	EQ(EDX & (1u << 23), 1u << 23);         /* MMX */
	EQ(EDX & (1u << 24), 1u << 24);         /* FXSR: FXSAVE/FXRSTOR */
	EQ(EDX & (1u << 25), 1u << 25);         /* SSE */
	EQ(EDX & (1u << 26), 1u << 26);         /* SSE2 */
	EQ(EDX & (1u << 1), 0);                 /* VME: not implemented */
	EQ(EDX & (1u << 9), 0);                 /* APIC: no local APIC yet */
	EQ(EDX & (1u << 30), 0);                /* reserved */
}
END_TEST

START_TEST(cpuid_extended)
{
	h_flat32();
	EAX = 0x80000000;
	EXEC(0x0f, 0xa2);                       /* cpuid */
	uint32_t max = EAX;
	ck_assert_uint_ge(max, 0x80000000u);    /* the highest extended leaf */
	if (max >= 0x80000004u) {
		char brand[49];
		for (unsigned i = 0; i < 3; i++) {
			EAX = 0x80000002u + i;
			EXEC(0x0f, 0xa2);
			memcpy(brand + 16 * i, &EAX, 4);
			memcpy(brand + 16 * i + 4, &EBX, 4);
			memcpy(brand + 16 * i + 8, &ECX, 4);
			memcpy(brand + 16 * i + 12, &EDX, 4);
		}
		brand[48] = 1;
		/* the brand string is NUL-terminated within its 48 bytes */
		ck_assert_ptr_nonnull(memchr(brand, 0, 48));
	}
}
END_TEST

START_TEST(cpuid_above_max_leaf)
{
	/* "If a value entered for CPUID.EAX is higher than the maximum input value
	 * for basic or extended function for that processor then the data for the
	 * highest basic information leaf is returned." */
	h_flat32();
	EAX = 0;
	EXEC(0x0f, 0xa2);                       /* cpuid: the maximum basic leaf */
	uint32_t maxb = EAX;
	EAX = maxb;
	EXEC(0x0f, 0xa2);
	uint32_t ref[4] = { EAX, EBX, ECX, EDX };
	EAX = 0x80000000;
	EXEC(0x0f, 0xa2);
	uint32_t maxe = EAX;
	uint32_t probe[2] = { 0x40, maxe + 1 };   /* above basic max, above extended max */
	for (int i = 0; i < 2; i++) {
		EAX = probe[i];
		EXEC(0x0f, 0xa2);
		ck_assert_msg(EAX == ref[0] && EBX == ref[1] && ECX == ref[2] && EDX == ref[3],
			      "CPUID leaf 0x%x: %08x %08x %08x %08x, expected leaf 0x%x: %08x %08x %08x %08x",
			      probe[i], EAX, EBX, ECX, EDX, maxb, ref[0], ref[1], ref[2], ref[3]);
	}
}
END_TEST

/* ---- RDTSC ---- */
START_TEST(rdtsc_monotonic)
{
	h_flat32();
	EXEC(0x0f, 0x31);                       /* rdtsc */
	uint64_t t1 = (uint64_t)EDX << 32 | EAX;
	EXEC(0x90);                             /* nop */
	EXEC(0x0f, 0x31);                       /* rdtsc */
	uint64_t t2 = (uint64_t)EDX << 32 | EAX;
	ck_assert_msg(t2 > t1, "TSC not increasing: %llu then %llu",
		      (unsigned long long)t1, (unsigned long long)t2);
}
END_TEST

START_TEST(rdtsc_tsd_cpl3_gp)
{
	h_flat32_user();
	CPU->cr4 |= CPU_CR4_TSD;
	EXPECT_FAULT(EX_GP, 0x0f, 0x31);        /* rdtsc: TSD = 1 and CPL > 0 */
	EQ(h_error_code(), 0);
	h_flat32();
	CPU->cr4 |= CPU_CR4_TSD;
	EXEC(0x0f, 0x31);                       /* CPL 0: allowed */
}
END_TEST

/* ---- RDMSR / WRMSR ---- */
START_TEST(msr_sysenter_roundtrip)
{
	h_flat32();
	static const uint32_t msr[3] = { MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP };
	static const uint32_t val[3] = { 0x0008, 0x00009000, 0x00003000 };
	for (int i = 0; i < 3; i++) {
		ECX = msr[i];
		EAX = val[i];
		EDX = 0;
		EXEC(0x0f, 0x30);               /* wrmsr */
	}
	for (int i = 0; i < 3; i++) {
		ECX = msr[i];
		EAX = EDX = 0xffffffff;
		EXEC(0x0f, 0x32);               /* rdmsr */
		EQ(EAX, val[i]);
		EQ(EDX, 0);
	}
}
END_TEST

/* MSRs Linux touches early on a family 6 CPU: IA32_BIOS_SIGN_ID (8Bh) reads
 * the microcode revision in EDX (0: none loaded) after a write of 0 (SDM Vol.
 * 3 9.11.7.1); IA32_MISC_ENABLE (1A0h) has fast strings (bit 0) set after
 * reset and read/write, BTS/PEBS unavailable (bits 11, 12) read 1 */
START_TEST(msr_bios_sign_id_and_misc_enable)
{
	h_flat32();
	ECX = 0x8b;
	EAX = EDX = 0;
	EXEC(0x0f, 0x30);                       /* wrmsr 8Bh, 0 */
	EAX = EDX = 0xffffffff;
	EXEC(0x0f, 0x32);
	EQ(EDX, 0);
	ECX = 0x1a0;
	EXEC(0x0f, 0x32);                       /* rdmsr 1A0h */
	EQ(EAX & 0x1801, 0x1801);
	EAX = 0;
	EDX = 0;
	EXEC(0x0f, 0x30);                       /* clear fast strings */
	EXEC(0x0f, 0x32);
	EQ(EAX & 1, 0);
	EQ(EAX & 0x1800, 0x1800);               /* read-only bits stay */
}
END_TEST

START_TEST(msr_unknown_gp)
{
	h_flat32();
	ECX = 0x12345678;                       /* not an MSR of this processor */
	EAX = 0x11;
	EDX = 0x22;
	EXPECT_FAULT(EX_GP, 0x0f, 0x32);        /* rdmsr */
	EQ(h_error_code(), 0);
	EQ(EAX, 0x11);
	EQ(EDX, 0x22);
	h_flat32();
	ECX = 0x12345678;
	EXPECT_FAULT(EX_GP, 0x0f, 0x30);        /* wrmsr */
	EQ(h_error_code(), 0);
}
END_TEST

START_TEST(msr_cpl3_gp)
{
	h_flat32_user();
	ECX = MSR_SYSENTER_CS;
	EXPECT_FAULT(EX_GP, 0x0f, 0x32);        /* rdmsr at CPL 3 */
	EQ(h_error_code(), 0);
}
END_TEST

/* ---- SYSENTER / SYSEXIT ---- */
static void check_flat(const struct seg *s, uint16_t sel, unsigned dpl, unsigned type)
{
	EQ(s->sel, sel);
	EQ(s->base, 0);
	EQ(s->limit, 0xffffffff);
	EQ(s->attr & SA_TYPE, type);
	EQ(s->attr & SA_S, SA_S);
	EQ((s->attr & SA_DPL) >> SA_DPL_SHIFT, dpl);
	EQ(s->attr & SA_P, SA_P);
	EQ(s->attr & SA_DB, SA_DB);
	EQ(s->attr & SA_G, SA_G);
}

START_TEST(sysenter_from_cpl3)
{
	h_flat32_user();
	CPU->sysenter_cs = 0x0008;
	CPU->sysenter_esp = 0x9000;
	CPU->sysenter_eip = 0x3000;
	CPU->eflags |= F_IF | F_RF;
	EXEC_BR(0x0f, 0x34);                    /* sysenter */
	EQ(EIP, 0x3000);
	EQ(ESP, 0x9000);
	EQ(CPU->cpl, 0);
	/* CS: selector from the MSR with RPL 0, flat, execute/read accessed (11), DPL 0 */
	check_flat(&CPU->seg[S_CS], 0x08, 0, 11);
	/* SS: CS + 8, flat, read/write accessed (3), DPL 0 */
	check_flat(&CPU->seg[S_SS], 0x10, 0, 3);
	EQ(CPU->eflags & (F_IF | F_RF | F_VM), 0);
}
END_TEST

START_TEST(sysenter_gp)
{
	h_flat32_user();
	CPU->sysenter_cs = 0;                   /* IA32_SYSENTER_CS[15:2] = 0: #GP(0) */
	EXPECT_FAULT(EX_GP, 0x0f, 0x34);
	EQ(h_error_code(), 0);
	EQ(CPU->seg[S_CS].sel, SEL_CODE0);      /* delivered through the IDT */
	h_real_mode();
	CPU->sysenter_cs = 0x0008;              /* real mode: #GP */
	EXPECT_FAULT(EX_GP, 0x0f, 0x34);
}
END_TEST

START_TEST(sysexit_to_cpl3)
{
	h_flat32();
	CPU->sysenter_cs = 0x0008;
	ECX = 0x7000;
	EDX = 0x4000;
	EXEC_BR(0x0f, 0x35);                    /* sysexit */
	EQ(EIP, 0x4000);
	EQ(ESP, 0x7000);
	EQ(CPU->cpl, 3);
	check_flat(&CPU->seg[S_CS], 0x08 + 16 + 3, 3, 11);
	check_flat(&CPU->seg[S_SS], 0x08 + 24 + 3, 3, 3);
}
END_TEST

START_TEST(sysexit_gp)
{
	h_flat32_user();
	CPU->sysenter_cs = 0x0008;
	EXPECT_FAULT(EX_GP, 0x0f, 0x35);        /* CPL != 0 */
	EQ(h_error_code(), 0);
	h_flat32();
	CPU->sysenter_cs = 0;
	EXPECT_FAULT(EX_GP, 0x0f, 0x35);        /* IA32_SYSENTER_CS[15:2] = 0 */
}
END_TEST

/* ---- MOV to/from control registers ---- */
START_TEST(mov_cr0)
{
	h_flat32();
	EAX = CPU_CR0_PE | CPU_CR0_WP | CPU_CR0_NE;
	EXEC(0x0f, 0x22, 0xc0);                 /* mov cr0, eax */
	EXEC(0x0f, 0x20, 0xc3);                 /* mov ebx, cr0 */
	/* ET is hardwired to 1 on P6 family processors (Vol. 3 2.5) */
	EQ(EBX, CPU_CR0_PE | CPU_CR0_WP | CPU_CR0_NE | CPU_CR0_ET);
}
END_TEST

START_TEST(mov_cr0_invalid_gp)
{
	h_flat32();
	uint32_t old = CPU->cr0;
	EAX = CPU_CR0_PG;                       /* PG = 1 with PE = 0 */
	EXPECT_FAULT(EX_GP, 0x0f, 0x22, 0xc0);
	EQ(h_error_code(), 0);
	EQ(CPU->cr0, old);
	h_flat32();
	EAX = CPU_CR0_PE | CPU_CR0_NW;          /* NW = 1 with CD = 0 */
	EXPECT_FAULT(EX_GP, 0x0f, 0x22, 0xc0);
	EQ(CPU->cr0, old);
}
END_TEST

START_TEST(mov_cr2_cr3_cr4)
{
	h_flat32();
	EAX = 0x12345678;
	EXEC(0x0f, 0x22, 0xd0);                 /* mov cr2, eax */
	EXEC(0x0f, 0x20, 0xd1);                 /* mov ecx, cr2 */
	EQ(ECX, 0x12345678);
	EAX = 0x00123000 | 0x18;                /* page directory base, PCD, PWT */
	EXEC(0x0f, 0x22, 0xd8);                 /* mov cr3, eax */
	EXEC(0x0f, 0x20, 0xda);                 /* mov edx, cr3 */
	EQ(EDX, 0x00123018);
	EAX = CPU_CR4_PSE;
	EXEC(0x0f, 0x22, 0xe0);                 /* mov cr4, eax */
	EXEC(0x0f, 0x20, 0xe6);                 /* mov esi, cr4 */
	EQ(ESI, CPU_CR4_PSE);
	EAX = 0x80000000;                       /* reserved CR4 bit: #GP(0) */
	EXPECT_FAULT(EX_GP, 0x0f, 0x22, 0xe0);
	EQ(h_error_code(), 0);
	EQ(CPU->cr4, CPU_CR4_PSE);
}
END_TEST

START_TEST(mov_cr_cpl3_gp)
{
	h_flat32_user();
	EXPECT_FAULT(EX_GP, 0x0f, 0x20, 0xc0);  /* mov eax, cr0 at CPL 3 */
	EQ(h_error_code(), 0);
	h_flat32_user();
	EXPECT_FAULT(EX_GP, 0x0f, 0x22, 0xd8);  /* mov cr3, eax at CPL 3 */
}
END_TEST

START_TEST(mov_cr1_ud)
{
	h_flat32();
	EXPECT_FAULT(EX_UD, 0x0f, 0x22, 0xc8);  /* mov cr1, eax */
	h_flat32();
	EXPECT_FAULT(EX_UD, 0x0f, 0x20, 0xe8);  /* mov eax, cr5 */
}
END_TEST

/* ---- CLI / STI: protected mode, PVI = 0: #GP(0) unless CPL <= IOPL ---- */
START_TEST(cli_sti_cpl3_iopl0_gp)
{
	h_flat32_user();
	CPU->eflags |= F_IF;
	EXPECT_FAULT(EX_GP, 0xfa);              /* cli */
	EQ(h_error_code(), 0);
	/* the frame's EFLAGS (above EIP and CS) still has IF set */
	EQ(h_peek(ESP + 12, 4) & F_IF, F_IF);
	EQ(ESP, STACK0_TOP - 24);               /* SS ESP EFLAGS CS EIP error */
	h_flat32_user();
	EXPECT_FAULT(EX_GP, 0xfb);              /* sti */
}
END_TEST

START_TEST(cli_sti_cpl3_iopl3)
{
	h_flat32_user();
	CPU->eflags |= F_IF | F_IOPL;
	EXEC(0xfa);                             /* cli */
	EQ(CPU->eflags & F_IF, 0);
	EXEC(0xfb);                             /* sti */
	EQ(CPU->eflags & F_IF, F_IF);
}
END_TEST

START_TEST(cli_sti_cpl0_and_real)
{
	h_flat32();                             /* CPL 0 <= IOPL 0 */
	CPU->eflags |= F_IF;
	EXEC(0xfa);                             /* cli */
	EQ(CPU->eflags & F_IF, 0);
	EXEC(0xfb);                             /* sti */
	EQ(CPU->eflags & F_IF, F_IF);
	h_real_mode();                          /* real mode: no IOPL check */
	EXEC(0xfb);                             /* sti */
	EQ(CPU->eflags & F_IF, F_IF);
	EXEC(0xfa);                             /* cli */
	EQ(CPU->eflags & F_IF, 0);
}
END_TEST

START_TEST(cli_cpl2_iopl1)
{
	h_flat32_user();
	CPU->cpl = 2;
	CPU->eflags |= F_IF | (1u << 12);       /* IOPL 1 < CPL 2 */
	EXPECT_FAULT(EX_GP, 0xfa);
}
END_TEST

Suite *system_suite(void)
{
	Suite *s = suite_create("system");
	TCase *tc = h_tcase("cpuid_tsc_msr");
	tcase_add_test(tc, cpuid_leaf0);
	tcase_add_test(tc, cpuid_leaf1);
	tcase_add_test(tc, cpuid_extended);
	tcase_add_test(tc, cpuid_above_max_leaf);
	tcase_add_test(tc, rdtsc_monotonic);
	tcase_add_test(tc, rdtsc_tsd_cpl3_gp);
	tcase_add_test(tc, msr_sysenter_roundtrip);
	tcase_add_test(tc, msr_unknown_gp);
	tcase_add_test(tc, msr_bios_sign_id_and_misc_enable);
	tcase_add_test(tc, msr_cpl3_gp);
	suite_add_tcase(s, tc);

	tc = h_tcase("sysenter");
	tcase_add_test(tc, sysenter_from_cpl3);
	tcase_add_test(tc, sysenter_gp);
	tcase_add_test(tc, sysexit_to_cpl3);
	tcase_add_test(tc, sysexit_gp);
	suite_add_tcase(s, tc);

	tc = h_tcase("control_registers");
	tcase_add_test(tc, mov_cr0);
	tcase_add_test(tc, mov_cr0_invalid_gp);
	tcase_add_test(tc, mov_cr2_cr3_cr4);
	tcase_add_test(tc, mov_cr_cpl3_gp);
	tcase_add_test(tc, mov_cr1_ud);
	suite_add_tcase(s, tc);

	tc = h_tcase("cli_sti");
	tcase_add_test(tc, cli_sti_cpl3_iopl0_gp);
	tcase_add_test(tc, cli_sti_cpl3_iopl3);
	tcase_add_test(tc, cli_sti_cpl0_and_real);
	tcase_add_test(tc, cli_cpl2_iopl1);
	suite_add_tcase(s, tc);
	return s;
}

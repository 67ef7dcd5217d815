/*
 * System instructions that are not about segments or tasks: control and debug
 * registers, CPUID, RDTSC/RDPMC, MSRs, SYSENTER/SYSEXIT, HLT, CLI/STI,
 * PUSHF/POPF, IN/OUT, INVLPG/INVD/WBINVD.
 */
#include "interp.h"

/* ---- control registers (SDM Vol. 3 2.5) ---- */
#define CR0_WRITABLE (CPU_CR0_PE | CPU_CR0_MP | CPU_CR0_EM | CPU_CR0_TS | CPU_CR0_NE | \
		      CPU_CR0_WP | CPU_CR0_AM | CPU_CR0_NW | CPU_CR0_CD | CPU_CR0_PG)
#define CR4_WRITABLE (CPU_CR4_TSD | CPU_CR4_PSE | CPU_CR4_PGE | CPU_CR4_PCE | \
		      CPU_CR4_OSFXSR | CPU_CR4_OSXMMEXCPT)

/* Every change of CR0, CR3 or CR4 selects the shadow context for the new
 * paging state (a cached one if the address space was seen before). */
void cpu_set_cr0(struct cpu *cpu, uint32_t v)
{
	cpu->cr0 = (v & CR0_WRITABLE) | CPU_CR0_ET;   /* ET is hardwired to 1 on a P6 */
	cpu_paging_changed(cpu);
	if (cpu->trace_rec)
		trace_cr(cpu, 0, cpu->cr0);
}

void cpu_set_cr3(struct cpu *cpu, uint32_t v)
{
	cpu->cr3 = v & 0xfffff018u;   /* PDBR, PCD, PWT */
	cpu_paging_changed(cpu);
	if (cpu->trace_rec)
		trace_cr(cpu, 3, cpu->cr3);
}

void cpu_set_cr4(struct cpu *cpu, uint32_t v)
{
	cpu->cr4 = v & CR4_WRITABLE;
	cpu_paging_changed(cpu);
	if (cpu->trace_rec)
		trace_cr(cpu, 4, cpu->cr4);
}

void h_mov_RdCd(struct cpu *cpu, const struct insn *in)
{
	uint32_t v;
	switch (INSN_REG(in)) {
	case 0: v = cpu->cr0; break;
	case 2: v = cpu->cr2; break;
	case 3: v = cpu->cr3; break;
	case 4: v = cpu->cr4; break;
	default: cpu_raise(cpu, EX_UD, -1);
	}
	cpu->r[INSN_RM(in)] = v;
}

void h_mov_CdRd(struct cpu *cpu, const struct insn *in)
{
	uint32_t v = cpu->r[INSN_RM(in)];
	switch (INSN_REG(in)) {
	case 0:
		/* PG without PE, or NW without CD: #GP(0) (SDM "MOV to/from Control Registers") */
		if (((v & CPU_CR0_PG) && !(v & CPU_CR0_PE)) || ((v & CPU_CR0_NW) && !(v & CPU_CR0_CD)))
			cpu_raise(cpu, EX_GP, 0);
		cpu_set_cr0(cpu, v);
		break;
	case 2:
		cpu->cr2 = v;
		break;
	case 3:
		cpu_set_cr3(cpu, v);
		break;
	case 4:
		if (v & ~(uint32_t)CR4_WRITABLE)
			cpu_raise(cpu, EX_GP, 0);
		cpu_set_cr4(cpu, v);
		break;
	default:
		cpu_raise(cpu, EX_UD, -1);
	}
}

/* Debug registers: stored and read back; breakpoints are not implemented yet.
 * DR4/DR5 alias DR6/DR7 unless CR4.DE (which this CPU does not offer). */
void h_mov_RdDd(struct cpu *cpu, const struct insn *in)
{
	unsigned r = INSN_REG(in);
	if (r == 4 || r == 5)
		r += 2;
	cpu->r[INSN_RM(in)] = cpu->dr[r];
}

void h_mov_DdRd(struct cpu *cpu, const struct insn *in)
{
	unsigned r = INSN_REG(in);
	uint32_t v = cpu->r[INSN_RM(in)];
	if (r == 4 || r == 5)
		r += 2;
	if (r == 6)
		v = (v & 0x0000e00fu) | 0xffff0ff0u;
	else if (r == 7)
		v = (v & 0xffff2fffu) | 0x400u;
	cpu->dr[r] = v;
}

/* ---- CPUID ---- */
/* EDX of leaf 1 (SDM Vol. 2 "CPUID", table 3-11): FPU, PSE, TSC, MSR, CX8,
 * SEP, PGE, CMOV, CLFSH, MMX, FXSR, SSE, SSE2: exactly what executes.  Not
 * offered: VME, DE (breakpoints), PAE, MCE, APIC (until the APIC exists),
 * MTRR, MCA, PAT, PSE-36, DS, ACPI, SS, HTT, TM, PBE. */
#define CPUID_EDX_FEATURES ((1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 8) | \
			    (1u << 11) | (1u << 13) | (1u << 15) | (1u << 19) | (1u << 23) | \
			    (1u << 24) | (1u << 25) | (1u << 26))
/* EBX of leaf 1: CLFLUSH line size in 8-byte units (bits 15:8): 64 bytes */
#define CPUID_EBX_LEAF1 (8u << 8)

static uint32_t str4(const char *s)
{
	return (uint32_t)(uint8_t)s[0] | (uint32_t)(uint8_t)s[1] << 8 |
	       (uint32_t)(uint8_t)s[2] << 16 | (uint32_t)(uint8_t)s[3] << 24;
}

void cpu_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t out[4])
{
	static const char brand[48] = "shade86 virtual P6 CPU";
	(void)cpu;
	out[0] = out[1] = out[2] = out[3] = 0;
	if (leaf >= 0x80000000u) {
		if (leaf == 0x80000000u) {
			out[0] = 0x80000004u;
		} else if (leaf >= 0x80000002u && leaf <= 0x80000004u) {
			const char *b = brand + 16 * (leaf - 0x80000002u);
			for (int i = 0; i < 4; i++)
				out[i] = str4(b + 4 * i);
		} else if (leaf > 0x80000004u) {
			/* above the highest extended leaf: the highest basic leaf (SDM "CPUID") */
			cpu_cpuid(cpu, 2, out);
		}
		return;
	}
	switch (leaf) {
	case 0:
		out[0] = 2;
		out[1] = str4("Genu");
		out[3] = str4("ineI");
		out[2] = str4("ntel");
		break;
	case 1:
		out[0] = CPUID_SIGNATURE;
		out[1] = CPUID_EBX_LEAF1;
		out[3] = CPUID_EDX_FEATURES;
		break;
	case 2:
		/* one iteration; descriptors: 0x2c 32K L1D, 0x30 32K L1I, 0x7d 2M L2 */
		out[0] = 0x00000001u;
		out[3] = 0x002c307du;
		break;
	default:
		/* leaves above the maximum return the highest basic leaf (P6 behaviour) */
		cpu_cpuid(cpu, 2, out);
		break;
	}
}

void h_cpuid(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	uint32_t o[4];
	cpu_cpuid(cpu, cpu->r[R_EAX], o);
	cpu->r[R_EAX] = o[0];
	cpu->r[R_EBX] = o[1];
	cpu->r[R_ECX] = o[2];
	cpu->r[R_EDX] = o[3];
}

/* ---- time stamp counter, performance counters, MSRs ---- */
void h_rdtsc(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	if ((cpu->cr4 & CPU_CR4_TSD) && cpu->cpl != 0)
		cpu_raise(cpu, EX_GP, 0);
	uint64_t tsc = cpu_read_tsc(cpu);
	cpu->r[R_EAX] = (uint32_t)tsc;
	cpu->r[R_EDX] = (uint32_t)(tsc >> 32);
}

void h_rdpmc(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	if ((!(cpu->cr4 & CPU_CR4_PCE) && cpu->cpl != 0) || cpu->r[R_ECX] > 1)
		cpu_raise(cpu, EX_GP, 0);
	cpu->r[R_EAX] = 0;   /* counters exist but count nothing */
	cpu->r[R_EDX] = 0;
}

enum {
	MSR_TSC = 0x10, MSR_APIC_BASE = 0x1b, MSR_SYSENTER_CS = 0x174,
	MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176,
	MSR_BIOS_UPDT_TRIG = 0x79, MSR_BIOS_SIGN_ID = 0x8b, MSR_MISC_ENABLE = 0x1a0,
};

/* IA32_MISC_ENABLE (SDM Vol. 4, table 2-2 and the Pentium M table): bit 0
 * fast-string enable (read/write, set at reset); bits 11 and 12 read 1: no
 * branch trace store, no PEBS.  The other bits (thermal monitor, SpeedStep,
 * MONITOR) describe features this CPU does not have and read 0. */
#define MISC_ENABLE_FAST_STRING 0x1ull
#define MISC_ENABLE_RO (0x800ull | 0x1000ull)

void h_rdmsr(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	uint64_t v;
	switch (cpu->r[R_ECX]) {
	case MSR_TSC: v = cpu_read_tsc(cpu); break;
	/* the microcode update signature (SDM Vol. 3 9.11.7): high dword is the
	 * loaded update's revision, 0 = none */
	case MSR_BIOS_SIGN_ID: v = 0; break;
	case MSR_MISC_ENABLE: v = cpu->misc_enable | MISC_ENABLE_RO; break;
	case MSR_APIC_BASE: v = cpu->apic_base; break;
	case MSR_SYSENTER_CS: v = cpu->sysenter_cs; break;
	case MSR_SYSENTER_ESP: v = cpu->sysenter_esp; break;
	case MSR_SYSENTER_EIP: v = cpu->sysenter_eip; break;
	default: cpu_raise(cpu, EX_GP, 0);
	}
	cpu->r[R_EAX] = (uint32_t)v;
	cpu->r[R_EDX] = (uint32_t)(v >> 32);
}

void h_wrmsr(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	uint64_t v = (uint64_t)cpu->r[R_EDX] << 32 | cpu->r[R_EAX];
	switch (cpu->r[R_ECX]) {
	case MSR_TSC:
		v &= 0xffffffffull;   /* P6: writes set the low 32 bits, the high ones are cleared */
		cpu->tsc_offset = v - (cpu->tsc_clock ? cpu->tsc_clock(cpu->tsc_opaque) : cpu->icount);
		break;
	case MSR_MISC_ENABLE:
		cpu->misc_enable = v & MISC_ENABLE_FAST_STRING;
		break;
	case MSR_BIOS_SIGN_ID:   /* software writes 0 before CPUID to read the signature back */
	case MSR_BIOS_UPDT_TRIG: /* a microcode update: accepted, nothing is loaded */
		break;
	case MSR_APIC_BASE:
		/* bits 8 (BSP), 11 (enable), 12-35 base; reserved bits: #GP */
		if (v & ~0xfffff900ull)
			cpu_raise(cpu, EX_GP, 0);
		cpu->apic_base = v;
		break;
	case MSR_SYSENTER_CS: cpu->sysenter_cs = (uint32_t)v; break;
	case MSR_SYSENTER_ESP: cpu->sysenter_esp = (uint32_t)v; break;
	case MSR_SYSENTER_EIP: cpu->sysenter_eip = (uint32_t)v; break;
	default: cpu_raise(cpu, EX_GP, 0);
	}
}

/* ---- SYSENTER / SYSEXIT (SDM Vol. 2 "SYSENTER", "SYSEXIT") ---- */
static void flat_seg(struct seg *s, uint16_t sel, unsigned dpl, bool code)
{
	s->sel = sel;
	s->valid = 1;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->attr = SA_P | SA_S | SA_DB | SA_G | (dpl << SA_DPL_SHIFT) | (code ? 0xb : 0x3);
}

void h_sysenter(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	if (!cpu_protected(cpu) || !(cpu->sysenter_cs & 0xfffc))
		cpu_raise(cpu, EX_GP, 0);
	cpu->eflags &= ~(F_VM | F_IF | F_RF);
	flat_seg(&cpu->seg[S_CS], (uint16_t)(cpu->sysenter_cs & 0xfffc), 0, true);
	flat_seg(&cpu->seg[S_SS], (uint16_t)((cpu->sysenter_cs + 8) & 0xfffc), 0, false);
	cpu->cpl = 0;
	cpu->r[R_ESP] = cpu->sysenter_esp;
	cpu->next_eip = cpu->sysenter_eip;
}

void h_sysexit(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	if (!cpu_protected(cpu) || !(cpu->sysenter_cs & 0xfffc) || cpu->cpl != 0 || cpu_v86(cpu))
		cpu_raise(cpu, EX_GP, 0);
	flat_seg(&cpu->seg[S_CS], (uint16_t)((cpu->sysenter_cs + 16) | 3), 3, true);
	flat_seg(&cpu->seg[S_SS], (uint16_t)((cpu->sysenter_cs + 24) | 3), 3, false);
	cpu->cpl = 3;
	cpu->r[R_ESP] = cpu->r[R_ECX];
	cpu->next_eip = cpu->r[R_EDX];
}

/* ---- HLT, CLI/STI, PUSHF/POPF ---- */
void h_hlt(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	cpu->halted = true;
}

static unsigned iopl(const struct cpu *cpu)
{
	return (cpu->eflags & F_IOPL) >> 12;
}

/* CLI/STI: IOPL-sensitive in protected and v86 mode (no PVI/VME) */
void h_cli(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	if (cpu_protected(cpu) && cpu->cpl > (int)iopl(cpu))
		cpu_raise(cpu, EX_GP, 0);
	cpu->eflags &= ~F_IF;
}

void h_sti(struct cpu *cpu, const struct insn *in)
{
	(void)in;
	if (cpu_protected(cpu) && cpu->cpl > (int)iopl(cpu))
		cpu_raise(cpu, EX_GP, 0);
	if (!(cpu->eflags & F_IF))
		cpu->inhibit = 1;   /* interrupts stay blocked for one more instruction */
	cpu->eflags |= F_IF;
}

void h_pushf(struct cpu *cpu, const struct insn *in)
{
	if (cpu_v86(cpu) && iopl(cpu) < 3)
		cpu_raise(cpu, EX_GP, 0);
	/* VM and RF are cleared in the pushed image */
	push(cpu, in->osize, cpu_get_eflags(cpu) & ~(F_VM | F_RF));
}

void h_popf(struct cpu *cpu, const struct insn *in)
{
	if (cpu_v86(cpu) && iopl(cpu) < 3)
		cpu_raise(cpu, EX_GP, 0);
	uint32_t v = pop(cpu, in->osize);
	uint32_t mask = F_ALL & ~(F_VM | F_RF | F_VIP | F_VIF);
	if (in->osize == 2)
		mask &= 0xffff;
	cpu_set_eflags(cpu, v, mask);
}

/* ---- port I/O ---- */
void h_in_Ib(struct cpu *cpu, const struct insn *in)
{
	unsigned s = (in->opc & 1) ? in->osize : 1;
	io_check(cpu, (uint16_t)in->imm, s);
	reg_write(cpu, R_EAX, s, cpu_io_in(cpu, (uint16_t)in->imm, s));
}

void h_in_DX(struct cpu *cpu, const struct insn *in)
{
	unsigned s = (in->opc & 1) ? in->osize : 1;
	uint16_t port = (uint16_t)cpu->r[R_EDX];
	io_check(cpu, port, s);
	reg_write(cpu, R_EAX, s, cpu_io_in(cpu, port, s));
}

void h_out_Ib(struct cpu *cpu, const struct insn *in)
{
	unsigned s = (in->opc & 1) ? in->osize : 1;
	io_check(cpu, (uint16_t)in->imm, s);
	cpu_io_out(cpu, (uint16_t)in->imm, cpu->r[R_EAX] & size_mask(s), s);
}

void h_out_DX(struct cpu *cpu, const struct insn *in)
{
	unsigned s = (in->opc & 1) ? in->osize : 1;
	uint16_t port = (uint16_t)cpu->r[R_EDX];
	io_check(cpu, port, s);
	cpu_io_out(cpu, port, cpu->r[R_EAX] & size_mask(s), s);
}

/* ---- caches and TLB: nothing is cached yet ---- */
/* INVLPG: the shadow tables are coherent by tracing, so this only has to drop
 * the page from the current context, as a TLB would */
void h_invlpg(struct cpu *cpu, const struct insn *in)
{
	uint32_t off = ea_offset(cpu, in);
	shadow_invlpg(&cpu->shadow, cpu->seg[in->seg].base + off);
}

void h_invd(struct cpu *cpu, const struct insn *in)
{
	(void)cpu;
	(void)in;
}

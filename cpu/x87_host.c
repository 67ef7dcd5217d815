/*
 * Running one x87 instruction on the host FPU: see x87_host.h and x87.c.
 *
 * The instruction bytes come from a table of stubs assembled here, one for
 * every escape opcode (D8-DF) and ModRM byte: the 64 memory forms
 * address [RDI], and the 8 x 64 register forms are the guest's own bytes.
 * A stub is  ENDBR64; <x87 instruction>; RET; INT3  (8 bytes), at
 *   shade86_x87_stubs + 8 * ((opc & 7) * 72 + (mod == 3 ? 8 + (modrm & 63) : reg)).
 * Encodings the decoder rejects are never called.
 */
#include <stddef.h>

#include "x87_host.h"

#if !defined(__x86_64__)
#error "the x87 is executed on the host's FPU: an x86-64 host is required"
#endif

__asm__(
	"\t.pushsection .text\n"
	"\t.balign 16\n"
	"\t.globl shade86_x87_stubs\n"
	"\t.hidden shade86_x87_stubs\n"
	"shade86_x87_stubs:\n"
	"\t.irp opc,0xd8,0xd9,0xda,0xdb,0xdc,0xdd,0xde,0xdf\n"
	"\t.irp reg,0,1,2,3,4,5,6,7\n"
	"\t.byte 0xf3,0x0f,0x1e,0xfa,\\opc,(\\reg << 3) | 7,0xc3,0xcc\n"
	"\t.endr\n"
	"\t.set shade86_x87_m, 0xc0\n"
	"\t.rept 64\n"
	"\t.byte 0xf3,0x0f,0x1e,0xfa,\\opc,shade86_x87_m,0xc3,0xcc\n"
	"\t.set shade86_x87_m, shade86_x87_m + 1\n"
	"\t.endr\n"
	"\t.endr\n"
	"\t.popsection\n");

extern const unsigned char shade86_x87_stubs[];

struct host_call {
	struct x87_host_img img;
	uint16_t host_cw;
	uint64_t flags;
};

uint32_t x87_host_exec(struct x87_host_img *img, uint8_t opc, uint8_t modrm, void *mem,
		       uint32_t eflags)
{
	struct host_call hc __attribute__((aligned(16)));
	unsigned idx = (opc & 7u) * 72u + (modrm >= 0xc0 ? 8u + (modrm & 63u) : (modrm >> 3) & 7u);
	const unsigned char *stub = shade86_x87_stubs + 8 * idx;

	hc.img = *img;
	/* IF stays as it is (POPF cannot change it at CPL 3), DF and TF clear */
	hc.flags = 0x202u | (eflags & 0x45u);
	/* the stack pointer moves below the red zone for PUSHF/POPF and the call */
	__asm__ volatile(
		"fnstcw %c[cw](%[hc])\n\t"
		"lea -128(%%rsp), %%rsp\n\t"
		"push %c[fl](%[hc])\n\t"
		"popfq\n\t"
		"frstor (%[hc])\n\t"
		"call *%[stub]\n\t"
		"fnsave (%[hc])\n\t"
		"pushfq\n\t"
		"pop %c[fl](%[hc])\n\t"
		"lea 128(%%rsp), %%rsp\n\t"
		"fldcw %c[cw](%[hc])\n\t"
		:
		: [hc] "r"(&hc), [stub] "r"(stub), "D"(mem),
		  [cw] "i"(offsetof(struct host_call, host_cw)),
		  [fl] "i"(offsetof(struct host_call, flags))
		: "memory", "cc");
	*img = hc.img;
	return (uint32_t)hc.flags;
}

void x87_host_fast(struct x87_fast_call *fc, uint8_t opc, uint8_t modrm, void *mem,
		   unsigned nin, unsigned nout, int use_flags)
{
	unsigned idx = (opc & 7u) * 72u + (modrm >= 0xc0 ? 8u + (modrm & 63u) : (modrm >> 3) & 7u);
	const unsigned char *stub = shade86_x87_stubs + 8 * idx;

	if (use_flags)
		fc->flags = 0x202u | (fc->flags & 0x45u);
	/* FLDCW only when the guest's control word differs from the host's */
	__asm__ volatile(
		"fnstcw %c[hcw](%[fc])\n\t"
		"movzwl %c[hcw](%[fc]), %%eax\n\t"
		"cmpw %c[gcw](%[fc]), %%ax\n\t"
		"je 1f\n\t"
		"fldcw %c[gcw](%[fc])\n"
		"1:\n\t"
		"fnclex\n\t"
		"cmpl $2, %[nin]\n\t"
		"jb 2f\n\t"
		"fldt 16(%[fc])\n"
		"2:\n\t"
		"cmpl $1, %[nin]\n\t"
		"jb 3f\n\t"
		"fldt (%[fc])\n"
		"3:\n\t"
		"lea -128(%%rsp), %%rsp\n\t"
		"testl %[uf], %[uf]\n\t"
		"jz 4f\n\t"
		"push %c[fl](%[fc])\n\t"
		"popfq\n\t"
		"call *%[stub]\n\t"
		"pushfq\n\t"
		"pop %c[fl](%[fc])\n\t"
		"jmp 5f\n"
		"4:\n\t"
		"call *%[stub]\n"
		"5:\n\t"
		"lea 128(%%rsp), %%rsp\n\t"
		"fnstsw %c[sw](%[fc])\n\t"
		"cmpl $1, %[nout]\n\t"
		"jb 6f\n\t"
		"fstpt (%[fc])\n\t"
		"cmpl $2, %[nout]\n\t"
		"jb 6f\n\t"
		"fstpt 16(%[fc])\n"
		"6:\n\t"
		"movzwl %c[hcw](%[fc]), %%eax\n\t"
		"cmpw %c[gcw](%[fc]), %%ax\n\t"
		"je 7f\n\t"
		"fldcw %c[hcw](%[fc])\n"
		"7:\n\t"
		:
		: [fc] "r"(fc), [stub] "r"(stub), "D"(mem), [nin] "r"(nin), [nout] "r"(nout),
		  [uf] "r"(use_flags),
		  [hcw] "i"(offsetof(struct x87_fast_call, hcw)),
		  [gcw] "i"(offsetof(struct x87_fast_call, gcw)),
		  [sw] "i"(offsetof(struct x87_fast_call, sw)),
		  [fl] "i"(offsetof(struct x87_fast_call, flags))
		: "memory", "cc", "rax");
}

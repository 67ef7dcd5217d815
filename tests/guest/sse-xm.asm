; sse-xm: availability and exceptions of MMX, SSE and SSE2.
;
; Checks (SDM Vol. 3 2.5 and table 2-2 "Action Taken By x87 FPU Instructions
; for Different Combinations of EM, MP, and TS"; Vol. 3 13.1.3/13.2; Vol. 1
; 11.5; Vol. 2 the "Exceptions" of each instruction):
;  - CR4.OSFXSR = 0: SSE/SSE2 instructions (ADDPS, LDMXCSR, 66 0F FC PADDB)
;    are #UD; MMX instructions and FXSAVE work
;  - a masked divide-by-zero gives +inf and sets ZE
;  - an unmasked divide-by-zero with CR4.OSXMMEXCPT = 1: #XM (19), the
;    destination unchanged, ZE set; with CR4.OSXMMEXCPT = 0: #UD
;  - packed: pre-computation exceptions win: an unmasked #Z in one lane and
;    an inexact result in another set ZE only
;  - CR0.TS = 1: #NM for SSE, MMX, LDMXCSR, FXSAVE; CR0.EM = 1: #UD for SSE
;    and MMX (before #NM when TS is set too), #NM for FXSAVE/FXRSTOR;
;    MOVNTI, CLFLUSH, the fences and PREFETCHh ignore EM and TS
;  - 16-byte alignment: MOVAPS and ADDPS with a misaligned m128 are #GP(0);
;    MOVUPS and the scalar ADDSS are not; LDMXCSR with a reserved bit #GP(0)
;  - a pending unmasked x87 exception (CR0.NE = 1): MMX instructions and
;    EMMS raise #MF, SSE instructions do not
	bits 16
%include "common.inc"
%include "pm.inc"
	cpu willamette
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
gdt_template_end:

DATA      equ 0x30000          ; 16-byte aligned scratch area
ONE       equ DATA + 0x00      ; 1.0f
ZERO      equ DATA + 0x04      ; 0.0f
TMP       equ DATA + 0x08
CSR_MASK  equ DATA + 0x0c      ; 1F80h: all masked
CSR_ZM    equ DATA + 0x10      ; 1D80h: divide-by-zero unmasked
CSR_BAD   equ DATA + 0x14      ; a reserved bit
CW_ZM     equ DATA + 0x18      ; x87 control word with ZM clear
VEC1      equ DATA + 0x20      ; 1.0 1.0 1.0 1.0
VEC2      equ DATA + 0x30      ; 3.0 0.0 1.0 1.0
ALIGNED   equ DATA + 0x40
BUF       equ DATA + 0x200     ; FXSAVE area

	bits 32
main32:
	PM_SEGS
	PRINT "sse-xm: "
	mov dword [ONE], 0x3f800000
	mov dword [ZERO], 0
	mov dword [CSR_MASK], 0x1f80
	mov dword [CSR_ZM], 0x1d80
	mov dword [CSR_BAD], 0x11f80
	mov word [CW_ZM], 0x037b
	mov eax, 0x3f800000
	mov [VEC1], eax
	mov [VEC1 + 4], eax
	mov [VEC1 + 8], eax
	mov [VEC1 + 12], eax
	mov dword [VEC2], 0x40400000
	mov dword [VEC2 + 4], 0
	mov [VEC2 + 8], eax
	mov [VEC2 + 12], eax
	mov eax, cr0                    ; #MF by CR0.NE, no TS/EM
	and eax, ~0xc
	or eax, 0x20
	mov cr0, eax

	; ---- CR4.OSFXSR = 0 ----
	mov eax, cr4
	EQ eax, 0
	EXPECT 6, -1, addps xmm0, xmm1
	EXPECT 6, -1, ldmxcsr [CSR_MASK]
	EXPECT 6, -1, paddb xmm0, xmm1
	paddb mm0, mm1
	emms
	fxsave [BUF]

	; ---- OSFXSR and OSXMMEXCPT ----
	mov eax, 0x600
	mov cr4, eax
	ldmxcsr [CSR_MASK]
	movss xmm0, [ONE]
	movss xmm1, [ZERO]
	divss xmm0, xmm1
	movd eax, xmm0
	EQ eax, 0x7f800000
	stmxcsr [TMP]
	EQ dword [TMP], 0x1f84

	ldmxcsr [CSR_ZM]
	movss xmm0, [ONE]
	EXPECT 19, -1, divss xmm0, xmm1
	movd eax, xmm0
	EQ eax, 0x3f800000
	stmxcsr [TMP]
	EQ dword [TMP], 0x1d84

	; lane 0: 1/3 inexact (masked), lane 1: 1/0 (unmasked): only ZE
	ldmxcsr [CSR_ZM]
	movaps xmm2, [VEC1]
	EXPECT 19, -1, divps xmm2, [VEC2]
	stmxcsr [TMP]
	EQ dword [TMP], 0x1d84
	movd eax, xmm2
	EQ eax, 0x3f800000

	; the same with CR4.OSXMMEXCPT = 0: #UD
	mov eax, 0x200
	mov cr4, eax
	ldmxcsr [CSR_ZM]
	EXPECT 6, -1, divss xmm0, xmm1
	stmxcsr [TMP]
	EQ dword [TMP], 0x1d84
	mov eax, 0x600
	mov cr4, eax
	ldmxcsr [CSR_MASK]

	; ---- CR0.TS and CR0.EM ----
	mov eax, cr0
	or eax, 8                       ; TS
	mov cr0, eax
	EXPECT 7, -1, addps xmm0, xmm1
	EXPECT 7, -1, paddb mm0, mm1
	EXPECT 7, -1, ldmxcsr [CSR_MASK]
	EXPECT 7, -1, fxsave [BUF]
	or eax, 4                       ; EM and TS
	mov cr0, eax
	EXPECT 6, -1, addps xmm0, xmm1
	EXPECT 6, -1, paddb mm0, mm1
	EXPECT 6, -1, emms
	EXPECT 7, -1, fxsave [BUF]
	and eax, ~8                     ; EM only
	mov cr0, eax
	EXPECT 6, -1, movq mm0, mm1
	EXPECT 6, -1, movdqa xmm0, xmm1
	EXPECT 7, -1, fxrstor [BUF]
	or eax, 8
	mov cr0, eax
	movnti [TMP], eax               ; no FPU/SSE state: no checks
	sfence
	lfence
	mfence
	prefetchnta [TMP]
	prefetcht0 [TMP]
	clflush [TMP]
	EQ dword [TMP], eax
	and eax, ~0xc
	mov cr0, eax

	; ---- alignment ----
	EXPECT 13, 0, movaps xmm0, [ALIGNED + 4]
	EXPECT 13, 0, addps xmm0, [ALIGNED + 8]
	EXPECT 13, 0, movntdq [ALIGNED + 1], xmm0
	movups xmm0, [ALIGNED + 4]
	addss xmm0, [ALIGNED + 4]
	movdqu [ALIGNED + 3], xmm0
	EXPECT 13, 0, ldmxcsr [CSR_BAD]
	EXPECT 13, 0, fxsave [BUF + 8]

	; ---- pending x87 exception: #MF for MMX, not for SSE ----
	fninit
	fldcw [CW_ZM]
	fld1
	fldz
	fdivp st1, st0                  ; 1/0, unmasked: pending
	EXPECT 16, -1, paddb mm0, mm1
	EXPECT 16, -1, emms
	EXPECT 16, -1, movd eax, mm1
	addps xmm0, xmm1
	movd eax, xmm0
	fnclex
	paddb mm0, mm1
	emms

	PRINT "ok", 10
	PASS

	PM_SUPPORT
	ROM_END

; sse-fxsave: the FXSAVE image and FXRSTOR (SDM Vol. 2 FXSAVE, table
; "Non-64-bit-Mode Layout of FXSAVE and FXRSTOR Memory Region"; Vol. 1 10.5.1).
;
; Checks, after a known x87/SSE state (FCW 027Fh, four values loaded so TOP = 4,
; the last x87 instruction FLD m32 at a known address, MXCSR 7FE1h, XMM0-7
; from a pattern):
;  - FCW at 0, FSW at 2 (= FNSTSW), abridged tag byte at 4 (F0h), 0 at 5,
;    FOP at 6 (105h: D9 /0, ModRM 05), FPU IP/CS at 8/12, DP/DS at 16/20,
;    MXCSR at 24, MXCSR_MASK (FFFFh, DAZ supported) at 28, ST0-ST7 in stack
;    order at 32 + 16 i (80 bits each), XMM0-7 at 160 + 16 i, bytes 464-511
;    left as they were
;  - after an MMX instruction: TOP = 0, abridged tags FFh, the MMX register
;    in its slot with exponent FFFFh
;  - FXRSTOR of the first image after the state was destroyed gives the same
;    image again; the registers hold their values
;  - with CR4.OSFXSR = 0 (implementation dependent; as on Intel parts):
;    MXCSR is saved and restored, XMM0-7 are neither saved nor restored
;  - FXSAVE/FXRSTOR with a misaligned operand: #GP(0); FXRSTOR of an image
;    with a reserved MXCSR bit: #GP(0), nothing restored
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

DATA     equ 0x30000
IMG1     equ DATA              ; first image
IMG2     equ DATA + 0x200      ; after FXRSTOR
IMG3     equ DATA + 0x400      ; after an MMX instruction
IMG4     equ DATA + 0x600      ; bad MXCSR
VAL      equ DATA + 0x800      ; 2.5f
CW       equ DATA + 0x804
CSR      equ DATA + 0x808
SW       equ DATA + 0x80c
MMVAL    equ DATA + 0x810
PATTERN  equ DATA + 0x900      ; 128 bytes: XMM0-7

	bits 32
main32:
	PM_SEGS
	PRINT "sse-fxsave: "
	mov eax, 0x600                  ; CR4.OSFXSR, OSXMMEXCPT
	mov cr4, eax
	mov eax, cr0
	and eax, ~0xc
	or eax, 0x20
	mov cr0, eax

	; images prefilled with A5h
	mov edi, IMG1
	mov ecx, 0x800
	mov al, 0xa5
	rep stosb
	mov dword [VAL], 0x40200000     ; 2.5f
	mov word [CW], 0x027f
	mov dword [CSR], 0x7fe1
	mov dword [MMVAL], 0x89abcdef
	mov dword [MMVAL + 4], 0x01234567
	mov edi, PATTERN
	xor eax, eax
.pat:	mov [edi + eax], al
	inc eax
	cmp eax, 128
	jb .pat
%assign i 0
%rep 8
	movdqu xmm %+ i, [PATTERN + 16 * i]
%assign i i + 1
%endrep
	ldmxcsr [CSR]

	; ---- a known x87 state ----
	fninit
	fldcw [CW]
	fld1
	fldpi
	fldz
last_fpu:
	fld dword [VAL]
	fnstsw [SW]
	fxsave [IMG1]

	EQ word [IMG1 + 0], 0x027f
	mov ax, [SW]
	EQ word [IMG1 + 2], ax
	and ax, 0x3800
	EQ ax, 0x2000                   ; TOP = 4
	EQ byte [IMG1 + 4], 0xf0
	EQ byte [IMG1 + 5], 0
	EQ word [IMG1 + 6], 0x105
	EQ dword [IMG1 + 8], last_fpu
	EQ word [IMG1 + 12], SEL_C0
	EQ dword [IMG1 + 16], VAL
	EQ word [IMG1 + 20], SEL_D0
	EQ dword [IMG1 + 24], 0x7fe1
	EQ dword [IMG1 + 28], 0xffff
	; ST0 = 2.5, ST1 = +0, ST2 = pi (rounded to nearest), ST3 = 1.0
	EQ dword [IMG1 + 32], 0
	EQ dword [IMG1 + 36], 0xa0000000
	EQ word [IMG1 + 40], 0x4000
	EQ dword [IMG1 + 48], 0
	EQ dword [IMG1 + 52], 0
	EQ word [IMG1 + 56], 0
	EQ dword [IMG1 + 64], 0x2168c235
	EQ dword [IMG1 + 68], 0xc90fdaa2
	EQ word [IMG1 + 72], 0x4000
	EQ dword [IMG1 + 80], 0
	EQ dword [IMG1 + 84], 0x80000000
	EQ word [IMG1 + 88], 0x3fff
	; XMM0-7
	mov esi, PATTERN
	mov edi, IMG1 + 160
	mov ecx, 128 / 4
	repe cmpsd
	EQ ecx, 0
	; 464-511 untouched
	mov edi, IMG1 + 464
	mov ecx, 48
	mov al, 0xa5
	repe scasb
	EQ ecx, 0

	; ---- FXRSTOR round trip ----
	fninit
	pxor xmm0, xmm0
	pxor xmm3, xmm3
	pxor xmm7, xmm7
	mov dword [DATA + 0x82c], 0x1f80
	ldmxcsr [DATA + 0x82c]
	fxrstor [IMG1]
	fxsave [IMG2]
	mov esi, IMG1
	mov edi, IMG2
	mov ecx, 464 / 4
	repe cmpsd
	EQ ecx, 0
	fnstsw ax
	and ax, 0x3800
	EQ ax, 0x2000
	fstp dword [DATA + 0x820]       ; ST0 = 2.5 again
	EQ dword [DATA + 0x820], 0x40200000
	stmxcsr [DATA + 0x824]
	EQ dword [DATA + 0x824], 0x7fe1
	movd eax, xmm3
	EQ eax, 0x33323130

	; ---- after an MMX instruction ----
	movq mm5, [MMVAL]
	fxsave [IMG3]
	mov ax, [IMG3 + 2]
	and ax, 0x3800
	EQ ax, 0                        ; TOP = 0
	EQ byte [IMG3 + 4], 0xff
	EQ dword [IMG3 + 32 + 5 * 16], 0x89abcdef
	EQ dword [IMG3 + 36 + 5 * 16], 0x01234567
	EQ word [IMG3 + 40 + 5 * 16], 0xffff
	emms
	fxsave [IMG3]
	EQ byte [IMG3 + 4], 0

	; ---- CR4.OSFXSR = 0 ----
	mov edi, IMG3
	mov ecx, 512
	mov al, 0xa5
	rep stosb
	xor eax, eax
	mov cr4, eax
	fxsave [IMG3]
	EQ dword [IMG3 + 24], 0x7fe1     ; MXCSR saved
	EQ dword [IMG3 + 160], 0xa5a5a5a5 ; XMM0 not
	EQ dword [IMG3 + 284], 0xa5a5a5a5 ; XMM7 not
	EQ dword [IMG3 + 288], 0          ; the reserved area is
	mov dword [IMG3 + 24], 0x1f80
	fxrstor [IMG3]                    ; XMM keep their values
	mov eax, 0x600
	mov cr4, eax
	stmxcsr [DATA + 0x824]
	EQ dword [DATA + 0x824], 0x1f80
	movd eax, xmm3
	EQ eax, 0x33323130
	ldmxcsr [CSR]

	; ---- faults ----
	EXPECT 13, 0, fxsave [IMG3 + 8]
	EXPECT 13, 0, fxrstor [IMG1 + 4]
	mov esi, IMG1
	mov edi, IMG4
	mov ecx, 512 / 4
	rep movsd
	mov dword [IMG4 + 24], 0x10000   ; reserved MXCSR bit
	mov word [IMG4 + 0], 0x0c7f      ; not FNINIT's FCW
	ldmxcsr [CSR]
	fninit
	EXPECT 13, 0, fxrstor [IMG4]
	fnstcw [DATA + 0x828]
	EQ word [DATA + 0x828], 0x037f  ; FNINIT's, not the image's
	stmxcsr [DATA + 0x824]
	EQ dword [DATA + 0x824], 0x7fe1

	PRINT "ok", 10
	PASS

	PM_SUPPORT
	ROM_END

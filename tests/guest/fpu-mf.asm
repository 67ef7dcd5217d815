; fpu-mf: delivery of x87 exceptions (SDM Vol. 1 8.6, 8.7; Vol. 3 2.5 CR0.NE,
; 6.15 vector 16).
;
; Checks, CR0.NE = 1:
;  - an unmasked divide-by-zero does not fault at the FDIV: the exception is
;    pending (FSW ZE, ES, B; the destination unchanged)
;  - FNSTSW, FNSTENV (non-waiting) and integer instructions run; the next
;    waiting x87 instruction raises #MF with the pushed EIP at that instruction
;  - FNSTENV then has FIP/FCS, FOP and FDP/FDS of the faulting FDIV
;  - FWAIT raises #MF too; FLDCW that unmasks a set flag makes it pending
;  - a handler that does FNCLEX and IRET lets the instruction run again
; CR0.NE = 0: no #MF; the instruction runs (FERR# goes to IRQ13 on a PC).
	bits 16
%include "common.inc"
%include "pm.inc"
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
gdt_template_end:

ZERO    equ 0x10000       ; 0.0f
ENV     equ 0x10100
MFCOUNT equ 0x10200
CW_ZM   equ 0x10204       ; control word: divide-by-zero unmasked

	bits 32
mf_handler:
	fnclex
	inc dword [MFCOUNT]
	iretd

main32:
	PM_SEGS
	PRINT "fpu-mf: "
	mov eax, cr0
	and eax, ~0xc                        ; EM = TS = 0
	or eax, 0x22                         ; MP, NE
	mov cr0, eax
	mov dword [ZERO], 0
	mov word [CW_ZM], 0x037b
	fninit
	fldcw [CW_ZM]
	fld1
f_div:
	fdiv dword [ZERO]                    ; 1/0: #Z unmasked, pending
	fnstsw ax
	EQ ax, 0x3800 | 0x8084               ; TOP 7, B, ES, ZE
	mov ebx, 1                           ; integer code runs
	fnstsw ax
	EXPECT 16, -1, fld1                  ; the next waiting x87 instruction
	EXPECT 16, -1, fld1                  ; still pending: again
	fnstenv [ENV]
	EQ dword [ENV + 12], f_div           ; FIP: offset of the FDIV
	EQ word [ENV + 16], SEL_C0           ; FCS
	EQ word [ENV + 18], 0x035            ; FOP: D8 /6, ModRM 35h
	EQ dword [ENV + 20], ZERO            ; FDP
	EQ word [ENV + 24], SEL_D0           ; FDS
	EQ word [ENV + 4], 0xb884            ; FSW as it was: TOP 7, ES, ZE
	EQ word [ENV], 0x037b
	fwait                                ; FNSTENV masked everything: nothing pending
	fnstcw [ENV]
	EQ word [ENV], 0x037f
	fldcw [CW_ZM]                        ; unmask ZE again: pending again
	EXPECT 16, -1, fwait
	fnclex
	fwait
	fstp st0                             ; the 1.0 (unchanged by the FDIV)
	fnstsw ax
	EQ ax, 0                             ; TOP 0, empty

	; ---- a handler that clears the exception and returns ----
	SET_GATE 16, SEL_C0, mf_handler, 0x8e
	mov dword [MFCOUNT], 0
	fldz
	fld1
	fdiv st0, st1                        ; pending #Z
	fld1                                 ; #MF, FNCLEX, IRET, runs
	EQ dword [MFCOUNT], 1
	fnstsw ax
	EQ ax, 0x2800                        ; TOP 5, no flags
	fninit

	; ---- CR0.NE = 0: the FERR# path, no #MF ----
	STUB_GATE 16
	mov eax, cr0
	and eax, ~0x20
	mov cr0, eax
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], ne0_fault
	fldcw [CW_ZM]
	fld1
	fdiv dword [ZERO]
	fld1                                 ; no #MF
	fwait
	fnstsw ax
	EQ ax, 0x3000 | 0x8084               ; still pending, TOP 6
	fnclex
	jmp ne0_done
ne0_fault:
	FAILNOW
ne0_done:
	PRINT "ok", 10
	PASS

	PM_SUPPORT
	ROM_END

; fpu-nm: lazy x87 context switching with CR0.TS and #NM (SDM Vol. 3 2.5 and
; table 2-2; Vol. 3 "using TS for lazy FPU state saving").
;
; Checks:
;  - TS = 1: an x87 instruction (waiting or not) raises #NM; the handler does
;    CLTS, FNSAVE of the previous owner's state, FRSTOR of the running task's,
;    IRET, and the instruction executes again on the right state
;  - both "tasks" keep their register stacks across two switches, and the
;    FNSAVE image of the switched-out task has its TOP, tags and ST(0)
;  - WAIT/FWAIT: #NM only with MP = 1 and TS = 1
;  - EM = 1: x87 instructions raise #NM, WAIT does not
	bits 16
%include "common.inc"
%include "pm.inc"
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
gdt_template_end:

AREA1   equ 0x10000       ; FNSAVE areas of the two tasks
AREA2   equ 0x10100
OWNER   equ 0x10200       ; whose state the FPU holds
CUR     equ 0x10204       ; which task runs
NMCOUNT equ 0x10208
VAL     equ 0x10300

CR0_MP equ 2
CR0_EM equ 4
CR0_TS equ 8
CR0_NE equ 0x20

	bits 32
; #NM: the lazy switch.  The pushed EIP is the x87 instruction: IRET runs it again.
nm_handler:
	push eax
	clts
	inc dword [NMCOUNT]
	mov eax, [OWNER]
	cmp eax, [CUR]
	je .done
	cmp eax, 1
	jne .save2
	fnsave [AREA1]
	jmp .load
.save2:
	fnsave [AREA2]
.load:
	cmp dword [CUR], 1
	jne .load2
	frstor [AREA1]
	jmp .owned
.load2:
	frstor [AREA2]
.owned:
	mov eax, [CUR]
	mov [OWNER], eax
.done:
	pop eax
	iretd

%macro SET_CR0 2          ; bits to clear, bits to set
	mov eax, cr0
	and eax, ~(%1)
	or eax, %2
	mov cr0, eax
%endmacro

main32:
	PM_SEGS
	PRINT "fpu-nm: "
	SET_CR0 CR0_EM | CR0_TS, CR0_MP | CR0_NE
	fninit
	fnsave [AREA2]                       ; task 2 starts from an initialized FPU
	mov dword [OWNER], 1
	mov dword [CUR], 1
	mov dword [NMCOUNT], 0
	fld1                                 ; task 1: ST1 = 1
	fldpi                                ; ST0 = pi
	SET_GATE 7, SEL_C0, nm_handler, 0x8e

	; ---- switch to task 2 ----
	mov dword [CUR], 2
	SET_CR0 0, CR0_TS
	fldz                                 ; #NM, switch, executes
	EQ dword [NMCOUNT], 1
	mov eax, cr0
	EQ eax, eax                          ; (CR0 readable)
	test al, CR0_TS
	jz .ts_clear
	FAILNOW
.ts_clear:
	fnstsw ax
	and ax, 0x3800
	EQ ax, 0x3800                        ; task 2 has one value
	fld1
	faddp                                ; task 2: ST0 = 0 + 1
	EQ dword [NMCOUNT], 1

	; ---- back to task 1: even FNSTSW raises #NM ----
	mov dword [CUR], 1
	SET_CR0 0, CR0_TS
	fnstsw ax
	EQ dword [NMCOUNT], 2
	and ax, 0x3800
	EQ ax, 0x3000                        ; task 1 has two values
	fstp qword [VAL]
	fstp qword [VAL + 8]
	EQ dword [VAL], 0x54442d18           ; pi
	EQ dword [VAL + 4], 0x400921fb
	EQ dword [VAL + 8], 0
	EQ dword [VAL + 12], 0x3ff00000      ; 1.0
	; task 2's saved state (32-bit protected-mode FNSAVE image)
	EQ word [AREA2 + 4], 0x3800          ; FSW: TOP = 7, no flags
	EQ word [AREA2 + 8], 0x3fff          ; FTW: R7 valid, the rest empty
	EQ dword [AREA2 + 28 + 4], 0x80000000   ; ST(0) = 1.0
	EQ dword [AREA2 + 28], 0
	EQ word [AREA2 + 28 + 8], 0x3fff

	; ---- WAIT and CR0.MP ----
	STUB_GATE 7
	SET_CR0 0, CR0_TS                    ; MP = 1, TS = 1
	EXPECT 7, -1, fwait
	SET_CR0 CR0_MP, 0                    ; MP = 0, TS = 1: WAIT runs
	fwait
	mov dword [EXV_VEC], 0xff
	EXPECT 7, -1, fnop
	; ---- EM = 1: emulation ----
	SET_CR0 CR0_TS, CR0_EM
	EXPECT 7, -1, fld1
	EXPECT 7, -1, fninit
	fwait                                ; WAIT ignores EM
	SET_CR0 0, CR0_MP
	fwait
	EXPECT 7, -1, fnstsw ax
	SET_CR0 CR0_EM, 0
	fninit
	fwait

	PRINT "ok", 10
	PASS

	PM_SUPPORT
	ROM_END

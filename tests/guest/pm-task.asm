; pm-task: hardware task switching (SDM Vol. 3 chapter 7, table 7-1).
;
; Checks:
;  - JMP to a 32-bit TSS: the old state is saved (EIP after the JMP, GPRs,
;    selectors), the new one loaded (GPRs, ESP, FS, LDTR), old busy bit cleared,
;    new one set, NT clear, no back link, CR0.TS set; JMP back resumes the old task
;  - CALL through a task gate: NT set, back link = old TSS, both busy; IRET
;    returns (task return), clears the callee's busy bit and NT in its saved image
;  - INT through a task gate to a 16-bit TSS; IRET back
;  - an exception (#GP) through a task gate: the error code is pushed on the new
;    task's stack and the old task's saved EIP is the faulting instruction
;  - JMP to a busy TSS: #GP(sel); IRET with a back link to an available TSS or
;    with TI = 1: #TS(link); TSS limit below 67h: #TS(sel); not present: #NP(sel);
;    task gate naming a data segment: #GP(sel)
;  - a fault after the commit point (bad DS selector in the new TSS) is taken in
;    the new task: saved EIP = the new task's first instruction, handler stack =
;    the new task's stack, TR = the new TSS
	bits 16
%include "common.inc"
%include "pm.inc"
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
	GATEDESC SEL_TSSB, $$, 0x85, 0             ; 48 task gate -> TSS B
	GATEDESC SEL_TSSC, $$, 0x85, 0             ; 50 task gate -> TSS C (16-bit)
	DESC TSSD, 0x60, 0x89, 0                  ; 58 TSS D: limit too small
	DESC TSSE, 0x67, 0x89, 0                  ; 60 TSS E: bad DS selector inside
	DESC TSSF, 0x67, 0x09, 0                  ; 68 TSS F: not present
	GATEDESC SEL_D0, $$, 0x85, 0               ; 70 task gate -> a data segment
	DESC LDT_BASE, 0x7, 0x82, 0               ; 78 LDT (one entry)
gdt_template_end:

TSSD equ 0x6200
TSSE equ 0x6300
TSSF equ 0x6400
TASK_ESP equ 0xc000

	bits 32
; Fill a 32-bit TSS at EDI for ring-0 code at EAX (flat segments, ESP TASK_ESP).
init_tss32:
	push ecx
	push edi
	push eax
	mov ecx, 0x68
	xor eax, eax
	rep stosb
	pop eax
	pop edi
	mov [edi + 0x20], eax                     ; EIP
	mov dword [edi + 0x24], 0x2               ; EFLAGS
	mov dword [edi + 0x28], 0xb0b0b0b0        ; EAX
	mov dword [edi + 0x38], TASK_ESP          ; ESP
	mov dword [edi + 0x48], SEL_D0            ; ES
	mov dword [edi + 0x4c], SEL_C0            ; CS
	mov dword [edi + 0x50], SEL_D0            ; SS
	mov dword [edi + 0x54], SEL_D0            ; DS
	mov dword [edi + 0x58], SEL_SMALL         ; FS
	mov dword [edi + 0x5c], SEL_D0            ; GS
	pop ecx
	ret

main32:
	PM_SEGS
	PRINT "pm-task: "
	SETUP_TSSA
	mov dword [LDT_BASE], 0x0000ffff          ; LDT entry: flat data
	mov dword [LDT_BASE + 4], 0x00cf9200
	mov eax, task_b1
	mov edi, TSSB
	call init_tss32
	mov word [TSSB + 0x60], 0x78              ; B has an LDT

	; ---- JMP to TSS B ----
	mov ebx, 0x1234abcd
	mov esi, 0x5a5a5a5a
	jmp SEL_TSSB:0
a_after_jmp:
	EQ ebx, 0x1234abcd                        ; restored from TSS A
	EQ esi, 0x5a5a5a5a
	EQ esp, R0_ESP
	str ax
	EQ ax, SEL_TSSA
	sldt ax
	EQ ax, 0                                  ; A's TSS has LDT 0
	EQ byte [GDT_BASE + SEL_TSSA + 5], 0x8b
	EQ byte [GDT_BASE + SEL_TSSB + 5], 0x89
	EQ dword [TSSB + 0x20], b_after_jmp       ; B's saved EIP
	EQ dword [TSSB + 0x28], 0xb1b1b1b1        ; B's saved EAX
	EQ dword [SCRATCH], 1                     ; B ran its checks
	mov eax, cr0
	test al, 8
	jnz .ts_ok
	FAILNOW
.ts_ok:
	clts

	; ---- CALL through a task gate, IRET back ----
	mov eax, task_b2
	mov edi, TSSB
	call init_tss32
	mov ebx, 0x77
	call 0x48:0
a_after_call:
	EQ ebx, 0x77
	EQ dword [SCRATCH], 2
	EQ byte [GDT_BASE + SEL_TSSA + 5], 0x8b
	EQ byte [GDT_BASE + SEL_TSSB + 5], 0x89   ; IRET cleared B's busy bit
	EQ dword [TSSB + 0x20], b2_after_iret
	mov eax, [TSSB + 0x24]
	and eax, 0x4000
	EQ eax, 0                                 ; NT cleared in B's saved EFLAGS
	pushfd
	pop eax
	and eax, 0x4000
	EQ eax, 0                                 ; A's NT as saved (clear)

	; ---- INT through a task gate to a 16-bit TSS ----
	mov edi, TSSC
	mov ecx, 0x2c
	xor eax, eax
	rep stosb
	mov word [TSSC + 14], task_c              ; IP
	mov word [TSSC + 16], 0x2                 ; FLAGS
	mov word [TSSC + 18], 0xc0c0              ; AX
	mov word [TSSC + 26], 0x0f00              ; SP (16-bit stack, selector 40h)
	mov word [TSSC + 34], SEL_D0              ; ES
	mov word [TSSC + 36], SEL_C0              ; CS
	mov word [TSSC + 38], SEL_SMALL           ; SS
	mov word [TSSC + 40], SEL_D0              ; DS
	mov word [IDT_BASE + 0x3d * 8 + 2], SEL_TSSC
	mov word [IDT_BASE + 0x3d * 8 + 4], 0x8500     ; task gate, DPL 0
	int 0x3d
a_after_int:
	EQ dword [SCRATCH], 3
	EQ byte [GDT_BASE + SEL_TSSC + 5], 0x81
	EQ word [TSSC + 14], c_after_iret
	EQ word [TSSC + 18], 0xc1c1               ; C's saved AX
	mov ax, fs
	EQ ax, SEL_D0                             ; A's FS, reloaded from TSS A

	; ---- #GP through a task gate: error code on the new task's stack ----
	mov eax, task_b_gp
	mov edi, TSSB
	call init_tss32
	mov word [IDT_BASE + 13 * 8 + 2], SEL_TSSB
	mov word [IDT_BASE + 13 * 8 + 4], 0x8500
	mov ax, 0x1f8
a_gp_insn:
	mov es, ax                                ; #GP(1F8h) -> task B
	FAILNOW
a_gp_recover:
	EQ dword [SCRATCH], 4
	STUB_GATE 13
	EQ byte [GDT_BASE + SEL_TSSB + 5], 0x89
	FLAT_SEGS

	; ---- switches that fail their checks ----
	EXPECT 13, SEL_TSSA, jmp SEL_TSSA:0       ; busy
	EXPECT 13, SEL_TSSA, call SEL_TSSA:0
	EXPECT 10, 0x58, jmp 0x58:0               ; limit below 67h
	EXPECT 11, 0x68, jmp 0x68:0               ; not present
	EXPECT 13, SEL_D0, jmp 0x70:0             ; task gate to a data segment
	mov word [TSSA], SEL_TSSB                 ; back link to an available TSS
	pushfd
	or dword [esp], 0x4000
	popfd
	EXPECT 10, SEL_TSSB, iretd
	mov word [TSSA], SEL_TSSB | 4             ; back link with TI = 1
	pushfd
	or dword [esp], 0x4000
	popfd
	EXPECT 10, SEL_TSSB | 4, iretd
	pushfd
	and dword [esp], ~0x4000
	popfd
	EQ byte [GDT_BASE + SEL_TSSA + 5], 0x8b   ; nothing changed
	str ax
	EQ ax, SEL_TSSA

	; ---- a fault after the commit point happens in the new task ----
	mov eax, task_e
	mov edi, TSSE
	call init_tss32
	mov dword [TSSE + 0x54], 0x1f8            ; DS outside the GDT
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], e_fault_seen
	jmp 0x60:0
a_after_e:
	EQ dword [EXV_VEC], 10
	EQ dword [EXV_ERR], 0x1f8
	EQ dword [EXV_EIP], task_e                ; the new task's first instruction
	EQ dword [EXV_DS], 0x1f8                  ; the selector is loaded anyway
	EQ dword [EXV_HESP], TASK_ESP - 12        ; on the new task's stack
	EQ word [SCRATCH], 0x60                   ; TR in the handler
	str ax
	EQ ax, SEL_TSSA
	EQ byte [GDT_BASE + 0x60 + 5], 0x89

	PRINT "ok", 10
	PASS

; ---- task B, first entry (JMP) ----
task_b1:
	str ax
	EQ ax, SEL_TSSB
	sldt ax
	EQ ax, 0x78
	EQ eax, 0xb0b00078                        ; EAX from the TSS (AX overwritten)
	EQ esp, TASK_ESP
	mov ax, fs
	EQ ax, SEL_SMALL
	EQ byte [GDT_BASE + SEL_TSSA + 5], 0x89   ; JMP: old task not busy
	EQ byte [GDT_BASE + SEL_TSSB + 5], 0x8b
	EQ word [TSSB], 0                         ; no back link for JMP
	pushfd
	pop eax
	and eax, 0x4000
	EQ eax, 0                                 ; NT clear
	mov eax, cr0
	and eax, 8
	EQ eax, 8                                 ; CR0.TS set
	EQ dword [TSSA + 0x20], a_after_jmp       ; A's state saved
	EQ dword [TSSA + 0x34], 0x1234abcd        ; EBX
	EQ dword [TSSA + 0x40], 0x5a5a5a5a        ; ESI
	EQ dword [TSSA + 0x38], R0_ESP            ; ESP
	EQ word [TSSA + 0x4c], SEL_C0             ; CS
	EQ word [TSSA + 0x50], SEL_D0             ; SS
	mov dword [SCRATCH], 1
	mov eax, 0xb1b1b1b1
	jmp SEL_TSSA:0
b_after_jmp:
	FAILNOW

; ---- task B, called through a task gate ----
task_b2:
	str ax
	EQ ax, SEL_TSSB
	pushfd
	pop eax
	and eax, 0x4000
	EQ eax, 0x4000                            ; NT set
	EQ word [TSSB], SEL_TSSA                  ; back link
	EQ byte [GDT_BASE + SEL_TSSA + 5], 0x8b   ; both busy
	EQ byte [GDT_BASE + SEL_TSSB + 5], 0x8b
	EQ dword [TSSA + 0x20], a_after_call
	mov dword [SCRATCH], 2
	iretd
b2_after_iret:
	FAILNOW

; ---- task C (16-bit TSS), entered by INT 3Dh ----
task_c:
	str ax
	EQ ax, SEL_TSSC
	EQ word [TSSC], SEL_TSSA
	EQ dword [TSSA + 0x20], a_after_int
	pushfd
	pop eax
	and eax, 0x4000
	EQ eax, 0x4000
	mov ax, ss
	EQ ax, SEL_SMALL
	EQ sp, 0x0f00
	mov ax, fs                                ; no FS in a 16-bit TSS: null
	EQ ax, 0
	mov dword [SCRATCH], 3
	mov ax, 0xc1c1
	iretd
c_after_iret:
	FAILNOW

; ---- task B, entered by #GP through a task gate ----
task_b_gp:
	EQ esp, TASK_ESP - 4
	EQ dword [esp], 0x1f8                     ; the error code
	EQ dword [TSSA + 0x20], a_gp_insn         ; A's EIP: the faulting instruction
	EQ word [TSSB], SEL_TSSA
	mov dword [TSSA + 0x20], a_gp_recover     ; resume A elsewhere
	mov dword [SCRATCH], 4
	add esp, 4
	iretd

; ---- task E: never runs its first instruction ----
task_e:
	FAILNOW
e_fault_seen:
	; in task E (the #TS handler resumed here)
	str ax
	mov [SCRATCH], ax
	jmp SEL_TSSA:0                            ; A resumes at a_after_e

	PM_SUPPORT
	ROM_END

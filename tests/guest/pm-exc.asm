; pm-exc: exception conditions of segment loads, interrupt delivery and stack
; switches; the EXT bit; double faults (SDM Vol. 3 6.13, 6.15 (vectors 8, 10,
; 11, 12, 13), table 6-5; Vol. 2 INT n, IRET, RET).
;
; Checks:
;  - #NP: segment load, INT n through a not-present gate (vector*8+2),
;    a gate naming a not-present code segment, RETF to a not-present CS
;  - EXT: #UD whose gate names a not-present code segment gives #NP(sel|1);
;    #UD through a gate of invalid type gives #GP(6*8+2+1); INT n through it
;    gives #GP(n*8+2); INT n beyond the IDT limit: #GP(n*8+2)
;  - #SS: POP beyond a ring-3 SS limit (#SS(0), handled on the ring-0 stack);
;    a ring-0 stack from the TSS too small for the frame: #SS(SS0)
;  - #TS on the ring-0 stack from the TSS: SS0 null (#TS(0)), RPL != 0,
;    DPL != 0, a code segment, outside the GDT (#TS(SS0))
;  - #GP(0) for IRET to an EIP beyond the CS limit
;  - contributory + contributory = #DF with error code 0, through an interrupt
;    gate and through a task gate (the old task's saved EIP = the faulting one)
; Faults that cannot be handled on the broken stack go through task gates to
; "fault tasks" that record the error code and the interrupted task's state,
; patch that task to resume at [RESUME_EIP] in ring 0, and IRET to it.
	bits 16
%include "common.inc"
%include "pm.inc"
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
	DESC 0, 0xfffff, 0x12, 0xc                ; 48 data, not present
	DESC 0xf0000, 0xffff, 0x1a, 0x4           ; 50 code, not present
	DESC 0, 0xafff, 0xf2, 0x4                 ; 58 ring-3 stack, limit AFFFh
	DESC 0, 0x8fff, 0x92, 0x4                 ; 60 ring-0 data, limit 8FFFh
	DESC TSS12, 0x67, 0x89, 0                 ; 68 fault task for #SS
	DESC TSS8, 0x67, 0x89, 0                  ; 70 fault task for #DF
gdt_template_end:

TSS12 equ 0x6200
TSS8  equ 0x6300
SEL_TSS10 equ SEL_TSSB
SEL_TSS12 equ 0x68
SEL_TSS8  equ 0x70

	bits 32
; Fill a 32-bit TSS at EDI for ring-0 code at EAX, stack ECX
init_tss32:
	push edi
	push eax
	push ecx
	mov ecx, 0x68
	xor eax, eax
	rep stosb
	pop ecx
	pop eax
	pop edi
	mov [edi + 0x20], eax
	mov dword [edi + 0x24], 0x2
	mov [edi + 0x38], ecx
	mov dword [edi + 0x48], SEL_D0
	mov dword [edi + 0x4c], SEL_C0
	mov dword [edi + 0x50], SEL_D0
	mov dword [edi + 0x54], SEL_D0
	mov dword [edi + 0x58], SEL_D0
	mov dword [edi + 0x5c], SEL_D0
	ret

; ARM vector, tss selector, tss base, entry, stack: route a vector to a fault task
%macro ARM 5
	mov edi, %3
	mov eax, %4
	mov ecx, %5
	call init_tss32
	mov word [IDT_BASE + (%1) * 8 + 2], %2
	mov word [IDT_BASE + (%1) * 8 + 4], 0x8500
%endmacro

; TSS_BASE_OF: EBX = base of the TSS whose selector is in AX
tss_base_of:
	push eax
	push ecx
	movzx ebx, ax
	and ebx, ~7
	add ebx, GDT_BASE
	mov eax, [ebx + 2]
	and eax, 0xffffff
	movzx ecx, byte [ebx + 7]
	shl ecx, 24
	or eax, ecx
	mov ebx, eax
	pop ecx
	pop eax
	ret

ft10:	mov dword [EXV_VEC], 10
	jmp ft_common
ft12:	mov dword [EXV_VEC], 12
	jmp ft_common
ft8:	mov dword [EXV_VEC], 8
ft_common:
	pop dword [EXV_ERR]
	str ax
	call tss_base_of
	mov ax, [ebx]                             ; back link: the interrupted task
	call tss_base_of
	mov eax, [ebx + 0x20]
	mov [EXV_EIP], eax
	mov eax, [ebx + 0x4c]
	mov [EXV_CS], eax
	mov eax, [ebx + 0x38]
	mov [EXV_ESP], eax
	mov eax, [ebx + 0x50]
	mov [EXV_SS], eax
	mov eax, [RESUME_EIP]
	mov [ebx + 0x20], eax
	mov eax, [RESUME_ESP]
	mov [ebx + 0x38], eax
	mov dword [ebx + 0x24], 0x2
	mov dword [ebx + 0x4c], SEL_C0
	mov dword [ebx + 0x50], SEL_D0
	mov dword [ebx + 0x48], SEL_D0
	mov dword [ebx + 0x54], SEL_D0
	mov dword [ebx + 0x58], SEL_D0
	mov dword [ebx + 0x5c], SEL_D0
	iretd
	FAILNOW                                   ; a fault task is armed per use

main32:
	PM_SEGS
	PRINT "pm-exc: "
	SETUP_TSSA
	SET_GATE 0x30, SEL_C0, isr_ok, 0xee       ; DPL 3 gate to ring 0
	SET_GATE 0x31, SEL_C0, isr_ok, 0x6e       ; not present
	SET_GATE 0x32, 0x50, isr_ok, 0xee         ; to a not-present code segment
	mov dword [IDT_BASE + 0x33 * 8 + 4], 0x0000ea00   ; invalid type (0Ah)

	; ---- #NP ----
	mov ax, 0x48
	EXPECT 11, 0x48, mov fs, ax
	EXPECT 11, 0x31 * 8 + 2, int 0x31
	EXPECT 11, 0x50, int 0x32
	push dword 0x50
	push dword main32
	EXPECT 11, 0x50, retf
	add esp, 8

	; ---- EXT: faults while delivering an exception ----
	SET_GATE 6, 0x50, isr_ok, 0x8e
	EXPECT 11, 0x50 | 1, ud2                  ; #UD -> #NP(50h, EXT)
	mov dword [IDT_BASE + 6 * 8 + 4], 0x00008a00   ; invalid gate type
	EXPECT 13, 6 * 8 + 2 + 1, ud2
	EXPECT 13, 0x33 * 8 + 2, int 0x33         ; software: no EXT
	EXPECT 13, 0x7f * 8 + 2, int 0x7f         ; beyond the IDT limit
	STUB_GATE 6

	; ---- #GP(0): IRET to an EIP beyond the CS limit ----
	pushfd
	push dword SEL_C0
	push dword 0x10000
	EXPECT 13, 0, iretd
	add esp, 12

	; ---- #SS(0) at ring 3 (handled on the ring-0 stack) ----
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], back_ss0
	push dword 0x58 | 3
	push dword R3_ESP                         ; at the limit + 1
	push dword 0x2
	push dword SEL_C3 | 3
	push dword r3_pop
	iretd
r3_pop:
	push eax                                  ; AFFCh: fine
	pop eax
	pop eax                                   ; B000h: beyond the limit
	FAILNOW
back_ss0:
	FLAT_SEGS
	EQ dword [EXV_VEC], 12
	EQ dword [EXV_ERR], 0
	EQ dword [EXV_EIP], r3_pop + 2
	EQ dword [EXV_SS], 0x58 | 3
	EQ dword [EXV_ESP], R3_ESP

	; ---- the ring-0 stack from the TSS: #TS and #SS through task gates ----
%macro R3_INT30 3         ; expected vector, error, SS0 value
	mov dword [TSSA + 8], %3
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], %%back
	RING3 %%r3
%%r3:
	int 0x30
	FAILNOW
%%back:
	FLAT_SEGS
	EQ dword [EXV_VEC], %1
	EQ dword [EXV_ERR], %2
	EQ dword [EXV_EIP], %%r3
	EQ dword [EXV_CS], SEL_C3 | 3
%endmacro
	ARM 10, SEL_TSS10, TSSB, ft10, 0xc000
	R3_INT30 10, 0, 0                         ; SS0 null
	ARM 10, SEL_TSS10, TSSB, ft10, 0xc000
	R3_INT30 10, SEL_D0, SEL_D0 | 3           ; RPL != new CPL
	ARM 10, SEL_TSS10, TSSB, ft10, 0xc000
	R3_INT30 10, SEL_D3, SEL_D3               ; DPL 3 != 0
	ARM 10, SEL_TSS10, TSSB, ft10, 0xc000
	R3_INT30 10, SEL_C0, SEL_C0               ; code segment
	ARM 10, SEL_TSS10, TSSB, ft10, 0xc000
	R3_INT30 10, 0x1f8, 0x1f8                 ; outside the GDT
	ARM 12, SEL_TSS12, TSS12, ft12, 0xc800
	mov dword [TSSA + 4], 0x10                ; ESP0 too low for 20 bytes
	R3_INT30 12, 0x60, 0x60
	mov dword [TSSA + 4], R0_ESP
	mov dword [TSSA + 8], SEL_D0
	mov dword [EXV_VEC], 0xff                 ; and now it works (isr_ok)
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], back_ok
	RING3 r3_ok
r3_ok:
	int 0x30
r3_ok_next:
	FAILNOW
back_ok:
	FLAT_SEGS
	EQ dword [EXV_VEC], 0xfd
	EQ dword [EXV_EIP], r3_ok_next
	EQ dword [EXV_CS], SEL_C3 | 3
	STUB_GATE 10
	STUB_GATE 12

	; ---- double fault through an interrupt gate ----
	mov word [IDT_BASE + 11 * 8 + 4], 0x0e00  ; #NP gate not present
	mov ax, 0x48
	EXPECT 8, 0, mov ds, ax                   ; #NP -> #NP(5Bh) -> #DF
	mov ax, 0x1f8
	mov word [IDT_BASE + 13 * 8 + 4], 0x0e00  ; #GP gate not present
	EXPECT 8, 0, mov es, ax                   ; #GP -> #NP(6Bh) -> #DF

	; ---- double fault through a task gate ----
	ARM 8, SEL_TSS8, TSS8, ft8, 0xd000
	mov ax, 0x1f8
	EXPECT 8, 0, mov es, ax
	EQ dword [EXV_CS], SEL_C0
	EQ dword [EXV_ESP], esp
	STUB_GATE 8
	STUB_GATE 11
	STUB_GATE 13
	str ax
	EQ ax, SEL_TSSA
	EQ byte [GDT_BASE + SEL_TSS8 + 5], 0x89   ; the fault task returned

	PRINT "ok", 10
	PASS

; a handler that records vector FDh and continues at RESUME_EIP
isr_ok:
	mov ax, SEL_D0
	mov ds, ax
	mov dword [EXV_VEC], 0xfd
	mov dword [EXV_ERR], 0
	mov eax, [esp]
	mov [EXV_EIP], eax
	mov eax, [esp + 4]
	mov [EXV_CS], eax
	mov ax, SEL_D0
	mov ss, ax
	mov esp, [RESUME_ESP]
	jmp [RESUME_EIP]

	PM_SUPPORT
	ROM_END

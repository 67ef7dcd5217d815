; pm-priv: privilege levels, gates and stack switching.
;
; Checks (SDM Vol. 3 5.8, 6.12, 18.5 (Vol. 1); Vol. 2 CALL, RET, INT n, IRET, POPF):
;  - IRET from ring 0 to ring 3: CS/SS loaded, DS/ES/FS/GS holding DPL 0 data
;    segments become null; a 16-bit SS keeps the upper half of the ring-0 ESP
;  - INT n from ring 3 through a DPL 3 32-bit interrupt gate: stack from the TSS,
;    frame EIP/CS/EFLAGS/ESP/SS, IF cleared; trap gate keeps IF; 16-bit gate
;    pushes a 16-bit frame; gate DPL < CPL: #GP(vector*8+2)
;  - interrupt to a conforming or DPL 3 segment from ring 3: no stack switch
;  - call gates with parameter copying (32-bit: 3 dwords, 16-bit: 2 words),
;    RETF imm16 releasing them on both stacks; call gate DPL < CPL: #GP(gate)
;  - far CALL to conforming code keeps CPL 3; JMP/CALL to DPL 0 code: #GP(sel)
;  - RETF/IRET to an outer level with a bad SS or CS: #GP(selector)
;  - POPF/IRET at CPL 3 cannot change IOPL or IF (IOPL 0)
;  - I/O at CPL 3: IOPL 0 uses the TSS bitmap (E9h open, 80h closed, a word at
;    E9h needs EAh too); IOPL 3 allows everything; CLI/HLT/MOV DS,DPL0: #GP
	bits 16
%include "common.inc"
%include "pm.inc"
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
	GATEDESC SEL_C0, gate32_target, 0xec, 3   ; 48 call gate 32, DPL 3, 3 params
	GATEDESC SEL_C0, gate16_target, 0xe4, 2   ; 50 call gate 16, DPL 3, 2 params
	DESC 0xf0000, 0xffff, 0x9e, 0x4           ; 58 conforming code, DPL 0
	GATEDESC SEL_C0, gate32_target, 0x8c, 0   ; 60 call gate 32, DPL 0
	DESC 0xf0000, 0xffff, 0x9a, 0x0           ; 68 code16, DPL 0
	DESC 0x20000, 0xffff, 0xf2, 0x0           ; 70 data16 DPL 3 (a 16-bit stack)
gdt_template_end:

R0_HIGH_ESP equ 0x01009000

	bits 32
main32:
	PM_SEGS
	PRINT "pm-priv: "
	SETUP_TSSA
	SET_GATE 0x30, SEL_C0, isr30, 0xee        ; int gate 32 DPL 3
	SET_GATE 0x31, SEL_C0, isr30, 0x8e        ; int gate 32 DPL 0
	SET_GATE 0x32, 0x68, isr32_16, 0xe6       ; int gate 16 DPL 3, 16-bit code
	SET_GATE 0x33, SEL_C0, isr33, 0xef        ; trap gate 32 DPL 3
	SET_GATE 0x34, 0x58, isr34, 0xef          ; trap gate to conforming code
	SET_GATE 0x35, SEL_C3, isr34, 0xef        ; trap gate to DPL 3 code

	; ---- ring 3 via IRET; data segments become null ----
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], back1
	RING3 r3_part1, 0x202
r3_part1:
	mov ax, cs
	mov bx, ss
	mov cx, ds
	mov dx, es
	mov si, fs
	mov di, gs
	push dword SEL_D3 | 3
	pop ds
	EQ ax, SEL_C3 | 3
	EQ bx, SEL_D3 | 3
	EQ cx, 0
	EQ dx, 0
	EQ si, 0
	EQ di, 0
	EQ esp, R3_ESP
	; ---- INT through a DPL 3 interrupt gate: ring 0 on the TSS stack ----
	mov dword [SCRATCH + 0x40], 0
	int 0x30
r3_after30:
	EQ dword [SCRATCH + 0x40], 1              ; the handler ran
	EQ esp, R3_ESP
	mov ax, cs
	EQ ax, SEL_C3 | 3
	mov ax, es                                ; the handler loaded ES = 10h
	EQ ax, 0
	mov ax, ds
	EQ ax, SEL_D3 | 3                         ; DPL 3: kept
	; ---- trap gate: IF stays as it was (1 here) ----
	int 0x33
	; ---- 16-bit interrupt gate: 16-bit frame ----
	int 0x32
r3_after32:
	EQ word [SCRATCH], r3_after32
	EQ word [SCRATCH + 2], SEL_C3 | 3
	EQ word [SCRATCH + 6], R3_ESP & 0xffff
	EQ word [SCRATCH + 8], SEL_D3 | 3
	EQ dword [SCRATCH + 12], R0_ESP - 10
	EQ esp, R3_ESP
	; ---- interrupts to conforming code / DPL 3 code: no stack switch ----
	int 0x34
	EQ dword [SCRATCH + 16], 0x58 | 3
	EQ dword [SCRATCH + 20], R3_ESP - 12
	EQ dword [SCRATCH + 24], SEL_D3 | 3
	int 0x35
	EQ dword [SCRATCH + 16], SEL_C3 | 3
	EQ dword [SCRATCH + 20], R3_ESP - 12
	; ---- call gate, 32-bit, 3 parameters ----
	push dword 0x11111111
	push dword 0x22222222
	push dword 0x33333333
	call 0x48 | 3:0
r3_after_gate32:
	EQ esp, R3_ESP
	mov ax, es
	EQ ax, 0
	mov ax, cs
	EQ ax, SEL_C3 | 3
	; ---- call gate, 16-bit, 2 parameters ----
	push word 0xaaaa
	push word 0xbbbb
	call 0x50 | 3:0
r3_after_gate16:
	EQ esp, R3_ESP
	; ---- far call to conforming code: CPL stays 3 ----
	call 0x58:conf_func
	EQ esp, R3_ESP
	; ---- POPF and IRET at CPL 3 cannot change IOPL or IF ----
	pushfd
	or dword [esp], 0x3000
	and dword [esp], ~0x200
	popfd
	pushfd
	pop eax
	and eax, 0x3200
	EQ eax, 0x200                             ; IOPL 0, IF still 1
	push dword 0x3002
	push dword SEL_C3 | 3
	push dword r3_after_iret
	iretd
r3_after_iret:
	pushfd
	pop eax
	and eax, 0x3200
	EQ eax, 0x200
	; ---- I/O permission bitmap (IOPL 0) ----
	mov al, 'i'
	out 0xe9, al                              ; port E9h is open
	mov al, 'o'
	out 0xe9, al
	mov al, ' '
	out 0xe9, al
	int 0x3f
back1:
	FLAT_SEGS
	EQ dword [EXV_VEC], 0x3f
	EQ dword [EXV_CS], SEL_C3 | 3

	; ---- faults at ring 3 ----
	R3_EXPECT 13, 0x31 * 8 + 2, int 0x31
	EQ dword [EXV_CS], SEL_C3 | 3
	EQ dword [EXV_SS], SEL_D3 | 3
	EQ dword [EXV_ESP], R3_ESP
	EQ dword [EXV_HESP], R0_ESP - 20          ; at EIP, after the error code
	R3_EXPECT 13, 0x60, call 0x60 | 3:0
	R3_EXPECT 13, SEL_C0, jmp SEL_C0:0
	R3_EXPECT 13, SEL_C0, call SEL_C0:0
	R3_EXPECT 13, 0, cli
	R3_EXPECT 13, 0, hlt
	R3_EXPECT 13, 0, in al, 0x80
	R3_EXPECT 13, 0, out 0x80, al
	R3_EXPECT 13, 0, in ax, 0xe9              ; needs EAh too
	R3_EXPECT 13, 0, out 0xe8, al
	mov ax, SEL_D0
	R3_EXPECT 13, SEL_D0, mov ds, ax
	mov ax, SEL_D3                            ; RPL 0 < CPL 3: fine for data
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], back2
	RING3 r3_part2
r3_part2:
	mov ds, ax
	int 0x3f
back2:
	FLAT_SEGS
	EQ dword [EXV_VEC], 0x3f

	; ---- IOPL 3: I/O and CLI allowed at CPL 3 ----
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], back3
	RING3 r3_part3, 0x3002
r3_part3:
	in al, 0x80
	cli
	sti
	cli
	int 0x3f
back3:
	FLAT_SEGS
	EQ dword [EXV_VEC], 0x3f

	; ---- returns to an outer level with bad selectors ----
	push dword SEL_D0 | 3                     ; SS: RPL 3 but DPL 0
	push dword R3_ESP
	push dword SEL_C3 | 3
	push dword r3_part2
	EXPECT 13, SEL_D0, retf
	add esp, 16
	push dword SEL_D3 | 3
	push dword R3_ESP
	push dword 0x2
	push dword SEL_C0 | 3                     ; CS: RPL 3, DPL 0
	push dword r3_part2
	EXPECT 13, SEL_C0, iretd
	add esp, 20
	push dword SEL_D3 | 2                     ; SS RPL 2 != CS RPL 3
	push dword R3_ESP
	push dword 0x2
	push dword SEL_C3 | 3
	push dword r3_part2
	EXPECT 13, SEL_D3, iretd
	add esp, 20

	; ---- IRET to a 16-bit ring-3 stack keeps ESP[31:16] of ring 0 ----
	mov ebx, esp
	mov esp, R0_HIGH_ESP
	mov [RESUME_ESP], ebx
	mov dword [RESUME_EIP], back4
	push dword 0x70 | 3
	push dword 0x12345ff0
	push dword 0x2
	push dword SEL_C3 | 3
	push dword r3_part4
	iretd
r3_part4:
	mov [fs:0], eax                           ; (FS is null: #GP(0) -> back4)
back4:
	FLAT_SEGS
	EQ dword [EXV_VEC], 13
	EQ dword [EXV_EIP], r3_part4
	EQ dword [EXV_ESP], (R0_HIGH_ESP & 0xffff0000) | 0x5ff0
	EQ dword [EXV_SS], 0x70 | 3

	PRINT "ok", 10
	PASS

; ---- ring-0 handlers ----
isr30:
	; frame on the ring-0 stack from the TSS: EIP CS EFLAGS ESP SS
	EQ esp, R0_ESP - 20
	EQ dword [esp], r3_after30
	EQ dword [esp + 4], SEL_C3 | 3
	EQ dword [esp + 12], R3_ESP
	EQ dword [esp + 16], SEL_D3 | 3
	mov eax, [esp + 8]
	and eax, 0x200                            ; IF was 1 at ring 3 ...
	EQ eax, 0x200
	pushfd
	pop eax
	and eax, 0x200                            ; ... and is 0 in an interrupt gate
	EQ eax, 0
	mov ax, cs
	EQ ax, SEL_C0
	mov ax, ss
	EQ ax, SEL_D0
	mov dword [SCRATCH + 0x40], 1
	mov ax, SEL_D0
	mov es, ax                                ; must be null after the IRET
	iretd

isr33:
	pushfd
	pop eax
	and eax, 0x200
	EQ eax, 0x200                             ; trap gate: IF unchanged
	iretd

isr34:
	; runs at CPL 3 on the ring-3 stack
	xor eax, eax
	mov ax, cs
	mov [SCRATCH + 16], eax
	mov [SCRATCH + 20], esp
	mov ax, ss
	mov [SCRATCH + 24], eax
	iretd

gate32_target:
	EQ esp, R0_ESP - 28
	EQ dword [esp], r3_after_gate32
	EQ dword [esp + 4], SEL_C3 | 3
	EQ dword [esp + 8], 0x33333333
	EQ dword [esp + 12], 0x22222222
	EQ dword [esp + 16], 0x11111111
	EQ dword [esp + 20], R3_ESP - 12
	EQ dword [esp + 24], SEL_D3 | 3
	mov ax, cs
	EQ ax, SEL_C0
	mov ax, SEL_D0
	mov es, ax
	retf 12

gate16_target:
	EQ esp, R0_ESP - 12
	EQ word [esp], r3_after_gate16
	EQ word [esp + 2], SEL_C3 | 3
	EQ word [esp + 4], 0xbbbb
	EQ word [esp + 6], 0xaaaa
	EQ word [esp + 8], (R3_ESP - 4) & 0xffff
	EQ word [esp + 10], SEL_D3 | 3
	o16 retf 4

conf_func:
	mov ax, cs
	EQ ax, 0x58 | 3
	retf

	bits 16
isr32_16:
	; 16-bit gate: IP CS FLAGS SP SS as words on the ring-0 stack
	mov eax, [esp]
	mov [SCRATCH], eax
	mov eax, [esp + 4]
	mov [SCRATCH + 4], eax
	mov ax, [esp + 8]
	mov [SCRATCH + 8], ax
	mov [SCRATCH + 12], esp
	iret
	bits 32

	PM_SUPPORT
	ROM_END

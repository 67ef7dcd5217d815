; pm-v86: virtual-8086 mode (SDM Vol. 3 chapter 20; Vol. 2 INT n, IRET, POPF).
;
; Checks:
;  - entering v86 mode with IRETD at CPL 0 (VM in the popped EFLAGS): CS:IP,
;    SS:SP and ES/DS/FS/GS from the frame, segment base = selector * 16, CPL 3
;  - segment loads in v86 mode (base = value * 16), limit FFFFh: #GP(0)/#SS(0)
;  - IOPL < 3: INT n, CLI, STI, PUSHF, POPF, IRET raise #GP(0) to the ring-0
;    monitor, with the v86 frame (EIP CS EFLAGS(VM) ESP SS ES DS FS GS) and
;    DS/ES/FS/GS null in the handler
;  - I/O in v86 mode always goes through the TSS bitmap (even with IOPL 3)
;  - INT3 through a DPL 0 gate: #GP(3*8+2); SLDT/ARPL/LAR/VERR: #UD
;  - IOPL 3: INT n through a DPL 3 gate to ring 0 (stack from the TSS, 36-byte
;    frame, VM/TF/IF cleared), IRETD back to v86 mode restoring all segments;
;    IRET/POPF in v86 mode cannot change IOPL; CLI/STI work
;  - INT n to a non-zero-DPL or conforming code segment: #GP(selector)
;  - a 16-bit interrupt gate from v86 mode pushes the same frame as words
	bits 16
%include "common.inc"
%include "pm.inc"
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
	DESC 0xf0000, 0xffff, 0x9e, 0x4           ; 48 conforming code, DPL 0
	DESC 0xf0000, 0xffff, 0x9a, 0x0           ; 50 code16, DPL 0
gdt_template_end:

V86_CS equ 0xf000
V86_DS equ 0x2000
V86_ES equ 0x2100
V86_FS equ 0x2200
V86_GS equ 0x2300
V86_SS equ 0x3000
V86_SP equ 0xfff0
VM     equ 0x20000

; V86_IRET label, eflags: enter v86 mode at F000:label
%macro V86_IRET 2
	push dword V86_GS
	push dword V86_FS
	push dword V86_DS
	push dword V86_ES
	push dword V86_SS
	push dword V86_SP
	push dword VM | (%2)
	push dword V86_CS
	push dword %1
	iretd
%endmacro

; V86_EXPECT vector, error, eflags, instruction: one v86 instruction must
; fault (the UD2 after it marks "no fault")
%macro V86_EXPECT 4+
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], %%resume
	V86_IRET %%insn, %3
	bits 16
%%insn:
	%4
	ud2
	bits 32
%%resume:
	FLAT_SEGS
	EQ dword [EXV_VEC], %1
	EQ dword [EXV_ERR], %2
	EQ dword [EXV_EIP], %%insn
	EQ dword [EXV_CS], V86_CS
%endmacro

	bits 32
main32:
	PM_SEGS
	PRINT "pm-v86: "
	SETUP_TSSA
	SET_GATE 0x30, SEL_C0, isr30, 0xee        ; DPL 3 interrupt gate to ring 0
	SET_GATE 0x31, SEL_C3, isr30, 0xee        ; to DPL 3 code
	SET_GATE 0x32, 0x48, isr30, 0xee          ; to conforming code
	SET_GATE 0x33, 0x50, isr33_16, 0xe6       ; 16-bit interrupt gate
	mov byte [0x20000], 0
	mov word [0x21000], 0

	; ---- enter v86 mode (IOPL 0), use memory, then INT -> #GP(0) ----
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], back1
	V86_IRET v86_part1, 0x2
	bits 16
v86_part1:
	mov al, 'v'
	out 0xe9, al                              ; port E9h is open in the bitmap
	mov al, '8'
	out 0xe9, al
	mov al, '6'
	out 0xe9, al
	mov al, ' '
	out 0xe9, al
	mov byte [0], 0x5a                        ; DS: 20000h
	mov word [es:0], 0x1234                   ; ES: 21000h
	mov word [fs:2], 0x5678                   ; FS: 22000h
	push word 0x4321                          ; SS:SP 3000:FFEE
	pop ax
	mov bx, 0x1234
	mov es, bx                                ; base 12340h
	mov word [es:0], 0xbeef
	mov bx, V86_ES
	mov es, bx
v86_int:
	int 0x21
	ud2
	bits 32
back1:
	EQ dword [EXV_VEC], 13
	EQ dword [EXV_ERR], 0
	EQ dword [EXV_EIP], v86_int
	EQ dword [EXV_CS], V86_CS
	mov eax, [EXV_EFL]
	and eax, VM | 0x3000
	EQ eax, VM
	EQ dword [EXV_ESP], V86_SP
	EQ dword [EXV_SS], V86_SS
	EQ dword [EXV_V86ES], V86_ES
	EQ dword [EXV_V86DS], V86_DS
	EQ dword [EXV_V86FS], V86_FS
	EQ dword [EXV_V86GS], V86_GS
	EQ dword [EXV_DS], 0                      ; nulled on the way in
	EQ dword [EXV_ES], 0
	EQ dword [EXV_GS], 0
	EQ dword [EXV_HESP], R0_ESP - 36          ; after the error code
	FLAT_SEGS
	EQ byte [0x20000], 0x5a
	EQ word [0x21000], 0x1234
	EQ word [0x22002], 0x5678
	EQ word [0x3ffee], 0x4321
	EQ word [0x12340], 0xbeef

	; ---- IOPL-sensitive instructions with IOPL 0 ----
	V86_EXPECT 13, 0, 0x2, cli
	V86_EXPECT 13, 0, 0x2, sti
	V86_EXPECT 13, 0, 0x2, pushf
	V86_EXPECT 13, 0, 0x2, popf
	V86_EXPECT 13, 0, 0x2, iret
	V86_EXPECT 13, 0, 0x2, o32 pushf
	V86_EXPECT 13, 0, 0x2, in al, 0x80
	V86_EXPECT 13, 0, 0x2, in ax, 0xe9        ; EAh closed
	V86_EXPECT 13, 0, 0x2, hlt
	; ---- not IOPL-sensitive ----
	V86_EXPECT 13, 3 * 8 + 2, 0x2, int3       ; gate DPL 0 < CPL 3
	V86_EXPECT 6, -1, 0x2, sldt ax
	V86_EXPECT 6, -1, 0x2, arpl ax, bx
	V86_EXPECT 6, -1, 0x2, lar ax, bx
	V86_EXPECT 6, -1, 0x2, verr ax
	V86_EXPECT 13, 0, 0x2, mov ax, [0xffff]   ; limit FFFFh
	V86_EXPECT 12, 0, 0x2, mov ax, [ss:0xffff]
	; ---- IOPL 3 ----
	V86_EXPECT 13, 0, 0x3002, in al, 0x80     ; the bitmap still applies
	V86_EXPECT 13, 0x18, 0x3002, int 0x31     ; target DPL 3
	V86_EXPECT 13, 0x48, 0x3002, int 0x32     ; target conforming

	; ---- INT with IOPL 3 through a DPL 3 gate, IRETD back to v86 mode ----
	mov dword [SCRATCH + 0x40], 0
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], back2
	V86_IRET v86_part2, 0x3202                ; IOPL 3, IF set
	bits 16
v86_part2:
	mov ax, 0x1111
	int 0x30
v86_after30:
	cmp ax, 0x1111
	jne v86_fail
	mov bx, cs
	cmp bx, V86_CS
	jne v86_fail
	mov bx, ds
	cmp bx, V86_DS
	jne v86_fail
	mov bx, es
	cmp bx, V86_ES
	jne v86_fail
	mov bx, fs
	cmp bx, V86_FS
	jne v86_fail
	mov bx, gs
	cmp bx, V86_GS
	jne v86_fail
	mov bx, ss
	cmp bx, V86_SS
	jne v86_fail
	cmp sp, V86_SP
	jne v86_fail
	cmp byte [0], 0x5a                        ; DS base 20000h again
	jne v86_fail
	; IRET in v86 mode (IOPL 3) works like real mode but keeps IOPL
	pushf
	push cs
	push word v86_after_iret
	mov bp, sp
	and word [bp + 4], 0x0fff                 ; try IOPL 0
	iret
v86_after_iret:
	pushf
	pop bx
	and bx, 0x3000
	cmp bx, 0x3000
	jne v86_fail
	push word 0x0002                          ; POPF: IOPL 0, IF 0 requested
	popf
	pushf
	pop bx
	and bx, 0x3200
	cmp bx, 0x3000                            ; IOPL kept, IF cleared (IOPL 3)
	jne v86_fail
	sti
	cli
	; far JMP/CALL/RETF in v86 mode: real-mode semantics
	call V86_CS:v86_far
	jmp V86_CS:v86_jmp
	ud2
v86_jmp:
	int 0x33                                  ; 16-bit gate: leave v86 mode
v86_fail:
	ud2
v86_far:
	mov bx, sp
	cmp word [ss:bx + 2], V86_CS
	jne v86_fail
	retf
	bits 32
back2:
	FLAT_SEGS
	EQ dword [SCRATCH + 0x40], 1              ; the ring-0 handler ran
	; the 16-bit gate's frame: IP CS FLAGS SP SS ES DS FS GS (words)
	EQ word [SCRATCH], v86_fail
	EQ word [SCRATCH + 2], V86_CS
	EQ word [SCRATCH + 6], V86_SP
	EQ word [SCRATCH + 8], V86_SS
	EQ word [SCRATCH + 10], V86_ES
	EQ word [SCRATCH + 12], V86_DS
	EQ word [SCRATCH + 14], V86_FS
	EQ word [SCRATCH + 16], V86_GS
	EQ dword [SCRATCH + 20], R0_ESP - 18

	PRINT "ok", 10
	PASS

; ---- INT 30h from v86 mode (IOPL 3): ring 0, v86 frame ----
isr30:
	mov bx, ds
	mov cx, es
	mov dx, fs
	mov si, gs
	push eax
	mov ax, SEL_D0
	mov ds, ax
	pop eax
	EQ bx, 0
	EQ cx, 0
	EQ dx, 0
	EQ si, 0
	EQ esp, R0_ESP - 36
	EQ dword [esp], v86_after30
	EQ dword [esp + 4], V86_CS
	mov edi, [esp + 8]
	and edi, VM | 0x3000
	EQ edi, VM | 0x3000
	EQ dword [esp + 12], V86_SP
	EQ dword [esp + 16], V86_SS
	EQ dword [esp + 20], V86_ES
	EQ dword [esp + 24], V86_DS
	EQ dword [esp + 28], V86_FS
	EQ dword [esp + 32], V86_GS
	mov ax, cs
	EQ ax, SEL_C0
	mov ax, ss
	EQ ax, SEL_D0
	pushfd
	pop edi
	and edi, VM | 0x300
	EQ edi, 0                                 ; VM, IF, TF clear
	mov dword [SCRATCH + 0x40], 1
	mov ax, 0x1111
	iretd                                     ; back to v86 mode

	bits 16
isr33_16:
	mov ax, SEL_D0
	mov ds, ax
	mov eax, [esp]
	mov [SCRATCH], eax
	mov eax, [esp + 4]
	mov [SCRATCH + 4], eax
	mov eax, [esp + 8]
	mov [SCRATCH + 8], eax
	mov eax, [esp + 12]
	mov [SCRATCH + 12], eax
	mov ax, [esp + 16]
	mov [SCRATCH + 16], ax
	mov [SCRATCH + 20], esp
	mov esp, [RESUME_ESP]
	jmp dword SEL_C0:back2
	bits 32

	PM_SUPPORT
	ROM_END

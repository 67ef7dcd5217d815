; pm-basic: protected-mode segmentation at CPL 0.
;
; Checks (SDM Vol. 3 chapters 3 and 5, Vol. 2 instruction pages):
;  - entering protected mode with a far jump; Accessed bits set on CS/DS loads (3.4.5.1)
;  - SGDT/SIDT store limit and the full 32-bit base for both operand sizes
;  - MOV Sreg: null selectors (allowed for ES, #GP(0) on use; #GP(0) for SS),
;    table limit (#GP(sel)), type rules (execute-only code, system descriptor),
;    RPL/DPL rules for data and SS, not present: #NP(sel) / #SS(sel) (5.5-5.7)
;  - segment limits: expand-up, expand-down (B=1), G-bit scaling, read-only data,
;    writes through CS, reads of execute-only code: #GP(0) / #SS(0) (5.3)
;  - far JMP/CALL/RETF to code segments: #GP(0) null, #GP(sel) data / RPL > CPL,
;    #NP(sel), #GP(0) beyond the limit, conforming code keeps CPL; 16/32-bit
;    frames, RETF imm16 (Vol. 2 JMP, CALL, RET)
;  - LAR/LSL/VERR/VERW results and ZF; ARPL; LLDT/SLDT with LDT-based selectors;
;    LTR/STR and the busy bit; SMSW/LMSW (PE cannot be cleared); CLTS
;  - MOV r32,Sreg zero-extends, MOV m16,Sreg writes 16 bits, PUSH Sreg (32-bit)
;  - LDS/LES/LFS/LGS/LSS, and a faulting LFS leaves the register unchanged
;  - MOV SS and POP SS inhibit the single-step trap for one instruction
	bits 16
%include "common.inc"
%include "pm.inc"
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
	DESC 0, 0xfffff, 0x12, 0xc             ; 48 data, not present
	DESC 0xf0000, 0xffff, 0x98, 0x4        ; 50 code, execute-only
	DESC 0xf0000, 0xffff, 0x9e, 0x4        ; 58 code, readable, conforming
	DESC 0x20000, 0xfff, 0x90, 0x0         ; 60 data, read-only
	DESC 0x20000, 0xfff, 0xf2, 0x0         ; 68 data DPL 3
	DESC 0x20000, 0xfff, 0x96, 0x4         ; 70 data, expand-down, B=1
	DESC 0xf0000, 0xff, 0x9a, 0x4          ; 78 code, limit FFh
	DESC 0xf0000, 0xffff, 0x1a, 0x4        ; 80 code, not present
	DESC LDT_BASE, 0x17, 0x82, 0           ; 88 LDT (3 entries)
	DESC 0, 0xfffff, 0xb2, 0xc             ; 90 data DPL 1
	DESC 0x20000, 0x1, 0x92, 0xc           ; 98 data, G=1: limit 1FFFh
	DESC 0, 0x8fff, 0x92, 0x4              ; A0 data base 0 limit 8FFFh (stack)
	GATEDESC SEL_C0, main32, 0xec, 2       ; A8 call gate (for LAR/LSL)
gdt_template_end:

ptr32:	dd 0x12345678
	dw SEL_D0
ptr_np:	dd 0x9abcdef0
	dw 0x48
ptr16:	dw 0x4321
	dw SEL_SMALL

	bits 32
main32:
	PM_SEGS
	PRINT "pm-basic: "
	; ---- entry state and Accessed bits ----
	mov ax, cs
	EQ ax, SEL_C0
	EQ byte [GDT_BASE + SEL_C0 + 5], 0x9b
	EQ byte [GDT_BASE + SEL_D0 + 5], 0x93
	EQ byte [GDT_BASE + SEL_SMALL + 5], 0x92   ; not loaded yet
	mov ax, SEL_SMALL
	mov es, ax
	EQ byte [GDT_BASE + SEL_SMALL + 5], 0x93

	; ---- SGDT / SIDT ----
	mov dword [SCRATCH], 0xdeadbeef
	mov dword [SCRATCH + 4], 0xdeadbeef
	sgdt [SCRATCH]
	EQ word [SCRATCH], gdt_template_end - gdt_template - 1
	EQ dword [SCRATCH + 2], GDT_BASE
	sidt [SCRATCH]
	EQ word [SCRATCH], NVEC * 8 - 1
	EQ dword [SCRATCH + 2], IDT_BASE
	; a 32-bit LIDT of a base with a high byte, stored by a 16-bit SIDT
	mov word [SCRATCH + 8], 0x1ff
	mov dword [SCRATCH + 10], 0xab002000
	lidt [SCRATCH + 8]
	o16 sidt [SCRATCH]
	EQ dword [SCRATCH + 2], 0xab002000
	; a 16-bit LIDT loads 24 bits of base
	o16 lidt [SCRATCH + 8]
	sidt [SCRATCH]
	EQ dword [SCRATCH + 2], IDT_BASE
	EQ word [SCRATCH], 0x1ff

	; ---- null selectors ----
	xor eax, eax
	mov es, ax
	mov ax, es
	EQ ax, 0
	EXPECT 13, 0, mov eax, [es:0x500]
	mov eax, 3
	mov es, ax
	mov ax, es
	EQ ax, 3
	EXPECT 13, 0, mov [es:0x500], eax
	xor eax, eax
	EXPECT 13, 0, mov ss, ax
	mov ax, ss
	EQ ax, SEL_D0

	; ---- table limit, types ----
	mov ax, 0x1fb
	EXPECT 13, 0x1f8, mov es, ax
	mov ax, 0x50
	EXPECT 13, 0x50, mov es, ax
	mov ax, 0x58
	mov es, ax                               ; readable conforming code: fine
	mov eax, [es:0]
	EQ eax, [cs:0]
	mov ax, SEL_TSSA
	EXPECT 13, SEL_TSSA, mov fs, ax
	mov ax, SEL_C0
	EXPECT 13, SEL_C0, mov ss, ax            ; code into SS

	; ---- presence ----
	mov ax, 0x48
	EXPECT 11, 0x48, mov ds, ax
	mov ax, ds
	EQ ax, SEL_D0
	mov ax, 0x48
	EXPECT 12, 0x48, mov ss, ax

	; ---- privilege ----
	mov ax, 0x68                             ; DPL 3, RPL 0 into SS at CPL 0
	EXPECT 13, 0x68, mov ss, ax
	mov ax, SEL_D0 | 3                       ; RPL != CPL
	EXPECT 13, SEL_D0, mov ss, ax
	mov ax, 0x60                             ; read-only data into SS
	EXPECT 13, 0x60, mov ss, ax
	mov ax, SEL_D0 | 3                       ; RPL 3 > DPL 0
	EXPECT 13, SEL_D0, mov gs, ax
	mov ax, 0x92                             ; RPL 2 > DPL 1
	EXPECT 13, 0x90, mov gs, ax
	mov ax, 0x91                             ; RPL 1 = DPL 1 >= CPL 0
	mov gs, ax
	mov ax, 0x6b                             ; DPL 3 data with RPL 3
	mov gs, ax
	mov ax, gs
	EQ ax, 0x6b

	; ---- limits ----
	mov ax, SEL_SMALL
	mov es, ax
	mov dword [es:0xffc], 0x11223344
	EQ dword [0x20ffc], 0x11223344
	EXPECT 13, 0, mov eax, [es:0xffd]
	EXPECT 13, 0, mov ax, [es:0xfff]
	mov al, [es:0xfff]
	mov ax, 0x98                             ; G=1: limit 1FFFh
	mov es, ax
	mov eax, [es:0x1ffc]
	EXPECT 13, 0, mov eax, [es:0x1ffd]
	mov ax, 0x70                             ; expand-down, limit FFFh, B=1
	mov es, ax
	mov eax, [es:0x1000]
	mov al, [es:0xffffffff]
	EXPECT 13, 0, mov al, [es:0xfff]
	EXPECT 13, 0, mov eax, [es:0]
	EXPECT 13, 0, mov eax, [es:0xfffffffe]
	mov ax, 0xa0                             ; SS with base 0, limit 8FFFh
	mov ss, ax
	mov eax, [ss:0x8ffc]
	EXPECT 12, 0, mov eax, [ss:0x8ffd]
	mov ax, ss
	EQ ax, SEL_D0                            ; restored by the handler
	mov ax, 0x60                             ; read-only data
	mov es, ax
	mov eax, [es:0]
	EXPECT 13, 0, mov [es:0], eax
	EXPECT 13, 0, mov [cs:0], eax
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], t_after_eo
	jmp 0x50:exec_only                       ; the read of CS faults inside
exec_only:
	mov eax, [cs:0]                          ; execute-only: #GP(0) reported here
	call fail_here
t_after_eo:
	EQ dword [EXV_VEC], 13
	EQ dword [EXV_ERR], 0
	EQ dword [EXV_EIP], exec_only
	EQ dword [EXV_CS], 0x50

	; ---- far JMP ----
	EXPECT 13, 0, jmp 0:0
	EXPECT 13, SEL_D0, jmp SEL_D0:0
	EXPECT 13, 0x1f8, jmp 0x1f8:0
	EXPECT 13, 0, jmp 0x78:0x100             ; beyond the limit
	EXPECT 11, 0x80, jmp 0x80:0
	EXPECT 13, SEL_C0, jmp SEL_C0 | 3:0      ; RPL 3 > CPL 0, non-conforming
	EXPECT 13, SEL_C3, jmp SEL_C3:0          ; DPL 3 != CPL 0
	jmp 0x5b:t_conf                           ; conforming: CS.RPL becomes CPL
t_conf:
	mov ax, cs
	EQ ax, 0x58
	jmp SEL_C0:t_back
t_back:
	mov ax, cs
	EQ ax, SEL_C0

	; ---- far CALL / RETF ----
	mov ebx, esp
	call SEL_C0:far32
t_r32:
	EQ esp, ebx
	call word SEL_C0:far16
	EQ esp, ebx
	push dword 1
	push dword 2
	call SEL_C0:far_imm
	EQ esp, ebx
	EXPECT 13, SEL_D0, call SEL_D0:0
	EQ esp, ebx
	EXPECT 11, 0x80, call 0x80:0
	EXPECT 13, 0, call SEL_C0:0x10000         ; beyond the CS limit
	EQ esp, ebx
	jmp t_lar

far32:
	EQ dword [esp], t_r32
	EQ dword [esp + 4], SEL_C0
	retf
far16:
	EQ word [esp + 2], SEL_C0
	cmp word [esp], 0
	jne far16_ok
	call fail_here
far16_ok:
	o16 retf
far_imm:
	EQ dword [esp + 8], 2
	EQ dword [esp + 12], 1
	retf 8

t_lar:
	; ---- LAR / LSL / VERR / VERW ----
	mov eax, 0xffffffff
	mov bx, SEL_D0
	lar eax, bx
	jnz fail_lar
	EQ eax, 0x00cf9300
	o16 lar ax, bx
	jnz fail_lar
	EQ eax, 0x00cf9300 & 0xffff0000 | 0x9300
	mov bx, 0xa8
	lar ecx, bx                               ; call gate: LAR yes
	jnz fail_lar
	EQ ecx, 0x0000ec00
	mov ecx, 0x55
	lsl ecx, bx                               ; call gate: LSL no
	jz fail_lar
	EQ ecx, 0x55
	mov bx, SEL_D0
	lsl ecx, bx
	EQ ecx, 0xffffffff
	mov bx, 0x98
	lsl ecx, bx
	EQ ecx, 0x1fff
	mov bx, SEL_TSSA
	lsl ecx, bx
	jnz fail_lar
	EQ ecx, 0x2068
	mov ecx, 0x77
	xor ebx, ebx
	lar ecx, bx                               ; null: ZF = 0
	jz fail_lar
	mov bx, 0x1f8
	lar ecx, bx                               ; outside the GDT
	jz fail_lar
	mov bx, 0x92
	lar ecx, bx                               ; DPL 1 < RPL 2
	jz fail_lar
	EQ ecx, 0x77
	mov bx, 0x5b
	lar ecx, bx                               ; conforming: no privilege check
	jnz fail_lar
	mov bx, 0x50
	verr bx
	jz fail_lar
	mov bx, 0x58
	verr bx
	jnz fail_lar
	mov bx, 0x60
	verr bx
	jnz fail_lar
	verw bx
	jz fail_lar
	mov bx, SEL_D0
	verw bx
	jnz fail_lar
	mov bx, 0x48                              ; not present: still writable
	verw bx
	jnz fail_lar
	mov bx, SEL_TSSA
	verr bx
	jz fail_lar
	mov bx, 0x92
	verw bx
	jz fail_lar
	jmp t_arpl
fail_lar:
	call fail_here

t_arpl:
	; ---- ARPL ----
	mov ax, 0x10
	mov bx, 0x23
	arpl ax, bx
	jnz fail_lar
	EQ ax, 0x13
	arpl ax, bx
	jz fail_lar
	EQ ax, 0x13
	mov word [SCRATCH], 0x40
	arpl [SCRATCH], bx
	EQ word [SCRATCH], 0x43

	; ---- LLDT / SLDT and LDT selectors ----
	mov dword [LDT_BASE + 0], 0x0000ffff      ; 04: flat data DPL 0
	mov dword [LDT_BASE + 4], 0x00cf9200
	mov dword [LDT_BASE + 8], 0x0000ffff      ; 0C: data DPL 3 base 20000h limit FFFFh
	mov dword [LDT_BASE + 12], 0x0000f202
	mov dword [LDT_BASE + 16], 0
	mov dword [LDT_BASE + 20], 0
	mov ax, 0x88
	lldt ax
	sldt bx
	EQ bx, 0x88
	mov ecx, 0xffffffff
	sldt ecx
	EQ ecx, 0x88
	mov ax, 0x04
	mov es, ax
	mov eax, [es:0x500]
	EQ eax, [0x500]
	mov ax, 0x0f
	mov es, ax
	mov dword [es:0x10], 0xcafe
	EQ dword [0x20010], 0xcafe
	mov ax, 0x1c                              ; beyond the LDT limit
	EXPECT 13, 0x1c, mov es, ax
	mov ax, 0x14                              ; an empty descriptor
	EXPECT 13, 0x14, mov es, ax
	mov ax, SEL_D0
	EXPECT 13, SEL_D0, lldt ax
	mov ax, 0x8c                              ; TI = 1
	EXPECT 13, 0x8c, lldt ax
	mov ax, SEL_D0                            ; nothing may refer to the LDT now
	mov es, ax
	xor eax, eax
	lldt ax
	mov ax, 0x04
	EXPECT 13, 0x04, mov es, ax               ; the LDT is unusable now

	; ---- LTR / STR ----
	EQ byte [GDT_BASE + SEL_TSSA + 5], 0x89
	mov ax, SEL_TSSA
	ltr ax
	EQ byte [GDT_BASE + SEL_TSSA + 5], 0x8b
	str cx
	EQ cx, SEL_TSSA
	mov ax, SEL_TSSA
	EXPECT 13, SEL_TSSA, ltr ax               ; busy
	mov ax, SEL_D0
	EXPECT 13, SEL_D0, ltr ax
	xor eax, eax
	EXPECT 13, 0, ltr ax

	; ---- MOV from segment registers, PUSH/POP Sreg ----
	mov eax, 0xffffffff
	mov eax, ds
	EQ eax, SEL_D0
	mov eax, 0xffffffff
	mov ax, ds
	EQ eax, 0xffff0000 | SEL_D0
	mov dword [SCRATCH], 0xffffffff
	mov [SCRATCH], ds
	EQ dword [SCRATCH], 0xffff0000 | SEL_D0
	mov ebx, esp
	push dword 0xffffffff
	pop eax
	push ds
	EQ dword [esp], SEL_D0
	pop es
	EQ esp, ebx
	mov ax, es
	EQ ax, SEL_D0
	push dword SEL_SMALL
	pop gs
	EQ esp, ebx
	mov ax, gs
	EQ ax, SEL_SMALL

	; ---- LDS/LES/LFS/LGS/LSS ----
	mov ax, SEL_SMALL
	mov es, ax
	les ebx, [cs:ptr32]
	EQ ebx, 0x12345678
	mov ax, es
	EQ ax, SEL_D0
	mov ebx, 0x5555
	EXPECT 11, 0x48, lfs ebx, [cs:ptr_np]
	EQ ebx, 0x5555
	mov ebx, 0xffffffff
	lgs bx, [cs:ptr16]
	EQ ebx, 0xffff4321
	mov ax, gs
	EQ ax, SEL_SMALL
	mov ecx, esp
	lss esp, [cs:ptr32]
	mov ax, ss
	mov edx, esp
	mov esp, ecx
	EQ dx, 0x5678
	EQ ax, SEL_D0

	; ---- SMSW / LMSW / CLTS ----
	mov eax, cr0
	smsw ebx
	EQ ebx, eax
	xor eax, eax
	lmsw ax                                   ; PE stays set
	mov eax, cr0
	test al, 1
	jz fail_lar
	mov ax, 0x0009
	lmsw ax
	mov eax, cr0
	and eax, 0xf
	EQ eax, 9
	clts
	mov eax, cr0
	and eax, 0xf
	EQ eax, 1

	; ---- MOV SS / POP SS delay the single-step trap ----
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], t_tf1
	mov ax, SEL_D0
	pushfd
	or dword [esp], 0x100
	popfd                                     ; TF from here on
	mov ss, ax                                ; no trap after this one
	nop                                       ; the trap comes after this
t_tf_next:
	call fail_here
t_tf1:
	EQ dword [EXV_VEC], 1
	EQ dword [EXV_EIP], t_tf_next
	mov dword [EXV_VEC], 0xff
	mov dword [RESUME_EIP], t_tf2
	push dword SEL_D0
	pushfd
	or dword [esp], 0x100
	popfd
	pop ss
	nop
t_tf_next2:
	call fail_here
t_tf2:
	EQ dword [EXV_VEC], 1
	EQ dword [EXV_EIP], t_tf_next2

	PRINT "ok", 10
	PASS

	PM_SUPPORT
	ROM_END

; Flags the SDM leaves undefined, as the translator must leave them: equal to
; the interpreter's (the reference), whoever reads them.  The translator runs
; shifts and rotates by an immediate as themselves and fixes up the flags the
; host computes differently (AF after a shift: the host may set it, the
; interpreter clears it); a reader of that flag must see the fixed value:
; 1. SHR then LAHF in the same block (found by --check-lockstep on test386);
; 2. SHL then PUSHFD (a handler reads the flags from memory);
; 3. SHR at the end of a block, LAHF in the next one;
; 4. ROL by 5: OF is the 1-bit formula MSB(result) XOR CF on both engines;
; 5. DIV leaves the flags as they were (the interpreter's choice), with the
;    divisor in a register and (6) in memory;
; 7. SHR ECX, CL (the count is CL of the register shifted): AF = 0 after it,
;    the result as the SDM says;
; 8. SHL by CL = 32 (masked count 0): no flag changes (SDM: "if the count is
;    0, the flags are not affected"), AF = 1 stays;
; 9. SHR by CL at the end of a block, LAHF in the next: AF = 0;
; 10. BTS: CF = the bit; SF ZF AF PF as they were (the interpreter's choice
;    where the SDM says undefined, ZF unaffected);
; 11. LODSB/W/D and SCASB/W/D without REP (run inline): the value, the flags
;    of the comparison, ESI/EDI stepping by the size, forward (DF = 0) and
;    backward (DF = 1);
; 12. IMUL r32, r/m32, imm: CF = OF = overflow (SDM); SF ZF PF from the
;    result and AF = 0, the interpreter's (the P6's) choice where the SDM
;    says undefined, at the end of a block (PUSHFD in the next).
; The values checked for AF and OF here are the interpreter's choices where
; the SDM says "undefined"; the test is that every engine agrees with them
; (make check runs it translated, under --check-lockstep and interpreted).
	bits 16
%include "common.inc"
section .text start=0
	ENTER_PM32 pm
	bits 32
pm:
	FLAT_DATA32
	PUTS32 "bt-flags: "

	; 1. AF set by an ADD, then SHR by 3: LAHF sees AF = 0
	mov ebx, 0xf0f0f0f0
	mov al, 0x78
	add al, 0x0f                    ; AF = 1
	shr ebx, 3
	lahf
	test ah, 0x10
	jz .ok1
	FAIL 1
.ok1:
	CHECK ebx, 0x1e1e1e1e, 2

	; 2. SHL by 5, PUSHFD: AF = 0 in the image
	mov al, 0x78
	add al, 0x0f
	mov ecx, 0x00000003
	shl ecx, 5
	pushfd
	pop edx
	test edx, 0x10
	jz .ok2
	FAIL 3
.ok2:
	CHECK ecx, 0x60, 4

	; 3. SHR ends a block (JMP), LAHF starts the next
	mov al, 0x78
	add al, 0x0f
	shr ebx, 1
	jmp .next
.next:
	lahf
	test ah, 0x10
	jz .ok3
	FAIL 5
.ok3:

	; 4. ROL 0x08000000 by 5 = 0x00000001: CF = 1, OF = MSB ^ CF = 1
	mov eax, 0x08000000
	xor edx, edx                    ; OF = 0 before
	rol eax, 5
	pushfd
	pop edx
	CHECK eax, 1, 6
	and edx, 0x801                  ; OF, CF
	CHECK edx, 0x801, 7

	; 5. DIV r32 (run as the host's DIV once #DE is ruled out): the flags
	;    stay as they were, as the interpreter leaves them (the host's DIV
	;    changes them; CMP right before keeps them in the host's flags)
	mov ecx, 7
	xor edx, edx
	mov eax, 1000
	cmp eax, 1001                   ; CF = 1, SF = 1, ZF = 0, AF = 1
	lahf
	mov bl, ah
	mov eax, 1000
	div ecx
	pushfd
	pop esi
	CHECK eax, 142, 8
	CHECK edx, 6, 9
	and esi, 0xd5
	movzx ebx, bl
	and ebx, 0xd5
	CHECK esi, ebx, 10

	; 6. DIV with the divisor in memory: the same as 5
	mov edx, 0
	mov eax, 1000
	cmp eax, 1001
	lahf
	mov bl, ah
	mov eax, 1000
	push dword 7
	div dword [esp]
	pushfd
	pop esi
	add esp, 4
	CHECK eax, 142, 11
	CHECK edx, 6, 12
	and esi, 0xd5
	movzx ebx, bl
	and ebx, 0xd5
	CHECK esi, ebx, 13

	; 7. SHR ECX, CL with ECX = 0x104: count 4, ECX = 0x10, AF = 0
	mov al, 0x78
	add al, 0x0f                    ; AF = 1
	mov ecx, 0x104
	shr ecx, cl
	lahf
	test ah, 0x10
	jz .ok7
	FAIL 14
.ok7:
	CHECK ecx, 0x10, 15

	; 8. SHL EAX, CL with CL = 32: masked count 0, the flags stay
	mov al, 0x78
	add al, 0x0f                    ; AF = 1, SF = 1, CF = 0, ZF = 0, PF = 1
	lahf
	mov bl, ah
	mov ecx, 32
	mov edx, 0x12345678
	shl edx, cl
	lahf
	CHECK ah, bl, 16
	CHECK edx, 0x12345678, 17

	; 9. SHR EAX, CL ends a block, LAHF starts the next: AF = 0
	mov al, 0x78
	add al, 0x0f
	mov ecx, 3
	mov edx, 0xf0
	shr edx, cl
	jmp .next9
.next9:
	lahf
	test ah, 0x10
	jz .ok9
	FAIL 18
.ok9:
	CHECK edx, 0x1e, 19

	; 10. BTS ECX, 3 on 0x08: CF = 1, ECX unchanged; SF ZF AF PF as before
	mov al, 0x78
	add al, 0x0f                    ; AF = 1, SF = 1, PF = 1, ZF = 0
	lahf
	mov bl, ah
	mov ecx, 0x08
	bts ecx, 3
	lahf
	mov dl, ah
	and dl, 0xd4                    ; SF ZF AF PF
	and bl, 0xd4
	CHECK dl, bl, 20
	test ah, 1
	jnz .ok10
	FAIL 21
.ok10:
	CHECK ecx, 0x08, 22

	; 11. LODS and SCAS on the string 11 22 33 44 55 66 77 88 on the stack
	push dword 0x88776655
	push dword 0x44332211
	mov esi, esp
	cld
	lodsb
	CHECK al, 0x11, 23
	lodsw
	CHECK ax, 0x3322, 24
	lea edx, [esp + 3]
	CHECK esi, edx, 25
	lodsd
	CHECK eax, 0x77665544, 26
	lea edx, [esp + 7]
	CHECK esi, edx, 27
	std
	lodsb                           ; ESI at the 0x88: back one
	CHECK al, 0x88, 28
	lea edx, [esp + 6]
	CHECK esi, edx, 29
	cld
	mov edi, esp
	mov al, 0x11
	scasb                           ; equal: ZF = 1
	jz .ok30
	FAIL 30
.ok30:
	mov ax, 0x3322
	scasw                           ; 0x3322 - 0x3322: ZF = 1
	jz .ok31
	FAIL 31
.ok31:
	mov eax, 0x10000000
	scasd                           ; 0x10000000 - 0x77665544 borrows: CF = 1
	jc .ok32
	FAIL 32
.ok32:
	lea edx, [esp + 7]
	CHECK edi, edx, 33
	std
	mov al, 0x89
	scasb                           ; 0x89 - 0x88 = 1: ZF = 0, CF = 0
	jnz .ok34
	FAIL 34
.ok34:
	jnc .ok35
	FAIL 35
.ok35:
	lea edx, [esp + 6]
	CHECK edi, edx, 36
	cld
	add esp, 8

	; 12. IMUL: 0x40000000 * 3 overflows: 0xc0000000, CF = OF = 1,
	;     SF = 1, ZF = 0, PF = 1 (low byte 0), AF = 0
	mov al, 0x78
	add al, 0x0f                    ; AF = 1 before
	mov ecx, 0x40000000
	imul eax, ecx, 3
	jmp .next12
.next12:
	pushfd
	pop edx
	CHECK eax, 0xc0000000, 37
	and edx, 0x8d5
	CHECK edx, 0x885, 38
	;     5 * -1 = 0xfffffffb, no overflow: SF = 1, PF = 0 (7 bits set), the rest 0
	mov al, 0x78
	add al, 0x0f
	mov ecx, 5
	imul ebx, ecx, -1
	jmp .next13
.next13:
	pushfd
	pop edx
	CHECK ebx, 0xfffffffb, 39
	and edx, 0x8d5
	CHECK edx, 0x80, 40

	PUTS32 "ok", 10
	PASS

	bits 16
	FLAT_GDT
	ROM_END

; Flags the SDM leaves undefined, as the translator must leave them: equal to
; the interpreter's (the reference), whoever reads them.  The translator runs
; shifts and rotates by an immediate as themselves and fixes up the flags the
; host computes differently (AF after a shift: the host may set it, the
; interpreter clears it); a reader of that flag must see the fixed value:
; 1. SHR then LAHF in the same block (found by --check-lockstep on test386);
; 2. SHL then PUSHFD (a handler reads the flags from memory);
; 3. SHR at the end of a block, LAHF in the next one;
; 4. ROL by 5: OF is the 1-bit formula MSB(result) XOR CF on both engines;
; 5. DIV leaves the flags as they were (the interpreter's choice).
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

	PUTS32 "ok", 10
	PASS

	bits 16
	FLAT_GDT
	ROM_END

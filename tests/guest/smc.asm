; Self-modifying code (the interpreter caches decoded instructions by the
; host address of their bytes and must see stores into them, SDM Vol. 3
; 11.6: a write to a code byte takes effect for the next execution of it):
; 1. a routine copied to RAM runs, its immediate is patched, it runs again;
; 2. the opcode itself is replaced (MOV -> ADD) with a different length;
; 3. the store that patches the next instruction in a loop body is seen on the
;    next iteration.
	bits 16
%include "common.inc"
section .text start=0
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x8000
	PUTS16 "smc: "
	; copy the routine to 0000:1000
	mov si, routine
	mov di, 0x1000
	mov cx, routine_end - routine
.copy:	mov al, [cs:si]
	mov [di], al
	inc si
	inc di
	loop .copy
	; 1: mov ax, 0x1111 ; ret  -> patch the immediate to 0x2222
	call 0:0x1000
	CHECK ax, 0x1111, 1
	mov word [0x1001], 0x2222
	call 0:0x1000
	CHECK ax, 0x2222, 2
	; 2: replace "mov ax, imm16" (B8 iw, 3 bytes) by "inc ax; inc ax; nop" (3 bytes)
	mov byte [0x1000], 0x40
	mov byte [0x1001], 0x40
	mov byte [0x1002], 0x90
	mov ax, 5
	call 0:0x1000
	CHECK ax, 7, 3
	; 3: a loop whose body patches its own next instruction: the first pass adds
	;    1, the store turns the ADD's immediate into 0x10 for the second pass
	mov si, loop3
	mov di, 0x1100
	mov cx, loop3_end - loop3
.copy3:	mov al, [cs:si]
	mov [di], al
	inc si
	inc di
	loop .copy3
	xor bx, bx
	call 0:0x1100
	CHECK bx, 0x11, 4
	PUTS16 "ok", 10
	PASS

routine:
	mov ax, 0x1111
	retf
routine_end:

; copied to 0x1100: two passes; pass 1 patches the immediate at imm3 (as
; placed in RAM) to 0x10
loop3:
	mov cx, 2
.again:
	db 0x83, 0xc3             ; add bx, imm8
.imm:	db 0x01
	mov byte [0x1100 + (.imm - loop3)], 0x10
	loop .again
	retf
loop3_end:
	ROM_END

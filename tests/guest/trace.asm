; A program whose instructions, memory accesses, port I/O and interrupts are
; known exactly, for tests/run-trace-tests.sh: tracing starts and stops at
; Bochs' magic instruction xchg bx,bx (--trace-start magic), and again at
; writes to port 0x99 (--trace-start port:0x99).  tests/trace/magic.expected
; lists the instructions between the magic pair as this source gives them.
; As a guest test program it passes when it reaches the end.
	bits 16
%include "common.inc"
section .text start=0
	cli
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7000
	mov word [0x80 * 4], h_int
	mov word [0x80 * 4 + 2], 0xf000
	mov word [0 * 4], h_de
	mov word [0 * 4 + 2], 0xf000
	xor dx, dx

	xchg bx, bx                  ; magic: tracing starts here
	mov eax, 0x12345678
	mov [0x600], eax             ; a 4-byte write of 12345678 at 0x600
	mov ebx, [0x600]             ; and its read
	mov cx, 3
.loop:
	inc dx
	loop .loop                   ; three times round
	mov al, 0x41
	out 0xe9, al                 ; 'A' on the console
	int 0x80                     ; software interrupt: the handler only returns
	xor cx, cx
	mov ax, 7
	div cl                       ; #DE: the handler steps over the 2-byte DIV
	xchg bx, bx                  ; magic: tracing stops after this one

	cmp dx, 3
	je .ok1
	FAIL 1
.ok1:
	mov al, 1
	out 0x99, al                 ; port trigger: start
	nop
	mov al, 0
	out 0x99, al                 ; port trigger: stop after this one
	nop
	mov al, 10
	out 0xe9, al
	PASS

h_int:
	iret
h_de:
	push bp
	mov bp, sp
	add word [bp + 2], 2
	pop bp
	iret
	ROM_END

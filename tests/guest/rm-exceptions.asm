; Real-mode exceptions and software interrupts through the IVT (SDM Vol. 3 20.1.4):
; the saved CS:IP of a fault is the faulting instruction (its first prefix), of
; INT n / INT3 / INTO the next instruction; IF and TF are cleared in the handler;
; a word access at offset FFFF raises #GP (13) on a 386+ (SDM Vol. 3 20.1.2).
	bits 16
%include "common.inc"
section .text start=0
	cli
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x8000
	; every vector 0-255 -> handler (it records the vector through a stub table)
	xor di, di
	xor bx, bx
.fill:
	mov word [di], 0          ; offset set below
	mov word [di + 2], 0xf000
	add di, 4
	inc bx
	cmp bx, 256
	jb .fill
	mov word [0 * 4], h_de
	mov word [3 * 4], h_bp
	mov word [4 * 4], h_of
	mov word [5 * 4], h_br
	mov word [6 * 4], h_ud
	mov word [13 * 4], h_gp
	mov word [0x40 * 4], h_40

	PUTS16 "rm-exceptions: "
	; --- #DE from DIV by zero: saved IP = the DIV (with its prefix) ---
	mov ax, 1234
	xor cx, cx
de_insn:
	db 0x2e                   ; CS: prefix (ignored), must be included in saved IP
	div cx
	cmp word [result_vec], 0
	je .de_ok
	FAIL 1
.de_ok:
	cmp word [result_ip], de_insn
	je .de2
	FAIL 2
.de2:
	; --- INT3: saved IP = next instruction ---
	mov word [result_vec], 0xffff
	int3
bp_next:
	cmp word [result_vec], 3
	je .bp2
	FAIL 3
.bp2:
	cmp word [result_ip], bp_next
	je .of1
	FAIL 4
.of1:
	; --- INTO with OF=1 ---
	mov word [result_vec], 0xffff
	mov al, 0x7f
	add al, 1                 ; OF = 1
	into
of_next:
	cmp word [result_vec], 4
	je .of2
	FAIL 5
.of2:
	cmp word [result_ip], of_next
	je .br1
	FAIL 6
.br1:
	; --- BOUND out of range: #BR is a fault ---
	mov word [result_vec], 0xffff
	mov word [0x600], 10
	mov word [0x602], 20
	mov ax, 21
br_insn:
	bound ax, [0x600]
	cmp word [result_vec], 5
	je .br2
	FAIL 7
.br2:
	cmp word [result_ip], br_insn
	je .ud1
	FAIL 8
.ud1:
	; --- UD2 ---
	mov word [result_vec], 0xffff
ud_insn:
	ud2
	cmp word [result_vec], 6
	je .ud2
	FAIL 9
.ud2:
	cmp word [result_ip], ud_insn
	je .gp1
	FAIL 10
.gp1:
	; --- word read at DS:FFFF: #GP(0) on a 386+ ---
	mov word [result_vec], 0xffff
gp_insn:
	mov ax, [0xffff]
	cmp word [result_vec], 13
	je .gp2
	FAIL 11
.gp2:
	cmp word [result_ip], gp_insn
	je .int1
	FAIL 12
.int1:
	; --- INT 40h: IF cleared in the handler, restored by IRET ---
	sti
	int 0x40
	cmp word [flags_in_handler], 0
	je .int2
	FAIL 13
.int2:
	pushf
	pop ax
	test ax, 0x200
	jnz .done
	FAIL 14
.done:
	cli
	PUTS16 "ok", 10
	PASS

; handlers: record vector and saved IP; fault handlers skip the faulting insn
; by setting the return IP to the instruction's known end.
h_de:
	mov word [result_vec], 0
	call save_ip
	push bp
	mov bp, sp
	mov word [bp + 2], de_insn + 3    ; skip "2e f7 f1"
	pop bp
	iret
h_bp:
	mov word [result_vec], 3
	call save_ip
	iret
h_of:
	mov word [result_vec], 4
	call save_ip
	iret
h_br:
	mov word [result_vec], 5
	call save_ip
	push bp
	mov bp, sp
	mov word [bp + 2], br_insn + 4   ; "62 06 00 06"
	pop bp
	iret
h_ud:
	mov word [result_vec], 6
	call save_ip
	push bp
	mov bp, sp
	mov word [bp + 2], ud_insn + 2
	pop bp
	iret
h_gp:
	mov word [result_vec], 13
	call save_ip
	push bp
	mov bp, sp
	mov word [bp + 2], gp_insn + 3   ; "a1 ff ff"
	pop bp
	iret
h_40:
	pushf
	pop ax
	and ax, 0x200
	mov [flags_in_handler], ax
	iret

; save_ip: copies the IP pushed by the interrupt (at SP+2 after our CALL) to result_ip
save_ip:
	push bp
	mov bp, sp
	mov ax, [bp + 4]
	mov [result_ip], ax
	pop bp
	ret

result_vec equ 0x500
result_ip equ 0x502
flags_in_handler equ 0x504
	ROM_END

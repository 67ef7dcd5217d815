; Self-modifying code in flat 32-bit protected mode, where the translator runs
; it (smc.asm covers real mode, which is interpreted).  A write to a code byte
; takes effect for the next execution of it (SDM Vol. 3 11.6), whoever writes
; it and through whatever mapping:
; 1. a routine in RAM runs (and is translated), a store from another block
;    patches its immediate, it runs again;
; 2. its first instruction is replaced by instructions of other lengths;
; 3. a block stores into its own next instruction, which must run as stored
;    on that very pass;
; 4. with paging, the code page is written through a second linear mapping of
;    the same physical page;
; 5. REP MOVSB copies a new routine over a translated one;
; 6. a loop that patches a later instruction of its own body on every pass;
; 7. an instruction that crosses a page boundary: its second page written,
;    and remapped under an unchanged first page.
	bits 16
%include "common.inc"
CODE  equ 0x10000           ; routines are copied here (physical = linear)
PD    equ 0x20000
PT    equ 0x21000           ; identity 0-4 MiB
PT2   equ 0x22000           ; 4 MiB + n*4K -> CODE + n*4K (the alias)
ALIAS equ 0x400000
; a near call to an absolute linear address (the ROM is assembled at 0 but
; runs at ROMBASE, so nasm's relative calls would miss)
%macro CALLABS 1
	mov edx, %1
	call edx
%endmacro
section .text start=0
	ENTER_PM32 pm
	bits 32
pm:
	FLAT_DATA32
	PUTS32 "smc-pm: "

	; 1. mov eax, 0x1111 ; ret, patched to 0x2222
	mov esi, ROMBASE + r1
	mov edi, CODE
	mov ecx, r1_end - r1
	rep movsb
	CALLABS CODE
	CHECK eax, 0x1111, 1
	CALLABS CODE
	CHECK eax, 0x1111, 2
	mov dword [CODE + 1], 0x2222
	CALLABS CODE
	CHECK eax, 0x2222, 3

	; 2. B8 imm32 (5 bytes) -> inc eax; inc eax; nop; nop; nop
	mov dword [CODE], 0x90904040
	mov byte [CODE + 4], 0x90
	mov eax, 5
	CALLABS CODE
	CHECK eax, 7, 4

	; 3. the block writes the immediate of its own next instruction
	mov esi, ROMBASE + r3
	mov edi, CODE + 0x100
	mov ecx, r3_end - r3
	rep movsb
	xor ebx, ebx
	CALLABS CODE + 0x100
	CHECK ebx, 0x10, 5
	mov byte [CODE + 0x100 + (r3_add - r3) + 2], 1     ; back to "add ebx, 1"
	CALLABS CODE + 0x100
	CHECK ebx, 0x20, 6

	; 4. paging: CODE is also at ALIAS; run it, write through the alias, run it
	mov edi, PD
	xor eax, eax
	mov ecx, 3 * 1024
	rep stosd
	mov dword [PD], PT | 3
	mov dword [PD + 4], PT2 | 3
	mov edi, PT
	mov eax, 3
	mov ecx, 1024
.pt:	stosd
	add eax, 0x1000
	loop .pt
	mov dword [PT2], CODE | 3
	mov dword [PT2 + 4], (CODE + 0x1000) | 3
	mov eax, PD
	mov cr3, eax
	mov eax, cr0
	or eax, 0x80000000
	mov cr0, eax
	jmp .paged
.paged:
	mov dword [CODE], 0x003333b8     ; mov eax, 0x3333 ; ret
	mov word [CODE + 4], 0xc300
	CALLABS CODE
	CHECK eax, 0x3333, 7
	CALLABS CODE
	CHECK eax, 0x3333, 8
	mov dword [ALIAS + 1], 0x4444    ; the same byte, another linear page
	CALLABS CODE
	CHECK eax, 0x4444, 9
	CALLABS ALIAS                    ; and run it through the alias too
	CHECK eax, 0x4444, 10
	mov dword [CODE + 1], 0x5555
	CALLABS ALIAS
	CHECK eax, 0x5555, 11

	; 5. REP MOVSB over a translated routine
	mov esi, ROMBASE + r5
	mov edi, CODE
	mov ecx, r5_end - r5
	rep movsb
	CALLABS CODE
	CHECK eax, 0x6666, 12

	; 6. a loop body that patches a later instruction of itself each pass:
	;    the ADD's immediate becomes the pass number before the ADD runs
	mov esi, ROMBASE + r6
	mov edi, CODE + 0x200
	mov ecx, r6_end - r6
	rep movsb
	xor ebx, ebx
	mov ecx, 5
	CALLABS CODE + 0x200
	CHECK ebx, 5 + 4 + 3 + 2 + 1, 13

	; 7. an instruction that crosses into the next page (ALIAS + 0xffd:
	;    mov eax, imm32 with two immediate bytes in each page), at the end
	;    of a block and starting one; the second page is written, then
	;    remapped to other bytes while the first page stays as it was
	mov dword [CODE + 0xff9], 0x90909090      ; nop x4
	mov dword [CODE + 0xffd], 0x332211b8      ; mov eax, 0x44332211 ...
	mov word [CODE + 0x1001], 0xc344          ; ... ; ret
	mov dword [CODE + 0x2000], 0x00c37766     ; the other second page
	CALLABS ALIAS + 0xff9
	CHECK eax, 0x44332211, 14
	CALLABS ALIAS + 0xff9
	CHECK eax, 0x44332211, 15
	mov byte [CODE + 0x1000], 0x55            ; write the second page
	CALLABS ALIAS + 0xff9
	CHECK eax, 0x44552211, 16
	mov dword [PT2 + 4], (CODE + 0x2000) | 3  ; remap it
	invlpg [ALIAS + 0x1000]
	CALLABS ALIAS + 0xff9
	CHECK eax, 0x77662211, 17
	CALLABS ALIAS + 0xffd
	CHECK eax, 0x77662211, 18
	mov dword [PT2 + 4], (CODE + 0x1000) | 3  ; and back
	invlpg [ALIAS + 0x1000]
	CALLABS ALIAS + 0xffd
	CHECK eax, 0x44552211, 19
	CALLABS ALIAS + 0xff9
	CHECK eax, 0x44552211, 20

	PUTS32 "ok", 10
	PASS

r1:
	mov eax, 0x1111
	ret
r1_end:

r3:
	mov byte [CODE + 0x100 + (r3_add - r3) + 2], 0x10
r3_add:
	add ebx, byte 1                 ; 83 C3 ib
	ret
r3_end:

r5:
	mov eax, 0x6666
	ret
r5_end:

r6:
r6_loop:
	mov [CODE + 0x200 + (r6_add - r6) + 2], cl
r6_add:
	add ebx, byte 0
	loop r6_loop
	ret
r6_end:

	bits 16
	FLAT_GDT
	ROM_END

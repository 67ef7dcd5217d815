; Compute-bound guest program for `make bench`: a loop of 8 instructions
; (loads, stores, ALU, shift, branch) run ITER times in flat 32-bit protected
; mode, then power-off.  tests/bench/native-loop.c runs the same loop on the
; host as the reference.  Executes 8 * ITER + a few hundred instructions.
	bits 16
	cpu 686
ROMBASE equ 0xf0000
ITER equ 5000000

section .text start=0
start16:
	cli
	xor ax, ax
	mov ds, ax
	o32 lgdt [cs:gdt_desc]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp dword 0x08:(ROMBASE + pm32)
	bits 32
pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esp, 0x90000
	mov esi, 0x20000
	xor ebx, ebx
	xor edx, edx
	mov dword [esi], 12345
	mov ecx, ITER
.loop:
	mov eax, [esi]
	add eax, ebx
	xor ebx, eax
	shl eax, 3
	mov [esi+4], eax
	inc edx
	sub ecx, 1
	jnz .loop
	mov esi, ROMBASE + shutdown_str
	mov dx, 0x8900
.sd:
	lodsb
	test al, al
	jz .halt
	out dx, al
	jmp .sd
.halt:
	hlt
	jmp .halt
shutdown_str: db "Shutdown", 0
	align 8
gdt:
	dq 0
	dq 0x00cf9b000000ffff
	dq 0x00cf93000000ffff
gdt_desc:
	dw gdt_desc - gdt - 1
	dd ROMBASE + gdt
	bits 16
	times 0xfff0 - ($ - $$) db 0xff
	jmp 0xf000:start16
	times 0x10000 - ($ - $$) db 0xff

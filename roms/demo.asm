; shade86 built-in demo guest (what `shade86` with no arguments runs).
;
; Starts at the reset vector in real mode, loads a GDT, enters 32-bit protected
; mode with paging (identity-mapped 4 MiB page), and computes:
;   - the number and the sum of the primes below 10000 (sieve of Eratosthenes):
;     1229 primes, sum 5736396
;   - Fibonacci(40) = 102334155 (iteratively)
;   - the CRC-32 (IEEE) of the ASCII string "123456789": CBF43926 (the standard
;     check value)
; prints them on the debug console (port 0xE9) and powers off through Bochs'
; shutdown port (0x8900).
	bits 16
	cpu 686
ROMBASE equ 0xf0000

section .text start=0
start16:
	cli
	cld
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7000
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
	; page directory at 0x10000: one 4 MiB page identity-mapping 0-4 MiB, and the
	; top 4 MiB (where the ROM also sits) mapped to itself
	mov edi, 0x10000
	xor eax, eax
	mov ecx, 1024
	rep stosd
	mov dword [0x10000], 0x00000083          ; P RW PS
	mov dword [0x10000 + 4*1023], 0xffc00083
	mov eax, cr4
	or eax, 0x10                             ; PSE
	mov cr4, eax
	mov eax, 0x10000
	mov cr3, eax
	mov eax, cr0
	or eax, 0x80000000
	mov cr0, eax

	mov esi, msg_hello
	call puts

	; ---- sieve of the primes below 10000, in RAM at 0x100000 ----
	mov edi, 0x100000
	mov ecx, 10000
	mov al, 1
	rep stosb
	mov byte [0x100000], 0
	mov byte [0x100001], 0
	mov ebx, 2
.outer:
	mov eax, ebx
	imul eax, ebx
	cmp eax, 10000
	jae .count
	cmp byte [0x100000 + ebx], 0
	je .next
.mark:
	mov byte [0x100000 + eax], 0
	add eax, ebx
	cmp eax, 10000
	jb .mark
.next:
	inc ebx
	jmp .outer
.count:
	xor ecx, ecx                             ; count
	xor edx, edx                             ; sum
	xor ebx, ebx
.cloop:
	cmp byte [0x100000 + ebx], 0
	je .cnext
	inc ecx
	add edx, ebx
.cnext:
	inc ebx
	cmp ebx, 10000
	jb .cloop
	push edx
	mov esi, msg_primes
	call puts
	mov eax, ecx
	call putdec
	mov esi, msg_sum
	call puts
	pop eax
	call putdec
	call newline

	; ---- Fibonacci(40) ----
	xor eax, eax
	mov edx, 1
	mov ecx, 40
.fib:
	xadd edx, eax                            ; (a, b) <- (b, a + b)
	loop .fib
	mov esi, msg_fib
	call puts
	call putdec
	call newline

	; ---- CRC-32 of "123456789", bitwise ----
	mov esi, ROMBASE + crc_input
	mov eax, 0xffffffff
.crc_byte:
	movzx ebx, byte [esi]
	test ebx, ebx
	jz .crc_done
	xor eax, ebx
	mov ecx, 8
.crc_bit:
	shr eax, 1
	jnc .nopoly
	xor eax, 0xedb88320
.nopoly:
	loop .crc_bit
	inc esi
	jmp .crc_byte
.crc_done:
	not eax
	mov esi, msg_crc
	call puts
	call puthex
	call newline

	mov esi, msg_bye
	call puts
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

; puts: print the NUL-terminated string at ESI (a ROM offset, linear ROMBASE+x)
puts:
	push eax
	push esi
	add esi, ROMBASE
.l:
	mov al, [esi]
	test al, al
	jz .d
	out 0xe9, al
	inc esi
	jmp .l
.d:
	pop esi
	pop eax
	ret

newline:
	push eax
	mov al, 10
	out 0xe9, al
	pop eax
	ret

; putdec: print EAX in decimal
putdec:
	pushad
	mov ebx, 10
	xor ecx, ecx
.div:
	xor edx, edx
	div ebx
	push edx
	inc ecx
	test eax, eax
	jnz .div
.out:
	pop eax
	add al, '0'
	out 0xe9, al
	loop .out
	popad
	ret

; puthex: print EAX as 8 hex digits
puthex:
	pushad
	mov ecx, 8
.h:
	rol eax, 4
	mov ebx, eax
	and ebx, 15
	mov bl, [ROMBASE + hexdigits + ebx]
	push eax
	mov al, bl
	out 0xe9, al
	pop eax
	loop .h
	popad
	ret

hexdigits: db "0123456789ABCDEF"
msg_hello: db "shade86 demo: protected mode with paging is on", 10, 0
msg_primes: db "primes below 10000: ", 0
msg_sum: db ", their sum: ", 0
msg_fib: db "fibonacci(40): ", 0
msg_crc: db "crc32('123456789'): ", 0
msg_bye: db "demo done, powering off", 10, 0
crc_input: db "123456789", 0
shutdown_str: db "Shutdown", 0

	align 8
gdt:
	dq 0
	dq 0x00cf9b000000ffff                    ; 0x08: code, base 0, 4 GiB, 32-bit
	dq 0x00cf93000000ffff                    ; 0x10: data, base 0, 4 GiB
gdt_desc:
	dw gdt_desc - gdt - 1
	dd ROMBASE + gdt

	bits 16
	times 0xfff0 - ($ - $$) db 0xff
reset_vector:                                     ; F000:FFF0
	jmp 0xf000:start16
	times 0x10000 - ($ - $$) db 0xff

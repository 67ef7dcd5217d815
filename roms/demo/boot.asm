; shade86 demo guest: the boot sector.
;
; SeaBIOS loads this sector at 0000:7C00 with DL = the boot drive.  It reads
; the kernel (sectors 1..KERNEL_SECTORS; the build passes the number with
; -DKERNEL_SECTORS=N) to 0x10000 with INT 13h AH=42h, 32 sectors at a time,
; copies the VGA BIOS 8x8 font (INT 10h AX=1130h BH=03h: characters 0-127)
; to 0x1000 for the kernel's text, sets mode 13h (320x200, 256 colours),
; opens A20 through port 0x92 and enters 32-bit protected mode with a flat
; GDT; the kernel (kernel.c) builds its own GDT, IDT, TSS and page tables.

KERNEL_LOAD   equ 0x10000
%ifndef KERNEL_SECTORS
%error "assemble with -DKERNEL_SECTORS=N"
%endif
%if KERNEL_SECTORS > 1024
%error "the kernel is loaded below 0x90000: 1024 sectors at most"
%endif
FONT_ADDR     equ 0x1000

	bits 16
	org 0x7c00

start:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	sti
	cld
	mov [drive], dl

	; the kernel, LBA 1 onwards, up to 32 sectors per read
	mov di, KERNEL_SECTORS
.read:
	mov ax, 32
	cmp di, ax
	jae .count
	mov ax, di
.count:
	mov [dap.count], ax
	sub di, ax
	push di
	mov si, dap
	mov dl, [drive]
	mov ah, 0x42
	int 0x13
	pop di
	jc disk_error
	add word [dap.seg], 32 * 512 / 16
	add dword [dap.lba], 32
	test di, di
	jnz .read

	; the 8x8 font of characters 0-127 (ES:BP), 1 KiB, to FONT_ADDR
	push ds
	mov ax, 0x1130
	mov bh, 3
	int 0x10
	push es
	pop ds
	mov si, bp
	xor ax, ax
	mov es, ax
	mov di, FONT_ADDR
	mov cx, 1024 / 2
	rep movsw
	pop ds

	mov ax, 0x0013                 ; 320x200, 256 colours
	int 0x10

	in al, 0x92                    ; A20 on ("fast A20"), no reset
	or al, 2
	and al, 0xfe
	out 0x92, al

	cli
	lgdt [gdtr]
	mov eax, cr0
	or eax, 1
	mov cr0, eax
	jmp dword 0x08:pm32

disk_error:
	mov si, msg_disk
.putc:
	lodsb
	test al, al
	jz .halt
	mov ah, 0x0e
	mov bx, 7
	int 0x10
	jmp .putc
.halt:
	cli
	hlt
	jmp .halt

	bits 32
pm32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esp, 0x7c00
	jmp 0x08:KERNEL_LOAD

	align 8
gdt:
	dq 0
	dq 0x00cf9a000000ffff          ; 0x08: code, base 0, 4 GiB, 32-bit
	dq 0x00cf92000000ffff          ; 0x10: data, base 0, 4 GiB
gdtr:
	dw gdtr - gdt - 1
	dd gdt

dap:                                   ; INT 13h AH=42h disk address packet
	db 16, 0
.count:	dw 32                          ; sectors in this read
	dw 0                           ; buffer offset
.seg:	dw KERNEL_LOAD >> 4            ; buffer segment
.lba:	dq 1

drive:	db 0x80
msg_disk: db "demo: disk read error", 13, 10, 0

	times 510 - ($ - $$) db 0
	dw 0xaa55

; Boot sector for the PC's reset paths.  CMOS NVRAM byte 0x40 (kept across
; resets, as on a real board) counts the stages:
;   0: reset through the PIIX3's reset control register (0xCF9 <- 06h)
;   1: reset through the 8042 (command FEh: pulse the reset line)
;   2: reset through port 0x92 (bit 0 rising)
;   3: triple fault (an IDT with limit 0, then INT 3)
;   4: all four came back to the BIOS: power off (status 0)
; Each stage prints a line on COM1.  With -no-reboot the first reset ends the
; run (status 12); a triple fault as the first event ends it with 6.
	bits 16
	org 0x7c00

COM1	equ 0x3f8
STAGE	equ 0x40

start:
	cli
	xor ax, ax
	mov ds, ax
	mov ss, ax
	mov sp, 0x7c00
	; COM1 115200 8N1 (the BIOS left it at 9600, either works for us)
	mov dx, COM1 + 3
	mov al, 0x03
	out dx, al

	mov al, STAGE
	out 0x70, al
	in al, 0x71
	mov bl, al
	inc al
	mov ah, al
	mov al, STAGE
	out 0x70, al
	mov al, ah
	out 0x71, al

	mov al, bl
	add al, '0'
	mov [msg_stage_n], al
	mov si, msg_stage
	call print

	cmp bl, 0
	je .cf9
	cmp bl, 1
	je .kbc
	cmp bl, 2
	je .p92
	cmp bl, 3
	je .triple
	mov si, msg_done
	call print
	mov si, shutdown
	mov dx, 0x8900
.off:	lodsb
	out dx, al
	test al, al
	jnz .off
	hlt

.cf9:	mov dx, 0xcf9
	mov al, 0x06
	out dx, al
	jmp .stuck
.kbc:	in al, 0x64
	test al, 2
	jnz .kbc
	mov al, 0xfe
	out 0x64, al
	jmp .stuck
.p92:	in al, 0x92
	and al, 0xfe
	out 0x92, al
	or al, 1
	out 0x92, al
	jmp .stuck
.triple:
	lidt [null_idt]
	int3
.stuck:
	mov si, msg_stuck
	call print
	hlt
	jmp .stuck

print:	lodsb
	test al, al
	jz .done
	mov ah, al
	mov dx, COM1 + 5
.wait:	in al, dx
	test al, 0x20
	jz .wait
	mov al, ah
	mov dx, COM1
	out dx, al
	jmp print
.done:	ret

null_idt	dw 0, 0, 0
msg_stage	db "reset test: stage "
msg_stage_n	db "0", 13, 10, 0
msg_done	db "reset test: all resets came back", 13, 10, 0
msg_stuck	db "reset test: the reset did not happen", 13, 10, 0
shutdown	db "Shutdown", 0

	times 510 - ($ - $$) db 0
	dw 0xaa55
	times 65536 - ($ - $$) db 0

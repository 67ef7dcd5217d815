; A boot sector for the PC tests: SeaBIOS loads it from the first hard disk at
; 0000:7C00.  It prints a line through the BIOS on the VGA text screen (INT 10h
; teletype) and on COM1 (programming the 16550 directly), checks that it was
; loaded from drive 80h, writes a marker sector back to the disk through INT 13h
; (the persistence test reads it on the next run), then powers off through
; Bochs' shutdown port (exit status 0).
; Sector 1 of the image holds a run counter: each boot increments it and
; prints it, so two runs without -snapshot print 1 then 2 and with -snapshot
; both print 1 (the image starts with 0 there).
	bits 16
	org 0x7c00

COM1	equ 0x3f8

start:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	sti
	mov [drive], dl

	; COM1: 115200 8N1, FIFOs on
	mov dx, COM1 + 3
	mov al, 0x80
	out dx, al
	mov dx, COM1
	mov al, 1
	out dx, al
	inc dx
	xor al, al
	out dx, al
	mov dx, COM1 + 3
	mov al, 0x03
	out dx, al
	mov dx, COM1 + 2
	mov al, 0x07
	out dx, al

	mov si, msg_hello
	call print
	cmp byte [drive], 0x80
	je .drive_ok
	mov si, msg_baddrive
	call print
	jmp fail
.drive_ok:
	; read sector 1 (LBA 1: CHS 0/0/2) to 0x8000
	mov ax, 0x0201
	mov bx, 0x8000
	mov cx, 0x0002
	xor dh, dh
	mov dl, [drive]
	int 0x13
	jc disk_error
	inc word [0x8000]
	mov ax, 0x0301
	mov bx, 0x8000
	mov cx, 0x0002
	xor dh, dh
	mov dl, [drive]
	int 0x13
	jc disk_error
	mov si, msg_count
	call print
	mov ax, [0x8000]
	add al, '0'
	call putc
	mov si, msg_crlf
	call print
	mov si, msg_done
	call print
	; power off: "Shutdown" to port 0x8900
	mov si, shutdown
	mov dx, 0x8900
.off:	lodsb
	test al, al
	jz fail
	out dx, al
	jmp .off

disk_error:
	mov si, msg_diskerr
	call print
fail:
	mov si, msg_fail
	call print
	mov dx, 0xf4
	mov al, 1
	out dx, al            ; exit status 3
	cli
	hlt

; print the NUL-terminated string at ds:si on the screen and COM1
print:
	lodsb
	test al, al
	jz .done
	call putc
	jmp print
.done:	ret

putc:
	push ax
	mov ah, 0x0e
	mov bx, 0x0007
	int 0x10
	pop ax
	push dx
	push ax
	mov dx, COM1 + 5
.wait:	in al, dx
	test al, 0x20
	jz .wait
	pop ax
	mov dx, COM1
	out dx, al
	pop dx
	ret

drive		db 0
msg_hello	db "shade86 boot sector: hello from the hard disk", 13, 10, 0
msg_baddrive	db "not booted from drive 80h", 13, 10, 0
msg_count	db "boot count: ", 0
msg_crlf	db 13, 10, 0
msg_done	db "shade86 boot sector: done", 13, 10, 0
msg_diskerr	db "INT 13h failed", 13, 10, 0
msg_fail	db "shade86 boot sector: FAIL", 13, 10, 0
shutdown	db "Shutdown", 0

	times 510 - ($ - $$) db 0
	dw 0xaa55
	; sector 1: the boot counter
	dw 0
	times 1024 - ($ - $$) db 0
	; the rest of a small disk (64 KiB)
	times 65536 - ($ - $$) db 0

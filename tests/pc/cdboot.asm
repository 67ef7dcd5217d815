; A bootable CD image (ISO 9660 with an El Torito no-emulation boot entry),
; assembled whole by nasm, for the PC tests of the ATAPI drive:
; SeaBIOS reads the boot record volume descriptor (sector 17), the boot
; catalog (sector 19) and loads the boot image (sector 20) at 0000:7C00
; (El Torito 1.0, sections 2.0-2.3).  The boot code prints on COM1 and the
; screen, checks it was started from a CD drive number (E0h and up), reads
; sector 22 with INT 13h extensions (AH=42h, 2048-byte blocks) and checks its
; marker, then powers off through port 0x8900 (exit status 0).  A failed
; step n writes n to the exit port (status 2n+1).
	bits 16

SECTOR	equ 2048
%define MARKER "SHADE86-CD-DATA-SECTOR-22"
COM1	equ 0x3f8
%define at(sector) times (sector) * SECTOR - ($ - $$) db 0

; --- system area (sectors 0-15) ---
	at(16)
; --- sector 16: primary volume descriptor (ECMA-119 8.4), minimal ---
pvd:
	db 1, "CD001", 1, 0
	times 32 db ' '                         ; system identifier
	db "SHADE86_CDBOOT"
	times 32 - 14 db ' '                    ; volume identifier
	times 8 db 0
	dd 24, 0x18000000                       ; volume space size, both-endian (24 sectors)
	times 32 db 0
	dw 1, 0x0100                            ; volume set size
	dw 1, 0x0100                            ; volume sequence number
	dw SECTOR, 0x0008                       ; logical block size 2048, both-endian
	dd 0, 0                                 ; path table size
	dd 0, 0, 0, 0                           ; path table locations
	; root directory record (34 bytes)
	db 34, 0
	dd 21, 0x15000000                       ; extent: sector 21
	dd SECTOR, 0x00080000                   ; data length
	times 7 db 0                            ; recording date
	db 2                                    ; flags: directory
	db 0, 0
	dw 1, 0x0100
	db 1, 0
	at(17)
; --- sector 17: El Torito boot record volume descriptor ---
	db 0, "CD001", 1
	db "EL TORITO SPECIFICATION"
	times 0x47 - ($ - $$ - 17 * SECTOR) db 0
	dd 19                                   ; boot catalog sector
	at(18)
; --- sector 18: volume descriptor set terminator ---
	db 255, "CD001", 1
	at(19)
; --- sector 19: boot catalog ---
	; validation entry: header 1, platform 0 (80x86), ID, checksum, 55 AA
	; (the 16-bit words sum to 0: 0x0001 + 0x55AA + 0xAA55 = 0x10000)
	db 1, 0
	dw 0
	times 24 db 0
	dw 0x55aa
	db 0x55, 0xaa
	; initial/default entry: bootable, no emulation, load segment 0 (07C0h),
	; system type 0, 4 virtual 512-byte sectors, image at sector 20
	db 0x88, 0
	dw 0
	db 0, 0
	dw 4
	dd 20
	at(20)
; --- sector 20: the boot image, loaded at 0000:7C00 ---
boot:
	cli
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, 0x7c00
	sti
	mov [drive - boot + 0x7c00], dl
	mov si, msg_hello - boot + 0x7c00
	call print
	mov bp, 1
	cmp byte [drive - boot + 0x7c00], 0xe0
	jb fail
	; INT 13h extensions present on the CD drive?
	mov ah, 0x41
	mov bx, 0x55aa
	mov dl, [drive - boot + 0x7c00]
	mov bp, 2
	int 0x13
	jc fail
	; read sector 22 (one 2048-byte block) to 0000:8000
	mov si, dap - boot + 0x7c00
	mov ah, 0x42
	mov dl, [drive - boot + 0x7c00]
	mov bp, 3
	int 0x13
	jc fail
	mov bp, 4
	mov si, 0x8000
	mov di, expect - boot + 0x7c00
	mov cx, marker_len
	repe cmpsb
	jne fail
	mov si, msg_read - boot + 0x7c00
	call print
	mov si, shutdown - boot + 0x7c00
	mov dx, 0x8900
.off:	lodsb
	out dx, al
	test al, al
	jnz .off
	hlt
fail:
	mov si, msg_fail - boot + 0x7c00
	call print
	mov dx, 0xf4
	mov ax, bp
	out dx, al            ; exit status 2 * stage + 1
	hlt

print:	lodsb
	test al, al
	jz .done
	push ax
	mov ah, 0x0e
	mov bx, 7
	int 0x10
	mov dx, COM1 + 5
.wait:	in al, dx
	test al, 0x20
	jz .wait
	pop ax
	mov dx, COM1
	out dx, al
	jmp print
.done:	ret

dap:	db 16, 0
	dw 1                                    ; blocks
	dw 0x8000, 0                            ; buffer 0000:8000
	dd 22, 0                                ; LBA
drive	db 0
expect	db MARKER            ; what sector 22 must start with
msg_hello db "shade86 CD: hello from the CD-ROM", 13, 10, 0
msg_read  db "shade86 CD: sector 22 read back", 13, 10, 0
msg_fail  db "shade86 CD: FAIL", 13, 10, 0
shutdown  db "Shutdown", 0
	at(21)
; --- sector 21: root directory: "." and ".." ---
%rep 2
	db 34, 0
	dd 21, 0x15000000
	dd SECTOR, 0x00080000
	times 7 db 0
	db 2, 0, 0
	dw 1, 0x0100
	db 1, 0
%endrep
	at(22)
; --- sector 22: data the boot code reads back ---
marker:	db MARKER
marker_len equ $ - marker
	at(24)

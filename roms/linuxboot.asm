; shade86 Linux direct-boot option ROM (what `shade86 -kernel` gives SeaBIOS).
;
; devices/linuxboot.c puts the kernel's real-mode part (already patched: command
; line pointer, initrd address, heap end), the protected-mode part, the initrd
; and the command line into fw_cfg items, each with a load address and a size,
; and adds this ROM as the fw_cfg file "genroms/linuxboot.bin".  SeaBIOS runs
; the init entry of such a file (only for a ROM with a PnP header) and makes
; the header's boot entry vector (BEV) a boot entry named
; "/rom@genroms/linuxboot.bin"; linuxboot.c puts that name first in the
; "bootorder" file.  When SeaBIOS boots the entry, the code at boot_entry
; copies the four items to their addresses and starts the kernel's real-mode
; setup code the way the boot protocol asks (Documentation/arch/x86/boot.rst,
; "Running the Kernel").
;
; The size byte (offset 2), the PnP header checksum and the ROM checksum are
; filled in by linuxboot.c, which also pads the image to 512-byte units.
;
; fw_cfg: a 16-bit write to port 0x510 selects an item and rewinds it; each
; 8-bit read of port 0x511 returns its next byte (no DMA interface).

	bits 16
	cpu 686
	org 0

FW_CFG_CTL	equ 0x510
FW_CFG_DATA	equ 0x511

FW_CFG_KERNEL_ADDR	equ 0x07
FW_CFG_KERNEL_SIZE	equ 0x08
FW_CFG_INITRD_ADDR	equ 0x0a
FW_CFG_INITRD_SIZE	equ 0x0b
FW_CFG_KERNEL_DATA	equ 0x11
FW_CFG_INITRD_DATA	equ 0x12
FW_CFG_CMDLINE_ADDR	equ 0x13
FW_CFG_CMDLINE_SIZE	equ 0x14
FW_CFG_CMDLINE_DATA	equ 0x15
FW_CFG_SETUP_ADDR	equ 0x16
FW_CFG_SETUP_SIZE	equ 0x17
FW_CFG_SETUP_DATA	equ 0x18

HDR_HEAP_END_PTR	equ 0x224	; boot.rst: setup header field, 2.01+

; ---- option ROM header (IBM PC expansion ROM; PnP BIOS spec 1.0A, 3.2) ----
rom_start:
	db 0x55, 0xaa
	db 0			; size in 512-byte units: set by linuxboot.c
	jmp init_entry		; offset 3: the init vector SeaBIOS far-calls
	times 0x18 - ($ - rom_start) db 0
	dw 0			; 0x18: no PCI data structure (not a PCI ROM)
	dw pnp_header		; 0x1a: the PnP expansion header

	align 16
pnp_header:
	db '$PnP'
	db 1			; structure revision
	db 2			; length in 16-byte units (32 bytes)
	dw 0			; no further header
	db 0			; reserved
	db 0			; checksum of these 32 bytes: set by linuxboot.c
	dd 0			; device identifier
	dw 0			; manufacturer string: none
	dw product_name		; SeaBIOS shows it in its boot menu
	db 0, 0, 0		; device type code: not a specific class
	db 0			; device indicators: none (SeaBIOS does not read them)
	dw 0			; boot connection vector: none (we are not a disk)
	dw 0			; disconnect vector: none
	dw boot_entry		; bootstrap entry vector: makes this a boot entry
	dw 0			; reserved
	dw 0			; static resource information: none

product_name:
	db 'Linux kernel (shade86 direct boot)', 0

; The init vector.  There is nothing to initialise: the kernel is copied only
; when this entry is booted, because SeaBIOS still uses low memory (and other
; ROMs may still be set up) until then.
init_entry:
	xor ax, ax		; PnP init status: nothing to report
	retf

; The items to copy, as fw_cfg key triples (address, size, data).  The setup
; part first: boot_entry reads its header afterwards.
items:
	db FW_CFG_SETUP_ADDR, FW_CFG_SETUP_SIZE, FW_CFG_SETUP_DATA
	db FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_DATA
	db FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA
	db FW_CFG_INITRD_ADDR, FW_CFG_INITRD_SIZE, FW_CFG_INITRD_DATA
items_end:

; ---- BEV: SeaBIOS far-calls this to boot us ----
boot_entry:
	; Nothing to boot (no kernel configured): return to SeaBIOS untouched,
	; which is how a BEV says "boot failed, try the next device".
	push eax
	push dx
	mov ax, FW_CFG_KERNEL_SIZE
	call fw_cfg_read32
	test eax, eax
	pop dx
	pop eax
	jnz .have_kernel
	retf
.have_kernel:
	; From here on we never return.  Interrupts stay off: the copies below
	; run in "unreal mode" (ES with a 4 GiB limit), which a BIOS interrupt
	; handler passing through protected mode would undo, and the boot
	; protocol wants the kernel entered with interrupts disabled anyway.
	cli
	cld

	; The kernel and the initrd go above 1 MiB: make sure address line 20 is
	; not masked (port 0x92 bit 1, "fast A20"; bit 0 would reset the CPU).
	in al, 0x92
	or al, 0x02
	and al, 0xfe
	out 0x92, al

	; Enter unreal mode.  Protected mode needs a GDT; the ROM is read-only
	; and its address is known only at run time, so the GDT is built on the
	; stack:  0x00 null, 0x08 16-bit code with this ROM's base (so that the
	; code keeps running at the same offsets), 0x10 flat 4 GiB data.
	mov bx, cs		; the real-mode CS to come back to
	xor eax, eax
	mov ax, cs
	shl eax, 4		; the ROM's linear address (below 1 MiB)
	push dword 0x00cf9300	; 0x10: base 0, limit 0xfffff pages, G D/B, data r/w
	push dword 0x0000ffff
	mov edx, eax
	shr edx, 16
	and edx, 0xff		; base bits 23..16
	or edx, 0x00009b00	; present, ring 0, code, execute/read, accessed; 16-bit
	push edx		; 0x08: limit 0xffff, base = the ROM
	shl eax, 16
	or eax, 0xffff		; base bits 15..0, limit 15..0
	push eax
	push dword 0		; 0x00: null
	push dword 0
	xor eax, eax		; the GDT's linear address: SS * 16 + SP
	mov ax, ss
	shl eax, 4
	xor edx, edx
	mov dx, sp
	add eax, edx
	push eax		; GDTR: base
	push word 3 * 8 - 1	;       limit
	mov bp, sp
	o32 lgdt [bp]		; (bp addresses the stack segment)
	mov eax, cr0
	or al, 1		; PE
	mov cr0, eax
	jmp 0x08:.pm16		; a far jump, so CS holds a protected-mode descriptor
.pm16:
	mov ax, 0x10
	mov es, ax		; ES: base 0, limit 4 GiB, cached until ES is loaded again in PM
	mov eax, cr0
	and al, 0xfe
	mov cr0, eax		; back to real mode
	push bx
	push word .real
	retf			; reload CS with the real-mode segment
.real:
	xor ax, ax
	mov es, ax		; real-mode base 0; the 4 GiB limit stays
	add sp, 6 + 3 * 8	; drop the GDTR and the GDT: no longer needed

	; Copy each item to its address with ES:EDI (32-bit addressing).
	mov si, items
.next_item:
	mov al, [cs:si]
	call fw_cfg_read32	; the load address
	mov edi, eax
	mov al, [cs:si + 1]
	call fw_cfg_read32	; the size
	mov ecx, eax
	xor ah, ah
	mov al, [cs:si + 2]
	mov dx, FW_CFG_CTL
	out dx, ax		; select the data
	inc dx			; FW_CFG_DATA
	a32 rep insb		; ECX bytes from the port to ES:EDI
	add si, 3
	cmp si, items_end
	jb .next_item

	; Start the real-mode kernel (boot.rst, "Running the Kernel"): DS = ES =
	; SS (and FS = GS) = the segment of the real-mode part, SP at the top of
	; its stack/heap area, entry at segment + 0x20, offset 0.
	mov al, FW_CFG_SETUP_ADDR
	call fw_cfg_read32
	shr eax, 4		; linuxboot.c puts it on a 16-byte boundary below 1 MiB
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	; heap_end_ptr is the end of the stack/heap minus 0x200 (linuxboot.c:
	; 0xfe00, the whole 64 KiB segment).  SP gets that end less 16: the end
	; itself, 0x10000, does not fit in SP.
	mov bx, [HDR_HEAP_END_PTR]
	add bx, 0x200 - 0x10
	mov ss, ax
	mov sp, bx
	add ax, 0x20
	push ax
	push word 0
	xor eax, eax		; tidy registers for the kernel (not required)
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	xor esi, esi
	xor edi, edi
	xor ebp, ebp
	retf			; far jump to setup segment + 0x20 : 0

; Read a 4-byte little-endian fw_cfg item.  In: AL = key.  Out: EAX.
; Clobbers DX.
fw_cfg_read32:
	xor ah, ah
	mov dx, FW_CFG_CTL
	out dx, ax		; a 16-bit selector write
	inc dx			; FW_CFG_DATA
	in al, dx		; byte 0 ...
	ror eax, 8
	in al, dx
	ror eax, 8
	in al, dx
	ror eax, 8
	in al, dx		; ... byte 3
	ror eax, 8		; after four rotations byte 0 is back in AL
	ret

; Boot sector that triple-faults at once (an IDT with limit 0, then INT 3:
; #GP, then #DF, then shutdown).  With -no-reboot the run ends with status 6.
	bits 16
	org 0x7c00
	cli
	lidt [cs:null_idt]
	int3
	hlt
null_idt	dw 0, 0, 0
	times 510 - ($ - $$) db 0
	dw 0xaa55
	times 65536 - ($ - $$) db 0

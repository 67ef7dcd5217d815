; Triple fault (SDM Vol. 3 6.15, interrupt 8): with an IDT limit of 0 in real
; mode, INT3 cannot be delivered (#GP), the #GP cannot (#DF), the #DF cannot:
; the processor shuts down, which shade86 reports as exit status 6
; (tests/guest/triple-fault.status).  Reaching the FAIL means no shutdown.
	bits 16
%include "common.inc"
section .text start=0
	cli
	PUTS16 "triple-fault: shutting down", 10
	o32 lidt [cs:idt_zero]
	int3
	FAIL 1
idt_zero:
	dw 0
	dd 0
	ROM_END

; Paging with the plain page walker (SDM Vol. 3 4.3, 4.6, 4.7, 4.8):
;  (a) Accessed is set on a read, Dirty on a write, in the PTE and A in the PDE;
;  (b) #PF error codes and CR2: not present (P=0), write to a read-only page at
;      CPL 0 with CR0.WP=1 (P=1 W=1), allowed with WP=0 (user/supervisor
;      checks from ring 3 are in pm-priv.asm);
;  (c) one physical page mapped at two linear addresses, written through each;
;  (d) a rewritten PTE takes effect after INVLPG and after a CR3 reload;
;  (e) a 4 MiB page with CR4.PSE.
	bits 16
%include "common.inc"
PD   equ 0x20000            ; page directory
PT   equ 0x21000            ; page table for 0-4 MiB
PT2  equ 0x22000            ; page table for 4-8 MiB (test pages)
section .text start=0
	ENTER_PM32 pm
	bits 32
pm:
	FLAT_DATA32
	; IDT at 0x1000: #PF (14) -> pf_handler, everything else -> other_handler
	mov edi, 0x1000
	mov ecx, 256
.idt:
	mov eax, ROMBASE + other_handler
	mov [edi], ax
	mov word [edi + 2], 0x08
	mov word [edi + 4], 0x8e00
	shr eax, 16
	mov [edi + 6], ax
	add edi, 8
	loop .idt
	mov eax, ROMBASE + pf_handler
	mov [0x1000 + 14 * 8], ax
	shr eax, 16
	mov [0x1000 + 14 * 8 + 6], ax
	lidt [ROMBASE + idt_desc]

	; PD: entry 0 -> PT (identity 0-4 MiB, supervisor RW), entry 1 -> PT2
	mov edi, PD
	xor eax, eax
	mov ecx, 3 * 1024
	rep stosd
	mov dword [PD], PT | 3
	mov dword [PD + 4], PT2 | 3
	mov edi, PT
	mov eax, 3                      ; P RW, supervisor
	mov ecx, 1024
.pt:
	stosd
	add eax, 0x1000
	loop .pt
	; PT2: 0x400000 -> phys 0x50000 RW; 0x401000 -> phys 0x50000 too (alias);
	; 0x402000 -> phys 0x51000 read-only; 0x403000 not present
	mov dword [PT2 + 0], 0x50000 | 3
	mov dword [PT2 + 4], 0x50000 | 3
	mov dword [PT2 + 8], 0x51000 | 1
	mov dword [PT2 + 12], 0
	mov eax, PD
	mov cr3, eax
	mov eax, cr0
	or eax, 0x80000000              ; PG, WP clear
	mov cr0, eax
	PUTS32 "paging: "

	; (a) A and D bits
	mov eax, [0x400000]
	test dword [PT2], 0x20
	jnz .a1
	FAIL 1
.a1:
	test dword [PT2], 0x40
	jz .a2
	FAIL 2                            ; D must still be clear after a read
.a2:
	test dword [PD + 4], 0x20
	jnz .a3
	FAIL 3
.a3:
	mov dword [0x400010], 0x11223344
	test dword [PT2], 0x40
	jnz .c1
	FAIL 4

	; (c) alias: the write above is visible through 0x401000, and back
.c1:
	CHECK dword [0x401010], 0x11223344, 5
	mov dword [0x401020], 0xcafe
	CHECK dword [0x400020], 0xcafe, 6
	CHECK dword [0x50020], 0xcafe, 7

	; (b) not present: error code 0 (read, supervisor, not present), CR2
	mov dword [pf_count], 0
	mov eax, [0x403008]
	CHECK dword [pf_count], 1, 8
	CHECK dword [pf_err], 0, 9
	CHECK dword [pf_cr2], 0x403008, 10
	; write to read-only page with WP=0 at CPL 0: allowed
	mov dword [0x402000], 5
	CHECK dword [pf_count], 1, 11
	CHECK dword [0x51000], 5, 12
	; with WP=1: #PF, error 3 (present | write)
	mov eax, cr0
	or eax, 0x10000
	mov cr0, eax
	mov dword [0x402004], 6
	CHECK dword [pf_count], 2, 13
	CHECK dword [pf_err], 3, 14
	CHECK dword [pf_cr2], 0x402004, 15
	CHECK dword [0x51004], 0, 16      ; the write did not happen

	; (d) rewrite a PTE: 0x400000 -> phys 0x51000, visible after INVLPG
	mov dword [PT2], 0x51000 | 3
	invlpg [0x400000]
	CHECK dword [0x400000], 5, 17
	mov dword [PT2], 0x50000 | 3
	mov eax, cr3
	mov cr3, eax
	CHECK dword [0x400010], 0x11223344, 18

	; (e) 4 MiB page: PD entry 2 (0x800000) -> phys 0 with PS
	mov eax, cr4
	or eax, 0x10
	mov cr4, eax
	mov dword [PD + 8], 0x00000083
	mov dword [0x7000], 0x5a5a5a5a
	CHECK dword [0x807000], 0x5a5a5a5a, 19
	test dword [PD + 8], 0x20
	jnz .e2
	FAIL 20
.e2:
	mov dword [0x807004], 1           ; D set in the PDE of a 4 MiB page
	test dword [PD + 8], 0x40
	jnz .done
	FAIL 21
.done:
	PUTS32 "ok", 10
	PASS

; #PF handler: count, record error code and CR2, skip the faulting instruction
; (every faulting instruction above is a 10-byte mov [abs32], imm32 or a 5-byte
; mov eax, [abs32]: the handler reads the opcode to know which)
pf_handler:
	push eax
	push ebx
	inc dword [pf_count]
	mov eax, [esp + 8]              ; error code
	mov [pf_err], eax
	mov eax, cr2
	mov [pf_cr2], eax
	mov ebx, [esp + 12]             ; faulting EIP
	cmp byte [ebx], 0xa1            ; mov eax, [moffs32]
	mov eax, 5
	je .skip
	mov eax, 10                     ; c7 05 disp32 imm32
.skip:
	add [esp + 12], eax
	pop ebx
	pop eax
	add esp, 4                      ; drop the error code
	iret
other_handler:
	FAIL 99

idt_desc:
	dw 256 * 8 - 1
	dd 0x1000
pf_count equ 0x3000
pf_err   equ 0x3004
pf_cr2   equ 0x3008
	bits 16
	FLAT_GDT
	ROM_END

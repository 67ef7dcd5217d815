; mmu-alias: one physical page P mapped at many linear addresses.
;
; Paging translates each linear page on its own (SDM Vol. 3 4.3), so a write
; through any writable alias is seen through every other one; the access
; rights of each alias are the combination of its PDE and PTE (4.6: R/W and
; U/S must be 1 in both for a write / user access; a 4 MiB page has only its
; PDE).  A write through a read-only alias at CPL 0 with CR0.WP = 1 is a #PF
; with error code 3 (P | W/R, 4.7) and CR2 = the address; at CPL 3 error 7 (P |
; W/R | U/S) and a user read of a supervisor page error 5.
;
; Space A maps P at 0x200000 (identity), 0x400000, 0x401000, 0x404000,
; 0x405000, 0x7ff000, 0x40a000 (user), 0xe00000 (in a 4 MiB page) - all
; writable - and read-only at 0x402000 (PTE R/W = 0), 0x1000000 (PDE R/W = 0)
; and 0x1600000 (a read-only 4 MiB page).  Space B maps it read-only at
; 0x400000 and writable at 0x500000.
;  C1 write through each writable alias of A, read through all of them
;  C2 writes through each read-only alias fault, memory unchanged
;  C3 the other space sees the same page; its writable alias writes, its
;     read-only one faults
;  C4 one alias write-protected (INVLPG, then MOV CR3): only it faults; an
;     alias of space B write-protected while A is current (seen after the MOV
;     CR3 to B: 4.10.4.1)
;  C5 a dword straddling two adjacent aliases of the same page
;  C6 the page table of 0x400000 mapped as data at user addresses (0x406000
;     writable, 0x407000 read-only, PDE U/S = 1): read and written at ring 0
;     and at ring 3; a PTE written from ring 3 maps a page that ring 3 then
;     reads (not present -> present: no flush needed, 4.10.4.3); a write
;     through the read-only alias faults with error 7; a user read of a
;     supervisor page (PTE U/S = 0), or under a supervisor PDE, faults with
;     error 5, a user write to a supervisor page written at ring 0 error 7;
;     a user page made read-only by ring 3 faults on a user write after ring 0
;     reloads CR3, also when CR0.WP = 0 lets ring 0 write it (4.6); a user
;     page written at ring 3 becomes a page table and ring 3 remaps a page
;     through its old mapping: seen after MOV CR3
;  C7 a routine's code changed through data aliases (another linear page, and
;     the identity map) between calls: each call runs the new code (SDM Vol. 3
;     11.6: a write to code is detected by physical address; the prefetch
;     check is by linear address, but the routine is not prefetched when it
;     is written - it runs only after a far CALL)
	bits 16
%include "common.inc"
%include "pm.inc"
%include "mmu.inc"
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
	DESC 0, 0xfffff, 0x9a, 0xc             ; 48 code32 flat
gdt_template_end:
SEL_FLAT equ 0x48

PD_A  equ 0x100000
PD_B  equ 0x101000
PT_ID equ 0x102000          ; identity 0-4 MiB, user read/write
PT_A  equ 0x103000          ; space A, 0x400000
PT_B  equ 0x104000          ; space B, 0x400000
PT_A2 equ 0x105000          ; space A, 0x1000000 (read-only PDE)
P     equ 0x200000
Q     equ 0x201000
R     equ 0x202000          ; code: mov eax, imm32 / retf
T     equ 0x203000          ; a user data page that becomes a page table (C6)
Q2    equ 0x204000
TAG_Q2 equ 0x0f0f0f0f
TAG_Q equ 0x0e0e0e0e
R3_OUT equ SCRATCH + 0x20

	bits 32
main32:
	PM_SEGS
	PRINT "mmu-alias: "
	SETUP_TSSA
	ZERO_PAGES PD_A, 6
	FILL_PT PT_ID, PTE_P | PTE_W | PTE_U, 1024
	mov dword [PD_A], PT_ID | 7
	mov dword [PD_A + 1 * 4], PT_A | 7
	mov dword [PD_A + 3 * 4], 0 | PTE_PS | 3        ; 0xc00000: phys 0-4 MiB
	mov dword [PD_A + 4 * 4], PT_A2 | PTE_P         ; read-only PDE
	mov dword [PD_A + 5 * 4], 0 | PTE_PS | PTE_P    ; 0x1400000: read-only 4 MiB
	mov dword [PT_A + 0 * 4], P | 3
	mov dword [PT_A + 1 * 4], P | 3
	mov dword [PT_A + 2 * 4], P | PTE_P
	mov dword [PT_A + 4 * 4], P | 3
	mov dword [PT_A + 5 * 4], P | 3
	mov dword [PT_A + 6 * 4], PT_A | 7
	mov dword [PT_A + 7 * 4], PT_A | PTE_P | PTE_U
	mov dword [PT_A + 10 * 4], P | 7
	mov dword [PT_A + 1023 * 4], P | 3
	mov dword [PT_A2], P | 3
	mov dword [PT_A + 11 * 4], R | 3                ; code at 0x40b000
	mov dword [PT_A + 12 * 4], R | 3                ; data alias at 0x40c000
	mov dword [R], 0x000000b8
	mov dword [R + 4], 0x9090cb00
	mov dword [PD_B], PT_ID | 7
	mov dword [PD_B + 1 * 4], PT_B | 3
	mov dword [PT_B], P | PTE_P
	mov dword [PT_B + 0x100 * 4], P | 3
	ZERO_PAGES P, 1
	TAG_PAGES Q, 1, TAG_Q
	TAG_PAGES Q2, 1, TAG_Q2
	ZERO_PAGES T, 1
	mov dword [PT_A + 13 * 4], T | 7                ; T as user data at 0x40d000
	PAGING_ON PD_A

	; ---- C1: write through each writable alias, read through all ----
	xor ebp, ebp
.c1:
	mov edi, [cs:writable_a + ebp * 4]
	lea edx, [ebp + 0xa11a0000]
	mov [edi + 0x10], edx
	lea ebx, [ebp * 4 + 0x100]
	mov [edi + ebx], edx
	mov esi, aliases_a
	mov ecx, N_ALIASES_A
	call check_aliases
	EQ eax, 0
	mov ebx, 0x10
	call check_aliases
	EQ eax, 0
	inc ebp
	cmp ebp, N_WRITABLE_A
	jb .c1
	LAST_C1 equ 0xa11a0000 + N_WRITABLE_A - 1

	; ---- C2: read-only aliases ----
	EXPECT 14, 3, mov dword [0x402010], 1
	CR2_IS 0x402010
	EXPECT 14, 3, mov dword [0x1000010], 2
	CR2_IS 0x1000010
	EXPECT 14, 3, mov byte [0x1600011], 3
	CR2_IS 0x1600011
	mov esi, aliases_a
	mov ecx, N_ALIASES_A
	mov ebx, 0x10
	mov edx, LAST_C1
	call check_aliases
	EQ eax, 0

	; ---- C3: the other space ----
	mov eax, PD_B
	mov cr3, eax
	mov esi, aliases_b
	mov ecx, N_ALIASES_B
	call check_aliases
	EQ eax, 0
	mov dword [0x500010], 0xb0b0b0b0
	EXPECT 14, 3, mov dword [0x400010], 4
	CR2_IS 0x400010
	mov edx, 0xb0b0b0b0
	call check_aliases
	EQ eax, 0
	mov eax, PD_A
	mov cr3, eax
	mov esi, aliases_a
	mov ecx, N_ALIASES_A
	call check_aliases
	EQ eax, 0

	; ---- C4: one alias write-protected ----
	and dword [PT_A + 1 * 4], ~PTE_W
	invlpg [0x401000]
	EXPECT 14, 3, mov dword [0x401010], 5
	CR2_IS 0x401010
	mov edx, 0xc4c4c4c4
	mov [0x400010], edx
	call check_aliases
	EQ eax, 0
	mov edx, 0xc5c5c5c5
	mov [0xe00010], edx
	call check_aliases
	EQ eax, 0
	or dword [PT_A + 1 * 4], PTE_W
	invlpg [0x401000]
	mov edx, 0xc6c6c6c6
	mov [0x401010], edx
	call check_aliases
	EQ eax, 0
	and dword [PT_A], ~PTE_W
	RELOAD_CR3
	EXPECT 14, 3, mov dword [0x400010], 6
	CR2_IS 0x400010
	mov edx, 0xc7c7c7c7
	mov [0x401010], edx
	call check_aliases
	EQ eax, 0
	or dword [PT_A], PTE_W
	RELOAD_CR3
	and dword [PT_B + 0x100 * 4], ~PTE_W            ; space B, while A is current
	mov eax, PD_B
	mov cr3, eax
	EXPECT 14, 3, mov dword [0x500010], 7
	CR2_IS 0x500010
	EQ dword [0x500010], 0xc7c7c7c7
	mov eax, PD_A
	mov cr3, eax
	mov edx, 0xc8c8c8c8
	mov [0x404010], edx
	call check_aliases
	EQ eax, 0

	; ---- C5: a dword straddling two aliases (0x404000, 0x405000) ----
	mov dword [0x404ffe], 0x11223344
	EQ word [P + 0xffe], 0x3344
	EQ word [P], 0x1122
	EQ dword [0x7ff000], 0x1122
	EQ word [0x402ffe], 0x3344

	; ---- C6: a page table as user data ----
	PTE_IS 0x406000, P | 3                          ; PT_A[0] at ring 0
	mov dword [0x406000 + 8 * 4], Q | 7             ; PT_A[8], was 0
	EQ dword [0x408000], TAG_Q
	PTE_IS PT_A + 8 * 4, Q | 7
	mov dword [R3_OUT], 0
	mov dword [R3_OUT + 4], 0
	mov dword [R3_OUT + 8], 0
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], .r3back
	RING3 .r3
.r3:
	push dword SEL_D3 | 3
	pop ds
	mov eax, [0x406000]                             ; PT_A[0]
	mov [R3_OUT], eax
	mov dword [0x406000 + 9 * 4], Q | 7             ; PT_A[9], was 0
	mov eax, [0x409000]
	mov [R3_OUT + 4], eax
	mov eax, [0x40a010]                             ; P through its user alias
	mov [R3_OUT + 8], eax
	mov dword [0x40a010], 0xd6d6d6d6
	int 0x3e
.r3back:
	FLAT_SEGS
	EQ dword [EXV_VEC], 0x3e
	mov eax, [R3_OUT]
	and eax, ~PTE_AD
	EQ eax, P | 3
	EQ dword [R3_OUT + 4], TAG_Q
	EQ dword [R3_OUT + 8], 0xc8c8c8c8
	mov esi, aliases_a
	mov ecx, N_ALIASES_A
	mov ebx, 0x10
	mov edx, 0xd6d6d6d6
	call check_aliases
	EQ eax, 0
	PTE_IS PT_A + 9 * 4, Q | 7
	R3_EXPECT 14, 7, mov dword [ss:0x407000 + 9 * 4], 0
	CR2_IS 0x407000 + 9 * 4
	PTE_IS PT_A + 9 * 4, Q | 7
	R3_EXPECT 14, 5, mov eax, [ss:0x400000]
	CR2_IS 0x400000
	R3_EXPECT 14, 7, mov dword [ss:0x400010], 0     ; written at ring 0 before
	CR2_IS 0x400010
	R3_EXPECT 14, 5, mov eax, [ss:0x1000000]
	CR2_IS 0x1000000
	R3_EXPECT 14, 5, mov eax, [ss:0xe00000]
	CR2_IS 0xe00000
	; ring 3 makes its page read-only; ring 0 flushes; the user write faults
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], .r3back2
	RING3 .r3b
.r3b:
	mov dword [ss:0x406000 + 9 * 4], Q | PTE_P | PTE_U
	int 0x3e
.r3back2:
	FLAT_SEGS
	EQ dword [EXV_VEC], 0x3e
	RELOAD_CR3
	R3_EXPECT 14, 7, mov dword [ss:0x409010], 8
	CR2_IS 0x409010
	EQ dword [Q + 0x10], 0
	mov eax, cr0                                    ; WP = 0: ring 0 may write it,
	and eax, ~CR0_WP
	mov cr0, eax
	mov dword [0x409010], 9
	R3_EXPECT 14, 7, mov dword [ss:0x409010], 10    ; ring 3 still may not
	CR2_IS 0x409010
	mov eax, cr0
	or eax, CR0_WP
	mov cr0, eax
	EQ dword [Q + 0x10], 9
	mov dword [R3_OUT], 0
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], .r3back3
	RING3 .r3c
.r3c:
	mov eax, [ss:0x409000]                          ; reading is still allowed
	mov [ss:R3_OUT], eax
	int 0x3e
.r3back3:
	FLAT_SEGS
	EQ dword [EXV_VEC], 0x3e
	EQ dword [R3_OUT], TAG_Q

	; a user page written at ring 3 becomes a page table; ring 3 then edits
	; a PTE through its old mapping
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], .r3back4
	RING3 .r3d
.r3d:
	mov dword [ss:0x40d100], 1
	int 0x3e
.r3back4:
	FLAT_SEGS
	EQ dword [T + 0x100], 1
	mov dword [T + 3 * 4], Q | 7
	mov dword [PD_A + 6 * 4], T | 7                 ; table of 0x1800000, was 0
	mov dword [R3_OUT], 0
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], .r3back5
	RING3 .r3e
.r3e:
	mov eax, [ss:0x1803000]
	mov [ss:R3_OUT], eax
	mov dword [ss:0x40d000 + 3 * 4], Q2 | 7
	int 0x3e
.r3back5:
	FLAT_SEGS
	EQ dword [R3_OUT], TAG_Q
	PTE_IS T + 3 * 4, Q2 | 7
	RELOAD_CR3
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], .r3back6
	RING3 .r3f
.r3f:
	mov eax, [ss:0x1803000]
	mov [ss:R3_OUT], eax
	int 0x3e
.r3back6:
	FLAT_SEGS
	EQ dword [R3_OUT], TAG_Q2

	; ---- C7: code changed through a data alias ----
	mov ebx, 1
.c7:
	mov [0x40c001], ebx                             ; the immediate of the mov
	call SEL_FLAT:0x40b000
	EQ eax, ebx
	inc ebx
	mov [R + 1], ebx                                ; through the identity map
	call SEL_FLAT:0x40b000
	EQ eax, ebx
	inc ebx
	cmp ebx, 20
	jb .c7

	PRINT "ok", 10
	PASS

; ESI = a ROM list of ECX linear addresses: EAX = 0 if the dword at offset EBX
; from each holds EDX, else the index + 1 of the first that does not
check_aliases:
	push esi
	push ecx
	push edi
	xor eax, eax
.l:	inc eax
	mov edi, [cs:esi]
	cmp [edi + ebx], edx
	jne .bad
	add esi, 4
	loop .l
	xor eax, eax
.bad:
	pop edi
	pop ecx
	pop esi
	ret

aliases_a:
writable_a:
	dd 0x200000, 0x400000, 0x401000, 0x404000, 0x405000, 0x7ff000, 0x40a000, 0xe00000
N_WRITABLE_A equ ($ - writable_a) / 4
	dd 0x402000, 0x1000000, 0x1600000
N_ALIASES_A equ ($ - aliases_a) / 4
aliases_b:
	dd 0x200000, 0x400000, 0x500000
N_ALIASES_B equ ($ - aliases_b) / 4

	PM_SUPPORT
	ROM_END

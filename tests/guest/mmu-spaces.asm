; mmu-spaces: 32 address spaces, more than a shadow MMU keeps contexts for.
;
; Space k has its own page directory PD(k); linear 0x400000 maps a page of its
; own (tagged with k), through its own page table PT(k).  Even spaces map
; 0-4 MiB with the shared identity page table, odd ones with one 4 MiB page
; (SDM Vol. 3 4.3), so page tables are written through both kinds of mapping.
; The program cycles through the spaces with MOV CR3 for 12 rounds (forward,
; backward, and with a stride of 7), and in each space reads the tag at
; 0x400000 (and at 0x400ffc) and writes a stamp at 0x400008, which must land in
; that space's current physical page.
;
; While space k is current, it also changes the mapping of other spaces: the
; PTE of space k+5 (a space used long ago, whose context a shadow MMU with a
; few contexts has evicted) and, every other step, the PTE or the PDE of the
; space visited just before (whose context is still cached), then switches to
; that space and back.  A MOV CR3 flushes the non-global TLB entries (SDM Vol. 3
; 4.10.4.1), so the new mapping must be seen when a space is loaded again.
; At the end, one page directory is loaded with different CR3.PWT/PCD bits
; (4.3, table 4-3: CR3 bits 3 and 4 are cache controls for the directory, not
; part of its address); a PTE changed under one value is seen under the other.
; All spaces also share one page table for 0x800000, whose PTE is switched
; between two pages at every step: every space must see the current one.
	bits 16
%include "common.inc"
%include "pm.inc"
%include "mmu.inc"
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
gdt_template_end:

NSPACES equ 32
ROUNDS  equ 12
PT_ID   equ 0x101000
PD_BASE equ 0x110000        ; PD(k) = PD_BASE + k * 0x1000
PT_BASE equ 0x130000        ; PT(k): PTE 0 -> V(k) or W(k)
PT2_BASE equ 0x150000       ; PT2(k): PTE 0 -> X(k)
V0      equ 0x200000
W0      equ 0x220000
X0      equ 0x240000
TAG_V   equ 0x5a000000
TAG_W   equ 0xa5000000
TAG_X   equ 0xc3000000
VARS    equ 0x170000
TOGPTE  equ VARS            ; byte per space: PT(k)[0] maps W(k) instead of V(k)
TOGPDE  equ VARS + 0x20     ; byte per space: PD(k)[1] is PT2(k) instead of PT(k)
V_STAMP equ VARS + 0x40
V_PREV  equ VARS + 0x44
V_ROUND equ VARS + 0x48
V_I     equ VARS + 0x4c
V_K     equ VARS + 0x50
V_VISITS equ VARS + 0x54
TOGSH   equ VARS + 0x58     ; PT_SH[0] maps SB instead of SA
PT_SH   equ 0x171000        ; 0x800000 in every space: one page table for all
SA      equ 0x260000
SB      equ 0x261000
TAG_SA  equ 0x5aa55aa5
TAG_SB  equ 0xa55aa55a

	bits 32
main32:
	PM_SEGS
	PRINT "mmu-spaces: "
	ZERO_PAGES 0x100000, 0x80
	FILL_PT PT_ID, PTE_P | PTE_W, 1024
	xor ebx, ebx
.init:
	mov edi, ebx
	shl edi, 12
	mov dword [edi + PD_BASE], PT_ID | 3
	test ebx, 1
	jz .even
	mov dword [edi + PD_BASE], PTE_PS | 3           ; 4 MiB identity
.even:
	lea eax, [edi + PT_BASE + 3]
	mov [edi + PD_BASE + 4], eax
	mov dword [edi + PD_BASE + 8], PT_SH | 3
	lea eax, [edi + V0 + 3]
	mov [edi + PT_BASE], eax
	lea eax, [edi + X0 + 3]
	mov [edi + PT2_BASE], eax
	inc ebx
	cmp ebx, NSPACES
	jb .init
	TAG_PAGES V0, NSPACES, TAG_V
	TAG_PAGES W0, NSPACES, TAG_W
	TAG_PAGES X0, NSPACES, TAG_X
	TAG_PAGES SA, 1, TAG_SA
	TAG_PAGES SB, 1, TAG_SB
	mov dword [PT_SH], SA | 3
	PAGING_ON PD_BASE

	mov dword [V_ROUND], 0
.round:
	mov dword [V_I], 0
.step:
	mov eax, [V_I]
	test byte [V_ROUND], 1
	jnz .stride
	test byte [V_ROUND], 2
	jz .got
	neg eax
	add eax, NSPACES - 1                            ; backward
	jmp .got
.stride:
	imul eax, 7
	add eax, [V_ROUND]
	and eax, NSPACES - 1
.got:
	mov [V_K], eax
	mov ebx, eax
	call visit
	mov ebx, [V_K]
	add ebx, 5
	and ebx, NSPACES - 1
	call toggle_pte                                 ; a space used long ago
	xor byte [TOGSH], 1                             ; the page table of all spaces
	mov dword [PT_SH], SA | 3
	cmp byte [TOGSH], 0
	je .sh
	mov dword [PT_SH], SB | 3
.sh:
	test byte [V_I], 1
	jz .next
	mov ebx, [V_PREV]                               ; the space used just before
	test byte [V_I], 2
	jz .bpte
	call toggle_pde
	jmp .bounce
.bpte:
	call toggle_pte
.bounce:
	mov ebx, [V_PREV]
	call visit
	mov ebx, [V_K]
	call visit
.next:
	mov eax, [V_K]
	mov [V_PREV], eax
	inc dword [V_I]
	cmp dword [V_I], NSPACES
	jb .step
	inc dword [V_ROUND]
	cmp dword [V_ROUND], ROUNDS
	jb .round
	EQ dword [V_VISITS], ROUNDS * NSPACES * 2

	; ---- one page directory, different CR3 cache-control bits ----
	mov ebx, 3
	mov eax, (PD_BASE + 3 * 0x1000) | 0x18          ; PCD | PWT
	mov cr3, eax
	call expect
	EQ dword [0x400000], eax
	call toggle_pte                                 ; space 3's own PTE
	mov eax, PD_BASE + 3 * 0x1000
	mov cr3, eax
	call expect
	EQ dword [0x400000], eax
	call toggle_pde
	mov eax, (PD_BASE + 3 * 0x1000) | 0x08
	mov cr3, eax
	call expect
	EQ dword [0x400000], eax
	PRINT "ok", 10
	PASS

; EBX = space: EAX = the tag its page at 0x400000 must hold, EDX = that page's
; physical address
expect:
	mov edx, ebx
	shl edx, 12
	cmp byte [TOGPDE + ebx], 0
	jne .x
	cmp byte [TOGPTE + ebx], 0
	jne .w
	add edx, V0
	lea eax, [ebx + TAG_V]
	ret
.w:	add edx, W0
	lea eax, [ebx + TAG_W]
	ret
.x:	add edx, X0
	lea eax, [ebx + TAG_X]
	ret

; EBX = space: load it, check the tag, write a stamp and find it in the
; physical page
visit:
	mov eax, ebx
	shl eax, 12
	add eax, PD_BASE
	mov cr3, eax
	call expect
	cmp [0x400000], eax
	jne .bad
	cmp [0x400ffc], eax
	jne .bad
	mov eax, TAG_SA
	cmp byte [TOGSH], 0
	je .sa
	mov eax, TAG_SB
.sa:
	cmp [0x800000], eax
	jne .bad
	inc dword [V_STAMP]
	mov eax, [V_STAMP]
	mov [0x400008], eax
	cmp [edx + 8], eax
	jne .bad
	inc dword [V_VISITS]
	ret
.bad:
	PRINT 10, "space "
	mov eax, ebx
	call print_hex
	PRINT " round "
	mov eax, [V_ROUND]
	call print_hex
	PRINT " step "
	mov eax, [V_I]
	call print_hex
	PRINT " read "
	mov eax, [0x400000]
	call print_hex
	FAILNOW

; EBX = space: switch PT(k)[0] between V(k) and W(k)
toggle_pte:
	xor byte [TOGPTE + ebx], 1
	mov eax, ebx
	shl eax, 12
	lea edx, [eax + V0 + 3]
	cmp byte [TOGPTE + ebx], 0
	je .v
	lea edx, [eax + W0 + 3]
.v:	mov [eax + PT_BASE], edx
	ret

; EBX = space: switch PD(k)[1] between PT(k) and PT2(k)
toggle_pde:
	xor byte [TOGPDE + ebx], 1
	mov eax, ebx
	shl eax, 12
	lea edx, [eax + PT_BASE + 3]
	cmp byte [TOGPDE + ebx], 0
	je .p
	lea edx, [eax + PT2_BASE + 3]
.p:	mov [eax + PD_BASE + 4], edx
	ret

	PM_SUPPORT
	ROM_END

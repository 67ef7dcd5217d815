; mmu-ad: Accessed and Dirty flags (SDM Vol. 3 4.8).
;
; "Whenever the processor uses a paging-structure entry as part of linear-
; address translation, it sets the accessed flag in that entry (if it is not
; already set).  Whenever there is a write to a linear address, the processor
; sets the dirty flag (if it is not already set) in the paging-structure entry
; that identifies the final physical address for the linear address (either a
; PTE or a paging-structure entry in which the PS flag is 1)."  So a read sets
; A and never D; a write sets A and D in the PTE (or the PDE of a 4 MiB page);
; a PDE that references a page table gets A only: its bit 6 is ignored
; (table 4-5) and never set.  Software that clears A or D must invalidate the
; TLB entry (INVLPG or MOV CR3, 4.10.4.1/4.10.4.2) to be sure the processor
; sets the flag again; a not-present entry made present needs no invalidation
; (4.10.4.3).  Every check below follows one of those.
;
;  B1 fresh PTE/PDE: read -> PTE A, PDE A; write -> PTE A D; PDE bit 6 stays 0
;  B2/B3 page aging: A and D cleared in the PTE, A in the PDE, INVLPG / MOV CR3:
;     read -> A only, write -> D
;  B4 D cleared on a page written before, then MOV CR3 or INVLPG: a read leaves
;     D clear, the next write sets it; a write straight after the flush sets
;     it; A cleared on a dirty page comes back on a write
;  B5 new pages (PTE not present -> present, no flush): read -> A; write
;     first -> A D; a read-only page written with CR0.WP = 0 (4.6) -> D
;  B6 kinds of access on new pages: BT and TEST (read only) -> A; ADD,
;     XCHG, BTS (a write even when the bit is already set), CMPXCHG with a
;     failing compare (the destination is written back: SDM Vol. 2 CMPXCHG)
;     -> A D; PUSH -> A D, POP -> A; REP MOVSB source A / destination A D;
;     REPE CMPSB, LODSD -> A; STOSD -> A D; an instruction fetch -> A only;
;     a dword straddling two pages, written -> A D in both, read -> A in both;
;     SIDT -> A D, LIDT -> A
;  B7 a 4 MiB page: the same rules for the PDE with PS = 1
;  B8 page aging over 16 pages, 3 rounds with different read/write patterns:
;     A and D cleared in all PTEs, MOV CR3, then each page read, written or
;     left alone; written pages get A D, read pages A only, and pages left
;     alone stay clear.  (The SDM lets a processor walk and set A for
;     speculative accesses, 4.10.2.3; an emulator has no speculation, so this
;     last part checks that it walks only for real accesses.)
;  B9 loading a segment register whose descriptor has A clear writes the
;     descriptor (SDM Vol. 3 3.4.5): the GDT page gets A and D
	bits 16
%include "common.inc"
%include "pm.inc"
%include "mmu.inc"
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
	DESC 0, 0xfffff, 0x92, 0xc             ; 48 data flat, A clear
	DESC 0, 0xfffff, 0x9a, 0xc             ; 50 code32 flat
gdt_template_end:

PD0   equ 0x100000
PT_ID equ 0x101000
PT_A  equ 0x102000          ; 0x400000-0x7fffff
BIG   equ 0x800000          ; 4 MiB page at linear 0x800000
%define D(i) (0x200000 + (i) * 0x1000)
%define TAG_D(i) (0xd0d00000 + (i))
%define L(i) (0x400000 + (i) * 0x1000)

; AD_IS entry address, bits: the entry's A and D flags are exactly bits (EAX)
%macro AD_IS 2
	mov eax, [%1]
	and eax, PTE_AD
	EQ eax, %2
%endmacro
; FRESH n: PT_A[n] = D(n), present, writable, A = D = 0 (L(n) not accessed yet)
%macro FRESH 1
	mov dword [PT_A + (%1) * 4], D(%1) | 3
%endmacro

	bits 32
main32:
	PM_SEGS
	PRINT "mmu-ad: "
	ZERO_PAGES PD0, 3
	FILL_PT PT_ID, PTE_P | PTE_W, 1024
	mov dword [PD0], PT_ID | 3
	mov dword [PD0 + 1 * 4], PT_A | 3
	mov dword [PD0 + 2 * 4], BIG | PTE_PS | 3
	TAG_PAGES D(0), 32, TAG_D(0)
	PAGING_ON PD0

	; ---- B1: fresh entries ----
	FRESH 0
	AD_IS PD0 + 4, 0
	mov eax, [L(0)]
	AD_IS PT_A, PTE_A
	AD_IS PD0 + 4, PTE_A
	mov dword [L(0) + 4], 1
	AD_IS PT_A, PTE_AD
	AD_IS PD0 + 4, PTE_A

	; ---- B2: aging, INVLPG ----
	and dword [PT_A], ~PTE_AD
	and dword [PD0 + 4], ~PTE_A
	invlpg [L(0)]
	mov eax, [L(0)]
	AD_IS PT_A, PTE_A
	AD_IS PD0 + 4, PTE_A
	mov dword [L(0) + 4], 2
	AD_IS PT_A, PTE_AD
	AD_IS PD0 + 4, PTE_A

	; ---- B3: aging, MOV CR3 ----
	and dword [PT_A], ~PTE_AD
	and dword [PD0 + 4], ~PTE_A
	RELOAD_CR3
	mov eax, [L(0)]
	AD_IS PT_A, PTE_A
	AD_IS PD0 + 4, PTE_A
	mov dword [L(0) + 4], 3
	AD_IS PT_A, PTE_AD
	EQ dword [D(0) + 4], 3

	; ---- B4: D cleared on a page written before ----
	and dword [PT_A], ~PTE_D
	RELOAD_CR3
	mov eax, [L(0)]
	AD_IS PT_A, PTE_A
	mov dword [L(0) + 4], 4
	AD_IS PT_A, PTE_AD
	and dword [PT_A], ~PTE_D
	invlpg [L(0)]
	mov dword [L(0) + 8], 5                         ; a write first
	AD_IS PT_A, PTE_AD
	and dword [PT_A], ~PTE_D
	RELOAD_CR3
	mov byte [L(0) + 12], 6
	AD_IS PT_A, PTE_AD
	and dword [PT_A], ~PTE_A                        ; A cleared, D kept
	RELOAD_CR3
	mov dword [L(0) + 16], 7
	AD_IS PT_A, PTE_AD
	and dword [PT_A], ~PTE_AD
	RELOAD_CR3
	mov dword [L(0) + 16], 8
	AD_IS PT_A, PTE_AD
	EQ dword [D(0) + 16], 8

	; ---- B5: never-accessed pages ----
	FRESH 1
	mov eax, [L(1)]
	AD_IS PT_A + 1 * 4, PTE_A
	FRESH 2
	mov dword [L(2)], 0
	AD_IS PT_A + 2 * 4, PTE_AD
	mov dword [PT_A + 3 * 4], D(3) | PTE_P          ; read-only
	mov eax, [L(3)]
	AD_IS PT_A + 3 * 4, PTE_A
	mov eax, cr0
	and eax, ~CR0_WP
	mov cr0, eax
	mov dword [L(3) + 0x10], 9
	AD_IS PT_A + 3 * 4, PTE_AD
	mov eax, cr0
	or eax, CR0_WP
	mov cr0, eax
	EQ dword [D(3) + 0x10], 9

	; ---- B6: kinds of access ----
	FRESH 4
	bt dword [L(4)], 0
	AD_IS PT_A + 4 * 4, PTE_A
	FRESH 5
	test [L(5)], eax
	AD_IS PT_A + 5 * 4, PTE_A
	FRESH 6
	add dword [L(6) + 0x20], 0
	AD_IS PT_A + 6 * 4, PTE_AD
	FRESH 7
	mov eax, 1
	mov ecx, 2
	cmpxchg [L(7)], ecx                             ; fails: written back
	EQ eax, TAG_D(7)
	AD_IS PT_A + 7 * 4, PTE_AD
	EQ dword [D(7)], TAG_D(7)
	FRESH 8
	mov eax, 0x88
	xchg [L(8) + 0x20], eax
	AD_IS PT_A + 8 * 4, PTE_AD
	FRESH 9
	bts dword [L(9)], 31                            ; already set
	AD_IS PT_A + 9 * 4, PTE_AD
	EQ dword [D(9)], TAG_D(9)
	FRESH 10
	mov [SCRATCH], esp
	mov esp, L(10) + 0x100
	push eax
	mov esp, [SCRATCH]
	AD_IS PT_A + 10 * 4, PTE_AD
	FRESH 11
	mov esp, L(11) + 0x100
	pop eax
	mov esp, [SCRATCH]
	AD_IS PT_A + 11 * 4, PTE_A
	FRESH 12
	FRESH 13
	mov esi, L(12) + 0x100
	mov edi, L(13) + 0x100
	mov ecx, 16
	rep movsb
	AD_IS PT_A + 12 * 4, PTE_A
	AD_IS PT_A + 13 * 4, PTE_AD
	FRESH 14
	FRESH 15
	mov esi, L(14) + 0x100
	mov edi, L(15) + 0x100
	mov ecx, 16
	repe cmpsb                                      ; zeros on both sides
	EQ ecx, 0
	AD_IS PT_A + 14 * 4, PTE_A
	AD_IS PT_A + 15 * 4, PTE_A
	FRESH 16
	mov esi, L(16)
	lodsd
	EQ eax, TAG_D(16)
	AD_IS PT_A + 16 * 4, PTE_A
	FRESH 17
	mov edi, L(17) + 0x100
	stosd
	AD_IS PT_A + 17 * 4, PTE_AD
	mov byte [D(18) + 0x100], 0xcb                  ; retf, written physically
	FRESH 18
	call 0x50:(L(18) + 0x100)                        ; fetch from L(18)
	AD_IS PT_A + 18 * 4, PTE_A
	FRESH 19
	FRESH 20
	mov dword [L(19) + 0xffe], 0x12345678
	AD_IS PT_A + 19 * 4, PTE_AD
	AD_IS PT_A + 20 * 4, PTE_AD
	EQ word [D(19) + 0xffe], 0x5678
	EQ word [D(20)], 0x1234
	FRESH 21
	FRESH 22
	mov eax, [L(21) + 0xffe]
	EQ eax, (TAG_D(21) >> 16) | ((TAG_D(22) << 16) & 0xffffffff)
	AD_IS PT_A + 21 * 4, PTE_A
	AD_IS PT_A + 22 * 4, PTE_A
	FRESH 23
	sidt [L(23) + 0x10]
	AD_IS PT_A + 23 * 4, PTE_AD
	EQ word [D(23) + 0x10], NVEC * 8 - 1
	mov eax, [0xff8]                                ; pm.inc's IDT pseudo-descriptor
	mov [D(24) + 0x10], eax
	mov eax, [0xffc]
	mov [D(24) + 0x14], eax
	FRESH 24
	lidt [L(24) + 0x10]
	AD_IS PT_A + 24 * 4, PTE_A

	; ---- B7: a 4 MiB page ----
	AD_IS PD0 + 2 * 4, 0
	mov eax, [0x800000]
	AD_IS PD0 + 2 * 4, PTE_A
	mov eax, [0xbff000]
	AD_IS PD0 + 2 * 4, PTE_A
	mov dword [0xa00000], 1
	AD_IS PD0 + 2 * 4, PTE_AD
	and dword [PD0 + 2 * 4], ~PTE_AD
	invlpg [0x800000]
	invlpg [0xbff000]
	invlpg [0xa00000]
	mov eax, [0x900000]
	AD_IS PD0 + 2 * 4, PTE_A
	mov dword [0x900004], 2
	AD_IS PD0 + 2 * 4, PTE_AD
	and dword [PD0 + 2 * 4], ~PTE_D
	RELOAD_CR3
	mov eax, [0x900000]
	AD_IS PD0 + 2 * 4, PTE_A
	mov dword [0xb00000], 3                         ; a part not written before
	AD_IS PD0 + 2 * 4, PTE_AD
	and dword [PD0 + 2 * 4], ~PTE_D
	RELOAD_CR3
	mov dword [0x900004], 4                         ; a part written before
	AD_IS PD0 + 2 * 4, PTE_AD
	and dword [PD0 + 2 * 4], ~PTE_AD
	RELOAD_CR3
	mov dword [0x900008], 5                         ; a write first
	AD_IS PD0 + 2 * 4, PTE_AD
	EQ dword [0x900004], 4
	EQ dword [0xb00000], 3

	; ---- B8: page aging over 16 pages ----
AGE_N equ 16
AGE_FIRST equ 32                                    ; PT_A[32..47], L(32)..
	mov ecx, AGE_N
	mov edi, PT_A + AGE_FIRST * 4
	mov eax, D(0) | 3
.agemap:
	stosd
	add eax, 0x1000
	loop .agemap
	xor ebp, ebp                                    ; round
.around:
	mov ecx, AGE_N
	mov edi, PT_A + AGE_FIRST * 4
.aclear:
	and dword [edi], ~PTE_AD
	add edi, 4
	loop .aclear
	RELOAD_CR3
	xor ebx, ebx                                    ; page
.apage:
	mov eax, ebp
	shl eax, 4
	movzx eax, byte [cs:age_pattern + eax + ebx]
	mov esi, ebx
	shl esi, 12
	add esi, L(AGE_FIRST)
	cmp al, 1
	jb .anext
	je .aread
	mov [esi + 0x20], ebp
	jmp .anext
.aread:
	mov eax, [esi]
.anext:
	inc ebx
	cmp ebx, AGE_N
	jb .apage
	xor ebx, ebx
.acheck:
	mov eax, ebp
	shl eax, 4
	movzx edx, byte [cs:age_pattern + eax + ebx]
	movzx edx, byte [cs:age_flags + edx]
	mov eax, [PT_A + AGE_FIRST * 4 + ebx * 4]
	and eax, PTE_AD
	cmp eax, edx
	je .aok
	PRINT 10, "aging round "
	mov eax, ebp
	call print_hex
	PRINT " page "
	mov eax, ebx
	call print_hex
	FAILNOW
.aok:
	inc ebx
	cmp ebx, AGE_N
	jb .acheck
	inc ebp
	cmp ebp, 3
	jb .around

	; ---- B9: the accessed bit of a segment descriptor ----
	and dword [PT_ID + 1 * 4], ~PTE_AD              ; the GDT page
	RELOAD_CR3
	test byte [GDT_BASE + 0x48 + 5], 1
	jz .b9
	FAILNOW
.b9:
	and dword [PT_ID + 1 * 4], ~PTE_AD              ; the test above read it
	RELOAD_CR3
	mov ax, 0x48
	mov ds, ax                                      ; sets the descriptor's A
	mov ax, SEL_D0
	mov ds, ax
	AD_IS PT_ID + 1 * 4, PTE_AD
	test byte [GDT_BASE + 0x48 + 5], 1
	jnz .b9ok
	FAILNOW
.b9ok:
	PRINT "ok", 10
	PASS

; B8: per round, per page: 0 = left alone, 1 = read, 2 = written
age_pattern:
	db 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0
	db 2, 2, 1, 1, 0, 0, 2, 1, 0, 2, 1, 0, 0, 1, 2, 2
	db 1, 0, 0, 2, 2, 1, 1, 0, 2, 0, 2, 1, 1, 2, 0, 1
age_flags:
	db 0, PTE_A, PTE_AD

	PM_SUPPORT
	ROM_END

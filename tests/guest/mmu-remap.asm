; mmu-remap: a program rewrites its own paging structures and checks that
; the new mappings are used.  Ring 0, CR0.WP = 1, CR4.PSE = 1.
;
; When a change must be seen (SDM Vol. 3 4.10, "Caching Translation
; Information"):
;  - after INVLPG of the page (4.10.4.1: INVLPG drops the TLB entries for the
;    page and all paging-structure-cache entries), or after MOV CR3, which
;    drops all non-global TLB entries (4.10.4.1) - no global pages here;
;  - WITHOUT either only where no TLB entry can exist: when the entry goes
;    from not present to present (4.10.4.3: no invalidation is needed, the
;    processor caches no translation from a not-present entry, 4.10.2.2, and a
;    page fault drops the entries for its address, 4.10.4.1), or for a linear
;    page not accessed since the last flush (S3, S8: TLB entries come from
;    walks; 4.10.2.3 lets a processor also walk for speculative accesses, so
;    on hardware only the not-present -> present cases are strictly
;    guaranteed, but an emulator does not speculate);
;  - MOV to CR0 changing PG and MOV to CR4 changing PSE flush everything
;    (4.10.4.1); CR0.WP is not cached and applies to every access (4.6).
; A shadow MMU that caches contexts across MOV CR3 must be coherent in all of
; these cases: it cannot rely on the flushes.
;
; Checked:
;  S1  a PTE rewritten, then INVLPG                  S2  ... then MOV CR3
;      (also CMPXCHG, XCHG, XOR, ADD on the PTE)
;  S3  no flush: not present -> present after a #PF; a never-accessed page
;      remapped; a never-accessed page made not present (#PF error 2, 4.7)
;  S4  a PDE switched to another page table (INVLPG, then MOV CR3); a
;      not-present PDE made present without a flush
;  S5  a PDE switched between a 4 MiB page and a page table (4.3), both ways
;  S6  PTEs written through an alias mapping of the page-table page
;  S7  PTEs written with byte writes (also through the alias)
;  S8  a misaligned dword straddling two PTEs, one straddling the last PTE of
;      one page table and the first of the next (two page-table pages), and a
;      misaligned word straddling two PTEs through the alias; dwords
;      straddling a data page and the page table after it (and the reverse),
;      and a REP STOSD running from a data page into a page table
;  S9  P cleared: #PF error 0 (read) / 2 (write), CR2 = the address (4.7), for
;      the PTE (BTR + INVLPG, AND + MOV CR3) and for the PDE
;  S10 a writable page made read-only: with CR0.WP = 1 a ring-0 write faults
;      with error 3 (P | W/R), the memory is unchanged, reads still work; with
;      CR0.WP = 0 the write is allowed (4.6); a remap made visible by INVLPG
;      with WP = 1 is visible with WP = 0; read-only at the PDE level
;  S11 a recursive mapping: PDE 1023 = the page directory; PTEs edited through
;      the 0xFFC00000 window, a PDE through 0xFFFFF000, then the window removes
;      itself
;  S12 a page written through a writable mapping becomes a page table and
;      then a page directory (MOV CR3); its old writable mapping now edits
;      entries, which must take effect
;  S13 REP MOVSD / REP STOSD fill and clear a page table; S14 PUSH with ESP
;      inside a page table writes a PTE
;  S15 CR4.PSE cleared: the PS bit of a PDE is ignored and the PDE refers to a
;      page table (4.3, table 4-5); set again: the 4 MiB page is back
;  S16 a PTE written with CR0.PG = 0 is used when PG is set again
;  S17 the page of a routine remapped to another one (MOV CR3, INVLPG, a not-
;      present PTE made present): the next far CALL runs the new code
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

PD0   equ 0x100000
PT_ID equ 0x101000          ; identity 0-4 MiB
PT_A  equ 0x102000          ; 0x400000-0x7fffff (R1)
PT_B  equ 0x103000          ; another table for R1, then for 0x1800000
PT_C  equ 0x104000          ; 0xc00000: the alias window
PT_D  equ 0x105000          ; 0x1000000, installed through the recursive window
PT_E  equ 0x106000          ; data first, then the table of 0x1400000
PT_F  equ 0x107000          ; 0x1c00000, filled by string instructions
TEMPL equ 0x108000          ; a template for PT_F
PD2   equ 0x109000          ; data first, then a page directory
DATA_X equ 0x10a000         ; a data page just below a page table (S8)
PT_G  equ 0x10b000          ; 0x2800000, written by straddling writes
DATA_Y equ 0x10c000         ; a data page just above it
PT_H  equ 0x10d000          ; 0x2c00000, code pages (S17)
BIG   equ 0x800000          ; a 4 MiB frame, identity-mapped at 0x800000
PSEF  equ 0xc00000          ; a 4 MiB frame for S15
ALIAS equ 0xc00000          ; linear: PT_A seen as data
E0    equ 0x210000
TAG_E equ 0xe0e00000
%define D(i) (0x200000 + (i) * 0x1000)
%define TAG_D(i) (0xd0d00000 + (i))
%define TAG_B(i) (0xb16b0000 + (i))

	bits 32
main32:
	PM_SEGS
	PRINT "mmu-remap: "
	ZERO_PAGES PD0, 14
	FILL_PT PT_ID, PTE_P | PTE_W, 1024
	mov dword [PD0], PT_ID | 3
	mov dword [PD0 + 1 * 4], PT_A | 3
	mov dword [PD0 + 2 * 4], BIG | PTE_PS | 3
	mov dword [PD0 + 3 * 4], PT_C | 3
	mov dword [PT_C], PT_A | 3
	mov dword [PT_A], D(0) | 3
	TAG_PAGES D(0), 8, TAG_D(0)
	TAG_PAGES E0, 1, TAG_E
	TAG_PAGES BIG, 2, TAG_B(0)
	TAG_PAGES BIG + 0x3ff000, 1, TAG_B(0x3ff)
	mov dword [PSEF], D(0) | 3
	mov dword [PSEF + 0x1000], 0x5e5e5e5e
	PAGING_ON PD0

	; ---- S1: INVLPG ----
	EQ dword [0x400000], TAG_D(0)
	mov dword [PT_A], D(1) | 3
	invlpg [0x400000]
	EQ dword [0x400000], TAG_D(1)
	mov dword [0x400004], 0x11111111
	EQ dword [D(1) + 4], 0x11111111

	; ---- S2: MOV CR3 ----
	mov dword [PT_A], D(2) | 3
	RELOAD_CR3
	EQ dword [0x400000], TAG_D(2)
	mov dword [0x400004], 0x22222222
	EQ dword [D(2) + 4], 0x22222222
	mov eax, [PT_A]
	mov ecx, D(3) | 3
	lock cmpxchg [PT_A], ecx
	je .s2a
	FAILNOW
.s2a:
	RELOAD_CR3
	EQ dword [0x400000], TAG_D(3)
	mov eax, D(0) | 3
	xchg [PT_A], eax
	RELOAD_CR3
	EQ dword [0x400000], TAG_D(0)
	lock xor dword [PT_A], D(0) ^ D(1)
	RELOAD_CR3
	EQ dword [0x400000], TAG_D(1)
	add dword [PT_A], 0x1000
	RELOAD_CR3
	EQ dword [0x400000], TAG_D(2)

	; ---- S3: no flush ----
	mov dword [PT_A + 1 * 4], D(3) | PTE_W          ; not present
	EXPECT 14, 0, mov eax, [0x401000]
	CR2_IS 0x401000
	or dword [PT_A + 1 * 4], PTE_P
	EQ dword [0x401000], TAG_D(3)
	mov dword [PT_A + 2 * 4], D(0) | 3              ; 0x402000 never accessed
	mov dword [PT_A + 2 * 4], D(1) | 3
	EQ dword [0x402000], TAG_D(1)
	mov dword [PT_A + 3 * 4], D(0) | 3              ; 0x403000 never accessed
	mov dword [PT_A + 3 * 4], D(0) | PTE_W
	EXPECT 14, 2, mov dword [0x403008], 1
	CR2_IS 0x403008
	EQ dword [D(0) + 8], 0

	; ---- S4: a PDE switched to another page table ----
	mov dword [PT_B], D(4) | 3
	mov dword [PT_B + 4], D(5) | 3
	mov dword [PD0 + 1 * 4], PT_B | 3
	invlpg [0x400000]
	EQ dword [0x400000], TAG_D(4)
	RELOAD_CR3
	EQ dword [0x401000], TAG_D(5)
	EXPECT 14, 0, mov eax, [0x402000]
	CR2_IS 0x402000
	mov dword [PD0 + 1 * 4], PT_A | 3
	RELOAD_CR3
	EQ dword [0x400000], TAG_D(2)
	EQ dword [0x401000], TAG_D(3)
	EQ dword [0x402000], TAG_D(1)
	mov dword [PD0 + 6 * 4], PT_B | 3               ; was not present
	EQ dword [0x1800000], TAG_D(4)
	EQ dword [0x1801000], TAG_D(5)

	; ---- S5: 4 MiB page <-> page table ----
	mov dword [PD0 + 1 * 4], BIG | PTE_PS | 3
	RELOAD_CR3
	EQ dword [0x400000], TAG_B(0)
	EQ dword [0x401000], TAG_B(1)
	EQ dword [0x7ff000], TAG_B(0x3ff)
	mov dword [0x401008], 0x33333333
	EQ dword [0x800000 + 0x1008], 0x33333333        ; BIG through PDE 2
	mov dword [PD0 + 1 * 4], PT_A | 3
	invlpg [0x400000]
	EQ dword [0x400000], TAG_D(2)
	RELOAD_CR3
	EQ dword [0x401000], TAG_D(3)
	EXPECT 14, 0, mov eax, [0x7ff000]
	CR2_IS 0x7ff000
	mov dword [PD0 + 1 * 4], BIG | PTE_PS | 3
	invlpg [0x400000]
	EQ dword [0x400000], TAG_B(0)
	RELOAD_CR3
	EQ dword [0x7ff000], TAG_B(0x3ff)
	mov dword [PD0 + 1 * 4], PT_A | 3
	RELOAD_CR3
	EQ dword [0x400000], TAG_D(2)

	; ---- S6: PTEs written through an alias of the page table ----
	mov dword [ALIAS], D(5) | 3
	RELOAD_CR3
	EQ dword [0x400000], TAG_D(5)
	mov dword [ALIAS], D(6) | 3
	invlpg [0x400000]
	EQ dword [0x400000], TAG_D(6)
	mov dword [ALIAS + 5 * 4], D(7) | 3             ; was not present
	EQ dword [0x405000], TAG_D(7)
	PTE_IS PT_A + 5 * 4, D(7) | 3
	PTE_IS ALIAS + 5 * 4, D(7) | 3

	; ---- S7: byte writes to PTEs ----
	mov byte [PT_A + 1], D(7) >> 8 & 0xff           ; frame D(6) -> D(7)
	RELOAD_CR3
	EQ dword [0x400000], TAG_D(7)
	mov byte [PT_A + 1], D(4) >> 8 & 0xff
	invlpg [0x400000]
	EQ dword [0x400000], TAG_D(4)
	mov byte [ALIAS + 1], D(5) >> 8 & 0xff
	RELOAD_CR3
	EQ dword [0x400000], TAG_D(5)
	mov dword [PT_A + 6 * 4], D(3) | PTE_W          ; not present
	or byte [PT_A + 6 * 4], PTE_P
	EQ dword [0x406000], TAG_D(3)

	; ---- S8: misaligned writes straddling two PTEs ----
	mov dword [PT_A + 7 * 4], D(0) | 3
	mov dword [PT_A + 8 * 4], D(0) | 3
	EQ dword [0x407000], TAG_D(0)
	EQ dword [0x408000], TAG_D(0)
	; high word of PTE 7 := 0x0021 (frame E0), low word of PTE 8 := 0x1003 (D(1))
	mov dword [PT_A + 7 * 4 + 2], 0x10030021
	RELOAD_CR3
	EQ dword [0x407000], TAG_E
	EQ dword [0x408000], TAG_D(1)
	PTE_IS PT_A + 7 * 4, E0 | 3
	PTE_IS PT_A + 8 * 4, D(1) | 3
	mov dword [PT_A + 9 * 4], 3                     ; never accessed
	mov dword [PT_A + 10 * 4], D(0) & 0xffff0000    ; not present
	mov dword [PT_A + 9 * 4 + 2], 0x10030021
	EQ dword [0x409000], TAG_E
	EQ dword [0x40a000], TAG_D(1)
	mov dword [PT_A + 11 * 4], D(2) | 3             ; never accessed
	mov dword [PT_A + 12 * 4], D(2) | PTE_W         ; not present
	mov word [ALIAS + 11 * 4 + 3], 0x0300           ; PTE 12 byte 0 := P | W
	EQ dword [0x40b000], TAG_D(2)
	EQ dword [0x40c000], TAG_D(2)
	; the last PTE of PT_A and the first of PT_B (the next physical page)
	mov dword [PT_A + 1023 * 4], D(0) | 3
	EQ dword [0x7ff000], TAG_D(0)
	EQ dword [0x1800000], TAG_D(4)
	mov dword [PT_A + 1023 * 4 + 2], 0x50030021     ; -> E0, D(5)
	RELOAD_CR3
	EQ dword [0x7ff000], TAG_E
	EQ dword [0x1800000], TAG_D(5)

	; a write straddling a data page and the page table after it, one
	; straddling a page table and the data page after it, and a REP STOSD
	; running from a data page into a page table (all through the identity map)
	mov dword [PD0 + 10 * 4], PT_G | 3
	mov dword [PT_G], D(0) | 3
	mov dword [PT_G + 4], D(0) | 3
	mov dword [PT_G + 1023 * 4], D(0) | 3
	mov dword [DATA_X + 0xff0], 0
	mov dword [DATA_Y], 0
	EQ dword [0x2800000], TAG_D(0)
	EQ dword [0x2bff000], TAG_D(0)
	mov dword [DATA_X + 0xffe], 0x1003abcd          ; PTE 0 low word := D(1) | 3
	EQ word [DATA_X + 0xffe], 0xabcd
	mov dword [PT_G + 1023 * 4 + 2], 0xabcd0021     ; PTE 1023 high word := E0
	EQ word [DATA_Y], 0xabcd
	RELOAD_CR3
	EQ dword [0x2800000], TAG_D(1)
	EQ dword [0x2bff000], TAG_E
	EQ dword [0x2801000], TAG_D(0)
	mov edi, DATA_X + 0xff8
	mov ecx, 4
	xor eax, eax
	rep stosd                                       ; clears PT_G[0], PT_G[1]
	RELOAD_CR3
	EXPECT 14, 0, mov eax, [0x2801000]
	CR2_IS 0x2801000
	EQ dword [0x2bff000], TAG_E

	; ---- S9: not present ----
	mov dword [PT_A + 13 * 4], D(1) | 3
	EQ dword [0x40d000], TAG_D(1)
	btr dword [PT_A + 13 * 4], 0
	invlpg [0x40d000]
	EXPECT 14, 0, mov eax, [0x40d010]
	CR2_IS 0x40d010
	EXPECT 14, 2, mov dword [0x40d020], 5
	CR2_IS 0x40d020
	bts dword [PT_A + 13 * 4], 0
	EQ dword [0x40d000], TAG_D(1)
	and dword [PT_A + 13 * 4], ~PTE_P
	RELOAD_CR3
	EXPECT 14, 0, mov eax, [0x40dffc]
	CR2_IS 0x40dffc
	or dword [PT_A + 13 * 4], PTE_P
	EQ dword [0x40dffc], TAG_D(1)
	and dword [PD0 + 1 * 4], ~PTE_P
	RELOAD_CR3
	EXPECT 14, 0, mov eax, [0x40d000]
	CR2_IS 0x40d000
	EXPECT 14, 2, mov byte [0x400001], 1
	CR2_IS 0x400001
	or dword [PD0 + 1 * 4], PTE_P
	EQ dword [0x40d000], TAG_D(1)

	; ---- S10: writable -> read-only ----
	mov dword [PT_A + 14 * 4], D(2) | 3
	mov dword [0x40e010], 0x33
	EQ dword [D(2) + 0x10], 0x33
	and dword [PT_A + 14 * 4], ~PTE_W
	RELOAD_CR3
	EXPECT 14, 3, mov dword [0x40e010], 0x44
	CR2_IS 0x40e010
	EQ dword [D(2) + 0x10], 0x33
	EQ dword [0x40e000], TAG_D(2)
	or dword [PT_A + 14 * 4], PTE_W
	invlpg [0x40e000]
	mov dword [0x40e010], 0x55
	EQ dword [D(2) + 0x10], 0x55
	and dword [PT_A + 14 * 4], ~PTE_W
	invlpg [0x40e000]
	EXPECT 14, 3, add dword [0x40e010], 1
	CR2_IS 0x40e010
	EQ dword [D(2) + 0x10], 0x55
	mov eax, cr0
	and eax, ~CR0_WP
	mov cr0, eax
	mov dword [0x40e010], 0x66                      ; WP = 0: allowed at CPL 0
	EQ dword [D(2) + 0x10], 0x66
	mov eax, cr0
	or eax, CR0_WP
	mov cr0, eax
	EXPECT 14, 3, mov dword [0x40e010], 0x77
	EQ dword [D(2) + 0x10], 0x66
	; a remap seen by INVLPG under WP = 1 is seen under WP = 0 too: INVLPG
	; drops the page's TLB entries whatever CR0.WP was (4.10.4.1)
	mov eax, cr0
	and eax, ~CR0_WP
	mov cr0, eax
	EQ dword [0x40e000], TAG_D(2)
	mov eax, cr0
	or eax, CR0_WP
	mov cr0, eax
	mov dword [PT_A + 14 * 4], D(3) | PTE_P
	invlpg [0x40e000]
	mov eax, cr0
	and eax, ~CR0_WP
	mov cr0, eax
	EQ dword [0x40e000], TAG_D(3)
	mov eax, cr0
	or eax, CR0_WP
	mov cr0, eax
	mov dword [PT_A + 14 * 4], D(2) | PTE_P
	invlpg [0x40e000]
	or dword [PT_A + 14 * 4], PTE_W
	and dword [PD0 + 1 * 4], ~PTE_W                 ; read-only at the PDE
	RELOAD_CR3
	EXPECT 14, 3, mov dword [0x40e010], 0x88
	CR2_IS 0x40e010
	EXPECT 14, 3, mov word [0x400010], 0x88
	CR2_IS 0x400010
	EQ dword [0x40e000], TAG_D(2)
	EQ dword [D(2) + 0x10], 0x66
	or dword [PD0 + 1 * 4], PTE_W
	RELOAD_CR3
	mov dword [0x40e010], 0x99
	EQ dword [D(2) + 0x10], 0x99

	; ---- S11: recursive mapping ----
	mov dword [PD0 + 1023 * 4], PD0 | 3
	mov dword [0xffc00000 + 0x40f * 4], D(3) | 3    ; PTE of 0x40f000, was 0
	EQ dword [0x40f000], TAG_D(3)
	PTE_IS PT_A + 15 * 4, D(3) | 3
	mov dword [0xffc00000 + 0x40f * 4], D(4) | 3
	RELOAD_CR3
	EQ dword [0x40f000], TAG_D(4)
	mov dword [0xffc00000 + 0x40f * 4], D(5) | 3
	invlpg [0x40f000]
	EQ dword [0x40f000], TAG_D(5)
	mov dword [0xfffff000 + 4 * 4], PT_D | 3        ; PDE of 0x1000000, was 0
	mov dword [0xffc00000 + (0x1000000 >> 12) * 4], D(6) | 3
	EQ dword [0x1000000], TAG_D(6)
	PTE_IS PT_D, D(6) | 3
	PTE_IS PD0 + 4 * 4, PT_D | 3
	PTE_IS 0xfffffffc, PD0 | 3
	mov eax, [0xffc00000 + 0x400 * 4]               ; PTE of 0x400000
	EQ eax, [PT_A]
	mov dword [0xfffffffc], 0                       ; the window removes itself
	RELOAD_CR3
	EXPECT 14, 0, mov eax, [0xffc00000 + 0x400 * 4]
	CR2_IS 0xffc01000
	EQ dword [PD0 + 1023 * 4], 0

	; ---- S12: a written page becomes a page table, then a page directory ----
	mov dword [PT_A + 16 * 4], PT_E | 3             ; PT_E at 0x410000
	mov dword [0x410100], 0x12345678
	EQ dword [PT_E + 0x100], 0x12345678
	mov dword [0x410100], 0
	mov dword [PD0 + 5 * 4], PT_E | 3               ; table of 0x1400000
	EXPECT 14, 0, mov eax, [0x1400000]
	CR2_IS 0x1400000
	mov dword [0x410000 + 2 * 4], D(1) | 3
	EQ dword [0x1402000], TAG_D(1)
	mov dword [0x410000], D(3) | 3
	EQ dword [0x1400000], TAG_D(3)
	mov dword [0x410000 + 2 * 4], D(2) | 3
	RELOAD_CR3
	EQ dword [0x1402000], TAG_D(2)
	mov dword [0x410000 + 2 * 4], D(4) | 3
	invlpg [0x1402000]
	EQ dword [0x1402000], TAG_D(4)
	; PD2, written as data at 0x411000, becomes the page directory
	mov dword [PT_A + 17 * 4], PD2 | 3
	mov esi, PD0
	mov edi, 0x411000
	mov ecx, 1024
	rep movsd
	mov eax, PD2
	mov cr3, eax
	EQ dword [0x400000], TAG_D(5)
	EQ dword [0x1402000], TAG_D(4)
	mov dword [0x411000 + 9 * 4], PT_B | 3          ; PDE of 0x2400000, was 0
	EQ dword [0x2400000], TAG_D(5)                  ; PT_B[0] = D(5) since S8
	mov dword [0x411000 + 9 * 4], PT_A | 3
	RELOAD_CR3
	EQ dword [0x2401000], TAG_D(3)                  ; PT_A[1] (PT_B[1] = D(5))
	EQ dword [0x2407000], TAG_E                     ; PT_A[7] (PT_B[7] = 0)
	mov eax, PD0
	mov cr3, eax
	EXPECT 14, 0, mov eax, [0x2400000]              ; PD0 has no PDE 9
	CR2_IS 0x2400000

	; ---- S13: string instructions on a page table ----
	mov edi, TEMPL
	mov eax, D(0) | 3
	mov ecx, 8
.templ:
	stosd
	add eax, 0x1000
	loop .templ
	mov dword [PD0 + 7 * 4], PT_F | 3
	mov esi, TEMPL
	mov edi, PT_F
	mov ecx, 8
	rep movsd
	mov esi, 0x1c00000
	mov edx, TAG_D(0)
	mov ecx, 8
	call check_tags
	EQ eax, 0
	mov edi, PT_F
	mov ecx, 8
	xor eax, eax
	rep stosd
	RELOAD_CR3
	EXPECT 14, 0, mov eax, [0x1c03000]
	CR2_IS 0x1c03000
	mov esi, TEMPL + 4
	mov edi, PT_F
	mov ecx, 7
	rep movsd
	mov esi, 0x1c00000
	mov edx, TAG_D(1)
	mov ecx, 7
	call check_tags
	EQ eax, 0
	mov esi, TEMPL
	mov edi, PT_F
	mov ecx, 8
	rep movsd
	RELOAD_CR3
	mov esi, 0x1c00000
	mov edx, TAG_D(0)
	mov ecx, 8
	call check_tags
	EQ eax, 0

	; ---- S14: PUSH writes a PTE ----
	mov [SCRATCH], esp
	mov esp, PT_F + 9 * 4
	push dword D(7) | 3                             ; PT_F[8], was 0
	mov esp, [SCRATCH]
	EQ dword [0x1c08000], TAG_D(7)

	; ---- S15: CR4.PSE ----
	mov dword [PD0 + 8 * 4], PSEF | PTE_PS | 3      ; 0x2000000, was not present
	EQ dword [0x2000000], D(0) | 3
	mov eax, cr4
	and eax, ~CR4_PSE
	mov cr4, eax
	EQ dword [0x2000000], TAG_D(0)                  ; PSEF is a page table now
	EQ dword [0x400000], TAG_D(5)
	mov eax, cr4
	or eax, CR4_PSE
	mov cr4, eax
	PTE_IS 0x2000000, D(0) | 3
	EQ dword [0x2001000], 0x5e5e5e5e

	; ---- S16: CR0.PG ----
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax
	mov dword [PT_A], D(0) | 3
	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax
	EQ dword [0x400000], TAG_D(0)

	; ---- S17: code pages remapped ----
	mov dword [D(6) + 0x100], 0x111111b8            ; mov eax, 0x11111111
	mov dword [D(6) + 0x104], 0x9090cb11            ; retf
	mov dword [D(7) + 0x100], 0x222222b8            ; mov eax, 0x22222222
	mov dword [D(7) + 0x104], 0x9090cb22            ; retf
	mov dword [PD0 + 11 * 4], PT_H | 3              ; was not present
	mov dword [PT_H], D(6) | 3
	call SEL_FLAT:0x2c00100
	EQ eax, 0x11111111
	mov dword [PT_H], D(7) | 3
	RELOAD_CR3
	call SEL_FLAT:0x2c00100
	EQ eax, 0x22222222
	mov dword [PT_H], D(6) | 3
	invlpg [0x2c00000]
	call SEL_FLAT:0x2c00100
	EQ eax, 0x11111111
	mov dword [PT_H + 4], D(7) | 3                  ; was not present
	call SEL_FLAT:0x2c01100
	EQ eax, 0x22222222

	PRINT "ok", 10
	PASS

; ESI linear, EDX first tag, ECX count: EAX = 0 if the page at ESI + i * 4096
; starts with tag EDX + i for every i, else the first bad i + 1
check_tags:
	push ecx
	push edx
	push esi
	xor eax, eax
.l:	inc eax
	cmp [esi], edx
	jne .bad
	add esi, 0x1000
	inc edx
	loop .l
	xor eax, eax
.bad:
	pop esi
	pop edx
	pop ecx
	ret

	PM_SUPPORT
	ROM_END

; mmu-user: data accesses of user (CPL 3) code under paging, the accesses a
; translator may run through a host mapping of the guest's linear address
; space (shade86's "user windows", mmu/window.h) instead of its shadow page
; tables.  Whatever the host does, the guest must see what the SDM defines.
; Every data access below is an ordinary instruction with a memory operand
; (MOV, ADD, XOR, SUB, CMP, MOV of AH), and every one runs several times: in a
; loop at ring 3, or from a ring-0 loop that enters ring 3 again, so that it
; is translated and then runs as translated code more than once, first on a
; page the host has not mapped yet, then on one it has.
;
; The rules (SDM Vol. 3): a user access needs U/S = 1 and, for a write, R/W =
; 1 in both the PDE and the PTE, whatever CR0.WP (4.6); otherwise, or when an
; entry is not present, #PF (6.15) with error code P (bit 0: protection vs not
; present) | W/R (bit 1) | U/S (bit 2) (4.7), CR2 = the linear address; a #PF
; is a fault, so CS:EIP point at the instruction and the registers, flags and
; memory are as before it (6.5).  A read sets the PTE's Accessed flag, a write
; Accessed and Dirty (4.8).  After software changes a present PTE it must
; invalidate the translation (INVLPG, or MOV CR3 for all non-global ones,
; 4.10.4.1) and is then guaranteed the new one; a not-present entry made
; present needs no invalidation (4.10.4.3).  Code stored as data through the
; linear address it runs at is what runs after a jump to it (8.1.3, 11.6).
;
;  1  loads and stores of every size (MOV r/m 8/16/32, MOV [mem], AH, ADD r,
;     [mem], XOR/ADD/SUB [mem]) to a user page, read back by ring 3 and by
;     ring 0 through another linear address; ring-0 writes seen by ring 3 at
;     once (same physical memory).  A/D: a fresh page read by ring 3 gets A
;     and not D; an ADD [mem], reg (read-modify-write) on it then sets D.
;     A and D cleared + INVLPG: a read sets A only again, a write D; D cleared
;     + MOV CR3: the same
;  2  stores of every form to a user page whose PTE has R/W = 0 (after ring 3
;     has read it, so it is readable and mapped): #PF error 7, CR2 = the
;     address, EIP = the store, CS, ESP, all general registers and the
;     arithmetic flags unchanged, memory unchanged, D not set; the same with
;     CR0.WP = 0 (user writes fault either way, 4.6); reads still work
;  3  a not-present PTE: read #PF error 4, write error 6; a not-present PDE:
;     the same; a supervisor page (U/S = 0): read error 5 (also CMP [mem]),
;     write error 7; CR2 each time, nothing written.  Only plain loads and
;     stores here: for a read-modify-write (ADD [mem], reg) on such a page
;     the SDM does not say whether the error code has W/R = 1 (the write) or
;     0 (its read faults first); on a present read-only page (2, 4, 6) both
;     readings give 7
;  4  coherence after ring 0 changes a PTE: L mapped to A, read and written
;     by ring 3, the PTE changed to B and INVLPG (later rounds: MOV CR3):
;     ring 3 reads B and its writes land in B.  A PTE made not present +
;     INVLPG: the next user read/write faults (4 / 6); present again: works.
;     Writable -> read-only + INVLPG: a user store faults (7), a read works;
;     back to writable: the store works.  A page table mapped at a user
;     address: ring 3 writes a PTE through it (not present -> present) and
;     uses the new page at once, rewrites it to another page, and after ring
;     0's INVLPG sees that one
;  5  two address spaces (page directories A and B) map the same user linear
;     page to different physical pages; ring 0 alternates CR3 eight times,
;     each time ring 3 reads its own page's tag, increments a counter in it
;     and stores the round number: each space sees only its own data.  One
;     physical page writable in A and read-only in B: a user store faults in
;     B (7), works in A, and B then reads the new value
;  6  accesses straddling a page boundary: both pages present - loads, stores
;     and a word ADD across it, values correct; the second page not present:
;     #PF with CR2 = the first byte of the second page (the access is split
;     at the boundary and the second part is what faults; mmu-fault.asm F1
;     explains the choice), error 4 / 6, nothing written to the first page;
;     the first page read-only: CR2 = the address itself (error 7), nothing
;     written to the second; the second read-only: CR2 = its first byte
;  7  self-modifying code at ring 3: code in a user RAM page (reached by a
;     far CALL through a flat DPL-3 code segment) is run, then ring 3 stores
;     a new immediate into it and runs it again (eight times); a routine in
;     the same page stores into the immediate of an instruction a few bytes
;     ahead of itself, jumps to it (SDM Vol. 3 8.1.3, option 1: store, jump,
;     execute - without the jump, how far ahead a store is seen is model
;     specific) and must run it with the stored value; data stores to the
;     same page read back correctly
;  8  the last page of the linear address space (0xfffff000): dword, word
;     and byte loads, stores and ADDs up to its last byte 0xffffffff.  Not
;     tested: an access that would run past 0xffffffff (a dword at
;     0xfffffffe).  With a flat segment its last byte is at offset
;     0x100000001, beyond the 4 GiB limit; SDM Vol. 3 5.3 (Limit Checking)
;     says that when the effective limit is FFFFFFFFH such accesses may or
;     may not raise the #GP/#SS, implementation-specific and possibly
;     different from one execution to the next - neither the #GP nor a wrap
;     to linear 0 is architectural, so there is no SDM result to test.
	bits 16
%include "common.inc"
%include "pm.inc"
%include "mmu.inc"
section .text start=0
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
	DESC 0, 0xfffff, 0xfa, 0xc             ; 48 code32 flat DPL3
gdt_template_end:
SEL_C3F equ 0x48 | 3

PD_A   equ 0x100000         ; space A
PD_B   equ 0x101000         ; space B (case 5)
PT_ID  equ 0x102000         ; 0-4 MiB identity, user read/write (both spaces)
PT_U   equ 0x103000         ; space A, 0x400000-0x7fffff: the test pages
PT_UB  equ 0x104000         ; space B, 0x400000-0x7fffff
PT_TOP equ 0x105000         ; space A, 0xffc00000-0xffffffff
%define D(i) (0x200000 + (i) * 0x1000)
%define TAG_D(i) (0xd0d00000 + (i))
%define L(i) (0x400000 + (i) * 0x1000)
%define PTE(i) (PT_U + (i) * 4)

NREP   equ 4                ; visits of ring 3 per faulting instruction
V_REP  equ SCRATCH + 0x40
V_K    equ SCRATCH + 0x44

; ---- ring transitions ----
; R3_SEGS (ring 3): DS and ES = the flat DPL-3 data segment (IRET to ring 3
; nulled them: their DPL 0 is below CPL 3); no register changed
%macro R3_SEGS 0
	push dword SEL_D3 | 3
	pop ds
	push dword SEL_D3 | 3
	pop es
%endmacro

; GO3 label: run the ring-3 code at label with the general registers as they
; are; it ends with int 0x3e (or faults); back at ring 0 with the registers
; as ring 3 left them (EAX included: the stubs restore it) and flat segments
%macro GO3 1
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], %%back
	RING3 %1
%%back:
	FLAT_SEGS
%endmacro
; DONE3: ring 3 ended with int 0x3e (no fault)
%macro DONE3 0
	EQ dword [EXV_VEC], 0x3e
%endmacro

; CANON / CANON_IS: distinct values in the general registers, and the check
; that they are still there
%macro CANON 0
	mov eax, 0xa0a1a2a3
	mov ebx, 0xb0b1b2b3
	mov ecx, 0xc0c1c2c3
	mov edx, 0xd0d1d2d3
	mov esi, 0x50515253
	mov edi, 0xd4d5d6d7
	mov ebp, 0xb4b5b6b7
%endmacro
%macro CANON_IS 0
	EQ eax, 0xa0a1a2a3
	EQ ebx, 0xb0b1b2b3
	EQ ecx, 0xc0c1c2c3
	EQ edx, 0xd0d1d2d3
	EQ esi, 0x50515253
	EQ edi, 0xd4d5d6d7
	EQ ebp, 0xb4b5b6b7
%endmacro

; R3_PF error, cr2, {setup1}, {setup2}, {insn}: NREP times: at CPL 3 with the
; CANON registers run setup1 and setup2 (accesses that change no register,
; e.g. so that the page is mapped; may be empty), CMP EAX, EAX (flags ZF PF),
; then insn, which must raise #PF with this error code and CR2, at insn, from
; CS 1Bh with ESP = R3_ESP, the registers and the arithmetic flags unchanged
%macro R3_PF 5
	mov dword [V_REP], NREP
%%again:
	CANON
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], %%resume
	RING3 %%setup
%%setup:
	R3_SEGS
	%3
	%4
	cmp eax, eax
%%insn:
	%5
	int 0x3e
%%resume:
	FLAT_SEGS
	CANON_IS
	EQ dword [EXV_VEC], 14
	EQ dword [EXV_ERR], %1
	EQ dword [EXV_EIP], %%insn
	EQ dword [EXV_CS], SEL_C3 | 3
	EQ dword [EXV_ESP], R3_ESP
	mov eax, [EXV_EFL]
	and eax, 0x8d5                                  ; OF SF ZF AF PF CF
	EQ eax, 0x44
	CR2_IS %2
	dec dword [V_REP]
	jnz %%again
%endmacro

	bits 32
main32:
	PM_SEGS
	SETUP_TSSA
	ZERO_PAGES PD_A, 6
	FILL_PT PT_ID, PTE_P | PTE_W | PTE_U, 1024
	mov dword [PD_A], PT_ID | 7
	mov dword [PD_A + 1 * 4], PT_U | 7
	mov dword [PD_A + 1023 * 4], PT_TOP | 7
	mov dword [PD_B], PT_ID | 7
	mov dword [PD_B + 1 * 4], PT_UB | 7
	TAG_PAGES D(0), 24, TAG_D(0)
	mov dword [PTE(0)], D(0) | 7                    ; 1, 5
	mov dword [PTE(1)], D(1) | 7                    ; 1: A/D
	mov dword [PTE(2)], D(2) | PTE_P | PTE_U        ; 2: read-only
	mov dword [PTE(3)], D(3) | PTE_W | PTE_U        ; 3: not present
	mov dword [PTE(4)], D(4) | PTE_P | PTE_W        ; 3: supervisor
	mov dword [PTE(0x10)], D(11) | 7                ; 5: space A's page
	mov dword [PT_UB + 0x10 * 4], D(12) | 7         ; 5: space B's page
	mov dword [PT_UB], D(0) | PTE_P | PTE_U         ; 5: D(0) read-only in B
	mov dword [PTE(0x20)], D(13) | 7                ; 6: both present
	mov dword [PTE(0x21)], D(14) | 7
	mov dword [PTE(0x22)], D(15) | 7                ; 6: the second not present
	mov dword [PTE(0x23)], D(16) | PTE_W | PTE_U
	mov dword [PTE(0x24)], D(17) | PTE_P | PTE_U    ; 6: the first read-only
	mov dword [PTE(0x25)], D(18) | 7
	mov dword [PTE(0x26)], D(19) | 7                ; 6: the second read-only
	mov dword [PTE(0x27)], D(20) | PTE_P | PTE_U
	mov dword [PTE(0x30)], D(21) | 7                ; 7: user code
	mov dword [PT_TOP + 1023 * 4], D(22) | 7        ; 8: 0xfffff000
	PAGING_ON PD_A

	; ================= 1: loads and stores, A and D =================
	GO3 u1_rw
	DONE3
	EQ esi, (6 * 0x11223344 + 15 * 0x01010101 + 6 * 0x44 + 15 + 6 * TAG_D(0)) & 0xffffffff
	xor ebp, ebp
.c1chk:
	imul edx, ebp, 0x01010101
	add edx, 0x11223344
	EQ [D(0) + 0x100 + ebp * 4], edx
	EQ [D(0) + 0x200 + ebp * 2], dx
	EQ [D(0) + 0x300 + ebp], dh
	EQ [D(0) + 0x340 + ebp], dl
	EQ dword [D(0) + 0x400 + ebp * 4], 0x5a5a5a5a
	inc ebp
	cmp ebp, 6
	jb .c1chk
	EQ dword [D(0) + 0x500], 0 + 1 + 2 + 3 + 4 + 5
	EQ dword [D(0) + 0x504], -6 * 3
	EQ dword [D(0) + 0x418], 0                      ; nothing past the last one
	EQ byte [D(0) + 0x306], 0
	; ring 0 writes through the identity map, ring 3 reads at once
	mov dword [D(0) + 0x600], 0x600d0001
	mov edi, L(0) + 0x600
	mov ecx, 3
	GO3 u_load
	DONE3
	EQ eax, 0x600d0001
	mov dword [D(0) + 0x600], 0x600d0002
	mov ecx, 3
	GO3 u_load
	DONE3
	EQ eax, 0x600d0002
	; A/D: a fresh page read by ring 3 (A, not D), then ADD [mem], reg (D)
	EQ dword [PTE(1)], D(1) | 7
	mov edi, L(1) + 0x800
	mov ecx, 4
	GO3 u_load
	DONE3
	EQ eax, TAG_D(1)
	EQ dword [PTE(1)], D(1) | 7 | PTE_A
	mov ebx, 0x100
	mov ecx, 4
	GO3 u_add
	DONE3
	EQ dword [D(1) + 0x800], TAG_D(1) + 0x400
	EQ dword [PTE(1)], D(1) | 7 | PTE_AD
	; A and D cleared, INVLPG: a read sets A only, a write D
	mov dword [PTE(1)], D(1) | 7
	invlpg [L(1)]
	mov ecx, 3
	GO3 u_load
	DONE3
	EQ eax, TAG_D(1) + 0x400
	EQ dword [PTE(1)], D(1) | 7 | PTE_A
	mov edi, L(1) + 0x804
	mov ebx, 0x1d1d1d1d
	mov ecx, 3
	GO3 u_store
	DONE3
	EQ dword [D(1) + 0x804], 0x1d1d1d1d
	EQ dword [PTE(1)], D(1) | 7 | PTE_AD
	; D cleared, MOV CR3: the same
	and dword [PTE(1)], ~PTE_D
	RELOAD_CR3
	mov ecx, 3
	GO3 u_load
	DONE3
	EQ eax, 0x1d1d1d1d
	EQ dword [PTE(1)], D(1) | 7 | PTE_A
	mov ebx, 2
	mov ecx, 3
	GO3 u_add
	DONE3
	EQ dword [D(1) + 0x804], 0x1d1d1d1d + 6
	EQ dword [PTE(1)], D(1) | 7 | PTE_AD
	PRINT "mmu-user: 1 user loads and stores, A and D flags ok", 10

	; ================= 2: stores to a read-only user page =================
	mov edi, L(2) + 0x800
	mov ecx, 3
	GO3 u_load
	DONE3
	EQ eax, TAG_D(2)
	R3_PF 7, L(2) + 0x10, {cmp [L(2) + 0x800], eax}, {}, {mov [L(2) + 0x10], ebx}
	R3_PF 7, L(2) + 0x10, {cmp [L(2) + 0x10], eax}, {}, {add [L(2) + 0x10], ecx}
	R3_PF 7, L(2) + 0x14, {cmp [L(2) + 0x14], eax}, {}, {xor dword [L(2) + 0x14], 0x12345678}
	R3_PF 7, L(2) + 0x19, {}, {}, {mov [L(2) + 0x19], ah}
	R3_PF 7, L(2) + 0x1a, {}, {}, {mov [L(2) + 0x1a], dx}
	R3_PF 7, L(2) + 0x1c, {}, {}, {mov byte [L(2) + 0x1c], 0x77}
	R3_PF 7, L(2) + 0x1d, {}, {}, {sub byte [L(2) + 0x1d], bl}
	R3_PF 7, L(2) + 0xffc, {}, {}, {mov dword [L(2) + 0xffc], 0x1234}
	EQ dword [D(2)], TAG_D(2)
	EQ dword [D(2) + 0x10], 0
	EQ dword [D(2) + 0x14], 0
	EQ dword [D(2) + 0x18], 0
	EQ dword [D(2) + 0x1c], 0
	EQ dword [D(2) + 0xffc], TAG_D(2)
	EQ dword [PTE(2)], D(2) | PTE_P | PTE_U | PTE_A ; a faulting write is no write
	; CR0.WP = 0 changes nothing for user writes
	mov eax, cr0
	and eax, ~CR0_WP
	mov cr0, eax
	R3_PF 7, L(2) + 0x10, {cmp [L(2) + 0x800], eax}, {}, {mov [L(2) + 0x10], ebx}
	R3_PF 7, L(2) + 0x10, {}, {}, {add [L(2) + 0x10], ecx}
	R3_PF 7, L(2) + 0x1a, {}, {}, {mov [L(2) + 0x1a], dx}
	EQ dword [D(2) + 0x10], 0
	EQ dword [D(2) + 0x18], 0
	mov edi, L(2) + 0x800
	mov ecx, 3
	GO3 u_load
	DONE3
	EQ eax, TAG_D(2)
	mov eax, cr0
	or eax, CR0_WP
	mov cr0, eax
	PRINT "mmu-user: 2 stores to a read-only page fault ok", 10

	; ================= 3: not present, supervisor =================
	R3_PF 4, L(3) + 4, {}, {}, {mov eax, [L(3) + 4]}
	R3_PF 6, L(3) + 8, {}, {}, {mov [L(3) + 8], ebx}
	R3_PF 6, L(3) + 8, {}, {}, {mov byte [L(3) + 8], 1}
	R3_PF 4, 0x800010, {}, {}, {add ecx, [0x800010]}        ; PDE 2 not present
	R3_PF 6, 0x800010, {}, {}, {mov [0x800010], edx}
	R3_PF 5, L(4) + 0x800, {}, {}, {mov eax, [L(4) + 0x800]}
	R3_PF 5, L(4) + 0x800, {}, {}, {cmp [L(4) + 0x800], esi}
	R3_PF 7, L(4) + 0x10, {}, {}, {mov [L(4) + 0x10], ebx}
	R3_PF 7, L(4) + 0x12, {}, {}, {mov [L(4) + 0x12], bx}
	EQ dword [D(3) + 8], 0
	EQ dword [D(4) + 0x10], 0
	EQ dword [D(4) + 0x14], 0
	EQ dword [L(4) + 0x800], TAG_D(4)               ; ring 0 may
	mov dword [L(4) + 0x10], 0x5005
	EQ dword [D(4) + 0x10], 0x5005
	PRINT "mmu-user: 3 not-present and supervisor pages fault ok", 10

	; ================= 4: coherence with ring 0's PTE changes =================
	; L(5) -> D(5), D(6), D(5) ...: INVLPG in rounds 0-3, MOV CR3 in 4-7
	mov dword [V_K], 0
.c4a:
	mov eax, [V_K]
	and eax, 1
	shl eax, 12
	add eax, D(5) | 7
	mov [PTE(5)], eax
	cmp dword [V_K], 4
	jae .c4a_cr3
	invlpg [L(5)]
	jmp .c4a_go
.c4a_cr3:
	RELOAD_CR3
.c4a_go:
	mov edi, L(5) + 0x800
	mov ecx, 3
	GO3 u_load
	DONE3
	mov edx, [V_K]
	and edx, 1
	add edx, TAG_D(5)
	EQ eax, edx
	mov edi, L(5) + 0x20
	mov ebx, [V_K]
	add ebx, 0x4a0000
	mov ecx, 2
	GO3 u_store
	DONE3
	mov edi, L(5) + 0x24
	mov ebx, 1
	mov ecx, 1
	GO3 u_add
	DONE3
	mov edx, [V_K]
	and edx, 1
	shl edx, 12
	mov eax, [V_K]
	add eax, 0x4a0000
	EQ [D(5) + 0x20 + edx], eax                     ; landed in the current page
	inc dword [V_K]
	cmp dword [V_K], 8
	jb .c4a
	EQ dword [D(5) + 0x20], 0x4a0006
	EQ dword [D(6) + 0x20], 0x4a0007
	EQ dword [D(5) + 0x24], 4
	EQ dword [D(6) + 0x24], 4
	; L(6): present -> not present -> present, INVLPG each time
	mov dword [PTE(6)], D(7) | 7
	mov dword [V_K], 0
.c4b:
	mov edi, L(6) + 0x800
	mov ecx, 3
	GO3 u_load
	DONE3
	EQ eax, TAG_D(7)
	mov edi, L(6) + 0x10
	mov ebx, [V_K]
	mov ecx, 2
	GO3 u_store
	DONE3
	and dword [PTE(6)], ~PTE_P
	invlpg [L(6)]
	R3_PF 4, L(6) + 0x800, {}, {}, {mov eax, [L(6) + 0x800]}
	R3_PF 6, L(6) + 0x10, {}, {}, {mov [L(6) + 0x10], ebx}
	mov eax, [V_K]
	EQ [D(7) + 0x10], eax
	or dword [PTE(6)], PTE_P
	invlpg [L(6)]
	inc dword [V_K]
	cmp dword [V_K], 3
	jb .c4b
	mov edi, L(6) + 0x10
	mov ecx, 2
	GO3 u_load
	DONE3
	EQ eax, 2
	; L(7): writable -> read-only -> writable, INVLPG each time
	mov dword [PTE(7)], D(8) | 7
	mov dword [V_K], 0
.c4c:
	mov edi, L(7) + 0x10
	mov ebx, [V_K]
	add ebx, 0x4c0000
	mov ecx, 2
	GO3 u_store
	DONE3
	EQ [D(8) + 0x10], ebx
	and dword [PTE(7)], ~PTE_W
	invlpg [L(7)]
	R3_PF 7, L(7) + 0x10, {cmp [L(7) + 0x10], eax}, {}, {mov [L(7) + 0x10], ebx}
	R3_PF 7, L(7) + 0x10, {}, {}, {add [L(7) + 0x10], ebx}
	mov ebx, [V_K]
	add ebx, 0x4c0000
	EQ [D(8) + 0x10], ebx                           ; unchanged
	mov edi, L(7) + 0x10
	mov ecx, 2
	GO3 u_load                                      ; reading is still allowed
	DONE3
	EQ eax, ebx
	or dword [PTE(7)], PTE_W
	invlpg [L(7)]
	inc dword [V_K]
	cmp dword [V_K], 3
	jb .c4c
	; L(8): PT_U as user data; ring 3 maps L(9) through it
	mov dword [PTE(8)], PT_U | 7
	mov dword [V_K], 0
.c4d:
	mov dword [PTE(9)], 0
	invlpg [L(9)]
	mov ebx, [V_K]
	and ebx, 1
	shl ebx, 12
	mov edx, ebx
	xor edx, 0x1000
	add ebx, D(9) | 7                               ; D(9) or D(10)
	add edx, D(9) | 7                               ; the other one
	GO3 u_ptw
	DONE3
	mov eax, [V_K]
	and eax, 1
	add eax, TAG_D(9)
	EQ esi, eax                                     ; the page ring 3 mapped
	PTE_IS PTE(9), edx                              ; the entry it wrote last
	invlpg [L(9)]
	mov edi, L(9) + 0x800
	mov ecx, 2
	GO3 u_load
	DONE3
	mov edx, [V_K]
	and edx, 1
	xor edx, 1
	add edx, TAG_D(9)
	EQ eax, edx                                     ; the other page
	inc dword [V_K]
	cmp dword [V_K], 4
	jb .c4d
	PRINT "mmu-user: 4 PTE changes with INVLPG / MOV CR3 seen by user code ok", 10

	; ================= 5: two address spaces =================
	mov dword [V_K], 0
.c5:
	mov eax, PD_A
	test byte [V_K], 1
	jz .c5cr3
	mov eax, PD_B
.c5cr3:
	mov cr3, eax
	mov ebx, [V_K]
	GO3 u_space
	DONE3
	mov edx, [V_K]
	and edx, 1
	add edx, TAG_D(11)
	EQ eax, edx
	inc dword [V_K]
	cmp dword [V_K], 8
	jb .c5
	mov eax, PD_A
	mov cr3, eax
	EQ dword [D(11) + 0x24], 8
	EQ dword [D(12) + 0x24], 8
	EQ dword [D(11) + 0x28], 6
	EQ dword [D(12) + 0x28], 7
	; D(0) at L(0): writable in A, read-only in B
	mov eax, PD_B
	mov cr3, eax
	R3_PF 7, L(0) + 0x10, {cmp [L(0) + 0x10], eax}, {}, {mov [L(0) + 0x10], ebx}
	EQ dword [D(0) + 0x10], 0
	mov eax, PD_A
	mov cr3, eax
	mov edi, L(0) + 0x10
	mov ebx, 0x5a5a0001
	mov ecx, 2
	GO3 u_store
	DONE3
	EQ dword [D(0) + 0x10], 0x5a5a0001
	mov eax, PD_B
	mov cr3, eax
	mov edi, L(0) + 0x10
	mov ecx, 2
	GO3 u_load
	DONE3
	EQ eax, 0x5a5a0001
	mov eax, PD_A
	mov cr3, eax
	PRINT "mmu-user: 5 two address spaces ok", 10

	; ================= 6: accesses straddling a page boundary =================
	GO3 u6_load
	DONE3
	EQ eax, 0x000ed0d0                              ; d0 d0 | 0e 00
	EQ esi, 4 * 0x000ed0d0
	GO3 u6_store
	DONE3
	EQ esi, 4 + 3 + 2 + 1
	EQ dword [D(13) + 0xffc], 0x0100010d            ; 0d | 01 00 01 (ADD left fff = 01)
	EQ dword [D(14)], 0xd0d00001                    ; 01 | 00 d0 d0
	; the second page not present: the fault is at its first byte
	R3_PF 4, L(0x23), {add dword [L(0x22) + 0x10], 0}, {}, {mov eax, [L(0x22) + 0xffe]}
	R3_PF 6, L(0x23), {add dword [L(0x22) + 0x10], 0}, {}, {mov [L(0x22) + 0xffe], ebx}
	R3_PF 6, L(0x23), {}, {}, {mov [L(0x22) + 0xfff], dx}
	R3_PF 6, L(0x23), {}, {}, {mov dword [L(0x22) + 0xffd], 0x11111111}
	EQ dword [D(15) + 0xffc], TAG_D(15)             ; nothing written
	EQ dword [D(15) + 0xff8], 0
	; the first page read-only: the fault is at the address
	R3_PF 7, L(0x24) + 0xffe, {cmp [L(0x24) + 0x10], eax}, {add dword [L(0x25) + 0x10], 0}, {mov [L(0x24) + 0xffe], ebx}
	EQ dword [D(17) + 0xffc], TAG_D(17)
	EQ dword [D(18)], TAG_D(18)
	; the second page read-only: the fault is at its first byte
	R3_PF 7, L(0x27), {add dword [L(0x26) + 0x10], 0}, {cmp [L(0x27) + 0x10], eax}, {mov [L(0x26) + 0xffe], ebx}
	R3_PF 7, L(0x27), {}, {}, {add [L(0x26) + 0xffd], ecx}
	EQ dword [D(19) + 0xffc], TAG_D(19)
	EQ dword [D(20)], TAG_D(20)
	mov edi, L(0x26) + 0xffe                        ; a read across works
	mov ecx, 2
	GO3 u_load
	DONE3
	EQ eax, (TAG_D(19) >> 16) | ((TAG_D(20) & 0xffff) << 16)
	PRINT "mmu-user: 6 accesses across a page boundary ok", 10

	; ================= 7: self-modifying code at ring 3 =================
	mov dword [D(21)], 0x000000b8                   ; 0: mov eax, 0
	mov dword [D(21) + 4], 0x9090cb00               ; 5: retf
	mov word [D(21) + 0x40], 0x1d89                 ; 40: mov [L(0x30) + 0x49], ebx
	mov dword [D(21) + 0x42], L(0x30) + 0x49
	mov word [D(21) + 0x46], 0x00eb                 ; 46: jmp 48
	mov byte [D(21) + 0x48], 0xb8                   ; 48: mov eax, 0
	mov dword [D(21) + 0x49], 0
	mov byte [D(21) + 0x4d], 0xcb                   ; 4d: retf
	GO3 u_smc
	DONE3
	EQ esi, 0                                       ; no wrong result
	EQ ebx, 0x70000009
	EQ ebp, 8 * 3
	EQ dword [D(21) + 1], 0x70000008
	EQ dword [D(21) + 0x49], 0x70000008
	EQ dword [D(21) + 0x800], 0x70000008
	PRINT "mmu-user: 7 self-modifying user code ok", 10

	; ================= 8: the last page of the linear address space =================
	GO3 u_top
	DONE3
	EQ esi, 4 + 3 + 2 + 1
	EQ eax, TAG_D(22) + 10
	EQ dl, TAG_D(22) >> 24
	EQ di, TAG_D(22) >> 16
	EQ dword [D(22) + 0xff8], 1
	EQ dword [D(22) + 0xffc], TAG_D(22) + 10
	EQ word [D(22) + 0xff6], 1
	EQ byte [D(22) + 0xff5], 1
	EQ dword [D(22) + 0xff0], 0
	EQ dword [D(22)], TAG_D(22)
	PRINT "mmu-user: 8 the last page, up to 0xffffffff ok", 10

	PRINT "mmu-user: ok", 10
	PASS

; ======== ring-3 code (CS 1Bh, base F0000h: ROM labels are offsets) ========

; 1: every form on L(0): ESI = the sum of what was loaded
u1_rw:
	R3_SEGS
	xor ebp, ebp
	xor esi, esi
.l:	imul edx, ebp, 0x01010101
	add edx, 0x11223344
	mov [L(0) + 0x100 + ebp * 4], edx               ; dword store
	add esi, [L(0) + 0x100 + ebp * 4]               ; dword load
	mov [L(0) + 0x200 + ebp * 2], dx                ; word store
	mov eax, edx
	mov [L(0) + 0x300 + ebp], ah                    ; byte store of AH
	mov [L(0) + 0x340 + ebp], dl                    ; byte store
	xor ecx, ecx
	mov cl, [L(0) + 0x340 + ebp]                    ; byte load
	add esi, ecx
	xor dword [L(0) + 0x400 + ebp * 4], 0x5a5a5a5a  ; read-modify-write, immediate
	add [L(0) + 0x500], ebp                         ; the same dword each pass
	sub dword [L(0) + 0x504], 3
	mov eax, [L(0)]                                 ; the tag ring 0 wrote
	add esi, eax
	inc ebp
	cmp ebp, 6
	jb .l
	int 0x3e

; ECX times (ECX >= 1): EAX = [EDI]
u_load:
	R3_SEGS
.l:	mov eax, [edi]
	loop .l
	int 0x3e

; ECX times: [EDI] = EBX
u_store:
	R3_SEGS
.l:	mov [edi], ebx
	loop .l
	int 0x3e

; ECX times: [EDI] += EBX
u_add:
	R3_SEGS
.l:	add [edi], ebx
	loop .l
	int 0x3e

; 4: PTE(9) through the alias L(8): EBX (from not present), ESI = what L(9)
; then holds at 0x800; then EDX (present -> present: ring 0 invalidates)
u_ptw:
	R3_SEGS
	mov eax, [L(8) + 9 * 4]
	mov [L(8) + 9 * 4], ebx
	mov esi, [L(9) + 0x800]
	mov [L(8) + 9 * 4], edx
	int 0x3e

; 5: EAX = the tag of L(0x10), a counter there += 2, the round EBX stored
u_space:
	R3_SEGS
	mov ecx, 2
.l:	mov eax, [L(0x10) + 0x800]
	add dword [L(0x10) + 0x24], 1
	mov [L(0x10) + 0x28], ebx
	loop .l
	int 0x3e

; 6: four loads of the dword at L(0x20) + 0xffe, summed in ESI
u6_load:
	R3_SEGS
	mov ecx, 4
	xor esi, esi
.l:	mov eax, [L(0x20) + 0xffe]
	add esi, eax
	loop .l
	int 0x3e

; 6: stores, loads and a word ADD across L(0x20) / L(0x21)
u6_store:
	R3_SEGS
	mov ecx, 4
	xor esi, esi
.l:	mov [L(0x20) + 0xffd], ecx                      ; ffd ffe fff | 000
	mov edx, [L(0x20) + 0xffd]
	add esi, edx
	add word [L(0x20) + 0xfff], 0x101               ; fff | 000
	loop .l
	int 0x3e

; 7: L(0x30) holds "mov eax, imm32 / retf" at 0 and "mov [0x49], ebx / jmp
; 48 / mov eax, imm32 / retf" at 0x40 (imm32 at 0x49).  Eight rounds: store EBX into
; the first immediate and call it; call the second; store EBX as data in the
; page and load it.  ESI counts wrong results, EBP the checks made.
u_smc:
	R3_SEGS
	mov ebx, 0x70000001
	xor esi, esi
	xor ebp, ebp
	mov ecx, 8
.l:	mov [L(0x30) + 1], ebx
	call SEL_C3F:L(0x30)
	inc ebp
	cmp eax, ebx
	je .a
	inc esi
.a:	call SEL_C3F:L(0x30) + 0x40
	inc ebp
	cmp eax, ebx
	je .b
	inc esi
.b:	mov [L(0x30) + 0x800], ebx
	mov eax, [L(0x30) + 0x800]
	inc ebp
	cmp eax, ebx
	je .c
	inc esi
.c:	inc ebx
	loop .l
	int 0x3e

; 8: loads and stores of the last bytes of the linear address space
u_top:
	R3_SEGS
	mov ecx, 4
	xor esi, esi
.l:	mov [0xfffffff8], ecx
	add esi, [0xfffffff8]
	add [0xfffffffc], ecx
	mov [0xfffffff6], cx
	mov [0xfffffff5], cl
	loop .l
	mov eax, [0xfffffffc]
	mov dl, [0xffffffff]
	mov di, [0xfffffffe]
	int 0x3e

	PM_SUPPORT
	ROM_END

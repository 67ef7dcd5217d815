; mmu-fault: page faults at the edges (SDM Vol. 3 4.7 "Page-Fault
; Exceptions", 6.15 "Interrupt 14", 6.5 "Faults").
;
; A page fault is a fault: the saved CS:EIP point at the faulting instruction
; and the processor state is as before the instruction (6.5), so it can be
; restarted after the handler fixes the mapping.  The error code has P (bit
; 0: protection violation vs not present), W/R (1), U/S (2), RSVD (3) and
; I/D (4); I/D is 1 only for instruction fetches with PAE + NXE or SMEP (4.7),
; so it is always 0 on a P6.  CR2 receives "the linear address that generated
; the exception" (6.15).
;
;  F2 REP MOVSB whose destination runs into a not-present page, REP MOVSD
;     whose source does, and REP STOSD with DF = 1 running down into one: at
;     the fault ECX/ESI/EDI reflect the completed iterations and EIP points at
;     the instruction (SDM Vol. 2 "REP/REPE/REPZ/REPNE/REPNZ": "the source and
;     destination registers point to the next string elements to be operated
;     on, the EIP register points to the string instruction, and the ECX
;     register has the value it held following the last successful
;     iteration"); the handler maps the page and IRETs, the instruction
;     completes and the data is all there
;  F3 instruction fetch from a not-present page (a far CALL to it): error 0
;     (I/D clear), CR2 = EIP = the target; an instruction whose bytes run into
;     a not-present page: CR2 = the first byte of that page, EIP = the
;     instruction's first byte; the handler maps the page and the instruction
;     runs; a fetch at CPL 3 from a supervisor page: error 5
;  F4 at CPL 3 (so that the handler runs on the ring-0 stack): PUSH, CALL and
;     PUSHAD with ESP at the bottom of a present page above a not-present one,
;     a PUSH straddling the two pages, and POP to a not-present page: error 6
;     (W/R | U/S), CR2, and the ESP in the exception frame unchanged
;  F5 a faulting write leaves registers and memory unchanged: XCHG, XADD and
;     CMPXCHG (whose compare succeeds) on a read-only page keep EAX; MOVSD and
;     STOSD keep ESI/EDI; POP to and CALL through a not-present page keep ESP
;  F6 a reserved bit (bit 21) in a 4 MiB PDE: error 9 (P | RSVD) on a read,
;     11 on a write (4.7, table 4-4)
;  F1 (last) data accesses straddling a page boundary.  The SDM names no byte
;     for CR2 beyond "the linear address that generated the exception"; an
;     access split at the boundary performs its second part at the first
;     byte of the second page, and that is what processors report and what
;     Bochs does (cpu/access.cc: the second part is translated, and faults,
;     at laddr + len1, the page start).  So a dword read or write at
;     0x...ffe with the next page not present gives CR2 = the next page's
;     first byte; with the first page not present CR2 = the address itself;
;     nothing is written to the present page (6.5); a REP MOVSD element
;     straddling into a not-present page faults the same way, with ECX/EDI at
;     that element; so does the write of INSD, and SIDT whose 4-byte base
;     straddles (nothing written: its limit stays as it was).
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
PT_ID equ 0x101000          ; identity 0-4 MiB, user read/write
PT_A  equ 0x102000          ; 0x400000-0x7fffff, user PDE
%define D(i) (0x200000 + (i) * 0x1000)
%define TAG_D(i) (0xd0d00000 + (i))
%define PTE(n) (PT_A + (n) * 4)

PF_COUNT equ SCRATCH + 0x40
PF_ERR   equ SCRATCH + 0x44
PF_CR2   equ SCRATCH + 0x48
PF_EIP   equ SCRATCH + 0x4c
PF_CS    equ SCRATCH + 0x50
PF_ECX   equ SCRATCH + 0x54
PF_ESI   equ SCRATCH + 0x58
PF_EDI   equ SCRATCH + 0x5c

; PF_IS count, error, cr2, eip: what pf_fix recorded
%macro PF_IS 4
	EQ dword [PF_COUNT], %1
	EQ dword [PF_ERR], %2
	EQ dword [PF_CR2], %3
	EQ dword [PF_EIP], %4
%endmacro

; R3_FAULT vector, error, {setup}, {insn}: at CPL 3 run setup, then insn,
; which must fault (the handler continues at ring 0)
%macro R3_FAULT 4
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], %%resume
	RING3 %%setup
%%setup:
	%3
%%insn:
	%4
	int 0x3e
%%resume:
	FLAT_SEGS
	EQ dword [EXV_VEC], %1
	EQ dword [EXV_ERR], %2
	EQ dword [EXV_EIP], %%insn
%endmacro

	bits 32
main32:
	PM_SEGS
	PRINT "mmu-fault: "
	SETUP_TSSA
	ZERO_PAGES PD0, 3
	FILL_PT PT_ID, PTE_P | PTE_W | PTE_U, 1024
	mov dword [PT_ID + 0xfe * 4], 0xfe000 | 3       ; ROM page 0xfe000: supervisor
	mov dword [PD0], PT_ID | 7
	mov dword [PD0 + 1 * 4], PT_A | 7
	TAG_PAGES D(0), 24, TAG_D(0)
	; F2
	mov edi, D(0)                                   ; D(0), D(1): a byte pattern
	mov ecx, 0x2000
	mov al, 3
.pat:
	stosb
	add al, 7
	loop .pat
	mov dword [PTE(0x10)], D(0) | 3
	mov dword [PTE(0x11)], D(1) | 3
	mov dword [PTE(0x20)], D(2) | 3
	mov dword [PTE(0x21)], D(3) | PTE_W             ; not present
	mov dword [PTE(0x30)], D(0) | 3
	mov dword [PTE(0x31)], D(1) | PTE_W             ; not present
	mov dword [PTE(0x40)], D(4) | 3
	mov dword [PTE(0x50)], D(6) | PTE_W             ; not present
	mov dword [PTE(0x51)], D(5) | 3
	; F3: mov eax, 0x600df00d / retf at D(7); mov eax, 0x11223344 / retf
	; split between the end of D(8) and the start of D(9)
	mov dword [D(7)], 0x0df00db8
	mov word [D(7) + 4], 0xcb60
	mov byte [D(8) + 0xffd], 0xb8
	mov word [D(8) + 0xffe], 0x3344
	mov word [D(9)], 0x1122
	mov byte [D(9) + 2], 0xcb
	mov dword [PTE(0x70)], D(7) | PTE_W             ; not present
	mov dword [PTE(0x7f)], D(8) | 3
	mov dword [PTE(0x80)], D(9) | PTE_W             ; not present
	; F4: user stack pages
	mov dword [PTE(0x8f)], D(10) | PTE_W | PTE_U    ; not present
	mov dword [PTE(0x90)], D(11) | 7
	; F5
	mov dword [PTE(0x98)], D(19) | PTE_P            ; read-only
	; F1
	mov dword [PTE(0xa0)], D(12) | 3
	mov dword [PTE(0xa1)], D(13) | PTE_W            ; not present
	mov dword [PTE(0xa2)], D(14) | PTE_W            ; not present
	mov dword [PTE(0xa3)], D(15) | 3
	mov dword [PTE(0xa4)], D(17) | 3
	mov dword [PTE(0xa5)], D(18) | PTE_W            ; not present
	mov dword [PTE(0xa6)], D(20) | 3
	mov dword [PTE(0xa7)], D(21) | PTE_W            ; not present
	mov dword [PTE(0x3ff)], D(16) | 3               ; 0x7ff000; PDE 2 not present
	PAGING_ON PD0

	SET_GATE 14, SEL_C0, pf_fix, 0x8e

	; ---- F2: REP MOVSB, the destination runs into a not-present page ----
	mov dword [PF_COUNT], 0
	mov esi, 0x410f80
	mov edi, 0x420f40
	mov ecx, 0x100
.f2a:
	rep movsb
	PF_IS 1, 2, 0x421000, .f2a
	EQ dword [PF_ECX], 0x100 - 0xc0
	EQ dword [PF_ESI], 0x410f80 + 0xc0
	EQ dword [PF_EDI], 0x421000
	EQ ecx, 0
	EQ esi, 0x410f80 + 0x100
	EQ edi, 0x420f40 + 0x100
	mov esi, 0x410f80
	mov edi, 0x420f40
	mov ecx, 0x100
	repe cmpsb
	EQ ecx, 0
	EQ byte [D(3) + 0x3f], 3 + 7 * (0xf80 + 0xff) & 0xff

	; ---- F2: REP MOVSD, the source runs into a not-present page ----
	mov dword [PF_COUNT], 0
	mov esi, 0x430ff0
	mov edi, 0x440000
	mov ecx, 16
.f2b:
	rep movsd
	PF_IS 1, 0, 0x431000, .f2b
	EQ dword [PF_ECX], 12
	EQ dword [PF_ESI], 0x431000
	EQ dword [PF_EDI], 0x440010
	EQ ecx, 0
	EQ esi, 0x431030
	EQ edi, 0x440040
	mov esi, 0x430ff0
	mov edi, 0x440000
	mov ecx, 16
	repe cmpsd
	EQ ecx, 0

	; ---- F2: REP STOSD downwards into a not-present page ----
	mov dword [PF_COUNT], 0
	mov edi, 0x451008
	mov ecx, 8
	mov eax, 0x5705d5d5
	std
.f2c:
	rep stosd
	cld
	PF_IS 1, 2, 0x450ffc, .f2c
	EQ dword [PF_ECX], 5
	EQ dword [PF_EDI], 0x450ffc
	EQ ecx, 0
	EQ edi, 0x451008 - 8 * 4
	mov edi, 0x450fec
	mov ecx, 8
	repe scasd
	EQ ecx, 0
	EQ dword [0x450fe8], 0                          ; untouched below
	EQ dword [0x45100c], 0                          ; and above

	; ---- F3: instruction fetch from a not-present page ----
	mov dword [PF_COUNT], 0
	xor eax, eax
	call SEL_FLAT:0x470000
	EQ eax, 0x600df00d
	PF_IS 1, 0, 0x470000, 0x470000
	EQ dword [PF_CS], SEL_FLAT
	mov dword [PF_COUNT], 0
	xor eax, eax
	call SEL_FLAT:0x47fffd                          ; B8 44 33 | 22 11 CB
	EQ eax, 0x11223344
	PF_IS 1, 0, 0x480000, 0x47fffd
	EQ dword [PF_CS], SEL_FLAT
	STUB_GATE 14
	; at CPL 3 from a supervisor page
	mov dword [EXV_VEC], 0xff
	mov [RESUME_ESP], esp
	mov dword [RESUME_EIP], .f3back
	RING3 .f3r3
.f3r3:
	jmp sup_code
.f3back:
	FLAT_SEGS
	EQ dword [EXV_VEC], 14
	EQ dword [EXV_ERR], 5
	EQ dword [EXV_EIP], sup_code
	EQ dword [EXV_CS], SEL_C3 | 3
	CR2_IS ROMBASE + sup_code

	; ---- F4: user stack page not present ----
	R3_FAULT 14, 6, {mov esp, 0x490000}, {push eax}
	CR2_IS 0x48fffc
	EQ dword [EXV_ESP], 0x490000
	R3_FAULT 14, 6, {mov esp, 0x490000}, {call sup_code}
	CR2_IS 0x48fffc
	EQ dword [EXV_ESP], 0x490000
	R3_FAULT 14, 6, {mov esp, 0x490002}, {push eax}
	CR2_IS 0x48fffe
	EQ dword [EXV_ESP], 0x490002
	R3_FAULT 14, 6, {mov esp, 0x490010}, {pushad}
	EQ dword [EXV_ESP], 0x490010
	R3_FAULT 14, 6, {mov esp, 0x490010}, {pop dword [ss:0x48f000]}
	CR2_IS 0x48f000
	EQ dword [EXV_ESP], 0x490010

	; ---- F5: a faulting write changes nothing ----
	mov eax, 0x5555
	EXPECT 14, 3, xchg [0x498010], eax
	EQ eax, 0x5555
	CR2_IS 0x498010
	mov eax, 0x6666
	EXPECT 14, 3, xadd [0x498010], eax
	EQ eax, 0x6666
	xor eax, eax                                    ; equal to the memory: a write
	mov ecx, 0x7777
	EXPECT 14, 3, cmpxchg [0x498010], ecx
	EQ eax, 0
	EXPECT 14, 3, add dword [0x498010], 1
	EQ dword [D(19) + 0x10], 0
	mov esi, 0x498000
	mov edi, 0x499000                               ; PTE 0x99 is 0
	EXPECT 14, 2, movsd
	CR2_IS 0x499000
	EQ esi, 0x498000
	EQ edi, 0x499000
	mov edi, 0x498020
	mov eax, 0x99
	EXPECT 14, 3, stosd
	EQ edi, 0x498020
	EXPECT 14, 2, pop dword [0x499000]
	mov eax, [EXV_HESP]
	add eax, 12                                     ; EIP, CS, EFLAGS
	EQ eax, [RESUME_ESP]
	EXPECT 14, 0, call [0x499004]
	CR2_IS 0x499004
	mov eax, [EXV_HESP]
	add eax, 12
	EQ eax, [RESUME_ESP]

	; ---- F6: a reserved bit in a 4 MiB PDE ----
	mov dword [PD0 + 3 * 4], 0x00e00000 | PTE_PS | 3
	EXPECT 14, 9, mov eax, [0xc00000]
	CR2_IS 0xc00000
	EXPECT 14, 11, mov dword [0xc00010], 0
	CR2_IS 0xc00010
	mov dword [PD0 + 3 * 4], 0

	; ---- F1: accesses straddling a page boundary ----
	EXPECT 14, 0, mov eax, [0x4a0ffe]
	CR2_IS 0x4a1000
	EXPECT 14, 2, mov dword [0x4a0ffe], 0x12345678
	CR2_IS 0x4a1000
	EQ word [D(12) + 0xffe], TAG_D(12) >> 16        ; not written
	EXPECT 14, 0, mov ax, [0x4a0fff]
	CR2_IS 0x4a1000
	EXPECT 14, 2, mov [0x4a0fff], ax
	CR2_IS 0x4a1000
	EQ byte [D(12) + 0xfff], TAG_D(12) >> 24
	mov edi, 0x4a6ffe
	mov dx, 0x80
	EXPECT 14, 2, insd                              ; the write of INS
	CR2_IS 0x4a7000
	EQ edi, 0x4a6ffe
	EXPECT 14, 2, sidt [0x4a6ffc]                   ; the base straddles
	CR2_IS 0x4a7000
	EQ word [D(20) + 0xffc], TAG_D(20) & 0xffff     ; the limit not written
	EXPECT 14, 0, mov eax, [0x4a2ffe]               ; the first page not present
	CR2_IS 0x4a2ffe
	EXPECT 14, 0, mov eax, [0x7ffffe]               ; the next PDE not present
	CR2_IS 0x800000
	SET_GATE 14, SEL_C0, pf_fix, 0x8e
	mov dword [PF_COUNT], 0
	mov edi, 0x4a4ff6
	mov ecx, 4
	mov eax, 0xabcdef01
.f1:
	rep stosd
	PF_IS 1, 2, 0x4a5000, .f1
	EQ dword [PF_ECX], 2
	EQ dword [PF_EDI], 0x4a4ffe
	EQ ecx, 0
	EQ edi, 0x4a5006
	EQ dword [0x4a4ffe], 0xabcdef01
	EQ dword [0x4a5002], 0xabcdef01
	STUB_GATE 14

	PRINT "ok", 10
	PASS

; #PF handler that records the fault and the string registers, then makes
; the page at CR2 present (its PTE already holds the frame) and returns
pf_fix:
	pushad
	mov eax, [esp + 32]
	mov [PF_ERR], eax
	mov eax, [esp + 36]
	mov [PF_EIP], eax
	mov eax, [esp + 40]
	mov [PF_CS], eax
	mov eax, [esp + 24]
	mov [PF_ECX], eax
	mov eax, [esp + 4]
	mov [PF_ESI], eax
	mov eax, [esp]
	mov [PF_EDI], eax
	mov eax, cr2
	mov [PF_CR2], eax
	inc dword [PF_COUNT]
	cmp dword [PF_COUNT], 4
	jbe .fix
	FAILNOW                                         ; the fix did not help
.fix:
	mov ebx, cr3
	and ebx, 0xfffff000
	mov edx, eax
	shr edx, 22
	mov ebx, [ebx + edx * 4]
	and ebx, 0xfffff000
	shr eax, 12
	and eax, 0x3ff
	or dword [ebx + eax * 4], PTE_P
	popad
	add esp, 4
	iretd

	PM_SUPPORT
	bits 32
	times 0xe000 - ($ - $$) db 0xcc
sup_code:                   ; linear 0xfe000: a supervisor page
	ret
	bits 16
	ROM_END

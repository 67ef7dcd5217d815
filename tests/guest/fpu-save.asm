; fpu-save: FNSAVE/FRSTOR in the four formats (SDM Vol. 1 8.1.10, figures 8-9
; to 8-12; Vol. 2 FSAVE/FNSAVE, FRSTOR), the tag word (8.1.7) and the pointers
; (8.1.8, 8.1.9).
;
; The same register stack each time: 1.0, +0, pi, a quiet NaN (loaded last,
; from memory): TOP = 4, tags R7 valid, R6 zero, R5 valid, R4 special, R0-R3
; empty (FTW 12FFh).
; Checks:
;  - real mode, 16-bit (94 bytes) and 32-bit (108 bytes) formats: FCW, FSW,
;    FTW, the 20-bit linear instruction and operand pointers with the opcode,
;    the registers in stack order; FNSAVE leaves an initialized FPU; FRSTOR
;    then FNSAVE gives the same image
;  - protected mode, 32-bit and 16-bit formats: offset and selector of the
;    instruction and operand, the opcode (32-bit format), reserved halves FFFFh
;  - the same round trips
	bits 16
%include "common.inc"
%include "pm.inc"
section .text start=0
	; ---------------- real mode: CS = F000, DS = 0100 (base 1000h) ----------------
	cli
	xor ax, ax
	mov ss, ax
	mov sp, 0x7000
	mov ax, 0x0100
	mov ds, ax
	mov es, ax
	cld
	mov dword [0x20], 0x00000001           ; quiet NaN, payload 1: 7FF8000000000001
	mov dword [0x24], 0x7ff80000
	fninit
	fld1
	fldz
	fldpi
rm_ld:
	fld qword [0x20]                       ; DD 06 20 00: FOP 506h, FDP linear 1020h
	fnsave [0x100]                         ; 16-bit real-mode format
	CHECK word [0x100], 0x037f, 10         ; FCW
	CHECK word [0x102], 0x2000, 11         ; FSW: TOP 4
	CHECK word [0x104], 0x12ff, 12         ; FTW
	CHECK word [0x106], rm_ld, 13          ; IP 15..0 of linear F0000h + rm_ld
	CHECK word [0x108], 0xf506, 14         ; IP 19..16, 0, opcode
	CHECK word [0x10a], 0x1020, 15         ; operand 15..0
	CHECK word [0x10c], 0x0000, 16         ; operand 19..16
	CHECK dword [0x10e], 0x00000800, 17    ; ST(0): the NaN, C000000000000800
	CHECK dword [0x112], 0xc0000000, 18
	CHECK word [0x116], 0x7fff, 19
	CHECK dword [0x10e + 30 + 4], 0x80000000, 20   ; ST(3) = 1.0
	CHECK word [0x10e + 30 + 8], 0x3fff, 21
	CHECK word [0x10e + 20 + 8], 0x0000, 22        ; ST(2) = +0
	; FNSAVE initialized the FPU
	fnstenv [0x80]
	CHECK word [0x80], 0x037f, 23
	CHECK word [0x82], 0x0000, 24
	CHECK word [0x84], 0xffff, 25
	; round trip
	frstor [0x100]
	fnsave [0x200]
	mov si, 0x100
	mov di, 0x200
	mov cx, 94
	repe cmpsb
	je rm_rt1
	FAIL 26
rm_rt1:
	; 32-bit real-mode format
	frstor [0x100]
	o32 fnsave [0x300]
	CHECK dword [0x300], 0xffff037f, 30
	CHECK dword [0x304], 0xffff2000, 31
	CHECK dword [0x308], 0xffff12ff, 32
	CHECK dword [0x30c], 0xffff0000 + rm_ld, 33    ; IP 15..0
	CHECK dword [0x310], 0x0000f506, 34            ; IP 31..16 in 27..12, opcode
	CHECK dword [0x314], 0xffff1020, 35
	CHECK dword [0x318], 0x00000000, 36
	CHECK dword [0x31c + 4], 0xc0000000, 37        ; ST(0)
	CHECK word [0x31c + 30 + 8], 0x3fff, 38        ; ST(3)
	o32 frstor [0x300]
	o32 fnsave [0x400]
	mov si, 0x300
	mov di, 0x400
	mov cx, 108
	repe cmpsb
	je rm_rt2
	FAIL 39
rm_rt2:
	PUTS16 "fpu-save: real ok, "
	PM_ENTER

	align 8
gdt_template:
	GDT_COMMON
gdt_template_end:

AREA equ 0x10000
NANQ equ 0x10800         ; a quiet NaN, as in the real-mode part

	bits 32
; the register stack for every test: 1.0, +0, pi, NaN from [NANQ]
load_stack:
	fninit
	fld1
	fldz
	fldpi
pm_ld:
	fld qword [NANQ]                       ; DD 05 disp32: FOP 505h
	ret

main32:
	PM_SEGS
	PRINT "fpu-save: "
	mov dword [NANQ], 0x00000001
	mov dword [NANQ + 4], 0x7ff80000
	; ---- 32-bit protected-mode format ----
	call load_stack
	fnsave [AREA]
	EQ dword [AREA + 0], 0xffff037f
	EQ dword [AREA + 4], 0xffff2000
	EQ dword [AREA + 8], 0xffff12ff
	EQ dword [AREA + 12], pm_ld            ; FIP: offset (CS base F0000h)
	EQ dword [AREA + 16], SEL_C0 | 0x505 << 16   ; FCS, FOP
	EQ dword [AREA + 20], NANQ             ; FDP
	EQ dword [AREA + 24], 0xffff0000 | SEL_D0    ; FDS
	EQ dword [AREA + 28 + 4], 0xc0000000   ; ST(0) = the NaN
	EQ dword [AREA + 28], 0x00000800
	EQ word [AREA + 28 + 8], 0x7fff
	EQ dword [AREA + 28 + 10 + 4], 0xc90fdaa2  ; ST(1) = pi
	EQ dword [AREA + 28 + 10], 0x2168c235
	EQ word [AREA + 28 + 10 + 8], 0x4000
	EQ word [AREA + 28 + 20 + 8], 0        ; ST(2) = +0
	EQ dword [AREA + 28 + 20 + 4], 0
	EQ word [AREA + 28 + 30 + 8], 0x3fff   ; ST(3) = 1.0
	fnstsw ax
	EQ ax, 0
	frstor [AREA]
	fnsave [AREA + 0x100]
	mov esi, AREA
	mov edi, AREA + 0x100
	mov ecx, 108
	repe cmpsb
	je .rt1
	FAILNOW
.rt1:
	; after FRSTOR the FPU computes with the restored stack
	frstor [AREA]
	fxch st3                               ; ST(0) = 1.0
	fadd st0, st0
	fistp dword [AREA + 0x200]
	EQ dword [AREA + 0x200], 2
	; ---- 16-bit protected-mode format ----
	call load_stack
	o16 fnsave [AREA + 0x300]
	EQ word [AREA + 0x300], 0x037f
	EQ word [AREA + 0x302], 0x2000
	EQ word [AREA + 0x304], 0x12ff
	EQ word [AREA + 0x306], pm_ld          ; IP offset 15..0
	EQ word [AREA + 0x308], SEL_C0
	EQ word [AREA + 0x30a], NANQ & 0xffff
	EQ word [AREA + 0x30c], SEL_D0
	EQ dword [AREA + 0x30e + 4], 0xc0000000   ; ST(0)
	EQ word [AREA + 0x30e + 30 + 8], 0x3fff   ; ST(3)
	o16 frstor [AREA + 0x300]
	o16 fnsave [AREA + 0x400]
	mov esi, AREA + 0x300
	mov edi, AREA + 0x400
	mov ecx, 94
	repe cmpsb
	je .rt2
	FAILNOW
.rt2:
	; ---- FNSTENV/FLDENV: the tag word follows the contents ----
	call load_stack
	fnstenv [AREA + 0x500]
	mov word [AREA + 0x508], 0x0000        ; claim all valid: empty ones become non-empty
	fldenv [AREA + 0x500]
	fnstenv [AREA + 0x600]
	; R0-R3 hold +0 (never written since RESET): zero; R4 special, R5 valid, R6 zero, R7 valid
	EQ word [AREA + 0x608], 0x1255
	PRINT "ok", 10
	PASS

	PM_SUPPORT
	ROM_END

; shade86 demo guest: the kernel's entry and its interrupt stubs.
;
; Every vector enters isr_common with the same frame (struct frame in
; kernel.c): segment registers, PUSHAD, vector, error code (0 when the CPU
; pushes none), then what the CPU pushed.  isr_dispatch returns the frame to
; resume, which is how the scheduler switches tasks: each task's frame lies
; on its own kernel stack.

	bits 32
	extern kmain, isr_dispatch, __bss_start, __bss_end

	section .entry progbits alloc exec
	global _start
_start:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov esp, 0x7c00
	cld
	mov edi, __bss_start           ; the flat binary has no .bss: clear it
	mov ecx, __bss_end
	sub ecx, edi
	xor eax, eax
	rep stosb
	mov esp, boot_stack_top
	call kmain
.hang:
	cli
	hlt
	jmp .hang

	section .text
; vectors 0-47 (exceptions, then the 8259A pair at 0x20-0x2F) and 0x80
%assign i 0
%rep 48
isr_ %+ i:
%if i == 8 || (i >= 10 && i <= 14) || i == 17
	push dword i                   ; the CPU pushed an error code
%else
	push dword 0
	push dword i
%endif
	jmp isr_common
%assign i i + 1
%endrep

isr_syscall:
	push dword 0
	push dword 0x80
	jmp isr_common

isr_common:
	pushad
	push ds
	push es
	push fs
	push gs
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	push esp                       ; struct frame *
	call isr_dispatch
	mov esp, eax                   ; the frame to resume (maybe another task's)
	pop gs
	pop fs
	pop es
	pop ds
	popad
	add esp, 8                     ; vector, error code
	iretd

	section .rodata
	global isr_table, isr_syscall_entry
isr_table:
%assign i 0
%rep 48
	dd isr_ %+ i
%assign i i + 1
%endrep
isr_syscall_entry:
	dd isr_syscall

	section .bss
	alignb 16
	resb 8192
boot_stack_top:

	section .note.GNU-stack noalloc noexec nowrite progbits

# The demo guest (roms/demo/): a boot sector and a small protected-mode
# kernel with paging, a timer-driven scheduler and three CPL 3 tasks drawing
# in mode 13h, as the raw disk image $(B)/demo.img.  Included from the
# top-level Makefile; also works alone: make -f roms/demo.mk [B=build]
#   make demo-image       build $(B)/demo.img
#   make demo-run         boot it (COM1 on the terminal)
#   make demo-check       tests/run-demo-test.sh
# Needs nasm, gcc (-m32 compiles; no multilib: no system headers are used)
# and ld from binutils.
DEMO_SAVED_GOAL := $(.DEFAULT_GOAL)
B ?= build
NASM ?= nasm
DEMO_CC ?= gcc
DEMO_LD ?= ld
DEMO_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))/demo
DEMO_OUT := $(B)/demo
DEMO_CFLAGS := -m32 -march=i686 -ffreestanding -nostdinc -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin \
	-fno-tree-loop-distribute-patterns -O2 -Wall -Wextra -std=gnu11

$(DEMO_OUT)/kernel.o: $(DEMO_DIR)/kernel.c $(DEMO_DIR)/demo.h
	@mkdir -p $(DEMO_OUT)
	$(DEMO_CC) $(DEMO_CFLAGS) -mgeneral-regs-only -c -o $@ $<

# the user tasks: x87 allowed, no SSE (the kernel switches FPU state lazily)
$(DEMO_OUT)/user.o: $(DEMO_DIR)/user.c $(DEMO_DIR)/demo.h
	@mkdir -p $(DEMO_OUT)
	$(DEMO_CC) $(DEMO_CFLAGS) -mno-sse -mno-mmx -c -o $@ $<
	@if nm $@ | grep -q ' U '; then \
		echo "$@: the user tasks call outside their pages:"; nm $@ | grep ' U '; \
		rm -f $@; exit 1; fi

$(DEMO_OUT)/entry.o: $(DEMO_DIR)/entry.asm
	@mkdir -p $(DEMO_OUT)
	$(NASM) -f elf32 -o $@ $<

$(DEMO_OUT)/kernel.bin: $(DEMO_OUT)/entry.o $(DEMO_OUT)/kernel.o $(DEMO_OUT)/user.o $(DEMO_DIR)/link.ld
	$(DEMO_LD) -m elf_i386 -T $(DEMO_DIR)/link.ld -o $(DEMO_OUT)/kernel.elf \
		$(DEMO_OUT)/entry.o $(DEMO_OUT)/kernel.o $(DEMO_OUT)/user.o
	$(DEMO_LD) -m elf_i386 -T $(DEMO_DIR)/link.ld --oformat binary -o $@ \
		$(DEMO_OUT)/entry.o $(DEMO_OUT)/kernel.o $(DEMO_OUT)/user.o

# the boot sector reads the kernel's sectors, as many as there are
$(DEMO_OUT)/boot.bin: $(DEMO_DIR)/boot.asm $(DEMO_OUT)/kernel.bin
	@mkdir -p $(DEMO_OUT)
	$(NASM) -f bin -DKERNEL_SECTORS=$$(( ($$(wc -c < $(DEMO_OUT)/kernel.bin) + 511) / 512 )) -o $@ $<

# sector 0: the boot sector, then the kernel; zeros to a whole sector and to
# 64 KiB at least (the image is built into shade86 as its default disk)
$(B)/demo.img: $(DEMO_OUT)/boot.bin $(DEMO_OUT)/kernel.bin
	cat $(DEMO_OUT)/boot.bin $(DEMO_OUT)/kernel.bin > $@.tmp
	truncate -s %512 $@.tmp
	truncate -s '>64K' $@.tmp
	mv $@.tmp $@

.PHONY: demo-image demo-run demo-check
demo-image: $(B)/demo.img

demo-run: $(B)/demo.img
	./shade86 -hda $(B)/demo.img -snapshot -serial stdio

demo-check: $(B)/demo.img
	sh tests/run-demo-test.sh ./shade86 $(B)/demo.img

# including this file must not change the including Makefile's default goal;
# alone (make -f roms/demo.mk) it builds the image
.DEFAULT_GOAL := $(or $(DEMO_SAVED_GOAL),demo-image)

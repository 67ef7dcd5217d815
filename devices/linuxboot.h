/*
 * Direct Linux kernel boot (-kernel, -initrd, -append) through fw_cfg.
 *
 * linuxboot_setup reads a bzImage (and an initrd), places them in guest
 * memory the way Documentation/arch/x86/boot.rst recommends for a boot
 * loader, patches the setup header accordingly and hands everything to the
 * firmware as fw_cfg items:
 *
 *   SETUP_ADDR/SIZE/DATA     the real-mode part (boot sector + setup), patched
 *   KERNEL_ADDR/SIZE/DATA    the protected-mode part, at 1 MiB
 *   INITRD_ADDR/SIZE/DATA    the initrd (address and size 0 without one)
 *   CMDLINE_ADDR/SIZE/DATA   the command line, NUL-terminated
 *   file "genroms/linuxboot.bin"   our option ROM (roms/linuxboot.asm)
 *   file "bootorder"         LINUXBOOT_BOOT_PATH on its first line
 *
 * SeaBIOS runs the option ROM, whose PnP boot entry (BEV) copies the items to
 * their addresses and jumps to the kernel's setup code.
 *
 * Guest memory layout (physical):
 *   0x10000-0x1ffff   real-mode part (at most 32 KiB), then its stack/heap
 *   0x20000-          command line
 *   0x100000-         protected-mode kernel (and where it decompresses)
 *   top of RAM        initrd, below what SeaBIOS keeps for itself
 */
#ifndef SHADE86_LINUXBOOT_H
#define SHADE86_LINUXBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "fwcfg.h"

/* The fw_cfg file name of the option ROM, and the name SeaBIOS gives its boot
 * entry in the "bootorder" file (src/boot.c, bootprio_find_named_rom). */
#define LINUXBOOT_ROM_NAME  "genroms/linuxboot.bin"
#define LINUXBOOT_BOOT_PATH "/rom@" LINUXBOOT_ROM_NAME

#define LINUXBOOT_SETUP_ADDR   0x10000u
#define LINUXBOOT_CMDLINE_ADDR 0x20000u
#define LINUXBOOT_KERNEL_ADDR  0x100000u

/*
 * Load kernel_path (a bzImage, boot protocol 2.02 or later), initrd_path
 * (NULL: none) and cmdline (NULL: empty) for a guest with ram_size bytes of
 * RAM (all of it below 4 GiB, from address 0), and add rom (rom_len bytes:
 * the assembled roms/linuxboot.asm; a patched copy is added) to f.
 *
 * Call it after the machine has added its own "bootorder" file, if any: the
 * kernel's entry is put first in it (or the file is created), so that -kernel
 * boots before the disks whatever -boot says, as in QEMU.
 *
 * Returns 0, or -1 with a one-line message in err: a file cannot be read, is
 * not a bzImage, is truncated, the command line is too long, or the kernel
 * and the initrd do not fit in RAM.  On error f may hold some of the items.
 */
int linuxboot_setup(struct fwcfg *f, uint32_t ram_size, const char *kernel_path,
		    const char *initrd_path, const char *cmdline,
		    const uint8_t *rom, uint32_t rom_len, char *err, size_t errlen);

#endif

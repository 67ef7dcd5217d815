/*
 * QEMU's firmware configuration device (fw_cfg), the traditional I/O-port
 * interface that SeaBIOS uses to learn the RAM size, the e820 map, the boot
 * order, the CPU count and the kernel/initrd/command line of a direct boot.
 *
 * Port 0x510 (16-bit, write): selects an item and resets the data offset.
 * Port 0x511 (8-bit, read): the next byte of the selected item; 0 past its end.
 * Items 0x00-0x1f are the well-known keys (little-endian integers), the file
 * directory is item 0x19 (big-endian: count, then {size, select, reserved,
 * name[56]} per file), files are items 0x20 and up in the order added.
 * The DMA interface (port 0x514) is not offered: FW_CFG_ID has only bit 0.
 */
#ifndef SHADE86_FWCFG_H
#define SHADE86_FWCFG_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

struct mem;

enum {
	FW_CFG_SIGNATURE = 0x00, FW_CFG_ID = 0x01, FW_CFG_UUID = 0x02, FW_CFG_RAM_SIZE = 0x03,
	FW_CFG_NOGRAPHIC = 0x04, FW_CFG_NB_CPUS = 0x05, FW_CFG_MACHINE_ID = 0x06,
	FW_CFG_KERNEL_ADDR = 0x07, FW_CFG_KERNEL_SIZE = 0x08, FW_CFG_KERNEL_CMDLINE = 0x09,
	FW_CFG_INITRD_ADDR = 0x0a, FW_CFG_INITRD_SIZE = 0x0b, FW_CFG_BOOT_DEVICE = 0x0c,
	FW_CFG_NUMA = 0x0d, FW_CFG_BOOT_MENU = 0x0e, FW_CFG_MAX_CPUS = 0x0f,
	FW_CFG_KERNEL_ENTRY = 0x10, FW_CFG_KERNEL_DATA = 0x11, FW_CFG_INITRD_DATA = 0x12,
	FW_CFG_CMDLINE_ADDR = 0x13, FW_CFG_CMDLINE_SIZE = 0x14, FW_CFG_CMDLINE_DATA = 0x15,
	FW_CFG_SETUP_ADDR = 0x16, FW_CFG_SETUP_SIZE = 0x17, FW_CFG_SETUP_DATA = 0x18,
	FW_CFG_FILE_DIR = 0x19, FW_CFG_FILE_FIRST = 0x20,
};

#define FWCFG_MAX_FILES 32
#define FWCFG_NAME_LEN 56

struct fwcfg_item {
	uint8_t *data;       /* owned copy */
	uint32_t len;
};

struct fwcfg {
	struct fwcfg_item key[FW_CFG_FILE_FIRST];
	struct fwcfg_item file[FWCFG_MAX_FILES];
	char file_name[FWCFG_MAX_FILES][FWCFG_NAME_LEN];
	unsigned nfiles;
	struct fwcfg_item dir;   /* rebuilt when a file is added */
	uint16_t select;
	uint32_t offset;
};

/* Registers ports 0x510-0x511 and sets the signature and ID. */
int fwcfg_init(struct fwcfg *f, struct mem *mem);
void fwcfg_free(struct fwcfg *f);
void fwcfg_reset(struct fwcfg *f);   /* selection and offset only; the items stay */

/* Set an item (a copy is kept); returns -1 when out of memory or slots. */
int fwcfg_set(struct fwcfg *f, unsigned key, const void *data, uint32_t len);
int fwcfg_set_u16(struct fwcfg *f, unsigned key, uint16_t v);
int fwcfg_set_u32(struct fwcfg *f, unsigned key, uint32_t v);
int fwcfg_set_u64(struct fwcfg *f, unsigned key, uint64_t v);
int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, uint32_t len);

/* Only the guest-visible cursor is state; the items are configuration. */
void fwcfg_save(const struct fwcfg *f, struct state_writer *w);
int fwcfg_load(struct fwcfg *f, struct state_reader *r);

#endif

/*
 * Direct Linux kernel boot through fw_cfg (see linuxboot.h).
 *
 * The header fields and the rules for filling them in are those of the
 * Linux/x86 boot protocol, Documentation/arch/x86/boot.rst; the section names
 * quoted below are that document's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostfile.h"
#include "linuxboot.h"

/* Setup header offsets ("The Real-Mode Kernel Header") */
#define HDR_SETUP_SECTS     0x1f1
#define HDR_SYSSIZE         0x1f4   /* 2.04+: 32 bits */
#define HDR_VID_MODE        0x1fa
#define HDR_BOOT_FLAG       0x1fe
#define HDR_HEADER          0x202
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_HEAP_END_PTR    0x224   /* 2.01+ */
#define HDR_CMD_LINE_PTR    0x228   /* 2.02+ */
#define HDR_INITRD_ADDR_MAX 0x22c   /* 2.03+ */
#define HDR_KERNEL_ALIGN    0x230   /* 2.05+ */
#define HDR_RELOCATABLE     0x234   /* 2.05+ */
#define HDR_CMDLINE_SIZE    0x238   /* 2.06+ */
#define HDR_PREF_ADDRESS    0x258   /* 2.10+ */
#define HDR_INIT_SIZE       0x260   /* 2.10+ */
#define HDR_END             0x264   /* what we read must lie below this */

#define LOADED_HIGH  0x01
#define CAN_USE_HEAP 0x80

/* boot.rst "Sample Boot Configuration": with the real-mode code below
 * 0x90000 the whole 64 KiB segment is its; we give the stack/heap everything
 * above the (at most 32 KiB) code and put the command line above the
 * segment, which protocol 2.02 allows ("it is thus permitted to give the
 * stack/heap the full 64K segment and locate the command line above it"). */
#define SETUP_MAX     0x8000u
#define HEAP_END      0x10000u        /* offset in the real-mode segment */
#define LOW_MEM_END   0xa0000u        /* the command line must end below it */

/* 0xFF: "undefined" loader (boot.rst, type_of_loader); we have no assigned ID */
#define LOADER_TYPE   0xff

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/*
 * The top of the RAM we may fill.  SeaBIOS keeps the tables it hands to the
 * OS (ACPI, SMBIOS, ...) at the top of the RAM below 4 GiB, allocated from
 * the top down in a "high" zone of 16 MiB (256 KiB when RAM is below 33 MiB)
 * whose unused part it returns to the e820 map before booting (src/malloc.c:
 * malloc_preinit, malloc_prepboot).  What it uses is a few KiB to a few
 * hundred (QEMU, whose ACPI tables are larger than ours, keeps 160 KiB free
 * below 4 GiB for them).  Those tables are in place when our ROM copies the
 * initrd, and the kernel decompresses itself without looking at the e820
 * map, so neither may reach them: keep the top 1 MiB clear, which also
 * covers the whole small zone.
 */
#define TOP_RESERVE 0x100000u

static uint64_t usable_top(uint32_t ram_size)
{
	return ram_size > TOP_RESERVE ? ram_size - TOP_RESERVE : 0;
}

/*
 * Where the kernel's memory use during boot ends.  The protected-mode part is
 * loaded at 1 MiB; from protocol 2.10 the kernel also says how much memory it
 * needs from where it runs (init_size), and where that is: a relocatable
 * kernel at its load address rounded up to kernel_alignment, else at
 * pref_address (boot.rst, init_size).  A relocatable kernel's decompressor
 * never goes below the address it was linked for either (pref_address;
 * arch/x86/boot/compressed/head_*.S), so the larger of the two is taken.
 */
static uint64_t kernel_end(const uint8_t *k, unsigned version, uint32_t ksize)
{
	uint64_t end = (uint64_t)LINUXBOOT_KERNEL_ADDR + ksize;
	if (version < 0x20a)
		return end;
	uint64_t align = le32(k + HDR_KERNEL_ALIGN);
	uint64_t pref = le64(k + HDR_PREF_ADDRESS);
	uint64_t start = pref;
	if (k[HDR_RELOCATABLE]) {
		start = LINUXBOOT_KERNEL_ADDR;
		if (align > 1)
			start = (start + align - 1) / align * align;
		if (pref > start)
			start = pref;
	}
	uint64_t init_end = start + le32(k + HDR_INIT_SIZE);
	return init_end > end ? init_end : end;
}

/* boot.rst "Special Command Line Options": vga=<mode> goes into vid_mode,
 * which the kernel reads before it parses the command line.  Returns -1 when
 * there is no (valid) vga= option. */
static long vga_mode(const char *cmdline)
{
	long mode = -1;
	for (const char *p = cmdline; (p = strstr(p, "vga=")); p += 4) {
		if (p != cmdline && p[-1] != ' ')
			continue;
		const char *v = p + 4;
		size_t n = strcspn(v, " ");
		if (n == 6 && !strncmp(v, "normal", 6)) {
			mode = 0xffff;
		} else if (n == 3 && !strncmp(v, "ext", 3)) {
			mode = 0xfffe;
		} else if (n == 3 && !strncmp(v, "ask", 3)) {
			mode = 0xfffd;
		} else {
			char *end;
			unsigned long m = strtoul(v, &end, 0);
			if (end == v + n && n && m <= 0xffff)
				mode = (long)m;
		}
		/* the last one wins, as on the kernel's own command line */
	}
	return mode;
}

/* Fix the option ROM copy: PnP header checksum, size byte, ROM checksum.
 * The image is padded to 512-byte units with at least one spare byte at the
 * end, which becomes the checksum byte (so the asm needs no slot for it). */
static uint8_t *patch_rom(const uint8_t *rom, uint32_t rom_len, uint32_t *out_len)
{
	if (!rom || rom_len < 0x20 || rom[0] != 0x55 || rom[1] != 0xaa)
		return NULL;
	uint32_t n = (rom_len + 1 + 511) / 512 * 512;
	if (n / 512 > 255)
		return NULL;
	uint8_t *r = calloc(1, n);
	if (!r)
		return NULL;
	memcpy(r, rom, rom_len);
	r[2] = (uint8_t)(n / 512);
	uint32_t pnp = le16(r + 0x1a);
	if (pnp && pnp + 32 <= rom_len && !memcmp(r + pnp, "$PnP", 4)) {
		uint32_t plen = r[pnp + 5] * 16u;
		if (plen >= 32 && pnp + plen <= rom_len) {
			uint8_t sum = 0;
			r[pnp + 9] = 0;
			for (uint32_t i = 0; i < plen; i++)
				sum = (uint8_t)(sum + r[pnp + i]);
			r[pnp + 9] = (uint8_t)-sum;
		}
	}
	uint8_t sum = 0;
	for (uint32_t i = 0; i < n - 1; i++)
		sum = (uint8_t)(sum + r[i]);
	r[n - 1] = (uint8_t)-sum;
	*out_len = n;
	return r;
}

/* Put LINUXBOOT_BOOT_PATH first in the "bootorder" file, creating it if the
 * machine has none.  Without it SeaBIOS gives a BEV the lowest priority
 * (DEFAULT_PRIO) unless the CMOS boot order names network boot, so the disks
 * would boot first (src/boot.c, boot_init and boot_add_bev). */
static int put_boot_first(struct fwcfg *f)
{
	static const char line[] = LINUXBOOT_BOOT_PATH "\n";
	const uint32_t ll = sizeof(line) - 1;
	for (unsigned i = 0; i < f->nfiles; i++) {
		if (strcmp(f->file_name[i], "bootorder"))
			continue;
		struct fwcfg_item *it = &f->file[i];
		uint8_t *d = malloc(ll + it->len);
		if (!d)
			return -1;
		memcpy(d, line, ll);
		if (it->len)
			memcpy(d + ll, it->data, it->len);
		free(it->data);
		it->data = d;
		it->len += ll;
		return fwcfg_add_file(f, NULL, NULL, 0);   /* the directory holds the size */
	}
	return fwcfg_add_file(f, "bootorder", line, ll);
}

int linuxboot_setup(struct fwcfg *f, uint32_t ram_size, const char *kernel_path,
		    const char *initrd_path, const char *cmdline,
		    const uint8_t *rom, uint32_t rom_len, char *err, size_t errlen)
{
	uint8_t *k = NULL, *initrd = NULL, *rom_copy = NULL;
	uint32_t klen = 0, ilen = 0, rlen = 0;
	int ret = -1;

	if (!cmdline)
		cmdline = "";
	if (hostfile_read(kernel_path, "kernel", UINT32_MAX, &k, &klen, err, errlen))
		return -1;

	/* "HdrS" at 0x202 marks protocol 2.00+; without it the kernel is "old" */
	if (klen < HDR_VERSION + 2 || le16(k + HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(k + HDR_HEADER, "HdrS", 4)) {
		snprintf(err, errlen, "'%s' is not a Linux kernel (no x86 boot protocol header)", kernel_path);
		goto out;
	}
	unsigned version = le16(k + HDR_VERSION);
	if (version < 0x202) {
		/* before 2.02 the setup code moves itself to 0x90000 and takes the
		 * command line in the old way: not worth supporting */
		snprintf(err, errlen, "'%s' uses Linux boot protocol %u.%02u; 2.02 or later is needed",
			 kernel_path, version >> 8, version & 0xff);
		goto out;
	}
	if (klen < HDR_END) {
		snprintf(err, errlen, "'%s' is truncated (%u bytes)", kernel_path, klen);
		goto out;
	}
	if (!(k[HDR_LOADFLAGS] & LOADED_HIGH)) {
		snprintf(err, errlen, "'%s' is a zImage (loaded at 0x10000); only bzImage kernels can be booted",
			 kernel_path);
		goto out;
	}
	unsigned sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4;   /* 0 means 4 */
	uint32_t setup_size = (sects + 1) * 512;   /* the boot sector and the setup code */
	if (setup_size > SETUP_MAX) {
		snprintf(err, errlen, "'%s': its real-mode part is %u bytes, more than 32 KiB", kernel_path,
			 setup_size);
		goto out;
	}
	if (klen <= setup_size) {
		snprintf(err, errlen, "'%s' is truncated (%u bytes; its real-mode part alone is %u)",
			 kernel_path, klen, setup_size);
		goto out;
	}
	uint32_t ksize = klen - setup_size;
	/* syssize counts 16-byte paragraphs, rounded up: the file may end up to
	 * 15 bytes before syssize * 16 (memtest86+ 6.10's does) */
	if (version >= 0x204 && (uint64_t)le32(k + HDR_SYSSIZE) * 16 > (uint64_t)ksize + 15) {
		snprintf(err, errlen, "'%s' is truncated (its protected-mode part is %u bytes, the header says %llu)",
			 kernel_path, ksize, (unsigned long long)le32(k + HDR_SYSSIZE) * 16);
		goto out;
	}

	/* "The Kernel Command Line": cmdline_size characters at most (2.06+),
	 * 255 before; the string and its NUL must end below 0xA0000 */
	size_t clen = strlen(cmdline);
	uint32_t cmax = version >= 0x206 ? le32(k + HDR_CMDLINE_SIZE) : 255;
	if (cmax > LOW_MEM_END - LINUXBOOT_CMDLINE_ADDR - 1)
		cmax = LOW_MEM_END - LINUXBOOT_CMDLINE_ADDR - 1;
	if (clen > cmax) {
		snprintf(err, errlen, "the kernel command line is %zu characters; '%s' accepts at most %u",
			 clen, kernel_path, cmax);
		goto out;
	}

	uint64_t top = usable_top(ram_size);
	uint64_t kend = kernel_end(k, version, ksize);
	if (kend > top) {
		snprintf(err, errlen, "'%s' needs at least %llu MiB of RAM (it uses memory up to %llu MiB "
			 "while booting, and the firmware keeps the top 1 MiB); %u MiB are too few", kernel_path,
			 (unsigned long long)((kend + TOP_RESERVE + (1 << 20) - 1) >> 20),
			 (unsigned long long)((kend + (1 << 20) - 1) >> 20), ram_size >> 20);
		goto out;
	}

	uint32_t initrd_addr = 0;
	if (initrd_path) {
		if (hostfile_read(initrd_path, "initrd", UINT32_MAX, &initrd, &ilen, err, errlen))
			goto out;
		/* "initrd_addr_max": the highest byte the initrd may occupy; fixed at
		 * 0x37FFFFFF before 2.03.  Highest 4 KiB-aligned place below that and
		 * below SeaBIOS's zone, like boot loaders do ("an initrd should be
		 * placed near end of memory"), and above all the kernel touches. */
		uint64_t max_end = (version >= 0x203 ? (uint64_t)le32(k + HDR_INITRD_ADDR_MAX) : 0x37ffffffu) + 1;
		if (max_end > top)
			max_end = top;
		uint64_t start = max_end >= ilen ? (max_end - ilen) & ~(uint64_t)0xfff : 0;
		if (max_end < ilen || start < kend) {
			snprintf(err, errlen, "the initrd '%s' (%u KiB) and the kernel do not fit in %u MiB of RAM",
				 initrd_path, (ilen + 1023) >> 10, ram_size >> 20);
			goto out;
		}
		initrd_addr = (uint32_t)start;
	}

	/* Fill in the header of our copy ("Sample Boot Configuration") */
	k[HDR_TYPE_OF_LOADER] = LOADER_TYPE;
	k[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	put16(k + HDR_HEAP_END_PTR, HEAP_END - 0x200);
	put32(k + HDR_CMD_LINE_PTR, LINUXBOOT_CMDLINE_ADDR);
	put32(k + HDR_RAMDISK_IMAGE, initrd_addr);
	put32(k + HDR_RAMDISK_SIZE, ilen);
	long vga = vga_mode(cmdline);
	if (vga >= 0)
		put16(k + HDR_VID_MODE, (uint16_t)vga);

	rom_copy = patch_rom(rom, rom_len, &rlen);
	if (!rom_copy) {
		snprintf(err, errlen, "the Linux boot option ROM is missing or malformed (%u bytes)", rom_len);
		goto out;
	}

	if (fwcfg_set_u32(f, FW_CFG_SETUP_ADDR, LINUXBOOT_SETUP_ADDR) ||
	    fwcfg_set_u32(f, FW_CFG_SETUP_SIZE, setup_size) ||
	    fwcfg_set(f, FW_CFG_SETUP_DATA, k, setup_size) ||
	    fwcfg_set_u32(f, FW_CFG_KERNEL_ADDR, LINUXBOOT_KERNEL_ADDR) ||
	    fwcfg_set_u32(f, FW_CFG_KERNEL_SIZE, ksize) ||
	    fwcfg_set(f, FW_CFG_KERNEL_DATA, k + setup_size, ksize) ||
	    fwcfg_set_u32(f, FW_CFG_INITRD_ADDR, initrd_addr) ||
	    fwcfg_set_u32(f, FW_CFG_INITRD_SIZE, ilen) ||
	    fwcfg_set(f, FW_CFG_INITRD_DATA, initrd, ilen) ||
	    fwcfg_set_u32(f, FW_CFG_CMDLINE_ADDR, LINUXBOOT_CMDLINE_ADDR) ||
	    fwcfg_set_u32(f, FW_CFG_CMDLINE_SIZE, (uint32_t)clen + 1) ||
	    fwcfg_set(f, FW_CFG_CMDLINE_DATA, cmdline, (uint32_t)clen + 1) ||
	    fwcfg_add_file(f, LINUXBOOT_ROM_NAME, rom_copy, rlen) ||
	    put_boot_first(f)) {
		snprintf(err, errlen, "cannot add the kernel to fw_cfg (out of memory, or already added)");
		goto out;
	}
	ret = 0;
out:
	free(k);
	free(initrd);
	free(rom_copy);
	return ret;
}

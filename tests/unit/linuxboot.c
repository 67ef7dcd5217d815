/*
 * Direct Linux boot (devices/linuxboot.c): the fw_cfg items and the patched
 * setup header, checked against the Linux/x86 boot protocol
 * (Documentation/arch/x86/boot.rst) on fake bzImages written to temporary
 * files, the errors for files that are not bootable kernels, and the option
 * ROM (build/roms/linuxboot.bin): its checksums, and its boot entry run on
 * the CPU until it enters the kernel's setup code.
 *
 * The expected values come from the protocol, not from the loader: the
 * protected-mode part at 0x100000 (a bzImage), the real-mode part
 * (setup_sects + 1) * 512 bytes (0 meaning 4), the command line between the
 * end of the setup heap and 0xA0000, the initrd ending at or below
 * initrd_addr_max + 1 (0x37FFFFFF before 2.03), and so on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "suites.h"
#include "devices/fwcfg.h"
#include "devices/linuxboot.h"


/* the assembled ROM; the unit tests run from the source directory (make check) */
#define ROM_PATH "build/roms/linuxboot.bin"

#define MiB (1u << 20)

static struct fwcfg F;
static uint8_t *rom;
static uint32_t rom_len;
static char err[512];

/* ---- fake kernels ---- */

struct fake {
	unsigned version;          /* boot protocol; 0: no "HdrS" header */
	unsigned setup_sects;      /* as stored (0 means 4) */
	uint8_t loadflags;
	uint32_t initrd_addr_max;  /* 2.03+ */
	uint32_t cmdline_size;     /* 2.06+ */
	uint32_t pm_size;          /* bytes of protected-mode code in the file */
	uint32_t syssize;          /* 2.04+: paragraphs claimed by the header; 0: pm_size / 16 */
	uint32_t kernel_alignment; /* 2.05+ */
	uint8_t relocatable;       /* 2.05+ */
	uint64_t pref_address;     /* 2.10+ */
	uint32_t init_size;        /* 2.10+ */
};

static struct fake fake_206(void)
{
	return (struct fake){ .version = 0x206, .setup_sects = 0, .loadflags = 0x01,
			      .initrd_addr_max = 0x7fffffff, .cmdline_size = 2047,
			      .pm_size = 0x10000 };
}

static uint32_t setup_bytes(const struct fake *p)
{
	return ((p->setup_sects ? p->setup_sects : 4) + 1) * 512;
}

static void put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *b, uint32_t v) { put16(b, (uint16_t)v); put16(b + 2, (uint16_t)(v >> 16)); }
static uint16_t get16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t get32(const uint8_t *b) { return get16(b) | (uint32_t)get16(b + 2) << 16; }

/* the file's bytes: a recognisable pattern around the header fields */
static uint8_t *fake_image(const struct fake *p, uint32_t *len)
{
	uint32_t s = setup_bytes(p), n = s + p->pm_size;
	uint8_t *b = malloc(n);
	ck_assert_ptr_nonnull(b);
	for (uint32_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i < s ? i * 7 + 1 : i * 13 + 5);
	memset(b + 0x1f1, 0, 0x270 - 0x1f1);   /* the header: zeros unless set below */
	b[0x1f1] = (uint8_t)p->setup_sects;
	put32(b + 0x1f4, p->syssize ? p->syssize : p->pm_size / 16);
	put16(b + 0x1fa, 0xffff);                /* vid_mode "normal" */
	put16(b + 0x1fe, 0xaa55);
	if (p->version) {
		b[0x200] = 0xeb;                     /* jmp to the end of the header */
		b[0x201] = 0x66;
		memcpy(b + 0x202, "HdrS", 4);
		put16(b + 0x206, (uint16_t)p->version);
		b[0x211] = p->loadflags;
		put32(b + 0x214, 0x100000);          /* code32_start */
		put32(b + 0x22c, p->initrd_addr_max);
		put32(b + 0x230, p->kernel_alignment);
		b[0x234] = p->relocatable;
		put32(b + 0x238, p->cmdline_size);
		put32(b + 0x258, (uint32_t)p->pref_address);
		put32(b + 0x25c, (uint32_t)(p->pref_address >> 32));
		put32(b + 0x260, p->init_size);
	}
	*len = n;
	return b;
}

static char *tmp_file(const uint8_t *data, size_t n)
{
	const char *dir = getenv("TMPDIR");
	char *path = malloc(4096);
	ck_assert_ptr_nonnull(path);
	snprintf(path, 4096, "%s/shade86-linuxboot-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

static void drop_file(char *path)
{
	unlink(path);
	free(path);
}

/* ---- fixture ---- */

static void load_rom(void)
{
	FILE *fp = fopen(ROM_PATH, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s (build it with make; run from the source directory): %s",
		      ROM_PATH, strerror(errno));
	rom = malloc(65536);
	ck_assert_ptr_nonnull(rom);
	rom_len = (uint32_t)fread(rom, 1, 65536, fp);
	fclose(fp);
	ck_assert_uint_gt(rom_len, 0x20);
}

static void setup(void)
{
	ck_assert_int_eq(fwcfg_init(&F, &M->mem), 0);
	load_rom();
	err[0] = 0;
}

static void done(void)
{
	fwcfg_free(&F);
	free(rom);
	rom = NULL;
}

/* Drop every item for a second load in the same test (the ports stay
 * registered to F) */
static void reset_items(void)
{
	fwcfg_free(&F);
	ck_assert_int_eq(fwcfg_add_file(&F, NULL, NULL, 0), 0);
}

static uint32_t item32(unsigned key)
{
	ck_assert_uint_eq(F.key[key].len, 4);
	return get32(F.key[key].data);
}

static const struct fwcfg_item *file_item(const char *name)
{
	for (unsigned i = 0; i < F.nfiles; i++)
		if (!strcmp(F.file_name[i], name))
			return &F.file[i];
	return NULL;
}

/* Load a fake kernel (and an initrd of isize bytes unless 0); returns the
 * loader's result, with the file's bytes in *image for checks. */
static int boot(const struct fake *p, uint32_t ram, uint32_t isize, const char *cmdline,
		uint8_t **image, uint32_t *ilen)
{
	uint32_t n;
	uint8_t *img = fake_image(p, &n);
	char *kpath = tmp_file(img, n);
	char *ipath = NULL;
	if (isize) {
		uint8_t *ird = malloc(isize);
		ck_assert_ptr_nonnull(ird);
		for (uint32_t i = 0; i < isize; i++)
			ird[i] = (uint8_t)(i * 3 + 11);
		ipath = tmp_file(ird, isize);
		free(ird);
	}
	int r = linuxboot_setup(&F, ram, kpath, ipath, cmdline, rom, rom_len, err, sizeof err);
	drop_file(kpath);
	if (ipath)
		drop_file(ipath);
	if (image) {
		*image = img;
		*ilen = n;
	} else {
		free(img);
	}
	return r;
}

static void expect_error(int r, const char *what)
{
	ck_assert_msg(r == -1, "%s: accepted", what);
	ck_assert_msg(err[0] != 0, "%s: no message", what);
	ck_assert_msg(!strchr(err, '\n'), "%s: message not one line: %s", what, err);
}

/* ---- the items and the header ---- */

START_TEST(items_and_header)
{
	setup();
	struct fake p = fake_206();
	const char *cmdline = "console=ttyS0 root=/dev/ram0";
	uint8_t *img;
	uint32_t n;
	ck_assert_msg(boot(&p, 64 * MiB, 5000, cmdline, &img, &n) == 0, "%s", err);

	/* setup_sects 0 means 4: the boot sector and 4 sectors of setup */
	uint32_t ssize = 5 * 512;
	uint32_t saddr = item32(FW_CFG_SETUP_ADDR);
	EQ(item32(FW_CFG_SETUP_SIZE), ssize);
	EQ(F.key[FW_CFG_SETUP_DATA].len, ssize);
	/* "relocatable to any address between 0x10000 and end of low memory",
	 * on a segment boundary (it is entered as seg+0x20:0), with a 64 KiB
	 * segment below 0xA0000 */
	ck_assert_uint_ge(saddr, 0x10000);
	EQ(saddr & 15, 0);
	ck_assert_uint_le(saddr + 0x10000, 0xa0000);

	/* a bzImage's protected-mode part: at 0x100000, the rest of the file */
	EQ(item32(FW_CFG_KERNEL_ADDR), 0x100000);
	EQ(item32(FW_CFG_KERNEL_SIZE), n - ssize);
	EQ(F.key[FW_CFG_KERNEL_DATA].len, n - ssize);
	ck_assert(!memcmp(F.key[FW_CFG_KERNEL_DATA].data, img + ssize, n - ssize));

	const uint8_t *h = F.key[FW_CFG_SETUP_DATA].data;
	EQ(h[0x210], 0xff);                       /* type_of_loader: no assigned ID */
	EQ(h[0x211], 0x01 | 0x80);                /* LOADED_HIGH kept, CAN_USE_HEAP set */
	/* heap_end_ptr: end of the stack/heap minus 0x200, above the setup code,
	 * within the 64 KiB segment */
	uint32_t heap_end = get16(h + 0x224) + 0x200u;
	ck_assert_uint_gt(heap_end, ssize);
	ck_assert_uint_le(heap_end, 0x10000);
	/* cmd_line_ptr: the CMDLINE item, between the heap's end and 0xA0000 */
	uint32_t cl = get32(h + 0x228);
	EQ(cl, item32(FW_CFG_CMDLINE_ADDR));
	ck_assert_uint_ge(cl, saddr + heap_end);
	EQ(item32(FW_CFG_CMDLINE_SIZE), strlen(cmdline) + 1);
	ck_assert_uint_le(cl + strlen(cmdline) + 1, 0xa0000);
	EQ(F.key[FW_CFG_CMDLINE_DATA].len, strlen(cmdline) + 1);
	ck_assert_str_eq((const char *)F.key[FW_CFG_CMDLINE_DATA].data, cmdline);

	/* the initrd: the INITRD item, page-aligned, below initrd_addr_max + 1
	 * and the RAM's end, above the kernel */
	uint32_t ri = get32(h + 0x218), rs = get32(h + 0x21c);
	EQ(ri, item32(FW_CFG_INITRD_ADDR));
	EQ(rs, 5000);
	EQ(item32(FW_CFG_INITRD_SIZE), 5000);
	EQ(F.key[FW_CFG_INITRD_DATA].len, 5000);
	EQ(F.key[FW_CFG_INITRD_DATA].data[4999], (uint8_t)(4999 * 3 + 11));
	EQ(ri & 0xfff, 0);
	ck_assert_uint_le((uint64_t)ri + rs, (uint64_t)p.initrd_addr_max + 1);
	ck_assert_uint_le((uint64_t)ri + rs, 64 * MiB);
	ck_assert_uint_ge(ri, 0x100000 + (n - ssize));

	/* nothing else in the real-mode part changed */
	for (uint32_t i = 0; i < ssize; i++) {
		bool written = i == 0x210 || i == 0x211 || (i >= 0x218 && i < 0x220) ||
			       i == 0x224 || i == 0x225 || (i >= 0x228 && i < 0x22c);
		if (!written)
			ck_assert_msg(h[i] == img[i], "setup byte 0x%x changed", i);
	}
	free(img);
	done();
}
END_TEST

START_TEST(no_initrd_no_cmdline)
{
	setup();
	struct fake p = fake_206();
	ck_assert_msg(boot(&p, 16 * MiB, 0, NULL, NULL, NULL) == 0, "%s", err);
	const uint8_t *h = F.key[FW_CFG_SETUP_DATA].data;
	EQ(get32(h + 0x218), 0);                  /* "Leave at zero if there is no initrd" */
	EQ(get32(h + 0x21c), 0);
	EQ(item32(FW_CFG_INITRD_SIZE), 0);
	EQ(F.key[FW_CFG_INITRD_DATA].len, 0);
	/* cmd_line_ptr must be filled in even without a command line: "" */
	ck_assert_uint_ne(get32(h + 0x228), 0);
	EQ(item32(FW_CFG_CMDLINE_SIZE), 1);
	EQ(F.key[FW_CFG_CMDLINE_DATA].data[0], 0);
	done();
}
END_TEST

START_TEST(initrd_below_initrd_addr_max)
{
	setup();
	struct fake p = fake_206();
	p.initrd_addr_max = 0x00ffffff;           /* must end within 16 MiB */
	ck_assert_msg(boot(&p, 256 * MiB, 100000, "", NULL, NULL) == 0, "%s", err);
	uint32_t ri = item32(FW_CFG_INITRD_ADDR);
	EQ(ri & 0xfff, 0);
	ck_assert_uint_le(ri + 100000, 0x01000000);
	/* near the end of the allowed memory, as boot loaders place it */
	ck_assert_uint_ge(ri + 100000, 0x01000000 - 0x2000);
	done();
}
END_TEST

START_TEST(initrd_protocol_202_limit)
{
	/* before 2.03 there is no initrd_addr_max: the maximum is 0x37FFFFFF */
	setup();
	struct fake p = fake_206();
	p.version = 0x202;
	p.initrd_addr_max = 0;                    /* not a field of 2.02: must be ignored */
	ck_assert_msg(boot(&p, 1536 * MiB, 4096, "", NULL, NULL) == 0, "%s", err);
	uint32_t ri = item32(FW_CFG_INITRD_ADDR);
	ck_assert_uint_le((uint64_t)ri + 4096, 0x38000000);
	ck_assert_uint_ge(ri, 0x100000 + p.pm_size);
	done();
}
END_TEST

START_TEST(initrd_above_init_size)
{
	/* 2.10+: the kernel needs init_size bytes from where it runs; for a
	 * relocatable kernel that is the load address rounded up to
	 * kernel_alignment, and at least pref_address */
	setup();
	struct fake p = fake_206();
	p.version = 0x20f;
	p.kernel_alignment = 0x200000;
	p.relocatable = 1;
	p.pref_address = 0x1000000;
	p.init_size = 20 * MiB;
	ck_assert_msg(boot(&p, 128 * MiB, 1 * MiB, "", NULL, NULL) == 0, "%s", err);
	ck_assert_uint_ge(item32(FW_CFG_INITRD_ADDR), 0x1000000 + 20 * MiB);
	done();
}
END_TEST

START_TEST(cmdline_size_limits)
{
	setup();
	struct fake p = fake_206();
	p.cmdline_size = 16;                      /* at most 16 characters */
	char s[300];
	memset(s, 'a', sizeof s);
	s[16] = 0;
	ck_assert_msg(boot(&p, 64 * MiB, 0, s, NULL, NULL) == 0, "%s", err);
	reset_items();
	s[16] = 'a';
	s[17] = 0;
	expect_error(boot(&p, 64 * MiB, 0, s, NULL, NULL), "17 characters, cmdline_size 16");

	/* before 2.06: 255 characters */
	p.version = 0x205;
	s[17] = 'a';
	s[256] = 0;
	expect_error(boot(&p, 64 * MiB, 0, s, NULL, NULL), "256 characters, protocol 2.05");
	s[255] = 0;
	ck_assert_msg(boot(&p, 64 * MiB, 0, s, NULL, NULL) == 0, "%s", err);
	done();
}
END_TEST

START_TEST(vga_option_sets_vid_mode)
{
	/* "vga=<mode> ... should be entered into the vid_mode field" */
	setup();
	struct fake p = fake_206();
	ck_assert_msg(boot(&p, 64 * MiB, 0, "quiet vga=ask", NULL, NULL) == 0, "%s", err);
	EQ(get16(F.key[FW_CFG_SETUP_DATA].data + 0x1fa), 0xfffd);
	reset_items();
	ck_assert_msg(boot(&p, 64 * MiB, 0, "vga=0x317 console=tty0", NULL, NULL) == 0, "%s", err);
	EQ(get16(F.key[FW_CFG_SETUP_DATA].data + 0x1fa), 0x317);
	done();
}
END_TEST

/* ---- errors ---- */

START_TEST(not_a_kernel)
{
	setup();
	static const char text[] = "#!/bin/sh\necho this is not a kernel\n";
	char *path = tmp_file((const uint8_t *)text, sizeof text - 1);
	expect_error(linuxboot_setup(&F, 64 * MiB, path, NULL, NULL, rom, rom_len, err, sizeof err),
		     "a shell script");
	ck_assert_msg(strstr(err, path) != NULL, "the message does not name the file: %s", err);
	drop_file(path);

	/* a 4 KiB file of zeros: no boot_flag, no "HdrS" */
	uint8_t zero[4096] = { 0 };
	path = tmp_file(zero, sizeof zero);
	expect_error(linuxboot_setup(&F, 64 * MiB, path, NULL, NULL, rom, rom_len, err, sizeof err),
		     "zeros");
	drop_file(path);

	/* boot_flag but no "HdrS": an "old" kernel */
	struct fake p = fake_206();
	p.version = 0;
	expect_error(boot(&p, 64 * MiB, 0, NULL, NULL, NULL), "no HdrS");
	done();
}
END_TEST

START_TEST(old_protocols_refused)
{
	setup();
	struct fake p = fake_206();
	p.version = 0x201;
	expect_error(boot(&p, 64 * MiB, 0, NULL, NULL, NULL), "protocol 2.01");
	ck_assert_msg(strstr(err, "2.01") != NULL, "the message does not give the version: %s", err);
	p = fake_206();
	p.loadflags = 0;                          /* LOADED_HIGH clear: a zImage */
	expect_error(boot(&p, 64 * MiB, 0, NULL, NULL, NULL), "zImage");
	done();
}
END_TEST

START_TEST(truncated_kernel)
{
	setup();
	struct fake p = fake_206();
	uint32_t n;
	uint8_t *img = fake_image(&p, &n);
	/* cut inside the real-mode part */
	char *path = tmp_file(img, setup_bytes(&p) - 100);
	expect_error(linuxboot_setup(&F, 64 * MiB, path, NULL, NULL, rom, rom_len, err, sizeof err),
		     "cut in the setup");
	drop_file(path);
	/* cut inside the protected-mode part: syssize (2.04+) says more */
	path = tmp_file(img, n - 4096);
	expect_error(linuxboot_setup(&F, 64 * MiB, path, NULL, NULL, rom, rom_len, err, sizeof err),
		     "cut in the kernel");
	drop_file(path);
	free(img);
	done();
}
END_TEST

/* syssize counts 16-byte paragraphs (boot.rst: "The size of the protected-mode
 * code in units of 16-byte paragraphs"), so a file may end inside the last
 * one: memtest86+ 6.10's ends 8 bytes before syssize * 16 */
START_TEST(syssize_rounds_up_to_a_paragraph)
{
	setup();
	struct fake p = fake_206();
	uint32_t n;
	uint8_t *img = fake_image(&p, &n);
	char *path = tmp_file(img, n - 8);
	ck_assert_msg(linuxboot_setup(&F, 64 * MiB, path, NULL, NULL, rom, rom_len, err, sizeof err) == 0,
		      "a file ending inside its last paragraph was refused: %s", err);
	drop_file(path);
	free(img);
	done();
}
END_TEST

START_TEST(missing_files)
{
	setup();
	const char *nowhere = "/nonexistent-shade86-dir/vmlinuz";
	expect_error(linuxboot_setup(&F, 64 * MiB, nowhere, NULL, NULL, rom, rom_len, err, sizeof err),
		     "missing kernel");
	ck_assert_msg(strstr(err, nowhere) && strstr(err, strerror(ENOENT)), "%s", err);

	struct fake p = fake_206();
	uint32_t n;
	uint8_t *img = fake_image(&p, &n);
	char *kpath = tmp_file(img, n);
	expect_error(linuxboot_setup(&F, 64 * MiB, kpath, "/nonexistent-shade86-dir/initrd", NULL,
				     rom, rom_len, err, sizeof err), "missing initrd");
	ck_assert_msg(strstr(err, "initrd") && strstr(err, strerror(ENOENT)), "%s", err);
	drop_file(kpath);
	free(img);
	done();
}
END_TEST

START_TEST(ram_too_small)
{
	setup();
	struct fake p = fake_206();
	p.pm_size = 3 * MiB;                      /* 1 MiB + 3 MiB > 2 MiB of RAM */
	expect_error(boot(&p, 2 * MiB, 0, NULL, NULL, NULL), "kernel larger than RAM");
	p.pm_size = 0x10000;
	expect_error(boot(&p, 8 * MiB, 8 * MiB, NULL, NULL, NULL), "initrd as large as RAM");
	p.version = 0x20f;                        /* init_size: 16 MiB + 20 MiB needed */
	p.kernel_alignment = 0x200000;
	p.relocatable = 1;
	p.pref_address = 0x1000000;
	p.init_size = 20 * MiB;
	expect_error(boot(&p, 32 * MiB, 0, NULL, NULL, NULL), "init_size beyond RAM");
	done();
}
END_TEST

/* ---- the option ROM ---- */

START_TEST(rom_checksums_and_boot_order)
{
	setup();
	/* a boot order the machine added first: ours goes in front of it */
	ck_assert_int_eq(fwcfg_add_file(&F, "bootorder", "/pci@i0cf8/*@1,1/drive@0/disk@0\n", 32), 0);
	struct fake p = fake_206();
	ck_assert_msg(boot(&p, 64 * MiB, 0, NULL, NULL, NULL) == 0, "%s", err);

	const struct fwcfg_item *r = file_item("genroms/linuxboot.bin");
	ck_assert_ptr_nonnull(r);
	EQ(r->data[0], 0x55);
	EQ(r->data[1], 0xaa);
	/* the size byte covers the image in 512-byte units; every byte sums to 0 */
	EQ(r->len % 512, 0);
	EQ(r->data[2] * 512u, r->len);
	ck_assert_uint_ge(r->len, rom_len);
	uint8_t sum = 0;
	for (uint32_t i = 0; i < r->len; i++)
		sum = (uint8_t)(sum + r->data[i]);
	EQ(sum, 0);
	/* SeaBIOS makes a boot entry only of a PnP ROM with a BEV */
	uint16_t pnp = get16(r->data + 0x1a);
	ck_assert(!memcmp(r->data + pnp, "$PnP", 4));
	uint32_t plen = r->data[pnp + 5] * 16u;
	sum = 0;
	for (uint32_t i = 0; i < plen; i++)
		sum = (uint8_t)(sum + r->data[pnp + i]);
	EQ(sum, 0);
	ck_assert_uint_ne(get16(r->data + pnp + 0x1a), 0);   /* BEV */
	/* the rest of the image is the assembled ROM */
	ck_assert(!memcmp(r->data + 3, rom + 3, pnp + 9 - 3));

	/* SeaBIOS names a fw_cfg ROM's entry "/rom@" + file name (src/boot.c) */
	const struct fwcfg_item *b = file_item("bootorder");
	ck_assert_ptr_nonnull(b);
	const char *first = "/rom@genroms/linuxboot.bin\n";
	ck_assert_uint_ge(b->len, strlen(first) + 32);
	ck_assert(!memcmp(b->data, first, strlen(first)));
	ck_assert(!memcmp(b->data + strlen(first), "/pci@i0cf8/*@1,1/drive@0/disk@0\n", 32));
	/* and the directory has the new size: entry {be32 size, be16 select, ...} */
	for (unsigned i = 0; i < F.nfiles; i++) {
		const uint8_t *e = F.dir.data + 4 + 64 * i;
		uint32_t sz = (uint32_t)e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3];
		EQ(sz, F.file[i].len);
	}
	done();
}
END_TEST

START_TEST(bootorder_created)
{
	setup();
	struct fake p = fake_206();
	ck_assert_msg(boot(&p, 64 * MiB, 0, NULL, NULL, NULL) == 0, "%s", err);
	const struct fwcfg_item *b = file_item("bootorder");
	ck_assert_ptr_nonnull(b);
	ck_assert(b->len >= 26 && !memcmp(b->data, "/rom@genroms/linuxboot.bin", 26));
	done();
}
END_TEST

/* where the test puts the ROM, as SeaBIOS would in 0xC0000-0xEFFFF */
#define ROM_SEG 0x8000u

/* Run from the BEV until the CPU reaches seg:off, an exception or a limit */
static bool run_until(uint16_t seg, uint32_t off)
{
	for (unsigned long i = 0; i < 20000000ul; i++) {
		if (CPU->seg[S_CS].sel == seg && CPU->eip == off)
			return true;
		enum cpu_exit x = h_step();
		ck_assert_msg(x == CPU_EXIT_NONE, "cpu exit %d at %04x:%04x", (int)x,
			      CPU->seg[S_CS].sel, CPU->eip);
		if (CPU->seg[S_CS].sel == seg && CPU->eip == off)
			return true;   /* (the target may be a fault stub) */
		ck_assert_msg(h_vector() < 0, "exception %d at %04x:%04x", h_vector(),
			      CPU->seg[S_CS].sel, CPU->eip);
	}
	return false;
}

static uint16_t start_bev(void)
{
	const struct fwcfg_item *r = file_item("genroms/linuxboot.bin");
	ck_assert_ptr_nonnull(r);
	h_poke_bytes(ROM_SEG << 4, r->data, r->len);
	uint16_t pnp = get16(r->data + 0x1a);
	uint16_t bev = get16(r->data + pnp + 0x1a);
	seg_load_real(CPU, S_CS, ROM_SEG);
	CPU->eip = bev;
	return bev;
}

START_TEST(rom_boots_kernel)
{
	/* the ROM's boot entry on the CPU, with the fw_cfg ports of the test
	 * machine: everything copied, then the kernel entered per "Running the
	 * Kernel" (segments, stack at the top of the heap, interrupts off) */
	setup();
	struct fake p = fake_206();
	uint8_t *img;
	uint32_t n;
	const char *cmdline = "console=ttyS0";
	/* the loader keeps the top 1 MiB of RAM for SeaBIOS's tables: claiming
	 * 3 MiB puts the initrd just below this machine's 2 MiB */
	ck_assert_msg(boot(&p, RAM_SIZE + MiB, 8192, cmdline, &img, &n) == 0, "%s", err);
	uint32_t saddr = item32(FW_CFG_SETUP_ADDR), ssize = item32(FW_CFG_SETUP_SIZE);
	uint32_t kaddr = item32(FW_CFG_KERNEL_ADDR), ksize = item32(FW_CFG_KERNEL_SIZE);
	uint32_t iaddr = item32(FW_CFG_INITRD_ADDR), caddr = item32(FW_CFG_CMDLINE_ADDR);
	start_bev();
	CPU->eflags |= 0x200;                     /* SeaBIOS calls it with IF set */
	uint16_t seg = (uint16_t)(saddr >> 4);
	ck_assert_msg(run_until((uint16_t)(seg + 0x20), 0), "the kernel was not entered");

	const uint8_t *ram = M->mem.ram;
	ck_assert(!memcmp(ram + saddr, F.key[FW_CFG_SETUP_DATA].data, ssize));
	ck_assert(!memcmp(ram + kaddr, img + ssize, ksize));
	EQ(ksize, n - ssize);
	for (uint32_t i = 0; i < 8192; i++)
		ck_assert(ram[iaddr + i] == (uint8_t)(i * 3 + 11));
	ck_assert_str_eq((const char *)ram + caddr, cmdline);

	for (int s = 0; s < 6; s++) {
		if (s == S_CS)
			continue;
		ck_assert_msg(CPU->seg[s].sel == seg && CPU->seg[s].base == saddr,
			      "segment %d = %04x", s, CPU->seg[s].sel);
	}
	EQ(CPU->cr0 & 1, 0);                      /* real mode */
	EQ(CPU->eflags & 0x200, 0);               /* interrupts disabled */
	/* SP at the top of the heap: above heap_end_ptr, at most its end */
	uint32_t heap_end = get16(ram + saddr + 0x224) + 0x200u;
	uint32_t sp = ESP & 0xffff;
	ck_assert_uint_gt(sp, heap_end - 0x200);
	ck_assert_uint_le(sp, heap_end);
	free(img);
	done();
}
END_TEST

START_TEST(rom_returns_without_kernel)
{
	/* a BEV that cannot boot returns to the BIOS, which tries the next device */
	setup();
	struct fake p = fake_206();
	ck_assert_msg(boot(&p, RAM_SIZE + MiB, 0, NULL, NULL, NULL) == 0, "%s", err);
	fwcfg_set_u32(&F, FW_CFG_KERNEL_SIZE, 0);
	start_bev();
	CPU->eflags |= 0x200;
	ESP -= 4;                                 /* far return to 0000:STUB_BASE */
	h_poke(ESP, 2, STUB_BASE);
	h_poke(ESP + 2, 2, 0);
	EAX = 0x12345678;
	EDX = 0x9abcdef0;
	uint32_t sp = ESP;
	ck_assert(run_until(0, STUB_BASE));
	EQ(ESP, sp + 4);
	EQ(EAX, 0x12345678);
	EQ(EDX, 0x9abcdef0);
	EQ(CPU->eflags & 0x200, 0x200);
	done();
}
END_TEST

Suite *linuxboot_suite(void)
{
	Suite *s = suite_create("linuxboot");
	TCase *tc = h_tcase("linuxboot");
	tcase_add_test(tc, items_and_header);
	tcase_add_test(tc, no_initrd_no_cmdline);
	tcase_add_test(tc, initrd_below_initrd_addr_max);
	tcase_add_test(tc, initrd_protocol_202_limit);
	tcase_add_test(tc, initrd_above_init_size);
	tcase_add_test(tc, cmdline_size_limits);
	tcase_add_test(tc, vga_option_sets_vid_mode);
	tcase_add_test(tc, not_a_kernel);
	tcase_add_test(tc, old_protocols_refused);
	tcase_add_test(tc, truncated_kernel);
	tcase_add_test(tc, syssize_rounds_up_to_a_paragraph);
	tcase_add_test(tc, missing_files);
	tcase_add_test(tc, ram_too_small);
	tcase_add_test(tc, rom_checksums_and_boot_order);
	tcase_add_test(tc, bootorder_created);
	tcase_add_test(tc, rom_boots_kernel);
	tcase_add_test(tc, rom_returns_without_kernel);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * ATA channel (devices/ata.c) and raw images (devices/disk.c), driven through
 * the legacy ports like a guest driver would, on small temporary image files.
 *
 * Expected values come from ATA/ATAPI-6 (T13/1410D): IDENTIFY DEVICE words
 * 60-61 (28-bit capacity, 0FFFFFFFh when larger), 83 bit 10 / 86 bit 10
 * (48-bit feature set), 100-103 (48-bit capacity), 47 (80h, max block), 255
 * (A5h plus checksum, 8.15.64); the PIO data-in protocol (9.7: an interrupt
 * at every DRQ block, none at the end), PIO data-out (9.8: none before the
 * first block, one after each), READ/WRITE MULTIPLE blocks of the SET
 * MULTIPLE MODE size, 48-bit register pairs read back through HOB (7.8),
 * CHS = (C x heads + H) x spt + S - 1 after INITIALIZE DEVICE PARAMETERS,
 * NOP and unknown commands aborted, out-of-range addresses IDNF/ABRT, the
 * reset signatures (9.12: 01h 01h 00h 00h for ATA, 01h 01h 14h EBh for packet
 * devices) and diagnostic code 01h, the PACKET protocol (9.10: interrupt
 * reason CoD/IO 1 then 2 per data block then 3 at completion, byte count in
 * LBA mid/high, limited by the host's byte count limit).  SCSI replies from
 * SPC-2 (INQUIRY byte 0 device type 05h, RMB; REQUEST SENSE fixed format 70h,
 * key 5 ILLEGAL REQUEST with ASC 20h for an unknown opcode) and MMC-3 (READ
 * CAPACITY: last LBA and 2048; READ TOC format 0 with the lead-out AAh, MSF =
 * LBA + 150 frames).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "suites.h"
#include "devices/ata.h"
#include "devices/disk.h"
#include "devices/state.h"
#include "mmu/mem.h"

#define CMD 0x1f0
#define CTL 0x3f6

struct irq_rec {
	bool level;
	unsigned rises;
};

static struct mem *mm;
static struct ata_channel *CH;
static struct disk *DK;       /* [0] master image, [1] slave image */
static struct irq_rec irq14;
static char paths[2][64];

static void rec_irq(void *opaque, int n, bool level)
{
	struct irq_rec *r = opaque;
	(void)n;
	if (level && !r->level)
		r->rises++;
	r->level = level;
}

static uint8_t pat(uint64_t lba, unsigned i)
{
	return (uint8_t)(lba * 13 + i * 7 + (i >> 8) + (lba >> 8));
}

/* a temporary image of n 512-byte sectors filled with pat(), or sparse */
static void make_image(int k, uint64_t sectors, bool fill)
{
	strcpy(paths[k], "/tmp/shade86-ata-XXXXXX");
	int fd = mkstemp(paths[k]);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(sectors * 512)), 0);
	if (fill) {
		uint8_t s[512];
		for (uint64_t l = 0; l < sectors; l++) {
			for (unsigned i = 0; i < 512; i++)
				s[i] = pat(l, i);
			ck_assert_int_eq(pwrite(fd, s, 512, (off_t)(l * 512)), 512);
		}
	}
	close(fd);
}

static void file_sector(int k, uint64_t lba, uint8_t *buf)
{
	int fd = open(paths[k], O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, 512, (off_t)(lba * 512)), 512);
	close(fd);
}

static void ata_setup(void)
{
	mm = calloc(1, sizeof(*mm));
	ck_assert_ptr_nonnull(mm);
	ck_assert_int_eq(mem_init(mm, 64 << 10), 0);
	memset(&irq14, 0, sizeof(irq14));
	CH = calloc(1, sizeof(*CH));
	DK = calloc(2, sizeof(*DK));
	ck_assert_ptr_nonnull(CH);
	ck_assert_ptr_nonnull(DK);
	DK[0].fd = DK[1].fd = DK[0].overlay_fd = DK[1].overlay_fd = -1;
	ata_init(CH, (struct irq_line){ rec_irq, &irq14, 14 });
	ck_assert_int_eq(ata_register_ports(CH, mm, CMD, CTL), 0);
	paths[0][0] = paths[1][0] = 0;
}

static void ata_teardown(void)
{
	for (int k = 0; k < 2; k++) {
		disk_close(&DK[k]);
		if (paths[k][0])
			unlink(paths[k]);
	}
	free(DK);
	free(CH);
	mem_free(mm);
	free(mm);
}

static void outb(uint16_t p, uint8_t v) { io_out(mm, p, v, 1); }
static uint8_t inb(uint16_t p) { return (uint8_t)io_in(mm, p, 1); }
static uint16_t inw(uint16_t p) { return (uint16_t)io_in(mm, p, 2); }
static void outw(uint16_t p, uint16_t v) { io_out(mm, p, v, 2); }

/* a disk of n sectors as master (mode), optionally a CD-ROM image as slave */
static void attach_disk(uint64_t n, enum disk_mode mode, bool fill)
{
	make_image(0, n, fill);
	ck_assert_msg(disk_open(&DK[0], paths[0], mode) == 0, "%s", DK[0].error);
	ck_assert_int_eq(ata_attach(CH, 0, ATA_DISK, &DK[0]), 0);
}

static void attach_cd(int unit, uint32_t blocks)
{
	make_image(1, (uint64_t)blocks * 4, true);
	ck_assert_msg(disk_open(&DK[1], paths[1], DISK_RO) == 0, "%s", DK[1].error);
	ck_assert_int_eq(ata_attach(CH, unit, ATA_CDROM, &DK[1]), 0);
}

static uint8_t status(void) { return inb(CMD + 7); }

/* 28-bit task file then the command */
static void cmd28(uint8_t cmd, uint32_t lba, uint8_t count)
{
	outb(CMD + 6, (uint8_t)(0xe0 | (lba >> 24 & 0x0f)));
	outb(CMD + 2, count);
	outb(CMD + 3, (uint8_t)lba);
	outb(CMD + 4, (uint8_t)(lba >> 8));
	outb(CMD + 5, (uint8_t)(lba >> 16));
	outb(CMD + 7, cmd);
}

/* 48-bit: high bytes first (the previous contents), then the low bytes */
static void cmd48(uint8_t cmd, uint64_t lba, uint16_t count)
{
	outb(CMD + 6, 0x40);
	outb(CMD + 2, (uint8_t)(count >> 8));
	outb(CMD + 3, (uint8_t)(lba >> 24));
	outb(CMD + 4, (uint8_t)(lba >> 32));
	outb(CMD + 5, (uint8_t)(lba >> 40));
	outb(CMD + 2, (uint8_t)count);
	outb(CMD + 3, (uint8_t)lba);
	outb(CMD + 4, (uint8_t)(lba >> 8));
	outb(CMD + 5, (uint8_t)(lba >> 16));
	outb(CMD + 7, cmd);
}

static void read_words(uint16_t *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		w[i] = inw(CMD);
}

static void check_sector(const uint16_t *w, uint64_t lba)
{
	for (unsigned i = 0; i < 256; i++) {
		uint16_t e = (uint16_t)(pat(lba, 2 * i) | pat(lba, 2 * i + 1) << 8);
		ck_assert_msg(w[i] == e, "lba %llu word %u: %04x, expected %04x",
			      (unsigned long long)lba, i, w[i], e);
	}
}

static void identify(uint16_t *w)
{
	unsigned r = irq14.rises;
	outb(CMD + 6, 0xa0);
	outb(CMD + 7, 0xec);
	EQ(inb(CTL) & (ATA_ST_BSY | ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
	EQ(irq14.rises, r + 1);
	EQ(status() & ATA_ST_DRQ, ATA_ST_DRQ);
	ck_assert(!irq14.level);   /* reading status acknowledged it */
	read_words(w, 256);
	EQ(status() & (ATA_ST_DRQ | ATA_ST_BSY | ATA_ST_DRDY), ATA_ST_DRDY);
	EQ(irq14.rises, r + 1);     /* no interrupt at the end of data-in */
}

START_TEST(identify_words)
{
	attach_disk(5000, DISK_RW, false);
	uint16_t w[256];
	identify(w);
	EQ(w[0] & 0x8000, 0);                 /* ATA device */
	EQ(w[60] | (uint32_t)w[61] << 16, 5000);
	EQ(w[100], 5000);
	EQ(w[101], 0);
	EQ(w[102], 0);
	EQ(w[103], 0);
	EQ(w[83] & 0xc400, 0x4400);           /* bit 14 one, 15 zero, 48-bit supported */
	EQ(w[86] & 0x0400, 0x0400);           /* 48-bit enabled */
	EQ(w[83] & 0x3000, 0x3000);           /* FLUSH CACHE and FLUSH CACHE EXT */
	EQ(w[49] & 0x0200, 0x0200);           /* LBA */
	EQ(w[47] >> 8, 0x80);
	ck_assert_uint_ge(w[47] & 0xff, 1);
	/* the current CHS capacity (57-58) is cylinders x heads x sectors (54-56) */
	EQ(w[57] | (uint32_t)w[58] << 16, (uint32_t)w[54] * w[55] * w[56]);
	ck_assert_uint_le((uint32_t)w[54] * w[55] * w[56], 5000);
	/* model: two characters per word, the first in the high byte */
	char model[41];
	for (int i = 0; i < 20; i++) {
		model[2 * i] = (char)(w[27 + i] >> 8);
		model[2 * i + 1] = (char)w[27 + i];
	}
	model[40] = 0;
	ck_assert_msg(!strncmp(model, "SHADE86 HARDDISK    ", 20), "model '%s'", model);
	EQ(w[255] & 0xff, 0xa5);
	uint8_t sum = 0;
	for (int i = 0; i < 256; i++)
		sum = (uint8_t)(sum + (w[i] & 0xff) + (w[i] >> 8));
	EQ(sum, 0);
}
END_TEST

START_TEST(identify_large_and_lba48_read)
{
	/* sparse image larger than 28 bits can address */
	uint64_t n = 0x10000000ull + 64;
	attach_disk(n, DISK_RW, false);
	uint64_t lba = 0x10000010ull;
	uint8_t s[512];
	for (unsigned i = 0; i < 512; i++)
		s[i] = pat(lba, i);
	int fd = open(paths[0], O_WRONLY);
	ck_assert_int_eq(pwrite(fd, s, 512, (off_t)(lba * 512)), 512);
	close(fd);
	uint16_t w[256];
	identify(w);
	EQ(w[60] | (uint32_t)w[61] << 16, 0x0fffffff);
	EQ64(w[100] | (uint64_t)w[101] << 16 | (uint64_t)w[102] << 32 | (uint64_t)w[103] << 48, n);
	/* READ SECTORS EXT of that sector */
	cmd48(0x24, lba, 1);
	EQ(status() & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
	read_words(w, 256);
	check_sector(w, lba);
	/* LBA28 cannot reach it: the address wraps into 28 bits -> sector 0x10 */
	cmd28(0x20, (uint32_t)lba, 1);
	EQ(status() & ATA_ST_ERR, 0);
	read_words(w, 256);
	EQ(w[0], 0);
	/* the 48-bit registers: HOB reads the previous (high) bytes */
	cmd48(0x40 + 2, 0x123456789aull, 1);   /* READ VERIFY EXT: no data */
	EQ(status() & ATA_ST_ERR, ATA_ST_ERR); /* beyond the capacity */
}
END_TEST

START_TEST(hob_readback)
{
	attach_disk(64, DISK_RW, true);
	outb(CMD + 4, 0x11);
	outb(CMD + 4, 0x22);
	EQ(inb(CMD + 4), 0x22);
	outb(CTL, ATA_DC_HOB);
	EQ(inb(CMD + 4), 0x11);
	outb(CMD + 3, 0x33);          /* a command block write clears HOB */
	EQ(inb(CMD + 4), 0x22);
}
END_TEST

START_TEST(lba28_read_multi_sector)
{
	attach_disk(64, DISK_RW, true);
	unsigned r = irq14.rises;
	cmd28(0x20, 7, 3);
	uint16_t w[256];
	for (unsigned s = 0; s < 3; s++) {
		EQ(irq14.rises, r + s + 1);   /* one interrupt per sector (block of 1) */
		EQ(status() & (ATA_ST_DRQ | ATA_ST_BSY | ATA_ST_ERR), ATA_ST_DRQ);
		read_words(w, 256);
		check_sector(w, 7 + s);
	}
	EQ(irq14.rises, r + 3);
	EQ(status() & (ATA_ST_DRQ | ATA_ST_ERR | ATA_ST_DRDY), ATA_ST_DRDY);
}
END_TEST

START_TEST(lba28_count_zero_is_256)
{
	attach_disk(300, DISK_RW, true);
	cmd28(0x20, 10, 0);
	uint16_t w[256];
	for (unsigned s = 0; s < 256; s++) {
		EQ(status() & ATA_ST_DRQ, ATA_ST_DRQ);
		read_words(w, 256);
		if (s == 0 || s == 255)
			check_sector(w, 10 + s);
	}
	EQ(status() & ATA_ST_DRQ, 0);
}
END_TEST

START_TEST(dword_data_port)
{
	attach_disk(16, DISK_RW, true);
	cmd28(0x20, 5, 1);
	uint16_t w[256];
	for (unsigned i = 0; i < 128; i++) {
		uint32_t v = io_in(mm, CMD, 4);
		w[2 * i] = (uint16_t)v;
		w[2 * i + 1] = (uint16_t)(v >> 16);
	}
	check_sector(w, 5);
	EQ(status() & ATA_ST_DRQ, 0);
}
END_TEST

/* word i of a written sector: bytes (seed + lba + byte index) mod 256 */
static uint16_t wword(uint8_t seed, uint64_t lba, unsigned i)
{
	return (uint16_t)(((seed + lba + 2 * i) & 0xff) | ((seed + lba + 2 * i + 1) & 0xff) << 8);
}

static void write_sector_words(uint64_t lba, uint8_t seed)
{
	for (unsigned i = 0; i < 256; i++)
		outw(CMD, wword(seed, lba, i));
}

static void check_written(int k, uint64_t lba, uint8_t seed)
{
	uint8_t b[512];
	file_sector(k, lba, b);
	for (unsigned i = 0; i < 512; i++)
		ck_assert_msg(b[i] == (uint8_t)(seed + lba + i), "lba %llu byte %u",
			      (unsigned long long)lba, i);
}

START_TEST(lba48_write_roundtrip)
{
	attach_disk(64, DISK_RW, true);
	unsigned r = irq14.rises;
	cmd48(0x34, 20, 2);
	EQ(irq14.rises, r);   /* no interrupt before the first block */
	EQ(inb(CTL) & (ATA_ST_DRQ | ATA_ST_BSY), ATA_ST_DRQ);
	write_sector_words(20, 0x40);
	EQ(irq14.rises, r + 1);
	EQ(status() & ATA_ST_DRQ, ATA_ST_DRQ);
	write_sector_words(21, 0x40);
	EQ(irq14.rises, r + 2);   /* completion */
	EQ(status() & (ATA_ST_DRQ | ATA_ST_ERR | ATA_ST_DRDY), ATA_ST_DRDY);
	check_written(0, 20, 0x40);
	check_written(0, 21, 0x40);
	/* the neighbours are untouched */
	uint8_t b[512];
	file_sector(0, 22, b);
	EQ(b[0], pat(22, 0));
	/* and READ SECTORS EXT sees the data */
	cmd48(0x24, 21, 1);
	for (unsigned i = 0; i < 256; i++)
		EQ(inw(CMD), wword(0x40, 21, i));
}
END_TEST

START_TEST(read_multiple_blocks)
{
	attach_disk(64, DISK_RW, true);
	cmd28(0xc4, 0, 4);          /* READ MULTIPLE before SET MULTIPLE MODE: aborted */
	EQ(status() & ATA_ST_ERR, ATA_ST_ERR);
	EQ(inb(CMD + 1) & ATA_ER_ABRT, ATA_ER_ABRT);
	outb(CMD + 2, 3);           /* not a power of two: aborted */
	outb(CMD + 7, 0xc6);
	EQ(status() & ATA_ST_ERR, ATA_ST_ERR);
	outb(CMD + 2, 4);
	outb(CMD + 7, 0xc6);
	EQ(status() & ATA_ST_ERR, 0);
	uint16_t w[256];
	identify(w);
	EQ(w[59], 0x0104);          /* multiple setting valid, 4 */
	unsigned r = irq14.rises;
	cmd28(0xc4, 30, 10);        /* blocks of 4, 4, 2 */
	unsigned blocks[] = { 4, 4, 2 }, lba = 30;
	for (unsigned b = 0; b < 3; b++) {
		EQ(irq14.rises, r + b + 1);
		status();
		for (unsigned s = 0; s < blocks[b]; s++) {
			EQ(inb(CTL) & ATA_ST_DRQ, ATA_ST_DRQ);
			read_words(w, 256);
			check_sector(w, lba++);
		}
	}
	EQ(irq14.rises, r + 3);
	EQ(status() & ATA_ST_DRQ, 0);
	/* WRITE MULTIPLE EXT: an interrupt per block of 4 */
	r = irq14.rises;
	cmd48(0x39, 40, 6);
	for (unsigned s = 0; s < 6; s++) {
		EQ(irq14.rises, r + (s >= 4));
		write_sector_words(40 + s, 9);
		if (s == 3)
			status();   /* acknowledge the block's interrupt, as a driver does */
	}
	EQ(irq14.rises, r + 2);
	for (unsigned s = 0; s < 6; s++)
		check_written(0, 40 + s, 9);
}
END_TEST

START_TEST(snapshot_overlay)
{
	attach_disk(32, DISK_SNAPSHOT, true);
	cmd28(0x30, 3, 1);
	write_sector_words(3, 0x77);
	EQ(status() & (ATA_ST_ERR | ATA_ST_DRQ), 0);
	uint8_t b[512];
	file_sector(0, 3, b);          /* the image is untouched */
	for (unsigned i = 0; i < 512; i++)
		EQ(b[i], pat(3, i));
	cmd28(0x20, 2, 3);             /* reads see the write, and the rest of the image */
	uint16_t w[256];
	read_words(w, 256);
	check_sector(w, 2);
	for (unsigned i = 0; i < 256; i++)
		EQ(inw(CMD), wword(0x77, 3, i));
	read_words(w, 256);
	check_sector(w, 4);
	outb(CMD + 7, 0xe7);
	EQ(status() & ATA_ST_ERR, 0);
	EQ(DK[0].flushes, 0);          /* nothing to make durable */
}
END_TEST

START_TEST(flush_cache_fsyncs)
{
	attach_disk(32, DISK_RW, true);
	unsigned r = irq14.rises;
	outb(CMD + 7, 0xe7);           /* FLUSH CACHE */
	EQ(irq14.rises, r + 1);
	EQ(status() & (ATA_ST_ERR | ATA_ST_DRDY | ATA_ST_BSY), ATA_ST_DRDY);
	EQ(DK[0].flushes, 1);
	outb(CMD + 7, 0xea);           /* FLUSH CACHE EXT */
	EQ(DK[0].flushes, 2);
	/* with the write cache disabled every write is flushed */
	outb(CMD + 1, 0x82);
	outb(CMD + 7, 0xef);
	EQ(status() & ATA_ST_ERR, 0);
	uint16_t w[256];
	identify(w);
	EQ(w[85] & 0x0020, 0);
	cmd28(0x30, 1, 1);
	write_sector_words(1, 1);
	EQ(DK[0].flushes, 3);
}
END_TEST

START_TEST(chs_addressing)
{
	attach_disk(200, DISK_RW, true);
	outb(CMD + 6, 0xa0 | 3);       /* 4 heads */
	outb(CMD + 2, 17);             /* 17 sectors per track */
	outb(CMD + 7, 0x91);
	EQ(status() & ATA_ST_ERR, 0);
	/* C 1, H 2, S 3 -> (1 x 4 + 2) x 17 + 3 - 1 = 104 */
	outb(CMD + 6, 0xa0 | 2);
	outb(CMD + 2, 1);
	outb(CMD + 3, 3);
	outb(CMD + 4, 1);
	outb(CMD + 5, 0);
	outb(CMD + 7, 0x20);
	EQ(status() & (ATA_ST_ERR | ATA_ST_DRQ), ATA_ST_DRQ);
	uint16_t w[256];
	read_words(w, 256);
	check_sector(w, 104);
	outb(CMD + 3, 0);              /* sector 0 does not exist */
	outb(CMD + 7, 0x20);
	EQ(status() & ATA_ST_ERR, ATA_ST_ERR);
}
END_TEST

START_TEST(error_paths)
{
	attach_disk(32, DISK_RW, true);
	unsigned r = irq14.rises;
	cmd28(0x20, 32, 1);            /* first LBA past the end */
	EQ(irq14.rises, r + 1);
	uint8_t st = status();
	EQ(st & (ATA_ST_ERR | ATA_ST_DRQ), ATA_ST_ERR);
	ck_assert(inb(CMD + 1) & (ATA_ER_IDNF | ATA_ER_ABRT));
	cmd28(0x20, 30, 3);            /* runs past the end */
	EQ(status() & ATA_ST_ERR, ATA_ST_ERR);
	cmd48(0x34, 31, 2);
	EQ(status() & (ATA_ST_ERR | ATA_ST_DRQ), ATA_ST_ERR);
	outb(CMD + 7, 0x00);           /* NOP: always aborted */
	EQ(status() & ATA_ST_ERR, ATA_ST_ERR);
	EQ(inb(CMD + 1), ATA_ER_ABRT);
	outb(CMD + 7, 0xa0);           /* PACKET to an ATA disk */
	EQ(status() & ATA_ST_ERR, ATA_ST_ERR);
	EQ(inb(CMD + 1), ATA_ER_ABRT);
	outb(CMD + 7, 0xa1);           /* IDENTIFY PACKET DEVICE to an ATA disk */
	EQ(inb(CMD + 1), ATA_ER_ABRT);
	/* a good command clears the error */
	cmd28(0x40, 0, 1);
	EQ(status() & ATA_ST_ERR, 0);
	EQ(inb(CMD + 1), 0);
}
END_TEST

START_TEST(nien_masks_interrupt)
{
	attach_disk(32, DISK_RW, true);
	outb(CTL, ATA_DC_NIEN);
	unsigned r = irq14.rises;
	outb(CMD + 7, 0xe7);
	EQ(irq14.rises, r);
	outb(CTL, 0);                  /* the pending interrupt appears */
	EQ(irq14.rises, r + 1);
	status();
	ck_assert(!irq14.level);
}
END_TEST

START_TEST(srst_signatures)
{
	attach_disk(32, DISK_RW, true);
	attach_cd(1, 16);
	outb(CMD + 3, 0x55);
	outb(CTL, ATA_DC_SRST);
	EQ(inb(CTL) & ATA_ST_BSY, ATA_ST_BSY);
	outb(CTL, 0);
	EQ(inb(CMD + 6) & 0x10, 0);    /* device 0 selected */
	EQ(inb(CMD + 2), 1);
	EQ(inb(CMD + 3), 1);
	EQ(inb(CMD + 4), 0);
	EQ(inb(CMD + 5), 0);
	EQ(inb(CMD + 1), 0x01);
	EQ(status() & (ATA_ST_BSY | ATA_ST_DRDY), ATA_ST_DRDY);
	outb(CMD + 6, 0xb0);
	EQ(inb(CMD + 2), 1);
	EQ(inb(CMD + 3), 1);
	EQ(inb(CMD + 4), 0x14);
	EQ(inb(CMD + 5), 0xeb);
	EQ(inb(CMD + 1), 0x01);
	EQ(status() & ATA_ST_BSY, 0);
	/* IDENTIFY DEVICE to the packet device: aborted, signature in place */
	outb(CMD + 4, 0);
	outb(CMD + 7, 0xec);
	EQ(status() & ATA_ST_ERR, ATA_ST_ERR);
	EQ(inb(CMD + 1) & ATA_ER_ABRT, ATA_ER_ABRT);
	EQ(inb(CMD + 4), 0x14);
	EQ(inb(CMD + 5), 0xeb);
	/* IDENTIFY PACKET DEVICE */
	outb(CMD + 7, 0xa1);
	EQ(status() & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
	uint16_t w[256];
	read_words(w, 256);
	EQ(w[0] >> 14, 2);             /* ATAPI */
	EQ(w[0] >> 8 & 0x1f, 0x05);    /* CD-ROM */
	EQ(w[0] & 3, 0);               /* 12-byte packets */
	EQ(w[0] & 0x80, 0x80);         /* removable */
}
END_TEST

START_TEST(absent_slave_and_empty_channel)
{
	/* nothing on the bus: all ones */
	EQ(inb(CMD + 7), 0xff);
	EQ(inb(CTL), 0xff);
	attach_disk(32, DISK_RW, true);
	outb(CMD + 6, 0xb0);           /* select the missing device 1 */
	outb(CMD + 2, 0x55);
	EQ(inb(CMD + 7), 0);
	EQ(inb(CMD + 2), 0);
	unsigned r = irq14.rises;
	outb(CMD + 7, 0xec);           /* ignored */
	EQ(irq14.rises, r);
	outb(CMD + 6, 0xa0);
	EQ(inb(CMD + 2), 0x55);        /* device 0 latched the write */
}
END_TEST

/* PACKET: send the CDB with the byte count limit */
static void packet(const uint8_t *cdb, uint16_t limit)
{
	outb(CMD + 1, 0);
	outb(CMD + 4, (uint8_t)limit);
	outb(CMD + 5, (uint8_t)(limit >> 8));
	outb(CMD + 7, 0xa0);
	EQ(inb(CTL) & (ATA_ST_DRQ | ATA_ST_BSY | ATA_ST_ERR), ATA_ST_DRQ);
	EQ(inb(CMD + 2) & 3, 1);       /* CoD, to the device */
	for (int i = 0; i < 12; i += 2)
		outw(CMD, (uint16_t)(cdb[i] | cdb[i + 1] << 8));
}

/* read a data-in reply of total bytes in DRQ blocks of at most limit */
static unsigned pkt_data(uint8_t *buf, unsigned total, unsigned limit)
{
	unsigned got = 0, blocks = 0;
	while (got < total) {
		uint8_t st = status();
		ck_assert_msg((st & (ATA_ST_DRQ | ATA_ST_ERR)) == ATA_ST_DRQ, "status %02x at %u", st, got);
		EQ(inb(CMD + 2) & 3, 2);   /* IO, to the host */
		unsigned n = inb(CMD + 4) | inb(CMD + 5) << 8;
		ck_assert_uint_le(n, limit);
		ck_assert_uint_gt(n, 0);
		for (unsigned i = 0; i < n; i += 2) {
			uint16_t v = inw(CMD);
			buf[got + i] = (uint8_t)v;
			buf[got + i + 1] = (uint8_t)(v >> 8);
		}
		got += n;
		blocks++;
	}
	EQ(got, total);
	return blocks;
}

static void pkt_complete_ok(void)
{
	EQ(status() & (ATA_ST_DRQ | ATA_ST_ERR | ATA_ST_BSY), 0);
	EQ(inb(CMD + 2) & 3, 3);       /* IO | CoD: status */
}

START_TEST(atapi_inquiry_capacity)
{
	attach_cd(0, 300);
	uint8_t b[64];
	unsigned r = irq14.rises;
	static const uint8_t inq[12] = { 0x12, 0, 0, 0, 36, 0 };
	packet(inq, 0x200);
	EQ(irq14.rises, r + 1);        /* data ready */
	pkt_data(b, 36, 0x200);
	EQ(irq14.rises, r + 2);        /* completion */
	pkt_complete_ok();
	EQ(b[0] & 0x1f, 0x05);
	EQ(b[1] & 0x80, 0x80);
	EQ(b[4], 31);
	/* a short allocation length truncates */
	static const uint8_t inq5[12] = { 0x12, 0, 0, 0, 5, 0 };
	packet(inq5, 0x200);
	pkt_data(b, 5, 0x200);
	pkt_complete_ok();
	static const uint8_t cap[12] = { 0x25 };
	packet(cap, 8);
	pkt_data(b, 8, 8);
	pkt_complete_ok();
	EQ(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3], 299);
	EQ(b[4] << 24 | b[5] << 16 | b[6] << 8 | b[7], 2048);
	static const uint8_t tur[12] = { 0x00 };
	r = irq14.rises;
	packet(tur, 0);
	EQ(irq14.rises, r + 1);
	pkt_complete_ok();
}
END_TEST

static void check_block(const uint8_t *b, uint32_t blk)
{
	for (unsigned i = 0; i < 2048; i++)
		ck_assert_msg(b[i] == pat(blk * 4 + i / 512, i % 512), "block %u byte %u", blk, i);
}

START_TEST(atapi_read10_12)
{
	attach_cd(0, 300);
	static uint8_t b[4 * 2048];
	static const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 17, 0, 0, 1 };
	packet(rd, 2048);
	EQ(pkt_data(b, 2048, 2048), 1);
	pkt_complete_ok();
	check_block(b, 17);
	/* three blocks with a limit of 1000: byte counts 1000, ... */
	static const uint8_t rd12[12] = { 0xa8, 0, 0, 0, 1, 0x00, 0, 0, 0, 3 };
	packet(rd12, 1000);
	unsigned blocks = pkt_data(b, 3 * 2048, 1000);
	ck_assert_uint_ge(blocks, 7);
	pkt_complete_ok();
	for (unsigned k = 0; k < 3; k++)
		check_block(b + k * 2048, 0x100 + k);
	/* out of range: CHECK CONDITION, ILLEGAL REQUEST, LBA out of range */
	static const uint8_t bad[12] = { 0x28, 0, 0, 0, 1, 0x2b, 0, 0, 2 };
	packet(bad, 2048);
	EQ(status() & (ATA_ST_ERR | ATA_ST_DRQ), ATA_ST_ERR);
	EQ(inb(CMD + 1) >> 4, 5);
	EQ(inb(CMD + 2) & 3, 3);
	static const uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
	packet(rs, 18);
	pkt_data(b, 18, 18);
	pkt_complete_ok();
	EQ(b[0] & 0x7f, 0x70);
	EQ(b[2] & 0x0f, 5);
	EQ(b[12], 0x21);
}
END_TEST

START_TEST(atapi_unknown_and_sense)
{
	attach_cd(0, 16);
	uint8_t b[32];
	static const uint8_t unk[12] = { 0xff };
	packet(unk, 64);
	EQ(status() & (ATA_ST_ERR | ATA_ST_DRQ), ATA_ST_ERR);
	EQ(inb(CMD + 1) >> 4, 5);
	static const uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
	packet(rs, 64);
	pkt_data(b, 18, 64);
	pkt_complete_ok();
	EQ(b[0] & 0x7f, 0x70);
	EQ(b[2] & 0x0f, 5);
	EQ(b[7], 10);
	EQ(b[12], 0x20);
	EQ(b[13], 0);
	/* the sense is consumed */
	packet(rs, 64);
	pkt_data(b, 18, 64);
	EQ(b[2] & 0x0f, 0);
}
END_TEST

START_TEST(atapi_toc)
{
	attach_cd(0, 300);
	uint8_t b[64];
	static const uint8_t toc[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 64 };
	packet(toc, 64);
	pkt_data(b, 20, 64);
	pkt_complete_ok();
	EQ(b[0] << 8 | b[1], 18);      /* data length excludes itself */
	EQ(b[2], 1);
	EQ(b[3], 1);
	EQ(b[4 + 2], 1);               /* track 1 at LBA 0 */
	EQ(b[4 + 1] & 0x0f, 4);        /* data track */
	EQ(b[8] | b[9] | b[10] | b[11], 0);
	EQ(b[12 + 2], 0xaa);           /* lead-out at 300 */
	EQ(b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19], 300);
	static const uint8_t tocm[12] = { 0x43, 0x02, 0, 0, 0, 0, 0, 0, 64 };
	packet(tocm, 64);
	pkt_data(b, 20, 64);
	pkt_complete_ok();
	/* MSF: 0 + 150 frames = 00:02:00; 300 + 150 = 450 frames = 00:06:00 */
	EQ(b[9], 0);
	EQ(b[10], 2);
	EQ(b[11], 0);
	EQ(b[17], 0);
	EQ(b[18], 6);
	EQ(b[19], 0);
}
END_TEST

START_TEST(execute_device_diagnostic)
{
	attach_disk(32, DISK_RW, true);
	attach_cd(1, 16);
	outb(CMD + 6, 0xb0);
	unsigned r = irq14.rises;
	outb(CMD + 7, 0x90);           /* both devices run it; device 0 interrupts (8.11) */
	EQ(irq14.rises, r + 1);
	EQ(inb(CMD + 6) & 0x10, 0);
	EQ(inb(CMD + 1), 0x01);        /* device 0 passed, device 1 passed */
	EQ(inb(CMD + 4), 0);
	status();
	ck_assert(!irq14.level);
	outb(CMD + 6, 0xb0);
	EQ(inb(CMD + 1), 0x01);
	EQ(inb(CMD + 4), 0x14);
	EQ(inb(CMD + 5), 0xeb);
}
END_TEST

START_TEST(atapi_mode_sense_config)
{
	attach_cd(0, 16);
	uint8_t b[64];
	/* MODE SENSE(10), page 2Ah: 8-byte header, page code and length 12h */
	static const uint8_t ms[12] = { 0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64 };
	packet(ms, 64);
	pkt_data(b, 28, 64);
	pkt_complete_ok();
	EQ(b[0] << 8 | b[1], 26);
	EQ(b[8] & 0x3f, 0x2a);
	EQ(b[9], 0x12);
	/* GET CONFIGURATION: current profile 0008h (CD-ROM) */
	static const uint8_t gc[12] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 64 };
	packet(gc, 64);
	pkt_data(b, 16, 64);
	pkt_complete_ok();
	EQ(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3], 12);
	EQ(b[6] << 8 | b[7], 0x0008);
	/* PREVENT, then an eject request is refused (ASC 53h/02h) */
	static const uint8_t pr[12] = { 0x1e, 0, 0, 0, 1 };
	packet(pr, 0);
	pkt_complete_ok();
	static const uint8_t ej[12] = { 0x1b, 0, 0, 0, 2 };
	packet(ej, 0);
	EQ(status() & ATA_ST_ERR, ATA_ST_ERR);
	EQ(inb(CMD + 1) >> 4, 5);
}
END_TEST

START_TEST(save_load_mid_transfer)
{
	attach_disk(64, DISK_RW, true);
	cmd28(0x20, 12, 2);
	uint16_t w[256];
	read_words(w, 100);
	struct state_writer sw;
	sw_init(&sw);
	ata_save(CH, &sw);
	ck_assert(!sw.error);
	read_words(w + 100, 156);      /* finish the sector on the original */
	check_sector(w, 12);
	struct ata_channel *c2 = calloc(1, sizeof(*c2));
	ck_assert_ptr_nonnull(c2);
	ata_init(c2, (struct irq_line){ 0 });
	ck_assert_int_eq(ata_attach(c2, 0, ATA_DISK, &DK[0]), 0);
	struct state_reader sr;
	sr_init(&sr, sw.buf, sw.len);
	ck_assert_int_eq(ata_load(c2, &sr), 0);
	for (unsigned i = 100; i < 256; i++)
		w[i] = (uint16_t)ata_cmd_read(c2, 0, 2);
	check_sector(w, 12);
	EQ(ata_cmd_read(c2, 7, 1) & ATA_ST_DRQ, ATA_ST_DRQ);   /* the second sector */
	for (unsigned i = 0; i < 256; i++)
		w[i] = (uint16_t)ata_cmd_read(c2, 0, 2);
	check_sector(w, 13);
	/* truncated state fails */
	sr_init(&sr, sw.buf, sw.len - 1);
	ck_assert_int_eq(ata_load(c2, &sr), -1);
	/* a different device configuration fails */
	struct ata_channel *c3 = calloc(1, sizeof(*c3));
	ck_assert_ptr_nonnull(c3);
	ata_init(c3, (struct irq_line){ 0 });
	sr_init(&sr, sw.buf, sw.len);
	ck_assert_int_eq(ata_load(c3, &sr), -1);
	free(c3);
	free(c2);
	sw_free(&sw);
}
END_TEST

START_TEST(disk_errors)
{
	struct disk d;
	ck_assert_int_eq(disk_open(&d, "/tmp/shade86-no-such-image.img", DISK_RW), -1);
	ck_assert_msg(strstr(d.error, "no such file") != NULL, "%s", d.error);
	make_image(0, 0, false);
	ck_assert_int_eq(disk_open(&d, paths[0], DISK_RW), -1);
	ck_assert_msg(strstr(d.error, "empty") != NULL, "%s", d.error);
	ck_assert_int_eq(disk_open(&d, "/tmp", DISK_RO), -1);
	ck_assert_msg(strstr(d.error, "directory") != NULL, "%s", d.error);
	if (geteuid() != 0) {   /* root may write anything: nothing to observe */
		make_image(1, 4, false);
		ck_assert_int_eq(chmod(paths[1], 0444), 0);
		ck_assert_int_eq(disk_open(&d, paths[1], DISK_RW), -1);
		ck_assert_msg(strstr(d.error, "read-only") != NULL, "%s", d.error);
		ck_assert_int_eq(disk_open(&d, paths[1], DISK_SNAPSHOT), 0);
		disk_close(&d);
		ck_assert_int_eq(chmod(paths[1], 0), 0);
		ck_assert_int_eq(disk_open(&d, paths[1], DISK_RO), -1);
		ck_assert_msg(strstr(d.error, "not readable") != NULL, "%s", d.error);
	}
	/* a read-only disk refuses writes; out-of-range requests fail */
	unlink(paths[0]);
	make_image(0, 8, true);
	ck_assert_int_eq(disk_open(&d, paths[0], DISK_RO), 0);
	uint8_t b[512] = { 0 };
	ck_assert_int_eq(disk_write(&d, 0, 1, b), -1);
	ck_assert_int_eq(disk_read(&d, 7, 2, b), -1);
	ck_assert_int_eq(disk_read(&d, 7, 1, b), 0);
	EQ(b[5], pat(7, 5));
	disk_close(&d);
}
END_TEST

Suite *ata_suite(void)
{
	Suite *s = suite_create("ata");
	TCase *t = tcase_create("ata");
	tcase_add_checked_fixture(t, ata_setup, ata_teardown);
	tcase_add_test(t, identify_words);
	tcase_add_test(t, identify_large_and_lba48_read);
	tcase_add_test(t, hob_readback);
	tcase_add_test(t, lba28_read_multi_sector);
	tcase_add_test(t, lba28_count_zero_is_256);
	tcase_add_test(t, dword_data_port);
	tcase_add_test(t, lba48_write_roundtrip);
	tcase_add_test(t, read_multiple_blocks);
	tcase_add_test(t, snapshot_overlay);
	tcase_add_test(t, flush_cache_fsyncs);
	tcase_add_test(t, chs_addressing);
	tcase_add_test(t, error_paths);
	tcase_add_test(t, nien_masks_interrupt);
	tcase_add_test(t, srst_signatures);
	tcase_add_test(t, absent_slave_and_empty_channel);
	tcase_add_test(t, atapi_inquiry_capacity);
	tcase_add_test(t, atapi_read10_12);
	tcase_add_test(t, atapi_unknown_and_sense);
	tcase_add_test(t, atapi_toc);
	tcase_add_test(t, execute_device_diagnostic);
	tcase_add_test(t, atapi_mode_sense_config);
	tcase_add_test(t, save_load_mid_transfer);
	tcase_add_test(t, disk_errors);
	suite_add_tcase(s, t);
	return s;
}

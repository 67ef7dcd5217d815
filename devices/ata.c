/*
 * ATA channel with ATA disks and an ATAPI CD-ROM (see ata.h).  Section
 * numbers refer to ATA/ATAPI-6 (T13/1410D) unless they name MMC or SPC.
 */
#include <stdio.h>
#include <string.h>

#include "../mmu/mem.h"
#include "ata.h"

enum { XFER_NONE, XFER_ATA_IN, XFER_ATA_OUT, XFER_PKT_CMD, XFER_PKT_IN };

/* interrupt reason in the sector count register of a packet device (9.10) */
#define IR_COD 0x01
#define IR_IO  0x02

/* SCSI sense keys (SPC-2 table 107) */
#define SK_NOT_READY       0x02
#define SK_MEDIUM_ERROR    0x03
#define SK_ILLEGAL_REQUEST 0x05

#define CD_BLOCK 2048u

static bool any_present(const struct ata_channel *ch)
{
	return ch->dev[0].type != ATA_NONE || ch->dev[1].type != ATA_NONE;
}

static struct ata_dev *sel(struct ata_channel *ch)
{
	return &ch->dev[(ch->device >> 4) & 1];
}

/* INTRQ is driven by the selected device, gated by nIEN (5.2.9, 7.8) */
static void drive_irq(struct ata_channel *ch, bool force)
{
	const struct ata_dev *d = sel(ch);
	bool level = d->type != ATA_NONE && d->intrq && !(ch->devctl & ATA_DC_NIEN);
	if (level != ch->irq_level || force) {
		ch->irq_level = level;
		irq_set(&ch->irq, level);
	}
}

static void update_irq(struct ata_channel *ch)
{
	drive_irq(ch, false);
}

static void raise_irq(struct ata_channel *ch, struct ata_dev *d)
{
	d->intrq = true;
	update_irq(ch);
}

static uint64_t cd_blocks(const struct ata_dev *d)
{
	return d->disk ? d->disk->size / CD_BLOCK : 0;
}

/* ---- reset and signatures (9.1, 9.12) ---- */

static void signature(struct ata_dev *d)
{
	d->count[0] = 1;
	d->lbal[0] = 1;
	d->lbam[0] = d->type == ATA_CDROM ? 0x14 : 0x00;
	d->lbah[0] = d->type == ATA_CDROM ? 0xeb : 0x00;
}

static void dev_soft_reset(struct ata_dev *d)
{
	if (d->type == ATA_NONE)
		return;
	d->xfer = XFER_NONE;
	d->pos = d->drq_end = d->buf_end = 0;
	d->left = 0;
	d->intrq = false;
	signature(d);
	d->error = 0x01;   /* diagnostic code: passed (9.12, table 32) */
	/* a packet device clears DRDY after reset (9.1); a disk is ready */
	d->status = d->type == ATA_DISK ? ATA_ST_DRDY | ATA_ST_DSC : 0;
}

static void dev_defaults(struct ata_dev *d)
{
	d->multiple = 0;
	d->cyls = d->def_cyls;
	d->heads = d->def_heads;
	d->spt = d->def_spt;
	d->write_cache = true;
	d->sense_key = d->asc = d->ascq = 0;
	d->prevent = false;
}

void ata_reset(struct ata_channel *ch)
{
	ch->device = 0;
	ch->devctl = 0;
	for (int i = 0; i < 2; i++) {
		dev_defaults(&ch->dev[i]);
		dev_soft_reset(&ch->dev[i]);
	}
	update_irq(ch);
}

void ata_init(struct ata_channel *ch, struct irq_line irq)
{
	memset(ch, 0, sizeof(*ch));
	ch->irq = irq;
	ata_reset(ch);
}

/* CHS geometry for old software: 16 heads x 63 sectors, at most 16383
 * cylinders (the IDENTIFY word 1/3/6 convention), smaller for tiny images. */
static void default_chs(struct ata_dev *d)
{
	uint64_t n = d->disk->sectors;
	uint64_t c;
	d->def_heads = 16;
	d->def_spt = 63;
	c = n / (16 * 63);
	if (!c) {
		d->def_heads = 1;
		d->def_spt = (uint16_t)(n < 63 ? n : 63);
		c = n / d->def_spt;
	}
	d->def_cyls = (uint16_t)(c > 16383 ? 16383 : c);
}

int ata_attach(struct ata_channel *ch, int unit, enum ata_type type, struct disk *disk)
{
	if (unit < 0 || unit > 1 || type == ATA_NONE || (type == ATA_DISK && !disk))
		return -1;
	struct ata_dev *d = &ch->dev[unit];
	memset(d, 0, sizeof(*d));
	d->type = type;
	d->disk = disk;
	snprintf(d->serial, sizeof(d->serial), "SHADE86-%d", unit);   /* the machine may override */
	snprintf(d->model, sizeof(d->model), "%s",
		 type == ATA_DISK ? "SHADE86 HARDDISK" : "SHADE86 CD-ROM");
	snprintf(d->firmware, sizeof(d->firmware), "1.0");
	if (type == ATA_DISK)
		default_chs(d);
	dev_defaults(d);
	dev_soft_reset(d);
	update_irq(ch);
	return 0;
}

/* ---- command completion ---- */

static void cmd_ok(struct ata_channel *ch, struct ata_dev *d, bool irq)
{
	d->xfer = XFER_NONE;
	d->status = ATA_ST_DRDY | ATA_ST_DSC;
	d->error = 0;
	if (irq)
		raise_irq(ch, d);
}

static void cmd_abort(struct ata_channel *ch, struct ata_dev *d, uint8_t err)
{
	d->xfer = XFER_NONE;
	d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_ERR;
	d->error = err;
	raise_irq(ch, d);
}

/* ---- IDENTIFY (8.15, 8.16) ---- */

static void id_string(uint16_t *w, const char *s, unsigned words)
{
	/* ATA strings: two characters per word, the first in bits 15-8, space padded */
	size_t len = strlen(s);
	for (unsigned i = 0; i < words; i++) {
		uint8_t a = 2 * i < len ? (uint8_t)s[2 * i] : ' ';
		uint8_t b = 2 * i + 1 < len ? (uint8_t)s[2 * i + 1] : ' ';
		w[i] = (uint16_t)(a << 8 | b);
	}
}

static void id_finish(struct ata_dev *d, const uint16_t *w)
{
	for (unsigned i = 0; i < 256; i++) {
		d->buf[2 * i] = (uint8_t)w[i];
		d->buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
	/* word 255: signature A5h and a checksum making all 512 bytes sum to 0 (8.15.64) */
	d->buf[510] = 0xa5;
	uint8_t sum = 0;
	for (unsigned i = 0; i < 511; i++)
		sum = (uint8_t)(sum + d->buf[i]);
	d->buf[511] = (uint8_t)-sum;
}

static void identify_disk(struct ata_dev *d)
{
	uint16_t w[256] = { 0 };
	uint64_t n = d->disk->sectors;
	uint32_t n28 = n > 0x0fffffff ? 0x0fffffff : (uint32_t)n;
	w[0] = 0x0040;                         /* ATA device, fixed */
	w[1] = d->def_cyls;
	w[3] = d->def_heads;
	w[6] = d->def_spt;
	id_string(&w[10], d->serial, 10);
	id_string(&w[23], d->firmware, 4);
	id_string(&w[27], d->model, 20);
	w[47] = 0x8000 | ATA_MAX_MULTIPLE;     /* bits 15-8 80h, max sectors per block */
	w[49] = 0x0a00;                        /* IORDY supported, LBA supported */
	w[50] = 0x4000;
	w[51] = 0x0200;                        /* PIO mode 2 timing (obsolete word) */
	w[53] = 0x0003;                        /* words 54-58 and 64-70 valid */
	if (d->cyls && d->heads && d->spt) {
		uint32_t cap = (uint32_t)d->cyls * d->heads * d->spt;
		w[54] = d->cyls;
		w[55] = d->heads;
		w[56] = d->spt;
		w[57] = (uint16_t)cap;
		w[58] = (uint16_t)(cap >> 16);
	}
	w[59] = d->multiple ? (uint16_t)(0x0100 | d->multiple) : 0;
	w[60] = (uint16_t)n28;
	w[61] = (uint16_t)(n28 >> 16);
	w[64] = 0x0003;                        /* PIO modes 3 and 4 */
	w[65] = w[66] = w[67] = w[68] = 120;   /* cycle times (ns) */
	w[80] = 0x007e;                        /* ATA-1 .. ATA/ATAPI-6 */
	w[82] = 0x0028;                        /* write cache, power management */
	w[83] = 0x7400;                        /* FLUSH CACHE EXT, FLUSH CACHE, 48-bit */
	w[84] = 0x4000;
	w[85] = (uint16_t)(0x0008 | (d->write_cache ? 0x0020 : 0));
	w[86] = 0x3400;
	w[87] = 0x4000;
	w[100] = (uint16_t)n;
	w[101] = (uint16_t)(n >> 16);
	w[102] = (uint16_t)(n >> 32);
	w[103] = (uint16_t)(n >> 48);
	id_finish(d, w);
}

static void identify_packet(struct ata_dev *d)
{
	uint16_t w[256] = { 0 };
	/* ATAPI, CD-ROM (05h), removable, DRQ within 50 us, 12-byte packets */
	w[0] = 0x8000 | 0x0500 | 0x0080 | 0x0040;
	id_string(&w[10], d->serial, 10);
	id_string(&w[23], d->firmware, 4);
	id_string(&w[27], d->model, 20);
	w[49] = 0x0a00;                        /* IORDY, LBA (shall be one) */
	w[50] = 0x4000;
	w[53] = 0x0002;                        /* words 64-70 valid */
	w[64] = 0x0003;
	w[65] = w[66] = w[67] = w[68] = 120;
	w[80] = 0x007e;
	w[82] = 0x0218;                        /* DEVICE RESET, PACKET, power management */
	w[83] = 0x4000;
	w[84] = 0x4000;
	w[85] = 0x0218;
	w[87] = 0x4000;
	id_finish(d, w);
}

/* start a PIO data-in transfer of the buffer (one 512-byte block) */
static void pio_in_buffer(struct ata_channel *ch, struct ata_dev *d, uint32_t len)
{
	d->xfer = XFER_ATA_IN;
	d->block = 1;
	d->left = 0;
	d->pos = 0;
	d->drq_end = d->buf_end = len;
	d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
	d->error = 0;
	raise_irq(ch, d);
}

/* ---- ATA disk data commands (8.x: READ/WRITE SECTORS (EXT), MULTIPLE) ---- */

static uint32_t cmd_count(const struct ata_dev *d, bool ext)
{
	uint32_t n = d->count[0] | (ext ? (uint32_t)d->count[1] << 8 : 0);
	return n ? n : (ext ? 65536 : 256);
}

/* the command's starting address; false if a CHS address is invalid */
static bool cmd_lba(const struct ata_channel *ch, const struct ata_dev *d, bool ext, uint64_t *lba)
{
	if (ext) {
		*lba = (uint64_t)d->lbah[1] << 40 | (uint64_t)d->lbam[1] << 32 |
		       (uint64_t)d->lbal[1] << 24 | (uint64_t)d->lbah[0] << 16 |
		       (uint64_t)d->lbam[0] << 8 | d->lbal[0];
		return true;
	}
	if (ch->device & 0x40) {   /* LBA bit: 28-bit address, bits 27-24 in the device register */
		*lba = (uint64_t)(ch->device & 0x0f) << 24 | (uint64_t)d->lbah[0] << 16 |
		       (uint64_t)d->lbam[0] << 8 | d->lbal[0];
		return true;
	}
	/* CHS (6.2.1): LBA = (C x heads + H) x sectors per track + S - 1 */
	uint32_t c = d->lbam[0] | (uint32_t)d->lbah[0] << 8, h = ch->device & 0x0f, s = d->lbal[0];
	if (!d->heads || !d->spt || s == 0 || s > d->spt || h >= d->heads || c >= d->cyls)
		return false;
	*lba = ((uint64_t)c * d->heads + h) * d->spt + s - 1;
	return true;
}

static void ata_in_block(struct ata_channel *ch, struct ata_dev *d)
{
	uint32_t k = d->left < d->block ? d->left : d->block;
	if (disk_read(d->disk, d->lba, k, d->buf)) {
		cmd_abort(ch, d, ATA_ER_UNC);
		return;
	}
	d->lba += k;
	d->left -= k;
	d->pos = 0;
	d->drq_end = d->buf_end = k * DISK_SECTOR;
	d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
	raise_irq(ch, d);   /* PIO data-in: an interrupt per DRQ block (9.7) */
}

static void ata_out_block(struct ata_dev *d)
{
	uint32_t k = d->left < d->block ? d->left : d->block;
	d->pos = 0;
	d->drq_end = d->buf_end = k * DISK_SECTOR;
	d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
}

/* the host filled the DRQ block of a write (9.8) */
static void ata_out_done(struct ata_channel *ch, struct ata_dev *d)
{
	uint32_t k = d->drq_end / DISK_SECTOR;
	if (disk_write(d->disk, d->lba, k, d->buf) || (!d->write_cache && disk_flush(d->disk))) {
		cmd_abort(ch, d, ATA_ER_ABRT);
		return;
	}
	d->lba += k;
	d->left -= k;
	if (d->left) {
		ata_out_block(d);
		raise_irq(ch, d);
	} else {
		cmd_ok(ch, d, true);
	}
}

static void ata_rw(struct ata_channel *ch, struct ata_dev *d, bool ext, bool write, bool multiple)
{
	uint64_t lba;
	uint32_t n = cmd_count(d, ext);
	if (multiple && !d->multiple) {
		cmd_abort(ch, d, ATA_ER_ABRT);   /* READ/WRITE MULTIPLE without a block size */
		return;
	}
	if (!cmd_lba(ch, d, ext, &lba) || lba >= d->disk->sectors || n > d->disk->sectors - lba ||
	    (!ext && lba + n > 0x10000000)) {
		cmd_abort(ch, d, ATA_ER_IDNF);
		return;
	}
	d->lba = lba;
	d->left = n;
	d->block = multiple ? d->multiple : 1;
	d->error = 0;
	if (write) {
		d->xfer = XFER_ATA_OUT;
		ata_out_block(d);   /* no interrupt before the first block (9.8) */
	} else {
		d->xfer = XFER_ATA_IN;
		ata_in_block(ch, d);
	}
}

static void ata_verify(struct ata_channel *ch, struct ata_dev *d, bool ext)
{
	uint64_t lba;
	uint32_t n = cmd_count(d, ext);
	if (!cmd_lba(ch, d, ext, &lba) || lba >= d->disk->sectors || n > d->disk->sectors - lba)
		cmd_abort(ch, d, ATA_ER_IDNF);
	else
		cmd_ok(ch, d, true);
}

static void set_features(struct ata_channel *ch, struct ata_dev *d)
{
	switch (d->feature[0]) {
	case 0x02: d->write_cache = true; break;    /* enable write cache */
	case 0x82: d->write_cache = false; break;   /* disable write cache */
	case 0x03: {                                /* set transfer mode (8.37.2) */
		uint8_t m = d->count[0];
		if (m == 0x00 || m == 0x01 || (m >= 0x08 && m <= 0x0c))
			break;   /* PIO default, PIO modes 0-4; no DMA modes */
		cmd_abort(ch, d, ATA_ER_ABRT);
		return;
	}
	case 0x05: case 0x85:   /* advanced power management */
	case 0x55: case 0xaa:   /* read look-ahead */
	case 0x66: case 0xcc:   /* reverting to power-on defaults */
		break;
	default:
		cmd_abort(ch, d, ATA_ER_ABRT);
		return;
	}
	cmd_ok(ch, d, true);
}

/* EXECUTE DEVICE DIAGNOSTIC (8.11): both devices, device 0 interrupts */
static void exec_diag(struct ata_channel *ch)
{
	for (int i = 0; i < 2; i++)
		dev_soft_reset(&ch->dev[i]);
	ch->device = 0;
	struct ata_dev *d0 = &ch->dev[0];
	if (d0->type != ATA_NONE) {
		raise_irq(ch, d0);   /* status as after a reset (DRDY only for a disk) */
	} else {
		update_irq(ch);
	}
}

/* ---- ATAPI (9.10 PACKET protocol; MMC/SPC commands) ---- */

static void pkt_done(struct ata_channel *ch, struct ata_dev *d)
{
	d->count[0] = IR_IO | IR_COD;   /* command completed, status to host */
	cmd_ok(ch, d, true);
}

static void pkt_check(struct ata_channel *ch, struct ata_dev *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
	d->sense_key = key;
	d->asc = asc;
	d->ascq = ascq;
	d->count[0] = IR_IO | IR_COD;
	/* error register of a packet device: sense key in bits 7-4 (9.10) */
	cmd_abort(ch, d, (uint8_t)(key << 4 | (key == SK_ILLEGAL_REQUEST ? ATA_ER_ABRT : 0)));
}

/* next DRQ data block of a data-in packet command (9.10: byte count) */
static void pkt_next(struct ata_channel *ch, struct ata_dev *d)
{
	if (d->pos >= d->buf_end) {
		if (!d->left) {
			pkt_done(ch, d);
			return;
		}
		uint32_t k = d->left < ATA_BUF_SIZE / CD_BLOCK ? d->left : ATA_BUF_SIZE / CD_BLOCK;
		if (disk_read(d->disk, d->lba * (CD_BLOCK / DISK_SECTOR), k * (CD_BLOCK / DISK_SECTOR), d->buf)) {
			pkt_check(ch, d, SK_MEDIUM_ERROR, 0x11, 0x00);   /* unrecovered read error */
			return;
		}
		d->lba += k;
		d->left -= k;
		d->pos = 0;
		d->buf_end = k * CD_BLOCK;
	}
	uint32_t lim = d->byte_limit ? d->byte_limit : 0xfffe;
	lim &= ~1u;            /* an odd limit is rounded down (9.10) */
	if (!lim)
		lim = 2;
	uint32_t n = d->buf_end - d->pos;
	if (n > lim)
		n = lim;
	d->drq_end = d->pos + n;
	d->lbam[0] = (uint8_t)n;
	d->lbah[0] = (uint8_t)(n >> 8);
	d->count[0] = IR_IO;
	d->xfer = XFER_PKT_IN;
	d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
	raise_irq(ch, d);
}

/* reply with the first len bytes of the buffer, at most alloc */
static void pkt_reply(struct ata_channel *ch, struct ata_dev *d, uint32_t len, uint32_t alloc)
{
	if (len > alloc)
		len = alloc;
	d->left = 0;
	d->pos = 0;
	d->buf_end = len;
	pkt_next(ch, d);
}

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return be16(p) << 16 | be16(p + 2); }
static void put_be16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_be32(uint8_t *p, uint32_t v) { put_be16(p, v >> 16); put_be16(p + 2, v); }

static void put_addr(uint8_t *p, uint32_t lba, bool msf)
{
	if (msf) {   /* MMC: MSF = LBA + 150 frames, 75 frames a second */
		uint32_t f = lba + 150;
		p[0] = 0;
		p[1] = (uint8_t)(f / (75 * 60));
		p[2] = (uint8_t)(f / 75 % 60);
		p[3] = (uint8_t)(f % 75);
	} else {
		put_be32(p, lba);
	}
}

/* READ TOC/PMA/ATIP (MMC-3 5.23): formats 0 (TOC) and 1 (session info) */
static void read_toc(struct ata_channel *ch, struct ata_dev *d, const uint8_t *cdb)
{
	bool msf = cdb[1] & 0x02;
	unsigned format = cdb[2] & 0x0f;
	if (!format)
		format = cdb[9] >> 6;   /* the older SFF-8020 location */
	uint32_t alloc = be16(cdb + 7);
	uint32_t blocks = (uint32_t)cd_blocks(d);
	uint8_t *b = d->buf;
	uint32_t len = 4;
	memset(b, 0, 32);
	if (format == 0) {
		unsigned start = cdb[6];
		if (start > 1 && start != 0xaa) {
			pkt_check(ch, d, SK_ILLEGAL_REQUEST, 0x24, 0x00);
			return;
		}
		b[2] = 1;   /* first track */
		b[3] = 1;   /* last track */
		if (start <= 1) {
			b[len + 1] = 0x14;     /* ADR 1 (position), control 4 (data track) */
			b[len + 2] = 1;
			put_addr(b + len + 4, 0, msf);
			len += 8;
		}
		b[len + 1] = 0x14;
		b[len + 2] = 0xaa;         /* lead-out */
		put_addr(b + len + 4, blocks, msf);
		len += 8;
	} else if (format == 1) {
		b[2] = 1;   /* first complete session */
		b[3] = 1;   /* last complete session */
		b[len + 1] = 0x14;
		b[len + 2] = 1;            /* first track of the last session */
		put_addr(b + len + 4, 0, msf);
		len += 8;
	} else {
		pkt_check(ch, d, SK_ILLEGAL_REQUEST, 0x24, 0x00);
		return;
	}
	put_be16(b, len - 2);
	pkt_reply(ch, d, len, alloc);
}

/* MODE SENSE(10) (SPC-2 7.9; MMC-3 6.3.11 for page 2Ah) */
static void mode_sense(struct ata_channel *ch, struct ata_dev *d, const uint8_t *cdb)
{
	unsigned pc = cdb[2] >> 6, page = cdb[2] & 0x3f;
	uint32_t alloc = be16(cdb + 7);
	uint8_t *b = d->buf;
	uint32_t len = 8;
	if (pc == 3) {   /* saved values are not supported */
		pkt_check(ch, d, SK_ILLEGAL_REQUEST, 0x39, 0x00);
		return;
	}
	memset(b, 0, 64);
	if (page == 0x01 || page == 0x3f) {   /* read-write error recovery */
		b[len] = 0x01;
		b[len + 1] = 0x06;
		len += 8;
	}
	if (page == 0x2a || page == 0x3f) {   /* CD/DVD capabilities and mechanical status */
		uint8_t *p = b + len;
		p[0] = 0x2a;
		p[1] = 0x12;
		p[6] = (uint8_t)(0x20 | 0x08 | 0x01 | (d->prevent ? 0x02 : 0));   /* tray, eject, lock */
		put_be16(p + 8, 706);     /* maximum read speed (kB/s), 4x */
		put_be16(p + 14, 706);    /* current read speed */
		len += 20;
	}
	if (len == 8) {
		pkt_check(ch, d, SK_ILLEGAL_REQUEST, 0x24, 0x00);
		return;
	}
	put_be16(b, len - 2);
	b[2] = d->disk ? 0x01 : 0x70;   /* medium type: 120 mm CD-ROM data / door closed, no disc */
	pkt_reply(ch, d, len, alloc);
}

/* GET CONFIGURATION (MMC-3 5.5): the header and the profile list feature */
static void get_configuration(struct ata_channel *ch, struct ata_dev *d, const uint8_t *cdb)
{
	unsigned rt = cdb[1] & 0x03, start = be16(cdb + 2);
	uint32_t alloc = be16(cdb + 7);
	uint8_t *b = d->buf;
	uint32_t len = 8;
	memset(b, 0, 32);
	put_be16(b + 6, d->disk ? 0x0008 : 0);   /* current profile: CD-ROM */
	if (start == 0 && rt != 3) {
		b[8 + 1] = 0x00;          /* feature 0000h: profile list */
		b[8 + 2] = 0x03;          /* persistent, current */
		b[8 + 3] = 4;             /* one profile descriptor */
		put_be16(b + 12, 0x0008);
		b[14] = d->disk ? 0x01 : 0x00;   /* current */
		len += 8;
	} else if (rt == 3) {
		pkt_check(ch, d, SK_ILLEGAL_REQUEST, 0x24, 0x00);
		return;
	}
	put_be32(b, len - 4);
	pkt_reply(ch, d, len, alloc);
}

static void cd_read(struct ata_channel *ch, struct ata_dev *d, uint32_t lba, uint32_t n)
{
	if (!d->disk) {
		pkt_check(ch, d, SK_NOT_READY, 0x3a, 0x00);   /* medium not present */
		return;
	}
	if ((uint64_t)lba + n > cd_blocks(d)) {
		pkt_check(ch, d, SK_ILLEGAL_REQUEST, 0x21, 0x00);   /* LBA out of range */
		return;
	}
	if (!n) {
		pkt_done(ch, d);
		return;
	}
	d->lba = lba;
	d->left = n;
	d->pos = d->buf_end = 0;
	pkt_next(ch, d);
}

static void atapi_exec(struct ata_channel *ch, struct ata_dev *d)
{
	uint8_t cdb[12];
	memcpy(cdb, d->buf, 12);
	uint8_t *b = d->buf;
	if (cdb[0] != 0x03)   /* REQUEST SENSE reports the last command's sense */
		d->sense_key = d->asc = d->ascq = 0;
	switch (cdb[0]) {
	case 0x00:   /* TEST UNIT READY (SPC-2 7.25) */
		if (!d->disk)
			pkt_check(ch, d, SK_NOT_READY, 0x3a, 0x00);
		else
			pkt_done(ch, d);
		return;
	case 0x03:   /* REQUEST SENSE (SPC-2 7.20): fixed format */
		memset(b, 0, 18);
		b[0] = 0x70;
		b[2] = d->sense_key;
		b[7] = 10;
		b[12] = d->asc;
		b[13] = d->ascq;
		d->sense_key = d->asc = d->ascq = 0;
		pkt_reply(ch, d, 18, cdb[4]);
		return;
	case 0x12:   /* INQUIRY (SPC-2 7.3) */
		if (cdb[1] & 0x01) {   /* no vital product data pages */
			pkt_check(ch, d, SK_ILLEGAL_REQUEST, 0x24, 0x00);
			return;
		}
		memset(b, 0, 36);
		b[0] = 0x05;           /* peripheral device type: CD/DVD */
		b[1] = 0x80;           /* removable medium */
		b[2] = 0x00;           /* no ANSI version claimed (ATAPI) */
		b[3] = 0x21;           /* ATAPI transport version 2, response data format 1 */
		b[4] = 36 - 5;         /* additional length */
		memcpy(b + 8, "SHADE86 ", 8);
		memcpy(b + 16, "CD-ROM          ", 16);
		memcpy(b + 32, "1.0 ", 4);
		pkt_reply(ch, d, 36, be16(cdb + 3));
		return;
	case 0x1b:   /* START STOP UNIT (SBC/MMC): the tray stays closed */
		if ((cdb[4] & 0x03) == 0x02 && d->prevent) {
			pkt_check(ch, d, SK_ILLEGAL_REQUEST, 0x53, 0x02);   /* removal prevented */
			return;
		}
		pkt_done(ch, d);
		return;
	case 0x1e:   /* PREVENT ALLOW MEDIUM REMOVAL */
		d->prevent = cdb[4] & 0x01;
		pkt_done(ch, d);
		return;
	case 0x25:   /* READ CAPACITY (MMC-3 5.16): last LBA and the block length */
		if (!d->disk) {
			pkt_check(ch, d, SK_NOT_READY, 0x3a, 0x00);
			return;
		}
		put_be32(b, (uint32_t)cd_blocks(d) - 1);
		put_be32(b + 4, CD_BLOCK);
		pkt_reply(ch, d, 8, 8);
		return;
	case 0x28:   /* READ(10) */
		cd_read(ch, d, be32(cdb + 2), be16(cdb + 7));
		return;
	case 0xa8:   /* READ(12) */
		cd_read(ch, d, be32(cdb + 2), be32(cdb + 6));
		return;
	case 0x2b:   /* SEEK(10) */
		if (!d->disk)
			pkt_check(ch, d, SK_NOT_READY, 0x3a, 0x00);
		else if (be32(cdb + 2) >= cd_blocks(d))
			pkt_check(ch, d, SK_ILLEGAL_REQUEST, 0x21, 0x00);
		else
			pkt_done(ch, d);
		return;
	case 0x43:   /* READ TOC/PMA/ATIP */
		if (!d->disk)
			pkt_check(ch, d, SK_NOT_READY, 0x3a, 0x00);
		else
			read_toc(ch, d, cdb);
		return;
	case 0x46:
		get_configuration(ch, d, cdb);
		return;
	case 0x5a:
		mode_sense(ch, d, cdb);
		return;
	default:
		pkt_check(ch, d, SK_ILLEGAL_REQUEST, 0x20, 0x00);   /* invalid command operation code */
		return;
	}
}

/* ---- the command register ---- */

static void command(struct ata_channel *ch, uint8_t cmd)
{
	struct ata_dev *d = sel(ch);
	if (cmd == 0x90) {   /* EXECUTE DEVICE DIAGNOSTIC: addressed to both devices */
		if (any_present(ch))
			exec_diag(ch);
		return;
	}
	if (d->type == ATA_NONE || (ch->devctl & ATA_DC_SRST))
		return;
	if ((d->status & (ATA_ST_BSY | ATA_ST_DRQ)) && !(d->type == ATA_CDROM && cmd == 0x08))
		d->xfer = XFER_NONE;   /* a new command abandons an unfinished transfer */
	d->intrq = false;          /* writing the command register clears INTRQ (5.2.9) */
	update_irq(ch);
	if (d->type == ATA_CDROM) {
		switch (cmd) {
		case 0x08:   /* DEVICE RESET (8.10): no interrupt */
			dev_soft_reset(d);
			return;
		case 0xa0:   /* PACKET (8.23) */
			if (d->feature[0] & 0x01) {   /* DMA: not offered */
				cmd_abort(ch, d, ATA_ER_ABRT);
				return;
			}
			d->byte_limit = (uint16_t)(d->lbam[0] | d->lbah[0] << 8);
			d->xfer = XFER_PKT_CMD;
			d->pos = 0;
			d->drq_end = d->buf_end = 12;
			d->count[0] = IR_COD;
			d->error = 0;
			d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;   /* no interrupt: DRQ type 50 us */
			return;
		case 0xa1:   /* IDENTIFY PACKET DEVICE (8.16) */
			identify_packet(d);
			pio_in_buffer(ch, d, 512);
			return;
		case 0xec:   /* IDENTIFY DEVICE: aborted with the signature (8.15) */
			signature(d);
			cmd_abort(ch, d, ATA_ER_ABRT);
			return;
		case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe6:   /* power management */
			cmd_ok(ch, d, true);
			return;
		case 0xe5:   /* CHECK POWER MODE: active */
			d->count[0] = 0xff;
			cmd_ok(ch, d, true);
			return;
		case 0xef:
			set_features(ch, d);
			return;
		default:
			cmd_abort(ch, d, ATA_ER_ABRT);
			return;
		}
	}
	switch (cmd) {
	case 0x20: case 0x21: ata_rw(ch, d, false, false, false); return;   /* READ SECTORS */
	case 0x24: ata_rw(ch, d, true, false, false); return;               /* READ SECTORS EXT */
	case 0x29: ata_rw(ch, d, true, false, true); return;                /* READ MULTIPLE EXT */
	case 0xc4: ata_rw(ch, d, false, false, true); return;               /* READ MULTIPLE */
	case 0x30: case 0x31: ata_rw(ch, d, false, true, false); return;    /* WRITE SECTORS */
	case 0x34: ata_rw(ch, d, true, true, false); return;                /* WRITE SECTORS EXT */
	case 0x39: ata_rw(ch, d, true, true, true); return;                 /* WRITE MULTIPLE EXT */
	case 0xc5: ata_rw(ch, d, false, true, true); return;                /* WRITE MULTIPLE */
	case 0x40: case 0x41: ata_verify(ch, d, false); return;             /* READ VERIFY SECTORS */
	case 0x42: ata_verify(ch, d, true); return;                         /* READ VERIFY EXT */
	case 0x70: ata_verify(ch, d, false); return;                        /* SEEK (obsolete) */
	case 0xc6: {   /* SET MULTIPLE MODE (8.39): 0 disables, else a power of two <= max */
		uint8_t n = d->count[0];
		if (n > ATA_MAX_MULTIPLE || (n & (n - 1))) {
			cmd_abort(ch, d, ATA_ER_ABRT);
			return;
		}
		d->multiple = n;
		cmd_ok(ch, d, true);
		return;
	}
	case 0x91: {   /* INITIALIZE DEVICE PARAMETERS (8.17) */
		uint32_t heads = (ch->device & 0x0f) + 1u, spt = d->count[0];
		if (!spt) {
			cmd_abort(ch, d, ATA_ER_ABRT);
			return;
		}
		uint64_t c = d->disk->sectors / (heads * spt);
		d->heads = (uint16_t)heads;
		d->spt = (uint16_t)spt;
		d->cyls = (uint16_t)(c > 65535 ? 65535 : c);
		cmd_ok(ch, d, true);
		return;
	}
	case 0xe7: case 0xea:   /* FLUSH CACHE (EXT) (8.12, 8.13) */
		if (disk_flush(d->disk))
			cmd_abort(ch, d, ATA_ER_ABRT);
		else
			cmd_ok(ch, d, true);
		return;
	case 0xec:   /* IDENTIFY DEVICE */
		identify_disk(d);
		pio_in_buffer(ch, d, 512);
		return;
	case 0xef:
		set_features(ch, d);
		return;
	case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe6:   /* STANDBY/IDLE (IMMEDIATE), SLEEP */
	case 0x94: case 0x95: case 0x96: case 0x97:               /* the ATA-1 codes */
		cmd_ok(ch, d, true);
		return;
	case 0xe5: case 0x98:   /* CHECK POWER MODE: active or idle */
		d->count[0] = 0xff;
		cmd_ok(ch, d, true);
		return;
	default:
		if (cmd >= 0x10 && cmd <= 0x1f) {   /* RECALIBRATE (obsolete) */
			cmd_ok(ch, d, true);
			return;
		}
		cmd_abort(ch, d, ATA_ER_ABRT);      /* includes NOP (8.22) */
		return;
	}
}

/* ---- the data port ---- */

static void drq_done(struct ata_channel *ch, struct ata_dev *d)
{
	switch (d->xfer) {
	case XFER_ATA_IN:
		if (d->left)
			ata_in_block(ch, d);
		else
			cmd_ok(ch, d, false);   /* no interrupt after the last block (9.7) */
		break;
	case XFER_ATA_OUT:
		ata_out_done(ch, d);
		break;
	case XFER_PKT_CMD:
		d->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_BSY;
		atapi_exec(ch, d);
		break;
	case XFER_PKT_IN:
		pkt_next(ch, d);
		break;
	}
}

static uint32_t data_read(struct ata_channel *ch, unsigned size)
{
	struct ata_dev *d = sel(ch);
	if (d->type == ATA_NONE || (d->xfer != XFER_ATA_IN && d->xfer != XFER_PKT_IN) ||
	    d->pos >= d->drq_end)
		return 0;
	uint32_t v = 0;
	for (unsigned i = 0; i < size && d->pos < d->drq_end; i++)
		v |= (uint32_t)d->buf[d->pos++] << (8 * i);
	if (d->pos >= d->drq_end)
		drq_done(ch, d);
	return v;
}

static void data_write(struct ata_channel *ch, uint32_t v, unsigned size)
{
	struct ata_dev *d = sel(ch);
	if (d->type == ATA_NONE || (d->xfer != XFER_ATA_OUT && d->xfer != XFER_PKT_CMD) ||
	    d->pos >= d->drq_end)
		return;
	for (unsigned i = 0; i < size && d->pos < d->drq_end; i++)
		d->buf[d->pos++] = (uint8_t)(v >> (8 * i));
	if (d->pos >= d->drq_end)
		drq_done(ch, d);
}

/* ---- register access ---- */

static uint8_t reg_read(struct ata_channel *ch, unsigned reg)
{
	struct ata_dev *d = sel(ch);
	if (d->type == ATA_NONE)   /* absent device: status 00h, registers 0 */
		return reg == 6 ? ch->device : 0;
	unsigned hob = ch->devctl & ATA_DC_HOB ? 1 : 0;
	switch (reg) {
	case 1: return d->error;
	case 2: return d->count[hob];
	case 3: return d->lbal[hob];
	case 4: return d->lbam[hob];
	case 5: return d->lbah[hob];
	case 6: return ch->device;
	default:   /* status: reading it acknowledges the interrupt (7.15) */
		d->intrq = false;
		update_irq(ch);
		return d->status;
	}
}

static void reg_write(struct ata_channel *ch, unsigned reg, uint8_t v)
{
	ch->devctl &= (uint8_t)~ATA_DC_HOB;   /* any command block write clears HOB (7.8) */
	if (reg == 6) {
		ch->device = v;
		update_irq(ch);
		return;
	}
	if (reg == 7) {
		command(ch, v);
		return;
	}
	for (int i = 0; i < 2; i++) {   /* both devices latch the registers; 48-bit FIFO */
		struct ata_dev *d = &ch->dev[i];
		uint8_t *r = reg == 1 ? d->feature : reg == 2 ? d->count : reg == 3 ? d->lbal :
			     reg == 4 ? d->lbam : d->lbah;
		r[1] = r[0];
		r[0] = v;
	}
}

uint32_t ata_cmd_read(struct ata_channel *ch, unsigned reg, unsigned size)
{
	if (!any_present(ch))
		return 0xffffffffu;   /* nothing drives the bus */
	if (reg == 0)
		return data_read(ch, size);
	uint32_t v = 0;
	for (unsigned i = 0; i < size && reg + i <= 7; i++)
		v |= (uint32_t)reg_read(ch, reg + i) << (8 * i);
	return v;
}

void ata_cmd_write(struct ata_channel *ch, unsigned reg, uint32_t v, unsigned size)
{
	if (reg == 0) {
		data_write(ch, v, size);
		return;
	}
	for (unsigned i = 0; i < size && reg + i <= 7; i++)
		reg_write(ch, reg + i, (uint8_t)(v >> (8 * i)));
}

uint8_t ata_ctl_read(struct ata_channel *ch)
{
	if (!any_present(ch))
		return 0xff;
	const struct ata_dev *d = sel(ch);
	return d->type == ATA_NONE ? 0 : d->status;   /* alternate status: no acknowledge */
}

void ata_ctl_write(struct ata_channel *ch, uint8_t v)
{
	uint8_t old = ch->devctl;
	ch->devctl = v;
	if (!(old & ATA_DC_SRST) && (v & ATA_DC_SRST)) {   /* SRST asserted: BSY (9.2) */
		for (int i = 0; i < 2; i++) {
			struct ata_dev *d = &ch->dev[i];
			if (d->type == ATA_NONE)
				continue;
			d->xfer = XFER_NONE;
			d->intrq = false;
			d->status = ATA_ST_BSY;
		}
	} else if ((old & ATA_DC_SRST) && !(v & ATA_DC_SRST)) {   /* released: reset done */
		for (int i = 0; i < 2; i++)
			dev_soft_reset(&ch->dev[i]);
		ch->device = 0;
	}
	update_irq(ch);
}

static uint32_t port_cmd_read(void *opaque, uint32_t port, unsigned size)
{
	return ata_cmd_read(opaque, port & 7, size);
}

static void port_cmd_write(void *opaque, uint32_t port, uint32_t v, unsigned size)
{
	ata_cmd_write(opaque, port & 7, v, size);
}

static uint32_t port_ctl_read(void *opaque, uint32_t port, unsigned size)
{
	(void)port;
	(void)size;
	return ata_ctl_read(opaque);
}

static void port_ctl_write(void *opaque, uint32_t port, uint32_t v, unsigned size)
{
	(void)port;
	(void)size;
	ata_ctl_write(opaque, (uint8_t)v);
}

int ata_register_ports(struct ata_channel *ch, struct mem *mem, uint16_t cmd_base, uint16_t ctl_port)
{
	/* one registration for the whole block so a dword data access stays whole */
	if (io_register(mem, cmd_base, 8, port_cmd_read, port_cmd_write, ch, "ata", MEM_WALL))
		return -1;
	return io_register(mem, ctl_port, 1, port_ctl_read, port_ctl_write, ch, "ata-ctl", MEM_W8);
}

/* ---- save / load ---- */

void ata_save(const struct ata_channel *ch, struct state_writer *w)
{
	sw_u8(w, ch->device);
	sw_u8(w, ch->devctl);
	for (int i = 0; i < 2; i++) {
		const struct ata_dev *d = &ch->dev[i];
		sw_u8(w, (uint8_t)d->type);
		sw_bytes(w, d->feature, 2);
		sw_bytes(w, d->count, 2);
		sw_bytes(w, d->lbal, 2);
		sw_bytes(w, d->lbam, 2);
		sw_bytes(w, d->lbah, 2);
		sw_u8(w, d->status);
		sw_u8(w, d->error);
		sw_u8(w, d->intrq);
		sw_u8(w, d->multiple);
		sw_u16(w, d->cyls);
		sw_u16(w, d->heads);
		sw_u16(w, d->spt);
		sw_u8(w, d->write_cache);
		sw_u8(w, d->xfer);
		sw_u8(w, d->block);
		sw_u32(w, d->pos);
		sw_u32(w, d->drq_end);
		sw_u32(w, d->buf_end);
		sw_u64(w, d->lba);
		sw_u32(w, d->left);
		sw_u16(w, d->byte_limit);
		sw_u8(w, d->sense_key);
		sw_u8(w, d->asc);
		sw_u8(w, d->ascq);
		sw_u8(w, d->prevent);
		sw_bytes(w, d->buf, d->buf_end);
	}
}

int ata_load(struct ata_channel *ch, struct state_reader *r)
{
	ch->device = sr_u8(r);
	ch->devctl = sr_u8(r);
	for (int i = 0; i < 2; i++) {
		struct ata_dev *d = &ch->dev[i];
		if (sr_u8(r) != (uint8_t)d->type)
			return -1;
		sr_bytes(r, d->feature, 2);
		sr_bytes(r, d->count, 2);
		sr_bytes(r, d->lbal, 2);
		sr_bytes(r, d->lbam, 2);
		sr_bytes(r, d->lbah, 2);
		d->status = sr_u8(r);
		d->error = sr_u8(r);
		d->intrq = sr_u8(r) != 0;
		d->multiple = sr_u8(r);
		d->cyls = sr_u16(r);
		d->heads = sr_u16(r);
		d->spt = sr_u16(r);
		d->write_cache = sr_u8(r) != 0;
		d->xfer = sr_u8(r);
		d->block = sr_u8(r);
		d->pos = sr_u32(r);
		d->drq_end = sr_u32(r);
		d->buf_end = sr_u32(r);
		d->lba = sr_u64(r);
		d->left = sr_u32(r);
		d->byte_limit = sr_u16(r);
		d->sense_key = sr_u8(r);
		d->asc = sr_u8(r);
		d->ascq = sr_u8(r);
		d->prevent = sr_u8(r) != 0;
		if (r->error || d->buf_end > ATA_BUF_SIZE || d->drq_end > d->buf_end ||
		    d->pos > d->drq_end || d->xfer > XFER_PKT_IN || d->multiple > ATA_MAX_MULTIPLE ||
		    (d->xfer == XFER_ATA_OUT && d->drq_end % DISK_SECTOR) ||
		    ((d->xfer == XFER_ATA_IN || d->xfer == XFER_ATA_OUT) && !d->block))
			return -1;
		sr_bytes(r, d->buf, d->buf_end);
	}
	if (r->error)
		return -1;
	drive_irq(ch, true);   /* drive the line to its restored level */
	return 0;
}

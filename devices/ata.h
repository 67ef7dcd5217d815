/*
 * One ATA (IDE) channel with a master and a slave: ATA hard disks and ATAPI
 * CD-ROMs, PIO only (no bus-master DMA).  References: ATA/ATAPI-6 (T13
 * 1410D rev. 3b) for the registers, protocols and commands; MMC-2/MMC-3 and
 * SPC-2 for the packet (SCSI) commands of the CD-ROM.
 *
 * Ports: the command block at cmd_base (0x1F0 primary, 0x170 secondary):
 * +0 data (16- or 32-bit), +1 error/features, +2 sector count, +3 LBA low,
 * +4 LBA mid, +5 LBA high, +6 device, +7 status/command; the control block at
 * ctl_port (0x3F6 / 0x376): alternate status / device control.  0x3F7 is left
 * to the floppy controller.  Commands complete at once (BSY is never seen
 * except while SRST is held).
 *
 * The PIIX IDE function can call ata_cmd_read/.. itself (a PCI wrapper) or
 * let ata_register_ports claim the legacy ports.
 */
#ifndef SHADE86_ATA_H
#define SHADE86_ATA_H

#include <stdbool.h>
#include <stdint.h>

#include "disk.h"
#include "irq.h"
#include "state.h"

struct mem;

#define ATA_PRIMARY_CMD   0x1f0
#define ATA_PRIMARY_CTL   0x3f6
#define ATA_PRIMARY_IRQ   14
#define ATA_SECONDARY_CMD 0x170
#define ATA_SECONDARY_CTL 0x376
#define ATA_SECONDARY_IRQ 15

#define ATA_BUF_SIZE   65536u   /* 16 sectors (READ MULTIPLE) or 32 CD blocks */
#define ATA_MAX_MULTIPLE 16u    /* IDENTIFY word 47 */

/* status register (ATA-6 7.15) */
#define ATA_ST_ERR  0x01
#define ATA_ST_DRQ  0x08
#define ATA_ST_DSC  0x10
#define ATA_ST_DF   0x20
#define ATA_ST_DRDY 0x40
#define ATA_ST_BSY  0x80
/* error register (ATA-6 7.9 and the command descriptions) */
#define ATA_ER_AMNF 0x01
#define ATA_ER_ABRT 0x04
#define ATA_ER_IDNF 0x10
#define ATA_ER_UNC  0x40
/* device control register (ATA-6 7.8) */
#define ATA_DC_NIEN 0x02
#define ATA_DC_SRST 0x04
#define ATA_DC_HOB  0x80

enum ata_type { ATA_NONE, ATA_DISK, ATA_CDROM };

struct ata_dev {
	/* configuration (not saved) */
	enum ata_type type;
	struct disk *disk;            /* CD-ROM: NULL = no medium */
	char serial[21], model[41], firmware[9];
	uint16_t def_cyls, def_heads, def_spt;   /* default CHS translation */
	/* task file as this device sees it; [1] is the previous ("HOB") byte */
	uint8_t feature[2], count[2], lbal[2], lbam[2], lbah[2];
	uint8_t status, error;
	bool intrq;                   /* interrupt pending (cleared by reading status) */
	/* host settings */
	uint8_t multiple;             /* SET MULTIPLE MODE block size, 0 = disabled */
	uint16_t cyls, heads, spt;    /* current CHS translation */
	bool write_cache;
	/* PIO transfer */
	uint8_t xfer;                 /* what the data port is doing (ata.c) */
	uint8_t block;                /* sectors per DRQ block of the command */
	uint32_t pos, drq_end, buf_end;
	uint64_t lba;                 /* next sector (ATA) or 2048-byte block (ATAPI) */
	uint32_t left;                /* sectors / blocks not yet in the buffer */
	uint16_t byte_limit;          /* PACKET: byte count limit */
	/* ATAPI */
	uint8_t sense_key, asc, ascq;
	bool prevent;
	uint8_t buf[ATA_BUF_SIZE];
};

struct ata_channel {
	struct ata_dev dev[2];
	uint8_t device;               /* device register (DEV bit 4 selects) */
	uint8_t devctl;               /* device control register */
	bool irq_level;
	struct irq_line irq;
};

/* Everything absent, registers at their hardware reset values. */
void ata_init(struct ata_channel *ch, struct irq_line irq);
/* Claim the legacy ports (cmd_base..+7 and ctl_port). -1 with mem->error on a clash. */
int ata_register_ports(struct ata_channel *ch, struct mem *mem, uint16_t cmd_base, uint16_t ctl_port);
/* Attach a device to unit 0 (master) or 1 (slave).  A disk needs an open
 * image; a CD-ROM may have none (no medium).  The image stays the caller's. */
int ata_attach(struct ata_channel *ch, int unit, enum ata_type type, struct disk *disk);
/* Hardware reset (power-on values, settings back to defaults). */
void ata_reset(struct ata_channel *ch);

/* Register access: reg 0-7 of the command block, and the control block. */
uint32_t ata_cmd_read(struct ata_channel *ch, unsigned reg, unsigned size);
void ata_cmd_write(struct ata_channel *ch, unsigned reg, uint32_t v, unsigned size);
uint8_t ata_ctl_read(struct ata_channel *ch);
void ata_ctl_write(struct ata_channel *ch, uint8_t v);

/* Channel state (registers, transfers in progress, settings), not the images.
 * ata_load fails (-1) on truncation or if the attached device types differ. */
void ata_save(const struct ata_channel *ch, struct state_writer *w);
int ata_load(struct ata_channel *ch, struct state_reader *r);

#endif

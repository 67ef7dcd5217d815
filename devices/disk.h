/*
 * Raw disk images (hard disks and CD-ROM ISO images).
 *
 * An image is a plain file addressed in 512-byte sectors; a CD-ROM's 2048-byte
 * blocks are four of them.  Reads and writes are pread/pwrite of whole sectors,
 * so the image never holds a half-written sector: a write reaches the file
 * (the host's page cache) before the guest sees it complete, and disk_flush
 * (the guest's FLUSH CACHE, and disk_close) makes it durable with fsync.
 *
 * Modes: DISK_RW opens the image read-write (a read-only file is an error that
 * says so), DISK_RO read-only (writes fail; CD-ROMs), DISK_SNAPSHOT read-only
 * with every write going to an overlay (an unlinked temporary file in $TMPDIR
 * or /tmp plus a bitmap of the sectors it holds), so the image is never
 * written and reads see the guest's writes.
 */
#ifndef SHADE86_DISK_H
#define SHADE86_DISK_H

#include <stddef.h>
#include <stdint.h>

#define DISK_SECTOR 512u

enum disk_mode { DISK_RW, DISK_RO, DISK_SNAPSHOT };

struct disk {
	int fd;                 /* the image, -1 when closed */
	int overlay_fd;         /* DISK_SNAPSHOT: changed sectors at their own offsets */
	uint8_t *dirty;         /* DISK_SNAPSHOT: one bit per sector held by the overlay */
	uint64_t size;          /* bytes */
	uint64_t sectors;       /* size / 512 (a partial last sector is not addressable) */
	enum disk_mode mode;
	unsigned long flushes;  /* disk_flush calls that fsync'ed the image */
	char path[256];
	char error[512];        /* one line: why the last call failed */
};

/* Returns 0, or -1 with d->error saying why: the image is missing, not
 * readable, read-only when DISK_RW needs write access, not a regular file or
 * block device, or empty (smaller than one sector). */
int disk_open(struct disk *d, const char *path, enum disk_mode mode);
/* n sectors at lba; 0 or -1 (out of range, I/O error, read-only) with d->error. */
int disk_read(struct disk *d, uint64_t lba, uint32_t n, void *buf);
int disk_write(struct disk *d, uint64_t lba, uint32_t n, const void *buf);
/* fsync the image (DISK_RW); a no-op success in the other modes. */
int disk_flush(struct disk *d);
/* Flushes (DISK_RW) and closes; drops a snapshot overlay. */
void disk_close(struct disk *d);

#endif

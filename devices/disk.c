/* Raw disk images (see disk.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"

#if defined(__linux__)
#include <linux/fs.h>
#include <sys/ioctl.h>
#endif

static int fail(struct disk *d, const char *what)
{
	snprintf(d->error, sizeof(d->error), "disk image %.255s: %.120s", d->path, what);
	return -1;
}

static int fail_errno(struct disk *d, const char *what, int err)
{
	snprintf(d->error, sizeof(d->error), "disk image %.255s: %.80s: %.100s", d->path, what, strerror(err));
	return -1;
}

static int open_overlay(struct disk *d)
{
	const char *dir = getenv("TMPDIR");
	char name[512];
	snprintf(name, sizeof(name), "%s/shade86-snapshot-XXXXXX", dir && *dir ? dir : "/tmp");
	d->overlay_fd = mkstemp(name);
	if (d->overlay_fd < 0)
		return fail_errno(d, "cannot create the snapshot overlay", errno);
	unlink(name);
	d->dirty = calloc((size_t)(d->sectors / 8 + 1), 1);
	if (!d->dirty)
		return fail(d, "out of memory for the snapshot overlay");
	return 0;
}

int disk_open(struct disk *d, const char *path, enum disk_mode mode)
{
	memset(d, 0, sizeof(*d));
	d->fd = d->overlay_fd = -1;
	d->mode = mode;
	snprintf(d->path, sizeof(d->path), "%s", path);
	int fd = open(path, (mode == DISK_RW ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		if (err == ENOENT)
			return fail(d, "no such file");
		if (mode == DISK_RW && (err == EACCES || err == EROFS || err == EPERM)) {
			int ro = open(path, O_RDONLY | O_CLOEXEC);
			if (ro >= 0) {
				close(ro);
				return fail(d, "is read-only, but the disk needs write access "
					    "(make it writable or use -snapshot)");
			}
			err = errno;
		}
		if (err == EACCES || err == EPERM)
			return fail(d, "not readable (permission denied)");
		return fail_errno(d, "cannot open", err);
	}
	d->fd = fd;
	struct stat st;
	if (fstat(fd, &st)) {
		fail_errno(d, "cannot stat", errno);
		goto err;
	}
	if (S_ISREG(st.st_mode)) {
		d->size = (uint64_t)st.st_size;
#if defined(__linux__) && defined(BLKGETSIZE64)
	} else if (S_ISBLK(st.st_mode)) {
		uint64_t sz = 0;
		if (ioctl(fd, BLKGETSIZE64, &sz)) {
			fail_errno(d, "cannot get the device size", errno);
			goto err;
		}
		d->size = sz;
#endif
	} else {
		fail(d, S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file");
		goto err;
	}
	d->sectors = d->size / DISK_SECTOR;
	if (!d->sectors) {
		fail(d, d->size ? "is smaller than one 512-byte sector" : "is empty (0 bytes)");
		goto err;
	}
	if (mode == DISK_SNAPSHOT && open_overlay(d))
		goto err;
	return 0;
err:
	disk_close(d);
	return -1;
}

static int range(struct disk *d, uint64_t lba, uint32_t n)
{
	if (d->fd < 0)
		return fail(d, "not open");
	if (lba > d->sectors || n > d->sectors - lba)
		return fail(d, "sector out of range");
	return 0;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t r = pread(fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {           /* past the end of the file (a shrunk image): zeros */
			memset(p, 0, len);
			return 0;
		}
		p += r, off += (uint64_t)r, len -= (size_t)r;
	}
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t r = pwrite(fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r, off += (uint64_t)r, len -= (size_t)r;
	}
	return 0;
}

static int dirty(const struct disk *d, uint64_t s)
{
	return d->dirty[s >> 3] >> (s & 7) & 1;
}

int disk_read(struct disk *d, uint64_t lba, uint32_t n, void *buf)
{
	if (range(d, lba, n))
		return -1;
	uint8_t *p = buf;
	while (n) {
		/* a run of sectors from one source: the image or the overlay */
		uint32_t k = 1;
		int from_overlay = d->dirty && dirty(d, lba);
		while (k < n && d->dirty && dirty(d, lba + k) == from_overlay)
			k++;
		if (pread_all(from_overlay ? d->overlay_fd : d->fd, p, (size_t)k * DISK_SECTOR,
			      lba * DISK_SECTOR))
			return fail_errno(d, "read error", errno);
		p += (size_t)k * DISK_SECTOR, lba += k, n -= k;
	}
	return 0;
}

int disk_write(struct disk *d, uint64_t lba, uint32_t n, const void *buf)
{
	if (range(d, lba, n))
		return -1;
	if (d->mode == DISK_RO)
		return fail(d, "is read-only");
	int fd = d->mode == DISK_SNAPSHOT ? d->overlay_fd : d->fd;
	if (pwrite_all(fd, buf, (size_t)n * DISK_SECTOR, lba * DISK_SECTOR))
		return fail_errno(d, "write error", errno);
	if (d->dirty)
		for (uint32_t i = 0; i < n; i++)
			d->dirty[(lba + i) >> 3] |= (uint8_t)(1u << ((lba + i) & 7));
	return 0;
}

int disk_flush(struct disk *d)
{
	if (d->fd < 0 || d->mode != DISK_RW)
		return 0;
	if (fsync(d->fd))
		return fail_errno(d, "flush (fsync) failed", errno);
	d->flushes++;
	return 0;
}

void disk_close(struct disk *d)
{
	if (d->fd >= 0) {
		disk_flush(d);
		close(d->fd);
	}
	if (d->overlay_fd >= 0)
		close(d->overlay_fd);
	free(d->dirty);
	d->dirty = NULL;
	d->fd = d->overlay_fd = -1;
}

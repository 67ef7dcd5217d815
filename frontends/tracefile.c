/*
 * The trace file writer (tracefile.h): a compressor thread takes full chunk
 * buffers from a short queue, deflates each into its own zlib stream and
 * appends it with its chunk header.  The emulation thread only waits when the
 * queue is full, so tracing costs the guest the record encoding plus whatever
 * the compressor cannot keep up with.
 *
 * Errors (a full disk): the thread stops, the file is cut back to the end of
 * the last whole chunk, so it stays a valid trace, and the next hand-over
 * fails; tracefile_close reports the error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "tracefile.h"

#define QUEUE_LEN 4                 /* chunks waiting for the compressor */
#define BUF_CAP   (TRACE_CHUNK_TARGET + (64u << 10))

struct item {
	uint8_t *buf;
	size_t len, cap;
	uint64_t first_icount;
	uint32_t ninsn;
};

struct tracefile {
	int fd;
	char *path;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;          /* queue changed (both directions) */
	struct item q[QUEUE_LEN];
	unsigned qhead, qlen;
	uint8_t *spare[QUEUE_LEN + 2];   /* empty buffers to hand back */
	unsigned nspare;
	bool closing;
	bool failed;
	char error[256];
	uint64_t written;             /* bytes in the file that form whole chunks (written
				       * by the thread under the lock; it reads it unlocked) */
	uint8_t *zbuf;                /* compressed output */
	size_t zcap;
};

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static void set_error(struct tracefile *tf, const char *what, int err)
{
	if (!tf->failed)
		snprintf(tf->error, sizeof(tf->error), "%s: %s: %s", tf->path, what, strerror(err));
	tf->failed = true;
}

/* Compress and append one chunk (on the compressor thread, lock not held).
 * Returns -1 (error set under the lock by the caller) on failure. */
static int write_chunk(struct tracefile *tf, const struct item *it, uint64_t *n, int *err, const char **what)
{
	uLong bound = compressBound((uLong)it->len);
	if (bound > tf->zcap) {
		uint8_t *z = realloc(tf->zbuf, bound);
		if (!z) {
			*err = ENOMEM;
			*what = "compressing";
			return -1;
		}
		tf->zbuf = z;
		tf->zcap = bound;
	}
	uLongf zlen = (uLongf)tf->zcap;
	if (compress2(tf->zbuf, &zlen, it->buf, (uLong)it->len, Z_BEST_SPEED) != Z_OK) {
		*err = ENOMEM;
		*what = "compressing";
		return -1;
	}
	uint8_t h[TRACE_CHUNK_HDR];
	memcpy(h, TRACE_CHUNK_MAGIC, 4);
	tput32(h + 4, (uint32_t)zlen);
	tput32(h + 8, (uint32_t)it->len);
	tput32(h + 12, (uint32_t)crc32(0, it->buf, (uInt)it->len));
	tput64(h + 16, it->first_icount);
	tput32(h + 24, it->ninsn);
	tput32(h + 28, (uint32_t)crc32(0, h, 28));
	if (write_all(tf->fd, h, sizeof(h)) || write_all(tf->fd, tf->zbuf, zlen)) {
		*err = errno;
		*what = "write failed";
		/* cut the partial chunk off: the file stays a whole trace */
		if (ftruncate(tf->fd, (off_t)tf->written) == 0)
			lseek(tf->fd, (off_t)tf->written, SEEK_SET);
		return -1;
	}
	*n = sizeof(h) + zlen;
	return 0;
}

static void *compressor(void *arg)
{
	struct tracefile *tf = arg;
	pthread_mutex_lock(&tf->lock);
	for (;;) {
		while (!tf->qlen && !tf->closing)
			pthread_cond_wait(&tf->cond, &tf->lock);
		if (!tf->qlen)
			break;
		struct item it = tf->q[tf->qhead];
		bool skip = tf->failed;
		pthread_mutex_unlock(&tf->lock);

		int err = 0;
		const char *what = NULL;
		uint64_t n = 0;
		int r = skip ? 0 : write_chunk(tf, &it, &n, &err, &what);

		pthread_mutex_lock(&tf->lock);
		if (r)
			set_error(tf, what, err);
		tf->written += n;
		tf->qhead = (tf->qhead + 1) % QUEUE_LEN;
		tf->qlen--;
		if (tf->nspare < QUEUE_LEN + 2 && it.cap >= BUF_CAP)
			tf->spare[tf->nspare++] = it.buf;
		else
			free(it.buf);
		pthread_cond_broadcast(&tf->cond);
	}
	pthread_mutex_unlock(&tf->lock);
	return NULL;
}

/* An empty buffer (lock held) */
static uint8_t *get_buffer(struct tracefile *tf, size_t *cap)
{
	*cap = BUF_CAP;
	if (tf->nspare)
		return tf->spare[--tf->nspare];
	return malloc(BUF_CAP);
}

static uint8_t *sink_chunk(void *opaque, uint8_t *buf, size_t len, size_t cap,
			   uint64_t first_icount, uint32_t ninsn, size_t *newcap)
{
	struct tracefile *tf = opaque;
	pthread_mutex_lock(&tf->lock);
	while (tf->qlen == QUEUE_LEN && !tf->failed)
		pthread_cond_wait(&tf->cond, &tf->lock);
	if (tf->failed) {
		pthread_mutex_unlock(&tf->lock);
		free(buf);
		return NULL;
	}
	struct item *it = &tf->q[(tf->qhead + tf->qlen) % QUEUE_LEN];
	it->buf = buf;
	it->len = len;
	it->cap = cap;
	it->first_icount = first_icount;
	it->ninsn = ninsn;
	tf->qlen++;
	pthread_cond_broadcast(&tf->cond);
	uint8_t *nb = get_buffer(tf, newcap);
	if (!nb)
		set_error(tf, "out of memory", ENOMEM);
	pthread_mutex_unlock(&tf->lock);
	return nb;
}

static void put_str(uint8_t *p, size_t n, const char *s)
{
	size_t l = s ? strlen(s) : 0;
	memcpy(p, s ? s : "", l < n ? l : n);
}

struct tracefile *tracefile_open(const char *path, const struct tracefile_info *info,
				 const uint8_t *st, char *err, size_t errlen)
{
	struct tracefile *tf = calloc(1, sizeof(*tf));
	if (!tf || !(tf->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(tf);
		return NULL;
	}
	tf->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (tf->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(tf->path);
		free(tf);
		return NULL;
	}
	uint8_t h[TRACE_HEADER_FIXED + TRACE_STATE_SIZE];
	memset(h, 0, sizeof(h));
	memcpy(h, TRACE_MAGIC, 8);
	tput16(h + 8, TRACE_MAJOR);
	tput16(h + 10, TRACE_MINOR);
	tput32(h + 12, TRACE_HEADER_FIXED + TRACE_STATE_SIZE);
	tput32(h + 16, TRACE_STATE_SIZE);
	tput32(h + 20, info->what | TRACE_W_INSN);
	tput64(h + 24, info->ram_size);
	tput32(h + 32, info->cpuid_sig);
	put_str(h + 36, 12, info->vendor);
	put_str(h + 48, 47, info->model);
	put_str(h + 96, 15, info->machine);
	memcpy(h + TRACE_HEADER_FIXED, st, TRACE_STATE_SIZE);
	if (write_all(tf->fd, h, sizeof(h))) {
		snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
		close(tf->fd);
		unlink(path);
		free(tf->path);
		free(tf);
		return NULL;
	}
	tf->written = sizeof(h);
	pthread_mutex_init(&tf->lock, NULL);
	pthread_cond_init(&tf->cond, NULL);
	if (pthread_create(&tf->thread, NULL, compressor, tf)) {
		snprintf(err, errlen, "%s: cannot start the compressor thread", path);
		close(tf->fd);
		free(tf->path);
		free(tf);
		return NULL;
	}
	return tf;
}

struct trace_sink tracefile_sink(struct tracefile *tf)
{
	return (struct trace_sink){ .chunk = sink_chunk, .opaque = tf };
}

uint8_t *tracefile_buffer(struct tracefile *tf, size_t *cap)
{
	pthread_mutex_lock(&tf->lock);
	uint8_t *b = get_buffer(tf, cap);
	pthread_mutex_unlock(&tf->lock);
	return b;
}

uint64_t tracefile_bytes(struct tracefile *tf)
{
	pthread_mutex_lock(&tf->lock);
	uint64_t n = tf->written;
	pthread_mutex_unlock(&tf->lock);
	return n;
}

int tracefile_close(struct tracefile *tf, char *err, size_t errlen)
{
	pthread_mutex_lock(&tf->lock);
	tf->closing = true;
	pthread_cond_broadcast(&tf->cond);
	pthread_mutex_unlock(&tf->lock);
	pthread_join(tf->thread, NULL);
	if (close(tf->fd) && !tf->failed)
		set_error(tf, "close failed", errno);
	int r = 0;
	if (tf->failed) {
		snprintf(err, errlen, "%s", tf->error);
		r = -1;
	}
	for (unsigned i = 0; i < tf->nspare; i++)
		free(tf->spare[i]);
	free(tf->zbuf);
	pthread_mutex_destroy(&tf->lock);
	pthread_cond_destroy(&tf->cond);
	free(tf->path);
	free(tf);
	return r;
}

/*
 * png-test: frontends/png.c checked by reading its files back with a small
 * independent PNG reader (PNG specification: signature, chunk layout and
 * CRCs, IHDR, the zlib stream of the IDAT chunks, the five scanline filters),
 * comparing every pixel, and checking the error path.
 *
 *   png-test [DIR]     (DIR: where to write the files; default $TMPDIR or /tmp)
 *
 * Exit status 0 when every check passed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "frontends/png.h"

static int failures;

#define CHECK(cond, ...) do { if (!(cond)) { \
		fprintf(stderr, "png-test: %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; return -1; } } while (0)

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap);
	for (;;) {
		if (n == cap)
			b = realloc(b, cap *= 2);
		size_t r = fread(b + n, 1, cap - n, fp);
		if (!r)
			break;
		n += r;
	}
	fclose(fp);
	*len = n;
	return b;
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

/* Read a truecolour 8-bit PNG into 0x00RRGGBB pixels; -1 on any violation */
static int read_png(const char *path, uint32_t **out, unsigned *ow, unsigned *oh, unsigned *nfilters)
{
	size_t len;
	uint8_t *f = slurp(path, &len);
	CHECK(f, "cannot read %s", path);
	static const uint8_t sig[8] = { 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a };
	CHECK(len >= 8 && !memcmp(f, sig, 8), "%s: bad signature", path);

	uint8_t *idat = NULL;
	size_t idat_len = 0, pos = 8;
	unsigned w = 0, h = 0, nchunks = 0;
	int seen_iend = 0;
	while (pos < len) {
		CHECK(!seen_iend, "%s: data after IEND", path);
		CHECK(len - pos >= 12, "%s: truncated chunk at %zu", path, pos);
		uint32_t n = be32(f + pos);
		const uint8_t *type = f + pos + 4, *data = f + pos + 8;
		CHECK(n <= len - pos - 12, "%s: chunk length %u past the end", path, n);
		uint32_t crc = (uint32_t)crc32(crc32(0, type, 4), data, n);
		CHECK(crc == be32(data + n), "%s: bad CRC on chunk %.4s", path, (const char *)type);
		if (nchunks == 0)
			CHECK(!memcmp(type, "IHDR", 4), "%s: first chunk is not IHDR", path);
		if (!memcmp(type, "IHDR", 4)) {
			CHECK(nchunks == 0 && n == 13, "%s: bad IHDR", path);
			w = be32(data);
			h = be32(data + 4);
			CHECK(w && h && w < 0x80000000u && h < 0x80000000u, "%s: size %ux%u", path, w, h);
			CHECK(data[8] == 8 && data[9] == 2, "%s: depth %u colour type %u (want 8, 2)",
			      path, data[8], data[9]);
			CHECK(!data[10] && !data[11] && !data[12], "%s: compression/filter/interlace not 0",
			      path);
		} else if (!memcmp(type, "IDAT", 4)) {
			idat = realloc(idat, idat_len + n + 1);
			memcpy(idat + idat_len, data, n);
			idat_len += n;
		} else if (!memcmp(type, "IEND", 4)) {
			CHECK(n == 0, "%s: IEND with data", path);
			seen_iend = 1;
		} else {
			CHECK(type[0] & 0x20, "%s: unknown critical chunk %.4s", path,
			      (const char *)type);
		}
		pos += 12 + (size_t)n;
		nchunks++;
	}
	CHECK(seen_iend, "%s: no IEND", path);
	CHECK(idat_len, "%s: no IDAT", path);

	size_t stride = (size_t)w * 3 + 1;
	uLongf rawlen = (uLongf)(stride * h);
	uint8_t *raw = malloc(rawlen + 1);
	uLongf got = rawlen + 1;   /* one spare byte: more data than expected is an error */
	int zr = uncompress(raw, &got, idat, idat_len);
	CHECK(zr == Z_OK, "%s: zlib error %d", path, zr);
	CHECK(got == rawlen, "%s: %lu bytes of scanlines, want %lu", path, (unsigned long)got,
	      (unsigned long)rawlen);

	uint32_t *pix = malloc(sizeof(uint32_t) * w * h);
	uint8_t *prev = calloc(1, stride), *cur = malloc(stride);
	unsigned used = 0;
	for (unsigned y = 0; y < h; y++) {
		const uint8_t *in = raw + stride * y;
		unsigned ft = in[0];
		CHECK(ft <= 4, "%s: row %u filter type %u", path, y, ft);
		used |= 1u << ft;
		for (size_t i = 0; i < stride - 1; i++) {
			int a = i >= 3 ? cur[i - 3] : 0, b = prev[i], c = i >= 3 ? prev[i - 3] : 0;
			int pred = ft == 0 ? 0 : ft == 1 ? a : ft == 2 ? b : ft == 3 ? (a + b) / 2 : paeth(a, b, c);
			cur[i] = (uint8_t)(in[1 + i] + pred);
		}
		for (unsigned x = 0; x < w; x++)
			pix[(size_t)y * w + x] = (uint32_t)cur[3 * x] << 16 | (uint32_t)cur[3 * x + 1] << 8 |
						 cur[3 * x + 2];
		uint8_t *t = prev;
		prev = cur;
		cur = t;
	}
	free(prev);
	free(cur);
	free(raw);
	free(idat);
	free(f);
	*out = pix;
	*ow = w;
	*oh = h;
	*nfilters = used;
	return 0;
}

static int roundtrip(const char *dir, const char *name, const uint32_t *pix, unsigned w, unsigned h)
{
	char path[4096], tmp[4200], err[512] = "";
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	CHECK(png_write_rgb(path, pix, w, h, err, sizeof err) == 0, "%s: %s", path, err);
	CHECK(access(tmp, F_OK) != 0, "%s left behind", tmp);
	uint32_t *back;
	unsigned bw, bh, filters;
	if (read_png(path, &back, &bw, &bh, &filters))
		return -1;
	CHECK(bw == w && bh == h, "%s: %ux%u, want %ux%u", path, bw, bh, w, h);
	for (size_t i = 0; i < (size_t)w * h; i++)
		CHECK(back[i] == (pix[i] & 0xffffff), "%s: pixel (%zu, %zu) = %06x, want %06x", path,
		      i % w, i / w, back[i], pix[i] & 0xffffff);
	struct stat st;
	stat(path, &st);
	printf("png-test: %s %ux%u ok (%lld bytes, filters used:%s%s%s)\n", name, w, h,
	       (long long)st.st_size, filters & 1 ? " none" : "", filters & 2 ? " sub" : "",
	       filters & 4 ? " up" : "");
	free(back);
	unlink(path);
	return 0;
}

/* --check FILE W H: FILE is a valid PNG of W x H pixels that is not blank
 * (the PC tests check a screenshot with it; its text is drawn in the VGA
 * palette's light grey 0xAAAAAA on black). */
static int check_file(const char *path, unsigned w, unsigned h)
{
	uint32_t *pix;
	unsigned pw, ph, nf;
	if (read_png(path, &pix, &pw, &ph, &nf)) {
		fprintf(stderr, "png-test: %s: not a valid PNG\n", path);
		return 1;
	}
	size_t grey = 0, other = 0;
	for (size_t i = 0; i < (size_t)pw * ph; i++) {
		if (pix[i] == 0x00aaaaaa)
			grey++;
		else if (pix[i])
			other++;
	}
	free(pix);
	printf("png-test: %s: %ux%u, %zu light grey and %zu other non-black pixels\n", path, pw, ph, grey, other);
	if (pw != w || ph != h || grey == 0) {
		fprintf(stderr, "png-test: %s: expected %ux%u with light grey text\n", path, w, h);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--check"))
		return check_file(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
	const char *dir = argc > 1 ? argv[1] : getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	char sub[4096];
	snprintf(sub, sizeof sub, "%s/png-test-%ld", dir, (long)getpid());
	if (mkdir(sub, 0700)) {
		fprintf(stderr, "png-test: cannot create '%s': %s\n", sub, strerror(errno));
		return 1;
	}

	/* 1x1 */
	uint32_t one = 0x00c0ffee;
	roundtrip(sub, "1x1.png", &one, 1, 1);

	/* 3x2, six distinct colours, the top byte set on some (must be ignored) */
	uint32_t six[6] = { 0x00ff0000, 0x0000ff00, 0xff0000ff, 0x00ffffff, 0x00000000, 0x12808080 };
	roundtrip(sub, "3x2.png", six, 3, 2);

	/* 720x400, a text-mode-sized screen: flat areas, stripes, gradients and
	 * noise, so that different rows choose different filters */
	unsigned w = 720, h = 400;
	uint32_t *big = malloc(sizeof(uint32_t) * w * h);
	uint32_t seed = 12345;
	for (unsigned y = 0; y < h; y++) {
		for (unsigned x = 0; x < w; x++) {
			uint32_t v;
			if (y < 100)
				v = 0x000000aa;                                  /* flat blue */
			else if (y < 200)
				v = (x / 9) % 2 ? 0x00aaaaaa : 0x00000000;       /* vertical stripes */
			else if (y < 300)
				v = (x * 255 / w) << 16 | (y * 255 / h) << 8 | ((x + y) & 0xff);
			else
				v = (seed = seed * 1103515245 + 12345) >> 8;      /* noise */
			big[(size_t)y * w + x] = v & 0xffffff;
		}
	}
	roundtrip(sub, "720x400.png", big, w, h);

	/* an existing file is replaced */
	char path[4200], err[512] = "";
	snprintf(path, sizeof path, "%s/replace.png", sub);
	FILE *fp = fopen(path, "w");
	if (fp) {
		fputs("old contents\n", fp);
		fclose(fp);
	}
	roundtrip(sub, "replace.png", big, w, h);

	/* a directory that does not exist: -1 and a one-line message */
	snprintf(path, sizeof path, "%s/no-such-dir/x.png", sub);
	int r = png_write_rgb(path, &one, 1, 1, err, sizeof err);
	if (r != -1 || !err[0] || strchr(err, '\n') || !strstr(err, strerror(ENOENT))) {
		fprintf(stderr, "png-test: writing into a missing directory: returned %d, message '%s'\n",
			r, err);
		failures++;
	} else {
		printf("png-test: missing directory refused: %s\n", err);
	}
	/* an empty image is refused too */
	err[0] = 0;
	snprintf(path, sizeof path, "%s/empty.png", sub);
	if (png_write_rgb(path, &one, 0, 1, err, sizeof err) != -1 || !err[0]) {
		fprintf(stderr, "png-test: a 0x1 image was accepted\n");
		failures++;
	}

	/* keep one file for outside validators when asked to */
	if (getenv("PNG_TEST_KEEP")) {
		snprintf(path, sizeof path, "%s", getenv("PNG_TEST_KEEP"));
		if (png_write_rgb(path, big, w, h, err, sizeof err))
			fprintf(stderr, "png-test: %s\n", err), failures++;
	}
	free(big);
	rmdir(sub);
	if (failures) {
		fprintf(stderr, "png-test: %d check(s) failed\n", failures);
		return 1;
	}
	printf("png-test: all checks passed\n");
	return 0;
}

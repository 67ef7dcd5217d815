/*
 * Screenshots as PNG files (truecolour, 8 bits per sample, no alpha), with
 * zlib for the deflate stream and the chunk CRCs.
 */
#ifndef SHADE86_PNG_H
#define SHADE86_PNG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Write w x h pixels (0x00RRGGBB, row-major; the top byte is ignored) to path.
 * The file is written as path.tmp in the same directory, synced, then renamed
 * over path, so path is never seen half-written.  Returns 0, or -1 with a
 * one-line message in err (and no path.tmp left behind).
 */
int png_write_rgb(const char *path, const uint32_t *pix, unsigned w, unsigned h,
		  char *err, size_t errlen);

#endif

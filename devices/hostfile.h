/*
 * Reading a whole host file (a BIOS, a ROM, a kernel, an initrd) into
 * memory, with one-line errors that name what the file was for.
 */
#ifndef SHADE86_HOSTFILE_H
#define SHADE86_HOSTFILE_H
#include <stddef.h>
#include <stdint.h>

/* Reads path into a malloc'd buffer (*out, *len).  what names the file in
 * messages ("kernel", "BIOS image").  Files larger than max bytes are refused.
 * Returns 0, or -1 with err set: cannot open (with strerror), cannot read, too
 * large, out of memory. */
int hostfile_read(const char *path, const char *what, uint32_t max, uint8_t **out, uint32_t *len,
		  char *err, size_t errlen);
#endif

/* QEMU fw_cfg device, I/O-port interface (see fwcfg.h). */
#include <stdlib.h>
#include <string.h>

#include "../mmu/mem.h"
#include "fwcfg.h"

static const struct fwcfg_item *selected(const struct fwcfg *f)
{
	unsigned k = f->select & 0x3fff;   /* bit 14: write channel, bit 15: arch-local */
	if (f->select & 0x8000)
		return NULL;                   /* no architecture-specific items */
	if (k < FW_CFG_FILE_FIRST)
		return k == FW_CFG_FILE_DIR ? &f->dir : &f->key[k];
	k -= FW_CFG_FILE_FIRST;
	return k < f->nfiles ? &f->file[k] : NULL;
}

static uint32_t fwcfg_read(void *opaque, uint32_t port, unsigned size)
{
	struct fwcfg *f = opaque;
	if (port != 0x511 || size != 1)
		return 0;   /* the selector is write-only; the data port is 8-bit */
	const struct fwcfg_item *it = selected(f);
	if (!it || f->offset >= it->len)
		return 0;
	return it->data[f->offset++];
}

static void fwcfg_write(void *opaque, uint32_t port, uint32_t v, unsigned size)
{
	struct fwcfg *f = opaque;
	(void)size;
	if (port == 0x510) {   /* a 16-bit register; a byte write sets the low byte, high 0 */
		f->select = (uint16_t)v;
		f->offset = 0;
	}
	/* data writes are ignored: no item is writable */
}

static int set_item(struct fwcfg_item *it, const void *data, uint32_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -1;
	if (len)
		memcpy(copy, data, len);
	free(it->data);
	it->data = copy;
	it->len = len;
	return 0;
}

int fwcfg_init(struct fwcfg *f, struct mem *mem)
{
	memset(f, 0, sizeof(*f));
	if (fwcfg_set(f, FW_CFG_SIGNATURE, "QEMU", 4) || fwcfg_set_u32(f, FW_CFG_ID, 1) ||
	    fwcfg_add_file(f, NULL, NULL, 0))
		return -1;
	/* one registration: the 16-bit selector at 0x510 overlaps the data port 0x511 */
	return io_register(mem, 0x510, 2, fwcfg_read, fwcfg_write, f, "fw_cfg", MEM_W8 | MEM_W16);
}

void fwcfg_free(struct fwcfg *f)
{
	for (unsigned i = 0; i < FW_CFG_FILE_FIRST; i++)
		free(f->key[i].data);
	for (unsigned i = 0; i < f->nfiles; i++)
		free(f->file[i].data);
	free(f->dir.data);
	memset(f, 0, sizeof(*f));
}

void fwcfg_reset(struct fwcfg *f)
{
	f->select = 0;
	f->offset = 0;
}

int fwcfg_set(struct fwcfg *f, unsigned key, const void *data, uint32_t len)
{
	if (key >= FW_CFG_FILE_FIRST || key == FW_CFG_FILE_DIR)
		return -1;
	return set_item(&f->key[key], data, len);
}

static int set_le(struct fwcfg *f, unsigned key, uint64_t v, unsigned n)
{
	uint8_t b[8];
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fwcfg_set(f, key, b, n);
}

int fwcfg_set_u16(struct fwcfg *f, unsigned key, uint16_t v) { return set_le(f, key, v, 2); }
int fwcfg_set_u32(struct fwcfg *f, unsigned key, uint32_t v) { return set_le(f, key, v, 4); }
int fwcfg_set_u64(struct fwcfg *f, unsigned key, uint64_t v) { return set_le(f, key, v, 8); }

static void put_be(uint8_t *p, uint32_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* The directory: be32 count, then per file be32 size, be16 select, be16 0, name[56] */
static int rebuild_dir(struct fwcfg *f)
{
	uint32_t len = 4 + 64 * f->nfiles;
	uint8_t *d = calloc(1, len);
	if (!d)
		return -1;
	put_be(d, f->nfiles, 4);
	for (unsigned i = 0; i < f->nfiles; i++) {
		uint8_t *e = d + 4 + 64 * i;
		put_be(e, f->file[i].len, 4);
		put_be(e + 4, FW_CFG_FILE_FIRST + i, 2);
		memcpy(e + 8, f->file_name[i], FWCFG_NAME_LEN);
	}
	free(f->dir.data);
	f->dir.data = d;
	f->dir.len = len;
	return 0;
}

/* name NULL: only (re)build the directory */
int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, uint32_t len)
{
	if (name) {
		if (f->nfiles >= FWCFG_MAX_FILES || strlen(name) >= FWCFG_NAME_LEN)
			return -1;
		for (unsigned i = 0; i < f->nfiles; i++)
			if (!strcmp(f->file_name[i], name))
				return -1;
		if (set_item(&f->file[f->nfiles], data, len))
			return -1;
		memset(f->file_name[f->nfiles], 0, FWCFG_NAME_LEN);
		strcpy(f->file_name[f->nfiles], name);
		f->nfiles++;
	}
	return rebuild_dir(f);
}

void fwcfg_save(const struct fwcfg *f, struct state_writer *w)
{
	sw_u16(w, f->select);
	sw_u32(w, f->offset);
}

int fwcfg_load(struct fwcfg *f, struct state_reader *r)
{
	f->select = sr_u16(r);
	f->offset = sr_u32(r);
	return r->error ? -1 : 0;
}

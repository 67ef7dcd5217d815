/* VGA + Bochs VBE (QEMU stdvga), see vga.h for the documents followed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../mmu/mem.h"
#include "vga.h"

#define PLANES_SIZE 0x40000u   /* 4 planes x 64 KiB, interleaved */

/* ---- helpers ------------------------------------------------------------ */

static bool color_io(const struct vga *v) { return v->misc & 1; }   /* 0x3Dx decoding */

static bool vbe_on(const struct vga *v) { return v->vbe[VBE_ENABLE] & VBE_ENABLED; }

/* byte b repeated in each plane lane whose bit is set in m (bits 0-3) */
static uint32_t lanes(unsigned m)
{
	uint32_t r = 0;
	for (unsigned p = 0; p < 4; p++)
		if (m & (1u << p))
			r |= 0xffu << (8 * p);
	return r;
}

static uint32_t plane_word(const struct vga *v, uint32_t a)
{
	const uint8_t *p = v->vram + ((a & 0xffff) << 2);
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned vbe_bytes_pp(unsigned bpp)
{
	return bpp == 15 ? 2 : (bpp + 7) / 8;
}

/* ---- the 0xA0000 window (IBM VGA tech ref: graphics controller, sequencer) */

/* offset within the window for the GC misc memory map select, or -1 */
static long window_offset(const struct vga *v, uint32_t off)
{
	switch ((v->gc[6] >> 2) & 3) {
	case 0: return off;                                        /* A0000-BFFFF */
	case 1: return off < 0x10000 ? (long)off : -1;             /* A0000-AFFFF */
	case 2: return off >= 0x10000 && off < 0x18000 ? (long)(off - 0x10000) : -1;
	default: return off >= 0x18000 ? (long)(off - 0x18000) : -1;
	}
}

static uint32_t vga_mem_read(void *opaque, uint32_t off, unsigned size)
{
	struct vga *v = opaque;
	(void)size;
	if (vbe_on(v)) {   /* Bochs banked window: 64 KiB at 0xA0000, 64 KiB granularity */
		if (off >= 0x10000)
			return 0xff;
		uint32_t a = (uint32_t)v->vbe[VBE_BANK] * 0x10000u + off;
		return a < VGA_VRAM_SIZE ? v->vram[a] : 0xff;
	}
	long o = window_offset(v, off);
	if (o < 0)
		return 0xff;
	uint32_t a = (uint32_t)o;
	unsigned plane;
	if (v->seq[4] & 0x08) {            /* chain 4: the low two bits select the plane */
		plane = a & 3;
		a >>= 2;
	} else if (v->gc[5] & 0x10) {      /* host odd/even read */
		plane = (v->gc[4] & 2) | (a & 1);
		a &= ~1u;
	} else {
		plane = v->gc[4] & 3;
	}
	a &= 0xffff;
	v->latch = plane_word(v, a);
	if (!(v->gc[5] & 0x08))            /* read mode 0 */
		return (v->latch >> (8 * plane)) & 0xff;
	/* read mode 1: colour compare (GC 2) over the planes colour don't care (GC 7) selects */
	uint32_t cc = lanes(v->gc[2] & 0xf), dc = lanes(v->gc[7] & 0xf);
	uint32_t diff = (v->latch ^ cc) & dc;
	return ~(diff | diff >> 8 | diff >> 16 | diff >> 24) & 0xff;
}

static void vga_mem_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
	struct vga *v = opaque;
	(void)size;
	uint8_t b = (uint8_t)val;
	if (vbe_on(v)) {
		if (off < 0x10000) {
			uint32_t a = (uint32_t)v->vbe[VBE_BANK] * 0x10000u + off;
			if (a < VGA_VRAM_SIZE)
				v->vram[a] = b;
		}
		return;
	}
	long o = window_offset(v, off);
	if (o < 0)
		return;
	uint32_t a = (uint32_t)o;
	unsigned pmask = v->seq[2] & 0xf;  /* map mask */
	if (v->seq[4] & 0x08) {            /* chain 4 */
		pmask &= 1u << (a & 3);
		a >>= 2;
	} else if (!(v->seq[4] & 0x04)) {  /* odd/even: even -> planes 0,2; odd -> 1,3 */
		pmask &= (a & 1) ? 0xa : 0x5;
		a &= ~1u;
	}
	a &= 0xffff;
	unsigned rot = v->gc[3] & 7;
	uint8_t rb = (uint8_t)((b >> rot) | (b << ((8 - rot) & 7)));
	uint32_t data, bitmask = lanes(0xf) & (0x01010101u * v->gc[8]);
	uint32_t sr = lanes(v->gc[0] & 0xf);
	switch (v->gc[5] & 3) {
	case 0: {
		uint32_t esr = lanes(v->gc[1] & 0xf);
		data = (0x01010101u * rb & ~esr) | (sr & esr);
		break;
	}
	case 1:
		data = v->latch;
		bitmask = 0xffffffffu;
		goto store;
	case 2:
		data = lanes(b & 0xf);
		break;
	default:   /* 3: rotated data ANDed with the bit mask is the mask; set/reset the data */
		bitmask = 0x01010101u * (uint8_t)(rb & v->gc[8]);
		data = sr;
		break;
	}
	switch ((v->gc[3] >> 3) & 3) {     /* data function against the latches */
	case 1: data &= v->latch; break;
	case 2: data |= v->latch; break;
	case 3: data ^= v->latch; break;
	default: break;
	}
	data = (data & bitmask) | (v->latch & ~bitmask);
store:;
	uint8_t *p = v->vram + (a << 2);
	for (unsigned i = 0; i < 4; i++)
		if (pmask & (1u << i))
			p[i] = (uint8_t)(data >> (8 * i));
}

/* ---- the linear framebuffer (BAR0) ------------------------------------- */

static uint32_t lfb_read(void *opaque, uint32_t off, unsigned size)
{
	struct vga *v = opaque;
	uint32_t r = 0;
	for (unsigned i = 0; i < size && off + i < VGA_VRAM_SIZE; i++)
		r |= (uint32_t)v->vram[off + i] << (8 * i);
	return r;
}

static void lfb_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
	struct vga *v = opaque;
	for (unsigned i = 0; i < size && off + i < VGA_VRAM_SIZE; i++)
		v->vram[off + i] = (uint8_t)(val >> (8 * i));
}

static void vga_bar_moved(struct pci_dev *d, int n, bool mapped, uint32_t addr)
{
	struct vga *v = d->opaque;
	if (n != 0)
		return;
	if (v->lfb_mapped) {
		mem_unmap(v->mem, v->lfb_base);
		v->lfb_mapped = false;
	}
	if (mapped && !mem_map_mmio(v->mem, addr, VGA_VRAM_SIZE, lfb_read, lfb_write, v,
				    "vga-lfb", MEM_WALL)) {
		v->lfb_base = addr;
		v->lfb_mapped = true;
	}
}

/* ---- Bochs VBE DISPI ---------------------------------------------------- */

static uint16_t dispi_read(struct vga *v)
{
	unsigned i = v->vbe_idx;
	if (i >= VBE_NREGS)
		return 0;
	if (v->vbe[VBE_ENABLE] & VBE_GETCAPS) {
		if (i == VBE_XRES) return VBE_MAX_XRES;
		if (i == VBE_YRES) return VBE_MAX_YRES;
		if (i == VBE_BPP) return VBE_MAX_BPP;
	}
	if (i == VBE_VIDEO_MEMORY_64K)
		return VGA_VRAM_SIZE >> 16;
	return v->vbe[i];
}

static void vbe_set_virt_height(struct vga *v)
{
	uint32_t line = (uint32_t)v->vbe[VBE_VIRT_WIDTH] * vbe_bytes_pp(v->vbe[VBE_BPP]);
	uint32_t h = line ? VGA_VRAM_SIZE / line : 0;
	v->vbe[VBE_VIRT_HEIGHT] = (uint16_t)(h > 0xffff ? 0xffff : h);
}

static void dispi_write(struct vga *v, uint16_t val)
{
	unsigned i = v->vbe_idx;
	switch (i) {
	case VBE_ID:
		if (val >= 0xb0c0 && val <= 0xb0c5)
			v->vbe[VBE_ID] = val;
		break;
	case VBE_XRES:
	case VBE_YRES:
	case VBE_BPP:
		if (vbe_on(v))
			break;   /* Bochs: geometry changes only while disabled */
		if (i == VBE_XRES && val <= VBE_MAX_XRES)
			v->vbe[i] = val;
		else if (i == VBE_YRES && val <= VBE_MAX_YRES)
			v->vbe[i] = val;
		else if (i == VBE_BPP) {
			if (val == 0)
				val = 8;
			if (val == 4 || val == 8 || val == 15 || val == 16 || val == 24 || val == 32)
				v->vbe[i] = val;
		}
		break;
	case VBE_ENABLE: {
		bool was = vbe_on(v);
		v->vbe[VBE_ENABLE] = val & (VBE_ENABLED | VBE_GETCAPS | VBE_8BIT_DAC |
					    VBE_LFB_ENABLED | VBE_NOCLEARMEM);
		if ((val & VBE_ENABLED) && !was) {
			v->vbe[VBE_VIRT_WIDTH] = v->vbe[VBE_XRES];
			vbe_set_virt_height(v);
			v->vbe[VBE_X_OFFSET] = v->vbe[VBE_Y_OFFSET] = 0;
			v->vbe[VBE_BANK] = 0;
			if (!(val & VBE_NOCLEARMEM))
				memset(v->vram, 0, VGA_VRAM_SIZE);
		}
		break;
	}
	case VBE_BANK:
		if ((uint32_t)val * 0x10000u < VGA_VRAM_SIZE)
			v->vbe[i] = val;
		break;
	case VBE_VIRT_WIDTH:
		v->vbe[i] = val;
		vbe_set_virt_height(v);
		break;
	case VBE_X_OFFSET:
	case VBE_Y_OFFSET:
		v->vbe[i] = val;
		break;
	default:
		break;   /* VIRT_HEIGHT and VIDEO_MEMORY_64K are read-only */
	}
}

static uint32_t dispi_io_read(void *opaque, uint32_t port, unsigned size)
{
	struct vga *v = opaque;
	(void)size;
	if (port == 0x1ce)
		return v->vbe_idx;
	if (port == 0x1cf)
		return dispi_read(v);
	return 0xffff;
}

static void dispi_io_write(void *opaque, uint32_t port, uint32_t val, unsigned size)
{
	struct vga *v = opaque;
	(void)size;
	if (port == 0x1ce)
		v->vbe_idx = (uint16_t)val;
	else if (port == 0x1cf)
		dispi_write(v, (uint16_t)val);
}

/* ---- legacy VGA ports (FreeVGA register reference) ---------------------- */

static uint32_t vga_io_read(void *opaque, uint32_t port, unsigned size)
{
	struct vga *v = opaque;
	(void)size;
	/* the 0x3Bx ports decode in mono, the 0x3Dx ports in colour (misc bit 0) */
	if ((port >= 0x3b0 && port <= 0x3bf && color_io(v)) ||
	    (port >= 0x3d0 && port <= 0x3df && !color_io(v)))
		return 0xff;
	switch (port) {
	case 0x3c0:
		return v->ar_idx;
	case 0x3c1:
		return (v->ar_idx & 0x1f) < 0x15 ? v->ar[v->ar_idx & 0x1f] : 0;
	case 0x3c2:
		return 0x10;   /* input status 0: switch sense */
	case 0x3c3:
		return 1;      /* VGA enable */
	case 0x3c4:
		return v->seq_idx;
	case 0x3c5:
		return v->seq_idx < 5 ? v->seq[v->seq_idx] : 0;
	case 0x3c6:
		return v->dac_mask;
	case 0x3c7:
		return v->dac_state;
	case 0x3c8:
		return v->dac_widx;
	case 0x3c9: {
		uint8_t r = v->dac[v->dac_ridx * 3 + v->dac_sub];
		if (++v->dac_sub == 3) {
			v->dac_sub = 0;
			v->dac_ridx++;
		}
		return r;
	}
	case 0x3ca:
		return v->fcr;
	case 0x3cc:
		return v->misc;
	case 0x3ce:
		return v->gc_idx;
	case 0x3cf:
		return v->gc_idx < 9 ? v->gc[v->gc_idx] : 0;
	case 0x3b4: case 0x3d4:
		return v->crtc_idx;
	case 0x3b5: case 0x3d5:
		return v->crtc_idx < 0x19 ? v->crtc[v->crtc_idx] : 0;
	case 0x3ba: case 0x3da: {
		/* input status 1: bit 0 display disabled, bit 3 vertical retrace;
		 * both toggle on every read so polling loops in either sense finish */
		v->ar_flip = false;
		v->st1_count++;
		return (v->st1_count & 1) ? 0x09 : 0x00;
	}
	default:
		return 0xff;
	}
}

static void vga_io_write(void *opaque, uint32_t port, uint32_t val, unsigned size)
{
	struct vga *v = opaque;
	uint8_t b = (uint8_t)val;
	(void)size;
	if ((port >= 0x3b0 && port <= 0x3bf && color_io(v)) ||
	    (port >= 0x3d0 && port <= 0x3df && !color_io(v)))
		return;
	switch (port) {
	case 0x3c0:
		if (!v->ar_flip) {
			v->ar_idx = b & 0x3f;
		} else {
			unsigned i = v->ar_idx & 0x1f;
			if (i < 0x15)
				v->ar[i] = i < 0x10 ? (b & 0x3f) : b;
		}
		v->ar_flip = !v->ar_flip;
		break;
	case 0x3c2:
		v->misc = b;
		break;
	case 0x3c4:
		v->seq_idx = b & 7;
		break;
	case 0x3c5:
		if (v->seq_idx < 5)
			v->seq[v->seq_idx] = b;
		break;
	case 0x3c6:
		v->dac_mask = b;
		break;
	case 0x3c7:
		v->dac_ridx = b;
		v->dac_sub = 0;
		v->dac_state = 3;
		break;
	case 0x3c8:
		v->dac_widx = b;
		v->dac_sub = 0;
		v->dac_state = 0;
		break;
	case 0x3c9:
		v->dac[v->dac_widx * 3 + v->dac_sub] =
			(v->vbe[VBE_ENABLE] & VBE_8BIT_DAC) ? b : (b & 0x3f);
		if (++v->dac_sub == 3) {
			v->dac_sub = 0;
			v->dac_widx++;
		}
		break;
	case 0x3ce:
		v->gc_idx = b & 0xf;
		break;
	case 0x3cf:
		if (v->gc_idx < 9)
			v->gc[v->gc_idx] = b;
		break;
	case 0x3b4: case 0x3d4:
		v->crtc_idx = b & 0x3f;
		break;
	case 0x3b5: case 0x3d5: {
		unsigned i = v->crtc_idx;
		if (i >= 0x19)
			break;
		/* CRTC 0x11 bit 7 protects registers 0-7, except the line compare bit of 7 */
		if ((v->crtc[0x11] & 0x80) && i <= 7) {
			if (i == 7)
				v->crtc[7] = (uint8_t)((v->crtc[7] & ~0x10) | (b & 0x10));
			break;
		}
		v->crtc[i] = b;
		break;
	}
	case 0x3ba: case 0x3da:
		v->fcr = b;
		break;
	default:
		break;
	}
}

/* ---- init / reset ------------------------------------------------------- */

/* The PCI header: VGA-compatible display controller (class 0x030000), BAR0 the
 * prefetchable 32-bit memory LFB; subsystem IDs as QEMU gives its devices. */
static void pci_header(struct vga *v)
{
	struct pci_dev *d = &v->pci;
	memset(d, 0, sizeof(*d));
	pci_dev_init(d, VGA_PCI_VENDOR, VGA_PCI_DEVICE, 0x02, 0x030000, "stdvga");
	d->config[0x2c] = 0xf4;                  /* subsystem vendor 0x1af4 */
	d->config[0x2d] = 0x1a;
	d->config[0x2e] = 0x00;                  /* subsystem 0x1100 */
	d->config[0x2f] = 0x11;
	pci_dev_set_bar(d, 0, VGA_VRAM_SIZE, false, true);
	d->opaque = v;
	d->bar_moved = vga_bar_moved;
}

void vga_reset(struct vga *v)
{
	v->misc = 0;
	v->fcr = 0;
	v->seq_idx = v->crtc_idx = v->gc_idx = v->ar_idx = 0;
	memset(v->seq, 0, sizeof v->seq);
	memset(v->crtc, 0, sizeof v->crtc);
	memset(v->gc, 0, sizeof v->gc);
	memset(v->ar, 0, sizeof v->ar);
	v->seq[2] = 0x0f;
	v->gc[8] = 0xff;
	v->ar_flip = false;
	v->dac_mask = 0xff;
	v->dac_widx = v->dac_ridx = v->dac_sub = v->dac_state = 0;
	v->latch = 0;
	v->st1_count = 0;
	v->vbe_idx = 0;
	memset(v->vbe, 0, sizeof v->vbe);
	v->vbe[VBE_ID] = 0xb0c5;
	v->vbe[VBE_XRES] = 640;
	v->vbe[VBE_YRES] = 480;
	v->vbe[VBE_BPP] = 8;
}

int vga_init(struct vga *v, struct mem *mem)
{
	memset(v, 0, sizeof(*v));
	v->mem = mem;
	v->vram = calloc(1, VGA_VRAM_SIZE);
	if (!v->vram)
		return -1;
	pci_header(v);
	vga_reset(v);
	if (io_register(mem, 0x3b0, 0x30, vga_io_read, vga_io_write, v, "vga", MEM_W8) ||
	    io_register(mem, 0x1ce, 3, dispi_io_read, dispi_io_write, v, "vbe-dispi", MEM_W16) ||
	    mem_map_mmio(mem, 0xa0000, 0x20000, vga_mem_read, vga_mem_write, v, "vga-window", MEM_W8)) {
		free(v->vram);
		v->vram = NULL;
		return -1;
	}
	return 0;
}

void vga_free(struct vga *v)
{
	free(v->vram);
	free(v->rom);
	v->vram = NULL;
	v->rom = NULL;
}

int vga_load_rom(struct vga *v, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return -1;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	int err = ferror(f);
	fclose(f);
	if (err || len == 0 || len > 0x40000) {
		free(buf);
		errno = err ? EIO : EINVAL;
		return -1;
	}
	free(v->rom);
	v->rom = buf;
	v->rom_len = (uint32_t)len;
	return 0;
}

/* ---- rendering ---------------------------------------------------------- */

static uint32_t dac_rgb(const struct vga *v, unsigned idx)
{
	const uint8_t *c = v->dac + 3 * (idx & v->dac_mask & 0xff);
	if (vbe_on(v) && (v->vbe[VBE_ENABLE] & VBE_8BIT_DAC))
		return (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
	uint32_t r = (c[0] & 0x3f), g = (c[1] & 0x3f), b = (c[2] & 0x3f);
	r = r << 2 | r >> 4;
	g = g << 2 | g >> 4;
	b = b << 2 | b >> 4;
	return r << 16 | g << 8 | b;
}

/* a 4-bit attribute colour through the attribute controller palette to the DAC
 * (FreeVGA: attribute mode control bit 7, colour select register) */
static uint32_t ar_color(const struct vga *v, unsigned c)
{
	unsigned p = v->ar[c & 0xf];
	if (v->ar[0x10] & 0x80)
		p = (p & 0x0f) | ((v->ar[0x14] & 3u) << 4);
	p = (p & 0x3f) | ((v->ar[0x14] & 0x0cu) << 4);
	return dac_rgb(v, p);
}

static unsigned vdisp(const struct vga *v)
{
	return (v->crtc[0x12] | (v->crtc[7] & 0x02u) << 7 | (v->crtc[7] & 0x40u) << 3) + 1;
}

void vga_text_size(const struct vga *v, unsigned *cols, unsigned *rows)
{
	*cols = *rows = 0;
	if (vbe_on(v) || (v->gc[6] & 1))
		return;
	unsigned ch = (v->crtc[9] & 0x1f) + 1;
	if (v->crtc[9] & 0x80)
		ch *= 2;
	*cols = v->crtc[1] + 1u;
	*rows = vdisp(v) / ch;
}

/* plane address of text cell (row, col) */
static uint32_t text_addr(const struct vga *v, unsigned row, unsigned col)
{
	uint32_t start = (uint32_t)v->crtc[0x0c] << 8 | v->crtc[0x0d];
	return ((start + row * v->crtc[0x13] * 2u + col) * 2u) & 0xffff;
}

const char *vga_text_row(struct vga *v, unsigned row)
{
	unsigned cols, rows;
	vga_text_size(v, &cols, &rows);
	if (!cols || row >= rows)
		return NULL;
	if (cols > sizeof v->text - 1)
		cols = sizeof v->text - 1;
	unsigned n = 0;
	for (unsigned c = 0; c < cols; c++) {
		uint8_t ch = v->vram[text_addr(v, row, c) << 2];
		v->text[n++] = (char)(ch ? ch : ' ');
	}
	while (n && v->text[n - 1] == ' ')
		n--;
	v->text[n] = 0;
	return v->text;
}

static void render_text(struct vga *v, uint32_t *rgb, unsigned maxw, unsigned maxh,
			unsigned *w, unsigned *h)
{
	unsigned cols, rows;
	vga_text_size(v, &cols, &rows);
	unsigned cw = (v->seq[1] & 1) ? 8 : 9;
	unsigned ch = (v->crtc[9] & 0x1f) + 1;
	*w = cols * cw < maxw ? cols * cw : maxw;
	*h = rows * ch < maxh ? rows * ch : maxh;
	/* character map select (sequencer 3): map A for attribute bit 3 set, B clear */
	static const uint16_t map_base[8] = { 0x0000, 0x4000, 0x8000, 0xc000,
					      0x2000, 0x6000, 0xa000, 0xe000 };
	unsigned s = v->seq[3];
	uint32_t font_a = map_base[((s >> 3) & 4) | ((s >> 2) & 3)];
	uint32_t font_b = map_base[((s >> 2) & 4) | (s & 3)];
	uint32_t cursor = (uint32_t)v->crtc[0x0e] << 8 | v->crtc[0x0f];
	uint32_t start = (uint32_t)v->crtc[0x0c] << 8 | v->crtc[0x0d];
	bool cursor_on = !(v->crtc[0x0a] & 0x20);
	unsigned cs = v->crtc[0x0a] & 0x1f, ce = v->crtc[0x0b] & 0x1f;
	bool blink = v->ar[0x10] & 0x08, lge = v->ar[0x10] & 0x04;
	for (unsigned r = 0; r < rows; r++) {
		for (unsigned c = 0; c < cols; c++) {
			uint32_t a = text_addr(v, r, c);
			uint8_t glyph = v->vram[a << 2], attr = v->vram[(a << 2) | 1];
			unsigned fgi = attr & 0xf, bgi = attr >> 4;
			if (blink)
				bgi &= 7;   /* bit 7 blinks instead (drawn as always visible) */
			uint32_t fg = ar_color(v, fgi), bg = ar_color(v, bgi);
			uint32_t font = (attr & 8) ? font_a : font_b;
			bool is_cursor = cursor_on &&
				((start + r * v->crtc[0x13] * 2u + c) & 0xffff) == cursor;
			for (unsigned y = 0; y < ch; y++) {
				unsigned py = r * ch + y;
				if (py >= *h)
					break;
				uint8_t bits = v->vram[(((font + glyph * 32u + y) & 0xffff) << 2) | 2];
				if (is_cursor && y >= cs && y <= ce)
					bits = 0xff;
				for (unsigned x = 0; x < cw; x++) {
					unsigned px = c * cw + x;
					if (px >= *w)
						break;
					bool on;
					if (x < 8)
						on = bits & (0x80 >> x);
					else   /* 9th dot: repeats dot 8 for 0xC0-0xDF with line graphics */
						on = lge && glyph >= 0xc0 && glyph <= 0xdf && (bits & 1);
					if (is_cursor && y >= cs && y <= ce)
						on = true;
					rgb[py * *w + px] = on ? fg : bg;
				}
			}
		}
	}
}

static void render_vbe(struct vga *v, uint32_t *rgb, unsigned maxw, unsigned maxh,
		       unsigned *w, unsigned *h)
{
	unsigned bpp = v->vbe[VBE_BPP], bp = vbe_bytes_pp(bpp);
	unsigned xres = v->vbe[VBE_XRES], yres = v->vbe[VBE_YRES];
	*w = xres < maxw ? xres : maxw;
	*h = yres < maxh ? yres : maxh;
	uint32_t stride = (uint32_t)v->vbe[VBE_VIRT_WIDTH] * bp;
	uint32_t base = ((uint32_t)v->vbe[VBE_Y_OFFSET] * v->vbe[VBE_VIRT_WIDTH] +
			 v->vbe[VBE_X_OFFSET]) * bp;
	for (unsigned y = 0; y < *h; y++) {
		for (unsigned x = 0; x < *w; x++) {
			uint32_t a = base + y * stride + x * bp, px = 0;
			if (a + bp > VGA_VRAM_SIZE) {
				rgb[y * *w + x] = 0;
				continue;
			}
			const uint8_t *p = v->vram + a;
			switch (bpp) {
			case 8:
				px = dac_rgb(v, p[0]);
				break;
			case 15: {
				unsigned q = p[0] | p[1] << 8;
				unsigned r = (q >> 10) & 31, g = (q >> 5) & 31, b = q & 31;
				px = (r << 3 | r >> 2) << 16 | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2);
				break;
			}
			case 16: {
				unsigned q = p[0] | p[1] << 8;
				unsigned r = (q >> 11) & 31, g = (q >> 5) & 63, b = q & 31;
				px = (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
				break;
			}
			case 24:
			case 32:   /* little-endian B, G, R (, X) */
				px = (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
				break;
			default:
				break;
			}
			rgb[y * *w + x] = px;
		}
	}
}

/* Graphics modes.  Scan line t of the picture (after double scanning) belongs
 * to character row t / L, scan line t % L (L = CRTC 9 max scan line + 1).  The
 * CRTC memory address counter starts each row at start + row * offset * 2 and
 * advances once per character clock; it reaches plane memory shifted by the
 * addressing mode (byte, word: << 1, doubleword: << 2), and with CRTC 0x17 bit
 * 0 (bit 1) clear, address bit 13 (14) is replaced by bit 0 (1) of the scan
 * line (the CGA-compatible modes' interleaved banks).  When neither replacement
 * is on, the scan lines of a row are identical and drawn once (mode 13h is
 * 320x200, not 320x400).  FreeVGA: CRTC registers 0x09, 0x13, 0x14, 0x17. */
static void render_graphics(struct vga *v, uint32_t *rgb, unsigned maxw, unsigned maxh,
			    unsigned *w, unsigned *h)
{
	unsigned per_row = (v->crtc[9] & 0x1f) + 1;
	unsigned lines = vdisp(v) / ((v->crtc[9] & 0x80) ? 2 : 1);
	bool subst13 = !(v->crtc[0x17] & 1), subst14 = !(v->crtc[0x17] & 2);
	bool collapse = !subst13 && !subst14;
	unsigned height = collapse ? lines / per_row : lines;
	unsigned width = (v->crtc[1] + 1u) * 8;
	bool c256 = v->gc[5] & 0x40, interleave = !c256 && (v->gc[5] & 0x20);
	unsigned shift = (v->crtc[0x14] & 0x40) ? 2 : (v->crtc[0x17] & 0x40) ? 0 : 1;
	if (c256)
		width /= 2;   /* 8-bit pixels: two dot clocks per pixel */
	*w = width < maxw ? width : maxw;
	*h = height < maxh ? height : maxh;
	uint32_t start = (uint32_t)v->crtc[0x0c] << 8 | v->crtc[0x0d];
	uint32_t offset = v->crtc[0x13];
	for (unsigned y = 0; y < *h; y++) {
		unsigned row = collapse ? y : y / per_row, scan = collapse ? 0 : y % per_row;
		uint32_t ma = start + row * offset * 2;
		for (unsigned x = 0; x < *w; x++) {
			uint32_t px;
			if (c256) {
				/* interleaved VRAM holds chain-4 bytes linearly: pixel x at byte x */
				px = dac_rgb(v, v->vram[(ma * 4 + x) & (PLANES_SIZE - 1)]);
				rgb[y * *w + x] = px;
				continue;
			}
			uint32_t pa = (ma + x / 8) << shift;
			if (subst13)
				pa = (pa & ~0x2000u) | (scan & 1u) << 13;
			if (subst14)
				pa = (pa & ~0x4000u) | (scan & 2u) << 13;
			uint32_t pl = plane_word(v, pa);
			unsigned c = 0;
			if (interleave) {
				/* 2 bits per pixel: pixels 0-3 from planes 0 (bits 0-1 of the
				 * colour) and 2, pixels 4-7 from planes 1 and 3 */
				unsigned k = x & 7, sh = 6 - 2 * (k & 3);
				unsigned lo = (k < 4) ? 0 : 8, hi = (k < 4) ? 16 : 24;
				c = ((pl >> (lo + sh)) & 3) | ((pl >> (hi + sh)) & 3) << 2;
			} else {
				unsigned bit = 7 - (x & 7);
				for (unsigned p = 0; p < 4; p++)
					c |= ((pl >> (8 * p + bit)) & 1u) << p;
			}
			c &= v->ar[0x12] & 0xf;   /* colour plane enable */
			rgb[y * *w + x] = ar_color(v, c);
		}
	}
}

int vga_render(struct vga *v, uint32_t *rgb, unsigned maxw, unsigned maxh, unsigned *w, unsigned *h)
{
	*w = *h = 0;
	if (vbe_on(v)) {
		if (v->vbe[VBE_BPP] == 4)
			return -1;   /* planar VBE modes are not drawn */
		render_vbe(v, rgb, maxw, maxh, w, h);
		return 0;
	}
	/* screen off (sequencer clocking bit 5) or palette address source clear */
	if ((v->seq[1] & 0x20) || !(v->ar_idx & 0x20))
		return -1;
	if (!(v->gc[6] & 1))
		render_text(v, rgb, maxw, maxh, w, h);
	else
		render_graphics(v, rgb, maxw, maxh, w, h);
	return 0;
}

/* ---- save / load -------------------------------------------------------- */

#define VGA_STATE_VERSION 1

void vga_save(const struct vga *v, struct state_writer *w)
{
	sw_u8(w, VGA_STATE_VERSION);
	pci_dev_save(&v->pci, w);
	sw_u8(w, v->misc);
	sw_u8(w, v->fcr);
	sw_u8(w, v->seq_idx);
	sw_bytes(w, v->seq, sizeof v->seq);
	sw_u8(w, v->crtc_idx);
	sw_bytes(w, v->crtc, sizeof v->crtc);
	sw_u8(w, v->gc_idx);
	sw_bytes(w, v->gc, sizeof v->gc);
	sw_u8(w, v->ar_idx);
	sw_bytes(w, v->ar, sizeof v->ar);
	sw_u8(w, v->ar_flip);
	sw_u8(w, v->dac_mask);
	sw_u8(w, v->dac_widx);
	sw_u8(w, v->dac_ridx);
	sw_u8(w, v->dac_sub);
	sw_u8(w, v->dac_state);
	sw_bytes(w, v->dac, sizeof v->dac);
	sw_u32(w, v->latch);
	sw_u32(w, v->st1_count);
	sw_u16(w, v->vbe_idx);
	for (unsigned i = 0; i < VBE_NREGS; i++)
		sw_u16(w, v->vbe[i]);
	sw_bytes(w, v->vram, VGA_VRAM_SIZE);
}

int vga_load(struct vga *v, struct state_reader *r)
{
	if (sr_u8(r) != VGA_STATE_VERSION)
		return -1;
	if (pci_dev_load(&v->pci, r))   /* re-maps the LFB through bar_moved */
		return -1;
	v->misc = sr_u8(r);
	v->fcr = sr_u8(r);
	v->seq_idx = sr_u8(r) & 7;
	sr_bytes(r, v->seq, sizeof v->seq);
	v->crtc_idx = sr_u8(r) & 0x3f;
	sr_bytes(r, v->crtc, sizeof v->crtc);
	v->gc_idx = sr_u8(r) & 0xf;
	sr_bytes(r, v->gc, sizeof v->gc);
	v->ar_idx = sr_u8(r) & 0x3f;
	sr_bytes(r, v->ar, sizeof v->ar);
	v->ar_flip = sr_u8(r) != 0;
	v->dac_mask = sr_u8(r);
	v->dac_widx = sr_u8(r);
	v->dac_ridx = sr_u8(r);
	v->dac_sub = sr_u8(r) % 3;
	v->dac_state = sr_u8(r);
	sr_bytes(r, v->dac, sizeof v->dac);
	v->latch = sr_u32(r);
	v->st1_count = sr_u32(r);
	v->vbe_idx = sr_u16(r);
	for (unsigned i = 0; i < VBE_NREGS; i++)
		v->vbe[i] = sr_u16(r);
	sr_bytes(r, v->vram, VGA_VRAM_SIZE);
	return r->error ? -1 : 0;
}

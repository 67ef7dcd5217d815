/*
 * VGA (devices/vga.h), driven through its ports and the 0xA0000 window.
 *
 * Expected values come from the IBM VGA Technical Reference and FreeVGA
 * (sequencer map mask and memory mode, graphics controller set/reset, enable
 * set/reset, data rotate/function select, read map select, mode register write
 * modes 0-3 and read modes 0-1, colour compare/don't care, bit mask, misc
 * memory map select; attribute controller index/data flip-flop reset by input
 * status 1; DAC write/read index auto-increment after each RGB triplet, DAC
 * state register; CRTC write protect bit), from the Bochs VBE interface
 * (vbe_display_api.txt: index 0x1CE, data 0x1CF, ID 0xB0C0-0xB0C5, GETCAPS,
 * VIRT_WIDTH defaulting to XRES on enable, VIDEO_MEMORY_64K) and from the
 * 6-bit DAC to 8-bit conversion (v << 2 | v >> 4) that vga.h documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "suites.h"
#include "devices/pci.h"
#include "devices/vga.h"
#include "devices/state.h"
#include "mmu/mem.h"

static struct vga *V;

static void vsetup(void)
{
	V = calloc(1, sizeof(*V));
	ck_assert_ptr_nonnull(V);
	ck_assert_int_eq(vga_init(V, &M->mem), 0);
}

static void vteardown(void)
{
	vga_free(V);
	free(V);
	V = NULL;
}

static void outb(uint16_t port, uint8_t v) { io_out(&M->mem, port, v, 1); }
static uint8_t inb(uint16_t port) { return (uint8_t)io_in(&M->mem, port, 1); }
static void outw(uint16_t port, uint16_t v) { io_out(&M->mem, port, v, 2); }
static uint16_t inw(uint16_t port) { return (uint16_t)io_in(&M->mem, port, 2); }
static void seq(uint8_t i, uint8_t v) { outb(0x3c4, i); outb(0x3c5, v); }
static void gc(uint8_t i, uint8_t v) { outb(0x3ce, i); outb(0x3cf, v); }
static void crtc(uint8_t i, uint8_t v) { outb(0x3d4, i); outb(0x3d5, v); }
static void ar(uint8_t i, uint8_t v) { (void)inb(0x3da); outb(0x3c0, i); outb(0x3c0, v); }
static void ar_done(void) { (void)inb(0x3da); outb(0x3c0, 0x20); }   /* palette address source on */
static void dispi(uint16_t i, uint16_t v) { outw(0x1ce, i); outw(0x1cf, v); }
static uint16_t dispi_rd(uint16_t i) { outw(0x1ce, i); return inw(0x1cf); }
static void wr(uint32_t pa, uint8_t v) { mem_write_phys(&M->mem, pa, v, 1); }
static uint8_t rd(uint32_t pa) { return (uint8_t)mem_read_phys(&M->mem, pa, 1); }
static void dac(uint8_t i, uint8_t r, uint8_t g, uint8_t b)
{
	outb(0x3c8, i); outb(0x3c9, r); outb(0x3c9, g); outb(0x3c9, b);
}

/* planar graphics addressing at 0xA0000 (64 KiB), odd/even off, write mode 0 */
static void planar(void)
{
	outb(0x3c2, 0x63);
	seq(2, 0x0f);
	seq(4, 0x06);
	gc(5, 0x00);
	gc(6, 0x05);
	gc(0, 0); gc(1, 0); gc(3, 0); gc(8, 0xff);
}

/* plane p's byte at plane address a (read mode 0, read map select) */
static uint8_t plane(unsigned p, uint32_t a)
{
	gc(4, (uint8_t)p);
	return rd(0xa0000 + a);
}

/* set the four planes' bytes at address a (map mask, write mode 0, no set/reset) */
static void set_planes(uint32_t a, uint8_t p0, uint8_t p1, uint8_t p2, uint8_t p3)
{
	uint8_t v[4] = { p0, p1, p2, p3 };
	for (unsigned p = 0; p < 4; p++) {
		seq(2, (uint8_t)(1u << p));
		wr(0xa0000 + a, v[p]);
	}
	seq(2, 0x0f);
}

START_TEST(register_round_trips)
{
	vsetup();
	outb(0x3c2, 0x67);
	EQ(inb(0x3cc), 0x67);
	seq(2, 0x0a);
	outb(0x3c4, 2);
	EQ(inb(0x3c5), 0x0a);
	outw(0x3c4, 0x0f02);                 /* 16-bit out: index 2, data 0x0f */
	EQ(inb(0x3c4), 2);
	EQ(inb(0x3c5), 0x0f);
	gc(5, 0x40);
	outb(0x3ce, 5);
	EQ(inb(0x3cf), 0x40);
	crtc(0x0e, 0x12);
	outb(0x3d4, 0x0e);
	EQ(inb(0x3d5), 0x12);
	EQ(inb(0x3b5), 0xff);                /* colour decoding: mono CRTC ports absent */
	outb(0x3c2, 0x66);                   /* misc bit 0 clear: CRTC at 0x3B4/5 */
	outb(0x3b4, 0x0e);
	EQ(inb(0x3b5), 0x12);
	outb(0x3c2, 0x67);
	/* CRTC 0x11 bit 7 write-protects registers 0-7 */
	crtc(0x00, 0x5f);
	crtc(0x11, 0x80);
	crtc(0x00, 0x2d);
	outb(0x3d4, 0x00);
	EQ(inb(0x3d5), 0x5f);
	/* attribute controller: the flip-flop alternates index/data, 0x3DA resets it */
	(void)inb(0x3da);
	outb(0x3c0, 0x01);
	outb(0x3c0, 0x3f);
	outb(0x3c0, 0x02);                   /* index again after the data write */
	outb(0x3c0, 0x15);
	(void)inb(0x3da);
	outb(0x3c0, 0x21);                   /* index 1, palette address source */
	EQ(inb(0x3c0), 0x21);
	EQ(inb(0x3c1), 0x3f);
	(void)inb(0x3da);
	outb(0x3c0, 0x02);
	EQ(inb(0x3c1), 0x15);
	vteardown();
}
END_TEST

START_TEST(input_status_toggles)
{
	vsetup();
	outb(0x3c2, 0x67);
	uint8_t a = inb(0x3da), b = inb(0x3da);
	EQ((a ^ b) & 0x08, 0x08);            /* vertical retrace changes between reads */
	EQ((a ^ b) & 0x01, 0x01);
	vteardown();
}
END_TEST

START_TEST(dac_auto_increment)
{
	vsetup();
	outb(0x3c8, 5);
	const uint8_t vals[6] = { 0x3f, 0x10, 0x01, 0x20, 0x21, 0xff };
	for (int i = 0; i < 6; i++)
		outb(0x3c9, vals[i]);
	EQ(inb(0x3c8), 7);                   /* two triplets: index 5 -> 7 */
	EQ(inb(0x3c7) & 3, 0);               /* DAC state: write mode */
	outb(0x3c7, 5);
	EQ(inb(0x3c7) & 3, 3);               /* read mode */
	EQ(inb(0x3c9), 0x3f);
	EQ(inb(0x3c9), 0x10);
	EQ(inb(0x3c9), 0x01);
	EQ(inb(0x3c9), 0x20);
	EQ(inb(0x3c9), 0x21);
	EQ(inb(0x3c9), 0x3f);                /* 6-bit DAC */
	outb(0x3c6, 0x0f);
	EQ(inb(0x3c6), 0x0f);
	vteardown();
}
END_TEST

START_TEST(write_mode0_set_reset_bitmask)
{
	vsetup();
	planar();
	(void)rd(0xa0000);                   /* latches = 0 */
	gc(0, 0x05);                         /* set/reset: planes 0 and 2 */
	gc(1, 0x03);                         /* enable set/reset: planes 0 and 1 */
	gc(8, 0xf0);
	wr(0xa0000, 0xaa);
	gc(8, 0xff);
	EQ(plane(0, 0), 0xf0);               /* set/reset 1 under the mask */
	EQ(plane(1, 0), 0x00);               /* set/reset 0 */
	EQ(plane(2, 0), 0xa0);               /* CPU data under the mask */
	EQ(plane(3, 0), 0xa0);
	/* rotate count 1: 0x01 -> 0x80; XOR with the latches */
	gc(0, 0); gc(1, 0);
	set_planes(1, 0xff, 0x0f, 0x00, 0x81);
	(void)rd(0xa0001);
	gc(3, 0x19);                         /* XOR, rotate 1 */
	wr(0xa0001, 0x01);
	gc(3, 0);
	EQ(plane(0, 1), 0x7f);
	EQ(plane(1, 1), 0x8f);
	EQ(plane(2, 1), 0x80);
	EQ(plane(3, 1), 0x01);
	/* map mask: plane 1 left alone */
	seq(2, 0x0d);
	wr(0xa0002, 0x5a);
	seq(2, 0x0f);
	EQ(plane(0, 2), 0x5a);
	EQ(plane(1, 2), 0x00);
	EQ(plane(3, 2), 0x5a);
	vteardown();
}
END_TEST

START_TEST(write_mode1_copies_latches)
{
	vsetup();
	planar();
	set_planes(0x10, 0x11, 0x22, 0x33, 0x44);
	(void)rd(0xa0010);                   /* latch the four planes */
	gc(5, 0x01);
	gc(8, 0x00);                         /* the bit mask does not apply in mode 1 */
	wr(0xa0020, 0xff);
	gc(5, 0x00);
	gc(8, 0xff);
	EQ(plane(0, 0x20), 0x11);
	EQ(plane(1, 0x20), 0x22);
	EQ(plane(2, 0x20), 0x33);
	EQ(plane(3, 0x20), 0x44);
	vteardown();
}
END_TEST

START_TEST(write_mode2_and_mode3)
{
	vsetup();
	planar();
	(void)rd(0xa0000);                   /* latches 0 */
	gc(5, 0x02);
	gc(8, 0x0f);
	wr(0xa0000, 0x05);                   /* colour 5: planes 0 and 2 */
	EQ(plane(0, 0), 0x0f);
	EQ(plane(1, 0), 0x00);
	EQ(plane(2, 0), 0x0f);
	EQ(plane(3, 0), 0x00);
	/* mode 3: rotated data AND bit mask is the mask, set/reset is the colour */
	gc(5, 0x00);
	gc(8, 0xff);
	set_planes(0x20, 0xff, 0xff, 0xff, 0xff);
	(void)rd(0xa0020);                   /* latches 0xff */
	gc(5, 0x03);
	gc(0, 0x0c);                         /* colour 12: planes 2 and 3 */
	gc(1, 0x00);                         /* enable set/reset is ignored in mode 3 */
	wr(0xa0020, 0x3c);
	gc(5, 0x00);
	EQ(plane(0, 0x20), 0xc3);
	EQ(plane(1, 0x20), 0xc3);
	EQ(plane(2, 0x20), 0xff);
	EQ(plane(3, 0x20), 0xff);
	vteardown();
}
END_TEST

START_TEST(read_mode1_colour_compare)
{
	vsetup();
	planar();
	set_planes(0x30, 0xf0, 0xcc, 0xaa, 0x00);
	gc(5, 0x08);
	gc(2, 0x05);                         /* colour 0101 */
	gc(7, 0x0f);
	EQ(rd(0xa0030), 0x20);               /* 0xf0 & ~0xcc & 0xaa & ~0x00 */
	gc(7, 0x01);                         /* only plane 0 compared */
	EQ(rd(0xa0030), 0xf0);
	gc(7, 0x00);                         /* nothing compared: all match */
	EQ(rd(0xa0030), 0xff);
	vteardown();
}
END_TEST

START_TEST(chain4_addressing)
{
	vsetup();
	planar();
	seq(4, 0x0e);                        /* chain 4 */
	gc(5, 0x40);
	for (unsigned i = 0; i < 4; i++)
		wr(0xa0000 + i, (uint8_t)(0x11 * (i + 1)));
	for (unsigned i = 0; i < 4; i++)
		EQ(rd(0xa0000 + i), 0x11 * (i + 1));
	seq(2, 0x01);                        /* map mask: plane 0 only */
	wr(0xa0005, 0x99);                   /* plane 1: dropped */
	EQ(rd(0xa0005), 0x00);
	seq(2, 0x0f);
	seq(4, 0x06);                        /* unchained: the low address bits chose the plane */
	gc(5, 0x00);
	for (unsigned p = 0; p < 4; p++)
		EQ(plane(p, 0), 0x11 * (p + 1));
	vteardown();
}
END_TEST

START_TEST(odd_even_and_memory_map)
{
	vsetup();
	outb(0x3c2, 0x67);
	seq(2, 0x03);
	seq(4, 0x02);                        /* odd/even */
	gc(5, 0x10);
	gc(6, 0x0e);                         /* B8000-BFFFF, chain odd/even, text */
	wr(0xb8000, 'A');
	wr(0xb8001, 0x1f);
	wr(0xb8002, 'B');
	EQ(rd(0xa0000), 0xff);               /* outside the mapped window */
	EQ(rd(0xb8001), 0x1f);
	EQ(rd(0xb8002), 'B');
	seq(4, 0x06);
	gc(5, 0x00);
	gc(6, 0x04);                         /* A0000-AFFFF */
	EQ(plane(0, 0), 'A');
	EQ(plane(1, 0), 0x1f);
	EQ(plane(0, 2), 'B');
	EQ(plane(1, 1), 0x00);
	vteardown();
}
END_TEST

START_TEST(dispi_registers_and_lfb)
{
	vsetup();
	EQ(dispi_rd(VBE_ID), 0xb0c5);
	dispi(VBE_ID, 0xb0c0);
	EQ(dispi_rd(VBE_ID), 0xb0c0);
	dispi(VBE_ID, 0x1234);               /* not a DISPI version: ignored */
	EQ(dispi_rd(VBE_ID), 0xb0c0);
	dispi(VBE_ID, 0xb0c5);
	dispi(VBE_ENABLE, VBE_GETCAPS);
	EQ(dispi_rd(VBE_XRES), VBE_MAX_XRES);
	EQ(dispi_rd(VBE_YRES), VBE_MAX_YRES);
	EQ(dispi_rd(VBE_BPP), 32);
	dispi(VBE_ENABLE, 0);
	dispi(VBE_XRES, 800);
	dispi(VBE_YRES, 600);
	dispi(VBE_BPP, 32);
	EQ(dispi_rd(VBE_XRES), 800);
	EQ(dispi_rd(VBE_YRES), 600);
	EQ(dispi_rd(VBE_BPP), 32);
	EQ(dispi_rd(VBE_VIDEO_MEMORY_64K), 256);
	dispi(VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
	EQ(dispi_rd(VBE_ENABLE), VBE_ENABLED | VBE_LFB_ENABLED);
	EQ(dispi_rd(VBE_VIRT_WIDTH), 800);
	EQ(dispi_rd(VBE_VIRT_HEIGHT), (16u << 20) / (800 * 4));
	dispi(VBE_XRES, 1024);               /* ignored while enabled */
	EQ(dispi_rd(VBE_XRES), 800);

	/* PCI header and the LFB at BAR0 */
	EQ(V->pci.config[0] | V->pci.config[1] << 8, 0x1234);
	EQ(V->pci.config[2] | V->pci.config[3] << 8, 0x1111);
	EQ(V->pci.config[0x0b] << 16 | V->pci.config[0x0a] << 8 | V->pci.config[0x09], 0x030000);
	EQ(V->pci.bar[0].size, 16u << 20);
	ck_assert(V->pci.bar[0].prefetch && !V->pci.bar[0].io);
	/* the bus maps BAR0 when the guest programs it and enables memory decoding */
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	ck_assert_ptr_nonnull(bus);
	ck_assert_int_eq(pci_bus_init(bus, &M->mem), 0);
	ck_assert_int_eq(pci_register(bus, &V->pci, PCI_DEVFN(2, 0)), 0);
	EQ(pci_cfg_read(bus, PCI_DEVFN(2, 0), 0, 4), 0x11111234);
	pci_cfg_write(bus, PCI_DEVFN(2, 0), 0x10, 0xffffffffu, 4);
	EQ(pci_cfg_read(bus, PCI_DEVFN(2, 0), 0x10, 4), 0xff000008u);   /* 16 MiB, prefetchable */
	pci_cfg_write(bus, PCI_DEVFN(2, 0), 0x10, 0xe0000000u, 4);
	pci_cfg_write(bus, PCI_DEVFN(2, 0), 0x04, 0x0002, 2);            /* memory space enable */
	mem_write_phys(&M->mem, 0xe0000000u + (2 * 800 + 3) * 4, 0x00ff8040, 4);
	EQ(mem_read_phys(&M->mem, 0xe0000000u + (2 * 800 + 3) * 4, 4), 0x00ff8040);
	EQ(mem_read_phys(&M->mem, 0xe0000000u + (2 * 800 + 3) * 4 + 1, 2), 0xff80);
	/* the banked window: bank 1 is VRAM 0x10000 */
	dispi(VBE_BANK, 1);
	wr(0xa0004, 0x77);
	EQ(mem_read_phys(&M->mem, 0xe0010004u, 1), 0x77);
	EQ(rd(0xa0004), 0x77);

	static uint32_t px[800 * 600];
	unsigned w, h;
	ck_assert_int_eq(vga_render(V, px, 800, 600, &w, &h), 0);
	EQ(w, 800);
	EQ(h, 600);
	EQ(px[2 * 800 + 3], 0xff8040);
	EQ(px[0], 0);

	/* moving the BAR moves the LFB */
	pci_cfg_write(bus, PCI_DEVFN(2, 0), 0x10, 0xe1000000u, 4);
	EQ(mem_read_phys(&M->mem, 0xe1000000u + (2 * 800 + 3) * 4, 4), 0x00ff8040);
	EQ(mem_read_phys(&M->mem, 0xe0000000u + (2 * 800 + 3) * 4, 4), 0xffffffffu);
	pci_cfg_write(bus, PCI_DEVFN(2, 0), 0x04, 0x0000, 2);            /* decoding off */
	EQ(mem_read_phys(&M->mem, 0xe1000000u + (2 * 800 + 3) * 4, 4), 0xffffffffu);
	free(bus);
	vteardown();
}
END_TEST

START_TEST(dispi_16bpp_render)
{
	vsetup();
	dispi(VBE_XRES, 320);
	dispi(VBE_YRES, 200);
	dispi(VBE_BPP, 16);
	dispi(VBE_ENABLE, VBE_ENABLED);
	/* 5:6:5 -- red 31, green 0, blue 31 = 0xf81f; through the bank window */
	wr(0xa0000 + 2 * 5, 0x1f);
	wr(0xa0000 + 2 * 5 + 1, 0xf8);
	static uint32_t px[320 * 200];
	unsigned w, h;
	ck_assert_int_eq(vga_render(V, px, 320, 200, &w, &h), 0);
	EQ(w, 320);
	EQ(px[5], 0xff00ff);
	vteardown();
}
END_TEST

/* the registers of an 80x25 text mode with 16-line characters (as mode 3) */
static void text_mode(void)
{
	outb(0x3c2, 0x67);
	seq(1, 0x00);                        /* 9-dot characters */
	seq(2, 0x03);
	seq(3, 0x00);                        /* font map 0 for both attribute bit 3 values */
	seq(4, 0x02);
	gc(5, 0x10);
	gc(6, 0x0e);
	crtc(0x11, 0x00);
	crtc(0x01, 79);
	crtc(0x07, 0x1f);                    /* bit 1: vertical display end bit 8 */
	crtc(0x09, 0x4f);                    /* 16 scan lines per row */
	crtc(0x0a, 0x20);                    /* cursor off */
	crtc(0x0c, 0); crtc(0x0d, 0);
	crtc(0x12, 0x8f);                    /* 400 lines */
	crtc(0x13, 40);
	for (uint8_t i = 0; i < 16; i++)
		ar(i, i);
	ar(0x10, 0x0c);                      /* line graphics, blink */
	ar(0x12, 0x0f);
	ar(0x14, 0x00);
	ar_done();
	dac(0, 0, 0, 0);
	dac(1, 0, 0, 42);                    /* blue 0xaa */
	dac(14, 63, 63, 21);                 /* yellow 0xffff55 */
}

START_TEST(text_render_glyph)
{
	vsetup();
	text_mode();
	/* load glyph lines into plane 2 the way a BIOS does (sequential, map mask 4) */
	seq(2, 0x04);
	seq(4, 0x06);
	gc(5, 0x00);
	gc(6, 0x04);
	wr(0xa0000 + 0x41 * 32 + 0, 0x80);   /* 'A': line 0 leftmost dot */
	wr(0xa0000 + 0x41 * 32 + 1, 0x01);   /* line 1: dot 8 */
	wr(0xa0000 + 0xc4 * 32 + 1, 0x01);   /* box-drawing 0xC4: dot 8 repeats in dot 9 */
	text_mode();
	wr(0xb8000, 0x41); wr(0xb8001, 0x1e);
	wr(0xb8002, 0xc4); wr(0xb8003, 0x1e);
	wr(0xb8004, 0x20); wr(0xb8005, 0x1e);
	wr(0xb8000 + 160, 'h'); wr(0xb8002 + 160, 'i');
	unsigned cols, rows;
	vga_text_size(V, &cols, &rows);
	EQ(cols, 80);
	EQ(rows, 25);
	ck_assert_str_eq(vga_text_row(V, 0), "A\xc4");
	ck_assert_str_eq(vga_text_row(V, 1), "hi");
	ck_assert_ptr_null(vga_text_row(V, 25));
	static uint32_t px[720 * 400];
	unsigned w, h;
	ck_assert_int_eq(vga_render(V, px, 720, 400, &w, &h), 0);
	EQ(w, 720);
	EQ(h, 400);
	EQ(px[0 * 720 + 0], 0xffff55);       /* fg */
	EQ(px[0 * 720 + 1], 0x0000aa);       /* bg */
	EQ(px[1 * 720 + 7], 0xffff55);
	EQ(px[1 * 720 + 8], 0x0000aa);       /* 9th dot of a letter: background */
	EQ(px[1 * 720 + 9 + 7], 0xffff55);
	EQ(px[1 * 720 + 9 + 8], 0xffff55);   /* 9th dot of 0xC4 repeats dot 8 */
	EQ(px[2 * 720 + 0], 0x0000aa);
	/* cursor on cell 2 (a blank), scan lines 14-15 */
	text_mode();
	crtc(0x0a, 14);
	crtc(0x0b, 15);
	crtc(0x0e, 0);
	crtc(0x0f, 2);
	ck_assert_int_eq(vga_render(V, px, 720, 400, &w, &h), 0);
	EQ(px[14 * 720 + 18 + 3], 0xffff55);
	EQ(px[13 * 720 + 18 + 3], 0x0000aa);
	/* 8-dot characters: 640 wide */
	seq(1, 0x01);
	ck_assert_int_eq(vga_render(V, px, 720, 400, &w, &h), 0);
	EQ(w, 640);
	EQ(px[1 * 640 + 8 + 7], 0xffff55);   /* 0xC4's dot 8 in the second cell */
	/* 8-line characters: 80x50 in the same 400 lines */
	crtc(0x09, 0x47);
	vga_text_size(V, &cols, &rows);
	EQ(cols, 80);
	EQ(rows, 50);
	ck_assert_int_eq(vga_render(V, px, 720, 400, &w, &h), 0);
	EQ(h, 400);
	ck_assert_str_eq(vga_text_row(V, 1), "hi");
	/* graphics mode: no text rows */
	gc(6, 0x05);
	ck_assert_ptr_null(vga_text_row(V, 0));
	vteardown();
}
END_TEST

START_TEST(mode13h_render)
{
	vsetup();
	outb(0x3c2, 0x63);
	seq(1, 0x01);
	seq(2, 0x0f);
	seq(4, 0x0e);
	gc(5, 0x40);
	gc(6, 0x05);
	crtc(0x11, 0x00);
	crtc(0x01, 0x4f);
	crtc(0x07, 0x1f);
	crtc(0x09, 0x41);                    /* two scan lines per pixel row */
	crtc(0x12, 0x8f);
	crtc(0x13, 0x28);
	crtc(0x14, 0x40);
	crtc(0x17, 0xa3);
	ar(0x10, 0x41);
	ar_done();
	dac(0, 0, 0, 0);
	dac(0x2a, 63, 0, 32);                /* 0xff0082 */
	wr(0xa0000 + 199 * 320 + 319, 0x2a);
	wr(0xa0000 + 1, 0x2a);
	static uint32_t px[320 * 200];
	unsigned w, h;
	ck_assert_int_eq(vga_render(V, px, 320, 200, &w, &h), 0);
	EQ(w, 320);
	EQ(h, 200);
	EQ(px[199 * 320 + 319], 0xff0082);
	EQ(px[1], 0xff0082);
	EQ(px[0], 0);
	outb(0x3c6, 0x0f);                   /* pixel mask: 0x2a -> 0x0a */
	dac(0x0a, 0, 63, 0);
	ck_assert_int_eq(vga_render(V, px, 320, 200, &w, &h), 0);
	EQ(px[1], 0x00ff00);
	vteardown();
}
END_TEST

START_TEST(planar16_render)
{
	vsetup();
	planar();                            /* as mode 12h: 640x480x16 */
	seq(1, 0x01);
	crtc(0x11, 0x00);
	crtc(0x01, 0x4f);
	crtc(0x07, 0x3e);
	crtc(0x09, 0x40);
	crtc(0x12, 0xdf);
	crtc(0x13, 0x28);
	crtc(0x14, 0x00);
	crtc(0x17, 0xe3);                    /* byte mode, no bank substitution */
	for (uint8_t i = 0; i < 16; i++)
		ar(i, i);
	ar(0x10, 0x01);
	ar(0x12, 0x0f);
	ar_done();
	dac(0, 0, 0, 0);
	dac(12, 63, 21, 21);                 /* 0xff5555 */
	/* pixel (10, 3): byte 3 * 80 + 1, bit 5; write mode 2 */
	(void)rd(0xa0000 + 241);
	gc(5, 0x02);
	gc(8, 0x20);
	wr(0xa0000 + 241, 12);
	static uint32_t px[640 * 480];
	unsigned w, h;
	ck_assert_int_eq(vga_render(V, px, 640, 480, &w, &h), 0);
	EQ(w, 640);
	EQ(h, 480);
	EQ(px[3 * 640 + 10], 0xff5555);
	EQ(px[3 * 640 + 11], 0);
	EQ(px[3 * 640 + 9], 0);
	vteardown();
}
END_TEST

/* CGA-compatible mode 4 (IBM VGA tech ref mode table): 320x200, 2 bits per pixel,
 * even scan lines at 0xB8000, odd ones at 0xBA000, leftmost pixel in bits 7-6 */
START_TEST(cga_mode4_render)
{
	vsetup();
	outb(0x3c2, 0x63);
	seq(1, 0x09);
	seq(2, 0x03);
	seq(4, 0x02);                        /* odd/even */
	gc(5, 0x30);                         /* host odd/even, shift register interleave */
	gc(6, 0x0f);                         /* B8000, chain odd/even, graphics */
	crtc(0x11, 0x00);
	crtc(0x01, 0x27);
	crtc(0x07, 0x1f);
	crtc(0x09, 0xc1);                    /* double scan, 2 scan lines per row */
	crtc(0x12, 0x8f);
	crtc(0x13, 0x14);
	crtc(0x14, 0x00);
	crtc(0x17, 0xa2);                    /* word mode, scan line bit 0 -> address bit 13 */
	for (uint8_t i = 0; i < 16; i++)
		ar(i, i);
	ar(0x10, 0x01);
	ar(0x12, 0x03);
	ar_done();
	dac(0, 0, 0, 0);
	dac(2, 0, 42, 0);                    /* 0x00aa00 */
	dac(3, 0, 42, 42);                   /* 0x00aaaa */
	wr(0xb8000 + 0x2000 + 80 + 1, 0x30); /* scan line 3, pixel 5 = colour 3 */
	wr(0xb8000 + 2 * 80 + 0, 0x80);      /* scan line 4, pixel 0 = colour 2 */
	static uint32_t px[320 * 200];
	unsigned w, h;
	ck_assert_int_eq(vga_render(V, px, 320, 200, &w, &h), 0);
	EQ(w, 320);
	EQ(h, 200);
	EQ(px[3 * 320 + 5], 0x00aaaa);
	EQ(px[3 * 320 + 4], 0);
	EQ(px[2 * 320 + 5], 0);
	EQ(px[4 * 320 + 0], 0x00aa00);
	EQ(px[5 * 320 + 0], 0);
	vteardown();
}
END_TEST

START_TEST(rom_file)
{
	vsetup();
	char path[] = "/tmp/shade86-vgarom-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "wb");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 1000; i++)
		fputc(i == 0 ? 0x55 : i == 1 ? 0xaa : i & 0xff, f);
	fclose(f);
	ck_assert_int_eq(vga_load_rom(V, path), 0);
	remove(path);
	EQ(V->rom_len, 1000);
	EQ(V->rom[0], 0x55);
	EQ(V->rom[1], 0xaa);
	EQ(V->rom[999], 999 & 0xff);
	ck_assert_int_eq(vga_load_rom(V, path), -1);   /* gone */
	vteardown();
}
END_TEST

START_TEST(save_load)
{
	vsetup();
	outb(0x3c2, 0x67);
	seq(2, 0x05);
	crtc(0x0e, 0x33);
	dac(3, 1, 2, 3);
	dispi(VBE_XRES, 1024);
	struct state_writer w;
	sw_init(&w);
	vga_save(V, &w);
	ck_assert(!w.error);
	seq(2, 0x0f);
	crtc(0x0e, 0);
	dispi(VBE_XRES, 640);
	struct state_reader r;
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(vga_load(V, &r), 0);
	sw_free(&w);
	outb(0x3c4, 2);
	EQ(inb(0x3c5), 0x05);
	outb(0x3d4, 0x0e);
	EQ(inb(0x3d5), 0x33);
	EQ(dispi_rd(VBE_XRES), 1024);
	outb(0x3c7, 3);
	EQ(inb(0x3c9), 1);
	vteardown();
}
END_TEST

Suite *vga_suite(void)
{
	Suite *s = suite_create("vga");
	TCase *tc = h_tcase("vga");
	tcase_add_test(tc, register_round_trips);
	tcase_add_test(tc, input_status_toggles);
	tcase_add_test(tc, dac_auto_increment);
	tcase_add_test(tc, write_mode0_set_reset_bitmask);
	tcase_add_test(tc, write_mode1_copies_latches);
	tcase_add_test(tc, write_mode2_and_mode3);
	tcase_add_test(tc, read_mode1_colour_compare);
	tcase_add_test(tc, chain4_addressing);
	tcase_add_test(tc, odd_even_and_memory_map);
	tcase_add_test(tc, dispi_registers_and_lfb);
	tcase_add_test(tc, dispi_16bpp_render);
	tcase_add_test(tc, text_render_glyph);
	tcase_add_test(tc, mode13h_render);
	tcase_add_test(tc, planar16_render);
	tcase_add_test(tc, cga_mode4_render);
	tcase_add_test(tc, rom_file);
	tcase_add_test(tc, save_load);
	suite_add_tcase(s, tc);
	return s;
}

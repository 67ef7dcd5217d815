/*
 * VGA card as QEMU's "stdvga": a PCI function 1234:1111, class 0x030000, whose
 * BAR0 (prefetchable memory, 16 MiB) is the linear framebuffer, with the legacy
 * VGA registers at 0x3B0-0x3DF, the 0xA0000-0xBFFFF window with the planar
 * memory model, and the Bochs VBE "DISPI" extension at ports 0x1CE/0x1CF.
 *
 * Documents: IBM VGA Technical Reference (registers, write/read modes),
 * FreeVGA (www.osdever.net/FreeVGA: sequencer, CRTC, graphics and attribute
 * controllers, DAC), Bochs vbe_display_api.txt / SeaBIOS vgasrc/bochsvga.h
 * (DISPI index/data ports, register numbers, enable bits).
 *
 * VRAM layout: the first 256 KiB hold the four 64 KiB VGA planes interleaved,
 * plane p of plane address a at vram[a * 4 + p] (so chain-4 host offset o is
 * vram[o], the same bytes the 8-bpp VBE framebuffer shows).  The whole 16 MiB
 * is the VBE framebuffer (LFB through BAR0, banked through 0xA0000).
 *
 * VGA BIOS: vga_load_rom reads the image into v->rom / v->rom_len; the machine
 * hands it to SeaBIOS as the fw_cfg file "pci1234,1111.rom" (VGA_ROM_FWCFG_NAME).
 * SeaBIOS (src/optionroms.c, init_pcirom -> lookup_hardcode) looks for
 * "pciVVVV,DDDD.rom" for each PCI device before trying its ROM BAR, copies it
 * into the 0xC0000 area itself and runs it with the device's bus/device/function
 * in AX, so the VGA BIOS finds the LFB in BAR0.  (A "vgaroms/" file would also
 * run, but with BDF 0 -- the host bridge -- so the VBE LFB address would be
 * wrong.)  No PCI expansion-ROM BAR is offered (config 0x30 reads 0), and the
 * machine need not place the image with mem_map_pam_rom.
 *
 * Rendering: vga_render draws the current mode in the mode's own resolution
 * (no doubling: mode 13h is 320x200, mode 0Dh 320x200, text 80x25 with 9-dot
 * characters 720x400); the frontend scales to the aspect ratio.  Covered: text
 * (8/9-dot cells, any character height, the guest's fonts from plane 2 with
 * both character maps, attribute palette and DAC, line-graphics 9th column,
 * cursor), 16-colour planar graphics, the CGA-compatible modes 4-6 (CRTC 0x17
 * bank substitution, shift-register interleave), 256-colour chained (13h) and
 * unchained, and VBE 8/15/16/24/32 bpp with virtual width and x/y offset.
 * Not drawn: blinking (blinking characters are always shown, the cursor never
 * blinks), underline, horizontal pel panning, the line-compare split screen,
 * VBE 4-bpp planar modes.
 */
#ifndef SHADE86_VGA_H
#define SHADE86_VGA_H

#include <stdbool.h>
#include <stdint.h>

#include "pci.h"
#include "state.h"

struct mem;

#define VGA_VRAM_SIZE (16u << 20)
#define VGA_PCI_VENDOR 0x1234
#define VGA_PCI_DEVICE 0x1111

/* DISPI registers (index port 0x1CE, data port 0x1CF) */
enum {
	VBE_ID, VBE_XRES, VBE_YRES, VBE_BPP, VBE_ENABLE, VBE_BANK, VBE_VIRT_WIDTH,
	VBE_VIRT_HEIGHT, VBE_X_OFFSET, VBE_Y_OFFSET, VBE_VIDEO_MEMORY_64K, VBE_NREGS
};
#define VBE_ENABLED     0x01
#define VBE_GETCAPS     0x02
#define VBE_8BIT_DAC    0x20
#define VBE_LFB_ENABLED 0x40
#define VBE_NOCLEARMEM  0x80
#define VBE_MAX_XRES    2560
#define VBE_MAX_YRES    1600
#define VBE_MAX_BPP     32

struct vga {
	struct mem *mem;
	struct pci_dev pci;           /* the machine calls pci_register(bus, &v->pci, devfn) */
	uint8_t *vram;                /* VGA_VRAM_SIZE bytes */
	uint8_t *rom;                 /* the VGA BIOS image (vga_load_rom) */
	uint32_t rom_len;
	uint32_t lfb_base;            /* where the LFB MMIO region is registered */
	bool lfb_mapped;

	/* VGA registers */
	uint8_t misc;                 /* 0x3C2 write / 0x3CC read */
	uint8_t fcr;                  /* feature control */
	uint8_t seq_idx, seq[8];
	uint8_t crtc_idx, crtc[64];
	uint8_t gc_idx, gc[16];
	uint8_t ar_idx, ar[32];       /* ar_idx holds the palette address source bit 5 */
	bool ar_flip;                 /* false: next 0x3C0 write is an index */
	uint8_t dac_mask, dac_widx, dac_ridx, dac_sub, dac_state;
	uint8_t dac[768];             /* 6-bit (or 8-bit with VBE_8BIT_DAC) RGB */
	uint32_t latch;               /* plane p in bits 8p..8p+7 */
	uint32_t st1_count;           /* input status 1 reads (retrace toggling) */

	/* Bochs VBE */
	uint16_t vbe_idx;
	uint16_t vbe[VBE_NREGS];

	char text[256];               /* vga_text_row's buffer */
};

/* Allocates VRAM, fills the PCI header, registers ports and the 0xA0000 window.
 * Returns -1 on failure (allocation, or a registration refused: mem->error). */
int vga_init(struct vga *v, struct mem *mem);
void vga_free(struct vga *v);
void vga_reset(struct vga *v);   /* registers to power-on state; VRAM kept */
/* Reads the VGA BIOS image; returns -1 (errno set) if it cannot be read. */
int vga_load_rom(struct vga *v, const char *path);
/* fw_cfg file name for the ROM (see above) */
#define VGA_ROM_FWCFG_NAME "pci1234,1111.rom"

/* Draw the screen as 0x00RRGGBB pixels, row-major and packed (the row pitch is
 * *w pixels), *w by *h (at most maxw x maxh; larger modes are clipped, so rgb
 * needs maxw * maxh entries).  Returns 0, or -1 if nothing is displayed
 * (screen off or an unsupported mode: *w = *h = 0). */
int vga_render(struct vga *v, uint32_t *rgb, unsigned maxw, unsigned maxh, unsigned *w, unsigned *h);
/* In a text mode: the characters of screen row `row` (from the display start
 * address) as a NUL-terminated string with trailing blanks removed, in a buffer
 * inside v (valid until the next call); NULL in graphics modes or past the last row. */
const char *vga_text_row(struct vga *v, unsigned row);
/* text geometry (0 in graphics modes) */
void vga_text_size(const struct vga *v, unsigned *cols, unsigned *rows);

void vga_save(const struct vga *v, struct state_writer *w);
int vga_load(struct vga *v, struct state_reader *r);

#endif

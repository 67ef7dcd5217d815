/*
 * PCI bus 0: configuration mechanism #1 and the type-0 header rules (see pci.h).
 *
 * References (PCI Local Bus Specification, revision 2.1):
 * - section 3.7.4.1 (3.2.2.3.2 in revision 2.2), configuration mechanism #1: CONFIG_ADDRESS at 0xCF8 is
 *   claimed only by a full dword access; bit 31 enables the translation of
 *   accesses to CONFIG_DATA (0xCFC-0xCFF) into configuration cycles, bits
 *   23:16 the bus, 15:11 the device, 10:8 the function, 7:2 the dword register.
 *   Any other access to 0xCF8-0xCFB, and CONFIG_DATA with bit 31 clear, is
 *   ordinary I/O.  Bits 30:24 and 1:0 are reserved; we keep them 0 (the
 *   i440FX datasheet's CONFADD has them reserved).  The byte lanes of
 *   CONFIG_DATA select the bytes of the register: a byte at 0xCFE reads
 *   register + 2.  A configuration read nobody claims ends in a master abort,
 *   which the host bridge returns as all-ones (section 6.1): absent devices,
 *   and every bus but 0 (no PCI-to-PCI bridges here).
 * - section 6.1-6.2, the type-0 header: vendor, device, revision, class and
 *   header type are read-only; the command register (6.2.2) has bit 0 I/O
 *   space, bit 1 memory space, bit 2 bus master and bit 10 interrupt disable
 *   (that bit is from revision 2.3; harmless for 2.1 software, which writes 0)
 *   writable here, a device may add more through wmask; the status register
 *   (6.2.3) is read-only except that writing 1 clears bits 8 and 11-15; bit 3
 *   (Interrupt Status, revision 2.3) reflects the device's INTx level.
 * - section 6.2.5.1, base address registers: bit 0 selects I/O (1) or memory
 *   (0); memory BARs have type bits 2:1 (00: 32-bit anywhere) and bit 3
 *   prefetchable; a BAR decodes a naturally aligned power-of-two range, so the
 *   address bits below the size are hardwired to 0 and writing all-ones reads
 *   back ~(size - 1) with the type bits.  The minimum sizes are 16 bytes of
 *   memory and 4 bytes of I/O.
 * - section 6.2.4: interrupt line (0x3C) is a read/write scratch byte for the
 *   BIOS; interrupt pin (0x3D) is read-only (0: none, 1-4: INTA#-INTD#).
 *
 * When a BAR decodes (our choice, as QEMU does it): the command register's
 * enable for its space is set, the address is not 0, and the range lies
 * inside the space: I/O below 0x10000 (x86 has 64 KiB of ports), memory
 * ending below 4 GiB.  So a BAR being sized (all-ones written) with decoding
 * on does not decode at the top of the address space over the BIOS.
 */
#include <string.h>

#include "../mmu/mem.h"
#include "pci.h"

#define CMD_IO     0x0001u
#define CMD_MEM    0x0002u
#define CMD_INTX_DISABLE 0x0400u
#define STS_INTX   0x0008u
#define STS_W1C    0xf900u   /* bits 8 and 11-15: write 1 to clear */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)v);
	wr16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* ---- BARs ---- */

/* Where BAR n decodes now, per its register and the command register. */
static bool bar_decodes(const struct pci_dev *d, int n, uint32_t *addr)
{
	const struct pci_bar *bar = &d->bar[n];
	if (!bar->size)
		return false;
	uint32_t v = rd32(d->config + 0x10 + 4 * n);
	uint16_t cmd = rd16(d->config + 0x04);
	if (bar->io) {
		*addr = v & ~3u;
		return (cmd & CMD_IO) && *addr && (uint64_t)*addr + bar->size <= 0x10000;
	}
	*addr = v & ~15u;
	return (cmd & CMD_MEM) && *addr && (uint64_t)*addr + bar->size < 0x100000000ull;
}

/* Tell the device about every BAR whose decoding changed. */
static void update_bars(struct pci_dev *d)
{
	for (int n = 0; n < 6; n++) {
		struct pci_bar *bar = &d->bar[n];
		if (!bar->size)
			continue;
		uint32_t addr = 0;
		bool mapped = bar_decodes(d, n, &addr);
		if (mapped != bar->mapped || (mapped && addr != bar->addr)) {
			if (d->bar_moved)
				d->bar_moved(d, n, mapped, addr);   /* d->bar[n]: the old state */
			bar->mapped = mapped;
		}
		bar->addr = addr;
	}
}

/* ---- INTx ---- */

static bool intx_out(const struct pci_dev *d)
{
	return (rd16(d->config + 0x06) & STS_INTX) && !(rd16(d->config + 0x04) & CMD_INTX_DISABLE);
}

static void intx_changed(struct pci_dev *d, bool was)
{
	bool now = intx_out(d);
	if (now != was && d->config[0x3d] && d->bus && d->bus->set_intx)
		d->bus->set_intx(d->bus->intx_opaque, d, d->config[0x3d], now);
}

void pci_set_irq(struct pci_dev *d, bool level)
{
	if (!d->config[0x3d])
		return;   /* no interrupt pin */
	bool was = intx_out(d);
	uint16_t sts = rd16(d->config + 0x06);
	wr16(d->config + 0x06, (uint16_t)(level ? sts | STS_INTX : sts & ~STS_INTX));
	intx_changed(d, was);
}

/* ---- devices ---- */

void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device, uint8_t rev,
		  uint32_t class_code, const char *name)
{
	memset(d->config, 0, sizeof(d->config));
	memset(d->wmask, 0, sizeof(d->wmask));
	memset(d->bar, 0, sizeof(d->bar));
	d->name = name;
	wr16(d->config + 0x00, vendor);
	wr16(d->config + 0x02, device);
	d->config[0x08] = rev;
	d->config[0x09] = (uint8_t)class_code;           /* programming interface */
	d->config[0x0a] = (uint8_t)(class_code >> 8);    /* sub-class */
	d->config[0x0b] = (uint8_t)(class_code >> 16);   /* base class */
	/* command: I/O, memory, bus master, interrupt disable */
	wr16(d->wmask + 0x04, CMD_IO | CMD_MEM | 0x0004u | CMD_INTX_DISABLE);
	d->wmask[0x0c] = 0xff;   /* cache line size */
	d->wmask[0x3c] = 0xff;   /* interrupt line */
}

void pci_dev_set_bar(struct pci_dev *d, int n, uint32_t size, bool io, bool prefetch)
{
	if (n < 0 || n > 5)
		return;
	struct pci_bar *bar = &d->bar[n];
	*bar = (struct pci_bar){ 0 };
	wr32(d->config + 0x10 + 4 * n, 0);
	wr32(d->wmask + 0x10 + 4 * n, 0);
	if (!size)
		return;
	uint32_t min = io ? 4 : 16;
	uint32_t s = min;
	while (s < size && s < 0x80000000u)
		s <<= 1;
	bar->size = s;
	bar->io = io;
	bar->prefetch = !io && prefetch;
	wr32(d->config + 0x10 + 4 * n, io ? 1u : prefetch ? 8u : 0u);
	wr32(d->wmask + 0x10 + 4 * n, ~(s - 1) & ~(min - 1));
}

int pci_register(struct pci_bus *b, struct pci_dev *d, unsigned devfn)
{
	if (devfn >= PCI_MAX_DEVFN || b->dev[devfn])
		return -1;
	d->devfn = (uint8_t)devfn;
	d->bus = b;
	b->dev[devfn] = d;
	return 0;
}

void pci_dev_reset(struct pci_dev *d)
{
	static const uint8_t regs[][2] = {   /* first register, count */
		{ 0x04, 2 }, { 0x0c, 4 }, { 0x10, 24 }, { 0x3c, 1 },
	};
	bool intx_was = intx_out(d);
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		for (unsigned o = regs[i][0]; o < regs[i][0] + regs[i][1]; o++)
			d->config[o] &= (uint8_t)~d->wmask[o];
	wr16(d->config + 0x06, rd16(d->config + 0x06) & (uint16_t)~STS_W1C);
	update_bars(d);
	intx_changed(d, intx_was);
}

/* ---- configuration space ---- */

uint32_t pci_cfg_read(struct pci_bus *b, unsigned devfn, unsigned off, unsigned size)
{
	const struct pci_dev *d = devfn < PCI_MAX_DEVFN ? b->dev[devfn] : NULL;
	if (!d || (size != 1 && size != 2 && size != 4))
		return ones(size);
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (off + i < 256 ? d->config[off + i] : 0xffu) << (8 * i);
	return v;
}

void pci_cfg_write(struct pci_bus *b, unsigned devfn, unsigned off, uint32_t v, unsigned size)
{
	struct pci_dev *d = devfn < PCI_MAX_DEVFN ? b->dev[devfn] : NULL;
	if (!d || (size != 1 && size != 2 && size != 4) || off >= 256)
		return;
	v &= ones(size);
	bool intx_was = intx_out(d);
	bool touches_bars = false;
	for (unsigned i = 0; i < size && off + i < 256; i++) {
		unsigned o = off + i;
		uint8_t byte = (uint8_t)(v >> (8 * i));
		if (o == 0x06 || o == 0x07) {   /* status: write 1 to clear */
			uint8_t w1c = (uint8_t)(STS_W1C >> (8 * (o - 0x06)));
			d->config[o] &= (uint8_t)~(byte & w1c);
			continue;
		}
		d->config[o] = (uint8_t)((d->config[o] & ~d->wmask[o]) | (byte & d->wmask[o]));
		if ((o >= 0x10 && o < 0x28) || o == 0x04)
			touches_bars = true;
	}
	if (touches_bars)
		update_bars(d);
	intx_changed(d, intx_was);
	if (d->cfg_write)
		d->cfg_write(d, off, v, size);
}

/* ---- mechanism #1 ports ---- */

static uint32_t addr_read(void *opaque, uint32_t port, unsigned size)
{
	struct pci_bus *b = opaque;
	if (port == 0xcf8 && size == 4)
		return b->addr;
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint32_t byte = 0xff;
		if (port + i == 0xcf9 && b->cf9_read)
			byte = b->cf9_read(b->cf9_opaque);
		v |= byte << (8 * i);
	}
	return v;
}

static void addr_write(void *opaque, uint32_t port, uint32_t value, unsigned size)
{
	struct pci_bus *b = opaque;
	if (port == 0xcf8 && size == 4) {
		b->addr = value & 0x80fffffcu;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		if (port + i == 0xcf9 && b->cf9_write)
			b->cf9_write(b->cf9_opaque, (uint8_t)(value >> (8 * i)));
}

/* The devfn and register CONFIG_DATA reaches at port, or -1 (no cycle on bus 0). */
static int data_target(const struct pci_bus *b, uint32_t port, unsigned *off)
{
	if (!(b->addr & 0x80000000u) || ((b->addr >> 16) & 0xff))
		return -1;
	*off = (b->addr & 0xfc) + (port & 3);
	return (int)((b->addr >> 8) & 0xff);
}

static uint32_t data_read(void *opaque, uint32_t port, unsigned size)
{
	struct pci_bus *b = opaque;
	unsigned off;
	int devfn = data_target(b, port, &off);
	return devfn < 0 ? ones(size) : pci_cfg_read(b, (unsigned)devfn, off, size);
}

static void data_write(void *opaque, uint32_t port, uint32_t value, unsigned size)
{
	struct pci_bus *b = opaque;
	unsigned off;
	int devfn = data_target(b, port, &off);
	if (devfn >= 0)
		pci_cfg_write(b, (unsigned)devfn, off, value, size);
}

int pci_bus_init(struct pci_bus *b, struct mem *mem)
{
	memset(b, 0, sizeof(*b));
	if (io_register(mem, 0xcf8, 4, addr_read, addr_write, b, "pci-config-address", MEM_WALL) ||
	    io_register(mem, 0xcfc, 4, data_read, data_write, b, "pci-config-data", MEM_WALL))
		return -1;
	return 0;
}

/* ---- state ---- */

void pci_dev_save(const struct pci_dev *d, struct state_writer *w)
{
	sw_bytes(w, d->config, sizeof(d->config));
}

int pci_dev_load(struct pci_dev *d, struct state_reader *r)
{
	uint8_t c[256];
	sr_bytes(r, c, sizeof(c));
	if (r->error)
		return -1;
	/* another device's state: vendor, device, class or header type differ */
	if (memcmp(c, d->config, 4) || memcmp(c + 0x09, d->config + 0x09, 3) ||
	    c[0x0e] != d->config[0x0e])
		return -1;
	bool intx_was = intx_out(d);
	memcpy(d->config, c, sizeof(c));
	update_bars(d);   /* the device re-maps the BARs through bar_moved */
	intx_changed(d, intx_was);
	return 0;
}

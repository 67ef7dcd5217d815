/*
 * PCI bus 0 (devices/pci.h), the i440FX host bridge (devices/i440fx.h) and
 * the PIIX3 ISA bridge (devices/piix3.h), driven as the guest drives them:
 * through ports 0xCF8/0xCFC and 0xCF9, and physical memory accesses.
 *
 * Expected values:
 * - PCI Local Bus Specification 2.1, 3.7.4.1 (configuration mechanism #1):
 *   CONFIG_ADDRESS is latched only by dword accesses to 0xCF8, bit 31 enables
 *   configuration cycles through 0xCFC-0xCFF whose low two address bits
 *   select the bytes of the register; with bit 31 clear, CONFIG_DATA is
 *   ordinary (here unclaimed) I/O.  Absent devices and other buses master
 *   abort: all-ones.
 * - PCI 2.1 chapter 6: read-only IDs, class and interrupt pin; interrupt
 *   line read/write; status bits written with 1 are cleared; BAR sizing
 *   (all-ones written reads back ~(size - 1) plus the type bits: bit 0 = 1
 *   for I/O, bit 3 prefetchable for memory; minimum 16 bytes of memory and
 *   4 of I/O); command bits 0 (I/O), 1 (memory), 2 (bus master), 10
 *   (interrupt disable, PCI 2.3).
 * - 440FX PCIset datasheet (82441FX), PCI configuration registers: IDs
 *   8086:1237 revision 02, class 060000, PCICMD 0006h read-only, PCISTS
 *   0280h, MLT bits 7:3, PAM0-PAM6 (59h-5Fh) with RE bit 0 / WE bit 1 per
 *   nibble (PAM0 high nibble: F0000h-FFFFFh; PAM1-6: 16 KiB segments from
 *   C0000h, low nibble first), reserved bits read 0; SMRAM (72h) reset 02h
 *   and D_LCK.
 * - 82371SB (PIIX3) datasheet: function 0 IDs 8086:7000, class 060100,
 *   header type 80h; PIRQRC 60h-63h reset 80h (not routed), bits 7 and 3:0
 *   writable, IRQ 0-2, 8, 13 reserved; routed PIRQs are level-sensitive,
 *   shareable inputs; RC at 0CF9h: RCPU (bit 2) 0-to-1 starts a reset whose
 *   type SRST (bit 1) selects (1 hard, 0 soft).
 * - The INTx-to-PIRQ rotation of the boards SeaBIOS and QEMU describe
 *   (PIRQ[(slot + pin - 1) & 3], pin 0 = INTA#): INTA# of slot 1 is PIRQA.
 * - 8259A: IRQ 11 is the slave's IR3; with the slave's vector base 70h its
 *   vector is 73h.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "suites.h"
#include "devices/i440fx.h"
#include "devices/pci.h"
#include "devices/pic.h"
#include "devices/piix3.h"
#include "devices/state.h"
#include "mmu/mem.h"

/* ---- a test device: three BARs that it maps where the guest puts them ---- */

struct move {
	int n;
	bool mapped;
	uint32_t addr;
	bool old_mapped;       /* d->bar[n] during the call */
	uint32_t old_addr;
};

struct tdev {
	struct pci_dev pci;
	struct mem *mem;
	struct move log[32];
	unsigned nlog;
	unsigned reads;
};

static uint32_t tdev_read(void *opaque, uint32_t addr, unsigned size)
{
	struct tdev *t = opaque;
	(void)size;
	t->reads++;
	return 0xd0000000u | addr;
}

static void tdev_write(void *opaque, uint32_t addr, uint32_t value, unsigned size)
{
	(void)opaque; (void)addr; (void)value; (void)size;
}

static void tdev_bar_moved(struct pci_dev *d, int n, bool mapped, uint32_t addr)
{
	struct tdev *t = d->opaque;
	const struct pci_bar *bar = &d->bar[n];
	if (t->nlog < 32)
		t->log[t->nlog] = (struct move){ n, mapped, addr, bar->mapped, bar->addr };
	t->nlog++;
	if (bar->mapped)
		ck_assert_int_eq(bar->io ? io_unregister(t->mem, bar->addr) : mem_unmap(t->mem, bar->addr), 0);
	if (mapped) {
		int r = bar->io ? io_register(t->mem, addr, bar->size, tdev_read, tdev_write, t,
					      "tdev-io", MEM_WALL)
				: mem_map_mmio(t->mem, addr, bar->size, tdev_read, tdev_write, t,
					       "tdev-mem", MEM_WALL);
		ck_assert_msg(r == 0, "mapping BAR %d at %#x: %s", n, addr, t->mem->error);
	}
}

static void tdev_init(struct tdev *t, struct mem *mem, uint8_t pin)
{
	memset(t, 0, sizeof(*t));
	t->mem = mem;
	t->pci.opaque = t;
	t->pci.bar_moved = tdev_bar_moved;
	pci_dev_init(&t->pci, 0x1234, 0x5678, 0x03, 0x018000, "tdev");
	pci_dev_set_bar(&t->pci, 0, 0x1000, false, false);     /* 4 KiB memory */
	pci_dev_set_bar(&t->pci, 1, 32, true, false);          /* 32 ports */
	pci_dev_set_bar(&t->pci, 2, 0x100000, false, true);    /* 1 MiB prefetchable */
	pci_dev_set_bar(&t->pci, 4, 1, true, false);           /* rounded up to 4 ports */
	t->pci.config[0x3d] = pin;
	t->pci.config[0x06] = 0x00;
	t->pci.config[0x07] = 0x02;                            /* DEVSEL# medium */
	memset(t->pci.wmask + 0x40, 0xff, 4);                  /* a scratch register */
}

static void check_move(const struct tdev *t, unsigned i, int n, bool mapped, uint32_t addr,
		       bool old_mapped, uint32_t old_addr)
{
	ck_assert_msg(i < t->nlog, "bar_moved call %u missing (only %u)", i, t->nlog);
	const struct move *m = &t->log[i];
	ck_assert_msg(m->n == n && m->mapped == mapped && (!mapped || m->addr == addr) &&
		      m->old_mapped == old_mapped && (!old_mapped || m->old_addr == old_addr),
		      "call %u: BAR %d mapped %d at %#x (was %d at %#x); expected BAR %d mapped %d "
		      "at %#x (was %d at %#x)", i, m->n, m->mapped, m->addr, m->old_mapped,
		      m->old_addr, n, mapped, addr, old_mapped, old_addr);
}

/* ---- the machine ---- */

struct pcm {
	struct mem mem;
	struct pic pic;
	struct pci_bus bus;
	struct i440fx host;
	struct piix3 isa;
	struct tdev t3, t4, t5, t7;
	int resets, hard_resets;
	int map_changes;
};

static struct pcm *pm;

static void on_reset(void *opaque, bool hard)
{
	struct pcm *m = opaque;
	m->resets++;
	if (hard)
		m->hard_resets++;
}

static void on_map_changed(void *opaque)
{
	struct pcm *m = opaque;
	m->map_changes++;
}

static void pci_setup(void)
{
	pm = calloc(1, sizeof(*pm));
	ck_assert_ptr_nonnull(pm);
	ck_assert_int_eq(mem_init(&pm->mem, 2u << 20), 0);
	pm->mem.map_changed = on_map_changed;
	pm->mem.map_opaque = pm;
	ck_assert_int_eq(pic_init(&pm->pic, &pm->mem, NULL, NULL), 0);
	ck_assert_int_eq(pci_bus_init(&pm->bus, &pm->mem), 0);
	ck_assert_int_eq(i440fx_init(&pm->host, &pm->bus, &pm->mem), 0);
	ck_assert_int_eq(piix3_init(&pm->isa, &pm->bus, &pm->pic, on_reset, pm), 0);
	tdev_init(&pm->t3, &pm->mem, 1);   /* INTA# */
	tdev_init(&pm->t4, &pm->mem, 1);
	tdev_init(&pm->t5, &pm->mem, 2);   /* INTB# */
	tdev_init(&pm->t7, &pm->mem, 1);
	ck_assert_int_eq(pci_register(&pm->bus, &pm->t3.pci, PCI_DEVFN(3, 0)), 0);
	ck_assert_int_eq(pci_register(&pm->bus, &pm->t4.pci, PCI_DEVFN(4, 0)), 0);
	ck_assert_int_eq(pci_register(&pm->bus, &pm->t5.pci, PCI_DEVFN(5, 0)), 0);
	ck_assert_int_eq(pci_register(&pm->bus, &pm->t7.pci, PCI_DEVFN(7, 0)), 0);
}

static void pci_teardown(void)
{
	mem_free(&pm->mem);
	free(pm);
	pm = NULL;
}

#define MEM (&pm->mem)

/* CONFIG_ADDRESS for bus 0 */
static uint32_t cfg_addr(unsigned dev, unsigned fn, unsigned reg)
{
	return 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc);
}

/* a configuration access through the ports, as a guest does it */
static uint32_t cfg_in(unsigned dev, unsigned fn, unsigned reg, unsigned size)
{
	io_out(MEM, 0xcf8, cfg_addr(dev, fn, reg), 4);
	return io_in(MEM, (uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_out(unsigned dev, unsigned fn, unsigned reg, uint32_t v, unsigned size)
{
	io_out(MEM, 0xcf8, cfg_addr(dev, fn, reg), 4);
	io_out(MEM, (uint16_t)(0xcfc + (reg & 3)), v, size);
}

/* ---- mechanism #1 ---- */

START_TEST(config_address_register)
{
	io_out(MEM, 0xcf8, 0x80000000u, 4);
	EQ(io_in(MEM, 0xcf8, 4), 0x80000000u);
	/* reserved bits 30:24 and 1:0 read 0 */
	io_out(MEM, 0xcf8, 0xffffffffu, 4);
	EQ(io_in(MEM, 0xcf8, 4), 0x80fffffcu);
	/* only a dword reaches CONFIG_ADDRESS: bytes and words are ordinary I/O */
	io_out(MEM, 0xcf8, 0x80001234u, 4);
	io_out(MEM, 0xcf8, 0x00, 1);
	io_out(MEM, 0xcfa, 0x0000, 2);
	io_out(MEM, 0xcfb, 0x00, 1);
	EQ(io_in(MEM, 0xcf8, 4), 0x80001234u);
	EQ(io_in(MEM, 0xcf8, 1), 0xff);
	EQ(io_in(MEM, 0xcfa, 2), 0xffff);
}
END_TEST

START_TEST(config_data_widths)
{
	/* the host bridge: 8086:1237, revision 02, class 060000 */
	io_out(MEM, 0xcf8, cfg_addr(0, 0, 0), 4);
	EQ(io_in(MEM, 0xcfc, 4), 0x12378086u);
	EQ(io_in(MEM, 0xcfc, 2), 0x8086);
	EQ(io_in(MEM, 0xcfe, 2), 0x1237);
	EQ(io_in(MEM, 0xcfc, 1), 0x86);
	EQ(io_in(MEM, 0xcfd, 1), 0x80);
	EQ(io_in(MEM, 0xcfe, 1), 0x37);
	EQ(io_in(MEM, 0xcff, 1), 0x12);
	EQ(io_in(MEM, 0xcfd, 2), 0x3780);
	EQ(cfg_in(0, 0, 0x08, 4), 0x06000002u);
	EQ(cfg_in(0, 0, 0x0b, 1), 0x06);
	/* writes at every width and byte lane, into the test device's scratch register */
	cfg_out(3, 0, 0x40, 0x11223344u, 4);
	EQ(cfg_in(3, 0, 0x40, 4), 0x11223344u);
	cfg_out(3, 0, 0x42, 0xaa, 1);
	EQ(cfg_in(3, 0, 0x40, 4), 0x11aa3344u);
	cfg_out(3, 0, 0x41, 0x5566, 2);     /* a word at 0xCFD: register bytes 0x41-0x42 */
	EQ(cfg_in(3, 0, 0x40, 4), 0x11556644u);
	EQ(cfg_in(3, 0, 0x41, 2), 0x5566);
	cfg_out(3, 0, 0x42, 0xbeef, 2);
	EQ(cfg_in(3, 0, 0x40, 4), 0xbeef6644u);
	cfg_out(3, 0, 0x43, 0x01, 1);
	EQ(cfg_in(3, 0, 0x43, 1), 0x01);
	EQ(cfg_in(3, 0, 0x40, 4), 0x01ef6644u);
	/* the same through the C API */
	EQ(pci_cfg_read(&pm->bus, PCI_DEVFN(3, 0), 0x40, 4), 0x01ef6644u);
	pci_cfg_write(&pm->bus, PCI_DEVFN(3, 0), 0x40, 0x99, 1);
	EQ(cfg_in(3, 0, 0x40, 1), 0x99);
	/* with bit 31 clear the data ports are ordinary, unclaimed I/O */
	io_out(MEM, 0xcf8, cfg_addr(3, 0, 0x40) & 0x7fffffffu, 4);
	EQ(io_in(MEM, 0xcfc, 4), 0xffffffffu);
	EQ(io_in(MEM, 0xcfe, 1), 0xff);
	io_out(MEM, 0xcfc, 0, 4);
	EQ(cfg_in(3, 0, 0x40, 4), 0x01ef6699u);
}
END_TEST

START_TEST(absent_devices)
{
	/* devices 2, 6, 31: nothing there; function 1 of device 3 neither */
	EQ(cfg_in(2, 0, 0x00, 4), 0xffffffffu);
	EQ(cfg_in(6, 0, 0x08, 2), 0xffff);
	EQ(cfg_in(31, 7, 0xfc, 4), 0xffffffffu);
	EQ(cfg_in(3, 1, 0x00, 4), 0xffffffffu);
	EQ(cfg_in(2, 0, 0x0e, 1), 0xff);
	cfg_out(2, 0, 0x3c, 0x0b, 1);       /* ignored */
	EQ(cfg_in(2, 0, 0x3c, 1), 0xff);
	/* bus 1 does not exist: master abort even for device 0 */
	io_out(MEM, 0xcf8, 0x80010000u, 4);
	EQ(io_in(MEM, 0xcfc, 4), 0xffffffffu);
	io_out(MEM, 0xcf8, 0x80ff0000u, 4);
	EQ(io_in(MEM, 0xcfc, 2), 0xffff);
	io_out(MEM, 0xcfc, 0, 4);
	EQ(cfg_in(0, 0, 0x00, 4), 0x12378086u);
	/* present devices */
	EQ(cfg_in(1, 0, 0x00, 4), 0x70008086u);
	EQ(cfg_in(3, 0, 0x00, 4), 0x56781234u);
	/* a devfn can be registered once */
	struct tdev extra;
	tdev_init(&extra, MEM, 1);
	ck_assert_int_eq(pci_register(&pm->bus, &extra.pci, PCI_DEVFN(3, 0)), -1);
	ck_assert_int_eq(pci_register(&pm->bus, &extra.pci, 256), -1);
}
END_TEST

/* ---- the type-0 header ---- */

START_TEST(header_read_only)
{
	cfg_out(3, 0, 0x00, 0, 4);
	cfg_out(3, 0, 0x08, 0, 4);
	cfg_out(3, 0, 0x0e, 0xff, 1);
	EQ(cfg_in(3, 0, 0x00, 4), 0x56781234u);
	EQ(cfg_in(3, 0, 0x08, 4), 0x01800003u);
	EQ(cfg_in(3, 0, 0x0e, 1), 0x00);
	/* interrupt line read/write, pin read-only */
	EQ(cfg_in(3, 0, 0x3c, 2), 0x0100);
	cfg_out(3, 0, 0x3c, 0xffffffffu, 4);
	EQ(cfg_in(3, 0, 0x3c, 4), 0x000001ffu);
	cfg_out(3, 0, 0x3c, 0x0b, 1);
	EQ(cfg_in(3, 0, 0x3c, 2), 0x010b);
	/* cache line size writable, latency timer not (no wmask from the device) */
	cfg_out(3, 0, 0x0c, 0xffff, 2);
	EQ(cfg_in(3, 0, 0x0c, 2), 0x00ff);
	/* command: bits 0, 1, 2 and 10 */
	cfg_out(3, 0, 0x04, 0xffff, 2);
	EQ(cfg_in(3, 0, 0x04, 2), 0x0407);
	cfg_out(3, 0, 0x04, 0, 2);
	EQ(cfg_in(3, 0, 0x04, 2), 0x0000);
	/* status: read-only except write-1-to-clear of the error bits */
	pm->t3.pci.config[0x07] |= 0xf9;    /* all error bits (15-11, 8) and DEVSEL# */
	pm->t3.pci.config[0x06] |= 0x10;    /* capabilities list: read-only */
	EQ(cfg_in(3, 0, 0x06, 2), 0xfb10);
	cfg_out(3, 0, 0x06, 0x0000, 2);     /* writing 0 changes nothing */
	EQ(cfg_in(3, 0, 0x06, 2), 0xfb10);
	cfg_out(3, 0, 0x06, 0x8000, 2);     /* detected parity error cleared */
	EQ(cfg_in(3, 0, 0x06, 2), 0x7b10);
	cfg_out(3, 0, 0x04, 0xffff0000u, 4); /* a dword write to command+status */
	EQ(cfg_in(3, 0, 0x04, 4), 0x02100000u);
	/* a byte write never crosses into the next register */
	cfg_out(3, 0, 0x3f, 0xff, 1);
	EQ(cfg_in(3, 0, 0x3c, 4), 0x0000010bu);
}
END_TEST

START_TEST(bar_sizing)
{
	/* reset values: the type bits */
	EQ(cfg_in(3, 0, 0x10, 4), 0x00000000u);
	EQ(cfg_in(3, 0, 0x14, 4), 0x00000001u);
	EQ(cfg_in(3, 0, 0x18, 4), 0x00000008u);
	EQ(cfg_in(3, 0, 0x1c, 4), 0x00000000u);
	for (unsigned reg = 0x10; reg < 0x28; reg += 4)
		cfg_out(3, 0, reg, 0xffffffffu, 4);
	EQ(cfg_in(3, 0, 0x10, 4), 0xfffff000u);   /* 4 KiB memory */
	EQ(cfg_in(3, 0, 0x14, 4), 0xffffffe1u);   /* 32 ports */
	EQ(cfg_in(3, 0, 0x18, 4), 0xfff00008u);   /* 1 MiB prefetchable */
	EQ(cfg_in(3, 0, 0x1c, 4), 0x00000000u);   /* no BAR */
	EQ(cfg_in(3, 0, 0x20, 4), 0xfffffffdu);   /* 4 ports, the minimum */
	EQ(cfg_in(3, 0, 0x24, 4), 0x00000000u);
	/* the software size computation of PCI 2.1 6.2.5.1 */
	EQ(~(cfg_in(3, 0, 0x10, 4) & ~0xfu) + 1, 0x1000);
	EQ(~(cfg_in(3, 0, 0x14, 4) & ~0x3u) + 1, 32);
	/* the host bridge and the ISA bridge have no BARs */
	cfg_out(0, 0, 0x10, 0xffffffffu, 4);
	cfg_out(1, 0, 0x10, 0xffffffffu, 4);
	EQ(cfg_in(0, 0, 0x10, 4), 0);
	EQ(cfg_in(1, 0, 0x10, 4), 0);
	/* byte writes: only the bits above the size stick */
	cfg_out(3, 0, 0x10, 0, 4);
	cfg_out(3, 0, 0x11, 0xff, 1);
	EQ(cfg_in(3, 0, 0x10, 4), 0x0000f000u);
	cfg_out(3, 0, 0x14, 0xabcd, 2);
	EQ(cfg_in(3, 0, 0x14, 4), 0xffffabc1u);
	/* with decoding off nothing is mapped */
	EQ(pm->t3.nlog, 0);
}
END_TEST

START_TEST(bar_moves)
{
	struct tdev *t = &pm->t3;
	/* programmed with decoding off: no call */
	cfg_out(3, 0, 0x10, 0xfebf0000u, 4);
	cfg_out(3, 0, 0x14, 0xc000, 4);
	EQ(t->nlog, 0);
	EQ(mem_read_phys(MEM, 0xfebf0010u, 4), 0xffffffffu);
	/* memory enable: BAR 0 and 2 (BAR 2 is still at 0: does not decode) */
	cfg_out(3, 0, 0x04, 0x0002, 2);
	EQ(t->nlog, 1);
	check_move(t, 0, 0, true, 0xfebf0000u, false, 0);
	EQ(mem_read_phys(MEM, 0xfebf0010u, 4), 0xd0000010u);
	ck_assert(t->pci.bar[0].mapped);
	EQ(t->pci.bar[0].addr, 0xfebf0000u);
	EQ(io_in(MEM, 0xc000, 4), 0xffffffffu);       /* I/O still off */
	/* move while decoding: one call, d->bar[0] holds the old place */
	cfg_out(3, 0, 0x10, 0xfebe0000u, 4);
	EQ(t->nlog, 2);
	check_move(t, 1, 0, true, 0xfebe0000u, true, 0xfebf0000u);
	EQ(mem_read_phys(MEM, 0xfebf0010u, 4), 0xffffffffu);
	EQ(mem_read_phys(MEM, 0xfebe0010u, 4), 0xd0000010u);
	/* the same address again: nothing changes */
	cfg_out(3, 0, 0x10, 0xfebe0000u, 4);
	cfg_out(3, 0, 0x04, 0x0002, 2);
	EQ(t->nlog, 2);
	/* sizing while decoding: unmapped, then back */
	cfg_out(3, 0, 0x10, 0xffffffffu, 4);
	EQ(t->nlog, 3);
	check_move(t, 2, 0, false, 0, true, 0xfebe0000u);
	EQ(mem_read_phys(MEM, 0xfebe0010u, 4), 0xffffffffu);
	cfg_out(3, 0, 0x10, 0xfebe0000u, 4);
	EQ(t->nlog, 4);
	check_move(t, 3, 0, true, 0xfebe0000u, false, 0);
	/* the prefetchable BAR, then I/O enable (memory stays on) */
	cfg_out(3, 0, 0x18, 0xfd000008u, 4);
	EQ(t->nlog, 5);
	check_move(t, 4, 2, true, 0xfd000000u, false, 0);
	EQ(mem_read_phys(MEM, 0xfd0ff000u, 4), 0xd00ff000u);
	cfg_out(3, 0, 0x04, 0x0003, 2);
	EQ(t->nlog, 6);
	check_move(t, 5, 1, true, 0xc000, false, 0);
	EQ(io_in(MEM, 0xc01c, 4), 0xd000c01cu);
	/* bus master and interrupt disable do not touch the BARs */
	cfg_out(3, 0, 0x04, 0x0407, 2);
	EQ(t->nlog, 6);
	/* an I/O BAR moved byte by byte while decoding: every step is a move */
	cfg_out(3, 0, 0x15, 0xd0, 1);
	EQ(t->nlog, 7);
	check_move(t, 6, 1, true, 0xd000, true, 0xc000);
	EQ(io_in(MEM, 0xc000, 1), 0xff);
	EQ(io_in(MEM, 0xd004, 1), (0xd000d004u & 0xff));
	/* I/O BARs beyond 64 KiB do not decode */
	cfg_out(3, 0, 0x14, 0x10000, 4);
	EQ(t->nlog, 8);
	check_move(t, 7, 1, false, 0, true, 0xd000);
	cfg_out(3, 0, 0x14, 0xffe0, 4);
	EQ(t->nlog, 9);
	check_move(t, 8, 1, true, 0xffe0, false, 0);
	/* memory disable: BARs 0 and 2 go; I/O stays */
	cfg_out(3, 0, 0x04, 0x0001, 2);
	EQ(t->nlog, 11);
	check_move(t, 9, 0, false, 0, true, 0xfebe0000u);
	check_move(t, 10, 2, false, 0, true, 0xfd000000u);
	EQ(mem_read_phys(MEM, 0xfebe0010u, 4), 0xffffffffu);
	EQ(io_in(MEM, 0xffe0, 1), 0xe0);
	/* address 0 never decodes */
	cfg_out(3, 0, 0x14, 0, 4);
	EQ(t->nlog, 12);
	check_move(t, 11, 1, false, 0, true, 0xffe0);
	cfg_out(3, 0, 0x04, 0x0003, 2);     /* BAR 1 is at 0: no call for it */
	EQ(t->nlog, 14);
	check_move(t, 12, 0, true, 0xfebe0000u, false, 0);
	check_move(t, 13, 2, true, 0xfd000000u, false, 0);
	/* the memory BAR reaching 4 GiB exactly does not decode (no wrap) */
	cfg_out(3, 0, 0x10, 0xfffff000u, 4);
	EQ(t->nlog, 15);
	check_move(t, 14, 0, false, 0, true, 0xfebe0000u);
}
END_TEST

START_TEST(dev_reset)
{
	struct tdev *t = &pm->t3;
	cfg_out(3, 0, 0x10, 0xfebf0000u, 4);
	cfg_out(3, 0, 0x14, 0xc000, 4);
	cfg_out(3, 0, 0x18, 0xfd000000u, 4);
	cfg_out(3, 0, 0x3c, 0x0b, 1);
	cfg_out(3, 0, 0x0c, 0x08, 1);
	cfg_out(3, 0, 0x40, 0x12345678u, 4);
	cfg_out(3, 0, 0x04, 0x0007, 2);
	EQ(t->nlog, 3);
	t->pci.config[0x07] |= 0x80;          /* a status error bit */
	pci_dev_reset(&t->pci);
	EQ(t->nlog, 6);
	check_move(t, 3, 0, false, 0, true, 0xfebf0000u);
	check_move(t, 4, 1, false, 0, true, 0xc000);
	check_move(t, 5, 2, false, 0, true, 0xfd000000u);
	EQ(cfg_in(3, 0, 0x04, 4), 0x02000000u);
	EQ(cfg_in(3, 0, 0x0c, 4), 0);
	EQ(cfg_in(3, 0, 0x10, 4), 0x00000000u);
	EQ(cfg_in(3, 0, 0x14, 4), 0x00000001u);
	EQ(cfg_in(3, 0, 0x18, 4), 0x00000008u);
	EQ(cfg_in(3, 0, 0x3c, 2), 0x0100);   /* the pin stays */
	EQ(cfg_in(3, 0, 0x40, 4), 0x12345678u);   /* device-specific: the device's job */
	EQ(cfg_in(3, 0, 0x00, 4), 0x56781234u);
	EQ(mem_read_phys(MEM, 0xfebf0000u, 4), 0xffffffffu);
	EQ(io_in(MEM, 0xc000, 1), 0xff);
	/* the hardwired command bits of the bridges stay */
	pci_dev_reset(&pm->host.dev);
	pci_dev_reset(&pm->isa.dev);
	EQ(cfg_in(0, 0, 0x04, 4), 0x02800006u);
	EQ(cfg_in(1, 0, 0x04, 4), 0x02000007u);
}
END_TEST

/* ---- i440FX ---- */

START_TEST(i440fx_header)
{
	EQ(cfg_in(0, 0, 0x00, 4), 0x12378086u);
	EQ(cfg_in(0, 0, 0x04, 4), 0x02800006u);
	EQ(cfg_in(0, 0, 0x08, 4), 0x06000002u);
	EQ(cfg_in(0, 0, 0x0c, 4), 0x00000000u);
	EQ(cfg_in(0, 0, 0x3c, 4), 0x00000000u);
	cfg_out(0, 0, 0x04, 0xffff, 2);      /* only SERR# enable is writable */
	EQ(cfg_in(0, 0, 0x04, 2), 0x0106);
	cfg_out(0, 0, 0x0d, 0xff, 1);        /* MLT bits 7:3 */
	EQ(cfg_in(0, 0, 0x0d, 1), 0xf8);
	cfg_out(0, 0, 0x3c, 0xff, 1);
	EQ(cfg_in(0, 0, 0x3c, 1), 0x00);
	for (unsigned r = 0x59; r <= 0x5f; r++)
		EQ(cfg_in(0, 0, r, 1), 0x00);
	EQ(cfg_in(0, 0, 0x72, 1), 0x02);
	/* DRB: storage */
	cfg_out(0, 0, 0x60, 0x04030201u, 4);
	EQ(cfg_in(0, 0, 0x60, 4), 0x04030201u);
}
END_TEST

START_TEST(pam_through_config)
{
	static uint8_t bios[0x10000];
	memset(bios, 0xb1, sizeof(bios));
	ck_assert_int_eq(mem_map_pam_rom(MEM, 0xf0000, bios, sizeof(bios), "bios"), 0);
	pm->mem.ram[0xf0000] = 0x5a;
	pm->mem.ram[0xc0000] = 0xc0;
	pm->mem.ram[0xc4000] = 0xc4;
	pm->mem.ram[0xec000] = 0xec;
	/* reset: everything from PCI (the ROM; 0xFF where none is) */
	EQ(mem_read_phys(MEM, 0xf0000, 1), 0xb1);
	EQ(mem_read_phys(MEM, 0xc0000, 1), 0xff);
	int changes = pm->map_changes;
	/* PAM0 bits 5:4 = RE | WE: F0000-FFFFF is RAM */
	cfg_out(0, 0, 0x59, 0x30, 1);
	EQ(pm->map_changes, changes + 1);
	EQ(mem_read_phys(MEM, 0xf0000, 1), 0x5a);
	mem_write_phys(MEM, 0xffff0, 0xea, 1);
	EQ(mem_read_phys(MEM, 0xffff0, 1), 0xea);
	/* WE only: the shadowing copy (reads ROM, writes RAM) */
	cfg_out(0, 0, 0x59, 0x20, 1);
	EQ(mem_read_phys(MEM, 0xf0000, 1), 0xb1);
	mem_write_phys(MEM, 0xf0000, 0x77, 1);
	EQ(pm->mem.ram[0xf0000], 0x77);
	EQ(mem_read_phys(MEM, 0xf0000, 1), 0xb1);
	/* RE only: the shadow is read, writes are dropped */
	cfg_out(0, 0, 0x59, 0x10, 1);
	EQ(mem_read_phys(MEM, 0xf0000, 1), 0x77);
	mem_write_phys(MEM, 0xf0000, 0x88, 1);
	EQ(mem_read_phys(MEM, 0xf0000, 1), 0x77);
	/* the reserved bits (PAM0's low nibble, bits 7:6 and 3:2) stay 0 */
	cfg_out(0, 0, 0x59, 0xff, 1);
	EQ(cfg_in(0, 0, 0x59, 1), 0x30);
	cfg_out(0, 0, 0x5a, 0xff, 1);
	EQ(cfg_in(0, 0, 0x5a, 1), 0x33);
	cfg_out(0, 0, 0x5a, 0x00, 1);
	/* PAM0's low nibble does not touch C0000-EFFFF, the word write at 0x58
	 * leaves DRAMT and PAM0 as written */
	cfg_out(0, 0, 0x58, 0x0f00, 2);
	EQ(cfg_in(0, 0, 0x59, 1), 0x00);
	EQ(mem_read_phys(MEM, 0xf0000, 1), 0xb1);
	EQ(mem_read_phys(MEM, 0xc0000, 1), 0xff);
	/* PAM1 low nibble: C0000-C3FFF; high nibble: C4000-C7FFF */
	cfg_out(0, 0, 0x5a, 0x01, 1);
	EQ(mem_read_phys(MEM, 0xc0000, 1), 0xc0);
	EQ(mem_read_phys(MEM, 0xc3fff, 1), 0x00);
	EQ(mem_read_phys(MEM, 0xc4000, 1), 0xff);
	cfg_out(0, 0, 0x5a, 0x10, 1);
	EQ(mem_read_phys(MEM, 0xc0000, 1), 0xff);
	EQ(mem_read_phys(MEM, 0xc4000, 1), 0xc4);
	EQ(mem_read_phys(MEM, 0xc8000, 1), 0xff);
	/* a dword at 0x5C covers PAM3-PAM6; PAM6 bits 5:4 are EC000-EFFFF */
	cfg_out(0, 0, 0x5c, 0x30000000u, 4);
	EQ(mem_read_phys(MEM, 0xec000, 1), 0xec);
	EQ(mem_read_phys(MEM, 0xe8000, 1), 0xff);
	EQ(mem_read_phys(MEM, 0xd0000, 1), 0xff);
	ck_assert_ptr_eq(mem_ram_ptr(MEM, 0xec000), pm->mem.ram + 0xec000);
	ck_assert_ptr_null(mem_ram_ptr(MEM, 0xe8000));
	/* each segment: write its nibble RE|WE and check its bounds */
	for (unsigned seg = 0; seg < 12; seg++) {
		uint32_t base = 0xc0000 + seg * 0x4000;
		unsigned reg = 0x5a + seg / 2, shift = (seg & 1) * 4;
		for (unsigned r = 0x5a; r <= 0x5f; r++)
			cfg_out(0, 0, r, 0, 1);
		cfg_out(0, 0, reg, 0x3u << shift, 1);
		mem_write_phys(MEM, base, 0x40 + seg, 1);
		mem_write_phys(MEM, base + 0x3fff, 0x80 + seg, 1);
		EQ(mem_read_phys(MEM, base, 1), 0x40 + seg);
		EQ(mem_read_phys(MEM, base + 0x3fff, 1), 0x80 + seg);
		if (seg)
			EQ(mem_read_phys(MEM, base - 1, 1), 0xff);
		if (seg < 11)
			EQ(mem_read_phys(MEM, base + 0x4000, 1), 0xff);
	}
	/* reset: back to PCI */
	i440fx_reset(&pm->host);
	EQ(cfg_in(0, 0, 0x5c, 4), 0);
	EQ(mem_read_phys(MEM, 0xec000, 1), 0xff);
	EQ(mem_read_phys(MEM, 0xf0000, 1), 0xb1);
}
END_TEST

START_TEST(pam_seen_by_cpu)
{
	static uint8_t bios[0x10000];
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	struct i440fx *host = calloc(1, sizeof(*host));
	ck_assert_ptr_nonnull(bus);
	ck_assert_ptr_nonnull(host);
	ck_assert_int_eq(pci_bus_init(bus, &M->mem), 0);
	ck_assert_int_eq(i440fx_init(host, bus, &M->mem), 0);
	memset(bios, 0xb1, sizeof(bios));
	ck_assert_int_eq(mem_map_pam_rom(&M->mem, 0xf0000, bios, sizeof(bios), "bios"), 0);
	M->mem.ram[0xf0010] = 0x42;
	h_flat32();
	EXEC(0xa0, 0x10, 0x00, 0x0f, 0x00);             /* mov al, [0xF0010] */
	EQ(EAX & 0xff, 0xb1);
	/* PAM0 = 10h through the ports (a byte at 0xCFD: register 0x59) */
	io_out(&M->mem, 0xcf8, 0x80000058u, 4);
	io_out(&M->mem, 0xcfd, 0x10, 1);
	EXEC(0xa0, 0x10, 0x00, 0x0f, 0x00);
	EQ(EAX & 0xff, 0x42);
	EAX = 0x99;
	EXEC(0xa2, 0x10, 0x00, 0x0f, 0x00);             /* mov [0xF0010], al: WE = 0, dropped */
	EQ(M->mem.ram[0xf0010], 0x42);
	io_out(&M->mem, 0xcfd, 0x30, 1);
	EXEC(0xa2, 0x10, 0x00, 0x0f, 0x00);
	EQ(M->mem.ram[0xf0010], 0x99);
	io_out(&M->mem, 0xcfd, 0x00, 1);
	EXEC(0xa0, 0x10, 0x00, 0x0f, 0x00);
	EQ(EAX & 0xff, 0xb1);
	free(bus);
	free(host);
}
END_TEST

START_TEST(smram_register)
{
	EQ(cfg_in(0, 0, 0x72, 1), 0x02);
	cfg_out(0, 0, 0x72, 0xef, 1);        /* C_BASE_SEG hardwired, bit 7 reserved */
	EQ(cfg_in(0, 0, 0x72, 1), 0x6a);
	cfg_out(0, 0, 0x72, 0x00, 1);
	EQ(cfg_in(0, 0, 0x72, 1), 0x02);
	cfg_out(0, 0, 0x72, 0x4a, 1);        /* D_OPEN | G_SMRAME */
	EQ(cfg_in(0, 0, 0x72, 1), 0x4a);
	cfg_out(0, 0, 0x72, 0x5a, 1);        /* D_LCK: D_OPEN cleared */
	EQ(cfg_in(0, 0, 0x72, 1), 0x1a);
	cfg_out(0, 0, 0x72, 0x60, 1);        /* locked: only D_CLS changes */
	EQ(cfg_in(0, 0, 0x72, 1), 0x3a);
	i440fx_reset(&pm->host);
	EQ(cfg_in(0, 0, 0x72, 1), 0x02);
	cfg_out(0, 0, 0x72, 0x42, 1);
	EQ(cfg_in(0, 0, 0x72, 1), 0x42);
}
END_TEST

/* ---- PIIX3 ---- */

START_TEST(piix3_header)
{
	EQ(cfg_in(1, 0, 0x00, 4), 0x70008086u);
	EQ(cfg_in(1, 0, 0x08, 4), 0x06010000u);
	EQ(cfg_in(1, 0, 0x0e, 1), 0x80);
	EQ(cfg_in(1, 0, 0x04, 4), 0x02000007u);
	EQ(cfg_in(1, 0, 0x60, 4), 0x80808080u);
	EQ(cfg_in(1, 0, 0x4c, 1), 0x4d);
	EQ(cfg_in(1, 0, 0x4e, 2), 0x0003);
	EQ(cfg_in(1, 0, 0x69, 1), 0x02);
	EQ(cfg_in(1, 0, 0x70, 1), 0x80);
	EQ(cfg_in(1, 0, 0xa8, 1), 0x0f);
	cfg_out(1, 0, 0x60, 0xffffffffu, 4);  /* bits 6:4 reserved */
	EQ(cfg_in(1, 0, 0x60, 4), 0x8f8f8f8fu);
	cfg_out(1, 0, 0x04, 0x0000, 2);       /* I/O, memory, bus master hardwired */
	EQ(cfg_in(1, 0, 0x04, 2), 0x0007);
	piix3_reset(&pm->isa);
	EQ(cfg_in(1, 0, 0x60, 4), 0x80808080u);
}
END_TEST

START_TEST(intx_swizzle)
{
	EQ(piix3_pirq(1, 1), 0);   /* slot 1 INTA# -> PIRQA */
	EQ(piix3_pirq(2, 1), 1);
	EQ(piix3_pirq(3, 1), 2);
	EQ(piix3_pirq(4, 1), 3);
	EQ(piix3_pirq(5, 1), 0);
	EQ(piix3_pirq(0, 1), 3);
	EQ(piix3_pirq(1, 2), 1);   /* INTB# one further */
	EQ(piix3_pirq(1, 4), 3);
	EQ(piix3_pirq(3, 4), 1);
}
END_TEST

/* the PC/AT initialisation: master vectors 08h, slave 70h on IR2, no masks */
static void pic_program(void)
{
	static const uint8_t master[] = { 0x11, 0x08, 0x04, 0x01 };
	static const uint8_t slave[] = { 0x11, 0x70, 0x02, 0x01 };
	io_out(MEM, 0x20, master[0], 1);
	io_out(MEM, 0xa0, slave[0], 1);
	for (int i = 1; i < 4; i++) {
		io_out(MEM, 0x21, master[i], 1);
		io_out(MEM, 0xa1, slave[i], 1);
	}
	io_out(MEM, 0x21, 0x00, 1);
	io_out(MEM, 0xa1, 0x00, 1);
}

static bool irq_input(int irq)
{
	return (pm->pic.chip[irq >> 3].input >> (irq & 7)) & 1;
}

START_TEST(pirq_routing)
{
	pic_program();
	io_out(MEM, 0x4d1, 0x0c, 1);          /* ELCR: IRQ 10 and 11 level-triggered */
	/* device 3 INTA# is PIRQC; unrouted (reset 80h): nothing reaches the PIC */
	pci_set_irq(&pm->t3.pci, true);
	EQ(cfg_in(3, 0, 0x06, 2) & 0x0008, 0x0008);   /* Interrupt Status */
	ck_assert(!irq_input(11));
	ck_assert(!pic_intr(&pm->pic));
	/* PIRQC -> IRQ 11: the asserted level shows at once */
	cfg_out(1, 0, 0x62, 0x0b, 1);
	ck_assert(irq_input(11));
	ck_assert(pic_intr(&pm->pic));
	EQ(pic_ack(&pm->pic), 0x73);
	/* level-triggered: still requested until the device deasserts */
	pci_set_irq(&pm->t3.pci, false);
	EQ(cfg_in(3, 0, 0x06, 2) & 0x0008, 0);
	ck_assert(!irq_input(11));
	/* other PIRQs are not IRQ 11 */
	pci_set_irq(&pm->t4.pci, true);       /* device 4 INTA#: PIRQD */
	pci_set_irq(&pm->t5.pci, true);       /* device 5 INTB#: PIRQB */
	ck_assert(!irq_input(11));
	/* PIRQB -> IRQ 10, PIRQD -> IRQ 11 */
	cfg_out(1, 0, 0x61, 0x0a, 1);
	ck_assert(irq_input(10));
	cfg_out(1, 0, 0x63, 0x0b, 1);
	ck_assert(irq_input(11));
	/* disabled again by bit 7 */
	cfg_out(1, 0, 0x63, 0x8b, 1);
	ck_assert(!irq_input(11));
	/* reserved IRQ numbers route nowhere */
	cfg_out(1, 0, 0x63, 0x08, 1);
	ck_assert(!irq_input(8));
	EQ(pm->isa.irq_out, 1u << 10);
	ck_assert(irq_input(10));
	cfg_out(1, 0, 0x63, 0x02, 1);
	EQ(pm->isa.irq_out, 1u << 10);        /* (IR2 is the slave's cascade) */
	cfg_out(1, 0, 0x63, 0x0d, 1);
	EQ(pm->isa.irq_out, 1u << 10);
	ck_assert(!irq_input(13));
	/* rerouting moves the level */
	cfg_out(1, 0, 0x61, 0x05, 1);
	ck_assert(!irq_input(10));
	ck_assert(irq_input(5));
	pci_set_irq(&pm->t5.pci, false);
	ck_assert(!irq_input(5));
	pci_set_irq(&pm->t4.pci, false);
}
END_TEST

START_TEST(pirq_sharing)
{
	pic_program();
	io_out(MEM, 0x4d1, 0x08, 1);
	cfg_out(1, 0, 0x62, 0x0b, 1);         /* PIRQC (devices 3 and 7) -> IRQ 11 */
	cfg_out(1, 0, 0x63, 0x0b, 1);         /* PIRQD (device 4) -> IRQ 11 too */
	pci_set_irq(&pm->t3.pci, true);
	pci_set_irq(&pm->t7.pci, true);
	pci_set_irq(&pm->t4.pci, true);
	ck_assert(irq_input(11));
	pci_set_irq(&pm->t3.pci, false);
	ck_assert(irq_input(11));
	pci_set_irq(&pm->t7.pci, false);
	ck_assert(irq_input(11));             /* PIRQD still */
	pci_set_irq(&pm->t7.pci, false);      /* repeated: no change */
	pci_set_irq(&pm->t4.pci, false);
	ck_assert(!irq_input(11));
	pci_set_irq(&pm->t4.pci, true);
	pci_set_irq(&pm->t4.pci, true);
	ck_assert(irq_input(11));
	pci_set_irq(&pm->t4.pci, false);
	ck_assert(!irq_input(11));
}
END_TEST

START_TEST(intx_disable)
{
	pic_program();
	cfg_out(1, 0, 0x62, 0x0b, 1);
	cfg_out(3, 0, 0x04, 0x0400, 2);       /* Interrupt Disable */
	pci_set_irq(&pm->t3.pci, true);
	EQ(cfg_in(3, 0, 0x06, 2) & 0x0008, 0x0008);   /* the status still shows it */
	ck_assert(!irq_input(11));
	cfg_out(3, 0, 0x04, 0x0000, 2);
	ck_assert(irq_input(11));
	cfg_out(3, 0, 0x04, 0x0400, 2);
	ck_assert(!irq_input(11));
	pci_set_irq(&pm->t3.pci, false);
	cfg_out(3, 0, 0x04, 0x0000, 2);
	ck_assert(!irq_input(11));
	/* no interrupt pin: pci_set_irq does nothing */
	pm->t7.pci.config[0x3d] = 0;
	pci_set_irq(&pm->t7.pci, true);
	EQ(cfg_in(7, 0, 0x06, 2) & 0x0008, 0);
	ck_assert(!irq_input(11));
}
END_TEST

/* ---- 0xCF9 ---- */

START_TEST(reset_control)
{
	EQ(io_in(MEM, 0xcf9, 1), 0x00);
	io_out(MEM, 0xcf9, 0x02, 1);          /* SRST alone: nothing yet */
	EQ(pm->resets, 0);
	EQ(io_in(MEM, 0xcf9, 1), 0x02);
	io_out(MEM, 0xcf9, 0x06, 1);          /* RCPU with SRST: hard reset */
	EQ(pm->resets, 1);
	EQ(pm->hard_resets, 1);
	io_out(MEM, 0xcf9, 0x06, 1);          /* in one write too */
	EQ(pm->hard_resets, 2);
	io_out(MEM, 0xcf9, 0x00, 1);
	io_out(MEM, 0xcf9, 0x04, 1);          /* RCPU without SRST: soft reset */
	EQ(pm->resets, 3);
	EQ(pm->hard_resets, 2);
	io_out(MEM, 0xcf9, 0x02, 1);          /* SRST alone, then RCPU alone: soft */
	io_out(MEM, 0xcf9, 0x04, 1);
	EQ(pm->resets, 4);
	EQ(pm->hard_resets, 2);
	/* reserved bits */
	io_out(MEM, 0xcf9, 0xf9, 1);
	EQ(io_in(MEM, 0xcf9, 1), 0x00);
	EQ(pm->resets, 4);
	/* CONFIG_ADDRESS dwords do not reach it; a word I/O at 0xCF8 does */
	io_out(MEM, 0xcf8, 0x00000600u, 4);
	EQ(pm->resets, 4);
	io_out(MEM, 0xcf8, 0x0600, 2);
	EQ(pm->resets, 5);
	EQ(pm->hard_resets, 3);
	EQ(io_in(MEM, 0xcf8, 2), 0x02ff);
}
END_TEST

/* ---- state ---- */

START_TEST(state_round_trip)
{
	pic_program();
	cfg_out(1, 0, 0x62, 0x0b, 1);
	cfg_out(0, 0, 0x59, 0x30, 1);
	cfg_out(3, 0, 0x10, 0xfebf0000u, 4);
	cfg_out(3, 0, 0x04, 0x0002, 2);
	pci_set_irq(&pm->t3.pci, true);
	struct state_writer w;
	sw_init(&w);
	i440fx_save(&pm->host, &w);
	piix3_save(&pm->isa, &w);
	pci_dev_save(&pm->t3.pci, &w);
	pic_save(&pm->pic, &w);
	ck_assert(!w.error);
	/* change everything, then load */
	cfg_out(0, 0, 0x59, 0x00, 1);
	cfg_out(1, 0, 0x62, 0x80, 1);
	pci_set_irq(&pm->t3.pci, false);
	cfg_out(3, 0, 0x04, 0x0000, 2);
	EQ(mem_read_phys(MEM, 0xfebf0000u, 4), 0xffffffffu);
	pm->mem.ram[0xf0000] = 0x5a;
	struct state_reader r;
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(i440fx_load(&pm->host, &r), 0);
	ck_assert_int_eq(piix3_load(&pm->isa, &r), 0);
	ck_assert_int_eq(pci_dev_load(&pm->t3.pci, &r), 0);
	ck_assert_int_eq(pic_load(&pm->pic, &r), 0);
	ck_assert(!r.error);
	EQ(r.pos, r.len);
	EQ(cfg_in(0, 0, 0x59, 1), 0x30);
	EQ(mem_read_phys(MEM, 0xf0000, 1), 0x5a);     /* PAM applied */
	ck_assert(irq_input(11));
	EQ(mem_read_phys(MEM, 0xfebf0004u, 4), 0xd0000004u);   /* BAR re-mapped */
	/* truncated, or another device's state */
	sr_init(&r, w.buf, 100);
	ck_assert_int_eq(i440fx_load(&pm->host, &r), -1);
	sr_init(&r, w.buf, w.len);
	ck_assert_int_eq(piix3_load(&pm->isa, &r), -1);
	sw_free(&w);
}
END_TEST

Suite *pci_suite(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("mechanism1");
	tcase_add_checked_fixture(tc, pci_setup, pci_teardown);
	tcase_add_test(tc, config_address_register);
	tcase_add_test(tc, config_data_widths);
	tcase_add_test(tc, absent_devices);
	tcase_add_test(tc, header_read_only);
	tcase_add_test(tc, bar_sizing);
	tcase_add_test(tc, bar_moves);
	tcase_add_test(tc, dev_reset);
	suite_add_tcase(s, tc);

	tc = tcase_create("i440fx");
	tcase_add_checked_fixture(tc, pci_setup, pci_teardown);
	tcase_add_test(tc, i440fx_header);
	tcase_add_test(tc, pam_through_config);
	tcase_add_test(tc, smram_register);
	suite_add_tcase(s, tc);

	tc = h_tcase("i440fx_cpu");
	tcase_add_test(tc, pam_seen_by_cpu);
	suite_add_tcase(s, tc);

	tc = tcase_create("piix3");
	tcase_add_checked_fixture(tc, pci_setup, pci_teardown);
	tcase_add_test(tc, piix3_header);
	tcase_add_test(tc, intx_swizzle);
	tcase_add_test(tc, pirq_routing);
	tcase_add_test(tc, pirq_sharing);
	tcase_add_test(tc, intx_disable);
	tcase_add_test(tc, reset_control);
	tcase_add_test(tc, state_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

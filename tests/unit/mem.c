/*
 * Physical memory and I/O dispatch (mmu/mem.h).
 *
 * What is checked, and where it comes from:
 * - RAM is little-endian at every width; physical addresses nothing claims read
 *   as all-ones and ignore writes (an undriven PC bus floats high); ROM is
 *   read-only: writes are dropped.
 * - The one registry for ports and MMIO: callbacks get the MMIO offset from the
 *   region base, or the port number; unclaimed ports read as all-ones at every
 *   width; overlapping registrations are refused with a message naming both.
 * - Access widths, as ISA/PCI bus bridges do it: an access of a width the
 *   device does not handle becomes accesses of the largest smaller width it
 *   does, at ascending addresses, assembled little-endian (a dword to a
 *   byte-only device is four byte accesses at addr..addr+3).  Our documented
 *   choice for the opposite case: an access narrower than every width the
 *   device handles (a byte to a dword-only device) reaches the device unchanged,
 *   with its real size.  A port access whose bytes belong to different devices
 *   (or partly to none) is split so every byte reaches the device owning its
 *   port, like QEMU's isa-debugcon on a dword OUT to 0xE9.
 * - PAM, i440FX datasheet, registers PAM0-PAM6 (PCI config 0x59-0x5F):
 *   per segment RE = 1 reads go to DRAM, RE = 0 to PCI (the BIOS ROM, or
 *   nothing: all-ones); WE = 1 writes go to DRAM, WE = 0 to PCI (the ROM
 *   ignores them).  0xC0000-0xEFFFF in 16 KiB segments, 0xF0000-0xFFFFF as one
 *   64 KiB segment; the registers reset to 0.  This is how SeaBIOS shadows
 *   itself: WE = 1 to copy ROM to RAM, then RE = 1, WE = 0.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "suites.h"
#include "devices/debugport.h"

#define MEM_RAM (2u << 20)

static struct mem *mm;

static void mem_setup(void)
{
	mm = calloc(1, sizeof(*mm));
	ck_assert_ptr_nonnull(mm);
	ck_assert_int_eq(mem_init(mm, MEM_RAM), 0);
}

static void mem_teardown(void)
{
	if (mm)
		mem_free(mm);
	free(mm);
	mm = NULL;
}

/* ---- a device that records its calls ---- */

struct call {
	bool write;
	uint32_t addr;
	unsigned size;
	uint32_t value;
};

struct dev {
	struct call log[16];
	unsigned n;
};

/* reads return junk above the low 12 bits of addr: the dispatch must mask them */
#define DEV_READ(addr) (0xccccc000u | ((addr) & 0xfffu))

static uint32_t dev_rd(void *opaque, uint32_t addr, unsigned size)
{
	struct dev *d = opaque;
	if (d->n < 16)
		d->log[d->n] = (struct call){ false, addr, size, 0 };
	d->n++;
	return DEV_READ(addr);
}

static void dev_wr(void *opaque, uint32_t addr, uint32_t value, unsigned size)
{
	struct dev *d = opaque;
	if (d->n < 16)
		d->log[d->n] = (struct call){ true, addr, size, value };
	d->n++;
}

static void check_call(const struct dev *d, unsigned i, bool write, uint32_t addr, unsigned size,
		       uint32_t value)
{
	ck_assert_msg(i < d->n, "call %u missing (only %u calls)", i, d->n);
	const struct call *c = &d->log[i];
	ck_assert_msg(c->write == write && c->addr == addr && c->size == size &&
		      (!write || c->value == value),
		      "call %u: %s addr 0x%x size %u value 0x%x; expected %s addr 0x%x size %u value 0x%x",
		      i, c->write ? "write" : "read", c->addr, c->size, c->value,
		      write ? "write" : "read", addr, size, value);
}

/* ---- RAM, unassigned, ROM ---- */

START_TEST(ram_widths)
{
	mem_write_phys(mm, 0x1000, 0x11223344, 4);
	EQ(mem_read_phys(mm, 0x1000, 4), 0x11223344);
	EQ(mem_read_phys(mm, 0x1000, 1), 0x44);
	EQ(mem_read_phys(mm, 0x1003, 1), 0x11);
	EQ(mem_read_phys(mm, 0x1001, 2), 0x2233);
	mem_write_phys(mm, 0x1001, 0xaabb, 2);
	EQ(mem_read_phys(mm, 0x1000, 4), 0x11aabb44);
	mem_write_phys(mm, 0x1003, 0x5a, 1);
	EQ(mem_read_phys(mm, 0x1000, 4), 0x5aaabb44);
	EQ(mm->ram[0x1000], 0x44);
	EQ(mm->ram[0x1003], 0x5a);
	/* the last bytes of RAM */
	mem_write_phys(mm, MEM_RAM - 4, 0xcafef00d, 4);
	EQ(mem_read_phys(mm, MEM_RAM - 4, 4), 0xcafef00d);
	EQ(mem_read_phys(mm, MEM_RAM - 1, 1), 0xca);
	ck_assert_ptr_eq(mem_ram_ptr(mm, 0x1000), mm->ram + 0x1000);
	ck_assert_ptr_eq(mem_read_ptr(mm, 0x1234), mm->ram + 0x1234);
}
END_TEST

START_TEST(unassigned_all_ones)
{
	EQ(mem_read_phys(mm, MEM_RAM, 1), 0xff);
	EQ(mem_read_phys(mm, MEM_RAM + 2, 2), 0xffff);
	EQ(mem_read_phys(mm, 0x80000000u, 4), 0xffffffffu);
	EQ(mem_read_phys(mm, 0xfffffffcu, 4), 0xffffffffu);
	mem_write_phys(mm, MEM_RAM, 0x12345678, 4);
	EQ(mem_read_phys(mm, MEM_RAM, 4), 0xffffffffu);
	ck_assert_ptr_null(mem_ram_ptr(mm, MEM_RAM));
	ck_assert_ptr_null(mem_read_ptr(mm, MEM_RAM));
}
END_TEST

/* The shadow MMU keeps tags in the low bits of its entries (mmu/shadow.h):
 * every host page the map hands out is page aligned, whatever the alignment
 * of the image a ROM was mapped from. */
START_TEST(host_pages_are_page_aligned)
{
	static uint8_t img[0x2001];
	const uint8_t *odd = img + ((uintptr_t)img & 1 ? 0 : 1);   /* an odd address */
	EQ((uintptr_t)mem_ram_ptr(mm, 0x5000) & 0xfff, 0);
	ck_assert_int_eq(mem_map_rom(mm, 0x100000, odd, 0x2000, "rom"), 0);
	EQ((uintptr_t)mem_read_ptr(mm, 0x101000) & 0xfff, 0);
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xf0000, odd, 0x2000, "bios"), 0);
	EQ((uintptr_t)mem_read_ptr(mm, 0xf1000) & 0xfff, 0);
	/* the copy is freed with the region (the sanitizer build sees a leak otherwise) */
	ck_assert_int_eq(mem_unmap(mm, 0x100000), 0);
	ck_assert_int_eq(mem_map_rom(mm, 0x100000, odd, 0x1000, "rom again"), 0);
}
END_TEST

START_TEST(rom_read_only)
{
	static uint8_t rom[0x2000];
	for (unsigned i = 0; i < sizeof(rom); i++)
		rom[i] = (uint8_t)(i * 7 + 1);
	/* one ROM over RAM, one above it */
	ck_assert_int_eq(mem_map_rom(mm, 0x100000, rom, sizeof(rom), "rom-a"), 0);
	ck_assert_int_eq(mem_map_rom(mm, 0xfffe0000u, rom, sizeof(rom), "rom-b"), 0);
	mm->ram[0x100000] = 0x99;
	EQ(mem_read_phys(mm, 0x100000, 1), rom[0]);
	EQ(mem_read_phys(mm, 0x101ffc, 4), rom[0x1ffc] | rom[0x1ffd] << 8 | rom[0x1ffe] << 16 |
	   (uint32_t)rom[0x1fff] << 24);
	EQ(mem_read_phys(mm, 0xfffe0002u, 2), rom[2] | rom[3] << 8);
	uint8_t before = rom[4];
	mem_write_phys(mm, 0x100004, 0xdeadbeef, 4);
	mem_write_phys(mm, 0xfffe0004u, 0x55, 1);
	EQ(rom[4], before);                        /* the image itself is untouched */
	EQ(mem_read_phys(mm, 0x100004, 1), before);
	EQ(mm->ram[0x100004], 0);                  /* and the write did not reach RAM */
	EQ(mm->ram[0x100000], 0x99);
	ck_assert_ptr_null(mem_ram_ptr(mm, 0x100000));
	/* reads see a page-aligned copy of the image */
	const uint8_t *rp = mem_read_ptr(mm, 0x101010);
	ck_assert_ptr_nonnull(rp);
	EQ((uintptr_t)(rp - 0x1010) & 0xfff, 0);
	EQ(rp[0], rom[0x1010]);
	/* past the ROM: RAM again */
	ck_assert_ptr_eq(mem_ram_ptr(mm, 0x102000), mm->ram + 0x102000);
}
END_TEST

START_TEST(ram_size_limit)
{
	struct mem *m = calloc(1, sizeof(*m));
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(mem_init(m, MEM_MAX_RAM + 4096), -1);
	ck_assert_msg(strstr(m->error, "3584"), "message does not give the limit: %s", m->error);
	ck_assert_int_eq(mem_init(m, 0xffffffffu), -1);
	ck_assert_msg(strstr(m->error, "3584"), "message does not give the limit: %s", m->error);
	/* 3.5 GiB itself is allowed (the host may still be unable to provide it) */
	if (mem_init(m, MEM_MAX_RAM) == 0) {
		EQ(m->ram_size, MEM_MAX_RAM);
		mem_write_phys(m, MEM_MAX_RAM - 4, 0x01020304, 4);
		EQ(mem_read_phys(m, MEM_MAX_RAM - 4, 4), 0x01020304);
		EQ(mem_read_phys(m, MEM_MAX_RAM, 4), 0xffffffffu);
		mem_free(m);
	} else {
		ck_assert_msg(strstr(m->error, "cannot allocate"), "3584 MiB refused: %s", m->error);
	}
	free(m);
}
END_TEST

/* ---- MMIO ---- */

START_TEST(mmio_offsets)
{
	struct dev d = { 0 };
	ck_assert_int_eq(mem_map_mmio(mm, 0xfec00000u, 0x2000, dev_rd, dev_wr, &d, "dev", MEM_WALL), 0);
	EQ(mem_read_phys(mm, 0xfec00010u, 4), DEV_READ(0x10));
	EQ(mem_read_phys(mm, 0xfec01ffeu, 2), DEV_READ(0x1ffe) & 0xffff);
	EQ(mem_read_phys(mm, 0xfec00003u, 1), DEV_READ(3) & 0xff);
	mem_write_phys(mm, 0xfec01020u, 0x12345678, 4);
	mem_write_phys(mm, 0xfec00022u, 0xabcd, 2);
	mem_write_phys(mm, 0xfec00fffu, 0x5a, 1);
	EQ(d.n, 6);
	check_call(&d, 0, false, 0x10, 4, 0);
	check_call(&d, 1, false, 0x1ffe, 2, 0);
	check_call(&d, 2, false, 3, 1, 0);
	check_call(&d, 3, true, 0x1020, 4, 0x12345678);
	check_call(&d, 4, true, 0x22, 2, 0xabcd);
	check_call(&d, 5, true, 0xfff, 1, 0x5a);
	ck_assert_ptr_null(mem_ram_ptr(mm, 0xfec00000u));
	ck_assert_ptr_null(mem_read_ptr(mm, 0xfec01000u));
}
END_TEST

START_TEST(mmio_over_ram)
{
	/* a region inside RAM hides the RAM under it */
	struct dev d = { 0 };
	ck_assert_int_eq(mem_map_mmio(mm, 0xa0000, 0x20000, dev_rd, dev_wr, &d, "vga", MEM_WALL), 0);
	mem_write_phys(mm, 0xa0000, 0x77, 1);
	EQ(mm->ram[0xa0000], 0);
	EQ(mem_read_phys(mm, 0xa0004, 1), DEV_READ(4) & 0xff);
	EQ(d.n, 2);
	check_call(&d, 0, true, 0, 1, 0x77);
	ck_assert_ptr_null(mem_ram_ptr(mm, 0xa0000));
	ck_assert_ptr_null(mem_read_ptr(mm, 0xbf000));
}
END_TEST

START_TEST(mmio_no_callbacks)
{
	ck_assert_int_eq(mem_map_mmio(mm, 0xfee00000u, 0x1000, NULL, NULL, NULL, "dead", MEM_W32), 0);
	EQ(mem_read_phys(mm, 0xfee00000u, 4), 0xffffffffu);
	EQ(mem_read_phys(mm, 0xfee00000u, 1), 0xff);
	mem_write_phys(mm, 0xfee00000u, 1, 4);   /* dropped, no crash */
}
END_TEST

START_TEST(mmio_dword_to_byte_device)
{
	struct dev d = { 0 };
	ck_assert_int_eq(mem_map_mmio(mm, 0xfed00000u, 0x1000, dev_rd, dev_wr, &d, "b", MEM_W8), 0);
	/* four byte reads at ascending offsets, assembled little-endian */
	EQ(mem_read_phys(mm, 0xfed00010u, 4), 0x13121110);
	EQ(d.n, 4);
	for (unsigned i = 0; i < 4; i++)
		check_call(&d, i, false, 0x10 + i, 1, 0);
	d.n = 0;
	mem_write_phys(mm, 0xfed00020u, 0x44332211, 4);
	EQ(d.n, 4);
	for (unsigned i = 0; i < 4; i++)
		check_call(&d, i, true, 0x20 + i, 1, 0x11 * (i + 1));
}
END_TEST

START_TEST(mmio_word_to_byte_device)
{
	struct dev d = { 0 };
	ck_assert_int_eq(mem_map_mmio(mm, 0xfed00000u, 0x1000, dev_rd, dev_wr, &d, "b", MEM_W8), 0);
	EQ(mem_read_phys(mm, 0xfed00ffeu, 2), 0xfffe);
	EQ(d.n, 2);
	check_call(&d, 0, false, 0xffe, 1, 0);
	check_call(&d, 1, false, 0xfff, 1, 0);
	d.n = 0;
	mem_write_phys(mm, 0xfed00031u, 0xbeef, 2);
	EQ(d.n, 2);
	check_call(&d, 0, true, 0x31, 1, 0xef);
	check_call(&d, 1, true, 0x32, 1, 0xbe);
}
END_TEST

START_TEST(mmio_dword_to_word_device)
{
	struct dev d = { 0 };
	ck_assert_int_eq(mem_map_mmio(mm, 0xfed00000u, 0x1000, dev_rd, dev_wr, &d, "w", MEM_W16), 0);
	EQ(mem_read_phys(mm, 0xfed00100u, 4), 0xc102c100);
	EQ(d.n, 2);
	check_call(&d, 0, false, 0x100, 2, 0);
	check_call(&d, 1, false, 0x102, 2, 0);
	d.n = 0;
	mem_write_phys(mm, 0xfed00104u, 0x87654321, 4);
	EQ(d.n, 2);
	check_call(&d, 0, true, 0x104, 2, 0x4321);
	check_call(&d, 1, true, 0x106, 2, 0x8765);
	/* a word device still gets byte accesses as bytes (it handles no smaller width) */
	d.n = 0;
	EQ(mem_read_phys(mm, 0xfed00007u, 1), 0x07);
	EQ(d.n, 1);
	check_call(&d, 0, false, 7, 1, 0);
}
END_TEST

START_TEST(mmio_narrow_to_dword_device)
{
	/* documented choice: narrower than every width the device handles -> unchanged */
	struct dev d = { 0 };
	ck_assert_int_eq(mem_map_mmio(mm, 0xfed00000u, 0x1000, dev_rd, dev_wr, &d, "d", MEM_W32), 0);
	EQ(mem_read_phys(mm, 0xfed00041u, 1), 0x41);
	mem_write_phys(mm, 0xfed00042u, 0x1234, 2);
	mem_write_phys(mm, 0xfed00044u, 0xa5, 1);
	EQ(d.n, 3);
	check_call(&d, 0, false, 0x41, 1, 0);
	check_call(&d, 1, true, 0x42, 2, 0x1234);
	check_call(&d, 2, true, 0x44, 1, 0xa5);
}
END_TEST

START_TEST(mmio_word_to_byte_dword_device)
{
	/* handles 1 and 4 but not 2: a word becomes two bytes; a dword stays whole */
	struct dev d = { 0 };
	ck_assert_int_eq(mem_map_mmio(mm, 0xfed00000u, 0x1000, dev_rd, dev_wr, &d, "bd",
				      MEM_W8 | MEM_W32), 0);
	EQ(mem_read_phys(mm, 0xfed00050u, 2), 0x5150);
	EQ(mem_read_phys(mm, 0xfed00050u, 4), DEV_READ(0x50));
	EQ(d.n, 3);
	check_call(&d, 0, false, 0x50, 1, 0);
	check_call(&d, 1, false, 0x51, 1, 0);
	check_call(&d, 2, false, 0x50, 4, 0);
}
END_TEST

/* ---- ports ---- */

START_TEST(port_dispatch)
{
	struct dev d = { 0 };
	ck_assert_int_eq(io_register(mm, 0x3f8, 8, dev_rd, dev_wr, &d, "uart", MEM_WALL), 0);
	EQ(io_in(mm, 0x3fa, 1), DEV_READ(0x3fa) & 0xff);
	EQ(io_in(mm, 0x3fc, 4), DEV_READ(0x3fc));
	io_out(mm, 0x3f8, 0x41, 1);
	io_out(mm, 0x3fe, 0x1234, 2);
	EQ(d.n, 4);
	check_call(&d, 0, false, 0x3fa, 1, 0);   /* the callback gets the port number */
	check_call(&d, 1, false, 0x3fc, 4, 0);
	check_call(&d, 2, true, 0x3f8, 1, 0x41);
	check_call(&d, 3, true, 0x3fe, 2, 0x1234);
	/* OUT writes only the operand's bytes */
	d.n = 0;
	io_out(mm, 0x3f9, 0xabcdef12, 1);
	check_call(&d, 0, true, 0x3f9, 1, 0x12);
}
END_TEST

START_TEST(port_unclaimed)
{
	EQ(io_in(mm, 0x1234, 1), 0xff);
	EQ(io_in(mm, 0x1234, 2), 0xffff);
	EQ(io_in(mm, 0x1234, 4), 0xffffffffu);
	EQ(io_in(mm, 0xffff, 1), 0xff);
	EQ(io_in(mm, 0xfffe, 2), 0xffff);
	EQ(io_in(mm, 0xfffc, 4), 0xffffffffu);
	io_out(mm, 0x1234, 0, 4);   /* ignored */
	/* a device next door does not answer for its neighbours */
	struct dev d = { 0 };
	ck_assert_int_eq(io_register(mm, 0x60, 1, dev_rd, dev_wr, &d, "kbd", MEM_W8), 0);
	EQ(io_in(mm, 0x61, 1), 0xff);
	EQ(io_in(mm, 0x5f, 1), 0xff);
	EQ(d.n, 0);
}
END_TEST

START_TEST(port_dword_to_byte_device)
{
	struct dev d = { 0 };
	ck_assert_int_eq(io_register(mm, 0x1f0, 8, dev_rd, dev_wr, &d, "ide", MEM_W8), 0);
	EQ(io_in(mm, 0x1f2, 4), 0xf5f4f3f2u);
	EQ(d.n, 4);
	for (unsigned i = 0; i < 4; i++)
		check_call(&d, i, false, 0x1f2 + i, 1, 0);
	d.n = 0;
	io_out(mm, 0x1f4, 0x04030201, 4);
	EQ(d.n, 4);
	for (unsigned i = 0; i < 4; i++)
		check_call(&d, i, true, 0x1f4 + i, 1, i + 1);
	d.n = 0;
	EQ(io_in(mm, 0x1f0, 2), 0xf1f0);
	io_out(mm, 0x1f6, 0xa0b0, 2);
	EQ(d.n, 4);
	check_call(&d, 0, false, 0x1f0, 1, 0);
	check_call(&d, 1, false, 0x1f1, 1, 0);
	check_call(&d, 2, true, 0x1f6, 1, 0xb0);
	check_call(&d, 3, true, 0x1f7, 1, 0xa0);
}
END_TEST

START_TEST(port_dword_to_word_device)
{
	struct dev d = { 0 };
	ck_assert_int_eq(io_register(mm, 0xc000, 0x10, dev_rd, dev_wr, &d, "w", MEM_W16), 0);
	EQ(io_in(mm, 0xc004, 4), 0xc006c004u);
	io_out(mm, 0xc008, 0x11112222, 4);
	EQ(d.n, 4);
	check_call(&d, 0, false, 0xc004, 2, 0);
	check_call(&d, 1, false, 0xc006, 2, 0);
	check_call(&d, 2, true, 0xc008, 2, 0x2222);
	check_call(&d, 3, true, 0xc00a, 2, 0x1111);
}
END_TEST

START_TEST(port_byte_to_dword_device)
{
	/* documented choice: delivered unchanged, with size 1 */
	struct dev d = { 0 };
	ck_assert_int_eq(io_register(mm, 0xcf8, 4, dev_rd, dev_wr, &d, "pci-addr", MEM_W32), 0);
	EQ(io_in(mm, 0xcfb, 1), DEV_READ(0xcfb) & 0xff);
	io_out(mm, 0xcf9, 0x0e, 1);
	EQ(d.n, 2);
	check_call(&d, 0, false, 0xcfb, 1, 0);
	check_call(&d, 1, true, 0xcf9, 1, 0x0e);
}
END_TEST

START_TEST(port_access_spanning_devices)
{
	/* every byte goes to the device that owns its port, or to nothing */
	struct dev a = { 0 }, b = { 0 }, c = { 0 };
	ck_assert_int_eq(io_register(mm, 0x100, 2, dev_rd, dev_wr, &a, "a", MEM_W16), 0);
	ck_assert_int_eq(io_register(mm, 0x102, 2, dev_rd, dev_wr, &b, "b", MEM_W16), 0);
	ck_assert_int_eq(io_register(mm, 0xe9, 1, dev_rd, dev_wr, &c, "c", MEM_W8), 0);
	EQ(io_in(mm, 0x100, 4), 0xc102c100u);
	check_call(&a, 0, false, 0x100, 2, 0);
	check_call(&b, 0, false, 0x102, 2, 0);
	io_out(mm, 0x100, 0x33334444, 4);
	check_call(&a, 1, true, 0x100, 2, 0x4444);
	check_call(&b, 1, true, 0x102, 2, 0x3333);
	/* a byte device at 0xE9 and unclaimed neighbours */
	EQ(io_in(mm, 0xe9, 4), 0xffffffe9u);
	EQ(io_in(mm, 0xe8, 2), 0xe9ff);
	io_out(mm, 0xe9, 0x44434241, 4);
	EQ(c.n, 3);
	check_call(&c, 0, false, 0xe9, 1, 0);
	check_call(&c, 1, false, 0xe9, 1, 0);
	check_call(&c, 2, true, 0xe9, 1, 0x41);
}
END_TEST

START_TEST(debugcon_byte_wide)
{
	/* the debug console is byte-wide: a dword OUT prints its low byte only */
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	struct debugcon dc;
	ck_assert_int_eq(debugcon_init(&dc, mm, 0xe9, f), 0);
	io_out(mm, 0xe9, 0x44434241, 4);
	io_out(mm, 0xe9, 0x4645, 2);
	io_out(mm, 0xe9, 0x47, 1);
	EQ(io_in(mm, 0xe9, 1), 0xe9);
	fflush(f);
	rewind(f);
	char buf[8] = { 0 };
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	ck_assert_msg(n == 3 && !strcmp(buf, "AEG"), "console got \"%s\"", buf);
}
END_TEST

/* ---- registration ---- */

START_TEST(port_overlap_refused)
{
	struct dev a = { 0 }, b = { 0 };
	ck_assert_int_eq(io_register(mm, 0x20, 2, dev_rd, dev_wr, &a, "pic-master", MEM_W8), 0);
	ck_assert_int_eq(io_register(mm, 0x21, 4, dev_rd, dev_wr, &b, "intruder", MEM_W8), -1);
	ck_assert_msg(strstr(mm->error, "pic-master") && strstr(mm->error, "intruder"),
		      "message does not name both: %s", mm->error);
	/* nothing of the refused registration took effect */
	io_in(mm, 0x21, 1);
	EQ(io_in(mm, 0x22, 1), 0xff);
	EQ(a.n, 1);
	EQ(b.n, 0);
	ck_assert_int_eq(io_register(mm, 0x1e, 3, dev_rd, dev_wr, &b, "below", MEM_W8), -1);
	ck_assert_msg(strstr(mm->error, "pic-master") && strstr(mm->error, "below"),
		      "message does not name both: %s", mm->error);
	ck_assert_int_eq(io_register(mm, 0x22, 2, dev_rd, dev_wr, &b, "next", MEM_W8), 0);
	/* bad ranges and widths */
	ck_assert_int_eq(io_register(mm, 0xffff, 2, dev_rd, dev_wr, &b, "past-end", MEM_W8), -1);
	ck_assert_int_eq(io_register(mm, 0x300, 0, dev_rd, dev_wr, &b, "empty", MEM_W8), -1);
	ck_assert_int_eq(io_register(mm, 0x300, 1, dev_rd, dev_wr, &b, "w0", 0), -1);
	ck_assert_int_eq(io_register(mm, 0x300, 1, dev_rd, dev_wr, &b, "w8", 8), -1);
	ck_assert_msg(strstr(mm->error, "w8"), "message does not name the device: %s", mm->error);
}
END_TEST

START_TEST(region_overlap_refused)
{
	static uint8_t rom[0x10000];
	struct dev a = { 0 };
	ck_assert_int_eq(mem_map_mmio(mm, 0xfec00000u, 0x1000, dev_rd, dev_wr, &a, "ioapic", MEM_W32), 0);
	ck_assert_int_eq(mem_map_rom(mm, 0xfebf0000u, rom, sizeof(rom), "flash"), 0);
	ck_assert_int_eq(mem_map_mmio(mm, 0xfebff000u, 0x2000, dev_rd, dev_wr, &a, "hpet", MEM_W32), -1);
	ck_assert_msg(strstr(mm->error, "hpet") && (strstr(mm->error, "flash") || strstr(mm->error, "ioapic")),
		      "message does not name both: %s", mm->error);
	ck_assert_int_eq(mem_map_rom(mm, 0xfec00000u, rom, 0x1000, "bios"), -1);
	ck_assert_msg(strstr(mm->error, "bios") && strstr(mm->error, "ioapic"),
		      "message does not name both: %s", mm->error);
	/* the refused ranges changed nothing */
	EQ(mem_read_phys(mm, 0xfec00000u, 4), DEV_READ(0));
	EQ(mem_read_phys(mm, 0xfebff000u, 1), 0);
	/* bad ranges and widths */
	ck_assert_int_eq(mem_map_mmio(mm, 0xfed00800u, 0x1000, dev_rd, dev_wr, &a, "odd", MEM_W32), -1);
	ck_assert_int_eq(mem_map_mmio(mm, 0xfed00000u, 0x1000, dev_rd, dev_wr, &a, "w0", 0), -1);
}
END_TEST

/* ---- PAM ---- */

static uint8_t bios[0x20000];   /* a 128 KiB BIOS image for 0xE0000-0xFFFFF */

static void fill_bios(void)
{
	for (unsigned i = 0; i < sizeof(bios); i++)
		bios[i] = (uint8_t)(i ^ (i >> 8) ^ 0x5a);
}

static uint32_t bios32(uint32_t pa)
{
	uint32_t o = pa - 0xe0000;
	return bios[o] | bios[o + 1] << 8 | bios[o + 2] << 16 | (uint32_t)bios[o + 3] << 24;
}

static unsigned changes;
static void count_change(void *opaque)
{
	(void)opaque;
	changes++;
}

struct fw { uint32_t pa; unsigned len; uint8_t flags; unsigned n; };
static void on_flagged(void *opaque, uint32_t pa, unsigned len, uint8_t flags)
{
	struct fw *w = opaque;
	w->pa = pa;
	w->len = len;
	w->flags = flags;
	w->n++;
}

START_TEST(pam_reset_reads_rom)
{
	fill_bios();
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xe0000, bios, sizeof(bios), "bios"), 0);
	memset(mm->ram + 0xc0000, 0x33, 0x40000);   /* RAM under the window, different */
	EQ(mem_read_phys(mm, 0xe0000, 4), bios32(0xe0000));
	EQ(mem_read_phys(mm, 0xffff0, 1), bios[0x1fff0]);
	EQ(mem_read_phys(mm, 0xf8002, 2), bios[0x18002] | bios[0x18003] << 8);
	/* no ROM placed at 0xC0000-0xDFFFF: reads go to PCI and find nothing */
	EQ(mem_read_phys(mm, 0xc0000, 1), 0xff);
	EQ(mem_read_phys(mm, 0xd0000, 2), 0xffff);
	EQ(mem_read_phys(mm, 0xdfffc, 4), 0xffffffffu);
	/* writes go nowhere */
	mem_write_phys(mm, 0xf0000, 0x12345678, 4);
	mem_write_phys(mm, 0xc0000, 0x12, 1);
	EQ(mem_read_phys(mm, 0xf0000, 4), bios32(0xf0000));
	EQ(mm->ram[0xf0000], 0x33);
	EQ(mm->ram[0xc0000], 0x33);
	/* host pointers: reads see the ROM; nothing is plain RAM */
	ck_assert_ptr_null(mem_ram_ptr(mm, 0xf0000));
	ck_assert_ptr_null(mem_ram_ptr(mm, 0xc0000));
	const uint8_t *p = mem_read_ptr(mm, 0xf0010);
	ck_assert_ptr_nonnull(p);
	EQ(p[0], bios[0x10010]);
	EQ(p[0xfef], bios[0x10fff]);
	p = mem_read_ptr(mm, 0xc0000);
	ck_assert(p == NULL || p[0] == 0xff);
	/* outside the window RAM is untouched by all this */
	ck_assert_ptr_eq(mem_ram_ptr(mm, 0xbf000), mm->ram + 0xbf000);
	ck_assert_ptr_eq(mem_ram_ptr(mm, 0x100000), mm->ram + 0x100000);
}
END_TEST

START_TEST(pam_shadowing_sequence)
{
	fill_bios();
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xe0000, bios, sizeof(bios), "bios"), 0);
	/* 1. WE = 1, RE = 0: copy the ROM onto itself, as SeaBIOS does */
	mem_set_pam(mm, 0xe0000, 0x20000, false, true);
	for (uint32_t pa = 0xe0000; pa < 0x100000; pa += 4)
		mem_write_phys(mm, pa, mem_read_phys(mm, pa, 4), 4);
	ck_assert(!memcmp(mm->ram + 0xe0000, bios, sizeof(bios)));
	/* a write reaches RAM while reads still come from the ROM */
	mem_write_phys(mm, 0xf0000, 0xa1b2c3d4, 4);
	EQ(mm->ram[0xf0000], 0xd4);
	EQ(mem_read_phys(mm, 0xf0000, 4), bios32(0xf0000));
	ck_assert_ptr_null(mem_ram_ptr(mm, 0xf0000));
	EQ(mem_read_ptr(mm, 0xf0000)[0], bios[0x10000]);
	/* 2. RE = 1, WE = 0: reads see the RAM copy, writes are dropped */
	mem_set_pam(mm, 0xe0000, 0x20000, true, false);
	EQ(mem_read_phys(mm, 0xf0000, 4), 0xa1b2c3d4);
	EQ(mem_read_phys(mm, 0xe1234, 2), bios[0x1234] | bios[0x1235] << 8);
	mem_write_phys(mm, 0xf0000, 0x01010101, 4);
	mem_write_phys(mm, 0xe0001, 0x02, 1);
	EQ(mem_read_phys(mm, 0xf0000, 4), 0xa1b2c3d4);
	EQ(mem_read_phys(mm, 0xe0001, 1), bios[1]);
	ck_assert_ptr_eq(mem_read_ptr(mm, 0xf0000), mm->ram + 0xf0000);
	ck_assert_ptr_null(mem_ram_ptr(mm, 0xf0000));   /* writes do not go to RAM */
	/* 3. RE = WE = 1: plain RAM */
	mem_set_pam(mm, 0xf0000, 0x10000, true, true);
	mem_write_phys(mm, 0xf0004, 0x99, 1);
	EQ(mem_read_phys(mm, 0xf0004, 1), 0x99);
	ck_assert_ptr_eq(mem_ram_ptr(mm, 0xf0004), mm->ram + 0xf0004);
	ck_assert_ptr_null(mem_ram_ptr(mm, 0xe0000));   /* 0xE0000 is still read-only */
	/* 4. back to RE = WE = 0: the ROM again, the RAM copy kept underneath */
	mem_set_pam(mm, 0xe0000, 0x20000, false, false);
	EQ(mem_read_phys(mm, 0xf0000, 4), bios32(0xf0000));
	mem_write_phys(mm, 0xf0008, 0x77, 1);
	EQ(mm->ram[0xf0008], bios[0x10008]);
	EQ(mm->ram[0xf0004], 0x99);
	mem_set_pam(mm, 0xf0000, 0x10000, true, false);
	EQ(mem_read_phys(mm, 0xf0004, 1), 0x99);
}
END_TEST

START_TEST(pam_chunks)
{
	/* one 16 KiB chunk changes, its neighbours do not */
	static uint8_t optrom[0x2200];   /* not a multiple of 4 KiB */
	memset(optrom, 0x55, sizeof(optrom));
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xc0000, optrom, sizeof(optrom), "vgabios"), 0);
	EQ(mem_read_phys(mm, 0xc21fc, 4), 0x55555555);
	EQ(mem_read_phys(mm, 0xc2200, 1), 0xff);   /* past the image: nothing */
	EQ(mem_read_ptr(mm, 0xc2000)[0x1ff], 0x55);
	EQ(mem_read_ptr(mm, 0xc2000)[0x200], 0xff);
	memset(mm->ram + 0xc0000, 0x66, 0x10000);
	mem_set_pam(mm, 0xc4000, 0x4000, true, true);
	EQ(mem_read_phys(mm, 0xc4000, 1), 0x66);
	EQ(mem_read_phys(mm, 0xc7ffc, 4), 0x66666666);
	EQ(mem_read_phys(mm, 0xc3ffc, 4), 0xffffffffu);
	EQ(mem_read_phys(mm, 0xc8000, 1), 0xff);
	EQ(mem_read_phys(mm, 0xc0000, 1), 0x55);
	ck_assert_ptr_eq(mem_ram_ptr(mm, 0xc4000), mm->ram + 0xc4000);
	ck_assert_ptr_eq(mem_ram_ptr(mm, 0xc7000), mm->ram + 0xc7000);
	ck_assert_ptr_null(mem_ram_ptr(mm, 0xc3000));
	ck_assert_ptr_null(mem_ram_ptr(mm, 0xc8000));
	/* the whole window at once */
	mem_set_pam(mm, 0xc0000, 0x40000, true, false);
	EQ(mem_read_phys(mm, 0xc0000, 1), 0x66);
	EQ(mem_read_phys(mm, 0xd0000, 1), 0x00);
	EQ(mem_read_phys(mm, 0xffffc, 4), 0);
}
END_TEST

START_TEST(pam_map_changed)
{
	fill_bios();
	mm->map_changed = count_change;
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xe0000, bios, sizeof(bios), "bios"), 0);
	changes = 0;
	mem_set_pam(mm, 0xf0000, 0x10000, false, true);
	EQ(changes, 1);
	mem_set_pam(mm, 0xf0000, 0x10000, true, true);
	EQ(changes, 2);
	mem_set_pam(mm, 0xf0000, 0x10000, true, false);
	EQ(changes, 3);
	mem_set_pam(mm, 0xc0000, 0x4000, true, true);
	EQ(changes, 4);
	mem_set_pam(mm, 0xc0000, 0x40000, false, false);
	EQ(changes, 5);
	/* writing a register with the value it has changes nothing */
	mem_set_pam(mm, 0xc0000, 0x40000, false, false);
	EQ(changes, 5);
}
END_TEST

START_TEST(pam_flagged_write)
{
	struct fw w = { 0 };
	mm->flagged_write = on_flagged;
	mm->flagged_opaque = &w;
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xf0000, bios, 0x10000, "bios"), 0);
	mm->page_flags[0xf1000 >> 12] = PGF_TRACED;
	/* WE = 0: the write is dropped, nothing to report */
	mem_write_phys(mm, 0xf1010, 0x1234, 2);
	EQ(w.n, 0);
	/* WE = 1, RE = 0 */
	mem_set_pam(mm, 0xf0000, 0x10000, false, true);
	mem_write_phys(mm, 0xf1010, 0x1234, 2);
	EQ(w.n, 1);
	EQ(w.pa, 0xf1010);
	EQ(w.len, 2);
	EQ(w.flags, PGF_TRACED);
	EQ(mm->ram[0xf1010], 0x34);
	/* RE = WE = 1 */
	mem_set_pam(mm, 0xf0000, 0x10000, true, true);
	mem_write_phys(mm, 0xf1ffc, 0xffffffffu, 4);
	EQ(w.n, 2);
	EQ(w.pa, 0xf1ffc);
	EQ(w.len, 4);
	/* an unflagged page of the window reports nothing */
	mem_write_phys(mm, 0xf2000, 1, 1);
	EQ(w.n, 2);
}
END_TEST

START_TEST(pam_registration)
{
	static uint8_t rom[0x10000];
	fill_bios();
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xe0000, bios, sizeof(bios), "bios"), 0);
	/* a second image over the first */
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xdf000, rom, 0x2000, "optrom"), -1);
	ck_assert_msg(strstr(mm->error, "optrom") && strstr(mm->error, "bios"),
		      "message does not name both: %s", mm->error);
	/* outside the window */
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xbf000, rom, 0x2000, "low"), -1);
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xd0000, rom, 0x10001, "long"), -1);
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xd0000, rom, 0x10000, "fits"), 0);
	/* an ordinary region inside the window */
	ck_assert_int_eq(mem_map_rom(mm, 0xf0000, rom, 0x10000, "rom (low)"), -1);
	ck_assert_msg(strstr(mm->error, "rom (low)") && strstr(mm->error, "PAM"),
		      "message does not name both: %s", mm->error);
	struct dev d = { 0 };
	ck_assert_int_eq(mem_map_mmio(mm, 0xbf000, 0x2000, dev_rd, dev_wr, &d, "vga", MEM_W8), -1);
	ck_assert_msg(strstr(mm->error, "vga") && strstr(mm->error, "PAM"),
		      "message does not name both: %s", mm->error);
	ck_assert_int_eq(mem_map_mmio(mm, 0xa0000, 0x20000, dev_rd, dev_wr, &d, "vga", MEM_W8), 0);
}
END_TEST

START_TEST(pam_window_blocked)
{
	/* a machine that mapped a plain ROM there cannot get a PAM window */
	static uint8_t rom[0x10000];
	ck_assert_int_eq(mem_map_rom(mm, 0xf0000, rom, sizeof(rom), "rom (low)"), 0);
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xe0000, bios, 0x10000, "bios"), -1);
	ck_assert_msg(strstr(mm->error, "rom (low)") && strstr(mm->error, "PAM"),
		      "message does not name both: %s", mm->error);
	/* and 0xC0000-0xEFFFF stays ordinary RAM */
	mem_write_phys(mm, 0xc0000, 0x42, 1);
	EQ(mem_read_phys(mm, 0xc0000, 1), 0x42);
	ck_assert_ptr_eq(mem_ram_ptr(mm, 0xe0000), mm->ram + 0xe0000);
}
END_TEST

START_TEST(pam_without_ram)
{
	/* RE/WE select RAM, but a machine with 512 KiB has none there: all-ones */
	struct mem *m = calloc(1, sizeof(*m));
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(mem_init(m, 512u << 10), 0);
	mem_set_pam(m, 0xc0000, 0x40000, true, true);
	mem_write_phys(m, 0xc0000, 0x12, 1);
	EQ(mem_read_phys(m, 0xc0000, 1), 0xff);
	ck_assert_ptr_null(mem_ram_ptr(m, 0xc0000));
	ck_assert_ptr_null(mem_read_ptr(m, 0xc0000));
	mem_free(m);
	free(m);
}
END_TEST

/* ---- PAM seen by the CPU (the shadow MMU is flushed on every change) ---- */

START_TEST(pam_cpu_view)
{
	struct mem *pm = &M->mem;
	fill_bios();
	ck_assert_int_eq(mem_map_pam_rom(pm, 0xe0000, bios, sizeof(bios), "bios"), 0);
	memset(pm->ram + 0xf0000, 0x3c, 0x10000);
	h_flat32();
	EXEC(0xa1, 0x00, 0x00, 0x0f, 0x00);              /* mov eax, [0xF0000] */
	EQ(EAX, bios32(0xf0000));
	EAX = 0x11223344;
	EXEC(0xa3, 0x00, 0x00, 0x0f, 0x00);              /* mov [0xF0000], eax: dropped */
	EQ(pm->ram[0xf0000], 0x3c);
	mem_set_pam(pm, 0xf0000, 0x10000, true, false);
	EXEC(0xa1, 0x00, 0x00, 0x0f, 0x00);
	EQ(EAX, 0x3c3c3c3c);
	mem_set_pam(pm, 0xf0000, 0x10000, true, true);
	EAX = 0x55667788;
	EXEC(0xa3, 0x00, 0x00, 0x0f, 0x00);
	EQ(pm->ram[0xf0000], 0x88);
	mem_set_pam(pm, 0xf0000, 0x10000, false, false);
	EXEC(0xa1, 0x00, 0x00, 0x0f, 0x00);
	EQ(EAX, bios32(0xf0000));
	EAX = 0;
	EXEC(0xa3, 0x00, 0x00, 0x0f, 0x00);
	EQ(pm->ram[0xf0000], 0x88);
}
END_TEST

/* ---- removal (mem_unmap, io_unregister): how PCI BARs move ---- */

static int map_changes;
static void count_map_change(void *opaque)
{
	(void)opaque;
	map_changes++;
}

START_TEST(mmio_unmap_and_move)
{
	struct dev a = { 0 }, b = { 0 };
	static uint8_t rom[0x1000];
	mm->map_changed = count_map_change;
	map_changes = 0;
	/* a region inside RAM: RAM shows through again after removal */
	mem_write_phys(mm, 0x10000, 0x12345678, 4);
	ck_assert_int_eq(mem_map_mmio(mm, 0x10000, 0x2000, dev_rd, dev_wr, &a, "bar", MEM_WALL), 0);
	ck_assert_int_eq(mem_map_rom(mm, 0x20000, rom, sizeof(rom), "rom"), 0);
	ck_assert_int_eq(mem_map_mmio(mm, 0xfebf0000u, 0x1000, dev_rd, dev_wr, &b, "other", MEM_W32), 0);
	EQ(map_changes, 3);
	EQ(mem_read_phys(mm, 0x10004, 4), DEV_READ(4));
	ck_assert_ptr_null(mem_ram_ptr(mm, 0x11000));
	ck_assert_int_eq(mem_unmap(mm, 0x10000), 0);
	EQ(map_changes, 4);
	EQ(mem_read_phys(mm, 0x10000, 4), 0x12345678);
	ck_assert_ptr_eq(mem_ram_ptr(mm, 0x11000), mm->ram + 0x11000);
	EQ(a.n, 1);
	/* not a region base, or already gone: refused, nothing changes */
	ck_assert_int_eq(mem_unmap(mm, 0x10000), -1);
	ck_assert_int_eq(mem_unmap(mm, 0x20001), -1);
	EQ(map_changes, 4);
	/* the others are untouched */
	mem_read_phys(mm, 0xfebf0000u, 4);
	EQ(b.n, 1);
	EQ(mem_read_phys(mm, 0x20000, 1), 0);
	/* move: map again elsewhere, also over the old place (the slot is reused) */
	ck_assert_int_eq(mem_map_mmio(mm, 0xfe000000u, 0x2000, dev_rd, dev_wr, &a, "bar", MEM_WALL), 0);
	EQ(mem_read_phys(mm, 0xfe001008u, 4), DEV_READ(0x1008));
	ck_assert_int_eq(mem_unmap(mm, 0xfe000000u), 0);
	EQ(mem_read_phys(mm, 0xfe001008u, 4), 0xffffffff);   /* above RAM: unassigned */
	ck_assert_int_eq(mem_map_mmio(mm, 0x10000, 0x1000, dev_rd, dev_wr, &a, "bar", MEM_WALL), 0);
	EQ(mem_read_phys(mm, 0x10010, 2), DEV_READ(0x10) & 0xffff);
	/* the ROM, then the last slot: removal of every region leaves a clean map */
	ck_assert_int_eq(mem_unmap(mm, 0x20000), 0);
	ck_assert_int_eq(mem_unmap(mm, 0xfebf0000u), 0);
	ck_assert_int_eq(mem_unmap(mm, 0x10000), 0);
	EQ(mm->nregions, 0);
	for (uint32_t p = 0; p < (1u << 20); p++)
		ck_assert_msg(!mm->page_region[p], "page %#x still mapped", p << 12);
	/* slots freed by removal are reused: MEM_MAX_REGIONS map/unmap cycles */
	for (unsigned i = 0; i < 2 * MEM_MAX_REGIONS; i++) {
		ck_assert_int_eq(mem_map_mmio(mm, 0x30000, 0x1000, dev_rd, dev_wr, &a, "bar", MEM_W8), 0);
		ck_assert_int_eq(mem_unmap(mm, 0x30000), 0);
	}
}
END_TEST

START_TEST(unmap_keeps_pam_window)
{
	static uint8_t bios[0x10000];
	struct dev a = { 0 };
	memset(bios, 0xb1, sizeof(bios));
	ck_assert_int_eq(mem_map_mmio(mm, 0xa0000, 0x20000, dev_rd, dev_wr, &a, "vga", MEM_W8), 0);
	ck_assert_int_eq(mem_map_pam_rom(mm, 0xf0000, bios, sizeof(bios), "bios"), 0);
	/* the window is not a removable region */
	ck_assert_int_eq(mem_unmap(mm, PAM_BASE), -1);
	EQ(mem_read_phys(mm, 0xf0000, 1), 0xb1);
	/* removing the region before the window keeps the window's slot valid */
	ck_assert_int_eq(mem_unmap(mm, 0xa0000), 0);
	EQ(mem_read_phys(mm, 0xffff0, 1), 0xb1);
	mem_set_pam(mm, 0xf0000, 0x10000, true, true);
	mem_write_phys(mm, 0xf0000, 0x77, 1);
	EQ(mem_read_phys(mm, 0xf0000, 1), 0x77);
	mem_set_pam(mm, 0xf0000, 0x10000, false, false);
	EQ(mem_read_phys(mm, 0xf0000, 1), 0xb1);
	/* a new region takes the freed slot and the window still works */
	ck_assert_int_eq(mem_map_mmio(mm, 0xa0000, 0x20000, dev_rd, dev_wr, &a, "vga", MEM_W8), 0);
	EQ(mem_read_phys(mm, 0xa0001, 1), DEV_READ(1) & 0xff);
	EQ(mem_read_phys(mm, 0xf1234, 1), 0xb1);
}
END_TEST

START_TEST(port_unregister_and_move)
{
	struct dev a = { 0 }, b = { 0 };
	ck_assert_int_eq(io_register(mm, 0xc000, 8, dev_rd, dev_wr, &a, "bar-io", MEM_WALL), 0);
	ck_assert_int_eq(io_register(mm, 0xc008, 8, dev_rd, dev_wr, &b, "next", MEM_W8), 0);
	EQ(io_in(mm, 0xc004, 4), DEV_READ(0xc004));
	ck_assert_int_eq(io_unregister(mm, 0xc000), 0);
	EQ(io_in(mm, 0xc004, 4), 0xffffffff);
	io_out(mm, 0xc000, 1, 1);
	EQ(a.n, 1);
	/* only the exact base; a removed range cannot be removed twice */
	ck_assert_int_eq(io_unregister(mm, 0xc009), -1);
	ck_assert_int_eq(io_unregister(mm, 0xc000), -1);
	io_in(mm, 0xc008, 1);
	EQ(b.n, 1);
	/* moved: the new place, and the freed slot reused */
	ck_assert_int_eq(io_register(mm, 0xd000, 8, dev_rd, dev_wr, &a, "bar-io", MEM_WALL), 0);
	EQ(io_in(mm, 0xd002, 2), DEV_READ(0xd002) & 0xffff);
	/* the old ports can be taken by someone else now */
	ck_assert_int_eq(io_register(mm, 0xc000, 8, dev_rd, dev_wr, &b, "newcomer", MEM_W8), 0);
	ck_assert_int_eq(io_unregister(mm, 0xc000), 0);
	ck_assert_int_eq(io_unregister(mm, 0xc008), 0);
	ck_assert_int_eq(io_unregister(mm, 0xd000), 0);
	EQ(mm->nports, 0);
	for (unsigned i = 0; i < 2 * MEM_MAX_PORTS; i++) {
		ck_assert_int_eq(io_register(mm, 0x1f0, 8, dev_rd, dev_wr, &a, "ide", MEM_W8), 0);
		ck_assert_int_eq(io_unregister(mm, 0x1f0), 0);
	}
	for (unsigned p = 0; p < 65536; p++)
		ck_assert_msg(!mm->port_index[p], "port %#x still claimed", p);
}
END_TEST

Suite *mem_suite(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("ram_rom");
	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_add_test(tc, ram_widths);
	tcase_add_test(tc, unassigned_all_ones);
	tcase_add_test(tc, rom_read_only);
	tcase_add_test(tc, host_pages_are_page_aligned);
	tcase_add_test(tc, ram_size_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("mmio");
	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_add_test(tc, mmio_offsets);
	tcase_add_test(tc, mmio_over_ram);
	tcase_add_test(tc, mmio_no_callbacks);
	tcase_add_test(tc, mmio_dword_to_byte_device);
	tcase_add_test(tc, mmio_word_to_byte_device);
	tcase_add_test(tc, mmio_dword_to_word_device);
	tcase_add_test(tc, mmio_narrow_to_dword_device);
	tcase_add_test(tc, mmio_word_to_byte_dword_device);
	suite_add_tcase(s, tc);

	tc = tcase_create("ports");
	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_add_test(tc, port_dispatch);
	tcase_add_test(tc, port_unclaimed);
	tcase_add_test(tc, port_dword_to_byte_device);
	tcase_add_test(tc, port_dword_to_word_device);
	tcase_add_test(tc, port_byte_to_dword_device);
	tcase_add_test(tc, port_access_spanning_devices);
	tcase_add_test(tc, debugcon_byte_wide);
	suite_add_tcase(s, tc);

	tc = tcase_create("registration");
	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_add_test(tc, port_overlap_refused);
	tcase_add_test(tc, region_overlap_refused);
	tcase_add_test(tc, mmio_unmap_and_move);
	tcase_add_test(tc, unmap_keeps_pam_window);
	tcase_add_test(tc, port_unregister_and_move);
	suite_add_tcase(s, tc);

	tc = tcase_create("pam");
	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_add_test(tc, pam_reset_reads_rom);
	tcase_add_test(tc, pam_shadowing_sequence);
	tcase_add_test(tc, pam_chunks);
	tcase_add_test(tc, pam_map_changed);
	tcase_add_test(tc, pam_flagged_write);
	tcase_add_test(tc, pam_registration);
	tcase_add_test(tc, pam_window_blocked);
	tcase_add_test(tc, pam_without_ram);
	suite_add_tcase(s, tc);

	tc = h_tcase("pam_cpu");
	tcase_add_test(tc, pam_cpu_view);
	suite_add_tcase(s, tc);
	return s;
}

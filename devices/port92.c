/*
 * Port 0x92, system control port A (see port92.h).
 *
 * Facts: IBM PS/2 Hardware Interface Technical Reference, "System Control
 * Port A"; Intel 82371FB/SB (PIIX/PIIX3) datasheet, port 92h (bit 1 Fast A20,
 * bit 0 Fast INIT on a 0 -> 1 transition); SMSC LPC47B27x datasheet, "Port
 * 92" (ALT_A20 is ORed with the keyboard controller's A20GATE and is low
 * after reset; bit 0 must be written back to 0 before it pulses again).
 */
#include "port92.h"
#include "state.h"
#include "../mmu/mem.h"

#define PORT92_STATE_MAGIC 0x50393220u   /* "P92 " */

static uint32_t port92_read(void *opaque, uint32_t port, unsigned size)
{
	const struct port92 *p = opaque;
	(void)port;
	(void)size;
	return p->value;
}

static void port92_write(void *opaque, uint32_t port, uint32_t value, unsigned size)
{
	struct port92 *p = opaque;
	uint8_t old = p->value, v = value & (PORT92_RESET | PORT92_A20);
	(void)port;
	(void)size;
	p->value = v;
	if ((old ^ v) & PORT92_A20)
		sys_a20(&p->lines, v & PORT92_A20);
	if ((v & PORT92_RESET) && !(old & PORT92_RESET))
		sys_reset(&p->lines);
}

void port92_reset(struct port92 *p)
{
	p->value = 0;
}

int port92_init(struct port92 *p, struct mem *mem, struct sys_lines lines)
{
	p->lines = lines;
	port92_reset(p);
	return io_register(mem, PORT92_PORT, 1, port92_read, port92_write, p, "port92", MEM_W8);
}

void port92_save(const struct port92 *p, struct state_writer *w)
{
	sw_u32(w, PORT92_STATE_MAGIC);
	sw_u8(w, p->value);
}

int port92_load(struct port92 *p, struct state_reader *r)
{
	bool ok = sr_u32(r) == PORT92_STATE_MAGIC;
	uint8_t v = sr_u8(r);
	if (r->error || !ok || (v & ~(PORT92_RESET | PORT92_A20)))
		return -1;
	p->value = v;
	return 0;
}

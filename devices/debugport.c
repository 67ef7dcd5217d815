/* Debug ports: console, POST code, exit (see debugport.h). */
#include "debugport.h"
#include "../cpu/cpu.h"
#include "../mmu/mem.h"

static void debugcon_write(void *opaque, uint32_t port, uint32_t v, unsigned size)
{
	struct debugcon *d = opaque;
	(void)port;
	if (!d->out)
		return;   /* a console nobody listens to */
	for (unsigned i = 0; i < size; i++) {
		int c = (int)((v >> (8 * i)) & 0xff);
		fputc(c, d->out);
		if (c == '\n')
			fflush(d->out);   /* line-buffered; shade86 flushes the rest at exit */
	}
}

static uint32_t debugcon_read(void *opaque, uint32_t port, unsigned size)
{
	(void)opaque;
	(void)port;
	(void)size;
	return 0xe9;   /* Bochs/QEMU convention: reading the port returns 0xE9 */
}

int debugcon_init(struct debugcon *d, struct mem *mem, uint16_t port, FILE *out)
{
	d->port = port;
	d->out = out;
	return io_register(mem, port, 1, debugcon_read, debugcon_write, d, "debugcon", MEM_W8);
}

static void post_write(void *opaque, uint32_t port, uint32_t v, unsigned size)
{
	struct postport *p = opaque;
	(void)port;
	(void)size;
	p->last = (uint8_t)v;
	if (p->log)
		fprintf(p->log, "POST %02X\n", p->last);
}

static uint32_t post_read(void *opaque, uint32_t port, unsigned size)
{
	struct postport *p = opaque;
	(void)port;
	(void)size;
	return p->last;
}

int postport_init(struct postport *p, struct mem *mem, uint16_t port, FILE *log)
{
	p->port = port;
	p->last = 0;
	p->log = log;
	return io_register(mem, port, 1, post_read, post_write, p, "post", MEM_W8);
}

static void exit_write(void *opaque, uint32_t port, uint32_t v, unsigned size)
{
	struct exitport *e = opaque;
	(void)port;
	(void)size;
	e->written = true;
	e->status = (int)(((v & 0x7f) << 1) | 1);
	cpu_request(e->cpu, CPU_REQ_STOP);
}

int exitport_init(struct exitport *e, struct mem *mem, uint16_t port, struct cpu *cpu)
{
	e->port = port;
	e->cpu = cpu;
	e->written = false;
	e->status = 0;
	return io_register(mem, port, 1, NULL, exit_write, e, "exit", MEM_W8);
}

static void shutdown_write(void *opaque, uint32_t port, uint32_t v, unsigned size)
{
	static const char magic[] = "Shutdown";
	struct shutdownport *s = opaque;
	(void)port;
	(void)size;
	char c = (char)(v & 0xff);
	s->matched = (c == magic[s->matched]) ? s->matched + 1 : (c == magic[0]);
	if (s->matched == sizeof(magic) - 1) {
		s->off = true;
		cpu_request(s->cpu, CPU_REQ_STOP);
		s->matched = 0;
	}
}

int shutdownport_init(struct shutdownport *s, struct mem *mem, uint16_t port, struct cpu *cpu)
{
	s->port = port;
	s->cpu = cpu;
	s->matched = 0;
	s->off = false;
	return io_register(mem, port, 1, NULL, shutdown_write, s, "shutdown", MEM_W8);
}

/*
 * The two system control outputs that more than one PC device drives: the
 * A20 gate and the reset request (the 8042's output port and port 0x92 both
 * have them).  The machine ORs the A20 outputs of all devices into the CPU's
 * A20 input (chipsets: A20M# = neither gate open) and decides what a reset
 * request does (reset the machine, or end the run).
 */
#ifndef SHADE86_SYSLINES_H
#define SHADE86_SYSLINES_H

#include <stdbool.h>

struct sys_lines {
	/* this device's A20 gate output changed (called on changes only) */
	void (*a20)(void *opaque, bool enabled);
	/* this device asks for a system reset (CPU RESET/INIT) */
	void (*reset)(void *opaque);
	void *opaque;
};

static inline void sys_a20(const struct sys_lines *l, bool enabled)
{
	if (l->a20)
		l->a20(l->opaque, enabled);
}

static inline void sys_reset(const struct sys_lines *l)
{
	if (l->reset)
		l->reset(l->opaque);
}

#endif

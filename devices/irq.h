/*
 * Interrupt request lines between devices: a device holds a struct irq_line
 * and drives it with irq_set(line, level); whoever receives it (the PIC)
 * filled in the callback.  Edge-triggered inputs see the 0 -> 1 transitions.
 */
#ifndef SHADE86_IRQ_H
#define SHADE86_IRQ_H

#include <stdbool.h>

struct irq_line {
	void (*set)(void *opaque, int n, bool level);
	void *opaque;
	int n;
};

static inline void irq_set(const struct irq_line *l, bool level)
{
	if (l->set)
		l->set(l->opaque, l->n, level);
}

#endif

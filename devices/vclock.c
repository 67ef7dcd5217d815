/* Virtual clock and timer queue (see vclock.h). */
#include "vclock.h"

void vclock_init(struct vclock *c)
{
	c->now = 0;
	c->queue = 0;
	c->source = 0;
	c->source_opaque = 0;
}

void vtimer_init(struct vtimer *t, void (*fire)(void *opaque), void *opaque)
{
	t->expires = 0;
	t->fire = fire;
	t->opaque = opaque;
	t->armed = false;
	t->next = 0;
}

void vtimer_cancel(struct vclock *c, struct vtimer *t)
{
	if (!t->armed)
		return;
	for (struct vtimer **p = &c->queue; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = 0;
}

void vtimer_arm(struct vclock *c, struct vtimer *t, uint64_t expires)
{
	vtimer_cancel(c, t);
	t->expires = expires;
	struct vtimer **p = &c->queue;
	while (*p && (*p)->expires <= expires)   /* equal times fire in arming order */
		p = &(*p)->next;
	t->next = *p;
	*p = t;
	t->armed = true;
}

void vclock_advance(struct vclock *c, uint64_t to)
{
	while (c->queue && c->queue->expires <= to) {
		struct vtimer *t = c->queue;
		c->queue = t->next;
		t->next = 0;
		t->armed = false;
		if (t->expires > c->now)
			c->now = t->expires;
		t->fire(t->opaque);
	}
	if (to > c->now)
		c->now = to;
}

uint64_t vclock_next(const struct vclock *c)
{
	return c->queue ? c->queue->expires : UINT64_MAX;
}

/*
 * The machine's virtual clock and timer queue.
 *
 * Devices never read the host clock: they ask vclock_now() for the virtual time
 * in nanoseconds and arm timers on it.  The run loop advances the clock
 * (vclock_advance) and expired timers run their callbacks in expiry order.
 * In realtime mode the run loop advances it to follow the host's monotonic
 * clock; in deterministic mode by a fixed number of nanoseconds per executed
 * instruction, so that a headless run repeats exactly.
 *
 * Between two advances time still moves for whoever looks: with a source
 * set, vclock_now() takes the source's time (the host clock, or the
 * instruction count) when it is later than `now`, so a guest polling a
 * counter in a loop (Linux calibrating the TSC against the PIT) sees it
 * progress smoothly.  Timers still fire only in vclock_advance, at most one
 * run-loop slice late; a timer's callback sees vclock_now() >= its expiry
 * (equal when no source is set).  Time never goes backwards.
 */
#ifndef SHADE86_VCLOCK_H
#define SHADE86_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct vtimer {
	uint64_t expires;             /* virtual ns */
	void (*fire)(void *opaque);   /* may re-arm the timer */
	void *opaque;
	bool armed;
	struct vtimer *next;          /* queue link, sorted by expiry */
};

struct vclock {
	uint64_t now;                 /* virtual ns since machine start */
	struct vtimer *queue;
	uint64_t (*source)(void *opaque);   /* the time now, or NULL */
	void *source_opaque;
};

void vclock_init(struct vclock *c);
static inline uint64_t vclock_now(struct vclock *c)
{
	if (c->source) {
		uint64_t t = c->source(c->source_opaque);
		if (t > c->now)
			c->now = t;
	}
	return c->now;
}

void vtimer_init(struct vtimer *t, void (*fire)(void *opaque), void *opaque);
/* (Re)arm at an absolute virtual time; a time in the past fires at the next advance. */
void vtimer_arm(struct vclock *c, struct vtimer *t, uint64_t expires);
void vtimer_cancel(struct vclock *c, struct vtimer *t);

/* Move time forward to `to` (never backwards), firing expired timers in order;
 * a timer's callback sees vclock_now() equal to its expiry time. */
void vclock_advance(struct vclock *c, uint64_t to);
/* Virtual time of the next armed timer, or UINT64_MAX. */
uint64_t vclock_next(const struct vclock *c);

#endif

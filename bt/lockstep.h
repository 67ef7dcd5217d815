/* --check-lockstep (lockstep.c): every translated block's effect compared
 * with the interpreter's. */
#ifndef SHADE86_BT_LOCKSTEP_H
#define SHADE86_BT_LOCKSTEP_H

#include <stdbool.h>

struct bt;
struct bt_block;

int lockstep_init(struct bt *bt);
void lockstep_free(struct bt *bt);
/* Run the block both ways and compare; true: they diverged (report set). */
bool lockstep_block(struct bt *bt, struct bt_block *b);
/* A fault unwound to the run loop during lockstep_block; true: diverged. */
bool lockstep_fault(struct bt *bt);

#endif

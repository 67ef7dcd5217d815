#include "bt_int.h"
#include "lockstep.h"
typedef struct bt_exit *enter_fn(struct cpu *cpu, const uint8_t *code);
int lockstep_init(struct bt *bt) { (void)bt; return 0; }
void lockstep_free(struct bt *bt) { (void)bt; }
bool lockstep_block(struct bt *bt, struct bt_block *b)
{
	enter_fn *enter = (enter_fn *)(void *)bt->enter;
	enter(bt->cpu, b->code_nocheck);
	return false;
}
bool lockstep_fault(struct bt *bt) { (void)bt; return false; }

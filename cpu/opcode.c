/* The opcode table as data: opinfo[] from cpu/opcodes.def. */
#include "opcode.h"

const struct opinfo opinfo[OP_COUNT] = {
#define OP(nm_, map_, opc_, match_, mnem_, operands_, fr_, fw_, fu_, attr_, feat_, handler) \
	[op_##nm_] = { .name = #nm_, .mnem = mnem_, .operands = operands_, .match = (match_), \
			.fr = (fr_), .fw = (fw_) | (fu_), .fu = (fu_), .attr = (attr_), \
			.map = (map_), .opc = (opc_), .feat = (feat_) },
#include "opcodes.def"
#undef OP
};

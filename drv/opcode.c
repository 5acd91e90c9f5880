// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: the opcode table: which headers each opcode carries, where they
 * sit behind the BTH, and what the opcode means. Constant; any context.
 */
#include <linux/bits.h>
#include <linux/kernel.h>

#include "wire.h"

#define F(x) SROCE_OPF_##x
#define HAS(f, x) (((f) & F(x)) ? 1 : 0)

/* Header order behind the BTH: RETH or DETH or AETH or AtomicETH, then
 * AtomicAckETH (behind the AETH), then ImmDt, then IETH.
 */
#define OP(code, nm, f) [code] = {					\
	.name = nm,							\
	.flags = (f),							\
	.hdr_len = 12 + 16 * HAS(f, RETH) + 8 * HAS(f, DETH) +		\
		   4 * HAS(f, AETH) + 28 * HAS(f, ATMETH) +		\
		   8 * HAS(f, ATMACK) + 4 * HAS(f, IMM) + 4 * HAS(f, IETH), \
	.off_reth = HAS(f, RETH) ? 12 : 0,				\
	.off_deth = HAS(f, DETH) ? 12 : 0,				\
	.off_aeth = HAS(f, AETH) ? 12 : 0,				\
	.off_atm = HAS(f, ATMETH) ? 12 : HAS(f, ATMACK) ? 16 : 0,	\
	.off_imm = HAS(f, IMM) ? 12 + 16 * HAS(f, RETH) +		\
				 8 * HAS(f, DETH) : 0,			\
	.off_ieth = HAS(f, IETH) ? 12 : 0,				\
}

#define SEND_OPS(base, t, tn)						\
	OP(base | SROCE_OP_SEND_FIRST, tn "_SEND_FIRST",		\
	   t | F(SEND) | F(PAYLOAD) | F(FIRST)),			\
	OP(base | SROCE_OP_SEND_MIDDLE, tn "_SEND_MIDDLE",		\
	   t | F(SEND) | F(PAYLOAD) | F(MIDDLE)),			\
	OP(base | SROCE_OP_SEND_LAST, tn "_SEND_LAST",			\
	   t | F(SEND) | F(PAYLOAD) | F(LAST)),				\
	OP(base | SROCE_OP_SEND_LAST_IMM, tn "_SEND_LAST_IMM",		\
	   t | F(SEND) | F(PAYLOAD) | F(LAST) | F(IMM)),		\
	OP(base | SROCE_OP_SEND_ONLY, tn "_SEND_ONLY",			\
	   t | F(SEND) | F(PAYLOAD) | F(FIRST) | F(LAST)),		\
	OP(base | SROCE_OP_SEND_ONLY_IMM, tn "_SEND_ONLY_IMM",		\
	   t | F(SEND) | F(PAYLOAD) | F(FIRST) | F(LAST) | F(IMM))

#define WRITE_OPS(base, t, tn)						\
	OP(base | SROCE_OP_WRITE_FIRST, tn "_WRITE_FIRST",		\
	   t | F(WRITE) | F(RETH) | F(PAYLOAD) | F(FIRST)),		\
	OP(base | SROCE_OP_WRITE_MIDDLE, tn "_WRITE_MIDDLE",		\
	   t | F(WRITE) | F(PAYLOAD) | F(MIDDLE)),			\
	OP(base | SROCE_OP_WRITE_LAST, tn "_WRITE_LAST",		\
	   t | F(WRITE) | F(PAYLOAD) | F(LAST)),			\
	OP(base | SROCE_OP_WRITE_LAST_IMM, tn "_WRITE_LAST_IMM",	\
	   t | F(WRITE) | F(PAYLOAD) | F(LAST) | F(IMM)),		\
	OP(base | SROCE_OP_WRITE_ONLY, tn "_WRITE_ONLY",		\
	   t | F(WRITE) | F(RETH) | F(PAYLOAD) | F(FIRST) | F(LAST)),	\
	OP(base | SROCE_OP_WRITE_ONLY_IMM, tn "_WRITE_ONLY_IMM",	\
	   t | F(WRITE) | F(RETH) | F(PAYLOAD) | F(FIRST) | F(LAST) |	\
	   F(IMM))

const struct sroce_opinfo sroce_opinfo[256] = {
	SEND_OPS(SROCE_OP_RC, F(RC), "RC"),
	WRITE_OPS(SROCE_OP_RC, F(RC), "RC"),
	OP(SROCE_OP_READ_REQUEST, "RC_READ_REQUEST",
	   F(RC) | F(READ) | F(RETH) | F(FIRST) | F(LAST)),
	OP(SROCE_OP_READ_RESP_FIRST, "RC_READ_RESPONSE_FIRST",
	   F(RC) | F(RESPONSE) | F(READ) | F(AETH) | F(PAYLOAD) | F(FIRST)),
	OP(SROCE_OP_READ_RESP_MIDDLE, "RC_READ_RESPONSE_MIDDLE",
	   F(RC) | F(RESPONSE) | F(READ) | F(PAYLOAD) | F(MIDDLE)),
	OP(SROCE_OP_READ_RESP_LAST, "RC_READ_RESPONSE_LAST",
	   F(RC) | F(RESPONSE) | F(READ) | F(AETH) | F(PAYLOAD) | F(LAST)),
	OP(SROCE_OP_READ_RESP_ONLY, "RC_READ_RESPONSE_ONLY",
	   F(RC) | F(RESPONSE) | F(READ) | F(AETH) | F(PAYLOAD) | F(FIRST) |
	   F(LAST)),
	OP(SROCE_OP_ACK, "RC_ACKNOWLEDGE", F(RC) | F(RESPONSE) | F(AETH)),
	OP(SROCE_OP_ATOMIC_ACK, "RC_ATOMIC_ACKNOWLEDGE",
	   F(RC) | F(RESPONSE) | F(ATOMIC) | F(AETH) | F(ATMACK)),
	OP(SROCE_OP_CMP_SWAP, "RC_COMPARE_SWAP",
	   F(RC) | F(ATOMIC) | F(ATMETH) | F(FIRST) | F(LAST)),
	OP(SROCE_OP_FETCH_ADD, "RC_FETCH_ADD",
	   F(RC) | F(ATOMIC) | F(ATMETH) | F(FIRST) | F(LAST)),
	OP(SROCE_OP_SEND_LAST_INV, "RC_SEND_LAST_INV",
	   F(RC) | F(SEND) | F(PAYLOAD) | F(LAST) | F(IETH)),
	OP(SROCE_OP_SEND_ONLY_INV, "RC_SEND_ONLY_INV",
	   F(RC) | F(SEND) | F(PAYLOAD) | F(FIRST) | F(LAST) | F(IETH)),

	SEND_OPS(SROCE_OP_UC, F(UC), "UC"),
	WRITE_OPS(SROCE_OP_UC, F(UC), "UC"),

	OP(SROCE_OP_UD | SROCE_OP_SEND_ONLY, "UD_SEND_ONLY",
	   F(UD) | F(SEND) | F(DETH) | F(PAYLOAD) | F(FIRST) | F(LAST)),
	OP(SROCE_OP_UD | SROCE_OP_SEND_ONLY_IMM, "UD_SEND_ONLY_IMM",
	   F(UD) | F(SEND) | F(DETH) | F(IMM) | F(PAYLOAD) | F(FIRST) |
	   F(LAST)),
};

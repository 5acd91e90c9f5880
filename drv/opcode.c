// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: the opcode table: which headers each opcode carries, where they
 * sit behind the BTH, and what the opcode means. Filled once at module
 * load from the list below, read-only afterwards; any context.
 */
#include <linux/cache.h>
#include <linux/init.h>
#include <linux/kernel.h>

#include "compat.h"
#include "wire.h"

struct sroce_opdef {
	u8 code;
	const char *name;
	u32 flags;
};

static const struct sroce_opdef sroce_opdefs[] __initconst = {
	{ 0x00, "RC_SEND_FIRST",
	  SROCE_OPF_RC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD | SROCE_OPF_FIRST },
	{ 0x01, "RC_SEND_MIDDLE",
	  SROCE_OPF_RC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_MIDDLE },
	{ 0x02, "RC_SEND_LAST",
	  SROCE_OPF_RC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD | SROCE_OPF_LAST },
	{ 0x03, "RC_SEND_LAST_IMM",
	  SROCE_OPF_RC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_LAST | SROCE_OPF_IMM },
	{ 0x04, "RC_SEND_ONLY",
	  SROCE_OPF_RC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD | SROCE_OPF_ONLY },
	{ 0x05, "RC_SEND_ONLY_IMM",
	  SROCE_OPF_RC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_ONLY | SROCE_OPF_IMM },
	{ 0x06, "RC_WRITE_FIRST",
	  SROCE_OPF_RC | SROCE_OPF_WRITE | SROCE_OPF_RETH |
	  SROCE_OPF_PAYLOAD | SROCE_OPF_FIRST },
	{ 0x07, "RC_WRITE_MIDDLE",
	  SROCE_OPF_RC | SROCE_OPF_WRITE | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_MIDDLE },
	{ 0x08, "RC_WRITE_LAST",
	  SROCE_OPF_RC | SROCE_OPF_WRITE | SROCE_OPF_PAYLOAD | SROCE_OPF_LAST },
	{ 0x09, "RC_WRITE_LAST_IMM",
	  SROCE_OPF_RC | SROCE_OPF_WRITE | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_LAST | SROCE_OPF_IMM },
	{ 0x0a, "RC_WRITE_ONLY",
	  SROCE_OPF_RC | SROCE_OPF_WRITE | SROCE_OPF_RETH |
	  SROCE_OPF_PAYLOAD | SROCE_OPF_ONLY },
	{ 0x0b, "RC_WRITE_ONLY_IMM",
	  SROCE_OPF_RC | SROCE_OPF_WRITE | SROCE_OPF_RETH |
	  SROCE_OPF_PAYLOAD | SROCE_OPF_ONLY | SROCE_OPF_IMM },
	{ 0x0c, "RC_READ_REQUEST",
	  SROCE_OPF_RC | SROCE_OPF_READ | SROCE_OPF_RETH | SROCE_OPF_ONLY },
	{ 0x0d, "RC_READ_RESPONSE_FIRST",
	  SROCE_OPF_RC | SROCE_OPF_RESPONSE | SROCE_OPF_READ |
	  SROCE_OPF_AETH | SROCE_OPF_PAYLOAD | SROCE_OPF_FIRST },
	{ 0x0e, "RC_READ_RESPONSE_MIDDLE",
	  SROCE_OPF_RC | SROCE_OPF_RESPONSE | SROCE_OPF_READ |
	  SROCE_OPF_PAYLOAD | SROCE_OPF_MIDDLE },
	{ 0x0f, "RC_READ_RESPONSE_LAST",
	  SROCE_OPF_RC | SROCE_OPF_RESPONSE | SROCE_OPF_READ |
	  SROCE_OPF_AETH | SROCE_OPF_PAYLOAD | SROCE_OPF_LAST },
	{ 0x10, "RC_READ_RESPONSE_ONLY",
	  SROCE_OPF_RC | SROCE_OPF_RESPONSE | SROCE_OPF_READ |
	  SROCE_OPF_AETH | SROCE_OPF_PAYLOAD | SROCE_OPF_ONLY },
	{ 0x11, "RC_ACKNOWLEDGE",
	  SROCE_OPF_RC | SROCE_OPF_RESPONSE | SROCE_OPF_AETH },
	{ 0x12, "RC_ATOMIC_ACKNOWLEDGE",
	  SROCE_OPF_RC | SROCE_OPF_RESPONSE | SROCE_OPF_ATOMIC |
	  SROCE_OPF_AETH | SROCE_OPF_ATMACK },
	{ 0x13, "RC_COMPARE_SWAP",
	  SROCE_OPF_RC | SROCE_OPF_ATOMIC | SROCE_OPF_ATMETH | SROCE_OPF_ONLY },
	{ 0x14, "RC_FETCH_ADD",
	  SROCE_OPF_RC | SROCE_OPF_ATOMIC | SROCE_OPF_ATMETH | SROCE_OPF_ONLY },
	{ 0x16, "RC_SEND_LAST_INV",
	  SROCE_OPF_RC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_LAST | SROCE_OPF_IETH },
	{ 0x17, "RC_SEND_ONLY_INV",
	  SROCE_OPF_RC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_ONLY | SROCE_OPF_IETH },
	/* FETH, RETH; answered by a READ RESPONSE ONLY of 0 bytes */
	{ 0x1c, "RC_FLUSH",
	  SROCE_OPF_RC | SROCE_OPF_FLUSH | SROCE_OPF_FETH | SROCE_OPF_RETH |
	  SROCE_OPF_ONLY },
	/* RETH and 8 bytes; executed as one store, answered by an ACK */
	{ 0x1d, "RC_ATOMIC_WRITE",
	  SROCE_OPF_RC | SROCE_OPF_WRITE | SROCE_OPF_RETH |
	  SROCE_OPF_PAYLOAD | SROCE_OPF_ONLY },
	{ 0x20, "UC_SEND_FIRST",
	  SROCE_OPF_UC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD | SROCE_OPF_FIRST },
	{ 0x21, "UC_SEND_MIDDLE",
	  SROCE_OPF_UC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_MIDDLE },
	{ 0x22, "UC_SEND_LAST",
	  SROCE_OPF_UC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD | SROCE_OPF_LAST },
	{ 0x23, "UC_SEND_LAST_IMM",
	  SROCE_OPF_UC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_LAST | SROCE_OPF_IMM },
	{ 0x24, "UC_SEND_ONLY",
	  SROCE_OPF_UC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD | SROCE_OPF_ONLY },
	{ 0x25, "UC_SEND_ONLY_IMM",
	  SROCE_OPF_UC | SROCE_OPF_SEND | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_ONLY | SROCE_OPF_IMM },
	{ 0x26, "UC_WRITE_FIRST",
	  SROCE_OPF_UC | SROCE_OPF_WRITE | SROCE_OPF_RETH |
	  SROCE_OPF_PAYLOAD | SROCE_OPF_FIRST },
	{ 0x27, "UC_WRITE_MIDDLE",
	  SROCE_OPF_UC | SROCE_OPF_WRITE | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_MIDDLE },
	{ 0x28, "UC_WRITE_LAST",
	  SROCE_OPF_UC | SROCE_OPF_WRITE | SROCE_OPF_PAYLOAD | SROCE_OPF_LAST },
	{ 0x29, "UC_WRITE_LAST_IMM",
	  SROCE_OPF_UC | SROCE_OPF_WRITE | SROCE_OPF_PAYLOAD |
	  SROCE_OPF_LAST | SROCE_OPF_IMM },
	{ 0x2a, "UC_WRITE_ONLY",
	  SROCE_OPF_UC | SROCE_OPF_WRITE | SROCE_OPF_RETH |
	  SROCE_OPF_PAYLOAD | SROCE_OPF_ONLY },
	{ 0x2b, "UC_WRITE_ONLY_IMM",
	  SROCE_OPF_UC | SROCE_OPF_WRITE | SROCE_OPF_RETH |
	  SROCE_OPF_PAYLOAD | SROCE_OPF_ONLY | SROCE_OPF_IMM },
	{ 0x64, "UD_SEND_ONLY",
	  SROCE_OPF_UD | SROCE_OPF_SEND | SROCE_OPF_DETH |
	  SROCE_OPF_PAYLOAD | SROCE_OPF_ONLY },
	{ 0x65, "UD_SEND_ONLY_IMM",
	  SROCE_OPF_UD | SROCE_OPF_SEND | SROCE_OPF_DETH |
	  SROCE_OPF_PAYLOAD | SROCE_OPF_ONLY | SROCE_OPF_IMM },
};

struct sroce_opinfo sroce_opinfo[256] __ro_after_init;

/*
 * Header order behind the BTH: FETH (FLUSH), RETH, DETH, AETH or
 * AtomicETH; then the AtomicAckETH (behind the AETH); then ImmDt; then IETH.
 */
static void __init sroce_opinfo_fill(struct sroce_opinfo *info, u32 flags)
{
	u8 off = sizeof(struct sroce_bth);

	info->flags = flags;
	if (flags & SROCE_OPF_FETH) {
		info->off_feth = off;
		off += sizeof(struct sroce_feth);
	}
	if (flags & SROCE_OPF_RETH) {
		info->off_reth = off;
		off += sizeof(struct sroce_reth);
	}
	if (flags & SROCE_OPF_DETH) {
		info->off_deth = off;
		off += sizeof(struct sroce_deth);
	}
	if (flags & SROCE_OPF_AETH) {
		info->off_aeth = off;
		off += sizeof(struct sroce_aeth);
	}
	if (flags & (SROCE_OPF_ATMETH | SROCE_OPF_ATMACK)) {
		info->off_atm = off;
		off += flags & SROCE_OPF_ATMETH ? sizeof(struct sroce_atmeth) :
						  sizeof(struct sroce_atmack);
	}
	if (flags & SROCE_OPF_IMM) {
		info->off_imm = off;
		off += sizeof(struct sroce_immdt);
	}
	if (flags & SROCE_OPF_IETH) {
		info->off_ieth = off;
		off += sizeof(struct sroce_ieth);
	}
	info->hdr_len = off;
}

void __init sroce_opcode_init(void)
{
	unsigned int i;

	sroce_wire_check();
	for (i = 0; i < ARRAY_SIZE(sroce_opdefs); i++) {
		struct sroce_opinfo *info = &sroce_opinfo[sroce_opdefs[i].code];

		/* without the kernel's FLUSH no MR may be its target */
		if ((sroce_opdefs[i].flags & SROCE_OPF_FLUSH) &&
		    !sroce_have_flush())
			continue;

		info->name = sroce_opdefs[i].name;
		sroce_opinfo_fill(info, sroce_opdefs[i].flags);
	}
}

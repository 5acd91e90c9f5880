/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the InfiniBand transport headers as RoCEv2 carries them (IBTA
 * vol. 1, chapter 9; annex A17), and the opcode table.
 *
 * Every header is a packed struct of __be fields of whole bytes, words or
 * double words; sub-fields are reached through the mask accessors below,
 * never through bitfields. sroce_wire_check() pins the layouts at build
 * time.
 *
 * Who calls what: everything here is pure and runs in any context; the
 * opcode table (opcode.c) is filled by sroce_opcode_init() at module load
 * and read-only afterwards.
 */
#ifndef _SROCE_WIRE_H
#define _SROCE_WIRE_H

#include <linux/build_bug.h>
#include <linux/types.h>
#include <asm/byteorder.h>

#define SROCE_PSN_MASK		0xffffffU
#define SROCE_QPN_MASK		0xffffffU
#define SROCE_ICRC_SIZE		4
#define SROCE_GRH_SIZE		40	/* room for the GRH in a UD receive */
#define SROCE_DEFAULT_PKEY	0xffff

/* Base Transport Header, 12 bytes. */
struct sroce_bth {
	u8 opcode;
	u8 flags;		/* SE, M, PadCnt, TVer */
	__be16 pkey;
	__be32 qpn;		/* FECN, BECN, resv6, DestQP */
	__be32 apsn;		/* AckReq, resv7, PSN */
} __packed;

#define SROCE_BTH_SE		0x80
#define SROCE_BTH_MIG		0x40
#define SROCE_BTH_PAD_MASK	0x30
#define SROCE_BTH_PAD_SHIFT	4
#define SROCE_BTH_TVER_MASK	0x0f
#define SROCE_BTH_ACKREQ	0x80000000U
/* The byte of FECN, BECN and resv6: masked to ones in the ICRC. */
#define SROCE_BTH_RESV8A_MASK	0xff000000U

/* RDMA Extended Transport Header, 16 bytes. */
struct sroce_reth {
	__be64 va;
	__be32 rkey;
	__be32 len;
} __packed;

/* ACK Extended Transport Header, 4 bytes: syndrome and MSN. */
struct sroce_aeth {
	__be32 smsn;
} __packed;

#define SROCE_AETH_MSN_MASK	0xffffffU
#define SROCE_AETH_SYN_SHIFT	24
/* The three top bits of the syndrome say what it is. */
#define SROCE_AETH_TYPE_MASK	0xe0
#define SROCE_AETH_ACK		0x00
#define SROCE_AETH_RNR_NAK	0x20
#define SROCE_AETH_NAK		0x60
#define SROCE_AETH_VAL_MASK	0x1f
/* An ACK without end-to-end credits. */
#define SROCE_AETH_ACK_UNLIMITED	(SROCE_AETH_ACK | 0x1f)

enum sroce_nak_code {
	SROCE_NAK_PSN_SEQ	= 0,
	SROCE_NAK_INVALID_REQ	= 1,
	SROCE_NAK_REMOTE_ACCESS	= 2,
	SROCE_NAK_REMOTE_OP	= 3,
};

/* Atomic Extended Transport Header, 28 bytes. */
struct sroce_atmeth {
	__be64 va;
	__be32 rkey;
	__be64 swap_add;
	__be64 compare;
} __packed;

/* Atomic Acknowledge Extended Transport Header, 8 bytes. */
struct sroce_atmack {
	__be64 orig;
} __packed;

/* Datagram Extended Transport Header, 8 bytes. */
struct sroce_deth {
	__be32 qkey;
	__be32 sqpn;		/* resv8, SrcQP */
} __packed;

/* Immediate data and the invalidated R_Key: 4 bytes each. */
struct sroce_immdt {
	__be32 imm;
} __packed;

/*
 * FLUSH Extended Transport Header (IBTA 1.5), 4 bytes: the placement type
 * (bit 0 global visibility, bit 1 persistence) in bits 3:0, the
 * selectivity (0 a range of the MR, 1 the whole MR) in bits 5:4.
 */
struct sroce_feth {
	__be32 bits;
} __packed;

#define SROCE_FETH_PLT_MASK	0x0000000fU
#define SROCE_FETH_SEL_MASK	0x00000030U
#define SROCE_FETH_SEL_SHIFT	4
#define SROCE_FLUSH_PLT_GLOBAL	0x1
#define SROCE_FLUSH_PLT_PERSIST	0x2
#define SROCE_FLUSH_SEL_RANGE	0
#define SROCE_FLUSH_SEL_MR	1

struct sroce_ieth {
	__be32 rkey;
} __packed;

static inline void sroce_wire_check(void)
{
	BUILD_BUG_ON(sizeof(struct sroce_bth) != 12);
	BUILD_BUG_ON(sizeof(struct sroce_reth) != 16);
	BUILD_BUG_ON(sizeof(struct sroce_aeth) != 4);
	BUILD_BUG_ON(sizeof(struct sroce_atmeth) != 28);
	BUILD_BUG_ON(sizeof(struct sroce_atmack) != 8);
	BUILD_BUG_ON(sizeof(struct sroce_deth) != 8);
	BUILD_BUG_ON(sizeof(struct sroce_immdt) != 4);
	BUILD_BUG_ON(sizeof(struct sroce_ieth) != 4);
	BUILD_BUG_ON(sizeof(struct sroce_feth) != 4);
}

/* --- BTH accessors --------------------------------------------------- */

static inline u32 sroce_bth_psn(const struct sroce_bth *bth)
{
	return be32_to_cpu(bth->apsn) & SROCE_PSN_MASK;
}

static inline bool sroce_bth_ackreq(const struct sroce_bth *bth)
{
	return be32_to_cpu(bth->apsn) & SROCE_BTH_ACKREQ;
}

static inline u32 sroce_bth_qpn(const struct sroce_bth *bth)
{
	return be32_to_cpu(bth->qpn) & SROCE_QPN_MASK;
}

static inline unsigned int sroce_bth_pad(const struct sroce_bth *bth)
{
	return (bth->flags & SROCE_BTH_PAD_MASK) >> SROCE_BTH_PAD_SHIFT;
}

static inline bool sroce_bth_se(const struct sroce_bth *bth)
{
	return bth->flags & SROCE_BTH_SE;
}

static inline unsigned int sroce_bth_tver(const struct sroce_bth *bth)
{
	return bth->flags & SROCE_BTH_TVER_MASK;
}

static inline void sroce_bth_set(struct sroce_bth *bth, u8 opcode, bool se,
				 unsigned int pad, u16 pkey, u32 qpn,
				 bool ackreq, u32 psn)
{
	bth->opcode = opcode;
	bth->flags = (se ? SROCE_BTH_SE : 0) |
		     ((pad << SROCE_BTH_PAD_SHIFT) & SROCE_BTH_PAD_MASK);
	bth->pkey = cpu_to_be16(pkey);
	bth->qpn = cpu_to_be32(qpn & SROCE_QPN_MASK);
	bth->apsn = cpu_to_be32((ackreq ? SROCE_BTH_ACKREQ : 0) |
				(psn & SROCE_PSN_MASK));
}

/* --- AETH and DETH accessors ------------------------------------------ */

static inline u8 sroce_aeth_syndrome(const struct sroce_aeth *aeth)
{
	return be32_to_cpu(aeth->smsn) >> SROCE_AETH_SYN_SHIFT;
}

static inline u32 sroce_aeth_msn(const struct sroce_aeth *aeth)
{
	return be32_to_cpu(aeth->smsn) & SROCE_AETH_MSN_MASK;
}

static inline void sroce_aeth_set(struct sroce_aeth *aeth, u8 syndrome,
				  u32 msn)
{
	aeth->smsn = cpu_to_be32((u32)syndrome << SROCE_AETH_SYN_SHIFT |
				 (msn & SROCE_AETH_MSN_MASK));
}

static inline u32 sroce_deth_sqpn(const struct sroce_deth *deth)
{
	return be32_to_cpu(deth->sqpn) & SROCE_QPN_MASK;
}

static inline u32 sroce_feth_plt(const struct sroce_feth *feth)
{
	return be32_to_cpu(feth->bits) & SROCE_FETH_PLT_MASK;
}

static inline u32 sroce_feth_sel(const struct sroce_feth *feth)
{
	return (be32_to_cpu(feth->bits) & SROCE_FETH_SEL_MASK) >>
	       SROCE_FETH_SEL_SHIFT;
}

/* A placement type (at least one, none reserved) and a selectivity. */
static inline bool sroce_feth_valid(u32 plt, u32 sel)
{
	return plt && !(plt & ~(SROCE_FLUSH_PLT_GLOBAL |
				SROCE_FLUSH_PLT_PERSIST)) &&
	       sel <= SROCE_FLUSH_SEL_MR;
}

static inline void sroce_feth_set(struct sroce_feth *feth, u32 plt, u32 sel)
{
	feth->bits = cpu_to_be32((plt & SROCE_FETH_PLT_MASK) |
				 ((sel << SROCE_FETH_SEL_SHIFT) &
				  SROCE_FETH_SEL_MASK));
}

/* --- PSN arithmetic (24 bits, modulo) ---------------------------------- */

static inline u32 sroce_psn_add(u32 psn, u32 n)
{
	return (psn + n) & SROCE_PSN_MASK;
}

/* <0, 0, >0 as @a is before, equal to or after @b within half the space. */
static inline int sroce_psn_cmp(u32 a, u32 b)
{
	return (s32)((a - b) << 8);
}

/* --- opcodes ----------------------------------------------------------- */

enum sroce_opcode {
	SROCE_OP_SEND_FIRST		= 0x00,
	SROCE_OP_SEND_MIDDLE		= 0x01,
	SROCE_OP_SEND_LAST		= 0x02,
	SROCE_OP_SEND_LAST_IMM		= 0x03,
	SROCE_OP_SEND_ONLY		= 0x04,
	SROCE_OP_SEND_ONLY_IMM		= 0x05,
	SROCE_OP_WRITE_FIRST		= 0x06,
	SROCE_OP_WRITE_MIDDLE		= 0x07,
	SROCE_OP_WRITE_LAST		= 0x08,
	SROCE_OP_WRITE_LAST_IMM		= 0x09,
	SROCE_OP_WRITE_ONLY		= 0x0a,
	SROCE_OP_WRITE_ONLY_IMM		= 0x0b,
	SROCE_OP_READ_REQUEST		= 0x0c,
	SROCE_OP_READ_RESP_FIRST	= 0x0d,
	SROCE_OP_READ_RESP_MIDDLE	= 0x0e,
	SROCE_OP_READ_RESP_LAST		= 0x0f,
	SROCE_OP_READ_RESP_ONLY		= 0x10,
	SROCE_OP_ACK			= 0x11,
	SROCE_OP_ATOMIC_ACK		= 0x12,
	SROCE_OP_CMP_SWAP		= 0x13,
	SROCE_OP_FETCH_ADD		= 0x14,
	SROCE_OP_SEND_LAST_INV		= 0x16,
	SROCE_OP_SEND_ONLY_INV		= 0x17,
	SROCE_OP_FLUSH			= 0x1c,	/* IBTA 1.5 */
	SROCE_OP_ATOMIC_WRITE		= 0x1d,	/* IBTA 1.5 */
};

/* The transport in the top three bits of the opcode. */
#define SROCE_OP_TRANSPORT_MASK	0xe0
#define SROCE_OP_RC		0x00
#define SROCE_OP_UC		0x20
#define SROCE_OP_UD		0x60

/* What an opcode carries and means (struct sroce_opinfo.flags). */
enum {
	SROCE_OPF_RETH		= BIT(0),
	SROCE_OPF_AETH		= BIT(1),
	SROCE_OPF_ATMETH	= BIT(2),
	SROCE_OPF_ATMACK	= BIT(3),
	SROCE_OPF_DETH		= BIT(4),
	SROCE_OPF_IMM		= BIT(5),
	SROCE_OPF_IETH		= BIT(6),
	SROCE_OPF_PAYLOAD	= BIT(7),
	SROCE_OPF_FIRST		= BIT(8),
	SROCE_OPF_MIDDLE	= BIT(9),
	SROCE_OPF_LAST		= BIT(10),
	SROCE_OPF_SEND		= BIT(11),
	SROCE_OPF_WRITE		= BIT(12),
	SROCE_OPF_READ		= BIT(13),
	SROCE_OPF_ATOMIC	= BIT(14),
	SROCE_OPF_RESPONSE	= BIT(15),	/* requester receives it */
	SROCE_OPF_RC		= BIT(16),
	SROCE_OPF_UC		= BIT(17),
	SROCE_OPF_UD		= BIT(18),
	SROCE_OPF_FETH		= BIT(19),
	SROCE_OPF_FLUSH		= BIT(20),	/* answered as a 0-byte READ */
};

#define SROCE_OPF_ONLY		(SROCE_OPF_FIRST | SROCE_OPF_LAST)

/**
 * struct sroce_opinfo - one valid opcode
 * @name: for debug messages and counters.
 * @flags: SROCE_OPF_*; 0 for an opcode sroce neither sends nor accepts.
 * @hdr_len: BTH and every extension header, in bytes.
 * @off_*: offset of that extension header from the BTH (0: absent).
 */
struct sroce_opinfo {
	const char *name;
	u32 flags;
	u8 hdr_len;
	u8 off_reth;
	u8 off_aeth;
	u8 off_atm;
	u8 off_deth;
	u8 off_imm;
	u8 off_ieth;
	u8 off_feth;
};

extern struct sroce_opinfo sroce_opinfo[256];

void sroce_opcode_init(void);

static inline const struct sroce_opinfo *sroce_op(u8 opcode)
{
	return &sroce_opinfo[opcode];
}

#endif /* _SROCE_WIRE_H */

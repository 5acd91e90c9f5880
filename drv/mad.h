/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sroce: the port's Performance Management Agent, the way an HCA answers
 * it: through process_mad, so that ib_core's sysfs counters/ directory and
 * MAD-based tools read the port counters. Process context (sysfs) or the
 * MAD layer's completion work; no locks taken.
 */
#ifndef _SROCE_MAD_H
#define _SROCE_MAD_H

#include <rdma/ib_mad.h>
#include <rdma/ib_verbs.h>

int sroce_process_mad(struct ib_device *ibdev, int mad_flags, u32 port,
		      const struct ib_wc *in_wc, const struct ib_grh *in_grh,
		      const struct ib_mad *in, struct ib_mad *out,
		      size_t *out_mad_size, u16 *out_mad_pkey_index);

#endif /* _SROCE_MAD_H */

/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in: no static keys, so drv/crc32.c always folds here. */
#include "../kernel.h"
#define DECLARE_STATIC_KEY_FALSE(name)	extern const bool name
#define static_branch_unlikely(key)	false

/* SPDX-License-Identifier: GPL-2.0 */
/* drv/compat.h includes it; nothing of it is used in userspace */
#include <stdbool.h>
#include "../kernel.h"

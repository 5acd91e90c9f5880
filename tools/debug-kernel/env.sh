# SPDX-License-Identifier: GPL-2.0
# Source me (bash): sets DEBUG_KDIR, DEBUG_VMLINUX, DEBUG_BZIMAGE,
# DEBUG_MODROOT and DEBUG_KVER for the debug kernel that matches the current
# fragments. Never builds: run tools/debug-kernel/build first.
#
#   . tools/debug-kernel/env.sh &&
#   make -C "$DEBUG_KDIR" M="$PWD" &&
#   tools/vm-run --kernel "$DEBUG_VMLINUX" --modroot "$DEBUG_MODROOT" \
#       --kver "$DEBUG_KVER" --append "panic_on_warn=1 kmemleak=on" -- ...

if __sroce_dk_env=$("$(dirname "${BASH_SOURCE[0]}")/build" --print-env); then
	eval "$__sroce_dk_env"
	unset __sroce_dk_env
else
	unset __sroce_dk_env
	return 1
fi

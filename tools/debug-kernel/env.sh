# SPDX-License-Identifier: GPL-2.0
# Source me (bash): sets DEBUG_KDIR (for make M=), DEBUG_VMLINUX (the image
# to boot: the bzImage), DEBUG_MODROOT, DEBUG_KVER, plus DEBUG_BZIMAGE and
# DEBUG_ELF (the ELF vmlinux, for symbols), for the debug kernel that
# matches the current fragments. Never builds: run tools/debug-kernel/build.
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

# shellcheck shell=bash
# Sourced by tools/*: where the cached Debian guest kernel lives.
#
#   SROCE_CACHE    cache root (default /var/cache/sroce)
#   SROCE_KERNEL   which Debian kernel series: 6.1 (default) or 6.12
#   SROCE_KVER     kernel ABI, e.g. 6.1.0-57-amd64 (chosen by tools/setup)
#   SROCE_KDIR     kbuild dir: /usr/src/linux-headers-$SROCE_KVER
#   SROCE_VMLINUX  uncompressed ELF kernel to boot
#   SROCE_MODROOT  root that holds lib/modules/$SROCE_KVER of the stock image
#
# Values already in the environment win. tools/setup writes $SROCE_CACHE/kernel.env;
# without it (setup never ran) this file fails loudly rather than guess.

SROCE_CACHE=${SROCE_CACHE:-/var/cache/sroce}

if [[ -z ${SROCE_KVER:-} ]]; then
	if [[ ! -r $SROCE_CACHE/kernel.env ]]; then
		echo "sroce: $SROCE_CACHE/kernel.env missing: run tools/setup (as root) first" >&2
		return 1
	fi
	# shellcheck source=/dev/null
	. "$SROCE_CACHE/kernel.env"
	case ${SROCE_KERNEL:-6.1} in
	6.1) ;;
	6.12)
		if [[ -z ${SROCE_KVER_612:-} ]]; then
			echo "sroce: no 6.12 kernel in $SROCE_CACHE/kernel.env: run tools/setup (as root)" >&2
			return 1
		fi
		SROCE_KVER=$SROCE_KVER_612 ;;
	*)
		echo "sroce: SROCE_KERNEL=$SROCE_KERNEL: only 6.1 and 6.12 are known" >&2
		return 1 ;;
	esac
fi

# The 6.12 kernel's ABI (tools/check, tools/setup), also when SROCE_KVER
# came from the environment, as in a shell that sourced this file.
if [[ -z ${SROCE_KVER_612:-} && -r $SROCE_CACHE/kernel.env ]]; then
	SROCE_KVER_612=$(sed -n 's/^SROCE_KVER_612=//p' "$SROCE_CACHE/kernel.env")
fi

SROCE_KDIR=${SROCE_KDIR:-/usr/src/linux-headers-$SROCE_KVER}
SROCE_MODROOT=${SROCE_MODROOT:-$SROCE_CACHE/image/$SROCE_KVER}
SROCE_VMLINUX=${SROCE_VMLINUX:-$SROCE_MODROOT/boot/vmlinux-$SROCE_KVER}

export SROCE_CACHE SROCE_KVER SROCE_KDIR SROCE_MODROOT SROCE_VMLINUX

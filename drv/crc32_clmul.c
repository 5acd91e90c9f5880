// SPDX-License-Identifier: GPL-2.0
/*
 * sroce: the ICRC's long CRCs through the crypto API's crc32-pclmul, on
 * CPUs with PCLMULQDQ. Natively it is about twice sroce's fold from 1 KiB
 * up, and memcpy() then it twice the fold's one-pass copy (tools/crc32-test
 * --bench); below that, kernel_fpu_begin() costs about what it saves, so
 * short buffers keep the fold.
 */
#include <crypto/hash.h>
#include <crypto/internal/simd.h>
#include <linux/crc32.h>
#include <linux/jump_label.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/simd.h>

#include "crc32.h"

DEFINE_STATIC_KEY_FALSE(sroce_crc32_clmul_on);
/* set once at load, before the key; freed at unload, after it */
static struct crypto_shash *sroce_crc32_tfm;

static u32 sroce_crc32_shash(u32 crc, const void *buf, size_t len)
{
	SHASH_DESC_ON_STACK(desc, sroce_crc32_tfm);
	u32 *state = shash_desc_ctx(desc);

	desc->tfm = sroce_crc32_tfm;
	/* the crc32 hashes' state is the register, as crc32_le() keeps it */
	*state = crc;
	crypto_shash_update(desc, buf, len);
	return *state;
}

/**
 * sroce_crc32_clmul() - crc32_le() through crc32-pclmul, with a copy
 * @crc: the register so far; the register after the data on success.
 * @dst: NULL, or where the data is copied first.
 * @src: the data.
 * @len: its length.
 *
 * Only while sroce_crc32_clmul_on is set. memcpy() and then the carry-less
 * CRC is twice the fold's one pass (tools/crc32-test --bench); the CRC is
 * of @dst, what was stored, as the fold's is. Returns false, having done
 * nothing, where SIMD is not usable: crc32-pclmul would take crc32_le()
 * there, slower than the fold the caller takes instead.
 */
bool sroce_crc32_clmul(u32 *crc, void *dst, const void *src, size_t len)
{
	if (!crypto_simd_usable())
		return false;
	if (dst) {
		memcpy(dst, src, len);
		src = dst;
	}
	*crc = sroce_crc32_shash(*crc, src, len);
	return true;
}

/*
 * Takes crc32-pclmul, by its driver name (its module autoloads), if the CPU
 * has PCLMULQDQ, its state is the register alone, and it agrees with
 * crc32_le(); anything else leaves the fold, and the module loads either way.
 */
void __init sroce_crc32_clmul_init(void)
{
	static u8 buf[4096] __initdata;
	struct crypto_shash *tfm;
	unsigned int i, len;

	if (!boot_cpu_has(X86_FEATURE_PCLMULQDQ))
		return;
	tfm = crypto_alloc_shash("crc32-pclmul", 0, 0);
	if (IS_ERR(tfm))
		return;
	if (crypto_shash_descsize(tfm) != sizeof(u32)) {
		crypto_free_shash(tfm);
		return;
	}
	sroce_crc32_tfm = tfm;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i * 0x9d + (i >> 7);
	for (len = SROCE_CRC32_CLMUL_MIN; len <= sizeof(buf); len += 61) {
		if (sroce_crc32_shash(0x5a5a5a5a, buf + (len & 7),
				      len - (len & 7)) !=
		    crc32_le(0x5a5a5a5a, buf + (len & 7), len - (len & 7))) {
			pr_warn("sroce: crc32-pclmul differs from crc32_le(); the fold stays\n");
			sroce_crc32_tfm = NULL;
			crypto_free_shash(tfm);
			return;
		}
	}
	static_branch_enable(&sroce_crc32_clmul_on);
	pr_info("sroce: ICRC through crc32-pclmul from %d bytes\n",
		SROCE_CRC32_CLMUL_MIN);
}

void sroce_crc32_clmul_exit(void)
{
	static_branch_disable(&sroce_crc32_clmul_on);
	if (sroce_crc32_tfm)
		crypto_free_shash(sroce_crc32_tfm);
	sroce_crc32_tfm = NULL;
}

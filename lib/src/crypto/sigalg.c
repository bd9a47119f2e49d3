/* SPDX-License-Identifier: Apache-2.0 */
/* TLS 1.3 signature schemes (RFC 8446 4.2.3, 4.4.3). */
#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <string.h>

#include "crypto/crypto.h"
#include "ktls/ktls.h"

static const char *md_of(uint16_t scheme)
{
	switch (scheme) {
	case KTLS_SIG_ECDSA_SECP256R1_SHA256:
	case KTLS_SIG_RSA_PSS_RSAE_SHA256:
	case KTLS_SIG_RSA_PSS_PSS_SHA256:
		return "SHA256";
	case KTLS_SIG_ECDSA_SECP384R1_SHA384:
	case KTLS_SIG_RSA_PSS_RSAE_SHA384:
	case KTLS_SIG_RSA_PSS_PSS_SHA384:
		return "SHA384";
	case KTLS_SIG_ECDSA_SECP521R1_SHA512:
	case KTLS_SIG_RSA_PSS_RSAE_SHA512:
	case KTLS_SIG_RSA_PSS_PSS_SHA512:
		return "SHA512";
	default:
		return NULL; /* EdDSA hashes internally */
	}
}

static bool is_rsa_pss(uint16_t scheme)
{
	return (scheme >= KTLS_SIG_RSA_PSS_RSAE_SHA256 && scheme <= KTLS_SIG_RSA_PSS_RSAE_SHA512) ||
	       (scheme >= KTLS_SIG_RSA_PSS_PSS_SHA256 && scheme <= KTLS_SIG_RSA_PSS_PSS_SHA512);
}

bool ktls_sig_supported(uint16_t scheme)
{
	return md_of(scheme) || scheme == KTLS_SIG_ED25519 || scheme == KTLS_SIG_ED448;
}

bool ktls_sig_key_matches(uint16_t scheme, EVP_PKEY *key)
{
	char group[32] = {0};
	switch (scheme) {
	case KTLS_SIG_ED25519:
		return EVP_PKEY_is_a(key, "ED25519");
	case KTLS_SIG_ED448:
		return EVP_PKEY_is_a(key, "ED448");
	/* rsae: a key of rsaEncryption; pss: one of RSASSA-PSS (4.2.3). */
	case KTLS_SIG_RSA_PSS_RSAE_SHA256:
	case KTLS_SIG_RSA_PSS_RSAE_SHA384:
	case KTLS_SIG_RSA_PSS_RSAE_SHA512:
		return EVP_PKEY_is_a(key, "RSA") && !EVP_PKEY_is_a(key, "RSA-PSS") &&
		       EVP_PKEY_get_bits(key) >= 2048;
	case KTLS_SIG_RSA_PSS_PSS_SHA256:
	case KTLS_SIG_RSA_PSS_PSS_SHA384:
	case KTLS_SIG_RSA_PSS_PSS_SHA512:
		return EVP_PKEY_is_a(key, "RSA-PSS") && EVP_PKEY_get_bits(key) >= 2048;
	case KTLS_SIG_ECDSA_SECP256R1_SHA256:
	case KTLS_SIG_ECDSA_SECP384R1_SHA384:
	case KTLS_SIG_ECDSA_SECP521R1_SHA512:
		/* In TLS 1.3 the curve is part of the scheme (4.2.3). */
		if (!EVP_PKEY_is_a(key, "EC") ||
		    !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL))
			return false;
		return !strcmp(group, scheme == KTLS_SIG_ECDSA_SECP256R1_SHA256	  ? "prime256v1"
				      : scheme == KTLS_SIG_ECDSA_SECP384R1_SHA384 ? "secp384r1"
										  : "secp521r1");
	default:
		return false;
	}
}

size_t ktls_sig_content(uint8_t *out, bool server, const uint8_t *thash, size_t hash_len)
{
	static const char sctx[] = "TLS 1.3, server CertificateVerify";
	static const char cctx[] = "TLS 1.3, client CertificateVerify";
	memset(out, 0x20, 64);
	memcpy(out + 64, server ? sctx : cctx, sizeof(sctx)); /* with its NUL separator */
	memcpy(out + 64 + sizeof(sctx), thash, hash_len);
	return 64 + sizeof(sctx) + hash_len;
}

static EVP_MD_CTX *setup(uint16_t scheme, EVP_PKEY *key, int sign)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = md &&
		 (sign ? EVP_DigestSignInit_ex(md, &pctx, md_of(scheme), NULL, NULL, key, NULL)
		       : EVP_DigestVerifyInit_ex(md, &pctx, md_of(scheme), NULL, NULL, key, NULL));
	if (ok && is_rsa_pss(scheme))
		/* RSASSA-PSS with salt length equal to the digest (4.2.3). */
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
	if (!ok) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	return md;
}

int ktls_sig_sign(uint16_t scheme, EVP_PKEY *key, const uint8_t *tbs, size_t len,
		  struct ktls_buf *out)
{
	EVP_MD_CTX *md = setup(scheme, key, 1);
	/* Room for the largest signature of the key, so that the message is
	 * hashed and signed once (not once more to learn the length). */
	int max = EVP_PKEY_get_size(key);
	size_t n = max > 0 ? (size_t)max : 0;
	int err = -KTLS_E_CRYPTO;
	uint8_t *p = md && n ? ktls_buf_reserve(out, n) : NULL;
	if (p && EVP_DigestSign(md, p, &n, tbs, len) > 0) {
		out->len += n;
		err = 0;
	}
	EVP_MD_CTX_free(md);
	return err;
}

int ktls_sig_verify(uint16_t scheme, EVP_PKEY *key, const uint8_t *tbs, size_t len,
		    const uint8_t *sig, size_t sig_len)
{
	if (!ktls_sig_key_matches(scheme, key))
		return -(KTLS_E_ALERT_SENT + KTLS_ALERT_ILLEGAL_PARAMETER);
	EVP_MD_CTX *md = setup(scheme, key, 0);
	int ok = md && EVP_DigestVerify(md, sig, sig_len, tbs, len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -(KTLS_E_ALERT_SENT + KTLS_ALERT_DECRYPT_ERROR);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* (EC)DHE over X25519, P-256 and P-384 (RFC 8446 4.2.8.2, 7.4). */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <string.h>

#include "crypto/crypto.h"
#include "ktls/ktls.h"

static const char *curve_name(uint16_t group)
{
	switch (group) {
	case KTLS_GROUP_SECP256R1:
		return "P-256";
	case KTLS_GROUP_SECP384R1:
		return "P-384";
	default:
		return NULL;
	}
}

bool ktls_kex_supported(uint16_t group)
{
	return group == KTLS_GROUP_X25519 || curve_name(group);
}

int ktls_kex_keygen(uint16_t group, EVP_PKEY **priv, uint8_t *pub, size_t *pub_len)
{
	*priv = group == KTLS_GROUP_X25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "X25519")
		: curve_name(group)	   ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve_name(group))
					   : NULL;
	if (!*priv)
		return -KTLS_E_CRYPTO;
	/* X25519: the raw 32 bytes; EC: the uncompressed point (4.2.8.2). */
	if (curve_name(group))
		EVP_PKEY_set_utf8_string_param(*priv, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
					       "uncompressed");
	uint8_t *enc = NULL;
	size_t n = EVP_PKEY_get1_encoded_public_key(*priv, &enc);
	if (n == 0 || n > KTLS_KEX_MAX_PUB) {
		OPENSSL_free(enc);
		EVP_PKEY_free(*priv);
		*priv = NULL;
		return -KTLS_E_CRYPTO;
	}
	memcpy(pub, enc, n);
	*pub_len = n;
	OPENSSL_free(enc);
	return 0;
}

int ktls_kex_derive(uint16_t group, EVP_PKEY *priv, const uint8_t *peer, size_t peer_len,
		    uint8_t *secret, size_t *secret_len)
{
	/* Wrong-sized or off-curve shares are the peer's fault (4.2.8). */
	size_t want = group == KTLS_GROUP_X25519      ? 32
		      : group == KTLS_GROUP_SECP256R1 ? 65
		      : group == KTLS_GROUP_SECP384R1 ? 97
						      : 0;
	if (peer_len != want || (want != 32 && peer[0] != 4))
		return -(KTLS_E_ALERT_SENT + KTLS_ALERT_ILLEGAL_PARAMETER);
	EVP_PKEY *pk = EVP_PKEY_new();
	int err = -(KTLS_E_ALERT_SENT + KTLS_ALERT_ILLEGAL_PARAMETER);
	if (!pk || !EVP_PKEY_copy_parameters(pk, priv) ||
	    !EVP_PKEY_set1_encoded_public_key(pk, peer, peer_len)) {
		EVP_PKEY_free(pk);
		return err;
	}
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	size_t n = KTLS_KEX_MAX_SECRET;
	/* X25519 derive fails on a low-order point (all-zero secret): also
	 * the peer's fault. */
	if (ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, pk) > 0 &&
	    EVP_PKEY_derive(ctx, secret, &n) > 0) {
		*secret_len = n;
		err = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return err;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key exchange for one named group (RFC 8446 4.2.8, 7.4): ECDHE over
 * X25519, X448, P-256, P-384 and P-521, and the hybrid X25519MLKEM768
 * (ML-KEM-768 then X25519; draft-ietf-tls-ecdhe-mlkem) where the libcrypto
 * loaded at run time has ML-KEM. The client makes a share and finishes
 * with the server's; the server answers a share in one step (for a KEM,
 * encapsulation: there is no key of its own to keep).
 */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "ktls/ktls.h"

#define MLKEM_EK 1184 /* ML-KEM-768 encapsulation key */
#define MLKEM_CT 1088 /* its ciphertext */
#define MLKEM_SS 32

struct ktls_kex_key {
	uint16_t group;
	EVP_PKEY *ec;	 /* the (EC)DH half */
	EVP_PKEY *mlkem; /* the KEM half of a hybrid */
	uint8_t pub[KTLS_KEX_MAX_PUB];
	size_t pub_len;
};

struct ecdh {
	const char *type, *curve; /* EVP key type, and the curve for EC */
	size_t pub_len;		  /* of the encoded share */
};

static bool ecdh_of(uint16_t group, struct ecdh *e)
{
	switch (group) {
	case KTLS_GROUP_X25519:
	case KTLS_GROUP_X25519MLKEM768:
		*e = (struct ecdh){"X25519", NULL, 32};
		return true;
	case KTLS_GROUP_X448:
		*e = (struct ecdh){"X448", NULL, 56};
		return true;
	case KTLS_GROUP_SECP256R1:
		*e = (struct ecdh){"EC", "P-256", 65};
		return true;
	case KTLS_GROUP_SECP384R1:
		*e = (struct ecdh){"EC", "P-384", 97};
		return true;
	case KTLS_GROUP_SECP521R1:
		*e = (struct ecdh){"EC", "P-521", 133};
		return true;
	default:
		return false;
	}
}

static bool mlkem_usable;
static pthread_once_t mlkem_once = PTHREAD_ONCE_INIT;

/* Detected by making a key, not by version: providers differ. */
static void probe_mlkem(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ML-KEM-768");
	mlkem_usable = k != NULL;
	EVP_PKEY_free(k);
	ERR_clear_error();
}

bool ktls_kex_supported(uint16_t group)
{
	struct ecdh e = {0};
	if (group == KTLS_GROUP_X25519MLKEM768) {
		pthread_once(&mlkem_once, probe_mlkem);
		return mlkem_usable;
	}
	return ecdh_of(group, &e);
}

bool ktls_kex_is_hybrid(uint16_t group)
{
	return group == KTLS_GROUP_X25519MLKEM768;
}

void ktls_kex_key_free(struct ktls_kex_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->ec);
	EVP_PKEY_free(k->mlkem);
	free(k);
}

uint16_t ktls_kex_key_group(const struct ktls_kex_key *k)
{
	return k->group;
}

struct ktls_bytes ktls_kex_key_share(const struct ktls_kex_key *k)
{
	return (struct ktls_bytes){k->pub, k->pub_len};
}

/* An (EC)DH key and its encoded public value: X25519/X448 the raw bytes,
 * EC the uncompressed point (4.2.8.2). */
static EVP_PKEY *ec_keygen(const struct ecdh *e, uint8_t *pub)
{
	EVP_PKEY *k = e->curve ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", e->curve)
			       : EVP_PKEY_Q_keygen(NULL, NULL, e->type);
	if (k && e->curve)
		EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
					       "uncompressed");
	uint8_t *enc = NULL;
	size_t n = k ? EVP_PKEY_get1_encoded_public_key(k, &enc) : 0;
	if (n != e->pub_len) {
		EVP_PKEY_free(k);
		k = NULL;
	} else {
		memcpy(pub, enc, n);
	}
	OPENSSL_free(enc);
	return k;
}

/* The shared secret of our key and the peer's encoded public value. */
/* secret: room for cap bytes (less than a whole buffer behind a hybrid's
 * ML-KEM secret). */
static int ec_derive(const struct ecdh *e, EVP_PKEY *priv, const uint8_t *peer, size_t peer_len,
		     uint8_t *secret, size_t cap, size_t *secret_len)
{
	/* Wrong-sized or off-curve shares are the peer's fault (4.2.8). */
	int err = KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER);
	if (peer_len != e->pub_len || (e->curve && peer[0] != 4))
		return err;
	EVP_PKEY *pk = EVP_PKEY_new();
	if (!pk || !EVP_PKEY_copy_parameters(pk, priv) ||
	    !EVP_PKEY_set1_encoded_public_key(pk, peer, peer_len)) {
		EVP_PKEY_free(pk);
		return err;
	}
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	size_t n = cap;
	/* X25519/X448 derive fails on a low-order point (an all-zero
	 * secret): also the peer's fault. */
	if (ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, pk) > 0 &&
	    EVP_PKEY_derive(ctx, secret, &n) > 0) {
		*secret_len = n;
		err = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return err;
}

int ktls_kex_keygen(uint16_t group, struct ktls_kex_key **key)
{
	struct ecdh e = {0};
	*key = NULL;
	if (!ktls_kex_supported(group) || !ecdh_of(group, &e))
		return -KTLS_E_CRYPTO;
	struct ktls_kex_key *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->group = group;
	uint8_t *pub = k->pub;
	size_t off = 0;
	if (ktls_kex_is_hybrid(group)) {
		/* The ML-KEM encapsulation key first, then the X25519 share. */
		k->mlkem = EVP_PKEY_Q_keygen(NULL, NULL, "ML-KEM-768");
		uint8_t *enc = NULL;
		size_t n = k->mlkem ? EVP_PKEY_get1_encoded_public_key(k->mlkem, &enc) : 0;
		if (n == MLKEM_EK)
			memcpy(pub, enc, n);
		OPENSSL_free(enc);
		if (n != MLKEM_EK) {
			ktls_kex_key_free(k);
			return -KTLS_E_CRYPTO;
		}
		off = MLKEM_EK;
	}
	k->ec = ec_keygen(&e, pub + off);
	if (!k->ec) {
		ktls_kex_key_free(k);
		return -KTLS_E_CRYPTO;
	}
	k->pub_len = off + e.pub_len;
	*key = k;
	return 0;
}

int ktls_kex_finish(struct ktls_kex_key *k, const uint8_t *peer, size_t peer_len, uint8_t *secret,
		    size_t *secret_len)
{
	struct ecdh e = {0};
	ecdh_of(k->group, &e);
	if (!k->mlkem)
		return ec_derive(&e, k->ec, peer, peer_len, secret, KTLS_KEX_MAX_SECRET,
				 secret_len);
	/* The server's share: the ML-KEM ciphertext, then its X25519 share;
	 * the secret: ML-KEM's, then X25519's. */
	if (peer_len != MLKEM_CT + e.pub_len)
		return KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->mlkem, NULL);
	size_t n = MLKEM_SS;
	int ok = ctx && EVP_PKEY_decapsulate_init(ctx, NULL) > 0 &&
		 EVP_PKEY_decapsulate(ctx, secret, &n, peer, MLKEM_CT) > 0 && n == MLKEM_SS;
	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		return KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER);
	size_t m = 0;
	int err = ec_derive(&e, k->ec, peer + MLKEM_CT, e.pub_len, secret + MLKEM_SS,
			    KTLS_KEX_MAX_SECRET - MLKEM_SS, &m);
	*secret_len = MLKEM_SS + m;
	return err;
}

int ktls_kex_respond(uint16_t group, const uint8_t *peer, size_t peer_len, uint8_t *pub,
		     size_t *pub_len, uint8_t *secret, size_t *secret_len)
{
	struct ecdh e = {0};
	if (!ktls_kex_supported(group) || !ecdh_of(group, &e))
		return -KTLS_E_CRYPTO;
	size_t off = 0, ss = 0;
	int err = 0;
	if (ktls_kex_is_hybrid(group)) {
		/* Encapsulate to the client's ML-KEM key, then X25519. */
		if (peer_len != MLKEM_EK + e.pub_len)
			return KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER);
		EVP_PKEY *ek = NULL;
		EVP_PKEY_CTX *ictx = EVP_PKEY_CTX_new_from_name(NULL, "ML-KEM-768", NULL);
		OSSL_PARAM p[] = {OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
								    (void *)peer, MLKEM_EK),
				  OSSL_PARAM_construct_end()};
		if (ictx && EVP_PKEY_fromdata_init(ictx) > 0)
			EVP_PKEY_fromdata(ictx, &ek, EVP_PKEY_PUBLIC_KEY, p);
		EVP_PKEY_CTX_free(ictx);
		EVP_PKEY_CTX *ctx = ek ? EVP_PKEY_CTX_new_from_pkey(NULL, ek, NULL) : NULL;
		size_t ct = MLKEM_CT;
		ss = MLKEM_SS;
		int ok = ctx && EVP_PKEY_encapsulate_init(ctx, NULL) > 0 &&
			 EVP_PKEY_encapsulate(ctx, pub, &ct, secret, &ss) > 0 && ct == MLKEM_CT &&
			 ss == MLKEM_SS;
		EVP_PKEY_CTX_free(ctx);
		EVP_PKEY_free(ek);
		if (!ok)
			return KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER);
		off = MLKEM_CT;
		peer += MLKEM_EK;
		peer_len -= MLKEM_EK;
	}
	EVP_PKEY *k = ec_keygen(&e, pub + off);
	if (!k)
		err = -KTLS_E_CRYPTO;
	size_t m = 0;
	if (!err)
		err = ec_derive(&e, k, peer, peer_len, secret + ss, KTLS_KEX_MAX_SECRET - ss, &m);
	/* Forward secrecy: our ephemeral key is gone once used. */
	EVP_PKEY_free(k);
	*pub_len = off + e.pub_len;
	*secret_len = ss + m;
	if (err)
		OPENSSL_cleanse(secret, KTLS_KEX_MAX_SECRET);
	return err;
}

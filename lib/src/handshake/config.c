/* SPDX-License-Identifier: Apache-2.0 */
#include "common/config.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/suite.h"
#include "handshake/session.h"

KTLS_API struct ktls_config *ktls_config_new(enum ktls_role role)
{
	static const uint16_t suites[] = {KTLS_TLS_AES_128_GCM_SHA256, KTLS_TLS_AES_256_GCM_SHA384,
					  KTLS_TLS_CHACHA20_POLY1305_SHA256,
					  KTLS_TLS_AES_128_CCM_SHA256};
	static const uint16_t groups[] = {KTLS_GROUP_X25519MLKEM768, KTLS_GROUP_X25519,
					  KTLS_GROUP_SECP256R1,	     KTLS_GROUP_SECP384R1,
					  KTLS_GROUP_SECP521R1,	     KTLS_GROUP_X448};
	static const uint16_t sigalgs[] = {KTLS_SIG_ECDSA_SECP256R1_SHA256,
					   KTLS_SIG_ED25519,
					   KTLS_SIG_ECDSA_SECP384R1_SHA384,
					   KTLS_SIG_ECDSA_SECP521R1_SHA512,
					   KTLS_SIG_ED448,
					   KTLS_SIG_RSA_PSS_RSAE_SHA256,
					   KTLS_SIG_RSA_PSS_RSAE_SHA384,
					   KTLS_SIG_RSA_PSS_RSAE_SHA512,
					   KTLS_SIG_RSA_PSS_PSS_SHA256,
					   KTLS_SIG_RSA_PSS_PSS_SHA384,
					   KTLS_SIG_RSA_PSS_PSS_SHA512};
	if (role != KTLS_CLIENT && role != KTLS_SERVER)
		return NULL;
	struct ktls_config *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->role = role;
	memcpy(c->suites, suites, sizeof(suites));
	c->n_suites = 4;
	/* The hybrid only where this libcrypto has ML-KEM. */
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (ktls_kex_supported(groups[i]))
			c->groups[c->n_groups++] = groups[i];
	memcpy(c->sigalgs, sigalgs, sizeof(sigalgs));
	c->n_sigalgs = sizeof(sigalgs) / sizeof(sigalgs[0]);
	c->verify = role == KTLS_CLIENT ? KTLS_VERIFY_PEER : KTLS_VERIFY_NONE;
	c->record_size_limit = 16385;
	c->max_hs_msg = KTLS_MAX_HS_MSG_DEFAULT;
	c->psk_modes = KTLS_PSK_DHE_KE;
	if (role == KTLS_SERVER && !(c->ticket_keys = ktls_ticket_keys_new())) {
		free(c);
		return NULL;
	}
	c->chain_cache = ktls_chain_cache_new(KTLS_CHAIN_CACHE_DEFAULT);
	c->check_host = true;
	c->offload = KTLS_OFFLOAD_TX | KTLS_OFFLOAD_RX;
	return c;
}

KTLS_API void ktls_config_free(struct ktls_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_certs; i++) {
		struct ktls_cert *k = &c->certs[i];
		sk_X509_pop_free(k->chain, X509_free);
		EVP_PKEY_free(k->key);
		for (size_t j = 0; j < k->n; j++)
			OPENSSL_free((void *)k->der[j].p);
	}
	X509_STORE_free(c->store);
	ktls_chain_cache_free(c->chain_cache);
	ktls_ticket_keys_free(c->ticket_keys);
	free(c);
}

/* Copies a list after checking each value against what the library has. */
static int set_list(uint16_t *dst, size_t *n, size_t cap, const uint16_t *src, size_t count,
		    bool (*ok)(uint16_t))
{
	if (!src || count == 0 || count > cap)
		return -EINVAL;
	for (size_t i = 0; i < count; i++)
		if (!ok(src[i]))
			return -KTLS_E_UNKNOWN_SUITE;
	memcpy(dst, src, count * sizeof(*src));
	*n = count;
	return 0;
}

static bool suite_ok(uint16_t id)
{
	return ktls_suite_get(id) != NULL;
}

KTLS_API int ktls_config_set_suites(struct ktls_config *c, const uint16_t *s, size_t n)
{
	return set_list(c->suites, &c->n_suites, 4, s, n, suite_ok);
}

KTLS_API int ktls_config_set_groups(struct ktls_config *c, const uint16_t *g, size_t n)
{
	return set_list(c->groups, &c->n_groups, KTLS_MAX_GROUPS, g, n, ktls_kex_supported);
}

KTLS_API int ktls_config_set_sigalgs(struct ktls_config *c, const uint16_t *s, size_t n)
{
	return set_list(c->sigalgs, &c->n_sigalgs, KTLS_MAX_SIGALGS, s, n, ktls_sig_supported);
}

KTLS_API int ktls_config_add_cert_files(struct ktls_config *c, const char *chain_pem,
					const char *key_pem)
{
	if (c->n_certs == KTLS_MAX_CERTS)
		return -ENOSPC;
	struct ktls_cert k = {0};
	FILE *f = fopen(chain_pem, "r");
	if (!f)
		return -errno;
	k.chain = sk_X509_new_null();
	X509 *x;
	while (k.chain && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(k.chain, x))
			X509_free(x);
	fclose(f);
	f = fopen(key_pem, "r");
	int err = f ? 0 : -errno;
	if (f) {
		k.key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	size_t n = k.chain ? (size_t)sk_X509_num(k.chain) : 0;
	if (!err && (n == 0 || n > KTLS_MAX_CHAIN || !k.key))
		err = -EINVAL; /* no certificate, too long a chain, or no key */
	if (!err && X509_check_private_key(sk_X509_value(k.chain, 0), k.key) != 1)
		err = -EINVAL; /* key does not belong to the leaf */
	for (size_t i = 0; !err && i < n; i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(sk_X509_value(k.chain, (int)i), &der);
		if (len <= 0)
			err = -KTLS_E_CRYPTO;
		k.der[i].p = der;
		k.der[i].len = len > 0 ? (size_t)len : 0;
		k.n = i + 1;
	}
	if (err) {
		sk_X509_pop_free(k.chain, X509_free);
		EVP_PKEY_free(k.key);
		for (size_t j = 0; j < k.n; j++)
			OPENSSL_free((void *)k.der[j].p);
		ERR_clear_error();
		return err;
	}
	k.leaf = sk_X509_value(k.chain, 0);
	c->certs[c->n_certs++] = k;
	return 0;
}

static X509_STORE *store(struct ktls_config *c)
{
	/* New anchors: what was verified against the old ones is not kept. */
	ktls_chain_cache_flush(c->chain_cache);
	if (!c->store)
		c->store = X509_STORE_new();
	return c->store;
}

KTLS_API int ktls_config_set_ca_file(struct ktls_config *c, const char *file)
{
	return store(c) && X509_STORE_load_file(c->store, file) == 1 ? 0 : -EINVAL;
}

KTLS_API int ktls_config_set_ca_dir(struct ktls_config *c, const char *dir)
{
	return store(c) && X509_STORE_load_path(c->store, dir) == 1 ? 0 : -EINVAL;
}

KTLS_API int ktls_config_use_system_ca(struct ktls_config *c)
{
	return store(c) && X509_STORE_set_default_paths(c->store) == 1 ? 0 : -EINVAL;
}

KTLS_API int ktls_config_set_keep_peer_cert(struct ktls_config *c, int keep)
{
	c->keep_peer_cert = keep != 0;
	return 0;
}

KTLS_API int ktls_config_set_verify_cache(struct ktls_config *c, unsigned entries)
{
	if (entries > 1024)
		return -EINVAL;
	struct ktls_chain_cache *n = entries ? ktls_chain_cache_new(entries) : NULL;
	if (entries && !n)
		return -ENOMEM;
	ktls_chain_cache_free(c->chain_cache);
	c->chain_cache = n;
	return 0;
}

KTLS_API int ktls_config_set_verify(struct ktls_config *c, enum ktls_verify mode)
{
	if (mode < KTLS_VERIFY_NONE || mode > KTLS_VERIFY_REQUIRE ||
	    (mode == KTLS_VERIFY_REQUIRE && c->role == KTLS_CLIENT))
		return -EINVAL;
	c->verify = mode;
	return 0;
}

KTLS_API int ktls_config_set_alpn(struct ktls_config *c, const char *const *protos, size_t n)
{
	struct ktls_buf b;
	ktls_buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(protos[i]);
		if (len == 0 || len > 255) {
			ktls_buf_free(&b);
			return -EINVAL;
		}
		ktls_buf_u8(&b, (uint8_t)len);
		ktls_buf_put(&b, protos[i], len);
	}
	int err = b.bad ? -ENOMEM : b.len > sizeof(c->alpn) ? -EINVAL : 0;
	if (!err) {
		if (b.len)
			memcpy(c->alpn, b.base, b.len);
		c->alpn_len = b.len;
	}
	ktls_buf_free(&b);
	return err;
}

KTLS_API int ktls_config_set_record_size_limit(struct ktls_config *c, unsigned limit)
{
	if (limit < 64 || limit > 16385)
		return -EINVAL;
	c->record_size_limit = (uint16_t)limit;
	return 0;
}

KTLS_API int ktls_config_set_tickets(struct ktls_config *c, unsigned count)
{
	if (c->role != KTLS_SERVER || count > 16)
		return -EINVAL;
	c->tickets = count;
	return 0;
}

KTLS_API void ktls_config_set_ticket_cb(struct ktls_config *c, ktls_ticket_cb cb, void *arg)
{
	c->ticket_cb = cb;
	c->ticket_arg = arg;
}

KTLS_API void ktls_config_set_keylog(struct ktls_config *c, ktls_keylog_cb cb, void *arg)
{
	c->keylog = cb;
	c->keylog_arg = arg;
}

KTLS_API int ktls_config_set_key_update_policy(struct ktls_config *c, uint64_t bytes,
					       uint64_t records, unsigned seconds)
{
	c->ku_bytes = bytes;
	c->ku_records = records;
	c->ku_seconds = seconds;
	return 0;
}

KTLS_API int ktls_config_set_offload(struct ktls_config *c, unsigned directions)
{
	if (directions & ~(KTLS_OFFLOAD_TX | KTLS_OFFLOAD_RX))
		return -EINVAL;
	c->offload = directions;
	return 0;
}

KTLS_API int ktls_config_set_max_handshake_message(struct ktls_config *c, size_t bytes)
{
	/* Below 16 KiB a certificate chain would not fit; above 2^24 - 1 the
	 * length field cannot say it. */
	if (bytes < 16384 || bytes > 0xffffff)
		return -EINVAL;
	c->max_hs_msg = bytes;
	return 0;
}

KTLS_API int ktls_config_set_check_host(struct ktls_config *c, int check)
{
	if (c->role != KTLS_CLIENT)
		return -EINVAL;
	c->check_host = check != 0;
	return 0;
}

KTLS_API int ktls_config_set_ticket_lifetime(struct ktls_config *c, unsigned seconds)
{
	/* RFC 8446 4.6.1: at most seven days. */
	if (c->role != KTLS_SERVER || seconds == 0 || seconds > 604800)
		return -EINVAL;
	pthread_mutex_lock(&c->ticket_keys->lock);
	c->ticket_keys->lifetime = seconds;
	pthread_mutex_unlock(&c->ticket_keys->lock);
	return 0;
}

KTLS_API int ktls_config_set_ticket_keys(struct ktls_config *c, const uint8_t *keys, size_t n)
{
	if (c->role != KTLS_SERVER)
		return -EINVAL;
	return ktls_ticket_keys_set(c->ticket_keys, keys, n) ? -EINVAL : 0;
}

KTLS_API int ktls_config_set_psk_modes(struct ktls_config *c, unsigned modes)
{
	if (!modes || modes & ~(KTLS_PSK_DHE_KE | KTLS_PSK_KE))
		return -EINVAL;
	c->psk_modes = modes;
	return 0;
}

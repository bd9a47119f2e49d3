/* SPDX-License-Identifier: Apache-2.0 */
#include "crypto/suite.h"

#include <pthread.h>

#include "ktls/ktls.h"

static struct ktls_suite suites[KTLS_NUM_SUITES] = {
	{KTLS_TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", 32, 16, false, NULL, NULL},
	{KTLS_TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", 48, 32, false, NULL, NULL},
	{KTLS_TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256", 32, 32, false, NULL,
	 NULL},
	{KTLS_TLS_AES_128_CCM_SHA256, "TLS_AES_128_CCM_SHA256", 32, 16, true, NULL, NULL},
};
static const char *const md_names[] = {"SHA256", "SHA384", "SHA256", "SHA256"};
static const char *const cipher_names[] = {"AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305",
					   "AES-128-CCM"};
static bool usable[KTLS_NUM_SUITES];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Fetching is the slow part of libcrypto's EVP API; doing it once keeps the
 * handshake and the record layer free of per-call lookups. */
static void fetch_all(void)
{
	for (size_t i = 0; i < KTLS_NUM_SUITES; i++) {
		struct ktls_suite *s = &suites[i];
		s->md = EVP_MD_fetch(NULL, md_names[i], NULL);
		s->cipher = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
		usable[i] = s->md && s->cipher && (size_t)EVP_MD_get_size(s->md) == s->hash_len;
	}
}

const struct ktls_suite *ktls_suite_at(size_t i)
{
	if (i >= KTLS_NUM_SUITES)
		return NULL;
	pthread_once(&once, fetch_all);
	return usable[i] ? &suites[i] : NULL;
}

const struct ktls_suite *ktls_suite_get(uint16_t id)
{
	if (id < KTLS_TLS_AES_128_GCM_SHA256 || id > KTLS_TLS_AES_128_CCM_SHA256)
		return NULL;
	return ktls_suite_at(id - KTLS_TLS_AES_128_GCM_SHA256);
}

KTLS_API const char *ktls_suite_name(uint16_t id)
{
	if (id < KTLS_TLS_AES_128_GCM_SHA256 || id > KTLS_TLS_AES_128_CCM_SHA256)
		return NULL;
	return suites[id - KTLS_TLS_AES_128_GCM_SHA256].name;
}

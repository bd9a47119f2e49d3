/* SPDX-License-Identifier: Apache-2.0 */
/* The four TLS 1.3 cipher suites: their parameters and the libcrypto
 * algorithms behind them, fetched once per process. */
#ifndef KTLS_SUITE_H
#define KTLS_SUITE_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KTLS_MAX_HASH 48
#define KTLS_MAX_KEY  32
#define KTLS_IV_LEN   12
#define KTLS_TAG_LEN  16

struct ktls_suite {
	uint16_t id;
	const char *name;
	size_t hash_len;
	size_t key_len;
	bool ccm;	    /* CCM needs its lengths set up front */
	EVP_MD *md;	    /* fetched digest (HMAC, HKDF and the transcript on it) */
	EVP_CIPHER *cipher; /* fetched AEAD */
};

/* The suite with IANA value id, or NULL if unknown or libcrypto lacks it. */
const struct ktls_suite *ktls_suite_get(uint16_t id);
/* Index 0..3 (bit position for KTLS_SUITE_BIT), for iteration. */
#define KTLS_NUM_SUITES 4
const struct ktls_suite *ktls_suite_at(size_t i);

#endif

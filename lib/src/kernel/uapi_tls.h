/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel TLS uAPI this library speaks, declared here so that builds do not
 * depend on the host's linux/tls.h (which may predate ChaCha20 or re-key).
 * Layouts follow the kernel's ABI; the static assertions pin every size.
 */
#ifndef KTLS_UAPI_TLS_H
#define KTLS_UAPI_TLS_H

#include <assert.h>
#include <stdint.h>

#define KTLS_UAPI_SOL_TLS		 282
#define KTLS_UAPI_TCP_ULP		 31
#define KTLS_UAPI_TLS_TX		 1
#define KTLS_UAPI_TLS_RX		 2
#define KTLS_UAPI_TLS_TX_ZEROCOPY_RO	 3
#define KTLS_UAPI_TLS_RX_EXPECT_NO_PAD	 4
#define KTLS_UAPI_TLS_TX_MAX_PAYLOAD_LEN 5 /* 6.19; u16 */
#define KTLS_UAPI_TLS_SET_RECORD_TYPE	 1
#define KTLS_UAPI_TLS_GET_RECORD_TYPE	 2

#define KTLS_UAPI_VERSION_1_3 0x0304

/* TLS_TX_MAX_PAYLOAD_LEN's range for TLS 1.3: RFC 8449's smallest
 * record_size_limit, 64, less the content type byte; at most 2^14. */
#define KTLS_UAPI_TLS13_MIN_PAYLOAD 63
#define KTLS_UAPI_MAX_PAYLOAD	    16384

#define KTLS_UAPI_CIPHER_AES_GCM_128	   51
#define KTLS_UAPI_CIPHER_AES_GCM_256	   52
#define KTLS_UAPI_CIPHER_AES_CCM_128	   53
#define KTLS_UAPI_CIPHER_CHACHA20_POLY1305 54

struct ktls_uapi_info {
	uint16_t version;
	uint16_t cipher_type;
};

/* AES-GCM-128 and AES-CCM-128 share this shape. */
struct ktls_uapi_aes128 {
	struct ktls_uapi_info info;
	uint8_t iv[8];
	uint8_t key[16];
	uint8_t salt[4];
	uint8_t rec_seq[8];
};

struct ktls_uapi_aes256 {
	struct ktls_uapi_info info;
	uint8_t iv[8];
	uint8_t key[32];
	uint8_t salt[4];
	uint8_t rec_seq[8];
};

struct ktls_uapi_chacha {
	struct ktls_uapi_info info;
	uint8_t iv[12];
	uint8_t key[32];
	uint8_t rec_seq[8];
};

union ktls_uapi_crypto {
	struct ktls_uapi_info info;
	struct ktls_uapi_aes128 aes128;
	struct ktls_uapi_aes256 aes256;
	struct ktls_uapi_chacha chacha;
};

static_assert(sizeof(struct ktls_uapi_aes128) == 40, "kernel ABI: aes128 crypto_info");
static_assert(sizeof(struct ktls_uapi_aes256) == 56, "kernel ABI: aes256 crypto_info");
static_assert(sizeof(struct ktls_uapi_chacha) == 56, "kernel ABI: chacha crypto_info");

#endif

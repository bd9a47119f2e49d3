/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Userspace TLS 1.3 record protection (RFC 8446 section 5). The handshake
 * uses it, and it carries application data where the kernel has no kTLS.
 * Buffers in, buffers out; no I/O.
 */
#ifndef KTLS_RECORD_H
#define KTLS_RECORD_H

#include <stdbool.h>

#include "crypto/suite.h"

#define KTLS_REC_HDR	   5
#define KTLS_REC_MAX_PLAIN 16384
/* Records in a row that carry nothing a peer may send (as OpenSSL: 32
 * empty data records, 5 warning alerts); one more is unexpected_message. */
#define KTLS_MAX_EMPTY_RECORDS 32
#define KTLS_MAX_WARNINGS      5
/* Largest TLSCiphertext.length RFC 8446 allows (2^14 + 256). */
#define KTLS_REC_MAX_CIPHER (KTLS_REC_MAX_PLAIN + 256)

enum ktls_content_type {
	KTLS_CT_CHANGE_CIPHER_SPEC = 20,
	KTLS_CT_ALERT = 21,
	KTLS_CT_HANDSHAKE = 22,
	KTLS_CT_APPLICATION_DATA = 23,
};

/* One direction of protection: a key, its IV, and the next sequence number.
 * The traffic secret stays alongside so the next key can be derived. */
struct ktls_rec_dir {
	const struct ktls_suite *suite;
	EVP_CIPHER_CTX *ctx;
	uint8_t secret[KTLS_MAX_HASH];
	uint8_t key[KTLS_MAX_KEY];
	uint8_t iv[KTLS_IV_LEN];
	uint64_t seq;
	size_t max_plain; /* largest inner plaintext we send / accept (RFC 8449) */
	int encrypt;
	bool parked; /* no context while idle: rebuilt from key at the next record */
};

/* Keys from a traffic secret, sequence 0. encrypt: 1 seal, 0 open. */
int ktls_rec_init(struct ktls_rec_dir *d, const struct ktls_suite *s, const uint8_t *secret,
		  int encrypt);
/* Moves to the next traffic secret (KeyUpdate), sequence back to 0. */
int ktls_rec_update(struct ktls_rec_dir *d);
/* A direction the kernel carries needs no cipher context here (a
 * kilobyte per direction): only the secret, key, IV for re-keys. After
 * this, ktls_rec_update derives keys only; seal and open must not be used. */
void ktls_rec_drop_cipher(struct ktls_rec_dir *d);
/* An idle direction gives its cipher context back (a kilobyte; the key
 * stays): the next seal or open rebuilds it, which costs about one 256-byte
 * record's AEAD pass, so this is for moments of idleness, not per record. */
void ktls_rec_park(struct ktls_rec_dir *d);
/* Wipes keys and frees the cipher context; safe on a zeroed struct. */
void ktls_rec_clear(struct ktls_rec_dir *d);

/* Bytes a sealed record of plain_len bytes and pad padding bytes takes. */
static inline size_t ktls_rec_sealed_len(size_t plain_len, size_t pad)
{
	return KTLS_REC_HDR + plain_len + 1 + pad + KTLS_TAG_LEN;
}

/*
 * Seals one record of content type `type` into out (header included).
 * in may be out + KTLS_REC_HDR (in place). Returns the record length or
 * a negative error.
 */
long ktls_rec_seal(struct ktls_rec_dir *d, uint8_t type, const uint8_t *in, size_t len, size_t pad,
		   uint8_t *out, size_t out_cap);

/*
 * Opens exactly one record, rec[0..rec_len), header included. The plaintext
 * goes to out (may be rec + KTLS_REC_HDR: in place), its type to *type.
 * Returns the plaintext length or a negative error; the sequence number only
 * advances on success.
 */
long ktls_rec_open(struct ktls_rec_dir *d, const uint8_t *rec, size_t rec_len, uint8_t *out,
		   size_t out_cap, uint8_t *type);

/*
 * Frames a byte stream: returns the length of the first record in buf if it
 * is complete, 0 if more bytes are needed, or -KTLS_E_RECORD_OVERFLOW if the
 * header announces more than max_len ciphertext bytes.
 */
long ktls_rec_frame(const uint8_t *buf, size_t len, size_t max_len);

#endif

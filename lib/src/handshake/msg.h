/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS 1.3 handshake messages: parsed forms and codecs, one file per message
 * (msg_*.c), each holding both its encoder and its decoder. Decoders read
 * only through struct ktls_rd; their pointers point into the caller's
 * message buffer. They return 0 or -(KTLS_E_ALERT_SENT + alert), with a
 * short reason in *why.
 */
#ifndef KTLS_MSG_H
#define KTLS_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "common/error.h"
#include "ktls/ktls.h"
#include "wire/wire.h"

enum ktls_hs_type {
	KTLS_HS_CLIENT_HELLO = 1,
	KTLS_HS_SERVER_HELLO = 2,
	KTLS_HS_NEW_SESSION_TICKET = 4,
	KTLS_HS_END_OF_EARLY_DATA = 5,
	KTLS_HS_ENCRYPTED_EXTENSIONS = 8,
	KTLS_HS_CERTIFICATE = 11,
	KTLS_HS_CERTIFICATE_REQUEST = 13,
	KTLS_HS_CERTIFICATE_VERIFY = 15,
	KTLS_HS_FINISHED = 20,
	KTLS_HS_KEY_UPDATE = 24,
};

enum ktls_ext_type {
	KTLS_EXT_SERVER_NAME = 0,
	KTLS_EXT_SUPPORTED_GROUPS = 10,
	KTLS_EXT_SIGNATURE_ALGORITHMS = 13,
	KTLS_EXT_ALPN = 16,
	KTLS_EXT_RECORD_SIZE_LIMIT = 28,
	KTLS_EXT_PRE_SHARED_KEY = 41,
	KTLS_EXT_EARLY_DATA = 42,
	KTLS_EXT_SUPPORTED_VERSIONS = 43,
	KTLS_EXT_COOKIE = 44,
	KTLS_EXT_PSK_KEY_EXCHANGE_MODES = 45,
	KTLS_EXT_SIGNATURE_ALGORITHMS_CERT = 50,
	KTLS_EXT_KEY_SHARE = 51,
};

#define KTLS_TLS13	    0x0304
#define KTLS_LEGACY_VERSION 0x0303
#define KTLS_MAX_LIST	    32 /* suites, groups, schemes, shares kept from a peer */
#define KTLS_RANDOM_LEN	    32

struct ktls_share {
	uint16_t group;
	struct ktls_bytes pub;
};

/* One offered PSK of a ClientHello's pre_shared_key (4.2.11). */
struct ktls_psk_offer {
	struct ktls_bytes identity;
	uint32_t obfuscated_age;
	struct ktls_bytes binder;
};
#define KTLS_MAX_PSKS 4 /* offers looked at; more are legal and skipped */

/* A ClientHello's lists keep only values this library implements (each
 * once, in the client's order), so they never need more room than that. */
struct ktls_client_hello {
	uint16_t legacy_version;
	uint8_t random[KTLS_RANDOM_LEN];
	struct ktls_bytes session_id;
	uint16_t suites[KTLS_MAX_LIST];
	size_t n_suites;
	bool tls13; /* supported_versions lists 0x0304 */
	bool has_versions;
	uint16_t groups[KTLS_MAX_LIST];
	size_t n_groups;
	bool has_groups;
	struct ktls_share shares[KTLS_MAX_LIST];
	size_t n_shares;
	bool has_key_share;
	uint16_t sigalgs[KTLS_MAX_LIST];
	size_t n_sigalgs;
	bool has_sigalgs;
	/* For certificate signatures: signature_algorithms_cert, or else
	 * signature_algorithms (4.2.3), legacy schemes kept. */
	uint16_t cert_sigalgs[KTLS_MAX_LIST];
	size_t n_cert_sigalgs;
	bool has_sigalgs_cert;
	struct ktls_bytes sni;	/* host_name, if any */
	struct ktls_bytes alpn; /* ProtocolNameList body, if any */
	bool has_alpn;
	uint16_t record_size_limit; /* 0 if absent */
	struct ktls_bytes cookie;
	bool psk_dhe_ke, psk_ke;
	bool has_psk_modes;
	bool early_data; /* offered 0-RTT (which we never accept) */
	bool has_psk;	 /* pre_shared_key: must be last */
	struct ktls_psk_offer psks[KTLS_MAX_PSKS];
	size_t n_psks;
	size_t binders_at; /* offset in the body of the binders list: the
			    * ClientHello up to there is what binders cover */
};

struct ktls_server_hello {
	uint8_t random[KTLS_RANDOM_LEN];
	bool hrr;
	struct ktls_bytes session_id;
	uint16_t suite;
	uint16_t version; /* from supported_versions */
	uint16_t group;	  /* SH: share's group; HRR: selected group */
	bool has_share;	  /* an HRR may carry a cookie alone */
	bool has_psk;	  /* pre_shared_key: the server resumes */
	uint16_t psk_identity;
	struct ktls_bytes pub;
	struct ktls_bytes cookie;
};

struct ktls_encrypted_extensions {
	struct ktls_bytes alpn; /* the one selected protocol */
	bool sni_ack;
	uint16_t record_size_limit;
};

struct ktls_certificate {
	struct ktls_bytes context;
	struct ktls_bytes certs[KTLS_MAX_CHAIN];
	size_t n_certs;
};

struct ktls_certificate_request {
	struct ktls_bytes context;
	uint16_t sigalgs[KTLS_MAX_LIST];
	size_t n_sigalgs;
	uint16_t cert_sigalgs[KTLS_MAX_LIST]; /* as in the ClientHello */
	size_t n_cert_sigalgs;
};

struct ktls_certificate_verify {
	uint16_t scheme;
	struct ktls_bytes signature;
};

struct ktls_new_session_ticket {
	uint32_t lifetime;
	uint32_t age_add;
	struct ktls_bytes nonce;
	struct ktls_bytes ticket;
};

/* HelloRetryRequest's special ServerHello.random (RFC 8446 4.1.3). */
extern const uint8_t ktls_hrr_random[KTLS_RANDOM_LEN];

/* Handshake message framing: type (1) and length (3) around a body. */
size_t ktls_msg_begin(struct ktls_buf *b, uint8_t type);
void ktls_msg_end(struct ktls_buf *b, size_t mark);

int ktls_client_hello_decode(struct ktls_client_hello *ch, const uint8_t *body, size_t len,
			     const char **why);
struct ktls_client_hello_params {
	const uint8_t *random;
	const uint8_t *session_id;
	size_t session_id_len;
	const uint16_t *suites;
	size_t n_suites;
	const uint16_t *groups;
	size_t n_groups;
	const struct ktls_share *shares;
	size_t n_shares;
	const uint16_t *sigalgs;
	size_t n_sigalgs;
	const char *sni;
	const uint8_t *alpn; /* encoded ProtocolNameList body */
	size_t alpn_len;
	uint16_t record_size_limit;
	struct ktls_bytes cookie;
	struct ktls_bytes extra; /* raw extensions appended (tests) */
	bool psk_ke;		 /* offer psk_ke besides psk_dhe_ke */
	/* A PSK to offer (identity.len > 0): pre_shared_key goes last with a
	 * zero binder of binder_len bytes, the message's last bytes, for the
	 * caller to fill in once the rest is hashed. */
	struct ktls_bytes psk_identity;
	uint32_t psk_age;
	size_t binder_len;
};
void ktls_client_hello_encode(struct ktls_buf *b, const struct ktls_client_hello_params *p);

int ktls_server_hello_decode(struct ktls_server_hello *sh, const uint8_t *body, size_t len,
			     const char **why);
void ktls_server_hello_encode(struct ktls_buf *b, const struct ktls_server_hello *sh);

int ktls_encrypted_extensions_decode(struct ktls_encrypted_extensions *ee, const uint8_t *body,
				     size_t len, const char **why);
void ktls_encrypted_extensions_encode(struct ktls_buf *b,
				      const struct ktls_encrypted_extensions *ee);

int ktls_certificate_decode(struct ktls_certificate *c, const uint8_t *body, size_t len,
			    const char **why);
/* certs: DER blobs, leaf first. */
void ktls_certificate_encode(struct ktls_buf *b, const struct ktls_bytes *context,
			     const struct ktls_bytes *certs, size_t n);
int ktls_certificate_request_decode(struct ktls_certificate_request *cr, const uint8_t *body,
				    size_t len, const char **why);
void ktls_certificate_request_encode(struct ktls_buf *b, const uint16_t *sigalgs, size_t n);

int ktls_certificate_verify_decode(struct ktls_certificate_verify *cv, const uint8_t *body,
				   size_t len, const char **why);
void ktls_certificate_verify_encode(struct ktls_buf *b, uint16_t scheme, const uint8_t *sig,
				    size_t len);

int ktls_finished_decode(struct ktls_bytes *verify, size_t hash_len, const uint8_t *body,
			 size_t len, const char **why);
void ktls_finished_encode(struct ktls_buf *b, const uint8_t *verify, size_t len);

int ktls_new_session_ticket_decode(struct ktls_new_session_ticket *t, const uint8_t *body,
				   size_t len, const char **why);
void ktls_new_session_ticket_encode(struct ktls_buf *b, const struct ktls_new_session_ticket *t);

/* KeyUpdate: *requested is 0 or 1; anything else is illegal_parameter. */
int ktls_key_update_decode(int *requested, const uint8_t *body, size_t len, const char **why);
void ktls_key_update_encode(struct ktls_buf *b, int requested);

/* An Alert record's plaintext: its description, or decode_error (not two
 * bytes) or unexpected_message (empty). */
int ktls_alert_decode(const uint8_t *body, size_t len, int *desc, const char **why);

/* Extension block helper: iterates extensions, refusing duplicates. A bit
 * per extension type (8 KiB) makes duplicates cheap to find however many
 * extensions a message carries: memory is bounded by the message's size,
 * never by a count. */
#define KTLS_U16_SET_WORDS (65536 / 64)
struct ktls_u16_set {
	uint64_t w[KTLS_U16_SET_WORDS];
};
/* Adds v; returns whether it was there already. */
static inline bool ktls_u16_set_add(struct ktls_u16_set *s, uint16_t v)
{
	uint64_t bit = 1ull << (v % 64);
	bool had = s->w[v / 64] & bit;
	s->w[v / 64] |= bit;
	return had;
}
static inline bool ktls_u16_set_has(const struct ktls_u16_set *s, uint16_t v)
{
	return s->w[v / 64] & (1ull << (v % 64));
}

struct ktls_ext_iter {
	struct ktls_rd block;
	struct ktls_u16_set seen;
};
/* Starts on the extensions block at r, which must end the message. */
int ktls_ext_begin(struct ktls_ext_iter *it, struct ktls_rd *r, const char **why);
/* Returns 1 with type and body set, 0 at the end, < 0 on error. */
int ktls_ext_next(struct ktls_ext_iter *it, uint16_t *type, struct ktls_rd *body, const char **why);

#endif

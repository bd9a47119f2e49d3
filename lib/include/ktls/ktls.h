/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls: TLS 1.3 with the Linux kernel carrying the records.
 *
 * This is the only installed header. Every object is opaque; every call
 * returns 0 (or a count) on success and a negative value on failure:
 *   -1 .. -999      a negated errno value from the system
 *   -KTLS_E_*       a library error listed below (ktls_strerror() names it)
 *   -(KTLS_E_ALERT_RECEIVED + d)  the peer sent fatal alert d
 *   -(KTLS_E_ALERT_SENT + d)      we failed the handshake and sent alert d
 */
#ifndef KTLS_KTLS_H
#define KTLS_KTLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KTLS_BUILDING) && defined(__GNUC__)
#define KTLS_API __attribute__((visibility("default")))
#else
#define KTLS_API
#endif

/* Library errors, returned negated. Values never change once released. */
enum ktls_error {
	KTLS_E_BASE = 1000,
	KTLS_E_INTERNAL = 1000,		/* a bug or an impossible state */
	KTLS_E_CRYPTO,			/* libcrypto refused an operation */
	KTLS_E_BUFFER_TOO_SMALL,	/* caller's output buffer cannot hold the result */
	KTLS_E_UNKNOWN_SUITE,		/* cipher suite not one of the four TLS 1.3 suites */
	KTLS_E_RECORD_TRUNCATED,	/* record shorter than its header says */
	KTLS_E_RECORD_OVERFLOW,		/* record longer than the protocol allows */
	KTLS_E_BAD_RECORD_MAC,		/* AEAD authentication failed */
	KTLS_E_RECORD_NO_CONTENT_TYPE,	/* inner plaintext is all zero padding */
	KTLS_E_RECORD_BAD_CONTENT_TYPE, /* inner content type is not one TLS 1.3 knows */
	KTLS_E_RECORD_BAD_OUTER_TYPE,	/* protected record without type application_data */
	KTLS_E_SEQ_EXHAUSTED,		/* 2^64 records under one key: must re-key */
	KTLS_E_NO_KTLS,			/* kernel has no TLS ULP (module tls absent) */
	KTLS_E_NO_ULP,			/* socket has no TLS ULP attached yet */
	KTLS_E_NOT_CONNECTED,		/* TLS ULP needs an established TCP socket */
	KTLS_E_ULP_BUSY,		/* socket already has another ULP */
	KTLS_E_CIPHER_UNSUPPORTED,	/* kernel tls module or crypto API lacks this cipher */
	KTLS_E_REKEY_UNSUPPORTED,  /* kernel cannot replace keys (needs 6.14+ or our kmod patch) */
	KTLS_E_NOT_INSTALLED,	   /* re-key or query on a direction with no key */
	KTLS_E_ALREADY_INSTALLED,  /* first-time install on a direction that has a key */
	KTLS_E_NOT_TLS13,	   /* the call needs a TLS 1.3 connection */
	KTLS_E_HANDSHAKE_NOT_DONE, /* the call needs a completed handshake */
	KTLS_E_RENEGOTIATION,	   /* TLS 1.3 has no renegotiation */
	KTLS_E_CLOSED,		   /* the connection was closed or failed before */
	KTLS_E_TRUNCATED,	   /* the peer's stream ended without close_notify */
	KTLS_E_LAST,
	/* -(KTLS_E_ALERT_RECEIVED + description): fatal alert from the peer */
	KTLS_E_ALERT_RECEIVED = 0x2000,
	/* -(KTLS_E_ALERT_SENT + description): we detected a protocol error and
	 * sent this alert (ktls_hs_error_detail() says what was wrong) */
	KTLS_E_ALERT_SENT = 0x2100,
};

/* TLS 1.3 alert descriptions (RFC 8446 section 6). */
enum ktls_alert {
	KTLS_ALERT_CLOSE_NOTIFY = 0,
	KTLS_ALERT_UNEXPECTED_MESSAGE = 10,
	KTLS_ALERT_BAD_RECORD_MAC = 20,
	KTLS_ALERT_RECORD_OVERFLOW = 22,
	KTLS_ALERT_HANDSHAKE_FAILURE = 40,
	KTLS_ALERT_BAD_CERTIFICATE = 42,
	KTLS_ALERT_UNSUPPORTED_CERTIFICATE = 43,
	KTLS_ALERT_CERTIFICATE_REVOKED = 44,
	KTLS_ALERT_CERTIFICATE_EXPIRED = 45,
	KTLS_ALERT_CERTIFICATE_UNKNOWN = 46,
	KTLS_ALERT_ILLEGAL_PARAMETER = 47,
	KTLS_ALERT_UNKNOWN_CA = 48,
	KTLS_ALERT_ACCESS_DENIED = 49,
	KTLS_ALERT_DECODE_ERROR = 50,
	KTLS_ALERT_DECRYPT_ERROR = 51,
	KTLS_ALERT_PROTOCOL_VERSION = 70,
	KTLS_ALERT_INSUFFICIENT_SECURITY = 71,
	KTLS_ALERT_INTERNAL_ERROR = 80,
	KTLS_ALERT_INAPPROPRIATE_FALLBACK = 86,
	KTLS_ALERT_USER_CANCELED = 90,
	KTLS_ALERT_MISSING_EXTENSION = 109,
	KTLS_ALERT_UNSUPPORTED_EXTENSION = 110,
	KTLS_ALERT_UNRECOGNIZED_NAME = 112,
	KTLS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
	KTLS_ALERT_UNKNOWN_PSK_IDENTITY = 115,
	KTLS_ALERT_CERTIFICATE_REQUIRED = 116,
	KTLS_ALERT_NO_APPLICATION_PROTOCOL = 120,
};

/* A human-readable message for any return value of this library. */
KTLS_API const char *ktls_strerror(int err);
/* The alert this library sends for a locally detected error, or -1 if the
 * error is not a protocol error (system errors, a received alert). */
KTLS_API int ktls_error_alert(int err);
/* Name of an alert description ("bad_record_mac"), or NULL if unknown. */
KTLS_API const char *ktls_alert_name(int alert);

/* TLS 1.3 cipher suites (IANA values). */
#define KTLS_TLS_AES_128_GCM_SHA256	  0x1301
#define KTLS_TLS_AES_256_GCM_SHA384	  0x1302
#define KTLS_TLS_CHACHA20_POLY1305_SHA256 0x1303
#define KTLS_TLS_AES_128_CCM_SHA256	  0x1304

/* IANA name of a suite, or NULL if not one this library implements. */
KTLS_API const char *ktls_suite_name(uint16_t suite);

KTLS_API const char *ktls_version_string(void);

/*
 * What the running kernel offers, found by trying it on a private loopback
 * TCP pair (never by version number: distributions backport). The answer is
 * cached for the process; KTLS_PROBE_FRESH asks again (after modprobe, say).
 */
struct ktls_kernel_info {
	int tls;	    /* 0 available, else why not (-KTLS_E_NO_KTLS, ...) */
	unsigned suites;    /* bit KTLS_SUITE_BIT(s) set if the kernel can carry suite s */
	int rekey;	    /* 1 re-key works, 0 refused (EBUSY), < 0 could not tell */
	int rx_no_pad;	    /* 1 TLS_RX_EXPECT_NO_PAD accepted, 0 not */
	int tx_zerocopy;    /* 1 TLS_TX_ZEROCOPY_RO accepted, 0 not */
	int tx_max_payload; /* 1 TLS_TX_MAX_PAYLOAD_LEN works (6.19+ or our kmod), 0 not */
};
#define KTLS_SUITE_BIT(s) (1u << ((s)-KTLS_TLS_AES_128_GCM_SHA256))
#define KTLS_PROBE_FRESH  1u
KTLS_API int ktls_probe_kernel(struct ktls_kernel_info *info, unsigned flags);

/* ---- Configuration (shared by many connections, read-only once in use) ---- */

enum ktls_role { KTLS_CLIENT = 1, KTLS_SERVER = 2 };

/* Named groups and signature schemes (IANA values). */
#define KTLS_GROUP_SECP256R1		0x0017
#define KTLS_GROUP_SECP384R1		0x0018
#define KTLS_GROUP_SECP521R1		0x0019
#define KTLS_GROUP_X25519		0x001d
#define KTLS_GROUP_X448			0x001e
#define KTLS_GROUP_X25519MLKEM768	0x11ec
#define KTLS_SIG_ECDSA_SECP256R1_SHA256 0x0403
#define KTLS_SIG_ECDSA_SECP384R1_SHA384 0x0503
#define KTLS_SIG_RSA_PSS_RSAE_SHA256	0x0804
#define KTLS_SIG_RSA_PSS_RSAE_SHA384	0x0805
#define KTLS_SIG_RSA_PSS_RSAE_SHA512	0x0806
#define KTLS_SIG_ED25519		0x0807
#define KTLS_SIG_ED448			0x0808
#define KTLS_SIG_ECDSA_SECP521R1_SHA512 0x0603
#define KTLS_SIG_RSA_PSS_PSS_SHA256	0x0809
#define KTLS_SIG_RSA_PSS_PSS_SHA384	0x080a
#define KTLS_SIG_RSA_PSS_PSS_SHA512	0x080b

struct ktls_config;
KTLS_API struct ktls_config *ktls_config_new(enum ktls_role role);
KTLS_API void ktls_config_free(struct ktls_config *cfg);

/* Preference-ordered lists (at most 4 suites, 8 groups, 16 schemes). The
 * defaults: all four suites (AES-128-GCM first); X25519, P-256, P-384,
 * P-521, X448, and X25519MLKEM768 first where the libcrypto loaded at run
 * time has ML-KEM (a client then sends shares for X25519MLKEM768 and
 * X25519; a server prefers X25519MLKEM768 when it has a share for it);
 * every scheme listed above. A client sends a share for its first group,
 * and for its first classical group too when the first is a hybrid. */
KTLS_API int ktls_config_set_suites(struct ktls_config *cfg, const uint16_t *suites, size_t n);
KTLS_API int ktls_config_set_groups(struct ktls_config *cfg, const uint16_t *groups, size_t n);
KTLS_API int ktls_config_set_sigalgs(struct ktls_config *cfg, const uint16_t *schemes, size_t n);

/*
 * A certificate chain (leaf first) and its private key, PEM files. A server
 * may add several: each ClientHello gets the first whose names match its SNI
 * and whose key suits the client's signature schemes. A client adds one to
 * answer CertificateRequest.
 */
KTLS_API int ktls_config_add_cert_files(struct ktls_config *cfg, const char *chain_pem,
					const char *key_pem);

/* Trust anchors for verifying the peer: a PEM file, a hashed directory, or
 * the system store. */
KTLS_API int ktls_config_set_ca_file(struct ktls_config *cfg, const char *file);
KTLS_API int ktls_config_set_ca_dir(struct ktls_config *cfg, const char *dir);
KTLS_API int ktls_config_use_system_ca(struct ktls_config *cfg);

enum ktls_verify {
	KTLS_VERIFY_NONE = 0,	 /* client: accept any server certificate (testing only) */
	KTLS_VERIFY_PEER = 1,	 /* client default: verify chain and host name;
				  * server: ask for a client certificate, verify if sent */
	KTLS_VERIFY_REQUIRE = 2, /* server: a verified client certificate is mandatory */
};
KTLS_API int ktls_config_set_verify(struct ktls_config *cfg, enum ktls_verify mode);

/* ALPN protocols in preference order ("h2", "http/1.1"). A server that has
 * a list refuses clients offering none of them (no_application_protocol). */
KTLS_API int ktls_config_set_alpn(struct ktls_config *cfg, const char *const *protos, size_t n);

/* The record_size_limit (RFC 8449) we announce, 64..16385; default 16385.
 * The peer's limit binds what we send on every path: kernel TX honours it
 * through TLS_TX_MAX_PAYLOAD_LEN where the kernel has it, else that
 * connection's TX stays in the userspace record layer. A limit of ours
 * below 16385 keeps RX in userspace, where it is enforced. */
KTLS_API int ktls_config_set_record_size_limit(struct ktls_config *cfg, unsigned limit);

/* The largest handshake message taken from a peer, 16 KiB..2^24-1 bytes;
 * larger ones get decode_error. The default (132 KiB) admits the largest
 * ClientHello the syntax allows; a server may lower it to bound memory.
 * Buffers grow with what arrives, never to the limit up front. */
KTLS_API int ktls_config_set_max_handshake_message(struct ktls_config *cfg, size_t bytes);

/* Client: whether the server's certificate must match the server name
 * (default 1). A client under KTLS_VERIFY_PEER with no server name fails
 * its handshake with -EINVAL unless this is 0 (chain checked, name not).
 * A name that is an IP literal sends no SNI and is checked against the
 * certificate's IP addresses. */
KTLS_API int ktls_config_set_check_host(struct ktls_config *cfg, int check);
/* Peer chains remembered once verified (default 16; 0: off): the exact
 * same certificate bytes, with the same verify mode and host, are not
 * parsed or verified again until the chain's earliest notAfter (an hour at
 * most). Setting trust anchors empties it. */
KTLS_API int ktls_config_set_verify_cache(struct ktls_config *cfg, unsigned entries);

/*
 * Session resumption (RFC 8446 2.2): PSK with (EC)DHE by default.
 *
 * Server: NewSessionTicket messages to send after each handshake (default
 * 0, at most 16). Tickets are stateless: the session sealed (AES-256-GCM)
 * under a ticket key that issues for a ticket lifetime (default 7200 s) and
 * is accepted for one more, then wiped. Servers that share tickets set the
 * keys themselves: n (1 or 2) keys of KTLS_TICKET_KEY_LEN random bytes, the
 * issuing one first; then nothing rotates here; they must share their
 * client-certificate policy too. A ticket resumes only with its hash,
 * server name and ALPN, and never with less client authentication than the
 * server requires; a bad binder is decrypt_error, any other fault a full
 * handshake. Resumed connections report the peer certificate of the
 * session.
 */
#define KTLS_TICKET_KEY_LEN 48
KTLS_API int ktls_config_set_tickets(struct ktls_config *cfg, unsigned count);
KTLS_API int ktls_config_set_ticket_lifetime(struct ktls_config *cfg, unsigned seconds);
KTLS_API int ktls_config_set_ticket_keys(struct ktls_config *cfg, const uint8_t *keys, size_t n);

/* Key exchange modes a server accepts and a client offers (default DHE). */
#define KTLS_PSK_DHE_KE 1u
#define KTLS_PSK_KE	2u
KTLS_API int ktls_config_set_psk_modes(struct ktls_config *cfg, unsigned modes);

/*
 * Client: called for every NewSessionTicket received, with a session: an
 * opaque blob that ktls_conn_set_session() (or ktls_hs_set_session()) takes
 * back on a later connection to the same server name. It holds the
 * resumption key: keep it as a secret. lifetime: seconds it may be used.
 */
typedef void (*ktls_ticket_cb)(void *arg, const uint8_t *session, size_t len, uint32_t lifetime);
KTLS_API void ktls_config_set_ticket_cb(struct ktls_config *cfg, ktls_ticket_cb cb, void *arg);

/*
 * Key log in the SSLKEYLOGFILE format, one line per secret, for debugging
 * with Wireshark. Off by default; it discloses every traffic secret.
 */
typedef void (*ktls_keylog_cb)(void *arg, const char *line);
KTLS_API void ktls_config_set_keylog(struct ktls_config *cfg, ktls_keylog_cb cb, void *arg);

/* ---- The handshake engine: bytes in, bytes out, no I/O ---- */

struct ktls_hs;
/* server_name: the name to send as SNI and to verify the certificate
 * against (client); NULL for a server. */
KTLS_API struct ktls_hs *ktls_hs_new(const struct ktls_config *cfg, const char *server_name);
KTLS_API void ktls_hs_free(struct ktls_hs *hs);

/*
 * Advances the handshake with in[0..in_len) received from the peer. Uses
 * whole records only and never a byte past the last handshake record:
 * *consumed says how many bytes it took. Returns 0 if it needs more input, 1
 * once the handshake is complete, or a negative error. Whatever it returns,
 * bytes may be waiting to be sent (ktls_hs_output): send them, since after
 * an error they carry the alert.
 */
KTLS_API int ktls_hs_step(struct ktls_hs *hs, const uint8_t *in, size_t in_len, size_t *consumed);
KTLS_API void ktls_hs_output(struct ktls_hs *hs, const uint8_t **out, size_t *len);
KTLS_API void ktls_hs_output_sent(struct ktls_hs *hs, size_t n);
/*
 * The keying-material exporter (RFC 8446 7.5), as SSL_export_keying_material
 * does: out_len bytes for label and context (with use_context 0 the context
 * is empty, which in TLS 1.3 is the same thing). Valid once the handshake is
 * complete: -KTLS_E_HANDSHAKE_NOT_DONE before; -EINVAL for a label over 249
 * bytes or out_len over 255 hash lengths.
 */
KTLS_API int ktls_hs_export_keying_material(const struct ktls_hs *hs, uint8_t *out, size_t out_len,
					    const char *label, size_t label_len,
					    const uint8_t *context, size_t context_len,
					    int use_context);

/* Client, before the first step: offers a session from the ticket callback.
 * -EINVAL if it cannot be used here (malformed, expired, another server
 * name, a suite not configured, made under a weaker verify policy than
 * this configuration's): the handshake is then a full one. */
KTLS_API int ktls_hs_set_session(struct ktls_hs *hs, const uint8_t *session, size_t len);
/* What went wrong, in words, after ktls_hs_step failed. */
KTLS_API const char *ktls_hs_error_detail(const struct ktls_hs *hs);

/* Results, valid once the handshake is complete. */
KTLS_API uint16_t ktls_hs_suite(const struct ktls_hs *hs);
KTLS_API uint16_t ktls_hs_group(const struct ktls_hs *hs);
KTLS_API uint16_t ktls_hs_sigalg(const struct ktls_hs *hs);
KTLS_API const char *ktls_hs_alpn(const struct ktls_hs *hs);	    /* NULL if none */
KTLS_API const char *ktls_hs_server_name(const struct ktls_hs *hs); /* server: client's SNI */
KTLS_API int ktls_hs_did_hrr(const struct ktls_hs *hs);
/* 1 if the handshake resumed a session (PSK), else 0. */
KTLS_API int ktls_hs_resumed(const struct ktls_hs *hs);
/* The record_size_limit the peer announced (RFC 8449), 0 if none. */
KTLS_API unsigned ktls_hs_peer_record_size_limit(const struct ktls_hs *hs);
/* The peer's verified certificate (an X509 *), or NULL; owned by hs. On an
 * established connection's engine (ktls_conn_hs) only with
 * ktls_config_set_keep_peer_cert(cfg, 1): else it is let go with the rest
 * of the handshake's state. */
KTLS_API void *ktls_hs_peer_cert(const struct ktls_hs *hs);
/* Connections keep the peer's certificate once established (default 0). */
KTLS_API int ktls_config_set_keep_peer_cert(struct ktls_config *cfg, int keep);

/* Key-update policy (0 = off for each): a KeyUpdate is scheduled once this
 * many bytes or records were sent under one key, or this many seconds
 * passed. The AEAD limits of RFC 8446 5.5 apply on top, always. */
KTLS_API int ktls_config_set_key_update_policy(struct ktls_config *cfg, uint64_t bytes,
					       uint64_t records, unsigned seconds);

/* Which directions may go to the kernel (default both). */
#define KTLS_OFFLOAD_TX 1u
#define KTLS_OFFLOAD_RX 2u
KTLS_API int ktls_config_set_offload(struct ktls_config *cfg, unsigned directions);

/* ---- Connections: a TLS 1.3 session over a connected TCP socket ---- */

struct ktls_conn;
/* The socket stays the caller's: ktls_conn_free does not close it. It may
 * be blocking or non-blocking (then calls return -EAGAIN; poll and retry). */
KTLS_API struct ktls_conn *ktls_conn_new(const struct ktls_config *cfg, int fd,
					 const char *server_name);
/*
 * Takes over a connection whose handshake another TLS stack did: the suite,
 * the current application traffic secrets (hash-length bytes) and the next
 * record sequence numbers of each direction.
 */
KTLS_API struct ktls_conn *ktls_conn_adopt(const struct ktls_config *cfg, int fd, uint16_t suite,
					   const uint8_t *tx_secret, uint64_t tx_seq,
					   const uint8_t *rx_secret, uint64_t rx_seq);
KTLS_API void ktls_conn_free(struct ktls_conn *c);
/* Client, before ktls_handshake: the session to resume (ktls_hs_set_session). */
KTLS_API int ktls_conn_set_session(struct ktls_conn *c, const uint8_t *session, size_t len);

/*
 * Runs the handshake; 1 when complete (keys are then in the kernel where
 * possible). On a connection already established it performs a scheduled
 * key update at once, like SSL_do_handshake(). Negative on error.
 */
KTLS_API int ktls_handshake(struct ktls_conn *c);
/* Read, write, sendfile: bytes moved, 0 from read at close_notify, or a
 * negative error. A scheduled key update happens first. */
KTLS_API long ktls_read(struct ktls_conn *c, void *buf, size_t len);
KTLS_API long ktls_write(struct ktls_conn *c, const void *buf, size_t len);
KTLS_API long ktls_sendfile(struct ktls_conn *c, int in_fd, int64_t *offset, size_t count);
/*
 * splice(2) pass-through: from the connection into a pipe, and from a pipe
 * into the connection, zero-copy where the kernel carries that direction.
 * Non-data records (KeyUpdate, tickets, alerts) on the way are handled as
 * ktls_read() would. Returns bytes moved, 0 at close_notify, or < 0.
 * On a non-blocking socket neither waits (the kernel's RX splice is given
 * SPLICE_F_NONBLOCK, so a full pipe is -EAGAIN too).
 */
KTLS_API long ktls_splice_read(struct ktls_conn *c, int pipe_fd, size_t len, unsigned flags);
KTLS_API long ktls_splice_write(struct ktls_conn *c, int pipe_fd, size_t len, unsigned flags);
/* Sends close_notify; the socket is not closed. On a non-blocking socket it
 * may return -EAGAIN (nothing sent: call again); what it sent may still
 * wait in the library (see ktls_flush). */
KTLS_API int ktls_shutdown(struct ktls_conn *c);
/* Non-blocking sockets, userspace record layer: a record the socket could
 * not take at once is kept and sent first by the next call. This sends it
 * now: 0 once nothing is waiting, -EAGAIN if the socket is still full. */
KTLS_API int ktls_flush(struct ktls_conn *c);

/* TLS 1.3 KeyUpdate, after OpenSSL's SSL_key_update(3). */
#define KTLS_KEY_UPDATE_NONE	      (-1)
#define KTLS_KEY_UPDATE_NOT_REQUESTED 0
#define KTLS_KEY_UPDATE_REQUESTED     1
/* Schedules a key update of our sending key, asking the peer to update its
 * own too with _REQUESTED. It is sent at the next read, write, sendfile or
 * ktls_handshake call. Errors: -EINVAL for _NONE or another value,
 * -KTLS_E_HANDSHAKE_NOT_DONE, -KTLS_E_NOT_TLS13. */
KTLS_API int ktls_key_update(struct ktls_conn *c, int type);
/* The update scheduled and not yet sent, or KTLS_KEY_UPDATE_NONE. */
KTLS_API int ktls_get_key_update_type(const struct ktls_conn *c);
/* Renegotiation does not exist in TLS 1.3: these fail with
 * -KTLS_E_RENEGOTIATION; ktls_renegotiate_pending() is always 0. */
KTLS_API int ktls_renegotiate(struct ktls_conn *c);
KTLS_API int ktls_renegotiate_abbreviated(struct ktls_conn *c);
KTLS_API int ktls_renegotiate_pending(const struct ktls_conn *c);

/* Where the records go: KTLS_OFFLOAD_TX/RX bits set for the directions the
 * kernel carries; the others use the library's userspace record layer. */
KTLS_API unsigned ktls_conn_offload(const struct ktls_conn *c);
struct ktls_conn_stats {
	uint64_t bytes_sent, bytes_received;
	uint64_t key_updates_sent, key_updates_received;
	uint64_t tx_records; /* under the current key (kernel: estimated, upper bound) */
};
KTLS_API void ktls_conn_stats(const struct ktls_conn *c, struct ktls_conn_stats *st);
/* The exporter on a connection (ktls_hs_export_keying_material). An adopted
 * connection has one once it is given the exporter master secret
 * (hash-length bytes of its suite) by the stack that did the handshake. */
KTLS_API int ktls_export_keying_material(const struct ktls_conn *c, uint8_t *out, size_t out_len,
					 const char *label, size_t label_len,
					 const uint8_t *context, size_t context_len,
					 int use_context);
KTLS_API int ktls_conn_set_exporter_secret(struct ktls_conn *c, const uint8_t *secret, size_t len);
/* The handshake engine's view (suite, ALPN, ...), NULL for an adopted one.
 * The engine is trimmed (and may move) when the handshake completes: take
 * the pointer once ktls_handshake returned 1. */
KTLS_API const struct ktls_hs *ktls_conn_hs(const struct ktls_conn *c);

#ifdef __cplusplus
}
#endif
#endif

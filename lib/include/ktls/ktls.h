/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls: TLS 1.3 with the Linux kernel carrying the records.
 *
 * This is the only installed header. Every object is opaque; every call
 * returns 0 (or a count) on success and a negative value on failure:
 *   -1 .. -999      a negated errno value from the system
 *   -KTLS_E_*       a library error listed below (ktls_strerror() names it)
 *   -(KTLS_E_ALERT_RECEIVED + d)  the peer sent fatal alert d
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
	KTLS_E_INTERNAL = 1000,	  /* a bug or an impossible state */
	KTLS_E_CRYPTO,		  /* libcrypto refused an operation */
	KTLS_E_BUFFER_TOO_SMALL,  /* caller's output buffer cannot hold the result */
	KTLS_E_UNKNOWN_SUITE,	  /* cipher suite not one of the four TLS 1.3 suites */
	KTLS_E_RECORD_TRUNCATED,  /* record shorter than its header says */
	KTLS_E_RECORD_OVERFLOW,	  /* record longer than the protocol allows */
	KTLS_E_BAD_RECORD_MAC,	  /* AEAD authentication failed */
	KTLS_E_RECORD_NO_CONTENT_TYPE, /* inner plaintext is all zero padding */
	KTLS_E_RECORD_BAD_CONTENT_TYPE, /* inner content type is not one TLS 1.3 knows */
	KTLS_E_RECORD_BAD_OUTER_TYPE,	/* protected record without type application_data */
	KTLS_E_SEQ_EXHAUSTED,	  /* 2^64 records under one key: must re-key */
	KTLS_E_NO_KTLS,		  /* kernel has no TLS ULP (module tls absent) */
	KTLS_E_NO_ULP,		  /* socket has no TLS ULP attached yet */
	KTLS_E_NOT_CONNECTED,	  /* TLS ULP needs an established TCP socket */
	KTLS_E_ULP_BUSY,	  /* socket already has another ULP */
	KTLS_E_CIPHER_UNSUPPORTED, /* kernel tls module or crypto API lacks this cipher */
	KTLS_E_REKEY_UNSUPPORTED, /* kernel cannot replace keys (needs 6.14+ or our kmod patch) */
	KTLS_E_NOT_INSTALLED,	  /* re-key or query on a direction with no key */
	KTLS_E_ALREADY_INSTALLED, /* first-time install on a direction that has a key */
	KTLS_E_LAST,
	/* -(KTLS_E_ALERT_RECEIVED + description): fatal alert from the peer */
	KTLS_E_ALERT_RECEIVED = 0x2000,
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
#define KTLS_TLS_AES_128_GCM_SHA256 0x1301
#define KTLS_TLS_AES_256_GCM_SHA384 0x1302
#define KTLS_TLS_CHACHA20_POLY1305_SHA256 0x1303
#define KTLS_TLS_AES_128_CCM_SHA256 0x1304

/* IANA name of a suite, or NULL if not one this library implements. */
KTLS_API const char *ktls_suite_name(uint16_t suite);

KTLS_API const char *ktls_version_string(void);

/*
 * What the running kernel offers, found by trying it on a private loopback
 * TCP pair (never by version number: distributions backport). The answer is
 * cached for the process; KTLS_PROBE_FRESH asks again (after modprobe, say).
 */
struct ktls_kernel_info {
	int tls;	   /* 0 available, else why not (-KTLS_E_NO_KTLS, ...) */
	unsigned suites;   /* bit KTLS_SUITE_BIT(s) set if the kernel can carry suite s */
	int rekey;	   /* 1 re-key works, 0 refused (EBUSY), < 0 could not tell */
	int rx_no_pad;	   /* 1 TLS_RX_EXPECT_NO_PAD accepted, 0 not */
	int tx_zerocopy;   /* 1 TLS_TX_ZEROCOPY_RO accepted, 0 not */
};
#define KTLS_SUITE_BIT(s) (1u << ((s) - KTLS_TLS_AES_128_GCM_SHA256))
#define KTLS_PROBE_FRESH 1u
KTLS_API int ktls_probe_kernel(struct ktls_kernel_info *info, unsigned flags);

#ifdef __cplusplus
}
#endif
#endif

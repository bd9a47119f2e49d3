/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "ktls/ktls.h"

#ifndef KTLS_VERSION
#define KTLS_VERSION "unknown"
#endif

struct err_desc {
	const char *msg;
	int alert; /* what we send when we detect this, -1 if nothing */
};

static const struct err_desc errs[KTLS_E_LAST - KTLS_E_BASE] = {
	[KTLS_E_INTERNAL - KTLS_E_BASE] = {"internal error", KTLS_ALERT_INTERNAL_ERROR},
	[KTLS_E_CRYPTO - KTLS_E_BASE] = {"libcrypto operation failed", KTLS_ALERT_INTERNAL_ERROR},
	[KTLS_E_BUFFER_TOO_SMALL - KTLS_E_BASE] = {"output buffer too small", -1},
	[KTLS_E_UNKNOWN_SUITE - KTLS_E_BASE] = {"unknown or unavailable cipher suite", -1},
	[KTLS_E_RECORD_TRUNCATED - KTLS_E_BASE] = {"record truncated", KTLS_ALERT_DECODE_ERROR},
	[KTLS_E_RECORD_OVERFLOW -
		KTLS_E_BASE] = {"record longer than allowed", KTLS_ALERT_RECORD_OVERFLOW},
	[KTLS_E_BAD_RECORD_MAC -
		KTLS_E_BASE] = {"record authentication failed", KTLS_ALERT_BAD_RECORD_MAC},
	[KTLS_E_RECORD_NO_CONTENT_TYPE - KTLS_E_BASE] = {"record has no content type (all "
							 "padding)",
							 KTLS_ALERT_UNEXPECTED_MESSAGE},
	[KTLS_E_RECORD_BAD_CONTENT_TYPE - KTLS_E_BASE] = {"record has an unknown content type",
							  KTLS_ALERT_UNEXPECTED_MESSAGE},
	[KTLS_E_RECORD_BAD_OUTER_TYPE - KTLS_E_BASE] = {"protected record with an outer type "
							"other than application_data",
							KTLS_ALERT_UNEXPECTED_MESSAGE},
	[KTLS_E_SEQ_EXHAUSTED - KTLS_E_BASE] = {"record sequence number exhausted; a key update "
						"is required",
						KTLS_ALERT_INTERNAL_ERROR},
	[KTLS_E_NO_KTLS - KTLS_E_BASE] = {"kernel TLS unavailable: the kernel has no 'tls' "
					  "ULP (module tls not loaded or not built)",
					  -1},
	[KTLS_E_NO_ULP - KTLS_E_BASE] = {"socket has no TLS ULP attached", -1},
	[KTLS_E_NOT_CONNECTED - KTLS_E_BASE] = {"kernel TLS needs an established TCP "
						"connection (TCP_ULP before connect)",
						-1},
	[KTLS_E_ULP_BUSY - KTLS_E_BASE] = {"socket already carries another ULP", -1},
	[KTLS_E_CIPHER_UNSUPPORTED - KTLS_E_BASE] = {"kernel does not offer this cipher for "
						     "TLS 1.3",
						     -1},
	[KTLS_E_REKEY_UNSUPPORTED - KTLS_E_BASE] = {"kernel cannot re-key TLS 1.3 sockets "
						    "(needs Linux 6.14+ or the ktls kmod patch)",
						    -1},
	[KTLS_E_NOT_INSTALLED - KTLS_E_BASE] = {"no key installed in the kernel for this "
						"direction",
						-1},
	[KTLS_E_ALREADY_INSTALLED - KTLS_E_BASE] = {"kernel already has a key for this "
						    "direction",
						    -1},
	[KTLS_E_NOT_TLS13 - KTLS_E_BASE] = {"not a TLS 1.3 connection", -1},
	[KTLS_E_HANDSHAKE_NOT_DONE - KTLS_E_BASE] = {"the handshake has not completed", -1},
	[KTLS_E_RENEGOTIATION - KTLS_E_BASE] = {"TLS 1.3 has no renegotiation", -1},
	[KTLS_E_CLOSED - KTLS_E_BASE] = {"the connection is closed or has failed", -1},
	[KTLS_E_TRUNCATED - KTLS_E_BASE] = {"the peer's stream ended without close_notify: "
					    "the data may be truncated",
					    -1},
};

static const char *const alert_names[256] = {
	[KTLS_ALERT_CLOSE_NOTIFY] = "close_notify",
	[KTLS_ALERT_UNEXPECTED_MESSAGE] = "unexpected_message",
	[KTLS_ALERT_BAD_RECORD_MAC] = "bad_record_mac",
	[KTLS_ALERT_RECORD_OVERFLOW] = "record_overflow",
	[KTLS_ALERT_HANDSHAKE_FAILURE] = "handshake_failure",
	[KTLS_ALERT_BAD_CERTIFICATE] = "bad_certificate",
	[KTLS_ALERT_UNSUPPORTED_CERTIFICATE] = "unsupported_certificate",
	[KTLS_ALERT_CERTIFICATE_REVOKED] = "certificate_revoked",
	[KTLS_ALERT_CERTIFICATE_EXPIRED] = "certificate_expired",
	[KTLS_ALERT_CERTIFICATE_UNKNOWN] = "certificate_unknown",
	[KTLS_ALERT_ILLEGAL_PARAMETER] = "illegal_parameter",
	[KTLS_ALERT_UNKNOWN_CA] = "unknown_ca",
	[KTLS_ALERT_ACCESS_DENIED] = "access_denied",
	[KTLS_ALERT_DECODE_ERROR] = "decode_error",
	[KTLS_ALERT_DECRYPT_ERROR] = "decrypt_error",
	[KTLS_ALERT_PROTOCOL_VERSION] = "protocol_version",
	[KTLS_ALERT_INSUFFICIENT_SECURITY] = "insufficient_security",
	[KTLS_ALERT_INTERNAL_ERROR] = "internal_error",
	[KTLS_ALERT_INAPPROPRIATE_FALLBACK] = "inappropriate_fallback",
	[KTLS_ALERT_USER_CANCELED] = "user_canceled",
	[KTLS_ALERT_MISSING_EXTENSION] = "missing_extension",
	[KTLS_ALERT_UNSUPPORTED_EXTENSION] = "unsupported_extension",
	[KTLS_ALERT_UNRECOGNIZED_NAME] = "unrecognized_name",
	[KTLS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE] = "bad_certificate_status_response",
	[KTLS_ALERT_UNKNOWN_PSK_IDENTITY] = "unknown_psk_identity",
	[KTLS_ALERT_CERTIFICATE_REQUIRED] = "certificate_required",
	[KTLS_ALERT_NO_APPLICATION_PROTOCOL] = "no_application_protocol",
};

KTLS_API const char *ktls_alert_name(int alert)
{
	return alert >= 0 && alert < 256 ? alert_names[alert] : NULL;
}

KTLS_API const char *ktls_strerror(int err)
{
	static __thread char buf[96];
	int e = -err;
	if (err >= 0)
		return "success";
	if (e < KTLS_E_BASE)
		return strerror(e);
	if (e < KTLS_E_LAST && errs[e - KTLS_E_BASE].msg)
		return errs[e - KTLS_E_BASE].msg;
	if (e >= KTLS_E_ALERT_RECEIVED && e < KTLS_E_ALERT_RECEIVED + 256) {
		const char *n = ktls_alert_name(e - KTLS_E_ALERT_RECEIVED);
		snprintf(buf, sizeof(buf), "peer sent alert %s (%d)", n ? n : "unknown",
			 e - KTLS_E_ALERT_RECEIVED);
		return buf;
	}
	if (e >= KTLS_E_ALERT_SENT && e < KTLS_E_ALERT_SENT + 256) {
		const char *n = ktls_alert_name(e - KTLS_E_ALERT_SENT);
		snprintf(buf, sizeof(buf), "handshake failed, sent alert %s (%d)",
			 n ? n : "unknown", e - KTLS_E_ALERT_SENT);
		return buf;
	}
	snprintf(buf, sizeof(buf), "unknown ktls error %d", err);
	return buf;
}

KTLS_API int ktls_error_alert(int err)
{
	int e = -err;
	if (e >= KTLS_E_ALERT_SENT && e < KTLS_E_ALERT_SENT + 256)
		return e - KTLS_E_ALERT_SENT;
	if (e >= KTLS_E_BASE && e < KTLS_E_LAST && errs[e - KTLS_E_BASE].msg)
		return errs[e - KTLS_E_BASE].alert;
	return -1;
}

KTLS_API const char *ktls_version_string(void)
{
	return KTLS_VERSION;
}

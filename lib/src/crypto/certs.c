/* SPDX-License-Identifier: Apache-2.0 */
/* Peer certificate verification on libcrypto's X509 machinery. */
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"

static int alert_for(int x509_err)
{
	switch (x509_err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return KTLS_ALERT_CERTIFICATE_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return KTLS_ALERT_UNKNOWN_CA;
	case X509_V_ERR_CERT_REVOKED:
		return KTLS_ALERT_CERTIFICATE_REVOKED;
	case X509_V_ERR_INVALID_PURPOSE:
		return KTLS_ALERT_UNSUPPORTED_CERTIFICATE;
	default:
		return KTLS_ALERT_BAD_CERTIFICATE;
	}
}

/* The earliest notAfter of a verified chain, or 0 if one cannot be read. */
static time_t chain_until(STACK_OF(X509) * chain)
{
	time_t until = 0;
	for (int i = 0; i < sk_X509_num(chain); i++) {
		struct tm tm;
		if (!ASN1_TIME_to_tm(X509_get0_notAfter(sk_X509_value(chain, i)), &tm))
			return 0;
		time_t t = timegm(&tm);
		if (t <= 0)
			return 0;
		until = !until || t < until ? t : until;
	}
	return until;
}

int ktls_cert_verify(X509_STORE *store, struct ktls_chain_cache *cache, enum ktls_verify mode,
		     const struct ktls_bytes *certs, size_t n, const char *host,
		     bool peer_is_server, X509 **leaf, const char **why)
{
	if (host && !*host)
		host = NULL;
	if ((*leaf = ktls_chain_cache_get(cache, certs, n, host, mode, peer_is_server)))
		return 0;
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509_STORE_CTX *ctx = NULL;
	int err = 0;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = certs[i].p;
		X509 *x = d2i_X509(NULL, &p, (long)certs[i].len);
		if (!x || p != certs[i].p + certs[i].len) {
			X509_free(x);
			*why = "certificate does not parse as DER X.509";
			err = KTLS_ALERT_ERR(KTLS_ALERT_BAD_CERTIFICATE);
			goto out;
		}
		if (i == 0)
			*leaf = x;
		else if (!sk_X509_push(chain, x))
			X509_free(x);
	}
	if (!*leaf) {
		err = KTLS_ALERT_ERR(KTLS_ALERT_DECODE_ERROR);
		goto out;
	}
	if (mode == KTLS_VERIFY_NONE && peer_is_server) {
		/* Only parsed: kept for the cache's lifetime at most. */
		ktls_chain_cache_put(cache, certs, n, host, mode, peer_is_server, *leaf,
				     time(NULL) + 3600);
		goto out;
	}
	ctx = X509_STORE_CTX_new();
	if (!store || !ctx || !X509_STORE_CTX_init(ctx, store, *leaf, chain)) {
		*why = store ? "cannot set up verification" : "no trust anchors configured";
		err = KTLS_ALERT_ERR(KTLS_ALERT_UNKNOWN_CA);
		goto out;
	}
	X509_STORE_CTX_set_purpose(ctx, peer_is_server ? X509_PURPOSE_SSL_SERVER
						       : X509_PURPOSE_SSL_CLIENT);
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	if (host) {
		/* An address literal is checked against IP SANs, a name against DNS. */
		if (!X509_VERIFY_PARAM_set1_ip_asc(param, host))
			X509_VERIFY_PARAM_set1_host(param, host, 0);
	}
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);
		*why = X509_verify_cert_error_string(e);
		err = KTLS_ALERT_ERR(alert_for(e));
	} else if (!(X509_VERIFY_PARAM_get_flags(param) & X509_V_FLAG_CRL_CHECK)) {
		/* Not with CRLs: their nextUpdate would bound it too. */
		time_t until = chain_until(X509_STORE_CTX_get0_chain(ctx));
		if (until)
			ktls_chain_cache_put(cache, certs, n, host, mode, peer_is_server, *leaf,
					     until);
	}
out:
	if (err) {
		X509_free(*leaf);
		*leaf = NULL;
	}
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	return err;
}

/* The TLS scheme (RFC 8446 4.2.3, legacy ones included) a certificate is
 * signed with, or 0 if it has none. An RSA-PSS signature is named as the
 * rsae scheme; pss_ones says the pss scheme would do as well. */
static uint16_t cert_scheme(X509 *x, bool *pss)
{
	int md = 0, pk = 0;
	*pss = false;
	if (!X509_get_signature_info(x, &md, &pk, NULL, NULL))
		return 0;
	int hash = md == NID_sha1     ? 2
		   : md == NID_sha256 ? 4
		   : md == NID_sha384 ? 5
		   : md == NID_sha512 ? 6
				      : 0;
	switch (pk) {
	case NID_rsaEncryption:
		return hash ? (uint16_t)(hash << 8 | 0x01) : 0;
	case NID_X9_62_id_ecPublicKey:
		return hash ? (uint16_t)(hash << 8 | 0x03) : 0;
	case NID_rsassaPss:
		*pss = true;
		return hash >= 4 ? (uint16_t)(0x0800 | (hash - 4 + 4)) : 0;
	case NID_ED25519:
		return KTLS_SIG_ED25519;
	case NID_ED448:
		return KTLS_SIG_ED448;
	default:
		return 0;
	}
}

static bool listed(const uint16_t *list, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

bool ktls_cert_sig_known(uint16_t scheme)
{
	switch (scheme) {
	case 0x0201: /* rsa_pkcs1_sha1 */
	case 0x0203: /* ecdsa_sha1 */
	case 0x0401: /* rsa_pkcs1_sha256 */
	case 0x0501: /* rsa_pkcs1_sha384 */
	case 0x0601: /* rsa_pkcs1_sha512 */
		return true;
	default:
		return ktls_sig_supported(scheme);
	}
}

bool ktls_chain_signed_with(STACK_OF(X509) * chain, const uint16_t *list, size_t n)
{
	/* Every certificate we send, but a self-signed last one (a trust
	 * anchor the peer checks by itself). */
	int count = sk_X509_num(chain);
	for (int i = 0; i < count; i++) {
		X509 *x = sk_X509_value(chain, i);
		if (i == count - 1 && i > 0 && X509_check_issued(x, x) == X509_V_OK)
			break;
		bool pss;
		uint16_t s = cert_scheme(x, &pss);
		if (!s || !(listed(list, n, s) || (pss && listed(list, n, (uint16_t)(s + 5)))))
			return false;
	}
	return true;
}

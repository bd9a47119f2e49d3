/* SPDX-License-Identifier: Apache-2.0 */
/* An ephemeral self-signed P-256 certificate for "localhost", written as
 * PEM files, for the demo and bench commands. */
#include "selfsigned.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int ctl_selfsigned(const char *cert_path, const char *key_path)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	int ok = key && x;
	if (ok) {
		X509_set_version(x, 2);
		ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
		X509_gmtime_adj(X509_getm_notBefore(x), -60);
		X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
		X509_NAME *n = X509_get_subject_name(x);
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					   (const unsigned char *)"localhost", -1, -1, 0);
		X509_set_issuer_name(x, n);
		X509_set_pubkey(x, key);
		X509V3_CTX ctx;
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
							  "DNS:localhost,IP:127.0.0.1");
		ok = ext && X509_add_ext(x, ext, -1) && X509_sign(x, key, EVP_sha256()) > 0;
		X509_EXTENSION_free(ext);
	}
	FILE *fc = ok ? fopen(cert_path, "w") : NULL, *fk = ok ? fopen(key_path, "w") : NULL;
	ok = fc && fk && PEM_write_X509(fc, x) &&
	     PEM_write_PrivateKey(fk, key, NULL, NULL, 0, NULL, NULL);
	if (fc)
		fclose(fc);
	if (fk)
		fclose(fk);
	X509_free(x);
	EVP_PKEY_free(key);
	return ok ? 0 : -1;
}

int ctl_tmpcert_make(struct ctl_tmpcert *t, const char *name)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/ktls-%s-XXXXXX", name);
	if (!mkdtemp(t->dir)) {
		t->dir[0] = '\0';
		return -1;
	}
	snprintf(t->cert, sizeof(t->cert), "%s/cert.pem", t->dir);
	snprintf(t->key, sizeof(t->key), "%s/key.pem", t->dir);
	if (ctl_selfsigned(t->cert, t->key)) {
		ctl_tmpcert_remove(t);
		return -1;
	}
	return 0;
}

void ctl_tmpcert_remove(struct ctl_tmpcert *t)
{
	if (!t->dir[0])
		return;
	unlink(t->cert);
	unlink(t->key);
	rmdir(t->dir);
	t->dir[0] = '\0';
}

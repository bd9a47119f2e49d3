/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KTLS_CTL_SELFSIGNED_H
#define KTLS_CTL_SELFSIGNED_H
/* Writes a fresh self-signed certificate and key (PEM); 0 or -1. */
int ctl_selfsigned(const char *cert_path, const char *key_path);

/* A fresh self-signed certificate in a temporary directory of its own. */
struct ctl_tmpcert {
	char dir[48], cert[64], key[64];
};
/* 0, or -1 (nothing is left behind). */
int ctl_tmpcert_make(struct ctl_tmpcert *t, const char *name);
/* Removes the files and the directory; harmless on a zeroed struct. */
void ctl_tmpcert_remove(struct ctl_tmpcert *t);
#endif

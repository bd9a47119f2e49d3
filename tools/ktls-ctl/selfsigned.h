/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KTLS_CTL_SELFSIGNED_H
#define KTLS_CTL_SELFSIGNED_H
/* Writes a fresh self-signed certificate and key (PEM); 0 or -1. */
int ctl_selfsigned(const char *cert_path, const char *key_path);
#endif

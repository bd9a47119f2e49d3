/* SPDX-License-Identifier: Apache-2.0 */
/* The thin layer between the library and the kernel's TLS ULP: attach it,
 * hand it keys, re-key, read back sequence numbers. Nothing else here talks
 * to SOL_TLS. */
#ifndef KTLS_KERNEL_H
#define KTLS_KERNEL_H

#include <stdbool.h>
#include <sys/socket.h>

#include "crypto/suite.h"
#include "kernel/uapi_tls.h"

enum ktls_dir { KTLS_DIR_TX = KTLS_UAPI_TLS_TX, KTLS_DIR_RX = KTLS_UAPI_TLS_RX };

/* The socket calls this layer makes; tests swap them to check the error
 * mapping without a kernel that has kTLS. */
struct ktls_sys {
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
};
extern struct ktls_sys ktls_sys;

/* Attaches the tls ULP to an established TCP socket (idempotent). */
int ktls_kernel_attach(int fd);

/* Fills the kernel's crypto_info for suite s; returns its size or < 0. */
int ktls_kernel_crypto_info(const struct ktls_suite *s, const uint8_t *key, const uint8_t *iv,
			    uint64_t seq, union ktls_uapi_crypto *ci);

/*
 * Gives the kernel a key for one direction. rekey=false: first key of the
 * socket; rekey=true: replaces a key on a TLS 1.3 socket (sequence restarts
 * at seq, normally 0).
 */
int ktls_kernel_set_key(int fd, enum ktls_dir dir, const struct ktls_suite *s, const uint8_t *key,
			const uint8_t *iv, uint64_t seq, bool rekey);

/* Sends one record of content type `type` through kernel TX (a
 * TLS_SET_RECORD_TYPE cmsg): how non-data records go out. */
int ktls_kernel_send_record(int fd, uint8_t type, const void *buf, size_t len, int flags);

/*
 * The largest plaintext the kernel puts in one TX record (for a peer's
 * RFC 8449 record_size_limit, pass the limit less one). 0 or: -ERANGE len
 * outside 63..16384 (nothing asked); -EBUSY a record is open (the kernel
 * keeps its size; send or flush first); -KTLS_E_NO_ULP no TLS ULP on fd;
 * -EOPNOTSUPP this kernel lacks the option (before 6.19, without our
 * module); else -errno.
 */
int ktls_kernel_set_tx_max_payload(int fd, uint16_t len);
/* The limit in force (16384 unless set); errors as above. */
int ktls_kernel_get_tx_max_payload(int fd, uint16_t *len);

/* The kernel's next record sequence number for a direction keyed with suite
 * s (the kernel insists on the exact crypto_info size of its cipher). */
int ktls_kernel_get_seq(int fd, enum ktls_dir dir, const struct ktls_suite *s, uint64_t *seq);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the in-VM tests. */
#ifndef KTLS_VMUTIL_H
#define KTLS_VMUTIL_H

#include <stdio.h>
#include <sys/socket.h>

#include "../procfs.h"
#include "../unit/testutil.h"
#include "crypto/keysched.h"
#include "kernel/kernel.h"
#include "kernel/socket.h"
#include "record/record.h"

/* Keys of one traffic secret generation. */
struct keys {
	const struct ktls_suite *s;
	uint8_t secret[KTLS_MAX_HASH], key[KTLS_MAX_KEY], iv[KTLS_IV_LEN];
};

/* Generation gen of a secret made of `fill` bytes, as KeyUpdate derives it. */
static inline void keys_gen(struct keys *k, int suite_index, uint8_t fill, int gen)
{
	k->s = ktls_suite_at((size_t)suite_index);
	ck_assert_ptr_nonnull(k->s);
	memset(k->secret, fill, sizeof(k->secret));
	for (int i = 0; i < gen; i++)
		ck_assert_int_eq(ktls_next_traffic_secret(k->s, k->secret, k->secret), 0);
	ck_assert_int_eq(ktls_traffic_key_iv(k->s, k->secret, k->key, k->iv), 0);
}

static inline uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 2654435761u) >> 13 ^ seed);
	return p;
}

/* Sends one record of a given type through the kernel (record-type cmsg). */
static inline ssize_t send_typed(int fd, uint8_t type, const void *buf, size_t len)
{
	int err = ktls_kernel_send_record(fd, type, buf, len, 0);
	return err ? err : (ssize_t)len;
}

/* Receives one record through the kernel and reports its type. */
static inline ssize_t recv_typed(int fd, uint8_t *type, void *buf, size_t len, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(uint8_t))] = {0};
	struct iovec iov = {buf, len};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(fd, &msg, flags);
	*type = KTLS_CT_APPLICATION_DATA;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == KTLS_UAPI_SOL_TLS &&
		    c->cmsg_type == KTLS_UAPI_TLS_GET_RECORD_TYPE)
			*type = *CMSG_DATA(c);
	return n;
}

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the running kernel can do, learned by doing it on a private loopback
 * TCP pair with throw-away keys; no data ever crosses those sockets.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "kernel/socket.h"
#include "ktls/ktls.h"

static void probe(struct ktls_kernel_info *info)
{
	static const uint8_t key[KTLS_MAX_KEY], iv[KTLS_IV_LEN];
	int pair[2][2] = {{-1, -1}, {-1, -1}}, err;
	memset(info, 0, sizeof(*info));
	info->rekey = -KTLS_E_NO_KTLS;

	/* Two pairs give four sockets: one per suite, since a socket's two
	 * directions must share one cipher. */
	for (int i = 0; i < 2; i++) {
		err = ktls_loopback_pair(pair[i]);
		if (err) {
			info->tls = err;
			goto out;
		}
	}
	err = ktls_kernel_attach(pair[0][0]);
	if (err) {
		info->tls = err;
		goto out;
	}
	int rekey_fd = -1;
	const struct ktls_suite *rekey_suite = NULL;
	for (size_t i = 0; i < KTLS_NUM_SUITES; i++) {
		const struct ktls_suite *s = ktls_suite_at(i);
		int fd = pair[i / 2][i % 2];
		if (!s || ktls_kernel_attach(fd) ||
		    ktls_kernel_set_key(fd, KTLS_DIR_TX, s, key, iv, 0, false))
			continue;
		info->suites |= KTLS_SUITE_BIT(s->id);
		if (rekey_fd < 0) {
			rekey_fd = fd;
			rekey_suite = s;
		}
	}
	if (rekey_fd < 0) {
		info->rekey = -KTLS_E_CIPHER_UNSUPPORTED;
		goto out;
	}
	err = ktls_kernel_set_key(rekey_fd, KTLS_DIR_TX, rekey_suite, key, iv, 0, true);
	info->rekey = err == 0 ? 1 : err == -KTLS_E_REKEY_UNSUPPORTED ? 0 : err;
	/* TLS 1.3's smallest record size limit must be taken and read back. */
	uint16_t got = 0;
	info->tx_max_payload =
		ktls_kernel_set_tx_max_payload(rekey_fd, KTLS_UAPI_TLS13_MIN_PAYLOAD) == 0 &&
		ktls_kernel_get_tx_max_payload(rekey_fd, &got) == 0 &&
		got == KTLS_UAPI_TLS13_MIN_PAYLOAD;
	int one = 1;
	info->tx_zerocopy = setsockopt(rekey_fd, KTLS_UAPI_SOL_TLS, KTLS_UAPI_TLS_TX_ZEROCOPY_RO,
				       &one, sizeof(one)) == 0;
	info->rx_no_pad =
		ktls_kernel_set_key(rekey_fd, KTLS_DIR_RX, rekey_suite, key, iv, 0, false) == 0 &&
		setsockopt(rekey_fd, KTLS_UAPI_SOL_TLS, KTLS_UAPI_TLS_RX_EXPECT_NO_PAD, &one,
			   sizeof(one)) == 0;
out:
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			if (pair[i][j] >= 0)
				close(pair[i][j]);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ktls_kernel_info cached;
static int have_cached;

KTLS_API int ktls_probe_kernel(struct ktls_kernel_info *info, unsigned flags)
{
	pthread_mutex_lock(&lock);
	if (!have_cached || (flags & KTLS_PROBE_FRESH)) {
		probe(&cached);
		/* A failure to make sockets says nothing about the kernel: ask
		 * again next time rather than caching it. */
		have_cached = cached.tls == 0 || cached.tls <= -KTLS_E_BASE;
	}
	*info = cached;
	pthread_mutex_unlock(&lock);
	return info->tls > -KTLS_E_BASE && info->tls < 0 ? info->tls : 0;
}

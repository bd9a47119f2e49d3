/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: ktls-ctl list's parse of a sock_diag dump answer
 * (list_parse_reply), as the kernel would hand it over in one recv: reads
 * stay inside the messages, every socket kept has terminated address
 * strings and matches the port filter.
 *
 * Input: opt0 (the --port filter: 0, or 443) then the netlink bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ktls-ctl/list_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* Exactly the bytes received: a read past them is caught. */
	size_t n = size - 1;
	uint8_t *buf = malloc(n ? n : 1);
	memcpy(buf, data + 1, n);
	struct list_ctx lc = {.port = data[0] & 1 ? 443 : 0};
	(void)list_parse_reply(buf, n, 0, 0, &lc);
	if (lc.n > lc.cap)
		abort();
	for (size_t i = 0; i < lc.n; i++) {
		const struct tls_sock *t = &lc.socks[i];
		if (!memchr(t->src, 0, sizeof(t->src)) || !memchr(t->dst, 0, sizeof(t->dst)))
			abort();
		if (lc.port && (int)t->sport != lc.port && (int)t->dport != lc.port)
			abort();
	}
	free(lc.socks);
	free(buf);
	return 0;
}

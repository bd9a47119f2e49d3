/* SPDX-License-Identifier: Apache-2.0 */
/* Runs a client and a server engine against each other in memory. */
#ifndef KTLS_HSPAIR_H
#define KTLS_HSPAIR_H

#include <stdio.h>

#include "handshake/hs.h"
#include "testutil.h"

static inline const char *cert_path(const char *name)
{
	static __thread char buf[8][512];
	static __thread int i;
	const char *dir = getenv("KTLS_TEST_CERTS");
	ck_assert_msg(dir != NULL, "KTLS_TEST_CERTS is not set");
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static inline void add_cert(struct ktls_config *c, const char *name)
{
	char pem[64], key[64];
	snprintf(pem, sizeof(pem), "%s.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	ck_assert_int_eq(ktls_config_add_cert_files(c, cert_path(pem), cert_path(key)), 0);
}

/* Moves the output of one engine into the other's input buffer. */
static inline void pump(struct ktls_hs *from, struct ktls_buf *to)
{
	const uint8_t *out;
	size_t len;
	ktls_hs_output(from, &out, &len);
	ktls_buf_put(to, out, len);
	ktls_hs_output_sent(from, len);
}

struct hs_result {
	int client, server;
};

/* Steps both engines until both finish or one fails. A failure's alert is
 * still delivered to the other side, as on a wire. */
static inline struct hs_result run_pair(struct ktls_hs *c, struct ktls_hs *s)
{
	struct ktls_buf c_in, s_in;
	ktls_buf_init(&c_in);
	ktls_buf_init(&s_in);
	struct hs_result r = {0, 0};
	size_t used;
	for (int round = 0; round < 16; round++) {
		if (r.client == 0) {
			r.client = ktls_hs_step(c, c_in.base, c_in.len, &used);
			ktls_buf_consume(&c_in, used);
		}
		pump(c, &s_in);
		if (r.server == 0) {
			r.server = ktls_hs_step(s, s_in.base, s_in.len, &used);
			ktls_buf_consume(&s_in, used);
		}
		pump(s, &c_in);
		if (r.client != 0 && r.server != 0)
			break;
		if ((r.client < 0 || r.server < 0) && round > 0 && c_in.len == 0 && s_in.len == 0)
			break;
	}
	ktls_buf_free(&c_in);
	ktls_buf_free(&s_in);
	return r;
}

#endif

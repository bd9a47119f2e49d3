/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forward secrecy, white-box: once a handshake is over, and after every
 * KeyUpdate, no superseded secret (nor a key or IV made from one) is left
 * anywhere in the engine's or the connection's memory. The memory is
 * searched byte for byte for every earlier value. Runs on the host
 * (userspace records) and in the VM (both directions in the kernel).
 */
#include <pthread.h>

#include "conn/conn.h"
#include "connpair.h"
#include "crypto/keysched.h"

/* Values that must not be found, and one that must (the scan works). */
struct needles {
	uint8_t v[64][KTLS_MAX_HASH];
	size_t len[64];
	const char *what[64];
	size_t n;
};

static void add(struct needles *nd, const uint8_t *v, size_t len, const char *what)
{
	ck_assert_uint_lt(nd->n, 64);
	memcpy(nd->v[nd->n], v, len);
	nd->len[nd->n] = len;
	nd->what[nd->n++] = what;
}

/* A traffic secret and the key and IV made from it. */
static void add_generation(struct needles *nd, const struct ktls_suite *s, const uint8_t *secret,
			   const char *what)
{
	uint8_t key[KTLS_MAX_KEY], iv[KTLS_IV_LEN];
	ck_assert_int_eq(ktls_traffic_key_iv(s, secret, key, iv), 0);
	add(nd, secret, s->hash_len, what);
	add(nd, key, s->key_len, what);
	add(nd, iv, KTLS_IV_LEN, what);
}

/* The needle found in mem, or NULL. */
static const char *search(const struct needles *nd, const void *mem, size_t len)
{
	for (size_t i = 0; mem && i < nd->n; i++)
		if (memmem(mem, len, nd->v[i], nd->len[i]))
			return nd->what[i];
	return NULL;
}

static void assert_absent(const struct needles *nd, const void *mem, size_t len, const char *where)
{
	const char *found = search(nd, mem, len);
	ck_assert_msg(found == NULL, "%s still holds %s", where, found ? found : "");
}

START_TEST(engine_after_handshake)
{
	/* The master secret, the handshake traffic secrets and the first
	 * application secrets, taken from the server while it waits for the
	 * client's Finished; none survives in either engine at the end. */
	struct ktls_config *cc = ktls_config_new(KTLS_CLIENT), *sc = ktls_config_new(KTLS_SERVER);
	ck_assert_int_eq(ktls_config_set_ca_file(cc, cert_path("ca.pem")), 0);
	add_cert(sc, "server-ecdsa256");
	ck_assert_int_eq(ktls_config_set_tickets(sc, 2), 0);
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *s = ktls_hs_new(sc, NULL);
	struct ktls_buf c_in, s_in;
	ktls_buf_init(&c_in);
	ktls_buf_init(&s_in);
	size_t used;
	ck_assert_int_eq(ktls_hs_step(c, NULL, 0, &used), 0);
	pump(c, &s_in);
	ck_assert_int_eq(ktls_hs_step(s, s_in.base, s_in.len, &used), 0);
	ktls_buf_consume(&s_in, used);
	pump(s, &c_in);
	struct needles nd = {0};
	size_t h = s->suite->hash_len;
	add(&nd, s->ks.secret, h, "the master secret");
	add_generation(&nd, s->suite, s->c_hs, "the client handshake traffic secret");
	add_generation(&nd, s->suite, s->s_hs, "the server handshake traffic secret");
	add(&nd, s->c_ap, h, "a copy of the client application secret");
	add(&nd, s->s_ap, h, "a copy of the server application secret");
	ck_assert_int_eq(ktls_hs_step(c, c_in.base, c_in.len, &used), 1);
	pump(c, &s_in);
	ck_assert_int_eq(ktls_hs_step(s, s_in.base, s_in.len, &used), 1);
	/* The record states move to the connection, as ktls_handshake does;
	 * then the engines hold nothing of the above. */
	struct ktls_rec_dir crd, cwr, srd, swr;
	ck_assert_int_eq(ktls_hs_take_app_keys(c, &crd, &cwr), 0);
	ck_assert_int_eq(ktls_hs_take_app_keys(s, &srd, &swr), 0);
	assert_absent(&nd, c, sizeof(*c), "the client engine");
	assert_absent(&nd, s, sizeof(*s), "the server engine");
	/* The application secrets themselves are in the record states. */
	ck_assert_ptr_nonnull(memmem(&srd, sizeof(srd), nd.v[nd.n - 2], h));
	ck_assert_ptr_nonnull(memmem(&cwr, sizeof(cwr), nd.v[nd.n - 2], h));
	ktls_rec_clear(&crd);
	ktls_rec_clear(&cwr);
	ktls_rec_clear(&srd);
	ktls_rec_clear(&swr);
	ktls_buf_free(&c_in);
	ktls_buf_free(&s_in);
	ktls_hs_free(c);
	ktls_hs_free(s);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

/* SSLKEYLOGFILE lines of one connection, parsed. */
struct keylog {
	uint8_t c_hs[KTLS_MAX_HASH], s_hs[KTLS_MAX_HASH], c_ap[KTLS_MAX_HASH], s_ap[KTLS_MAX_HASH];
};

static void on_keylog(void *arg, const char *line)
{
	struct keylog *k = arg;
	static const struct {
		const char *label;
		size_t off;
	} labels[] = {{"CLIENT_HANDSHAKE_TRAFFIC_SECRET ", offsetof(struct keylog, c_hs)},
		      {"SERVER_HANDSHAKE_TRAFFIC_SECRET ", offsetof(struct keylog, s_hs)},
		      {"CLIENT_TRAFFIC_SECRET_0 ", offsetof(struct keylog, c_ap)},
		      {"SERVER_TRAFFIC_SECRET_0 ", offsetof(struct keylog, s_ap)}};
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(labels[i].label);
		if (strncmp(line, labels[i].label, n))
			continue;
		const char *hex = strchr(line + n, ' ') + 1; /* after the client random */
		size_t len;
		uint8_t *v = unhex(hex, &len);
		memcpy((uint8_t *)k + labels[i].off, v, len);
		free(v);
	}
}

#define UPDATES 5

struct peer_side {
	struct side *sv;
	int rc;
};

/* The server: handshake, then echo; it asks the client for an update with
 * each of its own. */
static void *server_thread(void *arg)
{
	struct peer_side *ps = arg;
	struct side *sv = ps->sv;
	uint8_t buf[64];
	ps->rc = 1;
	if (ktls_handshake(sv->conn) != 1)
		return NULL;
	for (int i = 0; i < UPDATES; i++) {
		long n = ktls_read(sv->conn, buf, sizeof(buf));
		if (n <= 0 || ktls_key_update(sv->conn, KTLS_KEY_UPDATE_REQUESTED) ||
		    ktls_write(sv->conn, buf, (size_t)n) != n)
			return NULL;
	}
	/* The answer to the last request comes with the client's last byte. */
	if (ktls_read(sv->conn, buf, 1) != 1)
		return NULL;
	ps->rc = 0;
	return NULL;
}

/* Every buffer a connection owns that may hold plaintext or keys. */
static void assert_conn_clean(const struct needles *nd, struct ktls_conn *c, const char *who)
{
	char where[64];
	snprintf(where, sizeof(where), "the %s connection", who);
	assert_absent(nd, c, sizeof(*c), where);
	if (c->hs)
		/* A trimmed engine is only its first KTLS_HS_KEPT bytes. */
		assert_absent(nd, c->hs, c->hs->trimmed ? KTLS_HS_KEPT : sizeof(*c->hs),
			      "its handshake engine");
	assert_absent(nd, c->plain, c->plain ? KTLS_REC_MAX_CIPHER : 0, "its plaintext buffer");
	assert_absent(nd, c->rbuf, c->rbuf ? KTLS_REC_HDR + KTLS_REC_MAX_CIPHER : 0,
		      "its record buffer");
	assert_absent(nd, c->hsbuf.base, c->hsbuf.cap, "its message buffer");
}

START_TEST(connection_after_key_updates)
{
	/* Five updates each way (the client's own, and the answers to the
	 * server's requests): generations 0..4 of both directions, and the
	 * handshake secrets, are gone; generation 5 is there. */
	struct side cl, sv;
	struct keylog k;
	connect_pair(&cl, &sv, KTLS_TLS_AES_256_GCM_SHA384);
	ktls_config_set_keylog(cl.cfg, on_keylog, &k);
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	sv.conn = ktls_conn_new(sv.cfg, sv.fd, NULL);
	struct peer_side ps = {&sv, 1};
	pthread_t t;
	pthread_create(&t, NULL, server_thread, &ps);
	ck_assert_int_eq(ktls_handshake(cl.conn), 1);
	uint8_t buf[64];
	for (int i = 0; i < UPDATES; i++) {
		ck_assert_int_eq(ktls_key_update(cl.conn, KTLS_KEY_UPDATE_NOT_REQUESTED), 0);
		ck_assert_int_eq(ktls_write(cl.conn, "ping", 4), 4);
		read_exact(cl.conn, buf, 4);
	}
	/* The last request is answered at the next write. */
	ck_assert_int_eq(ktls_write(cl.conn, "x", 1), 1);
	pthread_join(t, NULL);
	ck_assert_int_eq(ps.rc, 0);
	struct ktls_conn_stats st;
	ktls_conn_stats(cl.conn, &st);
	/* Our own five, and answers to the server's (one answer can serve a
	 * pending update of ours): at least five each way. */
	ck_assert_uint_ge(st.key_updates_sent, UPDATES);
	ck_assert_uint_eq(st.key_updates_received, UPDATES);

	const struct ktls_suite *s = ktls_suite_get(KTLS_TLS_AES_256_GCM_SHA384);
	struct needles nd = {0};
	add_generation(&nd, s, k.c_hs, "the client handshake traffic secret");
	add_generation(&nd, s, k.s_hs, "the server handshake traffic secret");
	uint8_t c[KTLS_MAX_HASH], sv_s[KTLS_MAX_HASH];
	memcpy(c, k.c_ap, s->hash_len);
	memcpy(sv_s, k.s_ap, s->hash_len);
	for (uint64_t g = 0; g < st.key_updates_sent; g++) {
		add_generation(&nd, s, c, "an earlier client application secret");
		ck_assert_int_eq(ktls_next_traffic_secret(s, c, c), 0);
	}
	for (uint64_t g = 0; g < st.key_updates_received; g++) {
		add_generation(&nd, s, sv_s, "an earlier server application secret");
		ck_assert_int_eq(ktls_next_traffic_secret(s, sv_s, sv_s), 0);
	}
	assert_conn_clean(&nd, cl.conn, "client");
	struct ktls_conn_stats sst;
	ktls_conn_stats(sv.conn, &sst);
	ck_assert_uint_eq(sst.key_updates_received, st.key_updates_sent);
	assert_conn_clean(&nd, sv.conn, "server");
	/* The scan finds what is there: the current generations. */
	ck_assert_ptr_nonnull(memmem(&cl.conn->wr, sizeof(cl.conn->wr), c, s->hash_len));
	ck_assert_ptr_nonnull(memmem(&cl.conn->rd, sizeof(cl.conn->rd), sv_s, s->hash_len));
	side_free(&cl);
	side_free(&sv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("secrets");
	TCase *tc = tcase_create("forward secrecy");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, engine_after_handshake);
	tcase_add_test(tc, connection_after_key_updates);
	suite_add_tcase(s, tc);
	return run_suite(s);
}

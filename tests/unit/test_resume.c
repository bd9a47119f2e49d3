/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session resumption (RFC 8446 2.2, 4.2.11, 4.6.1) between this library's
 * client and server over loopback: a resumed connection, psk_ke, after a
 * HelloRetryRequest, shared ticket keys; and the faults that fall back to a
 * full handshake (a tampered, expired, wrong-name or wrong-hash ticket) or
 * fail it (a wrong binder: decrypt_error). On the host the records are the
 * library's; in the VM both directions go to the kernel and re-key.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>

#include "connpair.h"
#include "handshake/hs.h"
#include "handshake/session.h"

struct jar {
	uint8_t blob[8192];
	size_t len;
	unsigned n;
};

static void keep_ticket(void *arg, const uint8_t *s, size_t len, uint32_t lifetime)
{
	struct jar *j = arg;
	(void)lifetime;
	if (len <= sizeof(j->blob)) {
		memcpy(j->blob, s, len);
		j->len = len;
	}
	j->n++;
}

struct run {
	struct ktls_config *cc, *sc; /* kept across connections */
	struct jar jar;
	const char *name;
	bool no_name; /* the client names no server (no server_name) */
	bool force;   /* offer the session even where our client would not */
	bool no_io;   /* the server will refuse: no echo after the handshake */
	int client_rc, server_rc;
	int resumed_c, resumed_s;
	bool peer_c, peer_s; /* each side holds the other's certificate */
	bool wiped_s;	     /* the server's resumption secret gone after its tickets */
	uint16_t group_c;
};

struct srv {
	struct ktls_conn *conn;
	int rc, resumed;
	bool peer, wiped;
};

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return !acc;
}

/* The server: handshake, echo one message with a key update requested,
 * then close_notify. */
static void *serve(void *arg)
{
	struct srv *s = arg;
	uint8_t buf[64];
	s->rc = ktls_handshake(s->conn);
	if (s->rc != 1)
		return NULL;
	const struct ktls_hs *hs = ktls_conn_hs(s->conn);
	s->resumed = ktls_hs_resumed(hs);
	s->peer = ktls_hs_peer_cert(hs) != NULL;
	s->wiped = all_zero(hs->resumption, sizeof(hs->resumption));
	long n = ktls_read(s->conn, buf, sizeof(buf));
	if (n <= 0 || ktls_key_update(s->conn, KTLS_KEY_UPDATE_REQUESTED) ||
	    ktls_write(s->conn, buf, (size_t)n) != n) {
		s->rc = -1;
		return NULL;
	}
	ktls_shutdown(s->conn);
	return NULL;
}

/* One connection; the client offers blob (if any). */
static void connect_once(struct run *r, const uint8_t *blob, size_t len)
{
	int fds[2];
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	struct srv s = {.conn = ktls_conn_new(r->sc, fds[1], NULL)};
	struct ktls_conn *c = ktls_conn_new(r->cc, fds[0],
					    r->no_name ? NULL
					    : r->name  ? r->name
						       : "server.test");
	if (blob && r->force) {
		struct ktls_hs *hs = (struct ktls_hs *)ktls_conn_hs(c);
		ck_assert_int_eq(ktls_session_decode(&hs->session, blob, len), 0);
	} else if (blob) {
		ck_assert_int_eq(ktls_conn_set_session(c, blob, len), 0);
	}
	pthread_t t;
	pthread_create(&t, NULL, serve, &s);
	r->client_rc = ktls_handshake(c);
	if (r->client_rc == 1 && !r->no_io) {
		r->resumed_c = ktls_hs_resumed(ktls_conn_hs(c));
		r->group_c = ktls_hs_group(ktls_conn_hs(c));
		r->peer_c = ktls_hs_peer_cert(ktls_conn_hs(c)) != NULL;
		uint8_t buf[16];
		ck_assert_int_eq(ktls_write(c, "resume", 6), 6);
		read_exact(c, buf, 6);
		ck_assert_mem_eq(buf, "resume", 6);
		ck_assert_int_eq(ktls_write(c, "x", 1), 1); /* answers the update request */
		ck_assert_int_eq(ktls_read(c, buf, 1), 0);
		struct ktls_conn_stats st;
		ktls_conn_stats(c, &st);
		ck_assert_uint_eq(st.key_updates_sent, 1);
		ck_assert_uint_eq(st.key_updates_received, 1);
	} else {
		shutdown(fds[0], SHUT_RDWR);
	}
	pthread_join(t, NULL);
	r->server_rc = s.rc;
	r->resumed_s = s.resumed;
	r->peer_s = s.peer;
	r->wiped_s = s.wiped;
	ktls_conn_free(c);
	ktls_conn_free(s.conn);
	close(fds[0]);
	close(fds[1]);
}

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->cc = ktls_config_new(KTLS_CLIENT);
	ck_assert_int_eq(ktls_config_set_ca_file(r->cc, cert_path("ca.pem")), 0);
	ktls_config_set_ticket_cb(r->cc, keep_ticket, &r->jar);
	r->sc = ktls_config_new(KTLS_SERVER);
	add_cert(r->sc, "server-ecdsa256");
	ck_assert_int_eq(ktls_config_set_tickets(r->sc, 2), 0);
	/* The peer's certificate kept after the handshake, to see it
	 * restored on resumption (not kept by default). */
	ktls_config_set_keep_peer_cert(r->cc, 1);
	ktls_config_set_keep_peer_cert(r->sc, 1);
}

static void run_free(struct run *r)
{
	ktls_config_free(r->cc);
	ktls_config_free(r->sc);
}

/* A full handshake that leaves a session in the jar. */
static void first_connection(struct run *r)
{
	connect_once(r, NULL, 0);
	ck_assert_int_eq(r->client_rc, 1);
	ck_assert_int_eq(r->server_rc, 1);
	ck_assert(!r->resumed_c && !r->resumed_s);
	ck_assert_uint_eq(r->jar.n, 2);
}

START_TEST(resumes)
{
	/* _i: 0 psk_dhe_ke; 1 psk_ke (the server allows only that); 2 after a
	 * HelloRetryRequest (the server takes P-384 only). */
	struct run r;
	run_init(&r);
	if (_i == 1) {
		ck_assert_int_eq(ktls_config_set_psk_modes(r.cc, KTLS_PSK_DHE_KE | KTLS_PSK_KE), 0);
		ck_assert_int_eq(ktls_config_set_psk_modes(r.sc, KTLS_PSK_KE), 0);
	}
	first_connection(&r);
	if (_i == 2) {
		static const uint16_t p384 = KTLS_GROUP_SECP384R1;
		ck_assert_int_eq(ktls_config_set_groups(r.sc, &p384, 1), 0);
	}
	connect_once(&r, r.jar.blob, r.jar.len);
	ck_assert_int_eq(r.client_rc, 1);
	ck_assert_int_eq(r.server_rc, 1);
	ck_assert(r.resumed_c && r.resumed_s);
	/* The server's certificate checked then is the client's peer now. */
	ck_assert(r.peer_c);
	ck_assert(r.wiped_s);
	ck_assert_uint_eq(r.group_c, _i == 1   ? 0
				     : _i == 2 ? KTLS_GROUP_SECP384R1
					       : KTLS_GROUP_X25519);
	/* The resumed connection issued tickets of its own. */
	ck_assert_uint_eq(r.jar.n, 4);
	connect_once(&r, r.jar.blob, r.jar.len);
	ck_assert(r.resumed_c && r.resumed_s);
	run_free(&r);
}
END_TEST

/* By default the peer's certificate goes after the handshake; what was
 * verified of it stays, so the session still resumes under a verifying
 * client (and REQUIRE server), just without the certificate to show. */
START_TEST(resumes_without_kept_cert)
{
	struct run r;
	run_init(&r);
	ktls_config_set_keep_peer_cert(r.cc, 0);
	ktls_config_set_keep_peer_cert(r.sc, 0);
	ck_assert_int_eq(ktls_config_set_ca_file(r.sc, cert_path("ca.pem")), 0);
	ck_assert_int_eq(ktls_config_set_verify(r.sc, KTLS_VERIFY_REQUIRE), 0);
	add_cert(r.cc, "client");
	first_connection(&r);
	ck_assert(!r.peer_c && !r.peer_s);
	connect_once(&r, r.jar.blob, r.jar.len);
	ck_assert_int_eq(r.client_rc, 1);
	ck_assert_int_eq(r.server_rc, 1);
	ck_assert(r.resumed_c && r.resumed_s);
	run_free(&r);
}
END_TEST

/* A client that names no server (an address, as gnutls-cli to 127.0.0.1)
 * resumes too: the session is bound to no name, on both sides. */
START_TEST(resumes_without_name)
{
	struct run r;
	run_init(&r);
	ktls_config_set_check_host(r.cc, 0);
	r.no_name = true;
	first_connection(&r);
	connect_once(&r, r.jar.blob, r.jar.len);
	ck_assert_int_eq(r.client_rc, 1);
	ck_assert_int_eq(r.server_rc, 1);
	ck_assert(r.resumed_c && r.resumed_s);
	/* Not for a connection that does name one. */
	r.no_name = false;
	ktls_config_set_check_host(r.cc, 1);
	int fds[2];
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	struct ktls_conn *c = ktls_conn_new(r.cc, fds[0], "server.test");
	ck_assert_int_eq(ktls_conn_set_session(c, r.jar.blob, r.jar.len), -EINVAL);
	ktls_conn_free(c);
	close(fds[0]);
	close(fds[1]);
	run_free(&r);
}
END_TEST

/* A session blob, changed through its own codec (white-box). */
static void change(struct run *r, void (*how)(struct ktls_session *s))
{
	struct ktls_session s;
	ck_assert_int_eq(ktls_session_decode(&s, r->jar.blob, r->jar.len), 0);
	how(&s);
	struct ktls_buf b;
	ktls_buf_init(&b);
	ktls_session_encode(&s, &b);
	ck_assert_uint_le(b.len, sizeof(r->jar.blob));
	memcpy(r->jar.blob, b.base, b.len);
	r->jar.len = b.len;
	ktls_buf_free(&b);
	ktls_session_clear(&s);
}

static void tamper(struct ktls_session *s)
{
	s->ticket[s->ticket_len / 2] ^= 1;
}
static void rename_sni(struct ktls_session *s)
{
	memcpy(s->sni, "localhost", 9);
	s->sni_len = 9;
}
static void wrong_psk(struct ktls_session *s)
{
	s->psk[0] ^= 1;
}
static void refresh(struct ktls_session *s)
{
	s->time_ms = ktls_now_ms(); /* the client believes it is fresh */
}

START_TEST(faults)
{
	/* _i: 0 tampered ticket, 1 another server name, 2 offered by a client
	 * that offers only suites of another hash, 3 expired by the server's
	 * clock: full handshakes; 4 a wrong binder: decrypt_error. */
	struct run r;
	run_init(&r);
	if (_i == 3)
		ck_assert_int_eq(ktls_config_set_ticket_lifetime(r.sc, 1), 0);
	first_connection(&r);
	switch (_i) {
	case 0:
		change(&r, tamper);
		break;
	case 1:
		change(&r, rename_sni);
		r.name = "localhost";
		break;
	case 2: {
		static const uint16_t aes256 = KTLS_TLS_AES_256_GCM_SHA384;
		ck_assert_int_eq(ktls_config_set_suites(r.cc, &aes256, 1), 0);
		r.force = true;
		break;
	}
	case 3:
		usleep(1100 * 1000);
		change(&r, refresh);
		break;
	case 4:
		change(&r, wrong_psk);
		break;
	}
	connect_once(&r, r.jar.blob, r.jar.len);
	if (_i == 4) {
		ck_assert_int_eq(r.server_rc, KTLS_ALERT_ERR(KTLS_ALERT_DECRYPT_ERROR));
		ck_assert_int_eq(r.client_rc, -(KTLS_E_ALERT_RECEIVED + KTLS_ALERT_DECRYPT_ERROR));
	} else {
		ck_assert_msg(r.client_rc == 1 && r.server_rc == 1, "case %d: %d %d", _i,
			      r.client_rc, r.server_rc);
		ck_assert(!r.resumed_c && !r.resumed_s);
	}
	run_free(&r);
}
END_TEST

START_TEST(client_refuses_sessions)
{
	/* Another server name, a suite not configured, an expired or broken
	 * blob: not offered (-EINVAL), and the handshake is a full one. */
	struct run r;
	run_init(&r);
	first_connection(&r);
	struct ktls_hs *hs = ktls_hs_new(r.cc, "localhost");
	ck_assert_int_eq(ktls_hs_set_session(hs, r.jar.blob, r.jar.len), -EINVAL);
	ktls_hs_free(hs);
	static const uint16_t aes256 = KTLS_TLS_AES_256_GCM_SHA384;
	struct ktls_config *cc = ktls_config_new(KTLS_CLIENT);
	ck_assert_int_eq(ktls_config_set_suites(cc, &aes256, 1), 0);
	hs = ktls_hs_new(cc, "server.test");
	ck_assert_int_eq(ktls_hs_set_session(hs, r.jar.blob, r.jar.len), -EINVAL);
	ktls_hs_free(hs);
	ktls_config_free(cc);
	hs = ktls_hs_new(r.cc, "server.test");
	for (size_t cut = 0; cut < r.jar.len; cut += 7)
		ck_assert_int_eq(ktls_hs_set_session(hs, r.jar.blob, cut), -EINVAL);
	ck_assert_int_eq(ktls_hs_set_session(hs, r.jar.blob, r.jar.len), 0);
	ktls_hs_free(hs);
	run_free(&r);
}
END_TEST

START_TEST(shared_ticket_keys)
{
	/* Two servers with the same keys: a ticket of one resumes at the
	 * other. A third with other keys does a full handshake. */
	uint8_t keys[2 * KTLS_TICKET_KEY_LEN];
	for (size_t i = 0; i < sizeof(keys); i++)
		keys[i] = (uint8_t)(i * 7 + 1);
	struct run r;
	run_init(&r);
	ck_assert_int_eq(ktls_config_set_ticket_keys(r.sc, keys, 2), 0);
	first_connection(&r);
	struct jar first = r.jar;
	struct ktls_config *other = r.sc;
	r.sc = ktls_config_new(KTLS_SERVER);
	add_cert(r.sc, "server-ecdsa256");
	ck_assert_int_eq(ktls_config_set_tickets(r.sc, 1), 0);
	/* The first server's issuing key is the second's previous one. */
	memcpy(keys + KTLS_TICKET_KEY_LEN, keys, KTLS_TICKET_KEY_LEN);
	memset(keys, 0x42, KTLS_TICKET_KEY_LEN);
	ck_assert_int_eq(ktls_config_set_ticket_keys(r.sc, keys, 2), 0);
	connect_once(&r, first.blob, first.len);
	ck_assert(r.resumed_c && r.resumed_s);
	ck_assert_int_eq(ktls_config_set_ticket_keys(r.sc, keys, 1), 0); /* the old one gone */
	connect_once(&r, first.blob, first.len);
	ck_assert(!r.resumed_c && !r.resumed_s);
	ck_assert_int_eq(ktls_config_set_ticket_keys(r.sc, keys, 3), -EINVAL);
	ktls_config_free(other);
	run_free(&r);
}
END_TEST

START_TEST(exporter)
{
	/* Both ends agree; the context matters, an absent one is an empty one;
	 * an adopted connection given the exporter master secret agrees too;
	 * before the handshake, and for a label too long, errors. */
	struct side cl, sv;
	connect_pair(&cl, &sv, KTLS_TLS_AES_256_GCM_SHA384);
	cl.conn = ktls_conn_new(cl.cfg, cl.fd, "server.test");
	sv.conn = ktls_conn_new(sv.cfg, sv.fd, NULL);
	uint8_t a[40], b[40], c[40], d[40];
	ck_assert_int_eq(ktls_export_keying_material(cl.conn, a, 40, "l", 1, NULL, 0, 0),
			 -KTLS_E_HANDSHAKE_NOT_DONE);
	struct srv s = {sv.conn, 0, 0};
	pthread_t t;
	pthread_create(&t, NULL, serve, &s);
	ck_assert_int_eq(ktls_handshake(cl.conn), 1);
	ck_assert_int_eq(ktls_export_keying_material(cl.conn, a, 40, "EXPORTER-test", 13,
						     (const uint8_t *)"ctx", 3, 1),
			 0);
	ck_assert_int_eq(
		ktls_export_keying_material(cl.conn, b, 40, "EXPORTER-test", 13, NULL, 0, 0), 0);
	ck_assert_int_eq(ktls_export_keying_material(cl.conn, c, 40, "EXPORTER-test", 13,
						     (const uint8_t *)"", 0, 1),
			 0);
	ck_assert(memcmp(a, b, 40));
	ck_assert_mem_eq(b, c, 40);
	char long_label[251];
	memset(long_label, 'x', sizeof(long_label));
	ck_assert_int_eq(ktls_export_keying_material(cl.conn, d, 40, long_label, 250, NULL, 0, 0),
			 -EINVAL);
	uint8_t buf[8];
	ck_assert_int_eq(ktls_write(cl.conn, "hi", 2), 2);
	read_exact(cl.conn, buf, 2);
	pthread_join(t, NULL);
	ck_assert_int_eq(ktls_export_keying_material(sv.conn, d, 40, "EXPORTER-test", 13,
						     (const uint8_t *)"ctx", 3, 1),
			 0);
	ck_assert_mem_eq(a, d, 40);

	const struct ktls_hs *hs = ktls_conn_hs(cl.conn);
	uint8_t secret[48];
	memcpy(secret, hs->exporter, 48);
	int fds[2];
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	uint8_t x[48] = {1}, y[48] = {2};
	struct ktls_conn *ad =
		ktls_conn_adopt(cl.cfg, fds[0], KTLS_TLS_AES_256_GCM_SHA384, x, 0, y, 0);
	ck_assert_int_eq(ktls_export_keying_material(ad, d, 40, "EXPORTER-test", 13, NULL, 0, 0),
			 -KTLS_E_HANDSHAKE_NOT_DONE);
	ck_assert_int_eq(ktls_conn_set_exporter_secret(ad, secret, 32), -EINVAL);
	ck_assert_int_eq(ktls_conn_set_exporter_secret(ad, secret, 48), 0);
	ck_assert_int_eq(ktls_export_keying_material(ad, d, 40, "EXPORTER-test", 13,
						     (const uint8_t *)"ctx", 3, 1),
			 0);
	ck_assert_mem_eq(a, d, 40);
	ktls_conn_free(ad);
	close(fds[0]);
	close(fds[1]);
	side_free(&cl);
	side_free(&sv);
}
END_TEST

START_TEST(key_rotation)
{
	/* Our own keys: one issues for a lifetime, is accepted for one more,
	 * then is wiped (white-box, a lifetime of 1 s). */
	struct ktls_ticket_keys *k = ktls_ticket_keys_new();
	k->lifetime = 1;
	struct ktls_session s = {.suite = KTLS_TLS_AES_128_GCM_SHA256, .psk_len = 32}, out;
	struct ktls_buf a, b, c;
	ktls_buf_init(&a);
	ktls_buf_init(&b);
	ktls_buf_init(&c);
	ck_assert_int_eq(ktls_ticket_seal(k, 0, &s, &a), 0);
	ck_assert_int_eq(ktls_ticket_open(k, 0, a.base, a.len, &out), 0);
	ktls_session_clear(&out);
	usleep(1100 * 1000);
	ck_assert_int_eq(ktls_ticket_seal(k, 0, &s, &b), 0); /* a new key issues */
	ck_assert_uint_eq(k->rotations, 2);
	ck_assert_int_eq(ktls_ticket_open(k, 0, a.base, a.len, &out), 0); /* the previous */
	ktls_session_clear(&out);
	usleep(1100 * 1000);
	ck_assert_int_eq(ktls_ticket_seal(k, 0, &s, &c), 0);
	ck_assert_int_eq(ktls_ticket_open(k, 0, a.base, a.len, &out), -1); /* wiped */
	ck_assert_int_eq(ktls_ticket_open(k, 0, b.base, b.len, &out), 0);
	ktls_session_clear(&out);
	ktls_buf_free(&a);
	ktls_buf_free(&b);
	ktls_buf_free(&c);
	ktls_ticket_keys_free(k);
}
END_TEST

/* Client authentication survives resumption, and is never skipped by it:
 * a ticket carries whether (and which) client certificate was verified; a
 * server that requires one resumes only sessions that had one, and a ticket
 * from a server of another verify policy sharing the keys does not open. */
START_TEST(client_auth_binding)
{
	uint8_t keys[KTLS_TICKET_KEY_LEN];
	memset(keys, 0x5a, sizeof(keys));
	struct run r;
	run_init(&r);
	ck_assert_int_eq(ktls_config_set_ticket_keys(r.sc, keys, 1), 0);
	ck_assert_int_eq(ktls_config_set_ca_file(r.sc, cert_path("ca.pem")), 0);
	ck_assert_int_eq(ktls_config_set_verify(r.sc, KTLS_VERIFY_PEER), 0);
	/* No client certificate, at a server that only asks for one. */
	first_connection(&r);
	ck_assert(!r.peer_s);
	struct jar anon = r.jar;
	/* A server requiring one, with the same keys: no resumption; the
	 * client without a certificate is refused. */
	struct ktls_config *asking = r.sc;
	r.sc = ktls_config_new(KTLS_SERVER);
	add_cert(r.sc, "server-ecdsa256");
	ck_assert_int_eq(ktls_config_set_tickets(r.sc, 2), 0);
	ck_assert_int_eq(ktls_config_set_ticket_keys(r.sc, keys, 1), 0);
	ck_assert_int_eq(ktls_config_set_ca_file(r.sc, cert_path("ca.pem")), 0);
	ck_assert_int_eq(ktls_config_set_verify(r.sc, KTLS_VERIFY_REQUIRE), 0);
	ktls_config_set_keep_peer_cert(r.sc, 1);
	r.no_io = true;
	connect_once(&r, anon.blob, anon.len);
	r.no_io = false;
	ck_assert(!r.resumed_s);
	ck_assert_int_eq(r.server_rc, KTLS_ALERT_ERR(KTLS_ALERT_CERTIFICATE_REQUIRED));
	/* With a certificate: full, then resumed with the certificate known. */
	add_cert(r.cc, "client");
	r.jar.n = 0;
	connect_once(&r, NULL, 0);
	ck_assert(r.client_rc == 1 && r.server_rc == 1 && r.peer_s);
	connect_once(&r, r.jar.blob, r.jar.len);
	ck_assert(r.resumed_c && r.resumed_s);
	ck_assert(r.peer_s);
	/* White-box: a ticket minted without a client certificate under the
	 * requiring server's own mode is still refused (the flag is checked). */
	struct ktls_session s;
	ck_assert_int_eq(ktls_session_decode(&s, r.jar.blob, r.jar.len), 0);
	struct ktls_session inner;
	ck_assert_int_eq(ktls_ticket_open(r.sc->ticket_keys, KTLS_VERIFY_REQUIRE, s.ticket,
					  s.ticket_len, &inner),
			 0);
	ck_assert(inner.flags & KTLS_SESS_PEER_VERIFIED);
	ck_assert_uint_gt(inner.peer_len, 0);
	ck_assert_int_eq(ktls_ticket_open(r.sc->ticket_keys, KTLS_VERIFY_PEER, s.ticket,
					  s.ticket_len, &inner),
			 -1); /* another policy's mode: does not open */
	ktls_session_clear(&inner);
	ktls_session_clear(&s);
	ktls_config_free(asking);
	run_free(&r);
}
END_TEST

/* A client never resumes a session made under a weaker policy than its own:
 * resumption skips the server's certificate. */
START_TEST(client_policy_binding)
{
	struct run r;
	run_init(&r);
	ck_assert_int_eq(ktls_config_set_verify(r.cc, KTLS_VERIFY_NONE), 0);
	first_connection(&r);
	struct ktls_config *strict = ktls_config_new(KTLS_CLIENT);
	ck_assert_int_eq(ktls_config_set_ca_file(strict, cert_path("ca.pem")), 0);
	struct ktls_hs *hs = ktls_hs_new(strict, "server.test");
	ck_assert_int_eq(ktls_hs_set_session(hs, r.jar.blob, r.jar.len), -EINVAL);
	ktls_hs_free(hs);
	/* Chain checked but not the name: refused where the name is checked,
	 * taken where it is not. */
	ck_assert_int_eq(ktls_config_set_verify(r.cc, KTLS_VERIFY_PEER), 0);
	ck_assert_int_eq(ktls_config_set_check_host(r.cc, 0), 0);
	r.jar.n = 0;
	first_connection(&r);
	hs = ktls_hs_new(strict, "server.test");
	ck_assert_int_eq(ktls_hs_set_session(hs, r.jar.blob, r.jar.len), -EINVAL);
	ktls_hs_free(hs);
	ck_assert_int_eq(ktls_config_set_check_host(strict, 0), 0);
	hs = ktls_hs_new(strict, "server.test");
	ck_assert_int_eq(ktls_hs_set_session(hs, r.jar.blob, r.jar.len), 0);
	ktls_hs_free(hs);
	ktls_config_free(strict);
	run_free(&r);
}
END_TEST

START_TEST(client_ticket_size)
{
	/* A ticket too big to offer again in a ClientHello makes no session. */
	struct ktls_config *cc = ktls_config_new(KTLS_CLIENT), *sc = ktls_config_new(KTLS_SERVER);
	ck_assert_int_eq(ktls_config_set_ca_file(cc, cert_path("ca.pem")), 0);
	add_cert(sc, "server-ecdsa256");
	struct ktls_hs *c = ktls_hs_new(cc, "server.test"), *sv = ktls_hs_new(sc, NULL);
	struct hs_result res = run_pair(c, sv);
	ck_assert(res.client == 1 && res.server == 1);
	static uint8_t big[KTLS_CLIENT_MAX_TICKET + 1];
	uint8_t nonce = 0;
	struct ktls_new_session_ticket t = {600, 1, {&nonce, 1}, {big, sizeof(big)}};
	struct ktls_buf blob;
	ktls_buf_init(&blob);
	ck_assert_int_eq(ktls_hs_client_ticket(c, &t, &blob), -EMSGSIZE);
	ck_assert_uint_eq(blob.len, 0);
	t.ticket.len = KTLS_CLIENT_MAX_TICKET;
	ck_assert_int_eq(ktls_hs_client_ticket(c, &t, &blob), 0);
	ck_assert_uint_gt(blob.len, KTLS_CLIENT_MAX_TICKET);
	ktls_buf_free(&blob);
	ktls_hs_free(c);
	ktls_hs_free(sv);
	ktls_config_free(cc);
	ktls_config_free(sc);
}
END_TEST

START_TEST(ticket_keys_per_ticket)
{
	/* Two tickets of one session under one key: different salts and
	 * bytes; the verify mode is bound. */
	struct ktls_ticket_keys *k = ktls_ticket_keys_new();
	struct ktls_session s = {.suite = KTLS_TLS_AES_128_GCM_SHA256, .psk_len = 32}, out;
	struct ktls_buf a, b;
	ktls_buf_init(&a);
	ktls_buf_init(&b);
	ck_assert_int_eq(ktls_ticket_seal(k, 1, &s, &a), 0);
	ck_assert_int_eq(ktls_ticket_seal(k, 1, &s, &b), 0);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_mem_eq(a.base, b.base, 16); /* the key's name */
	ck_assert(memcmp(a.base + 16, b.base + 16, 16) != 0);
	ck_assert_int_eq(ktls_ticket_open(k, 1, a.base, a.len, &out), 0);
	ktls_session_clear(&out);
	ck_assert_int_eq(ktls_ticket_open(k, 0, a.base, a.len, &out), -1);
	ck_assert_int_eq(ktls_ticket_open(k, 2, b.base, b.len, &out), -1);
	ktls_buf_free(&a);
	ktls_buf_free(&b);
	ktls_ticket_keys_free(k);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resume");
	TCase *tc = tcase_create("resumption");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, resumes, 0, 3);
	tcase_add_loop_test(tc, faults, 0, 5);
	tcase_add_test(tc, resumes_without_name);
	tcase_add_test(tc, resumes_without_kept_cert);
	tcase_add_test(tc, client_refuses_sessions);
	tcase_add_test(tc, shared_ticket_keys);
	tcase_add_test(tc, key_rotation);
	tcase_add_test(tc, client_auth_binding);
	tcase_add_test(tc, client_policy_binding);
	tcase_add_test(tc, ticket_keys_per_ticket);
	tcase_add_test(tc, client_ticket_size);
	tcase_add_test(tc, exporter);
	suite_add_tcase(s, tc);
	return run_suite(s);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A connection against a hostile or broken peer after the handshake: every
 * record the peer sends is chosen here (rawpeer.h). Runs on the host
 * (userspace RX) and in the VM over the patched module (kernel RX).
 */
#include <fcntl.h>

#include "handshake/msg.h"
#include "hspair.h"
#include "rawpeer.h"

static const uint8_t close_notify[2] = {1, KTLS_ALERT_CLOSE_NOTIFY};

START_TEST(truncation_is_not_a_clean_end)
{
	/* _i: 0 data then FIN, 1 FIN alone, 2 data then FIN read by splice,
	 * 3 data then close_notify (the clean end). */
	struct rawpeer p;
	rawpeer_open(&p, KTLS_CLIENT);
	if (_i != 1)
		rawpeer_send(&p, KTLS_CT_APPLICATION_DATA, "data", 4, 0);
	if (_i == 3)
		rawpeer_send(&p, KTLS_CT_ALERT, close_notify, 2, 0);
	shutdown(p.fd, SHUT_WR);
	uint8_t buf[16];
	long want_end = _i == 3 ? 0 : -KTLS_E_TRUNCATED;
	if (_i == 2) {
		int pfd[2];
		ck_assert_int_eq(pipe(pfd), 0);
		ck_assert_int_eq(ktls_splice_read(p.conn, pfd[1], 4096, 0), 4);
		ck_assert_int_eq(read(pfd[0], buf, sizeof(buf)), 4);
		ck_assert_int_eq(ktls_splice_read(p.conn, pfd[1], 4096, 0), want_end);
		close(pfd[0]);
		close(pfd[1]);
	} else {
		if (_i != 1)
			ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), 4);
		ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), want_end);
	}
	/* It stays what it was: a truncated stream never turns into an end. */
	ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), want_end);
	rawpeer_close(&p);
}
END_TEST

/* A failure of ours: the read's error, the same from every later call
 * (reads and writes), and the alert the peer got. */
static void expect_failure(struct rawpeer *p, long want, int alert)
{
	uint8_t buf[64];
	long n = ktls_read(p->conn, buf, sizeof(buf));
	ck_assert_msg(n == want, "read: %ld (%s), want %ld", n, ktls_strerror((int)n), want);
	ck_assert_int_eq(ktls_read(p->conn, buf, sizeof(buf)), want);
	ck_assert_int_eq(ktls_write(p->conn, "x", 1), want);
	ck_assert_int_eq(rawpeer_alert(p), alert);
}

START_TEST(alert_sizes)
{
	/* Under application keys, on either RX path: an empty alert (with and
	 * without padding) is unexpected_message, one of 1 or 3 bytes
	 * decode_error. */
	static const uint8_t body[3] = {2, 40, 0};
	static const struct {
		size_t len, pad;
		int alert;
	} cases[] = {{0, 0, KTLS_ALERT_UNEXPECTED_MESSAGE},
		     {0, 7, KTLS_ALERT_UNEXPECTED_MESSAGE},
		     {1, 0, KTLS_ALERT_DECODE_ERROR},
		     {3, 0, KTLS_ALERT_DECODE_ERROR}};
	struct rawpeer p;
	rawpeer_open(&p, KTLS_CLIENT);
	rawpeer_send(&p, KTLS_CT_ALERT, body, cases[_i].len, cases[_i].pad);
	expect_failure(&p, KTLS_ALERT_ERR(cases[_i].alert), cases[_i].alert);
	rawpeer_close(&p);
}
END_TEST

/* Sends msg in records of the given sizes (the rest in the last). */
static void send_fragments(struct rawpeer *p, const uint8_t *msg, size_t len, const size_t *cuts,
			   size_t n)
{
	size_t off = 0;
	for (size_t i = 0; i <= n; i++) {
		size_t end = i < n ? cuts[i] : len;
		rawpeer_send(p, KTLS_CT_HANDSHAKE, msg + off, end - off, 0);
		off = end;
	}
}

START_TEST(key_update_in_fragments)
{
	/* A KeyUpdate (update_requested) in two and in three records, then
	 * data under the next key: accepted, and answered. In the kernel, the
	 * first fragment starts with 24 and pauses reception: resumed. */
	static const uint8_t ku[5] = {KTLS_HS_KEY_UPDATE, 0, 0, 1, 1};
	static const size_t two[] = {3}, three[] = {1, 4};
	struct rawpeer p;
	rawpeer_open(&p, KTLS_CLIENT);
	rawpeer_send(&p, KTLS_CT_APPLICATION_DATA, "before", 6, 0);
	send_fragments(&p, ku, 5, _i ? three : two, _i ? 2 : 1);
	ck_assert_int_eq(ktls_rec_update(&p.wr), 0);
	rawpeer_send(&p, KTLS_CT_APPLICATION_DATA, "after", 5, 0);
	uint8_t buf[16];
	ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), 6);
	ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "after", 5);
	/* Our answer: KeyUpdate(update_not_requested), then data, new key. */
	ck_assert_int_eq(ktls_write(p.conn, "back", 4), 4);
	uint8_t type;
	ck_assert_int_eq(rawpeer_recv(&p, buf, sizeof(buf), &type), 5);
	ck_assert_int_eq(type, KTLS_CT_HANDSHAKE);
	ck_assert_mem_eq(buf, "\x18\x00\x00\x01\x00", 5);
	ck_assert_int_eq(ktls_rec_update(&p.rd), 0);
	ck_assert_int_eq(rawpeer_recv(&p, buf, sizeof(buf), &type), 4);
	ck_assert_mem_eq(buf, "back", 4);
	struct ktls_conn_stats st;
	ktls_conn_stats(p.conn, &st);
	ck_assert_uint_eq(st.key_updates_received, 1);
	rawpeer_close(&p);
}
END_TEST

static unsigned tickets;
static void on_ticket(void *arg, const uint8_t *t, size_t len, uint32_t lifetime)
{
	(void)arg, (void)t, (void)len, (void)lifetime;
	tickets++;
}

START_TEST(ticket_in_fragments)
{
	/* A NewSessionTicket over three records, the second starting with
	 * byte 24 (which pauses kernel reception for nothing), then data; and
	 * the same with a lifetime over seven days: the reassembled message is
	 * decoded (illegal_parameter). */
	uint8_t ticket[300], nonce[1] = {1};
	memset(ticket, 0x18, sizeof(ticket));
	struct ktls_new_session_ticket t = {3600, 7, {nonce, 1}, {ticket, sizeof(ticket)}};
	struct ktls_buf m;
	ktls_buf_init(&m);
	ktls_new_session_ticket_encode(&m, &t);
	struct rawpeer p;
	rawpeer_open(&p, KTLS_CLIENT);
	ktls_config_set_ticket_cb(p.cfg, on_ticket, NULL);
	tickets = 0;
	static const size_t cuts[] = {100, 200};
	ck_assert_uint_eq(m.base[100], 0x18);
	send_fragments(&p, m.base, m.len, cuts, 2);
	rawpeer_send(&p, KTLS_CT_APPLICATION_DATA, "data", 4, 0);
	uint8_t buf[16];
	ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "data", 4);
	/* An adopted connection has no resumption secret: no session for the
	 * callback (test_resume covers sessions). */
	ck_assert_uint_eq(tickets, 0);
	rawpeer_close(&p);

	t.lifetime = 604801;
	m.len = 0;
	ktls_new_session_ticket_encode(&m, &t);
	rawpeer_open(&p, KTLS_CLIENT);
	send_fragments(&p, m.base, m.len, cuts, 2);
	expect_failure(&p, KTLS_ALERT_ERR(KTLS_ALERT_ILLEGAL_PARAMETER),
		       KTLS_ALERT_ILLEGAL_PARAMETER);
	ktls_buf_free(&m);
	rawpeer_close(&p);
}
END_TEST

START_TEST(records_between_fragments)
{
	/* _i: 0 data, 1 an alert (even a warning), between the fragments of
	 * a NewSessionTicket: unexpected_message. */
	static const uint8_t nst_head[6] = {KTLS_HS_NEW_SESSION_TICKET, 0, 0, 20, 0, 0};
	static const uint8_t warn[2] = {1, KTLS_ALERT_USER_CANCELED};
	struct rawpeer p;
	rawpeer_open(&p, KTLS_CLIENT);
	rawpeer_send(&p, KTLS_CT_HANDSHAKE, nst_head, sizeof(nst_head), 0);
	if (_i == 0)
		rawpeer_send(&p, KTLS_CT_APPLICATION_DATA, "x", 1, 0);
	else
		rawpeer_send(&p, KTLS_CT_ALERT, warn, 2, 0);
	expect_failure(&p, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
		       KTLS_ALERT_UNEXPECTED_MESSAGE);
	rawpeer_close(&p);
}
END_TEST

START_TEST(key_update_not_last)
{
	/* _i: 0 a ticket after a KeyUpdate in one record, 1 two KeyUpdates in
	 * one record: what follows a KeyUpdate belongs to the next key. */
	uint8_t msgs[64] = {KTLS_HS_KEY_UPDATE, 0, 0, 1, 0};
	size_t len = 5;
	if (_i) {
		memcpy(msgs + 5, msgs, 5);
		len = 10;
	} else {
		static const uint8_t nst[] = {4, 0, 0, 13, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 9, 0};
		memcpy(msgs + 5, nst, sizeof(nst));
		len = 5 + sizeof(nst);
	}
	struct rawpeer p;
	rawpeer_open(&p, KTLS_CLIENT);
	rawpeer_send(&p, KTLS_CT_HANDSHAKE, msgs, len, 0);
	expect_failure(&p, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
		       KTLS_ALERT_UNEXPECTED_MESSAGE);
	rawpeer_close(&p);
}
END_TEST

START_TEST(user_canceled_then_close)
{
	/* user_canceled is a warning: the data after it is read, and the
	 * close_notify that follows is the clean end. */
	static const uint8_t cancel[2] = {1, KTLS_ALERT_USER_CANCELED};
	struct rawpeer p;
	rawpeer_open(&p, KTLS_CLIENT);
	rawpeer_send(&p, KTLS_CT_ALERT, cancel, 2, 0);
	rawpeer_send(&p, KTLS_CT_APPLICATION_DATA, "last", 4, 0);
	rawpeer_send(&p, KTLS_CT_ALERT, close_notify, 2, 0);
	uint8_t buf[16];
	ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), 4);
	ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), 0);
	rawpeer_close(&p);
}
END_TEST

/* Under kernel RX a record that fails to decrypt may abort the socket:
 * the kernel sets sk_err and TX then refuses every send (mainline does the
 * same), so the alert goes out only where the socket still allows it; the
 * peer sees bad_record_mac or the connection's end, nothing else. */
static bool kernel_rx(const struct rawpeer *p)
{
	return ktls_conn_offload(p->conn) & KTLS_OFFLOAD_RX;
}

START_TEST(records_of_nothing)
{
	/* _i: 0 six user_canceled warnings, 1 33 empty data records in a row:
	 * unexpected_message (a peer making us spin for free); 2 five and 32,
	 * then data: read. */
	static const uint8_t cancel[2] = {1, KTLS_ALERT_USER_CANCELED};
	struct rawpeer p;
	rawpeer_open(&p, KTLS_CLIENT);
	unsigned warnings = _i == 0   ? 6
			    : _i == 2 ? 5
				      : 0,
		 empties = _i == 1   ? 33
			   : _i == 2 ? 32
				     : 0;
	for (unsigned i = 0; i < warnings; i++)
		rawpeer_send(&p, KTLS_CT_ALERT, cancel, 2, 0);
	for (unsigned i = 0; i < empties; i++)
		rawpeer_send(&p, KTLS_CT_APPLICATION_DATA, "", 0, 0);
	/* Under kernel RX the kernel consumes empty data records itself: none
	 * reaches the library to be counted (nor costs it a call). */
	bool absorbed = _i == 1 && kernel_rx(&p);
	if (_i == 2 || absorbed) {
		rawpeer_send(&p, KTLS_CT_APPLICATION_DATA, "data", 4, 0);
		uint8_t buf[8];
		ck_assert_int_eq(ktls_read(p.conn, buf, sizeof(buf)), 4);
	} else {
		expect_failure(&p, KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE),
			       KTLS_ALERT_UNEXPECTED_MESSAGE);
	}
	rawpeer_close(&p);
}
END_TEST

static void expect_aborted(struct rawpeer *p, long want)
{
	uint8_t buf[64];
	ck_assert_int_eq(ktls_read(p->conn, buf, sizeof(buf)), want);
	ck_assert_int_eq(ktls_read(p->conn, buf, sizeof(buf)), want);
	ck_assert_int_eq(ktls_write(p->conn, "x", 1), want);
	shutdown(p->conn_fd, SHUT_WR);
	int alert = rawpeer_alert(p);
	ck_assert_msg(alert == -1 || alert == KTLS_ALERT_BAD_RECORD_MAC, "alert %d", alert);
}

START_TEST(bad_record_mac)
{
	/* A record whose tag does not verify: bad_record_mac (the kernel's
	 * EBADMSG named as the library names it), and its alert where the
	 * socket still allows one. */
	struct rawpeer p;
	rawpeer_open(&p, KTLS_CLIENT);
	uint8_t rec[64];
	long n = ktls_rec_seal(&p.wr, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"data", 4, 0, rec,
			       sizeof(rec));
	ck_assert_int_gt(n, 0);
	rec[n - 1] ^= 1; /* the tag */
	rawpeer_send_raw(&p, rec, (size_t)n);
	if (kernel_rx(&p))
		expect_aborted(&p, -KTLS_E_BAD_RECORD_MAC);
	else
		expect_failure(&p, -KTLS_E_BAD_RECORD_MAC, KTLS_ALERT_BAD_RECORD_MAC);
	rawpeer_close(&p);
}
END_TEST

START_TEST(plaintext_ccs_after_handshake)
{
	/* A ChangeCipherSpec after the handshake (past the peer's Finished):
	 * unexpected_message in userspace; the kernel tries to open it as a
	 * protected record, and that is bad_record_mac, the socket aborted. */
	static const uint8_t ccs[] = {20, 3, 3, 0, 1, 1};
	struct rawpeer p;
	rawpeer_open(&p, KTLS_CLIENT);
	rawpeer_send_raw(&p, ccs, sizeof(ccs));
	if (kernel_rx(&p)) {
		expect_aborted(&p, -KTLS_E_BAD_RECORD_MAC);
	} else {
		uint8_t buf[16];
		long n = ktls_read(p.conn, buf, sizeof(buf));
		ck_assert_msg(ktls_error_alert((int)n) == KTLS_ALERT_UNEXPECTED_MESSAGE, "%ld (%s)",
			      n, ktls_strerror((int)n));
		ck_assert_int_eq(rawpeer_alert(&p), KTLS_ALERT_UNEXPECTED_MESSAGE);
	}
	rawpeer_close(&p);
}
END_TEST

/* ---- The handshake over a socket: the engine's verdicts and alerts come
 * through the socket driver (the cases themselves: test_conformance). ---- */

/* A ClientHello as our client engine makes it (record framed). */
static size_t client_hello(uint8_t *out, size_t cap)
{
	struct ktls_config *cc = ktls_config_new(KTLS_CLIENT);
	ck_assert_int_eq(ktls_config_set_verify(cc, KTLS_VERIFY_NONE), 0);
	struct ktls_hs *c = ktls_hs_new(cc, "x.test");
	size_t used, len;
	const uint8_t *p;
	ck_assert_int_eq(ktls_hs_step(c, NULL, 0, &used), 0);
	ktls_hs_output(c, &p, &len);
	ck_assert_uint_le(len, cap);
	memcpy(out, p, len);
	ktls_hs_free(c);
	ktls_config_free(cc);
	return len;
}

/* The plaintext alert a raw end reads next, or -1. */
static int plain_alert(int fd)
{
	uint8_t a[7];
	return ktls_read_full(fd, a, 7) == 0 && a[0] == KTLS_CT_ALERT ? a[6] : -1;
}

START_TEST(handshake_over_socket)
{
	/* _i: 0 a server given a ClientHello of legacy_version 0x0300; 1 a
	 * server given an empty alert; 2 a client given an empty alert; 3 a
	 * client with no server name (nothing is sent); 4 a server given an
	 * HTTP request (refused at its first five bytes, not after waiting for
	 * the 16 KiB its "header" announces); 5 a client whose server goes
	 * away mid-handshake (truncated). */
	int fds[2];
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	bool server = _i < 2 || _i == 4;
	struct ktls_config *cfg = ktls_config_new(server ? KTLS_SERVER : KTLS_CLIENT);
	if (server)
		ck_assert_int_eq(ktls_config_add_cert_files(cfg, cert_path("server-ecdsa256.pem"),
							    cert_path("server-ecdsa256.key")),
				 0);
	struct ktls_conn *c = ktls_conn_new(cfg, fds[0], _i == 2 || _i == 5 ? "server.test" : NULL);
	static const uint8_t empty_alert[] = {KTLS_CT_ALERT, 3, 3, 0, 0};
	uint8_t ch[2048];
	int want, alert = -1;
	if (_i == 0) {
		size_t n = client_hello(ch, sizeof(ch));
		ch[9] = 3, ch[10] = 0;
		ck_assert_int_eq(ktls_write_all(fds[1], ch, n), 0);
		want = KTLS_ALERT_ERR(KTLS_ALERT_PROTOCOL_VERSION);
	} else if (_i == 4) {
		ck_assert_int_eq(ktls_write_all(fds[1], "GET / HTTP/1.1\r\n", 16), 0);
		want = KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE);
	} else if (_i == 5) {
		shutdown(fds[1], SHUT_WR);
		want = -KTLS_E_TRUNCATED;
	} else {
		if (_i != 3)
			ck_assert_int_eq(ktls_write_all(fds[1], empty_alert, sizeof(empty_alert)),
					 0);
		want = _i == 3 ? -EINVAL : KTLS_ALERT_ERR(KTLS_ALERT_UNEXPECTED_MESSAGE);
	}
	ck_assert_int_eq(ktls_handshake(c), want);
	ck_assert_int_eq(ktls_handshake(c), want); /* sticky */
	if (_i == 2 || _i == 5) {
		/* The client's ClientHello came first, then its alert. */
		uint8_t hdr[5];
		ck_assert_int_eq(ktls_read_full(fds[1], hdr, 5), 0);
		ck_assert_int_eq(hdr[0], KTLS_CT_HANDSHAKE);
		ck_assert_int_eq(ktls_read_full(fds[1], ch, (size_t)hdr[3] << 8 | hdr[4]), 0);
	}
	shutdown(fds[0], SHUT_WR);
	alert = plain_alert(fds[1]);
	ck_assert_int_eq(alert, _i == 3 || _i == 5 ? -1 : -want - KTLS_E_ALERT_SENT);
	ktls_conn_free(c);
	ktls_config_free(cfg);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("peer");
	TCase *tc = tcase_create("hostile peer");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, truncation_is_not_a_clean_end, 0, 4);
	tcase_add_loop_test(tc, alert_sizes, 0, 4);
	tcase_add_loop_test(tc, key_update_in_fragments, 0, 2);
	tcase_add_test(tc, ticket_in_fragments);
	tcase_add_loop_test(tc, records_between_fragments, 0, 2);
	tcase_add_loop_test(tc, key_update_not_last, 0, 2);
	tcase_add_test(tc, user_canceled_then_close);
	tcase_add_loop_test(tc, records_of_nothing, 0, 3);
	tcase_add_test(tc, bad_record_mac);
	tcase_add_test(tc, plaintext_ccs_after_handshake);
	tcase_add_loop_test(tc, handshake_over_socket, 0, 6);
	suite_add_tcase(s, tc);
	return run_suite(s);
}

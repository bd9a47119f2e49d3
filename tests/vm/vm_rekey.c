/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS 1.3 re-key in the kernel (our kmod patches, or Linux 6.14+), in the
 * shape of the kernel's selftest: each case runs once per TLS 1.3 cipher.
 * Keys come from our key schedule, so both sides of the "traffic upd" chain
 * are checked against each other: the kernel and our record layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "ktls/ktls.h"
#include "vmutil.h"

static const uint8_t key_update[] = {24, 0, 0, 1, 0};

static void pair(int fds[2], bool tls0, bool tls1)
{
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	if (tls0)
		ck_assert_int_eq(ktls_kernel_attach(fds[0]), 0);
	if (tls1)
		ck_assert_int_eq(ktls_kernel_attach(fds[1]), 0);
}

static void set_key(int fd, enum ktls_dir dir, const struct keys *k, bool rekey)
{
	ck_assert_int_eq(ktls_kernel_set_key(fd, dir, k->s, k->key, k->iv, 0, rekey), 0);
}

/* Seals data, a KeyUpdate, then more data under the next key: the stream a
 * peer sends when it updates its keys. */
static size_t seal_update_stream(struct ktls_rec_dir *tx, const uint8_t *d1, size_t n1,
				 const uint8_t *d2, size_t n2, uint8_t *out, size_t cap)
{
	size_t off = 0;
	long r = ktls_rec_seal(tx, KTLS_CT_APPLICATION_DATA, d1, n1, 0, out, cap);
	ck_assert_int_gt(r, 0);
	off += (size_t)r;
	r = ktls_rec_seal(tx, KTLS_CT_HANDSHAKE, key_update, 5, 0, out + off, cap - off);
	ck_assert_int_gt(r, 0);
	off += (size_t)r;
	ck_assert_int_eq(ktls_rec_update(tx), 0);
	r = ktls_rec_seal(tx, KTLS_CT_APPLICATION_DATA, d2, n2, 0, out + off, cap - off);
	ck_assert_int_gt(r, 0);
	return off + (size_t)r;
}

/* fds[1] receives in the kernel under generation 0 of `fill`; a userspace
 * sender (tx, left to the caller to clear) has written "first", a
 * KeyUpdate and "second" under generation 1 into fds[0]. */
static void update_stream_pair(int fds[2], struct keys *k0, struct keys *k1,
			       struct ktls_rec_dir *tx, int suite, uint8_t fill)
{
	keys_gen(k0, suite, fill, 0);
	keys_gen(k1, suite, fill, 1);
	pair(fds, false, true);
	set_key(fds[1], KTLS_DIR_RX, k0, false);
	ck_assert_int_eq(ktls_rec_init(tx, k0->s, k0->secret, 1), 0);
	static uint8_t out[1 << 16];
	size_t n = seal_update_stream(tx, (const uint8_t *)"first", 5, (const uint8_t *)"second", 6,
				      out, sizeof(out));
	ck_assert_int_eq(ktls_write_all(fds[0], out, n), 0);
}

START_TEST(tx_rekey_then_data)
{
	struct keys k0, k1;
	int fds[2];
	keys_gen(&k0, _i, 0x51, 0);
	keys_gen(&k1, _i, 0x51, 1);
	pair(fds, true, false);
	set_key(fds[0], KTLS_DIR_TX, &k0, false);
	uint8_t *before = pattern(3000, 1), *after = pattern(40000, 2);
	ck_assert_int_eq(ktls_write_all(fds[0], before, 3000), 0);
	ck_assert_int_eq(send_typed(fds[0], KTLS_CT_HANDSHAKE, key_update, 5), 5);
	set_key(fds[0], KTLS_DIR_TX, &k1, true);
	ck_assert_int_eq(ktls_write_all(fds[0], after, 40000), 0);
	uint64_t seq;
	ck_assert_int_eq(ktls_kernel_get_seq(fds[0], KTLS_DIR_TX, k1.s, &seq), 0);
	ck_assert_uint_eq(seq, 3); /* 40000 bytes: three records under the new key */
	shutdown(fds[0], SHUT_WR);

	/* Our record layer, following the KeyUpdate, reads it all back. */
	struct ktls_rec_dir rx = {0};
	ck_assert_int_eq(ktls_rec_init(&rx, k0.s, k0.secret, 0), 0);
	static uint8_t wire[1 << 17], plain[1 << 17];
	size_t have = 0, got = 0, updates = 0;
	ssize_t r;
	while ((r = read(fds[1], wire + have, sizeof(wire) - have)) > 0)
		have += (size_t)r;
	for (size_t off = 0; off < have;) {
		long n = ktls_rec_frame(wire + off, have - off, KTLS_REC_MAX_CIPHER);
		ck_assert_int_gt(n, 0);
		uint8_t type;
		long m = ktls_rec_open(&rx, wire + off, (size_t)n, plain + got, sizeof(plain) - got,
				       &type);
		ck_assert_int_ge(m, 0);
		if (type == KTLS_CT_HANDSHAKE) {
			ck_assert_mem_eq(plain + got, key_update, 5);
			ck_assert_int_eq(ktls_rec_update(&rx), 0);
			updates++;
		} else {
			got += (size_t)m;
		}
		off += (size_t)n;
	}
	ck_assert_uint_eq(updates, 1);
	ck_assert_uint_eq(got, 43000);
	ck_assert_mem_eq(plain, before, 3000);
	ck_assert_mem_eq(plain + 3000, after, 40000);
	ktls_rec_clear(&rx);
	free(before);
	free(after);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(rx_rekey_pause_and_poll)
{
	/* Data queued behind a KeyUpdate waits, unreadable and not polled
	 * readable, until the next key is installed; then it decrypts. */
	struct keys k0, k1;
	int fds[2];
	struct ktls_rec_dir tx = {0};
	update_stream_pair(fds, &k0, &k1, &tx, _i, 0x52);

	uint8_t buf[64], type;
	ck_assert_int_eq(ktls_read_full(fds[1], buf, 5), 0);
	ck_assert_mem_eq(buf, "first", 5);
	ck_assert_int_eq(recv_typed(fds[1], &type, buf, sizeof(buf), 0), 5);
	ck_assert_uint_eq(type, KTLS_CT_HANDSHAKE);
	ck_assert_mem_eq(buf, key_update, 5);

	ck_assert_int_eq(recv(fds[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EKEYEXPIRED);
	ck_assert_int_eq(recv(fds[1], buf, sizeof(buf), 0), -1); /* blocking: no wait */
	ck_assert_int_eq(errno, EKEYEXPIRED);
	ck_assert_int_eq(recv(fds[1], buf, sizeof(buf), MSG_PEEK), -1);
	ck_assert_int_eq(errno, EKEYEXPIRED);
	struct pollfd p = {fds[1], POLLIN, 0};
	ck_assert_int_eq(poll(&p, 1, 200), 0);

	set_key(fds[1], KTLS_DIR_RX, &k1, true);
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	ck_assert(p.revents & POLLIN);
	ck_assert_int_eq(ktls_read_full(fds[1], buf, 6), 0);
	ck_assert_mem_eq(buf, "second", 6);
	uint64_t seq;
	ck_assert_int_eq(ktls_kernel_get_seq(fds[1], KTLS_DIR_RX, k1.s, &seq), 0);
	ck_assert_uint_eq(seq, 1);
	ktls_rec_clear(&tx);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(peek_and_splice_across_rekey)
{
	struct keys k0, k1;
	int fds[2], pipefd[2];
	keys_gen(&k0, _i, 0x53, 0);
	keys_gen(&k1, _i, 0x53, 1);
	pair(fds, false, true);
	set_key(fds[1], KTLS_DIR_RX, &k0, false);
	ck_assert_int_eq(pipe(pipefd), 0);
	struct ktls_rec_dir tx = {0};
	ck_assert_int_eq(ktls_rec_init(&tx, k0.s, k0.secret, 1), 0);
	static uint8_t out[1 << 16];
	size_t n = seal_update_stream(&tx, (const uint8_t *)"peeked", 6, (const uint8_t *)"spliced",
				      7, out, sizeof(out));
	ck_assert_int_eq(ktls_write_all(fds[0], out, n), 0);

	uint8_t buf[64], type;
	/* Peek twice: the same bytes, nothing consumed. */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(recv(fds[1], buf, sizeof(buf), MSG_PEEK), 6);
		ck_assert_mem_eq(buf, "peeked", 6);
	}
	ck_assert_int_eq(splice(fds[1], NULL, pipefd[1], NULL, 64, 0), 6);
	ck_assert_int_eq(read(pipefd[0], buf, 6), 6);
	ck_assert_mem_eq(buf, "peeked", 6);
	/* splice refuses the control record; recvmsg takes it. */
	ck_assert_int_eq(splice(fds[1], NULL, pipefd[1], NULL, 64, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(recv_typed(fds[1], &type, buf, sizeof(buf), 0), 5);
	ck_assert_uint_eq(type, KTLS_CT_HANDSHAKE);
	ck_assert_int_eq(splice(fds[1], NULL, pipefd[1], NULL, 64, SPLICE_F_NONBLOCK), -1);
	ck_assert_int_eq(errno, EKEYEXPIRED);
	set_key(fds[1], KTLS_DIR_RX, &k1, true);
	ck_assert_int_eq(recv(fds[1], buf, sizeof(buf), MSG_PEEK), 7);
	ck_assert_int_eq(splice(fds[1], NULL, pipefd[1], NULL, 64, 0), 7);
	ck_assert_int_eq(read(pipefd[0], buf, 7), 7);
	ck_assert_mem_eq(buf, "spliced", 7);
	ktls_rec_clear(&tx);
	close(pipefd[0]);
	close(pipefd[1]);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(rekey_many_times)
{
	/* Kernel to kernel through 40 key updates, byte for byte. */
	int fds[2];
	pair(fds, true, true);
	struct keys k;
	keys_gen(&k, _i, 0x54, 0);
	set_key(fds[0], KTLS_DIR_TX, &k, false);
	set_key(fds[1], KTLS_DIR_RX, &k, false);
	uint8_t *data = pattern(70000, 5), *got = malloc(70000), buf[16], type;
	for (int gen = 1; gen <= 40; gen++) {
		size_t len = (size_t)(gen * 1733) % 70000 + 1;
		ck_assert_int_eq(ktls_write_all(fds[0], data, len), 0);
		ck_assert_int_eq(send_typed(fds[0], KTLS_CT_HANDSHAKE, key_update, 5), 5);
		keys_gen(&k, _i, 0x54, gen);
		set_key(fds[0], KTLS_DIR_TX, &k, true);
		ck_assert_int_eq(ktls_read_full(fds[1], got, len), 0);
		ck_assert_mem_eq(got, data, len);
		ck_assert_int_eq(recv_typed(fds[1], &type, buf, sizeof(buf), 0), 5);
		ck_assert_uint_eq(type, KTLS_CT_HANDSHAKE);
		set_key(fds[1], KTLS_DIR_RX, &k, true);
	}
	ck_assert_int_eq(ktls_write_all(fds[0], "end", 3), 0);
	ck_assert_int_eq(ktls_read_full(fds[1], buf, 3), 0);
	ck_assert_mem_eq(buf, "end", 3);
	free(data);
	free(got);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(einval_ebusy_and_counters)
{
	long tx_ok = tls_stat("TlsTxRekeyOk"), tx_err = tls_stat("TlsTxRekeyError"),
	     rx_ok = tls_stat("TlsRxRekeyOk"), rx_seen = tls_stat("TlsRxRekeyReceived");
	ck_assert_int_ge(tx_ok, 0);
	struct keys k0, k1, other;
	int fds[2];
	keys_gen(&k0, 0, 0x55, 0);
	keys_gen(&k1, 0, 0x55, 1);
	keys_gen(&other, 2, 0x55, 0);
	pair(fds, true, true);
	set_key(fds[0], KTLS_DIR_TX, &k0, false);
	set_key(fds[1], KTLS_DIR_RX, &k0, false);
	/* Another cipher: EINVAL, and the old key keeps working. */
	ck_assert_int_eq(
		ktls_kernel_set_key(fds[0], KTLS_DIR_TX, other.s, other.key, other.iv, 0, true),
		-EINVAL);
	ck_assert_int_eq(ktls_write_all(fds[0], "abc", 3), 0);
	uint8_t buf[16], type;
	ck_assert_int_eq(ktls_read_full(fds[1], buf, 3), 0);
	ck_assert_mem_eq(buf, "abc", 3);
	/* Three good re-keys each way. */
	for (int i = 1; i <= 3; i++) {
		ck_assert_int_eq(send_typed(fds[0], KTLS_CT_HANDSHAKE, key_update, 5), 5);
		keys_gen(&k1, 0, 0x55, i);
		set_key(fds[0], KTLS_DIR_TX, &k1, true);
		ck_assert_int_eq(recv_typed(fds[1], &type, buf, sizeof(buf), 0), 5);
		set_key(fds[1], KTLS_DIR_RX, &k1, true);
	}
	ck_assert_int_eq(tls_stat("TlsTxRekeyOk"), tx_ok + 3);
	ck_assert_int_eq(tls_stat("TlsTxRekeyError"), tx_err + 1);
	ck_assert_int_eq(tls_stat("TlsRxRekeyOk"), rx_ok + 3);
	ck_assert_int_eq(tls_stat("TlsRxRekeyReceived"), rx_seen + 3);
	close(fds[0]);
	close(fds[1]);

	/* A TLS 1.2 socket cannot re-key: EBUSY. */
	union ktls_uapi_crypto ci;
	pair(fds, true, false);
	int len = ktls_kernel_crypto_info(k0.s, k0.key, k0.iv, 0, &ci);
	ci.info.version = 0x0303;
	ck_assert_int_eq(
		setsockopt(fds[0], KTLS_UAPI_SOL_TLS, KTLS_UAPI_TLS_TX, &ci, (socklen_t)len), 0);
	ck_assert_int_eq(
		setsockopt(fds[0], KTLS_UAPI_SOL_TLS, KTLS_UAPI_TLS_TX, &ci, (socklen_t)len), -1);
	ck_assert_int_eq(errno, EBUSY);
	/* ... and counts as a refused re-key, as in mainline */
	ck_assert_int_eq(tls_stat("TlsTxRekeyError"), tx_err + 2);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(key_update_not_first_in_record)
{
	/* The kernel looks at a record's first message only: a KeyUpdate
	 * behind a NewSessionTicket goes unnoticed, so reads do not pause.
	 * The library must catch this case itself (it does: posths.c). */
	struct keys k0;
	int fds[2];
	keys_gen(&k0, _i, 0x56, 0);
	pair(fds, false, true);
	set_key(fds[1], KTLS_DIR_RX, &k0, false);
	struct ktls_rec_dir tx = {0};
	ck_assert_int_eq(ktls_rec_init(&tx, k0.s, k0.secret, 1), 0);
	static const uint8_t two[] = {4, 0, 0, 13,   0, 0, 0,  1, 0, 0, 0, 2,
				      0, 0, 1, 0x77, 0, 0, 24, 0, 0, 1, 0};
	uint8_t out[256], buf[64], type;
	long n = ktls_rec_seal(&tx, KTLS_CT_HANDSHAKE, two, sizeof(two), 0, out, sizeof(out));
	ck_assert_int_eq(ktls_write_all(fds[0], out, (size_t)n), 0);
	n = ktls_rec_seal(&tx, KTLS_CT_APPLICATION_DATA, (const uint8_t *)"x", 1, 0, out,
			  sizeof(out));
	ck_assert_int_eq(ktls_write_all(fds[0], out, (size_t)n), 0);
	ck_assert_int_eq(recv_typed(fds[1], &type, buf, sizeof(buf), 0), sizeof(two));
	ck_assert_uint_eq(type, KTLS_CT_HANDSHAKE);
	ck_assert_int_eq(recv(fds[1], buf, sizeof(buf), 0), 1);
	ktls_rec_clear(&tx);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(open_record_sealed_under_new_key)
{
	/* As in mainline: bytes sent with MSG_MORE wait in an open record,
	 * which is sealed when it closes, under the key current then. (Our
	 * ktls-rekey-1 module pushed it under the old key first.) */
	struct keys k0, k1;
	int fds[2];
	keys_gen(&k0, _i, 0x4f, 0);
	keys_gen(&k1, _i, 0x4f, 1);
	pair(fds, true, true);
	set_key(fds[0], KTLS_DIR_TX, &k0, false);
	set_key(fds[1], KTLS_DIR_RX, &k1, false);
	ck_assert_int_eq(send(fds[0], "abc", 3, MSG_MORE), 3);
	set_key(fds[0], KTLS_DIR_TX, &k1, true);
	ck_assert_int_eq(send(fds[0], "def", 3, 0), 3);
	uint8_t buf[16];
	ck_assert_int_eq(ktls_read_full(fds[1], buf, 6), 0);
	ck_assert_mem_eq(buf, "abcdef", 6);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* 1 where the kernel hides a decrypted KeyUpdate from poll (mainline 7.2,
 * see kmod-patches/README.md), 0 where it must not (our module). */
static int poll_bug_expected(void)
{
	const char *e = getenv("KTLS_MAINLINE_POLL_BUG");
	return e && !strcmp(e, "1");
}

START_TEST(keyupdate_behind_data_polls_readable)
{
	/* A read that returns data may decrypt the next record ahead: if it
	 * is a KeyUpdate it waits on the socket's list of decrypted records.
	 * poll() must report it (OpenSSL's s_client polls before each read);
	 * mainline 7.2 clears POLLIN as soon as the KeyUpdate is decrypted,
	 * and such a reader waits forever. */
	struct keys k0, k1;
	int fds[2];
	struct ktls_rec_dir tx = {0};
	update_stream_pair(fds, &k0, &k1, &tx, _i, 0x50);
	struct pollfd p = {fds[1], POLLIN, 0};
	ck_assert_int_eq(poll(&p, 1, 2000), 1); /* everything has arrived */
	uint8_t buf[64], type;
	ck_assert_int_eq(recv(fds[1], buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "first", 5);
	int readable = poll(&p, 1, 500);
	if (poll_bug_expected()) {
		ck_assert_msg(readable == 0, "poll reports the KeyUpdate: mainline fixed? "
					     "update kmod-patches/README.md and the expectation");
		printf("mainline poll bug reproduced (%s): KeyUpdate decrypted, POLLIN hidden\n",
		       k0.s->name);
	} else {
		ck_assert_int_eq(readable, 1);
	}
	ck_assert_int_eq(recv_typed(fds[1], &type, buf, sizeof(buf), MSG_DONTWAIT), 5);
	ck_assert_uint_eq(type, KTLS_CT_HANDSHAKE);
	set_key(fds[1], KTLS_DIR_RX, &k1, true);
	ck_assert_int_eq(ktls_read_full(fds[1], buf, 6), 0);
	ck_assert_mem_eq(buf, "second", 6);
	ktls_rec_clear(&tx);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(probe_and_module)
{
	struct ktls_kernel_info info;
	ck_assert_int_eq(ktls_probe_kernel(&info, KTLS_PROBE_FRESH), 0);
	ck_assert_int_eq(info.rekey, 1);
	FILE *f = fopen("/sys/module/tls/version", "r");
	char v[64] = "";
	if (f) {
		ck_assert_ptr_nonnull(fgets(v, sizeof(v), f));
		fclose(f);
	}
	printf("tls module version: %s", f ? v : "(none: mainline re-key)\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vm-rekey");
	TCase *tc = tcase_create("per-cipher");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, tx_rekey_then_data, 0, KTLS_NUM_SUITES);
	tcase_add_loop_test(tc, rx_rekey_pause_and_poll, 0, KTLS_NUM_SUITES);
	tcase_add_loop_test(tc, peek_and_splice_across_rekey, 0, KTLS_NUM_SUITES);
	tcase_add_loop_test(tc, rekey_many_times, 0, KTLS_NUM_SUITES);
	tcase_add_loop_test(tc, key_update_not_first_in_record, 0, KTLS_NUM_SUITES);
	tcase_add_loop_test(tc, open_record_sealed_under_new_key, 0, KTLS_NUM_SUITES);
	tcase_add_loop_test(tc, keyupdate_behind_data_polls_readable, 0, KTLS_NUM_SUITES);
	suite_add_tcase(s, tc);
	tc = tcase_create("module");
	tcase_add_test(tc, einval_ebusy_and_counters);
	tcase_add_test(tc, probe_and_module);
	suite_add_tcase(s, tc);
	return run_suite(s);
}

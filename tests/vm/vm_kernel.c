/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs inside the VM, against Debian's real tls module: for each TLS 1.3
 * cipher, kernel TX -> our record layer, our record layer -> kernel RX, and
 * kernel -> kernel, byte for byte, with the kernel's record sequence numbers
 * checked through getsockopt. Plus the probe and the kernel layer's errors.
 * KTLS_EXPECT_REKEY=0|1 says whether the loaded module can re-key.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktls/ktls.h"
#include "vmutil.h"

#define DATA_LEN (100 * 1000)

static void keys_for(struct keys *k, int suite_index, uint8_t fill)
{
	keys_gen(k, suite_index, fill, 0);
}

START_TEST(kernel_tx_to_userspace)
{
	struct keys k;
	int fds[2];
	keys_for(&k, _i, 0x11);
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	ck_assert_int_eq(ktls_kernel_attach(fds[0]), 0);
	ck_assert_int_eq(ktls_kernel_set_key(fds[0], KTLS_DIR_TX, k.s, k.key, k.iv, 3, false), 0);

	uint8_t *data = pattern(DATA_LEN, 1);
	ck_assert_int_eq(ktls_write_all(fds[0], data, DATA_LEN), 0);
	static const uint8_t hs[] = {4, 0, 0, 2, 0xab, 0xcd};
	ck_assert_int_eq(send_typed(fds[0], KTLS_CT_HANDSHAKE, hs, sizeof(hs)), sizeof(hs));
	shutdown(fds[0], SHUT_WR);

	/* The peer side is plain TCP: our record layer opens what the kernel sealed. */
	struct ktls_rec_dir rx = {0};
	ck_assert_int_eq(ktls_rec_init(&rx, k.s, k.secret, 0), 0);
	rx.seq = 3;
	size_t cap = 4 * DATA_LEN, have = 0, got = 0;
	uint8_t *wire = malloc(cap), *plain = malloc(DATA_LEN + KTLS_REC_MAX_CIPHER);
	ssize_t r;
	while ((r = read(fds[1], wire + have, cap - have)) > 0)
		have += (size_t)r;
	size_t off = 0, records = 0, hs_seen = 0;
	while (off < have) {
		long rlen = ktls_rec_frame(wire + off, have - off, KTLS_REC_MAX_CIPHER);
		ck_assert_int_gt(rlen, 0);
		uint8_t type;
		long n = ktls_rec_open(&rx, wire + off, (size_t)rlen, plain + got,
				       DATA_LEN + KTLS_REC_MAX_CIPHER - got, &type);
		ck_assert_int_ge(n, 0);
		if (type == KTLS_CT_HANDSHAKE) {
			ck_assert_int_eq(n, sizeof(hs));
			ck_assert_mem_eq(plain + got, hs, sizeof(hs));
			hs_seen++;
		} else {
			ck_assert_uint_eq(type, KTLS_CT_APPLICATION_DATA);
			got += (size_t)n;
		}
		off += (size_t)rlen;
		records++;
	}
	ck_assert_uint_eq(got, DATA_LEN);
	ck_assert_mem_eq(plain, data, DATA_LEN);
	ck_assert_uint_eq(hs_seen, 1);
	uint64_t seq;
	ck_assert_int_eq(ktls_kernel_get_seq(fds[0], KTLS_DIR_TX, k.s, &seq), 0);
	ck_assert_uint_eq(seq, 3 + records);
	ck_assert_uint_eq(rx.seq, seq);
	ktls_rec_clear(&rx);
	free(wire);
	free(plain);
	free(data);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(userspace_to_kernel_rx)
{
	struct keys k;
	int fds[2];
	keys_for(&k, _i, 0x22);
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	ck_assert_int_eq(ktls_kernel_attach(fds[1]), 0);
	ck_assert_int_eq(ktls_kernel_set_key(fds[1], KTLS_DIR_RX, k.s, k.key, k.iv, 7, false), 0);

	struct ktls_rec_dir tx = {0};
	ck_assert_int_eq(ktls_rec_init(&tx, k.s, k.secret, 1), 0);
	tx.seq = 7;
	uint8_t *data = pattern(DATA_LEN, 2);
	uint8_t *rec = malloc(ktls_rec_sealed_len(KTLS_REC_MAX_PLAIN, 0));
	size_t off = 0, records = 0;
	/* Uneven sizes and some padding: the kernel must strip it. */
	static const size_t sizes[] = {1, 16384, 5000, 100, 16384, 333};
	for (size_t i = 0; off < DATA_LEN; i++) {
		size_t n = sizes[i % 6], pad = (i % 3 == 0) ? 17 : 0;
		if (n > DATA_LEN - off)
			n = DATA_LEN - off;
		if (n + pad > KTLS_REC_MAX_PLAIN)
			pad = 0;
		long r = ktls_rec_seal(&tx, KTLS_CT_APPLICATION_DATA, data + off, n, pad, rec,
				       ktls_rec_sealed_len(n, pad));
		ck_assert_int_gt(r, 0);
		ck_assert_int_eq(ktls_write_all(fds[0], rec, (size_t)r), 0);
		off += n;
		records++;
	}
	uint8_t *got = malloc(DATA_LEN);
	ck_assert_int_eq(ktls_read_full(fds[1], got, DATA_LEN), 0);
	ck_assert_mem_eq(got, data, DATA_LEN);

	/* A handshake record comes up alone, typed by a cmsg. */
	static const uint8_t hs[] = {4, 0, 0, 1, 0x77};
	long r = ktls_rec_seal(&tx, KTLS_CT_HANDSHAKE, hs, sizeof(hs), 0, rec, 64);
	ck_assert_int_eq(ktls_write_all(fds[0], rec, (size_t)r), 0);
	records++;
	uint8_t type, buf[64];
	ck_assert_int_eq(recv_typed(fds[1], &type, buf, sizeof(buf), 0), sizeof(hs));
	ck_assert_uint_eq(type, KTLS_CT_HANDSHAKE);
	ck_assert_mem_eq(buf, hs, sizeof(hs));

	uint64_t seq;
	ck_assert_int_eq(ktls_kernel_get_seq(fds[1], KTLS_DIR_RX, k.s, &seq), 0);
	ck_assert_uint_eq(seq, 7 + records);

	/* A tampered record: the kernel refuses it (EBADMSG) and counts it. */
	r = ktls_rec_seal(&tx, KTLS_CT_APPLICATION_DATA, hs, sizeof(hs), 0, rec, 64);
	rec[r - 1] ^= 1;
	ck_assert_int_eq(ktls_write_all(fds[0], rec, (size_t)r), 0);
	ck_assert_int_eq(read(fds[1], buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EBADMSG);

	ktls_rec_clear(&tx);
	free(rec);
	free(got);
	free(data);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(kernel_to_kernel_sendfile)
{
	struct keys k;
	int fds[2];
	keys_for(&k, _i, 0x33);
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(ktls_kernel_attach(fds[i]), 0);
	ck_assert_int_eq(ktls_kernel_set_key(fds[0], KTLS_DIR_TX, k.s, k.key, k.iv, 0, false), 0);
	ck_assert_int_eq(ktls_kernel_set_key(fds[1], KTLS_DIR_RX, k.s, k.key, k.iv, 0, false), 0);

	const size_t len = 1 << 20;
	uint8_t *data = pattern(len, 3);
	int file = memfd_create("payload", 0);
	ck_assert_int_ge(file, 0);
	ck_assert_int_eq(ktls_write_all(file, data, len), 0);
	pid_t pid = fork();
	if (pid == 0) {
		off_t o = 0;
		while ((size_t)o < len)
			if (sendfile(fds[0], file, &o, len - (size_t)o) <= 0)
				_exit(1);
		_exit(0);
	}
	uint8_t *got = malloc(len);
	ck_assert_int_eq(ktls_read_full(fds[1], got, len), 0);
	int status;
	waitpid(pid, &status, 0);
	ck_assert_int_eq(status, 0);
	ck_assert_mem_eq(got, data, len);
	uint64_t tx_seq, rx_seq;
	ck_assert_int_eq(ktls_kernel_get_seq(fds[0], KTLS_DIR_TX, k.s, &tx_seq), 0);
	ck_assert_int_eq(ktls_kernel_get_seq(fds[1], KTLS_DIR_RX, k.s, &rx_seq), 0);
	ck_assert_uint_eq(tx_seq, rx_seq);
	ck_assert_uint_ge(tx_seq, len / KTLS_REC_MAX_PLAIN);
	free(got);
	free(data);
	close(file);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

static int expect_rekey(void)
{
	const char *e = getenv("KTLS_EXPECT_REKEY");
	ck_assert_msg(e != NULL, "KTLS_EXPECT_REKEY must say what the loaded module can do");
	return atoi(e);
}

START_TEST(probe_in_vm)
{
	struct ktls_kernel_info info;
	ck_assert_int_eq(ktls_probe_kernel(&info, KTLS_PROBE_FRESH), 0);
	printf("probe: tls=%d suites=%#x rekey=%d no_pad=%d zc=%d\n", info.tls, info.suites,
	       info.rekey, info.rx_no_pad, info.tx_zerocopy);
	ck_assert_int_eq(info.tls, 0);
	ck_assert_uint_eq(info.suites, 0xf); /* Debian's kernel has all four */
	ck_assert_int_eq(info.rekey, expect_rekey());
	ck_assert_int_eq(info.rx_no_pad, 1);
}
END_TEST

START_TEST(kernel_layer_errors)
{
	/* TCP_ULP before the connection exists: named, not silent. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(ktls_kernel_attach(fd), -KTLS_E_NOT_CONNECTED);
	close(fd);

	struct keys k, k2;
	int fds[2];
	keys_for(&k, 0, 0x44);
	keys_for(&k2, 2, 0x45);
	ck_assert_int_eq(ktls_loopback_pair(fds), 0);
	/* SOL_TLS before the ULP. */
	ck_assert_int_eq(ktls_kernel_set_key(fds[0], KTLS_DIR_TX, k.s, k.key, k.iv, 0, false),
			 -KTLS_E_NO_ULP);
	ck_assert_int_eq(ktls_kernel_attach(fds[0]), 0);
	ck_assert_int_eq(ktls_kernel_attach(fds[0]), 0); /* idempotent */
	uint64_t seq;
	ck_assert_int_eq(ktls_kernel_get_seq(fds[0], KTLS_DIR_TX, k.s, &seq),
			 -KTLS_E_NOT_INSTALLED);
	ck_assert_int_eq(ktls_kernel_attach(fds[1]), 0);
	ck_assert_int_eq(ktls_kernel_set_key(fds[0], KTLS_DIR_TX, k.s, k.key, k.iv, 0, false), 0);
	ck_assert_int_eq(ktls_kernel_set_key(fds[1], KTLS_DIR_RX, k.s, k.key, k.iv, 0, false), 0);
	/* Where the kernel can re-key, a second key is a re-key: the kernel
	 * cannot tell the two apart (the connection layer keeps track). */
	int rekey = expect_rekey();
	ck_assert_int_eq(ktls_kernel_set_key(fds[0], KTLS_DIR_TX, k.s, k.key, k.iv, 0, false),
			 rekey ? 0 : -KTLS_E_ALREADY_INSTALLED);

	/* A re-key with another cipher is refused on any kernel; a same-cipher
	 * re-key works only where the module supports it. Either way a
	 * refused re-key leaves the old key carrying data. */
	ck_assert_int_eq(ktls_kernel_set_key(fds[0], KTLS_DIR_TX, k2.s, k2.key, k2.iv, 0, true),
			 rekey ? -EINVAL : -KTLS_E_REKEY_UNSUPPORTED);
	int r = ktls_kernel_set_key(fds[0], KTLS_DIR_TX, k.s, k.key, k.iv, 0, true);
	ck_assert_int_eq(r, rekey ? 0 : -KTLS_E_REKEY_UNSUPPORTED);
	if (rekey)
		ck_assert_int_eq(
			ktls_kernel_set_key(fds[1], KTLS_DIR_RX, k.s, k.key, k.iv, 0, true), 0);
	ck_assert_int_eq(write(fds[0], "still here", 10), 10);
	char buf[16];
	ck_assert_int_eq(ktls_read_full(fds[1], buf, 10), 0);
	ck_assert_mem_eq(buf, "still here", 10);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vm-kernel");
	TCase *tc = tcase_create("records");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, kernel_tx_to_userspace, 0, KTLS_NUM_SUITES);
	tcase_add_loop_test(tc, userspace_to_kernel_rx, 0, KTLS_NUM_SUITES);
	tcase_add_loop_test(tc, kernel_to_kernel_sendfile, 0, KTLS_NUM_SUITES);
	suite_add_tcase(s, tc);
	tc = tcase_create("kernel");
	tcase_add_test(tc, probe_in_vm);
	tcase_add_test(tc, kernel_layer_errors);
	suite_add_tcase(s, tc);
	return run_suite(s);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The bounds-checked reader and the writer. */
#include "testutil.h"
#include "wire/wire.h"

START_TEST(reader_fields_and_sticky_error)
{
	static const uint8_t in[] = {1, 0, 2, 0, 0, 3, 0, 0, 0, 4, 9};
	struct ktls_rd r = ktls_rd_make(in, sizeof(in));
	ck_assert_uint_eq(ktls_rd_u8(&r), 1);
	ck_assert_uint_eq(ktls_rd_u16(&r), 2);
	ck_assert_uint_eq(ktls_rd_u24(&r), 3);
	ck_assert_uint_eq(ktls_rd_u32(&r), 4);
	ck_assert(!ktls_rd_done(&r));
	ck_assert_uint_eq(ktls_rd_u16(&r), 0); /* one byte left: short */
	ck_assert(!ktls_rd_ok(&r));
	ck_assert_uint_eq(ktls_rd_u8(&r), 0); /* stays bad */
	ck_assert_ptr_null(ktls_rd_bytes(&r, 0));
	ck_assert(!ktls_rd_done(&r));
}
END_TEST

START_TEST(reader_blocks)
{
	/* <2 bytes len> [ <1 byte len> "ab" ] then 0x77 */
	static const uint8_t in[] = {0, 3, 2, 'a', 'b', 0x77};
	struct ktls_rd r = ktls_rd_make(in, sizeof(in));
	struct ktls_rd outer = ktls_rd_block(&r, 2);
	struct ktls_rd inner = ktls_rd_block(&outer, 1);
	const uint8_t *ab = ktls_rd_bytes(&inner, 2);
	ck_assert_ptr_nonnull(ab);
	ck_assert_mem_eq(ab, "ab", 2);
	ck_assert(ktls_rd_done(&inner));
	ck_assert(ktls_rd_done(&outer));
	ck_assert_uint_eq(ktls_rd_u8(&r), 0x77);
	ck_assert(ktls_rd_done(&r));

	/* A block longer than what is left marks both bad. */
	static const uint8_t bad[] = {0, 9, 1, 2};
	r = ktls_rd_make(bad, sizeof(bad));
	outer = ktls_rd_block(&r, 2);
	ck_assert(!ktls_rd_ok(&outer));
	ck_assert(!ktls_rd_ok(&r));
	ck_assert_uint_eq(ktls_rd_left(&outer), 0);

	/* Every truncation of a valid input fails somewhere, never overreads. */
	for (size_t cut = 0; cut < sizeof(in); cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, in, cut);
		r = ktls_rd_make(copy, cut);
		outer = ktls_rd_block(&r, 2);
		inner = ktls_rd_block(&outer, 1);
		(void)ktls_rd_bytes(&inner, 2);
		(void)ktls_rd_u8(&r);
		ck_assert(!ktls_rd_done(&r) || !ktls_rd_done(&inner));
		free(copy);
	}
}
END_TEST

START_TEST(writer_blocks_and_growth)
{
	struct ktls_buf b;
	ktls_buf_init(&b);
	size_t m1 = ktls_buf_open(&b, 3);
	ktls_buf_u8(&b, 0xab);
	size_t m2 = ktls_buf_open(&b, 2);
	for (int i = 0; i < 1000; i++)
		ktls_buf_u16(&b, (uint16_t)i);
	ktls_buf_close(&b, m2, 2);
	ktls_buf_close(&b, m1, 3);
	ck_assert(!b.bad);
	ck_assert_uint_eq(b.len, 3 + 1 + 2 + 2000);
	struct ktls_rd r = ktls_rd_make(b.base, b.len);
	struct ktls_rd blk = ktls_rd_block(&r, 3);
	ck_assert_uint_eq(ktls_rd_u8(&blk), 0xab);
	struct ktls_rd inner = ktls_rd_block(&blk, 2);
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_eq(ktls_rd_u16(&inner), i);
	ck_assert(ktls_rd_done(&inner) && ktls_rd_done(&blk) && ktls_rd_done(&r));

	/* A block too long for its 1-byte prefix is an error, not a wrap. */
	size_t m3 = ktls_buf_open(&b, 1);
	for (int i = 0; i < 256; i++)
		ktls_buf_u8(&b, 1);
	ktls_buf_close(&b, m3, 1);
	ck_assert(b.bad);
	ktls_buf_consume(&b, 1);
	ktls_buf_free(&b);
	ck_assert_ptr_null(b.base);
}
END_TEST

/* Zero bytes at an empty buffer or reader: a real pointer from the writer
 * (NULL means out of memory, and NULL + 0 is undefined; the server's
 * empty ticket flight and an empty encrypted record did this), and no
 * arithmetic on a reader over nothing (found by fuzz-hs-server). */
START_TEST(zero_lengths_at_empty)
{
	struct ktls_buf b;
	ktls_buf_init(&b);
	ck_assert_ptr_nonnull(ktls_buf_reserve(&b, 0));
	ktls_buf_put(&b, NULL, 0);
	ck_assert(!b.bad);
	ck_assert_uint_eq(b.len, 0);
	ktls_buf_free(&b);
	struct ktls_rd r = ktls_rd_make(NULL, 0);
	ck_assert_ptr_null(ktls_rd_bytes(&r, 0));
	ck_assert(ktls_rd_done(&r));
	uint8_t x;
	ck_assert(!ktls_rd_copy(&r, &x, 1) && !ktls_rd_ok(&r));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, reader_fields_and_sticky_error);
	tcase_add_test(tc, reader_blocks);
	tcase_add_test(tc, writer_blocks_and_growth);
	tcase_add_test(tc, zero_lengths_at_empty);
	suite_add_tcase(s, tc);
	return run_suite(s);
}

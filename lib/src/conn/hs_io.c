/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The thin socket driver for the handshake engine. It reads one record at a
 * time (header, then exactly its body), so after the handshake not a byte of
 * the peer's next record has left the socket: the kernel can take over.
 * Works on blocking and non-blocking sockets (EAGAIN: call again when
 * readable/writable; partial records are kept in hs_io).
 */
#include "conn/hs_io.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktls/ktls.h"
#include "record/record.h"

static int flush_out(struct ktls_hs *hs, int fd)
{
	const uint8_t *out;
	size_t len;
	ktls_hs_output(hs, &out, &len);
	while (len) {
		ssize_t n = send(fd, out, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		ktls_hs_output_sent(hs, (size_t)n);
		ktls_hs_output(hs, &out, &len);
	}
	return 0;
}

/* Reads until io->buf holds one whole record (or EOF/EAGAIN/error). */
/* Reads until io->buf holds a record's header, and then its whole body
 * (or EOF/EAGAIN/error): the engine judges a header as soon as it is there,
 * so that a stream that is not TLS is refused at once, not after the
 * handshake deadline. */
static int read_record(struct ktls_hs_io *io, int fd)
{
	for (;;) {
		size_t want = KTLS_REC_HDR;
		if (io->have >= KTLS_REC_HDR) {
			long n = ktls_rec_frame(io->buf, io->have, KTLS_REC_MAX_CIPHER);
			if (n != 0)
				return 0; /* whole, or too long: the engine says */
			want = KTLS_REC_HDR + ((size_t)io->buf[3] << 8 | io->buf[4]);
		}
		if (want > io->cap) {
			uint8_t *p = realloc(io->buf, want);
			if (!p)
				return -ENOMEM;
			io->buf = p;
			io->cap = want;
		}
		ssize_t r = recv(fd, io->buf + io->have, want - io->have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -KTLS_E_TRUNCATED; /* the peer gone mid-handshake */
		io->have += (size_t)r;
		if (io->have == KTLS_REC_HDR)
			return 0;
	}
}

void ktls_hs_io_free(struct ktls_hs_io *io)
{
	if (io)
		free(io->buf); /* handshake records: already parsed, no plaintext kept */
	free(io);
}

int ktls_hs_io_run(struct ktls_hs *hs, struct ktls_hs_io *io, int fd)
{
	for (;;) {
		size_t used = 0;
		int rc = ktls_hs_step(hs, io->buf, io->have, &used);
		if (used) {
			/* Whole records only, and only ever the one we hold. */
			io->have = 0;
		}
		int ferr = flush_out(hs, fd);
		if (rc != 0)
			return rc < 0 ? rc : ferr ? ferr : 1;
		if (ferr)
			return ferr;
		int err = read_record(io, fd);
		if (err)
			return err;
	}
}

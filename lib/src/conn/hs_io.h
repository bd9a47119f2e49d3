/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KTLS_HS_IO_H
#define KTLS_HS_IO_H

#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

struct ktls_hs;

/* A partly read record, kept across EAGAIN. The buffer grows to the
 * largest record seen, not to the most a record may be: a server holding
 * many handshakes at once holds hundreds of bytes each, not 16 KiB. */
struct ktls_hs_io {
	uint8_t *buf;
	size_t have, cap;
};

/* Runs the handshake on fd. Returns 1 when complete, a negative error
 * (-EAGAIN on a non-blocking socket: call again when ready). */
int ktls_hs_io_run(struct ktls_hs *hs, struct ktls_hs_io *io, int fd);
/* Frees io and its buffer (NULL: nothing). */
void ktls_hs_io_free(struct ktls_hs_io *io);

#endif

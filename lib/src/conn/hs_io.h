/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KTLS_HS_IO_H
#define KTLS_HS_IO_H

#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

struct ktls_hs;

/* A partly read record, kept across EAGAIN. */
struct ktls_hs_io {
	uint8_t buf[KTLS_REC_HDR + KTLS_REC_MAX_CIPHER];
	size_t have;
};

/* Runs the handshake on fd. Returns 1 when complete, a negative error
 * (-EAGAIN on a non-blocking socket: call again when ready). */
int ktls_hs_io_run(struct ktls_hs *hs, struct ktls_hs_io *io, int fd);

#endif

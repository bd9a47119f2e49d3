/* SPDX-License-Identifier: Apache-2.0 */
/* Socket helpers shared by the probe, the tools and the tests. */
#ifndef KTLS_SOCKUTIL_H
#define KTLS_SOCKUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* A connected TCP pair over 127.0.0.1: fds[0] connected, fds[1] accepted. */
int ktls_loopback_pair(int fds[2]);
/* write() until done; -errno on failure. */
int ktls_write_all(int fd, const void *buf, size_t len);
/* read() exactly len bytes; -EPIPE on EOF first, -errno on failure. */
int ktls_read_full(int fd, void *buf, size_t len);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* Socket helpers shared by the probe, the tools and the tests. */
#ifndef KTLS_SOCKUTIL_H
#define KTLS_SOCKUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A connected TCP pair over 127.0.0.1: fds[0] connected, fds[1] accepted. */
int ktls_loopback_pair(int fds[2]);
/* write() until done; -errno on failure. */
int ktls_write_all(int fd, const void *buf, size_t len);
/* read() exactly len bytes; -EPIPE on EOF first, -errno on failure. */
int ktls_read_full(int fd, void *buf, size_t len);
/* TCP_CORK on, if it was off (then true: the caller uncorks). Records sent
 * back to back (a KeyUpdate, then data) then leave in one segment instead
 * of the second waiting for the peer's ACK of the first (Nagle). */
bool ktls_sock_cork(int fd);
/* TCP_CORK off: what it held goes out now. */
void ktls_sock_uncork(int fd);

#endif

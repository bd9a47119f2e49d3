/* SPDX-License-Identifier: Apache-2.0 */
/* Small socket helpers of ktls-ctl's own (the library keeps its internals). */
#ifndef KTLS_CTL_NET_H
#define KTLS_CTL_NET_H

#include <stddef.h>

/* A connected TCP pair on 127.0.0.1: fds[0] the client, fds[1] the server;
 * 0 or -errno. */
int ctl_loopback_pair(int fds[2]);
/* Writes all of buf (retrying short writes and EINTR); 0 or -errno. */
int ctl_write_all(int fd, const void *buf, size_t len);

#endif

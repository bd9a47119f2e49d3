/* SPDX-License-Identifier: Apache-2.0 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int ctl_loopback_pair(int fds[2])
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int s = -1, err = 0;
	/* Port 0: the kernel picks a free one, read back for the connect. */
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &al) ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) ||
	    (s = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0)
		err = -errno;
	if (l >= 0)
		close(l);
	if (err && c >= 0)
		close(c);
	fds[0] = err ? -1 : c;
	fds[1] = err ? -1 : s;
	return err;
}

int ctl_write_all(int fd, const void *buf, size_t len)
{
	for (const char *p = buf; len;) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno != EINTR)
			return -errno;
		if (w == 0)
			return -EIO;
		if (w > 0) {
			p += w;
			len -= (size_t)w;
		}
	}
	return 0;
}

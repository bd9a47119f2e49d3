/* SPDX-License-Identifier: Apache-2.0 */
#include "kernel/socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

int ktls_loopback_pair(int fds[2])
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int lst = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err;
	fds[0] = fds[1] = -1;
	if (lst < 0)
		return -errno;
	if (bind(lst, (struct sockaddr *)&sa, sizeof(sa)) || listen(lst, 1) ||
	    getsockname(lst, (struct sockaddr *)&sa, &len))
		goto fail;
	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	fds[1] = accept4(lst, NULL, NULL, SOCK_CLOEXEC);
	if (fds[1] < 0)
		goto fail;
	close(lst);
	return 0;
fail:
	err = -errno;
	close(lst);
	if (fds[0] >= 0)
		close(fds[0]);
	fds[0] = fds[1] = -1;
	return err;
}

int ktls_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int ktls_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

bool ktls_sock_cork(int fd)
{
	int on = 0;
	socklen_t l = sizeof(on);
	if (getsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, &l) || on)
		return false; /* not TCP, or the application's own cork */
	on = 1;
	return !setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}

void ktls_sock_uncork(int fd)
{
	int off = 0;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
}

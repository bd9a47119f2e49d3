/* SPDX-License-Identifier: Apache-2.0 */
/* serve: files beneath the root, the response heads, and the access log. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "serve.h"
#include "text.h"

/* The access log: who, what, the answer, and the key updates on the way. */
void serve_log_request(struct server *s, struct client *cl)
{
	struct ktls_conn_stats st;
	ktls_conn_stats(cl->c, &st);
	char when[64], method[4 * sizeof(cl->req.method_text)], target[4 * sizeof(cl->req.target)];
	time_t t = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z", localtime_r(&t, &tm));
	/* The request line is the client's text: printable ASCII only. */
	text_log(method, sizeof(method), cl->req.method_text);
	text_log(target, sizeof(target), cl->req.target);
	const struct ktls_hs *hs = ktls_conn_hs(cl->c);
	unsigned off = ktls_conn_offload(cl->c);
	fprintf(s->log, "%s - - [%s] \"%s %s\" %d %llu %s tx=%s rx=%s ku_sent=%llu ku_recv=%llu\n",
		cl->peer, when, method, target, cl->status, (unsigned long long)cl->body_bytes,
		hs ? ktls_suite_name(ktls_hs_suite(hs)) : "-",
		off & KTLS_OFFLOAD_TX ? "kernel" : "user",
		off & KTLS_OFFLOAD_RX ? "kernel" : "user",
		(unsigned long long)(st.key_updates_sent - cl->st0.key_updates_sent),
		(unsigned long long)(st.key_updates_received - cl->st0.key_updates_received));
	fflush(s->log);
	s->requests++;
	cl->st0 = st;
}

static long sys_openat2(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Opens the file a request names, never outside the root (the kernel
 * checks every component, symlinks included). An fd, or minus a status. */
static int open_beneath(int root, const char *path, struct stat *sb)
{
	long fd = sys_openat2(root, *path ? path : ".", O_RDONLY);
	if (fd >= 0 && !fstat((int)fd, sb) && S_ISDIR(sb->st_mode)) {
		long idx = sys_openat2((int)fd, "index.html", O_RDONLY);
		close((int)fd);
		fd = idx;
		if (fd < 0)
			return errno == ENOENT ? -403 : -500; /* no directory listings */
		if (fstat((int)fd, sb)) {
			close((int)fd);
			return -500;
		}
	}
	if (fd < 0) {
		switch (errno) {
		case ENOENT:
		case ENOTDIR:
		case ENAMETOOLONG:
			return -404;
		case EXDEV: /* a symlink out of the root */
		case EACCES:
		case EPERM:
		case ELOOP:
			return -403;
		default:
			return -500;
		}
	}
	if (!S_ISREG(sb->st_mode)) {
		close((int)fd);
		return -403;
	}
	return (int)fd;
}

static void http_date(char *out, size_t n, time_t t)
{
	struct tm tm;
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
}

/* Builds the head (and a small body for errors) in cl->head. */
void serve_prepare_error(struct client *cl, int status, bool keep)
{
	char date[64], body[160];
	http_date(date, sizeof(date), time(NULL));
	int bn = snprintf(body, sizeof(body), "<html><body><h1>%d %s</h1></body></html>\n", status,
			  http_reason(status));
	cl->status = status;
	cl->keep_alive = keep;
	int n = snprintf(cl->head, sizeof(cl->head),
			 "HTTP/1.1 %d %s\r\nServer: ktls-ctl/%s\r\nDate: %s\r\n"
			 "Content-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n"
			 "Connection: %s\r\n\r\n%s",
			 status, http_reason(status), ktls_version_string(), date,
			 cl->parsed && cl->req.method == HTTP_HEAD ? 0 : bn,
			 keep ? "keep-alive" : "close",
			 cl->parsed && cl->req.method == HTTP_HEAD ? "" : body);
	cl->hlen = (size_t)n < sizeof(cl->head) ? (size_t)n : sizeof(cl->head) - 1;
	cl->hoff = 0;
	cl->body_bytes = cl->parsed && cl->req.method == HTTP_HEAD ? 0 : (uint64_t)bn;
	cl->end = cl->off = 0;
	cl->st = ST_HEAD;
}

void serve_prepare_response(struct server *s, struct client *cl)
{
	struct stat sb;
	int fd = open_beneath(s->root, cl->req.path, &sb);
	bool keep = cl->req.keep_alive && !s->draining;
	if (fd < 0) {
		serve_prepare_error(cl, -fd, keep);
		return;
	}
	uint64_t first, last, size = (uint64_t)sb.st_size;
	int status = http_range(&cl->req, size, &first, &last);
	char date[64], mod[64], range[96] = "";
	http_date(date, sizeof(date), time(NULL));
	http_date(mod, sizeof(mod), sb.st_mtime);
	if (status == 416) {
		close(fd);
		serve_prepare_error(cl, 416, keep);
		return;
	}
	uint64_t len = size ? last - first + 1 : 0;
	if (status == 206)
		snprintf(range, sizeof(range), "Content-Range: bytes %llu-%llu/%llu\r\n",
			 (unsigned long long)first, (unsigned long long)last,
			 (unsigned long long)size);
	cl->hlen = (size_t)snprintf(
		cl->head, sizeof(cl->head),
		"HTTP/1.1 %d %s\r\nServer: ktls-ctl/%s\r\nDate: %s\r\n"
		"Content-Type: %s\r\nContent-Length: %llu\r\n%s"
		"Accept-Ranges: bytes\r\nLast-Modified: %s\r\nConnection: %s\r\n\r\n",
		status, http_reason(status), ktls_version_string(), date,
		http_mime_type(cl->req.path), (unsigned long long)len, range, mod,
		keep ? "keep-alive" : "close");
	cl->hoff = 0;
	cl->status = status;
	cl->keep_alive = keep;
	if (cl->req.method == HTTP_HEAD || !len) {
		close(fd);
		cl->end = cl->off = 0;
	} else {
		cl->file = fd;
		cl->off = (int64_t)first;
		cl->end = (int64_t)(first + len);
	}
	cl->st = ST_HEAD;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve: files beneath the root and the response heads. Only regular files
 * are ever opened for reading: the path is resolved with O_PATH (which
 * opens nothing: no FIFO can block, no device's open runs), the inode is
 * looked at, and only a regular file is then opened, through that very
 * descriptor, so that nothing can be swapped in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "serve.h"

static int sys_openat2(int dirfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* What a failed lookup or open means for the client. */
static int status_of(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		return -404;
	case EXDEV: /* a symlink out of the root */
	case EACCES:
	case EPERM:
	case ELOOP:
	case ENXIO:
		return -403;
	case EMFILE: /* out of descriptors: come back later */
	case ENFILE:
	case ENOMEM:
		return -503;
	default:
		return -500;
	}
}

/*
 * Opens for reading the regular file a request names, or the index.html of
 * a directory, never outside the root (the kernel checks every component,
 * symlinks included). An fd, or minus a status; *index if it is an index.
 */
static int open_regular(int root, const char *path, struct stat *sb, bool *index)
{
	int p = sys_openat2(root, *path ? path : ".");
	if (p < 0)
		return status_of(errno);
	*index = false;
	if (!fstat(p, sb) && S_ISDIR(sb->st_mode)) {
		int idx = sys_openat2(p, "index.html");
		close(p);
		if (idx < 0)
			return errno == ENOENT ? -403 : status_of(errno); /* no listings */
		p = idx;
		*index = true;
		if (fstat(p, sb)) {
			close(p);
			return -500;
		}
	}
	if (!S_ISREG(sb->st_mode)) { /* FIFO, socket, device, directory */
		close(p);
		return -403;
	}
	/* The O_PATH descriptor's own inode, opened for reading at last. */
	char self[40];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", p);
	int fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int err = errno;
	close(p);
	return fd >= 0 ? fd : status_of(err);
}

static void http_date(char *out, size_t n, time_t t)
{
	struct tm tm;
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
}

/* Builds the head (and a small body for errors) in cl->rb->head. */
void serve_prepare_error(struct client *cl, int status, bool keep)
{
	char date[64], body[160];
	bool head_only = cl->parsed && cl->rb->req.method == HTTP_HEAD;
	http_date(date, sizeof(date), time(NULL));
	int bn = snprintf(body, sizeof(body), "<html><body><h1>%d %s</h1></body></html>\n", status,
			  http_reason(status));
	cl->status = status;
	cl->keep_alive = keep;
	int n = snprintf(cl->rb->head, sizeof(cl->rb->head),
			 "HTTP/1.1 %d %s\r\nServer: ktls-ctl/%s\r\nDate: %s\r\n%s"
			 "Content-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n"
			 "Connection: %s\r\n\r\n%s",
			 status, http_reason(status), ktls_version_string(), date,
			 status == 405	 ? "Allow: GET, HEAD\r\n"
			 : status == 503 ? "Retry-After: 1\r\n"
					 : "",
			 head_only ? 0 : bn, keep ? "keep-alive" : "close", head_only ? "" : body);
	cl->hlen = (size_t)n < sizeof(cl->rb->head) ? (size_t)n : sizeof(cl->rb->head) - 1;
	cl->hoff = 0;
	cl->body_bytes = head_only ? 0 : (uint64_t)bn;
	cl->end = cl->off = 0;
	cl->st = ST_HEAD;
}

void serve_prepare_response(struct server *s, struct client *cl)
{
	struct http_req *req = &cl->rb->req;
	struct stat sb;
	bool index, keep = req->keep_alive && !s->draining;
	int fd = open_regular(s->root, req->path, &sb, &index);
	if (fd < 0) {
		if (fd == -503 || fd == -500)
			serve_warn(s, "ktls-ctl serve: %s: cannot open a file: %s", cl->peer,
				   fd == -503 ? "out of descriptors or memory" : "error");
		serve_prepare_error(cl, -fd, keep && fd != -503);
		return;
	}
	/* Validators: the time to the nanosecond and the size, as a strong
	 * tag (a file rewritten within the same nanosecond at the same size
	 * is the only change it misses). */
	char etag[64], date[64], mod[64], range[96] = "";
	snprintf(etag, sizeof(etag), "\"%llx.%lx-%llx\"", (unsigned long long)sb.st_mtim.tv_sec,
		 (unsigned long)sb.st_mtim.tv_nsec, (unsigned long long)sb.st_size);
	http_date(date, sizeof(date), time(NULL));
	http_date(mod, sizeof(mod), sb.st_mtime);
	int status = http_preconditions(req, etag, (int64_t)sb.st_mtime);
	uint64_t first = 0, last = 0, size = (uint64_t)sb.st_size;
	if (status == 200) {
		if (req->has_range && !http_if_range(req, etag, (int64_t)sb.st_mtime))
			req->has_range = false; /* changed since: the whole file */
		status = http_range(req, size, &first, &last);
	}
	if (status == 416) {
		close(fd);
		serve_prepare_error(cl, 416, keep);
		return;
	}
	uint64_t len = status == 304 || !size ? 0 : last - first + 1;
	char length[160] = "";
	if (status == 206)
		snprintf(range, sizeof(range), "Content-Range: bytes %llu-%llu/%llu\r\n",
			 (unsigned long long)first, (unsigned long long)last,
			 (unsigned long long)size);
	if (status != 304) /* a 304 has no body, and says nothing of one */
		snprintf(length, sizeof(length), "Content-Type: %s\r\nContent-Length: %llu\r\n%s",
			 http_mime_type(index ? "index.html" : req->path), (unsigned long long)len,
			 range);
	cl->hlen = (size_t)snprintf(
		cl->rb->head, sizeof(cl->rb->head),
		"HTTP/1.1 %d %s\r\nServer: ktls-ctl/%s\r\nDate: %s\r\n%s"
		"Accept-Ranges: bytes\r\nLast-Modified: %s\r\nETag: %s\r\nConnection: %s\r\n\r\n",
		status, http_reason(status), ktls_version_string(), date, length, mod, etag,
		keep ? "keep-alive" : "close");
	cl->hoff = 0;
	cl->status = status;
	cl->keep_alive = keep;
	if (req->method == HTTP_HEAD || !len) {
		close(fd);
		cl->end = cl->off = 0;
	} else {
		cl->file = fd;
		cl->off = (int64_t)first;
		cl->end = (int64_t)(first + len);
	}
	cl->st = ST_HEAD;
}

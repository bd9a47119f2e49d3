/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls-ctl get: downloads one https:// URL over TLS 1.3, the kernel
 * decrypting where it can, with the certificate verified, and says how fast
 * it went and how many key updates it saw.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "http.h"
#include "ktls/ktls.h"
#include "net.h"

struct url {
	char host[256], port[8], path[2048];
};

/* https://host[:port][/path], host possibly [v6]; false if not that. */
static bool parse_url(const char *s, struct url *u)
{
	if (strncmp(s, "https://", 8))
		return false;
	s += 8;
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	const char *colon = NULL;
	strcpy(u->port, "443");
	if (*s == '[') {
		const char *close = memchr(s, ']', alen);
		if (!close || (size_t)(close - s - 1) >= sizeof(u->host))
			return false;
		memcpy(u->host, s + 1, (size_t)(close - s - 1));
		u->host[close - s - 1] = '\0';
		colon = close + 1 < s + alen && close[1] == ':' ? close + 1 : NULL;
		if (!colon && close + 1 != s + alen)
			return false;
	} else {
		colon = memchr(s, ':', alen);
		size_t hlen = colon ? (size_t)(colon - s) : alen;
		if (!hlen || hlen >= sizeof(u->host))
			return false;
		memcpy(u->host, s, hlen);
		u->host[hlen] = '\0';
	}
	if (colon) {
		size_t plen = (size_t)(s + alen - colon - 1);
		if (!plen || plen >= sizeof(u->port) || strspn(colon + 1, "0123456789") < plen)
			return false;
		memcpy(u->port, colon + 1, plen);
		u->port[plen] = '\0';
	}
	const char *path = slash ? slash : "/";
	if (strlen(path) >= sizeof(u->path) || strpbrk(path, " \r\n"))
		return false;
	strcpy(u->path, path);
	return true;
}

static int dial(const struct url *u)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int err = getaddrinfo(u->host, u->port, &hints, &res);
	if (err) {
		fprintf(stderr, "ktls-ctl get: %s: %s\n", u->host, gai_strerror(err));
		return -1;
	}
	int fd = -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			err = errno;
			close(fd);
			fd = -1;
			errno = err;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "ktls-ctl get: connect to %s port %s: %s\n", u->host, u->port,
			strerror(errno));
	return fd;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(uint64_t got, uint64_t total, bool known, double secs, uint64_t updates)
{
	double mib = (double)got / 1048576.0;
	if (known)
		fprintf(stderr, "\r  %8.1f / %.1f MiB %3d%%", mib, (double)total / 1048576.0,
			total ? (int)(got * 100 / total) : 100);
	else
		fprintf(stderr, "\r  %8.1f MiB", mib);
	fprintf(stderr, "  %7.1f MiB/s  key updates %llu ", secs > 0 ? mib / secs : 0.0,
		(unsigned long long)updates);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ktls-ctl get [options] https://HOST[:PORT]/PATH...\n\n"
		"Downloads over TLS 1.3 (kernel TLS where the kernel has it). Several URLs\n"
		"of one server go over one connection, their bodies one after another.\n\n"
		"  -o, --output FILE        write the body to FILE (default: standard output)\n"
		"  --cafile FILE            trust these CA certificates (default: the system's)\n"
		"  --insecure               do not verify the server's certificate\n"
		"  --servername NAME        name to send and verify instead of HOST\n"
		"  --request-key-update N   every N bytes received (K, M, G suffixes), update our\n"
		"                           key and ask the server to update its own\n"
		"  --require-ktls           fail (exit 3) unless the kernel decrypts\n"
		"  -q, --quiet              no progress bar and no summary\n"
		"  --help\n\n"
		"Bodies framed by Content-Length, chunked, or the connection's end; a body\n"
		"cut short (the end without close_notify, a missing last chunk) fails, and\n"
		"so does a response with repeated or conflicting lengths.\n\n"
		"Exit status: 0 on a 2xx answer received whole, 1 on any failure (the HTTP\n"
		"status, TLS or network error is named), 2 for a bad command line, 3 when\n"
		"--require-ktls is not met.\n");
}

struct get_opts {
	const char *out, *cafile, *servername;
	bool insecure, require_ktls, quiet;
	uint64_t ku_every;
};

/* Reads the final head into buf (interim 1xx ones are passed over);
 * returns its length and the bytes after it. */
static long read_head(struct ktls_conn *c, char *buf, size_t cap, size_t *have,
		      struct http_resp *resp)
{
	for (;;) {
		long h = http_parse_response(buf, *have, resp);
		if (h > 0 && resp->status < 200 && resp->status != 101) {
			memmove(buf, buf + h, *have - (size_t)h);
			*have -= (size_t)h;
			continue;
		}
		if (h)
			return h;
		if (*have == cap)
			return -400;
		long n = ktls_read(c, buf + *have, cap - *have);
		if (n <= 0)
			return n ? n : -EPIPE;
		*have += (size_t)n;
	}
}

static int fetch(struct ktls_conn *c, const struct url *u, const struct get_opts *o, int out,
		 bool last)
{
	char req[2600];
	int rn = snprintf(req, sizeof(req),
			  "GET %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\nUser-Agent: ktls-ctl/%s\r\n"
			  "Accept: */*\r\nConnection: %s\r\n\r\n",
			  u->path, strchr(u->host, ':') ? "[" : "", u->host,
			  strchr(u->host, ':') ? "]" : "", strcmp(u->port, "443") ? ":" : "",
			  strcmp(u->port, "443") ? u->port : "", ktls_version_string(),
			  last ? "close" : "keep-alive");
	for (int off = 0; off < rn;) {
		long n = ktls_write(c, req + off, (size_t)(rn - off));
		if (n <= 0) {
			fprintf(stderr, "ktls-ctl get: sending the request: %s\n",
				ktls_strerror(n ? (int)n : -EIO));
			return CTL_FAIL;
		}
		off += (int)n;
	}
	static char buf[1 << 18];
	size_t have = 0;
	struct http_resp resp;
	long h = read_head(c, buf, HTTP_MAX_HEAD, &have, &resp);
	if (h <= 0) {
		fprintf(stderr, "ktls-ctl get: %s%s\n", h == -400 ? "refusing the response: " : "",
			h == -400 ? resp.error : ktls_strerror((int)h));
		return CTL_FAIL;
	}
	if (!last && (!(resp.has_length || resp.chunked) || !resp.keep_alive)) {
		fprintf(stderr, "ktls-ctl get: the server will not keep the connection open\n");
		return CTL_FAIL;
	}
	bool tty = !o->quiet && isatty(2);
	double t0 = now(), shown = 0;
	uint64_t got = 0, since_update = 0;
	/* buf[pos..n): bytes read and not yet taken, the first ones with the head. */
	size_t pos = (size_t)h, n = have;
	struct http_chunked chunks = {0};
	int rc = CTL_OK;
	struct ktls_conn_stats st;
	for (;;) {
		while (pos < n) {
			/* The body's bytes in buf[pos..n): all, up to the length, or
			 * what the chunked coding says. Anything after the body is a
			 * server out of step: refused, never written. */
			size_t off = 0, dl = n - pos, used = dl;
			if (resp.chunked) {
				long r =
					http_chunked_decode(&chunks, buf + pos, n - pos, &off, &dl);
				if (r < 0 || (!r && http_chunked_done(&chunks))) {
					fprintf(stderr, "ktls-ctl get: %s\n",
						r < 0 ? "malformed chunked body"
						      : "bytes after the body");
					return CTL_FAIL;
				}
				used = (size_t)r;
			} else if (resp.has_length && dl > resp.content_length - got) {
				fprintf(stderr, "ktls-ctl get: bytes after the body\n");
				return CTL_FAIL;
			}
			if (dl && ctl_write_all(out, buf + pos + off, dl)) {
				fprintf(stderr, "ktls-ctl get: writing the body: %s\n",
					strerror(errno));
				return CTL_FAIL;
			}
			got += dl;
			since_update += dl;
			pos += used;
		}
		if (o->ku_every && since_update >= o->ku_every) {
			since_update = 0;
			ktls_key_update(c, KTLS_KEY_UPDATE_REQUESTED);
			ktls_handshake(c); /* at once, not at the next read */
		}
		if (tty && now() - shown > 0.1) {
			shown = now();
			ktls_conn_stats(c, &st);
			progress(got, resp.content_length, resp.has_length, shown - t0,
				 st.key_updates_received);
		}
		if ((resp.has_length && got >= resp.content_length) ||
		    (resp.chunked && http_chunked_done(&chunks)))
			break;
		long r = ktls_read(c, buf,
				   resp.has_length && resp.content_length - got < sizeof(buf)
					   ? (size_t)(resp.content_length - got)
					   : sizeof(buf));
		if (r == 0 && !resp.has_length && !resp.chunked)
			break; /* close_notify ends a body without a length */
		if (r <= 0) {
			/* Without close_notify the library says -KTLS_E_TRUNCATED:
			 * a body cut by an attacker is not a complete one. */
			fprintf(stderr, "%sktls-ctl get: body cut short after %llu bytes: %s\n",
				tty ? "\n" : "", (unsigned long long)got,
				r ? ktls_strerror((int)r) : "the server closed");
			return CTL_FAIL;
		}
		pos = 0;
		n = (size_t)r;
	}
	double secs = now() - t0;
	ktls_conn_stats(c, &st);
	if (tty) {
		progress(got, resp.content_length, resp.has_length, secs, st.key_updates_received);
		fputc('\n', stderr);
	}
	if (resp.status < 200 || resp.status > 299) {
		fprintf(stderr, "ktls-ctl get: the server answered %d %s\n", resp.status,
			http_reason(resp.status));
		rc = CTL_FAIL;
	}
	if (!o->quiet) {
		const struct ktls_hs *hs = ktls_conn_hs(c);
		unsigned off = ktls_conn_offload(c);
		fprintf(stderr,
			"ktls-ctl get: %d, %llu bytes in %.2f s (%.1f MiB/s), %s, rx=%s tx=%s, "
			"key updates received %llu, sent %llu\n",
			resp.status, (unsigned long long)got, secs,
			secs > 0 ? (double)got / 1048576.0 / secs : 0.0,
			ktls_suite_name(ktls_hs_suite(hs)),
			off & KTLS_OFFLOAD_RX ? "kernel" : "user",
			off & KTLS_OFFLOAD_TX ? "kernel" : "user",
			(unsigned long long)st.key_updates_received,
			(unsigned long long)st.key_updates_sent);
	}
	return rc;
}

int cmd_get(int argc, char **argv)
{
	struct get_opts o = {0};
	const char *targets[16];
	int ntargets = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return CTL_OK;
		} else if (!strcmp(a, "--insecure") || !strcmp(a, "-k")) {
			o.insecure = true, takes = false;
		} else if (!strcmp(a, "--require-ktls")) {
			o.require_ktls = true, takes = false;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			o.quiet = true, takes = false;
		} else if (a[0] != '-' && ntargets < 16) {
			targets[ntargets++] = a, takes = false;
		} else if (!v) {
			fprintf(stderr, "ktls-ctl get: bad option or missing value: %s\n", a);
			return CTL_USAGE;
		} else if (!strcmp(a, "--output") || !strcmp(a, "-o")) {
			o.out = v;
		} else if (!strcmp(a, "--cafile")) {
			o.cafile = v;
		} else if (!strcmp(a, "--servername")) {
			o.servername = v;
		} else if (!strcmp(a, "--request-key-update") && ctl_parse_size(v, &o.ku_every) &&
			   o.ku_every) {
		} else {
			fprintf(stderr, "ktls-ctl get: bad option or value: %s %s\n", a, v);
			return CTL_USAGE;
		}
		if (takes)
			i++;
	}
	/* Several URLs share one connection: same host and port. */
	struct url urls[16];
	bool ok = ntargets > 0;
	for (int i = 0; ok && i < ntargets; i++)
		ok = parse_url(targets[i], &urls[i]) && !strcmp(urls[i].host, urls[0].host) &&
		     !strcmp(urls[i].port, urls[0].port);
	if (!ok) {
		fprintf(stderr, "ktls-ctl get: %s\n",
			ntargets ? "not https://host[:port]/path URLs of one server"
				 : "no URL given");
		usage(stderr);
		return CTL_USAGE;
	}
	struct ktls_config *cfg = ktls_config_new(KTLS_CLIENT);
	int err = !cfg	       ? -ENOMEM
		  : o.insecure ? ktls_config_set_verify(cfg, KTLS_VERIFY_NONE)
		  : o.cafile   ? ktls_config_set_ca_file(cfg, o.cafile)
			       : ktls_config_use_system_ca(cfg);
	if (err) {
		fprintf(stderr, "ktls-ctl get: %s: %s\n", o.cafile ? o.cafile : "CA store",
			ktls_strerror(err));
		ktls_config_free(cfg);
		return CTL_FAIL;
	}
	int rc = CTL_FAIL, out = -1, fd = dial(&urls[0]);
	struct ktls_conn *c = NULL;
	if (fd < 0)
		goto done;
	c = ktls_conn_new(cfg, fd, o.servername ? o.servername : urls[0].host);
	err = c ? ktls_handshake(c) : -ENOMEM;
	if (err != 1) {
		fprintf(stderr, "ktls-ctl get: TLS handshake with %s: %s\n", urls[0].host,
			ktls_strerror(err));
		goto done;
	}
	if (o.require_ktls && !(ktls_conn_offload(c) & KTLS_OFFLOAD_RX)) {
		struct ktls_kernel_info ki;
		ktls_probe_kernel(&ki, 0);
		fprintf(stderr, "ktls-ctl get: the kernel does not decrypt this connection (%s)\n",
			ki.tls ? ktls_strerror(ki.tls) : "no re-key support: RX kept in userspace");
		rc = CTL_NO_KTLS;
		goto done;
	}
	out = !o.out || !strcmp(o.out, "-")
		      ? 1
		      : open(o.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		fprintf(stderr, "ktls-ctl get: %s: %s\n", o.out, strerror(errno));
		goto done;
	}
	for (int i = 0; i < ntargets && (i == 0 || rc == CTL_OK); i++)
		rc = fetch(c, &urls[i], &o, out, i == ntargets - 1);
	ktls_shutdown(c);
done:
	if (out > 1 && close(out) && rc == CTL_OK) {
		fprintf(stderr, "ktls-ctl get: %s: %s\n", o.out, strerror(errno));
		rc = CTL_FAIL;
	}
	ktls_conn_free(c);
	if (fd >= 0)
		close(fd);
	ktls_config_free(cfg);
	return rc;
}

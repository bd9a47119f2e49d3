/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktls-ctl's HTTP heads under libFuzzer: whatever the bytes, parsing stays
 * in bounds, a parsed path never leaves the root, and a resolved range lies
 * inside the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/ktls-ctl/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct http_req req;
	long n = http_parse_request(buf, size, &req);
	if (n > 0) {
		if ((size_t)n > size || strlen(req.path) >= sizeof(req.path) ||
		    req.path[0] == '/' || !strcmp(req.path, "..") || !strncmp(req.path, "../", 3) ||
		    strstr(req.path, "/../") ||
		    (strlen(req.path) >= 3 && !strcmp(req.path + strlen(req.path) - 3, "/..")))
			abort();
		static const uint64_t sizes[] = {0, 1, 100, 1 << 20, UINT64_MAX / 2};
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint64_t first, last;
			int st = http_range(&req, sizes[i], &first, &last);
			if (st == 206 && (first > last || last >= sizes[i]))
				abort();
		}
	} else if (n < 0 && n != -400 && n != -403 && n != -405 && n != -414 && n != -431 &&
		   n != -505) {
		abort();
	}
	struct http_resp resp;
	n = http_parse_response(buf, size, &resp);
	if (n > 0 && ((size_t)n > size || resp.status < 100 || resp.status > 999))
		abort();
	free(buf);
	return 0;
}

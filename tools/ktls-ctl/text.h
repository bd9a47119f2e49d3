/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text from others (process names any local user chooses, request lines
 * any client sends) made safe to print: as JSON, on a terminal, in a log.
 * Each writes at most n bytes into out, NUL included, never cutting an
 * escape or a character in two, and returns out.
 */
#ifndef KTLS_CTL_TEXT_H
#define KTLS_CTL_TEXT_H

#include <stddef.h>

/* The inside of a JSON string (RFC 8259): '"', '\' and every control
 * character escaped, valid UTF-8 kept, each byte of invalid UTF-8 as
 * U+FFFD, so that the result is always valid JSON. */
const char *text_json(char *out, size_t n, const char *s);
/* For a terminal: control characters (C0, DEL, C1) and bytes of invalid
 * UTF-8 replaced by '?', so that no escape sequence reaches it. */
const char *text_terminal(char *out, size_t n, const char *s);
/* For a log line: bytes outside printable ASCII, '"' and '\' as \xHH;
 * "-" for nothing. */
const char *text_log(char *out, size_t n, const char *s);

#endif

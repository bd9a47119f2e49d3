/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel uAPI that ktls-ctl reads sockets through: sock_diag's inet_diag
 * request and reply, the ULP info nest, and the TLS attributes and values
 * in it (linux/inet_diag.h, linux/sock_diag.h, linux/tls.h). Carried here,
 * the one place the tools declare them, so that the build does not depend
 * on how new the host's headers are; the static assertions pin the ABI.
 */
#ifndef KTLS_TOOLS_UAPI_DIAG_H
#define KTLS_TOOLS_UAPI_DIAG_H

#include <assert.h>
#include <stdint.h>

#define KTLS_SOCK_DIAG_BY_FAMILY 20

/* inet_diag extensions (request bits and reply attributes). */
#define KTLS_INET_DIAG_INFO	2
#define KTLS_INET_DIAG_ULP_INFO 19
/* Inside INET_DIAG_ULP_INFO. */
#define KTLS_INET_ULP_INFO_NAME 1
#define KTLS_INET_ULP_INFO_TLS	2

struct ktls_inet_diag_sockid {
	uint16_t sport, dport; /* network order */
	uint32_t src[4], dst[4];
	uint32_t ifindex;
	uint32_t cookie[2];
};

struct ktls_inet_diag_req_v2 {
	uint8_t family, protocol, ext, pad;
	uint32_t states;
	struct ktls_inet_diag_sockid id;
};

struct ktls_inet_diag_msg {
	uint8_t family, state, timer, retrans;
	struct ktls_inet_diag_sockid id;
	uint32_t expires, rqueue, wqueue, uid, inode;
};

static_assert(sizeof(struct ktls_inet_diag_sockid) == 48, "inet_diag_sockid");
static_assert(sizeof(struct ktls_inet_diag_req_v2) == 56, "inet_diag_req_v2");
static_assert(sizeof(struct ktls_inet_diag_msg) == 72, "inet_diag_msg");

/* TLS attributes inside INET_ULP_INFO_TLS (7: mainline 6.19). */
enum {
	KTLS_TLS_INFO_UNSPEC,
	KTLS_TLS_INFO_VERSION,
	KTLS_TLS_INFO_CIPHER,
	KTLS_TLS_INFO_TXCONF,
	KTLS_TLS_INFO_RXCONF,
	KTLS_TLS_INFO_ZC_RO_TX,
	KTLS_TLS_INFO_RX_NO_PAD,
	KTLS_TLS_INFO_TX_MAX_PAYLOAD_LEN,
};

/* TLS_CIPHER_* values the attributes name. */
#define KTLS_TLS_CIPHER_AES_GCM_128	  51
#define KTLS_TLS_CIPHER_AES_GCM_256	  52
#define KTLS_TLS_CIPHER_AES_CCM_128	  53
#define KTLS_TLS_CIPHER_CHACHA20_POLY1305 54

#endif

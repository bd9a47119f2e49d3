/* SPDX-License-Identifier: Apache-2.0 */
#include "kernel/kernel.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <string.h>

#include "ktls/ktls.h"

struct ktls_sys ktls_sys = {setsockopt, getsockopt};

/* The kernel's TLS_CIPHER_* for a TLS 1.3 suite. */
static uint16_t kernel_cipher(const struct ktls_suite *s)
{
	switch (s->id) {
	case KTLS_TLS_AES_128_GCM_SHA256:
		return KTLS_UAPI_CIPHER_AES_GCM_128;
	case KTLS_TLS_AES_256_GCM_SHA384:
		return KTLS_UAPI_CIPHER_AES_GCM_256;
	case KTLS_TLS_CHACHA20_POLY1305_SHA256:
		return KTLS_UAPI_CIPHER_CHACHA20_POLY1305;
	case KTLS_TLS_AES_128_CCM_SHA256:
		return KTLS_UAPI_CIPHER_AES_CCM_128;
	default:
		return 0;
	}
}

int ktls_kernel_attach(int fd)
{
	static const char ulp[] = "tls";
	if (ktls_sys.setsockopt(fd, IPPROTO_TCP, KTLS_UAPI_TCP_ULP, ulp, sizeof(ulp)) == 0)
		return 0;
	switch (errno) {
	case ENOENT: /* no ULP registered under that name: module absent */
		return -KTLS_E_NO_KTLS;
	case ENOTCONN: /* the kernel only takes a ULP on an established socket */
		return -KTLS_E_NOT_CONNECTED;
	case EEXIST: {
		char name[16] = {0};
		socklen_t len = sizeof(name) - 1;
		if (ktls_sys.getsockopt(fd, IPPROTO_TCP, KTLS_UAPI_TCP_ULP, name, &len) == 0 &&
		    strcmp(name, ulp) == 0)
			return 0;
		return -KTLS_E_ULP_BUSY;
	}
	default:
		return -errno;
	}
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

int ktls_kernel_crypto_info(const struct ktls_suite *s, const uint8_t *key, const uint8_t *iv,
			    uint64_t seq, union ktls_uapi_crypto *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = KTLS_UAPI_VERSION_1_3;
	ci->info.cipher_type = kernel_cipher(s);
	/* For the AES modes the kernel splits the 12-byte TLS IV into a 4-byte
	 * salt and an 8-byte "iv"; ChaCha20 takes all 12 as iv. */
	switch (kernel_cipher(s)) {
	case KTLS_UAPI_CIPHER_AES_GCM_128:
	case KTLS_UAPI_CIPHER_AES_CCM_128:
		memcpy(ci->aes128.salt, iv, 4);
		memcpy(ci->aes128.iv, iv + 4, 8);
		memcpy(ci->aes128.key, key, 16);
		put_be64(ci->aes128.rec_seq, seq);
		return sizeof(ci->aes128);
	case KTLS_UAPI_CIPHER_AES_GCM_256:
		memcpy(ci->aes256.salt, iv, 4);
		memcpy(ci->aes256.iv, iv + 4, 8);
		memcpy(ci->aes256.key, key, 32);
		put_be64(ci->aes256.rec_seq, seq);
		return sizeof(ci->aes256);
	case KTLS_UAPI_CIPHER_CHACHA20_POLY1305:
		memcpy(ci->chacha.iv, iv, 12);
		memcpy(ci->chacha.key, key, 32);
		put_be64(ci->chacha.rec_seq, seq);
		return sizeof(ci->chacha);
	default:
		return -KTLS_E_UNKNOWN_SUITE;
	}
}

int ktls_kernel_set_key(int fd, enum ktls_dir dir, const struct ktls_suite *s, const uint8_t *key,
			const uint8_t *iv, uint64_t seq, bool rekey)
{
	union ktls_uapi_crypto ci;
	int len = ktls_kernel_crypto_info(s, key, iv, seq, &ci);
	if (len < 0)
		return len;
	int rc = ktls_sys.setsockopt(fd, KTLS_UAPI_SOL_TLS, dir, &ci, (socklen_t)len);
	int e = errno;
	OPENSSL_cleanse(&ci, sizeof(ci));
	if (rc == 0)
		return 0;
	switch (e) {
	case ENOPROTOOPT: /* SOL_TLS is only understood once the ULP is on */
		return -KTLS_E_NO_ULP;
	case EBUSY: /* a key is there and this kernel cannot replace it */
		return rekey ? -KTLS_E_REKEY_UNSUPPORTED : -KTLS_E_ALREADY_INSTALLED;
	case ENOENT: /* crypto API has no such AEAD (module missing) */
		return -KTLS_E_CIPHER_UNSUPPORTED;
	case EINVAL: /* first key: tls module predates this cipher; re-key:
		      * version or cipher differ from the installed key */
		return rekey ? -EINVAL : -KTLS_E_CIPHER_UNSUPPORTED;
	default:
		return -e;
	}
}

int ktls_kernel_get_seq(int fd, enum ktls_dir dir, const struct ktls_suite *s, uint64_t *seq)
{
	static const uint8_t zero[KTLS_MAX_KEY + KTLS_IV_LEN];
	union ktls_uapi_crypto ci;
	int want = ktls_kernel_crypto_info(s, zero, zero, 0, &ci);
	if (want < 0)
		return want;
	socklen_t len = (socklen_t)want;
	int rc = ktls_sys.getsockopt(fd, KTLS_UAPI_SOL_TLS, dir, &ci, &len);
	int e = errno;
	const uint8_t *p = kernel_cipher(s) == KTLS_UAPI_CIPHER_CHACHA20_POLY1305
				   ? ci.chacha.rec_seq
			   : kernel_cipher(s) == KTLS_UAPI_CIPHER_AES_GCM_256 ? ci.aes256.rec_seq
									      : ci.aes128.rec_seq;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	bool match = rc == 0 && len == (socklen_t)want && ci.info.cipher_type == kernel_cipher(s);
	OPENSSL_cleanse(&ci, sizeof(ci)); /* the kernel hands back the key too */
	if (rc != 0)
		return e == EBUSY ? -KTLS_E_NOT_INSTALLED : e == ENOPROTOOPT ? -KTLS_E_NO_ULP : -e;
	if (!match)
		return -KTLS_E_CIPHER_UNSUPPORTED;
	*seq = v;
	return 0;
}

/* SOL_TLS answers ENOPROTOOPT both without the ULP and for an option the
 * module does not know: the ULP's name tells which. */
static int max_payload_errno(int fd, int e)
{
	if (e != ENOPROTOOPT)
		return -e;
	char name[16] = {0};
	socklen_t len = sizeof(name) - 1;
	if (ktls_sys.getsockopt(fd, IPPROTO_TCP, KTLS_UAPI_TCP_ULP, name, &len) == 0 &&
	    strcmp(name, "tls") == 0)
		return -EOPNOTSUPP;
	return -KTLS_E_NO_ULP;
}

int ktls_kernel_set_tx_max_payload(int fd, uint16_t len)
{
	if (len < KTLS_UAPI_TLS13_MIN_PAYLOAD || len > KTLS_UAPI_MAX_PAYLOAD)
		return -ERANGE;
	if (ktls_sys.setsockopt(fd, KTLS_UAPI_SOL_TLS, KTLS_UAPI_TLS_TX_MAX_PAYLOAD_LEN, &len,
				sizeof(len)) == 0)
		return 0;
	return max_payload_errno(fd, errno);
}

int ktls_kernel_get_tx_max_payload(int fd, uint16_t *len)
{
	uint16_t v = 0;
	socklen_t n = sizeof(v);
	if (ktls_sys.getsockopt(fd, KTLS_UAPI_SOL_TLS, KTLS_UAPI_TLS_TX_MAX_PAYLOAD_LEN, &v, &n))
		return max_payload_errno(fd, errno);
	if (n != sizeof(v))
		return -EPROTO;
	*len = v;
	return 0;
}

int ktls_kernel_send_record(int fd, uint8_t type, const void *buf, size_t len, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(uint8_t))] = {0};
	struct iovec iov = {(void *)buf, len};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = KTLS_UAPI_SOL_TLS;
	cm->cmsg_type = KTLS_UAPI_TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(sizeof(uint8_t));
	*CMSG_DATA(cm) = type;
	ssize_t n = sendmsg(fd, &m, flags | MSG_NOSIGNAL);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Connections: set-up, the handshake, the move of each direction into the
 * kernel, shutdown and the getters. */
#include "conn/conn.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "kernel/kernel.h"

static struct ktls_conn *conn_alloc(const struct ktls_config *cfg, int fd)
{
	struct ktls_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = cfg;
	c->fd = fd;
	c->ku_pending = KTLS_KEY_UPDATE_NONE;
	pthread_mutex_init(&c->wlock, NULL);
	pthread_mutex_init(&c->rlock, NULL);
	return c;
}

KTLS_API struct ktls_conn *ktls_conn_new(const struct ktls_config *cfg, int fd,
					 const char *server_name)
{
	struct ktls_conn *c = conn_alloc(cfg, fd);
	if (!c)
		return NULL;
	c->hs = ktls_hs_new(cfg, server_name);
	c->io = calloc(1, sizeof(*c->io));
	if (!c->hs || !c->io) {
		ktls_conn_free(c);
		return NULL;
	}
	return c;
}

KTLS_API int ktls_conn_set_session(struct ktls_conn *c, const uint8_t *session, size_t len)
{
	return c->hs && c->state == C_HANDSHAKE ? ktls_hs_set_session(c->hs, session, len)
						: -EINVAL;
}

KTLS_API void ktls_conn_free(struct ktls_conn *c)
{
	if (!c)
		return;
	ktls_hs_free(c->hs);
	ktls_hs_io_free(c->io);
	ktls_rec_clear(&c->rd);
	ktls_rec_clear(&c->wr);
	if (c->plain)
		OPENSSL_cleanse(c->plain, c->pdirty);
	ktls_buf_free(&c->hsbuf);
	free(c->rbuf);
	free(c->plain);
	free(c->obuf);
	pthread_mutex_destroy(&c->wlock);
	pthread_mutex_destroy(&c->rlock);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

int ktls_conn_fail(struct ktls_conn *c, int err)
{
	/* The error before the state: whoever sees C_FAILED sees it. */
	int none = 0;
	atomic_compare_exchange_strong(&c->error, &none, err);
	c->state = C_FAILED;
	return err;
}

int ktls_conn_not_open(const struct ktls_conn *c)
{
	return c->state == C_FAILED ? c->error : -KTLS_E_HANDSHAKE_NOT_DONE;
}

/* Puts each direction in the kernel where it can go (see the top). */
static int go_kernel(struct ktls_conn *c)
{
	struct ktls_kernel_info ki;
	unsigned want = c->cfg->offload;
	ktls_conn_reset_usage(c);
	if (ktls_probe_kernel(&ki, 0) || ki.tls || !(ki.suites & KTLS_SUITE_BIT(c->suite->id)) ||
	    !want)
		return 0; /* userspace record layer both ways */
	c->kernel_rekey = ki.rekey == 1;
	/* The ULP attaches only to an established socket: a peer that has
	 * already half-closed (request sent, then FIN) leaves it in CLOSE_WAIT,
	 * and the userspace record layer carries on instead. */
	int err = ktls_kernel_attach(c->fd);
	if (err == -KTLS_E_NO_KTLS || err == -KTLS_E_NOT_CONNECTED) {
		c->kernel_rekey = false;
		return 0;
	}
	if (err)
		return err;
	/* A key-update policy needs TX re-keys, which a stock kernel cannot
	 * do: then TX stays in userspace, where the policy can be kept. The
	 * peer's record_size_limit (RFC 8449) binds every record we send: the
	 * kernel caps its records to it (TLS_TX_MAX_PAYLOAD_LEN) where it can,
	 * else TX stays here too. Our own smaller limit is enforced on RX only
	 * in userspace. */
	bool policy = c->cfg->ku_bytes || c->cfg->ku_records || c->cfg->ku_seconds;
	bool tx_capped = c->wr.max_plain < KTLS_REC_MAX_PLAIN;
	bool rx_capped = c->rd.max_plain < KTLS_REC_MAX_PLAIN;
	if ((want & KTLS_OFFLOAD_TX) && (c->kernel_rekey || !policy) &&
	    (!tx_capped || ki.tx_max_payload == 1)) {
		err = ktls_kernel_set_key(c->fd, KTLS_DIR_TX, c->suite, c->wr.key, c->wr.iv,
					  c->wr.seq, false);
		/* Before any record: the cap holds from the first one. */
		if (!err && tx_capped)
			err = ktls_kernel_set_tx_max_payload(c->fd, (uint16_t)c->wr.max_plain);
		if (err)
			return err;
		c->tx_kernel = true;
		ktls_rec_drop_cipher(&c->wr);
	}
	if ((want & KTLS_OFFLOAD_RX) && c->kernel_rekey && !rx_capped) {
		err = ktls_kernel_set_key(c->fd, KTLS_DIR_RX, c->suite, c->rd.key, c->rd.iv,
					  c->rd.seq, false);
		if (err)
			return err;
		c->rx_kernel = true;
		ktls_rec_drop_cipher(&c->rd);
	}
	return 0;
}

KTLS_API struct ktls_conn *ktls_conn_adopt(const struct ktls_config *cfg, int fd, uint16_t suite,
					   const uint8_t *tx_secret, uint64_t tx_seq,
					   const uint8_t *rx_secret, uint64_t rx_seq)
{
	const struct ktls_suite *s = ktls_suite_get(suite);
	struct ktls_conn *c = s ? conn_alloc(cfg, fd) : NULL;
	if (!c)
		return NULL;
	c->suite = s;
	if (ktls_rec_init(&c->wr, s, tx_secret, 1) || ktls_rec_init(&c->rd, s, rx_secret, 0)) {
		ktls_conn_free(c);
		return NULL;
	}
	/* The other stack's sequence numbers go to the kernel with the keys. */
	c->wr.seq = tx_seq;
	c->rd.seq = rx_seq;
	if (go_kernel(c)) {
		ktls_conn_free(c);
		return NULL;
	}
	c->state = C_OPEN;
	return c;
}

KTLS_API int ktls_handshake(struct ktls_conn *c)
{
	if (c->state == C_FAILED)
		return c->error;
	if (c->state == C_OPEN) {
		/* Established: a scheduled key update happens now. */
		pthread_mutex_lock(&c->wlock);
		int err = ktls_conn_update_due(c) ? ktls_conn_do_key_update(c, 0) : 0;
		pthread_mutex_unlock(&c->wlock);
		return err ? err : 1;
	}
	int rc = ktls_hs_io_run(c->hs, c->io, c->fd);
	if (rc == -EAGAIN)
		return rc;
	if (rc != 1)
		return ktls_conn_fail(c, rc);
	int err = ktls_hs_take_app_keys(c->hs, &c->rd, &c->wr);
	if (!err) {
		c->suite = c->rd.suite;
		memcpy(c->exporter, c->hs->exporter, c->suite->hash_len);
		c->has_exporter = true;
		err = go_kernel(c);
	}
	ktls_hs_io_free(c->io);
	c->io = NULL;
	if (err)
		return ktls_conn_fail(c, err);
	c->hs = ktls_hs_trim(c->hs);
	c->state = C_OPEN;
	return 1;
}

KTLS_API int ktls_flush(struct ktls_conn *c)
{
	pthread_mutex_lock(&c->wlock);
	int err = c->tx_kernel ? 0 : ktls_conn_tx_flush(c, 0);
	pthread_mutex_unlock(&c->wlock);
	return err;
}

KTLS_API int ktls_shutdown(struct ktls_conn *c)
{
	static const uint8_t close_notify[2] = {1, KTLS_ALERT_CLOSE_NOTIFY};
	pthread_mutex_lock(&c->wlock);
	/* close_notify goes out even when a KeyUpdate this kernel cannot do
	 * is owed (tx_stuck), never after a failure. */
	int err = c->state == C_OPEN && !c->closed ? 0 : -KTLS_E_CLOSED;
	if (!err)
		err = ktls_conn_send_typed(c, KTLS_CT_ALERT, close_notify, 2, 0);
	if (!err)
		c->closed = true;
	pthread_mutex_unlock(&c->wlock);
	return err;
}
KTLS_API int ktls_renegotiate(struct ktls_conn *c)
{
	(void)c;
	return -KTLS_E_RENEGOTIATION;
}
KTLS_API int ktls_renegotiate_abbreviated(struct ktls_conn *c)
{
	(void)c;
	return -KTLS_E_RENEGOTIATION;
}
KTLS_API int ktls_renegotiate_pending(const struct ktls_conn *c)
{
	(void)c;
	return 0;
}

KTLS_API unsigned ktls_conn_offload(const struct ktls_conn *c)
{
	return (c->tx_kernel ? KTLS_OFFLOAD_TX : 0) | (c->rx_kernel ? KTLS_OFFLOAD_RX : 0);
}

KTLS_API void ktls_conn_stats(const struct ktls_conn *c, struct ktls_conn_stats *st)
{
	st->bytes_sent = __atomic_load_n(&c->st.bytes_sent, __ATOMIC_RELAXED);
	st->bytes_received = __atomic_load_n(&c->st.bytes_received, __ATOMIC_RELAXED);
	st->key_updates_sent = __atomic_load_n(&c->st.key_updates_sent, __ATOMIC_RELAXED);
	st->key_updates_received = __atomic_load_n(&c->st.key_updates_received, __ATOMIC_RELAXED);
	st->tx_records =
		c->tx_kernel ? c->key_calls + c->key_bytes / KTLS_REC_MAX_PLAIN : c->wr.seq;
}

KTLS_API const struct ktls_hs *ktls_conn_hs(const struct ktls_conn *c)
{
	return c->hs;
}

KTLS_API int ktls_conn_set_exporter_secret(struct ktls_conn *c, const uint8_t *secret, size_t len)
{
	if (c->state != C_OPEN || !c->suite || len != c->suite->hash_len)
		return -EINVAL;
	memcpy(c->exporter, secret, len);
	c->has_exporter = true;
	return 0;
}

KTLS_API int ktls_export_keying_material(const struct ktls_conn *c, uint8_t *out, size_t out_len,
					 const char *label, size_t label_len,
					 const uint8_t *context, size_t context_len,
					 int use_context)
{
	if (c->state != C_OPEN || !c->has_exporter)
		return c->state == C_FAILED ? c->error : -KTLS_E_HANDSHAKE_NOT_DONE;
	if (label_len > 249 || out_len > 255 * c->suite->hash_len || (!label && label_len))
		return -EINVAL;
	return ktls_exporter(c->suite, c->exporter, (const uint8_t *)label, label_len,
			     use_context ? context : NULL, use_context ? context_len : 0, out,
			     out_len);
}

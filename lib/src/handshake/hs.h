/* SPDX-License-Identifier: Apache-2.0 */
/* The handshake engine's state, shared by hs.c (records, messages, common
 * steps) and the two state machines hs_client.c and hs_server.c. */
#ifndef KTLS_HS_H
#define KTLS_HS_H

#include "common/config.h"
#include "crypto/crypto.h"
#include "crypto/keysched.h"
#include "handshake/msg.h"
#include "handshake/session.h"
#include "record/record.h"

enum ktls_hs_state {
	HS_START,
	/* client */
	HS_C_WAIT_SH,
	HS_C_WAIT_EE,
	HS_C_WAIT_CERT_CR,
	HS_C_WAIT_CERT,
	HS_C_WAIT_CV,
	HS_C_WAIT_FINISHED,
	/* server */
	HS_S_WAIT_CH,
	HS_S_WAIT_CH2,
	HS_S_WAIT_CERT,
	HS_S_WAIT_CV,
	HS_S_WAIT_FINISHED,
	HS_DONE,
	HS_FAILED,
};

struct ktls_hs {
	/* First, what the getters answer for the whole connection: a trimmed
	 * engine (ktls_hs_trim) keeps only these, up to KTLS_HS_KEPT. */
	const struct ktls_config *cfg;
	enum ktls_role role;
	enum ktls_hs_state state;
	int error;    /* sticky once failed */
	bool trimmed; /* only the fields up to KTLS_HS_KEPT are there */
	bool did_hrr;
	bool resumed;
	uint16_t peer_record_size_limit;
	const struct ktls_suite *suite;
	uint16_t group, sigalg;
	char *server_name; /* client: to send and verify; server: received SNI */
	X509 *peer_cert;
	uint8_t peer_auth; /* KTLS_SESS_* flags: what was verified of the peer */
	uint8_t exporter[KTLS_MAX_HASH], resumption[KTLS_MAX_HASH];
	char alpn[256];

	/* The engine's own, from here on. */
	char detail[192];
	uint8_t client_random[KTLS_RANDOM_LEN];
	uint8_t session_id[32];
	size_t session_id_len;
	bool ccs_sent, ccs_received, cert_requested, sent_sni;
	/* Server: what a second ClientHello may not change (4.1.2): a digest
	 * of the first's server name, ALPN list and PSK modes. */
	uint8_t ch1_fixed[32];
	bool peer_canceled; /* user_canceled received: close_notify follows */
	unsigned warn_run;  /* user_canceled alerts so far (KTLS_MAX_WARNINGS) */
	/* Server: the client offered 0-RTT, which we decline: its early data
	 * is skipped, up to early_budget bytes (RFC 8446 4.2.10). */
	bool early_skip;
	size_t early_budget;

	/* Client: our ephemeral keys (a second one beside a hybrid), freed
	 * once used. */
	struct ktls_kex_key *kex[2];
	struct ktls_transcript th;
	struct ktls_keysched ks;
	uint8_t c_hs[KTLS_MAX_HASH], s_hs[KTLS_MAX_HASH];
	uint8_t c_ap[KTLS_MAX_HASH], s_ap[KTLS_MAX_HASH];

	/* Record protection now in force (off: plaintext records). */
	struct ktls_rec_dir rd, wr;
	bool rd_on, wr_on;
	unsigned rd_epoch;     /* bumps on every read key change */
	bool rd_got_encrypted; /* an encrypted record arrived in this read epoch */

	struct ktls_buf msgs;	/* received handshake bytes, not yet whole messages */
	struct ktls_buf flight; /* handshake messages to seal at the current epoch */
	struct ktls_buf out;	/* records ready to send */

	const struct ktls_cert *cert;	      /* ours, chosen for this connection */
	uint16_t peer_sigalgs[KTLS_MAX_LIST]; /* client: from CertificateRequest */
	size_t n_peer_sigalgs;
	uint16_t peer_cert_sigalgs[KTLS_MAX_LIST];
	size_t n_peer_cert_sigalgs;

	/* Resumption: the client's session to offer, or the server's session
	 * resumed (the PSK, offer psk_index), and whether it was. */
	struct ktls_session session;
	uint16_t psk_index;
	bool psk_dhe; /* server: resumed with (EC)DHE (else psk_ke) */

	/* Tests only: raw extensions appended to our ClientHello (an offer
	 * this library never makes itself, such as early_data). */
	struct ktls_bytes test_extra_ext;
};

struct ktls_hs_msg;

/* Protected early data a server skips at most (it offers no
 * max_early_data_size; OpenSSL's default budget). */
#define KTLS_EARLY_SKIP 16384u

/* Records the failure, queues the alert, and returns the error. */
int ktls_hs_fail(struct ktls_hs *hs, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Adds a handshake message to the transcript and the current flight. */
int ktls_hs_send(struct ktls_hs *hs, const struct ktls_buf *msg);
/* Seals (or frames) the pending flight into records. */
int ktls_hs_flush(struct ktls_hs *hs);
/* The dummy ChangeCipherSpec of middlebox compatibility mode (D.4). */
void ktls_hs_send_ccs(struct ktls_hs *hs);
/* Switches read or write protection to a traffic secret. */
int ktls_hs_set_read(struct ktls_hs *hs, const uint8_t *secret);
int ktls_hs_set_write(struct ktls_hs *hs, const uint8_t *secret);
/* verify_data = HMAC(finished_key(base), Transcript-Hash now). */
int ktls_hs_finished_mac(struct ktls_hs *hs, const uint8_t *base, uint8_t *out);
/* Derives the handshake secrets from the (EC)DHE secret, installs keys. */
int ktls_hs_derive_handshake(struct ktls_hs *hs, const uint8_t *ecdhe, size_t len);
/* Derives master, application, exporter secrets (transcript through
 * server Finished). */
int ktls_hs_derive_application(struct ktls_hs *hs);
/* Checks the peer's Finished against the handshake secret base, then adds
 * it to the transcript. */
int ktls_hs_check_finished(struct ktls_hs *hs, const uint8_t *base, const struct ktls_hs_msg *m);
/* The handshake is over in both directions: derives the resumption master
 * secret, wipes all earlier secrets, and moves to HS_DONE. */
int ktls_hs_complete(struct ktls_hs *hs);
void ktls_hs_keylog(struct ktls_hs *hs, const char *label, const uint8_t *secret);
/* Signs CertificateVerify with our key and sends it. */
int ktls_hs_send_cert_verify(struct ktls_hs *hs, uint16_t scheme);
/* Checks a peer's CertificateVerify. */
int ktls_hs_check_cert_verify(struct ktls_hs *hs, const struct ktls_hs_msg *m);
/* Sends our Certificate message (chain, or empty if cert is NULL). */
int ktls_hs_send_certificate(struct ktls_hs *hs, const struct ktls_cert *cert);

/* One whole handshake message: its type, body, and the raw bytes (header
 * included) that go into the transcript. */
struct ktls_hs_msg {
	uint8_t type;
	const uint8_t *body;
	size_t len;
	const uint8_t *raw;
	size_t raw_len;
};

/*
 * A state machine is a table: in state `state`, a message of type `type` goes
 * to `on`; with `adds`, the dispatcher adds it to the transcript once `on`
 * took it (handlers that must hash it at another point do so themselves).
 * Any message no rule names is unexpected_message.
 */
struct ktls_hs_rule {
	enum ktls_hs_state state;
	uint8_t type;
	bool adds;
	int (*on)(struct ktls_hs *hs, const struct ktls_hs_msg *m);
};
int ktls_hs_dispatch(struct ktls_hs *hs, const struct ktls_hs_rule *rules, size_t n,
		     const struct ktls_hs_msg *m);

/* The state machines: one whole handshake message each. */
int ktls_hs_client_start(struct ktls_hs *hs);
int ktls_hs_client_message(struct ktls_hs *hs, const struct ktls_hs_msg *m);
int ktls_hs_server_message(struct ktls_hs *hs, const struct ktls_hs_msg *m);

/* Resumption (resume.c). Server: the first offered ticket this ClientHello
 * may resume, its binder checked (1, 0 for none, < 0 fatal); tickets out.
 * Client: the PSK offer's parameters, its binder once the ClientHello is
 * encoded, and a received ticket as a session blob. */
int ktls_hs_server_pick_psk(struct ktls_hs *hs, const struct ktls_client_hello *ch,
			    const struct ktls_hs_msg *m);
int ktls_hs_server_tickets(struct ktls_hs *hs);
void ktls_hs_client_psk_params(struct ktls_hs *hs, struct ktls_client_hello_params *p);
int ktls_hs_client_bind(struct ktls_hs *hs, struct ktls_buf *m);
int ktls_hs_client_ticket(const struct ktls_hs *hs, const struct ktls_new_session_ticket *t,
			  struct ktls_buf *blob);

/* For the connection layer: moves the application-epoch record
 * protection out of a finished handshake. */
int ktls_hs_take_app_keys(struct ktls_hs *hs, struct ktls_rec_dir *rd, struct ktls_rec_dir *wr);
/* Once the keys are taken and the output sent: frees what only the
 * handshake needed (trim.c) and shrinks the engine to its first
 * KTLS_HS_KEPT bytes; the getters keep answering. Returns the engine (it
 * may move), unchanged if it is not done. */
#define KTLS_HS_KEPT offsetof(struct ktls_hs, detail)
struct ktls_hs *ktls_hs_trim(struct ktls_hs *hs);
/* ktls_hs_free's part for a trimmed engine. */
void ktls_hs_free_trimmed(struct ktls_hs *hs);

#endif

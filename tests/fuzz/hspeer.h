/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The structure-aware fuzz harness's peer: it plays the other end of a
 * handshake against the library's engine, in memory, with fixed randomness
 * and keys, and takes the messages of its flight from the fuzz input. Each
 * message is added to the transcript and sealed under the right traffic key,
 * CertificateVerify signed and Finished computed over the transcript as it
 * stands (mutated messages included), so that mutations reach the code
 * behind the AEAD tags, the signature and the Finished MAC.
 *
 * Script (the fuzz input after the target's own option bytes): items of
 *   kind(1) length(2) data[length]
 * kind % 4:
 *   0  handshake message, data = type || body, with its fix-ups:
 *      Certificate with an empty body: our certificate chain;
 *      CertificateVerify: signed by us, the scheme from the body's first two
 *      bytes (ours if fewer, or if our key cannot sign with it);
 *      Finished: the right verify_data.
 *   1  handshake message as given (no fix-up), data = type || body
 *   2  one record of its own, data = inner content type || content
 *   3  raw bytes onto the wire
 * Handshake messages gather into a flight, cut into records of the
 * fragment size, at items 2 and 3 and at the end.
 */
#ifndef KTLS_FUZZ_HSPEER_H
#define KTLS_FUZZ_HSPEER_H

#include <stddef.h>
#include <stdint.h>

#include "handshake/hs.h"

enum { HSP_MSG, HSP_MSG_RAW, HSP_RECORD, HSP_WIRE };

/* Configurations, loaded from KTLS_TEST_CERTS once. */
struct hsp_configs {
	struct ktls_config *client;	 /* no certificate, verifies nothing */
	struct ktls_config *client_auth; /* with the client certificate */
	struct ktls_config *server;	 /* server certificate */
	struct ktls_config *server_auth; /* requires a client certificate (ca.pem) */
};
extern struct hsp_configs hsp;

/* Loads the configurations and installs the fixed random source. Aborts
 * without certificates: a harness without them would test nothing. */
void hsp_init(void);
/* A file of the test PKI: KTLS_TEST_CERTS/name.ext. */
const char *hsp_cert_file(const char *name, const char *ext);
/* Restarts the fixed random byte stream: same input, same run. */
void hsp_rand_reset(uint64_t seed);

/* Fragment size for option bits (0: whole records). */
size_t hsp_fragment(unsigned bits);

/*
 * Runs a script as the peer container `me` (a struct ktls_hs used for its
 * transcript, key schedule and write keys, not its state machine); `fin`
 * is the base secret of its Finished. Sealed records land in me->out.
 */
int hsp_run_script(struct ktls_hs *me, const uint8_t *fin, const uint8_t *p, size_t n, size_t frag);

/* Appends one record of type `type` to me->out, sealed if keys are on. */
int hsp_record(struct ktls_hs *me, uint8_t type, const uint8_t *p, size_t n);

/*
 * Seeds: writes a file `name` in dir holding head[0..hn) then the script
 * items. Items: type/kind pairs built with hsp_item.
 */
struct ktls_buf;
void hsp_item(struct ktls_buf *b, uint8_t kind, uint8_t type, const uint8_t *body, size_t len);
void hsp_write_seed(const char *dir, const char *name, const struct ktls_buf *b);

#endif

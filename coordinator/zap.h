/*
 * coordinator/zap.h - CURVE on the agents' socket, and the ZAP handler
 * (ZeroMQ RFC 27) that decides which CURVE clients may connect.
 *
 * No new key files: the coordinator's CURVE secret key is its Ed25519
 * signing key converted with crypto_sign_ed25519_sk_to_curve25519(), and an
 * agent may connect only if its CURVE public key is the conversion
 * (crypto_sign_ed25519_pk_to_curve25519()) of an allow-listed agent's
 * Ed25519 key. The Ed25519 envelope signatures stay on top (docs/protocol.md
 * §1.1).
 *
 * Failing closed: zap_curve_server() sets ZMQ_ZAP_DOMAIN and
 * ZMQ_ZAP_ENFORCE_DOMAIN, so that when no handler is bound in the context
 * libzmq refuses every client instead of letting it in unauthenticated.
 * The handler is a REP socket bound to inproc://zeromq.zap.01 in the
 * daemon's context, polled in the daemon's own loop (zap_socket(),
 * zap_handle()): a handshake waits for the loop's next pass.
 */
#ifndef VANTAGE_COORDINATOR_ZAP_H
#define VANTAGE_COORDINATOR_ZAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/keyfile.h"
#include "coordinator/allowlist.h"

/* The ZAP domain of the agents' socket. */
#define ZAP_DOMAIN "vantage"
/* Where libzmq looks for the handler (RFC 27). */
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
/* Bytes of a CURVE (X25519) key. */
#define ZAP_KEY_BYTES 32
/* Bytes of a key in Z85 text, NUL included. */
#define ZAP_KEY_TEXT_MAX 41

typedef struct zap zap_t;

/*
 * Make sock (the agents' ROUTER, before it binds) a CURVE server whose
 * secret key is derived from the Ed25519 secret key sk, in domain
 * ZAP_DOMAIN with the domain enforced. The server's CURVE public key, in
 * Z85, goes to pub_z85 (may be NULL). 0, or -1 with err filled.
 */
int zap_curve_server(void *sock, const unsigned char sk[KEYFILE_SK_BYTES],
                     char pub_z85[ZAP_KEY_TEXT_MAX], char *err, size_t errlen);

/*
 * A handler bound to ZAP_ENDPOINT in zctx, accepting nobody until
 * zap_set_allowlist(). NULL with err filled when the socket cannot be made
 * or bound (another handler is bound). Caller frees with zap_destroy().
 */
zap_t *zap_new(void *zctx, char *err, size_t errlen);

/*
 * Accept from now on exactly the CURVE keys derived from allow's agents'
 * Ed25519 keys, with the agent id as ZAP user id (the "User-Id" property of
 * their messages). Connections already made are not affected. The
 * refusals logged once per key are forgotten, so a key refused under the
 * new list is logged again. 0, or -1 (out of memory) with the old set kept.
 */
int zap_set_allowlist(zap_t *self, const coord_allowlist_t *allow, char *err, size_t errlen);

/* The REP socket, to poll for ZMQ_POLLIN; borrowed. */
void *zap_socket(zap_t *self);

/* Answer the requests waiting now (bounded; never blocks on an empty socket). */
void zap_handle(zap_t *self);

/* Requests answered 200 and 400 since zap_new(). */
uint64_t zap_accepted(const zap_t *self);
uint64_t zap_refused(const zap_t *self);

/* Close the socket, free self and set *self_p to NULL; NULL is fine. */
void zap_destroy(zap_t **self_p);

#endif

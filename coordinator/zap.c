/*
 * coordinator/zap.c - CURVE server options and the ZAP handler (RFC 27).
 *
 * A ZAP request is 6 frames plus the mechanism's credentials: version
 * "1.0", request id, domain, address, routing id, mechanism, and for CURVE
 * one 32-byte client public key. The reply is version, request id, status
 * code ("200" accepted, "400" refused, "500" unreadable request), status
 * text, user id and metadata (empty). The REP socket strips and restores
 * the envelope libzmq puts in front.
 */
#include "coordinator/zap.h"

#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/conf.h"
#include "common/log.h"

/* Stable option; the Debian 12 header defines it only in its draft section. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#define ZAP_FRAMES_MAX 7    /* frames of a CURVE request */
#define ZAP_LOGGED_MAX 1024 /* refused keys remembered for log-once */
#define ZAP_PER_HANDLE 64   /* requests answered in one zap_handle() */
#define ZAP_TEXT_MAX   256  /* longest domain, address or mechanism kept for logs */

/* One accepted client key. */
typedef struct zap_key {
    unsigned char curve_pk[ZAP_KEY_BYTES]; /* X25519 key derived from the agent's Ed25519 key */
    char id[CONF_ID_MAX];                  /* the agent: the ZAP user id */
} zap_key;

struct zap {
    void *sock;                                          /* REP bound to ZAP_ENDPOINT */
    zap_key *keys;                                       /* accepted keys, sorted by curve_pk */
    size_t n_keys;                                       /* count */
    unsigned char logged[ZAP_LOGGED_MAX][ZAP_KEY_BYTES]; /* refused keys already logged */
    size_t n_logged;                                     /* count */
    uint64_t accepted;                                   /* requests answered 200 */
    uint64_t refused;                                    /* requests answered 400 */
};

static void zap_z85(const unsigned char key[ZAP_KEY_BYTES], char out[ZAP_KEY_TEXT_MAX])
{
    if (!zmq_z85_encode(out, key, ZAP_KEY_BYTES))
        snprintf(out, ZAP_KEY_TEXT_MAX, "?");
}

int zap_curve_server(void *sock, const unsigned char sk[KEYFILE_SK_BYTES],
                     char pub_z85[ZAP_KEY_TEXT_MAX], char *err, size_t errlen)
{
    unsigned char csk[ZAP_KEY_BYTES], cpk[ZAP_KEY_BYTES];
    int one = 1, rc = -1;
    if (!zmq_has("curve")) {
        snprintf(err, errlen, "curve: this libzmq is built without CURVE");
        return -1;
    }
    /* sk is seed || public key: its second half is the Ed25519 public key */
    if (crypto_sign_ed25519_sk_to_curve25519(csk, sk) != 0 ||
        crypto_sign_ed25519_pk_to_curve25519(cpk, sk + 32) != 0) {
        snprintf(err, errlen, "curve: the signing key has no CURVE counterpart");
        goto done;
    }
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, csk, sizeof csk) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN)) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) != 0) {
        snprintf(err, errlen, "curve: cannot set the server options: %s", zmq_strerror(errno));
        goto done;
    }
    if (pub_z85)
        zap_z85(cpk, pub_z85);
    rc = 0;
done:
    sodium_memzero(csk, sizeof csk);
    return rc;
}

zap_t *zap_new(void *zctx, char *err, size_t errlen)
{
    zap_t *self = calloc(1, sizeof *self);
    int linger = 0;
    if (!self) {
        snprintf(err, errlen, "ZAP handler: out of memory");
        return NULL;
    }
    self->sock = zmq_socket(zctx, ZMQ_REP);
    if (!self->sock || zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(self->sock, ZAP_ENDPOINT) != 0) {
        snprintf(err, errlen, "ZAP handler: cannot bind %s: %s", ZAP_ENDPOINT, zmq_strerror(errno));
        zap_destroy(&self);
        return NULL;
    }
    return self;
}

static int zap_key_cmp(const void *a, const void *b)
{
    return memcmp(((const zap_key *)a)->curve_pk, ((const zap_key *)b)->curve_pk, ZAP_KEY_BYTES);
}

int zap_set_allowlist(zap_t *self, const coord_allowlist_t *allow, char *err, size_t errlen)
{
    size_t n = coord_allowlist_count(allow), used = 0;
    zap_key *v = calloc(n ? n : 1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "ZAP handler: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const coord_allowlist_entry *e = coord_allowlist_at(allow, i);
        if (crypto_sign_ed25519_pk_to_curve25519(v[used].curve_pk, e->pk) != 0) {
            log_warn("agent %s: its key has no CURVE counterpart: it cannot connect", e->id);
            continue;
        }
        snprintf(v[used].id, sizeof v[used].id, "%s", e->id);
        used++;
    }
    qsort(v, used, sizeof *v, zap_key_cmp);
    /* Ed25519 keys P and -P convert to the same CURVE key: the first agent keeps it */
    size_t kept = 0;
    for (size_t i = 0; i < used; i++) {
        if (kept && memcmp(v[kept - 1].curve_pk, v[i].curve_pk, ZAP_KEY_BYTES) == 0) {
            log_warn("agent %s: its key converts to the CURVE key of agent %s: it cannot connect",
                     v[i].id, v[kept - 1].id);
            continue;
        }
        v[kept++] = v[i];
    }
    free(self->keys);
    self->keys = v;
    self->n_keys = kept;
    self->n_logged = 0;
    return 0;
}

void *zap_socket(zap_t *self)
{
    return self->sock;
}

uint64_t zap_accepted(const zap_t *self)
{
    return self->accepted;
}

uint64_t zap_refused(const zap_t *self)
{
    return self->refused;
}

static const zap_key *zap_find(const zap_t *self, const unsigned char *key)
{
    zap_key probe;
    memcpy(probe.curve_pk, key, ZAP_KEY_BYTES);
    return bsearch(&probe, self->keys, self->n_keys, sizeof *self->keys, zap_key_cmp);
}

/* A frame as a C string (truncated to fit) for comparisons and logs. */
static void zap_text(zmq_msg_t *m, char *out, size_t outlen)
{
    size_t n = zmq_msg_size(m) < outlen - 1 ? zmq_msg_size(m) : outlen - 1;
    memcpy(out, zmq_msg_data(m), n);
    out[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (out[i] < 0x20 || out[i] > 0x7e)
            out[i] = '?';
    }
}

static void zap_reply(zap_t *self, zmq_msg_t *request_id, const char *code, const char *text,
                      const char *user_id)
{
    zmq_msg_t rid;
    zmq_msg_init(&rid);
    if (request_id)
        zmq_msg_copy(&rid, request_id);
    zmq_send(self->sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_msg_send(&rid, self->sock, ZMQ_SNDMORE);
    zmq_msg_close(&rid);
    zmq_send(self->sock, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(self->sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(self->sock, user_id, strlen(user_id), ZMQ_SNDMORE);
    zmq_send(self->sock, "", 0, 0);
}

/* Log a refused key once (until the next zap_set_allowlist()). */
static void zap_log_refusal(zap_t *self, const unsigned char *key, const char *address)
{
    for (size_t i = 0; i < self->n_logged; i++) {
        if (memcmp(self->logged[i], key, ZAP_KEY_BYTES) == 0)
            return;
    }
    if (self->n_logged == ZAP_LOGGED_MAX)
        return;
    memcpy(self->logged[self->n_logged++], key, ZAP_KEY_BYTES);
    char z85[ZAP_KEY_TEXT_MAX];
    zap_z85(key, z85);
    log_warn("CURVE client key %s (from %s) refused: not the key of an allowed agent (further "
             "refusals of this key are counted, not logged)",
             z85, address);
}

/* Answer one request made of n frames (more were dropped when extra). */
static void zap_answer(zap_t *self, zmq_msg_t *part, int n, bool extra)
{
    char version[16], domain[ZAP_TEXT_MAX], address[ZAP_TEXT_MAX], mech[ZAP_TEXT_MAX];
    if (n < 6 || extra) {
        log_warn("ZAP handler: a request of %s frames: refused", extra ? "too many" : "too few");
        zap_reply(self, n >= 2 ? &part[1] : NULL, "500", "malformed request", "");
        return;
    }
    zap_text(&part[0], version, sizeof version);
    zap_text(&part[2], domain, sizeof domain);
    zap_text(&part[3], address, sizeof address);
    zap_text(&part[5], mech, sizeof mech);
    if (strcmp(version, "1.0") != 0) {
        zap_reply(self, &part[1], "500", "version not supported", "");
        return;
    }
    if (strcmp(domain, ZAP_DOMAIN) != 0) {
        /* another socket of this context (none asks for a domain): not ours to judge */
        log_debug("ZAP handler: %s request from %s in domain '%s': accepted", mech, address,
                  domain);
        zap_reply(self, &part[1], "200", "OK", "");
        return;
    }
    if (strcmp(mech, "CURVE") != 0 || n != 7 || zmq_msg_size(&part[6]) != ZAP_KEY_BYTES) {
        self->refused++;
        log_warn("ZAP handler: %s client from %s refused: CURVE is required", mech, address);
        zap_reply(self, &part[1], "400", "CURVE required", "");
        return;
    }
    const unsigned char *key = zmq_msg_data(&part[6]);
    const zap_key *k = zap_find(self, key);
    if (!k) {
        self->refused++;
        zap_log_refusal(self, key, address);
        zap_reply(self, &part[1], "400", "key not allowed", "");
        return;
    }
    self->accepted++;
    log_debug("CURVE client from %s accepted as agent %s", address, k->id);
    zap_reply(self, &part[1], "200", "OK", k->id);
}

void zap_handle(zap_t *self)
{
    for (int r = 0; r < ZAP_PER_HANDLE; r++) {
        zmq_msg_t part[ZAP_FRAMES_MAX];
        int n = 0;
        bool more = true, extra = false;
        zmq_msg_init(&part[0]);
        if (zmq_msg_recv(&part[0], self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part[0]);
            return;
        }
        n = 1;
        more = zmq_msg_more(&part[0]);
        /* the frames of one message arrive together: the rest is there */
        while (more && n < ZAP_FRAMES_MAX) {
            zmq_msg_init(&part[n]);
            if (zmq_msg_recv(&part[n], self->sock, 0) < 0) {
                zmq_msg_close(&part[n]);
                more = false;
                break;
            }
            more = zmq_msg_more(&part[n]);
            n++;
        }
        while (more) {
            zmq_msg_t junk;
            zmq_msg_init(&junk);
            if (zmq_msg_recv(&junk, self->sock, 0) < 0)
                more = false;
            else
                more = zmq_msg_more(&junk);
            zmq_msg_close(&junk);
            extra = true;
        }
        zap_answer(self, part, n, extra);
        for (int i = 0; i < n; i++)
            zmq_msg_close(&part[i]);
    }
}

void zap_destroy(zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zap_t *self = *self_p;
    if (self->sock)
        zmq_close(self->sock);
    free(self->keys);
    free(self);
    *self_p = NULL;
}

/*
 * tests/link/evil.c - a hostile peer for the link tests: connects to a
 * coordinator like an agent and sends one kind of bad frame.
 *
 *   evil ENDPOINT KEYFILE SENDER RECIPIENT MODE [SEQ]
 *   evil ENDPOINT KEYFILE SENDER RECIPIENT curve-MODE SEQ COORD_PUB [CURVE_KEYFILE]
 *
 * MODE: valid (a well-formed RESULTS of one observation, signed with KEYFILE),
 * flip (the same with one bit flipped), replay (a valid frame sent twice),
 * oversized (a frame over the size limit), bomb (the 5-byte msgpack array
 * that claims 10 million items), garbage (random bytes), multipart (a valid
 * frame split over two ZeroMQ frames). Prints each reply it gets within 2 s
 * as "reply TYPE seq=N duplicate=D" and exits 0.
 *
 *   evil serve ENDPOINT FRAMEFILE
 *
 * stands in for a coordinator and sends the first agent that speaks a frame
 * saved with EVIL_SAVE (an ACK signed for someone else).
 *
 * curve-MODE: MODE over CURVE, as an agent with curve = yes connects: the
 * server key is the conversion of the coordinator's Ed25519 key in the
 * .pub file COORD_PUB, the client pair the conversion of CURVE_KEYFILE's
 * Ed25519 pair (KEYFILE when not given; a different file connects with one
 * key and signs with another).
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/keyfile.h"
#include "proto/envelope.h"

static uint8_t *valid_results(const char *sender, const char *recipient, uint64_t seq,
                              const unsigned char *sk, size_t *len)
{
    proto_obs obs = {.t_ms = clock_wall_ms(),
                     .resolver = "local",
                     .kind = "local",
                     .qname = "evil.test.",
                     .qtype = 1,
                     .rrset = "evil.test. A 192.0.2.66",
                     .rtt_us = 1};
    proto_results r = {.obs = &obs, .n_obs = 1, .monitor = "evil"};
    proto_header h = {
        .version = PROTO_VERSION, .type = PROTO_RESULTS, .seq = seq, .ts_ms = clock_wall_ms()};
    snprintf(h.sender, sizeof h.sender, "%s", sender);
    snprintf(h.recipient, sizeof h.recipient, "%s", recipient);
    uint8_t *f = NULL;
    if (proto_seal(&h, &r, sk, &f, len, NULL) != PROTO_OK) {
        fprintf(stderr, "evil: cannot seal\n");
        exit(1);
    }
    return f;
}

/* CURVE client options from the coordinator's .pub file and an agent key file. */
static void evil_curve(void *s, const char *coord_pub, const char *keyfile)
{
    unsigned char coord_pk[32], sk[64], pk[32], spk[32], cpk[32], csk[32];
    char err[512];
    if (keyfile_load_public(coord_pub, coord_pk, err, sizeof err) != 0 ||
        keyfile_load_secret(keyfile, sk, pk, err, sizeof err) != 0) {
        fprintf(stderr, "evil: %s\n", err);
        exit(1);
    }
    if (crypto_sign_ed25519_pk_to_curve25519(spk, coord_pk) != 0 ||
        crypto_sign_ed25519_pk_to_curve25519(cpk, pk) != 0 ||
        crypto_sign_ed25519_sk_to_curve25519(csk, sk) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, spk, 32) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, cpk, 32) != 0 ||
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, csk, 32) != 0) {
        fprintf(stderr, "evil: CURVE: %s\n", zmq_strerror(errno));
        exit(1);
    }
}

/* EVIL_SAVE=FILE keeps the first ACK frame received, signed by the real
 * coordinator for this sender, to be replayed to another agent. */
static void evil_save(const void *frame, size_t len)
{
    static bool saved;
    const char *path = getenv("EVIL_SAVE");
    if (!path || saved)
        return;
    FILE *fp = fopen(path, "wb");
    if (fp) {
        fwrite(frame, 1, len, fp);
        fclose(fp);
        saved = true;
    }
}

/*
 * evil serve ENDPOINT FRAMEFILE: stand in for the coordinator: bind a
 * ROUTER at ENDPOINT, wait for an agent's first message and send it the
 * saved frame (an ACK the real coordinator signed for another agent), then
 * wait a second for the agent to deal with it.
 */
static int evil_serve(const char *endpoint, const char *file)
{
    static uint8_t frame[PROTO_FRAME_MAX];
    FILE *fp = fopen(file, "rb");
    size_t len = fp ? fread(frame, 1, sizeof frame, fp) : 0;
    if (fp)
        fclose(fp);
    if (len == 0) {
        fprintf(stderr, "evil: no frame in %s\n", file);
        return 1;
    }
    void *ctx = zmq_ctx_new();
    void *r = zmq_socket(ctx, ZMQ_ROUTER);
    int linger = 500;
    zmq_setsockopt(r, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(r, endpoint) != 0) {
        fprintf(stderr, "evil: bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return 1;
    }
    zmq_pollitem_t it = {.socket = r, .events = ZMQ_POLLIN};
    int rc = 1;
    if (zmq_poll(&it, 1, 10000) > 0) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        zmq_msg_init(&body);
        zmq_msg_recv(&id, r, 0);
        zmq_msg_recv(&body, r, 0);
        zmq_send(r, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
        zmq_send(r, frame, len, 0);
        printf("sent the saved frame to the agent\n");
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        rc = 0;
        zmq_poll(&it, 1, 1000);
    }
    zmq_close(r);
    zmq_ctx_term(ctx);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "serve") == 0)
        return evil_serve(argv[2], argv[3]);
    if (argc < 6) {
        fprintf(stderr, "usage: evil ENDPOINT KEYFILE SENDER RECIPIENT MODE [SEQ]\n");
        return 2;
    }
    const char *mode = argv[5];
    bool curve = strncmp(mode, "curve-", 6) == 0;
    if (curve) {
        mode += 6;
        if (argc < 8) {
            fprintf(stderr, "usage: evil ENDPOINT KEYFILE SENDER RECIPIENT curve-MODE SEQ "
                            "COORD_PUB [CURVE_KEYFILE]\n");
            return 2;
        }
    }
    uint64_t seq = argc > 6 ? strtoull(argv[6], NULL, 10) : 1000000;
    unsigned char sk[64], pk[32];
    char err[512];
    if (sodium_init() < 0 || keyfile_load_secret(argv[2], sk, pk, err, sizeof err) != 0) {
        fprintf(stderr, "evil: %s\n", err);
        return 1;
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 500;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (curve)
        evil_curve(s, argv[7], argc > 8 ? argv[8] : argv[2]);
    if (zmq_connect(s, argv[1]) != 0) {
        fprintf(stderr, "evil: connect: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    size_t len = 0;
    uint8_t *f = NULL;
    if (strcmp(mode, "valid") == 0 || strcmp(mode, "replay") == 0) {
        f = valid_results(argv[3], argv[4], seq, sk, &len);
        zmq_send(s, f, len, 0);
        if (strcmp(mode, "replay") == 0)
            zmq_send(s, f, len, 0);
    } else if (strcmp(mode, "flip") == 0) {
        f = valid_results(argv[3], argv[4], seq, sk, &len);
        f[len / 2] ^= 0x10;
        zmq_send(s, f, len, 0);
    } else if (strcmp(mode, "multipart") == 0) {
        f = valid_results(argv[3], argv[4], seq, sk, &len);
        zmq_send(s, f, len / 2, ZMQ_SNDMORE);
        zmq_send(s, f + len / 2, len - len / 2, 0);
    } else if (strcmp(mode, "oversized") == 0) {
        len = PROTO_FRAME_MAX + 4096;
        f = calloc(1, len);
        f[0] = 0x98;
        zmq_send(s, f, len, 0);
    } else if (strcmp(mode, "bomb") == 0) {
        static const uint8_t bomb[] = {0xdd, 0x00, 0x98, 0x96, 0x80};
        zmq_send(s, bomb, sizeof bomb, 0);
    } else if (strcmp(mode, "garbage") == 0) {
        len = 4096;
        f = malloc(len);
        randombytes_buf(f, len);
        zmq_send(s, f, len, 0);
    } else {
        fprintf(stderr, "evil: unknown mode %s\n", mode);
        return 2;
    }
    free(f);
    int64_t end = clock_mono_ms() + 2000;
    while (clock_mono_ms() < end) {
        zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, (long)(end - clock_mono_ms())) <= 0)
            break;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) < 0)
            break;
        envelope_t env;
        if (envelope_parse(zmq_msg_data(&m), zmq_msg_size(&m), 1, 1, &env, NULL) == PROTO_OK) {
            proto_msg msg = {0};
            if (envelope_decode(&env, &msg, NULL) == PROTO_OK) {
                if (msg.hdr.type == PROTO_ACK) {
                    printf("reply ACK seq=%llu duplicate=%d\n",
                           (unsigned long long)msg.body.ack.seq, msg.body.ack.duplicate);
                    evil_save(zmq_msg_data(&m), zmq_msg_size(&m));
                } else
                    printf("reply %s\n", proto_type_name(msg.hdr.type));
                proto_msg_clear(&msg);
            }
            envelope_release(&env);
        }
        zmq_msg_close(&m);
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}

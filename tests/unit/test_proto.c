/*
 * tests/unit/test_proto.c - the wire protocol: catalogue round trips, the
 * signed envelope, and every way a hostile frame must be refused.
 */
#include "tests/unit/testutil.h"

#include <msgpack.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "proto/envelope.h"
#include "proto/json.h"
#include "proto/mpcheck.h"
#include "tests/unit/samples.h"

static unsigned char agent_pk[32], agent_sk[64];
static unsigned char coord_pk[32], coord_sk[64];
static unsigned char other_pk[32], other_sk[64];

/* The coordinator's view: only "fra-1" is known, with agent_pk. */
static const unsigned char *lookup_agent(void *ctx, const char *sender, size_t idx)
{
    (void)ctx;
    if (strcmp(sender, "fra-1") == 0 && idx == 0)
        return agent_pk;
    return NULL;
}

/* An agent's view: two pinned coordinator keys (rotation). */
static const unsigned char *lookup_pinned(void *ctx, const char *sender, size_t idx)
{
    (void)ctx;
    (void)sender;
    if (idx == 0)
        return other_pk;
    if (idx == 1)
        return coord_pk;
    return NULL;
}

static proto_open_opts coord_opts(void)
{
    proto_open_opts o = {.version_min = PROTO_VERSION_MIN,
                         .version_max = PROTO_VERSION_MAX,
                         .self_id = "coord",
                         .keys = lookup_agent};
    return o;
}

static proto_header hdr_of(uint32_t type, const char *from, const char *to)
{
    proto_header h = {.version = PROTO_VERSION, .type = type, .seq = 42, .ts_ms = 1790000000123};
    snprintf(h.sender, sizeof h.sender, "%s", from);
    snprintf(h.recipient, sizeof h.recipient, "%s", to);
    return h;
}

/* A sealed agent -> coordinator frame of the given type. */
static uint8_t *seal_sample(uint32_t type, size_t *len)
{
    proto_header h = hdr_of(type, "fra-1", "coord");
    uint8_t *out;
    proto_error err;
    assert_int_equal(proto_seal(&h, sample_body(type), agent_sk, &out, len, &err), PROTO_OK);
    return out;
}

/*
 * Build a signed frame around raw body bytes (which may be anything), so a
 * test can reach the body decoder with hostile input. version and
 * trailing are written as given.
 */
static uint8_t *seal_raw(uint32_t version, uint32_t type, const char *recipient, const void *body,
                         size_t body_len, const unsigned char *sk, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 8);
    msgpack_pack_uint32(&pk, version);
    msgpack_pack_uint32(&pk, type);
    msgpack_pack_str_with_body(&pk, "fra-1", 5);
    msgpack_pack_str_with_body(&pk, recipient, strlen(recipient));
    msgpack_pack_uint64(&pk, 5);
    msgpack_pack_int64(&pk, 1790000000000);
    msgpack_sbuffer_write(&sb, body, body_len);
    size_t mlen = ENVELOPE_SIG_CONTEXT_LEN + sb.size;
    uint8_t *m = malloc(mlen);
    memcpy(m, ENVELOPE_SIG_CONTEXT, ENVELOPE_SIG_CONTEXT_LEN);
    memcpy(m + ENVELOPE_SIG_CONTEXT_LEN, sb.data, sb.size);
    unsigned char sig[64];
    crypto_sign_detached(sig, NULL, m, mlen, sk);
    free(m);
    msgpack_pack_bin_with_body(&pk, sig, 64);
    *len = sb.size;
    return (uint8_t *)msgpack_sbuffer_release(&sb);
}

/* Pack a body struct of a type into a fresh buffer. */
static uint8_t *pack_body(uint32_t type, const void *body, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(proto_body_encode(type, body, &pk, NULL), PROTO_OK);
    *len = sb.size;
    return (uint8_t *)msgpack_sbuffer_release(&sb);
}

static proto_status open_frame(const uint8_t *f, size_t len, proto_msg *m, proto_error *err)
{
    proto_open_opts o = coord_opts();
    memset(m, 0, sizeof *m);
    return proto_open(f, len, &o, m, err);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_round_trip_every_type(void **state)
{
    (void)state;
    for (uint32_t t = PROTO_TYPE_FIRST; t <= PROTO_TYPE_LAST; t++) {
        size_t len;
        uint8_t *f = seal_sample(t, &len);
        proto_msg m;
        proto_error err;
        proto_status s = open_frame(f, len, &m, &err);
        if (s != PROTO_OK) {
            char buf[200];
            fail_msg("%s: %s", proto_type_name(t), proto_error_format(&err, buf, sizeof buf));
        }
        assert_int_equal(m.hdr.type, t);
        assert_string_equal(m.hdr.sender, "fra-1");
        assert_string_equal(m.hdr.recipient, "coord");
        assert_int_equal(m.hdr.seq, 42);
        assert_int_equal(m.hdr.ts_ms, 1790000000123);
        /* re-encoding the decoded body gives the same bytes as the original */
        size_t a_len, b_len;
        uint8_t *a = pack_body(t, sample_body(t), &a_len);
        uint8_t *b = pack_body(t, &m.body, &b_len);
        assert_int_equal(a_len, b_len);
        assert_memory_equal(a, b, a_len);
        free(a);
        free(b);
        proto_msg_clear(&m);
        free(f);
    }
}

static void test_round_trip_fields(void **state)
{
    (void)state;
    size_t len;
    uint8_t *f = seal_sample(PROTO_RESULTS, &len);
    proto_msg m;
    assert_int_equal(open_frame(f, len, &m, NULL), PROTO_OK);
    const proto_results *r = &m.body.results;
    assert_int_equal(r->n_obs, 3);
    assert_int_equal(r->n_findings, 2);
    assert_string_equal(r->obs[0].rrset, sample_obs[0].rrset);
    assert_true(r->obs[0].has_ttl);
    assert_int_equal(r->obs[0].ttl_min, 287);
    assert_false(r->obs[0].has_soa_serial);
    assert_null(r->obs[0].nsid);
    assert_int_equal(r->obs[1].rcode, 3);
    assert_true(r->obs[1].has_neg_ttl);
    assert_int_equal(r->obs[1].neg_ttl, 0);
    assert_int_equal(r->obs[1].soa_serial, 2026112601u);
    assert_int_equal(r->obs[1].n_ede, 2);
    assert_int_equal(r->obs[1].ede[1], 22);
    assert_string_equal(r->obs[1].nsid, "ns1-fra");
    assert_int_equal(r->obs[2].fail, PROTO_FAIL_TIMEOUT);
    assert_string_equal(r->findings[1].message, "no v=spf1 record \xc3\xa9");
    assert_null(r->findings[1].resolver);
    proto_msg_clear(&m);
    free(f);

    f = seal_sample(PROTO_PLAN, &len);
    assert_int_equal(open_frame(f, len, &m, NULL), PROTO_OK);
    assert_int_equal(m.body.plan.n_monitors, 2);
    assert_string_equal(m.body.plan.monitors[0].types[1], "A");
    assert_string_equal(m.body.plan.monitors[0].profile, "mail");
    assert_true(m.body.plan.monitors[1].geo);
    assert_null(m.body.plan.monitors[1].profile);
    proto_msg_clear(&m);
    free(f);
}

static void test_sealing_is_deterministic(void **state)
{
    (void)state;
    size_t a_len, b_len;
    uint8_t *a = seal_sample(PROTO_HELLO, &a_len);
    uint8_t *b = seal_sample(PROTO_HELLO, &b_len);
    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len);
    free(a);
    free(b);
}

static void test_every_flipped_bit_rejected(void **state)
{
    (void)state;
    for (uint32_t t = PROTO_TYPE_FIRST; t <= PROTO_TYPE_LAST; t++) {
        size_t len;
        uint8_t *f = seal_sample(t, &len);
        for (size_t i = 0; i < len; i++) {
            for (int bit = 0; bit < 8; bit++) {
                f[i] ^= (uint8_t)(1u << bit);
                proto_msg m;
                proto_status s = open_frame(f, len, &m, NULL);
                if (s == PROTO_OK)
                    fail_msg("%s: flipped bit %d of byte %zu was accepted", proto_type_name(t), bit,
                             i);
                f[i] ^= (uint8_t)(1u << bit);
            }
        }
        free(f);
    }
}

static void test_wrong_key_and_unknown_sender(void **state)
{
    (void)state;
    proto_header h = hdr_of(PROTO_ACK, "fra-1", "coord");
    uint8_t *f;
    size_t len;
    proto_error err;
    proto_msg m;
    assert_int_equal(proto_seal(&h, &sample_ack, other_sk, &f, &len, &err), PROTO_OK);
    assert_int_equal(open_frame(f, len, &m, &err), PROTO_E_SIGNATURE);
    free(f);

    h = hdr_of(PROTO_ACK, "lon-1", "coord");
    assert_int_equal(proto_seal(&h, &sample_ack, agent_sk, &f, &len, &err), PROTO_OK);
    assert_int_equal(open_frame(f, len, &m, &err), PROTO_E_SENDER);
    assert_string_equal(m.hdr.sender, "lon-1"); /* the header names the peer for logs */
    free(f);
}

static void test_pinned_keys_rotation(void **state)
{
    (void)state;
    /* the coordinator signs with its current key; the agent pins two */
    proto_header h = hdr_of(PROTO_ACK, "coord", "fra-1");
    uint8_t *f;
    size_t len;
    assert_int_equal(proto_seal(&h, &sample_ack, coord_sk, &f, &len, NULL), PROTO_OK);
    proto_open_opts o = {
        .version_min = 1, .version_max = 1, .self_id = "fra-1", .keys = lookup_pinned};
    proto_msg m = {0};
    assert_int_equal(proto_open(f, len, &o, &m, NULL), PROTO_OK);
    assert_int_equal(m.body.ack.seq, 41);
    assert_true(m.body.ack.duplicate);
    proto_msg_clear(&m);
    free(f);
}

static void test_wrong_recipient(void **state)
{
    (void)state;
    /* an ACK meant for fra-1, replayed to another agent */
    proto_header h = hdr_of(PROTO_ACK, "coord", "fra-1");
    uint8_t *f;
    size_t len;
    assert_int_equal(proto_seal(&h, &sample_ack, coord_sk, &f, &len, NULL), PROTO_OK);
    proto_open_opts o = {
        .version_min = 1, .version_max = 1, .self_id = "lon-1", .keys = lookup_pinned};
    proto_msg m = {0};
    proto_error err;
    assert_int_equal(proto_open(f, len, &o, &m, &err), PROTO_E_RECIPIENT);
    free(f);
}

static void test_skew_window(void **state)
{
    (void)state;
    size_t len;
    uint8_t *f = seal_sample(PROTO_HEARTBEAT, &len);
    proto_open_opts o = coord_opts();
    o.skew_ms = 300000;
    proto_msg m = {0};
    o.now_ms = 1790000000123 + 300000;
    assert_int_equal(proto_open(f, len, &o, &m, NULL), PROTO_OK);
    proto_msg_clear(&m);
    o.now_ms = 1790000000123 + 300001;
    assert_int_equal(proto_open(f, len, &o, &m, NULL), PROTO_E_SKEW);
    o.now_ms = 1790000000123 - 300001;
    assert_int_equal(proto_open(f, len, &o, &m, NULL), PROTO_E_SKEW);
    free(f);

    /* a timestamp at the far end of int64 must not overflow the subtraction */
    proto_header h = hdr_of(PROTO_HEARTBEAT, "fra-1", "coord");
    h.ts_ms = INT64_MIN;
    assert_int_equal(proto_seal(&h, &sample_hb, agent_sk, &f, &len, NULL), PROTO_OK);
    o.now_ms = INT64_MAX - 5;
    assert_int_equal(proto_open(f, len, &o, &m, NULL), PROTO_E_SKEW);
    free(f);
}

static void test_truncated_every_length(void **state)
{
    (void)state;
    size_t len;
    uint8_t *f = seal_sample(PROTO_RESULTS, &len);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *p = malloc(cut ? cut : 1); /* exact size, so ASan sees any overread */
        memcpy(p, f, cut);
        proto_msg m;
        proto_error err;
        proto_status s = open_frame(p, cut, &m, &err);
        if (s != PROTO_E_TRUNCATED && s != PROTO_E_COUNT)
            fail_msg("prefix of %zu bytes: %s", cut, proto_status_name(s));
        free(p);
    }
    free(f);
}

static void test_trailing_bytes(void **state)
{
    (void)state;
    size_t len;
    uint8_t *f = seal_sample(PROTO_ACK, &len);
    uint8_t *p = malloc(len + 1);
    memcpy(p, f, len);
    p[len] = 0xc0;
    proto_msg m;
    assert_int_equal(open_frame(p, len + 1, &m, NULL), PROTO_E_TRAILING);
    free(p);
    free(f);
}

static void test_oversized(void **state)
{
    (void)state;
    size_t big = PROTO_FRAME_MAX + 1;
    uint8_t *p = calloc(1, big);
    p[0] = 0x98;
    proto_msg m;
    assert_int_equal(open_frame(p, big, &m, NULL), PROTO_E_TOO_BIG);
    free(p);

    /* the sender refuses to build what a receiver would refuse */
    size_t n = 40;
    proto_obs *obs = calloc(n, sizeof *obs);
    char *text = malloc(PROTO_TEXT_MAX + 1);
    memset(text, 'a', PROTO_TEXT_MAX);
    text[PROTO_TEXT_MAX] = '\0';
    for (size_t i = 0; i < n; i++)
        obs[i] = (proto_obs){.resolver = "r", .kind = "local", .qname = "x.", .rrset = text};
    proto_results r = {.obs = obs, .n_obs = n};
    proto_header h = hdr_of(PROTO_RESULTS, "fra-1", "coord");
    uint8_t *f;
    size_t len;
    proto_error err;
    assert_int_equal(proto_seal(&h, &r, agent_sk, &f, &len, &err), PROTO_E_TOO_BIG);
    free(text);
    free(obs);
}

static const uint8_t bomb[] = {0xdd, 0x00, 0x98, 0x96, 0x80};

static void test_huge_count_walker(void **state)
{
    (void)state;
    mpcheck_limits lim = {.max_depth = 16, .max_items = 1000000};
    size_t end;
    proto_error err;
    assert_int_equal(mpcheck_object(bomb, sizeof bomb, &lim, &end, &err), PROTO_E_COUNT);
    const uint8_t map_bomb[] = {0xdf, 0x00, 0x98, 0x96, 0x80, 0xc0};
    assert_int_equal(mpcheck_object(map_bomb, sizeof map_bomb, &lim, &end, &err), PROTO_E_COUNT);
    /* a map of 3 pairs needs 6 objects: 5 bytes left is too few */
    const uint8_t short_map[] = {0x83, 1, 2, 3, 4, 5};
    assert_int_equal(mpcheck_object(short_map, sizeof short_map, &lim, &end, &err), PROTO_E_COUNT);
}

static void test_huge_count_in_frame(void **state)
{
    (void)state;
    /* the body is the bomb: refused before msgpack-c sees it */
    size_t len;
    uint8_t *f = seal_raw(1, PROTO_ACK, "coord", bomb, sizeof bomb, agent_sk, &len);
    proto_msg m;
    proto_error err;
    assert_int_equal(open_frame(f, len, &m, &err), PROTO_E_COUNT);
    free(f);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#ifndef UNDER_ASAN
static size_t vm_size_bytes(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (fp) {
        if (fscanf(fp, "%lu", &pages) != 1)
            pages = 0;
        fclose(fp);
    }
    return pages * (size_t)sysconf(_SC_PAGESIZE);
}
#endif

/*
 * Under a memory limit of 64 MiB above what the process uses: msgpack-c
 * alone fails on the 5-byte bomb (it reserves ~240 MiB for the declared
 * count), which shows the limit bites; the protocol decoder refuses the
 * same bytes with PROTO_E_COUNT and never reaches msgpack-c.
 */
static void test_huge_count_under_memory_limit(void **state)
{
    (void)state;
#ifdef UNDER_ASAN
    skip(); /* ASan reserves terabytes of shadow memory: RLIMIT_AS cannot apply */
#else
    size_t len;
    uint8_t *f = seal_raw(1, PROTO_ACK, "coord", bomb, sizeof bomb, agent_sk, &len);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {.rlim_cur = vm_size_bytes() + 64 * 1024 * 1024};
        rl.rlim_max = rl.rlim_cur;
        if (setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(10);
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        msgpack_unpack_return r = msgpack_unpack_next(&u, (const char *)bomb, sizeof bomb, &off);
        msgpack_unpacked_destroy(&u);
        if (r != MSGPACK_UNPACK_NOMEM_ERROR)
            _exit(11); /* the limit did not bite: the test would prove nothing */
        proto_msg m = {0};
        proto_open_opts o = coord_opts();
        proto_status s = proto_open(f, len, &o, &m, NULL);
        _exit(s == PROTO_E_COUNT ? 0 : 12);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    free(f);
#endif
}

static void test_deep_nesting(void **state)
{
    (void)state;
    /* body: {"x": [[[[...]]]]} 40 deep, in a field nobody knows */
    uint8_t body[64];
    size_t n = 0;
    body[n++] = 0x81;
    body[n++] = 0xa1;
    body[n++] = 'x';
    for (int i = 0; i < 40; i++)
        body[n++] = 0x91;
    body[n++] = 0xc0;
    size_t len;
    uint8_t *f = seal_raw(1, PROTO_ACK, "coord", body, n, agent_sk, &len);
    proto_msg m;
    assert_int_equal(open_frame(f, len, &m, NULL), PROTO_E_DEPTH);
    free(f);
}

static void test_too_many_items(void **state)
{
    (void)state;
    /* {"x": [nil x 200000]} fits in the frame but exceeds the item cap */
    size_t n_items = 200000, n = 0;
    uint8_t *body = malloc(n_items + 16);
    body[n++] = 0x81;
    body[n++] = 0xa1;
    body[n++] = 'x';
    body[n++] = 0xdd;
    body[n++] = (uint8_t)(n_items >> 24);
    body[n++] = (uint8_t)(n_items >> 16);
    body[n++] = (uint8_t)(n_items >> 8);
    body[n++] = (uint8_t)n_items;
    memset(body + n, 0xc0, n_items);
    n += n_items;
    size_t len;
    uint8_t *f = seal_raw(1, PROTO_ACK, "coord", body, n, agent_sk, &len);
    proto_msg m;
    assert_int_equal(open_frame(f, len, &m, NULL), PROTO_E_ITEMS);
    free(f);
    free(body);
}

static void test_bad_byte(void **state)
{
    (void)state;
    const uint8_t body[] = {0x81, 0xa1, 'x', 0xc1};
    size_t len;
    uint8_t *f = seal_raw(1, PROTO_ACK, "coord", body, sizeof body, agent_sk, &len);
    proto_msg m;
    assert_int_equal(open_frame(f, len, &m, NULL), PROTO_E_BADBYTE);
    free(f);
}

/* Pack a map from alternating key/value closures: small DSL for hostile bodies. */
static uint8_t *body_with(const char *mode, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (strcmp(mode, "ack-seq-string") == 0) {
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str_with_body(&pk, "seq", 3);
        msgpack_pack_str_with_body(&pk, "41", 2);
    } else if (strcmp(mode, "ack-unknown-field") == 0) {
        msgpack_pack_map(&pk, 3);
        msgpack_pack_str_with_body(&pk, "future", 6);
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str_with_body(&pk, "a", 1);
        msgpack_pack_double(&pk, 1.5);
        msgpack_pack_str_with_body(&pk, "seq", 3);
        msgpack_pack_uint64(&pk, 41);
        msgpack_pack_str_with_body(&pk, "zzz", 3);
        msgpack_pack_nil(&pk);
    } else if (strcmp(mode, "ack-dup") == 0) {
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "seq", 3);
        msgpack_pack_uint64(&pk, 41);
        msgpack_pack_str_with_body(&pk, "seq", 3);
        msgpack_pack_uint64(&pk, 40);
    } else if (strcmp(mode, "ack-missing") == 0) {
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str_with_body(&pk, "duplicate", 9);
        msgpack_pack_true(&pk);
    } else if (strcmp(mode, "ack-negative") == 0) {
        msgpack_pack_map(&pk, 1);
        msgpack_pack_str_with_body(&pk, "seq", 3);
        msgpack_pack_int64(&pk, -1);
    } else if (strcmp(mode, "ack-int-key") == 0) {
        msgpack_pack_map(&pk, 1);
        msgpack_pack_uint8(&pk, 1);
        msgpack_pack_uint64(&pk, 41);
    } else if (strcmp(mode, "finding-bad-utf8") == 0 || strcmp(mode, "finding-nul") == 0 ||
               strcmp(mode, "finding-severity") == 0) {
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "obs", 3);
        msgpack_pack_array(&pk, 0);
        msgpack_pack_str_with_body(&pk, "findings", 8);
        msgpack_pack_array(&pk, 1);
        msgpack_pack_map(&pk, 4);
        msgpack_pack_str_with_body(&pk, "code", 4);
        msgpack_pack_str_with_body(&pk, "X", 1);
        msgpack_pack_str_with_body(&pk, "severity", 8);
        msgpack_pack_uint8(&pk, strcmp(mode, "finding-severity") == 0 ? 3 : 1);
        msgpack_pack_str_with_body(&pk, "name", 4);
        msgpack_pack_str_with_body(&pk, "a.", 2);
        msgpack_pack_str_with_body(&pk, "message", 7);
        if (strcmp(mode, "finding-bad-utf8") == 0)
            msgpack_pack_str_with_body(&pk, "bad \xc3\x28", 6);
        else if (strcmp(mode, "finding-nul") == 0)
            msgpack_pack_str_with_body(&pk, "a\0b", 3);
        else
            msgpack_pack_str_with_body(&pk, "ok", 2);
    }
    *len = sb.size;
    return (uint8_t *)msgpack_sbuffer_release(&sb);
}

static proto_status open_body(uint32_t type, const char *mode, proto_msg *m, proto_error *err)
{
    size_t blen, len;
    uint8_t *body = body_with(mode, &blen);
    uint8_t *f = seal_raw(1, type, "coord", body, blen, agent_sk, &len);
    proto_status s = open_frame(f, len, m, err);
    free(f);
    free(body);
    return s;
}

static void test_field_errors(void **state)
{
    (void)state;
    proto_msg m;
    proto_error err;
    assert_int_equal(open_body(PROTO_ACK, "ack-seq-string", &m, &err), PROTO_E_TYPE);
    assert_string_equal(err.field, "seq");
    assert_int_equal(open_body(PROTO_ACK, "ack-dup", &m, &err), PROTO_E_DUPLICATE);
    assert_string_equal(err.field, "seq");
    assert_int_equal(open_body(PROTO_ACK, "ack-missing", &m, &err), PROTO_E_MISSING);
    assert_string_equal(err.field, "seq");
    assert_int_equal(open_body(PROTO_ACK, "ack-negative", &m, &err), PROTO_E_TYPE);
    assert_int_equal(open_body(PROTO_ACK, "ack-int-key", &m, &err), PROTO_E_TYPE);
    assert_int_equal(open_body(PROTO_RESULTS, "finding-bad-utf8", &m, &err), PROTO_E_STRING);
    assert_string_equal(err.field, "findings[0].message");
    assert_int_equal(open_body(PROTO_RESULTS, "finding-nul", &m, &err), PROTO_E_STRING);
    assert_int_equal(open_body(PROTO_RESULTS, "finding-severity", &m, &err), PROTO_E_RANGE);
    assert_string_equal(err.field, "findings[0].severity");
    assert_null(m.arena); /* nothing left allocated after a failed decode */
}

static void test_unknown_field_ignored(void **state)
{
    (void)state;
    proto_msg m;
    proto_error err;
    assert_int_equal(open_body(PROTO_ACK, "ack-unknown-field", &m, &err), PROTO_OK);
    assert_int_equal(m.body.ack.seq, 41);
    assert_false(m.body.ack.duplicate);
    proto_msg_clear(&m);
}

static void test_version_range(void **state)
{
    (void)state;
    size_t blen, len;
    uint8_t *body = pack_body(PROTO_ACK, &sample_ack, &blen);
    proto_msg m;
    proto_error err;
    uint32_t bad[] = {0, PROTO_VERSION_MAX + 1, 0xffffffffu};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *f = seal_raw(bad[i], PROTO_ACK, "coord", body, blen, agent_sk, &len);
        assert_int_equal(open_frame(f, len, &m, &err), PROTO_E_VERSION);
        free(f);
    }
    /* a newer version is refused as such even when the rest is unreadable */
    const uint8_t future[] = {0x98, 0x02, 0xc1};
    assert_int_equal(open_frame(future, sizeof future, &m, &err), PROTO_E_VERSION);
    uint8_t *f = seal_raw(PROTO_VERSION, PROTO_ACK, "coord", body, blen, agent_sk, &len);
    assert_int_equal(open_frame(f, len, &m, &err), PROTO_OK);
    proto_msg_clear(&m);
    free(f);
    free(body);
}

static void test_unknown_type_and_format(void **state)
{
    (void)state;
    size_t blen, len;
    uint8_t *body = pack_body(PROTO_ACK, &sample_ack, &blen);
    proto_msg m;
    proto_error err;
    uint8_t *f = seal_raw(1, 99, "coord", body, blen, agent_sk, &len);
    assert_int_equal(open_frame(f, len, &m, &err), PROTO_E_MSGTYPE);
    free(f);
    free(body);
    const uint8_t not_array[] = {0x81, 0xa1, 'x', 0x01};
    assert_int_equal(open_frame(not_array, sizeof not_array, &m, &err), PROTO_E_FORMAT);
    const uint8_t seven[] = {0x97, 1, 1, 0xa1, 'a', 0xa1, 'b', 1, 1, 0x80};
    assert_int_equal(open_frame(seven, sizeof seven, &m, &err), PROTO_E_FORMAT);
    assert_int_equal(open_frame(NULL, 0, &m, &err), PROTO_E_TRUNCATED);
}

static void test_bad_ids(void **state)
{
    (void)state;
    proto_header h = hdr_of(PROTO_ACK, "fra 1", "coord");
    uint8_t *f;
    size_t len;
    proto_error err;
    assert_int_equal(proto_seal(&h, &sample_ack, agent_sk, &f, &len, &err), PROTO_E_INVALID);
    assert_string_equal(err.field, "sender");
    h = hdr_of(PROTO_ACK, "fra-1", "");
    assert_int_equal(proto_seal(&h, &sample_ack, agent_sk, &f, &len, &err), PROTO_E_INVALID);
    assert_string_equal(err.field, "recipient");
}

static void test_seal_body_same_as_seal(void **state)
{
    (void)state;
    for (uint32_t t = PROTO_TYPE_FIRST; t <= PROTO_TYPE_LAST; t++) {
        proto_header h = hdr_of(t, "fra-1", "coord");
        uint8_t *a, *b, *body;
        size_t alen, blen, bodylen;
        assert_int_equal(proto_seal(&h, sample_body(t), agent_sk, &a, &alen, NULL), PROTO_OK);
        assert_int_equal(proto_body_pack(t, sample_body(t), &body, &bodylen, NULL), PROTO_OK);
        assert_int_equal(proto_seal_body(&h, body, bodylen, agent_sk, &b, &blen, NULL), PROTO_OK);
        assert_int_equal(alen, blen);
        assert_memory_equal(a, b, alen);
        free(a);
        free(b);
        free(body);
    }
    /* a body that is not one map is refused */
    proto_header h = hdr_of(PROTO_ACK, "fra-1", "coord");
    uint8_t *f;
    size_t len;
    const uint8_t not_map[] = {0x91, 0x01};
    const uint8_t two[] = {0x80, 0x80};
    assert_int_equal(proto_seal_body(&h, not_map, sizeof not_map, agent_sk, &f, &len, NULL),
                     PROTO_E_FORMAT);
    assert_int_equal(proto_seal_body(&h, two, sizeof two, agent_sk, &f, &len, NULL),
                     PROTO_E_FORMAT);
    assert_int_equal(proto_seal_body(&h, bomb, sizeof bomb, agent_sk, &f, &len, NULL),
                     PROTO_E_COUNT);
}

/* ---- SMTP probes in RESULTS ---------------------------------------------------- */

static void test_smtp_round_trip(void **state)
{
    (void)state;
    size_t len;
    uint8_t *f = seal_sample(PROTO_RESULTS, &len);
    proto_msg m;
    assert_int_equal(open_frame(f, len, &m, NULL), PROTO_OK);
    const proto_results *r = &m.body.results;
    assert_int_equal(r->n_smtp, 3);
    for (size_t i = 0; i < 3; i++) {
        const proto_smtp *a = &r->smtp[i], *b = &sample_smtp[i];
        assert_int_equal(a->t_ms, b->t_ms);
        assert_string_equal(a->host, b->host);
        assert_string_equal(a->addr, b->addr);
        assert_int_equal(a->port, b->port);
        assert_int_equal(a->status, b->status);
        assert_int_equal(a->code, b->code);
        assert_int_equal(a->flags, b->flags);
        assert_true(a->size_max == b->size_max);
        assert_int_equal(a->cert_not_after, b->cert_not_after);
        assert_int_equal(a->connect_us, b->connect_us);
        assert_int_equal(a->total_us, b->total_us);
    }
    assert_string_equal(r->smtp[0].greeting, sample_smtp[0].greeting);
    assert_string_equal(r->smtp[0].greet_name, "mail.example.com");
    assert_string_equal(r->smtp[0].tls_version, "TLSv1.3");
    assert_string_equal(r->smtp[0].cert_names, "mail.example.com,mx.example.com");
    assert_null(r->smtp[0].detail);
    assert_null(r->smtp[1].greeting);
    assert_null(r->smtp[1].tls_version);
    assert_string_equal(r->smtp[1].detail, "no greeting within 5 s");
    assert_int_equal(r->smtp[2].status, PROTO_SMTP_SKIPPED);
    proto_msg_clear(&m);
    free(f);

    /* PLAN and CHECK carry the smtp switch */
    f = seal_sample(PROTO_PLAN, &len);
    assert_int_equal(open_frame(f, len, &m, NULL), PROTO_OK);
    assert_true(m.body.plan.monitors[0].smtp);
    assert_false(m.body.plan.monitors[1].smtp);
    proto_msg_clear(&m);
    free(f);
    f = seal_sample(PROTO_CHECK, &len);
    assert_int_equal(open_frame(f, len, &m, NULL), PROTO_OK);
    assert_true(m.body.check.smtp);
    proto_msg_clear(&m);
    free(f);

    /* absent on the wire = none; an empty array is not written */
    proto_results plain = sample_results;
    plain.smtp = NULL;
    plain.n_smtp = 0;
    size_t blen;
    uint8_t *body = pack_body(PROTO_RESULTS, &plain, &blen);
    assert_null(memmem(body, blen, "\xa4smtp", 5));
    f = seal_raw(1, PROTO_RESULTS, "coord", body, blen, agent_sk, &len);
    assert_int_equal(open_frame(f, len, &m, NULL), PROTO_OK);
    assert_int_equal(m.body.results.n_smtp, 0);
    assert_null(m.body.results.smtp);
    assert_int_equal(m.body.results.n_obs, 3);
    proto_msg_clear(&m);
    free(f);
    free(body);
}

/* How one field of an SMTP entry is packed instead of its valid value. */
typedef enum smtp_bad {
    BAD_OMIT,   /* left out */
    BAD_REPEAT, /* written twice */
    BAD_STR,    /* a str of str_len bytes of str */
    BAD_UINT,   /* an unsigned integer u */
    BAD_INT,    /* a negative integer i */
    BAD_NIL,    /* nil */
    BAD_DOUBLE, /* 1.5 */
    BAD_BIN,    /* bin 8 of 3 bytes */
} smtp_bad;

/* A fault in the last SMTP entry of a RESULTS body; key NULL: none. */
typedef struct smtp_fault {
    const char *key; /* the field changed */
    smtp_bad how;    /* how */
    const char *str; /* BAD_STR: the bytes */
    size_t str_len;  /* BAD_STR: how many */
    uint64_t u;      /* BAD_UINT */
    int64_t i;       /* BAD_INT */
} smtp_fault;

static void pack_s(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

/* The valid value of one SMTP field. */
static void pack_smtp_value(msgpack_packer *pk, const char *key)
{
    if (strcmp(key, "t_ms") == 0)
        msgpack_pack_int64(pk, 1790000000400);
    else if (strcmp(key, "host") == 0)
        pack_s(pk, "mx1.example.com.");
    else if (strcmp(key, "addr") == 0)
        pack_s(pk, "192.0.2.25");
    else if (strcmp(key, "port") == 0)
        msgpack_pack_uint16(pk, 25);
    else if (strcmp(key, "status") == 0)
        msgpack_pack_uint8(pk, PROTO_SMTP_OK);
    else if (strcmp(key, "code") == 0)
        msgpack_pack_uint16(pk, 220);
    else if (strcmp(key, "greeting") == 0)
        pack_s(pk, "mx1.example.com ESMTP");
    else if (strcmp(key, "greet_name") == 0)
        pack_s(pk, "mx1.example.com");
    else if (strcmp(key, "flags") == 0)
        msgpack_pack_uint8(pk, 0x3f);
    else if (strcmp(key, "size_max") == 0)
        msgpack_pack_uint64(pk, 52428800);
    else if (strcmp(key, "tls_version") == 0)
        pack_s(pk, "TLSv1.3");
    else if (strcmp(key, "cert_names") == 0)
        pack_s(pk, "mx1.example.com");
    else if (strcmp(key, "cert_not_after") == 0)
        msgpack_pack_int64(pk, 1800000000000);
    else if (strcmp(key, "detail") == 0)
        pack_s(pk, "fine");
    else if (strcmp(key, "connect_us") == 0)
        msgpack_pack_uint32(pk, 1000);
    else
        msgpack_pack_uint32(pk, 5000); /* total_us */
}

static const char *const smtp_keys[] = {"t_ms",           "host",     "addr",        "port",
                                        "status",         "code",     "greeting",    "greet_name",
                                        "flags",          "size_max", "tls_version", "cert_names",
                                        "cert_not_after", "detail",   "connect_us",  "total_us"};
#define N_SMTP_KEYS (sizeof smtp_keys / sizeof smtp_keys[0])

static void pack_smtp_entry(msgpack_packer *pk, const smtp_fault *f)
{
    size_t n = N_SMTP_KEYS;
    if (f && f->key && f->how == BAD_OMIT)
        n--;
    if (f && f->key && f->how == BAD_REPEAT)
        n++;
    msgpack_pack_map(pk, n);
    for (size_t k = 0; k < N_SMTP_KEYS; k++) {
        const char *key = smtp_keys[k];
        bool hit = f && f->key && strcmp(f->key, key) == 0;
        if (hit && f->how == BAD_OMIT)
            continue;
        pack_s(pk, key);
        if (!hit || f->how == BAD_REPEAT) {
            pack_smtp_value(pk, key);
            if (!hit)
                continue;
            pack_s(pk, key);
            pack_smtp_value(pk, key);
            continue;
        }
        switch (f->how) {
        case BAD_STR:
            msgpack_pack_str_with_body(pk, f->str, f->str_len);
            break;
        case BAD_UINT:
            msgpack_pack_uint64(pk, f->u);
            break;
        case BAD_INT:
            msgpack_pack_int64(pk, f->i);
            break;
        case BAD_NIL:
            msgpack_pack_nil(pk);
            break;
        case BAD_DOUBLE:
            msgpack_pack_double(pk, 1.5);
            break;
        case BAD_BIN:
            msgpack_pack_bin_with_body(pk, "abc", 3);
            break;
        default:
            break;
        }
    }
}

/* {"obs": [], "findings": [], "smtp": [n entries, the fault in the last]} */
static uint8_t *smtp_body(const smtp_fault *f, size_t n, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    pack_s(&pk, "obs");
    msgpack_pack_array(&pk, 0);
    pack_s(&pk, "findings");
    msgpack_pack_array(&pk, 0);
    pack_s(&pk, "smtp");
    msgpack_pack_array(&pk, n);
    for (size_t i = 0; i < n; i++)
        pack_smtp_entry(&pk, i + 1 == n ? f : NULL);
    *len = sb.size;
    return (uint8_t *)msgpack_sbuffer_release(&sb);
}

/* Open a RESULTS frame around an SMTP body; the status, err filled. */
static proto_status open_smtp(const smtp_fault *f, size_t n, proto_error *err)
{
    size_t blen, len;
    uint8_t *body = smtp_body(f, n, &blen);
    uint8_t *frame = seal_raw(1, PROTO_RESULTS, "coord", body, blen, agent_sk, &len);
    proto_msg m;
    proto_status s = open_frame(frame, len, &m, err);
    if (s == PROTO_OK) {
        assert_int_equal(m.body.results.n_smtp, n);
        proto_msg_clear(&m);
    } else {
        assert_null(m.arena);
    }
    free(frame);
    free(body);
    return s;
}

/* The fault must give status, naming field (when not NULL). */
static void smtp_refused(const smtp_fault *f, size_t n, proto_status status, const char *field)
{
    proto_error err;
    memset(&err, 0, sizeof err);
    proto_status s = open_smtp(f, n, &err);
    if (s != status)
        fail_msg("smtp %s (how %d): status %s, want %s", f->key ? f->key : "-", (int)f->how,
                 proto_status_name(s), proto_status_name(status));
    if (field && strcmp(err.field, field) != 0)
        fail_msg("smtp %s (how %d): field %s, want %s", f->key ? f->key : "-", (int)f->how,
                 err.field, field);
}

static void test_smtp_rejected(void **state)
{
    (void)state;
    static char big[2048];
    memset(big, 'a', sizeof big);
    proto_error err;
    smtp_fault ok = {0};
    assert_int_equal(open_smtp(&ok, 1, &err), PROTO_OK);

    /* status: 0..PROTO_SMTP_STATUS_MAX, else range */
    smtp_fault f = {.key = "status", .how = BAD_UINT, .u = PROTO_SMTP_STATUS_MAX};
    assert_int_equal(open_smtp(&f, 1, &err), PROTO_OK);
    f.u = PROTO_SMTP_STATUS_MAX + 1;
    smtp_refused(&f, 1, PROTO_E_RANGE, "smtp[0].status");
    f.u = 255;
    smtp_refused(&f, 2, PROTO_E_RANGE, "smtp[1].status");
    f.u = 256;
    smtp_refused(&f, 1, PROTO_E_RANGE, "smtp[0].status");
    f = (smtp_fault){.key = "code", .how = BAD_UINT, .u = PROTO_SMTP_CODE_MAX};
    assert_int_equal(open_smtp(&f, 1, &err), PROTO_OK);
    f.u = PROTO_SMTP_CODE_MAX + 1;
    smtp_refused(&f, 1, PROTO_E_RANGE, "smtp[0].code");
    f = (smtp_fault){.key = "port", .how = BAD_UINT, .u = 65536};
    smtp_refused(&f, 1, PROTO_E_RANGE, "smtp[0].port");

    /* every string at its limit is taken, one byte more is refused */
    static const struct {
        const char *key;
        size_t max;
    } caps[] = {{"host", PROTO_NAME_MAX},
                {"addr", PROTO_SMTP_ADDR_MAX},
                {"greeting", PROTO_SMTP_GREETING_MAX},
                {"greet_name", PROTO_SMTP_GREETING_MAX},
                {"tls_version", PROTO_SMTP_TLS_MAX},
                {"cert_names", PROTO_SMTP_CERT_MAX},
                {"detail", PROTO_SMTP_DETAIL_MAX}};
    assert_int_equal(PROTO_SMTP_GREETING_MAX, 512);
    assert_int_equal(PROTO_SMTP_CERT_MAX, 1024);
    assert_int_equal(PROTO_SMTP_DETAIL_MAX, 256);
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        char field[64];
        snprintf(field, sizeof field, "smtp[0].%s", caps[i].key);
        f = (smtp_fault){.key = caps[i].key, .how = BAD_STR, .str = big, .str_len = caps[i].max};
        assert_int_equal(open_smtp(&f, 1, &err), PROTO_OK);
        f.str_len++;
        smtp_refused(&f, 1, PROTO_E_STRING, field);
        /* not UTF-8, a NUL byte, a surrogate */
        f = (smtp_fault){.key = caps[i].key, .how = BAD_STR, .str = "ab\xc3\x28", .str_len = 4};
        smtp_refused(&f, 1, PROTO_E_STRING, field);
        f = (smtp_fault){.key = caps[i].key, .how = BAD_STR, .str = "a\0b", .str_len = 3};
        smtp_refused(&f, 1, PROTO_E_STRING, field);
        f = (smtp_fault){.key = caps[i].key, .how = BAD_STR, .str = "\xed\xa0\x80", .str_len = 3};
        smtp_refused(&f, 1, PROTO_E_STRING, field);
        /* a bin is not a str */
        f = (smtp_fault){.key = caps[i].key, .how = BAD_BIN};
        smtp_refused(&f, 1, PROTO_E_TYPE, field);
    }

    /* wrong types */
    static const struct {
        const char *key;
        smtp_bad how;
    } types[] = {{"t_ms", BAD_DOUBLE},   {"t_ms", BAD_NIL},       {"host", BAD_UINT},
                 {"addr", BAD_NIL},      {"port", BAD_INT},       {"port", BAD_STR},
                 {"status", BAD_INT},    {"status", BAD_STR},     {"code", BAD_DOUBLE},
                 {"greeting", BAD_UINT}, {"flags", BAD_NIL},      {"flags", BAD_INT},
                 {"size_max", BAD_INT},  {"cert_names", BAD_NIL}, {"cert_not_after", BAD_STR},
                 {"detail", BAD_UINT},   {"connect_us", BAD_INT}, {"total_us", BAD_DOUBLE}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char field[64];
        snprintf(field, sizeof field, "smtp[0].%s", types[i].key);
        f = (smtp_fault){
            .key = types[i].key, .how = types[i].how, .str = "25", .str_len = 2, .u = 1, .i = -1};
        smtp_refused(&f, 1, PROTO_E_TYPE, field);
    }
    /* u32 and i64 ranges */
    f = (smtp_fault){.key = "connect_us", .how = BAD_UINT, .u = UINT64_C(1) << 32};
    smtp_refused(&f, 1, PROTO_E_RANGE, "smtp[0].connect_us");
    f = (smtp_fault){.key = "t_ms", .how = BAD_UINT, .u = UINT64_MAX};
    smtp_refused(&f, 1, PROTO_E_RANGE, "smtp[0].t_ms");
    f = (smtp_fault){.key = "cert_not_after", .how = BAD_INT, .i = -1};
    assert_int_equal(open_smtp(&f, 1, &err), PROTO_OK); /* i64: a time before 1970 is a value */

    /* required fields; optional ones may be left out */
    static const char *const required[] = {"t_ms", "host",  "addr",       "port",    "status",
                                           "code", "flags", "connect_us", "total_us"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        char field[64];
        snprintf(field, sizeof field, "smtp[0].%s", required[i]);
        f = (smtp_fault){.key = required[i], .how = BAD_OMIT};
        smtp_refused(&f, 1, PROTO_E_MISSING, field);
    }
    static const char *const optional[] = {"greeting",    "greet_name", "size_max",
                                           "tls_version", "cert_names", "cert_not_after",
                                           "detail"};
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        f = (smtp_fault){.key = optional[i], .how = BAD_OMIT};
        assert_int_equal(open_smtp(&f, 1, &err), PROTO_OK);
    }
    f = (smtp_fault){.key = "addr", .how = BAD_REPEAT};
    smtp_refused(&f, 1, PROTO_E_DUPLICATE, "smtp[0].addr");

    /* at most PROTO_SMTP_MAX entries */
    assert_int_equal(PROTO_SMTP_MAX, 256);
    assert_int_equal(open_smtp(&ok, PROTO_SMTP_MAX, &err), PROTO_OK);
    smtp_refused(&ok, PROTO_SMTP_MAX + 1, PROTO_E_RANGE, "smtp");
}

/* smtp that is not an array of maps, or nil. */
static void test_smtp_not_an_array(void **state)
{
    (void)state;
    for (int mode = 0; mode < 4; mode++) {
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 3);
        pack_s(&pk, "obs");
        msgpack_pack_array(&pk, 0);
        pack_s(&pk, "findings");
        msgpack_pack_array(&pk, 0);
        pack_s(&pk, "smtp");
        if (mode == 0) {
            pack_smtp_entry(&pk, NULL); /* one map, not an array of them */
        } else if (mode == 1) {
            msgpack_pack_nil(&pk);
        } else if (mode == 2) {
            msgpack_pack_array(&pk, 1);
            msgpack_pack_uint8(&pk, 1);
        } else {
            msgpack_pack_array(&pk, 1);
            msgpack_pack_array(&pk, 0);
        }
        size_t len;
        uint8_t *f = seal_raw(1, PROTO_RESULTS, "coord", sb.data, sb.size, agent_sk, &len);
        proto_msg m;
        proto_error err;
        assert_int_equal(open_frame(f, len, &m, &err), PROTO_E_TYPE);
        assert_string_equal(err.field, mode < 2 ? "smtp" : "smtp[0]");
        free(f);
        msgpack_sbuffer_destroy(&sb);
    }
}

/* The sender refuses what a receiver would refuse. */
static void test_smtp_seal_refused(void **state)
{
    (void)state;
    proto_header h = hdr_of(PROTO_RESULTS, "fra-1", "coord");
    uint8_t *f;
    size_t len;
    proto_error err;
    char greeting[PROTO_SMTP_GREETING_MAX + 2];
    memset(greeting, 'g', sizeof greeting - 1);
    greeting[sizeof greeting - 1] = '\0';
    proto_smtp one = sample_smtp[0];
    one.greeting = greeting;
    proto_results r = {.smtp = &one, .n_smtp = 1};
    assert_int_equal(proto_seal(&h, &r, agent_sk, &f, &len, &err), PROTO_E_INVALID);
    assert_string_equal(err.field, "smtp[0].greeting");
    one = sample_smtp[0];
    one.status = PROTO_SMTP_STATUS_MAX + 1;
    assert_int_equal(proto_seal(&h, &r, agent_sk, &f, &len, &err), PROTO_E_INVALID);
    assert_string_equal(err.field, "smtp[0].status");
    one = sample_smtp[0];
    one.detail = "bad \xff";
    assert_int_equal(proto_seal(&h, &r, agent_sk, &f, &len, &err), PROTO_E_INVALID);
    proto_smtp *many = calloc(PROTO_SMTP_MAX + 1, sizeof *many);
    for (size_t i = 0; i <= PROTO_SMTP_MAX; i++)
        many[i] = sample_smtp[1];
    r = (proto_results){.smtp = many, .n_smtp = PROTO_SMTP_MAX + 1};
    assert_int_equal(proto_seal(&h, &r, agent_sk, &f, &len, &err), PROTO_E_INVALID);
    assert_string_equal(err.field, "smtp");
    r.n_smtp = PROTO_SMTP_MAX;
    assert_int_equal(proto_seal(&h, &r, agent_sk, &f, &len, &err), PROTO_OK);
    free(f);
    free(many);
}

static void test_smtp_json(void **state)
{
    (void)state;
    json_t *j = pjson_smtp(&sample_smtp[0]);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_string_equal(
        text, "{\"host\":\"mail.example.com.\",\"addr\":\"192.0.2.25\",\"port\":25,"
              "\"status\":\"ok\",\"code\":220,\"greeting\":\"mail.example.com ESMTP Exim 4.96 "
              "\xc3\xa9\",\"greet_name\":\"mail.example.com\",\"flags\":[\"ehlo\",\"starttls\","
              "\"size\",\"tls\",\"name_match\",\"chain_ok\"],\"size_max\":52428800,"
              "\"tls_version\":\"TLSv1.3\",\"cert_names\":[\"mail.example.com\","
              "\"mx.example.com\"],\"cert_not_after\":\"2027-01-15T08:00:00.000Z\","
              "\"cert_not_after_ms\":1800000000000,\"connect_ms\":1.5,\"total_ms\":48.0,"
              "\"time\":\"2026-09-21T14:13:20.400Z\"}");
    free(text);
    json_decref(j);
    j = pjson_smtp(&sample_smtp[1]);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "timeout");
    assert_null(json_object_get(j, "code"));
    assert_null(json_object_get(j, "size_max"));
    assert_int_equal(json_array_size(json_object_get(j, "flags")), 0);
    json_decref(j);
    static const char *const names[] = {"ok",     "refused",      "timeout",  "unreachable",
                                        "closed", "greeting_bad", "protocol", "tls_failed",
                                        "error",  "skipped"};
    for (unsigned s = 0; s <= PROTO_SMTP_STATUS_MAX; s++)
        assert_string_equal(pjson_smtp_status(s), names[s]);
    assert_string_equal(pjson_smtp_status(PROTO_SMTP_STATUS_MAX + 1), "unknown");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    crypto_sign_keypair(agent_pk, agent_sk);
    crypto_sign_keypair(coord_pk, coord_sk);
    crypto_sign_keypair(other_pk, other_sk);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_round_trip_fields),
        cmocka_unit_test(test_sealing_is_deterministic),
        cmocka_unit_test(test_every_flipped_bit_rejected),
        cmocka_unit_test(test_wrong_key_and_unknown_sender),
        cmocka_unit_test(test_pinned_keys_rotation),
        cmocka_unit_test(test_wrong_recipient),
        cmocka_unit_test(test_skew_window),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_huge_count_walker),
        cmocka_unit_test(test_huge_count_in_frame),
        cmocka_unit_test(test_huge_count_under_memory_limit),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_too_many_items),
        cmocka_unit_test(test_bad_byte),
        cmocka_unit_test(test_field_errors),
        cmocka_unit_test(test_unknown_field_ignored),
        cmocka_unit_test(test_version_range),
        cmocka_unit_test(test_unknown_type_and_format),
        cmocka_unit_test(test_bad_ids),
        cmocka_unit_test(test_seal_body_same_as_seal),
        cmocka_unit_test(test_smtp_round_trip),
        cmocka_unit_test(test_smtp_rejected),
        cmocka_unit_test(test_smtp_not_an_array),
        cmocka_unit_test(test_smtp_seal_refused),
        cmocka_unit_test(test_smtp_json),
    };
    return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}

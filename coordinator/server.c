/*
 * coordinator/server.c - the running coordinator: the agents' ROUTER, the
 * control socket, ingest into the store, on-demand checks.
 *
 * One loop (zmq_poll) serves both sockets. Frames from agents are opened
 * with proto_open() against the allow-list; every refusal is counted per
 * peer and logged once per peer and kind. RESULTS batches received in one
 * pass of the loop are committed together (synchronous=FULL) and only then
 * acked. Times are kept on the coordinator's clock; each agent's clock
 * offset is measured from heartbeats (docs/protocol.md §8.4).
 *
 * With curve = yes the agents' socket is a CURVE server failing closed, and
 * a ZAP handler (coordinator/zap.h) polled in the same loop lets in only the
 * CURVE keys of allow-listed agents; a frame must then also be signed by
 * the agent whose CURVE key carried it.
 */
#include "coordinator/coord.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/keyfile.h"
#include "common/log.h"
#include "common/seqstate.h"
#include "coordinator/allowlist.h"
#include "coordinator/coord_conf.h"
#include "coordinator/store.h"
#include "coordinator/smtpcmp.h"
#include "coordinator/views.h"
#include "coordinator/tracks.h"
#include "common/dnsname.h"
#include "coordinator/zap.h"
#include "proto/envelope.h"
#include "proto/json.h"

#define RID_MAX       256  /* bytes of a ZeroMQ routing id */
#define STRANGERS_MAX 1024 /* unknown senders remembered for log-once */
#define PENDING_MAX   256  /* batches committed together at most */
#define FANOUT_MAX    64   /* on-demand checks at once */
#define DOWN_AFTER    3    /* heartbeats missed before an agent is down */

/* An allowed agent and what the coordinator knows of its link. */
typedef struct peer {
    char id[CONF_ID_MAX];                 /* agent id */
    char region[CONF_ID_MAX];             /* region from the allow-list */
    unsigned char pk[KEYFILE_PK_BYTES];   /* its public key */
    uint8_t rid[RID_MAX];                 /* routing id of its connection */
    size_t rid_len;                       /* 0 until it has said anything */
    bool up;                              /* heard from within DOWN_AFTER heartbeats */
    int64_t last_seen_mono;               /* monotonic time of its last good message */
    int64_t last_seen_wall;               /* the same, wall clock */
    int64_t offset_ms;                    /* its clock minus ours */
    bool has_offset;                      /* offset_ms measured */
    int64_t hb_ts;                        /* ts_ms of our last heartbeat to it (T1) */
    char software[65];                    /* from HELLO */
    uint64_t spool_backlog;               /* from HELLO and heartbeats */
    uint64_t refused[PROTO_STATUS_COUNT]; /* its frames refused, by reason */
    uint64_t batches;                     /* batches received this run */
} peer;

/* An unknown sender, remembered so its refusals are logged once. */
typedef struct stranger {
    char key[CONF_ID_MAX + 8]; /* sender id, or "rid:<hex>" when unreadable */
    uint64_t refused;          /* its frames refused */
} stranger;

/* A RESULTS batch waiting for the next commit. */
typedef struct pending {
    peer *from;    /* the agent */
    proto_msg msg; /* the decoded batch (owns its arena) */
} pending;

/* An on-demand check waiting for agents' answers. */
typedef struct fanout {
    uint64_t id;                  /* check id sent in CHECK */
    uint8_t client[RID_MAX];      /* routing id of the vantagectl connection */
    size_t client_len;            /* its length */
    int64_t deadline_mono;        /* when to answer with what has come */
    json_t *reply;                /* the reply being built */
    char (*waiting)[CONF_ID_MAX]; /* agents not answered yet */
    size_t n_waiting;             /* count */
    bool smtp;                    /* SMTP probes asked for */
    arena_t *arena;               /* copies of the probes received; NULL until one comes */
    smtpcmp_probe *probes;        /* the probes received (malloced) */
    size_t n_probes;              /* count */
    size_t cap_probes;            /* room */
} fanout;

typedef struct server {
    const char *conf_path;              /* config file, for SIGHUP */
    coord_conf_t *conf;                 /* configuration in force */
    coord_allowlist_t *allow;           /* allow-list in force */
    unsigned char sk[KEYFILE_SK_BYTES]; /* signing key */
    store_t *store;                     /* persistence */
    seqstate_t *seq;                    /* our own sequence numbers */
    void *zctx;                         /* ZeroMQ context */
    void *router;                       /* agents */
    void *control;                      /* vantagectl */
    bool curve;                         /* CURVE on the agents' socket (fixed at start) */
    zap_t *zap;                         /* its ZAP handler; NULL without CURVE */
    peer *peers;                        /* one per allowed agent */
    size_t n_peers;                     /* count */
    stranger strangers[STRANGERS_MAX];  /* unknown senders */
    size_t n_strangers;                 /* count */
    uint64_t strangers_dropped;         /* refusals of senders beyond the table */
    pending pend[PENDING_MAX];          /* batches to commit */
    size_t n_pend;                      /* count */
    fanout fan[FANOUT_MAX];             /* on-demand checks */
    size_t n_fan;                       /* count */
    uint64_t next_check_id;             /* for CHECK */
    uint64_t generation;                /* plan generation */
    tracks_t *tracks;                   /* changes being followed */
    int64_t next_purge_mono;            /* retention */
    int64_t next_tick_mono;             /* up/down, fan-out deadlines */
} server;

static volatile sig_atomic_t server_stop, server_reload;

static void server_signal(int sig)
{
    if (sig == SIGHUP)
        server_reload = 1;
    else
        server_stop = 1;
}

/* ---- peers ------------------------------------------------------------------------ */

static peer *peer_find(server *s, const char *id)
{
    for (size_t i = 0; i < s->n_peers; i++) {
        if (strcmp(s->peers[i].id, id) == 0)
            return &s->peers[i];
    }
    return NULL;
}

/* Rebuild the peer table from the allow-list, keeping the state of agents still in it. */
static int peers_sync(server *s)
{
    size_t n = coord_allowlist_count(s->allow);
    peer *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const coord_allowlist_entry *e = coord_allowlist_at(s->allow, i);
        peer *old = peer_find(s, e->id);
        if (old)
            v[i] = *old;
        snprintf(v[i].id, sizeof v[i].id, "%s", e->id);
        snprintf(v[i].region, sizeof v[i].region, "%s", e->region);
        memcpy(v[i].pk, e->pk, sizeof v[i].pk);
    }
    for (size_t i = 0; i < s->n_peers; i++) {
        if (!coord_allowlist_find(s->allow, s->peers[i].id))
            log_warn("agent %s is no longer allowed: cut off", s->peers[i].id);
    }
    free(s->peers);
    s->peers = v;
    s->n_peers = n;
    return 0;
}

static const unsigned char *server_keys(void *ctx, const char *sender, size_t idx)
{
    server *s = ctx;
    peer *p = idx == 0 ? peer_find(s, sender) : NULL;
    return p ? p->pk : NULL;
}

/* Count a refusal; log it once per peer (or unknown sender) and kind. */
static void server_refused(server *s, const char *sender, const uint8_t *rid, size_t rid_len,
                           proto_status st, const proto_error *err)
{
    char buf[200];
    peer *p = sender[0] ? peer_find(s, sender) : NULL;
    if (p) {
        if (p->refused[st]++ == 0)
            log_warn("agent %s: refused a message: %s (counted from now on, not logged)", p->id,
                     proto_error_format(err, buf, sizeof buf));
        return;
    }
    char key[sizeof s->strangers[0].key];
    if (sender[0]) {
        snprintf(key, sizeof key, "%s", sender);
    } else {
        snprintf(key, sizeof key, "rid:");
        for (size_t i = 0; i < rid_len && i < 8; i++)
            snprintf(key + 4 + 2 * i, sizeof key - 4 - 2 * i, "%02x", rid[i]);
    }
    for (size_t i = 0; i < s->n_strangers; i++) {
        if (strcmp(s->strangers[i].key, key) == 0) {
            s->strangers[i].refused++;
            return;
        }
    }
    if (s->n_strangers == STRANGERS_MAX) {
        s->strangers_dropped++;
        return;
    }
    stranger *x = &s->strangers[s->n_strangers++];
    snprintf(x->key, sizeof x->key, "%s", key);
    x->refused = 1;
    log_warn("unknown or unreadable sender %s: refused: %s (counted from now on, not logged)", key,
             proto_error_format(err, buf, sizeof buf));
}

/* ---- sending ----------------------------------------------------------------------- */

static int server_send(server *s, peer *p, uint32_t type, const void *body)
{
    if (!p->rid_len)
        return -1;
    char err[256];
    proto_header h = {.version = PROTO_VERSION, .type = type, .ts_ms = clock_wall_ms()};
    if (seqstate_next(s->seq, &h.seq, err, sizeof err) != 0) {
        log_err("no sequence number: %s", err);
        return -1;
    }
    snprintf(h.sender, sizeof h.sender, "%s", s->conf->id);
    snprintf(h.recipient, sizeof h.recipient, "%s", p->id);
    uint8_t *frame;
    size_t len;
    proto_error perr;
    if (proto_seal(&h, body, s->sk, &frame, &len, &perr) != PROTO_OK) {
        char buf[160];
        log_err("cannot seal %s for %s: %s", proto_type_name(type), p->id,
                proto_error_format(&perr, buf, sizeof buf));
        return -1;
    }
    int rc = zmq_send(s->router, p->rid, p->rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = zmq_send(s->router, frame, len, ZMQ_DONTWAIT);
    free(frame);
    if (rc < 0)
        log_debug("%s to %s not sent: %s", proto_type_name(type), p->id, zmq_strerror(errno));
    if (type == PROTO_HEARTBEAT && rc >= 0)
        p->hb_ts = h.ts_ms;
    return rc < 0 ? -1 : 0;
}

/* The monitors of the config that apply to agent id, as a PLAN. */
static void server_send_plan(server *s, peer *p)
{
    proto_monitor *mons = calloc(s->conf->n_monitors ? s->conf->n_monitors : 1, sizeof *mons);
    if (!mons)
        return;
    size_t n = 0;
    for (size_t i = 0; i < s->conf->n_monitors; i++) {
        const coord_conf_monitor_t *m = &s->conf->monitors[i];
        bool mine = m->all_agents;
        for (size_t k = 0; !mine && k < m->n_agents; k++)
            mine = strcmp(m->agents[k], p->id) == 0;
        if (!mine)
            continue;
        mons[n++] = (proto_monitor){.name = m->name,
                                    .qname = m->qname,
                                    .types = (const char **)m->types,
                                    .n_types = m->n_types,
                                    .profile = m->profile == COORD_CONF_PROFILE_NONE
                                                   ? NULL
                                                   : coord_conf_profile_name(m->profile),
                                    .resolvers = (const char **)m->resolvers,
                                    .n_resolvers = m->n_resolvers,
                                    .interval_s = (uint32_t)(m->interval_ms / 1000),
                                    .geo = m->geo,
                                    .smtp = m->smtp};
    }
    proto_plan plan = {.generation = s->generation, .monitors = mons, .n_monitors = n};
    server_send(s, p, PROTO_PLAN, &plan);
    free(mons);
}

static void server_agent_save(server *s, peer *p, bool hello)
{
    char err[512];
    store_agent a = {.id = p->id,
                     .region = p->region,
                     .software = p->software[0] ? p->software : NULL,
                     .last_seen_ms = p->last_seen_wall,
                     .last_hello_ms = hello ? p->last_seen_wall : 0,
                     .clock_offset_ms = p->offset_ms,
                     .has_clock_offset = p->has_offset,
                     .spool_backlog = p->spool_backlog,
                     .has_spool_backlog = true,
                     .up = p->up};
    if (store_agent_upsert(s->store, &a, err, sizeof err) != 0)
        log_err("%s", err);
}

/* ---- handling agents' messages ------------------------------------------------------ */

static void handle_hello(server *s, peer *p, const proto_hello *h)
{
    char err[512];
    if (strcmp(h->agent_id, p->id) != 0) {
        log_warn("agent %s: HELLO names agent_id %s: ignored", p->id, h->agent_id);
        return;
    }
    if (strcmp(h->region, p->region) != 0)
        log_warn("agent %s says it is in region %s; the allow-list says %s (kept)", p->id,
                 h->region, p->region);
    snprintf(p->software, sizeof p->software, "%s", h->software);
    p->spool_backlog = h->spool_backlog;
    if (h->spool_dropped)
        log_warn("agent %s dropped %llu batches from its full spool", p->id,
                 (unsigned long long)h->spool_dropped);
    uint64_t highest = 0, batches = 0;
    bool has = false;
    if (store_agent_highest_seq(s->store, p->id, &highest, &has, &batches, err, sizeof err) != 0)
        log_err("%s", err);
    proto_welcome w = {.agent_id = p->id,
                       .highest_seq = highest,
                       .has_highest_seq = has,
                       .stored_batches = batches,
                       .heartbeat_ms = (uint32_t)s->conf->heartbeat_ms,
                       .proto_version = PROTO_VERSION};
    log_info("agent %s (%s, %s) said HELLO: %llu batches spooled; welcome (highest stored %llu)",
             p->id, p->region, p->software, (unsigned long long)h->spool_backlog,
             (unsigned long long)highest);
    server_agent_save(s, p, true);
    server_send(s, p, PROTO_WELCOME, &w);
    server_send_plan(s, p);
}

static void handle_heartbeat(server *s, peer *p, const proto_msg *m, int64_t rx_ms)
{
    const proto_heartbeat *hb = &m->body.heartbeat;
    p->spool_backlog = hb->spool_backlog;
    if (hb->has_echo_ts && hb->has_echo_rx && hb->echo_ts_ms == p->hb_ts && p->hb_ts) {
        /* T1 our heartbeat's ts, T2 its arrival at the agent, T3 this one's ts, T4 now */
        int64_t t1 = hb->echo_ts_ms, t2 = hb->echo_rx_ms, t3 = m->hdr.ts_ms, t4 = rx_ms;
        p->offset_ms = ((t2 - t1) + (t3 - t4)) / 2;
        p->has_offset = true;
    } else if (!p->has_offset) {
        /* one way, transit time included: until the first echo comes back */
        p->offset_ms = m->hdr.ts_ms - rx_ms;
        p->has_offset = true;
    }
    proto_heartbeat reply = {
        .echo_ts_ms = m->hdr.ts_ms, .has_echo_ts = true, .echo_rx_ms = rx_ms, .has_echo_rx = true};
    server_send(s, p, PROTO_HEARTBEAT, &reply);
}

static void fanout_take(server *s, peer *p, const proto_results *r);

static void handle_results(server *s, peer *p, proto_msg *m)
{
    if (m->body.results.track_id) {
        for (size_t i = 0; i < m->body.results.n_obs; i++)
            tracks_take(s->tracks, m->body.results.track_id, p->id, p->region,
                        p->has_offset ? p->offset_ms : 0, &m->body.results.obs[i], clock_wall_ms());
    }
    fanout_take(s, p, &m->body.results);
    if (s->n_pend == PENDING_MAX) {
        proto_msg_clear(m); /* not acked: the agent sends it again */
        return;
    }
    s->pend[s->n_pend].from = p;
    s->pend[s->n_pend].msg = *m;
    s->n_pend++;
    memset(m, 0, sizeof *m);
}

/* Commit the pending batches in one transaction, then ack them all. */
static void server_commit(server *s)
{
    if (s->n_pend == 0)
        return;
    store_batch b[PENDING_MAX];
    store_put_result res[PENDING_MAX];
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < s->n_pend; i++)
        b[i] = (store_batch){.agent_id = s->pend[i].from->id,
                             .seq = s->pend[i].msg.hdr.seq,
                             .received_ms = now,
                             .results = &s->pend[i].msg.body.results};
    char err[512];
    if (store_put_batches(s->store, b, s->n_pend, res, err, sizeof err) != 0) {
        log_err("%s (%zu batches not acked; the agents will send them again)", err, s->n_pend);
    } else {
        for (size_t i = 0; i < s->n_pend; i++) {
            proto_ack ack = {.seq = s->pend[i].msg.hdr.seq, .duplicate = res[i].duplicate};
            s->pend[i].from->batches += !res[i].duplicate;
            server_send(s, s->pend[i].from, PROTO_ACK, &ack);
        }
    }
    for (size_t i = 0; i < s->n_pend; i++)
        proto_msg_clear(&s->pend[i].msg);
    s->n_pend = 0;
}

/* user_id: the agent whose CURVE key the connection was accepted with (NULL without CURVE). */
static void server_agent_frame(server *s, const uint8_t *rid, size_t rid_len, const uint8_t *frame,
                               size_t len, const char *user_id)
{
    int64_t rx = clock_wall_ms();
    proto_open_opts o = {.version_min = PROTO_VERSION_MIN,
                         .version_max = PROTO_VERSION_MAX,
                         .self_id = s->conf->id,
                         .keys = server_keys,
                         .keys_ctx = s,
                         .now_ms = rx,
                         .skew_ms = (int64_t)s->conf->skew_ms};
    proto_msg m = {0};
    proto_error err;
    proto_status st = proto_open(frame, len, &o, &m, &err);
    if (st != PROTO_OK) {
        server_refused(s, m.hdr.sender, rid, rid_len, st, &err);
        return;
    }
    peer *p = peer_find(s, m.hdr.sender);
    if (!p) { /* removed from the allow-list between lookup and here: cannot happen */
        proto_msg_clear(&m);
        return;
    }
    if (s->curve && (!user_id || strcmp(user_id, p->id) != 0)) {
        /* signed by one agent, carried by another's CURVE connection */
        err = (proto_error){.status = PROTO_E_SENDER};
        snprintf(err.field, sizeof err.field, "sender (sent over the CURVE link of %.50s)",
                 user_id && user_id[0] ? user_id : "no agent");
        server_refused(s, p->id, rid, rid_len, PROTO_E_SENDER, &err);
        proto_msg_clear(&m);
        return;
    }
    if (rid_len <= RID_MAX) {
        memcpy(p->rid, rid, rid_len);
        p->rid_len = rid_len;
    }
    bool was_up = p->up;
    p->up = true;
    p->last_seen_mono = clock_mono_ms();
    p->last_seen_wall = rx;
    switch (m.hdr.type) {
    case PROTO_HELLO:
        handle_hello(s, p, &m.body.hello);
        break;
    case PROTO_HEARTBEAT:
        handle_heartbeat(s, p, &m, rx);
        if (!was_up)
            server_agent_save(s, p, false);
        break;
    case PROTO_RESULTS:
        handle_results(s, p, &m);
        break;
    default:
        err = (proto_error){.status = PROTO_E_MSGTYPE};
        snprintf(err.field, sizeof err.field, "type %s from an agent",
                 proto_type_name(m.hdr.type) ? proto_type_name(m.hdr.type) : "?");
        server_refused(s, p->id, rid, rid_len, PROTO_E_MSGTYPE, &err);
        break;
    }
    proto_msg_clear(&m);
}

/* Read everything the agents' socket holds now (bounded), then commit. */
static void server_drain_agents(server *s)
{
    for (int n = 0; n < 4 * PENDING_MAX && s->n_pend < PENDING_MAX; n++) {
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        if (zmq_msg_recv(&rid, s->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&rid);
            break;
        }
        if (!zmq_msg_more(&rid)) { /* a ROUTER always gives the routing id first */
            zmq_msg_close(&rid);
            continue;
        }
        zmq_msg_init(&body);
        zmq_msg_recv(&body, s->router, 0);
        bool extra = zmq_msg_more(&body);
        if (extra) { /* agents send one frame: drop the rest of this message */
            zmq_msg_t junk;
            do {
                zmq_msg_init(&junk);
                zmq_msg_recv(&junk, s->router, 0);
                extra = zmq_msg_more(&junk);
                zmq_msg_close(&junk);
            } while (extra);
            proto_error e = {.status = PROTO_E_FORMAT};
            snprintf(e.field, sizeof e.field, "ZeroMQ message of more than one frame");
            server_refused(s, "", zmq_msg_data(&rid), zmq_msg_size(&rid), PROTO_E_FORMAT, &e);
        } else {
            server_agent_frame(s, zmq_msg_data(&rid), zmq_msg_size(&rid), zmq_msg_data(&body),
                               zmq_msg_size(&body),
                               s->curve ? zmq_msg_gets(&body, "User-Id") : NULL);
        }
        zmq_msg_close(&rid);
        zmq_msg_close(&body);
    }
    server_commit(s);
}

/* ---- on-demand checks ------------------------------------------------------------------ */

static void control_reply(server *s, const uint8_t *client, size_t client_len, json_t *reply)
{
    char *text = json_dumps(reply, JSON_COMPACT);
    if (!text)
        return;
    zmq_send(s->control, client, client_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(s->control, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(s->control, text, strlen(text), ZMQ_DONTWAIT);
    free(text);
}

/* Free what a fan-out owns. */
static void fanout_free(fanout *f)
{
    json_decref(f->reply);
    free(f->waiting);
    free(f->probes);
    arena_destroy(&f->arena);
}

static void fanout_finish(server *s, size_t i)
{
    fanout *f = &s->fan[i];
    json_t *missing = json_array();
    for (size_t k = 0; k < f->n_waiting; k++)
        json_array_append_new(missing, json_string(f->waiting[k]));
    json_object_set_new(f->reply, "not_answered", missing);
    if (f->smtp || f->n_probes) {
        char err[256];
        json_t *rep =
            views_smtp_report(f->probes, f->n_probes, 0, clock_wall_ms(), err, sizeof err);
        if (!rep)
            log_err("check %llu: %s", (unsigned long long)f->id, err);
        json_object_set_new(f->reply, "smtp", rep ? rep : json_null());
    }
    control_reply(s, f->client, f->client_len, f->reply);
    fanout_free(f);
    s->fan[i] = s->fan[--s->n_fan];
}

/* Keep a copy of an SMTP probe of a check for its report; false when out of memory. */
static bool fanout_keep_probe(fanout *f, const peer *p, const proto_smtp *in)
{
    if (f->n_probes == SMTPCMP_MAX_PROBES)
        return true; /* the report covers the first ones */
    if (!f->arena && !(f->arena = arena_new()))
        return false;
    if (f->n_probes == f->cap_probes) {
        size_t cap = f->cap_probes ? f->cap_probes * 2 : 64;
        smtpcmp_probe *v = realloc(f->probes, cap * sizeof *v);
        if (!v)
            return false;
        f->probes = v;
        f->cap_probes = cap;
    }
    proto_smtp *c = arena_alloc(f->arena, sizeof *c);
    if (!c)
        return false;
    *c = *in;
    const char **strs[] = {&c->host,        &c->addr,       &c->greeting, &c->greet_name,
                           &c->tls_version, &c->cert_names, &c->detail};
    for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++) {
        if (*strs[k] && !(*strs[k] = arena_strdup(f->arena, *strs[k])))
            return false;
    }
    smtpcmp_probe *x = &f->probes[f->n_probes];
    *x = (smtpcmp_probe){.agent = arena_strdup(f->arena, p->id),
                         .region = p->region[0] ? arena_strdup(f->arena, p->region) : NULL,
                         .probe = c,
                         .clock_offset_ms = p->has_offset ? p->offset_ms : 0};
    if (!x->agent || (p->region[0] && !x->region))
        return false;
    f->n_probes++;
    return true;
}

static void fanout_take(server *s, peer *p, const proto_results *r)
{
    for (size_t i = 0; i < s->n_fan; i++) {
        fanout *f = &s->fan[i];
        if (f->id != r->check_id)
            continue;
        json_t *agents = json_object_get(f->reply, "agents");
        json_t *a = json_object_get(agents, p->id);
        if (!a) {
            a = json_object();
            json_object_set_new(a, "region", json_string(p->region));
            json_object_set_new(a, "observations", json_array());
            json_object_set_new(a, "findings", json_array());
            json_object_set_new(a, "smtp", json_array());
            json_object_set_new(agents, p->id, a);
        }
        for (size_t k = 0; k < r->n_obs; k++)
            json_array_append_new(json_object_get(a, "observations"), pjson_obs(&r->obs[k]));
        for (size_t k = 0; k < r->n_findings; k++)
            json_array_append_new(json_object_get(a, "findings"), pjson_finding(&r->findings[k]));
        for (size_t k = 0; k < r->n_smtp; k++) {
            json_array_append_new(json_object_get(a, "smtp"), pjson_smtp(&r->smtp[k]));
            if (!fanout_keep_probe(f, p, &r->smtp[k]))
                log_err("check %llu: out of memory for the SMTP report", (unsigned long long)f->id);
        }
        /* the findings travel with an agent's last batch: it has answered */
        if (r->n_findings > 0 || r->n_obs < 100) {
            for (size_t k = 0; k < f->n_waiting; k++) {
                if (strcmp(f->waiting[k], p->id) == 0) {
                    memcpy(f->waiting[k], f->waiting[--f->n_waiting], CONF_ID_MAX);
                    break;
                }
            }
        }
        if (f->n_waiting == 0)
            fanout_finish(s, i);
        return;
    }
}

static void fanout_tick(server *s)
{
    int64_t now = clock_mono_ms();
    for (size_t i = 0; i < s->n_fan;) {
        if (now >= s->fan[i].deadline_mono)
            fanout_finish(s, i);
        else
            i++;
    }
}

static const char *json_str(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Strings of a JSON array into v (at most max); -1 when it is not an array of strings. */
static int json_strs(const json_t *a, const char **v, size_t max, size_t *n)
{
    *n = 0;
    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > max)
        return -1;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *x = json_array_get(a, i);
        if (!json_is_string(x))
            return -1;
        v[(*n)++] = json_string_value(x);
    }
    return 0;
}

static json_t *control_error(const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    json_t *r = json_object();
    json_object_set_new(r, "ok", json_false());
    json_object_set_new(r, "error", json_string(msg));
    return r;
}

static json_t *control_check(server *s, const json_t *req, const uint8_t *client, size_t client_len,
                             bool *deferred)
{
    const char *name = json_str(req, "name");
    const char *types[64], *resolvers[64], *agents[256];
    size_t n_types, n_res, n_agents;
    if (!name)
        return control_error("check: %s", "name missing");
    if (json_strs(json_object_get(req, "types"), types, 64, &n_types) != 0 ||
        json_strs(json_object_get(req, "resolvers"), resolvers, 64, &n_res) != 0 ||
        json_strs(json_object_get(req, "agents"), agents, 256, &n_agents) != 0)
        return control_error("check: %s", "types, resolvers and agents are lists of strings");
    if (s->n_fan == FANOUT_MAX)
        return control_error("check: %s", "too many checks in progress");
    json_int_t timeout = json_integer_value(json_object_get(req, "timeout_ms"));
    if (timeout <= 0 || timeout > 600000)
        timeout = 15000;
    const char *profile = json_str(req, "profile");
    const json_t *smtp = json_object_get(req, "smtp");
    if (smtp && !json_is_boolean(smtp))
        return control_error("check: %s", "smtp is true or false");
    if (json_is_true(smtp) && (!profile || strcmp(profile, "mail") != 0))
        return control_error("check: %s", "smtp needs the mail profile (its MX hosts are probed)");
    fanout *f = &s->fan[s->n_fan];
    memset(f, 0, sizeof *f);
    f->id = ++s->next_check_id;
    f->smtp = json_is_true(smtp);
    f->waiting = calloc(s->n_peers ? s->n_peers : 1, CONF_ID_MAX);
    f->reply = json_object();
    json_t *asked = json_array(), *down = json_array();
    json_object_set_new(f->reply, "ok", json_true());
    json_object_set_new(f->reply, "name", json_string(name));
    json_object_set_new(f->reply, "agents", json_object());
    proto_check c = {.check_id = f->id,
                     .qname = name,
                     .types = types,
                     .n_types = n_types,
                     .profile = profile,
                     .resolvers = resolvers,
                     .n_resolvers = n_res,
                     .deadline_ms = (uint32_t)(timeout > 2000 ? timeout - 1000 : timeout),
                     .smtp = f->smtp};
    for (size_t i = 0; i < s->n_peers && f->waiting; i++) {
        peer *p = &s->peers[i];
        bool chosen = n_agents == 0;
        for (size_t k = 0; !chosen && k < n_agents; k++)
            chosen = strcmp(agents[k], p->id) == 0 || strcmp(agents[k], p->region) == 0;
        if (!chosen)
            continue;
        if (!p->up || server_send(s, p, PROTO_CHECK, &c) != 0) {
            json_array_append_new(down, json_string(p->id));
            continue;
        }
        json_array_append_new(asked, json_string(p->id));
        snprintf(f->waiting[f->n_waiting++], CONF_ID_MAX, "%s", p->id);
    }
    json_object_set_new(f->reply, "asked", asked);
    json_object_set_new(f->reply, "down", down);
    memcpy(f->client, client, client_len);
    f->client_len = client_len;
    f->deadline_mono = clock_mono_ms() + timeout;
    s->n_fan++;
    *deferred = true;
    if (f->n_waiting == 0)
        fanout_finish(s, s->n_fan - 1);
    return NULL;
}

static int control_agent_json(void *ctx, const store_agent *a)
{
    json_t *stored = ctx;
    json_t *o = json_object();
    json_object_set_new(o, "software", a->software ? json_string(a->software) : json_null());
    json_object_set_new(o, "last_seen_ms", json_integer(a->last_seen_ms));
    json_object_set_new(o, "stored_batches", json_integer((json_int_t)a->stored_batches));
    if (a->has_highest_seq)
        json_object_set_new(o, "highest_seq", json_integer((json_int_t)a->highest_seq));
    json_object_set_new(stored, a->id, o);
    return 0;
}

static json_t *control_agents(server *s)
{
    char err[512], tbuf[40];
    json_t *stored = json_object();
    if (store_agents_list(s->store, control_agent_json, stored, err, sizeof err) != 0)
        log_err("%s", err);
    json_t *r = json_object(), *list = json_array();
    json_object_set_new(r, "ok", json_true());
    for (size_t i = 0; i < s->n_peers; i++) {
        const peer *p = &s->peers[i];
        json_t *a = json_object(), *st = json_object_get(stored, p->id);
        json_object_set_new(a, "id", json_string(p->id));
        json_object_set_new(a, "region", json_string(p->region));
        json_object_set_new(a, "state", json_string(p->up ? "up" : "down"));
        int64_t seen = p->last_seen_wall;
        if (!seen && st)
            seen = json_integer_value(json_object_get(st, "last_seen_ms"));
        if (seen) {
            json_object_set_new(a, "last_seen", json_string(pjson_time(seen, tbuf, sizeof tbuf)));
            json_object_set_new(a, "last_seen_ms", json_integer(seen));
        } else {
            json_object_set_new(a, "last_seen", json_null());
        }
        json_object_set_new(a, "clock_offset_ms",
                            p->has_offset ? json_integer(p->offset_ms) : json_null());
        const char *sw = p->software[0] ? p->software : st ? json_str(st, "software") : NULL;
        json_object_set_new(a, "version", sw ? json_string(sw) : json_null());
        json_object_set_new(a, "spool_backlog", json_integer((json_int_t)p->spool_backlog));
        json_object_set_new(
            a, "stored_batches",
            json_integer(st ? json_integer_value(json_object_get(st, "stored_batches")) : 0));
        uint64_t refused = 0;
        for (int k = 0; k < PROTO_STATUS_COUNT; k++)
            refused += p->refused[k];
        json_object_set_new(a, "refused", json_integer((json_int_t)refused));
        json_array_append_new(list, a);
    }
    json_object_set_new(r, "agents", list);
    uint64_t strangers = s->strangers_dropped;
    for (size_t i = 0; i < s->n_strangers; i++)
        strangers += s->strangers[i].refused;
    json_object_set_new(r, "refused_unknown", json_integer((json_int_t)strangers));
    json_decref(stored);
    return r;
}

/* Tell the agents asked by a track to start it (duration > 0) or to stop it (0). */
static size_t track_send(server *s, const track_t *t, const json_t *req, uint32_t duration_s)
{
    json_t *j = track_json(t, clock_wall_ms());
    const char *resolvers[64];
    size_t n_res = 0;
    json_strs(json_object_get(req, "resolvers"), resolvers, 64, &n_res);
    json_t *expect = json_object_get(j, "expect"), *serial = json_object_get(j, "expect_serial");
    proto_track pt = {.track_id = track_id(t),
                      .qname = json_string_value(json_object_get(j, "name")),
                      .qtype = json_string_value(json_object_get(j, "type")),
                      .resolvers = resolvers,
                      .n_resolvers = n_res,
                      .expect = json_is_string(expect) ? json_string_value(expect) : NULL,
                      .expect_serial = (uint32_t)json_integer_value(serial),
                      .has_expect_serial = json_is_integer(serial),
                      .interval_s =
                          (uint32_t)json_integer_value(json_object_get(req, "interval_s")),
                      .duration_s = duration_s};
    if (pt.interval_s == 0)
        pt.interval_s = 30;
    size_t sent = 0;
    for (size_t i = 0; i < s->n_peers; i++) {
        peer *p = &s->peers[i];
        const json_t *agents = json_object_get(req, "agents");
        bool chosen = json_array_size(agents) == 0;
        size_t k;
        json_t *x;
        json_array_foreach(agents, k, x)
        {
            const char *v = json_string_value(x);
            chosen = chosen || (v && (strcmp(v, p->id) == 0 || strcmp(v, p->region) == 0));
        }
        if (chosen && p->up && server_send(s, p, PROTO_TRACK, &pt) == 0)
            sent++;
    }
    json_decref(j);
    return sent;
}

/* track (start one), track-status ID, tracks (list). */
static json_t *control_track(server *s, const char *cmd, json_t *req)
{
    int64_t now = clock_wall_ms();
    if (strcmp(cmd, "tracks") == 0) {
        json_t *r = json_object();
        json_object_set_new(r, "ok", json_true());
        json_object_set_new(r, "tracks", tracks_list_json(s->tracks, now));
        return r;
    }
    if (strcmp(cmd, "track-status") == 0) {
        track_t *t =
            tracks_find(s->tracks, (uint64_t)json_integer_value(json_object_get(req, "id")));
        if (!t)
            return control_error("no track %s", "with that id");
        json_t *r = track_json(t, now);
        json_object_set_new(r, "ok", json_true());
        return r;
    }
    const char *name = json_str(req, "name"), *type = json_str(req, "type");
    const char *expect = json_str(req, "expect");
    json_t *serial = json_object_get(req, "expect_serial");
    char canon[DNSNAME_TEXT_MAX];
    ldns_rr_type t;
    if (!name || !type || dnsname_normalize(name, canon, sizeof canon) != DNSNAME_OK ||
        !dnsname_type_from_str(type, &t))
        return control_error("track: %s", "wants a name and a record type");
    if (!expect && !json_is_integer(serial))
        return control_error("track: %s", "wants an expected answer or serial");
    const char *want[256], *res[64];
    size_t n_want = 0, n_res = 0;
    if (json_strs(json_object_get(req, "agents"), want, 256, &n_want) != 0 ||
        json_strs(json_object_get(req, "resolvers"), res, 64, &n_res) != 0)
        return control_error("track: %s", "agents and resolvers are lists of strings");
    json_int_t deadline = json_integer_value(json_object_get(req, "deadline_s"));
    if (deadline <= 0 || deadline > 7 * 86400)
        deadline = 3600;
    const char *agents[256];
    size_t n_agents = 0;
    for (size_t i = 0; i < s->n_peers && n_agents < 256; i++) {
        bool chosen = n_want == 0;
        for (size_t k = 0; k < n_want; k++)
            chosen = chosen || strcmp(want[k], s->peers[i].id) == 0 ||
                     strcmp(want[k], s->peers[i].region) == 0;
        if (chosen && s->peers[i].up)
            agents[n_agents++] = s->peers[i].id;
    }
    if (n_agents == 0)
        return control_error("track: %s", "no agent is up to follow it");
    char tname[32], ierr[256];
    pjson_type((unsigned)t, tname, sizeof tname); /* "MX" also for "mx" or "TYPE15" */
    uint64_t id;
    if (seqstate_next(s->seq, &id, ierr, sizeof ierr) != 0)
        return control_error("track: %s", ierr);
    tracks_spec spec = {.id = id,
                        .qname = canon,
                        .qtype = tname,
                        .expect = expect,
                        .expect_serial = (uint32_t)json_integer_value(serial),
                        .has_expect_serial = json_is_integer(serial),
                        .interval_s =
                            (uint32_t)json_integer_value(json_object_get(req, "interval_s")),
                        .deadline_ms = now + deadline * 1000,
                        .agents = agents,
                        .n_agents = n_agents};
    track_t *tr = tracks_add(s->tracks, &spec, now);
    if (!tr)
        return control_error("track: %s", "too many tracks running");
    size_t sent = track_send(s, tr, req, (uint32_t)deadline);
    log_info("track %llu: %s %s followed by %zu agents", (unsigned long long)track_id(tr), canon,
             tname, sent);
    json_t *r = track_json(tr, now);
    json_object_set_new(r, "ok", json_true());
    return r;
}

static int64_t server_offset(void *ctx, const char *agent, bool *has)
{
    peer *p = peer_find(ctx, agent);
    *has = p && p->has_offset;
    return *has ? p->offset_ms : 0;
}

/* status [NAME], diff NAME TYPE, monitors: comparisons of the stored observations. */
static json_t *control_view(server *s, const char *cmd, const json_t *req)
{
    char err[512];
    views_ctx v = {.conf = s->conf,
                   .store = s->store,
                   .offset = server_offset,
                   .offset_ctx = s,
                   .now_ms = clock_wall_ms()};
    json_t *r = NULL;
    if (strcmp(cmd, "status") == 0) {
        r = views_status(&v, json_str(req, "name"), err, sizeof err);
    } else if (strcmp(cmd, "monitors") == 0) {
        r = views_monitors(&v, err, sizeof err);
    } else if (strcmp(cmd, "history") == 0) {
        const char *name = json_str(req, "name"), *type = json_str(req, "type");
        ldns_rr_type t;
        if (!name || !type || !dnsname_type_from_str(type, &t))
            return control_error("history: %s", "wants a name and a record type");
        r = views_history(&v, name, (uint16_t)t,
                          (int64_t)json_integer_value(json_object_get(req, "since_ms")), err,
                          sizeof err);
    } else {
        const char *name = json_str(req, "name"), *type = json_str(req, "type");
        ldns_rr_type t;
        if (!name || !type || !dnsname_type_from_str(type, &t))
            return control_error("diff: %s", "wants a name and a record type");
        bool geo = false;
        const coord_conf_monitor_t *m = coord_conf_find_monitor(s->conf, name);
        for (size_t i = 0; !m && i < s->conf->n_monitors; i++) {
            char a[DNSNAME_TEXT_MAX], b[DNSNAME_TEXT_MAX];
            if (dnsname_normalize(s->conf->monitors[i].qname, a, sizeof a) == DNSNAME_OK &&
                dnsname_normalize(name, b, sizeof b) == DNSNAME_OK && strcmp(a, b) == 0)
                m = &s->conf->monitors[i];
        }
        geo = m && m->geo;
        r = views_compare(&v, name, (uint16_t)t, geo, err, sizeof err);
    }
    if (!r)
        return control_error("%s", err);
    json_object_set_new(r, "ok", json_true());
    return r;
}

static void server_control(server *s)
{
    for (int n = 0; n < 64; n++) {
        zmq_msg_t part[3];
        int got = 0;
        bool more = true;
        while (more && got < 3) {
            zmq_msg_init(&part[got]);
            if (zmq_msg_recv(&part[got], s->control, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&part[got]);
                break;
            }
            more = zmq_msg_more(&part[got]);
            got++;
        }
        if (got == 0)
            return;
        while (more) { /* too many frames: drain */
            zmq_msg_t junk;
            zmq_msg_init(&junk);
            zmq_msg_recv(&junk, s->control, 0);
            more = zmq_msg_more(&junk);
            zmq_msg_close(&junk);
            got = 0;
        }
        if (got == 3 && zmq_msg_size(&part[1]) == 0 && zmq_msg_size(&part[0]) <= RID_MAX) {
            json_error_t jerr;
            json_t *req = json_loadb(zmq_msg_data(&part[2]), zmq_msg_size(&part[2]), 0, &jerr);
            const char *cmd = req ? json_str(req, "cmd") : NULL;
            json_t *reply = NULL;
            bool deferred = false;
            if (!cmd)
                reply = control_error("bad request: %s", req ? "no cmd" : jerr.text);
            else if (strcmp(cmd, "agents") == 0)
                reply = control_agents(s);
            else if (strcmp(cmd, "track") == 0 || strcmp(cmd, "track-status") == 0 ||
                     strcmp(cmd, "tracks") == 0)
                reply = control_track(s, cmd, req);
            else if (strcmp(cmd, "status") == 0 || strcmp(cmd, "diff") == 0 ||
                     strcmp(cmd, "monitors") == 0 || strcmp(cmd, "history") == 0)
                reply = control_view(s, cmd, req);
            else if (strcmp(cmd, "check") == 0)
                reply = control_check(s, req, zmq_msg_data(&part[0]), zmq_msg_size(&part[0]),
                                      &deferred);
            else
                reply = control_error("unknown command '%s'", cmd);
            if (reply)
                control_reply(s, zmq_msg_data(&part[0]), zmq_msg_size(&part[0]), reply);
            json_decref(reply);
            json_decref(req);
        }
        for (int i = 0; i < got; i++)
            zmq_msg_close(&part[i]);
    }
}

/* ---- timers ------------------------------------------------------------------------ */

static void server_tick(server *s)
{
    int64_t now = clock_mono_ms();
    int64_t down_after = (int64_t)s->conf->heartbeat_ms * DOWN_AFTER;
    for (size_t i = 0; i < s->n_peers; i++) {
        peer *p = &s->peers[i];
        if (p->up && now - p->last_seen_mono > down_after) {
            p->up = false;
            log_warn("agent %s is down: no message for %lld ms", p->id,
                     (long long)(now - p->last_seen_mono));
            server_agent_save(s, p, false);
        }
    }
    fanout_tick(s);
    uint64_t ended[16];
    size_t n_ended = tracks_tick(s->tracks, clock_wall_ms(), ended, 16);
    for (size_t i = 0; i < n_ended; i++) {
        track_t *t = tracks_find(s->tracks, ended[i]);
        json_t *j = track_json(t, clock_wall_ms());
        log_info("track %llu %s after %lld ms", (unsigned long long)ended[i],
                 json_string_value(json_object_get(j, "state")),
                 (long long)json_integer_value(json_object_get(j, "elapsed_ms")));
        json_t *stop = json_pack("{s:s,s:s}", "name", json_string_value(json_object_get(j, "name")),
                                 "type", json_string_value(json_object_get(j, "type")));
        track_send(s, t, stop, 0);
        json_decref(stop);
        json_decref(j);
    }
    if (now >= s->next_purge_mono) {
        char err[512];
        store_purged purged;
        int64_t cutoff = clock_wall_ms() - (int64_t)s->conf->retention_days * 86400000;
        if (store_purge(s->store, cutoff, &purged, err, sizeof err) != 0)
            log_err("%s", err);
        else if (purged.batches)
            log_info("retention: %llu old batches removed", (unsigned long long)purged.batches);
        s->next_purge_mono = now + 3600000;
    }
}

/* ---- set-up, reload, loop -------------------------------------------------------------- */

static int bind_control(server *s, char *err, size_t errlen)
{
    const char *ep = s->conf->control;
    if (strncmp(ep, "ipc://", 6) == 0) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", ep + 6);
        char *d = dirname(dir);
        if (mkdir(d, 0750) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "control %s: cannot create %s: %s", ep, d, strerror(errno));
            return -1;
        }
    }
    /* the control socket is protected by file permissions: owner (and group) only */
    mode_t old = umask(007);
    int rc = zmq_bind(s->control, ep);
    umask(old);
    if (rc != 0) {
        snprintf(err, errlen, "control %s: cannot bind: %s", ep, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * With CURVE, bind the ZAP handler before the agents' socket exists, so no
 * handshake ever finds it missing. Test hook: VANTAGE_TEST_NO_ZAP=1 in the
 * environment leaves the handler out, for tests/link/curve.sh to show that
 * the socket then refuses every client (fails closed); never set it
 * anywhere else.
 */
static int server_setup_zap(server *s, char *err, size_t errlen)
{
    s->curve = s->conf->curve;
    if (!s->curve)
        return 0;
    const char *no_zap = getenv("VANTAGE_TEST_NO_ZAP");
    if (no_zap && strcmp(no_zap, "1") == 0) {
        log_warn("test hook VANTAGE_TEST_NO_ZAP=1: no ZAP handler, every CURVE client is refused");
        return 0;
    }
    if (!(s->zap = zap_new(s->zctx, err, errlen)) ||
        zap_set_allowlist(s->zap, s->allow, err, errlen) != 0)
        return -1;
    return 0;
}

static int server_setup(server *s, const char *path)
{
    char err[1024];
    s->conf_path = path;
    if (sodium_init() < 0 || coord_conf_load(path, &s->conf, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-coord: %s\n", s->conf ? "libsodium failed" : err);
        return -1;
    }
    log_init("vantage-coord", s->conf->log_level, s->conf->syslog);
    unsigned char pk[KEYFILE_PK_BYTES];
    if (keyfile_load_secret(s->conf->key_path, s->sk, pk, err, sizeof err) != 0 ||
        coord_allowlist_load(s->conf->allowlist_path, &s->allow, err, sizeof err) != 0 ||
        store_open(s->conf->store_path, &s->store, err, sizeof err) != 0) {
        log_err("%s", err);
        return -1;
    }
    char state[4200];
    snprintf(state, sizeof state, "%s.state", s->conf->store_path);
    if (!(s->seq = seqstate_open(state, err, sizeof err)) ||
        seqstate_raise_above(s->seq, 0, err, sizeof err) != 0) {
        log_err("%s", err);
        return -1;
    }
    if (peers_sync(s) != 0) {
        log_err("out of memory");
        return -1;
    }
    s->zctx = zmq_ctx_new();
    if (s->zctx && server_setup_zap(s, err, sizeof err) != 0) {
        log_err("%s: [coordinator] %s", path, err);
        return -1;
    }
    s->router = s->zctx ? zmq_socket(s->zctx, ZMQ_ROUTER) : NULL;
    s->control = s->zctx ? zmq_socket(s->zctx, ZMQ_ROUTER) : NULL;
    if (!s->router || !s->control) {
        log_err("ZeroMQ: %s", zmq_strerror(errno));
        return -1;
    }
    int one = 1, linger = 1000, hb = 5000, hb_to = 15000, hwm = 100000;
    int64_t maxmsg = PROTO_FRAME_MAX + 1024;
    zmq_setsockopt(s->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(s->router, ZMQ_ROUTER_HANDOVER, &one, sizeof one);
    zmq_setsockopt(s->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s->router, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt(s->router, ZMQ_HEARTBEAT_TIMEOUT, &hb_to, sizeof hb_to);
    zmq_setsockopt(s->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(s->router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    int64_t ctl_max = 65536;
    zmq_setsockopt(s->control, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s->control, ZMQ_MAXMSGSIZE, &ctl_max, sizeof ctl_max);
    char curve_pub[ZAP_KEY_TEXT_MAX];
    if (s->curve) {
        if (zap_curve_server(s->router, s->sk, curve_pub, err, sizeof err) != 0) {
            log_err("%s: [coordinator] %s", path, err);
            return -1;
        }
        log_info("CURVE on: server key %s (from the signing key), %zu agent keys accepted%s",
                 curve_pub, s->n_peers, s->zap ? "" : "; NO ZAP HANDLER: every client is refused");
    }
    if (zmq_bind(s->router, s->conf->listen) != 0) {
        log_err("%s: [coordinator] listen: cannot bind %s: %s", path, s->conf->listen,
                zmq_strerror(errno));
        return -1;
    }
    if (bind_control(s, err, sizeof err) != 0) {
        log_err("%s: [coordinator] %s", path, err);
        return -1;
    }
    s->generation = 1;
    if (!(s->tracks = tracks_new())) {
        log_err("out of memory");
        return -1;
    }
    return 0;
}

static void server_do_reload(server *s)
{
    char err[1024];
    coord_conf_t *conf = NULL;
    coord_allowlist_t *allow = NULL;
    if (coord_conf_load(s->conf_path, &conf, err, sizeof err) != 0 ||
        coord_allowlist_load(conf->allowlist_path, &allow, err, sizeof err) != 0) {
        log_err("reload refused, the running configuration is kept: %s", err);
        coord_conf_destroy(&conf);
        return;
    }
    if (strcmp(conf->listen, s->conf->listen) != 0 ||
        strcmp(conf->control, s->conf->control) != 0 ||
        strcmp(conf->store_path, s->conf->store_path) != 0)
        log_warn("reload: listen, control and store changes take effect at the next start");
    if (conf->curve != s->curve)
        log_warn("reload: curve = %s takes effect at the next start", conf->curve ? "yes" : "no");
    if (s->zap && zap_set_allowlist(s->zap, allow, err, sizeof err) != 0) {
        log_err("reload refused, the running configuration is kept: %s", err);
        coord_allowlist_destroy(&allow);
        coord_conf_destroy(&conf);
        return;
    }
    coord_allowlist_t *old_allow = s->allow;
    coord_conf_t *old_conf = s->conf;
    s->allow = allow;
    s->conf = conf;
    if (peers_sync(s) != 0) {
        s->allow = old_allow;
        s->conf = old_conf;
        if (s->zap && zap_set_allowlist(s->zap, old_allow, err, sizeof err) != 0)
            log_err("reload: %s; CURVE keys of the new allow-list stay in force", err);
        coord_allowlist_destroy(&allow);
        coord_conf_destroy(&conf);
        log_err("reload: out of memory; the running configuration is kept");
        return;
    }
    /* pending batches and check waits may point at peers of the old table */
    for (size_t i = 0; i < s->n_pend; i++)
        proto_msg_clear(&s->pend[i].msg);
    s->n_pend = 0;
    coord_allowlist_destroy(&old_allow);
    coord_conf_destroy(&old_conf);
    log_set_level(s->conf->log_level);
    s->generation++;
    for (size_t i = 0; i < s->n_peers; i++) {
        if (s->peers[i].up)
            server_send_plan(s, &s->peers[i]);
    }
    log_info("configuration reloaded: %zu agents allowed, %zu monitors (plan generation %llu)",
             s->n_peers, s->conf->n_monitors, (unsigned long long)s->generation);
}

static void server_teardown(server *s)
{
    for (size_t i = 0; i < s->n_pend; i++)
        proto_msg_clear(&s->pend[i].msg);
    for (size_t i = 0; i < s->n_fan; i++)
        fanout_free(&s->fan[i]);
    if (s->router)
        zmq_close(s->router);
    if (s->control)
        zmq_close(s->control);
    zap_destroy(&s->zap);
    if (s->zctx)
        zmq_ctx_term(s->zctx);
    for (size_t i = 0; i < s->n_peers; i++)
        server_agent_save(s, &s->peers[i], false);
    tracks_destroy(&s->tracks);
    store_close(&s->store);
    seqstate_close(&s->seq);
    coord_allowlist_destroy(&s->allow);
    coord_conf_destroy(&s->conf);
    free(s->peers);
    sodium_memzero(s->sk, sizeof s->sk);
}

int coord_run(const char *path)
{
    static server s;
    memset(&s, 0, sizeof s);
    if (server_setup(&s, path) != 0) {
        server_teardown(&s);
        return 1;
    }
    struct sigaction sa = {.sa_handler = server_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    log_info("coordinator %s listening on %s, control %s, %zu agents allowed, %zu monitors",
             s.conf->id, s.conf->listen, s.conf->control, s.n_peers, s.conf->n_monitors);
    while (!server_stop) {
        if (server_reload) {
            server_reload = 0;
            server_do_reload(&s);
        }
        zmq_pollitem_t items[3] = {
            {.socket = s.router, .events = ZMQ_POLLIN},
            {.socket = s.control, .events = ZMQ_POLLIN},
            {.socket = s.zap ? zap_socket(s.zap) : NULL, .events = ZMQ_POLLIN}};
        if (zmq_poll(items, s.zap ? 3 : 2, 200) < 0 && errno != EINTR)
            break;
        if (s.zap && (items[2].revents & ZMQ_POLLIN))
            zap_handle(s.zap);
        if (items[0].revents & ZMQ_POLLIN)
            server_drain_agents(&s);
        if (items[1].revents & ZMQ_POLLIN)
            server_control(&s);
        if (clock_mono_ms() >= s.next_tick_mono) {
            server_tick(&s);
            s.next_tick_mono = clock_mono_ms() + 200;
        }
    }
    log_info("coordinator %s stopping", s.conf->id);
    server_teardown(&s);
    return 0;
}

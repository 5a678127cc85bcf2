/*
 * agent/daemon.c - vantage-agent as a daemon.
 *
 * With curve = yes the DEALER is a CURVE client whose keys are derived from
 * the agent's Ed25519 key, and the coordinator's from the first pinned key
 * (docs/protocol.md §1.1); the envelopes are signed as without it.
 */
#include "agent/daemon.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "agent/agent_conf.h"
#include "agent/check.h"
#include "agent/dnsq.h"
#include "agent/report.h"
#include "agent/smtp.h"
#include "agent/smtpcheck.h"
#include "agent/spool.h"
#include "agent/track.h"
#include "common/clock.h"
#include "common/dnsname.h"
#include "common/keyfile.h"
#include "common/log.h"
#include "common/seqstate.h"
#include "proto/envelope.h"

/* The state folder exists and is a folder, or its parent does (it is made at start). */
static int check_state_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: state_dir is not a folder", dir);
            return -1;
        }
        return 0;
    }
    if (errno != ENOENT) {
        snprintf(err, errlen, "%s: state_dir: %s", dir, strerror(errno));
        return -1;
    }
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent)
        *slash = '\0';
    else
        snprintf(parent, sizeof parent, "%s", slash ? "/" : ".");
    if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%.400s: state_dir does not exist and its parent %.400s is no folder",
                 dir, parent);
        return -1;
    }
    return 0;
}

int agent_daemon_check_config(const char *path)
{
    char err[1024];
    agent_conf_t *conf = NULL;
    int rc = 1;
    if (sodium_init() < 0) {
        fprintf(stderr, "vantage-agent: libsodium failed to initialise\n");
        return 1;
    }
    if (agent_conf_load(path, &conf, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-agent: %s\n", err);
        return 1;
    }
    unsigned char sk[KEYFILE_SK_BYTES], pk[KEYFILE_PK_BYTES];
    if (keyfile_load_secret(conf->key_path, sk, pk, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-agent: %s: [agent] key: %s\n", path, err);
        goto done;
    }
    sodium_memzero(sk, sizeof sk);
    if (conf->curve && !zmq_has("curve")) {
        fprintf(stderr, "vantage-agent: %s: [coordinator] curve: this libzmq has no CURVE\n", path);
        goto done;
    }
    if (check_state_dir(conf->state_dir, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-agent: %s: [agent] %s\n", path, err);
        goto done;
    }
    printf("%s: configuration OK (agent %s, region %s, coordinator %s)\n", path, conf->id,
           conf->region, conf->endpoint);
    rc = 0;
done:
    agent_conf_destroy(&conf);
    return rc;
}

/* ---- the running agent ---------------------------------------------------------- */

#define AGENTD_RESEND_MS  30000 /* unacked batches are sent again this often */
#define AGENTD_CHECKS_MAX 64    /* checks running at once */
#define AGENTD_POLL_MAX   768
#define AGENTD_SMTP_MS    120000 /* the longest a run waits for its SMTP probes */

/* One monitor of the current plan. */
typedef struct agentd_monitor {
    char name[PROTO_ID_MAX + 1]; /* its name */
    check_spec spec;             /* what to check (strings in the plan arena) */
    uint32_t interval_ms;        /* between two runs */
    int64_t next_ms;             /* monotonic time of the next run */
    bool running;                /* a run is in progress */
    bool smtp;                   /* probe the MX hosts after each run */
} agentd_monitor;

/* The SMTP probes of one run; on the heap, so callbacks outlive moves of
 * the runs array. */
typedef struct agentd_probes agentd_probes;
typedef struct agentd_slot {
    agentd_probes *owner; /* the run's probes */
    size_t i;             /* this probe's index */
} agentd_slot;
struct agentd_probes {
    arena_t *arena;                           /* the results' strings */
    proto_smtp res[SMTPCHECK_TARGETS_MAX];    /* one per MX address */
    agentd_slot slots[SMTPCHECK_TARGETS_MAX]; /* callback arguments */
    size_t n;                                 /* count */
    size_t pending;                           /* probes not ended yet */
    int64_t end_ms;                           /* monotonic: give up on the rest then */
    size_t resolver;                          /* the check's resolver the targets came from */
};

/* One check in progress. */
typedef struct agentd_run {
    check_t *check;        /* the check */
    uint64_t check_id;     /* the coordinator's CHECK id, 0 for a monitor */
    int monitor;           /* index in the plan, -1 for a CHECK */
    uint64_t generation;   /* plan generation it belongs to */
    bool smtp;             /* probe the MX hosts once the check is done */
    agentd_probes *probes; /* those probes, once started */
} agentd_run;

typedef struct agentd {
    agent_conf_t *conf;                     /* configuration */
    unsigned char sk[KEYFILE_SK_BYTES];     /* signing key */
    void *zctx;                             /* ZeroMQ context */
    void *sock;                             /* DEALER to the coordinator */
    void *mon;                              /* socket monitor (PAIR) */
    seqstate_t *seq;                        /* our sequence numbers */
    spool_t *spool;                         /* unacked batches */
    dnsq_t *engine;                         /* DNS queries */
    smtp_t *smtp;                           /* SMTP probes */
    char coord_id[PROTO_ID_MAX + 1];        /* the coordinator's id, from WELCOME */
    bool connected;                         /* the link is up */
    bool welcomed;                          /* WELCOME received on this connection */
    uint64_t coord_seq;                     /* highest sequence number seen from it */
    uint32_t heartbeat_ms;                  /* interval of our heartbeats */
    int64_t next_hb_ms;                     /* monotonic time of the next heartbeat */
    int64_t next_resend_ms;                 /* monotonic time of the next resend */
    int64_t echo_ts, echo_rx;               /* the coordinator's last heartbeat, for offsets */
    bool have_echo;                         /* echo_* are set */
    uint64_t plan_generation;               /* generation of the plan in force */
    arena_t *plan_arena;                    /* strings of the plan */
    agentd_monitor *monitors;               /* the plan's monitors for us */
    size_t n_monitors;                      /* count */
    agentd_run runs[AGENTD_CHECKS_MAX];     /* checks in progress */
    track_run_t *tracks[AGENTD_CHECKS_MAX]; /* tracks in progress */
    size_t n_tracks;                        /* count */
    size_t n_runs;                          /* count */
    uint64_t refused[PROTO_STATUS_COUNT];   /* frames refused, by reason */
    int64_t started_ms;                     /* wall clock at start */
    char hello_key[32];                     /* "coordinator" or the first refusal logged */
    bool handshake_logged;                  /* a failed handshake logged since the last success */
} agentd;

static volatile sig_atomic_t agentd_stop;

static volatile sig_atomic_t agentd_hup;

static void agentd_signal(int sig)
{
    if (sig == SIGHUP)
        agentd_hup = 1;
    else
        agentd_stop = 1;
}

static const unsigned char *agentd_keys(void *ctx, const char *sender, size_t idx)
{
    const agentd *a = ctx;
    (void)sender;
    return idx < a->conf->n_coord_pks ? a->conf->coord_pks[idx] : NULL;
}

/* Seal and send a message to the coordinator (seq: ours, not consumed unless given). */
static int agentd_send(agentd *a, uint32_t type, const void *body, uint64_t seq)
{
    proto_header h = {.version = PROTO_VERSION, .type = type, .seq = seq, .ts_ms = clock_wall_ms()};
    snprintf(h.sender, sizeof h.sender, "%s", a->conf->id);
    snprintf(h.recipient, sizeof h.recipient, "%s", a->coord_id);
    uint8_t *frame;
    size_t len;
    proto_error err;
    if (proto_seal(&h, body, a->sk, &frame, &len, &err) != PROTO_OK) {
        char buf[160];
        log_err("cannot seal %s: %s", proto_type_name(type),
                proto_error_format(&err, buf, sizeof buf));
        return -1;
    }
    int rc = zmq_send(a->sock, frame, len, ZMQ_DONTWAIT);
    free(frame);
    return rc < 0 ? -1 : 0;
}

static void agentd_hello(agentd *a)
{
    proto_resolver res[1] = {
        {.name = "local",
         .addr = strcmp(a->conf->resolver_local, "system") == 0 ? NULL : a->conf->resolver_local,
         .kind = "local"}};
    proto_hello h = {.agent_id = a->conf->id,
                     .region = a->conf->region,
                     .software = VANTAGE_VERSION,
                     .proto_min = PROTO_VERSION_MIN,
                     .proto_max = PROTO_VERSION_MAX,
                     .resolvers = res,
                     .n_resolvers = 1,
                     .next_seq = seqstate_peek_next(a->seq),
                     .spool_backlog = spool_count(a->spool),
                     .spool_dropped = spool_take_dropped(a->spool),
                     .started_ms = a->started_ms};
    if (agentd_send(a, PROTO_HELLO, &h, seqstate_peek_next(a->seq)) == 0)
        log_info("connected to %s: HELLO sent (%zu batches spooled)", a->conf->endpoint,
                 spool_count(a->spool));
}

static void agentd_heartbeat(agentd *a)
{
    proto_heartbeat hb = {.spool_backlog = spool_count(a->spool)};
    if (a->have_echo) {
        hb.echo_ts_ms = a->echo_ts;
        hb.has_echo_ts = true;
        hb.echo_rx_ms = a->echo_rx;
        hb.has_echo_rx = true;
    }
    agentd_send(a, PROTO_HEARTBEAT, &hb, seqstate_peek_next(a->seq));
}

/* Send one spooled batch in a fresh envelope with its own seq. */
static void agentd_send_spooled(agentd *a, uint64_t seq)
{
    uint8_t *body;
    size_t len;
    char err[512];
    if (spool_read(a->spool, seq, &body, &len, err, sizeof err) != SPOOL_OK) {
        log_warn("spooled batch %llu: %s", (unsigned long long)seq, err);
        return;
    }
    proto_header h = {
        .version = PROTO_VERSION, .type = PROTO_RESULTS, .seq = seq, .ts_ms = clock_wall_ms()};
    snprintf(h.sender, sizeof h.sender, "%s", a->conf->id);
    snprintf(h.recipient, sizeof h.recipient, "%s", a->coord_id);
    uint8_t *frame;
    size_t flen;
    proto_error perr;
    if (proto_seal_body(&h, body, len, a->sk, &frame, &flen, &perr) == PROTO_OK) {
        zmq_send(a->sock, frame, flen, ZMQ_DONTWAIT);
        free(frame);
    } else {
        char buf[160];
        log_err("spooled batch %llu cannot be sealed: %s", (unsigned long long)seq,
                proto_error_format(&perr, buf, sizeof buf));
    }
    free(body);
}

static void agentd_resend_all(agentd *a)
{
    for (size_t i = 0; i < spool_count(a->spool); i++)
        agentd_send_spooled(a, spool_seq_at(a->spool, i));
    a->next_resend_ms = clock_mono_ms() + AGENTD_RESEND_MS;
}

/* report sink: number, spool (durably), then send */
static int agentd_sink(void *ctx, const uint8_t *body, size_t len)
{
    agentd *a = ctx;
    char err[512];
    uint64_t seq, dropped_seq = 0;
    bool dropped = false;
    if (seqstate_next(a->seq, &seq, err, sizeof err) != 0) {
        log_err("no sequence number for a batch: %s", err);
        return -1;
    }
    if (spool_put(a->spool, seq, body, len, &dropped_seq, &dropped, err, sizeof err) != SPOOL_OK) {
        log_err("cannot spool batch %llu: %s", (unsigned long long)seq, err);
        return -1;
    }
    if (dropped)
        log_warn("spool full: batch %llu dropped", (unsigned long long)dropped_seq);
    log_debug("batch %llu spooled (%zu bytes)", (unsigned long long)seq, len);
    if (a->welcomed)
        agentd_send_spooled(a, seq);
    return 0;
}

static void agentd_check_done(void *arg, check_t *c)
{
    (void)arg;
    (void)c; /* collected by agentd_collect(), outside the engine's callback */
}

/* A probe of a run ended: keep its result. */
static void agentd_probe_done(void *arg, const proto_smtp *result)
{
    agentd_slot *slot = arg;
    agentd_probes *p = slot->owner;
    smtp_result_copy(&p->res[slot->i], result, p->arena); /* an error result on failure */
    p->pending--;
}

static void agentd_probes_free(agentd_probes **p_p)
{
    if (!*p_p)
        return;
    arena_destroy(&(*p_p)->arena);
    free(*p_p);
    *p_p = NULL;
}

/* Start the SMTP probes of a run whose check is done; false when there is
 * nothing to wait for (no MX address, or no memory: reported without). */
static bool agentd_probes_start(agentd *a, agentd_run *r)
{
    const check_t *c = r->check;
    size_t res = smtpcheck_resolver(c);
    smtpcheck_target t[SMTPCHECK_TARGETS_MAX];
    size_t n = smtpcheck_targets(c, res, t, SMTPCHECK_TARGETS_MAX);
    if (n == 0)
        return false;
    agentd_probes *p = calloc(1, sizeof *p);
    if (!p || !(p->arena = arena_new())) {
        free(p);
        log_warn("SMTP probes of %s skipped: out of memory", check_domain(c));
        return false;
    }
    p->n = p->pending = n;
    p->resolver = res;
    p->end_ms = clock_mono_ms() + AGENTD_SMTP_MS;
    r->probes = p;
    for (size_t i = 0; i < n; i++) {
        /* until its probe ends, a slot says it was not probed */
        const char *host = arena_strdup(p->arena, t[i].host);
        const char *addr = arena_strdup(p->arena, t[i].addr);
        p->res[i] = (proto_smtp){.t_ms = clock_wall_ms(),
                                 .host = host ? host : "",
                                 .addr = addr ? addr : "",
                                 .port = 25,
                                 .status = PROTO_SMTP_SKIPPED,
                                 .detail = "not probed: the run's time for SMTP ran out"};
        p->slots[i] = (agentd_slot){p, i};
        if (smtp_probe(a->smtp, t[i].host, t[i].addr, 25, agentd_probe_done, &p->slots[i]) != 0) {
            p->res[i] = (proto_smtp){.host = "", .addr = "", .status = PROTO_SMTP_ERROR};
            p->pending--;
        }
    }
    return p->pending > 0;
}

static void agentd_collect(agentd *a)
{
    for (size_t i = 0; i < a->n_runs;) {
        agentd_run *r = &a->runs[i];
        check_poll_deadline(r->check);
        if (!check_done(r->check)) {
            i++;
            continue;
        }
        if (r->smtp && a->smtp && !r->probes && agentd_probes_start(a, r)) {
            i++;
            continue;
        }
        if (r->probes && r->probes->pending > 0 && clock_mono_ms() < r->probes->end_ms) {
            i++;
            continue;
        }
        for (size_t k = 0; r->probes && r->probes->pending > 0 && k < r->probes->n; k++) {
            if (smtp_cancel(a->smtp, &r->probes->slots[k])) /* too slow: reported as not probed */
                r->probes->pending--;
        }
        const char *monitor = NULL;
        if (r->monitor >= 0 && r->generation == a->plan_generation &&
            (size_t)r->monitor < a->n_monitors) {
            monitor = a->monitors[r->monitor].name;
            a->monitors[r->monitor].running = false;
        }
        char err[512];
        findings_t sf;
        findings_init(&sf, r->probes ? r->probes->arena : NULL);
        report_extra extra = {.findings = &sf};
        if (r->probes) {
            extra.smtp = r->probes->res;
            extra.n_smtp = r->probes->n;
            smtpcheck_findings(&(smtpcheck_input){.domain = check_domain(r->check),
                                                  .results = r->probes->res,
                                                  .n = r->probes->n,
                                                  .check = r->check,
                                                  .resolver = r->probes->resolver,
                                                  .now_ms = clock_wall_ms(),
                                                  .expiring_days = a->conf->smtp_expiry_days},
                               &sf);
        }
        if (report_check(r->check, &extra, r->check_id, monitor, agentd_sink, a, err, sizeof err) !=
            0)
            log_err("%s", err);
        findings_free(&sf);
        agentd_probes_free(&r->probes);
        check_destroy(&r->check);
        a->runs[i] = a->runs[--a->n_runs];
    }
}

static void agentd_start(agentd *a, const check_spec *spec, uint64_t check_id, int monitor,
                         bool smtp)
{
    if (a->n_runs >= AGENTD_CHECKS_MAX) {
        log_warn("too many checks at once: %s skipped", spec->domain);
        return;
    }
    char err[512];
    check_t *c = check_new(a->engine, spec, agentd_check_done, a, err, sizeof err);
    if (!c) {
        log_warn("check of %s: %s", spec->domain, err);
        return;
    }
    a->runs[a->n_runs++] = (agentd_run){.check = c,
                                        .check_id = check_id,
                                        .monitor = monitor,
                                        .generation = a->plan_generation,
                                        .smtp = smtp && spec->mail};
    check_start(c);
}

/* Fill a check spec from names on the wire; false when a type is unknown. */
static bool agentd_spec(check_spec *spec, const char *qname, const char **types, size_t n_types,
                        const char *profile, const char **resolvers, size_t n_resolvers,
                        uint32_t deadline_ms)
{
    memset(spec, 0, sizeof *spec);
    spec->domain = qname;
    for (size_t i = 0; i < n_types && spec->n_types < CHECK_TYPES_MAX; i++) {
        ldns_rr_type t;
        if (!dnsname_type_from_str(types[i], &t) || t == 0)
            return false;
        spec->types[spec->n_types++] = (uint16_t)t;
    }
    spec->mail = profile && strcmp(profile, "mail") == 0;
    for (size_t i = 0; i < n_resolvers && spec->n_resolvers < CHECK_RESOLVERS_MAX; i++)
        spec->resolvers[spec->n_resolvers++] = resolvers[i];
    if (spec->n_types == 0 && !spec->mail)
        spec->types[spec->n_types++] = LDNS_RR_TYPE_A;
    spec->deadline_ms = deadline_ms;
    return true;
}

static void agentd_plan(agentd *a, const proto_plan *p)
{
    if (p->generation <= a->plan_generation && a->plan_arena) {
        log_debug("plan generation %llu ignored (have %llu)", (unsigned long long)p->generation,
                  (unsigned long long)a->plan_generation);
        return;
    }
    arena_t *arena = arena_new();
    agentd_monitor *mons = calloc(p->n_monitors ? p->n_monitors : 1, sizeof *mons);
    if (!arena || !mons) {
        arena_destroy(&arena);
        free(mons);
        log_err("out of memory for the plan");
        return;
    }
    size_t n = 0;
    int64_t now = clock_mono_ms();
    for (size_t i = 0; i < p->n_monitors; i++) {
        const proto_monitor *m = &p->monitors[i];
        agentd_monitor *am = &mons[n];
        const char **types = arena_calloc(arena, m->n_types ? m->n_types : 1, sizeof *types);
        const char **res = arena_calloc(arena, m->n_resolvers ? m->n_resolvers : 1, sizeof *res);
        for (size_t k = 0; types && k < m->n_types; k++)
            types[k] = arena_strdup(arena, m->types[k]);
        for (size_t k = 0; res && k < m->n_resolvers; k++)
            res[k] = arena_strdup(arena, m->resolvers[k]);
        const char *qname = arena_strdup(arena, m->qname);
        if (!types || !res || !qname ||
            !agentd_spec(&am->spec, qname, types, m->n_types, m->profile, res, m->n_resolvers,
                         10000)) {
            log_warn("plan: monitor %s refused (unknown record type or no memory)", m->name);
            continue;
        }
        snprintf(am->name, sizeof am->name, "%s", m->name);
        am->smtp = m->smtp && am->spec.mail;
        uint64_t every = m->interval_s ? (uint64_t)m->interval_s * 1000 : 300000;
        am->interval_ms = (uint32_t)(every < 1000 ? 1000 : every > 86400000 ? 86400000 : every);
        /* spread the first runs so monitors do not all start at once */
        am->next_ms = now + (int64_t)(randombytes_uniform(1000));
        n++;
    }
    for (size_t i = 0; i < a->n_runs; i++) {
        if (a->runs[i].monitor >= 0)
            a->runs[i].monitor = -2; /* of the old plan: reported without its monitor */
    }
    arena_destroy(&a->plan_arena);
    free(a->monitors);
    a->plan_arena = arena;
    a->monitors = mons;
    a->n_monitors = n;
    a->plan_generation = p->generation;
    log_info("plan generation %llu: %zu monitors", (unsigned long long)p->generation, n);
}

static void agentd_refused(agentd *a, proto_status s, const proto_error *err)
{
    if (a->refused[s]++ == 0) {
        char buf[200];
        log_warn("refused a message from the coordinator: %s (further ones of this kind are "
                 "counted, not logged)",
                 proto_error_format(err, buf, sizeof buf));
    }
}

static void agentd_track(agentd *a, const proto_track *t);

static void agentd_receive(agentd *a, const uint8_t *frame, size_t len)
{
    proto_open_opts o = {.version_min = PROTO_VERSION_MIN,
                         .version_max = PROTO_VERSION_MAX,
                         .self_id = a->conf->id,
                         .keys = agentd_keys,
                         .keys_ctx = a,
                         .now_ms = clock_wall_ms(),
                         .skew_ms = 300000};
    proto_msg m = {0};
    proto_error err;
    proto_status s = proto_open(frame, len, &o, &m, &err);
    if (s != PROTO_OK) {
        agentd_refused(a, s, &err);
        return;
    }
    /* the coordinator's numbers only grow: anything else is a replay */
    if (m.hdr.seq <= a->coord_seq) {
        err = (proto_error){.status = PROTO_E_RANGE};
        snprintf(err.field, sizeof err.field, "seq (replayed or old: %llu <= %llu)",
                 (unsigned long long)m.hdr.seq, (unsigned long long)a->coord_seq);
        agentd_refused(a, PROTO_E_RANGE, &err);
        proto_msg_clear(&m);
        return;
    }
    a->coord_seq = m.hdr.seq;
    char err2[512];
    switch (m.hdr.type) {
    case PROTO_WELCOME: {
        const proto_welcome *w = &m.body.welcome;
        snprintf(a->coord_id, sizeof a->coord_id, "%s", m.hdr.sender);
        if (seqstate_raise_above(a->seq, w->has_highest_seq ? w->highest_seq : 0, err2,
                                 sizeof err2) != 0)
            log_err("%s", err2);
        a->heartbeat_ms = w->heartbeat_ms >= 100 ? w->heartbeat_ms : 10000;
        a->welcomed = true;
        a->next_hb_ms = clock_mono_ms() + a->heartbeat_ms;
        log_info("welcomed by %s: it holds %llu batches of ours (highest %llu); resending %zu",
                 m.hdr.sender, (unsigned long long)w->stored_batches,
                 (unsigned long long)w->highest_seq, spool_count(a->spool));
        agentd_resend_all(a);
        break;
    }
    case PROTO_PLAN:
        agentd_plan(a, &m.body.plan);
        break;
    case PROTO_CHECK: {
        const proto_check *c = &m.body.check;
        check_spec spec;
        if (!agentd_spec(&spec, c->qname, c->types, c->n_types, c->profile, c->resolvers,
                         c->n_resolvers, c->deadline_ms ? c->deadline_ms : 10000)) {
            log_warn("CHECK %llu refused: unknown record type", (unsigned long long)c->check_id);
            break;
        }
        /* check_new() copies what the spec borrows from m */
        agentd_start(a, &spec, c->check_id ? c->check_id : 1, -1, c->smtp);
        break;
    }
    case PROTO_ACK:
        if (spool_ack(a->spool, m.body.ack.seq, err2, sizeof err2) == SPOOL_E_IO)
            log_warn("%s", err2);
        break;
    case PROTO_TRACK:
        agentd_track(a, &m.body.track);
        break;
    case PROTO_HEARTBEAT:
        a->echo_ts = m.hdr.ts_ms;
        a->echo_rx = clock_wall_ms();
        a->have_echo = true;
        break;
    default:
        log_debug("ignored a %s from the coordinator", proto_type_name(m.hdr.type));
        break;
    }
    proto_msg_clear(&m);
}

#define AGENTD_HANDSHAKE_FAILED                                                                    \
    (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |                  \
     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

/* A handshake failed (CURVE key refused, mechanisms differ...): say so once until one succeeds. */
static void agentd_handshake_failed(agentd *a, uint16_t event, uint32_t value)
{
    if (a->handshake_logged)
        return;
    a->handshake_logged = true;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        log_warn("the coordinator at %s refused this agent's CURVE key (ZAP status %u): is the "
                 "agent in its allow-list? (retrying; logged once)",
                 a->conf->endpoint, (unsigned)value);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        log_warn("handshake with %s failed (ZMTP protocol error 0x%x): is curve the same on both "
                 "sides? (retrying; logged once)",
                 a->conf->endpoint, (unsigned)value);
    else
        log_warn("handshake with %s failed: %s (retrying; logged once)", a->conf->endpoint,
                 zmq_strerror((int)value));
}

/* A track's answer: one RESULTS batch each, spooled and sent at once. */
static void agentd_track_sink(void *ctx, uint64_t track_id, const proto_obs *obs)
{
    agentd *a = ctx;
    proto_results r = {.track_id = track_id, .obs = (proto_obs *)obs, .n_obs = 1};
    uint8_t *body;
    size_t len;
    proto_error perr;
    if (proto_body_pack(PROTO_RESULTS, &r, &body, &len, &perr) != PROTO_OK) {
        char buf[160];
        log_err("track %llu: cannot encode an answer: %s", (unsigned long long)track_id,
                proto_error_format(&perr, buf, sizeof buf));
        return;
    }
    agentd_sink(a, body, len);
    free(body);
}

static void agentd_track(agentd *a, const proto_track *t)
{
    for (size_t i = 0; i < a->n_tracks; i++) {
        if (track_run_id(a->tracks[i]) == t->track_id) {
            /* the same id again: duration 0 ends it; the same question is a
             * repeat; another question reuses the id (the coordinator was
             * restarted): the old track ends and the new one starts */
            if (t->duration_s != 0 && !track_run_same(a->tracks[i], t)) {
                log_info("track %llu: the id now names another track; the old one ends",
                         (unsigned long long)t->track_id);
                track_run_destroy(&a->tracks[i]);
                a->tracks[i] = a->tracks[--a->n_tracks];
                break;
            }
            if (t->duration_s == 0) {
                log_info("track %llu ended by the coordinator (%llu queries)",
                         (unsigned long long)t->track_id,
                         (unsigned long long)track_run_queries(a->tracks[i]));
                track_run_destroy(&a->tracks[i]);
                a->tracks[i] = a->tracks[--a->n_tracks];
            }
            return;
        }
    }
    if (t->duration_s == 0)
        return;
    if (a->n_tracks >= AGENTD_CHECKS_MAX) {
        log_warn("too many tracks: track %llu refused", (unsigned long long)t->track_id);
        return;
    }
    char err[512];
    track_run_t *tr = track_run_new(a->engine, t, agentd_track_sink, a, err, sizeof err);
    if (!tr) {
        log_warn("track %llu refused: %s", (unsigned long long)t->track_id, err);
        return;
    }
    a->tracks[a->n_tracks++] = tr;
    log_info("track %llu: %s %s", (unsigned long long)t->track_id, t->qname, t->qtype);
    track_run_start(tr);
}

/* Poll the tracks; end those whose time is up. */
static void agentd_tracks_poll(agentd *a)
{
    for (size_t i = 0; i < a->n_tracks;) {
        track_run_poll(a->tracks[i]);
        if (track_run_done(a->tracks[i])) {
            log_info("track %llu done (%llu queries)",
                     (unsigned long long)track_run_id(a->tracks[i]),
                     (unsigned long long)track_run_queries(a->tracks[i]));
            track_run_destroy(&a->tracks[i]);
            a->tracks[i] = a->tracks[--a->n_tracks];
        } else {
            i++;
        }
    }
}

static void agentd_monitor_event(agentd *a)
{
    zmq_msg_t ev, addr;
    zmq_msg_init(&ev);
    zmq_msg_init(&addr);
    if (zmq_msg_recv(&ev, a->mon, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&ev);
        zmq_msg_close(&addr);
        return;
    }
    uint16_t event = 0;
    uint32_t value = 0;
    if (zmq_msg_size(&ev) >= 6) {
        memcpy(&event, zmq_msg_data(&ev), 2);
        memcpy(&value, (const uint8_t *)zmq_msg_data(&ev) + 2, 4);
    }
    if (zmq_msg_more(&ev))
        zmq_msg_recv(&addr, a->mon, 0);
    zmq_msg_close(&ev);
    zmq_msg_close(&addr);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        a->connected = true;
        a->welcomed = false;
        a->handshake_logged = false;
        agentd_hello(a);
    } else if (event & AGENTD_HANDSHAKE_FAILED) {
        agentd_handshake_failed(a, event, value);
    } else if (event == ZMQ_EVENT_DISCONNECTED) {
        if (a->connected)
            log_warn("lost the connection to %s; reconnecting", a->conf->endpoint);
        a->connected = false;
        a->welcomed = false;
    }
}

/*
 * Make the DEALER a CURVE client. Its key pair is the agent's Ed25519 pair
 * converted (pk its public half); the server key is the first pinned
 * coordinator key converted: with several pinned (a rotation), the
 * coordinator must still sign with the first.
 */
static int agentd_curve(agentd *a, const unsigned char pk[KEYFILE_PK_BYTES], char *err,
                        size_t errlen)
{
    unsigned char cpk[32], csk[32], spk[32];
    int rc = -1;
    if (!zmq_has("curve")) {
        snprintf(err, errlen, "this libzmq is built without CURVE");
        return -1;
    }
    if (crypto_sign_ed25519_pk_to_curve25519(cpk, pk) != 0 ||
        crypto_sign_ed25519_sk_to_curve25519(csk, a->sk) != 0 ||
        crypto_sign_ed25519_pk_to_curve25519(spk, a->conf->coord_pks[0]) != 0) {
        snprintf(err, errlen, "a key has no CURVE counterpart");
        goto done;
    }
    if (zmq_setsockopt(a->sock, ZMQ_CURVE_SERVERKEY, spk, sizeof spk) != 0 ||
        zmq_setsockopt(a->sock, ZMQ_CURVE_PUBLICKEY, cpk, sizeof cpk) != 0 ||
        zmq_setsockopt(a->sock, ZMQ_CURVE_SECRETKEY, csk, sizeof csk) != 0) {
        snprintf(err, errlen, "cannot set the CURVE options: %s", zmq_strerror(errno));
        goto done;
    }
    if (a->conf->n_coord_pks > 1)
        log_info("CURVE: %zu coordinator keys pinned; the link expects the first",
                 a->conf->n_coord_pks);
    rc = 0;
done:
    sodium_memzero(csk, sizeof csk);
    return rc;
}

static int agentd_setup(agentd *a, const char *path)
{
    char err[1024];
    if (sodium_init() < 0 || agent_conf_load(path, &a->conf, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-agent: %s\n", a->conf ? "libsodium failed" : err);
        return -1;
    }
    log_init("vantage-agent", a->conf->log_level, a->conf->syslog);
    unsigned char pk[KEYFILE_PK_BYTES];
    if (keyfile_load_secret(a->conf->key_path, a->sk, pk, err, sizeof err) != 0) {
        log_err("%s", err);
        return -1;
    }
    if (!(a->seq = seqstate_open(a->conf->state_dir, err, sizeof err)) ||
        !(a->spool = spool_open(a->conf->state_dir, a->conf->spool_max, err, sizeof err))) {
        log_err("%s", err);
        return -1;
    }
    if (spool_last_seq(a->spool) &&
        seqstate_raise_above(a->seq, spool_last_seq(a->spool), err, sizeof err) != 0) {
        log_err("%s", err);
        return -1;
    }
    dnsq_opts dopts = {.timeout_ms = (unsigned)a->conf->timeout_ms,
                       .tries = a->conf->tries,
                       .rate = a->conf->rate,
                       .burst = a->conf->burst,
                       .local_addr = strcmp(a->conf->resolver_local, "system") == 0
                                         ? NULL
                                         : a->conf->resolver_local};
    if (!(a->engine = dnsq_new(&dopts, err, sizeof err))) {
        log_err("%s", err);
        return -1;
    }
    smtp_opts sopts = {.helo_name = a->conf->smtp_helo,
                       .connect_timeout_ms = (uint32_t)a->conf->smtp_timeout_ms,
                       .reply_timeout_ms = (uint32_t)a->conf->smtp_timeout_ms,
                       .min_interval_ms = (uint32_t)a->conf->smtp_min_interval_ms,
                       .no_min_interval = a->conf->smtp_min_interval_ms == 0,
                       .tls = a->conf->smtp_tls,
                       .ca_file = a->conf->smtp_ca_file};
    if (!(a->smtp = smtp_new(&sopts, err, sizeof err))) {
        log_err("%s: [smtp]: %s", path, err);
        return -1;
    }
    snprintf(a->coord_id, sizeof a->coord_id, "coord");
    a->zctx = zmq_ctx_new();
    a->sock = a->zctx ? zmq_socket(a->zctx, ZMQ_DEALER) : NULL;
    if (!a->sock) {
        log_err("ZeroMQ: %s", zmq_strerror(errno));
        return -1;
    }
    int linger = 1000, hwm = 10000, ivl = 1000, ivl_max = 30000, hb = 5000, hb_to = 15000;
    int64_t maxmsg = PROTO_FRAME_MAX + 1024;
    zmq_setsockopt(a->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(a->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(a->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(a->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
    zmq_setsockopt(a->sock, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt(a->sock, ZMQ_HEARTBEAT_TIMEOUT, &hb_to, sizeof hb_to);
    zmq_setsockopt(a->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    char monep[64];
    snprintf(monep, sizeof monep, "inproc://agent-monitor-%d", (int)getpid());
    if (zmq_socket_monitor(a->sock, monep,
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                               AGENTD_HANDSHAKE_FAILED) != 0 ||
        !(a->mon = zmq_socket(a->zctx, ZMQ_PAIR)) || zmq_connect(a->mon, monep) != 0) {
        log_err("ZeroMQ monitor: %s", zmq_strerror(errno));
        return -1;
    }
    if (a->conf->curve && agentd_curve(a, pk, err, sizeof err) != 0) {
        log_err("%s: [coordinator] curve: %s", path, err);
        return -1;
    }
    if (zmq_connect(a->sock, a->conf->endpoint) != 0) {
        log_err("%s: cannot connect to %s: %s", path, a->conf->endpoint, zmq_strerror(errno));
        return -1;
    }
    a->started_ms = clock_wall_ms();
    a->heartbeat_ms = 10000;
    return 0;
}

static void agentd_teardown(agentd *a)
{
    for (size_t i = 0; i < a->n_tracks; i++)
        track_run_destroy(&a->tracks[i]);
    smtp_destroy(&a->smtp); /* no callbacks: the runs' probes are freed below */
    for (size_t i = 0; i < a->n_runs; i++) {
        agentd_probes_free(&a->runs[i].probes);
        check_destroy(&a->runs[i].check);
    }
    dnsq_destroy(&a->engine);
    if (a->mon)
        zmq_close(a->mon);
    if (a->sock)
        zmq_close(a->sock);
    if (a->zctx)
        zmq_ctx_term(a->zctx);
    spool_close(&a->spool);
    seqstate_close(&a->seq);
    arena_destroy(&a->plan_arena);
    free(a->monitors);
    sodium_memzero(a->sk, sizeof a->sk);
    agent_conf_destroy(&a->conf);
}

int agent_daemon_run(const char *path)
{
    agentd a;
    memset(&a, 0, sizeof a);
    if (agentd_setup(&a, path) != 0) {
        agentd_teardown(&a);
        return 1;
    }
    struct sigaction sa = {.sa_handler = agentd_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    log_info("agent %s (%s) started, coordinator %s", a.conf->id, a.conf->region, a.conf->endpoint);
    zmq_pollitem_t items[AGENTD_POLL_MAX];
    while (!agentd_stop) {
        if (agentd_hup) {
            /* an agent's monitors come from the coordinator's plan; its own
             * config (keys, endpoint, resolvers) takes effect at a restart */
            agentd_hup = 0;
            log_info("SIGHUP: nothing to reload (monitors come from the coordinator's plan; "
                     "restart the agent to apply changes to its own config)");
        }
        int64_t now = clock_mono_ms();
        long wait = 1000;
        if (a.welcomed) {
            wait = a.next_hb_ms - now < wait ? (long)(a.next_hb_ms - now) : wait;
            for (size_t i = 0; i < a.n_monitors; i++) {
                if (!a.monitors[i].running && a.monitors[i].next_ms - now < wait)
                    wait = (long)(a.monitors[i].next_ms - now);
            }
        }
        for (size_t i = 0; i < a.n_tracks; i++)
            wait = track_run_timeout_ms(a.tracks[i], wait);
        for (size_t i = 0; i < a.n_runs; i++) {
            long left = check_deadline_in_ms(a.runs[i].check);
            wait = left < wait ? left : wait;
        }
        wait = dnsq_timeout_ms(a.engine, wait < 0 ? 0 : wait);
        wait = smtp_timeout_ms(a.smtp, wait);
        items[0] = (zmq_pollitem_t){.socket = a.sock, .events = ZMQ_POLLIN};
        items[1] = (zmq_pollitem_t){.socket = a.mon, .events = ZMQ_POLLIN};
        size_t nd = dnsq_pollitems(a.engine, items + 2, AGENTD_POLL_MAX - 2 - SMTP_PROBES_MAX);
        size_t n = 2 + nd;
        n += smtp_pollitems(a.smtp, items + n, AGENTD_POLL_MAX - n);
        if (zmq_poll(items, (int)n, wait) < 0 && errno != EINTR)
            break;
        if (items[1].revents & ZMQ_POLLIN)
            agentd_monitor_event(&a);
        if (items[0].revents & ZMQ_POLLIN) {
            for (int k = 0; k < 1000; k++) {
                zmq_msg_t msg;
                zmq_msg_init(&msg);
                if (zmq_msg_recv(&msg, a.sock, ZMQ_DONTWAIT) < 0) {
                    zmq_msg_close(&msg);
                    break;
                }
                if (!zmq_msg_more(&msg))
                    agentd_receive(&a, zmq_msg_data(&msg), zmq_msg_size(&msg));
                zmq_msg_close(&msg);
            }
        }
        dnsq_process(a.engine, items + 2, nd);
        smtp_process(a.smtp, items + 2 + nd, n - 2 - nd);
        agentd_collect(&a);
        agentd_tracks_poll(&a);
        now = clock_mono_ms();
        if (a.welcomed) {
            for (size_t i = 0; i < a.n_monitors; i++) {
                agentd_monitor *m = &a.monitors[i];
                if (m->running || now < m->next_ms)
                    continue;
                m->running = true;
                m->next_ms = now + m->interval_ms;
                agentd_start(&a, &m->spec, 0, (int)i, m->smtp);
            }
            if (now >= a.next_hb_ms) {
                agentd_heartbeat(&a);
                a.next_hb_ms = now + a.heartbeat_ms;
            }
            if (now >= a.next_resend_ms && spool_count(a.spool) > 0)
                agentd_resend_all(&a);
        }
    }
    log_info("agent %s stopping", a.conf->id);
    agentd_teardown(&a);
    return 0;
}

/*
 * coordinator/tracks.c - changes followed until every vantage point sees them.
 */
#include "coordinator/tracks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/json.h"

#define TRACKS_MAX 256
#define POINTS_MAX 1024
/* Answers this much older than the track still count (clock error). */
#define TRACKS_EARLY_MS 2000

/* One vantage point of a track. */
typedef struct track_point {
    char agent[64];      /* agent id */
    char region[64];     /* its region */
    char resolver[64];   /* resolver name */
    char kind[16];       /* local, public, auth */
    char server[256];    /* auth: host name */
    bool matched;        /* its latest answer is the expected one */
    int64_t first_match; /* when it first showed it (coordinator clock), 0 = not yet */
    int64_t last_ms;     /* time of its latest answer (coordinator clock) */
    int64_t eta_ms;      /* stale: when its cache lets it turn, 0 = unknown */
    unsigned flips;      /* times it went back from the expected answer */
    unsigned answers;    /* answers received */
    bool held;           /* an answer other than the expected one came first */
    bool held_neg;       /* that answer was NXDOMAIN or NODATA */
    int64_t held_ttl_s;  /* its remaining (negative) TTL, -1 = none (a failure) */
    char answer[256];    /* its latest answer, one line */
} track_point;

struct track {
    uint64_t id;            /* track id */
    char qname[1024];       /* name */
    char qtype[16];         /* type */
    char *expect;           /* expected RR set text, or NULL */
    uint32_t expect_serial; /* or serial */
    bool has_expect_serial; /* expect_serial is set */
    uint32_t interval_s;    /* ceiling between asks */
    int64_t created_ms;     /* start, coordinator clock */
    int64_t deadline_ms;    /* end at the latest */
    int64_t ended_ms;       /* when it ended, 0 while running */
    bool converged;         /* ended converged (else timed out) */
    char (*agents)[64];     /* agents asked */
    size_t n_agents;        /* count */
    track_point *points;    /* vantage points seen */
    size_t n_points;        /* count */
};

struct tracks {
    track_t *v[TRACKS_MAX]; /* tracks, oldest first */
    size_t n;               /* count */
    uint64_t next_id;       /* id of the next track */
};

tracks_t *tracks_new(void)
{
    return calloc(1, sizeof(tracks_t));
}

static void track_free(track_t *t)
{
    if (!t)
        return;
    free(t->expect);
    free(t->agents);
    free(t->points);
    free(t);
}

void tracks_destroy(tracks_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (size_t i = 0; i < (*self_p)->n; i++)
        track_free((*self_p)->v[i]);
    free(*self_p);
    *self_p = NULL;
}

track_t *tracks_add(tracks_t *self, const tracks_spec *spec, int64_t now_ms)
{
    if (self->n == TRACKS_MAX) { /* forget the oldest ended track */
        size_t k = 0;
        while (k < self->n && !self->v[k]->ended_ms)
            k++;
        if (k == self->n)
            return NULL;
        track_free(self->v[k]);
        memmove(&self->v[k], &self->v[k + 1], (self->n - k - 1) * sizeof self->v[0]);
        self->n--;
    }
    track_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->id = spec->id ? spec->id : ++self->next_id;
    snprintf(t->qname, sizeof t->qname, "%s", spec->qname);
    snprintf(t->qtype, sizeof t->qtype, "%s", spec->qtype);
    t->expect = spec->expect ? strdup(spec->expect) : NULL;
    t->expect_serial = spec->expect_serial;
    t->has_expect_serial = spec->has_expect_serial;
    t->interval_s = spec->interval_s;
    t->created_ms = now_ms;
    t->deadline_ms = spec->deadline_ms;
    t->agents = calloc(spec->n_agents ? spec->n_agents : 1, sizeof *t->agents);
    t->points = calloc(POINTS_MAX, sizeof *t->points);
    if ((spec->expect && !t->expect) || !t->agents || !t->points) {
        track_free(t);
        return NULL;
    }
    for (size_t i = 0; i < spec->n_agents; i++)
        snprintf(t->agents[t->n_agents++], sizeof t->agents[0], "%s", spec->agents[i]);
    self->v[self->n++] = t;
    return t;
}

track_t *tracks_find(tracks_t *self, uint64_t id)
{
    for (size_t i = 0; i < self->n; i++) {
        if (self->v[i]->id == id)
            return self->v[i];
    }
    return NULL;
}

uint64_t track_id(const track_t *t)
{
    return t->id;
}

bool track_ended(const track_t *t)
{
    return t->ended_ms != 0;
}

static bool track_match(const track_t *t, const proto_obs *o)
{
    return proto_obs_matches(o, t->expect, t->has_expect_serial, t->expect_serial);
}

/* One line for an answer: its records joined, or its status word. */
static void answer_line(const proto_obs *o, char *buf, size_t len)
{
    const char *st = pjson_obs_status(o);
    if (strcmp(st, "ok") != 0) {
        snprintf(buf, len, "%s", st);
        return;
    }
    size_t pos = 0;
    const char *p = o->rrset;
    while (*p && pos + 1 < len) {
        buf[pos++] = *p == '\n' ? ';' : *p;
        p++;
    }
    buf[pos] = '\0';
}

void tracks_take(tracks_t *self, uint64_t id, const char *agent, const char *region,
                 int64_t offset_ms, const proto_obs *obs, int64_t now_ms)
{
    track_t *t = tracks_find(self, id);
    if (!t || t->ended_ms)
        return;
    char tname[32];
    if (strcasecmp(obs->qname, t->qname) != 0 ||
        strcasecmp(pjson_type(obs->qtype, tname, sizeof tname), t->qtype) != 0)
        return; /* another question: a stale track of an earlier run with this id */
    if (strlen(obs->resolver) >= sizeof t->points[0].resolver ||
        strlen(agent) >= sizeof t->points[0].agent)
        return; /* no agent names a resolver that long */
    track_point *p = NULL;
    for (size_t i = 0; i < t->n_points && !p; i++) {
        if (strcmp(t->points[i].agent, agent) == 0 &&
            strcmp(t->points[i].resolver, obs->resolver) == 0)
            p = &t->points[i];
    }
    if (!p) {
        if (t->n_points == POINTS_MAX)
            return;
        p = &t->points[t->n_points++];
        snprintf(p->agent, sizeof p->agent, "%s", agent);
        snprintf(p->region, sizeof p->region, "%s", region ? region : "");
        snprintf(p->resolver, sizeof p->resolver, "%s", obs->resolver);
        snprintf(p->kind, sizeof p->kind, "%s", obs->kind);
        snprintf(p->server, sizeof p->server, "%s", obs->server ? obs->server : "");
    }
    int64_t at = obs->t_ms - offset_ms;
    if (at < p->last_ms) /* an older answer arriving late changes nothing */
        return;
    if (at < t->created_ms - TRACKS_EARLY_MS) /* resent from before the track began */
        return;
    p->last_ms = at;
    p->answers++;
    bool m = track_match(t, obs);
    if (!m && p->answers == 1) {
        p->held = true;
        p->held_neg = !obs->has_ttl && obs->has_neg_ttl;
        p->held_ttl_s = obs->fail != PROTO_FAIL_NONE ? -1
                        : obs->has_ttl               ? (int64_t)obs->ttl_min
                        : obs->has_neg_ttl           ? (int64_t)obs->neg_ttl
                                                     : -1;
    }
    if (m && !p->first_match)
        p->first_match = at;
    if (p->matched && !m)
        p->flips++;
    p->matched = m;
    p->eta_ms = 0;
    if (!m && obs->fail == PROTO_FAIL_NONE) {
        if (obs->has_ttl)
            p->eta_ms = at + (int64_t)obs->ttl_min * 1000;
        else if (obs->has_neg_ttl)
            p->eta_ms = at + (int64_t)obs->neg_ttl * 1000;
    }
    answer_line(obs, p->answer, sizeof p->answer);
    (void)now_ms;
}

/* Every agent asked has answered and every point shows the expected answer. */
static bool track_converged(const track_t *t)
{
    if (t->n_points == 0)
        return false;
    for (size_t a = 0; a < t->n_agents; a++) {
        bool seen = false;
        for (size_t i = 0; i < t->n_points && !seen; i++)
            seen = strcmp(t->points[i].agent, t->agents[a]) == 0;
        if (!seen)
            return false;
    }
    for (size_t i = 0; i < t->n_points; i++) {
        if (!t->points[i].matched)
            return false;
    }
    return true;
}

size_t tracks_tick(tracks_t *self, int64_t now_ms, uint64_t *ended, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < self->n; i++) {
        track_t *t = self->v[i];
        if (t->ended_ms)
            continue;
        if (n == max)
            break; /* the rest end at the next tick, so each gets its stop */
        if (track_converged(t)) {
            t->converged = true;
            t->ended_ms = now_ms;
        } else if (now_ms >= t->deadline_ms) {
            t->ended_ms = now_ms;
        } else {
            continue;
        }
        ended[n++] = t->id;
    }
    return n;
}

static const char *track_state(const track_t *t)
{
    return !t->ended_ms ? "running" : t->converged ? "converged" : "timed-out";
}

static json_t *track_head(const track_t *t, int64_t now_ms)
{
    char buf[40];
    json_t *o = json_object();
    size_t matched = 0;
    int64_t last_match = 0, eta = 0;
    for (size_t i = 0; i < t->n_points; i++) {
        const track_point *p = &t->points[i];
        matched += p->matched;
        if (p->first_match > last_match)
            last_match = p->first_match;
        if (!p->matched && p->eta_ms > eta)
            eta = p->eta_ms;
    }
    json_object_set_new(o, "id", json_integer((json_int_t)t->id));
    json_object_set_new(o, "name", json_string(t->qname));
    json_object_set_new(o, "type", json_string(t->qtype));
    json_object_set_new(o, "expect", t->expect ? json_string(t->expect) : json_null());
    json_object_set_new(o, "expect_serial",
                        t->has_expect_serial ? json_integer(t->expect_serial) : json_null());
    json_object_set_new(o, "state", json_string(track_state(t)));
    json_object_set_new(o, "started", json_string(pjson_time(t->created_ms, buf, sizeof buf)));
    json_object_set_new(o, "started_ms", json_integer(t->created_ms));
    json_object_set_new(o, "deadline", json_string(pjson_time(t->deadline_ms, buf, sizeof buf)));
    json_object_set_new(o, "points", json_integer((json_int_t)t->n_points));
    json_object_set_new(o, "converged_points", json_integer((json_int_t)matched));
    json_object_set_new(o, "elapsed_ms",
                        json_integer((t->ended_ms ? t->ended_ms : now_ms) - t->created_ms));
    if (t->converged && last_match)
        json_object_set_new(o, "took_ms", json_integer(last_match - t->created_ms));
    if (!t->ended_ms && eta > now_ms)
        json_object_set_new(o, "eta_ms", json_integer(eta - now_ms));
    return o;
}

/* Why a point turned when it did, or why it has not: one phrase. */
static const char *point_why(const track_point *p, char *buf, size_t size)
{
    bool auth = strcmp(p->kind, "auth") == 0;
    if (!p->matched && p->eta_ms)
        return p->held_neg ? "negative cache: the NXDOMAIN/NODATA TTL has not run out"
                           : "resolver cache: the old answer's TTL has not run out";
    if (!p->matched)
        return auth ? "authoritative server serves another answer" : "no usable answer";
    if (!p->held)
        return auth ? "authoritative server served it from the start"
                    : "not cached: answered from the authoritative servers at once";
    if (auth)
        return "authoritative server served the old data until it was updated";
    if (p->held_ttl_s < 0)
        return "failed to answer at first";
    snprintf(buf, size, "%s cache held the old answer (%lld s of TTL left when first asked)",
             p->held_neg ? "negative" : "resolver", (long long)p->held_ttl_s);
    return buf;
}

json_t *track_json(const track_t *t, int64_t now_ms)
{
    char buf[40];
    json_t *o = track_head(t, now_ms);
    json_t *pts = json_array();
    for (size_t i = 0; i < t->n_points; i++) {
        const track_point *p = &t->points[i];
        json_t *j = json_object();
        json_object_set_new(j, "agent", json_string(p->agent));
        json_object_set_new(j, "region", json_string(p->region));
        json_object_set_new(j, "resolver", json_string(p->resolver));
        json_object_set_new(j, "kind", json_string(p->kind));
        if (p->server[0])
            json_object_set_new(j, "server", json_string(p->server));
        json_object_set_new(j, "converged", json_boolean(p->matched));
        if (p->first_match) {
            json_object_set_new(j, "first_match",
                                json_string(pjson_time(p->first_match, buf, sizeof buf)));
            json_object_set_new(j, "took_ms", json_integer(p->first_match - t->created_ms));
        }
        json_object_set_new(j, "flips", json_integer(p->flips));
        json_object_set_new(j, "answers", json_integer(p->answers));
        json_object_set_new(j, "answer", json_string(p->answer));
        if (!p->matched && p->eta_ms) {
            json_object_set_new(j, "eta", json_string(pjson_time(p->eta_ms, buf, sizeof buf)));
            json_object_set_new(j, "eta_in_ms", json_integer(p->eta_ms - now_ms));
        }
        char why[160];
        json_object_set_new(j, "why", json_string(point_why(p, why, sizeof why)));
        json_array_append_new(pts, j);
    }
    json_object_set_new(o, "vantage_points", pts);
    json_t *missing = json_array();
    for (size_t a = 0; a < t->n_agents; a++) {
        bool seen = false;
        for (size_t i = 0; i < t->n_points && !seen; i++)
            seen = strcmp(t->points[i].agent, t->agents[a]) == 0;
        if (!seen)
            json_array_append_new(missing, json_string(t->agents[a]));
    }
    json_object_set_new(o, "agents_not_heard", missing);
    return o;
}

json_t *tracks_list_json(const tracks_t *self, int64_t now_ms)
{
    json_t *a = json_array();
    for (size_t i = self->n; i > 0; i--)
        json_array_append_new(a, track_head(self->v[i - 1], now_ms));
    return a;
}

/*
 * coordinator/coord_conf.c - the coordinator's config file.
 */
#include "coordinator/coord_conf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Record types a monitor may name. */
static const char *const coord_conf_rrtypes[] = {"A",   "AAAA", "CNAME", "MX",  "NS", "SOA",
                                                 "TXT", "PTR",  "SRV",   "CAA", "DS", "DNSKEY"};

/* Most words one list line can hold (a line has at most CONF_LINE_MAX characters). */
#define COORD_CONF_LINE_WORDS (CONF_LINE_MAX / 2 + 1)

typedef enum coord_conf_key {
    CC_ID,
    CC_LISTEN,
    CC_KEY,
    CC_ALLOWLIST,
    CC_CONTROL,
    CC_STORE,
    CC_RETENTION,
    CC_SKEW,
    CC_HEARTBEAT,
    CC_CURVE,
    CC_LOG_LEVEL,
    CC_SYSLOG,
    CC_KEY_COUNT
} coord_conf_key;

typedef enum coord_conf_mkey {
    CM_NAME,
    CM_TYPES,
    CM_PROFILE,
    CM_RESOLVERS,
    CM_INTERVAL,
    CM_AGENTS,
    CM_GEO,
    CM_SMTP,
    CM_KEY_COUNT
} coord_conf_mkey;

/* One key of the schema. */
typedef struct coord_conf_spec {
    const char *name; /* its name */
    bool required;    /* must be set */
    bool repeat;      /* may be given more than once (lists: adds to them) */
} coord_conf_spec;

static const coord_conf_spec coord_conf_keys[CC_KEY_COUNT] = {
    [CC_ID] = {"id", false, false},
    [CC_LISTEN] = {"listen", true, false},
    [CC_KEY] = {"key", true, false},
    [CC_ALLOWLIST] = {"allowlist", true, false},
    [CC_CONTROL] = {"control", false, false},
    [CC_STORE] = {"store", false, false},
    [CC_RETENTION] = {"retention_days", false, false},
    [CC_SKEW] = {"skew", false, false},
    [CC_HEARTBEAT] = {"heartbeat", false, false},
    [CC_CURVE] = {"curve", false, false},
    [CC_LOG_LEVEL] = {"log_level", false, false},
    [CC_SYSLOG] = {"syslog", false, false},
};

static const coord_conf_spec coord_conf_mkeys[CM_KEY_COUNT] = {
    [CM_NAME] = {"name", true, false},          [CM_TYPES] = {"types", false, true},
    [CM_PROFILE] = {"profile", false, false},   [CM_RESOLVERS] = {"resolvers", false, true},
    [CM_INTERVAL] = {"interval", false, false}, [CM_AGENTS] = {"agents", false, true},
    [CM_GEO] = {"geo", false, false},           [CM_SMTP] = {"smtp", false, false},
};

/* Parse state. */
typedef struct coord_conf_parse {
    coord_conf_t *conf;          /* being filled */
    size_t cap_monitors;         /* room in conf->monitors */
    int section;                 /* 0 none yet, 1 [coordinator], 2 a monitor */
    int coord_line;              /* header line of [coordinator]; 0: not seen */
    int key_line[CC_KEY_COUNT];  /* first line of each [coordinator] key; 0: not seen */
    int mkey_line[CM_KEY_COUNT]; /* the same for the current monitor */
} coord_conf_parse;

enum { CC_SEC_NONE, CC_SEC_COORD, CC_SEC_MONITOR };

static int coord_conf_find(const coord_conf_spec *specs, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(name, specs[i].name) == 0)
            return i;
    }
    return -1;
}

static int coord_conf_oom(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int coord_conf_path(coord_conf_t *c, const char *value, const char **out, char *err,
                           size_t errlen)
{
    if (!*value) {
        snprintf(err, errlen, "empty path");
        return -1;
    }
    *out = arena_strdup(c->arena, value);
    return *out ? 0 : coord_conf_oom(err, errlen);
}

static int coord_conf_endpoint(coord_conf_t *c, const char *value, const char **out, char *err,
                               size_t errlen)
{
    if (conf_parse_endpoint(value, CONF_ENDPOINT_BIND, err, errlen) != 0)
        return -1;
    *out = arena_strdup(c->arena, value);
    return *out ? 0 : coord_conf_oom(err, errlen);
}

static int coord_conf_value(coord_conf_t *c, coord_conf_key key, const char *value, char *err,
                            size_t errlen)
{
    switch (key) {
    case CC_ID:
        return conf_parse_id(value, c->id, err, errlen);
    case CC_LISTEN:
        return coord_conf_endpoint(c, value, &c->listen, err, errlen);
    case CC_KEY:
        return coord_conf_path(c, value, &c->key_path, err, errlen);
    case CC_ALLOWLIST:
        return coord_conf_path(c, value, &c->allowlist_path, err, errlen);
    case CC_CONTROL:
        return coord_conf_endpoint(c, value, &c->control, err, errlen);
    case CC_STORE:
        return coord_conf_path(c, value, &c->store_path, err, errlen);
    case CC_RETENTION:
        return conf_parse_uint(value, 1, 36500, &c->retention_days, err, errlen);
    case CC_SKEW:
        return conf_parse_duration_ms(value, 1000, 86400000, &c->skew_ms, err, errlen);
    case CC_HEARTBEAT:
        return conf_parse_duration_ms(value, 1000, 3600000, &c->heartbeat_ms, err, errlen);
    case CC_CURVE:
        return conf_parse_bool(value, &c->curve, err, errlen);
    case CC_LOG_LEVEL:
        if (!log_level_parse(value, &c->log_level)) {
            snprintf(err, errlen, "'%s' is not a log level (err, warn, info or debug)", value);
            return -1;
        }
        return 0;
    case CC_SYSLOG:
        return conf_parse_bool(value, &c->syslog, err, errlen);
    case CC_KEY_COUNT:
        break;
    }
    snprintf(err, errlen, "unknown key");
    return -1;
}

static int coord_conf_types(coord_conf_monitor_t *m, const char *value, char *err, size_t errlen)
{
    char words[COORD_CONF_MAX_TYPES][32];
    size_t n = 0;
    if (conf_parse_words(value, &words[0][0], sizeof words[0], COORD_CONF_MAX_TYPES - m->n_types,
                         &n, err, errlen) != 0) {
        if (strncmp(err, "too many", 8) == 0)
            snprintf(err, errlen, "too many types (at most %d)", COORD_CONF_MAX_TYPES);
        else
            snprintf(err, errlen, "'%s': unknown record type", value);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *type = NULL;
        for (size_t t = 0; t < sizeof coord_conf_rrtypes / sizeof coord_conf_rrtypes[0]; t++) {
            if (strcasecmp(words[i], coord_conf_rrtypes[t]) == 0)
                type = coord_conf_rrtypes[t];
        }
        if (!type) {
            snprintf(err, errlen,
                     "unknown record type '%s' (known: A AAAA CNAME MX NS SOA TXT PTR SRV CAA DS "
                     "DNSKEY)",
                     words[i]);
            return -1;
        }
        for (size_t j = 0; j < m->n_types; j++) {
            if (m->types[j] == type) {
                snprintf(err, errlen, "%s listed twice", type);
                return -1;
            }
        }
        m->types[m->n_types++] = type;
    }
    return 0;
}

static int coord_conf_resolvers(coord_conf_t *c, coord_conf_monitor_t *m, const char *value,
                                char *err, size_t errlen)
{
    char words[COORD_CONF_MAX_RESOLVERS][64];
    size_t n = 0;
    if (conf_parse_words(value, &words[0][0], sizeof words[0],
                         COORD_CONF_MAX_RESOLVERS - m->n_resolvers, &n, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *w = words[i];
        if (strcmp(w, "local") != 0 && strcmp(w, "auth") != 0 &&
            conf_parse_addr_port(w, NULL, 0) != 0) {
            snprintf(err, errlen,
                     "'%s' is not local, auth or an IP address (ADDR, ADDR:PORT, [IPV6] or "
                     "[IPV6]:PORT)",
                     w);
            return -1;
        }
        for (size_t j = 0; j < m->n_resolvers; j++) {
            if (strcmp(m->resolvers[j], w) == 0) {
                snprintf(err, errlen, "%s listed twice", w);
                return -1;
            }
        }
        if (!(m->resolvers[m->n_resolvers] = arena_strdup(c->arena, w)))
            return coord_conf_oom(err, errlen);
        m->n_resolvers++;
    }
    return 0;
}

static int coord_conf_agents(coord_conf_t *c, coord_conf_monitor_t *m, bool again,
                             const char *value, char *err, size_t errlen)
{
    char words[COORD_CONF_LINE_WORDS][CONF_ID_MAX];
    size_t n = 0;
    if (conf_parse_words(value, &words[0][0], sizeof words[0], COORD_CONF_LINE_WORDS, &n, err,
                         errlen) != 0)
        return -1;
    if (n == 0) {
        snprintf(err, errlen, "empty list (use all, or agent ids)");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(words[i], "all") == 0 && (n > 1 || again)) {
            snprintf(err, errlen, "'all' cannot be combined with agent ids");
            return -1;
        }
    }
    if (strcmp(words[0], "all") == 0) {
        m->all_agents = true;
        return 0;
    }
    if (m->all_agents) {
        snprintf(err, errlen, "'all' cannot be combined with agent ids");
        return -1;
    }
    if (m->n_agents + n > COORD_CONF_MAX_AGENTS) {
        snprintf(err, errlen, "too many agents (at most %d)", COORD_CONF_MAX_AGENTS);
        return -1;
    }
    const char **agents = arena_calloc(c->arena, m->n_agents + n, sizeof *agents);
    if (!agents)
        return coord_conf_oom(err, errlen);
    if (m->n_agents)
        memcpy(agents, m->agents, m->n_agents * sizeof *agents);
    for (size_t i = 0; i < n; i++) {
        if (conf_parse_id(words[i], NULL, err, errlen) != 0)
            return -1;
        for (size_t j = 0; j < m->n_agents; j++) {
            if (strcmp(agents[j], words[i]) == 0) {
                snprintf(err, errlen, "%s listed twice", words[i]);
                return -1;
            }
        }
        if (!(agents[m->n_agents] = arena_strdup(c->arena, words[i])))
            return coord_conf_oom(err, errlen);
        m->n_agents++;
    }
    m->agents = agents;
    return 0;
}

static int coord_conf_mvalue(coord_conf_parse *p, coord_conf_mkey key, bool again,
                             const char *value, char *err, size_t errlen)
{
    coord_conf_t *c = p->conf;
    coord_conf_monitor_t *m = &c->monitors[c->n_monitors - 1];
    switch (key) {
    case CM_NAME: {
        if (conf_parse_domain(value, err, errlen) != 0)
            return -1;
        size_t len = strlen(value);
        if (len > 1 && value[len - 1] == '.')
            len--;
        char *q = arena_strndup(c->arena, value, len);
        if (!q)
            return coord_conf_oom(err, errlen);
        for (char *s = q; *s; s++)
            *s = (char)tolower((unsigned char)*s);
        m->qname = q;
        return 0;
    }
    case CM_TYPES:
        return coord_conf_types(m, value, err, errlen);
    case CM_PROFILE:
        if (strcmp(value, "mail") != 0) {
            snprintf(err, errlen, "unknown profile '%s' (known: mail)", value);
            return -1;
        }
        m->profile = COORD_CONF_PROFILE_MAIL;
        return 0;
    case CM_RESOLVERS:
        return coord_conf_resolvers(c, m, value, err, errlen);
    case CM_INTERVAL:
        return conf_parse_duration_ms(value, 1000, 86400000, &m->interval_ms, err, errlen);
    case CM_AGENTS:
        return coord_conf_agents(c, m, again, value, err, errlen);
    case CM_GEO:
        return conf_parse_bool(value, &m->geo, err, errlen);
    case CM_SMTP:
        m->smtp_line = p->mkey_line[CM_SMTP];
        return conf_parse_bool(value, &m->smtp, err, errlen);
    case CM_KEY_COUNT:
        break;
    }
    snprintf(err, errlen, "unknown key");
    return -1;
}

/* A [monitor NAME] header: check NAME and start a monitor. */
static int coord_conf_monitor_start(coord_conf_parse *p, const conf_where *w, char *err,
                                    size_t errlen)
{
    coord_conf_t *c = p->conf;
    char words[3][CONF_ID_MAX];
    size_t n = 0;
    if (conf_parse_words(w->section, &words[0][0], sizeof words[0], 3, &n, err, errlen) != 0 ||
        n != 2) {
        snprintf(err, errlen, "a monitor section is [monitor NAME]");
        return -1;
    }
    if (conf_parse_id(words[1], NULL, err, errlen) != 0)
        return -1;
    const coord_conf_monitor_t *dup = coord_conf_find_monitor(c, words[1]);
    if (dup) {
        snprintf(err, errlen, "duplicate monitor %s (first at line %d)", words[1], dup->line);
        return -1;
    }
    if (c->n_monitors == p->cap_monitors) {
        size_t cap = p->cap_monitors ? p->cap_monitors * 2 : 8;
        coord_conf_monitor_t *mons = realloc(c->monitors, cap * sizeof *mons);
        if (!mons)
            return coord_conf_oom(err, errlen);
        c->monitors = mons;
        p->cap_monitors = cap;
    }
    coord_conf_monitor_t *m = &c->monitors[c->n_monitors++];
    memset(m, 0, sizeof *m);
    memcpy(m->name, words[1], sizeof m->name);
    m->line = w->line;
    m->interval_ms = COORD_CONF_INTERVAL_MS;
    memset(p->mkey_line, 0, sizeof p->mkey_line);
    return 0;
}

static int coord_conf_handler(void *ctx, const conf_where *w, const char *value, char *err,
                              size_t errlen)
{
    coord_conf_parse *p = ctx;
    if (!w->key) {
        if (strcmp(w->section, "coordinator") == 0) {
            if (p->coord_line) {
                snprintf(err, errlen, "section repeated (first at line %d)", p->coord_line);
                return -1;
            }
            p->coord_line = w->line;
            p->section = CC_SEC_COORD;
            return 0;
        }
        if (strncmp(w->section, "monitor", 7) == 0 &&
            (w->section[7] == '\0' || isspace((unsigned char)w->section[7]))) {
            if (coord_conf_monitor_start(p, w, err, errlen) != 0)
                return -1;
            p->section = CC_SEC_MONITOR;
            return 0;
        }
        snprintf(err, errlen, "unknown section (known: [coordinator], [monitor NAME])");
        return -1;
    }
    if (p->section == CC_SEC_NONE) {
        snprintf(err, errlen, "key before the first [section]");
        return -1;
    }
    bool in_monitor = p->section == CC_SEC_MONITOR;
    const coord_conf_spec *specs = in_monitor ? coord_conf_mkeys : coord_conf_keys;
    int nspecs = in_monitor ? CM_KEY_COUNT : CC_KEY_COUNT;
    int *lines = in_monitor ? p->mkey_line : p->key_line;
    int k = coord_conf_find(specs, nspecs, w->key);
    if (k < 0) {
        const char *other = in_monitor ? "[coordinator]" : "a [monitor NAME] section";
        if (coord_conf_find(in_monitor ? coord_conf_keys : coord_conf_mkeys,
                            in_monitor ? CC_KEY_COUNT : CM_KEY_COUNT, w->key) >= 0)
            snprintf(err, errlen, "unknown key (it belongs in %s)", other);
        else
            snprintf(err, errlen, "unknown key");
        return -1;
    }
    bool again = lines[k] != 0;
    if (again && !specs[k].repeat) {
        snprintf(err, errlen, "set twice (first at line %d)", lines[k]);
        return -1;
    }
    if (!again)
        lines[k] = w->line;
    if (in_monitor)
        return coord_conf_mvalue(p, (coord_conf_mkey)k, again, value, err, errlen);
    return coord_conf_value(p->conf, (coord_conf_key)k, value, err, errlen);
}

/* Checks and defaults that need a whole monitor section. */
static int coord_conf_monitor_finish(coord_conf_monitor_t *m, const char *path, char *err,
                                     size_t errlen)
{
    char section[CONF_ID_MAX + 16];
    snprintf(section, sizeof section, "monitor %s", m->name);
    conf_where w = {.file = path, .line = m->line, .section = section};
    if (!m->qname) {
        w.key = "name";
        conf_errorf(err, errlen, &w, "required but not set");
        return -1;
    }
    if (m->n_types == 0 && m->profile == COORD_CONF_PROFILE_NONE) {
        conf_errorf(err, errlen, &w, "needs types or a profile");
        return -1;
    }
    if (m->smtp && m->profile != COORD_CONF_PROFILE_MAIL) {
        /* the agents probe the MX hosts the mail profile finds */
        w.line = m->smtp_line;
        w.key = "smtp";
        conf_errorf(err, errlen, &w, "needs profile = mail (the probes go to its MX hosts)");
        return -1;
    }
    if (m->n_resolvers == 0) {
        m->resolvers[0] = "local";
        m->resolvers[1] = "auth";
        m->n_resolvers = 2;
    }
    if (m->n_agents == 0)
        m->all_agents = true;
    return 0;
}

int coord_conf_load(const char *path, coord_conf_t **out, char *err, size_t errlen)
{
    coord_conf_parse p = {.section = CC_SEC_NONE};
    *out = NULL;
    coord_conf_t *c = calloc(1, sizeof *c);
    if (!c || !(c->arena = arena_new())) {
        free(c);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    snprintf(c->id, sizeof c->id, "%s", COORD_CONF_ID);
    c->control = COORD_CONF_CONTROL;
    c->store_path = COORD_CONF_STORE;
    c->retention_days = COORD_CONF_RETENTION_DAYS;
    c->skew_ms = COORD_CONF_SKEW_MS;
    c->heartbeat_ms = COORD_CONF_HEARTBEAT_MS;
    c->log_level = LOG_LEVEL_INFO;
    p.conf = c;

    if (conf_load(path, coord_conf_handler, &p, err, errlen) != 0)
        goto fail;
    for (int k = 0; k < CC_KEY_COUNT; k++) {
        if (coord_conf_keys[k].required && !p.key_line[k]) {
            conf_missing(path, "coordinator", coord_conf_keys[k].name, err, errlen);
            goto fail;
        }
    }
    for (size_t i = 0; i < c->n_monitors; i++) {
        if (coord_conf_monitor_finish(&c->monitors[i], path, err, errlen) != 0)
            goto fail;
    }
    *out = c;
    return 0;
fail:
    coord_conf_destroy(&c);
    return -1;
}

void coord_conf_destroy(coord_conf_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    arena_destroy(&(*self_p)->arena);
    free((*self_p)->monitors);
    free(*self_p);
    *self_p = NULL;
}

const coord_conf_monitor_t *coord_conf_find_monitor(const coord_conf_t *self, const char *name)
{
    for (size_t i = 0; i < self->n_monitors; i++) {
        if (strcmp(self->monitors[i].name, name) == 0)
            return &self->monitors[i];
    }
    return NULL;
}

const char *coord_conf_profile_name(coord_conf_profile profile)
{
    return profile == COORD_CONF_PROFILE_MAIL ? "mail" : "";
}

/*
 * agent/agent_conf.c - the agent's config file.
 */
#include "agent/agent_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum agent_conf_section {
    AC_SEC_AGENT,
    AC_SEC_COORDINATOR,
    AC_SEC_RESOLVERS,
    AC_SEC_SMTP,
    AC_SEC_COUNT
} agent_conf_section;

static const char *const agent_conf_sections[AC_SEC_COUNT] = {"agent", "coordinator", "resolvers",
                                                              "smtp"};

typedef enum agent_conf_key {
    AC_ID,
    AC_REGION,
    AC_KEY,
    AC_STATE_DIR,
    AC_SPOOL_MAX,
    AC_LOG_LEVEL,
    AC_SYSLOG,
    AC_ENDPOINT,
    AC_PUBKEY,
    AC_CURVE,
    AC_LOCAL,
    AC_TIMEOUT,
    AC_TRIES,
    AC_RATE,
    AC_BURST,
    AC_SMTP_HELO,
    AC_SMTP_TIMEOUT,
    AC_SMTP_TLS,
    AC_SMTP_CA_FILE,
    AC_SMTP_EXPIRY,
    AC_SMTP_INTERVAL,
    AC_KEY_COUNT
} agent_conf_key;

/* One key of the schema. */
typedef struct agent_conf_spec {
    agent_conf_section section; /* where it belongs */
    const char *name;           /* its name */
    bool required;              /* must be set */
    bool repeat;                /* may be given more than once */
} agent_conf_spec;

static const agent_conf_spec agent_conf_keys[AC_KEY_COUNT] = {
    [AC_ID] = {AC_SEC_AGENT, "id", true, false},
    [AC_REGION] = {AC_SEC_AGENT, "region", true, false},
    [AC_KEY] = {AC_SEC_AGENT, "key", true, false},
    [AC_STATE_DIR] = {AC_SEC_AGENT, "state_dir", false, false},
    [AC_SPOOL_MAX] = {AC_SEC_AGENT, "spool_max", false, false},
    [AC_LOG_LEVEL] = {AC_SEC_AGENT, "log_level", false, false},
    [AC_SYSLOG] = {AC_SEC_AGENT, "syslog", false, false},
    [AC_ENDPOINT] = {AC_SEC_COORDINATOR, "endpoint", true, false},
    [AC_PUBKEY] = {AC_SEC_COORDINATOR, "pubkey", true, true},
    [AC_CURVE] = {AC_SEC_COORDINATOR, "curve", false, false},
    [AC_LOCAL] = {AC_SEC_RESOLVERS, "local", false, false},
    [AC_TIMEOUT] = {AC_SEC_RESOLVERS, "timeout", false, false},
    [AC_TRIES] = {AC_SEC_RESOLVERS, "tries", false, false},
    [AC_RATE] = {AC_SEC_RESOLVERS, "rate", false, false},
    [AC_BURST] = {AC_SEC_RESOLVERS, "burst", false, false},
    [AC_SMTP_HELO] = {AC_SEC_SMTP, "helo", false, false},
    [AC_SMTP_TIMEOUT] = {AC_SEC_SMTP, "timeout", false, false},
    [AC_SMTP_TLS] = {AC_SEC_SMTP, "tls", false, false},
    [AC_SMTP_CA_FILE] = {AC_SEC_SMTP, "ca_file", false, false},
    [AC_SMTP_EXPIRY] = {AC_SEC_SMTP, "expiry_days", false, false},
    [AC_SMTP_INTERVAL] = {AC_SEC_SMTP, "min_interval", false, false},
};

/* Parse state. */
typedef struct agent_conf_parse {
    agent_conf_t *conf;             /* being filled */
    int section;                    /* current section; -1 before the first */
    int section_line[AC_SEC_COUNT]; /* header line of each section seen; 0: not seen */
    int key_line[AC_KEY_COUNT];     /* first line of each key seen; 0: not seen */
} agent_conf_parse;

static int agent_conf_find_section(const char *name)
{
    for (int i = 0; i < AC_SEC_COUNT; i++) {
        if (strcmp(name, agent_conf_sections[i]) == 0)
            return i;
    }
    return -1;
}

static int agent_conf_find_key(int section, const char *name, int *elsewhere)
{
    *elsewhere = -1;
    for (int i = 0; i < AC_KEY_COUNT; i++) {
        if (strcmp(name, agent_conf_keys[i].name) != 0)
            continue;
        if ((int)agent_conf_keys[i].section == section)
            return i;
        *elsewhere = (int)agent_conf_keys[i].section;
    }
    return -1;
}

static const char *agent_conf_strdup(agent_conf_t *conf, const char *value, char *err,
                                     size_t errlen)
{
    const char *s = arena_strdup(conf->arena, value);
    if (!s)
        snprintf(err, errlen, "out of memory");
    return s;
}

static int agent_conf_value(agent_conf_parse *p, agent_conf_key key, const char *value, char *err,
                            size_t errlen)
{
    agent_conf_t *c = p->conf;
    uint64_t n = 0;
    switch (key) {
    case AC_ID:
        return conf_parse_id(value, c->id, err, errlen);
    case AC_REGION:
        return conf_parse_id(value, c->region, err, errlen);
    case AC_KEY:
    case AC_STATE_DIR:
        if (!*value) {
            snprintf(err, errlen, "empty path");
            return -1;
        }
        if (key == AC_KEY)
            c->key_path = agent_conf_strdup(c, value, err, errlen);
        else
            c->state_dir = agent_conf_strdup(c, value, err, errlen);
        return (key == AC_KEY ? c->key_path : c->state_dir) ? 0 : -1;
    case AC_SPOOL_MAX:
        return conf_parse_uint(value, 1, 10000000, &c->spool_max, err, errlen);
    case AC_LOG_LEVEL:
        if (!log_level_parse(value, &c->log_level)) {
            snprintf(err, errlen, "'%s' is not a log level (err, warn, info or debug)", value);
            return -1;
        }
        return 0;
    case AC_SYSLOG:
        return conf_parse_bool(value, &c->syslog, err, errlen);
    case AC_ENDPOINT:
        if (conf_parse_endpoint(value, CONF_ENDPOINT_CONNECT, err, errlen) != 0)
            return -1;
        c->endpoint = agent_conf_strdup(c, value, err, errlen);
        return c->endpoint ? 0 : -1;
    case AC_PUBKEY:
        if (c->n_coord_pks == AGENT_CONF_MAX_PUBKEYS) {
            snprintf(err, errlen, "too many keys (at most %d)", AGENT_CONF_MAX_PUBKEYS);
            return -1;
        }
        if (keyfile_parse_public_err(value, c->coord_pks[c->n_coord_pks], err, errlen) != 0)
            return -1;
        c->n_coord_pks++;
        return 0;
    case AC_CURVE:
        return conf_parse_bool(value, &c->curve, err, errlen);
    case AC_LOCAL:
        if (strcmp(value, "system") != 0 && conf_parse_addr_port(value, NULL, 0) != 0) {
            snprintf(err, errlen,
                     "'%s' is not \"system\" or an IP address (ADDR, ADDR:PORT, [IPV6] or "
                     "[IPV6]:PORT)",
                     value);
            return -1;
        }
        c->resolver_local = agent_conf_strdup(c, value, err, errlen);
        return c->resolver_local ? 0 : -1;
    case AC_TIMEOUT:
        return conf_parse_duration_ms(value, 100, 60000, &c->timeout_ms, err, errlen);
    case AC_TRIES:
        if (conf_parse_uint(value, 1, 10, &n, err, errlen) != 0)
            return -1;
        c->tries = (unsigned)n;
        return 0;
    case AC_RATE:
    case AC_BURST:
        if (conf_parse_uint(value, 1, 100000, &n, err, errlen) != 0)
            return -1;
        *(key == AC_RATE ? &c->rate : &c->burst) = (unsigned)n;
        return 0;
    case AC_SMTP_HELO:
        if (!*value || strlen(value) > 253 ||
            strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
                strlen(value)) {
            snprintf(err, errlen, "'%s' is not a host name (letters, digits, '-', '.')", value);
            return -1;
        }
        c->smtp_helo = agent_conf_strdup(c, value, err, errlen);
        return c->smtp_helo ? 0 : -1;
    case AC_SMTP_TIMEOUT:
        return conf_parse_duration_ms(value, 100, 300000, &c->smtp_timeout_ms, err, errlen);
    case AC_SMTP_TLS:
        return conf_parse_bool(value, &c->smtp_tls, err, errlen);
    case AC_SMTP_CA_FILE:
        if (access(value, R_OK) != 0) {
            snprintf(err, errlen, "cannot read '%s': %s", value, strerror(errno));
            return -1;
        }
        c->smtp_ca_file = agent_conf_strdup(c, value, err, errlen);
        return c->smtp_ca_file ? 0 : -1;
    case AC_SMTP_EXPIRY:
        if (conf_parse_uint(value, 1, 3650, &n, err, errlen) != 0)
            return -1;
        c->smtp_expiry_days = (unsigned)n;
        return 0;
    case AC_SMTP_INTERVAL:
        return conf_parse_duration_ms(value, 0, 86400000, &c->smtp_min_interval_ms, err, errlen);
    case AC_KEY_COUNT:
        break;
    }
    snprintf(err, errlen, "unknown key");
    return -1;
}

static int agent_conf_handler(void *ctx, const conf_where *w, const char *value, char *err,
                              size_t errlen)
{
    agent_conf_parse *p = ctx;
    if (!w->key) {
        int s = agent_conf_find_section(w->section);
        if (s < 0) {
            snprintf(err, errlen,
                     "unknown section (known: [agent], [coordinator], [resolvers], [smtp])");
            return -1;
        }
        if (p->section_line[s]) {
            snprintf(err, errlen, "section repeated (first at line %d)", p->section_line[s]);
            return -1;
        }
        p->section_line[s] = w->line;
        p->section = s;
        return 0;
    }
    if (p->section < 0) {
        snprintf(err, errlen, "key before the first [section]");
        return -1;
    }
    int elsewhere = -1;
    int k = agent_conf_find_key(p->section, w->key, &elsewhere);
    if (k < 0) {
        if (elsewhere >= 0)
            snprintf(err, errlen, "unknown key (it belongs in [%s])",
                     agent_conf_sections[elsewhere]);
        else
            snprintf(err, errlen, "unknown key");
        return -1;
    }
    if (p->key_line[k] && !agent_conf_keys[k].repeat) {
        snprintf(err, errlen, "set twice (first at line %d)", p->key_line[k]);
        return -1;
    }
    if (!p->key_line[k])
        p->key_line[k] = w->line;
    return agent_conf_value(p, (agent_conf_key)k, value, err, errlen);
}

int agent_conf_load(const char *path, agent_conf_t **out, char *err, size_t errlen)
{
    agent_conf_parse p = {.section = -1};
    *out = NULL;
    agent_conf_t *c = calloc(1, sizeof *c);
    if (!c || !(c->arena = arena_new())) {
        free(c);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    c->state_dir = AGENT_CONF_STATE_DIR;
    c->spool_max = AGENT_CONF_SPOOL_MAX;
    c->log_level = LOG_LEVEL_INFO;
    c->resolver_local = AGENT_CONF_LOCAL;
    c->timeout_ms = AGENT_CONF_TIMEOUT_MS;
    c->tries = AGENT_CONF_TRIES;
    c->rate = AGENT_CONF_RATE;
    c->burst = AGENT_CONF_BURST;
    c->smtp_timeout_ms = AGENT_CONF_SMTP_TIMEOUT_MS;
    c->smtp_tls = true;
    c->smtp_expiry_days = AGENT_CONF_SMTP_EXPIRY;
    c->smtp_min_interval_ms = AGENT_CONF_SMTP_INTERVAL_MS;
    p.conf = c;

    if (conf_load(path, agent_conf_handler, &p, err, errlen) != 0)
        goto fail;
    for (int k = 0; k < AC_KEY_COUNT; k++) {
        if (agent_conf_keys[k].required && !p.key_line[k]) {
            conf_missing(path, agent_conf_sections[agent_conf_keys[k].section],
                         agent_conf_keys[k].name, err, errlen);
            goto fail;
        }
    }
    *out = c;
    return 0;
fail:
    agent_conf_destroy(&c);
    return -1;
}

void agent_conf_destroy(agent_conf_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    arena_destroy(&(*self_p)->arena);
    free(*self_p);
    *self_p = NULL;
}

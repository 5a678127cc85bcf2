/*
 * agent/agent_conf.h - the agent's config file.
 *
 * Sections [agent], [coordinator] and [resolvers]; unknown sections and keys,
 * a key set twice and a section repeated are errors, and every error names
 * the file, line, section and key (see common/conf.h). The key file is named
 * here but not loaded: the caller does that with keyfile_load_secret().
 *
 *   [agent]        id, region, key (required); state_dir, spool_max,
 *                  log_level, syslog
 *   [coordinator]  endpoint, pubkey (required; pubkey may repeat, up to
 *                  AGENT_CONF_MAX_PUBKEYS, for key rotation); curve
 *   [resolvers]    local, timeout, tries, rate, burst
 *   [smtp]         helo, timeout, tls, ca_file, expiry_days, min_interval
 */
#ifndef VANTAGE_AGENT_AGENT_CONF_H
#define VANTAGE_AGENT_AGENT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/conf.h"
#include "common/keyfile.h"
#include "common/log.h"

/* Most coordinator keys pinned at once. */
#define AGENT_CONF_MAX_PUBKEYS 8

/* A loaded agent config; every string is owned by it. */
typedef struct agent_conf {
    char id[CONF_ID_MAX];     /* this agent's id */
    char region[CONF_ID_MAX]; /* its region */
    const char *key_path;     /* its secret key file (not loaded here) */
    const char *state_dir;    /* folder for the spool and sequence numbers */
    uint64_t spool_max;       /* most batches kept on disk */
    log_level log_level;      /* logging threshold */
    bool syslog;              /* log to syslog instead of stderr */
    const char *endpoint;     /* coordinator endpoint to connect to */
    unsigned char coord_pks[AGENT_CONF_MAX_PUBKEYS][KEYFILE_PK_BYTES]; /* pinned coordinator keys */
    size_t n_coord_pks;            /* entries used in coord_pks (1..8) */
    bool curve;                    /* CURVE encryption on the link */
    const char *resolver_local;    /* "system" (/etc/resolv.conf) or ADDR[:PORT] */
    uint64_t timeout_ms;           /* timeout of one try of a query */
    unsigned tries;                /* tries per query */
    unsigned rate;                 /* queries per second per resolver */
    unsigned burst;                /* burst allowance per resolver */
    const char *smtp_helo;         /* EHLO name, NULL = the host name */
    uint64_t smtp_timeout_ms;      /* SMTP connect and each reply */
    bool smtp_tls;                 /* complete the STARTTLS handshake */
    const char *smtp_ca_file;      /* CAs for the chain check, NULL = the system's */
    unsigned smtp_expiry_days;     /* SMTP_TLS_EXPIRING within this many days */
    uint64_t smtp_min_interval_ms; /* between two probes of one address */
    arena_t *arena;                /* owns the strings above */
} agent_conf_t;

/* Defaults of the optional keys. */
#define AGENT_CONF_STATE_DIR        "/var/lib/vantage-agent"
#define AGENT_CONF_SPOOL_MAX        10000
#define AGENT_CONF_LOCAL            "system"
#define AGENT_CONF_TIMEOUT_MS       2000
#define AGENT_CONF_TRIES            2
#define AGENT_CONF_RATE             20
#define AGENT_CONF_BURST            40
#define AGENT_CONF_SMTP_TIMEOUT_MS  5000
#define AGENT_CONF_SMTP_EXPIRY      14
#define AGENT_CONF_SMTP_INTERVAL_MS 60000

/*
 * Load and check the config at path. 0 with *out set (caller frees with
 * agent_conf_destroy()), or -1 with err filled and *out NULL.
 */
int agent_conf_load(const char *path, agent_conf_t **out, char *err, size_t errlen);

/* Free a config and set *self_p to NULL; NULL is fine. */
void agent_conf_destroy(agent_conf_t **self_p);

#endif

/*
 * coordinator/coord_conf.h - the coordinator's config file.
 *
 * Section [coordinator] and any number of [monitor NAME] sections. Unknown
 * sections and keys, a key set twice (except the list keys types, resolvers
 * and agents, whose repeats add to the list) and a section repeated are
 * errors; every error names the file, line, section and key (see
 * common/conf.h). The key file and the allow-list are named here but not
 * loaded (keyfile_load_secret(), coord_allowlist_load()).
 *
 *   [coordinator]    listen, key, allowlist (required); id, control, store,
 *                    retention_days, skew, heartbeat, curve, log_level, syslog
 *   [monitor NAME]   name (required); types and/or profile (one of them
 *                    required); resolvers, interval, agents, geo, smtp (needs
 *                    profile = mail)
 */
#ifndef VANTAGE_COORDINATOR_COORD_CONF_H
#define VANTAGE_COORDINATOR_COORD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/conf.h"
#include "common/log.h"

/* Most record types in one monitor. */
#define COORD_CONF_MAX_TYPES 16
/* Most resolver words in one monitor. */
#define COORD_CONF_MAX_RESOLVERS 16
/* Most agent ids named in one monitor. */
#define COORD_CONF_MAX_AGENTS 4096

/* Defaults of the optional keys. */
#define COORD_CONF_ID             "coord"
#define COORD_CONF_CONTROL        "ipc:///run/vantage/control.sock"
#define COORD_CONF_STORE          "/var/lib/vantage-coord/vantage.db"
#define COORD_CONF_RETENTION_DAYS 30
#define COORD_CONF_SKEW_MS        300000
#define COORD_CONF_HEARTBEAT_MS   10000
#define COORD_CONF_INTERVAL_MS    300000

/* Sets of checks a monitor can ask for by name. */
typedef enum coord_conf_profile {
    COORD_CONF_PROFILE_NONE = 0, /* only the listed types */
    COORD_CONF_PROFILE_MAIL,     /* the mail-health checks */
} coord_conf_profile;

/* One [monitor NAME] section. */
typedef struct coord_conf_monitor {
    char name[CONF_ID_MAX];                          /* NAME from the section header */
    int line;                                        /* line of that header */
    const char *qname;                               /* domain, lower case, no final dot */
    const char *types[COORD_CONF_MAX_TYPES];         /* record type names, upper case */
    size_t n_types;                                  /* entries in types */
    coord_conf_profile profile;                      /* named set of checks */
    const char *resolvers[COORD_CONF_MAX_RESOLVERS]; /* "local", "auth" or ADDR[:PORT] */
    size_t n_resolvers;                              /* entries in resolvers */
    uint64_t interval_ms;                            /* time between two checks */
    bool all_agents;                                 /* agents = all */
    const char **agents;                             /* agent ids unless all_agents */
    size_t n_agents;                                 /* entries in agents */
    bool geo;                                        /* answers may differ by region */
    bool smtp;                                       /* probe SMTP on every MX address */
    int smtp_line;                                   /* line of the smtp key; 0: not set */
} coord_conf_monitor_t;

/* A loaded coordinator config; every string is owned by it. */
typedef struct coord_conf {
    char id[CONF_ID_MAX];           /* the coordinator's id */
    const char *listen;             /* endpoint the agents connect to */
    const char *key_path;           /* its secret key file (not loaded here) */
    const char *allowlist_path;     /* allow-list file or folder (not loaded here) */
    const char *control;            /* endpoint of the control socket (vantagectl) */
    const char *store_path;         /* SQLite database */
    uint64_t retention_days;        /* days observations are kept */
    uint64_t skew_ms;               /* largest accepted clock difference of a message */
    uint64_t heartbeat_ms;          /* heartbeat interval */
    bool curve;                     /* CURVE encryption on the agents' link */
    log_level log_level;            /* logging threshold */
    bool syslog;                    /* log to syslog instead of stderr */
    coord_conf_monitor_t *monitors; /* n_monitors monitors, in file order */
    size_t n_monitors;              /* entries in monitors */
    arena_t *arena;                 /* owns the strings above */
} coord_conf_t;

/*
 * Load and check the config at path. 0 with *out set (caller frees with
 * coord_conf_destroy()), or -1 with err filled and *out NULL.
 */
int coord_conf_load(const char *path, coord_conf_t **out, char *err, size_t errlen);

/* Free a config and set *self_p to NULL; NULL is fine. */
void coord_conf_destroy(coord_conf_t **self_p);

/* The monitor called name, or NULL. */
const coord_conf_monitor_t *coord_conf_find_monitor(const coord_conf_t *self, const char *name);

/* Name of a profile ("" for none, "mail"). */
const char *coord_conf_profile_name(coord_conf_profile profile);

#endif

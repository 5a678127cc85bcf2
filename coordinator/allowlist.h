/*
 * coordinator/allowlist.h - the agents the coordinator accepts, with their keys.
 *
 * The allow-list is one INI file, or a folder whose *.conf files (not those
 * starting with '.') are read in name order. Each file holds sections
 *   [agent ID]
 *   region = REGION     ; required, an identifier
 *   pubkey = BASE64     ; required, the agent's Ed25519 public key
 * An agent id declared twice (in one file or across files) is an error that
 * names both places, and so is one public key given to two agents (either
 * could then sign as the other). Errors use common/conf.h's form.
 */
#ifndef VANTAGE_COORDINATOR_ALLOWLIST_H
#define VANTAGE_COORDINATOR_ALLOWLIST_H

#include <stddef.h>

#include "common/conf.h"
#include "common/keyfile.h"

/* One allowed agent. */
typedef struct coord_allowlist_entry {
    char id[CONF_ID_MAX];               /* agent id */
    char region[CONF_ID_MAX];           /* its region */
    unsigned char pk[KEYFILE_PK_BYTES]; /* its Ed25519 public key */
    const char *file;                   /* file that declares it */
    int line;                           /* line of its [agent ID] header there */
} coord_allowlist_entry;

typedef struct coord_allowlist coord_allowlist_t;

/*
 * Load the allow-list file or folder at path. 0 with *out set (caller frees
 * with coord_allowlist_destroy()), or -1 with err filled and *out NULL.
 */
int coord_allowlist_load(const char *path, coord_allowlist_t **out, char *err, size_t errlen);

/* Free an allow-list and set *self_p to NULL; NULL is fine. */
void coord_allowlist_destroy(coord_allowlist_t **self_p);

/* The entry of agent id, or NULL; borrowed from self. */
const coord_allowlist_entry *coord_allowlist_find(const coord_allowlist_t *self, const char *id);

/* Number of agents. */
size_t coord_allowlist_count(const coord_allowlist_t *self);

/* Entry i (0..count-1) in id order; borrowed from self. */
const coord_allowlist_entry *coord_allowlist_at(const coord_allowlist_t *self, size_t i);

#endif

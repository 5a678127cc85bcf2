/*
 * coordinator/views.h - what vantagectl's status, diff and monitors show:
 * the latest observation of every vantage point of a question, compared
 * (coordinator/compare.h), as JSON documents (schema in docs/cli.md).
 */
#ifndef VANTAGE_COORDINATOR_VIEWS_H
#define VANTAGE_COORDINATOR_VIEWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "coordinator/coord_conf.h"
#include "coordinator/store.h"

/* An agent's clock offset (agent minus coordinator, ms); *has false when unknown. */
typedef int64_t (*views_offset_fn)(void *ctx, const char *agent, bool *has);

/* Where views read from. */
typedef struct views_ctx {
    const coord_conf_t *conf; /* monitors */
    store_t *store;           /* observations */
    views_offset_fn offset;   /* agents' clock offsets */
    void *offset_ctx;         /* passed to offset */
    int64_t now_ms;           /* coordinator clock */
} views_ctx;

/*
 * The comparison of (qname, qtype) as a JSON object: state, summary, the
 * current answer and serial, each distinct answer with the vantage points
 * that see it, the causes. NULL with err filled on a store error.
 */
json_t *views_compare(const views_ctx *v, const char *qname, uint16_t qtype, bool geo, char *err,
                      size_t errlen);

/*
 * Every monitored (name, type) of the config (a monitor's types, and MX for
 * the mail profile), or only those of name: {"items": [compare objects],
 * "exit": worst exit code}. NULL with err filled on error.
 */
json_t *views_status(const views_ctx *v, const char *name, char *err, size_t errlen);

/*
 * When each vantage point's answer to (qname, qtype) changed since since_ms
 * (coordinator clock): {"name", "type", "changes": [{agent, region,
 * resolver, kind, time, status, answer}, ...]} oldest first.
 */
json_t *views_history(const views_ctx *v, const char *qname, uint16_t qtype, int64_t since_ms,
                      char *err, size_t errlen);

/* The monitors of the config with their state: {"monitors": [...]}. */
json_t *views_monitors(const views_ctx *v, char *err, size_t errlen);

#endif

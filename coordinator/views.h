/*
 * coordinator/views.h - what vantagectl's status, diff and monitors show:
 * the latest observation of every vantage point of a question, compared
 * (coordinator/compare.h), and the latest SMTP probe of every agent of
 * every MX address (coordinator/smtpcmp.h), as JSON documents (schema in
 * docs/cli.md).
 */
#ifndef VANTAGE_COORDINATOR_VIEWS_H
#define VANTAGE_COORDINATOR_VIEWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "coordinator/coord_conf.h"
#include "coordinator/smtpcmp.h"
#include "coordinator/store.h"

/* How much older than an agent's newest probe of an MX host (beyond the monitor's interval) a
 * probe of another address of the host may be and still count: a probe run takes a while. */
#define VIEWS_SMTP_STALE_MARGIN_MS 600000

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
 * the mail profile), and for a monitor with smtp = yes its SMTP item
 * (views_smtp_monitor()), or only those of name: {"items": [compare
 * objects and SMTP items], "exit": worst exit code}. NULL with err filled on
 * error.
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

/*
 * SMTP reachability of the probes in, by MX address: {"state", "summary",
 * "addresses": [{host, addr, port, endpoint, state, summary, groups,
 * probes, exit}, ...], "exit"}. stale_ms as in smtpcmp_opts; now_ms (the
 * coordinator's clock) for each probe's age. NULL with err filled on error.
 */
json_t *views_smtp_report(const smtpcmp_probe *in, size_t n, int64_t stale_ms, int64_t now_ms,
                          char *err, size_t errlen);

/*
 * The SMTP item of monitor m: {"name", "type": "SMTP", "monitor", "hosts",
 * then views_smtp_report()'s keys}, over the latest probe of every agent of
 * every address of the MX hosts that the latest MX answers of m's domain
 * name (the domain itself when they name none), stale after m's interval
 * plus VIEWS_SMTP_STALE_MARGIN_MS. NULL with err filled on error.
 */
json_t *views_smtp_monitor(const views_ctx *v, const coord_conf_monitor_t *m, char *err,
                           size_t errlen);

#endif

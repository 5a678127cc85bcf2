/*
 * proto/json.h - the JSON form of observations, findings and SMTP probes.
 *
 * One definition, shared by `vantage-agent check --json` and vantagectl, so
 * that every command prints an observation and a finding the same way. The
 * schema is documented in docs/cli.md.
 */
#ifndef VANTAGE_PROTO_JSON_H
#define VANTAGE_PROTO_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "proto/msg.h"

/* New JSON object for an observation; NULL when out of memory. Caller decrefs. */
json_t *pjson_obs(const proto_obs *obs);

/* New JSON object for a finding; NULL when out of memory. Caller decrefs. */
json_t *pjson_finding(const proto_finding *f);

/* New JSON object for an SMTP probe; NULL when out of memory. Caller decrefs. */
json_t *pjson_smtp(const proto_smtp *p);

/* "ok", "refused", "timeout", "unreachable", "closed", "greeting_bad", "protocol",
 * "tls_failed", "error", "skipped": the status word of an SMTP probe ("unknown" above
 * PROTO_SMTP_STATUS_MAX). */
const char *pjson_smtp_status(unsigned status);

/* "ok", "nxdomain", "nodata", "timeout", "refused", "servfail", "network",
 * "malformed", "other", "incomplete": the status word of an observation. */
const char *pjson_obs_status(const proto_obs *obs);

/* "info", "warning", "critical". */
const char *pjson_severity(unsigned severity);

/* "NOERROR", "NXDOMAIN", ... or "RCODE23" into buf. */
const char *pjson_rcode(unsigned rcode, char *buf, size_t len);

/* "MX", "A", ... or "TYPE65280" into buf. */
const char *pjson_type(unsigned qtype, char *buf, size_t len);

/* ISO 8601 UTC with milliseconds ("2026-11-26T10:55:10.123Z") into buf. */
const char *pjson_time(int64_t ms, char *buf, size_t len);

#endif

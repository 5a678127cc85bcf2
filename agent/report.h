/*
 * agent/report.h - a finished check as RESULTS bodies for the coordinator.
 *
 * A check can hold more observations than one batch should carry, so its
 * observations are cut into batches of at most REPORT_BATCH_OBS; the
 * findings travel with the last batch. Each body is handed to a sink (the
 * daemon gives it a sequence number, spools it and sends it).
 */
#ifndef VANTAGE_AGENT_REPORT_H
#define VANTAGE_AGENT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "agent/check.h"

#define REPORT_BATCH_OBS 100

/* Takes one encoded RESULTS body (borrowed for the call); 0 or -1 to stop. */
typedef int (*report_sink)(void *ctx, const uint8_t *body, size_t len);

/* What a run adds to its check: SMTP probes and their findings. */
typedef struct report_extra {
    proto_smtp *smtp;           /* probes (with the last batch), or NULL */
    size_t n_smtp;              /* count */
    const findings_t *findings; /* findings after the check's own, or NULL */
} report_extra;

/*
 * Encode the observations and findings of the finished check c (and extra,
 * which may be NULL) as RESULTS bodies carrying check_id (0 for monitor
 * runs) and monitor (or NULL). Returns 0, or -1 with err filled (encoding
 * failed or the sink refused).
 */
int report_check(const check_t *c, const report_extra *extra, uint64_t check_id,
                 const char *monitor, report_sink sink, void *ctx, char *err, size_t errlen);

#endif

/*
 * agent/report.c - a finished check as RESULTS bodies for the coordinator.
 */
#include "agent/report.h"

#include <stdio.h>
#include <stdlib.h>

#include "proto/envelope.h"

int report_check(const check_t *c, uint64_t check_id, const char *monitor, report_sink sink,
                 void *ctx, char *err, size_t errlen)
{
    size_t n = check_answer_count(c);
    const findings_t *f = check_findings(c);
    proto_obs *obs = calloc(n ? n : 1, sizeof *obs);
    if (!obs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        obs[i] = check_answer(c, i)->obs;
    int rc = 0;
    size_t i = 0;
    do {
        size_t take = n - i > REPORT_BATCH_OBS ? REPORT_BATCH_OBS : n - i;
        bool last = i + take == n;
        proto_results r = {.check_id = check_id,
                           .monitor = monitor,
                           .incomplete = check_incomplete(c),
                           .obs = obs + i,
                           .n_obs = take,
                           .findings = last ? f->v : NULL,
                           .n_findings = last ? f->n : 0};
        uint8_t *body;
        size_t len;
        proto_error perr;
        if (proto_body_pack(PROTO_RESULTS, &r, &body, &len, &perr) != PROTO_OK) {
            char buf[160];
            snprintf(err, errlen, "cannot encode the results of %s: %s", check_domain(c),
                     proto_error_format(&perr, buf, sizeof buf));
            rc = -1;
            break;
        }
        rc = sink(ctx, body, len);
        free(body);
        if (rc != 0) {
            snprintf(err, errlen, "the results of %s could not be spooled", check_domain(c));
            break;
        }
        i += take;
    } while (i < n);
    free(obs);
    return rc;
}

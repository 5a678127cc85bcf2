/*
 * agent/report.c - a finished check as RESULTS bodies for the coordinator.
 */
#include "agent/report.h"

#include <stdio.h>
#include <stdlib.h>

#include "proto/envelope.h"

int report_check(const check_t *c, const report_extra *extra, uint64_t check_id,
                 const char *monitor, report_sink sink, void *ctx, char *err, size_t errlen)
{
    size_t n = check_answer_count(c);
    const findings_t *f = check_findings(c);
    const findings_t *xf = extra ? extra->findings : NULL;
    size_t nf = f->n + (xf ? xf->n : 0);
    proto_obs *obs = calloc(n ? n : 1, sizeof *obs);
    proto_finding *fv = calloc(nf ? nf : 1, sizeof *fv);
    if (!obs || !fv) {
        free(obs);
        free(fv);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        obs[i] = check_answer(c, i)->obs;
    for (size_t i = 0; i < f->n; i++)
        fv[i] = f->v[i];
    for (size_t i = 0; xf && i < xf->n; i++)
        fv[f->n + i] = xf->v[i];
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
                           .findings = last ? fv : NULL,
                           .n_findings = last ? nf : 0,
                           .smtp = last && extra ? extra->smtp : NULL,
                           .n_smtp = last && extra ? extra->n_smtp : 0};
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
    free(fv);
    return rc;
}

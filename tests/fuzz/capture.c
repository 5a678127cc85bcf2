/*
 * tests/fuzz/capture.c - record real DNS answers as seeds for fuzz_answer.
 *
 * Sends each question of a query file to one server through agent/dnsq
 * (c-ares, EDNS, AD, TCP after truncation, as the agent sends them) and
 * writes each raw answer, byte for byte, to OUTDIR/NNN-NAME-TYPE.bin.
 * NNN counts from FIRST (default 1), so several runs can share a folder.
 * Run inside the lab by `make fuzz-capture`.
 *
 *   capture SERVER QUERYFILE OUTDIR [FIRST]
 *
 * A query file line is "NAME TYPE [rd] [nsid]": rd sets recursion desired,
 * nsid asks for the server's NSID (RFC 5001). '#' starts a comment.
 * Exit status 1 when a question got no answer at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/dnsq.h"
#include "common/clock.h"
#include "common/dnsname.h"

#define CAPTURE_DEADLINE_MS 10000

/* One question and where its answer goes. */
typedef struct capture_q {
    char name[300];  /* question name as written */
    char type[32];   /* type mnemonic as written */
    uint16_t qtype;  /* its number */
    unsigned flags;  /* DNSQ_RD, DNSQ_NSID */
    char path[1024]; /* output file */
    bool answered;   /* a wire answer was written */
} capture_q;

/* The file name part for a DNS name: no trailing dot, only [A-Za-z0-9._-]. */
static void capture_safe(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    for (; *in && n + 1 < outlen; in++) {
        char c = *in;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
        out[n++] = ok ? c : '_';
    }
    while (n > 1 && out[n - 1] == '.')
        n--;
    out[n] = '\0';
}

static void on_answer(void *arg, const answer_raw *raw)
{
    capture_q *q = arg;
    if (!raw->wire) {
        fprintf(stderr, "capture: %s %s: no answer (c-ares status %d)\n", q->name, q->type,
                raw->ares_status);
        return;
    }
    FILE *fp = fopen(q->path, "wb");
    if (!fp || fwrite(raw->wire, 1, raw->len, fp) != raw->len) {
        fprintf(stderr, "capture: %s: %s\n", q->path, strerror(errno));
        if (fp)
            fclose(fp);
        return;
    }
    if (fclose(fp) != 0) {
        fprintf(stderr, "capture: %s: %s\n", q->path, strerror(errno));
        return;
    }
    q->answered = true;
    printf("%s (%zu bytes%s%s)\n", q->path, raw->len, raw->tcp ? ", TCP" : "",
           raw->tc_seen ? " after TC" : "");
}

/* Read the query file into *out (malloced); returns the count, or -1 on error. */
static long capture_load(const char *path, const char *outdir, unsigned first, capture_q **out)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "capture: %s: %s\n", path, strerror(errno));
        return -1;
    }
    capture_q *qs = NULL;
    size_t n = 0, cap = 0;
    char line[512];
    unsigned lineno = 0;
    long rc = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *tok[4] = {NULL};
        size_t nt = 0;
        for (char *save = NULL, *t = strtok_r(line, " \t\r\n", &save); t && nt < 4;
             t = strtok_r(NULL, " \t\r\n", &save))
            tok[nt++] = t;
        if (nt == 0)
            continue;
        ldns_rr_type t;
        if (nt < 2 || !dnsname_type_from_str(tok[1], &t) || strlen(tok[0]) >= 300 ||
            strlen(tok[1]) >= 32) {
            fprintf(stderr, "capture: %s:%u: want NAME TYPE [rd] [nsid]\n", path, lineno);
            rc = -1;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            capture_q *grown = realloc(qs, cap * sizeof *qs);
            if (!grown) {
                rc = -1;
                break;
            }
            qs = grown;
        }
        capture_q *q = &qs[n];
        memset(q, 0, sizeof *q);
        snprintf(q->name, sizeof q->name, "%s", tok[0]);
        snprintf(q->type, sizeof q->type, "%s", tok[1]);
        q->qtype = (uint16_t)t;
        for (size_t i = 2; i < nt; i++) {
            if (strcmp(tok[i], "rd") == 0)
                q->flags |= DNSQ_RD;
            else if (strcmp(tok[i], "nsid") == 0)
                q->flags |= DNSQ_NSID;
        }
        char safe_name[300], safe_type[32];
        capture_safe(q->name, safe_name, sizeof safe_name);
        capture_safe(q->type, safe_type, sizeof safe_type);
        snprintf(q->path, sizeof q->path, "%s/%03u-%s-%s.bin", outdir, first + (unsigned)n,
                 safe_name, safe_type);
        n++;
    }
    fclose(fp);
    if (rc != 0) {
        free(qs);
        return -1;
    }
    *out = qs;
    return (long)n;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: capture SERVER QUERYFILE OUTDIR [FIRST]\n");
        return 2;
    }
    unsigned first = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 1;
    capture_q *qs = NULL;
    long n = capture_load(argv[2], argv[3], first, &qs);
    if (n <= 0) {
        fprintf(stderr, "capture: no questions in %s\n", argv[2]);
        return 1;
    }
    char err[256];
    dnsq_opts o = {.timeout_ms = 1000, .tries = 2, .rate = 1000, .burst = 100};
    dnsq_t *engine = dnsq_new(&o, err, sizeof err);
    dnsq_server_t *srv = engine ? dnsq_server_get(engine, argv[1], err, sizeof err) : NULL;
    if (!srv) {
        fprintf(stderr, "capture: %s\n", err);
        dnsq_destroy(&engine);
        free(qs);
        return 1;
    }
    int rc = 0;
    for (long i = 0; i < n; i++) {
        if (dnsq_query(engine, srv, qs[i].name, qs[i].qtype, qs[i].flags, on_answer, &qs[i]) == 0) {
            fprintf(stderr, "capture: cannot ask %s %s\n", qs[i].name, qs[i].type);
            rc = 1;
        }
    }
    dnsq_run(engine, clock_mono_ms() + CAPTURE_DEADLINE_MS);
    dnsq_destroy(&engine);
    for (long i = 0; i < n; i++)
        rc |= qs[i].answered ? 0 : 1;
    free(qs);
    return rc;
}

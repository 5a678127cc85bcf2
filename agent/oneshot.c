/*
 * agent/oneshot.c - `vantage-agent check`: one check, printed, then exit.
 */
#include "agent/oneshot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/check.h"
#include "agent/dnsq.h"
#include "agent/smtp.h"
#include "agent/smtpcheck.h"
#include "common/arena.h"
#include "common/clock.h"
#include "common/dnsname.h"
#include "proto/json.h"

#define EXIT_OK       0
#define EXIT_WARNING  1
#define EXIT_CRITICAL 2
#define EXIT_UNKNOWN  3
#define PRIVATE_MAX   16

/* Parsed command line. */
typedef struct oneshot_opts {
    check_spec spec;                           /* what to check */
    dnsq_opts dnsq;                            /* engine settings */
    bool json;                                 /* --json */
    profile_range private_ranges[PRIVATE_MAX]; /* --private-range */
    size_t n_private;                          /* count */
    bool smtp;                                 /* --smtp */
    smtp_opts smtpo;                           /* --helo, --no-tls, --smtp-timeout, --ca-file */
    unsigned expiring_days;                    /* --tls-expiry-days */
} oneshot_opts;

/* What a run found: the check's findings and the SMTP probes' (in arena). */
typedef struct oneshot_out {
    findings_t findings; /* every finding */
    proto_smtp *smtp;    /* probes, one per MX address */
    size_t n_smtp;       /* count */
    int64_t elapsed_ms;  /* the whole run */
} oneshot_out;

static void oneshot_usage(FILE *out)
{
    fprintf(
        out,
        "usage: vantage-agent check DOMAIN [--type TYPE]... [--profile mail]\n"
        "                           [--resolver local|auth|ADDR[:PORT]]... [--timeout MS]\n"
        "                           [--tries N] [--deadline MS] [--resolv-conf FILE]\n"
        "                           [--private-range CIDR]... [--rate QPS] [--burst N] [--json]\n"
        "                           [--smtp [--helo NAME] [--no-tls] [--smtp-timeout MS]\n"
        "                                   [--ca-file FILE] [--tls-expiry-days N]]\n"
        "\n"
        "Ask DOMAIN's records at each resolver and print the answers and findings.\n"
        "\n"
        "  -t, --type TYPE        record type to ask (A, AAAA, MX, TXT, ...; repeatable,\n"
        "                         or comma separated); default A unless --profile is given\n"
        "  -p, --profile mail     run the mail-health profile (MX, addresses, reverse\n"
        "                         DNS, SPF, DMARC)\n"
        "  -r, --resolver R       local (the system's resolver), auth (the zone's\n"
        "                         authoritative servers, each asked alone) or an address\n"
        "                         such as 192.0.2.53, 127.0.11.1:5301, [2001:db8::1]:53;\n"
        "                         repeatable; default local\n"
        "      --timeout MS       time to wait for one try (default 2000)\n"
        "      --tries N          tries per query (default 2)\n"
        "      --deadline MS      time for the whole check (default 10000)\n"
        "      --resolv-conf FILE where the local resolver is listed (default\n"
        "                         /etc/resolv.conf)\n"
        "      --private-range CIDR  count this range as private for MX targets too\n"
        "      --rate QPS         queries a second per resolver (default 20)\n"
        "      --burst N          queries a resolver may get at once (default 40)\n"
        "  -j, --json             print one JSON object instead of text\n"
        "      --smtp             with --profile mail: connect to port 25 of every MX\n"
        "                         address, read the greeting, EHLO, STARTTLS, QUIT (no\n"
        "                         mail is sent)\n"
        "      --helo NAME        the name sent with EHLO (default this host's name)\n"
        "      --no-tls           note STARTTLS but do not complete the TLS handshake\n"
        "      --smtp-timeout MS  for the connection and each reply (default 5000)\n"
        "      --ca-file FILE     CAs the certificate chain is checked against\n"
        "                         (default the system's)\n"
        "      --tls-expiry-days N  SMTP_TLS_EXPIRING within N days (default 14)\n"
        "\n"
        "Exit status: 0 OK, 1 warning, 2 critical, 3 the check could not run.\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "vantage-agent check: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    oneshot_usage(stderr);
    return EXIT_UNKNOWN;
}

static bool parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *s == '-' || *end != '\0' || errno || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_cidr(const char *s, profile_range *r)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof addr)
        return false;
    memcpy(addr, s, n);
    addr[n] = '\0';
    memset(r, 0, sizeof *r);
    r->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(r->family, addr, r->addr) != 1)
        return false;
    unsigned long max = r->family == AF_INET ? 32 : 128, p = max;
    if (slash && !parse_ulong(slash + 1, 0, max, &p))
        return false;
    r->prefix = (unsigned)p;
    return true;
}

static int add_types(oneshot_opts *o, const char *arg)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", arg);
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        ldns_rr_type type;
        if (!dnsname_type_from_str(t, &type) || type == 0)
            return bad_usage("unknown record type '%s'", t);
        if (o->spec.n_types >= CHECK_TYPES_MAX)
            return bad_usage("too many types (at most 32): '%s'", t);
        o->spec.types[o->spec.n_types++] = (uint16_t)type;
    }
    return 0;
}

/* Fill o from argv; returns -1 when it printed help, else 0 or an exit status. */
static int parse_args(int argc, char **argv, oneshot_opts *o)
{
    enum {
        OPT_TIMEOUT = 256,
        OPT_TRIES,
        OPT_DEADLINE,
        OPT_RESOLV,
        OPT_PRIVATE,
        OPT_RATE,
        OPT_BURST,
        OPT_SMTP,
        OPT_HELO,
        OPT_NO_TLS,
        OPT_SMTP_TIMEOUT,
        OPT_CA_FILE,
        OPT_EXPIRY
    };
    static const struct option opts[] = {
        {"type", required_argument, NULL, 't'},
        {"profile", required_argument, NULL, 'p'},
        {"resolver", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"tries", required_argument, NULL, OPT_TRIES},
        {"deadline", required_argument, NULL, OPT_DEADLINE},
        {"resolv-conf", required_argument, NULL, OPT_RESOLV},
        {"private-range", required_argument, NULL, OPT_PRIVATE},
        {"rate", required_argument, NULL, OPT_RATE},
        {"burst", required_argument, NULL, OPT_BURST},
        {"smtp", no_argument, NULL, OPT_SMTP},
        {"helo", required_argument, NULL, OPT_HELO},
        {"no-tls", no_argument, NULL, OPT_NO_TLS},
        {"smtp-timeout", required_argument, NULL, OPT_SMTP_TIMEOUT},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"tls-expiry-days", required_argument, NULL, OPT_EXPIRY},
        {NULL, 0, NULL, 0},
    };
    unsigned long v;
    int c, rc;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:p:r:jh", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if ((rc = add_types(o, optarg)) != 0)
                return rc;
            break;
        case 'p':
            if (strcmp(optarg, "mail") != 0)
                return bad_usage("unknown profile '%s' (known: mail)", optarg);
            o->spec.mail = true;
            break;
        case 'r':
            if (o->spec.n_resolvers >= CHECK_RESOLVERS_MAX)
                return bad_usage("too many resolvers (at most 32): '%s'", optarg);
            o->spec.resolvers[o->spec.n_resolvers++] = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 'h':
            oneshot_usage(stdout);
            return -1;
        case OPT_TIMEOUT:
            if (!parse_ulong(optarg, 10, 60000, &v))
                return bad_usage("--timeout wants milliseconds from 10 to 60000, not '%s'", optarg);
            o->dnsq.timeout_ms = (unsigned)v;
            break;
        case OPT_TRIES:
            if (!parse_ulong(optarg, 1, 10, &v))
                return bad_usage("--tries wants 1 to 10, not '%s'", optarg);
            o->dnsq.tries = (unsigned)v;
            break;
        case OPT_DEADLINE:
            if (!parse_ulong(optarg, 10, 600000, &v))
                return bad_usage("--deadline wants milliseconds from 10 to 600000, not '%s'",
                                 optarg);
            o->spec.deadline_ms = (unsigned)v;
            break;
        case OPT_RESOLV:
            if (access(optarg, R_OK) != 0)
                return bad_usage("--resolv-conf: cannot read '%s'", optarg);
            o->dnsq.resolv_conf = optarg;
            break;
        case OPT_PRIVATE:
            if (o->n_private >= PRIVATE_MAX ||
                !parse_cidr(optarg, &o->private_ranges[o->n_private]))
                return bad_usage("--private-range wants an address or CIDR, not '%s'", optarg);
            o->n_private++;
            break;
        case OPT_RATE:
            if (!parse_ulong(optarg, 1, 1000000, &v))
                return bad_usage("--rate wants 1 to 1000000 queries a second, not '%s'", optarg);
            o->dnsq.rate = (double)v;
            break;
        case OPT_BURST:
            if (!parse_ulong(optarg, 1, 1000000, &v))
                return bad_usage("--burst wants 1 to 1000000, not '%s'", optarg);
            o->dnsq.burst = (unsigned)v;
            break;
        case OPT_SMTP:
            o->smtp = true;
            break;
        case OPT_HELO:
            if (!*optarg || strlen(optarg) > 253 ||
                strspn(optarg, "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789.-") != strlen(optarg))
                return bad_usage("--helo wants a host name, not '%s'", optarg);
            o->smtpo.helo_name = optarg;
            break;
        case OPT_NO_TLS:
            o->smtpo.tls = false;
            break;
        case OPT_SMTP_TIMEOUT:
            if (!parse_ulong(optarg, 10, 300000, &v))
                return bad_usage("--smtp-timeout wants milliseconds from 10 to 300000, not '%s'",
                                 optarg);
            o->smtpo.connect_timeout_ms = o->smtpo.reply_timeout_ms = (uint32_t)v;
            break;
        case OPT_CA_FILE:
            if (access(optarg, R_OK) != 0)
                return bad_usage("--ca-file: cannot read '%s'", optarg);
            o->smtpo.ca_file = optarg;
            break;
        case OPT_EXPIRY:
            if (!parse_ulong(optarg, 1, 3650, &v))
                return bad_usage("--tls-expiry-days wants 1 to 3650, not '%s'", optarg);
            o->expiring_days = (unsigned)v;
            break;
        case ':':
            return bad_usage("option '%s' needs a value", argv[optind - 1]);
        default:
            return bad_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return bad_usage("%s", "DOMAIN is missing");
    if (optind + 1 < argc)
        return bad_usage("unexpected argument '%s' (one DOMAIN per check)", argv[optind + 1]);
    o->spec.domain = argv[optind];
    if (o->smtp && !o->spec.mail)
        return bad_usage("%s", "--smtp needs --profile mail (it probes the MX hosts)");
    if (o->spec.n_types == 0 && !o->spec.mail)
        o->spec.types[o->spec.n_types++] = LDNS_RR_TYPE_A;
    o->spec.extra_private = o->private_ranges;
    o->spec.n_extra_private = o->n_private;
    return 0;
}

/* ---- output -------------------------------------------------------------------- */

static int exit_status(const check_t *c, const oneshot_out *out)
{
    /* no non-auth resolver gave any answer at all: the check could not run */
    size_t asked = 0, reached = 0;
    for (size_t i = 0; i < check_answer_count(c); i++) {
        const proto_obs *o = &check_answer(c, i)->obs;
        if (strcmp(o->kind, "auth") == 0)
            continue;
        asked++;
        reached += o->fail != PROTO_FAIL_TIMEOUT && o->fail != PROTO_FAIL_NETWORK &&
                   o->fail != PROTO_FAIL_INCOMPLETE;
    }
    if (asked > 0 && reached == 0)
        return EXIT_UNKNOWN;
    int worst = findings_worst(&out->findings);
    return worst == PROTO_SEV_CRITICAL  ? EXIT_CRITICAL
           : worst == PROTO_SEV_WARNING ? EXIT_WARNING
                                        : EXIT_OK;
}

static void print_json(const check_t *c, const oneshot_out *out, int status)
{
    json_t *root = json_object();
    json_object_set_new(root, "domain", json_string(check_domain(c)));
    json_t *res = json_array();
    for (size_t i = 0; i < check_resolver_count(c); i++) {
        json_t *r = json_object();
        json_object_set_new(r, "name", json_string(check_resolver_name(c, i)));
        json_object_set_new(r, "kind", json_string(check_resolver_kind(c, i)));
        json_array_append_new(res, r);
    }
    json_object_set_new(root, "resolvers", res);
    json_t *obs = json_array();
    for (size_t i = 0; i < check_answer_count(c); i++)
        json_array_append_new(obs, pjson_obs(&check_answer(c, i)->obs));
    json_object_set_new(root, "observations", obs);
    if (out->n_smtp) {
        json_t *sm = json_array();
        for (size_t i = 0; i < out->n_smtp; i++)
            json_array_append_new(sm, pjson_smtp(&out->smtp[i]));
        json_object_set_new(root, "smtp", sm);
    }
    const findings_t *f = &out->findings;
    json_t *fa = json_array();
    int counts[3] = {0, 0, 0};
    for (size_t i = 0; i < f->n; i++) {
        json_array_append_new(fa, pjson_finding(&f->v[i]));
        counts[f->v[i].severity <= 2 ? f->v[i].severity : 2]++;
    }
    json_object_set_new(root, "findings", fa);
    json_t *sum = json_object();
    json_object_set_new(sum, "critical", json_integer(counts[2]));
    json_object_set_new(sum, "warning", json_integer(counts[1]));
    json_object_set_new(sum, "info", json_integer(counts[0]));
    json_object_set_new(root, "summary", sum);
    json_object_set_new(root, "incomplete", json_boolean(check_incomplete(c)));
    json_object_set_new(root, "queries", json_integer((json_int_t)check_queries(c)));
    json_object_set_new(root, "duration_ms", json_integer(out->elapsed_ms));
    json_object_set_new(root, "exit", json_integer(status));
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

/* One answer's data: the RRs, owner and type left out when they are the question's. */
static void print_rrset(const proto_obs *o, const char *indent)
{
    const char *p = o->rrset ? o->rrset : "";
    char tbuf[32];
    pjson_type(o->qtype, tbuf, sizeof tbuf);
    size_t qlen = strlen(o->qname), tlen = strlen(tbuf);
    bool first = true;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *line = p;
        size_t len = n;
        if (len > qlen + tlen + 2 && strncasecmp(line, o->qname, qlen) == 0 && line[qlen] == ' ' &&
            strncmp(line + qlen + 1, tbuf, tlen) == 0 && line[qlen + 1 + tlen] == ' ') {
            line += qlen + tlen + 2;
            len -= qlen + tlen + 2;
        }
        printf("%s%.*s\n", first ? "" : indent, (int)len, line);
        first = false;
        p += n + (nl ? 1 : 0);
    }
    if (first)
        printf("\n");
}

/* The SMTP probes, a line each: host, address, status, what was seen. */
static void print_smtp(const oneshot_out *out)
{
    if (!out->n_smtp)
        return;
    size_t hw = 4, aw = 4;
    for (size_t i = 0; i < out->n_smtp; i++) {
        hw = strlen(out->smtp[i].host) > hw ? strlen(out->smtp[i].host) : hw;
        aw = strlen(out->smtp[i].addr) > aw ? strlen(out->smtp[i].addr) : aw;
    }
    printf("\nsmtp (port 25 of every MX address, from here):\n");
    for (size_t i = 0; i < out->n_smtp; i++) {
        const proto_smtp *r = &out->smtp[i];
        char what[1400] = "", day[40];
        if (r->code)
            findings_buf_add(what, sizeof what, "%u %s", r->code,
                             r->greet_name ? r->greet_name : "(no name)");
        if (r->flags & PROTO_SMTP_STARTTLS)
            findings_buf_add(what, sizeof what, "  STARTTLS");
        if (r->flags & PROTO_SMTP_SIZE)
            findings_buf_add(what, sizeof what, "  SIZE %llu", (unsigned long long)r->size_max);
        if (r->tls_version)
            findings_buf_add(what, sizeof what, "  %s", r->tls_version);
        if (r->cert_names)
            findings_buf_add(what, sizeof what, "  cert %s%s until %.10s", r->cert_names,
                             (r->flags & PROTO_SMTP_NAME_MATCH) ? "" : " (name mismatch)",
                             pjson_time(r->cert_not_after, day, sizeof day));
        if (r->detail)
            findings_buf_add(what, sizeof what, "%s%s", what[0] ? "  " : "", r->detail);
        printf("  %-*s  %-*s  %-12s %s (%.0f ms)\n", (int)hw, r->host, (int)aw, r->addr,
               pjson_smtp_status(r->status), what, r->total_us / 1000.0);
    }
}

static void print_text(const check_t *c, const oneshot_out *out)
{
    size_t n = check_answer_count(c);
    bool *shown = calloc(n ? n : 1, sizeof *shown);
    if (!shown)
        return;
    size_t width = 8;
    for (size_t i = 0; i < n; i++) {
        size_t w = strlen(check_answer(c, i)->obs.resolver);
        width = w > width ? w : width;
    }
    for (size_t i = 0; i < n; i++) {
        if (shown[i])
            continue;
        const proto_obs *q = &check_answer(c, i)->obs;
        char tbuf[32];
        printf("%s %s\n", q->qname, pjson_type(q->qtype, tbuf, sizeof tbuf));
        for (size_t k = i; k < n; k++) {
            const proto_obs *o = &check_answer(c, k)->obs;
            if (shown[k] || o->qtype != q->qtype || strcmp(o->qname, q->qname) != 0)
                continue;
            shown[k] = true;
            char status[48], ttl[24] = "";
            snprintf(status, sizeof status, "%s%s%s", pjson_obs_status(o),
                     (o->flags & PROTO_FLAG_AA) ? " aa" : "", o->transport ? " tcp" : "");
            if (o->has_ttl)
                snprintf(ttl, sizeof ttl, "ttl %u", o->ttl_min);
            else if (o->has_neg_ttl)
                snprintf(ttl, sizeof ttl, "neg %u", o->neg_ttl);
            char indent[160];
            snprintf(indent, sizeof indent, "  %-*s  %-14s %-9s ", (int)width, "", "", "");
            printf("  %-*s  %-14s %-9s ", (int)width, o->resolver, status, ttl);
            print_rrset(o, indent);
            if (o->nsid || o->n_ede)
                printf("%s%s%s%s%s\n", indent, o->nsid ? "nsid " : "", o->nsid ? o->nsid : "",
                       o->n_ede ? " ede " : "", o->n_ede ? (o->ede_text ? o->ede_text : "") : "");
        }
    }
    free(shown);
    print_smtp(out);
    const findings_t *f = &out->findings;
    int counts[3] = {0, 0, 0};
    printf("\nfindings:%s\n", f->n ? "" : " none");
    static const char *const sev[] = {"INFO", "WARNING", "CRITICAL"};
    for (int s = PROTO_SEV_CRITICAL; s >= PROTO_SEV_INFO; s--) {
        for (size_t i = 0; i < f->n; i++) {
            const proto_finding *x = &f->v[i];
            if (x->severity != s)
                continue;
            counts[s]++;
            printf("  %-8s %-26s %s%s%s: %s\n", sev[s], x->code, x->name, x->resolver ? " at " : "",
                   x->resolver ? x->resolver : "", x->message);
        }
    }
    printf("\n%d critical, %d warning, %d info; %zu queries in %lld ms%s\n", counts[2], counts[1],
           counts[0], check_queries(c), (long long)out->elapsed_ms,
           check_incomplete(c) ? " (incomplete: deadline passed)" : "");
}

/* ---- main ------------------------------------------------------------------------ */

/* Where one probe's result goes. */
typedef struct oneshot_slot {
    oneshot_out *out; /* the run's output */
    arena_t *arena;   /* for the result's strings */
    size_t i;         /* its index in out->smtp */
} oneshot_slot;

/* A probe ended: keep a copy of its result in its slot. */
static void oneshot_smtp_done(void *arg, const proto_smtp *result)
{
    oneshot_slot *slot = arg;
    smtp_result_copy(&slot->out->smtp[slot->i], result, slot->arena); /* error result on failure */
}

/* The most time all the probes of a one-shot check may take: a host whose
 * addresses all hold the connection open cannot keep the check for long. */
#define ONESHOT_SMTP_MS 60000

/* Probe every MX address the check found at its first resolver that is not
 * "auth", and add the SMTP findings. */
static void oneshot_smtp(const oneshot_opts *o, const check_t *c, oneshot_out *out, arena_t *arena)
{
    size_t r = smtpcheck_resolver(c);
    smtpcheck_target t[SMTPCHECK_TARGETS_MAX];
    size_t n = smtpcheck_targets(c, r, t, SMTPCHECK_TARGETS_MAX);
    if (n == 0)
        return;
    char err[256];
    smtp_t *eng = smtp_new(&o->smtpo, err, sizeof err);
    out->smtp = arena_calloc(arena, n, sizeof *out->smtp);
    if (!eng || !out->smtp) {
        fprintf(stderr, "vantage-agent check: SMTP probes: %s\n", eng ? "out of memory" : err);
        smtp_destroy(&eng);
        return;
    }
    /* Until its probe ends, a slot says it was not probed. */
    for (size_t i = 0; i < n; i++) {
        const char *host = arena_strdup(arena, t[i].host), *addr = arena_strdup(arena, t[i].addr);
        out->smtp[i] = (proto_smtp){.t_ms = clock_wall_ms(),
                                    .host = host ? host : "",
                                    .addr = addr ? addr : "",
                                    .port = 25,
                                    .status = PROTO_SMTP_SKIPPED,
                                    .detail = "not probed: the check's time for SMTP ran out"};
    }
    out->n_smtp = n;
    oneshot_slot slots[SMTPCHECK_TARGETS_MAX];
    for (size_t i = 0; i < n; i++) {
        slots[i] = (oneshot_slot){out, arena, i};
        if (smtp_probe(eng, t[i].host, t[i].addr, 25, oneshot_smtp_done, &slots[i]) != 0)
            out->smtp[i].status = PROTO_SMTP_ERROR, out->smtp[i].detail = "out of memory";
    }
    int64_t end = clock_mono_ms() + ONESHOT_SMTP_MS;
    zmq_pollitem_t items[SMTP_PROBES_MAX];
    while (smtp_active(eng) && clock_mono_ms() < end) {
        size_t k = smtp_pollitems(eng, items, SMTP_PROBES_MAX);
        long wait = smtp_timeout_ms(eng, (long)(end - clock_mono_ms()));
        if (zmq_poll(items, (int)k, wait < 0 ? 0 : wait) < 0 && errno != EINTR)
            break;
        smtp_process(eng, items, k);
    }
    smtp_destroy(&eng); /* probes still running keep their "not probed" slot */
    smtpcheck_findings(&(smtpcheck_input){.domain = check_domain(c),
                                          .results = out->smtp,
                                          .n = n,
                                          .check = c,
                                          .resolver = r,
                                          .now_ms = clock_wall_ms(),
                                          .expiring_days = o->expiring_days},
                       &out->findings);
}

int oneshot_main(int argc, char **argv)
{
    oneshot_opts o;
    memset(&o, 0, sizeof o);
    o.dnsq = (dnsq_opts){.timeout_ms = 2000, .tries = 2, .rate = 20, .burst = 40};
    o.spec.deadline_ms = 10000;
    o.smtpo.tls = true;
    o.smtpo.no_min_interval = true;
    signal(SIGPIPE, SIG_IGN); /* a server that resets mid-TLS: OpenSSL writes with write() */
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? EXIT_OK : rc;

    char err[512];
    dnsq_t *engine = dnsq_new(&o.dnsq, err, sizeof err);
    if (!engine) {
        fprintf(stderr, "vantage-agent check: %s\n", err);
        return EXIT_UNKNOWN;
    }
    check_t *c = check_new(engine, &o.spec, NULL, NULL, err, sizeof err);
    if (!c) {
        dnsq_destroy(&engine);
        return bad_usage("%s", err);
    }
    int64_t start = clock_mono_ms();
    check_start(c);
    zmq_pollitem_t items[256];
    while (!check_done(c)) {
        long wait = dnsq_timeout_ms(engine, check_deadline_in_ms(c));
        size_t n = dnsq_pollitems(engine, items, 256);
        if (zmq_poll(items, (int)n, wait) < 0 && errno != EINTR) {
            fprintf(stderr, "vantage-agent check: poll: %s\n", zmq_strerror(errno));
            break;
        }
        dnsq_process(engine, items, n);
        check_poll_deadline(c);
    }
    arena_t *arena = arena_new();
    oneshot_out out = {.elapsed_ms = 0};
    findings_init(&out.findings, arena);
    const findings_t *cf = check_findings(c);
    for (size_t i = 0; arena && i < cf->n; i++)
        findings_add(&out.findings, cf->v[i].code, (proto_severity)cf->v[i].severity, cf->v[i].name,
                     cf->v[i].resolver, "%s", cf->v[i].message);
    if (o.smtp && check_done(c) && arena)
        oneshot_smtp(&o, c, &out, arena);
    out.elapsed_ms = clock_mono_ms() - start;
    int status = check_done(c) ? exit_status(c, &out) : EXIT_UNKNOWN;
    if (o.json)
        print_json(c, &out, status);
    else
        print_text(c, &out);
    findings_free(&out.findings);
    arena_destroy(&arena);
    if (status == EXIT_UNKNOWN && !o.json)
        fprintf(stderr, "vantage-agent check: no resolver could be reached\n");
    check_destroy(&c);
    dnsq_destroy(&engine);
    return status;
}

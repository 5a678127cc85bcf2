/*
 * coordinator/ctl.c - vantagectl's commands that talk to the coordinator.
 */
#include "coordinator/ctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/conf.h"
#include "common/dnsname.h"
#include "common/rrset.h"
#include "common/serial.h"
#include "coordinator/table.h"

#define CTL_OK       0
#define CTL_WARNING  1
#define CTL_CRITICAL 2
#define CTL_UNKNOWN  3

/* Send request to the coordinator, wait up to timeout_ms; the reply, or NULL (message printed). */
static json_t *ctl_call(const char *endpoint, json_t *request, long timeout_ms)
{
    if (strncmp(endpoint, "ipc://", 6) == 0) {
        struct stat st;
        if (stat(endpoint + 6, &st) != 0) {
            fprintf(stderr, "vantagectl: cannot reach the coordinator at %s: %s\n", endpoint,
                    strerror(errno));
            return NULL;
        }
    }
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_REQ) : NULL;
    json_t *reply = NULL;
    char *text = json_dumps(request, JSON_COMPACT);
    int linger = 0;
    if (!sock || !text) {
        fprintf(stderr, "vantagectl: out of memory\n");
        goto done;
    }
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(sock, endpoint) != 0) {
        fprintf(stderr, "vantagectl: cannot reach the coordinator at %s: %s\n", endpoint,
                zmq_strerror(errno));
        goto done;
    }
    if (zmq_send(sock, text, strlen(text), 0) < 0) {
        fprintf(stderr, "vantagectl: cannot reach the coordinator at %s: %s\n", endpoint,
                zmq_strerror(errno));
        goto done;
    }
    zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
    int rc = zmq_poll(&item, 1, timeout_ms);
    if (rc <= 0) {
        fprintf(stderr, "vantagectl: cannot reach the coordinator at %s: no answer within %ld ms\n",
                endpoint, timeout_ms);
        goto done;
    }
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, sock, 0) >= 0) {
        json_error_t jerr;
        reply = json_loadb(zmq_msg_data(&msg), zmq_msg_size(&msg), 0, &jerr);
        if (!reply)
            fprintf(stderr, "vantagectl: the coordinator at %s sent a bad reply: %s\n", endpoint,
                    jerr.text);
    }
    zmq_msg_close(&msg);
    if (reply && !json_is_true(json_object_get(reply, "ok"))) {
        const char *e = json_string_value(json_object_get(reply, "error"));
        fprintf(stderr, "vantagectl: the coordinator refused: %s\n", e ? e : "no reason given");
        json_decref(reply);
        reply = NULL;
    }
done:
    free(text);
    if (sock)
        zmq_close(sock);
    if (ctx)
        zmq_ctx_term(ctx);
    return reply;
}

static void ctl_print_json(json_t *doc)
{
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
}

/* Fills one table row from one item of a list reply. */
typedef void (*ctl_row_fn)(const json_t *item, table_t *t);

/*
 * `vantagectl CMD [--json]` for commands that answer a list under key: the
 * JSON document {key: [...]} or a table with head, a row per item.
 */
static int ctl_list(const char *endpoint, int argc, char **argv, const char *cmd, const char *key,
                    const char *const *head, ctl_row_fn row)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0) {
            json = true;
        } else {
            fprintf(stderr, "vantagectl %s: unexpected argument '%s'\n", cmd, argv[i]);
            return CTL_UNKNOWN;
        }
    }
    json_t *req = json_pack("{s:s}", "cmd", cmd);
    json_t *reply = ctl_call(endpoint, req, 10000);
    json_decref(req);
    if (!reply)
        return CTL_UNKNOWN;
    json_t *list = json_object_get(reply, key);
    if (json) {
        json_t *doc = json_pack("{s:O}", key, list);
        ctl_print_json(doc);
        json_decref(doc);
    } else {
        table_t *t = table_new(head);
        size_t i;
        json_t *item;
        json_array_foreach(list, i, item)
        {
            if (t)
                row(item, t);
        }
        if (t)
            table_print(t, stdout);
        table_destroy(&t);
    }
    json_decref(reply);
    return CTL_OK;
}

static void ctl_agent_row(const json_t *a, table_t *t)
{
    char seen[80], off[24] = "-", spool[24];
    table_when(json_integer_value(json_object_get(a, "last_seen_ms")), seen, sizeof seen);
    json_t *o = json_object_get(a, "clock_offset_ms");
    if (json_is_integer(o))
        snprintf(off, sizeof off, "%+lld ms", (long long)json_integer_value(o));
    snprintf(spool, sizeof spool, "%lld",
             (long long)json_integer_value(json_object_get(a, "spool_backlog")));
    const char *row[] = {json_string_value(json_object_get(a, "id")),
                         json_string_value(json_object_get(a, "region")),
                         json_string_value(json_object_get(a, "state")),
                         seen,
                         off,
                         json_string_value(json_object_get(a, "version")),
                         spool};
    table_add(t, row);
}

int ctl_agents(const char *endpoint, int argc, char **argv)
{
    static const char *const head[] = {"AGENT",  "REGION",  "STATE", "LAST SEEN",
                                       "OFFSET", "VERSION", "SPOOL", NULL};
    return ctl_list(endpoint, argc, argv, "agents", "agents", head, ctl_agent_row);
}

static void ctl_check_usage(FILE *out)
{
    fprintf(out,
            "usage: vantagectl check NAME [--type TYPE]... [--profile mail [--smtp]]\n"
            "                       [--resolver local|auth|ADDR[:PORT]]... [--agent ID|REGION]...\n"
            "                       [--timeout MS] [--json]\n"
            "Ask every agent (or the chosen ones) to check NAME now, wait for their answers\n"
            "and print them by region and resolver, with the findings. --smtp also has\n"
            "every agent connect to port 25 of every address of every MX host (default\n"
            "timeout then 30 s) and says which regions reach each address.\n");
}

static int ctl_severity_rank(const char *s);

/* The records of an answer without owner and type when they are the question's. */
static void ctl_answer_text(const json_t *o, char *buf, size_t len)
{
    const char *qname = json_string_value(json_object_get(o, "qname"));
    const char *qtype = json_string_value(json_object_get(o, "qtype"));
    const json_t *ans = json_object_get(o, "answer");
    size_t pos = 0, i;
    const json_t *x;
    buf[0] = '\0';
    if (json_array_size(ans) == 0) {
        const json_t *neg = json_object_get(o, "neg_ttl");
        if (json_is_integer(neg))
            snprintf(buf, len, "(negative, %lld s left)", (long long)json_integer_value(neg));
        return;
    }
    json_array_foreach(ans, i, x)
    {
        const char *line = json_string_value(x);
        size_t ql = strlen(qname), tl = strlen(qtype);
        if (strncmp(line, qname, ql) == 0 && line[ql] == ' ' &&
            strncmp(line + ql + 1, qtype, tl) == 0 && line[ql + 1 + tl] == ' ')
            line += ql + tl + 2;
        int n = snprintf(buf + pos, len - pos, "%s%s", i ? ", " : "", line);
        if (n < 0 || (size_t)n >= len - pos)
            break;
        pos += (size_t)n;
    }
    const json_t *ttl = json_object_get(o, "ttl");
    if (json_is_integer(ttl) && pos + 16 < len)
        snprintf(buf + pos, len - pos, " (ttl %lld)", (long long)json_integer_value(ttl));
}

/* "YYYY-MM-DD" of a time in ms since the epoch. */
static const char *ctl_date(int64_t ms, char *buf, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm) || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, len, "?");
    return buf;
}

static bool ctl_has_word(const json_t *array, const char *word)
{
    size_t i;
    const json_t *x;
    json_array_foreach(array, i, x)
    {
        if (json_is_string(x) && strcmp(json_string_value(x), word) == 0)
            return true;
    }
    return false;
}

void ctl_smtp_lines(const json_t *report, const char *indent, FILE *out)
{
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(report, "addresses"), i, a)
    {
        char state[64];
        fprintf(out, "%s%s %s  %s  %s\n", indent, json_string_value(json_object_get(a, "host")),
                json_string_value(json_object_get(a, "endpoint")),
                table_paint(json_string_value(json_object_get(a, "state")), state, sizeof state),
                json_string_value(json_object_get(a, "summary")));
    }
}

void ctl_smtp_tables(const json_t *report, FILE *out)
{
    static const char *const head[] = {"REGION",        "AGENT",    "STATUS", "CODE",
                                       "GREETING-NAME", "STARTTLS", "TLS",    "CERT-EXPIRES",
                                       "DETAIL",        NULL};
    size_t i;
    const json_t *a;
    if (!json_is_object(report)) {
        fprintf(out, "\nsmtp: no report (see the coordinator's log)\n");
        return;
    }
    json_array_foreach(json_object_get(report, "addresses"), i, a)
    {
        table_t *t = table_new(head);
        size_t k;
        const json_t *p;
        json_array_foreach(json_object_get(a, "probes"), k, p)
        {
            const json_t *flags = json_object_get(p, "flags");
            const char *status = json_string_value(json_object_get(p, "status"));
            char code[16] = "-", cert[96] = "-", date[16];
            const json_t *x = json_object_get(p, "code");
            if (json_is_integer(x))
                snprintf(code, sizeof code, "%lld", (long long)json_integer_value(x));
            const char *starttls = ctl_has_word(flags, "starttls") ? "yes"
                                   : ctl_has_word(flags, "ehlo")   ? "no"
                                                                   : "-";
            const char *tls = ctl_has_word(flags, "tls")
                                  ? json_string_value(json_object_get(p, "tls_version"))
                              : status && strcmp(status, "tls_failed") == 0 ? "failed"
                                                                            : "-";
            x = json_object_get(p, "cert_not_after_ms");
            if (json_is_integer(x)) {
                char notes[48] = "";
                if (!ctl_has_word(flags, "name_match"))
                    snprintf(notes, sizeof notes, "name mismatch");
                if (!ctl_has_word(flags, "chain_ok"))
                    snprintf(notes + strlen(notes), sizeof notes - strlen(notes), "%sunverified",
                             notes[0] ? ", " : "");
                snprintf(cert, sizeof cert, "%s%s%s%s",
                         ctl_date(json_integer_value(x), date, sizeof date), notes[0] ? " (" : "",
                         notes, notes[0] ? ")" : "");
            }
            const char *row[] = {json_string_value(json_object_get(p, "region")),
                                 json_string_value(json_object_get(p, "agent")),
                                 status,
                                 code,
                                 json_string_value(json_object_get(p, "greet_name")),
                                 starttls,
                                 tls ? tls : "?",
                                 cert,
                                 json_string_value(json_object_get(p, "detail"))};
            if (t)
                table_add(t, row);
        }
        fprintf(out, "\n%s %s\n", json_string_value(json_object_get(a, "host")),
                json_string_value(json_object_get(a, "endpoint")));
        if (t)
            table_print(t, out);
        table_destroy(&t);
    }
    const char *summary = json_string_value(json_object_get(report, "summary"));
    fprintf(out, "\nsmtp: %s\n", summary ? summary : "no summary");
    ctl_smtp_lines(report, "    ", out);
}

/* Answers by question, a row per region x agent x resolver, then the findings. */
static void ctl_check_print(json_t *reply, const char *name, size_t answered)
{
    printf("%s: %zu agent%s answered", name, answered, answered == 1 ? "" : "s");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(reply, "not_answered"), i, x)
        printf("%s%s", i == 0 ? "; no answer from " : ", ", json_string_value(x));
    json_array_foreach(json_object_get(reply, "down"), i, x)
        printf("%s%s", i == 0 ? "; down: " : ", ", json_string_value(x));
    printf("\n");
    json_t *by_agent = json_object_get(reply, "agents");
    json_t *seen = json_object(); /* "qname qtype" already printed */
    const char *id;
    json_t *a;
    json_object_foreach(by_agent, id, a)
    {
        json_t *o;
        json_array_foreach(json_object_get(a, "observations"), i, o)
        {
            char key[1200];
            const char *qn = json_string_value(json_object_get(o, "qname"));
            const char *qt = json_string_value(json_object_get(o, "qtype"));
            snprintf(key, sizeof key, "%s %s", qn, qt);
            if (json_object_get(seen, key))
                continue;
            json_object_set_new(seen, key, json_true());
            static const char *const head[] = {"REGION", "AGENT",  "RESOLVER",
                                               "STATUS", "ANSWER", NULL};
            table_t *t = table_new(head);
            const char *id2;
            json_t *a2;
            json_object_foreach(by_agent, id2, a2)
            {
                size_t k;
                json_t *o2;
                json_array_foreach(json_object_get(a2, "observations"), k, o2)
                {
                    if (strcmp(json_string_value(json_object_get(o2, "qname")), qn) != 0 ||
                        strcmp(json_string_value(json_object_get(o2, "qtype")), qt) != 0)
                        continue;
                    char ans[2048];
                    ctl_answer_text(o2, ans, sizeof ans);
                    const char *row[] = {json_string_value(json_object_get(a2, "region")), id2,
                                         json_string_value(json_object_get(o2, "resolver")),
                                         json_string_value(json_object_get(o2, "status")), ans};
                    if (t)
                        table_add(t, row);
                }
            }
            printf("\n%s\n", key);
            if (t)
                table_print(t, stdout);
            table_destroy(&t);
        }
    }
    json_decref(seen);
    if (json_object_get(reply, "smtp"))
        ctl_smtp_tables(json_object_get(reply, "smtp"), stdout);
    static const char *const fhead[] = {"SEVERITY", "CODE", "AGENT", "RESOLVER", "MESSAGE", NULL};
    table_t *ft = table_new(fhead);
    size_t nf = 0;
    for (int sev = 2; sev >= 0; sev--) {
        json_object_foreach(by_agent, id, a)
        {
            json_t *f;
            json_array_foreach(json_object_get(a, "findings"), i, f)
            {
                const char *sv = json_string_value(json_object_get(f, "severity"));
                if (ctl_severity_rank(sv) != sev)
                    continue;
                const char *row[] = {sv, json_string_value(json_object_get(f, "code")), id,
                                     json_string_value(json_object_get(f, "resolver")),
                                     json_string_value(json_object_get(f, "message"))};
                if (ft)
                    table_add(ft, row);
                nf++;
            }
        }
    }
    printf("\nfindings:%s\n", nf ? "" : " none");
    if (ft && nf)
        table_print(ft, stdout);
    table_destroy(&ft);
}

static int ctl_severity_rank(const char *s)
{
    return !s ? -1 : strcmp(s, "critical") == 0 ? 2 : strcmp(s, "warning") == 0 ? 1 : 0;
}

int ctl_check(const char *endpoint, int argc, char **argv)
{
    static const struct option opts[] = {
        {"type", required_argument, NULL, 't'},
        {"profile", required_argument, NULL, 'p'},
        {"resolver", required_argument, NULL, 'r'},
        {"agent", required_argument, NULL, 'a'},
        {"timeout", required_argument, NULL, 'T'},
        {"json", no_argument, NULL, 'j'},
        {"smtp", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    json_t *types = json_array(), *resolvers = json_array(), *agents = json_array();
    const char *profile = NULL;
    long timeout = 0;
    bool json = false, smtp = false;
    int c, status = CTL_UNKNOWN;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:p:r:a:T:jh", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 't':
            json_array_append_new(types, json_string(optarg));
            break;
        case 'p':
            if (strcmp(optarg, "mail") != 0) {
                fprintf(stderr, "vantagectl check: unknown profile '%s' (known: mail)\n", optarg);
                goto usage;
            }
            profile = optarg;
            break;
        case 'r':
            json_array_append_new(resolvers, json_string(optarg));
            break;
        case 'a':
            json_array_append_new(agents, json_string(optarg));
            break;
        case 'T':
            timeout = strtol(optarg, &end, 10);
            if (*end || timeout < 100 || timeout > 600000) {
                fprintf(stderr, "vantagectl check: --timeout wants 100..600000 ms, not '%s'\n",
                        optarg);
                goto usage;
            }
            break;
        case 'j':
            json = true;
            break;
        case 'S':
            smtp = true;
            break;
        case 'h':
            ctl_check_usage(stdout);
            status = CTL_OK;
            goto done;
        default:
            fprintf(stderr, "vantagectl check: bad option '%s'\n", argv[optind - 1]);
            goto usage;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "vantagectl check: %s\n",
                optind >= argc ? "NAME is missing" : "one NAME per check");
        goto usage;
    }
    if (smtp && !profile) {
        fprintf(stderr, "vantagectl check: --smtp needs --profile mail (its MX hosts are "
                        "probed)\n");
        goto usage;
    }
    if (timeout == 0) /* SMTP probes wait for slow greetings */
        timeout = smtp ? 30000 : 15000;
    json_t *req =
        json_pack("{s:s,s:s,s:O,s:O,s:O,s:I}", "cmd", "check", "name", argv[optind], "types", types,
                  "resolvers", resolvers, "agents", agents, "timeout_ms", (json_int_t)timeout);
    if (profile)
        json_object_set_new(req, "profile", json_string(profile));
    if (smtp)
        json_object_set_new(req, "smtp", json_true());
    json_t *reply = ctl_call(endpoint, req, timeout + 5000);
    json_decref(req);
    if (!reply)
        goto done;
    int worst = -1;
    json_t *by_agent = json_object_get(reply, "agents");
    const char *id;
    json_t *a;
    json_object_foreach(by_agent, id, a)
    {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(a, "findings"), i, f)
        {
            int r = ctl_severity_rank(json_string_value(json_object_get(f, "severity")));
            worst = r > worst ? r : worst;
        }
    }
    /* SMTP: unreachable from everywhere is critical, partial a warning; no probe changes nothing */
    const json_t *sr = json_object_get(reply, "smtp");
    const char *sstate = json_string_value(json_object_get(sr, "state"));
    if (sstate && strcmp(sstate, "unknown") != 0) {
        int e = (int)json_integer_value(json_object_get(sr, "exit"));
        worst = e > worst ? e : worst;
    }
    size_t answered = json_object_size(by_agent);
    status = answered == 0 ? CTL_UNKNOWN
             : worst >= 2  ? CTL_CRITICAL
             : worst == 1  ? CTL_WARNING
                           : CTL_OK;
    if (json) {
        json_object_del(reply, "ok");
        json_object_set_new(reply, "exit", json_integer(status));
        ctl_print_json(reply);
    } else {
        ctl_check_print(reply, argv[optind], answered);
    }
    json_decref(reply);
    goto done;
usage:
    ctl_check_usage(stderr);
    status = CTL_UNKNOWN;
done:
    json_decref(types);
    json_decref(resolvers);
    json_decref(agents);
    return status;
}

/* ---- status, diff, monitors ------------------------------------------------------------ */

/* Parse [--json] and up to max positional words; -1 on anything else. */
static int ctl_words(int argc, char **argv, const char *cmd, bool *json, const char **words,
                     size_t max, size_t *n)
{
    *n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0) {
            *json = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "vantagectl %s: unknown option '%s'\n", cmd, argv[i]);
            return -1;
        } else if (*n < max) {
            words[(*n)++] = argv[i];
        } else {
            fprintf(stderr, "vantagectl %s: unexpected argument '%s'\n", cmd, argv[i]);
            return -1;
        }
    }
    return 0;
}

/* The causes of one comparison, indented. */
static void ctl_print_causes(const json_t *item, const char *indent, FILE *out)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(item, "causes"), i, c)
        fprintf(out, "%s- %s\n", indent, json_string_value(json_object_get(c, "text")));
}

void ctl_status_print(const json_t *items, FILE *out)
{
    if (json_array_size(items) == 0) {
        fprintf(out, "no monitors configured\n");
        return;
    }
    size_t i;
    const json_t *it;
    json_array_foreach(items, i, it)
    {
        char state[64];
        fprintf(out, "%s %s  %s  %s\n", json_string_value(json_object_get(it, "name")),
                json_string_value(json_object_get(it, "type")),
                table_paint(json_string_value(json_object_get(it, "state")), state, sizeof state),
                json_string_value(json_object_get(it, "summary")));
        ctl_print_causes(it, "    ", out);
        ctl_smtp_lines(it, "    ", out);
    }
}

int ctl_status(const char *endpoint, int argc, char **argv)
{
    bool json = false;
    const char *words[1];
    size_t n;
    if (ctl_words(argc, argv, "status", &json, words, 1, &n) != 0) {
        fprintf(stderr, "usage: vantagectl status [NAME] [--json]\n");
        return CTL_UNKNOWN;
    }
    json_t *req = json_pack("{s:s}", "cmd", "status");
    if (n)
        json_object_set_new(req, "name", json_string(words[0]));
    json_t *reply = ctl_call(endpoint, req, 10000);
    json_decref(req);
    if (!reply)
        return CTL_UNKNOWN;
    int status = (int)json_integer_value(json_object_get(reply, "exit"));
    json_t *items = json_object_get(reply, "items");
    if (json) {
        json_t *doc = json_pack("{s:O,s:i}", "items", items, "exit", status);
        ctl_print_json(doc);
        json_decref(doc);
    } else {
        ctl_status_print(items, stdout);
    }
    json_decref(reply);
    return status;
}

int ctl_diff(const char *endpoint, int argc, char **argv)
{
    bool json = false;
    const char *words[2];
    size_t n;
    if (ctl_words(argc, argv, "diff", &json, words, 2, &n) != 0 || n != 2) {
        if (n != 2)
            fprintf(stderr, "vantagectl diff: NAME and TYPE are needed\n");
        fprintf(stderr, "usage: vantagectl diff NAME TYPE [--json]\n");
        return CTL_UNKNOWN;
    }
    json_t *req = json_pack("{s:s,s:s,s:s}", "cmd", "diff", "name", words[0], "type", words[1]);
    json_t *reply = ctl_call(endpoint, req, 10000);
    json_decref(req);
    if (!reply)
        return CTL_UNKNOWN;
    int status = (int)json_integer_value(json_object_get(reply, "exit"));
    if (json) {
        json_object_del(reply, "ok");
        ctl_print_json(reply);
    } else {
        char state[64];
        printf("%s %s: %s\n", json_string_value(json_object_get(reply, "name")),
               json_string_value(json_object_get(reply, "type")),
               json_string_value(json_object_get(reply, "summary")));
        (void)state;
        size_t i;
        json_t *g;
        json_array_foreach(json_object_get(reply, "answers"), i, g)
        {
            char st[64];
            printf("\n%s  [%s, %zu vantage point%s]\n",
                   json_string_value(json_object_get(g, "answer")),
                   table_paint(json_string_value(json_object_get(g, "status")), st, sizeof st),
                   json_array_size(json_object_get(g, "vantage_points")),
                   json_array_size(json_object_get(g, "vantage_points")) == 1 ? "" : "s");
            static const char *const head[] = {"REGION", "AGENT",    "RESOLVER", "TTL",
                                               "SERIAL", "OBSERVED", NULL};
            table_t *t = table_new(head);
            size_t k;
            json_t *vp;
            json_array_foreach(json_object_get(g, "vantage_points"), k, vp)
            {
                char ttl[24] = "-", serial[24] = "-", seen[80];
                json_t *x = json_object_get(vp, "ttl");
                if (!json_is_integer(x))
                    x = json_object_get(vp, "neg_ttl");
                if (json_is_integer(x))
                    snprintf(ttl, sizeof ttl, "%lld", (long long)json_integer_value(x));
                x = json_object_get(vp, "serial");
                if (json_is_integer(x))
                    snprintf(serial, sizeof serial, "%lld", (long long)json_integer_value(x));
                table_when(json_integer_value(json_object_get(vp, "observed_ms")), seen,
                           sizeof seen);
                const char *row[] = {json_string_value(json_object_get(vp, "region")),
                                     json_string_value(json_object_get(vp, "agent")),
                                     json_string_value(json_object_get(vp, "resolver")),
                                     ttl,
                                     serial,
                                     seen};
                if (t)
                    table_add(t, row);
            }
            if (t)
                table_print(t, stdout);
            table_destroy(&t);
        }
        if (json_array_size(json_object_get(reply, "causes"))) {
            printf("\nwhy:\n");
            ctl_print_causes(reply, "  ", stdout);
        }
    }
    json_decref(reply);
    return status;
}

static void ctl_monitor_row(const json_t *m, table_t *t)
{
    char types[256] = "", agents[256] = "", every[32];
    size_t k, pos = 0;
    json_t *x;
    json_array_foreach(json_object_get(m, "types"), k, x) pos +=
        (size_t)snprintf(types + pos, pos < sizeof types ? sizeof types - pos : 0, "%s%s",
                         k ? " " : "", json_string_value(x));
    json_t *ag = json_object_get(m, "agents");
    if (json_is_string(ag)) {
        snprintf(agents, sizeof agents, "%s", json_string_value(ag));
    } else {
        pos = 0;
        json_array_foreach(ag, k, x) pos +=
            (size_t)snprintf(agents + pos, pos < sizeof agents ? sizeof agents - pos : 0, "%s%s",
                             k ? " " : "", json_string_value(x));
    }
    snprintf(every, sizeof every, "%llds",
             (long long)json_integer_value(json_object_get(m, "interval_s")));
    const char *profile = json_string_value(json_object_get(m, "profile"));
    const char *row[] = {json_string_value(json_object_get(m, "name")),
                         json_string_value(json_object_get(m, "qname")),
                         types[0] ? types : "-",
                         profile ? profile : "-",
                         every,
                         agents,
                         json_string_value(json_object_get(m, "state"))};
    table_add(t, row);
}

int ctl_monitors(const char *endpoint, int argc, char **argv)
{
    static const char *const head[] = {"MONITOR", "NAME",   "TYPES", "PROFILE",
                                       "EVERY",   "AGENTS", "STATE", NULL};
    return ctl_list(endpoint, argc, argv, "monitors", "monitors", head, ctl_monitor_row);
}

/* ---- track, watch, tracks ---------------------------------------------------------------- */

static void ctl_track_usage(FILE *out)
{
    fprintf(
        out,
        "usage: vantagectl track NAME TYPE (--expect RDATA... | --expect-serial N | --from-auth)\n"
        "                       [--interval S] [--deadline D] [--resolver R]... [--agent ID]...\n"
        "                       [--json]\n"
        "Follow a change of NAME TYPE until every vantage point shows the expected answer.\n"
        "  --expect RDATA     an expected record, rdata alone (\"10 mx.example.com\") or a\n"
        "                     full record; repeat for an RR set of several records\n"
        "  --expect-serial N  the zone's SOA serial N or newer (RFC 1982)\n"
        "  --from-auth        what the authoritative servers with the newest serial serve now\n"
        "  --interval S       longest time between two asks of one resolver (default 30)\n"
        "  --deadline D       give up after D (default 1h; 90s, 10m, 2h)\n");
}

/* The answer the auth servers with the newest serial serve now, via a check. */
static char *ctl_from_auth(const char *endpoint, const char *name, const char *type)
{
    json_t *req = json_pack("{s:s,s:s,s:[s],s:[s],s:[],s:I}", "cmd", "check", "name", name, "types",
                            type, "resolvers", "auth", "agents", "timeout_ms", (json_int_t)10000);
    json_t *reply = ctl_call(endpoint, req, 15000);
    json_decref(req);
    if (!reply)
        return NULL;
    char *best = NULL;
    uint32_t best_serial = 0;
    bool have = false;
    const char *id;
    json_t *a;
    json_object_foreach(json_object_get(reply, "agents"), id, a)
    {
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(a, "observations"), i, o)
        {
            json_t *serial = json_object_get(o, "soa_serial");
            if (strcmp(json_string_value(json_object_get(o, "kind")), "auth") != 0 ||
                strcasecmp(json_string_value(json_object_get(o, "qtype")), type) != 0 ||
                !json_is_integer(serial) ||
                strcmp(json_string_value(json_object_get(o, "status")), "ok") != 0)
                continue;
            uint32_t sv = (uint32_t)json_integer_value(serial);
            if (have && serial_cmp(sv, best_serial) != SERIAL_GT)
                continue;
            size_t len = 0, k;
            json_t *line;
            json_array_foreach(json_object_get(o, "answer"), k, line) len +=
                strlen(json_string_value(line)) + 1;
            char *text = calloc(1, len + 1);
            if (!text)
                continue;
            json_array_foreach(json_object_get(o, "answer"), k, line)
            {
                if (k)
                    strcat(text, "\n");
                strcat(text, json_string_value(line));
            }
            free(best);
            best = text;
            best_serial = sv;
            have = true;
        }
    }
    json_decref(reply);
    if (!best)
        fprintf(stderr, "vantagectl track: no authoritative server answered %s %s\n", name, type);
    return best;
}

int ctl_track(const char *endpoint, int argc, char **argv)
{
    static const struct option opts[] = {
        {"expect", required_argument, NULL, 'e'},   {"expect-serial", required_argument, NULL, 's'},
        {"from-auth", no_argument, NULL, 'f'},      {"interval", required_argument, NULL, 'i'},
        {"deadline", required_argument, NULL, 'd'}, {"resolver", required_argument, NULL, 'r'},
        {"agent", required_argument, NULL, 'a'},    {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *expect[64];
    size_t n_expect = 0;
    bool from_auth = false, json = false, has_serial = false;
    unsigned long serial = 0, interval = 30;
    uint64_t deadline_ms = 3600000;
    json_t *resolvers = json_array(), *agents = json_array();
    int c, status = CTL_UNKNOWN;
    char *end, err[256];
    char *text = NULL;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":e:s:fi:d:r:a:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            if (n_expect < 64)
                expect[n_expect++] = optarg;
            break;
        case 's':
            serial = strtoul(optarg, &end, 10);
            if (*end || serial > UINT32_MAX) {
                fprintf(stderr, "vantagectl track: --expect-serial wants a serial, not '%s'\n",
                        optarg);
                goto usage;
            }
            has_serial = true;
            break;
        case 'f':
            from_auth = true;
            break;
        case 'i':
            interval = strtoul(optarg, &end, 10);
            if (*end || interval < 1 || interval > 86400) {
                fprintf(stderr, "vantagectl track: --interval wants 1..86400 s, not '%s'\n",
                        optarg);
                goto usage;
            }
            break;
        case 'd':
            if (conf_parse_duration_ms(optarg, 1000, 7 * 86400000ull, &deadline_ms, err,
                                       sizeof err) != 0) {
                fprintf(stderr, "vantagectl track: --deadline: %s\n", err);
                goto usage;
            }
            break;
        case 'r':
            json_array_append_new(resolvers, json_string(optarg));
            break;
        case 'a':
            json_array_append_new(agents, json_string(optarg));
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            ctl_track_usage(stdout);
            status = CTL_OK;
            goto done;
        default:
            fprintf(stderr, "vantagectl track: bad option '%s'\n", argv[optind - 1]);
            goto usage;
        }
    }
    if (optind + 2 != argc) {
        fprintf(stderr, "vantagectl track: NAME and TYPE are needed\n");
        goto usage;
    }
    const char *name = argv[optind], *type = argv[optind + 1];
    if ((n_expect > 0) + has_serial + from_auth != 1) {
        fprintf(stderr, "vantagectl track: give one of --expect, --expect-serial, --from-auth\n");
        goto usage;
    }
    ldns_rr_type t;
    if (!dnsname_type_from_str(type, &t)) {
        fprintf(stderr, "vantagectl track: unknown record type '%s'\n", type);
        goto usage;
    }
    if (n_expect) {
        rrset_canon_t *set = NULL;
        if (rrset_canon_from_text(expect, n_expect, name, t, &set, err, sizeof err) != RRSET_OK) {
            fprintf(stderr, "vantagectl track: --expect: %s\n", err);
            goto usage;
        }
        text = strdup(rrset_canon_text(set));
        rrset_canon_destroy(&set);
    } else if (from_auth && !(text = ctl_from_auth(endpoint, name, type))) {
        goto done;
    }
    json_t *req = json_pack("{s:s,s:s,s:s,s:O,s:O,s:I,s:I}", "cmd", "track", "name", name, "type",
                            type, "resolvers", resolvers, "agents", agents, "interval_s",
                            (json_int_t)interval, "deadline_s", (json_int_t)(deadline_ms / 1000));
    if (text)
        json_object_set_new(req, "expect", json_string(text));
    if (has_serial)
        json_object_set_new(req, "expect_serial", json_integer((json_int_t)serial));
    json_t *reply = ctl_call(endpoint, req, 10000);
    json_decref(req);
    if (!reply)
        goto done;
    if (json) {
        json_object_del(reply, "ok");
        ctl_print_json(reply);
    } else {
        long long id = (long long)json_integer_value(json_object_get(reply, "id"));
        printf("track %lld: %s %s, expecting %s\n", id,
               json_string_value(json_object_get(reply, "name")),
               json_string_value(json_object_get(reply, "type")), text ? text : "the serial");
        printf("follow it with: vantagectl watch %lld\n", id);
    }
    json_decref(reply);
    status = CTL_OK;
    goto done;
usage:
    ctl_track_usage(stderr);
    status = CTL_UNKNOWN;
done:
    free(text);
    json_decref(resolvers);
    json_decref(agents);
    return status;
}

/* Point order in the final table: caches before authoritative servers, then
 * region, then the time it took (the slowest last). */
static int ctl_point_cmp(const void *a, const void *b)
{
    const json_t *p = *(const json_t *const *)a, *q = *(const json_t *const *)b;
    int pa = strcmp(json_string_value(json_object_get(p, "kind")), "auth") == 0;
    int qa = strcmp(json_string_value(json_object_get(q, "kind")), "auth") == 0;
    if (pa != qa)
        return pa - qa;
    int c = strcmp(json_string_value(json_object_get(p, "region")),
                   json_string_value(json_object_get(q, "region")));
    if (c)
        return c;
    json_int_t tp = json_integer_value(json_object_get(p, "took_ms"));
    json_int_t tq = json_integer_value(json_object_get(q, "took_ms"));
    return (tp > tq) - (tp < tq);
}

/* The final table of a track: each vantage point, when it turned and why;
 * then, for a converged track, each region's slowest point. */
static void ctl_track_table(const json_t *t)
{
    static const char *const rhead[] = {"REGION", "TOOK", "SLOWEST", "WHY", NULL};
    bool converged = strcmp(json_string_value(json_object_get(t, "state")), "converged") == 0;
    /* A converged track's answers are all the expected one: no ANSWER column. */
    const char *const head[] = {"REGION", "AGENT", "RESOLVER", "STATE",
                                "TOOK",   "FLIPS", "WHY",      converged ? NULL : "ANSWER",
                                NULL};
    json_t *pts = json_object_get(t, "vantage_points");
    size_t n = json_array_size(pts);
    const json_t **v = calloc(n ? n : 1, sizeof *v);
    table_t *tb = table_new(head);
    if (!v || !tb) {
        free(v);
        table_destroy(&tb);
        return;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(pts, i);
    qsort(v, n, sizeof *v, ctl_point_cmp);
    for (size_t i = 0; i < n; i++) {
        const json_t *p = v[i];
        char took[48] = "-", flips[16];
        json_t *tk = json_object_get(p, "took_ms");
        if (json_is_integer(tk))
            snprintf(took, sizeof took, "%.1f s", json_integer_value(tk) / 1000.0);
        else if (json_is_integer(json_object_get(p, "eta_in_ms")))
            snprintf(took, sizeof took, "ETA %.0f s",
                     json_integer_value(json_object_get(p, "eta_in_ms")) / 1000.0);
        snprintf(flips, sizeof flips, "%lld",
                 (long long)json_integer_value(json_object_get(p, "flips")));
        const char *row[] = {json_string_value(json_object_get(p, "region")),
                             json_string_value(json_object_get(p, "agent")),
                             json_string_value(json_object_get(p, "resolver")),
                             json_is_true(json_object_get(p, "converged")) ? "converged" : "stale",
                             took,
                             flips,
                             json_string_value(json_object_get(p, "why")),
                             converged ? NULL : json_string_value(json_object_get(p, "answer"))};
        table_add(tb, row);
    }
    table_print(tb, stdout);
    table_destroy(&tb);
    /* By region: the slowest point of each decides when the region turned. */
    table_t *rt = converged ? table_new(rhead) : NULL;
    for (size_t i = 0; rt && i < n; i++) {
        const char *region = json_string_value(json_object_get(v[i], "region"));
        bool last = i + 1 == n ||
                    strcmp(region, json_string_value(json_object_get(v[i + 1], "region"))) != 0 ||
                    strcmp(json_string_value(json_object_get(v[i + 1], "kind")), "auth") == 0;
        if (!last || strcmp(json_string_value(json_object_get(v[i], "kind")), "auth") == 0)
            continue;
        char took[48], who[160];
        snprintf(took, sizeof took, "%.1f s",
                 json_integer_value(json_object_get(v[i], "took_ms")) / 1000.0);
        snprintf(who, sizeof who, "%s %s", json_string_value(json_object_get(v[i], "agent")),
                 json_string_value(json_object_get(v[i], "resolver")));
        const char *row[] = {region[0] ? region : "-", took, who,
                             json_string_value(json_object_get(v[i], "why"))};
        table_add(rt, row);
    }
    if (rt) {
        printf("\nby region (its slowest resolver):\n");
        table_print(rt, stdout);
    }
    table_destroy(&rt);
    free(v);
}

int ctl_watch(const char *endpoint, int argc, char **argv)
{
    bool json = false;
    const char *words[1];
    size_t n;
    if (ctl_words(argc, argv, "watch", &json, words, 1, &n) != 0 || n != 1) {
        fprintf(stderr, "usage: vantagectl watch ID [--json]\n");
        return CTL_UNKNOWN;
    }
    char *end;
    long long id = strtoll(words[0], &end, 10);
    if (*end || id <= 0) {
        fprintf(stderr, "vantagectl watch: '%s' is not a track id\n", words[0]);
        return CTL_UNKNOWN;
    }
    bool tty = !json && isatty(STDOUT_FILENO);
    char last[256] = "";
    for (;;) {
        json_t *req = json_pack("{s:s,s:I}", "cmd", "track-status", "id", (json_int_t)id);
        json_t *t = ctl_call(endpoint, req, 5000);
        json_decref(req);
        if (!t) {
            if (tty)
                putchar('\n');
            return CTL_UNKNOWN;
        }
        json_object_del(t, "ok");
        const char *state = json_string_value(json_object_get(t, "state"));
        long long pts = (long long)json_integer_value(json_object_get(t, "points"));
        long long conv = (long long)json_integer_value(json_object_get(t, "converged_points"));
        long long elapsed = (long long)json_integer_value(json_object_get(t, "elapsed_ms"));
        json_t *eta = json_object_get(t, "eta_ms");
        char line[256], bar[41];
        int width = 30, filled = pts ? (int)(conv * width / pts) : 0;
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        char etas[48] = "";
        if (json_is_integer(eta))
            snprintf(etas, sizeof etas, ", ETA %.0f s", json_integer_value(eta) / 1000.0);
        snprintf(line, sizeof line, "[%s] %lld/%lld converged%s, %.0f s elapsed, %s", bar, conv,
                 pts, etas, elapsed / 1000.0, state);
        char key[128];
        snprintf(key, sizeof key, "%lld/%lld %s", conv, pts, state);
        bool changed = strcmp(key, last) != 0;
        if (json) {
            if (changed) {
                json_dumpf(t, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
                putchar('\n');
            }
        } else if (tty) {
            printf("\r\033[K%s", line);
        } else if (changed) {
            printf("%s\n", line);
        }
        fflush(stdout);
        snprintf(last, sizeof last, "%s", key);
        if (strcmp(state, "running") != 0) {
            int rc = strcmp(state, "converged") == 0 ? CTL_OK : CTL_WARNING;
            if (!json) {
                if (tty)
                    putchar('\n');
                json_t *took = json_object_get(t, "took_ms");
                if (json_is_integer(took))
                    printf("track %lld converged: the whole world took %.1f s\n", id,
                           json_integer_value(took) / 1000.0);
                else
                    printf("track %lld timed out: %lld of %lld vantage points still stale\n", id,
                           pts - conv, pts);
                ctl_track_table(t);
            }
            json_decref(t);
            return rc;
        }
        json_decref(t);
        usleep(500000);
    }
}

static void ctl_track_row(const json_t *t, table_t *tb)
{
    char id[24], pts[48], started[80], took[32] = "-";
    snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(t, "id")));
    snprintf(pts, sizeof pts, "%lld/%lld",
             (long long)json_integer_value(json_object_get(t, "converged_points")),
             (long long)json_integer_value(json_object_get(t, "points")));
    table_when(json_integer_value(json_object_get(t, "started_ms")), started, sizeof started);
    if (json_is_integer(json_object_get(t, "took_ms")))
        snprintf(took, sizeof took, "%.1f s",
                 json_integer_value(json_object_get(t, "took_ms")) / 1000.0);
    const char *row[] = {id,
                         json_string_value(json_object_get(t, "name")),
                         json_string_value(json_object_get(t, "type")),
                         json_string_value(json_object_get(t, "state")),
                         pts,
                         started,
                         took};
    table_add(tb, row);
}

int ctl_tracks(const char *endpoint, int argc, char **argv)
{
    static const char *const head[] = {"ID",     "NAME",    "TYPE", "STATE",
                                       "POINTS", "STARTED", "TOOK", NULL};
    return ctl_list(endpoint, argc, argv, "tracks", "tracks", head, ctl_track_row);
}

/* ---- history ------------------------------------------------------------------------------ */

/* "1h", "30m", "90s" ago, or an ISO 8601 UTC time; -1 when neither. */
static int64_t ctl_since(const char *text)
{
    uint64_t ms;
    char err[128];
    if (conf_parse_duration_ms(text, 0, UINT64_C(3650) * 86400000, &ms, err, sizeof err) == 0)
        return clock_wall_ms() - (int64_t)ms;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        end = strptime(text, "%Y-%m-%d", &tm);
    if (!end || (*end && strcmp(end, "Z") != 0))
        return -1;
    return (int64_t)timegm(&tm) * 1000;
}

int ctl_history(const char *endpoint, int argc, char **argv)
{
    bool json = false;
    const char *words[2];
    const char *since = "24h";
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
            since = argv[++i];
        } else if (argv[i][0] != '-' && n < 2) {
            words[n++] = argv[i];
        } else {
            fprintf(stderr, "vantagectl history: unexpected argument '%s'\n", argv[i]);
            n = 99;
            break;
        }
    }
    int64_t since_ms = n == 2 ? ctl_since(since) : -1;
    if (n != 2 || since_ms < 0) {
        if (n == 2)
            fprintf(stderr,
                    "vantagectl history: --since wants a duration (1h, 30m) or a UTC time "
                    "(2026-11-26T10:00:00Z), not '%s'\n",
                    since);
        fprintf(stderr, "usage: vantagectl history NAME TYPE [--since T] [--json]\n");
        return CTL_UNKNOWN;
    }
    json_t *req = json_pack("{s:s,s:s,s:s,s:I}", "cmd", "history", "name", words[0], "type",
                            words[1], "since_ms", (json_int_t)since_ms);
    json_t *reply = ctl_call(endpoint, req, 10000);
    json_decref(req);
    if (!reply)
        return CTL_UNKNOWN;
    json_object_del(reply, "ok");
    if (json) {
        ctl_print_json(reply);
    } else {
        json_t *changes = json_object_get(reply, "changes");
        printf("%s %s since %s: %zu change%s\n", json_string_value(json_object_get(reply, "name")),
               json_string_value(json_object_get(reply, "type")),
               json_string_value(json_object_get(reply, "since")), json_array_size(changes),
               json_array_size(changes) == 1 ? "" : "s");
        static const char *const head[] = {"TIME",   "REGION", "AGENT", "RESOLVER",
                                           "STATUS", "ANSWER", NULL};
        table_t *t = table_new(head);
        size_t i;
        json_t *c;
        json_array_foreach(changes, i, c)
        {
            char ans[2048] = "";
            size_t pos = 0, k;
            json_t *line;
            json_array_foreach(json_object_get(c, "answer"), k, line)
            {
                int w = snprintf(ans + pos, sizeof ans - pos, "%s%s", k ? ", " : "",
                                 json_string_value(line));
                if (w < 0 || (size_t)w >= sizeof ans - pos)
                    break;
                pos += (size_t)w;
            }
            const char *row[] = {json_string_value(json_object_get(c, "time")),
                                 json_string_value(json_object_get(c, "region")),
                                 json_string_value(json_object_get(c, "agent")),
                                 json_string_value(json_object_get(c, "resolver")),
                                 json_string_value(json_object_get(c, "status")),
                                 ans[0] ? ans : "-"};
            if (t)
                table_add(t, row);
        }
        if (t)
            table_print(t, stdout);
        table_destroy(&t);
    }
    json_decref(reply);
    return CTL_OK;
}

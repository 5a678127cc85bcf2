/*
 * agent/smtp.c - SMTP reachability probes (see smtp.h).
 *
 * Each probe is a small state machine on a non-blocking socket: connect,
 * greeting, EHLO, [STARTTLS, handshake], QUIT. Replies are read a byte at a
 * time through one line parser that enforces every cap; a reply that ends
 * is handed to the state's step. TLS runs on the same socket through
 * OpenSSL, whose WANT_READ/WANT_WRITE say what to poll for.
 */
#include "agent/smtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/findings.h"
#include "common/clock.h"

#define SMTP_CACHE_MAX 256
#define SMTP_QUIT_MS   2000 /* longest wait for the answer to QUIT */

typedef enum smtp_state {
    ST_QUEUED,    /* waiting for its turn (per-host limit) */
    ST_CONNECT,   /* connect() in progress */
    ST_GREETING,  /* reading the 220 */
    ST_EHLO,      /* sent EHLO, reading its reply */
    ST_STARTTLS,  /* sent STARTTLS, reading its reply */
    ST_HANDSHAKE, /* TLS handshake */
    ST_QUIT,      /* sent QUIT, reading 221 */
} smtp_state;

/* The strings of a result, held with it. */
typedef struct smtp_text {
    char host[256];
    char addr[INET6_ADDRSTRLEN];
    char greeting[513];
    char greet_name[256];
    char tls_version[24];
    char cert_names[1025];
    char detail[257];
} smtp_text;

typedef struct smtp_conn {
    smtp_state st;
    int fd;
    SSL *ssl;
    bool want_write; /* TLS: the last operation waits to write */
    bool want_read;  /* TLS: the last write waits to read */
    bool quit_ok;    /* QUIT was answered: TLS may be closed politely */
    smtp_done_cb cb;
    void *arg;
    struct sockaddr_storage sa;
    socklen_t salen;
    int64_t start_us;    /* probe start (monotonic) */
    int64_t deadline_us; /* the current step's end */
    int64_t end_us;      /* the whole probe's end */
    char out[300];       /* command being sent */
    size_t out_len, out_off;
    char line[SMTP_LINE_MAX + 1]; /* reply line being read */
    size_t line_len;
    unsigned reply_lines; /* lines of the current reply */
    int reply_code;       /* its code (first line) */
    size_t bytes_read;    /* from this server, all replies */
    bool failed;          /* status decided: only QUIT/close left */
    proto_smtp r;         /* the result being built */
    smtp_text t;          /* its strings */
} smtp_conn;

typedef struct smtp_cached {
    int64_t at_us; /* when it was probed (monotonic) */
    uint16_t port;
    proto_smtp r;
    smtp_text t;
} smtp_cached;

struct smtp {
    smtp_opts o;
    char helo[256];
    SSL_CTX *ctx;
    smtp_conn *probes[SMTP_PROBES_MAX];
    size_t n;
    smtp_cached *cache; /* SMTP_CACHE_MAX entries */
    size_t n_cache;
};

/* OpenSSL's reason for an error code, never NULL. */
static const char *smtp_ssl_error(unsigned long e)
{
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown error";
}

/* ---- setup --------------------------------------------------------------------------------- */

/* A host name fit for EHLO: letters, digits, '-', '.'; else "localhost". */
static void smtp_helo_name(const char *want, char *out, size_t size)
{
    char buf[256] = "";
    if (want && *want)
        snprintf(buf, sizeof buf, "%s", want);
    else if (gethostname(buf, sizeof buf - 1) != 0)
        buf[0] = '\0';
    buf[sizeof buf - 1] = '\0';
    bool ok = buf[0] != '\0';
    for (const char *p = buf; *p && ok; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '-' || *p == '.';
    snprintf(out, size, "%s", ok ? buf : "localhost");
}

smtp_t *smtp_new(const smtp_opts *opts, char *err, size_t errlen)
{
    smtp_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->o = *opts;
    if (!self->o.connect_timeout_ms)
        self->o.connect_timeout_ms = 5000;
    if (!self->o.reply_timeout_ms)
        self->o.reply_timeout_ms = 5000;
    if (!self->o.probe_timeout_ms)
        self->o.probe_timeout_ms = 20000;
    if (!self->o.min_interval_ms)
        self->o.min_interval_ms = 60000;
    if (self->o.no_min_interval)
        self->o.min_interval_ms = 0;
    self->o.ca_file = NULL; /* loaded below, not kept */
    smtp_helo_name(opts->helo_name, self->helo, sizeof self->helo);
    self->cache = calloc(SMTP_CACHE_MAX, sizeof *self->cache);
    self->ctx = SSL_CTX_new(TLS_client_method());
    if (!self->cache || !self->ctx) {
        snprintf(err, errlen, "cannot set up TLS: %s",
                 self->ctx ? "out of memory" : smtp_ssl_error(ERR_get_error()));
        smtp_destroy(&self);
        return NULL;
    }
    /* The chain is checked and reported, never enforced: an MTA that
     * delivers with opportunistic TLS does not enforce it either. */
    SSL_CTX_set_verify(self->ctx, SSL_VERIFY_NONE, NULL);
    /* Any TLS a sending MTA would take: the version is reported, not judged. */
    SSL_CTX_set_min_proto_version(self->ctx, TLS1_VERSION);
    SSL_CTX_set_security_level(self->ctx, 0);
    int ok = opts->ca_file ? SSL_CTX_load_verify_locations(self->ctx, opts->ca_file, NULL)
                           : SSL_CTX_set_default_verify_paths(self->ctx);
    if (ok != 1) {
        snprintf(err, errlen, "cannot load CA certificates%s%s: %s", opts->ca_file ? " from " : "",
                 opts->ca_file ? opts->ca_file : "", smtp_ssl_error(ERR_get_error()));
        smtp_destroy(&self);
        return NULL;
    }
    return self;
}

static void smtp_probe_free(smtp_conn *p)
{
    if (p->ssl)
        SSL_free(p->ssl);
    if (p->fd >= 0)
        close(p->fd);
    free(p);
}

void smtp_destroy(smtp_t **self_p)
{
    smtp_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n; i++)
        smtp_probe_free(self->probes[i]);
    if (self->ctx)
        SSL_CTX_free(self->ctx);
    free(self->cache);
    free(self);
    *self_p = NULL;
}

bool smtp_cancel(smtp_t *self, const void *arg)
{
    for (size_t i = 0; i < self->n; i++) {
        smtp_conn *p = self->probes[i];
        if (p->arg == arg) {
            self->probes[i] = self->probes[--self->n];
            smtp_probe_free(p);
            return true;
        }
    }
    return false;
}

size_t smtp_active(const smtp_t *self)
{
    return self->n;
}

/* ---- results ------------------------------------------------------------------------------- */

/* Point the result's strings at its text (empty = NULL). */
static void smtp_result_link(proto_smtp *r, smtp_text *t)
{
    r->host = t->host;
    r->addr = t->addr;
    r->greeting = t->greeting[0] ? t->greeting : NULL;
    r->greet_name = t->greet_name[0] ? t->greet_name : NULL;
    r->tls_version = t->tls_version[0] ? t->tls_version : NULL;
    r->cert_names = t->cert_names[0] ? t->cert_names : NULL;
    r->detail = t->detail[0] ? t->detail : NULL;
}

static void smtp_cache_put(smtp_t *self, const smtp_conn *p)
{
    if (self->o.min_interval_ms == 0)
        return;
    size_t slot = self->n_cache;
    for (size_t i = 0; i < self->n_cache; i++) {
        if (self->cache[i].port == p->r.port && strcmp(self->cache[i].t.addr, p->t.addr) == 0) {
            slot = i;
            break;
        }
    }
    if (slot == SMTP_CACHE_MAX) { /* full: the oldest goes */
        slot = 0;
        for (size_t i = 1; i < self->n_cache; i++) {
            if (self->cache[i].at_us < self->cache[slot].at_us)
                slot = i;
        }
    } else if (slot == self->n_cache) {
        self->n_cache++;
    }
    smtp_cached *c = &self->cache[slot];
    c->at_us = p->start_us;
    c->port = p->r.port;
    c->r = p->r;
    c->t = p->t;
    smtp_result_link(&c->r, &c->t);
}

/* A probe has ended (and left the list): result, cache, callback, free. */
static void smtp_complete(smtp_t *self, smtp_conn *p)
{
    int64_t now = clock_mono_us();
    p->r.t_ms = clock_wall_ms();
    p->r.total_us = (uint32_t)(now - p->start_us > UINT32_MAX ? UINT32_MAX : now - p->start_us);
    findings_text_fix(p->t.greeting);
    findings_text_fix(p->t.detail);
    findings_text_fix(p->t.cert_names);
    smtp_result_link(&p->r, &p->t);
    if (p->r.status != PROTO_SMTP_SKIPPED && p->r.status != PROTO_SMTP_ERROR)
        smtp_cache_put(self, p);
    if (p->cb)
        p->cb(p->arg, &p->r);
    smtp_probe_free(p);
}

/* Probe i of the list has ended. */
static void smtp_finish(smtp_t *self, size_t i)
{
    smtp_conn *p = self->probes[i];
    self->probes[i] = self->probes[--self->n];
    smtp_complete(self, p);
}

/* Decide the status once (the first failure wins) with a detail. */
__attribute__((format(printf, 3, 4))) static void smtp_fail(smtp_conn *p, uint8_t status,
                                                            const char *fmt, ...)
{
    if (p->failed || p->st == ST_QUIT) /* the dialogue was over: QUIT is a courtesy */
        return;
    p->failed = true;
    p->r.status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->t.detail, sizeof p->t.detail, fmt, ap);
    va_end(ap);
}

int smtp_result_copy(proto_smtp *dst, const proto_smtp *src, arena_t *arena)
{
    *dst = *src;
    const char **fields[] = {&dst->host,        &dst->addr,       &dst->greeting, &dst->greet_name,
                             &dst->tls_version, &dst->cert_names, &dst->detail};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (*fields[i] && !(*fields[i] = arena_strdup(arena, *fields[i]))) {
            *dst = (proto_smtp){.t_ms = src->t_ms,
                                .host = "",
                                .addr = "",
                                .port = src->port,
                                .status = PROTO_SMTP_ERROR};
            return -1;
        }
    }
    return 0;
}

/* ---- starting ------------------------------------------------------------------------------ */

static int smtp_connect(smtp_t *self, smtp_conn *p)
{
    int64_t now = clock_mono_us();
    p->start_us = now;
    p->end_us = now + (int64_t)self->o.probe_timeout_ms * 1000;
    p->deadline_us = now + (int64_t)self->o.connect_timeout_ms * 1000;
    p->fd = socket(p->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        smtp_fail(p, PROTO_SMTP_ERROR, "socket: %s", strerror(errno));
        return -1;
    }
    p->st = ST_CONNECT;
    if (connect(p->fd, (struct sockaddr *)&p->sa, p->salen) == 0 || errno == EINPROGRESS)
        return 0;
    int e = errno;
    if (e == ECONNREFUSED)
        smtp_fail(p, PROTO_SMTP_REFUSED, "connection refused");
    else if (e == ENETUNREACH || e == EHOSTUNREACH || e == EACCES || e == EPERM)
        smtp_fail(p, PROTO_SMTP_UNREACHABLE, "connect: %s", strerror(e));
    else
        smtp_fail(p, PROTO_SMTP_ERROR, "connect: %s", strerror(e));
    return -1;
}

/* A result probed within min_interval for (addr, port), or NULL. */
static const smtp_cached *smtp_cache_find(const smtp_t *self, const char *addr, uint16_t port,
                                          int64_t now_us)
{
    for (size_t i = 0; i < self->n_cache; i++) {
        const smtp_cached *c = &self->cache[i];
        if (c->port == port && strcmp(c->t.addr, addr) == 0 &&
            now_us - c->at_us < (int64_t)self->o.min_interval_ms * 1000)
            return c;
    }
    return NULL;
}

/* Hand a cached result to a caller, under the MX name it asked for. */
static void smtp_cache_give(const smtp_cached *c, const char *host, smtp_done_cb cb, void *arg)
{
    proto_smtp r = c->r;
    r.host = host;
    if (cb)
        cb(arg, &r);
}

/* Start queued probes whose address has room (or that a fresh result
 * answers now), end those that cannot start. */
static void smtp_start_queued(smtp_t *self)
{
    int64_t now = clock_mono_us();
    for (size_t i = 0; i < self->n;) {
        smtp_conn *p = self->probes[i];
        if (p->st != ST_QUEUED) {
            i++;
            continue;
        }
        unsigned running = 0;
        for (size_t k = 0; k < self->n; k++) {
            const smtp_conn *q = self->probes[k];
            running +=
                q->st != ST_QUEUED && q->r.port == p->r.port && strcmp(q->t.addr, p->t.addr) == 0;
        }
        if (running >= SMTP_PER_ADDR_MAX) {
            i++;
            continue;
        }
        const smtp_cached *c = smtp_cache_find(self, p->t.addr, p->r.port, now);
        if (c) { /* probed while this one waited its turn */
            self->probes[i] = self->probes[--self->n];
            smtp_cache_give(c, p->t.host, p->cb, p->arg);
            smtp_probe_free(p);
            continue;
        }
        if (smtp_connect(self, p) != 0) {
            smtp_finish(self, i); /* the list changed: look at slot i again */
            continue;
        }
        i++;
    }
}

int smtp_probe(smtp_t *self, const char *host, const char *addr, uint16_t port, smtp_done_cb cb,
               void *arg)
{
    if (!port)
        port = 25;
    smtp_conn *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    p->fd = -1;
    p->cb = cb;
    p->arg = arg;
    p->r.port = port;
    p->start_us = clock_mono_us();
    snprintf(p->t.host, sizeof p->t.host, "%s", host);
    snprintf(p->t.addr, sizeof p->t.addr, "%s", addr);
    /* The address in its canonical text: one key per address. */
    struct sockaddr_in *s4 = (struct sockaddr_in *)&p->sa;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&p->sa;
    if (strlen(addr) < sizeof p->t.addr && inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        p->salen = sizeof *s4;
        inet_ntop(AF_INET, &s4->sin_addr, p->t.addr, sizeof p->t.addr);
    } else if (strlen(addr) < sizeof p->t.addr && inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        p->salen = sizeof *s6;
        inet_ntop(AF_INET6, &s6->sin6_addr, p->t.addr, sizeof p->t.addr);
    } else {
        smtp_fail(p, PROTO_SMTP_ERROR, "not an IP address");
    }
    const smtp_cached *c = p->failed ? NULL : smtp_cache_find(self, p->t.addr, port, p->start_us);
    if (c) {
        smtp_cache_give(c, p->t.host, cb, arg);
        smtp_probe_free(p);
        return 0;
    }
    if (!p->failed && self->n == SMTP_PROBES_MAX)
        smtp_fail(p, PROTO_SMTP_SKIPPED, "too many probes at once (%d)", SMTP_PROBES_MAX);
    if (p->failed) {
        smtp_complete(self, p);
        return 0;
    }
    p->st = ST_QUEUED;
    self->probes[self->n++] = p;
    smtp_start_queued(self);
    return 0;
}

/* ---- the dialogue -------------------------------------------------------------------------- */

/* Queue a command line (CRLF added) and wait for its reply. */
static void smtp_send(smtp_t *self, smtp_conn *p, smtp_state st, const char *cmd)
{
    int n = snprintf(p->out, sizeof p->out, "%s\r\n", cmd);
    p->out_len = n > 0 && (size_t)n < sizeof p->out ? (size_t)n : 0;
    p->out_off = 0;
    p->st = st;
    p->line_len = 0;
    p->reply_lines = 0;
    p->reply_code = 0;
    uint32_t ms = st == ST_QUIT && self->o.reply_timeout_ms > SMTP_QUIT_MS
                      ? SMTP_QUIT_MS
                      : self->o.reply_timeout_ms;
    p->deadline_us = clock_mono_us() + (int64_t)ms * 1000;
}

/* Say goodbye when the server is still talking to us; else we are done. */
static void smtp_quit(smtp_t *self, smtp_conn *p)
{
    smtp_send(self, p, ST_QUIT, "QUIT");
}

/* Clean a copy of a reply line's text into out. */
static void smtp_clean(const char *in, char *out, size_t size)
{
    size_t k = 0;
    for (; *in && k + 1 < size; in++)
        out[k++] = (unsigned char)*in < 0x20 || *in == 0x7f ? '?' : *in;
    out[k] = '\0';
}

/* The host name a greeting announces: its first word, if it looks like one. */
static void smtp_greet_name(const char *text, char *out, size_t size)
{
    size_t k = 0;
    while (*text == ' ')
        text++;
    for (; *text && *text != ' ' && k + 1 < size; text++) {
        char c = *text;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '[' || c == ']' || c == ':')) {
            k = 0;
            break;
        }
        out[k++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    if (*text && *text != ' ') /* longer than a host name: none */
        k = 0;
    out[k] = '\0';
    if (k && out[k - 1] != '.' && out[0] != '[' && k + 1 < size) /* canonical: trailing dot */
        out[k++] = '.', out[k] = '\0';
}

/* TLS facts of the completed handshake. */
static void smtp_tls_facts(smtp_conn *p)
{
    p->r.flags |= PROTO_SMTP_TLS;
    snprintf(p->t.tls_version, sizeof p->t.tls_version, "%s", SSL_get_version(p->ssl));
    X509 *cert = SSL_get1_peer_certificate(p->ssl);
    if (!cert) {
        snprintf(p->t.detail, sizeof p->t.detail, "no server certificate");
        return;
    }
    if (SSL_get_verify_result(p->ssl) == X509_V_OK)
        p->r.flags |= PROTO_SMTP_CHAIN_OK;
    char host[256];
    snprintf(host, sizeof host, "%s", p->t.host);
    size_t hl = strlen(host);
    if (hl > 1 && host[hl - 1] == '.')
        host[hl - 1] = '\0';
    if (X509_check_host(cert, host, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1)
        p->r.flags |= PROTO_SMTP_NAME_MATCH;
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    char *names = p->t.cert_names;
    size_t cap = sizeof p->t.cert_names;
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        if (g->type != GEN_DNS)
            continue;
        char one[256];
        int len = ASN1_STRING_length(g->d.dNSName);
        if (len <= 0 || (size_t)len >= sizeof one)
            continue;
        memcpy(one, ASN1_STRING_get0_data(g->d.dNSName), (size_t)len);
        one[len] = '\0';
        smtp_clean(one, one, sizeof one);
        for (char *q = one; *q; q++)
            *q = *q == ',' ? '?' : *q; /* the list's separator */
        size_t used = strlen(names);
        if (used + strlen(one) + 2 < cap)
            snprintf(names + used, cap - used, "%s%s", used ? "," : "", one);
    }
    GENERAL_NAMES_free(sans);
    if (!names[0]) { /* no DNS name in the SAN: the subject's CN */
        char cn[256];
        if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) >
            0) {
            smtp_clean(cn, cn, sizeof cn);
            snprintf(names, cap, "%s", cn);
        }
    }
    struct tm tm;
    const ASN1_TIME *na = X509_get0_notAfter(cert);
    if (na && ASN1_TIME_to_tm(na, &tm) == 1)
        p->r.cert_not_after = (int64_t)timegm(&tm) * 1000;
    X509_free(cert);
}

/* A reply has ended (code, lines read): the state's next step. */
static void smtp_reply(smtp_t *self, smtp_conn *p)
{
    int code = p->reply_code;
    switch (p->st) {
    case ST_GREETING:
        p->r.code = (uint16_t)code;
        if (code != 220) {
            smtp_fail(p, PROTO_SMTP_GREETING_BAD, "greeting %d %s", code, p->t.greeting);
            smtp_quit(self, p);
            return;
        }
        {
            char cmd[300];
            snprintf(cmd, sizeof cmd, "EHLO %s", self->helo);
            smtp_send(self, p, ST_EHLO, cmd);
        }
        return;
    case ST_EHLO:
        if (code == 250) {
            p->r.flags |= PROTO_SMTP_EHLO;
        } else if (code >= 400 && code < 500) { /* 421: service not available */
            smtp_fail(p, PROTO_SMTP_GREETING_BAD, "EHLO answered %d", code);
            smtp_quit(self, p);
            return;
        } else { /* 5xx: a server without ESMTP */
            snprintf(p->t.detail, sizeof p->t.detail, "EHLO answered %d", code);
            p->r.flags &= (uint8_t) ~(PROTO_SMTP_STARTTLS | PROTO_SMTP_SIZE);
        }
        if (self->o.tls && (p->r.flags & PROTO_SMTP_STARTTLS))
            smtp_send(self, p, ST_STARTTLS, "STARTTLS");
        else
            smtp_quit(self, p);
        return;
    case ST_STARTTLS:
        if (code != 220) {
            smtp_fail(p, PROTO_SMTP_TLS_FAILED, "STARTTLS answered %d", code);
            smtp_quit(self, p);
            return;
        }
        p->ssl = SSL_new(self->ctx);
        char host[256];
        snprintf(host, sizeof host, "%s", p->t.host);
        size_t hl = strlen(host);
        if (hl > 1 && host[hl - 1] == '.')
            host[hl - 1] = '\0';
        if (!p->ssl || SSL_set_fd(p->ssl, p->fd) != 1 ||
            SSL_set_tlsext_host_name(p->ssl, host) != 1) {
            smtp_fail(p, PROTO_SMTP_ERROR, "TLS setup failed");
            p->st = ST_QUIT;
            p->deadline_us = 0; /* close at once */
            return;
        }
        SSL_set_connect_state(p->ssl);
        p->st = ST_HANDSHAKE;
        p->deadline_us = clock_mono_us() + (int64_t)self->o.reply_timeout_ms * 1000;
        return;
    case ST_QUIT:
        p->quit_ok = true;
        p->deadline_us = 0; /* done: close now */
        return;
    default:
        return;
    }
}

/* One line of a reply (no CRLF): check its form, note what it says. */
static void smtp_line(smtp_t *self, smtp_conn *p)
{
    p->line[p->line_len] = '\0';
    const char *l = p->line;
    bool form = p->line_len >= 3 && l[0] >= '2' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' &&
                l[2] >= '0' && l[2] <= '9' && (l[3] == '\0' || l[3] == ' ' || l[3] == '-');
    int code = form ? (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0') : 0;
    if (!form || (p->reply_lines > 0 && code != p->reply_code)) {
        char shown[80];
        smtp_clean(l, shown, sizeof shown);
        smtp_fail(p, p->st == ST_GREETING ? PROTO_SMTP_GREETING_BAD : PROTO_SMTP_PROTOCOL,
                  "not an SMTP reply: \"%s\"", shown);
        p->deadline_us = 0; /* not SMTP: no QUIT either */
        p->st = ST_QUIT;
        return;
    }
    const char *text = l[3] ? l + 4 : "";
    if (p->reply_lines == 0) {
        p->reply_code = code;
        if (p->st == ST_GREETING) {
            smtp_clean(text, p->t.greeting, sizeof p->t.greeting);
            if (code == 220)
                smtp_greet_name(text, p->t.greet_name, sizeof p->t.greet_name);
        }
    } else if (p->st == ST_EHLO && code == 250) {
        size_t kl = strcspn(text, " "); /* the keyword, then its parameters */
        const char *param = text + kl + strspn(text + kl, " ");
        if (kl == 8 && strncasecmp(text, "STARTTLS", 8) == 0) {
            p->r.flags |= PROTO_SMTP_STARTTLS;
        } else if (kl == 4 && strncasecmp(text, "SIZE", 4) == 0) {
            p->r.flags |= PROTO_SMTP_SIZE;
            size_t dl = strspn(param, "0123456789");
            p->r.size_max = dl > 0 && dl <= 19 ? strtoull(param, NULL, 10) : 0;
        }
    }
    p->reply_lines++;
    if (l[3] == '-') {
        if (p->reply_lines >= SMTP_REPLY_LINES) {
            smtp_fail(p, PROTO_SMTP_PROTOCOL, "more than %d lines in one reply: cut",
                      SMTP_REPLY_LINES);
            p->deadline_us = 0;
            p->st = ST_QUIT;
        }
        return;
    }
    smtp_reply(self, p);
}

/* Bytes from the server, through the line parser. Returns false when the
 * probe must end now (a cap was hit or the dialogue is over). */
static bool smtp_feed(smtp_t *self, smtp_conn *p, const char *buf, size_t n)
{
    smtp_state at = p->st;
    for (size_t i = 0; i < n; i++) {
        if (++p->bytes_read > SMTP_READ_MAX) {
            smtp_fail(p, PROTO_SMTP_PROTOCOL, "more than %d bytes read: cut", SMTP_READ_MAX);
            return false;
        }
        char c = buf[i] ? buf[i] : '?'; /* a NUL would cut the line short */
        if (c == '\n') {
            if (p->line_len && p->line[p->line_len - 1] == '\r')
                p->line_len--;
            smtp_line(self, p);
            p->line_len = 0;
            if (p->deadline_us == 0)
                return false;
            /* A reply ended and a command went out: what the server sent
             * beyond it is not an answer to that command (and, before TLS,
             * would be a STARTTLS injection): dropped. */
            if (p->st != at || p->out_len)
                return true;
            continue;
        }
        if (p->line_len == SMTP_LINE_MAX) {
            smtp_fail(p,
                      p->st == ST_GREETING && p->reply_lines == 0 ? PROTO_SMTP_GREETING_BAD
                                                                  : PROTO_SMTP_PROTOCOL,
                      "a reply line longer than %d bytes: cut", SMTP_LINE_MAX);
            return false;
        }
        p->line[p->line_len++] = c;
    }
    return true;
}

/* What to poll the probe's socket for. */
static short smtp_events(const smtp_conn *p)
{
    if (p->st == ST_CONNECT)
        return ZMQ_POLLOUT;
    if (p->ssl && (p->want_write || p->want_read))
        return p->want_write ? ZMQ_POLLOUT : ZMQ_POLLIN;
    return p->out_len > p->out_off ? ZMQ_POLLOUT : ZMQ_POLLIN;
}

/* After an SSL call returned k <= 0: true when it only waits for the socket
 * (the direction noted for smtp_events). */
static bool smtp_ssl_wait(smtp_conn *p, int k)
{
    int e = SSL_get_error(p->ssl, k);
    p->want_read = e == SSL_ERROR_WANT_READ;
    p->want_write = e == SSL_ERROR_WANT_WRITE;
    return p->want_read || p->want_write;
}

/* Send what is queued; false on a hard error (status set). */
static bool smtp_write(smtp_conn *p)
{
    while (p->out_off < p->out_len) {
        ssize_t w;
        if (p->ssl) {
            ERR_clear_error();
            int k = SSL_write(p->ssl, p->out + p->out_off, (int)(p->out_len - p->out_off));
            if (k <= 0) {
                if (smtp_ssl_wait(p, k))
                    return true;
                smtp_fail(p, PROTO_SMTP_CLOSED, "TLS write failed");
                return false;
            }
            p->want_read = p->want_write = false;
            w = k;
        } else {
            w = send(p->fd, p->out + p->out_off, p->out_len - p->out_off, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    return true;
                smtp_fail(p, PROTO_SMTP_CLOSED, "send: %s", strerror(errno));
                return false;
            }
        }
        p->out_off += (size_t)w;
    }
    p->out_len = p->out_off = 0;
    return true;
}

/* The connection ended under a step: what that means there. */
static void smtp_closed(smtp_conn *p, const char *how)
{
    if (p->st == ST_STARTTLS || p->st == ST_HANDSHAKE)
        smtp_fail(p, PROTO_SMTP_TLS_FAILED, "%s during STARTTLS", how);
    else if (p->st == ST_GREETING)
        smtp_fail(p, PROTO_SMTP_CLOSED, "%s before the greeting ended", how);
    else
        smtp_fail(p, PROTO_SMTP_CLOSED, "%s mid-dialogue", how);
}

/* Read what is there; false when the probe must end. */
static bool smtp_read(smtp_t *self, smtp_conn *p)
{
    char buf[2048];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t r;
        if (p->ssl) {
            ERR_clear_error();
            int k = SSL_read(p->ssl, buf, sizeof buf);
            if (k <= 0) {
                if (smtp_ssl_wait(p, k))
                    return true;
                smtp_closed(p, "the server closed the TLS connection");
                return false;
            }
            p->want_read = p->want_write = false;
            r = k;
        } else {
            r = recv(p->fd, buf, sizeof buf, 0);
            if (r < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    return true;
                smtp_closed(p, strerror(errno));
                return false;
            }
            if (r == 0) {
                smtp_closed(p, "the server closed the connection");
                return false;
            }
        }
        if (!smtp_feed(self, p, buf, (size_t)r))
            return false;
        if (p->out_len || p->st == ST_HANDSHAKE)
            return true; /* a command to send, or TLS to begin */
    }
    return true;
}

/* The handshake; false when the probe must end. */
static bool smtp_handshake(smtp_t *self, smtp_conn *p)
{
    ERR_clear_error();
    int k = SSL_connect(p->ssl);
    if (k == 1) {
        p->want_read = p->want_write = false;
        smtp_tls_facts(p);
        smtp_quit(self, p);
        return true;
    }
    if (smtp_ssl_wait(p, k))
        return true;
    unsigned long why = ERR_get_error();
    smtp_fail(p, PROTO_SMTP_TLS_FAILED, "TLS handshake failed: %s",
              why ? smtp_ssl_error(why) : "connection closed");
    SSL_free(p->ssl); /* no TLS to close politely */
    p->ssl = NULL;
    return false;
}

/* One probe's socket is ready (revents) or its time may be up. Returns
 * false when the probe has ended. */
static bool smtp_step(smtp_t *self, smtp_conn *p, short revents, int64_t now)
{
    if (p->st == ST_CONNECT && (revents & (ZMQ_POLLOUT | ZMQ_POLLERR))) {
        int e = 0;
        socklen_t len = sizeof e;
        if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
            e = errno;
        if (e) {
            if (e == ECONNREFUSED)
                smtp_fail(p, PROTO_SMTP_REFUSED, "connection refused");
            else if (e == ENETUNREACH || e == EHOSTUNREACH || e == EACCES || e == EPERM)
                smtp_fail(p, PROTO_SMTP_UNREACHABLE, "connect: %s", strerror(e));
            else if (e == ETIMEDOUT)
                smtp_fail(p, PROTO_SMTP_TIMEOUT, "connect timed out");
            else
                smtp_fail(p, PROTO_SMTP_ERROR, "connect: %s", strerror(e));
            return false;
        }
        int64_t t = clock_mono_us() - p->start_us;
        p->r.connect_us = t <= 0 ? 1 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
        p->st = ST_GREETING;
        p->deadline_us = now + (int64_t)self->o.reply_timeout_ms * 1000;
        return true;
    }
    if (p->st == ST_HANDSHAKE) {
        if (revents && !smtp_handshake(self, p))
            return false;
    } else if (revents && p->st != ST_CONNECT) {
        /* TLS may want the other direction than the one the data goes in */
        bool out = p->out_len > p->out_off;
        if ((revents & ZMQ_POLLOUT) && out && !smtp_write(p))
            return false;
        if ((revents & (ZMQ_POLLIN | ZMQ_POLLERR)) || ((revents & ZMQ_POLLOUT) && !out)) {
            if (!smtp_read(self, p))
                return false;
            if (p->st == ST_HANDSHAKE && !smtp_handshake(self, p)) /* the client speaks first */
                return false;
            if (p->st != ST_HANDSHAKE && p->out_len && !smtp_write(p))
                return false;
        }
    }
    if (p->deadline_us == 0)
        return false;
    if (now >= p->deadline_us || now >= p->end_us) {
        static const char *const what[] = {"",
                                           "connect did not complete",
                                           "no greeting",
                                           "no reply to EHLO",
                                           "no reply to STARTTLS",
                                           "the TLS handshake did not complete",
                                           ""};
        bool whole = now >= p->end_us && now < p->deadline_us;
        uint8_t status = p->st == ST_STARTTLS || p->st == ST_HANDSHAKE ? PROTO_SMTP_TLS_FAILED
                                                                       : PROTO_SMTP_TIMEOUT;
        smtp_fail(p, status, "%s within %u ms", what[p->st],
                  whole                 ? self->o.probe_timeout_ms
                  : p->st == ST_CONNECT ? self->o.connect_timeout_ms
                                        : self->o.reply_timeout_ms);
        return false;
    }
    return true;
}

size_t smtp_pollitems(smtp_t *self, zmq_pollitem_t *items, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < self->n && k < max; i++) {
        const smtp_conn *p = self->probes[i];
        if (p->st == ST_QUEUED || p->fd < 0)
            continue;
        items[k++] = (zmq_pollitem_t){.socket = NULL, .fd = p->fd, .events = smtp_events(p)};
    }
    return k;
}

void smtp_process(smtp_t *self, const zmq_pollitem_t *items, size_t n)
{
    int64_t now = clock_mono_us();
    for (size_t i = 0; i < self->n;) {
        smtp_conn *p = self->probes[i];
        if (p->st == ST_QUEUED) {
            i++;
            continue;
        }
        short rev = 0;
        for (size_t k = 0; k < n; k++) {
            if (items[k].socket == NULL && items[k].fd == p->fd) {
                rev = items[k].revents;
                break;
            }
        }
        if (smtp_step(self, p, rev, now)) {
            i++;
            continue;
        }
        if (p->quit_ok && p->ssl) {
            ERR_clear_error();
            SSL_shutdown(p->ssl); /* close_notify, not waited for */
        }
        if (!p->failed)
            p->r.status = PROTO_SMTP_OK;
        smtp_finish(self, i);
    }
    smtp_start_queued(self);
}

long smtp_timeout_ms(const smtp_t *self, long max)
{
    int64_t now = clock_mono_us();
    long wait = max;
    for (size_t i = 0; i < self->n; i++) {
        const smtp_conn *p = self->probes[i];
        if (p->st == ST_QUEUED)
            continue;
        int64_t end = p->deadline_us < p->end_us ? p->deadline_us : p->end_us;
        long left = end <= now ? 0 : (long)((end - now + 999) / 1000);
        if (left < wait)
            wait = left;
    }
    return wait;
}

/*
 * common/conf.c - INI config files (inih) with located errors and typed values.
 *
 * inih (as Debian builds it) gives the handler no line number, goes on after
 * an error and splits long lines silently. So conf_load() reads the file
 * itself and feeds inih one line per reader call through ini_parse_stream():
 * the reader counts lines (inih counts one per call as well), refuses long
 * lines and NUL bytes, announces section headers and stops the parse at the
 * first error a handler reports.
 */
#include "common/conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ini.h>

/* Room for a handler's reason. */
#define CONF_REASON_MAX 512

/* State of one conf_load() call, shared by the reader and the key callback. */
typedef struct conf_run {
    const char *path;                /* file name for messages */
    conf_handler h;                  /* caller's handler */
    void *ctx;                       /* caller's context */
    const char *buf;                 /* whole file, NUL-terminated */
    size_t len;                      /* bytes in buf */
    size_t pos;                      /* start of the next line in buf */
    int line;                        /* number of the line inih holds now */
    char section[CONF_LINE_MAX + 1]; /* current section, trimmed */
    int err_line;                    /* line of the first error found here; 0: none */
    bool failed;                     /* an error was found here (also without a line) */
    char *err;                       /* caller's error buffer */
    size_t errlen;                   /* its size */
} conf_run;

static void conf_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void conf_set(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void conf_verrorf(char *err, size_t errlen, const conf_where *w, const char *fmt, va_list ap)
{
    if (!err || errlen == 0)
        return;
    int n;
    if (w->line > 0)
        n = snprintf(err, errlen, "%s:%d:", w->file, w->line);
    else
        n = snprintf(err, errlen, "%s:", w->file);
    bool named = false;
    if (n >= 0 && (size_t)n < errlen && w->section && (*w->section || !w->key)) {
        n += snprintf(err + n, errlen - (size_t)n, " [%s]", w->section);
        named = true;
    }
    if (n >= 0 && (size_t)n < errlen && w->key) {
        n += snprintf(err + n, errlen - (size_t)n, " %s", w->key);
        named = true;
    }
    if (n >= 0 && (size_t)n < errlen)
        n += snprintf(err + n, errlen - (size_t)n, named ? ": " : " ");
    if (n >= 0 && (size_t)n < errlen)
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
}

void conf_errorf(char *err, size_t errlen, const conf_where *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    conf_verrorf(err, errlen, w, fmt, ap);
    va_end(ap);
}

void conf_missing(const char *file, const char *section, const char *key, char *err, size_t errlen)
{
    conf_where w = {.file = file, .line = 0, .section = section, .key = key};
    conf_errorf(err, errlen, &w, "required but not set");
}

/* Record the first error of a run, at line (0: none). */
static void conf_run_fail(conf_run *run, const conf_where *w, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void conf_run_fail(conf_run *run, const conf_where *w, const char *fmt, ...)
{
    if (run->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    conf_verrorf(run->err, run->errlen, w, fmt, ap);
    va_end(ap);
    run->failed = true;
    run->err_line = w->line;
}

/* Copy s[0..len) into out (size outlen) without surrounding white space. */
static void conf_trim_copy(char *out, size_t outlen, const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

/*
 * If line is a section header as inih r55 reads it ('[' then text up to ']',
 * where an inline comment, white space then ';', ends the search first),
 * return the name's start and set *len; else NULL.
 */
static const char *conf_header(const char *line, size_t *len)
{
    const char *s = line;
    while (*s && isspace((unsigned char)*s))
        s++;
    if (*s != '[')
        return NULL;
    const char *start = ++s;
    bool was_space = false;
    while (*s && *s != ']' && !(was_space && *s == ';')) {
        was_space = isspace((unsigned char)*s);
        s++;
    }
    if (*s != ']')
        return NULL;
    *len = (size_t)(s - start);
    return start;
}

static char *conf_reader(char *str, int num, void *stream)
{
    conf_run *run = stream;
    if (run->failed || run->pos >= run->len)
        return NULL;

    const char *start = run->buf + run->pos;
    const char *nl = memchr(start, '\n', run->len - run->pos);
    size_t len = nl ? (size_t)(nl - start) : run->len - run->pos;
    run->pos += len + (nl ? 1 : 0);
    run->line++;
    if (len > 0 && start[len - 1] == '\r')
        len--;

    conf_where w = {.file = run->path, .line = run->line};
    if (memchr(start, '\0', len)) {
        conf_run_fail(run, &w, "NUL byte in the line");
        return NULL;
    }
    size_t max = CONF_LINE_MAX;
    if (num < 4)
        max = 0;
    else if ((size_t)num - 3 < max)
        max = (size_t)num - 3;
    if (len > max) {
        conf_run_fail(run, &w, "line too long (%zu characters; at most %zu)", len, max);
        return NULL;
    }
    memcpy(str, start, len);
    str[len] = '\0';

    const char *first = str + strspn(str, " \t\v\f\r");
    if (first != str && *first && *first != ';' && *first != '#') {
        conf_run_fail(run, &w,
                      "indented line: inih reads an indented line as more of the value above; "
                      "remove the leading white space");
        return NULL;
    }
    size_t name_len = 0;
    const char *name = conf_header(str, &name_len);
    if (name) {
        char reason[CONF_REASON_MAX] = "";
        conf_trim_copy(run->section, sizeof run->section, name, name_len);
        w.section = run->section;
        if (run->h(run->ctx, &w, NULL, reason, sizeof reason) != 0) {
            conf_run_fail(run, &w, "%s", reason[0] ? reason : "rejected");
            return NULL;
        }
    }
    return str;
}

static int conf_on_key(void *user, const char *section, const char *name, const char *value)
{
    conf_run *run = user;
    (void)section; /* inih cuts section names at 49 characters: ours is whole */
    if (run->failed)
        return 0;
    conf_where w = {.file = run->path, .line = run->line, .section = run->section, .key = name};
    if (!*name) {
        w.key = NULL;
        w.section = NULL;
        conf_run_fail(run, &w, "syntax error (no key before '=')");
        return 0;
    }
    for (const char *p = strchr(value, '#'); p; p = strchr(p + 1, '#')) {
        if (p > value && isspace((unsigned char)p[-1])) {
            conf_run_fail(run, &w,
                          "'#' starts a comment only at the start of a line; "
                          "use ';' after white space for an inline comment");
            return 0;
        }
    }
    char reason[CONF_REASON_MAX] = "";
    if (run->h(run->ctx, &w, value, reason, sizeof reason) != 0) {
        conf_run_fail(run, &w, "%s", reason[0] ? reason : "rejected");
        return 0;
    }
    return 1;
}

/* Read the whole file at path into a malloced NUL-terminated buffer. */
static char *conf_slurp(const char *path, size_t *len_out, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        conf_set(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        conf_set(err, errlen, "%s: cannot open: %s", path, strerror(EISDIR));
        goto fail;
    }
    for (;;) {
        if (len == cap) {
            if (cap > CONF_FILE_MAX) {
                conf_set(err, errlen, "%s: too large (at most %d bytes)", path, CONF_FILE_MAX);
                goto fail;
            }
            size_t ncap = cap ? cap * 2 : 8192;
            char *nbuf = realloc(buf, ncap + 1);
            if (!nbuf) {
                conf_set(err, errlen, "%s: out of memory", path);
                goto fail;
            }
            buf = nbuf;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            conf_set(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > CONF_FILE_MAX) {
        conf_set(err, errlen, "%s: too large (at most %d bytes)", path, CONF_FILE_MAX);
        goto fail;
    }
    close(fd);
    buf[len] = '\0';
    *len_out = len;
    return buf;
fail:
    close(fd);
    free(buf);
    return NULL;
}

int conf_load(const char *path, conf_handler h, void *ctx, char *err, size_t errlen)
{
    size_t len = 0;
    char *buf = conf_slurp(path, &len, err, errlen);
    if (!buf)
        return -1;

    conf_run run = {
        .path = path, .h = h, .ctx = ctx, .buf = buf, .len = len, .err = err, .errlen = errlen};
    /* inih skips a UTF-8 BOM itself, but the reader looks at raw lines first. */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        run.pos = 3;

    int rc = ini_parse_stream(conf_reader, &run, conf_on_key, &run);
    int result = -1;
    if (rc == -2)
        conf_set(err, errlen, "%s: out of memory", path);
    else if (rc > 0 && (!run.failed || rc < run.err_line))
        conf_set(err, errlen, "%s:%d: syntax error", path, rc);
    else if (run.failed)
        result = -1;
    else if (rc != 0)
        conf_set(err, errlen, "%s: cannot parse (inih error %d)", path, rc);
    else
        result = 0;
    free(buf);
    return result;
}

/* --- typed values ------------------------------------------------------- */

/* Parse decimal digits (at least one, nothing else); -1 on junk, -2 on overflow. */
static int conf_digits(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -2;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int conf_parse_uint(const char *value, uint64_t min, uint64_t max, uint64_t *out, char *err,
                    size_t errlen)
{
    uint64_t v = 0;
    int rc = conf_digits(value, strlen(value), &v);
    if (rc == -1) {
        conf_set(err, errlen, "'%s' is not a whole number", value);
        return -1;
    }
    if (rc == -2 || v < min || v > max) {
        conf_set(err, errlen, "%s is out of range (%llu..%llu)", value, (unsigned long long)min,
                 (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

int conf_parse_bool(const char *value, bool *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    conf_set(err, errlen, "'%s' is not a boolean (use yes or no)", value);
    return -1;
}

int conf_parse_duration_ms(const char *value, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms,
                           char *err, size_t errlen)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    size_t ndig = strspn(value, "0123456789");
    const char *unit = value + ndig;
    uint64_t n = 0, mult = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(unit, units[i].unit) == 0)
            mult = units[i].ms;
    }
    int rc = conf_digits(value, ndig, &n);
    if (rc == -1 || mult == 0) {
        conf_set(err, errlen,
                 "'%s' is not a duration (a whole number with ms, s, m, h or d; bare is seconds)",
                 value);
        return -1;
    }
    char lo[32], hi[32];
    conf_format_duration(min_ms, lo, sizeof lo);
    conf_format_duration(max_ms, hi, sizeof hi);
    if (rc == -2 || n > UINT64_MAX / mult || n * mult < min_ms || n * mult > max_ms) {
        conf_set(err, errlen, "%s is out of range (%s..%s)", value, lo, hi);
        return -1;
    }
    *out_ms = n * mult;
    return 0;
}

void conf_format_duration(uint64_t ms, char *out, size_t outlen)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
    if (ms == 0) {
        snprintf(out, outlen, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms % units[i].ms == 0) {
            snprintf(out, outlen, "%llu%s", (unsigned long long)(ms / units[i].ms), units[i].unit);
            return;
        }
    }
    snprintf(out, outlen, "%llums", (unsigned long long)ms);
}

int conf_parse_id(const char *value, char out[CONF_ID_MAX], char *err, size_t errlen)
{
    size_t len = strlen(value);
    if (len == 0) {
        conf_set(err, errlen, "empty identifier");
        return -1;
    }
    if (len >= CONF_ID_MAX) {
        conf_set(err, errlen, "identifier too long (%zu characters; at most %d)", len,
                 CONF_ID_MAX - 1);
        return -1;
    }
    bool ok = isalnum((unsigned char)value[0]);
    for (size_t i = 0; ok && i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        ok = (isalnum(c) && c < 0x80) || c == '.' || c == '_' || c == '-';
    }
    if (!ok) {
        conf_set(err, errlen,
                 "'%s' is not an identifier (letters, digits, '.', '_', '-'; "
                 "starting with a letter or digit)",
                 value);
        return -1;
    }
    if (out)
        memcpy(out, value, len + 1);
    return 0;
}

int conf_parse_words(const char *value, char *words, size_t word_size, size_t max_words,
                     size_t *count, char *err, size_t errlen)
{
    static const char sep[] = " \t,";
    size_t n = 0;
    const char *p = value;
    *count = 0;
    for (;;) {
        p += strspn(p, sep);
        if (!*p)
            break;
        size_t len = strcspn(p, sep);
        if (n == max_words) {
            conf_set(err, errlen, "too many values (at most %zu)", max_words);
            return -1;
        }
        if (len >= word_size) {
            conf_set(err, errlen, "'%.*s' is too long (at most %zu characters)", (int)len, p,
                     word_size - 1);
            return -1;
        }
        memcpy(words + n * word_size, p, len);
        words[n * word_size + len] = '\0';
        n++;
        p += len;
    }
    *count = n;
    return 0;
}

int conf_parse_domain(const char *value, char *err, size_t errlen)
{
    size_t len = strlen(value);
    if (len > 0 && value[len - 1] == '.' && len > 1)
        len--;
    if (len == 0 || len > 253) {
        conf_set(err, errlen, "'%s' is not a domain name (1..253 characters)", value);
        return -1;
    }
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)value[i] : '.';
        if (c == '.') {
            if (label == 0 || label > 63) {
                conf_set(err, errlen, "'%s' is not a domain name (%s label)", value,
                         label == 0 ? "an empty" : "a too long");
                return -1;
            }
            label = 0;
        } else if ((isalnum(c) && c < 0x80) || c == '-' || c == '_') {
            label++;
        } else {
            conf_set(err, errlen,
                     "'%s' is not a domain name (letters, digits, '-', '_' and dots only)", value);
            return -1;
        }
    }
    return 0;
}

/* Port number text, 1..65535. */
static bool conf_port_ok(const char *s)
{
    uint64_t port = 0;
    return strlen(s) <= 5 && conf_digits(s, strlen(s), &port) == 0 && port >= 1 && port <= 65535;
}

static bool conf_is_v4(const char *s)
{
    struct in_addr a;
    return inet_pton(AF_INET, s, &a) == 1;
}

static bool conf_is_v6(const char *s)
{
    struct in6_addr a;
    return inet_pton(AF_INET6, s, &a) == 1;
}

/*
 * Split "HOST[:PORT]" or "[V6][:PORT]" into host (brackets dropped) and port
 * (*has_port tells whether a ':' introduced one). *bracketed tells the
 * second form. -1 when the shape is wrong or a part does not fit.
 */
static int conf_split_host_port(const char *value, char *host, size_t hostlen, char *port,
                                size_t portlen, bool *bracketed, bool *has_port)
{
    const char *colon;
    size_t hlen;
    *bracketed = value[0] == '[';
    if (*bracketed) {
        const char *close = strchr(value, ']');
        if (!close)
            return -1;
        hlen = (size_t)(close - value - 1);
        if (close[1] == '\0')
            colon = NULL;
        else if (close[1] == ':')
            colon = close + 1;
        else
            return -1;
        value++;
    } else {
        colon = strrchr(value, ':');
        hlen = colon ? (size_t)(colon - value) : strlen(value);
    }
    *has_port = colon != NULL;
    if (hlen >= hostlen || (colon && strlen(colon + 1) >= portlen))
        return -1;
    memcpy(host, value, hlen);
    host[hlen] = '\0';
    snprintf(port, portlen, "%s", colon ? colon + 1 : "");
    return 0;
}

int conf_parse_endpoint(const char *value, conf_endpoint_flags flags, char *err, size_t errlen)
{
    bool bind = flags & CONF_ENDPOINT_BIND;
    if (strncmp(value, "ipc://", 6) == 0) {
        size_t plen = strlen(value + 6);
        size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
        if (plen == 0) {
            conf_set(err, errlen, "'%s': the ipc path is empty", value);
            return -1;
        }
        if (plen > max) {
            conf_set(err, errlen, "'%s': the ipc path is too long (at most %zu bytes)", value, max);
            return -1;
        }
        return 0;
    }
    if (strncmp(value, "tcp://", 6) != 0) {
        conf_set(err, errlen, "'%s' is not an endpoint (use tcp://HOST:PORT or ipc://PATH)", value);
        return -1;
    }
    char host[256], port[16];
    bool bracketed = false, has_port = false;
    if (conf_split_host_port(value + 6, host, sizeof host, port, sizeof port, &bracketed,
                             &has_port) != 0 ||
        !has_port || !*host) {
        conf_set(err, errlen, "'%s' is not tcp://HOST:PORT (IPv6 in brackets)", value);
        return -1;
    }
    if (!conf_port_ok(port)) {
        conf_set(err, errlen, "'%s': port '%s' is not 1..65535", value, port);
        return -1;
    }
    if (bracketed) {
        if (!conf_is_v6(host)) {
            conf_set(err, errlen, "'%s': '%s' is not an IPv6 address", value, host);
            return -1;
        }
        return 0;
    }
    if (strchr(host, ':')) {
        conf_set(err, errlen, "'%s': an IPv6 address needs brackets: tcp://[ADDR]:PORT", value);
        return -1;
    }
    if (bind) {
        if (strcmp(host, "*") != 0 && !conf_is_v4(host)) {
            conf_set(err, errlen, "'%s': '%s' is not '*' or an IP address", value, host);
            return -1;
        }
        return 0;
    }
    if (!conf_is_v4(host) && conf_parse_domain(host, NULL, 0) != 0) {
        conf_set(err, errlen, "'%s': '%s' is not an IP address or a host name", value, host);
        return -1;
    }
    return 0;
}

int conf_parse_addr_port(const char *value, char *err, size_t errlen)
{
    char host[64], port[16];
    bool bracketed = false, has_port = false, ok;
    const char *colon = strchr(value, ':');
    if (value[0] != '[' && colon && strchr(colon + 1, ':'))
        ok = conf_is_v6(value); /* a bare IPv6 address: no port possible */
    else
        ok = conf_split_host_port(value, host, sizeof host, port, sizeof port, &bracketed,
                                  &has_port) == 0 &&
             (bracketed ? conf_is_v6(host) : conf_is_v4(host)) && (!has_port || conf_port_ok(port));
    if (!ok) {
        conf_set(err, errlen, "'%s' is not an IP address (ADDR, ADDR:PORT, [IPV6] or [IPV6]:PORT)",
                 value);
        return -1;
    }
    return 0;
}

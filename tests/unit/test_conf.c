/*
 * tests/unit/test_conf.c - config files: inih's behaviour as conf_load() sees
 * it, the typed value parsers, the agent and coordinator configs and the
 * coordinator's allow-list. Errors are checked for file, line, section and key.
 */
#include "testutil.h"

#include <sodium.h>

#include "agent/agent_conf.h"
#include "common/conf.h"
#include "common/keyfile.h"
#include "coordinator/allowlist.h"
#include "coordinator/coord_conf.h"

static char *tmp;
static char pk_text[3][KEYFILE_PUB_TEXT_MAX];
static unsigned char pks[3][KEYFILE_PK_BYTES];

static int setup(void **state)
{
    (void)state;
    tmp = tu_tmpdir();
    for (int i = 0; i < 3; i++) {
        unsigned char sk[KEYFILE_SK_BYTES];
        assert_int_equal(keyfile_generate(pks[i], sk), 0);
        sodium_memzero(sk, sizeof sk);
        keyfile_format_public(pks[i], pk_text[i]);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_tmpdir_remove(&tmp);
    return 0;
}

static void expect_has(const char *err, const char *want)
{
    if (!strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

/* --- conf_load and inih ------------------------------------------------- */

/* Records what the handler saw, one "LINE [SECTION] KEY=VALUE" per call. */
typedef struct seen {
    char log[4096];     /* the calls, one per line */
    const char *reject; /* key to reject, or NULL */
} seen;

static int record(void *ctx, const conf_where *w, const char *value, char *err, size_t errlen)
{
    seen *s = ctx;
    size_t len = strlen(s->log);
    if (!w->key)
        snprintf(s->log + len, sizeof s->log - len, "%d [%s]\n", w->line, w->section);
    else
        snprintf(s->log + len, sizeof s->log - len, "%d [%s] %s=%s\n", w->line, w->section, w->key,
                 value);
    if (w->key && s->reject && strcmp(w->key, s->reject) == 0) {
        snprintf(err, errlen, "no thanks");
        return -1;
    }
    return 0;
}

static int load_text(const char *text, seen *s, char *err, size_t errlen, char **path_out)
{
    char *path = tu_write(tmp, "t.conf", text, 0644);
    int rc = conf_load(path, record, s, err, errlen);
    if (path_out)
        *path_out = path;
    else
        free(path);
    return rc;
}

static void test_inih_behaviour(void **state)
{
    (void)state;
    char err[512];
    seen s = {.log = ""};

    /* ';' starts an inline comment only after white space; '#' only a line. */
    assert_int_equal(load_text("; top\n# also\n[a]\nk = v ; c\nj = v;c\nq = \"x ; y\"\n"
                               "  ; indented comment\n\n",
                               &s, err, sizeof err, NULL),
                     0);
    assert_string_equal(s.log, "3 [a]\n4 [a] k=v\n5 [a] j=v;c\n6 [a] q=\"x\n");

    /* Line numbers, "key: value", CRLF, BOM, empty values, spaces in section names. */
    memset(&s, 0, sizeof s);
    assert_int_equal(
        load_text("\xEF\xBB\xBF[ monitor x ]\r\nk: v\r\n\r\ne =\r\n", &s, err, sizeof err, NULL),
        0);
    assert_string_equal(s.log, "1 [monitor x]\n2 [monitor x] k=v\n4 [monitor x] e=\n");

    /* inih cuts section names at 49 characters; conf_load() does not. */
    memset(&s, 0, sizeof s);
    assert_int_equal(
        load_text("[monitor abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij]\nk = v\n", &s, err,
                  sizeof err, NULL),
        0);
    expect_has(s.log, "2 [monitor abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij] k=v");

    /* An indented line after a key is a continuation to inih ("x" would get
     * "k = v" as a second value): refused. */
    char *path = NULL;
    memset(&s, 0, sizeof s);
    assert_int_equal(load_text("[a]\nx = 1\n  k = v\n", &s, err, sizeof err, &path), -1);
    char want[700];
    snprintf(want, sizeof want, "%s:3: indented line", path);
    expect_has(err, want);
    assert_string_equal(s.log, "1 [a]\n2 [a] x=1\n");
    free(path);

    /* Lines longer than inih's buffer would be split silently: refused. */
    char big[400];
    snprintf(big, sizeof big, "[a]\nk = %0250d\n", 7);
    assert_int_equal(load_text(big, &s, err, sizeof err, &path), -1);
    snprintf(want, sizeof want, "%s:2: line too long (254 characters; at most 197)", path);
    expect_has(err, want);
    free(path);

    /* A value with " #" is almost always a comment that inih keeps. */
    assert_int_equal(load_text("[a]\nk = v # c\n", &s, err, sizeof err, &path), -1);
    snprintf(want, sizeof want, "%s:2: [a] k: '#' starts a comment only", path);
    expect_has(err, want);
    free(path);

    /* Syntax errors: no '=', an unclosed header, a missing key. */
    assert_int_equal(load_text("[a]\nk = v\njunk\n", &s, err, sizeof err, &path), -1);
    snprintf(want, sizeof want, "%s:3: syntax error", path);
    assert_string_equal(err, want);
    free(path);
    assert_int_equal(load_text("[a]\n[b\nk = v\n", &s, err, sizeof err, &path), -1);
    snprintf(want, sizeof want, "%s:2: syntax error", path);
    assert_string_equal(err, want);
    free(path);
    assert_int_equal(load_text("[a]\n= v\n", &s, err, sizeof err, &path), -1);
    snprintf(want, sizeof want, "%s:2: syntax error", path);
    expect_has(err, want);
    free(path);

    /* The first error wins and parsing stops there. */
    memset(&s, 0, sizeof s);
    s.reject = "k";
    assert_int_equal(load_text("[a]\nj = 1\nk = 2\nbad line\nk = 3\n", &s, err, sizeof err, &path),
                     -1);
    snprintf(want, sizeof want, "%s:3: [a] k: no thanks", path);
    assert_string_equal(err, want);
    assert_string_equal(s.log, "1 [a]\n2 [a] j=1\n3 [a] k=2\n");
    free(path);
    /* ... also when the earlier error is a syntax error. */
    memset(&s, 0, sizeof s);
    s.reject = "k";
    assert_int_equal(load_text("[a]\nbad line\nk = 3\n", &s, err, sizeof err, &path), -1);
    snprintf(want, sizeof want, "%s:2: syntax error", path);
    assert_string_equal(err, want);
    free(path);

    /* Missing file, folder. */
    snprintf(want, sizeof want, "%s/nope.conf", tmp);
    assert_int_equal(conf_load(want, record, &s, err, sizeof err), -1);
    expect_has(err, "nope.conf: cannot open: No such file or directory");
    assert_int_equal(conf_load(tmp, record, &s, err, sizeof err), -1);
    expect_has(err, ": cannot open: Is a directory");
}

/* --- typed values ------------------------------------------------------- */

static void test_values(void **state)
{
    (void)state;
    char err[256];
    uint64_t u = 0;
    bool b = false;

    assert_int_equal(conf_parse_uint("42", 1, 100, &u, err, sizeof err), 0);
    assert_int_equal(u, 42);
    assert_int_equal(conf_parse_uint("18446744073709551615", 0, UINT64_MAX, &u, err, sizeof err),
                     0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(conf_parse_uint("18446744073709551616", 0, UINT64_MAX, &u, err, sizeof err),
                     -1);
    expect_has(err, "out of range");
    assert_int_equal(conf_parse_uint("0", 1, 100, &u, err, sizeof err), -1);
    assert_string_equal(err, "0 is out of range (1..100)");
    for (const char *const *v =
             (const char *const[]){"", "-1", "+1", " 1", "1 ", "0x10", "1.5", NULL};
         *v; v++) {
        assert_int_equal(conf_parse_uint(*v, 0, 100, &u, err, sizeof err), -1);
        expect_has(err, "is not a whole number");
    }

    for (const char *const *v = (const char *const[]){"yes", "TRUE", "On", "1", NULL}; *v; v++) {
        b = false;
        assert_int_equal(conf_parse_bool(*v, &b, err, sizeof err), 0);
        assert_true(b);
    }
    for (const char *const *v = (const char *const[]){"no", "false", "OFF", "0", NULL}; *v; v++) {
        b = true;
        assert_int_equal(conf_parse_bool(*v, &b, err, sizeof err), 0);
        assert_false(b);
    }
    assert_int_equal(conf_parse_bool("y", &b, err, sizeof err), -1);
    assert_string_equal(err, "'y' is not a boolean (use yes or no)");

    static const struct {
        const char *text;
        uint64_t ms;
    } durations[] = {{"1500ms", 1500}, {"30s", 30000},    {"30", 30000}, {"5m", 300000},
                     {"2h", 7200000},  {"7d", 604800000}, {"0", 0}};
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        assert_int_equal(
            conf_parse_duration_ms(durations[i].text, 0, UINT64_MAX, &u, err, sizeof err), 0);
        assert_true(u == durations[i].ms);
    }
    for (const char *const *v =
             (const char *const[]){"", "s", "5 s", "1.5s", "-1s", "5x", "5S", "5sec", NULL};
         *v; v++) {
        assert_int_equal(conf_parse_duration_ms(*v, 0, UINT64_MAX, &u, err, sizeof err), -1);
        expect_has(err, "is not a duration");
    }
    assert_int_equal(conf_parse_duration_ms("213503982334601d", 0, UINT64_MAX, &u, err, sizeof err),
                     -1);
    expect_has(err, "out of range");
    assert_int_equal(
        conf_parse_duration_ms("99999999999999999999999ms", 0, UINT64_MAX, &u, err, sizeof err),
        -1);
    expect_has(err, "out of range");
    assert_int_equal(conf_parse_duration_ms("90s", 100, 60000, &u, err, sizeof err), -1);
    assert_string_equal(err, "90s is out of range (100ms..1m)");

    char d[32];
    conf_format_duration(1500, d, sizeof d);
    assert_string_equal(d, "1500ms");
    conf_format_duration(86400000, d, sizeof d);
    assert_string_equal(d, "1d");
    conf_format_duration(90000, d, sizeof d);
    assert_string_equal(d, "90s");

    char id[CONF_ID_MAX];
    assert_int_equal(conf_parse_id("fra-1.eu_x", id, err, sizeof err), 0);
    assert_string_equal(id, "fra-1.eu_x");
    char long_id[80];
    memset(long_id, 'a', 63);
    long_id[63] = '\0';
    assert_int_equal(conf_parse_id(long_id, id, err, sizeof err), 0);
    long_id[63] = 'a';
    long_id[64] = '\0';
    assert_int_equal(conf_parse_id(long_id, id, err, sizeof err), -1);
    expect_has(err, "too long");
    for (const char *const *v = (const char *const[]){"", ".", "..", "-x", "a b", "a/b", "é", NULL};
         *v; v++) {
        assert_int_equal(conf_parse_id(*v, NULL, err, sizeof err), -1);
    }

    char words[4][8];
    size_t n = 99;
    assert_int_equal(conf_parse_words(" MX, A\tAAAA ,,", &words[0][0], 8, 4, &n, err, sizeof err),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(words[0], "MX");
    assert_string_equal(words[1], "A");
    assert_string_equal(words[2], "AAAA");
    assert_int_equal(conf_parse_words("", &words[0][0], 8, 4, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(conf_parse_words("a b c d e", &words[0][0], 8, 4, &n, err, sizeof err), -1);
    assert_string_equal(err, "too many values (at most 4)");
    assert_int_equal(conf_parse_words("abcdefgh", &words[0][0], 8, 4, &n, err, sizeof err), -1);
    expect_has(err, "too long");

    char missing[256];
    conf_missing("a.conf", "agent", "id", missing, sizeof missing);
    assert_string_equal(missing, "a.conf: [agent] id: required but not set");

    assert_int_equal(conf_parse_domain("example.com", err, sizeof err), 0);
    assert_int_equal(conf_parse_domain("_dmarc.Example.COM.", err, sizeof err), 0);
    for (const char *const *v = (const char *const[]){"", ".", "a..b", "exa mple.com", "a/b", NULL};
         *v; v++)
        assert_int_equal(conf_parse_domain(*v, err, sizeof err), -1);
}

static void test_endpoints(void **state)
{
    (void)state;
    char err[256];
    static const char *const connect_ok[] = {
        "tcp://127.0.0.1:7400", "tcp://[::1]:7400", "tcp://coord.example.net:1",
        "tcp://[2001:db8::1]:65535", "ipc:///run/vantage/agent.sock"};
    for (size_t i = 0; i < sizeof connect_ok / sizeof connect_ok[0]; i++) {
        if (conf_parse_endpoint(connect_ok[i], CONF_ENDPOINT_CONNECT, err, sizeof err) != 0)
            fail_msg("%s: %s", connect_ok[i], err);
    }
    static const char *const connect_bad[] = {"tcp://127.0.0.1",
                                              "tcp://127.0.0.1:0",
                                              "tcp://127.0.0.1:65536",
                                              "tcp://:7400",
                                              "tcp://*:7400",
                                              "tcp://::1:7400",
                                              "tcp://[::1]7400",
                                              "tcp://[nope]:7400",
                                              "tcp://127.0.0.1:74a",
                                              "udp://127.0.0.1:7400",
                                              "ipc://",
                                              "127.0.0.1:7400",
                                              "tcp://a b:7400",
                                              "tcp://127.0.0.1:-1"};
    for (size_t i = 0; i < sizeof connect_bad / sizeof connect_bad[0]; i++) {
        if (conf_parse_endpoint(connect_bad[i], CONF_ENDPOINT_CONNECT, err, sizeof err) == 0)
            fail_msg("%s accepted", connect_bad[i]);
    }
    assert_int_equal(conf_parse_endpoint("tcp://*:7400", CONF_ENDPOINT_BIND, err, sizeof err), 0);
    assert_int_equal(conf_parse_endpoint("tcp://0.0.0.0:7400", CONF_ENDPOINT_BIND, err, sizeof err),
                     0);
    assert_int_equal(conf_parse_endpoint("tcp://[::]:7400", CONF_ENDPOINT_BIND, err, sizeof err),
                     0);
    assert_int_equal(
        conf_parse_endpoint("tcp://coord.example.net:7400", CONF_ENDPOINT_BIND, err, sizeof err),
        -1);
    char longipc[200];
    snprintf(longipc, sizeof longipc, "ipc:///%0120d", 1);
    assert_int_equal(conf_parse_endpoint(longipc, CONF_ENDPOINT_BIND, err, sizeof err), -1);
    expect_has(err, "too long");

    static const char *const addr_ok[] = {"9.9.9.9", "9.9.9.9:53", "2620:fe::fe", "[2620:fe::fe]",
                                          "[2620:fe::fe]:5353"};
    for (size_t i = 0; i < sizeof addr_ok / sizeof addr_ok[0]; i++) {
        if (conf_parse_addr_port(addr_ok[i], err, sizeof err) != 0)
            fail_msg("%s: %s", addr_ok[i], err);
    }
    static const char *const addr_bad[] = {"",          "9.9.9",       "9.9.9.9:",   "9.9.9.9:0",
                                           "9.9.9.9:x", "[9.9.9.9]",   "[::1",       "[::1]x",
                                           "dns.quad9", "2620:fe::fg", "[::1]:99999"};
    for (size_t i = 0; i < sizeof addr_bad / sizeof addr_bad[0]; i++) {
        if (conf_parse_addr_port(addr_bad[i], err, sizeof err) == 0)
            fail_msg("%s accepted", addr_bad[i]);
    }
}

/* --- agent config ------------------------------------------------------- */

/* The base agent config; lines 5, 9 and 11 are spare. */
static const char *agent_base[] = {
    "[agent]",                                /* 1 */
    "id = fra-1",                             /* 2 */
    "region = eu-central",                    /* 3 */
    "key = /var/lib/vantage-agent/agent.key", /* 4 */
    "; spare",                                /* 5 */
    "[coordinator]",                          /* 6 */
    "endpoint = tcp://127.0.0.1:7400",        /* 7 */
    "pubkey = @0",                            /* 8 */
    "; spare",                                /* 9 */
    "[resolvers]",                            /* 10 */
    "; spare",                                /* 11 */
};

/* Write a config from lines (n of them), line `line` replaced by text; "@i" = public key i. */
static char *write_lines(const char *name, const char *const *lines, size_t n, int line,
                         const char *text)
{
    char buf[8192] = "";
    for (size_t i = 0; i < n; i++) {
        const char *l = (int)i + 1 == line ? text : lines[i];
        size_t len = strlen(buf);
        const char *at = strchr(l, '@');
        if (at && at[1] >= '0' && at[1] <= '2')
            snprintf(buf + len, sizeof buf - len, "%.*s%s%s\n", (int)(at - l), l,
                     pk_text[at[1] - '0'], at + 2);
        else
            snprintf(buf + len, sizeof buf - len, "%s\n", l);
    }
    return tu_write(tmp, name, buf, 0644);
}

static void agent_error(int line, const char *text, const char *want)
{
    char err[512] = "";
    agent_conf_t *c = NULL;
    char *path =
        write_lines("agent.conf", agent_base, sizeof agent_base / sizeof agent_base[0], line, text);
    assert_int_equal(agent_conf_load(path, &c, err, sizeof err), -1);
    assert_null(c);
    expect_has(err, want);
    expect_has(err, path);
    free(path);
}

static void test_agent_good(void **state)
{
    (void)state;
    char err[512] = "";
    agent_conf_t *c = NULL;

    char *path =
        write_lines("agent.conf", agent_base, sizeof agent_base / sizeof agent_base[0], 0, NULL);
    if (agent_conf_load(path, &c, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_string_equal(c->id, "fra-1");
    assert_string_equal(c->region, "eu-central");
    assert_string_equal(c->key_path, "/var/lib/vantage-agent/agent.key");
    assert_string_equal(c->state_dir, "/var/lib/vantage-agent");
    assert_int_equal(c->spool_max, 10000);
    assert_int_equal(c->log_level, LOG_LEVEL_INFO);
    assert_false(c->syslog);
    assert_string_equal(c->endpoint, "tcp://127.0.0.1:7400");
    assert_int_equal(c->n_coord_pks, 1);
    assert_memory_equal(c->coord_pks[0], pks[0], KEYFILE_PK_BYTES);
    assert_false(c->curve);
    assert_string_equal(c->resolver_local, "system");
    assert_int_equal(c->timeout_ms, 2000);
    assert_int_equal(c->tries, 2);
    assert_int_equal(c->rate, 20);
    assert_int_equal(c->burst, 40);
    agent_conf_destroy(&c);
    assert_null(c);
    agent_conf_destroy(&c);
    free(path);

    static const char *full[] = {
        "; a full agent config",
        "[agent]",
        "id = nyc-2 ; inline comment",
        "region = us-east",
        "key = /etc/vantage/agent.key",
        "state_dir = /srv/vantage",
        "spool_max = 500",
        "log_level = debug",
        "syslog = yes",
        "",
        "[coordinator]",
        "endpoint = tcp://[2001:db8::7]:7401",
        "pubkey = @0",
        "pubkey = vantage-ed25519 @1 next key",
        "curve = on",
        "",
        "[resolvers]",
        "local = [::1]:5353",
        "timeout = 1500ms",
        "tries = 3",
        "rate = 50",
        "burst = 100",
    };
    path = write_lines("agent.conf", full, sizeof full / sizeof full[0], 0, NULL);
    if (agent_conf_load(path, &c, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_string_equal(c->id, "nyc-2");
    assert_string_equal(c->region, "us-east");
    assert_string_equal(c->key_path, "/etc/vantage/agent.key");
    assert_string_equal(c->state_dir, "/srv/vantage");
    assert_int_equal(c->spool_max, 500);
    assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
    assert_true(c->syslog);
    assert_string_equal(c->endpoint, "tcp://[2001:db8::7]:7401");
    assert_int_equal(c->n_coord_pks, 2);
    assert_memory_equal(c->coord_pks[0], pks[0], KEYFILE_PK_BYTES);
    assert_memory_equal(c->coord_pks[1], pks[1], KEYFILE_PK_BYTES);
    assert_true(c->curve);
    assert_string_equal(c->resolver_local, "[::1]:5353");
    assert_int_equal(c->timeout_ms, 1500);
    assert_int_equal(c->tries, 3);
    assert_int_equal(c->rate, 50);
    assert_int_equal(c->burst, 100);
    agent_conf_destroy(&c);
    free(path);
}

static void test_agent_errors(void **state)
{
    (void)state;
    agent_error(5, "colour = blue", "agent.conf:5: [agent] colour: unknown key");
    agent_error(5, "endpoint = tcp://1.2.3.4:1",
                "agent.conf:5: [agent] endpoint: unknown key (it belongs in [coordinator])");
    agent_error(11, "[bogus]", "agent.conf:11: [bogus]: unknown section");
    agent_error(5, "spool_max = 12x",
                "agent.conf:5: [agent] spool_max: '12x' is not a whole number");
    agent_error(5, "spool_max = 0",
                "agent.conf:5: [agent] spool_max: 0 is out of range (1..10000000)");
    agent_error(11, "tries = 11", "agent.conf:11: [resolvers] tries: 11 is out of range (1..10)");
    agent_error(11, "rate = 100001", "agent.conf:11: [resolvers] rate: 100001 is out of range");
    agent_error(5, "syslog = maybe", "agent.conf:5: [agent] syslog: 'maybe' is not a boolean");
    agent_error(9, "curve = 2", "agent.conf:9: [coordinator] curve: '2' is not a boolean");
    agent_error(11, "timeout = 5x", "agent.conf:11: [resolvers] timeout: '5x' is not a duration");
    agent_error(11, "timeout = 90s",
                "agent.conf:11: [resolvers] timeout: 90s is out of range (100ms..1m)");
    agent_error(11, "timeout = 50ms", "agent.conf:11: [resolvers] timeout: 50ms is out of range");
    agent_error(5, "log_level = loud",
                "agent.conf:5: [agent] log_level: 'loud' is not a log level");
    agent_error(3, "; no region", "agent.conf: [agent] region: required but not set");
    agent_error(8, "; no pubkey", "agent.conf: [coordinator] pubkey: required but not set");
    agent_error(7, "endpoint = tcp://127.0.0.1:70000",
                "agent.conf:7: [coordinator] endpoint: 'tcp://127.0.0.1:70000': port '70000' is "
                "not 1..65535");
    agent_error(7, "endpoint = http://coord:80",
                "agent.conf:7: [coordinator] endpoint: 'http://coord:80' is not an endpoint");
    agent_error(7, "endpoint = tcp://::1:7400", "agent.conf:7: [coordinator] endpoint: ");
    agent_error(7, "endpoint = ipc://",
                "agent.conf:7: [coordinator] endpoint: 'ipc://': the ipc "
                "path is empty");
    agent_error(8, "pubkey = AAAA",
                "agent.conf:8: [coordinator] pubkey: not an Ed25519 public key: key decodes to 3 "
                "bytes, expected 32");
    agent_error(8, "pubkey = @0 trailing", "agent.conf:8: [coordinator] pubkey: unexpected text");
    agent_error(8, "pubkey = not!base64",
                "agent.conf:8: [coordinator] pubkey: not an Ed25519 "
                "public key: bad base64");
    agent_error(2, "id = fra/1", "agent.conf:2: [agent] id: 'fra/1' is not an identifier");
    agent_error(5, "id = other", "agent.conf:5: [agent] id: set twice (first at line 2)");
    agent_error(5, "key =", "agent.conf:5: [agent] key: set twice");
    agent_error(4, "key =", "agent.conf:4: [agent] key: empty path");
    agent_error(11, "local = 1.2.3.4:99999",
                "agent.conf:11: [resolvers] local: '1.2.3.4:99999' is "
                "not \"system\" or an IP address");
    agent_error(11, "local = dns.google", "agent.conf:11: [resolvers] local: ");
    agent_error(9, "[agent]", "agent.conf:9: [agent]: section repeated (first at line 1)");
    agent_error(9, "[]", "agent.conf:9: []: unknown section");
    agent_error(1, "; no header", "agent.conf:2: id: key before the first [section]");
    agent_error(5, "garbage", "agent.conf:5: syntax error");
    agent_error(5, "[agent", "agent.conf:5: syntax error");
    agent_error(5, "  spool_max = 5", "agent.conf:5: indented line");
    agent_error(5, "spool_max = 5;comment",
                "agent.conf:5: [agent] spool_max: '5;comment' is not a whole number");

    /* Up to eight pinned keys. */
    char many[4096] = "[agent]\nid = a\nregion = b\nkey = /k\n[coordinator]\n"
                      "endpoint = ipc:///tmp/c.sock\n";
    for (int i = 0; i < 9; i++) {
        size_t len = strlen(many);
        snprintf(many + len, sizeof many - len, "pubkey = %s\n", pk_text[i % 3]);
    }
    char *path = tu_write(tmp, "agent.conf", many, 0644);
    agent_conf_t *c = NULL;
    char err[512];
    assert_int_equal(agent_conf_load(path, &c, err, sizeof err), -1);
    expect_has(err, "agent.conf:15: [coordinator] pubkey: too many keys (at most 8)");
    free(path);

    char absent[600];
    snprintf(absent, sizeof absent, "%s/absent.conf", tmp);
    assert_int_equal(agent_conf_load(absent, &c, err, sizeof err), -1);
    expect_has(err, "absent.conf: cannot open: No such file or directory");
    assert_null(c);
}

/* --- coordinator config ------------------------------------------------- */

static const char *coord_base[] = {
    "[coordinator]",                          /* 1 */
    "listen = tcp://*:7400",                  /* 2 */
    "key = /var/lib/vantage-coord/coord.key", /* 3 */
    "allowlist = /etc/vantage/agents",        /* 4 */
    "; spare",                                /* 5 */
    "[monitor mail]",                         /* 6 */
    "name = Example.COM.",                    /* 7 */
    "types = mx a",                           /* 8 */
    "; spare",                                /* 9 */
    "[monitor web]",                          /* 10 */
    "name = www.example.com",                 /* 11 */
    "profile = mail",                         /* 12 */
    "; spare",                                /* 13 */
};

static void coord_error(int line, const char *text, const char *want)
{
    char err[512] = "";
    coord_conf_t *c = NULL;
    char *path =
        write_lines("coord.conf", coord_base, sizeof coord_base / sizeof coord_base[0], line, text);
    assert_int_equal(coord_conf_load(path, &c, err, sizeof err), -1);
    assert_null(c);
    expect_has(err, want);
    expect_has(err, path);
    free(path);
}

static void test_coord_good(void **state)
{
    (void)state;
    char err[512] = "";
    coord_conf_t *c = NULL;
    char *path =
        write_lines("coord.conf", coord_base, sizeof coord_base / sizeof coord_base[0], 0, NULL);
    if (coord_conf_load(path, &c, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_string_equal(c->id, "coord");
    assert_string_equal(c->listen, "tcp://*:7400");
    assert_string_equal(c->key_path, "/var/lib/vantage-coord/coord.key");
    assert_string_equal(c->allowlist_path, "/etc/vantage/agents");
    assert_string_equal(c->control, "ipc:///run/vantage/control.sock");
    assert_string_equal(c->store_path, "/var/lib/vantage-coord/vantage.db");
    assert_int_equal(c->retention_days, 30);
    assert_int_equal(c->skew_ms, 300000);
    assert_int_equal(c->heartbeat_ms, 10000);
    assert_false(c->curve);
    assert_int_equal(c->log_level, LOG_LEVEL_INFO);
    assert_false(c->syslog);
    assert_int_equal(c->n_monitors, 2);

    const coord_conf_monitor_t *m = coord_conf_find_monitor(c, "mail");
    assert_ptr_equal(m, &c->monitors[0]);
    assert_string_equal(m->name, "mail");
    assert_int_equal(m->line, 6);
    assert_string_equal(m->qname, "example.com");
    assert_int_equal(m->n_types, 2);
    assert_string_equal(m->types[0], "MX");
    assert_string_equal(m->types[1], "A");
    assert_int_equal(m->profile, COORD_CONF_PROFILE_NONE);
    assert_int_equal(m->n_resolvers, 2);
    assert_string_equal(m->resolvers[0], "local");
    assert_string_equal(m->resolvers[1], "auth");
    assert_int_equal(m->interval_ms, 300000);
    assert_true(m->all_agents);
    assert_int_equal(m->n_agents, 0);
    assert_false(m->geo);

    m = coord_conf_find_monitor(c, "web");
    assert_non_null(m);
    assert_string_equal(m->qname, "www.example.com");
    assert_int_equal(m->n_types, 0);
    assert_int_equal(m->profile, COORD_CONF_PROFILE_MAIL);
    assert_string_equal(coord_conf_profile_name(m->profile), "mail");
    assert_null(coord_conf_find_monitor(c, "nope"));
    coord_conf_destroy(&c);
    assert_null(c);
    free(path);

    static const char *full[] = {
        "[coordinator]",
        "id = coord-eu",
        "listen = tcp://[::]:7500",
        "key = /k/coord.key",
        "allowlist = /k/agents",
        "control = ipc:///tmp/vantage-control.sock",
        "store = /srv/vantage.db",
        "retention_days = 7",
        "skew = 2m",
        "heartbeat = 5s",
        "curve = yes",
        "log_level = warn",
        "syslog = true",
        "[monitor mx-check]",
        "name = example.org",
        "types = MX",
        "types = txt, caa",
        "profile = mail",
        "resolvers = local 9.9.9.9 [2620:fe::fe]:53",
        "interval = 1h",
        "agents = fra-1, nyc-1",
        "agents = sgp-1",
        "geo = yes",
        "[monitor abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij-long]",
        "name = example.net",
        "types = A",
        "[monitor abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij-other]",
        "name = example.net",
        "types = AAAA",
    };
    path = write_lines("coord.conf", full, sizeof full / sizeof full[0], 0, NULL);
    if (coord_conf_load(path, &c, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_string_equal(c->id, "coord-eu");
    assert_string_equal(c->listen, "tcp://[::]:7500");
    assert_string_equal(c->control, "ipc:///tmp/vantage-control.sock");
    assert_string_equal(c->store_path, "/srv/vantage.db");
    assert_int_equal(c->retention_days, 7);
    assert_int_equal(c->skew_ms, 120000);
    assert_int_equal(c->heartbeat_ms, 5000);
    assert_true(c->curve);
    assert_int_equal(c->log_level, LOG_LEVEL_WARN);
    assert_true(c->syslog);
    assert_int_equal(c->n_monitors, 3);
    m = &c->monitors[0];
    assert_string_equal(m->name, "mx-check");
    assert_int_equal(m->n_types, 3);
    assert_string_equal(m->types[2], "CAA");
    assert_int_equal(m->profile, COORD_CONF_PROFILE_MAIL);
    assert_int_equal(m->n_resolvers, 3);
    assert_string_equal(m->resolvers[2], "[2620:fe::fe]:53");
    assert_int_equal(m->interval_ms, 3600000);
    assert_false(m->all_agents);
    assert_int_equal(m->n_agents, 3);
    assert_string_equal(m->agents[0], "fra-1");
    assert_string_equal(m->agents[2], "sgp-1");
    assert_true(m->geo);
    /* Names past inih's 49-character section limit stay whole and distinct. */
    assert_string_equal(c->monitors[2].name,
                        "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij-other");
    coord_conf_destroy(&c);
    free(path);
}

static void test_coord_errors(void **state)
{
    (void)state;
    coord_error(10, "[monitor mail]",
                "coord.conf:10: [monitor mail]: duplicate monitor mail (first at line 6)");
    coord_error(8, "; no types", "coord.conf:6: [monitor mail]: needs types or a profile");
    coord_error(8, "types = MX NAPTR",
                "coord.conf:8: [monitor mail] types: unknown record type 'NAPTR'");
    coord_error(8, "types = MX mx", "coord.conf:8: [monitor mail] types: MX listed twice");
    coord_error(8, "types = A AAAA CNAME MX NS SOA TXT PTR SRV CAA DS DNSKEY A A A A A",
                "coord.conf:8: [monitor mail] types: too many types (at most 16)");
    coord_error(7, "; no name", "coord.conf:6: [monitor mail] name: required but not set");
    coord_error(7, "name = exa mple.com",
                "coord.conf:7: [monitor mail] name: 'exa mple.com' is "
                "not a domain name");
    coord_error(12, "profile = web", "coord.conf:12: [monitor web] profile: unknown profile 'web'");
    coord_error(13, "interval = 500ms",
                "coord.conf:13: [monitor web] interval: 500ms is out of range (1s..1d)");
    coord_error(13, "agents = all fra-1",
                "coord.conf:13: [monitor web] agents: 'all' cannot be combined with agent ids");
    coord_error(13, "agents = fra-1 fra-1",
                "coord.conf:13: [monitor web] agents: fra-1 listed "
                "twice");
    coord_error(13, "resolvers = local 1.2.3.4:0",
                "coord.conf:13: [monitor web] resolvers: '1.2.3.4:0' is not local, auth or an IP "
                "address");
    coord_error(13, "geo = sometimes",
                "coord.conf:13: [monitor web] geo: 'sometimes' is not a "
                "boolean");
    coord_error(13, "colour = red", "coord.conf:13: [monitor web] colour: unknown key");
    coord_error(13, "store = /x",
                "coord.conf:13: [monitor web] store: unknown key (it belongs in "
                "[coordinator])");
    coord_error(5, "types = MX",
                "coord.conf:5: [coordinator] types: unknown key (it belongs in a "
                "[monitor NAME] section)");
    coord_error(10, "[monitor]", "coord.conf:10: [monitor]: a monitor section is [monitor NAME]");
    coord_error(10, "[monitor a b]", "coord.conf:10: [monitor a b]: a monitor section is");
    coord_error(10, "[monitor a/b]", "coord.conf:10: [monitor a/b]: 'a/b' is not an identifier");
    coord_error(10, "[monitors web]", "coord.conf:10: [monitors web]: unknown section");
    coord_error(9, "[coordinator]",
                "coord.conf:9: [coordinator]: section repeated (first at "
                "line 1)");
    coord_error(2, "; no listen", "coord.conf: [coordinator] listen: required but not set");
    coord_error(4, "; no allowlist", "coord.conf: [coordinator] allowlist: required but not set");
    coord_error(2, "listen = tcp://0.0.0.0:99999",
                "coord.conf:2: [coordinator] listen: 'tcp://0.0.0.0:99999': port '99999' is not "
                "1..65535");
    coord_error(2, "listen = tcp://coord.example.net:7400",
                "coord.conf:2: [coordinator] listen: 'tcp://coord.example.net:7400': "
                "'coord.example.net' is not '*' or an IP address");
    coord_error(5, "control = inproc://x",
                "coord.conf:5: [coordinator] control: 'inproc://x' is "
                "not an endpoint");
    coord_error(5, "retention_days = 36501",
                "coord.conf:5: [coordinator] retention_days: 36501 is out of range (1..36500)");
    coord_error(5, "retention_days = 3O",
                "coord.conf:5: [coordinator] retention_days: '3O' is "
                "not a whole number");
    coord_error(5, "skew = 2d", "coord.conf:5: [coordinator] skew: 2d is out of range (1s..1d)");
    coord_error(5, "heartbeat = 2h",
                "coord.conf:5: [coordinator] heartbeat: 2h is out of range "
                "(1s..1h)");
    coord_error(5, "heartbeat = ten",
                "coord.conf:5: [coordinator] heartbeat: 'ten' is not a "
                "duration");
    coord_error(5, "curve = maybe", "coord.conf:5: [coordinator] curve: 'maybe' is not a boolean");
    coord_error(5, "listen = tcp://*:1",
                "coord.conf:5: [coordinator] listen: set twice (first "
                "at line 2)");
    coord_error(9, "bad line", "coord.conf:9: syntax error");
}

/* --- allow-list --------------------------------------------------------- */

static void test_allowlist(void **state)
{
    (void)state;
    char err[512] = "";
    char text[1024], want[2048];
    coord_allowlist_t *l = NULL;

    snprintf(text, sizeof text,
             "; agents of the EU\n[agent fra-1]\nregion = eu-central\npubkey = %s\n\n"
             "[agent ams-1]\nregion = eu-west\npubkey = vantage-ed25519 %s ams\n",
             pk_text[0], pk_text[1]);
    char *file = tu_write(tmp, "agents", text, 0644);
    if (coord_allowlist_load(file, &l, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(coord_allowlist_count(l), 2);
    const coord_allowlist_entry *e = coord_allowlist_find(l, "fra-1");
    assert_non_null(e);
    assert_string_equal(e->id, "fra-1");
    assert_string_equal(e->region, "eu-central");
    assert_memory_equal(e->pk, pks[0], KEYFILE_PK_BYTES);
    assert_string_equal(e->file, file);
    assert_int_equal(e->line, 2);
    e = coord_allowlist_find(l, "ams-1");
    assert_non_null(e);
    assert_memory_equal(e->pk, pks[1], KEYFILE_PK_BYTES);
    assert_null(coord_allowlist_find(l, "nyc-1"));
    assert_string_equal(coord_allowlist_at(l, 0)->id, "ams-1");
    coord_allowlist_destroy(&l);
    assert_null(l);
    free(file);

    /* A folder: *.conf files in name order; other files ignored. */
    char dir[600];
    snprintf(dir, sizeof dir, "%s/agents.d", tmp);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(text, sizeof text, "[agent fra-1]\nregion = eu-central\npubkey = %s\n", pk_text[0]);
    free(tu_write(dir, "10-eu.conf", text, 0644));
    snprintf(text, sizeof text, "[agent nyc-1]\nregion = us-east\npubkey = %s\n", pk_text[1]);
    free(tu_write(dir, "20-us.conf", text, 0644));
    free(tu_write(dir, "README", "not ini at all\n", 0644));
    free(tu_write(dir, ".hidden.conf", "not ini at all\n", 0644));
    free(tu_write(dir, "30-old.conf.bak", "not ini at all\n", 0644));
    if (coord_allowlist_load(dir, &l, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(coord_allowlist_count(l), 2);
    e = coord_allowlist_find(l, "nyc-1");
    assert_non_null(e);
    assert_string_equal(e->region, "us-east");
    expect_has(e->file, "agents.d/20-us.conf");
    coord_allowlist_destroy(&l);

    /* The same agent in two files: both places named. */
    snprintf(text, sizeof text, "; moved\n[agent fra-1]\nregion = eu-west\npubkey = %s\n",
             pk_text[2]);
    free(tu_write(dir, "25-dup.conf", text, 0644));
    assert_int_equal(coord_allowlist_load(dir, &l, err, sizeof err), -1);
    assert_null(l);
    snprintf(want, sizeof want,
             "%s/25-dup.conf:2: [agent fra-1]: agent fra-1 declared twice (first at "
             "%s/10-eu.conf:1)",
             dir, dir);
    assert_string_equal(err, want);

    /* Missing pubkey. */
    free(tu_write(dir, "25-dup.conf", "[agent sgp-1]\nregion = ap-southeast\n", 0644));
    assert_int_equal(coord_allowlist_load(dir, &l, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s/25-dup.conf:1: [agent sgp-1] pubkey: required but not set",
             dir);
    assert_string_equal(err, want);

    /* Missing region, in the middle of a file. */
    snprintf(text, sizeof text, "[agent sgp-1]\npubkey = %s\n[agent sgp-2]\nregion = x\n",
             pk_text[2]);
    free(tu_write(dir, "25-dup.conf", text, 0644));
    assert_int_equal(coord_allowlist_load(dir, &l, err, sizeof err), -1);
    expect_has(err, "25-dup.conf:1: [agent sgp-1] region: required but not set");

    /* One key for two agents. */
    snprintf(text, sizeof text, "[agent sgp-1]\nregion = ap\npubkey = %s\n", pk_text[0]);
    free(tu_write(dir, "25-dup.conf", text, 0644));
    assert_int_equal(coord_allowlist_load(dir, &l, err, sizeof err), -1);
    expect_has(err, "25-dup.conf:3: [agent sgp-1] pubkey: same key as agent fra-1");

    /* Bad key, unknown key, unknown section. */
    free(tu_write(dir, "25-dup.conf", "[agent sgp-1]\nregion = ap\npubkey = AAAA\n", 0644));
    assert_int_equal(coord_allowlist_load(dir, &l, err, sizeof err), -1);
    expect_has(err, "25-dup.conf:3: [agent sgp-1] pubkey: not an Ed25519 public key");
    free(tu_write(dir, "25-dup.conf", "[agent sgp-1]\nregion = ap\nkey = x\n", 0644));
    assert_int_equal(coord_allowlist_load(dir, &l, err, sizeof err), -1);
    expect_has(err, "25-dup.conf:3: [agent sgp-1] key: unknown key");
    free(tu_write(dir, "25-dup.conf", "[agents]\nregion = ap\n", 0644));
    assert_int_equal(coord_allowlist_load(dir, &l, err, sizeof err), -1);
    expect_has(err, "25-dup.conf:1: [agents]: unknown section");

    snprintf(want, sizeof want, "%s/none", tmp);
    assert_int_equal(coord_allowlist_load(want, &l, err, sizeof err), -1);
    expect_has(err, "none: cannot open: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inih_behaviour), cmocka_unit_test(test_values),
        cmocka_unit_test(test_endpoints),      cmocka_unit_test(test_agent_good),
        cmocka_unit_test(test_agent_errors),   cmocka_unit_test(test_coord_good),
        cmocka_unit_test(test_coord_errors),   cmocka_unit_test(test_allowlist),
    };
    return cmocka_run_group_tests_name("conf", tests, setup, teardown);
}

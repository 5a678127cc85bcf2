/*
 * tests/unit/test_spf.c - SPF records: grammar, ignored terms, lookup counting.
 */
#include "tests/unit/testutil.h"

#include "agent/spf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Parse text that must be an SPF record; the caller destroys it. */
static spf_record *parse_ok(const char *text)
{
    spf_record *r = NULL;
    spf_status st = spf_parse(text, &r);
    if (st != SPF_OK)
        fail_msg("\"%s\": %s", text, spf_status_str(st));
    return r;
}

/* A record with no syntax error. */
static void assert_valid(const char *text)
{
    spf_record *r = parse_ok(text);
    if (r->n_errors_total != 0)
        fail_msg("\"%s\" should be valid, got: %s", text, r->errors[0]);
    spf_record_destroy(&r);
}

/* A record with exactly one syntax error whose text holds `word`. */
static void assert_error(const char *text, const char *word)
{
    spf_record *r = parse_ok(text);
    if (r->n_errors_total != 1)
        fail_msg("\"%s\": %zu errors, want 1", text, r->n_errors_total);
    if (!strstr(r->errors[0], word))
        fail_msg("\"%s\": error \"%s\" does not mention \"%s\"", text, r->errors[0], word);
    spf_record_destroy(&r);
}

static void test_is_record(void **state)
{
    (void)state;
    assert_true(spf_is_record("v=spf1"));
    assert_true(spf_is_record("v=spf1 -all"));
    assert_true(spf_is_record("V=SPF1 mx"));
    assert_false(spf_is_record("v=spf10 -all"));
    assert_false(spf_is_record(" v=spf1 -all"));
    assert_false(spf_is_record("v=spf1\t-all"));
    assert_false(spf_is_record("v=DMARC1; p=none"));
    assert_false(spf_is_record(NULL));
    spf_record *r = (spf_record *)1;
    assert_int_equal(spf_parse("v=DMARC1; p=none", &r), SPF_ERR_NOT_SPF);
    assert_null(r);
    assert_int_equal(spf_parse(NULL, &r), SPF_ERR_INVAL);
    assert_int_equal(spf_parse("v=spf1", NULL), SPF_ERR_INVAL);
}

static void test_valid(void **state)
{
    (void)state;
    const char *ok[] = {
        "v=spf1",
        "v=spf1 -all",
        "v=spf1 mx -all",
        "V=SPF1 MX A:Mail.Example.COM -ALL",
        "v=spf1   mx    ~all   ",
        "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.7 ip6:2001:db8::/32 ip6:::1 -all",
        "v=spf1 ip4:0.0.0.0/0 ip6:::/0 ?all",
        "v=spf1 a/24 a//64 a/24//64 a:mail.example.com/28//96 mx/30 mx:mx.example.org -all",
        "v=spf1 include:_spf.example.net include:spf.example.com. -all",
        "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all",
        "v=spf1 exists:%{i}._i.%{d2}.example.com -all",
        "v=spf1 ptr ptr:example.com -all",
        "v=spf1 redirect=_spf.example.com",
        "v=spf1 mx exp=explain._spf.%{d} -all",
        "v=spf1 +mx -a ~ptr ?include:x.example -all",
        "v=spf1 a:1-2.example.com -all",
        "v=spf1 a:%{d} -all",
        "v=spf1 exists:%%._x.example.com -all",
    };
    for (size_t i = 0; i < N(ok); i++)
        assert_valid(ok[i]);

    spf_record *r = parse_ok("v=spf1 -mx ip4:192.0.2.0/24 a:mail.example.com/24 ~all");
    assert_int_equal(r->n_terms, 4);
    assert_int_equal(r->terms[0].kind, SPF_MX);
    assert_int_equal(r->terms[0].qualifier, '-');
    assert_null(r->terms[0].domain);
    assert_int_equal(r->terms[1].kind, SPF_IP4);
    assert_false(r->terms[1].lookup);
    assert_int_equal(r->terms[2].kind, SPF_A);
    assert_int_equal(r->terms[2].qualifier, '+');
    assert_string_equal(r->terms[2].domain, "mail.example.com");
    assert_int_equal(r->terms[3].kind, SPF_ALL);
    assert_int_equal(r->terms[3].qualifier, '~');
    assert_true(r->has_all);
    assert_int_equal(r->lookups, 2);
    spf_record_destroy(&r);
    assert_null(r);
    spf_record_destroy(&r);
    spf_record_destroy(NULL);

    r = parse_ok("v=spf1 exists:%{i}.x.example include:%{d}.y.example -all");
    assert_true(r->terms[0].has_macro);
    assert_true(r->terms[1].has_macro);
    spf_record_destroy(&r);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    /* unknown mechanisms */
    assert_error("v=spf1 foo -all", "not a known mechanism");
    assert_error("v=spf1 ip:192.0.2.1 -all", "not a known mechanism");
    assert_error("v=spf1 - -all", "not a known mechanism");
    assert_error("v=spf1 +redirect=x.example.com", "not a known mechanism");
    assert_error("v=spf1 mx\t-all", "not a known mechanism");
    /* malformed terms */
    assert_error("v=spf1 include -all", "include needs");
    assert_error("v=spf1 include: -all", "include needs");
    assert_error("v=spf1 exists -all", "exists needs");
    assert_error("v=spf1 all:x.example.com", "no argument");
    assert_error("v=spf1 -all/24", "no argument");
    assert_error("v=spf1 a: -all", "empty domain");
    assert_error("v=spf1 ptr/24 -all", "malformed");
    assert_error("v=spf1 mx.example.com -all", "not a known mechanism");
    /* networks and prefix lengths */
    assert_error("v=spf1 ip4:300.1.2.3 -all", "IPv4");
    assert_error("v=spf1 ip4:192.0.2 -all", "IPv4");
    assert_error("v=spf1 ip4:01.2.3.4 -all", "IPv4");
    assert_error("v=spf1 ip4 -all", "network");
    assert_error("v=spf1 ip4:192.0.2.0/33 -all", "0 to 32");
    assert_error("v=spf1 ip4:192.0.2.0/ -all", "0 to 32");
    assert_error("v=spf1 ip4:192.0.2.0/08 -all", "0 to 32");
    assert_error("v=spf1 ip6:zz::1 -all", "IPv6");
    assert_error("v=spf1 ip6:2001:db8::1/129 -all", "0 to 128");
    assert_error("v=spf1 a/33 -all", "0 to 32");
    assert_error("v=spf1 a//129 -all", "0 to 128");
    assert_error("v=spf1 mx:example.com/ -all", "without a prefix length");
    /* domains and macros */
    assert_error("v=spf1 include:localhost -all", "without a dot");
    assert_error("v=spf1 include:example.123 -all", "top label");
    assert_error("v=spf1 include:example.-com -all", "top label");
    assert_error("v=spf1 a:mail.example.com:25 -all", "top label");
    assert_error("v=spf1 exists:%{x}.example.com -all", "macro letter");
    assert_error("v=spf1 exists:%{d.example.com -all", "macro");
    assert_error("v=spf1 exists:%{d0}.example.com -all", "zero digit");
    assert_error("v=spf1 exists:%x.example.com -all", "\"%\"");
    assert_error("v=spf1 exists:example.com% -all", "lone");
    assert_error("v=spf1 include:%{c}.example.com -all", "explanation");
    assert_error("v=spf1 redirect=", "empty domain");
    /* repeated modifiers */
    assert_error("v=spf1 redirect=a.example.com redirect=b.example.com", "repeats the redirect");
    assert_error("v=spf1 exp=a.example.com mx exp=b.example.com -all", "repeats the exp");

    spf_record *r = parse_ok("v=spf1 foo bar:x ip4:1 -all");
    assert_int_equal(r->n_errors_total, 3);
    assert_int_equal(r->n_errors, 3);
    assert_int_equal(r->terms[0].kind, SPF_BAD);
    spf_record_destroy(&r);

    /* errors past the kept ones are counted */
    char many[1024] = "v=spf1";
    for (int i = 0; i < SPF_ERRORS_MAX + 4; i++)
        strcat(many, " bad");
    r = parse_ok(many);
    assert_int_equal(r->n_errors, SPF_ERRORS_MAX);
    assert_int_equal(r->n_errors_total, SPF_ERRORS_MAX + 4);
    spf_record_destroy(&r);
}

static void test_unknown_modifiers(void **state)
{
    (void)state;
    assert_valid("v=spf1 mx foo=bar -all");
    assert_valid("v=spf1 mx foo.bar_baz-1=%{d} -all");
    assert_valid("v=spf1 mx empty= -all");
    assert_valid("v=spf1 mx v=spf1 -all");
    spf_record *r = parse_ok("v=spf1 mx foo=bar -all");
    assert_int_equal(r->terms[1].kind, SPF_UNKNOWN_MOD);
    assert_int_equal(r->terms[1].qualifier, 0);
    spf_record_destroy(&r);
    /* a modifier's value is still a macro-string */
    assert_error("v=spf1 mx foo=%{q} -all", "macro letter");
}

static void test_after_all(void **state)
{
    (void)state;
    spf_record *r = parse_ok("v=spf1 -all mx include:x.example.com");
    assert_int_equal(r->n_errors_total, 0);
    assert_int_equal(r->n_ignored, 2);
    assert_false(r->terms[0].ignored);
    assert_true(r->terms[1].ignored);
    assert_true(r->terms[2].ignored);
    assert_int_equal(r->lookups, 0);
    spf_record_destroy(&r);

    r = parse_ok("v=spf1 mx -all redirect=x.example.com");
    assert_int_equal(r->n_ignored, 1);
    assert_true(r->terms[2].ignored);
    assert_int_equal(r->lookups, 1);
    spf_record_destroy(&r);

    r = parse_ok("v=spf1 redirect=x.example.com ~all");
    assert_int_equal(r->n_ignored, 1);
    assert_true(r->terms[0].ignored);
    spf_record_destroy(&r);

    r = parse_ok("v=spf1 mx -all exp=explain.example.com foo=bar");
    assert_int_equal(r->n_ignored, 0);
    spf_record_destroy(&r);

    r = parse_ok("v=spf1 mx a ptr exists:x.example.com include:y.example.com "
                 "redirect=z.example.com");
    assert_int_equal(r->n_ignored, 0);
    assert_int_equal(r->lookups, 6);
    spf_record_destroy(&r);
}

static void test_limits(void **state)
{
    (void)state;
    char *big = malloc(SPF_TEXT_MAX + 16);
    assert_non_null(big);
    strcpy(big, "v=spf1");
    while (strlen(big) < SPF_TEXT_MAX)
        strcat(big, " mx");
    spf_record *r = NULL;
    assert_int_equal(spf_parse(big, &r), SPF_ERR_TOO_LONG);
    assert_null(r);
    strcpy(big, "v=spf1");
    for (int i = 0; i <= SPF_TERMS_MAX; i++)
        strcat(big, " a");
    assert_int_equal(spf_parse(big, &r), SPF_ERR_TOO_LONG);
    free(big);
}

/* --- counting ---------------------------------------------------------- */

/* A table of SPF records by domain, and what was asked. */
typedef struct fake_dns {
    const char *const (*records)[2]; /* {domain, text or NULL for none} */
    size_t n;                        /* count */
    const char *pending;             /* a domain that answers PENDING */
    char asked[64][128];             /* domains asked, in order */
    size_t n_asked;                  /* count */
} fake_dns;

static spf_fetch_status fetch(void *ctx, const char *domain, const char **text_out)
{
    fake_dns *f = ctx;
    if (f->n_asked < 64)
        snprintf(f->asked[f->n_asked++], sizeof f->asked[0], "%s", domain);
    if (f->pending && strcmp(domain, f->pending) == 0)
        return SPF_FETCH_PENDING;
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->records[i][0], domain) == 0) {
            if (!f->records[i][1])
                return SPF_FETCH_NONE;
            *text_out = f->records[i][1];
            return SPF_FETCH_OK;
        }
    }
    return SPF_FETCH_NONE;
}

/* Count text (the record of domain) against the table. */
static spf_count count(fake_dns *f, const char *domain, const char *text)
{
    spf_record *r = parse_ok(text);
    spf_count c;
    assert_int_equal(spf_count_lookups(r, domain, fetch, f, &c), SPF_OK);
    spf_record_destroy(&r);
    return c;
}

static bool was_asked(const fake_dns *f, const char *domain)
{
    for (size_t i = 0; i < f->n_asked; i++) {
        if (strcmp(f->asked[i], domain) == 0)
            return true;
    }
    return false;
}

static const char *const tree[][2] = {
    {"a.example.", "v=spf1 a mx ptr exists:%{i}.x.example ~all"},
    {"b.example.", "v=spf1 a redirect=c.example"},
    {"c.example.", "v=spf1 mx mx:d.example -all"},
    {"nospf.example.", NULL},
};

static void test_count_through_include_and_redirect(void **state)
{
    (void)state;
    fake_dns f = {.records = tree, .n = N(tree)};
    /* include:a 1+4, include:b 1 + (a 1, redirect 1 + c 2) = 10 */
    spf_count c = count(&f, "top.example", "v=spf1 include:a.example include:b.example -all");
    assert_int_equal(c.lookups, 10);
    assert_false(c.pending);
    assert_false(c.loop);
    assert_false(c.capped);
    assert_int_equal(c.term_lookups[0], 5);
    assert_int_equal(c.term_lookups[1], 5);
    assert_int_equal(c.term_lookups[2], 0);
    assert_true(was_asked(&f, "a.example."));
    assert_true(was_asked(&f, "b.example."));
    assert_true(was_asked(&f, "c.example."));
    assert_false(was_asked(&f, "d.example."));

    fake_dns g = {.records = tree, .n = N(tree)};
    c = count(&g, "top.example", "v=spf1 include:a.example include:b.example a -all");
    assert_int_equal(c.lookups, 11);
    assert_int_equal(c.term_lookups[2], 1);

    /* terms after all, and a redirect beside all, are never evaluated and not counted */
    fake_dns h = {.records = tree, .n = N(tree)};
    c = count(&h, "top.example",
              "v=spf1 include:a.example include:b.example -all a mx redirect=b.example");
    assert_int_equal(c.lookups, 10);

    /* an include without an SPF record counts once; a macro target is not followed */
    fake_dns k = {.records = tree, .n = N(tree)};
    c = count(&k, "top.example", "v=spf1 include:nospf.example include:%{d}.a.example -all");
    assert_int_equal(c.lookups, 2);
    assert_int_equal(k.n_asked, 1);
}

static void test_count_pending(void **state)
{
    (void)state;
    fake_dns f = {.records = tree, .n = N(tree), .pending = "a.example."};
    spf_count c = count(&f, "top.example", "v=spf1 include:a.example include:b.example -all");
    assert_true(c.pending);
    assert_int_equal(c.lookups, 6);
    /* everything that can be asked is asked in the same walk */
    assert_true(was_asked(&f, "a.example."));
    assert_true(was_asked(&f, "b.example."));
    assert_true(was_asked(&f, "c.example."));
}

static void test_count_loops(void **state)
{
    (void)state;
    static const char *const loop[][2] = {
        {"x.example.", "v=spf1 include:y.example -all"},
        {"y.example.", "v=spf1 mx include:x.example -all"},
        {"self.example.", "v=spf1 redirect=self.example"},
        {"diamond.example.", "v=spf1 include:l.example include:r.example -all"},
        {"l.example.", "v=spf1 include:leaf.example -all"},
        {"r.example.", "v=spf1 include:leaf.example -all"},
        {"leaf.example.", "v=spf1 a -all"},
    };
    fake_dns f = {.records = loop, .n = N(loop)};
    spf_count c = count(&f, "x.example", "v=spf1 include:y.example -all");
    assert_true(c.loop);
    assert_true(c.lookups > SPF_LOOKUP_LIMIT);
    assert_string_equal(c.loop_domain, "x.example.");

    fake_dns g = {.records = loop, .n = N(loop)};
    c = count(&g, "self.example", "v=spf1 redirect=self.example");
    assert_true(c.loop);
    assert_string_equal(c.loop_domain, "self.example.");

    /* including one record twice on different paths is no loop */
    fake_dns h = {.records = loop, .n = N(loop)};
    c = count(&h, "diamond.example", "v=spf1 include:l.example include:r.example -all");
    assert_false(c.loop);
    assert_int_equal(c.lookups, 6);
}

/* A chain of includes longer than the cap: counting stops. */
static spf_fetch_status fetch_chain(void *ctx, const char *domain, const char **text_out)
{
    static char text[128];
    unsigned *calls = ctx;
    (*calls)++;
    unsigned n = 0;
    if (sscanf(domain, "n%u.example.", &n) != 1)
        return SPF_FETCH_NONE;
    snprintf(text, sizeof text, "v=spf1 include:n%u.example -all", n + 1);
    *text_out = text;
    return SPF_FETCH_OK;
}

static void test_count_cap(void **state)
{
    (void)state;
    unsigned calls = 0;
    spf_record *r = parse_ok("v=spf1 include:n1.example -all");
    spf_count c;
    assert_int_equal(spf_count_lookups(r, "n0.example", fetch_chain, &calls, &c), SPF_OK);
    assert_true(c.capped);
    assert_false(c.loop);
    assert_int_equal(c.lookups, SPF_COUNT_CAP + 1);
    assert_true(calls <= SPF_COUNT_CAP + 1);
    spf_record_destroy(&r);
    assert_int_equal(spf_count_lookups(NULL, "x", fetch_chain, &calls, &c), SPF_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_record),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_unknown_modifiers),
        cmocka_unit_test(test_after_all),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_count_through_include_and_redirect),
        cmocka_unit_test(test_count_pending),
        cmocka_unit_test(test_count_loops),
        cmocka_unit_test(test_count_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

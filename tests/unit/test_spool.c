/*
 * tests/unit/test_spool.c - the agent's sequence numbers and batch spool on disk.
 */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/wait.h>

#include "common/seqstate.h"
#include "agent/spool.h"

static char *tmp;

static int setup(void **state)
{
    (void)state;
    tmp = tu_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_tmpdir_remove(&tmp);
    return 0;
}

/* tmp/a[/b], malloced. */
static char *path_in(const char *a, const char *b)
{
    size_t len = strlen(tmp) + strlen(a) + (b ? strlen(b) : 0) + 3;
    char *p = malloc(len);
    assert_non_null(p);
    if (b)
        snprintf(p, len, "%s/%s/%s", tmp, a, b);
    else
        snprintf(p, len, "%s/%s", tmp, a);
    return p;
}

/* The spool file name of seq. */
static const char *batch_name(uint64_t seq)
{
    static char name[64];
    snprintf(name, sizeof name, "%020" PRIu64 ".batch", seq);
    return name;
}

/* Path of seq's file in the spool of state folder "state", malloced. */
static char *batch_path(uint64_t seq)
{
    char sub[80];
    snprintf(sub, sizeof sub, "spool/%s", batch_name(seq));
    return path_in("state", sub);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* Whole file into a malloced buffer. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* The bound stored in a seq file, checked to be well formed. */
static uint64_t stored_bound(const char *path)
{
    size_t len;
    char *text = (char *)slurp(path, &len);
    uint64_t bound = 0;
    char check[64];
    assert_int_equal(sscanf(text, "vantage-seq 1 %" SCNu64 " %63s", &bound, check), 2);
    assert_int_equal(strlen(check), 32);
    assert_int_equal(text[len - 1], '\n');
    free(text);
    return bound;
}

static ino_t inode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_ino;
}

/* --- capturing the log ---------------------------------------------------- */

static int saved_stderr = -1;
static char *log_path;

static void log_capture_start(void)
{
    log_path = path_in("log.txt", NULL);
    fflush(stderr);
    saved_stderr = dup(2);
    assert_true(saved_stderr >= 0);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    close(fd);
}

/* Stop capturing; returns what was logged (malloced). */
static char *log_capture_end(void)
{
    fflush(stderr);
    assert_int_equal(dup2(saved_stderr, 2), 2);
    close(saved_stderr);
    saved_stderr = -1;
    size_t len;
    char *text = (char *)slurp(log_path, &len);
    unlink(log_path);
    free(log_path);
    log_path = NULL;
    return text;
}

/* --- seqstate ------------------------------------------------------------- */

static seqstate_t *seq_open_ok(const char *dir)
{
    char err[512] = "";
    seqstate_t *s = seqstate_open(dir, err, sizeof err);
    if (!s)
        fail_msg("seqstate_open: %s", err);
    return s;
}

static uint64_t seq_take(seqstate_t *s)
{
    char err[512] = "";
    uint64_t n = 0;
    if (seqstate_next(s, &n, err, sizeof err) != 0)
        fail_msg("seqstate_next: %s", err);
    return n;
}

static void test_seq_new_folder(void **state)
{
    (void)state;
    char *dir = path_in("state", NULL);
    char *seq = path_in("state", "seq");
    mode_t old = umask(0);
    seqstate_t *s = seq_open_ok(dir);
    umask(old);
    assert_true(seqstate_fresh(s));
    assert_int_equal(seqstate_peek_next(s), 1);
    assert_int_equal(seqstate_bound(s), 0);
    assert_int_equal(mode_of(dir), 0700);
    assert_false(exists(seq));

    assert_int_equal(seq_take(s), 1);
    assert_int_equal(seq_take(s), 2);
    assert_int_equal(seqstate_peek_next(s), 3);
    assert_int_equal(stored_bound(seq), 1 + SEQSTATE_BLOCK);
    assert_int_equal(seqstate_bound(s), 1 + SEQSTATE_BLOCK);
    assert_int_equal(mode_of(seq), 0600);
    assert_string_equal(seqstate_path(s), seq);
    seqstate_close(&s);
    assert_null(s);
    seqstate_close(&s);
    free(seq);
    free(dir);
}

static void test_seq_restart(void **state)
{
    (void)state;
    char *dir = path_in("state", NULL);
    uint64_t last = 0;
    for (int round = 0; round < 5; round++) {
        seqstate_t *s = seq_open_ok(dir);
        assert_int_equal(seqstate_fresh(s), round == 0);
        assert_true(seqstate_peek_next(s) > last);
        for (int i = 0; i < 7; i++) {
            uint64_t n = seq_take(s);
            assert_true(n > last);
            last = n;
        }
        seqstate_close(&s);
    }
    /* Each restart skips what was left of its block. */
    assert_int_equal(last, 4 * SEQSTATE_BLOCK + 7);
    free(dir);
}

/* In a child: open, take count numbers, report the last on fd, die by SIGKILL. */
static void crash_child(const char *dir, int count, int fd)
{
    char err[512] = "";
    seqstate_t *s = seqstate_open(dir, err, sizeof err);
    uint64_t n = 0;
    if (!s)
        _exit(2);
    for (int i = 0; i < count; i++)
        if (seqstate_next(s, &n, err, sizeof err) != 0)
            _exit(3);
    if (write(fd, &n, sizeof n) != (ssize_t)sizeof n)
        _exit(4);
    raise(SIGKILL);
    _exit(5);
}

/* Run crash_child and return the last number it handed out. */
static uint64_t crash_run(const char *dir, int count)
{
    int p[2];
    uint64_t n = 0;
    int status = 0;
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        crash_child(dir, count, p[1]);
    }
    close(p[1]);
    assert_int_equal(read(p[0], &n, sizeof n), (ssize_t)sizeof n);
    close(p[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    return n;
}

static void test_seq_crash(void **state)
{
    (void)state;
    char *dir = path_in("state", NULL);
    uint64_t last = crash_run(dir, 1500);
    assert_int_equal(last, 1500);
    last = crash_run(dir, 3);
    assert_true(last > 1500);

    /* A temporary file from a crash in the middle of a write is removed. */
    char *stray = path_in("state", "seq.tmp-Ab12Cd");
    spit(stray, (const uint8_t *)"vantage-seq 1 5\n", 16);
    seqstate_t *s = seq_open_ok(dir);
    assert_false(exists(stray));
    assert_false(seqstate_fresh(s));
    uint64_t n = seq_take(s);
    assert_true(n > last);
    seqstate_close(&s);
    free(stray);
    free(dir);
}

static void test_seq_block(void **state)
{
    (void)state;
    char *dir = path_in("state", NULL);
    char *seq = path_in("state", "seq");
    seqstate_t *s = seq_open_ok(dir);
    int writes = 0;
    ino_t ino = 0;
    uint64_t prev = 0;
    for (uint64_t i = 1; i <= 3 * SEQSTATE_BLOCK; i++) {
        uint64_t n = seq_take(s);
        assert_int_equal(n, prev + 1);
        prev = n;
        /* Every rewrite renames a new file into place: a new inode. */
        ino_t now = inode_of(seq);
        if (now != ino)
            writes++;
        ino = now;
        uint64_t bound = stored_bound(seq);
        assert_true(n < bound);
        assert_int_equal(bound, ((n - 1) / SEQSTATE_BLOCK) * SEQSTATE_BLOCK + 1 + SEQSTATE_BLOCK);
    }
    assert_int_equal(writes, 3);
    seqstate_close(&s);
    free(seq);
    free(dir);
}

static void test_seq_raise(void **state)
{
    (void)state;
    char err[512] = "";
    char *dir = path_in("state", NULL);
    char *seq = path_in("state", "seq");
    seqstate_t *s = seq_open_ok(dir);
    assert_true(seqstate_fresh(s));

    /* WELCOME: the coordinator stores up to 41999. */
    assert_int_equal(seqstate_raise_above(s, 41999, err, sizeof err), 0);
    assert_false(seqstate_fresh(s));
    assert_int_equal(seqstate_peek_next(s), 42000);
    assert_false(exists(seq));
    assert_int_equal(seq_take(s), 42000);
    assert_int_equal(stored_bound(seq), 42000 + SEQSTATE_BLOCK);

    /* Never lowers. */
    assert_int_equal(seqstate_raise_above(s, 10, err, sizeof err), 0);
    assert_int_equal(seqstate_peek_next(s), 42001);
    assert_int_equal(seqstate_raise_above(s, 42000, err, sizeof err), 0);
    assert_int_equal(seqstate_peek_next(s), 42001);

    /* Within the reserved block: no write. */
    ino_t ino = inode_of(seq);
    assert_int_equal(seqstate_raise_above(s, 42500, err, sizeof err), 0);
    assert_int_equal(seq_take(s), 42501);
    assert_int_equal(inode_of(seq), ino);

    /* Beyond it: a new block above. */
    assert_int_equal(seqstate_raise_above(s, 50000, err, sizeof err), 0);
    assert_int_equal(seq_take(s), 50001);
    assert_int_equal(stored_bound(seq), 50001 + SEQSTATE_BLOCK);

    /* Nothing is left above the largest numbers. */
    assert_int_equal(seqstate_raise_above(s, SEQSTATE_MAX, err, sizeof err), -1);
    assert_non_null(strstr(err, seq));
    assert_int_equal(seqstate_peek_next(s), 50002);
    assert_int_equal(seqstate_raise_above(s, SEQSTATE_MAX - 1, err, sizeof err), 0);
    assert_int_equal(seq_take(s), SEQSTATE_MAX);
    assert_int_equal(stored_bound(seq), UINT64_MAX);
    uint64_t n = 7;
    assert_int_equal(seqstate_next(s, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "exhausted"));
    assert_int_equal(n, 7);
    seqstate_close(&s);

    /* After a restart the stored bound still holds: exhausted, not back to 1. */
    s = seq_open_ok(dir);
    assert_int_equal(seqstate_next(s, &n, err, sizeof err), -1);
    seqstate_close(&s);
    free(seq);
    free(dir);
}

/* Open must refuse, naming the seq file, and leave it as it was. */
static void expect_seq_refused(const char *dir, const char *seq, const char *why)
{
    char err[512] = "";
    size_t before_len = 0, after_len = 0;
    struct stat st;
    bool is_file = stat(seq, &st) == 0 && S_ISREG(st.st_mode);
    uint8_t *before = is_file ? slurp(seq, &before_len) : NULL;
    seqstate_t *s = seqstate_open(dir, err, sizeof err);
    if (s)
        fail_msg("opened a state with a bad seq file (%s)", why);
    if (!strstr(err, seq) || !strstr(err, why))
        fail_msg("error \"%s\" lacks \"%s\" or \"%s\"", err, seq, why);
    if (is_file) {
        uint8_t *after = slurp(seq, &after_len);
        assert_int_equal(after_len, before_len);
        assert_memory_equal(after, before, before_len);
        free(after);
    }
    free(before);
}

static void test_seq_corrupt(void **state)
{
    (void)state;
    char *dir = path_in("state", NULL);
    char *seq = path_in("state", "seq");
    seqstate_t *s = seq_open_ok(dir);
    for (int i = 0; i < 5; i++)
        seq_take(s);
    seqstate_close(&s);
    size_t good_len;
    char *good = (char *)slurp(seq, &good_len);
    assert_non_null(strstr(good, "vantage-seq 1 1001 "));

    spit(seq, (const uint8_t *)"", 0);
    expect_seq_refused(dir, seq, "empty");
    spit(seq, (const uint8_t *)"garbage\n", 8);
    expect_seq_refused(dir, seq, "corrupt");
    spit(seq, (const uint8_t *)"vantage-seq 1 1001\n", 19);
    expect_seq_refused(dir, seq, "malformed");
    spit(seq, (const uint8_t *)"vantage-seq 1 0 00\n", 19);
    expect_seq_refused(dir, seq, "no bound");
    spit(seq, (const uint8_t *)"vantage-seq 1 99999999999999999999 00\n", 38);
    expect_seq_refused(dir, seq, "out of range");
    spit(seq, (const uint8_t *)"vantage-seq 2 1001\n", 19);
    expect_seq_refused(dir, seq, "corrupt");

    /* A changed digit: the check no longer matches (it would go back to 1001 - 900). */
    char *bad = strdup(good);
    bad[strlen("vantage-seq 1 ")] = '0';
    spit(seq, (const uint8_t *)bad, good_len);
    expect_seq_refused(dir, seq, "check does not match");
    /* Cut short. */
    spit(seq, (const uint8_t *)good, good_len - 5);
    expect_seq_refused(dir, seq, "malformed");
    /* Something after the line. */
    char longer[512];
    snprintf(longer, sizeof longer, "%sextra\n", good);
    spit(seq, (const uint8_t *)longer, strlen(longer));
    expect_seq_refused(dir, seq, "malformed");
    /* Far too long. */
    char huge[300];
    memset(huge, '1', sizeof huge);
    spit(seq, (const uint8_t *)huge, sizeof huge);
    expect_seq_refused(dir, seq, "longer than");

    /* Unreadable: the name is taken by a folder (root reads any file, so no chmod). */
    assert_int_equal(unlink(seq), 0);
    assert_int_equal(mkdir(seq, 0700), 0);
    expect_seq_refused(dir, seq, "not a regular file");
    assert_int_equal(rmdir(seq), 0);

    /* The good file still opens and goes on above it. */
    spit(seq, (const uint8_t *)good, good_len);
    s = seq_open_ok(dir);
    assert_int_equal(seqstate_peek_next(s), 1001);
    assert_int_equal(seq_take(s), 1001);
    seqstate_close(&s);
    free(bad);
    free(good);
    free(seq);
    free(dir);
}

static void test_seq_lock(void **state)
{
    (void)state;
    char err[512] = "";
    char *dir = path_in("state", NULL);
    seqstate_t *a = seq_open_ok(dir);
    assert_null(seqstate_open(dir, err, sizeof err));
    assert_non_null(strstr(err, "in use by another process"));
    assert_non_null(strstr(err, dir));
    seqstate_close(&a);
    seqstate_t *b = seq_open_ok(dir);
    seqstate_close(&b);

    /* A folder that cannot be made. */
    char *file = path_in("plain", NULL);
    spit(file, (const uint8_t *)"x", 1);
    assert_null(seqstate_open(file, err, sizeof err));
    assert_non_null(strstr(err, file));
    char *under = path_in("plain", "state");
    assert_null(seqstate_open(under, err, sizeof err));
    assert_non_null(strstr(err, under));
    free(under);
    free(file);
    free(dir);
}

/* A state folder that exists without a seq file starts fresh, and says so. */
static void test_seq_missing_file(void **state)
{
    (void)state;
    char *dir = path_in("state", NULL);
    assert_int_equal(mkdir(dir, 0700), 0);
    log_capture_start();
    seqstate_t *s = seq_open_ok(dir);
    char *log = log_capture_end();
    assert_true(seqstate_fresh(s));
    assert_int_equal(seqstate_peek_next(s), 1);
    assert_non_null(strstr(log, "no sequence state"));
    seqstate_close(&s);
    free(log);
    free(dir);
}

/* --- spool ---------------------------------------------------------------- */

static spool_t *spool_open_ok(size_t max)
{
    char err[512] = "";
    char *dir = path_in("state", NULL);
    spool_t *sp = spool_open(dir, max, err, sizeof err);
    if (!sp)
        fail_msg("spool_open: %s", err);
    free(dir);
    return sp;
}

/* A body whose bytes depend on seq and len. */
static uint8_t *make_body(uint64_t seq, size_t len)
{
    uint8_t *b = malloc(len ? len : 1);
    assert_non_null(b);
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(seq * 31 + i * 7 + (i >> 8));
    return b;
}

static void put_ok(spool_t *sp, uint64_t seq, size_t len)
{
    char err[512] = "";
    uint8_t *b = make_body(seq, len);
    bool dropped = true;
    spool_status st = spool_put(sp, seq, b, len, NULL, &dropped, err, sizeof err);
    if (st != SPOOL_OK)
        fail_msg("spool_put %" PRIu64 ": %s: %s", seq, spool_status_name(st), err);
    assert_false(dropped);
    free(b);
}

static void read_ok(spool_t *sp, uint64_t seq, size_t want_len)
{
    char err[512] = "";
    uint8_t *body = NULL;
    size_t len = 99;
    spool_status st = spool_read(sp, seq, &body, &len, err, sizeof err);
    if (st != SPOOL_OK)
        fail_msg("spool_read %" PRIu64 ": %s: %s", seq, spool_status_name(st), err);
    assert_non_null(body);
    assert_int_equal(len, want_len);
    uint8_t *want = make_body(seq, want_len);
    assert_memory_equal(body, want, want_len);
    free(want);
    free(body);
}

static void expect_seqs(const spool_t *sp, const uint64_t *want, size_t n)
{
    assert_int_equal(spool_count(sp), n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(spool_seq_at(sp, i), want[i]);
    assert_int_equal(spool_seq_at(sp, n), 0);
    assert_int_equal(spool_last_seq(sp), n ? want[n - 1] : 0);
}

static void test_spool_round_trip(void **state)
{
    (void)state;
    char err[512] = "";
    spool_t *sp = spool_open_ok(10);
    assert_int_equal(spool_count(sp), 0);
    assert_int_equal(spool_last_seq(sp), 0);
    put_ok(sp, 1, 120);
    put_ok(sp, 2, 0);
    put_ok(sp, 3, 300000);
    uint64_t all[] = {1, 2, 3};
    expect_seqs(sp, all, 3);
    read_ok(sp, 1, 120);
    read_ok(sp, 2, 0);
    read_ok(sp, 3, 300000);

    /* Header and body on disk, as documented. */
    size_t len;
    char *p1 = batch_path(1);
    uint8_t *raw = slurp(p1, &len);
    assert_int_equal(len, SPOOL_HEADER_LEN + 120);
    assert_memory_equal(raw, "vspool\r\n", 8);
    assert_int_equal(raw[8], 1);
    assert_int_equal(raw[12], SPOOL_HEADER_LEN);
    assert_int_equal(raw[16], 1);
    assert_int_equal(raw[24], 120);
    uint8_t *want = make_body(1, 120);
    assert_memory_equal(raw + SPOOL_HEADER_LEN, want, 120);
    free(want);
    free(raw);

    assert_int_equal(spool_ack(sp, 2, err, sizeof err), SPOOL_OK);
    char *p2 = batch_path(2);
    assert_false(exists(p2));
    uint64_t left[] = {1, 3};
    expect_seqs(sp, left, 2);
    assert_false(spool_contains(sp, 2));
    assert_true(spool_contains(sp, 3));
    spool_close(&sp);
    assert_null(sp);

    sp = spool_open_ok(10);
    expect_seqs(sp, left, 2);
    read_ok(sp, 1, 120);
    read_ok(sp, 3, 300000);
    assert_int_equal(spool_ack(sp, 1, err, sizeof err), SPOOL_OK);
    assert_int_equal(spool_ack(sp, 3, err, sizeof err), SPOOL_OK);
    expect_seqs(sp, NULL, 0);
    spool_close(&sp);
    free(p2);
    free(p1);
}

static void test_spool_order(void **state)
{
    (void)state;
    char err[512] = "";
    spool_t *sp = spool_open_ok(100);
    uint64_t in[] = {50, 7, 9000000000000000000ULL, 8, 1, 12345678901234ULL, 49};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        put_ok(sp, in[i], 10 + i);
    uint64_t sorted[] = {1, 7, 8, 49, 50, 12345678901234ULL, 9000000000000000000ULL};
    expect_seqs(sp, sorted, 7);
    spool_close(&sp);

    sp = spool_open_ok(100);
    expect_seqs(sp, sorted, 7);
    read_ok(sp, 9000000000000000000ULL, 12);

    /* Acks from either end and the middle keep the order. */
    assert_int_equal(spool_ack(sp, 1, err, sizeof err), SPOOL_OK);
    assert_int_equal(spool_ack(sp, 9000000000000000000ULL, err, sizeof err), SPOOL_OK);
    assert_int_equal(spool_ack(sp, 49, err, sizeof err), SPOOL_OK);
    put_ok(sp, 2, 5);
    uint64_t after[] = {2, 7, 8, 50, 12345678901234ULL};
    expect_seqs(sp, after, 5);
    spool_close(&sp);

    /* Many, put out of order and acked mostly oldest first, as the agent does. */
    sp = spool_open_ok(1000);
    for (size_t i = 0; i < sizeof after / sizeof after[0]; i++)
        assert_int_equal(spool_ack(sp, after[i], err, sizeof err), SPOOL_OK);
    for (uint64_t i = 100; i < 400; i++)
        put_ok(sp, i, 3);
    for (uint64_t i = 2; i < 100; i++)
        put_ok(sp, i, 3);
    assert_int_equal(spool_count(sp), 400 - 2);
    for (size_t i = 0; i < spool_count(sp); i++)
        assert_int_equal(spool_seq_at(sp, i), i + 2);
    for (uint64_t i = 2; i < 300; i++)
        if (i != 7 && i != 8 && i != 50)
            assert_int_equal(spool_ack(sp, i, err, sizeof err), SPOOL_OK);
    assert_int_equal(spool_seq_at(sp, 0), 7);
    assert_int_equal(spool_seq_at(sp, 3), 300);
    spool_close(&sp);
}

static void test_spool_bound(void **state)
{
    (void)state;
    char err[512] = "";
    uint64_t dseq = 0;
    bool dropped = false;
    spool_t *sp = spool_open_ok(3);
    put_ok(sp, 1, 10);
    put_ok(sp, 2, 10);
    put_ok(sp, 3, 10);
    assert_int_equal(spool_dropped_total(sp), 0);

    uint8_t body[10] = {0};
    log_capture_start();
    spool_status st = spool_put(sp, 4, body, sizeof body, &dseq, &dropped, err, sizeof err);
    char *log = log_capture_end();
    assert_int_equal(st, SPOOL_OK);
    assert_true(dropped);
    assert_int_equal(dseq, 1);
    char *p1 = batch_path(1);
    assert_false(exists(p1));
    assert_non_null(strstr(log, p1));
    assert_non_null(strstr(log, "dropped the oldest"));
    free(log);
    uint64_t now[] = {2, 3, 4};
    expect_seqs(sp, now, 3);
    assert_int_equal(spool_dropped_total(sp), 1);
    assert_int_equal(spool_take_dropped(sp), 1);
    assert_int_equal(spool_take_dropped(sp), 0);

    assert_int_equal(spool_put(sp, 5, body, sizeof body, NULL, NULL, err, sizeof err), SPOOL_OK);
    assert_int_equal(spool_put(sp, 6, body, sizeof body, &dseq, &dropped, err, sizeof err),
                     SPOOL_OK);
    assert_true(dropped);
    assert_int_equal(dseq, 3);
    assert_int_equal(spool_dropped_total(sp), 3);
    assert_int_equal(spool_take_dropped(sp), 2);

    /* An ack makes room: no drop. */
    assert_int_equal(spool_ack(sp, 5, err, sizeof err), SPOOL_OK);
    assert_int_equal(spool_put(sp, 7, body, sizeof body, &dseq, &dropped, err, sizeof err),
                     SPOOL_OK);
    assert_false(dropped);
    assert_int_equal(spool_dropped_total(sp), 3);
    spool_close(&sp);

    /* Reopened with a smaller bound: the oldest go at once, and are counted. */
    sp = spool_open_ok(2);
    uint64_t kept[] = {6, 7};
    expect_seqs(sp, kept, 2);
    assert_int_equal(spool_dropped_total(sp), 1);
    assert_int_equal(spool_take_dropped(sp), 1);
    char *p4 = batch_path(4);
    assert_false(exists(p4));
    spool_close(&sp);

    assert_null(spool_open(tmp, 0, err, sizeof err));
    assert_non_null(strstr(err, "at least one"));
    free(p4);
    free(p1);
}

/* Change bytes of seq's file: at off (negative: from the end), or truncate to len. */
static void damage(uint64_t seq, long off, uint8_t x)
{
    char *p = batch_path(seq);
    size_t len;
    uint8_t *raw = slurp(p, &len);
    size_t at = off < 0 ? len - (size_t)(-off) : (size_t)off;
    assert_true(at < len);
    raw[at] ^= x;
    spit(p, raw, len);
    free(raw);
    free(p);
}

static void resize(uint64_t seq, size_t newlen)
{
    char *p = batch_path(seq);
    assert_int_equal(truncate(p, (off_t)newlen), 0);
    free(p);
}

static void test_spool_corrupt(void **state)
{
    (void)state;
    char err[512] = "";
    spool_t *sp = spool_open_ok(100);
    for (uint64_t i = 1; i <= 12; i++)
        put_ok(sp, i, 200 + i);
    spool_close(&sp);

    damage(2, 0, 0x20);                    /* magic */
    damage(3, 8, 0x02);                    /* version 3 */
    damage(4, 12, 0x01);                   /* header length */
    resize(5, SPOOL_HEADER_LEN + 200);     /* a byte short */
    resize(6, SPOOL_HEADER_LEN + 206 + 1); /* a byte too many */
    damage(7, -1, 0x01);                   /* the body: checksum */
    damage(8, 40, 0x80);                   /* the checksum itself */
    resize(9, 20);                         /* shorter than the header */
    {
        /* The file of 11 under the name of 10: seq and name disagree. */
        char *p10 = batch_path(10), *p11 = batch_path(11);
        size_t len;
        uint8_t *raw = slurp(p11, &len);
        spit(p10, raw, len);
        free(raw);
        free(p11);
        free(p10);
    }
    damage(12, 24, 0x01); /* the length field */
    /* A folder and a symbolic link with batch names, and a stranger. */
    char *d13 = batch_path(13), *l14 = batch_path(14), *p1 = batch_path(1);
    assert_int_equal(mkdir(d13, 0700), 0);
    assert_int_equal(symlink(p1, l14), 0);
    char *notes = path_in("state", "spool/notes.txt");
    spit(notes, (const uint8_t *)"hello", 5);
    char *shortname = path_in("state", "spool/15.batch");
    spit(shortname, (const uint8_t *)"x", 1);

    log_capture_start();
    sp = spool_open_ok(100);
    char *log = log_capture_end();
    uint64_t good[] = {1, 11};
    expect_seqs(sp, good, 2);
    assert_int_equal(spool_skipped(sp), 12);
    read_ok(sp, 1, 201);
    read_ok(sp, 11, 211);

    const char *why[] = {NULL,
                         "bad magic",
                         "format version 3",
                         "header length",
                         "bytes, the header says",
                         "bytes, the header says",
                         "checksum mismatch",
                         "checksum mismatch",
                         "shorter than the header",
                         "holds sequence number 11, its name says 10",
                         NULL,
                         "bytes, the header says",
                         "not a regular file",
                         "cannot open"};
    for (uint64_t i = 2; i <= 14; i++) {
        if (!why[i - 1])
            continue;
        char *p = batch_path(i);
        char prefix[1024];
        snprintf(prefix, sizeof prefix, "%s: damaged spool file skipped (", p);
        const char *at = strstr(log, prefix);
        if (!at)
            fail_msg("no \"%s\" in the log", prefix);
        const char *eol = strchr(at, '\n');
        assert_non_null(eol);
        char *line = strndup(at, (size_t)(eol - at));
        if (!strstr(line, why[i - 1]))
            fail_msg("\"%s\" lacks \"%s\"", line, why[i - 1]);
        free(line);
        /* Left on disk for inspection. */
        assert_true(exists(p));
        free(p);
    }
    assert_non_null(strstr(log, "notes.txt: not a spool file, ignored"));
    assert_non_null(strstr(log, "15.batch: not a spool file, ignored"));
    assert_true(exists(notes));
    free(log);

    /* Damaged after open: read finds it, and it leaves the spool. */
    put_ok(sp, 20, 50);
    damage(20, -3, 0x04);
    uint8_t *body = (uint8_t *)"x";
    size_t len = 5;
    log_capture_start();
    spool_status st = spool_read(sp, 20, &body, &len, err, sizeof err);
    log = log_capture_end();
    assert_int_equal(st, SPOOL_E_CORRUPT);
    assert_null(body);
    assert_int_equal(len, 0);
    char *p20 = batch_path(20);
    assert_non_null(strstr(err, p20));
    assert_non_null(strstr(err, "checksum mismatch"));
    assert_non_null(strstr(log, p20));
    assert_false(spool_contains(sp, 20));
    assert_true(exists(p20));

    /* Gone from under us: the same. */
    put_ok(sp, 21, 50);
    char *p21 = batch_path(21);
    assert_int_equal(unlink(p21), 0);
    log_capture_start();
    st = spool_read(sp, 21, &body, &len, err, sizeof err);
    free(log_capture_end());
    assert_int_equal(st, SPOOL_E_CORRUPT);
    assert_non_null(strstr(err, "missing"));
    assert_false(spool_contains(sp, 21));
    expect_seqs(sp, good, 2);
    spool_close(&sp);

    free(p21);
    free(p20);
    free(log);
    free(shortname);
    free(notes);
    free(p1);
    free(l14);
    free(d13);
}

static void test_spool_strays(void **state)
{
    (void)state;
    spool_t *sp = spool_open_ok(10);
    put_ok(sp, 3, 40);
    spool_close(&sp);
    char *t1 = path_in("state", "spool/00000000000000000003.batch.tmp-AbC123");
    char *t2 = path_in("state", "spool/00000000000000000004.batch.tmp-zzzzzz");
    spit(t1, (const uint8_t *)"half a batch", 12);
    spit(t2, (const uint8_t *)"", 0);
    log_capture_start();
    sp = spool_open_ok(10);
    char *log = log_capture_end();
    assert_false(exists(t1));
    assert_false(exists(t2));
    assert_non_null(strstr(log, t1));
    assert_non_null(strstr(log, "removed a stray temporary file"));
    uint64_t want[] = {3};
    expect_seqs(sp, want, 1);
    assert_int_equal(spool_skipped(sp), 0);
    read_ok(sp, 3, 40);
    spool_close(&sp);
    free(log);
    free(t2);
    free(t1);
}

static void test_spool_refusals(void **state)
{
    (void)state;
    char err[512] = "";
    spool_t *sp = spool_open_ok(10);
    put_ok(sp, 5, 10);

    /* Acking what is not there is no error, and says so. */
    assert_int_equal(spool_ack(sp, 6, err, sizeof err), SPOOL_E_UNKNOWN);
    assert_int_equal(spool_ack(sp, 5, err, sizeof err), SPOOL_OK);
    assert_int_equal(spool_ack(sp, 5, err, sizeof err), SPOOL_E_UNKNOWN);
    assert_string_equal(spool_status_name(SPOOL_E_UNKNOWN), "unknown");
    uint8_t *body = NULL;
    size_t len = 0;
    assert_int_equal(spool_read(sp, 5, &body, &len, err, sizeof err), SPOOL_E_UNKNOWN);
    assert_null(body);

    /* Larger than a frame: refused, nothing written. */
    uint8_t *big = make_body(9, (size_t)SPOOL_BODY_MAX + 1);
    assert_int_equal(spool_put(sp, 9, big, (size_t)SPOOL_BODY_MAX + 1, NULL, NULL, err, sizeof err),
                     SPOOL_E_TOO_BIG);
    char *p9 = batch_path(9);
    assert_non_null(strstr(err, p9));
    assert_false(exists(p9));
    assert_int_equal(spool_count(sp), 0);
    /* Exactly the limit is kept. */
    assert_int_equal(spool_put(sp, 9, big, SPOOL_BODY_MAX, NULL, NULL, err, sizeof err), SPOOL_OK);
    read_ok(sp, 9, SPOOL_BODY_MAX);

    /* The same number twice is refused and the first kept. */
    assert_int_equal(spool_put(sp, 9, big, 3, NULL, NULL, err, sizeof err), SPOOL_E_EXISTS);
    read_ok(sp, 9, SPOOL_BODY_MAX);
    assert_int_equal(spool_put(sp, 10, NULL, 3, NULL, NULL, err, sizeof err), SPOOL_E_INVALID);
    assert_int_equal(spool_count(sp), 1);
    spool_close(&sp);

    /* A spool folder that is a file. */
    char *dir = path_in("other", NULL);
    assert_int_equal(mkdir(dir, 0700), 0);
    char *file = path_in("other", "spool");
    spit(file, (const uint8_t *)"x", 1);
    assert_null(spool_open(dir, 10, err, sizeof err));
    assert_non_null(strstr(err, file));
    free(file);
    free(dir);
    free(p9);
    free(big);
}

static void test_spool_modes(void **state)
{
    (void)state;
    char *dir = path_in("state", NULL);
    char *sdir = path_in("state", "spool");
    mode_t old = umask(0);
    /* The agent opens (and so locks) its state first, then the spool. */
    seqstate_t *s = seq_open_ok(dir);
    spool_t *sp = spool_open_ok(10);
    uint64_t n = seq_take(s);
    put_ok(sp, n, 64);
    umask(old);
    assert_int_equal(mode_of(dir), 0700);
    assert_int_equal(mode_of(sdir), 0700);
    char *p = batch_path(n);
    assert_int_equal(mode_of(p), 0600);
    char *seq = path_in("state", "seq");
    assert_int_equal(mode_of(seq), 0600);
    char *lock = path_in("state", "lock");
    assert_int_equal(mode_of(lock), 0600);
    assert_string_equal(spool_dir(sp), sdir);
    seqstate_close(&s);
    spool_close(&sp);
    free(lock);
    free(seq);
    free(p);
    free(sdir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seq_new_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_raise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_strays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_modes, setup, teardown),
    };
    return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}

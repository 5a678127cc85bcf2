/*
 * agent/seqstate.c - durable, never repeated sequence numbers, reserved in blocks.
 */
#include "common/seqstate.h"

#include "common/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/log.h"

#define SEQSTATE_FILE     "seq"
#define SEQSTATE_LOCK     "lock"
#define SEQSTATE_TMP      "seq.tmp-"
#define SEQSTATE_MAGIC    "vantage-seq 1 "
#define SEQSTATE_HASH_LEN 16                        /* BLAKE2b-128 */
#define SEQSTATE_TEXT_MAX 128                       /* a longer seq file is corrupt */
#define SEQSTATE_NAME_MAX (sizeof SEQSTATE_TMP + 6) /* longest name made in the folder */
/* Longest state folder path, so every name made in it fits in PATH_MAX. */
#define SEQSTATE_DIR_MAX (PATH_MAX - SEQSTATE_NAME_MAX - 2)

struct seqstate {
    char dir[SEQSTATE_DIR_MAX]; /* the state folder */
    char path[PATH_MAX];        /* dir/seq */
    int lock_fd;                /* dir/lock, held with flock(LOCK_EX) */
    uint64_t next;              /* number handed out next */
    uint64_t bound;             /* durable bound: every number handed out is below it */
    bool fresh;                 /* no seq file at open, not raised since */
};

static void seqstate_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seqstate_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* "vantage-seq 1 BOUND" followed by " CHECK\n" into buf; returns its length. */
static size_t seqstate_format(uint64_t bound, char *buf, size_t len)
{
    unsigned char hash[SEQSTATE_HASH_LEN];
    char hex[2 * SEQSTATE_HASH_LEN + 1];
    int n = snprintf(buf, len, SEQSTATE_MAGIC "%" PRIu64, bound);
    crypto_generichash(hash, sizeof hash, (const unsigned char *)buf, (unsigned long long)n, NULL,
                       0);
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    n += snprintf(buf + n, len - (size_t)n, " %s\n", hex);
    return (size_t)n;
}

/*
 * Parse the text of a seq file into *bound. -1 with reason filled when it
 * is not exactly what seqstate_format() writes.
 */
static int seqstate_parse(const char *text, size_t len, uint64_t *bound, char *reason,
                          size_t reasonlen)
{
    size_t magic = strlen(SEQSTATE_MAGIC);
    if (len == 0) {
        snprintf(reason, reasonlen, "empty");
        return -1;
    }
    if (len < magic || memcmp(text, SEQSTATE_MAGIC, magic) != 0) {
        snprintf(reason, reasonlen, "does not start with \"%s\"", SEQSTATE_MAGIC);
        return -1;
    }
    size_t i = magic;
    uint64_t v = 0;
    size_t digits = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9') {
        unsigned d = (unsigned)(text[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            snprintf(reason, reasonlen, "bound out of range");
            return -1;
        }
        v = v * 10 + d;
        i++;
        digits++;
    }
    if (digits == 0 || v == 0) {
        snprintf(reason, reasonlen, "no bound");
        return -1;
    }
    size_t signed_len = i;
    size_t hexlen = 2 * SEQSTATE_HASH_LEN;
    if (len != signed_len + 1 + hexlen + 1 || text[i] != ' ' || text[len - 1] != '\n') {
        snprintf(reason, reasonlen, "malformed line");
        return -1;
    }
    unsigned char want[SEQSTATE_HASH_LEN], got[SEQSTATE_HASH_LEN];
    size_t got_len = 0;
    if (sodium_hex2bin(got, sizeof got, text + i + 1, hexlen, NULL, &got_len, NULL) != 0 ||
        got_len != sizeof got) {
        snprintf(reason, reasonlen, "malformed check");
        return -1;
    }
    crypto_generichash(want, sizeof want, (const unsigned char *)text,
                       (unsigned long long)signed_len, NULL, 0);
    if (sodium_memcmp(want, got, sizeof want) != 0) {
        snprintf(reason, reasonlen, "check does not match");
        return -1;
    }
    *bound = v;
    return 0;
}

/* Remove temporary files a crash left in dir; they never held a bound in use. */
static void seqstate_remove_strays(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, SEQSTATE_TMP, strlen(SEQSTATE_TMP)) != 0)
            continue;
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path)
            continue;
        if (unlink(path) == 0)
            log_info("%s: removed a stray temporary file", path);
        else
            log_warn("%s: cannot remove a stray temporary file: %s", path, strerror(errno));
    }
    closedir(d);
}

/*
 * Read the stored bound. 1 when the file does not exist, 0 when *bound is
 * set, -1 with err filled when it cannot be read or is corrupt.
 */
static int seqstate_load(const char *path, uint64_t *bound, char *err, size_t errlen)
{
    char text[SEQSTATE_TEXT_MAX + 1];
    char reason[96];
    size_t len = 0;
    int rc = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        seqstate_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        seqstate_fail(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        seqstate_fail(err, errlen, "%s: not a regular file", path);
        goto done;
    }
    if (fsutil_read_upto(fd, text, sizeof text, &len) != 0) {
        seqstate_fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    if (len > SEQSTATE_TEXT_MAX) {
        seqstate_fail(err, errlen, "%s: corrupt sequence state (longer than %d bytes)", path,
                      SEQSTATE_TEXT_MAX);
        goto done;
    }
    if (seqstate_parse(text, len, bound, reason, sizeof reason) != 0) {
        seqstate_fail(err, errlen,
                      "%s: corrupt sequence state (%s); refusing to start numbering again, "
                      "which could repeat numbers",
                      path, reason);
        goto done;
    }
    rc = 0;
done:
    close(fd);
    return rc;
}

/* Write bound durably: temporary file, fsync, rename, fsync the folder. */
static int seqstate_store(seqstate_t *self, uint64_t bound, char *err, size_t errlen)
{
    char text[SEQSTATE_TEXT_MAX];
    char tmp[PATH_MAX];
    size_t len = seqstate_format(bound, text, sizeof text);
    snprintf(tmp, sizeof tmp, "%s/" SEQSTATE_TMP "XXXXXX", self->dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        seqstate_fail(err, errlen, "%s: cannot create a temporary file beside it: %s", self->path,
                      strerror(errno));
        return -1;
    }
    if (fchmod(fd, 0600) != 0)
        goto fail;
    if (fsutil_write_all(fd, text, len) != 0 || fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, self->path) != 0)
        goto fail;
    if (fsutil_sync_dir(self->dir) != 0) {
        seqstate_fail(err, errlen, "%s: cannot sync folder %s: %s", self->path, self->dir,
                      strerror(errno));
        return -1;
    }
    return 0;
fail:
    seqstate_fail(err, errlen, "%s: cannot write %s: %s", self->path, tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}

seqstate_t *seqstate_open(const char *dir, char *err, size_t errlen)
{
    seqstate_t *self = NULL;
    bool created = false;
    char lock_path[PATH_MAX];
    uint64_t bound = 0;

    if (!dir || !*dir) {
        seqstate_fail(err, errlen, "state folder: empty path");
        return NULL;
    }
    if (strlen(dir) >= SEQSTATE_DIR_MAX) {
        seqstate_fail(err, errlen, "%s: path too long", dir);
        return NULL;
    }
    if (sodium_init() < 0) {
        seqstate_fail(err, errlen, "%s: libsodium failed to start", dir);
        return NULL;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        seqstate_fail(err, errlen, "%s: out of memory", dir);
        return NULL;
    }
    self->lock_fd = -1;
    snprintf(self->dir, sizeof self->dir, "%s", dir);
    snprintf(self->path, sizeof self->path, "%s/" SEQSTATE_FILE, dir);
    snprintf(lock_path, sizeof lock_path, "%s/" SEQSTATE_LOCK, dir);

    if (fsutil_mkdir_private(dir, &created, err, errlen) != 0)
        goto fail;
    self->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (self->lock_fd < 0) {
        seqstate_fail(err, errlen, "%s: cannot open: %s", lock_path, strerror(errno));
        goto fail;
    }
    if (flock(self->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            seqstate_fail(err, errlen, "%s: state folder in use by another process (%s is locked)",
                          dir, lock_path);
        else
            seqstate_fail(err, errlen, "%s: cannot lock: %s", lock_path, strerror(errno));
        goto fail;
    }
    seqstate_remove_strays(dir);

    int rc = seqstate_load(self->path, &bound, err, errlen);
    if (rc < 0)
        goto fail;
    if (rc == 1) {
        self->fresh = true;
        self->next = 1;
        self->bound = 0;
        if (created)
            log_info("%s: new state folder; sequence numbers start at 1", dir);
        else
            log_warn("%s: no sequence state in %s; starting at 1 until the coordinator "
                     "says what it has stored",
                     self->path, dir);
    } else {
        self->next = bound;
        self->bound = bound;
        log_debug("%s: sequence numbers go on from %" PRIu64, self->path, bound);
    }
    return self;
fail:
    seqstate_close(&self);
    return NULL;
}

void seqstate_close(seqstate_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    seqstate_t *self = *self_p;
    if (self->lock_fd >= 0)
        close(self->lock_fd);
    free(self);
    *self_p = NULL;
}

int seqstate_next(seqstate_t *self, uint64_t *out, char *err, size_t errlen)
{
    if (self->next > SEQSTATE_MAX) {
        seqstate_fail(err, errlen, "%s: sequence numbers exhausted", self->path);
        return -1;
    }
    if (self->next >= self->bound) {
        uint64_t bound =
            self->next > UINT64_MAX - SEQSTATE_BLOCK ? UINT64_MAX : self->next + SEQSTATE_BLOCK;
        if (seqstate_store(self, bound, err, errlen) != 0)
            return -1;
        self->bound = bound;
    }
    *out = self->next++;
    return 0;
}

uint64_t seqstate_peek_next(const seqstate_t *self)
{
    return self->next;
}

int seqstate_raise_above(seqstate_t *self, uint64_t n, char *err, size_t errlen)
{
    if (n >= SEQSTATE_MAX) {
        seqstate_fail(err, errlen, "%s: cannot go on above %" PRIu64 ": numbers exhausted",
                      self->path, n);
        return -1;
    }
    if (n >= self->next) {
        log_info("%s: sequence numbers go on above %" PRIu64 " (were at %" PRIu64 ")", self->path,
                 n, self->next);
        self->next = n + 1;
    }
    self->fresh = false;
    return 0;
}

uint64_t seqstate_bound(const seqstate_t *self)
{
    return self->bound;
}

bool seqstate_fresh(const seqstate_t *self)
{
    return self->fresh;
}

const char *seqstate_path(const seqstate_t *self)
{
    return self->path;
}

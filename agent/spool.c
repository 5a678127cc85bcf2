/*
 * agent/spool.c - unacked batches on disk, one durable file per batch.
 */
#include "agent/spool.h"

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
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/log.h"

#define SPOOL_SUBDIR   "spool"
#define SPOOL_MAGIC    "vspool\r\n"
#define SPOOL_VERSION  1
#define SPOOL_HASH_OFF 32 /* the checksum's offset; it covers bytes before it */
#define SPOOL_HASH_LEN 16 /* BLAKE2b-128 */
#define SPOOL_DIGITS   20 /* decimal digits of a sequence number in a file name */
#define SPOOL_EXT      ".batch"
#define SPOOL_TMP      ".tmp-"
#define SPOOL_NAME_LEN (SPOOL_DIGITS + sizeof SPOOL_EXT - 1)
/* Longest name made in the folder: SEQ.batch.tmp-XXXXXX. */
#define SPOOL_NAME_MAX (SPOOL_NAME_LEN + sizeof SPOOL_TMP + 6)
#define SPOOL_CHUNK    65536 /* read size when checking a file at open */
/* Longest spool folder path, so every name made in it fits in PATH_MAX. */
#define SPOOL_DIR_MAX (PATH_MAX - SPOOL_NAME_MAX - 2)

_Static_assert(sizeof SPOOL_MAGIC - 1 == 8, "SPOOL_MAGIC is 8 bytes");
_Static_assert(SPOOL_HASH_OFF + SPOOL_HASH_LEN == SPOOL_HEADER_LEN, "SPOOL_HEADER_LEN");

struct spool {
    char dir[SPOOL_DIR_MAX];  /* STATE_DIR/spool */
    int dir_fd;               /* the folder, open for fsync */
    size_t max;               /* most batches kept */
    uint64_t *seqs;           /* sorted sequence numbers, live in [head, head + n) */
    size_t cap;               /* entries allocated in seqs */
    size_t head;              /* index of the oldest in seqs */
    size_t n;                 /* batches in the spool */
    uint64_t dropped_total;   /* dropped since open */
    uint64_t dropped_pending; /* dropped since the last spool_take_dropped() */
    size_t skipped;           /* damaged files skipped at open */
};

static void spool_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void spool_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *spool_status_name(spool_status status)
{
    switch (status) {
    case SPOOL_OK:
        return "ok";
    case SPOOL_E_UNKNOWN:
        return "unknown";
    case SPOOL_E_EXISTS:
        return "exists";
    case SPOOL_E_TOO_BIG:
        return "too-big";
    case SPOOL_E_CORRUPT:
        return "corrupt";
    case SPOOL_E_IO:
        return "io";
    case SPOOL_E_NOMEM:
        return "nomem";
    case SPOOL_E_INVALID:
        return "invalid";
    }
    return "?";
}

static void spool_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void spool_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t spool_get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t spool_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* dir/SEQ.batch into buf (PATH_MAX; the length was checked at open). */
static void spool_path(const spool_t *self, uint64_t seq, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%0*" PRIu64 SPOOL_EXT, self->dir, SPOOL_DIGITS, seq);
}

/* The sequence number a canonical file name stands for; false for any other name. */
static bool spool_name_seq(const char *name, uint64_t *seq)
{
    if (strlen(name) != SPOOL_NAME_LEN || strcmp(name + SPOOL_DIGITS, SPOOL_EXT) != 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < SPOOL_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        unsigned d = (unsigned)(name[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *seq = v;
    return true;
}

/* --- the index ------------------------------------------------------------ */

/* Position of seq among the live entries (0..n): where it is or would go. */
static size_t spool_lower_bound(const spool_t *self, uint64_t seq)
{
    size_t lo = 0, hi = self->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->seqs[self->head + mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool spool_find(const spool_t *self, uint64_t seq, size_t *pos)
{
    size_t i = spool_lower_bound(self, seq);
    if (pos)
        *pos = i;
    return i < self->n && self->seqs[self->head + i] == seq;
}

/* Room for one more entry at the end of seqs; -1 when out of memory. */
static int spool_reserve(spool_t *self)
{
    if (self->head + self->n < self->cap)
        return 0;
    if (self->head > 0) {
        memmove(self->seqs, self->seqs + self->head, self->n * sizeof *self->seqs);
        self->head = 0;
        return 0;
    }
    size_t cap = self->cap ? self->cap * 2 : 64;
    if (cap < self->cap || cap > SIZE_MAX / sizeof *self->seqs)
        return -1;
    uint64_t *seqs = realloc(self->seqs, cap * sizeof *seqs);
    if (!seqs)
        return -1;
    self->seqs = seqs;
    self->cap = cap;
    return 0;
}

/* Insert at live position pos; spool_reserve() must have succeeded. */
static void spool_insert_at(spool_t *self, size_t pos, uint64_t seq)
{
    uint64_t *live = self->seqs + self->head;
    memmove(live + pos + 1, live + pos, (self->n - pos) * sizeof *live);
    live[pos] = seq;
    self->n++;
}

/* Remove live position pos, moving whichever side is shorter. */
static void spool_remove_at(spool_t *self, size_t pos)
{
    uint64_t *live = self->seqs + self->head;
    if (pos < self->n / 2) {
        memmove(live + 1, live, pos * sizeof *live);
        self->head++;
    } else {
        memmove(live + pos, live + pos + 1, (self->n - pos - 1) * sizeof *live);
    }
    self->n--;
    if (self->n == 0)
        self->head = 0;
}

/* --- files ---------------------------------------------------------------- */

/* Read exactly len bytes; 1 when the file ends first, -1 on an I/O error. */
static int spool_read_all(int fd, uint8_t *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = read(fd, buf + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 1;
        off += (size_t)n;
    }
    return 0;
}

/*
 * Open and check the file of seq at path. With body non-NULL the body is
 * returned malloced; else it is only hashed. SPOOL_E_CORRUPT or SPOOL_E_IO
 * with reason filled; a missing file is SPOOL_E_CORRUPT ("missing").
 */
static spool_status spool_load(const char *path, uint64_t seq, uint8_t **body, size_t *body_len,
                               char *reason, size_t reasonlen)
{
    spool_status st = SPOOL_E_CORRUPT;
    uint8_t hdr[SPOOL_HEADER_LEN];
    uint8_t want[SPOOL_HASH_LEN];
    uint8_t *buf = NULL;
    crypto_generichash_state hs;
    int rc;

    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT) {
            snprintf(reason, reasonlen, "missing");
            return SPOOL_E_CORRUPT;
        }
        snprintf(reason, reasonlen, "cannot open: %s", strerror(errno));
        return errno == ELOOP ? SPOOL_E_CORRUPT : SPOOL_E_IO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        snprintf(reason, reasonlen, "cannot stat: %s", strerror(errno));
        st = SPOOL_E_IO;
        goto done;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(reason, reasonlen, "not a regular file");
        goto done;
    }
    if (sb.st_size < SPOOL_HEADER_LEN) {
        snprintf(reason, reasonlen, "%lld bytes, shorter than the header", (long long)sb.st_size);
        goto done;
    }
    rc = spool_read_all(fd, hdr, sizeof hdr);
    if (rc < 0) {
        snprintf(reason, reasonlen, "cannot read: %s", strerror(errno));
        st = SPOOL_E_IO;
        goto done;
    }
    if (rc > 0) {
        snprintf(reason, reasonlen, "ends inside the header");
        goto done;
    }
    if (memcmp(hdr, SPOOL_MAGIC, 8) != 0) {
        snprintf(reason, reasonlen, "bad magic");
        goto done;
    }
    uint32_t version = spool_get32(hdr + 8), hdr_len = spool_get32(hdr + 12);
    uint64_t file_seq = spool_get64(hdr + 16), len = spool_get64(hdr + 24);
    if (version != SPOOL_VERSION) {
        snprintf(reason, reasonlen, "format version %" PRIu32 ", this build reads %d", version,
                 SPOOL_VERSION);
        goto done;
    }
    if (hdr_len != SPOOL_HEADER_LEN) {
        snprintf(reason, reasonlen, "header length %" PRIu32 ", expected %d", hdr_len,
                 SPOOL_HEADER_LEN);
        goto done;
    }
    if (file_seq != seq) {
        snprintf(reason, reasonlen, "holds sequence number %" PRIu64 ", its name says %" PRIu64,
                 file_seq, seq);
        goto done;
    }
    if (len > SPOOL_BODY_MAX) {
        snprintf(reason, reasonlen, "body length %" PRIu64 " above the limit of %d", len,
                 SPOOL_BODY_MAX);
        goto done;
    }
    if ((uint64_t)sb.st_size != SPOOL_HEADER_LEN + len) {
        snprintf(reason, reasonlen, "%lld bytes, the header says %" PRIu64, (long long)sb.st_size,
                 SPOOL_HEADER_LEN + len);
        goto done;
    }
    crypto_generichash_init(&hs, NULL, 0, SPOOL_HASH_LEN);
    crypto_generichash_update(&hs, hdr, SPOOL_HASH_OFF);
    size_t buflen = body ? (size_t)len : (len < SPOOL_CHUNK ? (size_t)len : SPOOL_CHUNK);
    buf = malloc(buflen ? buflen : 1);
    if (!buf) {
        snprintf(reason, reasonlen, "out of memory");
        st = SPOOL_E_NOMEM;
        goto done;
    }
    for (uint64_t left = len; left > 0;) {
        size_t chunk = left < buflen ? (size_t)left : buflen;
        uint8_t *at = body ? buf + (len - left) : buf;
        rc = spool_read_all(fd, at, chunk);
        if (rc < 0) {
            snprintf(reason, reasonlen, "cannot read: %s", strerror(errno));
            st = SPOOL_E_IO;
            goto done;
        }
        if (rc > 0) {
            snprintf(reason, reasonlen, "ends inside the body");
            goto done;
        }
        crypto_generichash_update(&hs, at, chunk);
        left -= chunk;
    }
    crypto_generichash_final(&hs, want, sizeof want);
    if (sodium_memcmp(want, hdr + SPOOL_HASH_OFF, SPOOL_HASH_LEN) != 0) {
        snprintf(reason, reasonlen, "checksum mismatch");
        goto done;
    }
    if (body) {
        *body = buf;
        *body_len = (size_t)len;
        buf = NULL;
    }
    st = SPOOL_OK;
done:
    free(buf);
    close(fd);
    return st;
}

/* Delete the oldest batch to make room; it leaves the index even if unlink fails. */
static void spool_drop_oldest(spool_t *self, uint64_t *dropped_seq)
{
    char path[PATH_MAX];
    uint64_t seq = self->seqs[self->head];
    spool_path(self, seq, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT)
        log_warn("%s: cannot delete a batch dropped from the full spool: %s", path,
                 strerror(errno));
    spool_remove_at(self, 0);
    self->dropped_total++;
    self->dropped_pending++;
    log_warn("%s: spool full (%zu batches): dropped the oldest batch, sequence number %" PRIu64,
             path, self->max, seq);
    if (dropped_seq)
        *dropped_seq = seq;
}

static int spool_cmp_seq(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Read the folder into the index (see the header for what is skipped). */
static int spool_scan(spool_t *self, char *err, size_t errlen)
{
    DIR *d = opendir(self->dir);
    if (!d) {
        spool_fail(err, errlen, "%s: cannot read folder: %s", self->dir, strerror(errno));
        return -1;
    }
    int rc = -1;
    struct dirent *de;
    char path[PATH_MAX];
    char reason[160];
    for (;;) {
        errno = 0;
        if ((de = readdir(d)) == NULL)
            break;
        const char *name = de->d_name;
        uint64_t seq = 0;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", self->dir, name) >= sizeof path) {
            log_warn("%s/%s: name too long, ignored", self->dir, name);
            continue;
        }
        if (strstr(name, SPOOL_EXT SPOOL_TMP)) {
            if (unlink(path) == 0)
                log_info("%s: removed a stray temporary file", path);
            else
                log_warn("%s: cannot remove a stray temporary file: %s", path, strerror(errno));
            continue;
        }
        if (!spool_name_seq(name, &seq)) {
            log_warn("%s: not a spool file, ignored", path);
            continue;
        }
        spool_status st = spool_load(path, seq, NULL, NULL, reason, sizeof reason);
        if (st == SPOOL_E_NOMEM) {
            spool_fail(err, errlen, "%s: out of memory", path);
            goto done;
        }
        if (st != SPOOL_OK) {
            log_warn("%s: damaged spool file skipped (%s)", path, reason);
            self->skipped++;
            continue;
        }
        if (spool_reserve(self) != 0) {
            spool_fail(err, errlen, "%s: out of memory", self->dir);
            goto done;
        }
        self->seqs[self->n++] = seq;
    }
    if (errno != 0) {
        spool_fail(err, errlen, "%s: cannot read folder: %s", self->dir, strerror(errno));
        goto done;
    }
    if (self->n > 1)
        qsort(self->seqs, self->n, sizeof *self->seqs, spool_cmp_seq);
    rc = 0;
done:
    closedir(d);
    return rc;
}

spool_t *spool_open(const char *state_dir, size_t max_batches, char *err, size_t errlen)
{
    spool_t *self = NULL;
    if (!state_dir || !*state_dir) {
        spool_fail(err, errlen, "state folder: empty path");
        return NULL;
    }
    if (strlen(state_dir) + sizeof "/" SPOOL_SUBDIR >= SPOOL_DIR_MAX) {
        spool_fail(err, errlen, "%s: path too long", state_dir);
        return NULL;
    }
    if (max_batches == 0) {
        spool_fail(err, errlen, "%s: the spool must hold at least one batch", state_dir);
        return NULL;
    }
    if (sodium_init() < 0) {
        spool_fail(err, errlen, "%s: libsodium failed to start", state_dir);
        return NULL;
    }
    self = calloc(1, sizeof *self);
    if (!self) {
        spool_fail(err, errlen, "%s: out of memory", state_dir);
        return NULL;
    }
    self->dir_fd = -1;
    self->max = max_batches;
    snprintf(self->dir, sizeof self->dir, "%s/" SPOOL_SUBDIR, state_dir);

    if (fsutil_mkdir_private(state_dir, NULL, err, errlen) != 0 ||
        fsutil_mkdir_private(self->dir, NULL, err, errlen) != 0)
        goto fail;
    self->dir_fd = open(self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (self->dir_fd < 0) {
        spool_fail(err, errlen, "%s: cannot open folder: %s", self->dir, strerror(errno));
        goto fail;
    }
    if (spool_scan(self, err, errlen) != 0)
        goto fail;
    while (self->n > self->max)
        spool_drop_oldest(self, NULL);
    if (self->n > 0)
        log_info("%s: %zu unacked batches, sequence numbers %" PRIu64 "..%" PRIu64, self->dir,
                 self->n, self->seqs[self->head], self->seqs[self->head + self->n - 1]);
    return self;
fail:
    spool_close(&self);
    return NULL;
}

void spool_close(spool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    spool_t *self = *self_p;
    if (self->dir_fd >= 0)
        close(self->dir_fd);
    free(self->seqs);
    free(self);
    *self_p = NULL;
}

spool_status spool_put(spool_t *self, uint64_t seq, const uint8_t *body, size_t len,
                       uint64_t *dropped_seq, bool *dropped, char *err, size_t errlen)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    uint8_t hdr[SPOOL_HEADER_LEN];
    crypto_generichash_state hs;
    size_t pos;
    int fd = -1;

    if (dropped)
        *dropped = false;
    if (!self || (!body && len > 0)) {
        spool_fail(err, errlen, "spool_put: no body");
        return SPOOL_E_INVALID;
    }
    spool_path(self, seq, path, sizeof path);
    if (len > SPOOL_BODY_MAX) {
        spool_fail(err, errlen, "%s: batch of %zu bytes refused, the limit is %d", path, len,
                   SPOOL_BODY_MAX);
        return SPOOL_E_TOO_BIG;
    }
    if (spool_find(self, seq, &pos)) {
        spool_fail(err, errlen, "%s: batch %" PRIu64 " is already spooled", path, seq);
        return SPOOL_E_EXISTS;
    }
    if (spool_reserve(self) != 0) {
        spool_fail(err, errlen, "%s: out of memory", path);
        return SPOOL_E_NOMEM;
    }

    memcpy(hdr, SPOOL_MAGIC, 8);
    spool_le32(hdr + 8, SPOOL_VERSION);
    spool_le32(hdr + 12, SPOOL_HEADER_LEN);
    spool_le64(hdr + 16, seq);
    spool_le64(hdr + 24, (uint64_t)len);
    crypto_generichash_init(&hs, NULL, 0, SPOOL_HASH_LEN);
    crypto_generichash_update(&hs, hdr, SPOOL_HASH_OFF);
    if (len > 0)
        crypto_generichash_update(&hs, body, len);
    crypto_generichash_final(&hs, hdr + SPOOL_HASH_OFF, SPOOL_HASH_LEN);

    snprintf(tmp, sizeof tmp, "%s/%0*" PRIu64 SPOOL_EXT SPOOL_TMP "XXXXXX", self->dir, SPOOL_DIGITS,
             seq);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        spool_fail(err, errlen, "%s: cannot create a temporary file beside it: %s", path,
                   strerror(errno));
        return SPOOL_E_IO;
    }
    if (fchmod(fd, 0600) != 0 || fsutil_write_all(fd, hdr, sizeof hdr) != 0 ||
        (len > 0 && fsutil_write_all(fd, body, len) != 0) || fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    if (fsync(self->dir_fd) != 0) {
        /* The name may not be durable: take it back so the caller does not count on it. */
        spool_fail(err, errlen, "%s: cannot sync folder %s: %s", path, self->dir, strerror(errno));
        unlink(path);
        return SPOOL_E_IO;
    }

    spool_insert_at(self, pos, seq);
    if (self->n > self->max) {
        spool_drop_oldest(self, dropped_seq);
        if (dropped)
            *dropped = true;
    }
    return SPOOL_OK;
fail:
    spool_fail(err, errlen, "%s: cannot write %s: %s", path, tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return SPOOL_E_IO;
}

spool_status spool_ack(spool_t *self, uint64_t seq, char *err, size_t errlen)
{
    char path[PATH_MAX];
    size_t pos;
    spool_path(self, seq, path, sizeof path);
    if (!spool_find(self, seq, &pos)) {
        spool_fail(err, errlen, "%s: batch %" PRIu64 " is not in the spool", path, seq);
        return SPOOL_E_UNKNOWN;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        spool_fail(err, errlen, "%s: cannot delete an acked batch: %s", path, strerror(errno));
        return SPOOL_E_IO;
    }
    spool_remove_at(self, pos);
    return SPOOL_OK;
}

spool_status spool_read(spool_t *self, uint64_t seq, uint8_t **body, size_t *len, char *err,
                        size_t errlen)
{
    char path[PATH_MAX];
    char reason[160];
    size_t pos;
    *body = NULL;
    *len = 0;
    spool_path(self, seq, path, sizeof path);
    if (!spool_find(self, seq, &pos)) {
        spool_fail(err, errlen, "%s: batch %" PRIu64 " is not in the spool", path, seq);
        return SPOOL_E_UNKNOWN;
    }
    spool_status st = spool_load(path, seq, body, len, reason, sizeof reason);
    if (st == SPOOL_OK)
        return SPOOL_OK;
    spool_fail(err, errlen, "%s: %s", path, reason);
    if (st == SPOOL_E_CORRUPT) {
        log_warn("%s: damaged spool file taken out of the spool (%s)", path, reason);
        spool_remove_at(self, pos);
    }
    return st;
}

size_t spool_count(const spool_t *self)
{
    return self->n;
}

uint64_t spool_seq_at(const spool_t *self, size_t i)
{
    return i < self->n ? self->seqs[self->head + i] : 0;
}

bool spool_contains(const spool_t *self, uint64_t seq)
{
    return spool_find(self, seq, NULL);
}

uint64_t spool_last_seq(const spool_t *self)
{
    return self->n ? self->seqs[self->head + self->n - 1] : 0;
}

uint64_t spool_dropped_total(const spool_t *self)
{
    return self->dropped_total;
}

uint64_t spool_take_dropped(spool_t *self)
{
    uint64_t n = self->dropped_pending;
    self->dropped_pending = 0;
    return n;
}

size_t spool_skipped(const spool_t *self)
{
    return self->skipped;
}

const char *spool_dir(const spool_t *self)
{
    return self->dir;
}

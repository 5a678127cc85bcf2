/*
 * coordinator/allowlist.c - the agents the coordinator accepts, with their keys.
 */
#include "coordinator/allowlist.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/arena.h"

/* Most files read from an allow-list folder. */
#define COORD_ALLOWLIST_MAX_FILES 10000

struct coord_allowlist {
    coord_allowlist_entry *entries; /* n entries, sorted by id once loaded */
    size_t n;                       /* entries used */
    size_t cap;                     /* room in entries */
    arena_t *arena;                 /* owns the file names */
};

/* Parse state of one file. */
typedef struct coord_allowlist_parse {
    coord_allowlist_t *list; /* being filled */
    const char *file;        /* file being read (owned by list->arena) */
    bool in_agent;           /* inside an [agent ID] section */
    int region_line;         /* line of region in the current section; 0: not set */
    int pubkey_line;         /* line of pubkey in the current section; 0: not set */
} coord_allowlist_parse;

static coord_allowlist_entry *coord_allowlist_lookup(const coord_allowlist_t *self, size_t upto,
                                                     const char *id)
{
    for (size_t i = 0; i < upto; i++) {
        if (strcmp(self->entries[i].id, id) == 0)
            return &self->entries[i];
    }
    return NULL;
}

/* Check the section just finished, if any. */
static int coord_allowlist_finish(coord_allowlist_parse *p, char *err, size_t errlen)
{
    if (!p->in_agent)
        return 0;
    coord_allowlist_t *l = p->list;
    coord_allowlist_entry *e = &l->entries[l->n - 1];
    char section[CONF_ID_MAX + 8];
    snprintf(section, sizeof section, "agent %s", e->id);
    conf_where w = {.file = p->file, .line = e->line, .section = section};
    if (!p->region_line || !p->pubkey_line) {
        w.key = p->region_line ? "pubkey" : "region";
        conf_errorf(err, errlen, &w, "required but not set");
        return -1;
    }
    for (size_t i = 0; i + 1 < l->n; i++) {
        if (sodium_memcmp(l->entries[i].pk, e->pk, KEYFILE_PK_BYTES) == 0) {
            w.line = p->pubkey_line;
            w.key = "pubkey";
            conf_errorf(err, errlen, &w, "same key as agent %s (%s:%d)", l->entries[i].id,
                        l->entries[i].file, l->entries[i].line);
            return -1;
        }
    }
    p->in_agent = false;
    return 0;
}

static int coord_allowlist_section(coord_allowlist_parse *p, const conf_where *w, char *err,
                                   size_t errlen)
{
    coord_allowlist_t *l = p->list;
    char words[3][CONF_ID_MAX];
    size_t n = 0;
    if (conf_parse_words(w->section, &words[0][0], sizeof words[0], 3, &n, err, errlen) != 0 ||
        n != 2 || strcmp(words[0], "agent") != 0) {
        snprintf(err, errlen, "unknown section (an allow-list holds [agent ID] sections)");
        return -1;
    }
    if (conf_parse_id(words[1], NULL, err, errlen) != 0)
        return -1;
    const coord_allowlist_entry *dup = coord_allowlist_lookup(l, l->n, words[1]);
    if (dup) {
        snprintf(err, errlen, "agent %s declared twice (first at %s:%d)", words[1], dup->file,
                 dup->line);
        return -1;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        coord_allowlist_entry *ents = realloc(l->entries, cap * sizeof *ents);
        if (!ents) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        l->entries = ents;
        l->cap = cap;
    }
    coord_allowlist_entry *e = &l->entries[l->n++];
    memset(e, 0, sizeof *e);
    memcpy(e->id, words[1], sizeof e->id);
    e->file = p->file;
    e->line = w->line;
    p->in_agent = true;
    p->region_line = 0;
    p->pubkey_line = 0;
    return 0;
}

static int coord_allowlist_handler(void *ctx, const conf_where *w, const char *value, char *err,
                                   size_t errlen)
{
    coord_allowlist_parse *p = ctx;
    if (!w->key) {
        if (coord_allowlist_finish(p, err, errlen) != 0)
            return -1;
        return coord_allowlist_section(p, w, err, errlen);
    }
    if (!p->in_agent) {
        snprintf(err, errlen, "key before the first [agent ID] section");
        return -1;
    }
    coord_allowlist_entry *e = &p->list->entries[p->list->n - 1];
    int *seen;
    if (strcmp(w->key, "region") == 0)
        seen = &p->region_line;
    else if (strcmp(w->key, "pubkey") == 0)
        seen = &p->pubkey_line;
    else {
        snprintf(err, errlen, "unknown key (an agent has region and pubkey)");
        return -1;
    }
    if (*seen) {
        snprintf(err, errlen, "set twice (first at line %d)", *seen);
        return -1;
    }
    *seen = w->line;
    if (seen == &p->region_line)
        return conf_parse_id(value, e->region, err, errlen);
    return keyfile_parse_public_err(value, e->pk, err, errlen);
}

static int coord_allowlist_file(coord_allowlist_t *l, const char *path, char *err, size_t errlen)
{
    coord_allowlist_parse p = {.list = l};
    p.file = arena_strdup(l->arena, path);
    if (!p.file) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (conf_load(path, coord_allowlist_handler, &p, err, errlen) != 0)
        return -1;
    return coord_allowlist_finish(&p, err, errlen);
}

static int coord_allowlist_cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int coord_allowlist_cmp_entry(const void *a, const void *b)
{
    return strcmp(((const coord_allowlist_entry *)a)->id, ((const coord_allowlist_entry *)b)->id);
}

/* Every *.conf file of folder dir, in name order. */
static int coord_allowlist_folder(coord_allowlist_t *l, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
            continue;
        if (n == COORD_ALLOWLIST_MAX_FILES) {
            snprintf(err, errlen, "%s: more than %d files", dir, COORD_ALLOWLIST_MAX_FILES);
            goto done;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn)
                goto oom;
            names = nn;
            cap = ncap;
        }
        char *full = arena_alloc(l->arena, strlen(dir) + len + 2);
        if (!full)
            goto oom;
        sprintf(full, "%s/%s", dir, de->d_name);
        names[n++] = full;
    }
    if (errno != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", dir, strerror(errno));
        goto done;
    }
    if (n)
        qsort(names, n, sizeof *names, coord_allowlist_cmp_name);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) != 0) {
            snprintf(err, errlen, "%s: cannot open: %s", names[i], strerror(errno));
            goto done;
        }
        if (!S_ISREG(st.st_mode))
            continue;
        if (coord_allowlist_file(l, names[i], err, errlen) != 0)
            goto done;
    }
    rc = 0;
    goto done;
oom:
    snprintf(err, errlen, "%s: out of memory", dir);
done:
    free(names);
    closedir(d);
    return rc;
}

int coord_allowlist_load(const char *path, coord_allowlist_t **out, char *err, size_t errlen)
{
    *out = NULL;
    coord_allowlist_t *l = calloc(1, sizeof *l);
    if (!l || !(l->arena = arena_new())) {
        free(l);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    struct stat st;
    int rc;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        rc = coord_allowlist_folder(l, path, err, errlen);
    else
        rc = coord_allowlist_file(l, path, err, errlen);
    if (rc != 0) {
        coord_allowlist_destroy(&l);
        return -1;
    }
    if (l->n)
        qsort(l->entries, l->n, sizeof *l->entries, coord_allowlist_cmp_entry);
    *out = l;
    return 0;
}

void coord_allowlist_destroy(coord_allowlist_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->entries);
    arena_destroy(&(*self_p)->arena);
    free(*self_p);
    *self_p = NULL;
}

const coord_allowlist_entry *coord_allowlist_find(const coord_allowlist_t *self, const char *id)
{
    if (!self || !id || self->n == 0)
        return NULL;
    coord_allowlist_entry key;
    if (strlen(id) >= sizeof key.id)
        return NULL;
    memcpy(key.id, id, strlen(id) + 1);
    return bsearch(&key, self->entries, self->n, sizeof *self->entries, coord_allowlist_cmp_entry);
}

size_t coord_allowlist_count(const coord_allowlist_t *self)
{
    return self ? self->n : 0;
}

const coord_allowlist_entry *coord_allowlist_at(const coord_allowlist_t *self, size_t i)
{
    return self && i < self->n ? &self->entries[i] : NULL;
}

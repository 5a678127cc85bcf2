/*
 * common/arena.c - a bump allocator that frees everything at once.
 */
#include "common/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 4096
#define ARENA_ALIGN 16

struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
    struct arena_block *head;
    size_t total;
};

arena_t *arena_new(void)
{
    return calloc(1, sizeof(arena_t));
}

void arena_destroy(arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    struct arena_block *b = (*self_p)->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(*self_p);
    *self_p = NULL;
}

void *arena_alloc(arena_t *self, size_t size)
{
    if (size > SIZE_MAX / 2)
        return NULL;
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0)
        need = ARENA_ALIGN;
    struct arena_block *b = self->head;
    if (!b || b->size - b->used < need) {
        size_t bsize = need > ARENA_BLOCK ? need : ARENA_BLOCK;
        b = malloc(sizeof(*b) + bsize);
        if (!b)
            return NULL;
        b->size = bsize;
        b->used = 0;
        b->next = self->head;
        self->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    self->total += need;
    memset(p, 0, need);
    return p;
}

void *arena_calloc(arena_t *self, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / 2 / size)
        return NULL;
    return arena_alloc(self, n * size);
}

char *arena_strndup(arena_t *self, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = arena_alloc(self, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(arena_t *self, const char *s)
{
    return s ? arena_strndup(self, s, strlen(s)) : NULL;
}

size_t arena_used(const arena_t *self)
{
    return self->total;
}

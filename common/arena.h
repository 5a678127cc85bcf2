/*
 * common/arena.h - a bump allocator that frees everything at once.
 *
 * Decoded messages keep every string and array they own in one arena, so a
 * message is released with a single arena_destroy() and no decoder has to
 * unwind half-built structures on error.
 */
#ifndef VANTAGE_COMMON_ARENA_H
#define VANTAGE_COMMON_ARENA_H

#include <stddef.h>

typedef struct arena arena_t;

/* New empty arena; NULL when out of memory. Caller frees with arena_destroy(). */
arena_t *arena_new(void);

/* Free every allocation of the arena and set *self_p to NULL. */
void arena_destroy(arena_t **self_p);

/* size bytes, zeroed, aligned for any type; NULL when out of memory or too big. */
void *arena_alloc(arena_t *self, size_t size);

/* n elements of size bytes, zeroed; NULL on overflow or out of memory. */
void *arena_calloc(arena_t *self, size_t n, size_t size);

/* Copy of len bytes of s plus a terminating NUL; NULL when out of memory. */
char *arena_strndup(arena_t *self, const char *s, size_t len);

/* Copy of a NUL-terminated string (NULL in, NULL out). */
char *arena_strdup(arena_t *self, const char *s);

/* Bytes handed out so far (for limits and tests). */
size_t arena_used(const arena_t *self);

#endif

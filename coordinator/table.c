/*
 * coordinator/table.c - vantagectl's human output.
 */
#include "coordinator/table.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

struct table {
    size_t cols;  /* columns */
    char **cells; /* rows * cols cells, headers first */
    size_t rows;  /* rows, headers included */
    size_t cap;   /* rows allocated */
};

table_t *table_new(const char *const *headers)
{
    table_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    while (headers[t->cols] && t->cols < TABLE_COLS_MAX)
        t->cols++;
    if (table_add(t, headers) != 0) {
        table_destroy(&t);
        return NULL;
    }
    return t;
}

int table_add(table_t *self, const char *const *cells)
{
    if (self->rows == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        char **v = realloc(self->cells, cap * self->cols * sizeof *v);
        if (!v)
            return -1;
        self->cells = v;
        self->cap = cap;
    }
    for (size_t c = 0; c < self->cols; c++) {
        char *copy = strdup(cells[c] ? cells[c] : "-");
        if (!copy) {
            for (size_t k = 0; k < c; k++)
                free(self->cells[self->rows * self->cols + k]);
            return -1;
        }
        self->cells[self->rows * self->cols + c] = copy;
    }
    self->rows++;
    return 0;
}

bool table_colour(void)
{
    const char *nc = getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && !(nc && nc[0]);
}

const char *table_paint(const char *word, char *buf, size_t len)
{
    static const struct {
        const char *word;
        const char *code;
    } colours[] = {
        {"critical", "1;31"}, {"CRITICAL", "1;31"},    {"inconsistent", "1;31"},
        {"failing", "1;31"},  {"down", "1;31"},        {"warning", "33"},
        {"WARNING", "33"},    {"propagating", "33"},   {"timed-out", "33"},
        {"ok", "32"},         {"consistent", "32"},    {"up", "32"},
        {"converged", "32"},  {"unreachable", "1;31"}, {"partial", "33"},
        {"reachable", "32"},
    };
    if (table_colour()) {
        for (size_t i = 0; i < sizeof colours / sizeof colours[0]; i++) {
            if (strcmp(word, colours[i].word) == 0) {
                snprintf(buf, len, "\033[%sm%s\033[0m", colours[i].code, word);
                return buf;
            }
        }
    }
    snprintf(buf, len, "%s", word);
    return buf;
}

void table_print(const table_t *self, FILE *out)
{
    size_t width[TABLE_COLS_MAX] = {0};
    for (size_t r = 0; r < self->rows; r++) {
        for (size_t c = 0; c < self->cols; c++) {
            size_t w = strlen(self->cells[r * self->cols + c]);
            width[c] = w > width[c] ? w : width[c];
        }
    }
    for (size_t r = 0; r < self->rows; r++) {
        for (size_t c = 0; c < self->cols; c++) {
            const char *cell = self->cells[r * self->cols + c];
            char painted[256];
            const char *shown = r > 0 ? table_paint(cell, painted, sizeof painted) : cell;
            bool last = c + 1 == self->cols;
            fputs(shown, out);
            if (!last) {
                for (size_t k = strlen(cell); k < width[c] + 2; k++)
                    fputc(' ', out);
            }
        }
        fputc('\n', out);
    }
}

void table_destroy(table_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    table_t *t = *self_p;
    for (size_t i = 0; i < t->rows * t->cols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
    *self_p = NULL;
}

const char *table_ago(int64_t ms, char *buf, size_t len)
{
    int64_t d = (clock_wall_ms() - ms) / 1000;
    bool future = d < 0;
    int64_t a = future ? -d : d;
    const char *unit = "s";
    int64_t v = a;
    if (a >= 172800) {
        v = a / 86400;
        unit = "d";
    } else if (a >= 7200) {
        v = a / 3600;
        unit = "h";
    } else if (a >= 120) {
        v = a / 60;
        unit = "min";
    }
    if (future)
        snprintf(buf, len, "in %lld %s", (long long)v, unit);
    else
        snprintf(buf, len, "%lld %s ago", (long long)v, unit);
    return buf;
}

const char *table_when(int64_t ms, char *buf, size_t len)
{
    if (ms == 0) {
        snprintf(buf, len, "never");
        return buf;
    }
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char iso[32], ago[32];
    gmtime_r(&secs, &tm);
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(buf, len, "%s (%s)", iso, table_ago(ms, ago, sizeof ago));
    return buf;
}

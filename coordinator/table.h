/*
 * coordinator/table.h - vantagectl's human output: aligned tables, colour
 * for severity only, times in UTC ISO 8601 with a relative form.
 *
 * Colour is used only when stdout is a terminal and NO_COLOR is not set
 * (https://no-color.org), and only for severities and states.
 */
#ifndef VANTAGE_COORDINATOR_TABLE_H
#define VANTAGE_COORDINATOR_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TABLE_COLS_MAX 12

typedef struct table table_t;

/* A table with the given column headers (NULL-terminated list, at most
 * TABLE_COLS_MAX); NULL when out of memory. Free with table_destroy(). */
table_t *table_new(const char *const *headers);

/* Append a row of exactly as many cells as headers (copied); -1 when out of memory. */
int table_add(table_t *self, const char *const *cells);

/* Print the table to out, columns padded to their widest cell; the last
 * column is not padded. Cells that are state or severity words are coloured
 * when colour is on. */
void table_print(const table_t *self, FILE *out);

void table_destroy(table_t **self_p);

/* True when output to stdout may be coloured. */
bool table_colour(void);

/* A severity or state word with its colour codes when colour is on (static buffer per call site
 * is not used: the result is written into buf). */
const char *table_paint(const char *word, char *buf, size_t len);

/* "2026-11-26T10:55:10Z (42 s ago)" for a time in ms since the epoch; "never" for 0. */
const char *table_when(int64_t ms, char *buf, size_t len);

/* "42 s ago", "3 min ago", "in 12 s". */
const char *table_ago(int64_t ms, char *buf, size_t len);

#endif

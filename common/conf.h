/*
 * common/conf.h - INI config files (inih) with located errors and typed values.
 *
 * conf_load() reads a file with inih and calls a handler for each section
 * header and each key. Every error text has the form
 *   FILE:LINE: [SECTION] KEY: reason
 * and the first error wins: parsing stops at it. The handler gives only the
 * reason; conf_load() adds the place. The value parsers below write their
 * reason (no place) to err, which may be NULL.
 *
 * What the files may hold (inih r55 as Debian builds it, with the checks
 * conf_load() adds on top):
 *   - "key = value" or "key: value"; white space around both is dropped;
 *   - comment lines start with ';' or '#'; an inline comment starts with ';'
 *     after white space ("a ; b" gives "a"; "a;b" stays "a;b"). '#' is not an
 *     inline comment, so conf_load() refuses a value holding " #";
 *   - no quoting: quotes are part of the value;
 *   - a line of at most CONF_LINE_MAX characters: inih would split a longer
 *     one silently and read its tail as a line of its own, so it is an error;
 *   - section names may be long (inih itself cuts them at 49 characters; the
 *     handler gets the whole name from conf_load());
 *   - no indented lines: inih takes an indented line after a key as a
 *     continuation of that key's value (even "  other = x"), so conf_load()
 *     refuses any indented key or continuation line;
 *   - a key repeated is passed to the handler again: the schema decides.
 */
#ifndef VANTAGE_COMMON_CONF_H
#define VANTAGE_COMMON_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line accepted, in characters without the line end (inih's 200 less 3). */
#define CONF_LINE_MAX 197
/* Largest config file accepted, in bytes. */
#define CONF_FILE_MAX (1024 * 1024)
/* Bytes for an identifier (1..63 of [A-Za-z0-9._-]), NUL included. */
#define CONF_ID_MAX 64

/* Where a value came from. */
typedef struct conf_where {
    const char *file;    /* path given to conf_load() */
    int line;            /* 1-based line number */
    const char *section; /* section name, trimmed; "" before the first header */
    const char *key;     /* key name; NULL when the call announces a section header */
} conf_where;

/*
 * Called once per section header (key and value NULL), in file order, and
 * once per key (value never NULL). Returns 0, or -1 with only the reason in
 * err (conf_load() adds "FILE:LINE: [SECTION] KEY: ").
 */
typedef int (*conf_handler)(void *ctx, const conf_where *w, const char *value, char *err,
                            size_t errlen);

/*
 * Parse the INI file at path, calling h for every section and key.
 * 0, or -1 with err filled: "FILE: cannot open: why",
 * "FILE:LINE: syntax error", or "FILE:LINE: [SECTION] KEY: reason".
 */
int conf_load(const char *path, conf_handler h, void *ctx, char *err, size_t errlen);

/* Format "FILE:LINE: [SECTION] KEY: reason" into err (for checks made after parsing). */
void conf_errorf(char *err, size_t errlen, const conf_where *w, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "FILE: [SECTION] KEY: required but not set". */
void conf_missing(const char *file, const char *section, const char *key, char *err, size_t errlen);

/* Decimal integer in min..max. 0, or -1 with err. */
int conf_parse_uint(const char *value, uint64_t min, uint64_t max, uint64_t *out, char *err,
                    size_t errlen);

/* yes/no, true/false, on/off, 1/0 (any case). 0, or -1 with err. */
int conf_parse_bool(const char *value, bool *out, char *err, size_t errlen);

/*
 * Duration: a whole number with a unit ms, s, m, h or d; a bare number is
 * seconds. In min_ms..max_ms, in milliseconds. 0, or -1 with err.
 */
int conf_parse_duration_ms(const char *value, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms,
                           char *err, size_t errlen);

/* Shortest exact text for a duration ("1500ms", "30s", "5m", "1d"). */
void conf_format_duration(uint64_t ms, char *out, size_t outlen);

/*
 * Identifier: 1..63 of [A-Za-z0-9._-], starting with a letter or digit (so
 * never "." or ".." nor an option-like "-x"). Copied to out when out is not NULL. 0, or -1. */
int conf_parse_id(const char *value, char out[CONF_ID_MAX], char *err, size_t errlen);

/*
 * Split a list separated by spaces, tabs or commas into words, a flat array
 * of max_words entries of word_size bytes each (word i at words + i *
 * word_size). *count gets the number of words (0 for an empty list).
 * 0, or -1 with err when there are too many words or one is too long.
 */
int conf_parse_words(const char *value, char *words, size_t word_size, size_t max_words,
                     size_t *count, char *err, size_t errlen);

/*
 * Domain name: at most 253 characters, labels of 1..63 letters, digits, '-'
 * or '_', one trailing dot allowed. 0, or -1 with err.
 */
int conf_parse_domain(const char *value, char *err, size_t errlen);

/* Flags for conf_parse_endpoint(). */
typedef enum conf_endpoint_flags {
    CONF_ENDPOINT_CONNECT = 0, /* tcp host: address, [v6] or a host name */
    CONF_ENDPOINT_BIND = 1,    /* tcp host: '*', an address or [v6] */
} conf_endpoint_flags;

/*
 * ZeroMQ endpoint: "tcp://HOST:PORT" (port 1..65535, IPv6 in brackets) or
 * "ipc://PATH" (non-empty, fits a Unix socket path). 0, or -1 with err.
 */
int conf_parse_endpoint(const char *value, conf_endpoint_flags flags, char *err, size_t errlen);

/*
 * Resolver address: IPv4 "ADDR" or "ADDR:PORT", IPv6 "ADDR", "[ADDR]" or
 * "[ADDR]:PORT", port 1..65535. 0, or -1 with err.
 */
int conf_parse_addr_port(const char *value, char *err, size_t errlen);

#endif

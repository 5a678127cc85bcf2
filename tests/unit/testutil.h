/*
 * tests/unit/testutil.h - shared helpers for the cmocka unit tests.
 *
 * Header-only so every test binary stays one file: a temporary folder per
 * test run, and writing small files into it.
 */
#ifndef VANTAGE_TESTS_TESTUTIL_H
#define VANTAGE_TESTS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh folder under $TMPDIR (or /tmp); removed by tu_tmpdir_remove(). */
static inline char *tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/vantage-test.XXXXXX", base && *base ? base : "/tmp");
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    return strdup(dir);
}

static inline void tu_tmpdir_remove(char **dir_p)
{
    if (!*dir_p)
        return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", *dir_p);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", *dir_p);
    free(*dir_p);
    *dir_p = NULL;
}

/* Write text to dir/name with the given mode; returns the malloced path. */
static inline char *tu_write(const char *dir, const char *name, const char *text, mode_t mode)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(path);
    sprintf(path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    return path;
}

#endif

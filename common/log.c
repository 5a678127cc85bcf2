/*
 * common/log.c - levelled logging to stderr or syslog.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static const char *log_ident = "vantage";
static log_level log_threshold = LOG_LEVEL_INFO;
static bool log_syslog;

static const char *const log_names[] = {"err", "warn", "info", "debug"};

void log_init(const char *ident, log_level level, bool use_syslog)
{
    log_ident = ident;
    log_threshold = level;
    if (log_syslog && !use_syslog)
        closelog();
    log_syslog = use_syslog;
    if (use_syslog)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(log_level level)
{
    log_threshold = level;
}

log_level log_get_level(void)
{
    return log_threshold;
}

bool log_level_parse(const char *text, log_level *out)
{
    for (int i = 0; i <= LOG_LEVEL_DEBUG; i++) {
        if (strcmp(text, log_names[i]) == 0) {
            *out = (log_level)i;
            return true;
        }
    }
    if (strcmp(text, "warning") == 0 || strcmp(text, "error") == 0) {
        *out = text[0] == 'w' ? LOG_LEVEL_WARN : LOG_LEVEL_ERR;
        return true;
    }
    return false;
}

const char *log_level_name(log_level level)
{
    if ((int)level < 0 || level > LOG_LEVEL_DEBUG)
        return "?";
    return log_names[level];
}

static void log_vmsg(log_level level, const char *fmt, va_list ap)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    if (log_syslog) {
        vsyslog(prio[level], fmt, ap);
        return;
    }
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %s[%s]: ", stamp, ts.tv_nsec / 1000000L, log_ident,
            log_names[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void log_msg(log_level level, const char *fmt, ...)
{
    if (level > log_threshold)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(LOG_LEVEL_ERR, fmt, ap);
    va_end(ap);
    exit(1);
}

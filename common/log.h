/*
 * common/log.h - levelled logging to stderr or syslog.
 *
 * One process-wide logger. Daemons call log_init() once at start-up; until
 * then messages go to stderr at LOG_LEVEL_INFO. log_once_key() lets callers
 * log a condition once per peer instead of once per message.
 */
#ifndef VANTAGE_COMMON_LOG_H
#define VANTAGE_COMMON_LOG_H

#include <stdbool.h>

typedef enum log_level {
    LOG_LEVEL_ERR = 0,
    LOG_LEVEL_WARN = 1,
    LOG_LEVEL_INFO = 2,
    LOG_LEVEL_DEBUG = 3,
} log_level;

/* Set the program name, threshold and destination (syslog when use_syslog). */
void log_init(const char *ident, log_level level, bool use_syslog);

/* Change the threshold at run time (SIGHUP reload). */
void log_set_level(log_level level);

/* Current threshold. */
log_level log_get_level(void);

/* Parse "err", "warn"/"warning", "info", "debug"; returns false when unknown. */
bool log_level_parse(const char *text, log_level *out);

/* Name of a level ("err", "warn", "info", "debug"). */
const char *log_level_name(log_level level);

void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Log at start-up and exit(1): for start-up failures and impossible states only. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif

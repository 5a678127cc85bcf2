/*
 * coordinator/ctl.h - vantagectl's commands that talk to a running
 * coordinator over its control socket (JSON request, JSON reply).
 *
 * Exit status of every command: 0 OK, 1 warning, 2 critical (check), and 3
 * when the coordinator cannot be reached or the arguments are wrong, as
 * monitoring plugins do.
 */
#ifndef VANTAGE_COORDINATOR_CTL_H
#define VANTAGE_COORDINATOR_CTL_H

#include <jansson.h>
#include <stdio.h>

/* The control endpoint used when none is given. */
#define CTL_DEFAULT_ENDPOINT "ipc:///run/vantage/control.sock"

/* `vantagectl [-s ENDPOINT | -c CONF] agents [--json]` (argv[0] = "agents"). */
int ctl_agents(const char *endpoint, int argc, char **argv);

/* `vantagectl check NAME [--type T]... [--profile mail [--smtp]] [--resolver R]...
 * [--agent ID]... [--timeout MS] [--json]` (argv[0] = "check"). */
int ctl_check(const char *endpoint, int argc, char **argv);

/* `vantagectl status [NAME] [--json]`: a line per monitored name and type, state and cause. */
int ctl_status(const char *endpoint, int argc, char **argv);

/* `vantagectl diff NAME TYPE [--json]`: each distinct answer with the vantage points that see it.
 */
int ctl_diff(const char *endpoint, int argc, char **argv);

/* `vantagectl monitors [--json]`: the configured monitors and their state. */
int ctl_monitors(const char *endpoint, int argc, char **argv);

/* `vantagectl track NAME TYPE (--expect RDATA... | --expect-serial N | --from-auth) ...`. */
int ctl_track(const char *endpoint, int argc, char **argv);

/* `vantagectl watch ID [--json]`: the track live; exit 0 converged, 1 timed out. */
int ctl_watch(const char *endpoint, int argc, char **argv);

/* `vantagectl history NAME TYPE [--since T] [--json]`: when each vantage point's answer changed. */
int ctl_history(const char *endpoint, int argc, char **argv);

/* `vantagectl tracks [--json]`. */
int ctl_tracks(const char *endpoint, int argc, char **argv);

/*
 * Text forms, for the commands above and for tests (colour as table.h says):
 * status's items, a line each (causes and an SMTP item's addresses
 * indented below); an SMTP report's addresses, a line each ("HOST ENDPOINT
 * STATE SUMMARY"); check's SMTP part: a table per address, then the report's
 * summary and its address lines.
 */
void ctl_status_print(const json_t *items, FILE *out);
void ctl_smtp_lines(const json_t *report, const char *indent, FILE *out);
void ctl_smtp_tables(const json_t *report, FILE *out);

#endif

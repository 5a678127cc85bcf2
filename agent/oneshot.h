/*
 * agent/oneshot.h - `vantage-agent check`: one check, printed, then exit.
 *
 * Works on any machine without a coordinator. Exit status follows the
 * monitoring-plugin convention: 0 OK (info findings only), 1 warning,
 * 2 critical, 3 the check could not run (bad arguments, no resolver
 * reachable).
 */
#ifndef VANTAGE_AGENT_ONESHOT_H
#define VANTAGE_AGENT_ONESHOT_H

/* Run `vantage-agent check ...`; argv[0] is "check". Returns the exit status. */
int oneshot_main(int argc, char **argv);

#endif

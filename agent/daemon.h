/*
 * agent/daemon.h - vantage-agent as a daemon: configuration check and the
 * long-running process that connects to the coordinator.
 */
#ifndef VANTAGE_AGENT_DAEMON_H
#define VANTAGE_AGENT_DAEMON_H

/*
 * Check the configuration at path as the daemon would load it: the config
 * file, the agent's secret key, the pinned coordinator keys, the state
 * folder. Prints every problem (file, line, key) to stderr and
 * "PATH: configuration OK" to stdout when there is none. Returns 0 or 1.
 */
int agent_daemon_check_config(const char *path);

/*
 * Run the agent until SIGTERM or SIGINT: connect to the coordinator, say
 * HELLO after every connect, run the monitors of its PLAN and the CHECKs it
 * sends, spool every batch before sending it and delete it on ACK. Returns
 * the exit status (1 when start-up fails).
 */
int agent_daemon_run(const char *path);

#endif

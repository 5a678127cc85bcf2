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

#endif

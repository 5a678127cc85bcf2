/*
 * coordinator/coord.h - vantage-coord as a daemon: configuration check and
 * the long-running process that agents connect to.
 */
#ifndef VANTAGE_COORDINATOR_COORD_H
#define VANTAGE_COORDINATOR_COORD_H

/*
 * Check the configuration at path as the daemon would load it: the config
 * file, the secret key, the allow-list (file or folder), the store's
 * folder. Prints the problem (file, line, key) to stderr, or
 * "PATH: configuration OK" to stdout. Returns 0 or 1.
 */
int coord_check_config(const char *path);

/*
 * Run the coordinator until SIGTERM or SIGINT: bind the agents' endpoint and
 * the control socket, verify and store what agents send, answer vantagectl.
 * SIGHUP reloads the config and the allow-list (a config with errors is
 * refused and the running one kept). Returns the exit status.
 */
int coord_run(const char *path);

#endif

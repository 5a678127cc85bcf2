/*
 * agent/main.c - vantage-agent: parse the command line and dispatch.
 *
 *   vantage-agent keygen PATH        write a key pair
 *   vantage-agent -c FILE [-n]       the daemon (issue 4), -n: check config
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent/daemon.h"
#include "agent/oneshot.h"
#include "common/keygen.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: vantage-agent [-c FILE] [-n] [-d]\n"
                 "       vantage-agent check DOMAIN [OPTIONS]  (see check --help)\n"
                 "       vantage-agent keygen [--force] PATH\n"
                 "       vantage-agent --help | --version\n"
                 "\n"
                 "The vantage agent looks at DNS from where it runs and reports signed\n"
                 "observations to a vantage coordinator.\n"
                 "\n"
                 "  -c, --config FILE  configuration file (default /etc/vantage/agent.conf)\n"
                 "  -n, --check-config check the configuration and exit\n"
                 "  -d, --foreground   stay in the foreground, log to stderr\n"
                 "  -h, --help         show this help\n"
                 "  -V, --version      show the version\n"
                 "\n"
                 "commands:\n"
                 "  check DOMAIN       check DOMAIN at chosen resolvers now, print and exit\n"
                 "  keygen PATH        write a new Ed25519 secret key to PATH (0600) and\n"
                 "                     its public key to PATH.pub\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "keygen") == 0)
        return keygen_main("vantage-agent", argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "check") == 0)
        return oneshot_main(argc - 1, argv + 1);

    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'n'},
        {"foreground", no_argument, NULL, 'd'},   {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    const char *config = "/etc/vantage/agent.conf";
    bool check_only = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:ndhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'n':
            check_only = true;
            break;
        case 'd':
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("vantage-agent %s\n", VANTAGE_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vantage-agent: unknown command '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (check_only)
        return agent_daemon_check_config(config);
    return agent_daemon_run(config);
}

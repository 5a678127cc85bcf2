/*
 * coordinator/coord_main.c - vantage-coord: parse the command line and
 * dispatch.
 *
 *   vantage-coord -c FILE [-n]       the daemon (issue 4), -n: check config
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "coordinator/coord.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: vantage-coord [-c FILE] [-n] [-d]\n"
                 "       vantage-coord --help | --version\n"
                 "\n"
                 "The vantage coordinator receives signed observations from vantage agents,\n"
                 "stores them, compares them across locations and answers vantagectl.\n"
                 "\n"
                 "  -c, --config FILE  configuration file (default /etc/vantage/coord.conf)\n"
                 "  -n, --check-config check the configuration and exit\n"
                 "  -d, --foreground   stay in the foreground, log to stderr\n"
                 "  -h, --help         show this help\n"
                 "  -V, --version      show the version\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'n'},
        {"foreground", no_argument, NULL, 'd'},   {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    const char *config = "/etc/vantage/coord.conf";
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
            printf("vantage-coord %s\n", VANTAGE_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vantage-coord: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (check_only)
        return coord_check_config(config);
    return coord_run(config);
}

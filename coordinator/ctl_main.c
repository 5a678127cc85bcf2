/*
 * coordinator/ctl_main.c - vantagectl: the operator's CLI.
 */
#include <stdio.h>
#include <string.h>

#include "common/keygen.h"
#include "coordinator/coord_conf.h"
#include "coordinator/ctl.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vantagectl [-s ENDPOINT | -c COORD.CONF] COMMAND [ARGS]\n"
            "       vantagectl --help | --version\n"
            "\n"
            "Ask a vantage coordinator what its agents see.\n"
            "\n"
            "  -s, --socket ENDPOINT  the coordinator's control socket (default\n"
            "                         " CTL_DEFAULT_ENDPOINT ")\n"
            "  -c, --config FILE      take the control socket from the coordinator's config\n"
            "\n"
            "commands:\n"
            "  agents [--json]        the agents: region, up or down, last seen, clock\n"
            "                         offset, version, spool backlog\n"
            "  monitors [--json]      the monitors of the coordinator's config, with state\n"
            "  status [NAME] [--json] a line per monitored name and type: consistent,\n"
            "                         propagating, inconsistent or failing, and why; with\n"
            "                         smtp = yes, which regions reach each MX address\n"
            "  diff NAME TYPE [--json]\n"
            "                         each distinct answer and the vantage points that see it\n"
            "  check NAME [--type T]... [--profile mail [--smtp]] [--resolver R]...\n"
            "        [--agent ID]... [--timeout MS] [--json]\n"
            "                         every agent checks NAME now; answers and findings;\n"
            "                         --smtp: and port 25 of every MX address\n"
            "  track NAME TYPE (--expect RDATA... | --expect-serial N | --from-auth)\n"
            "        [--interval S] [--deadline D] [--json]\n"
            "                         follow a change until every vantage point sees it\n"
            "  watch ID [--json]      a track live: progress, ETA, then who took how long\n"
            "  tracks [--json]        the tracks, running and ended\n"
            "  history NAME TYPE [--since T] [--json]\n"
            "                         when each vantage point's answer changed (default\n"
            "                         the last 24h; T: 1h, 30m, or 2026-11-26T10:00:00Z)\n"
            "  keygen [--force] PATH  write a new Ed25519 secret key to PATH (0600) and\n"
            "                         its public key to PATH.pub\n"
            "\n"
            "Exit status: 0 OK, 1 warning, 2 critical, 3 unknown (coordinator not\n"
            "reachable, bad arguments).\n");
}

int main(int argc, char **argv)
{
    const char *endpoint = CTL_DEFAULT_ENDPOINT;
    coord_conf_t *conf = NULL;
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("vantagectl %s\n", VANTAGE_VERSION);
            return 0;
        }
        if ((strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) && i + 1 < argc) {
            endpoint = argv[i + 1];
            i += 2;
            continue;
        }
        if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
            char err[1024];
            if (coord_conf_load(argv[i + 1], &conf, err, sizeof err) != 0) {
                fprintf(stderr, "vantagectl: %s\n", err);
                return 3;
            }
            endpoint = conf->control;
            i += 2;
            continue;
        }
        fprintf(stderr, "vantagectl: unknown option '%s'\n", a);
        usage(stderr);
        return 3;
    }
    if (i >= argc) {
        usage(stderr);
        return 3;
    }
    const char *cmd = argv[i];
    int rc;
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        rc = 0;
    } else if (strcmp(cmd, "keygen") == 0) {
        rc = keygen_main("vantagectl", argc - i, argv + i);
    } else if (strcmp(cmd, "agents") == 0) {
        rc = ctl_agents(endpoint, argc - i, argv + i);
    } else if (strcmp(cmd, "check") == 0) {
        rc = ctl_check(endpoint, argc - i, argv + i);
    } else if (strcmp(cmd, "status") == 0) {
        rc = ctl_status(endpoint, argc - i, argv + i);
    } else if (strcmp(cmd, "diff") == 0) {
        rc = ctl_diff(endpoint, argc - i, argv + i);
    } else if (strcmp(cmd, "monitors") == 0) {
        rc = ctl_monitors(endpoint, argc - i, argv + i);
    } else if (strcmp(cmd, "track") == 0) {
        rc = ctl_track(endpoint, argc - i, argv + i);
    } else if (strcmp(cmd, "watch") == 0) {
        rc = ctl_watch(endpoint, argc - i, argv + i);
    } else if (strcmp(cmd, "tracks") == 0) {
        rc = ctl_tracks(endpoint, argc - i, argv + i);
    } else if (strcmp(cmd, "history") == 0) {
        rc = ctl_history(endpoint, argc - i, argv + i);
    } else {
        fprintf(stderr, "vantagectl: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = 3;
    }
    coord_conf_destroy(&conf);
    return rc;
}

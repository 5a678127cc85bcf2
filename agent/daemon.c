/*
 * agent/daemon.c - vantage-agent as a daemon.
 */
#include "agent/daemon.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/agent_conf.h"
#include "common/keyfile.h"

/* The state folder exists and is a folder, or its parent does (it is made at start). */
static int check_state_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: state_dir is not a folder", dir);
            return -1;
        }
        return 0;
    }
    if (errno != ENOENT) {
        snprintf(err, errlen, "%s: state_dir: %s", dir, strerror(errno));
        return -1;
    }
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent)
        *slash = '\0';
    else
        snprintf(parent, sizeof parent, "%s", slash ? "/" : ".");
    if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%.400s: state_dir does not exist and its parent %.400s is no folder",
                 dir, parent);
        return -1;
    }
    return 0;
}

int agent_daemon_check_config(const char *path)
{
    char err[1024];
    agent_conf_t *conf = NULL;
    int rc = 1;
    if (sodium_init() < 0) {
        fprintf(stderr, "vantage-agent: libsodium failed to initialise\n");
        return 1;
    }
    if (agent_conf_load(path, &conf, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-agent: %s\n", err);
        return 1;
    }
    unsigned char sk[KEYFILE_SK_BYTES], pk[KEYFILE_PK_BYTES];
    if (keyfile_load_secret(conf->key_path, sk, pk, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-agent: %s: [agent] key: %s\n", path, err);
        goto done;
    }
    sodium_memzero(sk, sizeof sk);
    if (check_state_dir(conf->state_dir, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-agent: %s: [agent] %s\n", path, err);
        goto done;
    }
    printf("%s: configuration OK (agent %s, region %s, coordinator %s)\n", path, conf->id,
           conf->region, conf->endpoint);
    rc = 0;
done:
    agent_conf_destroy(&conf);
    return rc;
}

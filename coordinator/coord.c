/*
 * coordinator/coord.c - vantage-coord as a daemon.
 */
#include "coordinator/coord.h"

#include <errno.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/keyfile.h"
#include "coordinator/allowlist.h"
#include "coordinator/coord_conf.h"

/* The folder of the store file must exist (the file is created at start). */
static int check_store_dir(const char *store, char *err, size_t errlen)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", store);
    const char *dir = dirname(copy);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%.400s: the folder %.400s does not exist", store, dir);
        return -1;
    }
    return 0;
}

int coord_check_config(const char *path)
{
    char err[1024];
    coord_conf_t *conf = NULL;
    coord_allowlist_t *allow = NULL;
    int rc = 1;
    if (sodium_init() < 0) {
        fprintf(stderr, "vantage-coord: libsodium failed to initialise\n");
        return 1;
    }
    if (coord_conf_load(path, &conf, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-coord: %s\n", err);
        return 1;
    }
    unsigned char sk[KEYFILE_SK_BYTES], pk[KEYFILE_PK_BYTES];
    if (keyfile_load_secret(conf->key_path, sk, pk, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-coord: %s: [coordinator] key: %s\n", path, err);
        goto done;
    }
    sodium_memzero(sk, sizeof sk);
    if (coord_allowlist_load(conf->allowlist_path, &allow, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-coord: %s: [coordinator] allowlist: %s\n", path, err);
        goto done;
    }
    if (check_store_dir(conf->store_path, err, sizeof err) != 0) {
        fprintf(stderr, "vantage-coord: %s: [coordinator] store: %s\n", path, err);
        goto done;
    }
    printf("%s: configuration OK (coordinator %s, %zu agents allowed, %zu monitors)\n", path,
           conf->id, coord_allowlist_count(allow), conf->n_monitors);
    rc = 0;
done:
    coord_allowlist_destroy(&allow);
    coord_conf_destroy(&conf);
    return rc;
}

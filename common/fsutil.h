/*
 * common/fsutil.h - durable files: folders made private and fsynced into
 * their parent, folders fsynced after a rename, so what the spool, the
 * sequence numbers and the key files write survives a power cut.
 */
#ifndef VANTAGE_COMMON_FSUTIL_H
#define VANTAGE_COMMON_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* fsync a folder; 0, or -1 with errno set. */
int fsutil_sync_dir(const char *dir);

/* fsync the folder that holds path (its parent), ignoring errors. */
void fsutil_sync_parent(const char *path);

/*
 * Create dir with mode 0700 when missing and fsync its parent; a dir that
 * exists must be a folder. *created (may be NULL) says whether it was made.
 * 0, or -1 with err "DIR: cannot create folder: ..." or "DIR: not a folder".
 */
int fsutil_mkdir_private(const char *dir, bool *created, char *err, size_t errlen);

/* Write all len bytes to fd (retrying short writes and EINTR); 0, or -1 with errno. */
int fsutil_write_all(int fd, const void *buf, size_t len);

/*
 * Read from fd until end of file or until cap bytes are in buf (retrying
 * EINTR); *len is what was read. 0, or -1 with errno on a read error.
 */
int fsutil_read_upto(int fd, void *buf, size_t cap, size_t *len);

#endif

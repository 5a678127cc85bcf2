/*
 * agent/spool.h - the on-disk spool of batches the coordinator has not acked.
 *
 * The agent writes every RESULTS batch here before it sends it, and deletes
 * it only when the coordinator acks that sequence number (docs/protocol.md
 * §8). What is kept is the msgpack body, unsigned: a batch re-sent after a
 * reconnect or restart is sealed in a fresh envelope with the same sequence
 * number, so the skew window never refuses it.
 *
 * Each batch is one file STATE_DIR/spool/SEQ.batch, SEQ being the sequence
 * number in 20 zero-padded decimal digits so names sort by number. A file
 * is a 48-byte header followed by the body; integers are little-endian:
 *
 *   offset size  field
 *        0    8  magic "vspool\r\n" (76 73 70 6f 6f 6c 0d 0a)
 *        8    4  format version, 1
 *       12    4  header length, 48
 *       16    8  sequence number (must match the file name)
 *       24    8  body length (the file is exactly 48 + this long)
 *       32   16  BLAKE2b-128 (libsodium crypto_generichash, no key) of
 *                bytes 0..31 of the header followed by the body
 *       48    -  the body
 *
 * A batch is written to a temporary file (SEQ.batch.tmp-XXXXXX) beside its
 * name, fsynced, renamed into place and the folder fsynced: spool_put()
 * returns only when the batch survives a power cut. Deletions (acks, drops)
 * are not fsynced: one lost to a crash only means the batch is sent again,
 * and the coordinator acks a duplicate without storing it twice.
 *
 * Opening scans the folder: a file whose magic, version, header length,
 * length, checksum or name/number does not hold is skipped, logged with
 * log_warn naming it and left on disk for inspection; stray temporary files
 * are removed; other names are logged and ignored. Folders are mode 0700 and
 * files 0600. Open the spool only while holding the state folder's lock
 * (seqstate_open() first): the scan removes temporary files, which must not
 * be those of another live process.
 *
 * The spool holds at most max_batches: spool_put() on a full spool deletes
 * the oldest batch and reports it, and the agent says so in its log and in
 * its next HELLO (spool_take_dropped()).
 */
#ifndef VANTAGE_AGENT_SPOOL_H
#define VANTAGE_AGENT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/msg.h"

/* Largest body kept: a body must fit in a frame. */
#define SPOOL_BODY_MAX PROTO_FRAME_MAX

/* Bytes of the header in front of every body. */
#define SPOOL_HEADER_LEN 48

typedef enum spool_status {
    SPOOL_OK = 0,
    SPOOL_E_UNKNOWN, /* no batch with that sequence number in the spool */
    SPOOL_E_EXISTS,  /* put: a batch with that sequence number is already spooled */
    SPOOL_E_TOO_BIG, /* put: body larger than SPOOL_BODY_MAX */
    SPOOL_E_CORRUPT, /* read: the file is damaged or gone; it left the spool */
    SPOOL_E_IO,      /* a file system call failed; err names the file */
    SPOOL_E_NOMEM,   /* out of memory */
    SPOOL_E_INVALID, /* the caller passed something unusable */
} spool_status;

typedef struct spool spool_t;

/* Short stable name of a status, e.g. "unknown" (for logs and tests). */
const char *spool_status_name(spool_status status);

/*
 * Open the spool in STATE_DIR/spool, where state_dir is the agent's state
 * folder (both created with mode 0700 when missing), keeping at most
 * max_batches (at least 1). Scans what is there as described above; when
 * more than max_batches are found, the oldest are dropped and counted as in
 * spool_put(). NULL with err filled (naming the folder) when the folder
 * cannot be created or read. Free with spool_close().
 */
spool_t *spool_open(const char *state_dir, size_t max_batches, char *err, size_t errlen);

/* Free the index (the files stay); sets *self_p to NULL. */
void spool_close(spool_t **self_p);

/*
 * Store the body of batch seq durably (see above); body is borrowed. When
 * the spool already held max_batches, the oldest batch is deleted after the
 * new one is durable, *dropped is set and *dropped_seq names it (either may
 * be NULL); else *dropped is false. The drop is logged and counted.
 * SPOOL_E_TOO_BIG, SPOOL_E_EXISTS, SPOOL_E_INVALID (body NULL with len > 0),
 * SPOOL_E_IO and SPOOL_E_NOMEM leave the spool as it was.
 */
spool_status spool_put(spool_t *self, uint64_t seq, const uint8_t *body, size_t len,
                       uint64_t *dropped_seq, bool *dropped, char *err, size_t errlen);

/*
 * The coordinator acked seq: delete its file. SPOOL_E_UNKNOWN (not an error:
 * a duplicate ack, or a batch already dropped) when it is not spooled;
 * SPOOL_E_IO when the file cannot be deleted (it stays in the spool).
 */
spool_status spool_ack(spool_t *self, uint64_t seq, char *err, size_t errlen);

/*
 * Read the body of seq into *body (malloced, the caller frees it) and *len,
 * checking the header and checksum again. SPOOL_E_UNKNOWN when not spooled;
 * SPOOL_E_CORRUPT when the file is now damaged or missing: it is logged and
 * taken out of the spool (a damaged file stays on disk); SPOOL_E_IO when it
 * cannot be read (it stays in the spool). On failure *body is NULL.
 */
spool_status spool_read(spool_t *self, uint64_t seq, uint8_t **body, size_t *len, char *err,
                        size_t errlen);

/* Batches in the spool. */
size_t spool_count(const spool_t *self);

/*
 * The i-th sequence number in increasing order, i < spool_count(); 0 when
 * i is out of range. Indexes shift when batches leave the spool.
 */
uint64_t spool_seq_at(const spool_t *self, size_t i);

/* True when seq is in the spool. */
bool spool_contains(const spool_t *self, uint64_t seq);

/* Highest sequence number in the spool, 0 when it is empty. */
uint64_t spool_last_seq(const spool_t *self);

/* Batches dropped from a full spool since it was opened. */
uint64_t spool_dropped_total(const spool_t *self);

/* Batches dropped since the last call (for HELLO's spool_dropped); resets the count. */
uint64_t spool_take_dropped(spool_t *self);

/* Files skipped as damaged when the spool was opened. */
size_t spool_skipped(const spool_t *self);

/* The spool folder, STATE_DIR/spool (for logs). */
const char *spool_dir(const spool_t *self);

#endif

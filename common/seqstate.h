/*
 * common/seqstate.h - a sender's sequence numbers, durable and never repeated
 * (the agent's, and the coordinator's own).
 *
 * Every envelope an agent sends carries a sequence number that must never
 * repeat, across restarts, kill -9 and power cuts (docs/protocol.md §8).
 * Writing the counter to disk for every number would cost an fsync per
 * batch, so numbers are reserved in blocks: the file STATE_DIR/seq holds an
 * upper bound, and every number handed out is below the bound that is
 * already durable. When the numbers below the bound run out, the next block
 * (SEQSTATE_BLOCK numbers) is reserved first: the new bound is written to a
 * temporary file beside it, fsynced, renamed over STATE_DIR/seq, and the
 * folder fsynced. After a restart numbering goes on from the stored bound;
 * numbers of the last block that were never used are skipped.
 *
 * STATE_DIR/seq is one line of text:
 *   "vantage-seq 1 BOUND CHECK\n"
 * where 1 is the format version, BOUND the reserved bound in decimal (the
 * next process starts there) and CHECK 32 lower-case hex digits: the
 * BLAKE2b-128 hash (libsodium crypto_generichash, no key) of the bytes
 * before the space that precedes CHECK.
 *
 * A missing folder is created (mode 0700). A seq file that cannot be read
 * or does not parse is an error naming the file, never a silent restart at
 * 1. A missing seq file starts at 1 and the state is "fresh": the agent
 * must not hand out numbers for batches until the coordinator's WELCOME has
 * said what it already stores (seqstate_raise_above()), and should raise
 * above the last batch in its spool too.
 *
 * The open state holds an exclusive lock (flock) on STATE_DIR/lock, so two
 * processes cannot share one state folder and repeat each other's numbers.
 */
#ifndef VANTAGE_COMMON_SEQSTATE_H
#define VANTAGE_COMMON_SEQSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Numbers reserved by one write of STATE_DIR/seq. */
#define SEQSTATE_BLOCK 1000

/* Highest number ever handed out; the bound never exceeds it by more than one. */
#define SEQSTATE_MAX (UINT64_MAX - 1)

typedef struct seqstate seqstate_t;

/*
 * Open the sequence state in the folder dir (created with mode 0700 when
 * missing) and lock it. NULL with err filled (naming the file or folder) when
 * the folder cannot be created, is locked by another process, or its seq
 * file is unreadable or corrupt. Free with seqstate_close().
 */
seqstate_t *seqstate_open(const char *dir, char *err, size_t errlen);

/* Release the lock and free; sets *self_p to NULL. Nothing needs writing. */
void seqstate_close(seqstate_t **self_p);

/*
 * The next number into *out. Reserves a new block first when needed; 0 on
 * success, -1 with err filled (naming the file) when that write fails or
 * the numbers are exhausted; then nothing is handed out and the state is
 * unchanged, so a later call may succeed.
 */
int seqstate_next(seqstate_t *self, uint64_t *out, char *err, size_t errlen);

/* The number seqstate_next() will hand out next (for HELLO's next_seq). */
uint64_t seqstate_peek_next(const seqstate_t *self);

/*
 * Go on above n: the coordinator already stores n (WELCOME's highest_seq),
 * or the spool holds it. Never lowers anything. Nothing is written now: the
 * next seqstate_next() reserves a block above n. Clears the fresh flag.
 * -1 with err filled when n is above SEQSTATE_MAX - 1.
 */
int seqstate_raise_above(seqstate_t *self, uint64_t n, char *err, size_t errlen);

/* The reserved bound as stored on disk (0 before the first reservation of a fresh state). */
uint64_t seqstate_bound(const seqstate_t *self);

/* True when no seq file was found at open and nothing has raised the state since. */
bool seqstate_fresh(const seqstate_t *self);

/* Path of the seq file (for logs). */
const char *seqstate_path(const seqstate_t *self);

#endif

/*
 * agent/track.h - following one change at every resolver until it has
 * spread (the agent's side of TRACK, docs/protocol.md).
 *
 * A track first runs a check of the question at its resolvers (and the
 * zone's authoritative servers, found as a check finds them); every answer
 * of that question becomes a vantage point. From then on each vantage point
 * is asked again on its own schedule: one still holding another answer
 * right after its remaining TTL (or negative TTL) runs out, plus a small
 * margin, so a flip is seen within about a second of becoming possible; one
 * already on the expected answer every interval, to see it flip back; never
 * more often than the resolver's query budget allows (agent/dnsq.h). Every
 * answer goes to the sink at once.
 */
#ifndef VANTAGE_AGENT_TRACK_H
#define VANTAGE_AGENT_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/dnsq.h"
#include "proto/msg.h"

/* Margin after a TTL runs out before asking again, ms. */
#define TRACK_MARGIN_MS 300

/*
 * Resolvers give remaining TTLs in whole seconds, rounded down: an old answer
 * with TTL 0 has less than a second left, and is asked again this soon
 * (ms), so the flip is seen well within a second of becoming possible.
 */
#define TRACK_SHORT_MS 400

typedef struct track_run track_run_t;

/* Gets every answer of the track as it arrives (obs borrowed for the call). */
typedef void (*track_sink)(void *ctx, uint64_t track_id, const proto_obs *obs);

/* A new track from a TRACK message (copied); NULL with err filled. */
track_run_t *track_run_new(dnsq_t *engine, const proto_track *t, track_sink sink, void *ctx,
                           char *err, size_t errlen);

/* Start asking. */
void track_run_start(track_run_t *self);

/* Ask whoever is due now; handle the first check's deadline. */
void track_run_poll(track_run_t *self);

/* Milliseconds until the track needs track_run_poll() (<= max_ms). */
long track_run_timeout_ms(const track_run_t *self, long max_ms);

/* True once its duration has passed. */
bool track_run_done(const track_run_t *self);

/*
 * True when t asks what this track asks (name, type, expectation): a
 * coordinator restarted since may reuse an id for another track.
 */
bool track_run_same(const track_run_t *self, const proto_track *t);

/* Its id. */
uint64_t track_run_id(const track_run_t *self);

/* Queries it sent. */
uint64_t track_run_queries(const track_run_t *self);

/* Stop and free (outstanding queries are cancelled). */
void track_run_destroy(track_run_t **self_p);

#endif

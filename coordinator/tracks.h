/*
 * coordinator/tracks.h - changes followed until every vantage point sees
 * them (`vantagectl track`, `watch`, `tracks`).
 *
 * A track expects one answer for (name, type): an RR set, or an SOA serial
 * at least N. Agents send every answer of the track (RESULTS with
 * track_id); each (agent, resolver) is a point that records when it first
 * showed the expected answer (coordinator clock: the agent's time minus its
 * offset), whether it flipped back, and, while it is stale, when its cache
 * lets it turn (ETA, from the remaining TTL). A track ends converged when
 * every agent asked has answered and every point shows the expected answer,
 * or timed out at its deadline. Tracks live in the coordinator's memory.
 */
#ifndef VANTAGE_COORDINATOR_TRACKS_H
#define VANTAGE_COORDINATOR_TRACKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/msg.h"

typedef struct tracks tracks_t;
typedef struct track track_t;

/* What a new track expects and how long it may take. */
typedef struct tracks_spec {
    uint64_t id;               /* unique across coordinator runs (its sequence numbers) */
    const char *qname;         /* canonical name */
    const char *qtype;         /* type name */
    const char *expect;        /* expected canonical RR set text, or NULL */
    uint32_t expect_serial;    /* or an SOA serial at least this */
    bool has_expect_serial;    /* expect_serial is set */
    uint32_t interval_s;       /* ceiling between two asks of one resolver */
    int64_t deadline_ms;       /* coordinator clock */
    const char *const *agents; /* agents asked */
    size_t n_agents;           /* count */
} tracks_spec;

/* An empty set of tracks; NULL when out of memory. */
tracks_t *tracks_new(void);
void tracks_destroy(tracks_t **self_p);

/* Start a track (copied); NULL when out of memory. Borrowed from self. */
track_t *tracks_add(tracks_t *self, const tracks_spec *spec, int64_t now_ms);

/* The track with this id, or NULL. */
track_t *tracks_find(tracks_t *self, uint64_t id);

uint64_t track_id(const track_t *t);

/* True once converged or timed out. */
bool track_ended(const track_t *t);

/* One answer of a track from agent (clock offset applied to its time). */
void tracks_take(tracks_t *self, uint64_t id, const char *agent, const char *region,
                 int64_t offset_ms, const proto_obs *obs, int64_t now_ms);

/* End tracks that converged or whose deadline passed; their ids go to
 * ended (at most max); returns how many. */
size_t tracks_tick(tracks_t *self, int64_t now_ms, uint64_t *ended, size_t max);

/* A track as JSON: state, progress, points (docs/cli.md). */
json_t *track_json(const track_t *t, int64_t now_ms);

/* Every track, newest first, without points. */
json_t *tracks_list_json(const tracks_t *self, int64_t now_ms);

#endif

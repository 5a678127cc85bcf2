/*
 * proto/status.h - error values of the wire protocol.
 *
 * Every way a frame can be refused has its own status, so a daemon can count
 * and log each kind per peer, and tests can tell them apart. A proto_error
 * adds where it happened: the byte offset in the frame (for structural
 * errors) or the dotted field path (for body errors, e.g.
 * "obs[3].qtype").
 */
#ifndef VANTAGE_PROTO_STATUS_H
#define VANTAGE_PROTO_STATUS_H

#include <stddef.h>

typedef enum proto_status {
    PROTO_OK = 0,
    PROTO_E_TOO_BIG,   /* frame larger than PROTO_FRAME_MAX */
    PROTO_E_TRUNCATED, /* the frame ends inside an object, or a length runs past it */
    PROTO_E_TRAILING,  /* bytes left after the envelope */
    PROTO_E_COUNT,     /* a declared array/map count exceeds the bytes left */
    PROTO_E_DEPTH,     /* nesting deeper than PROTO_DEPTH_MAX */
    PROTO_E_ITEMS,     /* more objects in one frame than PROTO_ITEMS_MAX */
    PROTO_E_BADBYTE,   /* a byte that is no msgpack type (0xc1) */
    PROTO_E_FORMAT,    /* the envelope is not the 8-element array it must be */
    PROTO_E_TYPE,      /* a field has the wrong msgpack type */
    PROTO_E_STRING,    /* a string too long, with a NUL byte, or not UTF-8 */
    PROTO_E_RANGE,     /* a number or count outside the field's range */
    PROTO_E_MISSING,   /* a required field is absent */
    PROTO_E_DUPLICATE, /* the same key twice in one map */
    PROTO_E_VERSION,   /* protocol version outside the accepted range */
    PROTO_E_MSGTYPE,   /* unknown message type */
    PROTO_E_SIGNATURE, /* signature does not verify */
    PROTO_E_RECIPIENT, /* the message is addressed to someone else */
    PROTO_E_SENDER,    /* no key known for the sender */
    PROTO_E_SKEW,      /* send timestamp outside the skew window */
    PROTO_E_NOMEM,     /* out of memory */
    PROTO_E_INVALID,   /* the caller passed something unencodable */
    PROTO_STATUS_COUNT
} proto_status;

/* Where an error happened and what it was. */
typedef struct proto_error {
    proto_status status; /* what went wrong */
    size_t offset;       /* byte offset in the frame, for structural errors */
    char field[96];      /* dotted field path, "" when not about a field */
} proto_error;

/* Short stable name, e.g. "count" for PROTO_E_COUNT (for counters and logs). */
const char *proto_status_name(proto_status status);

/* A sentence describing the status. */
const char *proto_status_text(proto_status status);

/* Record status, offset and field in err (err may be NULL); returns status. */
proto_status proto_error_set(proto_error *err, proto_status status, size_t offset,
                             const char *field);

/* "name: text (field F, offset N)" into buf; returns buf. */
const char *proto_error_format(const proto_error *err, char *buf, size_t len);

#endif

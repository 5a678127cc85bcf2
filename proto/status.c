/*
 * proto/status.c - error values of the wire protocol.
 */
#include "proto/status.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    const char *text;
} status_table[PROTO_STATUS_COUNT] = {
    [PROTO_OK] = {"ok", "no error"},
    [PROTO_E_TOO_BIG] = {"too-big", "frame larger than the maximum size"},
    [PROTO_E_TRUNCATED] = {"truncated",
                           "frame ends inside an object or a length runs past its end"},
    [PROTO_E_TRAILING] = {"trailing", "bytes after the end of the envelope"},
    [PROTO_E_COUNT] = {"count", "declared array or map count exceeds the bytes left"},
    [PROTO_E_DEPTH] = {"depth", "nesting too deep"},
    [PROTO_E_ITEMS] = {"items", "too many objects in one frame"},
    [PROTO_E_BADBYTE] = {"bad-byte", "byte that is no msgpack type"},
    [PROTO_E_FORMAT] = {"format", "envelope is not an array of 8 fields"},
    [PROTO_E_TYPE] = {"type", "field of the wrong type"},
    [PROTO_E_STRING] = {"string", "string too long, with a NUL byte, or not UTF-8"},
    [PROTO_E_RANGE] = {"range", "value out of range"},
    [PROTO_E_MISSING] = {"missing", "required field missing"},
    [PROTO_E_DUPLICATE] = {"duplicate", "key repeated in a map"},
    [PROTO_E_VERSION] = {"version", "protocol version outside the accepted range"},
    [PROTO_E_MSGTYPE] = {"msgtype", "unknown message type"},
    [PROTO_E_SIGNATURE] = {"signature", "signature does not verify"},
    [PROTO_E_RECIPIENT] = {"recipient", "message addressed to another recipient"},
    [PROTO_E_SENDER] = {"sender", "no key known for the sender"},
    [PROTO_E_SKEW] = {"skew", "send timestamp outside the skew window"},
    [PROTO_E_NOMEM] = {"nomem", "out of memory"},
    [PROTO_E_INVALID] = {"invalid", "value cannot be encoded"},
};

const char *proto_status_name(proto_status status)
{
    if ((unsigned)status >= PROTO_STATUS_COUNT)
        return "unknown";
    return status_table[status].name;
}

const char *proto_status_text(proto_status status)
{
    if ((unsigned)status >= PROTO_STATUS_COUNT)
        return "unknown error";
    return status_table[status].text;
}

proto_status proto_error_set(proto_error *err, proto_status status, size_t offset,
                             const char *field)
{
    if (err) {
        err->status = status;
        err->offset = offset;
        snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    }
    return status;
}

const char *proto_error_format(const proto_error *err, char *buf, size_t len)
{
    if (err->field[0])
        snprintf(buf, len, "%s: %s (field %s)", proto_status_name(err->status),
                 proto_status_text(err->status), err->field);
    else
        snprintf(buf, len, "%s: %s (offset %zu)", proto_status_name(err->status),
                 proto_status_text(err->status), err->offset);
    return buf;
}

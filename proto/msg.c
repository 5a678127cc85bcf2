/*
 * proto/msg.c - the message catalogue: schemas of every body.
 */
#include "proto/msg.h"

#include <string.h>

#include "common/serial.h"

#define NONE PSCHEMA_NONE
#define F(type, key, kind, member, req, max)                                                       \
    {                                                                                              \
        key, kind, offsetof(type, member), NONE, req, max, NULL                                    \
    }
#define OPT(type, key, kind, member, flag, max)                                                    \
    {                                                                                              \
        key, kind, offsetof(type, member), offsetof(type, flag), false, max, NULL                  \
    }
#define ARR(type, key, kind, member, count, req, max)                                              \
    {                                                                                              \
        key, kind, offsetof(type, member), offsetof(type, count), req, max, NULL                   \
    }
#define SUB(type, key, member, count, req, max, schema)                                            \
    {                                                                                              \
        key, PF_STRUCTS, offsetof(type, member), offsetof(type, count), req, max, schema           \
    }
#define SCHEMA(sname, type, fields)                                                                \
    static const pschema sname = {#type, sizeof(type), fields, sizeof fields / sizeof fields[0]}

static const pschema_field resolver_fields[] = {
    F(proto_resolver, "name", PF_STR, name, true, PROTO_NAME_MAX),
    F(proto_resolver, "addr", PF_STR, addr, false, PROTO_NAME_MAX),
    F(proto_resolver, "kind", PF_STR, kind, true, 16),
};
SCHEMA(resolver_schema, proto_resolver, resolver_fields);

static const pschema_field hello_fields[] = {
    F(proto_hello, "agent_id", PF_STR, agent_id, true, PROTO_ID_MAX),
    F(proto_hello, "region", PF_STR, region, true, PROTO_ID_MAX),
    F(proto_hello, "software", PF_STR, software, true, 64),
    F(proto_hello, "proto_min", PF_U32, proto_min, true, 0),
    F(proto_hello, "proto_max", PF_U32, proto_max, true, 0),
    SUB(proto_hello, "resolvers", resolvers, n_resolvers, true, 256, &resolver_schema),
    F(proto_hello, "next_seq", PF_U64, next_seq, true, 0),
    F(proto_hello, "spool_backlog", PF_U64, spool_backlog, false, 0),
    F(proto_hello, "spool_dropped", PF_U64, spool_dropped, false, 0),
    F(proto_hello, "started_ms", PF_I64, started_ms, false, 0),
};
SCHEMA(hello_schema, proto_hello, hello_fields);

static const pschema_field welcome_fields[] = {
    F(proto_welcome, "agent_id", PF_STR, agent_id, true, PROTO_ID_MAX),
    OPT(proto_welcome, "highest_seq", PF_U64, highest_seq, has_highest_seq, 0),
    F(proto_welcome, "stored_batches", PF_U64, stored_batches, true, 0),
    F(proto_welcome, "heartbeat_ms", PF_U32, heartbeat_ms, true, 0),
    F(proto_welcome, "proto_version", PF_U32, proto_version, true, 0),
};
SCHEMA(welcome_schema, proto_welcome, welcome_fields);

static const pschema_field monitor_fields[] = {
    F(proto_monitor, "name", PF_STR, name, true, PROTO_ID_MAX),
    F(proto_monitor, "qname", PF_STR, qname, true, PROTO_NAME_MAX),
    ARR(proto_monitor, "types", PF_STRS, types, n_types, false, 64),
    F(proto_monitor, "profile", PF_STR, profile, false, 32),
    ARR(proto_monitor, "resolvers", PF_STRS, resolvers, n_resolvers, false, 64),
    F(proto_monitor, "interval_s", PF_U32, interval_s, true, 0),
    F(proto_monitor, "geo", PF_BOOL, geo, false, 0),
    F(proto_monitor, "smtp", PF_BOOL, smtp, false, 0),
};
SCHEMA(monitor_schema, proto_monitor, monitor_fields);

static const pschema_field plan_fields[] = {
    F(proto_plan, "generation", PF_U64, generation, true, 0),
    SUB(proto_plan, "monitors", monitors, n_monitors, true, 4096, &monitor_schema),
};
SCHEMA(plan_schema, proto_plan, plan_fields);

static const pschema_field check_fields[] = {
    F(proto_check, "check_id", PF_U64, check_id, true, 0),
    F(proto_check, "qname", PF_STR, qname, true, PROTO_NAME_MAX),
    ARR(proto_check, "types", PF_STRS, types, n_types, false, 64),
    F(proto_check, "profile", PF_STR, profile, false, 32),
    ARR(proto_check, "resolvers", PF_STRS, resolvers, n_resolvers, false, 64),
    F(proto_check, "deadline_ms", PF_U32, deadline_ms, true, 0),
    F(proto_check, "smtp", PF_BOOL, smtp, false, 0),
};
SCHEMA(check_schema, proto_check, check_fields);

static const pschema_field obs_fields[] = {
    F(proto_obs, "t_ms", PF_I64, t_ms, true, 0),
    F(proto_obs, "resolver", PF_STR, resolver, true, PROTO_NAME_MAX),
    F(proto_obs, "kind", PF_STR, kind, true, 16),
    F(proto_obs, "server", PF_STR, server, false, PROTO_NAME_MAX),
    F(proto_obs, "nsid", PF_STR, nsid, false, PROTO_NAME_MAX),
    F(proto_obs, "qname", PF_STR, qname, true, PROTO_NAME_MAX),
    F(proto_obs, "qtype", PF_U16, qtype, true, 0),
    F(proto_obs, "rcode", PF_U8, rcode, true, 0),
    F(proto_obs, "flags", PF_U8, flags, true, 0),
    F(proto_obs, "transport", PF_U8, transport, true, 1),
    F(proto_obs, "fail", PF_U8, fail, true, PROTO_FAIL_INCOMPLETE),
    F(proto_obs, "rrset", PF_STR, rrset, false, PROTO_TEXT_MAX),
    OPT(proto_obs, "ttl_min", PF_U32, ttl_min, has_ttl, 0),
    OPT(proto_obs, "soa_serial", PF_U32, soa_serial, has_soa_serial, 0),
    OPT(proto_obs, "neg_ttl", PF_U32, neg_ttl, has_neg_ttl, 0),
    ARR(proto_obs, "ede", PF_U16S, ede, n_ede, false, 16),
    F(proto_obs, "ede_text", PF_STR, ede_text, false, PROTO_NAME_MAX),
    F(proto_obs, "rtt_us", PF_U32, rtt_us, true, 0),
};
SCHEMA(obs_schema, proto_obs, obs_fields);

static const pschema_field finding_fields[] = {
    F(proto_finding, "code", PF_STR, code, true, 64),
    F(proto_finding, "severity", PF_U8, severity, true, PROTO_SEV_CRITICAL),
    F(proto_finding, "name", PF_STR, name, true, PROTO_NAME_MAX),
    F(proto_finding, "message", PF_STR, message, true, PROTO_NAME_MAX),
    F(proto_finding, "resolver", PF_STR, resolver, false, PROTO_NAME_MAX),
};
SCHEMA(finding_schema, proto_finding, finding_fields);

static const pschema_field smtp_fields[] = {
    F(proto_smtp, "t_ms", PF_I64, t_ms, true, 0),
    F(proto_smtp, "host", PF_STR, host, true, PROTO_NAME_MAX),
    F(proto_smtp, "addr", PF_STR, addr, true, PROTO_SMTP_ADDR_MAX),
    F(proto_smtp, "port", PF_U16, port, true, 0),
    F(proto_smtp, "status", PF_U8, status, true, PROTO_SMTP_STATUS_MAX),
    F(proto_smtp, "code", PF_U16, code, true, PROTO_SMTP_CODE_MAX),
    F(proto_smtp, "greeting", PF_STR, greeting, false, PROTO_SMTP_GREETING_MAX),
    F(proto_smtp, "greet_name", PF_STR, greet_name, false, PROTO_SMTP_GREETING_MAX),
    F(proto_smtp, "flags", PF_U8, flags, true, 0),
    F(proto_smtp, "size_max", PF_U64, size_max, false, 0),
    F(proto_smtp, "tls_version", PF_STR, tls_version, false, PROTO_SMTP_TLS_MAX),
    F(proto_smtp, "cert_names", PF_STR, cert_names, false, PROTO_SMTP_CERT_MAX),
    F(proto_smtp, "cert_not_after", PF_I64, cert_not_after, false, 0),
    F(proto_smtp, "detail", PF_STR, detail, false, PROTO_SMTP_DETAIL_MAX),
    F(proto_smtp, "connect_us", PF_U32, connect_us, true, 0),
    F(proto_smtp, "total_us", PF_U32, total_us, true, 0),
};
SCHEMA(smtp_schema, proto_smtp, smtp_fields);

static const pschema_field results_fields[] = {
    F(proto_results, "check_id", PF_U64, check_id, false, 0),
    F(proto_results, "track_id", PF_U64, track_id, false, 0),
    F(proto_results, "monitor", PF_STR, monitor, false, PROTO_ID_MAX),
    F(proto_results, "incomplete", PF_BOOL, incomplete, false, 0),
    SUB(proto_results, "obs", obs, n_obs, true, PROTO_BATCH_MAX, &obs_schema),
    SUB(proto_results, "findings", findings, n_findings, true, PROTO_BATCH_MAX, &finding_schema),
    SUB(proto_results, "smtp", smtp, n_smtp, false, PROTO_SMTP_MAX, &smtp_schema),
};
SCHEMA(results_schema, proto_results, results_fields);

static const pschema_field ack_fields[] = {
    F(proto_ack, "seq", PF_U64, seq, true, 0),
    F(proto_ack, "duplicate", PF_BOOL, duplicate, false, 0),
};
SCHEMA(ack_schema, proto_ack, ack_fields);

static const pschema_field heartbeat_fields[] = {
    OPT(proto_heartbeat, "echo_ts_ms", PF_I64, echo_ts_ms, has_echo_ts, 0),
    OPT(proto_heartbeat, "echo_rx_ms", PF_I64, echo_rx_ms, has_echo_rx, 0),
    F(proto_heartbeat, "spool_backlog", PF_U64, spool_backlog, false, 0),
};
SCHEMA(heartbeat_schema, proto_heartbeat, heartbeat_fields);

static const pschema_field track_fields[] = {
    F(proto_track, "track_id", PF_U64, track_id, true, 0),
    F(proto_track, "qname", PF_STR, qname, true, PROTO_NAME_MAX),
    F(proto_track, "qtype", PF_STR, qtype, true, 16),
    ARR(proto_track, "resolvers", PF_STRS, resolvers, n_resolvers, false, 64),
    F(proto_track, "expect", PF_STR, expect, false, PROTO_TEXT_MAX),
    OPT(proto_track, "expect_serial", PF_U32, expect_serial, has_expect_serial, 0),
    F(proto_track, "interval_s", PF_U32, interval_s, true, 0),
    F(proto_track, "duration_s", PF_U32, duration_s, true, 0),
};
SCHEMA(track_schema, proto_track, track_fields);

static const struct {
    const char *name;
    const pschema *schema;
} catalogue[] = {
    [PROTO_HELLO] = {"HELLO", &hello_schema},
    [PROTO_WELCOME] = {"WELCOME", &welcome_schema},
    [PROTO_PLAN] = {"PLAN", &plan_schema},
    [PROTO_CHECK] = {"CHECK", &check_schema},
    [PROTO_RESULTS] = {"RESULTS", &results_schema},
    [PROTO_ACK] = {"ACK", &ack_schema},
    [PROTO_HEARTBEAT] = {"HEARTBEAT", &heartbeat_schema},
    [PROTO_TRACK] = {"TRACK", &track_schema},
};

const pschema *proto_msg_schema(uint32_t type)
{
    if (type < PROTO_TYPE_FIRST || type > PROTO_TYPE_LAST)
        return NULL;
    return catalogue[type].schema;
}

const char *proto_type_name(uint32_t type)
{
    if (type < PROTO_TYPE_FIRST || type > PROTO_TYPE_LAST)
        return NULL;
    return catalogue[type].name;
}

bool proto_id_ok(const char *id, size_t len)
{
    if (len < 1 || len > PROTO_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

proto_status proto_body_encode(uint32_t type, const void *body, msgpack_packer *pk,
                               proto_error *err)
{
    const pschema *schema = proto_msg_schema(type);
    if (!schema)
        return proto_error_set(err, PROTO_E_MSGTYPE, 0, NULL);
    return pschema_encode(schema, body, pk, err);
}

proto_status proto_body_decode(uint32_t type, const msgpack_object *in, proto_msg *msg,
                               proto_error *err)
{
    const pschema *schema = proto_msg_schema(type);
    if (!schema)
        return proto_error_set(err, PROTO_E_MSGTYPE, 0, NULL);
    memset(&msg->body, 0, sizeof msg->body);
    if (!msg->arena && !(msg->arena = arena_new()))
        return proto_error_set(err, PROTO_E_NOMEM, 0, NULL);
    proto_status s = pschema_decode(schema, in, &msg->body, msg->arena, err);
    if (s != PROTO_OK) {
        arena_destroy(&msg->arena);
        memset(&msg->body, 0, sizeof msg->body);
    }
    return s;
}

void proto_msg_clear(proto_msg *msg)
{
    arena_destroy(&msg->arena);
    memset(&msg->body, 0, sizeof msg->body);
}

bool proto_obs_matches(const proto_obs *o, const char *expect, bool has_serial, uint32_t serial)
{
    if (o->fail != PROTO_FAIL_NONE)
        return false;
    if (has_serial) {
        if (!o->has_soa_serial)
            return false;
        serial_order c = serial_cmp(o->soa_serial, serial);
        return c == SERIAL_EQ || c == SERIAL_GT;
    }
    return expect && o->rcode == 0 && strcmp(o->rrset ? o->rrset : "", expect) == 0;
}

/*
 * tests/unit/samples.h - one sample body of every message type, shared by
 * the unit tests and the fuzz corpus generator. Header-only, static data.
 */
#ifndef VANTAGE_TESTS_SAMPLES_H
#define VANTAGE_TESTS_SAMPLES_H

#include "proto/msg.h"

static proto_resolver sample_resolvers[] = {
    {"local", "127.0.0.53:53", "local"},
    {"auth", NULL, "auth"},
    {"[2001:db8::1]:53", "[2001:db8::1]:53", "public"},
};
static proto_hello sample_hello = {
    .agent_id = "fra-1",
    .region = "eu-central",
    .software = "0.1.0",
    .proto_min = 1,
    .proto_max = 1,
    .resolvers = sample_resolvers,
    .n_resolvers = 3,
    .next_seq = 1000,
    .spool_backlog = 3,
    .spool_dropped = 1,
    .started_ms = 1790000000000,
};
static proto_welcome sample_welcome = {.agent_id = "fra-1",
                                       .highest_seq = 999,
                                       .has_highest_seq = true,
                                       .stored_batches = 12,
                                       .heartbeat_ms = 10000,
                                       .proto_version = 1};
static const char *mx_a[] = {"MX", "A"};
static const char *loc_auth[] = {"local", "auth"};
static proto_monitor sample_monitors[] = {
    {.name = "mail-example",
     .qname = "example.com",
     .types = mx_a,
     .n_types = 2,
     .profile = "mail",
     .resolvers = loc_auth,
     .n_resolvers = 2,
     .interval_s = 300,
     .smtp = true},
    {.name = "geo",
     .qname = "www.example.com",
     .types = mx_a + 1,
     .n_types = 1,
     .interval_s = 60,
     .geo = true},
};
static proto_plan sample_plan = {.generation = 7, .monitors = sample_monitors, .n_monitors = 2};
static proto_check sample_check = {.check_id = 77,
                                   .qname = "example.com",
                                   .types = mx_a,
                                   .n_types = 1,
                                   .profile = "mail",
                                   .deadline_ms = 5000,
                                   .smtp = true};
static uint16_t sample_ede[] = {18, 22};
static proto_obs sample_obs[] = {
    {.t_ms = 1790000000100,
     .resolver = "local",
     .kind = "local",
     .qname = "example.com.",
     .qtype = 15,
     .rcode = 0,
     .flags = PROTO_FLAG_RA | PROTO_FLAG_AD,
     .rrset = "example.com. MX 10 mail.example.com.\nexample.com. MX 20 mx2.example.com.",
     .ttl_min = 287,
     .has_ttl = true,
     .rtt_us = 1234},
    {.t_ms = 1790000000200,
     .resolver = "127.0.10.1:53",
     .kind = "auth",
     .server = "ns1.example.com.",
     .nsid = "ns1-fra",
     .qname = "nope.example.com.",
     .qtype = 1,
     .rcode = 3,
     .flags = PROTO_FLAG_AA,
     .transport = 1,
     .rrset = "",
     .soa_serial = 2026112601,
     .has_soa_serial = true,
     .neg_ttl = 0,
     .has_neg_ttl = true,
     .ede = sample_ede,
     .n_ede = 2,
     .ede_text = "prohibited",
     .rtt_us = 99},
    {.t_ms = 1790000000300,
     .resolver = "192.0.2.53",
     .kind = "public",
     .qname = "example.com.",
     .qtype = 15,
     .fail = PROTO_FAIL_TIMEOUT,
     .rtt_us = 4000000},
};
static proto_finding sample_findings[] = {
    {.code = "MX_TARGET_CNAME",
     .severity = PROTO_SEV_WARNING,
     .name = "mail.example.com.",
     .message = "MX target mail.example.com. is an alias (CNAME) of host.example.net.",
     .resolver = "local"},
    {.code = "SPF_MISSING",
     .severity = PROTO_SEV_CRITICAL,
     .name = "example.com.",
     .message = "no v=spf1 record \xc3\xa9"},
};
static proto_smtp sample_smtp[] = {
    {.t_ms = 1790000000400,
     .host = "mail.example.com.",
     .addr = "192.0.2.25",
     .port = 25,
     .status = PROTO_SMTP_OK,
     .code = 220,
     .greeting = "mail.example.com ESMTP Exim 4.96 \xc3\xa9",
     .greet_name = "mail.example.com",
     .flags = PROTO_SMTP_EHLO | PROTO_SMTP_STARTTLS | PROTO_SMTP_SIZE | PROTO_SMTP_TLS |
              PROTO_SMTP_NAME_MATCH | PROTO_SMTP_CHAIN_OK,
     .size_max = 52428800,
     .tls_version = "TLSv1.3",
     .cert_names = "mail.example.com,mx.example.com",
     .cert_not_after = 1800000000000,
     .connect_us = 1500,
     .total_us = 48000},
    {.t_ms = 1790000000500,
     .host = "mail.example.com.",
     .addr = "2001:db8::25",
     .port = 25,
     .status = PROTO_SMTP_TIMEOUT,
     .detail = "no greeting within 5 s",
     .connect_us = 900,
     .total_us = 5000900},
    {.t_ms = 1790000000600,
     .host = "mx2.example.com.",
     .addr = "192.0.2.26",
     .port = 25,
     .status = PROTO_SMTP_SKIPPED,
     .detail = "per-host limit"},
};
static proto_results sample_results = {.check_id = 77,
                                       .track_id = 5,
                                       .monitor = "mail-example",
                                       .obs = sample_obs,
                                       .n_obs = 3,
                                       .findings = sample_findings,
                                       .n_findings = 2,
                                       .smtp = sample_smtp,
                                       .n_smtp = 3};
static proto_ack sample_ack = {.seq = 41, .duplicate = true};
static proto_heartbeat sample_hb = {.echo_ts_ms = 1790000000000,
                                    .has_echo_ts = true,
                                    .echo_rx_ms = 1790000000005,
                                    .has_echo_rx = true,
                                    .spool_backlog = 2};

static const char *sample_track_res[] = {"local", "auth"};
static proto_track sample_track = {.track_id = 9,
                                   .qname = "example.com",
                                   .qtype = "MX",
                                   .resolvers = sample_track_res,
                                   .n_resolvers = 2,
                                   .expect = "example.com. MX 10 mail2.example.com.",
                                   .expect_serial = 2026112602,
                                   .has_expect_serial = true,
                                   .interval_s = 30,
                                   .duration_s = 600};

static inline const void *sample_body(uint32_t type)
{
    switch (type) {
    case PROTO_HELLO:
        return &sample_hello;
    case PROTO_WELCOME:
        return &sample_welcome;
    case PROTO_PLAN:
        return &sample_plan;
    case PROTO_CHECK:
        return &sample_check;
    case PROTO_RESULTS:
        return &sample_results;
    case PROTO_ACK:
        return &sample_ack;
    case PROTO_TRACK:
        return &sample_track;
    default:
        return &sample_hb;
    }
}

#endif

/*
 * tests/fuzz/fuzz_smtp.c - libFuzzer harness for agent/smtp: the SMTP probe
 * against a server that says whatever the input says.
 *
 * Input: what the server sends, in segments separated by "@@\n". The
 * server (in this process, on 127.0.0.1) sends the first segment when the
 * probe connects and each next one when the probe has written something
 * (a command, or TLS records after STARTTLS) or has been quiet for a few
 * milliseconds; after the last it closes its side. So inputs reach the
 * greeting, EHLO, STARTTLS, the TLS handshake and QUIT.
 *
 * Whatever the input, the probe must end with one result whose status is
 * in range and whose strings are valid UTF-8 within the wire limits, that a
 * one-probe RESULTS encodes and decodes back; it never sends MAIL, RCPT or
 * DATA; and it leaves no probe behind. Any violation aborts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <msgpack.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/smtp.h"
#include "common/clock.h"
#include "proto/msg.h"
#include "proto/schema.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fs_check(cond) fs_check_at((cond), #cond, __LINE__)

static void fs_check_at(bool ok, const char *what, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_smtp.c:%d: invariant broken: %s\n", line, what);
        abort();
    }
}

static int fs_listen = -1;   /* the server's listening socket */
static uint16_t fs_port;     /* its port */
static smtp_t *fs_eng;       /* the probe engine */
static bool fs_done;         /* the probe's callback ran */
static char fs_client[8192]; /* what the probe sent (the start of it) */
static size_t fs_client_len; /* bytes in fs_client */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    fs_listen = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    fs_check(fs_listen >= 0 && bind(fs_listen, (struct sockaddr *)&sa, sizeof sa) == 0 &&
             listen(fs_listen, 16) == 0 &&
             getsockname(fs_listen, (struct sockaddr *)&sa, &len) == 0);
    fs_port = ntohs(sa.sin_port);
    char err[256];
    smtp_opts o = {.helo_name = "fuzz.probe.test",
                   .connect_timeout_ms = 200,
                   .reply_timeout_ms = 50,
                   .probe_timeout_ms = 1000,
                   .no_min_interval = true,
                   .tls = true};
    fs_eng = smtp_new(&o, err, sizeof err);
    fs_check(fs_eng != NULL);
    return 0;
}

static void fs_check_str(const char *s, size_t max, bool required)
{
    if (!s) {
        fs_check(!required);
        return;
    }
    fs_check(strlen(s) <= max && pschema_utf8_ok(s, strlen(s)));
}

/* The result: in range, wire-safe, and a RESULTS that encodes and decodes. */
static void fs_result(void *arg, const proto_smtp *r)
{
    (void)arg;
    fs_check(!fs_done);
    fs_done = true;
    fs_check(r->status <= PROTO_SMTP_STATUS_MAX && r->code <= 999 && r->port == fs_port);
    fs_check_str(r->host, 1024, true);
    fs_check_str(r->addr, 64, true);
    fs_check_str(r->greeting, 512, false);
    fs_check_str(r->greet_name, 512, false);
    fs_check_str(r->tls_version, 32, false);
    fs_check_str(r->cert_names, 1024, false);
    fs_check_str(r->detail, 256, false);
    proto_results res = {.smtp = (proto_smtp *)r, .n_smtp = 1};
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    fs_check(proto_body_encode(PROTO_RESULTS, &res, &pk, NULL) == PROTO_OK);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    fs_check(msgpack_unpack_next(&u, sb.data, sb.size, &off) == MSGPACK_UNPACK_SUCCESS);
    proto_msg m = {0};
    fs_check(proto_body_decode(PROTO_RESULTS, &u.data, &m, NULL) == PROTO_OK);
    fs_check(m.body.results.n_smtp == 1 && m.body.results.smtp[0].status == r->status);
    proto_msg_clear(&m);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
}

/* The next segment of the input: [*pos, end) up to "@@\n"; false at the end. */
static bool fs_segment(const uint8_t *data, size_t size, size_t *pos, const uint8_t **seg,
                       size_t *len)
{
    if (*pos > size)
        return false;
    const uint8_t *start = data + *pos;
    size_t left = size - *pos;
    const uint8_t *sep = left >= 3 ? memmem(start, left, "@@\n", 3) : NULL;
    *seg = start;
    *len = sep ? (size_t)(sep - start) : left;
    *pos += *len + 3; /* past the separator (or past the end) */
    return true;
}

/* No line of what the probe sent starts with a mail command. */
static void fs_check_client(void)
{
    static const char *const bad[] = {"MAIL", "RCPT", "DATA", "BDAT"};
    for (size_t i = 0; i < fs_client_len; i++) {
        if (i > 0 && fs_client[i - 1] != '\n')
            continue;
        for (size_t k = 0; k < 4; k++)
            fs_check(fs_client_len - i < 4 || strncasecmp(fs_client + i, bad[k], 4) != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fs_done = false;
    fs_client_len = 0;
    fs_check(smtp_probe(fs_eng, "mx.fuzz.test.", "127.0.0.1", fs_port, fs_result, NULL) == 0);
    int conn = -1;
    size_t pos = 0;
    bool more = true, sent_any = false;
    int64_t end = clock_mono_ms() + 5000;
    while (smtp_active(fs_eng) > 0) {
        fs_check(clock_mono_ms() < end); /* the probe's own limits end it first */
        zmq_pollitem_t items[4];
        size_t n = smtp_pollitems(fs_eng, items, 2);
        items[n++] = (zmq_pollitem_t){.fd = conn >= 0 ? conn : fs_listen, .events = ZMQ_POLLIN};
        long wait = smtp_timeout_ms(fs_eng, conn >= 0 && more ? 2 : 100);
        zmq_poll(items, (int)n, wait);
        bool client_spoke = false;
        if (conn < 0) {
            conn = accept4(fs_listen, NULL, NULL, SOCK_CLOEXEC);
            client_spoke = conn >= 0; /* the first segment goes out at once */
        } else if (items[n - 1].revents & ZMQ_POLLIN) {
            char buf[4096];
            ssize_t r = recv(conn, buf, sizeof buf, MSG_DONTWAIT);
            if (r > 0) {
                size_t keep = (size_t)r < sizeof fs_client - fs_client_len
                                  ? (size_t)r
                                  : sizeof fs_client - fs_client_len;
                memcpy(fs_client + fs_client_len, buf, keep);
                fs_client_len += keep;
                client_spoke = true;
            }
        }
        if (conn >= 0 && more && (client_spoke || wait == 2 || !sent_any)) {
            const uint8_t *seg;
            size_t len;
            more = fs_segment(data, size, &pos, &seg, &len);
            if (more && len)
                (void)send(conn, seg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
            sent_any = true;
            if (!more)
                shutdown(conn, SHUT_WR);
        }
        smtp_process(fs_eng, items, n - 1);
    }
    fs_check(fs_done);
    fs_check_client();
    if (conn >= 0)
        close(conn);
    /* a connection the probe made but the server never took */
    for (int c; (c = accept4(fs_listen, NULL, NULL, SOCK_CLOEXEC)) >= 0;)
        close(c);
    return 0;
}

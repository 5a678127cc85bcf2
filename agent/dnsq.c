/*
 * agent/dnsq.c - asynchronous DNS queries to many servers at once.
 */
#include "agent/dnsq.h"

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/clock.h"

#define DNSQ_EDNS_SIZE 1232
#define DNSQ_SOCKS_MAX 1024

/* One socket c-ares asked us to watch. */
typedef struct dnsq_sock {
    ares_socket_t fd; /* the socket */
    bool readable;    /* watch for reading */
    bool writable;    /* watch for writing */
} dnsq_sock;

typedef struct dnsq_req dnsq_req;

struct dnsq_server {
    char *name;               /* "ADDR:PORT", "[V6]:PORT" or "local" */
    char *csv;                /* what ares_set_servers_ports_csv takes; NULL for local */
    ares_channel udp;         /* UDP channel (IGNTC: truncated answers come back) */
    ares_channel tcp;         /* TCP channel for retries after TC, made on first use */
    double tokens;            /* budget left */
    int64_t refill_us;        /* when tokens was last topped up */
    int64_t next_us;          /* earliest release of the next queued query (jitter) */
    dnsq_req *queue_head;     /* queries waiting for budget, FIFO */
    dnsq_req *queue_tail;     /* last of them */
    dnsq_t *engine;           /* owner */
    struct dnsq_server *next; /* next server of the engine */
};

struct dnsq_req {
    dnsq_t *engine;        /* owner */
    dnsq_server_t *srv;    /* where it goes */
    uint8_t *wire;         /* the query message (malloced by ldns) */
    size_t wire_len;       /* its length */
    dnsq_cb cb;            /* callback; NULL once cancelled */
    void *arg;             /* callback argument */
    bool tc_seen;          /* a truncated UDP answer came back */
    bool tcp;              /* now asked over TCP */
    unsigned tries_left;   /* tries this query still has, the current one included */
    int64_t sent_us;       /* monotonic time of the (last) send */
    dnsq_req *qnext;       /* next in the server's queue */
    dnsq_req *prev, *next; /* all live requests of the engine */
};

struct dnsq {
    dnsq_opts opts;                  /* settings */
    dnsq_server_t *servers;          /* every server used */
    dnsq_req *live;                  /* queued and in-flight requests */
    size_t pending;                  /* count of live requests whose callback will run */
    size_t n_live;                   /* count of live requests */
    uint64_t next_id;                /* id of the next query */
    uint64_t sent;                   /* queries sent */
    uint16_t id_pool[256];           /* random query ids not used yet */
    size_t id_pool_left;             /* how many of them are left */
    dnsq_sock socks[DNSQ_SOCKS_MAX]; /* sockets to watch */
    size_t n_socks;                  /* count */
};

/* ---- sockets --------------------------------------------------------------- */

static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    dnsq_server_t *srv = data;
    dnsq_t *self = srv->engine;
    for (size_t i = 0; i < self->n_socks; i++) {
        if (self->socks[i].fd != fd)
            continue;
        if (!readable && !writable) {
            self->socks[i] = self->socks[--self->n_socks];
        } else {
            self->socks[i].readable = readable;
            self->socks[i].writable = writable;
        }
        return;
    }
    if ((readable || writable) && self->n_socks < DNSQ_SOCKS_MAX) {
        self->socks[self->n_socks++] =
            (dnsq_sock){.fd = fd, .readable = readable, .writable = writable};
    }
}

/* ---- socket functions -------------------------------------------------------------- */

/*
 * Some resolvers refuse with a bare 12-byte header and no question section
 * (unbound's access-control "refuse" does). c-ares drops any answer whose
 * question differs from the query's, so such a refusal would look like a
 * timeout. For UDP answers of that shape to a query in flight, put the
 * query's own question back before c-ares sees the datagram: the answer is
 * then delivered with its real rcode.
 */
static ares_ssize_t header_only_fix(dnsq_server_t *srv, uint8_t *buf, size_t cap, ssize_t n)
{
    if (n != 12 || !(buf[2] & 0x80) || (buf[3] & 0x0f) == 0 || buf[4] != 0 || buf[5] != 0)
        return n;
    uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
    for (const dnsq_req *r = srv->engine->live; r; r = r->next) {
        if (r->srv != srv || r->tcp || r->wire_len < 17 || r->sent_us == 0 ||
            (uint16_t)(r->wire[0] << 8 | r->wire[1]) != id)
            continue;
        size_t q = 12;
        while (q < r->wire_len && r->wire[q] != 0)
            q += (size_t)r->wire[q] + 1;
        q += 5; /* root label, type, class */
        if (q > r->wire_len || q > cap)
            return n;
        memcpy(buf + 12, r->wire + 12, q - 12);
        buf[5] = 1;
        return (ares_ssize_t)q;
    }
    return n;
}

static ares_socket_t sock_open(int domain, int type, int protocol, void *user_data)
{
    (void)user_data;
    return socket(domain, type, protocol);
}

static int sock_close(ares_socket_t fd, void *user_data)
{
    (void)user_data;
    return close(fd);
}

static int sock_connect(ares_socket_t fd, const struct sockaddr *addr, ares_socklen_t len,
                        void *user_data)
{
    (void)user_data;
    return connect(fd, addr, len);
}

static ares_ssize_t sock_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
                                  struct sockaddr *from, ares_socklen_t *from_len, void *user_data)
{
    ssize_t n = recvfrom(fd, buf, len, flags, from, from_len);
    if (from && n > 0)
        return header_only_fix(user_data, buf, len, n);
    return n;
}

static ares_ssize_t sock_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *user_data)
{
    (void)user_data;
    return writev(fd, iov, n);
}

static const struct ares_socket_functions sock_funcs = {
    .asocket = sock_open,
    .aclose = sock_close,
    .aconnect = sock_connect,
    .arecvfrom = sock_recvfrom,
    .asendv = sock_sendv,
};

/* ---- servers ---------------------------------------------------------------- */

static int channel_new(dnsq_t *self, dnsq_server_t *srv, bool tcp, ares_channel *out)
{
    struct ares_options o;
    memset(&o, 0, sizeof o);
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ |
               ARES_OPT_SOCK_STATE_CB;
    o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH |
              (tcp ? ARES_FLAG_USEVC : ARES_FLAG_IGNTC);
    /* c-ares doubles the timeout of every retry to one server, so it tries
     * once and dnsq retries itself: each try waits exactly timeout_ms */
    o.timeout = (int)self->opts.timeout_ms;
    o.tries = 1;
    o.ednspsz = DNSQ_EDNS_SIZE;
    o.sock_state_cb = sock_state_cb;
    o.sock_state_cb_data = srv;
    if (!srv->csv && self->opts.resolv_conf) {
        mask |= ARES_OPT_RESOLVCONF;
        o.resolvconf_path = (char *)self->opts.resolv_conf;
    }
    int rc = ares_init_options(out, &o, mask);
    if (rc != ARES_SUCCESS)
        return rc;
    if (srv->csv && (rc = ares_set_servers_ports_csv(*out, srv->csv)) != ARES_SUCCESS) {
        ares_destroy(*out);
        *out = NULL;
        return rc;
    }
    ares_set_socket_functions(*out, &sock_funcs, srv);
    return rc;
}

/* Parse "A.B.C.D[:P]", "[V6]:P", "V6" into a canonical name; 0 or -1. */
static int parse_addr(const char *addr, char *name, size_t len)
{
    char host[INET6_ADDRSTRLEN + 1];
    unsigned long port = 53;
    const char *p = NULL;
    bool v6;
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (!end || (size_t)(end - addr - 1) >= sizeof host)
            return -1;
        memcpy(host, addr + 1, (size_t)(end - addr - 1));
        host[end - addr - 1] = '\0';
        if (end[1] == ':')
            p = end + 2;
        else if (end[1] != '\0')
            return -1;
        v6 = true;
    } else {
        const char *colon = strchr(addr, ':');
        if (colon && strchr(colon + 1, ':')) { /* bare IPv6, no port */
            if (strlen(addr) >= sizeof host)
                return -1;
            strcpy(host, addr);
            v6 = true;
        } else {
            size_t hl = colon ? (size_t)(colon - addr) : strlen(addr);
            if (hl >= sizeof host)
                return -1;
            memcpy(host, addr, hl);
            host[hl] = '\0';
            p = colon ? colon + 1 : NULL;
            v6 = false;
        }
    }
    if (p) {
        char *e;
        errno = 0;
        port = strtoul(p, &e, 10);
        if (*p == '\0' || *e != '\0' || errno || port < 1 || port > 65535)
            return -1;
    }
    unsigned char buf[16];
    char canon[INET6_ADDRSTRLEN];
    int af = v6 ? AF_INET6 : AF_INET;
    if (inet_pton(af, host, buf) != 1 || !inet_ntop(af, buf, canon, sizeof canon))
        return -1;
    int n = v6 ? snprintf(name, len, "[%s]:%lu", canon, port)
               : snprintf(name, len, "%s:%lu", canon, port);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

dnsq_server_t *dnsq_server_get(dnsq_t *self, const char *addr, char *err, size_t errlen)
{
    char name[INET6_ADDRSTRLEN + 16], local[INET6_ADDRSTRLEN + 16];
    bool local_addr = !addr && self->opts.local_addr;
    if (local_addr && parse_addr(self->opts.local_addr, local, sizeof local) != 0) {
        snprintf(err, errlen, "the local resolver '%s' is not an address", self->opts.local_addr);
        return NULL;
    }
    if (!addr) {
        snprintf(name, sizeof name, "local");
    } else if (parse_addr(addr, name, sizeof name) != 0) {
        snprintf(err, errlen, "'%s' is not an address (ADDR, ADDR:PORT or [V6ADDR]:PORT)", addr);
        return NULL;
    }
    for (dnsq_server_t *s = self->servers; s; s = s->next) {
        if (strcmp(s->name, name) == 0)
            return s;
    }
    dnsq_server_t *srv = calloc(1, sizeof *srv);
    if (!srv || !(srv->name = strdup(name)) || (addr && !(srv->csv = strdup(name))) ||
        (local_addr && !(srv->csv = strdup(local)))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    srv->engine = self;
    srv->tokens = self->opts.burst;
    srv->refill_us = clock_mono_us();
    int rc = channel_new(self, srv, false, &srv->udp);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "%s: cannot set up a resolver channel: %s", name, ares_strerror(rc));
        goto fail;
    }
    srv->next = self->servers;
    self->servers = srv;
    return srv;
fail:
    if (srv) {
        free(srv->name);
        free(srv->csv);
        free(srv);
    }
    return NULL;
}

const char *dnsq_server_name(const dnsq_server_t *srv)
{
    return srv->name;
}

/* ---- engine ----------------------------------------------------------------- */

dnsq_t *dnsq_new(const dnsq_opts *opts, char *err, size_t errlen)
{
    int rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
        return NULL;
    }
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialise");
        return NULL;
    }
    dnsq_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->opts = *opts;
    if (self->opts.timeout_ms == 0)
        self->opts.timeout_ms = 2000;
    if (self->opts.tries == 0)
        self->opts.tries = 2;
    if (self->opts.rate <= 0)
        self->opts.rate = 20;
    if (self->opts.burst == 0)
        self->opts.burst = 40;
    self->next_id = 1;
    return self;
}

static void req_unlink(dnsq_t *self, dnsq_req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        self->live = r->next;
    if (r->next)
        r->next->prev = r->prev;
    self->n_live--;
    if (r->cb)
        self->pending--;
}

static void req_free(dnsq_req *r)
{
    free(r->wire);
    free(r);
}

void dnsq_destroy(dnsq_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dnsq_t *self = *self_p;
    for (dnsq_req *r = self->live; r; r = r->next)
        r->cb = NULL;
    /* ares_destroy calls back with ARES_EDESTRUCTION, which ares_cb ignores */
    for (dnsq_server_t *s = self->servers; s; s = s->next) {
        if (s->udp)
            ares_destroy(s->udp);
        if (s->tcp)
            ares_destroy(s->tcp);
    }
    while (self->live) {
        dnsq_req *r = self->live;
        req_unlink(self, r);
        req_free(r);
    }
    dnsq_server_t *s = self->servers;
    while (s) {
        dnsq_server_t *next = s->next;
        free(s->name);
        free(s->csv);
        free(s);
        s = next;
    }
    sodium_memzero(self->id_pool, sizeof self->id_pool);
    free(self);
    *self_p = NULL;
}

size_t dnsq_pending(const dnsq_t *self)
{
    return self->pending;
}

uint64_t dnsq_sent(const dnsq_t *self)
{
    return self->sent;
}

/* ---- sending ------------------------------------------------------------------ */

/* A random query id (CVE-2023-31147: ids must not be guessable). Ids come
 * from a pool filled by one libsodium call, not a system call per query. */
static uint16_t random_id(dnsq_t *self)
{
    if (self->id_pool_left == 0) {
        randombytes_buf(self->id_pool, sizeof self->id_pool);
        self->id_pool_left = sizeof self->id_pool / sizeof self->id_pool[0];
    }
    return self->id_pool[--self->id_pool_left];
}

/*
 * Build the query with c-ares' own builder (ldns_pkt2wire allocates 64 KiB
 * and builds a compression tree per query, a fifth of the engine's time).
 * ares_create_query writes header, question and an OPT record with our
 * buffer size, OPT last; the AD bit and the NSID option are then set in
 * place: AD is bit 0x20 of byte 3 (RFC 6840 §5.7), and NSID is an empty
 * option (code 3, length 0) appended to the OPT RDATA (RFC 5001).
 */
static int build_query(dnsq_t *self, const char *qname, uint16_t qtype, unsigned flags,
                       uint8_t **wire, size_t *len)
{
    unsigned char *buf = NULL;
    int blen = 0;
    if (ares_create_query(qname, LDNS_RR_CLASS_IN, qtype, random_id(self),
                          (flags & DNSQ_RD) ? 1 : 0, &buf, &blen, DNSQ_EDNS_SIZE) != ARES_SUCCESS)
        return -1;
    /* an OPT record is 11 bytes: root, type 41, class, ttl, rdlength 0 */
    if (blen < 12 + 11 || buf[blen - 11] != 0 || buf[blen - 10] != 0 || buf[blen - 9] != 41) {
        ares_free_string(buf);
        return -1;
    }
    size_t n = (size_t)blen + ((flags & DNSQ_NSID) ? 4 : 0);
    *wire = malloc(n);
    if (!*wire) {
        ares_free_string(buf);
        return -1;
    }
    memcpy(*wire, buf, (size_t)blen);
    ares_free_string(buf);
    (*wire)[3] |= 0x20;
    if (flags & DNSQ_NSID) {
        static const uint8_t nsid[4] = {0, 3, 0, 0};
        memcpy(*wire + blen, nsid, sizeof nsid);
        (*wire)[blen - 1] = sizeof nsid; /* OPT rdlength */
    }
    *len = n;
    (void)self;
    return 0;
}

static void req_done(dnsq_req *r, const answer_raw *raw)
{
    dnsq_t *self = r->engine;
    dnsq_cb cb = r->cb;
    void *arg = r->arg;
    req_unlink(self, r);
    req_free(r);
    if (cb)
        cb(arg, raw);
}

static void ares_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

static void req_send(dnsq_req *r, bool tcp)
{
    dnsq_server_t *srv = r->srv;
    if (tcp && !srv->tcp && channel_new(r->engine, srv, true, &srv->tcp) != ARES_SUCCESS) {
        answer_raw raw = {.ares_status = ARES_ENOMEM,
                          .tcp = true,
                          .tc_seen = r->tc_seen,
                          .t_ms = clock_wall_ms()};
        req_done(r, &raw);
        return;
    }
    r->tcp = tcp;
    r->sent_us = clock_mono_us();
    r->engine->sent++;
    ares_send(tcp ? srv->tcp : srv->udp, r->wire, (int)r->wire_len, ares_cb, r);
}

static void ares_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    dnsq_req *r = arg;
    if (status == ARES_EDESTRUCTION) {
        return; /* dnsq_destroy frees what is left */
    }
    if (status == ARES_ETIMEOUT && r->cb && r->tries_left > 1) {
        r->tries_left--;
        req_send(r, r->tcp);
        return;
    }
    bool truncated = status == ARES_SUCCESS && abuf && alen >= 3 && (abuf[2] & 0x02);
    if (truncated && !r->tcp && r->cb) {
        r->tc_seen = true;
        req_send(r, true);
        return;
    }
    int64_t now = clock_mono_us();
    answer_raw raw = {
        .wire = status == ARES_SUCCESS && alen > 0 ? abuf : NULL,
        .len = alen > 0 ? (size_t)alen : 0,
        .ares_status = status,
        .tcp = r->tcp,
        .tc_seen = r->tc_seen,
        .rtt_us = (uint32_t)(now - r->sent_us),
        .t_ms = clock_wall_ms(),
    };
    req_done(r, &raw);
}

uint64_t dnsq_query(dnsq_t *self, dnsq_server_t *srv, const char *qname, uint16_t qtype,
                    unsigned flags, dnsq_cb cb, void *arg)
{
    dnsq_req *r = calloc(1, sizeof *r);
    if (!r)
        return 0;
    if (build_query(self, qname, qtype, flags, &r->wire, &r->wire_len) != 0) {
        free(r);
        return 0;
    }
    r->engine = self;
    r->srv = srv;
    r->tries_left = self->opts.tries;
    r->cb = cb;
    r->arg = arg;
    r->next = self->live;
    if (self->live)
        self->live->prev = r;
    self->live = r;
    self->n_live++;
    self->pending++;
    if (srv->queue_tail)
        srv->queue_tail->qnext = r;
    else
        srv->queue_head = r;
    srv->queue_tail = r;
    return self->next_id++;
}

void dnsq_cancel_arg(dnsq_t *self, const void *arg)
{
    for (dnsq_req *r = self->live; r; r = r->next) {
        if (r->cb && r->arg == arg) {
            r->cb = NULL;
            self->pending--;
        }
    }
    /* queued ones can go at once; in-flight ones go when c-ares is done */
    for (dnsq_server_t *s = self->servers; s; s = s->next) {
        dnsq_req **pp = &s->queue_head;
        s->queue_tail = NULL;
        while (*pp) {
            dnsq_req *r = *pp;
            if (!r->cb) {
                *pp = r->qnext;
                req_unlink(self, r);
                req_free(r);
            } else {
                s->queue_tail = r;
                pp = &r->qnext;
            }
        }
    }
}

/* Release queued queries the budget allows now. */
static void budget_release(dnsq_t *self, int64_t now_us)
{
    for (dnsq_server_t *s = self->servers; s; s = s->next) {
        double add = (double)(now_us - s->refill_us) * self->opts.rate / 1e6;
        s->tokens = s->tokens + add > self->opts.burst ? self->opts.burst : s->tokens + add;
        s->refill_us = now_us;
        while (s->queue_head && s->tokens >= 1.0 && now_us >= s->next_us) {
            dnsq_req *r = s->queue_head;
            s->queue_head = r->qnext;
            if (!s->queue_head)
                s->queue_tail = NULL;
            r->qnext = NULL;
            s->tokens -= 1.0;
            req_send(r, false);
        }
        if (s->queue_head && s->tokens < 1.0 && now_us >= s->next_us) {
            /* empty bucket: the next release waits for a token, plus up to
             * a quarter of the interval of jitter so schedules do not align */
            double wait = (1.0 - s->tokens) * 1e6 / self->opts.rate;
            double jitter = wait * 0.25 * randombytes_uniform(1000) / 1000.0;
            s->next_us = now_us + (int64_t)(wait + jitter);
        }
    }
}

/* ---- polling ------------------------------------------------------------------ */

size_t dnsq_pollitems(dnsq_t *self, zmq_pollitem_t *items, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < self->n_socks && n < max; i++) {
        items[n] = (zmq_pollitem_t){.socket = NULL,
                                    .fd = self->socks[i].fd,
                                    .events = (short)((self->socks[i].readable ? ZMQ_POLLIN : 0) |
                                                      (self->socks[i].writable ? ZMQ_POLLOUT : 0))};
        n++;
    }
    return n;
}

long dnsq_timeout_ms(dnsq_t *self, long max_ms)
{
    long best = max_ms;
    int64_t now = clock_mono_us();
    for (dnsq_server_t *s = self->servers; s; s = s->next) {
        ares_channel chans[2] = {s->udp, s->tcp};
        for (int c = 0; c < 2; c++) {
            if (!chans[c])
                continue;
            struct timeval maxtv = {.tv_sec = best / 1000, .tv_usec = (best % 1000) * 1000};
            struct timeval tv;
            struct timeval *t = ares_timeout(chans[c], &maxtv, &tv);
            long ms = (long)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
            if (ms < best)
                best = ms;
        }
        if (s->queue_head) {
            int64_t at = s->next_us;
            if (s->tokens < 1.0) {
                int64_t refill =
                    s->refill_us + (int64_t)((1.0 - s->tokens) * 1e6 / self->opts.rate);
                at = refill > at ? refill : at;
            }
            long ms = at <= now ? 0 : (long)((at - now + 999) / 1000);
            if (ms < best)
                best = ms;
        }
    }
    return best < 0 ? 0 : best;
}

void dnsq_process(dnsq_t *self, const zmq_pollitem_t *items, size_t n)
{
    budget_release(self, clock_mono_us());
    for (size_t i = 0; i < n; i++) {
        if (items[i].socket != NULL ||
            !(items[i].revents & (ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLERR)))
            continue;
        ares_socket_t fd = items[i].fd;
        ares_socket_t rfd = (items[i].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) ? fd : ARES_SOCKET_BAD;
        ares_socket_t wfd = (items[i].revents & ZMQ_POLLOUT) ? fd : ARES_SOCKET_BAD;
        /* c-ares ignores an fd that is not its own, so offer it to each channel */
        for (dnsq_server_t *s = self->servers; s; s = s->next) {
            ares_process_fd(s->udp, rfd, wfd);
            if (s->tcp)
                ares_process_fd(s->tcp, rfd, wfd);
        }
    }
    /* timeouts and retries */
    for (dnsq_server_t *s = self->servers; s; s = s->next) {
        ares_process_fd(s->udp, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        if (s->tcp)
            ares_process_fd(s->tcp, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
    budget_release(self, clock_mono_us());
}

size_t dnsq_run(dnsq_t *self, int64_t deadline_mono_ms)
{
    zmq_pollitem_t items[DNSQ_SOCKS_MAX];
    while (self->n_live > 0) {
        int64_t now = clock_mono_ms();
        if (self->pending == 0 || now >= deadline_mono_ms)
            break;
        long wait = dnsq_timeout_ms(self, (long)(deadline_mono_ms - now));
        size_t n = dnsq_pollitems(self, items, DNSQ_SOCKS_MAX);
        if (zmq_poll(items, (int)n, wait) < 0 && errno != EINTR)
            break;
        dnsq_process(self, items, n);
    }
    return self->pending;
}

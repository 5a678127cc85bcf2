/*
 * coordinator/store.c - the coordinator's persistence on one SQLite file.
 *
 * Layout (schema version 2; the statements are in store_migrations below):
 *   meta          key/value, holds schema_version
 *   agents        one row per agent; highest_seq and stored_batches are kept
 *                 here so WELCOME still knows them after retention
 *   batches       one row per stored RESULTS batch, PRIMARY KEY (agent, seq);
 *                 its observations and findings are the id ranges
 *                 [obs_first, obs_first + n_obs) and
 *                 [findings_first, findings_first + n_findings), its SMTP probes
 *                 [smtp_first, smtp_first + n_smtp) (version 2)
 *   observations  every proto_obs field; append-only, no secondary index
 *   findings      every proto_finding field; append-only, no secondary index
 *   smtp_probes   every proto_smtp field (version 2); append-only, indexed by
 *                 (host, t_ms) for the history of one MX host: probes are a
 *                 few per monitor run, not thousands
 *   smtp_latest   one row per (host, addr, port, agent): its latest probe
 *                 (by the agent's probe time); updated in place, as series
 *   series        one row per vantage point and question (qname, qtype,
 *                 agent, resolver): its latest observation and a fingerprint
 *                 of that answer; updated in place
 *   changes       one row each time a series' answer changed (its first
 *                 observation with the new answer)
 *   monitors      the config's monitors, replaced on every sync (smtp: version 2)
 *   tracks, track_points   change tracking (used by the comparison side)
 *
 * Why series instead of an index on observations (qname, qtype, agent,
 * resolver, t_ms): such an index gets one entry per observation at the tail
 * of that vantage point's run, so once history is long every observation
 * dirties an index page of its own (4 KiB written to the WAL and again at
 * the checkpoint for ~250 bytes of data), and inserts slow down as history
 * grows. A series row is rewritten in place, the rows of one monitor run's
 * vantage points were created together and sit on a few pages, and the table
 * does not grow with history. tests/bench/bench_store.c measures both.
 *
 * An observation that arrives after a newer one of the same series (re-sent
 * from a spool) is stored but changes neither the latest nor the history.
 * Two answers are the same when rcode, failure class and canonical RR set are
 * equal, compared through a 64-bit FNV-1a fingerprint.
 *
 * The series cache: the store keeps a copy of series rows it has read or
 * written (id, t_ms, received_ms, answer) in memory, so the next observation
 * of a series needs no read of the file, only its UPDATE (the read took
 * about as long as the UPDATE). It is a table of at most store_series_cache()
 * entries in sets of 8; a series may sit in either of two sets, and when both
 * are full one of their entries gives way, in turn (a monitor run comes
 * round in the same order every time, so evicting the least recently used
 * would miss every time once the series outnumber the cache; turns keep
 * most of them). A copy is only ever what the file holds:
 *   - every change the store makes to a row goes to its copy after the
 *     statement succeeded, and when a transaction of batches rolls back
 *     (an error, a failed commit) the whole cache is dropped;
 *   - store_purge() drops the copies of the rows it deletes (received_ms
 *     older than the cutoff) before it deletes them;
 *   - another connection's commit (PRAGMA data_version, read at the start of
 *     every transaction of batches) drops the whole cache: the coordinator
 *     is the file's only writer, but an operator's sqlite3 may not be;
 *   - the cache starts empty at store_open(), after the migrations.
 * The UPDATE itself stays even when only the observation changed: the row
 * points at the latest observation (store_latest()) and its received_ms is
 * what retention keeps it by.
 *
 * uint64 values (seq, check_id, track_id) are stored as the signed 64-bit integer with
 * the same bit pattern, so every value round-trips; the highest seq is
 * compared as unsigned (store_sql[STORE_SQL_AGENT_STORED]).
 *
 * Observations, findings and SMTP probes get their ids from the store,
 * consecutive per batch, so a batch finds and purges its rows by id range.
 * They carry no declared foreign key: it would cost a lookup per row on
 * insert and a scan per batch on purge. Only the store writes them, with their batch, in one
 * transaction.
 */
#include "coordinator/store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/log.h"

/* Series the cache holds at most, unless store_series_cache() says otherwise. */
#define STORE_SERIES_CACHE_DEFAULT 262144
/* Entries of one set of the series cache (their hashes fill one cache line). */
#define STORE_SERIES_WAYS 8

/*
 * Page cache of the connection, KiB (PRAGMA cache_size). A commit group of
 * 256 batches of 100 observations dirties some 2000 pages (8 MiB): with
 * SQLite's default of 2 MiB they spill to the WAL before the commit.
 */
#define STORE_CACHE_KIB "32768"

/* How long a statement waits for a lock held by another connection. */
#define STORE_BUSY_MS 5000
/* PRAGMA application_id of a vantage store: "VANT". */
#define STORE_APP_ID 0x56414e54

/* One step of the schema's history; each runs in a transaction of its own. */
typedef struct store_migration {
    int version;      /* schema version the step brings the file to */
    const char *what; /* what it does, for the log and errors */
    const char *sql;  /* the statements */
} store_migration;

static const store_migration store_migrations[] = {
    {1, "initial schema",
     "PRAGMA application_id = 1447120468;\n" /* STORE_APP_ID */
     "CREATE TABLE IF NOT EXISTS meta (\n"
     "  key TEXT PRIMARY KEY,\n"
     "  value TEXT NOT NULL\n"
     ") WITHOUT ROWID;\n"
     "CREATE TABLE agents (\n"
     "  id TEXT PRIMARY KEY,\n"
     "  region TEXT,\n"
     "  software TEXT,\n"
     "  first_seen_ms INTEGER,\n"
     "  last_seen_ms INTEGER,\n"
     "  last_hello_ms INTEGER,\n"
     "  clock_offset_ms INTEGER,\n" /* agent clock minus coordinator clock */
     "  spool_backlog INTEGER,\n"
     "  up INTEGER NOT NULL DEFAULT 0,\n"
     "  highest_seq INTEGER,\n" /* uint64 bit pattern; NULL: nothing stored */
     "  stored_batches INTEGER NOT NULL DEFAULT 0\n"
     ") WITHOUT ROWID;\n"
     "CREATE TABLE batches (\n"
     "  agent TEXT NOT NULL REFERENCES agents(id) DEFERRABLE INITIALLY DEFERRED,\n"
     "  seq INTEGER NOT NULL,\n" /* uint64 bit pattern */
     "  received_ms INTEGER NOT NULL,\n"
     "  check_id INTEGER NOT NULL,\n"           /* uint64 bit pattern; 0: not a CHECK's */
     "  track_id INTEGER NOT NULL DEFAULT 0,\n" /* uint64 bit pattern; 0: not a TRACK's */
     "  monitor TEXT,\n"
     "  incomplete INTEGER NOT NULL,\n"
     "  obs_first INTEGER,\n"
     "  n_obs INTEGER NOT NULL,\n"
     "  findings_first INTEGER,\n"
     "  n_findings INTEGER NOT NULL,\n"
     "  PRIMARY KEY (agent, seq)\n"
     ") WITHOUT ROWID;\n"
     "CREATE INDEX batches_received ON batches(received_ms);\n"
     "CREATE TABLE observations (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  agent TEXT NOT NULL,\n"
     "  seq INTEGER NOT NULL,\n"
     "  idx INTEGER NOT NULL,\n" /* position in its batch */
     "  received_ms INTEGER NOT NULL,\n"
     "  t_ms INTEGER NOT NULL,\n" /* agent clock */
     "  resolver TEXT NOT NULL,\n"
     "  kind TEXT NOT NULL,\n"
     "  server TEXT,\n"
     "  nsid TEXT,\n"
     "  qname TEXT NOT NULL,\n"
     "  qtype INTEGER NOT NULL,\n"
     "  rcode INTEGER NOT NULL,\n"
     "  flags INTEGER NOT NULL,\n"
     "  transport INTEGER NOT NULL,\n"
     "  fail INTEGER NOT NULL,\n"
     "  rrset TEXT NOT NULL,\n"
     "  ttl_min INTEGER,\n"
     "  soa_serial INTEGER,\n"
     "  neg_ttl INTEGER,\n"
     "  ede TEXT,\n" /* "15,22"; NULL: none */
     "  ede_text TEXT,\n"
     "  rtt_us INTEGER NOT NULL\n"
     ");\n"
     "CREATE TABLE series (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  qname TEXT NOT NULL,\n"
     "  qtype INTEGER NOT NULL,\n"
     "  agent TEXT NOT NULL,\n"
     "  resolver TEXT NOT NULL,\n"
     "  obs_id INTEGER NOT NULL,\n"      /* its latest observation */
     "  t_ms INTEGER NOT NULL,\n"        /* that observation's time, agent clock */
     "  received_ms INTEGER NOT NULL,\n" /* when it arrived */
     "  answer INTEGER NOT NULL,\n"      /* fingerprint of its answer */
     "  UNIQUE (qname, qtype, agent, resolver)\n"
     ");\n"
     "CREATE TABLE changes (\n"
     "  series INTEGER NOT NULL,\n"
     "  t_ms INTEGER NOT NULL,\n"   /* agent clock */
     "  obs_id INTEGER NOT NULL,\n" /* the first observation of the new answer */
     "  received_ms INTEGER NOT NULL,\n"
     "  PRIMARY KEY (series, t_ms, obs_id)\n"
     ") WITHOUT ROWID;\n"
     "CREATE TABLE findings (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  agent TEXT NOT NULL,\n"
     "  seq INTEGER NOT NULL,\n"
     "  idx INTEGER NOT NULL,\n"
     "  received_ms INTEGER NOT NULL,\n"
     "  code TEXT NOT NULL,\n"
     "  severity INTEGER NOT NULL,\n"
     "  name TEXT NOT NULL,\n"
     "  message TEXT NOT NULL,\n"
     "  resolver TEXT\n"
     ");\n"
     "CREATE TABLE monitors (\n"
     "  name TEXT PRIMARY KEY,\n"
     "  qname TEXT NOT NULL,\n"
     "  types TEXT NOT NULL,\n"     /* space-separated */
     "  profile TEXT,\n"            /* "mail" or NULL */
     "  resolvers TEXT NOT NULL,\n" /* space-separated */
     "  interval_ms INTEGER NOT NULL,\n"
     "  agents TEXT,\n" /* space-separated; NULL: every agent */
     "  geo INTEGER NOT NULL,\n"
     "  generation INTEGER NOT NULL\n"
     ") WITHOUT ROWID;\n"
     "CREATE TABLE tracks (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  qname TEXT NOT NULL,\n"
     "  qtype INTEGER NOT NULL,\n"
     "  expectation TEXT NOT NULL,\n" /* what counts as converged */
     "  created_ms INTEGER NOT NULL,\n"
     "  deadline_ms INTEGER NOT NULL,\n"
     "  state TEXT NOT NULL DEFAULT 'running',\n" /* running, converged, timeout, ... */
     "  ended_ms INTEGER,\n"
     "  summary TEXT\n"
     ");\n"
     "CREATE TABLE track_points (\n"
     "  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,\n"
     "  agent TEXT NOT NULL,\n"
     "  resolver TEXT NOT NULL,\n"
     "  first_match_ms INTEGER,\n" /* coordinator clock; NULL: not yet */
     "  flips INTEGER NOT NULL DEFAULT 0,\n"
     "  eta_ms INTEGER,\n"
     "  PRIMARY KEY (track_id, agent, resolver)\n"
     ") WITHOUT ROWID;\n"},
    {2, "SMTP probes",
     "ALTER TABLE batches ADD COLUMN smtp_first INTEGER;\n"
     "ALTER TABLE batches ADD COLUMN n_smtp INTEGER NOT NULL DEFAULT 0;\n"
     "ALTER TABLE monitors ADD COLUMN smtp INTEGER NOT NULL DEFAULT 0;\n"
     "CREATE TABLE smtp_probes (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  agent TEXT NOT NULL,\n"
     "  seq INTEGER NOT NULL,\n"
     "  idx INTEGER NOT NULL,\n" /* position in its batch */
     "  received_ms INTEGER NOT NULL,\n"
     "  t_ms INTEGER NOT NULL,\n" /* agent clock */
     "  host TEXT NOT NULL,\n"
     "  addr TEXT NOT NULL,\n"
     "  port INTEGER NOT NULL,\n"
     "  status INTEGER NOT NULL,\n"
     "  code INTEGER NOT NULL,\n"
     "  greeting TEXT,\n"
     "  greet_name TEXT,\n"
     "  flags INTEGER NOT NULL,\n"
     "  size_max INTEGER NOT NULL,\n" /* uint64 bit pattern */
     "  tls_version TEXT,\n"
     "  cert_names TEXT,\n"
     "  cert_not_after INTEGER NOT NULL,\n"
     "  detail TEXT,\n"
     "  connect_us INTEGER NOT NULL,\n"
     "  total_us INTEGER NOT NULL\n"
     ");\n"
     "CREATE INDEX smtp_probes_host ON smtp_probes(host, t_ms);\n"
     "CREATE TABLE smtp_latest (\n"
     "  host TEXT NOT NULL,\n"
     "  addr TEXT NOT NULL,\n"
     "  port INTEGER NOT NULL,\n"
     "  agent TEXT NOT NULL,\n"
     "  probe_id INTEGER NOT NULL,\n"    /* its latest probe */
     "  t_ms INTEGER NOT NULL,\n"        /* that probe's time, agent clock */
     "  received_ms INTEGER NOT NULL,\n" /* when it arrived */
     "  PRIMARY KEY (host, addr, port, agent)\n"
     ") WITHOUT ROWID;\n"},
};

#define STORE_N_MIGRATIONS (sizeof store_migrations / sizeof store_migrations[0])

/* Columns of an observation, in the order store_obs_read() expects. */
#define STORE_OBS_COLS                                                                             \
    "agent, seq, received_ms, t_ms, resolver, kind, server, nsid, qname, qtype, rcode, flags, "    \
    "transport, fail, rrset, ttl_min, soa_serial, neg_ttl, ede, ede_text, rtt_us"

/* STORE_OBS_COLS of observations o, then the agent's region. */
#define STORE_OBS_SELECT                                                                           \
    "SELECT o.agent, o.seq, o.received_ms, o.t_ms, o.resolver, o.kind, o.server, o.nsid, "         \
    "o.qname, o.qtype, o.rcode, o.flags, o.transport, o.fail, o.rrset, o.ttl_min, "                \
    "o.soa_serial, o.neg_ttl, o.ede, o.ede_text, o.rtt_us, "                                       \
    "(SELECT region FROM agents WHERE id = o.agent) "

/* Columns of an SMTP probe with its batch's check_id and monitor and the agent's region. */
#define STORE_SMTP_SELECT                                                                          \
    "SELECT p.agent, p.seq, p.received_ms, p.t_ms, p.host, p.addr, p.port, p.status, p.code, "     \
    "p.greeting, p.greet_name, p.flags, p.size_max, p.tls_version, p.cert_names, "                 \
    "p.cert_not_after, p.detail, p.connect_us, p.total_us, "                                       \
    "(SELECT region FROM agents WHERE id = p.agent), b.check_id, b.monitor "

/* Prepared statements kept for the life of the store. */
typedef enum store_sql_id {
    STORE_SQL_BEGIN,
    STORE_SQL_COMMIT,
    STORE_SQL_ROLLBACK,
    STORE_SQL_OBS_NEXT_ID,
    STORE_SQL_FIND_NEXT_ID,
    STORE_SQL_SMTP_NEXT_ID,
    STORE_SQL_BATCH_INSERT,
    STORE_SQL_OBS_INSERT,
    STORE_SQL_FIND_INSERT,
    STORE_SQL_SMTP_INSERT,
    STORE_SQL_SMTP_LATEST_PUT,
    STORE_SQL_AGENT_STORED,
    STORE_SQL_AGENT_UPSERT,
    STORE_SQL_AGENT_GET,
    STORE_SQL_AGENTS_LIST,
    STORE_SQL_BATCH_GET,
    STORE_SQL_OBS_RANGE,
    STORE_SQL_FIND_RANGE,
    STORE_SQL_SMTP_RANGE,
    STORE_SQL_DATA_VERSION,
    STORE_SQL_SERIES_GET,
    STORE_SQL_SERIES_INSERT,
    STORE_SQL_SERIES_UPDATE,
    STORE_SQL_CHANGE_INSERT,
    STORE_SQL_LATEST,
    STORE_SQL_HISTORY,
    STORE_SQL_SMTP_LATEST_HOST,
    STORE_SQL_SMTP_LATEST_ALL,
    STORE_SQL_SMTP_HISTORY,
    STORE_SQL_PURGE_SELECT,
    STORE_SQL_PURGE_OBS,
    STORE_SQL_PURGE_FIND,
    STORE_SQL_PURGE_SMTP,
    STORE_SQL_PURGE_BATCHES,
    STORE_SQL_PURGE_SERIES,
    STORE_SQL_PURGE_CHANGES,
    STORE_SQL_PURGE_SMTP_LATEST,
    STORE_SQL_MONITORS_CLEAR,
    STORE_SQL_MONITOR_INSERT,
    STORE_SQL_COUNT
} store_sql_id;

static const char *const store_sql[STORE_SQL_COUNT] = {
    [STORE_SQL_BEGIN] = "BEGIN IMMEDIATE",
    [STORE_SQL_COMMIT] = "COMMIT",
    [STORE_SQL_ROLLBACK] = "ROLLBACK",
    [STORE_SQL_OBS_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM observations",
    [STORE_SQL_FIND_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM findings",
    [STORE_SQL_SMTP_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM smtp_probes",
    [STORE_SQL_BATCH_INSERT] =
        "INSERT INTO batches (agent, seq, received_ms, check_id, monitor, incomplete, "
        "obs_first, n_obs, findings_first, n_findings, track_id, smtp_first, n_smtp) VALUES (?1, "
        "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (agent, seq) DO NOTHING",
    [STORE_SQL_OBS_INSERT] =
        "INSERT INTO observations (id, agent, seq, idx, received_ms, t_ms, resolver, kind, "
        "server, nsid, qname, qtype, rcode, flags, transport, fail, rrset, ttl_min, soa_serial, "
        "neg_ttl, ede, ede_text, rtt_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
        "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
    [STORE_SQL_FIND_INSERT] =
        "INSERT INTO findings (id, agent, seq, idx, received_ms, code, severity, name, message, "
        "resolver) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [STORE_SQL_SMTP_INSERT] =
        "INSERT INTO smtp_probes (id, agent, seq, idx, received_ms, t_ms, host, addr, port, "
        "status, code, greeting, greet_name, flags, size_max, tls_version, cert_names, "
        "cert_not_after, detail, connect_us, total_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
    /* Equal times: the one stored last is the latest. */
    [STORE_SQL_SMTP_LATEST_PUT] =
        "INSERT INTO smtp_latest (host, addr, port, agent, probe_id, t_ms, received_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (host, addr, port, agent) DO UPDATE SET "
        "probe_id = excluded.probe_id, t_ms = excluded.t_ms, received_ms = excluded.received_ms "
        "WHERE excluded.t_ms >= smtp_latest.t_ms",
    /* Same sign: signed order is unsigned order; else the negative one is larger. */
    [STORE_SQL_AGENT_STORED] =
        "INSERT INTO agents (id, first_seen_ms, last_seen_ms, highest_seq, stored_batches) "
        "VALUES (?1, ?2, ?2, ?3, 1) ON CONFLICT (id) DO UPDATE SET "
        "highest_seq = CASE WHEN highest_seq IS NULL THEN excluded.highest_seq "
        "WHEN (excluded.highest_seq < 0) = (highest_seq < 0) "
        "THEN max(highest_seq, excluded.highest_seq) "
        "WHEN excluded.highest_seq < 0 THEN excluded.highest_seq ELSE highest_seq END, "
        "stored_batches = stored_batches + 1",
    [STORE_SQL_AGENT_UPSERT] =
        "INSERT INTO agents (id, region, software, first_seen_ms, last_seen_ms, last_hello_ms, "
        "clock_offset_ms, spool_backlog, up) VALUES (?1, ?2, ?3, coalesce(?4, ?5), ?4, ?5, ?6, "
        "?7, ?8) ON CONFLICT (id) DO UPDATE SET "
        "region = coalesce(excluded.region, region), "
        "software = coalesce(excluded.software, software), "
        "first_seen_ms = coalesce(first_seen_ms, excluded.first_seen_ms), "
        "last_seen_ms = coalesce(excluded.last_seen_ms, last_seen_ms), "
        "last_hello_ms = coalesce(excluded.last_hello_ms, last_hello_ms), "
        "clock_offset_ms = coalesce(excluded.clock_offset_ms, clock_offset_ms), "
        "spool_backlog = coalesce(excluded.spool_backlog, spool_backlog), "
        "up = excluded.up",
    [STORE_SQL_AGENT_GET] = "SELECT highest_seq, stored_batches FROM agents WHERE id = ?1",
    [STORE_SQL_AGENTS_LIST] =
        "SELECT id, region, software, first_seen_ms, last_seen_ms, last_hello_ms, "
        "clock_offset_ms, spool_backlog, up, highest_seq, stored_batches FROM agents ORDER BY id",
    [STORE_SQL_BATCH_GET] = "SELECT received_ms, check_id, monitor, incomplete, obs_first, n_obs, "
                            "findings_first, n_findings, track_id, smtp_first, n_smtp FROM "
                            "batches WHERE agent = ?1 AND seq = ?2",
    [STORE_SQL_OBS_RANGE] = "SELECT " STORE_OBS_COLS " FROM observations WHERE id >= ?1 AND "
                            "id < ?1 + ?2 AND agent = ?3 AND seq = ?4 ORDER BY id",
    [STORE_SQL_FIND_RANGE] =
        "SELECT code, severity, name, message, resolver FROM findings WHERE id >= ?1 AND "
        "id < ?1 + ?2 AND agent = ?3 AND seq = ?4 ORDER BY id",
    [STORE_SQL_SMTP_RANGE] = STORE_SMTP_SELECT
    "FROM smtp_probes p LEFT JOIN batches b ON b.agent = p.agent AND b.seq = p.seq "
    "WHERE p.id >= ?1 AND p.id < ?1 + ?2 AND p.agent = ?3 AND p.seq = ?4 ORDER BY p.id",
    [STORE_SQL_DATA_VERSION] = "PRAGMA data_version",
    [STORE_SQL_SERIES_GET] = "SELECT id, t_ms, received_ms, answer FROM series WHERE qname = ?1 "
                             "AND qtype = ?2 AND agent = ?3 AND resolver = ?4",
    [STORE_SQL_SERIES_INSERT] =
        "INSERT INTO series (qname, qtype, agent, resolver, obs_id, t_ms, received_ms, answer) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [STORE_SQL_SERIES_UPDATE] =
        "UPDATE series SET obs_id = ?2, t_ms = ?3, received_ms = ?4, answer = ?5 WHERE id = ?1",
    [STORE_SQL_CHANGE_INSERT] =
        "INSERT INTO changes (series, t_ms, obs_id, received_ms) VALUES (?1, ?2, ?3, ?4)",
    [STORE_SQL_LATEST] = STORE_OBS_SELECT "FROM series s JOIN observations o ON o.id = s.obs_id "
                                          "WHERE s.qname = ?1 AND s.qtype = ?2 "
                                          "ORDER BY s.agent, s.resolver",
    [STORE_SQL_HISTORY] = STORE_OBS_SELECT
    "FROM series s JOIN changes c ON c.series = s.id JOIN observations o ON o.id = c.obs_id "
    "WHERE s.qname = ?1 AND s.qtype = ?2 AND c.t_ms >= ?3 ORDER BY c.t_ms, c.obs_id",
    [STORE_SQL_SMTP_LATEST_HOST] =
        STORE_SMTP_SELECT "FROM smtp_latest l JOIN smtp_probes p ON p.id = l.probe_id "
                          "LEFT JOIN batches b ON b.agent = p.agent AND b.seq = p.seq "
                          "WHERE l.host = ?1 ORDER BY l.addr, l.port, l.agent",
    [STORE_SQL_SMTP_LATEST_ALL] =
        STORE_SMTP_SELECT "FROM smtp_latest l JOIN smtp_probes p ON p.id = l.probe_id "
                          "LEFT JOIN batches b ON b.agent = p.agent AND b.seq = p.seq "
                          "ORDER BY l.host, l.addr, l.port, l.agent",
    [STORE_SQL_SMTP_HISTORY] = STORE_SMTP_SELECT
    "FROM smtp_probes p LEFT JOIN batches b ON b.agent = p.agent AND b.seq = p.seq "
    "WHERE p.host = ?1 AND p.t_ms >= ?2 ORDER BY p.t_ms, p.id",
    [STORE_SQL_PURGE_SELECT] = "SELECT agent, seq, obs_first, n_obs, findings_first, n_findings, "
                               "smtp_first, n_smtp FROM batches WHERE received_ms < ?1",
    [STORE_SQL_PURGE_OBS] =
        "DELETE FROM observations WHERE id >= ?1 AND id < ?1 + ?2 AND agent = ?3 AND seq = ?4",
    [STORE_SQL_PURGE_FIND] =
        "DELETE FROM findings WHERE id >= ?1 AND id < ?1 + ?2 AND agent = ?3 AND seq = ?4",
    [STORE_SQL_PURGE_SMTP] =
        "DELETE FROM smtp_probes WHERE id >= ?1 AND id < ?1 + ?2 AND agent = ?3 AND seq = ?4",
    [STORE_SQL_PURGE_BATCHES] = "DELETE FROM batches WHERE received_ms < ?1",
    /* A series whose latest observation is purged goes with it; so do older changes. */
    [STORE_SQL_PURGE_SERIES] = "DELETE FROM series WHERE received_ms < ?1",
    [STORE_SQL_PURGE_CHANGES] = "DELETE FROM changes WHERE received_ms < ?1",
    [STORE_SQL_PURGE_SMTP_LATEST] = "DELETE FROM smtp_latest WHERE received_ms < ?1",
    [STORE_SQL_MONITORS_CLEAR] = "DELETE FROM monitors",
    [STORE_SQL_MONITOR_INSERT] =
        "INSERT INTO monitors (name, qname, types, profile, resolvers, interval_ms, agents, geo, "
        "generation, smtp) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
};

/* A series row as the file holds it (the cache's copy), or a free slot of the cache. */
typedef struct store_series {
    char *key;           /* "qname\0agent\0resolver" (malloced) */
    uint32_t key_len;    /* bytes of key, the NULs between its parts included */
    uint16_t qtype;      /* the question's type */
    int64_t id;          /* series.id */
    int64_t t_ms;        /* series.t_ms: its latest observation's time, agent clock */
    int64_t received_ms; /* series.received_ms: when that one arrived (retention) */
    int64_t answer;      /* series.answer: fingerprint of that one's answer */
} store_series;

struct store {
    sqlite3 *db;                         /* the connection */
    char *path;                          /* file it was opened from (malloced) */
    sqlite3_stmt *stmt[STORE_SQL_COUNT]; /* prepared on first use */
    char *text;                          /* scratch: EDE lists, joined words */
    size_t text_cap;                     /* bytes in text */
    uint16_t *ede;                       /* scratch: EDE codes for store_latest() */
    size_t ede_cap;                      /* entries in ede */
    store_series *series;                /* the series cache: sets x ways slots; NULL: none yet */
    uint64_t *series_hash;               /* the hash of each slot's key; 0: a free slot */
    size_t series_max;                   /* series it may hold; 0: no cache */
    size_t series_sets;                  /* sets in series, a power of two */
    size_t series_ways;                  /* slots in a set */
    size_t series_turn;                  /* whose turn it is to give way when both sets are full */
    char *key;                           /* scratch: the key of the series looked up */
    size_t key_cap;                      /* bytes in key */
    uint32_t key_len;                    /* bytes of that key */
    uint64_t key_hash;                   /* its hash */
    int64_t data_version;                /* PRAGMA data_version after our last transaction */
    bool ready;                          /* opened and migrated */
};

/* Fill err with "store PATH: " and the message; returns -1. */
static int store_errf(const store_t *s, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int store_errf(const store_t *s, char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return -1;
    int n = snprintf(err, errlen, "store %s: ", s && s->path ? s->path : "(none)");
    if (n < 0 || (size_t)n >= errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Like store_errf(), followed by SQLite's message of the last failure. */
static int store_dberr(const store_t *s, char *err, size_t errlen, const char *what)
{
    int code = sqlite3_errcode(s->db);
    if (code == SQLITE_NOTADB)
        return store_errf(s, err, errlen, "%s: not an SQLite database (%s)", what,
                          sqlite3_errmsg(s->db));
    return store_errf(s, err, errlen, "%s: %s", what, sqlite3_errmsg(s->db));
}

/* The cached statement id, reset and ready to bind; NULL with err filled. */
static sqlite3_stmt *store_stmt(store_t *s, store_sql_id id, char *err, size_t errlen)
{
    if (!s->stmt[id]) {
        if (sqlite3_prepare_v3(s->db, store_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id],
                               NULL) != SQLITE_OK) {
            store_dberr(s, err, errlen, "preparing a statement");
            return NULL;
        }
    }
    return s->stmt[id];
}

/* Run a cached statement that returns no row; resets it. */
static int store_exec_stmt(store_t *s, sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        store_dberr(s, err, errlen, what);
        sqlite3_reset(st);
        return -1;
    }
    sqlite3_reset(st);
    return 0;
}

/* What a store_row_fn returns. */
enum {
    STORE_ROW_FAIL = -1, /* stop: an error, err filled */
    STORE_ROW_NEXT = 0,  /* go on with the next row */
    STORE_ROW_STOP = 1,  /* stop: enough, not an error */
};

/* Take the row st stands on; returns a STORE_ROW_ value. */
typedef int (*store_row_fn)(store_t *s, sqlite3_stmt *st, void *ctx, char *err, size_t errlen);

/*
 * Step the bound statement st through its rows, handing each to row, then
 * reset it. STORE_ROW_NEXT when every row was taken, STORE_ROW_STOP when row
 * stopped the walk, or STORE_ROW_FAIL with err filled (what names the query
 * when SQLite fails).
 */
static int store_each(store_t *s, sqlite3_stmt *st, store_row_fn row, void *ctx, const char *what,
                      char *err, size_t errlen)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int taken = row(s, st, ctx, err, errlen);
        if (taken != STORE_ROW_NEXT) {
            sqlite3_reset(st);
            return taken;
        }
    }
    if (rc != SQLITE_DONE)
        store_dberr(s, err, errlen, what);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? STORE_ROW_NEXT : STORE_ROW_FAIL;
}

/* A caller's callback and its context, as the ctx of a store_row_fn. */
typedef struct store_caller {
    union {
        store_agent_fn agent;
        store_obs_fn obs;
        store_smtp_fn smtp;
    } fn;      /* the one the walk's row function calls */
    void *ctx; /* passed to it */
} store_caller;

/* store_each() for a public walk: 0 when done or stopped by the caller, -1 with err. */
static int store_walk(store_t *s, sqlite3_stmt *st, store_row_fn row, store_caller *c,
                      const char *what, char *err, size_t errlen)
{
    return store_each(s, st, row, c, what, err, errlen) == STORE_ROW_FAIL ? -1 : 0;
}

static int store_exec_id(store_t *s, store_sql_id id, const char *what, char *err, size_t errlen)
{
    sqlite3_stmt *st = store_stmt(s, id, err, errlen);
    if (!st)
        return -1;
    return store_exec_stmt(s, st, what, err, errlen);
}

/* Undo the open transaction, if any; keeps err as it is. */
static void store_rollback(store_t *s)
{
    if (sqlite3_get_autocommit(s->db))
        return;
    char ignored[256];
    if (store_exec_id(s, STORE_SQL_ROLLBACK, "rolling back", ignored, sizeof ignored) != 0)
        log_err("%s", ignored);
}

static int store_begin(store_t *s, char *err, size_t errlen)
{
    return store_exec_id(s, STORE_SQL_BEGIN, "starting a transaction", err, errlen);
}

/* Commit, or roll back when the commit fails. */
static int store_commit(store_t *s, char *err, size_t errlen)
{
    if (store_exec_id(s, STORE_SQL_COMMIT, "committing", err, errlen) == 0)
        return 0;
    store_rollback(s);
    return -1;
}

/* Room for n bytes in the text scratch buffer. */
static char *store_text(store_t *s, size_t n)
{
    if (n > s->text_cap) {
        size_t cap = n < 256 ? 256 : n;
        char *t = realloc(s->text, cap);
        if (!t)
            return NULL;
        s->text = t;
        s->text_cap = cap;
    }
    return s->text;
}

static int store_bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    return sqlite3_bind_int64(st, i, (int64_t)v);
}

static uint64_t store_col_u64(sqlite3_stmt *st, int i)
{
    return (uint64_t)sqlite3_column_int64(st, i);
}

static int store_bind_opt(sqlite3_stmt *st, int i, bool has, int64_t v)
{
    return has ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

/* Borrowed text; NULL binds NULL. The caller's memory outlives the step. */
static int store_bind_text(sqlite3_stmt *st, int i, const char *text)
{
    return sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

static const char *store_col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* ---- the series cache --------------------------------------------------- */

/* Forget every cached series and free the table; the next use makes a new one. */
static void store_series_drop(store_t *s)
{
    size_t n = s->series_sets * s->series_ways;
    for (size_t i = 0; s->series && i < n; i++)
        free(s->series[i].key);
    free(s->series);
    free(s->series_hash);
    s->series = NULL;
    s->series_hash = NULL;
    s->series_sets = s->series_ways = 0;
}

/* Empty slot i of the cache. */
static void store_series_free(store_t *s, size_t i)
{
    free(s->series[i].key);
    memset(&s->series[i], 0, sizeof s->series[i]);
    s->series_hash[i] = 0;
}

/* Forget the cached series whose row has received_ms before older_than_ms. */
static void store_series_forget(store_t *s, int64_t older_than_ms)
{
    size_t n = s->series_sets * s->series_ways;
    for (size_t i = 0; s->series && i < n; i++)
        if (s->series_hash[i] && s->series[i].received_ms < older_than_ms)
            store_series_free(s, i);
}

/* The table for series_max entries; false (and no cache) when out of memory. */
static bool store_series_alloc(store_t *s)
{
    size_t ways = s->series_max < STORE_SERIES_WAYS ? s->series_max : STORE_SERIES_WAYS;
    size_t sets = 1;
    while (sets * 2 <= s->series_max / ways)
        sets *= 2;
    /* A set's hashes share one cache line: a lookup reads one line, then its entry. */
    size_t bytes = sets * ways * sizeof *s->series_hash;
    bytes = (bytes + 63) / 64 * 64;
    s->series = calloc(sets * ways, sizeof *s->series);
    s->series_hash = aligned_alloc(64, bytes);
    if (!s->series || !s->series_hash) {
        log_warn("store %s: no memory for a cache of %zu series; going on without", s->path,
                 s->series_max);
        free(s->series);
        free(s->series_hash);
        s->series = NULL;
        s->series_hash = NULL;
        s->series_max = 0;
        return false;
    }
    memset(s->series_hash, 0, bytes);
    s->series_sets = sets;
    s->series_ways = ways;
    return true;
}

/*
 * The cache's slot for the series of observation o of agent, with its key
 * in s->key: *hit when the slot holds that series; else the slot to fill,
 * free or to be given up. -1 when there is no cache (or no memory for the key).
 */
static ptrdiff_t store_series_slot(store_t *s, const char *agent, const proto_obs *o, bool *hit)
{
    *hit = false;
    if (s->series_max == 0 || (!s->series && !store_series_alloc(s)))
        return -1;
    size_t lq = strlen(o->qname) + 1, la = strlen(agent) + 1, lr = strlen(o->resolver) + 1;
    size_t len = lq + la + lr;
    if (len > UINT32_MAX)
        return -1;
    if (len > s->key_cap) {
        char *k = realloc(s->key, len);
        if (!k)
            return -1;
        s->key = k;
        s->key_cap = len;
    }
    memcpy(s->key, o->qname, lq);
    memcpy(s->key + lq, agent, la);
    memcpy(s->key + lq + la, o->resolver, lr);
    /* FNV-1a over qtype and the key; 0 marks a free slot. */
    uint64_t h = (UINT64_C(14695981039346656037) ^ o->qtype) * UINT64_C(1099511628211);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s->key[i]) * UINT64_C(1099511628211);
    h += h == 0;
    s->key_len = (uint32_t)len;
    s->key_hash = h;
    /* Either of two sets may hold it: sets fill evenly until the table is nearly full. */
    size_t mask = s->series_sets - 1, ways = s->series_ways;
    size_t sets[2] = {(h & mask) * ways, ((h >> 32) & mask) * ways};
    ptrdiff_t free_slot = -1;
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = sets[k]; i < sets[k] + ways; i++) {
            if (s->series_hash[i] == h) {
                const store_series *c = &s->series[i];
                if (c->qtype == o->qtype && c->key_len == len && memcmp(c->key, s->key, len) == 0) {
                    *hit = true;
                    return (ptrdiff_t)i;
                }
            } else if (!s->series_hash[i] && free_slot < 0) {
                free_slot = (ptrdiff_t)i;
            }
        }
    }
    if (free_slot >= 0)
        return free_slot;
    size_t turn = s->series_turn++;
    return (ptrdiff_t)(sets[turn & 1] + (turn >> 1) % ways);
}

/*
 * Make slot i (store_series_slot()'s, for the series in s->key) the copy of
 * that series' row as the file now holds it. Out of memory leaves it free.
 */
static void store_series_keep(store_t *s, ptrdiff_t i, uint16_t qtype, int64_t id, int64_t t_ms,
                              int64_t received_ms, int64_t answer)
{
    if (i < 0)
        return;
    store_series *c = &s->series[i];
    if (s->series_hash[i] != s->key_hash || c->qtype != qtype || c->key_len != s->key_len ||
        memcmp(c->key, s->key, s->key_len) != 0) {
        store_series_free(s, (size_t)i);
        if (!(c->key = malloc(s->key_len)))
            return;
        memcpy(c->key, s->key, s->key_len);
        c->key_len = s->key_len;
        c->qtype = qtype;
        s->series_hash[i] = s->key_hash;
    }
    c->id = id;
    c->t_ms = t_ms;
    c->received_ms = received_ms;
    c->answer = answer;
}

/* ---- open, migrate, close ---------------------------------------------- */

/* Run SQL with no result rows (pragmas, migration steps). */
static int store_exec_sql(store_t *s, const char *sql, const char *what, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        if (sqlite3_errcode(s->db) == SQLITE_NOTADB)
            store_errf(s, err, errlen, "%s: not an SQLite database (%s)", what,
                       msg ? msg : "unknown error");
        else
            store_errf(s, err, errlen, "%s: %s", what, msg ? msg : "unknown error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* One integer from a one-row query; *found false when it gave no row. */
static int store_query_int(store_t *s, const char *sql, int64_t *out, bool *found, const char *what,
                           char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    *found = false;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_dberr(s, err, errlen, what);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        *found = true;
    } else if (rc != SQLITE_DONE) {
        store_dberr(s, err, errlen, what);
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

/*
 * The file's schema version: 0 for an empty database; -1 with err for a
 * file that is not a vantage store.
 */
static int store_read_version(store_t *s, int *version, char *err, size_t errlen)
{
    int64_t v = 0;
    bool found;
    if (store_query_int(s, "PRAGMA application_id", &v, &found, "reading the file header", err,
                        errlen) != 0)
        return -1;
    if (found && v != 0 && v != STORE_APP_ID)
        return store_errf(s, err, errlen,
                          "an SQLite database of another application (application_id 0x%08" PRIx32
                          "), not a vantage store",
                          (uint32_t)v);
    if (store_query_int(s,
                        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'",
                        &v, &found, "reading the schema", err, errlen) != 0)
        return -1;
    if (v == 0) {
        if (store_query_int(s, "SELECT count(*) FROM sqlite_schema", &v, &found,
                            "reading the schema", err, errlen) != 0)
            return -1;
        if (v != 0)
            return store_errf(s, err, errlen,
                              "an SQLite database without a meta table, not a vantage store");
        *version = 0;
        return 0;
    }
    if (store_query_int(s, "SELECT value FROM meta WHERE key = 'schema_version'", &v, &found,
                        "reading the schema version", err, errlen) != 0)
        return -1;
    if (!found || v < 0 || v > 1000000)
        return store_errf(s, err, errlen, "meta table holds no valid schema_version");
    *version = (int)v;
    return 0;
}

static int store_migrate(store_t *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < STORE_N_MIGRATIONS; i++) {
        const store_migration *m = &store_migrations[i];
        int version;
        if (store_exec_sql(s, "BEGIN IMMEDIATE", "starting a migration", err, errlen) != 0)
            return -1;
        if (store_read_version(s, &version, err, errlen) != 0)
            goto fail;
        if (version >= m->version) {
            if (store_exec_sql(s, "COMMIT", "ending a migration", err, errlen) != 0)
                goto fail;
            continue;
        }
        char what[128], bump[160];
        snprintf(what, sizeof what, "migrating to schema version %d (%s)", m->version, m->what);
        snprintf(bump, sizeof bump,
                 "INSERT INTO meta (key, value) VALUES ('schema_version', '%d') "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 m->version);
        if (store_exec_sql(s, m->sql, what, err, errlen) != 0 ||
            store_exec_sql(s, bump, what, err, errlen) != 0 ||
            store_exec_sql(s, "COMMIT", what, err, errlen) != 0)
            goto fail;
        log_info("store %s: schema version %d -> %d (%s)", s->path, version, m->version, m->what);
    }
    return 0;
fail:
    store_rollback(s);
    return -1;
}

/*
 * Process-wide SQLite settings, before SQLite's first use: no memory
 * statistics (nothing reads them, and they take a global mutex on every
 * allocation). Once SQLite is in use they can no longer change
 * (sqlite3_config() says SQLITE_MISUSE): they stay as they are.
 */
static void store_sqlite_config(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void store_sqlite_setup(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, store_sqlite_config);
}

int store_open(const char *path, store_t **out, char *err, size_t errlen)
{
    *out = NULL;
    store_t *s = calloc(1, sizeof *s);
    if (!s || !path || !(s->path = strdup(path))) {
        free(s);
        snprintf(err, errlen, "store %s: out of memory", path ? path : "(none)");
        return -1;
    }
    int version;
    const char *mode;
    int64_t sync = 0;
    bool found;
    store_sqlite_setup();
    /* No connection mutex: a store_t is used by one thread at a time. */
    int rc = sqlite3_open_v2(
        path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (s->db)
            store_dberr(s, err, errlen, "cannot open");
        else
            store_errf(s, err, errlen, "cannot open: %s", sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
    s->series_max = STORE_SERIES_CACHE_DEFAULT;
    s->data_version = -1;
    /* Refuse a foreign or newer file before anything below writes to it. */
    if (store_read_version(s, &version, err, errlen) != 0)
        goto fail;
    if (version > STORE_SCHEMA_VERSION) {
        store_errf(s, err, errlen,
                   "schema version %d is newer than this build's %d; run a newer vantage-coord "
                   "or restore a backup",
                   version, STORE_SCHEMA_VERSION);
        goto fail;
    }
    /* An acked batch must survive a power cut: fsync the WAL on every commit. */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        store_dberr(s, err, errlen, "switching to WAL");
        sqlite3_finalize(st);
        goto fail;
    }
    mode = store_col_text(st, 0);
    if (!mode || strcmp(mode, "wal") != 0) {
        store_errf(s, err, errlen, "switching to WAL: journal mode stays %s", mode ? mode : "?");
        sqlite3_finalize(st);
        goto fail;
    }
    sqlite3_finalize(st);
    if (store_exec_sql(s,
                       "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
                       "PRAGMA cache_size = -" STORE_CACHE_KIB,
                       "setting pragmas", err, errlen) != 0 ||
        store_query_int(s, "PRAGMA synchronous", &sync, &found, "setting pragmas", err, errlen) !=
            0)
        goto fail;
    if (sync != 2) {
        store_errf(s, err, errlen, "synchronous = FULL did not take (%" PRId64 ")", sync);
        goto fail;
    }
    if (store_migrate(s, err, errlen) != 0)
        goto fail;
    s->ready = true;
    *out = s;
    return 0;
fail:
    store_close(&s);
    return -1;
}

void store_close(store_t **self_p)
{
    store_t *s = *self_p;
    if (!s)
        return;
    for (size_t i = 0; i < STORE_SQL_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    if (s->db) {
        /* Only on a store of ours: a refused file is left as it was. */
        if (s->ready && sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "PRAGMA optimize", NULL, NULL, NULL);
        if (sqlite3_close(s->db) != SQLITE_OK)
            log_err("store %s: closing: %s", s->path, sqlite3_errmsg(s->db));
    }
    store_series_drop(s);
    free(s->path);
    free(s->text);
    free(s->ede);
    free(s->key);
    free(s);
    *self_p = NULL;
}

const char *store_path(const store_t *self)
{
    return self->path;
}

/* ---- batches ------------------------------------------------------------ */

/* "15,22" in s->text; NULL when there are none (or out of memory). */
static const char *store_ede_format(store_t *s, const uint16_t *ede, size_t n)
{
    if (n == 0)
        return NULL;
    char *t = store_text(s, n * 6 + 1);
    if (!t)
        return NULL;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            t[len++] = ',';
        len += (size_t)sprintf(t + len, "%u", (unsigned)ede[i]);
    }
    return t;
}

/* Parse "15,22" into out (room for cap codes); the count, or -1 when malformed. */
static long store_ede_parse(const char *text, uint16_t *out, size_t cap)
{
    size_t n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || errno || v > UINT16_MAX || n == cap || (*end && *end != ','))
            return -1;
        out[n++] = (uint16_t)v;
        p = *end ? end + 1 : end;
    }
    return (long)n;
}

/* Codes in an EDE list: commas + 1. */
static size_t store_ede_count(const char *text)
{
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    return n;
}

/* Why a required string of a batch is missing, for the error message. */
static int store_missing(const store_t *s, const store_batch *b, const char *item, size_t idx,
                         const char *field, char *err, size_t errlen)
{
    return store_errf(s, err, errlen, "batch %s/%" PRIu64 ": %s %zu has no %s", b->agent_id, b->seq,
                      item, idx, field);
}

/* Bind the columns every row of a batch starts with: id, agent, seq, index i, received_ms. */
static void store_bind_origin(sqlite3_stmt *st, const store_batch *b, size_t i, int64_t id)
{
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, b->agent_id);
    store_bind_u64(st, 3, b->seq);
    sqlite3_bind_int64(st, 4, (int64_t)i);
    sqlite3_bind_int64(st, 5, b->received_ms);
}

/* Fingerprint of an answer: FNV-1a over rcode, failure class and RR set. */
static int64_t store_answer(const proto_obs *o)
{
    uint64_t h = UINT64_C(14695981039346656037);
    const uint64_t prime = UINT64_C(1099511628211);
    h = (h ^ o->rcode) * prime;
    h = (h ^ o->fail) * prime;
    for (const unsigned char *p = (const unsigned char *)o->rrset; *p; p++)
        h = (h ^ *p) * prime;
    return (int64_t)h;
}

/* Record a change of series sid's answer: observation id is the first with the new one. */
static int store_put_change(store_t *s, const store_batch *b, const proto_obs *o, int64_t sid,
                            int64_t id, char *err, size_t errlen)
{
    sqlite3_stmt *st = store_stmt(s, STORE_SQL_CHANGE_INSERT, err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, sid);
    sqlite3_bind_int64(st, 2, o->t_ms);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_int64(st, 4, b->received_ms);
    return store_exec_stmt(s, st, "storing a change", err, errlen);
}

/*
 * The row of observation o's series (agent's): from the cache, else read from
 * the file (*found false when there is none yet). *slot is the cache's slot
 * for it (-1: no cache).
 */
static int store_series_get(store_t *s, const store_batch *b, const proto_obs *o, store_series *row,
                            bool *found, ptrdiff_t *slot, char *err, size_t errlen)
{
    bool hit;
    *slot = store_series_slot(s, b->agent_id, o, &hit);
    if (hit) {
        *row = s->series[*slot];
        *found = true;
        return 0;
    }
    sqlite3_stmt *st = store_stmt(s, STORE_SQL_SERIES_GET, err, errlen);
    if (!st)
        return -1;
    store_bind_text(st, 1, o->qname);
    sqlite3_bind_int(st, 2, o->qtype);
    store_bind_text(st, 3, b->agent_id);
    store_bind_text(st, 4, o->resolver);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_dberr(s, err, errlen, "reading a series");
        sqlite3_reset(st);
        return -1;
    }
    *found = rc == SQLITE_ROW;
    if (*found) {
        row->id = sqlite3_column_int64(st, 0);
        row->t_ms = sqlite3_column_int64(st, 1);
        row->received_ms = sqlite3_column_int64(st, 2);
        row->answer = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    return 0;
}

/* Make observation id the latest of its series unless a newer one is there. */
static int store_put_series(store_t *s, const store_batch *b, const proto_obs *o, int64_t id,
                            char *err, size_t errlen)
{
    int64_t answer = store_answer(o);
    store_series row;
    ptrdiff_t slot;
    bool found;
    sqlite3_stmt *st;
    if (store_series_get(s, b, o, &row, &found, &slot, err, errlen) != 0)
        return -1;
    if (!found) {
        if (!(st = store_stmt(s, STORE_SQL_SERIES_INSERT, err, errlen)))
            return -1;
        store_bind_text(st, 1, o->qname);
        sqlite3_bind_int(st, 2, o->qtype);
        store_bind_text(st, 3, b->agent_id);
        store_bind_text(st, 4, o->resolver);
        sqlite3_bind_int64(st, 5, id);
        sqlite3_bind_int64(st, 6, o->t_ms);
        sqlite3_bind_int64(st, 7, b->received_ms);
        sqlite3_bind_int64(st, 8, answer);
        if (store_exec_stmt(s, st, "storing a series", err, errlen) != 0)
            return -1;
        int64_t sid = sqlite3_last_insert_rowid(s->db);
        store_series_keep(s, slot, o->qtype, sid, o->t_ms, b->received_ms, answer);
        return store_put_change(s, b, o, sid, id, err, errlen);
    }
    /* Equal times: the one stored last is the latest. */
    if (o->t_ms < row.t_ms) {
        store_series_keep(s, slot, o->qtype, row.id, row.t_ms, row.received_ms, row.answer);
        return 0;
    }
    if (!(st = store_stmt(s, STORE_SQL_SERIES_UPDATE, err, errlen)))
        return -1;
    sqlite3_bind_int64(st, 1, row.id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, o->t_ms);
    sqlite3_bind_int64(st, 4, b->received_ms);
    sqlite3_bind_int64(st, 5, answer);
    if (store_exec_stmt(s, st, "updating a series", err, errlen) != 0)
        return -1;
    store_series_keep(s, slot, o->qtype, row.id, o->t_ms, b->received_ms, answer);
    return answer == row.answer ? 0 : store_put_change(s, b, o, row.id, id, err, errlen);
}

static int store_put_obs(store_t *s, const store_batch *b, size_t i, int64_t id, char *err,
                         size_t errlen)
{
    const proto_obs *o = &b->results->obs[i];
    const char *missing = !o->resolver ? "resolver"
                          : !o->kind   ? "kind"
                          : !o->qname  ? "qname"
                          : !o->rrset  ? "rrset"
                                       : NULL;
    if (missing)
        return store_missing(s, b, "observation", i, missing, err, errlen);
    if (o->n_ede && !o->ede)
        return store_missing(s, b, "observation", i, "ede codes", err, errlen);
    sqlite3_stmt *st = store_stmt(s, STORE_SQL_OBS_INSERT, err, errlen);
    if (!st)
        return -1;
    const char *ede = store_ede_format(s, o->ede, o->n_ede);
    if (o->n_ede && !ede)
        return store_errf(s, err, errlen, "out of memory");
    store_bind_origin(st, b, i, id);
    sqlite3_bind_int64(st, 6, o->t_ms);
    store_bind_text(st, 7, o->resolver);
    store_bind_text(st, 8, o->kind);
    store_bind_text(st, 9, o->server);
    store_bind_text(st, 10, o->nsid);
    store_bind_text(st, 11, o->qname);
    sqlite3_bind_int(st, 12, o->qtype);
    sqlite3_bind_int(st, 13, o->rcode);
    sqlite3_bind_int(st, 14, o->flags);
    sqlite3_bind_int(st, 15, o->transport);
    sqlite3_bind_int(st, 16, o->fail);
    store_bind_text(st, 17, o->rrset);
    store_bind_opt(st, 18, o->has_ttl, o->ttl_min);
    store_bind_opt(st, 19, o->has_soa_serial, o->soa_serial);
    store_bind_opt(st, 20, o->has_neg_ttl, o->neg_ttl);
    store_bind_text(st, 21, ede);
    store_bind_text(st, 22, o->ede_text);
    sqlite3_bind_int64(st, 23, o->rtt_us);
    if (store_exec_stmt(s, st, "storing an observation", err, errlen) != 0)
        return -1;
    return store_put_series(s, b, o, id, err, errlen);
}

static int store_put_finding(store_t *s, const store_batch *b, size_t i, int64_t id, char *err,
                             size_t errlen)
{
    const proto_finding *f = &b->results->findings[i];
    const char *missing = !f->code ? "code" : !f->name ? "name" : !f->message ? "message" : NULL;
    if (missing)
        return store_missing(s, b, "finding", i, missing, err, errlen);
    sqlite3_stmt *st = store_stmt(s, STORE_SQL_FIND_INSERT, err, errlen);
    if (!st)
        return -1;
    store_bind_origin(st, b, i, id);
    store_bind_text(st, 6, f->code);
    sqlite3_bind_int(st, 7, f->severity);
    store_bind_text(st, 8, f->name);
    store_bind_text(st, 9, f->message);
    store_bind_text(st, 10, f->resolver);
    return store_exec_stmt(s, st, "storing a finding", err, errlen);
}

/* One SMTP probe, and make it the latest of its (host, addr, port, agent) unless a newer one is. */
static int store_put_smtp(store_t *s, const store_batch *b, size_t i, int64_t id, char *err,
                          size_t errlen)
{
    const proto_smtp *p = &b->results->smtp[i];
    const char *missing = !p->host ? "host" : !p->addr ? "addr" : NULL;
    if (missing)
        return store_missing(s, b, "SMTP probe", i, missing, err, errlen);
    sqlite3_stmt *st = store_stmt(s, STORE_SQL_SMTP_INSERT, err, errlen);
    if (!st)
        return -1;
    store_bind_origin(st, b, i, id);
    sqlite3_bind_int64(st, 6, p->t_ms);
    store_bind_text(st, 7, p->host);
    store_bind_text(st, 8, p->addr);
    sqlite3_bind_int(st, 9, p->port);
    sqlite3_bind_int(st, 10, p->status);
    sqlite3_bind_int(st, 11, p->code);
    store_bind_text(st, 12, p->greeting);
    store_bind_text(st, 13, p->greet_name);
    sqlite3_bind_int(st, 14, p->flags);
    store_bind_u64(st, 15, p->size_max);
    store_bind_text(st, 16, p->tls_version);
    store_bind_text(st, 17, p->cert_names);
    sqlite3_bind_int64(st, 18, p->cert_not_after);
    store_bind_text(st, 19, p->detail);
    sqlite3_bind_int64(st, 20, p->connect_us);
    sqlite3_bind_int64(st, 21, p->total_us);
    if (store_exec_stmt(s, st, "storing an SMTP probe", err, errlen) != 0)
        return -1;
    if (!(st = store_stmt(s, STORE_SQL_SMTP_LATEST_PUT, err, errlen)))
        return -1;
    store_bind_text(st, 1, p->host);
    store_bind_text(st, 2, p->addr);
    sqlite3_bind_int(st, 3, p->port);
    store_bind_text(st, 4, b->agent_id);
    sqlite3_bind_int64(st, 5, id);
    sqlite3_bind_int64(st, 6, p->t_ms);
    sqlite3_bind_int64(st, 7, b->received_ms);
    return store_exec_stmt(s, st, "updating the latest SMTP probe", err, errlen);
}

/* Store one batch inside the open transaction; ids advance past its rows. */
static int store_put_one(store_t *s, const store_batch *b, int64_t *obs_id, int64_t *find_id,
                         int64_t *smtp_id, bool *duplicate, char *err, size_t errlen)
{
    if (!b->agent_id || !proto_id_ok(b->agent_id, strlen(b->agent_id)))
        return store_errf(s, err, errlen, "batch with seq %" PRIu64 ": invalid agent id", b->seq);
    const proto_results *r = b->results;
    if (!r)
        return store_errf(s, err, errlen, "batch %s/%" PRIu64 ": no results", b->agent_id, b->seq);
    if ((r->n_obs && !r->obs) || (r->n_findings && !r->findings) || (r->n_smtp && !r->smtp))
        return store_errf(s, err, errlen, "batch %s/%" PRIu64 ": counts without arrays",
                          b->agent_id, b->seq);
    sqlite3_stmt *st = store_stmt(s, STORE_SQL_BATCH_INSERT, err, errlen);
    if (!st)
        return -1;
    store_bind_text(st, 1, b->agent_id);
    store_bind_u64(st, 2, b->seq);
    sqlite3_bind_int64(st, 3, b->received_ms);
    store_bind_u64(st, 4, r->check_id);
    store_bind_text(st, 5, r->monitor);
    sqlite3_bind_int(st, 6, r->incomplete);
    store_bind_opt(st, 7, r->n_obs > 0, *obs_id);
    sqlite3_bind_int64(st, 8, (int64_t)r->n_obs);
    store_bind_opt(st, 9, r->n_findings > 0, *find_id);
    sqlite3_bind_int64(st, 10, (int64_t)r->n_findings);
    store_bind_u64(st, 11, r->track_id);
    store_bind_opt(st, 12, r->n_smtp > 0, *smtp_id);
    sqlite3_bind_int64(st, 13, (int64_t)r->n_smtp);
    if (store_exec_stmt(s, st, "storing a batch", err, errlen) != 0)
        return -1;
    *duplicate = sqlite3_changes(s->db) == 0;
    if (*duplicate)
        return 0;
    for (size_t i = 0; i < r->n_obs; i++)
        if (store_put_obs(s, b, i, (*obs_id)++, err, errlen) != 0)
            return -1;
    for (size_t i = 0; i < r->n_findings; i++)
        if (store_put_finding(s, b, i, (*find_id)++, err, errlen) != 0)
            return -1;
    for (size_t i = 0; i < r->n_smtp; i++)
        if (store_put_smtp(s, b, i, (*smtp_id)++, err, errlen) != 0)
            return -1;
    st = store_stmt(s, STORE_SQL_AGENT_STORED, err, errlen);
    if (!st)
        return -1;
    store_bind_text(st, 1, b->agent_id);
    sqlite3_bind_int64(st, 2, b->received_ms);
    store_bind_u64(st, 3, b->seq);
    return store_exec_stmt(s, st, "updating the agent's highest seq", err, errlen);
}

/* The next free id of observations, findings or SMTP probes (max + 1). */
static int store_next_id(store_t *s, store_sql_id id, int64_t *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = store_stmt(s, id, err, errlen);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        store_dberr(s, err, errlen, "reading the next row id");
        sqlite3_reset(st);
        return -1;
    }
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/*
 * In the open transaction: drop the series cache when another connection
 * has committed since our last transaction (it may have changed series).
 */
static int store_series_check(store_t *s, char *err, size_t errlen)
{
    sqlite3_stmt *st = store_stmt(s, STORE_SQL_DATA_VERSION, err, errlen);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        store_dberr(s, err, errlen, "reading the data version");
        sqlite3_reset(st);
        return -1;
    }
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (v != s->data_version)
        store_series_drop(s);
    s->data_version = v;
    return 0;
}

int store_put_batches(store_t *self, const store_batch *batches, size_t n,
                      store_put_result *results, char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    if (!batches || !results)
        return store_errf(self, err, errlen, "store_put_batches: no batches or results");
    int64_t obs_id, find_id, smtp_id;
    if (store_begin(self, err, errlen) != 0)
        return -1;
    if (store_series_check(self, err, errlen) != 0 ||
        store_next_id(self, STORE_SQL_OBS_NEXT_ID, &obs_id, err, errlen) != 0 ||
        store_next_id(self, STORE_SQL_FIND_NEXT_ID, &find_id, err, errlen) != 0 ||
        store_next_id(self, STORE_SQL_SMTP_NEXT_ID, &smtp_id, err, errlen) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (store_put_one(self, &batches[i], &obs_id, &find_id, &smtp_id, &results[i].duplicate,
                          err, errlen) != 0)
            goto fail;
    }
    if (store_commit(self, err, errlen) == 0)
        return 0;
    /* Rolled back: the cache may hold rows that are not in the file. */
    store_series_drop(self);
    return -1;
fail:
    store_rollback(self);
    store_series_drop(self);
    return -1;
}

void store_series_cache(store_t *self, size_t max)
{
    store_series_drop(self);
    self->series_max = max;
}

/* One observation row (STORE_OBS_COLS from column 0) into o; strings borrowed from st. */
static void store_obs_read(sqlite3_stmt *st, store_obs *o)
{
    proto_obs *p = &o->obs;
    memset(o, 0, sizeof *o);
    o->agent = store_col_text(st, 0);
    o->seq = store_col_u64(st, 1);
    o->received_ms = sqlite3_column_int64(st, 2);
    p->t_ms = sqlite3_column_int64(st, 3);
    p->resolver = store_col_text(st, 4);
    p->kind = store_col_text(st, 5);
    p->server = store_col_text(st, 6);
    p->nsid = store_col_text(st, 7);
    p->qname = store_col_text(st, 8);
    p->qtype = (uint16_t)sqlite3_column_int(st, 9);
    p->rcode = (uint8_t)sqlite3_column_int(st, 10);
    p->flags = (uint8_t)sqlite3_column_int(st, 11);
    p->transport = (uint8_t)sqlite3_column_int(st, 12);
    p->fail = (uint8_t)sqlite3_column_int(st, 13);
    p->rrset = store_col_text(st, 14);
    if ((p->has_ttl = sqlite3_column_type(st, 15) != SQLITE_NULL))
        p->ttl_min = (uint32_t)sqlite3_column_int64(st, 15);
    if ((p->has_soa_serial = sqlite3_column_type(st, 16) != SQLITE_NULL))
        p->soa_serial = (uint32_t)sqlite3_column_int64(st, 16);
    if ((p->has_neg_ttl = sqlite3_column_type(st, 17) != SQLITE_NULL))
        p->neg_ttl = (uint32_t)sqlite3_column_int64(st, 17);
    /* column 18, ede, is the caller's: it owns the array */
    p->ede_text = store_col_text(st, 19);
    p->rtt_us = (uint32_t)sqlite3_column_int64(st, 20);
}

/* Copy a column's text into arena; NULL stays NULL. false when out of memory. */
static bool store_dup(arena_t *arena, const char **dst)
{
    if (!*dst)
        return true;
    *dst = arena_strdup(arena, *dst);
    return *dst != NULL;
}

/*
 * Range statement id (reading or purging), bound to the rows of batch
 * (agent, seq) with ids [first, first + n); NULL with err filled.
 */
static sqlite3_stmt *store_range_stmt(store_t *s, store_sql_id id, int64_t first, int64_t n,
                                      const char *agent, uint64_t seq, char *err, size_t errlen)
{
    sqlite3_stmt *st = store_stmt(s, id, err, errlen);
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, first);
    sqlite3_bind_int64(st, 2, n);
    store_bind_text(st, 3, agent);
    store_bind_u64(st, 4, seq);
    return st;
}

typedef struct store_range store_range;

/* Copy the row st stands on into row, a proto_ struct of r's kind; 0, or -1 with err. */
typedef int (*store_fill_fn)(store_t *s, sqlite3_stmt *st, const store_range *r, void *row,
                             char *err, size_t errlen);

/* One kind of a batch's rows, as store_read_range() reads them back. */
typedef struct store_kind {
    store_sql_id sql;   /* its range statement */
    size_t size;        /* bytes of one row: sizeof its proto_ struct */
    store_fill_fn fill; /* one row of sql into one of those */
    const char *what;   /* "reading ...", for SQLite's errors */
    const char *noun;   /* what they are, plural, for the count's error */
} store_kind;

/* The rows of one kind of a batch being read back into an array in arena. */
struct store_range {
    const store_kind *kind; /* what they are */
    const char *agent;      /* the batch's agent */
    uint64_t seq;           /* the batch's seq */
    arena_t *arena;         /* holds the array and the rows' strings */
    char *rows;             /* the array: n rows of kind->size bytes */
    size_t n;               /* rows the batch has */
    size_t i;               /* rows read so far */
};

/* store_row_fn of store_read_range(): the next row of the array, n at most. */
static int store_range_row(store_t *s, sqlite3_stmt *st, void *ctx, char *err, size_t errlen)
{
    store_range *r = ctx;
    if (r->i == r->n)
        return STORE_ROW_STOP;
    void *row = r->rows + r->i++ * r->kind->size;
    return r->kind->fill(s, st, r, row, err, errlen) == 0 ? STORE_ROW_NEXT : STORE_ROW_FAIL;
}

/*
 * Read the n rows of kind of batch (agent, seq), ids from first on, into an
 * array in arena: *rows (NULL when n is 0). -1 with err unless all n are there.
 */
static int store_read_range(store_t *s, const store_kind *kind, const char *agent, uint64_t seq,
                            int64_t first, size_t n, arena_t *arena, void **rows, char *err,
                            size_t errlen)
{
    *rows = NULL;
    if (n == 0)
        return 0;
    sqlite3_stmt *st = store_range_stmt(s, kind->sql, first, (int64_t)n, agent, seq, err, errlen);
    if (!st)
        return -1;
    store_range r = {.kind = kind, .agent = agent, .seq = seq, .arena = arena, .n = n};
    if (!(r.rows = arena_calloc(arena, n, kind->size)))
        return store_errf(s, err, errlen, "out of memory");
    if (store_each(s, st, store_range_row, &r, kind->what, err, errlen) == STORE_ROW_FAIL)
        return -1;
    if (r.i != n)
        return store_errf(s, err, errlen, "batch %s/%" PRIu64 ": %zu of %zu %s found", agent, seq,
                          r.i, n, kind->noun);
    *rows = r.rows;
    return 0;
}

/* store_fill_fn of observations: the EDE list parsed, strings copied into the arena. */
static int store_fill_obs(store_t *s, sqlite3_stmt *st, const store_range *r, void *row, char *err,
                          size_t errlen)
{
    store_obs read;
    store_obs_read(st, &read);
    proto_obs *o = row;
    *o = read.obs;
    const char *ede = store_col_text(st, 18);
    if (ede) {
        size_t cap = store_ede_count(ede);
        long got;
        if (!(o->ede = arena_calloc(r->arena, cap, sizeof *o->ede)))
            return store_errf(s, err, errlen, "out of memory");
        if ((got = store_ede_parse(ede, o->ede, cap)) < 0)
            return store_errf(s, err, errlen, "batch %s/%" PRIu64 ": bad ede list \"%s\"", r->agent,
                              r->seq, ede);
        o->n_ede = (size_t)got;
    }
    if (!store_dup(r->arena, &o->resolver) || !store_dup(r->arena, &o->kind) ||
        !store_dup(r->arena, &o->server) || !store_dup(r->arena, &o->nsid) ||
        !store_dup(r->arena, &o->qname) || !store_dup(r->arena, &o->rrset) ||
        !store_dup(r->arena, &o->ede_text))
        return store_errf(s, err, errlen, "out of memory");
    return 0;
}

/* store_fill_fn of findings: strings copied into the arena. */
static int store_fill_finding(store_t *s, sqlite3_stmt *st, const store_range *r, void *row,
                              char *err, size_t errlen)
{
    proto_finding *f = row;
    f->code = store_col_text(st, 0);
    f->severity = (uint8_t)sqlite3_column_int(st, 1);
    f->name = store_col_text(st, 2);
    f->message = store_col_text(st, 3);
    f->resolver = store_col_text(st, 4);
    if (!store_dup(r->arena, &f->code) || !store_dup(r->arena, &f->name) ||
        !store_dup(r->arena, &f->message) || !store_dup(r->arena, &f->resolver))
        return store_errf(s, err, errlen, "out of memory");
    return 0;
}

/* One SMTP probe row (STORE_SMTP_SELECT's columns) into o; strings borrowed from st. */
static void store_smtp_read(sqlite3_stmt *st, store_smtp *o)
{
    proto_smtp *p = &o->probe;
    memset(o, 0, sizeof *o);
    o->agent = store_col_text(st, 0);
    o->seq = store_col_u64(st, 1);
    o->received_ms = sqlite3_column_int64(st, 2);
    p->t_ms = sqlite3_column_int64(st, 3);
    p->host = store_col_text(st, 4);
    p->addr = store_col_text(st, 5);
    p->port = (uint16_t)sqlite3_column_int(st, 6);
    p->status = (uint8_t)sqlite3_column_int(st, 7);
    p->code = (uint16_t)sqlite3_column_int(st, 8);
    p->greeting = store_col_text(st, 9);
    p->greet_name = store_col_text(st, 10);
    p->flags = (uint8_t)sqlite3_column_int(st, 11);
    p->size_max = store_col_u64(st, 12);
    p->tls_version = store_col_text(st, 13);
    p->cert_names = store_col_text(st, 14);
    p->cert_not_after = sqlite3_column_int64(st, 15);
    p->detail = store_col_text(st, 16);
    p->connect_us = (uint32_t)sqlite3_column_int64(st, 17);
    p->total_us = (uint32_t)sqlite3_column_int64(st, 18);
    o->region = store_col_text(st, 19);
    o->check_id = store_col_u64(st, 20);
    o->monitor = store_col_text(st, 21);
}

/* store_fill_fn of SMTP probes: strings copied into the arena. */
static int store_fill_smtp(store_t *s, sqlite3_stmt *st, const store_range *r, void *row, char *err,
                           size_t errlen)
{
    store_smtp read;
    store_smtp_read(st, &read);
    proto_smtp *p = row;
    *p = read.probe;
    if (!store_dup(r->arena, &p->host) || !store_dup(r->arena, &p->addr) ||
        !store_dup(r->arena, &p->greeting) || !store_dup(r->arena, &p->greet_name) ||
        !store_dup(r->arena, &p->tls_version) || !store_dup(r->arena, &p->cert_names) ||
        !store_dup(r->arena, &p->detail))
        return store_errf(s, err, errlen, "out of memory");
    return 0;
}

static const store_kind store_kind_obs = {STORE_SQL_OBS_RANGE, sizeof(proto_obs), store_fill_obs,
                                          "reading observations", "observations"};
static const store_kind store_kind_findings = {STORE_SQL_FIND_RANGE, sizeof(proto_finding),
                                               store_fill_finding, "reading findings", "findings"};
static const store_kind store_kind_smtp = {STORE_SQL_SMTP_RANGE, sizeof(proto_smtp),
                                           store_fill_smtp, "reading SMTP probes", "SMTP probes"};

int store_batch_get(store_t *self, const char *agent, uint64_t seq, arena_t *arena,
                    proto_results *out, int64_t *received_ms, bool *found, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    *found = false;
    sqlite3_stmt *st = store_stmt(self, STORE_SQL_BATCH_GET, err, errlen);
    if (!st)
        return -1;
    store_bind_text(st, 1, agent);
    store_bind_u64(st, 2, seq);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        store_dberr(self, err, errlen, "reading a batch");
        sqlite3_reset(st);
        return -1;
    }
    *received_ms = sqlite3_column_int64(st, 0);
    out->check_id = store_col_u64(st, 1);
    out->monitor = store_col_text(st, 2);
    out->incomplete = sqlite3_column_int(st, 3) != 0;
    int64_t obs_first = sqlite3_column_int64(st, 4);
    size_t n_obs = (size_t)sqlite3_column_int64(st, 5);
    int64_t find_first = sqlite3_column_int64(st, 6);
    size_t n_find = (size_t)sqlite3_column_int64(st, 7);
    out->track_id = store_col_u64(st, 8);
    int64_t smtp_first = sqlite3_column_int64(st, 9);
    size_t n_smtp = (size_t)sqlite3_column_int64(st, 10);
    bool ok = store_dup(arena, &out->monitor);
    sqlite3_reset(st);
    if (!ok)
        return store_errf(self, err, errlen, "out of memory");
    void *obs, *findings, *smtp;
    if (store_read_range(self, &store_kind_obs, agent, seq, obs_first, n_obs, arena, &obs, err,
                         errlen) != 0 ||
        store_read_range(self, &store_kind_findings, agent, seq, find_first, n_find, arena,
                         &findings, err, errlen) != 0 ||
        store_read_range(self, &store_kind_smtp, agent, seq, smtp_first, n_smtp, arena, &smtp, err,
                         errlen) != 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->obs = obs;
    out->n_obs = n_obs;
    out->findings = findings;
    out->n_findings = n_find;
    out->smtp = smtp;
    out->n_smtp = n_smtp;
    *found = true;
    return 0;
}

/* ---- agents ------------------------------------------------------------- */

int store_agent_highest_seq(store_t *self, const char *agent, uint64_t *seq, bool *has,
                            uint64_t *batches, char *err, size_t errlen)
{
    sqlite3_stmt *st = store_stmt(self, STORE_SQL_AGENT_GET, err, errlen);
    if (!st)
        return -1;
    store_bind_text(st, 1, agent);
    int rc = sqlite3_step(st);
    bool h = false;
    uint64_t v = 0, count = 0;
    if (rc == SQLITE_ROW) {
        h = sqlite3_column_type(st, 0) != SQLITE_NULL;
        v = h ? store_col_u64(st, 0) : 0;
        count = store_col_u64(st, 1);
    } else if (rc != SQLITE_DONE) {
        store_dberr(self, err, errlen, "reading an agent");
        sqlite3_reset(st);
        return -1;
    }
    sqlite3_reset(st);
    if (seq)
        *seq = v;
    if (has)
        *has = h;
    if (batches)
        *batches = count;
    return 0;
}

int store_agent_upsert(store_t *self, const store_agent *agent, char *err, size_t errlen)
{
    if (!agent || !agent->id || !proto_id_ok(agent->id, strlen(agent->id)))
        return store_errf(self, err, errlen, "agent upsert: invalid agent id");
    sqlite3_stmt *st = store_stmt(self, STORE_SQL_AGENT_UPSERT, err, errlen);
    if (!st)
        return -1;
    store_bind_text(st, 1, agent->id);
    store_bind_text(st, 2, agent->region);
    store_bind_text(st, 3, agent->software);
    store_bind_opt(st, 4, agent->last_seen_ms != 0, agent->last_seen_ms);
    store_bind_opt(st, 5, agent->last_hello_ms != 0, agent->last_hello_ms);
    store_bind_opt(st, 6, agent->has_clock_offset, agent->clock_offset_ms);
    store_bind_opt(st, 7, agent->has_spool_backlog, (int64_t)agent->spool_backlog);
    sqlite3_bind_int(st, 8, agent->up);
    return store_exec_stmt(self, st, "updating an agent", err, errlen);
}

/* store_row_fn of store_agents_list(): one agent to the caller. */
static int store_agent_row(store_t *s, sqlite3_stmt *st, void *ctx, char *err, size_t errlen)
{
    (void)s;
    (void)err;
    (void)errlen;
    const store_caller *c = ctx;
    store_agent a = {
        .id = store_col_text(st, 0),
        .region = store_col_text(st, 1),
        .software = store_col_text(st, 2),
        .first_seen_ms = sqlite3_column_int64(st, 3),
        .last_seen_ms = sqlite3_column_int64(st, 4),
        .last_hello_ms = sqlite3_column_int64(st, 5),
        .has_clock_offset = sqlite3_column_type(st, 6) != SQLITE_NULL,
        .clock_offset_ms = sqlite3_column_int64(st, 6),
        .has_spool_backlog = sqlite3_column_type(st, 7) != SQLITE_NULL,
        .spool_backlog = store_col_u64(st, 7),
        .up = sqlite3_column_int(st, 8) != 0,
        .has_highest_seq = sqlite3_column_type(st, 9) != SQLITE_NULL,
        .highest_seq = store_col_u64(st, 9),
        .stored_batches = store_col_u64(st, 10),
    };
    return c->fn.agent(c->ctx, &a) != 0 ? STORE_ROW_STOP : STORE_ROW_NEXT;
}

int store_agents_list(store_t *self, store_agent_fn fn, void *ctx, char *err, size_t errlen)
{
    sqlite3_stmt *st = store_stmt(self, STORE_SQL_AGENTS_LIST, err, errlen);
    if (!st)
        return -1;
    store_caller c = {.fn.agent = fn, .ctx = ctx};
    return store_walk(self, st, store_agent_row, &c, "listing agents", err, errlen);
}

/* ---- monitors ----------------------------------------------------------- */

/* words joined by single spaces into s->text; NULL when out of memory. */
static const char *store_join(store_t *s, const char *const *words, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    char *t = store_text(s, len);
    if (!t)
        return NULL;
    t[0] = '\0';
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(words[i]);
        if (i)
            t[at++] = ' ';
        memcpy(t + at, words[i], l);
        at += l;
    }
    t[at] = '\0';
    return t;
}

static int store_monitor_insert(store_t *s, const store_monitor *m, uint64_t generation, char *err,
                                size_t errlen)
{
    if (!m->name || !m->qname)
        return store_errf(s, err, errlen, "monitor %s: no %s", m->name ? m->name : "(unnamed)",
                          m->name ? "qname" : "name");
    for (size_t i = 0; i < m->n_types; i++)
        if (!m->types[i])
            return store_errf(s, err, errlen, "monitor %s: type %zu is NULL", m->name, i);
    for (size_t i = 0; i < m->n_resolvers; i++)
        if (!m->resolvers[i])
            return store_errf(s, err, errlen, "monitor %s: resolver %zu is NULL", m->name, i);
    for (size_t i = 0; i < m->n_agents; i++)
        if (!m->agents[i])
            return store_errf(s, err, errlen, "monitor %s: agent %zu is NULL", m->name, i);
    sqlite3_stmt *st = store_stmt(s, STORE_SQL_MONITOR_INSERT, err, errlen);
    if (!st)
        return -1;
    const char *text;
    store_bind_text(st, 1, m->name);
    store_bind_text(st, 2, m->qname);
    /* The joined lists share one scratch buffer: SQLite copies each. */
    if (!(text = store_join(s, m->types, m->n_types)) ||
        sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        goto oom;
    store_bind_text(st, 4, m->profile && *m->profile ? m->profile : NULL);
    if (!(text = store_join(s, m->resolvers, m->n_resolvers)) ||
        sqlite3_bind_text(st, 5, text, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        goto oom;
    sqlite3_bind_int64(st, 6, (int64_t)m->interval_ms);
    if (m->n_agents == 0)
        sqlite3_bind_null(st, 7);
    else if (!(text = store_join(s, m->agents, m->n_agents)) ||
             sqlite3_bind_text(st, 7, text, -1, SQLITE_TRANSIENT) != SQLITE_OK)
        goto oom;
    sqlite3_bind_int(st, 8, m->geo);
    store_bind_u64(st, 9, generation);
    sqlite3_bind_int(st, 10, m->smtp);
    return store_exec_stmt(s, st, "storing a monitor", err, errlen);
oom:
    sqlite3_clear_bindings(st);
    return store_errf(s, err, errlen, "out of memory");
}

int store_monitors_sync(store_t *self, const store_monitor *monitors, size_t n, uint64_t generation,
                        char *err, size_t errlen)
{
    if (n && !monitors)
        return store_errf(self, err, errlen, "store_monitors_sync: no monitors");
    if (store_begin(self, err, errlen) != 0)
        return -1;
    if (store_exec_id(self, STORE_SQL_MONITORS_CLEAR, "clearing monitors", err, errlen) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++)
        if (store_monitor_insert(self, &monitors[i], generation, err, errlen) != 0)
            goto fail;
    return store_commit(self, err, errlen);
fail:
    store_rollback(self);
    return -1;
}

/* ---- retention and counts ----------------------------------------------- */

/* Delete the id range [first, first + n) of one batch with a purge statement. */
static int store_purge_range(store_t *s, store_sql_id id, sqlite3_stmt *batch, int first_col,
                             uint64_t *deleted, char *err, size_t errlen)
{
    if (sqlite3_column_type(batch, first_col) == SQLITE_NULL)
        return 0;
    sqlite3_stmt *st = store_range_stmt(
        s, id, sqlite3_column_int64(batch, first_col), sqlite3_column_int64(batch, first_col + 1),
        store_col_text(batch, 0), store_col_u64(batch, 1), err, errlen);
    if (!st)
        return -1;
    if (store_exec_stmt(s, st, "purging", err, errlen) != 0)
        return -1;
    *deleted += (uint64_t)sqlite3_changes(s->db);
    return 0;
}

/* store_row_fn of store_purge(): the rows of one batch of STORE_SQL_PURGE_SELECT. */
static int store_purge_batch(store_t *s, sqlite3_stmt *batch, void *ctx, char *err, size_t errlen)
{
    store_purged *p = ctx;
    if (store_purge_range(s, STORE_SQL_PURGE_OBS, batch, 2, &p->observations, err, errlen) != 0 ||
        store_purge_range(s, STORE_SQL_PURGE_FIND, batch, 4, &p->findings, err, errlen) != 0 ||
        store_purge_range(s, STORE_SQL_PURGE_SMTP, batch, 6, &p->smtp, err, errlen) != 0)
        return STORE_ROW_FAIL;
    return STORE_ROW_NEXT;
}

/* Run a purge statement taking the cutoff. */
static int store_purge_by_time(store_t *s, store_sql_id id, int64_t older_than_ms, char *err,
                               size_t errlen)
{
    sqlite3_stmt *st = store_stmt(s, id, err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, older_than_ms);
    return store_exec_stmt(s, st, "purging", err, errlen);
}

int store_purge(store_t *self, int64_t older_than_ms, store_purged *purged, char *err,
                size_t errlen)
{
    store_purged p = {0};
    /* Whether the purge commits or not, the rows it may delete are no longer cached. */
    store_series_forget(self, older_than_ms);
    if (store_begin(self, err, errlen) != 0)
        return -1;
    sqlite3_stmt *sel = store_stmt(self, STORE_SQL_PURGE_SELECT, err, errlen);
    if (!sel)
        goto fail;
    sqlite3_bind_int64(sel, 1, older_than_ms);
    if (store_each(self, sel, store_purge_batch, &p, "selecting batches to purge", err, errlen) !=
        STORE_ROW_NEXT)
        goto fail;
    sqlite3_stmt *st = store_stmt(self, STORE_SQL_PURGE_BATCHES, err, errlen);
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, older_than_ms);
    if (store_exec_stmt(self, st, "purging batches", err, errlen) != 0)
        goto fail;
    p.batches = (uint64_t)sqlite3_changes(self->db);
    if (store_purge_by_time(self, STORE_SQL_PURGE_SERIES, older_than_ms, err, errlen) != 0 ||
        store_purge_by_time(self, STORE_SQL_PURGE_CHANGES, older_than_ms, err, errlen) != 0 ||
        store_purge_by_time(self, STORE_SQL_PURGE_SMTP_LATEST, older_than_ms, err, errlen) != 0)
        goto fail;
    if (store_commit(self, err, errlen) != 0)
        return -1;
    if (purged)
        *purged = p;
    return 0;
fail:
    store_rollback(self);
    return -1;
}

int store_count(store_t *self, store_what what, const char *agent, uint64_t *n, char *err,
                size_t errlen)
{
    static const char *const tables[] = {
        [STORE_BATCHES] = "batches",   [STORE_OBSERVATIONS] = "observations",
        [STORE_FINDINGS] = "findings", [STORE_AGENTS] = "agents",
        [STORE_MONITORS] = "monitors", [STORE_SMTP] = "smtp_probes",
    };
    if ((unsigned)what >= sizeof tables / sizeof tables[0])
        return store_errf(self, err, errlen, "store_count: unknown kind %d", (int)what);
    bool by_agent = agent && (what <= STORE_FINDINGS || what == STORE_SMTP);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s%s", tables[what],
             by_agent ? " WHERE agent = ?1" : "");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(self->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_dberr(self, err, errlen, "counting");
    if (by_agent)
        store_bind_text(st, 1, agent);
    if (sqlite3_step(st) != SQLITE_ROW) {
        store_dberr(self, err, errlen, "counting");
        sqlite3_finalize(st);
        return -1;
    }
    *n = store_col_u64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* ---- queries ------------------------------------------------------------ */

/* store_row_fn over STORE_OBS_SELECT's columns: one observation to the caller. */
static int store_obs_row(store_t *s, sqlite3_stmt *st, void *ctx, char *err, size_t errlen)
{
    const store_caller *c = ctx;
    store_obs o;
    store_obs_read(st, &o);
    o.region = store_col_text(st, 21);
    const char *ede = store_col_text(st, 18);
    if (ede) {
        size_t cap = store_ede_count(ede);
        long got;
        if (cap > s->ede_cap) {
            uint16_t *e = realloc(s->ede, cap * sizeof *e);
            if (!e)
                return store_errf(s, err, errlen, "out of memory");
            s->ede = e;
            s->ede_cap = cap;
        }
        if ((got = store_ede_parse(ede, s->ede, cap)) < 0)
            return store_errf(s, err, errlen, "observation of %s: bad ede list \"%s\"", o.agent,
                              ede);
        o.obs.ede = s->ede;
        o.obs.n_ede = (size_t)got;
    }
    return c->fn.obs(c->ctx, &o) != 0 ? STORE_ROW_STOP : STORE_ROW_NEXT;
}

/* store_row_fn over STORE_SMTP_SELECT's columns: one SMTP probe to the caller. */
static int store_smtp_row(store_t *s, sqlite3_stmt *st, void *ctx, char *err, size_t errlen)
{
    (void)s;
    (void)err;
    (void)errlen;
    const store_caller *c = ctx;
    store_smtp o;
    store_smtp_read(st, &o);
    return c->fn.smtp(c->ctx, &o) != 0 ? STORE_ROW_STOP : STORE_ROW_NEXT;
}

int store_latest(store_t *self, const char *qname, uint16_t qtype, store_obs_fn fn, void *ctx,
                 char *err, size_t errlen)
{
    if (!qname)
        return store_errf(self, err, errlen, "store_latest: no qname");
    sqlite3_stmt *st = store_stmt(self, STORE_SQL_LATEST, err, errlen);
    if (!st)
        return -1;
    store_bind_text(st, 1, qname);
    sqlite3_bind_int(st, 2, qtype);
    store_caller c = {.fn.obs = fn, .ctx = ctx};
    return store_walk(self, st, store_obs_row, &c, "reading the latest observations", err, errlen);
}

int store_history(store_t *self, const char *qname, uint16_t qtype, int64_t since_ms,
                  store_obs_fn fn, void *ctx, char *err, size_t errlen)
{
    if (!qname)
        return store_errf(self, err, errlen, "store_history: no qname");
    sqlite3_stmt *st = store_stmt(self, STORE_SQL_HISTORY, err, errlen);
    if (!st)
        return -1;
    store_bind_text(st, 1, qname);
    sqlite3_bind_int(st, 2, qtype);
    sqlite3_bind_int64(st, 3, since_ms);
    store_caller c = {.fn.obs = fn, .ctx = ctx};
    return store_walk(self, st, store_obs_row, &c, "reading the history", err, errlen);
}

int store_smtp_latest(store_t *self, const char *const *hosts, size_t n_hosts, store_smtp_fn fn,
                      void *ctx, char *err, size_t errlen)
{
    const char *what = "reading the latest SMTP probes";
    store_caller c = {.fn.smtp = fn, .ctx = ctx};
    if (!hosts || n_hosts == 0) {
        sqlite3_stmt *st = store_stmt(self, STORE_SQL_SMTP_LATEST_ALL, err, errlen);
        if (!st)
            return -1;
        return store_walk(self, st, store_smtp_row, &c, what, err, errlen);
    }
    for (size_t i = 0; i < n_hosts; i++) {
        if (!hosts[i])
            return store_errf(self, err, errlen, "store_smtp_latest: host %zu is NULL", i);
        sqlite3_stmt *st = store_stmt(self, STORE_SQL_SMTP_LATEST_HOST, err, errlen);
        if (!st)
            return -1;
        store_bind_text(st, 1, hosts[i]);
        int walked = store_each(self, st, store_smtp_row, &c, what, err, errlen);
        if (walked != STORE_ROW_NEXT)
            return walked == STORE_ROW_FAIL ? -1 : 0;
    }
    return 0;
}

int store_smtp_history(store_t *self, const char *host, int64_t since_ms, store_smtp_fn fn,
                       void *ctx, char *err, size_t errlen)
{
    if (!host)
        return store_errf(self, err, errlen, "store_smtp_history: no host");
    sqlite3_stmt *st = store_stmt(self, STORE_SQL_SMTP_HISTORY, err, errlen);
    if (!st)
        return -1;
    store_bind_text(st, 1, host);
    sqlite3_bind_int64(st, 2, since_ms);
    store_caller c = {.fn.smtp = fn, .ctx = ctx};
    return store_walk(self, st, store_smtp_row, &c, "reading the SMTP history", err, errlen);
}

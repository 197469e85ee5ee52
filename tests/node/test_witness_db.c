/*
 * test_witness_db.c - the witness database's conformance suite
 * (witness_db.h), run against every backend of the build
 * (test_store_backends.h): the state of a witnessed log and its
 * compare-and-swap advance (conflicts, refusals by the check callback,
 * freezing, 16 racing threads), cosignatures, evidence, peer health,
 * persistence across reopen, and the limits of witness_db.h; and the checks
 * witness_db.c makes before any backend (NULL databases, storage URIs this
 * build cannot open).
 *
 * These tests reach the database only through witness_db.h. Tests that need
 * a backend's own tools are in that backend's file
 * (test_witness_db_sqlite.c). Every test works in its own scratch directory
 * under /tmp and removes it.
 */
#include "harness.h"

#include "test_witness_db_util.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- before any backend ---- */

/* Opening uri fails with HH_ERR_INVALID, *out NULL, a message with want and without secret. */
static bool open_refused(const char *uri, const char *want, const char *secret)
{
    struct hh_error err = {0};
    struct hh_wdb *w = (struct hh_wdb *)&err;
    hh_status rc = hh_wdb_open(uri, &w, &err);

    if (rc != HH_ERR_INVALID || w != NULL || err.code != HH_ERR_INVALID)
        return false;
    hh_test_note("%s", err.msg); /* not the URI: some hold a password */
    return strstr(err.msg, want) != NULL && (secret == NULL || strstr(err.msg, secret) == NULL);
}

TEST(witness_db_open_uri_refused)
{
    CHECK(open_refused(NULL, "storage URI is empty", NULL));
    CHECK(open_refused("", "storage URI is empty", NULL));
    CHECK(open_refused("postgresql://henhouse:s3cret@db.example/witness", "no PostgreSQL backend",
                       "s3cret"));
    CHECK(open_refused("postgres://henhouse:s3cret@db.example/witness", "no PostgreSQL backend",
                       "s3cret"));
    CHECK(open_refused("redis://:s3cret@cache.example", "unknown storage scheme \"redis\"",
                       "s3cret"));
    CHECK(open_refused("sqlite:", "no path given", NULL));
}

static void ignore_state(void *ctx, const char *origin, const struct hh_wdb_state *s)
{
    (void)ctx;
    (void)origin;
    (void)s;
}

static void ignore_evidence(void *ctx, int64_t id, const char *origin, const char *kind,
                            const char *json, size_t len, int64_t t)
{
    (void)ctx;
    (void)id;
    (void)origin;
    (void)kind;
    (void)json;
    (void)len;
    (void)t;
}

TEST(witness_db_null_db)
{
    struct hh_error err = {0};
    struct hh_wdb_state s;
    struct hh_wdb_peer p;
    struct hh_hash root = {{1}};
    uint64_t cur = 9, size = 9, ts = 9;
    int64_t id = 9;
    char *lines = (char *)&err;
    size_t len = 9;

    memset(&s, 0xaa, sizeof(s));
    CHECK_ERR(hh_wdb_state(NULL, TW_ORIGIN, &s, &err), HH_ERR_INVALID);
    CHECK(s.note == NULL && s.size == 0 && err.code == HH_ERR_INVALID);
    CHECK_ERR(hh_wdb_advance(NULL, TW_ORIGIN, 0, 1, &root, "n", 1, NULL, NULL, &cur, &err),
              HH_ERR_INVALID);
    CHECK(cur == 0);
    CHECK_ERR(hh_wdb_freeze(NULL, TW_ORIGIN, &err), HH_ERR_INVALID);
    CHECK_ERR(hh_wdb_each_state(NULL, ignore_state, NULL, &err), HH_ERR_INVALID);
    CHECK_ERR(hh_wdb_put_cosignature(NULL, 1, "w1", "line\n", 1, &err), HH_ERR_INVALID);
    CHECK_ERR(hh_wdb_cosignatures(NULL, 1, &lines, &len, &err), HH_ERR_INVALID);
    CHECK(lines == NULL && len == 0);
    CHECK_ERR(hh_wdb_last_cosignature(NULL, "w1", &size, &ts, &err), HH_ERR_INVALID);
    CHECK(size == 0 && ts == 0);
    CHECK_ERR(hh_wdb_add_evidence(NULL, TW_ORIGIN, "k", "key", "{}", 2, &id, &err), HH_ERR_INVALID);
    CHECK(id == 0);
    CHECK_ERR(hh_wdb_each_evidence(NULL, ignore_evidence, NULL, &err), HH_ERR_INVALID);
    memset(&p, 0xaa, sizeof(p));
    CHECK_ERR(hh_wdb_peer(NULL, "bob", &p, &err), HH_ERR_INVALID);
    CHECK(p.failures == 0 && p.last_error[0] == '\0');
    hh_wdb_peer_ok(NULL, "bob"); /* nothing to report, nothing to crash */
    hh_wdb_peer_error(NULL, "bob", "down");
    hh_wdb_close(NULL);
}

static void witness_db_unknown_origin_on(const struct tb_backend *be)
{
    struct tw_fixture f;
    struct hh_wdb_state s;
    struct hh_hash empty;

    BCHECK(tw_open(&f, be));
    memset(&s, 0xaa, sizeof(s));
    BCHECK_OK(hh_wdb_state(f.w, TW_ORIGIN, &s, NULL));
    hh_merkle_empty_root(&empty);
    BCHECK(s.size == 0 && s.note == NULL && s.note_len == 0 && !s.frozen && s.time == 0);
    BCHECK(hh_hash_equal(&s.root, &empty));
    hh_wdb_state_clear(&s);
    hh_wdb_state_clear(NULL);
    hh_wdb_close(NULL);
    tw_close(&f);
}

TEST(witness_db_unknown_origin)
{
    tb_each(witness_db_unknown_origin_on);
}

static void witness_db_advance_and_stale_old_on(const struct tb_backend *be)
{
    struct tw_fixture f;
    struct hh_error err = {0};
    uint64_t cur = 99;

    BCHECK(tw_open(&f, be));
    BCHECK_OK(tw_advance(f.w, TW_ORIGIN, 0, 5, &cur, NULL));
    BCHECK(cur == 0);
    BCHECK(tw_state_is(f.w, TW_ORIGIN, 5, false));
    /* a stale old size: refused, and the current size reported */
    BCHECK(tw_advance(f.w, TW_ORIGIN, 0, 7, &cur, &err) == HH_ERR_CONFLICT);
    BCHECK(cur == 5 && err.code == HH_ERR_CONFLICT && strstr(err.msg, "5") != NULL);
    BCHECK(tw_advance(f.w, TW_ORIGIN, 6, 7, &cur, NULL) == HH_ERR_CONFLICT && cur == 5);
    BCHECK(tw_advance(f.w, TW_ORIGIN, 4, 7, &cur, NULL) == HH_ERR_CONFLICT && cur == 5);
    BCHECK(tw_state_is(f.w, TW_ORIGIN, 5, false));
    /* the right old size advances */
    BCHECK_OK(tw_advance(f.w, TW_ORIGIN, 5, 9, &cur, NULL));
    BCHECK(cur == 5 && tw_state_is(f.w, TW_ORIGIN, 9, false));
    /* origins are independent */
    BCHECK_OK(tw_advance(f.w, "other.example/log", 0, 2, &cur, NULL));
    BCHECK(tw_state_is(f.w, "other.example/log", 2, false) &&
           tw_state_is(f.w, TW_ORIGIN, 9, false));
    tw_close(&f);
}

TEST(witness_db_advance_and_stale_old)
{
    tb_each(witness_db_advance_and_stale_old_on);
}

struct check_ctx {
    int calls;
    uint64_t seen_size;
    hh_status answer;
};

static hh_status check_cb(void *ctx, const struct hh_wdb_state *cur, struct hh_error *err)
{
    struct check_ctx *c = ctx;

    c->calls++;
    c->seen_size = cur->size;
    if (c->answer != HH_OK)
        return hh_error_set(err, c->answer, "the check refused");
    return HH_OK;
}

static void witness_db_check_refusing_writes_nothing_on(const struct tb_backend *be)
{
    struct tw_fixture f;
    struct hh_error err = {0};
    struct check_ctx c = {0, 0, HH_ERR_VERIFY};
    struct hh_hash root;
    char note[256];
    size_t len;
    uint64_t cur = 0;

    BCHECK(tw_open(&f, be));
    BCHECK_OK(tw_advance(f.w, TW_ORIGIN, 0, 3, &cur, NULL));
    tw_root(8, &root);
    len = tw_note(8, note, sizeof(note));
    BCHECK(hh_wdb_advance(f.w, TW_ORIGIN, 3, 8, &root, note, len, check_cb, &c, &cur, &err) ==
           HH_ERR_VERIFY);
    BCHECK(c.calls == 1 && c.seen_size == 3 && cur == 3);
    BCHECK(err.code == HH_ERR_VERIFY && strcmp(err.msg, "the check refused") == 0);
    BCHECK(tw_state_is(f.w, TW_ORIGIN, 3, false));
    /* another refusal code passes through too */
    c.answer = HH_ERR_CONFLICT;
    BCHECK(hh_wdb_advance(f.w, TW_ORIGIN, 3, 8, &root, note, len, check_cb, &c, &cur, NULL) ==
           HH_ERR_CONFLICT);
    BCHECK(tw_state_is(f.w, TW_ORIGIN, 3, false));
    /* the check is not asked when the old size is stale */
    c.calls = 0;
    BCHECK(hh_wdb_advance(f.w, TW_ORIGIN, 2, 8, &root, note, len, check_cb, &c, &cur, NULL) ==
           HH_ERR_CONFLICT);
    BCHECK(c.calls == 0);
    /* and an accepting check lets it through */
    c.answer = HH_OK;
    BCHECK_OK(hh_wdb_advance(f.w, TW_ORIGIN, 3, 8, &root, note, len, check_cb, &c, &cur, NULL));
    BCHECK(c.calls == 1 && tw_state_is(f.w, TW_ORIGIN, 8, false));
    tw_close(&f);
}

TEST(witness_db_check_refusing_writes_nothing)
{
    tb_each(witness_db_check_refusing_writes_nothing_on);
}

static void witness_db_freeze_on(const struct tb_backend *be)
{
    struct tw_fixture f;
    struct hh_error err = {0};
    struct check_ctx c = {0, 0, HH_OK};
    struct hh_wdb_state s;
    struct hh_hash root;
    uint64_t cur = 0;

    BCHECK(tw_open(&f, be));
    BCHECK_OK(tw_advance(f.w, TW_ORIGIN, 0, 5, &cur, NULL));
    BCHECK_OK(hh_wdb_freeze(f.w, TW_ORIGIN, NULL));
    BCHECK(tw_state_is(f.w, TW_ORIGIN, 5, true));
    tw_root(7, &root);
    BCHECK(hh_wdb_advance(f.w, TW_ORIGIN, 5, 7, &root, "n\n", 2, check_cb, &c, &cur, &err) ==
           HH_ERR_VERIFY);
    BCHECK(cur == 5 && err.code == HH_ERR_VERIFY && strstr(err.msg, "frozen") != NULL);
    BCHECK(c.calls == 0);
    BCHECK(tw_state_is(f.w, TW_ORIGIN, 5, true));
    /* freezing twice is harmless */
    BCHECK_OK(hh_wdb_freeze(f.w, TW_ORIGIN, NULL));
    BCHECK(tw_state_is(f.w, TW_ORIGIN, 5, true));
    /* a log frozen before it was ever cosigned: size 0, no checkpoint, never advances */
    BCHECK_OK(hh_wdb_freeze(f.w, "other.example/log", NULL));
    BCHECK_OK(hh_wdb_state(f.w, "other.example/log", &s, NULL));
    BCHECK(s.size == 0 && s.frozen && s.note == NULL && s.note_len == 0);
    hh_wdb_state_clear(&s);
    BCHECK(tw_advance(f.w, "other.example/log", 0, 1, &cur, NULL) == HH_ERR_VERIFY && cur == 0);
    BCHECK(tw_reopen(&f));
    BCHECK(tw_state_is(f.w, TW_ORIGIN, 5, true));
    tw_close(&f);
}

TEST(witness_db_freeze)
{
    tb_each(witness_db_freeze_on);
}

/* ---- racing advances ---- */

#define RACERS 16

struct racer {
    struct hh_wdb *w;
    pthread_barrier_t *start;
    uint64_t old, new_size, current;
    hh_status rc;
};

static void *race(void *arg)
{
    struct racer *r = arg;

    pthread_barrier_wait(r->start);
    r->rc = tw_advance(r->w, TW_ORIGIN, r->old, r->new_size, &r->current, NULL);
    return NULL;
}

static void witness_db_racing_advances_on(const struct tb_backend *be)
{
    struct tw_fixture f;
    struct racer r[RACERS];
    pthread_t t[RACERS];
    pthread_barrier_t start;
    uint64_t size = 0;
    int bad = 0;

    BCHECK(tw_open(&f, be));
    for (int round = 0; round < 8; round++) {
        int wins = 0, conflicts = 0;
        uint64_t winner = 0;
        pthread_barrier_init(&start, NULL, RACERS);
        for (int i = 0; i < RACERS; i++) {
            r[i] = (struct racer){f.w, &start, size, size + 1 + (uint64_t)i, 0, HH_ERR_INTERNAL};
            BCHECK(pthread_create(&t[i], NULL, race, &r[i]) == 0);
        }
        for (int i = 0; i < RACERS; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&start);
        for (int i = 0; i < RACERS; i++) {
            if (r[i].rc == HH_OK) {
                wins++;
                winner = r[i].new_size;
            }
        }
        for (int i = 0; i < RACERS; i++)
            conflicts += r[i].rc == HH_ERR_CONFLICT && r[i].current == winner;
        bad += wins != 1 || conflicts != RACERS - 1 || !tw_state_is(f.w, TW_ORIGIN, winner, false);
        size = winner;
    }
    BCHECK(bad == 0);
    tw_close(&f);
}

TEST(witness_db_racing_advances)
{
    tb_each(witness_db_racing_advances_on);
}

/* ---- each_state ---- */

struct seen_states {
    int n;
    char origins[4][64];
    uint64_t sizes[4];
    bool frozen[4];
};

static void collect_state(void *ctx, const char *origin, const struct hh_wdb_state *s)
{
    struct seen_states *x = ctx;

    if (x->n < 4) {
        snprintf(x->origins[x->n], sizeof(x->origins[0]), "%s", origin);
        x->sizes[x->n] = s->size;
        x->frozen[x->n] = s->frozen;
    }
    x->n++;
}

static void witness_db_each_state_on(const struct tb_backend *be)
{
    struct tw_fixture f;
    struct seen_states x;
    uint64_t cur = 0;

    BCHECK(tw_open(&f, be));
    memset(&x, 0, sizeof(x));
    BCHECK_OK(hh_wdb_each_state(f.w, collect_state, &x, NULL));
    BCHECK(x.n == 0);
    BCHECK_OK(tw_advance(f.w, "b.example/log", 0, 4, &cur, NULL));
    BCHECK_OK(tw_advance(f.w, "a.example/log", 0, 2, &cur, NULL));
    BCHECK_OK(hh_wdb_freeze(f.w, "c.example/log", NULL));
    BCHECK_OK(hh_wdb_each_state(f.w, collect_state, &x, NULL));
    BCHECK(x.n == 3);
    BCHECK(strcmp(x.origins[0], "a.example/log") == 0 && x.sizes[0] == 2 && !x.frozen[0]);
    BCHECK(strcmp(x.origins[1], "b.example/log") == 0 && x.sizes[1] == 4 && !x.frozen[1]);
    BCHECK(strcmp(x.origins[2], "c.example/log") == 0 && x.sizes[2] == 0 && x.frozen[2]);
    tw_close(&f);
}

TEST(witness_db_each_state)
{
    tb_each(witness_db_each_state_on);
}

/* ---- cosignatures ---- */

#define LINE(w, n) "\xe2\x80\x94 " w " cosig-" #n "\n"

static void witness_db_cosignatures_on(const struct tb_backend *be)
{
    struct tw_fixture f;
    struct hh_error err = {0};
    uint64_t size = 1, ts = 1;
    char *lines = NULL;
    size_t len = 9;

    BCHECK(tw_open(&f, be));
    BCHECK(hh_wdb_last_cosignature(f.w, "w1", &size, &ts, &err) == HH_ERR_NOT_FOUND);
    BCHECK(size == 0 && ts == 0 && err.code == HH_ERR_NOT_FOUND);
    BCHECK_OK(hh_wdb_cosignatures(f.w, 5, &lines, &len, NULL));
    BCHECK(lines != NULL && len == 0 && lines[0] == '\0');
    free(lines);
    BCHECK_OK(hh_wdb_put_cosignature(f.w, 5, "w2", LINE("w2", 5), 101, NULL));
    BCHECK_OK(hh_wdb_put_cosignature(f.w, 5, "w1", LINE("w1", 5), 100, NULL));
    BCHECK_OK(hh_wdb_put_cosignature(f.w, 7, "w1", LINE("w1", 7), 102, NULL));
    BCHECK_OK(hh_wdb_put_cosignature(f.w, 3, "w1", LINE("w1", 3), 99, NULL));
    /* the lines for one size, in witness order */
    BCHECK_OK(hh_wdb_cosignatures(f.w, 5, &lines, &len, NULL));
    BCHECK(lines != NULL && strcmp(lines, LINE("w1", 5) LINE("w2", 5)) == 0 &&
           len == strlen(lines));
    free(lines);
    BCHECK_OK(hh_wdb_cosignatures(f.w, 6, &lines, &len, NULL));
    BCHECK(lines != NULL && len == 0);
    free(lines);
    /* the latest by size, not by insertion */
    BCHECK_OK(hh_wdb_last_cosignature(f.w, "w1", &size, &ts, NULL));
    BCHECK(size == 7 && ts == 102);
    BCHECK_OK(hh_wdb_last_cosignature(f.w, "w2", &size, &ts, NULL));
    BCHECK(size == 5 && ts == 101);
    BCHECK(hh_wdb_last_cosignature(f.w, "w3", &size, &ts, NULL) == HH_ERR_NOT_FOUND);
    /* a second cosignature by the same witness on the same size replaces the first */
    BCHECK_OK(hh_wdb_put_cosignature(f.w, 5, "w1", LINE("w1", 55), 103, NULL));
    BCHECK_OK(hh_wdb_cosignatures(f.w, 5, &lines, &len, NULL));
    BCHECK(lines != NULL && strcmp(lines, LINE("w1", 55) LINE("w2", 5)) == 0);
    free(lines);
    tw_close(&f);
}

TEST(witness_db_cosignatures)
{
    tb_each(witness_db_cosignatures_on);
}

/* ---- evidence ---- */

struct seen_evidence {
    int n;
    int64_t ids[4], times[4];
    char origins[4][64], kinds[4][32];
    char bodies[4][64];
    size_t lens[4];
};

static void collect_evidence(void *ctx, int64_t id, const char *origin, const char *kind,
                             const char *json, size_t len, int64_t t)
{
    struct seen_evidence *x = ctx;

    if (x->n < 4 && len <= sizeof(x->bodies[0])) {
        x->ids[x->n] = id;
        x->times[x->n] = t;
        snprintf(x->origins[x->n], sizeof(x->origins[0]), "%s", origin);
        snprintf(x->kinds[x->n], sizeof(x->kinds[0]), "%s", kind);
        memcpy(x->bodies[x->n], json, len);
        x->lens[x->n] = len;
    }
    x->n++;
}

static const char body1[] = "{\"kind\": \"split-view\"}";
static const char body2[] = "{\"kind\": \"bad-data\", \"nul\": \"\0\"}"; /* bytes, not a string */

static bool evidence_is(struct hh_wdb *w, int64_t id1, int64_t id2)
{
    struct seen_evidence x;
    int64_t now = (int64_t)time(NULL);

    memset(&x, 0, sizeof(x));
    if (hh_wdb_each_evidence(w, collect_evidence, &x, NULL) != HH_OK || x.n != 2)
        return false;
    return x.ids[0] == id1 && x.ids[1] == id2 && strcmp(x.origins[0], TW_ORIGIN) == 0 &&
           strcmp(x.kinds[0], "split-view") == 0 && x.lens[0] == sizeof(body1) - 1 &&
           memcmp(x.bodies[0], body1, x.lens[0]) == 0 &&
           strcmp(x.origins[1], "other.example/log") == 0 && strcmp(x.kinds[1], "bad-data") == 0 &&
           x.lens[1] == sizeof(body2) - 1 && memcmp(x.bodies[1], body2, x.lens[1]) == 0 &&
           x.times[0] > now - 60 && x.times[0] <= now && x.times[1] >= x.times[0];
}

static void witness_db_evidence_on(const struct tb_backend *be)
{
    struct tw_fixture f;
    struct seen_evidence x;
    int64_t id1 = 0, id2 = 0;

    BCHECK(tw_open(&f, be));
    memset(&x, 0, sizeof(x));
    BCHECK_OK(hh_wdb_each_evidence(f.w, collect_evidence, &x, NULL));
    BCHECK(x.n == 0);
    BCHECK_OK(hh_wdb_add_evidence(f.w, TW_ORIGIN, "split-view", "key1", body1, sizeof(body1) - 1,
                                  &id1, NULL));
    BCHECK_OK(hh_wdb_add_evidence(f.w, "other.example/log", "bad-data", "key2", body2,
                                  sizeof(body2) - 1, &id2, NULL));
    BCHECK(id1 > 0 && id2 > id1);
    BCHECK(evidence_is(f.w, id1, id2));
    /* the same conflict again (same key) is not stored twice */
    int64_t id3 = 0;
    BCHECK_ERR(hh_wdb_add_evidence(f.w, TW_ORIGIN, "split-view", "key1", body1, sizeof(body1) - 1,
                                   &id3, NULL),
               HH_ERR_CONFLICT);
    BCHECK(id3 == 0);
    BCHECK(evidence_is(f.w, id1, id2));
    tw_close(&f);
}

TEST(witness_db_evidence)
{
    tb_each(witness_db_evidence_on);
}

/* ---- peers ---- */

static void witness_db_peer_health_on(const struct tb_backend *be)
{
    struct tw_fixture f;
    struct hh_wdb_peer p;
    int64_t now = (int64_t)time(NULL);

    BCHECK(tw_open(&f, be));
    memset(&p, 0xaa, sizeof(p));
    BCHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    BCHECK(p.last_ok == 0 && p.last_error_time == 0 && p.failures == 0 && p.last_error[0] == '\0');
    hh_wdb_peer_error(f.w, "bob", "connection refused");
    hh_wdb_peer_error(f.w, "bob", "timeout after 30 s");
    BCHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    BCHECK(p.failures == 2 && strcmp(p.last_error, "timeout after 30 s") == 0);
    BCHECK(p.last_ok == 0 && p.last_error_time >= now && p.last_error_time <= now + 60);
    hh_wdb_peer_ok(f.w, "bob");
    BCHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    BCHECK(p.failures == 0 && p.last_ok >= now && p.last_ok <= now + 60);
    BCHECK(strcmp(p.last_error, "timeout after 30 s") == 0 && p.last_error_time >= now);
    hh_wdb_peer_error(f.w, "bob", "HTTP 500");
    BCHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    BCHECK(p.failures == 1 && strcmp(p.last_error, "HTTP 500") == 0 && p.last_ok >= now);
    /* a first contact that succeeds, and peers kept apart */
    hh_wdb_peer_ok(f.w, "carol");
    BCHECK_OK(hh_wdb_peer(f.w, "carol", &p, NULL));
    BCHECK(p.failures == 0 && p.last_ok >= now && p.last_error[0] == '\0' &&
           p.last_error_time == 0);
    BCHECK(tw_reopen(&f));
    BCHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    BCHECK(p.failures == 1 && strcmp(p.last_error, "HTTP 500") == 0);
    tw_close(&f);
}

TEST(witness_db_peer_health)
{
    tb_each(witness_db_peer_health_on);
}

/* ---- persistence and schema ---- */

static void witness_db_reopen_keeps_everything_on(const struct tb_backend *be)
{
    struct tw_fixture f;
    struct hh_wdb_peer p;
    uint64_t cur = 0, size = 0, ts = 0;
    int64_t id1 = 0, id2 = 0;
    char *lines = NULL;
    size_t len = 0;

    BCHECK(tw_open(&f, be));
    BCHECK_OK(tw_advance(f.w, TW_ORIGIN, 0, 5, &cur, NULL));
    BCHECK_OK(tw_advance(f.w, "other.example/log", 0, 3, &cur, NULL));
    BCHECK_OK(hh_wdb_freeze(f.w, "other.example/log", NULL));
    BCHECK_OK(hh_wdb_put_cosignature(f.w, 5, "w1", LINE("w1", 5), 100, NULL));
    BCHECK_OK(hh_wdb_add_evidence(f.w, TW_ORIGIN, "split-view", "key1", body1, sizeof(body1) - 1,
                                  &id1, NULL));
    BCHECK_OK(hh_wdb_add_evidence(f.w, "other.example/log", "bad-data", "key2", body2,
                                  sizeof(body2) - 1, &id2, NULL));
    hh_wdb_peer_error(f.w, "bob", "down");
    BCHECK(tw_reopen(&f));
    BCHECK(tw_state_is(f.w, TW_ORIGIN, 5, false) && tw_state_is(f.w, "other.example/log", 3, true));
    BCHECK(tw_advance(f.w, TW_ORIGIN, 0, 6, &cur, NULL) == HH_ERR_CONFLICT && cur == 5);
    BCHECK_OK(hh_wdb_cosignatures(f.w, 5, &lines, &len, NULL));
    BCHECK(lines != NULL && strcmp(lines, LINE("w1", 5)) == 0);
    free(lines);
    BCHECK_OK(hh_wdb_last_cosignature(f.w, "w1", &size, &ts, NULL));
    BCHECK(size == 5 && ts == 100);
    BCHECK(evidence_is(f.w, id1, id2));
    BCHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    BCHECK(p.failures == 1 && strcmp(p.last_error, "down") == 0);
    /* ids keep increasing after a reopen */
    BCHECK_OK(hh_wdb_add_evidence(f.w, TW_ORIGIN, "inconsistent", "key3", "{}", 2, &id1, NULL));
    BCHECK(id1 > id2);
    tw_close(&f);
}

TEST(witness_db_reopen_keeps_everything)
{
    tb_each(witness_db_reopen_keeps_everything_on);
}

/* ---- the limits of witness_db.h ---- */

struct counts {
    int states, evidence;
};

static void count_state(void *ctx, const char *origin, const struct hh_wdb_state *s)
{
    (void)origin;
    (void)s;
    ((struct counts *)ctx)->states++;
}

static void count_evidence(void *ctx, int64_t id, const char *origin, const char *kind,
                           const char *json, size_t len, int64_t t)
{
    (void)id;
    (void)origin;
    (void)kind;
    (void)json;
    (void)len;
    (void)t;
    ((struct counts *)ctx)->evidence++;
}

/* Names: missing, empty, one byte too long; and exactly at the limit is fine. */
static void check_name_limits(struct hh_wdb *w, char *name)
{
    struct hh_error err = {0};
    struct hh_wdb_state s;
    uint64_t cur = 9;

    memset(name, 'o', HH_WDB_NAME_MAX + 1);
    name[HH_WDB_NAME_MAX + 1] = '\0';
    BCHECK_ERR(hh_wdb_state(w, name, &s, &err), HH_ERR_TOO_LARGE);
    BCHECK(strstr(err.msg, "longer than 255 bytes") != NULL && s.note == NULL);
    BCHECK_ERR(tw_advance(w, name, 0, 1, &cur, &err), HH_ERR_TOO_LARGE);
    BCHECK(cur == 0);
    BCHECK_ERR(hh_wdb_freeze(w, name, &err), HH_ERR_TOO_LARGE);
    BCHECK_ERR(hh_wdb_freeze(w, "", &err), HH_ERR_INVALID);
    BCHECK_ERR(hh_wdb_freeze(w, NULL, &err), HH_ERR_INVALID);
    BCHECK(strstr(err.msg, "no origin given") != NULL);
    BCHECK_ERR(hh_wdb_put_cosignature(w, 1, name, "line\n", 1, &err), HH_ERR_TOO_LARGE);
    hh_wdb_peer_error(w, name, "refused"); /* ignored */
    hh_wdb_peer_ok(w, "");
    name[HH_WDB_NAME_MAX] = '\0'; /* the longest name */
    BCHECK_OK(tw_advance(w, name, 0, 1, &cur, &err));
    BCHECK(tw_state_is(w, name, 1, false));
}

static void check_advance_limits(struct hh_wdb *w)
{
    struct hh_error err = {0};
    struct hh_hash root = {{1}};
    uint64_t cur = 9;

    BCHECK_ERR(hh_wdb_advance(w, TW_ORIGIN, 0, 1, NULL, "n", 1, NULL, NULL, &cur, &err),
               HH_ERR_INVALID);
    BCHECK_ERR(hh_wdb_advance(w, TW_ORIGIN, 0, 1, &root, NULL, 0, NULL, NULL, &cur, &err),
               HH_ERR_INVALID);
    BCHECK_ERR(hh_wdb_advance(w, TW_ORIGIN, 0, 1, &root, "n", HH_NOTE_MAX_BYTES + 1, NULL, NULL,
                              &cur, &err),
               HH_ERR_TOO_LARGE);
    BCHECK_ERR(hh_wdb_advance(w, TW_ORIGIN, 0, (uint64_t)INT64_MAX + 1, &root, "n", 1, NULL, NULL,
                              &cur, &err),
               HH_ERR_TOO_LARGE);
    BCHECK(cur == 0 && strstr(err.msg, "9223372036854775808") != NULL);
}

static void check_record_limits(struct hh_wdb *w)
{
    static char line[HH_WDB_LINE_MAX + 2];
    struct hh_error err = {0};
    int64_t id = 9;

    memset(line, 'l', HH_WDB_LINE_MAX + 1);
    BCHECK_ERR(hh_wdb_put_cosignature(w, 1, "w1", line, 1, &err), HH_ERR_TOO_LARGE);
    BCHECK_ERR(hh_wdb_put_cosignature(w, 1, "w1", NULL, 1, &err), HH_ERR_INVALID);
    BCHECK_ERR(hh_wdb_put_cosignature(w, (uint64_t)INT64_MAX + 1, "w1", "l\n", 1, &err),
               HH_ERR_TOO_LARGE);
    BCHECK_ERR(hh_wdb_put_cosignature(w, 1, "w1", "l\n", UINT64_MAX, &err), HH_ERR_TOO_LARGE);
    BCHECK_ERR(hh_wdb_add_evidence(w, TW_ORIGIN, "split-view", "key1", "{}",
                                   HH_EVIDENCE_MAX_BYTES + 1, &id, &err),
               HH_ERR_TOO_LARGE);
    BCHECK(id == 0);
    BCHECK_ERR(hh_wdb_add_evidence(w, TW_ORIGIN, "split-view", "key1", NULL, 0, &id, &err),
               HH_ERR_INVALID);
    BCHECK_ERR(hh_wdb_add_evidence(w, TW_ORIGIN, "", "key1", "{}", 2, &id, &err), HH_ERR_INVALID);
    BCHECK_ERR(hh_wdb_add_evidence(w, TW_ORIGIN, "split-view", NULL, "{}", 2, &id, &err),
               HH_ERR_INVALID);
    BCHECK_ERR(hh_wdb_each_state(w, NULL, NULL, &err), HH_ERR_INVALID);
    BCHECK_ERR(hh_wdb_each_evidence(w, NULL, NULL, &err), HH_ERR_INVALID);
}

/* A reason is kept to HH_ERROR_MSG_MAX - 1 bytes, never splitting a UTF-8 character. */
static void check_peer_reason(struct hh_wdb *w)
{
    char reason[HH_ERROR_MSG_MAX + 8];
    struct hh_wdb_peer p;

    memset(reason, 'r', HH_ERROR_MSG_MAX - 2);
    memcpy(reason + HH_ERROR_MSG_MAX - 2, "\xe2\x80\x94 end", 8); /* an em dash across the cut */
    hh_wdb_peer_error(w, "bob", reason);
    BCHECK_OK(hh_wdb_peer(w, "bob", &p, NULL));
    BCHECK(p.failures == 1 && strlen(p.last_error) == HH_ERROR_MSG_MAX - 2);
    BCHECK(memcmp(p.last_error, reason, HH_ERROR_MSG_MAX - 2) == 0);
    hh_wdb_peer_error(w, "carol", NULL);
    BCHECK_OK(hh_wdb_peer(w, "carol", &p, NULL));
    BCHECK(p.failures == 1 && p.last_error[0] == '\0');
}

static void witness_db_limits_on(const struct tb_backend *be)
{
    static char name[HH_WDB_NAME_MAX + 2];
    struct tw_fixture f;
    struct counts n = {0, 0};

    BCHECK(tw_open(&f, be));
    check_advance_limits(f.w);
    check_record_limits(f.w);
    BCHECK_OK(hh_wdb_each_state(f.w, count_state, &n, NULL));
    BCHECK_OK(hh_wdb_each_evidence(f.w, count_evidence, &n, NULL));
    BCHECK(n.states == 0 && n.evidence == 0); /* nothing refused was written */
    check_name_limits(f.w, name);
    check_peer_reason(f.w);
    tw_close(&f);
}

TEST(witness_db_limits)
{
    tb_each(witness_db_limits_on);
}

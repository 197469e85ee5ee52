/*
 * test_witness_db.c - the witness database (witness_db.h): the state of a
 * witnessed log and its compare-and-swap advance (conflicts, refusals by the
 * check callback, freezing, 16 racing threads), cosignatures, evidence, peer
 * health, persistence across reopen, and schema versions.
 *
 * Every test works in its own mkdtemp directory under /tmp and removes it.
 */
#include "harness.h"

#include "storage/witness_db.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ORIGIN "example.com/log"

struct fixture {
    char dir[64];
    char path[128];
    struct hh_wdb *w;
};

static int fixture_open(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/hh_wdb_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return 0;
    snprintf(f->path, sizeof(f->path), "%s/witness.db", f->dir);
    return hh_wdb_open(f->path, &f->w, NULL) == HH_OK && f->w != NULL;
}

static int fixture_reopen(struct fixture *f)
{
    hh_wdb_close(f->w);
    f->w = NULL;
    return hh_wdb_open(f->path, &f->w, NULL) == HH_OK;
}

static void fixture_close(struct fixture *f)
{
    hh_wdb_close(f->w);
    f->w = NULL;
    hh_test_rmdir(f->dir);
}

static void root_n(uint64_t n, struct hh_hash *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->b, &n, sizeof(n));
    out->b[31] = 0x5a;
}

/* A stand-in for the signed checkpoint of size n (the db stores it as given). */
static size_t note_n(uint64_t n, char *buf, size_t cap)
{
    return (size_t)snprintf(buf, cap, ORIGIN "\n%llu\nroot\n\n\xe2\x80\x94 sig\n",
                            (unsigned long long)n);
}

static hh_status advance(struct hh_wdb *w, const char *origin, uint64_t old, uint64_t n,
                         uint64_t *current, struct hh_error *err)
{
    struct hh_hash root;
    char note[256];
    size_t len = note_n(n, note, sizeof(note));

    root_n(n, &root);
    return hh_wdb_advance(w, origin, old, n, &root, note, len, NULL, NULL, current, err);
}

/* The state of origin is (n, root_n(n), note_n(n)), frozen or not. */
static int state_is(struct hh_wdb *w, const char *origin, uint64_t n, int frozen)
{
    struct hh_wdb_state s;
    struct hh_hash root;
    char note[256];
    size_t len = note_n(n, note, sizeof(note));
    int ok;

    root_n(n, &root);
    if (hh_wdb_state(w, origin, &s, NULL) != HH_OK)
        return 0;
    ok = s.size == n && hh_hash_equal(&s.root, &root) && s.note != NULL && s.note_len == len &&
         memcmp(s.note, note, len) == 0 && s.note[len] == '\0' && s.frozen == (frozen != 0) &&
         s.time > 0 && s.time <= (int64_t)time(NULL);
    hh_wdb_state_clear(&s);
    return ok;
}

TEST(witness_db_unknown_origin)
{
    struct fixture f;
    struct hh_wdb_state s;
    struct hh_hash empty;

    CHECK(fixture_open(&f));
    memset(&s, 0xaa, sizeof(s));
    CHECK_OK(hh_wdb_state(f.w, ORIGIN, &s, NULL));
    hh_merkle_empty_root(&empty);
    CHECK(s.size == 0 && s.note == NULL && s.note_len == 0 && !s.frozen && s.time == 0);
    CHECK(hh_hash_equal(&s.root, &empty));
    hh_wdb_state_clear(&s);
    hh_wdb_state_clear(NULL);
    hh_wdb_close(NULL);
    fixture_close(&f);
}

TEST(witness_db_advance_and_stale_old)
{
    struct fixture f;
    struct hh_error err = {0};
    uint64_t cur = 99;

    CHECK(fixture_open(&f));
    CHECK_OK(advance(f.w, ORIGIN, 0, 5, &cur, NULL));
    CHECK(cur == 0);
    CHECK(state_is(f.w, ORIGIN, 5, 0));
    /* a stale old size: refused, and the current size reported */
    CHECK(advance(f.w, ORIGIN, 0, 7, &cur, &err) == HH_ERR_CONFLICT);
    CHECK(cur == 5 && err.code == HH_ERR_CONFLICT && strstr(err.msg, "5") != NULL);
    CHECK(advance(f.w, ORIGIN, 6, 7, &cur, NULL) == HH_ERR_CONFLICT && cur == 5);
    CHECK(advance(f.w, ORIGIN, 4, 7, &cur, NULL) == HH_ERR_CONFLICT && cur == 5);
    CHECK(state_is(f.w, ORIGIN, 5, 0));
    /* the right old size advances */
    CHECK_OK(advance(f.w, ORIGIN, 5, 9, &cur, NULL));
    CHECK(cur == 5 && state_is(f.w, ORIGIN, 9, 0));
    /* origins are independent */
    CHECK_OK(advance(f.w, "other.example/log", 0, 2, &cur, NULL));
    CHECK(state_is(f.w, "other.example/log", 2, 0) && state_is(f.w, ORIGIN, 9, 0));
    fixture_close(&f);
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

TEST(witness_db_check_refusing_writes_nothing)
{
    struct fixture f;
    struct hh_error err = {0};
    struct check_ctx c = {0, 0, HH_ERR_VERIFY};
    struct hh_hash root;
    char note[256];
    size_t len;
    uint64_t cur = 0;

    CHECK(fixture_open(&f));
    CHECK_OK(advance(f.w, ORIGIN, 0, 3, &cur, NULL));
    root_n(8, &root);
    len = note_n(8, note, sizeof(note));
    CHECK(hh_wdb_advance(f.w, ORIGIN, 3, 8, &root, note, len, check_cb, &c, &cur, &err) ==
          HH_ERR_VERIFY);
    CHECK(c.calls == 1 && c.seen_size == 3 && cur == 3);
    CHECK(err.code == HH_ERR_VERIFY && strcmp(err.msg, "the check refused") == 0);
    CHECK(state_is(f.w, ORIGIN, 3, 0));
    /* another refusal code passes through too */
    c.answer = HH_ERR_CONFLICT;
    CHECK(hh_wdb_advance(f.w, ORIGIN, 3, 8, &root, note, len, check_cb, &c, &cur, NULL) ==
          HH_ERR_CONFLICT);
    CHECK(state_is(f.w, ORIGIN, 3, 0));
    /* the check is not asked when the old size is stale */
    c.calls = 0;
    CHECK(hh_wdb_advance(f.w, ORIGIN, 2, 8, &root, note, len, check_cb, &c, &cur, NULL) ==
          HH_ERR_CONFLICT);
    CHECK(c.calls == 0);
    /* and an accepting check lets it through */
    c.answer = HH_OK;
    CHECK_OK(hh_wdb_advance(f.w, ORIGIN, 3, 8, &root, note, len, check_cb, &c, &cur, NULL));
    CHECK(c.calls == 1 && state_is(f.w, ORIGIN, 8, 0));
    fixture_close(&f);
}

TEST(witness_db_freeze)
{
    struct fixture f;
    struct hh_error err = {0};
    struct check_ctx c = {0, 0, HH_OK};
    struct hh_wdb_state s;
    struct hh_hash root;
    uint64_t cur = 0;

    CHECK(fixture_open(&f));
    CHECK_OK(advance(f.w, ORIGIN, 0, 5, &cur, NULL));
    CHECK_OK(hh_wdb_freeze(f.w, ORIGIN, NULL));
    CHECK(state_is(f.w, ORIGIN, 5, 1));
    root_n(7, &root);
    CHECK(hh_wdb_advance(f.w, ORIGIN, 5, 7, &root, "n\n", 2, check_cb, &c, &cur, &err) ==
          HH_ERR_VERIFY);
    CHECK(cur == 5 && err.code == HH_ERR_VERIFY && strstr(err.msg, "frozen") != NULL);
    CHECK(c.calls == 0);
    CHECK(state_is(f.w, ORIGIN, 5, 1));
    /* freezing twice is harmless */
    CHECK_OK(hh_wdb_freeze(f.w, ORIGIN, NULL));
    CHECK(state_is(f.w, ORIGIN, 5, 1));
    /* a log frozen before it was ever cosigned: size 0, no checkpoint, never advances */
    CHECK_OK(hh_wdb_freeze(f.w, "other.example/log", NULL));
    CHECK_OK(hh_wdb_state(f.w, "other.example/log", &s, NULL));
    CHECK(s.size == 0 && s.frozen && s.note == NULL && s.note_len == 0);
    hh_wdb_state_clear(&s);
    CHECK(advance(f.w, "other.example/log", 0, 1, &cur, NULL) == HH_ERR_VERIFY && cur == 0);
    CHECK(fixture_reopen(&f));
    CHECK(state_is(f.w, ORIGIN, 5, 1));
    fixture_close(&f);
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
    r->rc = advance(r->w, ORIGIN, r->old, r->new_size, &r->current, NULL);
    return NULL;
}

TEST(witness_db_racing_advances)
{
    struct fixture f;
    struct racer r[RACERS];
    pthread_t t[RACERS];
    pthread_barrier_t start;
    uint64_t size = 0;
    int bad = 0;

    CHECK(fixture_open(&f));
    for (int round = 0; round < 8; round++) {
        int wins = 0, conflicts = 0;
        uint64_t winner = 0;
        pthread_barrier_init(&start, NULL, RACERS);
        for (int i = 0; i < RACERS; i++) {
            r[i] = (struct racer){f.w, &start, size, size + 1 + (uint64_t)i, 0, HH_ERR_INTERNAL};
            CHECK(pthread_create(&t[i], NULL, race, &r[i]) == 0);
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
        bad += wins != 1 || conflicts != RACERS - 1 || !state_is(f.w, ORIGIN, winner, 0);
        size = winner;
    }
    CHECK(bad == 0);
    fixture_close(&f);
}

/* ---- each_state ---- */

struct seen_states {
    int n;
    char origins[4][64];
    uint64_t sizes[4];
    int frozen[4];
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

TEST(witness_db_each_state)
{
    struct fixture f;
    struct seen_states x;
    uint64_t cur = 0;

    CHECK(fixture_open(&f));
    memset(&x, 0, sizeof(x));
    CHECK_OK(hh_wdb_each_state(f.w, collect_state, &x, NULL));
    CHECK(x.n == 0);
    CHECK_OK(advance(f.w, "b.example/log", 0, 4, &cur, NULL));
    CHECK_OK(advance(f.w, "a.example/log", 0, 2, &cur, NULL));
    CHECK_OK(hh_wdb_freeze(f.w, "c.example/log", NULL));
    CHECK_OK(hh_wdb_each_state(f.w, collect_state, &x, NULL));
    CHECK(x.n == 3);
    CHECK(strcmp(x.origins[0], "a.example/log") == 0 && x.sizes[0] == 2 && !x.frozen[0]);
    CHECK(strcmp(x.origins[1], "b.example/log") == 0 && x.sizes[1] == 4 && !x.frozen[1]);
    CHECK(strcmp(x.origins[2], "c.example/log") == 0 && x.sizes[2] == 0 && x.frozen[2]);
    fixture_close(&f);
}

/* ---- cosignatures ---- */

#define LINE(w, n) "\xe2\x80\x94 " w " cosig-" #n "\n"

TEST(witness_db_cosignatures)
{
    struct fixture f;
    struct hh_error err = {0};
    uint64_t size = 1, ts = 1;
    char *lines = NULL;
    size_t len = 9;

    CHECK(fixture_open(&f));
    CHECK(hh_wdb_last_cosignature(f.w, "w1", &size, &ts, &err) == HH_ERR_NOT_FOUND);
    CHECK(size == 0 && ts == 0 && err.code == HH_ERR_NOT_FOUND);
    CHECK_OK(hh_wdb_cosignatures(f.w, 5, &lines, &len, NULL));
    CHECK(lines != NULL && len == 0 && lines[0] == '\0');
    free(lines);
    CHECK_OK(hh_wdb_put_cosignature(f.w, 5, "w2", LINE("w2", 5), 101, NULL));
    CHECK_OK(hh_wdb_put_cosignature(f.w, 5, "w1", LINE("w1", 5), 100, NULL));
    CHECK_OK(hh_wdb_put_cosignature(f.w, 7, "w1", LINE("w1", 7), 102, NULL));
    CHECK_OK(hh_wdb_put_cosignature(f.w, 3, "w1", LINE("w1", 3), 99, NULL));
    /* the lines for one size, in witness order */
    CHECK_OK(hh_wdb_cosignatures(f.w, 5, &lines, &len, NULL));
    CHECK(lines != NULL && strcmp(lines, LINE("w1", 5) LINE("w2", 5)) == 0 && len == strlen(lines));
    free(lines);
    CHECK_OK(hh_wdb_cosignatures(f.w, 6, &lines, &len, NULL));
    CHECK(lines != NULL && len == 0);
    free(lines);
    /* the latest by size, not by insertion */
    CHECK_OK(hh_wdb_last_cosignature(f.w, "w1", &size, &ts, NULL));
    CHECK(size == 7 && ts == 102);
    CHECK_OK(hh_wdb_last_cosignature(f.w, "w2", &size, &ts, NULL));
    CHECK(size == 5 && ts == 101);
    CHECK(hh_wdb_last_cosignature(f.w, "w3", &size, &ts, NULL) == HH_ERR_NOT_FOUND);
    /* a second cosignature by the same witness on the same size replaces the first */
    CHECK_OK(hh_wdb_put_cosignature(f.w, 5, "w1", LINE("w1", 55), 103, NULL));
    CHECK_OK(hh_wdb_cosignatures(f.w, 5, &lines, &len, NULL));
    CHECK(lines != NULL && strcmp(lines, LINE("w1", 55) LINE("w2", 5)) == 0);
    free(lines);
    fixture_close(&f);
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

static int evidence_is(struct hh_wdb *w, int64_t id1, int64_t id2)
{
    struct seen_evidence x;
    int64_t now = (int64_t)time(NULL);

    memset(&x, 0, sizeof(x));
    if (hh_wdb_each_evidence(w, collect_evidence, &x, NULL) != HH_OK || x.n != 2)
        return 0;
    return x.ids[0] == id1 && x.ids[1] == id2 && strcmp(x.origins[0], ORIGIN) == 0 &&
           strcmp(x.kinds[0], "split-view") == 0 && x.lens[0] == sizeof(body1) - 1 &&
           memcmp(x.bodies[0], body1, x.lens[0]) == 0 &&
           strcmp(x.origins[1], "other.example/log") == 0 && strcmp(x.kinds[1], "bad-data") == 0 &&
           x.lens[1] == sizeof(body2) - 1 && memcmp(x.bodies[1], body2, x.lens[1]) == 0 &&
           x.times[0] > now - 60 && x.times[0] <= now && x.times[1] >= x.times[0];
}

TEST(witness_db_evidence)
{
    struct fixture f;
    struct seen_evidence x;
    int64_t id1 = 0, id2 = 0;

    CHECK(fixture_open(&f));
    memset(&x, 0, sizeof(x));
    CHECK_OK(hh_wdb_each_evidence(f.w, collect_evidence, &x, NULL));
    CHECK(x.n == 0);
    CHECK_OK(hh_wdb_add_evidence(f.w, ORIGIN, "split-view", "key1", body1, sizeof(body1) - 1, &id1,
                                 NULL));
    CHECK_OK(hh_wdb_add_evidence(f.w, "other.example/log", "bad-data", "key2", body2,
                                 sizeof(body2) - 1, &id2, NULL));
    CHECK(id1 > 0 && id2 > id1);
    CHECK(evidence_is(f.w, id1, id2));
    /* the same conflict again (same key) is not stored twice */
    int64_t id3 = 0;
    CHECK_ERR(hh_wdb_add_evidence(f.w, ORIGIN, "split-view", "key1", body1, sizeof(body1) - 1, &id3,
                                  NULL),
              HH_ERR_CONFLICT);
    CHECK(id3 == 0);
    CHECK(evidence_is(f.w, id1, id2));
    fixture_close(&f);
}

/* ---- peers ---- */

TEST(witness_db_peer_health)
{
    struct fixture f;
    struct hh_wdb_peer p;
    int64_t now = (int64_t)time(NULL);

    CHECK(fixture_open(&f));
    memset(&p, 0xaa, sizeof(p));
    CHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    CHECK(p.last_ok == 0 && p.last_error_time == 0 && p.failures == 0 && p.last_error[0] == '\0');
    hh_wdb_peer_error(f.w, "bob", "connection refused");
    hh_wdb_peer_error(f.w, "bob", "timeout after 30 s");
    CHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    CHECK(p.failures == 2 && strcmp(p.last_error, "timeout after 30 s") == 0);
    CHECK(p.last_ok == 0 && p.last_error_time >= now && p.last_error_time <= now + 60);
    hh_wdb_peer_ok(f.w, "bob");
    CHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    CHECK(p.failures == 0 && p.last_ok >= now && p.last_ok <= now + 60);
    CHECK(strcmp(p.last_error, "timeout after 30 s") == 0 && p.last_error_time >= now);
    hh_wdb_peer_error(f.w, "bob", "HTTP 500");
    CHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    CHECK(p.failures == 1 && strcmp(p.last_error, "HTTP 500") == 0 && p.last_ok >= now);
    /* a first contact that succeeds, and peers kept apart */
    hh_wdb_peer_ok(f.w, "carol");
    CHECK_OK(hh_wdb_peer(f.w, "carol", &p, NULL));
    CHECK(p.failures == 0 && p.last_ok >= now && p.last_error[0] == '\0' && p.last_error_time == 0);
    CHECK(fixture_reopen(&f));
    CHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    CHECK(p.failures == 1 && strcmp(p.last_error, "HTTP 500") == 0);
    fixture_close(&f);
}

/* ---- persistence and schema ---- */

TEST(witness_db_reopen_keeps_everything)
{
    struct fixture f;
    struct hh_wdb_peer p;
    uint64_t cur = 0, size = 0, ts = 0;
    int64_t id1 = 0, id2 = 0;
    char *lines = NULL;
    size_t len = 0;

    CHECK(fixture_open(&f));
    CHECK_OK(advance(f.w, ORIGIN, 0, 5, &cur, NULL));
    CHECK_OK(advance(f.w, "other.example/log", 0, 3, &cur, NULL));
    CHECK_OK(hh_wdb_freeze(f.w, "other.example/log", NULL));
    CHECK_OK(hh_wdb_put_cosignature(f.w, 5, "w1", LINE("w1", 5), 100, NULL));
    CHECK_OK(hh_wdb_add_evidence(f.w, ORIGIN, "split-view", "key1", body1, sizeof(body1) - 1, &id1,
                                 NULL));
    CHECK_OK(hh_wdb_add_evidence(f.w, "other.example/log", "bad-data", "key2", body2,
                                 sizeof(body2) - 1, &id2, NULL));
    hh_wdb_peer_error(f.w, "bob", "down");
    CHECK(fixture_reopen(&f));
    CHECK(state_is(f.w, ORIGIN, 5, 0) && state_is(f.w, "other.example/log", 3, 1));
    CHECK(advance(f.w, ORIGIN, 0, 6, &cur, NULL) == HH_ERR_CONFLICT && cur == 5);
    CHECK_OK(hh_wdb_cosignatures(f.w, 5, &lines, &len, NULL));
    CHECK(lines != NULL && strcmp(lines, LINE("w1", 5)) == 0);
    free(lines);
    CHECK_OK(hh_wdb_last_cosignature(f.w, "w1", &size, &ts, NULL));
    CHECK(size == 5 && ts == 100);
    CHECK(evidence_is(f.w, id1, id2));
    CHECK_OK(hh_wdb_peer(f.w, "bob", &p, NULL));
    CHECK(p.failures == 1 && strcmp(p.last_error, "down") == 0);
    /* ids keep increasing after a reopen */
    CHECK_OK(hh_wdb_add_evidence(f.w, ORIGIN, "inconsistent", "key3", "{}", 2, &id1, NULL));
    CHECK(id1 > id2);
    fixture_close(&f);
}

static int set_user_version(const char *path, int v)
{
    char sql[64];
    sqlite3 *db = NULL;
    int ok;

    snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v);
    ok = sqlite3_open(path, &db) == SQLITE_OK &&
         sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

TEST(witness_db_schema_too_new_refused)
{
    struct fixture f;
    struct hh_error err = {0};
    struct hh_wdb *w = (struct hh_wdb *)&f;
    uint64_t cur = 0;

    CHECK(fixture_open(&f));
    CHECK_OK(advance(f.w, ORIGIN, 0, 5, &cur, NULL));
    hh_wdb_close(f.w);
    f.w = NULL;
    CHECK(set_user_version(f.path, 99));
    CHECK(hh_wdb_open(f.path, &w, &err) == HH_ERR_INVALID);
    CHECK(w == NULL && err.code == HH_ERR_INVALID && strstr(err.msg, "99") != NULL);
    /* back at the version it knows, the data is still there */
    CHECK(set_user_version(f.path, 1));
    CHECK_OK(hh_wdb_open(f.path, &f.w, NULL));
    CHECK(state_is(f.w, ORIGIN, 5, 0));
    fixture_close(&f);
}

TEST(witness_db_open_errors)
{
    struct hh_error err = {0};
    struct hh_wdb *w = (struct hh_wdb *)&err;
    char dir[64];
    char path[128];
    FILE *fp;

    CHECK(hh_wdb_open("/nonexistent-dir-hh/witness.db", &w, &err) == HH_ERR_IO);
    CHECK(w == NULL && err.code == HH_ERR_IO && err.msg[0] != '\0');
    /* a file that is not a database */
    snprintf(dir, sizeof(dir), "/tmp/hh_wdb_XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/witness.db", dir);
    fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (fp != NULL) {
        for (int i = 0; i < 256; i++)
            fputs("this is not an SQLite database\n", fp);
        fclose(fp);
    }
    w = (struct hh_wdb *)&err;
    CHECK(hh_wdb_open(path, &w, &err) == HH_ERR_IO);
    CHECK(w == NULL);
    unlink(path);
    rmdir(dir);
}

/*
 * test_mirror.c - a mirror (witness/mirror.h) of a real node directory
 * served over HTTP on loopback, fetched with the real tile client.
 *
 * The mirror follows the served log (fetching, then a no-op for what it
 * holds, then extending past a bundle boundary, and accepting an older
 * checkpoint that agrees), keeps exactly the log's entries, and answers
 * from what it holds once the log is gone. A checkpoint signed with the
 * log's own key that disagrees with the mirror yields HH_ERR_VERIFY and
 * proven split-view (same size) or inconsistent (smaller size) evidence; a
 * mirror whose signers do not include the party's operator yields proven
 * unauthorised-entry evidence; a log it cannot reach (nothing listening,
 * 404s, a node that stopped) yields an error that is not HH_ERR_VERIFY,
 * promptly, without evidence and without moving. Its store is named by a
 * storage URI, "sqlite:PATH" as well as a plain path.
 *
 * Every test removes its scratch directories and stops what it started.
 */
#include "harness.h"
#include "node_fixture.h"

#include "node_impl.h"
#include "storage/store.h"
#include "witness/mirror.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ORIGIN   "example.org/us"
#define OBSERVER "example.org/them/witness"

struct mirfix {
    struct fx_node log;
    char dir[64];
    char store[128];
    struct hh_mirror *m;
};

/* A served log (a checkpoint at most every 5 ms) and a scratch directory for the mirror. */
static bool mir_init(struct mirfix *f)
{
    memset(f, 0, sizeof(*f));
    if (!fx_node_init(&f->log, "us", ORIGIN) || !fx_mkdtemp(f->dir, sizeof(f->dir), "mirror"))
        return false;
    snprintf(f->store, sizeof(f->store), "%s/us.db", f->dir);
    return fx_conf_set(f->log.dir, "checkpoint-interval-ms", "5") &&
           fx_node_serve(&f->log, "127.0.0.1:0");
}

/* (Re)opens the mirror of the log at url with the given signers. */
static bool mir_open(struct mirfix *f, const char *url, const struct hh_verifier *signers,
                     size_t nsigners)
{
    struct hh_mirror_config c = {ORIGIN, url, &f->log.log_vkey, signers, nsigners, f->store};
    struct hh_error err = {0};

    hh_mirror_close(f->m);
    f->m = NULL;
    if (hh_mirror_open(&c, &f->m, &err) == HH_OK)
        return true;
    hh_test_note("opening the mirror: %s", err.msg);
    return false;
}

static void mir_free(struct mirfix *f)
{
    hh_mirror_close(f->m);
    fx_node_free(&f->log);
    fx_rmtree(f->dir);
}

/* The log's latest checkpoint as served, verified with its key. */
struct served {
    char *note;
    size_t len;
    struct hh_checkpoint cp;
};

static bool served_now(struct mirfix *f, struct served *s)
{
    return fx_fetch_checkpoint(f->log.url, &f->log.log_vkey, &s->note, &s->len, &s->cp);
}

/* hh_mirror_check with the observer; *evidence is freed by the caller. */
static hh_status check(struct mirfix *f, const struct served *s, char **evidence,
                       struct hh_error *err)
{
    return hh_mirror_check(f->m, &s->cp, s->note, s->len, OBSERVER, evidence, err);
}

/* Checks s expecting HH_OK and no evidence; notes the error otherwise. */
static bool check_ok(struct mirfix *f, const struct served *s)
{
    struct hh_error err = {0};
    char *evidence = NULL;
    hh_status rc = check(f, s, &evidence, &err);

    if (rc != HH_OK)
        hh_test_note("check of size %llu: %s", (unsigned long long)s->cp.size, err.msg);
    free(evidence);
    return rc == HH_OK && evidence == NULL;
}

static uint64_t mirror_size(struct mirfix *f)
{
    uint64_t size = UINT64_MAX;

    if (hh_mirror_size(f->m, &size, NULL) != HH_OK)
        return UINT64_MAX;
    return size;
}

/* The evidence verifies offline as proven misbehaviour of kind by ORIGIN, seen by OBSERVER. */
static bool proven(const char *evidence, enum hh_evidence_kind kind)
{
    struct hh_evidence_verdict v;
    struct hh_error err = {0};

    if (evidence == NULL)
        return false;
    if (hh_evidence_verify(evidence, strlen(evidence), &v, &err) != HH_OK) {
        hh_test_note("evidence does not verify: %s", err.msg);
        return false;
    }
    if (!v.proven || v.kind != kind)
        hh_test_note("evidence: %s, proven %d: %s", hh_evidence_kind_name(v.kind), v.proven,
                     v.explanation);
    return v.proven && v.kind == kind && strcmp(v.origin, ORIGIN) == 0 &&
           strstr(evidence, OBSERVER) != NULL;
}

/* A checkpoint the log's key signs for size with a made-up root. */
static bool forged(struct mirfix *f, uint64_t size, struct served *s)
{
    struct hh_hash root;

    memset(s, 0, sizeof(*s));
    hh_sha256("another history", 15, &root);
    s->note = fx_sign_checkpoint(f->log.log, ORIGIN, size, &root, &s->len);
    return s->note != NULL && fx_note_checkpoint(s->note, s->len, &f->log.log_vkey, &s->cp);
}

static int leaf_of(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    struct hh_hash *leaves = ctx;

    hh_merkle_leaf_hash(data, len, &leaves[index]);
    return 0;
}

/* The store at f->store holds exactly the log's n entries and its checkpoint note s. */
static bool store_matches(struct mirfix *f, uint64_t n, const struct served *s)
{
    struct hh_hash *a = calloc(n, sizeof(*a)), *b = calloc(n, sizeof(*b));
    struct hh_store_checkpoint c;
    struct hh_store *st = NULL;
    uint64_t size = 0;
    bool ok = a != NULL && b != NULL && hh_store_open(f->store, &st, NULL) == HH_OK &&
              hh_store_size(st, &size, NULL) == HH_OK && size == n &&
              hh_store_read_entries(st, 0, n, leaf_of, a, NULL) == HH_OK &&
              hh_store_read_entries(hh_node_store(f->log.n), 0, n, leaf_of, b, NULL) == HH_OK &&
              memcmp(a, b, n * sizeof(*a)) == 0;

    memset(&c, 0, sizeof(c));
    ok = ok && hh_store_latest_checkpoint(st, &c, NULL) == HH_OK && c.size == n &&
         c.note_len == s->len && memcmp(c.note, s->note, s->len) == 0;
    hh_store_checkpoint_clear(&c);
    hh_store_close(st);
    free(a);
    free(b);
    return ok;
}

TEST(mirror_follows_served_log)
{
    struct served s3 = {0}, s303 = {0};
    struct mirfix f;

    if (!CHECK(mir_init(&f)) || !CHECK(fx_node_append(&f.log, 3)) || !CHECK(served_now(&f, &s3)))
        goto out;
    CHECK(s3.cp.size == 3);
    if (!CHECK(mir_open(&f, f.log.url, &f.log.op_vkey, 1)))
        goto out;
    CHECK(mirror_size(&f) == 0);
    CHECK(check_ok(&f, &s3));
    CHECK(mirror_size(&f) == 3);
    CHECK(check_ok(&f, &s3)); /* held already: a no-op */
    CHECK(mirror_size(&f) == 3);
    /* More entries, across the first entry bundle's end. */
    if (!CHECK(fx_node_append(&f.log, 300)) || !CHECK(served_now(&f, &s303)))
        goto out;
    CHECK(s303.cp.size == 303);
    CHECK(check_ok(&f, &s303));
    CHECK(mirror_size(&f) == 303);
    CHECK(check_ok(&f, &s3)); /* an older checkpoint that agrees */
    CHECK(mirror_size(&f) == 303);
    hh_mirror_close(f.m);
    f.m = NULL;
    CHECK(store_matches(&f, 303, &s303));
    /* With the log gone, what the mirror holds is still answered (nothing is fetched). */
    hh_node_stop(f.log.n);
    if (!CHECK(mir_open(&f, f.log.url, &f.log.op_vkey, 1)))
        goto out;
    CHECK(mirror_size(&f) == 303);
    CHECK(check_ok(&f, &s303) && check_ok(&f, &s3));
out:
    free(s3.note);
    free(s303.note);
    mir_free(&f);
}

TEST(mirror_conflicting_checkpoint_is_proven)
{
    struct served s4 = {0}, same = {0}, older = {0};
    struct hh_error err = {0};
    char *evidence = NULL;
    struct mirfix f;

    if (!CHECK(mir_init(&f)) || !CHECK(fx_node_append(&f.log, 4)) || !CHECK(served_now(&f, &s4)) ||
        !CHECK(mir_open(&f, f.log.url, &f.log.op_vkey, 1)) || !CHECK(check_ok(&f, &s4)))
        goto out;
    /* Another root for the size it holds: split view. */
    if (!CHECK(forged(&f, 4, &same)))
        goto out;
    CHECK_ERR(check(&f, &same, &evidence, &err), HH_ERR_VERIFY);
    CHECK(proven(evidence, HH_EVIDENCE_SPLIT_VIEW));
    CHECK(strstr(err.msg, "conflicts") != NULL);
    free(evidence);
    evidence = NULL;
    CHECK(mirror_size(&f) == 4);
    /* Another root for a smaller size: the held tree does not extend it. */
    if (!CHECK(forged(&f, 2, &older)))
        goto out;
    CHECK_ERR(check(&f, &older, &evidence, &err), HH_ERR_VERIFY);
    CHECK(proven(evidence, HH_EVIDENCE_INCONSISTENT));
    CHECK(mirror_size(&f) == 4);
    CHECK(check_ok(&f, &s4)); /* the real checkpoint still agrees */
out:
    free(evidence);
    free(s4.note);
    free(same.note);
    free(older.note);
    mir_free(&f);
}

TEST(mirror_unauthorised_entry_is_proven)
{
    struct hh_verifier keys[2];
    struct hh_signer *other = NULL;
    struct hh_error err = {0};
    struct served s = {0};
    char *evidence = NULL;
    struct mirfix f;

    if (!CHECK(mir_init(&f)) || !CHECK(fx_node_append(&f.log, 3)) || !CHECK(served_now(&f, &s)))
        goto out;
    CHECK_OK(hh_signer_generate("example.org/us/someone", HH_KEY_ED25519, &other, NULL));
    if (other == NULL)
        goto out;
    hh_signer_verifier(other, &keys[0]);
    keys[1] = f.log.op_vkey;
    /* The mirror's signers do not include the operator who signed every entry. */
    if (!CHECK(mir_open(&f, f.log.url, keys, 1)))
        goto out;
    CHECK_ERR(check(&f, &s, &evidence, &err), HH_ERR_VERIFY);
    CHECK(proven(evidence, HH_EVIDENCE_UNAUTHORISED_ENTRY));
    CHECK(strstr(err.msg, "entry 0 is not signed") != NULL);
    CHECK(mirror_size(&f) == 0);
    /* One authorised signer among several is enough. */
    if (!CHECK(mir_open(&f, f.log.url, keys, 2)))
        goto out;
    CHECK(check_ok(&f, &s));
    CHECK(mirror_size(&f) == 3);
out:
    hh_signer_free(other);
    free(evidence);
    free(s.note);
    mir_free(&f);
}

/* Checks s against a mirror that cannot fetch: an error that is not a verdict, nothing held. */
static bool cannot_tell(struct mirfix *f, const struct served *s, uint64_t held)
{
    struct hh_error err = {0};
    char *evidence = NULL;
    hh_status rc = check(f, s, &evidence, &err);
    bool ok = rc != HH_OK && rc != HH_ERR_VERIFY && evidence == NULL && err.msg[0] != '\0' &&
              mirror_size(f) == held;

    if (!ok)
        hh_test_note("rc %s: %s", hh_status_name(rc), err.msg);
    free(evidence);
    return ok;
}

TEST(mirror_unreachable_log)
{
    struct served s5 = {0}, s8 = {0};
    char dead[64], missing[192];
    struct mirfix f;
    uint16_t port = 0;

    if (!CHECK(mir_init(&f)) || !CHECK(fx_node_append(&f.log, 5)) || !CHECK(served_now(&f, &s5)) ||
        !CHECK(fx_node_append(&f.log, 3)) || !CHECK(served_now(&f, &s8)) ||
        !CHECK(fx_free_port(&port)))
        goto out;
    /* Nothing listens there. */
    snprintf(dead, sizeof(dead), "http://127.0.0.1:%u", (unsigned)port);
    if (!CHECK(mir_open(&f, dead, &f.log.op_vkey, 1)))
        goto out;
    CHECK(cannot_tell(&f, &s5, 0));
    /* A server that answers 404 for every tile. */
    snprintf(missing, sizeof(missing), "%s/no/such/log", f.log.url);
    if (!CHECK(mir_open(&f, missing, &f.log.op_vkey, 1)))
        goto out;
    CHECK(cannot_tell(&f, &s5, 0));
    /* Synced to 5, then the log's URL is dead before 8 is fetched. */
    if (!CHECK(mir_open(&f, f.log.url, &f.log.op_vkey, 1)) || !CHECK(check_ok(&f, &s5)) ||
        !CHECK(mir_open(&f, dead, &f.log.op_vkey, 1)))
        goto out;
    CHECK(cannot_tell(&f, &s8, 5));
    CHECK(check_ok(&f, &s5)); /* what it holds needs no fetch */
    CHECK(mirror_size(&f) == 5);
out:
    free(s5.note);
    free(s8.note);
    mir_free(&f);
}

/* A TCP connection to 127.0.0.1:port is refused (nothing listens). */
static bool refused(uint16_t port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok;

    if (fd < 0)
        return false;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno == ECONNREFUSED;
    close(fd);
    return ok;
}

TEST(mirror_log_stopped_fails_fast)
{
    struct served s5 = {0}, s8 = {0};
    struct mirfix f;
    const char *colon;
    uint64_t port = 0;
    int64_t t0;

    if (!CHECK(mir_init(&f)) || !CHECK(fx_node_append(&f.log, 5)) || !CHECK(served_now(&f, &s5)) ||
        !CHECK(fx_node_append(&f.log, 3)) || !CHECK(served_now(&f, &s8)) ||
        !CHECK(mir_open(&f, f.log.url, &f.log.op_vkey, 1)) || !CHECK(check_ok(&f, &s5)))
        goto out;
    colon = strrchr(f.log.url, ':');
    CHECK_OK(hh_parse_u64(colon + 1, strlen(colon + 1), &port, NULL));
    hh_node_stop(f.log.n);
    /*
     * A stopped node no longer listens. Were its socket left open, a fetch
     * would hang until the tile client's timeout (a minute): skip it then.
     */
    if (!CHECK(refused((uint16_t)port)))
        goto out;
    t0 = fx_now_ms();
    CHECK(cannot_tell(&f, &s8, 5));
    CHECK(fx_now_ms() - t0 < 5000);
    CHECK(check_ok(&f, &s5));
out:
    free(s5.note);
    free(s8.note);
    mir_free(&f);
}

TEST(mirror_store_by_uri)
{
    struct served s = {0};
    struct mirfix f;

    /* mirror.h: store_uri is a storage URI (storage/store.h), "sqlite:PATH" included. */
    if (!CHECK(mir_init(&f)) || !CHECK(fx_node_append(&f.log, 2)) || !CHECK(served_now(&f, &s)))
        goto out;
    snprintf(f.store, sizeof(f.store), "sqlite:%s/by-uri.db", f.dir);
    if (!CHECK(mir_open(&f, f.log.url, &f.log.op_vkey, 1)))
        goto out;
    CHECK(check_ok(&f, &s) && mirror_size(&f) == 2);
    hh_mirror_close(f.m);
    f.m = NULL;
    snprintf(f.store, sizeof(f.store), "%s/by-uri.db", f.dir);
    CHECK(store_matches(&f, 2, &s));
out:
    free(s.note);
    mir_free(&f);
}

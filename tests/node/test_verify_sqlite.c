/*
 * test_verify_sqlite.c - the SQLite backend's tamper tests of the verifier
 * (verify.h): a real node directory (verify_fixture.h) is changed behind
 * the store's back with SQL on its log.db (an entry's bytes, a subtree hash,
 * a checkpoint note), and the verifier, reading through the store tile
 * source, must name what is wrong: the entry index or tile path, and the
 * expected and found hashes. Only a backend's own tests may use its tools;
 * the backend-neutral verifier tests are in test_verify.c.
 */
#include "harness.h"

#include "node_fixture.h"
#include "verify_fixture.h"

#include <henhouse/client/verify.h>

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static const char *b64(const struct hh_hash *h, char buf[48])
{
    if (hh_base64_encode(h->b, HH_HASH_LEN, buf, 48) != HH_OK)
        buf[0] = '\0';
    return buf;
}

/* Runs one SQL statement on the node's log.db with ?1 bound to blob (if not NULL). */
static bool sql(const struct vf_log *f, const char *q, const void *blob, size_t len)
{
    char path[160];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bool ok;

    snprintf(path, sizeof(path), "%s/log.db", f->dir);
    ok =
        sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK &&
        (blob == NULL || sqlite3_bind_blob(st, 1, blob, (int)len, SQLITE_TRANSIENT) == SQLITE_OK) &&
        sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

/* The leaf hash of entry i as the fixture's operator signs it. */
static bool entry_leaf(const struct vf_log *f, uint64_t i, struct hh_hash *leaf)
{
    struct hh_hash id;
    char *entry = NULL;
    size_t len = 0;
    bool ok = fx_entry(f->op, VF_TAG, i, &entry, &len, &id);

    if (ok)
        hh_merkle_leaf_hash(entry, len, leaf);
    free(entry);
    return ok;
}

/* ---- tampered entries, subtree hashes and checkpoints ---- */

TEST(verify_store_tampered_entry_signature)
{
    struct vf_run v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_signer *stranger = NULL;
    struct hh_hash id, forged_leaf, real_leaf;
    char *entry = NULL, want[256], a[48], b[48];
    size_t len = 0;
    struct vf_log f;

    if (!CHECK(vf_log_init(&f, 3000)))
        goto out;
    CHECK_OK(hh_signer_generate("stranger", HH_KEY_ED25519, &stranger, NULL));
    if (!CHECK(fx_entry(stranger, VF_TAG, 1234, &entry, &len, &id)))
        goto out;
    CHECK(sql(&f, "UPDATE entries SET data = ?1 WHERE idx = 1234", entry, len));
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(strcmp(err.msg,
                 "entry 1234 (tile/entries/004): signature does not verify under any signer") == 0);
    CHECK(res.have_checkpoint && res.size == 3000 && res.entries >= 4 * 256);
    /* Without signers, the leaf hash the tree stored no longer matches the entry. */
    v.signers = false;
    hh_merkle_leaf_hash(entry, len, &forged_leaf);
    CHECK(entry_leaf(&f, 1234, &real_leaf));
    snprintf(want, sizeof(want), "tile/0/004: hash 210 (entry 1234) expected %s found %s",
             b64(&forged_leaf, a), b64(&real_leaf, b));
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    if (!CHECK(strcmp(err.msg, want) == 0))
        hh_test_note("got %s", err.msg);
out:
    free(entry);
    hh_signer_free(stranger);
    vf_log_free(&f);
}

TEST(verify_store_malformed_entry)
{
    static const char garbage[] = "{\"payload\": 17}";
    struct vf_run v = {.signers = false};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct vf_log f;

    if (!CHECK(vf_log_init(&f, 300)))
        goto out;
    CHECK(sql(&f, "UPDATE entries SET data = ?1 WHERE idx = 299", garbage, strlen(garbage)));
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "entry 299 (tile/entries/001.p/44): malformed envelope: "));
out:
    vf_log_free(&f);
}

TEST(verify_store_tampered_leaf_hash)
{
    struct vf_run v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_hash bad, real;
    char want[256], a[48], b[48];
    struct vf_log f;

    memset(bad.b, 0xab, sizeof(bad.b));
    if (!CHECK(vf_log_init(&f, 3000)))
        goto out;
    CHECK(sql(&f, "UPDATE nodes SET hash = ?1 WHERE level = 0 AND idx = 785", bad.b, HH_HASH_LEN));
    CHECK(entry_leaf(&f, 785, &real));
    snprintf(want, sizeof(want), "tile/0/003: hash 17 (entry 785) expected %s found %s",
             b64(&real, a), b64(&bad, b));
    for (unsigned threads = 1; threads <= 4; threads++) {
        v.threads = threads;
        CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
        if (!CHECK(strcmp(err.msg, want) == 0))
            hh_test_note("got %s", err.msg);
    }
out:
    vf_log_free(&f);
}

TEST(verify_store_tampered_level1_hash)
{
    struct vf_run v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_hash bad;
    char want[160], a[48];
    struct vf_log f;

    memset(bad.b, 0x5c, sizeof(bad.b));
    if (!CHECK(vf_log_init(&f, 3000)))
        goto out;
    CHECK(sql(&f, "UPDATE nodes SET hash = ?1 WHERE level = 8 AND idx = 5", bad.b, HH_HASH_LEN));
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "tile/1/000.p/11: hash 5 (entries 1280..1535) expected "));
    snprintf(want, sizeof(want), " found %s", b64(&bad, a));
    CHECK(strstr(err.msg, want) != NULL);
    CHECK(res.entries == 3000 && res.bundles == 12);
out:
    vf_log_free(&f);
}

TEST(verify_store_tampered_checkpoint)
{
    struct vf_run v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_hash wrong;
    char *note = NULL, want[200], a[48];
    size_t len = 0;
    struct vf_log f;

    memset(wrong.b, 7, sizeof(wrong.b));
    if (!CHECK(vf_log_init(&f, 600)))
        goto out;
    /* The signed text altered: the log key's signature fails. */
    note = strdup(f.notes[1]);
    note[strlen("example.org/us\n60")] = '1';
    CHECK(sql(&f, "UPDATE checkpoints SET note = ?1 WHERE size = 600", note, strlen(note)));
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    CHECK(vf_starts_with(err.msg, "checkpoint: signature by example.org/us: "));
    CHECK(!res.have_checkpoint);
    free(note);
    /* Signed by the log key, but over a root the entries do not give. */
    note = fx_sign_checkpoint(f.log, VF_ORIGIN, 600, &wrong, &len);
    CHECK(note != NULL && sql(&f, "UPDATE checkpoints SET note = ?1 WHERE size = 600", note, len));
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
    snprintf(want, sizeof(want), "root mismatch: checkpoint says %s, entries give ",
             b64(&wrong, a));
    CHECK(vf_starts_with(err.msg, want));
    CHECK(res.entries == 600 && res.tiles == vf_tiles_for(600));
    /* Not a note at all. */
    CHECK(sql(&f, "UPDATE checkpoints SET note = ?1 WHERE size = 600", "garbage", 7));
    CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_INVALID);
    CHECK(vf_starts_with(err.msg, "checkpoint: "));
out:
    free(note);
    vf_log_free(&f);
}

TEST(verify_store_checkpoint_beyond_entries)
{
    struct vf_run v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct hh_hash root;
    char *note = NULL;
    size_t len = 0;
    struct vf_log f;

    memset(root.b, 1, sizeof(root.b));
    if (!CHECK(vf_log_init(&f, 300)))
        goto out;
    note = fx_sign_checkpoint(f.log, VF_ORIGIN, 301, &root, &len);
    CHECK(note != NULL && sql(&f, "UPDATE checkpoints SET note = ?1 WHERE size = 300", note, len));
    CHECK(vf_verify_dir(&f, &v, &res, &err) != HH_OK);
    CHECK(strstr(err.msg, "tile/entries/001.p/45") != NULL);
out:
    free(note);
    vf_log_free(&f);
}

TEST(verify_store_first_error_is_lowest)
{
    static const char garbage[] = "not json";
    struct vf_run v = {.signers = true};
    struct hh_verify_result res;
    struct hh_error err = {0};
    struct vf_log f;

    if (!CHECK(vf_log_init(&f, 3000)))
        goto out;
    CHECK(sql(&f, "UPDATE entries SET data = ?1 WHERE idx = 2400", garbage, strlen(garbage)));
    CHECK(sql(&f, "UPDATE entries SET data = ?1 WHERE idx = 600", garbage, strlen(garbage)));
    for (int rep = 0; rep < 3; rep++) {
        for (unsigned threads = 1; threads <= 4; threads++) {
            v.threads = threads;
            CHECK_ERR(vf_verify_dir(&f, &v, &res, &err), HH_ERR_VERIFY);
            if (!CHECK(vf_starts_with(err.msg, "entry 600 (tile/entries/002): malformed envelope")))
                hh_test_note("threads %u: %s", threads, err.msg);
        }
    }
out:
    vf_log_free(&f);
}

/*
 * test_note_vectors.c - signed notes, checkpoints and cosignatures against
 * the public vectors in data/ (C2SP spec examples, golang.org/x/mod
 * sumdb/note, torchwood litewitness, sunlight skylight). See data/README.md
 * sections 2-5 for what each file is and what it must give.
 */
#include <henhouse/henhouse.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static char *load(const char *rel, size_t *len)
{
    char *buf = hh_test_read_file(hh_test_vector_path(rel), len);
    if (!CHECK(buf != NULL))
        hh_test_note("cannot read %s", rel);
    return buf;
}

static int load_vkey(const char *rel, struct hh_verifier *v)
{
    size_t len = 0;
    char *buf = load(rel, &len);
    int ok = buf != NULL && CHECK_OK(hh_verifier_parse(buf, len, v, NULL));
    free(buf);
    return ok;
}

static int vkey(const char *text, struct hh_verifier *v)
{
    return CHECK_OK(hh_verifier_parse(text, strlen(text), v, NULL));
}

/* The verifier_keys[0] of a sunlight *.v0.json witness description. */
static int load_json_vkey(const char *rel, struct hh_verifier *v)
{
    json_error_t jerr;
    json_t *root = json_load_file(hh_test_vector_path(rel), 0, &jerr);
    const char *s = json_string_value(json_array_get(json_object_get(root, "verifier_keys"), 0));
    int ok = CHECK(s != NULL) && vkey(s, v);
    json_decref(root);
    return ok;
}

/* Parses and verifies a note file (from offset skip); the status of the first failing step. */
static hh_status verify_buf(const char *buf, size_t len, const struct hh_verifier *keys,
                            size_t nkeys, struct hh_note_verified *out, size_t *nout,
                            struct hh_error *err)
{
    struct hh_note *n = NULL;
    size_t dummy = 0;
    hh_status rc = hh_note_parse(buf, len, &n, err);
    if (rc == HH_OK)
        rc = hh_note_verify(n, keys, nkeys, out, out ? 4 : 0, nout ? nout : &dummy, err);
    hh_note_free(n);
    return rc;
}

static hh_status verify_file(const char *rel, const struct hh_verifier *keys, size_t nkeys,
                             struct hh_note_verified *out, size_t *nout, struct hh_error *err)
{
    size_t len = 0;
    char *buf = load(rel, &len);
    hh_status rc = buf == NULL ? HH_ERR_IO : verify_buf(buf, len, keys, nkeys, out, nout, err);
    free(buf);
    return rc;
}

static struct hh_note *parse_file(const char *rel)
{
    struct hh_note *n = NULL;
    struct hh_error err = {0};
    size_t len = 0;
    char *buf = load(rel, &len);
    if (buf != NULL && !CHECK_OK(hh_note_parse(buf, len, &n, &err)))
        hh_test_note("%s: %s", rel, err.msg);
    free(buf);
    return n;
}

TEST(vec_note_c2sp_signed_note_example)
{
    struct hh_verifier v;
    struct hh_note_verified out[4];
    struct hh_note *n;
    size_t nout = 0;

    CHECK_OK(hh_init());
    if (!load_vkey("c2sp/signed-note-example.vkey", &v))
        return;
    CHECK(v.key_id == 0x530d903a && v.type == HH_KEY_ED25519);
    CHECK_OK(verify_file("c2sp/signed-note-example.txt", &v, 1, out, &nout, NULL));
    CHECK(nout == 1 && out[0].key_index == 0);
    n = parse_file("c2sp/signed-note-example.txt");
    if (n == NULL)
        return;
    CHECK(strcmp(n->text, "This is an example message.\n") == 0);
    CHECK(n->nsigs == 1 && strcmp(n->sigs[0].name, "example.com/foo") == 0);
    CHECK(n->sigs[0].key_id == 0x530d903a && n->sigs[0].sig_len == 64);
    hh_note_free(n);
}

TEST(vec_note_sumdb_example_verifies)
{
    struct hh_verifier v;
    size_t nout = 0;

    CHECK_OK(hh_init());
    if (!load_vkey("golang-mod-sumdb-note/note-example.vkey", &v))
        return;
    CHECK(v.key_id == 0xc74f20a3);
    CHECK_OK(verify_file("golang-mod-sumdb-note/note-example.txt", &v, 1, NULL, &nout, NULL));
}

TEST(vec_note_sumdb_signing_known_answer)
{
    struct hh_signer *s = NULL;
    struct hh_note *n;
    char *skey, *want, *note = NULL;
    size_t skey_len = 0, want_len = 0, note_len = 0;

    CHECK_OK(hh_init());
    skey = load("golang-mod-sumdb-note/note-example.skey", &skey_len);
    want = load("golang-mod-sumdb-note/note-example.txt", &want_len);
    n = parse_file("golang-mod-sumdb-note/note-example.txt");
    if (skey != NULL && want != NULL && n != NULL &&
        CHECK_OK(hh_signer_parse(skey, skey_len, &s, NULL)) &&
        CHECK_OK(hh_note_sign(s, n->text, n->text_len, &note, &note_len, NULL)))
        CHECK(note_len == want_len && memcmp(note, want, want_len) == 0);
    sodium_memzero(skey, skey_len);
    free(skey);
    free(want);
    free(note);
    hh_note_free(n);
    hh_signer_free(s);
}

TEST(vec_note_sumdb_doubly_signed)
{
    /* EnochRoot: the Ed25519 key whose seed is 32 zero bytes. */
    static const char enoch_skey[] =
        "PRIVATE+KEY+EnochRoot+af0cfe78+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    static const char enoch_vkey[] =
        "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    struct hh_verifier keys[2];
    struct hh_note_verified out[4];
    struct hh_signer *s = NULL;
    struct hh_note *n;
    char text[HH_KEY_TEXT_MAX], line[HH_NOTE_SIG_LINE_MAX];
    size_t nout = 0;

    CHECK_OK(hh_init());
    if (!load_vkey("golang-mod-sumdb-note/note-example.vkey", &keys[0]) ||
        !CHECK_OK(hh_signer_parse(enoch_skey, strlen(enoch_skey), &s, NULL)))
        return;
    hh_signer_verifier(s, &keys[1]);
    CHECK_OK(hh_verifier_format(&keys[1], text, sizeof(text)));
    CHECK(strcmp(text, enoch_vkey) == 0);
    CHECK_OK(verify_file("golang-mod-sumdb-note/note-example-doubly-signed.txt", keys, 2, out,
                         &nout, NULL));
    CHECK(nout == 2 && out[0].key_index == 0 && out[1].key_index == 1);
    CHECK_OK(verify_file("golang-mod-sumdb-note/note-example-doubly-signed.txt", &keys[1], 1, out,
                         &nout, NULL));
    CHECK(nout == 1);
    /* Deterministic signing reproduces EnochRoot's line too. */
    n = parse_file("golang-mod-sumdb-note/note-example-doubly-signed.txt");
    if (n != NULL && CHECK_OK(hh_note_sign_line(s, n->text, n->text_len, 0, line, sizeof(line))))
        CHECK(strcmp(line, "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
                           "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n") == 0);
    hh_note_free(n);
    hh_signer_free(s);
}

TEST(vec_note_c2sp_quasimodo_parse)
{
    static const char text[] = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di "
                               "sole:\n\ned \xc3\xa8 subito sera.\n";
    struct hh_note *n = parse_file("c2sp/signed-note-quasimodo.txt");
    size_t nout = 0;
    struct hh_error err = {0};

    CHECK_OK(hh_init());
    if (n == NULL)
        return;
    CHECK(n->text_len == sizeof(text) - 1 && memcmp(n->text, text, n->text_len) == 0);
    CHECK(n->nsigs == 1 && strcmp(n->sigs[0].name, "quasimodo.example/salvatore") == 0);
    CHECK(n->sigs[0].key_id == 0x367ba04b && n->sigs[0].sig_len == 64);
    CHECK_ERR(hh_note_verify(n, NULL, 0, NULL, 0, &nout, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "no known signature") != NULL);
    hh_note_free(n);
}

TEST(vec_note_c2sp_checkpoint_and_cosignature)
{
    struct hh_checkpoint c;
    struct hh_note *n = parse_file("c2sp/tlog-checkpoint-example.txt");
    struct hh_note *cn = parse_file("c2sp/tlog-cosignature-example.txt");
    const uint8_t *sig = NULL;
    uint64_t t = 0;

    if (n == NULL || cn == NULL)
        goto out;
    CHECK_OK(hh_checkpoint_parse(n->text, n->text_len, &c, NULL));
    CHECK(strcmp(c.origin, "example.com/behind-the-sofa") == 0 && c.size == 20852163);
    CHECK(c.root.b[0] == 0x0a && c.root.b[31] == 0x62 && c.extensions_len == 0);
    CHECK(n->nsigs == 1 && n->sigs[0].key_id == 0x033de0ae);
    CHECK(cn->text_len == n->text_len && memcmp(cn->text, n->text, n->text_len) == 0);
    CHECK(cn->nsigs == 2 && strcmp(cn->sigs[1].name, "witness.example.com/w1") == 0);
    CHECK(cn->sigs[1].key_id == 0x8d66cf3f && cn->sigs[1].sig_len + 4 == 76);
    CHECK_OK(hh_cosignature_split(cn->sigs[1].sig, cn->sigs[1].sig_len, &t, &sig, NULL));
    CHECK(t == 1679315147 && sig == cn->sigs[1].sig + 8);
out:
    hh_note_free(n);
    hh_note_free(cn);
}

TEST(vec_note_c2sp_cosignature_message)
{
    struct hh_note *n = parse_file("c2sp/tlog-cosignature-example.txt");
    size_t want_len = 0, len = 0;
    char *want = load("c2sp/tlog-cosignature-v1-signed-message-example.txt", &want_len);
    char *msg = NULL;

    if (n != NULL && want != NULL &&
        CHECK_OK(hh_cosignature_message(n->text, n->text_len, 1679315147, &msg, &len)))
        CHECK(len == want_len && memcmp(msg, want, len) == 0);
    free(msg);
    free(want);
    hh_note_free(n);
}

/* The note after the first blank line of a tlog-witness request body. */
static const char *request_note(const char *buf, size_t len, size_t *note_len)
{
    const char *p = strstr(buf, "\n\n");
    if (!CHECK(p != NULL))
        return buf + len;
    *note_len = len - (size_t)(p + 2 - buf);
    return p + 2;
}

TEST(vec_note_c2sp_witness_request_parse)
{
    size_t len = 0, nlen = 0;
    char *buf = load("c2sp/tlog-witness-add-checkpoint-request.txt", &len);
    struct hh_note *n = NULL;
    const char *note;

    if (buf == NULL)
        return;
    note = request_note(buf, len, &nlen);
    CHECK_OK(hh_note_parse(note, nlen, &n, NULL));
    CHECK(n != NULL && n->nsigs == 2 && n->sigs[0].key_id == 0x033de0ae &&
          n->sigs[1].key_id == 0xa292ea05);
    hh_note_free(n);
    free(buf);
}

static const char *const rome = "sunlight-skylight/witness/"
                                "000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706/"
                                "checkpoint";
static const char *const rome_mirror =
    "sunlight-skylight/witness/mirror/"
    "000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706/checkpoint";
static const char *const milan =
    "sunlight-skylight/witness2/"
    "88ad7a28caeb0b2aa890fdf0304c2fcaf59fca2ee140134ff8c1300bac493482/checkpoint";

TEST(vec_note_sunlight_cosignatures)
{
    struct hh_verifier k[3]; /* witness, witness2, mirror */
    struct hh_note_verified out[4];
    size_t nout = 0;

    CHECK_OK(hh_init());
    if (!load_json_vkey("sunlight-skylight/witness/witness.v0.json", &k[0]) ||
        !load_json_vkey("sunlight-skylight/witness2/witness.v0.json", &k[1]) ||
        !load_json_vkey("sunlight-skylight/witness/mirror/mirror.v0.json", &k[2]))
        return;
    for (int i = 0; i < 3; i++)
        CHECK(k[i].type == HH_KEY_COSIGNATURE);
    CHECK(k[0].key_id == 0xb8a2cf20 && k[1].key_id == 0x2e55b896 && k[2].key_id == 0x3fb148ef);
    /* Each checkpoint verifies with its cosigner's key and reports the time. */
    CHECK_OK(verify_file(rome, &k[0], 1, out, &nout, NULL));
    CHECK(nout == 1 && out[0].key_index == 0 && out[0].timestamp == 1767139200);
    CHECK_OK(verify_file(milan, &k[1], 1, out, &nout, NULL));
    CHECK(nout == 1 && out[0].timestamp == 1767139200);
    CHECK_OK(verify_file(rome_mirror, &k[2], 1, out, &nout, NULL));
    CHECK(nout == 1 && out[0].timestamp == 1767139200);
    /* All keys trusted: each checkpoint lists only the cosigner that signed it. */
    CHECK_OK(verify_file(rome, k, 3, out, &nout, NULL));
    CHECK(nout == 1 && out[0].key_index == 0);
    CHECK_OK(verify_file(milan, k, 3, out, &nout, NULL));
    CHECK(nout == 1 && out[0].key_index == 1);
    /* Another cosigner's key alone is not enough. */
    CHECK_ERR(verify_file(rome, &k[1], 1, out, &nout, NULL), HH_ERR_VERIFY);
    CHECK_ERR(verify_file(milan, &k[0], 1, out, &nout, NULL), HH_ERR_VERIFY);
}

TEST(vec_note_sunlight_log_only_rejected)
{
    struct hh_verifier k[3];
    struct hh_error err = {0};
    struct hh_note *n;

    CHECK_OK(hh_init());
    if (!load_json_vkey("sunlight-skylight/witness/witness.v0.json", &k[0]) ||
        !load_json_vkey("sunlight-skylight/witness2/witness.v0.json", &k[1]) ||
        !load_json_vkey("sunlight-skylight/witness/mirror/mirror.v0.json", &k[2]))
        return;
    CHECK_ERR(verify_file("sunlight-skylight/tree/checkpoint", k, 3, NULL, NULL, &err),
              HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "no known signature") != NULL);
    /* The type 0x05 signature parses as an opaque, unknown signature. */
    n = parse_file("sunlight-skylight/tree/checkpoint");
    if (n != NULL)
        CHECK(n->nsigs == 1 && n->sigs[0].key_id == 0x91507526 && n->sigs[0].sig_len > 72);
    hh_note_free(n);
}

TEST(vec_note_sunlight_checkpoint_text)
{
    struct hh_note *n = parse_file(rome_mirror);
    struct hh_checkpoint c;
    struct hh_hash root;

    if (n == NULL)
        return;
    CHECK_OK(hh_checkpoint_parse(n->text, n->text_len, &c, NULL));
    CHECK(strcmp(c.origin, "rome2026h1.example.org") == 0 && c.size == 300);
    CHECK_OK(hh_hash_from_base64("gw31yQrqZZCcEOPrzX+bpy3nJ6QgngTKn8G1m0i62uU=", 44, &root, NULL));
    CHECK(hh_hash_equal(&c.root, &root));
    hh_note_free(n);
}

TEST(vec_note_torchwood_sumdb_checkpoint)
{
    struct hh_verifier v;
    struct hh_checkpoint c;
    struct hh_note *n = NULL;
    size_t len = 0, nlen = 0, nout = 0;
    char *buf;
    const char *note;

    CHECK_OK(hh_init());
    if (!load_vkey("torchwood-litewitness/sum.golang.org.vkey", &v))
        return;
    CHECK(v.key_id == 0x033de0ae && strcmp(v.name, "sum.golang.org") == 0);
    buf = load("torchwood-litewitness/sumdb-add-checkpoint-old0-expect200.txt", &len);
    if (buf == NULL)
        return;
    note = request_note(buf, len, &nlen);
    CHECK_OK(hh_note_parse(note, nlen, &n, NULL));
    if (n != NULL) {
        CHECK_OK(hh_note_verify(n, &v, 1, NULL, 0, &nout, NULL));
        CHECK_OK(hh_checkpoint_parse(n->text, n->text_len, &c, NULL));
        CHECK(strcmp(c.origin, "go.sum database tree") == 0 && c.size == 35225469);
    }
    hh_note_free(n);
    free(buf);
}

/* The sigsum log's vkey, derived as the README describes, from the hex public key. */
static int sigsum_vkey(struct hh_verifier *v)
{
    static const char want[] = "sigsum.org/v1/tree/"
                               "4d6d8825a6bb689d459628312889dfbb0bcd41b5211d9e1ce768b0ff0309e562"
                               "+5202289b+Af/cLU2Y5BJNP+r3iMDC+av9eWCD0fBJVDfzAux5zxAP";
    struct hh_hash h;
    char hex[2 * HH_HASH_LEN + 1], text[HH_KEY_TEXT_MAX];
    size_t len = 0, n = 0;
    char *buf = load("torchwood-litewitness/sigsum-log-ed25519-public-key.hex", &len);
    int ok = 0;

    memset(v, 0, sizeof(*v));
    if (buf == NULL ||
        !CHECK(sodium_hex2bin(v->public_key, 32, buf, len, "\n", &n, NULL) == 0 && n == 32))
        goto out;
    hh_sha256(v->public_key, 32, &h);
    hh_hash_to_hex(&h, hex);
    snprintf(v->name, sizeof(v->name), "sigsum.org/v1/tree/%s", hex);
    v->type = HH_KEY_ED25519;
    v->key_id = hh_key_id(v->name, strlen(v->name), v->type, v->public_key);
    ok = CHECK_OK(hh_verifier_format(v, text, sizeof(text))) && CHECK(strcmp(text, want) == 0);
out:
    free(buf);
    return ok;
}

static hh_status litewitness_note(const char *file, const struct hh_verifier *v,
                                  struct hh_error *err)
{
    char rel[128];
    size_t len = 0, nlen = 0;
    char *buf;
    const char *note;
    hh_status rc;

    snprintf(rel, sizeof(rel), "torchwood-litewitness/%s", file);
    buf = load(rel, &len);
    if (buf == NULL)
        return HH_ERR_IO;
    note = request_note(buf, len, &nlen);
    rc = verify_buf(note, nlen, v, 1, NULL, NULL, err);
    free(buf);
    return rc;
}

TEST(vec_note_torchwood_litewitness_sequence)
{
    static const char *const good[] = {
        "litewitness-01-old0-expect200.txt", "litewitness-04-old1-expect422.txt",
        "litewitness-05-old1-expect422.txt", "litewitness-06-old1-expect200.txt",
        "litewitness-07-old1-expect409.txt", "litewitness-08-old3-expect200.txt",
        "litewitness-09-old0-expect409.txt",
    };
    struct hh_verifier v;
    struct hh_error err = {0};

    CHECK_OK(hh_init());
    if (!sigsum_vkey(&v))
        return;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!CHECK_OK(litewitness_note(good[i], &v, &err)))
            hh_test_note("%s: %s", good[i], err.msg);
    /* 03: the origin (and key name) ends ...e563: no configured key. */
    CHECK_ERR(litewitness_note("litewitness-03-old1-expect403.txt", &v, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "no known signature") != NULL);
}

/*
 * 02: the corruption is in the last base64 character ("...6gx=" where 06 has
 * "...6go="), and 'x' leaves non-zero unused bits. Go's lenient decoder reads
 * it as the bytes of "...6gw=", a signature that does not verify; henhouse's
 * canonical base64 already refuses the line. Both readings are rejected.
 */
TEST(vec_note_torchwood_litewitness_corrupted)
{
    struct hh_verifier v;
    struct hh_error err = {0};
    size_t len = 0, nlen = 0;
    char *buf, *p;
    const char *note;

    CHECK_OK(hh_init());
    if (!sigsum_vkey(&v))
        return;
    CHECK_ERR(litewitness_note("litewitness-02-old1-expect403.txt", &v, &err), HH_ERR_INVALID);
    CHECK(strstr(err.msg, "line 5: signature is not canonical base64") != NULL);
    buf = load("torchwood-litewitness/litewitness-02-old1-expect403.txt", &len);
    if (buf == NULL)
        return;
    p = strstr(buf, "6gx=\n");
    if (CHECK(p != NULL && p + 5 == buf + len))
        p[2] = 'w';
    note = request_note(buf, len, &nlen);
    CHECK_ERR(verify_buf(note, nlen, &v, 1, NULL, NULL, &err), HH_ERR_VERIFY);
    CHECK(strstr(err.msg, "does not verify") != NULL);
    /* And with the byte of file 06 it verifies: only that byte was corrupted. */
    if (p != NULL)
        p[2] = 'o';
    CHECK_OK(verify_buf(note, nlen, &v, 1, NULL, NULL, NULL));
    free(buf);
}

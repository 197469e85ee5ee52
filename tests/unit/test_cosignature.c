/*
 * test_cosignature.c - the cosignature/v1 message and body: byte-exact
 * message, timestamp limits, body splitting, and a signature made through
 * hh_note_sign_line checked by hand against the message.
 */
#include <henhouse/henhouse.h>

#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char cp_text[] = "example.com/behind-the-sofa\n20852163\n"
                              "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

TEST(cosig_message_exact)
{
    static const char want[] = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n"
                               "20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    char *msg = NULL;
    size_t len = 0;

    CHECK_OK(hh_cosignature_message(cp_text, strlen(cp_text), 1679315147, &msg, &len));
    CHECK(len == strlen(want) && msg != NULL && memcmp(msg, want, len) == 0 && msg[len] == '\0');
    free(msg);
    CHECK_OK(hh_cosignature_message(cp_text, strlen(cp_text), 0, &msg, &len));
    CHECK(strncmp(msg, "cosignature/v1\ntime 0\nexample.com/", 34) == 0);
    free(msg);
    CHECK_OK(hh_cosignature_message("", 0, (uint64_t)INT64_MAX, &msg, &len));
    CHECK(len == 15 + 5 + 19 + 1 && strcmp(msg, "cosignature/v1\ntime 9223372036854775807\n") == 0);
    free(msg);
}

TEST(cosig_message_time_limit)
{
    char *msg = (char *)1;
    size_t len = 1;

    CHECK_ERR(hh_cosignature_message(cp_text, strlen(cp_text), (uint64_t)INT64_MAX + 1, &msg, &len),
              HH_ERR_INVALID);
    CHECK(msg == NULL && len == 0);
    CHECK_ERR(hh_cosignature_message(cp_text, strlen(cp_text), UINT64_MAX, &msg, &len),
              HH_ERR_INVALID);
}

TEST(cosig_split)
{
    uint8_t body[HH_COSIGNATURE_LEN + 1];
    const uint8_t *sig = NULL;
    uint64_t t = 0;
    struct hh_error err = {0};

    for (int i = 0; i < (int)sizeof(body); i++)
        body[i] = (uint8_t)i;
    CHECK_OK(hh_cosignature_split(body, HH_COSIGNATURE_LEN, &t, &sig, NULL));
    CHECK(t == 0x0001020304050607u && sig == body + 8);
    CHECK_ERR(hh_cosignature_split(body, HH_COSIGNATURE_LEN - 1, &t, &sig, &err), HH_ERR_INVALID);
    CHECK(t == 0 && sig == NULL && strstr(err.msg, "got 71") != NULL);
    CHECK_ERR(hh_cosignature_split(body, HH_COSIGNATURE_LEN + 1, &t, &sig, NULL), HH_ERR_INVALID);
    CHECK_ERR(hh_cosignature_split(body, 64, &t, &sig, NULL), HH_ERR_INVALID);
    body[0] = 0x7f, memset(body + 1, 0xff, 7);
    CHECK_OK(hh_cosignature_split(body, HH_COSIGNATURE_LEN, &t, &sig, NULL));
    CHECK(t == (uint64_t)INT64_MAX);
    body[0] = 0x80, memset(body + 1, 0, 7);
    CHECK_ERR(hh_cosignature_split(body, HH_COSIGNATURE_LEN, &t, &sig, &err), HH_ERR_INVALID);
    CHECK(t == 0 && sig == NULL && strstr(err.msg, "2^63-1") != NULL);
}

TEST(cosig_signature_over_message)
{
    struct hh_signer *w = NULL;
    struct hh_verifier v;
    struct hh_note *n = NULL;
    char line[HH_NOTE_SIG_LINE_MAX], note[1024], *msg = NULL;
    const uint8_t *sig = NULL;
    size_t len = 0;
    uint64_t t = 0;

    CHECK_OK(hh_init());
    CHECK_OK(hh_signer_generate("witness.example/w1", HH_KEY_COSIGNATURE, &w, NULL));
    hh_signer_verifier(w, &v);
    CHECK_OK(hh_note_sign_line(w, cp_text, strlen(cp_text), 1679315147, line, sizeof(line)));
    memcpy(note, cp_text, sizeof(cp_text) - 1);
    note[sizeof(cp_text) - 1] = '\n';
    memcpy(note + sizeof(cp_text), line, strlen(line) + 1);
    if (!CHECK_OK(hh_note_parse(note, strlen(note), &n, NULL)))
        goto out;
    CHECK(n->sigs[0].key_id == v.key_id);
    CHECK_OK(hh_cosignature_split(n->sigs[0].sig, n->sigs[0].sig_len, &t, &sig, NULL));
    CHECK(t == 1679315147);
    CHECK_OK(hh_cosignature_message(n->text, n->text_len, t, &msg, &len));
    CHECK(hh_verifier_signed(&v, msg, len, sig, 64));
    /* Not a signature over the bare text, nor at another time. */
    CHECK(!hh_verifier_signed(&v, n->text, n->text_len, sig, 64));
    free(msg);
    CHECK_OK(hh_cosignature_message(n->text, n->text_len, t + 1, &msg, &len));
    CHECK(!hh_verifier_signed(&v, msg, len, sig, 64));
    free(msg);
out:
    hh_note_free(n);
    hh_signer_free(w);
}

/*
 * test_witness_db_util.c - fixtures and a made-up log for the witness
 * database tests (see test_witness_db_util.h).
 */
#include "test_witness_db_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool tw_open(struct tw_fixture *f, const struct tb_backend *b)
{
    memset(f, 0, sizeof(*f));
    f->b = b;
    if (!tb_scratch_dir("wdb", f->dir, sizeof(f->dir)) ||
        !b->make_uri(f->dir, "witness", f->uri, sizeof(f->uri)))
        return false;
    return hh_wdb_open(f->uri, &f->w, NULL) == HH_OK && f->w != NULL;
}

bool tw_reopen(struct tw_fixture *f)
{
    hh_wdb_close(f->w);
    f->w = NULL;
    return hh_wdb_open(f->uri, &f->w, NULL) == HH_OK;
}

void tw_close(struct tw_fixture *f)
{
    hh_wdb_close(f->w);
    f->w = NULL;
    if (f->b != NULL && f->b->drop != NULL && f->uri[0] != '\0')
        f->b->drop(f->uri);
    hh_test_rmdir(f->dir);
}

void tw_root(uint64_t n, struct hh_hash *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->b, &n, sizeof(n));
    out->b[31] = 0x5a;
}

size_t tw_note(uint64_t n, char *buf, size_t cap)
{
    return (size_t)snprintf(buf, cap, TW_ORIGIN "\n%llu\nroot\n\n\xe2\x80\x94 sig\n",
                            (unsigned long long)n);
}

hh_status tw_advance(struct hh_wdb *w, const char *origin, uint64_t old, uint64_t n,
                     uint64_t *current, struct hh_error *err)
{
    struct hh_hash root;
    char note[256];
    size_t len = tw_note(n, note, sizeof(note));

    tw_root(n, &root);
    return hh_wdb_advance(w, origin, old, n, &root, note, len, NULL, NULL, current, err);
}

bool tw_state_is(struct hh_wdb *w, const char *origin, uint64_t n, bool frozen)
{
    struct hh_wdb_state s;
    struct hh_hash root;
    char note[256];
    size_t len = tw_note(n, note, sizeof(note));
    bool ok;

    tw_root(n, &root);
    if (hh_wdb_state(w, origin, &s, NULL) != HH_OK)
        return false;
    ok = s.size == n && hh_hash_equal(&s.root, &root) && s.note != NULL && s.note_len == len &&
         memcmp(s.note, note, len) == 0 && s.note[len] == '\0' && s.frozen == frozen &&
         s.time > 0 && s.time <= (int64_t)time(NULL);
    hh_wdb_state_clear(&s);
    return ok;
}

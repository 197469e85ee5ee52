/*
 * verify_fixture.h - the real node directories the verifier tests read:
 * a node made with hh_node_init in a scratch directory, grown through its
 * sequencer with envelopes signed by its operator key, and verified through
 * the store tile source. The backend-neutral tests (test_verify.c) and the
 * SQLite backend's tamper tests (test_verify_sqlite.c) share it.
 *
 * Not a test file: it registers no tests. Every symbol is prefixed vf_.
 */
#ifndef HH_TEST_NODE_VERIFY_FIXTURE_H
#define HH_TEST_NODE_VERIFY_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <henhouse/client/verify.h>
#include <henhouse/henhouse.h>

#define VF_ORIGIN    "example.org/us"
#define VF_TAG       "verify" /* the tag of every entry (fx_entry) */
#define VF_MAX_NOTES 16

/* A node directory and what was signed in it. */
struct vf_log {
    char base[64];              /* the scratch directory */
    char dir[96];               /* base/node */
    struct hh_signer *op, *log; /* DIR/operator.key, DIR/log.key */
    uint64_t size;
    char *notes[VF_MAX_NOTES]; /* the latest checkpoint after each growth (malloc'd) */
    size_t note_lens[VF_MAX_NOTES];
    uint64_t note_sizes[VF_MAX_NOTES];
    size_t nnotes;
};

/* A node for party "us" (origin VF_ORIGIN) grown to size entries. */
bool vf_log_init(struct vf_log *f, uint64_t size);
/* Appends entries f->size..to-1 through the sequencer, then saves the checkpoint. */
bool vf_log_grow(struct vf_log *f, uint64_t to);
/* Frees the keys and notes and removes the scratch directory. */
void vf_log_free(struct vf_log *f);

/* How one verification runs. */
struct vf_run {
    bool signers;    /* check every entry against the node's signers */
    const char *old; /* an older checkpoint note to check consistency with, or NULL */
    size_t old_len;
    unsigned threads; /* 0: 2 */
};

/* Verifies the node directory through the store tile source. */
hh_status vf_verify_dir(const struct vf_log *f, const struct vf_run *v,
                        struct hh_verify_result *res, struct hh_error *err);

/* The hash tiles of a tree of size leaves, all levels. */
uint64_t vf_tiles_for(uint64_t size);

bool vf_starts_with(const char *s, const char *prefix);

#endif

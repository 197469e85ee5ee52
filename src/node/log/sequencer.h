/*
 * sequencer.h - turns verified submissions into durable log entries and
 * signed checkpoints, by group commit.
 *
 * Submissions wait in a bounded queue. Whenever something is queued and no
 * commit is running, one thread takes all that is queued (up to batch_max)
 * as one group; what arrives meanwhile forms the next group. No timer stands
 * between a queued statement and its commit: one client submitting in
 * sequence gets one acknowledgement per fsync, and many clients share each
 * fsync. For each group the thread:
 *   1. drops duplicates (same statement id, in the group or already logged:
 *      the existing index is returned);
 *   2. computes the new subtree hashes and appends entries and hashes to the
 *      store in one fsynced transaction; only then are submitters told their
 *      index;
 *   3. after a commit, and at most every checkpoint_interval_ms, proves the
 *      new tree extends the last signed checkpoint (a consistency proof read
 *      back from the store), signs a checkpoint and stores it; waiters for a
 *      checkpoint are told after this.
 * A checkpoint is never signed for data that is not durable, nor for a tree
 * that does not extend the last one; if that proof ever fails the sequencer
 * stops accepting writes and the node keeps serving reads. On start it signs
 * a checkpoint for entries left durable but uncheckpointed by a crash.
 */
#ifndef HH_NODE_SEQUENCER_H
#define HH_NODE_SEQUENCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <henhouse/henhouse.h>

#include "storage/store.h"

struct hh_sequencer;

struct hh_sequencer_config {
    const char *origin;
    const struct hh_signer *log_key; /* borrowed; outlives the sequencer */
    uint32_t checkpoint_interval_ms; /* the least time between two checkpoints */
    uint32_t batch_max;
    uint32_t queue_max;
    /*
     * Called after each new checkpoint is stored (may be NULL): on the
     * sequencer thread, and for the one hh_sequencer_start signs for
     * entries left uncheckpointed, on the thread that starts it.
     */
    void (*on_checkpoint)(void *ctx, uint64_t size);
    void *ctx;
};

/*
 * The outcome of one submission, delivered on the sequencer's thread: rc is
 * HH_OK with the entry's index (and duplicate set if it was already logged),
 * or an error (the statement was not logged). When the submission asked for
 * a checkpoint, checkpoint/checkpoint_len is the signed note that includes
 * it (borrowed for the duration of the call).
 */
struct hh_sequenced {
    hh_status rc;
    uint64_t index;
    bool duplicate;
    const char *checkpoint;
    size_t checkpoint_len;
};
typedef void (*hh_sequenced_fn)(void *ctx, const struct hh_sequenced *result);

/* Starts the sequencer thread on store (borrowed). */
hh_status hh_sequencer_start(struct hh_store *store, const struct hh_sequencer_config *cfg,
                             struct hh_sequencer **out, struct hh_error *err) HH_MUST_CHECK;

/*
 * Queues an entry (copied). done is called exactly once, later, from the
 * sequencer thread, unless this returns an error: HH_ERR_TOO_LARGE when the
 * queue is full or the entry is not 1..HH_ENTRY_MAX bytes, HH_ERR_CONFLICT
 * when the sequencer is stopping or stopped.
 */
hh_status hh_sequencer_submit(struct hh_sequencer *q, const struct hh_hash *id, const uint8_t *data,
                              size_t len, bool want_checkpoint, hh_sequenced_fn done, void *ctx,
                              struct hh_error *err) HH_MUST_CHECK;

/*
 * Copies the latest signed checkpoint note into a malloc'd buffer (caller
 * frees) with its size. HH_ERR_NOT_FOUND before the first one.
 */
hh_status hh_sequencer_checkpoint(struct hh_sequencer *q, char **note, size_t *len, uint64_t *size,
                                  struct hh_error *err) HH_MUST_CHECK;

/* The size of the latest signed checkpoint; HH_ERR_NOT_FOUND before the first one. */
hh_status hh_sequencer_size(struct hh_sequencer *q, uint64_t *size,
                            struct hh_error *err) HH_MUST_CHECK;

/* The last error that stopped or failed a batch ("" if none), copied into out. */
void hh_sequencer_last_error(struct hh_sequencer *q, struct hh_error *out);

/*
 * Commits what is queued and stops the sequencer thread; every queued
 * submission gets its callback (with an error if it could not be
 * committed). Afterwards submissions are refused (HH_ERR_CONFLICT) while
 * the latest checkpoint and last error stay readable, so a server can keep
 * answering reads on open connections until it stops. Call it from the
 * thread that later calls hh_sequencer_stop; a second call does nothing.
 * NULL is fine.
 */
void hh_sequencer_quiesce(struct hh_sequencer *q);

/* Quiesces (if not done yet), then frees. NULL is fine. */
void hh_sequencer_stop(struct hh_sequencer *q);

#endif

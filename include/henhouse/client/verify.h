/*
 * verify.h - verifying a whole log from outside, through its tlog tiles only.
 *
 * hh_verify_log reads a log through a tile source (tile_source.h) and checks,
 * in this order, stopping at the first discrepancy:
 *   1. the checkpoint: a signed note that verifies under the log key, whose
 *      text is a checkpoint;
 *   2. every entry bundle, then the level-0 hash tile of the same index:
 *      each entry is a well-formed DSSE envelope that verifies under at least
 *      one of the given signers (no signers: well-formed only), and each
 *      served leaf hash equals the hash of the served entry;
 *   3. every hash tile above level 0 against the hashes recomputed from the
 *      entries (hash i of a level-L tile is the MTH of full level-(L-1)
 *      tile i);
 *   4. the root recomputed from the entries against the checkpoint's root;
 *   5. with an old checkpoint: its signature, its origin, old size <= size,
 *      its root against the first old-size entries, and a consistency proof
 *      made from the recomputed hashes and verified between the two roots.
 * Bundles are read through the bundle pipeline (bundle_pipeline.h):
 * opts->fetches connections fetch bundles and hash tiles ahead, while
 * opts->threads threads hash the entries and check their envelopes.
 * Whatever finishes first, the discrepancy reported is the one in the
 * lowest bundle, so a run reports the same error every time.
 *
 * Errors: HH_ERR_VERIFY when the log is wrong in any way (a signature, a
 * hash, a root, a malformed bundle, envelope or tile of the wrong length),
 * with a message naming the entry index or tile path and, for hashes, the
 * expected (recomputed) and found (served) values in base64. A checkpoint or
 * old note that does not parse is HH_ERR_INVALID; I/O, HTTP statuses and
 * limits keep their own codes (HH_ERR_IO, HH_ERR_TOO_LARGE, ...).
 *
 * Memory: one hash per full bundle (32 bytes per 256 entries), the leaf
 * hashes of at most three bundles, and the pipeline's window of bundles in
 * flight (about 4 per thread), whatever the size of the log.
 */
#ifndef HENHOUSE_CLIENT_VERIFY_H
#define HENHOUSE_CLIENT_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <henhouse/henhouse.h>

#include <henhouse/client/tile_source.h>

#define HH_VERIFY_MAX_THREADS 64 /* HH_PIPELINE_MAX_THREADS */
#define HH_VERIFY_MAX_FETCHES 16 /* HH_PIPELINE_MAX_FETCHES */
#define HH_VERIFY_MAX_SIGNERS 64

/* Called from the calling thread of hh_verify_log, a few times a second. */
typedef void (*hh_verify_progress_fn)(void *ctx, uint64_t entries_done, uint64_t size);

struct hh_verify_options {
    const struct hh_verifier *log_key; /* signs the checkpoints */
    const struct hh_verifier *signers; /* entry signers; nsigners == 0 skips signature checks */
    size_t nsigners;
    const char *old_note; /* optional earlier signed checkpoint (NULL: none) */
    size_t old_note_len;
    unsigned threads;               /* check threads, 1..HH_VERIFY_MAX_THREADS */
    unsigned fetches;               /* fetches in flight, 0 (a default: 4)..HH_VERIFY_MAX_FETCHES */
    hh_verify_progress_fn progress; /* optional */
    void *progress_ctx;
};

/*
 * What was verified. Filled as far as verification got, also on failure
 * (so a report can say which checkpoint failed): have_checkpoint says
 * whether origin, size and root were read from a verified checkpoint.
 */
struct hh_verify_result {
    bool have_checkpoint;
    char origin[HH_ORIGIN_MAX + 1];
    uint64_t size;
    struct hh_hash root;
    uint64_t entries; /* entries whose bundle was fully checked */
    uint64_t bundles; /* entry bundles checked */
    uint64_t tiles;   /* hash tiles checked, all levels */
    bool have_old;    /* an old checkpoint was verified consistent */
    uint64_t old_size;
};

hh_status hh_verify_log(const struct hh_tile_source *src, const struct hh_verify_options *opts,
                        struct hh_verify_result *out, struct hh_error *err) HH_MUST_CHECK;

#endif

/*
 * bundle_pipeline.h - fetching, hashing and checking a log's entry bundles
 * on all cores, handed to the caller one bundle at a time, in order.
 *
 * `henhouse verify` (verify.h) and the witness's mirrors (node
 * witness/mirror.h) read logs through this one pipeline:
 *   - fetch threads, each with its own tile-source connection, take bundle
 *     indexes in increasing order and fetch each entry bundle (and, when
 *     asked, the level-0 hash tile of the same index), so several fetches
 *     are in flight;
 *   - check threads hash every entry (leaf hash) and check its DSSE envelope
 *     (envelope.h: well-formed, and signed by one of the signers when there
 *     are any), a few dozen entries per task, so one bundle is spread over
 *     all of them;
 *   - the calling thread receives every bundle through deliver(), strictly
 *     in bundle order, whatever finished first.
 * A run stops at the first bundle whose deliver() returns an error, and
 * returns that error: a discrepancy found in any bundle is reported for the
 * lowest such bundle, the same on every run.
 *
 * Memory is bounded whatever the size of the log: at most `window` bundles
 * (by default 4 per check thread and 2 per fetch; at most
 * HH_PIPELINE_MAX_WINDOW) are held from the one being delivered on; a
 * bundle's bytes are freed once deliver() returns unless it took them.
 *
 * Nothing fetched is authenticated here beyond the envelopes' signatures:
 * the caller compares the leaf hashes with a signed root.
 */
#ifndef HENHOUSE_CLIENT_BUNDLE_PIPELINE_H
#define HENHOUSE_CLIENT_BUNDLE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <henhouse/henhouse.h>

#include <henhouse/client/tile_source.h>

#define HH_PIPELINE_MAX_THREADS     64
#define HH_PIPELINE_MAX_FETCHES     16
#define HH_PIPELINE_DEFAULT_FETCHES 4
#define HH_PIPELINE_MAX_WINDOW      256

/* One entry bundle as fetched and checked. */
struct hh_bundle {
    struct hh_tile tile; /* the bundle in a tree of the run's size (index, width) */
    /*
     * HH_OK, or why the bundle has no entries: the source's error when it
     * could not be fetched, HH_ERR_VERIFY "<path>: malformed entry bundle:
     * ..." when its framing is wrong. Nothing below is set then.
     */
    hh_status rc;
    struct hh_error err;
    uint8_t *data; /* the bytes (malloc'd); deliver may take them: set data to NULL, free() later */
    size_t len;
    const uint8_t *entries[HH_TILE_WIDTH]; /* into data */
    size_t lens[HH_TILE_WIDTH];
    struct hh_hash leaves[HH_TILE_WIDTH]; /* leaf hash of every entry */
    /*
     * The lowest position (entry tile.index * 256 + bad) at or after the
     * run's `from` whose envelope check failed, with hh_entry_check's code
     * and message; tile.width when every checked entry passed.
     */
    size_t bad;
    struct hh_error bad_err;
    /* With hash_tiles: the served level-0 hash tile (freed after deliver), or why not. */
    uint8_t *hashes;
    size_t hashes_len;
    hh_status hashes_rc;
    struct hh_error hashes_err;
};

/* Receives bundle b on the calling thread; a non-HH_OK return stops the run. */
typedef hh_status (*hh_bundle_fn)(void *ctx, struct hh_bundle *b, struct hh_error *err);

struct hh_pipeline {
    const struct hh_tile_source *src;
    /*
     * Optional: `fetches` connections of src for the fetch threads. A NULL
     * one is opened by its thread and stored back, so a caller may keep them
     * open across runs; the caller closes them. NULL: the run opens and
     * closes its own.
     */
    void **conns;
    uint64_t size;   /* the tree size, which sets each bundle's width */
    uint64_t from;   /* the first entry to check: bundles from/256 .. (size-1)/256 are read */
    bool hash_tiles; /* also fetch each bundle's level-0 hash tile */
    const struct hh_verifier *signers; /* nsigners == 0: envelopes are only parsed */
    size_t nsigners;
    unsigned threads; /* check threads, 1..HH_PIPELINE_MAX_THREADS */
    unsigned fetches; /* fetches in flight, 1..HH_PIPELINE_MAX_FETCHES */
    unsigned window;  /* bundles read ahead of delivery, <= HH_PIPELINE_MAX_WINDOW; 0: a default */
    hh_bundle_fn deliver;
    void *ctx;
};

/*
 * Runs the pipeline over the bundles from p->from to p->size. HH_OK when
 * every bundle was delivered and accepted; otherwise deliver's error, or
 * HH_ERR_INVALID for bad options, HH_ERR_NOMEM, HH_ERR_INTERNAL when no
 * thread could be started.
 */
hh_status hh_pipeline_run(const struct hh_pipeline *p, struct hh_error *err) HH_MUST_CHECK;

/* The number of online CPUs, at least 1 and at most HH_PIPELINE_MAX_THREADS. */
unsigned hh_pipeline_cpus(void);

#endif

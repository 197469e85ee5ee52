/*
 * evidence.h - portable, offline-verifiable evidence of a log's misbehaviour.
 *
 * An evidence file is JSON ("format": "henhouse-evidence/v1") holding the
 * log's verifier key and the signed material that shows the conflict, so
 * that someone holding nothing else can check it:
 *
 *  - "split-view": two checkpoints signed by the log with the same size and
 *    different roots. A log signs one tree per size; two means it showed
 *    different histories.
 *  - "inconsistent": checkpoints of sizes m < n, and a consistency proof that
 *    verifies against the size-n root from an old root X different from the
 *    signed size-m root. The size-n tree does not extend the size-m tree:
 *    history was rewritten.
 *  - "unauthorised-entry": a checkpoint, an entry with its inclusion proof,
 *    and the party's signer keys; the entry is in the signed log but signed
 *    by none of them.
 *  - "bad-data": an observation that a log served tiles or entries that do
 *    not match its signed root. Tiles are unsigned, so this file records the
 *    observation but cannot prove it to a third party.
 * The "observed" member (who saw it, when, how) is context, not proof.
 */
#ifndef HENHOUSE_EVIDENCE_H
#define HENHOUSE_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hash.h"
#include "key.h"
#include "merkle.h"

#define HH_EVIDENCE_MAX_BYTES       (512 * 1024)
#define HH_EVIDENCE_MAX_DEPTH       6
#define HH_EVIDENCE_MAX_SIGNERS     64
#define HH_EVIDENCE_EXPLANATION_MAX 1024

enum hh_evidence_kind {
    HH_EVIDENCE_SPLIT_VIEW,
    HH_EVIDENCE_INCONSISTENT,
    HH_EVIDENCE_UNAUTHORISED_ENTRY,
    HH_EVIDENCE_BAD_DATA,
};

/* Who observed what, when: carried along, never trusted. */
struct hh_evidence_observation {
    const char *by;     /* e.g. the observing party's witness name */
    uint64_t time;      /* Unix seconds */
    const char *detail; /* free text, may be NULL */
};

/* Two signed checkpoint notes of the same size with different roots. */
hh_status hh_evidence_split_view(const struct hh_verifier *log_key, const char *note1, size_t len1,
                                 const char *note2, size_t len2,
                                 const struct hh_evidence_observation *obs, char **out,
                                 struct hh_error *err) HH_MUST_CHECK;

/*
 * Signed notes old (size m) and new (size n > m), and a consistency proof
 * from (m, true_old_root) to the new root, with true_old_root != old's root.
 */
hh_status hh_evidence_inconsistent(const struct hh_verifier *log_key, const char *old_note,
                                   size_t old_len, const char *new_note, size_t new_len,
                                   const struct hh_hash *true_old_root, const struct hh_hash *proof,
                                   size_t nproof, const struct hh_evidence_observation *obs,
                                   char **out, struct hh_error *err) HH_MUST_CHECK;

/* A signed note, entry index and bytes, its inclusion proof, and the authorised signers. */
hh_status hh_evidence_unauthorised_entry(const struct hh_verifier *log_key, const char *note,
                                         size_t note_len, uint64_t index, const uint8_t *entry,
                                         size_t entry_len, const struct hh_hash *proof,
                                         size_t nproof, const struct hh_verifier *signers,
                                         size_t nsigners, const struct hh_evidence_observation *obs,
                                         char **out, struct hh_error *err) HH_MUST_CHECK;

/* An observation of served data (path) that does not match a signed note. */
hh_status hh_evidence_bad_data(const struct hh_verifier *log_key, const char *note, size_t note_len,
                               const char *path, const struct hh_evidence_observation *obs,
                               char **out, struct hh_error *err) HH_MUST_CHECK;

/* The kind's name as written in the file ("split-view", ...). */
const char *hh_evidence_kind_name(enum hh_evidence_kind kind);

struct hh_evidence_verdict {
    enum hh_evidence_kind kind;
    bool proven; /* the file proves misbehaviour by the log */
    char origin[256];
    char explanation[HH_EVIDENCE_EXPLANATION_MAX]; /* plain words, for a reader */
};

/*
 * Checks an evidence file offline. HH_OK with verdict->proven saying whether
 * it proves misbehaviour (and why, or why not); HH_ERR_INVALID or
 * HH_ERR_TOO_LARGE when the file is malformed.
 */
hh_status hh_evidence_verify(const char *json, size_t len, struct hh_evidence_verdict *verdict,
                             struct hh_error *err) HH_MUST_CHECK;

#endif

/*
 * henhouse.h - the public interface of libhenhouse, the core library.
 *
 * The library holds the formats and algorithms of henhouse: Merkle proofs,
 * keys and signed notes, checkpoints, cosignatures, tiles and DSSE
 * envelopes. It never prints, never exits and keeps no global state; each
 * function returns an hh_status and explains failures in a struct hh_error.
 * Call hh_init once before anything else (it initialises libsodium).
 */
#ifndef HENHOUSE_H
#define HENHOUSE_H

#include "error.h"
#include "hash.h"
#include "merkle.h"
#include "key.h"
#include "note.h"
#include "checkpoint.h"
#include "cosignature.h"
#include "tiles.h"
#include "dsse.h"
#include "evidence.h"
#include "witness.h"

#define HH_VERSION "0.1.0"

/* Initialises the crypto library. Safe to call more than once. */
hh_status hh_init(void) HH_MUST_CHECK;

#endif

/*
 * files.h - the node's file handling: bounded reads, exclusive creation of
 * new files (0600 for secrets, fsynced), and key files.
 *
 * Signer key files readable by group or others are refused, so a secret
 * that leaked by a chmod is noticed rather than used.
 */
#ifndef HENHOUSE_CLIENT_FILES_H
#define HENHOUSE_CLIENT_FILES_H

#include <stddef.h>
#include <stdio.h>

#include <henhouse/henhouse.h>

/*
 * Reads all of a stream, at most max bytes, into a malloc'd buffer with a NUL
 * after the data (caller frees). HH_ERR_TOO_LARGE past max.
 */
hh_status hh_read_stream(FILE *f, size_t max, char **out, size_t *len,
                         struct hh_error *err) HH_MUST_CHECK;
hh_status hh_read_file(const char *path, size_t max, char **out, size_t *len,
                       struct hh_error *err) HH_MUST_CHECK;

/* Creates path (which must not exist) with mode, writes data, fsyncs, closes. */
hh_status hh_write_new_file(const char *path, const void *data, size_t len, int mode,
                            struct hh_error *err) HH_MUST_CHECK;

/* Loads a signer key file (mode must deny group and others). *out: hh_signer_free. */
hh_status hh_load_signer(const char *path, struct hh_signer **out,
                         struct hh_error *err) HH_MUST_CHECK;

/* Loads a verifier key file. */
hh_status hh_load_verifier(const char *path, struct hh_verifier *out,
                           struct hh_error *err) HH_MUST_CHECK;

/* Writes DIR/BASE.key (0600) and DIR/BASE.vkey (0644) for s. */
hh_status hh_write_key_pair(const struct hh_signer *s, const char *dir, const char *base,
                            struct hh_error *err) HH_MUST_CHECK;

#endif

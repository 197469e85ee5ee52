/*
 * uri.h - which backend a storage URI names. hh_store_open and hh_wdb_open
 * both read their URI here, so they accept the same strings:
 *
 *   sqlite:PATH       the SQLite backend, database file PATH (taken as is)
 *   PATH              the same, when the string has no scheme, i.e. no
 *                     "scheme:" before its first '/' (a scheme is a letter
 *                     followed by letters, digits, '+', '-' or '.', as in
 *                     RFC 3986); so "log.db" and "/srv/node/log.db" are paths
 *   postgresql://...  refused: this build has no PostgreSQL backend
 *   postgres://...    the same
 *   other:...         refused, naming the scheme
 *
 * Schemes match without regard to case. A file whose relative path has a
 * ':' before any '/' ("a:b.db") must be written sqlite:a:b.db or ./a:b.db.
 * Messages name the scheme, never the rest of a URI, which may hold a
 * password.
 */
#ifndef HH_NODE_STORAGE_URI_H
#define HH_NODE_STORAGE_URI_H

#include <henhouse/henhouse.h>

#define HH_STORAGE_SCHEME_MAX 32 /* longest scheme named in full in a message */

enum hh_storage_backend {
    HH_STORAGE_SQLITE,
};

/*
 * Parses uri: *backend is the backend it names and *location points into
 * uri at what that backend opens (the SQLite file path). HH_ERR_INVALID for
 * a NULL or empty uri and for schemes this build does not have.
 */
hh_status hh_storage_uri_parse(const char *uri, enum hh_storage_backend *backend,
                               const char **location, struct hh_error *err) HH_MUST_CHECK;

#endif

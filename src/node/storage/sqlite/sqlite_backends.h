/*
 * sqlite_backends.h - the openers of the SQLite backends. Only the
 * backend-neutral dispatch (storage/store.c, storage/witness_db.c) calls
 * them, after hh_storage_uri_parse chose SQLite; everyone else opens by URI
 * with hh_store_open and hh_wdb_open.
 */
#ifndef HH_NODE_SQLITE_BACKENDS_H
#define HH_NODE_SQLITE_BACKENDS_H

#include <henhouse/henhouse.h>

struct hh_store;
struct hh_wdb;

/*
 * Opens (creating if needed) the SQLite store at path, bringing its schema
 * to the current version. *out is closed with hh_store_close.
 */
hh_status hh_store_open_sqlite(const char *path, struct hh_store **out,
                               struct hh_error *err) HH_MUST_CHECK;

/*
 * Opens (creating if needed) the SQLite witness database at path, bringing
 * its schema to the current version. *out is closed with hh_wdb_close.
 */
hh_status hh_wdb_open_sqlite(const char *path, struct hh_wdb **out,
                             struct hh_error *err) HH_MUST_CHECK;

#endif

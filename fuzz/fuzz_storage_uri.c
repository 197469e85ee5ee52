/*
 * fuzz_storage_uri.c - which backend a storage URI names:
 * hh_storage_uri_parse (src/node/storage/uri.h).
 *
 * Properties: any bytes are accepted or refused without reading past them;
 * an accepted URI names the SQLite backend with a location that is a suffix
 * of the input, and "sqlite:" + that location names the same location.
 */
#include "fuzz_common.h"

#include "storage/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char uri[512], again[600];
    enum hh_storage_backend backend;
    const char *location = NULL, *location2 = NULL;
    size_t n = size < sizeof(uri) - 1 ? size : sizeof(uri) - 1;

    memcpy(uri, data, n);
    uri[n] = '\0';
    if (hh_storage_uri_parse(uri, &backend, &location, NULL) != HH_OK)
        return 0;
    FUZZ_CHECK(backend == HH_STORAGE_SQLITE);
    FUZZ_CHECK(location >= uri && location <= uri + strlen(uri));
    if ((size_t)snprintf(again, sizeof(again), "sqlite:%s", location) >= sizeof(again))
        return 0;
    FUZZ_CHECK(hh_storage_uri_parse(again, &backend, &location2, NULL) == HH_OK);
    FUZZ_CHECK(strcmp(location2, location) == 0);
    return 0;
}

/*
 * init.c - library initialisation: libsodium must be ready before any key
 * is generated or any signature checked.
 */
#include <henhouse/henhouse.h>

#include <sodium.h>

hh_status hh_init(void)
{
    return sodium_init() < 0 ? HH_ERR_INTERNAL : HH_OK;
}

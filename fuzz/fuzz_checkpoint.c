/*
 * fuzz_checkpoint.c - C2SP tlog-checkpoint text: hh_checkpoint_parse.
 *
 * Properties: a failed parse leaves the output zeroed and names the error;
 * a checkpoint that parses formats back to exactly the input bytes with
 * hh_checkpoint_format (one spelling per checkpoint), formatting into a
 * buffer one byte short is refused, and the text is valid note text.
 */
#include "fuzz_common.h"

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hh_checkpoint c;
    static char out[HH_CHECKPOINT_TEXT_MAX];
    struct hh_error err = {0};
    size_t outlen = 99;
    char *small;
    hh_status rc;

    fuzz_init();
    rc = hh_checkpoint_parse((const char *)data, size, &c, &err);
    if (rc != HH_OK) {
        FUZZ_CHECK(err.code == rc && err.msg[0] != '\0');
        FUZZ_CHECK(all_zero(&c, sizeof(c)));
        return 0;
    }
    FUZZ_CHECK(size <= HH_CHECKPOINT_TEXT_MAX);
    FUZZ_CHECK(hh_note_text_check((const char *)data, size, NULL) == HH_OK);
    FUZZ_CHECK(c.origin[0] != '\0' && c.extensions_len <= HH_CHECKPOINT_EXT_MAX);
    FUZZ_CHECK(hh_checkpoint_format(&c, out, sizeof(out), &outlen) == HH_OK);
    FUZZ_CHECK(outlen == size && memcmp(out, data, size) == 0 && out[outlen] == '\0');
    /* The NUL needs a byte too: cap == size is refused, without writing past cap (ASan). */
    small = malloc(size);
    FUZZ_CHECK(small != NULL);
    FUZZ_CHECK(hh_checkpoint_format(&c, small, size, &outlen) == HH_ERR_TOO_LARGE && outlen == 0);
    free(small);
    return 0;
}

/*
 * libFuzzer target: parsing a patch's label JSON (json-c) and converting
 * its labels to 19 classes.
 *
 * Any bytes may come in; the parser must either accept them with a 0/1
 * multi-hot, or reject them with a one-line reason of printable UTF-8 (the
 * reason goes into messages and the manifest). Inputs whose first byte is
 * odd (every one that starts with '{') also check corresponding_s2_patch.
 * The corpus in corpus/labels/ (every key with every JSON type, and the
 * inputs that once crashed the parser) is replayed in every build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/labels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether s is printable UTF-8 on one line: no control bytes, every
 * multi-byte sequence complete and in its shortest form. */
static int printable_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xC2) || c > 0xF4 ||
            i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        i += k;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bp_label_parser *parser;
    if (!parser && !(parser = bp_label_parser_new()))
        abort();
    const char *s2 = size && (data[0] & 1) ? "S2A_MSIL2A_20170613T101031_87_48"
                                           : NULL;
    struct bp_label_json out;
    char reason[512];
    memset(reason, 0x55, sizeof reason);
    int rc = bp_label_parse_json(parser, (const char *)data, size, s2, &out,
                                 reason, sizeof reason);
    if (rc == 0) {
        for (int i = 0; i < BP_LABELS19; i++)
            if (out.multi_hot[i] > 1)
                abort();
        if (out.same_19 && !out.has_19)
            abort();
        /* Present and not the same: it says what it is instead. */
        if ((out.has_19 && !out.same_19) != (out.differs_19 != NULL))
            abort();
    } else {
        size_t n = strnlen(reason, sizeof reason);
        if (rc != -1 || n == 0 || n == sizeof reason)
            abort();
        if (!printable_utf8((const unsigned char *)reason, n))
            abort(); /* messages stay on one line, in UTF-8 */
    }
    return 0;
}

/*
 * libFuzzer target: parsing a patch's label JSON (json-c) and converting
 * its labels to 19 classes.
 *
 * Any bytes may come in; the parser must either accept them with a 0/1
 * multi-hot, or reject them with a one-line, printable reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/labels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bp_label_parser *parser;
    if (!parser && !(parser = bp_label_parser_new()))
        abort();
    /* Half the inputs also check corresponding_s2_patch. */
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
    } else {
        size_t n = strnlen(reason, sizeof reason);
        if (rc != -1 || n == 0 || n == sizeof reason)
            abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)reason[i] < 0x20)
                abort(); /* messages stay on one line */
    }
    return 0;
}

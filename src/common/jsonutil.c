/* jsonutil.c - JSON values in ben-prep's own files (see jsonutil.h). */
#include "common/jsonutil.h"

#include <stdio.h>
#include <string.h>

json_object *bp_json_hex32(uint32_t v)
{
    char buf[9];
    snprintf(buf, sizeof buf, "%08x", v);
    return json_object_new_string(buf);
}

int bp_json_get_hex32(json_object *o, uint32_t *v)
{
    if (!o || !json_object_is_type(o, json_type_string) ||
        json_object_get_string_len(o) != 8)
        return -1;
    const char *s = json_object_get_string(o);
    uint32_t x = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (d < 0)
            return -1;
        x = x << 4 | (uint32_t)d;
    }
    *v = x;
    return 0;
}

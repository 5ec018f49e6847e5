/* names.c - shard, index, manifest, journal and temporary file names, and
 * the patch name check (see benprep/names.h). */
#include "benprep/names.h"

#include <stdio.h>
#include <string.h>

#include "common/utf8.h"

int bp_shard_filename_ext(char *buf, size_t size, const char *split,
                          uint32_t index, uint32_t of, const char *suffix)
{
    /* Both numbers as wide as the count, at least 5 digits, so names sort
     * in row order even past 99999 shards. */
    int width = snprintf(NULL, 0, "%u", of);
    if (width < 5)
        width = 5;
    int n = snprintf(buf, size, "%s-%0*u-of-%0*u.tfrecord%s", split, width,
                     index, width, of, suffix);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int bp_shard_filename(char *buf, size_t size, const char *split,
                      uint32_t index, uint32_t of)
{
    return bp_shard_filename_ext(buf, size, split, index, of, "");
}

/* Read a run of decimal digits at *p (at most 18); returns their count. */
static size_t digits(const char **p, uint64_t *value)
{
    uint64_t x = 0;
    size_t d = 0;
    for (; **p >= '0' && **p <= '9' && d < 19; (*p)++, d++)
        x = x * 10 + (uint64_t)(**p - '0');
    *value = x;
    return d;
}

static int known_suffix(const char *s)
{
    return !*s || strcmp(s, ".zlib") == 0 || strcmp(s, ".gz") == 0 ||
           strcmp(s, ".idx") == 0;
}

/* The split part of name: up to the "-<digits>-of-<digits>.tfrecord" that
 * ends at the last ".tfrecord". Returns its length, or 0 when there is
 * none. */
static size_t split_length(const char *name)
{
    const char *t = NULL;
    for (const char *s = strstr(name, ".tfrecord"); s;
         s = strstr(s + 1, ".tfrecord"))
        t = s;
    if (!t || t == name)
        return 0;
    /* Back over "-NNNNN-of-NNNNN". */
    const char *p = t;
    for (int run = 0; run < 2; run++) {
        while (p > name && p[-1] >= '0' && p[-1] <= '9')
            p--;
        const char *sep = run == 0 ? "-of-" : "-";
        size_t len = strlen(sep);
        if ((size_t)(p - name) < len || strncmp(p - len, sep, len) != 0)
            return 0;
        p -= len;
    }
    return (size_t)(p - name);
}

int bp_shard_name_parse(const char *name, const char *split,
                        const char *want_suffix, uint64_t *k, uint64_t *of,
                        const char **rest)
{
    size_t n = split ? strlen(split) : split_length(name);
    if (n == 0 || (split && strncmp(name, split, n) != 0) || name[n] != '-')
        return -1;
    const char *p = name + n + 1;
    size_t dk = digits(&p, k);
    if (strncmp(p, "-of-", 4) != 0)
        return -1;
    p += 4;
    size_t dof = digits(&p, of);
    int width = snprintf(NULL, 0, "%llu", (unsigned long long)*of);
    if (width < 5)
        width = 5;
    if (dk != (size_t)width || dof != (size_t)width ||
        strncmp(p, ".tfrecord", 9) != 0)
        return -1;
    p += 9;
    if (want_suffix ? strcmp(p, want_suffix) != 0 : !known_suffix(p))
        return -1;
    if (rest)
        *rest = p;
    return 0;
}

int bp_is_shard_name(const char *name)
{
    return bp_shard_name_split(name) > 0;
}

size_t bp_shard_name_split(const char *name)
{
    uint64_t k, of;
    if (bp_shard_name_parse(name, NULL, NULL, &k, &of, NULL) != 0)
        return 0;
    return split_length(name);
}

int bp_is_own_tmp(const char *name)
{
    size_t len = strlen(name);
    if (len < 6 || name[0] != '.' || strcmp(name + len - 4, ".tmp") != 0)
        return 0;
    char inner[512];
    if (len - 5 >= sizeof inner)
        return 0;
    memcpy(inner, name + 1, len - 5);
    inner[len - 5] = '\0';
    return bp_is_shard_name(inner) || strcmp(inner, BP_MANIFEST_NAME) == 0 ||
           strcmp(inner, BP_JOURNAL_NAME) == 0;
}

const char *bp_name_problem(const char *name, size_t len)
{
    if (len == 0)
        return "empty patch name";
    if (len > BP_NAME_MAX)
        return "patch name longer than 255 bytes";
    if (len == 1 && name[0] == '.')
        return "patch name is '.'";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f)
            return "patch name contains a control character";
        if (c >= 0x80) {
            size_t n = bp_utf8_sequence((const unsigned char *)name + i,
                                        len - i);
            if (n == 0)
                return "patch name is not valid UTF-8";
            if (c == 0xEF && n == 3 && (unsigned char)name[i + 1] == 0xBB &&
                (unsigned char)name[i + 2] == 0xBF)
                return "patch name contains a UTF-8 byte order mark (files "
                       "joined with cat?)";
            i += n - 1;
            continue;
        }
        if (c == '/')
            return "patch name contains '/'";
        if (c == '.' && i + 1 < len && name[i + 1] == '.')
            return "patch name contains '..'";
    }
    return NULL;
}

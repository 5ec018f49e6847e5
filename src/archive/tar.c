/* tar.c - the streaming tar parser (see tar.h). */
#include "tar.h"
#include "tar_fields.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum state {
    ST_HEADER,  /* collecting a 512-byte header */
    ST_EXT,     /* collecting an extension header's data */
    ST_SKIP,    /* skipping member data and padding */
    ST_END,     /* after the end-of-archive block: zeros only */
    ST_ERROR
};

struct bpx_tar {
    enum state state;
    uint64_t pos;            /* stream offset of the next byte */
    unsigned char hdr[BPX_TAR_BLOCK];
    size_t hdr_fill;
    uint64_t header_pos;     /* offset of the header being collected */
    uint64_t skip;           /* ST_SKIP: bytes left to skip */
    /* ST_EXT: the extension header being collected */
    char ext_type;
    unsigned char *ext;      /* BPX_TAR_EXT_MAX + 1 bytes */
    size_t ext_len, ext_need;
    uint64_t ext_pad;
    /* What extension headers say about the next member. */
    char *pend_name;         /* BPX_TAR_EXT_MAX + 1 bytes */
    size_t pend_name_len;
    int have_pend_name;
    uint64_t pend_size;
    int have_pend_size;
    int pend_sparse;
    uint64_t pend_start;     /* offset of the first extension header */
    int have_pend_start;
    /* What pax global headers say about every later member. */
    char *glob_name;         /* BPX_TAR_EXT_MAX + 1 bytes */
    size_t glob_name_len;
    int have_glob_name;
    uint64_t glob_size;
    int have_glob_size;
    char plain_name[256 + 2]; /* prefix '/' name of a ustar header */
    /* The member whose data is being skipped, for messages. */
    char cur_name[256];
    uint64_t cur_size, cur_data;
    int ended;
    char error[768];
    uint64_t error_offset;
};

struct bpx_tar *bpx_tar_new(void)
{
    struct bpx_tar *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ext = malloc(BPX_TAR_EXT_MAX + 1);
    t->pend_name = malloc(BPX_TAR_EXT_MAX + 1);
    t->glob_name = malloc(BPX_TAR_EXT_MAX + 1);
    if (!t->ext || !t->pend_name || !t->glob_name) {
        bpx_tar_free(t);
        return NULL;
    }
    return t;
}

void bpx_tar_free(struct bpx_tar *t)
{
    if (!t)
        return;
    free(t->ext);
    free(t->pend_name);
    free(t->glob_name);
    free(t);
}

static int fail(struct bpx_tar *t, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct bpx_tar *t, uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->error, sizeof t->error, fmt, ap);
    va_end(ap);
    t->error_offset = offset;
    t->state = ST_ERROR;
    return -1;
}

/* Parse the pax records in t->ext[0..ext_len); global (type 'g') records
 * set the global values. */
static int parse_pax(struct bpx_tar *t, int global)
{
    const char *p = (const char *)t->ext;
    size_t n = t->ext_len, i = 0;
    while (i < n) {
        if (p[i] == '\0') {
            /* Some writers pad the records with NULs. */
            for (; i < n; i++)
                if (p[i])
                    return fail(t, t->header_pos,
                                "pax header at byte %" PRIu64
                                ": bytes after its NUL padding",
                                t->header_pos);
            break;
        }
        size_t len = 0, j = i;
        while (j < n && p[j] >= '0' && p[j] <= '9' && len < n + 1)
            len = len * 10 + (size_t)(p[j++] - '0');
        if (j == i || j >= n || p[j] != ' ' || len <= j - i + 1 ||
            len > n - i || p[i + len - 1] != '\n')
            return fail(t, t->header_pos,
                        "pax header at byte %" PRIu64
                        ": malformed record at its byte %zu",
                        t->header_pos, i);
        const char *key = p + j + 1, *end = p + i + len - 1;
        const char *eq = memchr(key, '=', (size_t)(end - key));
        if (!eq)
            return fail(t, t->header_pos,
                        "pax header at byte %" PRIu64
                        ": record without '=' at its byte %zu",
                        t->header_pos, i);
        size_t klen = (size_t)(eq - key), vlen = (size_t)(end - eq - 1);
        const char *val = eq + 1;
        if (klen == 4 && memcmp(key, "path", 4) == 0) {
            char *dst = global ? t->glob_name : t->pend_name;
            const char *nul = memchr(val, '\0', vlen);
            if (nul)
                vlen = (size_t)(nul - val);
            memcpy(dst, val, vlen);
            dst[vlen] = '\0';
            if (global) {
                t->glob_name_len = vlen;
                t->have_glob_name = vlen > 0;
            } else {
                t->pend_name_len = vlen;
                t->have_pend_name = vlen > 0;
            }
        } else if (klen == 4 && memcmp(key, "size", 4) == 0) {
            uint64_t v = 0;
            if (vlen == 0 || vlen > 19)
                return fail(t, t->header_pos,
                            "pax header at byte %" PRIu64 ": bad size record",
                            t->header_pos);
            for (size_t k = 0; k < vlen; k++) {
                if (val[k] < '0' || val[k] > '9')
                    return fail(t, t->header_pos,
                                "pax header at byte %" PRIu64
                                ": bad size record",
                                t->header_pos);
                v = v * 10 + (uint64_t)(val[k] - '0');
            }
            if (global) {
                t->glob_size = v;
                t->have_glob_size = 1;
            } else {
                t->pend_size = v;
                t->have_pend_size = 1;
            }
        } else if (klen > 11 && memcmp(key, "GNU.sparse.", 11) == 0) {
            t->pend_sparse = 1;
        }
        i += len;
    }
    return 0;
}

static void clear_pending(struct bpx_tar *t)
{
    t->have_pend_name = 0;
    t->have_pend_size = 0;
    t->pend_sparse = 0;
    t->have_pend_start = 0;
}

static uint64_t padding(uint64_t size)
{
    return (BPX_TAR_BLOCK - size % BPX_TAR_BLOCK) % BPX_TAR_BLOCK;
}

/* An extension header's data is complete. */
static int ext_done(struct bpx_tar *t)
{
    t->ext[t->ext_len] = '\0';
    int rc = 0;
    switch (t->ext_type) {
    case 'L': {
        size_t len = strnlen((const char *)t->ext, t->ext_len);
        memcpy(t->pend_name, t->ext, len);
        t->pend_name[len] = '\0';
        t->pend_name_len = len;
        t->have_pend_name = len > 0;
        break;
    }
    case 'x':
    case 'X':
        rc = parse_pax(t, 0);
        break;
    case 'g':
        rc = parse_pax(t, 1);
        break;
    default: /* 'K': the long link name is not needed */
        break;
    }
    if (rc)
        return rc;
    t->skip = t->ext_pad;
    t->state = t->skip ? ST_SKIP : ST_HEADER;
    return 0;
}

static int member_type(char flag, int sparse)
{
    if (sparse)
        return BPX_MEMBER_OTHER;
    switch (flag) {
    case '0':
    case '\0':
    case '7':
        return BPX_MEMBER_FILE;
    case '1':
        return BPX_MEMBER_HARDLINK;
    case '2':
        return BPX_MEMBER_SYMLINK;
    case '5':
    case 'D':
        return BPX_MEMBER_DIR;
    default:
        return BPX_MEMBER_OTHER;
    }
}

/* Whether data follows a header of this kind (its size field counts). */
static int has_data(char flag)
{
    return !(flag == '2' || flag == '3' || flag == '4' || flag == '5' ||
             flag == '6');
}

/* The zero block that ends the archive. */
static int end_block(struct bpx_tar *t)
{
    if (t->have_pend_start)
        return fail(t, t->pend_start,
                    "extension header at byte %" PRIu64
                    " is followed by the end of the archive",
                    t->pend_start);
    t->ended = 1;
    t->state = ST_END;
    return 0;
}

/* The header's checksum and size fields: 0 (*size set), or the failure. */
static int check_header(struct bpx_tar *t, const unsigned char *h,
                        uint64_t *size)
{
    uint64_t stored, computed;
    char shown[101];
    bpx_tar_field_text(shown, sizeof shown, h, 100);
    int sum = bpx_tar_check_sum(h, &stored, &computed);
    if (sum == -2)
        return fail(t, t->header_pos,
                    "tar header at byte %" PRIu64 " (name field '%s'): "
                    "the checksum field is not a number",
                    t->header_pos, shown);
    if (sum != 0)
        return fail(t, t->header_pos,
                    "tar header at byte %" PRIu64 " (name field '%s'): "
                    "checksum mismatch (stored %" PRIu64 ", computed %" PRIu64
                    ")",
                    t->header_pos, shown, stored, computed);
    if (bpx_tar_number(h + 124, 12, size) != 0)
        return fail(t, t->header_pos,
                    "tar header at byte %" PRIu64 " ('%s'): bad size field",
                    t->header_pos, shown);
    return 0;
}

/* An extension header (GNU long name or link, pax): its data follows. */
static int ext_header(struct bpx_tar *t, char flag, uint64_t size)
{
    if (size > BPX_TAR_EXT_MAX)
        return fail(t, t->header_pos,
                    "tar extension header '%c' at byte %" PRIu64
                    " of %" PRIu64 " bytes: more than %u",
                    flag, t->header_pos, size, BPX_TAR_EXT_MAX);
    t->ext_type = flag;
    t->ext_len = 0;
    t->ext_need = (size_t)size;
    t->ext_pad = padding(size);
    if (flag == 'g')
        t->have_pend_start = 0; /* global: not part of the member */
    if (size == 0)
        return ext_done(t);
    t->state = ST_EXT;
    return 0;
}

/* The member's name: from a long name or pax header, else the header's
 * prefix and name fields. */
static void member_name(struct bpx_tar *t, const unsigned char *h,
                        struct bpx_tar_member *m)
{
    if (t->have_pend_name) {
        m->name = t->pend_name;
        m->name_len = t->pend_name_len;
        return;
    }
    if (t->have_glob_name) {
        m->name = t->glob_name;
        m->name_len = t->glob_name_len;
        return;
    }
    size_t nlen = strnlen((const char *)h, 100), plen = 0;
    /* Only POSIX ustar ("ustar\0") has a prefix; GNU's old format
     * ("ustar  \0") keeps times there. */
    if (memcmp(h + 257, "ustar\0", 6) == 0)
        plen = strnlen((const char *)h + 345, 155);
    size_t n = 0;
    if (plen) {
        memcpy(t->plain_name, h + 345, plen);
        n = plen;
        t->plain_name[n++] = '/';
    }
    memcpy(t->plain_name + n, h, nlen);
    n += nlen;
    t->plain_name[n] = '\0';
    m->name = t->plain_name;
    m->name_len = n;
}

/* A whole header block is in t->hdr. */
static int header_done(struct bpx_tar *t, bpx_tar_member_fn fn, void *ctx)
{
    const unsigned char *h = t->hdr;
    t->hdr_fill = 0;
    if (bpx_tar_zero_block(h))
        return end_block(t);
    uint64_t size;
    int rc = check_header(t, h, &size);
    if (rc)
        return rc;
    char flag = (char)h[156];
    if (!t->have_pend_start) {
        t->pend_start = t->header_pos;
        t->have_pend_start = 1;
    }
    if (flag == 'L' || flag == 'K' || flag == 'x' || flag == 'X' ||
        flag == 'g')
        return ext_header(t, flag, size);
    if (flag == 'V') { /* GNU volume label: not a member */
        clear_pending(t);
        t->state = ST_HEADER;
        return 0;
    }
    if (t->have_pend_size)
        size = t->pend_size;
    else if (t->have_glob_size)
        size = t->glob_size;
    struct bpx_tar_member m;
    member_name(t, h, &m);
    m.typeflag = flag;
    m.type = member_type(flag, t->pend_sparse || flag == 'S');
    m.header_offset = t->pend_start;
    m.data_offset = t->header_pos + BPX_TAR_BLOCK;
    m.size = has_data(flag) ? size : 0;
    if (m.size > UINT64_MAX / 2)
        return fail(t, t->header_pos,
                    "tar header at byte %" PRIu64 ": size %" PRIu64
                    " out of range",
                    t->header_pos, m.size);
    bpx_tar_field_text(t->cur_name, sizeof t->cur_name,
               (const unsigned char *)m.name, m.name_len);
    t->cur_size = m.size;
    t->cur_data = m.data_offset;
    clear_pending(t);
    t->skip = m.size + padding(m.size);
    t->state = t->skip ? ST_SKIP : ST_HEADER;
    return fn ? fn(ctx, &m) : 0;
}

int bpx_tar_feed(struct bpx_tar *t, const unsigned char *p, size_t len,
                 bpx_tar_member_fn fn, void *ctx)
{
    while (len) {
        switch (t->state) {
        case ST_ERROR:
            return -1;
        case ST_HEADER: {
            if (t->hdr_fill == 0)
                t->header_pos = t->pos;
            size_t take = BPX_TAR_BLOCK - t->hdr_fill;
            take = take < len ? take : len;
            memcpy(t->hdr + t->hdr_fill, p, take);
            t->hdr_fill += take;
            t->pos += take;
            p += take;
            len -= take;
            if (t->hdr_fill == BPX_TAR_BLOCK) {
                int rc = header_done(t, fn, ctx);
                if (rc)
                    return rc;
            }
            break;
        }
        case ST_EXT: {
            size_t take = t->ext_need - t->ext_len;
            take = take < len ? take : len;
            memcpy(t->ext + t->ext_len, p, take);
            t->ext_len += take;
            t->pos += take;
            p += take;
            len -= take;
            if (t->ext_len == t->ext_need) {
                int rc = ext_done(t);
                if (rc)
                    return rc;
            }
            break;
        }
        case ST_SKIP: {
            uint64_t take = t->skip < len ? t->skip : len;
            t->skip -= take;
            t->pos += take;
            p += take;
            len -= (size_t)take;
            if (!t->skip)
                t->state = ST_HEADER;
            break;
        }
        case ST_END: {
            for (size_t i = 0; i < len; i++)
                if (p[i])
                    return fail(t, t->pos + i,
                                "data after the end-of-archive block, at byte "
                                "%" PRIu64 " (a damaged or concatenated "
                                "archive)",
                                t->pos + i);
            t->pos += len;
            len = 0;
            break;
        }
        }
    }
    return t->state == ST_ERROR ? -1 : 0;
}

uint64_t bpx_tar_skippable(const struct bpx_tar *t)
{
    return t->state == ST_SKIP ? t->skip : 0;
}

void bpx_tar_skip(struct bpx_tar *t, uint64_t n)
{
    if (t->state != ST_SKIP || n > t->skip)
        return;
    t->skip -= n;
    t->pos += n;
    if (!t->skip)
        t->state = ST_HEADER;
}

int bpx_tar_finish(struct bpx_tar *t)
{
    switch (t->state) {
    case ST_ERROR:
        return -1;
    case ST_END:
        return 0;
    case ST_HEADER:
        if (t->hdr_fill)
            return fail(t, t->header_pos,
                        "the archive ends inside a tar header at byte %" PRIu64
                        " (truncated)",
                        t->header_pos);
        if (t->have_pend_start)
            return fail(t, t->pend_start,
                        "the archive ends after an extension header at byte "
                        "%" PRIu64 " (truncated)",
                        t->pend_start);
        return fail(t, t->pos,
                    "the archive ends at byte %" PRIu64
                    " without tar's end-of-archive block (truncated)",
                    t->pos);
    case ST_EXT:
        return fail(t, t->header_pos,
                    "the archive ends inside an extension header at byte "
                    "%" PRIu64 " (truncated)",
                    t->header_pos);
    case ST_SKIP:
        if (t->pos < t->cur_data + t->cur_size)
            return fail(t, t->pos,
                        "the archive ends inside member '%s' (%" PRIu64
                        " of its %" PRIu64 " bytes are missing; truncated)",
                        t->cur_name, t->cur_data + t->cur_size - t->pos,
                        t->cur_size);
        return fail(t, t->pos,
                    "the archive ends inside the padding after member '%s' "
                    "(truncated)",
                    t->cur_name);
    }
    return -1;
}

int bpx_tar_ended(const struct bpx_tar *t)
{
    return t->ended;
}

uint64_t bpx_tar_offset(const struct bpx_tar *t)
{
    return t->pos;
}

const char *bpx_tar_error(const struct bpx_tar *t, uint64_t *offset)
{
    if (offset)
        *offset = t->error_offset;
    return t->error[0] ? t->error : "no error";
}

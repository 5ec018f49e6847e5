/*
 * libFuzzer target: the streaming tar parser (ustar, GNU 'L'/'K' and
 * base-256, pax 'x'/'g' records, checksums, end of archive). Any bytes, fed
 * in pieces whose size the first byte chooses, must be parsed or refused
 * without reading or writing outside the buffers; member reports must be
 * sane (data inside the stream seen so far, names NUL-terminated).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive/tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
    uint64_t fed;
};

static int on_member(void *p, const struct bpx_tar_member *m)
{
    const struct ctx *c = p;
    if (strlen(m->name) != m->name_len || m->data_offset > c->fed + 512 ||
        m->header_offset >= m->data_offset)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bpx_tar *t;
    if (size == 0)
        return 0;
    if (size >= BPX_TAR_BLOCK + 1)
        (void)bpx_tar_header_kind(data + 1);
    t = bpx_tar_new();
    if (!t)
        return 0;
    size_t step = (size_t)data[0] * 7 + 1;
    struct ctx c = {0};
    int rc = 0;
    for (size_t i = 1; i < size && rc == 0;) {
        size_t n = size - i < step ? size - i : step;
        c.fed += n;
        rc = bpx_tar_feed(t, data + i, n, on_member, &c);
        i += n;
    }
    if (rc == 0)
        (void)bpx_tar_finish(t);
    uint64_t off;
    (void)bpx_tar_error(t, &off);
    if (bpx_tar_offset(t) > size)
        abort();
    bpx_tar_free(t);
    return 0;
}

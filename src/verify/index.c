/*
 * index.c - a shard's DALI / PyTorch index file ("<offset> <size>\n" per
 * record, FORMAT.md section 6), read line by line through a fixed buffer
 * while the shard's framing is walked, each line against the record just
 * found; then its size and CRC-32C against the manifest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "verify/verify_int.h"

/* Read the next line of the index into line (without the '\n'). Returns 1
 * for a line ending in '\n', 2 for a last line without one, 0 at the end,
 * -1 on a read error (reported). Longer lines are cut to size - 1. */
static int next_line(struct vf_verifier *v, char *line, size_t size)
{
    struct vf_index *ir = &v->idx;
    size_t n = 0;
    for (;;) {
        if (ir->at == ir->have) {
            ssize_t got;
            do
                got = read(ir->fd, ir->buf, VF_INDEX_BUFFER_BYTES);
            while (got < 0 && errno == EINTR);
            if (got < 0) {
                vf_shard_problem(v, "index %s: read error: %s", ir->path,
                                 strerror(errno));
                ir->read_failed = 1;
                return -1;
            }
            if (got == 0) {
                line[n] = '\0';
                return n ? 2 : 0;
            }
            ir->crc = bp_crc32c_extend(ir->crc, ir->buf, (size_t)got);
            ir->bytes += (uint64_t)got;
            ir->have = (size_t)got;
            ir->at = 0;
        }
        uint8_t c = ir->buf[ir->at++];
        if (c == '\n') {
            line[n] = '\0';
            ir->line++;
            return 1;
        }
        if (n + 1 < size)
            line[n++] = (char)c;
    }
}

/* "<offset> <size>": two decimal numbers and one space, nothing else. */
static int parse_line(const char *s, uint64_t *offset, uint64_t *size)
{
    uint64_t *out[2] = {offset, size};
    for (int k = 0; k < 2; k++) {
        if (*s < '0' || *s > '9')
            return -1;
        uint64_t x = 0;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (x > (UINT64_MAX - 9) / 10)
                return -1;
            x = x * 10 + (uint64_t)(*s - '0');
        }
        *out[k] = x;
        if (k == 0 && *s++ != ' ')
            return -1;
    }
    return *s == '\0' ? 0 : -1;
}

void vf_index_record(struct vf_verifier *v, uint64_t size)
{
    struct vf_index *ir = &v->idx;
    if (ir->fd < 0 || ir->stopped)
        return;
    char line[96], shown[128];
    int r = next_line(v, line, sizeof line);
    if (r < 0) {
        ir->stopped = 1;
        return;
    }
    unsigned long long nrec = v->nrec, at = v->rec_start;
    if (r == 0) {
        vf_shard_problem(v, "index %s has %llu lines, but the shard has more "
                         "records: record %llu at byte %llu is not listed",
                         ir->path, (unsigned long long)ir->line, nrec, at);
        ir->stopped = 1;
        return;
    }
    uint64_t off = 0, sz = 0;
    unsigned long long lineno = ir->line + (r == 2);
    vf_printable(shown, sizeof shown, (const uint8_t *)line, strlen(line));
    if (r == 2)
        vf_shard_problem(v, "index %s line %llu: \"%s\" does not end with a "
                         "newline", ir->path,
                         (unsigned long long)ir->line + 1, shown);
    if (parse_line(line, &off, &sz) != 0)
        vf_shard_problem(v, "index %s line %llu: \"%s\" is not \"<offset> "
                         "<size>\" (record %llu is at byte %llu, %llu bytes)",
                         ir->path, lineno, shown, nrec, at,
                         (unsigned long long)size);
    else if (off != v->rec_start || sz != size)
        vf_shard_problem(v, "index %s line %llu: \"%s\", but record %llu is "
                         "at byte %llu with %llu bytes",
                         ir->path, lineno, shown, nrec, at,
                         (unsigned long long)size);
}

void vf_index_open(struct vf_verifier *v, const char *strings)
{
    struct vf_index *ir = &v->idx;
    ir->fd = -1;
    ir->have = ir->at = 0;
    ir->bytes = ir->line = 0;
    ir->crc = 0;
    ir->stopped = ir->read_failed = 0;
    if (!v->task->has_index)
        return;
    ir->path = strings + v->task->idx_path;
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", v->opt->out, ir->path);
    ir->fd = open(full, O_RDONLY | O_CLOEXEC);
    if (ir->fd < 0)
        vf_shard_problem(v, "index %s: cannot open: %s", ir->path,
                         errno == ENOENT ? "missing (listed in the manifest)"
                                         : strerror(errno));
}

void vf_index_close(struct vf_verifier *v, int walk_complete)
{
    struct vf_index *ir = &v->idx;
    if (ir->fd < 0)
        return;
    char line[96];
    uint64_t extra = 0;
    while (!ir->read_failed && next_line(v, line, sizeof line) > 0)
        extra++;
    if (walk_complete && !ir->stopped && !ir->read_failed && extra)
        vf_shard_problem(v, "index %s has %llu more line%s than the shard has "
                         "records (%llu)", ir->path, (unsigned long long)extra,
                         extra == 1 ? "" : "s", (unsigned long long)v->nrec);
    if (!ir->read_failed && ir->bytes != v->task->idx_bytes)
        vf_shard_problem(v, "index %s: %llu bytes, the manifest says %llu",
                         ir->path, (unsigned long long)ir->bytes,
                         (unsigned long long)v->task->idx_bytes);
    else if (!ir->read_failed && ir->crc != v->task->idx_crc32c)
        vf_shard_problem(v, "index %s: CRC-32C %08x, the manifest says %08x",
                         ir->path, ir->crc, v->task->idx_crc32c);
    close(ir->fd);
    ir->fd = -1;
}

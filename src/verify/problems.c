/*
 * problems.c - the verifier's problem list: every problem with the place
 * it belongs (phase, shard, order found), the first screenful kept for
 * printing, all of them counted; and the two forms a shard's problems take.
 */
#include <stdio.h>
#include <string.h>

#include "verify/verify_int.h"

void vf_problem_vadd(struct vf_problems *ps, uint32_t phase, uint32_t shard,
                     const char *fmt, va_list ap)
{
    ps->total++;
    uint32_t seq = ps->seq++;
    if (ps->nkept == VF_MAX_SHOWN)
        return;
    struct vf_problem *p = &ps->kept[ps->nkept++];
    p->phase = phase;
    p->shard = shard;
    p->seq = seq;
    p->pad = 0;
    vsnprintf(p->text, sizeof p->text, fmt, ap);
}

void vf_problem_add(struct vf_problems *ps, uint32_t phase, uint32_t shard,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vf_problem_vadd(ps, phase, shard, fmt, ap);
    va_end(ap);
}

void vf_problems_append(struct vf_problems *into,
                        const struct vf_problems *from)
{
    for (uint32_t i = 0; i < from->nkept; i++) {
        struct vf_problem p = from->kept[i];
        p.seq = into->seq++;
        if (into->nkept < VF_MAX_SHOWN)
            into->kept[into->nkept++] = p;
    }
    into->total += from->total;
}

int vf_problem_order(const void *a, const void *b)
{
    const struct vf_problem *x = a, *y = b;
    if (x->phase != y->phase)
        return x->phase < y->phase ? -1 : 1;
    if (x->shard != y->shard)
        return x->shard < y->shard ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return 0;
}

void vf_printable(char *dst, size_t size, const uint8_t *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (n + 8 >= size) {
            memcpy(dst + n, "...", 3);
            n += 3;
            break;
        }
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
            dst[n++] = (char)s[i];
        else
            n += (size_t)snprintf(dst + n, size - n, "\\x%02x", s[i]);
    }
    dst[n] = '\0';
}

void vf_shard_problem(struct vf_verifier *v, const char *fmt, ...)
{
    char text[VF_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    vf_problem_add(&v->probs, VF_PHASE_SHARDS, v->shard, "%s: %s", v->path,
                   text);
}

void vf_record_problem(struct vf_verifier *v, const char *fmt, ...)
{
    char text[VF_TEXT_MAX];
    if (v->rec_problems > VF_MAX_RECORD_PROBLEMS)
        return;
    if (v->rec_problems++ == VF_MAX_RECORD_PROBLEMS) {
        snprintf(text, sizeof text, "%s",
                 "further problems in this record are not listed");
    } else {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
    }
    vf_problem_add(&v->probs, VF_PHASE_SHARDS, v->shard,
                   "%s: record %llu at byte %llu%s: %s", v->path,
                   (unsigned long long)v->nrec,
                   (unsigned long long)v->rec_start,
                   v->compression != VF_COMP_NONE
                       ? " of the decompressed stream"
                       : "",
                   text);
}

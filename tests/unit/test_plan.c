/* Cutting splits into chunks, shard file names, repeated rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/csv.h"
#include "benprep/plan.h"
#include "benprep/status.h"
#include "unit_util.h"

/* A split called name with rows "<tag>2_<i>,<tag>1_<i>" made through
 * bp_split_parse. */
static void make_split(struct bp_split *s, const char *name, const char *tag,
                       size_t rows)
{
    size_t cap = rows * 64 + 1, len = 0;
    char *text = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    for (size_t i = 0; i < rows; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s2_%zu,%s1_%zu\r\n",
                                tag, i, tag, i);
    char path[64];
    snprintf(path, sizeof path, "%s.csv", name);
    CU_ASSERT_EQUAL_FATAL(bp_split_parse(path, text, len, s), BP_OK);
    CU_ASSERT_EQUAL_FATAL(s->nrows, rows);
}

/* Parse literal CSV text as the split at path. */
static void text_split(struct bp_split *s, const char *path, const char *csv)
{
    size_t len;
    char *text = unit_text(csv, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL_FATAL(bp_split_parse(path, text, len, s), BP_OK);
}

/* Check every property of a plan against the splits: chunks in split then
 * row order, consecutive, full except the last of a split, each row in
 * exactly one chunk, no chunk for an empty split. Returns 1 when all hold. */
static int check_plan(const struct bp_plan *p, const struct bp_split *splits,
                      size_t nsplits, uint32_t rps)
{
    int ok = 1;
    size_t c = 0;
    uint64_t total = 0;
    for (size_t s = 0; s < nsplits; s++) {
        uint64_t rows = splits[s].nrows;
        uint64_t want = (rows + rps - 1) / rps; /* ceil */
        total += rows;
        unsigned char *seen = calloc(rows ? rows : 1, 1);
        if (!seen)
            return 0;
        uint64_t next = 0;
        for (uint64_t i = 0; i < want; i++, c++) {
            if (c >= p->nchunks) {
                ok = 0;
                break;
            }
            const struct bp_chunk *ch = &p->chunks[c];
            uint32_t want_count =
                (uint32_t)(i + 1 < want ? rps : rows - (want - 1) * rps);
            if (ch->split != s || ch->index != i || ch->of != want ||
                ch->first != next || ch->count != want_count ||
                ch->count == 0 || ch->count > rps) {
                printf("\n  chunk %zu: split %u index %u of %u first %llu "
                       "count %u; want split %zu index %llu of %llu first "
                       "%llu count %u ",
                       c, ch->split, ch->index, ch->of,
                       (unsigned long long)ch->first, ch->count, s,
                       (unsigned long long)i, (unsigned long long)want,
                       (unsigned long long)next, want_count);
                ok = 0;
            }
            for (uint64_t r = ch->first; r < ch->first + ch->count && r < rows;
                 r++)
                seen[r]++;
            next = ch->first + ch->count;
        }
        for (uint64_t r = 0; r < rows; r++)
            if (seen[r] != 1)
                ok = 0;
        free(seen);
    }
    if (c != p->nchunks || p->total_rows != total)
        ok = 0;
    return ok;
}

static void test_chunk_counts(void)
{
    static const size_t rows[] = {0, 1, 2, 9, 10, 11, 97, 1000, 1953};
    static const uint32_t rps[] = {1, 2, 3, 10, 976, 1000, 100000};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct bp_split s;
        make_split(&s, "train", "a", rows[i]);
        for (size_t k = 0; k < sizeof rps / sizeof rps[0]; k++) {
            struct bp_plan p;
            CU_ASSERT_EQUAL_FATAL(bp_plan_build(&s, 1, rps[k], &p), BP_OK);
            CU_ASSERT_EQUAL(p.nchunks, (rows[i] + rps[k] - 1) / rps[k]);
            CU_ASSERT_EQUAL(p.total_rows, rows[i]);
            int ok = check_plan(&p, &s, 1, rps[k]);
            if (!ok)
                printf("\n  rows %zu, records per shard %u ", rows[i], rps[k]);
            CU_ASSERT(ok);
            bp_plan_free(&p);
            CU_ASSERT_PTR_NULL(p.chunks);
            CU_ASSERT_EQUAL(p.nchunks, 0);
        }
        bp_split_free(&s);
    }
}

static void test_explicit_layout(void)
{
    /* 25 rows by 10: 10, 10, 5. */
    struct bp_split s;
    make_split(&s, "train", "a", 25);
    struct bp_plan p;
    CU_ASSERT_EQUAL_FATAL(bp_plan_build(&s, 1, 10, &p), BP_OK);
    CU_ASSERT_EQUAL_FATAL(p.nchunks, 3);
    static const uint64_t first[] = {0, 10, 20};
    static const uint32_t count[] = {10, 10, 5};
    for (uint32_t i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(p.chunks[i].split, 0);
        CU_ASSERT_EQUAL(p.chunks[i].index, i);
        CU_ASSERT_EQUAL(p.chunks[i].of, 3);
        CU_ASSERT_EQUAL(p.chunks[i].first, first[i]);
        CU_ASSERT_EQUAL(p.chunks[i].count, count[i]);
    }
    bp_plan_free(&p);
    /* records per shard 1: one row per chunk. */
    CU_ASSERT_EQUAL_FATAL(bp_plan_build(&s, 1, 1, &p), BP_OK);
    CU_ASSERT_EQUAL_FATAL(p.nchunks, 25);
    for (uint32_t i = 0; i < 25; i++)
        CU_ASSERT(p.chunks[i].first == i && p.chunks[i].count == 1 &&
                  p.chunks[i].index == i && p.chunks[i].of == 25);
    bp_plan_free(&p);
    /* larger than the split: one chunk with every row. */
    CU_ASSERT_EQUAL_FATAL(bp_plan_build(&s, 1, 26, &p), BP_OK);
    CU_ASSERT_EQUAL_FATAL(p.nchunks, 1);
    CU_ASSERT(p.chunks[0].first == 0 && p.chunks[0].count == 25 &&
              p.chunks[0].index == 0 && p.chunks[0].of == 1);
    bp_plan_free(&p);
    /* exactly the split: one full chunk. */
    CU_ASSERT_EQUAL_FATAL(bp_plan_build(&s, 1, 25, &p), BP_OK);
    CU_ASSERT_EQUAL_FATAL(p.nchunks, 1);
    CU_ASSERT_EQUAL(p.chunks[0].count, 25);
    bp_plan_free(&p);
    bp_split_free(&s);
}

static void test_several_splits(void)
{
    /* train 25, an empty split, val 7, test 30; by 10. */
    struct bp_split s[4];
    make_split(&s[0], "train", "t", 25);
    make_split(&s[1], "empty", "e", 0);
    make_split(&s[2], "val", "v", 7);
    make_split(&s[3], "test", "x", 30);
    struct bp_plan p;
    CU_ASSERT_EQUAL_FATAL(bp_plan_build(s, 4, 10, &p), BP_OK);
    CU_ASSERT_EQUAL(p.nchunks, 3 + 0 + 1 + 3);
    CU_ASSERT_EQUAL(p.total_rows, 62);
    CU_ASSERT(check_plan(&p, s, 4, 10));
    static const uint32_t split_of[] = {0, 0, 0, 2, 3, 3, 3};
    for (size_t i = 0; i < p.nchunks && i < 7; i++)
        CU_ASSERT_EQUAL(p.chunks[i].split, split_of[i]);
    bp_plan_free(&p);
    /* No splits at all, and only empty ones: no chunks. */
    CU_ASSERT_EQUAL_FATAL(bp_plan_build(s, 0, 10, &p), BP_OK);
    CU_ASSERT_EQUAL(p.nchunks, 0);
    CU_ASSERT_EQUAL(p.total_rows, 0);
    bp_plan_free(&p);
    CU_ASSERT_EQUAL_FATAL(bp_plan_build(&s[1], 1, 10, &p), BP_OK);
    CU_ASSERT_EQUAL(p.nchunks, 0);
    bp_plan_free(&p);
    bp_plan_free(&p); /* twice is fine */
    for (int i = 0; i < 4; i++)
        bp_split_free(&s[i]);
}

static void test_shard_filename(void)
{
    char buf[128];
    CU_ASSERT_EQUAL(bp_shard_filename(buf, sizeof buf, "train", 3, 270), 0);
    CU_ASSERT_STRING_EQUAL(buf, "train-00003-of-00270.tfrecord");
    CU_ASSERT_EQUAL(bp_shard_filename(buf, sizeof buf, "val", 0, 1), 0);
    CU_ASSERT_STRING_EQUAL(buf, "val-00000-of-00001.tfrecord");
    CU_ASSERT_EQUAL(bp_shard_filename(buf, sizeof buf, "test", 99998, 99999), 0);
    CU_ASSERT_STRING_EQUAL(buf, "test-99998-of-99999.tfrecord");
    /* Wider counts keep every digit. */
    CU_ASSERT_EQUAL(bp_shard_filename(buf, sizeof buf, "t", 5, 123456), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "123456"));
    /* The buffer must hold the name and its NUL. */
    size_t need = strlen("train-00003-of-00270.tfrecord") + 1;
    CU_ASSERT_EQUAL(bp_shard_filename(buf, need, "train", 3, 270), 0);
    CU_ASSERT_STRING_EQUAL(buf, "train-00003-of-00270.tfrecord");
    CU_ASSERT_EQUAL(bp_shard_filename(buf, need - 1, "train", 3, 270), -1);
    CU_ASSERT_EQUAL(bp_shard_filename(buf, 1, "train", 3, 270), -1);
}

/* Successive shard names of one split sort (strcmp) in index order.
 * Returns the first index whose name does not sort after the previous one,
 * or `of` when all do. */
static uint32_t first_unsorted(const char *split, uint32_t of)
{
    char prev[128], cur[128];
    if (of == 0 || bp_shard_filename(prev, sizeof prev, split, 0, of) != 0)
        return 0;
    for (uint32_t i = 1; i < of; i++) {
        if (bp_shard_filename(cur, sizeof cur, split, i, of) != 0)
            return i;
        if (strcmp(prev, cur) >= 0) {
            printf("\n  \"%s\" does not sort before \"%s\" ", prev, cur);
            return i;
        }
        memcpy(prev, cur, sizeof cur);
    }
    return of;
}

static void test_shard_names_sort(void)
{
    CU_ASSERT_EQUAL(first_unsorted("train", 1), 1);
    CU_ASSERT_EQUAL(first_unsorted("train", 270), 270);
    CU_ASSERT_EQUAL(first_unsorted("train", 99999), 99999);
    CU_ASSERT_EQUAL(first_unsorted("train", 100000), 100000);
}

/* More than 100000 shards in one split (reachable: train.csv has 269,695
 * rows and --records-per-shard may be 1): names must still sort in row
 * order, so the index is padded to the width of the count, or "train-100000"
 * would sort before "train-99999". */
static void test_shard_names_sort_wide(void)
{
    char a[128], b[128];
    CU_ASSERT_EQUAL(bp_shard_filename(a, sizeof a, "train", 99999, 100001), 0);
    CU_ASSERT_EQUAL(bp_shard_filename(b, sizeof b, "train", 100000, 100001), 0);
    printf("\n  index 99999 of 100001 -> \"%s\"\n  index 100000 of 100001 -> "
           "\"%s\" ",
           a, b);
    CU_ASSERT(strcmp(a, b) < 0);
    /* Every index of a split with 100001 and 269695 shards. */
    CU_ASSERT_EQUAL(first_unsorted("train", 100001), 100001);
    CU_ASSERT_EQUAL(first_unsorted("train", 269695), 269695);
}

static void test_unique(void)
{
    struct bp_split a, b;
    /* All distinct, over two splits. */
    text_split(&a, "train.csv", "s2a,s1a\r\ns2b,s1b\r\n");
    text_split(&b, "val.csv", "s2c,s1c\r\n");
    struct bp_split both[2] = {a, b};
    CU_ASSERT_EQUAL(bp_plan_check_unique(both, 2), BP_OK);
    CU_ASSERT_EQUAL(bp_plan_check_unique(both, 0), BP_OK);
    bp_split_free(&both[0]);
    bp_split_free(&both[1]);

    /* A repeated S2 name within one split. */
    text_split(&a, "train.csv", "s2a,s1a\r\ns2b,s1b\r\ns2a,s1c\r\n");
    CU_ASSERT_EQUAL(bp_plan_check_unique(&a, 1), BP_CSV);
    bp_split_free(&a);
    /* A repeated S1 name within one split. */
    text_split(&a, "train.csv", "s2a,s1a\r\ns2b,s1b\r\ns2c,s1a\r\n");
    CU_ASSERT_EQUAL(bp_plan_check_unique(&a, 1), BP_CSV);
    bp_split_free(&a);
    /* The same row twice. */
    text_split(&a, "train.csv", "s2a,s1a\r\ns2a,s1a\r\n");
    CU_ASSERT_EQUAL(bp_plan_check_unique(&a, 1), BP_CSV);
    bp_split_free(&a);

    /* Repeats across two splits, S2 then S1. */
    text_split(&both[0], "train.csv", "s2a,s1a\r\ns2b,s1b\r\n");
    text_split(&both[1], "test.csv", "s2c,s1c\r\ns2b,s1d\r\n");
    CU_ASSERT_EQUAL(bp_plan_check_unique(both, 2), BP_CSV);
    /* Each alone is fine. */
    CU_ASSERT_EQUAL(bp_plan_check_unique(&both[0], 1), BP_OK);
    CU_ASSERT_EQUAL(bp_plan_check_unique(&both[1], 1), BP_OK);
    bp_split_free(&both[1]);
    text_split(&both[1], "test.csv", "s2c,s1c\r\ns2d,s1a\r\n");
    CU_ASSERT_EQUAL(bp_plan_check_unique(both, 2), BP_CSV);
    bp_split_free(&both[0]);
    bp_split_free(&both[1]);

    /* Names differing in one byte, and prefixes, are distinct. */
    text_split(&a, "train.csv", "s2a,s1a\r\ns2aa,s1aa\r\ns2A,s1A\r\n");
    CU_ASSERT_EQUAL(bp_plan_check_unique(&a, 1), BP_OK);
    bp_split_free(&a);
}

static void test_unique_many(void)
{
    /* Thousands of generated rows: distinct, then one repeat at the end. */
    struct bp_split s[2];
    make_split(&s[0], "train", "a", 5000);
    make_split(&s[1], "val", "b", 3000);
    CU_ASSERT_EQUAL(bp_plan_check_unique(s, 2), BP_OK);
    bp_split_free(&s[1]);
    text_split(&s[1], "val.csv", "b2_0,b1_0\r\na2_4999,b1_1\r\n");
    CU_ASSERT_EQUAL(bp_plan_check_unique(s, 2), BP_CSV);
    bp_split_free(&s[0]);
    bp_split_free(&s[1]);
}

/* The three official split files with the default records per shard. */
static void test_official_plan(void)
{
    static const char *const files[3] = {UNIT_DATA("splits/train.csv"),
                                         UNIT_DATA("splits/val.csv"),
                                         UNIT_DATA("splits/test.csv")};
    static const size_t rows[3] = {269695, 123723, 125866};
    struct bp_split s[3];
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL_FATAL(bp_split_load(files[i], &s[i]), BP_OK);
        CU_ASSERT_EQUAL(s[i].nrows, rows[i]);
    }
    CU_ASSERT_EQUAL(BP_DEFAULT_RECORDS_PER_SHARD, 976);
    struct bp_plan p;
    CU_ASSERT_EQUAL_FATAL(
        bp_plan_build(s, 3, BP_DEFAULT_RECORDS_PER_SHARD, &p), BP_OK);
    CU_ASSERT_EQUAL(p.total_rows, 519284);
    /* ceil(269695/976) + ceil(123723/976) + ceil(125866/976) */
    CU_ASSERT_EQUAL(p.nchunks, 277 + 127 + 129);
    CU_ASSERT(check_plan(&p, s, 3, BP_DEFAULT_RECORDS_PER_SHARD));
    char name[128];
    const struct bp_chunk *last = &p.chunks[p.nchunks - 1];
    CU_ASSERT_EQUAL(bp_shard_filename(name, sizeof name, s[last->split].name,
                                      last->index, last->of), 0);
    CU_ASSERT_STRING_EQUAL(name, "test-00128-of-00129.tfrecord");
    CU_ASSERT_EQUAL(last->count, 125866 - 128 * 976);
    bp_plan_free(&p);
    /* The official splits have no repeated patch. */
    CU_ASSERT_EQUAL(bp_plan_check_unique(s, 3), BP_OK);
    /* The same file twice is all repeats. */
    struct bp_split twice[2] = {s[1], s[1]};
    CU_ASSERT_EQUAL(bp_plan_check_unique(twice, 2), BP_CSV);
    for (int i = 0; i < 3; i++)
        bp_split_free(&s[i]);
}

/* bp_shard_name_split reads back the names bp_shard_filename_ext writes,
 * and nothing else. */
static void test_shard_name_split(void)
{
    static const char *const suffixes[] = {"", ".zlib", ".gz", ".idx"};
    static const char *const splits[] = {"train", "a", "my-data", "x-00001",
                                         "S2_only-of-2"};
    static const uint32_t counts[] = {1, 277, 100000, 1234567};
    char name[512];
    for (size_t s = 0; s < sizeof splits / sizeof splits[0]; s++)
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
            for (size_t x = 0; x < sizeof suffixes / sizeof suffixes[0]; x++) {
                CU_ASSERT_EQUAL_FATAL(
                    bp_shard_filename_ext(name, sizeof name, splits[s],
                                          counts[c] - 1, counts[c], suffixes[x]),
                    0);
                CU_ASSERT_EQUAL(bp_shard_name_split(name), strlen(splits[s]));
            }
    static const char *const others[] = {
        "", ".tfrecord", "-00000-of-00001.tfrecord", "train.tfrecord",
        "train-0000-of-00001.tfrecord", "train-00000-of-0001.tfrecord",
        "train-00000_of-00001.tfrecord", "train_00000-of-00001.tfrecord",
        "train-00000-of-00001.tfrecords", "train-00000-of-00001.tfrecord.bak",
        "train-00000-of-00001.tfrecord.gz.idx", "train-00000-of-00001",
        "train-0000a-of-00001.tfrecord", "manifest.json", "00000-of-00001.tfrecord",
        ".train-00000-of-00001.tfrecord.tmp"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        CU_ASSERT_EQUAL(bp_shard_name_split(others[i]), 0);
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"chunk counts and coverage", test_chunk_counts},
        {"explicit chunk layout", test_explicit_layout},
        {"several splits, empty split", test_several_splits},
        {"bp_shard_filename", test_shard_filename},
        {"shard names sort in row order", test_shard_names_sort},
        {"shard names sort beyond 99999 shards", test_shard_names_sort_wide},
        {"bp_shard_name_split", test_shard_name_split},
        {"bp_plan_check_unique", test_unique},
        {"bp_plan_check_unique, many rows", test_unique_many},
        {"official splits, default records per shard", test_official_plan},
        {NULL, NULL}};
    return unit_main("plan", tests);
}

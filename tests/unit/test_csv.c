/* Split CSV parsing: row forms, skipped lines, malformed rows, split names,
 * patch name rules and the real official split files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "benprep/csv.h"
#include "benprep/status.h"
#include "unit_util.h"

/* Parse text[0..len) as the CSV "path" (a malloc'd copy, as the API wants). */
static int parse_n(const char *path, const char *text, size_t len,
                   struct bp_split *out)
{
    char *copy = unit_textn(text, len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    return bp_split_parse(path, copy, len, out);
}

static int parse(const char *path, const char *text, struct bp_split *out)
{
    return parse_n(path, text, strlen(text), out);
}

/* Expect the rows "s2_i,s1_i" with the given line numbers. */
static void check_rows(const struct bp_split *s, size_t n,
                       const char *const *s2, const char *const *s1,
                       const uint32_t *lines)
{
    CU_ASSERT_EQUAL_FATAL(s->nrows, n);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_STRING_EQUAL(bp_row_s2(s, i), s2[i]);
        CU_ASSERT_STRING_EQUAL(bp_row_s1(s, i), s1[i]);
        CU_ASSERT_EQUAL(s->rows[i].line, lines[i]);
    }
}

/* A rejected file leaves nothing behind in *out. */
static void check_rejected(const struct bp_split *s)
{
    CU_ASSERT_PTR_NULL(s->text);
    CU_ASSERT_PTR_NULL(s->rows);
    CU_ASSERT_PTR_NULL(s->name);
    CU_ASSERT_PTR_NULL(s->path);
    CU_ASSERT_EQUAL(s->nrows, 0);
}

static const char *const S2[] = {"a1", "a2", "a3", "a4"};
static const char *const S1[] = {"b1", "b2", "b3", "b4"};
static const uint32_t L1234[] = {1, 2, 3, 4};

static void test_crlf(void)
{
    struct bp_split s;
    const char *text = "a1,b1\r\na2,b2\r\n";
    CU_ASSERT_EQUAL_FATAL(parse("some/dir/train.csv", text, &s), BP_OK);
    check_rows(&s, 2, S2, S1, L1234);
    CU_ASSERT_STRING_EQUAL(s.name, "train");
    CU_ASSERT_STRING_EQUAL(s.path, "some/dir/train.csv");
    CU_ASSERT_EQUAL(s.text_len, strlen(text));
    /* CRC-32C of the bytes as read (computed independently). */
    CU_ASSERT_EQUAL(s.crc32c, 0x47E8A42Fu);
    bp_split_free(&s);
    CU_ASSERT_PTR_NULL(s.text);
    bp_split_free(&s); /* freeing twice is allowed */
}

static void test_lf(void)
{
    struct bp_split s;
    CU_ASSERT_EQUAL_FATAL(parse("val.csv", "a1,b1\na2,b2\na3,b3\n", &s), BP_OK);
    check_rows(&s, 3, S2, S1, L1234);
    CU_ASSERT_STRING_EQUAL(s.name, "val");
    bp_split_free(&s);
}

static void test_no_final_newline(void)
{
    struct bp_split s;
    CU_ASSERT_EQUAL_FATAL(parse("t.csv", "a1,b1\r\na2,b2", &s), BP_OK);
    check_rows(&s, 2, S2, S1, L1234);
    bp_split_free(&s);
    CU_ASSERT_EQUAL_FATAL(parse("t.csv", "a1,b1\na2,b2", &s), BP_OK);
    check_rows(&s, 2, S2, S1, L1234);
    bp_split_free(&s);
    CU_ASSERT_EQUAL_FATAL(parse("t.csv", "a1,b1", &s), BP_OK);
    check_rows(&s, 1, S2, S1, L1234);
    bp_split_free(&s);
    /* A final CR without LF ends the row too. */
    CU_ASSERT_EQUAL_FATAL(parse("t.csv", "a1,b1\r", &s), BP_OK);
    check_rows(&s, 1, S2, S1, L1234);
    bp_split_free(&s);
}

static void test_mixed_line_ends(void)
{
    struct bp_split s;
    CU_ASSERT_EQUAL_FATAL(
        parse("t.csv", "a1,b1\r\na2,b2\na3,b3\r\na4,b4", &s), BP_OK);
    check_rows(&s, 4, S2, S1, L1234);
    bp_split_free(&s);
}

static void test_bom_and_blank_lines(void)
{
    struct bp_split s;
    static const uint32_t lines[] = {1, 4, 6};
    CU_ASSERT_EQUAL_FATAL(
        parse("t.csv", "\xEF\xBB\xBF" "a1,b1\r\n\r\n\na2,b2\r\n\r\na3,b3\n\n\r\n",
              &s),
        BP_OK);
    check_rows(&s, 3, S2, S1, lines);
    bp_split_free(&s);
    /* Only a BOM, only blank lines, nothing at all: a valid empty split. */
    CU_ASSERT_EQUAL(parse("t.csv", "\xEF\xBB\xBF", &s), BP_OK);
    CU_ASSERT_EQUAL(s.nrows, 0);
    bp_split_free(&s);
    CU_ASSERT_EQUAL(parse("t.csv", "\r\n\n\r\n", &s), BP_OK);
    CU_ASSERT_EQUAL(s.nrows, 0);
    bp_split_free(&s);
    CU_ASSERT_EQUAL(parse("empty.csv", "", &s), BP_OK);
    CU_ASSERT_EQUAL(s.nrows, 0);
    CU_ASSERT_STRING_EQUAL(s.name, "empty");
    bp_split_free(&s);
}

static void test_real_names_and_dots(void)
{
    struct bp_split s;
    /* Real names, including a 5-digit time field; dots inside a name are
     * fine as long as there is no "..". */
    static const char *const s2[] = {"S2B_MSIL2A_20170924T93020_69_24", "a.b"};
    static const char *const s1[] = {"S1A_IW_GRDH_1SDV_20170925T043256_35VPK_69_24",
                                     ".c"};
    CU_ASSERT_EQUAL_FATAL(parse("t.csv",
                                "S2B_MSIL2A_20170924T93020_69_24,"
                                "S1A_IW_GRDH_1SDV_20170925T043256_35VPK_69_24\r\n"
                                "a.b,.c\r\n",
                                &s),
                          BP_OK);
    check_rows(&s, 2, s2, s1, L1234);
    bp_split_free(&s);
}

/* Each of these rows alone (and among good rows) makes the file BP_CSV.
 * A one-column row alone is an S2-only split file, so those are wrong only
 * among two-column rows (alone_ok). */
static void test_malformed_rows(void)
{
    static const struct {
        const char *row;
        size_t len; /* 0: strlen */
        int alone_ok;
    } bad[] = {
        {"a1\r\n", 0, 1},        /* 1 column */
        {"a1,b1,c1\r\n", 0, 0},     /* 3 columns */
        {"a1,b1,\r\n", 0, 0},       /* 3 columns, last empty */
        {",b1\r\n", 0, 0},          /* empty S2 */
        {"a1,\r\n", 0, 0},          /* empty S1 */
        {",\r\n", 0, 0},            /* both empty */
        {"a/1,b1\r\n", 0, 0},       /* '/' in S2 */
        {"a1,b/1\r\n", 0, 0},       /* '/' in S1 */
        {"..,b1\r\n", 0, 0},        /* ".." */
        {"a1,x..y\r\n", 0, 0},      /* contains ".." */
        {".,b1\r\n", 0, 0},         /* "." */
        {"a1,.\r\n", 0, 0},         /* "." */
        {"a\t1,b1\r\n", 0, 0},      /* TAB */
        {"a1,b\x01" "1\r\n", 0, 0}, /* control character */
        {"a1,b1\x7f\r\n", 0, 0},    /* DEL */
        {"a\r1,b1\r\n", 0, 0},      /* a CR inside the row */
        {"a1,b\0" "1\r\n", 8, 0},   /* a NUL byte */
        {"a1;b1\r\n", 0, 1},     /* wrong separator: 1 column */
        {"a1,\xef\xbb\xbf" "b1\r\n", 0, 0}, /* a BOM inside (files joined) */
        {"a\xff" "1,b1\r\n", 0, 0},    /* not UTF-8 */
        {"a1,b\xc3\r\n", 0, 0},        /* a UTF-8 sequence cut short */
        {"a1,b\xc0\xaf\r\n", 0, 0},   /* an overlong '/' */
        {"a1,b\xed\xa0\x80\r\n", 0, 0}, /* a surrogate */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = bad[i].len ? bad[i].len : strlen(bad[i].row);
        struct bp_split s;
        int rc = parse_n("bad.csv", bad[i].row, len, &s);
        if (!bad[i].alone_ok) {
            if (rc != BP_CSV)
                printf("\n  row %zu was accepted ", i);
            CU_ASSERT_EQUAL(rc, BP_CSV);
            check_rejected(&s);
        } else {
            CU_ASSERT_EQUAL(rc, BP_OK);
            CU_ASSERT_EQUAL(s.columns, 1);
        }
        bp_split_free(&s);
        /* Between good rows. */
        char text[64];
        memcpy(text, "a8,b8\r\n", 7);
        memcpy(text + 7, bad[i].row, len);
        memcpy(text + 7 + len, "a9,b9\r\n", 8);
        rc = parse_n("bad.csv", text, len + 14, &s);
        CU_ASSERT_EQUAL(rc, BP_CSV);
        check_rejected(&s);
        bp_split_free(&s);
    }
}

/* S2-only split files: one name per row; most rows decide the kind. */
static void test_s2_only(void)
{
    struct bp_split s;
    CU_ASSERT_EQUAL(parse("s2.csv", "S2A_x_1_2\r\nS2B_y_3_4\r\n", &s), BP_OK);
    CU_ASSERT_EQUAL(s.columns, 1);
    CU_ASSERT_EQUAL(s.nrows, 2);
    if (s.nrows == 2) {
        CU_ASSERT_STRING_EQUAL(bp_row_s2(&s, 0), "S2A_x_1_2");
        CU_ASSERT_STRING_EQUAL(bp_row_s2(&s, 1), "S2B_y_3_4");
        CU_ASSERT_STRING_EQUAL(bp_row_s1(&s, 1), "");
        CU_ASSERT_EQUAL(s.rows[1].line, 2);
    }
    bp_split_free(&s);
    CU_ASSERT_EQUAL(parse("mm.csv", "a,b\r\n", &s), BP_OK);
    CU_ASSERT_EQUAL(s.columns, 2);
    bp_split_free(&s);
    /* Most rows decide the kind of file: a bad first row is the bad row. */
    CU_ASSERT_EQUAL(parse("mm.csv", "a1\r\na2,b2\r\na3,b3\r\n", &s), BP_CSV);
    CU_ASSERT_EQUAL(parse("s2.csv", "a1,b1\r\na2\r\na3\r\n", &s), BP_CSV);
    CU_ASSERT_EQUAL(parse("tie.csv", "a1\r\n\r\na2,b2\r\n", &s), BP_CSV);
    CU_ASSERT_EQUAL(parse("s2.csv", "\r\n\na1\r\na2\n", &s), BP_OK);
    CU_ASSERT_EQUAL(s.columns, 1);
    bp_split_free(&s);
    CU_ASSERT_EQUAL(parse("empty.csv", "\r\n", &s), BP_OK);
    CU_ASSERT_EQUAL(s.columns, 0);
    CU_ASSERT_EQUAL(s.nrows, 0);
    bp_split_free(&s);
    /* Two columns after a one-column row, and bad names, are errors. */
    CU_ASSERT_EQUAL(parse("s2.csv", "S2A_x_1_2\r\nS2B,S1B\r\n", &s), BP_CSV);
    CU_ASSERT_EQUAL(parse("s2.csv", "S2A_x_1_2\r\n../etc\r\n", &s), BP_CSV);
    CU_ASSERT_EQUAL(parse("s2.csv", "S2A_x_1_2\r\n\x01\r\n", &s), BP_CSV);
    /* The official S2-only splits. */
    CU_ASSERT_EQUAL(bp_split_load(BENPREP_SHARED_DATA "/splits-s2/train.csv", &s),
                    BP_OK);
    CU_ASSERT_EQUAL(s.columns, 1);
    CU_ASSERT(s.nrows > 100000);
    bp_split_free(&s);
}

static void test_name_length_limit(void)
{
    char text[2 * 256 + 8];
    char name[257];
    struct bp_split s;
    /* 255 bytes is fine, in either column. */
    memset(name, 'x', 255);
    name[255] = '\0';
    snprintf(text, sizeof text, "%s,%s\r\n", name, name);
    CU_ASSERT_EQUAL(parse("t.csv", text, &s), BP_OK);
    CU_ASSERT_EQUAL(s.nrows, 1);
    if (s.nrows == 1) {
        CU_ASSERT_EQUAL(strlen(bp_row_s2(&s, 0)), 255);
        CU_ASSERT_EQUAL(strlen(bp_row_s1(&s, 0)), 255);
    }
    bp_split_free(&s);
    /* 256 is not, in either column. */
    memset(name, 'x', 256);
    name[256] = '\0';
    snprintf(text, sizeof text, "%s,b1\r\n", name);
    CU_ASSERT_EQUAL(parse("t.csv", text, &s), BP_CSV);
    snprintf(text, sizeof text, "a1,%s\r\n", name);
    CU_ASSERT_EQUAL(parse("t.csv", text, &s), BP_CSV);
}

static void test_many_errors(void)
{
    /* More errors than are reported one by one: still BP_CSV, no crash. */
    size_t n = 100, len = 0;
    char *text = malloc(n * 8 + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%s\r\n", i % 2 ? "a,b,c" : "ok,ok");
    struct bp_split s;
    CU_ASSERT_EQUAL(bp_split_parse("many.csv", text, len, &s), BP_CSV);
    check_rejected(&s);
}

static void test_bad_split_file_name(void)
{
    struct bp_split s;
    CU_ASSERT_EQUAL(parse(".csv", "a1,b1\r\n", &s), BP_CSV);
    check_rejected(&s);
    CU_ASSERT_EQUAL(parse("dir/.hidden.csv", "a1,b1\r\n", &s), BP_CSV);
    CU_ASSERT_EQUAL(parse("dir/", "a1,b1\r\n", &s), BP_CSV);
    char path[300];
    memset(path, 'n', 256);
    strcpy(path + 256, ".csv");
    CU_ASSERT_EQUAL(parse(path, "a1,b1\r\n", &s), BP_CSV);
    path[255] = '.'; /* a 255-byte split name is accepted */
    CU_ASSERT_EQUAL(parse(path, "a1,b1\r\n", &s), BP_OK);
    CU_ASSERT_EQUAL(s.name ? strlen(s.name) : 0, 255);
    bp_split_free(&s);
}

static void test_split_name(void)
{
    char buf[64];
    CU_ASSERT_EQUAL(bp_split_name("a/b/train.csv", buf, sizeof buf), 0);
    CU_ASSERT_STRING_EQUAL(buf, "train");
    CU_ASSERT_EQUAL(bp_split_name("x.y.csv", buf, sizeof buf), 0);
    CU_ASSERT_STRING_EQUAL(buf, "x");
    CU_ASSERT_EQUAL(bp_split_name("val.csv", buf, sizeof buf), 0);
    CU_ASSERT_STRING_EQUAL(buf, "val");
    CU_ASSERT_EQUAL(bp_split_name("/abs/path.d/test", buf, sizeof buf), 0);
    CU_ASSERT_STRING_EQUAL(buf, "test");
    CU_ASSERT_EQUAL(bp_split_name(".csv", buf, sizeof buf), -1);
    CU_ASSERT_EQUAL(bp_split_name("a/.csv", buf, sizeof buf), -1);
    CU_ASSERT_EQUAL(bp_split_name("a/", buf, sizeof buf), -1);
    CU_ASSERT_EQUAL(bp_split_name("", buf, sizeof buf), -1);
    /* The buffer must hold the name and its NUL. */
    CU_ASSERT_EQUAL(bp_split_name("train.csv", buf, 6), 0);
    CU_ASSERT_STRING_EQUAL(buf, "train");
    CU_ASSERT_EQUAL(bp_split_name("train.csv", buf, 5), -1);
}

static void test_name_problem(void)
{
    CU_ASSERT_PTR_NULL(bp_name_problem("S2A_MSIL2A_20170613T101031_87_48", 32));
    CU_ASSERT_PTR_NULL(bp_name_problem("a.b", 3));
    CU_ASSERT_PTR_NULL(bp_name_problem(".a", 2));
    CU_ASSERT_PTR_NULL(bp_name_problem("a b", 3));
    CU_ASSERT_PTR_NULL(bp_name_problem("caf\xC3\xA9", 5)); /* UTF-8 is fine */
    CU_ASSERT_PTR_NULL(bp_name_problem("\xF0\x9F\x8C\x8D\xE2\x82\xAC", 7));
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("caf\xE9", 4)); /* Latin-1 */
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("caf\xC3", 4)); /* cut short */
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("caf\xC3\xA9", 4)); /* by len */
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("", 0));
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem(".", 1));
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("..", 2));
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("a..", 3));
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("a/b", 3));
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("/", 1));
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("a\nb", 3));
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("a\x1f", 2));
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("\x7f", 1));
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem("a\0b", 3));
    /* Only len bytes are looked at. */
    CU_ASSERT_PTR_NULL(bp_name_problem("ab/cd", 2));
    CU_ASSERT_PTR_NULL(bp_name_problem("a./", 2));
    char name[257];
    memset(name, 'x', 256);
    name[256] = '\0';
    CU_ASSERT_PTR_NULL(bp_name_problem(name, 255));
    CU_ASSERT_PTR_NOT_NULL(bp_name_problem(name, 256));
    /* The reasons say what is wrong. */
    const char *why = bp_name_problem("a/b", 3);
    CU_ASSERT(why && strstr(why, "/"));
    why = bp_name_problem("a..b", 4);
    CU_ASSERT(why && strstr(why, ".."));
}

/* ---- The official split files. ---- */

static void check_official(const char *file, const char *name, size_t rows,
                           const char *first_s2, const char *first_s1,
                           const char *last_s2, const char *last_s1)
{
    struct bp_split s;
    int rc = bp_split_load(file, &s);
    CU_ASSERT_EQUAL_FATAL(rc, BP_OK);
    CU_ASSERT_STRING_EQUAL(s.name, name);
    CU_ASSERT_STRING_EQUAL(s.path, file);
    CU_ASSERT_EQUAL(s.nrows, rows);
    if (s.nrows == rows) {
        CU_ASSERT_STRING_EQUAL(bp_row_s2(&s, 0), first_s2);
        CU_ASSERT_STRING_EQUAL(bp_row_s1(&s, 0), first_s1);
        CU_ASSERT_STRING_EQUAL(bp_row_s2(&s, rows - 1), last_s2);
        CU_ASSERT_STRING_EQUAL(bp_row_s1(&s, rows - 1), last_s1);
        CU_ASSERT_EQUAL(s.rows[0].line, 1);
        CU_ASSERT_EQUAL(s.rows[rows - 1].line, rows);
    }
    struct stat st;
    CU_ASSERT(stat(file, &st) == 0 && (size_t)st.st_size == s.text_len);
    bp_split_free(&s);
}

static void test_official_train(void)
{
    check_official(UNIT_DATA("splits/train.csv"), "train", 269695,
                   "S2A_MSIL2A_20170717T113321_28_87",
                   "S1B_IW_GRDH_1SDV_20170717T064605_29UPA_28_87",
                   "S2B_MSIL2A_20170812T092029_81_1",
                   "S1A_IW_GRDH_1SDV_20170810T153207_35VPH_81_1");
}

static void test_official_val(void)
{
    check_official(UNIT_DATA("splits/val.csv"), "val", 123723,
                   "S2A_MSIL2A_20170717T113321_28_89",
                   "S1B_IW_GRDH_1SDV_20170717T064605_29UPA_28_89",
                   "S2B_MSIL2A_20170812T092029_75_6",
                   "S1A_IW_GRDH_1SDV_20170810T153207_35VPH_75_6");
}

static void test_official_test(void)
{
    check_official(UNIT_DATA("splits/test.csv"), "test", 125866,
                   "S2A_MSIL2A_20170717T113321_28_88",
                   "S1B_IW_GRDH_1SDV_20170717T064605_29UPA_28_88",
                   "S2B_MSIL2A_20170812T092029_74_7",
                   "S1A_IW_GRDH_1SDV_20170810T153207_35VPH_74_7");
}

static void test_load_failures(void)
{
    struct bp_split s;
    CU_ASSERT_EQUAL(bp_split_load(UNIT_DATA("splits/no-such-file.csv"), &s),
                    BP_CSV);
    check_rejected(&s);
    /* A folder is not a split file. */
    CU_ASSERT_EQUAL(bp_split_load(UNIT_DATA("splits"), &s), BP_CSV);
    check_rejected(&s);
}

/* bp_split_load of files written here: contents as given, and a bad row. */
static void test_load_temp_files(void)
{
    char dir[] = "/tmp/benprep-unit-csv-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char good[128], bad[128];
    snprintf(good, sizeof good, "%s/mini.v2.csv", dir);
    snprintf(bad, sizeof bad, "%s/broken.csv", dir);
    FILE *f = fopen(good, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("a1,b1\r\na2,b2\r\n", f);
    fclose(f);
    f = fopen(bad, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("a1,b1\r\na2\r\n", f);
    fclose(f);

    struct bp_split s;
    CU_ASSERT_EQUAL(bp_split_load(good, &s), BP_OK);
    CU_ASSERT_STRING_EQUAL(s.name, "mini");
    check_rows(&s, 2, S2, S1, L1234);
    CU_ASSERT_EQUAL(s.crc32c, 0x47E8A42Fu);
    bp_split_free(&s);
    CU_ASSERT_EQUAL(bp_split_load(bad, &s), BP_CSV);
    check_rejected(&s);

    unlink(good);
    unlink(bad);
    rmdir(dir);
}

/* Lines ended by CR alone are one line with CRs inside: refused, whatever
 * the column count comes out as (the message says "CR only"). */
static void test_cr_only(void)
{
    static const char *const files[] = {"a1,b1\ra2,b2\ra3,b3\r",
                                        "a1,b1\ra2,b2", "a1\ra2\ra3\r",
                                        "a1,b1\r\na2,b2\ra3,b3\r\n"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct bp_split s;
        CU_ASSERT_EQUAL(parse("cr.csv", files[i], &s), BP_CSV);
        check_rejected(&s);
    }
}

/* Thousands of blank lines cost no row memory and a screenful of
 * warnings; the rows keep their line numbers. */
static void test_many_blank_lines(void)
{
    size_t n = 100000;
    char *text = malloc(n + 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    memset(text, '\n', n);
    memcpy(text + n, "a1,b1\r\n", 7);
    struct bp_split s;
    CU_ASSERT_EQUAL(parse_n("blank.csv", text, n + 7, &s), BP_OK);
    CU_ASSERT_EQUAL(s.nrows, 1);
    if (s.nrows == 1)
        CU_ASSERT_EQUAL(s.rows[0].line, n + 1);
    bp_split_free(&s);
    free(text);
}

/* Only regular files are read, never blocking: a FIFO (even behind a
 * symlink), a socket, a device; a file over the size limit is refused
 * before it is read, so a sparse file of gigabytes costs nothing. */
static void test_load_not_regular(void)
{
    char dir[] = "/tmp/benprep-unit-csv-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char fifo[128], link[128], sock[128], sparse[128], big[128];
    snprintf(fifo, sizeof fifo, "%s/fifo.csv", dir);
    snprintf(link, sizeof link, "%s/link.csv", dir);
    snprintf(sock, sizeof sock, "%s/sock.csv", dir);
    snprintf(sparse, sizeof sparse, "%s/sparse.csv", dir);
    snprintf(big, sizeof big, "%s/big.csv", dir);
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    CU_ASSERT_EQUAL_FATAL(symlink(fifo, link), 0);
    int sfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    memcpy(addr.sun_path, sock, strlen(sock) + 1); /* well under 108 bytes */
    CU_ASSERT_EQUAL(bind(sfd, (struct sockaddr *)&addr, sizeof addr), 0);
    int fd = open(sparse, O_WRONLY | O_CREAT, 0600);
    CU_ASSERT(fd >= 0 && ftruncate(fd, 3LL << 30) == 0);
    close(fd);
    fd = open(big, O_WRONLY | O_CREAT, 0600);
    CU_ASSERT(fd >= 0 && ftruncate(fd, BP_SPLIT_MAX_BYTES + 1) == 0);
    close(fd);
    /* A blocking open would hang here: the alarm ends the test instead. */
    alarm(20);
    const char *const refused[] = {fifo, link, sock, "/dev/null", sparse, big};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct bp_split s;
        CU_ASSERT_EQUAL(bp_split_load(refused[i], &s), BP_CSV);
        check_rejected(&s);
    }
    alarm(0);
    close(sfd);
    const char *const made[] = {fifo, link, sock, sparse, big};
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
        unlink(made[i]);
    rmdir(dir);
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"CRLF rows", test_crlf},
        {"LF rows", test_lf},
        {"no final newline", test_no_final_newline},
        {"mixed line ends", test_mixed_line_ends},
        {"BOM and blank lines skipped", test_bom_and_blank_lines},
        {"real names, dots", test_real_names_and_dots},
        {"malformed rows are BP_CSV", test_malformed_rows},
        {"S2-only split files", test_s2_only},
        {"255-byte names ok, 256 not", test_name_length_limit},
        {"many errors", test_many_errors},
        {"bad split file names", test_bad_split_file_name},
        {"bp_split_name", test_split_name},
        {"bp_name_problem", test_name_problem},
        {"official train.csv", test_official_train},
        {"official val.csv", test_official_val},
        {"official test.csv", test_official_test},
        {"missing file, folder", test_load_failures},
        {"load files written here", test_load_temp_files},
        {"CR-only line ends", test_cr_only},
        {"many blank lines", test_many_blank_lines},
        {"FIFO, socket, device, huge files", test_load_not_regular},
        {NULL, NULL}};
    return unit_main("csv", tests);
}

/* Command line parsing: reference options, long forms, defaults, --help,
 * --version and usage errors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/config.h"
#include "benprep/plan.h"
#include "benprep/shard.h"
#include "unit_util.h"

#define MAXARGS 32

/* The argv of the last parse; cfg points into it, so it stays alive. */
static char *args[MAXARGS + 1];
static char out_text[8192], err_text[8192];

static void slurp(FILE *f, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!f)
        return;
    rewind(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Parse "ben-prep" followed by the NULL-terminated arguments; the messages
 * land in out_text and err_text. */
static enum bp_cli_result parse(struct bp_config *cfg, ...)
{
    va_list ap;
    int argc = 0;
    args[argc++] = (char *)"ben-prep";
    va_start(ap, cfg);
    for (const char *a; (a = va_arg(ap, const char *)) && argc < MAXARGS;)
        args[argc++] = (char *)a;
    va_end(ap);
    args[argc] = NULL;
    FILE *out = tmpfile(), *err = tmpfile();
    CU_ASSERT_FATAL(out && err);
    enum bp_cli_result rc = bp_cli_parse(argc, args, cfg, out, err);
    slurp(out, out_text, sizeof out_text);
    slurp(err, err_text, sizeof err_text);
    return rc;
}

/* A usage error: BP_CLI_USAGE, a message on err naming `quoted` in quotes,
 * nothing on out, and nothing left to free. */
static void check_usage(enum bp_cli_result rc, struct bp_config *cfg,
                        const char *quoted)
{
    CU_ASSERT_EQUAL(rc, BP_CLI_USAGE);
    CU_ASSERT_STRING_EQUAL(out_text, "");
    CU_ASSERT(err_text[0] != '\0');
    if (quoted) {
        char q[256];
        snprintf(q, sizeof q, "'%s'", quoted);
        if (!strstr(err_text, q))
            printf("\n  wanted %s in: %s", q, err_text);
        CU_ASSERT_PTR_NOT_NULL(strstr(err_text, q));
    }
    CU_ASSERT_PTR_NULL(cfg->splits);
    CU_ASSERT_EQUAL(cfg->nsplits, 0);
}

static void test_reference_options(void)
{
    struct bp_config cfg;
    enum bp_cli_result rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n",
                                  "x.csv", "y.csv", "z.csv", NULL);
    CU_ASSERT_EQUAL_FATAL(rc, BP_CLI_RUN);
    CU_ASSERT_STRING_EQUAL(cfg.root_s1, "A");
    CU_ASSERT_STRING_EQUAL(cfg.root_s2, "B");
    CU_ASSERT_STRING_EQUAL(cfg.out_dir, "C");
    CU_ASSERT_EQUAL_FATAL(cfg.nsplits, 3);
    CU_ASSERT_STRING_EQUAL(cfg.splits[0], "x.csv");
    CU_ASSERT_STRING_EQUAL(cfg.splits[1], "y.csv");
    CU_ASSERT_STRING_EQUAL(cfg.splits[2], "z.csv");
    /* Defaults. */
    CU_ASSERT_STRING_EQUAL(cfg.library, "tensorflow");
    CU_ASSERT_EQUAL(cfg.records_per_shard, BP_DEFAULT_RECORDS_PER_SHARD);
    CU_ASSERT_EQUAL(cfg.dry_run, 0);
    CU_ASSERT_EQUAL(cfg.verbosity, 0);
    /* The command line is kept for the manifest. */
    CU_ASSERT_EQUAL(cfg.argc, 11);
    CU_ASSERT_PTR_EQUAL(cfg.argv, args);
    CU_ASSERT_STRING_EQUAL(out_text, "");
    CU_ASSERT_STRING_EQUAL(err_text, "");
    bp_config_free(&cfg);
    CU_ASSERT_PTR_NULL(cfg.splits);
    CU_ASSERT_EQUAL(cfg.nsplits, 0);
    bp_config_free(&cfg); /* twice is fine */
    bp_config_free(NULL);
}

static void test_long_options(void)
{
    struct bp_config cfg;
    enum bp_cli_result rc =
        parse(&cfg, "--root_folder_s1", "A", "--root_folder_s2", "B",
              "--out_folder", "C", "--splits", "x.csv", "y.csv", NULL);
    CU_ASSERT_EQUAL_FATAL(rc, BP_CLI_RUN);
    CU_ASSERT_STRING_EQUAL(cfg.root_s1, "A");
    CU_ASSERT_STRING_EQUAL(cfg.root_s2, "B");
    CU_ASSERT_STRING_EQUAL(cfg.out_dir, "C");
    CU_ASSERT_EQUAL(cfg.nsplits, 2);
    bp_config_free(&cfg);

    rc = parse(&cfg, "--root_folder_s1=A", "--root_folder_s2=B",
               "--out_folder=C", "--splits=x.csv", "y.csv",
               "--records-per-shard=500", NULL);
    CU_ASSERT_EQUAL_FATAL(rc, BP_CLI_RUN);
    CU_ASSERT_STRING_EQUAL(cfg.root_s1, "A");
    CU_ASSERT_STRING_EQUAL(cfg.root_s2, "B");
    CU_ASSERT_STRING_EQUAL(cfg.out_dir, "C");
    CU_ASSERT_EQUAL_FATAL(cfg.nsplits, 2);
    CU_ASSERT_STRING_EQUAL(cfg.splits[0], "x.csv");
    CU_ASSERT_STRING_EQUAL(cfg.splits[1], "y.csv");
    CU_ASSERT_EQUAL(cfg.records_per_shard, 500);
    bp_config_free(&cfg);

    /* Any order; a value may contain '='. */
    rc = parse(&cfg, "-n", "train.csv", "-o", "out=1", "--root_folder_s2", "B",
               "-r1", "A", NULL);
    CU_ASSERT_EQUAL_FATAL(rc, BP_CLI_RUN);
    CU_ASSERT_STRING_EQUAL(cfg.out_dir, "out=1");
    CU_ASSERT_STRING_EQUAL(cfg.root_s1, "A");
    CU_ASSERT_EQUAL(cfg.nsplits, 1);
    bp_config_free(&cfg);
}

static void test_library(void)
{
    struct bp_config cfg;
    enum bp_cli_result rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C",
                                  "-n", "x.csv", "-l", "tensorflow", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
    if (rc == BP_CLI_RUN)
        CU_ASSERT_STRING_EQUAL(cfg.library, "tensorflow");
    bp_config_free(&cfg);
    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--library=tensorflow", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
    bp_config_free(&cfg);
    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv", "-l",
               "pytorch", NULL);
    check_usage(rc, &cfg, "pytorch");
    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--library", "TensorFlow", NULL);
    check_usage(rc, &cfg, "TensorFlow");
}

static void test_reliability_options(void)
{
    struct bp_config cfg;
    enum bp_cli_result rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C",
                                  "-n", "x.csv", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
    CU_ASSERT_EQUAL(cfg.update_json, 0);
    CU_ASSERT_EQUAL(cfg.max_failures, 0);
    CU_ASSERT_EQUAL(cfg.resume, 0);
    CU_ASSERT_EQUAL(cfg.force, 0);
    bp_config_free(&cfg);

    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--update_json", "--max-failures", "25", "--resume", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
    CU_ASSERT_EQUAL(cfg.update_json, 1);
    CU_ASSERT_EQUAL(cfg.max_failures, 25);
    CU_ASSERT_EQUAL(cfg.resume, 1);
    bp_config_free(&cfg);

    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--max-failures=4294967295", "--force", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
    CU_ASSERT_EQUAL(cfg.max_failures, 4294967295u);
    CU_ASSERT_EQUAL(cfg.force, 1);
    bp_config_free(&cfg);

    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--update_json=yes", NULL);
    check_usage(rc, &cfg, "--update_json=yes");
    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--max-failures", "-1", NULL);
    check_usage(rc, &cfg, "-1");
    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--max-failures", "4294967296", NULL);
    check_usage(rc, &cfg, "4294967296");
    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--resume", "--force", NULL);
    check_usage(rc, &cfg, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "contradict"));
}

static void test_compression_options(void)
{
    struct bp_config cfg;
    enum bp_cli_result rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C",
                                  "-n", "x.csv", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
    CU_ASSERT_EQUAL(cfg.compression, BP_COMPRESS_NONE);
    CU_ASSERT_EQUAL(cfg.compression_level, 6); /* TensorFlow's default */
    bp_config_free(&cfg);

    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--compression", "gzip", "--compression-level", "1", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
    CU_ASSERT_EQUAL(cfg.compression, BP_COMPRESS_GZIP);
    CU_ASSERT_EQUAL(cfg.compression_level, 1);
    bp_config_free(&cfg);

    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--compression=zlib", "--compression-level=9", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
    CU_ASSERT_EQUAL(cfg.compression, BP_COMPRESS_ZLIB);
    CU_ASSERT_EQUAL(cfg.compression_level, 9);
    bp_config_free(&cfg);

    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--compression", "zlib", "--compression-level", "10", NULL);
    check_usage(rc, &cfg, "10");
    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--compression", "bzip2", NULL);
    check_usage(rc, &cfg, "bzip2");
    /* A level without compression would be recorded but mean nothing. */
    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--compression-level", "3", NULL);
    check_usage(rc, &cfg, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "--compression zlib or gzip"));
    /* Index files point into uncompressed shards. */
    rc = parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
               "--compression", "gzip", "--index", NULL);
    check_usage(rc, &cfg, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "DALI"));
}

static void test_help(void)
{
    struct bp_config cfg;
    enum bp_cli_result rc = parse(&cfg, "--help", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_EXIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "Usage"));
    static const char *const documented[] = {
        "-r1", "--root_folder_s1", "-r2", "--root_folder_s2", "-o",
        "--out_folder", "-n", "--splits", "-l", "--library", "--update_json",
        "--records-per-shard", "--max-failures", "--resume", "--force",
        "--dry-run", "--help", "--version", "Exit status"};
    for (size_t i = 0; i < sizeof documented / sizeof documented[0]; i++) {
        if (!strstr(out_text, documented[i]))
            printf("\n  --help does not mention %s ", documented[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(out_text, documented[i]));
    }
    CU_ASSERT_STRING_EQUAL(err_text, "");
    CU_ASSERT_PTR_NULL(cfg.splits);
    /* -h too, even after other options and with otherwise missing ones. */
    rc = parse(&cfg, "-n", "x.csv", "-h", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_EXIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "Usage"));
    /* No stream: nothing printed, same result. */
    char *argv[] = {(char *)"ben-prep", (char *)"--help", NULL};
    CU_ASSERT_EQUAL(bp_cli_parse(2, argv, &cfg, NULL, NULL), BP_CLI_EXIT);
}

static void test_version(void)
{
    struct bp_config cfg;
    enum bp_cli_result rc = parse(&cfg, "--version", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_EXIT);
    CU_ASSERT_STRING_EQUAL(err_text, "");
    const char *v = bp_version();
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_PTR_NOT_NULL(strstr(out_text, v));
    unsigned a, b, c;
    char extra;
    CU_ASSERT_EQUAL(sscanf(v, "%u.%u.%u%c", &a, &b, &c, &extra), 3);
    char *argv[] = {(char *)"ben-prep", (char *)"--version", NULL};
    CU_ASSERT_EQUAL(bp_cli_parse(2, argv, &cfg, NULL, NULL), BP_CLI_EXIT);
}

static void test_unknown_and_stray(void)
{
    struct bp_config cfg;
    check_usage(parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n", "x.csv",
                      "--bogus", NULL),
                &cfg, "--bogus");
    check_usage(parse(&cfg, "-x", "-n", "x.csv", NULL), &cfg, "-x");
    check_usage(parse(&cfg, "--root_folder", "A", NULL), &cfg, "--root_folder");
    check_usage(parse(&cfg, "-r3", "A", NULL), &cfg, "-r3");
    check_usage(parse(&cfg, "--dry-run", "stray", "-n", "x.csv", NULL), &cfg,
                "stray");
    check_usage(parse(&cfg, "--dry-run=1", "-n", "x.csv", NULL), &cfg,
                "--dry-run=1");
    /* Single-dash long options are not accepted. */
    check_usage(parse(&cfg, "-out_folder", "C", NULL), &cfg, "-out_folder");
}

/* A missing value names the option (as typed or by its long name). */
static void check_missing_value(enum bp_cli_result rc, struct bp_config *cfg,
                                const char *typed, const char *long_name)
{
    char q1[64], q2[64];
    snprintf(q1, sizeof q1, "'%s'", typed);
    snprintf(q2, sizeof q2, "'%s'", long_name);
    check_usage(rc, cfg, NULL);
    int named = strstr(err_text, q1) || strstr(err_text, q2);
    if (!named)
        printf("\n  no %s or %s in: %s", q1, q2, err_text);
    CU_ASSERT(named);
}

static void test_missing_value(void)
{
    struct bp_config cfg;
    check_missing_value(
        parse(&cfg, "-r1", "A", "-r2", "B", "-n", "x.csv", "-o", NULL), &cfg,
        "-o", "--out_folder");
    check_missing_value(
        parse(&cfg, "-r2", "B", "-o", "C", "-n", "x.csv", "-r1", NULL), &cfg,
        "-r1", "--root_folder_s1");
    check_missing_value(parse(&cfg, "--dry-run", "-n", "x.csv",
                              "--records-per-shard", NULL),
                        &cfg, "--records-per-shard", "--records-per-shard");
    check_missing_value(parse(&cfg, "--dry-run", "-n", "x.csv",
                              "--out_folder=", NULL),
                        &cfg, "--out_folder=", "--out_folder");
    check_missing_value(parse(&cfg, "--dry-run", "-n", "x.csv", "-l", NULL),
                        &cfg, "-l", "--library");
    /* -n with no file before the next option, or at the end. */
    check_missing_value(parse(&cfg, "-r1", "A", "-r2", "B", "-n", "-o", "C",
                              NULL),
                        &cfg, "-n", "--splits");
    check_missing_value(parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", "-n",
                              NULL),
                        &cfg, "-n", "--splits");
}

static void test_records_per_shard(void)
{
    struct bp_config cfg;
    static const char *const bad[] = {"0", "abc", "100001", "-5", "12x", "",
                                      "1.5", "4294967297",
                                      "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum bp_cli_result rc =
            parse(&cfg, "--dry-run", "-n", "x.csv", "--records-per-shard",
                  bad[i], NULL);
        if (bad[i][0])
            check_usage(rc, &cfg, bad[i]);
        else
            check_usage(rc, &cfg, NULL);
    }
    check_usage(parse(&cfg, "--dry-run", "-n", "x.csv",
                      "--records-per-shard=0", NULL),
                &cfg, "0");
    static const struct {
        const char *arg;
        uint32_t value;
    } good[] = {{"1", 1}, {"976", 976}, {"100000", 100000}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        enum bp_cli_result rc = parse(&cfg, "--dry-run", "-n", "x.csv",
                                      "--records-per-shard", good[i].arg, NULL);
        CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
        if (rc == BP_CLI_RUN)
            CU_ASSERT_EQUAL(cfg.records_per_shard, good[i].value);
        bp_config_free(&cfg);
    }
    CU_ASSERT_EQUAL(BP_MAX_RECORDS_PER_SHARD, 100000);
}

static void test_required_options(void)
{
    struct bp_config cfg;
    /* -r1 is left to the run: S2-only split files do not need it. */
    CU_ASSERT_EQUAL(parse(&cfg, "-r2", "B", "-o", "C", "-n", "x.csv", NULL),
                    BP_CLI_RUN);
    CU_ASSERT_PTR_NULL(cfg.root_s1);
    bp_config_free(&cfg);
    check_usage(parse(&cfg, "-r1", "A", "-o", "C", "-n", "x.csv", NULL), &cfg,
                NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "-r2"));
    check_usage(parse(&cfg, "-r1", "A", "-r2", "B", "-n", "x.csv", NULL), &cfg,
                NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "-o"));
    /* No -n is an error, even with --dry-run. */
    check_usage(parse(&cfg, "-r1", "A", "-r2", "B", "-o", "C", NULL), &cfg,
                NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "-n"));
    check_usage(parse(&cfg, "--dry-run", NULL), &cfg, NULL);
    check_usage(parse(&cfg, NULL), &cfg, NULL);

    /* --dry-run needs only the split files. */
    enum bp_cli_result rc = parse(&cfg, "--dry-run", "-n", "x.csv", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
    if (rc == BP_CLI_RUN) {
        CU_ASSERT_EQUAL(cfg.dry_run, 1);
        CU_ASSERT_PTR_NULL(cfg.root_s1);
        CU_ASSERT_PTR_NULL(cfg.root_s2);
        CU_ASSERT_PTR_NULL(cfg.out_dir);
        CU_ASSERT_EQUAL(cfg.nsplits, 1);
    }
    bp_config_free(&cfg);
}

static void test_verbosity(void)
{
    struct bp_config cfg;
    enum bp_cli_result rc = parse(&cfg, "--dry-run", "-n", "x.csv", "-v", "-v",
                                  "--verbose", "-q", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
    if (rc == BP_CLI_RUN)
        CU_ASSERT_EQUAL(cfg.verbosity, 2);
    bp_config_free(&cfg);
    rc = parse(&cfg, "--dry-run", "-n", "x.csv", "--quiet", NULL);
    CU_ASSERT_EQUAL(rc, BP_CLI_RUN);
    if (rc == BP_CLI_RUN)
        CU_ASSERT_EQUAL(cfg.verbosity, -1);
    bp_config_free(&cfg);
}

static void test_null_streams(void)
{
    /* Usage errors without streams: same result, nothing printed. */
    struct bp_config cfg;
    char *argv[] = {(char *)"ben-prep", (char *)"--bogus", NULL};
    CU_ASSERT_EQUAL(bp_cli_parse(2, argv, &cfg, NULL, NULL), BP_CLI_USAGE);
    char *argv2[] = {(char *)"ben-prep", (char *)"-r1", (char *)"A",
                     (char *)"-r2", (char *)"B", (char *)"-o", (char *)"C",
                     (char *)"-n", (char *)"t.csv", NULL};
    CU_ASSERT_EQUAL(bp_cli_parse(9, argv2, &cfg, NULL, NULL), BP_CLI_RUN);
    bp_config_free(&cfg);
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"reference options and defaults", test_reference_options},
        {"long options, --opt=value", test_long_options},
        {"-l/--library", test_library},
        {"--update_json, --max-failures, --resume, --force",
         test_reliability_options},
        {"--compression, --compression-level, --index", test_compression_options},
        {"--help", test_help},
        {"--version", test_version},
        {"unknown options and stray arguments", test_unknown_and_stray},
        {"missing values", test_missing_value},
        {"--records-per-shard range", test_records_per_shard},
        {"required options, --dry-run", test_required_options},
        {"-v/-q", test_verbosity},
        {"NULL streams", test_null_streams},
        {NULL, NULL}};
    return unit_main("cli", tests);
}

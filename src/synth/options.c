/*
 * options.c - ben-synth's command line: the option table behind --help,
 * the parser and its usage errors (see synth.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/usage.h"
#include "synth/synth.h"

#define PROGRAM "ben-synth"

static const struct bp_usage_option options[] = {
    {"-o", "--out", "DIR",
     "output folder (created if missing); writes DIR/BigEarthNet-v1.0/, "
     "DIR/BigEarthNet-S1-v1.0/, DIR/splits/NAME.csv (S2name,S1name rows) and "
     "DIR/splits-s2/NAME.csv (S2 names), CRLF"},
    {"-n", "--patches", "N", "number of patch pairs, 1 to 10000000 (default 100)"},
    {NULL, "--seed", "S", "seed, 0 to 18446744073709551615 (default 1)"},
    {NULL, "--split", "NAME=WEIGHT",
     "a split and its integer weight (0 to 1000000); repeat for several; "
     "default train=60 val=20 test=20. NAME: letters, digits, '_' and '-'"},
    {NULL, "--archive", "tar|gz",
     "write the S2 and S1 roots as DIR/BigEarthNet-v1.0.tar and "
     "DIR/BigEarthNet-S1-v1.0.tar (tar), or .tar.gz (gz: gzip -6), instead "
     "of folders: GNU tar, one top folder each, every patch folder's entry "
     "followed by its files, long names as GNU long-name entries; written "
     "under a temporary name and renamed when complete"},
    {"-q", "--quiet", NULL, "print nothing on success"},
    {"-h", "--help", NULL, "show this help and exit"},
    {NULL, "--version", NULL, "show the version and exit"},
};
#define NOPTIONS (sizeof options / sizeof options[0])

static void print_usage(FILE *out)
{
    fputs("Usage: ben-synth -o DIR [-n N] [--seed S] [--split NAME=WEIGHT ...] "
          "[--archive tar|gz] [-q]\n"
          "\n"
          "Write a synthetic BigEarthNet-MM archive: N pairs of S2 and S1 patch\n"
          "folders with GeoTIFF bands and JSON metadata in the real archive's\n"
          "format, and split files in the layout ben-prep reads.\n"
          "\n",
          out);
    bp_usage_print_options(out, options, NOPTIONS);
    fputs("\n"
          "The output is a pure function of N, the seed and the splits: the "
          "same\n"
          "arguments give byte-identical files; with --archive, the files\n"
          "extracted from the archives are the folders' files. Files of an "
          "earlier\nrun in DIR "
          "are\n"
          "overwritten, but files it wrote for pairs beyond N are left in "
          "place.\n"
          "Exit status: 0 done, 1 a file could not be written, 2 usage "
          "error.\n",
          out);
}

/* Print a usage error and return 2, the usage exit status. */
static int usage_error(const char *fmt, ...) BP_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = bp_usage_verror(stderr, PROGRAM, fmt, ap);
    va_end(ap);
    return rc;
}

/* Whether option name (as given, without "=VALUE") takes a value: those
 * with a metavar in the table. */
static int takes_value(const char *name)
{
    for (size_t i = 0; i < NOPTIONS; i++) {
        const struct bp_usage_option *o = &options[i];
        if ((o->short_name && !strcmp(name, o->short_name)) ||
            !strcmp(name, o->long_name))
            return o->metavar != NULL;
    }
    return 0;
}

/* Parse a whole decimal integer in [lo, hi]. Returns 0 on success. */
static int parse_long(const char *text, long lo, long hi, long *value)
{
    char *end = NULL;
    /* strtol would skip leading white space: a value starts with a sign
     * or a digit. */
    if (text[0] != '-' && text[0] != '+' && (text[0] < '0' || text[0] > '9'))
        return -1;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || v < lo || v > hi)
        return -1;
    *value = v;
    return 0;
}

/* Parse a whole unsigned decimal 64-bit integer (no sign). */
static int parse_seed(const char *text, uint64_t *value)
{
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *value = (uint64_t)v;
    return 0;
}

/* Whether text[0..len) is a usable split name. */
static int split_name_ok(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

/* Parse one NAME=WEIGHT and append it to opt->splits. Returns 0, or the
 * usage exit status after printing the error. */
static int parse_split(const char *text, struct options *opt)
{
    const char *eq = strchr(text, '=');
    if (!eq)
        return usage_error("invalid split '%s' (expected NAME=WEIGHT)", text);
    size_t len = (size_t)(eq - text);
    if (len == 0 || len > MAX_SPLIT_NAME)
        return usage_error("invalid split name in '%s' (1 to %d characters)",
                           text, MAX_SPLIT_NAME);
    if (!split_name_ok(text, len))
        return usage_error("invalid split name in '%s' (letters, digits, "
                           "'_' and '-' only)",
                           text);
    long weight;
    if (parse_long(eq + 1, 0, MAX_WEIGHT, &weight) != 0)
        return usage_error("invalid split weight in '%s' (expected an "
                           "integer from 0 to %ld)",
                           text, MAX_WEIGHT);
    for (int i = 0; i < opt->nsplits; i++) {
        if (strlen(opt->splits[i].name) == len &&
            memcmp(opt->splits[i].name, text, len) == 0)
            return usage_error("split '%.*s' given twice ('%s')", (int)len,
                               text, text);
    }
    if (opt->nsplits == MAX_SPLITS)
        return usage_error("too many splits at '%s' (at most %d)", text,
                           MAX_SPLITS);
    struct split *s = &opt->splits[opt->nsplits++];
    memcpy(s->name, text, len);
    s->name[len] = '\0';
    s->weight = weight;
    return 0;
}

/* Apply option name (as given, without "=VALUE") with its value (NULL for
 * a flag). Returns -1 to go on, 0 after --help or --version, or 2 after a
 * usage error. */
static int apply_option(const char *name, const char *value,
                        const char *arg, struct options *opt)
{
    if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
        print_usage(stdout);
        return 0;
    } else if (!strcmp(name, "--version")) {
        puts("ben-synth " SYNTH_VERSION);
        return 0;
    } else if (!strcmp(name, "-q") || !strcmp(name, "--quiet")) {
        opt->quiet = 1;
    } else if (!strcmp(name, "-o") || !strcmp(name, "--out")) {
        if (value[0] == '\0')
            return usage_error("empty output folder for '%s'", name);
        opt->out = value;
    } else if (!strcmp(name, "-n") || !strcmp(name, "--patches")) {
        if (parse_long(value, 1, MAX_PATCHES, &opt->patches) != 0)
            return usage_error("invalid number of patches '%s' (expected "
                               "an integer from 1 to %ld)",
                               value, MAX_PATCHES);
    } else if (!strcmp(name, "--seed")) {
        if (parse_seed(value, &opt->seed) != 0)
            return usage_error("invalid seed '%s' (expected an integer "
                               "from 0 to 18446744073709551615)",
                               value);
    } else if (!strcmp(name, "--archive")) {
        if (!strcmp(value, "tar"))
            opt->archive = ARCHIVE_TAR;
        else if (!strcmp(value, "gz"))
            opt->archive = ARCHIVE_GZ;
        else
            return usage_error("invalid archive kind '%s' (expected tar or "
                               "gz)",
                               value);
    } else if (!strcmp(name, "--split")) {
        int rc = parse_split(value, opt);
        return rc != 0 ? rc : -1;
    } else if (arg[0] == '-') {
        return usage_error("unknown option '%s'", arg);
    } else {
        return usage_error("unexpected argument '%s'", arg);
    }
    return -1;
}

/* The default splits when none was given, the check of the weights, and
 * each split's bound. Returns -1, or 2 after a usage error. */
static int finish_splits(struct options *opt)
{
    static const struct {
        const char *name;
        long weight;
    } default_splits[] = {{"train", 60}, {"val", 20}, {"test", 20}};
    if (opt->nsplits == 0) {
        for (size_t i = 0; i < sizeof default_splits / sizeof default_splits[0];
             i++) {
            struct split *s = &opt->splits[opt->nsplits++];
            snprintf(s->name, sizeof s->name, "%s", default_splits[i].name);
            s->weight = default_splits[i].weight;
        }
    }
    long total = 0;
    for (int i = 0; i < opt->nsplits; i++)
        total += opt->splits[i].weight;
    if (total == 0)
        return usage_error("the split weights add up to 0");
    /* Bounds on a 32-bit scale: split i takes the fraction
     * weight_i / total of the unit interval, in command-line order; the
     * last bound is 2^32, so every pair finds a split. */
    long cumulative = 0;
    for (int i = 0; i < opt->nsplits; i++) {
        cumulative += opt->splits[i].weight;
        opt->splits[i].bound =
            ((uint64_t)cumulative << 32) / (uint64_t)total;
    }
    return -1;
}

int parse_args(int argc, char **argv, struct options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->patches = 100;
    opt->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        const char *eq = NULL;
        char name[32];
        /* Long options may carry their value after '='. */
        if (strncmp(arg, "--", 2) == 0 && (eq = strchr(arg, '=')) != NULL &&
            (size_t)(eq - arg) < sizeof name) {
            memcpy(name, arg, (size_t)(eq - arg));
            name[eq - arg] = '\0';
            value = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
            if (strlen(arg) >= sizeof name)
                return usage_error("unknown option '%s'", arg);
        }
        int wants_value = takes_value(name);
        if (wants_value && !value) {
            if (i + 1 >= argc)
                return usage_error("option '%s' needs a value", arg);
            value = argv[++i];
        } else if (!wants_value && value) {
            return usage_error("option '%s' takes no value", arg);
        }
        int rc = apply_option(name, value, arg, opt);
        if (rc >= 0)
            return rc;
    }
    if (!opt->out)
        return usage_error("missing the output folder (-o DIR)");
    return finish_splits(opt);
}

/* usage.c - --help option lists and usage errors (see usage.h). */
#include "common/usage.h"

#include <string.h>

/* The help text starts at this column (0-based) and lines end before
 * WIDTH + 1. */
enum { INDENT = 29, WIDTH = 79 };

/* text[0..) wrapped into lines of WIDTH columns, continuing at column
 * col of the current line; later lines start at INDENT. */
static void print_wrapped(FILE *out, int col, const char *text)
{
    while (*text) {
        size_t word = strcspn(text, " ");
        if (col > INDENT && col + 1 + (int)word > WIDTH) {
            fprintf(out, "\n%*s", INDENT, "");
            col = INDENT;
        } else if (col > INDENT) {
            fputc(' ', out);
            col++;
        }
        fwrite(text, 1, word, out);
        col += (int)word;
        text += word;
        while (*text == ' ')
            text++;
    }
    fputc('\n', out);
}

void bp_usage_print_option(FILE *out, const char *short_name,
                           const char *long_name, const char *metavar,
                           const char *help)
{
    char names[64];
    snprintf(names, sizeof names, "%s%s%s%s%s", short_name ? short_name : "",
             short_name ? ", " : "    ", long_name, metavar ? " " : "",
             metavar ? metavar : "");
    int col = fprintf(out, "  %s", names);
    if (col >= INDENT - 1) {
        fputc('\n', out);
        col = 0;
    }
    fprintf(out, "%*s", INDENT - col, "");
    print_wrapped(out, INDENT, help);
}

void bp_usage_print_options(FILE *out, const struct bp_usage_option *opts,
                            size_t n)
{
    for (size_t i = 0; i < n; i++)
        bp_usage_print_option(out, opts[i].short_name, opts[i].long_name,
                              opts[i].metavar, opts[i].help);
}

int bp_usage_verror(FILE *err, const char *program, const char *fmt,
                    va_list ap)
{
    if (err) {
        fprintf(err, "%s: ", program);
        vfprintf(err, fmt, ap);
        fprintf(err, "\nTry '%s --help' for more information.\n", program);
    }
    return BP_USAGE_EXIT;
}

int bp_usage_error(FILE *err, const char *program, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = bp_usage_verror(err, program, fmt, ap);
    va_end(ap);
    return rc;
}

/* index_main.c - "ben-prep index ARCHIVE...": build archive indexes on
 * their own, spread over the ranks (see archive.h and index.h): the
 * command line read before MPI starts, then the collective run. */
#include "benprep/archive.h"
#include "benprep/index.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benprep/log.h"
#include "benprep/status.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: ben-prep index [options] ARCHIVE...\n"
            "\n"
            "Build the index of each tar or gzip-compressed tar archive (one "
            "sequential pass\n"
            "that checks every tar header and gzip CRC-32), so that "
            "conversions read its\n"
            "members directly. A fresh index is kept; a stale or damaged one "
            "is rebuilt.\n"
            "Archives are spread over the MPI ranks.\n"
            "\n"
            "  --index-dir DIR     write (and look for) the indexes in DIR\n"
            "  -o, --out_folder DIR\n"
            "                      where an index goes when the archive's "
            "folder is not\n"
            "                      writable (default: beside the archive, "
            "ARCHIVE.bpidx)\n"
            "  --spacing MIB       access point spacing in MiB of tar data "
            "(default %g,\n"
            "                      %g to %g): smaller reads faster at random, "
            "larger index\n"
            "  --force             build even when a fresh index exists\n"
            "  --progress SECONDS  progress line interval, default 30, 0 for "
            "none\n"
            "  -v, -q              more or fewer messages\n"
            "  -h, --help          this help\n"
            "\n"
            "Exit status: 0 all indexed; 1 an archive could not be indexed or "
            "is damaged\n"
            "(its index is still written, naming the damage); 2 usage "
            "error.\n",
            BP_ARCHIVE_SPACING_DEFAULT / 1048576.0,
            BP_ARCHIVE_SPACING_MIN / 1048576.0,
            BP_ARCHIVE_SPACING_MAX / 1048576.0);
}

static int usage(FILE *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage(FILE *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(err, "ben-prep index: ");
        vfprintf(err, fmt, ap);
        fprintf(err, "\nTry 'ben-prep index --help'.\n");
        va_end(ap);
    }
    return BP_USAGE;
}

/* BP_OK to run, -1 after --help, or BP_USAGE. */
static int parse(int argc, char **argv, struct bp_index_request *o, FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->progress = 30;
    o->archives = calloc((size_t)argc + 1, sizeof *o->archives);
    if (!o->archives)
        return usage(err, "out of memory");
    int only_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (only_files || a[0] != '-' || !a[1]) {
            o->archives[o->narchives++] = a;
        } else if (strcmp(a, "--") == 0) {
            only_files = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            if (out)
                help(out);
            return -1;
        } else if (strcmp(a, "--force") == 0) {
            o->force = 1;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "-vv") == 0) {
            o->verbosity += (int)strlen(a) - 1;
        } else if (strcmp(a, "-q") == 0) {
            o->verbosity--;
        } else if (strcmp(a, "--index-dir") == 0 && has_value) {
            o->index_dir = argv[++i];
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--out_folder") == 0) &&
                   has_value) {
            o->out_dir = argv[++i];
        } else if (strcmp(a, "--spacing") == 0 && has_value) {
            const char *v = argv[++i];
            char *end;
            errno = 0;
            double mib = strtod(v, &end);
            double bytes = mib * 1048576.0;
            if (errno || end == v || *end || !isfinite(mib) ||
                bytes < BP_ARCHIVE_SPACING_MIN ||
                bytes > BP_ARCHIVE_SPACING_MAX)
                return usage(err, "--spacing '%s': give MiB from %g to %g", v,
                             BP_ARCHIVE_SPACING_MIN / 1048576.0,
                             BP_ARCHIVE_SPACING_MAX / 1048576.0);
            o->spacing = (uint64_t)bytes;
        } else if (strcmp(a, "--progress") == 0 && has_value) {
            const char *v = argv[++i];
            char *end;
            errno = 0;
            long s = strtol(v, &end, 10);
            if (errno || end == v || *end || s < 0 || s > 86400)
                return usage(err, "--progress '%s': give seconds from 0 to "
                                  "86400", v);
            o->progress = (unsigned)s;
        } else if (strcmp(a, "--index-dir") == 0 || strcmp(a, "-o") == 0 ||
                   strcmp(a, "--out_folder") == 0 ||
                   strcmp(a, "--spacing") == 0 ||
                   strcmp(a, "--progress") == 0) {
            return usage(err, "%s needs a value", a);
        } else {
            return usage(err, "unknown option '%s'", a);
        }
    }
    if (!o->narchives)
        return usage(err, "no archive given");
    for (int i = 0; i < o->narchives; i++) {
        enum bp_root_kind kind;
        char msg[512];
        if (bp_root_probe(o->archives[i], &kind, msg, sizeof msg) != BP_OK)
            return usage(err, "%s: %s", o->archives[i], msg);
        if (kind == BP_ROOT_FOLDER)
            return usage(err, "%s is a folder: only tar and gzip archives "
                              "have indexes", o->archives[i]);
    }
    return BP_OK;
}

enum bp_index_parse_result bp_index_parse(int argc, char **argv,
                                          struct bp_index_request *req,
                                          FILE *out, FILE *err)
{
    int rc = parse(argc, argv, req, out, err);
    if (rc == BP_OK)
        return BP_INDEX_RUN;
    bp_index_request_free(req);
    return rc < 0 ? BP_INDEX_EXIT : BP_INDEX_USAGE;
}

void bp_index_request_free(struct bp_index_request *req)
{
    free(req->archives);
    req->archives = NULL;
    req->narchives = 0;
}

/* Higher status wins (the table's order of precedence). */
static int worse(int a, int b)
{
    return a > b ? a : b;
}

static int index_one(const struct bp_index_request *o, const char *archive)
{
    struct bp_index_options opt = {o->spacing, o->progress, 0};
    struct bp_index_info info;
    char path[4096];
    int rc;
    if (o->force) {
        rc = bp_archive_index_path(archive, o->out_dir, o->index_dir, path,
                                   sizeof path);
        if (rc == BP_OK)
            rc = bp_archive_index_build(archive, path, &opt, &info);
    } else {
        rc = bp_archive_index_ensure(archive, o->out_dir, o->index_dir, &opt,
                                     path, sizeof path, &info);
    }
    if (rc != BP_OK)
        return rc;
    BP_INFO("%s: index %s: %" PRIu64 " members in %" PRIu64 " folders, %"
            PRIu64 " access points, %.2f MB",
            archive, path, info.members, info.folders, info.points,
            (double)info.index_bytes / 1e6);
    if (info.damaged) {
        BP_ERROR("%s: damaged from byte %" PRIu64 " of its tar stream on: %s",
                 archive, info.damage_offset, info.damage);
        return BP_INPUT;
    }
    return BP_OK;
}

int bp_index_run(const struct bp_index_request *req, MPI_Comm comm)
{
    int rank = 0, nranks = 1;
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    int level = BP_LOG_INFO + req->verbosity;
    bp_log_setup(rank, level < BP_LOG_ERROR ? BP_LOG_ERROR : level);
    int status = BP_OK;
    for (int i = 0; i < req->narchives; i++)
        if (i % nranks == rank)
            status = worse(status, index_one(req, req->archives[i]));
    int agreed = status;
    if (MPI_Allreduce(&status, &agreed, 1, MPI_INT, MPI_MAX, comm) !=
        MPI_SUCCESS)
        return BP_MPI;
    return agreed;
}

int bp_index_main(int argc, char **argv, MPI_Comm comm)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    struct bp_index_request req;
    enum bp_index_parse_result parsed =
        bp_index_parse(argc, argv, &req, rank == 0 ? stdout : NULL,
                       rank == 0 ? stderr : NULL);
    if (parsed != BP_INDEX_RUN) {
        fflush(stdout);
        return parsed == BP_INDEX_USAGE ? BP_USAGE : BP_OK;
    }
    int status = bp_index_run(&req, comm);
    bp_index_request_free(&req);
    return status;
}

/*
 * bp-archive-tool - drives the archive reader for the tests and the
 * benchmark:
 *
 *   probe PATH                      print folder|tar|gzip, or the reason
 *   index ARGS...                   ben-prep index (bp_index_main, MPI)
 *   build ARCHIVE INDEX [SPACING [SORT_MEMORY]]
 *                                   bp_archive_index_build; prints the info
 *   check ARCHIVE INDEX [full]      fresh|missing|stale|damaged: reason
 *   ensure ARCHIVE OUT|- INDEX_DIR|-
 *                                   bp_archive_index_ensure; prints the path
 *   list INDEX                      every member: folder/name type off size
 *   cat ARCHIVE INDEX MEMBER        one member to stdout
 *   extract ARCHIVE INDEX LIST DIR  every member named in LIST (one per
 *                                   line, in that order) to DIR/MEMBER;
 *                                   failures to stderr ("FAIL file: why")
 *   bench ARCHIVE INDEX LIST        read LIST's members in its order, print
 *                                   the rates and the reader's statistics
 *   bench-folder ROOT LIST          the same from a folder tree (open, read,
 *                                   close, as patch.c reads files)
 *
 * Exit status 0, or 1 on any failure (2 for a bad command line).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mpi.h>

#include "archive/idxfile.h"
#include "benprep/archive.h"
#include "benprep/log.h"
#include "benprep/status.h"
#include "common/clock.h"

static int cmd_probe(const char *path)
{
    enum bp_root_kind kind;
    char msg[512];
    if (bp_root_probe(path, &kind, msg, sizeof msg) != BP_OK) {
        printf("error: %s\n", msg);
        return 1;
    }
    printf("%s\n", bp_root_kind_name(kind));
    return 0;
}

static void print_info(const struct bp_index_info *in)
{
    printf("kind=%s\narchive_bytes=%" PRIu64 "\nstream_bytes=%" PRIu64
           "\nindex_bytes=%" PRIu64 "\nmembers=%" PRIu64 "\nfolders=%" PRIu64
           "\npoints=%" PRIu64 "\ngz_members=%" PRIu64 "\nduplicates=%" PRIu64
           "\nsort_runs=%zu\nseconds=%.3f\ndamaged=%d\n",
           bp_root_kind_name(in->kind), in->archive_bytes, in->stream_bytes,
           in->index_bytes, in->members, in->folders, in->points,
           in->gz_members, in->duplicates, in->sort_runs, in->seconds,
           in->damaged);
    if (in->damaged)
        printf("damage_offset=%" PRIu64 "\ndamage=%s\n", in->damage_offset,
               in->damage);
}

static int cmd_build(int argc, char **argv)
{
    struct bp_index_options opt = {0, 0, 0};
    if (argc > 4)
        opt.spacing = strtoull(argv[4], NULL, 10);
    if (argc > 5)
        opt.sort_memory = strtoull(argv[5], NULL, 10);
    struct bp_index_info info;
    double c0 = bp_cpu_seconds();
    int rc = bp_archive_index_build(argv[2], argv[3], &opt, &info);
    if (rc != BP_OK)
        return 1;
    print_info(&info);
    printf("cpu_seconds=%.3f\n", bp_cpu_seconds() - c0);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    char reason[600];
    static const char *const names[] = {"fresh", "missing", "stale",
                                        "damaged"};
    int full = argc > 4 && strcmp(argv[4], "full") == 0;
    enum bp_index_state s =
        bp_archive_index_check(argv[2], argv[3], full, reason, sizeof reason);
    printf("%s%s%s\n", names[s], s ? ": " : "", s ? reason : "");
    return s == BP_INDEX_FRESH ? 0 : 1;
}

static int cmd_ensure(char **argv)
{
    char path[4096];
    struct bp_index_info info;
    const char *out = strcmp(argv[3], "-") ? argv[3] : NULL;
    const char *idir = strcmp(argv[4], "-") ? argv[4] : NULL;
    int rc = bp_archive_index_ensure(argv[2], out, idir, NULL, path,
                                     sizeof path, &info);
    if (rc != BP_OK)
        return 1;
    printf("%s\n", path);
    return 0;
}

static const char *const type_names[] = {"file", "hardlink", "symlink",
                                         "dir",  "other",    "duplicate"};

static int visit(void *ctx, const char *folder, const char *name,
                 const struct bpx_entry *e)
{
    (void)ctx;
    printf("%s%s%s %s %" PRIu64 " %" PRIu64 "\n", folder, *folder ? "/" : "",
           name, type_names[e->type], e->off, e->size);
    return 0;
}

static int cmd_list(const char *index)
{
    char why[600];
    struct bpx_idx *x;
    int fd = open(index, O_RDONLY);
    if (fd < 0) {
        perror(index);
        return 1;
    }
    int rc = bpx_idx_open(fd, &x, why, sizeof why);
    if (rc == 0) {
        rc = bpx_idx_walk(x, visit, NULL, why, sizeof why);
        bpx_idx_close(x);
    }
    close(fd);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", index, why);
    return rc != 0;
}

static int cmd_cat(char **argv)
{
    struct bp_archive *a;
    if (bp_archive_open(argv[2], argv[3], &a) != BP_OK)
        return 1;
    static unsigned char buf[BP_ARCHIVE_MEMBER_LIMIT];
    size_t len;
    struct bp_failure why;
    int rc = bp_archive_read(a, argv[4], buf, sizeof buf, &len, &why);
    if (rc == BP_OK)
        fwrite(buf, 1, len, stdout);
    else
        fprintf(stderr, "FAIL %s: %s\n", why.file, why.reason);
    bp_archive_close(a);
    return rc != BP_OK;
}

/* mkdir -p of path's folder. */
static int make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

/* extract (dir != NULL) or bench (dir == NULL) over LIST's members. */
static int read_list(char **argv, const char *dir)
{
    FILE *list = fopen(argv[4], "r");
    if (!list) {
        perror(argv[4]);
        return 1;
    }
    struct bp_archive *a;
    double t0 = bp_now(), c0 = bp_cpu_seconds();
    if (bp_archive_open(argv[2], argv[3], &a) != BP_OK) {
        fclose(list);
        return 1;
    }
    static unsigned char buf[BP_ARCHIVE_MEMBER_LIMIT];
    char line[8192], path[12288], folder[4096] = "";
    uint64_t bytes = 0, members = 0, failures = 0, folders = 0;
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0])
            continue;
        const char *slash = strchr(line, '/');
        size_t flen = slash ? (size_t)(slash - line) : 0;
        if (strlen(folder) != flen || strncmp(folder, line, flen) != 0) {
            snprintf(folder, sizeof folder, "%.*s", (int)flen, line);
            folders++;
        }
        size_t len;
        struct bp_failure why;
        if (bp_archive_read(a, line, buf, sizeof buf, &len, &why) != BP_OK) {
            fprintf(stderr, "FAIL %s: %s\n", why.file, why.reason);
            failures++;
            continue;
        }
        members++;
        bytes += len;
        if (!dir)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, line);
        FILE *f = NULL;
        if (make_parents(path) != 0 || !(f = fopen(path, "wb")) ||
            fwrite(buf, 1, len, f) != len) {
            perror(path);
            failures++;
        }
        if (f && fclose(f) != 0) {
            perror(path);
            failures++;
        }
    }
    fclose(list);
    double dt = bp_now() - t0, cpu = bp_cpu_seconds() - c0;
    struct bp_archive_stats st;
    bp_archive_get_stats(a, &st);
    bp_archive_close(a);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("members=%" PRIu64 "\nfolders=%" PRIu64 "\nfailures=%" PRIu64
           "\nbytes=%" PRIu64 "\nseconds=%.4f\nmembers_per_s=%.1f\n"
           "folders_per_s=%.1f\nmb_per_s=%.1f\nreads=%" PRIu64
           "\nbytes_read=%" PRIu64 "\ninflated=%" PRIu64 "\njumps=%" PRIu64
           "\nreinflated=%" PRIu64 "\nmax_rss_kb=%ld\ncpu_seconds=%.4f\n"
           "folders_per_cpu_s=%.1f\nmembers_per_cpu_s=%.1f\n",
           members, folders, failures, bytes, dt, members / dt, folders / dt,
           (double)bytes / 1e6 / dt, st.reads, st.bytes_read, st.inflated,
           st.jumps, st.reinflated, ru.ru_maxrss, cpu, folders / cpu,
           members / cpu);
    return failures != 0;
}

/* bench-folder ROOT LIST: the same members read from a folder tree the
 * way patch.c reads files (open, read until the end, close). */
static int bench_folder(const char *root, const char *listfile)
{
    FILE *list = fopen(listfile, "r");
    if (!list) {
        perror(listfile);
        return 1;
    }
    static unsigned char buf[BP_ARCHIVE_MEMBER_LIMIT];
    char line[8192], path[12288];
    uint64_t bytes = 0, members = 0, failures = 0;
    double t0 = bp_now(), c0 = bp_cpu_seconds();
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0])
            continue;
        snprintf(path, sizeof path, "%s/%s", root, line);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            perror(path);
            failures++;
            continue;
        }
        size_t len = 0;
        for (;;) {
            ssize_t n = read(fd, buf + len, sizeof buf - len);
            if (n <= 0)
                break;
            len += (size_t)n;
        }
        close(fd);
        members++;
        bytes += len;
    }
    fclose(list);
    double dt = bp_now() - t0, cpu = bp_cpu_seconds() - c0;
    printf("members=%" PRIu64 "\nfailures=%" PRIu64 "\nbytes=%" PRIu64
           "\nseconds=%.4f\nmembers_per_s=%.1f\nmb_per_s=%.1f\n"
           "cpu_seconds=%.4f\nmembers_per_cpu_s=%.1f\n",
           members, failures, bytes, dt, members / dt,
           (double)bytes / 1e6 / dt, cpu, members / cpu);
    return failures != 0;
}

int main(int argc, char **argv)
{
    bp_log_setup(0, getenv("BP_TOOL_QUIET") ? BP_LOG_WARN : BP_LOG_INFO);
    if (argc >= 3 && strcmp(argv[1], "probe") == 0)
        return cmd_probe(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "index") == 0) {
        MPI_Init(&argc, &argv);
        int rc = bp_index_main(argc - 1, argv + 1, MPI_COMM_WORLD);
        MPI_Finalize();
        return bp_status_exit_code(rc);
    }
    if (argc >= 4 && strcmp(argv[1], "build") == 0)
        return cmd_build(argc, argv);
    if (argc >= 4 && strcmp(argv[1], "check") == 0)
        return cmd_check(argc, argv);
    if (argc == 5 && strcmp(argv[1], "ensure") == 0)
        return cmd_ensure(argv);
    if (argc == 3 && strcmp(argv[1], "list") == 0)
        return cmd_list(argv[2]);
    if (argc == 5 && strcmp(argv[1], "cat") == 0)
        return cmd_cat(argv);
    if (argc == 6 && strcmp(argv[1], "extract") == 0)
        return read_list(argv, argv[5]);
    if (argc == 5 && strcmp(argv[1], "bench") == 0)
        return read_list(argv, NULL);
    if (argc == 4 && strcmp(argv[1], "bench-folder") == 0)
        return bench_folder(argv[2], argv[3]);
    fprintf(stderr, "usage: see the comment at the top of archive_tool.c\n");
    return 2;
}

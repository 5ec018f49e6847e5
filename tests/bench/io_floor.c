/* bp-io-floor: the plain I/O floor of the benchmark.
 *
 *   bp-io-floor -r1 S1_ROOT -r2 S2_ROOT -n CSV... -o OUT_DIR
 *               [--records-per-shard N] [--part I/K] [--json]
 *
 * The system calls the converter cannot avoid, and nothing else: for the
 * rows the converter converts (every row of the split files, CRLF or LF,
 * blank lines skipped), it reads every file the converter reads, the 12 S2
 * band files, VV, VH and the S1 labels JSON of each pair (15 files; the 12
 * bands and the S2 JSON, 13, for a one-column S2-only row), each with open,
 * fstat, read, close, as the converter does (src/convert/source.c), straight
 * into one 8 MiB buffer allocated once. No decoding, no encoding. The bytes
 * read are written out as they are, in writes of the full 8 MiB buffer (the
 * converter's shard buffer), to one output file per chunk of
 * --records-per-shard consecutive rows of a split (the converter's chunks,
 * default 976, its default); like the converter's shards, each file is
 * written under a temporary name, fsynced, closed, renamed to its final
 * name, and the folder fsynced. The converter's shards hold about as many
 * bytes as it reads (records of the decoded pixels), so the bytes written
 * stand for the shard output.
 *
 * --part I/K (0 <= I < K): take only the chunks whose number (counted over
 * all splits in order, as the converter numbers them) is I modulo K, the
 * way K workers share them; K processes with I = 0..K-1 together do what
 * one process does.
 *
 * Prints one line: wall seconds, CPU seconds (user, system), rows, files,
 * bytes read and written, output files (one JSON object with --json).
 * Exit status: 0 ok, 1 a file could not be read or written, 2 usage.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S2_BANDS 12
static const char *const s2_bands[S2_BANDS] = {"B01", "B02", "B03", "B04",
                                               "B05", "B06", "B07", "B08",
                                               "B09", "B11", "B12", "B8A"};

/* The converter's shard buffer, and its largest input file. */
#define OUT_BUFFER_BYTES (8u << 20)
#define MAX_FILE_BYTES (1u << 20)

struct floor {
    const char *r1, *r2, *out;
    unsigned char *buf; /* OUT_BUFFER_BYTES, files read straight into it */
    size_t used;
    int fd;             /* the output file being written, or -1 */
    char tmp[4096], final[4096], path[4096];
    long rows, files, out_files;
    unsigned long long bytes_read, bytes_written;
};

static int usage(void)
{
    fprintf(stderr, "usage: bp-io-floor -r1 S1_ROOT -r2 S2_ROOT -n CSV... -o "
                    "OUT_DIR [--records-per-shard N] [--part I/K] [--json]\n");
    return 2;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void cpu(double *user, double *sys)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
    *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* Write the buffered bytes to the output file. */
static int flush(struct floor *f)
{
    size_t off = 0;
    while (off < f->used) {
        ssize_t n = write(f->fd, f->buf + off, f->used - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "bp-io-floor: %s: write error: %s\n", f->tmp,
                    n < 0 ? strerror(errno) : "no progress");
            return -1;
        }
        off += (size_t)n;
    }
    f->bytes_written += f->used;
    f->used = 0;
    return 0;
}

/* Read the file at f->path whole into the buffer: open, fstat, read,
 * close, as the converter does (one read returns the whole file). */
static int read_file(struct floor *f)
{
    if (OUT_BUFFER_BYTES - f->used < MAX_FILE_BYTES && flush(f))
        return -1;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size >= (off_t)MAX_FILE_BYTES) {
        fprintf(stderr, "bp-io-floor: %s: cannot open, or not a regular "
                        "file under 1 MiB: %s\n",
                f->path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t len = 0;
    for (;;) {
        size_t want = MAX_FILE_BYTES - len;
        ssize_t n = read(fd, f->buf + f->used + len, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "bp-io-floor: %s: read error: %s\n", f->path,
                    strerror(errno));
            close(fd);
            return -1;
        }
        len += (size_t)n;
        if (n == 0 || ((size_t)n < want && len >= (size_t)st.st_size))
            break;
    }
    close(fd);
    f->used += len;
    f->bytes_read += len;
    f->files++;
    return 0;
}

static int read_path(struct floor *f, const char *root, const char *name,
                     const char *suffix)
{
    int n = snprintf(f->path, sizeof f->path, "%s/%s/%s%s", root, name, name,
                     suffix);
    if (n < 0 || (size_t)n >= sizeof f->path) {
        fprintf(stderr, "bp-io-floor: path under %s too long\n", root);
        return -1;
    }
    return read_file(f);
}

/* The files of one row, in the converter's order: the 12 S2 bands, then VV,
 * VH and the S1 JSON (or the S2 JSON for an S2-only row). */
static int read_row(struct floor *f, const char *s2, const char *s1)
{
    char suffix[16];
    f->rows++;
    for (int b = 0; b < S2_BANDS; b++) {
        snprintf(suffix, sizeof suffix, "_%s.tif", s2_bands[b]);
        if (read_path(f, f->r2, s2, suffix))
            return -1;
    }
    if (!s1)
        return read_path(f, f->r2, s2, "_labels_metadata.json");
    if (read_path(f, f->r1, s1, "_VV.tif") || read_path(f, f->r1, s1, "_VH.tif"))
        return -1;
    return read_path(f, f->r1, s1, "_labels_metadata.json");
}

static int open_out(struct floor *f, long chunk)
{
    int n1 = snprintf(f->tmp, sizeof f->tmp, "%s/.floor-%06ld.tmp", f->out,
                      chunk);
    int n2 = snprintf(f->final, sizeof f->final, "%s/floor-%06ld.bin", f->out,
                      chunk);
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof f->tmp ||
        (size_t)n2 >= sizeof f->final) {
        fprintf(stderr, "bp-io-floor: %s: path too long\n", f->out);
        return -1;
    }
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        fprintf(stderr, "bp-io-floor: %s: cannot create: %s\n", f->tmp,
                strerror(errno));
        return -1;
    }
    f->used = 0;
    return 0;
}

/* Flush, fsync, close, rename, fsync the folder: as a converter's shard. */
static int close_out(struct floor *f)
{
    if (flush(f))
        return -1;
    int fd = f->fd;
    f->fd = -1;
    if (fsync(fd) != 0 || close(fd) != 0 || rename(f->tmp, f->final) != 0) {
        fprintf(stderr, "bp-io-floor: %s: cannot finish: %s\n", f->tmp,
                strerror(errno));
        return -1;
    }
    int dfd = open(f->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    f->out_files++;
    return 0;
}

/* One split file: its rows in chunks of rps, the chunks of this part.
 * *chunk0 is the number of the split's first chunk, advanced past it. */
static int do_split(struct floor *f, const char *csv, long rps, long part,
                    long parts, long *chunk0)
{
    FILE *in = fopen(csv, "r");
    if (!in) {
        fprintf(stderr, "bp-io-floor: %s: cannot open\n", csv);
        return -1;
    }
    char line[2048];
    long lineno = 0, row = 0, open_chunk = -1;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, in)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *s2 = line;
        if (lineno == 1 && !strncmp(s2, "\xEF\xBB\xBF", 3))
            s2 += 3; /* UTF-8 byte order mark */
        if (s2[0] == '\0')
            continue;
        long chunk = *chunk0 + row / rps;
        row++;
        if (chunk % parts != part)
            continue;
        if (chunk != open_chunk) {
            if ((open_chunk >= 0 && close_out(f)) || open_out(f, chunk)) {
                rc = -1;
                break;
            }
            open_chunk = chunk;
        }
        char *comma = strchr(s2, ',');
        if (comma)
            *comma = '\0';
        if (s2[0] == '\0' || (comma && comma[1] == '\0')) {
            fprintf(stderr, "bp-io-floor: %s:%ld: expected S2,S1 or S2\n",
                    csv, lineno);
            rc = -1;
        } else if (read_row(f, s2, comma ? comma + 1 : NULL)) {
            fprintf(stderr, "bp-io-floor: at %s:%ld\n", csv, lineno);
            rc = -1;
        }
    }
    fclose(in);
    if (rc == 0 && open_chunk >= 0)
        rc = close_out(f);
    *chunk0 += (row + rps - 1) / rps;
    return rc;
}

int main(int argc, char **argv)
{
    struct floor f;
    memset(&f, 0, sizeof f);
    f.fd = -1;
    const char **csvs = calloc((size_t)argc, sizeof *csvs);
    int ncsv = 0, json = 0;
    long rps = 976, part = 0, parts = 1;
    if (!csvs)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if ((!strcmp(a, "-r1") || !strcmp(a, "--root_folder_s1")) &&
            i + 1 < argc) {
            f.r1 = argv[++i];
        } else if ((!strcmp(a, "-r2") || !strcmp(a, "--root_folder_s2")) &&
                   i + 1 < argc) {
            f.r2 = argv[++i];
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--out_folder")) &&
                   i + 1 < argc) {
            f.out = argv[++i];
        } else if (!strcmp(a, "-n") || !strcmp(a, "--splits")) {
            while (i + 1 < argc && argv[i + 1][0] != '-')
                csvs[ncsv++] = argv[++i];
        } else if (!strcmp(a, "--records-per-shard") && i + 1 < argc) {
            rps = strtol(argv[++i], &end, 10);
            if (*end || rps < 1 || rps > 100000)
                ncsv = -1;
        } else if (!strcmp(a, "--part") && i + 1 < argc) {
            part = strtol(argv[++i], &end, 10);
            if (*end != '/')
                ncsv = -1;
            else
                parts = strtol(end + 1, &end, 10);
            if (*end || parts < 1 || part < 0 || part >= parts)
                ncsv = -1;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else {
            ncsv = -1;
        }
        if (ncsv < 0)
            break;
    }
    if (!f.r1 || !f.r2 || !f.out || ncsv <= 0) {
        free(csvs);
        return usage();
    }
    f.buf = malloc(OUT_BUFFER_BYTES);
    if (!f.buf) {
        free(csvs);
        return 1;
    }

    double u0, s0, u1, s1;
    cpu(&u0, &s0);
    double t0 = now();
    long chunk0 = 0;
    int rc = 0;
    for (int c = 0; c < ncsv && rc == 0; c++)
        rc = do_split(&f, csvs[c], rps, part, parts, &chunk0);
    double secs = now() - t0;
    cpu(&u1, &s1);
    if (f.fd >= 0) {
        close(f.fd);
        unlink(f.tmp);
    }
    free(f.buf);
    free(csvs);
    if (rc)
        return 1;
    if (json)
        printf("{\"part\": %ld, \"parts\": %ld, \"rows\": %ld, \"files\": %ld, "
               "\"bytes_read\": %llu, \"bytes_written\": %llu, "
               "\"out_files\": %ld, \"seconds\": %.6f, \"user_seconds\": %.6f, "
               "\"sys_seconds\": %.6f, \"cpu_seconds\": %.6f}\n",
               part, parts, f.rows, f.files, f.bytes_read, f.bytes_written,
               f.out_files, secs, u1 - u0, s1 - s0, (u1 - u0) + (s1 - s0));
    else
        printf("bp-io-floor: part %ld/%ld: %ld rows, %ld files, %llu bytes "
               "read, %llu written to %ld files; %.3f s wall, %.3f s CPU "
               "(user %.3f, sys %.3f)\n",
               part, parts, f.rows, f.files, f.bytes_read, f.bytes_written,
               f.out_files, secs, (u1 - u0) + (s1 - s0), u1 - u0, s1 - s0);
    return 0;
}

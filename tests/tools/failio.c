/*
 * failio.c - an LD_PRELOAD shim that makes file system calls fail, for the
 * reliability tests. It acts only on files whose path contains the
 * substring in FAILIO_MATCH; everything else passes straight to the C
 * library. Without FAILIO_MATCH the shim does nothing at all.
 *
 *   FAILIO_MATCH=S        act on paths containing S
 *   FAILIO_OPEN=ERR       open/openat/creat of a matching path for writing
 *                         (O_WRONLY, O_RDWR or O_CREAT) fails with ERR
 *   FAILIO_WRITE_AFTER=N  once N bytes were written to matching files (all of
 *                         them together, in this process), write fails with
 *                         ENOSPC; a write crossing N is cut short at N first,
 *                         as on a full disk
 *   FAILIO_WRITE_ERRNO=ERR  the error for FAILIO_WRITE_AFTER instead of ENOSPC
 *   FAILIO_FSYNC=ERR      fsync/fdatasync of a matching file fails with ERR
 *   FAILIO_CLOSE=ERR      close of a matching file closes it, then returns -1
 *                         with ERR (as NFS does for a write error found late)
 *   FAILIO_DELAY_US=N     sleep N microseconds before every open of a
 *                         matching path (slows a run down so a test can
 *                         interrupt it in the middle)
 *   FAILIO_READ_DELAY_US=N  sleep N microseconds before every pread of a
 *                         matching file (slows a pass over an archive down)
 *   FAILIO_BLOCK=1        an open of a matching path blocks until a signal
 *                         handler runs, then fails with EINTR: as the open
 *                         of a FIFO without a writer, or of a file on a hung
 *                         file server, when a signal interrupts it
 *
 * ERR is a name (EIO, ENOSPC, EACCES, EROFS, EDQUOT, EPERM, EFBIG) or a
 * number. The path of a file descriptor is read from /proc/self/fd/N.
 * Each failure is noted on stderr as "failio: ..." so a test log shows it.
 * Usage: mpirun -x LD_PRELOAD=libfailio.so -x FAILIO_MATCH=... ben-prep ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static const char *match;       /* NULL: the shim is inactive */
static int open_err, fsync_err, close_err, write_err = ENOSPC;
static long long write_after = -1; /* -1: writes are not limited */
static long long written;          /* bytes written to matching files */
static long delay_us, read_delay_us;
static int block;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_creat)(const char *, mode_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pread64)(int, void *, size_t, off64_t);

static void failio_init(void);

__attribute__((constructor)) static void failio_constructor(void)
{
    failio_init();
}

static int parse_errno(const char *s)
{
    static const struct {
        const char *name;
        int value;
    } names[] = {{"EIO", EIO},       {"ENOSPC", ENOSPC}, {"EACCES", EACCES},
                 {"EROFS", EROFS},   {"EDQUOT", EDQUOT}, {"EPERM", EPERM},
                 {"EFBIG", EFBIG},   {"ENOENT", ENOENT}};
    if (!s || !*s)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].value;
    return atoi(s) > 0 ? atoi(s) : EIO;
}

/* Look up the C library's functions and read the settings. Runs from the
 * constructor, or earlier from the first wrapper called (another library's
 * constructor may open or write a file before ours ran). */
static void failio_init(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    real_open64 = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
    real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
    real_openat64 =
        (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat64");
    real_creat = (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "creat");
    real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    real_pread =
        (ssize_t(*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
    real_pread64 =
        (ssize_t(*)(int, void *, size_t, off64_t))dlsym(RTLD_NEXT, "pread64");

    const char *m = getenv("FAILIO_MATCH");
    if (!m || !*m)
        return;
    match = m;
    open_err = parse_errno(getenv("FAILIO_OPEN"));
    fsync_err = parse_errno(getenv("FAILIO_FSYNC"));
    close_err = parse_errno(getenv("FAILIO_CLOSE"));
    if (getenv("FAILIO_WRITE_ERRNO"))
        write_err = parse_errno(getenv("FAILIO_WRITE_ERRNO"));
    const char *w = getenv("FAILIO_WRITE_AFTER");
    if (w && *w)
        write_after = atoll(w);
    const char *d = getenv("FAILIO_DELAY_US");
    if (d && *d)
        delay_us = atol(d);
    const char *rd = getenv("FAILIO_READ_DELAY_US");
    if (rd && *rd)
        read_delay_us = atol(rd);
    const char *b = getenv("FAILIO_BLOCK");
    block = b && atoi(b) > 0;
}

/* A note on stderr, written straight to fd 2 (not through our write). */
static void note(const char *fmt, ...)
{
    char line[4300];
    int n = snprintf(line, sizeof line, "failio[%d]: ", (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m > 0 ? (size_t)m : 0);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    if (real_write)
        (void)!real_write(2, line, len);
}

static int path_matches(const char *path)
{
    return match && path && strstr(path, match);
}

/* Does fd refer to a matching file? path gets its name (for notes). */
static int fd_matches(int fd, char *path, size_t size)
{
    if (!match || fd < 0)
        return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, size - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    return strstr(path, match) != NULL;
}

/* Before an open: the delay, and whether it must fail. -1 with errno set
 * means fail. */
static int before_open(const char *path, int flags)
{
    if (!path_matches(path))
        return 0;
    if (delay_us > 0) {
        struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    if (block) {
        note("open %s: blocking until a signal", path);
        pause();
        note("open %s: interrupted by a signal", path);
        errno = EINTR;
        return -1;
    }
    if (open_err && (flags & (O_WRONLY | O_RDWR | O_CREAT))) {
        note("open %s: failing with %s", path, strerror(open_err));
        errno = open_err;
        return -1;
    }
    return 0;
}

static mode_t mode_arg(int flags, va_list ap)
{
    /* As glibc's __OPEN_NEEDS_MODE: O_TMPFILE includes O_DIRECTORY. */
    int needs = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
    return needs ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    failio_init();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (before_open(path, flags) != 0)
        return -1;
    return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    failio_init();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (before_open(path, flags) != 0)
        return -1;
    return (real_open64 ? real_open64 : real_open)(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    failio_init();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (before_open(path, flags) != 0)
        return -1;
    return real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    failio_init();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    if (before_open(path, flags) != 0)
        return -1;
    return (real_openat64 ? real_openat64 : real_openat)(dirfd, path, flags,
                                                         mode);
}

int creat(const char *path, mode_t mode)
{
    failio_init();
    if (before_open(path, O_WRONLY | O_CREAT | O_TRUNC) != 0)
        return -1;
    return real_creat(path, mode);
}

ssize_t write(int fd, const void *buf, size_t count)
{
    failio_init();
    char path[4096];
    if (write_after < 0 || !fd_matches(fd, path, sizeof path))
        return real_write(fd, buf, count);
    if (written >= write_after) {
        note("write %s: failing with %s after %lld bytes", path,
             strerror(write_err), written);
        errno = write_err;
        return -1;
    }
    if ((long long)count > write_after - written)
        count = (size_t)(write_after - written);
    ssize_t n = real_write(fd, buf, count);
    if (n > 0)
        written += n;
    return n;
}

static int sync_common(int fd, int (*real)(int), const char *what)
{
    char path[4096];
    if (fsync_err && fd_matches(fd, path, sizeof path)) {
        note("%s %s: failing with %s", what, path, strerror(fsync_err));
        errno = fsync_err;
        return -1;
    }
    return real(fd);
}

int fsync(int fd)
{
    failio_init();
    return sync_common(fd, real_fsync, "fsync");
}

int fdatasync(int fd)
{
    failio_init();
    return sync_common(fd, real_fdatasync, "fdatasync");
}

int close(int fd)
{
    failio_init();
    char path[4096];
    if (!close_err || !fd_matches(fd, path, sizeof path))
        return real_close(fd);
    real_close(fd);
    note("close %s: failing with %s", path, strerror(close_err));
    errno = close_err;
    return -1;
}

/* FAILIO_READ_DELAY_US: a slow read of a matching file. */
static void before_pread(int fd)
{
    char path[4096];
    if (read_delay_us > 0 && fd_matches(fd, path, sizeof path)) {
        struct timespec ts = {read_delay_us / 1000000,
                              (read_delay_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
    failio_init();
    before_pread(fd);
    return real_pread(fd, buf, count, offset);
}

ssize_t pread64(int fd, void *buf, size_t count, off64_t offset)
{
    failio_init();
    before_pread(fd);
    return real_pread64(fd, buf, count, offset);
}

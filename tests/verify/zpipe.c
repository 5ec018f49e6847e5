/*
 * zpipe: the small tools the verify tests need, independent of the converter
 * (CRC-32C from the common module, whose vectors unit_crc32c checks).
 *
 *   zpipe zlib [LEVEL] <IN >OUT   compress stdin as one zlib stream
 *   zpipe gzip [LEVEL] <IN >OUT   compress stdin as one gzip stream
 *   zpipe crc32c FILE             print the file's CRC-32C as 8 hex digits
 *   zpipe inflate <IN >OUT        decompress one zlib or gzip stream
 *
 * The streams are what TensorFlow's ZLIB and GZIP record options write: the
 * whole file as one stream (memLevel 9 like TensorFlow's writer). Streaming
 * through fixed buffers. Exit status 0, or 1 with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/crc32c.h"

#define CHUNK (256 * 1024)

static int compress_stream(int gzip, int level)
{
    static unsigned char in[CHUNK], out[CHUNK];
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, gzip ? 16 + MAX_WBITS : MAX_WBITS,
                     9, Z_DEFAULT_STRATEGY) != Z_OK) {
        fprintf(stderr, "zpipe: deflateInit2 failed\n");
        return 1;
    }
    int flush, rc = 0;
    do {
        z.avail_in = (uInt)fread(in, 1, CHUNK, stdin);
        if (ferror(stdin)) {
            fprintf(stderr, "zpipe: read error\n");
            rc = 1;
            break;
        }
        flush = feof(stdin) ? Z_FINISH : Z_NO_FLUSH;
        z.next_in = in;
        do {
            z.avail_out = CHUNK;
            z.next_out = out;
            deflate(&z, flush);
            size_t have = CHUNK - z.avail_out;
            if (fwrite(out, 1, have, stdout) != have) {
                fprintf(stderr, "zpipe: write error\n");
                rc = 1;
                break;
            }
        } while (z.avail_out == 0);
    } while (rc == 0 && flush != Z_FINISH);
    deflateEnd(&z);
    if (fflush(stdout) != 0)
        rc = 1;
    return rc;
}

/* The file's CRC-32C: the common module's, the one everything uses. */
static int print_crc32c(const char *path)
{
    static unsigned char buf[CHUNK];
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    uint32_t crc = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crc = bp_crc32c_extend(crc, buf, n);
    int rc = ferror(f) ? 1 : 0;
    fclose(f);
    printf("%08x\n", crc);
    return rc;
}

static int inflate_stream(void)
{
    static unsigned char in[CHUNK], out[CHUNK];
    z_stream z;
    memset(&z, 0, sizeof z);
    /* 15 + 32: accept a zlib or a gzip header. */
    if (inflateInit2(&z, MAX_WBITS + 32) != Z_OK) {
        fprintf(stderr, "zpipe: inflateInit2 failed\n");
        return 1;
    }
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        z.avail_in = (uInt)fread(in, 1, CHUNK, stdin);
        if (z.avail_in == 0)
            break;
        z.next_in = in;
        do {
            z.avail_out = CHUNK;
            z.next_out = out;
            rc = inflate(&z, Z_NO_FLUSH);
            if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
                fprintf(stderr, "zpipe: corrupt stream\n");
                inflateEnd(&z);
                return 1;
            }
            fwrite(out, 1, CHUNK - z.avail_out, stdout);
        } while (z.avail_out == 0);
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        fprintf(stderr, "zpipe: the stream ends early\n");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "inflate") == 0)
        return inflate_stream();
    if (argc >= 2 && (strcmp(argv[1], "zlib") == 0 || strcmp(argv[1], "gzip") == 0)) {
        char *end = NULL;
        long level = argc > 2 ? strtol(argv[2], &end, 10) : 6;
        if (argc > 3 || (end && (*end || end == argv[2])) || level < 0 || level > 9) {
            fprintf(stderr, "zpipe: LEVEL is 0 to 9\n");
            return 1;
        }
        return compress_stream(argv[1][0] == 'g', (int)level);
    }
    if (argc == 3 && strcmp(argv[1], "crc32c") == 0)
        return print_crc32c(argv[2]);
    fprintf(stderr, "usage: zpipe zlib|gzip [LEVEL] <in >out | zpipe inflate <in >out | zpipe crc32c FILE\n");
    return 1;
}

/* identify.c - what a root is and, for an archive, its fingerprint: for the
 * manifest's inputs and the run identity behind --resume (see archive.h). */
#include "benprep/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benprep/status.h"
#include "fingerprint.h"

int bp_root_identify(const char *path, struct bp_root_id *id, char *msg,
                     size_t msgsz)
{
    memset(id, 0, sizeof *id);
    int rc = bp_root_probe(path, &id->kind, msg, msgsz);
    if (rc != BP_OK || id->kind == BP_ROOT_FOLDER)
        return rc;
    unsigned char *buf = malloc(BPX_FINGERPRINT_SPAN);
    if (!buf) {
        snprintf(msg, msgsz, "out of memory");
        return BP_NOMEM;
    }
    struct bpx_fingerprint fp;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || bpx_fingerprint_take(fd, &fp, buf) != 0) {
        snprintf(msg, msgsz, "cannot read: %s", strerror(errno));
        rc = BP_INPUT;
    } else {
        id->bytes = fp.size;
        id->mtime_sec = fp.mtime_sec;
        id->head_crc = fp.head_crc;
        id->tail_crc = fp.tail_crc;
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

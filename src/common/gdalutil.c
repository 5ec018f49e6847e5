/* gdalutil.c - GDAL settings and error text (see gdalutil.h). */
#include "common/gdalutil.h"

#include <stdio.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <gdal_frmts.h>

#include "benprep/log.h"

static void gdal_error_handler(CPLErr cls, CPLErrorNum num, const char *msg)
{
    (void)num;
    /* Failures are reported with their file by the caller; GDAL's own
     * words are only shown when debugging. */
    BP_DEBUG("GDAL %s: %s", cls >= CE_Failure ? "error" : "note", msg);
}

void bp_gdal_setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    GDALRegister_GTiff();
    /* No .aux.xml, .ovr, .msk or world files: nothing but the bytes read. */
    CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
    CPLSetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR");
    CPLSetConfigOption("GTIFF_IGNORE_READ_ERRORS", "NO");
    CPLSetErrorHandler(gdal_error_handler);
}

const char *bp_gdal_message(char *buf, size_t size, const char *vsi_name,
                            const char *file)
{
    const char *m = CPLGetLastErrorMsg();
    if (!m || !m[0]) {
        snprintf(buf, size, "unknown error");
        return buf;
    }
    const char *slash = file ? strrchr(file, '/') : NULL;
    const char *base = slash ? slash + 1 : file ? file : "";
    size_t vlen = vsi_name ? strlen(vsi_name) : 0, n = 0;
    while (*m && n + 1 < size) {
        if (vlen && strncmp(m, vsi_name, vlen) == 0) {
            n += (size_t)snprintf(buf + n, size - n, "%s", base);
            n = n < size ? n : size - 1;
            m += vlen;
        } else {
            buf[n++] = *m++;
        }
    }
    buf[n] = '\0';
    return buf;
}

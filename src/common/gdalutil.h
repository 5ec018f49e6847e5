/*
 * gdalutil.h - internal: GDAL set up for reading files from memory, and its
 * error text.
 */
#ifndef BENPREP_COMMON_GDALUTIL_H
#define BENPREP_COMMON_GDALUTIL_H

#include <stddef.h>

/* Register the GTiff driver, turn off sidecar files (.aux.xml, .ovr, world
 * files) and folder listings, make read errors fatal, and route GDAL's
 * messages to the debug log. Safe to call more than once. */
void bp_gdal_setup(void);

/* GDAL's last error message into buf (never empty: "unknown error"), with
 * every occurrence of vsi_name (an internal /vsimem/ address that differs
 * from run to run; may be NULL) replaced by file's base name, so messages
 * name the file and are the same on any rank. Returns buf. */
const char *bp_gdal_message(char *buf, size_t size, const char *vsi_name,
                            const char *file);

#endif

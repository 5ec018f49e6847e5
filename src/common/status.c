/* status.c - the messages and exit codes of the status table (see
 * benprep/status.h). */
#include "benprep/status.h"

static const char *const messages[] = {
#define BP_STATUS_MSG(name, exit_code, msg) msg,
    BP_STATUS_MAP(BP_STATUS_MSG)
#undef BP_STATUS_MSG
};

static const int exit_codes[] = {
#define BP_STATUS_EXIT(name, exit_code, msg) exit_code,
    BP_STATUS_MAP(BP_STATUS_EXIT)
#undef BP_STATUS_EXIT
};

const char *bp_strstatus(int status)
{
    if (status < 0 || status >= BP_STATUS_COUNT)
        return "unknown status";
    return messages[status];
}

int bp_status_exit_code(int status)
{
    if (status < 0 || status >= BP_STATUS_COUNT)
        return 1;
    return exit_codes[status];
}

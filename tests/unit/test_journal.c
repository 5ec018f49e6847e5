/* Run identities: what --resume compares. The archive roots are compared
 * by their real paths, every other value exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benprep/identity.h"
#include "benprep/journal.h"
#include "unit_util.h"

static json_object *identity(const char *s1, const char *s2, int rps)
{
    json_object *id = json_object_new_object();
    json_object_object_add(id, "version", json_object_new_string("0.1.0"));
    json_object_object_add(id, "records_per_shard", json_object_new_int(rps));
    json_object_object_add(id, "root_folder_s1", json_object_new_string(s1));
    json_object_object_add(id, "root_folder_s2", json_object_new_string(s2));
    return id;
}

static int same(const char *s1a, const char *s1b, int rps_b)
{
    json_object *a = identity(s1a, UNIT_SAMPLE_S2, 2);
    json_object *b = identity(s1b, UNIT_SAMPLE_S2, rps_b);
    int rc = bp_identity_same(a, b);
    json_object_put(a);
    json_object_put(b);
    return rc;
}

static void test_roots_by_real_path(void)
{
    char dir[] = "/tmp/benprep-unit-journal-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char link[128], other[128];
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    CU_ASSERT_EQUAL_FATAL(symlink(UNIT_SAMPLE_S1, link), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(other, 0700), 0);

    CU_ASSERT(same(UNIT_SAMPLE_S1, UNIT_SAMPLE_S1, 2));
    CU_ASSERT(same(UNIT_SAMPLE_S1, UNIT_SAMPLE_S1 "/", 2));
    CU_ASSERT(same(UNIT_SAMPLE_S1 "//", UNIT_SAMPLE_S1, 2));
    CU_ASSERT(same(UNIT_SAMPLE_S1 "/../BigEarthNet-S1-v1.0", UNIT_SAMPLE_S1, 2));
    CU_ASSERT(same(link, UNIT_SAMPLE_S1, 2));
    CU_ASSERT(!same(other, UNIT_SAMPLE_S1, 2));
    /* A root that is gone is compared as written. */
    CU_ASSERT(same("/no/such/folder", "/no/such/folder", 2));
    CU_ASSERT(!same("/no/such/folder", "/no/such/folder/", 2));
    /* Other values stay exact. */
    CU_ASSERT(!same(UNIT_SAMPLE_S1, UNIT_SAMPLE_S1 "/", 3));

    /* The refusal message leaves out what is the same. */
    json_object *a = identity(UNIT_SAMPLE_S1 "/", UNIT_SAMPLE_S2, 2);
    json_object *b = identity(UNIT_SAMPLE_S1, UNIT_SAMPLE_S2, 3);
    char diff[1024];
    bp_identity_diff(a, b, diff, sizeof diff);
    CU_ASSERT_PTR_NOT_NULL(strstr(diff, "records_per_shard"));
    CU_ASSERT_PTR_NULL(strstr(diff, "root_folder_s1"));
    json_object_put(a);
    json_object_put(b);

    unlink(link);
    rmdir(other);
    rmdir(dir);
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"archive roots compared by real path", test_roots_by_real_path},
        {NULL, NULL}};
    return unit_main("journal", tests);
}

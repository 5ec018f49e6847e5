/*
 * classes.c - the verifier's own class tables: the 19 class names and
 * label_indices.json's 43 -> 19 conversion written out by name (FORMAT.md
 * section 3), so that neither the record check nor --deep shares the
 * converter's tables (labels.c). tests/verify/test_tables.c holds them
 * against the official label_indices.json.
 */
#include <string.h>

#include "verify/verify_int.h"

const char *const vf_class_names[VF_CLASSES] = {
    "Urban fabric",
    "Industrial or commercial units",
    "Arable land",
    "Permanent crops",
    "Pastures",
    "Complex cultivation patterns",
    ("Land principally occupied by agriculture, with significant areas of "
     "natural vegetation"),
    "Agro-forestry areas",
    "Broad-leaved forest",
    "Coniferous forest",
    "Mixed forest",
    "Natural grassland and sparsely vegetated areas",
    "Moors, heathland and sclerophyllous vegetation",
    "Transitional woodland, shrub",
    "Beaches, dunes, sands",
    "Inland wetlands",
    "Coastal wetlands",
    "Inland waters",
    "Marine waters",
};

/* Each 43-class name (in original_labels order) and the 19-class name it
 * becomes, NULL when the class is dropped. */
static const struct {
    const char *from;
    const char *to;
} label_map[] = {
    {"Continuous urban fabric", "Urban fabric"},
    {"Discontinuous urban fabric", "Urban fabric"},
    {"Industrial or commercial units", "Industrial or commercial units"},
    {"Road and rail networks and associated land", NULL},
    {"Port areas", NULL},
    {"Airports", NULL},
    {"Mineral extraction sites", NULL},
    {"Dump sites", NULL},
    {"Construction sites", NULL},
    {"Green urban areas", NULL},
    {"Sport and leisure facilities", NULL},
    {"Non-irrigated arable land", "Arable land"},
    {"Permanently irrigated land", "Arable land"},
    {"Rice fields", "Arable land"},
    {"Vineyards", "Permanent crops"},
    {"Fruit trees and berry plantations", "Permanent crops"},
    {"Olive groves", "Permanent crops"},
    {"Pastures", "Pastures"},
    {"Annual crops associated with permanent crops", "Permanent crops"},
    {"Complex cultivation patterns", "Complex cultivation patterns"},
    {"Land principally occupied by agriculture, with significant areas of "
     "natural vegetation",
     "Land principally occupied by agriculture, with significant areas of "
     "natural vegetation"},
    {"Agro-forestry areas", "Agro-forestry areas"},
    {"Broad-leaved forest", "Broad-leaved forest"},
    {"Coniferous forest", "Coniferous forest"},
    {"Mixed forest", "Mixed forest"},
    {"Natural grassland", "Natural grassland and sparsely vegetated areas"},
    {"Moors and heathland", "Moors, heathland and sclerophyllous vegetation"},
    {"Sclerophyllous vegetation",
     "Moors, heathland and sclerophyllous vegetation"},
    {"Transitional woodland/shrub", "Transitional woodland, shrub"},
    {"Beaches, dunes, sands", "Beaches, dunes, sands"},
    {"Bare rock", NULL},
    {"Sparsely vegetated areas",
     "Natural grassland and sparsely vegetated areas"},
    {"Burnt areas", NULL},
    {"Inland marshes", "Inland wetlands"},
    {"Peatbogs", "Inland wetlands"},
    {"Salt marshes", "Coastal wetlands"},
    {"Salines", "Coastal wetlands"},
    {"Intertidal flats", NULL},
    {"Water courses", "Inland waters"},
    {"Water bodies", "Inland waters"},
    {"Coastal lagoons", "Marine waters"},
    {"Estuaries", "Marine waters"},
    {"Sea and ocean", "Marine waters"},
};
_Static_assert(sizeof label_map / sizeof label_map[0] == VF_CLASSES43,
               "one entry per 43-class name");

int vf_class_of(const uint8_t *name, size_t len)
{
    for (int c = 0; c < VF_CLASSES; c++)
        if (strlen(vf_class_names[c]) == len &&
            memcmp(vf_class_names[c], name, len) == 0)
            return c;
    return -1;
}

int vf_class_of43(const char *s, size_t len)
{
    for (size_t i = 0; i < VF_CLASSES43; i++) {
        if (strlen(label_map[i].from) != len ||
            memcmp(label_map[i].from, s, len) != 0)
            continue;
        if (!label_map[i].to)
            return -1;
        int c = vf_class_of((const uint8_t *)label_map[i].to,
                            strlen(label_map[i].to));
        return c >= 0 ? c : -2; /* every "to" is a 19-class name */
    }
    return -2;
}

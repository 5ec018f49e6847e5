#include "benprep/labels.h"

#include <string.h>

const char *const bp_labels43_names[BP_LABELS43] = {
    "Continuous urban fabric",
    "Discontinuous urban fabric",
    "Industrial or commercial units",
    "Road and rail networks and associated land",
    "Port areas",
    "Airports",
    "Mineral extraction sites",
    "Dump sites",
    "Construction sites",
    "Green urban areas",
    "Sport and leisure facilities",
    "Non-irrigated arable land",
    "Permanently irrigated land",
    "Rice fields",
    "Vineyards",
    "Fruit trees and berry plantations",
    "Olive groves",
    "Pastures",
    "Annual crops associated with permanent crops",
    "Complex cultivation patterns",
    ("Land principally occupied by agriculture, with significant areas of "
     "natural vegetation"),
    "Agro-forestry areas",
    "Broad-leaved forest",
    "Coniferous forest",
    "Mixed forest",
    "Natural grassland",
    "Moors and heathland",
    "Sclerophyllous vegetation",
    "Transitional woodland/shrub",
    "Beaches, dunes, sands",
    "Bare rock",
    "Sparsely vegetated areas",
    "Burnt areas",
    "Inland marshes",
    "Peatbogs",
    "Salt marshes",
    "Salines",
    "Intertidal flats",
    "Water courses",
    "Water bodies",
    "Coastal lagoons",
    "Estuaries",
    "Sea and ocean",
};

const char *const bp_labels19_names[BP_LABELS19] = {
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

/* label_conversion: for each 19-class index, the 43-class indices, -1 ends. */
static const int conversion[BP_LABELS19][5] = {
    {0, 1, -1},         {2, -1},     {11, 12, 13, -1}, {14, 15, 16, 18, -1},
    {17, -1},           {19, -1},    {20, -1},         {21, -1},
    {22, -1},           {23, -1},    {24, -1},         {25, 31, -1},
    {26, 27, -1},       {28, -1},    {29, -1},         {33, 34, -1},
    {35, 36, -1},       {38, 39, -1}, {40, 41, 42, -1},
};

int bp_label43_index(const char *name, size_t len)
{
    for (int i = 0; i < BP_LABELS43; i++) {
        const char *s = bp_labels43_names[i];
        if (strlen(s) == len && memcmp(s, name, len) == 0)
            return i;
    }
    return -1;
}

int bp_label19_of43(int index43)
{
    for (int i = 0; i < BP_LABELS19; i++)
        for (int k = 0; conversion[i][k] >= 0; k++)
            if (conversion[i][k] == index43)
                return i;
    return -1;
}

size_t bp_label19_sources(int index19, const int **indices)
{
    size_t n = 0;
    if (index19 < 0 || index19 >= BP_LABELS19) {
        *indices = NULL;
        return 0;
    }
    *indices = conversion[index19];
    while (conversion[index19][n] >= 0)
        n++;
    return n;
}

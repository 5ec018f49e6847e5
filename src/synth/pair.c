/*
 * pair.c - ben-synth's randomness and one pair's identity: splitmix64 keys
 * by (seed, pair, stream), the tiles and their acquisitions, and a pair's
 * names, dates, location and labels (see synth.h).
 */
#include <stdio.h>
#include <string.h>

#include "benprep/labels.h"
#include "synth/synth.h"

/* Constants of the seed and stream separation. */
#define SEED_SALT 0x5EED0BE4C4A5E7ULL
#define STREAM_MUL 0xD6E8FEB86659FD93ULL

/* Patches per (tile, date) group: i and j run over 0..99. */
#define GROUP_PATCHES 10000L
/* Groups of one tile are laid out this many 100x100 blocks wide. */
#define GROUP_COLUMNS 5

/* Seconds between the start and the stop of an S1 scene. */
#define S1_SCENE_SECONDS 25

/* The 43 BigEarthNet (CORINE) class names come from ben-prep's built-in
 * table (benprep/labels.h), which its unit tests hold equal to
 * label_indices.json. */
#define LABELS43 BP_LABELS43

/* The 43-class indices that have no 19-class label (3-10, 30, 32, 37),
 * and the 32 that have one. */
#define DROPPED_LABELS 11
static const int dropped_labels[DROPPED_LABELS] = {3,  4,  5,  6,  7, 8,
                                                   9, 10, 30, 32, 37};
#define KEPT_LABELS 32
static const int kept_labels[KEPT_LABELS] = {
    0,  1,  2,  11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
    24, 25, 26, 27, 28, 29, 31, 33, 34, 35, 36, 38, 39, 40, 41, 42};

/* Number of labels of a pair: 1 to 5, with these weights out of 100. */
static const int label_count_weights[MAX_LABELS] = {25, 30, 25, 12, 8};
/* Percent chance that a further label is one of the dropped classes. */
#define DROPPED_LABEL_PERCENT 8

/* A Sentinel-2 tile and the acquisitions of its first date group. Later
 * groups of the same tile are one day later each, with the same times. */
struct tile {
    const char *id;       /* MGRS tile, e.g. "33UUP" */
    int zone;             /* UTM zone, north: EPSG 326<zone> */
    int year, month, day; /* S2 date of the first group */
    int hh, mm, ss;       /* S2 sensing time; hh < 10 prints 5 digits */
    int short_time;       /* 1: the name's time field has 5 digits */
    const char *baseline; /* processing baseline, e.g. "N0205" */
    int rel_orbit;        /* S2 relative orbit, "R022" */
    int proc_hh, proc_mm, proc_ss; /* time of the L1C product */
    int s1_day_offset;    /* S1 date = S2 date + this many days */
    int s1_hh, s1_mm, s1_ss;       /* S1 start time, before 23:59 */
    long s1_orbit;        /* absolute orbit of the first group */
    long s1_datatake;     /* mission data take of the first group */
    long ulx0, uly0;      /* upper-left corner of the first patch */
};

static const struct tile tiles[TILES] = {
    {"33UUP", 33, 2017, 6, 13, 10, 10, 31, 0, "N0205", 22, 10, 16, 8, 0, 16,
     50, 43, 17018, 0x01C579, 204000, 5342400},
    {"29UPU", 29, 2017, 6, 17, 11, 33, 21, 0, "N0205", 80, 11, 33, 19, 0, 6,
     47, 24, 17070, 0x01C718, 243600, 5834400},
    {"35VPK", 35, 2017, 9, 24, 9, 30, 20, 1, "N0205", 136, 9, 31, 32, 1, 4,
     32, 56, 18527, 0x01F38C, 222000, 6970800},
    {"31UFS", 31, 2017, 10, 16, 10, 50, 31, 0, "N0206", 51, 10, 52, 4, 1, 5,
     42, 11, 18821, 0x01FC3A, 256800, 5652000},
    {"34VER", 34, 2018, 2, 4, 9, 40, 31, 1, "N0206", 36, 11, 58, 9, 1, 4,
     39, 21, 20467, 0x022FF0, 230400, 6624000},
};

int tile_zone(int tile) { return tiles[tile].zone; }

/* ---------------------------------------------------------------------
 * Randomness: splitmix64, keyed by (seed, pair, stream).
 */

/* The splitmix64 finaliser: a bijective 64-bit mix with good avalanche. */
uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t seed_key(uint64_t seed) { return mix64(seed ^ SEED_SALT); }

/* The key of pair index under the run's seed. */
uint64_t pair_key(const struct generator *g, long index)
{
    return mix64(g->seed_key + GOLDEN64 * ((uint64_t)index + 1));
}

/* The key of one random stream of a pair. */
uint64_t stream_key(uint64_t pkey, int stream)
{
    return mix64(pkey ^ (STREAM_MUL * ((uint64_t)stream + 1)));
}

/* ---------------------------------------------------------------------
 * Dates.
 */

/* The number of days of a month of the Gregorian calendar. */
static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* Move the date *y-*m-*d forward by n >= 0 days, a month at a time. */
static void add_days(int *y, int *m, int *d, long n)
{
    while (n > 0) {
        long left = days_in_month(*y, *m) - *d; /* days after *d this month */
        if (n <= left) {
            *d += (int)n;
            return;
        }
        n -= left + 1;
        *d = 1;
        if (++*m > 12) {
            *m = 1;
            ++*y;
        }
    }
}

/* ---------------------------------------------------------------------
 * One pair.
 */

/* The S2 and S1 dates of date group group of tile t. */
struct pair_dates {
    int y, m, d;       /* S2 */
    int s1y, s1m, s1d; /* S1 */
};

static void group_dates(const struct tile *t, long group,
                        struct pair_dates *dt)
{
    dt->y = t->year;
    dt->m = t->month;
    dt->d = t->day;
    add_days(&dt->y, &dt->m, &dt->d, group);
    dt->s1y = dt->y;
    dt->s1m = dt->m;
    dt->s1d = dt->d;
    add_days(&dt->s1y, &dt->s1m, &dt->s1d, t->s1_day_offset);
}

/* The S2 and S1 names, the L1C product and the acquisition times of patch
 * i_j of a group with dates dt. */
static void name_pair(const struct tile *t, const struct pair_dates *dt,
                      long i, long j, struct pair *p)
{
    int y = dt->y, m = dt->m, d = dt->d;
    char time_field[8];
    if (t->short_time)
        snprintf(time_field, sizeof time_field, "%d%02d%02d", t->hh, t->mm,
                 t->ss);
    else
        snprintf(time_field, sizeof time_field, "%02d%02d%02d", t->hh, t->mm,
                 t->ss);
    snprintf(p->s2_name, sizeof p->s2_name,
             "S2A_MSIL2A_%04d%02d%02dT%s_%ld_%ld", y, m, d, time_field, i, j);
    snprintf(p->s1_name, sizeof p->s1_name,
             "S1A_IW_GRDH_1SDV_%04d%02d%02dT%02d%02d%02d_%s_%ld_%ld", dt->s1y,
             dt->s1m, dt->s1d, t->s1_hh, t->s1_mm, t->s1_ss, t->id, i, j);
    snprintf(p->tile_source, sizeof p->tile_source,
             "S2A_MSIL1C_%04d%02d%02dT%s_%s_R%03d_T%s_%04d%02d%02dT%02d%02d%02d"
             ".SAFE",
             y, m, d, time_field, t->baseline, t->rel_orbit, t->id, y, m, d,
             t->proc_hh, t->proc_mm, t->proc_ss);
    snprintf(p->s2_date, sizeof p->s2_date, "%04d-%02d-%02d %02d:%02d:%02d", y,
             m, d, t->hh, t->mm, t->ss);
    snprintf(p->s1_time, sizeof p->s1_time, "%04d-%02d-%02dT%02d:%02d:%02d",
             dt->s1y, dt->s1m, dt->s1d, t->s1_hh, t->s1_mm, t->s1_ss);
}

/* The S1 scene of a group: start and stop time, absolute orbit (about 15
 * a day), data take and a product id, all from the tile and the group. */
static void name_scene(const struct tile *t, int tile, long group,
                       const struct pair_dates *dt, struct pair *p)
{
    int stop = t->s1_hh * 3600 + t->s1_mm * 60 + t->s1_ss + S1_SCENE_SECONDS;
    long orbit = (t->s1_orbit + group * 15) % 1000000;
    long datatake = (t->s1_datatake + group * 0x3F1) % 0x1000000;
    unsigned product = (unsigned)(mix64(((uint64_t)tile << 32 |
                                         (uint64_t)group) + GOLDEN64) &
                                  0xFFFF);
    snprintf(p->scene_source, sizeof p->scene_source,
             "S1A_IW_GRDH_1SDV_%04d%02d%02dT%02d%02d%02d_%04d%02d%02dT%02d%02d"
             "%02d_%06ld_%06lX_%04X",
             dt->s1y, dt->s1m, dt->s1d, t->s1_hh, t->s1_mm, t->s1_ss, dt->s1y,
             dt->s1m, dt->s1d, stop / 3600, stop / 60 % 60, stop % 60, orbit,
             datatake, product);
}

/* 1 to 5 distinct labels in increasing index order; the first is always
 * one with a 19-class label, a further one is now and then a class that
 * has none. */
static void pick_labels(uint64_t key, struct pair *p)
{
    int used[LABELS43] = {0};
    uint64_t state = key;
    uint64_t h = mix64(state += GOLDEN64);
    int count = 1, roll = (int)(h % 100), acc = 0;
    for (int c = 0; c < MAX_LABELS; c++) {
        acc += label_count_weights[c];
        if (roll < acc) {
            count = c + 1;
            break;
        }
    }
    for (int n = 0; n < count; n++) {
        h = mix64(state += GOLDEN64);
        int dropped = n > 0 && (int)((h >> 32) % 100) < DROPPED_LABEL_PERCENT;
        const int *list = dropped ? dropped_labels : kept_labels;
        int len = dropped ? DROPPED_LABELS : KEPT_LABELS;
        /* Probe forward from a random start: both lists are longer than
         * the labels of a pair, so a free class is always found. */
        int at = (int)((uint32_t)h % (uint32_t)len);
        while (used[list[at]])
            at = (at + 1) % len;
        used[list[at]] = 1;
    }
    p->nlabels = 0;
    for (int c = 0; c < LABELS43; c++)
        if (used[c])
            p->labels[p->nlabels++] = c;
}

/* Pairs cycle over the tiles; within a tile, each run of 10000 pairs is one
 * date group with patch numbers i_j = 0_0 .. 99_99, and each later group
 * is one day later and one 100x100-patch block further on, so every name
 * and every location within a UTM zone is unique. */
void make_pair(const struct generator *g, long index, struct pair *p)
{
    memset(p, 0, sizeof *p);
    p->tile = (int)(index % TILES);
    const struct tile *t = &tiles[p->tile];
    long k = index / TILES;
    long group = k / GROUP_PATCHES;
    long within = k % GROUP_PATCHES;
    long i = within / 100, j = within % 100;

    struct pair_dates dt;
    group_dates(t, group, &dt);
    name_pair(t, &dt, i, j, p);
    name_scene(t, p->tile, group, &dt, p);

    long col = j + 100 * (group % GROUP_COLUMNS);
    long row = i + 100 * (group / GROUP_COLUMNS);
    p->ulx = t->ulx0 + col * PATCH_METRES;
    p->uly = t->uly0 - row * PATCH_METRES;

    pick_labels(stream_key(pair_key(g, index), STREAM_LABELS), p);
}

/* gen_long.c - writes the import benchmark's input: a deterministic long-format CSV
 * (symbol,date,price) of NSYM symbols x NDAYS business days with plain-decimal prices.
 * Usage: gen_long OUT.csv [NSYM [NDAYS [date|symbol]]]  (row order: date-major by default) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: a fixed, portable sequence so every run writes the same bytes. */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Civil date of a day count since 1970-01-01 (Howard Hinnant's civil_from_days). */
static void civil(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gen_long OUT.csv [NSYM [NDAYS [date|symbol]]]\n");
        return 2;
    }
    long nsym = argc > 2 ? atol(argv[2]) : 2000, ndays = argc > 3 ? atol(argv[3]) : 2500;
    int by_symbol = argc > 4 && strcmp(argv[4], "symbol") == 0;
    if (nsym < 1 || nsym > 26L * 26 * 26 * 26 || ndays < 1) {
        fprintf(stderr, "gen_long: NSYM must be 1..456976 and NDAYS positive\n");
        return 2;
    }
    FILE *out = fopen(argv[1], "wb");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    static char iobuf[1 << 20];
    setvbuf(out, iobuf, _IOFBF, sizeof iobuf);

    /* Business days from 2000-01-03 (day 10959, a Monday), as "YYYY-MM-DD". */
    char(*dates)[11] = malloc((size_t)ndays * sizeof *dates);
    char(*syms)[5] = malloc((size_t)nsym * sizeof *syms);
    long *cents = malloc((size_t)nsym * (by_symbol ? 1 : 1) * sizeof *cents);
    if (!dates || !syms || !cents) return 1;
    for (long i = 0, day = 10959; i < ndays; day++) {
        if ((day + 3) % 7 >= 5) continue; /* 1970-01-01 was a Thursday: (day+3)%7 is 0 on Mondays */
        int y, m, d;
        civil(day, &y, &m, &d);
        snprintf(dates[i++], 11, "%04d-%02d-%02d", y, m, d);
    }
    for (long s = 0; s < nsym; s++) {
        long v = s;
        for (int k = 3; k >= 0; k--, v /= 26) syms[s][k] = (char)('A' + v % 26);
        syms[s][4] = '\0';
    }
    /* Each symbol's price is a random walk in cents, seeded by the symbol, so both row orders
     * carry the same bars. */
    long outer = by_symbol ? nsym : ndays, inner = by_symbol ? ndays : nsym;
    uint64_t *seed = malloc((size_t)nsym * sizeof *seed);
    if (!seed) return 1;
    for (long s = 0; s < nsym; s++) {
        seed[s] = 0x5eed0000u + (uint64_t)s;
        cents[s] = 1000 + (long)(next(&seed[s]) % 49000);
    }
    fputs("symbol,date,price\n", out);
    for (long a = 0; a < outer; a++) {
        for (long b = 0; b < inner; b++) {
            long s = by_symbol ? a : b, t = by_symbol ? b : a;
            long step = (long)(next(&seed[s]) % 201) - 100; /* -1.00 .. +1.00 */
            cents[s] += step * cents[s] / 5000;             /* at most +-2 % a day */
            if (cents[s] < 100) cents[s] = 100;
            fprintf(out, "%s,%s,%ld.%02ld\n", syms[s], dates[t], cents[s] / 100, cents[s] % 100);
        }
    }
    free(dates);
    free(syms);
    free(cents);
    free(seed);
    if (fclose(out) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}

/*
 * memdirty: dirties guest memory at a given rate and checks, every period, that the memory is the
 * one a single sweeping writer can have produced; a torn (inconsistent) restored image shows up as VIOLATION.
 *
 * usage: memdirty MiB pages_per_second [period_ms] [tag] [fill]
 *   pages_per_second 0 = as fast as possible; fill 1 = write non-zero data into every page first.
 * Invariant: the first and last word of page i hold the sweep generation g when i < cursor, else g - 1.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define WORDS (PAGE / sizeof(uint64_t))

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
}

/* Returns the index of the first page that breaks the invariant, or -1 when the region is consistent. */
static long check(volatile uint64_t *mem, size_t pages, size_t cursor, uint64_t gen) {
    for (size_t i = 0; i < pages; i++) {
        uint64_t want = i < cursor ? gen : gen - 1;
        if (mem[i * WORDS] != want || mem[i * WORDS + WORDS - 1] != want) {
            return (long)i;
        }
    }
    return -1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: memdirty MiB pages_per_second [period_ms] [tag] [fill]\n");
        return 2;
    }
    size_t mib = strtoul(argv[1], NULL, 10);
    uint64_t rate = strtoull(argv[2], NULL, 10);
    uint64_t period_ms = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000;
    const char *tag = argc > 4 ? argv[4] : "cnt";
    int fill = argc > 5 ? atoi(argv[5]) : 0;
    size_t pages = mib * 1024 * 1024 / PAGE;
    if (pages == 0 || period_ms == 0) {
        fprintf(stderr, "memdirty: MiB and period must be positive\n");
        return 2;
    }
    volatile uint64_t *mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (mem == MAP_FAILED) {
        perror("memdirty: mmap");
        return 1;
    }
    uint64_t gen = 1; /* pages start at generation 0, i.e. all hold gen - 1 */
    if (fill) {
        for (size_t i = 0; i < pages; i++) {
            for (size_t w = 1; w + 1 < WORDS; w++) {
                mem[i * WORDS + w] = 0x5a5a5a5a00000000ULL | (i * WORDS + w);
            }
        }
    }
    size_t cursor = 0;
    uint64_t counter = 0, dirtied = 0, violations = 0;
    /* Work in slices (1 ms, or one page per slice below 1000 pages/s) so the rate and the period both hold. */
    uint64_t per_slice = rate == 0 ? 256 : (rate >= 1000 ? rate / 1000 : 1);
    uint64_t slice_ns = rate == 0 || rate >= 1000 ? 1000000ULL : 1000000000ULL / rate;
    uint64_t start = now_ns(), next_report = start + period_ms * 1000000ULL, slice_start = start;
    printf("memdirty start pages=%zu rate=%llu period_ms=%llu addr=%p\n", pages, (unsigned long long)rate,
           (unsigned long long)period_ms, (void *)mem);
    fflush(stdout);
    for (;;) {
        for (uint64_t k = 0; k < per_slice; k++) {
            mem[cursor * WORDS] = gen;
            mem[cursor * WORDS + WORDS - 1] = gen;
            dirtied++;
            if (++cursor == pages) {
                cursor = 0;
                gen++;
            }
        }
        uint64_t t = now_ns();
        if (t >= next_report) {
            counter++;
            long bad = check(mem, pages, cursor, gen);
            if (bad >= 0) {
                violations++;
                printf("VIOLATION %s %llu page=%ld have=%llu/%llu cursor=%zu gen=%llu\n", tag,
                       (unsigned long long)counter, bad, (unsigned long long)mem[bad * WORDS],
                       (unsigned long long)mem[bad * WORDS + WORDS - 1], cursor, (unsigned long long)gen);
            }
            printf("%s %llu dirtied=%llu gen=%llu violations=%llu\n", tag, (unsigned long long)counter,
                   (unsigned long long)dirtied, (unsigned long long)gen, (unsigned long long)violations);
            fflush(stdout);
            next_report += period_ms * 1000000ULL;
            if (next_report < t) {
                next_report = t + period_ms * 1000000ULL;
            }
        }
        if (rate != 0) {
            slice_start += slice_ns;
            t = now_ns();
            if (slice_start > t) {
                sleep_ns(slice_start - t);
            } else if (t - slice_start > 1000000000ULL) {
                slice_start = t; /* after a long pause (a snapshot), do not try to catch up */
            }
        }
    }
}

/*
 * diskrec: writes numbered 512-byte records to a block device, one every interval, and prints each
 * after it is durable, so the host can compare the highest record on a frozen disk with what a restored
 * guest writes next.
 *
 * usage: diskrec DEVICE interval_ms [slots] [first]
 * Record n goes to sector n % slots and reads "blk %08llu\n" padded with '.'.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: diskrec DEVICE interval_ms [slots] [first]\n");
        return 2;
    }
    long interval_ms = strtol(argv[2], NULL, 10);
    unsigned long long slots = argc > 3 ? strtoull(argv[3], NULL, 10) : 4096;
    unsigned long long n = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
    int fd = open(argv[1], O_WRONLY | O_SYNC);
    if (fd < 0) {
        perror("diskrec: open");
        return 1;
    }
    char rec[512];
    for (;; n++) {
        memset(rec, '.', sizeof rec);
        int len = snprintf(rec, sizeof rec, "blk %08llu\n", n);
        rec[len] = '.';
        if (pwrite(fd, rec, sizeof rec, (off_t)((n % slots) * 512)) != (ssize_t)sizeof rec || fdatasync(fd) != 0) {
            printf("diskrec write error at %llu\n", n);
            fflush(stdout);
            return 1;
        }
        printf("blk %llu\n", n);
        fflush(stdout);
        struct timespec ts = {interval_ms / 1000, (interval_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

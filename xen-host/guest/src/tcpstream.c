/*
 * tcpstream: one TCP stream of self-describing 16-byte records (sequence number, check word) with a
 * running checksum on both sides; the receiver reports gaps and damaged records.
 *
 * usage: tcpstream send HOST PORT records_per_second [log_every]
 *        tcpstream recv PORT [log_every]
 * The sender retries the connection until the receiver listens.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Mixes a sequence number into the record's check word (a 64-bit multiplicative hash). */
static uint64_t check_word(uint64_t seq) {
    uint64_t x = seq ^ 0x9e3779b97f4a7c15ULL;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 29;
    return x;
}

/* Running checksum over the records, order-sensitive. */
static uint64_t fold(uint64_t sum, uint64_t word) {
    return (sum ^ word) * 0x100000001b3ULL;
}

static int write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t r = write(fd, c, n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

static int do_send(const char *host, int port, long per_second, uint64_t log_every) {
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &to.sin_addr) != 1) {
        fprintf(stderr, "tcpstream: bad address %s\n", host);
        return 1;
    }
    int fd = -1;
    for (;;) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0) {
            break;
        }
        close(fd);
        sleep(1);
    }
    printf("tcp-tx connected\n");
    fflush(stdout);
    long gap_ns = per_second > 0 ? 1000000000L / per_second : 0;
    uint64_t sum = 0;
    for (uint64_t seq = 1;; seq++) {
        uint64_t rec[2] = {seq, check_word(seq)};
        if (write_all(fd, rec, sizeof rec) != 0) {
            printf("tcp-tx error at %llu: %s\n", (unsigned long long)seq, strerror(errno));
            fflush(stdout);
            return 1;
        }
        sum = fold(sum, rec[0] ^ rec[1]);
        if (seq % log_every == 0) {
            printf("tcp-tx %llu sum=%016llx\n", (unsigned long long)seq, (unsigned long long)sum);
            fflush(stdout);
        }
        if (gap_ns > 0) {
            struct timespec ts = {gap_ns / 1000000000L, gap_ns % 1000000000L};
            nanosleep(&ts, NULL);
        }
    }
}

static int do_recv(int port, uint64_t log_every) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(ls, (struct sockaddr *)&me, sizeof me) != 0 || listen(ls, 1) != 0) {
        perror("tcpstream: listen");
        return 1;
    }
    int fd = accept(ls, NULL, NULL);
    printf("tcp-rx connected\n");
    fflush(stdout);
    uint64_t expect = 1, sum = 0, gaps = 0, bad = 0;
    unsigned char buf[16];
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof buf - have);
        if (r <= 0) {
            printf("tcp-rx closed at %llu gaps=%llu bad=%llu\n", (unsigned long long)expect - 1,
                   (unsigned long long)gaps, (unsigned long long)bad);
            fflush(stdout);
            return 1;
        }
        have += (size_t)r;
        if (have < sizeof buf) {
            continue;
        }
        have = 0;
        uint64_t rec[2];
        memcpy(rec, buf, sizeof rec);
        if (rec[1] != check_word(rec[0])) {
            bad++;
            printf("tcp-rx CHECKSUM-ERROR at %llu\n", (unsigned long long)expect);
        } else if (rec[0] != expect) {
            gaps++;
            printf("tcp-rx GAP expected=%llu got=%llu\n", (unsigned long long)expect, (unsigned long long)rec[0]);
            expect = rec[0];
        }
        sum = fold(sum, rec[0] ^ rec[1]);
        if (expect % log_every == 0) {
            printf("tcp-rx %llu sum=%016llx gaps=%llu bad=%llu\n", (unsigned long long)expect,
                   (unsigned long long)sum, (unsigned long long)gaps, (unsigned long long)bad);
        }
        fflush(stdout);
        expect++;
    }
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "send") == 0) {
        return do_send(argv[2], atoi(argv[3]), atol(argv[4]), argc > 5 ? strtoull(argv[5], NULL, 10) : 100);
    }
    if (argc >= 3 && strcmp(argv[1], "recv") == 0) {
        return do_recv(atoi(argv[2]), argc > 3 ? strtoull(argv[3], NULL, 10) : 100);
    }
    fprintf(stderr, "usage: tcpstream send HOST PORT records_per_second [log_every] | tcpstream recv PORT [log_every]\n");
    return 2;
}

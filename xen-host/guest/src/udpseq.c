/*
 * udpseq: a sequenced UDP sender and receiver that log what they sent and received, so losses and
 * duplicates across a snapshot can be counted from the serial log.
 *
 * usage: udpseq send HOST PORT per_second [log_every]
 *        udpseq recv PORT [log_every]
 * Datagrams carry "seq N". The receiver prints every log_every-th datagram and every gap or reordering.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int do_send(const char *host, int port, long per_second, unsigned long long log_every) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (fd < 0 || inet_pton(AF_INET, host, &to.sin_addr) != 1) {
        fprintf(stderr, "udpseq: bad address %s\n", host);
        return 1;
    }
    long gap_ns = per_second > 0 ? 1000000000L / per_second : 0;
    for (unsigned long long n = 1;; n++) {
        char buf[64];
        int len = snprintf(buf, sizeof buf, "seq %llu", n);
        ssize_t r = sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to);
        if (n % log_every == 0) {
            printf("udp-tx %llu%s\n", n, r < 0 ? " (error)" : "");
            fflush(stdout);
        }
        if (gap_ns > 0) {
            struct timespec ts = {gap_ns / 1000000000L, gap_ns % 1000000000L};
            nanosleep(&ts, NULL);
        }
    }
}

static int do_recv(int port, unsigned long long log_every) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof me) != 0) {
        perror("udpseq: bind");
        return 1;
    }
    unsigned long long last = 0, received = 0, lost = 0;
    char buf[128];
    for (;;) {
        ssize_t len = recv(fd, buf, sizeof buf - 1, 0);
        if (len <= 0) {
            continue;
        }
        buf[len] = 0;
        unsigned long long n = strtoull(buf + 4, NULL, 10);
        received++;
        if (n != last + 1) {
            if (n > last) {
                lost += n - last - 1;
            }
            printf("udp-gap expected=%llu got=%llu lost=%llu\n", last + 1, n, lost);
        }
        if (n % log_every == 0) {
            printf("udp-rx %llu received=%llu lost=%llu\n", n, received, lost);
        }
        fflush(stdout);
        last = n;
    }
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "send") == 0) {
        return do_send(argv[2], atoi(argv[3]), atol(argv[4]), argc > 5 ? strtoull(argv[5], NULL, 10) : 1);
    }
    if (argc >= 3 && strcmp(argv[1], "recv") == 0) {
        return do_recv(atoi(argv[2]), argc > 3 ? strtoull(argv[3], NULL, 10) : 1);
    }
    fprintf(stderr, "usage: udpseq send HOST PORT per_second [log_every] | udpseq recv PORT [log_every]\n");
    return 2;
}

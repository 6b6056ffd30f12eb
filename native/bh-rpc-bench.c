/* Times sequential RPC calls from inside a qube: runs `qrexec-client-vm TARGET SERVICE` N times, one line of input each, prints each latency in microseconds. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: bh-rpc-bench N TARGET SERVICE\n"); return 2; }
    int n = atoi(argv[1]), failed = 0;
    int nul = open("/dev/null", O_WRONLY);
    for (int i = 0; i < n; i++) {
        int in[2];
        if (pipe(in)) return 1;
        if (write(in[1], "x\n", 2) != 2) return 1;
        close(in[1]);
        double t0 = now_us();
        pid_t c = fork();
        if (c == 0) {
            dup2(in[0], 0);
            dup2(nul, 1);
            execlp("qrexec-client-vm", "qrexec-client-vm", argv[2], argv[3], (char *)NULL);
            _exit(127);
        }
        int st;
        waitpid(c, &st, 0);
        double t1 = now_us();
        close(in[0]);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failed++;
        printf("%.1f\n", t1 - t0);
    }
    fprintf(stderr, "failed=%d\n", failed);
    return failed ? 1 : 0;
}

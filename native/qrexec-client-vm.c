/* Makes an RPC call from inside a qube, compatible with Qubes' qrexec-client-vm.
 *
 *   qrexec-client-vm [options] TARGET SERVICE[+ARG] [LOCAL_PROGRAM [ARGS...]]
 *
 * Without LOCAL_PROGRAM, stdin goes to the service and its stdout/stderr come back; the exit code
 * is the service's. With LOCAL_PROGRAM, that program's stdout feeds the service and the service's
 * stdout feeds the program's stdin; the exit code is the program's. 126 = refused.
 * The call goes to the only broker socket this qube has: the source is never stated by the caller.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "bh-rpc-pump.h"

static struct bh_pump pump;
static int saved_fl[2] = { -1, -1 };

static void restore_flags(void)
{
    for (int i = 0; i < 2; i++) if (saved_fl[i] >= 0) fcntl(i, F_SETFL, saved_fl[i]);
}

static int usage(void)
{
    fprintf(stderr, "usage: qrexec-client-vm [--buffer-size=N] [--filter-escape-chars-stdout] [--filter-escape-chars-stderr]\n"
                    "                        TARGET SERVICE[+ARG] [LOCAL_PROGRAM [ARGS...]]\n");
    return 2;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (!strncmp(argv[i], "--buffer-size=", 14) || !strncmp(argv[i], "--filter-escape-chars", 21) ||
            !strncmp(argv[i], "--no-filter-escape-chars", 24)) continue;
        if (!strcmp(argv[i], "--help")) { usage(); return 0; }
        fprintf(stderr, "qrexec-client-vm: unknown option %s\n", argv[i]);
        return usage();
    }
    if (argc - i < 2) return usage();
    const char *target = argv[i], *service = argv[i + 1];
    char **local = argc - i > 2 ? argv + i + 2 : NULL;
    size_t tl = strlen(target), sl = strlen(service);
    if (tl + sl + 1 > BH_FRAME_MAX) { fprintf(stderr, "qrexec-client-vm: target or service too long\n"); return 2; }

    const char *path = getenv("BULKHEAD_RPC_SOCKET");
    if (!path || !*path) path = BH_RPC_DIR "/broker.sock";
    int sock = bh_connect_unix(path);
    if (sock < 0) { fprintf(stderr, "qrexec-client-vm: cannot reach the broker at %s: %s\n", path, strerror(errno)); return 126; }
    static uint8_t call[BH_FRAME_MAX];
    memcpy(call, target, tl);
    call[tl] = 0;
    memcpy(call + tl + 1, service, sl);
    if (bh_send_hello(sock, "client") || bh_send_frame(sock, BH_FRAME_CALL, call, (uint32_t)(tl + 1 + sl))) {
        fprintf(stderr, "qrexec-client-vm: broker connection failed\n");
        return 126;
    }
    unsigned accept = 1u << BH_FRAME_STDOUT | 1u << BH_FRAME_STDERR | 1u << BH_FRAME_EOF | 1u << BH_FRAME_EXIT | 1u << BH_FRAME_ERROR;
    bh_pump_init(&pump, sock, accept);

    pid_t child = -1;
    if (local) {
        int to_prog[2], from_prog[2];
        if (pipe2(to_prog, O_CLOEXEC) || pipe2(from_prog, O_CLOEXEC)) { perror("qrexec-client-vm: pipe"); return 1; }
        child = fork();
        if (child < 0) { perror("qrexec-client-vm: fork"); return 1; }
        if (child == 0) {
            dup2(to_prog[0], 0);
            dup2(from_prog[1], 1);
            signal(SIGPIPE, SIG_DFL);
            execvp(local[0], local);
            fprintf(stderr, "qrexec-client-vm: cannot run %s: %s\n", local[0], strerror(errno));
            _exit(127);
        }
        close(to_prog[0]);
        close(from_prog[1]);
        bh_big_pipe(to_prog[1]);
        bh_big_pipe(from_prog[0]);
        bh_pump_add_in(&pump, from_prog[0], BH_FRAME_STDIN, 0);
        bh_pump_add_out(&pump, to_prog[1], BH_FRAME_STDOUT, 1);
    } else {
        saved_fl[0] = fcntl(0, F_GETFL);
        saved_fl[1] = fcntl(1, F_GETFL);
        atexit(restore_flags);
        bh_pump_add_in(&pump, 0, BH_FRAME_STDIN, 0);
        bh_pump_add_out(&pump, 1, BH_FRAME_STDOUT, 1);
    }
    bh_pump_add_out(&pump, 2, BH_FRAME_STDERR, 2);

    while (!pump.got_exit && !pump.got_error) {
        if (bh_pump_step(&pump, 1000) < 0) { fprintf(stderr, "qrexec-client-vm: protocol error from the broker\n"); return 255; }
        if (pump.sock_eof && pump.roff == pump.rlen && pump.pend < 0) break;
    }
    /* output already received still goes out */
    while (pump.pend >= 0) { struct pollfd pf = { pump.out[pump.pend].fd, POLLOUT, 0 }; poll(&pf, 1, 1000); bh_pump_flush_pend(&pump); }
    for (int k = 0; k < pump.nout; k++) if (pump.out[k].fd > 2) { close(pump.out[k].fd); pump.out[k].fd = -1; }
    int rc;
    if (pump.got_error) {
        rc = pump.error_code > 0 && pump.error_code < 256 ? pump.error_code : 1;
        fprintf(stderr, rc == 126 ? "Request refused: %s\n" : "qrexec-client-vm: %s\n", pump.error_msg);
    } else if (pump.got_exit) {
        rc = pump.exit_code & 0xff;
    } else {
        fprintf(stderr, "qrexec-client-vm: the connection ended before the service did\n");
        rc = 255;
    }
    if (child > 0) {
        int st;
        if (pump.got_error) kill(child, SIGTERM);
        waitpid(child, &st, 0);
        if (!pump.got_error) rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    return rc;
}

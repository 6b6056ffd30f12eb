/* RPC agent inside a qube: waits for calls from the broker and runs each service with its stdio carried as frames.
 *
 *   bh-agent                     resident: started by the qube's init, reconnects when the broker restarts
 *   bh-agent tcp-connect PORT    relay stdin/stdout to 127.0.0.1:PORT (the qubes.ConnectTCP handler)
 *
 * The resident part holds one connection (agent.sock, reachable only by the qube's root) and a
 * 64 KiB frame reader; each call is served by a forked child that opens its own data connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "bh-rpc-pump.h"

#define AGENT_SOCK BH_RPC_DIR "/agent.sock"
#define QUBE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const service_dirs[] = {
    "/etc/qubes-rpc", "/usr/local/etc/qubes-rpc", "/run/bulkhead/qubes-rpc", NULL,
};

static int valid_service(const char *s)
{
    if (!*s || *s == '.' || strlen(s) > 255) return 0;
    for (const char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("._-+", *c)) return 0;
    return 1;
}

/* First executable SERVICE+ARG, then SERVICE, in each directory in order. */
static int find_service(const char *full, const char *base, char *out, size_t outlen)
{
    for (int i = 0; service_dirs[i]; i++) {
        const char *names[2] = { full, base };
        for (int k = 0; k < 2; k++) {
            snprintf(out, outlen, "%s/%s", service_dirs[i], names[k]);
            struct stat st;
            if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) return 0;
        }
    }
    return -1;
}

struct user { uid_t uid; gid_t gid; char home[256]; char name[64]; };

/* Looks `name` up in the qube's own /etc/passwd (static binary: no NSS). */
static int find_user(const char *name, struct user *u)
{
    FILE *f = fopen("/etc/passwd", "re");
    char line[1024];
    int found = -1;
    while (f && fgets(line, sizeof line, f)) {
        char *fld[7] = { 0 };
        char *s = line;
        for (int i = 0; i < 7 && s; i++) { fld[i] = strsep(&s, ":"); }
        if (!fld[6] || strcmp(fld[0], name)) continue;
        u->uid = (uid_t)strtoul(fld[2], NULL, 10);
        u->gid = (gid_t)strtoul(fld[3], NULL, 10);
        snprintf(u->home, sizeof u->home, "%s", fld[5]);
        snprintf(u->name, sizeof u->name, "%s", name);
        found = 0;
        break;
    }
    if (f) fclose(f);
    if (found && strcmp(name, "user") == 0) { /* qubes always have user 1000 */
        *u = (struct user){ 1000, 1000, "/home/user", "user" };
        found = 0;
    }
    if (found && strcmp(name, "root") == 0) { *u = (struct user){ 0, 0, "/root", "root" }; found = 0; }
    return found;
}

static void fail_call(struct bh_pump *p, const char *msg, int code)
{
    bh_pump_queue(p, BH_FRAME_STDERR, msg, (uint32_t)strlen(msg));
    uint8_t s1 = 1, s2 = 2;
    bh_pump_queue(p, BH_FRAME_EOF, &s1, 1);
    bh_pump_queue(p, BH_FRAME_EOF, &s2, 1);
    bh_pump_queue_exit(p, code);
    bh_pump_drain(p);
}

static struct bh_pump pump;

/* Reads and drops everything on `sock` until the peer closes it or `ms` milliseconds pass. */
static void drain_until_closed(int sock, int ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char buf[16384];
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        long left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) return;
        struct pollfd pf = { .fd = sock, .events = POLLIN };
        int rc = poll(&pf, 1, (int)left);
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) return;
        ssize_t n = read(sock, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
    }
}

/* One call, in a child of the resident agent: data connection, service process, frames until EXIT. */
static int serve(const char *id, const char *source, const char *full, const char *username)
{
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigaction(SIGCHLD, &dfl, NULL);
    int sock = bh_connect_unix(AGENT_SOCK);
    if (sock < 0) return 1;
    char hello[128];
    snprintf(hello, sizeof hello, "data %s", id);
    if (bh_send_hello(sock, hello)) return 1;
    bh_pump_init(&pump, sock, 1u << BH_FRAME_STDIN | 1u << BH_FRAME_EOF);

    char base[256], path[512];
    snprintf(base, sizeof base, "%s", full);
    char *plus = strchr(base, '+');
    const char *arg = plus ? plus + 1 : "";
    if (plus) *plus = 0;
    struct user u;
    if (!valid_service(full)) { fail_call(&pump, "bh-agent: invalid service name\n", 127); return 0; }
    if (find_service(full, base, path, sizeof path)) {
        char msg[400];
        snprintf(msg, sizeof msg, "bh-agent: no service %s in /etc/qubes-rpc or /run/bulkhead/qubes-rpc\n", full);
        fail_call(&pump, msg, 127);
        return 0;
    }
    if (find_user(username, &u)) { fail_call(&pump, "bh-agent: no such user\n", 127); return 0; }

    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) { fail_call(&pump, "bh-agent: pipe failed\n", 127); return 0; }
    pid_t pid = fork();
    if (pid < 0) { fail_call(&pump, "bh-agent: fork failed\n", 127); return 0; }
    if (pid == 0) {
        setsid();
        dup2(in[0], 0); dup2(out[1], 1); dup2(err[1], 2);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (setgroups(0, NULL) && u.uid != 0) _exit(127);
        if (setgid(u.gid) || setuid(u.uid)) _exit(127);
        if (chdir(u.home)) { if (chdir("/")) _exit(127); }
        char e_home[300], e_user[80], e_logname[80], e_src[128], e_full[300], e_arg[300];
        snprintf(e_home, sizeof e_home, "HOME=%s", u.home);
        snprintf(e_user, sizeof e_user, "USER=%s", u.name);
        snprintf(e_logname, sizeof e_logname, "LOGNAME=%s", u.name);
        snprintf(e_src, sizeof e_src, "QREXEC_REMOTE_DOMAIN=%s", source);
        snprintf(e_full, sizeof e_full, "QREXEC_SERVICE_FULL_NAME=%s", full);
        snprintf(e_arg, sizeof e_arg, "QREXEC_SERVICE_ARGUMENT=%s", arg);
        char *envp[] = { "PATH=" QUBE_PATH, e_home, e_user, e_logname, "SHELL=/bin/sh", e_src, e_full,
                         *arg ? e_arg : NULL, NULL };
        char *argv[] = { path, *arg ? (char *)arg : NULL, NULL };
        execve(path, argv, envp);
        _exit(127);
    }
    close(in[0]); close(out[1]); close(err[1]);
    bh_big_pipe(in[1]);
    bh_big_pipe(out[0]);
    bh_pump_add_out(&pump, in[1], BH_FRAME_STDIN, 0);
    bh_pump_add_in(&pump, out[0], BH_FRAME_STDOUT, 1);
    bh_pump_add_in(&pump, err[0], BH_FRAME_STDERR, 2);
    int status = 0, exited = 0;
    /* A pidfd wakes the loop when the service exits; without one, poll every 10 ms once its output ended. */
    pump.extra_fd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        int wait_ms = bh_pump_in_open(&pump) || pump.extra_fd >= 0 ? 1000 : 10;
        if (bh_pump_step(&pump, wait_ms) < 0 || pump.sock_eof) {
            /* the caller went away or broke the protocol: end the service */
            kill(-pid, SIGTERM);
            kill(-pid, SIGCONT);
            waitpid(pid, &status, 0);
            return 0;
        }
        if (!exited && !bh_pump_in_open(&pump) && waitpid(pid, &status, WNOHANG) == pid) exited = 1;
        if (exited && pump.ooff == pump.olen) break;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    bh_pump_queue_exit(&pump, code);
    bh_pump_drain(&pump);
    /* Half-close, then read and drop what the caller still sends (input the service never read, its
       end-of-input frame) until it closes: a caller's write never fails before it has read the exit
       code. Bounded, so a caller that never closes does not keep this process. */
    shutdown(sock, SHUT_WR);
    drain_until_closed(sock, 2000);
    return 0;
}

/* Splits a broker CALL on the control connection: ID NUL SOURCE NUL SERVICE NUL USER. */
static int split_call(uint8_t *p, uint32_t len, char *f[4])
{
    int k = 0;
    f[k++] = (char *)p;
    for (uint32_t i = 0; i < len; i++) {
        if (p[i]) continue;
        if (k == 4) return -1;
        f[k++] = (char *)p + i + 1;
    }
    return k == 4 ? 0 : -1;
}

static struct bh_frame_reader ctl;

static int resident(void)
{
    struct sigaction nocld = { .sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT };
    sigaction(SIGCHLD, &nocld, NULL);
    for (;;) {
        int fd = bh_connect_unix(AGENT_SOCK);
        if (fd < 0 || bh_send_hello(fd, "agent")) {
            if (fd >= 0) close(fd);
            struct timespec ts = { 0, 200 * 1000000L };
            nanosleep(&ts, NULL);
            continue;
        }
        bh_frame_reader_init(&ctl);
        uint8_t buf[4096];
        for (;;) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            size_t off = 0, used;
            int rc = 0;
            while ((rc = bh_frame_feed(&ctl, buf + off, (size_t)n - off, &used)) == BH_FRAME_READY) {
                off += used;
                if (ctl.type != BH_FRAME_CALL || ctl.len == 0) continue;
                uint8_t copy[BH_FRAME_MAX + 1];
                memcpy(copy, ctl.payload, ctl.len);
                copy[ctl.len] = 0;
                char *f[4];
                if (split_call(copy, ctl.len, f)) continue;
                pid_t c = fork();
                if (c == 0) { close(fd); _exit(serve(f[0], f[1], f[2], f[3])); }
            }
            if (rc < 0) break;
        }
        close(fd);
        struct timespec ts = { 0, 200 * 1000000L };
        nanosleep(&ts, NULL);
    }
}

/* qubes.ConnectTCP: relays stdin/stdout to a TCP port of this qube's localhost. */
static int tcp_connect(const char *port_s)
{
    char *end;
    long port = strtol(port_s, &end, 10);
    if (*end || port < 1 || port > 65535) { fprintf(stderr, "bh-agent: bad port \"%s\"\n", port_s); return 1; }
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a)) { perror("bh-agent: connect"); return 1; }
    struct pollfd pf[2] = { { 0, POLLIN, 0 }, { s, POLLIN, 0 } };
    static uint8_t buf[65536];
    int open_in = 1, open_sock = 1;
    while (open_sock) {
        pf[0].fd = open_in ? 0 : -1;
        if (poll(pf, 2, -1) < 0) { if (errno == EINTR) continue; return 1; }
        if (open_in && pf[0].revents) {
            ssize_t n = read(0, buf, sizeof buf);
            if (n <= 0) { open_in = 0; shutdown(s, SHUT_WR); }
            else if (bh_write_all(s, buf, (size_t)n)) return 1;
        }
        if (pf[1].revents) {
            ssize_t n = read(s, buf, sizeof buf);
            if (n <= 0) { open_sock = 0; break; }
            if (bh_write_all(1, buf, (size_t)n)) return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc == 3 && strcmp(argv[1], "tcp-connect") == 0) return tcp_connect(argv[2]);
    if (argc != 1) { fprintf(stderr, "usage: bh-agent | bh-agent tcp-connect PORT\n"); return 2; }
    return resident();
}

/* PID 1 of a qube: reaps orphans; on SIGTERM/SIGINT/SIGPWR asks every process to stop, waits briefly, then exits.
 *
 *   qube-init [GRACE_MS]     (default 3000)
 *
 * Idle it sleeps in sigwaitinfo(); built statically so it costs well under 1 MiB. Processes started
 * with `crun exec` are not its children but live in its PID namespace: kill(-1, ...) reaches them
 * and kill(-1, 0) tells when none is left. When PID 1 exits the kernel kills whatever remains.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void reap(void) {
  while (waitpid(-1, NULL, WNOHANG) > 0) {}
}

static void on_signal(int sig) { (void)sig; }

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int others_alive(void) {
  return !(kill(-1, 0) < 0 && errno == ESRCH);
}

int main(int argc, char **argv) {
  long grace = argc > 1 ? strtol(argv[1], NULL, 10) : 3000;
  if (grace < 0) grace = 0;

  /* Never hold the launcher's pipes open. */
  int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (nul >= 0) {
    dup2(nul, 0); dup2(nul, 1); dup2(nul, 2);
    if (nul > 2) close(nul);
  }

  /* Handlers (never run: the signals stay blocked and are taken by sigwaitinfo) make sure a PID 1
   * accepts them from outside its PID namespace. */
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGPWR, &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);

  sigset_t set;
  sigfillset(&set);
  sigprocmask(SIG_BLOCK, &set, NULL);
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGPWR);

  /* The RPC agent, when the admin side mounts one (docs/rpc.md): started once, signals unblocked. */
  static const char agent[] = "/run/bulkhead/bin/bh-agent";
  if (access(agent, X_OK) == 0 && fork() == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execl(agent, agent, (char *)NULL);
    _exit(127);
  }

  for (;;) {
    int sig = sigwaitinfo(&set, NULL);
    if (sig == SIGCHLD) { reap(); continue; }
    if (sig == SIGTERM || sig == SIGINT || sig == SIGPWR) break;
  }

  kill(-1, SIGTERM);
  kill(-1, SIGCONT);
  long long deadline = now_ms() + grace;
  while (others_alive()) {
    long long left = deadline - now_ms();
    if (left <= 0) break;
    if (left > 20) left = 20; /* exec'd processes are not our children: poll as well */
    struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
    sigtimedwait(&set, NULL, &ts);
    reap();
  }
  if (others_alive()) kill(-1, SIGKILL);
  reap();
  return 0;
}

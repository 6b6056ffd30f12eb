/* Mounts a qube's root (overlay over an idmapped read-only template) or unmounts paths, then optionally execs a command.
 *
 *   idmap-mount mount [--volatile] LOWER LOWERTMP UPPER WORK MERGED UIDBASE COUNT [SRC DST]... [-- CMD ARGS...]
 *     1. a child enters a new user namespace; this process writes its uid_map/gid_map
 *        "0 UIDBASE COUNT" and keeps a handle on that namespace;
 *     2. open_tree(LOWER, OPEN_TREE_CLONE) + mount_setattr(IDMAP|RDONLY) + move_mount -> LOWERTMP;
 *     3. overlay lowerdir=LOWERTMP,upperdir=UPPER,workdir=WORK at MERGED (nosuid,nodev, as is
 *        every mount made here: the idmapped lower and each SRC bound at DST);
 *     4. LOWERTMP is detached again (the overlay keeps its own reference to the layer).
 *   idmap-mount volumes [tmpfs SOURCE DIR DATA | shared DIR]...
 *     mounts a size-limited tmpfs (nosuid,nodev; DATA e.g. "size=67108864,mode=0700,uid=0,gid=0")
 *     at DIR, or makes DIR a shared bind mount of itself (skipped when it already is a mount);
 *     one call instead of a mount(8) process per volume (disposables start on the fast path).
 *   idmap-mount umount PATH... [-- CMD ARGS...]
 *     unmounts each PATH (lazily if busy); a PATH that is not a mount point is not an error.
 *
 * Raw syscall numbers are used because older C libraries lack wrappers for the new mount API.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#endif
#ifndef MOUNT_ATTR_NODEV
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

struct mount_attr_v0 {
  unsigned long long attr_set;
  unsigned long long attr_clr;
  unsigned long long propagation;
  unsigned long long userns_fd;
};

static void die(const char *what, const char *arg) {
  fprintf(stderr, "idmap-mount: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
  exit(1);
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die("open", path);
  size_t len = strlen(text);
  if (write(fd, text, len) != (ssize_t)len) die("write", path);
  close(fd);
}

/* A user namespace with the mapping 0 -> base (count ids); returns an fd on it. */
static int make_userns(unsigned long base, unsigned long count) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) die("pipe", NULL);
  pid_t child = fork();
  if (child < 0) die("fork", NULL);
  if (child == 0) {
    char c;
    close(pipefd[1]);
    if (unshare(CLONE_NEWUSER) < 0) _exit(2);
    /* Wait until the parent has taken its handle (it closes the pipe). */
    while (read(pipefd[0], &c, 1) < 0 && errno == EINTR) {}
    _exit(0);
  }
  close(pipefd[0]);
  char path[64], map[96];
  snprintf(map, sizeof map, "0 %lu %lu\n", base, count);
  /* The child may not have unshared yet: wait until its user namespace differs from ours. */
  char self_ns[64] = "", child_ns[64] = "";
  if (readlink("/proc/self/ns/user", self_ns, sizeof self_ns - 1) < 0) die("readlink", "/proc/self/ns/user");
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)child);
  for (int i = 0; i < 100000; i++) {
    ssize_t n = readlink(path, child_ns, sizeof child_ns - 1);
    if (n < 0) die("readlink", path);
    child_ns[n] = 0;
    if (strcmp(child_ns, self_ns) != 0) break;
    int st;
    if (waitpid(child, &st, WNOHANG) == child) { errno = EPERM; die("unshare(CLONE_NEWUSER) in child", NULL); }
    sched_yield();
  }
  snprintf(path, sizeof path, "/proc/%d/uid_map", (int)child);
  write_file(path, map);
  snprintf(path, sizeof path, "/proc/%d/gid_map", (int)child);
  write_file(path, map);
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)child);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open", path);
  close(pipefd[1]);
  waitpid(child, NULL, 0);
  return fd;
}

static unsigned long parse_ulong(const char *s, const char *what) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || end == s) { fprintf(stderr, "idmap-mount: bad %s: %s\n", what, s); exit(2); }
  return v;
}

static int volatile_upper = 0;

static void do_mount(char **a) {
  const char *lower = a[0], *lowertmp = a[1], *upper = a[2], *work = a[3], *merged = a[4];
  unsigned long base = parse_ulong(a[5], "uid base"), count = parse_ulong(a[6], "uid count");
  if (count == 0 || base == 0) { fprintf(stderr, "idmap-mount: refusing an identity or empty mapping\n"); exit(2); }
  int userns = make_userns(base, count);
  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, lower, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0) die("open_tree", lower);
  struct mount_attr_v0 attr = {0};
  attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr.userns_fd = (unsigned long long)userns;
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) die("mount_setattr", lower);
  if (syscall(SYS_move_mount, tree, "", AT_FDCWD, lowertmp, MOVE_MOUNT_F_EMPTY_PATH) < 0) die("move_mount", lowertmp);
  close(tree);
  close(userns);
  /* Layers are named through /proc/self/fd so the qube's mountinfo does not show host paths. */
  int lfd = open(lowertmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int ufd = open(upper, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int wfd = open(work, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (lfd < 0 || ufd < 0 || wfd < 0) die("open layer directories", upper);
  char opts[256];
  snprintf(opts, sizeof opts, "lowerdir=/proc/self/fd/%d,upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d", lfd, ufd, wfd);
  /* nosuid: a setuid file the qube plants in its upper must not run with its owner's rights on
   * the host (through run/qubes/NAME/root); nodev: nor may a device node it makes open there. */
  const unsigned long flags = MS_NOSUID | MS_NODEV;
  int r = -1;
  if (volatile_upper) {
    char vopts[sizeof opts + 16];
    snprintf(vopts, sizeof vopts, "%s,volatile", opts);
    r = mount("overlay", merged, "overlay", flags, vopts);
  }
  if (r < 0) r = mount("overlay", merged, "overlay", flags, opts); /* kernels before 5.10 lack volatile */
  if (r < 0) {
    int e = errno;
    umount2(lowertmp, MNT_DETACH);
    errno = e;
    die("mount overlay at", merged);
  }
  close(lfd);
  close(ufd);
  close(wfd);
  if (umount2(lowertmp, MNT_DETACH) < 0) die("umount", lowertmp);
}

static void bind_nosuid(const char *src, const char *dst) {
  if (mount(src, dst, NULL, MS_BIND, NULL) < 0) die("bind", src);
  if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, NULL) < 0) {
    int e = errno;
    umount2(dst, MNT_DETACH);
    errno = e;
    die("remount nosuid,nodev", dst);
  }
}

static void do_umount(char **paths, int n) {
  int failed = 0;
  for (int i = 0; i < n; i++) {
    if (umount2(paths[i], 0) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) continue; /* not mounted: nothing to do */
    if (errno == EBUSY && umount2(paths[i], MNT_DETACH) == 0) continue;
    fprintf(stderr, "idmap-mount: umount %s: %s\n", paths[i], strerror(errno));
    failed = 1;
  }
  if (failed) exit(1);
}

static int is_mount_point(const char *dir) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) die("open", "/proc/self/mountinfo");
  char line[8192];
  int found = 0;
  while (!found && fgets(line, sizeof line, f)) {
    /* field 5 is the mount point; paths given here contain no characters mountinfo escapes */
    char *p = line;
    for (int i = 0; i < 4 && p; i++) { p = strchr(p, ' '); if (p) p++; }
    if (!p) continue;
    size_t n = strcspn(p, " ");
    found = n == strlen(dir) && strncmp(p, dir, n) == 0;
  }
  fclose(f);
  return found;
}

static void do_volumes(char **a, int n) {
  for (int i = 0; i < n;) {
    if (strcmp(a[i], "tmpfs") == 0 && i + 3 < n) {
      if (mount(a[i + 1], a[i + 2], "tmpfs", MS_NOSUID | MS_NODEV, a[i + 3]) < 0) die("mount tmpfs at", a[i + 2]);
      i += 4;
    } else if (strcmp(a[i], "shared") == 0 && i + 1 < n) {
      if (!is_mount_point(a[i + 1]) && mount(a[i + 1], a[i + 1], NULL, MS_BIND, NULL) < 0) die("bind", a[i + 1]);
      /* every mount made for a qube is nosuid,nodev, this self-bind too */
      if (mount(NULL, a[i + 1], NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, NULL) < 0) die("remount nosuid,nodev", a[i + 1]);
      if (mount(NULL, a[i + 1], NULL, MS_SHARED, NULL) < 0) die("make shared", a[i + 1]);
      i += 2;
    } else {
      fprintf(stderr, "idmap-mount: volumes: bad operation at '%s'\n", a[i]);
      exit(2);
    }
  }
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "mount") == 0 && strcmp(argv[2], "--volatile") == 0) {
    volatile_upper = 1;
    argv[2] = argv[1]; /* drop the option: shift argv by one */
    argv++;
    argc--;
  }
  int dash = argc;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--") == 0) { dash = i; break; }
  if (argc >= 2 && strcmp(argv[1], "mount") == 0 && dash >= 9 && (dash - 9) % 2 == 0) {
    do_mount(argv + 2);
    for (int i = 9; i < dash; i += 2) bind_nosuid(argv[i], argv[i + 1]);
  } else if (argc >= 2 && strcmp(argv[1], "volumes") == 0 && dash >= 3) {
    do_volumes(argv + 2, dash - 2);
  } else if (argc >= 2 && strcmp(argv[1], "umount") == 0 && dash >= 3) {
    do_umount(argv + 2, dash - 2);
  } else {
    fprintf(stderr,
            "usage: idmap-mount mount [--volatile] LOWER LOWERTMP UPPER WORK MERGED UIDBASE COUNT [SRC DST]... [-- CMD...]\n"
            "       idmap-mount volumes [tmpfs SOURCE DIR DATA | shared DIR]... [-- CMD...]\n"
            "       idmap-mount umount PATH... [-- CMD...]\n");
    return 2;
  }
  if (dash < argc - 1) {
    execv(argv[dash + 1], argv + dash + 1);
    die("exec", argv[dash + 1]);
  }
  return 0;
}

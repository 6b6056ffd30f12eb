/* Runs crun on a host with hybrid cgroups: in a private mount namespace without the cgroup2 mount, so crun uses plain v1.
 *
 *   crun-v1 /usr/bin/crun ARGS...
 *
 * crun refuses hybrid v1/v2 layouts ("cgroups in hybrid mode not supported"). This helper
 * unshares the mount namespace, makes every mount private (so nothing propagates back to the
 * host), detaches /sys/fs/cgroup/unified and execs crun. On a host without that mount it
 * execs crun unchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const char *UNIFIED = "/sys/fs/cgroup/unified";

int main(int argc, char **argv) {
  if (argc < 2 || argv[1][0] != '/') {
    fprintf(stderr, "usage: crun-v1 /ABSOLUTE/PATH/crun ARGS...\n");
    return 2;
  }
  struct statfs sf;
  if (statfs(UNIFIED, &sf) == 0 && (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC) {
    if (unshare(CLONE_NEWNS) < 0) { fprintf(stderr, "crun-v1: unshare: %s\n", strerror(errno)); return 1; }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
      fprintf(stderr, "crun-v1: make / private: %s\n", strerror(errno));
      return 1;
    }
    if (umount2(UNIFIED, MNT_DETACH) < 0) { fprintf(stderr, "crun-v1: umount %s: %s\n", UNIFIED, strerror(errno)); return 1; }
  }
  execv(argv[1], argv + 1);
  fprintf(stderr, "crun-v1: exec %s: %s\n", argv[1], strerror(errno));
  return 127;
}

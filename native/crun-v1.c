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
#include <stdlib.h>
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
    /* crun protects its binary from being overwritten through /proc/self/exe (CVE-2019-5736) by
     * re-executing itself from a read-only bind mount on every call. Since this namespace is private
     * anyway, make that read-only bind once here and tell crun (its documented check: read-only
     * file system plus _LIBCONTAINER_CLONED_BINARY), which saves one exec of crun per call. */
    if (mount(argv[1], argv[1], NULL, MS_BIND, NULL) == 0 &&
        mount(NULL, argv[1], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0) {
      setenv("_LIBCONTAINER_CLONED_BINARY", "1", 1);
    }
  }
  execv(argv[1], argv + 1);
  fprintf(stderr, "crun-v1: exec %s: %s\n", argv[1], strerror(errno));
  return 127;
}

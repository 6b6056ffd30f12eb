/* Reads one regular file below a qube-controlled root for the admin side, never following a symlink.
 *
 *   bh-saferead ROOT RELPATH MAXBYTES
 *
 * ROOT is opened as a directory without following a final symlink (its ancestors belong to the
 * admin). RELPATH is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV): a symlink anywhere on the way, "..", or a mount
 * crossing fails instead of reaching a host path, even if the qube swaps components while we
 * look. The file must be a regular file of at most MAXBYTES bytes; its bytes go to stdout.
 *
 * Exit: 0 ok; 2 usage; 3 missing (ENOENT/ENOTDIR); 4 symlink or escape refused (ELOOP/EXDEV);
 * 5 not a regular file; 6 larger than MAXBYTES; 1 any other error. One line on stderr says why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static int fail(int code, const char *what, const char *path, int err)
{
    fprintf(stderr, "bh-saferead: %s: %s%s%s\n", path, what, err ? ": " : "", err ? strerror(err) : "");
    return code;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bh-saferead ROOT RELPATH MAXBYTES\n");
        return 2;
    }
    const char *root = argv[1], *rel = argv[2];
    char *end;
    errno = 0;
    unsigned long long max = strtoull(argv[3], &end, 10);
    if (errno || *end || argv[3][0] == '\0' || argv[3][0] == '-') return fail(2, "MAXBYTES is not a number", argv[3], 0);

    int rfd = open(root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rfd < 0) return fail(errno == ENOENT ? 3 : 1, "cannot open root", root, errno);

    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    int fd = (int)syscall(SYS_openat2, rfd, rel, &how, sizeof how);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR) return fail(3, "no such file", rel, e);
        if (e == ELOOP || e == EXDEV) return fail(4, "refused (symlink or mount crossing on the way)", rel, e);
        return fail(1, "cannot open", rel, e);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) return fail(1, "cannot stat", rel, errno);
    if (!S_ISREG(st.st_mode)) return fail(5, "not a regular file", rel, 0);
    if ((unsigned long long)st.st_size > max) return fail(6, "file is larger than the limit", rel, 0);

    /* Read at most max bytes even if the file grows while we read it. */
    char buf[65536];
    unsigned long long left = max;
    for (;;) {
        size_t want = left < sizeof buf ? (size_t)left : sizeof buf;
        if (want == 0) {
            /* One more byte would mean the file grew past the limit. */
            char c;
            ssize_t extra = read(fd, &c, 1);
            if (extra > 0) return fail(6, "file grew past the limit while read", rel, 0);
            break;
        }
        ssize_t n = read(fd, buf, want);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(1, "read failed", rel, errno);
        }
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(1, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR) continue;
                return fail(1, "write to stdout failed", rel, errno);
            }
            off += w;
        }
        left -= (unsigned long long)n;
    }
    return 0;
}

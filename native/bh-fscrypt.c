/* Gives ext4's native encryption (fscrypt, v2 policies) the keys of an encrypted qube volume, and takes them back.
 *
 *   bh-fscrypt add DIR            master key (64 raw bytes) on stdin; prints its identifier (32 hex digits)
 *   bh-fscrypt policy DIR ID      make the empty directory DIR encrypted with key ID (AES-256-XTS / AES-256-CTS)
 *   bh-fscrypt check DIR ID       exit 0 if DIR is encrypted with key ID, 7 otherwise
 *   bh-fscrypt remove DIR ID      remove key ID from DIR's file system (the kernel wipes its copy)
 *
 * DIR is any directory of the mounted file system (for policy/check: the directory itself),
 * opened O_NOFOLLOW. The key never appears in argv or the environment: only on stdin, read into
 * a locked buffer that is wiped before exit. The keys live in the file system's own keyring
 * (v2 policies), so any process that sees the files (the qube's user namespace included) reads
 * them while the key is present, and they go when the key is removed or the file system unmounted.
 *
 * Exit: 0 ok; 2 usage; 3 DIR missing; 4 key of the wrong size on stdin; 5 the file system lacks
 * the encrypt feature (EOPNOTSUPP); 6 remove: files still in use (their key secret is wiped anyway);
 * 7 check: not encrypted with ID; 1 any other error. One line on stderr says why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fscrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define KEY_BYTES 64

static int fail(int code, const char *what, const char *path, int err)
{
    fprintf(stderr, "bh-fscrypt: %s: %s%s%s\n", path, what, err ? ": " : "", err ? strerror(err) : "");
    return code;
}

static int parse_id(const char *hex, unsigned char id[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
    if (strlen(hex) != 2 * FSCRYPT_KEY_IDENTIFIER_SIZE) return -1;
    for (int i = 0; i < FSCRYPT_KEY_IDENTIFIER_SIZE; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
        if (!strchr("0123456789abcdef", hex[2 * i]) || !strchr("0123456789abcdef", hex[2 * i + 1])) return -1;
        id[i] = (unsigned char)v;
    }
    return 0;
}

static int open_dir(const char *path)
{
    return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int do_add(int fd, const char *path)
{
    size_t sz = sizeof(struct fscrypt_add_key_arg) + KEY_BYTES;
    struct fscrypt_add_key_arg *arg = calloc(1, sz);
    if (!arg) return fail(1, "out of memory", path, 0);
    mlock(arg, sz);
    size_t got = 0;
    unsigned char extra;
    while (got < KEY_BYTES) {
        ssize_t n = read(0, arg->raw + got, KEY_BYTES - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    int code = 0;
    if (got != KEY_BYTES || read(0, &extra, 1) != 0) {
        code = fail(4, "expected exactly 64 key bytes on stdin", path, 0);
    } else {
        arg->key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
        arg->raw_size = KEY_BYTES;
        if (ioctl(fd, FS_IOC_ADD_ENCRYPTION_KEY, arg) != 0) {
            code = fail(errno == EOPNOTSUPP ? 5 : 1, "FS_IOC_ADD_ENCRYPTION_KEY", path, errno);
        } else {
            for (int i = 0; i < FSCRYPT_KEY_IDENTIFIER_SIZE; i++) printf("%02x", arg->key_spec.u.identifier[i]);
            printf("\n");
        }
    }
    explicit_bzero(arg, sz);
    free(arg);
    return code;
}

static int do_policy(int fd, const char *path, const unsigned char id[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
    struct fscrypt_policy_v2 p;
    memset(&p, 0, sizeof p);
    p.version = FSCRYPT_POLICY_V2;
    p.contents_encryption_mode = FSCRYPT_MODE_AES_256_XTS;
    p.filenames_encryption_mode = FSCRYPT_MODE_AES_256_CTS;
    p.flags = FSCRYPT_POLICY_FLAGS_PAD_32;
    memcpy(p.master_key_identifier, id, FSCRYPT_KEY_IDENTIFIER_SIZE);
    if (ioctl(fd, FS_IOC_SET_ENCRYPTION_POLICY, &p) != 0)
        return fail(errno == EOPNOTSUPP ? 5 : 1, "FS_IOC_SET_ENCRYPTION_POLICY", path, errno);
    return 0;
}

static int do_check(int fd, const char *path, const unsigned char id[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
    struct fscrypt_get_policy_ex_arg a;
    memset(&a, 0, sizeof a);
    a.policy_size = sizeof a.policy;
    if (ioctl(fd, FS_IOC_GET_ENCRYPTION_POLICY_EX, &a) != 0) {
        if (errno == ENODATA) return fail(7, "not encrypted", path, 0);
        return fail(errno == EOPNOTSUPP ? 5 : 1, "FS_IOC_GET_ENCRYPTION_POLICY_EX", path, errno);
    }
    if (a.policy.version != FSCRYPT_POLICY_V2 || memcmp(a.policy.v2.master_key_identifier, id, FSCRYPT_KEY_IDENTIFIER_SIZE) != 0)
        return fail(7, "encrypted with another key", path, 0);
    return 0;
}

static int do_remove(int fd, const char *path, const unsigned char id[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
    struct fscrypt_remove_key_arg a;
    memset(&a, 0, sizeof a);
    a.key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
    memcpy(a.key_spec.u.identifier, id, FSCRYPT_KEY_IDENTIFIER_SIZE);
    if (ioctl(fd, FS_IOC_REMOVE_ENCRYPTION_KEY, &a) != 0) {
        if (errno == ENOKEY) return 0; /* already gone */
        return fail(errno == EOPNOTSUPP ? 5 : 1, "FS_IOC_REMOVE_ENCRYPTION_KEY", path, errno);
    }
    if (a.removal_status_flags & FSCRYPT_KEY_REMOVAL_STATUS_FLAG_FILES_BUSY)
        return fail(6, "key removed, but files are still in use", path, 0);
    return 0;
}

int main(int argc, char **argv)
{
    int add = argc == 3 && strcmp(argv[1], "add") == 0;
    int withId = argc == 4 && (strcmp(argv[1], "policy") == 0 || strcmp(argv[1], "check") == 0 || strcmp(argv[1], "remove") == 0);
    if (!add && !withId) {
        fprintf(stderr, "usage: bh-fscrypt add DIR < KEY | policy DIR ID | check DIR ID | remove DIR ID\n");
        return 2;
    }
    unsigned char id[FSCRYPT_KEY_IDENTIFIER_SIZE];
    if (withId && parse_id(argv[3], id) != 0) return fail(2, "not a key identifier (32 hex digits)", argv[3], 0);
    int fd = open_dir(argv[2]);
    if (fd < 0) return fail(errno == ENOENT ? 3 : 1, "cannot open directory", argv[2], errno);
    if (add) return do_add(fd, argv[2]);
    if (strcmp(argv[1], "policy") == 0) return do_policy(fd, argv[2], id);
    if (strcmp(argv[1], "check") == 0) return do_check(fd, argv[2], id);
    return do_remove(fd, argv[2], id);
}

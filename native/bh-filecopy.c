/* File copy between qubes in Qubes' qfile format: `pack` sends files, `unpack` receives them safely. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "bh-names.h"

#define MAX_PATH_LEN 16384          /* name with its NUL, or symlink target, at most this - 1 */
#define IO_SIZE (1u << 20)          /* one read or write moves up to 1 MiB */
#define LEGAL_EOF 31415926u         /* Qubes: the sender ended early and will explain itself */

struct file_header {                /* little-endian on the wire; this struct is only used on LE hosts */
    uint32_t namelen, mode;
    uint64_t filelen;
    uint32_t atime, atime_nsec, mtime, mtime_nsec;
};
_Static_assert(sizeof(struct file_header) == 32, "header layout");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian host expected");

/* ---------- CRC-32 (gzip polynomial), eight bytes per step ---------- */
static uint32_t crc_tab[8][256];

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_tab[0][n] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int n = 0; n < 256; n++)
            crc_tab[k][n] = (crc_tab[k - 1][n] >> 8) ^ crc_tab[0][crc_tab[k - 1][n] & 0xff];
}

static uint32_t crc_table_update(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        v ^= crc;
        crc = crc_tab[7][v & 0xff] ^ crc_tab[6][(v >> 8) & 0xff] ^ crc_tab[5][(v >> 16) & 0xff] ^
              crc_tab[4][(v >> 24) & 0xff] ^ crc_tab[3][(v >> 32) & 0xff] ^ crc_tab[2][(v >> 40) & 0xff] ^
              crc_tab[1][(v >> 48) & 0xff] ^ crc_tab[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
#include <immintrin.h>
/* Carry-less multiplication folding (Intel, "Fast CRC Computation for Generic Polynomials Using
 * PCLMULQDQ"), constants for the bit-reflected gzip polynomial. Needs n >= 64, n % 16 == 0;
 * takes and returns the inverted CRC register. */
__attribute__((target("pclmul,sse4.1")))
static uint32_t crc_fold(uint32_t reg, const uint8_t *p, size_t n)
{
    const __m128i k12 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
    const __m128i k34 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
    const __m128i k5 = _mm_set_epi64x(0, 0x163cd6124);
    const __m128i pu = _mm_set_epi64x(0x1f7011641, 0x1db710641);
    const __m128i lo32 = _mm_setr_epi32(-1, 0, -1, 0);
    __m128i a = _mm_loadu_si128((const __m128i *)p), b = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(p + 32)), d = _mm_loadu_si128((const __m128i *)(p + 48));
    a = _mm_xor_si128(a, _mm_cvtsi32_si128((int)reg));
    p += 64;
    n -= 64;
#define FOLD(x, k, next) _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128((x), (k), 0x11), _mm_clmulepi64_si128((x), (k), 0x00)), (next))
    while (n >= 64) {
        a = FOLD(a, k12, _mm_loadu_si128((const __m128i *)p));
        b = FOLD(b, k12, _mm_loadu_si128((const __m128i *)(p + 16)));
        c = FOLD(c, k12, _mm_loadu_si128((const __m128i *)(p + 32)));
        d = FOLD(d, k12, _mm_loadu_si128((const __m128i *)(p + 48)));
        p += 64;
        n -= 64;
    }
    a = FOLD(a, k34, b);
    a = FOLD(a, k34, c);
    a = FOLD(a, k34, d);
    while (n >= 16) {
        a = FOLD(a, k34, _mm_loadu_si128((const __m128i *)p));
        p += 16;
        n -= 16;
    }
#undef FOLD
    /* 128 -> 64 bits */
    __m128i t = _mm_clmulepi64_si128(a, k34, 0x10);
    a = _mm_xor_si128(_mm_srli_si128(a, 8), t);
    /* 64 -> 32 bits */
    t = _mm_srli_si128(a, 4);
    a = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(a, lo32), k5, 0x00), t);
    /* Barrett reduction */
    t = _mm_and_si128(a, lo32);
    t = _mm_clmulepi64_si128(t, pu, 0x10);
    t = _mm_and_si128(t, lo32);
    t = _mm_clmulepi64_si128(t, pu, 0x00);
    a = _mm_xor_si128(a, t);
    return (uint32_t)_mm_extract_epi32(a, 1);
}
static int have_clmul = -1;
#endif

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
#if defined(__x86_64__)
    if (have_clmul < 0) {
        __builtin_cpu_init();
        have_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
        if (have_clmul) { /* self-check against the table version once */
            uint8_t probe[1000];
            for (int i = 0; i < 1000; i++) probe[i] = (uint8_t)(i * 7 + 3);
            uint32_t want = crc_table_update(0x12345678, probe, 992);
            if (~crc_fold(~0x12345678u, probe, 992) != want) {
                fprintf(stderr, "bh-filecopy: carry-less CRC self-check failed, using tables\n");
                have_clmul = 0;
            }
        }
    }
    if (have_clmul && n >= 64) {
        size_t bulk = n & ~(size_t)15;
        crc = ~crc_fold(~crc, p, bulk);
        p += bulk;
        n -= bulk;
    }
#endif
    return crc_table_update(crc, p, n);
}

/* ---------- small I/O helpers ---------- */
static bool write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads exactly n bytes unless EOF comes first; returns how many were read, -1 on error. */
static ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (uint8_t *)buf + got, n - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static void grow_pipe(int fd)
{
    (void)fcntl(fd, F_SETPIPE_SZ, IO_SIZE); /* best effort: fewer wake-ups through pipes */
}

/* Printable form of an untrusted name: outside printable ASCII, and '"', becomes '_'. */
static const char *printable(const uint8_t *s, size_t n)
{
    static char out[MAX_PATH_LEN + 1];
    if (n > MAX_PATH_LEN) n = MAX_PATH_LEN;
    for (size_t i = 0; i < n; i++) out[i] = (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"') ? '_' : (char)s[i];
    out[n] = 0;
    return out;
}

/* =====================================================================================
 * unpack: receive a stream on stdin into ~/QubesIncoming/SOURCE, answer on stdout
 * ===================================================================================== */
static struct {
    uint8_t *buf;
    size_t pos, len;
    uint32_t crc;
    uint64_t bytes, files, max_bytes, max_files;
    int base;                       /* the incoming directory */
    uint8_t last[MAX_PATH_LEN];     /* last name handled, for the result */
    size_t last_len;
    int tmpfile_mode;               /* 1: O_TMPFILE works; 0: hidden temporary names */
} in;

static void send_result(uint32_t code, const uint8_t *name, size_t nlen)
{
    uint8_t r[20 + MAX_PATH_LEN];
    uint64_t crc = in.crc;
    uint32_t pad = 0, n32 = (uint32_t)nlen;
    memcpy(r, &code, 4);
    memcpy(r + 4, &pad, 4);
    memcpy(r + 8, &crc, 8);
    memcpy(r + 16, &n32, 4);
    memcpy(r + 20, name, nlen);
    if (!write_all(1, r, 20 + nlen)) perror("bh-filecopy unpack: writing the result");
}

/* A hidden partial file (only without O_TMPFILE), removed if the copy is refused. */
static int partial_dir = -1;
static char partial_name[40];

static _Noreturn void refuse(uint32_t code, const uint8_t *name, size_t nlen, const char *why)
{
    if (partial_name[0]) unlinkat(partial_dir, partial_name, 0);
    fprintf(stderr, "bh-filecopy unpack: refused: %s: %s \"%s\"\n", why,
            code == LEGAL_EOF ? "sender stopped" : strerror((int)code), printable(name, nlen));
    close(0);
    send_result(code, name, nlen);
    exit(1);
}
#define REFUSE_LAST(code, why) refuse((code), in.last, in.last_len, (why))

/* Reads exactly n bytes of stream into dst (adding them to the CRC); false at EOF. */
static bool in_read(void *dst, size_t n)
{
    uint8_t *d = dst;
    while (n) {
        if (in.pos == in.len) {
            ssize_t r = read(0, in.buf, IO_SIZE);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return false;
            in.pos = 0;
            in.len = (size_t)r;
        }
        size_t k = in.len - in.pos < n ? in.len - in.pos : n;
        memcpy(d, in.buf + in.pos, k);
        in.crc = crc_update(in.crc, d, k);
        in.pos += k;
        d += k;
        n -= k;
    }
    return true;
}

/* Opens the parent directory of a validated name without following any symlink.
 * Sets *last to the final component. Returns a descriptor the caller closes. */
static int open_parent(char *path, const char **last)
{
    int fd = dup(in.base);
    if (fd < 0) REFUSE_LAST((uint32_t)errno, "dup");
    char *seg = path;
    for (;;) {
        char *slash = strchr(seg, '/');
        if (!slash) {
            *last = seg;
            return fd;
        }
        *slash = 0;
        int next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        int e = errno;
        *slash = '/';
        close(fd);
        if (next < 0) REFUSE_LAST((uint32_t)e, "opening a parent directory");
        fd = next;
        seg = slash + 1;
    }
}

static void set_meta(int fd, const struct file_header *h)
{
    struct timespec ts[2] = {{h->atime, h->atime_nsec}, {h->mtime, h->mtime_nsec}};
    if (fchmod(fd, h->mode & 0777) < 0) REFUSE_LAST((uint32_t)errno, "setting the mode");
    if (futimens(fd, ts) < 0) REFUSE_LAST((uint32_t)errno, "setting the times");
}

static void account(uint64_t len)
{
    if (in.max_bytes && (len > in.max_bytes || in.bytes > in.max_bytes - len))
        REFUSE_LAST(EDQUOT, "byte limit");
    in.bytes += len;
}

/* Moves up to `want` bytes from the stdin pipe straight into fd at *off with splice(), then
 * adds them to the CRC through a read-only mapping of what was written. Returns the byte
 * count, or 0 when splicing is not possible here (stdin not a pipe, file system without it). */
static size_t splice_in(int fd, uint64_t *off, size_t want)
{
    static int can_splice = 1;
    static long page;
    if (!can_splice) return 0;
    if (!page) page = sysconf(_SC_PAGESIZE);
    loff_t o = (loff_t)*off;
    ssize_t r;
    do r = splice(0, NULL, fd, &o, want, SPLICE_F_MOVE | SPLICE_F_MORE);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EINVAL || errno == ENOSYS || errno == EBADF)) { can_splice = 0; return 0; }
    if (r == 0) REFUSE_LAST(LEGAL_EOF, "stream ended inside a file");
    if (r < 0) REFUSE_LAST((uint32_t)errno, "writing");
    uint64_t start = *off & ~(uint64_t)(page - 1);
    size_t skip = (size_t)(*off - start);
    uint8_t *m = mmap(NULL, skip + (size_t)r, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, (off_t)start);
    if (m == MAP_FAILED) REFUSE_LAST((uint32_t)errno, "mapping the received data");
    in.crc = crc_update(in.crc, m + skip, (size_t)r);
    munmap(m, skip + (size_t)r);
    *off += (uint64_t)r;
    return (size_t)r;
}

/* Copies `len` bytes of stream into fd, through the CRC. */
static void copy_data(int fd, uint64_t len)
{
    uint64_t off = 0;
    while (len) {
        if (in.pos == in.len) {
            if (len >= IO_SIZE) {
                size_t k = splice_in(fd, &off, len < 4 * IO_SIZE ? (size_t)len : 4 * IO_SIZE);
                if (k) { len -= k; continue; }
            }
            size_t want = len < IO_SIZE ? (size_t)len : IO_SIZE;
            ssize_t r = read(0, in.buf, want);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) REFUSE_LAST(LEGAL_EOF, "stream ended inside a file");
            in.pos = 0;
            in.len = (size_t)r;
        }
        size_t k = in.len - in.pos;
        if (k > len) k = (size_t)len;
        in.crc = crc_update(in.crc, in.buf + in.pos, k);
        const uint8_t *p = in.buf + in.pos;
        for (size_t done = 0; done < k;) {
            ssize_t w = pwrite(fd, p + done, k - done, (off_t)(off + done));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) REFUSE_LAST((uint32_t)errno, "writing");
            done += (size_t)w;
        }
        off += k;
        in.pos += k;
        len -= k;
    }
}

static void recv_file(const struct file_header *h, char *path)
{
    const char *last;
    int dir = open_parent(path, &last);
    account(h->filelen);
    char tmpname[40] = "";
    int fd = -1;
    if (in.tmpfile_mode) {
        fd = openat(dir, ".", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
        if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == ENOENT)) in.tmpfile_mode = 0;
        else if (fd < 0) REFUSE_LAST((uint32_t)errno, "creating the file");
    }
    if (fd < 0) { /* no O_TMPFILE here: a hidden name, renamed into place once complete */
        for (int tries = 0; fd < 0 && tries < 100; tries++) {
            snprintf(tmpname, sizeof tmpname, ".bh-partial.%d.%d", (int)getpid(), rand());
            fd = openat(dir, tmpname, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd < 0 && errno != EEXIST) break;
        }
        if (fd < 0) REFUSE_LAST((uint32_t)errno, "creating the file");
        partial_dir = dir;
        memcpy(partial_name, tmpname, sizeof partial_name);
    }
    copy_data(fd, h->filelen);
    set_meta(fd, h);
    int rc;
    if (tmpname[0]) {
        rc = renameat2(dir, tmpname, dir, last, RENAME_NOREPLACE);
        if (rc < 0) { int e = errno; unlinkat(dir, tmpname, 0); errno = e; }
    } else {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        rc = linkat(AT_FDCWD, proc, dir, last, AT_SYMLINK_FOLLOW);
        if (rc < 0 && errno == ENOENT && access("/proc/self/fd", F_OK) < 0)
            rc = linkat(fd, "", dir, last, AT_EMPTY_PATH);
    }
    partial_name[0] = 0;
    if (rc < 0) REFUSE_LAST((uint32_t)errno, "putting the file in place");
    close(fd);
    close(dir);
}

static void recv_dir(const struct file_header *h, char *path)
{
    const char *last;
    if (h->filelen != 0) REFUSE_LAST(EINVAL, "directory with a length");
    int dir = open_parent(path, &last);
    if (mkdirat(dir, last, 0700) < 0) {
        if (errno != EEXIST) REFUSE_LAST((uint32_t)errno, "creating a directory");
        /* seen again after its contents: now apply its mode and times */
        int fd = openat(dir, last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) REFUSE_LAST((uint32_t)errno, "opening a directory");
        set_meta(fd, h);
        close(fd);
    }
    close(dir);
}

static void recv_symlink(const struct file_header *h, char *path)
{
    static uint8_t target[MAX_PATH_LEN];
    if (h->filelen > MAX_PATH_LEN - 1) REFUSE_LAST(ENAMETOOLONG, "symlink target too long");
    size_t tlen = (size_t)h->filelen;
    account(tlen);
    if (!in_read(target, tlen)) REFUSE_LAST(LEGAL_EOF, "stream ended inside a symlink");
    if (!bh_valid_symlink(in.last, in.last_len, target, tlen))
        refuse(EILSEQ, target, tlen, "unsafe symlink");
    target[tlen] = 0;
    const char *last;
    int dir = open_parent(path, &last);
    if (symlinkat((const char *)target, dir, last) < 0) REFUSE_LAST((uint32_t)errno, "creating a symlink");
    close(dir);
}

static bool valid_qube_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 31) return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    if (n >= 3 && strcmp(s + n - 3, "-dm") == 0) return false;
    return strcmp(s, "none") != 0 && strcmp(s, "default") != 0 && strcmp(s, "Domain-0") != 0;
}

static int open_dir_in(int parent, const char *name)
{
    if (mkdirat(parent, name, 0700) < 0 && errno != EEXIST) return -1;
    return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static uint64_t parse_count(const char *s, const char *opt)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || !*s || *end || s[0] == '-') {
        fprintf(stderr, "bh-filecopy unpack: %s needs a whole number, got \"%s\"\n", opt, s);
        exit(2);
    }
    return v;
}

static int do_unpack(int argc, char **argv)
{
    const char *from = NULL;
    for (int i = 0; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--from") == 0) from = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--max-bytes") == 0) in.max_bytes = parse_count(argv[++i], "--max-bytes");
        else if (i + 1 < argc && strcmp(argv[i], "--max-files") == 0) in.max_files = parse_count(argv[++i], "--max-files");
        else {
            fprintf(stderr, "bh-filecopy unpack: unknown argument \"%s\"\n", argv[i]);
            return 2;
        }
    }
    if (!from || !valid_qube_name(from)) {
        fprintf(stderr, "bh-filecopy unpack: --from needs a valid qube name\n");
        return 2;
    }
    const char *home = getenv("HOME");
    if (!home || home[0] != '/') {
        fprintf(stderr, "bh-filecopy unpack: HOME is not set to an absolute path\n");
        return 2;
    }
    int h = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int q = h < 0 ? -1 : open_dir_in(h, "QubesIncoming");
    in.base = q < 0 ? -1 : open_dir_in(q, from);
    if (in.base < 0) {
        int e = errno;
        fprintf(stderr, "bh-filecopy unpack: cannot open %s/QubesIncoming/%s: %s\n", home, from, strerror(e));
        send_result((uint32_t)e, NULL, 0);
        return 1;
    }
    close(h);
    close(q);
    umask(0077);
    in.buf = malloc(IO_SIZE);
    if (!in.buf) return 1;
    in.tmpfile_mode = getenv("BH_FILECOPY_NO_TMPFILE") == NULL; /* tests force the fallback */
    grow_pipe(0);

    static char path[MAX_PATH_LEN];
    struct file_header hd;
    for (;;) {
        if (!in_read(&hd, sizeof hd)) REFUSE_LAST(EREMOTEIO, "stream ended without the end marker");
        if (hd.namelen == 0) break;
        in.files++;
        if (in.max_files && in.files > in.max_files) REFUSE_LAST(EDQUOT, "file count limit");
        if (hd.namelen > MAX_PATH_LEN - 1) refuse(ENAMETOOLONG, in.last, 0, "name too long");
        if (!in_read(in.last, hd.namelen)) { in.last_len = 0; REFUSE_LAST(LEGAL_EOF, "stream ended inside a name"); }
        in.last_len = hd.namelen;
        bool nul_ended = in.last[hd.namelen - 1] == 0;
        if (nul_ended) in.last_len--;
        if (!nul_ended || !bh_valid_file_name(in.last, in.last_len)) REFUSE_LAST(EILSEQ, "unsafe name");
        if (hd.atime_nsec > 999999999u || hd.mtime_nsec > 999999999u) REFUSE_LAST(EINVAL, "bad time");
        memcpy(path, in.last, in.last_len);
        path[in.last_len] = 0;
        switch (hd.mode & S_IFMT) {
        case S_IFREG: recv_file(&hd, path); break;
        case S_IFDIR: recv_dir(&hd, path); break;
        case S_IFLNK: recv_symlink(&hd, path); break;
        default: REFUSE_LAST(EINVAL, "not a regular file, directory or symlink");
        }
    }
    if (syncfs(in.base) < 0) REFUSE_LAST((uint32_t)errno, "syncing");
    send_result(0, in.last, in.last_len);
    return 0;
}

/* =====================================================================================
 * pack: send files on stdout, read the receiver's answer on stdin
 * ===================================================================================== */
static struct {
    uint8_t *buf;
    size_t len;
    uint32_t crc;
} out;

static _Noreturn void pack_fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "bh-filecopy: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

/* Reads the receiver's answer and exits on any error; returns if the copy so far is fine. */
static void read_result(bool final)
{
    uint8_t r[20];
    ssize_t n = read_full(0, r, 20);
    if (n < 16) {
        fprintf(stderr, "bh-filecopy: the receiver ended without an answer\n");
        exit(1);
    }
    uint32_t code, namelen = 0;
    uint64_t crc;
    memcpy(&code, r, 4);
    memcpy(&crc, r + 8, 8);
    static uint8_t name[MAX_PATH_LEN];
    if (n == 20) {
        memcpy(&namelen, r + 16, 4);
        if (namelen > MAX_PATH_LEN) namelen = MAX_PATH_LEN;
        ssize_t k = read_full(0, name, namelen);
        namelen = k < 0 ? 0 : (uint32_t)k;
    }
    if (code != 0) {
        const char *why = code == EEXIST ? "a file with that name is already in the receiver's QubesIncoming"
                        : code == EILSEQ ? "unsafe file name or symlink refused by the receiver"
                        : code == EDQUOT ? "the receiver's size or file-count limit was reached"
                        : code == EINVAL ? "the receiver found corrupt data"
                        : code == LEGAL_EOF ? "the stream ended early"
                        : strerror((int)code);
        fprintf(stderr, "bh-filecopy: copy failed: %s (error %u)%s%s%s\n", why, code,
                namelen ? "; last file: \"" : "", namelen ? printable(name, namelen) : "", namelen ? "\"" : "");
        exit(1);
    }
    if (final && (uint32_t)crc != out.crc) {
        fprintf(stderr, "bh-filecopy: copy failed: checksum mismatch\n");
        exit(1);
    }
    if (!final) {
        fprintf(stderr, "bh-filecopy: the receiver answered before the end\n");
        exit(1);
    }
}

static void flush_out(void)
{
    if (out.len && !write_all(1, out.buf, out.len)) {
        if (errno == EPIPE) read_result(false);
        perror("bh-filecopy: writing the stream");
        exit(1);
    }
    out.len = 0;
}

static void put(const void *p, size_t n)
{
    if (out.len + n > IO_SIZE) flush_out();
    memcpy(out.buf + out.len, p, n);
    out.crc = crc_update(out.crc, p, n);
    out.len += n;
}

/* An early answer (the receiver refused something) is read without waiting. */
static void check_early_answer(void)
{
    struct pollfd p = {.fd = 0, .events = POLLIN};
    if (poll(&p, 1, 0) > 0) read_result(false);
}

static void put_header(const struct stat *st, const char *name, uint64_t len)
{
    struct file_header h = {
        .namelen = (uint32_t)strlen(name) + 1, .mode = st->st_mode, .filelen = len,
        .atime = (uint32_t)st->st_atim.tv_sec, .atime_nsec = (uint32_t)st->st_atim.tv_nsec,
        .mtime = (uint32_t)st->st_mtim.tv_sec, .mtime_nsec = (uint32_t)st->st_mtim.tv_nsec,
    };
    put(&h, sizeof h);
    put(name, h.namelen);
}

/* Sends file data straight from the page cache: CRC over a read-only mapping, then splice()
 * into the stdout pipe, so the data is never copied through this process. False if not possible. */
static bool send_spliced(int fd, uint64_t size)
{
    static int can_splice = 1;
    if (!can_splice || size < IO_SIZE) return false;
    uint8_t *map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) return false;
    (void)madvise(map, (size_t)size, MADV_SEQUENTIAL);
    flush_out();
    loff_t off = 0;
    while ((uint64_t)off < size) {
        size_t chunk = size - (uint64_t)off < 4 * IO_SIZE ? (size_t)(size - (uint64_t)off) : 4 * IO_SIZE;
        out.crc = crc_update(out.crc, map + off, chunk);
        size_t sent = 0;
        while (sent < chunk) {
            ssize_t w = can_splice ? splice(fd, &off, 1, NULL, chunk - sent, SPLICE_F_MORE) : -1;
            if (w < 0 && errno == EINTR) continue;
            if (w < 0 && can_splice && errno == EPIPE) read_result(false);
            if (w < 0 || w == 0) { /* not a pipe, or splice unsupported here: plain writes */
                can_splice = 0;
                if (!write_all(1, map + off, chunk - sent)) {
                    if (errno == EPIPE) read_result(false);
                    perror("bh-filecopy: writing the stream");
                    exit(1);
                }
                off += (loff_t)(chunk - sent);
                break;
            }
            sent += (size_t)w;
        }
    }
    munmap(map, (size_t)size);
    return true;
}

static void send_regular(int dirfd, const char *name, const struct stat *st)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) pack_fail("cannot open \"%s\"", name);
    struct stat now;
    if (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode)) pack_fail("\"%s\" changed while being sent", name);
    (void)st;
    put_header(&now, name, (uint64_t)now.st_size);
    if (send_spliced(fd, (uint64_t)now.st_size)) {
        close(fd);
        return;
    }
    uint64_t left = (uint64_t)now.st_size;
    while (left) {
        if (out.len == IO_SIZE) flush_out();
        size_t room = IO_SIZE - out.len;
        if (room > left) room = (size_t)left;
        ssize_t r = read(fd, out.buf + out.len, room);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) pack_fail("\"%s\" shrank or could not be read while being sent", name);
        out.crc = crc_update(out.crc, out.buf + out.len, (size_t)r);
        out.len += (size_t)r;
        left -= (size_t)r;
    }
    close(fd);
}

/* Walks one argument; with `send` false only checks that everything can be sent. */
static void walk(int dirfd, char *name, size_t nlen, bool send)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) pack_fail("cannot read \"%s\"", name);
    if (nlen + 1 >= MAX_PATH_LEN || !bh_valid_file_name((const uint8_t *)name, nlen))
        pack_fail("\"%s\" has a name the receiver would refuse (control characters, invalid UTF-8, "
                  "right-to-left or unusual characters, or too long)", printable((const uint8_t *)name, nlen));
    if (S_ISREG(st.st_mode)) {
        if (send) send_regular(dirfd, name, &st);
    } else if (S_ISLNK(st.st_mode)) {
        static char target[MAX_PATH_LEN];
        ssize_t t = readlinkat(dirfd, name, target, sizeof target);
        if (t < 0 || t >= MAX_PATH_LEN) pack_fail("cannot read symlink \"%s\"", name);
        if (!bh_valid_symlink((const uint8_t *)name, nlen, (const uint8_t *)target, (size_t)t))
            pack_fail("symlink \"%s\" is absolute, at the top level, or points outside what is sent", name);
        if (send) {
            put_header(&st, name, (uint64_t)t);
            put(target, (size_t)t);
        }
    } else if (S_ISDIR(st.st_mode)) {
        if (send) put_header(&st, name, 0);
        int d = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *dir = d < 0 ? NULL : fdopendir(d);
        if (!dir) pack_fail("cannot list \"%s\"", name);
        struct dirent *e;
        while ((e = readdir(dir))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            size_t el = strlen(e->d_name);
            if (nlen + 1 + el + 1 >= MAX_PATH_LEN) pack_fail("path under \"%s\" is too long", name);
            name[nlen] = '/';
            memcpy(name + nlen + 1, e->d_name, el + 1);
            walk(dirfd, name, nlen + 1 + el, send);
            name[nlen] = 0;
        }
        closedir(dir);
        if (send) put_header(&st, name, 0); /* again, so mode and times apply after the contents */
    } else {
        pack_fail("\"%s\" is not a regular file, directory or symlink", name);
    }
    if (send) check_early_answer();
}

static int do_pack(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: bh-filecopy pack FILE...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    out.buf = malloc(IO_SIZE);
    if (!out.buf) return 1;
    grow_pipe(1);
    static char name[MAX_PATH_LEN];
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < argc; i++) {
            char *arg = strdup(argv[i]);
            if (!arg) return 1;
            size_t l = strlen(arg);
            while (l > 1 && arg[l - 1] == '/') arg[--l] = 0;
            char *slash = strrchr(arg, '/');
            const char *base = slash ? slash + 1 : arg;
            const char *dirpath = slash ? (slash == arg ? "/" : arg) : ".";
            if (slash) *slash = 0;
            if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
                pack_fail("cannot send \"%s\": name a file or directory, not . or .. or /", argv[i]);
            int dirfd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dirfd < 0) pack_fail("cannot open the directory of \"%s\"", argv[i]);
            size_t bl = strlen(base);
            if (bl >= MAX_PATH_LEN) pack_fail("name too long: %s", argv[i]);
            memcpy(name, base, bl + 1);
            walk(dirfd, name, bl, pass == 1);
            close(dirfd);
            free(arg);
        }
    }
    struct file_header end = {0};
    put(&end, sizeof end);
    flush_out();
    close(1);
    read_result(true);
    return 0;
}

/* check-names: reads lines "NAMEHEX" or "NAMEHEX TARGETHEX" and prints ok/bad per line (tests). */
static size_t unhex(const char *s, size_t n, uint8_t *dst)
{
    size_t k = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned v;
        if (sscanf(s + i, "%2x", &v) != 1) break;
        dst[k++] = (uint8_t)v;
    }
    return k;
}

static int do_check_names(void)
{
    static char line[4 * MAX_PATH_LEN + 8];
    static uint8_t a[MAX_PATH_LEN * 2], b[MAX_PATH_LEN * 2];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strcspn(line, "\n");
        line[n] = 0;
        char *sp = strchr(line, ' ');
        bool ok;
        if (sp) {
            size_t al = unhex(line, (size_t)(sp - line), a);
            size_t bl = unhex(sp + 1, strlen(sp + 1), b);
            ok = bh_valid_symlink(a, al, b, bl);
        } else {
            ok = bh_valid_file_name(a, unhex(line, n, a));
        }
        puts(ok ? "ok" : "bad");
    }
    return 0;
}

int main(int argc, char **argv)
{
    crc_init();
    if (argc >= 2 && strcmp(argv[1], "pack") == 0) return do_pack(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "unpack") == 0) return do_unpack(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "check-names") == 0) return do_check_names();
    fprintf(stderr, "usage: bh-filecopy pack FILE...\n"
                    "       bh-filecopy unpack --from QUBE [--max-bytes N] [--max-files N]\n");
    return 2;
}

/* Decodes RPC frames from stdin and writes them re-encoded to stdout; checks bh-frame.h against the TS reader. */
#include <stdio.h>
#include <unistd.h>
#include "bh-frame.h"

static struct bh_frame_reader r;

static int write_all(const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(1, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(void)
{
    static uint8_t buf[7919]; /* an odd size, so frames straddle reads */
    bh_frame_reader_init(&r);
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0) return 1;
        if (n == 0) break;
        size_t off = 0;
        for (;;) {
            size_t used;
            int rc = bh_frame_feed(&r, buf + off, (size_t)n - off, &used);
            off += used;
            if (rc < 0) {
                fprintf(stderr, "error: %s\n", bh_frame_strerror(rc));
                return 3;
            }
            if (rc == BH_FRAME_MORE) break;
            uint8_t h[BH_FRAME_HEADER];
            if (bh_frame_header(h, r.type, r.len) || write_all(h, sizeof h) || write_all(r.payload, r.len)) return 1;
        }
    }
    int rc = bh_frame_end(&r);
    if (rc) {
        fprintf(stderr, "error: %s\n", bh_frame_strerror(rc));
        return 3;
    }
    return 0;
}

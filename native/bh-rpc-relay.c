/* Relays one bulk RPC call for the broker without copying through the daemon: fd 0 caller socket, fd 1 service socket.
 *
 *   bh-rpc-relay LEFT HEADER_HEX     (state of the service→caller frame scanner where the broker stopped)
 *
 * Caller → service bytes move with splice (no copy through this process); both ends check those frames
 * themselves. Service → caller bytes are read and their frame headers followed, so the EXIT code is
 * known and a malformed frame cuts the call. Prints "exit CODE" or "end REASON" on fd 3 and exits.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include "bh-rpc-pump.h"

static void report(const char *s) { if (write(3, s, strlen(s)) < 0) {} }

int main(int argc, char **argv)
{
    if (argc != 3) return 2;
    long left = strtol(argv[1], NULL, 10);
    uint8_t hdr[BH_FRAME_HEADER];
    size_t hgot = strlen(argv[2]) / 2;
    if (left < 0 || hgot > BH_FRAME_HEADER - 1 || (left && hgot)) return 2;
    for (size_t i = 0; i < hgot; i++) { unsigned v; sscanf(argv[2] + 2 * i, "%2x", &v); hdr[i] = (uint8_t)v; }
    uint32_t type = 0;
    uint8_t small[4];
    uint32_t sgot = 0;
    signal(SIGPIPE, SIG_IGN);
    bh_nonblock(0);
    bh_nonblock(1);
    int pp[2];
    if (pipe2(pp, O_NONBLOCK | O_CLOEXEC)) return 1;
    bh_big_pipe(pp[0]);
    size_t inpipe = 0;
    int up_eof = 0;
    static uint8_t buf[1 << 18];
    size_t blen = 0, boff = 0;
    for (;;) {
        struct pollfd pf[2] = {
            { 0, (short)((!up_eof && inpipe < (1u << 20) ? POLLIN : 0) | (blen > boff ? POLLOUT : 0)), 0 },
            { 1, (short)((blen == boff ? POLLIN : 0) | (inpipe ? POLLOUT : 0)), 0 },
        };
        if (poll(pf, 2, -1) < 0) { if (errno == EINTR) continue; return 1; }
        /* caller → service, spliced through a pipe */
        if (pf[0].revents & (POLLIN | POLLHUP | POLLERR) && !up_eof && inpipe < (1u << 20)) {
            ssize_t n = splice(0, NULL, pp[1], NULL, (1u << 20) - inpipe, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
            if (n > 0) inpipe += (size_t)n;
            else if (n == 0 || (errno != EAGAIN && errno != EINTR)) { up_eof = 1; if (!inpipe) { report("end caller-gone\n"); return 0; } }
        }
        if (inpipe && pf[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
            ssize_t n = splice(pp[0], NULL, 1, NULL, inpipe, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
            if (n > 0) inpipe -= (size_t)n;
            else if (n < 0 && errno != EAGAIN && errno != EINTR) { report("end service-gone\n"); return 0; }
        }
        if (up_eof && !inpipe) { report("end caller-gone\n"); return 0; }
        /* service → caller, read and followed frame by frame */
        if (blen == boff && pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(1, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) { report("end service-gone\n"); return 0; }
            if (n > 0) {
                blen = (size_t)n;
                boff = 0;
                for (size_t i = 0; i < blen;) {
                    if (left == 0) {
                        while (hgot < BH_FRAME_HEADER && i < blen) hdr[hgot++] = buf[i++];
                        if (hgot < BH_FRAME_HEADER) break;
                        hgot = 0;
                        type = hdr[0];
                        uint32_t len = bh_frame_u32(hdr + 4);
                        int ok = !hdr[1] && !hdr[2] && !hdr[3] && !bh_frame_check(type, len) &&
                                 (type == BH_FRAME_STDOUT || type == BH_FRAME_STDERR || type == BH_FRAME_EOF || type == BH_FRAME_EXIT || type == BH_FRAME_ERROR);
                        if (!ok) { report("end protocol\n"); return 0; }
                        left = len;
                        sgot = 0;
                        if (len) continue;
                    }
                    size_t k = (size_t)left < blen - i ? (size_t)left : blen - i;
                    for (size_t j = 0; j < k && sgot < 4; j++) small[sgot++] = buf[i + j];
                    i += k;
                    left -= (long)k;
                    if (left == 0 && (type == BH_FRAME_EXIT || type == BH_FRAME_ERROR)) {
                        /* the call's last frame: forward what we have up to here, then stop */
                        if (bh_write_all(0, buf, i)) { report("end caller-gone\n"); return 0; }
                        char msg[64];
                        if (type == BH_FRAME_EXIT) snprintf(msg, sizeof msg, "exit %d\n", (int32_t)bh_frame_u32(small));
                        else snprintf(msg, sizeof msg, "end error\n");
                        shutdown(0, SHUT_WR);
                        report(msg);
                        return 0;
                    }
                }
            }
        }
        if (blen > boff && pf[0].revents & (POLLOUT | POLLERR | POLLHUP)) {
            ssize_t n = write(0, buf + boff, blen - boff);
            if (n > 0) boff += (size_t)n;
            else if (n < 0 && errno != EAGAIN && errno != EINTR) { report("end caller-gone\n"); return 0; }
        }
    }
}

/* Moves data between local file descriptors and one framed RPC socket, both ways at once, never blocking on either side. */
#ifndef BH_RPC_PUMP_H
#define BH_RPC_PUMP_H
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "bh-frame.h"

#define BH_RPC_DIR "/run/bulkhead/rpc"
#define BH_RPC_READ (256u * 1024u)

static inline void bh_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static inline int bh_write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = { fd, POLLOUT, 0 };
            poll(&pf, 1, -1);
            continue;
        }
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One whole frame (header + payload), written even on a non-blocking socket. */
static inline int bh_send_frame(int fd, uint32_t type, const void *payload, uint32_t len)
{
    uint8_t h[BH_FRAME_HEADER];
    if (bh_frame_header(h, type, len)) return -1;
    if (bh_write_all(fd, h, sizeof h)) return -1;
    return len ? bh_write_all(fd, payload, len) : 0;
}

static inline int bh_send_hello(int fd, const char *role)
{
    uint8_t p[256] = { 1, 0, 0, 0 };
    size_t n = strlen(role);
    if (n > sizeof p - 4) n = sizeof p - 4;
    memcpy(p + 4, role, n);
    return bh_send_frame(fd, BH_FRAME_HELLO, p, (uint32_t)(4 + n));
}

/* Connects to a Unix socket path; -1 with errno on failure. */
static inline int bh_connect_unix(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path) { errno = ENAMETOOLONG; return -1; }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { int e = errno; close(fd); errno = e; return -1; }
    return fd;
}

/* A local source of frames: its bytes go out as `type` frames, its end as EOF(stream). */
struct bh_pump_in { int fd; uint8_t type, stream; int done; };

/* A local sink: data frames of `type` are written to fd; EOF(stream) closes it. fd -1 = discard. */
struct bh_pump_out { int fd; uint8_t type, stream; };

struct bh_pump {
    int sock;
    int sock_eof;                    /* peer closed or failed */
    int sock_dead;                   /* writes to the peer failed: drop outgoing data */
    struct bh_pump_in in[2]; int nin;
    struct bh_pump_out out[2]; int nout;
    /* outgoing: one frame (or a few control frames) at a time */
    uint8_t obuf[BH_FRAME_HEADER + BH_FRAME_MAX + 64];
    size_t olen, ooff;
    /* incoming */
    uint8_t rbuf[BH_RPC_READ];
    size_t rlen, roff;
    struct bh_frame_reader r;
    int pend;                        /* index into out[] of a data payload waiting to be written, or -1 */
    uint32_t pend_off;
    /* what arrived */
    int got_exit, exit_code, got_error, error_code, proto_error;
    char error_msg[512];
    /* frame types the peer may send */
    unsigned accept_mask;
    /* one more descriptor to wake up for (e.g. a pidfd), -1 for none; extra_ready says it fired */
    int extra_fd, extra_ready;
};

static inline void bh_pump_init(struct bh_pump *p, int sock, unsigned accept_mask)
{
    memset(p, 0, offsetof(struct bh_pump, obuf));
    p->olen = p->ooff = p->rlen = p->roff = 0;
    bh_frame_reader_init(&p->r);
    p->sock = sock;
    p->pend = -1;
    p->accept_mask = accept_mask;
    p->extra_fd = -1;
    bh_nonblock(sock);
}

/* Bigger pipes mean fewer switches between the processes on each side (ignored where not a pipe). */
static inline void bh_big_pipe(int fd)
{
#ifdef F_SETPIPE_SZ
    fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#else
    (void)fd;
#endif
}

static inline void bh_pump_add_in(struct bh_pump *p, int fd, uint8_t type, uint8_t stream)
{
    p->in[p->nin++] = (struct bh_pump_in){ fd, type, stream, fd < 0 };
    if (fd >= 0) bh_nonblock(fd);
}

static inline void bh_pump_add_out(struct bh_pump *p, int fd, uint8_t type, uint8_t stream)
{
    p->out[p->nout++] = (struct bh_pump_out){ fd, type, stream };
    if (fd >= 0) bh_nonblock(fd);
}

/* Appends a small control frame to the outgoing buffer (room is reserved for a few). */
static inline void bh_pump_queue(struct bh_pump *p, uint32_t type, const void *payload, uint32_t len)
{
    if (p->sock_dead) return;
    if (p->ooff == p->olen) p->ooff = p->olen = 0;
    if (p->olen + BH_FRAME_HEADER + len > sizeof p->obuf) return;
    bh_frame_header(p->obuf + p->olen, type, len);
    memcpy(p->obuf + p->olen + BH_FRAME_HEADER, payload, len);
    p->olen += BH_FRAME_HEADER + len;
}

static inline void bh_pump_queue_exit(struct bh_pump *p, int32_t code)
{
    uint8_t b[4] = { (uint8_t)code, (uint8_t)(code >> 8), (uint8_t)(code >> 16), (uint8_t)((uint32_t)code >> 24) };
    bh_pump_queue(p, BH_FRAME_EXIT, b, 4);
}

static inline void bh_pump_close_out(struct bh_pump *p, int i)
{
    if (p->out[i].fd >= 0 && p->out[i].fd > 2) close(p->out[i].fd);
    else if (p->out[i].fd >= 0) { int nul = open("/dev/null", O_WRONLY); if (nul >= 0) { dup2(nul, p->out[i].fd); close(nul); } }
    p->out[i].fd = -1;
}

/* Writes what it can of the pending payload; returns 1 when it is done (written or dropped). */
static inline int bh_pump_flush_pend(struct bh_pump *p)
{
    if (p->pend < 0) return 1;
    struct bh_pump_out *o = &p->out[p->pend];
    while (p->pend_off < p->r.len) {
        if (o->fd < 0) break;
        ssize_t w = write(o->fd, p->r.payload + p->pend_off, p->r.len - p->pend_off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) return 0;
        if (w <= 0) { bh_pump_close_out(p, p->pend); break; } /* reader went away: discard the rest */
        p->pend_off += (uint32_t)w;
    }
    p->pend = -1;
    return 1;
}

/* Handles one complete incoming frame. */
static inline void bh_pump_frame(struct bh_pump *p)
{
    uint32_t t = p->r.type;
    if (!(p->accept_mask & (1u << t))) { p->proto_error = 1; return; }
    if (t == BH_FRAME_EXIT) { p->got_exit = 1; p->exit_code = (int32_t)bh_frame_u32(p->r.payload); return; }
    if (t == BH_FRAME_ERROR) {
        p->got_error = 1;
        p->error_code = (int)bh_frame_u32(p->r.payload);
        size_t n = p->r.len - 4 < sizeof p->error_msg - 1 ? p->r.len - 4 : sizeof p->error_msg - 1;
        memcpy(p->error_msg, p->r.payload + 4, n);
        p->error_msg[n] = 0;
        return;
    }
    for (int i = 0; i < p->nout; i++) {
        if (t == BH_FRAME_EOF && p->r.payload[0] == p->out[i].stream) { bh_pump_close_out(p, i); return; }
        if (t == p->out[i].type) { p->pend = i; p->pend_off = 0; bh_pump_flush_pend(p); return; }
    }
    if (t != BH_FRAME_EOF) p->proto_error = 1;
}

/* Decodes buffered input until a payload must wait for its reader. */
static inline void bh_pump_decode(struct bh_pump *p)
{
    while (p->pend < 0 && p->roff < p->rlen && !p->got_exit && !p->got_error && !p->proto_error) {
        size_t used;
        int rc = bh_frame_feed(&p->r, p->rbuf + p->roff, p->rlen - p->roff, &used);
        p->roff += used;
        if (rc < 0) { p->proto_error = 1; return; }
        if (rc == BH_FRAME_READY) bh_pump_frame(p);
    }
}

static inline int bh_pump_in_open(struct bh_pump *p)
{
    for (int i = 0; i < p->nin; i++) if (!p->in[i].done) return 1;
    return 0;
}

/*
 * One round: polls everything that can move and moves it. timeout_ms bounds the wait.
 * Returns -1 on a protocol error from the peer, else 0.
 */
static inline int bh_pump_step(struct bh_pump *p, int timeout_ms)
{
    struct pollfd pf[6];
    int idx_in[2] = { -1, -1 }, n = 0;
    int want_read = p->pend < 0 && !p->sock_eof && p->roff == p->rlen && !p->got_exit && !p->got_error;
    int have_out = p->ooff < p->olen && !p->sock_dead;
    pf[n++] = (struct pollfd){ p->sock, (short)((want_read ? POLLIN : 0) | (have_out ? POLLOUT : 0)), 0 };
    if (!have_out)
        for (int i = 0; i < p->nin; i++)
            if (!p->in[i].done) { idx_in[i] = n; pf[n++] = (struct pollfd){ p->in[i].fd, POLLIN, 0 }; }
    int pend_idx = -1;
    if (p->pend >= 0 && p->out[p->pend].fd >= 0) { pend_idx = n; pf[n++] = (struct pollfd){ p->out[p->pend].fd, POLLOUT, 0 }; }
    int extra_idx = -1;
    if (p->extra_fd >= 0 && !p->extra_ready) { extra_idx = n; pf[n++] = (struct pollfd){ p->extra_fd, POLLIN, 0 }; }
    if (pf[0].events == 0) pf[0].fd = -1;
    int rc = poll(pf, (nfds_t)n, timeout_ms);
    if (rc < 0) return errno == EINTR ? 0 : -1;
    if (extra_idx >= 0 && pf[extra_idx].revents) p->extra_ready = 1;
    if (pend_idx >= 0 && pf[pend_idx].revents) { if (bh_pump_flush_pend(p)) bh_pump_decode(p); }
    if (pf[0].revents & (POLLOUT | POLLERR | POLLHUP) && have_out) {
        ssize_t w = write(p->sock, p->obuf + p->ooff, p->olen - p->ooff);
        if (w > 0) p->ooff += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EINTR) { p->sock_dead = 1; p->ooff = p->olen = 0; }
    }
    if (pf[0].revents & (POLLIN | POLLHUP | POLLERR) && want_read) {
        ssize_t r = read(p->sock, p->rbuf, sizeof p->rbuf);
        if (r > 0) { p->rlen = (size_t)r; p->roff = 0; bh_pump_decode(p); }
        else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
            p->sock_eof = 1;
            if (bh_frame_end(&p->r)) p->proto_error = 1;
        }
    }
    for (int i = 0; i < p->nin; i++) {
        if (idx_in[i] < 0 || !(pf[idx_in[i]].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (p->ooff < p->olen) break; /* one frame at a time */
        p->ooff = p->olen = 0;
        ssize_t r = read(p->in[i].fd, p->obuf + BH_FRAME_HEADER, BH_FRAME_MAX);
        if (r > 0) {
            if (p->sock_dead) continue;
            bh_frame_header(p->obuf, p->in[i].type, (uint32_t)r);
            p->olen = BH_FRAME_HEADER + (size_t)r;
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
            p->in[i].done = 1;
            if (p->in[i].fd > 2) close(p->in[i].fd);
            bh_pump_queue(p, BH_FRAME_EOF, &p->in[i].stream, 1);
        }
    }
    if (p->pend < 0) bh_pump_decode(p);
    return p->proto_error ? -1 : 0;
}

/* Sends what is queued, blocking until done or the peer fails. */
static inline void bh_pump_drain(struct bh_pump *p)
{
    while (p->ooff < p->olen && !p->sock_dead) {
        ssize_t w = write(p->sock, p->obuf + p->ooff, p->olen - p->ooff);
        if (w > 0) { p->ooff += (size_t)w; continue; }
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd pf = { p->sock, POLLOUT, 0 };
            poll(&pf, 1, 1000);
            continue;
        }
        p->sock_dead = 1;
    }
}
#endif

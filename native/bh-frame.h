/* RPC frames (docs/rpc-wire.md), header-only: encoder and incremental decoder matching src/features/rpc/frame.ts. */
#ifndef BH_FRAME_H
#define BH_FRAME_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BH_FRAME_HEADER 8u
#define BH_FRAME_MAX 65536u

enum bh_frame_type {
    BH_FRAME_HELLO = 1, BH_FRAME_CALL = 2, BH_FRAME_STDIN = 3, BH_FRAME_STDOUT = 4,
    BH_FRAME_STDERR = 5, BH_FRAME_EOF = 6, BH_FRAME_EXIT = 7, BH_FRAME_ERROR = 8,
};

/* Results of bh_frame_feed; negative values are errors, named like FrameErrorReason in TS. */
enum bh_frame_status {
    BH_FRAME_MORE = 0,          /* all input used, no complete frame yet */
    BH_FRAME_READY = 1,         /* r->type, r->len, r->payload hold one frame */
    BH_FRAME_E_OVERSIZE = -1,
    BH_FRAME_E_UNKNOWN_TYPE = -2,
    BH_FRAME_E_RESERVED = -3,
    BH_FRAME_E_BAD_PAYLOAD = -4,
    BH_FRAME_E_TRUNCATED = -5,
};

static inline const char *bh_frame_strerror(int status)
{
    switch (status) {
    case BH_FRAME_E_OVERSIZE: return "oversize";
    case BH_FRAME_E_UNKNOWN_TYPE: return "unknown-type";
    case BH_FRAME_E_RESERVED: return "reserved";
    case BH_FRAME_E_BAD_PAYLOAD: return "bad-payload";
    case BH_FRAME_E_TRUNCATED: return "truncated";
    default: return "ok";
    }
}

/* Type and length rules shared by encoder and decoder: 0 if fine, else a negative status. */
static inline int bh_frame_check(uint32_t type, uint32_t len)
{
    if (type < BH_FRAME_HELLO || type > BH_FRAME_ERROR) return BH_FRAME_E_UNKNOWN_TYPE;
    if (len > BH_FRAME_MAX) return BH_FRAME_E_OVERSIZE;
    switch (type) {
    case BH_FRAME_HELLO: case BH_FRAME_ERROR: return len >= 4 ? 0 : BH_FRAME_E_BAD_PAYLOAD;
    case BH_FRAME_STDIN: case BH_FRAME_STDOUT: case BH_FRAME_STDERR: return len >= 1 ? 0 : BH_FRAME_E_BAD_PAYLOAD;
    case BH_FRAME_EOF: return len == 1 ? 0 : BH_FRAME_E_BAD_PAYLOAD;
    case BH_FRAME_EXIT: return len == 4 ? 0 : BH_FRAME_E_BAD_PAYLOAD;
    default: return 0;
    }
}

/* Writes the 8-byte header for a frame; returns 0 or a negative status. */
static inline int bh_frame_header(uint8_t out[BH_FRAME_HEADER], uint32_t type, uint32_t len)
{
    int rc = bh_frame_check(type, len);
    if (rc) return rc;
    out[0] = (uint8_t)type;
    out[1] = out[2] = out[3] = 0;
    out[4] = (uint8_t)len; out[5] = (uint8_t)(len >> 8); out[6] = (uint8_t)(len >> 16); out[7] = (uint8_t)(len >> 24);
    return 0;
}

static inline uint32_t bh_frame_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Decoder state; zero-initialise (or bh_frame_reader_init) before the first feed. ~64 KiB. */
struct bh_frame_reader {
    uint8_t hdr[BH_FRAME_HEADER];
    uint32_t hgot;          /* header bytes held */
    int in_body;            /* header complete, payload pending */
    int status;             /* sticky error, or 0 */
    uint32_t type, len, got;
    uint8_t payload[BH_FRAME_MAX];
};

static inline void bh_frame_reader_init(struct bh_frame_reader *r) { memset(r, 0, offsetof(struct bh_frame_reader, payload)); }

/*
 * Feeds up to n bytes; *used says how many were consumed. Returns BH_FRAME_READY with one
 * complete frame (call again with the rest of the input), BH_FRAME_MORE when all input was used,
 * or a negative error that every later call repeats.
 */
static inline int bh_frame_feed(struct bh_frame_reader *r, const uint8_t *data, size_t n, size_t *used)
{
    size_t i = 0;
    *used = 0;
    if (r->status) return r->status;
    while (i < n || (r->in_body && r->got == r->len)) {
        if (!r->in_body) {
            size_t k = BH_FRAME_HEADER - r->hgot;
            if (k > n - i) k = n - i;
            memcpy(r->hdr + r->hgot, data + i, k);
            r->hgot += (uint32_t)k;
            i += k;
            if (r->hgot < BH_FRAME_HEADER) break;
            if (r->hdr[1] || r->hdr[2] || r->hdr[3]) { r->status = BH_FRAME_E_RESERVED; break; }
            r->type = r->hdr[0];
            r->len = bh_frame_u32(r->hdr + 4);
            int rc = bh_frame_check(r->type, r->len);
            if (rc) { r->status = rc; break; }
            r->in_body = 1;
            r->got = 0;
            continue;
        }
        if (r->got < r->len) {
            size_t k = r->len - r->got;
            if (k > n - i) k = n - i;
            memcpy(r->payload + r->got, data + i, k);
            r->got += (uint32_t)k;
            i += k;
        }
        if (r->got == r->len) {
            r->in_body = 0;
            r->hgot = 0;
            *used = i;
            if (r->type == BH_FRAME_EOF && r->payload[0] > 2) return r->status = BH_FRAME_E_BAD_PAYLOAD;
            return BH_FRAME_READY;
        }
    }
    *used = i;
    return r->status ? r->status : BH_FRAME_MORE;
}

/* At end of input: 0 if no partial frame is held, else BH_FRAME_E_TRUNCATED. */
static inline int bh_frame_end(struct bh_frame_reader *r)
{
    if (r->status) return r->status;
    return (r->hgot || r->in_body) ? (r->status = BH_FRAME_E_TRUNCATED) : 0;
}
#endif

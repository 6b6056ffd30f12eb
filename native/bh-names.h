/* File-copy name and symlink validation, the same rules as src/filecopy/names.ts (header-only). */
#ifndef BH_NAMES_H
#define BH_NAMES_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "bh-unicode-table.h"

static bool bh_code_point_allowed(uint32_t cp)
{
    size_t lo = 0, hi = BH_ALLOWED_RANGE_COUNT;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < bh_allowed_ranges[2 * mid]) hi = mid;
        else if (cp > bh_allowed_ranges[2 * mid + 1]) lo = mid + 1;
        else return true;
    }
    return false;
}

/* Length of the allowed, well-formed UTF-8 character at p (at most n bytes available), else 0. */
static size_t bh_char_length(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c >= 0x20 && c <= 0x7e) return 1;
    size_t tails;
    uint32_t cp;
    uint8_t min2 = 0x80;
    if (c >= 0xc2 && c <= 0xdf) { tails = 1; cp = c & 0x1f; }
    else if (c == 0xe0) { tails = 2; cp = 0; min2 = 0xa0; }
    else if (c >= 0xe1 && c <= 0xef) { tails = 2; cp = c & 0x0f; }
    else if (c == 0xf0) { tails = 3; cp = 0; min2 = 0x90; }
    else if (c >= 0xf1 && c <= 0xf4) { tails = 3; cp = c & 0x07; }
    else return 0;
    if (tails >= n) return 0;
    for (size_t k = 1; k <= tails; k++) {
        uint8_t t = p[k];
        if (t < (k == 1 ? min2 : 0x80) || t > 0xbf) return 0;
        cp = (cp << 6) | (t & 0x3f);
    }
    return bh_code_point_allowed(cp) ? tails + 1 : 0;
}

/* Number of components that are not "..", or 0 if the path is unsafe; up to `dotdot` leading
 * ".." components are allowed. The path is `len` bytes; a NUL byte makes it unsafe. */
static size_t bh_validate_path(const uint8_t *p, size_t len, size_t dotdot)
{
    size_t normal = 0, start = 0;
    if (len == 0) return 0;
    while (start <= len) {
        size_t end = start;
        while (end < len && p[end] != '/') end++;
        size_t clen = end - start;
        if (clen == 0) return 0;
        if (p[start] == '.' && clen == 1) return 0;
        if (clen == 2 && p[start] == '.' && p[start + 1] == '.') {
            if (dotdot < 1) return 0;
            dotdot--;
        } else {
            dotdot = 0;
            normal++;
            for (size_t i = start; i < end;) {
                size_t k = bh_char_length(p + i, end - i);
                if (k == 0) return 0;
                i += k;
            }
        }
        start = end + 1;
    }
    return normal;
}

static bool bh_valid_file_name(const uint8_t *name, size_t len)
{
    return bh_validate_path(name, len, 0) > 0;
}

static bool bh_valid_symlink(const uint8_t *name, size_t nlen, const uint8_t *target, size_t tlen)
{
    size_t depth = bh_validate_path(name, nlen, 0);
    if (depth < 2) return false;
    return bh_validate_path(target, tlen, depth - 2) > 0;
}
#endif

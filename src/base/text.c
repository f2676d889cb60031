/* SPDX-License-Identifier: Apache-2.0 */
/* Making text from outside the JSON parser valid UTF-8 (base/text.h). */
#include "base/text.h"

#include <string.h>

size_t text_utf8_len(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t len;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

size_t text_utf8_char(const char *s)
{
    /* A NUL is out of every continuation range, so the sequence stops at it. */
    return text_utf8_len(s, 4);
}

int text_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int text_utf8_valid(const char *s)
{
    while (*s) {
        size_t n = text_utf8_char(s);
        if (!n)
            return 0;
        s += n;
    }
    return 1;
}

void text_clean(const char *in, char *out, size_t size)
{
    static const char fffd[] = "\xef\xbf\xbd";
    size_t o = 0;

    while (*in) {
        unsigned char c = (unsigned char)*in;
        size_t n = text_utf8_char(in);
        const char *put = in;
        size_t len = n;
        if (!n || c < 0x20 || c == 0x7f) {
            put = fffd;
            len = 3;
            n = 1;
        }
        if (o + len >= size)
            break;
        memcpy(out + o, put, len);
        o += len;
        in += n;
    }
    out[o] = '\0';
}

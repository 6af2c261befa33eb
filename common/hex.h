/* One hexadecimal digit's value: what the parsers of ids (trace and span ids, percent
 * escapes, hwloc bitmaps) share. Header only. */
#ifndef LS_COMMON_HEX_H
#define LS_COMMON_HEX_H

/** The value of hex digit c (0-9, a-f, A-F), or -1 for any other character. */
static inline int ls_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif

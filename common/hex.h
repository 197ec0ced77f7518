/*
 * common/hex.h — hexadecimal digits, as percent-decoding (paths, queries, forms) reads them. Pure, thread-safe.
 */
#ifndef CONG_COMMON_HEX_H
#define CONG_COMMON_HEX_H

/** The value 0..15 of a hex digit (either case), or -1 for any other character. */
int cong_hex_digit(char c);

#endif

/*
 * common/msgpack_bounds.h — a structural check of untrusted msgpack before msgpack-c unpacks it.
 *
 * msgpack-c allocates a container's elements up front from the count its header declares, so 5 bytes that claim an
 * array of 2^32 elements make it try to allocate 64 GiB. This walk checks, without allocating, that the buffer holds
 * exactly one object, that every length fits in what is left, that no container declares more elements than bytes
 * remain (each element takes at least one), and that nesting stays within CONG_MSGPACK_MAX_DEPTH.
 */
#ifndef CONG_PUSH_MSGPACK_BOUNDS_H
#define CONG_PUSH_MSGPACK_BOUNDS_H

#include <stddef.h>

#define CONG_MSGPACK_MAX_DEPTH 32

/** 1 if `buf` is one well-bounded msgpack object, else 0. */
int cong_msgpack_bounded(const char *buf, size_t len);

#endif

/*
 * common/common.h — the common room's contract: what every room of cong shares.
 *
 * Owns: the error codes' names (errors.h, over the public cong/errors.h), the error log (log.h), hex digits (hex.h) and a structural
 * check of untrusted MessagePack before it is unpacked (msgpack_bounds.h).
 * Offers: the headers below, to auth/, push/ and the host's rooms.
 * Threading and ownership: everything here is thread-safe and owns nothing of its callers'.
 * May use: include/cong/ (other than module.h) and libc only.
 */
#ifndef CONG_COMMON_H
#define CONG_COMMON_H

#include "errors.h"
#include "hex.h"
#include "log.h"
#include "msgpack_bounds.h"

#endif

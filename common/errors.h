/*
 * common/errors.h — names and messages for the CONG_E* codes of include/cong/errors.h.
 */
#ifndef CONG_GATEWAY_ERRORS_H
#define CONG_GATEWAY_ERRORS_H

#include "cong/errors.h"

/** "CONG_ETIMEDOUT" etc.; "CONG_E?" for an unknown code. Static strings. */
const char *cong_error_name(int err);
/** A one-line English message. Static strings. */
const char *cong_error_message(int err);

#endif

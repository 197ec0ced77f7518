#include "errors.h"

#include <stddef.h>

static const struct {
    int code;
    const char *name;
    const char *message;
} errors[] = {
    {CONG_OK, "CONG_OK", "success"},
    {CONG_EINVAL, "CONG_EINVAL", "invalid argument"},
    {CONG_ENOMEM, "CONG_ENOMEM", "out of memory"},
    {CONG_EEXIST, "CONG_EEXIST", "already exists"},
    {CONG_ENOTFOUND, "CONG_ENOTFOUND", "not found"},
    {CONG_ETIMEDOUT, "CONG_ETIMEDOUT", "the store did not answer in time"},
    {CONG_EUNAVAILABLE, "CONG_EUNAVAILABLE", "the store is unavailable"},
    {CONG_ESTATE, "CONG_ESTATE", "not allowed in the current state"},
    {CONG_EVERSION, "CONG_EVERSION", "module ABI version mismatch"},
    {CONG_ETOOBIG, "CONG_ETOOBIG", "over a configured limit"},
    {CONG_EGONE, "CONG_EGONE", "the client has gone"},
    {CONG_EIO, "CONG_EIO", "I/O or protocol error"},
    {CONG_EPARSE, "CONG_EPARSE", "could not parse input"},
    {CONG_EQUERY, "CONG_EQUERY", "the store rejected the command"},
    {CONG_EBUSY, "CONG_EBUSY", "queue full"},
    {CONG_EPERM, "CONG_EPERM", "not permitted"},
};

static int find(int err)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (errors[i].code == err)
            return (int)i;
    return -1;
}

const char *cong_error_name(int err)
{
    int i = find(err);
    return i < 0 ? "CONG_E?" : errors[i].name;
}

const char *cong_error_message(int err)
{
    int i = find(err);
    return i < 0 ? "unknown error" : errors[i].message;
}

/*
 * common/serial.c - SOA serial comparison by serial number arithmetic.
 */
#include "common/serial.h"

#define SERIAL_HALF UINT32_C(0x80000000)

serial_order serial_cmp(uint32_t a, uint32_t b)
{
    /* Distance from b forward to a, modulo 2^32 (unsigned wrap is defined). */
    uint32_t ahead = a - b;

    if (ahead == 0)
        return SERIAL_EQ;
    if (ahead == SERIAL_HALF)
        return SERIAL_UNDEFINED;
    return ahead < SERIAL_HALF ? SERIAL_GT : SERIAL_LT;
}

bool serial_newer(uint32_t a, uint32_t b)
{
    return serial_cmp(a, b) == SERIAL_GT;
}

const char *serial_order_name(serial_order order)
{
    switch (order) {
    case SERIAL_LT:
        return "lt";
    case SERIAL_EQ:
        return "eq";
    case SERIAL_GT:
        return "gt";
    case SERIAL_UNDEFINED:
        return "undefined";
    }
    return "?";
}

bool serial_max(const uint32_t *v, size_t n, uint32_t *out)
{
    if (!v || n == 0)
        return false;

    /*
     * If a maximum M exists, the scan adopts it on reaching it and nothing
     * afterwards is greater, so one pass finds the only candidate; the
     * order is not transitive, so a second pass must confirm it.
     */
    uint32_t best = v[0];
    for (size_t i = 1; i < n; i++) {
        serial_order o = serial_cmp(v[i], best);
        if (o == SERIAL_UNDEFINED)
            return false;
        if (o == SERIAL_GT)
            best = v[i];
    }
    for (size_t i = 0; i < n; i++) {
        serial_order o = serial_cmp(best, v[i]);
        if (o != SERIAL_GT && o != SERIAL_EQ)
            return false;
    }
    if (out)
        *out = best;
    return true;
}

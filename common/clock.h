/*
 * common/clock.h - the clocks vantage reads.
 *
 * Monotonic time schedules and measures (timeouts, round trips, budgets);
 * wall time stamps what goes on the wire (milliseconds since the Unix epoch,
 * UTC). Kept behind one interface so it is clear which one a value is.
 */
#ifndef VANTAGE_COMMON_CLOCK_H
#define VANTAGE_COMMON_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in microseconds. */
int64_t clock_mono_us(void);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_mono_ms(void);

/* CLOCK_REALTIME in milliseconds since the epoch. */
int64_t clock_wall_ms(void);

#endif

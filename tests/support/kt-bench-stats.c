/* kt-bench-stats.c: the order statistics the benchmarks print
 *
 * Every array here holds doubles. GLib has no quantile of its own, and a library for three small
 * functions would weigh more than they do.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kt-bench-stats.h"

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Sorts @samples from the smallest up. */
void
kt_bench_sort (GArray *samples)
{
  g_array_sort (samples, compare_doubles);
}

/* The @q quantile (0 to 1) of @sorted, interpolated linearly between the two closest ranks. */
double
kt_bench_quantile (GArray *sorted,
                   double  q)
{
  double rank = q * (sorted->len - 1);
  guint below = (guint) rank;
  double low = g_array_index (sorted, double, below);
  double high = g_array_index (sorted, double, MIN (below + 1, sorted->len - 1));

  return low + (high - low) * (rank - below);
}

/* Sorts @samples and returns the middle one: of an even count, the upper of the two. */
double
kt_bench_median (GArray *samples)
{
  kt_bench_sort (samples);
  return g_array_index (samples, double, samples->len / 2);
}

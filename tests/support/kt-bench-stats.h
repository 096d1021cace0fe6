/* kt-bench-stats.h: the order statistics the benchmarks print
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void   kt_bench_sort     (GArray *samples);
double kt_bench_quantile (GArray *sorted,
                          double  q);
double kt_bench_median   (GArray *samples);

G_END_DECLS

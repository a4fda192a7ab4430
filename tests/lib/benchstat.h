/*
 * benchstat.h: clocks, summaries and mail arrivals for the benchmark
 * programs of tests/bench.
 *
 * bench_wall_s and bench_mono_s read CLOCK_REALTIME (comparable with file
 * mtimes and log timestamps) and CLOCK_MONOTONIC, in seconds. bench_p50
 * is the median of n values (the mean of the middle two when n is even),
 * bench_max their largest; v is left as it is and n must be at least 1.
 * bench_arrivals counts the files in dir (a sink's maildir, names not
 * starting with '.') whose mtime is at or after since, and sets *first and
 * *last to the earliest and latest of those mtimes (1e18 and 0 when there
 * is none); a missing dir counts 0.
 */
#ifndef POSTROUTE_BENCHSTAT_H
#define POSTROUTE_BENCHSTAT_H

double bench_wall_s(void);
double bench_mono_s(void);
double bench_p50(const double *v, int n);
double bench_max(const double *v, int n);
int bench_arrivals(const char *dir, double since, double *first, double *last);

#endif

/*
 * benchstat.c: clocks, p50 and max, and mail arrivals for the benchmark
 * programs (see benchstat.h).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "benchstat.h"
#include "xalloc.h"

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bench_wall_s(void)
{
	return clock_s(CLOCK_REALTIME);
}

double
bench_mono_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
bench_p50(const double *v, int n)
{
	double *s = xcalloc((size_t)n, sizeof(*s)), r;

	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	r = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return r;
}

double
bench_max(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

int
bench_arrivals(const char *dir, double since, double *first, double *last)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	*first = 1e18, *last = 0;
	while (d != NULL && (e = readdir(d)) != NULL) {
		struct stat sb;
		char *p = xasprintf("%s/%s", dir, e->d_name);
		if (e->d_name[0] != '.' && stat(p, &sb) == 0) {
			double t = (double)sb.st_mtim.tv_sec + (double)sb.st_mtim.tv_nsec / 1e9;
			if (t >= since) {
				n++;
				*first = t < *first ? t : *first;
				*last = t > *last ? t : *last;
			}
		}
		free(p);
	}
	if (d)
		closedir(d);
	return n;
}

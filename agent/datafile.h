/*
 * datafile.h: find the shipped data files (rules.conf, providers.conf).
 *
 * datafile_find(NAME) looks in $POSTROUTE_DATADIR, then the compiled-in
 * POSTROUTE_DATADIR (PREFIX/share/postroute after make install), then
 * ../share/postroute next to the program (an install under another
 * PREFIX), then ./deploy (a source tree), and returns the first readable
 * path (the caller frees it) or NULL. DATAFILE_PLACES names them for
 * error messages.
 */
#ifndef POSTROUTE_DATAFILE_H
#define POSTROUTE_DATAFILE_H

#ifndef POSTROUTE_DATADIR
#define POSTROUTE_DATADIR "/usr/local/share/postroute"
#endif

#define DATAFILE_PLACES "$POSTROUTE_DATADIR, " POSTROUTE_DATADIR \
	", ../share/postroute next to the program, ./deploy"

char *datafile_find(const char *name);

#endif

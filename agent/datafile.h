/*
 * datafile.h: find the shipped data files (rules.conf, providers.conf).
 *
 * datafile_find(NAME, ERR) looks, in order, in $POSTROUTE_DATADIR, the
 * compiled-in POSTROUTE_DATADIR (PREFIX/share/postroute after make
 * install), ../share/postroute next to the program (an install under
 * another PREFIX), then the source tree the program was built in: the
 * deploy/ directory one to three levels above the program's directory
 * (bin/ or build/asan/bin/). The working directory is never searched.
 * It returns the first readable path (the caller frees it), or NULL with
 * ERR naming every place it looked. An explicit option or INI key
 * (--rules, --providers, [logwatch] rules/providers) is the caller's
 * business and comes before this.
 */
#ifndef POSTROUTE_DATAFILE_H
#define POSTROUTE_DATAFILE_H

#include "strbuf.h"

#ifndef POSTROUTE_DATADIR
#define POSTROUTE_DATADIR "/usr/local/share/postroute"
#endif

char *datafile_find(const char *name, struct strbuf *err);

#endif

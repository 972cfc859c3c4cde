#include "sqlite_options.h"

/* Declared here rather than through sqlite-nio's header, which is not a product of that
   package; the definition comes from the SQLite that sqlite-nio builds into podsim. */
int sqlite_nio_sqlite3_db_config(void *db, int op, ...);

enum { podsim_SQLITE_DBCONFIG_ENABLE_QPSG = 1007 };

int podsim_sqlite_enable_stable_plans(void *db) {
    return sqlite_nio_sqlite3_db_config(db, podsim_SQLITE_DBCONFIG_ENABLE_QPSG, 1, (int *)0);
}

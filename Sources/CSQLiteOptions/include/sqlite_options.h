#ifndef PODSIM_SQLITE_OPTIONS_H
#define PODSIM_SQLITE_OPTIONS_H

/// Turns on SQLite's query planner stability guarantee for one connection (`db` is its
/// `sqlite3 *`), so a prepared statement keeps its plan whatever values are bound to it
/// instead of being re-prepared when a bound value could change the plan. Swift cannot call
/// the variadic `sqlite3_db_config` itself. Returns an SQLite result code.
int podsim_sqlite_enable_stable_plans(void *db);

#endif

// The store holds every user's command lines: its directory and files are
// created private whatever the caller's umask (docs/store.md, "Privacy").
#pragma once

#include <string>

#include "private_mode.h"

namespace hupwatch {

// Creates the database's directory (0750) when missing and the file (0640)
// when missing; SQLite gives the -wal and -shm files it creates the
// database's mode. An existing directory is left as it is: --db may point
// into /tmp. false with a one-line error.
bool create_private_store_path(const std::string& db_path, std::string& error);

// Takes group write and every "other" permission off an existing store (the
// database, -wal, -shm), as an older hupwatch left it: called once the file
// is known to be a hupwatch store, so a wrong --db is never touched.
bool tighten_store_files(const std::string& db_path, std::string& error);

}  // namespace hupwatch

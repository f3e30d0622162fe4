// The daemon's store flags parsed into the writer's options: the store takes
// options, the command line is the CLI's business.
#include <fmt/format.h>

#include "cli_commands.h"
#include "size_arg.h"
#include "sqlite_store.h"
#include "time_arg.h"
#include "version.h"

namespace hupwatch {

bool store_options_from_cli(const std::string& path, const std::string& retention,
                            const std::string& max_size, StoreOptions& out, std::string& error) {
    auto age = parse_duration(retention);
    if (!age) {
        error = fmt::format("hupwatch: bad --retention '{}' (use e.g. 30d, 12h, 90m; 0: forever)",
                            retention);
        return false;
    }
    auto size = parse_size(max_size);
    if (!size) {
        error =
            fmt::format("hupwatch: bad --db.max-size '{}' (use e.g. 1G; 0: unlimited)", max_size);
        return false;
    }
    if (path.empty()) {
        error = "hupwatch: --db needs a path (or --no-db)";
        return false;
    }
    out.path = path;
    out.retention_ns = *age;
    out.max_size = *size;
    out.version = HUPWATCH_VERSION;
    return true;
}

}  // namespace hupwatch

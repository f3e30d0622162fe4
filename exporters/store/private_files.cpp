#include "private_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace hupwatch {
namespace {

namespace fs = std::filesystem;

// mkdir -p, each directory it creates 0750 (chmod, so the umask cannot widen
// or narrow it).
bool create_private_dirs(const fs::path& dir, std::string& error) {
    std::vector<fs::path> missing;
    std::error_code ec;
    for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), kPrivateDirMode) != 0 && errno != EEXIST) {
            error =
                fmt::format("hupwatch: cannot create {}: {}", it->string(), std::strerror(errno));
            return false;
        }
        ::chmod(it->c_str(), kPrivateDirMode);
    }
    return true;
}

// Takes g+w and o+rwx off an existing file; creates a missing one 0640.
bool make_private(const std::string& path, bool create, std::string& error) {
    int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0);
    int fd = ::open(path.c_str(), flags, kPrivateFileMode);
    if (fd < 0) {
        if (!create && errno == ENOENT) return true;
        error = fmt::format("hupwatch: cannot open database {}: {}", path, std::strerror(errno));
        return false;
    }
    bool ok = make_open_file_private(fd);
    int saved = errno;
    ::close(fd);
    if (!ok) {
        error = fmt::format("hupwatch: cannot make database {} private: {}", path,
                            std::strerror(saved));
        return false;
    }
    return true;
}

}  // namespace

bool create_private_store_path(const std::string& db_path, std::string& error) {
    const fs::path path(db_path);
    if (path.has_parent_path() && !create_private_dirs(path.parent_path(), error)) return false;
    std::error_code ec;
    if (fs::exists(path, ec)) return true;
    return make_private(db_path, true, error);
}

bool tighten_store_files(const std::string& db_path, std::string& error) {
    return make_private(db_path, false, error) && make_private(db_path + "-wal", false, error) &&
           make_private(db_path + "-shm", false, error);
}

}  // namespace hupwatch

#include "output_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "private_mode.h"

namespace hupwatch {
namespace {

bool write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return false;
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string cannot_write(const std::string& path, int error) {
    return fmt::format("hupwatch: cannot write {}: {}", path, std::strerror(error));
}

// A device, a FIFO, a symlink (followed, as `>` follows it).
bool write_in_place(const std::string& path, std::string_view text, std::string& error) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kPrivateFileMode);
    if (fd < 0) {
        error = cannot_write(path, errno);
        return false;
    }
    if (!make_open_file_private(fd)) {
        error = fmt::format("hupwatch: cannot make {} private (mode {:o}): {}", path,
                            kPrivateFileMode, std::strerror(errno));
        ::close(fd);
        return false;
    }
    bool ok = write_all(fd, text);
    int saved = errno;
    if (::close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok) error = cannot_write(path, saved);
    return ok;
}

// A unique temporary name (mkstemp: O_EXCL, so a link planted at a fixed
// name is never followed), then a rename over the path. `exists`: the path is
// a regular file already, which this replaces rather than writes into.
bool write_replacing(const std::string& path, bool exists, std::string_view text,
                     std::string& error) {
    std::string tmp = path + ".XXXXXX";
    int fd = ::mkstemp(tmp.data());
    if (fd < 0) {
        int saved = errno;
        // A file the user may write, in a directory they may not: say that
        // the directory refused, or "Permission denied" reads as a lie.
        auto dir = std::filesystem::path(path).parent_path();
        error = exists ? fmt::format(
                             "hupwatch: cannot write {}: cannot create a file beside it "
                             "in {}: {}",
                             path, dir.empty() ? "." : dir.string(), std::strerror(saved))
                       : cannot_write(path, saved);
        return false;
    }
    bool ok = ::fchmod(fd, kPrivateFileMode) == 0 && write_all(fd, text);
    int saved = errno;
    if (::close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        ::unlink(tmp.c_str());
        error = cannot_write(path, saved);
    }
    return ok;
}

}  // namespace

bool write_output_file(const std::string& path, std::string_view text, std::string& error) {
    struct stat st {};
    bool exists = ::lstat(path.c_str(), &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) return write_in_place(path, text, error);
    return write_replacing(path, exists, text, error);
}

}  // namespace hupwatch

#include "cgroup_id_resolver.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace hupwatch {
namespace {

// FILEID_KERNFS (include/linux/exportfs.h): kernfs_fh_to_dentry() takes the
// node id as the handle.
constexpr int kFileIdKernfs = 0xfe;

}  // namespace

CgroupIdResolver::~CgroupIdResolver() {
    if (mount_fd_ >= 0) close(mount_fd_);
}

// The cgroup2 mount from /proc/self/mountinfo: /sys/fs/cgroup (v2 only) or
// /sys/fs/cgroup/unified (hybrid).
bool CgroupIdResolver::open_mount() {
    tried_ = true;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        auto dash = line.find(" - ");
        if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0) continue;
        std::istringstream fields(line);
        std::string id, parent, dev, root, point;
        if (!(fields >> id >> parent >> dev >> root >> point)) continue;
        mount_fd_ = open(point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (mount_fd_ >= 0) mount_point_ = point;
        return mount_fd_ >= 0;
    }
    return false;
}

std::optional<std::string> CgroupIdResolver::path_of(std::uint64_t id) {
    if (id == 0 || (mount_fd_ < 0 && (tried_ || !open_mount()))) return std::nullopt;
    std::vector<unsigned char> storage(sizeof(file_handle) + sizeof(id));
    auto* handle = reinterpret_cast<file_handle*>(storage.data());
    handle->handle_bytes = sizeof(id);
    handle->handle_type = kFileIdKernfs;
    std::memcpy(handle->f_handle, &id, sizeof(id));
    int fd = open_by_handle_at(mount_fd_, handle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::vector<char> buf(4096);
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = readlink(link.c_str(), buf.data(), buf.size());
    close(fd);
    if (n <= 0) return std::nullopt;
    std::string path(buf.data(), static_cast<std::size_t>(n));
    if (path.compare(0, mount_point_.size(), mount_point_) != 0) return std::nullopt;
    path.erase(0, mount_point_.size());
    return path.empty() ? "/" : path;
}

}  // namespace hupwatch

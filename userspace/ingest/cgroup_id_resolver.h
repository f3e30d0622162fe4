// The cgroup v2 path of a cgroup id (kernfs node id, as BPF events carry it):
// open_by_handle_at() on the cgroup2 mount, then the fd's path. Answers for
// a process already gone, as long as its cgroup still exists: a unit being
// stopped keeps its cgroup until its last process has exited.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hupwatch {

class CgroupIdResolver {
   public:
    CgroupIdResolver() = default;
    ~CgroupIdResolver();
    CgroupIdResolver(const CgroupIdResolver&) = delete;
    CgroupIdResolver& operator=(const CgroupIdResolver&) = delete;

    // The path below the cgroup2 root ("/user.slice/..."); nullopt when the
    // cgroup is gone, there is no cgroup2 mount, or CAP_DAC_READ_SEARCH is
    // missing (open_by_handle_at needs it).
    std::optional<std::string> path_of(std::uint64_t id);

   private:
    bool open_mount();

    int mount_fd_ = -1;
    bool tried_ = false;
    std::string mount_point_;
};

}  // namespace hupwatch

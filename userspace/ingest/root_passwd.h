// User names as a process's own root sees them. A container's processes are
// the host's too, under the same uids (or shifted ones, with a user
// namespace), but their names are in the container's /etc/passwd: hwuser in
// the container may be uid 1001, which the host calls someone else or
// nobody. Read through /proc/PID/root, cached per mount namespace.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bounded_cache.h"

namespace hupwatch {

// uid -> name from /etc/passwd text (the first name of a uid wins, as
// getpwuid() finds it); lines that do not parse are skipped.
std::map<std::uint32_t, std::string> parse_passwd(std::string_view text);

// The uid inside a user namespace of a host uid, by its /proc/PID/uid_map
// ("inside outside count" lines); nullopt when unmapped.
std::optional<std::uint32_t> uid_inside(std::string_view uid_map, std::uint32_t host_uid);

class RootPasswd {
   public:
    // At most `max_roots` mount namespaces are remembered (the oldest read
    // goes first: a re-read, nothing lost).
    explicit RootPasswd(std::string proc_root = "/proc", std::size_t max_roots = 32)
        : proc_root_(std::move(proc_root)), roots_(max_roots) {}

    // Which root pid has, as far as /proc can tell.
    struct RootSeen {
        // False for a process gone, and for a zombie, whose stat stays
        // readable but whose namespaces and root do_exit() has already let
        // go (exit_task_namespaces(), exit_fs()): it cannot tell, which is
        // not the same as having the host's root.
        bool told = false;
        // Its mount namespace ("mnt:[N]") when its root is another than ours
        // and holds a readable passwd file, that file read and cached;
        // nullopt for our root (the host's database names it).
        std::optional<std::string> foreign;
    };
    RootSeen root_seen(std::uint32_t pid);
    // The name of host uid `uid` in the cached root of mount namespace
    // `mnt_ns` (a root_seen().foreign), through that root's uid_map; a uid
    // the file does not name is its number. Also when no process is left to
    // read through; nullopt when that root is not cached.
    std::optional<std::string> name_in_root(const std::string& mnt_ns, std::uint32_t uid) const;

    std::size_t roots_cached() const { return roots_.size(); }

   private:
    struct Root {
        // What the file was when read: a change (useradd) rereads it.
        ino_t ino = 0;
        off_t size = 0;
        std::int64_t mtime_ns = 0;
        std::string uid_map;
        std::map<std::uint32_t, std::string> names;
    };
    const Root* root_of(const std::string& pid_dir, const std::string& mnt_ns);
    static std::string name_from(const Root& root, std::uint32_t uid);

    std::string proc_root_;
    BoundedCache<std::string, Root> roots_;  // by mount namespace ("mnt:[N]")
};

}  // namespace hupwatch

#include "root_passwd.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

namespace hupwatch {
namespace {

// A passwd file larger than this is read only this far.
constexpr std::size_t kMaxPasswdBytes = 4 << 20;

std::optional<std::string> read_link(const std::string& path) {
    std::vector<char> buf(256);
    ssize_t n = readlink(path.c_str(), buf.data(), buf.size());
    if (n <= 0) return std::nullopt;
    return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::optional<std::uint64_t> number(std::string_view s) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string read_text(const std::string& path, std::size_t max_bytes) {
    std::ifstream in(path, std::ios::binary);
    std::string text(max_bytes, '\0');
    in.read(text.data(), static_cast<std::streamsize>(max_bytes));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

}  // namespace

std::map<std::uint32_t, std::string> parse_passwd(std::string_view text) {
    std::map<std::uint32_t, std::string> names;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        // name:password:uid:...
        std::size_t c1 = line.find(':');
        std::size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
        std::size_t c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
        if (c3 == std::string_view::npos || c1 == 0) continue;
        auto uid = number(line.substr(c2 + 1, c3 - c2 - 1));
        if (!uid || *uid > UINT32_MAX) continue;
        names.emplace(static_cast<std::uint32_t>(*uid), std::string(line.substr(0, c1)));
    }
    return names;
}

std::optional<std::uint32_t> uid_inside(std::string_view uid_map, std::uint32_t host_uid) {
    std::istringstream lines{std::string(uid_map)};
    std::uint64_t inside = 0, outside = 0, count = 0;
    while (lines >> inside >> outside >> count) {
        if (host_uid >= outside && host_uid - outside < count)
            return static_cast<std::uint32_t>(inside + (host_uid - outside));
    }
    return std::nullopt;
}

const RootPasswd::Root* RootPasswd::root_of(const std::string& pid_dir, const std::string& mnt_ns) {
    struct stat st {};
    if (stat((pid_dir + "/root/etc/passwd").c_str(), &st) != 0) return nullptr;
    const std::int64_t mtime_ns =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    Root& root = roots_.obtain(mnt_ns);
    if (root.ino == st.st_ino && root.size == st.st_size && root.mtime_ns == mtime_ns) return &root;
    root.ino = st.st_ino;
    root.size = st.st_size;
    root.mtime_ns = mtime_ns;
    root.names = parse_passwd(read_text(pid_dir + "/root/etc/passwd", kMaxPasswdBytes));
    root.uid_map = read_text(pid_dir + "/uid_map", 64 << 10);
    return &root;
}

RootPasswd::RootSeen RootPasswd::root_seen(std::uint32_t pid) {
    const std::string pid_dir = proc_root_ + "/" + std::to_string(pid);
    auto theirs = read_link(pid_dir + "/ns/mnt");
    if (!theirs) return {};
    auto ours = read_link(proc_root_ + "/self/ns/mnt");
    if (!ours || *ours == *theirs) return {true, std::nullopt};
    // A mount namespace of its own over our root (a service's PrivateTmp,
    // ProtectSystem): the host's database, with its NSS users, names it.
    struct stat our_root {
    }, their_root{};
    if (stat((proc_root_ + "/self/root/").c_str(), &our_root) == 0 &&
        stat((pid_dir + "/root/").c_str(), &their_root) == 0 &&
        our_root.st_dev == their_root.st_dev && our_root.st_ino == their_root.st_ino)
        return {true, std::nullopt};
    if (!root_of(pid_dir, *theirs)) return {true, std::nullopt};
    return {true, std::move(theirs)};
}

std::string RootPasswd::name_from(const Root& root, std::uint32_t uid) {
    // No uid_map read (an old kernel, a fake root): the identity.
    std::optional<std::uint32_t> inside =
        root.uid_map.empty() ? std::optional{uid} : uid_inside(root.uid_map, uid);
    if (!inside) return std::to_string(uid);
    auto name = root.names.find(*inside);
    return name != root.names.end() ? name->second : std::to_string(*inside);
}

std::optional<std::string> RootPasswd::name_in_root(const std::string& mnt_ns,
                                                    std::uint32_t uid) const {
    const Root* root = roots_.find(mnt_ns);
    if (!root) return std::nullopt;
    return name_from(*root, uid);
}

}  // namespace hupwatch

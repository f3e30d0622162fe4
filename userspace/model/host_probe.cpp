#include "host_probe.h"

#include <pwd.h>

#include <string>
#include <vector>

namespace hupwatch {

std::string user_name_of(std::uint32_t uid) {
    struct passwd pw {};
    struct passwd* result = nullptr;
    std::vector<char> buf(16384);
    if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &result) == 0 && result)
        return result->pw_name;
    return std::to_string(uid);
}

}  // namespace hupwatch

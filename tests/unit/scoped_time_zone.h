// Local time depends on TZ: tests pin it and put back what was there.
#pragma once

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace hupwatch::test {

class ScopedTimeZone {
   public:
    explicit ScopedTimeZone(const char* tz) { set(tz); }
    ~ScopedTimeZone() {
        if (saved_)
            setenv("TZ", saved_->c_str(), 1);
        else
            unsetenv("TZ");
        tzset();
    }
    ScopedTimeZone(const ScopedTimeZone&) = delete;
    ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

    static void set(const char* tz) {
        setenv("TZ", tz, 1);
        tzset();
    }

   private:
    std::optional<std::string> saved_ = [] {
        const char* tz = std::getenv("TZ");
        return tz ? std::optional<std::string>(tz) : std::nullopt;
    }();
};

}  // namespace hupwatch::test

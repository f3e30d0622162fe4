#include "log_lines.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

namespace hupwatch {
namespace {

constexpr std::string_view kPrefix = "hupwatch: ";

// Many messages say "hupwatch: " themselves (they are also said with
// say()); the rest get it here, so no log line goes without.
class LogLineFormatter : public spdlog::formatter {
   public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const std::string line = log_line(std::string_view(msg.payload.data(), msg.payload.size()));
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<LogLineFormatter>();
    }
};

}  // namespace

std::string log_line(std::string_view message) {
    std::string line;
    if (message.substr(0, kPrefix.size()) != kPrefix) line = kPrefix;
    line += message;
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::replace(line.begin(), line.end(), '\r', ' ');
    line += '\n';
    return line;
}

void send_logs_to_stderr() {
    auto logger = std::make_shared<spdlog::logger>(
        "hupwatch", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_formatter(std::make_unique<LogLineFormatter>());
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace hupwatch

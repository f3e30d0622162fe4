#include "argv_redactor.h"

#include <algorithm>

#include "embedded_secrets.h"
#include "secret_names.h"

namespace hupwatch {
namespace {

// Longer than this, an argument is not given to a --redact regex (whose
// matcher recurses per character) but redacted whole: never a crash, never
// a leak.
constexpr std::size_t kMaxRegexInput = 4096;

// Replaces what each capture group matched (or the whole match) with "***".
bool replace_matches(const std::regex& pattern, std::string& arg) {
    std::string out;
    bool changed = false;
    auto begin = arg.cbegin();
    std::smatch m;
    auto flags = std::regex_constants::match_default;
    while (begin != arg.cend() && std::regex_search(begin, arg.cend(), m, pattern, flags)) {
        if (m.length(0) == 0) break;  // an empty match would never advance
        auto cursor = m[0].first;
        out.append(begin, cursor);
        if (m.size() == 1) {
            out += kRedacted;
        } else {
            for (std::size_t g = 1; g < m.size(); ++g) {
                if (!m[g].matched || m[g].first < cursor) continue;
                out.append(cursor, m[g].first);
                out += kRedacted;
                cursor = m[g].second;
            }
            out.append(cursor, m[0].second);
        }
        changed = true;
        begin = m[0].second;
        flags |= std::regex_constants::match_prev_avail;
    }
    if (!changed) return false;
    out.append(begin, arg.cend());
    arg = std::move(out);
    return true;
}

}  // namespace

bool redact_assignment(std::string& arg) {
    std::size_t start = arg.find_first_not_of('-');
    if (start == std::string::npos || start > 2) return false;
    std::size_t eq = arg.find('=', start);
    if (eq == std::string::npos || eq == start || eq + 1 == arg.size()) return false;
    std::string_view name(arg.data() + start, eq - start);
    if (!std::all_of(name.begin(), name.end(), is_name_char)) return false;
    if (!names_a_secret(name)) return false;
    if (std::string_view(arg).substr(eq + 1) == kRedacted) return false;
    arg.replace(eq + 1, std::string::npos, kRedacted);
    return true;
}

bool redact_url_password(std::string& arg) {
    bool changed = false;
    for (std::size_t scheme = arg.find("://"); scheme != std::string::npos;
         scheme = arg.find("://", scheme + 3)) {
        std::size_t host = scheme + 3;
        // userinfo ends at '@' before the path, query or another blank.
        std::size_t end = arg.find_first_of("@/?# \t", host);
        if (end == std::string::npos || arg[end] != '@') continue;
        std::size_t colon = arg.find(':', host);
        if (colon == std::string::npos || colon > end) continue;
        if (colon + 1 == end) continue;  // user: with an empty password
        if (std::string_view(arg).substr(colon + 1, end - colon - 1) == kRedacted) continue;
        arg.replace(colon + 1, end - colon - 1, kRedacted);
        changed = true;
    }
    return changed;
}

bool redact_cut_url_password(std::string& arg) {
    std::size_t scheme = arg.rfind("://");
    if (scheme == std::string::npos) return false;
    const std::size_t host = scheme + 3;
    // An '@', path, query or blank after it: the userinfo, if any, is whole
    // and redact_url_password's.
    if (arg.find_first_of("@/?# \t\n", host) != std::string::npos) return false;
    std::size_t colon = arg.find(':', host);
    if (colon == std::string::npos || colon + 1 == arg.size()) return false;
    if (std::string_view(arg).substr(colon + 1) == kRedacted) return false;
    arg.replace(colon + 1, std::string::npos, kRedacted);
    return true;
}

std::unique_ptr<ArgvRedactor> ArgvRedactor::create(const RedactionOptions& options,
                                                   std::string& error) {
    std::unique_ptr<ArgvRedactor> redactor(new ArgvRedactor());
    redactor->defaults_ = options.defaults;
    for (const auto& text : options.extra) {
        try {
            redactor->extra_.emplace_back(text, std::regex::ECMAScript | std::regex::optimize);
        } catch (const std::regex_error& e) {
            error = "hupwatch: bad --redact regex '" + text + "': " + e.what();
            return nullptr;
        }
    }
    return redactor;
}

bool ArgvRedactor::redact_argument(std::string& arg, EmbeddedSecrets& embedded) const {
    bool changed = false;
    if (defaults_) {
        changed |= redact_assignment(arg);
        changed |= redact_url_password(arg);
        changed |= embedded.redact(arg);
    }
    if (extra_.empty()) return changed;
    if (arg.size() > kMaxRegexInput) {
        arg = std::string(kRedacted);
        return true;
    }
    for (const auto& pattern : extra_) changed |= replace_matches(pattern, arg);
    return changed;
}

std::optional<std::vector<std::string>> ArgvRedactor::redacted(const std::vector<std::string>& argv,
                                                               bool truncated) const {
    std::optional<std::vector<std::string>> out;  // copied at the first change only
    bool value_is_secret = false;
    EmbeddedSecrets embedded;
    if (!argv.empty()) embedded.read_program(argv[0]);
    std::string arg;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        arg = argv[i];
        bool changed = false;
        if (value_is_secret) {
            value_is_secret = false;
            changed = arg != kRedacted;
            arg = std::string(kRedacted);
        } else {
            value_is_secret = defaults_ && is_secret_flag(arg);
            changed = redact_argument(arg, embedded);
        }
        if (truncated && defaults_ && i + 1 == argv.size()) changed |= redact_cut_url_password(arg);
        if (!changed) continue;
        if (!out) out = argv;
        (*out)[i] = std::move(arg);
    }
    return out;
}

bool ArgvRedactor::redact(std::vector<std::string>& argv) const {
    auto out = redacted(argv);
    if (out) argv = std::move(*out);
    return out.has_value();
}

}  // namespace hupwatch

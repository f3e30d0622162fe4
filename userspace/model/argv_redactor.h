// Secrets out of command lines before any sink sees them (docs/events.md,
// "Redaction"). The store, JSON lines, journald and `watch` all print argv,
// and the store keeps it for weeks; a `--password=...` must not ride along.
// After Tetragon's redaction filters: what a rule matches becomes "***".
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "embedded_secrets.h"
#include "secret_names.h"

namespace hupwatch {

inline constexpr std::string_view kRedacted = "***";

struct RedactionOptions {
    bool defaults = true;            // the built-in rules (--no-default-redactions: off)
    std::vector<std::string> extra;  // --redact REGEX, ECMAScript syntax
};

class ArgvRedactor {
   public:
    // nullptr with a one-line error naming the regex that does not compile.
    static std::unique_ptr<ArgvRedactor> create(const RedactionOptions& options,
                                                std::string& error);

    // Rewrites argv in place (argv[0], the program, is kept); true when
    // anything was redacted.
    bool redact(std::vector<std::string>& argv) const;
    // The redacted copy, or nullopt when nothing is secret: the event path
    // copies an exec event only when it must change it. `truncated`: the
    // last argument was cut at --argv-max, so a secret in it may have lost
    // the part that marks it (redact_cut_url_password).
    std::optional<std::vector<std::string>> redacted(const std::vector<std::string>& argv,
                                                     bool truncated = false) const;

   private:
    ArgvRedactor() = default;
    bool redact_argument(std::string& arg, EmbeddedSecrets& embedded) const;

    bool defaults_ = false;
    std::vector<std::regex> extra_;
};

// The built-in rules, one argument at a time; exposed for tests. The
// defaults are written by hand, not as std::regex: libstdc++'s matcher
// recurses per character and overflows the stack on long arguments, and
// costs microseconds where exec rates reach thousands a second.
bool redact_assignment(std::string& arg);    // --password=x, PGPASSWORD=x
bool redact_url_password(std::string& arg);  // scheme://user:password@
// An argument cut before its URL's '@': scheme://user:pass... may be a
// password; what follows the last "://"'s first ':' becomes "***".
bool redact_cut_url_password(std::string& arg);

}  // namespace hupwatch

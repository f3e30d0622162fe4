// Secrets inside an argument rather than as one (docs/events.md, "Redaction:
// secrets in argv"): a shell string (`bash -c 'x --password=s; PGPASSWORD=s
// psql'`), a header (`Authorization: Bearer s`, `X-Api-Key: s`), a URL's
// query (`?access_token=s`), mysql's `-pPASSWORD`. The argument is read word
// by word (split at blanks), so each rule applies at a word boundary; a
// value found becomes "***" up to the end of its word, less the quotes and
// brackets that close it.
#pragma once

#include <string>
#include <string_view>

namespace hupwatch {

// One per command line: a mysql client named in one word makes a later
// `-pPASSWORD` a password, in the same argument or a later one.
class EmbeddedSecrets {
   public:
    // argv[0], never redacted, but it may be mysql.
    void read_program(std::string_view program);
    // Rewrites the argument in place; true when anything was redacted.
    bool redact(std::string& arg);

   private:
    bool mysql_seen_ = false;
};

}  // namespace hupwatch

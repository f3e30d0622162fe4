// Which names hold a secret: the one list of secret words the redaction
// rules share (argv_redactor.h for whole arguments, embedded_secrets.h for
// secrets inside one).
#pragma once

#include <string_view>

namespace hupwatch {

// A character of a flag, variable, parameter or header name.
bool is_name_char(char c);

// True when the name holds a secret word that ends the name or a part of
// it: PGPASSWORD, db-password, AWS_SECRET_ACCESS_KEY, X-Auth-Token, but not
// passive or keyfile.
bool names_a_secret(std::string_view name);

// --password, -token: a flag whose value is the next word.
bool is_secret_flag(std::string_view arg);

}  // namespace hupwatch

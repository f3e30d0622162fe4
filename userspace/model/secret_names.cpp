#include "secret_names.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "ascii_text.h"

namespace hupwatch {
namespace {

// Names of secrets, as a word of a flag or variable name (lower case).
constexpr std::array<std::string_view, 18> kSecretWords = {
    "password",   "passwd",      "pass",        "pwd",        "token",       "secret",
    "apikey",     "api-key",     "api_key",     "accesskey",  "access-key",  "access_key",
    "privatekey", "private-key", "private_key", "credential", "credentials", "passphrase"};

bool is_separator(char c) {
    return c == '-' || c == '_' || c == '.';
}

}  // namespace

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

bool names_a_secret(std::string_view name) {
    if (name.empty() || name.size() > 128) return false;
    const std::string lowered = ascii_lower(name);
    for (std::string_view word : kSecretWords) {
        for (std::size_t at = lowered.find(word); at != std::string::npos;
             at = lowered.find(word, at + 1)) {
            std::size_t end = at + word.size();
            if (end == lowered.size() || is_separator(lowered[end])) return true;
        }
    }
    return false;
}

bool is_secret_flag(std::string_view arg) {
    std::size_t start = arg.find_first_not_of('-');
    if (start == 0 || start > 2 || start == std::string_view::npos) return false;
    std::string_view name = arg.substr(start);
    return std::all_of(name.begin(), name.end(), is_name_char) && names_a_secret(name);
}

}  // namespace hupwatch

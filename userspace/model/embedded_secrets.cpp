#include "embedded_secrets.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "ascii_text.h"
#include "secret_names.h"

namespace hupwatch {
namespace {

constexpr std::string_view kRedactedValue = "***";

// mysql's clients take -pPASSWORD, the password glued to the flag.
constexpr std::array<std::string_view, 13> kMysqlClients = {
    "mysql",        "mysqldump",     "mysqladmin",    "mysqlimport", "mysqlshow",
    "mysqlcheck",   "mysqlpump",     "mysqlslap",     "mysqlbinlog", "mariadb",
    "mariadb-dump", "mariadb-admin", "mariadb-import"};

// Authorization's schemes: the credentials are the word after.
constexpr std::array<std::string_view, 7> kAuthSchemes = {
    "basic", "bearer", "digest", "token", "negotiate", "ntlm", "aws4-hmac-sha256"};

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_mysql_client(std::string_view word) {
    std::size_t slash = word.rfind('/');
    if (slash != std::string_view::npos) word.remove_prefix(slash + 1);
    return std::find(kMysqlClients.begin(), kMysqlClients.end(), word) != kMysqlClients.end();
}

bool all_name_chars(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_name_char);
}

// A stretch of the argument to become "***".
struct Span {
    std::size_t from;
    std::size_t to;
};

// One word and what it leaves pending for the next.
enum class Pending { None, Value, SchemeOrValue };

class WordScan {
   public:
    WordScan(std::string_view arg, bool& mysql_seen) : arg_(arg), mysql_seen_(mysql_seen) {}

    std::vector<Span> spans() {
        std::size_t i = 0;
        while (i < arg_.size()) {
            while (i < arg_.size() && is_blank(arg_[i])) ++i;
            std::size_t end = i;
            while (end < arg_.size() && !is_blank(arg_[end])) ++end;
            if (end > i) word(i, end);
            i = end;
        }
        return std::move(spans_);
    }

   private:
    // The word less its opening and closing punctuation: `"--password=x";`
    // is --password=x.
    void word(std::size_t begin, std::size_t end) {
        // A command ends with it: a later -p is no longer mysql's.
        const bool ends_command = std::string_view(";|&").find(arg_[end - 1]) != std::string::npos;
        classify(begin, end);
        if (ends_command) mysql_seen_ = false;
    }

    void classify(std::size_t begin, std::size_t end) {
        while (begin < end && std::string_view("\"'`({$").find(arg_[begin]) != std::string::npos)
            ++begin;
        while (end > begin &&
               std::string_view("\"'`)};|&").find(arg_[end - 1]) != std::string::npos)
            --end;
        if (begin == end) return;
        const std::string_view core = arg_.substr(begin, end - begin);
        if (pending_ == Pending::Value) {
            pending_ = Pending::None;
            return hide(begin, end);
        }
        const std::string lower = ascii_lower(core);
        if (pending_ == Pending::SchemeOrValue) {
            pending_ = Pending::None;
            if (std::find(kAuthSchemes.begin(), kAuthSchemes.end(), lower) != kAuthSchemes.end()) {
                pending_ = Pending::Value;
                return;
            }
            return hide(begin, end);
        }
        if (is_mysql_client(core)) mysql_seen_ = true;
        if (lower == "authorization:" || lower == "proxy-authorization:") {
            pending_ = Pending::SchemeOrValue;
        } else if (lower == "bearer" || is_secret_flag(core)) {
            pending_ = Pending::Value;
        } else if (mysql_seen_ && core.size() > 2 && core[0] == '-' && core[1] == 'p') {
            hide(begin + 2, end);
        } else if (!assignment(begin, core) && !header(begin, core)) {
            url_query(begin, core);
        }
    }

    // --password=x, PGPASSWORD=x: the value to the word's end.
    bool assignment(std::size_t at, std::string_view core) {
        std::size_t start = core.find_first_not_of('-');
        if (start == std::string_view::npos || start > 2) return false;
        std::size_t eq = core.find('=', start);
        if (eq == std::string_view::npos || eq + 1 == core.size()) return false;
        std::string_view name = core.substr(start, eq - start);
        if (!all_name_chars(name) || !names_a_secret(name)) return false;
        hide(at + eq + 1, at + core.size());
        return true;
    }

    // X-Api-Key: x (the value the next word), X-Auth-Token:x.
    bool header(std::size_t at, std::string_view core) {
        std::size_t colon = core.find(':');
        if (colon == std::string_view::npos) return false;
        std::string_view name = core.substr(0, colon);
        if (!all_name_chars(name) || !names_a_secret(name)) return false;
        if (colon + 1 == core.size())
            pending_ = Pending::Value;
        else
            hide(at + colon + 1, at + core.size());
        return true;
    }

    // https://h/x?access_token=x&y=1: a parameter's value to the next & or #.
    void url_query(std::size_t at, std::string_view core) {
        for (std::size_t p = core.find_first_of("?&"); p != std::string_view::npos;
             p = core.find_first_of("?&", p + 1)) {
            std::size_t eq = core.find('=', p + 1);
            if (eq == std::string_view::npos) return;
            std::string_view name = core.substr(p + 1, eq - p - 1);
            if (!all_name_chars(name) || !names_a_secret(name)) continue;
            std::size_t end = core.find_first_of("&#", eq + 1);
            if (end == std::string_view::npos) end = core.size();
            if (end > eq + 1) hide(at + eq + 1, at + end);
        }
    }

    void hide(std::size_t from, std::size_t to) {
        if (to <= from || arg_.substr(from, to - from) == kRedactedValue) return;
        spans_.push_back({from, to});
    }

    std::string_view arg_;
    bool& mysql_seen_;
    Pending pending_ = Pending::None;
    std::vector<Span> spans_;
};

}  // namespace

void EmbeddedSecrets::read_program(std::string_view program) {
    if (is_mysql_client(program)) mysql_seen_ = true;
}

bool EmbeddedSecrets::redact(std::string& arg) {
    auto spans = WordScan(arg, mysql_seen_).spans();
    // From the last, so the earlier offsets still hold.
    for (auto it = spans.rbegin(); it != spans.rend(); ++it)
        arg.replace(it->from, it->to - it->from, kRedactedValue);
    return !spans.empty();
}

}  // namespace hupwatch

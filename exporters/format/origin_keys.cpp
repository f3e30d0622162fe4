#include "origin_keys.h"

#include <cctype>

#include "json_line_writer.h"

namespace hupwatch {

std::string boot_id_hex(std::string_view uuid) {
    std::string id;
    for (char c : uuid)
        if (c != '-' && !std::isspace(static_cast<unsigned char>(c)))
            id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return id;
}

std::string with_origin_keys(std::string json_object, std::string_view host,
                             std::string_view boot_id) {
    if (json_object.size() < 2 || json_object.front() != '{' || json_object.back() != '}')
        return json_object;
    json_object.pop_back();
    if (json_object.size() > 1) json_object += ',';
    // The host name is the only value that may need escaping.
    json_object += "\"host\":\"";
    append_json_escaped(json_object, host);
    json_object += "\",\"boot_id\":\"";
    append_json_escaped(json_object, boot_id);
    json_object += "\"}";
    return json_object;
}

}  // namespace hupwatch

// Text for HTML: the metrics endpoint's landing page and the report page.
#pragma once

#include <string>
#include <string_view>

namespace hupwatch {

// &, <, >, " and ' as entities: safe in element text and quoted attributes.
std::string html_escape(std::string_view text);

}  // namespace hupwatch

// The report page as one self-contained HTML file: inline CSS, JS and SVG,
// nothing fetched. Draws a ReportPage (report_page.h) and queries nothing.
#pragma once

#include <string>

#include "report_page.h"

namespace hupwatch {

std::string render_report_html(const ReportPage& page);

}  // namespace hupwatch

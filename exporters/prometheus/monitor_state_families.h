// The live path's own state as metric families: the bounds of its tables
// (sizes now, what each bound dropped), the heap, and the proc connector's
// messages. Rendered from MonitorCounters alone, by MetricsState::build.
#pragma once

#include <vector>

#include "monitor_counters.h"
#include "prometheus_text.h"

namespace hupwatch {

// docs/metrics.md, "Bounded state": flat memory can be watched, not assumed.
void append_bound_metrics(const MonitorCounters& c, std::vector<MetricFamily>& families);
// setsid moments from the kernel's process events connector (--setsid-moments).
void append_proc_connector_metrics(const ProcSidCounters& c, std::vector<MetricFamily>& families);

}  // namespace hupwatch

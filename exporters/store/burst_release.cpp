#include "burst_release.h"

namespace hupwatch {

bool BurstRelease::on_batch(std::size_t rows, Clock::time_point now) {
    since_release_ += rows;
    in_period_ += rows;
    if (!started_) {
        started_ = true;
        period_start_ = now;
        return false;
    }
    if (now - period_start_ < options_.period) return false;
    // A whole period has passed: was it quiet? The burst's own tail falls in
    // the period it ends in, so a release comes one to two periods after it.
    const bool quiet = in_period_ < options_.quiet_rows;
    in_period_ = 0;
    period_start_ = now;
    if (!quiet || since_release_ < options_.burst_rows) return false;
    since_release_ = 0;
    return true;
}

}  // namespace hupwatch

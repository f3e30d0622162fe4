#include "live_monitor.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "boot_clock.h"
#include "heap_release.h"
#include "proc_scanner.h"
#include "session_change.h"

namespace hupwatch {
namespace {

constexpr std::uint64_t kEvictionPeriodNs = 1'000'000'000ULL;
// Entries forgotten since the table's peak before the heap is trimmed.
constexpr std::size_t kTrimAfterEntries = 8192;
// A setsid moment is converted from CLOCK_MONOTONIC at read time; the event
// that shows its effect may read as up to this much earlier.
constexpr std::uint64_t kClockSlackNs = 1'000'000;

}  // namespace

LiveMonitor::LiveMonitor(std::unique_ptr<BpfCollector> collector, const MonitorOptions& options,
                         EventSink& sink)
    : collector_(std::move(collector)),
      sink_(sink),
      hung_up_scan_(collector_->hung_up_iterator(), collector_->hung_up_iterator_globals()),
      probe_(options.proc_root),
      correlator_(options.correlator, &probe_),
      derive_sessions_(!options.collector.syscall_results) {
    probe_.use_hung_up_scan(&hung_up_scan_);
    std::string why;
    if (!hung_up_scan_.calibrate(why))
        spdlog::warn(
            "hupwatch: cannot tell hung-up terminals apart ({}); output_lost falls back to the "
            "names of fds 1 and 2",
            why);
}

std::unique_ptr<LiveMonitor> LiveMonitor::start(const MonitorOptions& options, EventSink& sink,
                                                CollectorError& error) {
    std::string redaction_error;
    auto redactor = ArgvRedactor::create(options.redaction, redaction_error);
    if (!redactor) {
        error = {kExitUsage, redaction_error};
        return nullptr;
    }
    // Before the collector attaches: the check's child is then no event.
    std::string sid_unused;
    std::unique_ptr<ProcSidListener> sid_listener;
    if (!options.collector.syscall_results && options.setsid_from_proc_connector)
        sid_listener = ProcSidListener::start(sid_unused);
    auto collector = BpfCollector::start(options.collector, error);
    if (!collector) return nullptr;
    std::unique_ptr<LiveMonitor> monitor(new LiveMonitor(std::move(collector), options, sink));
    monitor->redactor_ = std::move(redactor);
    monitor->sid_listener_ = std::move(sid_listener);
    monitor->proc_connector_unused_ = std::move(sid_unused);
    monitor->reader_ =
        std::make_unique<RingReader>(monitor->collector_->ring_buffer_fd(),
                                     [m = monitor.get()](const Event& e) { m->on_event(e); });
    // Attached first, scanned second: a process that starts or ends during
    // the scan is in the ring buffer, so nothing falls in the gap.
    ProcScanner scanner(options.proc_root);
    auto snapshots = scanner.scan();
    for (auto& snapshot : snapshots)
        if (monitor->redactor_->redact(snapshot.argv)) ++monitor->counters_.argv_redacted;
    monitor->seeded_ = snapshots.size();
    monitor->seed_scan_ = scanner.counters();
    monitor->table_.seed(snapshots);
    monitor->correlator_.seed(snapshots);
    monitor->seed_ = std::move(snapshots);
    return monitor;
}

int LiveMonitor::poll(int timeout_ms) {
    // A scan handed over before this poll was made before its drain: every
    // event made before the scan is in hand once the drain is done.
    std::optional<ProcessesSeen> scan = std::move(pending_scan_);
    pending_scan_.reset();
    // "now" is read before draining: every event stamped before it is then
    // in hand when the correlator settles what was due by now.
    int rc = reader_->wait(timeout_ms);
    std::uint64_t now = boot_now_ns();
    // setsid moments before the ring's drain: the fork of each caller is
    // then in hand when they are applied, after it.
    read_setsid_moments();
    int drained = reader_->drain();
    apply_setsid_moments();
    // Through handle(): the sinks and the store record each unseen exit, so
    // why and replay read it as the live table has it.
    if (scan && drained >= 0)
        for (const Event& gone : table_.exits_unseen_by(*scan)) handle(gone);
    if (rc >= 0) rc = drained < 0 ? drained : rc + drained;
    emit(correlator_.tick(now, table_));
    if (now - last_eviction_ns_ >= kEvictionPeriodNs) {
        table_.evict(now);
        last_eviction_ns_ = now;
        trim_heap_after_storm();
    }
    return rc;
}

// A spawn storm fills the table with a minute of exits; once they are
// forgotten, malloc keeps the freed pages, and RssAnon would stay at the
// storm's peak for good. Returning them when the table has shrunk a lot
// keeps the daemon's memory what its tables hold (bench/soak.py). jemalloc
// would return them after its decay time anyway; this makes it prompt.
void LiveMonitor::trim_heap_after_storm() {
    const std::size_t size = table_.size();
    table_peak_ = std::max(table_peak_, size);
    if (table_peak_ - size < kTrimAfterEntries) return;
    release_free_heap();
    ++counters_.heap_trims;
    table_peak_ = size;
}

void LiveMonitor::on_event(const Event& event) {
    // Secrets leave argv here, before the table, the correlator or any sink
    // can keep or print them.
    if (const auto* exec = std::get_if<ExecEvent>(&event.body)) {
        if (auto argv = redactor_->redacted(exec->argv, exec->argv_truncated)) {
            Event redacted{event.ktime_ns, *exec};
            auto& body = std::get<ExecEvent>(redacted.body);
            body.argv = std::move(*argv);
            body.argv_redacted = true;
            ++counters_.argv_redacted;
            accept(redacted);
            return;
        }
    }
    accept(event);
}

// One exit per process, and the session changes no syscall hook reports.
void LiveMonitor::accept(const Event& event) {
    const ProcessInfo& subject = event.subject();
    const ProcessEntry* known = table_.find(subject.pid, subject.start_ns);
    // Exactly one exit per process: a second one is the kernel's double
    // report (see bpf/process.bpf.c, handle_exit_live), not a second death.
    if (event.type() == EventType::Exit && known && !known->alive && !known->exit_lost) {
        ++counters_.duplicate_exits;
        return;
    }
    std::optional<ProcessInfo> before;
    if (derive_sessions_ && known && known->alive) before = known->info;
    handle(event);
    if (!before) return;
    if (auto change = derive_session_change(*before, subject)) {
        std::uint64_t at = event.ktime_ns;
        if (auto moment = take_setsid_moment(*change, event.ktime_ns)) {
            at = *moment;
            ++setsid_counts_.exact;
        } else {
            ++counters_.session_changes_derived;
        }
        handle(Event{at, std::move(*change)});
    }
}

void LiveMonitor::read_setsid_moments() {
    if (!sid_listener_) return;
    int rc = sid_listener_->drain([this](const SetsidMoment& m) { setsid_moments_.push_back(m); });
    if (rc >= 0) return;
    // A socket that fails for good: derived sessions from here on, said once.
    proc_connector_unused_ = fmt::format("reading the proc connector failed: {}", strerror(-rc));
    spdlog::warn("hupwatch: {}; setsid events are derived from now on", proc_connector_unused_);
    setsid_counts_.add_received(sid_listener_->counters());
    sid_listener_.reset();
}

// A derived setsid whose call's moment was read this poll gets that moment.
std::optional<std::uint64_t> LiveMonitor::take_setsid_moment(const SessionEvent& change,
                                                             std::uint64_t sighted_ns) {
    if (change.call != SessionCall::Setsid) return std::nullopt;
    for (auto it = setsid_moments_.begin(); it != setsid_moments_.end(); ++it) {
        if (it->pid != change.proc.pid || it->boot_ns < change.proc.start_ns ||
            it->boot_ns > sighted_ns + kClockSlackNs)
            continue;
        std::uint64_t at = it->boot_ns;
        setsid_moments_.erase(it);
        return at;
    }
    return std::nullopt;
}

void LiveMonitor::apply_setsid_moments() {
    for (const auto& moment : setsid_moments_) apply_setsid_moment(moment);
    setsid_moments_.clear();
}

// The caller as the table knows it, after the call: setsid() made it the
// leader of a new session and group, with no controlling terminal
// (ksys_setsid). Through handle(), so that its next event shows no change.
void LiveMonitor::apply_setsid_moment(const SetsidMoment& moment) {
    const ProcessEntry* entry = table_.find_alive(moment.pid);
    if (!entry || moment.boot_ns < entry->info.start_ns) {
        ++setsid_counts_.unmatched;  // unseen, or its pid now held by a newer process
        return;
    }
    if (entry->info.sid == entry->info.pid) {
        ++setsid_counts_.already_seen;  // an event showed it first (derived then)
        return;
    }
    SessionEvent e;
    e.proc = entry->info;
    e.proc.tid = moment.tid;
    e.proc.sid = e.proc.pgid = e.proc.pid;
    e.proc.tty_dev = 0;
    e.call = SessionCall::Setsid;
    e.ret = e.proc.pid;
    ++setsid_counts_.exact;
    handle(Event{moment.boot_ns, std::move(e)});
}

void LiveMonitor::handle(const Event& event) {
    ++counters_.events;
    ++counters_.events_by_type[static_cast<int>(event.type())];
    if (const auto* exec = std::get_if<ExecEvent>(&event.body); exec && exec->argv_truncated)
        ++counters_.argv_truncated;
    table_.apply(event);
    sink_.on_event(event);
    emit(correlator_.on_event(event, table_));
}

void LiveMonitor::emit(std::vector<Finding> findings) {
    for (const auto& finding : findings) {
        ++counters_.findings;
        sink_.on_finding(finding);
    }
}

MonitorCounters LiveMonitor::counters() const {
    MonitorCounters out = counters_;
    out.malformed = reader_ ? reader_->records_malformed() : 0;
    out.kernel = collector_->read_stats();
    out.non_job_kills = correlator_.non_job_kills();
    out.hung_up_scans = hung_up_scan_.scans();
    out.hung_up_scan_failures = hung_up_scan_.failures();
    HeapStats heap = heap_stats();
    out.heap_allocated_bytes = heap.allocated;
    out.heap_resident_bytes = heap.resident;
    out.table_processes = table_.size();
    out.table_alive = table_.alive_count();
    out.table_evicted_pressure = table_.counters().evicted_pressure;
    auto sizes = correlator_.sizes();
    out.correlator_sessions = sizes.sessions;
    out.correlator_process_notes = sizes.process_notes;
    out.correlator_pending_orphans = sizes.pending_orphans;
    out.correlator_original_parents = sizes.original_parents;
    out.correlator_sessions_dropped = sizes.sessions_dropped;
    out.correlator_orphans_dropped = sizes.orphans_dropped;
    out.table = table_.counters();
    out.seed_scan = seed_scan_;
    out.programs = collector_->read_program_stats();
    out.proc_sid = setsid_counts_;
    if (sid_listener_) {
        out.proc_sid.active = true;
        out.proc_sid.add_received(sid_listener_->counters());
    }
    return out;
}

}  // namespace hupwatch

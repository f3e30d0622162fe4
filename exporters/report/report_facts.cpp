// One place for what the page says about a process (report_facts.h). The
// sentences come from the formatters replay and why use (story_sentence.h).
#include "report_facts.h"

#include <fmt/format.h>

#include <algorithm>

#include "event_text.h"
#include "process_classification.h"
#include "report_time.h"
#include "signal_names.h"
#include "story_sentence.h"

namespace hupwatch {

const Verdict* last_verdict(const ProcessLife& p) {
    if (p.verdicts.empty()) return nullptr;
    return std::get_if<Verdict>(&p.verdicts.back()->finding);
}

std::string verdict_cause(const Verdict& v) {
    if (v.kind == VerdictKind::Killed && v.kill) return std::string(kill_cause_name(v.kill->cause));
    if (v.survived_because) return std::string(survival_reason_name(*v.survived_because));
    // Orphaned by its parent's exit with no hangup: nothing to survive, and
    // the cause is what there is to say.
    if (v.kind == VerdictKind::Orphaned && v.cause == OrphanCause::ParentExit)
        return std::string(orphan_cause_name(*v.cause));
    return "";
}

std::string killed_key(const Verdict& v) {
    switch (v.kind) {
        case VerdictKind::KilledByDisconnect:
        case VerdictKind::KilledByLogout:
        case VerdictKind::DiedAfterDisconnect:
            return std::string(verdict_kind_name(v.kind));
        case VerdictKind::Killed:
            return fmt::format("killed: {}", verdict_cause(v));
        default:
            return "";
    }
}

std::string orphaned_key(const Verdict& v) {
    if (v.kind == VerdictKind::Daemonized) return "daemonized";
    if (v.kind != VerdictKind::Orphaned) return "";
    const std::string cause = verdict_cause(v);
    return cause.empty() ? "unknown" : cause;
}

std::string death_label(const ProcessLife& p) {
    if (!p.end_wall_ns) return "";
    if (p.entry->exit_lost) return "exit unseen";
    ExitEvent e;
    e.raw_status = p.entry->raw_status;
    if (e.term_signal() != 0) return signal_name(e.term_signal());
    return fmt::format("exit {}", e.exit_code().value_or(0));
}

bool is_job(const ProcessLife& p) {
    if (!p.verdicts.empty()) return true;
    return p.tty_dev != 0 && p.info().pgid == p.key.pid && p.key.pid != p.sid();
}

bool at_risk_at_end(const ProcessLife& p, bool session_hung_up) {
    if (p.end_wall_ns || session_hung_up || !p.verdicts.empty()) return false;
    std::vector<std::string> ancestors;
    for (const ProcessLife* a = p.parent; a && ancestors.size() < 64; a = a->parent)
        ancestors.push_back(a->comm());
    RiskFacts facts;
    facts.is_init = p.key.pid == 1;
    facts.has_tty = p.tty_dev != 0;
    facts.in_interactive_session = p.tty_dev != 0;
    facts.is_session_leader = p.key.pid == p.sid();
    facts.is_shell = is_shell_comm(p.comm());
    facts.orphaned = p.reparent_wall_ns.has_value() || p.own_session;
    for (const auto& s : p.signals)
        if (s.event->sig == 1 && s.event->result == SignalResult::Ignored)
            facts.sighup = SighupDisposition::Ignored;
    facts.supervision = classify_supervision("", ancestors);
    return assess_risk(facts).risk == Risk::AtRisk;
}

std::string process_label(const ProcessLife& p) {
    return fmt::format("{} {}", p.comm(), p.key.pid);
}

namespace {

std::string end_of(const ProcessLife& p) {
    if (!p.end_wall_ns) return "running at the end of the window";
    const std::string how = death_label(p);
    const std::string at = local_clock(*p.end_wall_ns, true);
    // Gone with no exit recorded: hupwatch was not running (the next run's
    // scan lacked it), or its pid was reused first. When is a bound only.
    if (p.entry->exit_lost) return fmt::format("ended unseen by {}: no exit was recorded", at);
    if (how.rfind("exit ", 0) == 0) return fmt::format("exited {} at {}", how.substr(5), at);
    return fmt::format("killed by {} at {}", how, at);
}

// The evidence in time order: the verdicts' own, in their words, then each
// event of the process a verdict does not already tell (same instant, same
// kind), in replay's. Forks and execs are the bar itself.
std::vector<std::string> evidence_of(const ProcessLife& p) {
    std::vector<std::pair<std::int64_t, std::string>> lines;
    std::vector<std::pair<std::uint64_t, std::string>> told;  // (ktime, kind)
    // Stored evidence times are to the microsecond (docs/events.md).
    auto already_told = [&](std::uint64_t ktime_ns, std::string_view kind) {
        return std::any_of(told.begin(), told.end(), [&](const auto& t) {
            const std::uint64_t d = t.first > ktime_ns ? t.first - ktime_ns : ktime_ns - t.first;
            return d < 1000 && t.second == kind;
        });
    };
    for (const TimedFinding* f : p.verdicts) {
        const auto* v = std::get_if<Verdict>(&f->finding);
        if (!v) continue;
        const BootClock clock(f->clock_offset_ns);
        for (const auto& e : v->evidence) {
            if (already_told(e.ktime_ns, e.kind)) continue;
            told.emplace_back(e.ktime_ns, e.kind);
            lines.emplace_back(
                clock.wall_ns(e.ktime_ns),
                fmt::format("{} {}: {}", clock.local_time_of_day(e.ktime_ns), e.kind, e.detail));
        }
    }
    for (const TimedEvent* e : p.events) {
        const EventType type = e->event.type();
        if (type == EventType::Fork || type == EventType::Exec) continue;
        if (already_told(e->event.ktime_ns, event_type_name(type))) continue;
        lines.emplace_back(e->wall_ns, fmt::format("{} {}", local_clock(e->wall_ns, true),
                                                   story_sentence(e->event)));
    }
    std::stable_sort(lines.begin(), lines.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (auto& [wall, text] : lines) out.push_back(std::move(text));
    return out;
}

}  // namespace

// As why tells it (why_render.cpp): the correlator's lineage at the verdict,
// else the recorded parents up to the session's leader; the verdict in
// why's and replay's sentence; the evidence in time order.
WhyCard why_card(const ProcessLife& p) {
    WhyCard card;
    if (const Verdict* v = last_verdict(p))
        for (const auto& ref : v->lineage)
            card.lineage.push_back(fmt::format("{} {}", ref.comm, ref.pid));
    std::size_t guard = 0;
    for (const ProcessLife* a = p.parent; card.lineage.empty() && a && guard++ < 64;
         a = a->key.pid == a->sid() ? nullptr : a->parent)
        card.lineage.push_back(process_label(*a));
    card.command = command_for_terminal(p.entry->argv, p.comm());
    card.end = end_of(p);
    for (const TimedFinding* f : p.verdicts)
        if (const auto* v = std::get_if<Verdict>(&f->finding))
            card.verdicts.push_back(verdict_line(*v));
    card.evidence = evidence_of(p);
    return card;
}

}  // namespace hupwatch

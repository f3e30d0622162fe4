// When the live path asks for a /proc scan after the kernel lost events
// (AuditAfterLosses), and the audit thread that runs it on request.
#include "lost_exit_repair.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "risk_audit.h"

namespace hupwatch {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000ULL;
constexpr std::uint64_t kGap = AuditAfterLosses::kGapNs;

TEST(AuditAfterLosses, NoLossNoScan) {
    AuditAfterLosses trigger;
    for (std::uint64_t t = 0; t < 10 * kGap; t += kSecond / 10) EXPECT_FALSE(trigger.due(0, t));
}

TEST(AuditAfterLosses, ALossBeforeTheFirstLookCounts) {
    // Lost between the /proc seed and the first poll: still this run's.
    AuditAfterLosses trigger;
    EXPECT_TRUE(trigger.due(4, kSecond));
    EXPECT_FALSE(trigger.due(4, 5 * kSecond));
}

TEST(AuditAfterLosses, TheFirstLossAsksAtOnce) {
    AuditAfterLosses trigger;
    EXPECT_FALSE(trigger.due(0, 5 * kSecond));
    EXPECT_TRUE(trigger.due(3, 5 * kSecond + 1));
    // Nothing lost since: no second scan, however long it waits.
    EXPECT_FALSE(trigger.due(3, 5 * kSecond + 2));
    EXPECT_FALSE(trigger.due(3, 60 * kSecond));
}

TEST(AuditAfterLosses, OngoingLossesScanOncePerGapAndOnceAfterTheLast) {
    AuditAfterLosses trigger;
    const std::uint64_t start = 100 * kSecond;
    const std::uint64_t poll = kSecond / 10;
    std::uint64_t lost = 0;
    int asks = 0;
    std::uint64_t t = start;
    // Losses on every poll for 10 gaps: one scan per gap.
    for (; t < start + 10 * kGap; t += poll) asks += trigger.due(lost += 7, t);
    EXPECT_EQ(asks, 10);
    // The last losses came after the last ask: one more scan, a gap later.
    const std::uint64_t quiet = t;
    std::uint64_t asked_at = 0;
    for (; t < quiet + 3 * kGap; t += poll)
        if (trigger.due(lost, t)) {
            ++asks;
            asked_at = t;
        }
    EXPECT_EQ(asks, 11);
    EXPECT_GE(asked_at, quiet);
    EXPECT_LE(asked_at, quiet + kGap);
}

TEST(AuditAfterLosses, LooksAtTheLossCountOnceAPeriodNotEveryPoll) {
    AuditAfterLosses trigger;
    const std::uint64_t look = AuditAfterLosses::kLookPeriodNs;
    int looks = 0;
    // Ten periods of 100 ms polls: ten looks, the first at once.
    for (std::uint64_t t = 7 * kSecond; t < 7 * kSecond + 10 * look; t += kSecond / 10)
        looks += trigger.time_to_look(t);
    EXPECT_EQ(looks, 10);
    EXPECT_TRUE(AuditAfterLosses().time_to_look(0));
}

TEST(RiskAuditOnRequest, WithNoPeriodAuditsOnlyWhenAskedAndSeesThisProcess) {
    std::atomic<int> reports{0};
    std::atomic<bool> saw_self{false};
    std::atomic<bool> complete{false};
    const auto self = static_cast<std::uint32_t>(::getpid());
    RiskAudit audit("/proc", std::nullopt, [&](AuditResult r) {
        saw_self = std::any_of(r.seen.processes.begin(), r.seen.processes.end(),
                               [&](const auto& p) { return p.first == self; });
        complete = r.seen.complete;
        ++reports;
    });
    // Unasked, a periodless audit never runs (a short look: the thread is up).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(reports.load(), 0);
    audit.audit_soon();
    for (int i = 0; i < 1000 && reports.load() == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(reports.load(), 1);
    EXPECT_TRUE(saw_self.load());
    EXPECT_TRUE(complete.load());
}

TEST(RiskAuditOnRequest, AnAskCutsALongPeriodShort) {
    std::atomic<int> reports{0};
    RiskAudit audit("/proc", std::chrono::hours(1), [&](AuditResult) { ++reports; });
    audit.audit_soon();
    for (int i = 0; i < 1000 && reports.load() == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(reports.load(), 1);
}

}  // namespace
}  // namespace hupwatch

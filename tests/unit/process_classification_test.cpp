#include <gtest/gtest.h>

#include "process_classification.h"

namespace hupwatch {
namespace {

TEST(Supervision, CgroupUnits) {
    EXPECT_EQ(classify_supervision("/system.slice/migrate.service", {}), Supervision::Systemd);
    EXPECT_EQ(classify_supervision("/system.slice/run-u42.scope", {}), Supervision::Systemd)
        << "systemd-run --scope";
    EXPECT_EQ(classify_supervision("/user.slice/user-1000.slice/user@1000.service/app.slice/job.service", {}),
              Supervision::Systemd);
    EXPECT_EQ(classify_supervision("/user.slice/user-0.slice/session-3.scope", {}), Supervision::None);
    EXPECT_EQ(classify_supervision("/system.slice/ssh.service", {}), Supervision::None)
        << "a login without logind stays in sshd's unit";
    EXPECT_EQ(classify_supervision("/system.slice/system-getty.slice/getty@tty1.service", {}),
              Supervision::None);
    EXPECT_EQ(classify_supervision("/init.scope", {}), Supervision::None);
    EXPECT_EQ(classify_supervision("/", {}), Supervision::None);
    EXPECT_EQ(classify_supervision("", {}), Supervision::None);
}

TEST(Supervision, MultiplexersByAncestor) {
    EXPECT_EQ(classify_supervision("/user.slice/user-0.slice/session-3.scope", {"bash", "tmux: server"}),
              Supervision::Tmux);
    EXPECT_EQ(classify_supervision("/system.slice/ssh.service", {"bash", "SCREEN"}), Supervision::Screen);
    EXPECT_EQ(classify_supervision("", {"bash", "screen"}), Supervision::Screen);
    EXPECT_EQ(classify_supervision("", {"bash", "sshd"}), Supervision::None);
}

TEST(Disposition, FromSignalMasks) {
    EXPECT_EQ(sighup_disposition(0, 0), SighupDisposition::Default);
    EXPECT_EQ(sighup_disposition(1, 0), SighupDisposition::Ignored);
    EXPECT_EQ(sighup_disposition(0, 1), SighupDisposition::Handled);
    EXPECT_EQ(sighup_disposition(1, 1), SighupDisposition::Ignored);
    EXPECT_EQ(sighup_disposition(0x2, 0x4), SighupDisposition::Default) << "SIGINT, SIGQUIT only";
    EXPECT_EQ(sighup_disposition_name(SighupDisposition::Handled), "handled");
    EXPECT_EQ(supervision_name(Supervision::Tmux), "tmux");
}

}  // namespace
}  // namespace hupwatch

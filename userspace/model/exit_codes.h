// Exit codes of the CLI, all in one place; documented in docs/cli.md
// ("Exit codes"), a public contract.
#pragma once

namespace hupwatch {

enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,
    kExitUsage = 2,
    kExitNoPrivilege = 10,
    kExitNoBtf = 11,
    kExitNoRingBuffer = 12,
    kExitVerifierRejected = 13,
    kExitAttachFailed = 14,
    // The event store: missing, unreadable, not SQLite, corrupt, newer.
    kExitDatabase = 15,
    // A pid namespace hupwatch cannot report in: /proc is another
    // namespace's, or the kernel would not tell its level. (It once meant
    // any namespace but the host's; pids are now translated.)
    kExitPidNamespace = 16,
    // why, replay, tree: the store is not readable by this user and no
    // daemon answers on the query socket.
    kExitNoDaemon = 17,
};

}  // namespace hupwatch

// Test support: a real OpenSSH server on 127.0.0.1 that the test owns, and an
// interactive `ssh -tt` client on a pty the test types into. Nothing outside
// a temporary directory is touched (/run/sshd, sshd's privilege separation
// directory, is created when missing).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "marker_reader.h"

namespace hupwatch::test {

inline constexpr const char* kSshdPath = "/usr/sbin/sshd";
inline constexpr const char* kSshPath = "/usr/bin/ssh";
inline constexpr const char* kSshKeygenPath = "/usr/bin/ssh-keygen";

// The OpenSSH programs this fixture needs that are not installed; empty when
// all are there.
std::vector<std::string> missing_openssh_programs();

// A few fields of /proc/PID/stat, or nullopt once the process is gone.
struct ProcStat {
    std::string comm;
    pid_t ppid = 0;
    pid_t sid = 0;
};
std::optional<ProcStat> read_proc_stat(pid_t pid);

// sshd in the foreground (-D -e) as the test's child: key login for root
// only, keys and authorized_keys in a temporary directory.
class SshdServer {
   public:
    static std::unique_ptr<SshdServer> start(std::string& error);
    ~SshdServer();
    SshdServer(const SshdServer&) = delete;
    SshdServer& operator=(const SshdServer&) = delete;

    pid_t pid() const { return pid_; }
    int port() const { return port_; }
    const std::string& client_key() const { return client_key_; }
    // What sshd logged to stderr so far (-e), for failure messages.
    std::string log() const;

   private:
    SshdServer() = default;
    bool prepare(std::string& error);
    bool launch(std::string& error);
    bool wait_listening(std::string& error);

    std::string dir_;
    std::string client_key_;
    std::string log_path_;
    pid_t pid_ = -1;
    int port_ = 0;
};

// `ssh -tt root@127.0.0.1` with its stdin/stdout/stderr on a pty we own, as
// an operator's terminal. The remote side is root's login shell; the test
// types lines into it and waits for computed markers in its output.
class SshClientPty {
   public:
    explicit SshClientPty(const SshdServer& server);
    ~SshClientPty();
    SshClientPty(const SshClientPty&) = delete;
    SshClientPty& operator=(const SshClientPty&) = delete;

    // Logged in, remote echo off.
    bool ok() const { return ok_; }
    pid_t client_pid() const { return client_; }

    // Types a line; waits until `marker` shows in the output.
    std::optional<std::string> run(const std::string& line, const std::string& marker,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // The remote shell's expansion of `expr` (e.g. "$$"), one line.
    std::optional<std::string> value(const std::string& expr);
    // Starts `command &` (then `after`, such as "disown") and returns $!.
    std::optional<pid_t> start_job(const std::string& command, const std::string& after = "");

    // Waits for the prompt after the last command. bash prints it once
    // PROMPT_COMMAND has run: the shell then sits in readline, as an idle
    // login does. (A hangup during PROMPT_COMMAND is handled otherwise:
    // bash then runs non-interactively and does not hang up its jobs.)
    bool wait_prompt();

    // SIGKILLs the ssh client and reaps it: the connection drops without a
    // word to the server, as when a laptop lid closes or a route dies.
    int kill_client();

    // Everything the remote side printed, for failure messages.
    const std::string& transcript() const { return reader_.transcript(); }

   private:
    // Types `before` then an echo of `expr` behind a computed tag, on one line.
    std::optional<std::string> echo_value(const std::string& before, const std::string& expr);
    std::optional<std::string> wait_for(const std::string& marker,
                                        std::chrono::milliseconds timeout);

    int master_ = -1;
    pid_t client_ = -1;
    MarkerReader reader_;
    int counter_ = 0;
    bool ok_ = false;
};

// `ssh -T root@127.0.0.1 CMD`: no pty on either side, as scp, rsync and
// Ansible run commands. Its stdout and stderr come back through a pipe the
// test reads; stdin is /dev/null.
class SshCommand {
   public:
    SshCommand(const SshdServer& server, const std::string& command);
    ~SshCommand();
    SshCommand(const SshCommand&) = delete;
    SshCommand& operator=(const SshCommand&) = delete;

    bool started() const { return client_ > 0; }
    pid_t client_pid() const { return client_; }
    // Waits until `marker` shows in the output; returns the output up to it.
    std::optional<std::string> wait_for(const std::string& marker,
                                        std::chrono::milliseconds timeout);
    // The value after "NAME=" on a line of the output, as a pid.
    std::optional<pid_t> wait_pid(const std::string& name);
    // SIGKILLs the client and reaps it (the connection drops without a word).
    int kill_client();
    const std::string& transcript() const { return reader_.transcript(); }

   private:
    int out_ = -1;
    pid_t client_ = -1;
    MarkerReader reader_;
};

}  // namespace hupwatch::test

// An interactive bash on a pty we own, as after an SSH login: bash is the
// session leader with the pty as its controlling terminal. The test types
// into the master; closing the master hangs the line up, as sshd's close
// does when a connection drops.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <regex>
#include <string>

#include "marker_reader.h"

namespace hupwatch::test {

// In a forked child: a session of its own with the pty slave as controlling
// terminal and as stdin, stdout and stderr, as a terminal emulator or sshd
// sets up a login. Exits 120 when it cannot.
inline void enter_session_on_pty(const std::string& slave_path) {
    setsid();
    int fd = open(slave_path.c_str(), O_RDWR);
    if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) != 0) _exit(120);
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2) close(fd);
}

class PtySession {
   public:
    // Starts `bash --norc --noprofile --noediting -i`, then runs bash_setup.
    explicit PtySession(const std::string& bash_setup = "", bool login = false) {
        master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) return;
        slave_path_ = ptsname(master_);
        leader_ = fork();
        if (leader_ == 0) {
            enter_session_on_pty(slave_path_);
            setenv("PS1", "$ ", 1);
            setenv("TERM", "dumb", 1);
            setenv("HISTFILE", "/dev/null", 1);
            unsetenv("PROMPT_COMMAND");
            // argv[0] "-bash" makes a login shell, as sshd starts one.
            execl("/bin/bash", login ? "-bash" : "bash", "--norc", "--noprofile", "--noediting",
                  "-i", static_cast<char*>(nullptr));
            _exit(127);
        }
        // Wait for the first prompt, then apply the setup.
        // No echo of typed lines: markers are then only ever bash's output.
        ok_ = leader_ > 0 && run("stty -echo; echo HW_READY_$((6*7))", "HW_READY_42").has_value();
        if (ok_ && !bash_setup.empty())
            ok_ = run(bash_setup + "; echo HW_SETUP_$((1+1))", "HW_SETUP_2").has_value();
    }
    ~PtySession() {
        if (master_ >= 0) close(master_);
        if (leader_ > 0) {
            kill(-leader_, SIGKILL);  // the session's own process group
            kill(leader_, SIGKILL);
            waitpid(leader_, nullptr, 0);
        }
    }
    bool ok() const { return ok_; }
    pid_t leader() const { return leader_; }
    const std::string& slave_path() const { return slave_path_; }

    // Types a line; waits until `marker` shows in the output. Returns the
    // output up to and including the marker line.
    std::optional<std::string> run(const std::string& line, const std::string& marker,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        std::string text = line + "\n";
        if (write(master_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
            return std::nullopt;
        return wait_for(marker, timeout);
    }

    // Starts `command &` (or with a suffix such as "; disown") and returns
    // the job's pid as bash reports it in $!.
    std::optional<pid_t> start_job(const std::string& command, const std::string& after = "") {
        static int counter = 0;
        std::string tag = "HWPID" + std::to_string(++counter) + "=";
        auto out = run(command + " & " + (after.empty() ? "" : after + "; ") + "echo " + tag + "$!",
                       "\n" + tag);
        if (!out) return std::nullopt;
        auto more = wait_for("\n", std::chrono::seconds(5));  // the rest of the line
        std::string tail = *out + more.value_or("");
        std::smatch m;
        std::regex re(tag + "([0-9]+)");
        if (!std::regex_search(tail, m, re)) return std::nullopt;
        return static_cast<pid_t>(std::stol(m[1]));
    }

    // Sends a line without waiting (a foreground command that never ends).
    bool type(const std::string& line) {
        std::string text = line + "\n";
        return write(master_, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    }

    // Closes the master: the kernel hangs up the slave.
    void hang_up() {
        if (master_ >= 0) close(master_);
        master_ = -1;
    }

    // Reaps the leader after a hangup or logout; its raw wait status.
    int wait_leader() {
        int status = -1;
        waitpid(leader_, &status, 0);
        leader_ = -1;
        return status;
    }

    std::optional<std::string> wait_for(const std::string& marker,
                                        std::chrono::milliseconds timeout) {
        return reader_.wait_for(master_, marker, timeout);
    }

   private:
    int master_ = -1;
    pid_t leader_ = -1;
    std::string slave_path_;
    MarkerReader reader_;
    bool ok_ = false;
};

}  // namespace hupwatch::test

#include "sshd_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "pty_session.h"

namespace hupwatch::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPrompt = "HWP42# ";  // PS1 as set after login

// argv/envp for execve, built before fork: the test has other threads, so
// the child may only make plain system calls.
class ExecArgs {
   public:
    explicit ExecArgs(std::vector<std::string> args) : args_(std::move(args)) {
        for (auto& a : args_) ptrs_.push_back(a.data());
        ptrs_.push_back(nullptr);
    }
    char* const* get() { return ptrs_.data(); }

   private:
    std::vector<std::string> args_;
    std::vector<char*> ptrs_;
};

// Runs a program to completion with its output in `log`; true on exit 0.
bool run_program(std::vector<std::string> args, const std::string& log) {
    ExecArgs argv(std::move(args));
    pid_t pid = fork();
    if (pid == 0) {
        int null_fd = open("/dev/null", O_RDONLY);
        int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (null_fd < 0 || log_fd < 0) _exit(126);
        dup2(null_fd, 0);
        dup2(log_fd, 1);
        dup2(log_fd, 2);
        execv(argv.get()[0], argv.get());
        _exit(127);
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A port nobody listens on now: bind to port 0 and let the kernel choose.
// Racy in principle (it is free again once closed); start() retries.
int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

bool accepts_connections(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    return ok;
}

// The client's command line: -F /dev/null, no user or system client config;
// known hosts go nowhere, so ~/.ssh is neither read nor written.
std::vector<std::string> ssh_client_args(const SshdServer& server, const std::string& mode,
                                         const std::vector<std::string>& command) {
    std::vector<std::string> args{kSshPath,
                                  mode,
                                  "-F",
                                  "/dev/null",
                                  "-i",
                                  server.client_key(),
                                  "-p",
                                  std::to_string(server.port()),
                                  "-o",
                                  "StrictHostKeyChecking=no",
                                  "-o",
                                  "UserKnownHostsFile=/dev/null",
                                  "-o",
                                  "BatchMode=yes",
                                  "-o",
                                  "IdentitiesOnly=yes",
                                  "-o",
                                  "LogLevel=ERROR",
                                  "-o",
                                  "ConnectTimeout=5",
                                  "root@127.0.0.1"};
    args.insert(args.end(), command.begin(), command.end());
    return args;
}

}  // namespace

std::vector<std::string> missing_openssh_programs() {
    std::vector<std::string> missing;
    for (const char* path : {kSshdPath, kSshPath, kSshKeygenPath})
        if (access(path, X_OK) != 0) missing.emplace_back(path);
    return missing;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto open = stat.find('(');
    auto close_paren = stat.rfind(')');
    if (open == std::string::npos || close_paren == std::string::npos) return std::nullopt;
    ProcStat out;
    out.comm = stat.substr(open + 1, close_paren - open - 1);
    std::istringstream fields(stat.substr(close_paren + 2));
    std::string state;
    pid_t pgrp = 0;
    if (!(fields >> state >> out.ppid >> pgrp >> out.sid)) return std::nullopt;
    return out;
}

std::unique_ptr<SshdServer> SshdServer::start(std::string& error) {
    std::unique_ptr<SshdServer> server(new SshdServer());
    if (!server->prepare(error)) return nullptr;
    // The free port can be taken between our probe and sshd's bind.
    for (int attempt = 0; attempt < 3; ++attempt) {
        server->port_ = free_port();
        if (server->port_ == 0) {
            error = "no free port on 127.0.0.1";
            return nullptr;
        }
        if (server->launch(error) && server->wait_listening(error)) return server;
        if (server->log().find("Address already in use") == std::string::npos) return nullptr;
    }
    return nullptr;
}

bool SshdServer::prepare(std::string& error) {
    char tmpl[] = "/tmp/hupwatch-sshd-XXXXXX";
    if (!mkdtemp(tmpl)) {
        error = "mkdtemp failed";
        return false;
    }
    dir_ = tmpl;
    log_path_ = dir_ + "/sshd.log";
    client_key_ = dir_ + "/client_ed25519";
    const std::string host_key = dir_ + "/host_ed25519";
    const std::string keygen_log = dir_ + "/keygen.log";
    for (const auto& key : {host_key, client_key_}) {
        if (!run_program(
                {kSshKeygenPath, "-q", "-t", "ed25519", "-N", "", "-C", "hupwatch-test", "-f", key},
                keygen_log)) {
            error = "ssh-keygen failed: " + read_file(keygen_log);
            return false;
        }
    }
    std::filesystem::copy_file(client_key_ + ".pub", dir_ + "/authorized_keys");
    // sshd refuses to start without its privilege separation directory;
    // systemd's tmpfiles usually creates it, and there is no systemd here.
    if (mkdir("/run/sshd", 0755) != 0 && errno != EEXIST) {
        error = "cannot create /run/sshd";
        return false;
    }
    return true;
}

bool SshdServer::launch(std::string& error) {
    const std::string config = dir_ + "/sshd_config";
    {
        // The configuration the Python tests use too (tests/data/sshd_config.in).
        std::string text = read_file(HUPWATCH_TEST_DATA_DIR "/sshd_config.in");
        if (text.empty()) {
            error = "cannot read " HUPWATCH_TEST_DATA_DIR "/sshd_config.in";
            return false;
        }
        for (const auto& [name, value] : {std::pair<std::string, std::string>{"@DIR@", dir_},
                                          {"@PORT@", std::to_string(port_)}})
            for (auto at = text.find(name); at != std::string::npos; at = text.find(name, at))
                text.replace(at, name.size(), value);
        std::ofstream out(config);
        out << text;
        if (!out) {
            error = "cannot write " + config;
            return false;
        }
    }
    std::ofstream(log_path_, std::ios::trunc).flush();
    // -D: stay in the foreground as our child; -e: log to stderr (our file).
    ExecArgs argv(
        {kSshdPath, "-D", "-e", "-f", config, "-o", "PrintMotd no", "-o", "PrintLastLog no"});
    const std::string log = log_path_;
    pid_ = fork();
    if (pid_ == 0) {
        int null_fd = open("/dev/null", O_RDONLY);
        int log_fd = open(log.c_str(), O_WRONLY | O_APPEND);
        if (null_fd < 0 || log_fd < 0) _exit(126);
        dup2(null_fd, 0);
        dup2(log_fd, 1);
        dup2(log_fd, 2);
        // sshd re-executes itself for each connection: it needs an absolute path.
        execv(argv.get()[0], argv.get());
        _exit(127);
    }
    if (pid_ < 0) {
        error = "fork failed";
        return false;
    }
    return true;
}

bool SshdServer::wait_listening(std::string& error) {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            error = "sshd exited (wait status " + std::to_string(status) +
                    ") before listening; its stderr:\n" + log();
            return false;
        }
        if (accepts_connections(port_)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    error = "sshd did not listen on 127.0.0.1:" + std::to_string(port_) +
            " within 10 s; its stderr:\n" + log();
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return false;
}

SshdServer::~SshdServer() {
    if (pid_ > 0) {
        // SIGTERM lets sshd remove its pid file; SIGKILL if it lingers.
        kill(pid_, SIGTERM);
        auto deadline = Clock::now() + std::chrono::seconds(3);
        while (waitpid(pid_, nullptr, WNOHANG) == 0) {
            if (Clock::now() > deadline) {
                kill(pid_, SIGKILL);
                waitpid(pid_, nullptr, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    if (!dir_.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
}

std::string SshdServer::log() const {
    return read_file(log_path_);
}

SshClientPty::SshClientPty(const SshdServer& server) {
    master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) return;
    const std::string slave_path = ptsname(master_);
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 200;  // long command lines stay on one line
    ioctl(master_, TIOCSWINSZ, &size);

    // TERM=dumb keeps the remote readline plain (no bracketed paste, no
    // escape sequences).
    ExecArgs argv(ssh_client_args(server, "-tt", {}));
    ExecArgs envp({"TERM=dumb", "PATH=/usr/bin:/bin", "HOME=/root", "LANG=C"});
    client_ = fork();
    if (client_ == 0) {
        // The client's own session with the pty as controlling terminal, as
        // an operator's terminal emulator gives it.
        enter_session_on_pty(slave_path);
        execve(argv.get()[0], argv.get(), envp.get());
        _exit(127);
    }
    if (client_ < 0) return;
    // Typed ahead of the prompt, bash reads it once it starts. With the
    // remote echo off, markers are only ever the shell's output; the prompt
    // becomes a marker too (bash expands $((...)) in PS1).
    ok_ = run("stty -echo; PS1='HWP$((40+2))# '; echo HW_READY_$((6*7))", "HW_READY_42",
              std::chrono::seconds(15))
              .has_value();
}

SshClientPty::~SshClientPty() {
    if (client_ > 0) kill_client();
    if (master_ >= 0) close(master_);
}

std::optional<std::string> SshClientPty::run(const std::string& line, const std::string& marker,
                                             std::chrono::milliseconds timeout) {
    std::string text = line + "\n";
    if (write(master_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        return std::nullopt;
    return wait_for(marker, timeout);
}

std::optional<std::string> SshClientPty::value(const std::string& expr) {
    return echo_value("", expr);
}

std::optional<std::string> SshClientPty::echo_value(const std::string& before,
                                                    const std::string& expr) {
    // The tag is computed by the shell, so a typed line never contains it.
    const std::string n = std::to_string(++counter_);
    const std::string tag = "HWV" + n + "=";
    if (!run(before + "echo HWV$((" + n + "+0))=" + expr, tag)) return std::nullopt;
    auto rest = wait_for("\n", std::chrono::seconds(5));
    if (!rest) return std::nullopt;
    std::string v = *rest;
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r' || v.back() == ' ')) v.pop_back();
    return v;
}

std::optional<pid_t> SshClientPty::start_job(const std::string& command, const std::string& after) {
    // One line, so $! is the job just started.
    auto pid = echo_value(command + " & " + (after.empty() ? "" : after + "; "), "$!");
    if (!pid || pid->empty() || pid->find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return static_cast<pid_t>(std::stol(*pid));
}

bool SshClientPty::wait_prompt() {
    return wait_for(kPrompt, std::chrono::seconds(10)).has_value();
}

int SshClientPty::kill_client() {
    int status = -1;
    if (client_ <= 0) return status;
    kill(client_, SIGKILL);
    waitpid(client_, &status, 0);
    client_ = -1;
    return status;
}

std::optional<std::string> SshClientPty::wait_for(const std::string& marker,
                                                  std::chrono::milliseconds timeout) {
    return reader_.wait_for(master_, marker, timeout);
}

SshCommand::SshCommand(const SshdServer& server, const std::string& command) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    ExecArgs argv(ssh_client_args(server, "-T", {command}));
    ExecArgs envp({"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C"});
    client_ = fork();
    if (client_ == 0) {
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd < 0) _exit(126);
        dup2(null_fd, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        execve(argv.get()[0], argv.get(), envp.get());
        _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
}

SshCommand::~SshCommand() {
    if (client_ > 0) kill_client();
    if (out_ >= 0) close(out_);
}

std::optional<std::string> SshCommand::wait_for(const std::string& marker,
                                                std::chrono::milliseconds timeout) {
    return reader_.wait_for(out_, marker, timeout);
}

std::optional<pid_t> SshCommand::wait_pid(const std::string& name) {
    if (!wait_for(name + "=", std::chrono::seconds(15))) return std::nullopt;
    auto rest = wait_for("\n", std::chrono::seconds(5));
    if (!rest) return std::nullopt;
    std::string v = rest->substr(0, rest->size() - 1);
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return static_cast<pid_t>(std::stol(v));
}

int SshCommand::kill_client() {
    int status = -1;
    if (client_ <= 0) return status;
    kill(client_, SIGKILL);
    waitpid(client_, &status, 0);
    client_ = -1;
    return status;
}

}  // namespace hupwatch::test

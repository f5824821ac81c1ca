// SPDX-License-Identifier: Apache-2.0
#include "isolation.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace percept::conformance {
namespace {

using Clock = std::chrono::steady_clock;

bool writeAll(int fd, const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size) {
        const ssize_t w = ::write(fd, p, size);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w, size -= static_cast<size_t>(w);
    }
    return true;
}

// False on end of file or error before `size` bytes.
bool readAll(int fd, void* data, size_t size) {
    char* p = static_cast<char*>(data);
    while (size) {
        const ssize_t r = ::read(fd, p, size);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r, size -= static_cast<size_t>(r);
    }
    return true;
}

bool writeString(int fd, const std::string& s) {
    const uint32_t len = static_cast<uint32_t>(s.size());
    return writeAll(fd, &len, sizeof len) && writeAll(fd, s.data(), s.size());
}
bool readString(int fd, std::string& s) {
    uint32_t len = 0;
    if (!readAll(fd, &len, sizeof len)) return false;
    s.resize(len);
    return readAll(fd, s.data(), len);
}

// The worker: reads task indices until its input closes, answers each with its outcome.
[[noreturn]] void workerLoop(int in, int out, const std::function<Outcome(size_t)>& task) {
    uint64_t index = 0;
    while (readAll(in, &index, sizeof index)) {
        const Outcome o = task(static_cast<size_t>(index));
        std::fflush(stdout);
        const uint8_t status = static_cast<uint8_t>(o.status);
        if (!writeAll(out, &index, sizeof index) || !writeAll(out, &status, 1) || !writeString(out, o.reason) ||
            !writeString(out, o.op))
            break;
    }
    // A normal exit, so that LeakSanitizer checks the worker (in sanitizer builds): a leak
    // report makes the exit status non-zero, which the parent reports.
    std::exit(0);
}

struct Worker {
    pid_t pid = -1;
    int toChild = -1, fromChild = -1;
    long current = -1;  // task in flight, -1 when idle
    Clock::time_point started;
};

Worker spawn(const std::function<Outcome(size_t)>& task, std::vector<Worker>& others) {
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        for (const Worker& w : others)
            if (w.pid >= 0) close(w.toChild), close(w.fromChild);
        close(down[1]);
        close(up[0]);
        workerLoop(down[0], up[1], task);
    }
    close(down[0]);
    close(up[1]);
    Worker w;
    w.pid = pid;
    w.toChild = down[1];
    w.fromChild = up[0];
    return w;
}

std::string deathOf(int status) {
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
    if (WIFEXITED(status)) return "the process exited with status " + std::to_string(WEXITSTATUS(status));
    return "the process ended";
}

void retire(Worker& w) {
    close(w.toChild);
    close(w.fromChild);
    w = Worker{};
}

}  // namespace

IsolatedRun runIsolated(size_t n, const std::function<Outcome(size_t)>& task, const IsolationOptions& opt,
                        const std::function<void(size_t, const Outcome&)>& done) {
    IsolatedRun run;
    std::vector<Outcome>& results = run.outcomes;
    results.resize(n);
    auto finish = [&](size_t i, Outcome o, Clock::time_point started) {
        o.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        if (done) done(i, o);
        results[i] = std::move(o);
    };
    if (!opt.fork) {
        for (size_t i = 0; i < n; ++i) {
            const auto t0 = Clock::now();
            finish(i, task(i), t0);
        }
        return run;
    }
    signal(SIGPIPE, SIG_IGN);  // a worker that died must not take this process with it

    std::vector<Worker> workers;
    size_t next = 0, finished = 0;
    const auto timeout = std::chrono::duration<double>(opt.timeoutSeconds);
    while (finished < n) {
        // Keep every worker busy; start workers (again) where some died.
        for (size_t k = 0; k < static_cast<size_t>(std::max(1, opt.jobs)) && next < n; ++k) {
            if (k == workers.size()) workers.push_back(Worker{});
            Worker& w = workers[k];
            if (w.current >= 0) continue;
            if (w.pid < 0) w = spawn(task, workers);
            const uint64_t index = next;
            if (!writeAll(w.toChild, &index, sizeof index)) {  // it died between tasks
                int status = 0;
                waitpid(w.pid, &status, 0);
                retire(w);
                continue;
            }
            w.current = static_cast<long>(next++);
            w.started = Clock::now();
        }

        std::vector<pollfd> fds;
        std::vector<Worker*> busy;
        double wait = opt.timeoutSeconds;
        for (Worker& w : workers)
            if (w.current >= 0) {
                fds.push_back({w.fromChild, POLLIN, 0});
                busy.push_back(&w);
                wait = std::min(wait, opt.timeoutSeconds - std::chrono::duration<double>(Clock::now() - w.started).count());
            }
        const int ms = static_cast<int>(std::max(0.0, wait) * 1000) + 10;
        if (poll(fds.data(), fds.size(), ms) < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));

        for (size_t k = 0; k < fds.size(); ++k) {
            Worker& w = *busy[k];
            const size_t index = static_cast<size_t>(w.current);
            const auto started = w.started;
            if (fds[k].revents) {
                uint64_t got = 0;
                uint8_t status = 0;
                Outcome o;
                if (readAll(w.fromChild, &got, sizeof got) && readAll(w.fromChild, &status, 1) && readString(w.fromChild, o.reason) &&
                    readString(w.fromChild, o.op) && got == index) {
                    o.status = static_cast<Status>(status);
                    w.current = -1;
                } else {  // the worker died in the middle of the task
                    int st = 0;
                    waitpid(w.pid, &st, 0);
                    o = {Status::Crash, deathOf(st), ""};
                    retire(w);
                }
                finish(index, std::move(o), started);
                ++finished;
            } else if (Clock::now() - w.started > timeout) {
                kill(w.pid, SIGKILL);
                int st = 0;
                waitpid(w.pid, &st, 0);
                retire(w);
                char buf[64];
                std::snprintf(buf, sizeof buf, "timed out after %.0f s", opt.timeoutSeconds);
                finish(index, {Status::Crash, buf, ""}, started);
                ++finished;
            }
        }
    }
    for (Worker& w : workers)
        if (w.pid >= 0) {
            close(w.toChild);  // end of input: the worker exits
            int st = 0;
            waitpid(w.pid, &st, 0);
            close(w.fromChild);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                run.workerErrors.push_back("a worker process ended badly after its last task: " + deathOf(st) +
                                           " (a sanitizer's leak report? see stderr)");
        }
    return run;
}

}  // namespace percept::conformance

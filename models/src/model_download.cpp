// SPDX-License-Identifier: Apache-2.0
#include "percept/models/model_download.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "percept/error.h"
#include "percept/models/model_store.h"

extern char** environ;

namespace fs = std::filesystem;

namespace percept::models {
namespace {

std::string withThousands(long long n) {
    const std::string d = std::to_string(n);
    std::string s;
    for (size_t i = 0; i < d.size(); ++i) {
        if (i > 0 && d[i - 1] != '-' && (d.size() - i) % 3 == 0) s += ',';
        s += d[i];
    }
    return s;
}

// Everything a child wrote to fd, after it exited (curl's -w line and error text: < 64 KiB,
// so the pipe never filled while it ran).
std::string drain(int fd) {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    close(fd);
    return out;
}

struct CurlResult {
    int exitCode = -1;   // -1: curl did not run
    int httpCode = 0;
    std::string error;   // curl's own message (when stderr was captured)
};

// curl -f: an HTTP error is a failure (exit 22), not a saved error page; -L follows the
// GitHub -> LFS storage redirect. Slow transfers abort below 1 KB/s for a minute rather than
// after a fixed time, so a large model on a slow link still arrives.
CurlResult runCurl(const std::string& url, const std::string& out, bool progressBar) {
    std::vector<std::string> args = {"curl", "-fL", "--retry", "2", "--connect-timeout", "20", "--speed-limit", "1000",
                                     "--speed-time", "60", "-w", "%{http_code}", "-o", out, url};
    args.insert(args.begin() + 1, progressBar ? "--progress-bar" : "-sS");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int outPipe[2], errPipe[2];
    if (pipe(outPipe) != 0) return {};
    if (pipe(errPipe) != 0) {
        close(outPipe[0]), close(outPipe[1]);
        return {};
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, outPipe[1], 1);
    if (!progressBar) posix_spawn_file_actions_adddup2(&fa, errPipe[1], 2);  // else the bar goes to the terminal
    for (int fd : {outPipe[0], outPipe[1], errPipe[0], errPipe[1]}) posix_spawn_file_actions_addclose(&fa, fd);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, "curl", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(outPipe[1]), close(errPipe[1]);
    CurlResult r;
    if (spawned != 0) {
        close(outPipe[0]), close(errPipe[0]);
        return r;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const std::string written = drain(outPipe[0]);
    r.error = drain(errPipe[0]);
    while (!r.error.empty() && (r.error.back() == '\n' || r.error.back() == '\r')) r.error.pop_back();
    if (const size_t nl = r.error.rfind('\n'); nl != std::string::npos) r.error.erase(0, nl + 1);  // the last attempt's
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r.exitCode == 127) r.exitCode = -1;  // the shell-style "command not found"
    r.httpCode = std::atoi(written.c_str());
    return r;
}

std::string describe(const CurlResult& r) {
    using E = TransferError;
    if (r.exitCode < 0) return describeTransferError(E::NoTransport, 0, "curl is not installed (apt-get install curl), or could not run");
    const E e = r.exitCode == 6 ? E::HostNotFound : r.exitCode == 7 ? E::NoConnection : r.exitCode == 18 ? E::Truncated
              : r.exitCode == 22 ? E::HttpStatus : r.exitCode == 28 ? E::Timeout : r.exitCode == 35 || r.exitCode == 60 ? E::Tls : E::Other;
    return describeTransferError(e, r.httpCode, r.error.empty() ? "curl exit " + std::to_string(r.exitCode) : r.error);
}

}  // namespace

DownloadPlan planDownload(const Manifest& m) {
    if (!m.download) throw Error("model '" + m.name + "' has no public download");
    const std::string dir = modelCacheDirectory();
    if (dir.empty()) throw Error("model '" + m.name + "': no cache directory to download into (neither XDG_CACHE_HOME nor HOME is set)");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw Error("model '" + m.name + "': cannot create " + dir + ": " + ec.message());
    DownloadPlan p;
    p.model = m.name;
    p.displayName = m.displayName;
    if (const char* base = std::getenv("PERCEPT_MODELS_URL"); base && *base) {
        // A local mirror (a site without internet access; the tests' server) instead of the
        // public URLs; the pinned size and sha256 still decide.
        std::string b = base;
        while (!b.empty() && b.back() == '/') b.pop_back();
        p.urls.push_back(b + "/" + m.download->file);
    } else {
        p.urls.push_back(m.download->url);
        for (const auto& u : m.download->mirrors) p.urls.push_back(u);
    }
    p.target = dir + "/" + m.download->file;
    p.part = p.target + ".part";
    p.sha256 = m.download->sha256;
    p.bytes = m.download->bytes;
    return p;
}

void finishDownload(const DownloadPlan& p) {
    std::error_code ec;
    const auto size = fs::file_size(p.part, ec);
    auto fail = [&](const std::string& why) {
        fs::remove(p.part, ec);
        throw Error(why);
    };
    if (ec) fail("the download left no file (" + ec.message() + ")");
    if (p.bytes > 0 && static_cast<long long>(size) != p.bytes)
        fail(static_cast<long long>(size) < p.bytes
                 ? "the download is truncated: " + withThousands(static_cast<long long>(size)) + " of " + withThousands(p.bytes) + " bytes arrived"
                 : "the downloaded file has " + withThousands(static_cast<long long>(size)) + " bytes, not the " + withThousands(p.bytes) +
                       " of the pinned original");
    if (!p.sha256.empty()) {
        const std::string got = sha256File(p.part);
        if (got != p.sha256) fail("the downloaded file's sha256 is " + got + ", not the pinned " + p.sha256 + " (a different file)");
    }
    fs::rename(p.part, p.target, ec);
    if (ec) fail("cannot store the download at " + p.target + ": " + ec.message());
}

std::string manualDownloadSteps(const Manifest& m) {
    if (!m.download) return "Put " + m.file + " in a directory named by PERCEPT_MODELS_DIR.";
    const std::string dir = modelCacheDirectory();
    std::string s = "To install it by hand:\n  1. download " + m.download->url;
    for (const auto& u : m.download->mirrors) s += "\n     (or " + u + ")";
    if (m.download->bytes > 0) s += "\n     " + withThousands(m.download->bytes) + " bytes";
    if (!m.download->sha256.empty()) s += "\n  2. check it: sha256sum " + m.download->file + " should print " + m.download->sha256;
    s += "\n  3. put " + m.download->file + " in " + (dir.empty() ? std::string("~/.cache/percept/models") : dir) +
         "/ (or in a directory named by PERCEPT_MODELS_DIR)";
    return s;
}

std::string describeTransferError(TransferError e, int httpStatus, const std::string& detail) {
    std::string why;
    switch (e) {
        case TransferError::NoTransport: return detail;
        case TransferError::HostNotFound: why = "the host name does not resolve (no network?)"; break;
        case TransferError::NoConnection: why = "no connection to the server (no network?)"; break;
        case TransferError::Truncated: why = "the transfer ended before the whole file arrived"; break;
        case TransferError::HttpStatus: why = "the server answered HTTP " + std::to_string(httpStatus); break;
        case TransferError::Timeout: why = "timed out"; break;
        case TransferError::Tls: why = "TLS failed (are the ca-certificates installed?)"; break;
        case TransferError::Cancelled: return "cancelled";
        case TransferError::Other: return detail;
    }
    return detail.empty() ? why : why + " [" + detail + "]";
}

std::string downloadFailureMessage(const Manifest& m, const std::string& failures) {
    return "model '" + m.name + "' (" + m.displayName + ") is not on this machine and could not be downloaded:" + failures + "\n" +
           manualDownloadSteps(m);
}

std::string downloadWithCurl(const Manifest& m) {
    const DownloadPlan p = planDownload(m);
    const bool terminal = isatty(STDERR_FILENO) != 0;
    std::string failures;
    for (const auto& url : p.urls) {
        std::fprintf(stderr, "percept: downloading %s (%s, %.1f MB) from %s\n", p.model.c_str(), p.displayName.c_str(),
                         static_cast<double>(p.bytes) / 1e6, url.c_str());
        std::error_code ec;
        fs::remove(p.part, ec);
        const CurlResult r = runCurl(url, p.part, terminal);
        if (r.exitCode != 0) {
            fs::remove(p.part, ec);
            failures += "\n  " + url + ": " + describe(r);
            if (r.exitCode < 0) break;  // no curl: no other URL will do better
            continue;
        }
        try {
            finishDownload(p);
            return p.target;
        } catch (const Error& e) {
            failures += "\n  " + url + ": " + e.what();
        }
    }
    throw Error(downloadFailureMessage(m, failures));
}

}  // namespace percept::models

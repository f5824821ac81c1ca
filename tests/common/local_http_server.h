// SPDX-License-Identifier: Apache-2.0
#pragma once
// A real HTTP/1.1 server on 127.0.0.1 (an ephemeral port) in a thread, for the model-download
// tests of both transports (curl: tests/models/test_model_download.cpp; Qt Network:
// tests/gui/tst_model_download.cpp). Each path answers one way:
//   Route::file(bytes)            200 with the bytes
//   Route::truncated(bytes, n)    200 announcing all the bytes, sending the first n, closing
//   Route::error(404)             that status, empty body
//   Route::redirect("/x")         302 to another path (GitHub's raw URLs redirect to LFS storage)
// Unknown paths get 404. closedPortUrl() names a port nothing listens on (a machine without
// network: the connection is refused).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace percept::testing {

class LocalHttpServer {
public:
    struct Route {
        int status = 200;
        std::string body;
        size_t sendBytes = std::string::npos;  // < body.size(): the connection closes early
        std::string location;
        int chunkDelayMs = 0;  // > 0: the body goes out in 256 KiB chunks this far apart (progress to watch)
        static Route file(std::string bytes) { return {200, std::move(bytes), std::string::npos, {}, 0}; }
        static Route slowFile(std::string bytes, int chunkDelayMs) { return {200, std::move(bytes), std::string::npos, {}, chunkDelayMs}; }
        static Route truncated(std::string bytes, size_t n) { return {200, std::move(bytes), n, {}, 0}; }
        static Route error(int code) { return {code, {}, std::string::npos, {}, 0}; }
        static Route redirect(std::string to) { return {302, {}, std::string::npos, std::move(to), 0}; }
    };

    LocalHttpServer() {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 8) != 0) {
            close(fd_);
            fd_ = -1;
            return;
        }
        socklen_t len = sizeof a;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~LocalHttpServer() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        if (fd_ >= 0) close(fd_);
    }
    bool ok() const { return fd_ >= 0; }
    void route(const std::string& path, Route r) {
        std::lock_guard<std::mutex> lock(mutex_);
        routes_[path] = std::move(r);
    }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
    int requests() const { return requests_; }

    // A URL on a port where nothing listens (bound, then released).
    static std::string closedPortUrl(const std::string& path) {
        const int s = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
        close(s);
        return "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + path;
    }

private:
    void serve() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            const int c = accept(fd_, nullptr, nullptr);
            if (c < 0) continue;
            handle(c);
            close(c);
        }
    }
    void handle(int c) {
        std::string req;
        char buf[2048];
        while (req.find("\r\n\r\n") == std::string::npos) {
            pollfd p{c, POLLIN, 0};
            if (poll(&p, 1, 2000) <= 0) return;
            const ssize_t n = recv(c, buf, sizeof buf, 0);
            if (n <= 0) return;
            req.append(buf, static_cast<size_t>(n));
        }
        ++requests_;
        const size_t sp1 = req.find(' '), sp2 = req.find(' ', sp1 + 1);
        const std::string path = sp1 == std::string::npos ? "" : req.substr(sp1 + 1, sp2 - sp1 - 1);
        Route r = Route::error(404);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (auto it = routes_.find(path); it != routes_.end()) r = it->second;
        }
        std::string head = "HTTP/1.1 " + std::to_string(r.status) + (r.status == 200 ? " OK" : r.status == 302 ? " Found" : " Error") +
                           "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n";
        if (!r.location.empty()) head += "Location: " + r.location + "\r\n";
        if (r.status == 200) head += "Content-Type: application/octet-stream\r\n";
        head += "\r\n";
        sendAll(c, head.data(), head.size());
        const size_t n = std::min(r.sendBytes, r.body.size());
        const size_t chunk = r.chunkDelayMs > 0 ? 256 * 1024 : n;
        for (size_t at = 0; at < n && !stop_; at += chunk) {
            if (at > 0) std::this_thread::sleep_for(std::chrono::milliseconds(r.chunkDelayMs));
            sendAll(c, r.body.data() + at, std::min(chunk, n - at));
        }
    }
    static void sendAll(int c, const char* p, size_t n) {
        while (n > 0) {
            const ssize_t k = send(c, p, n, MSG_NOSIGNAL);
            if (k <= 0) return;
            p += k;
            n -= static_cast<size_t>(k);
        }
    }

    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    std::mutex mutex_;
    std::map<std::string, Route> routes_;
    std::thread thread_;
};

}  // namespace percept::testing

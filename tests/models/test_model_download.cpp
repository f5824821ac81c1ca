// SPDX-License-Identifier: Apache-2.0
// The command line's model download (curl, models/src/model_download.cpp) against a real HTTP
// server on 127.0.0.1: the file arrives and is checked (size, sha256) before it is used; a wrong
// file, a truncated transfer, a 404 and no network are each a clear error with the manual steps,
// and leave nothing behind that could later be taken for the model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/local_http_server.h"
#include "percept/error.h"
#include "percept/models/model_download.h"
#include "percept/models/model_store.h"

namespace percept::testing {
namespace {

namespace fs = std::filesystem;

class ModelDownload : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(server_.ok());
        dir_ = fs::temp_directory_path() / ("percept-download-" + std::to_string(getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "empty");
        // Downloads go to $XDG_CACHE_HOME/percept/models; PERCEPT_MODELS_DIR is searched first.
        setenv("XDG_CACHE_HOME", (dir_ / "cache").c_str(), 1);
        setenv("PERCEPT_MODELS_DIR", (dir_ / "empty").c_str(), 1);
        std::mt19937 rng(7);
        body_.resize(300000);
        for (auto& c : body_) c = static_cast<char>(rng());
        manifest_.name = "percept-download-test";
        manifest_.displayName = "Download test";
        manifest_.file = manifest_.labels = "percept-download-test-" + std::to_string(getpid()) + ".onnx";
        models::DownloadSource d;
        d.file = manifest_.file;
        d.bytes = static_cast<long long>(body_.size());
        d.sha256 = models::sha256Hex(body_.data(), body_.size());
        manifest_.download = d;
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path cached() const { return dir_ / "cache/percept/models" / manifest_.file; }
    // No model file and no partial download left in the cache.
    void expectNothingLeft() {
        EXPECT_FALSE(fs::exists(cached()));
        EXPECT_FALSE(fs::exists(cached().string() + ".part"));
    }
    std::string failureOf(const std::string& url) {
        manifest_.download->url = url;
        try {
            models::locateModel(manifest_);
        } catch (const Error& e) {
            return e.what();
        }
        ADD_FAILURE() << "the download from " << url << " did not fail";
        return {};
    }

    LocalHttpServer server_;
    fs::path dir_;
    std::string body_;
    models::Manifest manifest_;
};

std::string readAll(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST_F(ModelDownload, ArrivesCheckedAndIsFoundAfterwards) {
    server_.route("/m.onnx", LocalHttpServer::Route::file(body_));
    manifest_.download->url = server_.url("/m.onnx");
    const std::string path = models::locateModel(manifest_);
    EXPECT_EQ(fs::path(path), cached());
    EXPECT_EQ(readAll(path), body_);
    EXPECT_FALSE(fs::exists(path + ".part"));
    // Found in the cache the next time: no second request.
    const int before = server_.requests();
    EXPECT_EQ(models::locateModel(manifest_), path);
    EXPECT_EQ(models::findModelFile(manifest_), path);
    EXPECT_EQ(server_.requests(), before);
}

TEST_F(ModelDownload, FollowsRedirects) {
    server_.route("/raw/m.onnx", LocalHttpServer::Route::redirect("/lfs/m.onnx"));
    server_.route("/lfs/m.onnx", LocalHttpServer::Route::file(body_));
    manifest_.download->url = server_.url("/raw/m.onnx");
    EXPECT_EQ(readAll(models::locateModel(manifest_)), body_);
}

TEST_F(ModelDownload, WrongSha256IsRefused) {
    std::string other = body_;
    other[12345] ^= 1;
    server_.route("/m.onnx", LocalHttpServer::Route::file(other));
    const std::string msg = failureOf(server_.url("/m.onnx"));
    EXPECT_NE(msg.find("sha256"), std::string::npos) << msg;
    EXPECT_NE(msg.find(manifest_.download->sha256), std::string::npos) << msg;
    EXPECT_NE(msg.find("To install it by hand"), std::string::npos) << msg;
    expectNothingLeft();
}

TEST_F(ModelDownload, TruncatedTransferIsRefused) {
    server_.route("/m.onnx", LocalHttpServer::Route::truncated(body_, 100000));
    const std::string msg = failureOf(server_.url("/m.onnx"));
    EXPECT_NE(msg.find("ended before the whole file arrived"), std::string::npos) << msg;
    expectNothingLeft();
}

TEST_F(ModelDownload, ShortFileIsRefused) {
    // A complete transfer of a file shorter than the pinned size (a changed upstream file).
    server_.route("/m.onnx", LocalHttpServer::Route::file(body_.substr(0, 200000)));
    const std::string msg = failureOf(server_.url("/m.onnx"));
    EXPECT_NE(msg.find("truncated: 200,000 of 300,000 bytes"), std::string::npos) << msg;
    expectNothingLeft();
}

TEST_F(ModelDownload, NotFoundIsRefused) {
    const std::string msg = failureOf(server_.url("/nothing-here.onnx"));
    EXPECT_NE(msg.find("HTTP 404"), std::string::npos) << msg;
    expectNothingLeft();
}

TEST_F(ModelDownload, NoNetworkSaysWhatToDoByHand) {
    const std::string url = LocalHttpServer::closedPortUrl("/m.onnx");
    const std::string msg = failureOf(url);
    EXPECT_NE(msg.find("no connection to the server"), std::string::npos) << msg;
    EXPECT_NE(msg.find("download " + url), std::string::npos) << msg;
    EXPECT_NE(msg.find("sha256sum " + manifest_.file + " should print " + manifest_.download->sha256), std::string::npos) << msg;
    EXPECT_NE(msg.find("put " + manifest_.file + " in " + (dir_ / "cache/percept/models").string()), std::string::npos) << msg;
    expectNothingLeft();
}

TEST_F(ModelDownload, MirrorAfterAFailedOriginal) {
    server_.route("/mirror/m.onnx", LocalHttpServer::Route::file(body_));
    manifest_.download->url = server_.url("/gone.onnx");
    manifest_.download->mirrors = {server_.url("/mirror/m.onnx")};
    EXPECT_EQ(readAll(models::locateModel(manifest_)), body_);
}

TEST_F(ModelDownload, WithoutDownloadingTheErrorGivesTheManualSteps) {
    manifest_.download->url = server_.url("/m.onnx");
    try {
        models::locateModel(manifest_, /*allowDownload=*/false);
        FAIL() << "found a model that is not there";
    } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("not found; looked in"), std::string::npos) << msg;
        EXPECT_NE(msg.find("To install it by hand"), std::string::npos) << msg;
    }
    EXPECT_EQ(server_.requests(), 0);
}

}  // namespace
}  // namespace percept::testing

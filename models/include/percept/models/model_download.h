// SPDX-License-Identifier: Apache-2.0
#pragma once
// Downloading a model that has a public original (the manifest's "download"): where the file
// goes, how it is checked, and what to tell a person when it cannot be fetched. Shared by the
// two transports: curl on the command line (locateModel, with curl's progress bar on a
// terminal) and Qt Network in the app (app/pipeline/model_downloader.cpp, with a progress
// dialog). Both write into plan.part, then finishDownload() checks it and moves it into place,
// so a partial or wrong file is never found as the model.
#include <string>
#include <vector>

#include "percept/models/manifest.h"

namespace percept::models {

struct DownloadPlan {
    std::string model, displayName;  // for messages
    // The original, then its mirrors, tried in this order; or only $PERCEPT_MODELS_URL/<file>
    // when that variable names a local mirror.
    std::vector<std::string> urls;
    std::string target;              // <cache>/percept/models/<download file>
    std::string part;                // target + ".part", written while downloading
    std::string sha256;
    long long bytes = 0;             // expected size (0 = not pinned)
};

// Throws percept::Error when the manifest names no download or there is no cache directory
// (neither XDG_CACHE_HOME nor HOME). Creates the cache directory.
DownloadPlan planDownload(const Manifest& m);

// Checks plan.part (its size, then its sha256) and renames it to plan.target. On a mismatch
// the part file is removed and percept::Error says what differed (a truncated file, a file
// that is not the pinned one).
void finishDownload(const DownloadPlan& plan);

// What the person can do by hand: the URLs, the size and sha256 to check, and where to put
// the file (the cache, or a directory named by PERCEPT_MODELS_DIR). Several lines.
std::string manualDownloadSteps(const Manifest& m);

// Why one URL failed, in the same words whichever transport tried it.
enum class TransferError { NoTransport, HostNotFound, NoConnection, Truncated, HttpStatus, Timeout, Tls, Cancelled, Other };
std::string describeTransferError(TransferError e, int httpStatus, const std::string& detail);
// The error for a model none of whose URLs worked: each URL's failure ("\n  URL: why" lines,
// in `failures`), then the manual steps.
std::string downloadFailureMessage(const Manifest& m, const std::string& failures);

// The command line's transport: curl into plan.part (its progress bar on stderr when stderr
// is a terminal, silent otherwise), each URL in turn, then finishDownload. Returns the model's
// path; throws percept::Error with every URL's failure and manualDownloadSteps() otherwise.
std::string downloadWithCurl(const Manifest& m);

}  // namespace percept::models

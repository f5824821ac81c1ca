// SPDX-License-Identifier: Apache-2.0
#pragma once
// The one exception type the engine throws: every failure a caller can meet (bad model file,
// unsupported op, bad input shape, missing backend) arrives as a percept::Error whose what()
// is a sentence a user can act on.
#include <stdexcept>
#include <string>

namespace percept {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The device a session runs on stopped working (Vulkan: VK_ERROR_DEVICE_LOST, after a GPU
// hang, a driver reset, an unplugged GPU). That session, and every other session on the same
// device, cannot run again; a session created afterwards opens the device afresh. A caller
// that wants to carry on drops its sessions on that backend and uses another (the app falls
// back to the CPU).
class DeviceLostError : public Error {
public:
    using Error::Error;
};

}  // namespace percept

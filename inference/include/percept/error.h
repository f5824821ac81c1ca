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

}  // namespace percept

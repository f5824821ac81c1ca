// SPDX-License-Identifier: Apache-2.0
#pragma once
// Little-endian byte reading and writing for the compressed model format (FORMAT.md). The
// reader is for hostile input: every read is checked against the bytes that remain, and a
// short or malformed file is a percept::Error naming the file and what was being read.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "percept/error.h"

namespace percept::compressed {

// CRC-32 (the IEEE polynomial, as zlib's crc32 and Python's zlib.crc32 compute it).
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

class ByteReader {
public:
    ByteReader(const uint8_t* data, size_t size, std::string source) : p_(data), end_(data + size), source_(std::move(source)) {}

    size_t remaining() const { return static_cast<size_t>(end_ - p_); }
    const uint8_t* position() const { return p_; }

    [[noreturn]] void fail(const std::string& what) const { throw Error(source_ + ": corrupt compressed model: " + what); }

    void need(size_t bytes, const char* what) const {
        if (bytes > remaining())
            fail(std::string(what) + " needs " + std::to_string(bytes) + " bytes, only " + std::to_string(remaining()) + " remain");
    }
    template <class T>
    T get(const char* what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, p_, sizeof(T));  // the format and every supported CPU are little-endian
        p_ += sizeof(T);
        return v;
    }
    uint8_t u8(const char* what) { return get<uint8_t>(what); }
    uint16_t u16(const char* what) { return get<uint16_t>(what); }
    uint32_t u32(const char* what) { return get<uint32_t>(what); }
    uint64_t u64(const char* what) { return get<uint64_t>(what); }
    int64_t i64(const char* what) { return get<int64_t>(what); }
    float f32(const char* what) { return get<float>(what); }
    // A count that must not exceed `max` (checked before anything is allocated for it).
    uint32_t count(const char* what, uint64_t max) {
        const uint32_t n = u32(what);
        if (n > max) fail(std::string(what) + " is " + std::to_string(n) + ", more than the limit of " + std::to_string(max));
        return n;
    }
    std::string str(const char* what, uint32_t maxBytes) {
        const uint32_t n = count(what, maxBytes);
        need(n, what);
        std::string s(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return s;
    }
    const uint8_t* bytes(size_t n, const char* what) {
        need(n, what);
        const uint8_t* b = p_;
        p_ += n;
        return b;
    }

private:
    const uint8_t* p_;
    const uint8_t* end_;
    std::string source_;
};

class ByteWriter {
public:
    template <class T>
    void put(T v) {
        const size_t at = out_.size();
        out_.resize(at + sizeof(T));
        std::memcpy(out_.data() + at, &v, sizeof(T));
    }
    void u8(uint8_t v) { put(v); }
    void u16(uint16_t v) { put(v); }
    void u32(uint32_t v) { put(v); }
    void u64(uint64_t v) { put(v); }
    void i64(int64_t v) { put(v); }
    void f32(float v) { put(v); }
    void str(const std::string& s) {
        u32(static_cast<uint32_t>(s.size()));
        out_.insert(out_.end(), s.begin(), s.end());
    }
    void bytes(const void* data, size_t n) {
        const auto* b = static_cast<const uint8_t*>(data);
        out_.insert(out_.end(), b, b + n);
    }
    size_t size() const { return out_.size(); }
    std::vector<uint8_t>& buffer() { return out_; }

private:
    std::vector<uint8_t> out_;
};

}  // namespace percept::compressed

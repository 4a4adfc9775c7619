#pragma once
// CRC-32C (Castagnoli, the iSCSI/ext4 checksum): the checksum of descent's checkpoints.
#include <cstddef>
#include <cstdint>

namespace descent {

// The CRC-32C of n bytes, continuing from `crc` (the CRC of the bytes before them; 0 to start):
// crc32c(b, nb, crc32c(a, na)) == the CRC of a followed by b.
std::uint32_t crc32c(const void* data, std::size_t n, std::uint32_t crc = 0);

namespace detail {
std::uint32_t crc32c_bytewise(const void* data, std::size_t n, std::uint32_t crc);  // the plain reference
}

}  // namespace descent

#pragma once
// One whole buffer to a file descriptor: write() again after a short write or a signal.
// False (errno says why) when the descriptor refuses.

#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace ceremony {

inline bool writeAll(int fd, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace ceremony

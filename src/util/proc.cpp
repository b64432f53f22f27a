#include "smartspec/util/proc.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace smartspec::proc {

std::optional<Stat> stat(long pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and ')'; the fields
  // after the last ')' are 3 (state), 4 (ppid), 5 (pgrp) ... 22 (starttime).
  const char* close = std::strrchr(buf, ')');
  if (close == nullptr) return std::nullopt;
  Stat s;
  long ppid = 0;
  if (std::sscanf(close + 1, " %c %ld %ld", &s.state, &ppid, &s.pgrp) != 3) return std::nullopt;
  const char* p = close + 1;  // the space before field 3
  for (int field = 3; field < 22 && p != nullptr; ++field) p = std::strchr(p + 1, ' ');
  if (p != nullptr) s.start = std::strtoull(p + 1, nullptr, 10);
  return s;
}

}  // namespace smartspec::proc

#include "smartspec/util/proc.hpp"

#include <dirent.h>
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
  if (std::sscanf(close + 1, " %c %ld %ld", &s.state, &s.ppid, &s.pgrp) != 3) return std::nullopt;
  const char* p = close + 1;  // the space before field 3
  for (int field = 3; field < 22 && p != nullptr; ++field) p = std::strchr(p + 1, ' ');
  if (p != nullptr) s.start = std::strtoull(p + 1, nullptr, 10);
  return s;
}

std::vector<Entry> all() {
  std::vector<Entry> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* d = ::readdir(dir)) {
    if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
    long pid = std::strtol(d->d_name, nullptr, 10);
    if (auto s = stat(pid)) out.push_back({pid, *s});
  }
  ::closedir(dir);
  return out;
}

std::optional<std::vector<long>> children(long pid) {
  const std::string task = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(task.c_str());
  if (dir == nullptr) return std::nullopt;
  std::vector<long> out;
  bool read_one = false;
  while (dirent* d = ::readdir(dir)) {
    if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
    const std::string path = task + "/" + d->d_name + "/children";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // a thread that just ended, or no such files at all
    read_one = true;
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    const char* p = text.c_str();
    char* end = nullptr;
    for (long c = std::strtol(p, &end, 10); end != p; c = std::strtol(p, &end, 10)) {
      out.push_back(c);
      p = end;
    }
  }
  ::closedir(dir);
  if (!read_one) return std::nullopt;
  return out;
}

}  // namespace smartspec::proc

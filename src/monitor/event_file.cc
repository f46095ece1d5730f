#include "monitor/event_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace tern::monitor {

EventFile::EventFile(std::string path, uint64_t max_size, int max_files)
    : path_(std::move(path)), max_size_(max_size == 0 ? 1 : max_size), max_files_(max_files < 1 ? 1 : max_files) {}

EventFile::~EventFile() {
  if (fd_ >= 0) ::close(fd_);
}

base::Status EventFile::Open() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return base::Status::FromErrno("event log " + path_);
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return base::Status::Ok();
}

void EventFile::Rotate() {
  ::close(fd_);
  fd_ = -1;
  if (max_files_ == 1) {
    ::unlink(path_.c_str());
    return;
  }
  auto name = [this](int i) { return i == 0 ? path_ : path_ + "." + std::to_string(i); };
  ::unlink(name(max_files_ - 1).c_str());
  for (int i = max_files_ - 2; i >= 0; --i) std::rename(name(i).c_str(), name(i + 1).c_str());
}

base::Status EventFile::Append(std::string_view line) {
  if (fd_ < 0) {
    if (base::Status s = Open(); !s.ok()) return s;
  }
  if (size_ > 0 && size_ + line.size() + 1 > max_size_) {
    Rotate();
    if (base::Status s = Open(); !s.ok()) return s;
  }
  std::string data(line);
  data += '\n';
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::Status::FromErrno("event log " + path_);
    }
    done += static_cast<size_t>(n);
  }
  size_ += data.size();
  return base::Status::Ok();
}

}  // namespace tern::monitor

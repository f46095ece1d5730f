// The event log's optional file (http.event_log.file): one JSON object per
// line, appended; when the file would pass `max_size` it is rotated
// (file -> file.1 -> ... -> file.<max_files-1>, the oldest dropped), so the
// files never hold more than about max_size * max_files bytes.
//
// Threading: the monitor thread only; workers never do file I/O for it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tern::monitor {

class EventFile {
 public:
  EventFile(std::string path, uint64_t max_size, int max_files);
  ~EventFile();
  EventFile(const EventFile&) = delete;
  EventFile& operator=(const EventFile&) = delete;

  // Appends `line` and a newline.
  base::Status Append(std::string_view line);

 private:
  base::Status Open();
  void Rotate();

  const std::string path_;
  const uint64_t max_size_;
  const int max_files_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace tern::monitor

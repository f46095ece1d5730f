// A small blocking HTTP/1.1 client for etcd's JSON gateway: POST a JSON
// body, read a response with Content-Length or chunked encoding, and for
// etcd's watch read a chunked stream line by line as it arrives. Every call
// is bounded by a deadline. Only the etcd thread uses it, never a worker
// loop: blocking is its job.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace tern::server {

struct HttpResponse {
  int status = 0;
  std::string body;
};

class HttpStream;

// One request on a fresh connection to http://host:port.
base::Result<HttpResponse> HttpPost(const std::string& host, int port, const std::string& path, const std::string& body,
                                    std::chrono::milliseconds timeout);

// A POST whose response body keeps coming (etcd's watch). ReadLine() gives
// the next '\n'-terminated line of the body, waiting at most `wait`;
// kTimeout (not an error) when none came in that time.
class HttpStream {
 public:
  enum class Read { kLine, kTimeout, kClosed };
  static base::Result<std::unique_ptr<HttpStream>> Open(const std::string& host, int port, const std::string& path,
                                                        const std::string& body,
                                                        std::chrono::milliseconds connect_timeout);
  ~HttpStream();
  Read ReadLine(std::chrono::milliseconds wait, std::string* line);

 private:
  explicit HttpStream(int fd) : fd_(fd) {}
  // Decodes chunked framing from raw_ into body_.
  bool Decode();

  int fd_;
  std::string raw_;   // bytes read, not yet de-chunked
  std::string body_;  // de-chunked body, not yet handed out as lines
  bool chunked_ = false;
  bool done_ = false;
};

}  // namespace tern::server

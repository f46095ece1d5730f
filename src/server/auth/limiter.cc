#include "server/auth/limiter.h"

#include <algorithm>

namespace tern::server::auth {

void ConnectionLimiter::Configure(double rate_per_second, int burst, int max_per_ip) {
  std::lock_guard lock(mu_);
  rate_ = rate_per_second;
  burst_ = burst > 0 ? burst : std::max(1.0, rate_per_second);
  max_per_ip_ = max_per_ip;
  rate_on_.store(rate_per_second > 0, std::memory_order_relaxed);
}

bool ConnectionLimiter::AllowNew(const std::string& ip, Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (rate_ <= 0) return true;
  if (now - last_sweep_ > std::chrono::minutes(1)) {
    std::erase_if(buckets_, [now](const auto& e) { return now - e.second.last > std::chrono::minutes(1); });
    last_sweep_ = now;
  }
  auto [it, fresh] = buckets_.try_emplace(ip);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst_;
  } else {
    double seconds = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + seconds * rate_);
  }
  b.last = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

bool ConnectionLimiter::AcquireIp(const std::string& ip) {
  std::lock_guard lock(mu_);
  int& n = per_ip_[ip];
  if (max_per_ip_ > 0 && n >= max_per_ip_) {
    if (n == 0) per_ip_.erase(ip);
    return false;
  }
  ++n;
  return true;
}

void ConnectionLimiter::ReleaseIp(const std::string& ip) {
  std::lock_guard lock(mu_);
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second <= 0) per_ip_.erase(it);
}

bool ConnectionLimiter::AcquireUser(const std::string& user, int max) {
  std::lock_guard lock(mu_);
  int& n = per_user_[user];
  if (max > 0 && n >= max) {
    if (n == 0) per_user_.erase(user);
    return false;
  }
  ++n;
  return true;
}

void ConnectionLimiter::ReleaseUser(const std::string& user) {
  std::lock_guard lock(mu_);
  auto it = per_user_.find(user);
  if (it != per_user_.end() && --it->second <= 0) per_user_.erase(it);
}

int ConnectionLimiter::UserCount(const std::string& user) const {
  std::lock_guard lock(mu_);
  auto it = per_user_.find(user);
  return it == per_user_.end() ? 0 : it->second;
}

}  // namespace tern::server::auth

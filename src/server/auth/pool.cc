#include "server/auth/pool.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tern::server::auth {

AuthPool::AuthPool(int threads, size_t max_queued) : max_queued_(max_queued) {
  if (threads <= 0) threads = 1;
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      // Linux nice is per thread: the loops win the CPU when both want it,
      // so a storm of bcrypt checks slows logins, not messages.
      setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
      pthread_setname_np(pthread_self(), "tern-auth");
      Run();
    });
  }
}

AuthPool::~AuthPool() { Stop(); }

void AuthPool::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    tasks_.clear();
  }
  ready_.notify_all();
  std::lock_guard lock(join_mu_);
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool AuthPool::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || tasks_.size() >= max_queued_) return false;
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

size_t AuthPool::queued() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

void AuthPool::Run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace tern::server::auth

#include "base/rw_lock.h"

#include <pthread.h>

#include <cstdlib>

namespace tern::base {

static_assert(sizeof(pthread_rwlock_t) <= RwLock::kStorageSize && alignof(pthread_rwlock_t) <= 8);

namespace {
pthread_rwlock_t* Raw(unsigned char* storage) { return reinterpret_cast<pthread_rwlock_t*>(storage); }
// The lock is a building block of the process; failing to set it up is not
// something a caller could handle.
void Check(int rc) {
  if (rc != 0) std::abort();
}
}  // namespace

RwLock::RwLock() {
  pthread_rwlockattr_t attr;
  Check(pthread_rwlockattr_init(&attr));
  Check(pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP));
  Check(pthread_rwlock_init(Raw(storage_), &attr));
  pthread_rwlockattr_destroy(&attr);
}
RwLock::~RwLock() { pthread_rwlock_destroy(Raw(storage_)); }
void RwLock::lock() { Check(pthread_rwlock_wrlock(Raw(storage_))); }
void RwLock::unlock() { pthread_rwlock_unlock(Raw(storage_)); }
void RwLock::lock_shared() { Check(pthread_rwlock_rdlock(Raw(storage_))); }
void RwLock::unlock_shared() { pthread_rwlock_unlock(Raw(storage_)); }

}  // namespace tern::base

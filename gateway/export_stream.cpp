#include "gateway/export_stream.hpp"

#include <exception>
#include <utility>

namespace smscoach::gateway {

ExportStream::ExportStream(ConversationAdmin& store, std::int64_t since_ms, ExportFormat format)
    : thread_([this, &store, since_ms, format] { produce(store, since_ms, format); }) {}

ExportStream::~ExportStream() {
  {
    const std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  changed_.notify_all();
  // Quick: the producer sees the cancel at its next row, or is already done.
  thread_.join();
}

void ExportStream::produce(ConversationAdmin& store, std::int64_t since_ms, ExportFormat format) {
  std::string buffer;
  buffer.reserve(kChunkSize + 4096);
  append_export_header(format, buffer);
  std::optional<Error> error;
  try {
    const Status status = store.export_messages(since_ms, [&](const ExportRow& row) {
      append_export_row(format, row, buffer);
      if (buffer.size() < kChunkSize) return true;
      const bool wanted = push(std::move(buffer));
      buffer.clear();
      buffer.reserve(kChunkSize + 4096);
      return wanted;
    });
    if (!status) error = status.error();
  } catch (const std::exception& e) {
    error = make_error(ErrorCode::internal, std::string("export failed: ") + e.what());
  } catch (...) {
    error = make_error(ErrorCode::internal, "export failed");
  }
  if (!error && !buffer.empty()) push(std::move(buffer));
  {
    const std::lock_guard lock(mutex_);
    error_ = std::move(error);
    finished_ = true;
  }
  changed_.notify_all();
}

bool ExportStream::push(std::string chunk) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return cancelled_ || chunks_.size() < kQueuedChunks; });
  if (cancelled_) return false;
  chunks_.push_back(std::move(chunk));
  lock.unlock();
  changed_.notify_all();
  return true;
}

Expected<bool> ExportStream::next(std::string& chunk) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return !chunks_.empty() || finished_; });
  if (!chunks_.empty()) {
    chunk = std::move(chunks_.front());
    chunks_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return true;
  }
  if (error_) return *error_;
  return false;
}

}  // namespace smscoach::gateway

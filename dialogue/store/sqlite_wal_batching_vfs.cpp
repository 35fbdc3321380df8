#include "dialogue/store/sqlite_wal_batching_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <vector>

namespace smscoach::dialogue {

namespace {

constexpr int kFrameHeaderBytes = 24;  // the WAL format's frame header
constexpr std::size_t kMaxHeldBytes = 8U << 20;
// SQLite's unix VFS writes at most 128 KiB - 1 a call (it masks the length
// to 17 bits), so what is held goes out in pieces of at most this.
constexpr std::size_t kMaxWriteBytes = 120U << 10;

// Frames written but not yet passed on, with where they go.
struct HeldFrames {
  std::vector<unsigned char> bytes;
  sqlite3_int64 offset = 0;
  bool header_without_page = false;  // the last write was a frame header
  bool commit = false;               // ... and that frame ends a transaction
};

// Ours, followed in the same allocation by the default VFS's file.
struct BatchingFile {
  sqlite3_file base;  // first: SQLite sees a BatchingFile as a sqlite3_file
  sqlite3_file* real;
  HeldFrames* held;  // WAL files only, else null
};

sqlite3_vfs* real_vfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }
BatchingFile* ours(sqlite3_file* file) { return reinterpret_cast<BatchingFile*>(file); }
sqlite3_file* real(sqlite3_file* file) { return ours(file)->real; }

constexpr std::size_t real_file_offset() {
  return (sizeof(BatchingFile) + alignof(std::max_align_t) - 1) / alignof(std::max_align_t) *
         alignof(std::max_align_t);
}

// The frame header's second field: the database size in pages after a
// commit, zero in every other frame.
bool ends_transaction(const void* header) {
  const auto* bytes = static_cast<const unsigned char*>(header);
  return (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

// Writes what is held. An error reaches SQLite from whichever call this ran
// in, and the transaction those frames belong to fails with it.
int write_held(sqlite3_file* file) {
  HeldFrames* held = ours(file)->held;
  if (held == nullptr || held->bytes.empty()) return SQLITE_OK;
  sqlite3_file* to = real(file);
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < held->bytes.size() && rc == SQLITE_OK;) {
    const std::size_t piece = std::min(kMaxWriteBytes, held->bytes.size() - done);
    rc = to->pMethods->xWrite(to, held->bytes.data() + done, static_cast<int>(piece),
                              held->offset + static_cast<sqlite3_int64>(done));
    done += piece;
  }
  held->bytes.clear();
  held->header_without_page = false;
  held->commit = false;
  return rc;
}

// False if memory ran out: the caller then writes the bytes as they come.
// Nothing may throw through SQLite's C frames.
bool hold(HeldFrames& held, const void* data, int amount, sqlite3_int64 offset) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  try {
    held.bytes.insert(held.bytes.end(), bytes, bytes + amount);
  } catch (const std::bad_alloc&) {
    return false;
  }
  if (held.bytes.size() == static_cast<std::size_t>(amount)) held.offset = offset;
  return true;
}

int x_close(sqlite3_file* file) {
  const int held_rc = write_held(file);
  delete ours(file)->held;
  ours(file)->held = nullptr;
  const int rc = real(file)->pMethods->xClose(real(file));
  return held_rc != SQLITE_OK ? held_rc : rc;
}

int x_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  if (const int rc = write_held(file); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xRead(real(file), out, amount, offset);
}

int x_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  HeldFrames* held = ours(file)->held;
  if (held != nullptr) {
    const bool next = !held->bytes.empty() &&
                      offset == held->offset + static_cast<sqlite3_int64>(held->bytes.size());
    if (held->header_without_page && next && hold(*held, data, amount, offset)) {
      held->header_without_page = false;
      if (held->commit || held->bytes.size() >= kMaxHeldBytes) return write_held(file);
      return SQLITE_OK;
    }
    if (amount == kFrameHeaderBytes && !held->header_without_page &&
        (held->bytes.empty() || next) && hold(*held, data, amount, offset)) {
      held->header_without_page = true;
      held->commit = ends_transaction(data);
      return SQLITE_OK;
    }
  }
  if (const int rc = write_held(file); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xWrite(real(file), data, amount, offset);
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (const int rc = write_held(file); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xTruncate(real(file), size);
}

int x_sync(sqlite3_file* file, int flags) {
  if (const int rc = write_held(file); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xSync(real(file), flags);
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  if (const int rc = write_held(file); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFileSize(real(file), size);
}

int x_lock(sqlite3_file* file, int level) { return real(file)->pMethods->xLock(real(file), level); }

int x_unlock(sqlite3_file* file, int level) {
  return real(file)->pMethods->xUnlock(real(file), level);
}

int x_check_reserved_lock(sqlite3_file* file, int* out) {
  return real(file)->pMethods->xCheckReservedLock(real(file), out);
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
  if (const int rc = write_held(file); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFileControl(real(file), op, arg);
}

int x_sector_size(sqlite3_file* file) { return real(file)->pMethods->xSectorSize(real(file)); }

int x_device_characteristics(sqlite3_file* file) {
  return real(file)->pMethods->xDeviceCharacteristics(real(file));
}

int x_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return real(file)->pMethods->xShmMap(real(file), region, size, extend, out);
}

int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return real(file)->pMethods->xShmLock(real(file), offset, n, flags);
}

void x_shm_barrier(sqlite3_file* file) { real(file)->pMethods->xShmBarrier(real(file)); }

int x_shm_unmap(sqlite3_file* file, int delete_flag) {
  return real(file)->pMethods->xShmUnmap(real(file), delete_flag);
}

int x_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  if (const int rc = write_held(file); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFetch(real(file), offset, amount, out);
}

int x_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return real(file)->pMethods->xUnfetch(real(file), offset, page);
}

// Version 3, the default (unix) VFS's: shared memory and memory mapping.
const sqlite3_io_methods kMethods = {
    3,          x_close,     x_read,      x_write,       x_truncate,
    x_sync,     x_file_size, x_lock,      x_unlock,      x_check_reserved_lock,
    x_file_control, x_sector_size, x_device_characteristics, x_shm_map, x_shm_lock,
    x_shm_barrier,  x_shm_unmap,   x_fetch,  x_unfetch,
};

int x_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  BatchingFile* p = ours(file);
  p->base.pMethods = nullptr;
  p->held = nullptr;
  p->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + real_file_offset());
  p->real->pMethods = nullptr;
  const int rc = real_vfs(vfs)->xOpen(real_vfs(vfs), name, p->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite closes only a file whose pMethods is set; ours is not, so the
    // default VFS's half-open file is closed here.
    if (p->real->pMethods != nullptr) p->real->pMethods->xClose(p->real);
    return rc;
  }
  if (p->real->pMethods->iVersion < 3) {
    p->real->pMethods->xClose(p->real);
    return SQLITE_CANTOPEN;
  }
  if ((flags & SQLITE_OPEN_WAL) != 0) {
    p->held = new (std::nothrow) HeldFrames;
    if (p->held == nullptr) {
      p->real->pMethods->xClose(p->real);
      return SQLITE_NOMEM;
    }
  }
  p->base.pMethods = &kMethods;
  return SQLITE_OK;
}

int x_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return real_vfs(vfs)->xDelete(real_vfs(vfs), name, sync_dir);
}

int x_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return real_vfs(vfs)->xAccess(real_vfs(vfs), name, flags, out);
}

int x_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return real_vfs(vfs)->xFullPathname(real_vfs(vfs), name, size, out);
}

void* x_dl_open(sqlite3_vfs* vfs, const char* name) {
  return real_vfs(vfs)->xDlOpen(real_vfs(vfs), name);
}

void x_dl_error(sqlite3_vfs* vfs, int size, char* out) {
  real_vfs(vfs)->xDlError(real_vfs(vfs), size, out);
}

void (*x_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return real_vfs(vfs)->xDlSym(real_vfs(vfs), handle, symbol);
}

void x_dl_close(sqlite3_vfs* vfs, void* handle) { real_vfs(vfs)->xDlClose(real_vfs(vfs), handle); }

int x_randomness(sqlite3_vfs* vfs, int size, char* out) {
  return real_vfs(vfs)->xRandomness(real_vfs(vfs), size, out);
}

int x_sleep(sqlite3_vfs* vfs, int microseconds) {
  return real_vfs(vfs)->xSleep(real_vfs(vfs), microseconds);
}

int x_current_time(sqlite3_vfs* vfs, double* out) {
  return real_vfs(vfs)->xCurrentTime(real_vfs(vfs), out);
}

int x_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
  return real_vfs(vfs)->xGetLastError(real_vfs(vfs), size, out);
}

int x_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return real_vfs(vfs)->xCurrentTimeInt64(real_vfs(vfs), out);
}

sqlite3_vfs* make_vfs() {
  sqlite3_vfs* wrapped = sqlite3_vfs_find(nullptr);
  if (wrapped == nullptr || wrapped->iVersion < 2) {
    throw std::runtime_error(
        "SQLite has no default VFS (version 2 or later) to write the WAL through");
  }
  static sqlite3_vfs vfs{};
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(real_file_offset()) + wrapped->szOsFile;
  vfs.mxPathname = wrapped->mxPathname;
  vfs.zName = "smscoach-wal-batching";
  vfs.pAppData = wrapped;
  vfs.xOpen = x_open;
  vfs.xDelete = x_delete;
  vfs.xAccess = x_access;
  vfs.xFullPathname = x_full_pathname;
  vfs.xDlOpen = x_dl_open;
  vfs.xDlError = x_dl_error;
  vfs.xDlSym = x_dl_sym;
  vfs.xDlClose = x_dl_close;
  vfs.xRandomness = x_randomness;
  vfs.xSleep = x_sleep;
  vfs.xCurrentTime = x_current_time;
  vfs.xGetLastError = x_get_last_error;
  vfs.xCurrentTimeInt64 = x_current_time_int64;
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) {
    throw std::runtime_error("cannot register SQLite's WAL-batching VFS");
  }
  return &vfs;
}

}  // namespace

const char* wal_batching_vfs() {
  static sqlite3_vfs* const vfs = make_vfs();
  return vfs->zName;
}

}  // namespace smscoach::dialogue

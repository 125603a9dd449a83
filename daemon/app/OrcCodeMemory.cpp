#include "app/OrcCodeMemory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace ceremony {

namespace {

constexpr std::size_t kProbeSize = 4096;

// What ORC does in a folder: an unlinked file mapped twice, read+write and read+execute.
bool dualMapWorks(const std::string& folder) {
  std::string name = folder + "/orcexec.XXXXXX";
  std::vector<char> path(name.begin(), name.end());
  path.push_back('\0');
  const int fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) return false;
  ::unlink(path.data());
  bool ok = ::ftruncate(fd, kProbeSize) == 0;
  void* writable = MAP_FAILED;
  void* executable = MAP_FAILED;
  if (ok) writable = ::mmap(nullptr, kProbeSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (writable != MAP_FAILED)
    executable = ::mmap(nullptr, kProbeSize, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
  ok = writable != MAP_FAILED && executable != MAP_FAILED;
  if (writable != MAP_FAILED) ::munmap(writable, kProbeSize);
  if (executable != MAP_FAILED) ::munmap(executable, kProbeSize);
  ::close(fd);
  return ok;
}

bool anonymousMapWorks() {
  void* p = ::mmap(nullptr, kProbeSize, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  ::munmap(p, kProbeSize);
  return true;
}

}  // namespace

std::string orcCodeMemory() {
  for (const char* variable : {"XDG_RUNTIME_DIR", "HOME", "TMPDIR"})
    if (const char* folder = std::getenv(variable); folder && *folder && dualMapWorks(folder))
      return folder;
  if (dualMapWorks("/tmp")) return "/tmp";
  if (anonymousMapWorks()) return "anonymous memory";
  return {};
}

bool fallBackToOrcBackupIfNeeded() {
  if (std::getenv("ORC_CODE")) return false;
  if (!orcCodeMemory().empty()) return false;
  ::setenv("ORC_CODE", "backup", 1);
  return true;
}

}  // namespace ceremony

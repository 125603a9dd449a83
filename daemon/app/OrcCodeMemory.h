#pragma once
// GStreamer's ORC compiles its SIMD kernels at run time. ORC 0.4.33 writes that code
// through one mapping of a temporary file in $XDG_RUNTIME_DIR, $HOME, $TMPDIR or /tmp and
// runs it through a second, read+execute mapping; failing that, it asks for anonymous
// writable+executable memory. When neither works (systemd's MemoryDenyWriteExecute=yes
// refuses the second, and every candidate folder is noexec or read-only) ORC aborts the
// process on its first kernel. This check runs before GStreamer starts and, in that case,
// sets ORC_CODE=backup so ORC uses its plain C code: slower, same picture, no crash.

#include <string>

namespace ceremony {

// The folder ORC will use for its code, "anonymous memory", or an empty string when ORC
// cannot get executable memory at all.
std::string orcCodeMemory();

// Sets ORC_CODE=backup when orcCodeMemory() is empty and ORC_CODE is not already set.
// Returns true when it did (the caller says so in the log).
bool fallBackToOrcBackupIfNeeded();

}  // namespace ceremony

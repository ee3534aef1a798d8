// Writing a file so that readers see either the old contents or the complete new ones.
#pragma once

#include <string>

namespace trit::nn {

// Where a save to `path` lands: the end of its chain of symbolic links (a relative link
// resolves against its own folder), else `path` itself. Throws Error "<what>: <path>: ..."
// when that target exists and is not a regular file (a device such as /dev/full, a FIFO, a
// directory: saving would replace it), when its folder does not exist, when the links loop,
// or when the folder is not writable. Commands call it before they start working, so a bad
// --save fails in the first second, not after an epoch.
std::string resolve_save_target(const std::string& path, const std::string& what);

// Writes `bytes` to a fresh temporary file ".NAME.tmp-XXXXXX" beside the resolved target
// (resolve_save_target), flushes it to disk, then renames it over the target (atomic on
// POSIX within one file system): a symlinked path updates the link's target and keeps the
// link. On any failure the temporary file is removed, the target is untouched and Error
// names `what` (e.g. "save_safetensors"), the path and the system's reason. Temporary files
// of the same target left by a process that was killed mid-save (older than this process)
// are removed first.
void write_file_atomically(const std::string& path, const std::string& bytes,
                           const std::string& what);

}  // namespace trit::nn

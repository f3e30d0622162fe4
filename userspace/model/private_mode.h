// Files that hold every user's command lines (the store, the JSON lines,
// a report page) are private whatever the caller's umask: one mode for all
// of them (docs/store.md, "Privacy").
#pragma once

namespace hupwatch {

inline constexpr unsigned kPrivateDirMode = 0750;
inline constexpr unsigned kPrivateFileMode = 0640;

// Takes group write and every "other" permission off the regular file open
// as `fd` (anything else is left alone: a device, a FIFO). false with errno
// set when the mode had to change and could not.
bool make_open_file_private(int fd);

}  // namespace hupwatch

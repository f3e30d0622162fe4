// Where `report -o FILE` writes its page. The path is written as a shell's
// `>` would write it: a device, a FIFO or a symlink's target is written
// into, never replaced by a new regular file (`-o /dev/stdout`, a named
// pipe, a link into a shared folder). Only a regular file or a new path is
// replaced whole, so a reader never sees half a page.
#pragma once

#include <string>
#include <string_view>

namespace hupwatch {

// A regular file or a new path: a private temporary file in the same
// directory (mode kPrivateFileMode), renamed over the path. Anything else:
// opened and written in place (a regular file reached through a symlink is
// narrowed to the private mode; a new one is created with it). false with
// a one-line error ("hupwatch: cannot write PATH: ...").
bool write_output_file(const std::string& path, std::string_view text, std::string& error);

}  // namespace hupwatch

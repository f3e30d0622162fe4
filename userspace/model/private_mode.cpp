#include "private_mode.h"

#include <sys/stat.h>

namespace hupwatch {

bool make_open_file_private(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0777 & ~kPrivateFileMode) == 0) return true;
    return ::fchmod(fd, st.st_mode & kPrivateFileMode) == 0;
}

}  // namespace hupwatch

#include "standard_fds.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace hupwatch {

void reserve_standard_fds() {
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        // The lower ones are open by now: open() takes the lowest free number.
        int held = open("/dev/null", (fd == STDIN_FILENO ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
        if (held < 0 || held == fd) continue;
        dup3(held, fd, O_CLOEXEC);
        close(held);
    }
}

bool open_for_writing(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return flags != -1 && (flags & O_ACCMODE) != O_RDONLY;
}

}  // namespace hupwatch

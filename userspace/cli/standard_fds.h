// Standard descriptors a caller closed (`hupwatch watch >&-`, a supervisor
// that passes none): their numbers must not be handed out again.
#pragma once

namespace hupwatch {

// Puts /dev/null on each of fds 0, 1 and 2 that is closed, opened the wrong
// way round (fd 0 write-only, fds 1 and 2 read-only): the number stays
// taken, so nothing hupwatch opens later (its JSON events file, a BPF map,
// the ring buffer's epoll) lands on it and receives log lines or events,
// and a read or write on it still fails with EBADF, as on the closed fd.
// Call first in main(), before anything is opened.
void reserve_standard_fds();

// Whether fd is open for writing.
bool open_for_writing(int fd);

}  // namespace hupwatch

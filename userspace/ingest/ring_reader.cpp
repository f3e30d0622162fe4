#include "ring_reader.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <stdexcept>

#include "decoder.h"

namespace hupwatch {

RingReader::RingReader(int ring_buffer_fd, EventHandler handler) : handler_(std::move(handler)) {
    ring_ = ring_buffer__new(ring_buffer_fd, &RingReader::on_record, this, nullptr);
    if (!ring_)
        throw std::runtime_error(std::string("cannot open the BPF ring buffer: ") +
                                 strerror(errno));
}

RingReader::~RingReader() {
    ring_buffer__free(ring_);
}

int RingReader::poll(int timeout_ms) {
    int woken = wait(timeout_ms);
    if (woken < 0 && woken != -EINTR) return woken;
    int drained = drain();
    if (drained < 0) return drained;
    return woken == -EINTR ? -EINTR : woken + drained;
}

// The BPF side never wakes us (bpf/common.bpf.h, submit_event): the wait
// returns at once when records are already there and otherwise sleeps the
// whole timeout, and ring_buffer__poll() drains only rings that reported
// ready: hence the separate drain.
int RingReader::wait(int timeout_ms) {
    return ring_buffer__poll(ring_, timeout_ms);
}

int RingReader::drain() {
    return ring_buffer__consume(ring_);
}

int RingReader::on_record(void* ctx, void* data, std::size_t size) {
    auto* self = static_cast<RingReader*>(ctx);
    ++self->records_read_;
    auto decoded = decode_record(std::span(static_cast<const std::byte*>(data), size));
    if (auto* error = std::get_if<DecodeError>(&decoded)) {
        ++self->records_malformed_;
        self->last_error_ = error->message;
        spdlog::warn("skipping a malformed BPF record: {}", error->message);
        return 0;
    }
    self->handler_(std::get<Event>(decoded));
    return 0;
}

}  // namespace hupwatch

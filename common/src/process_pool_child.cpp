// A process pool child's loop. The child is forked by the pool's single-threaded fork server
// (process_pool_spawner.hpp), so it inherits no lock held by another thread; it still does
// not log: a server restarted after it died is forked by the multi-threaded pool process.

#include "process_pool_child.hpp"

#include <cxxabi.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <memory>
#include <typeinfo>

#include "process_pool_wire.hpp"
#include "shoal/common/errors.hpp"
#include "this_task_child.hpp"

namespace shoal::detail {
namespace {

using pool_wire::response;
using pool_wire::response_kind;

// Child exit status when the parent's socket is gone or garbled: the parent reports it.
constexpr int exit_protocol_error = 3;

std::string demangle(const char* mangled) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> readable(
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
    return status == 0 && readable ? std::string(readable.get()) : std::string(mangled);
}

std::string current_exception_type() {
    const std::type_info* type = abi::__cxa_current_exception_type();
    return type != nullptr ? demangle(type->name()) : std::string("unknown");
}

response failure(std::uint64_t id, std::string type, std::string message) {
    response r;
    r.kind = response_kind::error;
    r.id = id;
    r.error_type = std::move(type);
    r.message = std::move(message);
    return r;
}

response call(const pool_wire::request& request, const function_registry::table& functions) {
    response r;
    r.id = request.id;
    const auto it = functions.find(request.name);
    if (it == functions.end()) {
        r.kind = response_kind::unknown_function;
        r.message = "no function named '" + request.name + "' is registered in the child";
        return r;
    }
    this_task_child::begin_call();
    try {
        r.result = it->second(request.args);
        return r;
    } catch (const soft_time_limit_exceeded& e) {
        // The runtime's own limit type: the parent raises it as itself.
        r.kind = response_kind::soft_time_limit;
        r.message = e.what();
    } catch (const retry_task& e) {
        r.kind = response_kind::retry;
        if (e.countdown()) r.retry_countdown_ms = e.countdown()->count();
        r.message = e.what();
    } catch (const task_error& e) {
        return failure(request.id, e.type(), e.what());
    } catch (const std::exception& e) {
        return failure(request.id, demangle(typeid(e).name()), e.what());
    } catch (...) {
        return failure(request.id, current_exception_type(), "non-standard exception");
    }
    return r;
}

// Blocks for the next request's payload; false on EOF, a read error or a corrupt frame.
// Waits in poll(POLLIN) rather than in read(): a reader blocked in read() on a unix stream
// socket is woken (for nothing) each time the parent consumes a response this child wrote,
// since that frees send-buffer space; poll's waiter ignores those POLLOUT wake-ups. Reads
// whole chunks, so a request usually costs one poll and one read.
constexpr auto request_spin = std::chrono::microseconds(50);
// One read takes a whole batch of small requests, or a large one in few calls.
constexpr std::size_t request_chunk_bytes = std::size_t{64} * 1024;

bool read_request(int fd, pool_wire::frame_reader& reader, std::string& payload) {
    for (;;) {
        switch (reader.next(payload)) {
            case pool_wire::frame_reader::status::frame:
                return true;
            case pool_wire::frame_reader::status::corrupt:
                return false;
            case pool_wire::frame_reader::status::need_more:
                break;
        }
        pollfd readable{fd, POLLIN, 0};
        // Back-to-back calls arrive within microseconds: look again for a short while before
        // sleeping, since waking an idle CPU costs tens of microseconds on a VM.
        const auto spin_until = std::chrono::steady_clock::now() + request_spin;
        int ready = 0;
        while ((ready = ::poll(&readable, 1, 0)) == 0 &&
               std::chrono::steady_clock::now() < spin_until) {
        }
        if (ready == 0) ready = ::poll(&readable, 1, -1);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        std::array<char, request_chunk_bytes> chunk;  // not zero-filled: read() writes what is used
        const ssize_t n = ::read(fd, chunk.data(), chunk.size());
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        reader.append(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
    }
}

}  // namespace

void run_pool_child(int fd, const function_registry::table& functions) {
    this_task_child::install();  // before ready: no stop signal comes before a call
    response ready;
    ready.kind = response_kind::ready;
    if (!pool_wire::write_all(fd, pool_wire::encode(ready))) {
        ::_exit(exit_protocol_error);
    }
    pool_wire::frame_reader reader;
    std::string payload;
    while (read_request(fd, reader, payload)) {
        const auto request = pool_wire::decode_request(payload);
        if (!request) {
            ::_exit(exit_protocol_error);
        }
        if (request->kind == pool_wire::request_kind::stop) {
            ::_exit(EXIT_SUCCESS);
        }
        if (!pool_wire::write_all(fd, pool_wire::encode(call(*request, functions)))) {
            ::_exit(exit_protocol_error);
        }
    }
    ::_exit(EXIT_SUCCESS);  // EOF: the parent closed our socket
}

}  // namespace shoal::detail

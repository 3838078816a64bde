#include "redis/hiredis_loop.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace shoal::broker {

// The C callbacks hiredis calls, with the hiredis_loop in their privdata.
struct hiredis_loop::hooks {
    static hiredis_loop& of(void* privdata) { return *static_cast<hiredis_loop*>(privdata); }

    static void add_read(void* privdata) {
        hiredis_loop& h = of(privdata);
        if (h.reading_ || h.fd_ < 0) return;
        h.reading_ = true;
        h.loop_.add_reader(h.fd_, [&h] {
            if (h.context_ != nullptr) redisAsyncHandleRead(h.context_);
        });
    }
    static void del_read(void* privdata) {
        hiredis_loop& h = of(privdata);
        if (!h.reading_) return;
        h.reading_ = false;
        h.loop_.remove_reader(h.fd_);
    }
    static void add_write(void* privdata) {
        hiredis_loop& h = of(privdata);
        if (h.writing_ || h.fd_ < 0) return;
        h.writing_ = true;
        h.loop_.add_writer(h.fd_, [&h] {
            if (h.context_ != nullptr) redisAsyncHandleWrite(h.context_);
        });
    }
    static void del_write(void* privdata) {
        hiredis_loop& h = of(privdata);
        if (!h.writing_) return;
        h.writing_ = false;
        h.loop_.remove_writer(h.fd_);
    }
    static void cleanup(void* privdata) {
        hiredis_loop& h = of(privdata);
        del_read(privdata);
        del_write(privdata);
        std::string error;
        if (h.context_ != nullptr && h.context_->errstr != nullptr) error = h.context_->errstr;
        h.context_ = nullptr;
        h.fd_ = -1;
        if (auto gone = std::move(h.on_gone_)) gone(error);
    }
};

void hiredis_loop::attach(redisAsyncContext* ac,
                          std::function<void(const std::string& error)> on_gone) {
    context_ = ac;
    fd_ = ac->c.fd;
    on_gone_ = std::move(on_gone);
    ac->ev.data = this;
    ac->ev.addRead = &hooks::add_read;
    ac->ev.delRead = &hooks::del_read;
    ac->ev.addWrite = &hooks::add_write;
    ac->ev.delWrite = &hooks::del_write;
    ac->ev.cleanup = &hooks::cleanup;
    // The connect completes when the socket turns writable.
    hooks::add_write(this);
}

}  // namespace shoal::broker

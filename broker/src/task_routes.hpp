#pragma once
// task_routes: the broker's route table (Celery's task_routes): which queue a task goes to
// when its SUBMIT names none, by task name. Written `NAME=QUEUE,NAME=QUEUE` (broker setting
// task_routes, or a [task_routes] table in the config file).
//
// Precedence, at admission: a queue the SUBMIT names > the route table > `default`. A SUBMIT
// that names no queue carries `default` (PROTOCOL.md section 3), so `default` is the one queue
// a client cannot pin against a route: a routed name goes where the table says.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace shoal::broker {

class task_routes {
  public:
    task_routes() = default;
    // Parses the table; throws config_error naming the bad entry (no `=`, an empty or
    // over-long name or queue, a name routed twice).
    explicit task_routes(std::string_view spec);

    // The queue a task of `name`, submitted to `queue`, waits in.
    std::string_view queue_for(std::string_view name, std::string_view queue) const;
    std::size_t size() const noexcept { return by_name_.size(); }

  private:
    struct text_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, std::string, text_hash, std::equal_to<>> by_name_;
};

}  // namespace shoal::broker

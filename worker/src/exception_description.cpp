#include "exception_description.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>

#include "shoal/common/errors.hpp"

namespace shoal::worker_detail {

std::string demangle(const char* mangled) {
    int status = 0;
    const std::unique_ptr<char, decltype(&std::free)> readable(
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
    return status == 0 && readable ? std::string(readable.get()) : std::string(mangled);
}

exception_description describe(const std::exception_ptr& error) {
    if (!error) return {"unknown", "no exception"};
    try {
        std::rethrow_exception(error);
    } catch (const retry_task& e) {
        return {retry_type, e.what()};
    } catch (const task_error& e) {
        return {e.type(), e.what()};
    } catch (const std::exception& e) {
        return {demangle(typeid(e).name()), e.what()};
    } catch (...) {
        // Not a std::exception (someone threw an int or a string): name its type at least.
        const std::type_info* type = abi::__cxa_current_exception_type();
        return {type != nullptr ? demangle(type->name()) : std::string("unknown"),
                "an exception that is not a std::exception"};
    }
}

}  // namespace shoal::worker_detail

#include "shoal/common/secret_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace shoal {

std::string read_secret_file(const std::string& path, std::string_view what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw secret_file_error(path + ": cannot read: " + std::strerror(errno));
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        throw secret_file_error(path + ": " + std::string(what) +
                                " must be readable by its owner only (chmod 600)");
    }
    std::ifstream in(path);
    if (!in) throw secret_file_error(path + ": cannot read: " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace shoal

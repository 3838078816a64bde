// shoal keygen NAME [--dir DIR]: a CURVE key pair for a broker, worker, client or admin
// (SECURITY.md). Needs no broker.

#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "shoal/proto/curve_keys.hpp"

namespace shoal::cli {

int run_keygen(const global_options& opts, const keygen_args& args) {
    try {
        const proto::key_pair keys = proto::generate_key_pair();
        proto::write_key_files(keys, args.dir, args.name);
        const std::string base = args.dir + "/" + args.name;
        if (opts.json) {
            print_json({{"public", base + ".key"},
                        {"secret", base + ".key_secret"},
                        {"public_key", keys.public_key}});
        } else {
            std::cout << "wrote " << base
                      << ".key (public: give it to the broker's keys directory, or to peers)\n"
                      << "wrote " << base
                      << ".key_secret (secret, mode 0600: keep it on this machine)\n";
        }
        return exit_ok;
    } catch (const proto::key_file_error& e) {
        report_error(opts, e.what());
        return exit_failed;
    }
}

}  // namespace shoal::cli

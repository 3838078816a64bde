#pragma once
// CURVE keys (ZeroMQ RFC 26) for SHOAL/1 peers, and the files they live in.
//
// A key pair is two files in the layout of CZMQ's zcert: NAME.key holds the public key and can
// be handed to anyone; NAME.key_secret holds both keys and is readable by its owner only. Keys
// are Z85 text (40 characters for 32 bytes). A secret never travels on a command line: peers are
// given the path of its file.
//
//     auto pair = shoal::proto::generate_key_pair();
//     shoal::proto::write_key_files(pair, "/etc/shoal", "worker-7");
//     auto mine = shoal::proto::read_secret_key_file("/etc/shoal/worker-7.key_secret");

#include <optional>
#include <string>

#include <zmq.hpp>

#include "shoal/common/errors.hpp"

namespace shoal::proto {

// A key file that is missing, unreadable, malformed, or too open (a secret readable by others).
class key_file_error : public shoal::error {
  public:
    using shoal::error::error;
};

struct key_pair {
    std::string public_key;  // Z85, 40 characters
    std::string secret_key;  // Z85, 40 characters; empty when only the public half is known
};

// A fresh pair from libzmq (its CSPRNG). Throws shoal::error if libzmq lacks CURVE.
key_pair generate_key_pair();

// True if `z85` is 40 Z85 characters that decode to 32 bytes.
bool is_z85_key(const std::string& z85);

// Writes DIR/NAME.key (mode 0644) and DIR/NAME.key_secret (mode 0600, created so: never
// readable by others, not even briefly). Refuses to overwrite. Throws key_file_error.
void write_key_files(const key_pair& keys, const std::string& dir, const std::string& name);

// The public key of a NAME.key or NAME.key_secret file. Throws key_file_error.
std::string read_public_key_file(const std::string& path);
// Both keys of a NAME.key_secret file; refused if group or others can read it. Throws
// key_file_error.
key_pair read_secret_key_file(const std::string& path);

// What a client or worker needs to speak CURVE to a broker.
struct curve_client_keys {
    std::string broker_public_key;  // Z85
    key_pair own;                   // its secret included
};

// The keys of a client or worker from its two files: the broker's public key file and its own
// secret key file. nullopt when both paths are empty (an open broker); key_file_error when only
// one is given or a file is bad.
std::optional<curve_client_keys> load_client_keys(const std::string& broker_key_file,
                                                  const std::string& key_file);

// Socket options, set before connect or bind.
void apply_curve_client(zmq::socket_t& socket, const curve_client_keys& keys);
// A CURVE server whose every handshake is authenticated by the ZAP handler of `zap_domain`
// (ZMQ_ZAP_ENFORCE_DOMAIN: no handler, no session). Throws shoal::error if libzmq cannot
// enforce it.
void apply_curve_server(zmq::socket_t& socket, const std::string& secret_key,
                        const std::string& zap_domain);

}  // namespace shoal::proto

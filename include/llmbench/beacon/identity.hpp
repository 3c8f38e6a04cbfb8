#pragma once
// The install's identity for beacons, created on the first opt-in and kept in
// $XDG_CONFIG_HOME/llmbench/install.json (else ~/.config/llmbench/install.json), mode 0600:
//   install_id    a random UUID, stable for the install
//   install_hmac  32 random bytes as hex: the per-install token (attestation "token", the
//                 default: the collector pins the first value it sees for an install_id)
//   secret        32 random bytes as hex: the key of attestation "message", where each beacon
//                 carries HMAC-SHA256(secret, RFC 8785 canonical beacon without install_hmac)
// Neither secret is ever printed in full except by `beacon status --show-secret`.

#include <optional>
#include <string>
#include <string_view>

#include "llmbench/beacon/beacon.hpp"

namespace llmbench::beacon {

struct Install {
  std::string install_id;
  std::string install_hmac;
  std::string secret;  // empty in an f3dx install file that has none: token mode only
};

enum class Attestation { token, message };
std::optional<Attestation> attestation_from_string(std::string_view s);

std::string default_install_path();
// Reads an install file; nothing if it does not exist; InputError if it is malformed.
std::optional<Install> load_install(const std::string& path);
// Makes a new identity and writes it (folders created, file mode 0600, replaced atomically).
Install create_install(const std::string& path);

std::string hmac_sha256_hex(std::string_view key, std::string_view message);
// Sets b.install_id and b.install_hmac for the attestation mode. Throws InputError for
// message mode without a secret.
void attest(Beacon& b, const Install& install, Attestation mode);
// Message mode, on the collector's side: does b.install_hmac sign the rest of b?
bool verify_message_hmac(const Beacon& b, std::string_view secret_hex);
// "0f3a…9c" style, for messages that must not show the whole value.
std::string abbreviate(std::string_view secret);

}  // namespace llmbench::beacon

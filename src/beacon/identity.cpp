#include "llmbench/beacon/identity.hpp"

// RFC 8785 canonical JSON comes from cache/, a peer area: one canonicalizer, not two
// (DESIGN.md's layering would have beacon/ depend only on lower areas).
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "llmbench/cache/jcs.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/hex.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/uuid.hpp"

namespace llmbench::beacon {

namespace {

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw RunError("the system's random source failed (OpenSSL RAND_bytes)");
  }
  return util::to_hex(raw);
}

std::string random_uuid_v4() {
  std::string h = random_hex(16);
  h[12] = '4';
  h[16] = "89ab"[std::stoi(std::string(1, h[16]), nullptr, 16) & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

}  // namespace

std::optional<Attestation> attestation_from_string(std::string_view s) {
  if (s == "token") {
    return Attestation::token;
  }
  if (s == "message") {
    return Attestation::message;
  }
  return std::nullopt;
}

std::string default_install_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && *xdg != '\0') {
    return (std::filesystem::path(xdg) / "llmbench" / "install.json").string();
  }
  const char* home = std::getenv("HOME");
  return (std::filesystem::path(home != nullptr ? home : ".") / ".config" / "llmbench" /
          "install.json")
      .string();
}

std::optional<Install> load_install(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view id, token, secret;
  if (parser.parse(simdjson::padded_string(text.str())).get(doc) != simdjson::SUCCESS ||
      doc["install_id"].get_string().get(id) != simdjson::SUCCESS ||
      doc["install_hmac"].get_string().get(token) != simdjson::SUCCESS) {
    throw InputError(fmt::format(
        "{}: not an install file ({{\"install_id\", \"install_hmac\"}}); remove it to make a "
        "new identity, or give another with --install-file",
        path));
  }
  Install install{std::string(id), std::string(token), ""};
  if (doc["secret"].get_string().get(secret) == simdjson::SUCCESS) {
    install.secret = std::string(secret);
  }
  if (!util::is_uuid(install.install_id) || !util::is_lower_hex(install.install_hmac, 64) ||
      (!install.secret.empty() && !util::is_lower_hex(install.secret, 64))) {
    throw InputError(fmt::format(
        "{}: install_id must be a UUID and install_hmac (and secret) 64 lowercase hex digits",
        path));
  }
  return install;
}

Install create_install(const std::string& path) {
  Install install{random_uuid_v4(), random_hex(32), random_hex(32)};
  const std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) {
    std::filesystem::create_directories(p.parent_path(), ec);
  }
  std::string text;
  util::JsonObject o(text);
  o.str("install_id", install.install_id);
  o.str("install_hmac", install.install_hmac);
  o.str("secret", install.secret);
  o.str("created_by", "llmbench");
  o.close();
  text += "\n";
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw InputError(
        fmt::format("cannot write {} (check the folder; or give --install-file)", path));
  }
  ::fchmod(fd, 0600);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw RunError(fmt::format("writing {} failed", path));
  }
  return install;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  return util::to_hex(std::string_view(reinterpret_cast<const char*>(mac), len));
}

void attest(Beacon& b, const Install& install, Attestation mode) {
  b.install_id = install.install_id;
  if (mode == Attestation::token) {
    b.install_hmac = install.install_hmac;
    return;
  }
  if (install.secret.empty()) {
    throw InputError(
        "attestation = \"message\" needs an install secret, and this install file has none "
        "(use attestation = \"token\", or let llmbench make its own install file)");
  }
  const auto canonical = cache::canonicalize(to_json(b, false));
  b.install_hmac = hmac_sha256_hex(util::from_hex(install.secret), *canonical);
}

bool verify_message_hmac(const Beacon& b, std::string_view secret_hex) {
  if (!util::is_lower_hex(secret_hex, 64)) {
    return false;
  }
  const auto canonical = cache::canonicalize(to_json(b, false));
  if (!canonical) {
    return false;
  }
  const std::string expected = hmac_sha256_hex(util::from_hex(secret_hex), *canonical);
  return expected.size() == b.install_hmac.size() &&
         CRYPTO_memcmp(expected.data(), b.install_hmac.data(), expected.size()) == 0;
}

std::string abbreviate(std::string_view secret) {
  if (secret.size() <= 8) {
    return "…";
  }
  return fmt::format("{}…{}", secret.substr(0, 4), secret.substr(secret.size() - 2));
}

}  // namespace llmbench::beacon

// TLS server context: TLS 1.2 and 1.3 only, forward-secret AEAD ciphers only.
#pragma once
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "config/config.hpp"

namespace relaymock::net {

struct TlsSetup {
  std::shared_ptr<boost::asio::ssl::context> context;
  std::string fingerprint;  // SHA-256 of the certificate, "AB:CD:..."
  bool generated = false;   // a self-signed certificate made at startup
};

// Loads the configured certificate and key, or generates a self-signed
// certificate for `hostname`. Throws std::runtime_error with a one-line cause.
TlsSetup make_tls(const config::Tls& tls, const std::string& hostname);

}  // namespace relaymock::net

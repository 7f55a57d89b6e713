#include "net/tls.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include "util/hex.hpp"

namespace relaymock::net {
namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (!e) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };

// A self-signed P-256 certificate for the hostname, valid for a year.
void generate_self_signed(SSL_CTX* ctx, const std::string& hostname) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) throw std::runtime_error("cannot generate a TLS key: " + openssl_error());
  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) throw std::runtime_error("cannot build the self-signed certificate: " + openssl_error());
  // Every step is checked: a certificate missing a field would fail only in
  // a client's handshake, far from the cause.
  auto must = [](bool ok, const char* step) {
    if (!ok) throw std::runtime_error(std::string("cannot build the self-signed certificate (") + step + "): " + openssl_error());
  };
  must(X509_set_version(cert.get(), 2) == 1, "version");
  unsigned char serial[16];
  must(RAND_bytes(serial, sizeof serial) == 1, "serial number");
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  must(bn != nullptr, "serial number");
  bool serial_set = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(bn);
  must(serial_set, "serial number");
  must(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "validity");
  must(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600) != nullptr, "validity");
  must(X509_set_pubkey(cert.get(), key.get()) == 1, "public key");
  X509_NAME* name = X509_get_subject_name(cert.get());
  must(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("relaymock"), -1, -1, 0) == 1,
       "subject");
  must(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(hostname.c_str()),
                                  -1, -1, 0) == 1,
       "subject (is the hostname too long?)");
  must(X509_set_issuer_name(cert.get(), name) == 1, "issuer");
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string san = "DNS:" + hostname + ",DNS:localhost,IP:127.0.0.1,IP:::1";
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san.c_str()},
                            std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                            std::pair{NID_ext_key_usage, "serverAuth"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (!ext) throw std::runtime_error("cannot build the self-signed certificate: " + openssl_error());
    bool added = X509_add_ext(cert.get(), ext, -1) == 1;
    X509_EXTENSION_free(ext);
    must(added, "extension");
  }
  if (!X509_sign(cert.get(), key.get(), EVP_sha256()))
    throw std::runtime_error("cannot sign the self-signed certificate: " + openssl_error());
  if (SSL_CTX_use_certificate(ctx, cert.get()) != 1 || SSL_CTX_use_PrivateKey(ctx, key.get()) != 1)
    throw std::runtime_error("cannot use the self-signed certificate: " + openssl_error());
}

std::string fingerprint_of(SSL_CTX* ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (!cert) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    if (i) out += ':';
    append_hex(out, md[i], true);
  }
  return out;
}

}  // namespace

TlsSetup make_tls(const config::Tls& tls, const std::string& hostname) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                  SSL_OP_SINGLE_ECDH_USE | SSL_OP_NO_TICKET);
  // TLS 1.2: ECDHE with AEAD only; TLS 1.3 suites are all strong.
  SSL_CTX_set_cipher_list(native, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  SSL_CTX_set1_groups_list(native, "X25519:P-256:P-384");
  // Small per-connection footprint: release read/write buffers when idle.
  // Idle connections give back OpenSSL's record buffers; writes may resume
  // from a moved buffer after a partial write (net/tls_socket.cpp).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

  TlsSetup out;
  if (tls.certificate.empty()) {
    generate_self_signed(native, hostname);
    out.generated = true;
  } else {
    if (SSL_CTX_use_certificate_chain_file(native, tls.certificate.c_str()) != 1)
      throw std::runtime_error("cannot load TLS certificate " + tls.certificate + ": " + openssl_error());
    if (SSL_CTX_use_PrivateKey_file(native, tls.private_key.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("cannot load TLS private key " + tls.private_key + ": " + openssl_error());
    if (SSL_CTX_check_private_key(native) != 1)
      throw std::runtime_error("TLS private key " + tls.private_key + " does not match certificate " +
                               tls.certificate);
  }
  out.fingerprint = fingerprint_of(native);
  out.context = std::move(ctx);
  return out;
}

}  // namespace relaymock::net

// MailHog's route table (api/v1.go, api/v2.go). OPTIONS answers for CORS
// preflights are not served: relaymock sets no CORS origin.
#include "http/mailhog.hpp"

namespace relaymock::http::mailhog {

using beast_http::verb;

std::span<const Route> routes() {
  static const Route table[] = {
      {verb::get, "/api/v1/messages", "*", v1_messages},
      {verb::delete_, "/api/v1/messages", "*", v1_delete_all},
      {verb::get, "/api/v1/messages/{id}", "*", v1_message},
      {verb::delete_, "/api/v1/messages/{id}", "*", v1_delete_one},
      {verb::get, "/api/v1/messages/{id}/download", "*", v1_download},
      {verb::get, "/api/v1/messages/{id}/mime/part/{part}/download", "*", v1_download_part},
      {verb::post, "/api/v1/messages/{id}/release", "*", v1_release},
      {verb::get, "/api/v1/events", "*", v1_events},
      {verb::get, "/api/v2/messages", "*", v2_messages},
      {verb::get, "/api/v2/search", "*", v2_search},
      {verb::get, "/api/v2/jim", "*", v2_jim},
      {verb::post, "/api/v2/jim", "*", v2_create_jim},
      {verb::put, "/api/v2/jim", "*", v2_update_jim},
      {verb::delete_, "/api/v2/jim", "*", v2_delete_jim},
      {verb::get, "/api/v2/outgoing-smtp", "*", v2_outgoing_smtp},
      {verb::get, "/api/v2/websocket", "*", v2_websocket},
  };
  return table;
}

}  // namespace relaymock::http::mailhog

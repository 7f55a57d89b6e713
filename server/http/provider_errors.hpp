// The provider's API v3 errors: {"request_id", "data": {"error",
// "error_code"[, "field_validation_errors"]}}, shared by its endpoints.
#pragma once
#include <string>

#include "http/request.hpp"

namespace relaymock::http {

inline constexpr const char* kPermissionDenied = "E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED";
inline constexpr const char* kNonValidating = "E_ApiResponseCodes.NON_VALIDATING_IN_PAYLOAD";
inline constexpr const char* kApiException = "E_ApiResponseCodes.API_EXCEPTION";
inline constexpr const char* kRateLimited = "E_ApiResponseCodes.REQ_LIMIT_EXCEEDED";

// The request_id every answer carries.
std::string uuid4();

// A request-level failure: HTTP status, message, error code, and for
// payload errors the field at fault.
struct Failure {
  beast_http::status http = beast_http::status::bad_request;
  std::string error;
  const char* code = kNonValidating;
  std::string field;  // set for NON_VALIDATING_IN_PAYLOAD
};

Failure field_error(std::string field, std::string message);
Response failure_response(const Failure& f, const std::string& request_id, unsigned version);

}  // namespace relaymock::http

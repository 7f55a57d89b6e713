// Messages and events as JSON: the API's shapes, and the durable store's rows.
#pragma once
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "store/event.hpp"
#include "store/message.hpp"

namespace relaymock::store {

// A list of strings as a JSON array (the API's and the store's shapes).
boost::json::array json_strings(const std::vector<std::string>& v);
// A decision's checks: [{name, result, compared, fix (null unless failed)}].
boost::json::array checks_json(const std::vector<EventCheck>& checks);

// The API's message summary.
boost::json::object message_summary(const Message& m);
// Everything needed to rebuild the Message without its content.
boost::json::object message_record(const Message& m);
std::optional<Message> message_from_record(const boost::json::value& v);

boost::json::object event_json(const Event& e);
std::optional<Event> event_from_json(const boost::json::value& v);

}  // namespace relaymock::store

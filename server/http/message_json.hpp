// A captured message as the control API and the UI show it: the summary
// (the capture, its state, what the indexer read), and the whole of it.
#pragma once
#include <boost/json/object.hpp>
#include <string>

#include "mime/mime.hpp"
#include "store/derived.hpp"
#include "store/mail_store.hpp"

namespace relaymock::http {

// The store's summary plus read, tags and (when `d` is given) the header
// names, counts and snippet.
boost::json::object summary_json(const store::Listed& l, const store::Derived* d);

// Everything: the summary, headers, bodies, parts with their ids, the
// envelope's parameters.
boost::json::object detail_json(const store::Listed& l, const store::Derived* d, const mime::MessageParts& parts);

boost::json::object named_json(const store::NamedAddress& a);

}  // namespace relaymock::http

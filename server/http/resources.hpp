// The handlers of the route table (routes.cpp), one file per resource.
#pragma once
#include "http/route.hpp"

namespace relaymock::http::resource {

using Handled = boost::asio::awaitable<Response>;

// health.cpp
Handled healthz(Call&);
Handled readyz(Call&);
Handled metrics(Call&);
// ui.cpp
Handled ui_page(Call&);
Handled signin_state(Call&);
Handled signin(Call&);
Handled signout(Call&);
// live.cpp
Handled live(Call&);
// messages.cpp
Handled list_messages(Call&);
Handled mark_messages(Call&);
Handled delete_messages(Call&);
Handled get_message(Call&);
Handled get_message_raw(Call&);
Handled delete_message(Call&);
Handled get_message_part(Call&);
Handled set_message_tags(Call&);
Handled list_tags(Call&);
// message_html.cpp
Handled get_message_html(Call&);
// events.cpp
Handled list_events(Call&);
Handled get_event(Call&);
// sessions.cpp
Handled get_session(Call&);
// listeners.cpp
Handled list_listeners(Call&);
Handled set_listener_fault(Call&);
// scenarios.cpp
Handled list_scenarios(Call&);
Handled add_scenario(Call&);
Handled clear_scenarios(Call&);
Handled delete_scenario(Call&);
// usage.cpp
Handled get_usage(Call&);
// explain.cpp
Handled explain(Call&);
// clock.cpp
Handled get_clock(Call&);
Handled get_outcomes(Call&);
Handled add_outcome_rule(Call&);
Handled delete_outcome_rule(Call&);
Handled clear_outcome_rules(Call&);
Handled get_webhooks(Call&);
Handled get_webhook_deliveries(Call&);
Handled move_clock(Call&);
// reset.cpp
Handled reset(Call&);
// config_api.cpp
Handled get_config(Call&);
Handled reload_config(Call&);
// provider_api.cpp: every /v3/ path
Handled provider(Call&);

}  // namespace relaymock::http::resource

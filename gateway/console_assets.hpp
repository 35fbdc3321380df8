#pragma once
// The operator console's static files (HTML, CSS, JavaScript), compiled into
// the binary so `serve` needs nothing on disk and there is no front-end build.

#include <optional>
#include <string_view>

#include "gateway/http_types.hpp"

namespace smscoach::gateway {

// The file for a GET under /console/ ("/console/" itself is index.html), with
// its content type and a no-cache header; nullopt for a path that is not one
// of the console's files. "/console" (no slash) is not handled here: the
// router redirects it.
std::optional<HttpResponse> console_asset(std::string_view path);

}  // namespace smscoach::gateway

// The fake upstream of the router tests: records every request body and echoes the last message
// ("Reçu : " + content), so that what the upstream saw comes back in the answer (tests/support/http_fake.h).
#pragma once

#include "http_fake.h"

namespace occam::router::testing {

using RecordingUpstream = occam::testing::EchoUpstream;

}  // namespace occam::router::testing

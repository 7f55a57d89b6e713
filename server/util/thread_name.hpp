// Names the calling thread (Linux keeps 15 characters), so `top -H`, `ps -L`
// and perf say which of relaymock's threads is busy.
#pragma once

namespace relaymock {
void name_this_thread(const char* name);
}
